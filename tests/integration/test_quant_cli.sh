#!/bin/sh
# Integration: `tierbench quantize`, `tierbench quality` and `tierbench quant-sweep` end to end on
# the shared stories260K model — the quantized file equals llama-quantize's, quality prints a
# perplexity and a zero divergence against itself, a sweep writes its table and resumes — and
# their errors (unknown type exit 1, requantizing without the flag exit 2, missing files); a sweep
# over gsm8k, humaneval and needle runs every model through the local provider on the same
# prompts and writes the report and a verdict per variant, and resumes.
. tests/integration/lib.sh
ROOT=$(pwd)
SHARED=${TB_SHARED:-$ROOT/../shared}
MODEL=$SHARED/models/stories260K.gguf
cd "$T_DIR" || exit 1

"$TB_BIN" quantize --help >help.txt 2>&1; rc=$?
check quantize_help_lists_the_types sh -c "test $rc -eq 0 && grep -q Q4_K_M help.txt"
"$TB_BIN" quantize a.gguf b.gguf >/dev/null 2>&1; rc=$?
check quantize_without_type_is_usage_error test $rc -eq 1
"$TB_BIN" quantize missing.gguf out.gguf Q8_0 >out.txt 2>err.txt; rc=$?
check quantize_missing_input_exits_2_naming_it sh -c "test $rc -eq 2 && grep -q missing.gguf err.txt && test ! -e out.gguf"
"$TB_BIN" quality --ctx x m.gguf >/dev/null 2>&1; rc=$?
check quality_bad_ctx_is_usage_error test $rc -eq 1
"$TB_BIN" quant-sweep m.gguf --types Q9 --suites quality >/dev/null 2>&1; rc=$?
check sweep_unknown_type_is_usage_error test $rc -eq 1
"$TB_BIN" quant-sweep m.gguf --types Q8_0,q8_0 --suites quality >/dev/null 2>dup.err; rc=$?
check sweep_same_type_twice_is_usage_error sh -c "test $rc -eq 1 && grep -q \"'Q8_0' and 'q8_0' are the same type\" dup.err"
"$TB_BIN" quant-sweep m.gguf --types Q8_0 --suites quality,quality >/dev/null 2>dup.err; rc=$?
check sweep_suite_twice_is_usage_error sh -c "test $rc -eq 1 && grep -q \"'quality' is named twice\" dup.err"

if [ ! -f "$MODEL" ]; then
	for n in quantize_matches_llama_quantize quantize_refuses_requant quality_self_zero sweep_table sweep_resumes \
		imatrix_writes_gguf_and_dat imatrix_without_text_is_usage_error quantize_with_imatrix_names_it quantize_iq_without_imatrix_is_usage_error \
		quantize_override_matching_nothing_names_it quantize_dry_run_writes_nothing inspect_names_the_mix \
		sweep_new_ctx_is_refused_without_force_new sweep_new_ctx_measures_afresh \
		sweep_with_imatrix_quantizes_iq_variants sweep_iq_without_imatrix_is_refused \
		sweep_suites_run_every_model_on_the_same_items sweep_suites_report_has_tiers_and_verdicts sweep_suites_resume; do
		skip "$n" "no $MODEL (set TB_SHARED)"
	done
	end_tests
	exit $?
fi

"$TB_BIN" quantize "$MODEL" q4.gguf Q4_K_M --threads 2 --quiet >out.txt 2>err.txt; rc=$?
check quantize_matches_llama_quantize sh -c "test $rc -eq 0 && cmp -s q4.gguf '$SHARED/models/derived/stories260K-Q4_K_M.gguf'"
"$TB_BIN" quantize q4.gguf q2.gguf Q2_K --quiet >out.txt 2>err.txt; rc=$?
check quantize_refuses_requant sh -c "test $rc -eq 2 && grep -q allow-requantize err.txt && test ! -e q2.gguf"
"$TB_BIN" quantize q4.gguf q2.gguf Q2_K --quiet --allow-requantize >out.txt 2>err.txt; rc=$?
check quantize_requant_warns sh -c "test $rc -eq 0 && grep -q warning err.txt && test -s q2.gguf"

# importance matrix: written in both formats; quantize reads either, names what it needs
TEXT=$SHARED/datasets/perplexity/wiki.test.raw
"$TB_BIN" imatrix "$MODEL" --text "$TEXT" --ctx 64 --chunks 2 --quiet -o im.gguf >out.txt 2>err.txt &&
"$TB_BIN" imatrix "$MODEL" --text "$TEXT" --ctx 64 --chunks 2 --quiet --output-format dat -o im.dat >>out.txt 2>>err.txt; rc=$?
check imatrix_writes_gguf_and_dat sh -c "test $rc -eq 0 && head -c 4 im.gguf | grep -q GGUF && test -s im.dat && grep -q '35 entries from 2 chunks' out.txt"
"$TB_BIN" imatrix "$MODEL" -o x.gguf >/dev/null 2>err.txt; rc=$?
check imatrix_without_text_is_usage_error sh -c "test $rc -eq 1 && grep -q -- '--text FILE is required' err.txt"
"$TB_BIN" quantize "$MODEL" qi.gguf Q4_K_M --imatrix im.gguf --threads 2 --quiet >out.txt 2>err.txt &&
"$TB_BIN" quantize "$MODEL" qd.gguf Q4_K_M --imatrix im.dat --threads 2 --quiet >>out.txt 2>>err.txt &&
"$TB_BIN" inspect qi.gguf >insp.txt 2>&1; rc=$?
check quantize_with_imatrix_names_it sh -c "test $rc -eq 0 && grep -q 'Q4_K_M (llama-quantize.s mix, with an imatrix)' insp.txt && ! cmp -s qi.gguf q4.gguf"
"$TB_BIN" quantize "$MODEL" iq.gguf IQ2_XXS --quiet >out.txt 2>err.txt; rc=$?
check quantize_iq_without_imatrix_is_usage_error sh -c "test $rc -eq 1 && grep -q 'IQ2_XXS needs an importance matrix' err.txt && grep -q -- '--imatrix FILE' err.txt && test ! -e iq.gguf"
"$TB_BIN" quantize "$MODEL" ov.gguf Q4_K_M --tensor-type 'ffn_up_exps=q2_K' --quiet >out.txt 2>err.txt; rc=$?
check quantize_override_matching_nothing_names_it sh -c "test $rc -eq 2 && grep -q \"'ffn_up_exps=q2_K' matches no tensor\" err.txt && test ! -e ov.gguf"
"$TB_BIN" quantize "$MODEL" dry.gguf IQ1_S --imatrix im.gguf --tensor-type 'attn_(q|k)=q8_0' --tensor-type 'output\.weight=f16' --dry-run >dry.txt 2>err.txt; rc=$?
check quantize_dry_run_writes_nothing sh -c "test $rc -eq 0 && test ! -e dry.gguf && grep -q 'blk.0.attn_output.weight.*-> iq4_nl' dry.txt && grep -q 'blk.0.attn_q.weight.*-> iq4_nl (fallback' dry.txt && grep -q '^output.weight.*-> f16' dry.txt"
"$TB_BIN" inspect "$SHARED/models/derived/stories260K-Q2_K.gguf" >insp.txt 2>&1; rc=$?
check inspect_names_the_mix sh -c "test $rc -eq 0 && grep -q '^mix *Q2_K (llama-quantize.s mix)' insp.txt"

"$TB_BIN" quality "$MODEL" --ctx 128 --save-baseline base.bin >q1.txt 2>&1 &&
"$TB_BIN" quality "$MODEL" --ctx 128 --baseline base.bin >q2.txt 2>&1; rc=$?
check quality_self_zero sh -c "test $rc -eq 0 && grep -q 'PPL' q1.txt && grep -q 'KLD mean 0.000000' q2.txt && grep -q 'same top token 100.00' q2.txt"

"$TB_BIN" quant-sweep "$MODEL" --types Q8_0,Q2_K --suites quality --ctx 128 --out qsweep --quiet >s1.txt 2>&1; rc=$?
check sweep_table sh -c "test $rc -eq 0 && grep -q '^| Q8_0 |' qsweep/quality.md && grep -q '^| Q2_K |' qsweep/quality.md && test -f qsweep/models/stories260K-Q2_K.gguf"
cp qsweep/quality.md first.md
touch -d '2000-01-01' qsweep/models/stories260K-Q2_K.gguf
"$TB_BIN" quant-sweep "$MODEL" --types Q8_0,Q2_K --suites quality --ctx 128 --out qsweep --quiet >s2.txt 2>&1; rc=$?
check sweep_resumes sh -c "test $rc -eq 0 && cmp -s first.md qsweep/quality.md && test \$(find qsweep/models -newer first.md | wc -l) -eq 0"
# another window changes the run: refused as any changed sweep is, measured afresh with --force-new
"$TB_BIN" quant-sweep "$MODEL" --types Q8_0,Q2_K --suites quality --ctx 64 --out qsweep --quiet >s3.txt 2>&1; rc=$?
check sweep_new_ctx_is_refused_without_force_new sh -c "test $rc -eq 2 && grep -q 'force-new' s3.txt && cmp -s first.md qsweep/quality.md"
"$TB_BIN" quant-sweep "$MODEL" --types Q8_0,Q2_K --suites quality --ctx 64 --out qsweep --quiet --force-new >s3.txt 2>&1; rc=$?
check sweep_new_ctx_measures_afresh sh -c "test $rc -eq 0 && grep -q 'windows of 64' qsweep/quality.md &&
	! cmp -s first.md qsweep/quality.md && grep -q '^## Quality: perplexity' qsweep/report/report.md"
# --imatrix: every variant quantized with it (kept under its own name), the IQ2 types allowed
"$TB_BIN" quant-sweep "$MODEL" --types IQ2_XXS,Q4_K_M --imatrix im.gguf --suites quality --ctx 128 --out qsweep-im --quiet >si.txt 2>&1; rc=$?
check sweep_with_imatrix_quantizes_iq_variants sh -c "test $rc -eq 0 && test -f qsweep-im/models/stories260K-IQ2_XXS-imatrix.gguf &&
	grep -q '^| IQ2_XXS |' qsweep-im/quality.md && grep -q 'importance matrix im.gguf' qsweep-im/quality.md"
"$TB_BIN" quant-sweep "$MODEL" --types IQ2_XXS --suites quality --ctx 128 --out qsweep-noim --quiet >sn.txt 2>&1; rc=$?
check sweep_iq_without_imatrix_is_refused sh -c "test $rc -eq 2 && grep -q -- '--imatrix FILE' sn.txt && test ! -e qsweep-noim/models/stories260K-IQ2_XXS.gguf"
"$TB_BIN" quantize "$MODEL" x.gguf Q9 >/dev/null 2>x.err; rc=$?
check quantize_unknown_type_is_usage_error sh -c "test $rc -eq 1 && grep -q 'unknown quantization type' x.err && test ! -e x.gguf"

# Suites through the local provider: base + each variant on the same items and prompts, the
# report with its tier list, a compare verdict per variant; a second run resumes.
SW="$TB_BIN quant-sweep $MODEL --types Q8_0,Q2_K --suites gsm8k,humaneval,needle --limit 2
	--dataset gsm8k=$ROOT/datasets/demo/arith.jsonl --dataset humaneval=$ROOT/datasets/code/tasks.jsonl
	--max-tokens 16 --parallel 2 --threads 1 --out sweep --quiet"
$SW >r1.txt 2>r1.err; rc=$?
rows=$(sql sweep/results.db "SELECT count(*) FROM samples WHERE error = 0")
prompts=$(sql sweep/results.db "SELECT count(*) FROM (SELECT suite, item FROM samples GROUP BY suite, item
	HAVING count(DISTINCT request_hash) = 1 AND count(DISTINCT target) = 3)")
check sweep_suites_run_every_model_on_the_same_items sh -c "test $rc -eq 0 && test '$rows' = 18 && test '$prompts' = 6"
check sweep_suites_report_has_tiers_and_verdicts sh -c "grep -q '^## Tier list' sweep/report/report.md &&
	grep -q '^## base → Q8_0' sweep/report/verdicts.md && grep -q '^Verdict for Q2_K: ' sweep/report/verdicts.md &&
	grep -q '^| needle | 2 |' sweep/report/verdicts.md && grep -q '^Q2_K vs base: ' r1.txt"
cp sweep/report/verdicts.md v1.md
$SW >r2.txt 2>r2.err; rc=$?
check sweep_suites_resume sh -c "test $rc -eq 0 && grep -q '18 of 18 samples already stored' r2.err && cmp -s v1.md sweep/report/verdicts.md"
# changed settings: refused with advice the sweep takes, and --force-new starts a new run
$SW --parallel 1 >r3.txt 2>r3.err; rc=$?
check sweep_changed_settings_refused_naming_force_new sh -c "test $rc -ne 0 && grep -q -- '--force-new' r3.err"
$SW --parallel 1 --force-new >r4.txt 2>r4.err; rc=$?
runs=$(sql sweep/results.db "SELECT count(*) FROM runs")
check sweep_force_new_starts_a_new_run sh -c "test $rc -eq 0 && test '$runs' = 2"
end_tests
