#!/usr/bin/env python3
# scripts/gen-tiny-data.py — the data of tierbench's own small model (models/tierbench-tiny.gguf):
# arithmetic word problems in the gsm8k suite's prompt format, small Python functions in the
# HumanEval format, and needle-in-a-haystack retrieval in the needle suite's prompt format; the
# model's vocabulary (an SPM "llama" vocabulary of characters, byte-fallback tokens and word
# pieces) and a tokenizer that reproduces the engine's SentencePiece merge (engine/vocab.c).
#
# scripts/train-model.py imports this file. Run alone it writes the held-out evaluation sets:
#   python3 scripts/gen-tiny-data.py datasets/tiny tests/fixtures/tiny
# Seeded and deterministic: the same version writes the same bytes.
import hashlib, heapq, json, os, random, re, struct, sys

GEN_VERSION = "tiny-data-2"
EVAL_SEED = 20261201          # held-out sets
TRAIN_SEED = 1                # training stream (scripts/train-model.py may pass another)

# ------------------------------------------------------------------ arithmetic (gsm8k format)

NAMES = ["Ada", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lena",
         "Mia", "Noor", "Omar", "Pia", "Raj", "Sam", "Tess", "Uma", "Vic", "Wen", "Yara", "Zoe"]
ITEMS = ["apples", "books", "marbles", "stickers", "pencils", "cookies", "cards", "shells",
         "coins", "stamps", "beads", "buttons", "eggs", "plums", "rocks", "toys"]


def arith_item(r):
    """One problem: (question, answer) with the answer in GSM8K's form (lines of reasoning with
    <<a+b=c>> calculator notes, then "#### N")."""
    n1, n2 = r.sample(NAMES, 2)
    it = r.choice(ITEMS)
    kind = r.randrange(7)
    if kind == 0:
        a, b = r.randint(2, 20), r.randint(2, 20)
        c = a + b
        q = f"{n1} has {a} {it}. {n2} gives {n1} {b} more {it}. How many {it} does {n1} have now?"
        sol = f"{n1} has {a} + {b} = <<{a}+{b}={c}>>{c} {it} now."
    elif kind == 1:
        a = r.randint(5, 30)
        b = r.randint(1, a - 1)
        c = a - b
        q = f"{n1} has {a} {it} and gives {b} of them to {n2}. How many {it} does {n1} have left?"
        sol = f"{n1} has {a} - {b} = <<{a}-{b}={c}>>{c} {it} left."
    elif kind == 2:
        a, b = r.randint(2, 15), r.randint(2, 15)
        s = a + b
        c = r.randint(1, s - 1)
        d = s - c
        q = (f"{n1} has {a} {it}. {n1} buys {b} more and then gives {c} to {n2}. "
             f"How many {it} does {n1} have now?")
        sol = (f"After buying, {n1} has {a} + {b} = <<{a}+{b}={s}>>{s} {it}.\n"
               f"After giving {c} away, {n1} has {s} - {c} = <<{s}-{c}={d}>>{d} {it}.")
        c = d
    elif kind == 3:
        a, b = r.randint(2, 9), r.randint(2, 9)
        c = a * b
        q = f"{n1} buys {a} bags with {b} {it} in each bag. How many {it} does {n1} buy?"
        sol = f"{n1} buys {a} * {b} = <<{a}*{b}={c}>>{c} {it}."
    elif kind == 4:
        a, b = r.randint(2, 20), r.randint(2, 20)
        c = a + b
        q = f"{n1} has {a} {it} and {n2} has {b} {it}. How many {it} do they have together?"
        sol = f"Together they have {a} + {b} = <<{a}+{b}={c}>>{c} {it}."
    elif kind == 5:
        b = r.randint(2, 20)
        a = r.randint(b + 1, 30)
        c = a - b
        q = f"{n1} has {a} {it} and {n2} has {b} {it}. How many more {it} does {n1} have than {n2}?"
        sol = f"{n1} has {a} - {b} = <<{a}-{b}={c}>>{c} more {it}."
    else:
        a, b = r.randint(2, 12), r.randint(2, 12)
        s = a + b
        c = r.randint(2, 12)
        d = s + c
        q = (f"{n1} picks {a} {it} in the morning, {b} at noon and {c} in the evening. "
             f"How many {it} does {n1} pick in all?")
        sol = (f"By noon {n1} has {a} + {b} = <<{a}+{b}={s}>>{s} {it}.\n"
               f"With the evening {n1} has {s} + {c} = <<{s}+{c}={d}>>{d} {it}.")
        c = d
    return q, f"{sol}\n#### {c}"


def gsm8k_reasoning(answer):
    """The suite's exemplar text for a GSM8K answer (suites/gsm8k.c solution_reasoning): the text
    before the last "####" without <<...>> notes, lines joined by spaces, a "." after a line that
    ends in a letter or digit."""
    body = answer[:answer.rfind("####")]
    out = []
    for line in body.split("\n"):
        line = re.sub(r"<<[^\n]*?>>", "", line).rstrip(" \t\r")
        if not line:
            continue
        if line[-1].isalnum() and line[-1].isascii():
            line += "."
        out.append(line)
    return " ".join(out)


def gsm8k_final(answer):
    return answer[answer.rfind("####") + 4:].strip()


def gsm8k_shot(q, a):
    return f"Q: {q}\nA: {gsm8k_reasoning(a)} The answer is {gsm8k_final(a)}.\n\n"


def gsm8k_prompt(q, shots=()):
    """The gsm8k suite's completion prompt (suites/gsm8k.c gsm8k_build, no chat)."""
    return "".join(gsm8k_shot(sq, sa) for sq, sa in shots) + f"Q: {q}\nA:"


def gsm8k_completion(a):
    return f" {gsm8k_reasoning(a)} The answer is {gsm8k_final(a)}."

# ------------------------------------------------------------------ code (HumanEval format)

NUM_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
P_NUM = ["x", "n", "value", "num"]
P_LIST = ["xs", "items", "nums", "values"]
P_STR = ["s", "text", "word"]
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _code_templates():
    """(kind, function-name maker, parameter pool, docstring, body, sample-argument maker).
    Each maker takes (r, k, ch) with k a digit constant and ch a letter."""
    T = []

    def t(names, pool, doc, body, args):
        T.append((names, pool, doc, body, args))
    ints = lambda r: [r.randint(-20, 40) for _ in range(4)]
    lists = lambda r: [[r.randint(-5, 15) for _ in range(r.randint(0, 6))] for _ in range(4)]
    strs = lambda r: ["".join(r.choice("abcdeklmnorst") for _ in range(r.randint(0, 7)))
                      for _ in range(4)]
    t(lambda k: [f"add_{NUM_WORDS[k]}", f"plus_{k}"], P_NUM, "Return {p} plus {k}.",
      "return {p} + {k}", ints)
    t(lambda k: [f"subtract_{NUM_WORDS[k]}", f"minus_{k}"], P_NUM, "Return {p} minus {k}.",
      "return {p} - {k}", ints)
    t(lambda k: [f"times_{NUM_WORDS[k]}", f"multiply_by_{k}"], P_NUM, "Return {p} times {k}.",
      "return {p} * {k}", ints)
    t(lambda k: [f"is_multiple_of_{NUM_WORDS[k]}", f"divisible_by_{k}"], P_NUM,
      "Return True when {p} is a multiple of {k}.", "return {p} % {k} == 0", ints)
    t(lambda k: [f"is_above_{NUM_WORDS[k]}", f"greater_than_{k}"], P_NUM,
      "Return True when {p} is greater than {k}.", "return {p} > {k}", ints)
    t(lambda k: [f"count_above_{NUM_WORDS[k]}", f"count_greater_{k}"], P_LIST,
      "Return how many items of {p} are greater than {k}.",
      "return sum(1 for x in {p} if x > {k})", lists)
    t(lambda k: [f"keep_above_{NUM_WORDS[k]}", f"filter_greater_{k}"], P_LIST,
      "Return the items of {p} that are greater than {k}.",
      "return [x for x in {p} if x > {k}]", lists)
    t(lambda k: [f"scale_by_{NUM_WORDS[k]}", f"each_times_{k}"], P_LIST,
      "Return a list with each item of {p} times {k}.", "return [x * {k} for x in {p}]", lists)
    t(lambda k: [f"shift_by_{NUM_WORDS[k]}", f"each_plus_{k}"], P_LIST,
      "Return a list with {k} added to each item of {p}.", "return [x + {k} for x in {p}]", lists)
    t(lambda k: [f"first_{NUM_WORDS[k]}", f"take_{k}"], P_LIST,
      "Return the first {k} items of {p}.", "return {p}[:{k}]", lists)
    t(lambda k: [f"repeat_{NUM_WORDS[k]}", f"repeat_{k}_times"], P_STR,
      "Return {p} repeated {k} times.", "return {p} * {k}", strs)
    t(lambda k: [f"count_letter_{NUM_WORDS[k]}", f"count_char_{k}"], P_STR,
      "Return how many times '{c}' appears in {p}.", "return {p}.count('{c}')", strs)
    t(lambda k: [f"starts_with_letter_{NUM_WORDS[k]}", f"starts_with_{k}"], P_STR,
      "Return True when {p} starts with '{c}'.", "return {p}.startswith('{c}')", strs)
    t(lambda k: [f"ends_with_letter_{NUM_WORDS[k]}", f"ends_with_{k}"], P_STR,
      "Return True when {p} ends with '{c}'.", "return {p}.endswith('{c}')", strs)
    t(lambda k: [f"add_{NUM_WORDS[k]}_then_double", f"plus_{k}_doubled"], P_NUM,
      "Return {p} plus {k}, times two.", "return ({p} + {k}) * 2", ints)
    return T


CODE_TEMPLATES = _code_templates()


def code_item(r):
    """One HumanEval-format task (dict with task_id missing)."""
    ti = r.randrange(len(CODE_TEMPLATES))
    names, pool, doc, body, args = CODE_TEMPLATES[ti]
    k = r.randint(2, 9)
    name = r.choice(names(k))
    p = r.choice(pool)
    ch = r.choice("aeiorst")
    d = doc.format(p=p, k=k, c=ch)
    b = "    " + body.format(p=p, k=k, c=ch) + "\n"
    prompt = f"def {name}({p}):\n    \"\"\"{d}\n    \"\"\"\n"
    ns = {}
    exec(prompt + b, ns)
    fn = ns[name]
    vals = args(r)
    if ch and pool is P_STR:      # make sure the letter is tested both ways
        vals[0] = ch + vals[0]
        vals[1] = vals[1].replace(ch, "")
    test = "def check(candidate):\n" + "".join(
        f"    assert candidate({v!r}) == {fn(v)!r}\n" for v in vals)
    return dict(prompt=prompt, canonical_solution=b, test=test, entry_point=name)

# ------------------------------------------------------------------ needle (suites/needle.c)

W_SUBJ = ["The old miller", "A quiet river", "The village baker", "Every autumn wind",
          "The young sailor", "A grey heron", "The night watchman", "The patient teacher",
          "A wandering merchant", "The lighthouse keeper", "An orchard gardener", "The stone bridge"]
W_VERB = ["carried", "watched", "remembered", "painted", "followed", "mended", "gathered",
          "counted", "described", "passed"]
W_OBJ = ["the small boats", "a basket of apples", "the long shadows", "three copper coins",
         "the morning fog", "a letter from the coast", "the broken fence", "the summer fields",
         "a lantern of brass", "the names of the hills"]
W_TAIL = ["before the market opened", "while the bells rang", "near the northern gate",
          "under a pale sky", "as the tide came in", "without saying a word", "long after supper",
          "beside the cold stream"]
KEY_A = ["amber", "silent", "crimson", "northern", "velvet", "hollow", "bright", "frozen"]
KEY_B = ["harbor", "falcon", "meadow", "lantern", "quarry", "willow", "comet", "garden"]
NEEDLE_INTRO = ("Below is a long text with some special facts hidden in it. Read it, then answer "
                "the question after it.\n\n")
M64 = (1 << 64) - 1


def mix(st):
    """suites/needle.c mix(): splitmix64 over a one-element list holding the state."""
    st[0] = (st[0] + 0x9e3779b97f4a7c15) & M64
    z = st[0]
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


def suite_haystack(seed, want_bytes):
    """The needle suite's generated haystack (hay_generate): a list of sentences, each ending ' '."""
    st = [(seed ^ 0x6e6565646c65) & M64]
    out, n = [], 0
    while n < want_bytes:
        s = (W_SUBJ[mix(st) % 12] + " " + W_VERB[mix(st) % 10] + " " + W_OBJ[mix(st) % 10] + " " +
             W_TAIL[mix(st) % 8] + ". ")
        out.append(s)
        n += len(s)
    return out


def suite_needle_item(variant, seed):
    """(needles, question, expected) as suites/needle.c make_item builds them (single, multikey)."""
    st = [seed & M64]

    def key():
        return f"{KEY_A[mix(st) % 8]}-{KEY_B[mix(st) % 8]}-{mix(st) % 90 + 10}"
    k = key()
    val = str(mix(st) % 9000000 + 1000000)
    needles = [f"The special magic number for {k} is: {val}."]
    if variant == "multikey":
        for _ in range(3):
            o = key()
            while o == k:
                o = key()
            needles.append(f"The special magic number for {o} is: {mix(st) % 9000000 + 1000000}.")
    return needles, f"What is the special magic number for {k}? Answer with the number only.", val


def needle_prompt(sentences, n_sent, depth_pct, needles, question):
    """suites/needle.c assemble()."""
    def pos(k):
        d = depth_pct / 100.0
        if k:
            d = d + (1.0 - d) * k / len(needles)
        return int(d * n_sent + 0.5)
    parts = [NEEDLE_INTRO]
    for s in range(n_sent + 1):
        for k in range(len(needles)):
            if pos(k) == s:
                parts.append(needles[k] + " ")
        if s < n_sent:
            parts.append(sentences[s])
    parts.append("\n\nQuestion: " + question + "\nAnswer:")
    return "".join(parts)


def needle_train_item(r, tok_per_sent_budget):
    """A needle prompt with a random haystack of tok_per_sent_budget sentences, in the suite's
    format (the suite's own PRNG for the key and value, seeded from r)."""
    variant = "multikey" if r.random() < 0.2 else "single"
    needles, question, val = suite_needle_item(variant, r.getrandbits(64))
    sentences = [f"{r.choice(W_SUBJ)} {r.choice(W_VERB)} {r.choice(W_OBJ)} {r.choice(W_TAIL)}. "
                 for _ in range(tok_per_sent_budget)]
    depth = r.choice([0, 11, 22, 33, 44, 50, 56, 67, 78, 89, 100, r.randint(0, 100)])
    return needle_prompt(sentences, len(sentences), depth, needles, question), " " + val

# ------------------------------------------------------------------ vocabulary

SPACE = "\u2581"
CHARS = [SPACE] + [chr(c) for c in range(0x21, 0x7F)]


def vocab_corpus(r, n):
    """Sample text of every kind, for choosing the word pieces."""
    out = []
    for _ in range(n):
        q, a = arith_item(r)
        out.append(gsm8k_prompt(q) + gsm8k_completion(a))
        c = code_item(r)
        out.append(c["prompt"] + c["canonical_solution"])
    # needle documents are few but long; enough of them that the introduction, the question and
    # the keys' words become pieces (a prompt spelled letter by letter wastes the short contexts)
    for _ in range(60):
        out.append(needle_train_item(r, 4)[0])
    return out


def build_vocab():
    """[(piece, score, type)] — type 1 normal, 2 unknown, 3 control, 6 byte (GGUF token types).
    Word pieces are every prefix (2+ characters) of each frequent word as it appears after SPM's
    space escaping ("▁word" or "word", and for code the bare form too), scored by length so longer pieces merge first; digits stay
    single tokens. Pieces never hold "▁" after a letter, so the engine's merge can be cut at each
    "▁" that follows a non-"▁" (see Tokenizer)."""
    r = random.Random(7)
    counts, code_words = {}, set()
    for i, text in enumerate(vocab_corpus(r, 3000)):
        esc = SPACE + text.replace(" ", SPACE)
        for m in re.finditer(SPACE + "?[A-Za-z_]+", esc):
            counts[m.group(0)] = counts.get(m.group(0), 0) + 1
            if i % 2:
                code_words.add(m.group(0))
    words = sorted((w for w, c in counts.items() if c >= 4 and len(w) >= 2),
                   key=lambda w: (-counts[w], w))[:900]
    pieces = set()
    for w in words:
        # code words also bare, for words after indentation or "("
        for f in ({w, w.lstrip(SPACE)} if w in code_words else {w}):
            for i in range(2, len(f) + 1):
                pieces.add(f[:i])
    for i in range(2, 9):
        pieces.add(SPACE * i)
    pieces.update(['""', '"""', "==", "):", "()", "['", "']", "[]"])
    v = [("<unk>", 0.0, 2), ("<s>", 0.0, 3), ("</s>", 0.0, 3)]
    v += [(f"<0x{b:02X}>", 0.0, 6) for b in range(256)]
    v += [(c, -1.0, 1) for c in CHARS]
    v += [(p, float(len(p)), 1) for p in sorted(pieces, key=lambda p: (len(p), p))
          if p not in CHARS]
    return v


_PC = "A-Za-z_\"=():\\[\\]'"
_CHUNK = re.compile(SPACE + "+[" + _PC + "]*|[" + _PC + "]+|.", re.S)


class Tokenizer:
    """The engine's SPM tokenizer (engine/vocab.c spm_encode) for this vocabulary: a leading "▁",
    spaces as "▁", repeated merging of the adjacent pair that is a piece with the highest score
    (ties: leftmost), then byte fallback for symbols that are no piece. BOS = 1, EOS = 2."""

    def __init__(self, vocab):
        self.vocab = vocab
        self.ids = {p: i for i, (p, _, t) in enumerate(vocab)}
        self.score = {p: struct.unpack("f", struct.pack("f", s))[0] for p, s, _ in vocab}
        self.byte = [self.ids[f"<0x{b:02X}>"] for b in range(256)]
        self.cache = {}
        self.n = len(vocab)

    def _merge(self, w):
        """Exact spm_encode over the escaped text w (list of ids)."""
        sym = []
        for ch in w:
            sym.append([ch, True])   # text, alive
        prev = list(range(-1, len(w) - 1))
        nxt = list(range(1, len(w) + 1))
        if nxt:
            nxt[-1] = -1
        heap = []

        def tr(l, r):
            if l < 0 or r < 0:
                return
            t = sym[l][0] + sym[r][0]
            if t in self.score:
                heapq.heappush(heap, (-self.score[t], l, r, len(t)))
        for i in range(1, len(w)):
            tr(i - 1, i)
        while heap:
            _, l, r, n = heapq.heappop(heap)
            if not sym[l][0] or not sym[r][0] or len(sym[l][0]) + len(sym[r][0]) != n:
                continue
            sym[l][0] += sym[r][0]
            sym[r][0] = ""
            nxt[l] = nxt[r]
            if nxt[r] >= 0:
                prev[nxt[r]] = l
            tr(prev[l], l)
            tr(l, nxt[l])
        out = []
        i = 0 if w else -1
        while i >= 0:
            t = sym[i][0]
            if t in self.ids:
                out.append(self.ids[t])
            else:
                out.extend(self.byte[b] for b in t.encode("utf-8"))
            i = nxt[i]
        return out

    def encode(self, text, bos=True, prefix=True, exact=False):
        """Token ids of text as eng_tokenize(add_special=bos) gives them; prefix=False leaves out
        the leading "▁" (a continuation of earlier text). exact=True runs the merge over the whole
        text at once instead of the cached chunks (the same result; used to check that)."""
        esc = (SPACE if prefix else "") + text.replace(" ", SPACE)
        out = [1] if bos else []
        if not text:      # the engine has no fragment to escape, so no "▁" either
            return out
        if exact:
            return out + self._merge(esc)
        # Chunks: cut before each "▁" that follows a non-"▁" and around every character that is
        # in no multi-character piece (digits, "\n", most punctuation); no piece spans a cut.
        for m in _CHUNK.finditer(esc):
            c = m.group(0)
            if not c:
                continue
            ids = self.cache.get(c)
            if ids is None:
                ids = self._merge(c)
                if len(self.cache) < 500000:
                    self.cache[c] = ids
            out += ids
        return out

    def decode(self, ids):
        bs = bytearray()
        for i in ids:
            p, _, t = self.vocab[i]
            if t == 6:
                bs.append(int(p[3:5], 16))
            elif t == 1:
                bs += p.replace(SPACE, " ").encode("utf-8")
        return bs.decode("utf-8", "replace")

# ------------------------------------------------------------------ held-out sets


def heldout(seed=EVAL_SEED, n_arith=40, n_code=30, n_train_shots=64):
    """The evaluation sets: gsm8k items, a gsm8k train file for few-shot exemplars, HumanEval
    tasks. Items are unique; the training stream leaves every one of them out."""
    r = random.Random(seed)
    arith, seen = [], set()
    while len(arith) < n_arith:
        q, a = arith_item(r)
        if q not in seen:
            seen.add(q)
            arith.append(dict(task_id=f"tiny-arith/{len(arith)}", question=q, answer=a))
    shots = []
    while len(shots) < n_train_shots:
        q, a = arith_item(r)
        if q not in seen:
            seen.add(q)
            shots.append(dict(task_id=f"tiny-arith-train/{len(shots)}", question=q, answer=a))
    code, cseen = [], set()
    while len(code) < n_code:
        c = code_item(r)
        key = c["prompt"]
        if key not in cseen:
            cseen.add(key)
            code.append(dict(task_id=f"tiny-code/{len(code)}", **c))
    return arith, shots, code


# The training mix: shares of documents by kind, and needle haystack sizes as (share, min, max)
# sentences. Short needle documents (a few sentences) are packed with the other short documents
# and give many retrievals per step; long ones (up to about 600 tokens) teach the positions of
# the suite's 256- and 512-token prompts.
TRAIN_MIX = dict(arith=0.45, code=0.25, needle=0.30,
                 needle_sentences=[[0.5, 0, 8], [0.25, 8, 24], [0.25, 24, 46]])


def train_stream(seed, exclude_q, exclude_code, mix=None):
    """Endless (kind, prompt, completion) training documents; kind is arith, code or needle."""
    m = mix or TRAIN_MIX
    r = random.Random(seed)
    while True:
        u = r.random()
        if u < m["arith"]:
            q, a = arith_item(r)
            if q in exclude_q:
                continue
            shots = []
            k = r.choice([0, 0, 0, 0, 0, 1, 2, 3])
            while len(shots) < k:
                sq, sa = arith_item(r)
                if sq not in exclude_q and sq != q:
                    shots.append((sq, sa))
            yield "arith", gsm8k_prompt(q, shots), gsm8k_completion(a)
        elif u < m["arith"] + m["code"]:
            c = code_item(r)
            if c["prompt"] in exclude_code:
                continue
            yield "code", c["prompt"], c["canonical_solution"]
        else:
            v, n = r.random(), 0
            for share, lo, hi in m["needle_sentences"]:
                n = r.randint(lo, hi)
                if v < share:
                    break
                v -= share
            p, comp = needle_train_item(r, n)
            yield "needle", p, comp


def write_jsonl(path, rows):
    with open(path, "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen-tiny-data.py DATASET_DIR FIXTURE_DIR")
    ddir, fdir = sys.argv[1], sys.argv[2]
    os.makedirs(ddir, exist_ok=True)
    os.makedirs(fdir, exist_ok=True)
    arith, shots, code = heldout()
    write_jsonl(os.path.join(ddir, "arith.jsonl"), arith)
    write_jsonl(os.path.join(ddir, "arith-train.jsonl"), shots)
    write_jsonl(os.path.join(ddir, "code.jsonl"), code)
    # The quality text: held-out documents of the three kinds, as plain text.
    r = random.Random(EVAL_SEED + 1)
    parts = []
    for i in range(24):
        q, a = arith_item(r)
        parts.append(gsm8k_prompt(q) + gsm8k_completion(a) + "\n\n")
        c = code_item(r)
        parts.append(c["prompt"] + c["canonical_solution"] + "\n\n")
    p, comp = needle_train_item(r, 40)
    parts.append(p + comp + "\n")
    with open(os.path.join(ddir, "quality.txt"), "w") as f:
        f.write("".join(parts))
    # Tokenizer fixture: texts of every kind (and some odd bytes) with the ids this tokenizer
    # gives; tests/engine/test_tiny_model.c checks the engine gives the same ids.
    tok = Tokenizer(build_vocab())
    r = random.Random(EVAL_SEED + 2)
    rows = []
    stream = train_stream(EVAL_SEED + 3, set(), set())
    for i in range(60):
        kind, pr, comp = next(stream)
        rows.append(pr + comp)
    rows += ["", " ", "  two  spaces ", "tab\there\nnew line", "caf\u00e9 \u2603 \U0001F600", "<s> x",
             "def f(x):\n    return x\n", "a\u2581b"]
    with open(os.path.join(fdir, "tokens.jsonl"), "w") as f:
        for t in rows:
            ids = tok.encode(t)
            assert ids == tok.encode(t, exact=True), t
            f.write(json.dumps(dict(text=t, ids=ids)) + "\n")
    with open(os.path.join(ddir, "MANIFEST.sha256"), "w") as f:
        for name in ["arith.jsonl", "arith-train.jsonl", "code.jsonl", "quality.txt"]:
            with open(os.path.join(ddir, name), "rb") as g:
                f.write(f"{hashlib.sha256(g.read()).hexdigest()}  {name}\n")


if __name__ == "__main__":
    main()
