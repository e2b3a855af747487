//! Where a span hangs when no line names its parent, and which span is the request's entry.
//!
//! A wrong parent is worse than none, so a span is only placed under another by evidence:
//! - the same service's tightest enclosing span (one process, one clock), never a database,
//!   cache or publish call;
//! - for a message consumer, the producer that sent to the same destination (a follows-from
//!   link: the consumer may run after the request ended);
//! - the one span through which its service joined the trace (the request it received, the
//!   message it consumed): every span of a service descends from how the trace reached it;
//! - otherwise it hangs under the trace's entry span, marked *unlinked*: the entry is an
//!   ancestor of every span of the request, while timing across services is distorted by clock
//!   skew of tens of milliseconds and cannot tell which caller it was.

use crate::records::bytes::same;
use crate::traces::tree::{has_ancestor, Link, SpanKind, SpanNode};

/// Clocks of two services may differ by this much: the window in which spans count as
/// starting together when the entry span is chosen, and the margin past the entry's end after
/// which work counts as asynchronous.
pub const SKEW_WINDOW_NS: i64 = 100_000_000;

/// Timestamps written with millisecond precision may cut a child's edge outside its parent's.
const ENCLOSE_TOLERANCE_NS: i64 = 1_000_000;

/// Above this many spans, parents are not inferred from timing (the search is quadratic).
const MAX_SPANS_FOR_INFERENCE: usize = 4000;

/// The request's entry span among the roots: the longest of those that start within the skew
/// window of the earliest, leaving out message consumers (asynchronous work), database calls
/// and lines without span ids unless nothing else is there. A root that logged nothing (a
/// missing parent) may be the entry: it stands for the call that reached the logged spans.
pub fn choose_entry(nodes: &[SpanNode]) -> Option<usize> {
    let roots: Vec<usize> = (0..nodes.len())
        .filter(|&i| nodes[i].parent.is_none() && nodes[i].start.is_some())
        .collect();
    let strong = |i: &usize| {
        let n = &nodes[*i];
        n.kind != SpanKind::Synthetic
            && !n.call.is_leaf()
            && !matches!(n.call, crate::records::call::CallKind::Consume(_))
    };
    let mut candidates: Vec<usize> = roots.iter().copied().filter(strong).collect();
    if candidates.is_empty() {
        candidates = roots
            .iter()
            .copied()
            .filter(|&i| nodes[i].kind != SpanKind::Synthetic)
            .collect();
    }
    if candidates.is_empty() {
        candidates = roots;
    }
    let earliest = candidates.iter().filter_map(|&i| nodes[i].start).min()?;
    candidates
        .into_iter()
        .filter(|&i| {
            nodes[i]
                .start
                .is_some_and(|s| s <= earliest + SKEW_WINDOW_NS)
        })
        .max_by_key(|&i| {
            let n = &nodes[i];
            (
                n.duration_ns().unwrap_or(0),
                std::cmp::Reverse(n.start),
                std::cmp::Reverse(i),
            )
        })
}

/// Places every span that has no parent yet (but the entry), by the evidence above.
pub fn infer_parents(nodes: &mut [SpanNode], entry: Option<usize>) {
    let mut orphans: Vec<usize> = (0..nodes.len())
        .filter(|&i| nodes[i].parent.is_none() && Some(i) != entry)
        .collect();
    // Shortest first: a short span finds its tight parent before that parent is itself placed.
    orphans.sort_by_key(|&i| (nodes[i].duration_ns().unwrap_or(i64::MAX), i));
    let timing = nodes.len() <= MAX_SPANS_FOR_INFERENCE;
    // Asked of every pair of spans below: decided once per span, and only in a trace that
    // has something to place (most traces of `--all` have their parents named).
    let placing = !orphans.is_empty() || nodes.iter().any(|n| n.link == Link::Transaction);
    let incoming = if timing && placing {
        Facts::of(nodes)
    } else {
        Facts::default()
    };
    if timing {
        refine_transaction_links(nodes, &incoming);
    }
    for &i in &orphans {
        if timing {
            if let Some(p) = enclosing_in_service(nodes, i, &incoming) {
                set_parent(nodes, i, p, Link::Enclosing);
                continue;
            }
            if let Some(p) = producer_of(nodes, i) {
                set_parent(nodes, i, p, Link::Message);
                continue;
            }
        }
    }
    if timing {
        for &i in &orphans {
            if nodes[i].parent.is_none() {
                if let Some(p) = service_entry(nodes, i, &incoming) {
                    set_parent(nodes, i, p, Link::Service);
                }
            }
        }
        // Longest first: a caller is placed before its callees look for a chain through it.
        for &i in orphans.iter().rev() {
            if nodes[i].parent.is_none() {
                if let Some(p) = only_enclosing_chain(nodes, i, entry, &incoming) {
                    set_parent(nodes, i, p, Link::Enclosing);
                }
            }
        }
    }
    let Some(entry) = entry else {
        return;
    };
    for i in orphans {
        if nodes[i].parent.is_none() && !has_ancestor(nodes, entry, i) {
            set_parent(nodes, i, entry, Link::Unlinked);
        }
    }
}

/// An ECS `transaction.id` names the service's entry span, an ancestor but not always the
/// parent: a span inside a tighter span of that transaction (a batch inside a job) goes under
/// the tightest one.
fn refine_transaction_links(nodes: &mut [SpanNode], incoming: &Facts) {
    let mut hinted: Vec<usize> = (0..nodes.len())
        .filter(|&i| nodes[i].link == Link::Transaction)
        .collect();
    hinted.sort_by_key(|&i| (nodes[i].duration_ns().unwrap_or(i64::MAX), i));
    for i in hinted {
        let (Some(transaction), Some(start), Some(end)) =
            (nodes[i].parent, nodes[i].start, nodes[i].end)
        else {
            continue;
        };
        let inside = |c: usize| c != transaction && has_ancestor(nodes, c, transaction);
        let tighter =
            tightest_enclosing(nodes, incoming, i, (start, end), 0, &inside).or_else(|| {
                let tolerance = ENCLOSE_TOLERANCE_NS;
                tightest_enclosing(nodes, incoming, i, (start, end), tolerance, &inside)
            });
        if let Some(p) = tighter {
            set_parent(nodes, i, p, Link::Enclosing);
        }
    }
}

fn set_parent(nodes: &mut [SpanNode], child: usize, parent: usize, link: Link) {
    nodes[child].parent = Some(parent);
    nodes[child].parent_inferred = true;
    nodes[child].link = link;
}

/// The same service's tightest span that encloses span `i` and may have children: one that
/// encloses it exactly if there is one, else one that does within the rounding of
/// millisecond timestamps.
fn enclosing_in_service(nodes: &[SpanNode], i: usize, incoming: &Facts) -> Option<usize> {
    let x = &nodes[i];
    if x.kind == SpanKind::Placeholder
        || matches!(x.call, crate::records::call::CallKind::Consume(_))
    {
        return None;
    }
    let (Some(start), Some(end)) = (x.start, x.end) else {
        return None;
    };
    let any = |_: usize| true;
    tightest_enclosing(nodes, incoming, i, (start, end), 0, &any).or_else(|| {
        tightest_enclosing(nodes, incoming, i, (start, end), ENCLOSE_TOLERANCE_NS, &any)
    })
}

fn tightest_enclosing(
    nodes: &[SpanNode],
    incoming: &Facts,
    i: usize,
    (start, end): (i64, i64),
    tolerance: i64,
    allowed: &dyn Fn(usize) -> bool,
) -> Option<usize> {
    let length = end - start;
    let x_incoming = incoming.incoming[i];
    // Only the spans of the same service that may have children are candidates.
    incoming.groups[incoming.group[i]]
        .iter()
        .copied()
        .filter(|&c| c != i)
        .filter(|&c| match (nodes[c].start, nodes[c].end) {
            (Some(cs), Some(ce)) => {
                cs <= start + tolerance
                    && ce >= end - tolerance
                    && (ce - cs > length || (ce - cs == length && c < i))
            }
            _ => false,
        })
        // A request the service received was sent by another process, not by the service's
        // own handling of another request.
        .filter(|&c| !(x_incoming && incoming.incoming[c]))
        .filter(|&c| !has_ancestor(nodes, c, i) && allowed(c))
        .min_by_key(|&c| {
            let n = &nodes[c];
            (
                n.duration_ns().unwrap_or(i64::MAX),
                std::cmp::Reverse(n.start),
                c,
            )
        })
}

/// The one span through which the service of span `i` joined the trace before `i` started
/// (see [`is_service_entry`]).
/// Work of that service that no span of it encloses (a consumer's step after the consumer's
/// only line, an in-process task) descends from it. A service joined twice cannot tell which.
fn service_entry(nodes: &[SpanNode], i: usize, facts: &Facts) -> Option<usize> {
    let x = &nodes[i];
    if x.kind != SpanKind::Logged || is_service_entry(nodes, i, facts) {
        return None;
    }
    let start = x.start?;
    let mut entries = (0..nodes.len()).filter(|&c| {
        c != i
            && nodes[c].kind == SpanKind::Logged
            && nodes[c].service == x.service
            && is_service_entry(nodes, c, facts)
    });
    let entry = entries.next()?;
    if entries.next().is_some() {
        return None;
    }
    (nodes[entry].start.is_some_and(|s| s <= start) && !has_ancestor(nodes, entry, i))
        .then_some(entry)
}

/// Whether span `c` is how its service joined the trace: a request it received, a message it
/// consumed, or a span whose parent is another service's span that had ended before it began
/// (an asynchronous hop, as a message is). A parent in another service that encloses it tells
/// nothing more: a service's own outgoing call, logged with the header it sent, reads the same.
fn is_service_entry(nodes: &[SpanNode], c: usize, facts: &Facts) -> bool {
    let n = &nodes[c];
    let after_other_service = n.parent.is_some_and(|p| {
        let parent = &nodes[p];
        parent.service != n.service
            && matches!((parent.end, n.start), (Some(end), Some(start)) if end <= start)
    });
    facts.incoming[c]
        || matches!(n.call, crate::records::call::CallKind::Consume(_))
        || after_other_service
}

/// Another service's spans that enclose span `i` as logged, when they form one chain (each
/// inside the next): the innermost. Several unrelated candidates mean the timing cannot tell.
fn only_enclosing_chain(
    nodes: &[SpanNode],
    i: usize,
    entry: Option<usize>,
    incoming: &Facts,
) -> Option<usize> {
    let x = &nodes[i];
    if x.kind != SpanKind::Logged {
        return None;
    }
    let (start, end) = (x.start?, x.end?);
    let own = incoming.group[i];
    let mut found: Vec<usize> = (incoming.groups.iter().enumerate())
        .filter(|&(g, _)| g != own)
        .flat_map(|(_, members)| members.iter().copied())
        .filter(|&c| c != i && Some(c) != entry)
        .filter(|&c| match (nodes[c].start, nodes[c].end) {
            (Some(cs), Some(ce)) => cs <= start && ce >= end,
            _ => false,
        })
        .filter(|&c| !has_ancestor(nodes, c, i))
        .collect();
    found.sort_by_key(|&c| (nodes[c].duration_ns().unwrap_or(i64::MAX), c));
    let innermost = *found.first()?;
    // Only a call out of the other service (a client span, not a request it received) tells
    // that this span is its callee.
    if incoming.incoming[innermost] {
        return None;
    }
    let chain = found.windows(2).all(|w| has_ancestor(nodes, w[0], w[1]));
    chain.then_some(innermost)
}

/// What inference asks of every pair of spans, decided once per span: whether it reads like
/// a request its service received, and, per service, the spans that may have children (not
/// a database, cache or publish call; one that logged lines).
#[derive(Default)]
struct Facts {
    incoming: Vec<bool>,
    /// Each span's service, as an index into `groups`.
    group: Vec<usize>,
    /// Per service, the spans that may be a parent.
    groups: Vec<Vec<usize>>,
}

impl Facts {
    fn of(nodes: &[SpanNode]) -> Facts {
        let (group, services) = service_groups(nodes);
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); services];
        for (i, n) in nodes.iter().enumerate() {
            if n.kind == SpanKind::Logged && !n.call.is_leaf() {
                groups[group[i]].push(i);
            }
        }
        Facts {
            incoming: nodes.iter().map(|n| is_incoming_request(&n.name)).collect(),
            group,
            groups,
        }
    }
}

/// Each node's service as an index (in order of first appearance), and how many services:
/// a trace has a few, and a list beats hashing their names.
pub(crate) fn service_groups(nodes: &[SpanNode]) -> (Vec<usize>, usize) {
    let mut names: Vec<&str> = Vec::new();
    let group = nodes
        .iter()
        .map(|n| {
            let service = n.service.as_bytes();
            match names.iter().position(|s| same(s.as_bytes(), service)) {
                Some(g) => g,
                None => {
                    names.push(&n.service);
                    names.len() - 1
                }
            }
        })
        .collect();
    (group, names.len())
}

/// Whether an operation name reads like a request a server received: `GET /path` or a gRPC
/// `package.Service/Method` (a client call names a whole URL or a statement).
fn is_incoming_request(name: &str) -> bool {
    const METHODS: [&str; 7] = [
        "GET ", "POST ", "PUT ", "DELETE ", "PATCH ", "HEAD ", "OPTIONS ",
    ];
    // Every method starts with one of these letters: most names (messages standing in for
    // them) are told apart by their first byte.
    if matches!(
        name.as_bytes().first(),
        Some(b'G' | b'P' | b'D' | b'H' | b'O')
    ) {
        if let Some(rest) = METHODS.iter().find_map(|m| name.strip_prefix(m)) {
            return rest.starts_with('/');
        }
    }
    // Bytes, not chars: the characters looked for are ASCII, which no byte of a longer
    // character equals.
    let b = name.as_bytes();
    let Some(slash) = memchr::memchr(b'/', b) else {
        return false;
    };
    let (service, method) = (&b[..slash], &b[slash + 1..]);
    service.contains(&b'.')
        && !service.contains(&b' ')
        && !method.is_empty()
        && !method.iter().any(|&c| c == b'/' || c == b' ')
}

/// For a message consumer: the latest span of the same destination that sent it (a producer,
/// or a span naming the destination without a direction) and started before it.
fn producer_of(nodes: &[SpanNode], i: usize) -> Option<usize> {
    use crate::records::call::CallKind;
    let x = &nodes[i];
    let dest = match x.call {
        CallKind::Consume(d) | CallKind::Messaging(d) if d != 0 => d,
        _ => return None,
    };
    let start = x.start?;
    (0..nodes.len())
        .filter(|&c| c != i)
        .filter(|&c| match nodes[c].call {
            CallKind::Publish(d) => d == dest,
            CallKind::Messaging(d) => d == dest && nodes[c].service != x.service,
            _ => false,
        })
        .filter(|&c| nodes[c].start.is_some_and(|s| s <= start + SKEW_WINDOW_NS))
        .filter(|&c| !has_ancestor(nodes, c, i))
        .max_by_key(|&c| (nodes[c].start, std::cmp::Reverse(c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::call::CallKind;
    use crate::records::ids::SpanId;
    use crate::traces::tree::new_node;

    fn span(id: u64, service: &str, start_ms: i64, end_ms: i64, call: CallKind) -> SpanNode {
        let mut n = new_node(Some(SpanId(id)), SpanKind::Logged, service.to_string());
        n.start = Some(start_ms * 1_000_000);
        n.end = Some(end_ms * 1_000_000);
        n.call = call;
        n
    }

    #[test]
    fn the_entry_is_the_request_not_its_late_consumer_nor_a_skewed_callee() {
        let nodes = vec![
            // A callee whose clock runs 30 ms behind seems to start first.
            span(1, "users", 0, 5, CallKind::Unknown),
            span(2, "gateway", 30, 42, CallKind::Unknown),
            // A consumer that ran long after the request ended.
            span(3, "notifications", 90, 26_000, CallKind::Consume(7)),
        ];
        assert_eq!(choose_entry(&nodes), Some(1));
        // Past the window, the earliest span is the entry whatever its length.
        let mut late = nodes.clone();
        late[1].start = Some(150 * 1_000_000);
        late[1].end = Some(300 * 1_000_000);
        assert_eq!(choose_entry(&late), Some(0));
    }

    #[test]
    fn spans_go_under_their_own_service_the_producer_or_the_entry_never_a_leaf() {
        let mut nodes = vec![
            span(1, "gateway", 0, 100, CallKind::Unknown),
            span(2, "orders", 10, 60, CallKind::Unknown),
            // A query inside orders' request, and a second one inside the first's time.
            span(3, "orders", 20, 50, CallKind::Database),
            span(4, "orders", 25, 30, CallKind::Database),
            span(5, "orders", 52, 53, CallKind::Publish(9)),
            span(6, "mailer", 400, 450, CallKind::Consume(9)),
            // Another service whose time falls inside orders' query: never under the query.
            span(7, "pricing", 26, 29, CallKind::Unknown),
        ];
        let entry = choose_entry(&nodes);
        assert_eq!(entry, Some(0));
        infer_parents(&mut nodes, entry);
        let parent = |i: usize| (nodes[i].parent, nodes[i].link);
        assert_eq!(parent(1), (Some(0), Link::Unlinked));
        assert_eq!(parent(2), (Some(1), Link::Enclosing));
        assert_eq!(
            parent(3),
            (Some(1), Link::Enclosing),
            "a query is never a parent"
        );
        assert_eq!(parent(4), (Some(1), Link::Enclosing));
        assert_eq!(parent(5), (Some(4), Link::Message));
        // Inside orders' span and nothing else but the entry: orders called it.
        assert_eq!(parent(6), (Some(1), Link::Enclosing));
    }

    #[test]
    fn a_step_no_span_encloses_goes_under_its_service_s_only_entry_never_a_guess_between_two() {
        let mut nodes = vec![
            span(1, "gateway", 0, 100, CallKind::Unknown),
            span(2, "checkout", 10, 60, CallKind::Unknown),
            span(3, "checkout", 50, 50, CallKind::Publish(9)),
            // The consumer logged one line; its own step came after it.
            span(4, "fulfillment", 150, 150, CallKind::Consume(9)),
            span(5, "fulfillment", 153, 153, CallKind::Unknown),
        ];
        nodes[3].parent = Some(2);
        nodes[3].link = Link::Named;
        let entry = choose_entry(&nodes);
        infer_parents(&mut nodes, entry);
        assert_eq!((nodes[4].parent, nodes[4].link), (Some(3), Link::Service));
        // A second consumer of the same service in the trace: which one ran the step is unknown.
        let mut twice = nodes[..4].to_vec();
        twice.extend([
            span(6, "fulfillment", 151, 151, CallKind::Consume(9)),
            span(5, "fulfillment", 153, 153, CallKind::Unknown),
        ]);
        twice[3].parent = Some(2);
        let entry = choose_entry(&twice);
        infer_parents(&mut twice, entry);
        assert_eq!(twice[5].link, Link::Unlinked);
    }

    /// Requests a server received read as such; client calls, statements and messages do
    /// not, whatever characters they hold.
    #[test]
    fn incoming_requests_are_told_by_their_names() {
        let incoming = [
            "GET /api/cart",
            "POST /v1/shipping",
            "OPTIONS /",
            "checkout.Orders/Place",
            "grpc.health.v1.Health/Check",
        ];
        let not = [
            "",
            "GET",
            "GET https://example.com/x",
            "get /lower",
            "Orders/Place",
            "checkout.Orders/",
            "checkout.Orders/Place/More",
            "checkout.Orders/Place now",
            "my svc.Orders/Place",
            "request started",
            "SELECT * FROM a/b",
            "POSTAL /x",
        ];
        for name in incoming {
            assert!(is_incoming_request(name), "{name}");
        }
        for name in not {
            assert!(!is_incoming_request(name), "{name}");
        }
        // Non-ASCII around the ASCII marks changes nothing.
        assert!(is_incoming_request("é.ü/ö"));
    }
}
