#!/usr/bin/env bash
# The parser behind `--all`: the skimmer against serde_json, sonic-rs and simd-json,
# each driving the same extractor (the serde visitor that keeps only aliased fields).
#
#   scripts/bench-parsers.sh [SIZE]      # default 1G of generated logs, kept under $BENCH_DIR
#
# Runs benches/parsers.rs on the generated files: the skimmer (the product's path), serde_json,
# sonic-rs and simd-json, each driving the same extractor visitor over every line, best of five
# passes; the run fails if the parsers disagree on which lines carry a trace id.
# Needs: python3 (the generator).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-1G}
shared=${TRACEGREP_SHARED:-$here/../shared}
dir=${BENCH_DIR:-/tmp/tracegrep-bench}
plain="$dir/plain-$size"
for tool in python3; do
  command -v "$tool" >/dev/null || { echo "bench-parsers.sh: $tool is missing" >&2; exit 2; }
done
[ -f "$plain/truth.json" ] || python3 "$shared/bench/gen_logs.py" --out "$plain" --size "$size" --quiet
logs="$plain/logs"
echo "data: $logs ($(du -sh "$logs" | cut -f1))"
cd "$here" && cargo bench --quiet --bench parsers -- "$logs"/*.jsonl
