#!/bin/sh
# Integration: the project's own model models/tierbench-tiny.gguf through the CLI — generate
# greedily, quantize to Q8_0, Q4_K_M and Q2_K, each variant loads and generates, Q8_0 answers a
# held-out coding task as F32 does, Q2_K's KL divergence from F32 over datasets/tiny/quality.txt
# is many times Q8_0's, and the held-out sets (datasets/tiny) match their manifest, load in the gsm8k and
# humaneval suites and score 100 % with their canonical answers.
. tests/integration/lib.sh
ROOT=$(pwd)
MODEL=$ROOT/models/tierbench-tiny.gguf
TEXT=$ROOT/datasets/tiny/quality.txt
cd "$T_DIR" || exit 1

PROMPT='def add_two(x):
    """Return x plus 2.
    """
'
"$TB_BIN" generate -m "$MODEL" -p "$PROMPT" -n 16 --temp 0 -t 1 --stop "
def " >f32.txt 2>err.txt; rc=$?
check tiny_f32_generates sh -c "test $rc -eq 0 && test -s f32.txt"
check tiny_f32_writes_the_function_body grep -q 'return x + 2' f32.txt

for t in Q8_0 Q4_K_M Q2_K; do
	"$TB_BIN" quantize "$MODEL" "tiny-$t.gguf" "$t" --threads 1 --quiet >/dev/null 2>err.txt; rc=$?
	check "tiny_quantizes_to_$t" sh -c "test $rc -eq 0 && test -s tiny-$t.gguf"
	"$TB_BIN" generate -m "tiny-$t.gguf" -p "$PROMPT" -n 16 --temp 0 -t 1 --stop "
def " >"$t.txt" 2>err.txt; rc=$?
	check "tiny_${t}_generates" sh -c "test $rc -eq 0 && test -s $t.txt"
done
check tiny_q8_0_answers_as_f32 cmp -s f32.txt Q8_0.txt

# Perplexity over this text barely moves (its random numbers are unpredictable at any precision),
# so the check is the divergence from F32: Q8_0 stays close, Q2_K departs ten times as far.
kld() { # kld MODEL: the mean KL divergence from the F32 baseline that `tierbench quality` prints
	"$TB_BIN" quality "$1" --text "$TEXT" --ctx 256 --threads 1 --baseline base.bin 2>/dev/null |
		sed -n 's/.*KLD mean \([0-9][0-9.]*\).*/\1/p' | head -n 1
}
"$TB_BIN" quality "$MODEL" --text "$TEXT" --ctx 256 --threads 1 --save-baseline base.bin >/dev/null 2>&1
k8=$(kld tiny-Q8_0.gguf)
k2=$(kld tiny-Q2_K.gguf)
check tiny_q2_k_departs_from_f32_far_more_than_q8_0 \
	python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(not (0 < a and 10 * a < b))" "$k8" "$k2"

check tiny_datasets_match_their_manifest sh -c "cd '$ROOT/datasets/tiny' && sha256sum --quiet -c MANIFEST.sha256"

# The held-out sets load in their suites, and their canonical answers score 100 %.
python3 - "$ROOT" <<'PY'
import importlib.util, json, sys
root = sys.argv[1]
spec = importlib.util.spec_from_file_location("g", root + "/scripts/gen-tiny-data.py")
g = importlib.util.module_from_spec(spec)
spec.loader.exec_module(g)
with open("arith-samples.jsonl", "w") as f:
    for l in open(root + "/datasets/tiny/arith.jsonl"):
        x = json.loads(l)
        f.write(json.dumps(dict(task_id=x["task_id"], completion=g.gsm8k_completion(x["answer"]))) + "\n")
with open("code-samples.jsonl", "w") as f:
    for l in open(root + "/datasets/tiny/code.jsonl"):
        x = json.loads(l)
        f.write(json.dumps(dict(task_id=x["task_id"], completion=x["canonical_solution"])) + "\n")
PY
"$TB_BIN" run --target samples:arith-samples.jsonl --suite gsm8k --dataset "$ROOT/datasets/tiny/arith.jsonl" \
	--shots 0 --out ra -q --no-bw >ra.txt 2>&1; rc=$?
check tiny_arith_set_scores_its_answers_fully sh -c "test $rc -eq 0 && grep -q 'strict *100.0 %.*n=40' ra.txt"
"$TB_BIN" run --target samples:code-samples.jsonl --suite humaneval --dataset "$ROOT/datasets/tiny/code.jsonl" \
	--out rc -q --no-bw >rc.txt 2>&1; rc=$?
check tiny_code_set_passes_its_solutions sh -c "test $rc -eq 0 && grep -q 'pass *100.0 %.*n=30' rc.txt"

end_tests
