#!/usr/bin/env python3
"""Writes tierbench's built-in GSM8K-format set of grade-school word problems
(datasets/demo/arith.jsonl), written by this script: `task_id`, `question`, `answer` with
GSM8K's <<a+b=c>> notes and a final "#### N". Deterministic: the seed below fixes the file.
usage: gen-demo-data.py OUT_DIR"""
import json
import os
import random
import sys

SEED = 20261122
N = 120
NAMES = ["Ada", "Bram", "Chen", "Dara", "Eli", "Farah", "Goran", "Hana", "Ivo", "Juno"]

def problem(rng):
    kind = rng.randrange(4)
    who = rng.choice(NAMES)
    if kind == 0:
        a, b, c = rng.randint(3, 40), rng.randint(2, 30), rng.randint(1, 20)
        q = f"{who} picks {a} apples in the morning and {b} in the afternoon, then gives {c} to a neighbour. How many apples does {who} have left?"
        steps = [f"{who} picks {a} + {b} = <<{a}+{b}={a+b}>>{a+b} apples.",
                 f"After giving {c} away, {who} has {a+b} - {c} = <<{a+b}-{c}={a+b-c}>>{a+b-c} apples."]
        return q, steps, a + b - c
    if kind == 1:
        n, p = rng.randint(2, 12), rng.randint(3, 25)
        q = f"A notebook costs ${p}. {who} buys {n} notebooks. How many dollars does {who} spend?"
        steps = [f"{n} notebooks cost {n} * {p} = <<{n}*{p}={n*p}>>{n*p} dollars."]
        return q, steps, n * p
    if kind == 2:
        per, boxes, extra = rng.randint(4, 24), rng.randint(3, 15), rng.randint(1, 9)
        q = f"Each box holds {per} pencils. {who} fills {boxes} boxes and has {extra} pencils left over. How many pencils did {who} start with?"
        steps = [f"The boxes hold {boxes} * {per} = <<{boxes}*{per}={boxes*per}>>{boxes*per} pencils.",
                 f"With the leftovers that is {boxes*per} + {extra} = <<{boxes*per}+{extra}={boxes*per+extra}>>{boxes*per+extra} pencils."]
        return q, steps, boxes * per + extra
    total, parts = rng.randint(2, 30) * 4, 4
    spent = rng.randint(1, 3)
    q = f"{who} has ${total} and spends {spent} quarters of it on a game. How many dollars does {who} have left?"
    quarter = total // parts
    steps = [f"One quarter of {total} is {total} / 4 = <<{total}/4={quarter}>>{quarter} dollars.",
             f"{who} spends {spent} * {quarter} = <<{spent}*{quarter}={spent*quarter}>>{spent*quarter} dollars.",
             f"So {total} - {spent*quarter} = <<{total}-{spent*quarter}={total-spent*quarter}>>{total-spent*quarter} dollars are left."]
    return q, steps, total - spent * quarter

def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "datasets/demo"
    os.makedirs(out, exist_ok=True)
    rng = random.Random(SEED)
    items = [problem(rng) for _ in range(N)]
    with open(os.path.join(out, "arith.jsonl"), "w") as f:
        for i, (q, steps, ans) in enumerate(items):
            f.write(json.dumps({"task_id": f"arith/{i}", "question": q,
                                "answer": "\n".join(steps) + f"\n#### {ans}"}) + "\n")

if __name__ == "__main__":
    main()
