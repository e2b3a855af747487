//! `--diff`: two traces compared, from the logs or from a saved `--format json` document.
//! The traces are three requests of the same endpoint written by pino with the OpenTelemetry
//! SDK (conformance/corpus/node-pino): one that succeeded, one that retried a payment and one
//! that failed.

use serde_json::Value;

use crate::util::{run, tracegrep, Run};

const LOGS: &str = "conformance/corpus/node-pino/logs";
const OK: &str = "8a654e61a49cb94962532155b17fd6cf";
const FAILED: &str = "f3248bfa6fad30145dfc1835c32277c6";

fn diff(args: &[&str]) -> Run {
    run(tracegrep().args(args).arg("-q"))
}

fn json_of(run: &Run) -> Value {
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("one JSON document")
}

/// The duration and failed spans `--all --format csv` reports for a trace.
fn csv_row(id: &str) -> (f64, u64) {
    let out = run(tracegrep().args(["--all", "--format", "csv", "-q", LOGS]));
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with(id))
        .expect("trace listed");
    let cells: Vec<&str> = line.split(',').collect();
    (cells[2].parse().unwrap(), cells[7].parse().unwrap())
}

#[test]
fn a_failed_request_against_a_good_one_shows_its_new_errors_and_the_extra_attempt() {
    let doc = json_of(&diff(&[OK, "--diff", FAILED, LOGS, "--format", "json"]));
    assert_eq!(doc["schema"], "tracegrep.diff");
    assert_eq!(doc["a"]["trace_id"], OK);
    assert_eq!(doc["b"]["trace_id"], FAILED);
    // The sides agree with the table of every trace.
    let (a_ms, a_failed) = csv_row(OK);
    let (b_ms, b_failed) = csv_row(FAILED);
    assert_eq!(doc["a"]["duration_ms"].as_f64(), Some(a_ms));
    assert_eq!(doc["b"]["duration_ms"].as_f64(), Some(b_ms));
    assert_eq!(doc["b"]["failed_spans"].as_u64(), Some(b_failed));
    assert_eq!(doc["a"]["failed_spans"].as_u64(), Some(a_failed));
    assert_eq!(doc["delta_ms"].as_f64(), Some(b_ms - a_ms));
    // Every span B failed in is a new error; the payment was tried twice in B.
    assert_eq!(doc["new_errors"].as_u64(), Some(b_failed));
    assert_eq!(doc["errors_gone"], 0);
    let rows = doc["rows"].as_array().unwrap();
    let only_b: Vec<String> = rows
        .iter()
        .filter(|r| r["a"].is_null())
        .map(|r| {
            format!(
                "{} {}",
                r["service"].as_str().unwrap(),
                r["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(only_b, ["payments charging card"]);
    // The publish to fulfillment never happened in B: that branch is only in A, whole.
    let only_a: Vec<&str> = rows
        .iter()
        .filter(|r| r["b"].is_null())
        .map(|r| r["service"].as_str().unwrap())
        .collect();
    assert_eq!(only_a, ["checkout", "fulfillment", "fulfillment"]);
    assert_eq!(rows[0]["depth"], 0);
    assert_eq!(rows[0]["new_error"], true, "the request failed in B");
    let counts = |k: &str| doc[k].as_u64().unwrap() as usize;
    assert_eq!(
        counts("in_both") + counts("only_in_a") + counts("only_in_b"),
        rows.len()
    );
}

#[test]
fn a_trace_compared_with_its_saved_document_has_not_changed() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("trace.json");
    let out = diff(&[FAILED, LOGS, "--format", "json"]);
    std::fs::write(&saved, &out.stdout).unwrap();
    let saved = saved.to_str().unwrap();
    for args in [[saved, "--diff", FAILED], [FAILED, "--diff", saved]] {
        let doc = json_of(&diff(&[
            args[0], args[1], args[2], LOGS, "--format", "json",
        ]));
        assert_eq!(doc["only_in_a"], 0, "{doc}");
        assert_eq!(doc["only_in_b"], 0);
        assert_eq!(doc["delta_ms"].as_f64(), Some(0.0));
        assert!(doc["top_changes"].as_array().unwrap().is_empty());
        for row in doc["rows"].as_array().unwrap() {
            assert_eq!(row["delta_ms"].as_f64(), Some(0.0), "{row}");
            assert_eq!(row["a"]["critical_path"], row["b"]["critical_path"]);
        }
    }
    // Two saved documents need no logs at all, even with standard input as the input.
    let out = run(tracegrep()
        .args([saved, "--diff", saved, "--format", "json"])
        .write_stdin(""));
    assert_eq!(json_of(&out)["in_both"], 6);
}

#[test]
fn each_side_is_found_by_any_spelling_of_its_id() {
    let guid = "8a654e61-a49c-b949-6253-2155b17fd6cf";
    let traceparent = format!("00-{FAILED}-0000000000000001-01");
    let doc = json_of(&diff(&[
        guid,
        "--diff",
        &traceparent,
        LOGS,
        "--format",
        "json",
    ]));
    assert_eq!(doc["a"]["trace_id"], OK);
    assert_eq!(doc["b"]["trace_id"], FAILED);
    let prefix = json_of(&diff(&[
        "8a654e61", "--diff", "f3248bfa", LOGS, "--format", "json",
    ]));
    assert_eq!(prefix, doc);
}

#[test]
fn the_terminal_comparison_and_its_markdown() {
    let out = diff(&[OK, "--diff", FAILED, LOGS, "--color", "never"]);
    insta::assert_snapshot!("diff__terminal", out.snapshot());
    let narrow = run(crate::util::tracegrep_width("60").args([OK, "--diff", FAILED, LOGS, "-q"]));
    assert!(
        narrow.stdout.lines().all(|l| l.chars().count() <= 60),
        "{}",
        narrow.stdout
    );
    let md = diff(&[OK, "--diff", FAILED, LOGS, "--format", "md"]);
    insta::assert_snapshot!("diff__markdown", md.snapshot());
    let colored = diff(&[OK, "--diff", FAILED, LOGS, "--color", "always"]);
    assert!(colored.stdout.contains("\x1b["), "colour asked for");
}

#[test]
fn what_cannot_be_compared_is_said_in_one_line() {
    let missing = diff(&[OK, "--diff", "0123456789abcdef0123456789abcdef", LOGS]);
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    assert!(missing
        .stderr
        .contains("no lines of trace 0123456789abcdef0123456789abcdef"));
    assert!(missing.stdout.is_empty());
    let stdin = run(tracegrep().args([OK, "--diff", FAILED]).write_stdin("{}\n"));
    assert_eq!(stdin.code, 2);
    assert!(
        stdin
            .stderr
            .contains("standard input can be read only once"),
        "{}",
        stdin.stderr
    );
    let logs_as_trace = diff(&[
        OK,
        "--diff",
        "conformance/corpus/node-pino/logs/gateway.log",
        LOGS,
    ]);
    assert_eq!(logs_as_trace.code, 2);
    assert!(logs_as_trace
        .stderr
        .contains("gateway.log: not a trace saved with --format json"));
    for (args, says) in [
        (vec!["--all", "--diff", OK, LOGS], "does not go with --all"),
        (
            vec![OK, "--diff", FAILED, "--format", "csv", LOGS],
            "needs --all",
        ),
        (
            vec![OK, "--diff", FAILED, "--format", "tree", LOGS],
            "--diff prints full, json or md",
        ),
        (
            vec![OK, "--format", "md", LOGS],
            "--format md is for --diff",
        ),
    ] {
        let out = diff(&args);
        assert_eq!(out.code, 2, "{args:?}");
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    }
}

#[test]
fn a_hostile_saved_document_is_shown_safely_and_cannot_hang_the_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let doc = r#"{"schema":"tracegrep.trace","schema_version":1,"trace_id":"x\u001b]0;owned\u0007","duration_ms":5,
      "spans":[
        {"span_id":"a","parent_span_id":"b","service":"svc\u001b[2J","name":"op \u202e evil","depth":0,"duration_ms":5,"error":true,"critical_path":true},
        {"span_id":"b","parent_span_id":"a","service":"svc","name":"<script>|`x`","depth":1,"duration_ms":1}
      ]}"#;
    let path = dir.path().join("hostile.json");
    std::fs::write(&path, doc).unwrap();
    let p = path.to_str().unwrap();
    for format in ["full", "md"] {
        let out = run(tracegrep()
            .args([p, "--diff", p, "--format", format, "--color", "always"])
            .timeout(std::time::Duration::from_secs(20)));
        assert_eq!(out.code, 0, "{}", out.stderr);
        for bad in ['\u{7}', '\u{202e}'] {
            assert!(!out.stdout.contains(bad), "{format}: {:?}", out.stdout);
        }
        assert!(!out.stdout.contains("\x1b]0"), "{format}");
        assert!(!out.stdout.contains("\x1b[2J"), "{format}");
        assert!(out.stdout.contains("op"), "{format}: the span is shown");
    }
    let md = run(tracegrep().args([p, "--diff", p, "--format", "md"]));
    assert!(!md.stdout.contains("<script>"), "{}", md.stdout);
}

/// A parent that never logged, hung under a service's lines without span ids: its saved document
/// can name that parent only by an id, so both readings put it at the top, and the trace still
/// compares equal with its saved self (found by the pipeline fuzz target).
#[test]
fn a_missing_parent_under_lines_without_span_ids_compares_equal_when_saved() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let id = "4bf92f3577b34da6a3ce929d0e0e4736";
    std::fs::write(
        &log,
        format!(
            concat!(
                r#"{{"time":"2026-11-20T10:00:00.000Z","trace_id":"{id}","service":"app","msg":"order saved"}}"#,
                "\n",
                r#"{{"trace_id":"{id}","span_id":"00f067aa0ba902b7","parent_id":"53995c3f42cd8ad8","service":"app","msg":"order received"}}"#,
                "\n",
                r#"{{"time":"2026-11-20T10:00:00.150Z","trace_id":"{id}","service":"app","msg":"order done"}}"#,
                "\n"
            ),
            id = id
        ),
    )
    .unwrap();
    let log = log.to_str().unwrap();
    let saved = dir.path().join("trace.json");
    std::fs::write(&saved, diff(&["4bf92f35", log, "--format", "json"]).stdout).unwrap();
    let saved = saved.to_str().unwrap();
    let doc = json_of(&diff(&[
        saved, "--diff", "4bf92f35", log, "--format", "json",
    ]));
    assert_eq!(
        (doc["only_in_a"].as_u64(), doc["only_in_b"].as_u64()),
        (Some(0), Some(0)),
        "{doc}"
    );
    assert_eq!(doc["in_both"], 3);
}
