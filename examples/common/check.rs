//! Judging tracegrep's JSON against the generator's truth: the needle check (every span,
//! parent, service, start, duration, error and line count of a trace) and the strict tree score.
//! The tests and `examples/score_tree.rs` both use these, so each rule has one home.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::common::timefmt::parse_rfc3339;
use crate::common::truth::{TraceTruth, Truth};

/// tracegrep's trace documents by trace id: one object, JSON Lines, or `{"traces":[…]}`.
pub fn load_tool(text: &str) -> Result<HashMap<String, Value>, String> {
    let mut docs = HashMap::new();
    let mut add = |d: Value| {
        if let Some(id) = d["trace_id"].as_str() {
            docs.insert(id.to_ascii_lowercase(), d.clone());
        }
    };
    let text = text.trim();
    if text.is_empty() {
        return Ok(docs);
    }
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        match v {
            Value::Object(ref o) if o.contains_key("traces") => {
                for d in o["traces"].as_array().into_iter().flatten() {
                    add(d.clone());
                }
            }
            Value::Array(a) => a.into_iter().for_each(add),
            v => add(v),
        }
        return Ok(docs);
    }
    for (i, line) in text.lines().enumerate() {
        if !line.trim().is_empty() {
            add(serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?);
        }
    }
    Ok(docs)
}

fn norm_span(v: &Value) -> Option<String> {
    let s = v
        .as_str()
        .map(str::to_string)
        .or_else(|| v.as_u64().map(|n| n.to_string()))?;
    let s = s.trim().to_ascii_lowercase();
    (!s.is_empty() && s != "0" && s != "0000000000000000").then_some(s)
}

/// Everything wrong with tracegrep's document `tool` for the true trace `t` (empty: it matches).
/// Rules: every span the logs identify appears once (placeholders for unlogged parents and
/// synthetic spans of id-less services are allowed); a named parent is the true parent or the
/// nearest logged ancestor (an inferred one is judged by [`score`]); service, start (2 ms, logged
/// or true clock), duration (max(1.5 ms, 1 %)), error and the line count agree.
pub fn check_trace(t: &TraceTruth, tool: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let by_id: HashMap<&str, usize> = t
        .spans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.span_id.as_str(), i))
        .collect();
    let mut alias = by_id.clone();
    for (i, s) in t.spans.iter().enumerate() {
        if let Some(d) = &s.span_id_decimal {
            alias.insert(d.as_str(), i);
        }
    }
    let logged_ancestor = |i: usize| {
        let mut p = t.spans[i]
            .parent_span_id
            .as_deref()
            .and_then(|p| by_id.get(p));
        while let Some(&q) = p {
            let s = &t.spans[q];
            if s.logged && s.span_id_logged {
                return Some(s.span_id.clone());
            }
            p = s.parent_span_id.as_deref().and_then(|p| by_id.get(p));
        }
        None
    };
    let mut synthetic: HashMap<String, i32> = HashMap::new();
    for s in &t.spans {
        if s.logged && !s.span_id_logged {
            *synthetic.entry(s.service.to_ascii_lowercase()).or_default() += 1;
        }
    }
    let mut matched = HashSet::new();
    for ts in tool["spans"].as_array().into_iter().flatten() {
        let sid = norm_span(&ts["span_id"]);
        let svc = ts["service"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let Some(&i) = sid.as_deref().and_then(|s| alias.get(s)) else {
            if let Some(left) = synthetic.get_mut(&svc).filter(|n| **n > 0) {
                *left -= 1;
            } else {
                bad.push(format!(
                    "unexpected span {} ({svc}, {})",
                    ts["span_id"], ts["name"]
                ));
            }
            continue;
        };
        let s = &t.spans[i];
        if !(s.logged && s.span_id_logged) {
            continue; // a placeholder for a parent no line shows
        }
        if !matched.insert(i) {
            bad.push(format!("span {} reported twice", s.span_id));
            continue;
        }
        let at = format!("{} {} {:?}", s.span_id, s.service, s.name);
        let named = norm_span(&ts["parent_span_id"]).map(|p| {
            alias
                .get(p.as_str())
                .map_or(p, |&j| t.spans[j].span_id.clone())
        });
        match (&s.parent_span_id, named) {
            (None, Some(p)) => bad.push(format!("{at}: a root, tool names parent {p}")),
            (Some(tp), Some(p)) if *tp != p && logged_ancestor(i).as_ref() != Some(&p) => {
                bad.push(format!("{at}: parent {tp}, tool names {p}"))
            }
            _ => {}
        }
        if svc != s.service.to_ascii_lowercase() {
            bad.push(format!("{at}: tool says service {svc}"));
        }
        match ts["start"].as_str().and_then(parse_rfc3339) {
            Some(st) => {
                let d = (st - s.start_unix_ns)
                    .abs()
                    .min((st - s.true_start_unix_ns).abs());
                if d > 2_000_000 {
                    bad.push(format!(
                        "{at}: start {} is {:.3} ms off",
                        ts["start"],
                        d as f64 / 1e6
                    ));
                }
            }
            None => bad.push(format!("{at}: no start ({})", ts["start"])),
        }
        match ts["duration_ms"].as_f64() {
            Some(d) if (d - s.duration_ms).abs() <= (s.duration_ms / 100.0).max(1.5) => {}
            d => bad.push(format!(
                "{at}: duration {d:?} ms, truth {:.3}",
                s.duration_ms
            )),
        }
        if ts["error"].as_bool().unwrap_or(false) != s.error {
            bad.push(format!("{at}: error {}, truth {}", ts["error"], s.error));
        }
    }
    for (i, s) in t.spans.iter().enumerate() {
        if s.logged && s.span_id_logged && !matched.contains(&i) {
            bad.push(format!(
                "missing span {} ({}, {:?})",
                s.span_id, s.service, s.name
            ));
        }
    }
    if tool["lines"].as_u64() != Some(u64::from(t.lines)) {
        bad.push(format!(
            "tool counted {} lines, truth {}",
            tool["lines"], t.lines
        ));
    }
    if let Some(by) = tool["lines_by_service"].as_object() {
        let mut by: HashMap<String, u64> = by
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_u64().unwrap_or(0)))
            .collect();
        for (svc, &n) in &t.lines_by_service {
            let got = by.remove(&svc.to_ascii_lowercase()).unwrap_or(0);
            if got != u64::from(n) {
                bad.push(format!("{svc}: tool {got} lines, truth {n}"));
            }
        }
        for (svc, n) in by {
            bad.push(format!("{svc}: tool {n} lines, truth 0"));
        }
    }
    bad.into_iter()
        .map(|b| format!("{}: {b}", t.trace_id))
        .collect()
}

/// [`check_trace`] for every trace of the truth: each must be in `docs`.
pub fn check_all(truth: &Truth, docs: &HashMap<String, Value>) -> Vec<String> {
    let mut bad = Vec::new();
    for t in &truth.traces {
        match docs.get(&t.trace_id) {
            Some(d) => bad.extend(check_trace(t, d)),
            None => bad.push(format!("{}: missing ({} lines)", t.trace_id, t.lines)),
        }
    }
    bad
}

/// The strict tree score over every trace (see `examples/score_tree.rs` for the meaning).
#[derive(Default, Debug, Clone, serde::Serialize)]
pub struct Score {
    /// Traces in the truth.
    pub traces: usize,
    /// Of those, found by tracegrep.
    pub traces_found: usize,
    /// Spans whose parent tracegrep inferred.
    pub inferred: usize,
    /// … under a true ancestor.
    pub inferred_ancestor: usize,
    /// … under the true parent or the nearest ancestor shown.
    pub inferred_exact: usize,
    /// Spans whose parent the logs name.
    pub named: usize,
    /// … named right.
    pub named_right: usize,
    /// Spans drawn as roots although they have a parent.
    pub false_roots: usize,
    /// Traces with one true root.
    pub single_root_traces: usize,
    /// … drawn with one root.
    pub single_root_drawn_single: usize,
    /// Traces whose root tracegrep chose right.
    pub root_right: usize,
    /// `inferred_ancestor / inferred`.
    pub ancestor_ratio: f64,
    /// `inferred_exact / inferred`.
    pub exact_ratio: f64,
    /// `named_right / named`.
    pub named_ratio: f64,
    /// `single_root_drawn_single / single_root_traces`.
    pub single_root_ratio: f64,
    /// `root_right / traces_found`.
    pub root_ratio: f64,
}

impl Score {
    /// A ratio by its `--min` name.
    pub fn ratio(&self, name: &str) -> Option<f64> {
        Some(match name {
            "ancestor_ratio" => self.ancestor_ratio,
            "exact_ratio" => self.exact_ratio,
            "named_ratio" => self.named_ratio,
            "single_root_ratio" => self.single_root_ratio,
            "root_ratio" => self.root_ratio,
            _ => return None,
        })
    }

    /// One line for people.
    pub fn summary(&self) -> String {
        format!(
            "traces {}/{}; inferred links {}: ancestor {:.1}%, exact {:.1}%; named links {}: right {:.1}%; \
             false roots {}; single-root traces drawn with one root {}/{} ({:.1}%); root right {}/{} ({:.1}%)",
            self.traces_found,
            self.traces,
            self.inferred,
            100.0 * self.ancestor_ratio,
            100.0 * self.exact_ratio,
            self.named,
            100.0 * self.named_ratio,
            self.false_roots,
            self.single_root_drawn_single,
            self.single_root_traces,
            100.0 * self.single_root_ratio,
            self.root_right,
            self.traces_found,
            100.0 * self.root_ratio
        )
    }
}

/// Scores tracegrep's trees strictly; also returns up to 400 wrong inferred links, described.
pub fn score(truth: &Truth, docs: &HashMap<String, Value>) -> (Score, Vec<String>) {
    let mut s = Score::default();
    let mut wrong = Vec::new();
    for tr in truth.traces.iter().filter(|t| !t.spans_truncated) {
        s.traces += 1;
        let Some(doc) = docs.get(&tr.trace_id) else {
            continue;
        };
        s.traces_found += 1;
        let spans: HashMap<&str, &crate::common::truth::SpanTruth> = tr
            .spans
            .iter()
            .map(|sp| (sp.span_id.as_str(), sp))
            .collect();
        let visible: HashSet<&str> = tr
            .spans
            .iter()
            .filter(|sp| sp.logged && sp.span_id_logged)
            .map(|sp| sp.span_id.as_str())
            .collect();
        let ancestors = |i: &str| {
            let mut out = Vec::new();
            let mut p = spans.get(i).and_then(|sp| sp.parent_span_id.as_deref());
            while let Some(q) = p.filter(|q| spans.contains_key(q) && !out.contains(q)) {
                out.push(q);
                p = spans[q].parent_span_id.as_deref();
            }
            out
        };
        let tool_spans: Vec<&Value> = doc["spans"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|sp| sp["span_id"].is_string())
            .collect();
        let missing = doc["missing_spans"].as_array().cloned().unwrap_or_default();
        let shown: HashSet<String> = tool_spans
            .iter()
            .chain(missing.iter().collect::<Vec<_>>().iter())
            .filter_map(|sp| sp["span_id"].as_str().map(str::to_string))
            .collect();
        let mut roots = 0;
        for sp in doc["spans"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(missing.iter())
        {
            if sp["parent_span_id"].is_null() && sp["inferred_parent_span_id"].is_null() {
                roots += 1;
            }
        }
        for sp in &tool_spans {
            let i = sp["span_id"].as_str().unwrap_or_default();
            let Some(truth_span) = spans.get(i) else {
                continue;
            };
            let true_parent = truth_span.parent_span_id.as_deref();
            let anc = ancestors(i);
            let near = anc.iter().find(|a| shown.contains(**a)).copied();
            let near_logged = anc.iter().find(|a| visible.contains(**a)).copied();
            let right =
                |p: &str| Some(p) == true_parent || Some(p) == near || Some(p) == near_logged;
            if let Some(named) = sp["parent_span_id"].as_str() {
                s.named += 1;
                s.named_right += usize::from(right(named));
            } else if let Some(inferred) = sp["inferred_parent_span_id"].as_str() {
                s.inferred += 1;
                let is_anc = anc.contains(&inferred);
                s.inferred_ancestor += usize::from(is_anc);
                if right(inferred) {
                    s.inferred_exact += 1;
                } else if wrong.len() < 400 {
                    wrong.push(format!(
                        "{} {}:{} under {inferred} (true {}, {})",
                        tr.trace_id,
                        sp["service"].as_str().unwrap_or_default(),
                        sp["name"]
                            .as_str()
                            .unwrap_or_default()
                            .chars()
                            .take(40)
                            .collect::<String>(),
                        true_parent.unwrap_or("none"),
                        if is_anc {
                            "ancestor"
                        } else {
                            "NOT an ancestor"
                        }
                    ));
                }
            } else if true_parent.is_some() {
                s.false_roots += 1;
            }
        }
        if tr
            .spans
            .iter()
            .filter(|sp| sp.parent_span_id.is_none())
            .count()
            == 1
        {
            s.single_root_traces += 1;
            s.single_root_drawn_single += usize::from(roots == 1);
        }
        s.root_right += usize::from(match doc["root_span_id"].as_str() {
            Some(r) => r == tr.root_span_id,
            None => doc["root_service"]
                .as_str()
                .is_some_and(|r| r.eq_ignore_ascii_case(&tr.root_service)),
        });
    }
    let ratio = |a: usize, b: usize| a as f64 / b.max(1) as f64;
    s.ancestor_ratio = ratio(s.inferred_ancestor, s.inferred);
    s.exact_ratio = ratio(s.inferred_exact, s.inferred);
    s.named_ratio = ratio(s.named_right, s.named);
    s.single_root_ratio = ratio(s.single_root_drawn_single, s.single_root_traces);
    s.root_ratio = ratio(s.root_right, s.traces_found);
    (s, wrong)
}
