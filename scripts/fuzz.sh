#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets/) for SECONDS each (default 60), one at a time on
# one worker, with a corpus seeded from fixtures/ and the dictionaries of fuzz/dict/. Needs the
# nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). A crash stops the run and
# leaves the input in fuzz/artifacts/TARGET/; CONTRIBUTING.md says how to replay it.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# FUZZ_TIMEOUT=S (default 10) is the seconds one input may take before it counts as a hang;
# raise it when the machine is shared with builds, which can starve a niced fuzzer.
# FUZZ_WORKERS=N runs each target in libFuzzer's fork mode on N processes (for long runs on a
# machine given to fuzzing); the default is one process.
# Runs under `nice` so that it can share a machine; RAYON_NUM_THREADS=1 keeps the pipeline
# target on one core.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(extract envelope ids time whole pipeline)
fi
python3 scripts/fuzz-seed.py
mkdir -p fuzz/target
cat fuzz/dict/*.dict >fuzz/target/all.dict
export RAYON_NUM_THREADS=1
for t in "${targets[@]}"; do
  echo "== fuzz $t for ${secs}s"
  log=fuzz/target/$t.log
  status=0
  # One process writes straight to the log; fork mode keeps its workers' output in the log too.
  # (No -jobs: it writes fuzz-0.log into the working directory, so two runs side by side clash.)
  parallel=()
  if [ "${FUZZ_WORKERS:-1}" -gt 1 ]; then
    parallel=(-fork="$FUZZ_WORKERS")
  fi
  nice -n 19 cargo +nightly fuzz run "$t" -- \
    -max_total_time="$secs" ${parallel[@]+"${parallel[@]}"} -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 \
    -max_len=65536 -dict=fuzz/target/all.dict -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -hE 'stat::(number_of_executed_units|average_exec_per_sec)|^Done|INFO: fuzzed for' "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$log" >&2
    echo "fuzz target $t failed (log: $log, input: fuzz/artifacts/$t/)" >&2
    exit 1
  fi
done
