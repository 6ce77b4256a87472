#!/bin/bash
# sh_bench_grid.sh — `gnnkd bench`'s grid on small synthetic graphs (no data
# needed): lists of teachers and methods, scratch students once per seed,
# the inductive setting and the GLNN protocol (tran / ind / prod, the split
# redrawn per seed), resume, a results file of another column layout, and
# the usage errors of the new options. JSON read with jq.
set -euo pipefail

: "${GNNKD_BIN:?GNNKD_BIN must name the gnnkd program}"
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "sh_bench_grid: $*" >&2
    exit 1
}
command -v jq >/dev/null || fail "jq is needed to read the JSON (scripts/install-deps.sh installs it)"

# a Cora-like graph small enough for seconds; no comma in its name, so that
# results.csv splits on commas
data=(--dataset synthetic:nodes=600)
small=(--quick --students mlp:16 --temperatures 1,2 --alphas 0.9 --epochs 30 --threads 1 --quiet --no-plots)

# rows OUT FILTER: the rows of OUT/results.csv an awk condition picks
# (columns by name: $c["method"]).
rows() {
    awk -F, -v want="$2" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        { split(want, w, "="); } $c[w[1]] == w[2]' "$1/results.csv"
}
count() { rows "$1" "$2" | wc -l; }

# ---- two teachers, every method -------------------------------------------------
out=$tmp/two
"$GNNKD_BIN" bench "${data[@]}" "${small[@]}" --teachers gcn:16,mlp:32 --methods scratch,kd,compress \
    --out "$out" >"$tmp/stdout" 2>"$tmp/stderr" || fail "two teachers: $(cat "$tmp/stderr")"
# 2 seeds x (scratch + 2 teachers x (teacher + 2 KD + 1 compression))
[ "$(($(wc -l <"$out/results.csv") - 1))" -eq 18 ] || fail "two teachers: not 18 rows"
for t in gcn:16 mlp:32; do
    [ "$(count "$out" "teacher=$t")" -eq 8 ] || fail "two teachers: not 8 rows with teacher $t"
    [ "$(rows "$out" "teacher=$t" | awk -F, '$4 == "teacher"' | wc -l)" -eq 2 ] ||
        fail "two teachers: not one row of teacher $t a seed"
done
[ "$(count "$out" "method=scratch")" -eq 2 ] || fail "two teachers: scratch not once per seed"
[ "$(rows "$out" "method=scratch" | cut -d, -f2 | sort -u)" = none ] ||
    fail "two teachers: a scratch row names a teacher"
[ "$(rows "$out" "method=scratch" | cut -d, -f12 | sort | tr '\n' ' ')" = "0 1 " ] ||
    fail "two teachers: the scratch rows are not seeds 0 and 1"
s=$out/summary.json
[ "$(jq '[.teachers[].teacher] | sort == ["gcn:16", "mlp:32"]' "$s")" = true ] || fail "summary.json: teachers"
[ "$(jq '[.selected[] | select(.method == "scratch")] | length == 1 and .[0].teacher == null' "$s")" = true ] ||
    fail "summary.json: scratch is not selected once, without a teacher"
[ "$(jq '[.selected[] | select(.method != "scratch") | .teacher] | sort == ["gcn:16", "gcn:16", "mlp:32", "mlp:32"]' "$s")" = true ] ||
    fail "summary.json: not KD and compression for each teacher"
[ "$(jq '.settings.methods == ["scratch", "kd", "compress"]' "$s")" = true ] || fail "summary.json: methods"
grep -q '^| synthetic:nodes=600 | gcn:16 |' "$out/summary.md" || fail "summary.md: no row for teacher gcn:16"
grep -q '^| synthetic:nodes=600 | mlp:32 | .* | ↑ |' "$out/summary.md" ||
    fail "summary.md: scratch is repeated in the second teacher's row"

# ---- resume: a run cut to 7 rows runs exactly the other 11 -------------------------
head -n 8 "$out/results.csv" >"$tmp/cut.csv"
cp "$tmp/cut.csv" "$out/results.csv"
"$GNNKD_BIN" bench "${data[@]}" "${small[@]}" --teachers gcn:16,mlp:32 --resume "$out" >/dev/null \
    2>"$tmp/stderr" || fail "resume: $(cat "$tmp/stderr")"
[ "$(($(wc -l <"$out/results.csv") - 1))" -eq 18 ] || fail "resume: not 18 rows"
[ -z "$(tail -n +2 "$out/results.csv" | cut -d, -f1-12 | sort | uniq -d)" ] || fail "resume: a key twice"
[ "$(head -n 8 "$out/results.csv")" = "$(cat "$tmp/cut.csv")" ] || fail "resume: the kept rows changed"
[ "$(jq .rows_run "$out/env.json")" = 11 ] || fail "resume: rows_run is $(jq .rows_run "$out/env.json"), not 11"
# another --split-seed would mix two splits
if "$GNNKD_BIN" bench "${data[@]}" "${small[@]}" --teachers gcn:16,mlp:32 --split-seed 3 --resume "$out" \
    >/dev/null 2>"$tmp/stderr"; then
    fail "resume with another --split-seed was accepted"
fi
grep -q 'split seed' "$tmp/stderr" || fail "resume with another --split-seed: $(cat "$tmp/stderr")"

# ---- a results folder of an older column layout is refused, by name -----------------
mkdir "$tmp/old"
echo 'dataset,teacher,student,method,T,alpha,transfer,seed,training,val_acc,test_acc' >"$tmp/old/results.csv"
if "$GNNKD_BIN" bench "${data[@]}" "${small[@]}" --resume "$tmp/old" >/dev/null 2>"$tmp/stderr"; then
    fail "a results.csv of another layout was resumed"
fi
grep -q 'results.csv:1: the columns are not' "$tmp/stderr" || fail "old layout: $(cat "$tmp/stderr")"

# ---- --methods kd: no compression, no scratch; the teacher is still a row -------------
out=$tmp/kd
"$GNNKD_BIN" bench "${data[@]}" "${small[@]}" --teacher gcn:16 --methods kd --out "$out" >/dev/null \
    2>"$tmp/stderr" || fail "--methods kd: $(cat "$tmp/stderr")"
[ "$(count "$out" method=compress)" -eq 0 ] || fail "--methods kd: compress rows"
[ "$(count "$out" method=scratch)" -eq 0 ] || fail "--methods kd: scratch rows"
[ "$(count "$out" method=kd)" -eq 4 ] || fail "--methods kd: not 4 KD rows"
[ "$(count "$out" method=teacher)" -eq 2 ] || fail "--methods kd: not 2 teacher rows"
# scratch only: no teacher trained at all
out=$tmp/scratch
"$GNNKD_BIN" bench "${data[@]}" "${small[@]}" --methods scratch --out "$out" >/dev/null 2>"$tmp/stderr" ||
    fail "--methods scratch: $(cat "$tmp/stderr")"
[ "$(($(wc -l <"$out/results.csv") - 1))" -eq 2 ] || fail "--methods scratch: not 2 rows"

# ---- LSP, alone and with KD: its beta x tau grid, chosen like T and alpha --------------
out=$tmp/lsp
"$GNNKD_BIN" bench "${data[@]}" "${small[@]}" --teacher gcn:16 --methods lsp,kd+lsp --lsp-weights 1 \
    --lsp-taus 1,0.5 --out "$out" >/dev/null 2>"$tmp/stderr" || fail "--methods lsp,kd+lsp: $(cat "$tmp/stderr")"
# 2 seeds x (lsp: 1 beta x 2 tau; kd+lsp: 2 T x 1 alpha x 1 beta x 2 tau)
[ "$(count "$out" method=lsp)" -eq 4 ] || fail "lsp: not 4 rows"
[ "$(count "$out" method=kd+lsp)" -eq 8 ] || fail "kd+lsp: not 8 rows"
[ "$(rows "$out" method=lsp | cut -d, -f5,6,7,8 | sort -u | tr '\n' ' ')" = ",,1,0.5 ,,1,1 " ] ||
    fail "lsp rows: T, alpha, beta, tau are not empty, empty, 1, 0.5|1: $(rows "$out" method=lsp | cut -d, -f5-8 | sort -u)"
[ "$(jq '[.selected[] | select(.method == "lsp") | .beta] == [1]' "$out/summary.json")" = true ] ||
    fail "summary.json: lsp's selected beta"

# ---- the GLNN protocol: tran / ind / prod, a split per seed ------------------------------
# checkprod OUT F: every row has prod = (1 - F) tran + F ind (the file keeps 6
# digits), and summary.json's selected entries and teachers the same of their means
checkprod() {
    local out=$1 f=$2 tr ind pr
    tr=$(csv_col "$out/results.csv" test_acc_tran)
    ind=$(csv_col "$out/results.csv" test_acc_ind)
    pr=$(csv_col "$out/results.csv" test_acc_prod)
    awk -F, -v f="$f" -v t="$tr" -v i="$ind" -v p="$pr" 'NR > 1 {
            n++; d = (1 - f) * $t + f * $i - $p; if (d < 0) d = -d
            if ($i == "nan" || d > 2e-6) { print "row " NR ": tran " $t " ind " $i " prod " $p; bad = 1 } }
        END { if (n == 0) print "no rows"; exit bad || n == 0 }' "$out/results.csv" ||
        fail "$out: prod is not (1 - $f) tran + $f ind"
    [ "$(jq --argjson f "$f" '[(.selected[], .teachers[])
        | (1 - $f) * .test_acc_tran.mean + $f * .test_acc_ind.mean - .test_acc_prod.mean | fabs < 2e-6]
        | length >= 4 and all' "$out/summary.json")" = true ] ||
        fail "$out: summary.json's prod means are not (1 - $f) tran + $f ind"
}
out=$tmp/glnn
"$GNNKD_BIN" bench "${data[@]}" "${small[@]}" --protocol glnn --split-seed 5 --out "$out" >"$tmp/stdout" \
    2>"$tmp/stderr" || fail "--protocol glnn: $(cat "$tmp/stderr")"
checkprod "$out" 0.2
# seed k on split 5 + k: the teacher's validation accuracy comes from two different splits
ss=$(csv_col "$out/results.csv" split_seed)
[ "$(awk -F, -v s="$ss" 'NR > 1 { print $12 + 5 == $s }' "$out/results.csv" | sort -u)" = 1 ] ||
    fail "--protocol glnn: split_seed is not --split-seed + seed"
[ "$(jq -r .settings.setting "$out/summary.json")" = glnn ] || fail "--protocol glnn: summary.json setting"
for m in teacher scratch kd compress; do
    grep -Eq "^\| synthetic:nodes=600 \| [^|]+ \| [^|]+ \| $m \|( [^|]*\|){4}\$" "$out/summary.md" ||
        fail "summary.md: no tran / ind / prod line for $m"
    grep -Eq "^\| synthetic:nodes=600 \| [^|]+ \| [^|]+ \| $m \|" "$tmp/stdout" || fail "stdout: no line for $m"
done
grep -q '| tran | ind | prod |' "$out/summary.md" || fail "summary.md: no tran / ind / prod columns"
# the same options give the same split: a second run is identical, row for row
"$GNNKD_BIN" bench "${data[@]}" "${small[@]}" --protocol glnn --split-seed 5 --out "$tmp/glnn2" \
    >/dev/null 2>&1 || fail "--protocol glnn, second run"
cut -d, -f1-19 "$out/results.csv" >"$tmp/a"
cut -d, -f1-19 "$tmp/glnn2/results.csv" >"$tmp/b"
cmp -s <(sort "$tmp/a") <(sort "$tmp/b") || fail "--protocol glnn: two runs of the same options differ"
# the inductive setting with another fraction
out=$tmp/ind
"$GNNKD_BIN" bench "${data[@]}" "${small[@]}" --setting inductive:0.3 --out "$out" >/dev/null \
    2>"$tmp/stderr" || fail "--setting inductive:0.3: $(cat "$tmp/stderr")"
checkprod "$out" 0.3

# ---- usage errors name the option ----------------------------------------------------
bad() {
    local want=$1
    shift
    if "$GNNKD_BIN" bench "${data[@]}" "$@" --out "$tmp/bad" >/dev/null 2>"$tmp/stderr"; then
        fail "bench $* was accepted"
    fi
    grep -q -- "$want" "$tmp/stderr" || fail "bench $*: the error does not say $want: $(cat "$tmp/stderr")"
    [ ! -e "$tmp/bad" ] || fail "bench $*: made the results folder"
}
bad "--methods: method 'lsq'" --methods kd,lsq
bad "--methods: kd appears twice" --methods kd,kd
bad "--teachers: gcn:16 appears twice" --teachers gcn:16,gcn:16
bad "--teacher is --teachers" --teacher gcn:16 --teachers mlp:32
bad "--teacher takes one" --teacher gcn:16,mlp:32
echo "sh_bench_grid: ok"
