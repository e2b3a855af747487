//! Ground truth: logs made by the repository's own generator (`examples/common/gen.rs`,
//! deterministic by seed), and tracegrep's JSON checked against the truth it writes: every
//! needle in every spelling, every trace of `--all`, the strict tree score, and a `kubectl`
//! stream on stdin. Nothing beside the repository is needed.
//!
//! With the team's older Python generator beside the repository (`../shared/bench`, or
//! `TRACEGREP_SHARED`), one more test scores tracegrep's trees on its data too.

use std::path::{Path, PathBuf};

use crate::common::check::{check_all, check_trace, load_tool, score};
use crate::common::gen::{generate, Options};
use crate::common::truth::Truth;
use crate::util::{root, tracegrep};

/// Logs of `size` bytes from `seed` in a fresh temporary folder (`DIR/logs`, `DIR/truth.json`).
pub fn generate_into(size: u64, seed: u64, kubectl: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = Options::new(dir.path(), size, seed);
    opts.kubectl = kubectl;
    generate(&opts).expect("generated");
    dir
}

/// 20 MiB of generated logs (seed 7) with their `truth.json`, made once per run of the tests
/// and kept in the system's temp directory for the next (the generator is deterministic; the
/// folder name carries the generator's version, to bump when its output changes).
pub fn generated_logs() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join("tracegrep-tests-selfgen-v3-20M-seed7");
        if dir.join("truth.json").is_file() {
            return dir;
        }
        // Made beside, then renamed: another run of the tests may be making it too.
        let part = generate_into(20 << 20, 7, false).keep();
        if std::fs::rename(&part, &dir).is_err() {
            // Someone else's copy got there first: the same bytes.
            let _ = std::fs::remove_dir_all(&part);
        }
        dir
    })
}

fn truth_of(dir: &Path) -> Truth {
    Truth::load(&dir.join("truth.json")).expect("truth")
}

/// tracegrep's `--all --format jsonl` over `logs`, parsed.
fn all_docs(logs: &Path) -> std::collections::HashMap<String, serde_json::Value> {
    let out = tracegrep()
        .args(["--all", "--format", "jsonl", "-q"])
        .arg(logs)
        .output()
        .expect("ran");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    load_tool(&String::from_utf8(out.stdout).expect("utf-8")).expect("JSON lines")
}

/// Every needle, looked up by every spelling of its id the logs use (hex, traceparent, GCP
/// path, Datadog decimal, uppercase GUID, X-Ray), gives the same, right trace; the absent one
/// gives nothing and exit 1.
#[test]
fn needles_match_the_ground_truth() {
    let dir = generated_logs();
    let truth = truth_of(dir);
    let mut checked = 0;
    for (name, needle) in &truth.needles {
        let spellings: Vec<String> = match truth.trace(&needle.trace_id) {
            Some(t) => t.spellings.iter().map(|s| s.value.clone()).collect(),
            None => vec![needle.trace_id.clone()],
        };
        for id in spellings {
            let out = tracegrep()
                .args(["--format", "json", "-q", &id])
                .arg(dir.join("logs"))
                .output()
                .expect("ran");
            if name == "absent" {
                assert_eq!(out.status.code(), Some(1), "absent {id}");
                assert!(out.stdout.is_empty(), "absent {id}");
                continue;
            }
            assert_eq!(
                out.status.code(),
                Some(0),
                "{name} {id}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
            assert_eq!(doc["trace_id"], needle.trace_id.as_str(), "{name} {id}");
            let t = truth.trace(&needle.trace_id).expect("needle in truth");
            let bad = check_trace(t, &doc);
            assert!(bad.is_empty(), "{name} by {id}:\n{}", bad.join("\n"));
            checked += 1;
        }
    }
    // Five needles, the typical one in several spellings.
    assert!(checked >= 6, "{checked} lookups");
}

/// `--all` finds every trace with the right spans, parents the logs name, services, times,
/// errors and line counts; its trees pass the strict score.
#[test]
fn every_trace_matches_the_ground_truth() {
    let dir = generated_logs();
    let truth = truth_of(dir);
    let docs = all_docs(&dir.join("logs"));
    let bad = check_all(&truth, &docs);
    assert!(
        bad.is_empty(),
        "{} mismatches in {} traces:\n{}",
        bad.len(),
        truth.traces.len(),
        bad[..bad.len().min(40)].join("\n")
    );
    let (s, wrong) = score(&truth, &docs);
    println!("tree score: {}", s.summary());
    // Named links, roots and single roots are held to the strict thresholds. Inferred links
    // score lower here than on ../shared's generator (98 % ancestor / 90 % exact there, checked
    // by the test below when it is present): measured 89.8 % / 66.5 % at this commit, kept as
    // floors so a regression fails. What is behind the gap, by design or not yet handled:
    // - a service with no parent field called through a logged client span of another service
    //   hangs under the entry span (a true ancestor, not the exact parent): tracegrep does not
    //   guess across services' skewed clocks;
    // - calls fanned out in parallel start in the same millisecond, and the shorter sibling is
    //   placed under the longer one (not an ancestor);
    // - the batch job's ECS spans name a `transaction.id` that logs no line of its own: no
    //   placeholder stands for it, so they hang under the first of them (not an ancestor).
    let floors = [
        ("named_ratio", 1.0),
        ("root_ratio", 0.99),
        ("single_root_ratio", 0.95),
        ("ancestor_ratio", 0.89),
        ("exact_ratio", 0.66),
    ];
    for (name, min) in floors {
        let r = s.ratio(name).expect("a ratio");
        assert!(
            r >= min,
            "{name} {r:.4} < {min}: {}\n{}",
            s.summary(),
            wrong[..wrong.len().min(30)].join("\n")
        );
    }
}

/// A `kubectl logs --prefix --timestamps -f` stream on stdin: traces are finished as the
/// stream goes (idle ones every few MiB), and every one still matches the ground truth.
#[test]
fn a_stream_on_stdin_matches_the_ground_truth() {
    let dir = generate_into(30 << 20, 7, true);
    let stream = std::fs::read(dir.path().join("logs/kubectl.log")).expect("stream");
    assert!(stream.len() > 24 << 20, "the stream spans several sweeps");
    let out = tracegrep()
        .args(["--all", "--format", "jsonl", "-q"])
        .write_stdin(stream)
        .output()
        .expect("ran");
    assert_eq!(out.status.code(), Some(0));
    let docs = load_tool(&String::from_utf8(out.stdout).expect("utf-8")).expect("JSON lines");
    let truth = truth_of(dir.path());
    let bad = check_all(&truth, &docs);
    assert!(
        bad.is_empty(),
        "{} mismatches in {} traces:\n{}",
        bad.len(),
        truth.traces.len(),
        bad[..bad.len().min(40)].join("\n")
    );
}

/// The team's Python generator beside the repository, if there is one (`../shared/bench`, or
/// `TRACEGREP_SHARED`). Optional: a fresh clone has none.
fn shared_bench() -> Option<PathBuf> {
    let dir = std::env::var_os("TRACEGREP_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("..").join("shared"))
        .join("bench");
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    (dir.join("gen_logs.py").is_file() && python).then_some(dir)
}

/// An extra check where `../shared/bench` exists: its generator's data, scored with the
/// strict thresholds tracegrep's tree inference was tuned to there.
#[test]
fn shared_generator_trees_score_strictly_when_present() {
    let Some(bench) = shared_bench() else {
        eprintln!("not run: no ../shared/bench beside the repository (optional)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let made = std::process::Command::new("python3")
        .arg(bench.join("gen_logs.py"))
        .arg("--out")
        .arg(dir.path())
        .args(["--size", "20M", "--seed", "7", "--quiet"])
        .output()
        .expect("python3 runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let truth = truth_of(dir.path());
    let docs = all_docs(&dir.path().join("logs"));
    let (s, wrong) = score(&truth, &docs);
    println!("tree score (../shared): {}", s.summary());
    for (name, min) in [
        ("ancestor_ratio", 0.98),
        ("exact_ratio", 0.90),
        ("single_root_ratio", 0.95),
        ("root_ratio", 0.99),
        ("named_ratio", 1.0),
    ] {
        let r = s.ratio(name).expect("a ratio");
        assert!(
            r >= min,
            "{name} {r:.4} < {min}: {}\n{}",
            s.summary(),
            wrong[..wrong.len().min(30)].join("\n")
        );
    }
}

/// The checks above can fail: a right answer passes, and each kind of wrong answer is caught.
#[test]
fn the_ground_truth_checks_catch_wrong_answers() {
    let dir = generated_logs();
    let truth = truth_of(dir);
    let id = &truth.needles["typical"].trace_id;
    let out = tracegrep()
        .args(["--format", "json", "-q", id])
        .arg(dir.join("logs"))
        .output()
        .expect("ran");
    let good: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let t = truth.trace(id).expect("in truth");
    assert_eq!(check_trace(t, &good), Vec::<String>::new());
    let named = |d: &serde_json::Value| {
        d["spans"]
            .as_array()
            .expect("spans")
            .iter()
            .position(|s| s["parent_span_id"].is_string())
            .expect("a named link")
    };
    let wrong = |f: &dyn Fn(&mut serde_json::Value), what: &str| {
        let mut d = good.clone();
        f(&mut d);
        let bad = check_trace(t, &d);
        assert!(bad.iter().any(|b| b.contains(what)), "{what}: {bad:?}");
    };
    wrong(&|d| d["lines"] = (t.lines + 1).into(), "lines");
    wrong(&|d| d["spans"][0]["duration_ms"] = 1e6.into(), "duration");
    wrong(
        &|d| d["spans"][0]["error"] = (!t.spans[0].error).into(),
        "error",
    );
    wrong(
        &|d| d["spans"][0]["start"] = "2020-01-01T00:00:00Z".into(),
        "start",
    );
    wrong(&|d| d["spans"][0]["service"] = "nobody".into(), "service");
    wrong(
        &|d| {
            let i = named(d);
            d["spans"][i]["parent_span_id"] = "00000000000000ab".into()
        },
        "tool names",
    );
    wrong(
        &|d| {
            d["spans"].as_array_mut().expect("spans").remove(0);
        },
        "missing span",
    );
    // The score: every inferred link moved to a span that is no ancestor.
    let mut docs = std::collections::HashMap::new();
    docs.insert(id.clone(), good.clone());
    let (right, _) = score(&truth, &docs);
    for s in docs.get_mut(id).expect("doc")["spans"]
        .as_array_mut()
        .expect("spans")
    {
        if s["inferred_parent_span_id"].is_string() {
            s["inferred_parent_span_id"] = "00000000000000ab".into();
        }
    }
    let (moved, _) = score(&truth, &docs);
    assert!(right.inferred > 0 && moved.exact_ratio == 0.0 && moved.ancestor_ratio == 0.0);
}
