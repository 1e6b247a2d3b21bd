#!/usr/bin/env python3
# scripts/eval-tiny.py — measures a GGUF model on the held-out sets of scripts/gen-tiny-data.py
# through the built-in engine (`tierbench generate`, greedy), building each prompt as the gsm8k,
# humaneval and needle suites do and scoring as they do (gsm8k strict: the last "#### N" or
# "The answer is N"; humaneval: the prompt + completion cut at the stop strings runs its tests;
# needle: the reply contains the number). A stand-in until `tierbench run` drives a local target.
#
#   scripts/eval-tiny.py MODEL.gguf [--bin bin/tierbench] [--shots N] [--needle-lengths 256,512]
#                        [--needle-depths 5] [--only arith,code,needle] [--jobs 2]
import argparse, concurrent.futures, importlib.util, json, os, re, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
_spec = importlib.util.spec_from_file_location("gen_tiny_data", os.path.join(HERE, "gen-tiny-data.py"))
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

NUM = r"((?:-?\\?\$\s?-?|-)?(?:\d[\d,]*(?:\.\d+)?|\.\d+))"
STRICT = re.compile(r"(?:####|(?i:\bthe\s+(?:final\s+)?answer\s+is))\s*:?\s*\**\s*" + NUM)
HE_STOP = ["\nclass ", "\ndef ", "\n#", "\nif __name__", "\nprint("]


def canon(tok):
    t = re.sub(r"[^\d.\-]", "", tok)
    neg = t.startswith("-") or "-" in tok
    t = t.replace("-", "")
    if "." in t:
        i, f = t.split(".", 1)
        f = f.rstrip("0")
    else:
        i, f = t, ""
    i = i.lstrip("0") or "0"
    s = i + ("." + f if f else "")
    return ("-" + s) if neg and s != "0" else s


def generate(a, prompt, n, stops):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(prompt)
    cmd = [a.bin, "generate", "-m", a.model, "-f", f.name, "-n", str(n), "--temp", "0", "-t", "1"]
    for s in stops:
        cmd += ["--stop", s]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    finally:
        os.unlink(f.name)
    if p.returncode:
        raise RuntimeError(p.stderr.strip())
    return p.stdout[:-1] if p.stdout.endswith("\n") else p.stdout


def arith_jobs(a):
    rows = [json.loads(l) for l in open(os.path.join(ROOT, "datasets/tiny/arith.jsonl"))]
    shots = [json.loads(l) for l in open(os.path.join(ROOT, "datasets/tiny/arith-train.jsonl"))]
    sh = [(s["question"], s["answer"]) for s in shots[:a.shots]]
    out = []
    for r in rows:
        ref = gen.gsm8k_final(r["answer"])

        def score(text, ref=ref):
            m = STRICT.findall(text)
            return m and canon(m[-1]) == canon(ref)
        out.append(("arith", r["task_id"], gen.gsm8k_prompt(r["question"], sh), 160, ["Q:", "\n\n\n"], score))
    return out


def code_jobs(a):
    out = []
    for l in open(os.path.join(ROOT, "datasets/tiny/code.jsonl")):
        r = json.loads(l)

        def score(text, r=r):
            for s in HE_STOP:
                k = text.find(s)
                if k >= 0:
                    text = text[:k]
            prog = r["prompt"] + text + "\n\n" + r["test"] + "\n\ncheck(" + r["entry_point"] + ")\n"
            try:
                p = subprocess.run([sys.executable, "-c", prog], capture_output=True, timeout=10)
            except subprocess.TimeoutExpired:
                return False
            return p.returncode == 0
        out.append(("code", r["task_id"], r["prompt"], 96, HE_STOP, score))
    return out


def needle_jobs(a, tok):
    """The needle suite's grid (variant single, seed 1234 as a spec's default), each prompt cut to
    its length minus 64 tokens of answer room with this model's token count."""
    seed = a.seed
    lengths = [int(x) for x in a.needle_lengths.split(",")]
    depths = a.needle_depths
    hay = gen.suite_haystack(seed, max(lengths) * 6)
    out = []
    for li, L in enumerate(lengths):
        for d in range(depths):
            depth = 50 if depths == 1 else int(100.0 * d / (depths - 1) + 0.5)
            needles, q, val = gen.suite_needle_item(a.variant, seed * 1000003 + li * 1009 + d)
            lo, hi, fits = 0, len(hay), -1
            while lo <= hi:
                mid = (lo + hi) // 2
                if len(tok.encode(gen.needle_prompt(hay, mid, depth, needles, q))) <= L - 64:
                    fits, lo = mid, mid + 1
                else:
                    if mid == 0:
                        break
                    hi = mid - 1
            p = gen.needle_prompt(hay, fits, depth, needles, q)
            out.append(("needle", f"{a.variant}/L{L}/D{depth}", p, 16, [],
                        lambda text, val=val: val in text))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--bin", default=os.path.join(ROOT, "bin/tierbench"))
    ap.add_argument("--shots", type=int, default=0)
    ap.add_argument("--needle-lengths", default="256,512")
    ap.add_argument("--needle-depths", type=int, default=5)
    ap.add_argument("--variant", default="single")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--only", default="arith,code,needle")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="only the first N items of each kind")
    ap.add_argument("--show", action="store_true", help="print each reply")
    a = ap.parse_args()
    tok = gen.Tokenizer(gen.build_vocab())
    jobs = []
    only = a.only.split(",")
    if "arith" in only:
        jobs += arith_jobs(a)
    if "code" in only:
        jobs += code_jobs(a)
    if "needle" in only:
        jobs += needle_jobs(a, tok)
    if a.limit:
        kept, seen = [], {}
        for j in jobs:
            seen[j[0]] = seen.get(j[0], 0) + 1
            if seen[j[0]] <= a.limit:
                kept.append(j)
        jobs = kept
    res = {}
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        futs = [ex.submit(generate, a, p, n, st) for _, _, p, n, st, _ in jobs]
        for (kind, tid, _, _, _, score), fu in zip(jobs, futs):
            text = fu.result()
            ok = bool(score(text))
            res.setdefault(kind, []).append(ok)
            if a.show:
                print(f"{'ok ' if ok else 'BAD'} {tid}: {text!r}", flush=True)
    summary = {k: dict(n=len(v), correct=sum(v), pct=round(100.0 * sum(v) / len(v), 1))
               for k, v in res.items()}
    print(json.dumps(dict(model=os.path.basename(a.model), shots=a.shots,
                          needle_lengths=a.needle_lengths, results=summary)))


if __name__ == "__main__":
    main()
