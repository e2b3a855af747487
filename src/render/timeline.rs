//! The timeline: every line of the trace in time order across services.

use std::io::{self, Write};

use owo_colors::Style;

use crate::records::duration::{format_duration, format_offset};
use crate::records::level::Level;
use crate::records::Record;
use crate::render::fields::{line_fields, FieldChoice};
use crate::render::sanitize::{sanitize, sanitize_bytes};
use crate::render::term::{fit, paint, width_of, RenderOptions, ServiceColors};
use crate::traces::{Trace, UNKNOWN_SERVICE};

/// The service column never grows past this many columns.
const MAX_SERVICE_COLS: usize = 24;
/// Offsets are right-aligned in this many columns (`+59m59.9s`, `+12.35ms`).
const OFFSET_COLS: usize = 9;

/// Writes every line of the trace, with continuation lines (stack traces) under their line.
pub fn write_timeline(
    out: &mut dyn Write,
    trace: &Trace,
    opts: &RenderOptions,
    shown: &FieldChoice,
) -> io::Result<()> {
    let service_cols = trace
        .records
        .iter()
        .map(|r| width_of(&sanitize(service_of(r))))
        .max()
        .unwrap_or(0)
        .min(MAX_SERVICE_COLS);
    let colors = ServiceColors::of_trace(trace);
    for r in &trace.records {
        write_line(
            out,
            r,
            trace.stats.start,
            service_cols,
            &colors,
            opts,
            shown,
        )?;
    }
    Ok(())
}

/// Service column width in follow mode, where the services are not known in advance.
pub const FOLLOW_SERVICE_COLS: usize = 16;

/// Writes one line of the timeline: offset from `t0`, service (in `service_cols` columns),
/// level, message, the fields tracegrep reads (span, status, duration) and those `shown`
/// picks, then its continuation lines.
pub fn write_record(
    out: &mut dyn Write,
    r: &Record,
    t0: Option<i64>,
    service_cols: usize,
    opts: &RenderOptions,
    shown: &FieldChoice,
) -> io::Result<()> {
    write_line(
        out,
        r,
        t0,
        service_cols,
        &ServiceColors::default(),
        opts,
        shown,
    )
}

/// [`write_record`] with the colours of the services shown together.
fn write_line(
    out: &mut dyn Write,
    r: &Record,
    t0: Option<i64>,
    service_cols: usize,
    colors: &ServiceColors,
    opts: &RenderOptions,
    shown: &FieldChoice,
) -> io::Result<()> {
    let offset = match (r.time, t0) {
        (Some(t), Some(t0)) => format_offset(t - t0),
        _ => "?".to_string(),
    };
    let service = sanitize(service_of(r));
    let level = r.level.map_or("-", Level::label);
    let message = match &r.message {
        Some(m) => sanitize(m).into_owned(),
        None => sanitize_bytes(&r.raw),
    };
    let mut fields = Vec::new();
    if let Some(span) = r.span {
        fields.push(format!("span={span}"));
    }
    if let Some(status) = &r.status {
        fields.push(format!("status={}", sanitize(status)));
    }
    if let Some(d) = r.duration_ns {
        fields.push(format!("duration={}", format_duration(d)));
    }
    for (name, value) in line_fields(&r.raw, shown) {
        fields.push(format!("{}={}", sanitize(&name), quoted(&sanitize(&value))));
    }
    let fields = fields.join(" ");
    writeln!(
        out,
        "{} {} {} {}{}{}",
        paint(
            opts,
            &format!("{offset:>OFFSET_COLS$}"),
            Style::new().dimmed()
        ),
        paint(
            opts,
            &fit(&service, service_cols),
            colors.style(service_of(r))
        ),
        paint(opts, &format!("{level:<5}"), level_style(r.level)),
        message,
        if fields.is_empty() { "" } else { "  " },
        paint(opts, &fields, Style::new().dimmed()),
    )?;
    let indent = " ".repeat(OFFSET_COLS + 1 + service_cols + 1);
    for line in stack_lines(r) {
        writeln!(
            out,
            "{indent}{} {}",
            paint(opts, "│", Style::new().dimmed()),
            paint(opts, &sanitize(&line), Style::new().dimmed())
        )?;
    }
    Ok(())
}

/// The lines shown under a line: its stack trace, then the non-JSON lines that followed it,
/// with tabs as indentation (stack frames are indented with tabs; `\t` would be noise).
pub fn stack_lines(r: &Record) -> impl Iterator<Item = String> + '_ {
    let stack = r.stack.iter().flat_map(|s| s.lines().map(str::to_string));
    let continuation = r
        .continuation
        .iter()
        .map(|l| String::from_utf8_lossy(l).into_owned());
    stack
        .chain(continuation)
        .map(|line| line.replace('\t', "    "))
}

/// A value as logfmt writes it: quoted when it holds a space, a quote or an `=` (or is empty).
fn quoted(value: &str) -> String {
    if value.is_empty() || value.contains([' ', '"', '=']) {
        format!("\"{}\"", value.replace('"', "\\\""))
    } else {
        value.to_string()
    }
}

fn service_of(r: &Record) -> &str {
    r.service.as_deref().unwrap_or(UNKNOWN_SERVICE)
}

fn level_style(level: Option<Level>) -> Style {
    match level {
        Some(Level::Fatal | Level::Error) => Style::new().red().bold(),
        Some(Level::Warn) => Style::new().yellow(),
        Some(Level::Info) => Style::new().green(),
        _ => Style::new().dimmed(),
    }
}
