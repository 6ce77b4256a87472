#!/usr/bin/env bash
# gnnkd bench-speed: the JSON keys the PyTorch comparison (benchmarks/peers)
# reads, one object per configuration, the --out files, and the single-node
# inference paths, which bench-speed checks against the full-graph forward
# (a mismatch fails the run). Needs GNNKD_BIN and GNNKD_DATA (with cora).
set -u

. "$(dirname "$0")/lib.sh"

[ -n "${GNNKD_BIN:-}" ] && [ -x "$GNNKD_BIN" ] || fail "GNNKD_BIN is not an executable"
need_data cora
command -v python3 >/dev/null || fail "python3 is needed to read the JSON"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/gnnkd-speed.XXXXXX")" || fail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
quick=(--epochs 5 --warmup 1 --infer-repeats 3 --threads 1)

# One configuration: one JSON object with the keys of the comparison.
"$GNNKD_BIN" bench-speed --dataset cora --model gcn:16 "${quick[@]}" --json \
  >"$tmp/one.json" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "bench-speed --json exited $?"; }
python3 - "$tmp/one.json" <<'EOF' || fail "the JSON of one configuration"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, "expected one line, got %d" % len(lines)
r = json.loads(lines[0])
assert r["dataset"] == "cora" and r["model"] == "gcn:16" and r["threads"] == 1, r
e = r["epoch_seconds"]
assert 0 < e["min"] <= e["median"] <= e["max"], e
assert r["timed_epochs"] == 5 and r["warmup_epochs"] == 1
assert r["inference_ms"]["median"] > 0 and r["peak_rss_mb"] > 0
assert r["machine"]["stream_gbs"] > 0 and r["machine"]["sgemm_gflops"] > 0
assert r["roofline_fraction"] > 0 and r["roofline_bound_seconds"] > 0
names = [k["name"] for k in r["kernels"]]
assert any(n.startswith("X*W sparse") for n in names), names
assert any(n.startswith("X^T*G sparse") for n in names), names
assert any(n.startswith("A*T") for n in names), names
for k in r["kernels"]:
    for key in ("name", "seconds", "share", "gflops", "gbs", "roofline_fraction", "calls"):
        assert key in k, (key, k)
    assert k["seconds"] > 0 and k["roofline_fraction"] > 0, k
a_hat = [k for k in r["kernels"] if k["name"].startswith("A*T") and k["name"].endswith("(n,16)")]
assert sum(k["calls"] for k in a_hat) == 2, a_hat  # forward (with its epilogue) and backward
assert 0 <= r["test_acc"] <= 1
EOF

# Several configurations: one object per line; --out writes both files whole.
"$GNNKD_BIN" bench-speed --dataset cora --model gcn:16,mlp:64 "${quick[@]}" --json \
  --out "$tmp/out" >"$tmp/two.json" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "two models"; }
lines="$(wc -l <"$tmp/two.json")"
[ "$lines" -eq 2 ] || fail "two configurations gave $lines lines"
[ -s "$tmp/out/bench-speed.json" ] && [ -s "$tmp/out/bench-speed.md" ] || fail "--out files missing"
ls "$tmp/out" | grep -q tmp && fail "--out left a temporary file"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['results'])==2" \
  "$tmp/out/bench-speed.json" || fail "bench-speed.json does not hold both results"
grep -q '^| kernel |' "$tmp/out/bench-speed.md" || fail "bench-speed.md has no kernel table"

# The readable table.
"$GNNKD_BIN" bench-speed --dataset cora --model mlp:16 "${quick[@]}" >"$tmp/table" 2>&1 ||
  fail "the table run failed"
grep -q 'STREAM triad' "$tmp/table" && grep -q 'roofline' "$tmp/table" || fail "no table"

# Single-node inference: sparse features (cora) and dense ones (synthetic),
# two- and three-layer GCNs; bench-speed fails if any answer differs from the
# full-graph forward's row.
for args in "--dataset cora" "--dataset synthetic --teacher gcn:16,16 --student mlp:32,32"; do
  # shellcheck disable=SC2086
  "$GNNKD_BIN" bench-speed $args --latency-only --latency-nodes 200 --json >"$tmp/lat.json" \
    2>"$tmp/err" || { cat "$tmp/err" >&2; fail "latency ($args)"; }
  python3 - "$tmp/lat.json" <<'EOF' || fail "latency JSON ($args)"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["section"] == "latency" and r["queries"] == 200, r
for m in ("student", "teacher"):
    x = r[m]
    assert 0 < x["median_us"] <= x["p99_us"], x
    assert x["max_abs_diff"] < 1e-3, x
assert r["student"]["nodes_read_max"] == 1
assert r["teacher"]["nodes_read_median"] > 1
# the exported student, compiled and checked on every node, timed on the same queries
e = r["export"]
assert e["float_same_class"] == e["nodes_checked"] > 0, e
assert e["float_max_abs_logit_diff"] <= 1e-4, e
assert e["int8_agreement"] >= 0.9 and e["int8_bytes"] < e["float_bytes"], e
# side by side with the in-library MLP, round after round
assert e["rounds"] >= 3, e
for v in ("library", "float", "int8"):
    assert 0 < e[v]["median_us"] <= e[v]["p99_us"], e
    assert len(e[v]["round_medians_us"]) == e["rounds"], e
EOF
done

# A student with position rows: served with them, its one hop timed apart;
# its export (the rows a table) checked on every node, known and new, and timed
"$GNNKD_BIN" distill --dataset synthetic --teacher gcn:8 --student mlp:8 --epochs 3 --quiet \
  --threads 1 --position deepwalk:4,walks=1,length=5 --save "$tmp/pos.model" >/dev/null ||
  fail "distill a position student"
"$GNNKD_BIN" bench-speed --dataset synthetic --student-model "$tmp/pos.model" --latency-only \
  --latency-nodes 100 --json >"$tmp/pos.json" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "position latency"; }
python3 - "$tmp/pos.json" <<'EOF' || fail "position latency JSON"
import json, sys
r = json.loads(open(sys.argv[1]).read())
p = r["position_lookup"]
assert p["columns"] == 4 and 0 < p["median_us"] <= p["p99_us"], p
assert 1 <= p["nodes_read_median"] <= p["nodes_read_max"], p
assert r["student"]["max_abs_diff"] < 1e-3, r
e = r["export"]
assert e["float_same_class"] == e["nodes_checked"] > 0, e
assert e["float_max_abs_logit_diff"] <= 1e-4 and e["int8_agreement"] >= 0.9, e
n = e["new_nodes"]
assert n["float_max_abs_logit_diff"] <= 1e-4 and n["int8_agreement"] >= 0.9, n
assert 0 < n["pos_bytes_int8"] < n["pos_bytes"] and e["int8_bytes"] < e["float_bytes"], e
for v in ("library", "float", "int8", "float_new", "int8_new"):
    assert 0 < e[v]["median_us"] <= e[v]["p99_us"], e
    assert len(e[v]["round_medians_us"]) == e["rounds"], e
EOF

# The help text is printed whole (it is a printf format).
"$GNNKD_BIN" bench-speed --help >"$tmp/help" || fail "--help exited $?"
grep -q 'cpu share below 100% says' "$tmp/help" && grep -q '^Example:' "$tmp/help" ||
  fail "--help is garbled"

# Usage errors exit 2.
"$GNNKD_BIN" bench-speed --epochs 0 >/dev/null 2>&1
[ $? -eq 2 ] || fail "--epochs 0 should exit 2"
"$GNNKD_BIN" bench-speed --model rnn:3 >/dev/null 2>&1
[ $? -eq 2 ] || fail "--model rnn:3 should exit 2"
"$GNNKD_BIN" bench-speed --dataset nosuchdataset --latency-only >/dev/null 2>&1
[ $? -eq 2 ] || fail "a missing dataset should exit 2"
echo "sh_speed: ok"
