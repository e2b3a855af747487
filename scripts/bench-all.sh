#!/usr/bin/env bash
# Every trace: `tracegrep --all` against a pure byte scan and a JSON tool.
#
#   scripts/bench-all.sh [SIZE]      # default 1G of generated logs (examples/gen_logs.rs), kept under $BENCH_DIR
#
# Side by side with hyperfine on a warm cache, the commands interleaved round by round: (a) `rg -c trace DIR`, the floor of reading the
# bytes; (b) `jq -cR 'fromjson? | select(.trace_id != null) | .trace_id'` over the same files
# (`-R` and `fromjson?` so non-JSON lines do not stop it; it reads one convention's field only:
# a lower bound on what a JSON tool costs); (c) `tracegrep --all`
# (table and jsonl); (d) lnav in headless mode (`lnav -n -c ';SELECT …'`) on the one file whose
# convention it can be taught (bunyan, with scripts/lnav/tg_bunyan.json, installed under a
# temporary HOME), against `tracegrep --all` on the same file. (The `hl` on crates.io is an
# unrelated pattern highlighter; the JSON log viewer hl is not published there, so lnav it is.)
# Prints a Markdown table: medians, ratios to the floor, peak RSS; BASE=OLD_BINARY adds an
# older build's rows from the same hyperfine run; pamburus/hl's row when `hl` is on the PATH.
# Needs: hyperfine, ripgrep, jq, python3, /usr/bin/time; lnav (Debian package) for (d).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-1G}
gen="$here/target/release/examples/gen_logs"
dir=${BENCH_DIR:-/tmp/tracegrep-bench/selfgen}
plain="$dir/plain-$size"
tg="$here/target/release/tracegrep"
for tool in hyperfine rg jq python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-all.sh: $tool is missing" >&2; exit 2; }
done
(cd "$here" && cargo build --release --quiet --bin tracegrep --example gen_logs)
[ -f "$plain/truth.json" ] || "$gen" --out "$plain" --size "$size" --quiet
logs="$plain/logs"
echo "data: $logs ($(du -sh "$logs" | cut -f1))"
# The table: each command's median, its ratio to the `rg -c` floor and its peak RSS; with
# BASE=path/to/an/older/tracegrep, that build's figures beside (the same hyperfine run).
cmds=(-n rg-count "rg -c trace $logs"
  -n tracegrep-table "$tg --all -q --limit 20 $logs"
  -n tracegrep-csv "$tg --all -q --format csv $logs"
  -n tracegrep-jsonl "$tg --all -q --format jsonl $logs")
if [ -n "${BASE:-}" ]; then
  cmds+=(-n base-table "$BASE --all -q --limit 20 $logs"
    -n base-csv "$BASE --all -q --format csv $logs"
    -n base-jsonl "$BASE --all -q --format jsonl $logs")
fi
if command -v hl >/dev/null; then
  cmds+=(-n hl "hl -P -o /dev/null $logs/*.jsonl")
fi
# Interleaved: one hyperfine run per round, each command once in turn, so that the machine's
# drift (on shared machines the same build varies by a third within minutes) falls on every
# command alike instead of on whichever ran last. The first round only warms the cache.
rounds=${RUNS:-5}
for r in $(seq 0 "$rounds"); do
  hyperfine -N -i --style none --runs 1 --export-json "$dir/all-$r.json" "${cmds[@]}" >/dev/null 2>&1
done
python3 - "$dir" "$rounds" > "$dir/all.json" <<'PY'
import json, statistics, sys
times = {}
for r in range(1, int(sys.argv[2]) + 1):
    for x in json.load(open("%s/all-%d.json" % (sys.argv[1], r)))["results"]:
        times.setdefault(x["command"], []).extend(x["times"])
print(json.dumps({"results": [{"command": c, "median": statistics.median(t), "times": t}
                              for c, t in times.items()]}))
PY
hyperfine -i --style none --warmup 0 --runs "${JQ_RUNS:-2}" --export-json "$dir/all-jq.json" \
  -n jq "jq -cR 'fromjson? | select(.trace_id != null) | .trace_id' $logs/*.jsonl > /dev/null" >/dev/null 2>&1
rss() { /usr/bin/time -f %M sh -c "$1 >/dev/null 2>&1" 2>&1 | tail -1; }
{
  echo "rg-count $(rss "rg -c trace $logs")"
  for f in table csv jsonl; do
    case $f in table) a="--limit 20" ;; *) a="--format $f" ;; esac
    echo "tracegrep-$f $(rss "$tg --all -q $a $logs")"
    [ -n "${BASE:-}" ] && echo "base-$f $(rss "$BASE --all -q $a $logs")"
  done
  command -v hl >/dev/null && echo "hl $(rss "hl -P -o /dev/null $logs/*.jsonl")"
} > "$dir/all-rss.txt"
python3 - "$dir/all.json" "$dir/all-jq.json" "$dir/all-rss.txt" <<'PY'
import json, sys
r = {x["command"]: x["median"] for f in sys.argv[1:3] for x in json.load(open(f))["results"]}
rss = dict(l.split() for l in open(sys.argv[3]) if l.strip())
floor = r["rg-count"]
print("| command | median wall | × the rg -c floor | peak memory |")
print("|---|---|---|---|")
for name in ["rg-count", "tracegrep-table", "tracegrep-csv", "tracegrep-jsonl",
             "base-table", "base-csv", "base-jsonl", "hl", "jq"]:
    if name in r:
        mem = "%d MB" % (int(rss[name]) // 1024) if name in rss else "-"
        print("| %s | %.2f s | %.1f× | %s |" % (name, r[name], r[name] / floor, mem))
times = {x["command"]: x.get("times", []) for x in json.load(open(sys.argv[1]))["results"]}
for f in ["table", "csv", "jsonl"]:
    new, old = times.get("tracegrep-" + f, []), times.get("base-" + f, [])
    if new and len(new) == len(old):
        # Round by round, each build against the other in the same minute.
        ratios = sorted(n / o for n, o in zip(new, old))
        print("%s: this build / BASE, round by round: median %.3f (%s)"
              % (f, ratios[len(ratios) // 2], " ".join("%.2f" % q for q in ratios)))
if "hl" in r:
    print("tracegrep-jsonl is %.2f× faster than hl" % (r["hl"] / r["tracegrep-jsonl"]))
else:
    print("hl (pamburus/hl) not installed: its column is left out")
PY
echo "input $(du -sk "$logs" | cut -f1) KiB"

if command -v lnav >/dev/null; then
  home=$(mktemp -d)
  mkdir -p "$home/.lnav/formats/installed"
  cp "$here/scripts/lnav/tg_bunyan.json" "$home/.lnav/formats/installed/"
  one="$logs/cart.jsonl"
  echo "lnav: $one ($(du -sh "$one" | cut -f1)), bunyan"
  HOME=$home hyperfine -N -i --style none --warmup 1 --runs "${RUNS:-5}" --export-json "$dir/all-lnav.json" \
    -n lnav "lnav -n -c ';SELECT trace_id, count(*) FROM tg_bunyan GROUP BY trace_id' $one" \
    -n tracegrep "$tg --all -q --format csv $one" >/dev/null 2>&1
  python3 - "$dir/all-lnav.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print("lnav (headless) median %6.0f ms, tracegrep --all %5.0f ms: tracegrep %.1fx faster"
      % (r["lnav"] * 1e3, r["tracegrep"] * 1e3, r["lnav"] / r["tracegrep"]))
PY
  echo "peak RSS on that file: lnav $(HOME=$home /usr/bin/time -f %M lnav -n -c ';SELECT trace_id, count(*) FROM tg_bunyan GROUP BY trace_id' "$one" 2>&1 >/dev/null | tail -1) KiB," \
    "tracegrep $(/usr/bin/time -f %M "$tg" --all -q --format csv "$one" 2>&1 >/dev/null | tail -1) KiB"
  rm -rf "$home"
else
  echo "lnav: not installed (apt-get install lnav), skipped"
fi
