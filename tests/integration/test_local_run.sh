#!/bin/sh
# Integration: `tierbench run` with `local` targets (the built-in engine on the shared
# stories260K files) on gsm8k items of the built-in arithmetic set: every sample stored with
# tokens and timings; a run killed mid-way and resumed stores exactly the rows of an
# uninterrupted one (the batches differ, the greedy tokens do not); the needle grid stops at the
# target's context and is cut with its tokenizer; a prompt over the context is stored as a
# context_length error and not retried; a missing model file is named at start; -v shows the
# engine's warnings.
. tests/integration/lib.sh
ROOT=$(pwd)
SHARED=${TB_SHARED:-$ROOT/../shared}
M=$SHARED/models
cd "$T_DIR" || exit 1

if [ ! -f "$M/stories260K.gguf" ]; then
	for n in local_run local_resume local_needle local_context_length local_missing_model; do
		skip "$n" "no $M/stories260K.gguf (set TB_SHARED)"
	done
	end_tests
	exit $?
fi

cat > spec.json <<JSON
{
  "name": "local",
  "targets": [
    {"id": "f32", "provider": "local", "model": "$M/stories260K.gguf",
     "options": {"threads": 1, "n_parallel": 4, "n_ctx": 1024}},
    {"id": "q4", "provider": "local", "model": "$M/derived/stories260K-Q4_K_M.gguf",
     "quant": "Q4_K_M", "options": {"threads": 1, "n_parallel": 3, "n_ctx": 1024}}
  ],
  "suites": [{"name": "gsm8k", "dataset": "$ROOT/datasets/demo/arith.jsonl", "shots": 1,
              "limit": 10}],
  "generation": {"max_tokens": 24, "temperature": 0, "seed": 1}
}
JSON
DUMP="SELECT target, item, sample, response, finish_reason, n_tokens_in, n_tokens_out, score, error FROM samples ORDER BY target, item, sample"

"$TB_BIN" run spec.json --out ref --quiet --no-bw >ref.log 2>&1; rc=$?
check local_run_completes sh -c "test $rc -eq 0"
check local_run_stores_every_sample test "$(sql ref/results.db "SELECT count(*) FROM samples WHERE error = 0")" -eq 20
check local_run_stores_tokens_and_timings test "$(sql ref/results.db "SELECT count(*) FROM samples
	WHERE n_tokens_in > 20 AND n_tokens_out BETWEEN 1 AND 24 AND ttft_ms >= 0 AND latency_ms >= ttft_ms
	AND cost_usd = 0 AND finish_reason IN ('stop', 'length')")" -eq 20
sql ref/results.db "$DUMP" > ref.rows

# -v: the engine's messages reach stderr beside the providers' (stories260K's vocabulary names
# special ids past its end: warnings; each model load: an info line)
"$TB_BIN" run spec.json --out verbose --limit 1 --quiet --no-bw -v >verbose.log 2>&1; rc=$?
check local_run_verbose_shows_engine_messages sh -c "test $rc -eq 0 &&
	grep -q 'tierbench: warn: vocab: tokenizer.ggml.padding_token_id out of range' verbose.log &&
	grep -q 'tierbench: info: .*stories260K.gguf: llama, 5 layers' verbose.log"

set -- $(python3 "$ROOT/tests/integration/kill_at.py" killed/results.db 5 KILL \
	"$TB_BIN" run spec.json --out killed --quiet --no-bw)
check local_kill_landed_mid_run sh -c "test $1 -gt 0 && test $1 -lt 20 && test $2 -eq -9"
"$TB_BIN" run spec.json --out killed --quiet --no-bw >>killed.log 2>&1; rc=$?
check local_resume_completes sh -c "test $rc -eq 0 && grep -q 'already stored' killed.log"
sql killed/results.db "$DUMP" > killed.rows
check local_resumed_rows_equal_uninterrupted_rows cmp -s ref.rows killed.rows

# needle: n_ctx 512 is below every default length, so the grid is that one length
cat > needle.json <<JSON
{
  "targets": [{"id": "f32", "provider": "local", "model": "$M/stories260K.gguf",
               "options": {"threads": 1, "n_ctx": 512}}],
  "suites": [{"name": "needle", "limit": 3}],
  "generation": {"max_tokens": 8}
}
JSON
"$TB_BIN" run needle.json --out needle --quiet --no-bw >needle.log 2>&1; rc=$?
n=$(sql needle/results.db "SELECT count(*) FROM samples WHERE item LIKE 'single/L512/%' AND error = 0
	AND n_tokens_in BETWEEN 400 AND 512")
check local_needle_grid_stops_at_the_context sh -c "test $rc -eq 0 && test '$n' = 3"

# a 1-shot prompt does not fit 64 cells: stored as context_length, not retried on resume
sed -e 's/"n_ctx": 1024/"n_ctx": 64/' -e 's/"limit": 10/"limit": 2/' spec.json > small.json
"$TB_BIN" run small.json --out small --quiet --no-bw >small.log 2>&1
"$TB_BIN" run small.json --out small --quiet --no-bw >small2.log 2>&1
n=$(sql small/results.db "SELECT count(*) FROM samples WHERE error_class = 'context_length'
	AND error_msg LIKE '%64%'")
check local_context_length_stored_and_not_retried sh -c "test '$n' = 4 && grep -q '4 already stored' small2.log"

sed "s|$M/stories260K.gguf|$T_DIR/none.gguf|" spec.json > missing.json
"$TB_BIN" run missing.json --out missing --quiet --no-bw >missing.log 2>&1; rc=$?
check local_missing_model_is_named_at_start sh -c "test $rc -eq 2 && grep -q 'none.gguf' missing.log && grep -q 'f32' missing.log"
end_tests
