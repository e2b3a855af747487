//! Conformance: logs written by real logging libraries with real OpenTelemetry SDKs
//! (conformance/corpus/, made by conformance/regenerate.sh), read by the real binary and compared
//! with the truth the SDKs exported themselves (each corpus's truth.json).
//!
//! What tracegrep gets wrong today is listed in conformance/known-gaps.txt, one line per gap.
//! The test fails on a gap that is not listed and on a listed gap that no longer happens, so
//! the list stays exact. `TRACEGREP_BLESS=1 cargo test conformance` rewrites it (review the
//! diff: a line that goes away is a fix, a line that appears is a regression).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::util::{root, run, tracegrep};

const CORPUS: &str = "conformance/corpus";
const GAPS: &str = "conformance/known-gaps.txt";

/// A span as the SDK finished it.
struct TruthSpan {
    trace: String,
    parent: Option<String>,
    service: String,
    name: String,
    failed: bool,
}

/// A corpus's truth.json, indexed.
struct Truth {
    spans: BTreeMap<String, TruthSpan>,
    /// trace id → the lines the program logged inside it: (span id, service, named parent).
    lines: BTreeMap<String, Vec<(String, String, Option<String>)>>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn read_truth(dir: &Path) -> Truth {
    let raw = std::fs::read_to_string(dir.join("truth.json")).expect("truth.json");
    let doc: Value = serde_json::from_str(&raw).expect("truth.json is JSON");
    let mut spans = BTreeMap::new();
    for s in doc["spans"].as_array().expect("spans") {
        spans.insert(
            text(s, "span_id").expect("span_id"),
            TruthSpan {
                trace: text(s, "trace_id").expect("trace_id"),
                parent: text(s, "parent_span_id"),
                service: text(s, "service").expect("service"),
                name: text(s, "name").expect("name"),
                failed: s["status"] == "ERROR",
            },
        );
    }
    let mut lines: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for l in doc["lines"].as_array().expect("lines") {
        if let (Some(trace), Some(span)) = (text(l, "trace_id"), text(l, "span_id")) {
            let service = text(l, "service").expect("service");
            lines
                .entry(trace)
                .or_default()
                .push((span, service, text(l, "names_parent")));
        }
    }
    Truth { spans, lines }
}

/// One row of the printed table.
#[derive(Default)]
struct Score {
    spans: (usize, usize),
    named: (usize, usize),
    tree: (usize, usize),
    lines: (usize, usize),
    failed: (usize, usize),
}

impl Score {
    fn row(&self, name: &str) -> String {
        let pair = |(a, b): (usize, usize)| format!("{a}/{b}");
        format!(
            "{name:<44} {:>7} {:>7} {:>7} {:>7} {:>7}",
            pair(self.spans),
            pair(self.named),
            pair(self.tree),
            pair(self.lines),
            pair(self.failed)
        )
    }
}

fn ids(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The nearest ancestor of `span` (in the SDK's tree) that logged a line: the parent a reader
/// of the logs alone can hope to find.
fn logged_ancestor(truth: &Truth, span: &str, logged: &BTreeSet<String>) -> Option<String> {
    let mut at = truth.spans.get(span)?.parent.clone();
    for _ in 0..truth.spans.len() {
        let id = at?;
        if logged.contains(&id) {
            return Some(id);
        }
        at = truth.spans.get(&id).and_then(|s| s.parent.clone());
    }
    None
}

/// Log files (one target: a folder of logs or an envelope file or folder) against the truth.
fn check_logs(truth: &Truth, target: &str, gaps: &mut Vec<String>) -> Score {
    let out = run(tracegrep().args(["--all", "--format", "jsonl", "-q", target]));
    let mut found: BTreeMap<String, Value> = BTreeMap::new();
    for line in out.stdout.lines() {
        let doc: Value = serde_json::from_str(line).expect("jsonl");
        found.insert(text(&doc, "trace_id").expect("trace_id"), doc);
    }
    let mut score = Score::default();
    for (trace, lines) in &truth.lines {
        let logged: BTreeSet<String> = lines.iter().map(|l| l.0.clone()).collect();
        let services: BTreeSet<&str> = lines.iter().map(|l| l.1.as_str()).collect();
        let named: BTreeSet<(&str, &str)> = lines
            .iter()
            .filter_map(|l| l.2.as_deref().map(|p| (l.0.as_str(), p)))
            .collect();
        let failed: Vec<&String> = logged.iter().filter(|s| truth.spans[*s].failed).collect();
        score.spans.1 += logged.len();
        score.named.1 += named.len();
        score.lines.1 += lines.len();
        score.failed.1 += failed.len();
        let Some(doc) = found.get(trace) else {
            gaps.push(format!(
                "{target}: trace {trace}: not found (exit {}; the SDK's {} spans logged {} lines)",
                out.code,
                logged.len(),
                lines.len()
            ));
            continue;
        };
        let spans: BTreeMap<String, &Value> = doc["spans"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| text(s, "span_id").map(|id| (id, s)))
            .collect();
        let about = |id: &str| {
            let s = &truth.spans[id];
            format!("{id} ({} '{}')", s.service, s.name)
        };
        let missing: Vec<String> = logged
            .iter()
            .filter(|s| !spans.contains_key(*s))
            .map(|s| about(s))
            .collect();
        score.spans.0 += logged.len() - missing.len();
        if !missing.is_empty() {
            gaps.push(format!(
                "{target}: trace {trace}: spans not found: {}",
                missing.join(", ")
            ));
        }
        let extra: Vec<&String> = spans.keys().filter(|s| !logged.contains(*s)).collect();
        if !extra.is_empty() {
            gaps.push(format!(
                "{target}: trace {trace}: spans the SDK did not make: {extra:?}"
            ));
        }
        for (span, parent) in &named {
            let got = spans.get(*span).and_then(|s| text(s, "parent_span_id"));
            if got.as_deref() == Some(*parent) {
                score.named.0 += 1;
            } else {
                let link = spans
                    .get(*span)
                    .and_then(|s| text(s, "link"))
                    .unwrap_or_default();
                gaps.push(format!(
                    "{target}: trace {trace}: span {}: parent_span_id {} (link '{link}'), its line names {} (SDK parent {:?})",
                    about(span),
                    got.as_deref().unwrap_or("null"),
                    about(parent),
                    truth.spans[*span].parent.as_deref().unwrap_or("none"),
                ));
            }
        }
        check_tree(truth, target, trace, &logged, &named, &mut score, gaps);
        let got_services = ids(&doc["services"]);
        let want_services: Vec<String> = services.iter().map(|s| s.to_string()).collect();
        if got_services != want_services {
            gaps.push(format!("{target}: trace {trace}: services {got_services:?}, the SDK's resources say {want_services:?}"));
        }
        let got_lines = doc["lines"].as_u64().unwrap_or(0) as usize;
        score.lines.0 += got_lines.min(lines.len());
        if got_lines != lines.len() {
            gaps.push(format!(
                "{target}: trace {trace}: {got_lines} lines, the program logged {} in the trace",
                lines.len()
            ));
        }
        for span in &failed {
            if spans.get(*span).is_some_and(|s| s["error"] == true) {
                score.failed.0 += 1;
            } else {
                gaps.push(format!(
                    "{target}: trace {trace}: span {} not marked failed (SDK status ERROR)",
                    about(span)
                ));
            }
        }
        for (id, s) in &spans {
            if s["error"] == true && truth.spans.get(id).is_some_and(|t| !t.failed) {
                gaps.push(format!(
                    "{target}: trace {trace}: span {} marked failed, SDK status is not ERROR",
                    about(id)
                ));
            }
        }
    }
    for trace in found.keys().filter(|t| !truth.lines.contains_key(*t)) {
        gaps.push(format!(
            "{target}: trace {trace}: found, but no line was logged in it"
        ));
    }
    score
}

/// The tree a reader of one trace sees (`--format json ID TARGET`), for the spans whose lines do
/// not name their parent: each span's parent, written or inferred, must be its nearest logged
/// ancestor in the SDK's tree (none for a root).
fn check_tree(
    truth: &Truth,
    target: &str,
    trace: &str,
    logged: &BTreeSet<String>,
    named: &BTreeSet<(&str, &str)>,
    score: &mut Score,
    gaps: &mut Vec<String>,
) {
    let unnamed: Vec<&String> = logged
        .iter()
        .filter(|s| !named.iter().any(|(span, _)| span == s))
        .collect();
    score.tree.1 += unnamed.len();
    let out = run(tracegrep().args(["--format", "json", "-q", trace, target]));
    let doc: Value = serde_json::from_str(&out.stdout).unwrap_or_default();
    let spans: BTreeMap<String, &Value> = doc["spans"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| text(s, "span_id").map(|id| (id, s)))
        .collect();
    let about = |id: Option<&str>| match id.and_then(|id| truth.spans.get(id).map(|s| (id, s))) {
        Some((id, s)) => format!("{id} ({} '{}')", s.service, s.name),
        None => id.unwrap_or("none (a root)").to_string(),
    };
    for span in unnamed {
        let want = logged_ancestor(truth, span, logged);
        let got = spans
            .get(span)
            .and_then(|s| text(s, "parent_span_id").or_else(|| text(s, "inferred_parent_span_id")));
        if got == want {
            score.tree.0 += 1;
        } else if spans.contains_key(span) {
            let link = spans
                .get(span)
                .and_then(|s| text(s, "link"))
                .unwrap_or_default();
            gaps.push(format!(
                "{target}: trace {trace}: tree: span {} placed under {} (link '{link}'), its nearest logged SDK ancestor is {}",
                about(Some(span)),
                about(got.as_deref()),
                about(want.as_deref()),
            ));
        }
    }
}

/// A whole-trace document (OTLP, Zipkin, Jaeger) against the truth: `--format json ID` per trace.
fn check_export(truth: &Truth, target: &str, gaps: &mut Vec<String>) -> Score {
    let traces: BTreeSet<&String> = truth.spans.values().map(|s| &s.trace).collect();
    let mut score = Score::default();
    for trace in traces {
        let want: Vec<(&String, &TruthSpan)> = truth
            .spans
            .iter()
            .filter(|(_, s)| &s.trace == trace)
            .collect();
        score.spans.1 += want.len();
        score.tree.1 += want.len();
        score.failed.1 += want.iter().filter(|(_, s)| s.failed).count();
        let out = run(tracegrep().args(["--format", "json", "-q", trace, target]));
        let Ok(doc) = serde_json::from_str::<Value>(&out.stdout) else {
            let why = out.stderr.lines().next().unwrap_or("").to_string();
            gaps.push(format!(
                "{target}: trace {trace}: not found (exit {}, '{why}'; the SDK exported {} spans)",
                out.code,
                want.len()
            ));
            continue;
        };
        let spans: BTreeMap<String, &Value> = doc["spans"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| text(s, "span_id").map(|id| (id, s)))
            .collect();
        let mut missing = Vec::new();
        let mut wrong = Vec::new();
        let mut unflagged = Vec::new();
        for (id, s) in &want {
            let Some(got) = spans.get(*id) else {
                missing.push(format!("{id} ({} '{}')", s.service, s.name));
                continue;
            };
            score.spans.0 += 1;
            let parent = text(got, "parent_span_id");
            if parent == s.parent {
                score.tree.0 += 1;
            } else {
                wrong.push(format!(
                    "{id} '{}': {} not {}",
                    s.name,
                    parent.as_deref().unwrap_or("null"),
                    s.parent.as_deref().unwrap_or("null")
                ));
            }
            if s.failed && got["error"] == true {
                score.failed.0 += 1;
            } else if s.failed {
                unflagged.push(format!("{id} ({} '{}')", s.service, s.name));
            } else if got["error"] == true {
                wrong.push(format!(
                    "{id} '{}': marked failed, SDK status is not ERROR",
                    s.name
                ));
            }
        }
        if !missing.is_empty() {
            gaps.push(format!(
                "{target}: trace {trace}: spans not found: {}",
                missing.join(", ")
            ));
        }
        if !wrong.is_empty() {
            gaps.push(format!(
                "{target}: trace {trace}: parent_span_id wrong: {}",
                wrong.join("; ")
            ));
        }
        if !unflagged.is_empty() {
            gaps.push(format!(
                "{target}: trace {trace}: not marked failed (SDK status ERROR): {}",
                unflagged.join(", ")
            ));
        }
        let want_services: BTreeSet<String> = want.iter().map(|(_, s)| s.service.clone()).collect();
        let got_services = ids(&doc["services"]);
        if got_services != want_services.into_iter().collect::<Vec<_>>() {
            gaps.push(format!(
                "{target}: trace {trace}: services {got_services:?}, not the SDK's resources"
            ));
        }
    }
    score
}

/// Files (or folders) of one corpus to read, each with how to judge it.
fn targets(dir: &Path) -> Vec<(String, bool)> {
    let rel = |p: &Path| {
        p.strip_prefix(root())
            .expect("under root")
            .to_string_lossy()
            .into_owned()
    };
    let mut out = vec![(rel(&dir.join("logs")), false)];
    let env = dir.join("envelopes");
    for name in ["kubectl.log", "docker", "cri"] {
        if env.join(name).exists() {
            out.push((rel(&env.join(name)), false));
        }
    }
    if let Ok(entries) = std::fs::read_dir(dir.join("exports")) {
        let mut files: Vec<_> = entries.map(|e| e.expect("entry").path()).collect();
        files.sort();
        out.extend(files.iter().map(|f| (rel(f), true)));
    }
    out
}

#[test]
fn real_libraries_against_the_sdks_truth() {
    let corpus = root().join(CORPUS);
    let mut dirs: Vec<_> = std::fs::read_dir(&corpus)
        .expect("conformance/corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("truth.json").is_file())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no corpus in {CORPUS}");
    let mut gaps = Vec::new();
    let mut table = format!(
        "{:<44} {:>7} {:>7} {:>7} {:>7} {:>7}\n",
        "corpus file", "spans", "named", "tree", "lines", "failed"
    );
    for dir in &dirs {
        let truth = read_truth(dir);
        for (target, export) in targets(dir) {
            let score = if export {
                check_export(&truth, &target, &mut gaps)
            } else {
                check_logs(&truth, &target, &mut gaps)
            };
            let name = target
                .strip_prefix(&format!("{CORPUS}/"))
                .unwrap_or(&target);
            writeln!(table, "{}", score.row(name)).expect("string");
        }
    }
    println!("{table}");
    println!("spans: logged spans found / spans with lines (exports: spans found / spans exported)\nnamed: parent links a line names (parent_span_id) found / named\ntree: spans whose lines name no parent: parent or inferred parent in `--format json ID` = the nearest logged SDK ancestor (exports: parent_span_id = the SDK's parent)\nlines: lines of the trace counted (capped) / logged; failed: SDK ERROR spans marked failed\n");

    let path = root().join(GAPS);
    let listed = std::fs::read_to_string(&path).unwrap_or_default();
    let header: String = listed
        .lines()
        .take_while(|l| l.starts_with('#') || l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let known: BTreeSet<&str> = listed
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    let now: BTreeSet<&str> = gaps.iter().map(String::as_str).collect();
    if std::env::var_os("TRACEGREP_BLESS").is_some() {
        let body: String = now.iter().map(|g| format!("{g}\n")).collect();
        std::fs::write(&path, format!("{header}{body}")).expect("write known gaps");
        return;
    }
    let new: Vec<&&str> = now.difference(&known).collect();
    let fixed: Vec<&&str> = known.difference(&now).collect();
    assert!(
        new.is_empty() && fixed.is_empty(),
        "conformance/known-gaps.txt is not what tracegrep does now.\n\nNew gaps (tracegrep got these wrong; fix or list them):\n{}\n\nListed gaps that no longer happen (remove them):\n{}\n\nTRACEGREP_BLESS=1 cargo test conformance rewrites the list.",
        new.iter().map(|g| format!("  {g}")).collect::<Vec<_>>().join("\n"),
        fixed.iter().map(|g| format!("  {g}")).collect::<Vec<_>>().join("\n"),
    );
}

#[test]
fn the_corpus_stays_small() {
    fn size(p: &Path) -> u64 {
        if p.is_dir() {
            std::fs::read_dir(p)
                .expect("dir")
                .map(|e| size(&e.expect("entry").path()))
                .sum()
        } else {
            p.metadata().map(|m| m.len()).unwrap_or(0)
        }
    }
    let bytes = size(&root().join(CORPUS));
    assert!(
        bytes < 2_000_000,
        "conformance/corpus is {bytes} bytes; keep it under 2 MB"
    );
}
