#!/bin/sh
# Integration: the command line end to end — version and help, exit codes, the one-target
# flags form scoring GSM8K from a samples file, the report, list, hw, and bad input that must
# give a one-line error naming the file, line or key with exit 2 and keep stored rows.
. tests/integration/lib.sh
ROOT=$(pwd)
SHARED=${TB_SHARED:-$ROOT/../shared}
cd "$T_DIR" || exit 1
python3 "$ROOT/tests/integration/gen_data.py" data.jsonl gens.jsonl 60 1

out=$("$TB_BIN" --version); rc=$?
check version_exits_zero test $rc -eq 0
check version_names_git_revision_compiler_flags_cuda sh -c 'echo "$1" | grep -q git_rev && echo "$1" | grep -q compiler && echo "$1" | grep -q cflags && echo "$1" | grep -q "cuda "' _ "$out"
for c in run report hw list; do
	"$TB_BIN" $c --help >help.txt 2>&1; rc=$?
	check "help_for_${c}_exits_zero" sh -c "test $rc -eq 0 && grep -q usage help.txt"
done
"$TB_BIN" --help >help.txt; rc=$?
for c in run report compare hw list generate inspect bench quantize quality quant-sweep; do
	check "help_lists_$c" sh -c "test $rc -eq 0 && grep -q '^  $c  ' help.txt"
done
"$TB_BIN" frobnicate >/dev/null 2>&1; rc=$?
check unknown_command_is_usage_error test $rc -eq 1
"$TB_BIN" run --target samples:gens.jsonl --suite gsm8k --bogus >/dev/null 2>&1; rc=$?
check unknown_flag_is_usage_error test $rc -eq 1
"$TB_BIN" run --target nocolon --suite gsm8k >/dev/null 2>&1; rc=$?
check malformed_target_is_usage_error test $rc -eq 1

# The flags form, scored and stored, then the report.
"$TB_BIN" run --target samples:gens.jsonl --suite gsm8k --dataset data.jsonl --limit 50 --out runs/x --quiet --no-bw >run.out 2>run.err
rc=$?
check flags_run_exits_zero test $rc -eq 0
check flags_run_stores_limit_rows test "$(sql runs/x/results.db "SELECT count(*) FROM samples")" -eq 50
check flags_run_stores_both_extractions test "$(sql runs/x/results.db "SELECT count(*) FROM samples WHERE scores_json LIKE '%strict%' AND scores_json LIKE '%flexible%'")" -eq 50
check flags_run_summary_shows_accuracy grep -q "strict" run.err
check run_stores_build_and_hardware test "$(sql runs/x/results.db "SELECT count(*) FROM runs WHERE build_json LIKE '%git_rev%' AND hw_json LIKE '%cores%'")" -eq 1
# Accuracy in the store equals what the answers file says: recompute strict from the samples.
want=$(python3 - <<'PY'
import json, re
ds = [json.loads(l) for l in open("data.jsonl")][:50]
gs = [json.loads(l) for l in open("gens.jsonl")][:50]
ok = 0
for d, g in zip(ds, gs):
    ref = d["answer"].split("####")[-1].strip()
    m = re.findall(r"The answer is (-?[\d,]+)", g["completion"])
    ok += bool(m) and m[-1].replace(",", "") == ref
print(ok)
PY
)
check strict_score_matches_independent_count test "$(sql runs/x/results.db "SELECT CAST(sum(score) AS INTEGER) FROM samples")" = "$want"
"$TB_BIN" report runs/x > report.md; rc=$?
check report_exits_zero test $rc -eq 0
check report_has_table_row sh -c "grep -q '| samples:gens.jsonl | gsm8k | 50 | 0 |' report.md && grep -q '| samples:gens.jsonl | gsm8k | samples | – |' report.md"
"$TB_BIN" report runs/x --format pdf >/dev/null 2>&1; rc=$?
check report_unknown_format_is_usage_error test $rc -eq 1
"$TB_BIN" report runs/x -o rep2 --no-charts 2>/dev/null
check report_out_dir_written grep -q "tierbench report" rep2/report.md
"$TB_BIN" report runs/x -o nested/a/b --no-charts 2>/dev/null
check report_out_dir_nested_is_created grep -q "tierbench report" nested/a/b/report.md
: >afile
"$TB_BIN" report runs/x -o afile/sub --no-charts >/dev/null 2>err.txt; rc=$?
check report_out_dir_blocked_by_a_file_names_it sh -c "test $rc -eq 2 && grep -q 'afile: cannot create folder: Not a directory' err.txt"
"$TB_BIN" list runs runs/x > list.txt; rc=$?
check list_runs_shows_run sh -c "test $rc -eq 0 && grep -q ' done ' list.txt && grep -q samples:gens.jsonl list.txt"
"$TB_BIN" list > list2.txt
check list_shows_suites_and_providers sh -c 'grep -q gsm8k list2.txt && grep -q samples list2.txt'
"$TB_BIN" hw --json --no-bw > hw.json; rc=$?
check hw_json_parses sh -c "test $rc -eq 0 && python3 -c 'import json,sys; d=json.load(open(\"hw.json\")); assert d[\"cores\"] >= 1'"

# Several targets at once: two answer files replayed on one dataset.
python3 -c "import json
with open('gens.jsonl') as f, open('hasty.jsonl', 'w') as o:
    for line in f:
        d = json.loads(line); d['completion'] = 'In a hurry. The answer is 0.'; o.write(json.dumps(d) + '\\n')"
cat > multi.json <<JSON
{"name": "multi", "concurrency": 8,
 "targets": [{"id": "careful", "provider": "samples", "model": "gens.jsonl", "options": {"delay_ms": 5}},
             {"id": "hasty", "provider": "samples", "model": "hasty.jsonl", "options": {"delay_ms": 5}}],
 "suites": [{"name": "gsm8k", "dataset": "data.jsonl"}]}
JSON
"$TB_BIN" run multi.json --out runs/multi --quiet --no-bw >multi.err 2>&1; rc=$?
check multi_target_run_exits_zero test $rc -eq 0
check multi_target_run_stores_every_target test "$(sql runs/multi/results.db "SELECT group_concat(n, ' ') FROM (SELECT count(*) AS n FROM samples GROUP BY target ORDER BY target)")" = "60 60"
"$TB_BIN" report runs/multi > multi.md
check multi_target_report_has_both_targets sh -c 'grep -q "| careful |" multi.md && grep -q "| hasty |" multi.md'
"$TB_BIN" run multi.json --out runs/multi --quiet --no-bw --concurrency 3 >multi2.err 2>&1; rc=$?
check rerun_with_other_concurrency_resumes sh -c "test $rc -eq 0 && grep -q '120 already stored' multi2.err"

# Bad input: one line naming the place, exit 2.
bad() { # bad NAME EXPECTED-TEXT ARGS...
	name=$1 want=$2; shift 2
	"$TB_BIN" "$@" >bad.out 2>bad.err; rc=$?
	if [ $rc -eq 2 ] && grep -qF -- "$want" bad.err && [ "$(wc -l < bad.err)" -eq 1 ]; then ok "$name"
	else fail "$name" "rc=$rc, stderr: $(cat bad.err)"; fi
}
bad missing_dataset_names_file "nope.jsonl" run --target samples:gens.jsonl --suite gsm8k --dataset nope.jsonl --out runs/b --quiet --no-bw
bad missing_samples_file_names_file "nogens.jsonl: cannot open" run --target samples:nogens.jsonl --suite gsm8k --dataset data.jsonl --out runs/b --quiet --no-bw
printf '{"question": "q", "answer": "#### 1"}\nnot json\n' > bad.jsonl
bad dataset_line_not_json_names_line "bad.jsonl:2" run --target samples:gens.jsonl --suite gsm8k --dataset bad.jsonl --out runs/b --quiet --no-bw
printf '{"task_id": 0, "completion": "x"}\n{"task_id": 1}\n' > badgens.jsonl
bad samples_line_missing_field_names_line "badgens.jsonl:2: missing field" run --target samples:badgens.jsonl --suite gsm8k --dataset data.jsonl --out runs/b --quiet --no-bw
head -n 3 gens.jsonl > short.jsonl
bad missing_tasks_listed "missing task ids: 3, 4, 5" run --target samples:short.jsonl --suite gsm8k --dataset data.jsonl --limit 10 --out runs/b --quiet --no-bw
printf '{"targets": [{"provider": "samples", "model": "gens.jsonl"}], "suites": [{"name": "gsm8k", "dataset": "data.jsonl", "shots": "eight"}]}' > s1.json
bad spec_bad_type_names_key 's1.json: suites[0].shots: expected integer >= 0, got "eight"' run s1.json --out runs/b --quiet --no-bw
printf '{"targets": [{"provider": "samples", "modle": "gens.jsonl"}], "suites": [{"name": "gsm8k"}]}' > s2.json
bad spec_unknown_key_suggests 'did you mean "model"' run s2.json --quiet --no-bw
bad missing_spec_file_names_file "absent.json" run absent.json --quiet --no-bw
bad report_of_missing_store_names_file "runs/none/results.db" report runs/none
python3 - runs/x/results.db <<'PY'
import sqlite3, sys
sqlite3.connect(sys.argv[1]).execute("PRAGMA user_version = 42").connection.commit()
PY
bad newer_schema_refused "schema version 42 is newer" report runs/x
check bad_input_kept_stored_rows test "$(sql runs/x/results.db "SELECT count(*) FROM samples")" -eq 50

# A sweep from the command line: one target per value, each stored, the report's sweep table.
"$TB_BIN" run --target samples:gens.jsonl --suite gsm8k --dataset data.jsonl --limit 10 --out runs/sw --quiet --no-bw \
	--sweep options.delay_ms=0,1 >/dev/null 2>sw.err; rc=$?
check sweep_flag_runs_one_target_per_value test "$rc $(sql runs/sw/results.db "SELECT group_concat(t, ' ') FROM (SELECT target || '=' || count(*) AS t FROM samples GROUP BY target ORDER BY target)")" = "0 samples:gens.jsonl@delay_ms=0=10 samples:gens.jsonl@delay_ms=1=10"
"$TB_BIN" report runs/sw --no-charts > sw.md 2>/dev/null
check sweep_report_has_its_table sh -c "grep -q '## Sweeps: accuracy against cost and latency' sw.md && grep -q '| samples:gens.jsonl | gsm8k | delay\\\\_ms=1 |' sw.md"
bad sweep_unknown_option_names_provider_options "not an option of provider samples (its options: delay_ms)" run --target samples:gens.jsonl --suite gsm8k --dataset data.jsonl --out runs/b --quiet --no-bw --sweep options.delay=1
bad sweep_over_the_limit_is_refused "more than 3 targets" run --target samples:gens.jsonl --suite gsm8k --dataset data.jsonl --out runs/b --quiet --no-bw --sweep options.delay_ms=0,1 --sweep generation.seed=1,2 --max-targets 3

# The real GSM8K test set scored against its own answers: 100 % strict, end to end.
if [ -f "$SHARED/datasets/gsm8k/test.jsonl" ]; then
	python3 - "$SHARED/datasets/gsm8k/test.jsonl" <<'PY' > own.jsonl
import json, sys
for i, l in enumerate(open(sys.argv[1])):
    print(json.dumps({"task_id": i, "completion": json.loads(l)["answer"]}))
PY
	"$TB_BIN" run --target samples:own.jsonl --suite gsm8k --dataset "$SHARED/datasets/gsm8k/test.jsonl" --out runs/real --quiet --no-bw >/dev/null 2>&1
	check real_gsm8k_own_answers_score_full_strict test "$(sql runs/real/results.db "SELECT count(*) || ' ' || CAST(sum(score) AS INTEGER) FROM samples")" = "1319 1319"
else
	skip real_gsm8k_own_answers_score_full_strict "no shared datasets beside the checkout"
fi
end_tests
