//! Views of every trace: the table (`--all`) and the statistics (`--stats`).
//!
//! Like `app`, this module wires every stage: the plan of sources is read in parallel units
//! (chunks of mapped files, compressed files, or stdin in blocks), each unit decodes every line
//! into its own [`TraceMap`], the maps are merged, each trace is summarised in parallel, the
//! filters decide, and a renderer writes the rows.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::app::stream_error;
use crate::cli::{Format, ReportFormat, SortKey};
use crate::config::{Config, Inputs, Mode, ReportTarget};
use crate::diag::{plural, source_summaries, Diagnostics};
use crate::embed::collect_logs;
use crate::exit::ExitStatus;
use crate::input::open::decode_stream;
use crate::input::plan::{units, Plan, StreamSource, Unit};
use crate::input::stream::scan_stream;
use crate::input::walk::describe_io_error;
use crate::input::Source;
use crate::progress::Progress;
use crate::records::fields::FieldTable;
use crate::records::ids::TraceKey;
use crate::records::lines::LineScan;
use crate::records::scan::Block;
use crate::records::{AnyLine, LineIds, LineRef, SourceId};
use crate::render::report::html::DETAILED_TRACES;
use crate::render::report::{write_report, ReportInput};
use crate::render::sanitize::sanitize;
use crate::render::{csv, json, stats as stats_render, table};
use crate::traces::filter::TraceFilter;
use crate::traces::gates::{Gates, Verdict};
use crate::traces::group::{TraceAcc, TraceMap, MAX_SPANS_PER_TRACE};
use crate::traces::stats::StatsAcc;
use crate::traces::summary::{Row, TraceSummary};

/// Streams finish a trace once this many bytes of stream went by without a line of it and,
/// when lines carry times, the stream's clock moved this far past its latest line (work a
/// queue consumer does half a minute later still joins its trace).
const STREAM_IDLE_BYTES: u64 = 64 << 20;
const STREAM_IDLE_NANOS: i64 = 5 * 60 * 1_000_000_000;

/// How often (in stream bytes) a stream looks for finished traces.
const STREAM_SWEEP_BYTES: u64 = 8 << 20;

/// At most this many traces stay open on a stream; past it the longest idle ones finish.
const STREAM_MAX_OPEN: usize = 20_000;

/// Rows a stream keeps (the best by the sort order) when no `--limit` is given: table rows,
/// and rows with their span trees for the JSON formats.
const STREAM_MAX_ROWS: usize = 100_000;
const STREAM_MAX_TREES: usize = 10_000;

/// The summarised traces that passed the filters, as rows or folded into statistics.
struct Collected {
    /// Traces seen.
    seen: usize,
    /// Traces that passed the filters.
    matched: usize,
    /// The rows kept (all that matched, unless a stream had to cut).
    rows: Vec<Row>,
    /// The statistics, in `--stats` mode.
    stats: Option<StatsAcc>,
    /// Rows a stream let go of past its cap: their gate failures (`ID: reason`), and how many
    /// of them had errors, of how many, for the error rate.
    dropped_failures: Vec<String>,
    dropped_errors: (usize, usize),
    /// Traces that reached the span cap, and their lines in no kept span.
    untracked: (u64, u64),
}

/// Decides, trace by trace, what is kept of the summaries: the tree only for the JSON
/// formats, nothing but statistics for `--stats`, and on a stream at most `cap` rows.
struct Collector<'c> {
    filter: &'c TraceFilter,
    gates: &'c Gates,
    sort: SortKey,
    /// Summaries keep their span trees (the JSON formats, and statistics until counted).
    keep_tree: bool,
    cap: Option<usize>,
    collected: Collected,
    /// See [`Collected::untracked`]; atomic because traces are summarised in parallel.
    untracked: (AtomicU64, AtomicU64),
}

impl<'c> Collector<'c> {
    /// A collector for `config`; a stream (`stream`) keeps at most `--limit` rows, or 100,000
    /// (10,000 with span trees).
    fn new(config: &'c Config, stream: bool) -> Collector<'c> {
        let stats = config.mode == Mode::Stats;
        let keep_tree = stats
            || matches!(config.format, Format::Json | Format::Jsonl)
            || config
                .reports
                .iter()
                .any(|r| r.format != ReportFormat::Junit);
        let default_cap = if keep_tree {
            STREAM_MAX_TREES
        } else {
            STREAM_MAX_ROWS
        };
        Collector {
            filter: &config.filter,
            gates: &config.gates,
            sort: config.sort,
            keep_tree,
            cap: stream.then(|| config.limit.unwrap_or(default_cap)),
            collected: Collected {
                seen: 0,
                matched: 0,
                rows: Vec::new(),
                stats: stats.then(StatsAcc::default),
                dropped_failures: Vec::new(),
                dropped_errors: (0, 0),
                untracked: (0, 0),
            },
            untracked: (AtomicU64::new(0), AtomicU64::new(0)),
        }
    }

    /// The summary of a finished trace, if the filters keep it, in the shape to keep.
    fn summarise(&self, id: TraceKey, acc: TraceAcc) -> Option<Row> {
        let t = TraceSummary::new(id, acc);
        if t.untracked_lines > 0 {
            self.untracked.0.fetch_add(1, Ordering::Relaxed);
            self.untracked
                .1
                .fetch_add(t.untracked_lines, Ordering::Relaxed);
        }
        let t = if self.keep_tree { t } else { t.without_tree() };
        self.filter.keeps(&t).then(|| Box::new(t))
    }

    /// Takes finished traces one by one (streams).
    fn add(&mut self, finished: Vec<(TraceKey, TraceAcc)>) {
        for (id, acc) in finished {
            self.collected.seen += 1;
            let Some(t) = self.summarise(id, acc) else {
                continue;
            };
            self.collected.matched += 1;
            match &mut self.collected.stats {
                Some(stats) => stats.add(&t),
                None => self.collected.rows.push(t),
            }
            // Trimmed in batches: a stream holds up to a quarter more than its cap.
            if let Some(cap) = self.cap {
                if self.collected.rows.len() >= cap.saturating_add(cap / 4).max(1) {
                    self.trim(cap);
                }
            }
        }
    }

    /// Sorts the rows and lets go of those past `cap`; the gates still judge them.
    fn trim(&mut self, cap: usize) {
        sort(&mut self.collected.rows, self.sort);
        if self.collected.rows.len() <= cap {
            return;
        }
        let dropped = self.collected.rows.split_off(cap);
        let c = &mut self.collected;
        c.dropped_errors.0 += dropped.iter().filter(|t| t.has_errors()).count();
        c.dropped_errors.1 += dropped.len();
        for t in &dropped {
            for reason in self.gates.check_trace(t) {
                c.dropped_failures.push(format!("{}: {reason}", t.id));
            }
        }
    }

    /// Takes every trace of a finished map at once, summarised in parallel (files).
    fn add_all(&mut self, traces: TraceMap) {
        self.collected.seen += traces.len();
        let mut stats = self.collected.stats.take();
        let this = &*self;
        let mut rows = Vec::new();
        match &mut stats {
            Some(stats) => {
                *stats = traces
                    .into_par_iter()
                    .filter_map(|(id, acc)| this.summarise(id, acc))
                    .fold(StatsAcc::default, |mut a, t| {
                        a.add(&t);
                        a
                    })
                    .reduce(StatsAcc::default, StatsAcc::merge);
            }
            None => rows = traces.map_shards(|id, acc| this.summarise(id, acc)),
        }
        self.collected.matched += stats.as_ref().map_or(rows.len(), StatsAcc::traces);
        self.collected.rows.extend(rows);
        self.collected.stats = stats;
    }

    /// The rows in order (and within a stream's cap).
    fn finish(mut self) -> Collected {
        self.trim(self.cap.unwrap_or(usize::MAX));
        self.collected.untracked = (self.untracked.0.into_inner(), self.untracked.1.into_inner());
        self.collected
    }
}

/// Runs `--all` or `--stats`.
pub fn run_all(
    config: &Config,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitStatus> {
    let table = FieldTable::new(&config.fields).with_extra_paths(&config.filter.where_paths());
    let scan = LineScan::new(table);
    let (sources, collected, diags, errors, notes) = match &config.inputs {
        Inputs::Stdin => {
            let mut collector = Collector::new(config, true);
            let (diag, error) = read_stdin(&scan, &config.filter, &mut collector);
            (
                vec![Source::stdin()],
                collector.finish(),
                vec![diag],
                error.into_iter().collect(),
                Vec::new(),
            )
        }
        Inputs::Paths(paths) => {
            let (sources, mut traces, diags, errors, notes) =
                read_paths(&scan, &config.filter, paths, config.stderr_is_terminal);
            let ambiguous = traces.join_low_halves();
            let mut notes = notes;
            notes.extend(traces.join_correlations());
            if ambiguous > 0 {
                notes.push(format!("{ambiguous} ids known only by their low 64 bits match several 128-bit traces; they were left apart"));
            }
            let mut collector = Collector::new(config, false);
            collector.add_all(traces);
            (sources, collector.finish(), diags, errors, notes)
        }
    };
    for line in &errors {
        writeln!(err, "tracegrep: {line}")?;
    }
    if !config.quiet {
        for line in &notes {
            writeln!(err, "tracegrep: {line}")?;
        }
        let per_source = sources.iter().map(|s| s.display.as_str()).zip(&diags);
        for line in source_summaries(per_source, Diagnostics::scan_problems) {
            writeln!(err, "tracegrep: {line}")?;
        }
        let (traces, lines) = collected.untracked;
        if traces > 0 {
            writeln!(
                err,
                "tracegrep: {traces} trace{} had more than {MAX_SPANS_PER_TRACE} spans: the {lines} line{} of later spans are shown as one span per trace",
                plural(traces),
                plural(lines),
            )?;
        }
    }
    let mut failed = !errors.is_empty();
    let Collected {
        seen,
        matched,
        rows,
        stats,
        dropped_failures,
        dropped_errors,
        untracked: _,
    } = collected;
    let reporting = !config.reports.is_empty() || !config.gates.is_empty();
    if matched == 0 {
        let what = if seen == 0 {
            "no traces in the input".to_string()
        } else {
            format!("none of {seen} traces matched the filters")
        };
        writeln!(err, "tracegrep: {what}")?;
        if !reporting {
            return Ok(ExitStatus::of_search(false, failed));
        }
    }
    let opts = config.render_options();
    if let Some(stats) = stats {
        let stats = stats.finish(config.stats_order);
        match config.format {
            Format::Json => stats_render::write_stats_json(out, &stats)?,
            _ => stats_render::write_stats(out, &stats, config.limit, &opts)?,
        }
        out.flush()?;
        return Ok(ExitStatus::of_search(true, failed));
    }
    let verdict = config.gates.check(&rows, dropped_errors);
    failed |= write_reports(config, &scan, &rows, &verdict, out, err)?;
    let shown = if !config.print_rows {
        // A report took standard output's place, or every report went to a file.
        rows.len()
    } else {
        let limit = config.limit.unwrap_or(usize::MAX).min(rows.len());
        let shown = &rows[..limit];
        if !shown.is_empty() {
            match config.format {
                Format::Json => json::write_summaries_json(out, shown)?,
                Format::Jsonl => json::write_summaries_jsonl(out, shown)?,
                Format::Csv => csv::write_csv(out, shown)?,
                _ => table::write_table(out, shown, &opts)?,
            }
        }
        limit
    };
    // Standard output is block-buffered into a pipe: what it holds goes first, so that with
    // `2>&1` the note below starts a line of its own instead of cutting into the last row.
    out.flush()?;
    if shown < matched {
        let hint = if config.limit.is_some() || config.inputs != Inputs::Stdin {
            "--limit 0 shows all"
        } else {
            "a stream keeps the first rows by the sort order; --limit sets how many"
        };
        writeln!(
            err,
            "tracegrep: showing {shown} of {matched} traces ({hint})"
        )?;
    }
    let gate_failed = report_gates(&verdict, &rows, &dropped_failures, err)?;
    discard(rows);
    Ok(if failed {
        ExitStatus::Error
    } else if gate_failed {
        ExitStatus::GateFailed
    } else if matched == 0 && !config.allow_empty {
        ExitStatus::NoMatch
    } else {
        ExitStatus::Found
    })
}

/// Writes the reports; a report that cannot be written is reported on stderr and makes the
/// run fail (returns true), the others are still written.
fn write_reports(
    config: &Config,
    scan: &LineScan,
    rows: &[Row],
    verdict: &Verdict,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<bool> {
    if config.reports.is_empty() {
        return Ok(false);
    }
    let mut input = ReportInput {
        traces: rows,
        verdict,
        gated: !config.gates.is_empty(),
        input: match &config.inputs {
            Inputs::Stdin => "<stdin>".to_string(),
            Inputs::Paths(paths) => paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" "),
        },
        logs: None,
    };
    // The HTML page shows each trace's lines: files are read again for them.
    let html = config
        .reports
        .iter()
        .any(|r| r.format == ReportFormat::Html);
    let logs = match (&config.inputs, html) {
        (Inputs::Paths(paths), true) => {
            let worst = input.worst();
            let shown = &worst[..worst.len().min(DETAILED_TRACES)];
            Some(collect_logs(scan, paths, rows, shown))
        }
        _ => None,
    };
    input.logs = logs.as_ref().map(|(l, n)| (l.as_slice(), n.as_slice()));
    let mut failed = false;
    let mut written_to = Vec::new();
    for report in &config.reports {
        match &report.to {
            ReportTarget::Stdout => write_report(report.format, out, &input)?,
            ReportTarget::File(path) => {
                let written = std::fs::File::create(path).and_then(|f| {
                    let mut w = io::BufWriter::new(f);
                    write_report(report.format, &mut w, &input)?;
                    w.flush()
                });
                match written {
                    Ok(()) => written_to.push(path.display().to_string()),
                    Err(e) => {
                        out.flush()?;
                        writeln!(
                            err,
                            "tracegrep: {}: {}",
                            path.display(),
                            describe_io_error(&e)
                        )?;
                        failed = true;
                    }
                }
            }
        }
    }
    // With nothing on standard output, a line says where the output went.
    if !config.print_rows && !config.quiet && !written_to.is_empty() {
        out.flush()?;
        let what = if written_to.len() == 1 {
            "report written to"
        } else {
            "reports written to"
        };
        writeln!(
            err,
            "tracegrep: {what} {}",
            sanitize(&written_to.join(", "))
        )?;
    }
    Ok(failed)
}

/// Gate failures on stderr, one line per reason (the first hundred, then a count).
fn report_gates(
    verdict: &Verdict,
    rows: &[Row],
    dropped: &[String],
    err: &mut dyn Write,
) -> io::Result<bool> {
    const MAX_LINES: usize = 100;
    let mut lines: Vec<String> = verdict.overall.clone();
    lines.extend(dropped.iter().cloned());
    for (t, reasons) in rows.iter().zip(&verdict.per_trace) {
        lines.extend(reasons.iter().map(|r| format!("{}: {r}", t.id)));
    }
    for line in lines.iter().take(MAX_LINES) {
        writeln!(err, "tracegrep: gate failed: {}", sanitize(line))?;
    }
    if lines.len() > MAX_LINES {
        writeln!(
            err,
            "tracegrep: gate failed: …and {} more",
            lines.len() - MAX_LINES
        )?;
    }
    Ok(verdict.failed() || !dropped.is_empty())
}

/// Lets go of the traces without freeing them one by one: the process ends right after the
/// output, and freeing a hundred thousand span trees on one thread took longer than writing
/// the table (0.4 s of 3.6 s on the 1 GB benchmark).
fn discard<T>(traces: Vec<T>) {
    std::mem::forget(traces);
}

/// Orders the rows; ties fall back to the start, then the id, so output never depends on
/// thread scheduling.
fn sort(traces: &mut [Row], key: SortKey) {
    let by_start = |a: &TraceSummary, b: &TraceSummary| {
        (a.start.unwrap_or(i64::MAX), &a.id).cmp(&(b.start.unwrap_or(i64::MAX), &b.id))
    };
    // Unstable is as deterministic here: ties end at the id, and ids are unique.
    traces.sort_unstable_by(|a, b| {
        let primary = match key {
            SortKey::Start => std::cmp::Ordering::Equal,
            SortKey::Duration => b.duration_ns().cmp(&a.duration_ns()),
            SortKey::Errors => (b.failed_spans as u64 + b.error_lines)
                .cmp(&(a.failed_spans as u64 + a.error_lines)),
            SortKey::Spans => b.span_count.cmp(&a.span_count),
            SortKey::Lines => b.lines.cmp(&a.lines),
        };
        primary.then_with(|| by_start(a, b))
    });
}

fn add_line(
    map: &mut TraceMap,
    filter: &TraceFilter,
    fallback: Option<&str>,
    view: &AnyLine<'_>,
    ids: &LineIds,
    offset: u64,
) -> Option<i64> {
    let matched = if filter.line_predicates() > 0 {
        filter.test_line(view, fallback)
    } else {
        0
    };
    // As for one trace: a line naming no service takes the file name, else a logger name.
    map.add_with_ids(view, ids, matched, fallback, offset)
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
    let plan = Plan::open(paths);
    let progress = Progress::new(plan.plain_bytes(), stderr_tty, "traces");
    let Plan {
        sources,
        plain,
        streams,
        errors,
        notes,
    } = plan;
    // Each task adds its run of units (in input order) to one map, and the few maps are
    // merged at the end: a map per unit, merged pairwise, left every level's hash tables
    // behind (a million traces: 200 MB of them).
    let merged = units(&plain, streams)
        .into_par_iter()
        .fold(Merged::default, |mut merged, unit| {
            let before = merged.traces.len();
            let read = unit.plain_len();
            let (source, diag, error) = read_unit(scan, filter, unit, &sources, &mut merged.traces);
            progress.advance(read, (merged.traces.len() - before) as u64);
            merged.diags.push((source, diag));
            merged.errors.extend(error);
            merged
        })
        .reduce(Merged::default, Merged::merge);
    progress.finish();
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

impl Merged {
    fn merge(mut self, other: Merged) -> Merged {
        self.traces.merge(other.traces);
        self.diags.extend(other.diags);
        self.errors.extend(other.errors);
        self
    }
}

/// Adds the lines of one unit to `traces`; returns its source, its diagnostics and, for a
/// stream that failed, the error to report.
fn read_unit(
    scan: &LineScan,
    filter: &TraceFilter,
    unit: Unit<'_>,
    sources: &[Source],
    traces: &mut TraceMap,
) -> (SourceId, Diagnostics, Option<String>) {
    let mut diag = Diagnostics::default();
    let (source, error) = scan_unit(
        scan,
        unit,
        sources,
        &mut diag,
        &mut |d, ids, line, fallback| {
            add_line(traces, filter, fallback, d, ids, line.offset);
        },
    );
    (source, diag, error)
}

/// A line handed on by [`scan_unit`], with the service its file stands for.
pub(crate) type UnitSink<'s> = dyn FnMut(&AnyLine<'_>, &LineIds, LineRef, Option<&str>) + 's;

/// Decodes every line of one unit (a chunk of a mapped file, or a compressed file) into
/// `sink`; returns the unit's source and, for a stream that failed, the error to report.
pub(crate) fn scan_unit(
    scan: &LineScan,
    unit: Unit<'_>,
    sources: &[Source],
    diag: &mut Diagnostics,
    sink: &mut UnitSink<'_>,
) -> (SourceId, Option<String>) {
    let source = match &unit {
        Unit::Chunk { source, .. } | Unit::Stream(StreamSource { source, .. }) => *source,
    };
    let fallback = sources
        .get(source as usize)
        .and_then(Source::fallback_service);
    let fallback = fallback.as_deref();
    match unit {
        Unit::Chunk { bytes, range, .. } => {
            diag.bytes += range.len() as u64;
            let block = Block::of_chunk(bytes, &range, source);
            scan.scan_block(&block, diag, |d, ids, line| sink(d, ids, line, fallback));
            bytes.release(range);
            (source, None)
        }
        Unit::Stream(StreamSource {
            compression,
            reader,
            ..
        }) => {
            let name = sources
                .get(source as usize)
                .map_or("?", |s| s.display.as_str());
            let result = scan_stream(reader, |block, offset, more_follows| {
                let block = Block::of_stream(block, offset, source, more_follows);
                scan.scan_block(&block, diag, |d, ids, line| sink(d, ids, line, fallback))
            });
            let bytes = match &result {
                Ok(bytes) | Err((_, bytes)) => *bytes,
            };
            diag.bytes += bytes;
            let error = result
                .err()
                .map(|failure| stream_error(name, Some(compression), &failure));
            (source, error)
        }
    }
}

/// Finishes a stream's idle traces as it goes, so memory stays bounded however long it runs.
struct Sweeper<'s, 'c> {
    collector: &'s mut Collector<'c>,
    next: u64,
    /// The latest time a line logged so far.
    clock: Option<i64>,
}

impl Sweeper<'_, '_> {
    /// Called before each line with its offset. Sweeps happen at fixed offsets (every
    /// [`STREAM_SWEEP_BYTES`]), at the first line past each, so which traces a stream finishes
    /// early does not depend on how much each read from the pipe returned.
    fn sweep(&mut self, traces: &mut TraceMap, offset: u64) {
        if offset < self.next {
            return;
        }
        let at = self.next;
        self.next = (offset / STREAM_SWEEP_BYTES + 1) * STREAM_SWEEP_BYTES;
        traces.join_low_halves();
        // Notes about correlation ids with several traces are only given for files.
        let _ = traces.join_correlations();
        let before = at.saturating_sub(STREAM_IDLE_BYTES);
        let before_time = self.clock.map(|c| c.saturating_sub(STREAM_IDLE_NANOS));
        let idle = traces.take_idle(before, before_time, STREAM_MAX_OPEN);
        self.collector.add(idle);
    }
}

/// Reads stdin, handing finished traces to `collector` as the stream goes and the rest at
/// its end.
fn read_stdin(
    scan: &LineScan,
    filter: &TraceFilter,
    collector: &mut Collector<'_>,
) -> (Diagnostics, Option<String>) {
    let mut traces = TraceMap::default();
    let mut diag = Diagnostics::default();
    let mut sweeper = Sweeper {
        collector,
        next: STREAM_SWEEP_BYTES,
        clock: None,
    };
    let error = match decode_stream(io::stdin()) {
        Ok((compression, reader)) => {
            let result = scan_stream(reader, |block, offset, more_follows| {
                let block = Block::of_stream(block, offset, 0, more_follows);
                scan.scan_block(&block, &mut diag, |v, ids, line| {
                    sweeper.sweep(&mut traces, line.offset);
                    if let Some(t) = add_line(&mut traces, filter, None, v, ids, line.offset) {
                        sweeper.clock = Some(sweeper.clock.map_or(t, |c| c.max(t)));
                    }
                })
            });
            let (Ok(bytes) | Err((_, bytes))) = &result;
            diag.bytes += *bytes;
            result
                .err()
                .map(|failure| stream_error("<stdin>", compression, &failure))
        }
        Err(e) => Some(format!("<stdin>: {}", describe_io_error(&e))),
    };
    traces.join_low_halves();
    let _ = traces.join_correlations();
    sweeper
        .collector
        .add(traces.take_idle(u64::MAX, None, usize::MAX));
    (diag, error)
}
