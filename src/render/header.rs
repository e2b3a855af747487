//! The summary lines above the waterfall.

use std::io::{self, Write};

use owo_colors::Style;

use crate::records::duration::format_duration;
use crate::records::time::format_rfc3339_millis;
use crate::render::sanitize::sanitize;
use crate::render::term::{paint, RenderOptions};
use crate::traces::infer::SKEW_WINDOW_NS;
use crate::traces::summary::root_of;
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
    let request = root_of(&trace.tree)
        .and_then(|n| n.duration_ns())
        .filter(|&d| d > 0);
    let extent = s.duration_ns();
    let duration = match (request, extent) {
        (Some(r), Some(e)) if e > r + SKEW_WINDOW_NS => {
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
    writeln!(out, "  services: {}", services.join(", "))?;
    let shifts = clock_shifts(trace);
    if !shifts.is_empty() {
        let text = format!("  clock skew corrected: {}", shifts.join(", "));
        writeln!(out, "{}", paint(opts, &text, Style::new().yellow()))?;
    }
    Ok(())
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
