//! The summary lines above the waterfall.

use std::io::{self, Write};

use owo_colors::Style;

use crate::records::duration::format_duration;
use crate::records::time::format_rfc3339_millis;
use crate::render::sanitize::sanitize;
use crate::render::term::{fit, paint, width_of, RenderOptions};
use crate::traces::summary::{has_async_tail, request_duration_ns};
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
    // The request's duration is its root span's; asynchronous work after it is shown apart.
    let request = request_duration_ns(&trace.tree);
    let extent = s.duration_ns();
    let duration = match (request, extent) {
        (Some(r), Some(e)) if has_async_tail(r, e) => {
            format!(
                "{} ({} with async work)",
                format_duration(r),
                format_duration(e)
            )
        }
        (Some(r), Some(e)) if format_duration(e) != format_duration(r) => {
            format!("{} (trace {})", format_duration(r), format_duration(e))
        }
        (Some(r), _) => format_duration(r),
        (None, Some(e)) => format_duration(e),
        (None, None) => "unknown".to_string(),
    };
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
    writeln!(out, "{line}")?;
    let shifts = clock_shifts(trace);
    if shifts.is_empty() {
        return Ok(());
    }
    let lead = "  clock skew corrected:";
    let mut line = String::from(lead);
    let yellow = Style::new().yellow();
    let room = width.saturating_sub(lead.len() + 2).max(8);
    for (k, shift) in shifts.iter().enumerate() {
        let sep = if k + 1 < shifts.len() { "," } else { "" };
        let fitted = fit(shift, room);
        let shift = fitted.trim_end();
        if width_of(&line) + 1 + width_of(shift) + sep.len() > width {
            writeln!(out, "{}", paint(opts, &line, yellow))?;
            line = " ".repeat(lead.len());
        }
        line.push(' ');
        line.push_str(shift);
        line.push_str(sep);
    }
    writeln!(out, "{}", paint(opts, &line, yellow))
}

/// `service +12.5ms` for each service whose times were corrected for clock skew.
fn clock_shifts(trace: &Trace) -> Vec<String> {
    let mut shifts: Vec<(&str, i64)> = trace
        .tree
        .nodes
        .iter()
        .filter(|n| n.shift_ns != 0)
        .map(|n| (n.service.as_str(), n.shift_ns))
        .collect();
    shifts.sort_unstable();
    shifts.dedup();
    shifts
        .into_iter()
        .map(|(service, shift)| {
            let sign = if shift < 0 { '-' } else { '+' };
            let by = format_duration(shift.saturating_abs());
            format!("{} {sign}{by}", sanitize(service))
        })
        .collect()
}
