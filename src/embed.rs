//! The log lines of chosen traces, read again from the files, for the HTML report: the first
//! pass keeps per trace only what the table needs, so a page that shows each trace's lines
//! reads them in a second, parallel pass. Bounded: at most [`LINES_PER_TRACE`] lines per trace
//! and [`LINES_IN_ALL`] in all, worst traces first.

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use crate::all::scan_unit;
use crate::diag::Diagnostics;
use crate::input::plan::{units, Plan};
use crate::records::ids::{SpanId, TraceKey};
use crate::records::level::Level;
use crate::records::lines::LineScan;
use crate::records::time::Nanos;
use crate::records::{LineFields, SourceId};
use crate::traces::summary::Row;
use crate::traces::UNKNOWN_SERVICE;

/// Lines kept per trace (the earliest).
pub const LINES_PER_TRACE: usize = 300;
/// Lines kept in all.
pub const LINES_IN_ALL: usize = 40_000;
/// Bytes of a line's raw JSON kept as it is for its fields view; a longer line (a stack
/// trace, most often) is kept as JSON with its long strings shortened.
const FIELDS_BYTES: usize = 4096;
/// Characters a string keeps when a line is shortened.
const FIELD_CHARS: usize = 1500;

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

/// The lines of `traces` (aligned with them; empty for traces past the budget) and the names
/// of the sources they came from.
pub fn collect_logs(
    scan: &LineScan,
    paths: &[std::path::PathBuf],
    traces: &[Row],
    worst_first: &[usize],
) -> (Vec<Vec<LogLine>>, Vec<String>) {
    // Which traces get lines: worst first, while the budget lasts.
    let mut wanted: HashMap<TraceKey, usize> = HashMap::default();
    let mut by_low: HashMap<u64, usize> = HashMap::default();
    let mut budget = LINES_IN_ALL;
    for &i in worst_first {
        let t = &traces[i];
        let lines = (t.lines as usize).min(LINES_PER_TRACE);
        if lines > budget {
            break;
        }
        budget -= lines;
        wanted.insert(t.id.clone(), i);
        if let Some(low) = t.id.low64() {
            by_low.insert(low, i);
        }
    }
    let plan = Plan::open(paths);
    let names: Vec<String> = plan.sources.iter().map(|s| s.display.clone()).collect();
    let found: Vec<(usize, LogLine)> = units(&plan.plain, plan.streams)
        .into_par_iter()
        .map(|unit| {
            let mut diag = Diagnostics::default();
            let mut mine = Vec::new();
            scan_unit(
                scan,
                unit,
                &plan.sources,
                &mut diag,
                &mut |line, ids, at, fallback| {
                    let Some(key) = &ids.trace else { return };
                    let index = wanted.get(key).copied().or_else(|| match key {
                        TraceKey::Low64(low) => by_low.get(low).copied(),
                        _ => None,
                    });
                    let Some(index) = index else { return };
                    let fields = line.payload().map(fields_json);
                    mine.push((
                        index,
                        LogLine {
                            time: line.time(),
                            service: line
                                .service()
                                .or_else(|| fallback.map(str::to_string))
                                .or_else(|| line.service_hint())
                                .unwrap_or_else(|| UNKNOWN_SERVICE.to_string()),
                            level: line.level(),
                            message: line.message(),
                            span: ids.span,
                            fields,
                            source: at.source,
                            offset: at.offset,
                        },
                    ));
                },
            );
            mine
        })
        .reduce(Vec::new, |mut a, b| {
            a.extend(b);
            a
        });
    let mut logs = vec![Vec::new(); traces.len()];
    for (i, line) in found {
        logs[i].push(line);
    }
    for lines in &mut logs {
        lines.sort_by_key(|l| (l.time.unwrap_or(i64::MAX), l.source, l.offset));
        lines.truncate(LINES_PER_TRACE);
    }
    (logs, names)
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
