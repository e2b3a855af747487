//! CI reports of many traces: Markdown, HTML, JSON (schema `tracegrep.report` v1) and JUnit
//! XML. Every report is built from the same [`ReportInput`]: the traces the filters kept, in
//! the table's order, and what the gates said of each.

pub mod baseline;
pub mod html;
pub mod junit;
pub mod markdown;

use std::collections::BTreeSet;
use std::io::{self, Write};

use serde::Serialize;

use crate::cli::ReportFormat;
use crate::records::ids::SpanId;
use crate::records::level::Level;
use crate::records::time::format_rfc3339_micros;
use crate::records::time::Nanos;
use crate::records::SourceId;
use crate::render::json::{ms, summary_report, SummaryReport};
use crate::traces::baseline::Comparison;
use crate::traces::gates::Verdict;
use crate::traces::group::ErrorLine;
use crate::traces::summary::Row;

/// The schema name of the JSON report.
pub const SCHEMA: &str = "tracegrep.report";
/// Its version; bumped only for changes that break readers.
pub const SCHEMA_VERSION: u32 = 1;

/// One log line of a trace, as the HTML report shows it.
#[derive(Debug, Clone)]
pub struct LogLine {
    /// When it was logged.
    pub time: Option<Nanos>,
    /// Its service.
    pub service: String,
    /// Its level.
    pub level: Option<Level>,
    /// Its message.
    pub message: Option<String>,
    /// Its span.
    pub span: Option<SpanId>,
    /// The line's JSON (cut at 1 KiB), for its fields.
    pub fields: Option<String>,
    /// Which file.
    pub source: SourceId,
    /// Where in it.
    pub offset: u64,
}

/// What every report shows.
pub struct ReportInput<'a> {
    /// The traces, in the table's order.
    pub traces: &'a [Row],
    /// What the gates said, per trace (aligned with `traces`) and for the run.
    pub verdict: &'a Verdict,
    /// The run compared with its baseline (`--baseline`), with its gates' reasons.
    pub baseline: Option<&'a Comparison>,
    /// Some gate was asked for (a report then says "passed" rather than nothing).
    pub gated: bool,
    /// The inputs, as named on the command line.
    pub input: String,
    /// The log lines of each trace (aligned with `traces`), when they were read again for the
    /// HTML report, with the names of their sources.
    pub logs: Option<(&'a [Vec<LogLine>], &'a [String])>,
}

/// The totals at the top of every report.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// Traces.
    pub traces: usize,
    /// Distinct services.
    pub services: usize,
    /// Traces with an error line or a failed span.
    pub error_traces: usize,
    /// Traces that failed a gate.
    pub failed_traces: usize,
    /// Gate failures: one per reason a trace failed, plus those of the whole run (the error
    /// rate). What a report's list of failed gates counts, and its "failed gates" total.
    pub failed_gates: usize,
    /// The longest trace, in milliseconds.
    pub slowest_ms: Option<f64>,
    /// Every gate passed (true when no gate was asked for).
    pub passed: bool,
}

impl ReportInput<'_> {
    /// The totals.
    pub fn totals(&self) -> Totals {
        let services: BTreeSet<&str> = self
            .traces
            .iter()
            .flat_map(|t| t.services.iter().map(String::as_str))
            .collect();
        Totals {
            traces: self.traces.len(),
            services: services.len(),
            error_traces: self.traces.iter().filter(|t| t.has_errors()).count(),
            failed_traces: self.verdict.failed_traces(),
            failed_gates: self.verdict.overall.len()
                + self.baseline_failures().count()
                + self.verdict.per_trace.iter().map(Vec::len).sum::<usize>(),
            slowest_ms: self
                .traces
                .iter()
                .filter_map(|t| t.duration_ns())
                .max()
                .map(ms),
            passed: !self.verdict.failed() && self.baseline_failures().next().is_none(),
        }
    }

    /// The reasons the baseline's gates failed (none without `--baseline`).
    pub fn baseline_failures(&self) -> impl Iterator<Item = &String> {
        self.baseline.into_iter().flat_map(Comparison::failures)
    }

    /// Reasons about the whole run: the error rate's, then the baseline's.
    pub fn run_failures(&self) -> impl Iterator<Item = &String> {
        self.verdict.overall.iter().chain(self.baseline_failures())
    }

    /// Why trace `i` failed (empty when it passed).
    pub fn failures(&self, i: usize) -> &[String] {
        self.verdict.per_trace.get(i).map_or(&[], Vec::as_slice)
    }

    /// Indices of the traces worth a look, worst first: failed gates, then errors, then the
    /// slowest.
    pub fn worst(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.traces.len()).collect();
        order.sort_by_key(|&i| {
            let t = &self.traces[i];
            (
                std::cmp::Reverse(!self.failures(i).is_empty()),
                std::cmp::Reverse(t.has_errors()),
                std::cmp::Reverse(t.duration_ns().unwrap_or(0)),
                i,
            )
        });
        order
    }
}

/// Writes one report.
pub fn write_report(
    format: ReportFormat,
    out: &mut dyn Write,
    input: &ReportInput<'_>,
) -> io::Result<()> {
    match format {
        ReportFormat::Json => {
            crate::render::json::write_value(out, &report_document(input))?;
            out.write_all(b"\n")
        }
        ReportFormat::Md => markdown::write_markdown(out, input),
        ReportFormat::Junit => junit::write_junit(out, input),
        ReportFormat::Html => html::write_html(out, input),
    }
}

/// The JSON report.
#[derive(Serialize)]
struct ReportDocument<'a> {
    schema: &'static str,
    schema_version: u32,
    generated_by: String,
    input: &'a str,
    summary: Totals,
    gates: Vec<GateFailure<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<baseline::BaselineReport<'a>>,
    traces: Vec<TraceEntry<'a>>,
}

/// A gate that failed, for one trace or (without an id) for the run.
#[derive(Serialize)]
pub(crate) struct GateFailure<'a> {
    trace_id: Option<String>,
    reason: &'a str,
}

#[derive(Serialize)]
struct TraceEntry<'a> {
    #[serde(flatten)]
    trace: SummaryReport<'a>,
    failures: &'a [String],
    error_samples: Vec<LogEntry<'a>>,
}

/// A log line of a report: an error sample, or a line the HTML page shows.
#[derive(Serialize)]
pub(crate) struct LogEntry<'a> {
    time: Option<String>,
    offset_ms: Option<f64>,
    service: &'a str,
    level: Option<&'static str>,
    message: Option<&'a str>,
    span_id: Option<String>,
    /// Empty for an error line kept by the first pass (no second read).
    #[serde(skip_serializing_if = "str::is_empty")]
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a str>,
}

pub(crate) fn log_entry<'a>(l: &'a LogLine, t0: Option<i64>, names: &'a [String]) -> LogEntry<'a> {
    LogEntry {
        time: l.time.map(format_rfc3339_micros),
        offset_ms: l.time.zip(t0).map(|(t, t0)| ms(t - t0)),
        service: &l.service,
        level: l.level.map(|l| l.label()),
        message: l.message.as_deref(),
        span_id: l.span.map(|s| s.to_string()),
        source: names.get(l.source as usize).map_or("", String::as_str),
        fields: l.fields.as_deref(),
    }
}

pub(crate) fn sample_entry<'a>(e: &'a ErrorLine, t0: Option<i64>) -> LogEntry<'a> {
    LogEntry {
        time: e.time.map(format_rfc3339_micros),
        offset_ms: e.time.zip(t0).map(|(t, t0)| ms(t - t0)),
        service: &e.service,
        level: Some(e.level.label()),
        message: Some(&e.message),
        span_id: e.span.map(|s| s.to_string()),
        source: "",
        fields: None,
    }
}

/// Every gate failure: those of the run first, then each trace's, in the table's order.
pub(crate) fn gate_failures<'a>(input: &'a ReportInput<'a>) -> Vec<GateFailure<'a>> {
    let mut gates: Vec<GateFailure<'a>> = input
        .run_failures()
        .map(|reason| GateFailure {
            trace_id: None,
            reason,
        })
        .collect();
    for (i, t) in input.traces.iter().enumerate() {
        for reason in input.failures(i) {
            gates.push(GateFailure {
                trace_id: Some(t.id.to_string()),
                reason,
            });
        }
    }
    gates
}

/// The JSON report.
fn report_document<'a>(input: &'a ReportInput<'a>) -> ReportDocument<'a> {
    let gates = gate_failures(input);
    ReportDocument {
        schema: SCHEMA,
        schema_version: SCHEMA_VERSION,
        generated_by: format!("tracegrep {}", env!("CARGO_PKG_VERSION")),
        input: &input.input,
        summary: input.totals(),
        gates,
        baseline: input.baseline.map(baseline::report),
        traces: input
            .traces
            .iter()
            .enumerate()
            .map(|(i, t)| TraceEntry {
                trace: summary_report(t),
                failures: input.failures(i),
                error_samples: t
                    .error_samples
                    .iter()
                    .map(|e| sample_entry(e, t.start))
                    .collect(),
            })
            .collect(),
    }
}
