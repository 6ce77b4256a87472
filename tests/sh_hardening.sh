#!/usr/bin/env bash
# The program against careless and hostile inputs (issue: hardening): each
# case must end with the expected exit status and message, never a crash or a
# sanitizer report, and leave the file system as it was.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tiny="$GNNKD_TEST_DATA/tiny"
graphs="$GNNKD_TEST_DATA/graphs"
fail=0
expect() { # what, exit status, expected text in stderr ("" = any), command...
  local what=$1 want_rc=$2 want=$3; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ $rc -ne "$want_rc" ] || { [ -n "$want" ] && ! grep -qF -- "$want" "$tmp/err"; }; then
    echo "FAIL $what: exit $rc (want $want_rc), stderr: $(head -c 400 "$tmp/err")"
    fail=1
  fi
}

# 1. A features file with no entries trains with the default dropout.
cp -r "$tiny" "$tmp/empty-x"
printf '%%%%MatrixMarket matrix coordinate real general\n6 4 0\n' >"$tmp/empty-x/features.mtx"
expect "train, no feature entries" 0 "" "$GNNKD_BIN" train --dataset "$tmp/empty-x" --epochs 3 --quiet
expect "distill, no feature entries" 0 "" "$GNNKD_BIN" distill --dataset "$tmp/empty-x" --epochs 3 --quiet
expect "bench, no feature entries" 0 "" "$GNNKD_BIN" bench --dataset "$tmp/empty-x" --epochs 3 --seeds 1 \
  --temperatures 1 --alphas 0.5 --students mlp:4 --teacher gcn:4 --no-plots --quiet --out "$tmp/bench-empty-x"
printf '%%%%MatrixMarket matrix coordinate real general\n5 3 0\n' >"$tmp/empty5.mtx"
expect "--graph --features, no entries" 0 "" "$GNNKD_BIN" train --graph "$graphs/small.edges" \
  --features "$tmp/empty5.mtx" --labels "$graphs/small.labels.txt" --split random:1:1:1 --epochs 3 --quiet

# 2. Outputs: a symlink stays a link, /dev/stdout is written through, a FIFO
# is not replaced, nothing temporary is left behind.
touch "$tmp/real.bin" && ln -s real.bin "$tmp/link.bin"
expect "--save at a symlink" 0 "" "$GNNKD_BIN" train --dataset "$tiny" --epochs 2 --quiet --save "$tmp/link.bin"
{ [ -L "$tmp/link.bin" ] && [ -s "$tmp/real.bin" ]; } || { echo "FAIL --save replaced the symlink"; fail=1; }
# (/dev/stdout itself is left alone: were this broken, root would replace it;
# a link of our own to /proc/self/fd/1 takes the same path through the kernel)
ln -s /proc/self/fd/1 "$tmp/stdout"
"$GNNKD_BIN" train --dataset "$tiny" --epochs 2 --quiet --save-logits "$tmp/stdout" 2>"$tmp/err" | cat >"$tmp/piped"
grep -q NUMPY "$tmp/piped" || { echo "FAIL --save-logits to stdout (a pipe): $(cat "$tmp/err")"; fail=1; }
"$GNNKD_BIN" train --dataset "$tiny" --epochs 2 --quiet --save-logits "$tmp/stdout" >"$tmp/redirected" 2>"$tmp/err"
grep -q NUMPY "$tmp/redirected" || { echo "FAIL --save-logits to stdout (a file): $(cat "$tmp/err")"; fail=1; }
[ -L "$tmp/stdout" ] || { echo "FAIL the link to stdout was replaced"; fail=1; }
[ -c /dev/null ] || { echo "FAIL /dev/null is no longer a device"; fail=1; }
mkfifo "$tmp/fifo"
timeout 20 cat "$tmp/fifo" >"$tmp/from-fifo" &
reader=$!
expect "--save-logits at a FIFO" 0 "" "$GNNKD_BIN" train --dataset "$tiny" --epochs 2 --quiet --save-logits "$tmp/fifo"
wait $reader
{ [ -p "$tmp/fifo" ] && head -c 6 "$tmp/from-fifo" | grep -q NUMPY; } || { echo "FAIL the FIFO was replaced or got nothing"; fail=1; }
# the program's own outputs take the same path: predict --out, bench-speed --out
"$GNNKD_BIN" train --dataset "$tiny" --model mlp:4 --epochs 2 --quiet --save "$tmp/mlp.model" 2>"$tmp/err" ||
  { echo "FAIL train mlp: $(cat "$tmp/err")"; fail=1; }
touch "$tmp/real.csv" && ln -s real.csv "$tmp/link.csv"
expect "predict --out at a symlink" 0 "" "$GNNKD_BIN" predict --load "$tmp/mlp.model" --features "$tiny/features.mtx" --out "$tmp/link.csv"
{ [ -L "$tmp/link.csv" ] && grep -q '^node,class' "$tmp/real.csv"; } || { echo "FAIL predict --out replaced the symlink"; fail=1; }
timeout 20 cat "$tmp/fifo" >"$tmp/from-fifo2" &
reader=$!
expect "predict --out at a FIFO" 0 "" "$GNNKD_BIN" predict --load "$tmp/mlp.model" --features "$tiny/features.mtx" --out "$tmp/fifo"
wait $reader
{ [ -p "$tmp/fifo" ] && grep -q '^node,class' "$tmp/from-fifo2"; } || { echo "FAIL predict: the FIFO was replaced or got nothing"; fail=1; }
mkdir "$tmp/speed" && touch "$tmp/speed-real.md" && ln -s ../speed-real.md "$tmp/speed/bench-speed.md"
expect "bench-speed --out with a symlink" 0 "" "$GNNKD_BIN" bench-speed --dataset "$tiny" --model gcn:4 --epochs 2 --warmup 1 --out "$tmp/speed"
{ [ -L "$tmp/speed/bench-speed.md" ] && grep -q 'bench-speed' "$tmp/speed-real.md"; } || { echo "FAIL bench-speed --out replaced the symlink"; fail=1; }
leftover=$(find "$tmp" -name '*.tmp.*')
[ -z "$leftover" ] || { echo "FAIL temporaries left: $leftover"; fail=1; }

# 3. Empty validation or test sets are refused, naming which; --select last
# trains without a validation set.
cp -r "$tiny" "$tmp/no-val" && : >"$tmp/no-val/val.txt"
expect "empty val.txt" 2 "validation set is empty" "$GNNKD_BIN" train --dataset "$tmp/no-val" --epochs 3 --quiet
expect "empty val.txt, val-loss" 2 "validation set is empty" "$GNNKD_BIN" distill --dataset "$tmp/no-val" --epochs 3 --quiet --select val-loss
expect "empty val.txt, --select last" 0 "" "$GNNKD_BIN" train --dataset "$tmp/no-val" --epochs 3 --quiet --select last
cp -r "$tiny" "$tmp/no-test" && : >"$tmp/no-test/test.txt"
expect "empty test.txt, train" 2 "test set is empty" "$GNNKD_BIN" train --dataset "$tmp/no-test" --epochs 3 --quiet
expect "empty test.txt, distill" 2 "test set is empty" "$GNNKD_BIN" distill --dataset "$tmp/no-test" --epochs 3 --quiet
expect "empty test.txt, eval" 2 "test set is empty" "$GNNKD_BIN" eval --dataset "$tmp/no-test" --load "$tmp/real.bin"

# 4. Declared sizes are checked before anything is allocated; readers take
# regular files only. Each case runs under a 1 GB address-space limit (the
# program's own baseline is ~0.3 GB of mappings) and 20 s: a reader that trusts
# a size fails with another message or is killed.
# (AddressSanitizer reserves terabytes of address space: there the limit is
# left out and only the timeout holds)
asan=0
ldd "$GNNKD_BIN" 2>/dev/null | grep -q libasan && asan=1
limited() { if [ $asan = 1 ]; then timeout 60 "$@"; else (ulimit -v 1000000; exec timeout 20 "$@"); fi; }
expect "--load /dev/zero" 2 "/dev/zero: not a regular file" limited "$GNNKD_BIN" eval --dataset "$tiny" --load /dev/zero
mkfifo "$tmp/model-fifo"
expect "--load FIFO" 2 "model-fifo: not a regular file" limited "$GNNKD_BIN" eval --dataset "$tiny" --load "$tmp/model-fifo"
expect "--teacher FIFO.npy" 2 "not a regular file" limited "$GNNKD_BIN" distill --dataset "$tiny" --teacher "$tmp/model-fifo" --epochs 2
printf '%%%%MatrixMarket matrix coordinate real general\n500000000 4 1\n1 1 1\n' >"$tmp/rows500M.mtx"
expect "--features declaring 500M rows" 2 "rows500M.mtx: 500000000 feature rows for the 5 nodes" limited "$GNNKD_BIN" train \
  --graph "$graphs/small.edges" --features "$tmp/rows500M.mtx" --labels "$graphs/small.labels.txt" --epochs 2
printf '0 200000000\n' >"$tmp/far.edges"
expect "edge list 0 200000000" 2 "far.edges:1: node id 200000000 would make" limited "$GNNKD_BIN" info --graph "$tmp/far.edges"
printf '0 1\n1 2\n0 1039\n' >"$tmp/near.edges"  # 3 edges: ids up to 16 * 3 + 1024 - 1 = 1071
expect "edge list within the bound" 0 "" "$GNNKD_BIN" info --graph "$tmp/near.edges"
printf '*Vertices 200000000\n*Edges\n1 2\n' >"$tmp/big.net"
expect "pajek *Vertices 200000000" 2 "big.net:1: declares 200000000 nodes" limited "$GNNKD_BIN" info --graph "$tmp/big.net"
printf 'p max 200000000 1\na 1 2 1\n' >"$tmp/big.dimacs"
expect "dimacs p max 200000000" 2 "big.dimacs:1: declares 200000000 nodes" limited "$GNNKD_BIN" info --graph "$tmp/big.dimacs"
# igraph's DIMACS reader makes a node of every id up to an arc's, declared or not
printf 'p max 3 1\na 1 100000000 1\n' >"$tmp/far.dimacs"
expect "dimacs arc to node 100000000" 2 "far.dimacs:2: node id 100000000 in a file of 2 lines" limited "$GNNKD_BIN" info --graph "$tmp/far.dimacs"
printf 'p edge 3 1\ne 1 100000000\n' >"$tmp/fare.dimacs"
expect "dimacs edge to node 100000000" 2 "fare.dimacs:2: node id 100000000" limited "$GNNKD_BIN" info --graph "$tmp/fare.dimacs"
printf 'p max 3 1\nn 50000000 s\na 1 2 1\n' >"$tmp/farn.dimacs"
expect "dimacs node line 50000000" 2 "farn.dimacs:2: node id 50000000" limited "$GNNKD_BIN" info --graph "$tmp/farn.dimacs"
printf 'p max 3 1\na 1 1055 1\n' >"$tmp/near.dimacs"  # 2 lines: ids up to 16 * 2 + 1024 - 1 = 1055
expect "dimacs arc within the bound" 0 "" "$GNNKD_BIN" info --graph "$tmp/near.dimacs"
expect "--graph FIFO" 2 "not a regular file" limited "$GNNKD_BIN" info --graph "$tmp/model-fifo" --format edgelist
cp -r "$tiny" "$tmp/classes1M" && echo 1000000 >"$tmp/classes1M/classes.txt"
expect "classes.txt = 1000000" 2 "classes.txt:1: 1000000 classes for the 6 nodes" limited "$GNNKD_BIN" train --dataset "$tmp/classes1M" --epochs 2
printf '0\n0\n1\n1\n999999\n' >"$tmp/far.labels.txt"
expect "--labels class 999999" 2 "class 999999 makes 1000000 classes for the 5 nodes" limited "$GNNKD_BIN" train \
  --graph "$graphs/small.edges" --labels "$tmp/far.labels.txt" --epochs 2
expect "--split random:1:1:2000000000" 2 "fewer than the 2000000001 asked for (1 validation + 2000000000 test)" limited "$GNNKD_BIN" train \
  --dataset "$tiny" --split random:1:1:2000000000 --epochs 2
cp -r "$tiny" "$tmp/wide" && printf '%%%%MatrixMarket matrix coordinate real general\n6 2000000000 1\n1 1 1\n' >"$tmp/wide/features.mtx"
expect "features.mtx with 2e9 columns" 2 "features.mtx:2: 2000000000 feature columns for 1 entries" limited "$GNNKD_BIN" train --dataset "$tmp/wide" --epochs 2

# 5. Thread pools: under ulimit -v, --threads 16 finishes (capped, with a note)
# instead of spinning in OpenBLAS's allocator.
[ $asan = 1 ] || expect "ulimit -v 2000000, --threads 16" 0 "as many as fit the address-space limit" \
  bash -c 'ulimit -v 2000000; exec timeout 60 "$@"' _ "$GNNKD_BIN" train --dataset "$tiny" --threads 16 --epochs 5 --quiet

# 6. Smaller defects.
GNNKD_DATA="$GNNKD_TEST_DATA" expect "--dataset .." 2 "dataset name '..' is not a dataset" "$GNNKD_BIN" train --dataset .. --epochs 2
GNNKD_DATA="$GNNKD_TEST_DATA/graphs" expect "--dataset ." 2 "dataset name '.' is not" "$GNNKD_BIN" info --dataset .
GNNKD_DATA="$GNNKD_TEST_DATA" expect "--dataset tiny by name" 0 "" "$GNNKD_BIN" train --dataset tiny --epochs 2 --quiet
expect "--save ''" 2 "--save: an output path is empty" "$GNNKD_BIN" train --dataset "$tiny" --epochs 2 --quiet --save ''
expect "--save DIR" 2 "is a directory" "$GNNKD_BIN" train --dataset "$tiny" --epochs 2 --quiet --save "$tmp"
expect "--save-logits in a missing folder" 2 "no-dir does not exist" "$GNNKD_BIN" distill --dataset "$tiny" --epochs 2 --quiet --save-logits "$tmp/no-dir/z.npy"
expect "--save-teacher DIR" 2 "--save-teacher" "$GNNKD_BIN" distill --dataset "$tiny" --epochs 2 --quiet --save-teacher "$tmp"
expect "eval --save-logits ''" 2 "--save-logits: an output path is empty" "$GNNKD_BIN" eval --dataset "$tiny" --load "$tmp/real.bin" --save-logits ''
expect "--layers 1" 2 "--layers takes a whole number from 2 to 8, got '1'" "$GNNKD_BIN" train --dataset "$tiny" --epochs 2 --layers 1
expect "--graph without --labels" 2 "has no labels: give --labels FILE" "$GNNKD_BIN" train --graph "$graphs/small.edges" --epochs 2
expect "--graph without --labels, distill" 2 "has no labels: give --labels FILE" "$GNNKD_BIN" distill --graph "$graphs/small.edges" --epochs 2
expect "--graph without --labels, --split" 2 "needs --labels" "$GNNKD_BIN" train --graph "$graphs/small.edges" --split random:1:1:1 --epochs 2
# two runs on one folder: while one holds it, a --resume is refused (no duplicate rows)
bench() { "$GNNKD_BIN" bench --dataset "$tiny" --epochs 3 --temperatures 1 --alphas 0.5 --students mlp:4 \
  --teacher gcn:4 --no-plots --quiet "$@"; }
expect "bench, 1 seed" 0 "" bench --seeds 1 --out "$tmp/bench-lock"
rows=$(wc -l <"$tmp/bench-lock/results.csv")
expect "bench --resume while another run holds the folder" 2 "another gnnkd bench is writing this folder" \
  flock "$tmp/bench-lock/results.csv" "$GNNKD_BIN" bench --dataset "$tiny" --epochs 3 --temperatures 1 \
  --alphas 0.5 --students mlp:4 --teacher gcn:4 --no-plots --quiet --seeds 2 --resume "$tmp/bench-lock"
[ "$(wc -l <"$tmp/bench-lock/results.csv")" -eq "$rows" ] || { echo "FAIL rows appended by a refused run"; fail=1; }
expect "bench --resume alone" 0 "" bench --seeds 2 --resume "$tmp/bench-lock"
[ "$(wc -l <"$tmp/bench-lock/results.csv")" -eq $((2 * rows - 1)) ] || { echo "FAIL resume rows: $(wc -l <"$tmp/bench-lock/results.csv")"; fail=1; }
# out of memory names the option behind the size, not an internal function
# (needs the address-space limit: not under AddressSanitizer)
if [ $asan = 0 ]; then
  expect "out of memory for a model" 1 "model gcn:50000 on synthetic:nodes=3000 (3000 nodes" limited "$GNNKD_BIN" \
    train --dataset synthetic:nodes=3000 --model gcn:50000 --epochs 2 --quiet
  grep -q -e gkd_ -e gnnkd_ -e coo_to -e __ "$tmp/err" && { echo "FAIL internal name in: $(cat "$tmp/err")"; fail=1; }
fi

[ $fail -eq 0 ] && echo "all hardening cases behave"
exit $fail
