//! The compact tree (`--format tree`): one trace as indented plain text, small enough to paste
//! into an issue or a prompt. One header line, then one line per span (service, operation,
//! duration, offset from the trace's start, marks), with the earliest error lines under their
//! spans. No colour and no dependence on the terminal's width: the same trace gives the same
//! bytes everywhere, so it can be compared, diffed and snapshotted.

use std::io::{self, Write};

use crate::records::duration::{format_duration, format_offset};
use crate::records::ids::TraceKey;
use crate::records::level::Level;
use crate::render::sanitize::sanitize;
use crate::traces::acc::{keep_earliest, ErrorLine};
use crate::traces::summary::{has_async_tail, request_duration_ns, Row, TraceSummary};
use crate::traces::tree::{Link, SpanKind, SpanNode, SpanTree};
use crate::traces::{Trace, UNKNOWN_SERVICE};

/// Characters of an operation name or an error message shown; longer text is cut with `…`.
const NAME_CHARS: usize = 60;
const MESSAGE_CHARS: usize = 100;
/// Deeper spans are drawn at this depth, with their depth written out (`[14]`), so that a
/// pathological chain cannot make every line hundreds of bytes long.
const MAX_INDENT_LEVELS: usize = 16;
/// Runs of identical leaf siblings at least this long are written as one line with `×N`.
const COLLAPSE_MIN: usize = 3;

/// What the tree of one trace is drawn from: the same for a trace found by its id and for a
/// row of `--all`, so both print the same bytes.
#[derive(Debug, Clone, Copy)]
pub struct TreeInput<'a> {
    /// The trace id.
    pub id: &'a TraceKey,
    /// The spans.
    pub tree: &'a SpanTree,
    /// Services (placeholders not counted).
    pub services: usize,
    /// Log lines.
    pub lines: u64,
    /// Lines at error level or above.
    pub error_lines: u64,
    /// The earliest error lines (at most [`crate::traces::acc::ERROR_SAMPLES`]), shown under
    /// their spans.
    pub error_samples: &'a [ErrorLine],
}

/// The earliest error lines of a trace found by its id, as a row of `--all` keeps them.
pub fn error_samples(trace: &Trace) -> Vec<ErrorLine> {
    let mut samples: Vec<ErrorLine> = trace
        .records
        .iter()
        .filter_map(|r| {
            let level = r.level.filter(|&l| l >= Level::Error)?;
            Some(ErrorLine {
                time: r.time,
                service: r
                    .service
                    .clone()
                    .unwrap_or_else(|| UNKNOWN_SERVICE.to_string()),
                span: r.span,
                level,
                message: r.message.clone().unwrap_or_default(),
            })
        })
        .collect();
    keep_earliest(&mut samples);
    samples
}

/// Writes the tree of a trace found by its id.
pub fn write_trace_tree(out: &mut dyn Write, trace: &Trace) -> io::Result<()> {
    let samples = error_samples(trace);
    write_tree(
        out,
        &TreeInput {
            id: &trace.id,
            tree: &trace.tree,
            services: trace.stats.services.len(),
            lines: trace.records.len() as u64,
            error_lines: trace.stats.error_lines as u64,
            error_samples: &samples,
        },
    )
}

/// Writes the tree of a row of `--all` (which must have kept its span tree).
pub fn write_summary_tree(out: &mut dyn Write, row: &TraceSummary) -> io::Result<()> {
    write_tree(
        out,
        &TreeInput {
            id: &row.id,
            tree: row.tree(),
            services: row.services.len(),
            lines: row.lines,
            error_lines: row.error_lines,
            error_samples: &row.error_samples,
        },
    )
}

/// Writes the trees of rows of `--all`, a blank line between two.
pub fn write_summary_trees(out: &mut dyn Write, rows: &[Row]) -> io::Result<()> {
    for (k, row) in rows.iter().enumerate() {
        if k > 0 {
            writeln!(out)?;
        }
        write_summary_tree(out, row)?;
    }
    Ok(())
}

/// Writes one trace's tree.
pub fn write_tree(out: &mut dyn Write, input: &TreeInput<'_>) -> io::Result<()> {
    let mut text = String::new();
    render(&mut text, input);
    out.write_all(text.as_bytes())
}

/// The tree as text, one `\n` after every line.
pub fn render(text: &mut String, input: &TreeInput<'_>) {
    let tree = input.tree;
    // Offsets count from the earliest span start, which is clock-corrected as the spans are.
    let t0 = tree.nodes.iter().filter_map(|n| n.start).min();
    let t1 = tree.nodes.iter().filter_map(|n| n.end).max();
    header(text, input, t0, t1);
    let errors_of = errors_by_node(tree, input.error_samples);
    let mut k = 0;
    while k < tree.order.len() {
        let i = tree.order[k];
        let node = &tree.nodes[i];
        // Identical leaf siblings in a row (a loop of the same query) are one line.
        let run = tree.order[k..]
            .iter()
            .take_while(|&&j| same_leaf(&tree.nodes[j], node) && errors_of[j].is_empty())
            .count();
        if run >= COLLAPSE_MIN && errors_of[i].is_empty() {
            let group: Vec<&SpanNode> = tree.order[k..k + run]
                .iter()
                .map(|&j| &tree.nodes[j])
                .collect();
            span_line(text, &group, t0);
            k += run;
            continue;
        }
        span_line(text, &[node], t0);
        for e in &errors_of[i] {
            error_line(text, node.depth + 1, e);
        }
        k += 1;
    }
    let shown: usize = errors_of.iter().map(Vec::len).sum();
    let more = input.error_lines.saturating_sub(shown as u64);
    if more > 0 {
        text.push_str(&format!(
            "  … {more} more error line{}\n",
            if more == 1 { "" } else { "s" }
        ));
    }
}

fn header(text: &mut String, input: &TreeInput<'_>, t0: Option<i64>, t1: Option<i64>) {
    let tree = input.tree;
    let plural = |n: u64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let request = request_duration_ns(tree);
    let extent = t0.zip(t1).map(|(a, b)| b.saturating_sub(a));
    let duration = match (request, extent) {
        (Some(r), Some(e)) if has_async_tail(r, e) => {
            format!(
                "{} ({} with async work)",
                format_duration(r),
                format_duration(e)
            )
        }
        (Some(r), _) => format_duration(r),
        (None, Some(e)) => format_duration(e),
        (None, None) => "?".to_string(),
    };
    let failed = tree.nodes.iter().filter(|n| n.error).count() as u64;
    text.push_str(&format!(
        "trace {}  {duration}  {}  {}  {}  {}\n",
        sanitize(&input.id.to_string()),
        plural(input.services as u64, "service"),
        plural(tree.span_count() as u64, "span"),
        plural(input.lines, "line"),
        // As the table counts them: error lines or failed spans, whichever is more.
        plural(input.error_lines.max(failed), "error"),
    ));
}

/// One line for a span, or for a run of identical siblings (`×N`, durations min..max).
fn span_line(text: &mut String, group: &[&SpanNode], t0: Option<i64>) {
    let node = group[0];
    indent(text, node.depth);
    match node.kind {
        SpanKind::Placeholder => {
            let id = node.id.map(|i| i.to_string()).unwrap_or_default();
            text.push_str(&format!("? {id} (not in the logs)"));
        }
        _ => {
            text.push_str(&sanitize(&node.service));
            let name = sanitize(&node.name);
            if !name.is_empty() {
                text.push(' ');
                text.push_str(&shorten(&name, NAME_CHARS));
            }
        }
    }
    if group.len() > 1 {
        text.push_str(&format!(" ×{}", group.len()));
    }
    let durations: Vec<i64> = group.iter().filter_map(|n| n.duration_ns()).collect();
    let (lo, hi) = (durations.iter().min(), durations.iter().max());
    match (lo, hi) {
        (Some(lo), Some(hi)) if lo != hi => text.push_str(&format!(
            " {}..{}",
            format_duration(*lo),
            format_duration(*hi)
        )),
        (Some(d), _) if node.kind != SpanKind::Placeholder || *d > 0 => {
            text.push_str(&format!(" {}", format_duration(*d)))
        }
        _ => {}
    }
    let starts: Vec<i64> = group.iter().filter_map(|n| n.start).collect();
    if let (Some(t0), Some(first), Some(last)) = (t0, starts.iter().min(), starts.iter().max()) {
        text.push_str(&format!(" @{}", format_offset(first - t0)));
        if last != first {
            text.push_str(&format!("..{}", format_offset(last - t0)));
        }
    }
    for mark in marks(node) {
        text.push(' ');
        text.push_str(mark);
    }
    text.push('\n');
}

/// The marks after a span: failure, errors, clock skew, asynchronous, how its parent was
/// found when the logs did not name it, and spans without ids.
fn marks(node: &SpanNode) -> Vec<&'static str> {
    let mut marks = Vec::new();
    if node.critical {
        marks.push("*");
    }
    if node.error {
        marks.push("ERR");
    } else if node.error_lines > 0 {
        marks.push("err");
    }
    if node.follows_from {
        marks.push("async");
    }
    if node.starts_before_parent {
        marks.push("skew");
    }
    match node.link {
        Link::Unlinked => marks.push("unlinked"),
        Link::Root | Link::Named => {}
        link if node.parent_inferred => marks.push(match link {
            Link::Transaction => "~transaction",
            Link::Enclosing => "~enclosing",
            Link::Message => "~message",
            _ => "~service",
        }),
        _ => {}
    }
    if node.kind == SpanKind::Synthetic {
        marks.push("(no span ids)");
    }
    marks
}

fn error_line(text: &mut String, depth: usize, e: &ErrorLine) {
    indent(text, depth);
    let message = if e.message.is_empty() {
        "(no message)".into()
    } else {
        shorten(&sanitize(&e.message), MESSAGE_CHARS)
    };
    text.push_str(&format!("! {} {message}\n", e.level.label()));
}

fn indent(text: &mut String, depth: usize) {
    let shown = depth.min(MAX_INDENT_LEVELS);
    text.extend(std::iter::repeat_n("  ", shown));
    if depth > MAX_INDENT_LEVELS {
        text.push_str(&format!("[{depth}] "));
    }
}

/// Two spans a run of siblings may fold into one line: leaves of one parent with the same
/// service, operation, kind and marks.
fn same_leaf(a: &SpanNode, b: &SpanNode) -> bool {
    a.children.is_empty()
        && b.children.is_empty()
        && a.parent == b.parent
        && a.depth == b.depth
        && a.kind == b.kind
        && a.service == b.service
        && a.name == b.name
        && marks(a) == marks(b)
}

/// The error lines shown under each node (by node index): each sample under the span it was
/// logged in, or for a line without a span id under its service's span of such lines.
fn errors_by_node<'e>(tree: &SpanTree, samples: &'e [ErrorLine]) -> Vec<Vec<&'e ErrorLine>> {
    let mut by_node: Vec<Vec<&ErrorLine>> = vec![Vec::new(); tree.nodes.len()];
    for e in samples {
        let at = tree.nodes.iter().position(|n| match e.span {
            Some(id) => n.kind == SpanKind::Logged && n.id == Some(id),
            None => n.kind == SpanKind::Synthetic && n.service == e.service,
        });
        if let Some(at) = at {
            by_node[at].push(e);
        }
    }
    by_node
}

/// The text cut to `max` characters, the last being `…`.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_counts_characters() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("東京東京", 3), "東京…");
    }
}
