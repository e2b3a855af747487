//! Grouping the lines of every trace into small per-trace accumulators, for views of all
//! traces. Nothing of a line is kept but what the summary, the tree and the statistics need,
//! so memory grows with traces and spans, not with lines.

use rustc_hash::FxHashMap as HashMap;

use crate::records::ids::TraceKey;
use crate::records::level::Level;
use crate::records::service::{line_service_or_unknown, unnamed_service};
use crate::records::time::Nanos;
#[cfg(test)]
use crate::records::Decoded;
use crate::records::LineFields;
use crate::traces::acc::keep_earliest;
pub use crate::traces::acc::{ErrorLine, SpanAcc, TraceAcc, ERROR_SAMPLES, MAX_SPANS_PER_TRACE};
use crate::traces::store::TraceStore;

/// How many shards a [`TraceMap`] splits into: merging and summarising go shard by shard in
/// parallel.
const SHARDS: usize = 32;

/// Traces by id, in shards: one map per parallel task, merged with [`TraceMap::merge`].
#[derive(Debug, Clone)]
pub struct TraceMap {
    shards: Vec<Shard>,
    /// Correlation ids seen beside trace ids on one line, with the traces they were seen
    /// with (a few at most): they join the lines that carry only the correlation id.
    links: HashMap<TraceKey, Vec<TraceKey>>,
    /// Correlation ids [`TraceMap::join_correlations`] found with several trace ids.
    split: Vec<(TraceKey, Vec<TraceKey>)>,
}

/// Correlation ids with several traces get a note each, up to this many.
const MAX_CORRELATION_NOTES: usize = 3;

/// A correlation id seen with more trace ids than this is not followed further.
const MAX_LINKED_TRACES: usize = 4;

/// The traces whose ids fall in one shard. A 64-bit id lands in the shard of the 128-bit ids
/// that share its low half, so they can be joined within the shard.
#[derive(Debug, Clone, Default, PartialEq)]
struct Shard {
    traces: TraceStore,
}

/// The shards' results in one vector, sized once.
fn joined<R>(per_shard: Vec<Vec<R>>) -> Vec<R> {
    let mut all = Vec::with_capacity(per_shard.iter().map(Vec::len).sum());
    for shard in per_shard {
        all.extend(shard);
    }
    all
}

fn shard_of(key: &TraceKey) -> usize {
    let h = match key {
        TraceKey::Full(_) | TraceKey::Low64(_) => key.low64().unwrap_or(0),
        TraceKey::Opaque(s) => s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        }),
    };
    // Ids are random in their low bits, except opaque ones, hashed above.
    (h % SHARDS as u64) as usize
}

impl Default for TraceMap {
    fn default() -> TraceMap {
        TraceMap {
            shards: vec![Shard::default(); SHARDS],
            links: HashMap::default(),
            split: Vec::new(),
        }
    }
}

impl TraceMap {
    /// How many traces.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.traces.len()).sum()
    }

    /// No traces at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds one line; `matched` has bit `i` set when the line satisfies line predicate `i`, and
    /// `fallback` names the service of lines that name none (the file name).
    pub fn add(&mut self, d: &impl LineFields, matched: u64, fallback: Option<&str>) {
        self.add_with_ids(d, &d.ids(), matched, fallback, 0);
    }

    /// [`TraceMap::add`] for a line whose ids were already decoded, at `offset` in its
    /// source; returns the line's time.
    pub fn add_with_ids(
        &mut self,
        d: &impl LineFields,
        ids: &crate::records::LineIds,
        matched: u64,
        fallback: Option<&str>,
        offset: u64,
    ) -> Option<Nanos> {
        let key = ids.trace.as_ref()?;
        if let Some(correlation) = &ids.correlation {
            self.link(correlation, key);
        }
        let shard = shard_of(key);
        self.shards[shard].add(d, ids, matched, fallback, offset)
    }

    fn link(&mut self, correlation: &TraceKey, trace: &TraceKey) {
        match self.links.get_mut(correlation) {
            Some(traces) => {
                if traces.len() <= MAX_LINKED_TRACES && !traces.contains(trace) {
                    traces.push(trace.clone());
                }
            }
            None => {
                self.links.insert(correlation.clone(), vec![trace.clone()]);
            }
        }
    }

    /// Joins the lines that carry only a correlation id into the trace whose lines carry that
    /// id beside their trace id. A correlation id seen with several trace ids (a retry that
    /// started a new trace, broken propagation) joins nothing: each such id gets a note.
    pub fn join_correlations(&mut self) -> Vec<String> {
        let mut notes = Vec::new();
        let mut more_notes = 0;
        let mut links: Vec<(TraceKey, Vec<TraceKey>)> =
            std::mem::take(&mut self.links).into_iter().collect();
        links.sort_unstable_by_key(|(c, _)| c.correlation_text());
        for (correlation, traces) in links {
            match traces.as_slice() {
                [trace] => {
                    let shard = shard_of(trace);
                    if !self.shards[shard].traces.contains_key(trace) {
                        continue;
                    }
                    let joined = self.remove(&correlation);
                    let target = self.shards[shard]
                        .traces
                        .get_mut(trace)
                        .expect("checked above");
                    if let Some(acc) = joined {
                        target.merge(acc, false);
                    }
                    target
                        .correlation
                        .get_or_insert_with(|| Box::new(correlation));
                }
                several if notes.len() >= MAX_CORRELATION_NOTES => {
                    self.split.push((correlation.clone(), several.to_vec()));
                    more_notes += 1;
                }
                several => {
                    self.split.push((correlation.clone(), several.to_vec()));
                    let mut ids: Vec<String> = several.iter().map(TraceKey::to_string).collect();
                    ids.sort_unstable();
                    let more = if several.len() > MAX_LINKED_TRACES {
                        " and more"
                    } else {
                        ""
                    };
                    notes.push(format!(
                        "correlation id {} was logged with {} trace ids ({}{more}): broken propagation or a retry that started a new trace; they are shown apart",
                        correlation.correlation_text(),
                        several.len(),
                        ids.join(", ")
                    ));
                }
            }
        }
        if more_notes > 0 {
            notes.push(format!(
                "{more_notes} more correlation {} logged with several trace ids",
                if more_notes == 1 {
                    "id was"
                } else {
                    "ids were"
                }
            ));
        }
        notes
    }

    /// The correlation ids found with several trace ids so far, and those trace ids.
    pub fn split_correlations(&self) -> &[(TraceKey, Vec<TraceKey>)] {
        &self.split
    }

    /// Calls `f` with every trace's id and each of its spans' id and parent id (`0`: none).
    pub fn for_each_span_link<'m>(
        &'m self,
        mut f: impl FnMut(&'m TraceKey, crate::records::ids::SpanId, u64),
    ) {
        for shard in &self.shards {
            for (key, acc) in shard.traces.iter() {
                acc.spans.for_each_link(|span, parent| f(key, span, parent));
            }
        }
    }

    /// Takes out the traces whose latest line lies before offset `before` and, when both are
    /// known, logged before `before_time`; then, while more than `max_open` traces remain,
    /// the longest idle ones: a stream's finished traces.
    pub fn take_idle(
        &mut self,
        before: u64,
        before_time: Option<Nanos>,
        max_open: usize,
    ) -> Vec<(TraceKey, TraceAcc)> {
        let mut last: Vec<u64> = self
            .shards
            .iter()
            .flat_map(|s| s.traces.iter().map(|(_, a)| a.last_offset))
            .collect();
        let mut forced = 0;
        if last.len() > max_open {
            // Keep the `max_open / 2` most recent, so evictions come in batches.
            let at = last.len() - max_open / 2;
            let (_, nth, _) = last.select_nth_unstable(at);
            forced = *nth;
        }
        let idle = |a: &TraceAcc| {
            a.last_offset < forced
                || (a.last_offset < before
                    && match before_time {
                        Some(limit) if a.last_time != Nanos::MIN => a.last_time < limit,
                        _ => true,
                    })
        };
        let mut taken = Vec::new();
        for shard in &mut self.shards {
            taken.extend(shard.traces.take_where(idle));
        }
        taken
    }

    /// Folds another task's map into this one, shard by shard in parallel.
    pub fn merge(&mut self, other: TraceMap) {
        use rayon::prelude::*;
        self.shards
            .par_iter_mut()
            .zip(other.shards.into_par_iter())
            .for_each(|(mine, theirs)| mine.merge(theirs, false));
        for (correlation, traces) in other.links {
            for trace in &traces {
                self.link(&correlation, trace);
            }
        }
    }

    /// Joins traces known only by their low 64 bits into the one 128-bit trace that shares
    /// them (Datadog logs the low half of OTel ids). Where two 128-bit traces share a low half
    /// nothing is joined; the count of such ambiguous halves is returned.
    pub fn join_low_halves(&mut self) -> usize {
        use rayon::prelude::*;
        self.shards.par_iter_mut().map(Shard::join_low_halves).sum()
    }

    /// Every trace, for a parallel pass.
    pub fn into_par_iter(self) -> impl rayon::iter::ParallelIterator<Item = (TraceKey, TraceAcc)> {
        use rayon::prelude::*;
        self.shards
            .into_par_iter()
            .flat_map_iter(|s| s.traces.into_traces())
    }

    /// Maps each shard's traces with `f` in parallel, shard by shard: a shard's accumulators
    /// are freed as soon as its results exist, so the two never coexist in full.
    pub fn map_shards<R: Send>(
        self,
        f: impl Fn(TraceKey, TraceAcc) -> Option<R> + Sync + Send,
    ) -> Vec<R> {
        use rayon::prelude::*;
        let per_shard: Vec<Vec<R>> = self
            .shards
            .into_par_iter()
            .map(|s| {
                s.traces
                    .into_traces()
                    .filter_map(|(k, a)| f(k, a))
                    .collect()
            })
            .collect();
        joined(per_shard)
    }

    /// Maps each trace with `f` in parallel, shard by shard, leaving the map as it is.
    pub fn map_shards_ref<R: Send>(
        &self,
        f: impl Fn(&TraceKey, &TraceAcc) -> Option<R> + Sync + Send,
    ) -> Vec<R> {
        joined(self.map_each_shard_ref(f))
    }

    /// [`TraceMap::map_shards_ref`], each shard's results apart (joining them would hold
    /// them twice for a moment).
    pub fn map_each_shard_ref<R: Send>(
        &self,
        f: impl Fn(&TraceKey, &TraceAcc) -> Option<R> + Sync + Send,
    ) -> Vec<Vec<R>> {
        use rayon::prelude::*;
        self.shards
            .par_iter()
            .map(|s| {
                // Sized for every trace: a vector grown by doubling leaves up to half its
                // room unused and its earlier buffers free between the allocator's pages.
                let mut v = Vec::with_capacity(s.traces.len());
                v.extend(s.traces.iter().filter_map(|(k, a)| f(k, a)));
                v
            })
            .collect()
    }

    /// The trace `key`.
    pub fn get(&self, key: &TraceKey) -> Option<&TraceAcc> {
        self.shards[shard_of(key)].traces.get(key)
    }

    /// Takes one trace out.
    pub fn remove(&mut self, key: &TraceKey) -> Option<TraceAcc> {
        self.shards[shard_of(key)].traces.remove(key)
    }
}

impl Shard {
    fn add(
        &mut self,
        d: &impl LineFields,
        ids: &crate::records::LineIds,
        matched: u64,
        fallback: Option<&str>,
        offset: u64,
    ) -> Option<Nanos> {
        let key = ids.trace.as_ref()?;
        let acc = self.traces.get_or_default(key);
        let time = d.time();
        acc.last_offset = acc.last_offset.max(offset);
        acc.last_time = acc.last_time.max(time.unwrap_or(Nanos::MIN));
        acc.lines += 1;
        acc.matched |= matched;
        let level = d.level();
        let service = || unnamed_service(fallback, d);
        if let Some(l) = level.filter(|l| *l >= Level::Error) {
            acc.error_lines += 1;
            let samples = acc.error_samples.get_or_insert_default();
            if samples.len() < ERROR_SAMPLES || samples.iter().any(|e| e.time > time) {
                samples.push(ErrorLine {
                    time,
                    service: line_service_or_unknown(d, fallback),
                    span: ids.span,
                    level: l,
                    message: d.message().unwrap_or_default(),
                });
                if samples.len() > ERROR_SAMPLES {
                    keep_earliest(samples);
                }
            }
        }
        match ids.span {
            Some(id) => acc.spans.entry(id).add(d, ids, (level, time), &service),
            None => {
                // Lines without a span id gather per service, as one synthetic span.
                let name = line_service_or_unknown(d, fallback);
                let at = match acc.unspanned.iter().position(|(s, _)| *s == name) {
                    Some(at) => at,
                    None => {
                        acc.unspanned.push((name, SpanAcc::default()));
                        acc.unspanned.len() - 1
                    }
                };
                let owner = acc.unspanned[at].0.clone();
                acc.unspanned[at]
                    .1
                    .add(d, ids, (level, time), &|| Some(owner.clone()));
            }
        }
        time
    }

    /// Folds in the traces of `other`, which comes after this shard in input order unless
    /// `other_first`. The smaller map goes into the larger, so the order is passed down:
    /// text fields come from the earlier side, which keeps the result the same however rayon
    /// split the work.
    fn merge(&mut self, other: Shard, other_first: bool) {
        if self.traces.len() < other.traces.len() {
            let mine = std::mem::replace(&mut self.traces, other.traces);
            return self.merge(Shard { traces: mine }, !other_first);
        }
        for (key, acc) in other.traces.into_traces() {
            self.traces.insert_or_merge(key, acc, other_first);
        }
    }

    fn join_low_halves(&mut self) -> usize {
        let mut full_by_low: HashMap<u64, Vec<TraceKey>> = HashMap::default();
        for (key, _) in self.traces.iter() {
            if let TraceKey::Full(v) = key {
                full_by_low.entry(*v as u64).or_default().push(key.clone());
            }
        }
        let lows: Vec<TraceKey> = self
            .traces
            .iter()
            .map(|(k, _)| k)
            .filter(|k| matches!(k, TraceKey::Low64(_)))
            .cloned()
            .collect();
        let mut ambiguous = 0;
        for low in lows {
            let Some(half) = low.low64() else { continue };
            match full_by_low.get(&half).map(Vec::as_slice) {
                Some([full]) => {
                    if let Some(acc) = self.traces.remove(&low) {
                        if let Some(target) = self.traces.get_mut(full) {
                            target.merge(acc, false);
                        }
                    }
                }
                Some(_) => ambiguous += 1,
                None => {}
            }
        }
        ambiguous
    }
}

#[cfg(test)]
#[path = "group_tests.rs"]
mod tests;
