//! `--baseline`: the earlier run's JSON report read into the same neutral samples as this
//! run's traces ([`crate::traces::baseline::Sample`]), so that both sides are counted by one
//! function. The report is read before the logs, so that a wrong path fails at once.

use std::path::Path;

use serde::Deserialize;

use crate::config::Baseline;
use crate::input::walk::path_error;
use crate::render::json::ms;
use crate::render::report::{SCHEMA, SCHEMA_VERSION};
use crate::traces::baseline::{Comparison, OpKind, RunOperations, Sample};
use crate::traces::summary::{Row, TraceSummary};
use crate::traces::tree::SpanKind;

/// The fields of a `tracegrep.report` the comparison reads; serde skips the rest.
#[derive(Deserialize)]
struct ReportFile {
    schema: Option<String>,
    schema_version: Option<u32>,
    #[serde(default)]
    traces: Vec<ReportTrace>,
}

#[derive(Deserialize)]
struct ReportTrace {
    root_service: Option<String>,
    root_name: Option<String>,
    request_duration_ms: Option<f64>,
    duration_ms: Option<f64>,
    #[serde(default)]
    failed: bool,
    #[serde(default)]
    spans: Vec<ReportSpan>,
}

#[derive(Deserialize)]
struct ReportSpan {
    service: String,
    #[serde(default)]
    name: String,
    duration_ms: Option<f64>,
    #[serde(default)]
    error: bool,
}

/// Reads the baseline report; the error names the file and says what is wrong, on one line.
pub fn load(path: &Path) -> anyhow::Result<RunOperations> {
    let fail = |reason: String| anyhow::anyhow!("--baseline {}", reason);
    let bytes = std::fs::read(path).map_err(|e| fail(path_error(path, &e)))?;
    let named = path.display();
    let report: ReportFile = serde_json::from_slice(&bytes).map_err(|e| {
        fail(format!(
            "{named}: not a tracegrep JSON report (--report json): {e}"
        ))
    })?;
    if report.schema.as_deref() != Some(SCHEMA) {
        return Err(fail(format!(
            "{named}: not a tracegrep JSON report (--report json): its schema is {}, not {SCHEMA}",
            report.schema.as_deref().unwrap_or("missing")
        )));
    }
    if report.schema_version != Some(SCHEMA_VERSION) {
        return Err(fail(format!(
            "{named}: {SCHEMA} version {} is not one this tracegrep reads ({SCHEMA_VERSION})",
            report
                .schema_version
                .map_or_else(|| "missing".to_string(), |v| v.to_string())
        )));
    }
    let mut ops = RunOperations::default();
    for t in &report.traces {
        let request = t.root_service.as_deref().map(|service| Sample {
            kind: OpKind::Request,
            service,
            name: t.root_name.as_deref().unwrap_or_default(),
            // What the table shows: the request's duration, else the trace's extent.
            duration_ms: t.request_duration_ms.or(t.duration_ms),
            error: t.failed,
        });
        let spans = t.spans.iter().map(|s| Sample {
            kind: OpKind::Span,
            service: &s.service,
            name: &s.name,
            duration_ms: s.duration_ms,
            error: s.error,
        });
        ops.add_trace(request.into_iter().chain(spans));
    }
    Ok(ops)
}

/// This run's traces, read as [`load`] reads a report of them.
pub fn of_rows(rows: &[Row]) -> RunOperations {
    let mut ops = RunOperations::default();
    for t in rows {
        ops.add_trace(samples(t));
    }
    ops
}

/// A trace's request and spans, with durations at the report's precision ([`ms`]).
fn samples(t: &TraceSummary) -> impl Iterator<Item = Sample<'_>> {
    let request = t.root_service.as_deref().map(|service| Sample {
        kind: OpKind::Request,
        service,
        name: t.root_name.as_deref().unwrap_or_default(),
        duration_ms: t.duration_ns().map(ms),
        error: t.failed(),
    });
    let spans = t
        .tree()
        .nodes
        .iter()
        .filter(|n| n.kind != SpanKind::Placeholder)
        .map(|n| Sample {
            kind: OpKind::Span,
            service: &n.service,
            name: &n.name,
            duration_ms: n.duration_ns().map(ms),
            error: n.error,
        });
    request.into_iter().chain(spans)
}

/// Compares this run's rows with the baseline read by [`load`].
pub fn compare(baseline: &Baseline, then: RunOperations, rows: &[Row]) -> Comparison {
    Comparison::new(
        baseline.path.display().to_string(),
        then,
        of_rows(rows),
        &baseline.gates,
    )
}
