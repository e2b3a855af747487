//! Jaeger UI's JSON: what its "Upload JSON" loads with no backend, and what Jaeger's query
//! API answers (`{"data": [trace, …]}`). Times and durations in microseconds; tags and log
//! fields as `{"key", "type", "value"}`; every service a process (`p1`, `p2`, …).
//!
//! Jaeger UI drops spans whose `startTime` is 0 and takes a span's parent from its first
//! reference (`CHILD_OF`, or `FOLLOWS_FROM` in current versions), so every span has a start
//! and the parent always comes first.

use std::io::{self, Write};

use serde::Serialize;

use crate::render::export::{node_kind_name, span_kind, ExportSpan, ExportTrace, SpanLog};
use crate::render::json::write_value;

#[derive(Serialize)]
struct TraceDoc<'a> {
    #[serde(rename = "traceID")]
    trace_id: &'a str,
    spans: Vec<SpanDoc<'a>>,
    processes: std::collections::BTreeMap<String, ProcessDoc>,
    warnings: Option<Vec<String>>,
}

#[derive(Serialize)]
struct ProcessDoc {
    #[serde(rename = "serviceName")]
    service_name: String,
    tags: [Tag<'static>; 0],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpanDoc<'a> {
    #[serde(rename = "traceID")]
    trace_id: &'a str,
    #[serde(rename = "spanID")]
    span_id: String,
    operation_name: String,
    references: Vec<Reference<'a>>,
    flags: u8,
    start_time: i64,
    duration: i64,
    tags: Vec<Tag<'a>>,
    logs: Vec<LogDoc<'a>>,
    #[serde(rename = "processID")]
    process_id: String,
    warnings: Option<Vec<String>>,
}

#[derive(Serialize)]
struct Reference<'a> {
    #[serde(rename = "refType")]
    ref_type: &'static str,
    #[serde(rename = "traceID")]
    trace_id: &'a str,
    #[serde(rename = "spanID")]
    span_id: String,
}

#[derive(Serialize)]
struct LogDoc<'a> {
    timestamp: i64,
    fields: Vec<Tag<'a>>,
}

/// A tag or a log field.
#[derive(Serialize)]
struct Tag<'a> {
    key: &'a str,
    #[serde(flatten)]
    value: TagValue<'a>,
}

#[derive(Serialize)]
#[serde(tag = "type", content = "value")]
enum TagValue<'a> {
    #[serde(rename = "string")]
    Str(&'a str),
    #[serde(rename = "string")]
    Owned(String),
    #[serde(rename = "bool")]
    Bool(bool),
    #[serde(rename = "int64")]
    Int(i64),
    #[serde(rename = "float64")]
    Float(f64),
}

fn tag<'a>(key: &'a str, value: TagValue<'a>) -> Tag<'a> {
    Tag { key, value }
}

fn micros(ns: i64) -> i64 {
    ns.div_euclid(1_000)
}

fn ms(ns: i64) -> f64 {
    crate::render::json::ms(ns)
}

/// The tags of a span: its kind, the error flag, its status, and what tracegrep knows that
/// the format has no field for (`tracegrep.*`, docs/exports.md).
fn span_tags<'a>(span: &ExportSpan<'a>, trace: &'a ExportTrace<'_>) -> Vec<Tag<'a>> {
    let node = span.node;
    let mut tags = vec![tag(
        "span.kind",
        TagValue::Str(span_kind(span, trace.tree).1),
    )];
    if node.error {
        tags.push(tag("error", TagValue::Bool(true)));
    }
    if let Some(status) = node.status.as_deref() {
        match status.parse::<i64>() {
            Ok(code) if (100..=599).contains(&code) => {
                tags.push(tag("http.status_code", TagValue::Int(code)))
            }
            _ => tags.push(tag("tracegrep.status", TagValue::Str(status))),
        }
    }
    for (key, value) in tracegrep_attributes(span, trace) {
        tags.push(tag(key, value));
    }
    tags
}

/// What tracegrep knows of a span beyond the formats' own fields, as `tracegrep.*` tags.
fn tracegrep_attributes<'a>(
    span: &ExportSpan<'a>,
    trace: &'a ExportTrace<'_>,
) -> Vec<(&'static str, TagValue<'a>)> {
    let node = span.node;
    let mut out = Vec::new();
    if node_kind_name(node) != "logged" {
        out.push(("tracegrep.span", TagValue::Str(node_kind_name(node))));
    }
    if node.parent_inferred {
        out.push(("tracegrep.parent_inferred", TagValue::Bool(true)));
        out.push(("tracegrep.link", TagValue::Str(node.link.as_str())));
    }
    if node.follows_from {
        out.push(("tracegrep.follows_from", TagValue::Bool(true)));
    }
    if node.critical {
        out.push(("tracegrep.critical_path", TagValue::Bool(true)));
    }
    if node.shift_ns != 0 {
        out.push((
            "tracegrep.clock_shift_ms",
            TagValue::Float(ms(node.shift_ns)),
        ));
    }
    if span.timeless {
        out.push(("tracegrep.no_time", TagValue::Bool(true)));
    }
    out.push(("tracegrep.lines", TagValue::Int(node.line_count as i64)));
    if node.error_lines > 0 {
        out.push((
            "tracegrep.error_lines",
            TagValue::Int(node.error_lines as i64),
        ));
    }
    if let Some(original) = trace.original_id() {
        out.push(("tracegrep.trace_id", TagValue::Owned(original)));
    }
    out
}

/// What Jaeger UI shows beside a span as a warning: where its place in the tree is not
/// what its logs say.
fn span_warnings(span: &ExportSpan<'_>) -> Option<Vec<String>> {
    let node = span.node;
    let mut warnings = Vec::new();
    if node_kind_name(node) == "placeholder" {
        warnings.push("tracegrep: a parent named by its children's log lines; it logged nothing (a sidecar hop or an unlogged service)".to_string());
    }
    if node_kind_name(node) == "synthetic" {
        warnings.push(
            "tracegrep: the lines of this service that carry no span id, gathered into one span"
                .to_string(),
        );
    }
    if node.parent_inferred {
        warnings.push(format!(
            "tracegrep: parent inferred ({}); no line names it",
            node.link.as_str()
        ));
    }
    (!warnings.is_empty()).then_some(warnings)
}

fn log_doc<'a>(log: &'a SpanLog, span_start: i64) -> LogDoc<'a> {
    let mut fields = Vec::new();
    if let Some(m) = &log.message {
        fields.push(tag("event", TagValue::Str(m)));
    }
    if let Some(l) = log.level {
        fields.push(tag("level", TagValue::Str(l.label())));
    }
    for (k, v) in log.fields() {
        fields.push(tag(k, TagValue::Str(v)));
    }
    if let Some(s) = &log.status {
        fields.push(tag("status", TagValue::Str(s)));
    }
    if let Some(d) = log.duration_ns {
        fields.push(tag("duration_ms", TagValue::Float(ms(d))));
    }
    if let Some(s) = &log.stack {
        fields.push(tag("stack", TagValue::Str(s)));
    }
    LogDoc {
        timestamp: micros(log.time.unwrap_or(span_start)),
        fields,
    }
}

fn trace_doc<'a>(trace: &'a ExportTrace<'_>) -> TraceDoc<'a> {
    let mut process_of: Vec<String> = Vec::new();
    let mut spans = Vec::new();
    for span in trace.spans() {
        let service = &*span.service;
        let process = match process_of.iter().position(|s| s == service) {
            Some(i) => i,
            None => {
                process_of.push(service.to_string());
                process_of.len() - 1
            }
        };
        let ref_type = if span.node.follows_from {
            "FOLLOWS_FROM"
        } else {
            "CHILD_OF"
        };
        let doc = SpanDoc {
            trace_id: &trace.trace_hex,
            span_id: span.id.to_string(),
            operation_name: span.name.to_string(),
            references: span
                .parent
                .map(|p| Reference {
                    ref_type,
                    trace_id: &trace.trace_hex,
                    span_id: p.to_string(),
                })
                .into_iter()
                .collect(),
            flags: 1,
            // Jaeger UI drops a span whose start is 0.
            start_time: micros(span.start).max(1),
            duration: micros(span.end) - micros(span.start),
            tags: span_tags(&span, trace),
            logs: span.logs.iter().map(|l| log_doc(l, span.start)).collect(),
            process_id: format!("p{}", process + 1),
            warnings: span_warnings(&span),
        };
        spans.push(doc);
    }
    let processes = process_of
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            (
                format!("p{}", i + 1),
                ProcessDoc {
                    service_name: s,
                    tags: [],
                },
            )
        })
        .collect();
    TraceDoc {
        trace_id: &trace.trace_hex,
        spans,
        processes,
        warnings: None,
    }
}

/// Writes one trace object (`{"traceID", "spans", "processes"}`), on one line.
pub fn write_trace_object(out: &mut dyn Write, trace: &ExportTrace<'_>) -> io::Result<()> {
    write_value(out, &trace_doc(trace))
}

/// Writes traces as one Jaeger document, `{"data": [trace, …]}`, on one line: the traces
/// come from `next` one at a time, so a document of many traces is never all in memory.
pub struct DocumentWriter {
    first: bool,
}

impl DocumentWriter {
    /// Opens the document.
    pub fn start(out: &mut dyn Write) -> io::Result<DocumentWriter> {
        out.write_all(b"{\"data\":[")?;
        Ok(DocumentWriter { first: true })
    }

    /// Adds a trace.
    pub fn add(&mut self, out: &mut dyn Write, trace: &ExportTrace<'_>) -> io::Result<()> {
        if !self.first {
            out.write_all(b",")?;
        }
        self.first = false;
        write_trace_object(out, trace)
    }

    /// Closes the document.
    pub fn finish(self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(b"]}\n")
    }
}

/// Writes one trace as a Jaeger document.
pub fn write_jaeger(out: &mut dyn Write, trace: &ExportTrace<'_>) -> io::Result<()> {
    let mut doc = DocumentWriter::start(out)?;
    doc.add(out, trace)?;
    doc.finish(out)
}
