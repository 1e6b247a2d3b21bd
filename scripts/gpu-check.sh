#!/usr/bin/env bash
# scripts/gpu-check.sh — the CUDA backend checked and measured on one GPU machine in one go, in
# under 8 minutes: build (make CUDA=1), test_cuda (then compute-sanitizer memcheck on a short
# run of it, when the tool is there), TinyLlama-shaped and Llama-3-8B-width benchmark models
# (tools/mkbench), and `tierbench bench --device cuda` for prefill (pp512, the tensor-core path)
# and decode (tg128) with GB/s and % of the GPU's peak bandwidth, then partial offload (half the
# layers on the GPU, the rest on the CPU) on the PARTIAL_SHAPES files. With LLAMA_SRC (a
# llama.cpp source tree or tarball, built with CUDA in the background while ours builds and
# tests) or LLAMA_BENCH (a llama-bench binary), llama.cpp runs the same files with the same
# options, alternating with ours, and the summary gives the ratio.
#
# usage: scripts/gpu-check.sh [OUTDIR]          (default: gpu-check-out; summary.md there)
# environment:
#   CUDA_ARCH    nvcc target (default sm_90)         JOBS   parallel jobs (default: CPUs)
#   TB_PREBUILT=1  use the binaries in build/release-cuda as they are (no make; built elsewhere)
#   TB_LIBDIR    shared libraries for those binaries (LD_LIBRARY_PATH for our programs only)
#   LLAMA_SRC    llama.cpp source: a directory or a .tar.xz / .tar.gz holding one directory
#   LLAMA_BENCH  a llama-bench binary (instead of building LLAMA_SRC)
#   LLAMA_DEADLINE  seconds after the start up to which the llama.cpp build is waited for (330)
#   LLAMA_JSONL  llama-bench results (-o jsonl) of an earlier run on the same files, compared
#                against when llama.cpp is not run this time
#   MODELS_DIR   where the benchmark models are written (default /tmp/tb-gpu-models)
#   SHAPES       "tiny 8b" (default)    TYPES  "Q8_0 Q4_K_M" (default; mkbench's types)
#   BENCH_ARGS   tierbench/llama-bench options (default "-p 512 -n 128 -r 3")
#   PARTIAL_SHAPES  files benched with partial offload: "tiny" (default), "tiny 8b" or "" (none)
#   PARTIAL_ARGS    their options (default "-p 512 -n 128 -r 2"); -ngl is half the layers
#   NCU=1        Nsight Compute on a few decode kernels at the end
#   NCU_PREFILL=1  Nsight Compute on the first prefill kernels (products, dequantization,
#                attention) of a pp512 on the 8B-width Q8_0 file (or the last model)
#   MEMCHECK=0   skip compute-sanitizer          BENCH_DEVICE  cuda (default) or cpu, for dry runs
#   AB=0         skip the decode variants: after the comparison with llama.cpp, tg128 of each
#                model with the defaults, with TB_CUDA_PDL=1 (dependent launches) and with
#                TB_CUDA_MMVQ_WARPS=4 (a row per block of 4 warps), alternating (AB_ARGS, default
#                -p 0 -n 128 -r 3; ab-*.jsonl)
set -u -o pipefail
out=${1:-gpu-check-out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
CUDA_ARCH=${CUDA_ARCH:-sm_90}
JOBS=${JOBS:-$(nproc)}
MODELS_DIR=${MODELS_DIR:-/tmp/tb-gpu-models}
SHAPES=${SHAPES:-tiny 8b}
TYPES=${TYPES:-Q8_0 Q4_K_M}
BENCH_ARGS=${BENCH_ARGS:--p 512 -n 128 -r 3}
PARTIAL_SHAPES=${PARTIAL_SHAPES-tiny}
PARTIAL_ARGS=${PARTIAL_ARGS:--p 512 -n 128 -r 2}
BENCH_DEVICE=${BENCH_DEVICE:-cuda}
LLAMA_DEADLINE=${LLAMA_DEADLINE:-330}
t_start=$(date +%s)
status=0

say() { printf '[gpu-check %4ds] %s\n' "$(($(date +%s) - t_start))" "$*"; }

# Runs one of our programs, with TB_LIBDIR's libraries when given.
tb() {
	if [ -n "${TB_LIBDIR:-}" ]; then
		LD_LIBRARY_PATH="$TB_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"
	else
		"$@"
	fi
}

say "GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -1); $(nproc) CPUs"

# 1. llama.cpp, built in the background (its CUDA build takes minutes).
llama_bin=${LLAMA_BENCH:-}
lpid=
stop_llama_build() {
	if [ -n "$lpid" ] && kill -0 "$lpid" 2>/dev/null; then
		kill -- -"$lpid" 2>/dev/null
	fi
}
trap stop_llama_build EXIT
trap 'exit 143' TERM INT
if [ -z "$llama_bin" ] && [ -n "${LLAMA_SRC:-}" ]; then
	# In its own session, so that the whole build can be stopped at the end.
	# shellcheck disable=SC2016 # the inner shell expands its arguments
	setsid bash -c '
		set -e
		lsrc=$1
		if [ -f "$lsrc" ]; then
			mkdir -p /tmp/tb-llama-src
			tar -xf "$lsrc" -C /tmp/tb-llama-src
			lsrc=$(find /tmp/tb-llama-src -mindepth 1 -maxdepth 1 -type d | head -1)
		fi
		cmake -S "$lsrc" -B /tmp/tb-llama-build -DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=ON \
			-DCMAKE_CUDA_ARCHITECTURES="$2" -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF \
			-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF
		nice -n 5 cmake --build /tmp/tb-llama-build --target llama-bench -j "$3"
	' _ "$LLAMA_SRC" "${CUDA_ARCH#sm_}" "$JOBS" >"$out/llama-build.log" 2>&1 &
	lpid=$!
	say "llama.cpp: building $LLAMA_SRC in the background (log llama-build.log)"
fi

# 2. Our build (also when prebuilt binaries cannot load their libraries here).
B=build/release-cuda
if [ "${TB_PREBUILT:-0}" = 1 ] && tb ldd "$B/tierbench" 2>&1 | grep -q 'not found'; then
	say "prebuilt binaries miss libraries here: $(tb ldd "$B/tierbench" 2>&1 | grep 'not found' | tr -s ' \t\n' ' ')"
	TB_PREBUILT=0
fi
if [ "${TB_PREBUILT:-0}" != 1 ]; then
	say "make CUDA=1 CUDA_ARCH=$CUDA_ARCH -j$JOBS"
	if ! make CUDA=1 CUDA_ARCH="$CUDA_ARCH" -j"$JOBS" all "$B/tests/engine/test_cuda" "$B/tools/mkbench" \
		>"$out/build.log" 2>&1; then
		tail -30 "$out/build.log"
		say "FAILED: build"
		exit 1
	fi
fi
TB=$B/tierbench
for f in "$TB" "$B/tests/engine/test_cuda" "$B/tools/mkbench"; do
	[ -x "$f" ] || { say "FAILED: $f missing"; exit 1; }
done

# 3. The benchmark models, written in the background while the tests run.
mkdir -p "$MODELS_DIR"
(
	for s in $SHAPES; do
		# shellcheck disable=SC2086 # the type list splits on purpose
		if [ "$s" = 8b ]; then tb "$B/tools/mkbench" -j "$JOBS" --8b "$MODELS_DIR" $TYPES
		else tb "$B/tools/mkbench" -j "$JOBS" "$MODELS_DIR" $TYPES; fi
	done
) >"$out/models.txt" 2>"$out/mkbench.log" &
mpid=$!

# 4. Tests: every kernel against the CPU, greedy tokens against the CPU path.
say "test_cuda"
tb "$B/tests/engine/test_cuda" 2>&1 | tee "$out/test_cuda.log" | grep -v '^ok ' || true
if grep -q '^FAIL' "$out/test_cuda.log" || ! grep -q '^# counts' "$out/test_cuda.log"; then
	status=1
	say "FAILED: test_cuda"
fi
cs=$(command -v compute-sanitizer)
for c in /usr/local/cuda/bin/compute-sanitizer /opt/nvidia/*/compute-sanitizer; do
	[ -z "$cs" ] && [ -x "$c" ] && cs=$c
done
if [ "${MEMCHECK:-1}" != 0 ] && [ -n "$cs" ]; then
	# A short run: the product tests and three reference models (F32, Q4_K_M, and synth-tiny
	# Q4_K_M, whose head size takes the tiled prefill attention) through every kernel of the
	# forward pass, prefill and partial offload included.
	mc=/tmp/tb-memcheck-shared
	sh=${TB_SHARED:-../shared}
	mkdir -p "$mc/models/derived" "$mc/models/synthetic"
	for r in stories260K derived/stories260K-Q4_K_M synthetic/synth-tiny-Q4_K_M; do
		for e in gguf ref.json; do
			[ -f "$sh/models/$r.$e" ] && ln -sf "$(cd "$(dirname "$sh/models/$r.$e")" && pwd)/$(basename "$r").$e" \
				"$mc/models/$r.$e"
		done
	done
	say "compute-sanitizer memcheck on test_cuda"
	tb env TB_SHARED="$mc" timeout 150 "$cs" --tool memcheck --error-exitcode 3 "$B/tests/engine/test_cuda" \
		>"$out/memcheck.log" 2>&1
	rc=$?
	tail -4 "$out/memcheck.log"
	if [ $rc != 0 ]; then
		say "memcheck: exit $rc (124: out of time; 3: errors found)"
		[ $rc = 124 ] || status=1
	fi
fi

llama_ready() {
	[ -n "$llama_bin" ] && return 0
	[ -n "$lpid" ] || return 1
	kill -0 "$lpid" 2>/dev/null && return 1
	if [ -x /tmp/tb-llama-build/bin/llama-bench ]; then
		llama_bin=/tmp/tb-llama-build/bin/llama-bench
		return 0
	fi
	return 1
}

# One line per result of a JSON-lines file's last $2 lines: model, test, t/s.
show() {
	tail -n "$2" "$1" | python3 -c '
import json, os, sys
for line in sys.stdin:
    if line.startswith("{"):
        r = json.loads(line)
        t = "pp%d" % r["n_prompt"] if r["n_gen"] == 0 else "tg%d" % r["n_gen"]
        print("    %s %s %.1f t/s" % (os.path.basename(r["model_filename"]), t, r["avg_ts"]))' || true
}

# Our bench into $2 (a JSON-lines file); further arguments replace BENCH_ARGS. TB_ENV: extra
# NAME=VALUE settings for this run.
run_ours() {
	local m=$1 f=$2
	shift 2
	local args=${*:-$BENCH_ARGS}
	say "${TB_ENV:+$TB_ENV }tierbench bench --device $BENCH_DEVICE $args $(basename "$m")"
	# shellcheck disable=SC2086
	if tb env ${TB_ENV:-} "$TB" bench -m "$m" --device "$BENCH_DEVICE" $args -o jsonl >"$out/last.jsonl" 2>>"$out/bench.err"; then
		cat "$out/last.jsonl" >>"$f"
		show "$out/last.jsonl" 10
	else
		say "FAILED: tierbench bench $m"
		tail -5 "$out/bench.err"
		status=1
	fi
}

# llama-bench into $2 (default llama.jsonl); further arguments replace "-ngl 99 BENCH_ARGS".
run_llama() {
	local m=$1 f=${2:-$out/llama.jsonl}
	shift 2 2>/dev/null || shift
	local args=${*:--ngl 99 $BENCH_ARGS}
	say "llama-bench $args $(basename "$m")"
	# shellcheck disable=SC2086
	if "$llama_bin" -m "$m" $args -o jsonl >"$out/last.jsonl" 2>>"$out/llama.err"; then
		cat "$out/last.jsonl" >>"$f"
		show "$out/last.jsonl" 10
	else
		say "llama-bench failed on $m (llama.err)"
	fi
}

# 5. Benchmarks. Round A, while a llama.cpp build runs: ours on each model as soon as mkbench has
# written it (the machine is busy: early figures in case time runs out). Round B, once the
# models are written and llama-bench is there (its build waited for until LLAMA_DEADLINE seconds
# after the start at most, then stopped): ours on a quiet machine, alternating per model with
# llama.cpp when it was built; the summary reports round B when there is one.
: >"$out/tierbench-A.jsonl"
: >"$out/tierbench-B.jsonl"
: >"$out/ab-def.jsonl"
: >"$out/ab-pdl1.jsonl"
: >"$out/ab-w4.jsonl"
# One model's decode variants, alternating.
run_ab() {
	local a=${AB_ARGS:--p 0 -n 128 -r 3}
	# shellcheck disable=SC2086 # the option list splits on purpose
	TB_ENV= run_ours "$1" "$out/ab-def.jsonl" $a
	# shellcheck disable=SC2086
	TB_ENV=TB_CUDA_PDL=1 run_ours "$1" "$out/ab-pdl1.jsonl" $a
	# shellcheck disable=SC2086
	TB_ENV=TB_CUDA_MMVQ_WARPS=4 run_ours "$1" "$out/ab-w4.jsonl" $a
}
: >"$out/llama.jsonl"
if [ -z "$llama_bin" ] && [ -z "$lpid" ] && [ -n "${LLAMA_JSONL:-}" ]; then
	cp "$LLAMA_JSONL" "$out/llama.jsonl"
	say "llama.cpp figures from $LLAMA_JSONL (an earlier run on the same files)"
fi
models=()
ndone=0
while [ -n "$lpid" ]; do
	alive=0
	kill -0 "$mpid" 2>/dev/null && alive=1
	mapfile -t models <"$out/models.txt"
	while [ "$ndone" -lt "${#models[@]}" ]; do
		run_ours "${models[$ndone]}" "$out/tierbench-A.jsonl"
		ndone=$((ndone + 1))
	done
	[ $alive = 1 ] || break
	sleep 2
done
say "waiting for the benchmark models"
wait "$mpid" || { cat "$out/mkbench.log"; say "FAILED: mkbench"; status=1; }
mapfile -t models <"$out/models.txt"
if [ -n "$lpid" ] && ! llama_ready; then
	say "waiting for the llama.cpp build (until ${LLAMA_DEADLINE}s)"
	while kill -0 "$lpid" 2>/dev/null && [ $(($(date +%s) - t_start)) -lt "$LLAMA_DEADLINE" ]; do
		sleep 2
	done
	if ! llama_ready; then
		say "llama.cpp build not finished or failed (last lines of llama-build.log):"
		tail -5 "$out/llama-build.log"
		stop_llama_build
	fi
fi
for m in "${models[@]}"; do
	llama_ready && run_llama "$m"
	run_ours "$m" "$out/tierbench-B.jsonl"
done
stop_llama_build

# 5b. Partial offload: the first half of the layers on the GPU, the rest and the output head on
# the CPU (both programs at their default thread counts), alternating.
: >"$out/tierbench-P.jsonl"
: >"$out/llama-P.jsonl"
for m in "${models[@]}"; do
	ngl=
	case $m in
	*tinyllama*) [[ " $PARTIAL_SHAPES " == *" tiny "* ]] && ngl=11 ;;   # of 22 layers
	*8b*) [[ " $PARTIAL_SHAPES " == *" 8b "* ]] && ngl=16 ;;            # of 32 layers
	esac
	[ -n "$ngl" ] || continue
	# shellcheck disable=SC2086 # the option list splits on purpose
	llama_ready && run_llama "$m" "$out/llama-P.jsonl" -ngl "$ngl" $PARTIAL_ARGS
	# shellcheck disable=SC2086
	run_ours "$m" "$out/tierbench-P.jsonl" -ngl "$ngl" $PARTIAL_ARGS
done

# 5c. The decode variants, on a quiet machine.
if [ "${AB:-1}" = 1 ]; then
	for m in "${models[@]}"; do
		run_ab "$m"
	done
fi

# 6. With NCU=1 (and NCU_BY seconds after the start not yet passed, default 420): Nsight
# Compute on 24 decode kernels (products, activation roundings, attention, RoPE) of the last
# Q4_K_M model: each one's time and DRAM throughput against the peak.
ncu=$(command -v ncu)
for c in /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu; do
	[ -z "$ncu" ] && [ -x "$c" ] && ncu=$c
done
nm=
for m in "${models[@]}"; do
	case $m in *Q4_K_M*) nm=$m ;; esac
done
if [ "${NCU:-0}" = 1 ] && [ -n "$ncu" ] && [ -n "$nm" ] && [ $(($(date +%s) - t_start)) -lt "${NCU_BY:-420}" ]; then
	say "ncu: decode product kernels of $(basename "$nm")"
	tb timeout 60 "$ncu" --clock-control none -k regex:"k_(mmvq|quant|attn|rope)" --launch-skip 300 --launch-count 24 \
		--metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed \
		"$TB" bench -m "$nm" --device cuda -p 0 -n 16 -r 1 >"$out/ncu.log" 2>&1
	grep -E 'k_(mmvq|quant|attn|rope)|gpu__time|dram__' "$out/ncu.log" | sed -E 's/^ +/    /' | cut -c1-150 | head -80
fi

# 6b. With NCU_PREFILL=1: the time of each of the first 20 prefill kernels (the first layer's
# roundings, dequantizations, products and attention of the warm-up pp512) and its grid.
pm=
for m in "${models[@]}"; do
	case $m in *8b*Q8_0*) pm=$m ;; esac
done
[ -n "$pm" ] || pm=${models[${#models[@]}-1]:-}
if [ "${NCU_PREFILL:-0}" = 1 ] && [ -n "$ncu" ] && [ -n "$pm" ] && [ $(($(date +%s) - t_start)) -lt "${NCU_BY:-420}" ]; then
	say "ncu: prefill kernels of $(basename "$pm")"
	tb timeout 90 "$ncu" --clock-control none -k regex:"k_(gemm|dequant|deq_el|attn_tile|to_el)" --launch-count 20 \
		--metrics gpu__time_duration.sum,launch__grid_size \
		"$TB" bench -m "$pm" --device cuda -p 512 -n 0 -r 1 >"$out/ncu-prefill.log" 2>&1
	grep -E 'k_(gemm|dequant|deq_el|attn_tile|to_el)|gpu__time|launch__grid' "$out/ncu-prefill.log" | sed -E 's/^ +/    /' |
		cut -c1-150 | head -70
fi

# 7. Summary: t/s (mean of our runs), GB/s of weights read per token, % of the peak, llama.cpp.
ours_file=$out/tierbench-B.jsonl
[ -s "$ours_file" ] || ours_file=$out/tierbench-A.jsonl
python3 - "$ours_file" "$out/llama.jsonl" "$out/tierbench-P.jsonl" "$out/llama-P.jsonl" "$out/ab-def.jsonl" \
	"$out/ab-pdl1.jsonl" "$out/ab-w4.jsonl" >"$out/summary.md" <<'PY'
import json, os, sys
from collections import defaultdict

def rows(path):
    r = []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line.startswith("{"):
            try:
                r.append(json.loads(line))
            except ValueError:
                pass
    return r

def test_name(r):
    return f"pp{r['n_prompt']}" if r["n_gen"] == 0 else f"tg{r['n_gen']}"

def table(ours_path, llama_path, title):
    ours, llama, wbytes, peak = defaultdict(list), defaultdict(list), {}, {}
    for r in rows(ours_path):
        k = (os.path.basename(r["model_filename"]), test_name(r))
        ours[k].append(r["avg_ts"])
        wbytes[k[0]] = r.get("weight_bytes_per_token") or 0
        peak[k[0]] = r.get("mem_bw_gbs") or 0
    for r in rows(llama_path):
        llama[(os.path.basename(r["model_filename"]), test_name(r))].append(r["avg_ts"])
    if not ours:
        return peak
    print(title)
    print("| model | test | tierbench t/s | GB/s | % of peak | llama.cpp t/s | ratio |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for k in sorted(ours):
        t = sum(ours[k]) / len(ours[k])
        gbs = pct = ""
        if k[1].startswith("tg") and wbytes.get(k[0]) and "partial" not in title:
            g = wbytes[k[0]] * t / 1e9
            gbs = f"{g:.0f}"
            if peak.get(k[0]):
                pct = f"{100 * g / peak[k[0]]:.1f}"
        l = llama.get(k)
        lt = sum(l) / len(l) if l else None
        print(f"| {k[0]} | {k[1]} | {t:.1f} | {gbs} | {pct} | {f'{lt:.1f}' if lt else ''} | "
              f"{f'{t / lt:.2f}' if lt else ''} |")
    print()
    return peak

peak = table(sys.argv[1], sys.argv[2], "All layers on the GPU (-ngl 99):\n")
table(sys.argv[3], sys.argv[4], "Partial offload (half the layers on the GPU, the rest on the CPU):\n")

def ab(paths):
    got = []
    for p in paths:
        d = defaultdict(list)
        w = {}
        for r in rows(p):
            k = os.path.basename(r["model_filename"])
            d[k].append(r["avg_ts"])
            w[k] = (r.get("weight_bytes_per_token") or 0, r.get("mem_bw_gbs") or 0)
        got.append((d, w))
    if not got[0][0]:
        return
    print("Decode variants (tg128, -r 3 each, alternating; % of peak bandwidth):\n")
    print("| model | default t/s | % | TB_CUDA_PDL=1 t/s | % | TB_CUDA_MMVQ_WARPS=4 t/s | % |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for k in sorted(got[0][0]):
        cells = []
        for d, w in got:
            v = d.get(k)
            if not v:
                cells += ["", ""]
                continue
            t = sum(v) / len(v)
            wb, pk = w[k]
            cells += [f"{t:.1f}", f"{100 * wb * t / 1e9 / pk:.1f}" if wb and pk else ""]
        print(f"| {k} | " + " | ".join(cells) + " |")
    print()

ab(sys.argv[5:8])
if peak:
    print(f"\npeak bandwidth (memory clock x bus width): {max(peak.values()):.0f} GB/s; "
          "GB/s = weight bytes read per token x tg t/s")
PY
cat "$out/summary.md"
say "done (status $status)"
exit $status
