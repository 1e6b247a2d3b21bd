#!/bin/sh
# `make demo`: runs the built-in demo spec (datasets/demo/demo.json) into runs/demo and writes
# runs/demo/report.md and report.html (with charts when gnuplot is installed). Re-running resumes
# the stored run (nothing left to do) and rewrites the report; a store written by an older demo
# spec is replaced.
set -eu
TB_BIN=${TB_BIN:-bin/tierbench}
out=runs/demo
echo "demo: scoring the built-in GSM8K-format set with two replayed answer files"
err=$(mktemp)
trap 'rm -f "$err"' EXIT
if ! "$TB_BIN" run datasets/demo/demo.json --out "$out" 2>"$err"; then
	cat "$err" >&2
	# runs/demo is the demo's own output: when the demo spec changed since it was written (a
	# newer tierbench), start it afresh rather than refuse
	grep -q "the spec differs" "$err" || exit 1
	echo "demo: the demo spec changed since $out was written; starting it afresh"
	rm -rf "$out"
	: >"$err"
	"$TB_BIN" run datasets/demo/demo.json --out "$out"
fi
cat "$err" >&2
"$TB_BIN" report "$out" --format md,html --out "$out"
echo
cat "$out/report.md"
echo
echo "demo: report written to $out/report.md and $out/report.html (results store: $out/results.db)"
