//! `--all` and `--stats` through a server: the server groups the lines and returns one row per
//! trace (the table of traces) or one row per span (the statistics), never the lines.
//!
//! The exporter's logs table holds ids in one spelling (32 hex digits), so `GROUP BY TraceId`
//! is the grouping a local run makes of the same rows. Raw JSON lines (object storage, a
//! column) are read field by field with expressions generated from the local reader's alias
//! table ([`fields_sql`]), which say where they fall short. The
//! rows become [`TraceSummary`]s without span trees, and the spans feed the same statistics
//! as a local run ([`StatsAcc::add_span`]), so percentiles are computed the same way.

use crate::records::ids::parse_hex_trace;
use crate::records::level::{level_from_text, Level};
use crate::records::time::Nanos;
use crate::source::client::{self, Summary};
use crate::source::fields_sql;
use crate::source::sql::{file_time_condition, lines_from, qualified, window_conditions};
use crate::source::target::{Data, Lines};
use crate::source::Remote;
use crate::traces::group::ErrorLine;
use crate::traces::stats::StatsAcc;
use crate::traces::summary::TraceSummary;

/// Severity numbers at or above this are errors (OpenTelemetry's `ERROR`).
const ERROR_SEVERITY: u8 = 17;

/// Error lines a row of the table keeps (the earliest), as a local run does.
const ERROR_SAMPLES: usize = crate::traces::group::ERROR_SAMPLES;

/// The rows grouped, as a subquery with the same columns whatever the data: `id` (32 hex
/// digits), `t` (ns), `svc`, `span`, `err` (at error level), `lvl`, `msg`.
fn rows(remote: &Remote) -> String {
    let target = &remote.target;
    let window = remote.window;
    match &target.data {
        Data::OtelLogs { table, .. } => {
            let mut conditions = vec!["TraceId != ''".to_string()];
            conditions.extend(window_conditions(window));
            format!(
                "SELECT TraceId AS id, toUnixTimestamp64Nano(Timestamp) AS t, ServiceName AS svc, \
SpanId AS span, SeverityNumber >= {ERROR_SEVERITY} AS err, SeverityText AS lvl, Body AS msg \
FROM {} WHERE {}",
                qualified(target, table),
                conditions.join(" AND ")
            )
        }
        Data::Lines(lines) => {
            let (from, column) = lines_from(target, lines);
            let file = matches!(lines, Lines::S3 { .. }).then_some("_file");
            let mut conditions = vec![format!("isValidJSON({column})")];
            conditions.extend(file_time_condition(lines, window));
            // Each line is parsed once (`kv`), each key's text is a column of the query above
            // that, and the fields are read from those (see `fields_sql`).
            let mut fields = fields_sql::LineFields::default();
            let (id, t, svc, span, err, msg) = (
                fields.trace(),
                fields.time(),
                fields.service(file.map(|_| "file")),
                fields.span(),
                fields.error(),
                fields.message(),
            );
            let (inner_file, file_column) = match file {
                Some(_) => (", _file AS file", ", file"),
                None => ("", ""),
            };
            format!(
                "SELECT * FROM (SELECT {id} AS id, {t} AS t, {svc} AS svc, {span} AS span, \
{err} AS err, if(err, 'ERROR', '') AS lvl, {msg} AS msg FROM (SELECT {}{file_column} FROM \
(SELECT JSONExtractKeysAndValuesRaw({column}) AS kv{inner_file} FROM {from} WHERE {}))) WHERE id != ''",
                fields.select_list(),
                conditions.join(" AND ")
            )
        }
    }
}

/// One row per trace.
pub fn traces_sql(remote: &Remote) -> String {
    format!(
        "SELECT id, min(t) AS start, max(t) AS end, arraySort(groupUniqArray(svc)) AS services, \
uniqExactIf(span, span != '') AS spans, count() AS lines, countIf(err) AS error_lines, \
uniqExactIf(span, span != '' AND err) AS failed_spans, argMin(svc, t) AS root_service, \
arraySlice(arraySort(e -> e.1, groupArrayIf((t, svc, lvl, msg), err)), 1, {ERROR_SAMPLES}) AS errors \
FROM ({}) GROUP BY id FORMAT JSONEachRow",
        rows(remote)
    )
}

/// One row per span that logged more than one line (a span of one line has no duration, as
/// in a local run): its service, its first line's message (its name) and how long its lines
/// lasted.
pub fn spans_sql(remote: &Remote) -> String {
    format!(
        "SELECT id AS trace, any(svc) AS service, argMin(msg, t) AS name, \
max(t) - min(t) AS duration, max(err) AS error \
FROM ({}) WHERE span != '' GROUP BY id, span HAVING count() > 1 ORDER BY trace FORMAT JSONEachRow",
        rows(remote)
    )
}

/// The number of traces the statistics count.
pub fn trace_count_sql(remote: &Remote) -> String {
    format!(
        "SELECT uniqExact(id) FROM ({}) FORMAT TabSeparated",
        rows(remote)
    )
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
    let reply = client::run(&remote.target, &traces_sql(remote))?;
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
    let count = client::run_to_string(&remote.target, &trace_count_sql(remote))?;
    let reply = client::run(&remote.target, &spans_sql(remote))?;
    let mut stats = StatsAcc::default();
    stats.add_traces(count.trim().parse().unwrap_or(0));
    client::each_row(reply.body, |span: SpanRow| {
        stats.add_span(&span.service, &span.name, span.duration, span.error != 0)
    })?;
    Ok((stats, reply.summary))
}

/// The statements `--all` (`stats`: `--stats`) sends, for `--print-sql`.
pub fn statements(remote: &Remote, stats: bool) -> Vec<String> {
    if stats {
        vec![trace_count_sql(remote), spans_sql(remote)]
    } else {
        vec![traces_sql(remote)]
    }
}
