//! Scores tracegrep's span trees strictly against the generator's truth, and checks every
//! trace's spans and lines (the same rules `cargo test` applies).
//!
//! ```sh
//! cargo run --release --example gen_logs -- --out /tmp/tg --size 50M --seed 7
//! tracegrep --all --format jsonl -q /tmp/tg/logs > /tmp/tool.jsonl
//! cargo run --release --example score_tree -- /tmp/tg/truth.json /tmp/tool.jsonl \
//!     --min exact_ratio=0.90 [--json] [--show-wrong] [--check]
//! ```
//!
//! For every trace the truth describes it compares each span tracegrep shows with the true span:
//! inferred links (`inferred_parent_span_id`) are `ancestor` when under a true ancestor and
//! `exact` when under the true parent or the nearest ancestor shown or logged; named links
//! (`parent_span_id`) must be the true parent or that ancestor; roots drawn although the span has
//! a parent are false roots; traces with one true root should be drawn with one root; and the
//! chosen root (`root_span_id`, else `root_service`) should be the true one. `--min NAME=VALUE`
//! fails (exit 1) when a ratio is below VALUE. `--check` also runs the needle check on every trace.

#[allow(dead_code)]
mod common;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut files, mut mins, mut json, mut show, mut check) =
        (vec![], vec![], false, false, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => json = true,
            "--show-wrong" => show = true,
            "--check" => check = true,
            "--min" => mins.extend(it.next().cloned()),
            _ => files.push(a.clone()),
        }
    }
    let [truth, tool] = &files[..] else {
        eprintln!("usage: score_tree TRUTH.json TOOL.jsonl [--json] [--show-wrong] [--check] [--min NAME=VALUE ...]");
        return ExitCode::from(2);
    };
    let truth = match common::truth::Truth::load(truth.as_ref()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("score_tree: {e}");
            return ExitCode::from(2);
        }
    };
    let text = if tool == "-" {
        std::io::read_to_string(std::io::stdin()).unwrap_or_default()
    } else {
        std::fs::read_to_string(tool).unwrap_or_default()
    };
    let docs = match common::check::load_tool(&text) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("score_tree: {tool}: {e}");
            return ExitCode::from(2);
        }
    };
    let (s, wrong) = common::check::score(&truth, &docs);
    if json {
        println!("{}", serde_json::to_string(&s).expect("serialisable"));
    } else {
        println!("{}", s.summary());
    }
    if show {
        println!("{}", wrong.join("\n"));
    }
    let mut failed = Vec::new();
    for m in &mins {
        let (name, value) = m.split_once('=').unwrap_or((m, "1"));
        match (s.ratio(name), value.parse::<f64>()) {
            (Some(r), Ok(v)) if r < v => failed.push(format!("{name} {r:.4} < {v}")),
            (Some(_), Ok(_)) => {}
            _ => failed.push(format!("unknown --min {m}")),
        }
    }
    if check {
        let bad = common::check::check_all(&truth, &docs);
        println!(
            "needle check: {} traces, {} mismatches",
            truth.traces.len(),
            bad.len()
        );
        for b in bad.iter().take(50) {
            println!("  {b}");
        }
        if !bad.is_empty() {
            failed.push(format!("{} mismatches", bad.len()));
        }
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        println!("FAIL: {}", failed.join("; "));
        ExitCode::FAILURE
    }
}
