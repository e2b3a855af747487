//! `--source clickhouse://…` against the real ClickHouse engine: chdb (PyPI) served on
//! loopback by `tests/clickhouse/front.py` (ClickHouse's HTTP interface), the exporter's
//! tables from `tests/clickhouse/schema.sql`, and files in an S3-compatible store (moto's
//! server, PyPI) read by the engine's `s3()`. Each search through the server is compared with
//! a local run on the same lines.
//!
//! Needs python3 with `chdb` and `moto[server]`; without them the test says it was not run
//! and passes, unless TRACEGREP_CLICKHOUSE_TEST=1 (set by `.ci/run`, which installs both).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{root, run, tracegrep, Run};

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Why the engine cannot run here, if it cannot.
fn missing_engine() -> Option<String> {
    let check = Command::new("python3")
        .args(["-c", "import chdb, moto.server"])
        .output();
    match check {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        Err(e) => Some(format!("python3 cannot run: {e}")),
    }
}

/// The front over chdb on a free loopback port: (process, port).
fn start_front(data: &Path) -> (Running, u16) {
    let mut child = Command::new("python3")
        .arg(root().join("tests/clickhouse/front.py"))
        .arg("--data")
        .arg(data)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("front starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("front says where it listens");
    let port = first
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("front said {first:?}"));
    (Running(child), port)
}

/// moto's S3 server on a free loopback port.
fn start_s3() -> (Running, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto starts");
    let running = Running(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto did not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    (running, port)
}

/// Posts SQL to the front and returns the answer (settings as URL parameters).
fn query(port: u16, params: &str, sql: &str) -> String {
    let url = format!("http://127.0.0.1:{port}/?{params}");
    let mut response = ureq::post(&url)
        .config()
        .http_status_as_error(false)
        .build()
        .send(sql)
        .expect("the front answers");
    let text = response.body_mut().read_to_string().expect("text");
    assert_eq!(response.status().as_u16(), 200, "{sql}\n{text}");
    text
}

/// Uploads a file to the S3 store.
fn put_object(port: u16, key: &str, body: &[u8]) {
    let response = ureq::put(&format!("http://127.0.0.1:{port}/{key}"))
        .header("Content-Type", "application/octet-stream")
        .send(body)
        .expect("upload");
    assert_eq!(response.status().as_u16(), 200, "{key}");
}

fn load(port: u16, args: &[&str]) {
    let status = Command::new("python3")
        .arg(root().join("tests/clickhouse/load.py"))
        .args(["--url", &format!("http://127.0.0.1:{port}/")])
        .args(args)
        .status()
        .expect("load.py runs");
    assert!(status.success(), "load.py {args:?}");
}

/// The JSON of a run with the sources' names and the lines' places in them taken out (a
/// file's path and offsets locally, the server's name and answer through it).
fn without_sources(json: &str) -> String {
    let mut value: serde_json::Value = serde_json::from_str(json).expect("JSON");
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                map.remove("source");
                map.remove("sources");
                map.remove("byte_offset");
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    value.to_string()
}

/// A view without its list of lines without context nearby, which only a search of files
/// makes (it reads around the trace's lines; a server's answer is only the trace's lines).
fn without_nearby(text: &str) -> String {
    let body = text
        .split("\nLines without context nearby:")
        .next()
        .unwrap_or_default();
    let mut kept: String = body
        .lines()
        .filter(|l| !l.contains("without context nearby"))
        .map(|l| format!("{l}\n"))
        .collect();
    if !text.contains("\nLines without context nearby:") {
        kept =
            kept.trim_end_matches('\n').to_string() + if text.ends_with('\n') { "\n" } else { "" };
    } else {
        kept = kept.trim_end_matches('\n').to_string() + "\n";
    }
    kept
}

/// The columns of `--all --format csv` a server's grouping computes as a local run does:
/// trace_id, services, lines, error_lines, first_error_service, first_error_message; rows
/// sorted.
fn csv_columns(csv: &str) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            [0, 3, 5, 6, 12, 13]
                .iter()
                .map(|&i| f.get(i).copied().unwrap_or_default().to_string())
                .collect()
        })
        .collect();
    rows.sort();
    rows
}

fn remote(url: &str, args: &[&str]) -> Run {
    run(tracegrep().args(args).arg("--source").arg(url))
}

fn local(paths: &[PathBuf], args: &[&str]) -> Run {
    run(tracegrep().args(args).args(paths))
}

/// The fixture folders loaded: ids spelled in hex, GUIDs, decimal, traceparent and X-Ray.
const FOLDERS: [&str; 5] = [
    "mixed",
    "datadog",
    "zerolog",
    "powertools",
    "legacy-correlation",
];

/// Ids searched for, in several spellings.
const IDS: [&str; 6] = [
    "4bf92f3577b34da6a3ce929d0e0e4736",
    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    "0af7651916cd43dd8448eb211c80319c",
    "a3ce929d0e0e4736",
    "5B8EFFF7-9803-8103-D269-B633813FC60C",
    "4bf92f35",
];

#[test]
fn searches_through_clickhouse_find_what_a_local_scan_finds() {
    if let Some(why) = missing_engine() {
        assert!(
            std::env::var_os("TRACEGREP_CLICKHOUSE_TEST").is_none(),
            "TRACEGREP_CLICKHOUSE_TEST=1 but the engine cannot run: {why}"
        );
        eprintln!("not run: chdb or moto is missing (pip install chdb 'moto[server]'): {why}");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (_front, port) = start_front(&dir.path().join("chdb"));
    let folders: Vec<PathBuf> = FOLDERS
        .iter()
        .map(|f| root().join("fixtures").join(f))
        .collect();
    let globs: Vec<String> = folders
        .iter()
        .map(|f| format!("{}/*.jsonl", f.display()))
        .collect();
    load(port, &["--schema"]);
    let mut args: Vec<&str> = Vec::new();
    for glob in &globs {
        args.extend(["--otel-logs", glob.as_str(), "--raw-lines", glob.as_str()]);
    }
    load(port, &args);

    one_trace_from_the_exporter_table(port, dir.path());
    every_trace_and_statistics_from_the_exporter_table(port, dir.path());
    the_trace_time_table_narrows_the_read(port, dir.path());
    one_trace_from_a_column_of_lines(port);
    one_trace_from_files_in_object_storage(port, dir.path());
    the_trace_id_index_is_used(port);
    failures_are_one_line_and_exit_2(port);
}

/// The exporter's table: each search equals a local run on the table's rows as JSON lines.
fn one_trace_from_the_exporter_table(port: u16, dir: &Path) {
    let dump = dir.join("otel_logs.jsonl");
    let rows = query(
        port,
        "date_time_output_format=iso&output_format_json_escape_forward_slashes=0",
        "SELECT Timestamp, TraceId, SpanId, TraceFlags, SeverityText, SeverityNumber, \
         ServiceName, Body, ResourceAttributes, ScopeName, LogAttributes FROM otel.otel_logs \
         ORDER BY Timestamp, ServiceName, TraceId, SpanId, SeverityNumber, Body FORMAT JSONEachRow",
    );
    std::fs::write(&dump, &rows).expect("dump written");
    let url = format!("clickhouse://127.0.0.1:{port}/otel");
    let mut found = 0;
    for id in IDS {
        let here = local(std::slice::from_ref(&dump), &[id, "--format", "waterfall"]);
        let there = remote(&url, &[id, "--format", "waterfall"]);
        assert_eq!(there.code, here.code, "{id}\n{}", there.stderr);
        assert_eq!(there.stdout, without_nearby(&here.stdout), "{id}");
        if here.code == 0 {
            found += 1;
            let here = local(std::slice::from_ref(&dump), &[id, "--format", "json"]);
            let there = remote(&url, &[id, "--format", "json"]);
            assert_eq!(
                without_sources(&there.stdout),
                without_sources(&here.stdout),
                "{id}"
            );
            assert!(
                there.stderr.contains("the server read"),
                "{id}: {}",
                there.stderr
            );
        }
    }
    assert!(found >= 3, "only {found} of the ids were found");
}

/// The exporter's trace id → time table (filled by its materialized view from `otel_traces`)
/// narrows the rows read to the trace's time, an hour either side: with the trace's real span
/// times the answer is the same; with times two days off, its lines are not read.
fn the_trace_time_table_narrows_the_read(port: u16, dir: &Path) {
    query(
        port,
        "",
        "INSERT INTO otel.otel_traces (Timestamp, TraceId, SpanId, ServiceName, SpanName, Duration) VALUES \
         ('2026-11-20 10:00:01', '4bf92f3577b34da6a3ce929d0e0e4736', '5223460a0623f401', 'gateway', 'POST /api/checkout', 120496000), \
         ('2026-11-18 10:00:01', '0af7651916cd43dd8448eb211c80319c', '1111111111111111', 'gateway', 'GET /api/products', 38000000)",
    );
    let times = query(
        port,
        "",
        "SELECT TraceId, Start FROM otel.otel_traces_trace_id_ts ORDER BY TraceId FORMAT TSV",
    );
    assert_eq!(times.lines().count(), 2, "{times}");
    let dump = dir.join("otel_logs.jsonl");
    let url = format!("clickhouse://127.0.0.1:{port}/otel");
    let here = local(
        std::slice::from_ref(&dump),
        &[IDS[0], "--format", "waterfall"],
    );
    let there = remote(&url, &[IDS[0], "--format", "waterfall"]);
    assert_eq!(there.code, 0, "{}", there.stderr);
    assert_eq!(there.stdout, without_nearby(&here.stdout));
    let off = remote(&url, &[IDS[2], "--format", "waterfall"]);
    assert_eq!(off.code, 1, "{}", off.stdout);
    // Without the table (trace_times=), the lines are found again.
    let unused = remote(
        &format!("{url}?trace_times="),
        &[IDS[2], "--format", "waterfall"],
    );
    assert_eq!(unused.code, 0, "{}", unused.stderr);
}

/// `--all` and `--stats` group on the server; what they count the same way as a local run
/// on the table's rows (ids, services, lines, errors; per service, the durations of spans
/// that have ids) is the same.
fn every_trace_and_statistics_from_the_exporter_table(port: u16, dir: &Path) {
    let dump = dir.join("otel_logs.jsonl");
    let url = format!("clickhouse://127.0.0.1:{port}/otel");
    for filter in [&[][..], &["--errors"][..], &["--service", "payments"][..]] {
        let mut args = vec!["--all", "--format", "csv"];
        args.extend_from_slice(filter);
        let here = local(std::slice::from_ref(&dump), &args);
        let there = remote(&url, &args);
        assert_eq!(there.code, here.code, "{filter:?}\n{}", there.stderr);
        assert!(!csv_columns(&here.stdout).is_empty(), "{filter:?}");
        assert_eq!(
            csv_columns(&there.stdout),
            csv_columns(&here.stdout),
            "{filter:?}"
        );
    }
    let stats = |text: &str| -> Vec<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_str(text).expect("stats JSON");
        // Services whose lines all carry span ids (a local run also makes spans of lines
        // without ids, per service, which a server's grouping by span id cannot).
        let spanned = ["checkout", "edge-gateway", "gateway", "payments"];
        // Per service: operations are named by a span's first message on the server, where a
        // local run prefers an HTTP route or operation name its lines carry.
        let mut rows: Vec<serde_json::Value> = v["services"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|r| spanned.contains(&r["service"].as_str().unwrap_or_default()))
            .collect();
        rows.sort_by_key(|r| r.to_string());
        rows
    };
    let here = local(
        std::slice::from_ref(&dump),
        &["--stats", "--format", "json"],
    );
    let there = remote(&url, &["--stats", "--format", "json"]);
    assert_eq!(there.code, 0, "{}", there.stderr);
    assert_eq!(stats(&there.stdout), stats(&here.stdout));
    assert_eq!(stats(&here.stdout).len(), 4, "{}", here.stdout);
}

/// JSON lines in a String column: the server's candidates are the local prefilter's, and
/// the local reader decides. The same lines read locally (from standard input: a table keeps
/// no file names) give the same answer.
fn one_trace_from_a_column_of_lines(port: u16) {
    let lines = query(port, "", "SELECT line FROM logs.raw FORMAT TSVRaw");
    let url = format!("clickhouse://127.0.0.1:{port}/logs?table=raw&column=line");
    // A prefix is searched again by the whole id it found, which a stream cannot be (the
    // files of object storage below check that second search).
    for id in IDS.iter().filter(|id| id.len() > 8) {
        let here = run(tracegrep()
            .args([id, "--format", "waterfall"])
            .write_stdin(lines.clone()));
        let there = remote(&url, &[id, "--format", "waterfall"]);
        assert_eq!(there.code, here.code, "{id}\n{}", there.stderr);
        assert_eq!(there.stdout, here.stdout, "{id}");
    }
}

/// gzip, zstd and plain JSON-lines files under a dated prefix, found with globs; each file
/// lends its name as the fallback service, as a local file does.
fn one_trace_from_files_in_object_storage(port: u16, dir: &Path) {
    let (_s3, s3_port) = start_s3();
    let bucket = ureq::put(&format!("http://127.0.0.1:{s3_port}/logs"))
        .send_empty()
        .expect("bucket created");
    assert_eq!(bucket.status().as_u16(), 200);
    let copies = dir.join("copies");
    let mut n = 0;
    for folder in FOLDERS {
        for entry in std::fs::read_dir(root().join("fixtures").join(folder)).expect("folder") {
            let path = entry.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read(&path).expect("fixture");
            let (suffix, bytes) = match n % 3 {
                0 => ("gz", gzip(&text)),
                1 => ("zst", zstd::encode_all(&text[..], 3).expect("zstd")),
                _ => ("", text.clone()),
            };
            n += 1;
            let file = if suffix.is_empty() {
                name.clone()
            } else {
                format!("{name}.{suffix}")
            };
            // Bucket `logs`, key `2026/11/20/…`.
            let key = format!("logs/2026/11/20/{folder}/{file}");
            put_object(s3_port, &key, &bytes);
            let local_dir = copies.join(folder);
            std::fs::create_dir_all(&local_dir).expect("dir");
            std::fs::write(local_dir.join(&file), &bytes).expect("copy");
        }
    }
    let url = format!(
        "clickhouse://127.0.0.1:{port}/?s3=http://127.0.0.1:{s3_port}/logs/2026/**/*.jsonl*"
    );
    for id in IDS {
        let mut cmd = tracegrep();
        cmd.args([id, "--format", "waterfall", "--source", &url])
            .env("TRACEGREP_S3_ACCESS_KEY_ID", "test")
            .env("TRACEGREP_S3_SECRET_ACCESS_KEY", "test-secret");
        let there = run(&mut cmd);
        let here = local(
            std::slice::from_ref(&copies),
            &[id, "--format", "waterfall"],
        );
        assert_eq!(there.code, here.code, "{id}\n{}", there.stderr);
        assert_eq!(there.stdout, without_nearby(&here.stdout), "{id}");
        if here.code == 0 {
            let mut cmd = tracegrep();
            cmd.args([id, "--format", "json", "--source", &url])
                .env("TRACEGREP_S3_ACCESS_KEY_ID", "test")
                .env("TRACEGREP_S3_SECRET_ACCESS_KEY", "test-secret");
            let there = run(&mut cmd);
            let here = local(std::slice::from_ref(&copies), &[id, "--format", "json"]);
            assert_eq!(
                without_sources(&there.stdout),
                without_sources(&here.stdout),
                "{id}"
            );
        }
    }
    // Every trace of a folder, grouped on the server by fields read with the local reader's
    // aliases: the same ids, services, lines and errors as a local run on the folder (whose
    // ids are all in trace-id fields: correlation ids are joined only locally).
    for folder in ["datadog", "zerolog", "powertools"] {
        let url = format!(
            "clickhouse://127.0.0.1:{port}/?s3=http://127.0.0.1:{s3_port}/logs/2026/11/20/{folder}/*"
        );
        let mut cmd = tracegrep();
        cmd.args(["--all", "--format", "csv", "--source", &url])
            .env("TRACEGREP_S3_ACCESS_KEY_ID", "test")
            .env("TRACEGREP_S3_SECRET_ACCESS_KEY", "test-secret");
        let there = run(&mut cmd);
        let here = local(&[copies.join(folder)], &["--all", "--format", "csv"]);
        assert_eq!(there.code, 0, "{folder}: {}", there.stderr);
        assert!(!csv_columns(&here.stdout).is_empty(), "{folder}");
        assert_eq!(
            csv_columns(&there.stdout),
            csv_columns(&here.stdout),
            "{folder}"
        );
    }
    // --since skips files last modified before it: all of them here were written just now.
    for (since, found) in [("1d", 0), ("2099-01-01T00:00:00Z", 1)] {
        let mut cmd = tracegrep();
        cmd.args([
            IDS[0],
            "--format",
            "waterfall",
            "--since",
            since,
            "--source",
            &url,
        ])
        .env("TRACEGREP_S3_ACCESS_KEY_ID", "test")
        .env("TRACEGREP_S3_SECRET_ACCESS_KEY", "test-secret");
        assert_eq!(run(&mut cmd).code, found, "--since {since}");
    }
    // The secret is sent, never shown.
    let mut cmd = tracegrep();
    cmd.args([IDS[0], "--print-sql", "--source", &url])
        .env("TRACEGREP_S3_ACCESS_KEY_ID", "test")
        .env("TRACEGREP_S3_SECRET_ACCESS_KEY", "test-secret");
    let shown = run(&mut cmd);
    assert_eq!(shown.code, 0);
    assert!(
        shown.stdout.contains("s3('http://127.0.0.1:"),
        "{}",
        shown.stdout
    );
    assert!(!shown.stdout.contains("test-secret"), "{}", shown.stdout);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

/// Among many other traces, the search reads a few granules: the bloom filter on `TraceId`
/// skips the rest, as `EXPLAIN indexes=1` of the very statement tracegrep sends shows.
fn the_trace_id_index_is_used(port: u16) {
    query(
        port,
        "",
        "INSERT INTO otel.otel_logs (Timestamp, TraceId, SpanId, ServiceName, Body) \
         SELECT toDateTime64('2026-11-20 09:00:00', 9) + toIntervalMillisecond(number), \
         lower(hex(MD5(toString(intDiv(number, 10))))), lower(hex(substring(MD5(toString(number)), 1, 8))), \
         'bulk', concat('line ', toString(number)) FROM numbers(300000)",
    );
    let url = format!("clickhouse://127.0.0.1:{port}/otel");
    let printed = remote(&url, &[IDS[0], "--print-sql"]);
    assert_eq!(printed.code, 0, "{}", printed.stderr);
    let statement = printed
        .stdout
        .lines()
        .rfind(|l| l.starts_with("SELECT Timestamp"))
        .expect("the search statement")
        .trim_end_matches(';')
        .replace(" FORMAT JSONEachRow", "");
    let plan = query(port, "", &format!("EXPLAIN indexes=1 {statement}"));
    assert!(plan.contains("idx_trace_id"), "{plan}");
    let granules = plan
        .lines()
        .skip_while(|l| !l.contains("idx_trace_id"))
        .find_map(|l| l.trim().strip_prefix("Granules: "))
        .expect("granules after the index");
    let (kept, all) = granules.split_once('/').expect("n/m");
    let (kept, all): (u64, u64) = (kept.trim().parse().unwrap(), all.trim().parse().unwrap());
    assert!(all >= 30 && kept * 10 < all, "granules {granules}\n{plan}");
    let found = remote(&url, &[IDS[0], "--format", "waterfall"]);
    assert_eq!(found.code, 0, "{}", found.stderr);
    let note = found
        .stderr
        .lines()
        .find(|l| l.contains("the server read"))
        .expect("the summary note");
    let read: u64 = note
        .split("the server read ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("rows read");
    assert!(read < 100_000, "{note}");
}

/// A server error, an unreachable server, a server that never answers, a bad URL: one line
/// each, exit 2 (after an error, a search also says it found nothing, as for a missing file).
fn failures_are_one_line_and_exit_2(port: u16) {
    // One line saying `says`, and exit 2.
    let fails_with = |run: &Run, says: &str| {
        assert_eq!(run.code, 2, "{}", run.stderr);
        let errors: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| !l.starts_with("tracegrep: no lines of trace"))
            .collect();
        assert_eq!(errors.len(), 1, "{}", run.stderr);
        assert!(errors[0].contains(says), "{says}: {}", run.stderr);
    };
    let unknown = remote(
        &format!("clickhouse://127.0.0.1:{port}/otel?table=nope"),
        &[IDS[0]],
    );
    fails_with(&unknown, "Code: ");
    assert!(unknown.stderr.contains("nope"), "{}", unknown.stderr);

    let closed = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let refused = remote(&format!("clickhouse://127.0.0.1:{closed}/otel"), &[IDS[0]]);
    fails_with(&refused, "cannot connect");

    // Accepts and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").expect("a port");
    let silent_port = silent.local_addr().expect("its address").port();
    let started = Instant::now();
    let waited = remote(
        &format!("clickhouse://127.0.0.1:{silent_port}/otel?timeout=1&trace_times="),
        &[IDS[0]],
    );
    fails_with(&waited, "no answer within");
    assert!(started.elapsed() < Duration::from_secs(30));
    drop(silent);

    let tree = remote(
        &format!("clickhouse://127.0.0.1:{port}/otel"),
        &["--all", "--format", "tree"],
    );
    fails_with(&tree, "no span trees");
    for (url, says) in [
        ("ftp://127.0.0.1/otel", "unknown scheme"),
        ("clickhouse://u:pw@127.0.0.1/otel", "password in the URL"),
        ("clickhouse://127.0.0.1/otel?table=a;b", "only letters"),
    ] {
        fails_with(&remote(url, &[IDS[0]]), says);
    }
}
