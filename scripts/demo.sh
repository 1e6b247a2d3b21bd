#!/bin/sh
# `make demo`: the whole decision workflow on the project's own small model, on this machine,
# with nothing to download. One `tierbench quant-sweep` quantizes the model to Q8_0, Q4_K_M and
# Q2_K (into runs/demo/models/), runs the built-in math (gsm8k), coding (humaneval, sandboxed)
# and needle suites with the local engine and the quality suite (perplexity, KL divergence) on
# the F32 model and every variant, and writes runs/demo/report.md and report.html: tier list,
# accuracy per suite, tokens/s, quality, verdicts against F32, and the cost table (this
# machine's self-host cost against API list prices, marked "price only, not measured").
# Re-running resumes (models, quality figures and samples are kept) and rewrites the report.
# The TB_DEMO_* variables exist for the integration test (tests/integration/test_demo.sh, which
# runs this on a random-weight stand-in written by tools/mkbench --tiny).
set -eu
TB_BIN=${TB_BIN:-bin/tierbench}

# ---- What the demo runs: the model (docs/model.md), and the folder of its held-out eval sets
# (arith.jsonl in the GSM8K format, code.jsonl in the HumanEval format, quality.txt for
# perplexity).
MODEL=${TB_DEMO_MODEL:-models/tierbench-tiny.gguf}
DATA=${TB_DEMO_DATA:-datasets/tiny}

OUT=${TB_DEMO_OUT:-runs/demo}
LIMIT=${TB_DEMO_LIMIT:-40}                      # items per suite
MAX_TOKENS=${TB_DEMO_MAX_TOKENS:-200}           # per answer
NEEDLE_LENGTHS=${TB_DEMO_NEEDLE_LENGTHS:-256,512}  # tokens: the prompt lengths the model was trained on
NEEDLE_DEPTHS=${TB_DEMO_NEEDLE_DEPTHS:-10}
# A model of a few M parameters decodes fastest on one thread (and a busy machine slows a
# thread barrier most); the other core scores answers (the coding sandbox).
THREADS=${TB_DEMO_THREADS:-1}
PARALLEL=${TB_DEMO_PARALLEL:-8}                 # requests decoded together
# API models priced from datasets/prices.json (list prices; nothing is sent to them).
APIS=${TB_DEMO_APIS:-openai/gpt-4o-mini,openai/gpt-5-mini,anthropic/claude-haiku-4-5,gemini/gemini-2.5-flash-lite}
# Self-host cost of this machine: an assumption, shown in the report's hardware table. The
# default is the order of a cloud VM's on-demand price per core-hour.
USD_PER_CORE_HOUR=${TB_DEMO_USD_PER_CORE_HOUR:-0.025}

if [ ! -f "$MODEL" ]; then
	echo "demo: $MODEL: no such file" >&2
	exit 2
fi

# A results store written from another model file (or by an older demo) is not resumed.
sum=$(cksum <"$MODEL")
if [ -d "$OUT" ] && [ "$(cat "$OUT/model.cksum" 2>/dev/null)" != "$sum" ] && [ -e "$OUT/results.db" ]; then
	echo "demo: $OUT holds results of another model or demo; starting afresh"
	find "$OUT" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
fi
mkdir -p "$OUT"
echo "$sum" >"$OUT/model.cksum"

hw=$("$TB_BIN" hw --json --no-bw)
cores=$(printf '%s\n' "$hw" | sed -n 's/.*"cores":\([0-9]*\).*/\1/p')
cpu=$(printf '%s\n' "$hw" | sed -n 's/.*"cpu_model":"\([^"]*\)".*/\1/p')
usd_h=$(awk "BEGIN { printf \"%.4f\", ${cores:-1} * $USD_PER_CORE_HOUR }")
HW="{\"kind\": \"self-hosted\", \"name\": \"this machine: $cpu, ${cores:-?} cores\", \"cost_per_hour\": $usd_h, \"assumption\": \"\$$USD_PER_CORE_HOUR per core-hour\"}"

set -- "$MODEL" --types Q8_0,Q4_K_M,Q2_K --suites gsm8k,humaneval,needle,quality \
	--dataset "gsm8k=$DATA/arith.jsonl" --shots 0 --dataset "humaneval=$DATA/code.jsonl" \
	--needle-lengths "$NEEDLE_LENGTHS" --needle-depths "$NEEDLE_DEPTHS" \
	--limit "$LIMIT" --max-tokens "$MAX_TOKENS" --parallel "$PARALLEL" --threads "$THREADS" \
	--hardware "$HW" --price-only "$APIS" \
	--text "$DATA/quality.txt" --out "$OUT" --report "$OUT" --format md,html
echo "demo: $TB_BIN quant-sweep $MODEL (F32 + Q8_0, Q4_K_M, Q2_K; gsm8k, humaneval, needle, quality)"
"$TB_BIN" quant-sweep "$@"

echo
awk '/^## Tier list/ { on = 1 } /^Tier rule/ { on = 0 } on' "$OUT/report.md"
echo "demo: report written to $OUT/report.md and $OUT/report.html (verdicts in detail: $OUT/verdicts.md;"
echo "      results store: $OUT/results.db; remake with: $TB_BIN report $OUT --verdicts-vs base)"
