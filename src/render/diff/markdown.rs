//! Two traces compared as Markdown, for a pull request or an incident issue: a summary table,
//! the spans that explain most of the difference, both critical paths and the aligned spans.

use std::io::{self, Write};

use super::{change_label, error_note, signed, times, DiffInput};
use crate::records::duration::format_duration;
use crate::render::report::markdown::{cell, code};
use crate::traces::compare::{Shape, SideSpan};

/// Aligned rows written before the rest is only counted: a comment stays readable, and
/// `--format json` has every row.
pub const MD_ROWS_SHOWN: usize = 200;

fn duration(ns: Option<i64>) -> String {
    ns.map_or_else(|| "?".to_string(), format_duration)
}

fn side_duration(s: Option<SideSpan>) -> String {
    s.map_or_else(|| "–".to_string(), |s| duration(s.duration_ns))
}

fn root(shape: &Shape) -> String {
    shape.root().map_or_else(String::new, |r| cell(&r.label()))
}

/// Writes the comparison as Markdown.
pub fn write_diff_markdown(out: &mut dyn Write, input: &DiffInput<'_>) -> io::Result<()> {
    let (a, b, d) = (input.a, input.b, input.diff);
    writeln!(out, "## Trace comparison\n")?;
    writeln!(out, "| | trace | root | duration | spans | failed spans |")?;
    writeln!(out, "|---|---|---|--:|--:|--:|")?;
    for (side, shape) in [("A", a), ("B", b)] {
        writeln!(
            out,
            "| **{side}** | {} | {} | {} | {} | {} |",
            code(&shape.id, true),
            root(shape),
            duration(shape.duration_ns),
            shape.span_count(),
            shape.failed_spans()
        )?;
    }
    let change = match (input.delta_ns(), input.ratio()) {
        (Some(delta), Some(r)) => format!("{} ({})", signed(delta), times(r)),
        (Some(delta), None) => signed(delta),
        _ => "?".to_string(),
    };
    writeln!(
        out,
        "\n**B − A: {change}.** {} spans in both, {} only in A, {} only in B; {} new error{}, {} gone.\n",
        d.in_both,
        d.only_in_a,
        d.only_in_b,
        d.new_errors,
        if d.new_errors == 1 { "" } else { "s" },
        d.errors_gone
    )?;
    if !d.top.is_empty() {
        writeln!(out, "### Most of the difference\n")?;
        writeln!(out, "| self time | share | span |")?;
        writeln!(out, "|--:|--:|---|")?;
        for c in &d.top {
            let share = input
                .share(c)
                .map_or_else(String::new, |s| format!("{:.0}%", s * 100.0));
            writeln!(
                out,
                "| {} | {share} | {} |",
                signed(c.delta_ns),
                cell(&change_label(&d.rows[c.row], c))
            )?;
        }
        writeln!(out)?;
    }
    writeln!(out, "### Critical path\n")?;
    for (side, shape) in [("A", a), ("B", b)] {
        let path: Vec<String> = DiffInput::critical_path(shape)
            .iter()
            .map(|l| cell(l))
            .collect();
        let text = if path.is_empty() {
            "(none)".to_string()
        } else {
            path.join(" › ")
        };
        writeln!(out, "- **{side}**: {text}")?;
    }
    writeln!(out, "\n### Spans\n")?;
    writeln!(out, "| | span | A | B | Δ | × | |")?;
    writeln!(out, "|---|---|--:|--:|--:|--:|---|")?;
    for row in d.rows.iter().take(MD_ROWS_SHOWN) {
        let marker = match (row.a, row.b) {
            (Some(_), None) => "−",
            (None, Some(_)) => "+",
            _ => "",
        };
        // Non-breaking spaces keep the indentation GitHub would otherwise collapse.
        let indent = "\u{a0}\u{a0}".repeat(row.depth.min(20));
        writeln!(
            out,
            "| {marker} | {indent}{} | {} | {} | {} | {} | {} |",
            cell(&row.label()),
            side_duration(row.a),
            side_duration(row.b),
            row.delta_ns().map_or_else(String::new, signed),
            row.ratio().map_or_else(String::new, times),
            error_note(row)
        )?;
    }
    if d.rows.len() > MD_ROWS_SHOWN {
        writeln!(
            out,
            "\n…and {} more spans (`--format json` lists every one).",
            d.rows.len() - MD_ROWS_SHOWN
        )?;
    }
    Ok(())
}
