#!/bin/sh
# Integration: `tierbench load` against a loopback OpenAI-compatible server with four serving
# slots (load_server.py): closed-loop levels below and above the slots, open-loop rates, prompts
# from a suite and from a ShareGPT-style file, the levels stored and skipped when the command is
# run again, the report's load table with its knee and SLO mark, and bad input.
. tests/integration/lib.sh
ROOT=$(pwd)
cd "$T_DIR" || exit 1
python3 "$ROOT/tests/integration/gen_data.py" data.jsonl gens.jsonl 20 1

# slots 4, 100 ms to the first token, 10 ms a token after it: a request of 6 tokens holds a slot
# about 150 ms, long enough that queueing shows through a busy machine's noise
python3 "$ROOT/tests/integration/load_server.py" 4 100 10 >port.txt 2>server.err &
SRV=$!
trap 'kill $SRV 2>/dev/null; rm -rf "$T_DIR"' EXIT
for _ in $(seq 1 100); do
	[ -s port.txt ] && break
	sleep 0.2
done
PORT=$(cat port.txt)
URL="http://127.0.0.1:$PORT/v1"

# Closed loop: 1 and 4 in flight fit the server's 4 slots; 16 make requests queue for a slot.
"$TB_BIN" load --target "$URL" --concurrency 1,4,16 --requests 16 --max-tokens 6 \
	--slo ttft=220ms --out runs/c >c.out 2>c.err; rc=$?
check closed_loop_exits_zero test $rc -eq 0
check closed_loop_stores_every_request test "$(sql runs/c/results.db "SELECT group_concat(n, ' ') FROM (SELECT suite, count(*) AS n FROM samples GROUP BY suite ORDER BY suite)")" = "16 16 16"
check closed_loop_prints_each_level sh -c "grep -c 'load/concurrency=' c.err | grep -qx 3"
check closed_loop_stores_streamed_gaps test "$(sql runs/c/results.db "SELECT count(*) FROM samples WHERE itl_json LIKE '[%' AND ttft_ms > 0 AND latency_ms >= ttft_ms")" -eq 48
# 4 in flight: about four times the throughput of 1; 16 in flight: no more than 4 (the slots)
tp() { sql runs/c/results.db "SELECT count(*) / avg(json_extract(scores_json, '$.wall_s')) FROM samples WHERE suite = '$1'"; }
t1=$(tp load/concurrency=1) t4=$(tp load/concurrency=4) t16=$(tp load/concurrency=16)
check concurrency_four_scales_throughput python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(not b > 2.5 * a)" "$t1" "$t4"
check concurrency_past_the_slots_does_not python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(not b < 1.4 * a)" "$t4" "$t16"
# requests that queue for a slot (3 of 4 at 16 in flight) wait a service time or more for their
# first token: their TTFT grows by that wait, and no more of them meet the TTFT limit (timings
# compared with each other, not with the clock: this machine may be busy)
good() { sql runs/c/results.db "SELECT CAST(sum(score) AS INTEGER) FROM samples WHERE suite = '$1'"; }
check queued_requests_meet_the_slo_no_more test "$(good load/concurrency=16)" -le "$(good load/concurrency=1)"
check slo_scores_are_pass_fail test "$(sql runs/c/results.db "SELECT count(*) FROM samples WHERE score NOT IN (0, 1)")" -eq 0

# Run again: every level is already stored.
"$TB_BIN" load --target "$URL" --concurrency 1,4,16 --requests 16 --max-tokens 6 \
	--slo ttft=220ms --out runs/c >c2.out 2>c2.err; rc=$?
check rerun_skips_stored_levels sh -c "test $rc -eq 0 && grep -c 'already stored, skipped' c2.err | grep -qx 3"
check rerun_adds_no_rows test "$(sql runs/c/results.db "SELECT count(*) FROM samples")" -eq 48

# The report: one row per level (the knee and SLO marks on recorded figures: test_loadgen), and no
# load level among the scored suites.
"$TB_BIN" report runs/c --no-charts >c.md 2>/dev/null
check report_has_load_table sh -c "grep -q '## Load: latency against throughput' c.md && test \$(grep -c '| concurrency [0-9]* | 16 | 0 |' c.md) -eq 3"
check report_keeps_levels_out_of_results sh -c "! grep -q '| load/concurrency' c.md"
"$TB_BIN" report runs/c --format json --no-charts >c.json 2>/dev/null
check report_json_has_load_levels python3 -c "import json; d = json.load(open('c.json')); l = d['load']; assert [x['level'] for x in l] == ['load/concurrency=1', 'load/concurrency=4', 'load/concurrency=16'], l; assert l[0]['ttft_ms']['p50'] >= 90 and l[2]['ttft_ms']['p50'] > l[0]['ttft_ms']['p50'] + 100, l"

# Open loop, prompts from a suite's items.
"$TB_BIN" load --target "$URL" --rate 20,inf --requests 24 --max-tokens 4 --suite gsm8k \
	--dataset data.jsonl --shots 0 --chat --out runs/o >o.out 2>o.err; rc=$?
check open_loop_exits_zero test $rc -eq 0
check open_loop_stores_levels test "$(sql runs/o/results.db "SELECT group_concat(suite || '=' || n, ' ') FROM (SELECT suite, count(*) AS n FROM samples GROUP BY suite ORDER BY suite)")" = "load/rate=20=24 load/rate=inf=24"
# at 20/s the 24 requests take about 1.2 s; all at once, much less
check open_loop_rate_paces_arrivals test "$(sql runs/o/results.db "SELECT avg(json_extract(scores_json, '$.wall_s')) > 0.8 FROM samples WHERE suite = 'load/rate=20'")" = 1

# ShareGPT-style prompts: each record's first human turn, its reply's length as the output.
cat >sg.json <<'JSON'
[{"conversations": [{"from": "human", "value": "Say hello."}, {"from": "gpt", "value": "Hello there, how are you?"}]},
 {"conversations": [{"from": "system", "value": "x"}]},
 {"conversations": [{"from": "human", "value": "Count to three."}, {"from": "gpt", "value": "One two three"}]}]
JSON
# options.api "completions": the synthetic prompts go to /v1/completions as plain prompts
"$TB_BIN" load --target "$URL" --option api=completions --concurrency 2 --requests 6 --max-tokens 4 \
	--out runs/p >p.out 2>p.err; rc=$?
check completions_api_exits_zero test $rc -eq 0
check completions_api_sends_plain_prompts test "$(grep -c 'POST /v1/completions' server.err)" -eq 6
check completions_api_answers_every_request test "$(sql runs/p/results.db "SELECT count(*) FROM samples WHERE error = 0 AND n_tokens_out = 4")" -eq 6
# --ignore-eos: every request carries "ignore_eos": true (none did before), and the level says so
"$TB_BIN" load --target "$URL" --option api=completions --concurrency 2 --requests 4 --max-tokens 4 \
	--ignore-eos --out runs/e >e.out 2>e.err; rc=$?
check ignore_eos_exits_zero test $rc -eq 0
check ignore_eos_is_sent_with_every_request sh -c "test \$(grep -c 'ignore_eos' server.err) -eq 4"
check ignore_eos_is_recorded_with_the_level test "$(sql runs/e/results.db "SELECT count(*) FROM runs WHERE spec_json LIKE '%ignore_eos%'")" -eq 1
"$TB_BIN" load --target "$URL" --concurrency 2 --requests 6 --sharegpt sg.json --out runs/s >s.out 2>s.err; rc=$?
check sharegpt_prompts_run sh -c "test $rc -eq 0 && test \"\$(cat s.out)\" = 'results: runs/s/results.db'"
# (the length is the token estimate of the reply: words, and each punctuation mark apart)
check sharegpt_output_length_from_reply test "$(sql runs/s/results.db "SELECT group_concat(DISTINCT n_tokens_out) FROM (SELECT n_tokens_out FROM samples ORDER BY n_tokens_out)")" = "3,7"

# Bad input: one line, nothing stored.
bad() { # bad NAME RC EXPECTED-TEXT ARGS...
	name=$1 want_rc=$2 want=$3; shift 3
	"$TB_BIN" "$@" >bad.out 2>bad.err; rc=$?
	if [ $rc -eq "$want_rc" ] && grep -qF -- "$want" bad.err && [ "$(wc -l < bad.err)" -eq 1 ]; then ok "$name"
	else fail "$name" "rc=$rc, stderr: $(cat bad.err)"; fi
}
bad both_rate_and_concurrency 1 "one of --rate or --concurrency" load --target "$URL" --rate 1 --concurrency 2
bad bad_rate_list 1 "--rate: expected a comma-separated list" load --target "$URL" --rate 1,,2
bad bad_slo 1 "--slo: unknown key \"latency\"" load --target "$URL" --rate 1 --slo latency=1s
bad bad_target 1 "--target: expected PROVIDER:MODEL or an http(s) URL" load --target nowhere --rate 1
bad unknown_suite 2 "unknown suite" load --target "$URL" --rate 1 --suite gsm9k --out runs/b
echo '{"conversations": []}' >empty.jsonl
bad sharegpt_without_records 2 "no record with \"conversations\"" load --target "$URL" --rate 1 --sharegpt empty.jsonl --out runs/b
check bad_input_stores_nothing test ! -e runs/b/results.db
end_tests
