#!/usr/bin/env bash
# Runs the libFuzzer harnesses of fuzz/ (a clang build in build-fuzz/) and
# prints, per harness, executions, coverage and findings. A finding is a
# crash, a leak, an undefined-behaviour report, a timeout, or one allocation
# over 64 MB (a small file must never make gnnkd allocate more): exit 1.
#   scripts/fuzz.sh                    every harness, 60 s each
#   scripts/fuzz.sh -t 600 fuzz_mtx    one harness, 10 minutes
#   scripts/fuzz.sh --regress          every file of tests/data/fuzz/HARNESS/ once
# The corpus grows in build-fuzz/fuzz/corpus/HARNESS (kept between runs);
# findings land in build-fuzz/fuzz/findings/HARNESS, logs in .../logs.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60
regress=0
harnesses=()
while [ $# -gt 0 ]; do
  case "$1" in
    -t) seconds=$2; shift 2 ;;
    --regress) regress=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done

scripts/install-deps.sh --fuzz
build=build-fuzz
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DGNNKD_FUZZ=ON -DGNNKD_TESTS=OFF -DGNNKD_MPI=OFF >/dev/null # the readers need no MPI
fi
cmake --build "$build" -j "$(nproc)" >/dev/null
fz=$build/fuzz
if [ ${#harnesses[@]} -eq 0 ]; then
  for src in fuzz/fuzz_*.c; do harnesses+=("$(basename "$src" .c)"); done
fi

# The limits that say what a finding is: 64 MB for one allocation from a
# 4 KB input, 2 GB in all, 25 s for one input.
limits=(-max_len=4096 -malloc_limit_mb=64 -rss_limit_mb=2048 -timeout=25)
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# the library's thread pools have nothing to do on inputs this small
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
# the harnesses' temporary folders: a process killed at a finding leaves its own
export TMPDIR=$PWD/$fz/tmp
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"
trap 'rm -rf "$TMPDIR"' EXIT

if [ $regress -eq 1 ]; then
  status=0 count=0
  for h in "${harnesses[@]}"; do
    dir=tests/data/fuzz/$h
    [ -d "$dir" ] || continue
    for f in "$dir"/*; do
      count=$((count + 1))
      if "$fz/$h" "${limits[@]}" "$f" >"$fz/regress.log" 2>&1; then
        echo "$h: $(basename "$f") ok"
      else
        echo "$h: $(basename "$f") FAILS: $(grep -m1 'SUMMARY\|ERROR' "$fz/regress.log")"
        status=1
      fi
    done
  done
  echo "fuzz.sh: $count regression inputs"
  exit $status
fi

mkdir -p "$fz/logs"
printf '%-11s %7s %10s %6s %6s %6s  %s\n' harness seconds executions cov ft corpus findings
status=0
for h in "${harnesses[@]}"; do
  [ -x "$fz/$h" ] || { echo "fuzz.sh: no harness $h" >&2; exit 2; }
  corpus=$fz/corpus/$h findings=$fz/findings/$h log=$fz/logs/$h.log
  mkdir -p "$corpus" "$findings"
  dict=()
  [ -f "fuzz/$h.dict" ] && dict=(-dict="fuzz/$h.dict")
  before=$(ls "$findings" | wc -l)
  # fork mode: a finding is written down and fuzzing goes on until the time is up
  "$fz/$h" "$corpus" "$fz/seeds/$h" "${dict[@]}" "${limits[@]}" -max_total_time="$seconds" \
    -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
    -artifact_prefix="$findings/" >"$log" 2>&1 || true
  last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1)
  execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
  cov=$(sed -E 's/.* cov: ([0-9]+).*/\1/' <<<"$last")
  ft=$(sed -E 's/.* ft: ([0-9]+).*/\1/' <<<"$last")
  ncorpus=$(ls "$corpus" | wc -l)
  new=$(( $(ls "$findings" | wc -l) - before ))
  printf '%-11s %7s %10s %6s %6s %6s  %s\n' "$h" "$seconds" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
    "$ncorpus" "$new"
  if [ "$new" -gt 0 ]; then
    status=1
    for f in $(ls -t "$findings" | head -n "$new"); do
      why=$("$fz/$h" "${limits[@]}" "$findings/$f" 2>&1 | grep -m1 -E 'SUMMARY|ERROR: libFuzzer' || true)
      echo "  $findings/$f: ${why:-does not reproduce}"
    done
  fi
done
exit $status
