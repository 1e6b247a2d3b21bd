#!/bin/sh
# Integration: a humanevalplus run through the harness on the project's plus-format set. Right
# answers score on base and plus; a task whose own canonical solution fails on its inputs, or
# whose inputs are malformed, is an error of that task, stored and summarised with a message
# naming it, and the run exits 4 (samples failed).
. tests/integration/lib.sh
ROOT=$(pwd)
cd "$T_DIR" || exit 1
if ! python3 -c pass 2>/dev/null; then
	skip evalplus_run "no python3"
	end_tests
	exit $?
fi
python3 - "$ROOT/tests/fixtures/evalplus/HumanEvalPlus-mini.jsonl" <<'PY'
import json, sys
with open("gens.jsonl", "w") as f:
    for l in open(sys.argv[1]):
        t = json.loads(l)
        f.write(json.dumps({"task_id": t["task_id"], "completion": t["canonical_solution"]}) + "\n")
PY
cat > spec.json <<JSON
{"targets": [{"id": "t", "provider": "samples", "model": "gens.jsonl"}],
 "suites": [{"name": "humanevalplus", "dataset": "$ROOT/tests/fixtures/evalplus/HumanEvalPlus-mini.jsonl"}],
 "output": "runs/e"}
JSON
"$TB_BIN" run spec.json --quiet --no-bw >run.out 2>run.err; rc=$?
check evalplus_run_exits_4_for_broken_tasks test $rc -eq 4
# both broken tasks fail to parse; the summary names whichever finished first (the scoring
# threads finish in any order on a busy machine)
check evalplus_summary_names_the_broken_task grep -Eq 'first parse error: task MiniPlus/(3: canonical solution|4: field "plus_input")' run.err
python3 - >rows.txt <<'PY'
import sqlite3
c = sqlite3.connect("runs/e/results.db")
for item, err, msg, sc in c.execute("SELECT item, error, error_msg, scores_json FROM samples"):
    print(item, err, msg, sc)
PY
check evalplus_broken_task_error_names_the_task grep -q "^MiniPlus/3 5 task MiniPlus/3: " rows.txt
check evalplus_malformed_task_error_names_the_field grep -q '^MiniPlus/4 5 task MiniPlus/4: field "plus_input"' rows.txt
check evalplus_right_answers_pass_base_and_plus grep -q '^MiniPlus/0 0 None {"plus":1,"base":1}' rows.txt
end_tests
