#!/usr/bin/env bash
# The GLNN/CPF data files from the command line: gnnkd info on gnn-benchmark's
# cora.npz and citeseer.npz (their known figures and what reading dropped),
# the OGB fixture folder, a short training run on cora.npz, and a bad file.
set -u

. "$(dirname "$0")/lib.sh"

[ -n "${GNNKD_BIN:-}" ] || fail "GNNKD_BIN is not set (ctest sets it)"
[ -n "${GNNKD_TEST_DATA:-}" ] || fail "GNNKD_TEST_DATA is not set (ctest sets it)"
need_data npz

tmp="$(mktemp -d "${TMPDIR:-/tmp}/gnnkd-npz.XXXXXX")" || fail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

npz="$GNNKD_DATA/npz"
out="$("$GNNKD_BIN" info --dataset "$npz/cora.npz" --json 2>"$tmp/err")" || fail "info cora.npz: $(cat "$tmp/err")"
expect "$out" nodes 2708 cora.npz
expect "$out" edges 5278 cora.npz
expect "$out" components 78 cora.npz
expect "$out" largest_component 2485 cora.npz
expect "$out" features 1433 cora.npz
expect "$out" feature_nnz 49216 cora.npz
expect "$out" classes 7 cora.npz
expect "$out" train 0 "cora.npz (no split in the file)"
grep -q "cora.npz: directed graph made undirected (151 reciprocal arc pairs merged)" "$tmp/err" \
  || fail "cora.npz: stderr does not say it was symmetrised: $(cat "$tmp/err")"
"$GNNKD_BIN" info --dataset "$npz/cora.npz" >"$tmp/table" 2>&1 || fail "info cora.npz (table)"
grep -Eq '^components +78, the largest with 2485 nodes' "$tmp/table" || fail "cora.npz table: $(cat "$tmp/table")"

out="$("$GNNKD_BIN" info --dataset "$npz/citeseer.npz" --json 2>"$tmp/err")" || fail "info citeseer.npz: $(cat "$tmp/err")"
expect "$out" nodes 3312 citeseer.npz
expect "$out" edges 4536 citeseer.npz
expect "$out" components 438 citeseer.npz
expect "$out" largest_component 2110 citeseer.npz
grep -q "citeseer.npz: dropped 124 self loops and 0 duplicate edges" "$tmp/err" \
  || fail "citeseer.npz: stderr does not report the self loops: $(cat "$tmp/err")"

# by NAME in --data-dir, and --lcc with the GLNN split
out="$("$GNNKD_BIN" info --dataset cora.npz --data-dir "$npz" --lcc --split per-class:20:30 --json 2>"$tmp/err")" \
  || fail "info cora.npz --lcc: $(cat "$tmp/err")"
expect "$out" nodes 2485 "cora.npz --lcc"
expect "$out" train 140 "cora.npz per-class:20:30"
expect "$out" val 210 "cora.npz per-class:20:30"
expect "$out" test 2135 "cora.npz per-class:20:30"

# the OGB layout
out="$("$GNNKD_BIN" info --dataset "$GNNKD_TEST_DATA/ogb-tiny" --json 2>"$tmp/err")" || fail "info ogb-tiny: $(cat "$tmp/err")"
expect "$out" nodes 6 ogb-tiny
expect "$out" edges 4 ogb-tiny
expect "$out" labelled 5 ogb-tiny
expect "$out" train 2 ogb-tiny
expect "$out" test 2 ogb-tiny

# a GCN trains on it to a sensible accuracy (about 0.81 on these 2135 test nodes)
out="$("$GNNKD_BIN" train --dataset "$npz/cora.npz" --lcc --split per-class:20:30 --json 2>"$tmp/err")" \
  || fail "train cora.npz: $(cat "$tmp/err")"
acc="$(printf '%s\n' "$out" | jq -r '.test_acc.mean')"
awk -v a="$acc" 'BEGIN { exit !(a != "" && a > 0.75 && a < 0.9) }' || fail "train cora.npz: test accuracy '$acc'"

# a file that is not a zip: exit 2 and the file named
printf 'not a zip\n' >"$tmp/bad.npz"
"$GNNKD_BIN" info --dataset "$tmp/bad.npz" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "a bad .npz should exit with 2"
grep -q "^gnnkd info: .*bad.npz: expected a zip file (.npz), found: " "$tmp/err" || fail "bad.npz: $(cat "$tmp/err")"
"$GNNKD_BIN" info --dataset "$tmp/absent.npz" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "a missing .npz should exit with 2"
grep -q "absent.npz: cannot open" "$tmp/err" || fail "absent.npz: $(cat "$tmp/err")"

echo "sh_npz: ok"
