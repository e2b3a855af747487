//! The HTML report: one self-contained page (assets/report.html, inline CSS and JS) with the
//! report document embedded as JSON. The page builds its DOM with `textContent` only; here the
//! JSON is escaped so that no log text can close the `<script>` element that carries it.

use std::io::{self, Write};

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{Map, Value};

use crate::render::report::{report_document, ReportInput};

/// The page, with a placeholder where the data goes.
const TEMPLATE: &str = include_str!("../../../assets/report.html");
/// The placeholder: valid JavaScript (`null`) in the unfilled template.
const PLACEHOLDER: &str = "/*TRACEGREP_DATA*/null";

/// Above this size the data is embedded gzipped (and base64-encoded): a 10,000-trace report
/// shrinks about tenfold.
const COMPRESS_ABOVE: usize = 1 << 20;

/// Writes the HTML report.
pub fn write_html(out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
    let json = serde_json::to_string(&page_data(input)?).map_err(io::Error::other)?;
    let embedded = if json.len() > COMPRESS_ABOVE {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(json.as_bytes())?;
        let packed = base64(&gz.finish()?);
        format!(r#"{{"encoding":"gzip+base64","payload":"{packed}"}}"#)
    } else {
        script_safe(&json)
    };
    let (before, after) = TEMPLATE
        .split_once(PLACEHOLDER)
        .ok_or_else(|| io::Error::other("report template without its data placeholder"))?;
    out.write_all(before.as_bytes())?;
    out.write_all(embedded.as_bytes())?;
    out.write_all(after.as_bytes())
}

/// The report document with each trace's spans and lines as one JSON string (`detail`): the
/// page parses the table's fields at once and a trace's detail when it is opened.
fn page_data(input: &ReportInput<'_>) -> io::Result<Value> {
    let mut doc = serde_json::to_value(report_document(input, true)).map_err(io::Error::other)?;
    if let Some(traces) = doc.get_mut("traces").and_then(Value::as_array_mut) {
        for t in traces {
            let Some(t) = t.as_object_mut() else { continue };
            t.remove("schema");
            t.remove("schema_version");
            let mut detail = Map::new();
            for key in ["spans", "missing_spans", "logs"] {
                let mut value = t.remove(key).unwrap_or(Value::Null);
                for item in value.as_array_mut().into_iter().flatten() {
                    if let Some(fields) = item.as_object_mut() {
                        // The page reads a missing key as null or false: a third less to load.
                        fields.retain(|_, v| !matches!(v, Value::Null | Value::Bool(false)));
                    }
                }
                detail.insert(key.to_string(), value);
            }
            t.insert(
                "detail".to_string(),
                Value::String(Value::Object(detail).to_string()),
            );
        }
    }
    Ok(doc)
}

/// Standard base64 with padding (RFC 4648), for the gzipped data.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
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

    #[test]
    fn base64_matches_rfc_4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }
}
