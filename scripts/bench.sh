#!/usr/bin/env bash
# Side-by-side benchmark of tracegrep against ripgrep, one trace at a time.
#
#   scripts/bench.sh [SIZE]        # default 1G; data is generated once under $BENCH_DIR
#
# Generates realistic logs with the repository's generator (examples/gen_logs.rs; the gzip set
# is the same files gzipped), then runs
# hyperfine on a warm cache: tracegrep (default view and --format raw) against `rg -F ID` on
# plain files and against `rg -z ID` on gzip files, for the rare needle (~0.001% of lines),
# an absent id, the typical needle (against `rg -F -f` every spelling) and the frequent one.
# Prints the ratio of medians (tracegrep / rg) and the peak RSS of each tool.
# Needs: hyperfine, ripgrep, python3, gzip, /usr/bin/time (apt-get install -y hyperfine ripgrep time).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-1G}
gen="$here/target/release/examples/gen_logs"
dir=${BENCH_DIR:-/tmp/tracegrep-bench/selfgen}
plain="$dir/plain-$size"
gz="$dir/gzip-$size"
tg="$here/target/release/tracegrep"
runs=${RUNS:-10}

for tool in hyperfine rg python3 gzip /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench.sh: $tool is missing" >&2; exit 2; }
done
(cd "$here" && cargo build --release --quiet --bin tracegrep --example gen_logs)
[ -f "$plain/truth.json" ] || "$gen" --out "$plain" --size "$size" --quiet
if [ ! -f "$gz/truth.json" ]; then
  mkdir -p "$gz/logs"
  for f in "$plain"/logs/*; do gzip -c "$f" > "$gz/logs/$(basename "$f").gz"; done
  cp "$plain/truth.json" "$gz/truth.json"
fi
needle() { "$gen" --out "$1" --needle "$2"; }

ratio() {
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]
for other in r[1:]:
    print("  %-16s %.2fx %-4s median %8.1f ms vs %8.1f ms" % (
        other["command"], other["median"] / base["median"], base["command"],
        other["median"] * 1e3, base["median"] * 1e3))
PY
}

peak() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1; }

compare() { # name, then label=command pairs; the first is the baseline
  local name=$1; shift
  local out="$dir/$name.json" args=() pair
  for pair in "$@"; do args+=(-n "${pair%%=*}" "${pair#*=}"); done
  echo "== $name"
  hyperfine -N -i --style none --warmup 2 --runs "$runs" --export-json "$out" "${args[@]}" >/dev/null 2>&1
  ratio "$out"
  for pair in "$@"; do
    # shellcheck disable=SC2086
    printf '  %-16s peak RSS %6d KiB   %s\n' "${pair%%=*}" "$(peak ${pair#*=})" "${pair#*=}"
  done
}

rare=$(needle "$plain" rare); absent=$(needle "$plain" absent)
typical=$(needle "$plain" typical); frequent=$(needle "$plain" frequent)
"$gen" --out "$plain" --spellings typical > "$dir/typical.pat"
echo "data: $plain/logs ($(du -sh "$plain/logs" | cut -f1)), $gz/logs ($(du -sh "$gz/logs" | cut -f1) gzip)"
compare rare "rg=rg -F $rare $plain/logs" "tracegrep=$tg --color never $rare $plain/logs" \
  "tracegrep-raw=$tg --color never --format raw $rare $plain/logs"
compare absent "rg=rg -F $absent $plain/logs" "tracegrep=$tg --color never $absent $plain/logs"
compare typical "rg=rg -F -f $dir/typical.pat $plain/logs" "tracegrep=$tg --color never $typical $plain/logs"
compare frequent "rg=rg -F $frequent $plain/logs" "tracegrep=$tg --color never $frequent $plain/logs"
grare=$(needle "$gz" rare); gabsent=$(needle "$gz" absent)
compare gzip-rare "rg=rg -z -F $grare $gz/logs" "tracegrep=$tg --color never $grare $gz/logs"
compare gzip-absent "rg=rg -z -F $gabsent $gz/logs" "tracegrep=$tg --color never $gabsent $gz/logs"
