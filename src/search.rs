//! The search worker: every mode reads its input through here.
//!
//! Files and directories become a plan of sources and parallel units (chunks of small files read whole,
//! compressed files read as streams; see [`crate::input::plan`]); standard input is one
//! stream. Each unit's lines go through one [`BlockScan`] into a sink of the mode's type (the
//! one-trace search into records, the every-line scan into a [`crate::records::block::LineSink`]);
//! the sinks of a rayon task are folded together and merged in input order. Diagnostics are
//! summed per source here, and the `PATH: reason` messages of sources that failed or were
//! skipped are gathered here, for the mode to print.

use std::io::{self, Read};
use std::path::PathBuf;

use rayon::prelude::*;

use crate::diag::Diagnostics;
use crate::input::open::{decode_stream, Compression};
use crate::input::plan::{units, Plan, StreamSource, Unit};
use crate::input::stream::{scan_stream, Overlong, MAX_LINE_BYTES};
use crate::input::walk::describe_io_error;
use crate::input::Source;
use crate::progress::Progress;
use crate::records::block::{Block, BlockScan};
use crate::records::{Record, SourceId};

/// What the worker tells about the sources it read, beside what the sink gathered.
#[derive(Debug, Default)]
pub struct Searched {
    /// The sources, in the order their ids index.
    pub sources: Vec<Source>,
    /// What each source's scan met, by source id.
    pub diags: Vec<Diagnostics>,
    /// `PATH: reason` for sources that could not be read, or were cut short (the run ends
    /// with exit status 2).
    pub errors: Vec<String>,
    /// `PATH: reason` for sources skipped on purpose (binary files).
    pub notes: Vec<String>,
}

impl Searched {
    /// The names of the sources, by source id.
    pub fn names(&self) -> Vec<String> {
        self.sources.iter().map(|s| s.display.clone()).collect()
    }

    /// Each source's name beside what its scan met, for the per-source summary.
    pub fn per_source(&self) -> impl Iterator<Item = (&str, &Diagnostics)> {
        self.sources
            .iter()
            .map(|s| s.display.as_str())
            .zip(&self.diags)
    }
}

/// A sink the worker can fold: what one rayon task gathered joins what the task before it
/// gathered.
pub trait Gather: Send {
    /// Joins `later`, which comes after `self` in input order.
    fn merge(&mut self, later: Self);
    /// How many things it holds, for the progress bar.
    fn found(&self) -> u64;
}

impl Gather for Vec<Record> {
    fn merge(&mut self, later: Self) {
        self.extend(later);
    }
    fn found(&self) -> u64 {
        self.len() as u64
    }
}

/// What the progress bar of a search counts (see [`Progress`]).
#[derive(Debug, Clone, Copy)]
pub struct ProgressLabel {
    /// Whether stderr is a terminal (no bar otherwise).
    pub stderr_is_terminal: bool,
    /// What the sink's [`Gather::found`] counts, in the plural.
    pub noun: &'static str,
}

/// Scans every file under `paths` in parallel into sinks made by `new_sink`, merged in input
/// order.
pub fn search_files<S, K>(
    scan: &S,
    paths: &[PathBuf],
    progress: ProgressLabel,
    new_sink: impl Fn() -> K + Sync + Send,
) -> (Searched, K)
where
    S: BlockScan<K> + Sync,
    K: Gather,
{
    search_files_in_steps(scan, paths, progress, new_sink, None)
}

/// A search read in steps: the first reads about `first_bytes`, each next one twice the one
/// before (up to [`MAX_STEP_BYTES`]); `between` sees the sink of everything read so far after
/// each step but the last.
pub struct Steps<'a, K> {
    /// The size of the first step ([`FIRST_STEP_BYTES`] for a screen).
    pub first_bytes: u64,
    /// What looks at the sink between steps.
    pub between: &'a mut dyn FnMut(&K),
}

/// The first step a screen reads: a list on screen within a fraction of a second.
pub const FIRST_STEP_BYTES: u64 = 16 << 20;
const MAX_STEP_BYTES: u64 = 256 << 20;

/// As [`search_files`]; with `steps`, the units are read in steps of growing size (in input
/// order, each step in parallel) and `between` sees the sink of everything read so far after
/// each step but the last: what a screen shows while the rest is read. Steps cost a wait for
/// each step's slowest unit (one 8 MiB unit at most per step).
pub fn search_files_in_steps<S, K>(
    scan: &S,
    paths: &[PathBuf],
    progress: ProgressLabel,
    new_sink: impl Fn() -> K + Sync + Send,
    mut steps: Option<Steps<'_, K>>,
) -> (Searched, K)
where
    S: BlockScan<K> + Sync,
    K: Gather,
{
    let plan = Plan::open(paths);
    let bar = Progress::new(
        plan.plain_bytes(),
        progress.stderr_is_terminal,
        progress.noun,
    );
    let Plan {
        sources,
        plain,
        streams,
        mut errors,
        mut notes,
    } = plan;
    let mut units = units(&plain, streams);
    let mut task = Task::new(new_sink());
    let mut step_bytes = steps.as_ref().map_or(u64::MAX, |s| s.first_bytes);
    while !units.is_empty() {
        let step: Vec<Unit<'_>> = units.drain(..step_len(&units, step_bytes)).collect();
        if steps.is_some() {
            step_bytes = step_bytes.saturating_mul(2).min(MAX_STEP_BYTES);
        }
        // Each task adds its run of units (in input order) to one sink, and the few sinks are
        // merged at the end: a sink per unit, merged pairwise, left every level's hash tables
        // behind (a million traces: 200 MB of them).
        let read = step
            .into_par_iter()
            .fold(
                || Task::new(new_sink()),
                |mut task, unit| {
                    let before = task.sink.found();
                    let read = unit.plain_len();
                    let mut diag = Diagnostics::default();
                    let end = scan_unit(scan, unit, &sources, &mut diag, &mut task.sink);
                    bar.advance(read, task.sink.found().saturating_sub(before));
                    task.diags.push((end.source, diag));
                    task.errors.extend(end.error);
                    task.shrank.extend(end.shrank_at.map(|at| (end.source, at)));
                    task.notes.extend(end.note);
                    task
                },
            )
            .reduce(|| Task::new(new_sink()), Task::merge);
        task = task.merge(read);
        if let (Some(steps), false) = (steps.as_mut(), units.is_empty()) {
            (steps.between)(&task.sink);
        }
    }
    bar.finish();
    let mut diags = vec![Diagnostics::default(); sources.len()];
    for (source, diag) in task.diags {
        diags[source as usize] += &diag;
    }
    errors.extend(task.errors);
    errors.extend(shrunk_files(&sources, task.shrank));
    notes.extend(task.notes);
    let searched = Searched {
        sources,
        diags,
        errors,
        notes,
    };
    (searched, task.sink)
}

/// How many of `units` make a step of about `bytes` (at least one). A compressed file counts
/// as one chunk: its size decoded is not known before it is read.
fn step_len(units: &[Unit<'_>], bytes: u64) -> usize {
    let mut sum = 0u64;
    for (i, unit) in units.iter().enumerate() {
        sum = sum.saturating_add(match unit.plain_len() {
            0 => crate::input::chunk::CHUNK_BYTES as u64,
            n => n,
        });
        if sum >= bytes {
            return i + 1;
        }
    }
    units.len()
}

/// Scans standard input (decompressed if it is gzip or zstd) into `sink`.
pub fn search_stdin<S: BlockScan<K>, K>(scan: &S, sink: &mut K) -> Searched {
    let source = Source::stdin();
    let (diag, error, note) = match open_stdin() {
        Ok(opened) => scan_one_stream(scan, 0, None, &source.display, opened, sink),
        Err(e) => (
            Diagnostics::default(),
            Some(format!("{}: {}", source.display, describe_io_error(&e))),
            None,
        ),
    };
    Searched {
        sources: vec![source],
        diags: vec![diag],
        errors: error.into_iter().collect(),
        notes: note.into_iter().collect(),
    }
}

/// Scans one opened stream as source `id`, named `name` in messages: its diagnostics, the
/// error that cut it short, and the note on lines too long to keep.
fn scan_one_stream<S: BlockScan<K>, K>(
    scan: &S,
    id: SourceId,
    fallback: Option<&str>,
    name: &str,
    (compression, reader): (Option<Compression>, Box<dyn Read + Send>),
    sink: &mut K,
) -> (Diagnostics, Option<String>, Option<String>) {
    let mut diag = Diagnostics::default();
    let (failure, overlong) = scan_reader(scan, id, fallback, (reader, 0), 0, &mut diag, sink);
    (
        diag,
        failure.map(|failure| stream_error(name, compression, &failure)),
        overlong_note(name, overlong),
    )
}

/// A stream of lines that is not a file, already in memory (a server's answer): its name in
/// messages, the service its lines fall back to, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// How it is named.
    pub source: Source,
    /// The service of lines that name none (a file's name, as for a local file).
    pub fallback: Option<String>,
    /// Whole lines, each ended by a newline.
    pub bytes: Vec<u8>,
}

impl Stream {
    /// A stream of `bytes`.
    pub fn new(source: Source, fallback: Option<String>, bytes: Vec<u8>) -> Stream {
        Stream {
            source,
            fallback,
            bytes,
        }
    }

    /// Appends one line (without its newline).
    pub fn push_line(&mut self, line: &[u8]) {
        self.bytes.extend_from_slice(line);
        self.bytes.push(b'\n');
    }
}

/// Scans streams into `sink`, one source each, in order.
pub fn search_streams<S: BlockScan<K>, K>(
    scan: &S,
    streams: Vec<Stream>,
    sink: &mut K,
) -> Searched {
    let mut searched = Searched {
        sources: Vec::with_capacity(streams.len()),
        diags: Vec::with_capacity(streams.len()),
        errors: Vec::new(),
        notes: Vec::new(),
    };
    for (id, stream) in streams.into_iter().enumerate() {
        let reader: Box<dyn Read + Send> = Box::new(io::Cursor::new(stream.bytes));
        let (diag, error, note) = scan_one_stream(
            scan,
            SourceId::try_from(id).unwrap_or(SourceId::MAX),
            stream.fallback.as_deref(),
            &stream.source.display,
            (None, reader),
            sink,
        );
        searched.errors.extend(error);
        searched.notes.extend(note);
        searched.sources.push(stream.source);
        searched.diags.push(diag);
    }
    searched
}

/// Standard input, decompressed if it is gzip or zstd.
pub fn open_stdin() -> io::Result<(Option<Compression>, Box<dyn Read + Send>)> {
    decode_stream(io::stdin())
}

/// One unit's work, folded per rayon task.
struct Task<K> {
    sink: K,
    diags: Vec<(SourceId, Diagnostics)>,
    errors: Vec<String>,
    shrank: Vec<(SourceId, u64)>,
    notes: Vec<String>,
}

impl<K: Gather> Task<K> {
    fn new(sink: K) -> Task<K> {
        Task {
            sink,
            diags: Vec::new(),
            errors: Vec::new(),
            shrank: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn merge(mut self, later: Task<K>) -> Task<K> {
        self.sink.merge(later.sink);
        self.diags.extend(later.diags);
        self.errors.extend(later.errors);
        self.shrank.extend(later.shrank);
        self.notes.extend(later.notes);
        self
    }
}

/// What a unit's scan tells beside its sink: its source, and for a stream the error that cut
/// it short and the note about lines it skipped.
pub struct UnitEnd {
    /// The unit's source.
    pub source: SourceId,
    /// `PATH: reason` when the read failed.
    pub error: Option<String>,
    /// Where a plain file's range came up short: the file shrank while it was read.
    pub shrank_at: Option<u64>,
    /// `PATH: reason` when lines too long to keep were skipped.
    pub note: Option<String>,
}

/// Scans the lines of one unit (a chunk of a small file, a range of a large one, or a
/// compressed file) into `sink`;
/// returns its source and, for a stream, what cut it short or was skipped.
pub fn scan_unit<S: BlockScan<K>, K>(
    scan: &S,
    unit: Unit<'_>,
    sources: &[Source],
    diag: &mut Diagnostics,
    sink: &mut K,
) -> UnitEnd {
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
            scan.scan_block(&block, fallback, &mut S::State::default(), diag, sink);
            UnitEnd {
                source,
                error: None,
                shrank_at: None,
                note: None,
            }
        }
        Unit::Stream(StreamSource {
            compression,
            expected_len,
            base,
            reader,
            ..
        }) => {
            let before = diag.bytes;
            let name = sources
                .get(source as usize)
                .map_or("?", |s| s.display.as_str());
            // A range of a plain file keeps lines up to its length (a range holds whole
            // lines): the memory is its size.
            let max_line = expected_len.map_or(0, |len| usize::try_from(len).unwrap_or(usize::MAX));
            let (failure, overlong) =
                scan_reader(scan, source, fallback, (reader, base), max_line, diag, sink);
            let read = diag.bytes - before;
            let shrank_at = expected_len.filter(|&len| read < len).map(|_| base + read);
            UnitEnd {
                source,
                error: failure.map(|failure| stream_error(name, compression, &failure)),
                shrank_at,
                note: overlong_note(name, overlong),
            }
        }
    }
}

/// Scans a stream to its end; returns the error that cut it short, with the bytes read, and
/// the message for lines too long to keep, if any.
fn scan_reader<S: BlockScan<K>, K>(
    scan: &S,
    source: SourceId,
    fallback: Option<&str>,
    (reader, base): (Box<dyn Read + Send>, u64),
    max_line: usize,
    diag: &mut Diagnostics,
    sink: &mut K,
) -> (Option<(io::Error, u64)>, Overlong) {
    // One state for the whole stream: where its reads cut it does not matter.
    let mut state = S::State::default();
    let end = scan_stream(reader, max_line, |block, offset, more_follows| {
        let block = Block::of_stream(block, base + offset, source, more_follows);
        scan.scan_block(&block, fallback, &mut state, diag, sink)
    });
    diag.bytes += end.bytes;
    let mut overlong = end.overlong;
    overlong.first_at += base;
    (end.error.map(|e| (e, base + end.bytes)), overlong)
}

/// The message for lines skipped for being too long, if there were any.
fn overlong_note(name: &str, overlong: Overlong) -> Option<String> {
    (overlong.lines > 0).then(|| {
        let more = match overlong.lines {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        format!(
            "{name}: a line longer than {} MiB at byte {}{more} skipped",
            MAX_LINE_BYTES >> 20,
            overlong.first_at
        )
    })
}

/// One message per file that shrank while it was read, at the first place one of its
/// ranges came up short (ranges past the new end all do).
fn shrunk_files(sources: &[Source], mut shrank: Vec<(SourceId, u64)>) -> Vec<String> {
    shrank.sort_unstable();
    shrank.dedup_by_key(|(source, _)| *source);
    shrank
        .into_iter()
        .map(|(source, at)| {
            let name = sources
                .get(source as usize)
                .map_or("?", |s| s.display.as_str());
            truncated(name, at)
        })
        .collect()
}

/// The message for a file that shrank while it was read, after `kept` bytes.
fn truncated(name: &str, kept: u64) -> String {
    format!("{name}: truncated while read; kept the lines before byte {kept}")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::block::LineSink;
    use crate::records::fields::{FieldOverrides, FieldTable};
    use crate::records::lines::LineScan;
    use crate::records::{AnyLine, LineIds, LineRef};

    /// A reader that returns a few bytes at a time, as a pipe may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(97);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_stack_trace_cut_by_a_stream_read_still_continues_its_record() {
        let mut text = String::from(
            "{\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"msg\":\"failed\"}\n",
        );
        text.push_str("java.lang.IllegalStateException: boom\n");
        for i in 0..200 {
            text.push_str(&format!("\tat com.example.Frame{i}.call(Frame.java:{i})\n"));
        }
        text.push_str("{\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"msg\":\"next\"}\n");
        let bytes: &'static [u8] = Box::leak(text.into_bytes().into_boxed_slice());
        let unit = Unit::Stream(StreamSource {
            source: 0,
            compression: Some(Compression::Gzip),
            expected_len: None,
            base: 0,
            reader: Box::new(Trickle(bytes)),
        });
        let scan = LineScan::new(FieldTable::new(&FieldOverrides::default()));
        let mut lines = 0;
        let mut sink = |_: &AnyLine<'_>, _: &LineIds, _: LineRef, _: Option<&str>| lines += 1;
        let mut diag = Diagnostics::default();
        let end = scan_unit(&scan, unit, &[Source::stdin()], &mut diag, &mut sink);
        assert!(end.error.is_none());
        assert_eq!(lines, 2);
        assert_eq!(diag.not_json, 0, "the stack trace's lines are not damage");
    }

    #[test]
    fn a_search_in_steps_shows_what_it_read_so_far_and_ends_as_one_search_does() {
        let dir = tempfile::tempdir().unwrap();
        for f in 0..6 {
            let mut text = String::new();
            for i in 0..50 {
                text.push_str(&format!(
                    "{{\"trace_id\":\"{:032x}\",\"msg\":\"line {i}\"}}\n",
                    f * 1000 + i % 7 + 1
                ));
            }
            std::fs::write(dir.path().join(format!("{f}.jsonl")), text).unwrap();
        }
        let scan = LineScan::new(FieldTable::new(&FieldOverrides::default()));
        let paths = vec![dir.path().to_path_buf()];
        let label = ProgressLabel {
            stderr_is_terminal: false,
            noun: "lines",
        };
        let count = || Counted(0);
        let (_, whole) = search_files(&scan, &paths, label, count);
        let mut seen = Vec::new();
        let mut between = |sink: &Counted| seen.push(sink.0);
        let one_file = std::fs::metadata(dir.path().join("0.jsonl")).unwrap().len();
        let steps = Steps {
            first_bytes: one_file,
            between: &mut between,
        };
        let (searched, stepped) = search_files_in_steps(&scan, &paths, label, count, Some(steps));
        assert_eq!(whole.0, 300);
        assert_eq!(stepped.0, 300);
        assert_eq!(searched.sources.len(), 6);
        // Steps of one file, two, then the last three (each step twice the one before): two
        // looks between.
        assert_eq!(seen, vec![50, 150]);
    }

    /// Counts lines.
    struct Counted(u64);

    impl LineSink for Counted {
        fn line(&mut self, _: &AnyLine<'_>, _: &LineIds, _: LineRef, _: Option<&str>) {
            self.0 += 1;
        }
    }

    impl Gather for Counted {
        fn merge(&mut self, later: Self) {
            self.0 += later.0;
        }
        fn found(&self) -> u64 {
            self.0
        }
    }
}
