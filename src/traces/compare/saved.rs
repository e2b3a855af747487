//! A trace read back from a saved `--format json` document (schema `tracegrep.trace`), so a
//! trace can be compared with one from an earlier run. Only what a comparison needs is read;
//! unknown fields are ignored, as the schema asks of readers.

use rustc_hash::FxHashMap as HashMap;
use serde::Deserialize;

use super::{Shape, ShapeNode, NOT_LOGGED};
use crate::records::time::parse_time_text;
use crate::traces::stats::normalize_operation;

/// Why a document could not be read as a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotATrace(pub String);

impl std::fmt::Display for NotATrace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotATrace {}

#[derive(Deserialize)]
struct Document {
    schema: Option<String>,
    schema_version: Option<u64>,
    trace_id: String,
    duration_ms: Option<f64>,
    request_duration_ms: Option<f64>,
    #[serde(default)]
    spans: Vec<Span>,
    #[serde(default)]
    missing_spans: Vec<MissingSpan>,
}

#[derive(Deserialize)]
struct Span {
    span_id: Option<String>,
    parent_span_id: Option<String>,
    inferred_parent_span_id: Option<String>,
    service: String,
    #[serde(default)]
    name: String,
    start: Option<String>,
    #[serde(default)]
    clock_shift_ms: f64,
    duration_ms: Option<f64>,
    self_ms: Option<f64>,
    #[serde(default)]
    error: bool,
    #[serde(default)]
    critical_path: bool,
    #[serde(default)]
    depth: usize,
}

#[derive(Deserialize)]
struct MissingSpan {
    span_id: String,
    inferred_parent_span_id: Option<String>,
    start: Option<String>,
    duration_ms: Option<f64>,
}

/// Whether `text` looks like a saved trace document (cheap: the schema name near the start).
pub fn is_trace_document(text: &[u8]) -> bool {
    let head = &text[..text.len().min(256)];
    head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
        && memchr::memmem::find(head, br#""tracegrep.trace""#).is_some()
}

fn ns(ms: f64) -> i64 {
    (ms * 1_000.0).round() as i64 * 1_000
}

/// Reads a `tracegrep.trace` document (the first line of `text` that is one, so the output of
/// `--format json` saved with a trailing newline, or `jq .`'s pretty form, both read).
pub fn shape_of_document(text: &str) -> Result<Shape, NotATrace> {
    let doc: Document = serde_json::from_str(text.trim())
        .map_err(|e| NotATrace(format!("not a tracegrep --format json document: {e}")))?;
    if doc.schema.as_deref() != Some(crate::render::json::SCHEMA) {
        return Err(NotATrace(format!(
            "schema is {:?}, not \"tracegrep.trace\" (save a trace with --format json)",
            doc.schema.unwrap_or_default()
        )));
    }
    if doc.schema_version != Some(u64::from(crate::render::json::SCHEMA_VERSION)) {
        return Err(NotATrace(format!(
            "schema_version {:?} is not one this tracegrep reads ({})",
            doc.schema_version,
            crate::render::json::SCHEMA_VERSION
        )));
    }
    let mut nodes: Vec<ShapeNode> = Vec::with_capacity(doc.spans.len() + doc.missing_spans.len());
    let mut by_id: HashMap<&str, usize> = HashMap::default();
    for s in &doc.spans {
        if let Some(id) = &s.span_id {
            by_id.insert(id, nodes.len());
        }
        nodes.push(ShapeNode {
            service: s.service.clone(),
            operation: normalize_operation(&s.name),
            name: s.name.clone(),
            // The document gives the start as logged and the correction apart.
            start_ns: s
                .start
                .as_deref()
                .and_then(parse_time_text)
                .map(|t| t + ns(s.clock_shift_ms)),
            duration_ns: s.duration_ms.map(ns),
            self_ns: s.self_ms.map(ns),
            error: s.error,
            critical: s.critical_path,
            missing: false,
            children: Vec::new(),
        });
    }
    for m in &doc.missing_spans {
        by_id.insert(&m.span_id, nodes.len());
        nodes.push(ShapeNode {
            service: String::new(),
            name: NOT_LOGGED.to_string(),
            operation: NOT_LOGGED.to_string(),
            start_ns: m.start.as_deref().and_then(parse_time_text),
            duration_ns: m.duration_ms.map(ns),
            self_ns: None,
            error: false,
            critical: false,
            missing: true,
            children: Vec::new(),
        });
    }
    // Parents: the named one, else the inferred one, else (a span under a span without an id,
    // such as a synthetic one) the last span one level up in the depth-first list.
    let mut parent: Vec<Option<usize>> = vec![None; nodes.len()];
    let mut last_at_depth: Vec<usize> = Vec::new();
    for (i, s) in doc.spans.iter().enumerate() {
        let named = [&s.parent_span_id, &s.inferred_parent_span_id]
            .into_iter()
            .flatten()
            .find_map(|p| by_id.get(p.as_str()).copied())
            .filter(|&p| p != i);
        parent[i] = named.or_else(|| {
            s.depth
                .checked_sub(1)
                .and_then(|d| last_at_depth.get(d).copied())
        });
        last_at_depth.truncate(s.depth);
        last_at_depth.resize(s.depth, usize::MAX);
        last_at_depth.push(i);
        if parent[i] == Some(usize::MAX) {
            parent[i] = None;
        }
    }
    for (k, m) in doc.missing_spans.iter().enumerate() {
        let i = doc.spans.len() + k;
        parent[i] = m
            .inferred_parent_span_id
            .as_deref()
            .and_then(|p| by_id.get(p).copied())
            .filter(|&p| p != i);
    }
    // A document edited into a cycle must not hang the comparison: where a chain of parents
    // comes back on itself, the span that closes it becomes a root. Each node is walked once.
    let (unseen, walking, done) = (0u8, 1u8, 2u8);
    let mut state = vec![unseen; nodes.len()];
    let mut path = Vec::new();
    for i in 0..nodes.len() {
        let mut at = Some(i);
        while let Some(n) = at {
            if state[n] == done {
                break;
            }
            if state[n] == walking {
                if let Some(&last) = path.last() {
                    parent[last] = None;
                }
                break;
            }
            state[n] = walking;
            path.push(n);
            at = parent[n];
        }
        for n in path.drain(..) {
            state[n] = done;
        }
    }
    let mut roots = Vec::new();
    for (i, p) in parent.iter().enumerate() {
        match p {
            Some(p) => nodes[*p].children.push(i),
            None => roots.push(i),
        }
    }
    let by_start = |v: &mut Vec<usize>, nodes: &[ShapeNode]| {
        v.sort_by_key(|&i| nodes[i].start_ns.unwrap_or(i64::MAX));
    };
    for i in 0..nodes.len() {
        let mut children = std::mem::take(&mut nodes[i].children);
        by_start(&mut children, &nodes);
        nodes[i].children = children;
    }
    by_start(&mut roots, &nodes);
    Ok(Shape {
        id: doc.trace_id,
        duration_ns: doc.request_duration_ms.or(doc.duration_ms).map(ns),
        nodes,
        roots,
    })
}
