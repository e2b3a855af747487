//! The table of traces (comfy-table) and its CSV form.

use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment, Color, ColumnConstraint, Width};
use rayon::prelude::*;

use crate::records::duration::format_duration;
use crate::records::time::format_rfc3339_millis;
use crate::render::grid;
use crate::render::parallel::write_in_parallel;
use crate::render::sanitize::sanitize;
use crate::render::term::{fit, width_of, RenderOptions};
use crate::traces::summary::{Row, TraceSummary};

/// Column headers, shared by the table and the CSV.
const HEADERS: [&str; 8] = [
    "TRACE ID", "START", "DURATION", "SERVICES", "SPANS", "LINES", "ERRORS", "ROOT",
];

struct Cells {
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

fn row(t: &TraceSummary, day: Option<&str>) -> Cells {
    let root = match (&t.root_service, &t.root_name) {
        (Some(service), Some(name)) if !name.is_empty() => {
            format!("{}: {}", sanitize(service), sanitize(name))
        }
        (Some(service), _) => sanitize(service).into_owned(),
        _ => String::new(),
    };
    Cells {
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

/// Rows rendered per comfy-table: a million-row table is written in slices of this many, all
/// with the same column widths, so memory stays flat however many rows there are.
const ROWS_PER_SLICE: usize = 2048;

/// The day every trace started on, when they all started on the same one: it then goes in
/// the header and the column shows only the time.
fn common_day(traces: &[Row]) -> Option<String> {
    // Times print in UTC, so a day is a whole number of days since the epoch.
    const DAY_NS: i64 = 86_400 * 1_000_000_000;
    let first = traces.first()?.start?;
    traces
        .iter()
        .all(|t| {
            t.start
                .is_some_and(|s| s.div_euclid(DAY_NS) == first.div_euclid(DAY_NS))
        })
        .then(|| format_rfc3339_millis(first)[..10].to_string())
}

/// Writes the traces as a table as wide as `opts.width_cols`; the root operation is cut to
/// fit so every trace stays on one line.
pub fn write_table(out: &mut dyn Write, traces: &[Row], opts: &RenderOptions) -> io::Result<()> {
    let day = common_day(traces);
    let mut header: Vec<String> = HEADERS.iter().map(ToString::to_string).collect();
    if let Some(day) = &day {
        header[1] = format!("START {day}");
    }
    // Column widths over every row first (rows are made again per slice rather than kept:
    // a kept row costs more than making it twice).
    let header_widths: Vec<usize> = header.iter().map(|h| width_of(h)).collect();
    let mut widths = traces
        .par_iter()
        .fold(
            || header_widths.clone(),
            |mut widths, t| {
                let r = row(t, day.as_deref());
                let cells = [
                    width_of(&r.id),
                    width_of(&r.start),
                    width_of(&r.duration),
                    r.services.len(),
                    r.spans.len(),
                    r.lines.len(),
                    r.errors.to_string().len(),
                    width_of(&r.root),
                ];
                for (w, c) in widths.iter_mut().zip(cells) {
                    *w = (*w).max(c);
                }
                widths
            },
        )
        .reduce(
            || header_widths.clone(),
            |a, b| a.into_iter().zip(b).map(|(a, b)| a.max(b)).collect(),
        );
    // Each column is padded by one space on each side.
    let used: usize = widths[..7].iter().map(|w| w + 2).sum::<usize>() + 2;
    let root_cols = opts.width_cols.saturating_sub(used).max(MIN_ROOT_COLS);
    widths[7] = widths[7].min(root_cols).max(width_of(HEADERS[7]));
    if traces.is_empty() {
        return write_slice(out, &[], Some(&header), &widths, day.as_deref(), opts);
    }
    write_in_parallel(out, traces, ROWS_PER_SLICE, b"", |text, n, slice| {
        let header = (n == 0).then_some(&header);
        write_slice(text, slice, header, &widths, day.as_deref(), opts)
    })
}

/// Writes one slice of rows as a table with the given column widths, under `header` if any.
fn write_slice(
    out: &mut dyn Write,
    slice: &[Row],
    header: Option<&Vec<String>>,
    widths: &[usize],
    day: Option<&str>,
    opts: &RenderOptions,
) -> io::Result<()> {
    let mut table = grid::table(opts, header.cloned().unwrap_or_default());
    for r in slice.iter().map(|t| row(t, day)) {
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
            Cell::new(fit(&r.root, widths[7]).trim_end()),
        ]);
    }
    table.set_constraints(widths.iter().map(|w| {
        let padded = u16::try_from(w + 2).unwrap_or(u16::MAX);
        ColumnConstraint::Absolute(Width::Fixed(padded))
    }));
    grid::write_lines(out, &table)
}

/// Writes the traces as CSV (RFC 4180: fields with commas, quotes or newlines are quoted).
pub fn write_csv(out: &mut dyn Write, traces: &[Row]) -> io::Result<()> {
    writeln!(out, "trace_id,start,duration_ms,services,spans,lines,error_lines,failed_spans,root_service,root_name")?;
    write_in_parallel(out, traces, CSV_ROWS_PER_TASK, b"", |text, _, rows| {
        let (mut id, mut services) = (String::new(), String::new());
        for t in rows {
            id.clear();
            {
                use std::fmt::Write as _;
                let _ = write!(id, "{}", t.id);
            }
            write_csv_field(text, &id)?;
            text.push(b',');
            if let Some(start) = t.start {
                text.extend_from_slice(
                    crate::records::time::format_rfc3339_micros(start).as_bytes(),
                );
            }
            text.push(b',');
            if let Some(d) = t.duration_ns() {
                // Milliseconds with three decimals from integer nanoseconds (rounded half
                // up), not through a float's exact formatting, the slowest field of a big table.
                let micros = d.saturating_add(500).div_euclid(1000);
                write!(
                    text,
                    "{}.{:03}",
                    micros.div_euclid(1000),
                    micros.rem_euclid(1000)
                )?;
            }
            text.push(b',');
            services.clear();
            for (i, service) in t.services.iter().enumerate() {
                if i > 0 {
                    services.push(' ');
                }
                services.push_str(service);
            }
            write_csv_field(text, &services)?;
            write!(
                text,
                ",{},{},{},{},",
                t.span_count, t.lines, t.error_lines, t.failed_spans
            )?;
            write_csv_field(text, t.root_service.as_deref().unwrap_or_default())?;
            text.push(b',');
            write_csv_field(text, t.root_name.as_deref().unwrap_or_default())?;
            text.push(b'\n');
        }
        Ok(())
    })
}

/// CSV rows rendered per task (see [`write_in_parallel`]).
const CSV_ROWS_PER_TASK: usize = 4096;

/// One CSV field: control characters and bidi overrides escaped as on the terminal (log text
/// is untrusted, and CSV is read by people too), quoted only when it holds a comma or a quote.
fn write_csv_field<W: Write + ?Sized>(out: &mut W, field: &str) -> io::Result<()> {
    let field = sanitize(field);
    if field.contains([',', '"']) {
        write!(out, "\"{}\"", field.replace('"', "\"\""))
    } else {
        out.write_all(field.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_field(field: &str) -> String {
        let mut out = Vec::new();
        write_csv_field(&mut out, field).expect("write to a vector");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn csv_quotes_only_when_needed_and_escapes_control_characters() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(
            csv_field("\u{1b}]0;pwned\u{7}\nnext,\u{202e}"),
            "\"\\x1b]0;pwned\\x07\\nnext,\\u{202e}\""
        );
    }
}
