//! Reports of every trace (`--report`): each is written to its file or to standard output,
//! and the gates' failures are listed on stderr. The HTML page also shows the log lines of
//! the worst traces: the first pass kept per trace only what the table needs, so this mode
//! reads them in a second pass through the search worker and hands them to the renderer as
//! data. Bounded: at most [`LINES_PER_TRACE`] lines per trace and [`LINES_IN_ALL`] in all,
//! worst traces first.

use std::io::{self, Write};
use std::path::PathBuf;

use crate::cli::ReportFormat;
use crate::config::{AllMode, Config, Inputs, ReportTarget};
use crate::input::walk::path_error;
use crate::modes::reread::reread_lines;
use crate::records::lines::LineScan;
use crate::records::service::line_service_or_unknown;
use crate::records::{AnyLine, LineFields, LineIds, LineRef};
use crate::render::report::html::DETAILED_TRACES;
use crate::render::report::{write_report, LogLine, ReportInput};
use crate::render::sanitize::sanitize;
use crate::traces::baseline::Comparison;
use crate::traces::gates::Verdict;
use crate::traces::summary::Row;

/// Lines kept per trace (the earliest).
pub const LINES_PER_TRACE: usize = 300;
/// Lines kept in all.
pub const LINES_IN_ALL: usize = 40_000;
/// Bytes of a line's raw JSON kept as it is for its fields view; a longer line (a stack
/// trace, most often) is kept as JSON with its long strings shortened.
const FIELDS_BYTES: usize = 4096;
/// Characters a string keeps when a line is shortened.
const FIELD_CHARS: usize = 1500;

/// The lines of `traces` (aligned with them; empty for traces past the budget) and the names
/// of the sources they came from.
fn collect_logs(
    scan: &LineScan,
    paths: &[PathBuf],
    traces: &[Row],
    worst_first: &[usize],
) -> (Vec<Vec<LogLine>>, Vec<String>) {
    // Which traces get lines: worst first, while the budget lasts.
    let mut budget = LINES_IN_ALL;
    let mut wanted = Vec::new();
    for &i in worst_first {
        let t = &traces[i];
        let lines = (t.lines as usize).min(LINES_PER_TRACE);
        if lines > budget {
            break;
        }
        budget -= lines;
        wanted.push((i, &t.id));
    }
    let keep = |line: &AnyLine<'_>, ids: &LineIds, at: LineRef, fallback: Option<&str>| LogLine {
        time: line.time(),
        service: line_service_or_unknown(line, fallback),
        level: line.level(),
        message: line.message(),
        span: ids.span,
        fields: line.payload().map(fields_json),
        source: at.source,
        offset: at.offset,
    };
    // The same files again: their problems were reported by the first pass.
    let (mut logs, names) = reread_lines(scan, paths, wanted, traces.len(), &keep);
    for lines in &mut logs {
        lines.sort_by_key(|l| (l.time.unwrap_or(i64::MAX), l.source, l.offset));
        lines.truncate(LINES_PER_TRACE);
    }
    (logs, names)
}

/// What the gates said of a run: of its traces, and of the run against its baseline.
pub struct Judged<'a> {
    /// The gates of the traces.
    pub verdict: &'a Verdict,
    /// The comparison with `--baseline`, with its gates' reasons.
    pub baseline: Option<&'a Comparison>,
}

/// Writes the reports; a report that cannot be written is reported on stderr and makes the
/// run fail (returns true), the others are still written.
pub fn write_reports(
    config: &Config,
    mode: &AllMode,
    scan: &LineScan,
    rows: &[Row],
    judged: &Judged<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<bool> {
    if mode.reports.is_empty() {
        return Ok(false);
    }
    let mut input = ReportInput {
        traces: rows,
        verdict: judged.verdict,
        baseline: judged.baseline,
        gated: !mode.gates.is_empty() || judged.baseline.is_some_and(|c| c.gated),
        input: match &config.inputs {
            Inputs::Stdin => "<stdin>".to_string(),
            Inputs::Remote(remote) => remote.target.display.clone(),
            Inputs::Paths(paths) => paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" "),
        },
        logs: None,
    };
    // The HTML page shows each trace's lines: files are read again for them.
    let html = mode.reports.iter().any(|r| r.format == ReportFormat::Html);
    let logs = match (&config.inputs, html) {
        (Inputs::Paths(paths), true) => {
            let worst = input.worst();
            let shown = &worst[..worst.len().min(DETAILED_TRACES)];
            Some(collect_logs(scan, paths, rows, shown))
        }
        _ => None,
    };
    input.logs = logs.as_ref().map(|(l, n)| (l.as_slice(), n.as_slice()));
    let mut failed = false;
    let mut written_to = Vec::new();
    for report in &mode.reports {
        match &report.to {
            ReportTarget::Stdout => write_report(report.format, out, &input)?,
            ReportTarget::File(path) => {
                let written = std::fs::File::create(path).and_then(|f| {
                    let mut w = io::BufWriter::new(f);
                    write_report(report.format, &mut w, &input)?;
                    w.flush()
                });
                match written {
                    Ok(()) => written_to.push(path.display().to_string()),
                    Err(e) => {
                        out.flush()?;
                        writeln!(err, "tracegrep: {}", path_error(path, &e))?;
                        failed = true;
                    }
                }
            }
        }
    }
    // With nothing on standard output, a line says where the output went.
    if !mode.print_rows && !config.quiet && !written_to.is_empty() {
        out.flush()?;
        let what = if written_to.len() == 1 {
            "report written to"
        } else {
            "reports written to"
        };
        writeln!(
            err,
            "tracegrep: {what} {}",
            sanitize(&written_to.join(", "))
        )?;
    }
    Ok(failed)
}

/// Gate failures on stderr, one line per reason (the first hundred, then a count).
pub fn report_gates(
    judged: &Judged<'_>,
    rows: &[Row],
    dropped: &[String],
    err: &mut dyn Write,
) -> io::Result<bool> {
    const MAX_LINES: usize = 100;
    let verdict = judged.verdict;
    let mut lines: Vec<String> = verdict.overall.clone();
    let baseline_failed = judged.baseline.is_some_and(Comparison::failed);
    if let Some(c) = judged.baseline {
        lines.extend(c.failures().cloned());
    }
    lines.extend(dropped.iter().cloned());
    for (t, reasons) in rows.iter().zip(&verdict.per_trace) {
        lines.extend(reasons.iter().map(|r| format!("{}: {r}", t.id)));
    }
    for line in lines.iter().take(MAX_LINES) {
        writeln!(err, "tracegrep: gate failed: {}", sanitize(line))?;
    }
    if lines.len() > MAX_LINES {
        writeln!(
            err,
            "tracegrep: gate failed: …and {} more",
            lines.len() - MAX_LINES
        )?;
    }
    Ok(verdict.failed() || baseline_failed || !dropped.is_empty())
}

/// A line's JSON for its fields view: as it is up to [`FIELDS_BYTES`], else with every string
/// cut to [`FIELD_CHARS`] characters (and `…`) so that it stays JSON: cutting the text itself
/// left an error line's stack trace as an unparsable blob on the page, shown raw.
fn fields_json(payload: &[u8]) -> String {
    if payload.len() <= FIELDS_BYTES {
        return String::from_utf8_lossy(payload).into_owned();
    }
    match serde_json::from_slice::<serde_json::Value>(payload) {
        Ok(mut value) => {
            shorten_strings(&mut value);
            value.to_string()
        }
        Err(_) => {
            let cut = String::from_utf8_lossy(&payload[..FIELDS_BYTES]);
            cut.trim_end_matches('\u{fffd}').to_string()
        }
    }
}

/// Cuts every string of `value` to [`FIELD_CHARS`] characters; iterative, so that nesting
/// depth cannot exhaust the stack.
fn shorten_strings(value: &mut serde_json::Value) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::String(text) => {
                if let Some((at, _)) = text.char_indices().nth(FIELD_CHARS) {
                    text.truncate(at);
                    text.push('…');
                }
            }
            serde_json::Value::Array(items) => stack.extend(items.iter_mut()),
            serde_json::Value::Object(fields) => stack.extend(fields.values_mut()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_stay_json() {
        let stack = "at Frame.call()\\n\\t".repeat(400);
        let line =
            format!(r#"{{"level":"error","msg":"boom","stack":"{stack}","n":[1,{{"k":"v"}}]}}"#);
        let kept = fields_json(line.as_bytes());
        let value: serde_json::Value = serde_json::from_str(&kept).expect("still JSON");
        let stack = value["stack"].as_str().unwrap_or_default();
        assert_eq!(stack.chars().count(), FIELD_CHARS + 1);
        assert!(stack.starts_with("at Frame.call()\n\tat Frame") && stack.ends_with('…'));
        assert_eq!(value["n"][1]["k"], "v");
        let short = r#"{"msg":"ok"}"#;
        assert_eq!(fields_json(short.as_bytes()), short);
    }
}
