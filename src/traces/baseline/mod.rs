//! A run compared with its baseline (`--baseline REPORT.json`): per operation, the count, the
//! p50/p95/p99 durations and the error rate then and now, operations new and gone, and the
//! gates `--max-regression` and `--fail-on-new-errors`.
//!
//! Both runs are read as the same neutral input, one [`Sample`] per request and per span, and
//! folded by the same [`RunOperations`]: the baseline from its report's traces, the run from
//! its traces in memory. A run compared with its own report therefore shows no change at all.

mod compare;
mod gates;

use std::collections::BTreeMap;

use crate::traces::stats::{normalize_operation, Group};

pub use compare::{Change, ChangeCounts, Comparison, OpChange};
pub use gates::{BaselineGates, RegressionGate};

/// A regression counts only when both runs have at least this many requests or spans of the
/// operation: below it, a p95 is one slow outlier.
pub const MIN_SAMPLES: u64 = 20;
/// A regression counts only when the p95 rose by more than this, in nanoseconds, however large
/// the share: a cache lookup going from 0.3 ms to 0.6 ms is scheduling noise, not a regression.
pub const NOISE_FLOOR_NS: i64 = 2_000_000;

/// What an operation is: a request (a trace's root service and operation, with the request's
/// duration as the table shows it) or a span (a service and a span's operation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpKind {
    /// A trace's root operation.
    Request,
    /// A span's operation.
    Span,
}

impl OpKind {
    /// `request` or `span`.
    pub fn label(self) -> &'static str {
        match self {
            OpKind::Request => "request",
            OpKind::Span => "span",
        }
    }
}

/// One request or span, as both runs are read: the neutral input of the comparison.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    /// Request or span.
    pub kind: OpKind,
    /// Its service.
    pub service: &'a str,
    /// Its operation as logged (ids are folded to `{id}` when counted).
    pub name: &'a str,
    /// Its duration in milliseconds at the JSON report's precision (microseconds), so that a
    /// duration read back from a report is the duration that was written.
    pub duration_ms: Option<f64>,
    /// It failed (a request: [`crate::traces::summary::TraceSummary::failed`]; a span: its
    /// `error`).
    pub error: bool,
}

/// An operation: its kind, service and name with ids folded.
pub type OpKey = (OpKind, String, String);

/// The operations of one run, being counted.
#[derive(Debug, Default)]
pub struct RunOperations {
    traces: usize,
    groups: BTreeMap<OpKey, Group>,
}

impl RunOperations {
    /// Counts one trace: its request and its spans. Samples without a duration are left
    /// out, as `--stats` leaves them out.
    pub fn add_trace<'a>(&mut self, samples: impl IntoIterator<Item = Sample<'a>>) {
        self.traces += 1;
        for s in samples {
            let Some(ms) = s.duration_ms.filter(|ms| ms.is_finite()) else {
                continue;
            };
            let key = (s.kind, s.service.to_string(), normalize_operation(s.name));
            // Whole microseconds: what the report holds, without the float's last bits.
            let ns = (ms * 1_000.0).round() as i64 * 1_000;
            self.groups.entry(key).or_default().add(ns, s.error);
        }
    }

    /// Traces counted.
    pub fn traces(&self) -> usize {
        self.traces
    }

    /// The statistics of each operation.
    pub fn finish(self) -> BTreeMap<OpKey, OpStats> {
        self.groups
            .into_iter()
            .map(|(key, mut g)| {
                let [p50_ns, p95_ns, p99_ns] = g.percentiles();
                let stats = OpStats {
                    count: g.spans,
                    errors: g.errors,
                    p50_ns,
                    p95_ns,
                    p99_ns,
                };
                (key, stats)
            })
            .collect()
    }
}

/// One operation in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpStats {
    /// Requests or spans.
    pub count: u64,
    /// Of them, failed.
    pub errors: u64,
    /// Nearest-rank percentiles of the durations, in nanoseconds.
    pub p50_ns: i64,
    /// See `p50_ns`.
    pub p95_ns: i64,
    /// See `p50_ns`.
    pub p99_ns: i64,
}

impl OpStats {
    /// Failed over all.
    pub fn error_rate(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.errors as f64 / self.count as f64
        }
    }
}

/// A share as a percentage: `20%`, `3.25%`.
pub fn percent(rate: f64) -> String {
    let p = rate * 100.0;
    if (p - p.round()).abs() < 1e-9 || p.abs() >= 100.0 {
        format!("{p:.0}%")
    } else if p.abs() >= 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.2}%")
    }
}
