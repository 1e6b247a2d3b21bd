#!/bin/sh
# Integration: details of what `run` and `quantize` show and measure. The quantize progress line
# counts tensors (not samples); memory bandwidth is measured only when a local target runs (a
# remote or samples-only run stores it as not measured and does not spend the time); a scoring
# thread that cannot start is named with the reason.
. tests/integration/lib.sh
ROOT=$(pwd)
cd "$T_DIR" || exit 1
python3 "$ROOT/tests/integration/gen_data.py" data.jsonl gens.jsonl 5 1

"$TB_BIN" quantize "$ROOT/models/tierbench-tiny.gguf" q8.gguf Q8_0 >out.txt 2>err.txt; rc=$?
check quantize_tiny_model_exits_0 test $rc -eq 0
check quantize_progress_counts_tensors grep -q '^progress: [0-9]*/[0-9]* tensors' err.txt
check quantize_progress_never_says_samples sh -c '! grep -q samples err.txt'

"$TB_BIN" run --target samples:gens.jsonl --suite gsm8k --dataset data.jsonl --out runs/s --quiet >/dev/null 2>&1; rc=$?
check samples_run_exits_0 test $rc -eq 0
check samples_only_run_does_not_measure_bandwidth test "$(sql runs/s/results.db "SELECT count(*) FROM runs WHERE hw_json LIKE '%\"mem_bw_gbs\":null%'")" -eq 1
# Scoring threads that cannot start (here: address space for their stacks runs out): the
# message says which thread, why, and what to change.
cat >tw.json <<'JSON'
{"targets": [{"provider": "samples", "model": "gens.jsonl"}],
 "suites": [{"name": "gsm8k", "dataset": "data.jsonl"}], "score_workers": 256}
JSON
case "${TB_BUILD:-}" in
*asan*)
	# AddressSanitizer reserves terabytes of shadow address space at start: under any
	# ulimit -v it aborts before main, so the limit cannot reach the thread starts.
	skip failed_thread_start_exits_2 "address-space limit under AddressSanitizer"
	skip failed_thread_start_says_what_and_why "address-space limit under AddressSanitizer" ;;
*)
	(ulimit -v 1000000; "$TB_BIN" run tw.json --out runs/tw --quiet --no-bw >/dev/null 2>err.txt); rc=$?
	check failed_thread_start_exits_2 test $rc -eq 2
	check failed_thread_start_says_what_and_why grep -q \
		'cannot start scoring thread [0-9]* of 256: .*score_workers' err.txt ;;
esac
end_tests
