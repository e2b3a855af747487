//! One row per trace: the totals a table, a filter or a report needs, with the span tree.

use crate::records::ids::TraceKey;
use crate::records::time::Nanos;
use crate::traces::group::TraceAcc;
use crate::traces::tree::{SpanKind, SpanTree};

/// A trace seen from above.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceSummary {
    /// The id.
    pub id: TraceKey,
    /// Earliest instant (a line or a span start).
    pub start: Option<Nanos>,
    /// Latest instant.
    pub end: Option<Nanos>,
    /// Services, sorted.
    pub services: Vec<String>,
    /// Lines.
    pub lines: u64,
    /// Lines at error level or above.
    pub error_lines: u64,
    /// Spans that failed.
    pub failed_spans: usize,
    /// Bit `i`: some line satisfied line predicate `i`.
    pub matched: u64,
    /// The spans.
    pub tree: SpanTree,
}

impl TraceSummary {
    /// Builds the summary of an accumulated trace.
    pub fn new(id: TraceKey, acc: TraceAcc) -> TraceSummary {
        let (lines, error_lines, matched) = (acc.lines, acc.error_lines, acc.matched);
        let tree = acc.tree();
        let mut services: Vec<String> = tree
            .nodes
            .iter()
            .filter(|n| n.kind != SpanKind::Placeholder)
            .map(|n| n.service.clone())
            .collect();
        services.sort();
        services.dedup();
        let start = tree.nodes.iter().filter_map(|n| n.start).min();
        let end = tree.nodes.iter().filter_map(|n| n.end).max();
        TraceSummary {
            id,
            start,
            end,
            services,
            lines,
            error_lines,
            failed_spans: tree.nodes.iter().filter(|n| n.error).count(),
            matched,
            tree,
        }
    }

    /// Wall time from the first to the last instant.
    pub fn duration_ns(&self) -> Option<i64> {
        Some(self.end?.saturating_sub(self.start?))
    }

    /// The root span: the longest root that logged something (the earliest on ties). A root
    /// that logged nothing (a missing parent) stands for its longest child.
    pub fn root(&self) -> Option<&crate::traces::tree::SpanNode> {
        let nodes = &self.tree.nodes;
        let longest = |candidates: &mut dyn Iterator<Item = usize>| {
            candidates
                .map(|i| &nodes[i])
                .max_by_key(|n| (n.duration_ns().unwrap_or(0), std::cmp::Reverse(n.start)))
        };
        let mut roots = self.tree.roots.iter().copied().flat_map(|r| {
            if nodes[r].kind == SpanKind::Placeholder {
                nodes[r].children.clone()
            } else {
                vec![r]
            }
        });
        longest(&mut roots)
    }

    /// The trace has an error: a failed span or an error line.
    pub fn has_errors(&self) -> bool {
        self.failed_spans > 0 || self.error_lines > 0
    }
}
