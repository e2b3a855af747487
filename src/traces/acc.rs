//! What is kept of each trace while every line is read: per-span and per-trace accumulators
//! small enough for a million traces, and the first error lines. [`crate::traces::group`] keeps
//! them by trace id.

use crate::records::call::CallKind;
use crate::records::ids::{SpanId, TraceKey};
use crate::records::level::Level;

use crate::records::time::Nanos;
use crate::records::LineFields;
pub(crate) use crate::traces::span_store::SpanStore;
pub use crate::traces::span_store::MAX_SPANS_PER_TRACE;
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
        // accumulator is 120 bytes to move and an index 4.
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
