#!/usr/bin/env bash
# profview against its peers on the same perf.data files, in the same run.
#
#   bench/run.sh            # full size: the files of issue 8 (~390 MB fp, ~540 MB DWARF)
#   SCALE=0.1 bench/run.sh  # a tenth of the recording time, for a quick look
#   RECORD_ONLY=1 bench/run.sh  # only record the files (for profiling profview on them)
#
# Records (once; kept in bench/out/): `fp`, a multithreaded C program with ~19-frame stacks
# (bench/workload/layers.c, 8 threads, 20 kHz, ~2M samples, ~390 MB) and `fp-half`, the same
# for half as long; `dwarf`, the fixtures' rayon program on 4 threads with `--call-graph
# dwarf,3072` (~170k samples, ~540 MB); `fp-deep` and `fp-deep-2`, the rayon program with frame
# pointers (40-frame stacks, many distinct ones); `hc`, a million distinct stacks (a binary
# recursion beside the rayon program) and `procs`, 3,000 short processes (issue 20). Then, on
# fp, dwarf, fp-deep, hc and procs:
#   profview report --no-inline   vs  perf report --stdio --no-children, samply import
#   profview collapse             vs  perf script | inferno-collapse-perf
#   profview report on one core (taskset -c 0), for the speed-up from the second core
# the peak memory of fp-half against fp (memory must follow distinct stacks, not file size),
# the terminal browser's first screen on fp (tmux), and on fp-deep against fp-deep-2:
#   profview diff                 vs  perf diff
# with hyperfine (warm cache, median of several runs) and peak memory from /usr/bin/time -v.
# Needs root (perf record), perf, gcc, hyperfine, inferno-collapse-perf (cargo install inferno),
# samply (cargo install samply), tmux and taskset. Prints the table; outputs go to bench/out/.
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
# hc (issue 20): a million distinct stacks: a binary recursion to depth 20 with two call sites
# (bench/workload/recurse.c) beside the rayon program on 4 threads, 45 s at 20 kHz: ~1.6M
# samples, ~380 MB, ~2.2M stack nodes.
RECURSE=$OUT/recurse
[ -x "$RECURSE" ] || gcc -O2 -g -fno-omit-frame-pointer -o "$RECURSE" bench/workload/recurse.c
record hc -F 20000 -g -- sh -c "RAYON_NUM_THREADS=4 $FIX/rayon/rayon_tiny $(rounds 3000) >/dev/null & $RECURSE $(secs 45); wait"
# procs (issue 20): 3,000 short processes, sha1sum of 16 MB in a shell loop, at 5 kHz: ~700k
# samples in 6,000 threads, ~54 MB.
if [ ! -s "$OUT/sha.in" ]; then head -c 16000000 /dev/urandom > "$OUT/sha.in"; fi
record procs -F 4999 -g -- sh -c "for i in \$(seq $(rounds 3000)); do sha1sum $OUT/sha.in >/dev/null; done"
# heap: a heaptrack recording of 20M allocation events (testdata/heap/churn.c at 10M rounds),
# ~60 KB compressed, ~210 MB of events unpacked.
HEAP=$OUT/heap.heaptrack.zst
if [ ! -s "$HEAP" ] && command -v heaptrack >/dev/null; then
  echo "== recording heap"
  gcc -O1 -g -fno-omit-frame-pointer -o "$OUT/heapchurn" testdata/heap/churn.c
  heaptrack -o "$OUT/heap.heaptrack" "$OUT/heapchurn" "$(awk -v k="$SCALE" 'BEGIN { printf "%d", 10000000 * k }')" >/dev/null 2>&1
fi
[ "${RECORD_ONLY:-0}" = 1 ] && exit 0

peak_mb() { # command...: peak RSS in MB; the command's exit status goes to $OUT/status
  local status=0
  /usr/bin/time -v "$@" >/dev/null 2>"$OUT/time.log" || status=$?
  echo "$status" >"$OUT/status"
  awk '/Maximum resident set size/ { printf "%.0f", $6 / 1024 }' "$OUT/time.log"
}

median_s() { # json file, command index
  python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][int(sys.argv[2])]; print(f\"{r['median']:.3f}\")" "$1" "$2"
}

# One table row per command: file, label, median seconds, peak MB, ratios against the peers
# (each peer's median divided by this command's: above 1 means profview is faster).
row() { # file, label, seconds, MB, ratios
  printf '%-8s %-40s %9s %9s  %s\n' "$1" "$2" "$3" "$4" "$5"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }

tui_first_screen() { # data file, options...: seconds from start to the Summary with its top
  # functions on screen, and to its findings (computed beside it, shown when they come)
  local data=$1; shift
  command -v tmux >/dev/null || { echo "- -"; return; }
  tmux kill-session -t pvbench 2>/dev/null || true
  local start end found
  start=$(date +%s.%N)
  tmux new-session -d -s pvbench -x 160 -y 48 "$PV tui $* $data"
  until tmux capture-pane -p -t pvbench 2>/dev/null | grep -q "Top functions"; do sleep 0.01; done
  end=$(date +%s.%N)
  while tmux capture-pane -p -t pvbench 2>/dev/null | grep -q "analyzing…"; do sleep 0.01; done
  found=$(date +%s.%N)
  tmux send-keys -t pvbench q 2>/dev/null || true
  sleep 0.2; tmux kill-session -t pvbench 2>/dev/null || true
  awk -v a="$start" -v b="$end" -v c="$found" 'BEGIN { printf "%.3f %.3f", b - a, c - a }'
}

echo
row file command "median s" "peak MB" "ratio (peer / this)"
for name in fp dwarf fp-deep hc procs; do
  data=$OUT/$name.perf.data
  syms="--symbol-path $FIX/rayon --symbol-path $OUT --kallsyms $KALLSYMS"
  samples=$( (perf report -i "$data" --stdio --no-children 2>/dev/null || true) | awk '/^# Samples:/ { print $3 }' | head -1)
  echo "# $name: $(du -h "$data" | cut -f1), $samples samples" >&2
  labels=("profview report" "perf report --stdio --no-children" "samply import"
    "profview collapse" "perf script | inferno-collapse-perf" "profview report, 1 core (taskset)")
  cmds=(
    "$PV report --no-inline $syms $data"
    "perf report -i $data --stdio --no-children"
    "samply import $data --save-only --no-open -o $OUT/$name.samply.json.gz"
    "$PV collapse --no-inline $syms $data"
    "sh -c 'perf script -i $data | inferno-collapse-perf'"
    "taskset -c 0 $PV report --no-inline $syms $data"
  )
  command -v samply >/dev/null || { labels[2]="samply import (not installed)"; cmds[2]="true"; }
  command -v taskset >/dev/null || { cmds[5]="true"; }
  hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/$name.json" "${cmds[@]}" >/dev/null 2>&1 ||
    hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUT/$name.json" "${cmds[@]}" >/dev/null
  t=(); m=()
  for i in "${!cmds[@]}"; do
    t+=("$(median_s "$OUT/$name.json" "$i")")
    m+=("$(eval peak_mb "${cmds[$i]}")")
  done
  # A peer that is not installed gives no ratio (its stand-in `true` takes no time).
  vs_samply="no samply"
  [ "${cmds[2]}" = true ] || vs_samply="$(ratio "${t[2]}" "${t[0]}") vs samply"
  row "$name" "${labels[0]}" "${t[0]}" "${m[0]}" "$(ratio "${t[1]}" "${t[0]}") vs perf report, $vs_samply; memory $(awk -v a="${m[0]}" -v b="${m[1]}" 'BEGIN { printf "%.2f", a / b }')x perf report's"
  row "$name" "${labels[1]}" "${t[1]}" "${m[1]}" ""
  row "$name" "${labels[2]}" "${t[2]}" "${m[2]}" ""
  row "$name" "${labels[3]}" "${t[3]}" "${m[3]}" "$(ratio "${t[4]}" "${t[3]}") vs perf script | inferno"
  row "$name" "${labels[4]}" "${t[4]}" "${m[4]}" ""
  row "$name" "${labels[5]}" "${t[5]}" "${m[5]}" "2 cores are $(ratio "${t[5]}" "${t[0]}") faster"
done

# The report against perf report again, alternating the two for 3x RUNS rounds: on a shared VM
# the machine's speed drifts within minutes, and hyperfine runs one command's runs together.
alternating() { # file name, profview options...: median seconds of each, and the ratio
  local data=$OUT/$1.perf.data; shift
  for _ in $(seq $((RUNS * 3))); do
    local t0 t1 t2
    t0=$(date +%s%N); "$PV" report --no-inline "$@" "$data" >/dev/null 2>&1; t1=$(date +%s%N)
    perf report -i "$data" --stdio --no-children >/dev/null 2>&1; t2=$(date +%s%N)
    echo "$((t1 - t0)) $((t2 - t1))"
  done | python3 -c '
import statistics, sys
pairs = [tuple(map(int, line.split())) for line in sys.stdin]
pv = statistics.median(p[0] for p in pairs) / 1e9
perf = statistics.median(p[1] for p in pairs) / 1e9
print(f"{pv:.3f} {perf:.3f} {perf / pv:.1f}x")'
}
for name in fp dwarf hc procs; do
  read -r pv perf r <<<"$(alternating "$name" --symbol-path "$FIX/rayon" --symbol-path "$OUT" --kallsyms "$KALLSYMS")"
  row "$name" "profview report, alternating with perf" "$pv" "-" "$r vs perf report ($perf s), $((RUNS * 3)) rounds"
done

# heaptrack_print against profview on the heaptrack file, alternating, and their peak memory.
if [ -s "$HEAP" ] && command -v heaptrack_print >/dev/null; then
  read -r pv ht r <<<"$(for _ in $(seq $((RUNS * 3))); do
    t0=$(date +%s%N); "$PV" report "$HEAP" >/dev/null 2>&1; t1=$(date +%s%N)
    heaptrack_print "$HEAP" >/dev/null 2>&1; t2=$(date +%s%N)
    echo "$((t1 - t0)) $((t2 - t1))"
  done | python3 -c '
import statistics, sys
pairs = [tuple(map(int, line.split())) for line in sys.stdin]
pv = statistics.median(p[0] for p in pairs) / 1e9
ht = statistics.median(p[1] for p in pairs) / 1e9
print(f"{pv:.3f} {ht:.3f} {ht / pv:.1f}x")')"
  mpv=$(peak_mb "$PV" report "$HEAP"); mht=$(peak_mb heaptrack_print "$HEAP")
  row heap "profview report, alternating" "$pv" "$mpv" "$r vs heaptrack_print ($ht s, $mht MB), $((RUNS * 3)) rounds"
fi

# pprof: 200 files of ~1.8 MB (gzipped) each, as a bench suite's profiles (fp-deep converted),
# profview report (reads them in parallel, sums them) against go tool pprof -top (merges
# them), one run each (go takes minutes), with their peak memory and exit status. go holds
# every input at once (~0.6 GB a file of these): on 200 it runs out of this machine's memory
# and is killed, so it is timed on the first 20 and not run on 200 when 10 times its 20-file
# peak is more than the machine has; a peer that fails gives no ratio.
pprof_row() { # number of files
  local n=$1 files t0 t1 t2 pv go mpv mgo pv_status go_status need have
  mapfile -t files < <(ls "$PP"/*.pb.gz | sort -V | head -n "$n")
  t0=$(date +%s%N); mpv=$(peak_mb "$PV" report "${files[@]}"); pv_status=$(cat "$OUT/status")
  t1=$(date +%s%N)
  pv=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
  [ "$pv_status" = 0 ] || pv="failed($pv_status)"
  need=$(awk -v m="${PPROF_GO_MB:-0}" -v n="$n" 'BEGIN { printf "%.0f", m / 20 * n }')
  have=$(awk '/MemTotal/ { printf "%.0f", $2 / 1024 }' /proc/meminfo)
  if [ "$need" -gt "$have" ]; then
    row pprof "profview report, $n pprof files" "$pv" "$mpv" "go tool pprof -top not run: it would need ~$need MB ($n/20 of its 20-file peak), the machine has $have MB"
    return
  fi
  mgo=$(peak_mb go tool pprof -top "${files[@]}"); go_status=$(cat "$OUT/status"); t2=$(date +%s%N)
  go=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
  if [ "$go_status" = 0 ]; then
    row pprof "profview report, $n pprof files" "$pv" "$mpv" "$(ratio "$go" "$pv") vs go tool pprof -top ($go s, $mgo MB)"
  else
    row pprof "profview report, $n pprof files" "$pv" "$mpv" "go tool pprof -top failed (exit $go_status after $go s at $mgo MB): no ratio"
  fi
  if [ "$n" = 20 ]; then PPROF_GO_MB=$mgo; fi
}
if command -v go >/dev/null; then
  PP=$OUT/pprof-many
  if [ ! -d "$PP" ]; then
    mkdir -p "$PP"
    "$PV" convert "$OUT/fp-deep.perf.data" --symbol-path "$FIX/rayon" --to pprof -o "$OUT/one.pb.gz" 2>/dev/null
    for i in $(seq 1 200); do cp "$OUT/one.pb.gz" "$PP/p$i.pb.gz"; done
  fi
  pprof_row 20
  pprof_row 200
fi

# Memory follows distinct stacks, not file size: the same program recorded twice as long.
half=$(peak_mb "$PV" report --no-inline --symbol-path "$OUT" --kallsyms "$KALLSYMS" "$OUT/fp-half.perf.data")
full=$(peak_mb "$PV" report --no-inline --symbol-path "$OUT" --kallsyms "$KALLSYMS" "$OUT/fp.perf.data")
row memory "profview report fp-half -> fp (2x)" "-" "$half -> $full" "$(awk -v a="$half" -v b="$full" 'BEGIN { printf "%.2fx memory for %.1fx the file", b / a, 2 }')"

# The terminal browser's first screen (the Summary with its top functions), and its findings,
# on the large file and (as a user opens it, inlined frames on) on a million distinct stacks.
tui_row() { # label, data file, options...
  local label=$1; shift
  local first=() found=() times
  for _ in 1 2 3; do
    times=$(tui_first_screen "$@")
    first+=("${times% *}"); found+=("${times#* }")
  done
  local median
  median=$(printf '%s\n' "${first[@]}" | sort -n | sed -n 2p)
  row tui "profview tui: first screen on $label" "$median" "-" "(target: 2 s); findings at $(printf '%s\n' "${found[@]}" | sort -n | sed -n 2p) s"
}
tui_row fp "$OUT/fp.perf.data" --no-inline --symbol-path "$OUT" --kallsyms "$KALLSYMS"
tui_row hc "$OUT/hc.perf.data" --kallsyms "$KALLSYMS"

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
  r=""
  [ $((i % 2)) = 0 ] && r="$(ratio "${t[$peer]}" "${t[$i]}")"
  row diff "${labels[$i]}" "${t[$i]}" "${m[$i]}" "$r"
done
echo "(median of $RUNS runs after a warm-up, warm page cache; peak MB: maximum resident set size)"
