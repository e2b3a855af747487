//! Reading every trace: files in parallel into maps of traces merged in input order, or a
//! stream whose idle traces are finished as it goes (bounded memory). Both read through the
//! search worker with the every-line scan; the sinks here add each line to its trace.

use std::path::PathBuf;

use crate::diag::Diagnostics;
use crate::modes::collect::Collector;
use crate::records::block::LineSink;
use crate::records::block::{Block, BlockScan};
use crate::records::context::lost_context;
use crate::records::continuation::Continuations;
use crate::records::fields::FieldTable;
use crate::records::ids::TraceKey;
use crate::records::lines::LineScan;
use crate::records::service::line_service_or_unknown;
use crate::records::{AnyLine, LineFields, LineIds, LineRef, LineView};
use crate::search::{
    search_files_in_steps, search_stdin, Gather, ProgressLabel, Searched, Steps, FIRST_STEP_BYTES,
};
use crate::traces::complete::LostLines;
use crate::traces::filter::TraceFilter;
use crate::traces::group::{TraceAcc, TraceMap};

/// Streams finish a trace once this many bytes of stream went by without a line of it and,
/// when lines carry times, the stream's clock moved this far past its latest line (work a
/// queue consumer does half a minute later still joins its trace).
const STREAM_IDLE_BYTES: u64 = 64 << 20;
const STREAM_IDLE_NANOS: i64 = 5 * 60 * 1_000_000_000;

/// How often (in stream bytes) a stream looks for finished traces.
const STREAM_SWEEP_BYTES: u64 = 8 << 20;

/// At most this many traces stay open on a stream; past it the longest idle ones finish.
const STREAM_MAX_OPEN: usize = 20_000;

/// Adds each line to its trace, with the bits of the filter's line predicates it meets.
struct TraceSink<'f> {
    traces: TraceMap,
    filter: &'f TraceFilter,
    /// Lines that lost their request's context, when asked for (read with this table).
    lost: Option<(LostLines, &'f FieldTable)>,
}

impl TraceSink<'_> {
    /// Adds a line; returns its time, if it has one.
    fn add(
        &mut self,
        line: &AnyLine<'_>,
        ids: &LineIds,
        at: LineRef,
        fallback: Option<&str>,
    ) -> Option<i64> {
        let matched = if self.filter.line_predicates() > 0 {
            self.filter.test_line(line, fallback)
        } else {
            0
        };
        self.traces
            .add_with_ids(line, ids, matched, fallback, at.offset)
    }
}

impl LineSink for TraceSink<'_> {
    fn line(&mut self, line: &AnyLine<'_>, ids: &LineIds, at: LineRef, fallback: Option<&str>) {
        self.add(line, ids, at, fallback);
    }

    fn untraced(&mut self, line: &LineView<'_>, _: LineRef, fallback: Option<&str>) {
        let Some((lost, table)) = &mut self.lost else {
            return;
        };
        if lost_context(line, table) {
            if let Some(time) = line.time() {
                lost.add(line_service_or_unknown(line, fallback), time);
            }
        }
    }
}

impl Gather for TraceSink<'_> {
    fn merge(&mut self, later: Self) {
        self.traces.merge(later.traces);
        if let (Some((mine, _)), Some((theirs, _))) = (&mut self.lost, later.lost) {
            mine.merge(theirs);
        }
    }
    fn found(&self) -> u64 {
        self.traces.len() as u64
    }
}

/// Reads every line of the files under `paths` into traces, and with `lost_context` the
/// times of the lines that lost their request's context. With `between`, the files are read
/// in steps and `between` sees the traces read so far after each step but the last.
pub fn read_files<'f>(
    scan: &'f LineScan,
    filter: &'f TraceFilter,
    paths: &[PathBuf],
    (stderr_is_terminal, lost_context): (bool, bool),
    between: Option<&mut dyn FnMut(&TraceMap)>,
) -> (Searched, TraceMap, LostLines) {
    let progress = ProgressLabel {
        stderr_is_terminal,
        noun: "traces",
    };
    let new_sink = || TraceSink {
        traces: TraceMap::default(),
        filter,
        lost: lost_context.then(|| (LostLines::default(), scan.table())),
    };
    let stepping = between.is_some();
    let mut between = between;
    let mut step = |sink: &TraceSink<'f>| {
        if let Some(between) = between.as_mut() {
            between(&sink.traces);
        }
    };
    let steps = stepping.then_some(Steps {
        first_bytes: FIRST_STEP_BYTES,
        between: &mut step,
    });
    let (searched, sink) = search_files_in_steps(scan, paths, progress, new_sink, steps);
    let mut lost = sink.lost.map(|(l, _)| l).unwrap_or_default();
    lost.finish();
    (searched, sink.traces, lost)
}

/// Finishes a stream's idle traces as it goes, so memory stays bounded however long it runs.
struct Sweeper<'s> {
    /// Takes the traces finished.
    finished: &'s mut dyn FnMut(Vec<(TraceKey, TraceAcc)>),
    next: u64,
    /// The latest time a line logged so far.
    clock: Option<i64>,
}

impl Sweeper<'_> {
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
        (self.finished)(idle);
    }
}

/// Adds each line of a stream to its trace, sweeping idle traces into the collector first.
struct StreamSink<'s, 'f> {
    traces: TraceSink<'f>,
    sweeper: Sweeper<'s>,
}

impl LineSink for StreamSink<'_, '_> {
    fn line(&mut self, line: &AnyLine<'_>, ids: &LineIds, at: LineRef, fallback: Option<&str>) {
        self.sweeper.sweep(&mut self.traces.traces, at.offset);
        if let Some(t) = self.traces.add(line, ids, at, fallback) {
            self.sweeper.clock = Some(self.sweeper.clock.map_or(t, |c| c.max(t)));
        }
    }
}

/// Reads stdin, handing finished traces to `collector` as the stream goes and the rest at
/// its end.
pub fn read_stdin(
    scan: &LineScan,
    filter: &TraceFilter,
    collector: &mut Collector<'_>,
) -> Searched {
    let mut finished = |idle| collector.add(idle);
    let mut sink = StreamSink {
        traces: TraceSink {
            traces: TraceMap::default(),
            filter,
            lost: None,
        },
        sweeper: Sweeper {
            finished: &mut finished,
            next: STREAM_SWEEP_BYTES,
            clock: None,
        },
    };
    let searched = search_stdin(scan, &mut sink);
    let StreamSink {
        traces: TraceSink { mut traces, .. },
        sweeper,
    } = sink;
    (sweeper.finished)(finish_stream(&mut traces));
    searched
}

/// Every trace still open at a stream's end, the halves of ids and the correlation ids joined.
fn finish_stream(traces: &mut TraceMap) -> Vec<(TraceKey, TraceAcc)> {
    traces.join_low_halves();
    let _ = traces.join_correlations();
    traces.take_idle(u64::MAX, None, usize::MAX)
}

/// A stream read a piece at a time as it arrives (the explorer's live standard input): each
/// line joins its trace, and the stream rules of `--all` finish the idle ones.
#[derive(Default)]
pub struct LiveStream {
    traces: TraceMap,
    /// The sweeper's next offset and clock, kept between pieces.
    sweep_next: u64,
    clock: Option<i64>,
    stacks: Continuations,
    /// Where the next piece starts in the stream.
    pub offset: u64,
    /// What the scan met.
    pub diag: Diagnostics,
}

impl LiveStream {
    /// Scans `bytes`, the stream's next whole lines (the last piece when not `more_follows`);
    /// returns how many bytes it used (the rest waits for the next piece) and the traces the
    /// stream rules finished (every trace, at the end).
    pub fn feed(
        &mut self,
        scan: &LineScan,
        filter: &TraceFilter,
        bytes: &[u8],
        more_follows: bool,
    ) -> (usize, Vec<(TraceKey, TraceAcc)>) {
        let mut finished = Vec::new();
        let mut finish = |idle: Vec<(TraceKey, TraceAcc)>| finished.extend(idle);
        let mut sink = StreamSink {
            traces: TraceSink {
                traces: std::mem::take(&mut self.traces),
                filter,
                lost: None,
            },
            sweeper: Sweeper {
                finished: &mut finish,
                next: self.sweep_next.max(STREAM_SWEEP_BYTES),
                clock: self.clock,
            },
        };
        let block = Block::of_stream(bytes, self.offset, 0, more_follows);
        let used = scan.scan_block(&block, None, &mut self.stacks, &mut self.diag, &mut sink);
        let StreamSink {
            traces: TraceSink { mut traces, .. },
            sweeper,
        } = sink;
        self.sweep_next = sweeper.next;
        self.clock = sweeper.clock;
        if !more_follows {
            finish(finish_stream(&mut traces));
        }
        self.traces = traces;
        self.offset += used as u64;
        self.diag.bytes += used as u64;
        (used, finished)
    }

    /// The traces still open.
    pub fn open(&self) -> &TraceMap {
        &self.traces
    }
}
