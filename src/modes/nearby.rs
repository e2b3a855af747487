//! Lines without context near one trace: after the search, the bytes of each file between
//! the trace's first and last line of a service are read again, and the lines of that service
//! logged meanwhile whose id field lost its value (see [`crate::records::context`]) are
//! gathered. They are shown apart and never join the trace: nothing says which of the
//! requests running at the time they belonged to.
//!
//! The search itself is untouched (it never parses a line without the id): this pass reads
//! only the trace's own files and byte ranges, so its cost follows the request's length, not
//! the input's size.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use crate::diag::Diagnostics;
use crate::input::open::{decode_stream, sniff};
use crate::input::Source;
use crate::records::context::lost_context;
use crate::records::envelope::unwrap_line;
use crate::records::fields::FieldTable;
use crate::records::geometry::trim_line;
use crate::records::ids::TraceKey;
use crate::records::payload::view_payload;
use crate::records::service::line_service_or_unknown;
use crate::records::time::Nanos;
use crate::records::{LineFields, LineRef, Record, SourceId};
use crate::traces::complete::{Nearby, MAX_NEARBY_SHOWN};
use crate::traces::Trace;

/// Bytes read again per file at most: past it the window is not read (and a note says so).
const MAX_WINDOW_BYTES: u64 = 64 << 20;

/// Where a service's lines of the trace lie in one file: bytes and times.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: u64,
    to: u64,
    first: Option<Nanos>,
    last: Option<Nanos>,
}

/// Finds the lines without context near `trace` in its files (`sources`, by source id).
pub fn find_nearby(trace: &Trace, sources: &[Source], table: &FieldTable) -> Nearby {
    let mut windows: BTreeMap<(SourceId, &str), Window> = BTreeMap::new();
    for r in &trace.records {
        let service = r
            .service
            .as_deref()
            .unwrap_or(crate::traces::UNKNOWN_SERVICE);
        let end = r.line.offset + r.raw.len() as u64;
        let w = windows.entry((r.line.source, service)).or_insert(Window {
            from: r.line.offset,
            to: end,
            first: r.time,
            last: r.time,
        });
        w.from = w.from.min(r.line.offset);
        w.to = w.to.max(end);
        w.first = min_time(w.first, r.time, i64::min);
        w.last = min_time(w.last, r.time, i64::max);
    }
    let mut nearby = Nearby::default();
    let mut found: Vec<Record> = Vec::new();
    let placeholder = placeholder_finder();
    let mut by_source: BTreeMap<SourceId, Vec<(&str, Window)>> = BTreeMap::new();
    for ((source, service), w) in windows {
        by_source.entry(source).or_default().push((service, w));
    }
    for (source, services) in by_source {
        let Some(src) = sources.get(source as usize) else {
            continue;
        };
        let Some(path) = &src.path else {
            continue;
        };
        let from = services.iter().map(|(_, w)| w.from).min().unwrap_or(0);
        let to = services.iter().map(|(_, w)| w.to).max().unwrap_or(0);
        if to - from > MAX_WINDOW_BYTES {
            nearby.notes.push(format!(
                "{}: the trace spans more than {} MiB; lines without context were not looked for",
                src.display,
                MAX_WINDOW_BYTES >> 20
            ));
            continue;
        }
        let bytes = match read_range(path, from, to) {
            Ok(b) => b,
            Err(e) => {
                nearby.notes.push(format!("{}: {e}", src.display));
                continue;
            }
        };
        let fallback = src.fallback_service();
        scan_window(
            placeholder.as_ref(),
            &bytes,
            from,
            source,
            &services,
            fallback.as_deref(),
            table,
            &mut found,
        );
    }
    found.sort_by_key(|r| (r.time.unwrap_or(i64::MAX), r.line.source, r.line.offset));
    for r in &found {
        let service = r.service.clone().unwrap_or_default();
        *nearby.counts.entry(service).or_insert(0) += 1;
    }
    found.truncate(MAX_NEARBY_SHOWN);
    nearby.lines = found;
    nearby
}

/// What every placeholder value contains, as logged: a word (any case), a quoted value that
/// starts with `0` or `-` (zeros, dashes, an all-zero id or traceparent), an empty string, or
/// the number 0 (the finder is a prefilter: the parse decides). `None` if it cannot be built,
/// and then every line is parsed. Built once per trace, as a plain automaton: a DFA took
/// longer to build (3.5 M instructions) than the windows of a typical trace take to scan.
fn placeholder_finder() -> Option<aho_corasick::AhoCorasick> {
    aho_corasick::AhoCorasick::builder()
        .kind(Some(aho_corasick::AhoCorasickKind::NoncontiguousNFA))
        .ascii_case_insensitive(true)
        .build([
            "undefined",
            "null",
            "nil",
            "none",
            "n/a",
            "\"na\"",
            "unknown",
            "missing",
            "\"0",
            "\"-",
            "\"\"",
            ":0",
            ": 0",
        ])
        .ok()
}

fn min_time(a: Option<Nanos>, b: Option<Nanos>, pick: fn(i64, i64) -> i64) -> Option<Nanos> {
    match (a, b) {
        (Some(a), Some(b)) => Some(pick(a, b)),
        (a, b) => a.or(b),
    }
}

/// Reads bytes `from..to` of a file as its lines are numbered (decoded, for a compressed one).
fn read_range(path: &std::path::Path, from: u64, to: u64) -> io::Result<Vec<u8>> {
    let mut file = File::open(path)?;
    let mut head = [0u8; 4];
    let got = file.read(&mut head)?;
    let mut bytes = Vec::new();
    let plain =
        sniff(&head[..got]).is_none() && !crate::input::reflow::is_spread_document(&head[..got]);
    if plain {
        file.seek(SeekFrom::Start(from))?;
        file.take(to - from).read_to_end(&mut bytes)?;
    } else {
        file.seek(SeekFrom::Start(0))?;
        let (_, mut reader) = decode_stream(file)?;
        io::copy(&mut (&mut reader).take(from), &mut io::sink())?;
        reader.take(to - from).read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

/// The lines of `bytes` (which start at `base` in `source`) that lost their context, of one
/// of `services` and logged within its window.
#[allow(clippy::too_many_arguments)]
fn scan_window(
    placeholder: Option<&aho_corasick::AhoCorasick>,
    bytes: &[u8],
    base: u64,
    source: SourceId,
    services: &[(&str, Window)],
    fallback: Option<&str>,
    table: &FieldTable,
    found: &mut Vec<Record>,
) {
    let mut diag = Diagnostics::default();
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let offset = base + start as u64;
        let raw = &bytes[start..end];
        start = end + 1;
        // Most lines of a window are other requests' lines with ids: only a line with
        // something that could be a placeholder is parsed.
        if !placeholder.is_none_or(|f| f.is_match(raw)) {
            continue;
        }
        let env = unwrap_line(trim_line(raw, offset));
        let hit = view_payload(table, &env, &mut diag, |view, _| {
            if view.ids().trace.is_some() || !lost_context(view, table) {
                return None;
            }
            let service = line_service_or_unknown(view, fallback);
            let time = view.time();
            let inside = services.iter().any(|(s, w)| {
                *s == service
                    && offset >= w.from
                    && offset < w.to
                    && match (time, w.first, w.last) {
                        (Some(t), Some(a), Some(b)) => t >= a && t <= b,
                        _ => true,
                    }
            });
            inside.then(|| {
                let d = view.decode();
                Record {
                    trace: TraceKey::Opaque("".into()),
                    correlation: None,
                    span: None,
                    parent: None,
                    parent_hint: None,
                    time: d.time,
                    duration_ns: d.duration_ns,
                    level: d.level,
                    service: Some(service),
                    service_hint: d.service_hint,
                    name: d.name,
                    message: d.message,
                    status: d.status,
                    stack: None,
                    call: d.call,
                    line: LineRef { source, offset },
                    raw: raw.strip_suffix(b"\r").unwrap_or(raw).into(),
                    continuation: Vec::new(),
                    lossy_utf8: false,
                }
            })
        });
        if let Some(Some(record)) = hit {
            found.push(record);
        }
    }
}
