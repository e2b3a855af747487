//! Whole-trace documents (OTLP, Jaeger, Zipkin), on one line and spread over lines: any bytes
//! are read without panicking, and a document reads the same spread over lines (reflowed
//! back onto one) as on one line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracegrep::input::reflow::{is_spread_document, reflow};
use tracegrep::records::whole::{decode_whole_trace, is_whole_trace};

fuzz_target!(|data: &[u8]| {
    if is_whole_trace(data) {
        if let Some(records) = decode_whole_trace(data) {
            assert!(records.iter().all(|d| d.trace.is_some()));
        }
    }
    let _ = is_spread_document(data);
    let flowed = reflow(data);
    for line in flowed.split(|&b| b == b'\n') {
        if is_whole_trace(line) {
            let _ = decode_whole_trace(line);
        }
    }
    // A document, printed on one line and spread over many as `jq .` does.
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let one = serde_json::to_vec(&doc).unwrap();
    let spread = serde_json::to_vec_pretty(&doc).unwrap();
    let flowed = reflow(&spread);
    let line = flowed.strip_suffix(b"\n").unwrap_or(&flowed);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(line)
            .ok()
            .as_ref(),
        Some(&doc),
        "reflowed: {}",
        String::from_utf8_lossy(&flowed)
    );
    assert_eq!(
        String::from_utf8_lossy(line),
        String::from_utf8_lossy(&one),
        "not the one-line document"
    );
    if spread.contains(&b'\n') {
        assert!(is_spread_document(&spread));
    }
    assert_eq!(is_whole_trace(&one), is_whole_trace(line));
    assert_eq!(decode_whole_trace(&one), decode_whole_trace(line));
});
