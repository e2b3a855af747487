//! Decoding an extracted line's fields: ids (trace, span, parent, correlation), time, level,
//! duration, status, the operation's name, the service and the kind of call. Each decoder reads
//! the slots the alias table filled and costs nothing for fields a line does not have.

use crate::records::call::{call_kind, CallKind};
use crate::records::duration::{duration_from_number, parse_duration_text, DurationUnit};
use crate::records::extract::{slot_mask, Extracted, Found, Scalar};
use crate::records::fields::{Role, Slot};
use crate::records::ids::{
    decode_trace_field, parse_decimal_span, parse_hex_span, IdSyntax, SpanId, TraceKey,
};
use crate::records::level::{level_from_number, level_from_text, Level};
use crate::records::time::{epoch_float_to_nanos, epoch_int_to_nanos, parse_time_text, Nanos};
use crate::records::Decoded;

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
pub(crate) fn decode_found(
    found: &Found<'_>,
) -> (Option<TraceKey>, Option<SpanId>, Option<SpanId>) {
    let Role::Trace(syntax) = found.role else {
        return (None, None, None);
    };
    match (&found.value, syntax) {
        (Scalar::U64(v), IdSyntax::Decimal) => {
            ((*v != 0).then_some(TraceKey::Low64(*v)), None, None)
        }
        (Scalar::Bool(_) | Scalar::F64(_), _) => (None, None, None),
        (Scalar::Str(text), syntax) => LAST_ID.with(|cell| match cell.try_borrow_mut() {
            Ok(mut last) => last.decode(text, syntax),
            Err(_) => decode_text(text, syntax),
        }),
        (value, syntax) => decode_text(&value.as_text(), syntax),
    }
}

fn decode_text(text: &str, syntax: IdSyntax) -> (Option<TraceKey>, Option<SpanId>, Option<SpanId>) {
    let d = decode_trace_field(text, syntax);
    (d.trace, d.span, d.parent)
}

/// The longest id text [`LastId`] remembers (a traceparent is 55 bytes).
const LAST_ID_CAPACITY: usize = 64;

/// The last id text a thread decoded and what it decoded to: most lines carry the trace id
/// of the line before them (two in three in the generator's logs), which is then compared,
/// not parsed again.
struct LastId {
    syntax: Option<IdSyntax>,
    len: usize,
    text: [u8; LAST_ID_CAPACITY],
    decoded: (Option<TraceKey>, Option<SpanId>, Option<SpanId>),
}

impl LastId {
    fn decode(
        &mut self,
        text: &str,
        syntax: IdSyntax,
    ) -> (Option<TraceKey>, Option<SpanId>, Option<SpanId>) {
        let bytes = text.as_bytes();
        if self.syntax == Some(syntax)
            && self
                .text
                .get(..self.len)
                .is_some_and(|last| crate::records::bytes::same(last, bytes))
        {
            return self.decoded.clone();
        }
        let decoded = decode_text(text, syntax);
        if let Some(place) = self.text.get_mut(..bytes.len()) {
            place.copy_from_slice(bytes);
            (self.syntax, self.len, self.decoded) = (Some(syntax), bytes.len(), decoded.clone());
        }
        decoded
    }
}

thread_local! {
    static LAST_ID: std::cell::RefCell<LastId> = const {
        std::cell::RefCell::new(LastId {
            syntax: None,
            len: 0,
            text: [0; LAST_ID_CAPACITY],
            decoded: (None, None, None),
        })
    };
}

pub(crate) fn text_of(e: &Extracted<'_>, slot: Slot) -> Option<String> {
    e.get(slot).map(|f| f.value.as_text().into_owned())
}

pub(crate) fn span_of(found: Option<&Found<'_>>) -> Option<SpanId> {
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

pub(crate) fn time_of(e: &Extracted<'_>) -> Option<Nanos> {
    // A split time of the record inside an envelope beats the envelope's own time (a Docker
    // `time` around a line with `timestamp.seconds`).
    let depth = |rank: i32| rank.div_euclid(crate::records::extract::DEPTH_RANK_STEP);
    let split_is_deeper = match (e.get(Slot::Time), e.get(Slot::TimeSeconds)) {
        (Some(t), Some(s)) => depth(s.rank) < depth(t.rank),
        _ => false,
    };
    if split_is_deeper {
        if let Some(t) = split_time(e) {
            return Some(t);
        }
    }
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
    split_time(e)
}

/// A time split into whole seconds and nanoseconds (GCP's `{"seconds":…,"nanos":…}`).
fn split_time(e: &Extracted<'_>) -> Option<Nanos> {
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

pub(crate) fn level_of(e: &Extracted<'_>) -> Option<Level> {
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

pub(crate) fn duration_of(e: &Extracted<'_>) -> Option<i64> {
    const DURATION: u32 = slot_mask(&[Slot::Duration, Slot::SpanStart]);
    if !e.has_any(DURATION) {
        return None;
    }
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
pub(crate) fn status_of<'e>(e: &'e Extracted<'_>) -> Option<StatusValue<'e>> {
    e.get(Slot::Status).and_then(|f| match &f.value {
        Scalar::Str(s) if level_from_text(s).is_some() => None,
        Scalar::Bool(_) => None,
        Scalar::U64(n) => Some(StatusValue::Code(*n)),
        v => Some(StatusValue::Text(v.as_text())),
    })
}

/// Longest operation name kept from a statement or URL, in characters.
const MAX_NAME_CHARS: usize = 80;

/// `s` cut to `max` characters (with `…`), owned: text already owned is not copied again.
pub(crate) fn truncate_chars(s: std::borrow::Cow<'_, str>, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.into_owned(),
    }
}

/// The operation name, copied once from the line's text (names are read on a span's first
/// lines, a quarter of all lines in `--all`).
pub(crate) fn name_of(e: &Extracted<'_>) -> Option<String> {
    const NAMING: u32 = slot_mask(&[
        Slot::Name,
        Slot::GrpcService,
        Slot::HttpPath,
        Slot::DbStatement,
    ]);
    if !e.has_any(NAMING) {
        return None;
    }
    let text = |slot| e.get(slot).map(|f| f.value.as_text());
    if let Some(name) = text(Slot::Name) {
        return Some(truncate_chars(name, MAX_NAME_CHARS));
    }
    if let (Some(service), Some(method)) = (text(Slot::GrpcService), text(Slot::GrpcMethod)) {
        return Some(format!("{service}/{method}"));
    }
    if let Some(path) = text(Slot::HttpPath) {
        return Some(match text(Slot::HttpMethod) {
            Some(method) => truncate_chars(format!("{method} {path}").into(), MAX_NAME_CHARS),
            None => truncate_chars(path, MAX_NAME_CHARS),
        });
    }
    text(Slot::DbStatement).map(|s| truncate_chars(s, MAX_NAME_CHARS))
}

pub(crate) fn text_cow<'a>(f: Option<&'a Found<'_>>) -> Option<std::borrow::Cow<'a, str>> {
    f.map(|f| f.value.as_text())
}

/// The logger's name as a service hint. A Rust `tracing`/`log` target is a module path
/// (`checkout::orders::pricing`): its crate, the first segment, is the service, not each module.
pub(crate) fn service_hint_of(e: &Extracted<'_>) -> Option<String> {
    let hint = text_of(e, Slot::ServiceHint)?;
    match hint.split_once("::") {
        Some((krate, _)) if !krate.is_empty() => Some(krate.to_string()),
        _ => Some(hint),
    }
}

/// bunyan's `name` when the line is bunyan's (its record version `v: 0` beside it): the
/// application's name, unlike the component or sub-logger names other libraries write there.
pub(crate) fn bunyan_name(e: &Extracted<'_>) -> Option<String> {
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
pub(crate) fn call_of(e: &Extracted<'_>) -> CallKind {
    const CALLING: u32 = slot_mask(&[
        Slot::SpanKind,
        Slot::MessagingDestination,
        Slot::DbSystem,
        Slot::DbStatement,
    ]);
    if !e.has_any(CALLING) {
        return CallKind::Unknown;
    }
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
pub(crate) fn correlation_of(e: &Extracted<'_>, trace: Option<&TraceKey>) -> Option<TraceKey> {
    let found = e.get(Slot::Correlation)?;
    let trace = trace?;
    let (key, _, _) = decode_found(found);
    // A short id (pino-http's per-process request counter: 1, 2, 3…) names no request.
    key.filter(|k| !matches!(k, TraceKey::Opaque(s) if s.len() < MIN_CORRELATION_CHARS))
        .filter(|k| !k.matches(trace) && !trace.matches(k))
}

/// Correlation ids shorter than this are not followed to other lines.
const MIN_CORRELATION_CHARS: usize = 8;

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
    use std::borrow::Cow;

    #[test]
    fn an_id_decoded_again_is_the_same_whatever_came_before() {
        let long = format!("projects/p/traces/{}", "ab".repeat(16));
        let texts = [
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "order-42",
            "order-42",
            long.as_str(),
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "12345678901234567890",
        ];
        let syntaxes = [
            IdSyntax::Hex,
            IdSyntax::Traceparent,
            IdSyntax::Decimal,
            IdSyntax::B3,
            IdSyntax::Correlation,
        ];
        for syntax in syntaxes {
            for text in texts.iter().chain(texts.iter().rev()) {
                let found = Found {
                    role: Role::Trace(syntax),
                    rank: 0,
                    path_is_clef_time: false,
                    value: Scalar::Str(Cow::Borrowed(text)),
                };
                assert_eq!(decode_found(&found), decode_text(text, syntax), "{text}");
            }
        }
    }
}
