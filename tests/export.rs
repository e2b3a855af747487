//! Exports: `--format jaeger` and `--format otlp` read back by tracegrep give the same trees
//! (spans, parents, services, names, starts, durations, errors) on every fixture folder and
//! on generated logs; every OTLP line is under 1 MiB and deserialises with crates.io's
//! `opentelemetry-proto` (its serde form of the OTLP/JSON mapping); a trace too large for
//! one line is cut across lines.

use std::collections::BTreeMap;
use std::path::Path;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use serde_json::Value;

use crate::util::{root, run, tracegrep};

/// One span as the round trip compares it.
#[derive(Debug, Clone, PartialEq)]
struct Span {
    parent: Option<String>,
    service: String,
    name: String,
    /// Start as drawn (clock correction applied), in microseconds.
    start_us: Option<i64>,
    duration_us: Option<i64>,
    error: bool,
    /// Made of lines without span ids: its id is derived.
    synthetic: bool,
}

/// The parent of a span under a synthetic span: the JSON names no id for it.
const SYNTHETIC_PARENT: &str = "(a span without an id)";

/// FNV-1a-128, as docs/exports.md defines the derived ids (written again here, from the
/// documentation, so the test checks the rule and not the code).
fn fnv(text: &str) -> u128 {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for b in text.bytes() {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000000001000000000000000000013b);
    }
    h
}

/// A trace id as the exports write it.
fn export_trace_id(id: &str) -> String {
    let hex = id.len() <= 32 && id.len() >= 16 && id.bytes().all(|b| b.is_ascii_hexdigit());
    if hex {
        format!("{:0>32}", id.to_ascii_lowercase())
    } else {
        format!(
            "{:032x}",
            fnv(&format!("tracegrep trace {}", id.to_ascii_lowercase()))
        )
    }
}

fn micros(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("an RFC 3339 time")
        .timestamp_micros()
}

fn us(ms: &Value) -> Option<i64> {
    ms.as_f64().map(|ms| (ms * 1000.0).round() as i64)
}

/// The trees of `--all --format jsonl` over `path`, by exported trace id, spans by id. A span
/// without an id gets the id the exports derive for it. Starts are as drawn (`corrected`,
/// what the exports write) or as the input says (what a read-back export says).
fn trees(path: &Path, corrected: bool) -> (i32, BTreeMap<String, BTreeMap<String, Span>>) {
    let out = run(tracegrep()
        .args(["--all", "--format", "jsonl", "-q", "--limit", "0"])
        .arg(path));
    let mut traces = BTreeMap::new();
    for line in out.stdout.lines() {
        let doc: Value = serde_json::from_str(line).expect("a JSON line");
        let trace = export_trace_id(doc["trace_id"].as_str().unwrap_or_default());
        let mut spans = BTreeMap::new();
        for s in doc["spans"].as_array().into_iter().flatten() {
            let service = s["service"].as_str().unwrap_or_default().to_string();
            let id = match s["span_id"].as_str() {
                Some(id) => id.to_string(),
                None => format!(
                    "{:016x}",
                    fnv(&format!("tracegrep span {trace} {service}")) as u64
                ),
            };
            let parent = match s["link"].as_str() {
                Some("root") => None,
                _ => Some(
                    s["inferred_parent_span_id"]
                        .as_str()
                        .or(s["parent_span_id"].as_str())
                        .unwrap_or(SYNTHETIC_PARENT)
                        .to_string(),
                ),
            };
            let shift = match corrected {
                true => us(&s["clock_shift_ms"]).unwrap_or(0),
                false => 0,
            };
            spans.insert(
                id,
                Span {
                    parent,
                    service,
                    name: s["name"].as_str().unwrap_or_default().to_string(),
                    start_us: s["start"].as_str().map(|t| micros(t) + shift),
                    duration_us: us(&s["duration_ms"]),
                    error: s["error"].as_bool().unwrap_or(false),
                    synthetic: s["span_id"].is_null(),
                },
            );
        }
        for s in doc["missing_spans"].as_array().into_iter().flatten() {
            let id = s["span_id"].as_str().unwrap_or_default().to_string();
            spans.insert(
                id,
                Span {
                    parent: s["inferred_parent_span_id"].as_str().map(str::to_string),
                    service: "?".to_string(),
                    name: "(span not in the logs)".to_string(),
                    start_us: s["start"].as_str().map(micros),
                    duration_us: us(&s["duration_ms"]),
                    error: false,
                    synthetic: false,
                },
            );
        }
        traces.insert(trace, spans);
    }
    (out.code, traces)
}

/// Compares the trees read back from an export with the original's; `tolerance_us` allows
/// for rounding to whole microseconds.
fn assert_same_trees(
    what: &str,
    original: &BTreeMap<String, BTreeMap<String, Span>>,
    back: &BTreeMap<String, BTreeMap<String, Span>>,
    tolerance_us: i64,
) {
    assert_eq!(
        original.keys().collect::<Vec<_>>(),
        back.keys().collect::<Vec<_>>(),
        "{what}: trace ids"
    );
    for (trace, spans) in original {
        let got = &back[trace];
        assert_eq!(
            spans.keys().collect::<Vec<_>>(),
            got.keys().collect::<Vec<_>>(),
            "{what}: span ids of {trace}"
        );
        for (id, want) in spans {
            let have = &got[id];
            let at = format!("{what}: span {id} of trace {trace}");
            if want.parent.as_deref() == Some(SYNTHETIC_PARENT) {
                let parent = have.parent.as_deref().unwrap_or_default();
                assert!(
                    spans.get(parent).is_some_and(|p| p.synthetic),
                    "{at}: {have:?}"
                );
            } else {
                assert_eq!(want.parent, have.parent, "{at}: parent");
            }
            // A placeholder comes back as a span named as tracegrep named it.
            if want.service == "?" {
                assert!(have.service.starts_with("? (caller of "), "{at}: {have:?}");
            } else {
                assert_eq!(want.service, have.service, "{at}: service");
            }
            assert_eq!(want.name, have.name, "{at}: name");
            assert_eq!(want.error, have.error, "{at}: error");
            let close = |a: Option<i64>, b: Option<i64>| match (a, b) {
                (Some(a), Some(b)) => (a - b).abs() <= tolerance_us,
                // A span with no time is exported at the trace's start, with no duration.
                (None, _) => true,
                (Some(_), None) => false,
            };
            assert!(
                close(want.duration_us, have.duration_us),
                "{at}: duration {want:?} vs {have:?}"
            );
            assert!(
                close(want.start_us, have.start_us),
                "{at}: start {want:?} vs {have:?}"
            );
        }
    }
}

/// Every line of an OTLP export: under 1 MiB, and an `ExportTraceServiceRequest` to
/// `opentelemetry-proto`. Returns the spans per trace id.
fn check_otlp_lines(text: &str) -> BTreeMap<String, usize> {
    let mut spans = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        assert!(
            line.len() < 1 << 20,
            "line {} is {} bytes",
            n + 1,
            line.len()
        );
        let request: ExportTraceServiceRequest = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("line {}: {e}: {}", n + 1, &line[..line.len().min(300)]));
        for resource in &request.resource_spans {
            let service = resource
                .resource
                .as_ref()
                .and_then(|r| r.attributes.iter().find(|a| a.key == "service.name"));
            assert!(
                service.is_some(),
                "line {}: a resource without service.name",
                n + 1
            );
            for scope in &resource.scope_spans {
                for span in &scope.spans {
                    assert_eq!(span.trace_id.len(), 16, "line {}", n + 1);
                    assert_eq!(span.span_id.len(), 8, "line {}", n + 1);
                    assert!(span.span_id.iter().any(|&b| b != 0));
                    assert!(span.end_time_unix_nano >= span.start_time_unix_nano);
                    let hex: String = span.trace_id.iter().map(|b| format!("{b:02x}")).collect();
                    *spans.entry(hex).or_insert(0) += 1;
                }
            }
        }
    }
    spans
}

/// Exports `input` as `format` into `dir`, returning the file and its text.
fn export(input: &Path, format: &str, dir: &Path, code: i32) -> (std::path::PathBuf, String) {
    let out = run(tracegrep()
        .args(["--all", "-q", "--limit", "0", "--format", format])
        .arg(input));
    assert_eq!(
        out.code,
        code,
        "{format} of {}: {}",
        input.display(),
        out.stderr
    );
    let file = dir.join(format!("export.{format}.json"));
    std::fs::write(&file, &out.stdout).expect("written");
    (file, out.stdout)
}

/// Both exports of `input` read back give its trees; the OTLP lines deserialise.
fn round_trip(input: &Path) {
    let (code, original) = trees(input, true);
    if original.is_empty() {
        // No trace at all: the exports find none either.
        let out = run(tracegrep()
            .args(["--all", "-q", "--format", "otlp"])
            .arg(input));
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (1, ""),
            "{}",
            input.display()
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (jaeger, text) = export(input, "jaeger", dir.path(), code);
    let doc: Value = serde_json::from_str(&text).expect("one JSON document");
    assert_eq!(
        doc["data"].as_array().map(Vec::len),
        Some(original.len()),
        "{}",
        input.display()
    );
    let what = format!("jaeger of {}", input.display());
    assert_same_trees(&what, &original, &trees(&jaeger, false).1, 1);
    let (otlp, text) = export(input, "otlp", dir.path(), code);
    let per_trace = check_otlp_lines(&text);
    for (trace, spans) in &original {
        assert_eq!(
            per_trace.get(trace),
            Some(&spans.len()),
            "otlp spans of {trace}"
        );
    }
    let what = format!("otlp of {}", input.display());
    // Starts in the JSON are whole microseconds, so either side may round off by one.
    assert_same_trees(&what, &original, &trees(&otlp, false).1, 1);
}

#[test]
fn exports_read_back_as_the_same_trees_on_every_fixture() {
    let mut folders: Vec<_> = std::fs::read_dir(root().join("fixtures"))
        .expect("fixtures")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    assert!(folders.len() > 30);
    for folder in folders {
        round_trip(&folder);
    }
}

#[test]
fn exports_read_back_as_the_same_trees_on_generated_logs() {
    let dir = crate::truth::generate_into(3 << 20, 11, false);
    round_trip(&dir.path().join("logs"));
}

#[test]
fn one_trace_exports_carry_its_lines() {
    let id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let out = run(tracegrep().args(["--format", "jaeger", id, "fixtures/mixed"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).expect("JSON");
    let trace = &doc["data"][0];
    assert_eq!(trace["traceID"], id);
    let spans = trace["spans"].as_array().expect("spans");
    assert_eq!(spans.len(), 13);
    // Every line is a span log, with its level and message.
    let logs: usize = spans
        .iter()
        .map(|s| s["logs"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(logs, 27);
    let failed: Vec<&Value> = spans
        .iter()
        .filter(|s| {
            s["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|t| t["key"] == "error" && t["value"] == true && t["type"] == "bool")
        })
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["operationName"], "authorizing with issuer");
    let fields = |s: &Value| -> Vec<String> {
        s["logs"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|l| l["fields"].as_array().cloned().unwrap_or_default())
            .map(|f| format!("{}={}", f["key"].as_str().unwrap_or(""), f["value"]))
            .collect()
    };
    let failed_fields = fields(failed[0]);
    assert!(
        failed_fields.iter().any(|f| f.contains("level=\"ERROR\"")),
        "{failed_fields:?}"
    );
    // Inferred parents and the synthetic span are marked.
    let tagged = |key: &str| {
        spans
            .iter()
            .filter(|s| {
                s["tags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|t| t["key"] == key)
            })
            .count()
    };
    assert!(tagged("tracegrep.parent_inferred") >= 5);
    assert_eq!(tagged("tracegrep.span"), 1);
    // Every span starts after 0 (Jaeger UI drops the others) and names a known process.
    for s in spans {
        assert!(s["startTime"].as_i64().unwrap_or(0) > 0);
        let p = s["processID"].as_str().unwrap_or_default();
        assert!(trace["processes"][p]["serviceName"].is_string(), "{s}");
    }
    // OTLP: the same spans, the lines as events, the failed span's status an error.
    let out = run(tracegrep().args(["--format", "otlp", id, "fixtures/mixed"]));
    assert_eq!(check_otlp_lines(&out.stdout).get(id), Some(&13));
    let request: ExportTraceServiceRequest =
        serde_json::from_str(out.stdout.trim()).expect("one request");
    let spans: Vec<_> = request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .collect();
    assert_eq!(spans.iter().map(|s| s.events.len()).sum::<usize>(), 27);
    let errors: Vec<_> = spans
        .iter()
        .filter(|s| s.status.as_ref().is_some_and(|st| st.code == 2))
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].name, "authorizing with issuer");
}

#[test]
fn a_correlation_id_trace_gets_a_derived_hex_id() {
    let out = run(tracegrep().args([
        "--all",
        "-q",
        "--format",
        "otlp",
        "fixtures/opaque-request-id",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let spans = check_otlp_lines(&out.stdout);
    assert!(!spans.is_empty());
    // The original id is kept as an attribute.
    assert!(
        out.stdout.contains("\"tracegrep.trace_id\""),
        "{}",
        out.stdout
    );
}

/// A trace of `spans` spans, each with `lines` lines of `width`-character messages.
fn big_trace(path: &Path, spans: usize, lines: usize, width: usize) {
    use std::fmt::Write as _;
    let mut text = String::new();
    let message = "x".repeat(width);
    for s in 0..spans {
        for l in 0..lines {
            let _ = writeln!(
                text,
                r#"{{"time":"2026-11-20T10:00:{:02}.{:06}Z","level":"info","service":"svc{}","trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"{:016x}","parent_span_id":"{:016x}","msg":"{message} {l}"}}"#,
                (s * lines + l) / 1_000_000 % 60,
                (s * lines + l) % 1_000_000,
                s % 7,
                s + 2,
                if s == 0 { 1 } else { 2 },
            );
        }
    }
    std::fs::write(path, text).expect("written");
}

#[test]
fn a_large_trace_is_cut_across_otlp_lines_under_1_mib() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("big.jsonl");
    // 2,000 spans of 4 lines of 300 characters: some 3 MB of events.
    big_trace(&logs, 2_000, 4, 300);
    let out = run(tracegrep()
        .args(["--all", "-q", "--format", "otlp"])
        .arg(&logs));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.lines().count() >= 3,
        "{} lines",
        out.stdout.lines().count()
    );
    let spans = check_otlp_lines(&out.stdout);
    // 2,000 spans and the placeholder parent they name.
    assert_eq!(spans.get("0af7651916cd43dd8448eb211c80319c"), Some(&2_001));
    // One span with more events than a line holds keeps the first and counts the rest.
    let logs = dir.path().join("wide.jsonl");
    big_trace(&logs, 1, 8_000, 200);
    let out = run(tracegrep()
        .args(["--all", "-q", "--format", "otlp"])
        .arg(&logs));
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("droppedEventsCount"));
    let line = line.expect("a span with dropped events");
    let request: ExportTraceServiceRequest = serde_json::from_str(line).expect("valid");
    let span = request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .find(|s| s.dropped_events_count > 0)
        .expect("the wide span");
    assert_eq!(
        span.events.len() + span.dropped_events_count as usize,
        8_000
    );
    assert!(span.events.len() > 1_000, "{}", span.events.len());
    assert!(line.len() < 1 << 20);
}

#[test]
fn export_formats_are_refused_where_they_mean_nothing() {
    let out = run(tracegrep().args(["--stats", "--format", "otlp", "fixtures/mixed"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("--stats prints table or json"),
        "{}",
        out.stderr
    );
    let out = run(tracegrep().args([
        "--all",
        "--format",
        "csv",
        "--otlp-endpoint",
        "http://127.0.0.1:9",
        "fixtures/mixed",
    ]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("leave out --format"), "{}", out.stderr);
    let out = run(tracegrep().args(["--all", "--dry-run", "fixtures/mixed"]));
    assert_eq!(out.code, 2);
    let out = run(tracegrep().args([
        "--all",
        "--otlp-endpoint",
        "localhost:4318",
        "fixtures/mixed",
    ]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("not an http:// or https:// URL"),
        "{}",
        out.stderr
    );
}

#[test]
fn all_from_stdin_exports_spans_without_their_lines() {
    let text: String = ["billing", "checkout", "edge-gateway", "payments", "users"]
        .iter()
        .map(|s| {
            std::fs::read_to_string(root().join(format!("fixtures/mixed/{s}.jsonl")))
                .expect("fixture")
        })
        .collect();
    let out = tracegrep()
        .args(["--all", "--format", "jsonl"])
        .write_stdin(text.clone())
        .output()
        .expect("ran");
    // The spans tracegrep finds on the stream (lines without a service are `unknown` there).
    let found: usize = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let doc: Value = serde_json::from_str(l).expect("JSON");
            doc["spans"].as_array().map_or(0, Vec::len)
                + doc["missing_spans"].as_array().map_or(0, Vec::len)
        })
        .sum();
    let out = tracegrep()
        .args(["--all", "--format", "otlp"])
        .write_stdin(text)
        .output()
        .expect("ran");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("exported without their log lines"),
        "{stderr}"
    );
    let spans = check_otlp_lines(&stdout);
    assert_eq!(spans.values().sum::<usize>(), found);
    assert!(found >= 17);
    assert!(!stdout.contains("\"events\":[{"), "{stdout}");
}

#[test]
fn hostile_names_stay_valid_and_under_1_mib() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("hostile.jsonl");
    let huge = "\\u001b[31m\\u202e<b>".repeat(300_000);
    let line = |span: &str, parent: &str| {
        format!(
            r#"{{"time":"2026-11-20T10:00:00Z","level":"error","service":"{huge}","trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"{span}","parent_span_id":"{parent}","msg":"{huge}"}}"#
        )
    };
    let text = format!(
        "{}\n{}\n",
        line("00000000000000a1", "00000000000000a0"),
        line("00000000000000a2", "00000000000000a1")
    );
    std::fs::write(&logs, text).expect("written");
    let out = run(tracegrep()
        .args(["--all", "-q", "--format", "otlp"])
        .arg(&logs));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(check_otlp_lines(&out.stdout).values().sum::<usize>(), 3);
    assert!(!out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{202e}'));
    let out = run(tracegrep()
        .args(["--all", "-q", "--format", "jaeger"])
        .arg(&logs));
    let doc: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(doc["data"][0]["spans"].as_array().map(Vec::len), Some(3));
    assert!(!out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{202e}'));
}
