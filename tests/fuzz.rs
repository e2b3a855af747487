//! Regressions found by the fuzz targets (fuzz/, CONTRIBUTING.md "Fuzzing"): each minimised
//! input is a file in fixtures/fuzz/, run through the real binary.

use crate::util::{run, tracegrep};

/// A bunyan record inside Docker's `log` string names its service (`name`), as it does bare
/// (found by the envelope target: the envelope's rank offset hid that `name` was bunyan's).
#[test]
fn bunyan_inside_docker_names_its_service() {
    let out = run(tracegrep().args([
        "--format",
        "json",
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "fixtures/fuzz/bunyan-in-docker.log",
    ]));
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(doc["services"], serde_json::json!(["catalog"]));
}

/// A short hex id (`"trace_id":"4bf92f35"`) is listed padded by `--all`, and the id as listed
/// finds its line (found by the pipeline target: the padded digits were the only needles).
#[test]
fn a_short_id_is_found_as_all_lists_it() {
    let all = run(tracegrep().args(["--all", "fixtures/fuzz/short-id.log"]));
    assert!(
        all.stdout.contains("000000004bf92f35"),
        "{}",
        all.snapshot()
    );
    let out = run(tracegrep().args(["000000004bf92f35", "fixtures/fuzz/short-id.log"]));
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.contains("order inserted"), "{}", out.snapshot());
}

/// An id prefix with a leading zero finds the trace whose Jaeger `uber-trace-id` dropped that
/// zero (found by the ids target: the prefix's needles were its eight padded digits).
#[test]
fn a_prefix_finds_an_uber_trace_id_without_leading_zeros() {
    for typed in ["0af76519…", "0AF7651916CD..."] {
        let out = run(tracegrep().args([typed, "fixtures/fuzz/uber-short.log"]));
        assert_eq!(out.code, 0, "{typed}: {}", out.snapshot());
        assert!(
            out.stdout
                .contains("Trace 0af7651916cd43dd8448eb211c80319c"),
            "{typed}: {}",
            out.snapshot()
        );
    }
}

/// A request id of digits (a snowflake id) is found by typing it (found by the ids target: the
/// line read it as hex, the command line as Datadog's decimal).
#[test]
fn a_request_id_of_digits_is_found_as_typed() {
    let out = run(tracegrep().args(["1234567890123456789", "fixtures/fuzz/digit-request-id.log"]));
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.contains("order accepted"), "{}", out.snapshot());
}

/// A request id that ends in three dots is found by typing it as logged, dots and all (found by
/// the ids target: the dots were read as "an id cut short" and dropped).
#[test]
fn a_request_id_ending_in_dots_is_found_as_typed() {
    finds_only_the_accepted_order("2amdc.trac...", "fixtures/fuzz/dotted-request-id.log");
}

/// A request id of a few digits and three dots is found as logged, not read as the hex id those
/// digits would be (found by the ids target: `775...` looked for trace 0x775).
#[test]
fn a_short_request_id_ending_in_dots_is_not_a_hex_id() {
    finds_only_the_accepted_order("775...", "fixtures/fuzz/short-dotted-request-id.log");
}

/// Searching `id` in `file` finds its "order accepted" line and not the other request's.
fn finds_only_the_accepted_order(id: &str, file: &str) {
    let out = run(tracegrep().args([id, file]));
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.contains("order accepted"), "{}", out.snapshot());
    assert!(
        !out.stdout.contains("another request"),
        "{}",
        out.snapshot()
    );
}

/// A line with a split time (`timestamp.seconds`) inside a Docker `log` string keeps its own
/// time, not Docker's (found by the envelope target).
#[test]
fn a_split_time_inside_docker_beats_dockers_time() {
    let out = run(tracegrep().args([
        "--format",
        "json",
        "11803532876627986230",
        "fixtures/fuzz/docker-split-time.log",
    ]));
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(
        out.stdout.contains("2026-11-20T10:00:01"),
        "{}",
        out.snapshot()
    );
    assert!(!out.stdout.contains("10:00:09"), "{}", out.snapshot());
}
