#!/usr/bin/env bash
# The parser behind `--all` (issue #5): the skimmer against serde_json, sonic-rs and simd-json,
# each driving the same extractor (the serde visitor that keeps only aliased fields).
#
#   scripts/bench-parsers.sh [SIZE]      # default 1G of generated logs (examples/gen_logs.rs), kept under $BENCH_DIR
#
# Builds tracegrep with the `parser-bench` feature (its own target directory), checks that every
# parser gives the same `--all --format jsonl` output on the data, then runs side by side with
# hyperfine on a warm cache: `rg -c trace` (the floor of reading the bytes), tracegrep with no
# extraction at all (the cost of everything around the parser), and `--all --format csv` with
# TRACEGREP_PARSER=skim|serde|sonic|simd. Prints ratios of medians to the floor.
# Needs: hyperfine, ripgrep, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-1G}
gen="$here/target/release/examples/gen_logs"
dir=${BENCH_DIR:-/tmp/tracegrep-bench/selfgen}
plain="$dir/plain-$size"
target="$here/target/parser-bench"
tg="$target/release/tracegrep"
for tool in hyperfine rg python3; do
  command -v "$tool" >/dev/null || { echo "bench-parsers.sh: $tool is missing" >&2; exit 2; }
done
(cd "$here" && cargo build --release --quiet --features parser-bench --target-dir "$target")
(cd "$here" && cargo build --release --quiet --example gen_logs)
[ -f "$plain/truth.json" ] || "$gen" --out "$plain" --size "$size" --quiet
logs="$plain/logs"
echo "data: $logs ($(du -sh "$logs" | cut -f1))"
for p in skim serde sonic simd; do
  sum=$(TRACEGREP_PARSER=$p "$tg" --all -q --format jsonl "$logs" | md5sum | cut -d' ' -f1)
  echo "  $p: md5 of --all --format jsonl $sum"
done | tee "$dir/parsers-md5.txt"
if [ "$(cut -d' ' -f6 "$dir/parsers-md5.txt" | sort -u | wc -l)" -ne 1 ]; then
  echo "bench-parsers.sh: the parsers disagree" >&2
  exit 1
fi
run=(hyperfine -N -i --style none --warmup 1 --runs "${RUNS:-5}" --export-json "$dir/parsers.json"
  -n rg-count "rg -c trace $logs")
for p in none skim serde sonic simd; do
  run+=(-n "$p" "env TRACEGREP_PARSER=$p $tg --all -q --format csv $logs")
done
"${run[@]}" >/dev/null 2>&1
python3 - "$dir/parsers.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
floor = r["rg-count"]
print(f"{'':28}{'median':>10}{'× rg floor':>12}{'× skim':>9}")
for name, label in [("rg-count", "rg -c trace (floor)"), ("none", "tracegrep, no extraction"),
                    ("skim", "skimmer + serde_json"), ("serde", "serde_json only"),
                    ("sonic", "sonic-rs only"), ("simd", "simd-json only (copies)")]:
    t = r[name]
    print(f"{label:28}{t*1000:>8.0f}ms{t/floor:>11.1f}×{t/r['skim']:>8.2f}×")
PY
