#!/usr/bin/env python3
"""Seeds the fuzz corpora (fuzz/corpus/TARGET/) from fixtures/: lines for the line targets
(and runs of lines for the extractor), whole files for the document and pipeline targets.
Inputs already there (what fuzzing found) are kept. Run by scripts/fuzz.sh; the corpora are not
committed (they grow as fuzzing runs)."""
import hashlib
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "fixtures")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
# Inputs longer than libFuzzer's -max_len are cut by it anyway.
MAX_FILE = 64 * 1024


def put(target, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    path = os.path.join(d, name)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)


def main():
    files = []
    for dirpath, _, names in os.walk(FIXTURES):
        for n in sorted(names):
            if n.endswith((".gz", ".zst", ".md")):
                continue
            with open(os.path.join(dirpath, n), "rb") as f:
                files.append((dirpath, f.read()))
    times = set()
    for dirpath, data in files:
        put("pipeline", data[:MAX_FILE])
        # Runs of lines too: the extractor learns each key's successors from the lines before.
        put("extract", b"\n".join(data.split(b"\n")[:40])[:MAX_FILE])
        if re.search(rb"resourceSpans|resourceLogs|traceID|traceId", data):
            put("whole", data[:MAX_FILE])
        for line in data.split(b"\n")[:400]:
            if not line.strip():
                continue
            put("envelope", line)
            brace = line.find(b"{")
            if brace >= 0:
                put("extract", line[brace:])
            for m in re.finditer(rb'"([0-9a-fA-F-]{16,36})"', line):
                put("ids", m.group(1))
            for m in re.finditer(rb'"(\d{4}-\d\d-\d\d[T ][^"]{8,30}|\d{9,20}(?:\.\d+)?|[\d.]+(?:ns|us|\xc2\xb5s|ms|s|m|h))"', line):
                times.add(m.group(1))
    for t in times:
        put("time", t)
    for target in ("extract", "envelope", "ids", "time", "whole", "pipeline"):
        d = os.path.join(CORPUS, target)
        n = len(os.listdir(d)) if os.path.isdir(d) else 0
        print(f"fuzz/corpus/{target}: {n} inputs", file=sys.stderr)


main()
