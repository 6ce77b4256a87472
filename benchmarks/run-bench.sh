#!/bin/bash
# run-bench.sh — builds gnnkd (Release) if anything changed and runs
# `gnnkd bench` with the given options; the results go to results/<time>/
# under the current folder unless --out DIR.
#
#   benchmarks/run-bench.sh                          # the full grid, about 15 minutes on 2 cores
#   benchmarks/run-bench.sh --quick --datasets cora  # a smoke run
#   benchmarks/run-bench.sh --resume results/20250101-120000
#
# Environment: GNNKD_DATA, the folder holding cora/, citeseer/ and pubmed/
# (see scripts/fetch-planetoid.sh); GNNKD_BUILD_DIR, the build folder
# (default: build/ in the source tree).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${GNNKD_BUILD_DIR:-$src/build}

# Build output goes to stderr: stdout carries only the benchmark's report.
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >&2
fi
cmake --build "$build" -j "$(nproc)" >&2

exec "$build/gnnkd" bench "$@"
