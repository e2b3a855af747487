//! Push (`--otlp-endpoint`) to a real OTLP/HTTP receiver: trace-view's `tv` (PyPI
//! `trace-view`, a local trace viewer that stores what it receives in SQLite and serves it
//! back), started by the test on a free port. The spans it stored must be the spans
//! tracegrep exports. Skipped when `tv` is not installed, unless TRACEGREP_RECEIVER_TEST=1
//! (set by .ci/run, which installs it) makes that a failure. The dry run, refused
//! endpoints and unreachable receivers need nothing installed.

use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Value_;
use serde_json::Value;

use crate::util::{run, tracegrep};

/// The `tv` binary of trace-view: `TRACEGREP_TV`, else `tv` on the PATH or in Python's
/// scripts folder, when it says it is trace-view's.
fn receiver_binary() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(p) = std::env::var_os("TRACEGREP_TV") {
        candidates.push(p.into());
    }
    candidates.push("tv".into());
    if let Ok(out) = Process::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
    {
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        candidates.push(Path::new(&dir).join("tv"));
    }
    candidates.into_iter().find(|p| {
        Process::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).starts_with("tv 0.1"))
    })
}

/// The receiver, or `None` (with "skipped") when it is missing and not required.
fn receiver_present() -> Option<PathBuf> {
    let required = std::env::var_os("TRACEGREP_RECEIVER_TEST").is_some_and(|v| v == "1");
    let found = receiver_binary();
    if found.is_none() {
        assert!(
            !required,
            "TRACEGREP_RECEIVER_TEST=1 but trace-view's tv is missing (pip install trace-view==0.1.0)"
        );
        eprintln!("skipped: trace-view's tv (pip install trace-view==0.1.0) is not installed");
    }
    found
}

/// A running `tv`, stopped when dropped.
struct Receiver {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("address").port()
}

fn start_receiver(binary: &Path) -> Receiver {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let child = Process::new(binary)
        .arg("--port")
        .arg(port.to_string())
        .arg("--db")
        .arg(dir.path().join("traces.db"))
        .arg("serve")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tv starts");
    let receiver = Receiver {
        child,
        port,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "tv did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    receiver
}

/// A GET on the receiver's API, as JSON (a plain HTTP/1.0 request: the test needs no client).
fn get_json(port: u16, path: &str) -> Value {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n"
    )
    .expect("request");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("response");
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// A span as a receiver sees it: parent, service, start and end in nanoseconds.
type Stored = BTreeMap<String, (Option<String>, String, u64, u64)>;

/// The spans of tracegrep's OTLP export of `input`, by trace id.
fn exported(input: &Path) -> BTreeMap<String, Stored> {
    let out = run(tracegrep()
        .args(["--all", "-q", "--limit", "0", "--format", "otlp"])
        .arg(input));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut traces: BTreeMap<String, Stored> = BTreeMap::new();
    let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
    for line in out.stdout.lines() {
        let request: ExportTraceServiceRequest = serde_json::from_str(line).expect("OTLP");
        for r in &request.resource_spans {
            let service = r
                .resource
                .as_ref()
                .and_then(|r| r.attributes.iter().find(|a| a.key == "service.name"))
                .and_then(|a| a.value.as_ref()?.value.as_ref())
                .map(|v| match v {
                    Value_::StringValue(s) => s.clone(),
                    other => format!("{other:?}"),
                })
                .unwrap_or_default();
            for s in r.scope_spans.iter().flat_map(|s| &s.spans) {
                let parent = (!s.parent_span_id.is_empty()).then(|| hex(&s.parent_span_id));
                traces.entry(hex(&s.trace_id)).or_default().insert(
                    hex(&s.span_id),
                    (
                        parent,
                        service.clone(),
                        s.start_time_unix_nano,
                        s.end_time_unix_nano,
                    ),
                );
            }
        }
    }
    traces
}

/// What the receiver stored for `trace` (its span events, which it stores as spans named
/// `SPAN-event-N`, left out).
fn stored(port: u16, trace: &str) -> Stored {
    let spans = get_json(port, &format!("/api/sessions/{trace}/spans"));
    spans
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| !s["id"].as_str().unwrap_or_default().contains("-event-"))
        .map(|s| {
            let service = s["metadata"]["service.name"].as_str().unwrap_or_default();
            (
                s["id"].as_str().unwrap_or_default().to_string(),
                (
                    s["parent_span_id"].as_str().map(str::to_string),
                    service.to_string(),
                    s["start_time"].as_u64().unwrap_or_default(),
                    s["end_time"].as_u64().unwrap_or_default(),
                ),
            )
        })
        .collect()
}

#[test]
fn pushed_spans_are_what_the_receiver_stores() {
    let Some(binary) = receiver_present() else {
        return;
    };
    let receiver = start_receiver(&binary);
    let logs = crate::truth::generate_into(1 << 20, 5, false);
    for input in [Path::new("fixtures/mixed"), &logs.path().join("logs")] {
        let want = exported(input);
        assert!(!want.is_empty());
        let spans: usize = want.values().map(BTreeMap::len).sum();
        let endpoint = format!("http://127.0.0.1:{}", receiver.port);
        let out = run(tracegrep()
            .args(["--all", "-q", "--limit", "0", "--otlp-endpoint", &endpoint])
            .arg(input));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.stdout, "");
        let summary = format!("tracegrep: sent {spans} spans of {} traces to", want.len());
        assert!(out.stderr.starts_with(&summary), "{}", out.stderr);
        // tv writes in batches every 100 ms.
        let deadline = Instant::now() + Duration::from_secs(10);
        for (trace, spans) in &want {
            let mut have = stored(receiver.port, trace);
            while have.len() < spans.len() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
                have = stored(receiver.port, trace);
            }
            // tv keeps each span's resource attributes (`service.name`) in its metadata.
            assert_eq!(&have, spans, "spans of {trace}");
        }
    }
    // A receiver that refuses the path: one line, exit 2, and no retry of a 404.
    let started = Instant::now();
    let out = run(tracegrep().args([
        "--all",
        "-q",
        "fixtures/mixed",
        "--otlp-endpoint",
        &format!("http://127.0.0.1:{}/nope", receiver.port),
    ]));
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        format!(
            "tracegrep: http://127.0.0.1:{}/nope/v1/traces answered HTTP 404\n",
            receiver.port
        )
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_dry_run_prints_the_requests_and_sends_nothing() {
    // Nothing listens on the port: a send would fail.
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let out = run(tracegrep().args([
        "--all",
        "-q",
        "fixtures/mixed",
        "--dry-run",
        "--otlp-endpoint",
        &endpoint,
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "tracegrep: would send 17 spans of 3 traces to {endpoint}/v1/traces in 1 request\n"
        )
    );
    let request: ExportTraceServiceRequest =
        serde_json::from_str(out.stdout.trim()).expect("one OTLP request");
    let spans: usize = request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
    assert_eq!(spans, 17);
}

#[test]
fn an_unreachable_receiver_is_retried_then_one_line_and_exit_2() {
    let port = free_port();
    let started = Instant::now();
    let out = run(tracegrep().args([
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "fixtures/mixed",
        "--otlp-endpoint",
        &format!("http://127.0.0.1:{port}/v1/traces"),
    ]));
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(
        lines[0].starts_with(&format!(
            "tracegrep: cannot send to http://127.0.0.1:{port}/v1/traces: "
        )),
        "{}",
        out.stderr
    );
    // Four retries: 0.25 + 0.5 + 1 + 2 seconds of backoff.
    assert!(started.elapsed() >= Duration::from_millis(3_700));
    // A malformed header in the environment is refused before anything is read.
    let out = run(tracegrep()
        .env("OTEL_EXPORTER_OTLP_HEADERS", "no-value")
        .args([
            "--all",
            "fixtures/mixed",
            "--otlp-endpoint",
            "http://127.0.0.1:9",
        ]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("OTEL_EXPORTER_OTLP_HEADERS: not KEY=VALUE"),
        "{}",
        out.stderr
    );
}

/// What a loopback HTTP server saw of one request: its head (request line and headers, lower
/// case) and its body.
struct Seen {
    head: String,
    body: Vec<u8>,
}

/// A loopback HTTP server that answers `statuses` in turn (with `Retry-After: 0`), then stops
/// and returns what it was sent. It stands for a receiver's answers a real one cannot be made
/// to give on demand (429, 503); what receivers store is checked against trace-view above.
fn answering(statuses: Vec<u16>) -> (u16, std::thread::JoinHandle<Vec<Seen>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for status in statuses {
            let (stream, _) = listener.accept().expect("a request");
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&lower);
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("body");
            let mut stream = reader.into_inner();
            let answer = format!(
                "HTTP/1.1 {status} X\r\nRetry-After: 0\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
            );
            stream.write_all(answer.as_bytes()).expect("answer");
            seen.push(Seen { head, body });
        }
        seen
    });
    (port, handle)
}

#[test]
fn busy_receivers_are_retried_and_refusals_are_not() {
    let (port, server) = answering(vec![503, 429, 200]);
    let out = run(tracegrep()
        .env(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-team=core,authorization=Bearer%20from-env",
        )
        .args([
            "--all",
            "-q",
            "fixtures/mixed",
            "--otlp-header",
            "Authorization=Bearer from-flag",
            "--otlp-endpoint",
            &format!("http://127.0.0.1:{port}"),
        ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.ends_with("in 1 request (2 retried)\n"),
        "{}",
        out.stderr
    );
    let seen = server.join().expect("server");
    assert_eq!(seen.len(), 3);
    for request in &seen {
        assert!(
            request.head.starts_with("post /v1/traces http/1.1"),
            "{}",
            request.head
        );
        assert!(request.head.contains("content-type: application/json"));
        assert!(request.head.contains("x-team: core"), "{}", request.head);
        // The flag beats the environment.
        assert!(
            request.head.contains("authorization: bearer from-flag"),
            "{}",
            request.head
        );
        assert_eq!(request.body, seen[0].body);
    }
    let request: ExportTraceServiceRequest =
        serde_json::from_slice(&seen[0].body).expect("OTLP/JSON");
    assert_eq!(request.resource_spans.len(), 5);

    // A 400 is the receiver refusing the data: no retry, one line, exit 2.
    let (port, server) = answering(vec![400]);
    let out = run(tracegrep().args([
        "--all",
        "-q",
        "fixtures/mixed",
        "--otlp-endpoint",
        &format!("http://127.0.0.1:{port}/v1/traces"),
    ]));
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        format!("tracegrep: http://127.0.0.1:{port}/v1/traces answered HTTP 400: {{}}\n")
    );
    assert_eq!(server.join().expect("server").len(), 1);
}
