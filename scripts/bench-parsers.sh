#!/usr/bin/env bash
# The parser behind `--all`: the skimmer against serde_json, sonic-rs and simd-json,
# each driving the same extractor (the serde visitor that keeps only aliased fields).
#
#   scripts/bench-parsers.sh [SIZE]      # default 1G of generated logs (examples/gen_logs.rs), kept under $BENCH_DIR
#
# Runs benches/parsers.rs on the generated files: the skimmer (the product's path), serde_json,
# sonic-rs and simd-json, each driving the same extractor visitor over every line, best of five
# passes; the run fails if the parsers disagree on which lines carry a trace id.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-1G}
gen="$here/target/release/examples/gen_logs"
dir=${BENCH_DIR:-/tmp/tracegrep-bench/selfgen}
plain="$dir/plain-$size"
(cd "$here" && cargo build --release --quiet --example gen_logs)
[ -f "$plain/truth.json" ] || "$gen" --out "$plain" --size "$size" --quiet
logs="$plain/logs"
echo "data: $logs ($(du -sh "$logs" | cut -f1))"
cd "$here" && cargo bench --quiet --bench parsers -- "$logs"/*.jsonl
