//! The critical path and each span's self time.
//!
//! The path is Jaeger UI's: walk back from the entry span's end; at each span take the child
//! that finished last before the current point, descend into it, and when a span has no such
//! child, return to its parent at that span's start and look again. Children are clipped to
//! their parent first, and follows-from children (asynchronous work) are not on the path.
//! Times are the clock-corrected ones.

use crate::traces::tree::SpanNode;

/// Marks the spans on the critical path from `entry`.
pub fn mark_critical_path(nodes: &mut [SpanNode], entry: Option<usize>) {
    let Some(entry) = entry else {
        return;
    };
    let mut at = entry;
    let mut before: Option<i64> = None;
    // Each step either descends into a child that ends earlier than the last point or climbs
    // back up; the bound only guards against malformed trees.
    for _ in 0..nodes.len().saturating_mul(4).max(8) {
        nodes[at].critical = true;
        let (Some(start), Some(end)) = (nodes[at].start, nodes[at].end) else {
            break;
        };
        let point = before.unwrap_or(end).min(end);
        let next = nodes[at]
            .children
            .iter()
            .copied()
            .filter(|&c| !nodes[c].follows_from)
            .filter_map(|c| {
                let (cs, ce) = (nodes[c].start?, nodes[c].end?);
                // Clipped to the parent; a child wholly outside it is not on its path.
                let (cs, ce) = (cs.max(start), ce.min(end));
                (cs <= ce && (ce < point || (before.is_none() && ce <= point))).then_some((ce, c))
            })
            .max_by_key(|&(ce, c)| (ce, std::cmp::Reverse(c)));
        match next {
            Some((_, child)) => {
                at = child;
                before = None;
            }
            None => {
                if at == entry {
                    break;
                }
                let Some(parent) = nodes[at].parent else {
                    break;
                };
                before = Some(start);
                at = parent;
            }
        }
    }
}

/// Sets each span's self time: its duration less the time its children (clipped to it)
/// cover.
pub fn set_self_times(nodes: &mut [SpanNode]) {
    for i in 0..nodes.len() {
        let (Some(start), Some(end)) = (nodes[i].start, nodes[i].end) else {
            continue;
        };
        let mut covered: Vec<(i64, i64)> = nodes[i]
            .children
            .iter()
            .filter_map(|&c| Some((nodes[c].start?.max(start), nodes[c].end?.min(end))))
            .filter(|(s, e)| s < e)
            .collect();
        covered.sort_unstable();
        let mut busy = 0;
        let mut reach = start;
        for (s, e) in covered {
            let s = s.max(reach);
            if e > s {
                busy += e - s;
                reach = e;
            }
        }
        nodes[i].self_ns = Some((end - start - busy).max(0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::ids::SpanId;
    use crate::traces::tree::{new_node, SpanKind};

    fn tree(spans: &[(i64, i64, Option<usize>)]) -> Vec<SpanNode> {
        let mut nodes: Vec<SpanNode> = spans
            .iter()
            .enumerate()
            .map(|(i, &(s, e, p))| {
                let mut n = new_node(Some(SpanId(i as u64 + 1)), SpanKind::Logged, "s".into());
                (n.start, n.end, n.parent) = (Some(s), Some(e), p);
                n
            })
            .collect();
        for i in 0..nodes.len() {
            if let Some(p) = nodes[i].parent {
                nodes[p].children.push(i);
            }
        }
        nodes
    }

    #[test]
    fn the_path_takes_the_last_finisher_then_what_ran_before_it() {
        // root 0..100: a long call 10..80 and a short query 85..90 after it; a parallel
        // call 20..40 that finished early is not on the path.
        let mut nodes = tree(&[
            (0, 100, None),
            (10, 80, Some(0)),
            (85, 90, Some(0)),
            (20, 40, Some(0)),
        ]);
        mark_critical_path(&mut nodes, Some(0));
        let critical: Vec<bool> = nodes.iter().map(|n| n.critical).collect();
        assert_eq!(critical, [true, true, true, false]);
        set_self_times(&mut nodes);
        assert_eq!(nodes[0].self_ns, Some(100 - 70 - 5));
        assert_eq!(nodes[1].self_ns, Some(70));
    }

    #[test]
    fn a_parent_cycle_cannot_loop() {
        let mut nodes = tree(&[(0, 10, Some(1)), (0, 10, Some(0))]);
        mark_critical_path(&mut nodes, Some(0));
        assert!(nodes[0].critical);
    }
}
