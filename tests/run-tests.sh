#!/bin/sh
# Runs test programs and scripts, each of which prints "ok/FAIL/skip <name>" lines and a final
# "# counts P F S" line; adds them up and ends with "N passed, N failed, N skipped".
# A program that crashes or prints no counts line counts as one failure.
# TB_TEST_VERBOSE=1 shows every line; otherwise only failures and skips.
set -u
passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
	case "$t" in
	*.sh) cmd="sh $t" ;;
	*) cmd="$t" ;;
	esac
	name=$(basename "$t")
	timeout 1200 $cmd >"$log" 2>&1
	rc=$?
	counts=$(grep '^# counts ' "$log" | tail -n 1)
	if [ -z "$counts" ]; then
		echo "FAIL $name: exited $rc without a counts line; its output:"
		tail -n 40 "$log" | sed 's/^/  | /'
		failed=$((failed + 1))
		continue
	fi
	set -- $counts
	p=$3 f=$4 s=$5
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	if [ "${TB_TEST_VERBOSE:-0}" = 1 ]; then
		sed 's/^/  /' "$log"
	elif [ "$f" -gt 0 ] || [ $rc -ne 0 ]; then
		grep -v '^ok ' "$log" | sed 's/^/  /'
	else
		grep '^skip ' "$log" | sed 's/^/  /'
	fi
	if [ "$f" -eq 0 ] && [ $rc -ne 0 ]; then
		echo "FAIL $name: exited $rc after reporting no failures"
		failed=$((failed + 1))
	fi
	printf '%-28s %3d passed, %d failed, %d skipped\n' "$name" "$p" "$f" "$s"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
