#!/usr/bin/env bash
# The program's outputs: --json schemas of train, eval and distill; model and
# logits files that eval and distill read back; several runs' file names.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tiny="$GNNKD_TEST_DATA/tiny"
has_keys() { # json, keys...
  local json=$1; shift
  for k in "$@"; do
    grep -q "\"$k\":" <<<"$json" || { echo "FAIL: key $k missing in $json"; exit 1; }
  done
}
out=$("$GNNKD_BIN" train --dataset "$tiny" --epochs 5 --runs 2 --json --save "$tmp/m.bin" --save-logits "$tmp/z.npy")
has_keys "$out" dataset model runs test_acc val_acc epochs train_seconds seconds_per_epoch peak_rss_mb mean std values median
grep -q '"runs":2' <<<"$out"
test -f "$tmp/m-seed0.bin" && test -f "$tmp/m-seed1.bin" && test -f "$tmp/z-seed0.npy" && test -f "$tmp/z-seed1.npy"
# eval reproduces the accuracy of a saved model
out=$("$GNNKD_BIN" eval --dataset "$tiny" --load "$tmp/m-seed0.bin" --json)
has_keys "$out" dataset model train_acc val_acc test_acc
# distill from a model file and a logits file (an ensemble of two)
out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher "$tmp/m-seed0.bin" --teacher "$tmp/z-seed1.npy" \
  --student gcn:4 --method compress --center --epochs 5 --json)
has_keys "$out" teacher method temperature alpha transfer teacher_test_acc teacher_params student_params test_acc
grep -q '"members":2' <<<"$out"
grep -q '"method":"compress"' <<<"$out"
# distill with a teacher trained on the fly, saved
out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher gcn:8 --save-teacher "$tmp/t.bin" --epochs 5 --json)
grep -q '"method":"kd"' <<<"$out"
test -f "$tmp/t.bin"
# help for every command
for c in train eval distill info convert bench bench-speed; do
  "$GNNKD_BIN" $c --help | grep "usage: gnnkd $c" >/dev/null || { echo "FAIL: $c --help"; exit 1; }
done
echo "cli outputs ok"
