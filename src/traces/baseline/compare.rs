//! Each operation then and now: how it changed, under the noise rule, and what the gates say.

use crate::records::duration::format_duration;
use crate::traces::baseline::{
    percent, BaselineGates, OpKey, OpKind, OpStats, RunOperations, MIN_SAMPLES, NOISE_FLOOR_NS,
};

/// How an operation changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Slower beyond the noise rule and over its `--max-regression`.
    Regressed,
    /// Slower beyond the noise rule (within its gate, or with none).
    Slower,
    /// Only in this run.
    New,
    /// Only in the baseline.
    Gone,
    /// Faster beyond the noise rule.
    Faster,
    /// Within the noise rule (or too few samples to tell).
    Unchanged,
}

impl Change {
    /// The word a report uses.
    pub fn label(self) -> &'static str {
        match self {
            Change::Regressed => "regressed",
            Change::Slower => "slower",
            Change::New => "new",
            Change::Gone => "gone",
            Change::Faster => "faster",
            Change::Unchanged => "unchanged",
        }
    }
}

/// One operation, then and now.
#[derive(Debug, Clone, PartialEq)]
pub struct OpChange {
    /// Request or span.
    pub kind: OpKind,
    /// Its service.
    pub service: String,
    /// Its operation, ids folded to `{id}`.
    pub operation: String,
    /// In the baseline.
    pub then: Option<OpStats>,
    /// In this run.
    pub now: Option<OpStats>,
    /// How it changed.
    pub change: Change,
    /// It fails now and never failed in the baseline (or is new and fails).
    pub new_errors: bool,
    /// Why it fails a gate (empty when it passes).
    pub failures: Vec<String>,
}

impl OpChange {
    /// `SERVICE: OPERATION`, as the table of traces shows a root.
    pub fn name(&self) -> String {
        format!("{}: {}", self.service, self.operation)
    }

    /// How much the p95 grew (negative when it shrank), in nanoseconds.
    pub fn p95_change_ns(&self) -> Option<i64> {
        Some(self.now?.p95_ns - self.then?.p95_ns)
    }

    /// The same as a fraction of the baseline's p95 (`None` when that was 0).
    pub fn p95_change_ratio(&self) -> Option<f64> {
        let then = self.then?.p95_ns;
        (then > 0).then(|| self.p95_change_ns().unwrap_or(0) as f64 / then as f64)
    }

    /// The change of the p95 passes the noise rule: enough samples in both runs, and more
    /// than [`NOISE_FLOOR_NS`] either way.
    pub fn significant(&self) -> bool {
        match (self.then, self.now) {
            (Some(then), Some(now)) => {
                then.count >= MIN_SAMPLES
                    && now.count >= MIN_SAMPLES
                    && (now.p95_ns - then.p95_ns).abs() > NOISE_FLOOR_NS
            }
            _ => false,
        }
    }

    /// Worth showing: anything but an unchanged operation without new errors.
    pub fn notable(&self) -> bool {
        self.change != Change::Unchanged || self.new_errors
    }
}

/// A run against its baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The baseline, as named on the command line.
    pub baseline: String,
    /// Traces in the baseline.
    pub traces_then: usize,
    /// Traces in this run.
    pub traces_now: usize,
    /// Every operation of either run: failed gates first, then regressed, slower (most
    /// first), new errors, new, gone, faster, and the unchanged.
    pub operations: Vec<OpChange>,
    /// Some baseline gate was asked for.
    pub gated: bool,
}

/// How many operations changed how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChangeCounts {
    /// Over their `--max-regression`.
    pub regressed: usize,
    /// Slower, within their gate or with none.
    pub slower: usize,
    /// Faster.
    pub faster: usize,
    /// Only in this run.
    pub new: usize,
    /// Only in the baseline.
    pub gone: usize,
    /// Within the noise rule.
    pub unchanged: usize,
    /// Failing now and not in the baseline.
    pub new_errors: usize,
}

impl Comparison {
    /// Compares `now` with `then` and applies `gates`.
    pub fn new(
        baseline: String,
        then: RunOperations,
        now: RunOperations,
        gates: &BaselineGates,
    ) -> Comparison {
        let (traces_then, traces_now) = (then.traces(), now.traces());
        let mut then = then.finish();
        let mut operations: Vec<OpChange> = Vec::new();
        for (key, now_stats) in now.finish() {
            let then_stats = then.remove(&key);
            operations.push(judge(key, then_stats, Some(now_stats), gates));
        }
        for (key, then_stats) in then {
            operations.push(judge(key, Some(then_stats), None, gates));
        }
        operations.sort_by(|a, b| {
            let growth = |c: &OpChange| c.p95_change_ratio().unwrap_or(0.0);
            (a.failures.is_empty(), a.change, !a.new_errors)
                .cmp(&(b.failures.is_empty(), b.change, !b.new_errors))
                .then_with(|| match a.change {
                    Change::Faster => growth(a).total_cmp(&growth(b)),
                    _ => growth(b).total_cmp(&growth(a)),
                })
                .then_with(|| {
                    (a.kind, &a.service, &a.operation).cmp(&(b.kind, &b.service, &b.operation))
                })
        });
        Comparison {
            baseline,
            traces_then,
            traces_now,
            operations,
            gated: !gates.is_empty(),
        }
    }

    /// Every gate failure, one reason per line.
    pub fn failures(&self) -> impl Iterator<Item = &String> {
        self.operations.iter().flat_map(|o| o.failures.iter())
    }

    /// Some gate failed.
    pub fn failed(&self) -> bool {
        self.failures().next().is_some()
    }

    /// How many operations changed how.
    pub fn counts(&self) -> ChangeCounts {
        let mut c = ChangeCounts::default();
        for o in &self.operations {
            *match o.change {
                Change::Regressed => &mut c.regressed,
                Change::Slower => &mut c.slower,
                Change::Faster => &mut c.faster,
                Change::New => &mut c.new,
                Change::Gone => &mut c.gone,
                Change::Unchanged => &mut c.unchanged,
            } += 1;
            c.new_errors += usize::from(o.new_errors);
        }
        c
    }
}

/// One operation's change and the gates' reasons.
fn judge(
    key: OpKey,
    then: Option<OpStats>,
    now: Option<OpStats>,
    gates: &BaselineGates,
) -> OpChange {
    let limit = gates.limit_for(&key);
    let (kind, service, operation) = key;
    let mut op = OpChange {
        kind,
        service,
        operation,
        then,
        now,
        change: Change::Unchanged,
        new_errors: now.is_some_and(|n| n.errors > 0) && then.is_none_or(|t| t.errors == 0),
        failures: Vec::new(),
    };
    op.change = match (then, now) {
        (None, _) => Change::New,
        (_, None) => Change::Gone,
        _ if !op.significant() => Change::Unchanged,
        _ if op.p95_change_ns().unwrap_or(0) < 0 => Change::Faster,
        _ => match limit {
            Some(g) if op.p95_change_ratio().is_none_or(|r| r > g.max) => Change::Regressed,
            _ => Change::Slower,
        },
    };
    let what = format!("{} ({})", op.name(), op.kind.label());
    if let (Change::Regressed, Some(g), Some(then), Some(now)) = (op.change, limit, then, now) {
        let growth = op
            .p95_change_ratio()
            .map_or_else(|| "from 0".to_string(), |r| format!("+{}", percent(r)));
        op.failures.push(format!(
            "regression: {what}: p95 {} → {} ({growth}), over --max-regression {}",
            format_duration(then.p95_ns),
            format_duration(now.p95_ns),
            g.spelled()
        ));
    }
    if op.new_errors && gates.fail_on_new_errors {
        let now = now.unwrap_or(OpStats {
            count: 0,
            errors: 0,
            p50_ns: 0,
            p95_ns: 0,
            p99_ns: 0,
        });
        let before = match then {
            Some(t) => format!("none of {} in the baseline", t.count),
            None => "a new operation".to_string(),
        };
        op.failures.push(format!(
            "new errors: {what}: {} of {} failed; {before}",
            now.errors, now.count
        ));
    }
    op
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traces::baseline::{RegressionGate, Sample};

    fn run(samples: &[(OpKind, &str, &str, f64, bool)], traces: usize) -> RunOperations {
        let mut ops = RunOperations::default();
        for chunk in samples.chunks(samples.len().div_ceil(traces).max(1)) {
            ops.add_trace(
                chunk
                    .iter()
                    .map(|&(kind, service, name, ms, error)| Sample {
                        kind,
                        service,
                        name,
                        duration_ms: Some(ms),
                        error,
                    }),
            );
        }
        ops
    }

    fn many(
        kind: OpKind,
        name: &str,
        n: usize,
        ms: f64,
        errors: usize,
    ) -> Vec<(OpKind, &'static str, String, f64, bool)> {
        (0..n)
            .map(|i| {
                (
                    kind,
                    "api",
                    format!("{name}{i}"),
                    ms + i as f64 / 100.0,
                    i < errors,
                )
            })
            .collect()
    }

    fn ops(rows: &[(OpKind, &'static str, String, f64, bool)]) -> RunOperations {
        let borrowed: Vec<_> = rows
            .iter()
            .map(|(k, s, n, d, e)| (*k, *s, n.as_str(), *d, *e))
            .collect();
        run(&borrowed, rows.len())
    }

    fn gates(max: &str, new_errors: bool) -> BaselineGates {
        BaselineGates {
            max_regression: RegressionGate::parse(max).into_iter().collect(),
            fail_on_new_errors: new_errors,
        }
    }

    #[test]
    fn a_run_against_itself_changes_nothing() {
        let rows = [
            many(OpKind::Request, "GET /orders/", 30, 10.0, 2),
            many(OpKind::Span, "GET /items/", 50, 3.0, 0),
        ]
        .concat();
        let c = Comparison::new(String::new(), ops(&rows), ops(&rows), &gates("0%", true));
        assert_eq!(c.operations.len(), 2, "ids folded: {:?}", c.operations);
        for o in &c.operations {
            assert_eq!(o.then, o.now);
            assert_eq!(o.change, Change::Unchanged);
            assert_eq!(o.p95_change_ns(), Some(0));
            assert!(o.failures.is_empty() && !o.new_errors);
        }
        assert!(!c.failed());
    }

    #[test]
    fn the_noise_rule_holds_back_small_samples_and_small_times() {
        let base = many(OpKind::Span, "GET /a/", 30, 10.0, 0);
        // Three times slower: fails.
        let slow = many(OpKind::Span, "GET /a/", 30, 30.0, 0);
        let c = Comparison::new(String::new(), ops(&base), ops(&slow), &gates("20%", false));
        assert_eq!(c.operations[0].change, Change::Regressed);
        assert!(
            c.operations[0].failures[0].contains("p95 10.28ms → 30.28ms"),
            "{:?}",
            c.operations[0].failures
        );
        // The same growth on too few samples: unchanged.
        let few = |ms| many(OpKind::Span, "GET /a/", (MIN_SAMPLES - 1) as usize, ms, 0);
        let c = Comparison::new(
            String::new(),
            ops(&few(10.0)),
            ops(&few(30.0)),
            &gates("20%", false),
        );
        assert_eq!(c.operations[0].change, Change::Unchanged);
        assert!(!c.failed());
        // +100 % under the floor in milliseconds: unchanged.
        let tiny = |ms| many(OpKind::Span, "GET /a/", 40, ms, 0);
        let c = Comparison::new(
            String::new(),
            ops(&tiny(0.5)),
            ops(&tiny(1.5)),
            &gates("20%", false),
        );
        assert_eq!(c.operations[0].change, Change::Unchanged);
        // Slower within the gate.
        let c = Comparison::new(String::new(), ops(&base), ops(&slow), &gates("500%", false));
        assert_eq!(c.operations[0].change, Change::Slower);
        assert!(!c.failed());
    }

    #[test]
    fn new_errors_new_and_gone_operations() {
        let base = many(OpKind::Span, "GET /a/", 30, 10.0, 0);
        let now = [
            many(OpKind::Span, "GET /a/", 30, 10.0, 2),
            many(OpKind::Span, "GET /b/", 5, 1.0, 1),
        ]
        .concat();
        let c = Comparison::new(String::new(), ops(&base), ops(&now), &gates("20%", true));
        let counts = c.counts();
        assert_eq!((counts.new, counts.new_errors, counts.unchanged), (1, 2, 1));
        let reasons: Vec<&String> = c.failures().collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("a new operation")));
        let c = Comparison::new(
            String::new(),
            ops(&now),
            ops(&base),
            &BaselineGates::default(),
        );
        assert_eq!(c.counts().gone, 1);
        assert!(!c.failed());
    }
}
