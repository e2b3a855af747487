//! Two traces compared: their span trees aligned by path of service and operation, one row per
//! aligned span with both durations, the spans only one side has, errors that appear or
//! disappear, both critical paths, and the spans that explain most of the difference.
//!
//! Both sides are first reduced to a [`Shape`], the little of a trace a comparison needs, so a
//! trace found in the logs and one read back from a saved `--format json` document
//! ([`saved::shape_of_document`]) are compared by the same code.

mod align;
pub mod saved;

pub use align::{compare, Change, ChangeKind, DiffRow, SideSpan, TraceDiff};

use crate::records::duration::format_duration;
use crate::traces::stats::normalize_operation;
use crate::traces::summary::request_duration_ns;
use crate::traces::tree::SpanKind;
use crate::traces::Trace;

/// The name a span that logged nothing (a parent only named by its children) compares under.
pub const NOT_LOGGED: &str = "(not logged)";

/// What a comparison needs of one trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// The trace id, canonical.
    pub id: String,
    /// The request's duration (its root span's), else the whole trace's.
    pub duration_ns: Option<i64>,
    /// The spans, with children by index.
    pub nodes: Vec<ShapeNode>,
    /// Spans without a parent, by start.
    pub roots: Vec<usize>,
}

/// One span of a [`Shape`].
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeNode {
    /// Service.
    pub service: String,
    /// Operation, as logged.
    pub name: String,
    /// Operation with ids folded to `{id}`, as `--stats` groups it: what aligns.
    pub operation: String,
    /// Start (clock-corrected), for ordering siblings.
    pub start_ns: Option<i64>,
    /// Duration.
    pub duration_ns: Option<i64>,
    /// Duration less what its children cover.
    pub self_ns: Option<i64>,
    /// The span failed.
    pub error: bool,
    /// On the trace's critical path.
    pub critical: bool,
    /// Only named as a parent: it logged nothing.
    pub missing: bool,
    /// Children, by start.
    pub children: Vec<usize>,
}

impl ShapeNode {
    /// `service operation`, as rows and critical paths name a span.
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            self.service.clone()
        } else {
            format!("{} {}", self.service, self.name)
        }
    }
}

/// Rounds to whole microseconds, as the JSON document writes times: a trace and its saved
/// document then compare equal.
fn micros(ns: i64) -> i64 {
    ((ns as f64 / 1_000.0).round() as i64).saturating_mul(1_000)
}

impl Shape {
    /// The shape of a trace found in the logs.
    pub fn of_trace(trace: &Trace) -> Shape {
        let tree = &trace.tree;
        let nodes = tree
            .nodes
            .iter()
            .map(|n| {
                let missing = n.kind == SpanKind::Placeholder;
                let name = if missing {
                    NOT_LOGGED.to_string()
                } else {
                    n.name.clone()
                };
                ShapeNode {
                    service: if missing {
                        String::new()
                    } else {
                        n.service.clone()
                    },
                    operation: normalize_operation(&name),
                    name,
                    start_ns: n.start.map(micros),
                    duration_ns: n.duration_ns().map(micros),
                    self_ns: n.self_ns.map(micros),
                    error: n.error,
                    critical: n.critical,
                    missing,
                    children: n.children.clone(),
                }
            })
            .collect();
        let request = request_duration_ns(tree);
        let mut shape = Shape {
            id: trace.id.to_string(),
            duration_ns: request.or_else(|| trace.stats.duration_ns()).map(micros),
            nodes,
            roots: tree.roots.clone(),
        };
        // A saved document names a missing span's parent by its id only: one placed under a
        // span without an id (a service's lines without span ids) reads back as a root. The
        // same here, so a trace and its saved document compare equal.
        let unplaceable: Vec<usize> = tree
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                n.kind == SpanKind::Placeholder
                    && n.parent.is_some_and(|p| tree.nodes[p].id.is_none())
            })
            .map(|(i, _)| i)
            .collect();
        for i in unplaceable {
            if let Some(p) = tree.nodes[i].parent {
                shape.nodes[p].children.retain(|&c| c != i);
            }
            shape.roots.push(i);
        }
        let nodes = &shape.nodes;
        shape
            .roots
            .sort_by_key(|&i| nodes[i].start_ns.unwrap_or(i64::MAX));
        shape
    }

    /// The root span: the first root that logged something, else the first root.
    pub fn root(&self) -> Option<&ShapeNode> {
        let roots = self.roots.iter().map(|&i| &self.nodes[i]);
        roots
            .clone()
            .find(|n| !n.missing)
            .or_else(|| roots.clone().next())
    }

    /// Spans that logged something.
    pub fn span_count(&self) -> usize {
        self.nodes.iter().filter(|n| !n.missing).count()
    }

    /// Spans that failed.
    pub fn failed_spans(&self) -> usize {
        self.nodes.iter().filter(|n| n.error).count()
    }

    /// The critical path, root first: the critical spans in depth-first order.
    pub fn critical_path(&self) -> Vec<usize> {
        let mut path = Vec::new();
        let mut stack: Vec<usize> = self.roots.iter().rev().copied().collect();
        while let Some(i) = stack.pop() {
            if self.nodes[i].critical {
                path.push(i);
            }
            stack.extend(self.nodes[i].children.iter().rev().copied());
        }
        path
    }

    /// One line about the trace: id, root, duration, spans and errors.
    pub fn describe(&self) -> String {
        let root = self.root().map_or_else(String::new, |r| r.label());
        let duration = self
            .duration_ns
            .map_or_else(|| "?".to_string(), format_duration);
        format!(
            "{}  {root}  {duration}  {} spans  {} failed",
            self.id,
            self.span_count(),
            self.failed_spans()
        )
    }
}
