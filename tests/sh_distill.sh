#!/usr/bin/env bash
# gnnkd distill as a caller of the library's recipe: the ensemble's member
# seeds (seed + 7919 j) in the saved teachers' names, the names of methods
# and selection rules from the library, and the recipe's defaults in the
# JSON (tests/test_recipe.c checks the defaults themselves). Needs GNNKD_BIN
# and GNNKD_TEST_DATA.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tiny="$GNNKD_TEST_DATA/tiny"

out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher gcn:4 --ensemble 2 --seed 3 \
  --save-teacher "$tmp/t.bin" --epochs 3 --json)
grep -q '"members":2' <<<"$out" || fail "two members: $out"
test -f "$tmp/t-seed3.bin" && test -f "$tmp/t-seed7922.bin" || fail "member seeds: $(ls "$tmp")"
grep -q '"alpha":0.9,' <<<"$out" && grep -q '"temperature":1,' <<<"$out" &&
  grep -q '"transfer":"all"' <<<"$out" || fail "the recipe's defaults: $out"

for bad in "--method distil:expected scratch, kd, compress, lsp, kd+lsp or euclid" "--select val_acc:expected val-loss, val-acc or last"; do
  opt=${bad%%:*}
  if "$GNNKD_BIN" distill --dataset "$tiny" $opt 2>"$tmp/err"; then fail "$opt was accepted"; fi
  grep -q "${bad#*:}" "$tmp/err" || fail "$opt: $(cat "$tmp/err")"
done
# GAT and SAGE as teachers and students: trained, saved, loaded back as a
# file, and as .npy logits
out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher gat:2x2 --student sage:4 --epochs 3 \
  --save-teacher "$tmp/gat.bin" --json)
grep -q '"spec":"sage:4","kind":"sage"' <<<"$out" && grep -q '"spec":"gat:2x2","members":1' <<<"$out" ||
  fail "gat teacher, sage student: $out"
out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher "$tmp/gat.bin" --student gat:2x2/2 --epochs 3 --json)
grep -q '"spec":"gat:2x2/2","kind":"gat"' <<<"$out" || fail "gat student of a saved gat: $out"
"$GNNKD_BIN" train --dataset "$tiny" --model sage:4 --epochs 3 --save-logits "$tmp/sage.npy" --quiet >/dev/null
out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher "$tmp/sage.npy" --student mlp:4 --epochs 3 --json)
grep -q '"members":1' <<<"$out" || fail "sage logits as teacher: $out"
# --student-dropout moves the student's dropout alone: the trained teacher
# is the same file with it as without it, and with --dropout it wins
out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher gcn:4 --epochs 3 --save-teacher "$tmp/d0.bin" --json)
grep -q '"dropout":0.5,' <<<"$out" || fail "default student dropout: $out"
out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher gcn:4 --epochs 3 --student-dropout 0.25 \
  --save-teacher "$tmp/d1.bin" --json)
grep -q '"dropout":0.25,' <<<"$out" || fail "--student-dropout 0.25: $out"
cmp -s "$tmp/d0.bin" "$tmp/d1.bin" || fail "--student-dropout changed the teacher"
out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher gcn:4 --epochs 3 --dropout 0.1 --student-dropout 0.25 \
  --save-teacher "$tmp/d2.bin" --json)
grep -q '"dropout":0.25,' <<<"$out" || fail "--student-dropout over --dropout: $out"
cmp -s "$tmp/d0.bin" "$tmp/d2.bin" && fail "--dropout 0.1 left the teacher unchanged"
# --teacher-select is the trained teacher's selection rule alone: with
# `last` the teacher is gnnkd train's model with --select last, bit for bit
out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher gcn:4 --teacher-select last --epochs 3 \
  --save-teacher "$tmp/tl.bin" --json)
grep -q '"select":"last"' <<<"$out" || fail "teacher select in the JSON: $out"
"$GNNKD_BIN" train --dataset "$tiny" --model gcn:4 --select last --save "$tmp/ml.bin" --quiet >/dev/null
cmp -s "$tmp/tl.bin" "$tmp/ml.bin" || fail "--teacher-select last: not train --select last's model"
cmp -s "$tmp/tl.bin" "$tmp/d0.bin" && fail "--teacher-select last left the teacher unchanged"
grep -q '"select":"val-acc"' <<<"$("$GNNKD_BIN" distill --dataset "$tiny" --teacher gcn:4 --epochs 3 --json)" ||
  fail "the default teacher select is not val-acc"
if "$GNNKD_BIN" distill --dataset "$tiny" --teacher-select best 2>"$tmp/err"; then
  fail "--teacher-select best was accepted"
fi
grep -q "teacher-select: .*expected val-loss, val-acc or last" "$tmp/err" || fail "--teacher-select best: $(cat "$tmp/err")"
echo "distill recipe ok"
# born-again generations: --generations 2 is a second distill from the first student's logits
gen() { "$GNNKD_BIN" distill --dataset "$tiny" --epochs 5 --seed 2 --threads 1 --quiet "$@"; }
gen --teacher gcn:4 --save-logits "$tmp/g1.npy" >/dev/null
gen --teacher "$tmp/g1.npy" --save-logits "$tmp/g2.npy" >/dev/null
out=$(gen --teacher gcn:4 --generations 2 --save-logits "$tmp/b2.npy" --json)
grep -q '"generations":2' <<<"$out" || fail "generations in the JSON: $out"
cmp -s "$tmp/g2.npy" "$tmp/b2.npy" || fail "--generations 2 is not a distill from the first student"
cmp -s "$tmp/g1.npy" "$tmp/b2.npy" && fail "--generations 2 left the first student unchanged"
for bad in 0 17 2x; do
  if gen --generations $bad 2>"$tmp/err"; then fail "--generations $bad was accepted"; fi
  grep -q -- "--generations" "$tmp/err" || fail "--generations $bad: $(cat "$tmp/err")"
done
if gen --method scratch --generations 2 2>"$tmp/err"; then fail "scratch with 2 generations"; fi
grep -q "generations: 2 needs soft targets" "$tmp/err" || fail "scratch generations: $(cat "$tmp/err")"
