//! --all and --stats: the table of traces, its formats, each filter, the statistics.

use crate::util::{fixture, run, tracegrep, tracegrep_width};

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

/// The table at a terminal's widths: at 60 columns the counts and the first error are left
/// out and ids are cut to a prefix that finds the trace; wide, every column shows.
#[test]
fn the_table_fits_the_width() {
    for (name, width) in [
        ("all__mixed_table_60", "60"),
        ("all__mixed_table_200", "200"),
    ] {
        let out = run(tracegrep_width(width).args(["--all", "-q", "fixtures/mixed"]));
        assert_eq!(out.code, 0);
        let cols: usize = width.parse().expect("number");
        for line in out.stdout.lines() {
            assert!(line.chars().count() <= cols, "{line:?}");
        }
        insta::assert_snapshot!(name, out.snapshot());
    }
    // The cut id is a prefix the one-trace search finds, `…` and all.
    let out = run(tracegrep_width("60").args(["--all", "-q", "fixtures/mixed"]));
    let short = out.stdout.lines().nth(1).expect("a row");
    let short = short.split_whitespace().next().expect("an id");
    assert!(short.ends_with('…') && CHECKOUT.starts_with(short.trim_end_matches('…')));
}

/// `--errors` keeps a trace whose payment was declined and retried although the checkout
/// answered 200; `--failed` keeps only the request that failed at its entry span.
#[test]
fn failed_requests_and_their_first_error() {
    assert_eq!(kept(&["--errors"]), [CHECKOUT, INVOICE]);
    // The invoice trace's entry is the users call, answered 404 (a client error, not a
    // failure); billing, which failed, logged no span ids and hangs under it unlinked.
    assert_eq!(kept(&["--failed"]), Vec::<String>::new());
    let ci = run(tracegrep().args(["--all", "-q", "--failed", "--format", "csv", "fixtures/ci"]));
    let failed: Vec<&str> = ci
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert_eq!(
        failed,
        ["22222222222222222222222222222222"],
        "{}",
        ci.stdout
    );
    assert_eq!(
        kept(&["--failed", "--service", "payments"]),
        Vec::<String>::new()
    );
    let out = run(tracegrep().args(["--all", "-q", "--format", "csv", "fixtures/mixed"]));
    let rows: Vec<Vec<&str>> = out.stdout.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0][10..],
        [
            "root_status",
            "failed",
            "first_error_service",
            "first_error_message"
        ]
    );
    assert_eq!(
        rows[1][10..],
        ["200", "false", "payments", "card declined by issuer"]
    );
    assert_eq!(rows[2][10..], ["200", "false", "", ""]);
    assert_eq!(rows[3][10..13], ["404", "false", "billing"]);
    let out = run(tracegrep().args(["--all", "-q", "--format", "jsonl", "fixtures/mixed"]));
    let doc: serde_json::Value =
        serde_json::from_str(out.stdout.lines().next().expect("a line")).expect("JSON");
    assert_eq!(doc["root_status"], "200");
    assert_eq!(doc["failed"], false);
    assert_eq!(doc["first_error"]["service"], "payments");
    assert_eq!(doc["first_error"]["message"], "card declined by issuer");
    assert_eq!(doc["first_error"]["level"], "ERROR");
    assert_eq!(doc["first_error"]["span_id"], "c5ff1b213ed34a82");
    assert_eq!(doc["spans"][0]["status"], "200");
}

/// On generated data, the entry span's status and outcome agree with the generator's ground
/// truth wherever tracegrep's root is the generator's root span.
#[test]
fn root_status_matches_the_ground_truth() {
    let dir = crate::truth::generated_logs();
    let out = run(tracegrep()
        .args(["--all", "-q", "--format", "jsonl"])
        .arg(dir.join("logs")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).expect("truth"))
            .expect("JSON");
    let ours: std::collections::HashMap<String, serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON"))
        .map(|d| (d["trace_id"].as_str().unwrap_or_default().to_string(), d))
        .collect();
    let (mut compared, mut failed) = (0, 0);
    for t in truth["traces"].as_array().expect("traces") {
        let Some(o) = ours.get(t["trace_id"].as_str().unwrap_or_default()) else {
            continue;
        };
        let root = t["spans"]
            .as_array()
            .expect("spans")
            .iter()
            .find(|s| s["span_id"] == t["root_span_id"])
            .expect("root span");
        // Where tracegrep picked another root (a longer async consumer), its root is not this.
        if o["root_service"] != root["service"] {
            continue;
        }
        let status = root["status"].as_u64();
        assert_eq!(
            o["root_status"].as_str().map(str::to_string),
            status.map(|s| s.to_string()),
            "{}",
            t["trace_id"]
        );
        let want = root["error"] == true || status.is_some_and(|s| s >= 500);
        assert_eq!(o["failed"], want, "{}", t["trace_id"]);
        compared += 1;
        failed += usize::from(want);
    }
    assert!(
        compared > 100 && failed > 0,
        "{compared} compared, {failed} failed"
    );
}

/// `--where` on tracegrep's own fields: a level however the logger wrote it, by severity; a
/// status as a number; a duration with units; the service as the table shows it. A leading
/// `.` compares the field as logged.
#[test]
fn where_reads_the_normalised_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lines = [
        // One trace per spelling of an error, one warning, one info.
        (1, r#""level":"error","msg":"a""#),
        (2, r#""level":"ERROR","msg":"b""#),
        (3, r#""level":50,"msg":"c""#),
        (4, r#""severity_number":17,"msg":"d""#),
        (
            5,
            r#""level":"warning","msg":"e","status":503,"duration_ms":9000"#,
        ),
        (
            6,
            r#""level":"info","msg":"f","status":"200","duration":"12s""#,
        ),
    ];
    let mut text = String::new();
    for (id, rest) in lines {
        text.push_str(&format!(
            "{{\"time\":\"2026-11-20T10:00:0{id}Z\",\"service\":\"api\",\"trace_id\":\"{id:032x}\",{rest}}}\n"
        ));
    }
    let log = dir.path().join("orders.jsonl");
    std::fs::write(&log, text).expect("write");
    let kept_ids = |clause: &str| -> Vec<u128> {
        let out = run(tracegrep()
            .args(["--all", "-q", "--format", "csv", "--where", clause])
            .arg(&log));
        let mut ids: Vec<u128> = out
            .stdout
            .lines()
            .skip(1)
            .filter_map(|l| u128::from_str_radix(l.split(',').next()?, 16).ok())
            .collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(kept_ids("level=error"), [1, 2, 3, 4]);
    assert_eq!(kept_ids("level=ERR"), [1, 2, 3, 4]);
    assert_eq!(kept_ids("level>=warn"), [1, 2, 3, 4, 5]);
    assert_eq!(kept_ids("level<warn"), [6]);
    assert_eq!(kept_ids(".level=50"), [3]);
    assert_eq!(kept_ids(".level=error"), [1]);
    assert_eq!(kept_ids("status>=500"), [5]);
    assert_eq!(kept_ids("status=200"), [6]);
    // 9000 ms and 12 s: as text, "9s" > "10s" and "12s" < "2s".
    assert_eq!(kept_ids("duration>10s"), [6]);
    assert_eq!(kept_ids("duration<=9s"), [5]);
    assert_eq!(kept_ids("duration>2000"), [5, 6]);
    assert_eq!(kept_ids("service=api").len(), 6);
    // The file names the service of lines that name none, as in the table.
    let bare = dir.path().join("billing.jsonl");
    std::fs::write(
        &bare,
        "{\"time\":\"2026-11-20T10:00:00Z\",\"trace_id\":\"ff\",\"msg\":\"x\"}\n",
    )
    .expect("write");
    let out = run(tracegrep()
        .args([
            "--all",
            "-q",
            "--format",
            "csv",
            "--where",
            "service=billing",
        ])
        .arg(&bare));
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.snapshot());
    for bad in ["level=50", "level=loud", "duration>soon", "level~err"] {
        let out = run(tracegrep().args(["--all", "--where", bad]).arg(&log));
        assert_eq!(out.code, 2, "{bad}");
        assert!(out.stderr.contains(bad), "{}", out.stderr);
    }
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
            .starts_with("tracegrep: --where \"no operator\": expected FIELD=VALUE"),
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
    assert!(ids(&["--where", ".status>=500"]).is_empty());
    // As logged, "info" is not 500; read as a status, a level word is no status at all.
    assert_eq!(ids(&["--where", ".status!=500"]).len(), 2);
    assert!(ids(&["--where", "status!=500"]).is_empty());
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
    // Every column starts at the same place on every line, and every line fits in 100 columns
    // (the 48-character id leaves no room for the start: it is left out).
    assert!(!lines[0].contains("START"), "{}", lines[0]);
    let status_at = lines[0].find("STATUS").expect("STATUS header");
    let root_at = lines[0].find("ROOT").expect("ROOT header");
    for line in &lines[1..] {
        assert!(
            line[status_at..].starts_with("OK ")
                && line[root_at..].starts_with('s')
                && line[..root_at].ends_with("  ")
                && line.chars().count() <= 100,
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

/// A request's ids are one request: lines with a trace id and a correlation id, lines with
/// only the correlation id (middleware before the span, a legacy service that only forwards
/// `x-correlation-id`) make one trace, found by either id; a correlation id logged with two
/// trace ids (a retry in a new trace) shows both and says so.
#[test]
fn correlation_ids_join_their_trace() {
    let lines_of = |id: &str| {
        let out = run(tracegrep().args(["--format", "json", id, "fixtures/correlation"]));
        assert_eq!(out.code, 0, "{}", out.snapshot());
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        (
            doc["trace_id"].as_str().unwrap_or_default().to_string(),
            doc["lines"].as_u64(),
            doc["services"].to_string(),
            out.stderr,
        )
    };
    for id in [
        "c0ffee00-1111-4222-8333-444455556666",
        "4bf92f3577b34da6a3ce929d0e0e4736",
    ] {
        let (trace, lines, services, stderr) = lines_of(id);
        assert_eq!(trace, "4bf92f3577b34da6a3ce929d0e0e4736", "{id}");
        assert_eq!(lines, Some(6), "{id}");
        assert_eq!(services, r#"["billing","checkout"]"#, "{id}");
        assert_eq!(stderr, "", "{id}");
    }
    let (_, lines, _, stderr) = lines_of("d00dfeed-2222-4333-8444-555566667777");
    assert_eq!(lines, Some(4));
    assert!(stderr.contains("was logged with 2 trace ids"), "{stderr}");
    let all = run(tracegrep().args(["--all", "--format", "jsonl", "fixtures/correlation"]));
    assert_eq!(all.code, 0, "{}", all.snapshot());
    let docs: Vec<serde_json::Value> = all
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(docs.len(), 4, "{}", all.stdout);
    let first = docs
        .iter()
        .find(|d| d["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736")
        .expect("the joined trace");
    assert_eq!(first["lines"].as_u64(), Some(6));
    assert_eq!(
        first["correlation_id"].as_str(),
        Some("c0ffee00-1111-4222-8333-444455556666")
    );
    assert!(
        all.stderr.contains(
            "correlation id d00dfeed-2222-4333-8444-555566667777 was logged with 2 trace ids"
        ),
        "{}",
        all.stderr
    );
}

/// `--stats --sort` orders the rows: duration by p95 (slowest first), errors by failed spans,
/// spans by default; a key that orders traces, not groups, is refused with a clear error.
#[test]
fn stats_sort_by_duration_errors_or_spans_and_refuse_the_rest() {
    let services = |key: Option<&str>| -> Vec<String> {
        let mut cmd = tracegrep();
        cmd.args(["--stats", "-q", "--format", "json", "fixtures/mixed"]);
        if let Some(key) = key {
            cmd.args(["--sort", key]);
        }
        let out = run(&mut cmd);
        assert_eq!(out.code, 0, "{}", out.snapshot());
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
        doc["services"]
            .as_array()
            .expect("services")
            .iter()
            .map(|r| r["service"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        services(Some("duration")),
        ["edge-gateway", "checkout", "payments", "users", "billing"]
    );
    assert_eq!(services(Some("errors"))[..2], ["billing", "payments"]);
    assert_eq!(services(None), services(Some("spans")));
    for key in ["start", "lines"] {
        let out = run(tracegrep().args(["--stats", "-q", "fixtures/mixed", "--sort", key]));
        assert_eq!(out.code, 2);
        assert!(
            out.stderr.contains(&format!(
                "--sort {key} orders traces; --stats rows sort by spans, duration (p95) or errors"
            )),
            "{}",
            out.stderr
        );
    }
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

/// The JSON formats of files make each document as it is written when the rows with their
/// trees would outgrow the input (here 300 one-line traces, some with errors, of many
/// durations), and keep the rows otherwise (fixtures/mixed); either way, by every sort key,
/// with `--limit` and with a filter, their traces come in the order of the CSV's rows.
#[test]
fn json_documents_come_in_the_order_of_the_rows() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let many = dir.path().join("many.jsonl");
    let mut text = String::new();
    for i in 1..=300u32 {
        let level = if i % 7 == 0 { "error" } else { "info" };
        let _ = writeln!(
            text,
            r#"{{"time":"2026-11-20T10:00:{:02}Z","level":"{level}","trace_id":"{i:032x}","span_id":"{i:016x}","service":"s{}","msg":"op","duration_ms":{}}}"#,
            i % 60,
            i % 3,
            (i * 37) % 101
        );
    }
    std::fs::write(&many, text).expect("write");
    let inputs = [std::path::PathBuf::from("fixtures/mixed"), many];
    for input in &inputs {
        for sort in ["start", "duration", "errors", "spans", "lines", "worst"] {
            for extra in [&[][..], &["--limit", "3"], &["--errors"]] {
                let args: Vec<&str> = ["--sort", sort].iter().chain(extra).copied().collect();
                let csv = run(tracegrep()
                    .args(["--all", "-q", "--format", "csv"])
                    .args(&args)
                    .arg(input));
                assert_eq!(csv.code, 0, "{}", csv.snapshot());
                let rows: Vec<&str> = csv
                    .stdout
                    .lines()
                    .skip(1)
                    .map(|l| l.split(',').next().unwrap_or_default())
                    .collect();
                assert!(!rows.is_empty(), "{args:?}");
                for format in ["jsonl", "json"] {
                    let out = run(tracegrep()
                        .args(["--all", "-q", "--format", format])
                        .args(&args)
                        .arg(input));
                    assert_eq!(out.code, 0, "{}", out.snapshot());
                    let documents: Vec<serde_json::Value> = match format {
                        "jsonl" => out
                            .stdout
                            .lines()
                            .map(|l| serde_json::from_str(l).expect("a document a line"))
                            .collect(),
                        _ => {
                            let all: serde_json::Value =
                                serde_json::from_str(&out.stdout).expect("one document");
                            all["traces"].as_array().expect("traces").clone()
                        }
                    };
                    let ids: Vec<&str> = documents
                        .iter()
                        .map(|d| d["trace_id"].as_str().expect("trace_id"))
                        .collect();
                    assert_eq!(ids, rows, "{input:?} {format} {args:?}");
                }
            }
        }
    }
}
