#!/bin/sh
# Integration: a run of 300 samples killed with SIGKILL at 5 points and resumed each time ends
# with exactly the rows of an uninterrupted run (none missing, none duplicated); SIGINT and
# SIGTERM stop cleanly and mark the run interrupted; a changed spec is refused unless --force-new.
. tests/integration/lib.sh
ROOT=$(pwd)
cd "$T_DIR" || exit 1
N=150 K=2 TOTAL=300
python3 "$ROOT/tests/integration/gen_data.py" data.jsonl gens.jsonl $N $K
cat > spec.json <<JSON
{
  "name": "resume",
  "targets": [{"provider": "samples", "model": "gens.jsonl", "options": {"delay_ms": 8},
               "max_in_flight": 3}],
  "suites": [{"name": "gsm8k", "dataset": "data.jsonl", "samples": $K, "shots": 2}],
  "concurrency": 4
}
JSON
DUMP="SELECT target, suite, item, sample, score, extracted, scores_json, answers_json, error, response FROM samples ORDER BY target, suite, CAST(item AS INTEGER), sample"

# The uninterrupted reference run.
"$TB_BIN" run spec.json --out ref --quiet --no-bw >ref.log 2>&1
check run_completes_without_interruption test $? -eq 0
sql ref/results.db "$DUMP" > ref.rows
check reference_run_has_every_sample test "$(wc -l < ref.rows)" -eq $TOTAL

# Killed with SIGKILL once the store holds 20, 70, 130, 190 and 250 rows, resumed each time.
kills_mid_run=0
for at in 20 70 130 190 250; do
	set -- $(python3 "$ROOT/tests/integration/kill_at.py" killed/results.db $at KILL \
		"$TB_BIN" run spec.json --out killed --quiet --no-bw)
	[ "$1" -gt 0 ] && [ "$1" -lt $TOTAL ] && [ "$2" -eq -9 ] && kills_mid_run=$((kills_mid_run + 1))
done
check sigkill_landed_mid_run_five_times test $kills_mid_run -eq 5
"$TB_BIN" run spec.json --out killed --quiet --no-bw >>killed.log 2>&1
check resumed_run_completes test $? -eq 0
check resume_reports_skipped_samples grep -q "already stored" killed.log
sql killed/results.db "$DUMP" > killed.rows
check resumed_rows_equal_uninterrupted_rows cmp -s ref.rows killed.rows
check resumed_rows_have_no_duplicates test "$(sql killed/results.db "SELECT count(*) FROM (SELECT DISTINCT target, suite, item, sample FROM samples)")" -eq $TOTAL
check resumed_store_has_one_run test "$(sql killed/results.db "SELECT count(*) || ' ' || max(status) FROM runs")" = "1 done"

# SIGINT: clean stop, exit 2, status interrupted, summary printed; then resume finishes.
set -- $(python3 "$ROOT/tests/integration/kill_at.py" int/results.db 40 INT "$TB_BIN" run spec.json --out int --no-bw)
rc=$2
check sigint_exits_with_runtime_code test $rc -eq 2
check sigint_marks_run_interrupted test "$(sql int/results.db "SELECT status FROM runs")" = interrupted
check sigint_prints_summary_and_resume_hint grep -q "run the same command again to resume" int.log
"$TB_BIN" run spec.json --out int --quiet --no-bw >>int.log 2>&1
sql int/results.db "$DUMP" > int.rows
check sigint_then_resume_equals_uninterrupted cmp -s ref.rows int.rows

# SIGTERM (what a batch scheduler sends) stops the same clean way.
set -- $(python3 "$ROOT/tests/integration/kill_at.py" term/results.db 60 TERM "$TB_BIN" run spec.json --out term --quiet --no-bw)
check sigterm_exits_with_runtime_code test "$2" -eq 2
check sigterm_marks_run_interrupted test "$(sql term/results.db "SELECT status FROM runs")" = interrupted
"$TB_BIN" run spec.json --out term --quiet --no-bw >>term.log 2>&1
sql term/results.db "$DUMP" > term.rows
check sigterm_then_resume_equals_uninterrupted cmp -s ref.rows term.rows

# A changed spec is refused (exit 2, names the key), --force-new starts a second run.
sed 's/"shots": 2/"shots": 3/' spec.json > spec2.json
"$TB_BIN" run spec2.json --out ref --quiet --no-bw >chg.log 2>&1
rc=$?
check changed_spec_is_refused test $rc -eq 2
check changed_spec_message_names_key grep -q "suites\[0\].shots" chg.log
check changed_spec_leaves_rows test "$(sql ref/results.db "SELECT count(*) FROM samples")" -eq $TOTAL
"$TB_BIN" run spec2.json --out ref --quiet --no-bw --force-new --limit 5 >chg2.log 2>&1
check force_new_starts_second_run test "$(sql ref/results.db "SELECT count(*) FROM runs")" -eq 2
end_tests
