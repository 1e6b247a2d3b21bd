#!/bin/sh
# Integration: `tierbench serve` on the project's model (models/tierbench-tiny.gguf) with a
# bearer key. curl checks the raw wire (JSON bodies, SSE framing with one event per chunk, usage
# and [DONE], /health, /v1/models, /metrics); tierbench's own openai provider runs the tiny code
# and arithmetic sets against the server and stores exactly the answers the local provider gives
# (greedy); the official openai npm client (installed here from the npm registry; skipped when
# the registry cannot be reached) drives chat, streaming, completions, a bad key and a prompt
# over the context; SIGTERM lets a stream in flight finish, refuses new connections and exits 0.
. tests/integration/lib.sh
ROOT=$(pwd)
MODEL=$ROOT/models/tierbench-tiny.gguf
cd "$T_DIR" || exit 1

TB_SERVE_KEY=sk-tb-serve-test-$$
export TB_SERVE_KEY
"$TB_BIN" serve -m "$MODEL" --port 0 --threads 1 --parallel 4 --chat-template chatml \
	--api-key-env TB_SERVE_KEY --drain-timeout 600 >url.txt 2>serve.err &
SRV=$!
trap 'kill $SRV 2>/dev/null; rm -rf "$T_DIR"' EXIT
for _ in $(seq 1 300); do
	[ -s url.txt ] && break
	kill -0 $SRV 2>/dev/null || break
	sleep 0.2
done
URL=$(cat url.txt)
BASE=${URL%/v1}
check serve_prints_its_url sh -c "echo '$URL' | grep -Eq '^http://127\.0\.0\.1:[0-9]+/v1$'"
H_AUTH="Authorization: Bearer $TB_SERVE_KEY"
H_JSON="Content-Type: application/json"

# ---- the raw wire
PROMPT='{"model":"tierbench-tiny","prompt":"def add_two(x):\n    \"\"\"Return x plus 2.\n    \"\"\"\n","max_tokens":16,"temperature":0,"stop":["\ndef "]'
code=$(curl -s -o whole.json -D whole.h -w '%{http_code}' -H "$H_AUTH" -H "$H_JSON" "$URL/completions" -d "$PROMPT}")
check wire_completion_is_200_json sh -c "test '$code' = 200 && grep -qi '^content-type: application/json' whole.h"
check wire_completion_answers python3 -c "import json; d = json.load(open('whole.json')); assert 'return x + 2' in d['choices'][0]['text'] and d['usage']['completion_tokens'] > 0, d"
code=$(curl -sN -o stream.txt -D stream.h -w '%{http_code}' -H "$H_AUTH" -H "$H_JSON" "$URL/completions" \
	-d "$PROMPT,\"stream\":true,\"stream_options\":{\"include_usage\":true}}")
check wire_stream_is_event_stream sh -c "test '$code' = 200 && grep -qi '^content-type: text/event-stream' stream.h"
check wire_stream_sse_framing python3 - <<'PY'
import json
raw = open("stream.txt", "rb").read().decode()
assert raw.endswith("\n\n"), raw[-40:]
events = raw[:-2].split("\n\n")
assert all(e.startswith("data: ") and "\n" not in e for e in events), events
assert events[-1] == "data: [DONE]" and raw.count("[DONE]") == 1, events[-2:]
chunks = [json.loads(e[6:]) for e in events[:-1]]
usage = chunks[-1]
assert usage["choices"] == [] and usage["usage"]["completion_tokens"] > 0, usage
assert all(c["usage"] is None for c in chunks[:-1])
assert chunks[-2]["choices"][0]["finish_reason"] in ("stop", "length")
text = "".join(c["choices"][0]["text"] for c in chunks[:-1])
whole = json.load(open("whole.json"))
assert text == whole["choices"][0]["text"], (text, whole)
assert usage["usage"] == whole["usage"], (usage, whole)
assert len({c["id"] for c in chunks}) == 1
PY
code=$(curl -s -o nokey.json -w '%{http_code}' -H "$H_JSON" "$URL/completions" -d "$PROMPT}")
check wire_no_key_is_401 sh -c "test '$code' = 401 && grep -q invalid_api_key nokey.json && ! grep -q '$TB_SERVE_KEY' nokey.json"
check wire_health sh -c "curl -sf '$BASE/health' | grep -q '\"status\":\"ok\"'"
check wire_models sh -c "curl -sf -H '$H_AUTH' '$URL/models' | grep -q '\"id\":\"tierbench-tiny\"'"
curl -sf "$BASE/metrics" >metrics.txt
check wire_metrics_count_requests_and_tokens sh -c "grep -q '^tierbench_requests_total{endpoint=\"/v1/completions\",status=\"2xx\"} 2$' metrics.txt && grep -q '^tierbench_ttft_seconds_count 2$' metrics.txt && grep -Eq '^tierbench_completion_tokens_total [1-9]' metrics.txt && grep -q '^tierbench_queue_depth 0$' metrics.txt"

# ---- tierbench's openai provider against the server gives the local provider's answers
cat >spec.json <<JSON
{"name": "serve-vs-local",
 "targets": [
  {"id": "local", "provider": "local", "model": "$MODEL", "options": {"threads": 1, "n_parallel": 4}},
  {"id": "served", "provider": "openai", "model": "tierbench-tiny@$URL",
   "options": {"api": "completions", "key_env": "TB_SERVE_KEY"}}],
 "suites": [{"name": "humaneval", "dataset": "$ROOT/datasets/tiny/code.jsonl"},
            {"name": "gsm8k", "dataset": "$ROOT/datasets/tiny/arith.jsonl", "shots": 0}],
 "generation": {"max_tokens": 48, "temperature": 0, "seed": 1}}
JSON
"$TB_BIN" run spec.json --out eq --quiet --no-bw >eq.log 2>&1; rc=$?
check provider_run_completes sh -c "test $rc -eq 0"
same=$(sql eq/results.db "SELECT count(*) FROM samples a JOIN samples b ON a.suite = b.suite AND a.item = b.item AND a.sample = b.sample WHERE a.target = 'local' AND b.target = 'served' AND a.response = b.response AND a.n_tokens_out = b.n_tokens_out AND a.n_tokens_in = b.n_tokens_in AND coalesce(a.error, 0) = 0 AND coalesce(b.error, 0) = 0")
check provider_answers_equal_local_greedy test "$same" = 70

# ---- the official openai npm client
mkdir npm
timeout 300 npm install --prefix "$T_DIR/npm" --no-audit --no-fund --loglevel=error openai@4 >npm.log 2>&1
NPM_RC=$?
if [ $NPM_RC -eq 0 ] && [ -d npm/node_modules/openai ]; then
	node "$ROOT/tests/integration/serve_openai.js" "$T_DIR/npm/node_modules/openai" "$URL" tierbench-tiny \
		"$TB_SERVE_KEY" >npm.out 2>&1
	while read -r word name rest; do
		case "$word" in
		ok) ok "$name" ;;
		FAIL) fail "$name" "$rest" ;;
		esac
	done <npm.out
	check npm_client_ran_every_check sh -c "test \$(grep -c '^ok \|^FAIL ' npm.out) -eq 11"
else
	skip npm_client "npm could not install the openai package from the npm registry (exit $NPM_RC$(
		[ $NPM_RC -eq 124 ] && echo ': no answer in 300 s')): $(grep -v '^$' npm.log | tail -n 1)"
fi

# ---- SIGTERM: the stream in flight ends normally, new connections are refused, exit 0
curl -sN -H "$H_AUTH" -H "$H_JSON" "$URL/completions" -o drain.txt -d '{"prompt":"Once upon a time",'\
'"max_tokens":300,"temperature":1.5,"seed":1,"stream":true}' &
CURL=$!
for _ in $(seq 1 200); do
	[ -s drain.txt ] && break
	sleep 0.05
done
curl -s "$BASE/health" >health.json
kill -TERM $SRV
sleep 0.3
code=$(curl -s -o /dev/null -w '%{http_code}' -H "$H_AUTH" -H "$H_JSON" "$URL/completions" -d "$PROMPT}")
check sigterm_refuses_new_connections test "$code" = 000
wait $CURL
wait $SRV; rc=$?
check sigterm_exits_zero test $rc -eq 0
check sigterm_had_a_request_running grep -q '"running":1' health.json
check sigterm_lets_the_stream_finish python3 -c "
t = open('drain.txt').read()
assert t.endswith('data: [DONE]\n\n') and '\"finish_reason\":\"length\"' in t, t[-300:]"
check sigterm_says_it_drained grep -q 'draining requests in flight' serve.err

end_tests
