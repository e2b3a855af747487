//! JSON documents spread over many lines, put back on one line each.
//!
//! Every example in the OpenTelemetry, Jaeger and Zipkin repositories, Jaeger UI's "Download
//! JSON" and `curl … | jq .` write a document indented over many lines; `jq . app.log` does the
//! same to each log line. The rest of tracegrep reads lines, so a source whose first line
//! opens a document without closing it is rewritten here: whitespace outside strings dropped,
//! one document per line, key order and every value's text kept as written.

use std::io::{self, Read};

/// The largest source reflowed (documents are read whole): past it the source is an error.
pub const MAX_REFLOW_BYTES: u64 = 1 << 30;

/// Whether a source starting with `head` holds a document spread over lines: its first line
/// opens an object or array that it does not close. A JSON Lines file never does.
pub fn is_spread_document(head: &[u8]) -> bool {
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return false;
    };
    let head = &head[start..];
    if !matches!(head.first(), Some(b'{' | b'[')) {
        return false;
    }
    let first_line = match memchr::memchr(b'\n', head) {
        Some(end) => &head[..end],
        // One line, or a head that ends before the line does: not this case.
        None => return false,
    };
    let mut depth = Depth::default();
    for &b in first_line {
        depth.feed(b);
    }
    depth.open > 0
}

/// Brace depth outside strings.
#[derive(Default)]
struct Depth {
    open: usize,
    in_string: bool,
    escaped: bool,
}

impl Depth {
    /// Takes one byte; returns whether it is inside a string (or is a string's quote).
    fn feed(&mut self, b: u8) -> bool {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return true;
        }
        match b {
            b'"' => {
                self.in_string = true;
                return true;
            }
            b'{' | b'[' => self.open += 1,
            b'}' | b']' => self.open = self.open.saturating_sub(1),
            _ => {}
        }
        false
    }
}

/// Rewrites spread documents one per line. Bytes between documents that are not whitespace
/// (a log line after an export, a damaged tail) end the reflow: from the line they are on,
/// the rest is copied as it is.
pub fn reflow(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() / 2);
    let mut depth = Depth::default();
    let mut last_end = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if depth.open == 0 && !depth.in_string {
            if b.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            if b != b'{' && b != b'[' {
                let line_start = memchr::memrchr(b'\n', &bytes[..i])
                    .map_or(0, |n| n + 1)
                    .max(last_end);
                out.extend_from_slice(&bytes[line_start..]);
                return out;
            }
        }
        let in_string = depth.feed(b);
        if in_string || !b.is_ascii_whitespace() {
            out.push(b);
        }
        if depth.open == 0 && !depth.in_string {
            out.push(b'\n');
            last_end = i + 1;
        }
        i += 1;
    }
    if depth.open > 0 {
        // An unclosed last document (a file cut short) stays a line of its own.
        out.push(b'\n');
    }
    out
}

/// Reads a whole stream (at most [`MAX_REFLOW_BYTES`]) and reflows it.
pub fn reflow_stream(mut reader: impl Read) -> io::Result<Vec<u8>> {
    let mut all = Vec::new();
    reader
        .by_ref()
        .take(MAX_REFLOW_BYTES + 1)
        .read_to_end(&mut all)?;
    if all.len() as u64 > MAX_REFLOW_BYTES {
        return Err(io::Error::other(format!(
            "a JSON document spread over lines larger than {} MiB",
            MAX_REFLOW_BYTES >> 20
        )));
    }
    Ok(reflow(&all))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_documents_go_on_one_line_each_with_strings_kept() {
        let pretty = b"{\n  \"data\": [\n    {\"traceID\": \"4bf9\", \"note\": \"a } in { text \\\" \"}\n  ]\n}\n{\n \"b\": [1, 2]\n}\n";
        assert!(is_spread_document(pretty));
        assert_eq!(
            String::from_utf8(reflow(pretty)).unwrap(),
            "{\"data\":[{\"traceID\":\"4bf9\",\"note\":\"a } in { text \\\" \"}]}\n{\"b\":[1,2]}\n"
        );
        assert!(!is_spread_document(b"{\"a\":1}\n{\"a\":2}\n"));
        assert!(!is_spread_document(b"2026-11-20 INFO {\n"));
        // What follows the documents that is not one is kept as it is, from its line on.
        assert_eq!(
            String::from_utf8(reflow(b"[\n1\n]\nplain text\n{\"x\": 1}\n")).unwrap(),
            "[1]\nplain text\n{\"x\": 1}\n"
        );
    }
}
