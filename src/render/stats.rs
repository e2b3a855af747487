//! Statistics as tables (per service, per operation, critical paths) or as JSON.

use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment, Table};
use serde::Serialize;

use crate::records::duration::format_duration;
use crate::render::grid;
use crate::render::sanitize::sanitize;
use crate::render::term::{fit, RenderOptions};
use crate::traces::stats::{Stats, StatsRow};

/// Operation names are cut to this many columns in the table.
const OPERATION_COLS: usize = 48;

fn table(opts: &RenderOptions, header: Vec<&str>) -> Table {
    grid::table(opts, header.into_iter().map(String::from).collect())
}

fn numbers(r: &StatsRow) -> Vec<Cell> {
    [
        r.spans.to_string(),
        format_duration(r.p50_ns),
        format_duration(r.p95_ns),
        format_duration(r.p99_ns),
        format_duration(r.max_ns),
        format!("{:.1}%", r.error_rate() * 100.0),
    ]
    .into_iter()
    .map(|v| Cell::new(v).set_alignment(CellAlignment::Right))
    .collect()
}

fn write_table(out: &mut dyn Write, t: &Table) -> io::Result<()> {
    grid::write_lines(out, t)
}

/// Writes the statistics as three tables; `limit` caps the operations table.
pub fn write_stats(
    out: &mut dyn Write,
    stats: &Stats,
    limit: Option<usize>,
    opts: &RenderOptions,
) -> io::Result<()> {
    let traces = stats.traces;
    writeln!(
        out,
        "{traces} trace{}\n",
        crate::diag::plural(traces as u64)
    )?;
    let mut by_service = table(
        opts,
        vec!["SERVICE", "SPANS", "P50", "P95", "P99", "MAX", "ERRORS"],
    );
    for r in &stats.services {
        let mut row = vec![Cell::new(sanitize(&r.service))];
        row.extend(numbers(r));
        by_service.add_row(row);
    }
    write_table(out, &by_service)?;
    writeln!(out)?;
    let mut by_op = table(
        opts,
        vec![
            "SERVICE",
            "OPERATION",
            "SPANS",
            "P50",
            "P95",
            "P99",
            "MAX",
            "ERRORS",
        ],
    );
    let shown = limit.unwrap_or(usize::MAX);
    for r in stats.operations.iter().take(shown) {
        let op = r.operation.as_deref().unwrap_or_default();
        let mut row = vec![
            Cell::new(sanitize(&r.service)),
            Cell::new(fit(&sanitize(op), OPERATION_COLS).trim_end()),
        ];
        row.extend(numbers(r));
        by_op.add_row(row);
    }
    write_table(out, &by_op)?;
    if stats.operations.len() > shown {
        writeln!(
            out,
            "  … and {} more operations",
            stats.operations.len() - shown
        )?;
    }
    // Statistics from a server's spans know no critical path: no empty table.
    if stats.critical_path.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let mut critical = table(opts, vec!["SERVICE", "ON CRITICAL PATH", "OF TRACES"]);
    for (service, n) in &stats.critical_path {
        let share = if stats.traces == 0 {
            0.0
        } else {
            *n as f64 * 100.0 / stats.traces as f64
        };
        critical.add_row(vec![
            Cell::new(sanitize(service)),
            Cell::new(n).set_alignment(CellAlignment::Right),
            Cell::new(format!("{share:.1}%")).set_alignment(CellAlignment::Right),
        ]);
    }
    write_table(out, &critical)
}

#[derive(Serialize)]
struct RowReport<'a> {
    service: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    operation: Option<&'a str>,
    spans: u64,
    errors: u64,
    error_rate: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

fn row_report(r: &StatsRow) -> RowReport<'_> {
    let ms = |ns: i64| (ns as f64 / 1_000.0).round() / 1_000.0;
    RowReport {
        service: &r.service,
        operation: r.operation.as_deref(),
        spans: r.spans,
        errors: r.errors,
        error_rate: r.error_rate(),
        p50_ms: ms(r.p50_ns),
        p95_ms: ms(r.p95_ns),
        p99_ms: ms(r.p99_ns),
        max_ms: ms(r.max_ns),
    }
}

/// Writes the statistics as one JSON document, schema `tracegrep.stats` version 1.
pub fn write_stats_json(out: &mut dyn Write, stats: &Stats) -> io::Result<()> {
    #[derive(Serialize)]
    struct Critical<'a> {
        service: &'a str,
        traces: u64,
    }
    #[derive(Serialize)]
    struct Report<'a> {
        schema: &'static str,
        schema_version: u32,
        traces: usize,
        services: Vec<RowReport<'a>>,
        operations: Vec<RowReport<'a>>,
        critical_path: Vec<Critical<'a>>,
    }
    let report = Report {
        schema: "tracegrep.stats",
        schema_version: 1,
        traces: stats.traces,
        services: stats.services.iter().map(row_report).collect(),
        operations: stats.operations.iter().map(row_report).collect(),
        critical_path: stats
            .critical_path
            .iter()
            .map(|(s, n)| Critical {
                service: s,
                traces: *n,
            })
            .collect(),
    };
    crate::render::json::write_value(out, &report)?;
    out.write_all(b"\n")
}
