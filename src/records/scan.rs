//! The search: a multi-literal prefilter over raw bytes, then a parse of candidate lines only.
//!
//! Every spelling of the wanted id is searched at once (Aho-Corasick, which uses SIMD "Teddy"
//! for a handful of literals). A hit only says "maybe": the line is parsed and its id fields
//! decide. Lines without a hit are never parsed or even split, so the cost of a search is the
//! cost of the byte scan.

use aho_corasick::{packed, AhoCorasick, MatchKind};

use crate::diag::Diagnostics;
use crate::records::extract::extract;
use crate::records::fields::FieldTable;
use crate::records::ids::TraceQuery;
use crate::records::{decode, LineRef, Record, SourceId};

/// The longest run of non-JSON lines attached to a record as its continuation.
const MAX_CONTINUATION_LINES: usize = 500;

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
}

/// What a scan of one block found.
#[derive(Debug, Default)]
pub struct ScanOutput {
    /// The trace's records, in the order met.
    pub records: Vec<Record>,
    /// What was met on the way.
    pub diag: Diagnostics,
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
        })
    }

    /// The id being searched for.
    pub fn query(&self) -> &TraceQuery {
        &self.query
    }

    /// Scans the lines that start before `limit` in `block` (which starts at a line start and
    /// `base_offset` bytes into its source). A record's continuation lines may be read past
    /// `limit`; the returned position is where the next scan of this source must begin.
    pub fn scan_block(
        &self,
        block: &[u8],
        limit: usize,
        base_offset: u64,
        source: SourceId,
        out: &mut ScanOutput,
    ) -> usize {
        let limit = limit.min(block.len());
        let mut pos = 0;
        while pos < limit {
            let Some(hit) = self.finder.find_start(&block[pos..limit]) else {
                pos = limit;
                break;
            };
            let hit_at = pos + hit;
            let start = memchr::memrchr(b'\n', &block[pos..hit_at]).map_or(pos, |i| pos + i + 1);
            let end = memchr::memchr(b'\n', &block[hit_at..]).map_or(block.len(), |i| hit_at + i);
            out.diag.candidate_lines += 1;
            let offset = base_offset + start as u64;
            pos = end.saturating_add(1);
            if let Some(mut record) =
                self.parse_line(&block[start..end], offset, source, &mut out.diag)
            {
                pos = collect_continuation(block, pos, &mut record);
                out.diag.matched_lines += 1;
                out.records.push(record);
            }
        }
        pos
    }

    fn parse_line(
        &self,
        raw: &[u8],
        offset: u64,
        source: SourceId,
        diag: &mut Diagnostics,
    ) -> Option<Record> {
        let mut line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if offset == 0 {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        // A text prefix before the object (a shipper's timestamp, a kubectl prefix) is skipped.
        let Some(brace) = memchr::memchr(b'{', line) else {
            diag.not_json += 1;
            return None;
        };
        let json = &line[brace..];
        let lossy;
        let (extracted, lossy_utf8) = match extract(json, &self.table) {
            // Skipped values are not validated by the parser; a matched line is checked whole
            // below, so that damaged lines are counted wherever the damage is.
            Ok(e) => (e, false),
            Err(_) if std::str::from_utf8(json).is_err() => {
                lossy = String::from_utf8_lossy(json).into_owned();
                match extract(lossy.as_bytes(), &self.table) {
                    Ok(e) => (e, true),
                    Err(_) => {
                        diag.invalid_utf8 += 1;
                        diag.not_json += 1;
                        return None;
                    }
                }
            }
            Err(_) => {
                diag.not_json += 1;
                return None;
            }
        };
        let decoded = decode(&extracted);
        let lossy_utf8 = lossy_utf8 || std::str::from_utf8(line).is_err();
        let trace = match decoded.trace {
            Some(t) if t.matches(&self.query.key) => t,
            Some(crate::records::ids::TraceKey::Opaque(ref s))
                if s.eq_ignore_ascii_case(&self.query.literal) =>
            {
                decoded.trace.clone()?
            }
            _ => {
                diag.mention_only += u64::from(decoded.trace.is_none());
                return None;
            }
        };
        if lossy_utf8 {
            diag.invalid_utf8 += 1;
        }
        Some(Record {
            trace,
            span: decoded.span,
            parent: decoded.parent,
            parent_hint: decoded.parent_hint,
            time: decoded.time,
            duration_ns: decoded.duration_ns,
            level: decoded.level,
            service: decoded.service,
            service_hint: decoded.service_hint,
            name: decoded.name,
            message: decoded.message,
            status: decoded.status,
            stack: decoded.stack,
            line: LineRef { source, offset },
            raw: line.into(),
            continuation: Vec::new(),
            lossy_utf8,
        })
    }
}

/// Whether a non-JSON line opens a stack trace or similar continuation of the line before.
fn starts_continuation(line: &[u8]) -> bool {
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

/// Attaches the non-JSON lines after a record (a stack trace) to it; returns where they end.
fn collect_continuation(block: &[u8], mut pos: usize, record: &mut Record) -> usize {
    let mut pending_blank = 0usize;
    while pos < block.len() && record.continuation.len() < MAX_CONTINUATION_LINES {
        let end = memchr::memchr(b'\n', &block[pos..]).map_or(block.len(), |i| pos + i);
        let raw = &block[pos..end];
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let trimmed = line.trim_ascii_start();
        if trimmed.starts_with(b"{") {
            break;
        }
        if trimmed.is_empty() {
            // Blank lines belong to the trace only if more of it follows (Go goroutine dumps).
            pending_blank += 1;
        } else if record.continuation.is_empty() && !starts_continuation(line) {
            break;
        } else {
            for _ in 0..pending_blank {
                record.continuation.push(Box::default());
            }
            pending_blank = 0;
            record.continuation.push(line.into());
        }
        if pending_blank > 1 {
            break;
        }
        pos = end.saturating_add(1);
    }
    // Trailing blank lines were not taken: scanning resumes at the first of them.
    let mut back = pos;
    for _ in 0..pending_blank {
        back = memchr::memrchr(b'\n', &block[..back.saturating_sub(1)]).map_or(0, |i| i + 1);
    }
    back.min(block.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::fields::FieldOverrides;

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
            let mut out = ScanOutput::default();
            search(id).scan_block(text.as_bytes(), text.len(), 0, 0, &mut out);
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
            let mut out = ScanOutput::default();
            search.scan_block(&line, line.len(), 0, 0, &mut out);
        }
    }
}
