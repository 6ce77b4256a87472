#!/usr/bin/env bash
# scripts/fetch-planetoid.sh --from converts the raw Planetoid pickles into
# folders byte-identical to the shared datasets (GNNKD_DATA/{cora,citeseer,pubmed}).
# Needs GNNKD_DATA (with planetoid-raw/) and GNNKD_SOURCE_DIR.
set -u

. "$(dirname "$0")/lib.sh"

need_data cora citeseer pubmed planetoid-raw
SRC="${GNNKD_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
FETCH="$SRC/scripts/fetch-planetoid.sh"
[ -f "$FETCH" ] || fail "$FETCH not found"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/gnnkd-planetoid.XXXXXX")" || fail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

out="$(bash "$FETCH" --from "$GNNKD_DATA/planetoid-raw" "$tmp/data" 2>"$tmp/stderr")"
rc=$?
if [ "$rc" -ne 0 ]; then
  cat "$tmp/stderr" >&2
  fail "fetch-planetoid.sh --from exited with status $rc"
fi
expected="$(printf 'export GNNKD_DATA=%q' "$(cd "$tmp/data" && pwd)")"
[ "$out" = "$expected" ] || fail "standard output was '$out', expected '$expected'"

files="adjacency.mtx features.mtx labels.txt train.txt val.txt test.txt classes.txt"
bad=0
for d in cora citeseer pubmed; do
  for f in $files; do
    want="$GNNKD_DATA/$d/$f"
    got="$tmp/data/$d/$f"
    if [ ! -f "$want" ]; then
      echo "sh_planetoid: reference file $want is missing" >&2; bad=1
    elif [ ! -f "$got" ]; then
      echo "sh_planetoid: $d/$f was not produced" >&2; bad=1
    elif ! cmp "$want" "$got" >&2; then
      echo "sh_planetoid: $d/$f differs from $want" >&2; bad=1
    fi
  done
  # No temporary or stray files left behind.
  for p in "$tmp/data/$d"/* "$tmp/data/$d"/.[!.]*; do
    [ -e "$p" ] || continue
    case " $files " in
      *" ${p##*/} "*) ;;
      *) echo "sh_planetoid: unexpected file $d/${p##*/}" >&2; bad=1 ;;
    esac
  done
done
[ "$bad" -eq 0 ] || fail "converted datasets differ from $GNNKD_DATA"

echo "sh_planetoid: cora, citeseer, pubmed: all 21 files identical to $GNNKD_DATA"
