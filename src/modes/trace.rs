//! One trace: every spelling of its id searched at once, the lines of the ids linked to it
//! (correlation ids) searched for next, the trace assembled and shown in the view asked for.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::config::{Config, Inputs, TraceMode};
use crate::diag::{source_summaries, Diagnostics};
use crate::exit::ExitStatus;
use crate::modes::export::{ExportFormat, Exporter};
use crate::modes::nearby::find_nearby;
use crate::records::fields::FieldTable;
use crate::records::ids::{TraceKey, TraceQuery};
use crate::records::scan::TraceSearch;
use crate::records::Record;
use crate::render::export::ExportTrace;
use crate::render::sanitize::sanitize;
use crate::render::view::{write_trace, TraceView, ViewOptions};
use crate::search::{search_files, search_stdin, ProgressLabel, Searched};
use crate::traces::complete::TraceCompleteness;
use crate::traces::{assemble, Trace};

/// What searching all inputs gave.
struct Gathered {
    searched: Searched,
    /// The trace's records, by source and then in the order met.
    records: Vec<Record>,
}

/// Runs the one-trace search, writing results to `out` and messages to `err`.
pub fn run(
    config: &Config,
    mode: &TraceMode,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitStatus> {
    let Found {
        trace,
        searched,
        split,
        search,
        failed,
    } = match find(config, &mode.trace_id, err)? {
        Lookup::Found(found) => *found,
        Lookup::Missing { failed } => return Ok(ExitStatus::of_search(false, failed)),
        Lookup::Ambiguous => return Ok(ExitStatus::Error),
    };
    let completeness = matches!(
        mode.view,
        TraceView::Full | TraceView::Waterfall | TraceView::Timeline
    )
    .then(|| check_trace(config, mode, &trace, &searched, split, search.table()));
    if let Some(c) = &completeness {
        if !config.quiet {
            for note in &c.nearby.notes {
                writeln!(err, "tracegrep: {note}")?;
            }
        }
    }
    let term = config.render_options();
    let names = searched.names();
    let opts = ViewOptions {
        term: &term,
        timeline_fields: &mode.timeline_fields,
        sources: &names,
        name_raw_lines: !matches!(config.inputs, Inputs::Stdin),
        stdout_is_terminal: config.stdout_is_terminal,
        completeness: completeness.as_ref(),
    };
    match &config.push {
        Some(push) => {
            let mut exporter = Exporter::new(out, ExportFormat::Otlp, Some(push))?;
            exporter.add(&ExportTrace::of_trace(&trace))?;
            exporter.finish(err)?;
        }
        None => write_trace(out, &trace, mode.view, &opts)?,
    }
    out.flush()?;
    Ok(ExitStatus::of_search(true, failed))
}

/// What looking for one trace found.
pub(crate) struct Found {
    /// The trace.
    pub trace: Trace,
    /// What the search read.
    pub searched: Searched,
    /// A correlation id of the request logged with several trace ids: the sentence that says so.
    pub split: Option<String>,
    /// The search that found it.
    pub search: TraceSearch,
    /// A source could not be read (exit status 2 at the end).
    pub failed: bool,
}

/// What looking for one trace gave.
pub(crate) enum Lookup {
    /// The trace (boxed: the other outcomes are small).
    Found(Box<Found>),
    /// No line of the trace (said on `err`).
    Missing {
        /// A source could not be read.
        failed: bool,
    },
    /// A prefix names several traces (listed on `err`).
    Ambiguous,
}

/// Finds the trace `trace_id` names in the inputs (every spelling, then the ids linked to it),
/// writing the sources' problems to `err`.
pub(crate) fn find(config: &Config, trace_id: &str, err: &mut dyn Write) -> anyhow::Result<Lookup> {
    let query = TraceQuery::parse(trace_id);
    let by_prefix = query.prefix.is_some();
    let search = TraceSearch::new(query, FieldTable::new(&config.fields))
        .with_context(|| format!("invalid trace id {:?}", trace_id))?;
    let mut gathered = gather(&search, &config.inputs, config.stderr_is_terminal);
    // A correlation id of the request that was logged with several trace ids.
    let mut split = None;
    if by_prefix {
        let traces = traces_of(&gathered.records);
        if traces.len() > 1 {
            // As git does with an ambiguous short hash: name the candidates, pick none.
            writeln!(
                err,
                "tracegrep: {} is the start of {} trace ids; give more digits:",
                sanitize(trace_id),
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
            return Ok(Lookup::Ambiguous);
        }
        if let (Some(id), true) = (traces.first(), rereadable(&config.inputs)) {
            // Found by its first digits: search again by the whole id, so lines that spell
            // it otherwise (Datadog's decimal low half, a 64-bit B3 id) join too.
            let whole = TraceSearch::new(
                TraceQuery::parse(&id.to_string()),
                FieldTable::new(&config.fields),
            )
            .with_context(|| format!("invalid trace id {id}"))?;
            gathered = gather(&whole, &config.inputs, config.stderr_is_terminal);
            split = follow_links(&whole, &config.fields, &config.inputs, &mut gathered)?;
        }
    } else if rereadable(&config.inputs) {
        split = follow_links(&search, &config.fields, &config.inputs, &mut gathered)?;
    }
    let Gathered { searched, records } = gathered;
    for line in searched.errors.iter().chain(&searched.notes) {
        writeln!(err, "tracegrep: {line}")?;
    }
    if !config.quiet {
        for line in source_summaries(searched.per_source(), Diagnostics::problems) {
            writeln!(err, "tracegrep: {line}")?;
        }
    }
    let failed = !searched.errors.is_empty();
    let Some(trace) = assemble(records) else {
        let count = searched.sources.len();
        writeln!(
            err,
            "tracegrep: no lines of trace {} in {count} source{}",
            sanitize(trace_id),
            if count == 1 { "" } else { "s" }
        )?;
        return Ok(Lookup::Missing { failed });
    };
    Ok(Lookup::Found(Box::new(Found {
        trace,
        searched,
        split,
        search,
        failed,
    })))
}

/// What the trace lacks: the expected services it misses, the lines without context near it
/// (files only: standard input cannot be read again), and broken propagation.
fn check_trace(
    config: &Config,
    mode: &TraceMode,
    trace: &crate::traces::Trace,
    searched: &Searched,
    split: Option<String>,
    table: &FieldTable,
) -> TraceCompleteness {
    let mut propagation: Vec<String> = split.into_iter().collect();
    let nearby = match &config.inputs {
        Inputs::Paths(paths) => {
            propagation.extend(parents_elsewhere(config, trace, paths));
            find_nearby(trace, &searched.sources, table)
        }
        // A stream is read once; a server's lines are only the trace's own.
        Inputs::Stdin | Inputs::Remote(_) => Default::default(),
    };
    TraceCompleteness {
        missing_services: mode
            .expect_services
            .as_ref()
            .map(|e| e.missing(&trace.stats.services)),
        nearby,
        propagation,
    }
}

/// Parents never logged in the trace that are searched for under other trace ids.
const MAX_PARENTS_SEARCHED: usize = 4;

/// The parents the trace names but never logged, found logged under another trace id: the
/// caller's outgoing call whose server side started a new trace. One search of the files per
/// missing parent (a few at most), and only for a trace that has one.
fn parents_elsewhere(
    config: &Config,
    trace: &crate::traces::Trace,
    paths: &[PathBuf],
) -> Vec<String> {
    let mut found = Vec::new();
    let missing = trace
        .tree
        .nodes
        .iter()
        .filter(|n| n.kind == crate::traces::tree::SpanKind::Placeholder)
        .filter_map(|n| n.id)
        .take(MAX_PARENTS_SEARCHED);
    for span in missing {
        let Ok(search) = TraceSearch::span_owner(span, FieldTable::new(&config.fields)) else {
            continue;
        };
        let owners = search_paths(&search, paths, false).records;
        let mut others: Vec<String> = owners
            .iter()
            .filter(|r| !(r.trace.matches(&trace.id) || trace.id.matches(&r.trace)))
            .map(|r| r.trace.to_string())
            .collect();
        others.sort_unstable();
        others.dedup();
        for other in others {
            found.push(format!(
                "trace id changed across a call: parent span {span} was logged under trace {other}"
            ));
        }
    }
    found
}

/// Whether the inputs can be searched again (a second pass for the ids a request's lines
/// link to): files and servers can, a stream cannot.
fn rereadable(inputs: &Inputs) -> bool {
    !matches!(inputs, Inputs::Stdin)
}

/// Searches the inputs for the records of `search`'s trace.
fn gather(search: &TraceSearch, inputs: &Inputs, stderr_is_terminal: bool) -> Gathered {
    match inputs {
        Inputs::Stdin => {
            let mut records = Vec::new();
            let searched = search_stdin(search, &mut records);
            Gathered { searched, records }
        }
        Inputs::Paths(paths) => search_paths(search, paths, stderr_is_terminal),
        Inputs::Remote(remote) => {
            let mut records = Vec::new();
            let searched =
                crate::source::search_trace(remote, search.query(), search, &mut records);
            Gathered { searched, records }
        }
    }
}

/// Searches files for the records of `search`'s trace.
fn search_paths(search: &TraceSearch, paths: &[PathBuf], stderr_is_terminal: bool) -> Gathered {
    let progress = ProgressLabel {
        stderr_is_terminal,
        noun: "lines of the trace",
    };
    let (searched, mut records) = search_files(search, paths, progress, Vec::new);
    // Compressed files are read first; the records keep the order of the sources.
    records.sort_by_key(|r| r.line.source);
    Gathered { searched, records }
}

/// Most ids a request's lines link to that are searched for in a second pass.
const MAX_LINKED_IDS: usize = 4;

/// A request's ids are one request: the trace ids its correlation id was logged with, and the
/// correlation ids logged beside its trace id, are searched for too, so the lines that carry
/// only one of them join (a legacy service that only forwards `x-correlation-id`, middleware
/// lines before the span). Files and servers only: stdin cannot be read twice. Returns, when the
/// request's correlation id was logged with several trace ids, a sentence that says so.
fn follow_links(
    search: &TraceSearch,
    fields: &crate::records::fields::FieldOverrides,
    inputs: &Inputs,
    gathered: &mut Gathered,
) -> anyhow::Result<Option<String>> {
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
    let mut split = None;
    if traces_of_correlation.len() > 1 {
        let ids: Vec<String> = traces_of_correlation
            .iter()
            .map(|k| k.to_string())
            .collect();
        gathered.searched.notes.push(format!(
            "correlation id {} was logged with {} trace ids ({}): broken propagation or a retry that started a new trace; their lines are shown together",
            search.query().literal,
            ids.len(),
            ids.join(", ")
        ));
        split = Some(format!(
            "correlation id {} was logged with {} trace ids ({})",
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
        // The same inputs again: their problems were reported by the first pass.
        let found = gather(&more, inputs, false);
        for r in found.records {
            if seen.insert(r.line) {
                gathered.records.push(r);
            }
        }
    }
    Ok(split)
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
