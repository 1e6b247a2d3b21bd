#!/bin/sh
# Integration: the README's quick start, exactly as written. The commands of the block marked
# "quick-start" (all but `make`: the test runs on what is built) run from a folder that holds the
# shipped model and data where the repository does; the run must exit 0 and score above zero,
# and the report must show the score. Guards against a quick start that needs files the project
# does not ship or an option the README does not show.
. tests/integration/lib.sh
ROOT=$(pwd)
cd "$T_DIR" || exit 1
ln -s "$ROOT/models" models
ln -s "$ROOT/datasets" datasets
mkdir bin && ln -s "$TB_BIN" bin/tierbench

# The fenced block after the marker, "\"-continued lines joined, `make` left out.
awk '/<!-- quick-start:/ { m = 1; next } m && /^```sh/ { b = 1; next } b && /^```/ { exit } b' \
	"$ROOT/README.md" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | grep -v '^make$' >quick.sh
check readme_has_a_quick_start_block test "$(grep -c '^bin/tierbench' quick.sh)" -ge 2
check quick_start_uses_only_shipped_files sh -c '! grep -q "path/to" quick.sh'
sh -e quick.sh >out.txt 2>err.txt; rc=$?
check quick_start_exits_0 test $rc -eq 0
db=$(sed -n 's/.*--out \([^ ]*\).*/\1/p' quick.sh | head -n 1)/results.db
score=$(sql "$db" "SELECT COALESCE(SUM(score), 0) FROM samples WHERE error = 0" 2>/dev/null)
check quick_start_scores_above_zero python3 -c "import sys; sys.exit(0 if float('${score:-0}') > 0 else 1)"
check quick_start_report_shows_the_score grep -q '| gsm8k | [0-9]* | 0 | [1-9][0-9.]* |' out.txt
end_tests
