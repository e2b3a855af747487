//! The progress bar on a real terminal: the binary runs inside a pseudo-terminal (util-linux
//! `script`, part of every Debian system) on an input above the bar's threshold. A run must
//! end, show the bar, and clear it before anything else reaches the screen. A stderr lock
//! held for the whole run once left the bar's worker threads waiting on it forever.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The trace the one-trace test looks for (the 1000th generated).
const WANTED: &str = "4bf92f3577b34da6a3ce929d000003e8";

/// A run is killed and the test fails past this.
const DEADLINE: Duration = Duration::from_secs(60);

/// What the bar draws and nothing else prints: its byte rate.
const BAR: &str = "B/s";

/// indicatif's line clear: back to the start of the line, erase it.
const CLEAR: &str = "\r\x1b[2K";

/// Writes just over 64 MiB of JSON lines (the bar's threshold) to `dir/big.jsonl`: traces of
/// four spans each (a root and three children), each trace a different id.
fn big_input(dir: &Path) -> PathBuf {
    let path = dir.join("big.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let mut written = 0u64;
    let mut trace = 0u64;
    while written < (64 << 20) + (2 << 20) {
        let id = format!("4bf92f3577b34da6a3ce929d{trace:08x}");
        let root = format!("{:016x}", trace * 4 + 1);
        for span in 0..4u64 {
            let (service, parent) = match span {
                0 => ("edge-gateway", String::new()),
                _ => (
                    ["checkout", "payments", "users"][span as usize - 1],
                    root.clone(),
                ),
            };
            let parent = if parent.is_empty() {
                String::new()
            } else {
                format!(r#","parent_span_id":"{parent}""#)
            };
            let line = format!(
                r#"{{"time":"2026-11-20T10:00:01.{ms:03}Z","level":"info","service":"{service}","trace_id":"{id}","span_id":"{span_id:016x}"{parent},"duration_ms":{dur},"msg":"handled request number {trace} in {service}"}}"#,
                ms = span * 10,
                span_id = trace * 4 + 1 + span,
                dur = 40 - span * 10,
            );
            writeln!(out, "{line}").expect("write");
            written += line.len() as u64 + 1;
        }
        trace += 1;
    }
    out.flush().expect("flush");
    path
}

/// Quotes a word for `sh`.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Runs tracegrep with `args` in a 100×40 pseudo-terminal (stdout and stderr both on it);
/// returns everything the terminal received and the exit code. Fails the test past
/// [`DEADLINE`].
fn run_in_terminal(args: &[&str]) -> (String, i32) {
    let bin = assert_cmd::cargo::cargo_bin("tracegrep");
    let mut line = String::from("stty cols 100 rows 40; exec ");
    line.push_str(&quote(&bin.display().to_string()));
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        // Kept open until the end: script passes no end of input on to the program.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script (util-linux) runs");
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let _ = stdout.read_to_end(&mut seen);
        seen
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > DEADLINE {
            // The terminal closes with script, which hangs up the program too.
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(child.stdin.take());
    let seen = String::from_utf8_lossy(&reader.join().expect("reader")).into_owned();
    let Some(status) = status else {
        panic!(
            "tracegrep {args:?} did not finish within {DEADLINE:?} on a terminal; it showed:\n{}",
            seen.escape_debug()
        );
    };
    (seen, status.code().unwrap_or(-1))
}

/// Asserts the bar was drawn and its last frame cleared on its own line (a frame left there
/// would run into the first line of output); returns what followed the clear.
fn after_bar(seen: &str) -> &str {
    let last = seen
        .rfind(BAR)
        .unwrap_or_else(|| panic!("no progress bar on the terminal:\n{}", seen.escape_debug()));
    let rest = &seen[last..];
    let clear = rest.find(CLEAR);
    let newline = rest.find('\n');
    match (clear, newline) {
        (Some(c), Some(n)) if c < n => {}
        (Some(_), None) => {}
        _ => panic!(
            "the bar was not cleared before the next line:\n{}",
            rest.escape_debug()
        ),
    }
    // `last` is the bar's last frame: nothing after the clear is bar text.
    &rest[clear.unwrap_or(0) + CLEAR.len()..]
}

#[test]
fn all_on_a_terminal_shows_and_clears_the_bar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = big_input(dir.path());
    let (seen, code) = run_in_terminal(&["--all", "--limit", "2", input.to_str().unwrap()]);
    assert_eq!(code, 0, "{}", seen.escape_debug());
    let after = after_bar(&seen);
    assert!(after.starts_with(" TRACE ID "), "{}", after.escape_debug());
    assert!(
        after.contains("tracegrep: showing 2 of "),
        "{}",
        after.escape_debug()
    );
}

#[test]
fn stats_on_a_terminal_shows_and_clears_the_bar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = big_input(dir.path());
    // One thread and no summary, as in the report of the hang: neither changed it.
    let (seen, code) = run_in_terminal(&["--stats", "-q", "-j", "1", input.to_str().unwrap()]);
    assert_eq!(code, 0, "{}", seen.escape_debug());
    let after = after_bar(&seen);
    assert!(after.contains("payments"), "{}", after.escape_debug());
}

#[test]
fn a_report_on_a_terminal_shows_and_clears_the_bar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = big_input(dir.path());
    let report = dir.path().join("r.md");
    let (seen, code) = run_in_terminal(&[
        "--all",
        "--report",
        "md",
        "-o",
        report.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{}", seen.escape_debug());
    after_bar(&seen);
    let md = std::fs::read_to_string(&report).expect("report written");
    assert!(md.starts_with('#'), "{md}");
}

#[test]
fn one_trace_on_a_terminal_shows_and_clears_the_bar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = big_input(dir.path());
    let (seen, code) = run_in_terminal(&[WANTED, input.to_str().unwrap()]);
    assert_eq!(code, 0, "{}", seen.escape_debug());
    let after = after_bar(&seen);
    assert!(after.contains(WANTED), "{}", after.escape_debug());
    assert!(
        after.contains("handled request number 1000 in payments"),
        "{}",
        after.escape_debug()
    );
}
