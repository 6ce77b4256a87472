#!/bin/sh
# glnn-table.sh — the production-setting tables of README (--protocol glnn):
# teacher, MLP from scratch, KD and compression per dataset and teacher, and
# the MUNGE table. Runs every missing `gnnkd ... --json` into OUT (one file a
# row, so a rerun resumes), then prints the tables in markdown.
#
#   scripts/glnn-table.sh main  [OUT]   teachers x {scratch, kd, compress}
#   scripts/glnn-table.sh munge [OUT]   KD students with N = 0, n, 5n, 20n pseudo-nodes
#   scripts/glnn-table.sh glnn  [OUT]   KD students with GLNN's student recipe
#                                       (chosen on validation, docs/results/glnn-grid.md)
#   scripts/glnn-table.sh tuned [OUT]   GLNN's student with decay 1e-3, 256 hidden,
#                                       patience 100 (chosen on validation,
#                                       docs/results/production/student-grid.md):
#                                       scratch, KD and compression, gcn:64 teacher;
#                                       KD from sage:64 with the same student
#   scripts/glnn-table.sh print [OUT]   only the tables of what OUT holds
#   scripts/glnn-table.sh merge OUT/NAME.json RUN.json...
#                                       one row from runs made apart (each
#                                       `--runs 1 --seed k --split-seed k`, the
#                                       same runs as one `--runs N`), in order
#
# Environment: GNNKD (build/gnnkd), GNNKD_DATA (the datasets), RUNS (10),
# JOBS (2 runs at once), TEACHERS ("gcn:64 sage:64"), DATASETS
# ("cora citeseer pubmed"), MUNGE_MULT ("0 1 5 20"). Every run is
# `nice -n 10 ... --threads 1`: accuracy, not speed.
set -eu
what=${1:-print}
out=${2:-/tmp/glnn-table}
gnnkd=${GNNKD:-build/gnnkd}
runs=${RUNS:-10}
jobs=${JOBS:-2}
teachers=${TEACHERS:-gcn:64 sage:64}
datasets=${DATASETS:-cora citeseer pubmed}
mults=${MUNGE_MULT:-0 1 5 20}
: "${GNNKD_DATA:?set GNNKD_DATA to the datasets folder}"
[ "$what" = merge ] || mkdir -p "$out"

# The --dataset argument of a dataset: the gnn-benchmark .npz files of
# Cora and CiteSeer (GLNN's), PubMed's Planetoid folder (one component).
file_of() {
    case $1 in
    cora | citeseer) echo "$GNNKD_DATA/npz/$1.npz" ;;
    *) echo "$GNNKD_DATA/$1" ;;
    esac
}

# The observed nodes n of a dataset under --protocol glnn: the largest
# component minus the held-out fifth of its test nodes (what the runs report
# as transfer_nodes).
observed_of() {
    case $1 in
    cora) echo 2058 ;;
    citeseer) echo 1748 ;;
    pubmed) echo 15804 ;;
    esac
}

tag_of() { echo "$1" | tr ':,' '--'; }

# One job line: NAME then the gnnkd arguments.
jobs_main() {
    for ds in $datasets; do
        f=$(file_of "$ds")
        echo "$ds-scratch train --dataset $f --model mlp:64"
        for t in $teachers; do
            for m in kd compress; do
                echo "$ds-$(tag_of "$t")-$m distill --dataset $f --teacher $t --method $m"
            done
        done
    done
}

# GLNN's student (mlp:128, dropout 0.6, decay 5e-3 on every layer, soft
# targets only, raw features, 500 epochs, patience 50): the best of the
# grid whose validation nodes are outside the transfer set (--transfer no-val)
glnn_student="--student mlp:128 --student-dropout 0.6 --weight-decay 5e-3 --decay-all --alpha 1 \
--raw-features --epochs 500 --patience 50"

jobs_glnn() {
    for ds in $datasets; do
        f=$(file_of "$ds")
        for t in $teachers; do
            echo "$ds-$(tag_of "$t")-kd-glnn distill --dataset $f --teacher $t --method kd $glnn_student"
        done
    done
}

# GLNN's student, its decay lowered to 1e-3, 256 hidden, patience 100: the
# best mean validation accuracy of the Cora grid (runs 0-9)
tuned_student="--student mlp:256 --student-dropout 0.6 --weight-decay 1e-3 --decay-all --alpha 1 \
--raw-features --epochs 500 --patience 100"
tuned_scratch="--model mlp:256 --dropout 0.6 --weight-decay 1e-3 --decay-all --raw-features --epochs 500 \
--patience 100"

jobs_tuned() {
    for ds in $datasets; do
        f=$(file_of "$ds")
        echo "$ds-scratch-tuned train --dataset $f $tuned_scratch"
        for m in kd compress; do
            echo "$ds-gcn-64-$m-tuned distill --dataset $f --teacher gcn:64 --method $m $tuned_student"
        done
        echo "$ds-sage-64-kd-tuned distill --dataset $f --teacher sage:64 --method kd $tuned_student"
    done
}

print_tuned() {
    echo "| dataset | model | tran | ind | prod |"
    echo "|---|---|---:|---:|---:|"
    for ds in $datasets; do
        echo "| **$ds** | | | | |"
        row "$out/$ds-gcn-64-kd-tuned.json" "teacher gcn:64, raw features" teacher
        row "$out/$ds-scratch-tuned.json" "mlp:256 from scratch"
        row "$out/$ds-gcn-64-kd-tuned.json" "KD from gcn:64"
        row "$out/$ds-gcn-64-compress-tuned.json" "compression from gcn:64"
        row "$out/$ds-sage-64-kd-tuned.json" "teacher sage:64, raw features" teacher
        row "$out/$ds-sage-64-kd-tuned.json" "KD from sage:64"
    done
}

print_glnn() {
    echo "| dataset | model | tran | ind | prod |"
    echo "|---|---|---:|---:|---:|"
    for ds in $datasets; do
        echo "| **$ds** | | | | |"
        for t in $teachers; do
            tg=$(tag_of "$t")
            row "$out/$ds-$tg-kd-glnn.json" "teacher $t, raw features" teacher
            row "$out/$ds-$tg-kd-glnn.json" "KD from $t, GLNN's student"
        done
    done
}

jobs_munge() {
    for ds in $datasets; do
        f=$(file_of "$ds")
        n=$(observed_of "$ds")
        for k in $mults; do
            if [ "$k" = 0 ]; then # the main table's KD row
                echo "$ds-gcn-64-kd distill --dataset $f --teacher gcn:64 --method kd"
            else
                echo "$ds-munge-$k distill --dataset $f --teacher gcn:64 --method kd --transfer munge:$((k * n))"
            fi
        done
    done
}

run_jobs() {
    export out gnnkd runs
    # shellcheck disable=SC2016
    xargs -P "$jobs" -L 1 sh -c '
        name=$1; shift
        [ -s "$out/$name.json" ] && exit 0
        nice -n 10 "$gnnkd" "$@" --protocol glnn --runs "$runs" --threads 1 --json --quiet \
            > "$out/$name.json.tmp" 2> "$out/$name.err" && mv "$out/$name.json.tmp" "$out/$name.json"
        echo "$name done" >&2' sh
}

# "mean ± std" in percent of a {"mean","std"} field.
pct='def d1: . * 1000 | round / 10 | tostring | if test("[.]") then . else . + ".0" end;
     def pct: "\(.mean | d1) ± \(.std | d1)";'

row() { # FILE LABEL [teacher]: a markdown row of tran | ind | prod
    [ -s "$1" ] || { echo "| | $2 | (missing) | | |"; return; }
    if [ "${3:-}" = teacher ]; then
        jq -r --arg l "$2" "$pct"' "| | \($l) | \(.teacher_test_acc_tran | pct) | \(.teacher_test_acc_ind | pct) | \(.teacher_test_acc_prod | pct) |"' "$1"
    else
        jq -r --arg l "$2" "$pct"' "| | \($l) | \(.test_acc_tran | pct) | \(.test_acc_ind | pct) | \(.test_acc_prod | pct) |"' "$1"
    fi
}

print_main() {
    echo "| dataset | model | tran | ind | prod |"
    echo "|---|---|---:|---:|---:|"
    for ds in $datasets; do
        echo "| **$ds** | | | | |"
        row "$out/$ds-scratch.json" "mlp:64 from scratch"
        for t in $teachers; do
            tg=$(tag_of "$t")
            row "$out/$ds-$tg-kd.json" "teacher $t" teacher
            row "$out/$ds-$tg-kd.json" "KD from $t"
            row "$out/$ds-$tg-compress.json" "compression from $t"
        done
    done
}

print_munge() {
    echo "| dataset | pseudo-nodes N | runs | tran | ind | prod |"
    echo "|---|---:|---:|---:|---:|---:|"
    for ds in $datasets; do
        n=$(observed_of "$ds")
        for k in $mults; do
            f="$out/$ds-munge-$k.json" label="$((k * n)) (${k}n)"
            [ "$k" = 1 ] && label="$n (n)"
            [ "$k" = 0 ] && f="$out/$ds-gcn-64-kd.json" label=0
            if [ -s "$f" ]; then
                jq -r --arg d "$ds" --arg l "$label" "$pct"' "| \($d) | \($l) | \(.runs) | \(.test_acc_tran | pct) | \(.test_acc_ind | pct) | \(.test_acc_prod | pct) |"' "$f"
            else
                echo "| $ds | $label | (not run) | | | |"
            fi
        done
    done
}

# The per-run values of several --json outputs as one: every {"mean",
# "std","values"} field concatenated, mean and (n - 1) std recomputed as
# gnnkd does, runs summed; the other fields are the first file's.
merge_runs() {
    dest=$1; shift
    jq -s 'def stat(v): (v | add / length) as $m
             | {mean: $m, std: (if (v | length) > 1
                 then (v | map((. - $m) * (. - $m)) | add / (length - 1) | sqrt) else 0 end),
                values: v};
           . as $all | $all[0]
           | reduce (to_entries[] | select(.value | type == "object" and has("std")) | .key) as $k
               (.; .[$k] = stat([$all[][$k].values[]]))
           | .runs = ([$all[].runs] | add)' "$@" > "$dest.tmp" && mv "$dest.tmp" "$dest"
}

case $what in
merge) [ $# -ge 3 ] || { echo "usage: $0 merge OUT/NAME.json RUN.json..." >&2; exit 2; }
    shift; merge_runs "$@" ;;
main) jobs_main | run_jobs; print_main ;;
munge) jobs_munge | run_jobs; print_munge ;;
glnn) jobs_glnn | run_jobs; print_glnn ;;
tuned) jobs_tuned | run_jobs; print_tuned ;;
print) print_main; echo; print_munge; echo; print_glnn; echo; print_tuned ;;
*) echo "usage: $0 main|munge|glnn|tuned|print [OUT] | merge OUT/NAME.json RUN.json..." >&2; exit 2 ;;
esac
