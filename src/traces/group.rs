//! Grouping the lines of every trace into small per-trace accumulators, for views of all
//! traces. Nothing of a line is kept but what the summary, the tree and the statistics need,
//! so memory grows with traces and spans, not with lines.

use rustc_hash::FxHashMap as HashMap;

use crate::records::call::CallKind;
use crate::records::ids::{SpanId, TraceKey};
use crate::records::level::Level;
use crate::records::service::{line_service_or_unknown, unnamed_service};
use crate::records::time::Nanos;
#[cfg(test)]
use crate::records::Decoded;
use crate::records::LineFields;
use crate::traces::tree::{link_nodes, new_node, SpanKind, SpanNode, SpanTree};
use crate::traces::UNKNOWN_SERVICE;

/// What is kept of one span. Compact (a million one-span traces hold a million of these):
/// times and ids use sentinels rather than `Option`s, texts are boxed, and the name and the
/// message that stands in for it share a field (136 bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct SpanAcc {
    service: Option<Box<str>>,
    /// The operation name, or while no line named one, the first message (`label_is_message`).
    label: Option<Box<str>>,
    label_is_message: bool,
    /// The parent and the implied ancestor, as [`SpanId`] values (`0`: none; no decoder makes
    /// a span id of zero, which every convention uses for "no id").
    parent: u64,
    parent_hint: u64,
    /// The earliest line time (`Nanos::MAX`: none yet).
    first: Nanos,
    /// The latest line time (`Nanos::MIN`: none yet).
    last: Nanos,
    /// The longest duration a line reported (`i64::MIN`: none), and when that line was logged.
    timed_ns: i64,
    timed_at: Nanos,
    /// When the latest line was logged (`Nanos::MIN`: none), and its level: the span failed
    /// if it is an error.
    last_level_at: Nanos,
    last_level: Option<Level>,
    /// The status of the latest line that reported one, and when it was logged.
    status: Option<Box<str>>,
    status_at: Nanos,
    error_lines: u32,
    lines: u32,
    call: CallKind,
}

impl Default for SpanAcc {
    fn default() -> SpanAcc {
        SpanAcc {
            service: None,
            label: None,
            label_is_message: false,
            parent: 0,
            parent_hint: 0,
            first: Nanos::MAX,
            last: Nanos::MIN,
            timed_ns: i64::MIN,
            timed_at: 0,
            last_level_at: Nanos::MIN,
            last_level: None,
            status: None,
            status_at: Nanos::MIN,
            error_lines: 0,
            lines: 0,
            call: CallKind::Unknown,
        }
    }
}

/// What is kept of one trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceAcc {
    /// Lines of the trace.
    pub lines: u64,
    /// Lines at error level or above.
    pub error_lines: u64,
    /// Bit `i` set: some line satisfied line predicate `i` (`--where`, `--grep`).
    pub matched: u64,
    /// Where the latest line was (a stream offset): streams finish traces idle for long.
    pub last_offset: u64,
    /// The latest time a line logged (`Nanos::MIN`: none).
    last_time: Nanos,
    /// Spans by id.
    spans: SpanStore,
    /// Lines without a span id, per service: one synthetic span each.
    unspanned: Vec<(String, SpanAcc)>,
    /// The first few error lines, for reports. Boxed on purpose: most traces have none, and
    /// an empty `Vec` in place costs 24 bytes per trace, the box 8.
    #[allow(clippy::box_collection)]
    error_samples: Option<Box<Vec<ErrorLine>>>,
    /// The correlation id that joined lines to this trace; boxed, as most traces have none.
    pub correlation: Option<Box<TraceKey>>,
}

impl Default for TraceAcc {
    fn default() -> TraceAcc {
        TraceAcc {
            lines: 0,
            error_lines: 0,
            matched: 0,
            last_offset: 0,
            last_time: Nanos::MIN,
            spans: SpanStore::default(),
            unspanned: Vec::new(),
            error_samples: None,
            correlation: None,
        }
    }
}

/// An error line kept for reports (CI wants to see why a trace failed).
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorLine {
    /// When it was logged.
    pub time: Option<Nanos>,
    /// Its service.
    pub service: String,
    /// Its span.
    pub span: Option<SpanId>,
    /// Its level.
    pub level: Level,
    /// Its message.
    pub message: String,
}

/// How many error lines a trace keeps for reports: the earliest ones.
pub const ERROR_SAMPLES: usize = 5;

fn keep_earliest(samples: &mut Vec<ErrorLine>) {
    samples.sort_by(|a, b| {
        (a.time.unwrap_or(i64::MAX), &a.service, &a.message).cmp(&(
            b.time.unwrap_or(i64::MAX),
            &b.service,
            &b.message,
        ))
    });
    samples.truncate(ERROR_SAMPLES);
}

/// Most traces have a handful of spans: a vector searched in place costs far less memory than
/// a hash map (whose smallest table already holds several entries); past this many spans the
/// store becomes a map.
const SMALL_SPANS: usize = 16;

/// The spans of one trace by id: one span in place (most traces of a huge input are small,
/// and an allocation saved per trace counts), a small vector, or a map once the trace is
/// large.
#[derive(Debug, Clone, PartialEq)]
enum SpanStore {
    One(SpanId, SpanAcc),
    Small(Vec<(SpanId, SpanAcc)>),
    /// The spans, and once there are [`MAX_SPANS_PER_TRACE`], one span for the lines of all
    /// later ones.
    #[allow(clippy::box_collection)]
    Large(HashMap<SpanId, SpanAcc>, Option<Box<SpanAcc>>),
}

/// Past this many spans, the lines of a trace's new spans are gathered into one synthetic span
/// ("… spans past the first 100000"): one runaway trace (on a stream that never lets it go idle,
/// or a job that opens a span per item) cannot take all the memory, and its times, errors and
/// line counts stay whole. A hundred thousand spans are about 25 MB.
pub const MAX_SPANS_PER_TRACE: usize = 100_000;

impl Default for SpanStore {
    fn default() -> SpanStore {
        SpanStore::Small(Vec::new())
    }
}

impl SpanStore {
    /// The span `id`, made if new; the overflow span once the trace holds
    /// [`MAX_SPANS_PER_TRACE`] spans and `id` is not one of them.
    fn entry(&mut self, id: SpanId) -> &mut SpanAcc {
        match self {
            SpanStore::Small(v) if v.is_empty() => *self = SpanStore::One(id, SpanAcc::default()),
            SpanStore::One(k, _) if *k != id => {
                if let SpanStore::One(k, span) = std::mem::take(self) {
                    *self = SpanStore::Small(vec![(k, span)]);
                }
            }
            _ => {}
        }
        if let SpanStore::Small(v) = self {
            if v.len() >= SMALL_SPANS && !v.iter().any(|(k, _)| *k == id) {
                let map: HashMap<SpanId, SpanAcc> = std::mem::take(v).into_iter().collect();
                *self = SpanStore::Large(map, None);
            }
        }
        match self {
            SpanStore::One(_, span) => span,
            SpanStore::Small(v) => {
                let at = match v.iter().position(|(k, _)| *k == id) {
                    Some(at) => at,
                    None => {
                        v.push((id, SpanAcc::default()));
                        v.len() - 1
                    }
                };
                &mut v[at].1
            }
            SpanStore::Large(m, overflow) => {
                if m.len() >= MAX_SPANS_PER_TRACE && !m.contains_key(&id) {
                    return overflow.get_or_insert_default();
                }
                m.entry(id).or_default()
            }
        }
    }

    /// Lines gathered in the overflow span.
    fn overflow_lines(&self) -> u64 {
        match self {
            SpanStore::Large(_, Some(overflow)) => u64::from(overflow.lines),
            _ => 0,
        }
    }

    fn merge(&mut self, other: SpanStore) {
        let mut absorb = |(id, span): (SpanId, SpanAcc)| {
            let mine = self.entry(id);
            if mine.lines == 0 {
                *mine = span;
            } else {
                mine.merge(span);
            }
        };
        let overflow = match other {
            SpanStore::One(id, span) => {
                absorb((id, span));
                None
            }
            SpanStore::Small(v) => {
                v.into_iter().for_each(absorb);
                None
            }
            SpanStore::Large(m, overflow) => {
                m.into_iter().for_each(absorb);
                overflow
            }
        };
        // `other` had the full count of spans, so `self` has too now and is a map.
        if let (Some(theirs), SpanStore::Large(_, mine)) = (overflow, &mut *self) {
            match mine {
                Some(mine) => mine.merge(*theirs),
                None => *mine = Some(theirs),
            }
        }
    }

    /// The spans, by id (a stable order keeps the tree deterministic), and the overflow span.
    fn into_sorted(self) -> (Vec<(SpanId, SpanAcc)>, Option<SpanAcc>) {
        let (mut spans, overflow) = match self {
            SpanStore::One(id, span) => (vec![(id, span)], None),
            SpanStore::Small(v) => (v, None),
            SpanStore::Large(m, overflow) => (m.into_iter().collect(), overflow.map(|b| *b)),
        };
        spans.sort_by_key(|(id, _)| *id);
        (spans, overflow)
    }
}

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
}

/// Correlation ids with several traces get a note each, up to this many.
const MAX_CORRELATION_NOTES: usize = 3;

/// A correlation id seen with more trace ids than this is not followed further.
const MAX_LINKED_TRACES: usize = 4;

/// The traces whose ids fall in one shard. A 64-bit id lands in the shard of the 128-bit ids
/// that share its low half, so they can be joined within the shard.
#[derive(Debug, Clone, Default, PartialEq)]
struct Shard {
    /// Boxed: a hash table keeps up to twice its entries' room free, and the accumulators are
    /// large next to a pointer (a million one-line traces took 330 MB of table unboxed).
    traces: HashMap<TraceKey, Box<TraceAcc>>,
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
                    let _ = several;
                    more_notes += 1;
                }
                several => {
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
            .flat_map(|s| s.traces.values().map(|a| a.last_offset))
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
            let keys: Vec<TraceKey> = shard
                .traces
                .iter()
                .filter(|(_, a)| idle(a))
                .map(|(k, _)| k.clone())
                .collect();
            for key in keys {
                if let Some(acc) = shard.traces.remove(&key) {
                    taken.push((key, *acc));
                }
            }
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
            .flat_map_iter(|s| s.traces.into_iter().map(|(k, a)| (k, *a)))
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
            .map(|s| s.traces.into_iter().filter_map(|(k, a)| f(k, *a)).collect())
            .collect();
        let mut all = Vec::with_capacity(per_shard.iter().map(Vec::len).sum());
        for shard in per_shard {
            all.extend(shard);
        }
        all
    }

    /// Takes one trace out.
    pub fn remove(&mut self, key: &TraceKey) -> Option<TraceAcc> {
        self.shards[shard_of(key)].traces.remove(key).map(|a| *a)
    }
}

impl SpanAcc {
    /// Adds a line. Text fields are read only while the span lacks them, so most lines cost
    /// no allocation; `service` names the service when the line does not.
    fn add(
        &mut self,
        d: &impl LineFields,
        ids: &crate::records::LineIds,
        (level, time): (Option<Level>, Option<Nanos>),
        service: &dyn Fn() -> Option<String>,
    ) {
        self.lines += 1;
        self.call = self.call.merge(d.call());
        if self.service.is_none() {
            self.service = d.service().or_else(service).map(String::into_boxed_str);
        }
        if self.label.is_none() || self.label_is_message {
            if let Some(name) = d.name() {
                (self.label, self.label_is_message) = (Some(name.into_boxed_str()), false);
            } else if self.label.is_none() {
                self.label = d.message().map(String::into_boxed_str);
                self.label_is_message = true;
            }
        }
        if self.parent == 0 {
            self.parent = ids.parent.map_or(0, |p| p.0);
        }
        if self.parent_hint == 0 {
            self.parent_hint = ids.parent_hint.map_or(0, |p| p.0);
        }
        if level.is_some_and(|l| l >= Level::Error) {
            self.error_lines += 1;
        }
        if let Some(status) = d.status() {
            // Copied only when it changes: most spans report one status, on one line.
            let at = time.unwrap_or(Nanos::MIN);
            if at >= self.status_at {
                self.status_at = at;
                status.with_text(|text| {
                    if self.status.as_deref() != Some(text) {
                        self.status = Some(text.into());
                    }
                });
            }
        }
        if let Some(t) = time {
            self.first = self.first.min(t);
            self.last = self.last.max(t);
            if let Some(dur) = d.duration_ns() {
                if dur > self.timed_ns {
                    (self.timed_ns, self.timed_at) = (dur, t);
                }
            }
            if t >= self.last_level_at {
                (self.last_level_at, self.last_level) = (t, level);
            }
        }
    }

    fn merge(&mut self, other: SpanAcc) {
        self.lines += other.lines;
        self.error_lines += other.error_lines;
        self.call = self.call.merge(other.call);
        self.service = self.service.take().or(other.service);
        // A name beats a message, and this side's beats the other's.
        let other_wins = match (&self.label, self.label_is_message) {
            (None, _) => true,
            (Some(_), true) => other.label.is_some() && !other.label_is_message,
            (Some(_), false) => false,
        };
        if other_wins {
            (self.label, self.label_is_message) = (other.label, other.label_is_message);
        }
        if self.parent == 0 {
            self.parent = other.parent;
        }
        if self.parent_hint == 0 {
            self.parent_hint = other.parent_hint;
        }
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        if other.timed_ns > self.timed_ns {
            (self.timed_ns, self.timed_at) = (other.timed_ns, other.timed_at);
        }
        if other.last_level_at >= self.last_level_at {
            (self.last_level_at, self.last_level) = (other.last_level_at, other.last_level);
        }
        // Ties go to the later input, as they do line by line.
        if other.status.is_some() && other.status_at >= self.status_at {
            (self.status_at, self.status) = (other.status_at, other.status);
        }
    }

    fn into_node(self, id: Option<SpanId>, service_key: Option<String>) -> SpanNode {
        let kind = if id.is_some() {
            SpanKind::Logged
        } else {
            SpanKind::Synthetic
        };
        let service = self
            .service
            .map(String::from)
            .or(service_key)
            .unwrap_or_else(|| UNKNOWN_SERVICE.to_string());
        let mut node = new_node(id, kind, service);
        node.parent_id = (self.parent != 0).then_some(SpanId(self.parent));
        node.parent_hint = (self.parent_hint != 0).then_some(SpanId(self.parent_hint));
        (node.start, node.end) = if self.timed_ns != i64::MIN {
            (
                Some(self.timed_at.saturating_sub(self.timed_ns)),
                Some(self.timed_at),
            )
        } else {
            (
                (self.first != Nanos::MAX).then_some(self.first),
                (self.last != Nanos::MIN).then_some(self.last),
            )
        };
        node.error = self.last_level.is_some_and(|l| l >= Level::Error);
        node.error_lines = self.error_lines as usize;
        node.status = self.status;
        node.name = self.label.map(String::from).unwrap_or_default();
        node.line_count = self.lines as usize;
        node.call = self.call;
        node
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
        let acc = match self.traces.get_mut(key) {
            Some(acc) => acc,
            None => self.traces.entry(key.clone()).or_default(),
        };
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
        for (key, acc) in other.traces {
            match self.traces.get_mut(&key) {
                Some(mine) => mine.merge(*acc, other_first),
                None => {
                    self.traces.insert(key, acc);
                }
            }
        }
    }

    fn join_low_halves(&mut self) -> usize {
        let mut full_by_low: HashMap<u64, Vec<TraceKey>> = HashMap::default();
        for key in self.traces.keys() {
            if let TraceKey::Full(v) = key {
                full_by_low.entry(*v as u64).or_default().push(key.clone());
            }
        }
        let lows: Vec<TraceKey> = self
            .traces
            .keys()
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
                            target.merge(*acc, false);
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

impl TraceAcc {
    /// Folds in `other`, which came later in input order unless `other_first`.
    fn merge(&mut self, mut other: TraceAcc, other_first: bool) {
        if other_first {
            std::mem::swap(self, &mut other);
        }
        self.lines += other.lines;
        self.error_lines += other.error_lines;
        self.matched |= other.matched;
        self.correlation = self.correlation.take().or(other.correlation);
        self.last_offset = self.last_offset.max(other.last_offset);
        self.last_time = self.last_time.max(other.last_time);
        if let Some(theirs) = other.error_samples {
            let mine = self.error_samples.get_or_insert_default();
            mine.extend(*theirs);
            keep_earliest(mine);
        }
        self.spans.merge(other.spans);
        for (service, span) in other.unspanned {
            match self.unspanned.iter_mut().find(|(s, _)| *s == service) {
                Some((_, mine)) => mine.merge(span),
                None => self.unspanned.push((service, span)),
            }
        }
    }

    /// Lines of spans past [`MAX_SPANS_PER_TRACE`], gathered in one synthetic span.
    pub fn untracked_lines(&self) -> u64 {
        self.spans.overflow_lines()
    }

    /// Takes out the first few error lines.
    pub fn take_error_samples(&mut self) -> Vec<ErrorLine> {
        self.error_samples.take().map(|b| *b).unwrap_or_default()
    }

    /// The span tree of the trace.
    pub fn tree(self) -> SpanTree {
        let (spans, overflow) = self.spans.into_sorted();
        let mut unspanned = self.unspanned;
        unspanned.sort_by(|a, b| a.0.cmp(&b.0));
        let overflow = overflow.map(|acc| {
            let lines = acc.lines;
            let mut node = acc.into_node(None, None);
            // Its lines name many parents; none speaks for the whole bar.
            node.parent_id = None;
            node.parent_hint = None;
            node.name = format!("({lines} lines of spans past the first {MAX_SPANS_PER_TRACE})");
            node
        });
        let nodes = unspanned
            .into_iter()
            .map(|(service, acc)| acc.into_node(None, Some(service)))
            .chain(
                spans
                    .into_iter()
                    .map(|(id, acc)| acc.into_node(Some(id), None)),
            )
            .chain(overflow);
        link_nodes(nodes.collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(trace: TraceKey, span: u64, parent: Option<u64>, t: i64, dur: Option<i64>) -> Decoded {
        Decoded {
            trace: Some(trace),
            span: Some(SpanId(span)),
            parent: parent.map(SpanId),
            time: Some(t),
            duration_ns: dur,
            service: Some("svc".into()),
            ..Decoded::default()
        }
    }

    #[test]
    fn merged_maps_equal_one_map_and_low_halves_join() {
        let full = TraceKey::Full(0x4bf92f3577b34da6a3ce929d0e0e4736);
        let low = TraceKey::Low64(0xa3ce929d0e0e4736);
        let lines = [
            line(full.clone(), 1, None, 0, None),
            line(full.clone(), 2, Some(1), 5, None),
            line(low.clone(), 3, Some(1), 6, Some(2)),
            line(full.clone(), 1, None, 20, Some(20)),
        ];
        let mut one = TraceMap::default();
        for l in &lines {
            one.add(l, 0, None);
        }
        let mut a = TraceMap::default();
        let mut b = TraceMap::default();
        for (i, l) in lines.iter().enumerate() {
            if i % 2 == 0 {
                a.add(l, 0, None)
            } else {
                b.add(l, 0, None)
            }
        }
        a.merge(b);
        assert_eq!(a.shards, one.shards);
        assert_eq!(one.join_low_halves(), 0);
        assert_eq!(one.len(), 1);
        let tree = one.remove(&full).expect("trace").tree();
        assert_eq!(tree.span_count(), 3);
        let root = &tree.nodes[tree.roots[0]];
        assert_eq!((root.start, root.end), (Some(0), Some(20)));
    }

    /// Partial maps merge to the same result whatever the shape of the reduction (rayon's
    /// depends on the thread count and on stealing): text comes from the earliest input.
    #[test]
    fn merging_does_not_depend_on_the_reduction_tree() {
        let key = TraceKey::Full(9);
        let with_message = |t: i64, msg: &str| Decoded {
            message: Some(msg.into()),
            ..line(key.clone(), 1, None, t, None)
        };
        // Unit order: `a` before `b` before `c`; `c` also holds many other traces, so it is the
        // bigger map and merging swaps sides.
        let part = |lines: &[Decoded], extra: u64| {
            let mut map = TraceMap::default();
            for l in lines {
                map.add(l, 0, None);
            }
            for i in 0..extra {
                map.add(
                    &line(TraceKey::Full(1000 + u128::from(i)), 5, None, 0, None),
                    0,
                    None,
                );
            }
            map
        };
        let a = || part(&[with_message(10, "first")], 0);
        let b = || part(&[with_message(20, "second")], 3);
        let c = || part(&[with_message(30, "third")], 50);
        let name = |mut map: TraceMap| {
            let tree = map.remove(&key).expect("trace").tree();
            tree.nodes[tree.roots[0]].name.clone()
        };
        let mut left = a();
        left.merge(b());
        left.merge(c());
        let mut bc = b();
        bc.merge(c());
        let mut right = a();
        right.merge(bc);
        assert_eq!(name(left), "first");
        assert_eq!(name(right), "first");
    }

    #[test]
    fn idle_traces_are_taken_oldest_first() {
        let mut map = TraceMap::default();
        for i in 1..=10u64 {
            let l = line(TraceKey::Full(u128::from(i)), i, None, i as i64, None);
            map.add_with_ids(&l, &l.ids(), 0, None, i * 100);
        }
        let idle = map.take_idle(350, None, 100);
        let mut ids: Vec<u128> = idle
            .iter()
            .map(|(k, _)| match k {
                TraceKey::Full(v) => *v,
                _ => 0,
            })
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, [1, 2, 3]);
        // Over the budget of open traces, the older half goes.
        assert_eq!(map.take_idle(0, None, 4).len(), 5);
        assert_eq!(map.len(), 2);
    }

    #[test]
    fn large_traces_switch_to_a_map_without_losing_spans() {
        let full = TraceKey::Full(7);
        let lines: Vec<Decoded> = (1..=40u64)
            .flat_map(|i| {
                [
                    line(full.clone(), i, None, i as i64, None),
                    line(full.clone(), i, None, 100 + i as i64, None),
                ]
            })
            .collect();
        let mut one = TraceMap::default();
        let (mut a, mut b) = (TraceMap::default(), TraceMap::default());
        for (i, l) in lines.iter().enumerate() {
            one.add(l, 0, None);
            if i < 50 {
                a.add(l, 0, None)
            } else {
                b.add(l, 0, None)
            }
        }
        a.merge(b);
        let tree_a = a.remove(&full).expect("trace").tree();
        let tree_one = one.remove(&full).expect("trace").tree();
        assert_eq!(tree_a.span_count(), 40);
        assert_eq!(tree_a, tree_one);
        assert!(tree_a.nodes.iter().all(|n| n.line_count == 2));
    }

    #[test]
    fn spans_past_the_cap_share_one_span_and_keep_their_lines_and_times() {
        let full = TraceKey::Full(9);
        let extra = 5;
        let count = MAX_SPANS_PER_TRACE as u64 + extra;
        let mut one = TraceMap::default();
        let (mut a, mut b) = (TraceMap::default(), TraceMap::default());
        for i in 1..=count {
            let l = line(full.clone(), i, None, i as i64, None);
            one.add(&l, 0, None);
            // Both halves pass the cap, so merging meets overflow on both sides.
            if i % 2 == 0 {
                a.add(&l, 0, None)
            } else {
                b.add(&l, 0, None)
            }
        }
        let last = line(full.clone(), count, None, 2 * count as i64, None);
        one.add(&last, 0, None);
        a.add(&last, 0, None);
        a.merge(b);
        for map in [&mut one, &mut a] {
            let acc = map.remove(&full).expect("trace");
            assert_eq!(acc.lines, count + 1);
            let untracked = acc.untracked_lines();
            let tree = acc.tree();
            assert_eq!(tree.nodes.len(), MAX_SPANS_PER_TRACE + 1);
            let overflow: Vec<_> = tree
                .nodes
                .iter()
                .filter(|n| n.kind == SpanKind::Synthetic)
                .collect();
            assert_eq!(overflow.len(), 1);
            assert_eq!(overflow[0].line_count as u64, untracked);
            let kept: u64 = tree.nodes.iter().map(|n| n.line_count as u64).sum();
            assert_eq!(kept, count + 1, "every line is in some span");
            let end = tree.nodes.iter().filter_map(|n| n.end).max();
            assert_eq!(end, Some(2 * count as i64), "the last line's time is kept");
        }
    }
}
