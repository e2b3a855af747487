//! Records: from the bytes of one log line to a small owned [`Record`].
//!
//! The stage owns the byte-level prefilter ([`scan`]), the field alias tables ([`fields`]), the
//! one-pass extractor ([`extract`]) and the decoders for ids, times, levels and durations. It
//! hands [`Record`]s to the traces stage and knows nothing of terminals.

pub mod block;
pub mod call;
pub mod continuation;
pub mod duration;
pub mod envelope;
pub mod extract;
pub mod fields;
pub mod geometry;
pub mod ids;
pub mod level;
pub mod lines;
pub mod payload;
pub mod prefilter;
pub mod scan;
pub mod service;
pub mod skim;
pub mod template;
pub mod time;
pub mod walk;
pub mod whole;

use crate::records::call::{call_kind, CallKind};
use crate::records::duration::{duration_from_number, parse_duration_text, DurationUnit};
use crate::records::extract::{Extracted, Found, Scalar};
use crate::records::fields::{Role, Slot};
use crate::records::ids::{
    decode_trace_field, parse_decimal_span, parse_hex_span, IdSyntax, SpanId, TraceKey,
};
use crate::records::level::{level_from_number, level_from_text, Level};
use crate::records::time::{epoch_float_to_nanos, epoch_int_to_nanos, parse_time_text, Nanos};

/// Index of an input source (a file or stdin) in the run's source list.
pub type SourceId = u32;

/// Where a record's line lives, to sort by and to print it from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineRef {
    /// The source.
    pub source: SourceId,
    /// Byte offset of the line's start in the (decompressed) source.
    pub offset: u64,
}

/// One log line of a trace, with what its fields say.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The trace the line belongs to.
    pub trace: TraceKey,
    /// The correlation id the line carries beside its trace id (a request id set by
    /// middleware): it links the lines that carry only that id to the trace.
    pub correlation: Option<TraceKey>,
    /// Its span.
    pub span: Option<SpanId>,
    /// The span's parent, as the line names it.
    pub parent: Option<SpanId>,
    /// A likely ancestor the line implies without naming a parent (ECS `transaction.id`):
    /// used to place the span in the tree, reported apart from logged parents.
    pub parent_hint: Option<SpanId>,
    /// When it was logged (UTC nanoseconds).
    pub time: Option<Nanos>,
    /// The duration the line reports, for the span it belongs to.
    pub duration_ns: Option<i64>,
    /// Severity.
    pub level: Option<Level>,
    /// The emitting service (the file name when the line names none).
    pub service: Option<String>,
    /// A logger name, used as the service when neither the line nor its source names one.
    pub service_hint: Option<String>,
    /// An operation name derived from the line's fields.
    pub name: Option<String>,
    /// The message.
    pub message: Option<String>,
    /// HTTP or gRPC status.
    pub status: Option<String>,
    /// A stack trace carried in the JSON.
    pub stack: Option<String>,
    /// What kind of call the line's span is.
    pub call: CallKind,
    /// Where the line is.
    pub line: LineRef,
    /// The line as read (without its line terminator).
    pub raw: Box<[u8]>,
    /// Non-JSON lines that followed it (stack traces), without terminators.
    pub continuation: Vec<Box<[u8]>>,
    /// The line was not valid UTF-8 and was decoded lossily.
    pub lossy_utf8: bool,
}

/// The fields of a line decoded into typed values; `Record` minus where the line lives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decoded {
    /// See [`Record::trace`].
    pub trace: Option<TraceKey>,
    /// See [`Record::correlation`].
    pub correlation: Option<TraceKey>,
    /// See [`Record::span`].
    pub span: Option<SpanId>,
    /// See [`Record::parent`].
    pub parent: Option<SpanId>,
    /// See [`Record::parent_hint`].
    pub parent_hint: Option<SpanId>,
    /// See [`Record::time`].
    pub time: Option<Nanos>,
    /// See [`Record::duration_ns`].
    pub duration_ns: Option<i64>,
    /// See [`Record::level`].
    pub level: Option<Level>,
    /// See [`Record::service`].
    pub service: Option<String>,
    /// See [`Record::service_hint`].
    pub service_hint: Option<String>,
    /// See [`Record::name`].
    pub name: Option<String>,
    /// See [`Record::message`].
    pub message: Option<String>,
    /// See [`Record::status`].
    pub status: Option<String>,
    /// See [`Record::stack`].
    pub stack: Option<String>,
    /// See [`Record::call`].
    pub call: CallKind,
    /// Text of the table's extra paths (`--where`), by index; empty unless asked for.
    pub extras: Vec<(u8, String)>,
}

/// Decodes only the trace id of an extracted line: the cheap question asked of every candidate.
/// Also returns the span and parent a propagation header names, when its trace is the line's.
pub fn decode_trace(e: &Extracted<'_>) -> (Option<TraceKey>, Option<SpanId>, Option<SpanId>) {
    let (plain, header) = (e.get(Slot::Trace), e.get(Slot::TraceHeader));
    // The better-ranked alias names the trace (a dedicated field beats a header, a header
    // beats a correlation id); a header that agrees still names the spans around the line.
    let header_wins = match (plain, header) {
        (Some(p), Some(h)) => h.rank < p.rank,
        (None, Some(_)) => true,
        _ => false,
    };
    let from_header = header.map(decode_found).unwrap_or_default();
    if header_wins {
        return from_header;
    }
    // Without a trace id, a correlation id is the line's only id: it keys the line.
    let Some(plain) = plain.or_else(|| e.get(Slot::Correlation)) else {
        return (None, None, None);
    };
    let (trace, span, parent) = decode_found(plain);
    let agree = match (&trace, &from_header.0) {
        (Some(a), Some(b)) => a.matches(b) || b.matches(a),
        _ => false,
    };
    if agree {
        (trace, from_header.1.or(span), from_header.2.or(parent))
    } else {
        (trace, span, parent)
    }
}

/// Decodes one trace alias's value by its syntax.
fn decode_found(found: &Found<'_>) -> (Option<TraceKey>, Option<SpanId>, Option<SpanId>) {
    let Role::Trace(syntax) = found.role else {
        return (None, None, None);
    };
    match (&found.value, syntax) {
        (Scalar::U64(v), IdSyntax::Decimal) => {
            ((*v != 0).then_some(TraceKey::Low64(*v)), None, None)
        }
        (Scalar::Bool(_) | Scalar::F64(_), _) => (None, None, None),
        (value, syntax) => {
            let d = decode_trace_field(&value.as_text(), syntax);
            (d.trace, d.span, d.parent)
        }
    }
}

fn text_of(e: &Extracted<'_>, slot: Slot) -> Option<String> {
    e.get(slot).map(|f| f.value.as_text().into_owned())
}

fn span_of(found: Option<&Found<'_>>) -> Option<SpanId> {
    let found = found?;
    let decimal = matches!(
        found.role,
        Role::Span { decimal: true } | Role::Parent { decimal: true }
    );
    match &found.value {
        Scalar::U64(v) => (*v != 0).then_some(SpanId(*v)),
        Scalar::Str(s) if decimal => parse_decimal_span(s).or_else(|| parse_hex_span(s)),
        Scalar::Str(s) => parse_hex_span(s),
        _ => None,
    }
}

fn time_of(e: &Extracted<'_>) -> Option<Nanos> {
    if let Some(found) = e.get(Slot::Time) {
        let t = match &found.value {
            Scalar::Str(s) => parse_time_text(s),
            Scalar::U64(v) => epoch_int_to_nanos(i128::from(*v)),
            Scalar::I64(v) => epoch_int_to_nanos(i128::from(*v)),
            Scalar::F64(v) => epoch_float_to_nanos(*v),
            Scalar::Bool(_) => None,
        };
        if t.is_some() {
            return t;
        }
    }
    let seconds = match &e.get(Slot::TimeSeconds)?.value {
        Scalar::U64(v) => i64::try_from(*v).ok()?,
        Scalar::Str(s) => s.parse().ok()?,
        _ => return None,
    };
    let nanos = match e.get(Slot::TimeNanos).map(|f| &f.value) {
        Some(Scalar::U64(v)) => i64::try_from(*v).ok()?,
        _ => 0,
    };
    let t = epoch_int_to_nanos(i128::from(seconds))?;
    t.checked_add(nanos)
}

fn level_of(e: &Extracted<'_>) -> Option<Level> {
    if let Some(found) = e.get(Slot::Level) {
        let scale = match found.role {
            Role::Level(scale) => scale,
            _ => return None,
        };
        let level = match &found.value {
            Scalar::Str(s) => level_from_text(s).or_else(|| {
                s.trim()
                    .parse::<i64>()
                    .ok()
                    .and_then(|n| level_from_number(n, scale))
            }),
            Scalar::U64(v) => i64::try_from(*v)
                .ok()
                .and_then(|n| level_from_number(n, scale)),
            Scalar::I64(v) => level_from_number(*v, scale),
            _ => None,
        };
        if level.is_some() {
            return level;
        }
    }
    // Datadog writes the level as `status`; HTTP statuses are numbers and are not levels.
    if let Some(Scalar::Str(s)) = e.get(Slot::Status).map(|f| &f.value) {
        if let Some(level) = level_from_text(s) {
            return Some(level);
        }
    }
    // Serilog CLEF omits `@l` for Information.
    if e.get(Slot::Time).is_some_and(|f| f.path_is_clef_time) {
        return Some(Level::Info);
    }
    None
}

fn duration_of(e: &Extracted<'_>) -> Option<i64> {
    let Some(found) = e.get(Slot::Duration) else {
        // A span record logged at its end with its start (Seq's `@st` beside `@t`).
        let start = match &e.get(Slot::SpanStart)?.value {
            Scalar::Str(s) => parse_time_text(s)?,
            _ => return None,
        };
        return time_of(e)?.checked_sub(start).filter(|d| *d >= 0);
    };
    let Role::Duration(unit) = found.role else {
        return None;
    };
    match &found.value {
        // A bare number written as a string is milliseconds in every library seen (EF Core's
        // `elapsed`, "took": "12"); numbers proper use the field's own unit.
        Scalar::Str(s) => parse_duration_text(s, DurationUnit::Millis),
        Scalar::U64(v) => duration_from_number(*v as f64, unit),
        Scalar::I64(v) => duration_from_number(*v as f64, unit),
        Scalar::F64(v) => duration_from_number(*v, unit),
        Scalar::Bool(_) => None,
    }
}

/// A status as a line reports it: a number, kept as one so that reading it allocates nothing
/// (`--all` reads the status of every line that has one), or text (`"UNAVAILABLE"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusValue<'a> {
    /// A number (`502`, gRPC `14`).
    Code(u64),
    /// Anything else, as logged.
    Text(std::borrow::Cow<'a, str>),
}

impl StatusValue<'_> {
    /// Calls `f` with the status as text (a number is written in a buffer on the stack).
    pub fn with_text<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            StatusValue::Text(t) => f(t),
            StatusValue::Code(n) => {
                let mut buf = [0u8; 20];
                let mut at = buf.len();
                let mut n = *n;
                loop {
                    at -= 1;
                    buf[at] = b'0' + (n % 10) as u8;
                    n /= 10;
                    if n == 0 {
                        break;
                    }
                }
                // Only ASCII digits were written.
                f(std::str::from_utf8(&buf[at..]).unwrap_or_default())
            }
        }
    }

    /// The status as owned text.
    pub fn into_string(self) -> String {
        match self {
            StatusValue::Code(n) => n.to_string(),
            StatusValue::Text(t) => t.into_owned(),
        }
    }
}

/// The HTTP or gRPC status of a line. Datadog's `status` holds the level (`"info"`): a level
/// word is not a status.
fn status_of<'e>(e: &'e Extracted<'_>) -> Option<StatusValue<'e>> {
    e.get(Slot::Status).and_then(|f| match &f.value {
        Scalar::Str(s) if level_from_text(s).is_some() => None,
        Scalar::Bool(_) => None,
        Scalar::U64(n) => Some(StatusValue::Code(*n)),
        v => Some(StatusValue::Text(v.as_text())),
    })
}

/// Longest operation name kept from a statement or URL, in characters.
const MAX_NAME_CHARS: usize = 80;

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_string(),
    }
}

fn name_of(e: &Extracted<'_>) -> Option<String> {
    if let Some(name) = text_of(e, Slot::Name) {
        return Some(truncate_chars(&name, MAX_NAME_CHARS));
    }
    if let (Some(service), Some(method)) =
        (text_of(e, Slot::GrpcService), text_of(e, Slot::GrpcMethod))
    {
        return Some(format!("{service}/{method}"));
    }
    if let Some(path) = text_of(e, Slot::HttpPath) {
        let name = match text_of(e, Slot::HttpMethod) {
            Some(method) => format!("{method} {path}"),
            None => path,
        };
        return Some(truncate_chars(&name, MAX_NAME_CHARS));
    }
    text_of(e, Slot::DbStatement).map(|s| truncate_chars(&s, MAX_NAME_CHARS))
}

fn text_cow<'a>(f: Option<&'a Found<'_>>) -> Option<std::borrow::Cow<'a, str>> {
    f.map(|f| f.value.as_text())
}

/// The logger's name as a service hint. A Rust `tracing`/`log` target is a module path
/// (`checkout::orders::pricing`): its crate, the first segment, is the service, not each module.
fn service_hint_of(e: &Extracted<'_>) -> Option<String> {
    let hint = text_of(e, Slot::ServiceHint)?;
    match hint.split_once("::") {
        Some((krate, _)) if !krate.is_empty() => Some(krate.to_string()),
        _ => Some(hint),
    }
}

/// bunyan's `name` when the line is bunyan's (its record version `v: 0` beside it): the
/// application's name, unlike the component or sub-logger names other libraries write there.
fn bunyan_name(e: &Extracted<'_>) -> Option<String> {
    let is_bunyan = matches!(e.get(Slot::BunyanVersion)?.value, Scalar::U64(0));
    let hint = e.get(Slot::ServiceHint)?;
    // `name` is the first service hint alias: its rank, less what an envelope took off it
    // (a bunyan line inside Docker's `log`), says the hint came from it.
    let rank = hint
        .rank
        .rem_euclid(crate::records::extract::DEPTH_RANK_STEP);
    (is_bunyan && rank == crate::records::fields::first_rank_of(Role::ServiceHint))
        .then(|| hint.value.as_text().into_owned())
}

/// What kind of call the line's span is; costs nothing on lines without the fields that tell.
fn call_of(e: &Extracted<'_>) -> CallKind {
    let kind = e.get(Slot::SpanKind);
    let destination = e.get(Slot::MessagingDestination);
    let database = e.get(Slot::DbSystem).is_some() || e.get(Slot::DbStatement).is_some();
    if kind.is_none() && destination.is_none() && !database {
        return CallKind::Unknown;
    }
    let operation = text_cow(e.get(Slot::MessagingOperation));
    let message = text_cow(e.get(Slot::Message));
    call_kind(
        text_cow(kind).as_deref(),
        text_cow(destination).as_deref(),
        operation.as_deref(),
        database,
        message.as_deref(),
    )
}

/// The ids of a line: trace, span, the parent it names, and an implied ancestor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineIds {
    /// See [`Record::trace`].
    pub trace: Option<TraceKey>,
    /// See [`Record::correlation`].
    pub correlation: Option<TraceKey>,
    /// See [`Record::span`].
    pub span: Option<SpanId>,
    /// See [`Record::parent`].
    pub parent: Option<SpanId>,
    /// See [`Record::parent_hint`].
    pub parent_hint: Option<SpanId>,
}

/// Decodes the ids of an extracted line (no allocation but for opaque correlation ids).
pub fn decode_ids(e: &Extracted<'_>) -> LineIds {
    let (trace, header_span, header_parent) = decode_trace(e);
    let correlation = correlation_of(e, trace.as_ref());
    let mut span = span_of(e.get(Slot::Span));
    let mut parent = span_of(e.get(Slot::Parent)).or(header_parent);
    let transaction = span_of(e.get(Slot::Transaction));
    match (span, header_span) {
        (None, hs) => span = hs,
        // A logged traceparent next to the line's own span id names the caller.
        (Some(own), Some(hs)) if own != hs && parent.is_none() => parent = Some(hs),
        _ => {}
    }
    let mut parent_hint = None;
    match (span, transaction) {
        (None, t) => span = t,
        // ECS: a span inside a transaction descends from it, not always as a direct child.
        (Some(own), Some(t)) if own != t => parent_hint = Some(t),
        _ => {}
    }
    LineIds {
        trace,
        correlation,
        span,
        parent: parent.filter(|p| Some(*p) != span),
        parent_hint,
    }
}

/// The correlation id beside a line's trace id (`None` when it is the line's only id, or the
/// same id spelled again, as legacy services forward the trace id as their correlation id).
fn correlation_of(e: &Extracted<'_>, trace: Option<&TraceKey>) -> Option<TraceKey> {
    let found = e.get(Slot::Correlation)?;
    let trace = trace?;
    let (key, _, _) = decode_found(found);
    // A short id (pino-http's per-process request counter: 1, 2, 3…) names no request.
    key.filter(|k| !matches!(k, TraceKey::Opaque(s) if s.len() < MIN_CORRELATION_CHARS))
        .filter(|k| !k.matches(trace) && !trace.matches(k))
}

/// Correlation ids shorter than this are not followed to other lines.
const MIN_CORRELATION_CHARS: usize = 8;

/// The fields of a line, however they are held: owned ([`Decoded`]) or borrowed
/// ([`LineView`]). Text comes back owned, and only when asked for.
pub trait LineFields {
    /// The ids.
    fn ids(&self) -> LineIds;
    /// The time.
    fn time(&self) -> Option<Nanos>;
    /// The duration the line reports.
    fn duration_ns(&self) -> Option<i64>;
    /// The level.
    fn level(&self) -> Option<Level>;
    /// The service.
    fn service(&self) -> Option<String>;
    /// A logger name.
    fn service_hint(&self) -> Option<String>;
    /// The operation name.
    fn name(&self) -> Option<String>;
    /// The message.
    fn message(&self) -> Option<String>;
    /// What kind of call the line's span is.
    fn call(&self) -> CallKind;
    /// The HTTP or gRPC status (read for a span's outcome on every line of `--all`, so it
    /// does not allocate).
    fn status(&self) -> Option<StatusValue<'_>>;
}

impl LineFields for Decoded {
    fn ids(&self) -> LineIds {
        LineIds {
            trace: self.trace.clone(),
            correlation: self.correlation.clone(),
            span: self.span,
            parent: self.parent,
            parent_hint: self.parent_hint,
        }
    }
    fn time(&self) -> Option<Nanos> {
        self.time
    }
    fn duration_ns(&self) -> Option<i64> {
        self.duration_ns
    }
    fn level(&self) -> Option<Level> {
        self.level
    }
    fn service(&self) -> Option<String> {
        self.service.clone()
    }
    fn service_hint(&self) -> Option<String> {
        self.service_hint.clone()
    }
    fn name(&self) -> Option<String> {
        self.name.clone()
    }
    fn message(&self) -> Option<String> {
        self.message.clone()
    }
    fn call(&self) -> CallKind {
        self.call
    }
    fn status(&self) -> Option<StatusValue<'_>> {
        self.status
            .as_deref()
            .map(|s| StatusValue::Text(std::borrow::Cow::Borrowed(s)))
    }
}

impl LineFields for LineView<'_> {
    fn ids(&self) -> LineIds {
        decode_ids(self.e)
    }
    fn time(&self) -> Option<Nanos> {
        time_of(self.e).or(self.env.time)
    }
    fn duration_ns(&self) -> Option<i64> {
        duration_of(self.e)
    }
    fn level(&self) -> Option<Level> {
        level_of(self.e).or(self.env.level)
    }
    fn service(&self) -> Option<String> {
        text_of(self.e, Slot::Service)
            .or_else(|| self.env.service())
            .or_else(|| bunyan_name(self.e))
    }
    fn service_hint(&self) -> Option<String> {
        service_hint_of(self.e)
    }
    fn name(&self) -> Option<String> {
        name_of(self.e)
    }
    fn message(&self) -> Option<String> {
        self.message_text().map(std::borrow::Cow::into_owned)
    }
    fn call(&self) -> CallKind {
        call_of(self.e)
    }
    fn status(&self) -> Option<StatusValue<'_>> {
        status_of(self.e)
    }
}

/// A line handed to a sink: borrowed from the input, or decoded from a whole-trace document.
pub enum AnyLine<'a> {
    /// A log line, viewed in place.
    View(&'a LineView<'a>),
    /// A span or log record of a whole-trace document.
    Decoded(&'a Decoded),
}

impl AnyLine<'_> {
    /// The line as logged (the JSON inside any envelope), when there is one line.
    pub fn payload(&self) -> Option<&[u8]> {
        match self {
            AnyLine::View(v) => Some(v.payload()),
            AnyLine::Decoded(_) => None,
        }
    }

    /// The message, borrowed where possible.
    pub fn message_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            AnyLine::View(v) => v.message_text(),
            AnyLine::Decoded(d) => d.message.as_deref().map(std::borrow::Cow::Borrowed),
        }
    }

    /// The service the line names (in its JSON or its envelope), borrowed where possible.
    pub fn service_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            AnyLine::View(v) => {
                v.e.get(Slot::Service)
                    .map(|f| f.value.as_text())
                    .or_else(|| v.env.service().map(std::borrow::Cow::Owned))
            }
            AnyLine::Decoded(d) => d.service.as_deref().map(std::borrow::Cow::Borrowed),
        }
    }

    /// Values of the table's extra paths, by index.
    pub fn extras(&self) -> Vec<(u8, std::borrow::Cow<'_, str>)> {
        match self {
            AnyLine::View(v) => v.extras().collect(),
            AnyLine::Decoded(d) => d
                .extras
                .iter()
                .map(|(i, s)| (*i, std::borrow::Cow::Borrowed(s.as_str())))
                .collect(),
        }
    }
}

impl LineFields for AnyLine<'_> {
    fn ids(&self) -> LineIds {
        match self {
            AnyLine::View(v) => v.ids(),
            AnyLine::Decoded(d) => d.ids(),
        }
    }
    fn time(&self) -> Option<Nanos> {
        match self {
            AnyLine::View(v) => v.time(),
            AnyLine::Decoded(d) => d.time(),
        }
    }
    fn duration_ns(&self) -> Option<i64> {
        match self {
            AnyLine::View(v) => v.duration_ns(),
            AnyLine::Decoded(d) => d.duration_ns(),
        }
    }
    fn level(&self) -> Option<Level> {
        match self {
            AnyLine::View(v) => v.level(),
            AnyLine::Decoded(d) => d.level(),
        }
    }
    fn service(&self) -> Option<String> {
        match self {
            AnyLine::View(v) => v.service(),
            AnyLine::Decoded(d) => d.service(),
        }
    }
    fn service_hint(&self) -> Option<String> {
        match self {
            AnyLine::View(v) => v.service_hint(),
            AnyLine::Decoded(d) => d.service_hint(),
        }
    }
    fn name(&self) -> Option<String> {
        match self {
            AnyLine::View(v) => v.name(),
            AnyLine::Decoded(d) => d.name(),
        }
    }
    fn message(&self) -> Option<String> {
        match self {
            AnyLine::View(v) => LineFields::message(*v),
            AnyLine::Decoded(d) => LineFields::message(*d),
        }
    }
    fn call(&self) -> CallKind {
        match self {
            AnyLine::View(v) => v.call(),
            AnyLine::Decoded(d) => d.call,
        }
    }
    fn status(&self) -> Option<StatusValue<'_>> {
        match self {
            AnyLine::View(v) => v.status(),
            AnyLine::Decoded(d) => d.status(),
        }
    }
}

/// A decoded view of one line that borrows from it: cheap fields are computed on demand, and
/// text fields are only copied when asked for. Used where most lines are summed up rather
/// than kept (views of all traces).
pub struct LineView<'v> {
    e: &'v Extracted<'v>,
    env: &'v envelope::Envelope<'v>,
}

impl<'v> LineView<'v> {
    /// A view of an extracted line inside its envelope.
    pub fn new(e: &'v Extracted<'v>, env: &'v envelope::Envelope<'v>) -> LineView<'v> {
        LineView { e, env }
    }

    /// The application's JSON line, inside its envelopes.
    pub fn payload(&self) -> &[u8] {
        self.env.payload
    }

    /// The extracted fields.
    pub fn extracted(&self) -> &Extracted<'v> {
        self.e
    }

    /// The message, borrowed when it had no escapes and is no template (a Serilog `@mt` is
    /// rendered with the line's properties, which costs a parse of the line: only here, when
    /// the message is asked for).
    pub fn message_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        let found = self.e.get(Slot::Message)?;
        let text = found.value.as_text();
        if found.role == Role::Template && text.contains('{') {
            return Some(template::render_with_line(&text, self.env.payload).into());
        }
        Some(text)
    }

    /// Values of the table's extra paths, by index.
    pub fn extras(&self) -> impl Iterator<Item = (u8, std::borrow::Cow<'_, str>)> {
        self.e.extras.iter().map(|(i, v)| (*i, v.as_text()))
    }

    /// Every field, owned.
    pub fn decode(&self) -> Decoded {
        let mut d = decode(self.e);
        if self
            .e
            .get(Slot::Message)
            .is_some_and(|f| f.role == Role::Template)
        {
            d.message = self.message_text().map(std::borrow::Cow::into_owned);
        }
        d.time = d.time.or(self.env.time);
        d.level = d.level.or(self.env.level);
        if d.service.is_none() {
            d.service = self.env.service();
        }
        d
    }
}

/// Decodes every field of an extracted line.
pub fn decode(e: &Extracted<'_>) -> Decoded {
    let LineIds {
        trace,
        correlation,
        span,
        parent,
        parent_hint,
    } = decode_ids(e);
    let status = status_of(e).map(StatusValue::into_string);
    Decoded {
        trace,
        correlation,
        span,
        parent,
        parent_hint,
        time: time_of(e),
        duration_ns: duration_of(e),
        level: level_of(e),
        service: text_of(e, Slot::Service).or_else(|| bunyan_name(e)),
        service_hint: service_hint_of(e),
        name: name_of(e),
        message: text_of(e, Slot::Message),
        status,
        stack: text_of(e, Slot::Stack),
        call: call_of(e),
        extras: e
            .extras
            .iter()
            .map(|(i, v)| (*i, v.as_text().into_owned()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::extract::extract;
    use crate::records::fields::{FieldOverrides, FieldTable};

    fn ids(line: &str) -> LineIds {
        let table = FieldTable::new(&FieldOverrides::default());
        decode_ids(&extract(line.as_bytes(), &table).expect("JSON"))
    }

    #[test]
    fn a_logged_header_names_the_caller_next_to_the_lines_own_ids() {
        let own = r#""trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"defd0d02d9ff6714""#;
        let header = r#""req":{"headers":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-820426c428368cee-01"}}"#;
        let both = ids(&format!("{{{own},{header}}}"));
        assert_eq!(both.span, Some(SpanId(0xdefd0d02d9ff6714)));
        assert_eq!(both.parent, Some(SpanId(0x820426c428368cee)));
        // A header of another trace says nothing about this line's spans.
        let other = header.replace(
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "0af7651916cd43dd8448eb211c80319c",
        );
        let apart = ids(&format!("{{{own},{other}}}"));
        assert_eq!(
            apart.trace,
            Some(TraceKey::Full(0x4bf92f3577b34da6a3ce929d0e0e4736))
        );
        assert_eq!(apart.parent, None);
        // Alone, the header is the trace and its span the line's.
        let alone = ids(&format!("{{{header}}}"));
        assert_eq!(
            alone.trace,
            Some(TraceKey::Full(0x4bf92f3577b34da6a3ce929d0e0e4736))
        );
        assert_eq!(alone.span, Some(SpanId(0x820426c428368cee)));
    }
}
