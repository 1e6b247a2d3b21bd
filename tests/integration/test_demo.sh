#!/bin/sh
# Integration: `make demo`'s pipeline (scripts/demo.sh) end to end on a random-weight stand-in
# of the project's model (tools/mkbench --tiny) with tiny limits: the variants are written into
# the demo's own folder, every model answers the same suites (the needle grid the demo asks
# for), and report.md / report.html hold the tier list, the quality table, the verdicts against
# F32 and the API rows marked "price only, not measured"; a second run resumes and rewrites the
# report; a missing model is named. Needs nothing from the shared folder.
. tests/integration/lib.sh
ROOT=$(pwd)
MKBENCH=${TB_MKBENCH:-$ROOT/build/release/tools/mkbench}
case "$MKBENCH" in /*) ;; *) MKBENCH="$ROOT/$MKBENCH" ;; esac
OUT=$T_DIR/demo

if [ ! -x "$MKBENCH" ]; then
	skip demo_pipeline "no $MKBENCH (make $MKBENCH)"
	end_tests
	exit $?
fi
"$MKBENCH" --tiny "$T_DIR/tiny.gguf" >/dev/null || exit 1
mkdir -p "$T_DIR/data"
head -n 2 datasets/demo/arith.jsonl >"$T_DIR/data/arith.jsonl"
head -n 2 datasets/code/tasks.jsonl >"$T_DIR/data/code.jsonl"
python3 -c "print(' '.join(['The keeper climbed the stairs of the lighthouse and lit the lamp.'] * 14))" \
	>"$T_DIR/data/quality.txt"

demo() {
	TB_DEMO_MODEL="$T_DIR/tiny.gguf" TB_DEMO_DATA="$T_DIR/data" TB_DEMO_OUT="$OUT" TB_DEMO_LIMIT=2 \
	TB_DEMO_MAX_TOKENS=8 TB_DEMO_NEEDLE_LENGTHS=512 TB_DEMO_NEEDLE_DEPTHS=1 TB_DEMO_PARALLEL=2 \
	TB_MKBENCH="$MKBENCH" TB_BIN="$TB_BIN" sh scripts/demo.sh
}

demo >"$T_DIR/d1.out" 2>"$T_DIR/d1.err"; rc=$?
[ $rc -eq 0 ] || tail -n 20 "$T_DIR/d1.err"
check demo_completes_and_says_where_the_report_is sh -c "test $rc -eq 0 &&
	grep -q 'report written to $OUT/report.md and $OUT/report.html' '$T_DIR/d1.out'"
check demo_writes_the_variants_into_its_own_folder sh -c "test -f '$OUT/models/tiny-Q8_0.gguf' &&
	test -f '$OUT/models/tiny-Q4_K_M.gguf' && test -f '$OUT/models/tiny-Q2_K.gguf'"
rows=$(sql "$OUT/results.db" "SELECT count(*) FROM samples WHERE error = 0 AND suite <> 'quality'")
qrows=$(sql "$OUT/results.db" "SELECT count(DISTINCT target) FROM samples WHERE error = 0 AND suite = 'quality'")
needle=$(sql "$OUT/results.db" "SELECT count(DISTINCT target) FROM samples WHERE suite = 'needle'
	AND item = 'single/L512/D50' AND n_tokens_in BETWEEN 300 AND 512")
check demo_runs_every_model_on_every_suite_and_the_needle_grid_it_asks sh -c "test '$rows' = 20 &&
	test '$needle' = 4 && test '$qrows' = 4"
MD=$OUT/report.md HTML=$OUT/report.html
check demo_report_has_the_tier_list sh -c "grep -q '^## Tier list' '$MD' && grep -q '^| gsm8k | S | base |' '$MD' &&
	grep -q 'Tier list' '$HTML'"
check demo_report_has_accuracy_and_speed_per_variant sh -c "grep -q '^| Q2\\\\_K | humaneval | 2 | 0 |' '$MD' &&
	grep -q '^| Q2\\\\_K | humaneval | local | Q2\\\\_K |' '$MD' && grep -q '^## Decision summary' '$MD' &&
	grep -q 'out tok/s' '$MD'"
check demo_report_has_the_quality_table sh -c "grep -q '^## Quality: perplexity and divergence from the baseline' '$MD' &&
	grep -q '^| base | F32 | .* | baseline |' '$MD' && grep -q '^| Q4\\\\_K\\\\_M | Q4\\\\_K\\\\_M | ' '$MD' &&
	grep -q 'Quality: perplexity' '$HTML'"
check demo_report_has_the_verdicts_against_f32 sh -c "grep -q '^## Verdicts against base' '$MD' &&
	test \$(grep -c '^| Q[0-9A-Z\\\\_]* | all suites | .* regression |' '$MD') -eq 3 &&
	grep -q 'Verdicts against base' '$HTML' && test -f '$OUT/verdicts.md'"
check demo_report_has_price_only_api_rows sh -c "test \$(grep -c '| API, price only, not measured; as of 20' '$MD') -eq 4 &&
	grep -q '^| openai/gpt-4o-mini | API, price only' '$MD' && grep -q '^| base | openai/gpt-4o-mini |' '$MD' &&
	test \$(grep -c 'price only, not measured; as of' '$HTML') -ge 4"
check demo_report_self_host_cost_from_this_machine sh -c "grep -q '^| base | self-hosted | – | – | [0-9.]* | [0-9.]* | [0-9.]* |' '$MD' &&
	grep -q 'per core-hour' '$MD'"

touch -d '2000-01-01' "$MD" "$HTML"
demo >"$T_DIR/d2.out" 2>"$T_DIR/d2.err"; rc=$?
check demo_rerun_resumes_and_rewrites_the_report sh -c "test $rc -eq 0 &&
	grep -q '\([0-9][0-9]*\) of \1 samples already stored' '$T_DIR/d2.err' && grep -q 'present, kept' '$T_DIR/d2.err' &&
	test '$MD' -nt '$T_DIR/tiny.gguf' && test '$HTML' -nt '$T_DIR/tiny.gguf' && grep -q '^## Tier list' '$MD'"

TB_DEMO_MODEL="$T_DIR/none.gguf" TB_BIN="$TB_BIN" sh scripts/demo.sh >"$T_DIR/d3.out" 2>&1; rc=$?
check demo_names_a_missing_model sh -c "test $rc -eq 2 && grep -q 'none.gguf: no such file' '$T_DIR/d3.out'"
end_tests
