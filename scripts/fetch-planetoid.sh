#!/usr/bin/env bash
# Get the Planetoid citation graphs (Cora, CiteSeer, PubMed) in the gnnkd
# dataset folder format.
#
#   scripts/fetch-planetoid.sh [DEST]             download, verify, convert
#   scripts/fetch-planetoid.sh --from RAW [DEST]  convert an already-downloaded
#                                                 raw folder (no network)
#
# DEST defaults to ./data. The raw ind.<name>.* pickles go to DEST/planetoid-raw
# (downloaded mode), are checked against the SHA-256 sums below (both modes),
# and are converted by planetoid_convert.py into DEST/cora, DEST/citeseer and
# DEST/pubmed. Standard output is one line, `export GNNKD_DATA=<absolute DEST>`,
# so `eval "$(scripts/fetch-planetoid.sh)"` sets the variable; progress goes to
# standard error.
#
# Needs curl or wget (download mode only), sha256sum, and /usr/bin/python3 with
# NumPy and SciPy (Debian/Ubuntu: apt-get install python3-numpy python3-scipy).
set -euo pipefail

BASE_URL="https://github.com/kimiyoung/planetoid/raw/master/data"
DATASETS="cora citeseer pubmed"
PARTS="x y tx ty allx ally graph test.index"
PYTHON=/usr/bin/python3
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CONVERT="$HERE/planetoid_convert.py"

# SHA-256 of the original Planetoid files. Several public copies of
# ind.pubmed.allx are truncated; such a copy fails this check.
SUMS='2ac30345d95c9ec933a817ee0bdd6a5f077f8c184a20e696910192d534414668  ind.citeseer.allx
f704b2d986dde6c2669934de1f3ae5696a6cf9455c0f6b2646a2d135ea0a1c95  ind.citeseer.ally
d79a4ef9d3e7169aee8946145f6b7306e35bc79bffad26346cfb94e10e9912a7  ind.citeseer.graph
2af990671580b6b2df5d158d1038f8292e30c9cd821b5453f399659b25b723d4  ind.citeseer.test.index
539a8906a2da97628d212f2fdd668c109a8b3f0d36574b59e5d3fd5b5303da21  ind.citeseer.tx
55e5bd1ba1e733a04598753ad1a8d57957f4b8f89e74519f41f4f4938767e4ce  ind.citeseer.ty
d20de19150741e555de0ed037195630fc194114ebc7fd72ced62810148aa22f6  ind.citeseer.x
8ba87e515d8e3ee3cf52f6d2c5b86aa73f11ecad825a808455209ec26cd54924  ind.citeseer.y
9419ba2f26f5c35243db64aba110e0f35a04851609e0dc5433450676ca6b8543  ind.cora.allx
2b998f5cc7fedc86e7f97ca2498f47a1ffc1462c29e2d578b23bf3f62b6e7d71  ind.cora.ally
58f13302f39dde8852dad6fe6d15b89b077b6d7f837626bce671ef80344b383d  ind.cora.graph
297ce89af2b51a6a194181c7dbe1796c6a1cf9cd9349a88383b1b1e227867875  ind.cora.test.index
b9afbaa4a400df991f6f02ef677e1e44da55ffc04801fd02f9e673987829226a  ind.cora.tx
41f5ac76596a1699cc33f53084a2419e92961c42bb75f36fc38e616d348532ad  ind.cora.ty
23cfa55d91c6f624233f5eb7b6e3f141f1bd2b2ae39608a63cf5d084bb27baab  ind.cora.x
94465c14eb53e04ca262198dcbb2521ee8af60fb3f3d546cd6ca24a511b0e7d1  ind.cora.y
508e538e2abdccdd54c4d3e9f49d638b4af7107d85845f66ddea5a5152658b7e  ind.pubmed.allx
0c37bbe3b5014ec365e9d393cf4791925e5ed94fb194305d74f064a8d7b50f0e  ind.pubmed.ally
5b89f0036ca22909471f1e6558eb42fa06e0c730a577bde5b058b40638f81dc9  ind.pubmed.graph
b101d421688bbaecbd82e8a18f1e282378d6830f3a37666f28ebc47f844341b5  ind.pubmed.test.index
4eb5f5d0f30f26497eb0ac6ac9719d09c67e284f1ed0385c93f3ef27a671da3d  ind.pubmed.tx
ee2e0d4819d9fbcc403689c3bf2e49face401b605932f093bc58ab6461130fdd  ind.pubmed.ty
fbe9cb5c47200d1b7769a26e579be3b7130b556831f9d850e77c4c74f2599b33  ind.pubmed.x
e6c807633307a07ed659249006536a147c7999c797f11a2560752990181b41b3  ind.pubmed.y'

die() { echo "fetch-planetoid: $*" >&2; exit 1; }

usage() {
  cat <<EOF
usage: fetch-planetoid.sh [DEST]
       fetch-planetoid.sh --from RAW_DIR [DEST]
Download (or, with --from, take from RAW_DIR) the Planetoid ind.<name>.* files,
verify them, and write DEST/{cora,citeseer,pubmed} in the gnnkd format.
DEST defaults to ./data.
EOF
}

FROM=""
DEST=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --from) [ $# -ge 2 ] || die "--from needs a folder"; FROM="$2"; shift 2 ;;
    --from=*) FROM="${1#--from=}"; shift ;;
    --) shift; [ $# -le 1 ] || { usage >&2; exit 2; }; DEST="${1:-}"; break ;;
    -*) usage >&2; exit 2 ;;
    *) [ -z "$DEST" ] || { usage >&2; exit 2; }; DEST="$1"; shift ;;
  esac
done
DEST="${DEST:-./data}"

# Prerequisites, checked before any download.
command -v sha256sum >/dev/null 2>&1 || die "sha256sum not found (install coreutils)"
[ -x "$PYTHON" ] || die "$PYTHON not found; install it with: apt-get install python3 python3-numpy python3-scipy"
"$PYTHON" -c 'import numpy, scipy.sparse' 2>/dev/null ||
  die "$PYTHON lacks NumPy/SciPy; install them with: apt-get install python3-numpy python3-scipy"
[ -f "$CONVERT" ] || die "converter $CONVERT not found"

mkdir -p "$DEST" || die "cannot create $DEST"
DEST="$(cd "$DEST" && pwd)"

if [ -n "$FROM" ]; then
  [ -d "$FROM" ] || die "raw folder $FROM does not exist"
  RAW="$(cd "$FROM" && pwd)"
else
  RAW="$DEST/planetoid-raw"
  mkdir -p "$RAW" || die "cannot create $RAW"
  if command -v curl >/dev/null 2>&1; then
    get() { curl -fsSL --retry 3 -o "$2" "$1"; }
  elif command -v wget >/dev/null 2>&1; then
    get() { wget -q -O "$2" "$1"; }
  else
    die "neither curl nor wget found; install one (apt-get install curl)"
  fi
  for name in $DATASETS; do
    for part in $PARTS; do
      f="ind.$name.$part"
      # Keep a file already downloaded and verified by an earlier run.
      if [ -f "$RAW/$f" ] && awk -v f="$f" '$2 == f' <<<"$SUMS" | (cd "$RAW" && sha256sum -c --status -); then
        continue
      fi
      echo "fetch-planetoid: downloading $f" >&2
      get "$BASE_URL/$f" "$RAW/$f.part" || { rm -f "$RAW/$f.part"; die "download of $BASE_URL/$f failed"; }
      mv -f "$RAW/$f.part" "$RAW/$f"
    done
  done
fi

# Verify every raw file (the converter unpickles them, so only trusted bytes).
bad=0
while read -r sum f; do
  if [ ! -f "$RAW/$f" ]; then
    echo "fetch-planetoid: missing $RAW/$f" >&2; bad=1
  elif [ "$(sha256sum < "$RAW/$f" | cut -d' ' -f1)" != "$sum" ]; then
    echo "fetch-planetoid: checksum mismatch for $RAW/$f (expected sha256 $sum)" >&2; bad=1
  fi
done <<<"$SUMS"
if [ "$bad" -ne 0 ]; then
  die "the raw files in $RAW are missing or differ from the original Planetoid files; a truncated ind.pubmed.allx is a known problem of some copies: get it from https://github.com/kimiyoung/planetoid/tree/master/data"
fi

for name in $DATASETS; do
  # Progress to stderr: stdout is only the export line, for eval "$(...)".
  "$PYTHON" "$CONVERT" "$RAW" "$name" "$DEST/$name" >&2 || die "conversion of $name failed"
done

printf 'export GNNKD_DATA=%q\n' "$DEST"
