#!/bin/bash
# sh_bench.sh — `gnnkd bench` end to end on Cora, sized for CI: two seeds,
# T in {1, 2}. Checks every output, the row count of the grid, that the
# teacher beats an MLP trained from scratch, that KD and compression are
# chosen by validation accuracy, and that --resume neither repeats a row nor
# loses one after a kill.
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
header='dataset,teacher,student,method,T,alpha,transfer,seed,training,val_acc,test_acc,epochs,train_seconds,inference_ms,student_params,teacher_params,teacher_test_acc,teacher_inference_ms'
[ "$(head -n 1 "$out/results.csv")" = "$header" ] || fail "results.csv: unexpected header"
# 2 seeds x 2 students x (scratch + 2 T x 2 alpha for KD + 2 alpha for compression)
expected=28
check_rows() {
    local rows
    rows=$(($(wc -l <"$out/results.csv") - 1))
    [ "$rows" -eq "$expected" ] || fail "$1: results.csv has $rows rows, expected $expected"
    [ -z "$(tail -n +2 "$out/results.csv" | cut -d, -f1-8 | sort | uniq -d)" ] ||
        fail "$1: results.csv repeats a key"
    awk -F, 'NR > 1 && NF != 18 { exit 1 }' "$out/results.csv" || fail "$1: a row without 18 fields"
}
check_rows "first run"
for m in scratch kd compress; do
    grep -q ",mlp:64,$m," "$out/results.csv" || fail "no mlp:64 $m rows"
    grep -q ",gcn:8,$m," "$out/results.csv" || fail "no gcn:8 $m rows"
done

# ---- summary.json ---------------------------------------------------------------
if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 - "$out/summary.json" "$out/env.json" <<'EOF' || fail "summary.json or env.json: see above"
import json, sys
s = json.load(open(sys.argv[1]))
env = json.load(open(sys.argv[2]))
assert s["settings"]["select"] == "val-acc", s["settings"]["select"]
assert s["settings"]["seeds"] == 2
assert len(s["results"]) == 14, len(s["results"])
assert all(r["seeds"] == 2 for r in s["results"])
teacher = s["teachers"][0]["test_acc"]["mean"]
chosen = {(x["student"], x["method"]): x for x in s["selected"]}
mlp = chosen[("mlp:64", "scratch")]["test_acc"]["mean"]
assert teacher > mlp + 0.05, f"teacher {teacher:.3f} does not beat the MLP from scratch {mlp:.3f}"
# the choice is the best mean validation accuracy, whatever the test accuracy says
for (student, method), x in chosen.items():
    if method == "scratch":
        continue
    best = max(r["val_acc"]["mean"] for r in s["results"]
               if r["student"] == student and r["method"] == method)
    assert x["val_acc"]["mean"] == best, (student, method)
    assert (method == "kd") == (x["T"] is not None)
for key in ("cpu_model", "cores", "threads", "git_commit", "libraries", "command", "total_seconds"):
    assert key in env, key
assert env["finished"] and env["rows_run"] == 28
EOF
else
    grep -q '"teachers"' "$out/summary.json" && grep -q '"selected"' "$out/summary.json" ||
        fail "summary.json lacks teachers or selected"
    # without Python, compare the same means in results.csv
    awk -F, 'NR > 1 && $3 == "mlp:64" && $4 == "scratch" { t += $17; m += $11; n++ }
             END { exit !(n == 2 && t / n > m / n + 0.05) }' "$out/results.csv" ||
        fail "the teacher does not beat the MLP from scratch"
fi

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
{
    head -n 21 "$tmp/results.csv"
    printf 'cora,gcn:64,gcn:8,kd,1,0.'
} >"$out/results.csv"
"$GNNKD_BIN" bench "${args[@]}" --resume "$out" >/dev/null 2>"$tmp/stderr" ||
    fail "--resume after a kill failed: $(cat "$tmp/stderr")"
check_rows "resumed run"
[ "$(head -n 21 "$out/results.csv")" = "$(head -n 21 "$tmp/results.csv")" ] ||
    fail "--resume changed the rows it had"
grep -Eq '"rows_run":[[:space:]]*8' "$out/env.json" || fail "env.json: the resumed run did not run 8 rows"

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
