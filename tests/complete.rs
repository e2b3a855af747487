//! Is the request complete? `--expect-services`, lines without context nearby, broken
//! propagation and the `--fail-on-incomplete` gate, on fixtures/complete (one folder per
//! case).

use crate::util::{run, tracegrep, tracegrep_width};

const A: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const B: &str = "0af7651916cd43dd8448eb211c80319c";
/// The billing trace the correlation id of `correlation-split` was also logged with.
const BILLING: &str = "5e0c2b1a9f8e7d6c5b4a392817060504";
/// The inventory trace of `changed-trace-id`: its parent span was logged under `A`.
const INVENTORY: &str = "9a8b7c6d5e4f30211203f4e5d6c7b8a9";

/// `gate failed` lines of a run with `--fail-on-incomplete`, and its exit code.
fn gate(folder: &str, args: &[&str]) -> (i32, Vec<String>) {
    let out = run(tracegrep()
        .args(["--all", "-q", "--fail-on-incomplete"])
        .arg(format!("fixtures/complete/{folder}"))
        .args(args));
    let reasons = out
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("tracegrep: gate failed: "))
        .map(str::to_string)
        .collect();
    (out.code, reasons)
}

#[test]
fn context_lost_lines_fail_the_gate_with_their_count() {
    assert_eq!(
        gate("context-lost", &[]),
        (
            3,
            vec![format!(
                "{A}: incomplete: 2 lines without trace context nearby (orders 2)"
            )]
        )
    );
}

#[test]
fn a_missing_expected_service_fails_the_gate() {
    let expected = ["--expect-services", "gateway,orders,payments"];
    assert_eq!(
        gate("missing-service", &expected),
        (
            3,
            vec![format!(
                "{B}: incomplete: expected service never logged: payments"
            )]
        )
    );
    // Names match as --service does: part of the name, any case.
    assert_eq!(
        gate("missing-service", &["--expect-services", "GATE,order"]),
        (0, vec![])
    );
    // The same list from a file, with comments.
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("services.txt");
    std::fs::write(
        &list,
        "# every checkout reaches these\ngateway\norders  # the API\n\npayments\n",
    )
    .expect("write");
    let (code, reasons) = gate(
        "missing-service",
        &["--expect-services", &format!("@{}", list.display())],
    );
    assert_eq!((code, reasons.len()), (3, 1), "{reasons:?}");
}

#[test]
fn expected_services_alone_flag_without_failing() {
    let out = run(tracegrep_width("160").args([
        "--all",
        "--color",
        "never",
        "fixtures/complete/missing-service",
        "--expect-services",
        "gateway,orders,payments",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("complete__missing_service_table", out.stdout);
}

#[test]
fn a_correlation_id_under_two_trace_ids_is_broken_propagation() {
    let (code, reasons) = gate("correlation-split", &[]);
    assert_eq!(code, 3);
    assert_eq!(
        reasons,
        [
            format!("{A}: incomplete: correlation id c0ffee00-1111-4222-8333-444455556666 was also logged with trace {BILLING}"),
            format!("{BILLING}: incomplete: correlation id c0ffee00-1111-4222-8333-444455556666 was also logged with trace {A}"),
        ]
    );
}

#[test]
fn a_trace_id_changed_across_a_call_is_broken_propagation_on_both_sides() {
    let (code, reasons) = gate("changed-trace-id", &[]);
    assert_eq!(code, 3);
    assert_eq!(
        reasons,
        [
            format!("{A}: incomplete: trace id changed across a call: the call from span b7c8d9e0f1a2b3c4 continued under trace {INVENTORY}"),
            format!("{INVENTORY}: incomplete: 1 parent span never logged (broken propagation)"),
            format!("{INVENTORY}: incomplete: trace id changed across a call: parent span b7c8d9e0f1a2b3c4 was logged under trace {A}"),
        ]
    );
    // The orphans gate says the orphan once, not twice.
    let (_, both) = gate("changed-trace-id", &["--fail-on-orphans"]);
    assert_eq!(
        both.iter().filter(|r| r.contains("never logged")).count(),
        1,
        "{both:?}"
    );
}

#[test]
fn complete_requests_pass_the_gate() {
    let out = run(tracegrep().args([
        "--all",
        "-q",
        "--fail-on-incomplete",
        "--expect-services",
        "checkout",
        "fixtures/pino",
    ]));
    // The pino fixture's requests stay in `checkout` and keep their ids: nothing is missing.
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn the_one_trace_view_lists_lines_without_context_apart() {
    let out = run(tracegrep().args([A, "fixtures/complete/context-lost", "--color", "never"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Never part of the trace: the header counts 5 lines, the two are listed after it.
    assert!(out.stdout.contains("5 lines"), "{}", out.stdout);
    insta::assert_snapshot!("complete__context_lost_trace", out.stdout);
}

#[test]
fn the_one_trace_header_names_missing_services_and_broken_propagation() {
    let out = run(tracegrep().args([
        B,
        "fixtures/complete/missing-service",
        "--color",
        "never",
        "--format",
        "waterfall",
        "--expect-services",
        "gateway,orders,payments",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("  missing services: payments (expected, never logged)\n"),
        "{}",
        out.stdout
    );
    let out = run(tracegrep().args([
        INVENTORY,
        "fixtures/complete/changed-trace-id",
        "--color",
        "never",
        "--format",
        "waterfall",
    ]));
    assert!(
        out.stdout.contains(&format!("  broken propagation: trace id changed across a call: parent span b7c8d9e0f1a2b3c4 was logged under\n    trace {A}\n")),
        "{}",
        out.stdout
    );
    let out = run(tracegrep().args([
        "c0ffee00-1111-4222-8333-444455556666",
        "fixtures/complete/correlation-split",
        "--color",
        "never",
        "--format",
        "waterfall",
    ]));
    assert!(
        out.stdout.contains(&format!("  broken propagation: correlation id c0ffee00-1111-4222-8333-444455556666 was logged with 2 trace\n    ids ({A}, {BILLING})\n")),
        "{}",
        out.stdout
    );
}

#[test]
fn reports_show_what_each_request_lacks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (json, xml) = (dir.path().join("r.json"), dir.path().join("r.xml"));
    let out = run(tracegrep()
        .args([
            "--all",
            "-q",
            "fixtures/complete/missing-service",
            "--expect-services",
            "gateway,orders,payments",
            "--fail-on-incomplete",
            "--report",
            "md",
        ])
        .arg("--report")
        .arg(format!("json={}", json.display()))
        .arg("--report")
        .arg(format!("junit={}", xml.display())));
    assert_eq!(out.code, 3, "{}", out.stderr);
    insta::assert_snapshot!("complete__markdown", out.stdout);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("parses");
    let traces = doc["traces"].as_array().expect("traces");
    let b = traces.iter().find(|t| t["trace_id"] == B).expect("B");
    assert_eq!(b["missing_services"], serde_json::json!(["payments"]));
    assert_eq!(b["complete"], false);
    let a = traces.iter().find(|t| t["trace_id"] == A).expect("A");
    assert_eq!(a["missing_services"], serde_json::json!([]));
    assert_eq!(a["complete"], true);
    assert!(doc["gates"]
        .as_array()
        .expect("gates")
        .iter()
        .any(|g| g["reason"] == "incomplete: expected service never logged: payments"));
    let junit = std::fs::read_to_string(&xml).expect("junit");
    assert!(
        junit.contains("incomplete: expected service never logged: payments"),
        "{junit}"
    );
}

#[test]
fn without_the_flags_nothing_changes() {
    let plain = run(tracegrep().args([
        "--all",
        "--format",
        "json",
        "fixtures/complete/context-lost",
    ]));
    assert!(!plain.stdout.contains("missing_services"));
    assert!(!plain.stdout.contains("\"complete\""));
    let table = run(tracegrep().args([
        "--all",
        "--color",
        "never",
        "fixtures/complete/context-lost",
    ]));
    assert!(!table.stdout.contains("INCOMPLETE"));
}

#[test]
fn standard_input_checks_expected_services() {
    let lines = std::fs::read_to_string(crate::util::fixture(
        "complete/correlation-split/checkout.jsonl",
    ))
    .expect("fixture");
    let out = run(tracegrep()
        .args([
            "--all",
            "-q",
            "--fail-on-incomplete",
            "--expect-services",
            "checkout,billing",
        ])
        .write_stdin(lines));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "tracegrep: gate failed: {A}: incomplete: expected service never logged: billing\n\
             tracegrep: gate failed: {B}: incomplete: expected service never logged: billing\n"
        )
    );
}

#[test]
fn an_unreadable_service_list_is_an_error() {
    let out = run(tracegrep().args([
        "--all",
        "fixtures/complete/missing-service",
        "--expect-services",
        "@fixtures/complete/no-such-file.txt",
    ]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("cannot read fixtures/complete/no-such-file.txt"),
        "{}",
        out.stderr
    );
}
