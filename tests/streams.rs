//! Envelopes (kubectl, CRI, Docker, shippers, text prefixes, stern), from files and from stdin.

use crate::util::{fixture, run, tracegrep};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// Folder, lines of the trace, services, stack-trace lines attached to records.
const ENVELOPES: &[(&str, u64, &[&str], usize)] = &[
    (
        "kubectl",
        20,
        &["cart", "checkout", "payments", "timestamps-only"],
        8,
    ),
    ("cri", 12, &["checkout", "payments"], 8),
    ("docker", 10, &["checkout", "payments"], 6),
    ("fluent-bit", 10, &["checkout", "payments"], 7),
    ("vector", 10, &["cart", "checkout"], 6),
    ("journald", 8, &["billing", "checkout"], 6),
    ("text-prefix", 10, &["checkout", "payments"], 7),
    ("stern", 14, &["checkout", "checkout-fraud", "tax"], 7),
];

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).expect("JSON")
}

fn continuation_lines(doc: &serde_json::Value) -> usize {
    doc["logs"]
        .as_array()
        .expect("logs")
        .iter()
        .map(|l| l["continuation"].as_array().map_or(0, Vec::len))
        .sum()
}

#[test]
fn every_envelope_from_files() {
    for (folder, lines, services, stack) in ENVELOPES {
        let out = run(tracegrep().args(["--format", "json", TRACE, &format!("fixtures/{folder}")]));
        assert_eq!(out.code, 0, "{folder}: {}", out.stderr);
        let doc = json(&out.stdout);
        assert_eq!(doc["lines"], *lines, "{folder}");
        assert_eq!(doc["services"], serde_json::json!(services), "{folder}");
        assert_eq!(continuation_lines(&doc), *stack, "{folder}");
    }
}

#[test]
fn every_envelope_from_stdin() {
    for (folder, lines, _, stack) in ENVELOPES {
        let mut input = Vec::new();
        let mut files: Vec<_> = std::fs::read_dir(fixture(folder))
            .expect("folder")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        for f in files {
            input.extend(std::fs::read(f).expect("read"));
        }
        let out = tracegrep()
            .args(["--format", "json", TRACE])
            .write_stdin(input)
            .output()
            .expect("ran");
        assert_eq!(out.status.code(), Some(0), "{folder}");
        let doc = json(&String::from_utf8_lossy(&out.stdout));
        assert_eq!(doc["lines"], *lines, "{folder} from stdin");
        assert_eq!(continuation_lines(&doc), *stack, "{folder} from stdin");
    }
}

#[test]
fn kubectl_pods_name_the_service_and_timestamps_give_the_time() {
    let out = run(tracegrep().args([
        "--format",
        "json",
        TRACE,
        "fixtures/kubectl/prefix-timestamps.log",
    ]));
    let doc = json(&out.stdout);
    // The inner JSON of the payments pods names no service: the pod's Deployment does.
    assert_eq!(doc["lines_by_service"]["payments"], 6);
    let out = run(tracegrep().args([
        "--format",
        "json",
        TRACE,
        "fixtures/kubectl/timestamps-only.log",
    ]));
    let doc = json(&out.stdout);
    for log in doc["logs"].as_array().expect("logs") {
        assert!(
            log["time"]
                .as_str()
                .is_some_and(|t| t.starts_with("2026-11-20T10:00:01")),
            "{log}"
        );
    }
}

#[test]
fn split_lines_are_joined() {
    // CRI: the record is split in three P/P/F pieces and the id is only in the second.
    let out = run(tracegrep().args(["--format", "json", TRACE, "fixtures/cri/checkout.log"]));
    let doc = json(&out.stdout);
    let joined = doc["logs"]
        .as_array()
        .expect("logs")
        .iter()
        .find(|l| {
            l["message"]
                .as_str()
                .is_some_and(|m| m.contains("loaded with 3 items"))
        })
        .expect("the joined record");
    assert!(
        joined["duration_ms"].as_f64().is_some(),
        "fields of the last piece: {joined}"
    );
    // Docker: a 16 KiB fragment without the id, then the rest with it.
    let out = run(tracegrep().args([
        "--format",
        "raw",
        TRACE,
        "fixtures/docker/payments-json.log",
    ]));
    assert!(
        out.stdout.lines().any(|l| l.len() > 16_384),
        "the fragments are printed together"
    );
}

#[test]
fn envelopes_snapshot() {
    for (folder, ..) in ENVELOPES {
        for format in ["waterfall", "timeline"] {
            let out =
                run(tracegrep().args(["--format", format, TRACE, &format!("fixtures/{folder}")]));
            insta::assert_snapshot!(format!("{folder}__{format}"), out.snapshot());
        }
    }
}
