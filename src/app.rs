//! The application: picks the inputs, runs the search in parallel, assembles the trace and
//! renders it. The only module that knows every stage; the only one besides `main` that
//! writes to stdout or stderr (through the writers it is handed).

use std::io::{self, Write};

use anyhow::Context;
use rayon::prelude::*;

use crate::cli::Format;
use crate::config::{Config, Inputs};
use crate::diag::{source_summaries, Diagnostics};
use crate::exit::ExitStatus;
use crate::input::open::{decode_stream, Compression};
use crate::input::plan::{units, Plan, StreamSource, Unit};
use crate::input::stream::scan_stream;
use crate::input::walk::describe_io_error;
use crate::input::Source;
use crate::progress::Progress;
use crate::records::fields::FieldTable;
use crate::records::ids::{TraceKey, TraceQuery};
use crate::records::scan::{Block, ScanOutput, TraceSearch};
use crate::records::{Record, SourceId};
use crate::render::{header, json, raw, timeline, waterfall};
use crate::traces::assemble;

/// What searching all inputs gave.
struct Gathered {
    sources: Vec<Source>,
    records: Vec<Record>,
    diags: Vec<Diagnostics>,
    /// `tracegrep: …` lines for sources that failed (they make the exit status 2).
    errors: Vec<String>,
    /// Lines for sources skipped on purpose (binary files).
    notes: Vec<String>,
}

/// One unit's result.
struct UnitResult {
    source: SourceId,
    output: ScanOutput,
    error: Option<String>,
}

/// Runs tracegrep with a resolved configuration, writing results to `out` and messages to
/// `err`.
pub fn run(
    config: &Config,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitStatus> {
    let query = TraceQuery::parse(&config.trace_id);
    let by_prefix = query.prefix.is_some();
    let search = TraceSearch::new(query, FieldTable::new(&config.fields))
        .with_context(|| format!("invalid trace id {:?}", config.trace_id))?;
    let mut gathered = match &config.inputs {
        Inputs::Stdin => search_stdin(&search),
        Inputs::Paths(paths) => search_paths(&search, paths, config.stderr_is_terminal),
    };
    if by_prefix {
        let traces = traces_of(&gathered.records);
        if traces.len() > 1 {
            // As git does with an ambiguous short hash: name the candidates, pick none.
            writeln!(
                err,
                "tracegrep: {} is the start of {} trace ids; give more digits:",
                crate::render::sanitize::sanitize(&config.trace_id),
                traces.len()
            )?;
            for id in traces.iter().take(AMBIGUOUS_SHOWN) {
                writeln!(err, "tracegrep:   {id}")?;
            }
            if traces.len() > AMBIGUOUS_SHOWN {
                writeln!(
                    err,
                    "tracegrep:   …and {} more",
                    traces.len() - AMBIGUOUS_SHOWN
                )?;
            }
            return Ok(ExitStatus::Error);
        }
        if let (Some(id), Inputs::Paths(paths)) = (traces.first(), &config.inputs) {
            // Found by its first digits: search again by the whole id, so lines that spell
            // it otherwise (Datadog's decimal low half, a 64-bit B3 id) join too.
            let whole = TraceSearch::new(
                TraceQuery::parse(&id.to_string()),
                FieldTable::new(&config.fields),
            )
            .with_context(|| format!("invalid trace id {id}"))?;
            gathered = search_paths(&whole, paths, config.stderr_is_terminal);
            follow_links(&whole, &config.fields, paths, &mut gathered)?;
        }
    } else if let Inputs::Paths(paths) = &config.inputs {
        follow_links(&search, &config.fields, paths, &mut gathered)?;
    }
    for line in gathered.errors.iter().chain(&gathered.notes) {
        writeln!(err, "tracegrep: {line}")?;
    }
    if !config.quiet {
        let per_source = gathered
            .sources
            .iter()
            .map(|s| s.display.as_str())
            .zip(&gathered.diags);
        for line in source_summaries(per_source, Diagnostics::problems) {
            writeln!(err, "tracegrep: {line}")?;
        }
    }
    let failed = !gathered.errors.is_empty();
    let names: Vec<String> = gathered.sources.iter().map(|s| s.display.clone()).collect();
    let mut records = gathered.records;
    for r in &mut records {
        name_service(r, &gathered.sources);
    }
    let Some(trace) = assemble(records) else {
        let searched = gathered.sources.len();
        writeln!(
            err,
            "tracegrep: no lines of trace {} in {searched} source{}",
            crate::render::sanitize::sanitize(&config.trace_id),
            if searched == 1 { "" } else { "s" }
        )?;
        return Ok(ExitStatus::of_search(false, failed));
    };
    let opts = config.render_options();
    match config.format {
        Format::Full => {
            header::write_header(out, &trace, &opts)?;
            writeln!(out)?;
            waterfall::write_waterfall(out, &trace, &opts)?;
            writeln!(out)?;
            timeline::write_timeline(out, &trace, &opts, &config.timeline_fields)?;
        }
        Format::Waterfall => {
            header::write_header(out, &trace, &opts)?;
            writeln!(out)?;
            waterfall::write_waterfall(out, &trace, &opts)?;
        }
        Format::Timeline => timeline::write_timeline(out, &trace, &opts, &config.timeline_fields)?,
        Format::Json => json::write_json(out, &trace, &names)?,
        Format::Table | Format::Jsonl | Format::Csv => {
            anyhow::bail!("--format table, jsonl and csv need --all")
        }
        Format::Raw => {
            let single_stdin = matches!(config.inputs, Inputs::Stdin);
            let shown: Vec<String> = if single_stdin {
                vec![String::new()]
            } else {
                names
            };
            raw::write_raw(out, &trace, &shown, config.stdout_is_terminal)?;
        }
    }
    out.flush()?;
    Ok(ExitStatus::of_search(true, failed))
}

/// Most ids a request's lines link to that are searched for in a second pass.
const MAX_LINKED_IDS: usize = 4;

/// A request's ids are one request: the trace ids its correlation id was logged with, and the
/// correlation ids logged beside its trace id, are searched for too, so the lines that carry
/// only one of them join (a legacy service that only forwards `x-correlation-id`, middleware
/// lines before the span). Files only: stdin cannot be read twice.
fn follow_links(
    search: &TraceSearch,
    fields: &crate::records::fields::FieldOverrides,
    paths: &[std::path::PathBuf],
    gathered: &mut Gathered,
) -> anyhow::Result<()> {
    let query = &search.query().key;
    let is_query = |k: &TraceKey| k.matches(query) || query.matches(k);
    let mut linked: Vec<TraceKey> = Vec::new();
    let mut traces_of_correlation: Vec<&TraceKey> = Vec::new();
    for r in &gathered.records {
        let (trace, correlation) = (&r.trace, r.correlation.as_ref());
        if !is_query(trace) {
            // Matched by its correlation id: its trace is the request's.
            traces_of_correlation.push(trace);
            if !linked.contains(trace) {
                linked.push(trace.clone());
            }
        } else if let Some(c) = correlation {
            if !is_query(c) && !linked.contains(c) {
                linked.push(c.clone());
            }
        }
    }
    traces_of_correlation.sort_unstable_by_key(|k| k.to_string());
    traces_of_correlation.dedup();
    if traces_of_correlation.len() > 1 {
        let ids: Vec<String> = traces_of_correlation
            .iter()
            .map(|k| k.to_string())
            .collect();
        gathered.notes.push(format!(
            "correlation id {} was logged with {} trace ids ({}): broken propagation or a retry that started a new trace; their lines are shown together",
            search.query().literal,
            ids.len(),
            ids.join(", ")
        ));
    }
    let mut seen: rustc_hash::FxHashSet<crate::records::LineRef> =
        gathered.records.iter().map(|r| r.line).collect();
    for key in linked.into_iter().take(MAX_LINKED_IDS) {
        let Ok(more) = TraceSearch::linked(&key, FieldTable::new(fields)) else {
            continue;
        };
        // The same files again: their problems were reported by the first pass.
        let found = search_paths(&more, paths, false);
        for r in found.records {
            if seen.insert(r.line) {
                gathered.records.push(r);
            }
        }
    }
    Ok(())
}

/// Candidates listed when a prefix names several traces.
const AMBIGUOUS_SHOWN: usize = 5;

/// The distinct traces among records found by a prefix, sorted; a 64-bit id that is the low
/// half of a 128-bit one found beside it is that trace.
fn traces_of(records: &[Record]) -> Vec<TraceKey> {
    let mut keys: Vec<TraceKey> = records.iter().map(|r| r.trace.clone()).collect();
    keys.sort_unstable();
    keys.dedup();
    let fulls: Vec<u64> = keys
        .iter()
        .filter_map(|k| match k {
            TraceKey::Full(v) => Some(*v as u64),
            _ => None,
        })
        .collect();
    keys.retain(|k| !matches!(k, TraceKey::Low64(v) if fulls.contains(v)));
    keys
}

/// Names the service of a record whose line named none: the file name, else a logger name.
pub fn name_service(r: &mut Record, sources: &[Source]) {
    if r.service.is_none() {
        r.service = sources
            .get(r.line.source as usize)
            .and_then(Source::fallback_service)
            .or_else(|| r.service_hint.clone());
    }
}

fn search_stdin(search: &TraceSearch) -> Gathered {
    let mut output = ScanOutput::default();
    let mut errors = Vec::new();
    match decode_stream(io::stdin()) {
        Ok((compression, reader)) => {
            if let Some(e) = scan_reader(search, 0, reader, &mut output) {
                errors.push(stream_error("<stdin>", compression, &e));
            }
        }
        Err(e) => errors.push(format!("<stdin>: {}", describe_io_error(&e))),
    }
    Gathered {
        sources: vec![Source::stdin()],
        records: output.records,
        diags: vec![output.diag],
        errors,
        notes: Vec::new(),
    }
}

/// Scans a stream to its end; returns the error that cut it short, if any.
fn scan_reader(
    search: &TraceSearch,
    source: SourceId,
    reader: Box<dyn io::Read + Send>,
    output: &mut ScanOutput,
) -> Option<(io::Error, u64)> {
    let result = scan_stream(reader, |block, offset, more_follows| {
        let block = Block::of_stream(block, offset, source, more_follows);
        search.scan_block(&block, output)
    });
    match result {
        Ok(bytes) => {
            output.diag.bytes += bytes;
            None
        }
        Err((e, bytes)) => {
            output.diag.bytes += bytes;
            Some((e, bytes))
        }
    }
}

/// The message for a stream that failed after `bytes` bytes: a damaged archive keeps what
/// was decoded before the damage.
pub fn stream_error(
    name: &str,
    compression: Option<Compression>,
    (e, bytes): &(io::Error, u64),
) -> String {
    match compression {
        Some(c) => format!(
            "{name}: truncated or corrupt {} data ({}); kept the {bytes} bytes decoded before it",
            c.name(),
            describe_io_error(e)
        ),
        None => format!(
            "{name}: read error after {bytes} bytes: {}",
            describe_io_error(e)
        ),
    }
}

fn search_paths(search: &TraceSearch, paths: &[std::path::PathBuf], stderr_tty: bool) -> Gathered {
    let plan = Plan::open(paths);
    let progress = Progress::new(plan.plain_bytes(), stderr_tty, "lines of the trace");
    let Plan {
        sources,
        plain,
        streams,
        mut errors,
        notes,
    } = plan;
    let mut results: Vec<UnitResult> = units(&plain, streams)
        .into_par_iter()
        .map(|u| {
            let read = u.plain_len();
            let result = run_unit(search, u, &sources);
            progress.advance(read, result.output.records.len() as u64);
            result
        })
        .collect();
    progress.finish();
    let mut diags = vec![Diagnostics::default(); sources.len()];
    let mut records = Vec::new();
    results.sort_by_key(|r| r.source);
    for r in results {
        diags[r.source as usize] += &r.output.diag;
        records.extend(r.output.records);
        if let Some(e) = r.error {
            errors.push(e);
        }
    }
    Gathered {
        sources,
        records,
        diags,
        errors,
        notes,
    }
}

fn run_unit(search: &TraceSearch, unit: Unit<'_>, sources: &[Source]) -> UnitResult {
    let mut output = ScanOutput::default();
    match unit {
        Unit::Chunk {
            source,
            bytes,
            range,
        } => {
            output.diag.bytes += range.len() as u64;
            let block = Block::of_chunk(bytes, &range, source);
            search.scan_block(&block, &mut output);
            bytes.release(range);
            UnitResult {
                source,
                output,
                error: None,
            }
        }
        Unit::Stream(StreamSource {
            source,
            compression,
            reader,
        }) => {
            let failure = scan_reader(search, source, reader, &mut output);
            let name = sources
                .get(source as usize)
                .map_or("?", |s| s.display.as_str());
            UnitResult {
                source,
                output,
                error: failure.map(|f| stream_error(name, Some(compression), &f)),
            }
        }
    }
}
