#!/usr/bin/env bash
# Fuzz every target in turn (needs the nightly toolchain and cargo-fuzz):
#
#   fuzz/run.sh                 # 10 minutes per target
#   SECS=60 fuzz/run.sh elf     # one target, one minute
#
# The kept inputs in testdata/fuzz/<target>/ seed each run; what the fuzzer finds goes to
# fuzz/corpus/<target>/ (not committed) and crashes to fuzz/artifacts/<target>/. A crash input,
# once fixed, is copied into testdata/fuzz/<target>/ so that the tests replay it for good.
# Limits: 10 s per input (a hang), 2 GB of memory (a runaway allocation). Fork mode: a crash
# is saved and the run goes on. Leak reports are off: they come from threads still running
# at exit, not from lost memory that grows.
set -uo pipefail
cd "$(dirname "$0")"
SECS=${SECS:-600}
targets=("$@")
[ ${#targets[@]} = 0 ] && targets=(perf_data folded firefox any_input elf heap pprof)
cargo +nightly fuzz build -O "${targets[@]/#/}" >/dev/null 2>&1 || cargo +nightly fuzz build -O
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  echo "== $t for ${SECS}s"
  cargo +nightly fuzz run -O "$t" "corpus/$t" "../testdata/fuzz/$t" -- \
    -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 -detect_leaks=0 \
    >"artifacts/$t.log" 2>&1
  echo "exit $?"; grep -E "^#[0-9]+: cov|SUMMARY" "artifacts/$t.log" | tail -1
  ls "artifacts/$t" | head
done
