//! Behaviour a user sees: exit codes, errors, colours, stdin, spellings, formats, pipes.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use crate::util::{fixture, run, tracegrep};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn json_of(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).expect("one JSON document")
}

#[test]
fn found_exits_0_with_header_waterfall_and_timeline() {
    let out = run(tracegrep().args([TRACE, "fixtures/mixed"]));
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.starts_with(&format!("Trace {TRACE}\n")));
    assert!(out.stdout.contains("5 services"));
    assert!(out.stdout.contains("* edge-gateway POST /api/checkout"));
    assert!(out.stdout.contains("card declined by issuer"));
    assert_eq!(out.stderr, "");
}

#[test]
fn absent_id_exits_1_with_one_line() {
    let out = run(tracegrep().args(["416f4cd42643472c743970c053fc5f91", "fixtures/mixed"]));
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "tracegrep: no lines of trace 416f4cd42643472c743970c053fc5f91 in 5 sources\n"
    );
}

#[test]
fn missing_file_is_named_the_rest_is_searched_and_exit_is_2() {
    let out = run(tracegrep().args([
        "--format",
        "json",
        TRACE,
        "fixtures/nope.jsonl",
        "fixtures/mixed",
    ]));
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "tracegrep: fixtures/nope.jsonl: No such file or directory\n"
    );
    assert_eq!(json_of(&out.stdout)["lines"], 27);
}

#[test]
fn every_spelling_of_the_id_finds_the_same_lines() {
    for spelling in [
        TRACE,
        "4BF92F3577B34DA6A3CE929D0E0E4736",
        "4BF92F35-77B3-4DA6-A3CE-929D0E0E4736",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "1-4bf92f35-77b34da6a3ce929d0e0e4736",
        "projects/demo/traces/4bf92f3577b34da6a3ce929d0e0e4736",
    ] {
        let out = run(tracegrep().args(["--format", "json", spelling, "fixtures/mixed"]));
        assert_eq!(out.code, 0, "{spelling}: {}", out.stderr);
        let doc = json_of(&out.stdout);
        assert_eq!(doc["lines"], 27, "{spelling}");
        assert_eq!(doc["trace_id"], TRACE, "{spelling}");
    }
    // Datadog's decimal low half finds the same trace (it joins on the low 64 bits).
    let out = run(tracegrep().args(["--format", "json", "11803532876627986230", "fixtures/mixed"]));
    assert_eq!(json_of(&out.stdout)["lines"], 27);
}

/// The first digits of an id find its trace, as the README writes it (`4bf92f35…`) and as a
/// narrow table cuts it, in the spellings whose start they are; the trace is then searched by
/// its whole id, so the lines that spell only its decimal low half join too.
#[test]
fn a_prefix_of_the_id_finds_the_trace() {
    for prefix in [
        "4bf92f35",
        "4BF92F35",
        "4bf92f35…",
        "4bf92f35...",
        "4bf92f3577b34da6…",
        "4bf92f35-77b3-4da6",
        "4BF92F35-77B3",
        "00-4bf92f3577b3",
    ] {
        let out = run(tracegrep().args(["--format", "json", prefix, "fixtures/mixed"]));
        assert_eq!(out.code, 0, "{prefix}: {}", out.stderr);
        let doc = json_of(&out.stdout);
        assert_eq!(doc["trace_id"], TRACE, "{prefix}");
        assert_eq!(doc["lines"], 27, "{prefix}");
    }
    // Too short to look up, or not the start of any id.
    let out = run(tracegrep().args(["4bf92f3", "fixtures/mixed"]));
    assert_eq!(out.code, 1);
    let out = run(tracegrep().args(["4bf92f36…", "fixtures/mixed"]));
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "tracegrep: no lines of trace 4bf92f36… in 5 sources\n"
    );
}

/// A prefix that starts several ids names them and picks none (exit 2), as git does with an
/// ambiguous short hash.
#[test]
fn an_ambiguous_prefix_lists_the_traces() {
    let mut text = String::new();
    for i in 0..7u32 {
        text.push_str(&format!(
            "{{\"time\":\"2026-11-20T10:00:00Z\",\"trace_id\":\"abcdef01{i:024x}\",\"msg\":\"x\"}}\n"
        ));
    }
    let out = run(tracegrep().arg("abcdef01").write_stdin(text.clone()));
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "tracegrep: abcdef01 is the start of 7 trace ids; give more digits:
tracegrep:   abcdef01000000000000000000000000
tracegrep:   abcdef01000000000000000000000001
tracegrep:   abcdef01000000000000000000000002
tracegrep:   abcdef01000000000000000000000003
tracegrep:   abcdef01000000000000000000000004
tracegrep:   …and 2 more
"
    );
    let out = run(tracegrep()
        .args(["--format", "json", "abcdef01000000000000000000000006…"])
        .write_stdin(text));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// The timeline shows the fields that explain a line (the gateway's bare `upstream response`
/// names its upstream), `--fields` picks them or hides them, and their text is escaped.
#[test]
fn the_timeline_shows_the_fields_that_explain_a_line() {
    let timeline = |fields: &[&str]| {
        let out = run(tracegrep()
            .args(["--format", "timeline", "-q"])
            .args(fields)
            .args([TRACE, "fixtures/mixed"]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout
    };
    let line_of = |text: &str, needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_default()
            .to_string()
    };
    let auto = timeline(&[]);
    let upstream = line_of(&auto, "span=a008223a89130d36 status=200");
    assert!(
        upstream.ends_with("duration=112ms upstream=checkout"),
        "{upstream}"
    );
    let declined = line_of(&auto, "card declined");
    assert!(
        declined.contains(r#"error="issuer-gw: 502 Bad Gateway""#),
        "{declined}"
    );
    assert!(
        !auto.contains("dd.env=") && !auto.contains("trace_flags="),
        "{auto}"
    );
    let named = timeline(&["--fields", "attempt,upstream"]);
    assert!(line_of(&named, "card declined").ends_with("attempt=1 upstream=issuer-gw"));
    let none = timeline(&["--fields", "none"]);
    assert!(line_of(&none, "span=a008223a89130d36 status=200").ends_with("duration=112ms"));

    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("evil.jsonl");
    std::fs::write(
        &log,
        r#"{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","msg":"hi","who\u001b[2J":"\u001b]0;pwned\u0007 x"}"#,
    )
    .expect("write log");
    let out = run(tracegrep().args(["--format", "timeline", TRACE]).arg(&log));
    assert!(!out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{7}'));
    assert!(
        out.stdout.contains(r#"who\x1b[2J="\x1b]0;pwned\x07 x""#),
        "{}",
        out.stdout
    );
}

#[test]
fn json_follows_the_documented_schema() {
    let out = run(tracegrep().args(["--format", "json", TRACE, "fixtures/mixed"]));
    let doc = json_of(&out.stdout);
    assert_eq!(doc["schema"], "tracegrep.trace");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["lines_by_service"]["payments"], 8);
    let spans = doc["spans"].as_array().expect("spans");
    assert_eq!(
        spans.len(),
        doc["span_count"].as_u64().expect("count") as usize
    );
    let failed: Vec<_> = spans.iter().filter(|s| s["error"] == true).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["service"], "payments");
    // logrus writes the duration in nanoseconds: 25002087 ns.
    assert_eq!(failed[0]["duration_ms"], 25.002);
    let root = &spans[0];
    assert_eq!(root["service"], "edge-gateway");
    assert_eq!(root["parent_span_id"], serde_json::Value::Null);
    assert_eq!(root["critical_path"], true);
    assert_eq!(doc["logs"].as_array().expect("logs").len(), 27);
}

#[test]
fn raw_prints_the_original_lines_with_file_names() {
    let out = run(tracegrep().args(["--format", "raw", TRACE, "fixtures/mixed"]));
    assert_eq!(out.code, 0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 27);
    assert!(
        lines[0].starts_with("fixtures/mixed/billing.jsonl:{"),
        "{}",
        lines[0]
    );
    let original = std::fs::read_to_string(fixture("mixed/payments.jsonl")).expect("read");
    let payments: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("fixtures/mixed/payments.jsonl:"))
        .collect();
    assert!(payments.iter().all(|l| original.lines().any(|o| o == *l)));
}

#[test]
fn stdin_is_read_when_no_path_is_given() {
    let input = std::fs::read(fixture("ecs/inventory.jsonl")).expect("read");
    let out = tracegrep()
        .args(["--format", "json", TRACE])
        .write_stdin(input)
        .output()
        .expect("ran");
    assert_eq!(out.status.code(), Some(0));
    let doc = json_of(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(doc["lines"], 5);
    // Without a file name, the line's own service field names the service.
    assert_eq!(doc["services"][0], "inventory");
}

#[test]
fn compressed_stdin_is_detected_by_magic_bytes() {
    let input = std::fs::read(fixture("gzip/checkout.jsonl.gz")).expect("read");
    let out = tracegrep()
        .args(["--format", "json", TRACE])
        .write_stdin(input)
        .output()
        .expect("ran");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn color_always_beats_no_color_and_auto_in_a_pipe_is_plain() {
    let out =
        run(tracegrep()
            .env("NO_COLOR", "1")
            .args(["--color", "always", TRACE, "fixtures/mixed"]));
    assert!(out.stdout.contains("\u{1b}["), "--color always must colour");
    let out = run(tracegrep().args([TRACE, "fixtures/mixed"]));
    assert!(!out.stdout.contains('\u{1b}'), "a pipe must stay plain");
}

#[test]
fn control_characters_in_logs_never_reach_the_terminal() {
    for format in ["full", "timeline", "waterfall"] {
        let out = run(tracegrep().args([
            "--color",
            "never",
            "--format",
            format,
            TRACE,
            "fixtures/messy",
        ]));
        assert_eq!(out.code, 0);
        for bad in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(!out.stdout.contains(bad), "{format}: raw {bad:?} in output");
        }
    }
    let out = run(tracegrep().args(["--format", "timeline", TRACE, "fixtures/messy"]));
    assert!(
        out.stdout.contains("\\x1b[31mRED\\x1b[0m"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("\\u{202e}"));
}

#[test]
fn messy_input_is_counted_on_stderr_and_quiet_silences_it() {
    let out = run(tracegrep().args(["--format", "json", TRACE, "fixtures/messy"]));
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stderr,
        "tracegrep: fixtures/messy/app.jsonl: 1 line mentioning the id is not JSON, \
         1 line with invalid UTF-8 (decoded lossily)\n"
    );
    let doc = json_of(&out.stdout);
    // The stack trace after the error line is attached to it, not counted as lines.
    let logs = doc["logs"].as_array().expect("logs");
    let error = logs
        .iter()
        .find(|l| l["level"] == "ERROR")
        .expect("an error line");
    assert_eq!(error["continuation"].as_array().expect("array").len(), 7);
    let out = run(tracegrep().args(["-q", "--format", "json", TRACE, "fixtures/messy"]));
    assert_eq!(out.stderr, "");
}

#[test]
fn binary_files_are_skipped_and_truncated_archives_reported() {
    let out = run(tracegrep().args([
        "--format",
        "json",
        TRACE,
        "fixtures/binary",
        "fixtures/truncated",
    ]));
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out
        .stderr
        .contains("tracegrep: fixtures/binary/blob.bin: binary file, skipped\n"));
    assert!(out
        .stderr
        .contains("tracegrep: fixtures/truncated/cut.jsonl.gz: truncated or corrupt gzip data"));
    // What was decoded before the cut is still searched.
    assert!(json_of(&out.stdout)["lines"].as_u64().expect("lines") > 0);
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.jsonl");
    let mut file = std::fs::File::create(&path).expect("create");
    for i in 0..20_000 {
        writeln!(
            file,
            r#"{{"time":"2026-11-20T10:00:{:02}.{:06}Z","level":"info","msg":"step {i}","trace_id":"{TRACE}","span_id":"{:016x}"}}"#,
            i / 1_000_000 % 60,
            i % 1_000_000,
            i % 500 + 1
        )
        .expect("write");
    }
    drop(file);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tracegrep"))
        .args(["--format", "timeline", TRACE])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read");
    assert!(first.contains("step 0"));
    // The reader is gone: tracegrep must stop without a panic or an error message.
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn field_overrides_read_unusual_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("custom.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"ctx":{"tid":"abc123abc123abc123abc123abc123ab","sid":"00000000000000a1"},"when":"2026-11-20T10:00:00Z","app_name":"odd","msg":"start"}"#,
            "\n",
            r#"{"ctx":{"tid":"abc123abc123abc123abc123abc123ab","sid":"00000000000000a2","up":"00000000000000a1"},"when":"2026-11-20T10:00:01Z","app_name":"odd","msg":"child"}"#,
            "\n"
        ),
    )
    .expect("write");
    let out = run(tracegrep()
        .args([
            "--format",
            "json",
            "--trace-field",
            "ctx.tid",
            "--span-field",
            "ctx.sid",
        ])
        .args([
            "--parent-field",
            "ctx.up",
            "--time-field",
            "when",
            "--service-field",
            "app_name",
        ])
        .arg("abc123abc123abc123abc123abc123ab")
        .arg(&path));
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let doc = json_of(&out.stdout);
    assert_eq!(doc["services"][0], "odd");
    assert_eq!(doc["spans"][1]["parent_span_id"], "00000000000000a1");
    assert_eq!(doc["duration_ms"], 1000.0);
}

/// Service and operation names come from the logs too: the table, the CSV and the statistics
/// show them escaped.
#[test]
fn control_characters_in_names_never_reach_the_terminal_in_views_of_all_traces() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("evil.jsonl");
    std::fs::write(
        &log,
        concat!(
            r#"{"time":"2026-11-20T10:00:00Z","level":"error","service":"a\u001b]0;pwned\u0007","#,
            r#""trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","#,
            r#""msg":"\u001b[31mRED\u202e, \"quoted\""}"#,
            "\n"
        ),
    )
    .expect("write log");
    let log = log.to_str().expect("UTF-8 path");
    for args in [
        &["--all", log][..],
        &["--all", "--format", "csv", log],
        &["--stats", log],
    ] {
        let out = run(tracegrep().args(args));
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        for bad in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(!out.stdout.contains(bad), "{args:?}: raw {bad:?} in output");
        }
        assert!(out.stdout.contains("\\x1b]0;pwned\\x07"), "{}", out.stdout);
    }
    // JSON escapes them too (serde_json the C0 controls, tracegrep bidi overrides), and means
    // the same text.
    for args in [
        &["--all", "--format", "jsonl", log][..],
        &["--format", "json", "4bf92f3577b34da6a3ce929d0e0e4736", log],
    ] {
        let out = run(tracegrep().args(args));
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        for bad in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(!out.stdout.contains(bad), "{args:?}: raw {bad:?} in output");
        }
        assert!(out.stdout.contains(r"\u202e"), "{}", out.stdout);
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
        let root = doc["spans"][0]["name"].as_str().expect("a span name");
        assert_eq!(root, "\u{1b}[31mRED\u{202e}, \"quoted\"");
    }
    let out = run(tracegrep().args(["--all", "--format", "csv", log]));
    // The root's service, then its name: escaped, and quoted for its comma and quotes; then
    // its status (none), whether it failed, and the first error line's service and message.
    assert!(
        out.stdout.ends_with(
            r#",a\x1b]0;pwned\x07,"\x1b[31mRED\u{202e}, ""quoted""",,true,a\x1b]0;pwned\x07,"\x1b[31mRED\u{202e}, ""quoted"""
"#
        ),
        "{}",
        out.stdout
    );
}
