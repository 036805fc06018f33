#!/usr/bin/env bash
# Build the fuzz targets with the stable toolchain (no coverage instrumentation, so no nightly
# needed) and run each over its kept inputs in testdata/fuzz/<target>/: what CI does. A crash,
# a hang (10 s) or a runaway allocation (2 GB) fails. fuzz/run.sh is the real fuzzing.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --locked --bins -q
for t in perf_data folded firefox any_input elf heap pprof; do
  log=$(mktemp)
  if ! ./target/release/"$t" -runs=0 -timeout=10 -rss_limit_mb=2048 "../testdata/fuzz/$t" >"$log" 2>&1; then
    cat "$log"; rm -f "$log"
    echo "fuzz replay: $t failed" >&2
    exit 1
  fi
  echo "$t: $(ls "../testdata/fuzz/$t" | wc -l) inputs replayed"
  rm -f "$log"
done
