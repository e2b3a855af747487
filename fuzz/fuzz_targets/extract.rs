//! The line extractor, differentially: on every line both the skimmer and serde_json (the
//! reference) accept, the decoded fields (ids, time, level, service, message, every other
//! field of `Decoded`) must be the same. Neither may panic on any bytes. (The skimmer also
//! accepts lines whose only damage is in a value it skips: see below.) The input is read as
//! lines, one after another, because the skimmer guesses each key from the keys of the lines
//! before it: a wrong guess must never change an answer.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tracegrep::records::decode;
use tracegrep::records::extract::{extract_into, parse_at_depth, Extracted};
use tracegrep::records::fields::{FieldOverrides, FieldTable};
use tracegrep::records::skim::skim_into;

fn table() -> &'static FieldTable {
    static TABLE: OnceLock<FieldTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        FieldTable::new(&FieldOverrides::default()).with_extra_paths(&[
            "http.status".into(),
            "user.id".into(),
            "a.b".into(),
        ])
    })
}

fuzz_target!(|data: &[u8]| {
    for line in data.split(|&b| b == b'\n') {
        check(line);
    }
});

fn check(line: &[u8]) {
    let t = table();
    let mut fast = Extracted::default();
    let skimmed = skim_into(line, t, 0, &mut fast).is_ok();
    let mut slow = Extracted::default();
    let parsed = parse_at_depth(line, t, 0, &mut slow).is_ok();
    // What the product runs: the skimmer, serde_json where it declines.
    let mut product = Extracted::default();
    let extracted = extract_into(line, t, &mut product).is_ok();
    assert_eq!(extracted, skimmed || parsed);
    // The skimmer jumps over values no alias names without validating them (strings to their
    // closing quote, containers by bracket matching), so a line damaged only there is read,
    // where serde_json rejects it whole: a line kept rather than lost. Where both read it,
    // they must agree.
    if skimmed && parsed {
        assert_eq!(
            decode(&fast),
            decode(&slow),
            "skimmer and serde_json disagree on {:?}",
            String::from_utf8_lossy(line)
        );
        assert_eq!(fast.unwrapped, slow.unwrapped);
    }
}
