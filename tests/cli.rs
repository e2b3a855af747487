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

/// A log a crash left with runs of NUL bytes (one cutting a line in half) is a log, not a
/// binary file: every whole line is read, as `rg` finds them, and the NUL bytes are counted.
#[test]
fn a_log_with_nul_runs_keeps_every_readable_line() {
    let out = run(tracegrep().args(["--format", "json", TRACE, "fixtures/damaged/crash.log"]));
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let doc = json_of(&out.stdout);
    // The 8 lines of the trace, including the one written again after the cut.
    assert_eq!(doc["lines"].as_u64(), Some(8), "{}", out.stdout);
    assert_eq!(doc["error_lines"].as_u64(), Some(1));
    assert_eq!(
        out.stderr,
        "tracegrep: fixtures/damaged/crash.log: 3000 NUL bytes in damaged regions (skipped; the lines around them were read)\n"
    );
    // Every trace: the NUL-only line is a damaged region too, not a line that is not JSON.
    let all = run(tracegrep().args(["--all", "--format", "csv", "fixtures/damaged/crash.log"]));
    assert_eq!(all.code, 0, "{}", all.snapshot());
    assert_eq!(
        all.stdout.lines().nth(1).map(|r| r.split(',').nth(5)),
        Some(Some("8"))
    );
    assert!(
        all.stderr.contains("4200 NUL bytes in damaged regions"),
        "{}",
        all.stderr
    );
    assert!(!all.stderr.contains("not JSON"), "{}", all.stderr);
}

/// Documents indented over many lines (Jaeger UI's download, `jq .`, the examples of every
/// OpenTelemetry repository) read as the same spans as their one-line forms, from files,
/// compressed files and stdin; a Jaeger trace without its `data` wrapper and an array of
/// Jaeger traces too; OpenTelemetry's status carried as a Zipkin tag marks the span failed.
#[test]
fn documents_spread_over_lines_read_as_their_one_line_forms() {
    let spans_of = |args: &[&str], stdin: Option<Vec<u8>>| {
        let mut cmd = tracegrep();
        cmd.args(["--format", "json", TRACE]).args(args);
        if let Some(input) = stdin {
            cmd.write_stdin(input);
        }
        let out = run(&mut cmd);
        assert_eq!(out.code, 0, "{args:?}: {}", out.snapshot());
        let doc = json_of(&out.stdout);
        (doc["span_count"].as_u64(), doc["failed_spans"].as_u64())
    };
    let one_line = spans_of(&["fixtures/otlp/traces.jsonl"], None);
    assert_eq!(one_line, (Some(5), Some(1)));
    assert_eq!(spans_of(&["fixtures/pretty/otlp.json"], None), one_line);
    let pretty = std::fs::read(fixture("pretty/otlp.json")).expect("fixture");
    assert_eq!(spans_of(&[], Some(pretty)), one_line);
    let jaeger = spans_of(&["fixtures/jaeger/trace.json"], None);
    assert_eq!(jaeger, (Some(3), Some(1)));
    assert_eq!(
        spans_of(&["fixtures/pretty/jaeger-trace.json"], None),
        jaeger
    );
    assert_eq!(
        spans_of(&["fixtures/pretty/jaeger-array.json"], None),
        jaeger
    );
    assert_eq!(
        spans_of(&["fixtures/pretty/zipkin-otel.json"], None),
        (Some(3), Some(1))
    );
    // Compressed: the document is reflowed after decompression.
    let dir = tempfile::tempdir().expect("tempdir");
    let gz = dir.path().join("trace.json.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).expect("create"),
        flate2::Compression::default(),
    );
    enc.write_all(&std::fs::read(fixture("pretty/jaeger-trace.json")).expect("fixture"))
        .expect("write");
    enc.finish().expect("finish");
    assert_eq!(spans_of(&[gz.to_str().expect("utf-8")], None), jaeger);
}

/// bunyan's `name` (beside its record version `v`) is the application: it names the service
/// ahead of the file name. Other libraries' logger names (zap's named sub-loggers) do not.
#[test]
fn bunyans_name_is_the_service_ahead_of_the_file_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    std::fs::copy(fixture("bunyan/catalog.jsonl"), &log).expect("copy");
    let out = run(tracegrep()
        .args(["--all", "--format", "csv", "-q"])
        .arg(&log));
    let row = out.stdout.lines().nth(1).unwrap_or_default().to_string();
    assert!(row.contains(",catalog,"), "{}", out.stdout);
    let zap = dir.path().join("orders.jsonl");
    std::fs::copy(fixture("zap/checkout.jsonl"), &zap).expect("copy");
    let out = run(tracegrep()
        .args(["--all", "--format", "csv", "-q"])
        .arg(&zap));
    let row = out.stdout.lines().nth(1).unwrap_or_default().to_string();
    assert!(row.contains(",orders,"), "{}", out.stdout);
}

/// A hex trace id made only of digits, as `--all` prints it, pasted back on the command line
/// finds its trace: 32 characters is the W3C hex length, not a decimal number.
#[test]
fn a_trace_id_of_32_digits_is_hex() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("digits.jsonl");
    let id = "20261120100001000000000000004736";
    std::fs::write(
        &log,
        format!(
            "{{\"time\":\"2026-11-20T10:00:01Z\",\"trace_id\":\"{id}\",\"span_id\":\"00f067aa0ba902b7\",\"msg\":\"a\"}}\n"
        ),
    )
    .expect("write");
    let all = run(tracegrep().args(["--all", "--format", "csv"]).arg(&log));
    assert!(all.stdout.contains(id), "{}", all.stdout);
    let one = run(tracegrep().args(["--format", "json", id]).arg(&log));
    assert_eq!(one.code, 0, "{}", one.snapshot());
    assert_eq!(json_of(&one.stdout)["trace_id"].as_str(), Some(id));
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

/// The waterfall fills the width it is given: the bars take what the names (capped) leave,
/// and no line is wider than the width at 60, 80, 100, 160 or 240 columns, even with long
/// names, a deep tree, many services, a failed row and clock corrections in the header.
#[test]
fn waterfall_bars_grow_with_the_width_and_nothing_wraps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("wide.jsonl");
    let trace = "abcdefabcdefabcdefabcdefabcdef01";
    let mut lines = vec![format!(
        r#"{{"timestamp":"2026-11-20T10:00:01.000Z","level":"info","service":"gateway","trace_id":"{trace}","span_id":"a000000000000000","msg":"GET /api/v1/customers/orders/history/with/a/very/long/route/name","duration_ms":1000}}"#
    )];
    // A child that starts before its parent and fails: corrected for skew, flagged `ERR`.
    lines.push(format!(
        r#"{{"timestamp":"2026-11-20T10:00:00.100Z","level":"error","service":"payments-service-with-a-long-name","trace_id":"{trace}","span_id":"b000000000000000","parent_span_id":"a000000000000000","msg":"charge failed","duration_ms":110}}"#
    ));
    let mut parent = "b000000000000000".to_string();
    for depth in 0..14 {
        let span = format!("c{depth:015}");
        lines.push(format!(
            r#"{{"timestamp":"2026-11-20T10:00:00.{:03}Z","level":"info","service":"svc-{depth}","trace_id":"{trace}","span_id":"{span}","parent_span_id":"{parent}","msg":"SELECT id, email, tier, locale FROM users WHERE id = 42 AND depth = {depth}","duration_ms":5}}"#,
            200 + depth * 10
        ));
        parent = span;
    }
    std::fs::write(&logs, lines.join("\n")).expect("write");
    let mut bars = Vec::new();
    for width in [60usize, 80, 100, 160, 240] {
        // Not tracegrep(), which pins --width 100.
        let mut cmd = assert_cmd::Command::cargo_bin("tracegrep").expect("binary built");
        let out = run(cmd
            .env_clear()
            .args([
                "--format",
                "waterfall",
                "--width",
                &width.to_string(),
                trace,
            ])
            .arg(&logs));
        assert_eq!(out.code, 0, "{}", out.snapshot());
        for line in out.stdout.lines() {
            let cols: usize = line
                .chars()
                .map(|c| unicode_width::UnicodeWidthChar::width(c).unwrap_or(0))
                .sum();
            assert!(cols <= width, "{cols} > {width} columns:\n{line}");
        }
        // The child that starts before its parent is put back inside it, and the header says.
        assert!(out.stdout.contains("ERR"), "{}", out.stdout);
        assert!(
            out.stdout.contains("clock skew corrected:"),
            "{}",
            out.stdout
        );
        // The widest bar: the root spans the whole axis.
        let root = out
            .stdout
            .lines()
            .find(|l| l.contains("gateway GET"))
            .expect("root row");
        bars.push(root.chars().filter(|&c| c == '█').count());
    }
    // 60 → 240 columns: the bar area grows by the 180 columns, minus what the names take up to
    // their cap.
    assert!(bars.windows(2).all(|w| w[0] < w[1]), "{bars:?}");
    // At 160 and 240 the names are at their cap (50): the bars take the rest (the root spans
    // all but the 10 ms its failed child starts early, of 1010 ms).
    assert!(bars[3] >= 160 - 2 - 50 - 20 - 2, "{bars:?}");
    assert!(bars[4] - bars[3] >= 78, "{bars:?}");
}

/// A duration without a unit used to be read as milliseconds (seconds for --idle and the
/// time-ago form of --since) without a word; it is refused with the units that are accepted,
/// exit 2. `0` needs no unit.
#[test]
fn durations_need_a_unit() {
    for args in [
        &["--all", "--min-duration", "5", "fixtures/mixed"][..],
        &["--all", "--shorter-than", "120", "fixtures/mixed"],
        &["--all", "--longer-than", "1.5", "fixtures/mixed"],
        &["--all", "--max-duration", "GET /x=5", "fixtures/mixed"],
        &[
            "--follow",
            "--idle",
            "5",
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "fixtures/mixed",
        ],
    ] {
        let out = run(tracegrep().args(args));
        assert_eq!(out.code, 2, "{args:?}: {}", out.snapshot());
        assert!(
            out.stderr.contains("units ns, us, ms, s, m, h"),
            "{args:?}: {}",
            out.stderr
        );
        assert_eq!(out.stdout, "");
    }
    let out = run(tracegrep().args(["--all", "--since", "15", "fixtures/mixed"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("a time ago with a unit"),
        "{}",
        out.stderr
    );
    let out = run(tracegrep().args(["--all", "-q", "--min-duration", "0", "fixtures/mixed"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(tracegrep().args(["--all", "-q", "--min-duration", "100ms", "fixtures/mixed"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
}
