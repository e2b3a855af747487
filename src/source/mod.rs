//! Sources that are not files or standard input: a ClickHouse server (`--source`), which does
//! the distributed part of a search (the filter on every spelling of an id, over tables or
//! object storage) and returns only candidate lines. What it returns goes through the same
//! records → traces → render stages as a file: the search worker reads it as it reads a
//! stream ([`crate::search::search_streams`]).

pub mod client;
pub mod fields_sql;
pub mod group;
pub mod sql;
pub mod target;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::input::Source;
use crate::records::block::BlockScan;
use crate::records::ids::TraceQuery;
use crate::search::{search_streams, Searched, Stream};
use crate::source::client::Summary;
use crate::source::sql::Window;
use crate::source::target::{Data, Lines, Target};

/// A `--source` with what the command line says of the rows to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// The server and its data.
    pub target: Target,
    /// `--since`, `--until`: pushed down as conditions on the rows' time where the data has
    /// a time column.
    pub window: Window,
}

/// The statements one trace's search sends, in order (for `--print-sql`: the time lookup is
/// shown as it would run before the search).
pub fn one_trace_statements(remote: &Remote, query: &TraceQuery) -> Vec<String> {
    let target = &remote.target;
    let mut out = Vec::new();
    if let (Some(exists), Some(times)) = (
        sql::trace_times_exist_sql(target),
        sql::trace_times_sql(target, query),
    ) {
        out.push(exists);
        out.push(times);
    }
    out.push(sql::one_trace_sql(target, query, remote.window, None));
    out
}

/// Prints what a search of `mode` would send to the server, and where (`--print-sql`):
/// the URL with its settings, then each statement. The credentials are not shown.
pub fn print_sql(
    remote: &Remote,
    mode: &crate::config::Mode,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use crate::config::Mode;
    let statements = match mode {
        Mode::Trace(trace) => one_trace_statements(remote, &TraceQuery::parse(&trace.trace_id)),
        Mode::All(_) => group::statements(remote, false),
        Mode::Stats(_) => group::statements(remote, true),
        _ => Vec::new(),
    };
    writeln!(out, "-- POST {}", client::query_url(&remote.target))?;
    for statement in statements {
        writeln!(out, "{statement};")?;
    }
    Ok(())
}

/// Reads the table of traces (`stats`: the statistics) of the server's exporter table into
/// `collector`.
pub fn read_all(
    remote: &Remote,
    stats: bool,
    collector: &mut crate::modes::collect::Collector<'_>,
) -> Searched {
    let fetched = if stats {
        group::fetch_stats(remote).map(|(acc, summary)| {
            collector.add_stats(acc);
            summary
        })
    } else {
        group::fetch_traces(remote).map(|(rows, summary)| {
            collector.add_summaries(rows);
            summary
        })
    };
    match fetched {
        Ok(summary) => Searched {
            sources: vec![remote_source(&remote.target)],
            diags: vec![Default::default()],
            errors: Vec::new(),
            notes: summary
                .map(|s| summary_note(&remote.target, &s))
                .into_iter()
                .collect(),
        },
        Err(error) => Searched {
            sources: Vec::new(),
            diags: Vec::new(),
            errors: vec![format!("{}: {error}", remote.target.display)],
            notes: Vec::new(),
        },
    }
}

/// Searches the server for one trace's lines and scans them into `sink` as streams: one per
/// file for files in object storage (named by their path, lending their name as the
/// fallback service as a local file does), else one for the table.
pub fn search_trace<S: BlockScan<K>, K>(
    remote: &Remote,
    query: &TraceQuery,
    scan: &S,
    sink: &mut K,
) -> Searched {
    match fetch_trace(remote, query) {
        Ok((streams, summary)) => {
            let mut searched = search_streams(scan, streams, sink);
            if let Some(note) = summary.map(|s| summary_note(&remote.target, &s)) {
                searched.notes.push(note);
            }
            searched
        }
        // As for a file that cannot be opened: no source was read.
        Err(error) => Searched {
            sources: Vec::new(),
            diags: Vec::new(),
            errors: vec![format!("{}: {error}", remote.target.display)],
            notes: Vec::new(),
        },
    }
}

/// How a table source is named in messages.
fn remote_source(target: &Target) -> Source {
    let what = match &target.data {
        Data::OtelLogs { table, .. } => sql::qualified(target, table),
        Data::Lines(Lines::Column { table, column }) => {
            format!("{}.{column}", sql::qualified(target, table))
        }
        Data::Lines(Lines::S3 { url }) => url.clone(),
    };
    Source {
        path: None,
        display: format!("{} {what}", target.display),
    }
}

/// "read N rows (B bytes) on the server for M returned in T ms".
fn summary_note(target: &Target, s: &Summary) -> String {
    format!(
        "{}: the server read {} rows ({} bytes) and returned {} in {} ms",
        target.display,
        s.read_rows,
        s.read_bytes,
        s.result_rows,
        s.elapsed_ns / 1_000_000
    )
}

/// Runs one trace's queries; returns the lines as streams and the search's summary.
fn fetch_trace(
    remote: &Remote,
    query: &TraceQuery,
) -> Result<(Vec<Stream>, Option<Summary>), String> {
    let target = &remote.target;
    let mut span_times = None;
    if let (Some(exists), Some(times)) = (
        sql::trace_times_exist_sql(target),
        sql::trace_times_sql(target, query),
    ) {
        if client::run_to_string(target, &exists)?.trim() == "1" {
            let text = client::run_to_string(target, &times)?;
            span_times = parse_span_times(&text);
        }
    }
    let statement = sql::one_trace_sql(target, query, remote.window, span_times);
    let reply = client::run(target, &statement)?;
    let reader = BufReader::new(reply.body);
    let streams = match &target.data {
        Data::OtelLogs { .. } => {
            // JSONEachRow: one row a line, read as they came.
            let mut bytes = Vec::new();
            let mut reader = reader;
            reader
                .read_to_end(&mut bytes)
                .map_err(|e| format!("reading the answer: {e}"))?;
            vec![Stream::new(remote_source(target), None, bytes)]
        }
        Data::Lines(lines) => lines_to_streams(target, lines, reader)?,
    };
    Ok((streams, reply.summary))
}

/// `start \t end \t rows` of the trace id → time table: the span times when it knows the id.
fn parse_span_times(text: &str) -> Option<(i64, i64)> {
    let mut fields = text.trim().split('\t');
    let start: i64 = fields.next()?.parse().ok()?;
    let end: i64 = fields.next()?.parse().ok()?;
    let rows: u64 = fields.next()?.parse().ok()?;
    (rows > 0 && start > 0 && end >= start).then_some((start, end))
}

/// One row of a lines query (`{"line":…}` or `{"line":…,"path":…}`).
#[derive(serde::Deserialize)]
struct LineRow {
    line: String,
    #[serde(default)]
    path: Option<String>,
}

/// The rows of a lines query as streams: a stream per file, in the order they came.
fn lines_to_streams(
    target: &Target,
    lines: &Lines,
    reader: impl BufRead,
) -> Result<Vec<Stream>, String> {
    let mut streams: Vec<Stream> = Vec::new();
    let mut current: Option<String> = None;
    client::each_row(reader, |row: LineRow| {
        if streams.is_empty() || (matches!(lines, Lines::S3 { .. }) && row.path != current) {
            let (source, fallback) = match (&row.path, lines) {
                (Some(path), Lines::S3 { .. }) => {
                    // The fallback service comes from the file's name, as for a local file.
                    let fallback = Source::file(Path::new(path)).fallback_service();
                    (
                        Source {
                            path: None,
                            display: format!("s3:{path}"),
                        },
                        fallback,
                    )
                }
                _ => (remote_source(target), None),
            };
            streams.push(Stream::new(source, fallback, Vec::new()));
            current = row.path.clone();
        }
        if let Some(stream) = streams.last_mut() {
            stream.push_line(row.line.as_bytes());
        }
    })?;
    if streams.is_empty() {
        streams.push(Stream::new(remote_source(target), None, Vec::new()));
    }
    Ok(streams)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_times_are_read_only_when_the_id_is_known() {
        assert_eq!(parse_span_times("10\t20\t3\n"), Some((10, 20)));
        assert_eq!(parse_span_times("0\t0\t0\n"), None);
        assert_eq!(parse_span_times(""), None);
    }

    #[test]
    fn lines_of_files_become_a_stream_per_file() {
        let target = Target::parse("clickhouse://ch/?s3=https://b/x/*.jsonl.gz", |_| None).unwrap();
        let Data::Lines(lines) = &target.data else {
            unreachable!()
        };
        let answer = concat!(
            r#"{"line":"{\"a\":1}","path":"b/x/checkout.jsonl.gz"}"#,
            "\n",
            r#"{"line":"{\"a\":2}","path":"b/x/checkout.jsonl.gz"}"#,
            "\n",
            r#"{"line":"{\"a\":3}","path":"b/x/cart.jsonl.gz"}"#,
            "\n"
        );
        let streams = lines_to_streams(&target, lines, answer.as_bytes()).unwrap();
        assert_eq!(streams.len(), 2);
        assert_eq!(streams[0].source.display, "s3:b/x/checkout.jsonl.gz");
        assert_eq!(streams[0].fallback.as_deref(), Some("checkout"));
        assert_eq!(streams[0].bytes, b"{\"a\":1}\n{\"a\":2}\n");
        assert_eq!(streams[1].fallback.as_deref(), Some("cart"));
    }
}
