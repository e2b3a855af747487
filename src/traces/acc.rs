//! What is kept of each trace while every line is read: per-span and per-trace accumulators
//! small enough for a million traces, and the first error lines. [`crate::traces::group`] keeps
//! them by trace id.

use rustc_hash::FxHashMap as HashMap;

use crate::records::call::CallKind;
use crate::records::ids::{SpanId, TraceKey};
use crate::records::level::Level;

use crate::records::time::Nanos;
use crate::records::LineFields;
use crate::traces::tree::{link_for_summary, link_nodes, new_node, SpanKind, SpanNode, SpanTree};
use crate::traces::UNKNOWN_SERVICE;

/// What is kept of one span. Compact (a million one-span traces hold a million of these):
/// times and ids use sentinels rather than `Option`s, texts are boxed, the name and the
/// message that stands in for it share a field, and what few spans have is boxed apart
/// (112 bytes; every byte is moved as spans are merged and read into trees).
#[derive(Debug, Clone, PartialEq)]
pub struct SpanAcc {
    pub(crate) service: Option<Box<str>>,
    /// The operation name, or while no line named one, the first message (`label_is_message`).
    pub(crate) label: Option<Box<str>>,
    pub(crate) label_is_message: bool,
    /// The parent and the implied ancestor, as [`SpanId`] values (`0`: none; no decoder makes
    /// a span id of zero, which every convention uses for "no id").
    pub(crate) parent: u64,
    /// The earliest line time (`Nanos::MAX`: none yet).
    pub(crate) first: Nanos,
    /// The latest line time (`Nanos::MIN`: none yet).
    pub(crate) last: Nanos,
    /// The longest duration a line reported (`i64::MIN`: none), and when that line was logged.
    pub(crate) timed_ns: i64,
    pub(crate) timed_at: Nanos,
    /// When the latest line was logged (`Nanos::MIN`: none), and its level: the span failed
    /// if it is an error.
    pub(crate) last_level_at: Nanos,
    pub(crate) last_level: Option<Level>,
    /// A status or an implied ancestor, once a line reports one.
    pub(crate) rare: Option<Box<RareSpanFields>>,
    pub(crate) error_lines: u32,
    pub(crate) lines: u32,
    pub(crate) call: CallKind,
}

impl Default for SpanAcc {
    fn default() -> SpanAcc {
        SpanAcc {
            service: None,
            label: None,
            label_is_message: false,
            parent: 0,
            first: Nanos::MAX,
            last: Nanos::MIN,
            timed_ns: i64::MIN,
            timed_at: 0,
            last_level_at: Nanos::MIN,
            last_level: None,
            rare: None,
            error_lines: 0,
            lines: 0,
            call: CallKind::Unknown,
        }
    }
}

/// What a span keeps of the fields most spans lack.
#[derive(Debug, Clone, PartialEq)]
pub struct RareSpanFields {
    /// The implied ancestor (ECS transaction), as a [`SpanId`] value (`0`: none).
    pub(crate) parent_hint: u64,
    /// The status of the latest line that reported one, and when it was logged (set
    /// together).
    pub(crate) status: Option<Box<str>>,
    pub(crate) status_at: Nanos,
}

impl Default for RareSpanFields {
    fn default() -> RareSpanFields {
        RareSpanFields {
            parent_hint: 0,
            status: None,
            status_at: Nanos::MIN,
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
    pub(crate) last_time: Nanos,
    /// Spans by id.
    pub(crate) spans: SpanStore,
    /// Lines without a span id, per service: one synthetic span each.
    pub(crate) unspanned: Vec<(String, SpanAcc)>,
    /// The first few error lines, for reports. Boxed on purpose: most traces have none, and
    /// an empty `Vec` in place costs 24 bytes per trace, the box 8.
    #[allow(clippy::box_collection)]
    pub(crate) error_samples: Option<Box<Vec<ErrorLine>>>,
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

pub(crate) fn keep_earliest(samples: &mut Vec<ErrorLine>) {
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
pub(crate) const SMALL_SPANS: usize = 16;

/// The spans of one trace by id: one span in place (most traces of a huge input are small,
/// and an allocation saved per trace counts), a small vector, or a map once the trace is
/// large.
#[derive(Debug, Clone)]
pub(crate) enum SpanStore {
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

impl PartialEq for SpanStore {
    /// The same spans, whatever the order they are held in (a merge moves the smaller side's
    /// spans into the larger's vector) and whether one is held in place or in a vector.
    fn eq(&self, other: &SpanStore) -> bool {
        fn sorted(store: &SpanStore) -> Vec<(SpanId, &SpanAcc)> {
            let mut spans: Vec<(SpanId, &SpanAcc)> = Vec::new();
            match store {
                SpanStore::One(id, span) => spans.push((*id, span)),
                SpanStore::Small(v) => spans.extend(v.iter().map(|(id, s)| (*id, s))),
                SpanStore::Large(m, _) => spans.extend(m.iter().map(|(id, s)| (*id, s))),
            }
            spans.sort_unstable_by_key(|&(id, _)| id);
            spans
        }
        let overflow = |store: &SpanStore| match store {
            SpanStore::Large(_, overflow) => overflow.as_deref().cloned(),
            _ => None,
        };
        sorted(self) == sorted(other) && overflow(self) == overflow(other)
    }
}

impl Default for SpanStore {
    fn default() -> SpanStore {
        SpanStore::Small(Vec::new())
    }
}

impl SpanStore {
    /// The span `id`, made if new; the overflow span once the trace holds
    /// [`MAX_SPANS_PER_TRACE`] spans and `id` is not one of them.
    pub(crate) fn entry(&mut self, id: SpanId) -> &mut SpanAcc {
        match self {
            SpanStore::Small(v) if v.is_empty() => *self = SpanStore::One(id, SpanAcc::default()),
            SpanStore::One(k, _) if *k != id => {
                if let SpanStore::One(k, span) = std::mem::take(self) {
                    // Room for the span about to come and two more: the first push would
                    // otherwise grow a vector of one to four at once, a copy and a free.
                    let mut spans = Vec::with_capacity(4);
                    spans.push((k, span));
                    *self = SpanStore::Small(spans);
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

    /// Calls `f` with each span's id and parent (`0`: none), in no particular order.
    pub(crate) fn for_each_link(&self, mut f: impl FnMut(SpanId, u64)) {
        match self {
            SpanStore::One(id, span) => f(*id, span.parent),
            SpanStore::Small(v) => v.iter().for_each(|(id, s)| f(*id, s.parent)),
            SpanStore::Large(m, _) => m.iter().for_each(|(id, s)| f(*id, s.parent)),
        }
    }

    /// Lines gathered in the overflow span.
    pub(crate) fn overflow_lines(&self) -> u64 {
        match self {
            SpanStore::Large(_, Some(overflow)) => u64::from(overflow.lines),
            _ => 0,
        }
    }

    /// Folds in `other`, whose lines came later in input order.
    pub(crate) fn merge(&mut self, other: SpanStore) {
        match (&mut *self, other) {
            (SpanStore::Small(mine), other) if mine.is_empty() => *self = other,
            // Both small: the spans go into the larger vector, grown once, each moved once
            // (growing a vector of 150-byte spans by doubling, then writing an empty span
            // and the real one over it, was 4 % of `--all` on 1 GB).
            (SpanStore::One(..) | SpanStore::Small(_), SpanStore::Small(theirs)) => {
                match std::mem::take(self) {
                    SpanStore::Small(mine) if mine.len() >= theirs.len() => {
                        *self = SpanStore::Small(mine);
                        self.absorb(theirs, false);
                    }
                    SpanStore::Small(mine) => {
                        *self = SpanStore::Small(theirs);
                        self.absorb(mine, true);
                    }
                    mine => {
                        *self = SpanStore::Small(theirs);
                        if let SpanStore::One(id, span) = mine {
                            self.absorb_one(id, span, true);
                        }
                    }
                }
            }
            (_, SpanStore::One(id, span)) => self.absorb_one(id, span, false),
            (_, SpanStore::Small(theirs)) => self.absorb(theirs, false),
            (_, SpanStore::Large(theirs, overflow)) => {
                theirs
                    .into_iter()
                    .for_each(|(id, span)| self.absorb_one(id, span, false));
                // `other` had the full count of spans, so `self` has too now and is a map.
                if let (Some(theirs), SpanStore::Large(_, mine)) = (overflow, &mut *self) {
                    match mine {
                        Some(mine) => mine.merge(*theirs),
                        None => *mine = Some(theirs),
                    }
                }
            }
        }
    }

    /// Folds in `spans`, made room for at once while the store stays a vector;
    /// `spans_first`: their lines came earlier in input order than the store's.
    fn absorb(&mut self, spans: Vec<(SpanId, SpanAcc)>, spans_first: bool) {
        if let SpanStore::Small(v) = self {
            if v.len() + spans.len() <= SMALL_SPANS {
                v.reserve(spans.len());
            }
        }
        for (id, span) in spans {
            self.absorb_one(id, span, spans_first);
        }
    }

    /// Folds in one span: moved in if new, else merged with the earlier side's fields
    /// winning.
    fn absorb_one(&mut self, id: SpanId, span: SpanAcc, span_first: bool) {
        if let SpanStore::Small(v) = self {
            if let Some((_, held)) = v.iter_mut().find(|(k, _)| *k == id) {
                Self::merge_span(held, span, span_first);
                return;
            }
            if v.len() < SMALL_SPANS && !v.is_empty() {
                v.push((id, span));
                return;
            }
        }
        let held = self.entry(id);
        if held.lines == 0 {
            *held = span;
        } else {
            Self::merge_span(held, span, span_first);
        }
    }

    fn merge_span(held: &mut SpanAcc, span: SpanAcc, span_first: bool) {
        if span_first {
            let later = std::mem::replace(held, span);
            held.merge(later);
        } else {
            held.merge(span);
        }
    }

    /// The spans, in no particular order, and the overflow span.
    pub(crate) fn into_parts(self) -> (Vec<(SpanId, SpanAcc)>, Option<SpanAcc>) {
        match self {
            SpanStore::One(id, span) => (vec![(id, span)], None),
            SpanStore::Small(v) => (v, None),
            SpanStore::Large(m, overflow) => (m.into_iter().collect(), overflow.map(|b| *b)),
        }
    }
}

impl SpanAcc {
    /// Adds a line. Text fields are read only while the span lacks them, so most lines cost
    /// no allocation; `service` names the service when the line does not.
    pub(crate) fn add(
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
        if let Some(hint) = ids.parent_hint {
            let rare = self.rare.get_or_insert_default();
            if rare.parent_hint == 0 {
                rare.parent_hint = hint.0;
            }
        }
        if level.is_some_and(|l| l >= Level::Error) {
            self.error_lines += 1;
        }
        if let Some(status) = d.status() {
            // Copied only when it changes: most spans report one status, on one line.
            let at = time.unwrap_or(Nanos::MIN);
            let rare = self.rare.get_or_insert_default();
            if at >= rare.status_at {
                rare.status_at = at;
                status.with_text(|text| {
                    if rare.status.as_deref() != Some(text) {
                        rare.status = Some(text.into());
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

    pub(crate) fn merge(&mut self, other: SpanAcc) {
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

        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        if other.timed_ns > self.timed_ns {
            (self.timed_ns, self.timed_at) = (other.timed_ns, other.timed_at);
        }
        if other.last_level_at >= self.last_level_at {
            (self.last_level_at, self.last_level) = (other.last_level_at, other.last_level);
        }
        match (&mut self.rare, other.rare) {
            (_, None) => {}
            (None, theirs) => self.rare = theirs,
            (Some(mine), Some(theirs)) => {
                if mine.parent_hint == 0 {
                    mine.parent_hint = theirs.parent_hint;
                }
                // Ties go to the later input, as they do line by line.
                if theirs.status.is_some() && theirs.status_at >= mine.status_at {
                    (mine.status_at, mine.status) = (theirs.status_at, theirs.status);
                }
            }
        }
    }

    pub(crate) fn into_node(mut self, id: Option<SpanId>, service_key: Option<String>) -> SpanNode {
        self.take_node(id, service_key)
    }

    /// [`SpanAcc::into_node`] in place: the texts are taken, nothing else is moved.
    pub(crate) fn take_node(
        &mut self,
        id: Option<SpanId>,
        service_key: Option<String>,
    ) -> SpanNode {
        let kind = if id.is_some() {
            SpanKind::Logged
        } else {
            SpanKind::Synthetic
        };
        let service = self
            .service
            .take()
            .map(String::from)
            .or(service_key)
            .unwrap_or_else(|| UNKNOWN_SERVICE.to_string());
        let mut node = new_node(id, kind, service);
        node.parent_id = (self.parent != 0).then_some(SpanId(self.parent));
        let rare = self.rare.as_deref_mut();
        let hint = rare.as_ref().map_or(0, |r| r.parent_hint);
        node.parent_hint = (hint != 0).then_some(SpanId(hint));
        node.status = rare.and_then(|r| r.status.take());
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
        node.name = self.label.take().map(String::from).unwrap_or_default();
        node.line_count = self.lines as usize;
        node.call = self.call;
        node
    }
}

impl TraceAcc {
    /// Folds in `other`, which came later in input order unless `other_first`.
    pub(crate) fn merge(&mut self, mut other: TraceAcc, other_first: bool) {
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
        link_nodes(self.nodes())
    }

    /// The span tree as far as a summary row needs it (see [`link_for_summary`]).
    pub fn tree_for_summary(self) -> SpanTree {
        link_for_summary(self.nodes())
    }

    /// The spans as unlinked nodes.
    fn nodes(self) -> Vec<SpanNode> {
        let (mut spans, overflow) = self.spans.into_parts();
        // By id, which keeps the tree deterministic; sorted through their indices, as an
        // accumulator is 144 bytes to move and an index 4.
        let mut order: Vec<(SpanId, u32)> =
            (0..spans.len()).map(|i| (spans[i].0, i as u32)).collect();
        order.sort_unstable();
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
                order
                    .into_iter()
                    .map(|(id, i)| spans[i as usize].1.take_node(Some(id), None)),
            )
            .chain(overflow);
        nodes.collect()
    }
}
