//! Hostile input at scale: what a crashed system or a broken test run leaves behind, each
//! case on the real binary with its time and peak memory bounded. Every test generates its
//! data in a temporary directory.
//!
//! Tests run the debug binary, so the biggest inputs are scaled down to what still proves the
//! point (a line longer than a chunk and than the stream buffer's first sizes; more traces
//! than fit any cache); `TRACEGREP_TEST_FULL=1` runs the sizes of the hardening brief (a
//! 200 MB line, a million traces, a trace of a million lines), meant for a release binary
//! (`cargo test --release hostile`).

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// The memory a run may take beyond its input (README, "Damaged and hostile input").
const MEMORY_BOUND_KIB: u64 = 256 << 10;

fn full() -> bool {
    std::env::var_os("TRACEGREP_TEST_FULL").is_some()
}

/// What a run did.
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    /// Peak resident memory in KiB (from /usr/bin/time), when it could be measured.
    peak_kib: Option<u64>,
    took: Duration,
}

/// Runs the binary with `args` (in `dir`, with /usr/bin/time when present); fails on death by
/// a signal.
fn run(dir: &Path, args: &[&str]) -> Outcome {
    let bin = assert_cmd::cargo::cargo_bin("tracegrep");
    let time = Path::new("/usr/bin/time");
    let peak_file = dir.join(".peak");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-f").arg("%M").arg("-o").arg(&peak_file).arg(&bin);
        c
    } else {
        Command::new(&bin)
    };
    let start = Instant::now();
    let out = cmd
        .env_clear()
        .current_dir(dir)
        .args(["--width", "100"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("ran");
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.signal(),
        None,
        "{args:?} died of a signal: {stderr}"
    );
    // /usr/bin/time reports a child killed by a signal on its stderr and exits 128+N.
    assert!(
        !stderr.contains("Command terminated by signal"),
        "{args:?}: {stderr}"
    );
    let peak_kib = std::fs::read_to_string(&peak_file)
        .ok()
        .and_then(|s| s.lines().last()?.trim().parse().ok());
    Outcome {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        peak_kib,
        took,
    }
}

impl Outcome {
    /// Peak memory within the input's size plus the documented bound.
    fn assert_memory_within(&self, input_bytes: u64) {
        self.assert_memory_with_traces(input_bytes, 0);
    }

    /// Peak memory within the input's size plus the documented bound, plus 1 KiB for each of
    /// `traces` traces (what `--all` and `--stats` keep of each, README).
    fn assert_memory_with_traces(&self, input_bytes: u64, traces: u64) {
        if let Some(peak) = self.peak_kib {
            let bound = input_bytes / 1024 + MEMORY_BOUND_KIB + traces;
            assert!(
                peak <= bound,
                "peak {peak} KiB over {bound} KiB (input {input_bytes} bytes + 256 MiB + 1 KiB for each of {traces} traces)"
            );
        }
    }

    /// The stderr lines that name `path`.
    fn messages_about(&self, path: &str) -> Vec<&str> {
        self.stderr.lines().filter(|l| l.contains(path)).collect()
    }
}

fn line(trace: &str, span: &str, parent: Option<&str>, time: &str, msg: &str) -> String {
    let parent = parent.map_or(String::new(), |p| format!(r#""parent_span_id":"{p}","#));
    format!(
        r#"{{"time":{time},"level":"info","service":"api","trace_id":"{trace}","span_id":"{span}",{parent}"msg":"{msg}"}}"#
    )
}

fn write_lines(path: &Path, lines: impl IntoIterator<Item = String>) -> u64 {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    f.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

mod files;
mod scale;
