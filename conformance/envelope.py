#!/usr/bin/env python3
"""Wraps a corpus's real log lines in the envelopes that collectors add, and checks the corpus.

    python3 envelope.py CORPUS_DIR

Reads CORPUS_DIR/truth.json and CORPUS_DIR/logs/*.log. Each log file must hold exactly one line
per call the program logged (truth.json `lines`, in order): that is checked first, so a library
that writes two lines, or drops one, stops the regeneration. The outer timestamps are the
program's clock at the call (truth `time_ns`) plus a fixed 150 us, as the kubelet or Docker
stamps a line a little after the application wrote it.

Writes:
  envelopes/kubectl.log        `kubectl logs -f --prefix --timestamps` of every pod, in time order
  envelopes/docker/ID-json.log Docker's json-file driver, one file per container, named by the
                               container id as under /var/lib/docker/containers/ID/
  envelopes/cri/NAME/0.log     CRI (containerd) files as under /var/log/pods/POD/NAME/0.log
The file names say nothing of the service (the container id, `0.log`), as on a real node: the
service must come from the record.
"""
import hashlib
import json
import os
import sys
import time
from collections import defaultdict

DELAY_NS = 150_000


def rfc3339_nano(ns, trim):
    """RFC 3339 with 9 fraction digits (kubectl, CRI) or trailing zeros trimmed (Go's
    RFC3339Nano, which Docker writes)."""
    secs, frac = divmod(ns, 1_000_000_000)

    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    digits = f"{frac:09d}"
    if trim:
        digits = digits.rstrip("0")
        return f"{base}.{digits}Z" if digits else f"{base}Z"
    return f"{base}.{digits}Z"


def go_json(value):
    """JSON as Go's encoding/json writes it: HTML characters escaped, no spaces."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def main():
    corpus = sys.argv[1]
    truth = json.load(open(os.path.join(corpus, "truth.json")))
    calls = defaultdict(list)
    for line in truth["lines"]:
        calls[line["file"]].append(line)
    entries = []  # (time_ns, service, text)
    for file, wanted in sorted(calls.items()):
        with open(os.path.join(corpus, file), encoding="utf-8") as f:
            got = f.read().splitlines()
        if len(got) != len(wanted):
            sys.exit(f"{corpus}/{file}: {len(got)} lines written, {len(wanted)} calls logged")
        for call, text in zip(wanted, got):
            entries.append((int(call["time_ns"]) + DELAY_NS, call["service"], text))
    entries.sort(key=lambda e: e[0])

    out = os.path.join(corpus, "envelopes")
    os.makedirs(os.path.join(out, "docker"), exist_ok=True)
    with open(os.path.join(out, "kubectl.log"), "w", encoding="utf-8") as k:
        for ns, service, text in entries:
            pod = f"{service}-7d9f8b6c5-x2x9z"
            k.write(f"[pod/{pod}/{service}] {rfc3339_nano(ns, False)} {text}\n")
    by_service = defaultdict(list)
    for ns, service, text in entries:
        by_service[service].append((ns, text))
    for service, lines in sorted(by_service.items()):
        container_id = hashlib.sha256(service.encode()).hexdigest()
        with open(os.path.join(out, "docker", f"{container_id}-json.log"), "w", encoding="utf-8") as d:
            for ns, text in lines:
                d.write(go_json({"log": text + "\n", "stream": "stdout", "time": rfc3339_nano(ns, True)}) + "\n")
        os.makedirs(os.path.join(out, "cri", service), exist_ok=True)
        with open(os.path.join(out, "cri", service, "0.log"), "w", encoding="utf-8") as c:
            for ns, text in lines:
                c.write(f"{rfc3339_nano(ns, False)} stdout F {text}\n")


if __name__ == "__main__":
    main()
