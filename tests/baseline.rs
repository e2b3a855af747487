//! `--baseline`: a run compared with an earlier run's JSON report, its gates and their exit
//! statuses, the noise rule both ways, and what the table and the reports show. The runs are
//! written here: small ones line by line, realistic ones by the repository's generator (the
//! same seed with a service slowed down).

use std::path::{Path, PathBuf};

use crate::common::gen::{generate, Options};
use crate::util::{run, tracegrep, Run};

/// Writes `logs/api.jsonl` under `dir`: `n` requests of `op` (one span each) taking about
/// `ms` milliseconds, the first `errors` of them failed.
fn write_requests(dir: &Path, op: &str, n: usize, ms: f64, errors: usize) {
    use std::fmt::Write;
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).expect("logs folder");
    let mut text = String::new();
    for i in 0..n {
        let (method, path) = op.split_once(' ').expect("METHOD path");
        // A request a second, each a little longer than the one before.
        let start_ms = i as f64 * 1000.0;
        let took = ms + i as f64 * 0.01;
        let at = |offset: f64| {
            let t = start_ms + offset;
            format!(
                "2026-11-20T10:{:02}:{:06.3}Z",
                (t / 60_000.0) as u64,
                (t % 60_000.0) / 1000.0
            )
        };
        let (level, status) = if i < errors {
            ("error", 500)
        } else {
            ("info", 200)
        };
        let ids = format!(
            r#""trace_id":"{:032x}","span_id":"{:016x}""#,
            (op.len() as u128) << 64 | (0x4bf9_0000 + i as u128),
            0x1000 + i
        );
        writeln!(
            text,
            r#"{{"time":"{}","level":"info","service":"api","method":"{method}","path":"{path}",{ids},"msg":"request received"}}"#,
            at(0.0)
        )
        .expect("text");
        writeln!(
            text,
            r#"{{"time":"{}","level":"{level}","service":"api","method":"{method}","path":"{path}",{ids},"status":{status},"duration_ms":{took:.3},"msg":"request completed"}}"#,
            at(took)
        )
        .expect("text");
    }
    std::fs::write(logs.join("api.jsonl"), text).expect("written");
}

/// A folder with `base/logs` and `now/logs` written by `base` and `now`, and `base.json`, the
/// report of `base`.
fn runs(base: impl FnOnce(&Path), now: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    base(&dir.path().join("base"));
    now(&dir.path().join("now"));
    let r = run(tracegrep().current_dir(dir.path()).args([
        "--all",
        "-q",
        "base/logs",
        "--report",
        "json=base.json",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    dir
}

/// `tracegrep --all now/logs --baseline base.json ARGS` in `dir`.
fn compare(dir: &Path, args: &[&str]) -> Run {
    run(tracegrep()
        .current_dir(dir)
        .args([
            "--all",
            "-q",
            "--color",
            "never",
            "now/logs",
            "--baseline",
            "base.json",
        ])
        .args(args))
}

/// The JSON report's `baseline` object of a comparison.
fn baseline_report(dir: &Path, args: &[&str]) -> serde_json::Value {
    let r = compare(dir, &[args, &["--report", "json"]].concat());
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON report");
    doc["baseline"].clone()
}

fn gate_lines(r: &Run) -> Vec<&str> {
    r.stderr
        .lines()
        .filter(|l| l.starts_with("tracegrep: gate failed: "))
        .collect()
}

/// Logs of the generator (4 MiB, seed 7), slowed down as `slow` says, kept in the system's
/// temp folder for the next run of the tests (the generator is deterministic).
fn generated(slow: &[(&str, f64)]) -> PathBuf {
    let name: String = slow.iter().map(|(s, f)| format!("-{s}x{f}")).collect();
    let dir = std::env::temp_dir().join(format!("tracegrep-tests-baseline-v1-4M-seed7{name}"));
    if dir.join("logs").is_dir() && dir.join("truth.json").is_file() {
        return dir;
    }
    let part = tempfile::tempdir().expect("tempdir").keep();
    let mut opts = Options::new(&part, 4 << 20, 7);
    opts.slow = slow.iter().map(|(s, f)| (s.to_string(), *f)).collect();
    generate(&opts).expect("generated");
    if std::fs::rename(&part, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&part);
    }
    dir
}

/// The generator's run and the same run with `payments` three times slower, side by side as
/// `base/logs` and `now/logs`, with `base.json`.
fn generated_runs() -> tempfile::TempDir {
    let link = |from: PathBuf| {
        move |to: &Path| {
            std::fs::create_dir_all(to).expect("folder");
            std::os::unix::fs::symlink(from.join("logs"), to.join("logs")).expect("link");
        }
    };
    runs(link(generated(&[])), link(generated(&[("payments", 3.0)])))
}

#[test]
fn a_run_against_its_own_report_changes_nothing() {
    let dir = generated_runs();
    let same = run(tracegrep().current_dir(dir.path()).args([
        "--all",
        "-q",
        "base/logs",
        "--baseline",
        "base.json",
        "--max-regression",
        "0%",
        "--fail-on-new-errors",
        "--report",
        "json",
    ]));
    assert_eq!(same.code, 0, "{}", same.stderr);
    let doc: serde_json::Value = serde_json::from_str(&same.stdout).expect("JSON");
    let b = &doc["baseline"];
    assert_eq!(b["passed"], true);
    let ops = b["operations"].as_array().expect("operations");
    assert!(ops.len() > 30, "{} operations", ops.len());
    for op in ops {
        assert_eq!(op["change"], "unchanged", "{op}");
        assert_eq!(op["then"], op["now"], "{op}");
        assert_eq!(op["p95_change_ms"], 0.0, "{op}");
        assert_eq!(op["new_errors"], false, "{op}");
    }
    assert_eq!(b["traces_then"], b["traces_now"]);
}

#[test]
fn a_slowed_service_fails_the_regression_gate() {
    let dir = generated_runs();
    let failed = compare(dir.path(), &["--max-regression", "20%"]);
    assert_eq!(failed.code, 3, "{}", failed.stderr);
    let reasons = gate_lines(&failed);
    assert!(
        reasons.iter().any(|l| l.starts_with(
            "tracegrep: gate failed: regression: payments: INSERT payment (span): p95 "
        ) && l.ends_with("over --max-regression 20%")),
        "{reasons:#?}"
    );
    // Nothing of a service the slow one does not sit under.
    assert!(
        !reasons.iter().any(|l| l.contains("search:")),
        "{reasons:#?}"
    );
    // The table of traces, then the comparison.
    assert!(
        failed
            .stdout
            .contains("\nCompared with baseline base.json: "),
        "{}",
        failed.stdout
    );
    // Within a larger allowance: passes, and still shows what got slower.
    let within = compare(dir.path(), &["--max-regression", "1000%"]);
    assert_eq!(within.code, 0, "{}", within.stderr);
    assert!(within.stdout.contains(" slower "), "{}", within.stdout);
    // A gate of one operation judges that one only.
    let one = compare(
        dir.path(),
        &["--max-regression", "payments: INSERT payment=20%"],
    );
    assert_eq!(one.code, 3);
    let reasons = gate_lines(&one);
    assert_eq!(reasons.len(), 1, "{reasons:#?}");
    assert!(reasons[0].ends_with("over --max-regression 'payments: INSERT payment=20%'"));
    // Its own allowance beats the one for every operation.
    let both = compare(
        dir.path(),
        &[
            "--max-regression",
            "1000%",
            "--max-regression",
            "INSERT payment=20%",
        ],
    );
    assert_eq!(gate_lines(&both).len(), 1, "{}", both.stderr);
}

#[test]
fn the_junit_report_has_a_case_per_slower_operation() {
    let dir = generated_runs();
    let r = compare(
        dir.path(),
        &["--max-regression", "20%", "--report", "junit"],
    );
    assert_eq!(r.code, 3);
    let case = r
        .stdout
        .lines()
        .position(|l| l.contains(r#"<testcase name="payments: INSERT payment (span)" classname="tracegrep.baseline""#))
        .expect("a case for the operation");
    let failure = r.stdout.lines().nth(case + 1).unwrap_or_default();
    assert!(
        failure.contains(r#"<failure message="regression: payments: INSERT payment (span): p95 "#),
        "{failure}"
    );
}

#[test]
fn few_samples_do_not_cry_wolf() {
    // Three times slower, but 19 requests: a p95 of 19 is one outlier.
    let dir = runs(
        |d| write_requests(d, "GET /x", 19, 10.0, 0),
        |d| write_requests(d, "GET /x", 19, 30.0, 0),
    );
    let r = compare(dir.path(), &["--max-regression", "20%"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("0 regressed"), "{}", r.stdout);
    // The same with 20: a regression.
    let dir = runs(
        |d| write_requests(d, "GET /x", 20, 10.0, 0),
        |d| write_requests(d, "GET /x", 20, 30.0, 0),
    );
    let r = compare(dir.path(), &["--max-regression", "20%"]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(
        gate_lines(&r).len(),
        2,
        "the request and its span: {}",
        r.stderr
    );
}

#[test]
fn sub_millisecond_changes_do_not_cry_wolf() {
    // +200 %, but 1 ms: under the 2 ms floor.
    let dir = runs(
        |d| write_requests(d, "GET /x", 40, 0.5, 0),
        |d| write_requests(d, "GET /x", 40, 1.5, 0),
    );
    let r = compare(dir.path(), &["--max-regression", "20%"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // +2.5 ms: over it.
    let dir = runs(
        |d| write_requests(d, "GET /x", 40, 0.5, 0),
        |d| write_requests(d, "GET /x", 40, 3.0, 0),
    );
    assert_eq!(compare(dir.path(), &["--max-regression", "20%"]).code, 3);
}

#[test]
fn new_errors_fail_their_gate() {
    let dir = runs(
        |d| write_requests(d, "GET /x", 30, 10.0, 0),
        |d| write_requests(d, "GET /x", 30, 10.0, 2),
    );
    let r = compare(dir.path(), &["--fail-on-new-errors"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(
        gate_lines(&r),
        [
            "tracegrep: gate failed: new errors: api: GET /x (request): 2 of 30 failed; none of 30 in the baseline",
            "tracegrep: gate failed: new errors: api: GET /x (span): 2 of 30 failed; none of 30 in the baseline",
        ]
    );
    // Without the gate: shown, not failed.
    let r = compare(dir.path(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("new errors"), "{}", r.stdout);
    // Errors the baseline had too are not new.
    let dir = runs(
        |d| write_requests(d, "GET /x", 30, 10.0, 1),
        |d| write_requests(d, "GET /x", 30, 10.0, 5),
    );
    assert_eq!(compare(dir.path(), &["--fail-on-new-errors"]).code, 0);
}

#[test]
fn new_and_gone_operations() {
    let dir = runs(
        |d| write_requests(d, "GET /orders/17", 5, 10.0, 0),
        |d| write_requests(d, "POST /orders", 5, 10.0, 1),
    );
    let b = baseline_report(dir.path(), &[]);
    assert_eq!(b["counts"]["new"], 2);
    assert_eq!(b["counts"]["gone"], 2);
    let ops = b["operations"].as_array().expect("operations");
    let gone: Vec<_> = ops.iter().filter(|o| o["change"] == "gone").collect();
    assert_eq!(
        gone[0]["operation"], "GET /orders/{id}",
        "ids folded as --stats folds them"
    );
    assert_eq!(gone[0]["now"], serde_json::Value::Null);
    assert_eq!(gone[0]["then"]["count"], 5);
    // A new operation that fails is a new error.
    let r = compare(dir.path(), &["--fail-on-new-errors"]);
    assert_eq!(r.code, 3);
    assert!(
        gate_lines(&r)[0].ends_with("1 of 5 failed; a new operation"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_missing_or_invalid_baseline_is_an_error_naming_it() {
    let dir = runs(
        |d| write_requests(d, "GET /x", 3, 10.0, 0),
        |d| write_requests(d, "GET /x", 3, 10.0, 0),
    );
    let r = run(tracegrep().current_dir(dir.path()).args([
        "--all",
        "now/logs",
        "--baseline",
        "nope.json",
    ]));
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert_eq!(
        r.stderr,
        "tracegrep: --baseline nope.json: No such file or directory\n"
    );
    std::fs::write(dir.path().join("bad.json"), "{\"schema\":").expect("written");
    let r = run(tracegrep().current_dir(dir.path()).args([
        "--all",
        "now/logs",
        "--baseline",
        "bad.json",
    ]));
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("tracegrep: --baseline bad.json: not a tracegrep JSON report"),
        "{}",
        r.stderr
    );
    // Another tracegrep document is not a report.
    let other =
        run(tracegrep()
            .current_dir(dir.path())
            .args(["--all", "--format", "json", "base/logs"]));
    std::fs::write(dir.path().join("traces.json"), other.stdout).expect("written");
    let r = run(tracegrep().current_dir(dir.path()).args([
        "--all",
        "now/logs",
        "--baseline",
        "traces.json",
    ]));
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "tracegrep: --baseline traces.json: not a tracegrep JSON report (--report json): its schema is tracegrep.traces, not tracegrep.report\n"
    );
    // Its gates need it.
    let r = run(tracegrep().current_dir(dir.path()).args([
        "--all",
        "now/logs",
        "--max-regression",
        "20%",
    ]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("add --baseline REPORT.json"),
        "{}",
        r.stderr
    );
}

/// The reviewer's view and the terminal's, on a comparison with one of everything.
#[test]
fn the_comparison_in_markdown_and_in_the_terminal() {
    let both = |d: &Path, slow: f64, errors: usize| {
        write_requests(d, "GET /x", 30, 10.0 * slow, errors);
        let api = std::fs::read_to_string(d.join("logs/api.jsonl")).expect("read");
        write_requests(
            d,
            if slow > 1.0 { "POST /new" } else { "GET /old" },
            4,
            1.0,
            0,
        );
        let other = std::fs::read_to_string(d.join("logs/api.jsonl")).expect("read");
        std::fs::write(d.join("logs/api.jsonl"), api + &other).expect("written");
    };
    let dir = runs(|d| both(d, 1.0, 0), |d| both(d, 3.0, 1));
    let md = compare(
        dir.path(),
        &[
            "--max-regression",
            "20%",
            "--fail-on-new-errors",
            "--report",
            "md",
        ],
    );
    assert_eq!(md.code, 3);
    let section = md
        .stdout
        .split("### Compared with baseline")
        .nth(1)
        .and_then(|s| s.split("### Worst traces").next())
        .expect("the section");
    insta::assert_snapshot!(
        "baseline_markdown",
        format!("### Compared with baseline{section}")
    );
    let table = compare(
        dir.path(),
        &[
            "--max-regression",
            "20%",
            "--fail-on-new-errors",
            "--limit",
            "2",
        ],
    );
    insta::assert_snapshot!("baseline_table", table.snapshot());
}

/// The HTML report's "Compared with baseline" card, in a real headless Chromium (skipped
/// without it, unless TRACEGREP_BROWSER_TEST=1): the rows the CLI lists, as it words them.
#[test]
fn the_comparison_in_the_html_report_in_a_browser() {
    if !crate::ci::browser_present() {
        return;
    }
    let dir = runs(
        |d| write_requests(d, "GET /x", 30, 10.0, 0),
        |d| write_requests(d, "GET /x", 30, 30.0, 0),
    );
    let r = compare(
        dir.path(),
        &["--max-regression", "20%", "--report", "html=report.html"],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    let change = "+20ms (+195%)";
    let checks = serde_json::json!({"baseline": [
        ["regressed", "api: GET /x", change],
        ["regressed", "api: GET /x", change],
    ]});
    let trace = format!("{:016x}{:016x}", 6, 0x4bf9_0000_u64);
    crate::ci::check_in_browser(&dir.path().join("report.html"), &trace, 1, Some(checks));
}

/// Operation names are log text: escaped in the terminal, in Markdown and in JUnit.
#[test]
fn hostile_operation_names_stay_text() {
    let op = r"GET /\u001b[31m<b>x</b>|`\u202e";
    let dir = runs(
        |d| write_requests(d, op, 20, 10.0, 0),
        |d| write_requests(d, op, 20, 30.0, 0),
    );
    let table = compare(dir.path(), &["--max-regression", "20%"]);
    assert_eq!(table.code, 3);
    assert!(table.stdout.contains("regressed"), "{}", table.stdout);
    for text in [&table.stdout, &table.stderr] {
        assert!(!text.contains(['\u{1b}', '\u{202e}']), "{text}");
    }
    let md = compare(dir.path(), &["--max-regression", "20%", "--report", "md"]);
    assert!(
        md.stdout.contains(r"&lt;b&gt;x&lt;/b&gt;\|\`"),
        "{}",
        md.stdout
    );
    assert!(!md.stdout.contains(['\u{1b}', '\u{202e}']));
    let junit = compare(
        dir.path(),
        &["--max-regression", "20%", "--report", "junit"],
    );
    assert!(
        junit.stdout.contains("&lt;b&gt;x&lt;/b&gt;"),
        "{}",
        junit.stdout
    );
    assert!(!junit.stdout.contains(['\u{1b}', '\u{202e}']));
}
