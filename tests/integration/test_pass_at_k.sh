#!/bin/sh
# Integration: a coding suite run with 10 samples per task shows pass@1 and pass@10 (not @100)
# in the run summary and in every report format. Three built-in tasks whose samples pass 3, 10
# and 0 times of 10: pass@1 = (0.3 + 1 + 0) / 3 = 43.3 %, pass@10 = (1 + 1 + 0) / 3 = 66.7 %.
. tests/integration/lib.sh
ROOT=$(pwd)
cd "$T_DIR" || exit 1
python3 - "$ROOT/datasets/code/tasks.jsonl" <<'PY'
import json, sys
ts = [json.loads(l) for l in open(sys.argv[1])][:3]
with open("code.jsonl", "w") as f:
    for t, c in zip(ts, (3, 10, 0)):
        for s in range(10):
            body = t["canonical_solution"] if s < c else "    pass\n"
            f.write(json.dumps({"task_id": t["task_id"], "completion": body}) + "\n")
PY
cat > spec.json <<JSON
{"targets": [{"id": "t", "provider": "samples", "model": "code.jsonl"}],
 "suites": [{"name": "humaneval", "samples": 10, "limit": 3, "dataset": "$ROOT/datasets/code/tasks.jsonl"}],
 "output": "runs/c"}
JSON
if ! python3 -c pass 2>/dev/null; then skip pass_at_k "no python3"; end_tests; exit $?; fi
"$TB_BIN" run spec.json --quiet --no-bw >run.out 2>run.err; rc=$?
check pass_run_exits_zero test $rc -eq 0
check pass_run_summary_shows_pass_at_1_and_10 grep -q "pass@1 43.3 %  pass@10 66.7 %" run.err
check pass_run_summary_has_no_pass_at_100 sh -c '! grep -q "pass@100 [0-9]" run.err'
"$TB_BIN" report runs/c --format md,html,csv,json -o rep --no-charts 2>/dev/null
check pass_report_md_has_the_table grep -q "| t | humaneval | 3 | 10 | 43.3 | 66.7 | – |" rep/report.md
check pass_report_csv_has_the_columns grep -q ",0.433333,0.666667,,api$" rep/report.csv
check pass_report_json_has_k_up_to_n python3 -c '
import json
r = json.load(open("rep/report.json"))["results"][0]
assert abs(r["pass_at_k"]["1"] - 13 / 30) < 1e-9 and abs(r["pass_at_k"]["10"] - 2 / 3) < 1e-9
assert "100" not in r["pass_at_k"] and r["samples_per_item"] == 10'
check pass_report_html_has_the_table grep -q "pass@10 %" rep/report.html
# A suite that runs code records the sandbox's isolation layers in the run's manifest.
check pass_report_names_the_sandbox_layers grep -Eq "code sandbox: (none|unavailable|[a-z,]+)" rep/report.md
end_tests
