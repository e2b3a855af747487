//! `--format tree`: the compact text tree of one trace and of the worst traces of `--all`,
//! snapshotted on fixtures, checked for hostile text, and measured on generated logs (the
//! largest trace of 20 MiB from 12 services must stay under 4 KB).

use std::path::{Path, PathBuf};

use crate::common::gen::{generate, Options};
use crate::util::{run, tracegrep, tracegrep_width};

const CHECKOUT: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// The trees the issue promises: paste-sized.
const MAX_TREE_BYTES: usize = 4096;

#[test]
fn tree_of_fixture_traces() {
    // Every fixture folder's checkout trace is snapshotted by tests/conventions.rs; these
    // are a failed request with hostile text and a trace whose parent never logged.
    for (folder, id) in [
        ("ci", "22222222222222222222222222222222"),
        ("ci", "44444444444444444444444444444444"),
    ] {
        let out = run(tracegrep().args(["--format", "tree", id, &format!("fixtures/{folder}")]));
        assert_eq!(out.code, 0, "{folder}: {}", out.snapshot());
        insta::assert_snapshot!(format!("tree__{folder}_{}", &id[..8]), out.stdout);
    }
}

#[test]
fn tree_does_not_depend_on_the_width_or_the_colour_choice() {
    let narrow = run(tracegrep_width("40").args(["--format", "tree", CHECKOUT, "fixtures/mixed"]));
    let wide = run(tracegrep_width("300")
        .args(["--color", "always", "--format", "tree", CHECKOUT])
        .arg("fixtures/mixed"));
    assert_eq!(narrow.code, 0);
    assert_eq!(narrow.stdout, wide.stdout);
    assert!(!wide.stdout.contains('\u{1b}'));
}

#[test]
fn tree_escapes_hostile_log_text() {
    // The failing trace of fixtures/ci logs markup, an escape sequence and bidi overrides.
    let out = run(tracegrep().args([
        "--format",
        "tree",
        "22222222222222222222222222222222",
        "fixtures/ci",
    ]));
    assert_eq!(out.code, 0);
    for c in out.stdout.chars() {
        assert!(
            c == '\n' || !(c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
            "raw {c:?} in {}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("! ERROR"), "{}", out.stdout);
}

#[test]
fn all_trees_show_the_worst_traces_first() {
    let out = run(tracegrep().args(["--all", "-q", "--format", "tree", "fixtures/ci"]));
    assert_eq!(out.code, 0, "{}", out.snapshot());
    insta::assert_snapshot!("tree__all_ci", out.stdout);
    let firsts: Vec<&str> = out
        .stdout
        .split("\n\n")
        .map(|t| t.split_whitespace().nth(1).unwrap_or_default())
        .collect();
    // The failed request first, then by duration.
    assert_eq!(firsts.first(), Some(&"22222222222222222222222222222222"));
    assert_eq!(firsts.len(), 4, "{}", out.stdout);
    let limited = run(tracegrep()
        .args(["--all", "--format", "tree", "--limit", "1"])
        .arg("fixtures/ci"));
    assert_eq!(limited.stdout.split("\n\n").count(), 1);
    assert!(
        limited.stderr.contains("showing 1 of 4 traces"),
        "{}",
        limited.stderr
    );
    // --sort is honoured.
    let by_start = run(tracegrep()
        .args([
            "--all", "-q", "--format", "tree", "--sort", "start", "--limit", "1",
        ])
        .arg("fixtures/ci"));
    assert!(by_start
        .stdout
        .starts_with("trace 11111111111111111111111111111111"));
}

/// A trace's tree is the same whether it was found by its id or listed by `--all`.
#[test]
fn all_trees_equal_the_one_trace_trees() {
    for (folder, id) in [
        ("mixed", CHECKOUT),
        ("ci", "22222222222222222222222222222222"),
    ] {
        let path = format!("fixtures/{folder}");
        let one = run(tracegrep().args(["--format", "tree", id, &path]));
        let all = run(tracegrep().args(["--all", "-q", "--format", "tree", "--limit", "0", &path]));
        let tree = all
            .stdout
            .split("\n\n")
            .find(|t| t.starts_with(&format!("trace {id}")))
            .expect("listed");
        assert_eq!(one.stdout.trim_end(), tree.trim_end(), "{folder}");
    }
}

/// 20 MiB from 12 services (seed 7), made once and kept in the temp directory.
fn twelve_services() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join("tracegrep-tests-selfgen-v3-20M-seed7-12svc");
        if dir.join("truth.json").is_file() {
            return dir;
        }
        let part = tempfile::tempdir().expect("tempdir").keep();
        let mut opts = Options::new(&part, 20 << 20, 7);
        opts.services = 12;
        generate(&opts).expect("generated");
        if std::fs::rename(&part, &dir).is_err() {
            let _ = std::fs::remove_dir_all(&part);
        }
        dir
    })
}

#[test]
fn every_generated_tree_fits_in_4_kb() {
    let logs = twelve_services().join("logs");
    let out = run(tracegrep()
        .args([
            "--all", "-q", "--format", "tree", "--sort", "spans", "--limit", "0",
        ])
        .arg(&logs));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let trees: Vec<&str> = out.stdout.split("\n\n").collect();
    assert!(trees.len() > 1000, "{} trees", trees.len());
    let largest = trees.iter().map(|t| t.len() + 1).max().unwrap_or(0);
    assert!(largest < MAX_TREE_BYTES, "largest tree {largest} bytes");
    // The trace with the most spans, found by its id, prints the same tree.
    let id = trees[0].split_whitespace().nth(1).expect("id");
    let one = run(tracegrep().args(["--format", "tree", id]).arg(&logs));
    assert_eq!(one.stdout.trim_end(), trees[0].trim_end());
    assert!(one.stdout.len() < MAX_TREE_BYTES);
}
