//! Which traces to keep: trace-level conditions (service, duration, errors, time window) and
//! line-level ones (`--where`, `--grep`) that any line of the trace may satisfy.

use regex::Regex;

use crate::records::duration::parse_duration_arg;
use crate::records::service::unnamed_service;
use crate::records::time::{parse_time_text, Nanos};
use crate::records::{AnyLine, LineFields};
use crate::traces::summary::TraceSummary;
pub use crate::traces::where_clause::{FilterError, Op, WhereClause, WhereField};

/// What to keep. Every condition given must hold; a line-level condition holds when some line
/// of the trace satisfies it.
#[derive(Debug, Clone, Default)]
pub struct TraceFilter {
    /// Keep traces that touch a service whose name contains one of these (lowercase; the
    /// match ignores ASCII case).
    pub services: Vec<String>,
    /// Keep traces at least this long.
    pub min_duration_ns: Option<i64>,
    /// Keep traces at most this long.
    pub max_duration_ns: Option<i64>,
    /// Keep traces with an error line or a failed span.
    pub errors: bool,
    /// Keep failed requests (see [`TraceSummary::failed`]).
    pub failed: bool,
    /// Keep traces that end at or after this instant.
    pub since: Option<Nanos>,
    /// Keep traces that start at or before this instant.
    pub until: Option<Nanos>,
    /// Field comparisons.
    pub wheres: Vec<WhereClause>,
    /// A regex over messages.
    pub grep: Option<Regex>,
}

impl TraceFilter {
    /// Only the conditions tested on lines while they are read (`--where`, `--grep`): what a
    /// reading needs when the trace conditions are applied to its rows afterwards.
    pub fn line_conditions(&self) -> TraceFilter {
        TraceFilter {
            wheres: self.wheres.clone(),
            grep: self.grep.clone(),
            ..TraceFilter::default()
        }
    }

    /// How many line predicates there are: `--where` clauses, then `--grep`.
    pub fn line_predicates(&self) -> usize {
        self.wheres.len() + usize::from(self.grep.is_some())
    }

    /// The paths `--where` reads from the JSON, in order: the field table extracts them, and
    /// a line's `extras` hold them by their index in this list. The clauses on tracegrep's own
    /// fields (`level`, `status`, …) read what every line already decodes.
    pub fn where_paths(&self) -> Vec<String> {
        self.wheres
            .iter()
            .filter_map(|w| w.path().map(str::to_string))
            .collect()
    }

    /// Bit `i` set when the line satisfies line predicate `i`; the line's `extras` hold the
    /// fields of [`TraceFilter::where_paths`] by index. `fallback` names the service of a line
    /// that names none (its file), as the table does.
    pub fn test_line(&self, line: &AnyLine<'_>, fallback: Option<&str>) -> u64 {
        let mut bits = 0u64;
        // The clause behind each extra path (extras are numbered by `where_paths`).
        let mut clause_of = [0usize; 63];
        let mut raw = 0;
        for (i, w) in self.wheres.iter().enumerate().take(63) {
            if w.path().is_some() {
                clause_of[raw] = i;
                raw += 1;
            }
        }
        for (extra, value) in line.extras() {
            let extra = usize::from(extra);
            if extra < raw && self.wheres[clause_of[extra]].test(&value) {
                bits |= 1 << clause_of[extra];
            }
        }
        for (i, w) in self.wheres.iter().enumerate().take(63) {
            let holds = match &w.field {
                WhereField::Path(_) => continue,
                WhereField::Level(_) => line.level().is_some_and(|l| w.test_level(l)),
                WhereField::Duration(_) => line.duration_ns().is_some_and(|d| w.test_duration(d)),
                WhereField::Status => line.status().is_some_and(|s| s.with_text(|s| w.test(s))),
                WhereField::Service => match line.service_text() {
                    Some(s) => w.test(&s),
                    None => unnamed_service(fallback, line).is_some_and(|s| w.test(&s)),
                },
            };
            if holds {
                bits |= 1 << i;
            }
        }
        if let Some(re) = &self.grep {
            // The message first; then the line's whole JSON text, since errors often carry
            // their words elsewhere (`error.message`, `error`, a stack trace).
            let in_message = line.message_text().is_some_and(|m| re.is_match(&m));
            let in_line = || {
                line.payload()
                    .is_some_and(|p| re.is_match(&String::from_utf8_lossy(p)))
            };
            if in_message || in_line() {
                bits |= 1 << self.wheres.len().min(63);
            }
        }
        bits
    }

    /// Whether to keep a trace.
    pub fn keeps(&self, t: &TraceSummary) -> bool {
        let all_lines = match self.line_predicates() {
            0 => 0,
            n if n >= 64 => u64::MAX,
            n => (1u64 << n) - 1,
        };
        let duration = t.duration_ns().unwrap_or(0);
        (self.services.is_empty()
            || t.services.iter().any(|s| {
                self.services
                    .iter()
                    .any(|w| contains_ignore_ascii_case(s, w))
            }))
            && self.min_duration_ns.is_none_or(|min| duration >= min)
            && self.max_duration_ns.is_none_or(|max| duration <= max)
            && (!self.errors || t.has_errors())
            && (!self.failed || t.failed())
            && self.since.is_none_or(|s| t.end.is_some_and(|e| e >= s))
            && self.until.is_none_or(|u| t.start.is_some_and(|st| st <= u))
            && t.matched & all_lines == all_lines
    }
}

/// Parses `--since`/`--until`: RFC 3339 (seconds optional: `2026-11-20T10:00Z`) or a time ago
/// (`15m`, `2h`, `1d`), relative to `now`.
pub fn parse_instant(text: &str, now: Nanos) -> Result<Nanos, FilterError> {
    let t = text.trim();
    if let Some(days) = t.strip_suffix('d').and_then(|d| d.parse::<i64>().ok()) {
        return Ok(now - days * 86_400 * 1_000_000_000);
    }
    if let Some(ago) = parse_duration_arg(t).filter(|_| !t.contains('-')) {
        return Ok(now - ago);
    }
    if let Some(at) = parse_time_text(t) {
        return Ok(at);
    }
    // `2026-11-20T10:00Z`: add the seconds RFC 3339 requires.
    if let Some(zone_at) = t.rfind(['Z', 'z', '+']).filter(|&i| i >= 16) {
        let with_seconds = format!("{}:00{}", &t[..zone_at], &t[zone_at..]);
        if let Some(at) = parse_time_text(&with_seconds) {
            return Ok(at);
        }
    }
    if t.len() == 16 {
        if let Some(at) = parse_time_text(&format!("{t}:00Z")) {
            return Ok(at);
        }
    }
    Err(FilterError::Time(text.to_string()))
}

/// Parses `--min-duration`/`--shorter-than`/`--max-duration`: `500ms`, `2s`, `1m30s`, with a
/// unit (see [`parse_duration_arg`]).
pub fn parse_span(text: &str) -> Option<i64> {
    parse_duration_arg(text)
}

/// Whether `hay` contains `needle` (lowercase), ignoring ASCII case, without lowercasing a copy.
fn contains_ignore_ascii_case(hay: &str, needle: &str) -> bool {
    needle.is_empty()
        || hay
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants() {
        let now = 1_795_168_800_000_000_000;
        assert_eq!(parse_instant("15m", now).unwrap(), now - 900_000_000_000);
        assert_eq!(parse_instant("1d", now).unwrap(), now - 86_400_000_000_000);
        let at = parse_instant("2026-11-20T10:00Z", now).unwrap();
        assert_eq!(at, parse_time_text("2026-11-20T10:00:00Z").unwrap());
        assert_eq!(parse_instant("2026-11-20T10:00", now).unwrap(), at);
        assert!(parse_instant("yesterday", now).is_err());
    }
}
