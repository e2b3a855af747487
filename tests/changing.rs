//! Files that change while they are read: truncated, replaced and appended to under a running
//! search (`logrotate copytruncate`, `> app.log`), and under `--follow`.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("tracegrep")
}

/// A log of about `bytes` bytes: lines of 2,000 traces, the wanted trace's first line at the
/// start and its last at the end.
fn big_log(bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes + 512);
    let mut i = 0u64;
    while out.len() < bytes {
        let trace = if i == 0 {
            TRACE.to_string()
        } else {
            format!("{:032x}", 0x1000 + i % 2000)
        };
        writeln!(
            out,
            r#"{{"time":"2026-11-20T11:00:{:02}.{:06}Z","level":"info","service":"svc{}","trace_id":"{trace}","span_id":"{:016x}","msg":"request step {i} with some padding to make the line longer than most"}}"#,
            (i / 1_000_000) % 60,
            i % 1_000_000,
            i % 7,
            i + 1
        )
        .unwrap();
        i += 1;
    }
    writeln!(
        out,
        r#"{{"time":"2026-11-20T11:00:59.000000Z","level":"error","service":"svc0","trace_id":"{TRACE}","span_id":"00000000000000ff","msg":"last line"}}"#
    )
    .unwrap();
    out
}

/// What the helper does to the file, in turn, while a search runs: truncate to half, append,
/// truncate to nothing, write it whole again, replace it by rename.
fn churn(path: &Path, content: &[u8], stop: &AtomicBool) {
    let tmp = path.with_extension("new");
    let mut step = 0u32;
    while !stop.load(Ordering::SeqCst) {
        match step % 5 {
            0 => {
                let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
                f.set_len(content.len() as u64 / 2).unwrap();
            }
            1 => {
                let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
                f.write_all(&content[..content.len().min(1 << 20)]).unwrap();
            }
            2 => {
                let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
                f.set_len(0).unwrap();
            }
            3 => std::fs::write(path, content).unwrap(),
            _ => {
                std::fs::write(&tmp, &content[..content.len() / 3]).unwrap();
                std::fs::rename(&tmp, path).unwrap();
            }
        }
        step += 1;
        std::thread::sleep(Duration::from_millis(3));
    }
}

/// Runs `tracegrep ARGS PATH` on a fresh copy of the log while `helper` changes it; returns
/// (exit code, stderr). Fails if the run died of a signal.
fn run_while(
    args: &[&str],
    path: &Path,
    content: &[u8],
    delay: Duration,
    helper: impl FnOnce(&Path, &[u8], &AtomicBool) + Send + 'static,
) -> (i32, String) {
    std::fs::write(path, content).unwrap();
    let child = Command::new(binary())
        .env_clear()
        .args(args)
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let stop = Arc::new(AtomicBool::new(false));
    let helper = {
        let (path, content, stop) = (path.to_path_buf(), content.to_vec(), Arc::clone(&stop));
        std::thread::spawn(move || helper(&path, &content, &stop))
    };
    let out = child.wait_with_output().unwrap();
    stop.store(true, Ordering::SeqCst);
    helper.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.signal(),
        None,
        "tracegrep {args:?} died of a signal; stderr: {stderr}"
    );
    (out.status.code().unwrap(), stderr)
}

const MODES: [&[&str]; 2] = [&[TRACE], &["--all", "-q", "--format", "csv"]];

/// Checks the exit status and message of a run that may have met a truncation: one line
/// naming the file and what was kept, and exit 2; or a normal end. Returns whether it met one.
fn assert_outcome(args: &[&str], name: &str, code: i32, stderr: &str) -> bool {
    let Some(line) = stderr.lines().find(|l| l.contains("truncated while read")) else {
        // The search ended before the file shrank under it, or the file had grown back.
        assert!(matches!(code, 0 | 1), "{args:?}: exit {code}: {stderr}");
        return false;
    };
    assert!(
        line.starts_with(&format!(
            "tracegrep: {name}: truncated while read; kept the lines before byte "
        )),
        "{line}"
    );
    assert_eq!(code, 2, "{args:?}: {stderr}");
    true
}

#[test]
fn a_file_truncated_replaced_and_appended_to_while_searched_is_never_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let content = big_log(50 << 20);
    let name = path.display().to_string();
    for round in 0..6 {
        let args = MODES[round % 2];
        let delay = Duration::from_millis(2 + 5 * (round as u64 / 2));
        let (code, stderr) = run_while(args, &path, &content, delay, churn);
        assert_outcome(args, &name, code, &stderr);
    }
}

#[test]
fn a_file_truncated_while_searched_is_named_with_what_was_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let content = big_log(50 << 20);
    let name = path.display().to_string();
    // `--all` takes well over the 20 ms before the cut to read 50 MB in a debug build.
    let args = MODES[1];
    let cut = |p: &Path, c: &[u8], _: &AtomicBool| {
        let f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
        f.set_len(c.len() as u64 / 3).unwrap();
    };
    let (code, stderr) = run_while(args, &path, &content, Duration::from_millis(20), cut);
    assert!(assert_outcome(args, &name, code, &stderr), "{stderr}");
}

/// Lines of the child's stdout, as they arrive.
fn lines_of(stdout: std::process::ChildStdout) -> Receiver<String> {
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
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
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

fn interrupt(pid: u32) {
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn follow_survives_a_file_churned_under_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let content = big_log(4 << 20);
    std::fs::write(&path, &content).unwrap();
    let mut child = Command::new(binary())
        .env_clear()
        .args(["--follow", "--idle", "60s", "--format", "timeline", TRACE])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines_of(child.stdout.take().unwrap());
    wait_for(&rx, "last line");
    let stop = Arc::new(AtomicBool::new(false));
    let helper = {
        let (path, content, stop) = (path.clone(), content.clone(), Arc::clone(&stop));
        std::thread::spawn(move || churn(&path, &content, &stop))
    };
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::SeqCst);
    helper.join().unwrap();
    interrupt(child.id());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.signal(), None, "{stderr}");
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let name = path.display().to_string();
    assert!(
        stderr.contains(&format!("{name}: truncated"))
            || stderr.contains(&format!("{name}: rotated")),
        "{stderr}"
    );
}

#[test]
fn follow_reads_a_file_truncated_and_refilled_between_two_polls_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let line = |msg: &str, level: &str| {
        format!(
            r#"{{"time":"2026-11-20T11:00:01Z","level":"{level}","service":"api","trace_id":"{TRACE}","span_id":"00f067aa0ba902b7","msg":"{msg}"}}"#
        )
    };
    std::fs::write(
        &path,
        format!(
            "{}\n{}\n",
            line("before one", "info"),
            line("before two", "info")
        ),
    )
    .unwrap();
    let mut child = Command::new(binary())
        .env_clear()
        .args(["--follow", "--idle", "60s", "--format", "timeline", TRACE])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines_of(child.stdout.take().unwrap());
    wait_for(&rx, "before two");
    // Truncated and refilled with more than it held, faster than a poll: nothing in between
    // shows a shorter file.
    let mut refill = format!(
        "{}\n",
        line("after the truncation: payment failed", "error")
    );
    for i in 0..3 {
        refill.push_str(&line(&format!("after {i}"), "info"));
        refill.push('\n');
    }
    std::fs::write(&path, refill).unwrap();
    let seen = wait_for(&rx, "after 2");
    interrupt(child.id());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        seen.iter()
            .any(|l| l.contains("after the truncation: payment failed")),
        "the first line after the truncation was lost: {seen:#?}"
    );
    assert!(
        stderr.contains(&format!(
            "{}: truncated, following it from the start",
            path.display()
        )),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(130), "{stderr}");
}
