//! The waterfall: one row per span, indented by the tree, with a bar on a common time axis.

use std::io::{self, Write};

use owo_colors::Style;

use crate::records::duration::format_duration;
use crate::render::sanitize::sanitize;
use crate::render::term::{fit, paint, width_of, RenderOptions, ServiceColors};
use crate::traces::tree::{Link, SpanKind, SpanNode};
use crate::traces::Trace;

/// Columns for the duration at the end of a row.
const DURATION_COLS: usize = 9;
/// Columns for the flags after the duration (`ERR`, `skew`), unless a row has both.
const FLAG_COLS: usize = 5;
/// The label column (tree, service, operation) never takes more than this, however wide the
/// terminal: past it, width goes to the bars, which is where the time is read.
const MAX_LABEL_COLS: usize = 50;
/// The bar never gets fewer columns than this.
const MIN_BAR_COLS: usize = 10;
/// Deeper levels than this are drawn at this indentation, with the depth written out.
const MAX_INDENT_LEVELS: usize = 12;

/// Writes the waterfall of a trace.
pub fn write_waterfall(out: &mut dyn Write, trace: &Trace, opts: &RenderOptions) -> io::Result<()> {
    let tree = &trace.tree;
    let (Some(t0), Some(t1)) = (trace.stats.start, trace.stats.end) else {
        return writeln!(out, "(no timestamps: no waterfall)");
    };
    let total = (t1 - t0).max(1);
    let prefixes = tree_prefixes(trace);
    let labels: Vec<String> = tree
        .order
        .iter()
        .zip(&prefixes)
        .map(|(&i, prefix)| label(&tree.nodes[i], prefix))
        .collect();
    let colors = ServiceColors::of_trace(trace);
    let width = opts.width_cols.max(40);
    let widest = labels.iter().map(|l| width_of(l)).max().unwrap_or(0);
    // The label column takes what it needs, up to 45% of the width and MAX_LABEL_COLS; the
    // bar gets the rest.
    let label_cols = widest.clamp(12, (width * 45 / 100).clamp(12, MAX_LABEL_COLS));
    let flag_cols = if tree
        .nodes
        .iter()
        .any(|n| n.starts_before_parent && (n.error || n.error_lines > 0))
    {
        "ERR skew".len()
    } else {
        FLAG_COLS
    };
    let bar_cols = width
        .saturating_sub(2 + label_cols + 1 + 1 + DURATION_COLS + 1 + flag_cols)
        .max(MIN_BAR_COLS);

    writeln!(
        out,
        "{}",
        paint(
            opts,
            &axis_line(label_cols, bar_cols, total),
            Style::new().dimmed()
        )
    )?;
    for ((&i, label), prefix) in tree.order.iter().zip(&labels).zip(&prefixes) {
        let node = &tree.nodes[i];
        let gutter = if node.critical { "*" } else { " " };
        let (from, to) = bar_span(node, t0, total, bar_cols);
        let bar_char = match node.kind {
            SpanKind::Logged => "█",
            SpanKind::Synthetic => "▒",
            SpanKind::Placeholder => "░",
        };
        let mut bar = String::with_capacity(bar_cols * 3);
        bar.extend(std::iter::repeat_n(' ', from));
        let filled: String = std::iter::repeat_n(bar_char, to - from).collect();
        let style = if node.error {
            Style::new().red().bold()
        } else {
            colors.style(&node.service)
        };
        bar.push_str(&paint(opts, &filled, style));
        bar.extend(std::iter::repeat_n(' ', bar_cols - to));
        let duration = node
            .duration_ns()
            .map_or_else(|| "?".to_string(), format_duration);
        let mut flags = String::new();
        if node.error {
            flags.push_str(&paint(opts, "ERR", Style::new().red().bold()));
        } else if node.error_lines > 0 {
            flags.push_str(&paint(opts, "err", Style::new().red()));
        }
        if node.starts_before_parent {
            if !flags.is_empty() {
                flags.push(' ');
            }
            flags.push_str(&paint(opts, "skew", Style::new().yellow()));
        }
        if node.follows_from {
            if !flags.is_empty() {
                flags.push(' ');
            }
            flags.push_str(&paint(opts, "async", Style::new().cyan()));
        }
        let fitted = fit(label, label_cols);
        let painted_label = paint_label(opts, &fitted, prefix, node, &colors);
        let line = format!(
            "{} {painted_label} {bar} {duration:>DURATION_COLS$} {flags}",
            paint(opts, gutter, Style::new().yellow().bold())
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    write_legend(out, opts, width)
}

/// The key to the marks, wrapped to the width.
fn write_legend(out: &mut dyn Write, opts: &RenderOptions, width: usize) -> io::Result<()> {
    const ITEMS: &[&str] = &[
        "* critical path",
        "ERR span failed",
        "err error lines",
        "skew starts before its parent",
        "async runs after its parent",
        "┄ parent inferred",
        "╌ unlinked: under the entry span",
        "░ not in the logs",
        "▒ no span ids",
    ];
    let mut line = String::from(" ");
    for item in ITEMS {
        if width_of(&line) + 2 + width_of(item) > width && line.len() > 1 {
            writeln!(out, "{}", paint(opts, &line, Style::new().dimmed()))?;
            line = String::from(" ");
        }
        line.push_str("  ");
        line.push_str(item);
    }
    writeln!(out, "{}", paint(opts, &line, Style::new().dimmed()))
}

/// The tree-drawing prefix of every row, in display order.
fn tree_prefixes(trace: &Trace) -> Vec<String> {
    let tree = &trace.tree;
    let mut is_last = vec![true; tree.nodes.len()];
    for node in &tree.nodes {
        if let Some((_, rest)) = node.children.split_last() {
            for &c in rest {
                is_last[c] = false;
            }
        }
    }
    // Walk the display order keeping, per depth, whether that ancestor has siblings below.
    let mut open: Vec<bool> = Vec::new();
    let mut out = Vec::with_capacity(tree.order.len());
    for &i in &tree.order {
        let node = &tree.nodes[i];
        let depth = node.depth;
        open.truncate(depth);
        let mut prefix = String::new();
        if depth > 0 {
            let shown = depth.min(MAX_INDENT_LEVELS);
            for &more in open.iter().skip(1).take(shown - 1) {
                prefix.push_str(if more { "│ " } else { "  " });
            }
            if depth > MAX_INDENT_LEVELS {
                prefix.push_str(&format!("[{depth}]"));
            }
            // Dotted connectors mark parents inferred from timing, a transaction id or a
            // message; dashed ones spans that nothing places, hung under the entry span.
            let line = match node.link {
                Link::Unlinked => "╌",
                _ if node.parent_inferred => "┄",
                _ => "─",
            };
            prefix.push_str(if is_last[i] { "└" } else { "├" });
            prefix.push_str(line);
        }
        open.push(!is_last[i]);
        out.push(prefix);
    }
    out
}

fn label(node: &SpanNode, prefix: &str) -> String {
    let service = sanitize(&node.service);
    let name = sanitize(&node.name);
    match node.kind {
        SpanKind::Placeholder => {
            let id = node.id.map(|i| i.to_string()).unwrap_or_default();
            format!("{prefix}? {id} (not in the logs)")
        }
        _ if name.is_empty() => format!("{prefix}{service}"),
        _ => format!("{prefix}{service} {name}"),
    }
}

fn paint_label(
    opts: &RenderOptions,
    fitted: &str,
    prefix: &str,
    node: &SpanNode,
    colors: &ServiceColors,
) -> String {
    if !opts.color || !fitted.starts_with(prefix) {
        return fitted.to_string();
    }
    let rest = &fitted[prefix.len()..];
    let service = sanitize(&node.service);
    match rest.strip_prefix(service.as_ref()) {
        Some(tail) if node.kind != SpanKind::Placeholder => format!(
            "{prefix}{}{}",
            paint(opts, &service, colors.style(&node.service).bold()),
            tail
        ),
        _ => format!("{prefix}{}", paint(opts, rest, Style::new().dimmed())),
    }
}

/// Columns `[from, to)` of a span's bar; at least one column when the span is known.
pub(crate) fn bar_span(node: &SpanNode, t0: i64, total: i64, cols: usize) -> (usize, usize) {
    let (Some(start), Some(end)) = (node.start, node.end) else {
        return (0, 0);
    };
    let scale = |t: i64| -> f64 { ((t - t0) as f64 / total as f64).clamp(0.0, 1.0) * cols as f64 };
    let from = (scale(start).floor() as usize).min(cols.saturating_sub(1));
    let to = (scale(end).ceil() as usize).clamp(from + 1, cols);
    (from, to)
}

/// The time axis: tick labels at the start, middle and end of the bar area.
fn axis_line(label_cols: usize, bar_cols: usize, total: i64) -> String {
    let mut axis = vec![' '; bar_cols];
    // Ends first, then the middle: a label that would touch another is left out.
    let ticks = [(0usize, 0i64), (bar_cols, total), (bar_cols / 2, total / 2)];
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for (col, t) in ticks {
        let text: Vec<char> = format_duration(t).chars().collect();
        let start = match col {
            0 => 0,
            c if c == bar_cols => c.saturating_sub(text.len()),
            c => c.saturating_sub(text.len() / 2),
        };
        let end = start + text.len();
        let clashes = taken.iter().any(|&(s, e)| start <= e && s <= end);
        if clashes || end > bar_cols {
            continue;
        }
        for (k, c) in text.iter().enumerate() {
            axis[start + k] = *c;
        }
        taken.push((start, end));
    }
    let axis: String = axis.into_iter().collect();
    format!("  {} {}", fit("", label_cols), axis)
}
