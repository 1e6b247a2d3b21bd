#!/bin/sh
# Integration: `tierbench fit` end to end on the shape files and the shared synthetic GGUF: the
# table and JSON have one row per hardware x quantisation; an unknown hardware name suggests the
# nearest (exit 1), a context beyond the model's and an unknown mix are usage errors, a missing
# or malformed model file is exit 2 naming it, and `hw --json` output becomes this-machine.
. tests/integration/lib.sh
ROOT=$(pwd)
SHARED=${TB_SHARED:-$ROOT/../shared}
SHAPE=$ROOT/tests/fixtures/fit/shapes/qwen3-30b-a3b.json
cd "$T_DIR" || exit 1

"$TB_BIN" fit "$SHAPE" --hardware rtx-4090,h100-sxm --quant Q4_K_M,Q8_0 >t.md 2>t.err; rc=$?
check fit_table_has_a_row_per_hardware_and_quant sh -c \
	"test $rc -eq 0 && test \$(grep -c '^| rtx-4090 \|^| h100-sxm ' t.md) -eq 4 && grep -q 'calibration gpu' t.md"
"$TB_BIN" fit "$SHAPE" --hardware all --json >t.json 2>t.err; rc=$?
check fit_json_lists_every_entry_with_calibration python3 - t.json "$ROOT/datasets/hardware.json" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
cat = json.load(open(sys.argv[2]))
assert len(out["rows"]) == 3 * len(cat["hardware"]), len(out["rows"])
assert {r["quant"] for r in out["rows"]} == {"F16", "Q8_0", "Q4_K_M"}
assert all(r["kind"] == "predicted" for r in out["rows"])
assert {c["class"] for c in out["calibration"]} == {"cpu", "gpu", "apple"}
h100 = [r for r in out["rows"] if r["hardware"] == "h100-sxm" and r["quant"] == "Q4_K_M"][0]
assert h100["fits"] == "yes" and h100["devices"] == 1 and h100["tg_ts"] > 0
PY
"$TB_BIN" fit "$SHAPE" --hardware rtx-409 >out.txt 2>err.txt; rc=$?
check fit_unknown_hardware_suggests_nearest sh -c \
	"test $rc -eq 1 && grep -q 'unknown hardware \"rtx-409\" (did you mean \"rtx-4090\"?)' err.txt"
"$TB_BIN" fit "$SHAPE" --ctx 100000 >out.txt 2>err.txt; rc=$?
check fit_context_beyond_the_model_is_usage_error sh -c \
	"test $rc -eq 1 && grep -q 'context 100000 is beyond the model.s 40960' err.txt"
"$TB_BIN" fit "$SHAPE" --quant Q4_K_Z >out.txt 2>err.txt; rc=$?
check fit_unknown_mix_is_usage_error sh -c "test $rc -eq 1 && grep -q Q4_K_Z err.txt"
"$TB_BIN" fit missing-shape.json >out.txt 2>err.txt; rc=$?
check fit_missing_model_exits_2_naming_file sh -c "test $rc -eq 2 && grep -q missing-shape.json err.txt"
printf '{"name":"x","architecture":"llama","layers":2,"hidden":64,"heads":8,"kv_heads":3,"ffn":8,"vocab":9,"context":64}' >bad.json
"$TB_BIN" fit bad.json >out.txt 2>err.txt; rc=$?
check fit_inconsistent_shape_names_file_and_key sh -c "test $rc -eq 2 && grep -q 'bad.json: kv_heads' err.txt"
"$TB_BIN" fit "$SHAPE" --calibrate x.json >out.txt 2>err.txt; rc=$?
check fit_calibrate_without_peak_is_usage_error test $rc -eq 1

printf '{"cpu_model":"Test","cores":4,"ram_bytes":68719476736,"mem_bw_gbs":40,"gpus":[]}' >hw.json
"$TB_BIN" fit "$SHAPE" --hardware hw.json,this-machine --quant Q4_K_M >t.md 2>t.err; rc=$?
check fit_hw_profile_is_this_machine sh -c "test $rc -eq 0 && grep -q '^| this-machine | Q4_K_M | yes ' t.md"

MODEL=$SHARED/models/synthetic/synth-tiny-F16.gguf
if [ -f "$MODEL" ]; then
	"$TB_BIN" fit "$MODEL" --hardware rtx-3060-12gb --json >g.json 2>g.err; rc=$?
	check fit_gguf_is_shown_as_stored python3 - g.json <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
assert [m["quant"] for m in out["memory"]] == ["F16"], out["memory"]
assert out["rows"][0]["fits"] == "yes"
PY
else
	skip fit_gguf_is_shown_as_stored "no $MODEL (set TB_SHARED)"
fi
# report: a local target's measured row beside its predictions; --fits-on checks its name
"$TB_BIN" run --target "local:$ROOT/models/tierbench-tiny.gguf" --suite gsm8k \
	--dataset "$ROOT/datasets/demo/arith.jsonl" --limit 2 --out run -q --no-bw >run.out 2>&1; rc=$?
check fit_report_run_exits_zero test $rc -eq 0
"$TB_BIN" report run --fit-hardware rtx-4090,m4-max --fits-on h100-sxm >rep.md 2>rep.err; rc=$?
check fit_report_has_measured_and_predicted_rows sh -c "test $rc -eq 0 && grep -q '^## Hardware fit' rep.md && \
	test \$(grep -c '| predicted | \(rtx-4090\|m4-max\|h100-sxm\) | F32 | yes |' rep.md) -eq 3 && \
	grep -q '| measured |' rep.md && grep -q 'fit on h100-sxm are ranked' rep.md"
"$TB_BIN" report run --fits-on rtx-409 >rep.md 2>rep.err; rc=$?
check fit_report_unknown_hardware_suggests_nearest sh -c \
	"test $rc -eq 1 && grep -q 'did you mean \"rtx-4090\"' rep.err"
end_tests
