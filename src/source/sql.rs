//! The SQL a ClickHouse source sends: only candidate rows come back for one trace, and the
//! rows come back as lines the local reader reads (the same stages as a file).
//!
//! - An OpenTelemetry exporter table: `TraceId` equality for a whole id (its bloom-filter
//!   index prunes granules), narrowed to the trace's time when the exporter's trace id → time
//!   table knows it; each row comes back as one JSON object (`JSONEachRow`) whose keys are the
//!   exporter's column names, which the local reader knows.
//! - Raw JSON lines (a column, or `s3()` files): `multiSearchAny` over exactly the literals
//!   the local prefilter searches for, so the server returns the lines a local scan would
//!   parse, and the local reader then decides as it does for a file.

use std::fmt::Write;

use crate::records::ids::{TraceKey, TraceQuery};
use crate::records::time::Nanos;
use crate::source::target::{Data, Lines, Target};

/// The time window rows are read in: `--since`, `--until`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Rows at or after this instant.
    pub since: Option<Nanos>,
    /// Rows at or before this instant.
    pub until: Option<Nanos>,
}

/// How far before and after the exporter's recorded span times a trace's logs are looked
/// for: a log line may be written before its span starts or after it ends (queued work,
/// skewed clocks).
pub const TRACE_TIME_MARGIN_SECS: i64 = 3600;

/// The columns of an exporter logs table read for one trace, in the exporter's order.
pub const OTEL_LOG_COLUMNS: &str = "Timestamp, TraceId, SpanId, TraceFlags, SeverityText, \
SeverityNumber, ServiceName, Body, ResourceAttributes, ScopeName, LogAttributes";

/// The order rows of one trace come in: by time, ties broken by enough columns that the same
/// rows always come in the same order (a local reader keeps the order lines come in).
pub const OTEL_LOG_ORDER: &str = "Timestamp, ServiceName, TraceId, SpanId, SeverityNumber, Body";

/// A string literal in ClickHouse's syntax.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// An instant as a `DateTime64(9)` literal.
fn instant(ns: Nanos) -> String {
    format!("fromUnixTimestamp64Nano(toInt64({ns}))")
}

/// `db.table`, or the table alone when it already names its database or none is set.
pub fn qualified(target: &Target, table: &str) -> String {
    match &target.database {
        Some(db) if !table.contains('.') => format!("{db}.{table}"),
        _ => table.to_string(),
    }
}

/// What identifies the trace in an exporter table's `TraceId` column (lowercase hex, 32
/// digits): equality for a whole id, its low half's digits at the end for a 64-bit one, the
/// digits at the start for a prefix; a correlation id is looked for in the attributes.
fn otel_trace_predicate(query: &TraceQuery) -> String {
    let mut any: Vec<String> = Vec::new();
    if let Some(prefix) = query.prefix {
        let digits = format!("{:0w$x}", prefix.value, w = prefix.digits as usize);
        any.push(format!("startsWith(TraceId, {})", quote(&digits)));
    }
    if query.exact {
        match &query.key {
            TraceKey::Full(v) => any.push(format!("TraceId = {}", quote(&format!("{v:032x}")))),
            TraceKey::Low64(v) => any.push(format!(
                "endsWith(TraceId, {})",
                quote(&format!("{v:016x}"))
            )),
            TraceKey::Opaque(text) => {
                any.push(format!("has(mapValues(LogAttributes), {})", quote(text)))
            }
        }
    }
    match any.len() {
        0 => "0".to_string(),
        1 => any.remove(0),
        _ => format!("({})", any.join(" OR ")),
    }
}

/// The conditions on `Timestamp` of the window.
pub(crate) fn window_conditions(window: Window) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(since) = window.since {
        out.push(format!("Timestamp >= {}", instant(since)));
    }
    if let Some(until) = window.until {
        out.push(format!("Timestamp <= {}", instant(until)));
    }
    out
}

/// For files in object storage, `--since` as a condition on their modification time: a file
/// last modified before it holds no later line, and the server skips it unread.
pub(crate) fn file_time_condition(lines: &Lines, window: Window) -> Option<String> {
    match (lines, window.since) {
        (Lines::S3 { .. }, Some(since)) => Some(format!("_time >= toDateTime({})", instant(since))),
        _ => None,
    }
}

/// The query that asks the exporter's trace id → time table when the trace ran; `None` when
/// the id is not whole or the table is not used.
pub fn trace_times_sql(target: &Target, query: &TraceQuery) -> Option<String> {
    let Data::OtelLogs {
        trace_times: Some(times),
        ..
    } = &target.data
    else {
        return None;
    };
    let TraceKey::Full(v) = query.key else {
        return None;
    };
    if !query.exact {
        return None;
    }
    let table = qualified(target, times);
    Some(format!(
        "SELECT toUnixTimestamp64Nano(toDateTime64(min(Start), 9)) AS start, \
toUnixTimestamp64Nano(toDateTime64(max(End), 9)) AS end, count() AS rows \
FROM {table} WHERE TraceId = {} FORMAT TabSeparated",
        quote(&format!("{v:032x}"))
    ))
}

/// The query that tells whether the trace id → time table exists.
pub fn trace_times_exist_sql(target: &Target) -> Option<String> {
    let Data::OtelLogs {
        trace_times: Some(times),
        ..
    } = &target.data
    else {
        return None;
    };
    Some(format!(
        "EXISTS TABLE {} FORMAT TabSeparated",
        qualified(target, times)
    ))
}

/// The query for one trace's rows. `span_times` is the trace's first and last instant from
/// the trace id → time table, when known.
pub fn one_trace_sql(
    target: &Target,
    query: &TraceQuery,
    window: Window,
    span_times: Option<(Nanos, Nanos)>,
) -> String {
    let mut sql = String::new();
    match &target.data {
        Data::OtelLogs { table, .. } => {
            let mut conditions = vec![otel_trace_predicate(query)];
            conditions.extend(window_conditions(window));
            if let Some((start, end)) = span_times {
                let margin = TRACE_TIME_MARGIN_SECS * 1_000_000_000;
                // The exporter's primary key is (ServiceName, TimestampTime): a condition on
                // TimestampTime lets the server skip whole parts and granules by time.
                let _ = write!(
                    conditions[0],
                    " AND TimestampTime >= toDateTime({}) AND TimestampTime <= toDateTime({})",
                    instant(start.saturating_sub(margin)),
                    instant(end.saturating_add(margin)),
                );
            }
            let _ = write!(
                sql,
                "SELECT {OTEL_LOG_COLUMNS} FROM {} WHERE {} ORDER BY {OTEL_LOG_ORDER} \
FORMAT JSONEachRow",
                qualified(target, table),
                conditions.join(" AND ")
            );
        }
        Data::Lines(lines) => {
            let needles: Vec<String> = query
                .needles()
                .iter()
                .filter(|n| !n.is_empty())
                .map(|n| quote(&String::from_utf8_lossy(n)))
                .collect();
            let (from, column) = lines_from(target, lines);
            // Files come back in the order of their paths and lines, as a local walk reads
            // them; a table of lines keeps no order of its own.
            let (path, order) = match lines {
                Lines::S3 { .. } => (", _path AS path", " ORDER BY _path, _row_number"),
                Lines::Column { .. } => ("", ""),
            };
            // A file last modified before --since holds no line after it: the server skips
            // it unread (`_time` is the object's modification time).
            let since = file_time_condition(lines, window)
                .map(|c| format!(" AND {c}"))
                .unwrap_or_default();
            let _ = write!(
                sql,
                "SELECT {column} AS line{path} FROM {from} WHERE multiSearchAny({column}, [{}])\
{since}{order} FORMAT JSONEachRow",
                needles.join(", "),
            );
        }
    }
    sql
}

/// The table expression and the column of lines of a source of lines.
pub fn lines_from(target: &Target, lines: &Lines) -> (String, String) {
    match lines {
        Lines::Column { table, column } => (qualified(target, table), column.clone()),
        Lines::S3 { url } => {
            let credentials = match &target.s3_keys {
                Some((key, _)) => format!("{}, {}, ", quote(key), SECRET_PLACEHOLDER),
                None => String::new(),
            };
            (
                format!(
                    "s3({}, {credentials}'LineAsString', 'line String')",
                    quote(url)
                ),
                "line".to_string(),
            )
        }
    }
}

/// Stands for the object-storage secret in the SQL until it is sent (the client puts the
/// quoted secret in its place), so that `--print-sql` never shows it.
pub const SECRET_PLACEHOLDER: &str = "'<secret from TRACEGREP_S3_SECRET_ACCESS_KEY>'";

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        Target::parse(url, |_| None).unwrap()
    }

    #[test]
    fn a_whole_id_is_an_indexed_equality() {
        let t = target("clickhouse://ch/otel");
        let q = TraceQuery::parse("4bf92f3577b34da6a3ce929d0e0e4736");
        let sql = one_trace_sql(&t, &q, Window::default(), None);
        assert!(
            sql.contains("FROM otel.otel_logs WHERE TraceId = '4bf92f3577b34da6a3ce929d0e0e4736'"),
            "{sql}"
        );
        let spelled = TraceQuery::parse("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01");
        assert_eq!(one_trace_sql(&t, &spelled, Window::default(), None), sql);
        let timed = one_trace_sql(&t, &q, Window::default(), Some((0, 1_000_000_000)));
        assert!(timed.contains("TimestampTime >= toDateTime("), "{timed}");
        assert!(trace_times_sql(&t, &q)
            .unwrap()
            .contains("FROM otel.otel_traces_trace_id_ts WHERE TraceId = '4bf92f35"));
    }

    #[test]
    fn other_ids_and_windows() {
        let t = target("clickhouse://ch/otel");
        let low = TraceQuery::parse("a3ce929d0e0e4736");
        assert!(one_trace_sql(&t, &low, Window::default(), None)
            .contains("endsWith(TraceId, 'a3ce929d0e0e4736')"));
        let opaque = TraceQuery::parse("req-'42");
        assert!(one_trace_sql(&t, &opaque, Window::default(), None)
            .contains("has(mapValues(LogAttributes), 'req-\\'42')"));
        let window = Window {
            since: Some(1),
            until: Some(2),
        };
        let sql = one_trace_sql(&t, &low, window, None);
        assert!(
            sql.contains("Timestamp >= fromUnixTimestamp64Nano(toInt64(1))"),
            "{sql}"
        );
        assert!(
            sql.contains("Timestamp <= fromUnixTimestamp64Nano(toInt64(2))"),
            "{sql}"
        );
        assert_eq!(trace_times_sql(&t, &low), None);
    }

    #[test]
    fn lines_are_searched_for_the_prefilter_literals() {
        let t = target("clickhouse://ch/?s3=https://b.s3.amazonaws.com/logs/**/*.jsonl.gz");
        let q = TraceQuery::parse("4bf92f3577b34da6a3ce929d0e0e4736");
        let sql = one_trace_sql(&t, &q, Window::default(), None);
        assert!(sql.starts_with(
            "SELECT line AS line, _path AS path FROM s3('https://b.s3.amazonaws.com/logs/**/*.jsonl.gz', 'LineAsString', 'line String') WHERE multiSearchAny(line, ['929d0e0e4736'"
        ), "{sql}");
        assert!(sql.contains("ORDER BY _path, _row_number"), "{sql}");
        let since = Window {
            since: Some(1_000_000_000),
            until: None,
        };
        let sql = one_trace_sql(&t, &q, since, None);
        assert!(
            sql.contains("AND _time >= toDateTime(fromUnixTimestamp64Nano(toInt64(1000000000)))"),
            "{sql}"
        );
        let t = target("clickhouse://ch/logs?table=raw&column=text");
        let sql = one_trace_sql(&t, &q, Window::default(), None);
        assert!(
            sql.contains("SELECT text AS line FROM logs.raw WHERE multiSearchAny(text, ["),
            "{sql}"
        );
    }

    #[test]
    fn literals_are_escaped() {
        assert_eq!(quote("a'b\\c"), "'a\\'b\\\\c'");
    }
}
