#!/usr/bin/env bash
# gnnkd distill --method lsp and kd+lsp (LSP, Yang et al. 2020): both run
# with every kernel and report their options in the JSON; a bad kernel, a
# hidden layer the student lacks and .npy logits as the teacher are clear
# errors naming the option. Needs GNNKD_BIN and GNNKD_TEST_DATA.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tiny="$GNNKD_TEST_DATA/tiny"

out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher gcn:4 --student mlp:4 --method lsp \
  --epochs 3 --json)
grep -q '"method":"lsp"' <<<"$out" || fail "the method's name: $out"
grep -q '"lsp":{"weight":1,"kernel":"rbf","tau":1,"sigma":1,"layer":1,"teacher_layer":1,"self_loop":false,"reverse":false,"preact":false,"hops":1}' <<<"$out" ||
  fail "the LSP defaults: $out"
grep -q '"seconds_per_epoch":{"median":' <<<"$out" || fail "seconds per epoch: $out"
for k in rbf linear poly l1; do
  preact=false # the authors' code's form: l1, reverse, before the activations
  [ $k = l1 ] && preact=true
  out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher gat:2x2 --student gcn:4,3 --method kd+lsp \
    --lsp-kernel $k --lsp-layer 1 --lsp-tau 0.5 --lsp-weight 2 --lsp-self-loop --lsp-reverse \
    $([ $preact = true ] && echo --lsp-preact) --epochs 3 --json)
  grep -q '"method":"kd+lsp"' <<<"$out" && grep -q "\"kernel\":\"$k\"" <<<"$out" &&
    grep -q "\"layer\":1,\"teacher_layer\":1,\"self_loop\":true,\"reverse\":true,\"preact\":$preact" <<<"$out" ||
    fail "kd+lsp $k: $out"
done
# two hops: the tiny graph's pairs within two edges, named in the JSON
grep -q '"preact":false,"hops":2}' <<<"$("$GNNKD_BIN" distill --dataset "$tiny" --teacher gcn:4 \
  --student mlp:4 --method lsp --lsp-hops 2 --epochs 2 --json)" || fail "--lsp-hops 2"
grep -q '"sigma":1,' <<<"$("$GNNKD_BIN" distill --dataset "$tiny" --teacher gcn:4 --student mlp:4 \
  --method lsp --lsp-kernel l1 --lsp-sigma 1 --epochs 2 --json)" || fail "--lsp-sigma"

# a saved teacher model works; its logits do not: LSP reads its hidden layer
"$GNNKD_BIN" train --dataset "$tiny" --model sage:4 --epochs 3 --save "$tmp/t.bin" \
  --save-logits "$tmp/t.npy" --quiet >/dev/null
out=$("$GNNKD_BIN" distill --dataset "$tiny" --teacher "$tmp/t.bin" --student mlp:4 --method lsp \
  --epochs 3 --json)
grep -q '"teacher_layer":"last"' <<<"$out" || fail "a teacher file: $out"

check_error() { # expected-text args...
  local want=$1
  shift
  if "$GNNKD_BIN" distill --dataset "$tiny" --epochs 2 "$@" 2>"$tmp/err" >/dev/null; then
    fail "$* was accepted"
  fi
  grep -qF -- "$want" "$tmp/err" || fail "$*: $(cat "$tmp/err")"
}
check_error "--lsp-kernel: LSP kernel 'gauss': expected rbf, linear, poly or l1" --method lsp --lsp-kernel gauss
check_error "--lsp-layer 2: the student mlp:4 has hidden layers 1..1" --student mlp:4 --method lsp --lsp-layer 2
check_error "--lsp-tau" --method lsp --lsp-tau 0
check_error "--lsp-hops takes a whole number from 1 to 16, got '0'" --method lsp --lsp-hops 0
check_error "needs a model file, not logits" --teacher "$tmp/t.npy" --method kd+lsp
check_error "munge: not with lsp" --method lsp --transfer munge:10
echo "lsp ok"
