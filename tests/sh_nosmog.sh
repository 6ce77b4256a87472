#!/usr/bin/env bash
# gnnkd distill with NOSMOG's student inputs on a small synthetic graph:
# position features (computed, saved, reused bit for bit at one thread),
# adversarial augmentation, similarity distillation, the recipe, both together in the inductive setting, and
# the errors of bad options (each names its option); a position student saved, served by predict and
# exported as C that answers as predict does. Needs GNNKD_BIN.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data="synthetic:nodes=300,features=32,train-per-class=5"
run() { "$GNNKD_BIN" distill --dataset "$data" --teacher gcn:8 --student mlp:8 --epochs 5 \
  --threads 1 --quiet --json "$@"; }
acc() { grep -o '"test_acc":{"mean":[0-9.e-]*' <<<"$1" | head -1 | sed 's/.*://'; }

out=$(run --position deepwalk:8,walks=2,length=10 --position-save "$tmp/pos.npy")
grep -q '"position":"deepwalk:8,walks=2,length=10"' <<<"$out" || fail "position in the JSON: $out"
test -s "$tmp/pos.npy" || fail "no saved position block"
# the student's input grew by 8 columns: 32 + 8 inputs, 8 hidden, 7 classes
grep -q '"student_params":391' <<<"$out" || fail "student with 40 inputs: $out"
again=$(run --position "$tmp/pos.npy")
[ "$(acc "$out")" = "$(acc "$again")" ] || fail "the saved block gave $(acc "$again"), not $(acc "$out")"

out=$(run --adv-eps 0.05 --adv-steps 2 --adv-weight 0.5)
grep -q '"adv_eps":0.05,"adv_steps":2,"adv_weight":0.5' <<<"$out" || fail "adv options: $out"
out=$(run --setting inductive --position deepwalk:4,walks=1,length=5 --adv-eps 0.01)
grep -q '"test_acc_ind"' <<<"$out" || fail "inductive run: $out"

# similarity distillation, and the recipe with an explicit option over its value
out=$(run --rsd-weight 2 --rsd-batch 64)
grep -q '"rsd_weight":2,"rsd_batch":64' <<<"$out" || fail "rsd options: $out"
out=$(run --recipe nosmog --rsd-batch 100 --position deepwalk:4,walks=1,length=5)
grep -q '"recipe":"nosmog","position":"deepwalk:4,walks=1,length=5","rsd_weight":3,"rsd_batch":100' \
  <<<"$out" || fail "recipe with overrides: $out"
grep -q '"student_params":359' <<<"$out" || fail "recipe student with 36 inputs: $out"
grep -q '"temperature":1,.*"standardise_logits":true' <<<"$out" || fail "recipe's targets: $out"
grep -q '"generations":2' <<<"$out" || fail "recipe's two generations: $out"
out=$(run --recipe nosmog --generations 1 --epochs 1)
grep -q '"generations":1' <<<"$out" || fail "recipe, one generation: $out"
# standardised targets are a different objective: another student, and the recipe's can be turned off
run --save-logits "$tmp/plain.npy" >/dev/null
std=$(run --standardise-logits 1 --save-logits "$tmp/std.npy")
grep -q '"standardise_logits":true' <<<"$std" || fail "--standardise-logits 1: $std"
! cmp -s "$tmp/plain.npy" "$tmp/std.npy" || fail "standardised targets changed nothing"
out=$(run --recipe nosmog --standardise-logits 0 --epochs 1)
grep -q '"standardise_logits":false' <<<"$out" || fail "recipe, standardisation off: $out"
# and its position features: the plain student's 32 inputs (8 hidden, 7 classes: 327 weights)
out=$(run --recipe nosmog --position none --epochs 1)
grep -q '"student_params":327' <<<"$out" || fail "recipe, position features off: $out"
! grep -q '"position"' <<<"$out" || fail "recipe, position features off, reports one: $out"
out=$(run --rsd-weight 2 --rsd-similarity dot --rsd-projector 1 --lsp-preact)
grep -q '"rsd_weight":2,"rsd_batch":512,"rsd_similarity":"dot","rsd_projector":true' <<<"$out" \
  || fail "NOSMOG's similarity form: $out"
# the recipe's 500 epochs, watched to the end, unless --epochs says otherwise
out=$("$GNNKD_BIN" distill --dataset "$data" --teacher gcn:8 --student mlp:8 --threads 1 --quiet \
  --json --recipe nosmog --position deepwalk:4,walks=1,length=5 --rsd-weight 0)
grep -q '"epochs":{"mean":500,' <<<"$out" || fail "recipe's epochs: $out"
out=$(run --rsd-weight 0 --recipe=nosmog --epochs 1)
grep -q '"recipe":"nosmog","position":"deepwalk:64","rsd_weight":0,' <<<"$out" || fail "recipe, rsd off: $out"

# NOSMOG's student training: mini-batches, dropout after the hidden layer only; a
# batch of every node is the full-batch step (the same accuracy to the digit)
out=$(run --recipe nosmog --rsd-batch 100 --batch 100 --hidden-dropout-only --epochs 3)
grep -q '"batch":100,"hidden_dropout_only":true' <<<"$out" || fail "batch options: $out"
full=$(run --rsd-weight 1 --rsd-batch 100)
whole=$(run --rsd-weight 1 --rsd-batch 100 --batch 100000)
[ "$(acc "$full")" = "$(acc "$whole")" ] || fail "batch of all nodes: $(acc "$whole"), full $(acc "$full")"

check_err() { # expected-text option...
  local want=$1; shift
  if run "$@" >/dev/null 2>"$tmp/err"; then fail "$* was accepted"; fi
  grep -q -- "$want" "$tmp/err" || fail "$*: $(cat "$tmp/err")"
}
check_err "--position.*deepwalk:0.*dimension" --position deepwalk:0
check_err "--position.*unknown key 'walk'" --position deepwalk:8,walk=3
check_err "adv-eps" --adv-eps -0.1
check_err "adv-steps" --adv-eps 0.1 --adv-steps 0
check_err "position-save needs position features" --position-save "$tmp/x.npy"
check_err "position-save needs position features" --recipe nosmog --position none --position-save "$tmp/x.npy"
check_err "missing.npy" --position "$tmp/missing.npy"
check_err "cannot be combined" --position deepwalk:4 --transfer munge:10
check_err "recipe 'glnn': expected nosmog" --recipe glnn
check_err "rsd-batch" --rsd-weight 1 --rsd-batch 0
check_err "rsd-similarity 'cos': expected cosine or dot" --rsd-similarity cos
check_err "rsd-projector" --rsd-projector 2
check_err "\-\-batch takes a whole number" --batch -1
check_err "\-\-batch takes a whole number" --batch 12x
check_err "mini-batches (batch 8) do not go with lsp" --method lsp --batch 8
# a position student ships with its rows: its logits saved, and predict serves
# new nodes from their features and edges alone (a new node whose one edge is
# to known node i, with i's features, is node i: the same probabilities)
tiny="$GNNKD_TEST_DATA/tiny"
"$GNNKD_BIN" distill --dataset "$tiny" --teacher gcn:4 --student mlp:4 --epochs 5 --threads 1 \
  --quiet --position deepwalk:4,walks=2,length=5 --save "$tmp/p.model" --save-logits "$tmp/p.npy" \
  >/dev/null || fail "distill a position student"
printf '# new known\n0 0\n1 1\n2 2\n3 3\n4 4\n5 5\n' >"$tmp/self.txt"
"$GNNKD_BIN" predict --load "$tmp/p.model" --features "$tiny/features.mtx" --edges "$tmp/self.txt" \
  --out "$tmp/p.csv" || fail "predict with a position student"
python3 - "$tmp/p.npy" "$tmp/p.csv" <<'PY' || fail "predict differs from the saved logits"
import ast, math, struct, sys
data = open(sys.argv[1], "rb").read()
hlen = struct.unpack("<H", data[8:10])[0]
rows, cols = ast.literal_eval(data[10:10 + hlen].decode())["shape"]
z = struct.unpack("<%df" % (rows * cols), data[10 + hlen:10 + hlen + 4 * rows * cols])
csv = [l.split(",") for l in open(sys.argv[2]).read().split()[1:]]
assert len(csv) == rows == 6, (len(csv), rows)
for i, line in enumerate(csv):
    x = z[i * cols:(i + 1) * cols]
    e = [math.exp(v - max(x)) for v in x]
    for c in range(cols):
        assert abs(float(line[2 + c]) - e[c] / sum(e)) < 1e-5, (i, c, line, x)
PY
"$GNNKD_BIN" eval --dataset "$tiny" --load "$tmp/p.model" --save-logits "$tmp/e.npy" >/dev/null &&
  python3 "$(dirname "$0")/npy_compare.py" "$tmp/p.npy" "$tmp/e.npy" 1e-6 >/dev/null ||
  fail "eval of a position student differs from distill's logits"
run --position deepwalk:4,walks=1,length=5 --save "$tmp/s.model" >/dev/null
if "$GNNKD_BIN" eval --dataset "$tiny" --load "$tmp/s.model" >/dev/null 2>"$tmp/err"; then
  fail "eval on another dataset"; fi
grep -q "s.model: position rows of 300 nodes, but tiny has 6" "$tmp/err" || fail "eval: $(cat "$tmp/err")"
pred() { "$GNNKD_BIN" predict --load "$tmp/p.model" --features "$tiny/features.mtx" "$@"; }
if pred >/dev/null 2>"$tmp/err"; then fail "position student without --edges"; fi
grep -q "position features: it needs the new nodes' edges to the 6 nodes it knows (--edges FILE)" \
  "$tmp/err" || fail "no --edges: $(cat "$tmp/err")"
printf '0 6\n' >"$tmp/far.txt"
if pred --edges "$tmp/far.txt" >/dev/null 2>"$tmp/err"; then fail "edge to node 6 accepted"; fi
grep -q "far.txt:1" "$tmp/err" || fail "edge out of range: $(cat "$tmp/err")"
# the exported student (float and int8) serves new nodes from their features
# and their known neighbours as predict --edges does: 40 new rows (one all
# zero), some without neighbours, some with a neighbour given twice
awk 'BEGIN{srand(7); print "%%MatrixMarket matrix coordinate real general"; n=0
  for (i = 1; i <= 40; i++) for (j = 1; j <= 4; j++) if (i != 9 && rand() < 0.6) { r[++n] = i " " j " " int(rand() * 100) / 10 }
  print 40, 4, n; for (k = 1; k <= n; k++) print r[k]}' >"$tmp/new.mtx"
awk 'BEGIN{print "# new known"; for (i = 0; i < 40; i++) { if (i % 4 == 0) continue
  if (i % 4 == 1) { print i, i % 6; print i, i % 6; print i, (i + 3) % 6 } else { print i, i % 6; print i, (i * 5 + 1) % 6 } }}' >"$tmp/new-edges.txt"
"$GNNKD_BIN" predict --load "$tmp/p.model" --features "$tmp/new.mtx" --edges "$tmp/new-edges.txt" \
  --out "$tmp/new.npy" || fail "predict new nodes"
"$GNNKD_BIN" export --load "$tmp/p.model" --out "$tmp/p.c" 2>"$tmp/err" &&
  "$GNNKD_BIN" export --load "$tmp/p.model" --out "$tmp/q.c" --int8 2>>"$tmp/err" ||
  fail "export of a position student: $(cat "$tmp/err")"
grep -q "position rows of 6 nodes x 4 columns, 96 bytes" "$tmp/err" || fail "export: $(cat "$tmp/err")"
grep -q "int student_predict_new(const float \*x, const int32_t \*nbr, int nnbr, float \*probs);" \
  "$tmp/p.h" && grep -q "#define STUDENT_NNODES 6" "$tmp/q.h" || fail "export header: $(cat "$tmp/p.h")"
cat >"$tmp/driver.c" <<'C'
/* reads a MatrixMarket feature file and an edge file ("NEW KNOWN" lines, '#'
 * comments); prints each new node's class and probabilities */
#include <stdio.h>
#include <string.h>
#include HDR
enum { MAXN = 64, MAXE = 256 };
int main(int argc, char **argv) {
    static float x[MAXN][STUDENT_NFEAT];
    static int32_t nbr[MAXN][MAXE];
    static int deg[MAXN];
    float probs[STUDENT_NCLASS], v;
    char line[256];
    int rows = 0, cols, nnz, i, j, c, got = 0;
    FILE *f = fopen(argv[1], "r"), *e = fopen(argv[2], "r");
    if (argc != 3 || !f || !e) return 2;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '%') continue;
        if (!got++) { if (sscanf(line, "%d %d %d", &rows, &cols, &nnz) != 3 || rows > MAXN || cols != STUDENT_NFEAT) return 2; continue; }
        if (sscanf(line, "%d %d %f", &i, &j, &v) != 3) return 2;
        x[i - 1][j - 1] = v;
    }
    while (fgets(line, sizeof line, e))
        if (line[0] != '#' && sscanf(line, "%d %d", &i, &j) == 2) nbr[i][deg[i]++] = j;
    for (i = 0; i < rows; i++) {
        const int k = student_predict_new(x[i], deg[i] ? nbr[i] : NULL, deg[i], probs);
        if (k < 0) return 3;
        printf("%d,%d", i, k);
        for (c = 0; c < STUDENT_NCLASS; c++) printf(",%.9g", (double)probs[c]);
        printf("\n");
    }
    return 0;
}
C
for v in p q; do
  cc -std=c99 -O2 -Wall -Wextra -Werror -pedantic -DHDR="\"$v.h\"" -I"$tmp" -o "$tmp/drive-$v" \
    "$tmp/driver.c" "$tmp/$v.c" -lm || fail "the $v export and its driver do not compile"
  "$tmp/drive-$v" "$tmp/new.mtx" "$tmp/new-edges.txt" >"$tmp/drive-$v.csv" || fail "driver $v"
done
python3 - "$tmp/new.npy" "$tmp/drive-p.csv" "$tmp/drive-q.csv" <<'PY' || fail "the export differs from predict"
import ast, struct, sys
data = open(sys.argv[1], "rb").read()
hlen = struct.unpack("<H", data[8:10])[0]
rows, cols = ast.literal_eval(data[10:10 + hlen].decode())["shape"]
z = struct.unpack("<%df" % (rows * cols), data[10 + hlen:10 + hlen + 4 * rows * cols])
fl = [l.split(",") for l in open(sys.argv[2]).read().split()]
q8 = [l.split(",") for l in open(sys.argv[3]).read().split()]
assert rows == len(fl) == len(q8) == 40, (rows, len(fl), len(q8))
for i in range(rows):
    want = z[i * cols:(i + 1) * cols]  # node, class, probabilities
    assert int(fl[i][1]) == int(want[1]), (i, fl[i], want)
    for c in range(cols - 2):
        assert abs(float(fl[i][2 + c]) - want[2 + c]) < 1e-5, (i, c, fl[i], want)
    assert abs(sum(float(p) for p in q8[i][2:]) - 1) < 1e-5, (i, q8[i])
PY
printf '0 6\n' >"$tmp/far-edges.txt"
"$tmp/drive-p" "$tmp/new.mtx" "$tmp/far-edges.txt" >/dev/null && fail "the export took known node 6 of 6"
if "$GNNKD_BIN" export --load "$tmp/p.model" --out "$tmp/no/such/p.c" 2>"$tmp/err"; then fail "exported"; fi
grep -q "no/such/p" "$tmp/err" || fail "export to a missing folder: $(cat "$tmp/err")"
echo "sh_nosmog: ok"
