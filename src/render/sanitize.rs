//! Making untrusted log text safe to print on a terminal.
//!
//! Control characters would let a log line move the cursor, change colours or rewrite the
//! screen; bidi overrides would let it reorder what the reader sees. All are shown escaped.

use std::borrow::Cow;

/// Whether a character must not reach a terminal raw.
pub(crate) fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200e}' | '\u{200f}' | '\u{061c}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}' | '\u{2029}'
            | '\u{feff}')
}

/// Escapes control, bidi and line-separator characters: `\n`, `\t`, `\r`, `\x1b`, `\u{202e}`.
/// Text without any comes back borrowed.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    // Most log text is printable ASCII, which a byte loop confirms far faster than decoding
    // characters (a table of a million rows sanitizes several million fields).
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) || !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// Sanitizes raw bytes, decoding invalid UTF-8 lossily first.
pub fn sanitize_bytes(bytes: &[u8]) -> String {
    sanitize(&String::from_utf8_lossy(bytes)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        let rows = [
            ("plain 東京 🎁", "plain 東京 🎁"),
            ("\u{1b}[31mRED\u{1b}[0m", "\\x1b[31mRED\\x1b[0m"),
            ("a\nb\tc\r", "a\\nb\\tc\\r"),
            ("\u{202e}evil", "\\u{202e}evil"),
            ("bell\u{7}", "bell\\x07"),
            ("c1\u{9b}", "c1\\u{9b}"),
            ("nul\0", "nul\\x00"),
        ];
        for (input, want) in rows {
            assert_eq!(sanitize(input), want);
        }
        assert!(matches!(sanitize("ok"), Cow::Borrowed(_)));
        assert_eq!(sanitize_bytes(b"r\xe9sum\xe9"), "r\u{fffd}sum\u{fffd}");
    }
}
