//! Each stage of `tracegrep --all`, timed alone on one thread, on logs made by the project's
//! generator (`examples/common`, 12 services in 12 conventions, 1 % noise):
//!
//! ```text
//! cargo bench --bench stages                 # 32 MiB of logs
//! TRACEGREP_STAGES_SIZE=128 cargo bench --bench stages
//! ```
//!
//! - `floor`: counting the lines (memchr), the least any reader of the bytes does;
//! - `extract`: every line through the extractor (skimmer, serde_json for what it declines);
//! - `scan`: the every-line scan (lines, envelopes, extraction, ids, time, level decoded);
//! - `group`: the scan into the map of traces (`--all`'s sink);
//! - `summarise`: the map's traces summarised into rows (trees built, critical paths);
//! - `csv`: the rows written as CSV.
//!
//! Each stage includes the ones before it except `summarise` and `csv`, which start from the
//! previous stage's result; subtract to see what a stage adds. The throughput is of the logs'
//! bytes.
//!
//! `shape_probe` is an experiment, not a stage: the ceiling of "learn each source's shape"
//! (docs/benchmarks.md). Per file, the top-level keys of its first JSON line that the alias
//! table names are learned; then each line is searched for exactly those keys with memchr's
//! memmem and their values' ends found, nothing else walked. It checks nothing (a key inside a
//! nested object or a string would be taken), so it is what that design could reach at best.

#[allow(dead_code)]
#[path = "../examples/common/mod.rs"]
mod common;

use std::sync::OnceLock;

use divan::counter::BytesCount;
use divan::Bencher;
use tracegrep::diag::Diagnostics;
use tracegrep::modes::collect::{Collector, Keep};
use tracegrep::records::block::{Block, BlockScan, LineSink};
use tracegrep::records::extract::{extract_into, Extracted};
use tracegrep::records::fields::{FieldOverrides, FieldTable};
use tracegrep::records::lines::LineScan;
use tracegrep::records::{AnyLine, LineIds, LineRef};
use tracegrep::traces::filter::TraceFilter;
use tracegrep::traces::gates::Gates;
use tracegrep::traces::group::TraceMap;
use tracegrep::traces::summary::Row;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

/// The generated logs, each file's bytes.
fn logs() -> &'static Vec<Vec<u8>> {
    static LOGS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let mib: u64 = std::env::var("TRACEGREP_STAGES_SIZE")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(32);
        let dir = tempfile::tempdir().expect("dir");
        let opts = common::gen::Options::new(dir.path(), mib << 20, 7);
        common::gen::generate(&opts).expect("generate");
        let mut files: Vec<_> = std::fs::read_dir(dir.path().join("logs"))
            .expect("logs")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| std::fs::read(f).expect("read"))
            .collect()
    })
}

fn bytes() -> BytesCount {
    BytesCount::new(logs().iter().map(Vec::len).sum::<usize>())
}

fn table() -> FieldTable {
    FieldTable::new(&FieldOverrides::default())
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn floor(b: Bencher) {
    b.counter(bytes()).bench(|| {
        logs()
            .iter()
            .map(|f| memchr::memchr_iter(b'\n', f).count())
            .sum::<usize>()
    });
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn extract(b: Bencher) {
    let table = table();
    b.counter(bytes()).bench(|| {
        let mut with_fields = 0usize;
        for file in logs() {
            for line in file.split(|&b| b == b'\n') {
                let mut e = Extracted::default();
                if extract_into(line, &table, &mut e).is_ok() {
                    with_fields += 1;
                }
            }
        }
        with_fields
    });
}

/// Scans every file as one block into `sink`.
fn scan_into<K: LineSink>(scan: &LineScan, sink: &mut K) {
    for (source, file) in logs().iter().enumerate() {
        let block = Block::of_chunk(file, &(0..file.len()), source as u32);
        let mut diag = Diagnostics::default();
        let mut state = Default::default();
        scan.scan_block(&block, None, &mut state, &mut diag, sink);
    }
}

/// Counts the lines with a trace.
struct Count(usize);

impl LineSink for Count {
    fn line(&mut self, _: &AnyLine<'_>, _: &LineIds, _: LineRef, _: Option<&str>) {
        self.0 += 1;
    }
}

/// `--all`'s sink without filters: each line into its trace.
struct Group(TraceMap);

impl LineSink for Group {
    fn line(&mut self, line: &AnyLine<'_>, ids: &LineIds, at: LineRef, fallback: Option<&str>) {
        self.0.add_with_ids(line, ids, 0, fallback, at.offset);
    }
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn scan(b: Bencher) {
    let scan = LineScan::new(table());
    b.counter(bytes()).bench(|| {
        let mut count = Count(0);
        scan_into(&scan, &mut count);
        count.0
    });
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn group(b: Bencher) {
    let scan = LineScan::new(table());
    b.counter(bytes()).bench(|| {
        let mut group = Group(TraceMap::default());
        scan_into(&scan, &mut group);
        group.0
    });
}

fn grouped() -> TraceMap {
    let mut group = Group(TraceMap::default());
    scan_into(&LineScan::new(table()), &mut group);
    group.0
}

fn summarise_map(traces: TraceMap) -> Vec<Row> {
    let (filter, gates) = (TraceFilter::default(), Gates::default());
    let keep = Keep::rows(&filter, &gates);
    let mut collector = Collector::new(&keep, false);
    collector.add_all(traces);
    collector.finish().rows
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn summarise(b: Bencher) {
    let traces = grouped();
    b.counter(bytes())
        .with_inputs(|| traces.clone())
        .bench_values(summarise_map);
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn csv(b: Bencher) {
    let rows = summarise_map(grouped());
    b.counter(bytes()).bench(|| {
        let mut out = Vec::with_capacity(64 << 20);
        tracegrep::render::csv::write_csv(&mut out, &rows).expect("csv");
        out.len()
    });
}

/// The top-level keys of a file's first JSON line that the table names, as `"key":` needles.
fn learned_keys(file: &[u8], table: &FieldTable) -> Vec<Vec<u8>> {
    let first = file
        .split(|&b| b == b'\n')
        .find_map(|l| serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(l).ok())
        .unwrap_or_default();
    first
        .keys()
        .filter(|k| {
            table
                .lookup_bytes(k.as_bytes())
                .is_some_and(|i| i.alias.is_some())
        })
        .map(|k| format!("\"{k}\":").into_bytes())
        .collect()
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn shape_probe(b: Bencher) {
    let table = table();
    let shapes: Vec<Vec<memchr::memmem::Finder<'static>>> = logs()
        .iter()
        .map(|f| {
            learned_keys(f, &table)
                .into_iter()
                .map(|k| memchr::memmem::Finder::new(&k).into_owned())
                .collect()
        })
        .collect();
    b.counter(bytes()).bench(|| {
        let mut found = 0usize;
        for (file, keys) in logs().iter().zip(&shapes) {
            for line in file.split(|&b| b == b'\n') {
                for key in keys {
                    let Some(at) = key.find(line) else { continue };
                    let value = &line[at + key.needle().len()..];
                    let end = match value.first() {
                        Some(b'"') => memchr::memchr(b'"', &value[1..]).map(|e| e + 2),
                        _ => memchr::memchr2(b',', b'}', value),
                    };
                    found += end.unwrap_or(0).min(1);
                }
            }
        }
        found
    });
}

/// `quote_scan` is an experiment, not a stage: every quote of every line found (memchr, many
/// bytes at a time) and counted, which any walk of the JSON must at least do to know where its
/// strings are: the floor under a structural index (simdjson's stage 1 marks quotes,
/// backslashes and structural characters in one pass of the same kind).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn quote_scan(b: Bencher) {
    b.counter(bytes()).bench(|| {
        logs()
            .iter()
            .map(|f| memchr::memchr_iter(b'"', f).count())
            .sum::<usize>()
    });
}
