#!/usr/bin/python3
# scripts/train-model.py — trains tierbench's own small llama-architecture model on the data of
# scripts/gen-tiny-data.py and writes it as GGUF v3 (F32) with its vocabulary, plus a JSON record
# of config, seed, data-generator version, time and loss. System python3 + PyTorch only
# (scripts/install-deps.sh --train). Seeded and deterministic for a given thread count.
#
#   scripts/train-model.py train  [--steps N | --schedule 0:4800,4800:5600] [--work runs/train-tiny]
#                                 [--set KEY=JSON ...] [--probe-every N]
#                                 [--out models/tierbench-tiny]   (defaults: the committed model's run)
#   scripts/train-model.py export --work runs/train-tiny [--out models/tierbench-tiny]
#   scripts/train-model.py generate --work runs/train-tiny -p TEXT [-n 64]
#   scripts/train-model.py verify --work runs/train-tiny [--write tests/fixtures/tiny/greedy.jsonl]
#
# `train` saves a checkpoint every --ckpt-every steps in --work and resumes from the newest one.
import argparse, importlib.util, json, math, os, random, re, struct, sys, time

# One thread: on a shared 2-core machine a second OpenBLAS/OpenMP thread made training 3x slower
# (threads spin against other work); the variable has to be set before torch loads OpenBLAS.
THREADS = 1
os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(THREADS)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("gen_tiny_data", os.path.join(HERE, "gen-tiny-data.py"))
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

CONFIG = dict(
    n_embd=256, n_ff=512, n_layer=4, n_head=4, n_head_kv=2, n_ctx=2048, rope_base=10000.0,
    norm_eps=1e-5, seed=1234, data_seed=gen.TRAIN_SEED, steps=5600, warmup=80, lr=3e-3,
    lr_min=2e-4, weight_decay=0.1, grad_clip=1.0, short_row=256, short_rows=8,
    long_budget=2048, prompt_weight=0.2, threads=THREADS, tied=False, mix=gen.TRAIN_MIX,
    # the committed model's run: planned for 4800 steps, lengthened to 5600 at its end, when the
    # model had just begun to copy digits (it stays within the 60-minute budget)
    schedule=[[0, 4800], [4800, 5600]],
)

# ------------------------------------------------------------------ model


class Block(torch.nn.Module):
    def __init__(s, c):
        super().__init__()
        E, hd = c["n_embd"], c["n_embd"] // c["n_head"]
        s.H, s.HKV, s.hd = c["n_head"], c["n_head_kv"], hd
        s.attn_norm = torch.nn.Parameter(torch.ones(E))
        s.wq = torch.nn.Linear(E, s.H * hd, bias=False)
        s.wk = torch.nn.Linear(E, s.HKV * hd, bias=False)
        s.wv = torch.nn.Linear(E, s.HKV * hd, bias=False)
        s.wo = torch.nn.Linear(s.H * hd, E, bias=False)
        s.ffn_norm = torch.nn.Parameter(torch.ones(E))
        s.w_gate = torch.nn.Linear(E, c["n_ff"], bias=False)
        s.w_up = torch.nn.Linear(E, c["n_ff"], bias=False)
        s.w_down = torch.nn.Linear(c["n_ff"], E, bias=False)
        s.eps = c["norm_eps"]

    def norm(s, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + s.eps) * w

    def forward(s, x, cos, sin, mask):
        B, T, E = x.shape
        h = s.norm(x, s.attn_norm)
        q = rope(s.wq(h).view(B, T, s.H, s.hd), cos, sin).transpose(1, 2)
        k = rope(s.wk(h).view(B, T, s.HKV, s.hd), cos, sin).transpose(1, 2)
        v = s.wv(h).view(B, T, s.HKV, s.hd).transpose(1, 2)
        if s.HKV != s.H:   # query head j reads kv head j // (H / HKV), as the engine does
            k = k.repeat_interleave(s.H // s.HKV, 1)
            v = v.repeat_interleave(s.H // s.HKV, 1)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(s.hd)) + mask
        a = att.softmax(-1) @ v
        x = x + s.wo(a.transpose(1, 2).reshape(B, T, E))
        h = s.norm(x, s.ffn_norm)
        return x + s.w_down(F.silu(s.w_gate(h)) * s.w_up(h))


def rope(x, cos, sin):
    """llama's "normal" RoPE as the engine applies it for the llama architecture: pairs
    (2i, 2i+1) of each head rotated by pos * base^(-2i/hd). x: [B, T, heads, hd]; cos, sin:
    [B, T, 1, hd/2]."""
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack((a * cos - b * sin, a * sin + b * cos), -1).flatten(-2)


class Model(torch.nn.Module):
    def __init__(s, c, n_vocab):
        super().__init__()
        s.c = c
        s.tok_embd = torch.nn.Embedding(n_vocab, c["n_embd"])
        s.blocks = torch.nn.ModuleList([Block(c) for _ in range(c["n_layer"])])
        s.output_norm = torch.nn.Parameter(torch.ones(c["n_embd"]))
        if not c.get("tied", True):
            s.output = torch.nn.Linear(c["n_embd"], n_vocab, bias=False)
        hd = c["n_embd"] // c["n_head"]
        s.register_buffer("inv_freq", c["rope_base"] ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd),
                          persistent=False)
        for n, p in s.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * c["n_layer"]) if n.endswith(("wo.weight", "w_down.weight")) else 0.02
                torch.nn.init.normal_(p, 0.0, std)

    def forward(s, ids, pos, mask):
        """ids, pos: [B, T] long; mask: [B, 1, T, T] additive. Returns logits [B, T, V] (the
        embedding matrix as output matrix when the config ties them)."""
        ang = (pos.double()[..., None] * s.inv_freq).float()[:, :, None, :]
        cos, sin = ang.cos(), ang.sin()
        x = s.tok_embd(ids)
        for b in s.blocks:
            x = b(x, cos, sin, mask)
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + s.c["norm_eps"]) * s.output_norm
        return s.output(x) if hasattr(s, "output") else x @ s.tok_embd.weight.T

    @torch.no_grad()
    def greedy(s, ids, n, eos=2):
        out = list(ids)
        for _ in range(n):
            t = torch.tensor([out])
            T = t.shape[1]
            mask = torch.full((T, T), float("-inf")).triu(1)[None, None]
            lg = s.forward(t, torch.arange(T)[None], mask)[0, -1]
            nx = int(lg.argmax())
            if nx == eos:
                break
            out.append(nx)
        return out[len(ids):]

# ------------------------------------------------------------------ batches


def batches(c, tok, exclude_q, exclude_code):
    """Endless deterministic batches (ids, pos, mask, targets, weights). Arithmetic and code
    documents are packed into rows of short_row tokens (a document sees only itself: block
    masks, positions from 0), and so are needle documents that fit a row; longer needle documents
    get a row each, a batch holding about long_budget tokens. Each document is BOS + prompt + completion + EOS; prompt tokens
    weigh prompt_weight in the loss, completion and EOS 1."""
    stream = gen.train_stream(c["data_seed"], exclude_q, exclude_code, c.get("mix"))
    short, longq = [], []

    def doc(p, comp):
        a = tok.encode(p)
        b = tok.encode(comp, bos=False, prefix=False) + [2]
        return a + b, [c["prompt_weight"]] * len(a) + [1.0] * len(b)

    def make(rows, T):
        B = len(rows)
        ids = torch.zeros(B, T, dtype=torch.long)
        tgt = torch.zeros(B, T, dtype=torch.long)
        wt = torch.zeros(B, T)
        pos = torch.zeros(B, T, dtype=torch.long)
        mask = torch.full((B, 1, T, T), float("-inf"))
        for r, docs in enumerate(rows):
            o = 0
            for d, w in docs:
                n = len(d)
                ids[r, o:o + n] = torch.tensor(d)
                tgt[r, o:o + n - 1] = torch.tensor(d[1:])
                wt[r, o:o + n - 1] = torch.tensor(w[1:])
                pos[r, o:o + n] = torch.arange(n)
                mask[r, 0, o:o + n, o:o + n] = torch.full((n, n), float("-inf")).triu(1)
                o += n
            if o < T:   # padding rows attend to themselves only (no NaN), weight 0
                mask[r, 0, o:, :].fill_(float("-inf"))
                mask[r, 0, torch.arange(o, T), torch.arange(o, T)] = 0.0
        return ids, pos, mask, tgt, wt

    while True:
        kind, p, comp = next(stream)
        d = doc(p, comp)
        if kind == "needle" and len(d[0]) > c["short_row"]:
            longq.append(d)
            if len(longq) >= 16:
                longq.sort(key=lambda x: len(x[0]))
                while longq:
                    T = len(longq[0][0])
                    take = []
                    while longq and len(longq[0][0]) * (len(take) + 1) <= c["long_budget"] or not take:
                        take.append(longq.pop(0))
                        T = len(take[-1][0])
                    yield make([[x] for x in take], T)
        else:
            if len(d[0]) > c["short_row"]:
                continue
            short.append(d)
            if sum(len(x[0]) for x in short) >= c["short_row"] * c["short_rows"] * 1.1:
                rows, fill = [[] for _ in range(c["short_rows"])], [0] * c["short_rows"]
                rest = []
                for x in sorted(short, key=lambda x: -len(x[0])):
                    r = min(range(len(rows)), key=lambda i: fill[i])
                    if fill[r] + len(x[0]) <= c["short_row"]:
                        rows[r].append(x)
                        fill[r] += len(x[0])
                    else:
                        rest.append(x)
                short = rest
                yield make(rows, c["short_row"])

# ------------------------------------------------------------------ GGUF


def gguf_write(path, kv, tensors):
    """GGUF v3: magic, version, tensor count, KV count; the KV pairs; tensor infos (name, dims
    innermost first, type, offset); data aligned to 32 bytes. kv: [(key, type, value)] with type
    "str", "u32", "i32", "f32", "bool", or ("arr", elem) for arrays; tensors: [(name, float32
    tensor)] written as F32."""
    T = dict(u32=4, i32=5, f32=6, bool=7, str=8)
    fmt = dict(u32="<I", i32="<i", f32="<f", bool="<?")

    def s(x):
        b = x.encode("utf-8")
        return struct.pack("<Q", len(b)) + b

    def val(t, v):
        if t == "str":
            return s(v)
        return struct.pack(fmt[t], v)
    out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv)))
    for k, t, v in kv:
        out += s(k)
        if isinstance(t, tuple):
            out += struct.pack("<IIQ", 9, T[t[1]], len(v))
            if t[1] == "f32":
                out += struct.pack(f"<{len(v)}f", *v)
            elif t[1] == "i32":
                out += struct.pack(f"<{len(v)}i", *v)
            else:
                for x in v:
                    out += val(t[1], x)
        else:
            out += struct.pack("<I", T[t]) + val(t, v)
    off, datas = 0, []
    for name, w in tensors:
        w = w.detach().to(torch.float32).contiguous()
        out += s(name) + struct.pack("<I", w.dim())
        for d in reversed(w.shape):
            out += struct.pack("<Q", d)
        out += struct.pack("<IQ", 0, off)
        b = w.numpy().tobytes()
        datas.append(b)
        off += (len(b) + 31) // 32 * 32
    out += b"\0" * (-len(out) % 32)
    for b in datas:
        out += b + b"\0" * (-len(b) % 32)
    with open(path + ".tmp", "wb") as f:
        f.write(out)
    os.replace(path + ".tmp", path)


def export(model, vocab, c, record, path):
    L = c["n_layer"]
    kv = [
        ("general.architecture", "str", "llama"),
        ("general.name", "str", "tierbench-tiny"),
        ("general.description", "str", "tierbench's own small model: gsm8k-format arithmetic, "
         "HumanEval-format Python functions and needle retrieval, trained on generated data"),
        ("general.license", "str", "same terms as tierbench"),
        ("general.file_type", "u32", 0),
        ("general.alignment", "u32", 32),
        ("llama.context_length", "u32", c["n_ctx"]),
        ("llama.embedding_length", "u32", c["n_embd"]),
        ("llama.block_count", "u32", L),
        ("llama.feed_forward_length", "u32", c["n_ff"]),
        ("llama.attention.head_count", "u32", c["n_head"]),
        ("llama.attention.head_count_kv", "u32", c["n_head_kv"]),
        ("llama.attention.layer_norm_rms_epsilon", "f32", c["norm_eps"]),
        ("llama.rope.freq_base", "f32", c["rope_base"]),
        ("llama.rope.dimension_count", "u32", c["n_embd"] // c["n_head"]),
        ("llama.vocab_size", "u32", len(vocab)),
        ("tokenizer.ggml.model", "str", "llama"),
        ("tokenizer.ggml.tokens", ("arr", "str"), [p for p, _, _ in vocab]),
        ("tokenizer.ggml.scores", ("arr", "f32"), [s for _, s, _ in vocab]),
        ("tokenizer.ggml.token_type", ("arr", "i32"), [t for _, _, t in vocab]),
        ("tokenizer.ggml.bos_token_id", "u32", 1),
        ("tokenizer.ggml.eos_token_id", "u32", 2),
        ("tokenizer.ggml.unknown_token_id", "u32", 0),
        ("tokenizer.ggml.add_bos_token", "bool", True),
        ("tokenizer.ggml.add_eos_token", "bool", False),
        ("tokenizer.ggml.add_space_prefix", "bool", True),
        ("tierbench.data_generator", "str", gen.GEN_VERSION),
        ("tierbench.seed", "u32", c["seed"]),
        ("tierbench.data_seed", "u32", c["data_seed"]),
        ("tierbench.train_steps", "u32", record.get("steps_done", 0)),
        ("tierbench.train_config", "str", json.dumps(c, sort_keys=True)),
        ("tierbench.final_loss", "f32", float(record.get("final_loss", 0.0))),
    ]
    sd = model.state_dict()
    ts = [("token_embd.weight", sd["tok_embd.weight"])]
    for i in range(L):
        p = f"blocks.{i}."
        ts += [(f"blk.{i}.attn_norm.weight", sd[p + "attn_norm"]),
               (f"blk.{i}.attn_q.weight", sd[p + "wq.weight"]),
               (f"blk.{i}.attn_k.weight", sd[p + "wk.weight"]),
               (f"blk.{i}.attn_v.weight", sd[p + "wv.weight"]),
               (f"blk.{i}.attn_output.weight", sd[p + "wo.weight"]),
               (f"blk.{i}.ffn_norm.weight", sd[p + "ffn_norm"]),
               (f"blk.{i}.ffn_gate.weight", sd[p + "w_gate.weight"]),
               (f"blk.{i}.ffn_up.weight", sd[p + "w_up.weight"]),
               (f"blk.{i}.ffn_down.weight", sd[p + "w_down.weight"])]
    ts.append(("output_norm.weight", sd["output_norm"]))
    if "output.weight" in sd:
        ts.append(("output.weight", sd["output.weight"]))
    gguf_write(path + ".gguf", kv, ts)
    with open(path + ".json", "w") as f:
        json.dump(record, f, indent=2, sort_keys=True)
        f.write("\n")

# ------------------------------------------------------------------ commands


def setup(c):
    torch.set_num_threads(c["threads"])
    torch.manual_seed(c["seed"])
    random.seed(c["seed"])
    torch.use_deterministic_algorithms(True)
    vocab = gen.build_vocab()
    return vocab, gen.Tokenizer(vocab)


def lr_at(c, step):
    """Warm-up, then cosine to lr_min at the end of the schedule in effect: c["schedule"] lists
    [from_step, total_steps] pairs (a run lengthened on the way records where its total
    changed; a fresh run with the same schedule takes the same steps)."""
    total = c["steps"]
    for frm, n in c.get("schedule", []):
        if step >= frm:
            total = n
    if step < c["warmup"]:
        return c["lr"] * (step + 1) / c["warmup"]
    t = (step - c["warmup"]) / max(1, total - c["warmup"])
    return c["lr_min"] + 0.5 * (c["lr"] - c["lr_min"]) * (1 + math.cos(math.pi * min(1.0, t)))


def probe_set(tok):
    """A quick held-out check while training: the first 12 gsm8k items zero-shot and 8 needle
    prompts as the suite builds them (its haystack, variant single, about 256 and 512 tokens,
    depths 0/33/67/100 %). Returns [(kind, prompt ids, expected answer)]."""
    arith, _, _ = gen.heldout()
    out = [("arith", tok.encode(gen.gsm8k_prompt(x["question"])), gen.gsm8k_final(x["answer"]))
           for x in arith[:12]]
    sent = gen.suite_haystack(7, 20000)
    for i, (length, depth) in enumerate((L, d) for L in (256, 512) for d in (0, 33, 67, 100)):
        needles, question, val = gen.suite_needle_item("single", 1000 + i)
        n = 1
        while len(tok.encode(gen.needle_prompt(sent, n + 1, depth, needles, question))) <= length:
            n += 1
        out.append(("needle", tok.encode(gen.needle_prompt(sent, n, depth, needles, question)), val))
    return out


def probe(model, tok, items):
    """Greedy answers to probe_set's items: {kind: [right, total]}. gsm8k: "The answer is N" is
    the expected number (the suite's strict match); needle: the value appears in the reply."""
    model.eval()
    res = {}
    for kind, ids, want in items:
        n = 48 if kind == "arith" else 12
        text = tok.decode(model.greedy(ids, n))
        if kind == "arith":
            m = re.findall(r"answer is (-?\d+)", text)
            ok = bool(m) and m[-1] == want
        else:
            ok = want in text
        r = res.setdefault(kind, [0, 0])
        r[0] += ok
        r[1] += 1
    model.train()
    return res


def newest_ckpt(work):
    if not os.path.isdir(work):
        return None
    cks = sorted(f for f in os.listdir(work) if f.startswith("ckpt-") and f.endswith(".pt"))
    return os.path.join(work, cks[-1]) if cks else None


def cmd_train(a):
    c = dict(CONFIG)
    if a.steps:
        c["steps"] = a.steps
        c["schedule"] = [[0, a.steps]]
    for kv in a.set or []:
        k, v = kv.split("=", 1)
        if k not in c:
            sys.exit(f"--set {k}: no such config key")
        c[k] = json.loads(v)
    if a.schedule:
        c["schedule"] = [[int(x) for x in p.split(":")] for p in a.schedule.split(",")]
        c["steps"] = c["schedule"][-1][1]
    vocab, tok = setup(c)
    arith, shots, code = gen.heldout()
    ex_q = {x["question"] for x in arith}
    ex_code = {x["prompt"] for x in code}
    model = Model(c, len(vocab))
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    other = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([dict(params=decay, weight_decay=c["weight_decay"]),
                             dict(params=other, weight_decay=0.0)], lr=c["lr"], betas=(0.9, 0.95))
    os.makedirs(a.work, exist_ok=True)
    step, elapsed, log, probe_log = 0, 0.0, [], []
    ck = newest_ckpt(a.work)
    if ck:
        st = torch.load(ck)
        same = dict(st["config"], schedule=None, steps=None) == dict(c, schedule=None, steps=None)
        sched_ok = all(frm >= st["step"] or [frm, n] in st["config"].get("schedule", [[0, st["config"]["steps"]]])
                       for frm, n in c.get("schedule", [[0, c["steps"]]]))
        if not same or not sched_ok:
            sys.exit(f"{ck}: trained with another config; use another --work (a longer run: "
                     f"--schedule 0:OLD,{st['step']}:NEW)")
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step, elapsed, log, probe_log = st["step"], st["elapsed"], st["log"], st.get("probe_log", [])
        torch.set_rng_state(st["rng"])
        print(f"resuming at step {step} from {ck}", flush=True)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{n_params} parameters, vocabulary {len(vocab)}, {c['steps']} steps", flush=True)
    it = batches(c, tok, ex_q, ex_code)
    probes = probe_set(tok) if a.probe_every else []
    for _ in range(step):     # the same batches as before the interruption
        next(it)
    t0, run_loss, run_n, toks = time.time() - elapsed, 0.0, 0, 0
    while step < c["steps"]:
        ids, pos, mask, tgt, wt = next(it)
        for g in opt.param_groups:
            g["lr"] = lr_at(c, step)
        lg = model(ids, pos, mask)
        ce = F.cross_entropy(lg.view(-1, lg.shape[-1]), tgt.view(-1), reduction="none")
        loss = (ce * wt.view(-1)).sum() / wt.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), c["grad_clip"])
        opt.step()
        step += 1
        run_loss += float(loss)
        run_n += 1
        toks += int((wt > 0).sum())
        if step % 25 == 0 or step == c["steps"]:
            el = time.time() - t0
            log.append([step, round(el, 1), round(run_loss / run_n, 4)])
            print(f"step {step}/{c['steps']} loss {run_loss / run_n:.4f} lr {lr_at(c, step):.2e} "
                  f"{el:.0f}s {toks / max(el - elapsed, 1e-9):.0f} tok/s", flush=True)
            run_loss, run_n = 0.0, 0
        if a.probe_every and (step % a.probe_every == 0 or step == c["steps"]):
            pt = time.time()
            res = probe(model, tok, probes)
            t0 += time.time() - pt      # probing is not training time
            probe_log.append([step, {k: v[0] for k, v in res.items()}])
            print(f"probe at step {step}: " + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(res.items()))
                  + f" ({time.time() - pt:.0f}s)", flush=True)
        if step % a.ckpt_every == 0 or step == c["steps"]:
            path = os.path.join(a.work, f"ckpt-{step:06d}.pt")
            torch.save(dict(model=model.state_dict(), opt=opt.state_dict(), step=step,
                            elapsed=time.time() - t0, log=log, probe_log=probe_log, config=c,
                            rng=torch.get_rng_state()), path + ".tmp")
            os.replace(path + ".tmp", path)
            for f in os.listdir(a.work):
                if f.startswith("ckpt-") and f.endswith(".pt") and f != os.path.basename(path):
                    os.remove(os.path.join(a.work, f))
    do_export(a, model, vocab, c, log, probe_log, n_params, time.time() - t0)


def do_export(a, model, vocab, c, log, probe_log, n_params, train_s):
    record = dict(name="tierbench-tiny", config=c, data_generator=gen.GEN_VERSION,
                  parameters=n_params, n_vocab=len(vocab), steps_done=log[-1][0] if log else 0,
                  train_seconds=round(train_s, 1), final_loss=log[-1][2] if log else None,
                  loss_log=log[::8] + ([log[-1]] if log and (len(log) - 1) % 8 else []),
                  probe_log=probe_log,
                  torch=torch.__version__, threads=c["threads"])
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    export(model, vocab, c, record, a.out)
    print(f"wrote {a.out}.gguf and {a.out}.json", flush=True)


def load_work(a):
    ck = newest_ckpt(a.work)
    if not ck:
        sys.exit(f"{a.work}: no checkpoint")
    st = torch.load(ck)
    c = st["config"]
    vocab, tok = setup(c)
    model = Model(c, len(vocab))
    model.load_state_dict(st["model"])
    model.eval()
    return model, vocab, tok, c, st


def cmd_export(a):
    model, vocab, tok, c, st = load_work(a)
    do_export(a, model, vocab, c, st["log"], st.get("probe_log", []),
              sum(p.numel() for p in model.parameters()), st["elapsed"])


def cmd_generate(a):
    model, vocab, tok, c, st = load_work(a)
    prompt = open(a.file).read() if a.file else a.prompt
    ids = model.greedy(tok.encode(prompt), a.n)
    sys.stdout.write(tok.decode(ids) + "\n")


def verify_prompts():
    """Prompts of each kind from the held-out sets (and two plain ones) for the export checks."""
    arith, shots, code = gen.heldout()
    r = random.Random(99)
    p, _ = gen.needle_train_item(r, 12)
    return [gen.gsm8k_prompt(arith[0]["question"]), gen.gsm8k_prompt(arith[1]["question"]),
            code[0]["prompt"], code[1]["prompt"], p, "The old miller", "def add_three(x):\n"]


def cmd_verify(a):
    """PyTorch greedy text vs `tierbench generate --temp 0` on the exported file, per prompt;
    with --write, the first three go to tests/fixtures/tiny/greedy.jsonl."""
    import subprocess, tempfile
    model, vocab, tok, c, st = load_work(a)
    rows, same = [], 0
    prompts = verify_prompts()
    for p in prompts:
        want = tok.decode(model.greedy(tok.encode(p), a.n))
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write(p)
        r = subprocess.run([a.bin, "generate", "-m", a.out + ".gguf", "-f", f.name, "-n", str(a.n),
                            "--temp", "0", "--kv-f32"], capture_output=True, text=True)
        os.unlink(f.name)
        got = r.stdout[:-1] if r.stdout.endswith("\n") else r.stdout
        same += got == want
        print(("same " if got == want else "DIFF ") + repr(p[-40:]) + " -> " + repr(want) +
              ("" if got == want else " | engine: " + repr(got)), flush=True)
        rows.append(dict(prompt=p, n=a.n, text=want))
    print(f"{same}/{len(prompts)} greedy continuations equal", flush=True)
    if a.write:
        with open(a.write, "w") as f:
            for row in rows[:2] + rows[2:3] + rows[4:5]:
                f.write(json.dumps(row) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("train", "export", "generate", "verify"):
        p = sub.add_parser(name)
        p.add_argument("--work", default="runs/train-tiny")
        p.add_argument("--out", default="models/tierbench-tiny")
        if name == "train":
            p.add_argument("--steps", type=int, default=0)
            p.add_argument("--schedule", help="FROM:TOTAL,... — lengthen a run from a checkpoint")
            p.add_argument("--ckpt-every", type=int, default=100)
            p.add_argument("--set", action="append", metavar="KEY=JSON",
                           help="override a config key (recorded in the model's config)")
            p.add_argument("--probe-every", type=int, default=0, metavar="N",
                           help="greedy held-out check every N steps (not counted as training time)")
        if name == "generate":
            p.add_argument("-p", "--prompt", default="")
            p.add_argument("-f", "--file")
        if name in ("generate", "verify"):
            p.add_argument("-n", type=int, default=64)
        if name == "verify":
            p.add_argument("--bin", default=os.path.join(os.path.dirname(HERE), "bin/tierbench"))
            p.add_argument("--write", help="write the greedy fixture here")
    a = ap.parse_args()
    dict(train=cmd_train, export=cmd_export, generate=cmd_generate, verify=cmd_verify)[a.cmd](a)


if __name__ == "__main__":
    main()
