//! `tracegrep mcp`: the MCP server driven by a real MCP client, the official Python SDK
//! (`mcp` from PyPI, pinned in .ci/run) through tests/mcp/client.py. One session lists the
//! tools and calls each; every answer must equal what the command line prints for the same
//! question, errors must be tool errors, and the server must live on after them. Without
//! python3 or the `mcp` package the test prints "skipped" and passes, unless
//! TRACEGREP_BROWSER_TEST=1 (set by .ci/run, which installs it) makes that a failure.

use std::io::Write;
use std::process::{Command as Process, Stdio};

use serde_json::{json, Value};

use crate::util::{root, run, tracegrep, tracegrep_width};

const CHECKOUT: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const FAILING: &str = "22222222222222222222222222222222";
const PATHS: [&str; 2] = ["fixtures/mixed", "fixtures/ci"];

/// The client's report of one session with `tracegrep mcp PATHS` doing `calls`, or `None`
/// when the client cannot run here (and need not).
fn session(calls: &Value) -> Option<Value> {
    let required = std::env::var_os("TRACEGREP_BROWSER_TEST").is_some_and(|v| v == "1");
    let binary = assert_cmd::cargo::cargo_bin("tracegrep");
    let out = Process::new("python3")
        .current_dir(root())
        .arg("tests/mcp/client.py")
        .arg(calls.to_string())
        .arg(&binary)
        .arg("mcp")
        .args(PATHS)
        .output();
    let missing = match &out {
        Err(e) => Some(format!("python3 cannot run: {e}")),
        Ok(o) if o.status.code() == Some(3) => Some(String::from_utf8_lossy(&o.stderr).into()),
        Ok(_) => None,
    };
    if let Some(why) = missing {
        assert!(
            !required,
            "TRACEGREP_BROWSER_TEST=1 but the MCP client cannot run: {why}"
        );
        eprintln!("skipped: the Python MCP client (pip install mcp==2.3.0) is missing: {why}");
        return None;
    }
    let out = out.expect("ran");
    assert!(
        out.status.success(),
        "client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("the client's report is JSON"))
}

/// What the command line prints for these arguments on the same paths (200 columns, as the
/// tools' tables).
fn cli(args: &[&str]) -> String {
    let out = run(tracegrep_width("200")
        .args(["-q", "--color", "never"])
        .args(args)
        .args(PATHS));
    assert_eq!(out.code, 0, "{}", out.snapshot());
    out.stdout
}

#[test]
fn a_real_mcp_client_calls_every_tool() {
    let dir = tempfile::tempdir().expect("tempdir");
    let planted = dir.path().join("planted.html");
    let calls = json!([
        ["find_trace", {"trace_id": "4BF92F35-77B3-4DA6-A3CE-929D0E0E4736"}],
        ["find_trace", {"trace_id": CHECKOUT, "format": "json"}],
        ["list_traces", {"failed": true}],
        ["list_traces", {"service": ["payments"], "format": "tree", "limit": 2}],
        ["list_traces", {"errors": true, "format": "json"}],
        ["stats", {"format": "json"}],
        ["span_lines", {"trace_id": CHECKOUT, "span_id": "C5FF1B213ED34A82"}],
        ["span_lines", {"trace_id": CHECKOUT, "span_id": "c5ff1b213ed34a82", "format": "json"}],
        ["find_trace", {"trace_id": "ffffffffffffffffffffffffffffffff"}],
        ["list_traces", {"where": ["no operator"]}],
        ["list_traces", {"min_duration": "soon"}],
        ["span_lines", {"trace_id": CHECKOUT, "span_id": "0000000000000001"}],
        // Never a flag: `--report=html=PATH` would write a file.
        ["find_trace", {"trace_id": format!("--report=html={}", planted.display())}],
        ["find_trace", {"trace_id": FAILING}],
    ]);
    let Some(report) = session(&calls) else {
        return;
    };
    assert_eq!(report["server"]["name"], "tracegrep");
    let mut names: Vec<&str> = report["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["find_trace", "list_traces", "span_lines", "stats"]);
    for tool in report["tools"].as_array().expect("tools") {
        assert!(
            tool["description"].as_str().expect("described").len() > 150,
            "{tool}"
        );
        assert_eq!(tool["input_schema"]["type"], "object");
    }
    let filters = &report["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .find(|t| t["name"] == "list_traces")
        .expect("list_traces")["input_schema"]["properties"];
    for name in [
        "errors",
        "failed",
        "service",
        "where",
        "min_duration",
        "sort",
        "limit",
    ] {
        assert!(filters.get(name).is_some(), "list_traces has no {name}");
    }

    let calls = report["calls"].as_array().expect("calls");
    let ok = |k: usize| -> &str {
        assert_eq!(calls[k]["is_error"], false, "call {k}: {}", calls[k]);
        calls[k]["texts"][0].as_str().expect("text")
    };
    let error = |k: usize| -> &str {
        assert_eq!(calls[k]["is_error"], true, "call {k}: {}", calls[k]);
        calls[k]["texts"][0].as_str().expect("text")
    };
    // Each answer is what the command prints.
    assert_eq!(ok(0), cli(&["--format", "tree", CHECKOUT]));
    assert_eq!(ok(1), cli(&["--format", "json", CHECKOUT]));
    let failed = cli(&["--all", "--failed", "--sort", "worst", "--limit", "20"]);
    assert_eq!(ok(2), failed);
    assert!(
        failed.contains(FAILING) && !failed.contains(CHECKOUT),
        "{failed}"
    );
    assert_eq!(
        ok(3),
        cli(&[
            "--all",
            "--format",
            "tree",
            "--service",
            "payments",
            "--limit",
            "2"
        ])
    );
    let listed: Value = serde_json::from_str(ok(4)).expect("JSON rows");
    assert_eq!(
        listed,
        serde_json::from_str::<Value>(&cli(&[
            "--all", "--errors", "--sort", "worst", "--limit", "20", "--format", "json",
        ]))
        .expect("JSON")
    );
    assert_eq!(
        ok(5),
        cli(&["--stats", "--limit", "20", "--format", "json"])
    );
    // The lines of the span that failed, by an id in upper case.
    let lines = ok(6);
    assert!(
        lines.contains("payments ERROR card declined by issuer"),
        "{lines}"
    );
    assert_eq!(lines.lines().count(), 1 + 2, "{lines}");
    let objects: Value = serde_json::from_str(ok(7)).expect("JSON lines");
    let objects = objects.as_array().expect("array");
    assert_eq!(objects.len(), 2);
    assert!(objects.iter().all(|l| l["span_id"] == "c5ff1b213ed34a82"));
    // Errors are tool errors with the CLI's message, and the server answers on after them.
    assert!(error(8).contains("no lines of trace"), "{}", error(8));
    assert!(error(9).contains("--where"), "{}", error(9));
    assert!(error(10).contains("not a duration"), "{}", error(10));
    assert!(
        error(11).contains("its spans: 097385a43d019247"),
        "{}",
        error(11)
    );
    assert!(
        error(12).contains("no lines of trace --report"),
        "{}",
        error(12)
    );
    assert!(!planted.exists());
    assert_eq!(ok(13), cli(&["--format", "tree", FAILING]));
}

/// Every line the server writes on stdout is a JSON-RPC message (diagnostics go to stderr),
/// a bad message gets an error answer, and the end of stdin ends the server with status 0.
#[test]
fn stdout_carries_only_the_protocol() {
    let binary = assert_cmd::cargo::cargo_bin("tracegrep");
    let mut child = Process::new(binary)
        .current_dir(root())
        .args(["mcp", "fixtures/mixed", "fixtures/no-such-folder"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("started");
    let messages = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "list_traces", "arguments": {}}}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "find_trace", "arguments": {"trace_id": 5}}}),
        json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
            "params": {"name": "no_such_tool", "arguments": {}}}),
    ];
    let mut stdin = child.stdin.take().expect("stdin");
    for m in &messages {
        writeln!(stdin, "{m}").expect("written");
    }
    drop(stdin);
    let out = child.wait_with_output().expect("ended");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let answers: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON-RPC: {l:?}: {e}")))
        .collect();
    assert!(answers.iter().all(|a| a["jsonrpc"] == "2.0"));
    let by_id = |id: i64| answers.iter().find(|a| a["id"] == id).expect("answered");
    // The folder that does not exist is an error of the call, which still lists the rest.
    let listed = &by_id(2)["result"];
    assert_eq!(listed["isError"], false);
    assert!(listed["content"][0]["text"]
        .as_str()
        .expect("text")
        .contains(CHECKOUT));
    assert!(listed["content"][1]["text"]
        .as_str()
        .expect("notes")
        .contains("no-such-folder"));
    assert_eq!(by_id(3)["result"]["isError"], true);
    assert!(by_id(4).get("error").is_some());
}

/// `mcp` is a subcommand only in the first place: after an id or a flag it is a path, so
/// `tracegrep ID mcp` still searches a folder named `mcp`.
#[test]
fn mcp_is_a_path_after_an_id() {
    let out = run(tracegrep().args([CHECKOUT, "mcp"]));
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out.stderr.contains("mcp: No such file"), "{}", out.stderr);
    let out = run(tracegrep().args(["--all", "mcp"]));
    assert!(out.stderr.contains("mcp: No such file"), "{}", out.stderr);
}
