//! What one trace lacks, in its view: header lines (expected services that never logged,
//! broken propagation, how many lines lost their context nearby) and, after the trace, those
//! lines, shown apart: they are not part of the trace.

use std::io::{self, Write};

use owo_colors::Style;

use crate::render::fields::FieldChoice;
use crate::render::sanitize::sanitize;
use crate::render::term::{fit, paint, width_of, RenderOptions};
use crate::render::timeline::write_record;
use crate::traces::complete::TraceCompleteness;
use crate::traces::Trace;

/// The service column of the lines without context never grows past this many columns.
const MAX_SERVICE_COLS: usize = 24;

/// Writes the header lines of what the trace lacks (nothing when it lacks nothing).
pub fn write_findings(
    out: &mut dyn Write,
    c: &TraceCompleteness,
    opts: &RenderOptions,
) -> io::Result<()> {
    let width = opts.width_cols.max(20);
    if let Some(missing) = c.missing_services.as_ref().filter(|m| !m.is_empty()) {
        let names: Vec<String> = missing.iter().map(|s| sanitize(s).into_owned()).collect();
        let line = format!(
            "  missing services: {} (expected, never logged)",
            names.join(", ")
        );
        writeln!(
            out,
            "{}",
            paint(opts, &fit(&line, width), Style::new().red().bold()).trim_end()
        )?;
    }
    for p in &c.propagation {
        let text = format!("broken propagation: {}", sanitize(p));
        for line in wrap(&text, width) {
            writeln!(out, "{}", paint(opts, &line, Style::new().yellow()))?;
        }
    }
    let total = c.nearby.total();
    if total > 0 {
        let per: Vec<String> = c
            .nearby
            .counts
            .iter()
            .map(|(s, n)| format!("{} {n}", sanitize(s)))
            .collect();
        let line = format!(
            "  {total} line{} without context nearby ({}): listed below",
            if total == 1 { "" } else { "s" },
            per.join(", ")
        );
        writeln!(
            out,
            "{}",
            paint(opts, fit(&line, width).trim_end(), Style::new().yellow())
        )?;
    }
    Ok(())
}

/// `text` in lines of at most `width` columns, indented by two (four after the first), cut at
/// spaces; a word longer than a line is cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::from("  ");
    for word in text.split(' ') {
        let indent = if lines.is_empty() { 2 } else { 4 };
        if width_of(&line) > indent && width_of(&line) + 1 + width_of(word) > width {
            lines.push(std::mem::replace(&mut line, " ".repeat(4)));
        }
        if width_of(&line) > 4 || (lines.is_empty() && width_of(&line) > 2) {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
        .into_iter()
        .map(|l| fit(&l, width).trim_end().to_string())
        .collect()
}

/// Writes the lines without context near the trace, after its view.
pub fn write_nearby(
    out: &mut dyn Write,
    trace: &Trace,
    c: &TraceCompleteness,
    opts: &RenderOptions,
    shown: &FieldChoice,
) -> io::Result<()> {
    let total = c.nearby.total();
    if total == 0 {
        return Ok(());
    }
    writeln!(out)?;
    let title = format!(
        "Lines without context nearby: {total} (their id field held a placeholder; not part of the trace)"
    );
    writeln!(
        out,
        "{}",
        paint(
            opts,
            fit(&title, opts.width_cols.max(20)).trim_end(),
            Style::new().bold()
        )
    )?;
    let service_cols = c
        .nearby
        .lines
        .iter()
        .map(|r| width_of(&sanitize(r.service.as_deref().unwrap_or_default())))
        .max()
        .unwrap_or(0)
        .min(MAX_SERVICE_COLS);
    for r in &c.nearby.lines {
        write_record(out, r, trace.stats.start, service_cols, opts, shown)?;
    }
    let shown_lines = c.nearby.lines.len() as u64;
    if total > shown_lines {
        writeln!(out, "  …and {} more", total - shown_lines)?;
    }
    Ok(())
}
