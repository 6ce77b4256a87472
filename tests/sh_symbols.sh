#!/usr/bin/env bash
# The shared library exports its public API only: every defined dynamic
# symbol of libgnnkd.so (the built one and an installed copy) is a gnnkd_
# function or object declared in gnnkd.h.
set -euo pipefail
check() {
  local lib=$1 bad
  test -f "$lib" || { echo "no shared library at $lib"; exit 1; }
  # nm -D prints "address type name"; undefined symbols are left out
  bad=$(nm -D --defined-only "$lib" | awk '{print $NF}' | grep -v '^gnnkd_' || true)
  if [ -n "$bad" ]; then
    echo "$lib exports $(wc -l <<<"$bad") non-public symbols:"
    echo "$bad"
    exit 1
  fi
  local n
  n=$(nm -D --defined-only "$lib" | wc -l)
  [ "$n" -gt 20 ] || { echo "$lib exports only $n symbols"; exit 1; }
  # each exported name is declared in the public header
  for s in $(nm -D --defined-only "$lib" | awk '{print $NF}'); do
    grep -qw "$s" "$GNNKD_SOURCE_DIR/include/gnnkd.h" || { echo "$lib: $s is not in gnnkd.h"; exit 1; }
  done
  echo "$lib: $n public symbols"
}
check "$GNNKD_BUILD_DIR/libgnnkd.so"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$GNNKD_BUILD_DIR" --prefix "$tmp/prefix" >/dev/null
check "$(find "$tmp/prefix" -name 'libgnnkd.so' | head -1)"
