//! One row per trace: the totals a table, a filter or a report needs, with the span tree.

use crate::records::ids::TraceKey;
use crate::records::time::Nanos;
use crate::traces::group::{ErrorLine, TraceAcc};
use crate::traces::outcome::{outcome_label, status_is_failure};
use crate::traces::tree::{SpanKind, SpanNode, SpanTree};

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
    pub services: Box<[String]>,
    /// Lines.
    pub lines: u64,
    /// Lines at error level or above.
    pub error_lines: u64,
    /// Spans that failed.
    pub failed_spans: usize,
    /// Bit `i`: some line satisfied line predicate `i`.
    pub matched: u64,
    /// Spans that logged something.
    pub span_count: usize,
    /// The service of the root span (see [`TraceSummary::root`]).
    pub root_service: Option<Box<str>>,
    /// The operation of the root span.
    pub root_name: Option<Box<str>>,
    /// The correlation id that joined lines to the trace (a request id set by middleware).
    pub correlation: RareText,
    /// The root span's id, when it has one.
    pub root_span: Option<crate::records::ids::SpanId>,
    /// How long the request took: the root span's duration.
    pub request_ns: Option<i64>,
    /// The HTTP or gRPC status the root span's lines report.
    pub root_status: Option<Box<str>>,
    /// The root span failed: it ended at error level.
    pub root_error: bool,
    /// Parents that never logged (placeholders in the tree): broken propagation.
    pub missing_parents: usize,
    /// The first few error lines.
    pub error_samples: ErrorSamples,
    /// What the request lacks (`--expect-services`, `--fail-on-incomplete`); `None` when
    /// completeness was not asked about.
    pub incomplete: Option<Box<crate::traces::complete::Findings>>,
    /// Lines whose spans were not kept, past [`crate::traces::group::MAX_SPANS_PER_TRACE`].
    pub untracked_lines: u64,
    /// The spans; gone once [`TraceSummary::without_tree`] let them go (the table, the CSV
    /// and the statistics of a stream do not need them once the fields above are set).
    tree: Option<Box<SpanTree>>,
}

/// The first few error lines of a trace, one pointer wide: most traces have none, and a
/// million rows of 256 bytes fit the allocator's 256-byte class where 288 took 320.
#[derive(Debug, Clone, Default, PartialEq)]
#[allow(clippy::box_collection)] // the box is the point: 8 bytes in place instead of 24
pub struct ErrorSamples(Option<Box<Vec<ErrorLine>>>);

impl From<Vec<ErrorLine>> for ErrorSamples {
    fn from(lines: Vec<ErrorLine>) -> ErrorSamples {
        ErrorSamples((!lines.is_empty()).then(|| Box::new(lines)))
    }
}

impl std::ops::Deref for ErrorSamples {
    type Target = [ErrorLine];

    fn deref(&self) -> &[ErrorLine] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl<'a> IntoIterator for &'a ErrorSamples {
    type Item = &'a ErrorLine;
    type IntoIter = std::slice::Iter<'a, ErrorLine>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Text most rows lack, one pointer wide (see [`ErrorSamples`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RareText(Option<Box<Box<str>>>);

impl RareText {
    /// The text, if any.
    pub fn new(text: Option<String>) -> RareText {
        RareText(text.map(|t| Box::new(t.into_boxed_str())))
    }

    /// The text, borrowed.
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref().map(|t| &**t)
    }
}

// A row fits the allocator's 256-byte class (see `ErrorSamples`).
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<TraceSummary>() <= 256);

/// A row of the table of traces. Boxed: rows are made while the accumulators they come from
/// are freed, one by one, so each row can take the place of what it replaces, and sorting
/// moves pointers.
pub type Row = Box<TraceSummary>;

/// The tree of a summary that has none.
static NO_TREE: SpanTree = SpanTree {
    nodes: Vec::new(),
    roots: Vec::new(),
    order: Vec::new(),
    entry: None,
};

impl TraceSummary {
    /// Builds the summary of an accumulated trace, with its span tree.
    pub fn new(id: TraceKey, acc: TraceAcc) -> TraceSummary {
        TraceSummary::of(id, acc, true)
    }

    /// [`TraceSummary::new`] without the span tree: the same row, built with less work (see
    /// [`crate::traces::tree::link_for_summary`]).
    pub fn row_only(id: TraceKey, acc: TraceAcc) -> TraceSummary {
        TraceSummary::of(id, acc, false)
    }

    fn of(id: TraceKey, acc: TraceAcc, keep_tree: bool) -> TraceSummary {
        let (lines, error_lines, matched) = (acc.lines, acc.error_lines, acc.matched);
        let mut acc = acc;
        let correlation = RareText::new(acc.correlation.take().map(|c| c.correlation_text()));
        let error_samples = ErrorSamples::from(acc.take_error_samples());
        let untracked_lines = acc.untracked_lines();
        let mut tree = if keep_tree {
            acc.tree()
        } else {
            acc.tree_for_summary()
        };
        let start = tree.nodes.iter().filter_map(|n| n.start).min();
        let end = tree.nodes.iter().filter_map(|n| n.end).max();
        let failed_spans = tree.nodes.iter().filter(|n| n.error).count();
        let span_count = tree.span_count();
        let missing_parents = tree.nodes.len() - span_count;
        // A trace has many spans and few services: one node per service, by name.
        let mut named: Vec<usize> = (0..tree.nodes.len())
            .filter(|&i| tree.nodes[i].kind != SpanKind::Placeholder)
            .collect();
        named.sort_unstable_by(|&a, &b| tree.nodes[a].service.cmp(&tree.nodes[b].service));
        named.dedup_by(|a, b| tree.nodes[*a].service == tree.nodes[*b].service);
        let root = root_index(&tree);
        let root_span = root.and_then(|r| tree.nodes[r].id);
        // A root of one line has no duration of its own: the extent stands in for it.
        let request_ns = root
            .and_then(|r| tree.nodes[r].duration_ns())
            .filter(|&d| d > 0);
        let root_error = root.is_some_and(|r| tree.nodes[r].error);
        let root_service = root.map(|r| tree.nodes[r].service.as_str().into());
        let (root_name, root_status, services): (Option<Box<str>>, _, Box<[String]>) = if keep_tree
        {
            let nodes = &tree.nodes;
            (
                root.map(|r| nodes[r].name.as_str().into()),
                root.and_then(|r| nodes[r].status.clone()),
                named.iter().map(|&i| nodes[i].service.clone()).collect(),
            )
        } else {
            // The tree is dropped next: its texts are moved into the row, not copied.
            let nodes = &mut tree.nodes;
            (
                root.map(|r| std::mem::take(&mut nodes[r].name).into_boxed_str()),
                root.and_then(|r| nodes[r].status.take()),
                named
                    .iter()
                    .map(|&i| std::mem::take(&mut nodes[i].service))
                    .collect(),
            )
        };
        TraceSummary {
            id,
            start,
            end,
            services,
            lines,
            error_lines,
            failed_spans,
            matched,
            span_count,
            missing_parents,
            error_samples,
            untracked_lines,
            incomplete: None,
            root_service,
            root_name,
            root_span,
            request_ns,
            correlation,
            root_status,
            root_error,
            tree: keep_tree.then(|| Box::new(tree)),
        }
    }

    /// A summary with nothing counted yet and no span tree, for totals computed elsewhere
    /// (a server's grouping of its rows).
    pub fn without_spans(id: TraceKey) -> TraceSummary {
        TraceSummary {
            id,
            start: None,
            end: None,
            services: Box::default(),
            lines: 0,
            error_lines: 0,
            failed_spans: 0,
            matched: 0,
            span_count: 0,
            root_service: None,
            root_name: None,
            correlation: RareText::default(),
            root_span: None,
            request_ns: None,
            root_status: None,
            root_error: false,
            missing_parents: 0,
            error_samples: ErrorSamples::default(),
            incomplete: None,
            untracked_lines: 0,
            tree: None,
        }
    }

    /// The summary with `tree` as its spans (tests build summaries field by field).
    #[cfg(test)]
    pub(crate) fn with_tree(mut self, tree: SpanTree) -> TraceSummary {
        self.tree = Some(Box::new(tree));
        self
    }

    /// The summary without its span tree: a row of the table is a few hundred bytes, a tree
    /// a few hundred per span.
    pub fn without_tree(mut self) -> TraceSummary {
        self.tree = None;
        self
    }

    /// The span tree (empty once let go).
    pub fn tree(&self) -> &SpanTree {
        self.tree.as_deref().unwrap_or(&NO_TREE)
    }

    /// How long the request took (its root span), else the trace's extent: what the table
    /// shows, sorts and filters by.
    pub fn duration_ns(&self) -> Option<i64> {
        self.request_ns.or_else(|| self.extent_ns())
    }

    /// Wall time from the first to the last instant, asynchronous work included.
    pub fn extent_ns(&self) -> Option<i64> {
        Some(self.end?.saturating_sub(self.start?))
    }

    /// The root span: the request's entry span ([`SpanTree::entry`]). An entry that logged
    /// nothing (a missing parent) stands for its longest child. `None` once the tree is gone;
    /// [`TraceSummary::root_service`] and `root_name` stay.
    pub fn root(&self) -> Option<&SpanNode> {
        root_of(self.tree())
    }

    /// The trace has an error: a failed span or an error line.
    pub fn has_errors(&self) -> bool {
        self.failed_spans > 0 || self.error_lines > 0
    }

    /// The request failed: its root span ended at error level, or reports a server error
    /// (HTTP 5xx, a gRPC server-error code). An error a callee logged and the caller survived
    /// does not count.
    pub fn failed(&self) -> bool {
        self.root_error || self.root_status.as_deref().is_some_and(status_is_failure)
    }

    /// The root's outcome for a table: its status, else `ERROR` or `OK`; empty without a root.
    pub fn outcome(&self) -> &str {
        if self.root_service.is_none() {
            return "";
        }
        outcome_label(self.root_status.as_deref(), self.failed())
    }

    /// The earliest error line of the trace.
    pub fn first_error(&self) -> Option<&ErrorLine> {
        self.error_samples.iter().min_by(|a, b| {
            (a.time.unwrap_or(i64::MAX), &a.service, &a.message).cmp(&(
                b.time.unwrap_or(i64::MAX),
                &b.service,
                &b.message,
            ))
        })
    }
}

/// The request's duration: its root span's ([`root_of`]), when that is known and not zero.
pub fn request_duration_ns(tree: &SpanTree) -> Option<i64> {
    root_of(tree)
        .and_then(SpanNode::duration_ns)
        .filter(|&d| d > 0)
}

/// Whether a trace lasting `extent_ns` ran on after its request (of `request_ns`) ended, by more
/// than clock skew explains: asynchronous work (a consumer, a callback), which headers show
/// apart from the request's duration.
pub fn has_async_tail(request_ns: i64, extent_ns: i64) -> bool {
    extent_ns > request_ns + crate::traces::infer::SKEW_WINDOW_NS
}

/// The root span of a tree: its entry span, or for a missing entry its longest child.
pub fn root_of(tree: &SpanTree) -> Option<&SpanNode> {
    root_index(tree).map(|r| &tree.nodes[r])
}

/// [`root_of`], as an index into the tree's nodes.
fn root_index(tree: &SpanTree) -> Option<usize> {
    let nodes = &tree.nodes;
    let entry = tree.entry.or_else(|| tree.roots.first().copied())?;
    if nodes[entry].kind != SpanKind::Placeholder {
        return Some(entry);
    }
    nodes[entry].children.iter().copied().max_by_key(|&i| {
        let n = &nodes[i];
        (n.duration_ns().unwrap_or(0), std::cmp::Reverse(n.start))
    })
}
