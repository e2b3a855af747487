#!/usr/bin/env bash
# Streams: throughput through a pipe against `rg -F`, and peak memory on a long
# kubectl stream.
#
#   scripts/bench-stream.sh [SIZE] [STREAM_GB]     # default 1G of kubectl logs, a 5 GB stream
#
# 1. Generates one `kubectl logs --prefix --timestamps` stream with the repository's generator
#    (examples/gen_logs.rs --kubectl), then times `cat FILE | rg -F ID` against `cat FILE | tracegrep ID` with
#    hyperfine (warm cache) for the typical and the absent needle, and prints the ratio of
#    medians (tracegrep / rg: below 1 is faster).
# 2. Pipes STREAM_GB gigabytes of generator output straight into tracegrep (the generator's own
#    `--stdout`) and reports tracegrep's peak RSS with
#    /usr/bin/time: memory must not grow with the length of the stream.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-1G}
stream_gb=${2:-5}
gen="$here/target/release/examples/gen_logs"
dir=${BENCH_DIR:-/tmp/tracegrep-bench/selfgen}
kube="$dir/kubectl-$size"
tg="$here/target/release/tracegrep"
for tool in hyperfine rg python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-stream.sh: $tool is missing" >&2; exit 2; }
done
(cd "$here" && cargo build --release --quiet --bin tracegrep --example gen_logs)
[ -f "$kube/truth.json" ] || "$gen" --out "$kube" --size "$size" --kubectl --quiet
file="$kube/logs/kubectl.log"
typical=$("$gen" --out "$kube" --needle typical)
absent=$("$gen" --out "$kube" --needle absent)
echo "stream: $file ($(du -sh "$file" | cut -f1))"
for needle in typical absent; do
  id=${!needle}
  hyperfine -i --style none --warmup 2 --runs "${RUNS:-10}" --export-json "$dir/pipe-$needle.json" \
    -n rg "cat $file | rg -F $id" -n tracegrep "cat $file | $tg --color never $id" >/dev/null 2>&1
  python3 - "$dir/pipe-$needle.json" "$needle" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print("pipe %-8s tracegrep/rg %.2fx  median %.1f ms vs %.1f ms" % (
    sys.argv[2], r[1]["median"] / r[0]["median"], r[1]["median"] * 1e3, r[0]["median"] * 1e3))
PY
done
echo "peak RSS reading $stream_gb GB of a generated kubectl stream from a pipe:"
rm -rf "$dir/stream-tmp"
"$gen" --out "$dir/stream-tmp" --size "${stream_gb}G" --kubectl --stdout --quiet \
  | /usr/bin/time -f "%M KiB peak RSS, %e s" "$tg" --color never "$absent" 2>&1 >/dev/null | tail -1 \
  || true # the absent id: tracegrep exits 1, as it should
rm -rf "$dir/stream-tmp"
