//! The search: a multi-literal prefilter over raw bytes, then a parse of candidate lines only.
//!
//! Every spelling of the wanted id is searched at once (Aho-Corasick, which uses SIMD "Teddy"
//! for a handful of literals). A hit only says "maybe": the line is parsed and its id fields
//! decide. Lines without a hit are never parsed or even split, so the cost of a search is the
//! cost of the byte scan.

use aho_corasick::{packed, AhoCorasick, MatchKind};

use crate::diag::Diagnostics;
use crate::records::block::{Block, BlockScan};
use crate::records::envelope::{
    envelope_stream, envelope_text, is_docker_fragment, unwrap_line, Envelope,
};
use crate::records::extract::{extract_into, Extracted};
use crate::records::fields::FieldTable;
use crate::records::ids::TraceKey;
use crate::records::ids::TraceQuery;
use crate::records::service::name_record_service;
use crate::records::whole::{decode_whole_trace, is_whole_trace};
use crate::records::{Decoded, LineRef, LineView, Record, SourceId};

/// The longest run of non-JSON lines attached to a record as its continuation.
pub(crate) const MAX_CONTINUATION_LINES: usize = 500;

/// The multi-literal searcher: SIMD Teddy when the CPU has it, else an automaton.
#[derive(Debug, Clone)]
enum Finder {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Finder {
    fn new(needles: &[&[u8]]) -> Result<Finder, SearchError> {
        // Teddy is chosen by hand: the automaton's own heuristics prefer a rare-byte memchr
        // prefilter, which on hex-heavy logs stops at nearly every id (measured 6x slower).
        let packed = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(needles)
            .build();
        if let Some(searcher) = packed {
            return Ok(Finder::Packed(searcher));
        }
        Ok(Finder::Automaton(
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(needles)?,
        ))
    }

    /// Start of the first needle found in `hay`.
    fn find_start(&self, hay: &[u8]) -> Option<usize> {
        match self {
            Finder::Packed(s) => s.find(hay).map(|m| m.start()),
            Finder::Automaton(a) => a.find(hay).map(|m| m.start()),
        }
    }
}

/// Searches blocks of lines for the records of one trace.
#[derive(Debug, Clone)]
pub struct TraceSearch {
    finder: Finder,
    query: TraceQuery,
    table: FieldTable,
    /// Lines whose correlation id is the query also match (with their own trace id).
    follow_correlation: bool,
}

/// Why a search could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The id gives nothing to search for.
    #[error("the trace id is empty")]
    EmptyId,
    /// The automaton could not be built.
    #[error("cannot build the search: {0}")]
    Build(#[from] aho_corasick::BuildError),
}

impl TraceSearch {
    /// Prepares the search for one trace id.
    pub fn new(query: TraceQuery, table: FieldTable) -> Result<TraceSearch, SearchError> {
        let needles = query.needles();
        if needles.iter().all(|n| n.is_empty()) {
            return Err(SearchError::EmptyId);
        }
        let needles: Vec<&[u8]> = needles
            .iter()
            .filter(|n| !n.is_empty())
            .map(Vec::as_slice)
            .collect();
        let finder = Finder::new(&needles)?;
        Ok(TraceSearch {
            finder,
            query,
            table,
            follow_correlation: true,
        })
    }

    /// A search for the lines keyed by an id linked to the one asked for (the trace id of a
    /// correlation id, or the other way round): only lines keyed by it, not lines that merely
    /// carry it as their correlation id.
    pub fn linked(key: &TraceKey, table: FieldTable) -> Result<TraceSearch, SearchError> {
        let mut search = TraceSearch::new(TraceQuery::parse(&key.to_string()), table)?;
        search.query.key = key.clone();
        search.follow_correlation = false;
        Ok(search)
    }

    /// The id being searched for.
    pub fn query(&self) -> &TraceQuery {
        &self.query
    }

    /// Scans the lines of a block (see [`Block`]) for the trace's records, named by `fallback`
    /// when their line names no service. Lines before `from` and after `to` may be read to
    /// join the pieces of a split line or to collect a stack trace. Returns where the next
    /// call for the same source must start.
    fn scan_records(
        &self,
        block: &Block<'_>,
        fallback: Option<&str>,
        diag: &mut Diagnostics,
        records: &mut Vec<Record>,
    ) -> usize {
        let Block {
            bytes: hay,
            from,
            to,
            base_offset,
            source,
            more_follows,
        } = *block;
        let to = to.min(hay.len());
        // A split line belongs to the block where its first piece starts.
        let mut pos = skip_foreign_pieces(hay, from);
        let limit = block_limit(hay, pos, to, more_follows);
        while pos < limit {
            let Some(hit) = self.finder.find_start(&hay[pos..limit]) else {
                break;
            };
            let hit_at = pos + hit;
            let start = memchr::memrchr(b'\n', &hay[pos..hit_at]).map_or(pos, |i| pos + i + 1);
            diag.candidate_lines += 1;
            let piece = is_piece(hay, start, pos);
            let (first, last) = if piece {
                (run_start(hay, start, pos), run_end(hay, start))
            } else {
                (start, start)
            };
            let end = line_end(hay, last);
            pos = end.saturating_add(1).min(hay.len().max(end));
            let parsed = if piece {
                self.parse_run(hay, first, end, base_offset, source, diag)
            } else {
                let raw = &hay[start..end];
                let offset = base_offset + start as u64;
                let env = unwrap_line(trim_line(raw, offset));
                let payload = env.payload.trim_ascii_start();
                if is_whole_trace(payload) {
                    let line = LineRef { source, offset };
                    self.whole_trace_records(payload, raw, line, fallback, diag, records);
                    continue;
                }
                self.parse_payload(env, raw, offset, source, diag)
            };
            if let Some((mut record, pod)) = parsed {
                pos = pos.max(collect_continuation(hay, pos, pod, &mut record));
                diag.matched_lines += 1;
                name_record_service(&mut record, fallback);
                records.push(record);
            }
        }
        limit
    }

    /// Joins the pieces of a split line (CRI `P` lines, Docker fragments) and parses the whole.
    fn parse_run(
        &self,
        hay: &[u8],
        first: usize,
        end: usize,
        base_offset: u64,
        source: SourceId,
        diag: &mut Diagnostics,
    ) -> Option<(Record, Option<String>)> {
        let raw = &hay[first..end];
        let offset = base_offset + first as u64;
        let (joined, mut env) = join_pieces(raw, offset)?;
        env.payload = joined.strip_suffix(b"\n").unwrap_or(&joined);
        let (mut record, pod) = self.parse_payload(env, raw, offset, source, diag)?;
        record.raw = raw.into();
        Some((record, pod))
    }

    /// Parses the application's line inside its envelopes; `raw` is the line as read.
    fn parse_payload(
        &self,
        env: Envelope<'_>,
        raw: &[u8],
        offset: u64,
        source: SourceId,
        diag: &mut Diagnostics,
    ) -> Option<(Record, Option<String>)> {
        let (decoded, lossy_utf8) = decode_payload(&self.table, &env, diag)?;
        let Some(trace) = self.wanted(&decoded) else {
            diag.mention_only += u64::from(decoded.trace.is_none());
            return None;
        };
        if lossy_utf8 {
            diag.invalid_utf8 += 1;
        }
        // The stream the line came from, so a stack trace is only taken from the same one.
        let json = env
            .payload
            .get(memchr::memchr(b'{', env.payload).unwrap_or(0)..)
            .unwrap_or_default();
        let pod = env.pod.map(str::to_string).or_else(|| {
            json.starts_with(b"{\"")
                .then(|| envelope_stream(json))
                .flatten()
        });
        let record = make_record(decoded, trace, LineRef { source, offset }, raw, lossy_utf8);
        Some((record, pod))
    }

    /// The line's trace, if it is the one searched for.
    fn wanted(&self, decoded: &Decoded) -> Option<TraceKey> {
        let is_query = |t: &TraceKey| self.query.wants(t);
        match (&decoded.trace, &decoded.correlation) {
            (Some(t), _) if is_query(t) => Some(t.clone()),
            // The request's correlation id beside another trace id: the line is the request's,
            // under its own trace id.
            (Some(t), Some(c)) if self.follow_correlation && is_query(c) => Some(t.clone()),
            _ => None,
        }
    }

    /// The records of the wanted trace in a whole-trace document (OTLP, Jaeger, Zipkin).
    fn whole_trace_records(
        &self,
        json: &[u8],
        raw: &[u8],
        line: LineRef,
        fallback: Option<&str>,
        diag: &mut Diagnostics,
        records: &mut Vec<Record>,
    ) {
        let Some(docs) = decode_whole_trace(json) else {
            diag.not_json += 1;
            return;
        };
        for d in docs {
            if let Some(trace) = self.wanted(&d) {
                diag.matched_lines += 1;
                let mut record = make_record(d, trace, line, raw, false);
                name_record_service(&mut record, fallback);
                records.push(record);
            }
        }
    }
}

impl BlockScan<Vec<Record>> for TraceSearch {
    fn scan_block(
        &self,
        block: &Block<'_>,
        fallback: Option<&str>,
        diag: &mut Diagnostics,
        records: &mut Vec<Record>,
    ) -> usize {
        self.scan_records(block, fallback, diag, records)
    }
}

/// A record from a decoded line of the wanted trace.
fn make_record(d: Decoded, trace: TraceKey, line: LineRef, raw: &[u8], lossy_utf8: bool) -> Record {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    Record {
        trace,
        correlation: d.correlation,
        span: d.span,
        parent: d.parent,
        parent_hint: d.parent_hint,
        time: d.time,
        duration_ns: d.duration_ns,
        level: d.level,
        service: d.service,
        service_hint: d.service_hint,
        name: d.name,
        message: d.message,
        status: d.status,
        stack: d.stack,
        call: d.call,
        line,
        raw: raw.into(),
        continuation: Vec::new(),
        lossy_utf8,
    }
}

/// Where scanning of a block stops: at `to`, moved past the end of a split line that starts
/// before it, or back to its start when the rest has not arrived yet (`more_follows`).
pub fn block_limit(hay: &[u8], pos: usize, to: usize, more_follows: bool) -> usize {
    match last_line_start(hay, to) {
        Some(last) if last >= pos && is_partial_piece(line_at(hay, last)) => {
            let run_start = run_start(hay, last, pos);
            if more_follows && to >= hay.len() {
                run_start
            } else {
                line_end(hay, run_end(hay, last))
                    .saturating_add(1)
                    .min(hay.len())
                    .max(to)
            }
        }
        _ => to,
    }
}

/// Parses the application's line inside its envelopes into typed fields; the envelope's time
/// and workload stand in when the line carries none. `None` (and counted) when the payload is
/// not JSON. The flag says the line had invalid UTF-8 and was decoded lossily.
pub fn decode_payload(
    table: &FieldTable,
    env: &Envelope<'_>,
    diag: &mut Diagnostics,
) -> Option<(Decoded, bool)> {
    view_payload(table, env, diag, |view, damaged| (view.decode(), damaged))
}

/// Parses the application's line inside its envelopes and hands a borrowed [`LineView`] to
/// `f`, with whether the line had invalid UTF-8. `None` (and counted) when it is not JSON.
pub fn view_payload<R>(
    table: &FieldTable,
    env: &Envelope<'_>,
    diag: &mut Diagnostics,
    f: impl FnOnce(&LineView<'_>, bool) -> R,
) -> Option<R> {
    let line = env.payload;
    // A text prefix before the object (a shipper's timestamp, a wrapper's level) is skipped.
    let Some(brace) = memchr::memchr(b'{', line) else {
        match count_nul(line) {
            nul if nul == line.len() => diag.nul_bytes += nul as u64,
            nul => {
                diag.nul_bytes += nul as u64;
                diag.not_json += 1;
            }
        }
        return None;
    };
    if brace > 0 {
        // NUL bytes before the object: the end of a damaged region (a crash, a full disk).
        diag.nul_bytes += count_nul(&line[..brace]) as u64;
    }
    let mut json = &line[brace..];
    let mut extracted = Extracted::default();
    let mut parsed = extract_into(json, table, &mut extracted);
    if parsed.is_err() {
        // A line cut by a damaged region ("{half a line\0\0\0{a whole one}"): the object
        // after the last NUL is the readable one.
        if let Some(last_nul) = memchr::memrchr(0, json) {
            if let Some(open) = memchr::memchr(b'{', &json[last_nul..]) {
                diag.nul_bytes += count_nul(json) as u64;
                json = &json[last_nul + open..];
                extracted = Extracted::default();
                parsed = extract_into(json, table, &mut extracted);
            }
        }
    }
    match parsed {
        // Skipped values are not validated by the parser; the line is checked whole here, so
        // damaged lines are counted wherever the damage is. Most lines are ASCII, which is
        // much cheaper to confirm than UTF-8.
        Ok(()) => {
            let damaged = !line.is_ascii() && std::str::from_utf8(line).is_err();
            Some(f(&LineView::new(&extracted, env), damaged))
        }
        Err(_) if std::str::from_utf8(json).is_err() => {
            let lossy = String::from_utf8_lossy(json).into_owned();
            let mut extracted = Extracted::default();
            if extract_into(lossy.as_bytes(), table, &mut extracted).is_ok() {
                Some(f(&LineView::new(&extracted, env), true))
            } else {
                diag.invalid_utf8 += 1;
                diag.not_json += 1;
                None
            }
        }
        Err(_) => {
            diag.not_json += 1;
            None
        }
    }
}

fn count_nul(bytes: &[u8]) -> usize {
    memchr::memchr_iter(0, bytes).count()
}

/// Joins the pieces of a split line (CRI `P`…`F` payloads, Docker fragments' `log` texts).
/// Returns the joined bytes and the envelope of the first piece, whose time falls back to the
/// Docker time; the caller points the envelope's payload at the joined bytes.
pub fn join_pieces(run: &[u8], offset: u64) -> Option<(Vec<u8>, Envelope<'_>)> {
    let mut joined = Vec::with_capacity(run.len());
    let mut envelope: Option<Envelope<'_>> = None;
    let mut docker_time = None;
    for piece in run.split(|&b| b == b'\n') {
        let piece = trim_line(piece, offset);
        if piece.starts_with(b"{\"log\":\"") {
            let fragment: DockerFragment = serde_json::from_slice(piece).ok()?;
            joined.extend_from_slice(fragment.log.as_bytes());
            docker_time = fragment
                .time
                .as_deref()
                .and_then(crate::records::time::parse_time_text);
        } else {
            let env = unwrap_line(piece);
            joined.extend_from_slice(env.payload);
            envelope.get_or_insert(env);
        }
    }
    let mut env = envelope.unwrap_or_default();
    env.time = env.time.or(docker_time);
    Some((joined, env))
}

/// A Docker json-file line, for joining fragments.
#[derive(serde::Deserialize)]
struct DockerFragment {
    log: String,
    time: Option<String>,
}

/// A line without its `\r`, and without a byte-order mark at the start of a source.
pub fn trim_line(raw: &[u8], offset: u64) -> &[u8] {
    let line = raw.strip_suffix(b"\r").unwrap_or(raw);
    if offset == 0 {
        line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
    } else {
        line
    }
}

/// End (exclusive, at the newline or the end) of the line starting at `start`.
pub fn line_end(hay: &[u8], start: usize) -> usize {
    memchr::memchr(b'\n', &hay[start.min(hay.len())..]).map_or(hay.len(), |i| start + i)
}

fn line_at(hay: &[u8], start: usize) -> &[u8] {
    let line = &hay[start..line_end(hay, start)];
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Start of the line before the one starting at `start`, if it is at or after `floor`.
fn previous_line_start(hay: &[u8], start: usize, floor: usize) -> Option<usize> {
    if start == 0 || start <= floor {
        return None;
    }
    let before = &hay[floor..start - 1];
    Some(memchr::memrchr(b'\n', before).map_or(floor, |i| floor + i + 1))
}

/// Start of the last line that begins before `to`.
fn last_line_start(hay: &[u8], to: usize) -> Option<usize> {
    if to == 0 {
        return None;
    }
    let scan = &hay[..to - 1];
    Some(memchr::memrchr(b'\n', scan).map_or(0, |i| i + 1))
}

/// Whether a line says the next line continues it (CRI `P`, a Docker fragment).
fn is_partial_piece(line: &[u8]) -> bool {
    is_docker_fragment(line) || unwrap_line(line).partial
}

/// Whether the line at `start` is part of a split line: partial itself, or after one.
pub fn is_piece(hay: &[u8], start: usize, floor: usize) -> bool {
    is_partial_piece(line_at(hay, start))
        || previous_line_start(hay, start, floor).is_some_and(|p| is_partial_piece(line_at(hay, p)))
}

/// First piece of the split line that the line at `start` belongs to (not before `floor`).
pub fn run_start(hay: &[u8], mut start: usize, floor: usize) -> usize {
    while let Some(prev) = previous_line_start(hay, start, floor) {
        if !is_partial_piece(line_at(hay, prev)) {
            break;
        }
        start = prev;
    }
    start
}

/// Last piece of the split line that the line at `start` belongs to.
pub fn run_end(hay: &[u8], mut start: usize) -> usize {
    while is_partial_piece(line_at(hay, start)) {
        let next = line_end(hay, start) + 1;
        if next >= hay.len() {
            break;
        }
        start = next;
    }
    start
}

/// Skips the pieces at `from` whose split line began before it: the previous block owns them.
pub fn skip_foreign_pieces(hay: &[u8], from: usize) -> usize {
    let Some(prev) = previous_line_start(hay, from, 0) else {
        return from;
    };
    if !is_partial_piece(line_at(hay, prev)) {
        return from;
    }
    let last = run_end(hay, from);
    line_end(hay, last).saturating_add(1).min(hay.len())
}

/// Whether a non-JSON line opens a stack trace or similar continuation of the line before.
pub(crate) fn starts_continuation(line: &[u8]) -> bool {
    const OPENERS: &[&[u8]] = &[
        b"at ",
        b"Caused by",
        b"Traceback",
        b"File \"",
        b"goroutine ",
        b"panic:",
        b"Stack trace:",
        b"Exception",
        b"---",
        b"#0 ",
        b"thread '",
    ];
    matches!(line.first(), Some(b' ' | b'\t'))
        || OPENERS.iter().any(|o| line.starts_with(o))
        || names_an_exception(line)
}

/// `java.lang.IllegalStateException: …`, `ValueError: …`, `Error: boom`: the first line of a
/// stack trace in Java, Python, .NET and Node names the exception's type before a colon.
fn names_an_exception(line: &[u8]) -> bool {
    let head = match memchr::memchr(b':', line) {
        Some(colon) => &line[..colon],
        None => line,
    };
    let is_name = !head.is_empty()
        && head
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'$'));
    is_name
        && (head.ends_with(b"Exception")
            || head.ends_with(b"Error")
            || head.ends_with(b"Throwable"))
}

/// `POD CONTAINER text` → `text`, for a line of the given pod in stern's default output.
pub(crate) fn strip_stern_prefix<'a>(line: &'a [u8], pod: &str) -> Option<&'a [u8]> {
    let rest = line.strip_prefix(pod.as_bytes())?.strip_prefix(b" ")?;
    let space = memchr::memchr(b' ', rest)?;
    Some(&rest[space + 1..])
}

/// Whether a payload starts a new record: a JSON object, possibly after a short text prefix
/// (`INFO  {"…`); stack frames start with whitespace or a keyword and are not.
pub(crate) fn starts_record(line: &[u8]) -> bool {
    if line.trim_ascii_start().starts_with(b"{") {
        return true;
    }
    !matches!(line.first(), Some(b' ' | b'\t'))
        && memchr::memmem::find(&line[..line.len().min(200)], b"{\"").is_some()
        && !names_an_exception(line)
}

/// How many lines of other pods may sit between a record and its stack trace in an
/// interleaved `kubectl logs -f` stream.
const MAX_FOREIGN_LINES: usize = 64;

/// Attaches the non-JSON lines after a record (a stack trace) to it. In an interleaved stream
/// only lines of the record's own pod count. Returns where the main scan may resume: past the
/// stack trace, or where it started if lines of other pods were passed over.
fn collect_continuation(
    hay: &[u8],
    start: usize,
    pod: Option<String>,
    record: &mut Record,
) -> usize {
    let mut pos = start;
    let mut resume = start;
    let mut pending_blank = 0usize;
    let mut foreign = 0usize;
    while pos < hay.len() && record.continuation.len() < MAX_CONTINUATION_LINES {
        let end = line_end(hay, pos);
        let mut env = unwrap_line(line_at(hay, pos));
        if env.pod.is_none() {
            // stern prefixes every line, JSON or not: `POD CONTAINER text`.
            if let Some(text) = pod
                .as_deref()
                .and_then(|p| strip_stern_prefix(env.payload, p))
            {
                env.payload = text;
                env.pod = pod.as_deref();
            }
        }
        // A JSON envelope around plain text (a stderr line through Docker, Fluent Bit, Vector
        // or journald) continues the record like a bare line would.
        let carried = if env.pod.is_none() && env.payload.starts_with(b"{\"") {
            envelope_text(env.payload)
        } else {
            None
        };
        let (line, stream): (&[u8], Option<String>) = match (&carried, env.pod) {
            (_, Some(pod)) => (env.payload, Some(pod.to_string())),
            (Some((text, stream)), None) => (text.as_bytes(), stream.clone()),
            (None, None) if env.payload.starts_with(b"{\"") => {
                (env.payload, envelope_stream(env.payload))
            }
            (None, None) => (env.payload, None),
        };
        if stream != pod {
            foreign += 1;
            if foreign > MAX_FOREIGN_LINES {
                break;
            }
            pos = end.saturating_add(1);
            continue;
        }
        let trimmed = line.trim_ascii_start();
        if starts_record(line) {
            break;
        }
        if trimmed.is_empty() {
            // Blank lines belong to the trace only if more of it follows (Go goroutine dumps).
            pending_blank += 1;
            if pending_blank > 1 {
                break;
            }
        } else if record.continuation.is_empty() && !starts_continuation(line) {
            break;
        } else {
            for _ in 0..pending_blank {
                record.continuation.push(Box::default());
            }
            pending_blank = 0;
            record.continuation.push(line.into());
            if foreign == 0 {
                resume = end.saturating_add(1);
            }
        }
        pos = end.saturating_add(1);
    }
    resume.min(hay.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::fields::FieldOverrides;

    fn block(bytes: &[u8], from: usize, to: usize, more_follows: bool) -> Block<'_> {
        Block {
            bytes,
            from,
            to,
            base_offset: 0,
            source: 0,
            more_follows,
        }
    }

    /// What a scan found, as the tests read it.
    #[derive(Default)]
    struct Found {
        records: Vec<Record>,
        diag: Diagnostics,
    }

    fn search(id: &str) -> TraceSearch {
        TraceSearch::new(
            TraceQuery::parse(id),
            FieldTable::new(&FieldOverrides::default()),
        )
        .unwrap()
    }

    #[test]
    fn finds_every_spelling_and_rejects_lookalikes() {
        let text = concat!(
            "{\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"msg\":\"hex\"}\n",
            "{\"correlationId\":\"4BF92F35-77B3-4DA6-A3CE-929D0E0E4736\",\"msg\":\"guid\"}\n",
            "{\"dd.trace_id\":\"11803532876627986230\",\"msg\":\"dd\"}\n",
            "{\"xray_trace_id\":\"1-4bf92f35-77b34da6a3ce929d0e0e4736\",\"msg\":\"xray\"}\n",
            "{\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\",\"msg\":\"w3c\"}\n",
            "{\"logging.googleapis.com/trace\":\"projects/p/traces/4bf92f3577b34da6a3ce929d0e0e4736\",\"msg\":\"gcp\"}\n",
            "{\"trace_id\":\"ffffffffffffffffa3ce929d0e0e4736\",\"msg\":\"other trace, same low half\"}\n",
            "{\"msg\":\"mentions 4bf92f3577b34da6a3ce929d0e0e4736 in text only\"}\n",
            "not json 4bf92f3577b34da6a3ce929d0e0e4736\n",
            "{\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"msg\":\"boom\"}\n",
            "java.lang.IllegalStateException: boom\n",
            "\tat com.example.Foo(Foo.java:1)\n",
            "Caused by: x\n",
            "{\"msg\":\"after\"}\n",
        );
        for id in [
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "4BF92F35-77B3-4DA6-A3CE-929D0E0E4736",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "1-4bf92f35-77b34da6a3ce929d0e0e4736",
        ] {
            let mut out = Found::default();
            search(id).scan_block(
                &block(text.as_bytes(), 0, text.len(), false),
                None,
                &mut out.diag,
                &mut out.records,
            );
            let msgs: Vec<_> = out
                .records
                .iter()
                .map(|r| r.message.clone().unwrap())
                .collect();
            assert_eq!(
                msgs,
                ["hex", "guid", "dd", "xray", "w3c", "gcp", "boom"],
                "{id}"
            );
            assert_eq!(out.records[6].continuation.len(), 3);
            assert_eq!(out.diag.not_json, 1);
        }
    }

    /// A cheap, deterministic fuzz: mutated and truncated lines must never panic the scanner.
    #[test]
    fn mutated_lines_never_panic() {
        let seeds: &[&[u8]] = &[
            br#"{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","time":"2026-11-20T10:00:01.000Z","duration":"12.5ms","level":"info","msg":"x"}"#,
            br#"{"dd":{"trace_id":11803532876627986230,"span_id":"8985025821692657638"},"timestamp":1795168801.823,"levelname":"ERROR","message":"{\"msg\":\"in\"}"}"#,
            br#"{"Scopes":[{"TraceId":"4BF92F35-77B3-4DA6-A3CE-929D0E0E4736","ParentId":"0000000000000000"}],"@t":"2026-11-20T10:00:01.9621689Z","Elapsed":"12"}"#,
        ];
        let search = search("4bf92f3577b34da6a3ce929d0e0e4736");
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..20_000 {
            let mut line = seeds[round % seeds.len()].to_vec();
            for _ in 0..(next() % 4) {
                let at = (next() as usize) % line.len();
                match next() % 3 {
                    0 => line[at] = next() as u8,
                    1 => line.truncate(at.max(1)),
                    _ => line.insert(at, b"{}[]\\\":,0-9eE.\n\xff"[(next() % 16) as usize]),
                }
            }
            let mut out = Found::default();
            search.scan_block(
                &block(&line, 0, line.len(), false),
                None,
                &mut out.diag,
                &mut out.records,
            );
        }
    }

    const ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    fn scan_all(text: &str, cuts: &[usize]) -> Vec<Record> {
        let s = search(ID);
        let mut out = Found::default();
        let mut from = 0;
        for &cut in cuts.iter().chain([&text.len()]) {
            // Cut points are moved to line starts, as the chunker does.
            let to = text[cut..]
                .find('\n')
                .map_or(text.len(), |i| cut + i + 1)
                .max(from);
            s.scan_block(
                &block(text.as_bytes(), from, to, false),
                None,
                &mut out.diag,
                &mut out.records,
            );
            from = to;
        }
        out.records
    }

    #[test]
    fn cri_partial_lines_join_wherever_the_chunks_are_cut() {
        let text = concat!(
            "2026-11-20T10:00:00.000000001Z stdout F {\"msg\":\"other\"}\n",
            "2026-11-20T10:00:01.000000000Z stdout P {\"msg\":\"first half\",\n",
            "2026-11-20T10:00:01.000000000Z stdout P \"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\n",
            "2026-11-20T10:00:01.000000000Z stdout F \"span_id\":\"00f067aa0ba902b7\"}\n",
            "2026-11-20T10:00:02.000000000Z stderr F {\"msg\":\"whole\",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}\n",
        );
        for cut in 0..text.len() {
            let records = scan_all(text, &[cut]);
            let msgs: Vec<_> = records
                .iter()
                .map(|r| r.message.clone().unwrap_or_default())
                .collect();
            assert_eq!(msgs, ["first half", "whole"], "cut at {cut}");
            assert_eq!(
                records[0].span.map(|s| s.to_string()).as_deref(),
                Some("00f067aa0ba902b7")
            );
            assert_eq!(records[0].time, Some(1_795_168_801_000_000_000));
        }
    }

    #[test]
    fn split_lines_wait_for_the_rest_of_a_stream() {
        let first = "2026-11-20T10:00:01Z stdout P {\"msg\":\"a\",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\n";
        let s = search(ID);
        let mut out = Found::default();
        assert_eq!(
            s.scan_block(
                &block(first.as_bytes(), 0, first.len(), true),
                None,
                &mut out.diag,
                &mut out.records
            ),
            0
        );
        assert!(out.records.is_empty());
        let whole =
            format!("{first}2026-11-20T10:00:01Z stdout F \"span_id\":\"00f067aa0ba902b7\"}}\n");
        let used = s.scan_block(
            &block(whole.as_bytes(), 0, whole.len(), true),
            None,
            &mut out.diag,
            &mut out.records,
        );
        assert_eq!(used, whole.len());
        assert_eq!(out.records.len(), 1);
    }

    #[test]
    fn docker_fragments_join() {
        let text = concat!(
            "{\"log\":\"{\\\"msg\\\":\\\"big\\\",\\\"trace_id\\\":\\\"4bf92f3577b34da6a3ce929d0e0e4736\\\",\",\"stream\":\"stdout\",\"time\":\"2019-01-01T11:11:11.1Z\"}\n",
            "{\"log\":\"\\\"level\\\":\\\"error\\\"}\\n\",\"stream\":\"stdout\",\"time\":\"2019-01-01T11:11:11.2Z\"}\n",
        );
        for cut in 0..text.len() {
            let records = scan_all(text, &[cut]);
            assert_eq!(records.len(), 1, "cut at {cut}");
            assert_eq!(records[0].message.as_deref(), Some("big"));
            assert_eq!(records[0].level, Some(crate::records::level::Level::Error));
        }
    }

    #[test]
    fn kubectl_stack_traces_stay_with_their_pod() {
        let text = concat!(
            "[pod/pay-7d9f8b6c5-x2x9z/app] 2026-11-20T10:00:01.000000000Z {\"level\":\"error\",\"msg\":\"boom\",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}\n",
            "[pod/cart-5c6d7e8f9a-abcde/app] 2026-11-20T10:00:01.000000001Z {\"msg\":\"other pod\"}\n",
            "[pod/pay-7d9f8b6c5-x2x9z/app] 2026-11-20T10:00:01.000000002Z java.lang.IllegalStateException: x\n",
            "[pod/cart-5c6d7e8f9a-abcde/app] 2026-11-20T10:00:01.000000003Z \tat not.Mine(X.java:1)\n",
            "[pod/pay-7d9f8b6c5-x2x9z/app] 2026-11-20T10:00:01.000000004Z \tat com.example.Pay(Pay.java:9)\n",
            "[pod/pay-7d9f8b6c5-x2x9z/app] 2026-11-20T10:00:01.000000005Z {\"msg\":\"next\"}\n",
        );
        let records = scan_all(text, &[]);
        assert_eq!(records.len(), 1);
        let r = &records[0];
        assert_eq!(r.service.as_deref(), Some("pay"));
        let cont: Vec<_> = r
            .continuation
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect();
        assert_eq!(
            cont,
            [
                "java.lang.IllegalStateException: x",
                "\tat com.example.Pay(Pay.java:9)"
            ]
        );
    }
}
