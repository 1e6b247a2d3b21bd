#!/usr/bin/env python3
"""tests/integration/report_figures.py REPORT.json -- the figures of a `tierbench report --format
json` that a sharded and an unsharded run of one spec must share: per target x suite the sample
and error counts, accuracy, its interval, every metric, tokens and cost; one sorted line each.
Timings, run labels and times are left out (they differ between any two runs)."""
import json
import sys

KEEP = ("target", "provider", "model", "quant", "suite", "n", "errors", "accuracy", "ci_lo",
        "ci_hi", "tokens_in", "tokens_out", "tokens_reasoning", "usd_run", "metrics")

rep = json.load(open(sys.argv[1]))
rows = rep.get("results") or []
if not rows:
    sys.exit("%s: no results" % sys.argv[1])
for r in sorted(json.dumps({k: r.get(k) for k in KEEP}, sort_keys=True) for r in rows):
    print(r)
