//! The JSON format: one document per trace, schema `tracegrep.trace` version 1.
//!
//! The document is built from report types of its own, so refactoring the internal types
//! cannot change the public schema. `docs/json-schema.md` describes every field.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::records::time::format_rfc3339_micros;
use crate::records::Record;
use crate::render::parallel::write_in_parallel;
use crate::render::sanitize::is_unsafe;
use crate::traces::summary::{request_duration_ns, root_of, Row, TraceSummary};
use crate::traces::tree::{SpanKind, SpanNode, SpanTree};
use crate::traces::{Trace, UNKNOWN_SERVICE};

/// The schema name written in every document.
pub const SCHEMA: &str = "tracegrep.trace";
/// The schema version; bumped only for changes that break readers.
pub const SCHEMA_VERSION: u32 = 1;

/// Writes `value` as compact JSON, as serde_json does, except that the characters a terminal
/// would act on or that reorder what a reader sees (C1 controls such as U+009B, bidi overrides,
/// line separators) are written as `\uXXXX` escapes. The document means the same; its bytes
/// are only safer to print. (serde_json already escapes C0 controls.)
pub fn write_value<W: Write + ?Sized, T: Serialize + ?Sized>(
    out: &mut W,
    value: &T,
) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, SafeFormatter);
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// serde_json's compact formatter with [`is_unsafe`] characters escaped in strings.
struct SafeFormatter;

impl serde_json::ser::Formatter for SafeFormatter {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if fragment.is_ascii() {
            return writer.write_all(fragment.as_bytes());
        }
        let mut from = 0;
        for (at, c) in fragment.char_indices() {
            if is_unsafe(c) {
                writer.write_all(&fragment.as_bytes()[from..at])?;
                for unit in c.encode_utf16(&mut [0; 2]) {
                    write!(writer, "\\u{unit:04x}")?;
                }
                from = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[from..])
    }
}

#[derive(Serialize)]
struct TraceReport<'a> {
    schema: &'static str,
    schema_version: u32,
    trace_id: String,
    start: Option<String>,
    end: Option<String>,
    duration_ms: Option<f64>,
    request_duration_ms: Option<f64>,
    root_span_id: Option<String>,
    services: &'a [String],
    span_count: usize,
    lines: usize,
    error_lines: usize,
    failed_spans: usize,
    lines_by_service: &'a BTreeMap<String, usize>,
    spans: Vec<SpanReport<'a>>,
    missing_spans: Vec<MissingSpanReport>,
    logs: Vec<LogReport<'a>>,
}

/// A span of a trace document.
#[derive(Serialize)]
pub(crate) struct SpanReport<'a> {
    span_id: Option<String>,
    parent_span_id: Option<String>,
    inferred_parent_span_id: Option<String>,
    link: &'static str,
    follows_from: bool,
    kind: &'static str,
    service: &'a str,
    name: &'a str,
    start: Option<String>,
    duration_ms: Option<f64>,
    self_ms: Option<f64>,
    clock_shift_ms: f64,
    error: bool,
    error_lines: usize,
    status: Option<&'a str>,
    critical_path: bool,
    starts_before_parent: bool,
    depth: usize,
    lines: usize,
}

/// A parent named by lines but absent from the logs (a sidecar hop, an unlogged service).
#[derive(Serialize)]
pub(crate) struct MissingSpanReport {
    span_id: String,
    inferred_parent_span_id: Option<String>,
    start: Option<String>,
    duration_ms: Option<f64>,
    children: usize,
}

#[derive(Serialize)]
struct LogReport<'a> {
    time: Option<String>,
    offset_ms: Option<f64>,
    service: &'a str,
    level: Option<&'static str>,
    message: Option<&'a str>,
    span_id: Option<String>,
    parent_span_id: Option<String>,
    status: Option<&'a str>,
    duration_ms: Option<f64>,
    source: &'a str,
    byte_offset: u64,
    continuation: Vec<String>,
}

pub(crate) fn ms(ns: i64) -> f64 {
    // Microsecond precision: enough for every log and stable in text.
    (ns as f64 / 1_000.0).round() / 1_000.0
}

/// The id of the span a node was placed under, where no line names its parent.
fn inferred_parent(node: &SpanNode, nodes: &[SpanNode]) -> Option<String> {
    node.parent
        .filter(|_| node.parent_inferred)
        .and_then(|p| nodes[p].id)
        .map(|i| i.to_string())
}

fn span_report<'a>(node: &'a SpanNode, nodes: &[SpanNode]) -> SpanReport<'a> {
    SpanReport {
        span_id: node.id.map(|i| i.to_string()),
        parent_span_id: node.parent_id.map(|i| i.to_string()),
        inferred_parent_span_id: inferred_parent(node, nodes),
        link: node.link.as_str(),
        follows_from: node.follows_from,
        kind: match node.kind {
            SpanKind::Logged => "logged",
            SpanKind::Placeholder => "placeholder",
            SpanKind::Synthetic => "synthetic",
        },
        service: &node.service,
        name: &node.name,
        // As logged: the clock correction is given apart.
        start: node
            .start
            .map(|t| format_rfc3339_micros(t.saturating_sub(node.shift_ns))),
        duration_ms: node.duration_ns().map(ms),
        self_ms: node.self_ns.map(ms),
        clock_shift_ms: ms(node.shift_ns),
        error: node.error,
        error_lines: node.error_lines,
        status: node.status.as_deref(),
        critical_path: node.critical,
        starts_before_parent: node.starts_before_parent,
        depth: node.depth,
        lines: node.line_count,
    }
}

/// The spans that logged something, in display order.
pub(crate) fn span_reports(tree: &SpanTree) -> Vec<SpanReport<'_>> {
    tree.order
        .iter()
        .map(|&i| &tree.nodes[i])
        .filter(|n| n.kind != SpanKind::Placeholder)
        .map(|n| span_report(n, &tree.nodes))
        .collect()
}

/// The parents named but never logged.
pub(crate) fn missing_span_reports(tree: &SpanTree) -> Vec<MissingSpanReport> {
    tree.order
        .iter()
        .map(|&i| &tree.nodes[i])
        .filter(|n| n.kind == SpanKind::Placeholder)
        .map(|n| MissingSpanReport {
            span_id: n.id.map(|i| i.to_string()).unwrap_or_default(),
            inferred_parent_span_id: inferred_parent(n, &tree.nodes),
            start: n.start.map(format_rfc3339_micros),
            duration_ms: n.duration_ns().map(ms),
            children: n.children.len(),
        })
        .collect()
}

fn log_report<'a>(r: &'a Record, t0: Option<i64>, names: &'a [String]) -> LogReport<'a> {
    LogReport {
        time: r.time.map(format_rfc3339_micros),
        offset_ms: r.time.zip(t0).map(|(t, t0)| ms(t - t0)),
        service: r.service.as_deref().unwrap_or(UNKNOWN_SERVICE),
        level: r.level.map(|l| l.label()),
        message: r.message.as_deref(),
        span_id: r.span.map(|s| s.to_string()),
        parent_span_id: r.parent.map(|s| s.to_string()),
        status: r.status.as_deref(),
        duration_ms: r.duration_ns.map(ms),
        source: names.get(r.line.source as usize).map_or("", String::as_str),
        byte_offset: r.line.offset,
        continuation: r
            .continuation
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect(),
    }
}

/// Writes one trace as one line of JSON.
pub fn write_json(out: &mut dyn Write, trace: &Trace, names: &[String]) -> io::Result<()> {
    let s = &trace.stats;
    let report = TraceReport {
        schema: SCHEMA,
        schema_version: SCHEMA_VERSION,
        trace_id: trace.id.to_string(),
        start: s.start.map(format_rfc3339_micros),
        end: s.end.map(format_rfc3339_micros),
        duration_ms: s.duration_ns().map(ms),
        request_duration_ms: request_duration_ns(&trace.tree).map(ms),
        root_span_id: root_of(&trace.tree)
            .and_then(|n| n.id)
            .map(|i| i.to_string()),
        services: &s.services,
        span_count: trace.tree.span_count(),
        lines: trace.records.len(),
        error_lines: s.error_lines,
        failed_spans: s.failed_spans,
        lines_by_service: &s.lines_by_service,
        spans: span_reports(&trace.tree),
        missing_spans: missing_span_reports(&trace.tree),
        logs: trace
            .records
            .iter()
            .map(|r| log_report(r, s.start, names))
            .collect(),
    };
    write_value(out, &report)?;
    out.write_all(b"\n")
}

/// A trace from a view of all traces: the trace document without its `logs`.
#[derive(Serialize)]
pub(crate) struct SummaryReport<'a> {
    schema: &'static str,
    schema_version: u32,
    trace_id: String,
    start: Option<String>,
    end: Option<String>,
    duration_ms: Option<f64>,
    request_duration_ms: Option<f64>,
    root_span_id: Option<String>,
    correlation_id: Option<&'a str>,
    services: &'a [String],
    span_count: usize,
    lines: u64,
    error_lines: u64,
    failed_spans: usize,
    lines_by_service: BTreeMap<&'a str, usize>,
    root_service: Option<&'a str>,
    root_name: Option<&'a str>,
    root_status: Option<&'a str>,
    failed: bool,
    first_error: Option<FirstErrorReport<'a>>,
    spans: Vec<SpanReport<'a>>,
    missing_spans: Vec<MissingSpanReport>,
    /// Present only when completeness was checked (`--expect-services`,
    /// `--fail-on-incomplete`), so documents without those flags stay as they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    complete: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    missing_services: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context_lost: Option<&'a BTreeMap<String, u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    broken_propagation: Option<&'a [String]>,
}

/// The earliest error line of a trace, in a summary document.
#[derive(Serialize)]
struct FirstErrorReport<'a> {
    time: Option<String>,
    service: &'a str,
    level: &'static str,
    message: &'a str,
    span_id: Option<String>,
}

/// Lines per service, counted over the spans that logged.
pub(crate) fn lines_by_service(tree: &SpanTree) -> BTreeMap<&str, usize> {
    let mut lines = BTreeMap::new();
    for n in tree
        .nodes
        .iter()
        .filter(|n| n.kind != SpanKind::Placeholder)
    {
        *lines.entry(n.service.as_str()).or_insert(0) += n.line_count;
    }
    lines
}

pub(crate) fn summary_report(t: &TraceSummary) -> SummaryReport<'_> {
    let lines_by_service = lines_by_service(t.tree());
    SummaryReport {
        schema: SCHEMA,
        schema_version: SCHEMA_VERSION,
        trace_id: t.id.to_string(),
        start: t.start.map(format_rfc3339_micros),
        end: t.end.map(format_rfc3339_micros),
        duration_ms: t.extent_ns().map(ms),
        request_duration_ms: t.request_ns.map(ms),
        root_span_id: t.root_span.map(|i| i.to_string()),
        correlation_id: t.correlation.as_deref(),
        services: &t.services,
        span_count: t.span_count,
        lines: t.lines,
        error_lines: t.error_lines,
        failed_spans: t.failed_spans,
        lines_by_service,
        root_service: t.root_service.as_deref(),
        root_name: t.root_name.as_deref(),
        root_status: t.root_status.as_deref(),
        failed: t.failed(),
        first_error: t.first_error().map(|e| FirstErrorReport {
            time: e.time.map(format_rfc3339_micros),
            service: &e.service,
            level: e.level.label(),
            message: &e.message,
            span_id: e.span.map(|s| s.to_string()),
        }),
        spans: span_reports(t.tree()),
        missing_spans: missing_span_reports(t.tree()),
        complete: t.incomplete.as_ref().map(|f| f.is_complete()),
        missing_services: t.incomplete.as_ref().map(|f| f.missing_services.as_slice()),
        context_lost: t.incomplete.as_ref().map(|f| &f.context_lost),
        broken_propagation: t.incomplete.as_ref().map(|f| f.propagation.as_slice()),
    }
}

/// Writes traces as JSON Lines: one trace document (without `logs`) per line.
pub fn write_summaries_jsonl(out: &mut dyn Write, traces: &[Row]) -> io::Result<()> {
    write_rows_jsonl(out, traces, |t| Cow::Borrowed(&**t))
}

/// Writes traces as one JSON document: `{"schema": "tracegrep.traces", "traces": [...]}`.
pub fn write_summaries_json(out: &mut dyn Write, traces: &[Row]) -> io::Result<()> {
    write_rows_json(out, traces, |t| Cow::Borrowed(&**t))
}

/// [`write_summaries_jsonl`] of the rows `row` makes from `items`, one task's at a time.
pub fn write_rows_jsonl<T: Sync>(
    out: &mut dyn Write,
    items: &[T],
    row: impl Fn(&T) -> Cow<'_, TraceSummary> + Sync,
) -> io::Result<()> {
    write_documents(out, items, b"\n", row)?;
    if !items.is_empty() {
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// [`write_summaries_json`] of the rows `row` makes from `items`, one task's at a time.
pub fn write_rows_json<T: Sync>(
    out: &mut dyn Write,
    items: &[T],
    row: impl Fn(&T) -> Cow<'_, TraceSummary> + Sync,
) -> io::Result<()> {
    // Written piece by piece rather than as one serialised value, so the documents of a
    // million traces are never all in memory; the bytes are what serde_json would write.
    write!(
        out,
        "{{\"schema\":\"tracegrep.traces\",\"schema_version\":{SCHEMA_VERSION},\"traces\":["
    )?;
    write_documents(out, items, b",", row)?;
    out.write_all(b"]}\n")
}

/// Documents serialised per task (see [`write_in_parallel`]).
const ROWS_PER_TASK: usize = 512;

/// Writes the trace documents of the rows `row` makes of `items`, separated by `separator`.
fn write_documents<T: Sync>(
    out: &mut dyn Write,
    items: &[T],
    separator: &[u8],
    row: impl Fn(&T) -> Cow<'_, TraceSummary> + Sync,
) -> io::Result<()> {
    write_in_parallel(out, items, ROWS_PER_TASK, separator, |text, _, items| {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                text.extend_from_slice(separator);
            }
            crate::render::json_text::write_summary(text, &row(item))?;
        }
        Ok(())
    })
}
