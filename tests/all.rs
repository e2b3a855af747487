//! --all and --stats: the table of traces, its formats, each filter, the statistics.

use crate::util::{fixture, run, tracegrep};

const CHECKOUT: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PRODUCTS: &str = "0af7651916cd43dd8448eb211c80319c";
const INVOICE: &str = "5b8efff798038103d269b633813fc60c";

/// Trace ids of the CSV rows printed for these arguments on fixtures/mixed.
fn kept(args: &[&str]) -> Vec<String> {
    let out = run(tracegrep()
        .args(["--all", "-q", "--format", "csv"])
        .args(args)
        .arg("fixtures/mixed"));
    assert!(out.code == 0 || out.code == 1, "{}", out.snapshot());
    out.stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_table_has_one_row_per_trace() {
    let out = run(tracegrep().args(["--all", "fixtures/mixed"]));
    assert_eq!(out.code, 0);
    insta::assert_snapshot!("all__mixed_table", out.snapshot());
}

#[test]
fn sort_and_limit() {
    assert_eq!(kept(&[]), [CHECKOUT, PRODUCTS, INVOICE]);
    assert_eq!(kept(&["--sort", "duration"]), [CHECKOUT, PRODUCTS, INVOICE]);
    assert_eq!(kept(&["--sort", "lines"])[0], CHECKOUT);
    assert_eq!(kept(&["--sort", "errors"])[2], PRODUCTS);
    let out = run(tracegrep().args([
        "--all",
        "-q",
        "--format",
        "csv",
        "--limit",
        "1",
        "fixtures/mixed",
    ]));
    assert_eq!(out.stdout.lines().count(), 2);
    assert_eq!(
        out.stderr,
        "tracegrep: showing 1 of 3 traces (--limit 0 shows all)\n"
    );
}

#[test]
fn each_filter() {
    assert_eq!(kept(&["--errors"]), [CHECKOUT, INVOICE]);
    assert_eq!(kept(&["--service", "USERS"]), [CHECKOUT, INVOICE]);
    // Part of a name is enough (the issue's `--service payment` for `payments`).
    assert_eq!(
        kept(&["--service", "Pay"]),
        kept(&["--service", "payments"])
    );
    assert!(!kept(&["--service", "pay"]).is_empty());
    assert_eq!(kept(&["--min-duration", "50ms"]), [CHECKOUT]);
    assert_eq!(kept(&["--shorter-than", "50ms"]), [PRODUCTS, INVOICE]);
    assert_eq!(kept(&["--until", "2026-11-20T10:00:01.010Z"]), [CHECKOUT]);
    assert_eq!(kept(&["--since", "2026-11-20T10:00:01.100Z"]), [CHECKOUT]);
    assert_eq!(kept(&["--where", "status>=500"]), [CHECKOUT]);
    assert_eq!(kept(&["--where", "msg~declined"]), [CHECKOUT]);
    assert_eq!(
        kept(&["--where", "upstream=auth", "--where", "status=200"]),
        [CHECKOUT]
    );
    assert_eq!(kept(&["--grep", "declined|refused"]), [CHECKOUT]);
    // Filters compose: all must hold.
    assert_eq!(kept(&["--errors", "--shorter-than", "50ms"]), [INVOICE]);
}

#[test]
fn nothing_kept_exits_1_and_bad_filters_exit_2() {
    let out = run(tracegrep().args(["--all", "-q", "--service", "nope", "fixtures/mixed"]));
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "tracegrep: none of 3 traces matched the filters\n"
    );
    let out = run(tracegrep().args(["--all", "--where", "no operator", "fixtures/mixed"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("tracegrep: --where \"no operator\": expected PATH=VALUE"),
        "{}",
        out.stderr
    );
    let out = run(tracegrep().args(["--errors", CHECKOUT, "fixtures/mixed"]));
    assert_eq!(out.code, 2, "filters need --all");
}

#[test]
fn machine_formats() {
    let out = run(tracegrep().args(["--all", "-q", "--format", "jsonl", "fixtures/mixed"]));
    let docs: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[0]["schema"], "tracegrep.trace");
    assert_eq!(docs[0]["trace_id"], CHECKOUT);
    assert_eq!(docs[0]["lines"], 27);
    assert_eq!(docs[0]["root_service"], "edge-gateway");
    assert_eq!(docs[0]["spans"].as_array().expect("spans").len(), 13);
    let out = run(tracegrep().args(["--all", "-q", "--format", "json", "fixtures/mixed"]));
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(doc["schema"], "tracegrep.traces");
    assert_eq!(doc["traces"].as_array().expect("traces").len(), 3);
}

#[test]
fn all_reads_stdin_and_counts_lines_without_ids() {
    let input = std::fs::read(fixture("mixed/payments.jsonl")).expect("read");
    let out = run(tracegrep()
        .args(["--all", "--format", "csv"])
        .write_stdin(input));
    assert_eq!(out.code, 0);
    // The header and the one trace the payments service logged.
    assert_eq!(out.stdout.lines().count(), 2);
    assert_eq!(
        out.stderr,
        "tracegrep: <stdin>: 1 JSON line without a trace id\n"
    );
}

/// A trace that never goes quiet on a stream, with a new span on every line: past 100,000
/// spans the rest share one span, so memory stays bounded and no line is lost.
#[test]
fn a_runaway_trace_on_stdin_keeps_every_line() {
    use std::fmt::Write as _;
    let spans = 100_010;
    let mut input = String::with_capacity(spans * 110);
    for i in 1..=spans {
        let _ = writeln!(
            input,
            r#"{{"time":{},"service":"batch","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"{i:016x}","msg":"item {i}"}}"#,
            1_763_632_800_000_u64 + i as u64
        );
    }
    let out = run(tracegrep()
        .args(["--all", "--format", "csv"])
        .write_stdin(input));
    assert_eq!(out.code, 0);
    let row: Vec<&str> = out
        .stdout
        .lines()
        .nth(1)
        .expect("a row")
        .split(',')
        .collect();
    // spans (100,000 kept + the shared one), lines, and the duration of every line.
    assert_eq!(row[4], "100001", "{}", out.stdout);
    assert_eq!(row[5], spans.to_string());
    assert_eq!(row[2], format!("{}.000", spans - 1));
    assert_eq!(
        out.stderr,
        "tracegrep: 1 trace had more than 100000 spans: the 10 lines of later spans are shown as one span per trace\n"
    );
}

#[test]
fn stats_per_service_operation_and_critical_path() {
    let out = run(tracegrep().args(["--stats", "-q", "fixtures/mixed"]));
    assert_eq!(out.code, 0);
    insta::assert_snapshot!("all__mixed_stats", out.snapshot());
    let out = run(tracegrep().args(["--stats", "-q", "--format", "json", "fixtures/mixed"]));
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(doc["schema"], "tracegrep.stats");
    assert_eq!(doc["traces"], 3);
    let payments = doc["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["service"] == "payments")
        .expect("payments");
    assert_eq!(payments["spans"], 4);
    assert_eq!(payments["errors"], 1);
    assert_eq!(payments["error_rate"], 0.25);
    assert_eq!(doc["critical_path"][0]["service"], "checkout");
}

#[test]
fn whole_trace_documents_count_every_span() {
    for (folder, spans) in [("otlp", "5"), ("jaeger", "3"), ("zipkin", "3")] {
        let out = run(tracegrep().args([
            "--all",
            "-q",
            "--format",
            "csv",
            &format!("fixtures/{folder}"),
        ]));
        assert_eq!(out.code, 0, "{folder}: {}", out.stderr);
        let row = out.stdout.lines().nth(1).expect("a row").to_string();
        let fields: Vec<&str> = row.split(',').collect();
        assert_eq!(fields[0], CHECKOUT, "{folder}");
        assert_eq!(fields[4], spans, "{folder}: {row}");
        assert_eq!(fields[7], "1", "{folder}: one failed span: {row}");
    }
}

/// `--grep` looks at the message and then at the whole line, where errors often keep their
/// words; `--where` with a number never compares it with text.
#[test]
fn grep_reads_the_whole_line_and_numbers_do_not_compare_with_text() {
    let stream = concat!(
        r#"{"trace_id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","span_id":"01","msg":"request failed","error":{"message":"context deadline exceeded"},"status":"error"}"#,
        "\n",
        r#"{"trace_id":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","span_id":"02","msg":"ok","status":"info"}"#,
        "\n",
    );
    let ids = |args: &[&str]| {
        let out = run(tracegrep()
            .args(["--all", "-q", "--format", "csv"])
            .args(args)
            .write_stdin(stream));
        out.stdout
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&["--grep", "deadline"]),
        ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]
    );
    assert!(ids(&["--where", "status>=500"]).is_empty());
    assert_eq!(ids(&["--where", "status!=500"]).len(), 2);
}

/// A big table is written in slices; every slice keeps the widths of the whole table (the
/// last trace has a longer id than all others), and the header comes once.
#[test]
fn a_big_table_is_one_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("many.jsonl");
    let mut text = String::new();
    for i in 0..5000u32 {
        let id = if i == 4999 {
            "\"correlationId\":\"order-checkout-2026-11-20-0000000000000000000042\"".to_string()
        } else {
            format!("\"trace_id\":\"{:032x}\"", u128::from(i) + 1)
        };
        text.push_str(&format!(
            "{{\"time\":\"2026-11-20T10:00:00.{:03}Z\",\"service\":\"s{}\",{id},\"span_id\":\"{:016x}\",\"msg\":\"op\",\"duration_ms\":{}}}\n",
            i % 1000,
            i % 7,
            u64::from(i) + 1,
            i % 50
        ));
    }
    std::fs::write(&path, text).expect("write");
    let out = run(tracegrep().args(["--all", "--sort", "lines"]).arg(&path));
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 5001);
    assert_eq!(lines.iter().filter(|l| l.contains("TRACE ID")).count(), 1);
    assert!(out
        .stdout
        .contains("order-checkout-2026-11-20-0000000000000000000042"));
    // Every column starts at the same place on every line.
    let start_at = lines[0].find("START").expect("START header");
    let root_at = lines[0].find("ROOT").expect("ROOT header");
    for line in &lines[1..] {
        assert!(
            line[start_at..].starts_with("10:00:00.")
                && line[root_at..].starts_with('s')
                && line[..root_at].ends_with("  "),
            "misaligned: {line:?}"
        );
    }
}

/// Ids that exist only inside logged HTTP headers (pino-http's `req.headers.b3`, an outgoing
/// `headers.uber-trace-id` or `headers.sentry-trace`) join their traces in the table too.
#[test]
fn ids_in_logged_headers_join_their_traces() {
    let out = run(tracegrep().args(["--all", "--format", "csv", "fixtures/b3-jaeger"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    // trace id, services, spans, lines
    let summary: Vec<[&str; 4]> = rows.iter().map(|r| [r[0], r[3], r[4], r[5]]).collect();
    assert_eq!(
        summary,
        [
            [
                "4bf92f3577b34da6a3ce929d0e0e4736",
                "catalog pricing",
                "5",
                "12"
            ],
            // The 15-digit Jaeger id is the same trace as the 16-digit B3 one.
            ["0a1b2c3d4e5f6071", "catalog pricing", "2", "4"],
        ]
    );
}

/// With stdout and stderr on one file (`2>&1`), the note after the rows starts a line of its
/// own: the rows still buffered for stdout used to be written after it, so the last row ran
/// into it. 2,000 traces make more than one 64 KiB buffer of JSON Lines.
#[test]
fn the_note_after_the_rows_starts_its_own_line() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("many.jsonl");
    let mut text = String::new();
    for i in 1..=2000u32 {
        let _ = writeln!(
            text,
            r#"{{"time":"2026-11-20T10:00:01Z","trace_id":"{i:032x}","span_id":"{i:016x}","service":"svc","msg":"request number {i} handled"}}"#
        );
    }
    std::fs::write(&input, text).expect("write");
    let both = dir.path().join("both.txt");
    let file = std::fs::File::create(&both).expect("create");
    // assert_cmd pipes stdout and stderr apart; std's Command can give both one file.
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("tracegrep"))
        .env_clear()
        .args(["--all", "-q", "--limit", "300", "--format", "jsonl"])
        .arg(&input)
        .stdout(file.try_clone().expect("clone"))
        .stderr(file)
        .status()
        .expect("ran");
    assert_eq!(status.code(), Some(0));
    let seen = std::fs::read_to_string(&both).expect("read");
    let lines: Vec<&str> = seen.lines().collect();
    assert_eq!(lines.len(), 301, "{seen}");
    for line in &lines[..300] {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not one JSON document: {line}"
        );
    }
    assert_eq!(
        lines[300],
        "tracegrep: showing 300 of 2000 traces (--limit 0 shows all)"
    );
}

/// Stack traces after a record (plain, kubectl with pods interleaved, stern, CRI's stderr,
/// logback's text around JSON) are the record's continuation, shown under it in the one-trace
/// timeline: the summary on stderr does not count them as lines that are not JSON. messy's
/// three are a banner, a Node warning and a truncated record.
#[test]
fn stack_traces_are_not_counted_as_damage() {
    let out = run(tracegrep().args([
        "--all",
        "--format",
        "csv",
        "fixtures/messy",
        "fixtures/kubectl/prefix-timestamps.log",
        "fixtures/stern",
        "fixtures/cri",
        "fixtures/text-prefix",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "tracegrep: fixtures/messy/app.jsonl: 3 lines not JSON, 1 JSON line without a trace id, 1 line with invalid UTF-8 (decoded lossily)\n\
         tracegrep: fixtures/kubectl/prefix-timestamps.log: 1 JSON line without a trace id\n\
         tracegrep: fixtures/stern/default.log: 1 JSON line without a trace id\n\
         tracegrep: fixtures/cri/checkout.log: 1 JSON line without a trace id\n\
         tracegrep: fixtures/text-prefix/wrapper.log: 1 JSON line without a trace id\n"
    );
}
