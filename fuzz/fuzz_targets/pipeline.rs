//! The whole pipeline on a small in-memory "file": every line into traces, then summaries and
//! every renderer (table, CSV, JSON, JSON Lines, statistics), and each of the first traces
//! found again by the one-trace search and printed in every view. `--format json` output must
//! be JSON, and terminal output (colour off) must hold no raw control, bidi or C1 character
//! from the log text.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tracegrep::cli::SortKey;
use tracegrep::diag::Diagnostics;
use tracegrep::modes::collect::{Collector, Keep};
use tracegrep::records::block::{Block, BlockScan};
use tracegrep::records::extract::extract;
use tracegrep::records::fields::{FieldOverrides, FieldTable};
use tracegrep::records::ids::{TraceKey, TraceQuery};
use tracegrep::records::lines::LineScan;
use tracegrep::records::scan::TraceSearch;
use tracegrep::records::{decode_ids, AnyLine, LineIds, LineRef, Record};
use tracegrep::render::diff::json::write_diff_json;
use tracegrep::render::diff::markdown::write_diff_markdown;
use tracegrep::render::diff::{write_diff, DiffInput};
use tracegrep::render::fields::FieldChoice;
use tracegrep::render::stats::{write_stats, write_stats_json};
use tracegrep::render::term::RenderOptions;
use tracegrep::render::view::{write_trace, TraceView, ViewOptions};
use tracegrep::render::{csv, json, table};
use tracegrep::traces::assemble;
use tracegrep::traces::compare::saved::shape_of_document;
use tracegrep::traces::compare::{compare, Shape};
use tracegrep::traces::filter::TraceFilter;
use tracegrep::traces::gates::Gates;
use tracegrep::traces::group::TraceMap;
use tracegrep::traces::stats::{StatsAcc, StatsOrder};

fn table() -> &'static FieldTable {
    static TABLE: OnceLock<FieldTable> = OnceLock::new();
    TABLE.get_or_init(|| FieldTable::new(&FieldOverrides::default()))
}

const TERM: RenderOptions = RenderOptions {
    color: false,
    width_cols: 100,
};

/// Terminal output may hold newlines, and nothing else a terminal acts on.
fn assert_terminal_safe(what: &str, out: &[u8]) {
    let text = String::from_utf8_lossy(out);
    let bad = text.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c,
                '\u{200e}' | '\u{200f}' | '\u{061c}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}' | '\u{2029}')
    });
    assert!(bad.is_none(), "{what} printed {bad:?} raw:\n{text}");
}

fn assert_json(what: &str, out: &[u8]) {
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(out) {
        panic!(
            "{what} is not JSON ({e}):\n{}",
            String::from_utf8_lossy(out)
        );
    }
}

/// Every line into a map of traces, as `--all` reads a file.
fn every_trace(block: &Block<'_>) -> TraceMap {
    let scan = LineScan::new(table().clone());
    let mut traces = TraceMap::default();
    let mut sink = |line: &AnyLine<'_>, ids: &LineIds, at: LineRef, fallback: Option<&str>| {
        traces.add_with_ids(line, ids, 0, fallback, at.offset);
    };
    let mut diag = Diagnostics::default();
    scan.scan_block(
        block,
        Some("app"),
        &mut Default::default(),
        &mut diag,
        &mut sink,
    );
    traces.join_low_halves();
    let _ = traces.join_correlations();
    traces
}

/// The one-trace search for `id`, as `tracegrep ID` runs it.
fn one_trace(block: &Block<'_>, id: &TraceKey) -> Vec<Record> {
    let Ok(search) = TraceSearch::new(TraceQuery::parse(&id.to_string()), table().clone()) else {
        return Vec::new();
    };
    let mut records = Vec::new();
    search.scan_block(
        block,
        Some("app"),
        &mut (),
        &mut Diagnostics::default(),
        &mut records,
    );
    records
        .retain(|r| r.trace.matches(id) || r.correlation.as_ref().is_some_and(|c| c.matches(id)));
    records
}

fuzz_target!(|data: &[u8]| {
    let block = Block::of_stream(data, 0, 0, false);
    let traces = every_trace(&block);
    let (filter, gates) = (TraceFilter::default(), Gates::default());
    let keep = Keep {
        filter: &filter,
        gates: &gates,
        sort: SortKey::Start,
        trees: true,
        stats: false,
        limit: None,
        completeness: None,
    };
    let mut collector = Collector::new(&keep, false);
    collector.add_all(traces);
    let rows = collector.finish().rows;

    let mut out = Vec::new();
    table::write_table(&mut out, &rows, &TERM).unwrap();
    assert_terminal_safe("the table", &out);
    out.clear();
    csv::write_csv(&mut out, &rows).unwrap();
    assert_terminal_safe("CSV", &out);
    out.clear();
    json::write_summaries_json(&mut out, &rows).unwrap();
    assert_json("--all --format json", &out);
    out.clear();
    json::write_summaries_jsonl(&mut out, &rows).unwrap();
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        assert_json("a line of --format jsonl", line);
    }
    let mut stats = StatsAcc::default();
    for row in &rows {
        stats.add(row);
    }
    let stats = stats.finish(StatsOrder::Spans);
    out.clear();
    write_stats(&mut out, &stats, None, &TERM).unwrap();
    assert_terminal_safe("--stats", &out);
    out.clear();
    write_stats_json(&mut out, &stats).unwrap();
    assert_json("--stats --format json", &out);

    let sources = ["app.log".to_string()];
    let opts = ViewOptions {
        term: &TERM,
        timeline_fields: &FieldChoice::Auto,
        sources: &sources,
        name_raw_lines: true,
        stdout_is_terminal: true,
        completeness: None,
    };
    for row in rows.iter().take(3) {
        let records = one_trace(&block, &row.id);
        // The prefilter looks for an id in lower and in upper case: an id logged in mixed
        // case (`…929d0A0e4736`) holds none of its needles and is not looked for.
        let needles = TraceQuery::parse(&row.id.to_string()).needles();
        // Only lines that hold a needle and name the trace themselves count.
        let spelled = data.split(|&b| b == b'\n').any(|line| {
            let holds = needles
                .iter()
                .any(|n| !n.is_empty() && line.windows(n.len()).any(|w| w == n.as_slice()));
            holds
                && line
                    .iter()
                    .position(|&b| b == b'{')
                    .and_then(|at| extract(&line[at..], table()).ok())
                    .and_then(|e| decode_ids(&e).trace)
                    .is_some_and(|k| k.matches(&row.id))
        });
        if spelled && !matches!(row.id, TraceKey::Opaque(_)) {
            assert!(
                !records.is_empty(),
                "--all listed {} but it is not found",
                row.id
            );
        }
        let Some(trace) = assemble(records) else {
            continue;
        };
        for view in [
            TraceView::Full,
            TraceView::Waterfall,
            TraceView::Timeline,
            TraceView::Json,
            TraceView::Raw,
            TraceView::Jaeger,
            TraceView::Otlp,
            TraceView::Tree,
        ] {
            out.clear();
            write_trace(&mut out, &trace, view, &opts).unwrap();
            match view {
                TraceView::Json => assert_json("a trace as JSON", &out),
                TraceView::Jaeger => assert_json("a trace as Jaeger JSON", &out),
                TraceView::Otlp => {
                    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                        assert!(line.len() < 1 << 20, "an OTLP line of {} bytes", line.len());
                        assert_json("a line of OTLP/JSON", line);
                    }
                }
                _ => assert_terminal_safe(&format!("the {view:?} view"), &out),
            }
        }
        compare_with_itself(&trace, &opts);
    }
});

/// `--diff` of a trace with itself, and with its saved `--format json` document: nothing only
/// on one side, and every view of the comparison safe.
fn compare_with_itself(trace: &tracegrep::traces::Trace, opts: &ViewOptions<'_>) {
    let live = Shape::of_trace(trace);
    let mut doc = Vec::new();
    write_trace(&mut doc, trace, TraceView::Json, opts).unwrap();
    let saved =
        shape_of_document(std::str::from_utf8(&doc).unwrap()).expect("a saved trace reads back");
    for other in [&live, &saved] {
        let diff = compare(&live, other);
        assert_eq!(
            (diff.only_in_a, diff.only_in_b),
            (0, 0),
            "a trace differs from itself: {diff:?}"
        );
        let input = DiffInput {
            a: &live,
            b: other,
            diff: &diff,
        };
        let mut out = Vec::new();
        write_diff(&mut out, &input, &TERM).unwrap();
        assert_terminal_safe("the diff", &out);
        out.clear();
        write_diff_markdown(&mut out, &input).unwrap();
        assert_terminal_safe("the diff as Markdown", &out);
        out.clear();
        write_diff_json(&mut out, &input).unwrap();
        assert_json("the diff as JSON", &out);
    }
}
