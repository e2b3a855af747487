//! What is kept of every trace: each finished trace is summarised (in parallel for files),
//! the filters decide, and the kept traces become rows or fold into statistics. On a stream,
//! at most a cap of rows is kept (the best by the sort order); the gates still judge the rest.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::cli::SortKey;
use crate::records::ids::TraceKey;
use crate::traces::complete::Completeness;
use crate::traces::filter::TraceFilter;
use crate::traces::gates::Gates;
use crate::traces::group::{TraceAcc, TraceMap};
use crate::traces::stats::StatsAcc;
use crate::traces::summary::{Row, TraceSummary};

/// Rows a stream keeps (the best by the sort order) when no `--limit` is given: table rows,
/// and rows with their span trees for the JSON formats.
const STREAM_MAX_ROWS: usize = 100_000;
const STREAM_MAX_TREES: usize = 10_000;

/// What a collector keeps, and how many on a stream.
#[derive(Clone, Copy)]
pub struct Keep<'c> {
    /// Which traces.
    pub filter: &'c TraceFilter,
    /// The gates that judge the rows a stream lets go of.
    pub gates: &'c Gates,
    /// The order of the rows (which a stream keeps).
    pub sort: SortKey,
    /// Summaries keep their span trees (the JSON formats and reports).
    pub trees: bool,
    /// Statistics instead of rows (`--stats`).
    pub stats: bool,
    /// `--limit`.
    pub limit: Option<usize>,
    /// What completeness checks judge each trace with (`--expect-services`,
    /// `--fail-on-incomplete`).
    pub completeness: Option<&'c Completeness>,
}

impl<'c> Keep<'c> {
    /// The rows `filter` keeps, by start: no span trees, statistics, limit or completeness
    /// checks (what a screen lists).
    pub fn rows(filter: &'c TraceFilter, gates: &'c Gates) -> Keep<'c> {
        Keep {
            filter,
            gates,
            sort: SortKey::Start,
            trees: false,
            stats: false,
            limit: None,
            completeness: None,
        }
    }
}

/// The summarised traces that passed the filters, as rows or folded into statistics.
pub struct Collected {
    /// Traces seen.
    pub seen: usize,
    /// Traces that passed the filters.
    pub matched: usize,
    /// The rows kept (all that matched, unless a stream had to cut).
    pub rows: Vec<Row>,
    /// The statistics, in `--stats` mode.
    pub stats: Option<StatsAcc>,
    /// Rows a stream let go of past its cap: their gate failures (`ID: reason`).
    pub dropped_failures: Vec<String>,
    /// Of the rows a stream let go of, how many had errors, of how many (for the error rate).
    pub dropped_errors: (usize, usize),
    /// Traces that reached the span cap, and their lines in no kept span.
    pub untracked: (u64, u64),
}

/// Decides, trace by trace, what is kept of the summaries: the tree only for the JSON
/// formats, nothing but statistics for `--stats`, and on a stream at most `cap` rows.
pub struct Collector<'c> {
    filter: &'c TraceFilter,
    gates: &'c Gates,
    sort: SortKey,
    /// Summaries keep their span trees (the JSON formats, and statistics until counted).
    keep_tree: bool,
    cap: Option<usize>,
    completeness: Option<&'c Completeness>,
    collected: Collected,
    /// See [`Collected::untracked`]; atomic because traces are summarised in parallel.
    untracked: (AtomicU64, AtomicU64),
}

impl<'c> Collector<'c> {
    /// A collector keeping what `keep` says; a stream (`stream`) keeps at most `--limit`
    /// rows, or 100,000 (10,000 with span trees).
    pub fn new(keep: &Keep<'c>, stream: bool) -> Collector<'c> {
        let keep_tree = keep.stats || keep.trees;
        let default_cap = if keep_tree {
            STREAM_MAX_TREES
        } else {
            STREAM_MAX_ROWS
        };
        Collector {
            filter: keep.filter,
            gates: keep.gates,
            sort: keep.sort,
            keep_tree,
            cap: stream.then(|| keep.limit.unwrap_or(default_cap)),
            completeness: keep.completeness,
            collected: Collected {
                seen: 0,
                matched: 0,
                rows: Vec::new(),
                stats: keep.stats.then(StatsAcc::default),
                dropped_failures: Vec::new(),
                dropped_errors: (0, 0),
                untracked: (0, 0),
            },
            untracked: (AtomicU64::new(0), AtomicU64::new(0)),
        }
    }

    /// The summary of a finished trace, if the filters keep it, in the shape to keep.
    fn summarise(&self, id: TraceKey, acc: TraceAcc) -> Option<Row> {
        let mut t = if self.keep_tree || self.completeness.is_some() {
            TraceSummary::new(id, acc)
        } else {
            TraceSummary::row_only(id, acc)
        };
        if let Some(c) = self.completeness {
            let findings = c.findings(&t.id, &t.services, t.tree());
            t.incomplete = Some(Box::new(findings));
        }
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
    pub fn add(&mut self, finished: Vec<(TraceKey, TraceAcc)>) {
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

    /// Takes rows made elsewhere (a server's grouping): the filters judge them as they judge
    /// rows of accumulated traces.
    pub fn add_summaries(&mut self, rows: Vec<TraceSummary>) {
        self.collected.seen += rows.len();
        for t in rows {
            if self.filter.keeps(&t) {
                self.collected.matched += 1;
                self.collected.rows.push(Box::new(t));
            }
        }
    }

    /// Takes statistics counted elsewhere (from a server's spans).
    pub fn add_stats(&mut self, stats: StatsAcc) {
        self.collected.seen += stats.traces();
        self.collected.matched += stats.traces();
        let mine = self.collected.stats.take().unwrap_or_default();
        self.collected.stats = Some(mine.merge(stats));
    }

    /// Takes every trace of a finished map at once, summarised in parallel (files).
    pub fn add_all(&mut self, traces: TraceMap) {
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

    /// Takes a copy of each trace of a map still being filled (a preview while files are
    /// read) that is new or has more lines than `previewed` says, summarised in parallel;
    /// `previewed` learns their line counts. Every trace counts as seen.
    pub fn add_changed(&mut self, traces: &TraceMap, previewed: &mut HashMap<TraceKey, u64>) {
        self.collected.seen += traces.len();
        let this = &*self;
        let before = &*previewed;
        let changed = traces.map_shards_ref(|id, acc| {
            (before.get(id) != Some(&acc.lines)).then(|| {
                (
                    id.clone(),
                    acc.lines,
                    this.summarise(id.clone(), acc.clone()),
                )
            })
        });
        for (id, lines, row) in changed {
            previewed.insert(id, lines);
            if let Some(row) = row {
                self.collected.matched += 1;
                self.collected.rows.push(row);
            }
        }
    }

    /// The order keys of the traces of a finished map that the filters keep, shard by shard,
    /// from summaries of copies made in parallel and let go of at once: the map stays, for
    /// each row to be made again as it is written, so a million rows with their trees are
    /// never held at once.
    pub fn add_order_keys(&mut self, traces: &TraceMap) -> Vec<Vec<OrderKey>> {
        self.collected.seen += traces.len();
        let this = &*self;
        let keys = traces.map_each_shard_ref(|id, acc| {
            let row = this.summarise(id.clone(), acc.clone())?;
            Some(OrderKey::of(&row, this.sort))
        });
        self.collected.matched += keys.iter().map(Vec::len).sum::<usize>();
        keys
    }

    /// The rows in order (and within a stream's cap).
    pub fn finish(mut self) -> Collected {
        self.trim(self.cap.unwrap_or(usize::MAX));
        self.collected.untracked = (self.untracked.0.into_inner(), self.untracked.1.into_inner());
        self.collected
    }
}

/// Orders the rows; ties fall back to the start, then the id, so output never depends on
/// thread scheduling.
pub fn sort(traces: &mut [Row], key: SortKey) {
    // Unstable is as deterministic here: ties end at the id, unique but on a stream, where a
    // trace cut by idleness (or files concatenated on a pipe) gives rows of one id; those
    // end at their end and lines, not at the order their pieces were finished in.
    traces.sort_unstable_by(|a, b| {
        primary(a, key)
            .cmp(&primary(b, key))
            .then_with(|| by_start((a.start, &a.id), (b.start, &b.id)))
            .then_with(|| (a.end, a.lines).cmp(&(b.end, b.lines)))
    });
}

/// Earlier start first, traces without times last, then by id.
fn by_start(a: (Option<i64>, &TraceKey), b: (Option<i64>, &TraceKey)) -> std::cmp::Ordering {
    (a.0.unwrap_or(i64::MAX), a.1).cmp(&(b.0.unwrap_or(i64::MAX), b.1))
}

/// What orders a trace among the others by a [`SortKey`], without the rest of its row: the
/// JSON formats of a large input keep only this per trace until each is written.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    primary: Primary,
    /// When the trace started (`i64::MAX`: no time, last).
    start: i64,
    /// The trace's id.
    pub id: TraceKey,
}

/// A sort key's figures of a trace, arranged so that the first in order compares least.
/// Durations are `i64::MIN` when unknown, which orders them as `None` among `Option`s.
type Primary = (bool, bool, Reverse<i64>, Reverse<u64>);

fn primary(t: &TraceSummary, key: SortKey) -> Primary {
    let by = |count: u64| (false, false, Reverse(i64::MIN), Reverse(count));
    let duration = Reverse(t.duration_ns().unwrap_or(i64::MIN));
    match key {
        SortKey::Start => by(0),
        SortKey::Duration => (false, false, duration, Reverse(0)),
        SortKey::Errors => by(t.failed_spans as u64 + t.error_lines),
        SortKey::Spans => by(t.span_count as u64),
        SortKey::Lines => by(t.lines),
        SortKey::Worst => (!t.failed(), !t.has_errors(), duration, Reverse(0)),
    }
}

impl OrderKey {
    /// The order key of a row by `key`.
    pub fn of(t: &TraceSummary, key: SortKey) -> OrderKey {
        OrderKey {
            primary: primary(t, key),
            start: t.start.unwrap_or(i64::MAX),
            id: t.id.clone(),
        }
    }
}

/// Orders order keys as [`sort`] orders rows.
pub fn sort_keys(keys: &mut [&OrderKey]) {
    keys.sort_unstable_by(|a, b| {
        a.primary
            .cmp(&b.primary)
            .then_with(|| (a.start, &a.id).cmp(&(b.start, &b.id)))
    });
}
