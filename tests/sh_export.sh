#!/usr/bin/env bash
# Deploying a student: `gnnkd predict` round-trips (the test nodes of Cora,
# predicted from their raw feature rows, give the student's test accuracy),
# graph models answer with the new nodes' edges, `gnnkd export` writes C that
# a strict C99 compiler takes, and bad models, widths and edge files give
# clear errors (exit 2, naming the file).
set -u
. "$(dirname "$0")/lib.sh"
need_data cora
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect2() { # what, expected text in stderr, command...
  local what=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ $rc -ne 2 ] || ! grep -qF -- "$want" "$tmp/err"; then
    echo "FAIL $what: exit $rc (want 2; want '$want' in stderr): $(head -c 400 "$tmp/err")"
    fail=1
  fi
}
cora="$GNNKD_DATA/cora"
tiny="$GNNKD_TEST_DATA/tiny"

# an MLP on row-normalised Cora; its test accuracy as eval reports it
"$GNNKD_BIN" train --dataset cora --model mlp:16 --epochs 60 --quiet --save "$tmp/m.model" >/dev/null || { echo "FAIL train"; exit 1; }
want=$("$GNNKD_BIN" eval --dataset cora --load "$tmp/m.model" --json | sed 's/.*"test_acc":\([0-9.]*\).*/\1/')
# the test nodes' raw rows, in test.txt's order, as a MatrixMarket file
awk 'NR==FNR{t[$1+1]=++k; next} /^%/{next} !hdr{hdr=1; next} ($1 in t){print t[$1], $2, $3}' \
  "$cora/test.txt" "$cora/features.mtx" >"$tmp/body"
{ echo "%%MatrixMarket matrix coordinate real general"; echo "$(wc -l <"$cora/test.txt") 1433 $(wc -l <"$tmp/body")"; cat "$tmp/body"; } >"$tmp/test.mtx"
"$GNNKD_BIN" predict --load "$tmp/m.model" --features "$tmp/test.mtx" --out "$tmp/p.csv" || { echo "FAIL predict"; fail=1; }
got=$(awk -F, 'FILENAME==ARGV[1]{lab[FNR-1]=$1; next} FILENAME==ARGV[2]{tid[FNR-1]=$1; next}
  FNR==1{next} {n++; s=0; for (c=3; c<=NF; c++) s+=$c; if (s<0.999||s>1.001) bad++; if ($2==lab[tid[$1]]) ok++}
  END{if (bad) print "bad"; else printf "%.6f %d\n", ok/n, n}' "$cora/labels.txt" "$cora/test.txt" "$tmp/p.csv")
awk -v w="$want" -v g="${got% *}" 'BEGIN{exit !(g != "bad" && (w-g)^2 < 1e-12)}' ||
  { echo "FAIL round trip: predict gives test accuracy $got, eval $want"; fail=1; }
[ "${got#* }" = 1000 ] || { echo "FAIL predict rows: $got"; fail=1; }
# stdout and .npy give the same answers: 1000 rows of (2 + 7) float32 after the header
"$GNNKD_BIN" predict --load "$tmp/m.model" --features "$tmp/test.mtx" >"$tmp/p2.csv" && cmp -s "$tmp/p.csv" "$tmp/p2.csv" ||
  { echo "FAIL predict to stdout differs from --out"; fail=1; }
"$GNNKD_BIN" predict --load "$tmp/m.model" --features "$tmp/test.mtx" --out "$tmp/p.npy" && head -c 128 "$tmp/p.npy" | grep -q "'shape': (1000, 9)" ||
  { echo "FAIL predict .npy"; fail=1; }

# eval applies the normalisation the model records, as predict does: a model
# trained on raw features scores its training-time accuracy without the flag,
# and a flag that contradicts the record is refused
"$GNNKD_BIN" train --dataset cora --model mlp:16 --epochs 60 --raw-features --quiet --save "$tmp/r.model" --json >"$tmp/r.json" || { echo "FAIL raw train"; fail=1; }
trained=$(sed 's/.*"test_acc":{"mean":\([0-9.]*\).*/\1/' "$tmp/r.json")
evald=$("$GNNKD_BIN" eval --dataset cora --load "$tmp/r.model" --json | sed 's/.*"test_acc":\([0-9.]*\).*/\1/')
awk -v a="$trained" -v b="$evald" 'BEGIN{exit !(a != "" && (a-b)^2 < 1e-12)}' ||
  { echo "FAIL eval of a --raw-features model: test accuracy $evald, at training $trained"; fail=1; }
expect2 "eval --raw-features, row-sum model" "--raw-features" "$GNNKD_BIN" eval --dataset cora --load "$tmp/m.model" --raw-features

# the export compiles with a strict C99 compiler, float and int8
"$GNNKD_BIN" export --load "$tmp/m.model" --out "$tmp/s.c" 2>/dev/null &&
"$GNNKD_BIN" export --load "$tmp/m.model" --out "$tmp/q.c" --int8 --name q 2>/dev/null &&
  cc -std=c99 -O2 -Wall -Wextra -Werror -pedantic -c "$tmp/s.c" -o "$tmp/s.o" &&
  cc -std=c99 -O2 -Wall -Wextra -Werror -pedantic -c "$tmp/q.c" -o "$tmp/q.o" ||
  { echo "FAIL export does not compile"; fail=1; }
grep -q "row is scaled to sum 1" "$tmp/s.h" && grep -q "int q_predict_sparse(const int32_t \*idx" "$tmp/q.h" &&
  grep -q "levels 0..255" "$tmp/q.h" && grep -q "cc -std=c99 -O2 -c q.c" "$tmp/q.h" ||
  { echo "FAIL export header"; fail=1; }

# a graph model answers about new nodes from their edges to the known ones
"$GNNKD_BIN" train --dataset "$tiny" --model gcn:4 --epochs 3 --quiet --save "$tmp/g.model" >/dev/null
printf '# new known\n0 1\n1 2\n1 0\n' >"$tmp/e.txt"
"$GNNKD_BIN" predict --load "$tmp/g.model" --features "$tiny/features.mtx" --dataset "$tiny" --edges "$tmp/e.txt" >"$tmp/g.csv" &&
  [ "$(wc -l <"$tmp/g.csv")" = 7 ] || { echo "FAIL gcn predict: $(cat "$tmp/g.csv")"; fail=1; }

# errors
expect2 "width mismatch" "features.mtx: 4 feature columns; expected 1433" "$GNNKD_BIN" predict --load "$tmp/m.model" --features "$tiny/features.mtx"
printf 'not a model' >"$tmp/junk.model"
expect2 "junk model" "junk.model" "$GNNKD_BIN" predict --load "$tmp/junk.model" --features "$tmp/test.mtx"
expect2 "junk model export" "junk.model" "$GNNKD_BIN" export --load "$tmp/junk.model" --out "$tmp/j.c"
expect2 "missing features" "nope.mtx" "$GNNKD_BIN" predict --load "$tmp/m.model" --features "$tmp/nope.mtx"
expect2 "mlp with edges" "MLP" "$GNNKD_BIN" predict --load "$tmp/m.model" --features "$tmp/test.mtx" --dataset cora --edges "$tmp/e.txt"
expect2 "gcn without edges" "--edges" "$GNNKD_BIN" predict --load "$tmp/g.model" --features "$tiny/features.mtx"
printf '0 1\n1 99\n' >"$tmp/bad-e.txt"
expect2 "edge out of range" "bad-e.txt:2" "$GNNKD_BIN" predict --load "$tmp/g.model" --features "$tiny/features.mtx" --dataset "$tiny" --edges "$tmp/bad-e.txt"
printf '0 x\n' >"$tmp/bad-e2.txt"
expect2 "malformed edge" "bad-e2.txt:1" "$GNNKD_BIN" predict --load "$tmp/g.model" --features "$tiny/features.mtx" --dataset "$tiny" --edges "$tmp/bad-e2.txt"
expect2 "gcn export" "graph" "$GNNKD_BIN" export --load "$tmp/g.model" --out "$tmp/g.c"
[ ! -e "$tmp/g.c" ] && [ ! -e "$tmp/g.h" ] || { echo "FAIL a refused export left files"; fail=1; }
expect2 "bad name" "identifier" "$GNNKD_BIN" export --load "$tmp/m.model" --out "$tmp/x.c" --name "a-b"
exit $fail
