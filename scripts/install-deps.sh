#!/usr/bin/env bash
# Installs what gnnkd needs to build and test on Debian 12 (run as root, or
# with sudo available). Safe to run again.
#   scripts/install-deps.sh          to build and test
#   scripts/install-deps.sh --fuzz   also clang, libFuzzer, clang's OpenMP and
#                                    llvm-symbolizer, for the harnesses in fuzz/
set -euo pipefail
packages=(build-essential cmake pkg-config
  libsuitesparse-dev libgraphblas-dev libopenblas-dev libopenblas-openmp-dev libigraph-dev
  libcriterion-dev libcjson-dev zlib1g-dev libzip-dev libmetis-dev
  libopenmpi-dev openmpi-bin
  python3-numpy python3-scipy gnuplot-nox jq)
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang libclang-rt-14-dev libomp-dev llvm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
