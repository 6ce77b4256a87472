#!/bin/bash
# sh_bench.sh — `gnnkd bench` end to end on Cora, sized for CI: two seeds,
# T in {1, 2}. Checks every output, the row count of the grid, that the
# teacher beats an MLP trained from scratch, that KD and compression are
# chosen by validation accuracy, and that --resume neither repeats a row nor
# loses one after a kill. The JSON is read with jq (scripts/install-deps.sh),
# so every machine runs the same checks.
set -euo pipefail

: "${GNNKD_BIN:?GNNKD_BIN must name the gnnkd program}"
. "$(dirname "$0")/lib.sh"
need_data cora
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "sh_bench: $*" >&2
    exit 1
}

args=(--quick --datasets cora --temperatures 1,2 --quiet)
out=$tmp/r
"$GNNKD_BIN" bench "${args[@]}" --out "$out" >"$tmp/stdout" 2>"$tmp/stderr" ||
    fail "the run failed: $(cat "$tmp/stderr")"

# ---- every output exists -----------------------------------------------------
for f in results.csv curves.csv summary.json summary.md env.json plots/plots.gp; do
    [ -s "$out/$f" ] || fail "$f is missing or empty"
done
grep -q '^| cora |' "$out/summary.md" || fail "summary.md has no headline row for cora"
grep -q '^| cora |' "$tmp/stdout" || fail "the headline table was not printed"

# ---- results.csv: the header, then one row per job of the grid ---------------
header='dataset,teacher,student,method,T,alpha,beta,tau,rsd_weight,adv_eps,transfer,seed,split_seed,training,val_acc,test_acc,test_acc_tran,test_acc_ind,test_acc_prod,epochs,train_seconds,inference_ms,student_params,teacher_params,teacher_test_acc,teacher_acc_ind,teacher_acc_prod,teacher_inference_ms,val_acc_cross'
[ "$(head -n 1 "$out/results.csv")" = "$header" ] || fail "results.csv: unexpected header"
# 2 seeds x (2 students from scratch + the teacher + 2 students x (2 T x 2 alpha
# for KD + 2 alpha for compression))
expected=30
test_acc=$(csv_col "$out/results.csv" test_acc)
tran=$(csv_col "$out/results.csv" test_acc_tran)
ind=$(csv_col "$out/results.csv" test_acc_ind)
prod=$(csv_col "$out/results.csv" test_acc_prod)
t_ind=$(csv_col "$out/results.csv" teacher_acc_ind)
t_prod=$(csv_col "$out/results.csv" teacher_acc_prod)
t_acc=$(csv_col "$out/results.csv" teacher_test_acc)
check_rows() {
    local rows
    rows=$(($(wc -l <"$out/results.csv") - 1))
    [ "$rows" -eq "$expected" ] || fail "$1: results.csv has $rows rows, expected $expected"
    [ -z "$(tail -n +2 "$out/results.csv" | cut -d, -f1-12 | sort | uniq -d)" ] ||
        fail "$1: results.csv repeats a key"
    awk -F, 'NR > 1 && NF != 29 { exit 1 }' "$out/results.csv" || fail "$1: a row without 29 fields"
    # transductive: tran is the test accuracy, prod = tran, ind is not defined
    awk -F, -v a="$test_acc" -v t="$tran" -v i="$ind" -v p="$prod" -v ti="$t_ind" -v tp="$t_prod" -v ta="$t_acc" \
        'NR > 1 && ($t != $a || $p != $a || $i != "nan" || $ti != "nan" || $tp != $ta) { exit 1 }' \
        "$out/results.csv" || fail "$1: a transductive row whose tran/ind/prod are not test_acc/nan/test_acc"
    [ "$(awk -F, 'NR > 1 && $4 == "teacher"' "$out/results.csv" | wc -l)" -eq 2 ] ||
        fail "$1: not one teacher row a seed"
    [ "$(awk -F, 'NR > 1 && $4 == "scratch" && $2 == "none"' "$out/results.csv" | wc -l)" -eq 4 ] ||
        fail "$1: not one scratch row (teacher none) a seed and student"
}
check_rows "first run"
for m in scratch kd compress; do
    grep -q ",mlp:64,$m," "$out/results.csv" || fail "no mlp:64 $m rows"
    grep -q ",gcn:8,$m," "$out/results.csv" || fail "no gcn:8 $m rows"
done

# ---- summary.json and env.json: the same checks on every machine (jq) --------------
command -v jq >/dev/null || fail "jq is needed to read the JSON (scripts/install-deps.sh installs it)"
# jqcheck WHAT FILTER: FILTER, run on $s (summary.json) and $e (env.json), must
# give true; anything else it gives is printed as the reason.
jqcheck() {
    local got
    got=$(jq -cn --slurpfile s "$out/summary.json" --slurpfile e "$out/env.json" \
        "(\$s[0]) as \$s | (\$e[0]) as \$e | $2" 2>&1) || fail "$1: jq: $got"
    [ "$got" = true ] || fail "$1: $got"
}
jqcheck "summary.json: settings" \
    'if $s.settings.select == "val-acc" and $s.settings.seeds == 2 then true else $s.settings end'
jqcheck "summary.json: results" \
    '($s.results | length) as $n | if $n == 14 and all($s.results[]; .seeds == 2) then true
     else "\($n) results (expected 14), seeds \([$s.results[].seeds])" end'
jqcheck "the teacher does not beat the MLP from scratch by 5 points" \
    '$s.teachers[0].test_acc.mean as $t
     | [$s.selected[] | select(.student == "mlp:64" and .method == "scratch")] as $m
     | if ($m | length) == 1 and $t > $m[0].test_acc.mean + 0.05 then true
       else "teacher \($t), mlp:64 from scratch \([$m[].test_acc.mean])" end'
# the choice is the best mean validation accuracy, whatever the test accuracy says
jqcheck "a selected row is not the best validation accuracy of its student and method" \
    '[$s.selected[] | select(.method != "scratch") | . as $x
      | ([$s.results[] | select(.teacher == $x.teacher and .student == $x.student and .method == $x.method)
         | .val_acc.mean] | max) as $best
      | select($x.val_acc.mean != $best or (($x.method == "kd") != ($x.T != null)))
      | "\($x.student) \($x.method) T=\($x.T): val \($x.val_acc.mean), best \($best)"]
     | if length == 0 and ($s.selected | map(select(.method != "scratch")) | length) == 4 then true else . end'
jqcheck "env.json" \
    '[("cpu_model", "cores", "threads", "git_commit", "libraries", "command", "total_seconds")
      | select(. as $k | $e | has($k) | not)] as $missing
     | if $missing == [] and $e.finished == true and $e.rows_run == 30 then true
       else "missing \($missing), finished \($e.finished), rows_run \($e.rows_run)" end'
# summary.json agrees with results.csv: the MLP's mean test accuracy from scratch
csv_mean=$(awk -F, -v a="$test_acc" 'NR > 1 && $3 == "mlp:64" && $4 == "scratch" { m += $a; n++ }
                    END { if (n == 2) printf "%.12f", m / n }' "$out/results.csv")
[ -n "$csv_mean" ] || fail "results.csv: not 2 rows of mlp:64 from scratch"
jqcheck "summary.json and results.csv disagree on the MLP from scratch" \
    "[\$s.selected[] | select(.student == \"mlp:64\" and .method == \"scratch\") | .test_acc.mean][0] as \$m
     | if (\$m - $csv_mean | fabs) < 1e-9 then true else \"summary \(\$m), results.csv $csv_mean\" end"

# ---- plots -----------------------------------------------------------------------
if command -v gnuplot >/dev/null; then
    for f in accuracy_vs_temperature accuracy_vs_size curves; do
        [ "$(head -c 8 "$out/plots/$f.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
            fail "plots/$f.png is not a PNG"
        grep -q '<svg' "$out/plots/$f.svg" || fail "plots/$f.svg is not an SVG"
    done
else
    grep -q 'could not run gnuplot' "$tmp/stderr" || fail "no warning that gnuplot is missing"
fi

# ---- a used folder is refused; --resume adds nothing to a finished run ----------
if "$GNNKD_BIN" bench "${args[@]}" --out "$out" >/dev/null 2>"$tmp/stderr"; then
    fail "a second run into a non-empty --out folder was not refused"
fi
grep -q 'already holds' "$tmp/stderr" || fail "no reason given for refusing --out: $(cat "$tmp/stderr")"
cp "$out/results.csv" "$tmp/results.csv"
"$GNNKD_BIN" bench "${args[@]}" --resume "$out" >/dev/null 2>"$tmp/stderr" ||
    fail "--resume of a finished run failed: $(cat "$tmp/stderr")"
cmp -s "$out/results.csv" "$tmp/results.csv" || fail "--resume of a finished run changed results.csv"
grep -Eq '"rows_run":[[:space:]]*0' "$out/env.json" || fail "env.json: a finished run resumed ran rows"

# ---- a killed run: 20 rows and half a line; --resume runs exactly the rest ------
# (a teacher whose row is kept but whose students are not is trained again,
# its row not written twice)
{
    head -n 21 "$tmp/results.csv"
    printf 'cora,gcn:64,gcn:8,kd,1,0.'
} >"$out/results.csv"
"$GNNKD_BIN" bench "${args[@]}" --resume "$out" >/dev/null 2>"$tmp/stderr" ||
    fail "--resume after a kill failed: $(cat "$tmp/stderr")"
check_rows "resumed run"
[ "$(head -n 21 "$out/results.csv")" = "$(head -n 21 "$tmp/results.csv")" ] ||
    fail "--resume changed the rows it had"
grep -Eq '"rows_run":[[:space:]]*10' "$out/env.json" || fail "env.json: the resumed run did not run 10 rows"

# ---- a resumed run must train the way the rows were trained ---------------------
if "$GNNKD_BIN" bench "${args[@]}" --select val-loss --resume "$out" >/dev/null 2>"$tmp/stderr"; then
    fail "--resume with another --select was not refused"
fi
grep -q 'trained with' "$tmp/stderr" || fail "no reason given for refusing --resume: $(cat "$tmp/stderr")"

# ---- usage errors ------------------------------------------------------------------
for bad in "--alphas 1.5" "--temperatures 0" "--students gcn:8,gcn:8" "--seeds 0"; do
    # shellcheck disable=SC2086
    if "$GNNKD_BIN" bench $bad --out "$tmp/bad" >/dev/null 2>&1; then fail "bench $bad was accepted"; fi
done
echo "sh_bench: ok"
