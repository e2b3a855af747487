//! The HTML report: one self-contained page (assets/report.html, inline CSS and JS) with the
//! report document embedded as JSON. The page builds its DOM with `textContent` only; here the
//! JSON is escaped so that no log text can close the `<script>` element that carries it.

use std::io::{self, Write};

use crate::render::report::{report_document, ReportInput};

/// The page, with a placeholder where the data goes.
const TEMPLATE: &str = include_str!("../../../assets/report.html");
/// The placeholder: valid JavaScript (`null`) in the unfilled template.
const PLACEHOLDER: &str = "/*TRACEGREP_DATA*/null";

/// Writes the HTML report.
pub fn write_html(out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
    let json = serde_json::to_string(&report_document(input, true)).map_err(io::Error::other)?;
    let (before, after) = TEMPLATE
        .split_once(PLACEHOLDER)
        .ok_or_else(|| io::Error::other("report template without its data placeholder"))?;
    out.write_all(before.as_bytes())?;
    out.write_all(script_safe(&json).as_bytes())?;
    out.write_all(after.as_bytes())
}

/// JSON that can sit inside `<script type="application/json">`: `<`, `>` and `&` as
/// `\u003c`-style escapes (no `</script>`, no `<!--`), and the two line separators that older
/// JavaScript parsers reject.
fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_cannot_close_the_script() {
        let json = serde_json::to_string("</script><img onerror=x>&").unwrap_or_default();
        let safe = script_safe(&json);
        assert!(!safe.contains('<') && !safe.contains('>'));
        assert_eq!(
            serde_json::from_str::<String>(&safe).ok().as_deref(),
            Some("</script><img onerror=x>&")
        );
        assert_eq!(TEMPLATE.matches(PLACEHOLDER).count(), 1);
    }
}
