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
out=$("$GNNKD_BIN" eval --dataset "$tiny" --load "$tmp/m-seed0.bin" --json)
has_keys "$out" dataset model train_acc val_acc test_acc
# eval reproduces the accuracies of each saved model exactly: the file holds
# the selected weights, and an accuracy is k/n, the same double for the same k.
# A small synthetic graph, where the two seeds' accuracies are neither 0 nor 1
# nor equal, so that a wrong model, split or file is seen.
syn="synthetic:nodes=300,classes=3,features=12,degree=4,snr=1,train-per-class=10,val=60,test=120"
out=$("$GNNKD_BIN" train --dataset "$syn" --epochs 20 --runs 2 --json --save "$tmp/s.bin")
# the cross-fitted validation accuracy (60 validation nodes; the tiny graph has
# too few and leaves it out)
has_keys "$out" val_acc_cross
# value JSON KEY: the number after "KEY": (a flat value)
value() { grep -o "\"$2\":[-0-9.eE+]*" <<<"$1" | head -n 1 | cut -d: -f2; }
# run_value JSON KEY SEED: element SEED of KEY's "values" array
run_value() { grep -o "\"$2\":{[^}]*}" <<<"$1" | sed 's/.*"values":\[\([^]]*\)\].*/\1/' | cut -d, -f$(($3 + 1)); }
for seed in 0 1; do
  ev=$("$GNNKD_BIN" eval --dataset "$syn" --load "$tmp/s-seed$seed.bin" --json)
  for k in test_acc val_acc; do
    want=$(run_value "$out" $k $seed); got=$(value "$ev" $k)
    [ -n "$want" ] && [ -n "$got" ] || { echo "FAIL: $k of seed $seed not found: train '$want', eval '$got'"; exit 1; }
    awk -v a="$want" -v b="$got" 'BEGIN { exit !(a == b && a > 0 && a < 1) }' ||
      { echo "FAIL: seed $seed: eval $k $got, train reported $want"; exit 1; }
  done
done
[ "$(run_value "$out" test_acc 0)" != "$(run_value "$out" test_acc 1)" ] ||
  { echo "FAIL: both seeds have the same test accuracy: the comparison could not tell the files apart"; exit 1; }
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
# CPF's Euclidean loss from the saved teacher, on the unlabelled nodes as CPF
out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher "$tmp/t.bin" --recipe cpf --method euclid \
  --transfer unlabeled --epochs 5 --json)
grep -q '"method":"euclid"' <<<"$out"
grep -q '"generations":1' <<<"$out"
grep -q '"dropout":0.3' <<<"$out"
grep -q '"assistant":{"recipe":"nosmog"' <<<"$out" # the recipe's teacher assistant
# the recipe's dropout stays with a cpf student named, an explicit one wins
out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher "$tmp/t.bin" --recipe cpf --student cpf:2,8 --epochs 2 --json)
grep -q '"dropout":0.3' <<<"$out"
out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher "$tmp/t.bin" --recipe cpf --student cpf:2,8 \
  --student-dropout 0.8 --epochs 2 --json)
grep -q '"dropout":0.8' <<<"$out"
out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher "$tmp/t.bin" --recipe cpf --generations 2 --epochs 5 --json)
grep -q '"generations":2' <<<"$out"
# the inductive setting: tran/ind/prod for train and distill, logits over
# every node of the dataset (its own numbering), and the usage errors
syn2="synthetic:nodes=400,classes=3,features=12,degree=4,val=60,test=200"
out=$("$GNNKD_BIN" train --dataset "$syn2" --setting inductive:0.25 --model mlp:16 --epochs 10 --runs 2 --json --save-logits "$tmp/ind.npy")
has_keys "$out" test_acc_tran test_acc_ind test_acc_prod
grep -q '"setting":"inductive:0.25"' <<<"$out" || { echo "FAIL: setting in $out"; exit 1; }
[ "$(head -c 80 "$tmp/ind-seed0.npy" | grep -ao "'shape': ([0-9]*" | grep -o '[0-9]*$')" = 400 ] ||
  { echo "FAIL: inductive logits do not cover the 400 nodes"; exit 1; }
out=$("$GNNKD_BIN" distill --dataset "$syn2" --protocol glnn --teacher gcn:8 --epochs 10 --json --quiet)
has_keys "$out" test_acc_tran test_acc_ind test_acc_prod teacher_test_acc_tran teacher_test_acc_ind teacher_test_acc_prod
# the student's whole recipe is in the file: the KD defaults, then the options given
grep -q '"student_train":{"lr":0.01,"weight_decay":0,"decay_all":false,"max_epochs":10,"patience":100,"select":"val-acc","batch":0,"hidden_dropout_only":false,"raw_features":false}' \
  <<<"$out" || { echo "FAIL: student_train in $out"; exit 1; }
out=$("$GNNKD_BIN" distill --dataset "$syn2" --protocol glnn --teacher gcn:8 --epochs 10 --lr 0.005 --weight-decay 1e-3 \
  --decay-all --patience 50 --raw-features --json --quiet)
grep -q '"student_train":{"lr":0.005,"weight_decay":0.001,"decay_all":true,"max_epochs":10,"patience":50,"select":"val-acc","batch":0,"hidden_dropout_only":false,"raw_features":true}' \
  <<<"$out" || { echo "FAIL: student_train with options in $out"; exit 1; }
out=$("$GNNKD_BIN" distill --dataset "$syn2" --setting inductive --teacher gcn:8 --epochs 10 --transfer munge:100 --json --quiet)
grep -q '"pseudo_nodes":100' <<<"$out" || { echo "FAIL: pseudo_nodes in $out"; exit 1; }
for bad in "--setting inductive:1" "--protocol cpf" "--protocol glnn --split per-class:1:1"; do
  rc=0; "$GNNKD_BIN" train --dataset "$syn2" $bad --quiet >/dev/null 2>&1 || rc=$?
  [ "$rc" = 2 ] || { echo "FAIL: train $bad exits $rc, not 2"; exit 1; }
done
rc=0; "$GNNKD_BIN" distill --dataset "$syn2" --student gcn:8 --transfer munge:10 --quiet >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || { echo "FAIL: munge with a GCN student exits $rc, not 2"; exit 1; }

# help for every command
for c in train eval distill info convert bench bench-speed; do
  # captured first: grep -q stops reading early, and a help longer than one
  # pipe write would end the program with SIGPIPE
  out=$("$GNNKD_BIN" $c --help) && grep -q "usage: gnnkd $c" <<<"$out" || { echo "FAIL: $c --help"; exit 1; }
done
echo "cli outputs ok"
