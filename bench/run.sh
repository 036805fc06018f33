#!/usr/bin/env bash
# profview against its peers on the same perf.data files, in the same run.
#
#   bench/run.sh            # full size: ~1M-sample fp files, 100k+-sample DWARF file
#   SCALE=0.1 bench/run.sh  # a tenth of the recording time, for a quick look
#
# Records three files with the shared fixtures' binaries: `fp`, a multithreaded C lock workload
# with frame pointers (shallow stacks, few distinct ones); `fp-deep`, a rayon workload with frame
# pointers (40 frames deep, ~60k distinct stacks); `dwarf`, the rayon workload with DWARF call
# graphs. Then times on each:
#   profview report --no-inline          vs  perf report --stdio --no-children
#   profview collapse                    vs  perf script | inferno-collapse-perf
# and, on fp-deep and a second recording of the same program (fp-deep-2):
#   profview diff                        vs  perf diff
# with hyperfine (warm cache, median of several runs) and peak memory from /usr/bin/time -v.
# Needs root (perf record), perf, hyperfine and inferno-collapse-perf (cargo install inferno).
# Prints a table with the ratios; outputs go to bench/out/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-1}
RUNS=${RUNS:-3}
FIX=${PROFVIEW_FIXTURES:-../shared/fixtures}
OUT=bench/out
mkdir -p "$OUT"
KALLSYMS=/proc/kallsyms

for tool in perf hyperfine inferno-collapse-perf /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
cargo build --release --locked -q
PV=$PWD/target/release/profview

secs() { awk -v s="$1" -v k="$SCALE" 'BEGIN { printf "%.1f", s * k }'; }

record() { # name, perf args..., -- command
  local name=$1; shift
  if [ ! -s "$OUT/$name.perf.data" ]; then
    echo "== recording $name"
    perf record -q -o "$OUT/$name.perf.data" "$@" 2>&1 | tail -2 >&2
  fi
}

rounds() { awk -v r="$1" -v k="$SCALE" 'BEGIN { printf "%d", r * k + 1 }'; }

# fp: the issue's large frame-pointer file: a multithreaded C program (bench/workload/layers.c,
# 8 threads, ~19-frame stacks with the kernel's futex and page-fault paths) at 20 kHz: ~1.6M
# samples, ~350 MB. fp-half: the same program for half as long (memory must not follow size).
LAYERS=$OUT/layers
[ -x "$LAYERS" ] || gcc -O2 -g -fno-omit-frame-pointer -pthread -o "$LAYERS" bench/workload/layers.c
record fp -F 20000 --call-graph fp -- "$LAYERS" "$(secs 54)" 8
record fp-half -F 20000 --call-graph fp -- "$LAYERS" "$(secs 27)" 8
# fp-deep: rayon (its argument is a number of rounds, ~6 ms each on 2 cores), 40-frame stacks.
record fp-deep -F 20000 --call-graph fp -- "$FIX/rayon/rayon_tiny" "$(rounds 4000)"
# dwarf: the same rayon program on 4 threads, 3 KB stack copies at 4 kHz: ~170k samples, ~550 MB.
record dwarf -F 4000 --call-graph dwarf,3072 -- env RAYON_NUM_THREADS=4 "$FIX/rayon/rayon_tiny" "$(rounds 3600)"
# fp-deep-2: the same program again, the other side of the diff benchmark.
record fp-deep-2 -F 20000 --call-graph fp -- "$FIX/rayon/rayon_tiny" "$(rounds 4000)"

peak_mb() { # command...: peak RSS in MB
  /usr/bin/time -v "$@" >/dev/null 2>"$OUT/time.log" || true
  awk '/Maximum resident set size/ { printf "%.0f", $6 / 1024 }' "$OUT/time.log"
}

median_s() { # json file, command index
  python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][int(sys.argv[2])]; print(f\"{r['median']:.3f}\")" "$1" "$2"
}

printf '\n%-6s %-44s %10s %10s %8s\n' file command "median s" "peak MB" ratio
for name in fp fp-deep dwarf; do
  data=$OUT/$name.perf.data
  syms="--symbol-path $FIX/contention --symbol-path $FIX/rayon --kallsyms $KALLSYMS"
  samples=$( (perf report -i "$data" --stdio --no-children 2>/dev/null || true) | awk '/^# Samples:/ { print $3 }' | head -1)
  echo "# $name: $(du -h "$data" | cut -f1), $samples samples" >&2
  cmds=(
    "$PV report --no-inline $syms $data"
    "perf report -i $data --stdio --no-children"
    "$PV collapse --no-inline $syms $data"
    "sh -c 'perf script -i $data | inferno-collapse-perf'"
  )
  hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/$name.json" \
    "${cmds[@]}" >/dev/null 2>&1 || hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUT/$name.json" "${cmds[@]}" >/dev/null
  t=(); m=()
  for i in 0 1 2 3; do
    t+=("$(median_s "$OUT/$name.json" $i)")
    m+=("$(eval peak_mb "${cmds[$i]}")")
  done
  labels=("profview report" "perf report --stdio --no-children" "profview collapse" "perf script | inferno-collapse-perf")
  for i in 0 1 2 3; do
    peer=$(( i - i % 2 + 1 ))
    ratio=$(awk -v a="${t[$peer]}" -v b="${t[$i]}" 'BEGIN { printf "%.1fx", a / b }')
    [ $((i % 2)) = 1 ] && ratio="1.0x"
    printf '%-6s %-44s %10s %10s %8s\n' "$name" "${labels[$i]}" "${t[$i]}" "${m[$i]}" "$ratio"
  done
done

# diff: two recordings of the same program, against perf diff and the inferno pipeline.
a=$OUT/fp-deep.perf.data; b=$OUT/fp-deep-2.perf.data
syms="--symbol-path $FIX/rayon --kallsyms $KALLSYMS"
cmds=(
  "$PV diff --no-inline $syms $a $b"
  "perf diff $a $b"
  "sh -c '$PV collapse --no-inline $syms $a > $OUT/a.folded; $PV collapse --no-inline $syms $b > $OUT/b.folded; inferno-diff-folded $OUT/a.folded $OUT/b.folded'"
  "sh -c 'perf script -i $a | inferno-collapse-perf > $OUT/a.folded; perf script -i $b | inferno-collapse-perf > $OUT/b.folded; inferno-diff-folded $OUT/a.folded $OUT/b.folded'"
)
hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUT/diff.json" "${cmds[@]}" >/dev/null
labels=("profview diff" "perf diff" "profview collapse x2 | inferno-diff-folded" "perf script | inferno-collapse-perf x2 | diff")
t=(); m=()
for i in 0 1 2 3; do
  t+=("$(median_s "$OUT/diff.json" $i)")
  m+=("$(eval peak_mb "${cmds[$i]}")")
done
for i in 0 1 2 3; do
  peer=$(( i - i % 2 + 1 ))
  ratio=$(awk -v a="${t[$peer]}" -v b="${t[$i]}" 'BEGIN { printf "%.1fx", a / b }')
  [ $((i % 2)) = 1 ] && ratio="1.0x"
  printf '%-6s %-44s %10s %10s %8s\n' diff "${labels[$i]}" "${t[$i]}" "${m[$i]}" "$ratio"
done
echo "(ratio: the peer's median time divided by this command's, per pair)"
