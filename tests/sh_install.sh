#!/usr/bin/env bash
# Installs gnnkd into a temporary prefix and builds the example program
# against the installed copy twice: with find_package(gnnkd) and with
# pkg-config. Then runs it on a tiny dataset.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$GNNKD_BUILD_DIR" --prefix "$tmp/prefix" >/dev/null
test -f "$tmp/prefix/include/gnnkd.h"
# a sanitizer build's library needs the same flags in its users
san=""
grep -q "GNNKD_SANITIZE:BOOL=ON" "$GNNKD_BUILD_DIR/CMakeCache.txt" && san="-fsanitize=address,undefined"
libdir=$(dirname "$(find "$tmp/prefix" -name 'libgnnkd.so' | head -1)")

# CMake package
cmake -S "$GNNKD_SOURCE_DIR/examples" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_C_FLAGS="$san" >/dev/null
cmake --build "$tmp/cm" >/dev/null
# pkg-config
PKG_CONFIG_PATH="$libdir/pkgconfig" cc $san -o "$tmp/pc" "$GNNKD_SOURCE_DIR/examples/distill.c" \
  $(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs gnnkd)

for exe in "$tmp/cm/distill" "$tmp/pc"; do
  out=$(LD_LIBRARY_PATH="$libdir" "$exe" "$GNNKD_TEST_DATA/tiny")
  echo "$out"
  grep -q "teacher gcn:64 test accuracy" <<<"$out"
done
