#!/bin/sh
# Integration: `tierbench report` and `tierbench compare` end to end on runs scored from samples
# files — every format and the charts are written, gnuplot missing gives one warning line and
# no images, compare exits 3 on a planted drop and 0 on noise, and the HTML renders in headless
# Chromium to a non-blank page with its tables and charts, opens with the decision summary, and
# lays out at 1400 px without sideways scrolling or overlapping text (skipped only when Chromium
# cannot be installed).
. tests/integration/lib.sh
ROOT=$(pwd)
cd "$T_DIR" || exit 1
python3 "$ROOT/tests/integration/gen_data.py" data.jsonl base.jsonl 120 1
# A candidate with a planted drop (30 passing answers made wrong) and one with noise (3 lost,
# 3 gained), both written from the base answers.
python3 - <<'PY'
import json, re
ds = [json.loads(l) for l in open("data.jsonl")]
base = [json.loads(l) for l in open("base.jsonl")]
def passes(d, g):
    m = re.findall(r"The answer is (-?[\d,]+)", g["completion"])
    return bool(m) and m[-1].replace(",", "") == d["answer"].split("####")[-1].strip()
ok = [i for i, (d, g) in enumerate(zip(ds, base)) if passes(d, g)]
bad = [i for i, (d, g) in enumerate(zip(ds, base)) if not passes(d, g)]
def write(path, lose, gain):
    with open(path, "w") as f:
        for i, g in enumerate(base):
            g = dict(g)
            if i in lose:
                g["completion"] = "I am not sure. The answer is 0."
            if i in gain:
                g["completion"] = "The answer is %s." % ds[i]["answer"].split("####")[-1].strip()
            f.write(json.dumps(g) + "\n")
write("drop.jsonl", set(ok[:30]), set())
write("noise.jsonl", set(ok[:3]), set(bad[:3]))
PY
for r in base drop noise; do
	"$TB_BIN" run --target samples:$r.jsonl --suite gsm8k --dataset data.jsonl --out runs/$r --quiet --no-bw >/dev/null 2>run_$r.err ||
		fail "run_$r" "$(cat run_$r.err)"
done

# compare: exit codes a CI gate relies on
"$TB_BIN" compare runs/base runs/drop >cmp_drop.md 2>cmp.err; rc=$?
check compare_planted_drop_exits_3 test $rc -eq 3
check compare_lists_flipped_items grep -q "lost (passed in base, failed in candidate): \`" cmp_drop.md
check compare_names_mcnemar grep -q "McNemar" cmp_drop.md
"$TB_BIN" compare runs/base runs/noise >cmp_noise.md 2>cmp.err; rc=$?
check compare_noise_exits_0 test $rc -eq 0
check compare_noise_verdict grep -q "no significant regression" cmp_noise.md
# a bad --max-drop is a usage error naming the command and the value, for both commands
"$TB_BIN" compare runs/base runs/noise --max-drop 200 >/dev/null 2>drop.err; rc=$?
check compare_bad_max_drop_is_usage_error test $rc -eq 1
check compare_bad_max_drop_names_it grep -q 'tierbench compare: --max-drop: .*got "200"' drop.err
"$TB_BIN" report runs/base --max-drop abc >/dev/null 2>drop.err; rc=$?
check report_bad_max_drop_is_usage_error test $rc -eq 1
check report_bad_max_drop_names_it grep -q 'tierbench report: --max-drop: .*got "abc"' drop.err
"$TB_BIN" compare runs/base runs/drop --max-drop 40 >/dev/null 2>&1; rc=$?
check compare_drop_within_allowance_exits_0 test $rc -eq 0
"$TB_BIN" compare runs/base runs/drop --suite nosuch >/dev/null 2>cmp.err; rc=$?
check compare_unknown_suite_is_usage_error sh -c "test $rc -eq 1 && grep -q nosuch cmp.err"
"$TB_BIN" compare runs/base >/dev/null 2>&1; rc=$?
check compare_one_run_is_usage_error test $rc -eq 1
"$TB_BIN" compare runs/base runs/missing >/dev/null 2>cmp.err; rc=$?
check compare_missing_run_is_runtime_error sh -c "test $rc -eq 2 && test \$(wc -l <cmp.err) -eq 1 && grep -q runs/missing cmp.err"

# report: every format and the charts
"$TB_BIN" report runs/base runs/drop runs/noise --format md,html,csv,json --out rep >rep.out 2>rep.err; rc=$?
check report_all_formats_exits_zero test $rc -eq 0
for f in md html csv json; do
	check "report_writes_$f" test -s rep/report.$f
done
check report_json_parses python3 -c 'import json; d = json.load(open("rep/report.json")); assert len(d["results"]) == 3 and d["tiers"]["overall"]'
check report_csv_has_a_row_per_target_and_suite python3 -c 'import csv; r = list(csv.DictReader(open("rep/report.csv"))); assert len(r) == 3 and all(x["tier"] for x in r)'
check report_md_has_tier_rule grep -q "^Tier rule: " rep/report.md
if command -v gnuplot >/dev/null 2>&1; then
	check report_draws_ttft_chart_png_svg_dat_gp sh -c 'for e in png svg dat gp; do test -s rep/charts/ttft.$e || exit 1; done'
	check report_html_embeds_svg grep -q "<svg" rep/report.html
else
	skip report_draws_ttft_chart_png_svg_dat_gp "gnuplot is not installed (scripts/install-deps.sh installs it)"
	skip report_html_embeds_svg "gnuplot is not installed"
fi
# without gnuplot: one warning line, the .dat and .gp files, no images
mkdir -p nognu
ln -s "$(command -v python3)" nognu/python3
PATH="$T_DIR/nognu" "$TB_BIN" report runs/base --format md --out rep2 >/dev/null 2>rep2.err; rc=$?
check report_without_gnuplot_still_succeeds test $rc -eq 0
check report_without_gnuplot_warns_once sh -c 'test $(grep -c gnuplot rep2.err) -eq 1'
check report_without_gnuplot_keeps_dat_and_gp sh -c 'test -s rep2/charts/ttft.dat && test -s rep2/charts/ttft.gp && ! test -e rep2/charts/ttft.png'
"$TB_BIN" report runs/base > one.md; rc=$?
check report_to_stdout_is_markdown sh -c "test $rc -eq 0 && grep -q '^# tierbench report' one.md"
"$TB_BIN" report runs/base --format md,csv >/dev/null 2>&1; rc=$?
check report_several_formats_need_out test $rc -eq 1
"$TB_BIN" report runs/base --format pdf >/dev/null 2>&1; rc=$?
check report_unknown_format_is_usage_error test $rc -eq 1
"$TB_BIN" report runs/base --weights bogus=1 >/dev/null 2>w.err; rc=$?
check report_bad_weights_is_usage_error sh -c "test $rc -eq 1 && grep -q bogus w.err"
"$TB_BIN" report runs/nothing >/dev/null 2>n.err; rc=$?
check report_missing_run_dir_is_one_line_error sh -c "test $rc -eq 2 && test \$(wc -l <n.err) -eq 1"

# The HTML in headless Chromium: a screenshot that is not blank, and the DOM after scripts
# with the tables and charts present.
if ! command -v chromium >/dev/null 2>&1; then
	"$ROOT/scripts/install-deps.sh" >/dev/null 2>&1
fi
if ! command -v chromium >/dev/null 2>&1; then
	skip html_renders_in_chromium "chromium could not be installed (scripts/install-deps.sh needs root or sudo and the Debian archive)"
else
	CHROME="chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --hide-scrollbars --user-data-dir=$T_DIR/chrome"
	timeout 120 $CHROME --window-size=1400,1800 --screenshot="$T_DIR/shot.png" "file://$T_DIR/rep/report.html" >chrome.log 2>&1
	check html_screenshot_written test -s shot.png
	check html_screenshot_not_blank python3 "$ROOT/tests/integration/png_stats.py" shot.png
	timeout 120 $CHROME --dump-dom "file://$T_DIR/rep/report.html" >dom.html 2>>chrome.log
	check html_dom_has_tables sh -c 'for t in results tiers cost hardware; do grep -q "<table class=\"sortable\" id=\"t-$t\"" dom.html || exit 1; done'
	check html_dom_has_results_rows sh -c 'grep -q "samples:drop.jsonl" dom.html'
	if command -v gnuplot >/dev/null 2>&1; then
		check html_dom_has_charts sh -c 'grep -q "id=\"chart-ttft\"" dom.html && grep -q "<svg" dom.html'
	fi
	check html_has_no_external_resources sh -c '! grep -Eq "(src|href)=\"(https?:)?//" rep/report.html'
	check html_opens_with_the_decision_summary python3 -c '
import sys; d = open("dom.html").read()
sys.exit(not (0 <= d.find("id=\"decision\"") < d.find("id=\"t-results\"")))'
	# Layout as the browser computes it at 1400 px: no sideways scrolling (page or table) and no
	# overlapping text, in the page or among a chart's labels.
	python3 "$ROOT/tests/integration/html_layout.py" inject rep/report.html probe.html
	timeout 120 $CHROME --window-size=1400,900 --dump-dom "file://$T_DIR/probe.html" >probe_dom.html 2>>chrome.log
	check html_fits_1400px_without_overlaps python3 "$ROOT/tests/integration/html_layout.py" check probe_dom.html
fi
end_tests
