//! Ground truth: generate realistic logs with ../shared/bench/gen_logs.py and check tracegrep's
//! JSON for every needle with ../shared/bench/check_truth.py.

use std::path::PathBuf;
use std::process::Command;

use crate::util::root;

/// The team's generator beside the repository (`../shared/bench`, or `TRACEGREP_SHARED`).
/// A fresh clone has none: the tests that need it say so and pass; under CI (`CI` set) it
/// must be there.
pub fn bench_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("TRACEGREP_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("..").join("shared"))
        .join("bench");
    if dir.join("gen_logs.py").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} not found: CI needs ../shared beside the repository (or TRACEGREP_SHARED)",
        dir.display()
    );
    eprintln!(
        "skipped: {} not found (clone ../shared beside the repository or set TRACEGREP_SHARED)",
        dir.display()
    );
    None
}

pub fn python(args: &[&str]) -> std::process::Output {
    Command::new("python3")
        .args(args)
        .output()
        .expect("python3 runs")
}

/// 20 MB of generated logs (seed 7) with their `truth.json`, made once per run of the tests
/// and kept in the system's temp directory for the next (the generator is deterministic).
pub fn generated_logs() -> Option<&'static std::path::Path> {
    static DIR: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join("tracegrep-tests-gen-20M-seed7");
        if dir.join("truth.json").is_file() {
            return Some(dir);
        }
        // Made beside, then renamed: another run of the tests may be making it too.
        let part = tempfile::tempdir_in(std::env::temp_dir()).expect("tempdir");
        let gen = bench_dir()?.join("gen_logs.py");
        let out = part.path().to_str().expect("utf-8 temp path");
        let made = python(&[
            gen.to_str().expect("utf-8 path"),
            "--out",
            out,
            "--size",
            "20M",
            "--seed",
            "7",
            "--quiet",
        ]);
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        let part = part.keep();
        if std::fs::rename(&part, &dir).is_err() {
            // Someone else's copy got there first: the same bytes.
            let _ = std::fs::remove_dir_all(&part);
        }
        Some(dir)
    })
    .as_deref()
}

#[test]
fn needles_match_the_ground_truth() {
    let Some(bench) = bench_dir() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().to_str().expect("utf-8 temp path");
    let gen = bench.join("gen_logs.py");
    let gen = gen.to_str().expect("utf-8 path");
    let made = python(&[
        gen, "--out", out_dir, "--size", "20M", "--seed", "7", "--quiet",
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let check = bench.join("check_truth.py");
    for needle in ["rare", "frequent", "typical", "error", "absent"] {
        let id = python(&[gen, "--out", out_dir, "--needle", needle]);
        let id = String::from_utf8(id.stdout)
            .expect("utf-8")
            .trim()
            .to_string();
        let tool = assert_cmd::Command::cargo_bin("tracegrep")
            .expect("binary")
            .args(["--format", "json", "-q", &id])
            .arg(dir.path().join("logs"))
            .output()
            .expect("ran");
        let want_code = if needle == "absent" { 1 } else { 0 };
        assert_eq!(
            tool.status.code(),
            Some(want_code),
            "{needle}: {}",
            String::from_utf8_lossy(&tool.stderr)
        );
        let json_path = dir.path().join(format!("{needle}.json"));
        std::fs::write(&json_path, &tool.stdout).expect("write");
        let verdict = python(&[
            check.to_str().expect("utf-8"),
            out_dir,
            json_path.to_str().expect("utf-8"),
            "--trace",
            &id,
        ]);
        assert!(
            verdict.status.success(),
            "{needle} {id}: {}",
            String::from_utf8_lossy(&verdict.stdout)
        );
    }
    // Every trace at once: --all writes one trace document per line.
    let tool = assert_cmd::Command::cargo_bin("tracegrep")
        .expect("binary")
        .args(["--all", "--format", "jsonl", "-q"])
        .arg(dir.path().join("logs"))
        .output()
        .expect("ran");
    assert_eq!(
        tool.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&tool.stderr)
    );
    let json_path = dir.path().join("all.jsonl");
    std::fs::write(&json_path, &tool.stdout).expect("write");
    let verdict = python(&[
        check.to_str().expect("utf-8"),
        out_dir,
        json_path.to_str().expect("utf-8"),
    ]);
    let report = String::from_utf8_lossy(&verdict.stdout);
    assert!(
        verdict.status.success(),
        "--all: {}",
        report
            .lines()
            .filter(|l| !l.starts_with("PASS") && !l.starts_with("     note"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(report.contains("traces match"), "{report}");
    // The tree, scored strictly: inferred parents must be true ancestors (and mostly the
    // exact parent), one root per single-root request, and the right root.
    let score = python(&[
        root()
            .join("scripts/score-tree.py")
            .to_str()
            .expect("utf-8"),
        dir.path().join("truth.json").to_str().expect("utf-8"),
        json_path.to_str().expect("utf-8"),
        "--min",
        "ancestor_ratio=0.98",
        "--min",
        "exact_ratio=0.90",
        "--min",
        "single_root_ratio=0.95",
        "--min",
        "root_ratio=0.99",
        "--min",
        "named_ratio=1.0",
    ]);
    let scored = String::from_utf8_lossy(&score.stdout);
    println!("tree score: {scored}");
    assert!(score.status.success(), "tree score: {scored}");
}

/// A `kubectl logs --prefix --timestamps` stream on stdin: traces are finished as the stream
/// goes (idle ones every few MiB), and every one still matches the ground truth.
#[test]
fn a_stream_on_stdin_matches_the_ground_truth() {
    let Some(bench) = bench_dir() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().to_str().expect("utf-8 temp path");
    let gen = bench.join("gen_logs.py");
    let made = python(&[
        gen.to_str().expect("utf-8 path"),
        "--kubectl",
        "--out",
        out_dir,
        "--size",
        "30M",
        "--seed",
        "7",
        "--quiet",
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let stream = std::fs::read(dir.path().join("logs/kubectl.log")).expect("stream");
    assert!(stream.len() > 24 << 20, "the stream spans several sweeps");
    let tool = assert_cmd::Command::cargo_bin("tracegrep")
        .expect("binary")
        .args(["--all", "--format", "jsonl", "-q"])
        .write_stdin(stream)
        .output()
        .expect("ran");
    assert_eq!(tool.status.code(), Some(0));
    let json_path = dir.path().join("stdin.jsonl");
    std::fs::write(&json_path, &tool.stdout).expect("write");
    let verdict = python(&[
        bench.join("check_truth.py").to_str().expect("utf-8"),
        out_dir,
        json_path.to_str().expect("utf-8"),
    ]);
    let report = String::from_utf8_lossy(&verdict.stdout);
    assert!(verdict.status.success(), "{report}");
    assert!(report.contains("traces match"), "{report}");
}
