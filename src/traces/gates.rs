//! CI gates: the conditions under which a run fails (exit 3), checked over the summaries.

use crate::records::decode::truncate_chars;
use crate::records::duration::format_duration;
use crate::traces::filter::parse_span;
use crate::traces::stats::normalize_operation;
use crate::traces::summary::{Row, TraceSummary};

/// `--max-duration`: a limit for every trace, or for traces with one root operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationGate {
    /// The root operation it applies to (as named, or with ids folded to `{id}`); `None`
    /// for every trace.
    pub operation: Option<String>,
    /// The limit.
    pub max_ns: i64,
}

impl DurationGate {
    /// Parses `2s` or `GET /checkout=800ms`.
    pub fn parse(text: &str) -> Option<DurationGate> {
        if let Some(max_ns) = parse_span(text.trim()) {
            return Some(DurationGate {
                operation: None,
                max_ns,
            });
        }
        let (operation, limit) = text.rsplit_once('=')?;
        let operation = operation.trim();
        (!operation.is_empty()).then_some(())?;
        Some(DurationGate {
            operation: Some(operation.to_string()),
            max_ns: parse_span(limit.trim())?,
        })
    }

    fn applies_to(&self, t: &TraceSummary) -> bool {
        let Some(op) = &self.operation else {
            return true;
        };
        let Some(name) = &t.root_name else {
            return false;
        };
        let qualified = t
            .root_service
            .as_ref()
            .map(|s| format!("{s}: {name}"))
            .unwrap_or_default();
        op.as_str() == &**name || *op == qualified || *op == normalize_operation(name)
    }
}

/// The gates of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gates {
    /// `--fail-on-error`.
    pub fail_on_error: bool,
    /// `--max-duration`.
    pub max_duration: Vec<DurationGate>,
    /// `--max-error-rate`, as a fraction.
    pub max_error_rate: Option<f64>,
    /// `--fail-on-orphans`.
    pub fail_on_orphans: bool,
    /// `--fail-on-incomplete`.
    pub fail_on_incomplete: bool,
}

/// What the gates found: reasons per trace (in the order of the traces given) and for the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    /// Why each trace failed; empty when it passed.
    pub per_trace: Vec<Vec<String>>,
    /// Reasons about the whole run (the error rate).
    pub overall: Vec<String>,
}

impl Verdict {
    /// Some gate failed.
    pub fn failed(&self) -> bool {
        !self.overall.is_empty() || self.per_trace.iter().any(|r| !r.is_empty())
    }

    /// Traces that failed a gate.
    pub fn failed_traces(&self) -> usize {
        self.per_trace.iter().filter(|r| !r.is_empty()).count()
    }
}

impl Gates {
    /// No gate was asked for.
    pub fn is_empty(&self) -> bool {
        *self == Gates::default()
    }

    /// Checks every trace and the run. `earlier` counts traces that were judged before and
    /// are no longer in `traces` (a stream's rows past its cap): (with errors, all).
    pub fn check(&self, traces: &[Row], earlier: (usize, usize)) -> Verdict {
        let per_trace = traces.iter().map(|t| self.check_trace(t)).collect();
        let mut overall = Vec::new();
        if let Some(max) = self.max_error_rate {
            let failing = traces.iter().filter(|t| t.has_errors()).count() + earlier.0;
            let total = traces.len() + earlier.1;
            let rate = if total == 0 {
                0.0
            } else {
                failing as f64 / total as f64
            };
            if rate > max {
                overall.push(format!(
                    "error rate {} ({failing} of {total} traces) is over --max-error-rate {}",
                    percent(rate),
                    percent(max)
                ));
            }
        }
        Verdict { per_trace, overall }
    }

    /// Why one trace fails the gates (empty when it passes).
    pub fn check_trace(&self, t: &TraceSummary) -> Vec<String> {
        let mut reasons = Vec::new();
        if self.fail_on_error && t.has_errors() {
            let mut what = Vec::new();
            if t.error_lines > 0 {
                what.push(plural(t.error_lines as usize, "error line"));
            }
            if t.failed_spans > 0 {
                what.push(plural(t.failed_spans, "failed span"));
            }
            let first = t
                .error_samples
                .first()
                .map(|e| {
                    format!(
                        ": {}: {}",
                        truncate_chars(e.service.as_str().into(), MAX_REASON_SERVICE),
                        truncate_chars(e.message.as_str().into(), MAX_REASON_MESSAGE)
                    )
                })
                .unwrap_or_default();
            reasons.push(format!("errors: {}{first}", what.join(", ")));
        }
        if let Some(duration) = t.duration_ns() {
            for gate in self.max_duration.iter().filter(|g| g.applies_to(t)) {
                if duration > gate.max_ns {
                    let scope = gate
                        .operation
                        .as_ref()
                        .map(|op| format!(" for {op}"))
                        .unwrap_or_default();
                    reasons.push(format!(
                        "duration {} is over --max-duration {}{scope}",
                        format_duration(duration),
                        format_duration(gate.max_ns)
                    ));
                }
            }
        }
        if self.fail_on_orphans && t.missing_parents > 0 {
            reasons.push(format!(
                "orphans: {} never logged (broken propagation)",
                plural(t.missing_parents, "parent span")
            ));
        }
        if let Some(findings) = t.incomplete.as_deref().filter(|_| self.fail_on_incomplete) {
            let mut findings = findings.clone();
            if self.fail_on_orphans {
                // Said once, by the orphans gate above.
                findings.orphans = 0;
            }
            reasons.extend(findings.reasons());
        }
        reasons
    }
}

/// A reason is one line of stderr and a JUnit failure message: the first error's service and
/// message are cut so that a 100 KB log message cannot make it 100 KB.
const MAX_REASON_SERVICE: usize = 80;
/// See `MAX_REASON_SERVICE`.
const MAX_REASON_MESSAGE: usize = 200;

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn percent(rate: f64) -> String {
    let p = rate * 100.0;
    if p == p.round() {
        format!("{p:.0}%")
    } else {
        format!("{p:.2}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_gates_parse() {
        assert_eq!(
            DurationGate::parse("2s"),
            Some(DurationGate {
                operation: None,
                max_ns: 2_000_000_000
            })
        );
        assert_eq!(
            DurationGate::parse("GET /checkout=800ms"),
            Some(DurationGate {
                operation: Some("GET /checkout".into()),
                max_ns: 800_000_000
            })
        );
        assert_eq!(DurationGate::parse("=5s"), None);
        assert_eq!(DurationGate::parse("GET /x"), None);
        assert_eq!(percent(0.01), "1%");
        assert_eq!(percent(0.0325), "3.25%");
    }
}
