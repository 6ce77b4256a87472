# lib.sh — sourced by the sh_*.sh tests: failing, where the data are, and
# reading the program's one-line JSON.

# fail MESSAGE...: ends the test (exit 1) naming it.
fail() { echo "$(basename "$0" .sh): FAIL: $*" >&2; exit 1; }

# need_data DATASET...: GNNKD_DATA must be set and hold each DATASET folder
# (cora, planetoid-raw, ...). Fails the test (exit 1), never skips it: a
# skipped test cannot fail.
need_data() {
    local d why=""
    if [ -z "${GNNKD_DATA:-}" ]; then
        why="GNNKD_DATA is not set"
    else
        for d in "$@"; do
            [ -d "$GNNKD_DATA/$d" ] || { why="GNNKD_DATA=$GNNKD_DATA has no $d/"; break; }
        done
    fi
    if [ -n "$why" ]; then
        echo "$(basename "$0" .sh): FAIL: $why: set GNNKD_DATA to the folder with cora/, citeseer/, pubmed/" >&2
        exit 1
    fi
}

# csv_col FILE NAME: the 1-based index of column NAME in FILE's header (a
# plain comma-separated header), or fails the test.
csv_col() {
    local i
    i=$(head -n 1 "$1" | tr ',' '\n' | grep -nx -- "$2" | cut -d: -f1)
    if [ -z "$i" ]; then
        echo "$(basename "$0" .sh): FAIL: $1 has no column $2" >&2
        exit 1
    fi
    echo "$i"
}

# key KEY JSON: the value of a top-level number (or null) in one-line JSON.
key() { printf '%s\n' "$2" | grep -o "\"$1\":[^,}]*" | head -n 1 | cut -d: -f2; }

# expect JSON KEY VALUE WHAT: fails the test unless KEY's value is VALUE.
expect() {
  local got
  got="$(key "$2" "$1")"
  [ "$got" = "$3" ] || fail "$4: $2 is '$got', expected '$3'"
}
