//! The table of traces (comfy-table) and its CSV form.

use std::io::{self, Write};

use comfy_table::{presets, Cell, CellAlignment, Color, ContentArrangement, Table};

use crate::records::duration::format_duration;
use crate::records::time::format_rfc3339_millis;
use crate::render::sanitize::sanitize;
use crate::render::term::{fit, width_of, RenderOptions};
use crate::traces::summary::TraceSummary;

/// Column headers, shared by the table and the CSV.
const HEADERS: [&str; 8] = [
    "TRACE ID", "START", "DURATION", "SERVICES", "SPANS", "LINES", "ERRORS", "ROOT",
];

struct Row {
    id: String,
    start: String,
    duration: String,
    services: String,
    spans: String,
    lines: String,
    errors: u64,
    root: String,
}

/// The root column never gets narrower than this, even if the table then exceeds the width.
const MIN_ROOT_COLS: usize = 24;

fn row(t: &TraceSummary, day: Option<&str>) -> Row {
    let root = match (&t.root_service, &t.root_name) {
        (Some(service), Some(name)) if !name.is_empty() => {
            format!("{}: {}", sanitize(service), sanitize(name))
        }
        (Some(service), _) => sanitize(service).into_owned(),
        _ => String::new(),
    };
    Row {
        id: sanitize(&t.id.to_string()).into_owned(),
        start: t.start.map_or_else(
            || "?".to_string(),
            |s| {
                let full = format_rfc3339_millis(s);
                // When every row is on the same day, the day goes in the header.
                match day {
                    Some(day) if full.starts_with(day) => full[day.len() + 1..].to_string(),
                    _ => full,
                }
            },
        ),
        duration: t
            .duration_ns()
            .map_or_else(|| "?".to_string(), format_duration),
        services: t.services.len().to_string(),
        spans: t.span_count.to_string(),
        lines: t.lines.to_string(),
        errors: t.error_lines.max(t.failed_spans as u64),
        root,
    }
}

/// Writes the traces as a table as wide as `opts.width_cols`; the root operation is cut to
/// fit so every trace stays on one line.
pub fn write_table(
    out: &mut dyn Write,
    traces: &[TraceSummary],
    opts: &RenderOptions,
) -> io::Result<()> {
    let days: Vec<String> = traces
        .iter()
        .filter_map(|t| t.start)
        .map(|s| format_rfc3339_millis(s)[..10].to_string())
        .collect();
    let day = days
        .first()
        .filter(|d| days.iter().all(|x| x == *d) && traces.iter().all(|t| t.start.is_some()))
        .cloned();
    let rows: Vec<Row> = traces.iter().map(|t| row(t, day.as_deref())).collect();
    let start_header = day
        .as_ref()
        .map_or_else(|| HEADERS[1].to_string(), |d| format!("START {d}"));
    let widest = |f: &dyn Fn(&Row) -> usize, header: &str| {
        rows.iter().map(f).max().unwrap_or(0).max(header.len())
    };
    let fixed = [
        widest(&|r| r.id.len(), HEADERS[0]),
        widest(&|r| r.start.len(), &start_header),
        widest(&|r| width_of(&r.duration), HEADERS[2]),
        widest(&|r| r.services.len(), HEADERS[3]),
        widest(&|r| r.spans.len(), HEADERS[4]),
        widest(&|r| r.lines.len(), HEADERS[5]),
        widest(&|r| r.errors.to_string().len(), HEADERS[6]),
    ];
    // Each column is padded by one space on each side.
    let used: usize = fixed.iter().map(|w| w + 2).sum::<usize>() + 2;
    let root_cols = opts.width_cols.saturating_sub(used).max(MIN_ROOT_COLS);
    let mut table = Table::new();
    table
        .load_preset(if opts.color {
            presets::UTF8_HORIZONTAL_ONLY
        } else {
            presets::NOTHING
        })
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header({
            let mut header: Vec<String> = HEADERS.iter().map(ToString::to_string).collect();
            header[1] = start_header.clone();
            header
        });
    if opts.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    for r in rows {
        let errors = Cell::new(r.errors);
        let errors = if r.errors > 0 && opts.color {
            errors.fg(Color::Red)
        } else {
            errors
        };
        table.add_row(vec![
            Cell::new(r.id),
            Cell::new(r.start),
            Cell::new(r.duration).set_alignment(CellAlignment::Right),
            Cell::new(r.services).set_alignment(CellAlignment::Right),
            Cell::new(r.spans).set_alignment(CellAlignment::Right),
            Cell::new(r.lines).set_alignment(CellAlignment::Right),
            errors.set_alignment(CellAlignment::Right),
            Cell::new(fit(&r.root, root_cols).trim_end()),
        ]);
    }
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Writes the traces as CSV (RFC 4180: fields with commas, quotes or newlines are quoted).
pub fn write_csv(out: &mut dyn Write, traces: &[TraceSummary]) -> io::Result<()> {
    writeln!(out, "trace_id,start,duration_ms,services,spans,lines,error_lines,failed_spans,root_service,root_name")?;
    for t in traces {
        let fields = [
            t.id.to_string(),
            t.start
                .map(crate::records::time::format_rfc3339_micros)
                .unwrap_or_default(),
            t.duration_ns()
                .map(|d| format!("{:.3}", d as f64 / 1e6))
                .unwrap_or_default(),
            t.services.join(" "),
            t.span_count.to_string(),
            t.lines.to_string(),
            t.error_lines.to_string(),
            t.failed_spans.to_string(),
            t.root_service.clone().unwrap_or_default(),
            t.root_name.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}

fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
