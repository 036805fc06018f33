#!/usr/bin/env bash
# Builds parse.cpp and records it with DWARF call graphs (libstdc++ and libc keep no frame
# pointers here); perf report's function table is the oracle.
set -euo pipefail
cd "$(dirname "$0")"
g++ -O2 -g -o parse parse.cpp
echo "cd testdata/cpp_parse && env -i PATH=/usr/bin:/bin HOME=/root LC_ALL=C perf record -F 499 --call-graph dwarf,4096 -o dwarf.perf.data -- ./parse" > dwarf.cmd.txt
env -i PATH=/usr/bin:/bin HOME=/root LC_ALL=C perf record -F 499 --call-graph dwarf,4096 -o dwarf.perf.data -- ./parse > dwarf.stdout.txt 2> dwarf.record.log
perf report -i dwarf.perf.data --stdio --no-children --sort symbol -g none > dwarf.report-self.txt 2>/dev/null
zstd -19 -q --rm -f dwarf.perf.data parse
