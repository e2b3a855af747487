//! Traces: the records of one trace put in order, their span tree and their totals.
//!
//! This stage takes [`Record`]s and hands a [`Trace`] to the renderers. It knows nothing of
//! files or terminals.

pub mod acc;
pub mod baseline;
pub mod compare;
pub mod complete;
pub mod critical;
pub mod filter;
pub mod gates;
pub mod group;
pub mod infer;
pub mod outcome;
pub mod skew;
mod span_store;
pub mod stats;
mod store;
pub mod summary;
pub mod tree;
pub mod where_clause;

use std::collections::BTreeMap;

use crate::records::ids::TraceKey;
use crate::records::level::Level;
use crate::records::time::Nanos;
use crate::records::Record;
use crate::traces::tree::{build_tree, SpanTree};

/// One trace, ready to show.
#[derive(Debug, Clone)]
pub struct Trace {
    /// The id, in its fullest known form (128 bits when any line had them).
    pub id: TraceKey,
    /// The log lines, by time, then source and position (lines without a time last).
    pub records: Vec<Record>,
    /// Spans and their tree.
    pub tree: SpanTree,
    /// Totals for the header.
    pub stats: TraceStats,
}

/// Totals over a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceStats {
    /// Earliest known instant (a line or a span start).
    pub start: Option<Nanos>,
    /// Latest known instant (a line or a span end).
    pub end: Option<Nanos>,
    /// Services, sorted by name.
    pub services: Vec<String>,
    /// Lines per service.
    pub lines_by_service: BTreeMap<String, usize>,
    /// Lines at error level or above.
    pub error_lines: usize,
    /// Spans that failed.
    pub failed_spans: usize,
}

impl TraceStats {
    /// Wall time from the first to the last instant.
    pub fn duration_ns(&self) -> Option<i64> {
        Some(self.end?.saturating_sub(self.start?))
    }
}

pub use crate::records::service::UNKNOWN_SERVICE;

/// Orders the records, builds the tree and counts. `records` must all belong to one trace.
pub fn assemble(mut records: Vec<Record>) -> Option<Trace> {
    if records.is_empty() {
        return None;
    }
    records.sort_by(|a, b| {
        let ta = a.time.unwrap_or(i64::MAX);
        let tb = b.time.unwrap_or(i64::MAX);
        ta.cmp(&tb).then(a.line.cmp(&b.line))
    });
    // The fullest spelling names the trace: a 128-bit id beats its low half, and a trace id
    // logged beside a correlation id beats the correlation id.
    let with_correlation = records.iter().any(|r| r.correlation.is_some());
    let id = records
        .iter()
        .filter(|r| !with_correlation || r.correlation.is_some())
        .map(|r| &r.trace)
        .max_by_key(|k| match k {
            TraceKey::Full(_) => 2,
            TraceKey::Low64(_) => 1,
            TraceKey::Opaque(_) => 0,
        })
        .cloned()?;
    let tree = build_tree(&records);
    let mut lines_by_service = BTreeMap::new();
    for r in &records {
        let service = r.service.as_deref().unwrap_or(UNKNOWN_SERVICE);
        *lines_by_service.entry(service.to_string()).or_insert(0) += 1;
    }
    let times = records.iter().filter_map(|r| r.time);
    let span_times = tree.nodes.iter().flat_map(|n| [n.start, n.end]).flatten();
    let start = times.clone().chain(span_times.clone()).min();
    let end = times.chain(span_times).max();
    let stats = TraceStats {
        start,
        end,
        services: lines_by_service.keys().cloned().collect(),
        lines_by_service,
        error_lines: records
            .iter()
            .filter(|r| r.level.is_some_and(|l| l >= Level::Error))
            .count(),
        failed_spans: tree.nodes.iter().filter(|n| n.error).count(),
    };
    Some(Trace {
        id,
        records,
        tree,
        stats,
    })
}
