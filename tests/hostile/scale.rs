//! Input at scale: many traces, one huge trace, many services, cycles, extreme values.

use std::time::Duration;

use super::*;

#[test]
fn a_million_distinct_traces_in_bounded_memory() {
    let n = if full() { 1_000_000 } else { 200_000 };
    let dir = tempdir();
    let path = dir.path().join("many.log");
    let size = write_lines(
        &path,
        (0..n).map(|i| {
            line(
                &format!("{:032x}", i + 1),
                "00f067aa0ba902b7",
                None,
                "\"2026-11-20T11:00:01Z\"",
                "one",
            )
        }),
    );
    let out = run(dir.path(), &["--stats", "many.log"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with(&format!("{n} traces\n")),
        "{}",
        out.stdout
    );
    out.assert_memory_with_traces(size, n as u64);
    let out = run(dir.path(), &["--all", "--format", "csv", "many.log"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), n + 1);
    out.assert_memory_with_traces(size, n as u64);
}

#[test]
fn one_trace_of_a_million_lines_in_bounded_memory() {
    let n = if full() { 1_000_000 } else { 100_000 };
    let dir = tempdir();
    let path = dir.path().join("one.log");
    let size = write_lines(
        &path,
        (0..n).map(|i| {
            let span = format!("{:016x}", i + 1);
            let parent = format!("{:016x}", i / 10 + 1);
            line(
                TRACE,
                &span,
                (i > 0).then_some(parent.as_str()),
                &format!(
                    "\"2026-11-20T11:{:02}:{:02}.{:06}Z\"",
                    (i / 60_000_000) % 60,
                    (i / 1_000_000) % 60,
                    i % 1_000_000
                ),
                "step",
            )
        }),
    );
    for args in [
        &["--all", "--format", "csv", "one.log"][..],
        &["--format", "waterfall", TRACE, "one.log"][..],
    ] {
        let out = run(dir.path(), args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        out.assert_memory_within(size);
    }
}

#[test]
fn ten_thousand_services() {
    let dir = tempdir();
    let path = dir.path().join("services.log");
    let size = write_lines(
        &path,
        (0..20_000).map(|i| {
            format!(
                r#"{{"time":"2026-11-20T11:00:01Z","level":"info","service":"svc-{}","trace_id":"{:032x}","span_id":"{:016x}","msg":"x"}}"#,
                i % 10_000,
                i / 4 + 1,
                i + 1
            )
        }),
    );
    let out = run(dir.path(), &["--stats", "services.log"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("svc-9999"),
        "{}",
        &out.stdout[..out.stdout.len().min(2000)]
    );
    out.assert_memory_within(size);
    let out = run(dir.path(), &["--all", "--format", "json", "services.log"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_span_that_is_its_own_parent_and_a_parent_cycle_of_a_thousand_spans() {
    let dir = tempdir();
    let path = dir.path().join("cycle.log");
    let t = |i: usize| format!("\"2026-11-20T11:00:01.{i:06}Z\"");
    let mut lines = vec![line(
        TRACE,
        "00000000000000aa",
        Some("00000000000000aa"),
        &t(0),
        "own parent",
    )];
    for i in 0..1000 {
        let span = format!("{:016x}", 0x1000 + i);
        let parent = format!("{:016x}", 0x1000 + (i + 1) % 1000);
        lines.push(line(TRACE, &span, Some(&parent), &t(i + 1), "in a cycle"));
    }
    write_lines(&path, lines);
    for view in ["full", "waterfall", "json", "timeline"] {
        let out = run(dir.path(), &["--format", view, TRACE, "cycle.log"]);
        assert_eq!(out.code, 0, "{view}: {}", out.stderr);
        assert!(out.took < Duration::from_secs(20), "{view}: {:?}", out.took);
    }
    let out = run(dir.path(), &["--all", "--format", "json", "cycle.log"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("valid JSON");
    assert!(json.to_string().contains(TRACE));
}

#[test]
fn timestamps_from_1970_9999_and_negative() {
    let dir = tempdir();
    let path = dir.path().join("times.log");
    let times = [
        "\"1970-01-01T00:00:00Z\"",
        "0",
        "\"9999-12-31T23:59:59.999999999Z\"",
        "253402300799999",
        "-1",
        "-62135596800",
        "\"-0001-01-01T00:00:00Z\"",
        "-9223372036854775808",
        "18446744073709551615",
        "1e308",
    ];
    let lines = times.iter().enumerate().map(|(i, t)| {
        line(
            TRACE,
            &format!("{:016x}", i + 1),
            (i > 0).then_some("0000000000000001"),
            t,
            &format!("at {}", t.trim_matches('"')),
        )
    });
    write_lines(&path, lines);
    for view in ["full", "waterfall", "json", "timeline"] {
        let out = run(dir.path(), &["--format", view, TRACE, "times.log"]);
        assert_eq!(out.code, 0, "{view}: {}", out.stderr);
    }
    // Times outside 2000–2100 are read as no time (documented), and every line is kept.
    let out = run(dir.path(), &[TRACE, "times.log"]);
    assert!(out.stdout.contains("10 lines"), "{}", out.stdout);
    for args in [
        &["--all", "--format", "json", "times.log"][..],
        &["--stats", "times.log"][..],
    ] {
        let out = run(dir.path(), args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    }
}

#[test]
fn ids_of_four_kilobytes() {
    let dir = tempdir();
    let path = dir.path().join("ids.log");
    let long: String = "4bf92f3577b34da6".repeat(256);
    let span: String = "00f067aa0ba902b7".repeat(256);
    let lines = vec![
        line(&long, &span, None, "\"2026-11-20T11:00:01Z\"", "long ids"),
        line(
            &long,
            "00f067aa0ba902b7",
            Some(&span),
            "\"2026-11-20T11:00:02Z\"",
            "child",
        ),
        line(
            TRACE,
            "00f067aa0ba902b7",
            None,
            "\"2026-11-20T11:00:01Z\"",
            "normal",
        ),
    ];
    write_lines(&path, lines);
    let out = run(dir.path(), &["--all", "--format", "csv", "ids.log"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(TRACE), "{}", out.stdout);
    // Asked for by a 4 KB id: an answer or a one-line refusal, never a crash.
    let out = run(dir.path(), &[&long, "ids.log"]);
    assert!(matches!(out.code, 0..=2), "{}", out.stderr);
    assert!(out.stderr.lines().count() <= 1, "{}", out.stderr);
}
