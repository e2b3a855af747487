//! Tests of [`super`].
use super::*;
use crate::records::ids::SpanId;
use crate::traces::tree::SpanKind;

fn line(trace: TraceKey, span: u64, parent: Option<u64>, t: i64, dur: Option<i64>) -> Decoded {
    Decoded {
        trace: Some(trace),
        span: Some(SpanId(span)),
        parent: parent.map(SpanId),
        time: Some(t),
        duration_ns: dur,
        service: Some("svc".into()),
        ..Decoded::default()
    }
}

#[test]
fn merged_maps_equal_one_map_and_low_halves_join() {
    let full = TraceKey::Full(0x4bf92f3577b34da6a3ce929d0e0e4736);
    let low = TraceKey::Low64(0xa3ce929d0e0e4736);
    let lines = [
        line(full.clone(), 1, None, 0, None),
        line(full.clone(), 2, Some(1), 5, None),
        line(low.clone(), 3, Some(1), 6, Some(2)),
        line(full.clone(), 1, None, 20, Some(20)),
    ];
    let mut one = TraceMap::default();
    for l in &lines {
        one.add(l, 0, None);
    }
    let mut a = TraceMap::default();
    let mut b = TraceMap::default();
    for (i, l) in lines.iter().enumerate() {
        if i % 2 == 0 {
            a.add(l, 0, None)
        } else {
            b.add(l, 0, None)
        }
    }
    a.merge(b);
    assert_eq!(a.shards, one.shards);
    assert_eq!(one.join_low_halves(), 0);
    assert_eq!(one.len(), 1);
    let tree = one.remove(&full).expect("trace").tree();
    assert_eq!(tree.span_count(), 3);
    let root = &tree.nodes[tree.roots[0]];
    assert_eq!((root.start, root.end), (Some(0), Some(20)));
}

/// Partial maps merge to the same result whatever the shape of the reduction (rayon's
/// depends on the thread count and on stealing): text comes from the earliest input.
#[test]
fn merging_does_not_depend_on_the_reduction_tree() {
    let key = TraceKey::Full(9);
    let with_message = |t: i64, msg: &str| Decoded {
        message: Some(msg.into()),
        ..line(key.clone(), 1, None, t, None)
    };
    // Unit order: `a` before `b` before `c`; `c` also holds many other traces, so it is the
    // bigger map and merging swaps sides.
    let part = |lines: &[Decoded], extra: u64| {
        let mut map = TraceMap::default();
        for l in lines {
            map.add(l, 0, None);
        }
        for i in 0..extra {
            map.add(
                &line(TraceKey::Full(1000 + u128::from(i)), 5, None, 0, None),
                0,
                None,
            );
        }
        map
    };
    let a = || part(&[with_message(10, "first")], 0);
    let b = || part(&[with_message(20, "second")], 3);
    let c = || part(&[with_message(30, "third")], 50);
    let name = |mut map: TraceMap| {
        let tree = map.remove(&key).expect("trace").tree();
        tree.nodes[tree.roots[0]].name.clone()
    };
    let mut left = a();
    left.merge(b());
    left.merge(c());
    let mut bc = b();
    bc.merge(c());
    let mut right = a();
    right.merge(bc);
    assert_eq!(name(left), "first");
    assert_eq!(name(right), "first");
}

#[test]
fn idle_traces_are_taken_oldest_first() {
    let mut map = TraceMap::default();
    for i in 1..=10u64 {
        let l = line(TraceKey::Full(u128::from(i)), i, None, i as i64, None);
        map.add_with_ids(&l, &l.ids(), 0, None, i * 100);
    }
    let idle = map.take_idle(350, None, 100);
    let mut ids: Vec<u128> = idle
        .iter()
        .map(|(k, _)| match k {
            TraceKey::Full(v) => *v,
            _ => 0,
        })
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, [1, 2, 3]);
    // Over the budget of open traces, the older half goes.
    assert_eq!(map.take_idle(0, None, 4).len(), 5);
    assert_eq!(map.len(), 2);
}

#[test]
fn large_traces_switch_to_a_map_without_losing_spans() {
    let full = TraceKey::Full(7);
    let lines: Vec<Decoded> = (1..=40u64)
        .flat_map(|i| {
            [
                line(full.clone(), i, None, i as i64, None),
                line(full.clone(), i, None, 100 + i as i64, None),
            ]
        })
        .collect();
    let mut one = TraceMap::default();
    let (mut a, mut b) = (TraceMap::default(), TraceMap::default());
    for (i, l) in lines.iter().enumerate() {
        one.add(l, 0, None);
        if i < 50 {
            a.add(l, 0, None)
        } else {
            b.add(l, 0, None)
        }
    }
    a.merge(b);
    let tree_a = a.remove(&full).expect("trace").tree();
    let tree_one = one.remove(&full).expect("trace").tree();
    assert_eq!(tree_a.span_count(), 40);
    assert_eq!(tree_a, tree_one);
    assert!(tree_a.nodes.iter().all(|n| n.line_count == 2));
}

#[test]
fn spans_past_the_cap_share_one_span_and_keep_their_lines_and_times() {
    let full = TraceKey::Full(9);
    let extra = 5;
    let count = MAX_SPANS_PER_TRACE as u64 + extra;
    let mut one = TraceMap::default();
    let (mut a, mut b) = (TraceMap::default(), TraceMap::default());
    for i in 1..=count {
        let l = line(full.clone(), i, None, i as i64, None);
        one.add(&l, 0, None);
        // Both halves pass the cap, so merging meets overflow on both sides.
        if i % 2 == 0 {
            a.add(&l, 0, None)
        } else {
            b.add(&l, 0, None)
        }
    }
    let last = line(full.clone(), count, None, 2 * count as i64, None);
    one.add(&last, 0, None);
    a.add(&last, 0, None);
    a.merge(b);
    for map in [&mut one, &mut a] {
        let acc = map.remove(&full).expect("trace");
        assert_eq!(acc.lines, count + 1);
        let untracked = acc.untracked_lines();
        let tree = acc.tree();
        assert_eq!(tree.nodes.len(), MAX_SPANS_PER_TRACE + 1);
        let overflow: Vec<_> = tree
            .nodes
            .iter()
            .filter(|n| n.kind == SpanKind::Synthetic)
            .collect();
        assert_eq!(overflow.len(), 1);
        assert_eq!(overflow[0].line_count as u64, untracked);
        let kept: u64 = tree.nodes.iter().map(|n| n.line_count as u64).sum();
        assert_eq!(kept, count + 1, "every line is in some span");
        let end = tree.nodes.iter().filter_map(|n| n.end).max();
        assert_eq!(end, Some(2 * count as i64), "the last line's time is kept");
    }
}

/// A row built without the full tree equals the full summary with its tree let go: parents
/// named, missing (a placeholder) and inferred, and a second service.
#[test]
fn a_row_without_its_tree_is_the_full_summary_without_it() {
    use crate::traces::summary::TraceSummary;
    let key = TraceKey::Full(0x77);
    let other = |span, parent, t, dur| Decoded {
        service: Some("other".into()),
        ..line(key.clone(), span, parent, t, dur)
    };
    let lines = [
        line(key.clone(), 1, None, 0, None),
        line(key.clone(), 2, Some(1), 5, Some(10)),
        line(key.clone(), 3, Some(99), 7, Some(2)),
        other(4, None, 9, Some(3)),
        line(key.clone(), 5, None, 12, None),
        line(key.clone(), 1, None, 40, Some(40)),
    ];
    let mut map = TraceMap::default();
    for l in &lines {
        map.add(l, 0, None);
    }
    let acc = map.remove(&key).expect("trace");
    let full = TraceSummary::new(key.clone(), acc.clone());
    assert_eq!(full.missing_parents, 1);
    assert_eq!(full.span_count, 5);
    assert_eq!(TraceSummary::row_only(key, acc), full.without_tree());
}

/// A span's accumulator stays as small as its doc says: a million one-span traces hold a
/// million of them, and merges move each one.
#[test]
fn a_span_accumulator_is_112_bytes() {
    assert!(std::mem::size_of::<crate::traces::acc::SpanAcc>() <= 112);
}
