#!/bin/sh
# `make bench`: tierbench's own speed, measured here and now (never asserted in unit tests).
# 1. memory bandwidth of this machine (the figure `bw %` is computed against);
# 2. scheduler + scoring + store throughput: 10 000 GSM8K-format samples replayed by the samples
#    provider and scored, median of 5 runs, each into a fresh store (every sample committed);
# 3. the provider layer: streamed requests/s and CPU us per request against the loopback mock,
#    256 in flight (tools/provbench, median of 5);
# 4. the Python sandbox: wall time to verify HumanEval's 164 canonical solutions (tools/sbbench,
#    the exec path and the zygote side by side, median of 5 each; needs the shared data folder's
#    HumanEval.jsonl.gz, else skipped);
# 5. the engine: `tierbench bench` (pp / tg tokens/s, as llama-bench) on TinyLlama-1.1B-shaped
#    models with random weights in F16, Q8_0, Q4_K_M and Q2_K, written once by tools/mkbench into
#    TB_BENCH_CACHE (default ~/.cache/tierbench/bench-models; a few minutes the first time).
#    BENCH_MOE=1 adds the Qwen3-30B-A3B-shaped mixture-of-experts files (12 of its 48 layers, Q4_K_M
#    and Q8_0) and a Qwen1.5-MoE-A2.7B-shaped qwen2moe one (12 of its 24 layers, Q4_K_M; llama.cpp's
#    reference commit runs qwen2moe, not qwen3moe). BENCH_MODELS="a.gguf b.gguf" measures other files instead; BENCH_ARGS replaces the options
#    (default "-t 2 -p 512 -n 128 -r 5"; only -t -p -n -r -ub, which llama-bench shares).
#    With LLAMA_BENCH=/path/to/llama-bench, llama.cpp runs the same files with the same options
#    right after, and a table of tierbench t/s / llama.cpp t/s per test follows. llama.cpp runs
#    with its weights both mapped and loaded (-mmp 1,0) and the faster of the two is compared
#    (tierbench copies weights into memory at load by default).
# 6. serving, with LLAMA_SERVER=/path/to/llama-server: tierbench serve against llama-server, same
#    files, threads, slots and `tierbench load` sweep (scripts/bench-serve.sh).
set -eu
TB_BIN=${TB_BIN:-bin/tierbench}
case "$TB_BIN" in /*) ;; *) TB_BIN="$(pwd)/$TB_BIN" ;; esac
TB_MKBENCH=${TB_MKBENCH:-build/release/tools/mkbench}
dir=$(mktemp -d /tmp/tb_bench_XXXXXX)
trap 'rm -rf "$dir"' EXIT

echo "== hardware"
"$TB_BIN" hw

python3 - "$dir" <<'PY'
import json, random, sys
d = sys.argv[1]
rng = random.Random(1)
with open(d + "/data.jsonl", "w") as ds, open(d + "/gens.jsonl", "w") as g:
    for i in range(2000):
        a, b = rng.randint(1, 999), rng.randint(1, 999)
        ds.write(json.dumps({"question": f"What is {a} + {b}?", "answer": f"{a} + {b} = {a+b}\n#### {a+b}"}) + "\n")
        for s in range(5):
            c = a + b if rng.random() < 0.7 else a + b + 1
            g.write(json.dumps({"task_id": i, "completion": f"We add {a} and {b} to get {c:,}. The answer is {c}."}) + "\n")
PY
echo
echo "== harness throughput: 2000 items x 5 samples = 10000 samples per run, 5 runs"
times=""
for r in 1 2 3 4 5; do
	t0=$(date +%s.%N)
	"$TB_BIN" run --target samples:"$dir/gens.jsonl" --suite gsm8k --dataset "$dir/data.jsonl" \
		--samples 5 --concurrency 64 --out "$dir/run$r" --quiet --no-bw >/dev/null 2>&1
	t1=$(date +%s.%N)
	t=$(echo "$t1 - $t0" | bc -l 2>/dev/null || python3 -c "print($t1 - $t0)")
	times="$times $t"
	printf '  run %d: %.2f s\n' "$r" "$t"
done
python3 - $times <<'PY'
import statistics, sys
t = sorted(float(x) for x in sys.argv[1:])
m = statistics.median(t)
print(f"  median {m:.2f} s  ->  {10000 / m:,.0f} samples/s scored and committed (min {t[0]:.2f} s, max {t[-1]:.2f} s)")
PY

echo
echo "== providers: streamed requests through the provider layer against the loopback mock"
echo "   (openai dialect, SSE, 256 in flight over keep-alive, 8000 requests per run, median of 5)"
TB_PROVBENCH=${TB_PROVBENCH:-build/release/tools/provbench}
"$TB_PROVBENCH" 8000 5 256

echo
echo "== suites: sandbox, the 164 canonical HumanEval solutions verified (one worker per core)"
TB_SBBENCH=${TB_SBBENCH:-build/release/tools/sbbench}
he=""
for c in "${TB_SHARED:-}" ../shared ../../shared; do
	[ -n "$c" ] && [ -f "$c/datasets/humaneval/HumanEval.jsonl.gz" ] && { he="$c/datasets/humaneval/HumanEval.jsonl.gz"; break; }
done
if [ -z "$he" ]; then
	echo "  skipped: HumanEval.jsonl.gz not found (set TB_SHARED to the shared data folder)"
elif [ ! -x "$TB_SBBENCH" ]; then
	echo "  skipped: $TB_SBBENCH not built"
else
	gzip -dc "$he" > "$dir/humaneval.jsonl"
	"$TB_SBBENCH" "$dir/humaneval.jsonl" 5
fi

echo
echo "== engine: tierbench bench"
if [ -n "${BENCH_MODELS:-}" ]; then
	models=$BENCH_MODELS
else
	cache=${TB_BENCH_CACHE:-$HOME/.cache/tierbench/bench-models}
	if [ ! -x "$TB_MKBENCH" ]; then
		echo "bench.sh: $TB_MKBENCH is missing: run \`make bench\`" >&2
		exit 2
	fi
	mkdir -p "$cache"
	models=$("$TB_MKBENCH" "$cache")
	if [ -n "${BENCH_MOE:-}" ]; then
		# the mixture of experts: Qwen3-30B-A3B's widths, 12 of its 48 layers, and Qwen1.5-MoE-
		# A2.7B's, 12 of its 24 (4-8 GB per file; the experts come from a row pool, so a file takes
		# a minute or two to write the first time)
		models="$models $("$TB_MKBENCH" --shape qwen3moe-30b-a3b-shape "$cache" Q4_K_M Q8_0)"
		models="$models $("$TB_MKBENCH" --shape qwen2moe-a2.7b-shape "$cache" Q4_K_M)"
	fi
fi
args=${BENCH_ARGS:--t 2 -p 512 -n 128 -r 5}
margs=""
for m in $models; do
	margs="$margs -m $m"
done
# shellcheck disable=SC2086 # word splitting of the model list and options is intended
"$TB_BIN" bench $margs $args | tee "$dir/tierbench.md"

if [ -n "${LLAMA_BENCH:-}" ]; then
	echo
	echo "== llama.cpp: $LLAMA_BENCH, same files and options"
	# shellcheck disable=SC2086
	"$LLAMA_BENCH" $margs $args -mmp 1,0 -o json >"$dir/llama.json" 2>"$dir/llama.err" ||
		{ cat "$dir/llama.err" >&2; exit 2; }
	python3 - "$dir/tierbench.md" "$dir/llama.json" <<'PY'
import json, os, sys

def gib(b):
    return f"{b / 2**30:.2f} GiB" if b >= 2**30 else f"{b / 2**20:.2f} MiB"

def params(p):
    return f"{p / 1e9:.2f} B" if p >= 1e9 else f"{p / 1e6:.2f} M" if p >= 1e6 else f"{p / 1e3:.2f} K"

# tierbench's Markdown table: the header row names the columns.
tb, cols = {}, None
for line in open(sys.argv[1], encoding="utf-8"):
    if not line.startswith("|"):
        continue
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if cols is None:
        cols = cells
        continue
    if set(cells[0]) <= set("-: "):
        continue
    r = dict(zip(cols, cells))
    tb[(r["model"], int(r["threads"]), r["test"])] = float(r["t/s"].split()[0])

rows = json.load(open(sys.argv[2]))
print("| model | size | params | type | threads | mmap | test | t/s |")
print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
best = {}
for r in rows:
    test = f"pp{r['n_prompt']}" if r["n_gen"] == 0 else f"tg{r['n_gen']}" if r["n_prompt"] == 0 \
        else f"pp{r['n_prompt']}+tg{r['n_gen']}"
    model = os.path.basename(r["model_filename"])
    print(f"| {model} | {gib(r['model_size'])} | {params(r['model_n_params'])} | {r['model_type']} | "
          f"{r['n_threads']} | {int(bool(r.get('use_mmap', 1)))} | {test} | "
          f"{r['avg_ts']:.2f} ± {r['stddev_ts']:.2f} |")
    key = (model, r["n_threads"], test)
    if key in tb and (key not in best or r["avg_ts"] > best[key]):
        best[key] = r["avg_ts"]
ratios = [(k, tb[k], v) for k, v in best.items()]
print()
print("== tierbench / llama.cpp (t/s ratio per test; llama.cpp: the faster of mmap on and off)")
print("| model | threads | test | tierbench t/s | llama.cpp t/s | ratio |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for (model, th, test), a, b in ratios:
    print(f"| {model} | {th} | {test} | {a:.2f} | {b:.2f} | {a / b:.3f} |")
PY
fi

# 6. serving: with LLAMA_SERVER=/path/to/llama-server, tierbench serve against llama-server on the
#    TinyLlama-shaped Q4_K_M and the project's own model, driven by the same `tierbench load`
#    sweep (scripts/bench-serve.sh says how; SERVE_BUSY=1 measures a busy machine).
if [ -n "${LLAMA_SERVER:-}" ]; then
	echo
	TB_BIN="$TB_BIN" TB_BENCH_CACHE="${cache:-${TB_BENCH_CACHE:-$HOME/.cache/tierbench/bench-models}}" \
		scripts/bench-serve.sh
fi
