#!/usr/bin/env bash
# Remakes the heap-profile recordings of heap.c (see README.md). Needs gcc, valgrind, heaptrack.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O1 -g -fno-omit-frame-pointer -o "$tmp/heap" heap.c
(cd "$tmp" && valgrind --tool=dhat --dhat-out-file=heap.dhat.json ./heap >/dev/null 2>&1)
(cd "$tmp" && valgrind --tool=massif --massif-out-file=heap.massif ./heap >/dev/null 2>&1)
(cd "$tmp" && heaptrack -o heap.ht ./heap >/dev/null 2>&1)
cp "$tmp/heap.dhat.json" .
gzip -c "$tmp/heap.massif" > heap.massif.gz
cp "$tmp/heap.ht.zst" heap.heaptrack.zst
# The same program with a quarter of the churn, for the diff tests.
sed 's/i < 20000; i++/i < 5000; i++/' heap.c > "$tmp/less.c"
cc -O1 -g -fno-omit-frame-pointer -o "$tmp/heap2" "$tmp/less.c"
(cd "$tmp" && heaptrack -o less.ht ./heap2 >/dev/null 2>&1)
cp "$tmp/less.ht.zst" heap-less-churn.heaptrack.zst
# Heap shapes over time: a cache that only grows, and a streaming sawtooth.
cc -O1 -g -fno-omit-frame-pointer -o "$tmp/growth" growth.c
(cd "$tmp" && heaptrack -o growth.ht ./growth growth >/dev/null 2>&1)
(cd "$tmp" && heaptrack -o saw.ht ./growth sawtooth >/dev/null 2>&1)
(cd "$tmp" && heaptrack -o plateau.ht ./growth plateau >/dev/null 2>&1)
(cd "$tmp" && heaptrack -o accelerate.ht ./growth accelerate >/dev/null 2>&1)
cp "$tmp/growth.ht.zst" growth.heaptrack.zst
cp "$tmp/plateau.ht.zst" plateau.heaptrack.zst
cp "$tmp/accelerate.ht.zst" accelerate.heaptrack.zst
cp "$tmp/saw.ht.zst" sawtooth.heaptrack.zst
# Allocation churn at about a million allocations a second, for excessive_allocation.
cc -O1 -g -fno-omit-frame-pointer -o "$tmp/churn" churn.c
(cd "$tmp" && heaptrack -o churn.ht ./churn 300000 >/dev/null 2>&1)
cp "$tmp/churn.ht.zst" churn.heaptrack.zst
heaptrack_print -l 1 churn.heaptrack.zst > churn.heaptrack.print.txt
heaptrack_print -l 1 heap.heaptrack.zst > heap.heaptrack.print.txt
# The Rust program of rust/ without the dhat crate, under heaptrack (which leaves Rust names
# mangled): release, line tables only, as our users build. Needs rustc.
grep -v dhat rust/main.rs | grep -v '^#\[global_allocator\]$' > "$tmp/main.rs"
rustc --edition 2021 -C opt-level=3 -C debuginfo=line-tables-only -o "$tmp/heaprs" "$tmp/main.rs"
(cd "$tmp" && heaptrack -o rs.ht ./heaprs >/dev/null 2>&1)
cp "$tmp/rs.ht.zst" rust.heaptrack.zst
heaptrack_print -l 1 rust.heaptrack.zst | tail -6 > rust.heaptrack.print.txt
for cost in allocations temporary leaked peak; do
  heaptrack_print -F "heap.heaptrack.$cost.folded" --flamegraph-cost-type "$cost" heap.heaptrack.zst >/dev/null
done
