#!/usr/bin/env bash
# Regenerates conformance/corpus/ from the pinned libraries (conformance/README.md).
#
#   bash conformance/regenerate.sh            # every corpus
#   ONLY=node bash conformance/regenerate.sh  # one: node | python | rust | polyglot
#
# Needs node + npm (Node 20), python3 (3.11) with pip, and cargo. Installs into
# /tmp/tracegrep-conformance (npm ci from the committed lockfile; pip --target from the pinned
# requirements; cargo builds conformance/rust with its Cargo.lock into a target folder there,
# offline once the crates are in cargo's cache), never into the repository. Ids are seeded, so a rerun writes the same trace and span ids; times, ports and
# durations are the real ones of the run. CI does not run this: the corpus is committed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# A fixed work folder: stack traces in the corpus name it, so reruns stay comparable.
work=/tmp/tracegrep-conformance
out="$work/out"
only="${ONLY:-}"
rm -rf "$out"
mkdir -p "$out"

node_setup() {
  mkdir -p "$work/node"
  cp "$here"/node/package.json "$here"/node/package-lock.json "$here"/node/*.js "$work/node/"
  (cd "$work/node" && npm ci --no-audit --no-fund --loglevel=error)
}

python_setup() {
  mkdir -p "$work/python"
  cp "$here"/python/*.py "$here"/python/requirements.txt "$work/python/"
  python3 -m pip install --quiet --disable-pip-version-check --no-deps --upgrade --target "$work/python/site" \
    -r "$work/python/requirements.txt"
}

if [ -z "$only" ] || [ "$only" = node ]; then
  node_setup
  for lib in pino winston bunyan; do
    flags=()
    # One set of whole-trace exports per SDK is enough: they do not depend on the logger.
    [ "$lib" = pino ] && flags=(--exports)
    (cd "$work/node" && node gen.js "$lib" "$out/node-$lib" "${flags[@]}")
  done
fi

if [ -z "$only" ] || [ "$only" = python ]; then
  if [ -f "$here/python/requirements.txt" ]; then
    python_setup
    for lib in structlog json-logger gcp; do
      flags=()
      [ "$lib" = structlog ] && flags=(--exports)
      (cd "$work/python" && PYTHONPATH="$work/python/site" python3 gen.py "$lib" "$out/python-$lib" "${flags[@]}")
    done
  fi
fi

if [ -z "$only" ] || [ "$only" = rust ]; then
  target="$work/rust-target"
  # Offline first: after one fetch the crates are in cargo's cache and no network is needed.
  build=(cargo build --locked --manifest-path "$here/rust/Cargo.toml" --target-dir "$target")
  "${build[@]}" --offline --quiet 2>/dev/null || "${build[@]}"
  export RUSTC_VERSION="$(rustc --version)"
  "$target/debug/tracegrep-conformance-rust" otel-ids "$out/rust-tracing" --exports
  "$target/debug/tracegrep-conformance-rust" span-fields "$out/rust-tracing-fields"
fi

# Services in different languages in one story: Node and Python processes, W3C context across.
if [ -z "$only" ] || [ "$only" = polyglot ]; then
  if [ "$only" = polyglot ]; then node_setup; python_setup; fi
  (cd "$work/python" && PYTHONPATH="$work/python/site" python3 polyglot.py "$work/node" "$out/polyglot" --exports)
fi

# Jaeger JSON is converted from each OTLP/JSON export (no Jaeger query service runs here).
for otlp in "$out"/*/exports/otlp.json; do
  if [ -f "$otlp" ]; then python3 "$here/jaeger.py" "$(dirname "$otlp")"; fi
done

for dir in "$out"/*/; do
  python3 "$here/envelope.py" "$dir"
  name="$(basename "$dir")"
  rm -rf "$here/corpus/$name"
  mkdir -p "$here/corpus"
  cp -r "$dir" "$here/corpus/$name"
done
du -sh "$here/corpus"
echo "now: cargo test --test tests conformance -- --nocapture"
