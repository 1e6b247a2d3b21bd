#!/bin/sh
# Integration: the needle grid from the run spec — lengths, depths and variant reach the suite
# (the stored items are exactly that grid), written beside the suite's keys or in its "options"
# object (one run either way), and a misspelt or misplaced key is a one-line error naming it,
# with exit 2.
. tests/integration/lib.sh
cd "$T_DIR" || exit 1
python3 - <<'PY'
import json
with open("gens.jsonl", "w") as f:
    for L in (512, 1024):
        for D in (0, 50, 100):
            f.write(json.dumps({"task_id": "multikey/L%d/D%d" % (L, D), "completion": "no idea"}) + "\n")
PY
cat > spec.json <<'JSON'
{"targets": [{"id": "t", "provider": "samples", "model": "gens.jsonl"}],
 "suites": [{"name": "needle", "lengths": [512, 1024], "depths": 3, "variant": "multikey"}],
 "output": "runs/n"}
JSON
"$TB_BIN" run spec.json --quiet --no-bw >run.out 2>run.err; rc=$?
check needle_spec_run_exits_zero test $rc -eq 0
check needle_spec_grid_is_two_lengths_by_three_depths test "$(sql runs/n/results.db "SELECT count(*) FROM samples WHERE suite = 'needle'")" -eq 6
check needle_spec_items_are_the_grid_cells test "$(sql runs/n/results.db "SELECT group_concat(item, ' ') FROM (SELECT item FROM samples ORDER BY item)")" = "multikey/L1024/D0 multikey/L1024/D100 multikey/L1024/D50 multikey/L512/D0 multikey/L512/D100 multikey/L512/D50"

# The same grid in the suite's "options" object is the same run: it resumes with all six stored.
cat > spec2.json <<'JSON'
{"targets": [{"id": "t", "provider": "samples", "model": "gens.jsonl"}],
 "suites": [{"name": "needle", "options": {"variant": "multikey", "depths": 3, "lengths": [512, 1024]}}],
 "output": "runs/n"}
JSON
"$TB_BIN" run spec2.json --quiet --no-bw >run2.out 2>run2.err; rc=$?
check needle_options_object_exits_zero test $rc -eq 0
check needle_options_object_is_the_same_run grep -q '6 of 6 samples already stored' run2.out run2.err
sed 's/"depths": 3/"depths": 0/' spec2.json > bad3.json
"$TB_BIN" run bad3.json --quiet --no-bw >/dev/null 2>bad3.err; rc=$?
check needle_options_object_bad_value_exits_2 test $rc -eq 2
check needle_options_object_bad_value_is_named grep -q 'suites\[0\]\.options\.depths: expected integer 1\.\.101, got 0' bad3.err

sed 's/"depths"/"depht"/' spec.json > bad1.json
"$TB_BIN" run bad1.json --quiet --no-bw >/dev/null 2>bad1.err; rc=$?
check needle_spec_unknown_key_exits_2 test $rc -eq 2
check needle_spec_unknown_key_is_named grep -q 'suites\[0\]\.depht: unknown key' bad1.err
sed 's/"needle"/"gsm8k"/' spec.json > bad2.json
"$TB_BIN" run bad2.json --quiet --no-bw >/dev/null 2>bad2.err; rc=$?
check needle_keys_on_another_suite_exit_2 test $rc -eq 2
check needle_keys_on_another_suite_are_named grep -q 'suites\[0\]\.lengths: only the needle suite' bad2.err
end_tests
