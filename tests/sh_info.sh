#!/usr/bin/env bash
# gnnkd info and convert from the command line: a small graph file with
# hand-computed figures, Cora's known figures, usage errors, and a
# synthetic graph frozen with convert and read back.
set -u

. "$(dirname "$0")/lib.sh"

[ -n "${GNNKD_BIN:-}" ] || fail "GNNKD_BIN is not set (ctest sets it)"
[ -n "${GNNKD_TEST_DATA:-}" ] || fail "GNNKD_TEST_DATA is not set (ctest sets it)"
need_data cora

tmp="$(mktemp -d "${TMPDIR:-/tmp}/gnnkd-info.XXXXXX")" || fail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

# near VALUE WANT TOLERANCE
near() { awk -v x="$1" -v w="$2" -v t="$3" 'BEGIN { d = x - w; if (d < 0) d = -d; exit !(x != "" && d <= t) }'; }

# A small graph: 5 nodes, 4 edges after dropping a loop and two duplicates.
g="$GNNKD_TEST_DATA/graphs"
out="$("$GNNKD_BIN" info --graph "$g/small.edges" --labels "$g/small.labels.txt" --json 2>"$tmp/err")" \
  || fail "info --graph small.edges exited with $?: $(cat "$tmp/err")"
expect "$out" nodes 5 small.edges
expect "$out" edges 4 small.edges
expect "$out" isolated 1 small.edges
expect "$out" components 2 small.edges
expect "$out" largest_component 4 small.edges
expect "$out" edge_homophily 0.5 small.edges
near "$(key clustering "$out")" 0.466667 1e-5 || fail "small.edges: clustering $(key clustering "$out")"
grep -q "dropped 1 self loops and 2 duplicate edges" "$tmp/err" \
  || fail "small.edges: stderr does not report the dropped edges: $(cat "$tmp/err")"

# The directed Pajek file is symmetrised and says so.
"$GNNKD_BIN" info --graph "$g/small.net" >/dev/null 2>"$tmp/err" || fail "info small.net failed"
grep -q "directed graph made undirected (1 reciprocal" "$tmp/err" || fail "small.net: $(cat "$tmp/err")"

# Cora's known figures.
out="$("$GNNKD_BIN" info --dataset cora --json 2>"$tmp/err")" || fail "info cora: $(cat "$tmp/err")"
expect "$out" nodes 2708 cora
expect "$out" edges 5278 cora
expect "$out" isolated 0 cora
expect "$out" components 78 cora
expect "$out" largest_component 2485 cora
near "$(key edge_homophily "$out")" 0.81 0.005 || fail "cora: edge_homophily $(key edge_homophily "$out")"
near "$(key clustering "$out")" 0.2407 0.0005 || fail "cora: clustering $(key clustering "$out")"
out="$("$GNNKD_BIN" info --dataset cora --lcc --json 2>"$tmp/err")" || fail "info cora --lcc: $(cat "$tmp/err")"
expect "$out" nodes 2485 "cora --lcc"
expect "$out" components 1 "cora --lcc"

# The table names the same figures.
"$GNNKD_BIN" info --dataset cora >"$tmp/table" 2>&1 || fail "info cora (table) failed"
grep -Eq '^nodes +2708$' "$tmp/table" || fail "cora table: $(cat "$tmp/table")"
grep -Eq '^components +78, the largest with 2485 nodes' "$tmp/table" || fail "cora table: $(cat "$tmp/table")"

# Usage and data errors: exit code 2 and "gnnkd info: ..." on stderr.
"$GNNKD_BIN" info --graph "$g/bad.gml" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "a malformed GML file should exit with 2"
grep -q "^gnnkd info: .*bad.gml: Parse error in GML file, line 4" "$tmp/err" || fail "bad.gml: $(cat "$tmp/err")"
"$GNNKD_BIN" info --dataset synthetic --split random:9999:1:1 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "an impossible split should exit with 2"
grep -q "^gnnkd info: split: class 0 has" "$tmp/err" || fail "split error: $(cat "$tmp/err")"
"$GNNKD_BIN" info --bogus >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown option should exit with 2"
"$GNNKD_BIN" info --help | grep -q "usage: gnnkd info" || fail "info --help"
"$GNNKD_BIN" convert --help | grep -q "usage: gnnkd convert" || fail "convert --help"
"$GNNKD_BIN" convert --dataset synthetic >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "convert without --out should exit with 2"

"$GNNKD_BIN" convert --graph "$g/small.edges" --out "$tmp/nolabels" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "convert of a graph without labels should exit with 2"
grep -q "^gnnkd convert: small has no labels" "$tmp/err" || fail "convert without labels: $(cat "$tmp/err")"

# convert freezes a synthetic graph; reading the folder back gives the same figures.
spec="synthetic:nodes=600,classes=3,features=6,val=100,test=200,seed=4"
a="$("$GNNKD_BIN" info --dataset "$spec" --split per-class:10:10 --json 2>/dev/null)" || fail "info $spec"
"$GNNKD_BIN" convert --dataset "$spec" --split per-class:10:10 --out "$tmp/syn" >/dev/null 2>"$tmp/err" \
  || fail "convert $spec: $(cat "$tmp/err")"
b="$("$GNNKD_BIN" info --dataset "$tmp/syn" --json 2>/dev/null)" || fail "info on the converted folder"
for k in nodes edges isolated components largest_component clustering edge_homophily classes features train val test; do
  [ "$(key "$k" "$a")" = "$(key "$k" "$b")" ] || fail "convert round trip: $k $(key "$k" "$a") vs $(key "$k" "$b")"
done
[ "$(key train "$b")" = 30 ] || fail "convert: per-class:10:10 over 3 classes should train on 30 nodes"

echo "sh_info: ok"
