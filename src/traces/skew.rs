//! Clock skew between services, estimated from the links of one trace.
//!
//! Every synchronous child runs inside its parent, so each cross-service link bounds how far
//! the child's clock may differ from the parent's: `shift ∈ [ps − cs, pe − ce]` (the shift is
//! added to the child's times). The entry span's service is the reference (shift 0); the other
//! services are solved outwards along the links, each at the point that satisfies the most of
//! its bounds (a retry or a late consumer may break one). Where no shift is needed, none is
//! made; otherwise the smallest shift that fits. (Jaeger's adjuster centres a child that does not
//! fit its parent, which suits a client and its server; here a bound often comes from a distant
//! ancestor, whose middle may be hundreds of milliseconds from the truth.)

use crate::traces::infer::service_groups;
use crate::traces::tree::{SpanKind, SpanNode};

/// The shift to apply to each node's times (by its service), relative to the entry's service;
/// empty when no node needs one (most traces allocate nothing here).
pub fn estimate_shifts(nodes: &[SpanNode], entry: Option<usize>) -> Vec<i64> {
    let Some(entry) = entry else {
        return Vec::new();
    };
    // One service, one clock: nothing to estimate (most small traces).
    let first = nodes[entry].service.as_str();
    if nodes
        .iter()
        .all(|n| n.service == first || n.kind == SpanKind::Placeholder)
    {
        return Vec::new();
    }
    let (group, services) = service_groups(nodes);
    let mut solved: Vec<Option<i64>> = vec![None; services];
    if nodes[entry].kind == SpanKind::Placeholder {
        // A missing root has no clock of its own: its children's services are the references.
        for (i, n) in nodes.iter().enumerate() {
            if n.parent == Some(entry) {
                solved[group[i]].get_or_insert(0);
            }
        }
    } else {
        solved[group[entry]] = Some(0);
    }
    // Cross-service synchronous links with both ends timed: (child, parent).
    let links: Vec<(usize, usize)> = (0..nodes.len())
        .filter_map(|c| Some((c, nodes[c].parent?)))
        .filter(|&(c, p)| {
            let (child, parent) = (&nodes[c], &nodes[p]);
            child.kind == SpanKind::Logged
                && parent.kind != SpanKind::Placeholder
                && group[c] != group[p]
                && !child.follows_from
                && child.start.is_some()
                && child.end.is_some()
                && parent.start.is_some()
                && parent.end.is_some()
        })
        .collect();
    let mut bounds: Vec<Vec<(i64, i64)>> = vec![Vec::new(); services];
    loop {
        let mut any = false;
        for &(c, p) in &links {
            let (child, parent) = (&nodes[c], &nodes[p]);
            if solved[group[c]].is_some() {
                continue;
            }
            let Some(base) = solved[group[p]] else {
                continue;
            };
            let (cs, ce) = (child.start.unwrap_or(0), child.end.unwrap_or(0));
            let (ps, pe) = (parent.start.unwrap_or(0), parent.end.unwrap_or(0));
            if pe - ps < ce - cs {
                // Cannot fit whatever the shift (the parent's end line came early).
                continue;
            }
            bounds[group[c]].push((base + ps - cs, base + pe - ce));
            any = true;
        }
        if !any {
            break;
        }
        // Each service of this round is solved from the rounds before it only.
        for (g, b) in bounds.iter_mut().enumerate() {
            if !b.is_empty() {
                solved[g] = Some(best_point(std::mem::take(b)));
            }
        }
    }
    if solved.iter().all(|s| s.unwrap_or(0) == 0) {
        return Vec::new();
    }
    group.iter().map(|&g| solved[g].unwrap_or(0)).collect()
}

/// The shift that satisfies the most bounds: 0 when it is among them, else the point of the
/// best range nearest to 0. A bound from a span's direct parent is narrow (the parent waits
/// for it), one from a distant ancestor wide: the smallest correction that fits is the
/// estimate both agree on.
fn best_point(bounds: Vec<(i64, i64)>) -> i64 {
    let holding_zero = bounds
        .iter()
        .filter(|&&(lo, hi)| lo <= 0 && 0 <= hi)
        .count();
    let mut events: Vec<(i64, i32)> = Vec::with_capacity(bounds.len() * 2);
    for (lo, hi) in bounds {
        events.push((lo, 1));
        events.push((hi, -1));
    }
    // Opening before closing at the same point, so touching ranges overlap.
    events.sort_by_key(|&(at, delta)| (at, -delta));
    let (mut depth, mut best, mut range) = (0i32, 0i32, (0, 0));
    for (k, &(at, delta)) in events.iter().enumerate() {
        depth += delta;
        if delta > 0 && depth > best {
            best = depth;
            // The next event closes the deepest range (it starts no deeper one).
            range = (at, events.get(k + 1).map_or(at, |e| e.0));
        }
    }
    if holding_zero as i32 >= best {
        0
    } else {
        // Not 0, so the best range lies wholly on one side of it.
        if range.0 > 0 {
            range.0
        } else {
            range.1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_shift_when_the_clocks_agree_else_the_smallest_that_fits() {
        assert_eq!(best_point(vec![(-10, 20), (-5, 3)]), 0);
        assert_eq!(best_point(vec![(30, 60), (40, 50)]), 40);
        assert_eq!(best_point(vec![(-60, -30), (-50, -20)]), -30);
        // One bound that disagrees with the others (a late consumer) is outvoted.
        assert_eq!(best_point(vec![(30, 60), (40, 50), (-900, -800)]), 40);
    }
}
