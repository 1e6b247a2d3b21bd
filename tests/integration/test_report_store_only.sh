#!/bin/sh
# Integration: reports read only the results store (docs/results-store.md). Runs of local targets
# record their models' facts (file size, parameters, bits per weight, architecture, type mix) in
# the targets rows; a report and a compare made after every model file is deleted equal, byte for
# byte, the ones made before. With the quality suite, perplexity and KL divergence come from the
# stored samples too, and `compare` shows them.
. tests/integration/lib.sh
ROOT=$(pwd)
SHARED=${TB_SHARED:-$ROOT/../shared}
M=$SHARED/models
cd "$T_DIR" || exit 1

if [ ! -f "$M/stories260K.gguf" ] || [ ! -f "$M/derived/stories260K-Q4_K_M.gguf" ]; then
	for n in store_only_run store_only_facts_recorded store_only_report_without_models \
		store_only_quality_report_without_models store_only_compare_shows_quality; do
		skip "$n" "no $M/stories260K.gguf (set TB_SHARED)"
	done
	end_tests
	exit $?
fi
cp "$M/stories260K.gguf" m.gguf
cp "$M/derived/stories260K-Q4_K_M.gguf" m-Q4_K_M.gguf

# spec ID MODEL QUANT SUITES: a spec of one or two local targets
cat > needle.json <<JSON
{
  "name": "facts",
  "targets": [
    {"id": "f32", "provider": "local", "model": "m.gguf", "quant": "F32",
     "options": {"threads": 1, "n_parallel": 2, "n_ctx": 512}},
    {"id": "q4", "provider": "local", "model": "m-Q4_K_M.gguf", "quant": "Q4_K_M",
     "options": {"threads": 1, "n_parallel": 2, "n_ctx": 512}}
  ],
  "suites": [{"name": "needle", "lengths": [256], "depths": 2}],
  "generation": {"max_tokens": 4, "temperature": 0, "seed": 1}
}
JSON
quality_spec() { # quality_spec MODEL QUANT: one target "m" scoring 3 windows of 64
	cat <<JSON
{
  "name": "quality",
  "targets": [{"id": "m", "provider": "local", "model": "$1", "quant": "$2",
               "options": {"threads": 1, "n_parallel": 2, "n_ctx": 128, "kv_type": "f32"}}],
  "suites": [{"name": "quality", "window": 64, "limit": 3}]
}
JSON
}
quality_spec m.gguf F32 > qa.json
quality_spec m-Q4_K_M.gguf Q4_K_M > qb.json

"$TB_BIN" run needle.json --out run --quiet --no-bw >run.log 2>&1; rc1=$?
"$TB_BIN" run qa.json --out qa --quiet --no-bw >qa.log 2>&1; rc2=$?
"$TB_BIN" run qb.json --out qb --quiet --no-bw >qb.log 2>&1; rc3=$?
check store_only_run sh -c "test $rc1 -eq 0 && test $rc2 -eq 0 && test $rc3 -eq 0"
facts=$(sql run/results.db "SELECT target, file_bytes, n_params, arch, file_type, type_mix IS NOT NULL FROM targets ORDER BY target")
size=$(stat -c %s m-Q4_K_M.gguf)
check store_only_facts_recorded sh -c "echo '$facts' | grep -q '^q4|$size|[0-9][0-9]*|llama|Q4_K_M|1\$' &&
	echo '$facts' | grep -q '^f32|[0-9][0-9]*|[0-9][0-9]*|llama|'"

report() { # report NAME: every format of each store, and the compare, into NAME/
	mkdir -p "$1"
	"$TB_BIN" report run --format md,csv,json --out "$1/run" --no-charts >/dev/null 2>&1 &&
	"$TB_BIN" report qa qb --format md,json --out "$1/q" --no-charts >/dev/null 2>&1
	"$TB_BIN" compare qa qb >"$1/compare.md" 2>&1
	return 0
}
report before
rm -f m.gguf m-Q4_K_M.gguf
report after
check store_only_report_without_models sh -c "cmp -s before/run/report.md after/run/report.md &&
	cmp -s before/run/report.csv after/run/report.csv && cmp -s before/run/report.json after/run/report.json &&
	grep -q '^| m | needle | Q4.*| 297 KiB | 8.31 |' before/run/report.md && grep -q '$size' before/run/report.json"
check store_only_quality_report_without_models sh -c "cmp -s before/q/report.md after/q/report.md &&
	cmp -s before/q/report.json after/q/report.json &&
	grep -q '^## Quality: perplexity and divergence from the baseline' before/q/report.md"
check store_only_compare_shows_quality sh -c "cmp -s before/compare.md after/compare.md &&
	grep -q '^- perplexity: .* ratio on the 3 shared windows' before/compare.md &&
	grep -q '^- KL divergence from the base' before/compare.md && grep -q '^- same top token: ' before/compare.md"
end_tests
