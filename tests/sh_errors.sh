#!/usr/bin/env bash
# The program on bad input: every malformed dataset file in tests/data/bad
# (each replaces its namesake in the tiny dataset), a missing file, and bad
# options must end with exit status 2 and a message naming the file — and no
# sanitizer report (a sanitizer aborts with another status).
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect2() { # what, expected text in stderr, command...
  local what=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ $rc -ne 2 ] || ! grep -qF -- "$want" "$tmp/err"; then
    echo "FAIL $what: exit $rc (want 2), stderr: $(head -c 400 "$tmp/err")"
    fail=1
  fi
}
for bad in "$GNNKD_TEST_DATA"/bad/*; do
  base=$(basename "$bad")
  target="${base%%.*}.${base##*.}"   # adjacency.asymmetric.mtx -> adjacency.mtx
  rm -rf "$tmp/ds" && cp -r "$GNNKD_TEST_DATA/tiny" "$tmp/ds" && cp "$bad" "$tmp/ds/$target"
  expect2 "$base" "$target" "$GNNKD_BIN" train --dataset "$tmp/ds" --epochs 2 --quiet
done
rm -rf "$tmp/ds" && cp -r "$GNNKD_TEST_DATA/tiny" "$tmp/ds" && rm "$tmp/ds/labels.txt"
expect2 "missing labels" "labels.txt" "$GNNKD_BIN" train --dataset "$tmp/ds" --epochs 2 --quiet
expect2 "missing folder" "no-such-dataset" "$GNNKD_BIN" train --dataset "$tmp/no-such-dataset"
expect2 "bad lr" "--lr" "$GNNKD_BIN" train --dataset "$GNNKD_TEST_DATA/tiny" --lr nan
expect2 "bad model" "gcn:x" "$GNNKD_BIN" train --dataset "$GNNKD_TEST_DATA/tiny" --model gcn:x
expect2 "unknown option" "unrecognized" "$GNNKD_BIN" train --no-such-option
expect2 "unknown command" "unknown command" "$GNNKD_BIN" frobnicate
expect2 "bad method" "--method" "$GNNKD_BIN" distill --dataset "$GNNKD_TEST_DATA/tiny" --method magic
expect2 "bad teacher file" "nope.npy" "$GNNKD_BIN" distill --dataset "$GNNKD_TEST_DATA/tiny" --teacher "$tmp/nope.npy"
printf 'not a model' >"$tmp/junk.bin"
expect2 "junk model file" "junk.bin" "$GNNKD_BIN" eval --dataset "$GNNKD_TEST_DATA/tiny" --load "$tmp/junk.bin"
printf '0\n99\n' >"$tmp/ids.txt"
expect2 "transfer id out of range" "ids.txt:2" "$GNNKD_BIN" distill --dataset "$GNNKD_TEST_DATA/tiny" --transfer "$tmp/ids.txt" --epochs 2
# nothing half-written: a failed save leaves no file behind
expect2 "unwritable save" "no-dir" "$GNNKD_BIN" train --dataset "$GNNKD_TEST_DATA/tiny" --epochs 2 --quiet --save "$tmp/no-dir/m.bin"
[ -z "$(ls "$tmp" | grep -v -e '^ds$' -e '^out$' -e '^err$' -e '^junk.bin$' -e '^ids.txt$')" ] || { echo "FAIL stray files: $(ls "$tmp")"; fail=1; }
[ $fail -eq 0 ] && echo "all bad inputs rejected with exit 2"
exit $fail
