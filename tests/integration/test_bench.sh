#!/bin/sh
# Integration: `tierbench bench` end to end on the shared stories260K model — every output format
# has the right structure (columns, one row per test, numbers that parse, valid JSON) — and its
# errors: a missing model is exit 2 naming the file, a bad option exit 1. Never asserts speed.
. tests/integration/lib.sh
ROOT=$(pwd)
SHARED=${TB_SHARED:-$ROOT/../shared}
MODEL=$SHARED/models/stories260K.gguf
cd "$T_DIR" || exit 1

"$TB_BIN" bench --help >help.txt 2>&1; rc=$?
check bench_help_exits_zero sh -c "test $rc -eq 0 && grep -q usage help.txt"
"$TB_BIN" bench -m missing-model.gguf -p 16 -n 8 -r 2 >out.txt 2>err.txt; rc=$?
check bench_missing_model_exits_2_naming_file sh -c \
	"test $rc -eq 2 && grep -q missing-model.gguf err.txt && test \$(wc -l < err.txt) -eq 1 && test ! -s out.txt"
"$TB_BIN" bench -m "$MODEL" --frobnicate >/dev/null 2>&1; rc=$?
check bench_unknown_option_is_usage_error test $rc -eq 1
"$TB_BIN" bench -m "$MODEL" -p 16,x >/dev/null 2>&1; rc=$?
check bench_malformed_list_is_usage_error test $rc -eq 1
"$TB_BIN" bench -m "$MODEL" -o xml >/dev/null 2>&1; rc=$?
check bench_unknown_format_is_usage_error test $rc -eq 1
"$TB_BIN" bench >/dev/null 2>&1; rc=$?
check bench_without_model_is_usage_error test $rc -eq 1

if [ ! -f "$MODEL" ]; then
	for n in md csv json jsonl; do
		skip "bench_${n}_output_has_two_rows" "no $MODEL (set TB_SHARED)"
	done
	end_tests
	exit $?
fi

ARGS="-m $MODEL -t 1 -p 16 -n 8 -r 2"
# Markdown: the bandwidth line, the header, the separator and two rows with "mean ± sd".
"$TB_BIN" bench $ARGS -o md >md.txt 2>md.err; rc=$?
check bench_md_exits_zero test $rc -eq 0
check bench_md_output_has_two_rows python3 - md.txt <<'PY'
import re, sys
lines = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8") if l.startswith("|")]
assert re.search(r"memory bandwidth: [0-9.]+ GB/s with 1 thread", open(sys.argv[1], encoding="utf-8").read())
head = [c.strip() for c in lines[0].strip("|").split("|")]
assert head == ["model", "size", "params", "type", "backend", "threads", "test", "t/s", "bw %"], head
assert set(lines[1]) <= set("|-: "), lines[1]
rows = [dict(zip(head, (c.strip() for c in l.strip("|").split("|")))) for l in lines[2:]]
assert [r["test"] for r in rows] == ["pp16", "tg8"], rows
for r in rows:
    assert r["model"] == "stories260K.gguf" and r["threads"] == "1" and r["backend"].startswith("CPU"), r
    assert r["size"].endswith("MiB") and r["params"].endswith("K") and "f32" in r["type"], r
    m = re.fullmatch(r"([0-9.]+) ± ([0-9.]+)", r["t/s"])
    assert m and float(m.group(1)) > 0, r
assert rows[0]["bw %"] == "" and float(rows[1]["bw %"]) > 0, rows
PY

"$TB_BIN" bench $ARGS -o csv >out.csv 2>csv.err; rc=$?
check bench_csv_exits_zero test $rc -eq 0
check bench_csv_output_has_two_rows python3 - out.csv <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
assert [r["test"] for r in rows] == ["pp16", "tg8"], rows
for r in rows:
    assert r["model_filename"].endswith("stories260K.gguf") and r["n_threads"] == "1", r
    assert float(r["avg_ts"]) > 0 and float(r["stddev_ts"]) >= 0 and r["n_reps"] == "2", r
    assert int(r["model_size"]) > 0 and int(r["model_n_params"]) == 292800, r
assert (rows[0]["n_prompt"], rows[0]["n_gen"], rows[1]["n_prompt"], rows[1]["n_gen"]) == ("16", "0", "0", "8")
assert rows[0]["bw_pct"] == "" and float(rows[1]["bw_pct"]) > 0, rows
PY

"$TB_BIN" bench $ARGS -o json >out.json 2>json.err; rc=$?
check bench_json_exits_zero test $rc -eq 0
check bench_json_output_has_two_rows python3 - out.json <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
assert isinstance(rows, list) and [r["test"] for r in rows] == ["pp16", "tg8"], rows
for r in rows:
    assert r["n_threads"] == 1 and r["n_reps"] == 2 and len(r["samples_ts"]) == 2, r
    assert r["avg_ts"] > 0 and r["stddev_ts"] >= 0 and r["model_n_params"] == 292800, r
assert rows[0]["bw_pct"] is None and rows[1]["bw_pct"] > 0, rows
PY

"$TB_BIN" bench $ARGS -o jsonl --no-bw >out.jsonl 2>jsonl.err; rc=$?
check bench_jsonl_exits_zero test $rc -eq 0
check bench_jsonl_output_has_two_rows python3 - out.jsonl <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [(r["test"], r["n_prompt"], r["n_gen"]) for r in rows] == [("pp16", 16, 0), ("tg8", 0, 8)], rows
assert all(r["avg_ts"] > 0 and r["mem_bw_gbs"] is None and r["bw_pct"] is None for r in rows), rows
PY

# -p 0 skips a pp test; lists give one row per value; -ub (as llama-bench spells it) splits the
# 20-token prompt into decode calls of 8, 8 and 4 tokens.
"$TB_BIN" bench -m "$MODEL" -t 1 -p 0,20 -n 4,8 -r 1 -ub 8 -o jsonl --no-bw >lists.jsonl 2>/dev/null; rc=$?
check bench_lists_and_zero_skip sh -c "test $rc -eq 0 && test \"\$(python3 -c 'import json; print(\" \".join(json.loads(l)[\"test\"] + \"/\" + str(json.loads(l)[\"n_ubatch\"]) for l in open(\"lists.jsonl\")))')\" = 'pp20/8 tg4/8 tg8/8'"

# -pg PP,TG times a prompt and the generation after it together; -d N starts every test with N
# tokens already in the cache (llama-bench's names: "pp16+tg4", "tg4 @ d24"); a -pg without its
# pair is a usage error.
"$TB_BIN" bench -m "$MODEL" -t 1 -p 16 -n 4 -pg 16,4 -d 0,24 -r 1 -o jsonl --no-bw >depth.jsonl 2>/dev/null; rc=$?
check bench_pg_and_depth_rows sh -c "test $rc -eq 0 && test \"\$(python3 -c 'import json; print(\" \".join(\"%s/%d/%d/%d\" % (r[\"test\"], r[\"n_prompt\"], r[\"n_gen\"], r[\"n_depth\"]) for r in map(json.loads, open(\"depth.jsonl\")) if r[\"avg_ts\"] > 0))')\" = 'pp16/16/0/0 tg4/0/4/0 pp16+tg4/16/4/0 pp16 @ d24/16/0/24 tg4 @ d24/0/4/24 pp16+tg4 @ d24/16/4/24'"
"$TB_BIN" bench -m "$MODEL" -pg 16 >/dev/null 2>&1; rc=$?
check bench_pg_without_pair_is_usage_error test $rc -eq 1
end_tests
