#!/bin/sh
# `make bench` with LLAMA_SERVER=/path/to/llama-server (or run alone): `tierbench serve` against
# llama.cpp's llama-server on the same GGUF files, the same threads and slots, driven by the same
# `tierbench load` sweep (closed loop, synthetic prompts, every request generating its whole
# output limit through "ignore_eos"). Rounds alternate the two servers; per level the table gives
# each round's output tokens/s and the medians of output tokens/s, TTFT p50 and TPOT p50, and the
# ratio of the medians. Never asserted anywhere: a report for people to read.
#
#   LLAMA_SERVER   llama-server binary (required)
#   SERVE_MODELS   GGUF files (default: the bench cache's TinyLlama-shaped Q4_K_M, written by
#                  tools/mkbench, and the project's own model)
#   SERVE_ROUNDS   rounds, each running both servers (default 3)
#   SERVE_CONC     concurrency levels (default 1,8); SERVE_REQUESTS requests per level (16)
#   SERVE_INPUT    synthetic prompt length in words (128); SERVE_OUTPUT tokens per reply (64)
#   SERVE_THREADS  engine threads of both servers (2); SERVE_SLOTS slots of both (8)
#   SERVE_LOCK     a lock file (flock) held while each server is measured, so that other timed
#                  work on a shared machine waits for it (and it for them)
#   SERVE_BUSY=1   a busy machine: as many CPU-bound loops as cores run beside the servers at
#                  normal priority, and the servers run at normal priority too. Otherwise, where
#                  the system allows it, each server runs under `chrt -f 10` (real-time: nothing
#                  else preempts its threads) and the load client under `chrt -f 20`.
set -eu
TB_BIN=${TB_BIN:-bin/tierbench}
case "$TB_BIN" in /*) ;; *) TB_BIN="$(pwd)/$TB_BIN" ;; esac
LS=${LLAMA_SERVER:?set LLAMA_SERVER to a llama-server binary}
cache=${TB_BENCH_CACHE:-$HOME/.cache/tierbench/bench-models}
models=${SERVE_MODELS:-"$cache/tinyllama-1.1b-shape-Q4_K_M.gguf models/tierbench-tiny.gguf"}
rounds=${SERVE_ROUNDS:-3}
conc=${SERVE_CONC:-1,8}
nreq=${SERVE_REQUESTS:-16}
inlen=${SERVE_INPUT:-128}
outlen=${SERVE_OUTPUT:-64}
thr=${SERVE_THREADS:-2}
slots=${SERVE_SLOTS:-8}
busy=${SERVE_BUSY:-0}
port=${SERVE_PORT:-18090}
dir=$(mktemp -d /tmp/tb_serve_bench_XXXXXX)
srv=""
hogs=""
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null
	for h in $hogs; do kill "$h" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

rt_srv="" rt_cli=""
if [ "$busy" != 1 ] && chrt -f 10 true 2>/dev/null; then
	rt_srv="chrt -f 10" rt_cli="chrt -f 20"
fi
echo "== serve: tierbench serve against llama-server ($LS)"
echo "   $thr threads, $slots slots, closed loop at concurrency $conc, $nreq requests per level,"
echo "   prompts of $inlen words, $outlen output tokens each (ignore_eos), $rounds alternating rounds,"
if [ "$busy" = 1 ]; then
	n=$(nproc)
	echo "   busy machine: $n CPU-bound loops beside the servers, all at normal priority"
	for _ in $(seq 1 "$n"); do
		sh -c 'while :; do :; done' &
		hogs="$hogs $!"
	done
else
	echo "   servers ${rt_srv:-at normal priority (chrt not permitted)}"
fi

# wait_up PORT: until /health answers 200 (a server loading its model), at most 180 s
wait_up() {
	i=0
	while [ $i -lt 900 ]; do
		curl -sf "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0
		kill -0 "$srv" 2>/dev/null || return 1
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

for m in $models; do
	if [ ! -f "$m" ]; then
		echo "  skipped: $m not found (make bench writes the TinyLlama-shaped files first)"
		continue
	fi
	name=$(basename "$m" .gguf)
	echo
	echo "-- $name"
	for r in $(seq 1 "$rounds"); do
		for eng in tierbench llama-server; do
			port=$((port + 1))   # a fresh port: the last server's closed connections may hold it
			if [ -n "${SERVE_LOCK:-}" ]; then
				exec 9>"$SERVE_LOCK"
				flock 9
			fi
			if [ "$eng" = tierbench ]; then
				$rt_srv "$TB_BIN" serve -m "$m" --name "$name" --port "$port" --parallel "$slots" \
					--threads "$thr" --ctx 1024 --queue 256 >"$dir/srv.log" 2>&1 &
			else
				$rt_srv "$LS" -m "$m" --alias "$name" --port "$port" -np "$slots" -t "$thr" -tb "$thr" \
					-c $((slots * 1024)) >"$dir/srv.log" 2>&1 &
			fi
			srv=$!
			if ! wait_up "$port"; then
				echo "  $eng did not start on $name:"
				tail -5 "$dir/srv.log" | sed 's/^/    /'
				kill "$srv" 2>/dev/null || true
				wait "$srv" 2>/dev/null || true
				srv=""
				continue
			fi
			out="$dir/$name-$eng-$r"
			$rt_cli "$TB_BIN" load --target "http://127.0.0.1:$port/v1" --model "$name" \
				--option api=completions --concurrency "$conc" --requests "$nreq" \
				--input-len "$inlen" --max-tokens "$outlen" --ignore-eos --seed "$r" \
				--out "$out" -q >/dev/null 2>"$dir/load.err" ||
				{ echo "  load against $eng failed:"; tail -3 "$dir/load.err" | sed 's/^/    /'; }
			kill -TERM "$srv" 2>/dev/null || true
			wait "$srv" 2>/dev/null || true
			srv=""
			[ -n "${SERVE_LOCK:-}" ] && flock -u 9
			"$TB_BIN" report "$out" --format json --no-charts >"$out.json" 2>/dev/null || true
		done
	done
	python3 - "$dir" "$name" "$rounds" "$outlen" <<'PY'
import json, os, statistics, sys
d, name, rounds, outlen = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rows = {}   # (level, engine) -> list of (tok/s, ttft p50, tpot p50, errors, short replies)
for eng in ("tierbench", "llama-server"):
    for r in range(1, rounds + 1):
        p = f"{d}/{name}-{eng}-{r}.json"
        if not os.path.exists(p):
            continue
        try:
            j = json.load(open(p))
        except ValueError:
            continue
        for l in j.get("load", []):
            rows.setdefault((l["concurrency"], eng), []).append(
                (l["tok_per_s"], l["ttft_ms"]["p50"], l["tpot_ms"]["p50"], l["errors"]))
def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else float("nan")
print("| concurrency | server | output tok/s per round | tok/s (median) | TTFT p50 ms | TPOT p50 ms | errors |")
print("|---:|---|---|---:|---:|---:|---:|")
levels = sorted({k[0] for k in rows})
for c in levels:
    for eng in ("tierbench", "llama-server"):
        v = rows.get((c, eng), [])
        if not v:
            continue
        print(f"| {c:g} | {eng} | {', '.join(f'{x[0]:.1f}' for x in v)} | {med([x[0] for x in v]):.1f} | "
              f"{med([x[1] for x in v]):.0f} | {med([x[2] for x in v]):.2f} | {sum(x[3] for x in v):g} |")
for c in levels:
    a, b = rows.get((c, "tierbench")), rows.get((c, "llama-server"))
    if a and b:
        print(f"concurrency {c:g}: output tok/s {med([x[0] for x in a]) / med([x[0] for x in b]):.2f}x llama-server, "
              f"TTFT p50 {med([x[1] for x in a]):.0f} against {med([x[1] for x in b]):.0f} ms")
PY
done
