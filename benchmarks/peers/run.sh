#!/usr/bin/env bash
# gnnkd vs PyTorch: installs Debian's torch if missing, builds gnnkd if
# ./build/gnnkd is absent, then runs compare.py over cora, citeseer, pubmed x
# gcn:16, gcn:256 x 1, 2 threads, each side 3 times, alternating which goes
# first (--repeats N). Arguments are passed on to compare.py, e.g.
#   benchmarks/peers/run.sh --datasets pubmed --threads 2 --repeats 5
# Environment: GNNKD_DATA (default: ../shared/datasets next to the repository),
# GNNKD (the program, default build/gnnkd), OUT (default build/peers/compare.md).
# A benchmark, not part of CI.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
PY=/usr/bin/python3   # Debian's Python: the one python3-torch installs into

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else echo "run.sh: need root (or sudo) to run: $*" >&2; return 1
    fi
}

# 1. Debian's torch, SciPy and NumPy (and OpenBLAS: with only the reference
#    BLAS, torch's dense products would be needlessly slow).
libs="$(ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true)"
if ! "$PY" -c 'import torch, scipy, numpy' >/dev/null 2>&1 || [[ "$libs" != *libopenblas.so.0* ]]; then
    echo "run.sh: installing python3-torch python3-scipy python3-numpy libopenblas0-pthread" >&2
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        python3 python3-torch python3-scipy python3-numpy libopenblas0-pthread
fi
"$PY" -c 'import torch; print("run.sh: torch", torch.__version__)' >&2

# 2. gnnkd (Release by default). A failed build is reported; compare.py then
#    still runs the torch side.
GNNKD="${GNNKD:-$repo/build/gnnkd}"
if [ ! -x "$GNNKD" ]; then
    echo "run.sh: building gnnkd (cmake -S . -B build && cmake --build build -j)" >&2
    if ! { cmake -S . -B build && cmake --build build -j "$(nproc)"; }; then
        echo "run.sh: gnnkd did not build; running the torch side only" >&2
    fi
fi

# 3. The comparison.
export GNNKD_DATA="${GNNKD_DATA:-$(cd "$repo/.." && pwd)/shared/datasets}"
if [ ! -d "$GNNKD_DATA" ]; then
    echo "run.sh: no datasets at $GNNKD_DATA: set GNNKD_DATA" >&2
    exit 2
fi
OUT="${OUT:-$repo/build/peers/compare.md}"
mkdir -p "$(dirname "$OUT")"
exec "$PY" "$here/compare.py" --gnnkd "$GNNKD" --data-dir "$GNNKD_DATA" --out "$OUT" "$@"
