//! The summary lines above the waterfall.

use std::io::{self, Write};

use owo_colors::Style;

use crate::records::duration::format_duration;
use crate::records::time::format_rfc3339_millis;
use crate::render::sanitize::sanitize;
use crate::render::term::{paint, RenderOptions};
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
    let error_text = format!("{errors} error{}", if errors == 1 { "" } else { "s" });
    let error_text = if errors > 0 {
        paint(opts, &error_text, Style::new().red().bold())
    } else {
        error_text
    };
    let services: Vec<String> = s
        .services
        .iter()
        .map(|x| sanitize(x).into_owned())
        .collect();
    writeln!(
        out,
        "  start {start}  duration {duration}  {} service{}  {} span{}  {} line{}  {error_text}",
        s.services.len(),
        if s.services.len() == 1 { "" } else { "s" },
        trace.tree.span_count(),
        if trace.tree.span_count() == 1 {
            ""
        } else {
            "s"
        },
        trace.records.len(),
        if trace.records.len() == 1 { "" } else { "s" },
    )?;
    writeln!(out, "  services: {}", services.join(", "))
}
