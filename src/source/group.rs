//! `--all` and `--stats` through a server: the server groups the lines and returns one row per
//! trace (the table of traces) or one row per span (the statistics), never the lines.
//!
//! Only the exporter's logs table is grouped: its ids are already one spelling (32 hex
//! digits), so `GROUP BY TraceId` is the grouping a local run makes of the same rows. The
//! rows become [`TraceSummary`]s without span trees, and the spans feed the same statistics
//! as a local run ([`StatsAcc::add_span`]), so percentiles are computed the same way.

use crate::records::ids::parse_hex_trace;
use crate::records::level::{level_from_text, Level};
use crate::records::time::Nanos;
use crate::source::client::{self, Summary};
use crate::source::sql::{qualified, Window};
use crate::source::target::Data;
use crate::source::Remote;
use crate::traces::group::ErrorLine;
use crate::traces::stats::StatsAcc;
use crate::traces::summary::TraceSummary;

/// Severity numbers at or above this are errors (OpenTelemetry's `ERROR`).
const ERROR_SEVERITY: u8 = 17;

/// Error lines a row of the table keeps (the earliest), as a local run does.
const ERROR_SAMPLES: usize = crate::traces::group::ERROR_SAMPLES;

/// The table a grouping reads, or why there is none.
fn logs_table(remote: &Remote) -> Result<String, String> {
    match &remote.target.data {
        Data::OtelLogs { table, .. } => Ok(qualified(&remote.target, table)),
        Data::Lines(_) => Err(
            "--all and --stats through --source read the exporter's tables; \
             JSON lines in object storage or a column are searched one trace at a time"
                .to_string(),
        ),
    }
}

/// The rows' conditions: a trace id, and the window.
fn conditions(window: Window) -> String {
    let mut out = vec!["TraceId != ''".to_string()];
    if let Some(since) = window.since {
        out.push(format!(
            "Timestamp >= fromUnixTimestamp64Nano(toInt64({since}))"
        ));
    }
    if let Some(until) = window.until {
        out.push(format!(
            "Timestamp <= fromUnixTimestamp64Nano(toInt64({until}))"
        ));
    }
    out.join(" AND ")
}

/// One row per trace.
pub fn traces_sql(remote: &Remote) -> Result<String, String> {
    let table = logs_table(remote)?;
    Ok(format!(
        "SELECT TraceId AS id, \
toUnixTimestamp64Nano(min(Timestamp)) AS start, toUnixTimestamp64Nano(max(Timestamp)) AS end, \
arraySort(groupUniqArray(ServiceName)) AS services, uniqExactIf(SpanId, SpanId != '') AS spans, \
count() AS lines, countIf(SeverityNumber >= {ERROR_SEVERITY}) AS error_lines, \
uniqExactIf(SpanId, SpanId != '' AND SeverityNumber >= {ERROR_SEVERITY}) AS failed_spans, \
argMin(ServiceName, Timestamp) AS root_service, \
arraySlice(arraySort(e -> e.1, groupArrayIf((toUnixTimestamp64Nano(Timestamp), ServiceName, \
SeverityText, Body), SeverityNumber >= {ERROR_SEVERITY})), 1, {ERROR_SAMPLES}) AS errors \
FROM {table} WHERE {} GROUP BY TraceId FORMAT JSONEachRow",
        conditions(remote.window)
    ))
}

/// One row per span that logged more than one line (a span of one line has no duration, as
/// in a local run): its service, its first line's message (its name) and how long its lines
/// lasted.
pub fn spans_sql(remote: &Remote) -> Result<String, String> {
    let table = logs_table(remote)?;
    Ok(format!(
        "SELECT TraceId AS trace, any(ServiceName) AS service, argMin(Body, Timestamp) AS name, \
toUnixTimestamp64Nano(max(Timestamp)) - toUnixTimestamp64Nano(min(Timestamp)) AS duration, \
max(SeverityNumber >= {ERROR_SEVERITY}) AS error \
FROM {table} WHERE {} AND SpanId != '' GROUP BY TraceId, SpanId HAVING count() > 1 \
ORDER BY trace FORMAT JSONEachRow",
        conditions(remote.window)
    ))
}

/// The number of traces the statistics count.
pub fn trace_count_sql(remote: &Remote) -> Result<String, String> {
    let table = logs_table(remote)?;
    Ok(format!(
        "SELECT uniqExact(TraceId) FROM {table} WHERE {} FORMAT TabSeparated",
        conditions(remote.window)
    ))
}

#[derive(serde::Deserialize)]
struct TraceRow {
    id: String,
    start: i64,
    end: i64,
    services: Vec<String>,
    spans: usize,
    lines: u64,
    error_lines: u64,
    failed_spans: usize,
    root_service: String,
    errors: Vec<(i64, String, String, String)>,
}

#[derive(serde::Deserialize)]
struct SpanRow {
    service: String,
    name: String,
    duration: i64,
    error: u8,
}

/// The table of traces, from the server's grouping.
pub fn fetch_traces(remote: &Remote) -> Result<(Vec<TraceSummary>, Option<Summary>), String> {
    let reply = client::run(&remote.target, &traces_sql(remote)?)?;
    let mut rows = Vec::new();
    client::each_row(reply.body, |row: TraceRow| rows.extend(summary_of(row)))?;
    Ok((rows, reply.summary))
}

fn summary_of(row: TraceRow) -> Option<TraceSummary> {
    let id = parse_hex_trace(&row.id)?;
    let mut t = TraceSummary::without_spans(id);
    t.start = Some(row.start);
    t.end = Some(row.end);
    t.services = row.services.into_boxed_slice();
    t.lines = row.lines;
    t.error_lines = row.error_lines;
    t.failed_spans = row.failed_spans;
    t.span_count = row.spans;
    t.root_service = (!row.root_service.is_empty()).then(|| row.root_service.into());
    t.error_samples = row
        .errors
        .into_iter()
        .map(|(time, service, level, message)| ErrorLine {
            time: Some(time as Nanos),
            service,
            span: None,
            level: level_from_text(&level).unwrap_or(Level::Error),
            message,
        })
        .collect::<Vec<_>>()
        .into();
    Some(t)
}

/// The statistics, from the server's spans: the same groups and percentiles as a local run.
pub fn fetch_stats(remote: &Remote) -> Result<(StatsAcc, Option<Summary>), String> {
    let count = client::run_to_string(&remote.target, &trace_count_sql(remote)?)?;
    let reply = client::run(&remote.target, &spans_sql(remote)?)?;
    let mut stats = StatsAcc::default();
    stats.add_traces(count.trim().parse().unwrap_or(0));
    client::each_row(reply.body, |span: SpanRow| {
        stats.add_span(&span.service, &span.name, span.duration, span.error != 0)
    })?;
    Ok((stats, reply.summary))
}

/// The statements `--all` (`stats`: `--stats`) sends, for `--print-sql`.
pub fn statements(remote: &Remote, stats: bool) -> Result<Vec<String>, String> {
    Ok(if stats {
        vec![trace_count_sql(remote)?, spans_sql(remote)?]
    } else {
        vec![traces_sql(remote)?]
    })
}
