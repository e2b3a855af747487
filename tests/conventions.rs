//! One test per fixture folder: the plain waterfall, timeline and compact tree, snapshotted.

use crate::util::{run, tracegrep};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn snapshot_folder(folder: &str, id: &str) {
    let path = format!("fixtures/{folder}");
    for format in ["waterfall", "timeline", "tree"] {
        let out = run(tracegrep().args(["--format", format, id, &path]));
        assert_eq!(out.code, 0, "{folder} {format}: {}", out.snapshot());
        assert!(!out.stdout.contains('\u{1b}'), "{folder}: colour in a pipe");
        insta::assert_snapshot!(format!("{folder}__{format}"), out.snapshot());
    }
}

macro_rules! convention_tests {
    ($($name:ident => $folder:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                snapshot_folder($folder, TRACE);
            }
        )*
    };
}

convention_tests! {
    otel => "otel",
    pino => "pino",
    bunyan => "bunyan",
    zap => "zap",
    logrus => "logrus",
    slog => "slog",
    zerolog => "zerolog",
    structlog => "structlog",
    logstash => "logstash",
    ecs => "ecs",
    datadog => "datadog",
    gcp => "gcp",
    serilog => "serilog",
    dotnet => "dotnet",
    python_json_logger => "python-json-logger",
    powertools => "powertools",
    legacy_correlation => "legacy-correlation",
    b3_jaeger => "b3-jaeger",
    mixed => "mixed",
    messy => "messy",
    gzip => "gzip",
    otlp => "otlp",
    jaeger => "jaeger",
    zipkin => "zipkin",
    rust_tracing => "rust-tracing",
    seq => "seq",
    queue => "queue",
    rust_queue => "rust-queue",
}

#[test]
fn opaque_request_id() {
    snapshot_folder("opaque-request-id", "req-7f3a");
}

/// The one coloured snapshot: it pins the escape sequences a terminal receives.
#[test]
fn mixed_in_colour() {
    let out = run(tracegrep().args([
        "--color",
        "always",
        "--format",
        "waterfall",
        TRACE,
        "fixtures/mixed",
    ]));
    assert_eq!(out.code, 0);
    insta::assert_snapshot!("mixed__waterfall_colour", out.snapshot());
}

/// An in-house id that is not hex, under `trace_id`, is still a trace; the placeholders apps
/// write when there is no id (`"null"`, `"-"`, `"undefined"`) are not one.
#[test]
fn app_ids() {
    snapshot_folder("app-ids", "sf-20261120-000042");
    let out = run(tracegrep().args(["--all", "--format", "csv", "fixtures/app-ids"]));
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let ids: Vec<&str> = out
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids, ["sf-20261120-000042", "sf-20261120-000043"]);
    assert!(
        out.stderr
            .contains("fixtures/app-ids/api.jsonl: 2 JSON lines without a trace id")
            && out
                .stderr
                .contains("fixtures/app-ids/stock.jsonl: 1 JSON line without a trace id\n"),
        "{}",
        out.stderr
    );
}

/// Rust `tracing` + `tracing-opentelemetry` through a queue, read from a pipe (no file name to
/// name the services): the crate of each line's `target` names its service, the `traceparent`
/// the consumer logged among its fields names its parent, and the consumer's own step hangs
/// under the consumer, the one span through which its service joined the trace.
#[test]
fn rust_queue_from_a_pipe() {
    let input = ["checkout", "fulfillment"]
        .map(|f| std::fs::read_to_string(format!("fixtures/rust-queue/{f}.jsonl")).unwrap())
        .concat();
    let out = run(tracegrep()
        .args(["--format", "json", "-q", TRACE])
        .write_stdin(input));
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        doc["services"],
        serde_json::json!(["checkout", "fulfillment"])
    );
    let span = |id: &str| {
        doc["spans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["span_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("span {id} in {}", out.stdout))
    };
    let consumer = span("8b2d1f6e4c3a5b01");
    assert_eq!(consumer["parent_span_id"], "7a1c0e5d3b2f4a02");
    assert_eq!(consumer["link"], "named");
    assert_eq!(consumer["follows_from"], true, "a consumer is asynchronous");
    let step = span("8b2d1f6e4c3a5b02");
    assert_eq!(step["inferred_parent_span_id"], "8b2d1f6e4c3a5b01");
    assert_eq!(step["link"], "service");
}

/// A consumer in another language logs only the `traceparent` it received (no messaging field of
/// its own), 14 ms after the producer's request ended: it is the message's consumer because its
/// parent published the message, so it runs asynchronously and its service's clock is left
/// alone (both services share one clock, as in conformance/corpus/polyglot).
#[test]
fn a_consumer_under_a_publish_call_is_asynchronous_and_not_a_clock_skew() {
    const T: &str = "5f3c8a1e9b2d4c6f7a8b9c0d1e2f3a4b";
    let line = |ms: u32, service: &str, span: &str, msg: &str, extra: &str| {
        format!(
            "{{\"time\":\"2026-12-05T10:00:00.{ms:03}Z\",\"service\":\"{service}\",\"trace_id\":\"{T}\",\"span_id\":\"{span}\",\"msg\":\"{msg}\"{extra}}}\n"
        )
    };
    let input = [
        line(0, "checkout", "1000000000000001", "order received", ""),
        line(
            3,
            "checkout",
            "1000000000000002",
            "message sent",
            ",\"messaging.destination\":\"orders\"",
        ),
        line(5, "checkout", "1000000000000001", "order placed", ""),
        line(
            19,
            "fulfillment",
            "2000000000000001",
            "message received",
            &format!(",\"message_headers\":{{\"traceparent\":\"00-{T}-1000000000000002-01\"}}"),
        ),
        line(21, "fulfillment", "2000000000000002", "stock reserved", ""),
    ]
    .concat();
    let out = run(tracegrep()
        .args(["--format", "json", "-q", T])
        .write_stdin(input));
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let consumer = doc["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["span_id"] == "2000000000000001")
        .unwrap_or_else(|| panic!("consumer in {}", out.stdout));
    assert_eq!(consumer["parent_span_id"], "1000000000000002");
    assert_eq!(consumer["follows_from"], true, "{consumer}");
    assert_eq!(consumer["clock_shift_ms"], 0.0, "{consumer}");
    assert_eq!(consumer["start"], "2026-12-05T10:00:00.019000Z");
}
