#!/usr/bin/env bash
# Remakes the Go profiles of main.go and go tool pprof's view of them (the oracle). Needs go.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp main.go "$tmp/"
(cd "$tmp" && go build -o goprog main.go && ./goprog)
cp "$tmp/cpu.pprof" go-cpu.pb.gz
cp "$tmp/heap.pprof" go-heap.pb.gz
go tool pprof -top -noinlines go-cpu.pb.gz > go-cpu.top.txt 2>/dev/null
# One function's time by source line: the oracle of `profview annotate` on pprof input.
go tool pprof -list '^strconv.Atoi$' go-cpu.pb.gz > go-cpu.list-Atoi.txt 2>/dev/null
for t in alloc_objects alloc_space inuse_objects inuse_space; do
  go tool pprof -top -noinlines -sample_index="$t" go-heap.pb.gz > "go-heap.$t.top.txt" 2>/dev/null
done
# criterion + pprof-rs (critbench/, crates from the registry): `cargo bench -- --profile-time 3`
# writes target/criterion/<bench>/profile/profile.pb, uncompressed.
(cd critbench && CARGO_TARGET_DIR="$tmp/critbench-target" cargo bench --bench work -- --profile-time 3 >/dev/null 2>&1)
for b in parse checksum; do
  mkdir -p "criterion/$b/profile"
  cp "$tmp/critbench-target/criterion/$b/profile/profile.pb" "criterion/$b/profile/"
  go tool pprof -top -noinlines "criterion/$b/profile/profile.pb" > "criterion-$b.top.txt" 2>/dev/null
done
# The same run with checksum made slower (critbench/lib-slower.rs: an extra `validate` pass),
# for the folder diff: only checksum's code changed.
cp -r critbench "$tmp/slower" && cp critbench/lib-slower.rs "$tmp/slower/src/lib.rs"
(cd "$tmp/slower" && CARGO_TARGET_DIR="$tmp/slower-target" cargo bench --bench work -- --profile-time 3 >/dev/null 2>&1)
for b in parse checksum; do
  mkdir -p "criterion-slower/$b/profile"
  cp "$tmp/slower-target/criterion/$b/profile/profile.pb" "criterion-slower/$b/profile/"
done
