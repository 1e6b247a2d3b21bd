#!/bin/sh
# Integration: `tierbench serve` under bad input and abusive clients (serve_abuse.py: malformed
# JSON, wrong types, unknown fields and models, 100 MB bodies, slow-drip clients, 1,000 idle
# connections, a client that never reads its stream) while `tierbench load` runs against it: the
# server stays up, memory stays bounded, the load's requests all succeed. A second server with one
# slot and a queue of one: a full queue answers 429 with Retry-After, and a client that leaves
# mid-stream frees its slot for the request waiting. Run by `make asan` with the ASan build.
. tests/integration/lib.sh
ROOT=$(pwd)
MODEL=$ROOT/models/tierbench-tiny.gguf
cd "$T_DIR" || exit 1

start() { # start NAME ARGS...: a server in the background; its URL in NAME.url, pid in NAME.pid
	n=$1
	shift
	"$TB_BIN" serve -m "$MODEL" --port 0 --threads 1 "$@" >"$n.url" 2>"$n.err" &
	echo $! >"$n.pid"
	for _ in $(seq 1 300); do
		[ -s "$n.url" ] && return 0
		sleep 0.2
	done
	return 1
}
start a --parallel 4 --queue 16 --chat-template chatml --max-conns 2048 --max-body 1048576 --idle-timeout 10
start b --parallel 1 --queue 1
A=$(cat a.pid) B=$(cat b.pid)
trap 'kill $A $B 2>/dev/null; rm -rf "$T_DIR"' EXIT
UA=$(cat a.url) UB=$(cat b.url)

# ---- abuse beside a load run
"$TB_BIN" load --target "$UA" --model tierbench-tiny --concurrency 1,3 --requests 12 --max-tokens 16 \
	--input-len 32 --out runs/l --quiet >load.out 2>load.err &
LOAD=$!
python3 "$ROOT/tests/integration/serve_abuse.py" "$UA" tierbench-tiny "$A" >abuse.out 2>&1
while read -r word name rest; do
	case "$word" in
	ok) ok "$name" ;;
	FAIL) fail "$name" "$rest" ;;
	esac
done <abuse.out
check abuse_ran_every_check sh -c "test \$(grep -c '^ok \|^FAIL ' abuse.out) -eq 22"
wait $LOAD; rc=$?
check load_beside_abuse_completes test $rc -eq 0
check load_beside_abuse_has_no_errors test "$(sql runs/l/results.db "SELECT count(*) || ' ' || sum(coalesce(error, 0) != 0) FROM samples")" = "24 0"
check abuse_server_still_alive kill -0 "$A"

# ---- one slot, one queued: 429 with Retry-After; a client that leaves frees its slot
LONG='{"prompt":"Once upon a time","max_tokens":1500,"temperature":1.5,"seed":1,"stream":true}'
curl -sN "$UB/completions" -H 'Content-Type: application/json' -d "$LONG" -o long.txt &
C1=$!
for _ in $(seq 1 200); do
	[ -s long.txt ] && break
	sleep 0.05
done
curl -s "$UB/completions" -H 'Content-Type: application/json' -o queued.json \
	-d '{"prompt":"def add_two(x):\n","max_tokens":4,"temperature":0}' &
C2=$!
for _ in $(seq 1 100); do
	curl -s "${UB%/v1}/health" | grep -q '"queued":1' && break
	sleep 0.05
done
code=$(curl -s -D full.h -o full.json -w '%{http_code}' "$UB/completions" -H 'Content-Type: application/json' \
	-d '{"prompt":"x","max_tokens":2}')
check full_queue_is_429 sh -c "test '$code' = 429 && grep -q '\"code\":\"queue_full\"' full.json"
check full_queue_says_retry_after grep -qi '^retry-after: 1' full.h
kill $C1
wait $C2
check waiting_request_runs_after_the_client_left python3 -c "import json; d = json.load(open('queued.json')); assert d['usage']['completion_tokens'] == 4, d"
sleep 0.3
curl -s "${UB%/v1}/metrics" >b.metrics
check client_that_left_is_cancelled grep -q '^tierbench_requests_cancelled_total 1$' b.metrics
check cancelled_tokens_are_not_counted grep -q '^tierbench_completion_tokens_total 4$' b.metrics
check no_request_left_running grep -q '^tierbench_requests_running 0$' b.metrics

kill -TERM $A $B
wait $A; ra=$?
wait $B; rb=$?
check both_servers_exit_zero test "$ra $rb" = "0 0"

end_tests
