//! The spans of one trace while every line is read, by span id: most traces have a few, so
//! they sit in place or in a short vector; a large trace's go into a map, up to a cap.

use rustc_hash::FxHashMap as HashMap;

use crate::records::ids::SpanId;
use crate::traces::acc::SpanAcc;

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
            // (growing a vector of 120-byte spans by doubling, then writing an empty span
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
