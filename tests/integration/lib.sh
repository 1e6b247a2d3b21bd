# tests/integration/lib.sh — helpers for the shell integration tests: the test protocol
# ("ok NAME", "FAIL NAME: why", "# counts P F S"), a scratch folder, and SQLite queries via python3.
TB_BIN=${TB_BIN:-bin/tierbench}
case "$TB_BIN" in /*) ;; *) TB_BIN="$(pwd)/$TB_BIN" ;; esac
T_PASS=0 T_FAIL=0 T_SKIP=0
T_DIR=$(mktemp -d /tmp/tb_it_XXXXXX)
trap 'rm -rf "$T_DIR"' EXIT

ok() { echo "ok $1"; T_PASS=$((T_PASS + 1)); }
fail() { echo "FAIL $1: $2"; T_FAIL=$((T_FAIL + 1)); }
skip() { echo "skip $1: $2"; T_SKIP=$((T_SKIP + 1)); }
check() { # check NAME CONDITION-COMMAND... ; runs the command, ok when it succeeds
	name=$1; shift
	if "$@"; then ok "$name"; else fail "$name" "$*"; fi
}
end_tests() { echo "# counts $T_PASS $T_FAIL $T_SKIP"; [ "$T_FAIL" -eq 0 ]; }

# sql DB QUERY: prints each result row, columns separated by '|'.
sql() {
	python3 - "$1" "$2" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=10)
for row in con.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
PY
}
