#!/bin/bash
# sh_bench_nosmog.sh — `gnnkd bench` with NOSMOG's ingredients (kd+position,
# kd+rsd, kd+adv, the recipe nosmog, all three as nosmog+adv) and a CPF
# student by KD and by its recipe (cpf) on a small synthetic graph (no data
# needed): the rows each method writes, for MLP students only, with their
# axis values; the recipes' own training, equal to gnnkd distill --recipe's;
# the GLNN protocol in both settings; what the summary selects.
set -euo pipefail

: "${GNNKD_BIN:?GNNKD_BIN must name the gnnkd program}"
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed to read the JSON (scripts/install-deps.sh installs it)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

data=(--dataset synthetic:nodes=400)
grid=(--protocol glnn --seeds 2 --teacher gcn:16 --students mlp:16,cpf:2 --temperatures 1 --alphas 0.9
      --rsd-weights 1,3 --adv-eps 0.01 --position deepwalk:8,walks=2,length=10 --epochs 20 --threads 1
      --jobs 1 --quiet --no-plots)
methods=scratch,kd,kd+position,kd+rsd,kd+adv,nosmog,nosmog+adv,cpf

# rows OUT METHOD STUDENT: the rows of OUT/results.csv of that method and
# student, as written; cells OUT METHOD STUDENT COLUMN: their values of
# COLUMN, one a line (a quoted field, "cpf:2,64" or a training text with
# commas, counts as one).
cells() {
    awk -F, -v m="$2" -v s="$3" -v want="$4" '
        { line = $0; n = 0; delete f
          while (line != "") {
              if (substr(line, 1, 1) == "\"") { match(line, /^"[^"]*"/); v = substr(line, 2, RLENGTH - 2); line = substr(line, RLENGTH + 1) }
              else if (match(line, /^[^,]*/)) { v = substr(line, 1, RLENGTH); line = substr(line, RLENGTH + 1) }
              f[++n] = v
              if (substr(line, 1, 1) == ",") { line = substr(line, 2); if (line == "") f[++n] = "" }
          } }
        NR == 1 { for (i = 1; i <= n; i++) c[f[i]] = i; next }
        f[c["method"]] == m && f[c["student"]] == s { print (want == "" ? $0 : f[c[want]]) }' "$1/results.csv"
}
rows() { cells "$1" "$2" "$3" ""; }
count() { rows "$@" | wc -l; }

for setting in inductive transductive; do
    out=$tmp/$setting
    "$GNNKD_BIN" bench "${data[@]}" "${grid[@]}" --setting "$setting" --methods "$methods" --out "$out" \
        >"$tmp/stdout" 2>"$tmp/stderr" || fail "$setting: $(cat "$tmp/stderr")"
    csv=$out/results.csv
    head -n 1 "$csv" | grep -q ',tau,rsd_weight,adv_eps,transfer,seed,' ||
        fail "$setting: results.csv has no rsd_weight and adv_eps columns: $(head -n 1 "$csv")"
    # per seed: teacher; mlp: scratch, kd, kd+position, 2 kd+rsd, 1 kd+adv, 2 nosmog,
    # 2 nosmog+adv; cpf: kd and cpf (it clamps its training nodes: hard labels alone train nothing)
    [ "$(($(wc -l <"$csv") - 1))" -eq $((2 * (1 + 10 + 2))) ] ||
        fail "$setting: $(($(wc -l <"$csv") - 1)) rows, expected 26"
    for m in scratch kd kd+position kd+adv; do
        [ "$(count "$out" "$m" mlp:16)" -eq 2 ] || fail "$setting: not 2 mlp:16 rows of $m"
    done
    for m in kd+rsd nosmog nosmog+adv; do
        [ "$(count "$out" "$m" mlp:16)" -eq 4 ] || fail "$setting: not 4 mlp:16 rows of $m"
    done
    # the ingredients train MLP students only; the CPF student learns by KD only
    [ "$(count "$out" scratch cpf:2,64)" -eq 0 ] || fail "$setting: a cpf scratch row"
    [ "$(count "$out" kd cpf:2,64)" -eq 2 ] || fail "$setting: not 2 cpf kd rows"
    for m in kd+position kd+rsd kd+adv nosmog nosmog+adv; do
        [ "$(count "$out" "$m" cpf:2,64)" -eq 0 ] || fail "$setting: a cpf row of $m"
    done
    [ "$(count "$out" cpf cpf:2,64)" -eq 2 ] || fail "$setting: not 2 cpf rows of the recipe cpf"
    [ "$(count "$out" cpf mlp:16)" -eq 0 ] || fail "$setting: the recipe cpf trained an MLP"
    # each recipe's own: cpf's transfer set, nosmog's patience (its 500 epochs, here cut to 20)
    [ "$(cells "$out" cpf cpf:2,64 transfer | sort -u)" = unlabeled ] ||
        fail "$setting: the recipe cpf's transfer set: $(cells "$out" cpf cpf:2,64 transfer | sort -u)"
    [ "$(cells "$out" kd cpf:2,64 transfer | sort -u)" = all ] || fail "$setting: kd's transfer set"
    # and its dropout (0.3, the kind's 0.8) and assistant, recorded so that a resume cannot mix the two
    [ "$(cells "$out" cpf cpf:2,64 training | grep -c ' dropout=0.3 assistant=nosmog$')" -eq 2 ] ||
        fail "$setting: the recipe cpf's dropout: $(cells "$out" cpf cpf:2,64 training | head -n 1)"
    [ "$(cells "$out" kd cpf:2,64 training | grep -c 'dropout=')" -eq 0 ] || fail "$setting: kd's cpf dropout"
    [ "$(cells "$out" nosmog mlp:16 training | grep -c '^select=val-acc patience=500 epochs=20 ')" -eq 4 ] ||
        fail "$setting: nosmog not trained by its recipe: $(cells "$out" nosmog mlp:16 training | head -n 1)"
    # its two generations, recorded so that a resume cannot mix them with one
    [ "$(cells "$out" nosmog mlp:16 training | grep -c ' generations=2 position=')" -eq 4 ] ||
        fail "$setting: nosmog's generations: $(cells "$out" nosmog mlp:16 training | head -n 1)"
    [ "$(cells "$out" kd+position mlp:16 training | grep -c 'generations=')" -eq 0 ] ||
        fail "$setting: kd+position records generations"
    # each method's axes filled, the others empty
    axes() { paste -d, <(cells "$out" "$1" mlp:16 rsd_weight) <(cells "$out" "$1" mlp:16 adv_eps) | sort -u | tr '\n' ' '; }
    [ "$(axes kd+position)" = ", " ] || fail "$setting: kd+position has rsd/adv values: $(axes kd+position)"
    [ "$(axes kd+rsd)" = "1, 3, " ] || fail "$setting: kd+rsd's rsd/adv: $(axes kd+rsd)"
    [ "$(axes kd+adv)" = ",0.01 " ] || fail "$setting: kd+adv's rsd/adv: $(axes kd+adv)"
    [ "$(axes nosmog)" = "1, 3, " ] || fail "$setting: nosmog's rsd/adv: $(axes nosmog)"
    [ "$(axes nosmog+adv)" = "1,0.01 3,0.01 " ] || fail "$setting: nosmog+adv's rsd/adv: $(axes nosmog+adv)"
    # the position features are part of how a row was trained (a resume cannot mix them)
    for m in kd+position nosmog nosmog+adv; do
        [ "$(cells "$out" $m mlp:16 training | grep -c ' position=deepwalk:8,walks=2,length=10$')" -eq \
            "$(count "$out" $m mlp:16)" ] || fail "$setting: $m rows do not record --position"
    done
    [ "$(cells "$out" kd mlp:16 training | grep -c 'position=')" -eq 0 ] || fail "$setting: kd rows record a position"
    # a CPF student by its kind's recipe: no weight decay, patience its 500 epochs (here cut to 20)
    cells "$out" kd cpf:2,64 training | grep -q '^select=val-acc patience=500 epochs=20 weight_decay=0 ' ||
        fail "$setting: the cpf student was not trained by its recipe: $(cells "$out" kd cpf:2,64 training | head -n 1)"
    # the position features reach the student: a wider first layer than kd's (8 more inputs x 16)
    p_kd=$(cells "$out" kd mlp:16 student_params | head -n 1)
    for m in kd+position nosmog nosmog+adv; do
        p_pos=$(cells "$out" $m mlp:16 student_params | head -n 1)
        [ "$((p_pos - p_kd))" -eq $((8 * 16)) ] || fail "$setting: $m has $p_pos parameters, kd $p_kd"
    done
    p_rsd=$(cells "$out" kd+rsd mlp:16 student_params | head -n 1)
    [ "$p_rsd" -eq "$p_kd" ] || fail "$setting: kd+rsd has $p_rsd parameters, kd $p_kd"
    # accuracies are accuracies
    for m in scratch kd kd+position kd+rsd kd+adv nosmog nosmog+adv; do
        cells "$out" "$m" mlp:16 val_acc | awk '!($1 >= 0 && $1 <= 1) { exit 1 }' ||
            fail "$setting: a $m val_acc outside [0, 1]"
    done
    # the summary selects one configuration per student and method, and says the setting
    s=$out/summary.json
    [ "$(jq '[.selected[] | select(.student == "mlp:16") | .method] | sort ==
        ["kd", "kd+adv", "kd+position", "kd+rsd", "nosmog", "nosmog+adv", "scratch"]' "$s")" = true ] ||
        fail "$setting: summary.json does not select each method once for mlp:16"
    [ "$(jq '[.selected[] | select(.student == "cpf:2,64") | .method] | sort == ["cpf", "kd"]' "$s")" = true ] ||
        fail "$setting: summary.json does not select kd and cpf for the cpf student"
    [ "$(jq -r .settings.recipes.cpf "$s" | grep -c '^loss euclid, T 1, alpha 0.9, transfer set unlabeled, teacher logit rows standardised; .* dropout=0.3 assistant=nosmog$')" -eq 1 ] ||
        fail "$setting: summary.json's recipe cpf: $(jq -r .settings.recipes.cpf "$s")"
    [ "$(jq -r .settings.setting "$s")" = "glnn+$setting$([ $setting = inductive ] && echo :0.2)" ] ||
        fail "$setting: summary.json setting is $(jq -r .settings.setting "$s")"
    grep -q '| synthetic:nodes=400 | gcn:16 | mlp:16 | nosmog+adv | T=1, α=0.9, rsd=[13], ε=0.01 |' "$out/summary.md" ||
        fail "$setting: summary.md has no nosmog+adv line"
done
# the transductive table's columns: each student with the methods that train it
head=$(grep -m 1 '^| dataset | teacher | teacher acc |' "$tmp/transductive/summary.md")
grep -q '| mlp:16 nosmog+adv | cpf:2,64 kd | cpf:2,64 cpf |$' <<<"$head" || fail "summary.md's columns: $head"
! grep -Eq 'mlp:16 cpf |cpf:2,64 (scratch|kd\+|nosmog)' <<<"$head" || fail "summary.md has untrained columns: $head"
# transductive: every node observed, so ind is not defined
ind() { for m in kd kd+position nosmog; do cells "$tmp/$1" $m mlp:16 test_acc_ind; done; }
[ "$(ind transductive | sort -u)" = nan ] || fail "glnn+transductive: a row with an inductive score"
[ "$(ind inductive | grep -c nan)" -eq 0 ] || fail "glnn+inductive: a row without an inductive score"

# the bench's recipe rows are gnnkd distill --recipe's: the same model on the same split and seed
for r in nosmog:mlp:16 cpf:cpf:2,64; do
    m=${r%%:*} st=${r#*:}
    extra=()
    [ "$m" = nosmog ] && extra=(--rsd-weight 1 --position deepwalk:8,walks=2,length=10)
    "$GNNKD_BIN" distill "${data[@]}" --protocol glnn --setting transductive --teacher gcn:16 --student "$st" \
        --recipe "$m" "${extra[@]}" --epochs 20 --runs 1 --seed 1 --split-seed 1 --threads 1 --json \
        >"$tmp/d.json" 2>"$tmp/stderr" || fail "distill --recipe $m: $(cat "$tmp/stderr")"
    want=$(jq -r '"\(.val_acc.mean) \(.test_acc.mean)"' "$tmp/d.json")
    got=$(paste -d' ' <(cells "$tmp/transductive" "$m" "$st" seed) <(cells "$tmp/transductive" "$m" "$st" rsd_weight) \
        <(cells "$tmp/transductive" "$m" "$st" val_acc) <(cells "$tmp/transductive" "$m" "$st" test_acc) |
        awk '$1 == 1 && ($2 == 1 || NF == 3) { print $(NF - 1), $NF }')
    awk -v a="$want" -v b="$got" 'BEGIN { split(a, x, " "); split(b, y, " ")
        exit !(x[1] - y[1] < 1e-5 && y[1] - x[1] < 1e-5 && x[2] - y[2] < 1e-5 && y[2] - x[2] < 1e-5) }' ||
        fail "bench's $m (seed 1, val test: $got) is not gnnkd distill --recipe $m's ($want)"
done

# ---- --report-only: the reports of a stopped run, from the rows it has -----------------------
out=$tmp/inductive
# seed 1's rows go (transfer, seed and split seed: "all,1,1"; a quoted field comes before)
awk 'NR == 1 || !/,(all|unlabeled),1,1,/' "$out/results.csv" >"$tmp/seed0.csv"
[ "$(grep -Ec ',(all|unlabeled),0,0,' "$tmp/seed0.csv")" -eq 13 ] || fail "report-only: not 13 rows of seed 0"
cp "$tmp/seed0.csv" "$out/results.csv"
rows0=$(wc -l <"$out/results.csv")
"$GNNKD_BIN" bench "${data[@]}" "${grid[@]}" --setting inductive --methods "$methods" --resume "$out" \
    --report-only >/dev/null 2>"$tmp/stderr" || fail "--report-only: $(cat "$tmp/stderr")"
[ "$(wc -l <"$out/results.csv")" -eq "$rows0" ] || fail "--report-only trained rows"
[ "$(jq .rows_run "$out/env.json")" = 0 ] || fail "--report-only: rows_run is $(jq .rows_run "$out/env.json")"
[ "$(jq '[.selected[].seeds] | unique == [1]' "$out/summary.json")" = true ] ||
    fail "--report-only: the selected entries are not of one seed: $(jq -c '[.selected[].seeds]' "$out/summary.json")"
if "$GNNKD_BIN" bench "${data[@]}" --report-only --out "$tmp/bad" >/dev/null 2>"$tmp/stderr"; then
    fail "--report-only without --resume was accepted"
fi
grep -q -- '--report-only needs --resume' "$tmp/stderr" || fail "--report-only alone: $(cat "$tmp/stderr")"

# ---- usage errors name the option -------------------------------------------------------
if "$GNNKD_BIN" bench "${data[@]}" --position deepwalk:0 --out "$tmp/bad" >/dev/null 2>"$tmp/stderr"; then
    fail "--position deepwalk:0 was accepted"
fi
grep -q -- '--position' "$tmp/stderr" || fail "--position deepwalk:0: $(cat "$tmp/stderr")"
if "$GNNKD_BIN" bench "${data[@]}" --methods kd+nothing --out "$tmp/bad" >/dev/null 2>"$tmp/stderr"; then
    fail "--methods kd+nothing was accepted"
fi
grep -q "method 'kd+nothing' is not in the benchmark's grid (.*kd+position.*nosmog+adv, cpf)" "$tmp/stderr" ||
    fail "--methods kd+nothing: $(cat "$tmp/stderr")"
if "$GNNKD_BIN" bench "${data[@]}" --adv-eps 0 --out "$tmp/bad" >/dev/null 2>"$tmp/stderr"; then
    fail "--adv-eps 0 was accepted"
fi
grep -q -- 'adv-eps' "$tmp/stderr" || fail "--adv-eps 0: $(cat "$tmp/stderr")"
echo "sh_bench_nosmog: ok"
