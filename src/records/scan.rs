//! The search: a multi-literal prefilter over raw bytes, then a parse of candidate lines only.
//!
//! Every spelling of the wanted id is searched at once (Aho-Corasick, which uses SIMD "Teddy"
//! for a handful of literals). A hit only says "maybe": the line is parsed and its id fields
//! decide. Lines without a hit are never parsed or even split, so the cost of a search is the
//! cost of the byte scan.

use crate::diag::Diagnostics;
use crate::records::block::{Block, BlockScan};
use crate::records::continuation::collect_continuation;
use crate::records::envelope::{envelope_stream, unwrap_line, Envelope};
use crate::records::fields::FieldTable;
use crate::records::geometry::{join_pieces, trim_line};
use crate::records::ids::{TraceKey, TraceQuery};
use crate::records::payload::decode_payload;
use crate::records::prefilter::Finder;
pub use crate::records::prefilter::SearchError;
use crate::records::service::name_record_service;
use crate::records::walk::walk_lines;
use crate::records::whole::{decode_whole_trace, is_whole_trace};
use crate::records::{Decoded, LineRef, Record, SourceId};

/// Searches blocks of lines for the records of one trace.
#[derive(Debug, Clone)]
pub struct TraceSearch {
    finder: Finder,
    query: TraceQuery,
    table: FieldTable,
    /// Lines whose correlation id is the query also match (with their own trace id).
    follow_correlation: bool,
    /// Instead of a trace, the lines of this span, whatever their trace.
    span: Option<crate::records::ids::SpanId>,
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
            span: None,
        })
    }

    /// A search for the lines of one span, whatever trace they logged it under: who logged a
    /// parent a trace names but never logged itself.
    pub fn span_owner(
        span: crate::records::ids::SpanId,
        table: FieldTable,
    ) -> Result<TraceSearch, SearchError> {
        let mut search = TraceSearch::new(TraceQuery::parse(&span.to_string()), table)?;
        search.follow_correlation = false;
        search.span = Some(span);
        Ok(search)
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

    /// The fields it reads.
    pub fn table(&self) -> &FieldTable {
        &self.table
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
        let (hay, base_offset, source) = (block.bytes, block.base_offset, block.source);
        walk_lines(block, &self.finder, |v| {
            diag.candidate_lines += 1;
            let parsed = if v.piece {
                self.parse_run(hay, v.first, v.end, base_offset, source, diag)
            } else {
                let raw = &hay[v.first..v.end];
                let offset = base_offset + v.first as u64;
                let env = unwrap_line(trim_line(raw, offset));
                let payload = env.payload.trim_ascii_start();
                if is_whole_trace(payload) {
                    let line = LineRef { source, offset };
                    self.whole_trace_records(payload, raw, line, fallback, diag, records);
                    return v.next;
                }
                self.parse_payload(env, raw, offset, source, diag)
            };
            let Some((mut record, pod)) = parsed else {
                return v.next;
            };
            let resume = collect_continuation(hay, v.next, pod, &mut record);
            diag.matched_lines += 1;
            name_record_service(&mut record, fallback);
            records.push(record);
            resume
        })
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
        if let Some(span) = self.span {
            return decoded.trace.clone().filter(|_| decoded.span == Some(span));
        }
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
    /// Nothing: a record takes its stack trace by reading ahead.
    type State = ();

    fn scan_block(
        &self,
        block: &Block<'_>,
        fallback: Option<&str>,
        _: &mut (),
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
                &mut (),
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
                &mut (),
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
                &mut (),
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
                &mut (),
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
            &mut (),
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
