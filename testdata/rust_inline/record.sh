#!/usr/bin/env bash
# Records every workload of rustprof_{debug,lines} with frame pointers and with DWARF.
set -euo pipefail
cd "$(dirname "$0")"
for bin in debug lines; do
  for w in hotspot diff-before diff-after mutex alloc; do
    secs=1; case $w in diff-*) secs=4;; esac
    for mode in fp dwarf; do
      # The diff pair needs enough samples to tell a change from noise.
      freq=249; case $w in diff-*) freq=999;; esac
      if [ $mode = fp ]; then cg=(-F 999 --call-graph fp); else cg=(-F $freq --call-graph dwarf,4096); fi
      rec="$w.$bin.$mode"
      echo "cd /srv/pv/rust_inline && env -i PATH=/usr/bin:/bin HOME=/root LC_ALL=C perf record ${cg[*]} -o $rec.perf.data -- ./rustprof_$bin $w $secs" > "$rec.cmd.txt"
      env -i PATH=/usr/bin:/bin HOME=/root LC_ALL=C perf record "${cg[@]}" -o "$rec.perf.data" -- ./rustprof_$bin "$w" "$secs" > "$rec.stdout.txt" 2> "$rec.record.log"
      perf report -i "$rec.perf.data" --stdio --no-children --sort symbol -g none > "$rec.report-self.txt" 2>/dev/null
    done
  done
done
