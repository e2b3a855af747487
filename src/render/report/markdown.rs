//! The Markdown report, for GitHub's and GitLab's job summaries and merge request comments:
//! totals, the failed gates, a table of the worst traces, and for the worst few a Mermaid gantt
//! chart (GitHub draws those), the text waterfall in a collapsed block and the error lines.
//!
//! Log text is untrusted and Markdown renders inline HTML, so every piece of it is escaped for
//! the place it goes: table cells, code spans, fenced blocks and gantt task names.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::records::duration::format_duration;
use crate::records::time::format_rfc3339_millis;
use crate::render::report::ReportInput;
use crate::render::sanitize::sanitize;
use crate::render::term::RenderOptions;
use crate::render::waterfall::write_waterfall;
use crate::traces::summary::TraceSummary;
use crate::traces::tree::SpanKind;
use crate::traces::{Trace, TraceStats};

/// Rows in the table of worst traces; the rest are counted.
const TABLE_ROWS: usize = 20;
/// Traces drawn in full (gantt, waterfall, error lines).
const DETAILED: usize = 3;
/// Spans in one gantt chart; the rest are counted.
const GANTT_SPANS: usize = 30;
/// Gate reasons listed; the rest are counted.
const REASONS: usize = 20;
/// A first error's message is cut to this many characters in the table (the details below
/// the table show the whole line).
const FIRST_ERROR_CHARS: usize = 80;
/// Any other text in a table cell or list item is cut to this many characters: a 100 KB service
/// name would otherwise fill GitHub's 1 MiB job summary on its own.
const CELL_CHARS: usize = 300;
/// An error line in the details is cut to this many characters.
const ERROR_LINE_CHARS: usize = 2_000;

/// Writes the Markdown report.
pub fn write_markdown(out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
    let totals = input.totals();
    let verdict = if input.traces.is_empty() {
        " — ⚠️ no traces".to_string()
    } else if !input.gated {
        String::new()
    } else if totals.passed {
        " — ✅ gates passed".to_string()
    } else {
        " — ❌ gates failed".to_string()
    };
    writeln!(
        out,
        "## tracegrep: {} traces, {} services{verdict}\n",
        totals.traces, totals.services
    )?;
    let worst = input.worst();
    let slowest = input
        .traces
        .iter()
        .max_by_key(|t| t.duration_ns().unwrap_or(0))
        .map(|t| format!("{} {}", duration(t), cell(&root(t))))
        .unwrap_or_default();
    writeln!(
        out,
        "| traces | services | with errors | failed gates | slowest |"
    )?;
    writeln!(out, "|---:|---:|---:|---:|---|")?;
    writeln!(
        out,
        "| {} | {} | {} | {} | {} |\n",
        totals.traces, totals.services, totals.error_traces, totals.failed_gates, slowest
    )?;
    write_reasons(out, input)?;
    if let Some(c) = input.baseline {
        crate::render::report::baseline::write_markdown(out, c, cell)?;
    }
    write_incomplete(out, input)?;
    if input.traces.is_empty() {
        return writeln!(out, "No traces in the input.");
    }
    writeln!(out, "### Worst traces\n")?;
    writeln!(
        out,
        "| | trace | root | status | duration | spans | errors | first error | services |"
    )?;
    writeln!(out, "|---|---|---|---|---:|---:|---:|---|---|")?;
    for &i in worst.iter().take(TABLE_ROWS) {
        let t = &input.traces[i];
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            mark(input, i),
            code(&t.id.to_string(), true),
            cell(&root(t)),
            cell(t.outcome()),
            duration(t),
            t.span_count,
            t.error_lines.max(t.failed_spans as u64),
            t.first_error().map_or_else(String::new, |e| cell(&format!(
                "{}: {}",
                e.service,
                truncate(&e.message, FIRST_ERROR_CHARS)
            ))),
            cell(&t.services.join(", ")),
        )?;
    }
    if worst.len() > TABLE_ROWS {
        writeln!(out, "\n…and {} more traces.", worst.len() - TABLE_ROWS)?;
    }
    writeln!(out)?;
    for &i in worst.iter().take(DETAILED) {
        write_detail(out, input, i)?;
    }
    Ok(())
}

fn write_reasons(out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
    let mut reasons: Vec<String> = input.run_failures().map(|r| cell(r)).collect();
    for (i, t) in input.traces.iter().enumerate() {
        for r in input.failures(i) {
            reasons.push(format!("{}: {}", code(&t.id.to_string(), false), cell(r)));
        }
    }
    if reasons.is_empty() {
        return Ok(());
    }
    writeln!(out, "**Failed gates**\n")?;
    for r in reasons.iter().take(REASONS) {
        writeln!(out, "- {r}")?;
    }
    if reasons.len() > REASONS {
        writeln!(out, "- …and {} more", reasons.len() - REASONS)?;
    }
    writeln!(out)
}

/// The requests the completeness checks found lacking (`--expect-services`,
/// `--fail-on-incomplete`): what each misses.
fn write_incomplete(out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
    let lacking: Vec<(&TraceSummary, &crate::traces::complete::Findings)> = input
        .traces
        .iter()
        .filter_map(|t| Some((&**t, t.incomplete.as_deref()?)))
        .filter(|(_, f)| !f.is_complete())
        .collect();
    if lacking.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "**Incomplete requests** ({})
",
        lacking.len()
    )?;
    writeln!(
        out,
        "| trace | root | missing services | lines without context nearby | broken propagation |"
    )?;
    writeln!(out, "|---|---|---|---|---|")?;
    for (t, f) in lacking.iter().take(TABLE_ROWS) {
        let context: Vec<String> = f
            .context_lost
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect();
        let mut broken = f.propagation.clone();
        if f.orphans > 0 {
            broken.insert(0, format!("{} parent span(s) never logged", f.orphans));
        }
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            code(&t.id.to_string(), true),
            cell(&root(t)),
            cell(&f.missing_services.join(", ")),
            cell(&context.join(", ")),
            cell(&broken.join("; ")),
        )?;
    }
    if lacking.len() > TABLE_ROWS {
        writeln!(out, "\n…and {} more.", lacking.len() - TABLE_ROWS)?;
    }
    writeln!(out)
}

fn write_detail(out: &mut dyn Write, input: &ReportInput<'_>, i: usize) -> io::Result<()> {
    let t = &input.traces[i];
    writeln!(
        out,
        "#### {} {} {} ({})\n",
        mark(input, i),
        code(&t.id.to_string(), false),
        cell(&root(t)),
        duration(t)
    )?;
    for r in input.failures(i) {
        writeln!(out, "- {}", cell(r))?;
    }
    if !input.failures(i).is_empty() {
        writeln!(out)?;
    }
    write_gantt(out, t)?;
    let trace = as_trace(t);
    let mut text = Vec::new();
    let opts = RenderOptions {
        color: false,
        width_cols: 100,
    };
    write_waterfall(&mut text, &trace, &opts)?;
    writeln!(out, "<details><summary>Waterfall</summary>\n")?;
    writeln!(
        out,
        "```text\n{}```\n",
        fenced(&String::from_utf8_lossy(&text))
    )?;
    writeln!(out, "</details>\n")?;
    if !t.error_samples.is_empty() {
        writeln!(out, "Error lines:\n")?;
        writeln!(out, "```text")?;
        for e in &t.error_samples {
            let time = e
                .time
                .map(format_rfc3339_millis)
                .unwrap_or_else(|| "?".into());
            let line = format!(
                "{time} {} {} {}",
                e.service,
                e.level.label(),
                e.message.replace('\n', " ")
            );
            writeln!(
                out,
                "{}",
                fenced(&sanitize(&truncate(&line, ERROR_LINE_CHARS)))
            )?;
        }
        writeln!(out, "```\n")?;
    }
    Ok(())
}

/// A Mermaid gantt chart of the trace's spans, one section per service; times are epoch
/// milliseconds (`dateFormat x`), so sub-millisecond spans get a minimum width of 1 ms.
fn write_gantt(out: &mut dyn Write, t: &TraceSummary) -> io::Result<()> {
    let nodes: Vec<_> = t
        .tree()
        .order
        .iter()
        .map(|&i| &t.tree().nodes[i])
        .filter(|n| n.kind != SpanKind::Placeholder && n.start.is_some())
        .collect();
    if nodes.is_empty() {
        return Ok(());
    }
    let mut by_service: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (k, n) in nodes.iter().take(GANTT_SPANS).enumerate() {
        let start = n.start.unwrap_or(0) / 1_000_000;
        let end = n.end.unwrap_or(0).div_euclid(1_000_000).max(start + 1);
        let tag = if n.error {
            "crit, "
        } else if n.critical {
            "active, "
        } else {
            ""
        };
        let name = gantt_text(if n.name.is_empty() {
            &n.service
        } else {
            &n.name
        });
        by_service
            .entry(&n.service)
            .or_default()
            .push(format!("    {name} :{tag}s{k}, {start}, {end}"));
    }
    writeln!(
        out,
        "```mermaid\ngantt\n    dateFormat x\n    axisFormat %S.%L"
    )?;
    for (service, tasks) in by_service {
        writeln!(out, "    section {}", gantt_text(service))?;
        for task in tasks {
            writeln!(out, "{task}")?;
        }
    }
    writeln!(out, "```")?;
    if nodes.len() > GANTT_SPANS {
        writeln!(out, "\n…and {} more spans.", nodes.len() - GANTT_SPANS)?;
    }
    writeln!(out)
}

fn as_trace(t: &TraceSummary) -> Trace {
    let mut lines_by_service = BTreeMap::new();
    for n in t
        .tree()
        .nodes
        .iter()
        .filter(|n| n.kind != SpanKind::Placeholder)
    {
        *lines_by_service.entry(n.service.clone()).or_insert(0) += n.line_count;
    }
    Trace {
        id: t.id.clone(),
        records: Vec::new(),
        tree: t.tree().clone(),
        stats: TraceStats {
            start: t.start,
            end: t.end,
            services: t.services.to_vec(),
            lines_by_service,
            error_lines: t.error_lines as usize,
            failed_spans: t.failed_spans,
        },
    }
}

fn mark(input: &ReportInput<'_>, i: usize) -> &'static str {
    if !input.failures(i).is_empty() {
        "❌"
    } else if input.traces[i].has_errors() {
        "⚠️"
    } else {
        "✅"
    }
}

fn root(t: &TraceSummary) -> String {
    match (&t.root_service, &t.root_name) {
        (Some(s), Some(n)) if !n.is_empty() => format!("{s}: {n}"),
        (Some(s), _) => s.to_string(),
        _ => String::new(),
    }
}

fn duration(t: &TraceSummary) -> String {
    t.duration_ns()
        .map_or_else(|| "?".to_string(), format_duration)
}

/// `text` cut to `max` characters, with `…` when cut.
fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Text for a table cell: no line breaks, no HTML, no table or code syntax, at most
/// [`CELL_CHARS`] characters.
pub(crate) fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4 * CELL_CHARS));
    for c in sanitize(&truncate(text, CELL_CHARS)).chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' | '*' | '_' | '[' | ']' | '\\' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// An id as a code span: control and bidi characters escaped, fenced with more backticks than
/// it holds (a backtick cannot end it early), and in a table `|` escaped, since GitHub splits
/// cells at it even inside code.
pub(crate) fn code(text: &str, in_table: bool) -> String {
    let clean = sanitize(&truncate(text, CELL_CHARS)).into_owned();
    let body = if in_table {
        clean.replace('|', "\\|")
    } else {
        clean
    };
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if body.starts_with('`') || body.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// Text inside a fenced block: a run of backticks could close the fence, so it is broken up.
fn fenced(text: &str) -> String {
    text.replace("```", "`\u{200b}``")
}

/// A gantt task or section name: Mermaid gives `:`, `;`, `#` and quotes meaning, and the
/// chart is drawn as HTML, so only plain characters go through.
fn gantt_text(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " /-_.,()=+*@".contains(c) {
                c
            } else {
                ' '
            }
        })
        .take(60)
        .collect();
    let clean = clean.trim();
    if clean.is_empty() {
        "span".to_string()
    } else {
        clean.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_cannot_escape_its_place() {
        assert_eq!(
            cell("<script>alert(1)</script> | `x`"),
            "&lt;script&gt;alert(1)&lt;/script&gt; \\| \\`x\\`"
        );
        assert_eq!(gantt_text("GET /a:b;c#d \"e\""), "GET /a b c d  e");
        assert!(!fenced("a```b").contains("```"));
        assert_eq!(code("4bf9", true), "`4bf9`");
        assert_eq!(code("a|b`c``", true), "``` a\\|b`c`` ```");
        assert_eq!(code("\u{1b}[31m\u{202e}", false), "`\\x1b[31m\\u{202e}`");
    }
}
