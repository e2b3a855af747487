//! The parsers behind the extractor, side by side on the same lines: the skimmer (with
//! serde_json for what it declines, the product's path), serde_json alone, sonic-rs and
//! simd-json, each driving the same visitor that keeps only the aliased fields.
//!
//! ```text
//! cargo bench --bench parsers -- FILE...      # JSON-lines files, e.g. generated logs
//! ```
//!
//! Prints, per parser, the best of five passes over every line (MB/s) and how many lines gave
//! a trace id: the parsers must agree on that count, or the run fails. simd-json parses in
//! place, so each line is first copied into a buffer (as it would have to be in the product).

use std::time::{Duration, Instant};

use tracegrep::records::extract::{extract_into, parse_at_depth, parse_with, Extracted};
use tracegrep::records::fields::{FieldOverrides, FieldTable};

/// Passes per parser; the best is kept (the least disturbed by the rest of the machine).
const PASSES: usize = 5;

type Parse = fn(&[u8], &FieldTable, &mut Vec<u8>) -> bool;

fn main() {
    let paths: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if paths.is_empty() {
        eprintln!("usage: cargo bench --bench parsers -- FILE...");
        return;
    }
    let mut text = Vec::new();
    for path in &paths {
        match std::fs::read(path) {
            Ok(bytes) => text.extend(bytes),
            Err(e) => {
                eprintln!("parsers: {path}: {e}");
                std::process::exit(2);
            }
        }
    }
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"{"))
        .collect();
    let table = FieldTable::new(&FieldOverrides::default());
    let parsers: [(&str, Parse); 4] = [
        ("skim (product)", skim),
        ("serde_json", serde),
        ("sonic-rs", sonic),
        ("simd-json (copies)", simd),
    ];
    println!("{} lines, {} MB", lines.len(), text.len() >> 20);
    let mut counts = Vec::new();
    for (name, parse) in parsers {
        let mut best = Duration::MAX;
        let mut with_trace = 0;
        let mut buffer = Vec::new();
        for _ in 0..PASSES {
            let started = Instant::now();
            with_trace = lines
                .iter()
                .filter(|l| parse(l, &table, &mut buffer))
                .count();
            best = best.min(started.elapsed());
        }
        let mb_per_s = text.len() as f64 / best.as_secs_f64() / 1e6;
        println!(
            "{name:<20} {:>8.1} ms {mb_per_s:>8.0} MB/s  {with_trace} lines with a trace id",
            best.as_secs_f64() * 1e3
        );
        counts.push(with_trace);
    }
    if counts.windows(2).any(|w| w[0] != w[1]) {
        eprintln!("parsers: the parsers disagree on which lines carry a trace id");
        std::process::exit(1);
    }
}

fn has_trace(e: &Extracted<'_>) -> bool {
    tracegrep::records::decode_ids(e).trace.is_some()
}

fn skim(line: &[u8], table: &FieldTable, _: &mut Vec<u8>) -> bool {
    let mut e = Extracted::default();
    extract_into(line, table, &mut e).is_ok() && has_trace(&e)
}

fn serde(line: &[u8], table: &FieldTable, _: &mut Vec<u8>) -> bool {
    let mut e = Extracted::default();
    parse_at_depth(line, table, 0, &mut e).is_ok() && has_trace(&e)
}

fn sonic(line: &[u8], table: &FieldTable, _: &mut Vec<u8>) -> bool {
    let mut e = Extracted::default();
    let mut de = sonic_rs::Deserializer::from_slice(line);
    parse_with(&mut de, table, 0, &mut e).is_ok() && has_trace(&e)
}

fn simd(line: &[u8], table: &FieldTable, buffer: &mut Vec<u8>) -> bool {
    buffer.clear();
    buffer.extend_from_slice(line);
    let Ok(mut de) = simd_json::Deserializer::from_slice(buffer) else {
        return false;
    };
    let mut e = Extracted::default();
    parse_with(&mut de, table, 0, &mut e).is_ok() && has_trace(&e)
}
