//! Views of every trace: the table (`--all`) and the statistics (`--stats`).
//!
//! Like `app`, this module wires every stage: the plan of sources is read in parallel units
//! (chunks of mapped files, compressed files, or stdin in blocks), each unit decodes every line
//! into its own [`TraceMap`], the maps are merged, each trace is summarised in parallel, the
//! filters decide, and a renderer writes the rows.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::app::stream_error;
use crate::cli::{Format, SortKey};
use crate::config::{Config, Inputs, Mode};
use crate::diag::Diagnostics;
use crate::exit::ExitStatus;
use crate::input::open::decode_stream;
use crate::input::plan::{units, Plan, StreamSource, Unit};
use crate::input::stream::scan_stream;
use crate::input::walk::describe_io_error;
use crate::input::Source;
use crate::records::fields::FieldTable;
use crate::records::lines::LineScan;
use crate::records::scan::Block;
use crate::records::{AnyLine, LineIds, LineRef, SourceId};
use crate::render::{json, stats as stats_render, table};
use crate::traces::filter::TraceFilter;
use crate::traces::group::TraceMap;
use crate::traces::stats::compute_stats;
use crate::traces::summary::TraceSummary;

/// Inputs at least this large get a progress bar (when stderr is a terminal).
const PROGRESS_MIN_BYTES: u64 = 64 << 20;

/// What one unit of work produced.
struct Partial {
    source: SourceId,
    traces: TraceMap,
    diag: Diagnostics,
    error: Option<String>,
}

/// Runs `--all` or `--stats`.
pub fn run_all(
    config: &Config,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitStatus> {
    let table = FieldTable::new(&config.fields).with_extra_paths(&config.filter.where_paths());
    let scan = LineScan::new(table);
    let (sources, mut traces, diags, errors, notes) = match &config.inputs {
        Inputs::Stdin => {
            let p = read_stdin(&scan, &config.filter);
            (
                vec![Source::stdin()],
                p.traces,
                vec![p.diag],
                p.error.into_iter().collect(),
                Vec::new(),
            )
        }
        Inputs::Paths(paths) => read_paths(&scan, &config.filter, paths, config.stderr_is_terminal),
    };
    let ambiguous = traces.join_low_halves();
    for line in errors.iter().chain(&notes) {
        writeln!(err, "tracegrep: {line}")?;
    }
    if !config.quiet {
        for (source, diag) in sources.iter().zip(&diags) {
            if let Some(problems) = all_lines_problems(diag) {
                writeln!(err, "tracegrep: {}: {problems}", source.display)?;
            }
        }
        if ambiguous > 0 {
            writeln!(err, "tracegrep: {ambiguous} ids known only by their low 64 bits match several 128-bit traces; they were left apart")?;
        }
    }
    let seen = traces.len();
    let mut kept: Vec<TraceSummary> = traces
        .into_par_iter()
        .map(|(id, acc)| TraceSummary::new(id, acc))
        .filter(|t| config.filter.keeps(t))
        .collect();
    sort(&mut kept, config.sort);
    let failed = !errors.is_empty();
    if kept.is_empty() {
        let what = if seen == 0 {
            "no traces in the input".to_string()
        } else {
            format!("none of {seen} traces matched the filters")
        };
        writeln!(err, "tracegrep: {what}")?;
        return Ok(ExitStatus::of_search(false, failed));
    }
    let opts = config.render_options();
    match config.mode {
        Mode::Stats => {
            let stats = compute_stats(&kept);
            match config.format {
                Format::Json => stats_render::write_stats_json(out, &stats)?,
                _ => stats_render::write_stats(out, &stats, config.limit, &opts)?,
            }
        }
        _ => {
            let total = kept.len();
            if let Some(limit) = config.limit {
                discard(kept.split_off(limit.min(total)));
            }
            match config.format {
                Format::Json => json::write_summaries_json(out, &kept)?,
                Format::Jsonl => json::write_summaries_jsonl(out, &kept)?,
                Format::Csv => table::write_csv(out, &kept)?,
                _ => table::write_table(out, &kept, &opts)?,
            }
            if kept.len() < total {
                writeln!(
                    err,
                    "tracegrep: showing {} of {total} traces (--limit 0 shows all)",
                    kept.len()
                )?;
            }
        }
    }
    out.flush()?;
    discard(kept);
    Ok(ExitStatus::of_search(true, failed))
}

/// Lets go of the traces without freeing them one by one: the process ends right after the
/// output, and freeing a hundred thousand span trees on one thread took longer than writing
/// the table (0.4 s of 3.6 s on the 1 GB benchmark).
fn discard<T>(traces: Vec<T>) {
    std::mem::forget(traces);
}

/// Orders the rows; ties fall back to the start, then the id, so output never depends on
/// thread scheduling.
fn sort(traces: &mut [TraceSummary], key: SortKey) {
    let by_start = |a: &TraceSummary, b: &TraceSummary| {
        (a.start.unwrap_or(i64::MAX), &a.id).cmp(&(b.start.unwrap_or(i64::MAX), &b.id))
    };
    traces.sort_by(|a, b| {
        let primary = match key {
            SortKey::Start => std::cmp::Ordering::Equal,
            SortKey::Duration => b.duration_ns().cmp(&a.duration_ns()),
            SortKey::Errors => (b.failed_spans as u64 + b.error_lines)
                .cmp(&(a.failed_spans as u64 + a.error_lines)),
            SortKey::Spans => b.tree.span_count().cmp(&a.tree.span_count()),
            SortKey::Lines => b.lines.cmp(&a.lines),
        };
        primary.then_with(|| by_start(a, b))
    });
}

fn all_lines_problems(d: &Diagnostics) -> Option<String> {
    let mut parts = Vec::new();
    if d.not_json > 0 {
        parts.push(format!("{} lines not JSON", d.not_json));
    }
    if d.no_trace_id > 0 {
        parts.push(format!("{} JSON lines without a trace id", d.no_trace_id));
    }
    if d.invalid_utf8 > 0 {
        parts.push(format!(
            "{} lines with invalid UTF-8 (decoded lossily)",
            d.invalid_utf8
        ));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn add_line(
    map: &mut TraceMap,
    filter: &TraceFilter,
    fallback: Option<&str>,
    view: &AnyLine<'_>,
    ids: &LineIds,
) {
    let matched = if filter.line_predicates() > 0 {
        filter.test_line(view)
    } else {
        0
    };
    // As for one trace: a line naming no service takes the file name, else a logger name.
    map.add_with_ids(view, ids, matched, fallback);
}

type Read = (
    Vec<Source>,
    TraceMap,
    Vec<Diagnostics>,
    Vec<String>,
    Vec<String>,
);

fn read_paths(
    scan: &LineScan,
    filter: &TraceFilter,
    paths: &[std::path::PathBuf],
    stderr_tty: bool,
) -> Read {
    let Plan {
        sources,
        plain,
        streams,
        errors,
        notes,
    } = Plan::open(paths);
    let total: u64 = plain.iter().map(|(_, b)| b.len() as u64).sum();
    let progress = progress_bar(total, stderr_tty);
    let found = AtomicU64::new(0);
    // Merged as they finish (a parallel reduce), so at most a few partial maps live at once.
    let merged = units(&plain, streams)
        .into_par_iter()
        .map(|unit| {
            let p = read_unit(scan, filter, unit, &sources);
            progress.inc(p.diag.bytes);
            let traces = found.fetch_add(p.traces.len() as u64, Ordering::Relaxed);
            progress.set_message(format!("~{traces} traces"));
            Merged::from(p)
        })
        .reduce(Merged::default, Merged::merge);
    progress.finish_and_clear();
    let mut diags = vec![Diagnostics::default(); sources.len()];
    for (source, diag) in merged.diags {
        diags[source as usize] += &diag;
    }
    let mut errors = errors;
    errors.extend(merged.errors);
    (sources, merged.traces, diags, errors, notes)
}

/// Partial results folded together: traces merged, diagnostics kept per source.
#[derive(Default)]
struct Merged {
    traces: TraceMap,
    diags: Vec<(SourceId, Diagnostics)>,
    errors: Vec<String>,
}

impl From<Partial> for Merged {
    fn from(p: Partial) -> Merged {
        Merged {
            traces: p.traces,
            diags: vec![(p.source, p.diag)],
            errors: p.error.into_iter().collect(),
        }
    }
}

impl Merged {
    fn merge(mut self, other: Merged) -> Merged {
        self.traces.merge(other.traces);
        self.diags.extend(other.diags);
        self.errors.extend(other.errors);
        self
    }
}

fn progress_bar(total: u64, stderr_tty: bool) -> ProgressBar {
    if !stderr_tty || total < PROGRESS_MIN_BYTES {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}")
    {
        bar.set_style(style);
    }
    bar
}

fn read_unit(scan: &LineScan, filter: &TraceFilter, unit: Unit<'_>, sources: &[Source]) -> Partial {
    let mut traces = TraceMap::default();
    let mut diag = Diagnostics::default();
    let source = match &unit {
        Unit::Chunk { source, .. } | Unit::Stream(StreamSource { source, .. }) => *source,
    };
    let fallback = sources
        .get(source as usize)
        .and_then(Source::fallback_service);
    match unit {
        Unit::Chunk {
            source,
            bytes,
            range,
        } => {
            diag.bytes += range.len() as u64;
            let block = Block {
                bytes,
                from: range.start,
                to: range.end,
                base_offset: 0,
                source,
                more_follows: false,
            };
            scan.scan_block(&block, &mut diag, |d, ids, _| {
                add_line(&mut traces, filter, fallback.as_deref(), d, ids)
            });
            bytes.release(range);
            Partial {
                source,
                traces,
                diag,
                error: None,
            }
        }
        Unit::Stream(StreamSource {
            source,
            compression,
            reader,
        }) => {
            let name = sources
                .get(source as usize)
                .map_or("?", |s| s.display.as_str());
            let error = read_stream(
                scan,
                filter,
                source,
                fallback.as_deref(),
                reader,
                &mut traces,
                &mut diag,
            )
            .map(|failure| stream_error(name, Some(compression), &failure));
            Partial {
                source,
                traces,
                diag,
                error,
            }
        }
    }
}

fn read_stream(
    scan: &LineScan,
    filter: &TraceFilter,
    source: SourceId,
    fallback: Option<&str>,
    reader: Box<dyn io::Read + Send>,
    traces: &mut TraceMap,
    diag: &mut Diagnostics,
) -> Option<(io::Error, u64)> {
    let mut sink =
        |v: &AnyLine<'_>, ids: &LineIds, _: LineRef| add_line(traces, filter, fallback, v, ids);
    let result = scan_stream(reader, |block, offset, more_follows| {
        let block = Block {
            bytes: block,
            from: 0,
            to: block.len(),
            base_offset: offset,
            source,
            more_follows,
        };
        scan.scan_block(&block, diag, &mut sink)
    });
    match result {
        Ok(bytes) => {
            diag.bytes += bytes;
            None
        }
        Err((e, bytes)) => {
            diag.bytes += bytes;
            Some((e, bytes))
        }
    }
}

fn read_stdin(scan: &LineScan, filter: &TraceFilter) -> Partial {
    let mut traces = TraceMap::default();
    let mut diag = Diagnostics::default();
    let error = match decode_stream(io::stdin()) {
        Ok((compression, reader)) => {
            read_stream(scan, filter, 0, None, reader, &mut traces, &mut diag)
                .map(|failure| stream_error("<stdin>", compression, &failure))
        }
        Err(e) => Some(format!("<stdin>: {}", describe_io_error(&e))),
    };
    Partial {
        source: 0,
        traces,
        diag,
        error,
    }
}
