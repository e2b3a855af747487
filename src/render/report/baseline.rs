//! The comparison with a baseline in the reports: the JSON report's `baseline` object, the
//! Markdown section a reviewer reads in a pull request, and JUnit's test cases per changed
//! operation.

use std::io::{self, Write};

use serde::Serialize;

use crate::render::baseline::{
    counts, durations, error_rates, noise_rule, p95_change, summary_line,
};
use crate::render::json::ms;
use crate::traces::baseline::{
    Change, ChangeCounts, Comparison, OpChange, OpStats, MIN_SAMPLES, NOISE_FLOOR_NS,
};

/// Rows of each Markdown table; the rest are counted.
const MARKDOWN_ROWS: usize = 20;

/// The JSON report's `baseline` object.
#[derive(Serialize)]
pub(crate) struct BaselineReport<'a> {
    file: &'a str,
    traces_then: usize,
    traces_now: usize,
    min_samples: u64,
    noise_floor_ms: f64,
    passed: bool,
    counts: ChangeCounts,
    operations: Vec<OperationReport<'a>>,
}

#[derive(Serialize)]
struct OperationReport<'a> {
    kind: &'static str,
    service: &'a str,
    operation: &'a str,
    change: &'static str,
    new_errors: bool,
    then: Option<StatsReport>,
    now: Option<StatsReport>,
    p95_change_ms: Option<f64>,
    p95_change_ratio: Option<f64>,
    failures: &'a [String],
}

#[derive(Serialize)]
struct StatsReport {
    count: u64,
    errors: u64,
    error_rate: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
}

fn stats(s: &OpStats) -> StatsReport {
    StatsReport {
        count: s.count,
        errors: s.errors,
        error_rate: s.error_rate(),
        p50_ms: ms(s.p50_ns),
        p95_ms: ms(s.p95_ns),
        p99_ms: ms(s.p99_ns),
    }
}

/// The `baseline` object of the JSON report: every operation of either run.
pub(crate) fn report(c: &Comparison) -> BaselineReport<'_> {
    BaselineReport {
        file: &c.baseline,
        traces_then: c.traces_then,
        traces_now: c.traces_now,
        min_samples: MIN_SAMPLES,
        noise_floor_ms: ms(NOISE_FLOOR_NS),
        passed: !c.failed(),
        counts: c.counts(),
        operations: c
            .operations
            .iter()
            .map(|o| OperationReport {
                kind: o.kind.label(),
                service: &o.service,
                operation: &o.operation,
                change: o.change.label(),
                new_errors: o.new_errors,
                then: o.then.as_ref().map(stats),
                now: o.now.as_ref().map(stats),
                p95_change_ms: o.p95_change_ns().map(ms),
                p95_change_ratio: o.p95_change_ratio(),
                failures: &o.failures,
            })
            .collect(),
    }
}

/// The Markdown section: what got slower (failed gates first), new errors, new and gone
/// operations, what got faster, and how many did not change; each table bounded.
pub(crate) fn write_markdown(
    out: &mut dyn Write,
    c: &Comparison,
    cell: fn(&str) -> String,
) -> io::Result<()> {
    let mark = if !c.gated {
        ""
    } else if c.failed() {
        " — ❌"
    } else {
        " — ✅"
    };
    writeln!(out, "### Compared with baseline{mark}\n")?;
    writeln!(out, "{}: {}.\n", cell(&c.baseline), summary_line(c))?;
    let of = |f: &dyn Fn(&OpChange) -> bool| c.operations.iter().filter(|o| f(o)).collect();
    let sections: [(&str, Vec<&OpChange>); 5] = [
        (
            "Slower",
            of(&|o| matches!(o.change, Change::Regressed | Change::Slower)),
        ),
        // Those listed above or below show their new errors there.
        (
            "New errors",
            of(&|o| o.new_errors && o.change == Change::Unchanged),
        ),
        ("New operations", of(&|o| o.change == Change::New)),
        ("Gone operations", of(&|o| o.change == Change::Gone)),
        ("Faster", of(&|o| o.change == Change::Faster)),
    ];
    for (title, ops) in sections {
        if ops.is_empty() {
            continue;
        }
        writeln!(out, "**{title}** ({})\n", ops.len())?;
        writeln!(
            out,
            "| | operation | kind | count | p50 | p95 | p95 change | errors |"
        )?;
        writeln!(out, "|---|---|---|---:|---:|---:|---:|---:|")?;
        for o in ops.iter().take(MARKDOWN_ROWS) {
            let mark = if !o.failures.is_empty() {
                "❌"
            } else if o.new_errors || o.change == Change::Slower {
                "⚠️"
            } else {
                ""
            };
            writeln!(
                out,
                "| {mark} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&o.name()),
                o.kind.label(),
                cell(&counts(o)),
                cell(&durations(o, |s| s.p50_ns)),
                cell(&durations(o, |s| s.p95_ns)),
                cell(&p95_change(o)),
                cell(&error_rates(o)),
            )?;
        }
        if ops.len() > MARKDOWN_ROWS {
            writeln!(out, "\n…and {} more.", ops.len() - MARKDOWN_ROWS)?;
        }
        writeln!(out)?;
    }
    let unchanged = c.operations.iter().filter(|o| !o.notable()).count();
    writeln!(
        out,
        "{unchanged} operations unchanged ({}).\n",
        noise_rule()
    )
}

/// JUnit test cases: one per operation that got slower or has new errors, failed when a
/// baseline gate failed for it.
pub(crate) fn junit_cases(c: &Comparison) -> impl Iterator<Item = &OpChange> {
    c.operations.iter().filter(|o| {
        !o.failures.is_empty()
            || o.new_errors
            || matches!(o.change, Change::Regressed | Change::Slower)
    })
}
