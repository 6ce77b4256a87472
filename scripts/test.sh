#!/usr/bin/env bash
# Builds gnnkd and runs the whole test suite with ctest.
#   scripts/test.sh              Release build in build/
#   scripts/test.sh --sanitize   the same under -fsanitize=address,undefined in build-asan/
# The citation-graph tests read $GNNKD_DATA (default: ../shared/datasets if it exists).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=build
flags=(-DCMAKE_BUILD_TYPE=Release)
if [ "${1:-}" = "--sanitize" ]; then
  build=build-asan
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DGNNKD_SANITIZE=ON)
fi
if [ -z "${GNNKD_DATA:-}" ] && [ -d ../shared/datasets ]; then
  GNNKD_DATA=$(cd ../shared/datasets && pwd)
fi
export GNNKD_DATA
cmake -S . -B "$build" "${flags[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" --output-on-failure --timeout 1500
