//! `--where FIELD OP VALUE`: one comparison that some line of a trace must satisfy.
//!
//! Four names mean tracegrep's own reading of a line, whatever the logger wrote: `service`,
//! `level` (`error`, `ERROR`, pino's 50 and OTel's severity 17 are all `level=error`, and
//! `level>=warn` follows severity), `status` (the HTTP status or gRPC code) and `duration`
//! (with units: `duration>10s`). Any other name is a dotted path into the line's JSON, and a
//! leading `.` asks for the path as logged even for those four names (`.level=30`).

use std::cmp::Ordering;

use regex::Regex;

use crate::records::duration::{parse_duration_text, DurationUnit};
use crate::records::level::{level_from_text, Level};

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

/// What a clause reads from a line.
#[derive(Debug, Clone, PartialEq)]
pub enum WhereField {
    /// A field of the line's JSON by dotted path, as logged.
    Path(String),
    /// The line's service, as the table shows it (the file name when the line names none).
    Service,
    /// The line's severity, compared by rank with the level the clause names.
    Level(Level),
    /// The HTTP status or gRPC code the line reports.
    Status,
    /// The duration the line reports, compared with the clause's (in nanoseconds).
    Duration(i64),
}

/// `FIELD OP VALUE`, as in `status>=500`, `level>=warn`, `duration>10s`, `user.id=42`,
/// `msg~time ?out`.
#[derive(Debug, Clone)]
pub struct WhereClause {
    /// What is compared.
    pub field: WhereField,
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
    #[error("--where {0:?}: expected FIELD=VALUE, FIELD!=VALUE, FIELD<VALUE, FIELD<=VALUE, FIELD>VALUE, FIELD>=VALUE or FIELD~REGEX")]
    Where(String),
    /// `--where level…` with a value that is no level, or `duration…` with no duration.
    #[error("--where {0:?}: {1}")]
    Value(String, &'static str),
    /// A regex that does not compile.
    #[error("invalid regex {0:?}: {1}")]
    Regex(String, regex::Error),
    /// A time that is neither RFC 3339 nor relative.
    #[error("{0:?} is not a time: use RFC 3339 (2026-11-20T10:00Z) or a time ago with a unit (15m, 2h, 1d; ns, us, ms, s, m, h, d)")]
    Time(String),
}

impl WhereClause {
    /// Parses `FIELD OP VALUE`.
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
        let name = text[..at].trim();
        let value = text[at + op_text.len()..].trim().to_string();
        let field = match name {
            "" | "." => return Err(FilterError::Where(text.to_string())),
            "service" => WhereField::Service,
            "status" => WhereField::Status,
            "level" if op == Op::Matches => {
                return Err(FilterError::Value(
                    text.to_string(),
                    "compare levels with =, !=, <, <=, > or >= (level>=warn)",
                ))
            }
            "level" => WhereField::Level(level_from_text(&value).ok_or(FilterError::Value(
                text.to_string(),
                "not a level: use trace, debug, info, warn, error or fatal (`.level=…` compares the field as logged)",
            ))?),
            "duration" if op == Op::Matches => {
                return Err(FilterError::Value(
                    text.to_string(),
                    "compare durations with =, !=, <, <=, > or >= (duration>10s)",
                ))
            }
            "duration" => WhereField::Duration(
                parse_duration_text(&value, DurationUnit::Millis).ok_or(FilterError::Value(
                    text.to_string(),
                    "not a duration: use 250ms, 10s, 1m30s (a bare number is milliseconds)",
                ))?,
            ),
            // `.level`: the field as logged, not tracegrep's reading of it.
            raw => WhereField::Path(raw.strip_prefix('.').unwrap_or(raw).to_string()),
        };
        let regex = match op {
            Op::Matches => {
                Some(Regex::new(&value).map_err(|e| FilterError::Regex(value.clone(), e))?)
            }
            _ => None,
        };
        let number = value.parse::<f64>().ok();
        Ok(WhereClause {
            field,
            op,
            value,
            regex,
            number,
        })
    }

    /// The dotted path the clause reads from the line's JSON, if it reads one.
    pub fn path(&self) -> Option<&str> {
        match &self.field {
            WhereField::Path(p) => Some(p),
            _ => None,
        }
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
        ordering.is_some_and(|o| self.holds(o))
    }

    /// Whether a line's level satisfies a `level` clause (false for other clauses).
    pub fn test_level(&self, level: Level) -> bool {
        match self.field {
            WhereField::Level(want) => self.holds(level.cmp(&want)),
            _ => false,
        }
    }

    /// Whether a line's duration satisfies a `duration` clause (false for other clauses).
    pub fn test_duration(&self, ns: i64) -> bool {
        match self.field {
            WhereField::Duration(want) => self.holds(ns.cmp(&want)),
            _ => false,
        }
    }

    /// Whether `found OP wanted` holds, given how found compares with wanted.
    fn holds(&self, ordering: Ordering) -> bool {
        use Ordering::{Equal, Greater, Less};
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
            ("status>=500", "info", false),
            ("status=500", "info", false),
            ("status!=500", "info", true),
            ("service~^pay", "payments", true),
            (".level<=warn", "error", true),
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
    fn the_four_names_are_tracegreps_own_fields_and_a_dot_asks_for_the_raw_one() {
        let field = |t: &str| WhereClause::parse(t).unwrap().field;
        assert_eq!(field("service=api"), WhereField::Service);
        assert_eq!(field("status>=500"), WhereField::Status);
        assert_eq!(field("level=ERROR"), WhereField::Level(Level::Error));
        assert_eq!(field("level=err"), WhereField::Level(Level::Error));
        assert_eq!(field("duration>10s"), WhereField::Duration(10_000_000_000));
        assert_eq!(field("duration<=250"), WhereField::Duration(250_000_000));
        assert_eq!(field(".level=30"), WhereField::Path("level".into()));
        assert_eq!(
            field("http.status=1"),
            WhereField::Path("http.status".into())
        );
        for bad in [
            "level=loud",
            "level=50",
            "level~err",
            "duration>soon",
            "duration~1",
        ] {
            assert!(
                matches!(WhereClause::parse(bad), Err(FilterError::Value(..))),
                "{bad}"
            );
        }
    }

    #[test]
    fn levels_and_durations_compare_by_rank_and_length() {
        let rows = [
            ("level=error", Level::Error, true),
            ("level=error", Level::Fatal, false),
            ("level>=warn", Level::Error, true),
            ("level>=warn", Level::Info, false),
            ("level<info", Level::Debug, true),
            ("level!=info", Level::Warn, true),
        ];
        for (clause, level, want) in rows {
            let c = WhereClause::parse(clause).unwrap();
            assert_eq!(c.test_level(level), want, "{clause} on {level:?}");
        }
        let c = WhereClause::parse("duration>10s").unwrap();
        assert!(c.test_duration(10_000_000_001));
        assert!(!c.test_duration(10_000_000_000));
        // Text comparison would have put "9s" after "10s".
        assert!(!c.test_duration(9_000_000_000));
    }
}
