//! Two traces compared, for a terminal: a line about each, the change, the spans that explain
//! most of it, both critical paths, then the aligned span trees one row per span. `-` marks a
//! span only in A, `+` one only in B, as `diff` does.

pub mod json;
pub mod markdown;

use std::io::{self, Write};

use owo_colors::Style;

use crate::records::duration::format_duration;
use crate::render::sanitize::sanitize;
use crate::render::term::{fit, paint, RenderOptions};
use crate::traces::compare::{Change, ChangeKind, DiffRow, Shape, TraceDiff};

/// The two traces and their comparison, as every diff renderer takes them.
#[derive(Debug, Clone, Copy)]
pub struct DiffInput<'a> {
    /// The trace compared from.
    pub a: &'a Shape,
    /// The trace compared to.
    pub b: &'a Shape,
    /// The comparison.
    pub diff: &'a TraceDiff,
}

impl DiffInput<'_> {
    /// B's duration less A's.
    pub fn delta_ns(&self) -> Option<i64> {
        Some(self.b.duration_ns? - self.a.duration_ns?)
    }

    /// B's duration over A's.
    pub fn ratio(&self) -> Option<f64> {
        let (a, b) = (self.a.duration_ns?, self.b.duration_ns?);
        (a > 0).then(|| b as f64 / a as f64)
    }

    /// The share of the whole change that `change` accounts for, when they go the same way and
    /// it is not more than the whole (spans that overlap, or changes that cancel out, can add
    /// up to more than the change of the request: no share is then honest).
    pub fn share(&self, change: &Change) -> Option<f64> {
        let total = self.delta_ns()?;
        let share = change.delta_ns as f64 / total as f64;
        (total != 0 && share > 0.0 && share <= 1.0).then_some(share)
    }

    /// The critical path of a side, as `service operation › …`.
    pub fn critical_path(shape: &Shape) -> Vec<String> {
        shape
            .critical_path()
            .into_iter()
            .map(|i| shape.nodes[i].label())
            .collect()
    }
}

/// A signed duration: `+412.4ms`, `-3ms`, `0s`.
pub fn signed(ns: i64) -> String {
    if ns > 0 {
        format!("+{}", format_duration(ns))
    } else {
        format_duration(ns)
    }
}

/// A ratio as `×4.42`.
pub fn times(ratio: f64) -> String {
    format!("×{ratio:.2}")
}

/// What a [`Change`] says: `payments charge card`, `only in B: …`.
pub fn change_label(row: &DiffRow, change: &Change) -> String {
    match change.kind {
        ChangeKind::Slower => row.label(),
        ChangeKind::OnlyInA => format!("only in A: {}", row.label()),
        ChangeKind::OnlyInB => format!("only in B: {}", row.label()),
    }
}

/// The error a row reports: `new error`, `error gone`, `failed` (both), or nothing.
pub fn error_note(row: &DiffRow) -> &'static str {
    if row.new_error() {
        "new error"
    } else if row.error_gone() {
        "error gone"
    } else if row.a.is_some_and(|a| a.error) || row.b.is_some_and(|b| b.error) {
        "failed"
    } else {
        ""
    }
}

/// Changes of at least this ratio (or its inverse) are coloured.
const NOTABLE_RATIO: f64 = 1.2;
/// Columns of a duration.
const DURATION_COLS: usize = 9;
/// The operation column never gets narrower than this.
const MIN_LABEL_COLS: usize = 16;
/// Rows of the critical path shown per side before `…`.
const PATH_SHOWN: usize = 12;

/// Writes the comparison for a terminal.
pub fn write_diff(
    out: &mut dyn Write,
    input: &DiffInput<'_>,
    opts: &RenderOptions,
) -> io::Result<()> {
    let red = Style::new().red();
    let green = Style::new().green();
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    for (side, shape) in [("A", input.a), ("B", input.b)] {
        writeln!(
            out,
            "{}  {}",
            paint(opts, side, bold),
            fit(
                &sanitize(&shape.describe()),
                opts.width_cols.saturating_sub(3)
            )
            .trim_end()
        )?;
    }
    let d = input.diff;
    let change = match (input.delta_ns(), input.ratio()) {
        (Some(delta), Some(r)) => format!("{}  {}", signed(delta), times(r)),
        (Some(delta), None) => signed(delta),
        _ => "?".to_string(),
    };
    let change_style = match input.ratio() {
        Some(r) if r >= NOTABLE_RATIO => red,
        Some(r) if r <= 1.0 / NOTABLE_RATIO => green,
        _ => Style::new(),
    };
    writeln!(
        out,
        "{}  {}",
        paint(opts, "Δ", bold),
        paint(opts, &change, change_style)
    )?;
    let counts = format!(
        "{} spans in both, {} only in A, {} only in B; {} new error{}, {} gone",
        d.in_both,
        d.only_in_a,
        d.only_in_b,
        d.new_errors,
        if d.new_errors == 1 { "" } else { "s" },
        d.errors_gone,
    );
    writeln!(
        out,
        "   {}",
        fit(&counts, opts.width_cols.saturating_sub(3)).trim_end()
    )?;
    if !d.top.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint(opts, "Most of the difference", bold))?;
        for change in &d.top {
            let row = &d.rows[change.row];
            let share = input
                .share(change)
                .map_or_else(String::new, |s| format!("{:.0}%", s * 100.0));
            let style = if change.delta_ns > 0 { red } else { green };
            let label = sanitize(&change_label(row, change)).into_owned();
            let room = opts.width_cols.saturating_sub(2 + 10 + 6);
            writeln!(
                out,
                "  {} {:>5} {}",
                paint(opts, &format!("{:>9}", signed(change.delta_ns)), style),
                share,
                fit(&label, room.max(MIN_LABEL_COLS)).trim_end()
            )?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", paint(opts, "Critical path", bold))?;
    for (side, shape) in [("A", input.a), ("B", input.b)] {
        let path = DiffInput::critical_path(shape);
        let mut text = path
            .iter()
            .take(PATH_SHOWN)
            .map(|l| sanitize(l).into_owned())
            .collect::<Vec<_>>()
            .join(" › ");
        if path.len() > PATH_SHOWN {
            text.push_str(&format!(" › … ({} more)", path.len() - PATH_SHOWN));
        }
        if path.is_empty() {
            text = "(none)".to_string();
        }
        writeln!(
            out,
            "  {side}  {}",
            fit(&text, opts.width_cols.saturating_sub(5)).trim_end()
        )?;
    }
    writeln!(out)?;
    write_rows(out, d, opts, (red, green, dim))
}

/// The aligned trees, one row per span.
fn write_rows(
    out: &mut dyn Write,
    d: &TraceDiff,
    opts: &RenderOptions,
    (red, green, dim): (Style, Style, Style),
) -> io::Result<()> {
    // marker, label, critical marks, A, B, Δ, ratio, error note.
    let narrow = opts.width_cols < 90;
    let fixed = 2 + 3 + 3 * (DURATION_COLS + 1) + if narrow { 0 } else { 7 + 11 };
    let label_cols = opts.width_cols.saturating_sub(fixed).max(MIN_LABEL_COLS);
    let mut header = format!(
        "  {} {:>2} {:>w$} {:>w$} {:>w$}",
        fit("SPAN", label_cols),
        "CP",
        "A",
        "B",
        "Δ",
        w = DURATION_COLS
    );
    if !narrow {
        header.push_str(&format!(" {:>6}  {}", "×", "ERROR"));
    }
    writeln!(
        out,
        "{}",
        paint(opts, header.trim_end(), Style::new().bold())
    )?;
    for row in &d.rows {
        let (marker, marker_style) = match (row.a, row.b) {
            (Some(_), None) => ("-", red),
            (None, Some(_)) => ("+", green),
            _ => (" ", Style::new()),
        };
        let indent = "  ".repeat(row.depth.min(label_cols / 4));
        let label = format!("{indent}{}", sanitize(&row.label()));
        let label = fit(&label, label_cols);
        let critical = format!(
            "{}{}",
            if row.a.is_some_and(|a| a.critical) {
                "A"
            } else {
                "·"
            },
            if row.b.is_some_and(|b| b.critical) {
                "B"
            } else {
                "·"
            }
        );
        let duration = |s: Option<crate::traces::compare::SideSpan>| {
            s.map_or_else(
                || "-".to_string(),
                |s| {
                    s.duration_ns
                        .map_or_else(|| "?".to_string(), format_duration)
                },
            )
        };
        let delta = row.delta_ns().map_or_else(String::new, signed);
        let ratio = row.ratio();
        let delta_style = match ratio {
            Some(r) if r >= NOTABLE_RATIO => red,
            Some(r) if r <= 1.0 / NOTABLE_RATIO => green,
            _ => Style::new(),
        };
        let mut line = format!(
            "{} {} {:>2} {:>w$} {:>w$} {}",
            paint(opts, marker, marker_style),
            paint(opts, &label, marker_style),
            paint(opts, &critical, dim),
            duration(row.a),
            duration(row.b),
            paint(
                opts,
                &format!("{delta:>w$}", w = DURATION_COLS),
                delta_style
            ),
            w = DURATION_COLS
        );
        if !narrow {
            let ratio_text = ratio.map_or_else(String::new, times);
            let note = error_note(row);
            let note_style = if note == "error gone" { green } else { red };
            line.push_str(&format!(
                " {}  {}",
                paint(opts, &format!("{ratio_text:>6}"), delta_style),
                paint(opts, note, note_style)
            ));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}
