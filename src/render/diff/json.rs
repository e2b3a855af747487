//! Two traces compared as JSON: schema `tracegrep.diff`, version 1 (docs/json-schema.md).

use std::io::{self, Write};

use serde::Serialize;

use super::DiffInput;
use crate::render::json::{ms, write_value};
use crate::traces::compare::{ChangeKind, Shape, SideSpan};

/// The schema name of a comparison document.
pub const SCHEMA: &str = "tracegrep.diff";
/// Its version; bumped only for changes that break readers.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct DiffDocument<'a> {
    schema: &'static str,
    schema_version: u32,
    a: TraceSide<'a>,
    b: TraceSide<'a>,
    delta_ms: Option<f64>,
    ratio: Option<f64>,
    in_both: usize,
    only_in_a: usize,
    only_in_b: usize,
    new_errors: usize,
    errors_gone: usize,
    top_changes: Vec<TopChange<'a>>,
    rows: Vec<RowDoc<'a>>,
}

#[derive(Serialize)]
struct TraceSide<'a> {
    trace_id: &'a str,
    root_service: Option<&'a str>,
    root_name: Option<&'a str>,
    duration_ms: Option<f64>,
    spans: usize,
    failed_spans: usize,
    critical_path: Vec<String>,
}

#[derive(Serialize)]
struct TopChange<'a> {
    row: usize,
    service: &'a str,
    name: &'a str,
    kind: &'static str,
    self_delta_ms: f64,
    share: Option<f64>,
}

#[derive(Serialize)]
struct RowDoc<'a> {
    depth: usize,
    service: &'a str,
    name: &'a str,
    a: Option<SpanSide>,
    b: Option<SpanSide>,
    delta_ms: Option<f64>,
    ratio: Option<f64>,
    new_error: bool,
    error_gone: bool,
}

#[derive(Serialize)]
struct SpanSide {
    duration_ms: Option<f64>,
    self_ms: Option<f64>,
    error: bool,
    critical_path: bool,
}

fn trace_side(shape: &Shape) -> TraceSide<'_> {
    let root = shape.root();
    TraceSide {
        trace_id: &shape.id,
        root_service: root.map(|r| r.service.as_str()),
        root_name: root.map(|r| r.name.as_str()),
        duration_ms: shape.duration_ns.map(ms),
        spans: shape.span_count(),
        failed_spans: shape.failed_spans(),
        critical_path: DiffInput::critical_path(shape),
    }
}

fn span_side(s: SideSpan) -> SpanSide {
    SpanSide {
        duration_ms: s.duration_ns.map(ms),
        self_ms: s.self_ns.map(ms),
        error: s.error,
        critical_path: s.critical,
    }
}

/// Four decimals: a ratio or share needs no more, and the text stays stable.
fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Writes the comparison as one line of JSON.
pub fn write_diff_json(out: &mut dyn Write, input: &DiffInput<'_>) -> io::Result<()> {
    let d = input.diff;
    let doc = DiffDocument {
        schema: SCHEMA,
        schema_version: SCHEMA_VERSION,
        a: trace_side(input.a),
        b: trace_side(input.b),
        delta_ms: input.delta_ns().map(ms),
        ratio: input.ratio().map(round4),
        in_both: d.in_both,
        only_in_a: d.only_in_a,
        only_in_b: d.only_in_b,
        new_errors: d.new_errors,
        errors_gone: d.errors_gone,
        top_changes: d
            .top
            .iter()
            .map(|c| {
                let row = &d.rows[c.row];
                TopChange {
                    row: c.row,
                    service: &row.service,
                    name: &row.name,
                    kind: match c.kind {
                        ChangeKind::Slower => "changed",
                        ChangeKind::OnlyInA => "only_in_a",
                        ChangeKind::OnlyInB => "only_in_b",
                    },
                    self_delta_ms: ms(c.delta_ns),
                    share: input.share(c).map(round4),
                }
            })
            .collect(),
        rows: d
            .rows
            .iter()
            .map(|r| RowDoc {
                depth: r.depth,
                service: &r.service,
                name: &r.name,
                a: r.a.map(span_side),
                b: r.b.map(span_side),
                delta_ms: r.delta_ns().map(ms),
                ratio: r.ratio().map(round4),
                new_error: r.new_error(),
                error_gone: r.error_gone(),
            })
            .collect(),
    };
    write_value(out, &doc)?;
    out.write_all(b"\n")
}
