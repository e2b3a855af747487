//! Exports for tracing tools: a trace's span tree and its log lines as Jaeger UI's JSON
//! ([`jaeger`]) and as OTLP/JSON ([`otlp`]). docs/exports.md maps every field.
//!
//! Both formats need what tracegrep's tree leaves implicit: an id for every span (a span
//! made of lines without span ids has none), a 128-bit hex trace id (a correlation id is
//! text), and a start time for every span. [`ExportTrace`] settles those once, so the two
//! formats always agree.

pub mod jaeger;
pub mod otlp;

use crate::records::ids::{SpanId, TraceKey};
use crate::records::level::Level;
use crate::records::time::Nanos;
use crate::records::whole::is_whole_trace;
use crate::records::Record;
use crate::render::fields::{line_fields, FieldChoice};
use crate::traces::tree::{SpanKind, SpanNode, SpanTree};
use crate::traces::Trace;

/// Characters of a message kept in a span log or event: an export is for a viewer, and a
/// 10 MB stack trace in one event would break the per-line limit of OTLP files.
pub const MAX_MESSAGE_CHARS: usize = 4096;
/// Lines of a stack trace kept with its log line.
pub const MAX_STACK_LINES: usize = 50;

/// One log line of a span, as the exports show it. Compact (boxed text, the fields packed in
/// one string): `--all` holds up to a million of them at once.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanLog {
    /// When it was logged (the span's start when the line has no time).
    pub time: Option<Nanos>,
    /// Its level.
    pub level: Option<Level>,
    /// Its message, cut to [`MAX_MESSAGE_CHARS`].
    pub message: Option<Box<str>>,
    /// The few fields that explain it (the timeline's rule, `docs/timeline-fields.md`), as
    /// `key NUL value NUL …`; see [`SpanLog::fields`].
    packed_fields: Box<str>,
    /// The HTTP or gRPC status it reports.
    pub status: Option<Box<str>>,
    /// The duration it reports.
    pub duration_ns: Option<i64>,
    /// The stack trace that followed it, cut to [`MAX_STACK_LINES`] lines.
    pub stack: Option<Box<str>>,
}

impl SpanLog {
    /// The log of one line, read from its JSON (`payload`, the line inside any envelope).
    pub fn from_parts(
        time: Option<Nanos>,
        level: Option<Level>,
        message: Option<&str>,
        status: Option<&str>,
        duration_ns: Option<i64>,
        payload: Option<&[u8]>,
        stack: &[Box<[u8]>],
    ) -> SpanLog {
        // A span of a whole-trace document has that document as its line: no fields of its own.
        let mut packed_fields = String::new();
        if let Some(p) = payload.filter(|p| !is_whole_trace(p)) {
            for (k, v) in line_fields(p, &FieldChoice::Auto) {
                // NUL separates; a NUL inside a field (JSON `\u0000`) is shown as U+FFFD.
                packed_fields.push_str(&k.replace('\0', "\u{fffd}"));
                packed_fields.push('\0');
                packed_fields.push_str(&v.replace('\0', "\u{fffd}"));
                packed_fields.push('\0');
            }
        }
        let stack = (!stack.is_empty()).then(|| {
            let lines: Vec<String> = stack
                .iter()
                .take(MAX_STACK_LINES)
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .collect();
            cut_chars(&lines.join("\n"), MAX_MESSAGE_CHARS).into_boxed_str()
        });
        SpanLog {
            time,
            level,
            message: message.map(|m| cut_chars(m, MAX_MESSAGE_CHARS).into_boxed_str()),
            packed_fields: packed_fields.into_boxed_str(),
            status: status.map(Box::from),
            duration_ns,
            stack,
        }
    }

    /// The fields that explain the line, as `(name, value)`.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut parts = self.packed_fields.split('\0');
        std::iter::from_fn(move || Some((parts.next()?, parts.next()?)))
    }

    /// The log of a record of a one-trace search.
    pub fn of_record(r: &Record) -> SpanLog {
        SpanLog::from_parts(
            r.time,
            r.level,
            r.message.as_deref(),
            r.status.as_deref(),
            r.duration_ns,
            Some(&r.raw),
            &r.continuation,
        )
    }
}

/// `text` cut to `max` characters, with `…` when it was longer.
fn cut_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// A trace ready to export: its tree, the log lines of each node, and the ids and times the
/// formats need.
pub struct ExportTrace<'a> {
    /// The id as tracegrep found it.
    pub key: &'a TraceKey,
    /// The spans.
    pub tree: &'a SpanTree,
    /// The log lines of each node (by node index), by time.
    pub logs: Vec<Vec<SpanLog>>,
    /// The trace id as 32 hex digits (see [`trace_id_hex`]).
    pub trace_hex: String,
    /// The span id of each node (by node index): its own, or derived ([`derived_span_id`]).
    pub span_ids: Vec<SpanId>,
    /// The start of the trace, for spans that have no time of their own.
    pub fallback_start: Nanos,
}

/// One span of an [`ExportTrace`], with what both formats write.
pub struct ExportSpan<'t> {
    /// The node.
    pub node: &'t SpanNode,
    /// Its id.
    pub id: SpanId,
    /// Its parent's id in tracegrep's tree (named or inferred).
    pub parent: Option<SpanId>,
    /// Start (corrected for clock skew, as the waterfall draws it).
    pub start: Nanos,
    /// End, never before the start.
    pub end: Nanos,
    /// The span has no time of its own: it was placed at the trace's start.
    pub timeless: bool,
    /// Its log lines.
    pub logs: &'t [SpanLog],
    /// Its service, cut to [`MAX_NAME_CHARS`].
    pub service: std::borrow::Cow<'t, str>,
    /// Its name, cut to [`MAX_NAME_CHARS`].
    pub name: std::borrow::Cow<'t, str>,
}

/// Characters of a service or span name kept: a name is a label, and a hostile 10 MB one
/// would break the per-line limit of OTLP files.
pub const MAX_NAME_CHARS: usize = 1024;

/// `text`, or its first [`MAX_NAME_CHARS`] characters and `…`.
fn label(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= MAX_NAME_CHARS {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(cut_chars(text, MAX_NAME_CHARS))
    }
}

impl<'a> ExportTrace<'a> {
    /// A trace with the log lines of each node.
    pub fn new(key: &'a TraceKey, tree: &'a SpanTree, logs: Vec<Vec<SpanLog>>) -> Self {
        let trace_hex = trace_id_hex(key);
        let mut taken: rustc_hash::FxHashSet<u64> = tree
            .nodes
            .iter()
            .filter_map(|n| n.id.map(|i| i.0))
            .collect();
        let span_ids = tree
            .nodes
            .iter()
            .map(|n| match n.id {
                Some(id) => id,
                None => {
                    let id = derived_span_id(&trace_hex, &n.service, &taken);
                    taken.insert(id.0);
                    id
                }
            })
            .collect();
        let fallback_start = tree
            .nodes
            .iter()
            .filter_map(|n| n.start)
            .min()
            .or_else(|| logs.iter().flatten().filter_map(|l| l.time).min())
            .unwrap_or(0);
        ExportTrace {
            key,
            tree,
            logs,
            trace_hex,
            span_ids,
            fallback_start,
        }
    }

    /// A trace of a one-trace search, with every line under its span.
    pub fn of_trace(trace: &'a Trace) -> Self {
        let logs = trace
            .tree
            .nodes
            .iter()
            .map(|n| {
                n.records
                    .iter()
                    .map(|&i| SpanLog::of_record(&trace.records[i]))
                    .collect()
            })
            .collect();
        ExportTrace::new(&trace.id, &trace.tree, logs)
    }

    /// The spans in the waterfall's order (parents before children), placeholders included.
    pub fn spans(&self) -> impl Iterator<Item = ExportSpan<'_>> {
        self.tree.order.iter().map(move |&i| {
            let node = &self.tree.nodes[i];
            let start = node.start.or(node.end);
            let timeless = start.is_none();
            let start = start.unwrap_or(self.fallback_start);
            let end = node.end.unwrap_or(start).max(start);
            ExportSpan {
                node,
                id: self.span_ids[i],
                parent: node.parent.map(|p| self.span_ids[p]),
                start,
                end,
                timeless,
                logs: self.logs.get(i).map_or(&[][..], Vec::as_slice),
                service: label(&node.service),
                name: label(&node.name),
            }
        })
    }

    /// The original id, when the exported one is derived from it (a correlation id).
    pub fn original_id(&self) -> Option<String> {
        matches!(self.key, TraceKey::Opaque(_)).then(|| self.key.to_string())
    }
}

/// What kind of span a node is, for both formats: OTLP's `SpanKind` number and its name.
pub fn span_kind(span: &ExportSpan<'_>, tree: &SpanTree) -> (u8, &'static str) {
    use crate::records::call::CallKind;
    match span.node.call {
        CallKind::Database => (3, "client"),
        CallKind::Publish(_) => (4, "producer"),
        CallKind::Consume(_) => (5, "consumer"),
        _ => {
            // A service's first span under another service's (or the trace's root) is where
            // a request came in.
            let entry = match span.node.parent {
                None => true,
                Some(p) => tree.nodes[p].service != span.node.service,
            };
            if entry && span.node.kind != SpanKind::Placeholder {
                (2, "server")
            } else {
                (1, "internal")
            }
        }
    }
}

/// The name of a node's kind in tracegrep's tree, as the `tracegrep.span` tag says it.
pub fn node_kind_name(node: &SpanNode) -> &'static str {
    match node.kind {
        SpanKind::Logged => "logged",
        SpanKind::Placeholder => "placeholder",
        SpanKind::Synthetic => "synthetic",
    }
}

/// FNV-1a, 128 bits: a small, fixed, documented hash, so that derived ids are the same in
/// every version and anyone can compute them (docs/exports.md).
pub fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013b;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u128::from(b)).wrapping_mul(PRIME))
}

/// The trace id as 32 lowercase hex digits: a 128-bit id as it is, a 64-bit one with leading
/// zeros (as Jaeger pads them), a correlation id as the FNV-1a-128 hash of
/// `tracegrep trace <id in lower case>` (correlation ids compare ignoring ASCII case).
pub fn trace_id_hex(key: &TraceKey) -> String {
    let v = match key {
        TraceKey::Full(v) => *v,
        TraceKey::Low64(v) => u128::from(*v),
        TraceKey::Opaque(s) => {
            let text = format!("tracegrep trace {}", s.to_ascii_lowercase());
            fnv1a_128(text.as_bytes()).max(1)
        }
    };
    format!("{v:032x}")
}

/// The id of a span tracegrep made of lines without span ids (one per service): the low 64
/// bits of FNV-1a-128 of `tracegrep span <trace hex> <service>`, and of the same text with
/// ` 1`, ` 2`, … appended while that is zero or another span's id.
pub fn derived_span_id(
    trace_hex: &str,
    service: &str,
    taken: &rustc_hash::FxHashSet<u64>,
) -> SpanId {
    let base = format!("tracegrep span {trace_hex} {service}");
    let mut n = 0u32;
    loop {
        let text = if n == 0 {
            base.clone()
        } else {
            format!("{base} {n}")
        };
        let id = fnv1a_128(text.as_bytes()) as u64;
        if id != 0 && !taken.contains(&id) {
            return SpanId(id);
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_fixed() {
        // FNV-1a-128 of the empty string is its offset basis; of "a", the published value.
        assert_eq!(fnv1a_128(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_eq!(fnv1a_128(b"a"), 0xd228cb696f1a8caf78912b704e4a8964);
        assert_eq!(
            trace_id_hex(&TraceKey::Low64(0xabc)),
            "00000000000000000000000000000abc"
        );
        let a = trace_id_hex(&TraceKey::Opaque("Req-7F3A".into()));
        assert_eq!(a, trace_id_hex(&TraceKey::Opaque("req-7f3a".into())));
        assert_eq!(a.len(), 32);
        let taken = rustc_hash::FxHashSet::default();
        let id = derived_span_id(&a, "billing", &taken);
        let again: rustc_hash::FxHashSet<u64> = [id.0].into_iter().collect();
        assert_ne!(derived_span_id(&a, "billing", &again), id);
    }

    #[test]
    fn long_text_is_cut_on_a_character() {
        assert_eq!(cut_chars("héllo", 2), "hé…");
        assert_eq!(cut_chars("hé", 2), "hé");
    }
}
