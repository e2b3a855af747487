//! The HTML report: one self-contained page (assets/report.html, inline CSS and JS) with its
//! data embedded as JSON. The page builds its DOM with `textContent` only; here the JSON is
//! escaped so that no log text can close the `<script>` element that carries it.
//!
//! The data is written as it is serialised, never held whole: the table's fields of every
//! trace, and the spans and log lines (the `detail`) of the worst [`DETAILED_TRACES`] only,
//! which is what the page can show. Past [`COMPRESS_ABOVE`] bytes it goes through gzip and
//! base64 on its way out, so memory stays flat however many traces the report lists.

use std::io::{self, Write};

use flate2::write::GzEncoder;
use flate2::Compression;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::records::time::format_rfc3339_micros;
use crate::render::json::{
    lines_by_service, missing_span_reports, ms, span_reports, write_value, SCHEMA_VERSION,
};
use crate::render::report::{
    gate_failures, log_entry, sample_entry, ReportInput, SCHEMA as REPORT_SCHEMA,
};
use crate::traces::summary::Row;

/// The page, with a placeholder where the data goes.
const TEMPLATE: &str = include_str!("../../../assets/report.html");
/// The placeholder: valid JavaScript (`null`) in the unfilled template.
const PLACEHOLDER: &str = "/*TRACEGREP_DATA*/null";

/// Above this size the data is embedded gzipped (and base64-encoded): a 10,000-trace report
/// shrinks about tenfold.
const COMPRESS_ABOVE: usize = 1 << 20;

/// Traces whose spans and log lines the page embeds, worst first (failed gates, errors, the
/// slowest); the others are rows of the table. Their spans are what made the report of 73,000
/// traces take 4 GB; a thousand waterfalls are more than anyone opens from one CI run.
pub const DETAILED_TRACES: usize = 1_000;

/// Writes the HTML report.
pub fn write_html(out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
    let (before, after) = TEMPLATE
        .split_once(PLACEHOLDER)
        .ok_or_else(|| io::Error::other("report template without its data placeholder"))?;
    out.write_all(before.as_bytes())?;
    let mut data = DataWriter::Plain(Vec::new(), out);
    write_page_data(&mut data, input)?;
    data.finish()?;
    out.write_all(after.as_bytes())
}

/// A trace as the page's table reads it; `detail` (the spans and lines, as a JSON string the
/// page parses when the trace is opened) only for the worst traces.
#[derive(Serialize)]
struct PageTrace<'a> {
    trace_id: String,
    start: Option<String>,
    end: Option<String>,
    duration_ms: Option<f64>,
    services: &'a [String],
    span_count: usize,
    lines: u64,
    error_lines: u64,
    failed_spans: usize,
    root_service: Option<&'a str>,
    root_name: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    failures: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

/// The page's data: the report's header fields, then the traces one by one.
fn write_page_data(out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
    let mut detailed = vec![false; input.traces.len()];
    for &i in input.worst().iter().take(DETAILED_TRACES) {
        detailed[i] = true;
    }
    write!(
        out,
        "{{\"schema\":\"{REPORT_SCHEMA}\",\"schema_version\":{SCHEMA_VERSION},\"generated_by\":"
    )?;
    write_value(out, &format!("tracegrep {}", env!("CARGO_PKG_VERSION")))?;
    out.write_all(b",\"input\":")?;
    write_value(out, &input.input)?;
    write!(out, ",\"detailed_traces\":{DETAILED_TRACES},\"summary\":")?;
    write_value(out, &input.totals())?;
    out.write_all(b",\"gates\":")?;
    write_value(out, &gate_failures(input))?;
    if let Some(c) = input.baseline {
        out.write_all(b",\"baseline\":")?;
        write_value(out, &crate::render::report::baseline::report(c))?;
    }
    out.write_all(b",\"traces\":[")?;
    for (i, t) in input.traces.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        let entry = PageTrace {
            trace_id: t.id.to_string(),
            start: t.start.map(format_rfc3339_micros),
            end: t.end.map(format_rfc3339_micros),
            duration_ms: t.duration_ns().map(ms),
            services: &t.services,
            span_count: t.span_count,
            lines: t.lines,
            error_lines: t.error_lines,
            failed_spans: t.failed_spans,
            root_service: t.root_service.as_deref(),
            root_name: t.root_name.as_deref(),
            failures: input.failures(i),
            detail: if detailed[i] {
                Some(detail(input, i, t)?)
            } else {
                None
            },
        };
        write_value(out, &entry)?;
    }
    out.write_all(b"]}")
}

/// The spans, missing parents, log lines and lines per service of trace `i`, as JSON text.
/// Built as a value to drop the nulls and falses the page reads as missing (a third less to
/// load); one trace at a time, so that costs a trace's worth of memory.
fn detail(input: &ReportInput<'_>, i: usize, t: &Row) -> io::Result<String> {
    let logs: Vec<_> = match input.logs {
        Some((logs, names)) => logs
            .get(i)
            .map(|lines| lines.iter().map(|l| log_entry(l, t.start, names)).collect())
            .unwrap_or_default(),
        // Without a second read (stdin), the error lines are what there is.
        None => t
            .error_samples
            .iter()
            .map(|e| sample_entry(e, t.start))
            .collect(),
    };
    let mut detail = Map::new();
    let parts = [
        ("spans", serde_json::to_value(span_reports(t.tree()))),
        (
            "missing_spans",
            serde_json::to_value(missing_span_reports(t.tree())),
        ),
        ("logs", serde_json::to_value(logs)),
        (
            "lines_by_service",
            serde_json::to_value(lines_by_service(t.tree())),
        ),
    ];
    for (key, value) in parts {
        let mut value = value.map_err(io::Error::other)?;
        for item in value.as_array_mut().into_iter().flatten() {
            if let Some(fields) = item.as_object_mut() {
                // The page reads a missing key as null or false.
                fields.retain(|_, v| !matches!(v, Value::Null | Value::Bool(false)));
            }
        }
        detail.insert(key.to_string(), value);
    }
    let mut text = Vec::new();
    write_value(&mut text, &Value::Object(detail))?;
    // write_value writes valid UTF-8 (serde_json only writes `str`s).
    String::from_utf8(text).map_err(io::Error::other)
}

/// Where the data goes: held in memory while it is small (then written as script-safe JSON),
/// and once it outgrows [`COMPRESS_ABOVE`], streamed through gzip and base64 to the page.
enum DataWriter<'w> {
    Plain(Vec<u8>, &'w mut dyn Write),
    Packed(Box<GzEncoder<Base64Writer<&'w mut dyn Write>>>),
    /// Between the two (never seen by a caller).
    Switching,
}

impl DataWriter<'_> {
    /// Writes what is held, or ends the gzip stream and the payload's string.
    fn finish(self) -> io::Result<()> {
        match self {
            DataWriter::Plain(held, out) => out.write_all(script_safe(&held).as_bytes()),
            DataWriter::Packed(gz) => {
                let out = gz.finish()?.finish()?;
                out.write_all(b"\"}")
            }
            DataWriter::Switching => Ok(()),
        }
    }
}

impl Write for DataWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            DataWriter::Plain(held, _) if held.len() + buf.len() <= COMPRESS_ABOVE => {
                held.extend_from_slice(buf);
                Ok(())
            }
            DataWriter::Plain(..) => {
                let DataWriter::Plain(held, out) = std::mem::replace(self, DataWriter::Switching)
                else {
                    unreachable!("matched as Plain just above")
                };
                out.write_all(br#"{"encoding":"gzip+base64","payload":""#)?;
                let mut gz = GzEncoder::new(Base64Writer::new(out), Compression::default());
                gz.write_all(&held)?;
                gz.write_all(buf)?;
                *self = DataWriter::Packed(Box::new(gz));
                Ok(())
            }
            DataWriter::Packed(gz) => gz.write_all(buf),
            DataWriter::Switching => Err(io::Error::other("report data written after a failure")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Standard base64 with padding (RFC 4648), encoded as the bytes arrive.
struct Base64Writer<W: Write> {
    out: W,
    /// Up to two bytes of an unfinished group of three.
    pending: Vec<u8>,
    text: Vec<u8>,
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

impl<W: Write> Base64Writer<W> {
    fn new(out: W) -> Base64Writer<W> {
        Base64Writer {
            out,
            pending: Vec::with_capacity(3),
            text: Vec::new(),
        }
    }

    /// Encodes one group of one to three bytes (padded with `=`) into `text`.
    fn group(text: &mut Vec<u8>, chunk: &[u8]) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            text.push(if i <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * i)) as usize & 63]
            } else {
                b'='
            });
        }
    }

    /// Writes the last, padded group; returns the writer underneath.
    fn finish(mut self) -> io::Result<W> {
        if !self.pending.is_empty() {
            let mut text = Vec::with_capacity(4);
            Self::group(&mut text, &self.pending);
            self.out.write_all(&text)?;
        }
        Ok(self.out)
    }
}

impl<W: Write> Write for Base64Writer<W> {
    fn write(&mut self, mut buf: &[u8]) -> io::Result<usize> {
        let len = buf.len();
        while !self.pending.is_empty() && self.pending.len() < 3 && !buf.is_empty() {
            self.pending.push(buf[0]);
            buf = &buf[1..];
        }
        self.text.clear();
        if self.pending.len() == 3 {
            Self::group(&mut self.text, &self.pending);
            self.pending.clear();
        }
        let whole = buf.len() / 3 * 3;
        for chunk in buf[..whole].chunks(3) {
            Self::group(&mut self.text, chunk);
        }
        self.pending.extend_from_slice(&buf[whole..]);
        self.out.write_all(&self.text)?;
        Ok(len)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// JSON that can sit inside `<script type="application/json">`: `<`, `>` and `&` as
/// `\u003c`-style escapes (no `</script>`, no `<!--`), and the two line separators that older
/// JavaScript parsers reject.
fn script_safe(json: &[u8]) -> String {
    let json = String::from_utf8_lossy(json);
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
        let safe = script_safe(json.as_bytes());
        assert!(!safe.contains('<') && !safe.contains('>'));
        assert_eq!(
            serde_json::from_str::<String>(&safe).ok().as_deref(),
            Some("</script><img onerror=x>&")
        );
        assert_eq!(TEMPLATE.matches(PLACEHOLDER).count(), 1);
    }

    fn base64(bytes: &[u8], pieces: usize) -> String {
        let mut w = Base64Writer::new(Vec::new());
        for piece in bytes.chunks(pieces.max(1)) {
            w.write_all(piece).unwrap_or_default();
        }
        String::from_utf8(w.finish().unwrap_or_default()).unwrap_or_default()
    }

    #[test]
    fn base64_matches_rfc_4648_however_the_bytes_arrive() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            ("foobarbazqux!", "Zm9vYmFyYmF6cXV4IQ=="),
        ] {
            for pieces in [1, 2, 3, 4, 100] {
                assert_eq!(
                    base64(plain.as_bytes(), pieces),
                    encoded,
                    "{plain} by {pieces}"
                );
            }
        }
    }

    #[test]
    fn big_data_is_packed_small_data_is_not() {
        let mut page = Vec::new();
        let mut w = DataWriter::Plain(Vec::new(), &mut page);
        w.write_all(b"{\"a\":\"<\"}").unwrap_or_default();
        w.finish().unwrap_or_default();
        assert_eq!(page, br#"{"a":"\u003c"}"#);

        let mut page = Vec::new();
        let mut w = DataWriter::Plain(Vec::new(), &mut page);
        let chunk = vec![b'x'; 4096];
        for _ in 0..(COMPRESS_ABOVE / 4096 + 2) {
            w.write_all(&chunk).unwrap_or_default();
        }
        w.finish().unwrap_or_default();
        let page = String::from_utf8(page).unwrap_or_default();
        assert!(page.starts_with(r#"{"encoding":"gzip+base64","payload":""#));
        assert!(
            page.ends_with("\"}") && page.len() < 100_000,
            "{}",
            page.len()
        );
    }
}
