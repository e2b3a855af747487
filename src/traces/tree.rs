//! The span tree: an arena of spans with children by index.
//!
//! Spans come from the span ids on lines. A parent id that no line carries becomes a
//! placeholder, so its children are shown under a marked node rather than dropped; lines
//! without span ids form one synthetic span per service. Parent chains are followed
//! iteratively with a visited set, so cycles and deep chains cannot hang or overflow.

use rustc_hash::FxHashMap as HashMap;

use crate::records::call::CallKind;
use crate::records::ids::SpanId;
use crate::records::level::Level;
use crate::records::time::Nanos;
use crate::records::Record;
use crate::traces::critical::{mark_critical_path, set_self_times};
use crate::traces::infer::{choose_entry, infer_parents, SKEW_WINDOW_NS};
use crate::traces::skew::estimate_shifts;
use crate::traces::UNKNOWN_SERVICE;

/// What a node of the tree stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// A span whose id appears on log lines.
    Logged,
    /// A span only named as a parent: it logged nothing (a sidecar hop, an unlogged service).
    Placeholder,
    /// Lines of one service that carry no span id, gathered into one bar.
    Synthetic,
}

/// How a span came under its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// It has no parent: the entry span, or a root nothing could place.
    Root,
    /// A line names the parent (a parent field, a propagation header).
    Named,
    /// An ECS `transaction.id` names the service's entry span as an ancestor.
    Transaction,
    /// The tightest span of the same service that encloses it in time.
    Enclosing,
    /// The producer of the message it consumed (same destination).
    Message,
    /// The one span through which its service joined the trace (the request it received, the
    /// message it consumed): an ancestor by construction, the parent when nothing is between.
    Service,
    /// Nothing tells its parent: it hangs under the trace's entry span.
    Unlinked,
}

impl Link {
    /// The name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Link::Root => "root",
            Link::Named => "named",
            Link::Transaction => "transaction",
            Link::Enclosing => "enclosing",
            Link::Message => "message",
            Link::Service => "service",
            Link::Unlinked => "unlinked",
        }
    }
}

/// One node of the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanNode {
    /// The span id (none for synthetic spans).
    pub id: Option<SpanId>,
    /// What the node stands for.
    pub kind: SpanKind,
    /// The parent id the lines name, whether or not that span was found.
    pub parent_id: Option<SpanId>,
    /// An ancestor the lines imply (ECS transaction), used when no parent is named and that
    /// span is in the tree.
    pub parent_hint: Option<SpanId>,
    /// The parent node, when it is in the tree.
    pub parent: Option<usize>,
    /// The parent link was inferred (from a transaction id or from timing), not logged.
    pub parent_inferred: bool,
    /// How it came under its parent.
    pub link: Link,
    /// It runs after its parent ended (a message consumer, a callback): a follows-from
    /// child, not on the critical path.
    pub follows_from: bool,
    /// What kind of call it is, as its lines tell.
    pub call: CallKind,
    /// The clock correction applied to its times (added to what its lines say), from the
    /// skew between its service and the entry span's.
    pub shift_ns: i64,
    /// Its duration less the time its children cover.
    pub self_ns: Option<i64>,
    /// Children, by start time.
    pub children: Vec<usize>,
    /// Service.
    pub service: String,
    /// Operation name, or the first message of the span.
    pub name: String,
    /// Start, from a duration field when a line has one, else the first line; corrected by
    /// `shift_ns`.
    pub start: Option<Nanos>,
    /// End, from the line carrying the duration, else the last line.
    pub end: Option<Nanos>,
    /// The span failed: its last line is at error level.
    pub error: bool,
    /// Lines at error level or above.
    pub error_lines: usize,
    /// The HTTP or gRPC status its latest line with one reports (`502`, `UNAVAILABLE`).
    /// Boxed text, not a `String`: `--all --format jsonl` keeps a million nodes.
    pub status: Option<Box<str>>,
    /// Indices of its lines in the trace's records (empty when built from summaries).
    pub records: Vec<usize>,
    /// How many lines it has.
    pub line_count: usize,
    /// On the critical path (see [`crate::traces::critical`]).
    pub critical: bool,
    /// Starts before its parent (clock skew between services).
    pub starts_before_parent: bool,
    /// Depth in the tree, for indentation.
    pub depth: usize,
}

impl SpanNode {
    /// Duration, when both ends are known.
    pub fn duration_ns(&self) -> Option<i64> {
        Some(self.end?.saturating_sub(self.start?).max(0))
    }
}

/// The spans of a trace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpanTree {
    /// All nodes.
    pub nodes: Vec<SpanNode>,
    /// Nodes without a parent in the tree, by start.
    pub roots: Vec<usize>,
    /// Every node once, depth-first, children by start: the display order.
    pub order: Vec<usize>,
    /// The request's entry span: where the request came in (see [`choose_entry`]).
    pub entry: Option<usize>,
}

impl SpanTree {
    /// Spans that logged something (placeholders for missing parents are not counted).
    pub fn span_count(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| n.kind != SpanKind::Placeholder)
            .count()
    }
}

/// A node with only its identity set.
pub fn new_node(id: Option<SpanId>, kind: SpanKind, service: String) -> SpanNode {
    SpanNode {
        id,
        kind,
        parent_id: None,
        parent_hint: None,
        parent: None,
        parent_inferred: false,
        link: Link::Root,
        follows_from: false,
        call: CallKind::Unknown,
        shift_ns: 0,
        self_ns: None,
        children: Vec::new(),
        service,
        name: String::new(),
        start: None,
        end: None,
        error: false,
        error_lines: 0,
        status: None,
        records: Vec::new(),
        line_count: 0,
        critical: false,
        starts_before_parent: false,
        depth: 0,
    }
}

/// Builds the tree from a trace's records, which must be sorted by time.
pub fn build_tree(records: &[Record]) -> SpanTree {
    let mut nodes: Vec<SpanNode> = Vec::new();
    let mut by_id: HashMap<SpanId, usize> = HashMap::default();
    let mut synthetic: HashMap<String, usize> = HashMap::default();
    for (i, r) in records.iter().enumerate() {
        let service = r
            .service
            .clone()
            .unwrap_or_else(|| UNKNOWN_SERVICE.to_string());
        let at = match r.span {
            Some(id) => *by_id.entry(id).or_insert_with(|| {
                nodes.push(new_node(Some(id), SpanKind::Logged, service.clone()));
                nodes.len() - 1
            }),
            None => *synthetic.entry(service.clone()).or_insert_with(|| {
                nodes.push(new_node(None, SpanKind::Synthetic, service.clone()));
                nodes.len() - 1
            }),
        };
        let node = &mut nodes[at];
        node.records.push(i);
        if node.parent_id.is_none() {
            node.parent_id = r.parent;
        }
        if node.parent_hint.is_none() {
            node.parent_hint = r.parent_hint;
        }
    }
    for node in &mut nodes {
        fill_from_records(node, records);
    }
    link_nodes(nodes)
}

/// Links spans into a tree: parents that logged nothing become placeholders, named parents
/// win over hinted and inferred ones, cycles are broken, children are ordered by start and the
/// critical path is marked. Nodes must be `Logged` or `Synthetic`, with their fields filled.
pub fn link_nodes(nodes: Vec<SpanNode>) -> SpanTree {
    let mut tree = link_for_summary(nodes);
    tree.order = depth_first(&mut tree.nodes, &tree.roots);
    mark_critical_path(&mut tree.nodes, tree.entry);
    set_self_times(&mut tree.nodes);
    tree
}

/// [`link_nodes`] as far as a trace's summary row needs it: links, placeholders, clock
/// shifts, roots and children in order. No depth-first order, depths, critical path or self
/// times: a table or CSV row that lets its tree go would only throw them away.
pub fn link_for_summary(mut nodes: Vec<SpanNode>) -> SpanTree {
    let mut by_id = SpanIndex::of(&nodes);
    // Parents that logged nothing become placeholders.
    let mut missing: Vec<SpanId> = nodes
        .iter()
        .filter_map(|n| n.parent_id)
        .filter(|&p| by_id.get(p).is_none())
        .collect();
    missing.sort_unstable();
    missing.dedup();
    // Exactly: trees of `--all --format jsonl` are all kept, and a push past the nodes'
    // capacity would double it.
    nodes.reserve_exact(missing.len());
    for &id in &missing {
        let mut node = new_node(Some(id), SpanKind::Placeholder, "?".to_string());
        node.name = "(span not in the logs)".to_string();
        nodes.push(node);
    }
    by_id.add(&missing, nodes.len() - missing.len());
    for (i, node) in nodes.iter_mut().enumerate() {
        let named = node.parent_id.and_then(|p| by_id.get(p));
        let hinted = node.parent_hint.and_then(|p| by_id.get(p));
        node.parent = named.or(hinted).filter(|&p| p != i);
        node.parent_inferred = named.is_none() && node.parent.is_some();
        node.link = match (node.parent, named) {
            (None, _) => Link::Root,
            (Some(_), Some(_)) => Link::Named,
            (Some(_), None) => Link::Transaction,
        };
    }
    break_cycles(&mut nodes);
    for node in &mut nodes {
        if node.parent.is_none() {
            node.link = Link::Root;
            node.parent_inferred = false;
        }
    }
    cover_placeholders(&mut nodes);
    let entry = choose_entry(&nodes);
    infer_parents(&mut nodes, entry);
    for i in 0..nodes.len() {
        if let Some(p) = nodes[i].parent {
            nodes[p].children.push(i);
        }
    }
    cover_placeholders(&mut nodes);
    mark_follows_from(&mut nodes);
    let shifts = estimate_shifts(&nodes, entry);
    for (node, &shift) in nodes.iter_mut().zip(&shifts) {
        if shift != 0 && node.kind != SpanKind::Placeholder {
            node.shift_ns = shift;
            node.start = node.start.map(|t| t.saturating_add(shift));
            node.end = node.end.map(|t| t.saturating_add(shift));
        }
    }
    cover_placeholders(&mut nodes);
    let start_key = |n: &SpanNode| (n.start.unwrap_or(i64::MAX), n.id);
    let mut roots: Vec<usize> = (0..nodes.len())
        .filter(|&i| nodes[i].parent.is_none())
        .collect();
    // The entry first, then the rest by start.
    roots.sort_by_key(|&i| (Some(i) != entry, start_key(&nodes[i])));
    for i in 0..nodes.len() {
        let mut kids = std::mem::take(&mut nodes[i].children);
        kids.sort_by_key(|&c| start_key(&nodes[c]));
        nodes[i].children = kids;
    }
    SpanTree {
        nodes,
        roots,
        order: Vec::new(),
        entry,
    }
}

/// Node indices by span id. A trace has a handful of spans: a sorted vector searched by
/// halves is one allocation and no hashing, where a hash map was 1.4 % of `--all` on 1 GB.
struct SpanIndex(Vec<(SpanId, usize)>);

impl SpanIndex {
    /// The nodes that have an id; where two share one, the later node is found.
    fn of(nodes: &[SpanNode]) -> SpanIndex {
        let mut index: Vec<(SpanId, usize)> = nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| Some((n.id?, i)))
            .collect();
        index.sort_unstable();
        index.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 = later.1;
            }
            same
        });
        SpanIndex(index)
    }

    /// Adds `ids` (none of them here yet), the nodes from `first` on.
    fn add(&mut self, ids: &[SpanId], first: usize) {
        if ids.is_empty() {
            return;
        }
        let index = &mut self.0;
        index.extend(ids.iter().enumerate().map(|(k, &id)| (id, first + k)));
        index.sort_unstable();
    }

    fn get(&self, id: SpanId) -> Option<usize> {
        let at = self.0.binary_search_by_key(&id, |&(k, _)| k).ok()?;
        Some(self.0[at].1)
    }
}

/// Placeholders (parents that logged nothing) span their children, and take the name of the
/// first child's caller.
fn cover_placeholders(nodes: &mut [SpanNode]) {
    for i in 0..nodes.len() {
        if nodes[i].kind != SpanKind::Placeholder {
            continue;
        }
        let kids: Vec<usize> = (0..nodes.len())
            .filter(|&c| nodes[c].parent == Some(i))
            .collect();
        if kids.is_empty() {
            continue;
        }
        let start = kids.iter().filter_map(|&c| nodes[c].start).min();
        let end = kids.iter().filter_map(|&c| nodes[c].end).max();
        let first = kids
            .iter()
            .copied()
            .min_by_key(|&c| (nodes[c].start.unwrap_or(i64::MAX), c))
            .unwrap_or(kids[0]);
        nodes[i].start = start;
        nodes[i].end = end;
        nodes[i].service = format!("? (caller of {})", nodes[first].service);
    }
}

/// Marks the children that start after their parent ended (past the skew window), and message
/// consumers: asynchronous work.
fn mark_follows_from(nodes: &mut [SpanNode]) {
    for i in 0..nodes.len() {
        let Some(p) = nodes[i].parent else {
            continue;
        };
        let after_end = match (nodes[i].start, nodes[p].end) {
            (Some(s), Some(pe)) => s > pe + SKEW_WINDOW_NS,
            _ => false,
        };
        // A consumer started by another service's message runs whenever the broker hands it
        // over: never a synchronous callee, whatever the gap. Another service's span under a
        // publish call is that message's consumer too, though its own lines may not say so
        // (a consumer that logs only the `traceparent` it received).
        let other_service = nodes[i].service != nodes[p].service;
        let consumed = other_service
            && (matches!(nodes[i].call, CallKind::Consume(_))
                || matches!(nodes[p].call, CallKind::Publish(_)));
        nodes[i].follows_from = nodes[i].link == Link::Message || after_end || consumed;
    }
}

/// Whether `ancestor` is on the parent chain of `node` (or is `node`).
pub(crate) fn has_ancestor(nodes: &[SpanNode], node: usize, ancestor: usize) -> bool {
    let mut at = Some(node);
    let mut steps = 0;
    while let Some(i) = at {
        if i == ancestor || steps > nodes.len() {
            return true;
        }
        steps += 1;
        at = nodes[i].parent;
    }
    false
}

fn fill_from_records(node: &mut SpanNode, records: &[Record]) {
    let lines: Vec<&Record> = node.records.iter().map(|&i| &records[i]).collect();
    node.line_count = lines.len();
    let first = lines.iter().filter_map(|r| r.time).min();
    let last = lines.iter().filter_map(|r| r.time).max();
    // The longest reported duration is the span's own (its end line); shorter ones are steps.
    let timed = lines
        .iter()
        .filter_map(|r| Some((r.duration_ns?, r.time?)))
        .max_by_key(|&(d, _)| d);
    (node.start, node.end) = match timed {
        Some((d, t)) => (Some(t.saturating_sub(d)), Some(t)),
        None => (first, last),
    };
    node.error_lines = lines
        .iter()
        .filter(|r| r.level.is_some_and(|l| l >= Level::Error))
        .count();
    node.error = lines
        .last()
        .is_some_and(|r| r.level.is_some_and(|l| l >= Level::Error));
    node.call = lines.iter().fold(CallKind::Unknown, |k, r| k.merge(r.call));
    node.status = lines
        .iter()
        .rev()
        .find_map(|r| r.status.as_deref().map(Box::from));
    node.name = lines
        .iter()
        .find_map(|r| r.name.clone())
        .or_else(|| lines.iter().find_map(|r| r.message.clone()))
        .unwrap_or_default();
}

/// Clears the parent link of one node in every cycle, so each cycle hangs from a root.
fn break_cycles(nodes: &mut [SpanNode]) {
    const UNSEEN: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![UNSEEN; nodes.len()];
    // One buffer for every walk: a fresh one per node was an allocation per span.
    let mut path = Vec::new();
    for start in 0..nodes.len() {
        let mut at = Some(start);
        while let Some(i) = at {
            match state[i] {
                DONE => break,
                ON_PATH => {
                    nodes[i].parent = None;
                    break;
                }
                _ => {
                    state[i] = ON_PATH;
                    path.push(i);
                    at = nodes[i].parent;
                }
            }
        }
        for i in path.drain(..) {
            state[i] = DONE;
        }
    }
}

fn depth_first(nodes: &mut [SpanNode], roots: &[usize]) -> Vec<usize> {
    let mut order = Vec::with_capacity(nodes.len());
    let mut stack: Vec<(usize, usize)> = roots.iter().rev().map(|&r| (r, 0)).collect();
    while let Some((i, depth)) = stack.pop() {
        nodes[i].depth = depth;
        order.push(i);
        let parent_start = nodes[i].start;
        for &c in nodes[i].children.iter().rev() {
            stack.push((c, depth + 1));
        }
        for c in nodes[i].children.clone() {
            if let (Some(ps), Some(cs)) = (parent_start, nodes[c].start) {
                nodes[c].starts_before_parent = cs < ps;
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::ids::TraceKey;
    use crate::records::LineRef;

    fn rec(span: u64, parent: Option<u64>, t: i64) -> Record {
        Record {
            trace: TraceKey::Full(1),
            correlation: None,
            span: Some(SpanId(span)),
            parent: parent.map(SpanId),
            parent_hint: None,
            time: Some(t),
            duration_ns: None,
            level: None,
            service: Some("svc".into()),
            service_hint: None,
            name: None,
            message: Some(format!("m{span}")),
            status: None,
            stack: None,
            call: CallKind::Unknown,
            line: LineRef {
                source: 0,
                offset: t as u64,
            },
            raw: Box::default(),
            continuation: Vec::new(),
            lossy_utf8: false,
        }
    }

    #[test]
    fn orphans_get_placeholders_and_cycles_break() {
        let records = vec![
            rec(1, None, 0),
            rec(2, Some(1), 1),
            rec(3, Some(99), 2),
            rec(4, Some(5), 3),
            rec(5, Some(4), 4),
        ];
        let tree = build_tree(&records);
        assert_eq!(tree.order.len(), tree.nodes.len());
        let placeholder = tree
            .nodes
            .iter()
            .position(|n| n.kind == SpanKind::Placeholder)
            .unwrap();
        assert_eq!(tree.nodes[placeholder].id, Some(SpanId(99)));
        let three = tree
            .nodes
            .iter()
            .position(|n| n.id == Some(SpanId(3)))
            .unwrap();
        assert_eq!(tree.nodes[three].parent, Some(placeholder));
        // One root: what nothing places hangs under the entry span, marked unlinked.
        assert_eq!(tree.roots.len(), 1);
        assert!(tree.nodes.iter().any(|n| n.link == Link::Unlinked));
    }

    #[test]
    fn a_deep_chain_does_not_overflow() {
        let records: Vec<Record> = (1..20_000u64)
            .map(|i| rec(i, (i > 1).then(|| i - 1), i as i64))
            .collect();
        let tree = build_tree(&records);
        assert_eq!(tree.order.len(), records.len());
        assert_eq!(
            tree.nodes[tree.order[tree.order.len() - 1]].depth,
            records.len() - 1
        );
    }
}
