//! Which traces to keep: trace-level conditions (service, duration, errors, time window) and
//! line-level ones (`--where`, `--grep`) that any line of the trace may satisfy.

use regex::Regex;

use crate::records::duration::parse_duration_arg;
use crate::records::time::{parse_time_text, Nanos};
use crate::records::AnyLine;
use crate::traces::summary::TraceSummary;

/// A comparison in `--where`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `~`: the regex matches.
    Matches,
}

/// `PATH OP VALUE`, as in `http.status>=500`, `user.id=42`, `msg~time ?out`.
#[derive(Debug, Clone)]
pub struct WhereClause {
    /// Dotted path of the field.
    pub path: String,
    /// The comparison.
    pub op: Op,
    /// The value as written.
    pub value: String,
    regex: Option<Regex>,
    number: Option<f64>,
}

/// Why a filter could not be built.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    /// `--where` without an operator.
    #[error("--where {0:?}: expected PATH=VALUE, PATH!=VALUE, PATH<VALUE, PATH<=VALUE, PATH>VALUE, PATH>=VALUE or PATH~REGEX")]
    Where(String),
    /// A regex that does not compile.
    #[error("invalid regex {0:?}: {1}")]
    Regex(String, regex::Error),
    /// A time that is neither RFC 3339 nor relative.
    #[error("{0:?} is not a time: use RFC 3339 (2026-11-20T10:00Z) or a time ago with a unit (15m, 2h, 1d; ns, us, ms, s, m, h, d)")]
    Time(String),
}

impl WhereClause {
    /// Parses `PATH OP VALUE`.
    pub fn parse(text: &str) -> Result<WhereClause, FilterError> {
        // Two-character operators first, so `>=` is not read as `>` and `=value`.
        const OPS: &[(&str, Op)] = &[
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
            ("~", Op::Matches),
        ];
        let (at, op_text, op) = OPS
            .iter()
            .filter_map(|&(t, op)| text.find(t).map(|at| (at, t, op)))
            .min_by_key(|&(at, t, _)| (at, std::cmp::Reverse(t.len())))
            .ok_or_else(|| FilterError::Where(text.to_string()))?;
        let path = text[..at].trim().to_string();
        let value = text[at + op_text.len()..].trim().to_string();
        if path.is_empty() {
            return Err(FilterError::Where(text.to_string()));
        }
        let regex = match op {
            Op::Matches => {
                Some(Regex::new(&value).map_err(|e| FilterError::Regex(value.clone(), e))?)
            }
            _ => None,
        };
        let number = value.parse::<f64>().ok();
        Ok(WhereClause {
            path,
            op,
            value,
            regex,
            number,
        })
    }

    /// Whether a field's value (as text) satisfies the clause; numbers compare as numbers.
    pub fn test(&self, field: &str) -> bool {
        if let Some(re) = &self.regex {
            return re.is_match(field);
        }
        let ordering = match (self.number, field.trim().parse::<f64>().ok()) {
            (Some(want), Some(got)) => got.partial_cmp(&want),
            // A number asked for and text found (`status>=500` on `"status":"info"`): only
            // "not equal" holds; comparing the text would make "info" >= "500".
            (Some(_), None) => return self.op == Op::Ne,
            (None, _) => Some(field.cmp(self.value.as_str())),
        };
        let Some(ordering) = ordering else {
            return false;
        };
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self.op {
            Op::Eq => ordering == Equal,
            Op::Ne => ordering != Equal,
            Op::Lt => ordering == Less,
            Op::Le => ordering != Greater,
            Op::Gt => ordering == Greater,
            Op::Ge => ordering != Less,
            Op::Matches => false,
        }
    }
}

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
    /// How many line predicates there are: `--where` clauses, then `--grep`.
    pub fn line_predicates(&self) -> usize {
        self.wheres.len() + usize::from(self.grep.is_some())
    }

    /// The paths `--where` reads, in predicate order: the field table extracts them.
    pub fn where_paths(&self) -> Vec<String> {
        self.wheres.iter().map(|w| w.path.clone()).collect()
    }

    /// Bit `i` set when the line satisfies line predicate `i`; the line's `extras` hold the
    /// fields of [`TraceFilter::where_paths`] by index.
    pub fn test_line(&self, line: &AnyLine<'_>) -> u64 {
        let mut bits = 0u64;
        for (i, value) in line.extras() {
            let i = usize::from(i);
            if i < 63 && self.wheres.get(i).is_some_and(|w| w.test(&value)) {
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
    fn where_clauses() {
        let rows = [
            ("http.status>=500", "503", true),
            ("http.status>=500", "404", false),
            ("http.status>500", "500", false),
            ("user.id=42", "42", true),
            ("user.id=42", "42.0", true),
            ("user.id!=42", "43", true),
            ("route=GET /x", "GET /x", true),
            ("msg~time ?out", "timeout", true),
            ("level<=warn", "error", true),
            ("status>=500", "info", false),
            ("status=500", "info", false),
            ("status!=500", "info", true),
        ];
        for (clause, value, want) in rows {
            let c = WhereClause::parse(clause).unwrap();
            assert_eq!(c.test(value), want, "{clause} on {value}");
        }
        assert!(WhereClause::parse("nothing").is_err());
        assert!(WhereClause::parse("=5").is_err());
        assert!(WhereClause::parse("a~(").is_err());
    }

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
