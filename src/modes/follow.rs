//! Follow mode: the search as a long-running loop over growing files or a live stream.
//!
//! It reads through the same scan as the one-trace search; it differs in time: reader threads feed blocks
//! of bytes through a bounded channel, each new line of the trace is printed as it arrives,
//! and the waterfall is printed when the trace has been quiet for a while, when stdin ends, and
//! on Ctrl-C. Memory is bounded: the channel holds a few blocks, a source's carry-over holds
//! at most one split line, and only the trace's own records are kept (the oldest are dropped
//! past [`MAX_FOLLOW_RECORDS`], and the drop is reported).

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::{Config, FollowMode, Inputs, TraceView};
use crate::diag::Diagnostics;
use crate::exit::ExitStatus;
use crate::input::open::sniff;
use crate::input::stream::Carry;
use crate::input::tail::{Tail, TailEvent};
use crate::input::walk::{collect_files, describe_io_error, path_error};
use crate::input::Source;
use crate::records::block::{Block, BlockScan};
use crate::records::fields::FieldTable;
use crate::records::ids::TraceQuery;
use crate::records::scan::TraceSearch;
use crate::records::{Record, SourceId};
use crate::render::raw;
use crate::render::timeline::{write_record, FOLLOW_SERVICE_COLS};
use crate::render::view::{write_trace, write_waterfall, ViewOptions};
use crate::search::open_stdin;
use crate::traces::assemble;

/// Records kept for the waterfall; past this the oldest are dropped (and counted).
pub const MAX_FOLLOW_RECORDS: usize = 100_000;
/// How often followed files are polled for new data.
const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// How often the loop wakes to check the idle timer and Ctrl-C.
const TICK: Duration = Duration::from_millis(50);
/// Blocks in flight between readers and the search: the bound on buffered input.
const CHANNEL_BLOCKS: usize = 8;
/// Bytes a stdin reader hands over at a time.
const STDIN_BLOCK_BYTES: usize = 256 << 10;

/// What a reader thread reports.
enum Event {
    /// New bytes of a source (not necessarily whole lines).
    Data(SourceId, Vec<u8>),
    /// The source starts over (rotated or truncated): what is carried over is finished.
    Restart(SourceId, &'static str),
    /// The source ended (stdin only: files are followed forever).
    End(SourceId),
    /// The source failed.
    Failed(SourceId, String),
}

/// Per-source state in the loop: the bytes not scanned yet, and whether the source ended.
#[derive(Default)]
struct Followed {
    carry: Carry,
    ended: bool,
}

/// Runs follow mode until stdin ends or Ctrl-C.
pub fn run(
    config: &Config,
    mode: &FollowMode,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitStatus> {
    let trace_id = &mode.trace.trace_id;
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = Arc::clone(&interrupted);
        // Failing to install the handler only loses the final waterfall on Ctrl-C.
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }
    let search = TraceSearch::new(TraceQuery::parse(trace_id), FieldTable::new(&config.fields))?;
    let (tx, rx) = sync_channel::<Event>(CHANNEL_BLOCKS);
    let stop = Arc::new(AtomicBool::new(false));
    let mut failed = false;
    let sources = match &config.inputs {
        // The configuration refuses --follow with --source.
        Inputs::Remote(_) => anyhow::bail!("--follow reads files or standard input"),
        Inputs::Stdin => {
            spawn_stdin_reader(tx.clone());
            vec![Source::stdin()]
        }
        Inputs::Paths(paths) => {
            let (files, errors) = collect_files(paths);
            for e in &errors {
                writeln!(err, "tracegrep: {e}")?;
                failed = true;
            }
            let mut sources = Vec::new();
            for path in files {
                if let Err(reason) = check_followable(&path) {
                    writeln!(err, "tracegrep: {}: {reason}", path.display())?;
                    failed = true;
                    continue;
                }
                match Tail::open(&path) {
                    Ok(tail) => {
                        spawn_tail(
                            sources.len() as SourceId,
                            tail,
                            tx.clone(),
                            Arc::clone(&stop),
                        );
                        sources.push(Source {
                            display: path.display().to_string(),
                            path: Some(path),
                        });
                    }
                    Err(e) => {
                        writeln!(err, "tracegrep: {}", path_error(&path, &e))?;
                        failed = true;
                    }
                }
            }
            sources
        }
    };
    drop(tx);
    let names: Vec<String> = sources.iter().map(|s| s.display.clone()).collect();
    // A line naming no service takes its file's name (see `records::service`).
    let fallbacks: Vec<Option<String>> = sources.iter().map(Source::fallback_service).collect();
    let term = config.render_options();
    let opts = ViewOptions {
        term: &term,
        timeline_fields: &mode.trace.timeline_fields,
        sources: &names,
        name_raw_lines: !matches!(config.inputs, Inputs::Stdin),
        stdout_is_terminal: config.stdout_is_terminal,
        completeness: None,
    };
    let view = mode.trace.view;
    let mut carries: Vec<Followed> = sources.iter().map(|_| Followed::default()).collect();
    let mut records: VecDeque<Record> = VecDeque::new();
    let mut dropped = 0u64;
    let mut t0: Option<i64> = None;
    let mut last_new: Option<Instant> = None;
    let mut shown_since_waterfall = false;
    let mut status = loop {
        if interrupted.load(Ordering::SeqCst) {
            break ExitStatus::Interrupted;
        }
        if !sources.is_empty() && carries.iter().all(|c| c.ended) {
            break ExitStatus::Found;
        }
        let event = match rx.recv_timeout(TICK) {
            Ok(event) => Some(event),
            Err(RecvTimeoutError::Timeout) => None,
            // Every reader is gone: nothing more can arrive.
            Err(RecvTimeoutError::Disconnected) => break ExitStatus::Found,
        };
        let mut fresh = Vec::new();
        match event {
            Some(Event::Data(source, bytes)) => {
                let fallback = fallbacks[source as usize].as_deref();
                let carry = &mut carries[source as usize].carry;
                scan_carry(&search, source, fallback, carry, Some(&bytes), &mut fresh);
            }
            Some(Event::Restart(source, why)) => {
                let fallback = fallbacks[source as usize].as_deref();
                let carry = &mut carries[source as usize].carry;
                scan_carry(&search, source, fallback, carry, None, &mut fresh);
                carries[source as usize] = Followed::default();
                if !config.quiet {
                    writeln!(
                        err,
                        "tracegrep: {}: {why}, following it from the start",
                        names[source as usize]
                    )?;
                }
            }
            Some(Event::End(source)) => {
                let fallback = fallbacks[source as usize].as_deref();
                let carry = &mut carries[source as usize].carry;
                scan_carry(&search, source, fallback, carry, None, &mut fresh);
                carries[source as usize].ended = true;
            }
            Some(Event::Failed(source, reason)) => {
                writeln!(err, "tracegrep: {}: {reason}", names[source as usize])?;
                carries[source as usize].ended = true;
                failed = true;
            }
            None => {}
        }
        if !fresh.is_empty() {
            for r in fresh {
                t0 = t0.or(r.time);
                match view {
                    TraceView::Full | TraceView::Timeline => {
                        write_record(
                            out,
                            &r,
                            t0,
                            FOLLOW_SERVICE_COLS,
                            &term,
                            opts.timeline_fields,
                        )?;
                    }
                    TraceView::Raw => {
                        let prefix = if opts.name_raw_lines {
                            names[r.line.source as usize].as_str()
                        } else {
                            ""
                        };
                        raw::write_raw_line(out, prefix, &r.raw, config.stdout_is_terminal)?;
                    }
                    TraceView::Waterfall
                    | TraceView::Json
                    | TraceView::Tree
                    | TraceView::Jaeger
                    | TraceView::Otlp => {}
                }
                records.push_back(r);
                if records.len() > MAX_FOLLOW_RECORDS {
                    records.pop_front();
                    dropped += 1;
                }
            }
            out.flush()?;
            last_new = Some(Instant::now());
            shown_since_waterfall = true;
        }
        if shown_since_waterfall && last_new.is_some_and(|t| t.elapsed() >= mode.idle) {
            write_summary(out, &records, view, &opts)?;
            shown_since_waterfall = false;
        }
    };
    stop.store(true, Ordering::SeqCst);
    if dropped > 0 {
        writeln!(err, "tracegrep: kept the last {MAX_FOLLOW_RECORDS} lines of the trace; {dropped} older lines were dropped from the waterfall")?;
    }
    if records.is_empty() {
        if status != ExitStatus::Interrupted {
            writeln!(
                err,
                "tracegrep: no lines of trace {} arrived",
                crate::render::sanitize::sanitize(trace_id)
            )?;
            status = ExitStatus::NoMatch;
        }
    } else if shown_since_waterfall || status == ExitStatus::Interrupted {
        write_summary(out, &records, view, &opts)?;
    }
    out.flush()?;
    Ok(match status {
        ExitStatus::Interrupted => ExitStatus::Interrupted,
        _ if failed => ExitStatus::Error,
        s => s,
    })
}

/// Scans what a source carried over plus `more` (or, with `None`, finishes it: the source
/// ended or starts over).
fn scan_carry(
    search: &TraceSearch,
    source: SourceId,
    fallback: Option<&str>,
    carry: &mut Carry,
    more: Option<&[u8]>,
    records: &mut Vec<Record>,
) {
    if let Some(more) = more {
        carry.push(more);
    }
    carry.scan(more.is_none(), |bytes, offset, more_follows| {
        let block = Block::of_stream(bytes, offset, source, more_follows);
        // Follow mode reports no per-source summary: what the scan counts is not shown.
        let mut diag = Diagnostics::default();
        search.scan_block(&block, fallback, &mut (), &mut diag, records)
    });
}

/// The header and waterfall (or the JSON document) of what has arrived so far.
fn write_summary(
    out: &mut dyn Write,
    records: &VecDeque<Record>,
    view: TraceView,
    opts: &ViewOptions<'_>,
) -> io::Result<()> {
    let Some(trace) = assemble(records.iter().cloned().collect()) else {
        return Ok(());
    };
    match view {
        TraceView::Full | TraceView::Waterfall => {
            writeln!(out)?;
            write_waterfall(out, &trace, opts.term)?;
            writeln!(out)?;
        }
        TraceView::Json | TraceView::Tree | TraceView::Jaeger | TraceView::Otlp => {
            write_trace(out, &trace, view, opts)?
        }
        TraceView::Timeline | TraceView::Raw => {}
    }
    out.flush()
}

/// Compressed files cannot be followed: their end is not a place new lines appear.
fn check_followable(path: &std::path::Path) -> Result<(), String> {
    let mut head = [0u8; 4];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| describe_io_error(&e))?;
    match sniff(&head[..n]) {
        Some(c) => Err(format!(
            "{} files cannot be followed; search them without --follow",
            c.name()
        )),
        None => Ok(()),
    }
}

fn spawn_stdin_reader(tx: SyncSender<Event>) {
    std::thread::spawn(move || {
        let (_, mut reader) = match open_stdin() {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(Event::Failed(0, describe_io_error(&e)));
                return;
            }
        };
        loop {
            let mut buf = vec![0u8; STDIN_BLOCK_BYTES];
            match reader.read(&mut buf) {
                Ok(0) => {
                    let _ = tx.send(Event::End(0));
                    return;
                }
                Ok(n) => {
                    buf.truncate(n);
                    if tx.send(Event::Data(0, buf)).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(Event::Failed(0, describe_io_error(&e)));
                    return;
                }
            }
        }
    });
}

fn spawn_tail(source: SourceId, mut tail: Tail, tx: SyncSender<Event>, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            let mut buf = Vec::new();
            let event = match tail.poll(&mut buf) {
                Ok(TailEvent::Data(_)) => Event::Data(source, buf),
                Ok(TailEvent::Idle) => {
                    std::thread::sleep(POLL_INTERVAL);
                    continue;
                }
                Ok(TailEvent::Rotated) => Event::Restart(source, "rotated"),
                Ok(TailEvent::Truncated) => Event::Restart(source, "truncated"),
                Err(e) => Event::Failed(source, describe_io_error(&e)),
            };
            let last = matches!(event, Event::Failed(..));
            if tx.send(event).is_err() || last {
                return;
            }
        }
    });
}
