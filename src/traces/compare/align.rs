//! Aligning two span trees: siblings match by service and folded operation, the n-th of a
//! repeated sibling with the n-th of the other side (a retry loop that ran three times against
//! one that ran twice leaves one span "only in B"); a span that found no match takes its whole
//! subtree with it.

use rustc_hash::FxHashMap as HashMap;

use super::{Shape, ShapeNode};

/// One side's span of an aligned row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SideSpan {
    /// The node in its side's [`Shape`].
    pub node: usize,
    /// Duration.
    pub duration_ns: Option<i64>,
    /// Self time.
    pub self_ns: Option<i64>,
    /// It failed.
    pub error: bool,
    /// On its trace's critical path.
    pub critical: bool,
}

/// One aligned span: present in A, in B, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffRow {
    /// Depth in the merged tree.
    pub depth: usize,
    /// Service.
    pub service: String,
    /// Operation as logged (A's where both have it).
    pub name: String,
    /// Its span in A.
    pub a: Option<SideSpan>,
    /// Its span in B.
    pub b: Option<SideSpan>,
}

impl DiffRow {
    /// B's duration less A's, when both are known.
    pub fn delta_ns(&self) -> Option<i64> {
        Some(self.b?.duration_ns? - self.a?.duration_ns?)
    }

    /// B's duration over A's, when both are known and A's is not zero.
    pub fn ratio(&self) -> Option<f64> {
        let (a, b) = (self.a?.duration_ns?, self.b?.duration_ns?);
        (a > 0).then(|| b as f64 / a as f64)
    }

    /// How much of the traces' difference this span's own work accounts for: the change of
    /// its self time, or all of it for a span only one side has.
    pub fn self_delta_ns(&self) -> i64 {
        let own = |s: Option<SideSpan>| s.and_then(|s| s.self_ns.or(s.duration_ns)).unwrap_or(0);
        own(self.b) - own(self.a)
    }

    /// The span failed in B but not in A.
    pub fn new_error(&self) -> bool {
        self.b.is_some_and(|b| b.error) && !self.a.is_some_and(|a| a.error)
    }

    /// The span failed in A but not in B (where B has it).
    pub fn error_gone(&self) -> bool {
        self.a.is_some_and(|a| a.error) && self.b.is_some_and(|b| !b.error)
    }

    /// `service operation`.
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            self.service.clone()
        } else {
            format!("{} {}", self.service, self.name)
        }
    }
}

/// What kind of change a [`Change`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Its self time changed.
    Slower,
    /// Only A has it.
    OnlyInA,
    /// Only B has it.
    OnlyInB,
}

/// A span that explains part of the difference.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The row in [`TraceDiff::rows`].
    pub row: usize,
    /// Its self-time change.
    pub delta_ns: i64,
    /// What changed.
    pub kind: ChangeKind,
}

/// Two traces compared.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceDiff {
    /// The rows, depth-first in the merged tree (siblings by start).
    pub rows: Vec<DiffRow>,
    /// The largest changes of self time, largest first (at most [`TOP_CHANGES`]).
    pub top: Vec<Change>,
    /// Rows matched on both sides.
    pub in_both: usize,
    /// Rows only in A.
    pub only_in_a: usize,
    /// Rows only in B.
    pub only_in_b: usize,
    /// Spans that fail in B and did not in A.
    pub new_errors: usize,
    /// Spans that failed in A and no longer do in B.
    pub errors_gone: usize,
}

/// Changes listed as explaining the difference.
pub const TOP_CHANGES: usize = 5;

/// Changes smaller than this are not listed as explaining anything (timer noise).
const MIN_CHANGE_NS: i64 = 100_000;

/// Compares `a` with `b` (what changed from A to B).
pub fn compare(a: &Shape, b: &Shape) -> TraceDiff {
    let mut rows = Vec::new();
    let mut stack: Vec<(Option<usize>, Option<usize>, usize)> = Vec::new();
    push_pairs(a, b, &a.roots, &b.roots, 0, &mut stack);
    while let Some((ai, bi, depth)) = stack.pop() {
        let na = ai.map(|i| &a.nodes[i]);
        let nb = bi.map(|i| &b.nodes[i]);
        let Some(named) = na.or(nb) else { continue };
        rows.push(DiffRow {
            depth,
            service: named.service.clone(),
            name: named.name.clone(),
            a: ai.map(|i| side(i, &a.nodes[i])),
            b: bi.map(|i| side(i, &b.nodes[i])),
        });
        let none: &[usize] = &[];
        push_pairs(
            a,
            b,
            na.map_or(none, |n| &n.children),
            nb.map_or(none, |n| &n.children),
            depth + 1,
            &mut stack,
        );
    }
    let mut top: Vec<Change> = rows
        .iter()
        .enumerate()
        .filter_map(|(row, r)| {
            let delta_ns = r.self_delta_ns();
            let kind = match (r.a, r.b) {
                (Some(_), Some(_)) => ChangeKind::Slower,
                (Some(_), None) => ChangeKind::OnlyInA,
                _ => ChangeKind::OnlyInB,
            };
            (delta_ns.abs() >= MIN_CHANGE_NS).then_some(Change {
                row,
                delta_ns,
                kind,
            })
        })
        .collect();
    // Largest first; a tie keeps the tree's order.
    top.sort_by_key(|c| (std::cmp::Reverse(c.delta_ns.abs()), c.row));
    top.truncate(TOP_CHANGES);
    let count = |f: &dyn Fn(&DiffRow) -> bool| rows.iter().filter(|r| f(r)).count();
    TraceDiff {
        in_both: count(&|r| r.a.is_some() && r.b.is_some()),
        only_in_a: count(&|r| r.b.is_none()),
        only_in_b: count(&|r| r.a.is_none()),
        new_errors: count(&|r| r.new_error()),
        errors_gone: count(&|r| r.error_gone()),
        top,
        rows,
    }
}

fn side(node: usize, n: &ShapeNode) -> SideSpan {
    SideSpan {
        node,
        duration_ns: n.duration_ns,
        self_ns: n.self_ns,
        error: n.error,
        critical: n.critical,
    }
}

/// Pairs the children `ca` of a span of A with the children `cb` of its match in B and pushes
/// the pairs on `stack` so that they pop in start order.
fn push_pairs(
    a: &Shape,
    b: &Shape,
    ca: &[usize],
    cb: &[usize],
    depth: usize,
    stack: &mut Vec<(Option<usize>, Option<usize>, usize)>,
) {
    let key = |n: &ShapeNode| (n.service.clone(), n.operation.clone());
    // The n-th sibling of a key in B waits for the n-th of that key in A.
    let mut waiting: HashMap<(String, String), std::collections::VecDeque<usize>> =
        HashMap::default();
    for (at, &j) in cb.iter().enumerate() {
        waiting.entry(key(&b.nodes[j])).or_default().push_back(at);
    }
    // A's match for each of B's children, and which of A's found none.
    let mut match_of_b: Vec<Option<usize>> = vec![None; cb.len()];
    let mut unmatched_a: Vec<bool> = vec![false; ca.len()];
    for (k, &i) in ca.iter().enumerate() {
        match waiting
            .get_mut(&key(&a.nodes[i]))
            .and_then(|q| q.pop_front())
        {
            Some(at) => match_of_b[at] = Some(i),
            None => unmatched_a[k] = true,
        }
    }
    // B's order, with each span only in A placed after the pair of the sibling it followed in A
    // (first when none did), so retries and skipped calls show where they happened.
    let mut pairs: Vec<(Option<usize>, Option<usize>)> = Vec::with_capacity(ca.len().max(cb.len()));
    // Each span only in A follows the sibling before it in A: `follower[that sibling]`.
    let mut follower: HashMap<usize, usize> = HashMap::default();
    let mut leading: Option<usize> = None;
    for (k, &i) in ca.iter().enumerate() {
        if unmatched_a[k] {
            match k.checked_sub(1).map(|p| ca[p]) {
                Some(p) => {
                    follower.insert(p, i);
                }
                None => leading = Some(i),
            }
        }
    }
    let chain_after = |mut at: usize, pairs: &mut Vec<(Option<usize>, Option<usize>)>| {
        while let Some(&next) = follower.get(&at) {
            pairs.push((Some(next), None));
            at = next;
        }
    };
    if let Some(first) = leading {
        pairs.push((Some(first), None));
        chain_after(first, &mut pairs);
    }
    for (&j, &i) in cb.iter().zip(&match_of_b) {
        pairs.push((i, Some(j)));
        if let Some(i) = i {
            chain_after(i, &mut pairs);
        }
    }
    stack.extend(pairs.into_iter().rev().map(|(i, j)| (i, j, depth)));
}
