//! Trace and span identifiers: parsing every spelling the logs use into one canonical form.
//!
//! A trace id is kept as a [`TraceKey`]: a full 128-bit id, only its low 64 bits (Datadog
//! decimal ids, B3 64-bit ids), or an opaque correlation string. Matching follows
//! `log-formats.md` §10: a 64-bit-only id joins a 128-bit trace on its low half.

use crate::records::hex::{parse_hex_u128, parse_hex_u64};
use std::fmt;

/// A span id: 64 bits, printed as 16 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpanId(pub u64);

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// The trace a log line belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TraceKey {
    /// A full 128-bit id (W3C, OTel, X-Ray, GCP, GUID spellings).
    Full(u128),
    /// Only the low 64 bits are known (Datadog decimal, B3 64-bit, short Jaeger ids).
    Low64(u64),
    /// A correlation id that is not hex: compared as text, ASCII case-insensitively.
    Opaque(Box<str>),
}

impl TraceKey {
    /// The low 64 bits, when the key is numeric.
    pub fn low64(&self) -> Option<u64> {
        match self {
            TraceKey::Full(v) => Some(*v as u64),
            TraceKey::Low64(v) => Some(*v),
            TraceKey::Opaque(_) => None,
        }
    }

    /// Whether a line carrying `self` belongs to the trace asked for by `query`.
    ///
    /// Two full ids must be equal; a 64-bit-only id on either side joins on the low half.
    pub fn matches(&self, query: &TraceKey) -> bool {
        match (self, query) {
            (TraceKey::Full(a), TraceKey::Full(b)) => a == b,
            (TraceKey::Opaque(a), TraceKey::Opaque(b)) => a.eq_ignore_ascii_case(b),
            (TraceKey::Opaque(_), _) | (_, TraceKey::Opaque(_)) => false,
            (a, b) => a.low64() == b.low64(),
        }
    }
}

impl fmt::Display for TraceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceKey::Full(v) => f.write_str(hex_text(&mut [0; 32], *v)),
            TraceKey::Low64(v) => f.write_str(hex_text(&mut [0; 16], u128::from(*v))),
            TraceKey::Opaque(s) => f.write_str(s),
        }
    }
}

impl TraceKey {
    /// The key spelled as a correlation id: a 128-bit one as a dashed UUID, as middleware
    /// writes them; others as [`fmt::Display`] does.
    pub fn correlation_text(&self) -> String {
        match self {
            TraceKey::Full(_) => {
                let hex = self.to_string();
                format!(
                    "{}-{}-{}-{}-{}",
                    &hex[..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..]
                )
            }
            _ => self.to_string(),
        }
    }
}

/// `v` as lowercase hex, zero-padded to the buffer's length (tables print a million ids, and
/// the general formatter is several times slower than this).
fn hex_text(buf: &mut [u8], mut v: u128) -> &str {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in buf.iter_mut().rev() {
        *b = DIGITS[(v & 0xf) as usize];
        v >>= 4;
    }
    // Only ASCII hex digits were written.
    std::str::from_utf8(buf).unwrap_or_default()
}

/// How the value of an id field is spelled, which decides how it is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdSyntax {
    /// Hex (any case, dashes of a GUID allowed), or a GCP `projects/P/traces/ID` path.
    Hex,
    /// Datadog: decimal (string or number), or 32 hex for 128-bit ids.
    Decimal,
    /// W3C `traceparent` (also `sentry-trace`): `00-trace-span-flags`.
    Traceparent,
    /// AWS X-Ray: `1-5759e988-bd862e3fe1be46a994272793`, or a `Root=…;Parent=…` header.
    XRay,
    /// B3 single header: `trace-span-sampled-parent`.
    B3,
    /// Jaeger `uber-trace-id`: `trace:span:parent:flags`.
    Uber,
    /// A correlation id: hex or a GUID becomes a numeric key, anything else stays opaque.
    Correlation,
}

/// What one id field said: a trace, and for header forms a span and parent too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodedIds {
    /// The trace, if the value held a valid one.
    pub trace: Option<TraceKey>,
    /// The span the header names (W3C part 3, B3 span, Jaeger span).
    pub span: Option<SpanId>,
    /// The parent the header names (B3, Jaeger, X-Ray `Parent=`).
    pub parent: Option<SpanId>,
}

/// Strips the dashes of a `8-4-4-4-12` GUID; other strings come back unchanged.
fn undash_guid(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    let mut out = [0u8; 32];
    let mut n = 0;
    for &c in b {
        if c != b'-' {
            if n == 32 {
                return None;
            }
            out[n] = c;
            n += 1;
        }
    }
    (n == 32).then_some(out)
}

/// A hex trace id (GUID dashes and GCP path allowed) as a key; all-zero ids are no id.
pub fn parse_hex_trace(value: &str) -> Option<TraceKey> {
    // Most ids are 32 bare hex digits: nothing to trim, no path, no dashes.
    if value.len() == 32 {
        if let Some(v) = parse_hex_u128(value) {
            return (v != 0).then_some(TraceKey::Full(v));
        }
    }
    parse_any_hex_trace(value)
}

/// [`parse_hex_trace`] for every spelling it takes.
fn parse_any_hex_trace(value: &str) -> Option<TraceKey> {
    let mut s = value.trim();
    // Only GCP paths (`projects/P/traces/ID`) have a slash; skip the substring search otherwise.
    if s.as_bytes().contains(&b'/') {
        if let Some(pos) = s.rfind("/traces/") {
            s = &s[pos + "/traces/".len()..];
        }
    }
    let guid;
    if let Some(bytes) = undash_guid(s) {
        guid = bytes;
        // The buffer holds only bytes copied from a &str that were not '-', all ASCII hex
        // if the id is valid; from_utf8 rejects anything else.
        s = std::str::from_utf8(&guid).ok()?;
    }
    let v = parse_hex_u128(s)?;
    if v == 0 {
        return None;
    }
    Some(if s.len() <= 16 {
        TraceKey::Low64(v as u64)
    } else {
        TraceKey::Full(v)
    })
}

/// A decimal id (Datadog): ≤ u64 gives the low half only; longer gives a full id.
pub fn parse_decimal_trace(value: &str) -> Option<TraceKey> {
    let s = value.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() <= 20 {
        if let Ok(v) = s.parse::<u64>() {
            return (v != 0).then_some(TraceKey::Low64(v));
        }
    }
    let v: u128 = s.parse().ok()?;
    (v != 0).then_some(TraceKey::Full(v))
}

/// A span id: 16 hex (shorter is left-padded); all zeros and `"0"` are no id.
pub fn parse_hex_span(value: &str) -> Option<SpanId> {
    // Most span ids are 16 bare hex digits: nothing to trim.
    if value.len() == 16 {
        if let Some(v) = parse_hex_u64(value.as_bytes()) {
            return (v != 0).then_some(SpanId(v));
        }
    }
    parse_any_hex_span(value)
}

/// [`parse_hex_span`] for every spelling it takes.
fn parse_any_hex_span(value: &str) -> Option<SpanId> {
    let s = value.trim();
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    let v = parse_hex_u64(s.as_bytes())?;
    (v != 0).then_some(SpanId(v))
}

/// A decimal span id (Datadog `dd.span_id`).
pub fn parse_decimal_span(value: &str) -> Option<SpanId> {
    let v: u64 = value.trim().parse().ok()?;
    (v != 0).then_some(SpanId(v))
}

/// Decodes the text of an id field written in `syntax`.
pub fn decode_trace_field(value: &str, syntax: IdSyntax) -> DecodedIds {
    let mut out = DecodedIds::default();
    match syntax {
        // A value that is not an id of the field's syntax is still some service's trace
        // (`"trace_id": "order-42"`, .NET hierarchical ids): kept as an opaque string.
        IdSyntax::Hex => out.trace = parse_hex_trace(value).or_else(|| opaque_id(value)),
        IdSyntax::Decimal => {
            out.trace = parse_decimal_trace(value)
                .or_else(|| parse_hex_trace(value))
                .or_else(|| opaque_id(value));
        }
        IdSyntax::Traceparent => {
            return canonical_traceparent(value).unwrap_or_else(|| split_traceparent(value));
        }
        IdSyntax::XRay => {
            let v = value.trim();
            if v.contains('=') {
                for part in v.split(';') {
                    let (k, val) = part.split_once('=').unwrap_or((part, ""));
                    match k.trim() {
                        "Root" => out.trace = parse_xray(val),
                        "Parent" => out.parent = parse_hex_span(val),
                        _ => {}
                    }
                }
            } else {
                out.trace = parse_xray(v);
            }
        }
        IdSyntax::B3 => {
            let mut parts = value.trim().split('-');
            out.trace = parts.next().and_then(parse_hex_trace);
            out.span = parts.next().and_then(parse_hex_span);
            let _sampled = parts.next();
            out.parent = parts.next().and_then(parse_hex_span);
        }
        IdSyntax::Uber => {
            let mut parts = value.trim().split(':');
            out.trace = parts.next().and_then(parse_hex_trace);
            out.span = parts.next().and_then(parse_hex_span);
            out.parent = parts.next().and_then(parse_hex_span);
        }
        IdSyntax::Correlation => {
            let v = value.trim();
            out.trace = parse_hex_trace(v)
                .filter(|_| v.len() >= 16)
                .or_else(|| opaque_id(v));
        }
    }
    out
}

/// `00-trace-span-flags` (W3C) or `trace-span[-sampled]` (sentry-trace), in any spacing.
fn split_traceparent(value: &str) -> DecodedIds {
    let mut out = DecodedIds::default();
    let mut parts = value.trim().split('-');
    let first = parts.next().unwrap_or_default();
    let (trace, span) = if first.len() == 2 {
        (parts.next(), parts.next())
    } else {
        (Some(first), parts.next())
    };
    if first.eq_ignore_ascii_case("ff") {
        return out;
    }
    out.trace = trace.and_then(parse_hex_trace);
    out.span = span.and_then(parse_hex_span);
    out
}

/// A W3C `traceparent` exactly as the spec writes it (`vv-<32 hex>-<16 hex>-ff`, version not
/// `ff`, both ids non-zero): what the general split below would find, without splitting.
/// Anything else, `None`, is left to it.
fn canonical_traceparent(value: &str) -> Option<DecodedIds> {
    let b = value.as_bytes();
    if b.len() != 55 || b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
        return None;
    }
    parse_hex_u64(&b[..2]).filter(|&version| version != 0xff)?;
    let trace = parse_hex_u128(value.get(3..35)?).filter(|&v| v != 0)?;
    let span = parse_hex_u64(&b[36..52]).filter(|&v| v != 0)?;
    parse_hex_u64(&b[53..])?;
    Some(DecodedIds {
        trace: Some(TraceKey::Full(trace)),
        span: Some(SpanId(span)),
        parent: None,
    })
}

/// Words loggers write where an id is missing; as keys they would join unrelated requests.
pub(crate) const NO_ID_WORDS: [&str; 8] = [
    "null",
    "nil",
    "none",
    "undefined",
    "unknown",
    "n/a",
    "na",
    "missing",
];

/// A value kept verbatim as the trace key, unless it says there is no id: empty, zeros and
/// dashes, a placeholder word, or a small counter (pino-http's `req.id` restarts at 1 in every
/// process, so it cannot tell requests apart).
fn opaque_id(value: &str) -> Option<TraceKey> {
    let v = value.trim();
    if v.bytes().all(|b| b == b'0' || b == b'-') {
        return None;
    }
    if v.len() < 6 && v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if NO_ID_WORDS.iter().any(|w| v.eq_ignore_ascii_case(w)) {
        return None;
    }
    Some(TraceKey::Opaque(v.into()))
}

/// X-Ray `1-<8 hex epoch>-<24 hex>` → the 32 hex OTel uses.
fn parse_xray(value: &str) -> Option<TraceKey> {
    let v = value.trim();
    let rest = v.strip_prefix("1-")?;
    let (epoch, random) = rest.split_once('-')?;
    if epoch.len() != 8 || random.len() != 24 {
        return None;
    }
    let hi = parse_hex_u128(epoch)?;
    let lo = parse_hex_u128(random)?;
    let v = (hi << 96) | lo;
    (v != 0).then_some(TraceKey::Full(v))
}

/// The first hex digits of a trace id, as a table that cut the id shows them (`4bf92f35…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdPrefix {
    /// The digits, as a number.
    pub value: u128,
    /// How many hex digits (8 to 31).
    pub digits: u32,
}

/// Fewer hex digits than this say too little to look a trace up by (git asks for 4; ids in
/// logs are far more numerous than commits).
const MIN_PREFIX_DIGITS: usize = 8;

impl IdPrefix {
    /// The prefix in `text`: 8 to 31 hex digits, GUID dashes allowed where a GUID has them,
    /// after an optional traceparent `00-`.
    pub fn parse(text: &str) -> Option<IdPrefix> {
        let t = text.strip_prefix("00-").unwrap_or(text);
        let mut value: u128 = 0;
        let mut digits = 0usize;
        for (i, c) in t.char_indices() {
            if c == '-' && matches!(i, 8 | 13 | 18 | 23) {
                continue;
            }
            value = (value << 4) | u128::from(c.to_digit(16)?);
            digits += 1;
            if digits > 31 {
                return None;
            }
        }
        (digits >= MIN_PREFIX_DIGITS && !t.ends_with('-')).then_some(IdPrefix {
            value,
            digits: digits as u32,
        })
    }

    /// Whether `key`, written as tracegrep writes it (32 hex, or 16 for a 64-bit id), starts
    /// with these digits.
    pub fn matches(&self, key: &TraceKey) -> bool {
        let (v, width) = match key {
            TraceKey::Full(v) => (*v, 32),
            TraceKey::Low64(v) => (u128::from(*v), 16),
            TraceKey::Opaque(_) => return false,
        };
        self.digits <= width && v >> (4 * (width - self.digits)) == self.value
    }

    /// The first eight digits in both cases: every hex, GUID, traceparent, X-Ray and GCP
    /// spelling of an id starts with them. A prefix with leading zeros also gives its digits
    /// without them, as a Jaeger `uber-trace-id` writes the id (`af7651916cd43dd8:…`).
    fn needles(&self) -> Vec<Vec<u8>> {
        let head = format!("{:08x}", self.value >> (4 * (self.digits - 8)));
        let mut heads = vec![head];
        if heads[0].starts_with('0') && self.value != 0 {
            heads.push(format!("{:x}", self.value));
        }
        heads
            .into_iter()
            .flat_map(|h| [h.clone().into_bytes(), h.to_ascii_uppercase().into_bytes()])
            .collect()
    }
}

/// The id the user asked for, parsed from any spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceQuery {
    /// The numeric or opaque key lines are compared with.
    pub key: TraceKey,
    /// The text as typed, trimmed: also matched exactly against correlation ids.
    pub literal: String,
    /// Hex digits that may be the start of ids (`4bf92f35`, `4bf92f3577b34da6…`): lines of
    /// every trace whose id starts so are found too, and the caller picks among them.
    pub prefix: Option<IdPrefix>,
    /// Lines are also compared with `key` (false when the id ended with `…`: only a prefix).
    pub exact: bool,
}

impl TraceQuery {
    /// Parses what the user typed: hex, GUID, traceparent, X-Ray, GCP path, B3, Jaeger or a
    /// Datadog decimal; anything else is an opaque correlation id. 8 to 31 hex digits (but 16,
    /// a 64-bit id) are also a prefix of ids, and a trailing `…` or `...` makes them only
    /// that.
    pub fn parse(text: &str) -> TraceQuery {
        let trimmed = text.trim();
        let cut = trimmed
            .strip_suffix('…')
            .or_else(|| trimmed.strip_suffix("..."))
            .map(str::trim_end);
        if let Some(prefix) = cut.and_then(IdPrefix::parse) {
            return TraceQuery {
                key: TraceKey::Opaque(trimmed.into()),
                literal: trimmed.to_string(),
                prefix: Some(prefix),
                exact: false,
            };
        }
        let mut query = TraceQuery::parse_whole(cut.unwrap_or(trimmed));
        if cut.is_some() && !matches!(query.key, TraceKey::Full(_)) {
            // Not a prefix (that returned above) nor a whole id with a `…` after it: the dots
            // belong to an opaque id as logged (`req-42...`, `775...`).
            query = TraceQuery::parse_whole(trimmed);
        }
        // 16 bare digits are a 64-bit id; a long run of decimal digits is Datadog's.
        let decimal = query.literal.len() > 16 && query.literal.bytes().all(|b| b.is_ascii_digit());
        let bare64 = query.literal.len() == 16;
        query.prefix = IdPrefix::parse(&query.literal).filter(|_| !bare64 && !decimal);
        query
    }

    /// Whether a line's trace is the one asked for, or one the prefix may mean.
    ///
    /// A run of 17 to 31 digits is read as Datadog's decimal, but a correlation id of digits
    /// (a snowflake request id) is read as hex in a line: both readings are wanted.
    pub fn wants(&self, trace: &TraceKey) -> bool {
        (self.exact
            && (trace.matches(&self.key)
                || matches!(trace, TraceKey::Opaque(s) if s.eq_ignore_ascii_case(&self.literal))
                || self.digits_as_hex().is_some_and(|k| trace.matches(&k))))
            || self.prefix.is_some_and(|p| p.matches(trace))
    }

    /// The hex reading of a query of more than 16 digits, which reads as decimal.
    fn digits_as_hex(&self) -> Option<TraceKey> {
        let t = self.literal.as_str();
        (t.len() > 16 && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| parse_hex_trace(t))
            .flatten()
    }

    fn parse_whole(text: &str) -> TraceQuery {
        let literal = text.trim().to_string();
        let t = literal.as_str();
        let key = if t.starts_with("00-") && t.len() >= 55 {
            decode_trace_field(t, IdSyntax::Traceparent).trace
        } else if t.starts_with("1-") && t.len() == 35 {
            parse_xray(t)
        } else if t.starts_with("Root=") {
            decode_trace_field(t, IdSyntax::XRay).trace
        } else if t.contains(':') && !t.contains('/') {
            decode_trace_field(t, IdSyntax::Uber).trace
        } else if t.bytes().all(|b| b.is_ascii_digit()) && t.len() > 16 && t.len() != 32 {
            // 32 characters is the W3C hex length: a hex id that happens to hold only digits
            // (as `--all` prints it) reads as hex, as it does in log lines.
            parse_decimal_trace(t)
        } else {
            parse_hex_trace(t).or_else(|| {
                // A B3 single header or sentry-trace: a hex id before the first dash.
                let head = t.split('-').next().unwrap_or_default();
                (head.len() >= 16 && t.len() > head.len())
                    .then(|| parse_hex_trace(head))
                    .flatten()
            })
        };
        let key = key.unwrap_or_else(|| TraceKey::Opaque(literal.clone().into()));
        TraceQuery {
            key,
            literal,
            prefix: None,
            exact: true,
        }
    }

    /// Byte strings of which at least one appears in every line that spells this trace in any
    /// form we decode. The prefilter searches for these; the parser then decides.
    pub fn needles(&self) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        if let Some(p) = self.prefix {
            for n in p.needles() {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        if !self.exact {
            return out;
        }
        match &self.key {
            TraceKey::Full(v) => push_low64_needles(&mut out, *v as u64),
            TraceKey::Low64(v) => push_low64_needles(&mut out, *v),
            TraceKey::Opaque(s) => {
                out.push(s.as_bytes().to_vec());
                let lower = s.to_ascii_lowercase();
                let upper = s.to_ascii_uppercase();
                for v in [lower, upper] {
                    if v.as_bytes() != s.as_bytes() {
                        out.push(v.into_bytes());
                    }
                }
            }
        }
        if !matches!(self.key, TraceKey::Opaque(_)) && !self.literal.is_empty() {
            // Also find correlation ids written exactly as the user typed them.
            let lit = self.literal.as_bytes().to_vec();
            if !out.iter().any(|n| contains(&lit, n)) {
                out.push(lit);
            }
        }
        out
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// Needles that cover every spelling of a low 64-bit half: its last 12 hex digits in both
/// cases (the part after the last dash of a GUID, so they also cover the 32-hex, 16-hex,
/// traceparent, GCP, B3 and X-Ray forms, dashed or not) and Datadog's decimal.
///
/// Few needles matter more than long ones: the prefilter (Teddy) slows down sharply as
/// needles are added, and at three it runs at `rg`'s single-literal speed (measured in
/// `scripts/bench.sh`: five needles were 8x slower).
///
/// An id below 2^44 is also searched without its leading zeros: tracegrep prints it padded
/// (`000000004bf92f35`), but a service may have logged it short (`"trace_id":"4bf92f35"`, a
/// Jaeger `uber-trace-id`), and the padded digits are then not in the line.
fn push_low64_needles(out: &mut Vec<Vec<u8>>, low: u64) {
    let lower = format!("{:012x}", low & 0xffff_ffff_ffff);
    let short = (low < 1 << 44).then(|| format!("{low:x}"));
    for text in [Some(lower), short].into_iter().flatten() {
        let upper = text.to_ascii_uppercase();
        for n in [text.into_bytes(), upper.into_bytes()] {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out.push(low.to_string().into_bytes());
}

#[cfg(test)]
#[path = "ids_tests.rs"]
mod tests;
