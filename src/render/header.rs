//! The summary lines above the waterfall.

use std::io::{self, Write};

use owo_colors::Style;

use crate::records::duration::format_duration;
use crate::records::time::format_rfc3339_millis;
use crate::render::sanitize::sanitize;
use crate::render::term::{paint, width_of, RenderOptions};
use crate::traces::Trace;

/// Writes the trace id and its totals.
pub fn write_header(out: &mut dyn Write, trace: &Trace, opts: &RenderOptions) -> io::Result<()> {
    let s = &trace.stats;
    let id = trace.id.to_string();
    writeln!(
        out,
        "{} {}",
        paint(opts, "Trace", Style::new().bold()),
        paint(opts, &sanitize(&id), Style::new().bold())
    )?;
    let start = s
        .start
        .map_or_else(|| "unknown".to_string(), format_rfc3339_millis);
    let duration = s
        .duration_ns()
        .map_or_else(|| "unknown".to_string(), format_duration);
    let errors = s.error_lines;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let totals = [
        format!("start {start}"),
        format!("duration {duration}"),
        plural(s.services.len(), "service"),
        plural(trace.tree.span_count(), "span"),
        plural(trace.records.len(), "line"),
        plural(errors, "error"),
    ];
    let width = opts.width_cols;
    // Wrapped to the width, as the waterfall below is: nothing a terminal would fold.
    let mut line = String::new();
    for (k, item) in totals.iter().enumerate() {
        if !line.is_empty() && width_of(&line) + 2 + width_of(item) > width {
            writeln!(out, "{line}")?;
            line.clear();
        }
        line.push_str("  ");
        if k + 1 == totals.len() && errors > 0 {
            line.push_str(&paint(opts, item, Style::new().red().bold()));
        } else {
            line.push_str(item);
        }
    }
    writeln!(out, "{line}")?;
    let mut line = String::from("  services:");
    for (k, name) in s.services.iter().enumerate() {
        let name = sanitize(name);
        let sep = if k + 1 < s.services.len() { "," } else { "" };
        if k > 0 && width_of(&line) + 1 + width_of(&name) + sep.len() > width {
            writeln!(out, "{line}")?;
            line = " ".repeat("  services:".len());
        }
        line.push(' ');
        line.push_str(&name);
        line.push_str(sep);
    }
    writeln!(out, "{line}")
}
