//! Is a request complete? The services it was expected to reach (`--expect-services`), lines
//! of its services that lost the request's context nearby, and broken propagation: parents
//! that never logged, a correlation id logged with several trace ids, and a call whose server
//! side logged under another trace id. What a trace lacks is a [`Findings`]; the
//! `--fail-on-incomplete` gate fails a trace that has any.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::records::ids::TraceKey;
use crate::records::time::Nanos;
use crate::records::Record;
use crate::traces::group::TraceMap;
use crate::traces::tree::{SpanKind, SpanTree};

/// The services every request should reach, matched as `--service` matches: a name matches
/// a service whose name contains it, ignoring case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpectedServices {
    /// The names as given, in order, without duplicates.
    pub names: Vec<String>,
}

impl ExpectedServices {
    /// Parses `a,b,c`, or `@FILE` whose lines each name one (`#` starts a comment).
    pub fn parse(text: &str) -> Result<ExpectedServices, String> {
        let listed = match text.strip_prefix('@') {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {path}: {e}"))?
                .lines()
                .map(|l| l.split('#').next().unwrap_or_default().to_string())
                .collect::<Vec<_>>(),
            None => text.split(',').map(str::to_string).collect(),
        };
        let mut names: Vec<String> = Vec::new();
        for name in listed {
            let name = name.trim();
            if !name.is_empty() && !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                names.push(name.to_string());
            }
        }
        if names.is_empty() {
            return Err("no service named".to_string());
        }
        Ok(ExpectedServices { names })
    }

    /// The expected names no service of `services` matches.
    pub fn missing(&self, services: &[String]) -> Vec<String> {
        self.names
            .iter()
            .filter(|want| {
                let want = want.to_ascii_lowercase();
                !services
                    .iter()
                    .any(|s| s.to_ascii_lowercase().contains(&want))
            })
            .cloned()
            .collect()
    }
}

/// What a trace lacks. Empty when the request looks complete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Expected services that never logged a line of the trace.
    pub missing_services: Vec<String>,
    /// Lines of the trace's services, logged while it ran, whose id field held a
    /// placeholder: per service.
    pub context_lost: BTreeMap<String, u64>,
    /// Spans whose parent never logged.
    pub orphans: usize,
    /// Broken propagation found across traces, one sentence each.
    pub propagation: Vec<String>,
}

impl Findings {
    /// Nothing is missing.
    pub fn is_complete(&self) -> bool {
        self.missing_services.is_empty()
            && self.context_lost.is_empty()
            && self.orphans == 0
            && self.propagation.is_empty()
    }

    /// Lines without context, over every service.
    pub fn context_lost_lines(&self) -> u64 {
        self.context_lost.values().sum()
    }

    /// Why the trace is incomplete: one reason per finding (the gate's reasons).
    pub fn reasons(&self) -> Vec<String> {
        let mut reasons = Vec::new();
        if !self.missing_services.is_empty() {
            reasons.push(format!(
                "incomplete: expected service{} never logged: {}",
                if self.missing_services.len() == 1 {
                    ""
                } else {
                    "s"
                },
                self.missing_services.join(", ")
            ));
        }
        if !self.context_lost.is_empty() {
            let per: Vec<String> = self
                .context_lost
                .iter()
                .map(|(s, n)| format!("{s} {n}"))
                .collect();
            reasons.push(format!(
                "incomplete: {} without trace context nearby ({})",
                lines(self.context_lost_lines()),
                per.join(", ")
            ));
        }
        if self.orphans > 0 {
            reasons.push(format!(
                "incomplete: {} never logged (broken propagation)",
                if self.orphans == 1 {
                    "1 parent span".to_string()
                } else {
                    format!("{} parent spans", self.orphans)
                }
            ));
        }
        for p in &self.propagation {
            reasons.push(format!("incomplete: {p}"));
        }
        reasons
    }

    /// A short text for a table cell: `missing payments; 3 no-context; 1 orphan; 1 broken`.
    pub fn short(&self) -> String {
        let mut parts = Vec::new();
        if !self.missing_services.is_empty() {
            parts.push(format!("missing {}", self.missing_services.join(",")));
        }
        if !self.context_lost.is_empty() {
            parts.push(format!("{} no-context", self.context_lost_lines()));
        }
        if self.orphans > 0 {
            parts.push(format!(
                "{} orphan{}",
                self.orphans,
                if self.orphans == 1 { "" } else { "s" }
            ));
        }
        if !self.propagation.is_empty() {
            parts.push(format!("{} broken", self.propagation.len()));
        }
        parts.join("; ")
    }
}

fn lines(n: u64) -> String {
    if n == 1 {
        "1 line".to_string()
    } else {
        format!("{n} lines")
    }
}

/// Lines without context kept to show near one trace; the rest are counted.
pub const MAX_NEARBY_SHOWN: usize = 20;

/// The lines without context near one trace (see [`crate::modes::nearby`]).
#[derive(Debug, Clone, Default)]
pub struct Nearby {
    /// Per service, how many.
    pub counts: BTreeMap<String, u64>,
    /// The first [`MAX_NEARBY_SHOWN`] of them, in time order (never part of the trace).
    pub lines: Vec<Record>,
    /// Files whose window was not read, and why.
    pub notes: Vec<String>,
}

impl Nearby {
    /// How many lines, over every service.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
}

/// What one trace lacks, for its view: the expected services it misses (`None` without
/// `--expect-services`), the lines without context nearby, and broken propagation.
#[derive(Debug, Clone, Default)]
pub struct TraceCompleteness {
    /// Expected services that never logged.
    pub missing_services: Option<Vec<String>>,
    /// Lines without context nearby.
    pub nearby: Nearby,
    /// Broken propagation, one sentence each.
    pub propagation: Vec<String>,
}

/// What `--all` checks of every trace, built once before the traces are summarised.
#[derive(Debug, Default)]
pub struct Completeness {
    /// `--expect-services`.
    pub expected: Option<ExpectedServices>,
    /// Lines that lost their context, by service.
    pub lost: LostLines,
    /// Broken propagation across traces, by trace.
    pub propagation: FxHashMap<TraceKey, Vec<String>>,
}

impl Completeness {
    /// What `tree` (of trace `id`, with `services`) lacks.
    pub fn findings(&self, id: &TraceKey, services: &[String], tree: &SpanTree) -> Findings {
        Findings {
            missing_services: self
                .expected
                .as_ref()
                .map(|e| e.missing(services))
                .unwrap_or_default(),
            context_lost: self.lost.nearby(tree),
            orphans: tree
                .nodes
                .iter()
                .filter(|n| n.kind == SpanKind::Placeholder)
                .count(),
            propagation: self.propagation.get(id).cloned().unwrap_or_default(),
        }
    }
}

/// Most propagation findings kept per trace.
const MAX_PROPAGATION_FINDINGS: usize = 4;

/// Broken propagation across the traces of `map`, by trace: each correlation id logged with
/// several trace ids names the others, and a span whose parent id is a span of another trace
/// (the caller's outgoing call, whose server side logged under a new trace id) names that
/// trace, on both sides.
pub fn propagation(map: &TraceMap) -> FxHashMap<TraceKey, Vec<String>> {
    let mut out: FxHashMap<TraceKey, Vec<String>> = FxHashMap::default();
    let mut note = |trace: &TraceKey, text: String| {
        let notes = out.entry(trace.clone()).or_default();
        if notes.len() < MAX_PROPAGATION_FINDINGS && !notes.contains(&text) {
            notes.push(text);
        }
    };
    for (correlation, traces) in map.split_correlations() {
        for trace in traces {
            let others: Vec<String> = traces
                .iter()
                .filter(|t| *t != trace)
                .map(TraceKey::to_string)
                .collect();
            note(
                trace,
                format!(
                    "correlation id {} was also logged with trace {}",
                    correlation.correlation_text(),
                    others.join(", ")
                ),
            );
        }
    }
    // Parents each trace names but did not log, then who logged them.
    let mut own: FxHashMap<&TraceKey, Vec<u64>> = FxHashMap::default();
    let mut named: Vec<(TraceKey, u64)> = Vec::new();
    map.for_each_span_link(|trace, span, parent| {
        own.entry(trace).or_default().push(span.0);
        if parent != 0 {
            named.push((trace.clone(), parent));
        }
    });
    let mut dangling: FxHashMap<u64, Vec<TraceKey>> = FxHashMap::default();
    for (trace, parent) in named {
        if !own.get(&trace).is_some_and(|spans| spans.contains(&parent)) {
            dangling.entry(parent).or_default().push(trace);
        }
    }
    if dangling.is_empty() {
        return out;
    }
    let mut found: Vec<(TraceKey, u64, TraceKey)> = Vec::new();
    for (trace, spans) in &own {
        for span in spans {
            for orphan in dangling.get(span).into_iter().flatten() {
                if orphan != *trace {
                    found.push(((*trace).clone(), *span, orphan.clone()));
                }
            }
        }
    }
    found.sort_unstable_by(|a, b| (a.1, &a.0, &a.2).cmp(&(b.1, &b.0, &b.2)));
    for (caller, span, callee) in found {
        let span = crate::records::ids::SpanId(span);
        note(
            &callee,
            format!("trace id changed across a call: parent span {span} was logged under trace {caller}"),
        );
        note(
            &caller,
            format!("trace id changed across a call: the call from span {span} continued under trace {callee}"),
        );
    }
    out
}

/// The times of the lines that lost their context, by service, sorted. A line without a time
/// cannot be placed in a request and is not kept.
#[derive(Debug, Default, Clone)]
pub struct LostLines {
    by_service: FxHashMap<String, Vec<Nanos>>,
}

impl LostLines {
    /// Adds a line of `service` logged at `time`.
    pub fn add(&mut self, service: String, time: Nanos) {
        self.by_service.entry(service).or_default().push(time);
    }

    /// Adds another reader's lines.
    pub fn merge(&mut self, other: LostLines) {
        for (service, mut times) in other.by_service {
            self.by_service
                .entry(service)
                .or_default()
                .append(&mut times);
        }
    }

    /// Sorts the times, once every line is in.
    pub fn finish(&mut self) {
        for times in self.by_service.values_mut() {
            times.sort_unstable();
        }
    }

    /// No line lost its context.
    pub fn is_empty(&self) -> bool {
        self.by_service.is_empty()
    }

    /// The lines of each of the tree's services logged between the first and the last
    /// instant of that service's spans: "nearby", since a line without context cannot say
    /// which of the requests running at the time it belonged to.
    pub fn nearby(&self, tree: &SpanTree) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        if self.by_service.is_empty() {
            return out;
        }
        let mut windows: BTreeMap<&str, (Nanos, Nanos)> = BTreeMap::new();
        for n in tree
            .nodes
            .iter()
            .filter(|n| n.kind != SpanKind::Placeholder)
        {
            let (Some(start), Some(end)) = (n.start, n.end.or(n.start)) else {
                continue;
            };
            let w = windows.entry(n.service.as_str()).or_insert((start, end));
            w.0 = w.0.min(start);
            w.1 = w.1.max(end);
        }
        for (service, (from, to)) in windows {
            let Some(times) = self.by_service.get(service) else {
                continue;
            };
            let first = times.partition_point(|&t| t < from);
            let past = times.partition_point(|&t| t <= to);
            if past > first {
                out.insert(service.to_string(), (past - first) as u64);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_services_parse_and_match_like_service() {
        let e = ExpectedServices::parse(" gateway, Payments ,,gateway").unwrap();
        assert_eq!(e.names, ["gateway", "Payments"]);
        let seen = ["api-gateway".to_string(), "orders".to_string()];
        assert_eq!(e.missing(&seen), ["Payments"]);
        assert!(ExpectedServices::parse(" , ").is_err());
        assert!(ExpectedServices::parse("@/nonexistent/file").is_err());
    }

    #[test]
    fn reasons_name_each_finding() {
        let mut f = Findings::default();
        assert!(f.is_complete());
        f.missing_services.push("payments".into());
        f.context_lost.insert("orders".into(), 2);
        f.orphans = 1;
        assert_eq!(
            f.reasons(),
            [
                "incomplete: expected service never logged: payments",
                "incomplete: 2 lines without trace context nearby (orders 2)",
                "incomplete: 1 parent span never logged (broken propagation)",
            ]
        );
        assert_eq!(f.short(), "missing payments; 2 no-context; 1 orphan");
    }
}
