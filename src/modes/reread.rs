//! The lines of chosen traces, read again from the files: the second pass of `--report` (the
//! lines the HTML page shows) and of `--all` exports (each span's logs). The first pass kept per
//! trace only what the table needs; this pass finds the lines of the traces asked for, by their
//! id or (for lines that log only those) the id's low 64 bits, and keeps what the caller makes
//! of each line.

use std::path::PathBuf;

use rustc_hash::FxHashMap as HashMap;

use crate::records::block::LineSink;
use crate::records::ids::TraceKey;
use crate::records::lines::LineScan;
use crate::records::{AnyLine, LineIds, LineRef};
use crate::search::{search_files, Gather, ProgressLabel};

/// What a kept line becomes: made from the line, its ids, where it lives and its source's
/// fallback service.
pub(crate) type Keep<'k, T> =
    dyn Fn(&AnyLine<'_>, &LineIds, LineRef, Option<&str>) -> T + Sync + 'k;

/// The traces wanted, by id and by the low 64 bits of their id, each with its slot.
struct Wanted {
    by_id: HashMap<TraceKey, usize>,
    by_low: HashMap<u64, usize>,
}

impl Wanted {
    fn slot_of(&self, key: &TraceKey) -> Option<usize> {
        self.by_id.get(key).copied().or_else(|| match key {
            TraceKey::Low64(low) => self.by_low.get(low).copied(),
            _ => None,
        })
    }
}

/// Keeps what `keep` makes of the wanted traces' lines, with their slot.
struct KeptLines<'w, T> {
    wanted: &'w Wanted,
    keep: &'w Keep<'w, T>,
    /// Per task, merged by moving whole vectors: extending one would copy every line and hold
    /// twice the memory while it grows.
    found: Vec<Vec<(usize, T)>>,
}

impl<T> LineSink for KeptLines<'_, T> {
    fn line(&mut self, line: &AnyLine<'_>, ids: &LineIds, at: LineRef, fallback: Option<&str>) {
        let Some(key) = &ids.trace else { return };
        let Some(slot) = self.wanted.slot_of(key) else {
            return;
        };
        let kept = (self.keep)(line, ids, at, fallback);
        match self.found.last_mut() {
            Some(last) => last.push((slot, kept)),
            None => self.found.push(vec![(slot, kept)]),
        }
    }
}

impl<T: Send> Gather for KeptLines<'_, T> {
    fn merge(&mut self, later: Self) {
        self.found.extend(later.found);
    }
    fn found(&self) -> u64 {
        self.found.iter().map(Vec::len).sum::<usize>() as u64
    }
}

/// Reads `paths` again and returns, for each of `slots` slots, what `keep` made of the lines of
/// the trace given that slot in `traces` (in input order), and the names of the sources. No
/// progress bar and no summary of damaged lines: the first pass gave them.
pub(crate) fn reread_lines<'t, T: Send>(
    scan: &LineScan,
    paths: &[PathBuf],
    traces: impl IntoIterator<Item = (usize, &'t TraceKey)>,
    slots: usize,
    keep: &Keep<'_, T>,
) -> (Vec<Vec<T>>, Vec<String>) {
    let mut wanted = Wanted {
        by_id: HashMap::default(),
        by_low: HashMap::default(),
    };
    for (slot, id) in traces {
        wanted.by_id.insert(id.clone(), slot);
        if let Some(low) = id.low64() {
            wanted.by_low.insert(low, slot);
        }
    }
    let new_sink = || KeptLines {
        wanted: &wanted,
        keep,
        found: Vec::new(),
    };
    let progress = ProgressLabel {
        stderr_is_terminal: false,
        noun: "lines",
    };
    let (searched, sink) = search_files(scan, paths, progress, new_sink);
    let mut lines: Vec<Vec<T>> = (0..slots).map(|_| Vec::new()).collect();
    for (slot, kept) in sink.found.into_iter().flatten() {
        lines[slot].push(kept);
    }
    (lines, searched.names())
}
