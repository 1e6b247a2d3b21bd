#!/bin/sh
# Integration: the written word stays true to the tree (tests/integration/check_docs.py): no
# source file's opening comment speaks of work still to come, and every path README.md and
# docs/*.md name exists. Each check is first shown to catch a planted finding in a scratch tree.
. tests/integration/lib.sh
ROOT=$(pwd)
CHK="$ROOT/tests/integration/check_docs.py"

mkdir -p "$T_DIR/scratch/engine" "$T_DIR/scratch/docs"
printf '/* engine/a.c -- the loader; the cache is still to come. */\nint a;\n' >"$T_DIR/scratch/engine/a.c"
printf '# engine\n\nSee engine/a.c and engine/gone.c.\n' >"$T_DIR/scratch/docs/x.md"
python3 "$CHK" headers "$T_DIR/scratch" >"$T_DIR/h.txt" 2>&1; rc=$?
check headers_check_catches_work_to_come sh -c "[ $rc -eq 1 ] && grep -q 'engine/a.c:1: .*still to come' '$T_DIR/h.txt'"
python3 "$CHK" names "$T_DIR/scratch" >"$T_DIR/n.txt" 2>&1; rc=$?
check names_check_catches_a_missing_file sh -c "[ $rc -eq 1 ] && grep -q 'docs/x.md:3: names engine/gone.c' '$T_DIR/n.txt' && ! grep -q 'engine/a.c' '$T_DIR/n.txt'"

python3 "$CHK" headers "$ROOT" >"$T_DIR/h.txt" 2>&1; rc=$?
[ $rc -eq 0 ] || cat "$T_DIR/h.txt"
check no_source_header_speaks_of_work_to_come test $rc -eq 0
python3 "$CHK" names "$ROOT" >"$T_DIR/n.txt" 2>&1; rc=$?
[ $rc -eq 0 ] || cat "$T_DIR/n.txt"
check every_path_the_docs_name_exists test $rc -eq 0
end_tests
