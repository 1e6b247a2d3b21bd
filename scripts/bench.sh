#!/bin/sh
# `make bench`: the harness's own speed, measured here and now (never asserted in unit tests).
# 1. memory bandwidth of this machine (the figure `bw %` is computed against later);
# 2. scheduler + scoring + store throughput: 10 000 GSM8K-format samples replayed by the samples
#    provider and scored, median of 5 runs, each into a fresh store (every sample committed).
# Engine benchmarks (`tierbench bench`) arrive with the inference engine.
set -eu
TB_BIN=${TB_BIN:-bin/tierbench}
case "$TB_BIN" in /*) ;; *) TB_BIN="$(pwd)/$TB_BIN" ;; esac
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
