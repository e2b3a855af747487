//! Id normalisation: an id made from the fuzz bytes, written in every spelling logs use, must be
//! found by the query typed in every spelling a user may copy (the command-line and the in-log
//! readings agree, and the prefilter's needles and the one-trace search find the line). Any
//! text typed as a query, or logged as a correlation id, is read without panicking and finds
//! its own line.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tracegrep::diag::Diagnostics;
use tracegrep::records::block::{Block, BlockScan};
use tracegrep::records::extract::extract;
use tracegrep::records::fields::{FieldOverrides, FieldTable};
use tracegrep::records::ids::{TraceKey, TraceQuery};
use tracegrep::records::scan::TraceSearch;
use tracegrep::records::{decode_ids, Record};

fn table() -> &'static FieldTable {
    static TABLE: OnceLock<FieldTable> = OnceLock::new();
    TABLE.get_or_init(|| FieldTable::new(&FieldOverrides::default()))
}

fn guid(hex: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A log line spelling an id, and whether it spells all 128 bits.
struct Logged {
    line: String,
    full: bool,
}

fn logged(id: u128, span: u64) -> Vec<Logged> {
    let hex = format!("{id:032x}");
    let up = hex.to_ascii_uppercase();
    let s = format!("{span:016x}");
    let low = id as u64;
    let xray = format!("1-{}-{}", &hex[..8], &hex[8..]);
    let mut out: Vec<(String, bool)> = vec![
        (format!(r#"{{"trace_id":"{hex}"}}"#), true),
        (format!(r#"{{"traceId":"{up}"}}"#), true),
        (format!(r#"{{"TraceId":"{}"}}"#, guid(&hex)), true),
        (format!(r#"{{"trace.id":"{}"}}"#, guid(&up)), true),
        (format!(r#"{{"traceparent":"00-{hex}-{s}-01"}}"#), true),
        (format!(r#"{{"sentry-trace":"{hex}-{s}-1"}}"#), true),
        (
            format!(r#"{{"logging.googleapis.com/trace":"projects/p/traces/{hex}"}}"#),
            true,
        ),
        (format!(r#"{{"b3":"{hex}-{s}-1"}}"#), true),
        (format!(r#"{{"uber-trace-id":"{hex}:{s}:0:1"}}"#), true),
        (
            format!(r#"{{"uber-trace-id":"{id:x}:{span:x}:0:1"}}"#),
            id >> 64 != 0,
        ),
        (format!(r#"{{"xray_trace_id":"{xray}"}}"#), true),
        (
            format!(r#"{{"X-Amzn-Trace-Id":"Root={xray};Parent={s};Sampled=1"}}"#),
            true,
        ),
        (format!(r#"{{"correlationId":"{}"}}"#, guid(&hex)), true),
    ];
    if low != 0 {
        out.push((format!(r#"{{"dd":{{"trace_id":{low}}}}}"#), false));
        out.push((format!(r#"{{"dd.trace_id":"{low}"}}"#), false));
        out.push((format!(r#"{{"X-B3-TraceId":"{low:016x}"}}"#), false));
    }
    out.into_iter()
        .map(|(line, full)| Logged { line, full })
        .collect()
}

/// What a user may type for the id, and whether it is only a prefix of it.
fn typed(id: u128, span: u64) -> Vec<(String, bool)> {
    let hex = format!("{id:032x}");
    let s = format!("{span:016x}");
    let low = id as u64;
    let xray = format!("1-{}-{}", &hex[..8], &hex[8..]);
    let mut out = vec![
        (hex.clone(), false),
        (hex.to_ascii_uppercase(), false),
        (format!("  {hex}\n"), false),
        (guid(&hex), false),
        (guid(&hex).to_ascii_uppercase(), false),
        (format!("00-{hex}-{s}-01"), false),
        (format!("projects/p/traces/{hex}"), false),
        (format!("{hex}-{s}-1"), false),
        (format!("{hex}:{s}:0:1"), false),
        (xray.clone(), false),
        (format!("Root={xray};Parent={s};Sampled=1"), false),
        (format!("{}…", &hex[..12]), true),
        (format!("{}...", &hex[..20]), true),
    ];
    if low != 0 {
        out.push((format!("{low:016x}"), false));
        // Up to 16 digits read as hex (the length of a 64-bit hex id): only longer decimals
        // are Datadog's.
        if low.to_string().len() > 16 {
            out.push((low.to_string(), false));
        }
    }
    out
}

/// The one-trace search over a one-line "file".
fn search(search: &TraceSearch, line: &str) -> Vec<Record> {
    let text = format!("{line}\n");
    let block = Block::of_stream(text.as_bytes(), 0, 0, false);
    let mut records = Vec::new();
    search.scan_block(
        &block,
        None,
        &mut (),
        &mut Diagnostics::default(),
        &mut records,
    );
    records
}

fn finds(search_for: &TraceSearch, typed: &str, line: &str, key: &TraceKey) {
    let query = search_for.query();
    assert!(
        query.wants(key),
        "{typed:?} does not want {key:?} of {line}"
    );
    assert!(
        query
            .needles()
            .iter()
            .any(|n| !n.is_empty() && line.as_bytes().windows(n.len()).any(|w| w == n)),
        "no needle of {typed:?} in {line}"
    );
    assert_eq!(
        search(search_for, line).len(),
        1,
        "{typed:?} not found in {line}"
    );
}

fn numeric(data: &[u8]) {
    let mut b = [0u8; 24];
    b[..data.len().min(24)].copy_from_slice(&data[..data.len().min(24)]);
    let id = u128::from_le_bytes(b[..16].try_into().unwrap());
    let span = u64::from_le_bytes(b[16..].try_into().unwrap()).max(1);
    if id == 0 {
        return;
    }
    // Searches are built once per query (building the multi-literal searcher is the cost).
    let queries: Vec<(String, TraceSearch, bool)> = typed(id, span)
        .into_iter()
        .map(|(t, prefix)| {
            let q = TraceSearch::new(TraceQuery::parse(&t), table().clone()).expect("a search");
            (t, q, prefix)
        })
        .collect();
    for log in logged(id, span) {
        let e = extract(log.line.as_bytes(), table()).expect("a JSON line");
        let key = decode_ids(&e)
            .trace
            .unwrap_or_else(|| panic!("no trace id in {}", log.line));
        for (t, q, prefix) in &queries {
            // A prefix is of the 32 digits tracegrep prints; one of only zeros says nothing
            // about an id logged without its leading zeros.
            if *prefix && (!log.full || id >> 80 == 0) {
                continue;
            }
            finds(q, t, &log.line, &key);
        }
    }
}

/// Text logged as a correlation id (kept verbatim unless it is hex) is found by the same text.
fn opaque(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = TraceQuery::parse(text);
    // JSON escapes these, so the logged bytes differ from the typed ones.
    if text.is_empty()
        || text.len() > 200
        || text
            .chars()
            .any(|c| c == '"' || c == '\\' || c.is_control())
    {
        return;
    }
    let line = format!(r#"{{"request_id":"{text}"}}"#);
    let Ok(e) = extract(line.as_bytes(), table()) else {
        return;
    };
    let Some(key) = decode_ids(&e).trace else {
        return;
    };
    let query = TraceQuery::parse(text);
    if query.literal.is_empty() || query.needles().iter().all(|n| n.is_empty()) {
        return;
    }
    let Ok(search) = TraceSearch::new(query, table().clone()) else {
        return;
    };
    finds(&search, text, &line, &key);
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((0, rest)) => opaque(rest),
        _ => numeric(data),
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let q = TraceQuery::parse(text);
        let _ = q.needles();
    }
});
