#!/bin/sh
# `make demo`: runs the built-in demo spec (datasets/demo/demo.json) into runs/demo and writes
# runs/demo/report.md and report.html (with charts when gnuplot is installed). Re-running resumes
# the stored run (nothing left to do) and rewrites the report.
set -eu
TB_BIN=${TB_BIN:-bin/tierbench}
out=runs/demo
echo "demo: scoring the built-in GSM8K-format set with two replayed answer files"
"$TB_BIN" run datasets/demo/demo.json --out "$out"
"$TB_BIN" report "$out" --format md,html --out "$out"
echo
cat "$out/report.md"
echo
echo "demo: report written to $out/report.md and $out/report.html (results store: $out/results.db)"
