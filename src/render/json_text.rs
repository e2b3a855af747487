//! The trace documents of `--all --format jsonl|json`, written as bytes directly.
//!
//! [`crate::render::json::summary_report`] with serde is the schema's definition; this writer
//! produces the same bytes without serde's per-value machinery (a key, a string, a number each
//! went through the serializer, the escaper and the writer: a fifth of `--all --format jsonl`).
//! Keys are constants, ids and times are known to need no escapes, and any other string that
//! is not plain printable ASCII goes through [`write_value`], so escaping is decided in one
//! place. A test holds the two writers byte for byte equal.

use std::io;

use serde_json::ser::{CompactFormatter, Formatter};

use crate::records::ids::SpanId;
use crate::records::time::{push_rfc3339_micros, Nanos};
use crate::render::json::{lines_by_service, ms, write_value, SCHEMA, SCHEMA_VERSION};
use crate::traces::summary::TraceSummary;
use crate::traces::tree::{SpanKind, SpanNode, SpanTree};

/// Appends the summary document of `t` (what `write_value(summary_report(t))` writes).
pub(crate) fn write_summary(out: &mut Vec<u8>, t: &TraceSummary) -> io::Result<()> {
    out.extend_from_slice(b"{\"schema\":");
    text(out, SCHEMA)?;
    out.extend_from_slice(b",\"schema_version\":");
    unsigned(out, u64::from(SCHEMA_VERSION));
    out.extend_from_slice(b",\"trace_id\":");
    text(out, &t.id.to_string())?;
    out.extend_from_slice(b",\"start\":");
    time(out, t.start);
    out.extend_from_slice(b",\"end\":");
    time(out, t.end);
    out.extend_from_slice(b",\"duration_ms\":");
    millis(out, t.extent_ns());
    out.extend_from_slice(b",\"request_duration_ms\":");
    millis(out, t.request_ns);
    out.extend_from_slice(b",\"root_span_id\":");
    span_id(out, t.root_span);
    out.extend_from_slice(b",\"correlation_id\":");
    optional_text(out, t.correlation.as_deref())?;
    out.extend_from_slice(b",\"services\":[");
    for (i, service) in t.services.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        text(out, service)?;
    }
    out.extend_from_slice(b"],\"span_count\":");
    unsigned(out, t.span_count as u64);
    out.extend_from_slice(b",\"lines\":");
    unsigned(out, t.lines);
    out.extend_from_slice(b",\"error_lines\":");
    unsigned(out, t.error_lines);
    out.extend_from_slice(b",\"failed_spans\":");
    unsigned(out, t.failed_spans as u64);
    out.extend_from_slice(b",\"lines_by_service\":{");
    for (i, (service, lines)) in lines_by_service(t.tree()).into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        text(out, service)?;
        out.push(b':');
        unsigned(out, lines as u64);
    }
    out.extend_from_slice(b"},\"root_service\":");
    optional_text(out, t.root_service.as_deref())?;
    out.extend_from_slice(b",\"root_name\":");
    optional_text(out, t.root_name.as_deref())?;
    out.extend_from_slice(b",\"root_status\":");
    optional_text(out, t.root_status.as_deref())?;
    out.extend_from_slice(b",\"failed\":");
    boolean(out, t.failed());
    out.extend_from_slice(b",\"first_error\":");
    match t.first_error() {
        None => out.extend_from_slice(b"null"),
        Some(e) => {
            out.extend_from_slice(b"{\"time\":");
            time(out, e.time);
            out.extend_from_slice(b",\"service\":");
            text(out, &e.service)?;
            out.extend_from_slice(b",\"level\":");
            text(out, e.level.label())?;
            out.extend_from_slice(b",\"message\":");
            text(out, &e.message)?;
            out.extend_from_slice(b",\"span_id\":");
            span_id(out, e.span);
            out.push(b'}');
        }
    }
    spans(out, t.tree())?;
    if let Some(f) = &t.incomplete {
        out.extend_from_slice(b",\"complete\":");
        boolean(out, f.is_complete());
        out.extend_from_slice(b",\"missing_services\":");
        write_value(out, &f.missing_services)?;
        out.extend_from_slice(b",\"context_lost\":");
        write_value(out, &f.context_lost)?;
        out.extend_from_slice(b",\"broken_propagation\":");
        write_value(out, &f.propagation)?;
    }
    out.push(b'}');
    Ok(())
}

/// `"spans":[…],"missing_spans":[…]`, as `span_reports` and `missing_span_reports` give them.
fn spans(out: &mut Vec<u8>, tree: &SpanTree) -> io::Result<()> {
    out.extend_from_slice(b",\"spans\":[");
    let nodes = tree.order.iter().map(|&i| &tree.nodes[i]);
    let mut first = true;
    for node in nodes.clone().filter(|n| n.kind != SpanKind::Placeholder) {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        span(out, node, &tree.nodes)?;
    }
    out.extend_from_slice(b"],\"missing_spans\":[");
    first = true;
    for node in nodes.filter(|n| n.kind == SpanKind::Placeholder) {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"span_id\":");
        match node.id {
            Some(id) => span_id(out, Some(id)),
            None => out.extend_from_slice(b"\"\""),
        }
        out.extend_from_slice(b",\"inferred_parent_span_id\":");
        span_id(out, inferred_parent(node, &tree.nodes));
        out.extend_from_slice(b",\"start\":");
        time(out, node.start);
        out.extend_from_slice(b",\"duration_ms\":");
        millis(out, node.duration_ns());
        out.extend_from_slice(b",\"children\":");
        unsigned(out, node.children.len() as u64);
        out.push(b'}');
    }
    out.push(b']');
    Ok(())
}

/// One span, as `span_report` gives it.
fn span(out: &mut Vec<u8>, node: &SpanNode, nodes: &[SpanNode]) -> io::Result<()> {
    out.extend_from_slice(b"{\"span_id\":");
    span_id(out, node.id);
    out.extend_from_slice(b",\"parent_span_id\":");
    span_id(out, node.parent_id);
    out.extend_from_slice(b",\"inferred_parent_span_id\":");
    span_id(out, inferred_parent(node, nodes));
    out.extend_from_slice(b",\"link\":");
    text(out, node.link.as_str())?;
    out.extend_from_slice(b",\"follows_from\":");
    boolean(out, node.follows_from);
    out.extend_from_slice(match node.kind {
        SpanKind::Logged => b",\"kind\":\"logged\"",
        SpanKind::Placeholder => b",\"kind\":\"placeholder\"",
        SpanKind::Synthetic => b",\"kind\":\"synthetic\"",
    });
    out.extend_from_slice(b",\"service\":");
    text(out, &node.service)?;
    out.extend_from_slice(b",\"name\":");
    text(out, &node.name)?;
    // As logged: the clock correction is given apart.
    out.extend_from_slice(b",\"start\":");
    time(out, node.start.map(|t| t.saturating_sub(node.shift_ns)));
    out.extend_from_slice(b",\"duration_ms\":");
    millis(out, node.duration_ns());
    out.extend_from_slice(b",\"self_ms\":");
    millis(out, node.self_ns);
    out.extend_from_slice(b",\"clock_shift_ms\":");
    float(out, ms(node.shift_ns));
    out.extend_from_slice(b",\"error\":");
    boolean(out, node.error);
    out.extend_from_slice(b",\"error_lines\":");
    unsigned(out, node.error_lines as u64);
    out.extend_from_slice(b",\"status\":");
    optional_text(out, node.status.as_deref())?;
    out.extend_from_slice(b",\"critical_path\":");
    boolean(out, node.critical);
    out.extend_from_slice(b",\"starts_before_parent\":");
    boolean(out, node.starts_before_parent);
    out.extend_from_slice(b",\"depth\":");
    unsigned(out, node.depth as u64);
    out.extend_from_slice(b",\"lines\":");
    unsigned(out, node.line_count as u64);
    out.push(b'}');
    Ok(())
}

/// The id of the span a node was placed under, where no line names its parent.
fn inferred_parent(node: &SpanNode, nodes: &[SpanNode]) -> Option<SpanId> {
    node.parent
        .filter(|_| node.parent_inferred)
        .and_then(|p| nodes[p].id)
}

/// A string: plain printable ASCII as is, anything else escaped by [`write_value`].
fn text(out: &mut Vec<u8>, s: &str) -> io::Result<()> {
    let plain = s
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
    if plain {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        write_value(out, s)
    }
}

fn optional_text(out: &mut Vec<u8>, s: Option<&str>) -> io::Result<()> {
    match s {
        Some(s) => text(out, s),
        None => {
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

/// A span id as its 16 hex digits (they need no escapes), or `null`.
fn span_id(out: &mut Vec<u8>, id: Option<SpanId>) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let Some(SpanId(v)) = id else {
        out.extend_from_slice(b"null");
        return;
    };
    let mut buf = [b'"'; 18];
    for (i, b) in buf[1..17].iter_mut().enumerate() {
        *b = DIGITS[((v >> (60 - 4 * i)) & 0xf) as usize];
    }
    out.extend_from_slice(&buf);
}

/// An instant in RFC 3339 with microseconds (digits only: no escapes), or `null`.
fn time(out: &mut Vec<u8>, t: Option<Nanos>) {
    match t {
        Some(t) => {
            out.push(b'"');
            push_rfc3339_micros(out, t);
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
}

fn millis(out: &mut Vec<u8>, ns: Option<i64>) {
    match ns {
        Some(ns) => float(out, ms(ns)),
        None => out.extend_from_slice(b"null"),
    }
}

/// A number as serde_json writes an `f64`: the shortest form that reads back, `null` when
/// not finite.
fn float(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        // Writing to a Vec cannot fail.
        let _ = CompactFormatter.write_f64(out, v);
    } else {
        out.extend_from_slice(b"null");
    }
}

fn unsigned(out: &mut Vec<u8>, v: u64) {
    // Writing to a Vec cannot fail.
    let _ = CompactFormatter.write_u64(out, v);
}

fn boolean(out: &mut Vec<u8>, v: bool) {
    out.extend_from_slice(if v { b"true" } else { b"false" });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::ids::TraceKey;
    use crate::records::level::Level;
    use crate::traces::acc::ErrorLine;
    use crate::traces::complete::Findings;
    use crate::traces::summary::RareText;
    use crate::traces::tree::{link_nodes, new_node};

    fn serde_bytes(t: &TraceSummary) -> Vec<u8> {
        let mut out = Vec::new();
        write_value(&mut out, &crate::render::json::summary_report(t)).unwrap();
        out
    }

    fn direct_bytes(t: &TraceSummary) -> Vec<u8> {
        let mut out = Vec::new();
        write_summary(&mut out, t).unwrap();
        out
    }

    #[test]
    fn strings_that_need_escapes_are_written_as_serde_writes_them() {
        for s in [
            "plain",
            "quote \" and \\ backslash",
            "tab\tnewline\n",
            "esc \u{1b}[31m",
            "del \u{7f}",
            "c1 \u{9b} bidi \u{202e} sep \u{2028}",
            "été 😀",
            "",
        ] {
            let mut direct = Vec::new();
            text(&mut direct, s).unwrap();
            let mut reference = Vec::new();
            write_value(&mut reference, s).unwrap();
            assert_eq!(direct, reference, "{s:?}");
        }
        for v in [
            0.0,
            -0.0,
            1.5,
            1e-7,
            123456.789,
            1e21,
            f64::NAN,
            f64::INFINITY,
        ] {
            let mut direct = Vec::new();
            float(&mut direct, v);
            assert_eq!(direct, serde_json::to_vec(&v).unwrap(), "{v}");
        }
    }

    #[test]
    fn a_summary_is_written_as_serde_writes_it() {
        let mut root = new_node(
            Some(SpanId(0x1234)),
            SpanKind::Logged,
            "edge \"gw\"\u{1b}".to_string(),
        );
        root.name = "GET /a\u{202e}".to_string();
        root.start = Some(1_795_168_800_042_386_000);
        root.end = Some(1_795_168_800_080_000_000);
        root.status = Some("200".into());
        root.line_count = 3;
        let mut child = new_node(Some(SpanId(0xabc)), SpanKind::Logged, "cart".to_string());
        child.parent_id = Some(SpanId(0x1234));
        child.start = Some(1_795_168_800_050_000_000);
        child.error = true;
        child.error_lines = 1;
        child.line_count = 2;
        let mut orphan = new_node(Some(SpanId(7)), SpanKind::Logged, "x".to_string());
        orphan.parent_id = Some(SpanId(u64::MAX));
        let tree = link_nodes(vec![root, child, orphan]);
        let error = ErrorLine {
            time: Some(1_795_168_800_060_000_000),
            service: "cart".to_string(),
            span: Some(SpanId(0xabc)),
            level: Level::Error,
            message: "payment \"declined\"\u{9b}".to_string(),
        };
        let findings = Findings {
            missing_services: vec!["billing".to_string()],
            context_lost: [("cart".to_string(), 2)].into_iter().collect(),
            orphans: 1,
            propagation: vec!["a \"b\"".to_string()],
        };
        for (id, complete) in [
            (
                TraceKey::Full(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
                false,
            ),
            (TraceKey::Low64(42), true),
            (TraceKey::Opaque("order \"42\"\n".into()), false),
        ] {
            let mut summary = TraceSummary::without_spans(id).with_tree(tree.clone());
            summary.start = Some(1_795_168_800_042_386_000);
            summary.end = Some(1_795_168_800_080_000_001);
            summary.services = vec!["cart".to_string(), "edge \"gw\"".to_string()].into();
            summary.lines = 5;
            summary.correlation = RareText::new(Some("req-1\u{202e}".to_string()));
            summary.root_name = Some("GET /a".into());
            summary.root_status = Some("200".into());
            summary.request_ns = Some(37_614_000);
            summary.error_samples = vec![error.clone()].into();
            if !complete {
                summary.incomplete = Some(Box::new(findings.clone()));
            }
            assert_eq!(
                String::from_utf8(direct_bytes(&summary)).unwrap(),
                String::from_utf8(serde_bytes(&summary)).unwrap()
            );
        }
    }
}
