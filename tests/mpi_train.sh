#!/usr/bin/env bash
# mpi_train.sh — distributed training and distillation (MPI builds only):
# mpirun -np 2 and -np 3 on Cora (METIS parts) and on a synthetic graph with
# dense features (contiguous parts), GCN and MLP, trained and distilled (MLP
# and GCN students), against the single-process
# run with the same seed: logits within 1e-4 (relative, max over nodes), test
# accuracy within 0.002; with --reproducible, the same bits. Then failures: a
# corrupted part ends the job with "rank R: ..." and no output file; a rank
# count that is not the part count.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
need_data cora
bin=${GNNKD_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# one core each on a shared machine: ranks yield instead of spinning
export OMPI_MCA_mpi_yield_when_idle=1 OMPI_MCA_rmaps_base_oversubscribe=1
# Under AddressSanitizer, Open MPI's plugins leave allocations behind that
# LeakSanitizer cannot name (they are unloaded by then); gnnkd's own paths
# are leak-checked by test_partition and test_alloc. Other checks stay on.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
mpi() { timeout 300 mpirun --allow-run-as-root --oversubscribe -np "$@"; }
acc() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['test_acc']['mean'])" "$1"; }

# compare NAME DATASET-ARGS MODEL P METHOD
compare() {
  local name=$1 data=$2 model=$3 P=$4 method=$5 opts="--epochs 60 --seed 3 --threads 1 --quiet --json"
  [ -d "$tmp/$name-$P" ] || "$bin" partition $data --parts "$P" --method "$method" \
    --out "$tmp/$name-$P" >/dev/null || fail "$name: partition into $P"
  [ -f "$tmp/$name-$model.npy" ] || "$bin" train $data --model "$model" $opts \
    --save-logits "$tmp/$name-$model.npy" >"$tmp/$name-$model.json" || fail "$name: single-process $model"
  mpi "$P" "$bin" train --partitioned "$tmp/$name-$P" --model "$model" $opts \
    --save-logits "$tmp/$name-$model-$P.npy" >"$tmp/$name-$model-$P.json" \
    || fail "$name: mpirun -np $P $model"
  python3 "$here/npy_compare.py" "$tmp/$name-$model.npy" "$tmp/$name-$model-$P.npy" 1e-4 \
    || fail "$name: $model on $P ranks: logits differ from the single process"
  local a b
  a=$(acc "$tmp/$name-$model.json") b=$(acc "$tmp/$name-$model-$P.json")
  python3 -c "import sys; sys.exit(abs($a - $b) > 0.002)" \
    || fail "$name: $model on $P ranks: test accuracy $b, single process $a"
  echo "ok: $name $model, $P ranks ($method): test accuracy $b (single $a)"
}

syn="--dataset synthetic:nodes=600,classes=3,features=24,degree=5,train-per-class=10,val=60,test=120"
for P in 2 3; do
  compare cora "--dataset cora" gcn:16 "$P" metis
  compare syn "$syn" gcn:16 "$P" contiguous
done
compare cora "--dataset cora" mlp:64 2 metis
compare syn "$syn" gcn:16,8 3 contiguous

# distillation: the teacher's targets made and kept on the ranks; an MLP and a GCN student.
# With float sums the students drift (the ranks round their sums in another
# order, and Adam blows up the difference in tiny gradients; docs/distributed.md);
# --reproducible sums the weight gradients exactly: the single process's bits.
# distil NAME DATASET-ARGS STUDENT P TOLERANCE [OPTION]
distil() {
  local name=$1 data=$2 student=$3 P=$4 tol=$5 opts="--epochs 40 --seed 5 --threads 1 --quiet --json ${6:-}"
  local out="$tmp/d-$name-$student-$P"
  "$bin" distill $data --student "$student" $opts --save-logits "$out-1.npy" \
    >"$out-1.json" || fail "$name: single-process distill to $student"
  mpi "$P" "$bin" distill --partitioned "$tmp/$name-$P" --student "$student" $opts \
    --save-logits "$out.npy" >"$out.json" || fail "$name: mpirun -np $P distill to $student"
  python3 "$here/npy_compare.py" "$out-1.npy" "$out.npy" "$tol" \
    || fail "$name: distilled $student on $P ranks ${6:-}: logits differ from the single process"
  local a b
  a=$(acc "$out-1.json") b=$(acc "$out.json")
  python3 -c "import sys; sys.exit(abs($a - $b) > 0.002)" \
    || fail "$name: distilled $student on $P ranks: test accuracy $b, single process $a"
  echo "ok: $name distilled to $student, $P ranks ${6:-}: test accuracy $b (single $a)"
}
distil cora "--dataset cora" mlp:64 2 5e-3
for P in 2 3; do
  distil cora "--dataset cora" mlp:64 "$P" 0 --reproducible
  distil cora "--dataset cora" gcn:16 "$P" 0 --reproducible
done
distil syn "$syn" gcn:16 3 0 --reproducible

# bench-speed's distributed mode: a GCN exchanges halo rows, an MLP none
mpi 2 "$bin" bench-speed --partitioned "$tmp/cora-2" --model gcn:16 --epochs 3 --warmup 1 --json \
  >"$tmp/speed.json" || fail "bench-speed --partitioned"
python3 - "$tmp/speed.json" <<'PY' || fail "bench-speed --partitioned: $(cat "$tmp/speed.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["ranks"] == 2 and j["epochs"] == 4 and j["model"] == "gcn:16", j
assert j["seconds_per_epoch"] > 0 and j["exchange_bytes_per_epoch"] > 0, j
assert 0 < j["peak_rss_mb_max_rank"] < 4096, j
PY
echo "ok: bench-speed --partitioned"

# a corrupted part: the job ends, naming the rank, the file and the cause
cp -r "$tmp/cora-3" "$tmp/bad"
printf '\x55' | dd of="$tmp/bad/part-1/adjacency.bin" bs=1 seek=300 conv=notrunc 2>/dev/null
mpi 3 "$bin" train --partitioned "$tmp/bad" --epochs 5 --quiet --save-logits "$tmp/bad.npy" \
  >"$tmp/bad.out" 2>&1 && fail "a corrupted part was accepted"
grep -q "rank 1: gnnkd train: .*part-1/adjacency.bin: CRC-32 .*corrupted" "$tmp/bad.out" \
  || { cat "$tmp/bad.out"; fail "the corrupted part's message"; }
[ ! -e "$tmp/bad.npy" ] || fail "a failed job left its logits file"
# a rank count that is not the part count
mpi 2 "$bin" train --partitioned "$tmp/cora-3" --epochs 5 --quiet >"$tmp/np.out" 2>&1 \
  && fail "2 ranks on 3 parts ran"
grep -q "has 3 parts and the job 2 ranks: run mpirun -np 3" "$tmp/np.out" \
  || { cat "$tmp/np.out"; fail "the rank count's message"; }
# what is not distributed is refused by name, not ignored
for opt in "--rsd-weight 1" "--generations 2" "--assistant nosmog"; do
  mpi 2 "$bin" distill --partitioned "$tmp/cora-2" --epochs 3 --quiet $opt >"$tmp/nd.out" 2>&1 \
    && fail "distill --partitioned $opt ran"
  grep -q "similarity distillation, generations and an assistant are not distributed" "$tmp/nd.out" \
    || { cat "$tmp/nd.out"; fail "distill --partitioned $opt: the message"; }
done
echo "mpi_train: ok"
