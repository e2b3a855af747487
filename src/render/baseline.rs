//! The comparison with a baseline as a terminal table, after the table of traces: the
//! operations that changed (failed gates first), then a count of those that did not. Columns
//! that do not fit are left out, least wanted first, and the operation takes what is left.

use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment, Color};

use crate::records::duration::format_duration;
use crate::render::grid;
use crate::render::sanitize::sanitize;
use crate::render::term::{fit, width_of, RenderOptions};
use crate::traces::baseline::{
    percent, Change, ChangeCounts, Comparison, OpChange, OpStats, MIN_SAMPLES, NOISE_FLOOR_NS,
};

/// Operations listed in the terminal; the rest are counted (the reports list more).
const SHOWN: usize = 30;
/// The operation column shrinks to this many columns before other columns are left out.
const MIN_OPERATION_COLS: usize = 24;

const HEADERS: [&str; 8] = [
    "CHANGE",
    "OPERATION",
    "KIND",
    "COUNT",
    "P50",
    "P95",
    "P95 CHANGE",
    "ERRORS",
];
const OPERATION: usize = 1;
/// Columns left out first when the width is short: P50, kind, count, errors.
const DROP_ORDER: [usize; 4] = [4, 2, 3, 7];

/// `then → now` of one statistic; `–` for a side without the operation.
pub(crate) fn then_now(then: Option<String>, now: Option<String>) -> String {
    let side = |s: Option<String>| s.unwrap_or_else(|| "–".to_string());
    match (&then, &now) {
        (Some(a), Some(b)) if a == b => a.clone(),
        _ => format!("{} → {}", side(then), side(now)),
    }
}

/// The counts then and now.
pub(crate) fn counts(o: &OpChange) -> String {
    then_now(
        o.then.map(|s| s.count.to_string()),
        o.now.map(|s| s.count.to_string()),
    )
}

/// A duration percentile then and now.
pub(crate) fn durations(o: &OpChange, p: fn(&OpStats) -> i64) -> String {
    then_now(
        o.then.as_ref().map(|s| format_duration(p(s))),
        o.now.as_ref().map(|s| format_duration(p(s))),
    )
}

/// The error rates then and now.
pub(crate) fn error_rates(o: &OpChange) -> String {
    then_now(
        o.then.map(|s| percent(s.error_rate())),
        o.now.map(|s| percent(s.error_rate())),
    )
}

/// The p95's change: `+51ms (+42%)`; empty for a new or gone operation.
pub(crate) fn p95_change(o: &OpChange) -> String {
    let Some(delta) = o.p95_change_ns() else {
        return String::new();
    };
    let sign = if delta < 0 { "-" } else { "+" };
    let ratio = o
        .p95_change_ratio()
        .map(|r| format!(" ({}{})", if r < 0.0 { "" } else { "+" }, percent(r)))
        .unwrap_or_default();
    format!("{sign}{}{ratio}", format_duration(delta.abs()))
}

/// The line that sums the comparison up.
pub(crate) fn summary_line(c: &Comparison) -> String {
    let ChangeCounts {
        regressed,
        slower,
        faster,
        new,
        gone,
        unchanged,
        new_errors,
    } = c.counts();
    let mut parts = Vec::new();
    if c.gated || regressed > 0 {
        parts.push(format!("{regressed} regressed"));
    }
    parts.extend([
        format!("{slower} slower"),
        format!("{faster} faster"),
        format!("{new} new"),
        format!("{gone} gone"),
        format!("{new_errors} with new errors"),
        format!("{unchanged} unchanged"),
    ]);
    format!(
        "{} traces then, {} now; {} operations: {}",
        c.traces_then,
        c.traces_now,
        c.operations.len(),
        parts.join(", ")
    )
}

/// The noise rule, as the table and the reports state it.
pub(crate) fn noise_rule() -> String {
    format!(
        "a p95 change counts with at least {MIN_SAMPLES} in both runs and more than {} either way",
        format_duration(NOISE_FLOOR_NS)
    )
}

/// Writes the comparison.
pub fn write_comparison(
    out: &mut dyn Write,
    c: &Comparison,
    opts: &RenderOptions,
) -> io::Result<()> {
    writeln!(
        out,
        "Compared with baseline {}: {}",
        sanitize(&c.baseline),
        summary_line(c)
    )?;
    let notable: Vec<&OpChange> = c.operations.iter().filter(|o| o.notable()).collect();
    let rows: Vec<(&OpChange, [String; 8])> = notable
        .iter()
        .take(SHOWN)
        .map(|o| {
            let label = if o.change == Change::Unchanged && o.new_errors {
                "new errors"
            } else {
                o.change.label()
            };
            (
                *o,
                [
                    label.to_string(),
                    sanitize(&o.name()).into_owned(),
                    o.kind.label().to_string(),
                    counts(o),
                    durations(o, |s| s.p50_ns),
                    durations(o, |s| s.p95_ns),
                    p95_change(o),
                    error_rates(o),
                ],
            )
        })
        .collect();
    if !rows.is_empty() {
        let mut natural = HEADERS.map(width_of);
        for (_, cells) in &rows {
            for (n, text) in natural.iter_mut().zip(cells) {
                *n = (*n).max(width_of(text));
            }
        }
        let shown = layout(&natural, opts.width_cols);
        let header = (0..HEADERS.len())
            .filter(|&i| shown[i] > 0)
            .map(|i| HEADERS[i].to_string())
            .collect();
        let mut table = grid::table(opts, header);
        for (o, cells) in &rows {
            let colour = match o.change {
                _ if !o.failures.is_empty() => Some(Color::Red),
                Change::Regressed | Change::Slower => Some(Color::Yellow),
                _ if o.new_errors => Some(Color::Yellow),
                Change::Faster => Some(Color::Green),
                _ => None,
            };
            let row: Vec<Cell> = (0..HEADERS.len())
                .filter(|&i| shown[i] > 0)
                .map(|i| {
                    let text = if i == OPERATION {
                        fit(&cells[i], shown[i]).trim_end().to_string()
                    } else {
                        cells[i].clone()
                    };
                    let cell = Cell::new(text);
                    let cell = match colour {
                        Some(c) if opts.color && (i == 0 || i == 6) => cell.fg(c),
                        _ => cell,
                    };
                    if i >= 3 {
                        cell.set_alignment(CellAlignment::Right)
                    } else {
                        cell
                    }
                })
                .collect();
            table.add_row(row);
        }
        grid::write_lines(out, &table)?;
    }
    if notable.len() > SHOWN {
        writeln!(
            out,
            "  … and {} more changed operations (--report md or json lists them)",
            notable.len() - SHOWN
        )?;
    }
    writeln!(
        out,
        "Unchanged: {}; {}.",
        c.operations.len() - notable.len(),
        noise_rule()
    )
}

/// The width of each column shown (0 when left out): the operation takes what the others
/// leave, down to [`MIN_OPERATION_COLS`], before the others are left out one by one.
fn layout(natural: &[usize; 8], width_cols: usize) -> [usize; 8] {
    let mut shown = *natural;
    for drop in std::iter::once(None).chain(DROP_ORDER.iter().map(Some)) {
        if let Some(&i) = drop {
            shown[i] = 0;
        }
        let others: usize = (0..shown.len())
            .filter(|&i| i != OPERATION && shown[i] > 0)
            .map(|i| shown[i] + 2)
            .sum();
        let room = width_cols.saturating_sub(others + 2);
        if room >= natural[OPERATION].min(MIN_OPERATION_COLS) {
            shown[OPERATION] = natural[OPERATION].min(room);
            return shown;
        }
    }
    shown[OPERATION] = natural[OPERATION].min(MIN_OPERATION_COLS);
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_widths_leave_columns_out_before_the_operation() {
        let natural = [9, 60, 7, 9, 15, 17, 14, 11];
        let wide = layout(&natural, 200);
        assert_eq!(wide, natural);
        let mid = layout(&natural, 100);
        assert_eq!(mid[4], 0, "P50 goes first: {mid:?}");
        assert!(mid[OPERATION] >= MIN_OPERATION_COLS);
        let narrow = layout(&natural, 60);
        assert_eq!((narrow[0], narrow[5], narrow[6]), (9, 17, 14));
        assert_eq!(narrow[OPERATION], MIN_OPERATION_COLS);
    }
}
