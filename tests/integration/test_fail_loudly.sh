#!/bin/sh
# Integration: a run that fails says so. A target nothing listens for is stopped after its first
# requests with the connection error (not retried item after item), the summary names the first
# error of each class, failed samples make the exit code 4 (docs/cli.md), a mistyped command,
# provider or suite (flags, spec, quant-sweep) is a usage error (exit 1) with "did you mean", and a server's control characters never
# reach the terminal raw.
. tests/integration/lib.sh
ROOT=$(pwd)
cd "$T_DIR" || exit 1
python3 "$ROOT/tests/integration/gen_data.py" data.jsonl gens.jsonl 40 1

# A port with no listener: bind one, note it, close it.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cat >refused.json <<JSON
{"targets": [{"provider": "openai", "model": "m", "options": {"base_url": "http://127.0.0.1:$port",
  "key_env": "TB_FAIL_KEY", "backoff_ms": 1, "max_backoff_ms": 2}}],
 "suites": [{"name": "gsm8k", "dataset": "data.jsonl", "limit": 40}], "concurrency": 2}
JSON
TB_FAIL_KEY=k1234 "$TB_BIN" run refused.json --out runs/refused --quiet --no-bw >out.txt 2>err.txt; rc=$?
check refused_target_exits_4 test $rc -eq 4
check refused_target_is_stopped_with_its_message grep -q "stopped: its first [0-9]* requests failed to reach the server: .*[Cc]onnect" err.txt
check summary_prints_first_transport_error grep -q "first transport error: .*[Cc]onnect" err.txt
stored=$(sql runs/refused/results.db "SELECT count(*) FROM samples")
check refused_target_stops_before_trying_every_item test "$stored" -lt 10

# A samples file whose answers are all refused: exit 4 and the first message.
"$TB_BIN" run --target samples:gens.jsonl --suite gsm8k --dataset data.jsonl --limit 5 --out runs/ok --quiet --no-bw >/dev/null 2>&1; rc=$?
check all_scored_run_exits_0 test $rc -eq 0

# Mistyped names: usage error with a suggestion.
"$TB_BIN" run --target opnai:m --suite gsm8k >/dev/null 2>err.txt; rc=$?
check mistyped_provider_is_usage_error test $rc -eq 1
check mistyped_provider_suggests grep -q 'did you mean "openai"' err.txt
"$TB_BIN" run --target samples:gens.jsonl --suite gsm8 --dataset data.jsonl >/dev/null 2>err.txt; rc=$?
check mistyped_suite_is_usage_error test $rc -eq 1
check mistyped_suite_suggests grep -q 'did you mean "gsm8k"' err.txt
cat >typo.json <<JSON
{"targets": [{"provider": "samples", "model": "gens.jsonl"}], "suites": [{"name": "humanevl", "dataset": "data.jsonl"}]}
JSON
"$TB_BIN" run typo.json --quiet --no-bw >/dev/null 2>err.txt; rc=$?
check mistyped_suite_in_spec_suggests sh -c "test $rc -eq 1 && grep -q 'unknown suite \"humanevl\" (did you mean \"humaneval\"?)' err.txt"
sed 's/"samples"/"antropic"/; s/humanevl/humaneval/' typo.json >typo2.json
"$TB_BIN" run typo2.json --quiet --no-bw >/dev/null 2>err.txt; rc=$?
check mistyped_provider_in_spec_suggests sh -c "test $rc -eq 1 && grep -q 'did you mean \"anthropic\"' err.txt"
"$TB_BIN" reprot runs/ok >/dev/null 2>err.txt; rc=$?
check mistyped_command_suggests sh -c "test $rc -eq 1 && grep -q 'unknown command \"reprot\" (did you mean \"report\"?)' err.txt"
"$TB_BIN" quant-sweep absent.gguf --types Q8_0 --suites gsm8k,mbpb >/dev/null 2>err.txt; rc=$?
check mistyped_sweep_suite_suggests_before_any_work sh -c "test $rc -eq 1 && grep -q 'unknown suite \"mbpb\" (did you mean \"mbpp\"?)' err.txt"
"$TB_BIN" list provdiers >/dev/null 2>err.txt; rc=$?
check mistyped_list_suggests sh -c "test $rc -eq 1 && grep -q 'did you mean \"providers\"' err.txt"

# A server whose error text carries terminal escapes: they are shown escaped.
cat >esc_server.py <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"error": {"message": "bad\\u001b]0;pwned\\u0007\\u001b[2J request"}}'
        self.send_response(400)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 esc_server.py >port.txt &
srv=$!
i=0; while [ ! -s port.txt ] && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
eport=$(cat port.txt)
cat >esc.json <<JSON
{"targets": [{"provider": "openai", "model": "m", "options": {"base_url": "http://127.0.0.1:$eport",
  "key_env": "TB_FAIL_KEY"}}], "suites": [{"name": "gsm8k", "dataset": "data.jsonl", "limit": 2}]}
JSON
TB_FAIL_KEY=k1234 "$TB_BIN" run esc.json --out runs/esc --no-bw >out.txt 2>err.txt; rc=$?
TB_FAIL_KEY=k1234 "$TB_BIN" run esc.json --out runs/esc2 --no-bw -vv >out.txt 2>verr.txt
kill $srv 2>/dev/null
check verbose_log_escapes_server_bodies sh -c '! grep -q "$(printf "\033")" verr.txt && grep -q "client after 1 attempt: .*bad.x1b" verr.txt'
check server_error_run_exits_4 test $rc -eq 4
check server_error_message_is_in_summary grep -q 'first client error: .*bad' err.txt
check no_raw_escape_reaches_the_terminal sh -c '! grep -q "$(printf "\033")" err.txt'
check escapes_are_shown_as_hex grep -q 'x1b' err.txt
check progress_names_target_suite_tokens_and_last_error grep -q 'progress: 2/2 samples, openai:m / gsm8k, .* tok/s, .*last: .*bad' err.txt
# A dataset whose text carries terminal escapes: the suite's message shows them escaped.
printf '{"task_id": "T\\u001b[2J", "prompt": "def f():\\n", "canonical_solution": "  return 1\\n", "test": "def check(c): pass\\n", "entry_point": "f"}\n' >dup.jsonl
cat dup.jsonl dup.jsonl >dup2.jsonl
"$TB_BIN" run --target samples:gens.jsonl --suite humaneval --dataset dup2.jsonl --out runs/dup --no-bw >out.txt 2>err.txt; rc=$?
check dataset_error_is_usage_error test $rc -ne 0
check dataset_error_names_the_duplicate grep -q 'duplicate item id "T.x1b\[2J"' err.txt
check dataset_escape_does_not_reach_the_terminal sh -c '! grep -q "$(printf "\033")" err.txt'
end_tests
