#!/usr/bin/env bash
# The shared library exports its public API and nothing else: every defined
# dynamic symbol of libgnnkd.so (the built one and an installed copy) is a
# gnnkd_ function declared in gnnkd.h, and every function gnnkd.h declares
# (but its static inlines) is exported.
set -euo pipefail
header="$GNNKD_SOURCE_DIR/include/gnnkd.h"
declared=$(grep -o 'gnnkd_[a-z_0-9]*(' "$header" | tr -d '(' | sort -u)
inline=$(grep -o 'static inline [^(]*(' "$header" | grep -o 'gnnkd_[a-z_0-9]*' | sort -u)
check() {
  local lib=$1 syms bad missing
  test -f "$lib" || { echo "no shared library at $lib"; exit 1; }
  # nm -D prints "address type name"; undefined symbols are left out
  syms=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sort -u)
  bad=$(comm -23 <(echo "$syms") <(echo "$declared"))
  if [ -n "$bad" ]; then
    echo "$lib exports $(wc -l <<<"$bad") symbols that are not gnnkd.h's functions:"
    echo "$bad"
    exit 1
  fi
  missing=$(comm -23 <(comm -23 <(echo "$declared") <(echo "$inline")) <(echo "$syms"))
  if [ -n "$missing" ]; then
    echo "$lib does not export these functions of gnnkd.h:"
    echo "$missing"
    exit 1
  fi
  echo "$lib: $(wc -l <<<"$syms") public symbols"
}
check "$GNNKD_BUILD_DIR/libgnnkd.so"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$GNNKD_BUILD_DIR" --prefix "$tmp/prefix" >/dev/null
check "$(find "$tmp/prefix" -name 'libgnnkd.so' | head -1)"
