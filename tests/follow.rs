//! --follow with a real growing file written while tracegrep runs, and with a live stdin.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use crate::util::fixture;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn payments_lines() -> Vec<String> {
    std::fs::read_to_string(fixture("mixed/payments.jsonl"))
        .expect("fixture")
        .lines()
        .map(str::to_string)
        .collect()
}

fn spawn(args: &[&str], stdin: Stdio) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("tracegrep"))
        .env_clear()
        .args(["--width", "100"])
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// Lines of the child's stdout, as they arrive.
fn lines_of(stdout: ChildStdout) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Reads lines until one contains `needle`; fails after 10 s.
fn wait_for(rx: &Receiver<String>, needle: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(line) => {
                let hit = line.contains(needle);
                seen.push(line);
                if hit {
                    return seen;
                }
            }
            Err(_) => panic!("no line with {needle:?} arrived; saw {seen:#?}"),
        }
    }
}

fn append(path: &std::path::Path, lines: &[String]) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .expect("open");
    for l in lines {
        writeln!(f, "{l}").expect("write");
    }
}

#[test]
fn follows_a_growing_file_across_rotation_and_prints_the_waterfall_on_ctrl_c() {
    let lines = payments_lines();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("payments.jsonl");
    append(&path, &lines[..2]);
    let mut child = spawn(
        &[
            "--follow",
            "--idle",
            "300ms",
            TRACE,
            path.to_str().expect("utf-8"),
        ],
        Stdio::null(),
    );
    let rx = lines_of(child.stdout.take().expect("stdout"));
    wait_for(&rx, "charge request received");
    // A line appended while it runs shows up in timeline form.
    append(&path, &lines[2..4]);
    wait_for(&rx, "card declined by issuer");
    // Quiet for --idle: the waterfall of what has arrived.
    let seen = wait_for(&rx, "critical path");
    assert!(seen
        .iter()
        .any(|l| l.starts_with("Trace 4bf92f3577b34da6a3ce929d0e0e4736")));
    // Rotation by rename: the new file is followed from its start.
    std::fs::rename(&path, dir.path().join("payments.jsonl.1")).expect("rename");
    append(&path, &lines[4..6]);
    wait_for(&rx, "issuer authorized");
    // Ctrl-C: the waterfall of everything gathered, then exit 130.
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let seen = wait_for(&rx, "critical path");
    let written = lines[..6].iter().filter(|l| l.contains(TRACE)).count();
    assert!(
        seen.iter().any(|l| l.contains(&format!("{written} lines"))),
        "{seen:#?}"
    );
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(130));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rotated, following it from the start"),
        "{stderr}"
    );
}

#[test]
fn follows_stdin_until_it_ends() {
    let lines = payments_lines();
    let mut child = spawn(&["--follow", "--idle", "60s", TRACE], Stdio::piped());
    let mut stdin = child.stdin.take().expect("stdin");
    let rx = lines_of(child.stdout.take().expect("stdout"));
    writeln!(stdin, "{}", lines[0]).expect("write");
    stdin.flush().expect("flush");
    // The line is shown while stdin is still open.
    wait_for(&rx, "charge request received");
    for l in &lines[1..] {
        writeln!(stdin, "{l}").expect("write");
    }
    drop(stdin);
    // At the end of stdin: the waterfall, and exit 0.
    let seen = wait_for(&rx, "critical path");
    let written = lines.iter().filter(|l| l.contains(TRACE)).count();
    assert!(
        seen.iter().any(|l| l.contains(&format!("{written} lines"))),
        "{seen:#?}"
    );
    assert_eq!(child.wait().expect("wait").code(), Some(0));
}

#[test]
fn compressed_files_cannot_be_followed() {
    let child = spawn(
        &[
            "--follow",
            TRACE,
            fixture("gzip/checkout.jsonl.gz").to_str().expect("utf-8"),
        ],
        Stdio::null(),
    );
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("gzip files cannot be followed"), "{stderr}");
}
