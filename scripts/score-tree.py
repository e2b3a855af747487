#!/usr/bin/env python3
"""Scores tracegrep's span trees strictly against a generator's ground truth.

    tracegrep --all --format jsonl -q DIR/logs > tool.jsonl
    python3 scripts/score-tree.py DIR/truth.json tool.jsonl [--json] [--min NAME=VALUE ...]

For every trace the truth describes in full, it compares each span tracegrep shows with the
span the SDK (or generator) recorded:

- inferred links: spans whose parent tracegrep placed itself (`inferred_parent_span_id`):
  `ancestor` when that span is a true ancestor, `exact` when it is the true parent or the
  nearest ancestor that has log lines of its own (a parent that logged nothing cannot be shown);
- named links: `parent_span_id` equal to the true parent (or nearest logged ancestor);
- roots drawn although the span has a parent;
- roots per trace, for traces with a single true root;
- the root chosen (`root_span_id`, else `root_service`) against the true root.

`--min NAME=VALUE` fails (exit 1) when a ratio is below VALUE; names are the keys of `--json`.
Standard library only.
"""

import argparse
import json
import sys


def load_tool(path):
    docs = {}
    with open(path, encoding="utf-8") if path != "-" else sys.stdin as f:
        text = f.read()
    text = text.strip()
    if text.startswith("{") and '"traces"' in text[:200] and "\n" not in text:
        for d in json.loads(text)["traces"]:
            docs[d["trace_id"]] = d
        return docs
    for line in text.splitlines():
        if line.strip():
            d = json.loads(line)
            docs[d["trace_id"]] = d
    return docs


def score(truth, docs):
    s = dict(
        traces=0,
        traces_found=0,
        inferred=0,
        inferred_ancestor=0,
        inferred_exact=0,
        named=0,
        named_right=0,
        false_roots=0,
        single_root_traces=0,
        single_root_drawn_single=0,
        root_right=0,
    )
    wrong = []
    for tr in truth["traces"]:
        if tr.get("spans_truncated"):
            continue
        s["traces"] += 1
        doc = docs.get(tr["trace_id"])
        if doc is None:
            continue
        s["traces_found"] += 1
        spans = {sp["span_id"]: sp for sp in tr["spans"]}
        visible = {
            i for i, sp in spans.items() if sp["logged"] and sp["span_id_logged"]
        }

        def ancestors(i):
            out, seen = [], set()
            p = spans[i]["parent_span_id"] if i in spans else None
            while p is not None and p in spans and p not in seen:
                seen.add(p)
                out.append(p)
                p = spans[p]["parent_span_id"]
            return out

        def nearest_shown(i, shown):
            for a in ancestors(i):
                if a in shown:
                    return a
            return None

        tool_spans = [sp for sp in doc["spans"] if sp.get("span_id")]
        shown = {sp["span_id"] for sp in tool_spans} | {
            m["span_id"] for m in doc.get("missing_spans", [])
        }
        roots = 0
        for sp in doc["spans"]:
            if sp.get("parent_span_id") is None and sp.get("inferred_parent_span_id") is None:
                roots += 1
        for m in doc.get("missing_spans", []):
            if m.get("inferred_parent_span_id") is None and m.get("parent_span_id") is None:
                roots += 1
        for sp in tool_spans:
            i = sp["span_id"]
            if i not in spans:
                continue
            true_parent = spans[i]["parent_span_id"]
            anc = ancestors(i)
            near = nearest_shown(i, shown)
            near_logged = nearest_shown(i, visible)
            named, inferred = sp.get("parent_span_id"), sp.get("inferred_parent_span_id")
            if named is not None:
                s["named"] += 1
                if named in (true_parent, near, near_logged):
                    s["named_right"] += 1
            elif inferred is not None:
                s["inferred"] += 1
                if inferred in anc:
                    s["inferred_ancestor"] += 1
                if inferred in (true_parent, near, near_logged):
                    s["inferred_exact"] += 1
                elif len(wrong) < 400:
                    wrong.append(
                        f"{tr['trace_id']} {sp['service']}:{sp['name'][:40]} "
                        f"under {inferred} (true {true_parent}, "
                        f"{'ancestor' if inferred in anc else 'NOT an ancestor'})"
                    )
            elif true_parent is not None:
                s["false_roots"] += 1
        true_roots = [i for i, sp in spans.items() if sp["parent_span_id"] is None]
        if len(true_roots) == 1:
            s["single_root_traces"] += 1
            if roots == 1:
                s["single_root_drawn_single"] += 1
        root = tr["root_span_id"]
        if doc.get("root_span_id") is not None:
            ok = doc["root_span_id"] == root
        else:
            ok = (doc.get("root_service") or "").lower() == tr["root_service"].lower()
        s["root_right"] += ok
    s["ancestor_ratio"] = s["inferred_ancestor"] / max(1, s["inferred"])
    s["exact_ratio"] = s["inferred_exact"] / max(1, s["inferred"])
    s["named_ratio"] = s["named_right"] / max(1, s["named"])
    s["single_root_ratio"] = s["single_root_drawn_single"] / max(1, s["single_root_traces"])
    s["root_ratio"] = s["root_right"] / max(1, s["traces_found"])
    return s, wrong


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("truth")
    ap.add_argument("tool")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--min", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--show-wrong", action="store_true")
    a = ap.parse_args()
    with open(a.truth, encoding="utf-8") as f:
        truth = json.load(f)
    s, wrong = score(truth, load_tool(a.tool))
    if a.json:
        print(json.dumps(s))
    else:
        print(
            f"traces {s['traces_found']}/{s['traces']}; "
            f"inferred links {s['inferred']}: ancestor {s['ancestor_ratio']:.1%}, "
            f"exact {s['exact_ratio']:.1%}; named links {s['named']}: right {s['named_ratio']:.1%}; "
            f"false roots {s['false_roots']}; single-root traces drawn with one root "
            f"{s['single_root_drawn_single']}/{s['single_root_traces']} ({s['single_root_ratio']:.1%}); "
            f"root right {s['root_right']}/{s['traces_found']} ({s['root_ratio']:.1%})"
        )
    if a.show_wrong:
        print("\n".join(wrong))
    failed = []
    for m in a.min:
        name, value = m.split("=")
        if s[name] < float(value):
            failed.append(f"{name} {s[name]:.4f} < {value}")
    if failed:
        print("FAIL: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
