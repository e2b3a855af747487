//! CI use: reports in Markdown, HTML, JSON and JUnit, the gates and their exit codes,
//! on fixtures/ci (a passing trace, a failing one with hostile log text, a slow `GET
//! /checkout`, and one whose parent span never logged).

use std::path::Path;
use std::process::Command as Process;

use tracegrep::records::duration::{format_duration, format_offset};

use crate::util::{run, tracegrep};

const PASSING: &str = "11111111111111111111111111111111";
const FAILING: &str = "22222222222222222222222222222222";
const SLOW: &str = "33333333333333333333333333333333";
const ORPHAN: &str = "44444444444444444444444444444444";

/// Trace ids named by `gate failed` lines on stderr, with the exit code.
fn gate(args: &[&str]) -> (i32, Vec<String>) {
    let out = run(tracegrep().args(["--all", "-q", "fixtures/ci"]).args(args));
    let mut failed: Vec<String> = out
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("tracegrep: gate failed: "))
        .map(|l| l.split(':').next().unwrap_or_default().to_string())
        .collect();
    failed.dedup();
    (out.code, failed)
}

#[test]
fn each_gate_fails_the_traces_it_should_and_exits_3() {
    assert_eq!(gate(&[]), (0, vec![]));
    assert_eq!(gate(&["--fail-on-error"]), (3, vec![FAILING.to_string()]));
    assert_eq!(
        gate(&["--max-duration", "800ms"]),
        (3, vec![SLOW.to_string()])
    );
    assert_eq!(gate(&["--max-duration", "1s"]), (0, vec![]));
    assert_eq!(
        gate(&["--max-duration", "GET /checkout=100ms"]),
        (3, vec![PASSING.to_string(), SLOW.to_string()])
    );
    assert_eq!(
        gate(&["--max-duration", "POST /orders=50ms"]),
        (3, vec![FAILING.to_string()])
    );
    assert_eq!(gate(&["--max-duration", "POST /orders=1s"]), (0, vec![]));
    assert_eq!(gate(&["--fail-on-orphans"]), (3, vec![ORPHAN.to_string()]));
    assert_eq!(gate(&["--max-error-rate", "30%"]), (0, vec![]));
    assert_eq!(
        gate(&["--max-error-rate", "0.2"]),
        (
            3,
            vec!["error rate 25% (1 of 4 traces) is over --max-error-rate 20%".to_string()]
        )
    );
    // Filters come first: a gate judges only the traces kept.
    assert_eq!(
        gate(&["--fail-on-error", "--service", "worker"]),
        (0, vec![])
    );
}

#[test]
fn gate_lines_escape_log_text() {
    let out = run(tracegrep().args(["--all", "-q", "--fail-on-error", "fixtures/ci"]));
    assert_eq!(out.code, 3);
    assert!(
        out.stderr.contains("charge failed: <script>"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains('\u{1b}'));
}

#[test]
fn markdown_report() {
    let out = run(tracegrep().args([
        "--all",
        "-q",
        "fixtures/ci",
        "--report",
        "md",
        "--fail-on-error",
        "--fail-on-orphans",
        "--max-duration",
        "GET /checkout=800ms",
    ]));
    assert_eq!(out.code, 3);
    // Outside fenced blocks (which render as text) no log text may be markup.
    let mut fenced = false;
    for line in out.stdout.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            assert!(
                !line.contains("<script") && !line.contains("<img"),
                "{line}"
            );
        }
    }
    assert!(out.stdout.contains("```mermaid\ngantt"));
    insta::assert_snapshot!("ci__markdown", out.stdout);
}

#[test]
fn junit_report_is_well_formed_and_fails_the_right_cases() {
    let dir = tempfile::tempdir().expect("tempdir");
    let xml = dir.path().join("traces.xml");
    let out = run(tracegrep()
        .args([
            "--all",
            "-q",
            "fixtures/ci",
            "--fail-on-error",
            "--max-error-rate",
            "10%",
        ])
        .arg("--report")
        .arg(format!("junit={}", xml.display())));
    assert_eq!(out.code, 3, "{}", out.stderr);
    // Every report went to a file and no --format was asked for: no table.
    assert_eq!(out.stdout, "");
    let text = std::fs::read_to_string(&xml).expect("report written");
    insta::assert_snapshot!("ci__junit", text);
    let check = Process::new("python3")
        .arg("-c")
        .arg(
            r#"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
suite = root.find("testsuite")
cases = suite.findall("testcase")
failed = [c.get("name") for c in cases if c.find("failure") is not None]
assert suite.get("tests") == str(len(cases)), (suite.get("tests"), len(cases))
assert suite.get("failures") == str(len(failed)), (suite.get("failures"), failed)
for c in cases:
    assert c.get("name") and c.get("classname") and float(c.get("time")) >= 0
    f = c.find("failure")
    if f is not None:
        assert f.get("message") and f.get("type")
print("\n".join(failed))
"#,
        )
        .arg(&xml)
        .output()
        .expect("python3");
    let failed = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert_eq!(
        failed.lines().collect::<Vec<_>>(),
        [format!("POST /orders ({FAILING})").as_str(), "error rate"]
    );
}

#[test]
fn json_report_follows_its_schema() {
    let out = run(tracegrep().args([
        "--all",
        "-q",
        "fixtures/ci",
        "--report",
        "json",
        "--fail-on-orphans",
    ]));
    assert_eq!(out.code, 3);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    assert_eq!(doc["schema"], "tracegrep.report");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["summary"]["traces"], 4);
    assert_eq!(doc["summary"]["failed_traces"], 1);
    assert_eq!(doc["summary"]["passed"], false);
    assert_eq!(doc["gates"][0]["trace_id"], ORPHAN);
    let traces = doc["traces"].as_array().expect("traces");
    assert_eq!(traces.len(), 4);
    let failing = traces
        .iter()
        .find(|t| t["trace_id"] == FAILING)
        .expect("failing trace");
    assert_eq!(failing["error_samples"].as_array().map(Vec::len), Some(2));
    assert!(failing["spans"].as_array().is_some_and(|s| s.len() == 2));
}

#[test]
fn several_reports_in_one_run_and_reports_survive_a_failed_gate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let md = dir.path().join("summary.md");
    let html = dir.path().join("report.html");
    let out = run(tracegrep()
        .args([
            "--all",
            "-q",
            "fixtures/ci",
            "--fail-on-error",
            "--report",
            "html",
            "-o",
        ])
        .arg(&html)
        .arg("--report")
        .arg(format!("md={}", md.display())));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(std::fs::read_to_string(&md)
        .expect("md")
        .starts_with("## tracegrep: 4 traces"));
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(page.contains(FAILING));
    // Log text is in the page only as escaped JSON, never as markup.
    assert!(!page.contains("<script>alert(1)"));
    assert!(!page.contains("<img src=x"));
    assert!(page.contains("\\u003cscript\\u003ealert(1)"));
}

#[test]
fn no_traces_fails_unless_allowed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "{\"msg\":\"no trace here\"}\n").expect("write");
    let out = run(tracegrep()
        .args(["--all", "-q", "--fail-on-error"])
        .arg(&empty));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("no traces in the input"),
        "{}",
        out.stderr
    );
    let report = dir.path().join("r.md");
    let out = run(tracegrep()
        .args(["--all", "-q", "--allow-empty", "--report"])
        .arg(format!("md={}", report.display()))
        .arg(&empty));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(std::fs::read_to_string(&report)
        .expect("md")
        .contains("No traces in the input."));
    // Without a report too: --help promises exit 0.
    let out = run(tracegrep()
        .args(["--all", "-q", "--allow-empty"])
        .arg(&empty));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn errors_beat_gates_and_bad_flags_are_reported() {
    let out = run(tracegrep().args([
        "--all",
        "-q",
        "--fail-on-error",
        "fixtures/ci",
        "missing.jsonl",
    ]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("missing.jsonl"));
    assert!(out.stderr.contains("gate failed"));
    let out = run(tracegrep().args([
        "--all",
        "fixtures/ci",
        "--report",
        "md",
        "--report",
        "junit",
    ]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("only one --report can go to standard output"),
        "{}",
        out.stderr
    );
    let out = run(tracegrep().args(["--report", "md", PASSING, "fixtures/ci"]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("use them with --all"), "{}", out.stderr);
    let out = run(tracegrep().args(["--all", "fixtures/ci", "--max-error-rate", "150%"]));
    assert_eq!(out.code, 2);
    let out = run(tracegrep().args(["--all", "fixtures/ci", "--report", "pdf"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("md, html, json, junit"),
        "{}",
        out.stderr
    );
}

/// Whether the browser tests can run; panics when they cannot but CI requires them.
pub(crate) fn browser_present() -> bool {
    let required = std::env::var_os("TRACEGREP_BROWSER_TEST").is_some_and(|v| v == "1");
    let present =
        Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists();
    if !present {
        assert!(
            !required,
            "TRACEGREP_BROWSER_TEST=1 but chromium or chromedriver is missing"
        );
        eprintln!("skipped: chromium and chromedriver are not installed");
    }
    present
}

/// Opens `html` in headless Chromium, clicks `trace`, expects `spans` waterfall rows; with
/// `checks`, also what check_report.py's CHECKS.json describes.
pub(crate) fn check_in_browser(
    html: &Path,
    trace: &str,
    spans: usize,
    checks: Option<serde_json::Value>,
) {
    let shot = html.with_extension("png");
    let mut check = Process::new("python3");
    check
        .arg(crate::util::root().join("tests/browser/check_report.py"))
        .arg(html)
        .arg(trace)
        .arg(spans.to_string())
        .arg(&shot);
    if let Some(checks) = checks {
        let path = html.with_extension("checks.json");
        std::fs::write(&path, checks.to_string()).expect("write checks");
        check.arg(path);
    }
    let check = check.output().expect("python3");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        std::fs::metadata(&shot).is_ok_and(|m| m.len() > 1000),
        "screenshot saved"
    );
}

/// A generated test run big enough that the page embeds its data gzipped (over 1 MiB of
/// JSON): the page inflates it in the browser and parses a trace's spans when it is opened.
/// The slowest trace is opened: the page details the slowest (and failing) ones.
#[test]
fn html_report_of_a_generated_run_in_a_browser() {
    if !browser_present() {
        return;
    }
    let dir = crate::truth::generate_into(8 << 20, 5, false);
    let logs = dir.path().join("logs");
    let html = dir.path().join("report.html");
    let out = run(tracegrep()
        .args(["--all", "-q", "--report"])
        .arg(format!("html={}", html.display()))
        .args(["--format", "csv", "--sort", "duration", "--limit", "1"])
        .arg(&logs));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let row: Vec<&str> = out
        .stdout
        .lines()
        .nth(1)
        .expect("a row")
        .split(',')
        .collect();
    let (trace, spans) = (row[0], row[4].parse::<usize>().expect("span count"));
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(page.contains(r#"{"encoding":"gzip+base64","payload":""#));
    check_in_browser(&html, trace, spans, None);
}

/// The HTML report in a real headless Chromium (Debian's chromium and chromium-driver):
/// open it, click a trace, count the waterfall's spans, check that no script from the log text
/// ran, save a screenshot (docs/report.png). Skipped when the browser is missing, unless
/// TRACEGREP_BROWSER_TEST=1 (set by .ci/run, which installs it) makes that a failure.
#[test]
fn html_report_in_a_real_browser() {
    if !browser_present() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let html = dir.path().join("report.html");
    let out = run(tracegrep()
        .args([
            "--all",
            "-q",
            "fixtures/ci",
            "--fail-on-error",
            "--fail-on-orphans",
        ])
        .args(["--max-error-rate", "1%", "--report"])
        .arg(format!("html={}", html.display())));
    assert_eq!(out.code, 3, "{}", out.stderr);
    // Durations as the CLI writes them, from its own formatters: the page must agree.
    let samples_ns: [i64; 16] = [
        0,
        1,
        999,
        1_000,
        999_960,
        12_345_678,
        90_000_000,
        999_999_999,
        1_073_000_000,
        12_680_000_000,
        59_999_600_000,
        636_150_000_000,
        7_964_800_000,
        3_600_000_000_000,
        7_530_000_000_000,
        -2_500_000,
    ];
    // The report carries milliseconds to the microsecond, as the JSON does.
    let us = |ns: i64| (ns as f64 / 1_000.0).round() as i64;
    let durations: Vec<_> = samples_ns
        .iter()
        .map(|&ns| serde_json::json!([us(ns) as f64 / 1e3, format_duration(us(ns) * 1_000)]))
        .collect();
    let offsets: Vec<_> = samples_ns
        .iter()
        .map(|&ns| serde_json::json!([us(ns) as f64 / 1e3, format_offset(us(ns) * 1_000)]))
        .collect();
    // Three gate failures in two traces: the error rate (the run's), an error, an orphan.
    let checks = serde_json::json!({
        "durations": durations,
        "offsets": offsets,
        "failed_gates": 3,
        "stack_frame": "at com.acme.gateway.Route3.forward(Route3.java:43)",
    });
    check_in_browser(&html, FAILING, 2, Some(checks));
}

/// On stdin a stream keeps only its first rows by the sort order; the gates still judge
/// every trace, and the error rate counts them all.
#[test]
fn gates_on_a_stream_judge_the_rows_it_lets_go() {
    let stream = std::fs::read(crate::util::fixture("ci/test-run.jsonl")).expect("fixture");
    let out = run(tracegrep()
        .args([
            "--all",
            "-q",
            "--limit",
            "1",
            "--fail-on-error",
            "--max-error-rate",
            "20%",
        ])
        .write_stdin(stream));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
    assert!(
        out.stderr
            .contains(&format!("gate failed: {FAILING}: errors")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("(1 of 4 traces)"), "{}", out.stderr);
}

/// The data an HTML report embeds, decoded (plain, or gzip+base64 as the page inflates it).
pub fn html_data(html: &Path) -> serde_json::Value {
    let page = std::fs::read_to_string(html).expect("html");
    const OPEN: &str = r#"<script id="tracegrep-data" type="application/json">"#;
    let start = page.find(OPEN).expect("the data script") + OPEN.len();
    let len = page[start..].find("</script>").expect("script closed");
    let data: serde_json::Value =
        serde_json::from_str(&page[start..start + len]).expect("the page's data is JSON");
    if data["encoding"] != "gzip+base64" {
        return data;
    }
    let gz = base64_decode(data["payload"].as_str().expect("payload"));
    let mut json = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut json)
        .expect("gzip");
    serde_json::from_slice(&json).expect("the page's data is JSON")
}

/// Standard base64 (with padding), as the report writes its payload.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    for chunk in text.as_bytes().chunks(4) {
        let digits: Vec<u8> = chunk
            .iter()
            .filter(|&&c| c != b'=')
            .map(|&c| value(c))
            .collect();
        let n = digits
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &d)| n | u32::from(d) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..digits.len()]);
    }
    out
}

/// A big run's HTML report lists every trace but embeds the spans and lines of the worst
/// 1,000 only (that is what kept its memory at 4 GB for 1 GB of logs): failed gates and
/// errors first, then the slowest.
#[test]
fn html_report_embeds_the_worst_traces_in_full_and_lists_the_rest() {
    let dir = crate::truth::generate_into(20 << 20, 5, false);
    let html = dir.path().join("report.html");
    let out = run(tracegrep()
        .args([
            "--all",
            "-q",
            "--fail-on-error",
            "--format",
            "csv",
            "--report",
        ])
        .arg(format!("html={}", html.display()))
        .arg(dir.path().join("logs")));
    assert_eq!(out.code, 3, "{}", out.stderr);
    let rows = out.stdout.lines().count() - 1;
    assert!(rows > 1_000, "{rows} traces: too few to test the cap");
    let data = html_data(&html);
    let traces = data["traces"].as_array().expect("traces");
    assert_eq!(traces.len(), rows);
    assert_eq!(data["detailed_traces"], 1_000);
    let detailed: Vec<&serde_json::Value> =
        traces.iter().filter(|t| t["detail"].is_string()).collect();
    assert_eq!(detailed.len(), 1_000);
    // Every failing trace is among the detailed ones, and the others are no slower than the
    // slowest detailed trace that passed.
    let failing = traces.iter().filter(|t| t["failures"].is_array()).count();
    assert!(failing > 0 && failing < 1_000, "{failing} failing traces");
    assert_eq!(
        detailed.iter().filter(|t| t["failures"].is_array()).count(),
        failing
    );
    let fastest_detailed = detailed
        .iter()
        .filter(|t| !t["failures"].is_array())
        .filter_map(|t| t["duration_ms"].as_f64())
        .fold(f64::INFINITY, f64::min);
    assert!(traces
        .iter()
        .filter(|t| !t["detail"].is_string())
        .all(|t| t["duration_ms"].as_f64().unwrap_or(0.0) <= fastest_detailed));
    let detail: serde_json::Value =
        serde_json::from_str(detailed[0]["detail"].as_str().expect("text")).expect("JSON");
    assert!(detail["spans"].as_array().is_some_and(|s| !s.is_empty()));
    assert!(detail["logs"].as_array().is_some_and(|l| !l.is_empty()));
    assert!(traces.iter().all(|t| t.get("spans").is_none()));
}

/// `--report md -o FILE` used to print the whole table as well: with every report in a file,
/// standard output stays empty and stderr says where the report went; an explicit --format
/// still prints the rows, and -q leaves out the note.
#[test]
fn reports_to_files_print_no_table_unless_a_format_is_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let md = dir.path().join("r.md");
    let xml = dir.path().join("j.xml");
    let out = run(tracegrep()
        .args(["--all", "fixtures/ci", "--report", "md", "-o"])
        .arg(&md));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!("tracegrep: report written to {}\n", md.display())
    );
    assert!(std::fs::read_to_string(&md)
        .expect("md")
        .starts_with("## tracegrep: 4 traces"));

    let out = run(tracegrep()
        .args(["--all", "fixtures/ci", "--report", "md", "-o"])
        .arg(&md)
        .arg("--report")
        .arg(format!("junit={}", xml.display())));
    assert_eq!(
        out.stderr,
        format!(
            "tracegrep: reports written to {}, {}\n",
            md.display(),
            xml.display()
        )
    );

    let out = run(tracegrep()
        .args([
            "--all",
            "-q",
            "fixtures/ci",
            "--format",
            "csv",
            "--report",
            "md",
            "-o",
        ])
        .arg(&md));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 5, "{}", out.stdout);
    assert!(out.stdout.starts_with("trace_id,"), "{}", out.stdout);
    assert_eq!(out.stderr, "");
}
