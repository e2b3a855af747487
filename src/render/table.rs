//! The table of traces (comfy-table), one line per trace at any width: columns that do not
//! fit are left out, least wanted first, as `ps` and `kubectl` do, and the wide text columns
//! share what is left.

use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment, Color, ColumnConstraint, Width};
use rayon::prelude::*;

use crate::records::duration::format_duration;
use crate::records::ids::TraceKey;
use crate::records::time::format_rfc3339_millis;
use crate::render::grid;
use crate::render::parallel::write_in_parallel;
use crate::render::sanitize::sanitize;
use crate::render::term::{fit, width_of, RenderOptions};
use crate::traces::summary::{Row, TraceSummary};

/// The columns, in display order (the index of each in [`HEADERS`] and in a row's cells).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Id,
    Start,
    Duration,
    Services,
    Spans,
    Lines,
    Errors,
    Status,
    /// What the request lacks: only with the completeness checks.
    Incomplete,
    Root,
    FirstError,
}

const COLS: usize = 11;

/// Column headers, in display order.
const HEADERS: [&str; COLS] = [
    "TRACE ID",
    "START",
    "DURATION",
    "SERVICES",
    "SPANS",
    "LINES",
    "ERRORS",
    "STATUS",
    "INCOMPLETE",
    "ROOT",
    "FIRST ERROR",
];

/// Which columns stay when the width is short, most wanted first: the id (to open the trace),
/// how long it took and how it ended, what it was, why it failed; then the counts. The
/// columns after the first that does not fit are still tried, so a narrow one can use the
/// room a wide one left.
const PRIORITY: [Col; COLS] = [
    Col::Id,
    Col::Duration,
    Col::Status,
    Col::Incomplete,
    Col::Root,
    Col::FirstError,
    Col::Errors,
    Col::Start,
    Col::Spans,
    Col::Services,
    Col::Lines,
];

/// The wide text columns shrink to this many columns before they are left out.
const MIN_TEXT_COLS: usize = 16;
/// The wide text columns want this many columns (when their text is that long) before the
/// counts are shown; past it, the first error takes the rest, then the root.
const TEXT_COLS: usize = 28;
/// A status is a code (`503`, `UNAVAILABLE`); longer text is cut.
const MAX_STATUS_COLS: usize = 12;
/// What a request lacks is cut past this many columns (the reports say it all).
const MAX_INCOMPLETE_COLS: usize = 32;
/// Hex digits shown of a 128-bit id when the full one does not leave room for the root:
/// enough to be unique, and `tracegrep ID…` finds the trace by that prefix.
const SHORT_ID_DIGITS: usize = 16;

/// The text of each cell of a row, in display order.
struct Cells {
    text: [String; COLS],
    errors: bool,
    failed: bool,
}

fn row(t: &TraceSummary, day: Option<&str>) -> Cells {
    let root = match (&t.root_service, &t.root_name) {
        (Some(service), Some(name)) if !name.is_empty() => {
            format!("{}: {}", sanitize(service), sanitize(name))
        }
        (Some(service), _) => sanitize(service).into_owned(),
        _ => String::new(),
    };
    let first_error = t.first_error().map_or_else(String::new, |e| {
        format!("{}: {}", sanitize(&e.service), sanitize(&e.message))
    });
    let start = t.start.map_or_else(
        || "?".to_string(),
        |s| {
            let full = format_rfc3339_millis(s);
            // When every row is on the same day, the day goes in the header.
            match day {
                Some(day) if full.starts_with(day) => full[day.len() + 1..].to_string(),
                _ => full,
            }
        },
    );
    let errors = t.error_lines.max(t.failed_spans as u64);
    Cells {
        text: [
            sanitize(&t.id.to_string()).into_owned(),
            start,
            t.duration_ns()
                .map_or_else(|| "?".to_string(), format_duration),
            t.services.len().to_string(),
            t.span_count.to_string(),
            t.lines.to_string(),
            errors.to_string(),
            sanitize(t.outcome()).into_owned(),
            t.incomplete
                .as_ref()
                .map_or_else(String::new, |f| sanitize(&f.short()).into_owned()),
            root,
            first_error,
        ],
        errors: errors > 0,
        failed: t.failed(),
    }
}

/// What is shown: which columns, how wide, and whether 128-bit ids are cut to a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout {
    shown: [bool; COLS],
    widths: [usize; COLS],
    short_ids: bool,
}

/// Lays the columns out in `width_cols`, from the widest cell of each (`natural`, headers
/// included) and the width of the id column with cut ids (`short_id_cols`).
fn layout(natural: &[usize; COLS], short_id_cols: usize, width_cols: usize) -> Layout {
    let full = layout_with(natural, width_cols);
    if full.shown[Col::Root as usize] || short_id_cols >= natural[Col::Id as usize] {
        return full;
    }
    let mut short = *natural;
    short[Col::Id as usize] = short_id_cols;
    Layout {
        short_ids: true,
        ..layout_with(&short, width_cols)
    }
}

fn layout_with(natural: &[usize; COLS], width_cols: usize) -> Layout {
    let is_text = |c: Col| matches!(c, Col::Root | Col::FirstError);
    let least = |c: Col| {
        let i = c as usize;
        if is_text(c) {
            natural[i].min(MIN_TEXT_COLS.max(width_of(HEADERS[i])))
        } else {
            natural[i]
        }
    };
    let wanted = |c: Col| natural[c as usize].min(TEXT_COLS).max(least(c));
    let mut shown = [false; COLS];
    let mut widths = [0; COLS];
    // Each column is padded by one space on each side. The text columns come first in the
    // priority and take their least width; the columns after them are shown only if the text
    // columns can still have the width they want (`owed`).
    let (mut used, mut owed) = (0, 0);
    for c in PRIORITY {
        let i = c as usize;
        // No row has an error: the column would only be a header.
        if c == Col::FirstError && natural[i] <= width_of(HEADERS[i]) {
            continue;
        }
        // Completeness was not checked: the column is not there at all.
        if c == Col::Incomplete && natural[i] == 0 {
            continue;
        }
        let need = least(c) + 2 + if is_text(c) { 0 } else { owed };
        if c == Col::Id || used + need <= width_cols {
            shown[i] = true;
            widths[i] = least(c);
            used += least(c) + 2;
            if is_text(c) {
                owed += wanted(c) - least(c);
            }
        }
    }
    // The room left is shared by the text columns up to the width they want, one column at a
    // time; then the first error (the last wide column) takes the rest, then the root.
    let mut room = width_cols.saturating_sub(used);
    let (root, first) = (Col::Root as usize, Col::FirstError as usize);
    loop {
        let mut grew = false;
        for (i, c) in [(root, Col::Root), (first, Col::FirstError)] {
            if room > 0 && shown[i] && widths[i] < wanted(c) {
                widths[i] += 1;
                room -= 1;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    for i in [first, root] {
        if shown[i] {
            let by = natural[i].saturating_sub(widths[i]).min(room);
            widths[i] += by;
            room -= by;
        }
    }
    Layout {
        shown,
        widths,
        short_ids: false,
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

/// The id as shown: a 128-bit id cut to its first hex digits and `…` when the layout asks.
fn shown_id(t: &TraceSummary, text: String, layout: &Layout) -> String {
    match t.id {
        TraceKey::Full(_) if layout.short_ids => format!("{}…", &text[..SHORT_ID_DIGITS]),
        _ => text,
    }
}

/// What every rendering of the table needs first: the header, the day every row started on
/// (if one), and the layout from the widest cell of each column.
struct Plan {
    header: Vec<String>,
    day: Option<String>,
    layout: Layout,
}

/// `sample`: the widths are taken from at most about this many rows, spread evenly.
fn plan(traces: &[Row], width_cols: usize, sample: usize) -> Plan {
    let day = common_day(traces);
    let mut header: Vec<String> = HEADERS.iter().map(ToString::to_string).collect();
    if let Some(day) = &day {
        header[Col::Start as usize] = format!("START {day}");
    }
    // Column widths over every row first (rows are made again per slice rather than kept:
    // a kept row costs more than making it twice).
    let mut header_widths = [0; COLS];
    for (w, h) in header_widths.iter_mut().zip(&header) {
        *w = width_of(h);
    }
    let stride = traces.len().div_ceil(sample.max(1)).max(1);
    let mut natural = traces
        .par_iter()
        .step_by(stride)
        .fold(
            || header_widths,
            |mut widths, t| {
                let r = row(t, day.as_deref());
                for (w, c) in widths.iter_mut().zip(&r.text) {
                    *w = (*w).max(width_of(c));
                }
                widths
            },
        )
        .reduce(
            || header_widths,
            |mut a, b| {
                for (a, b) in a.iter_mut().zip(b) {
                    *a = (*a).max(b);
                }
                a
            },
        );
    let status = Col::Status as usize;
    natural[status] = natural[status].min(MAX_STATUS_COLS.max(header_widths[status]));
    let incomplete = Col::Incomplete as usize;
    natural[incomplete] = if traces.iter().any(|t| t.incomplete.is_some()) {
        natural[incomplete].min(MAX_INCOMPLETE_COLS.max(header_widths[incomplete]))
    } else {
        0
    };
    let short_id_cols = (SHORT_ID_DIGITS + 1).max(header_widths[Col::Id as usize]);
    let has_opaque = traces.iter().any(|t| matches!(t.id, TraceKey::Opaque(_)));
    let short_id_cols = if has_opaque {
        // Opaque ids are never cut (no prefix finds them): the column keeps their width.
        let opaque = traces
            .iter()
            .filter(|t| matches!(t.id, TraceKey::Opaque(_)))
            .map(|t| width_of(&sanitize(&t.id.to_string())))
            .max()
            .unwrap_or(0);
        short_id_cols.max(opaque)
    } else {
        short_id_cols
    };
    Plan {
        header,
        day,
        layout: layout(&natural, short_id_cols, width_cols),
    }
}

/// Writes the traces as a table as wide as `opts.width_cols`, every trace on one line:
/// columns that do not fit are left out (see [`PRIORITY`]) and the text columns are cut.
pub fn write_table(out: &mut dyn Write, traces: &[Row], opts: &RenderOptions) -> io::Result<()> {
    let Plan {
        header,
        day,
        layout,
    } = plan(traces, opts.width_cols, usize::MAX);
    if traces.is_empty() {
        return write_slice(out, &[], Some(&header), &layout, day.as_deref(), opts);
    }
    write_in_parallel(out, traces, ROWS_PER_SLICE, b"", |text, n, slice| {
        let header = (n == 0).then_some(&header);
        write_slice(text, slice, header, &layout, day.as_deref(), opts)
    })
}

/// Writes one slice of rows as a table laid out by `layout`, under `header` if any.
fn write_slice(
    out: &mut dyn Write,
    slice: &[Row],
    header: Option<&Vec<String>>,
    layout: &Layout,
    day: Option<&str>,
    opts: &RenderOptions,
) -> io::Result<()> {
    let keep = |i: &usize| layout.shown[*i];
    let header = header.map_or_else(Vec::new, |h| {
        (0..COLS).filter(keep).map(|i| h[i].clone()).collect()
    });
    let mut table = grid::table(opts, header);
    for t in slice {
        let Cells {
            text,
            errors,
            failed,
        } = row(t, day);
        let cells: Vec<Cell> = text
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep(i))
            .map(|(i, text)| {
                let width = layout.widths[i];
                let red = opts.color
                    && ((i == Col::Errors as usize && errors)
                        || (i == Col::Status as usize && failed)
                        || (i == Col::Incomplete as usize && !text.is_empty()));
                let cell = if i == Col::Id as usize {
                    Cell::new(shown_id(t, text, layout))
                } else if width_of(&text) > width {
                    Cell::new(fit(&text, width).trim_end())
                } else {
                    Cell::new(text)
                };
                let cell = if red { cell.fg(Color::Red) } else { cell };
                match i {
                    2..=6 => cell.set_alignment(CellAlignment::Right),
                    _ => cell,
                }
            })
            .collect();
        table.add_row(cells);
    }
    table.set_constraints((0..COLS).filter(keep).map(|i| {
        let padded = u16::try_from(layout.widths[i] + 2).unwrap_or(u16::MAX);
        ColumnConstraint::Absolute(Width::Fixed(padded))
    }));
    grid::write_lines(out, &table)
}

/// Rows a [`ScreenTable`] takes its column widths from: laying out a million rows took most
/// of a second, a frame the screen would freeze for.
pub const SCREEN_SAMPLE_ROWS: usize = 10_000;

/// One cell of [`ScreenTable`], cut and padded to its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenCell {
    /// The text, sanitised, exactly as wide as the column.
    pub text: String,
    /// It marks a problem (errors, a failed status, what a request lacks): shown in red.
    pub alarm: bool,
}

/// The table of traces laid out for a screen that draws its own rows (the explorer): the
/// columns, widths and cuts of [`write_table`], each row's cells made only when it is drawn.
#[derive(Debug, Clone)]
pub struct ScreenTable {
    header: Vec<String>,
    day: Option<String>,
    layout: Layout,
}

impl ScreenTable {
    /// Lays out `traces` in `width_cols`, from the widths of all of them (so that scrolling
    /// does not move the columns), or of an even sample of [`SCREEN_SAMPLE_ROWS`] when there
    /// are more (a cell wider than the sample's is cut).
    pub fn new(traces: &[Row], width_cols: usize) -> ScreenTable {
        let Plan {
            header,
            day,
            layout,
        } = plan(traces, width_cols, SCREEN_SAMPLE_ROWS);
        ScreenTable {
            header,
            day,
            layout,
        }
    }

    /// The header's cells, separated by one space as the rows are.
    pub fn header(&self) -> Vec<ScreenCell> {
        (0..COLS)
            .filter(|&i| self.layout.shown[i])
            .map(|i| ScreenCell {
                text: self.pad(i, fit(&self.header[i], self.layout.widths[i])),
                alarm: false,
            })
            .collect()
    }

    /// The cells of one row.
    pub fn cells(&self, t: &TraceSummary) -> Vec<ScreenCell> {
        let Cells {
            text,
            errors,
            failed,
        } = row(t, self.day.as_deref());
        text.into_iter()
            .enumerate()
            .filter(|(i, _)| self.layout.shown[*i])
            .map(|(i, text)| {
                let alarm = (i == Col::Errors as usize && errors)
                    || (i == Col::Status as usize && failed)
                    || (i == Col::Incomplete as usize && !text.is_empty());
                let text = if i == Col::Id as usize {
                    shown_id(t, text, &self.layout)
                } else {
                    text
                };
                ScreenCell {
                    text: self.pad(i, text),
                    alarm,
                }
            })
            .collect()
    }

    /// Cuts `text` to column `i`, right-aligning the numbers as the table does.
    fn pad(&self, i: usize, text: String) -> String {
        let width = self.layout.widths[i];
        let cut = fit(&text, width);
        if (2..=6).contains(&i) && width_of(&text) <= width {
            format!("{:>width$}", cut.trim_end())
        } else {
            cut
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Natural widths of a typical table: full ids, a day in the START header.
    /// No INCOMPLETE column: completeness was not checked.
    const NATURAL: [usize; COLS] = [32, 16, 8, 8, 5, 5, 6, 6, 0, 46, 60];

    fn shown(l: &Layout) -> Vec<&'static str> {
        (0..COLS)
            .filter(|&i| l.shown[i])
            .map(|i| HEADERS[i])
            .collect()
    }

    fn total(l: &Layout) -> usize {
        (0..COLS)
            .filter(|&i| l.shown[i])
            .map(|i| l.widths[i] + 2)
            .sum()
    }

    #[test]
    fn wide_terminals_show_every_column_and_the_first_error_takes_the_rest() {
        let l = layout(&NATURAL, 17, 220);
        assert_eq!(shown(&l).len(), COLS - 1);
        assert_eq!(l.widths[Col::Root as usize], 46);
        assert_eq!(l.widths[Col::FirstError as usize], 60);
        let l = layout(&NATURAL, 17, 140);
        assert_eq!(l.widths[Col::Root as usize], TEXT_COLS);
        assert_eq!(l.widths[Col::FirstError as usize], TEXT_COLS + 2);
        assert!(l.shown[Col::Start as usize] && !l.shown[Col::Spans as usize]);
        assert!(total(&l) <= 140);
        assert!(!l.short_ids);
    }

    #[test]
    fn narrow_tables_drop_the_counts_first_and_fit() {
        for width in [60, 80, 100, 120] {
            let l = layout(&NATURAL, 17, width);
            assert!(total(&l) <= width, "{width}: {l:?}");
            assert!(l.shown[Col::Root as usize], "{width}");
        }
        let l = layout(&NATURAL, 17, 100);
        assert_eq!(
            shown(&l),
            ["TRACE ID", "DURATION", "STATUS", "ROOT", "FIRST ERROR"]
        );
        assert!(!l.short_ids);
        let l = layout(&NATURAL, 17, 60);
        assert_eq!(shown(&l), ["TRACE ID", "DURATION", "STATUS", "ROOT"]);
        assert!(l.short_ids);
        // Without errors the first error is no column at all, and the counts fit sooner.
        let mut quiet = NATURAL;
        quiet[Col::FirstError as usize] = 11;
        let l = layout(&quiet, 17, 100);
        assert!(l.shown[Col::Errors as usize] && !l.shown[Col::FirstError as usize]);
        let l = layout(&quiet, 17, 120);
        assert!(l.shown[Col::Start as usize] && l.shown[Col::Spans as usize]);
    }
}
