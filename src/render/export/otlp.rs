//! OTLP/JSON: `{"resourceSpans": […]}` objects, as the OpenTelemetry Collector's
//! `otlpjsonfile` receiver and `otel-tui --from-json-file` read them (one per line) and as an
//! OTLP/HTTP receiver takes them (one per request).
//!
//! The protobuf JSON mapping: lowerCamelCase names, ids as hex, enums as numbers, 64-bit
//! integers as decimal strings. Each service is a resource (`service.name`); each log line is
//! an event of its span. A [`Batcher`] packs spans into objects of at most a given size,
//! cutting a large trace across several; a span too large alone keeps its first events and
//! counts the rest in `droppedEventsCount`.

use std::io::{self, Write};

use serde::Serialize;

use crate::render::export::{node_kind_name, span_kind, ExportSpan, ExportTrace, SpanLog};
use crate::render::json::write_value;

/// The largest object written on one line of a file: the Collector's `otlpjsonfile` receiver
/// and other line readers cap a line at 1 MiB, so a line stays under it with room to spare.
pub const MAX_LINE_BYTES: usize = 1 << 20;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpanDoc<'a> {
    trace_id: &'a str,
    span_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_span_id: Option<String>,
    flags: u32,
    name: &'a str,
    kind: u8,
    start_time_unix_nano: String,
    end_time_unix_nano: String,
    attributes: Vec<KeyValue<'a>>,
    events: Vec<EventDoc<'a>>,
    #[serde(skip_serializing_if = "is_zero")]
    dropped_events_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<StatusDoc<'a>>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventDoc<'a> {
    time_unix_nano: String,
    name: &'a str,
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Serialize)]
struct StatusDoc<'a> {
    code: u8,
    #[serde(skip_serializing_if = "str::is_empty")]
    message: &'a str,
}

#[derive(Serialize)]
struct KeyValue<'a> {
    key: &'a str,
    value: AnyValue<'a>,
}

/// OTLP's `AnyValue`, in its JSON form (`{"stringValue": "…"}`).
#[derive(Serialize)]
enum AnyValue<'a> {
    #[serde(rename = "stringValue")]
    Str(&'a str),
    #[serde(rename = "stringValue")]
    Owned(String),
    #[serde(rename = "boolValue")]
    Bool(bool),
    /// 64-bit integers are strings in the JSON mapping.
    #[serde(rename = "intValue")]
    Int(String),
    #[serde(rename = "doubleValue")]
    Double(f64),
}

fn kv<'a>(key: &'a str, value: AnyValue<'a>) -> KeyValue<'a> {
    KeyValue { key, value }
}

fn int(n: i64) -> AnyValue<'static> {
    AnyValue::Int(n.to_string())
}

fn nanos_text(ns: i64) -> String {
    ns.max(0).to_string()
}

fn span_attributes<'a>(span: &ExportSpan<'a>, trace: &'a ExportTrace<'_>) -> Vec<KeyValue<'a>> {
    let node = span.node;
    let mut out = Vec::new();
    if let Some(status) = node.status.as_deref() {
        match status.parse::<i64>() {
            Ok(code) if (100..=599).contains(&code) => {
                out.push(kv("http.response.status_code", int(code)))
            }
            _ => out.push(kv("tracegrep.status", AnyValue::Str(status))),
        }
    }
    if node_kind_name(node) != "logged" {
        out.push(kv("tracegrep.span", AnyValue::Str(node_kind_name(node))));
    }
    if node.parent_inferred {
        out.push(kv("tracegrep.parent_inferred", AnyValue::Bool(true)));
        out.push(kv("tracegrep.link", AnyValue::Str(node.link.as_str())));
    }
    if node.follows_from {
        out.push(kv("tracegrep.follows_from", AnyValue::Bool(true)));
    }
    if node.critical {
        out.push(kv("tracegrep.critical_path", AnyValue::Bool(true)));
    }
    if node.shift_ns != 0 {
        out.push(kv(
            "tracegrep.clock_shift_ms",
            AnyValue::Double(crate::render::json::ms(node.shift_ns)),
        ));
    }
    if span.timeless {
        out.push(kv("tracegrep.no_time", AnyValue::Bool(true)));
    }
    out.push(kv("tracegrep.lines", int(node.line_count as i64)));
    if node.error_lines > 0 {
        out.push(kv("tracegrep.error_lines", int(node.error_lines as i64)));
    }
    if let Some(original) = trace.original_id() {
        out.push(kv("tracegrep.trace_id", AnyValue::Owned(original)));
    }
    out
}

fn event_doc<'a>(log: &'a SpanLog, span_start: i64) -> EventDoc<'a> {
    let mut attributes = Vec::new();
    if let Some(l) = log.level {
        attributes.push(kv("level", AnyValue::Str(l.label())));
    }
    for (k, v) in log.fields() {
        attributes.push(kv(k, AnyValue::Str(v)));
    }
    if let Some(s) = &log.status {
        attributes.push(kv("status", AnyValue::Str(s)));
    }
    if let Some(d) = log.duration_ns {
        attributes.push(kv(
            "duration_ms",
            AnyValue::Double(crate::render::json::ms(d)),
        ));
    }
    if let Some(s) = &log.stack {
        attributes.push(kv("exception.stacktrace", AnyValue::Str(s)));
    }
    EventDoc {
        time_unix_nano: nanos_text(log.time.unwrap_or(span_start)),
        name: log.message.as_deref().unwrap_or("log"),
        attributes,
    }
}

/// One span as JSON, with its first `events` log lines (the rest counted as dropped).
fn span_json(span: &ExportSpan<'_>, trace: &ExportTrace<'_>, events: usize) -> Vec<u8> {
    let node = span.node;
    let kept = events.min(span.logs.len());
    // The status message: the span's status, else its first error line.
    let error_message = node.status.as_deref().unwrap_or_else(|| {
        span.logs
            .iter()
            .find(|l| {
                l.level
                    .is_some_and(|l| l >= crate::records::level::Level::Error)
            })
            .and_then(|l| l.message.as_deref())
            .unwrap_or("")
    });
    let doc = SpanDoc {
        trace_id: &trace.trace_hex,
        span_id: span.id.to_string(),
        parent_span_id: span.parent.map(|p| p.to_string()),
        // W3C sampled.
        flags: 1,
        name: &span.name,
        kind: span_kind(span, trace.tree).0,
        start_time_unix_nano: nanos_text(span.start),
        end_time_unix_nano: nanos_text(span.end),
        attributes: span_attributes(span, trace),
        events: span.logs[..kept]
            .iter()
            .map(|l| event_doc(l, span.start))
            .collect(),
        dropped_events_count: u32::try_from(span.logs.len() - kept).unwrap_or(u32::MAX),
        status: node.error.then_some(StatusDoc {
            code: 2,
            message: error_message,
        }),
    };
    let mut bytes = Vec::new();
    // Writing to memory fails only on a serialiser bug; an empty span would then be skipped.
    if write_value(&mut bytes, &doc).is_err() {
        bytes.clear();
    }
    bytes
}

/// Bytes of a line besides its spans: the wrapper, and per service its resource and scope.
const LINE_OVERHEAD: usize = 32;
const SERVICE_OVERHEAD: usize = 192;

/// The JSON of one span no larger than `max` bytes: with all its events when it fits, else
/// with as many of the first as fit.
fn fitting_span_json(span: &ExportSpan<'_>, trace: &ExportTrace<'_>, max: usize) -> Vec<u8> {
    let whole = span_json(span, trace, usize::MAX);
    if whole.len() <= max {
        return whole;
    }
    // Halve the events until it fits, then grow back by bisection.
    let (mut fits, mut too_many) = (0usize, span.logs.len());
    while fits + 1 < too_many {
        let mid = fits + (too_many - fits) / 2;
        if span_json(span, trace, mid).len() <= max {
            fits = mid;
        } else {
            too_many = mid;
        }
    }
    span_json(span, trace, fits)
}

/// Packs spans into `{"resourceSpans": […]}` objects of at most `max` bytes, grouped by
/// service within each object, and hands each finished object to a sink.
pub struct Batcher {
    max: usize,
    /// Services of the object being filled, in order met, with their spans' JSON.
    groups: Vec<(String, Vec<u8>)>,
    size: usize,
    spans: usize,
}

impl Batcher {
    /// A batcher of objects up to `max` bytes.
    pub fn new(max: usize) -> Batcher {
        Batcher {
            max,
            groups: Vec::new(),
            size: LINE_OVERHEAD,
            spans: 0,
        }
    }

    /// Adds the spans of a trace; objects that fill up go to `sink` with their span count.
    pub fn add_trace(
        &mut self,
        trace: &ExportTrace<'_>,
        sink: &mut dyn FnMut(&[u8], usize) -> io::Result<()>,
    ) -> io::Result<()> {
        for span in trace.spans() {
            let service = &*span.service;
            let room = self
                .max
                .saturating_sub(LINE_OVERHEAD + SERVICE_OVERHEAD + service.len() * 6);
            let json = fitting_span_json(&span, trace, room);
            if json.is_empty() {
                continue;
            }
            let grows = |groups: &[(String, Vec<u8>)]| {
                let new_service = !groups.iter().any(|(s, _)| s == service);
                json.len() + 1 + usize::from(new_service) * (SERVICE_OVERHEAD + service.len() * 6)
            };
            if self.spans > 0 && self.size + grows(&self.groups) > self.max {
                self.flush(sink)?;
            }
            self.size += grows(&self.groups);
            match self.groups.iter_mut().find(|(s, _)| s == service) {
                Some((_, spans)) => {
                    spans.push(b',');
                    spans.extend_from_slice(&json);
                }
                None => self.groups.push((service.to_string(), json)),
            }
            self.spans += 1;
        }
        Ok(())
    }

    /// Hands the object being filled, if any, to `sink`.
    pub fn flush(
        &mut self,
        sink: &mut dyn FnMut(&[u8], usize) -> io::Result<()>,
    ) -> io::Result<()> {
        if self.spans == 0 {
            return Ok(());
        }
        let mut out = Vec::with_capacity(self.size);
        out.extend_from_slice(b"{\"resourceSpans\":[");
        for (i, (service, spans)) in self.groups.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"resource\":{\"attributes\":[");
            write_value(
                &mut out,
                &kv("service.name", AnyValue::Str(service.as_str())),
            )?;
            out.extend_from_slice(
                b"]},\"scopeSpans\":[{\"scope\":{\"name\":\"tracegrep\",\"version\":\"",
            );
            out.extend_from_slice(env!("CARGO_PKG_VERSION").as_bytes());
            out.extend_from_slice(b"\"},\"spans\":[");
            out.extend_from_slice(spans);
            out.extend_from_slice(b"]}]}");
        }
        out.extend_from_slice(b"]}");
        let spans = self.spans;
        self.groups.clear();
        self.size = LINE_OVERHEAD;
        self.spans = 0;
        sink(&out, spans)
    }
}

/// Writes a trace as OTLP/JSON lines: one line, or as many as it takes to keep each under
/// [`MAX_LINE_BYTES`].
pub fn write_otlp(out: &mut dyn Write, trace: &ExportTrace<'_>) -> io::Result<()> {
    let mut batcher = Batcher::new(MAX_LINE_BYTES - 1);
    let mut sink = |line: &[u8], _spans: usize| {
        out.write_all(line)?;
        out.write_all(b"\n")
    };
    batcher.add_trace(trace, &mut sink)?;
    batcher.flush(&mut sink)
}
