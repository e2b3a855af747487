//! Every trace: the table, JSON or CSV of `--all` with its reports and gates, and the
//! statistics of `--stats`. Both read every line through the search worker
//! ([`crate::modes::every`]), keep what the filters select ([`crate::modes::collect`]) and
//! differ in what they write.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;

use crate::config::{AllMode, Config, Inputs, RowFormat, Selection, StatsMode};
use crate::diag::{plural, source_summaries, Diagnostics};
use crate::exit::ExitStatus;
use crate::modes::baseline;
use crate::modes::collect::{sort_keys, Collected, Collector, Keep, OrderKey};
use crate::modes::every::{read_files, read_stdin};
use crate::modes::export::{export_rows, ExportFormat, Exporter};
use crate::modes::report::{report_gates, write_reports, Judged};
use crate::records::fields::FieldTable;
use crate::records::lines::LineScan;
use crate::render::{baseline as render_baseline, csv, json, stats as stats_render, table, tree};
use crate::search::Searched;
use crate::traces::complete::{propagation, Completeness, ExpectedServices};
use crate::traces::filter::TraceFilter;
use crate::traces::group::{TraceMap, MAX_SPANS_PER_TRACE};
use crate::traces::summary::TraceSummary;

/// Runs `--all`.
pub fn run(
    config: &Config,
    mode: &AllMode,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitStatus> {
    // The baseline is read first: a wrong path fails before the logs are read.
    let then = mode
        .baseline
        .as_ref()
        .map(|b| baseline::load(&b.path))
        .transpose()?;
    let exporting =
        config.push.is_some() || matches!(mode.format, RowFormat::Jaeger | RowFormat::Otlp);
    let keep = Keep {
        filter: &mode.selection.filter,
        gates: &mode.gates,
        sort: mode.sort,
        trees: exporting
            || then.is_some()
            || matches!(
                mode.format,
                RowFormat::Json | RowFormat::Jsonl | RowFormat::Tree
            )
            || mode
                .reports
                .iter()
                .any(|r| r.format != crate::cli::ReportFormat::Junit),
        stats: false,
        limit: mode.selection.limit,
        completeness: None,
    };
    let checks = mode.checks_completeness().then_some(&mode.expect_services);
    let only_documents = matches!(mode.format, RowFormat::Json | RowFormat::Jsonl)
        && !exporting
        && then.is_none()
        && mode.reports.is_empty()
        && mode.gates.is_empty()
        && checks.is_none();
    if let (true, Inputs::Paths(paths)) = (only_documents, &config.inputs) {
        return write_documents(config, mode, &keep, paths, out, err);
    }
    let (scan, searched, collected) = read(config, &mode.selection, &keep, checks, None);
    let mut failed = report_reading(config, &searched, &collected, err)?;
    let Collected {
        seen,
        matched,
        rows,
        dropped_failures,
        dropped_errors,
        ..
    } = collected;
    let reporting = !mode.reports.is_empty() || !mode.gates.is_empty() || mode.baseline.is_some();
    if matched == 0 {
        say_none_matched(seen, err)?;
        if !reporting {
            return Ok(none_matched(mode, failed));
        }
    }
    let verdict = mode.gates.check(&rows, dropped_errors);
    let comparison = mode
        .baseline
        .as_ref()
        .zip(then)
        .map(|(b, then)| baseline::compare(b, then, &rows));
    let judged = Judged {
        verdict: &verdict,
        baseline: comparison.as_ref(),
    };
    failed |= write_reports(config, mode, &scan, &rows, &judged, out, err)?;
    let shown = if !mode.print_rows {
        // A report took standard output's place, or every report went to a file.
        rows.len()
    } else {
        let limit = mode.selection.limit.unwrap_or(usize::MAX).min(rows.len());
        let shown = &rows[..limit];
        if exporting {
            let format = match mode.format {
                RowFormat::Jaeger => ExportFormat::Jaeger,
                _ => ExportFormat::Otlp,
            };
            if config.inputs == Inputs::Stdin && !config.quiet {
                writeln!(err, "tracegrep: standard input cannot be read twice: the spans are exported without their log lines")?;
            }
            let mut exporter = Exporter::new(out, format, config.push.as_ref())?;
            export_rows(config, &scan, shown, &mut exporter)?;
            exporter.finish(err)?;
        } else if !shown.is_empty() {
            match mode.format {
                RowFormat::Json => json::write_summaries_json(out, shown)?,
                RowFormat::Jsonl => json::write_summaries_jsonl(out, shown)?,
                RowFormat::Csv => csv::write_csv(out, shown)?,
                RowFormat::Tree => tree::write_summary_trees(out, shown)?,
                RowFormat::Table => table::write_table(out, shown, &config.render_options())?,
                RowFormat::Jaeger | RowFormat::Otlp => {}
            }
        }
        if let (RowFormat::Table, Some(c)) = (mode.format, &comparison) {
            if !exporting {
                if !shown.is_empty() {
                    writeln!(out)?;
                }
                render_baseline::write_comparison(out, c, &config.render_options())?;
            }
        }
        limit
    };
    say_shown(config, mode, (shown, matched), out, err)?;
    let gate_failed = report_gates(&judged, &rows, &dropped_failures, err)?;
    discard(rows);
    Ok(outcome(mode, failed, gate_failed, matched))
}

/// About what a row with its span tree holds for a trace of one or two spans.
const ROW_WITH_TREE_BYTES: u64 = 1024;

/// `--all --format json|jsonl` of files without reports, gates or comparisons. When the rows
/// with their span trees would outgrow the input (many small traces: a million one-line
/// traces took 1.2 GB for 223 MB of logs), only each trace's place in the order is kept, and
/// each document is made from the map of traces as it is written, a few thousand at a time;
/// that summarises every trace twice (+11 % instructions on the generator's logs), so
/// inputs with fewer, larger traces keep the rows.
fn write_documents(
    config: &Config,
    mode: &AllMode,
    keep: &Keep<'_>,
    paths: &[std::path::PathBuf],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitStatus> {
    let scan = line_scan(config, &mode.selection.filter);
    let (searched, traces, _) = read_paths(config, &scan, keep, paths, None, None);
    let input_bytes: u64 = searched.diags.iter().map(|d| d.bytes).sum();
    let mut collector = Collector::new(keep, false);
    let as_made = traces.len() as u64 * ROW_WITH_TREE_BYTES > input_bytes;
    let (keys, traces) = if as_made {
        (collector.add_order_keys(&traces), Some(traces))
    } else {
        collector.add_all(traces);
        (Vec::new(), None)
    };
    // Pointers sorted, the keys left where they are: moving them into one vector would hold
    // them twice for a moment.
    let mut order: Vec<&OrderKey> = keys.iter().flatten().collect();
    sort_keys(&mut order);
    let collected = collector.finish();
    let failed = report_reading(config, &searched, &collected, err)?;
    let matched = collected.matched;
    if matched == 0 {
        say_none_matched(collected.seen, err)?;
        return Ok(none_matched(mode, failed));
    }
    let shown = mode.selection.limit.unwrap_or(usize::MAX).min(matched);
    let json = mode.format == RowFormat::Json;
    match &traces {
        Some(traces) => {
            let made = |key: &&OrderKey| {
                let acc = traces
                    .get(&key.id)
                    .expect("the map is as it was when its order was taken");
                TraceSummary::new(key.id.clone(), acc.clone())
            };
            let order = &order[..shown];
            match json {
                true => json::write_rows_json(out, order, |k| Cow::Owned(made(k)))?,
                false => json::write_rows_jsonl(out, order, |k| Cow::Owned(made(k)))?,
            }
        }
        None if json => json::write_summaries_json(out, &collected.rows[..shown])?,
        None => json::write_summaries_jsonl(out, &collected.rows[..shown])?,
    }
    say_shown(config, mode, (shown, matched), out, err)?;
    // Freed by the process's end, not trace by trace (see `discard`).
    std::mem::forget(traces);
    discard(collected.rows);
    Ok(outcome(mode, failed, false, matched))
}

/// After the rows: says how many of the matched traces were shown when not all were.
fn say_shown(
    config: &Config,
    mode: &AllMode,
    (shown, matched): (usize, usize),
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<()> {
    // Standard output is block-buffered into a pipe: what it holds goes first, so that with
    // `2>&1` the note below starts a line of its own instead of cutting into the last row.
    out.flush()?;
    if shown < matched {
        let hint = if mode.selection.limit.is_some() || config.inputs != Inputs::Stdin {
            "--limit 0 shows all"
        } else {
            "a stream keeps the first rows by the sort order; --limit sets how many"
        };
        writeln!(
            err,
            "tracegrep: showing {shown} of {matched} traces ({hint})"
        )?;
    }
    Ok(())
}

/// The exit status of `--all` when no trace matched and nothing is reported: found with
/// `--allow-empty`, else like grep's.
fn none_matched(mode: &AllMode, failed: bool) -> ExitStatus {
    match failed {
        false if mode.allow_empty => ExitStatus::Found,
        _ => ExitStatus::of_search(false, failed),
    }
}

/// The exit status of `--all` once its rows are written.
fn outcome(mode: &AllMode, failed: bool, gate_failed: bool, matched: usize) -> ExitStatus {
    if failed {
        ExitStatus::Error
    } else if gate_failed {
        ExitStatus::GateFailed
    } else if matched == 0 && !mode.allow_empty {
        ExitStatus::NoMatch
    } else {
        ExitStatus::Found
    }
}

/// Runs `--stats`.
pub fn run_stats(
    config: &Config,
    mode: &StatsMode,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitStatus> {
    let gates = crate::traces::gates::Gates::default();
    let keep = Keep {
        filter: &mode.selection.filter,
        gates: &gates,
        sort: crate::cli::SortKey::Start,
        trees: true,
        stats: true,
        limit: mode.selection.limit,
        completeness: None,
    };
    let (_, searched, collected) = read(config, &mode.selection, &keep, None, None);
    let failed = report_reading(config, &searched, &collected, err)?;
    if collected.matched == 0 {
        say_none_matched(collected.seen, err)?;
        return Ok(ExitStatus::of_search(false, failed));
    }
    let stats = collected.stats.unwrap_or_default().finish(mode.order);
    if mode.json {
        stats_render::write_stats_json(out, &stats)?;
    } else {
        stats_render::write_stats(out, &stats, mode.selection.limit, &config.render_options())?;
    }
    out.flush()?;
    Ok(ExitStatus::of_search(true, failed))
}

/// Between the steps of a reading of files: called with what makes the rows of the traces
/// that are new or grew since the last preview (partial traces among them; no completeness
/// checks), which costs a pass over them, for the caller to make when it wants them.
pub(crate) type Preview<'p> = &'p mut dyn FnMut(&mut dyn FnMut() -> Collected);

/// Reads every trace of the inputs and keeps what `keep` says; `expected` asks for the
/// completeness checks (with the services every request should reach, if any). With
/// `preview`, files are read in steps and previews of the rows are handed over between them.
pub(crate) fn read(
    config: &Config,
    selection: &Selection,
    keep: &Keep<'_>,
    checks: Option<&Option<ExpectedServices>>,
    preview: Option<Preview<'_>>,
) -> (LineScan, Searched, Collected) {
    let filter = &selection.filter;
    let scan = line_scan(config, filter);
    let mut completeness = Completeness::default();
    let (searched, collected) = match &config.inputs {
        Inputs::Stdin => {
            // A stream is read once: lines without context and links across traces are
            // only checked in files.
            completeness.expected = checks.cloned().flatten();
            let keep = Keep {
                completeness: checks.is_some().then_some(&completeness),
                ..*keep
            };
            let mut collector = Collector::new(&keep, true);
            let searched = read_stdin(&scan, filter, &mut collector);
            (searched, collector.finish())
        }
        Inputs::Paths(paths) => {
            let (searched, traces, found) = read_paths(config, &scan, keep, paths, checks, preview);
            completeness = found;
            let keep = Keep {
                completeness: checks.is_some().then_some(&completeness),
                ..*keep
            };
            let mut collector = Collector::new(&keep, false);
            collector.add_all(traces);
            (searched, collector.finish())
        }
        Inputs::Remote(remote) => {
            let mut collector = Collector::new(keep, false);
            let searched = crate::source::read_all(remote, keep.stats, &mut collector);
            (searched, collector.finish())
        }
    };
    (scan, searched, collected)
}

/// Reads every trace of files into a map, joined across low halves and correlation ids; with
/// `checks`, what the completeness checks need too. See [`read`] for `preview`.
fn read_paths(
    config: &Config,
    scan: &LineScan,
    keep: &Keep<'_>,
    paths: &[std::path::PathBuf],
    checks: Option<&Option<ExpectedServices>>,
    preview: Option<Preview<'_>>,
) -> (Searched, TraceMap, Completeness) {
    let filter = keep.filter;
    let stepping = preview.is_some();
    let mut preview = preview;
    // The lines each trace had at the last preview: a preview summarises only the
    // traces that changed since.
    let mut previewed = HashMap::new();
    let mut between = |traces: &TraceMap| {
        let Some(preview) = preview.as_mut() else {
            return;
        };
        preview(&mut || {
            let keep = Keep {
                completeness: None,
                ..*keep
            };
            let mut collector = Collector::new(&keep, false);
            collector.add_changed(traces, &mut previewed);
            collector.finish()
        });
    };
    let steps: Option<&mut dyn FnMut(&TraceMap)> = match stepping {
        true => Some(&mut between),
        false => None,
    };
    let (mut searched, mut traces, lost) = read_files(
        scan,
        filter,
        paths,
        (config.stderr_is_terminal, checks.is_some()),
        steps,
    );
    let ambiguous = traces.join_low_halves();
    searched.notes.extend(traces.join_correlations());
    if ambiguous > 0 {
        searched.notes.push(format!("{ambiguous} ids known only by their low 64 bits match several 128-bit traces; they were left apart"));
    }
    let completeness = match checks {
        Some(expected) => Completeness {
            expected: expected.clone(),
            lost,
            propagation: propagation(&traces),
        },
        None => Completeness::default(),
    };
    (searched, traces, completeness)
}

/// The every-line scan for `filter`: the configured fields and the paths its `--where`
/// clauses name.
pub(crate) fn line_scan(config: &Config, filter: &TraceFilter) -> LineScan {
    LineScan::new(FieldTable::new(&config.fields).with_extra_paths(&filter.where_paths()))
}

/// What reading met, on stderr: errors always, notes and summaries unless `--quiet`. Returns
/// whether a source failed.
pub(crate) fn report_reading(
    config: &Config,
    searched: &Searched,
    collected: &Collected,
    err: &mut dyn Write,
) -> std::io::Result<bool> {
    for line in &searched.errors {
        writeln!(err, "tracegrep: {line}")?;
    }
    if !config.quiet {
        for line in &searched.notes {
            writeln!(err, "tracegrep: {line}")?;
        }
        for line in source_summaries(searched.per_source(), Diagnostics::scan_problems) {
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
    Ok(!searched.errors.is_empty())
}

/// Says that no trace was found, or none passed the filters.
fn say_none_matched(seen: usize, err: &mut dyn Write) -> std::io::Result<()> {
    let what = if seen == 0 {
        "no traces in the input".to_string()
    } else {
        format!("none of {seen} traces matched the filters")
    };
    writeln!(err, "tracegrep: {what}")
}

/// Lets go of the traces without freeing them one by one: the process ends right after the
/// output, and freeing a hundred thousand span trees on one thread took longer than writing
/// the table (0.4 s of 3.6 s on the 1 GB benchmark).
fn discard<T>(traces: Vec<T>) {
    std::mem::forget(traces);
}
