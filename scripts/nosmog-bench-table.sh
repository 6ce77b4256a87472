#!/bin/sh
# nosmog-bench-table.sh — the side-by-side table of docs/results/nosmog-bench:
# two `gnnkd bench` runs of the same grid, DIR/transductive and DIR/inductive
# (--protocol glnn --setting transductive | inductive), merged into one
# markdown table from their summary.json files: per graph the teacher, then
# every student and method at the configuration chosen by mean validation
# accuracy in each setting, test accuracy in % (mean ± std over the seeds).
#
#   scripts/nosmog-bench-table.sh DIR
set -eu
dir=${1:?usage: nosmog-bench-table.sh DIR (with transductive/ and inductive/ of gnnkd bench)}
command -v jq >/dev/null || { echo "nosmog-bench-table.sh: jq is needed" >&2; exit 1; }
tran=$dir/transductive/summary.json
ind=$dir/inductive/summary.json
for f in "$tran" "$ind"; do [ -f "$f" ] || { echo "nosmog-bench-table.sh: no $f" >&2; exit 1; }; done

echo '| graph | model | method | chosen (transductive) | transductive test | chosen (inductive) | tran | ind | prod | seeds (tran. / ind.) |'
echo '|---|---|---|---|---:|---|---:|---:|---:|---:|'
jq -r -n --slurpfile t "$tran" --slurpfile i "$ind" '
  def f1: (. * 1000 | round) as $r | "\($r / 10 | floor).\($r % 10)"; # a fraction in % to 0.1
  def pct(s): if s == null or s.mean == null then "–" else "\(s.mean | f1) ± \(s.std | f1)" end;
  # the axis values of a selected entry: "T=1, α=0.9, rsd=3"
  def conf: [ (if .T != null then "T=\(.T)" else empty end),
              (if .alpha != null then "α=\(.alpha)" else empty end),
              (if .rsd_weight != null then "rsd=\(.rsd_weight)" else empty end),
              (if .adv_eps != null then "ε=\(.adv_eps)" else empty end) ] | join(", ");
  def key: "\(.dataset)|\(.student)|\(.method)";
  ($i[0].selected | map({(key): .}) | add // {}) as $ind
  | ($i[0].teachers | map({(.dataset): .}) | add // {}) as $tind
  | $t[0].teachers[] as $tt
  | ( "| \($tt.dataset) | \($tt.teacher) | teacher | | \(pct($tt.test_acc)) | | \(pct($tind[$tt.dataset].test_acc_tran)) | \(pct($tind[$tt.dataset].test_acc_ind)) | \(pct($tind[$tt.dataset].test_acc_prod)) | \($tt.seeds) / \($tind[$tt.dataset].seeds // 0) |" ),
    ( $t[0].selected[] | select(.dataset == $tt.dataset) | . as $s | ($ind[$s | key]) as $x
      | "| \($s.dataset) | \($s.student) | \($s.method) | \($s | conf) | \(pct($s.test_acc)) | \(if $x then ($x | conf) else "–" end) | \(pct($x.test_acc_tran)) | \(pct($x.test_acc_ind)) | \(pct($x.test_acc_prod)) | \($s.seeds) / \($x.seeds // 0) |" )'
