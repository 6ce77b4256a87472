#!/usr/bin/env bash
# gnnkd distill --assistant on a small synthetic graph (the recipe cpf's
# assistant, nosmog): the one command trains the same student, bit for bit
# at one thread, as the two-command chain it replaces (the teacher's assistant saved as logits, then used as
# the teacher); the assistant's scores are reported, in both settings;
# none turns a recipe's assistant off; bad names and combinations fail
# naming the option. Needs GNNKD_BIN.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data="synthetic:nodes=300,features=32,train-per-class=5"
# expect_fail TEXT ARGS...: exit 2 and TEXT in stderr
expect_fail() {
  local want=$1 rc=0; shift
  "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  [ $rc -eq 2 ] && grep -qF -- "$want" "$tmp/err" ||
    fail "$*: exit $rc (want 2), stderr: $(head -c 300 "$tmp/err")"
}
run() { "$GNNKD_BIN" distill --dataset "$data" --threads 1 --quiet --json "$@"; }
cpf=(--recipe cpf --student cpf:2,8 --epochs 20)

# the recipe cpf's assistant, nosmog, with its recipe's own options, as the
# chain's first command; the chain's second has none of its own
out=$(run --teacher gcn:8 "${cpf[@]}" --save-logits "$tmp/one.npy")
run --teacher gcn:8 --recipe nosmog --save-logits "$tmp/ns.npy" >"$tmp/ns.json"
run --teacher "$tmp/ns.npy" "${cpf[@]}" --assistant none --save-logits "$tmp/two.npy" >/dev/null
cmp -s "$tmp/one.npy" "$tmp/two.npy" || fail "--recipe cpf's assistant is not the chain's student"
grep -q '"assistant":{"recipe":"nosmog","params":[0-9]*,"runs":1,"test_acc"' <<<"$out" ||
  fail "no assistant in the JSON: $out"
# the assistant's accuracy is the chain's first student's
ns=$(grep -o '"test_acc":{"mean":[0-9.e-]*' "$tmp/ns.json" | head -1)
as=$(grep -o '"assistant":{[^}]*}' <<<"$out" | grep -o '"test_acc":{"mean":[0-9.e-]*')
[ "$ns" = "$as" ] || fail "assistant $as, chain's first student $ns"
# the teacher's scores stay the teacher's
t1=$(grep -o '"teacher_test_acc":{"mean":[0-9.e-]*' <<<"$out")
t2=$(grep -o '"teacher_test_acc":{"mean":[0-9.e-]*' "$tmp/ns.json")
[ "$t1" = "$t2" ] || fail "teacher $t1 with an assistant, $t2 without"

# inductive: the assistant is scored tran / ind / prod as well
out=$(run --teacher gcn:8 --setting inductive "${cpf[@]}")
grep -o '"assistant":{.*' <<<"$out" | grep -q '"test_acc_ind"' ||
  fail "no inductive scores of the assistant: $out"

# a structure-reading student learns the assistant's hidden layer
out=$(run --teacher gcn:8 --student mlp:8 --method kd+lsp --epochs 5 --assistant nosmog)
grep -q '"assistant":{"recipe":"nosmog"' <<<"$out" || fail "kd+lsp from an assistant: $out"

# none turns the recipe's off: the JSON has no assistant, the student is another
out=$(run --teacher gcn:8 "${cpf[@]}" --assistant none --save-logits "$tmp/none.npy")
grep -q '"assistant"' <<<"$out" && fail "--assistant none kept one: $out"
cmp -s "$tmp/one.npy" "$tmp/none.npy" && fail "--assistant none changed nothing"

expect_fail "--assistant" run --teacher gcn:8 "${cpf[@]}" --assistant nosmogg
# NOSMOG's assistant reads the teacher's hidden layer: logits cannot teach it
expect_fail "the teacher of assistant nosmog" run --teacher "$tmp/ns.npy" "${cpf[@]}"
expect_fail "MUNGE" run --teacher gcn:8 --student mlp:8 --transfer munge:50 --assistant cpf
true
