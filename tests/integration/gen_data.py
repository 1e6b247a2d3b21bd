#!/usr/bin/env python3
"""Writes a GSM8K-format dataset of simple word problems and a samples file of answers to it,
for the integration tests. Deterministic: the same arguments give the same files.
usage: gen_data.py DATASET.jsonl SAMPLES.jsonl N_ITEMS N_SAMPLES"""
import json
import random
import sys

def main():
    ds_path, smp_path, n, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(20261122)
    with open(ds_path, "w") as ds, open(smp_path, "w") as sm:
        for i in range(n):
            a, b = rng.randint(2, 900), rng.randint(2, 900)
            q = f"Mira has {a} stickers and buys {b} more. How many stickers does she have now?"
            ans = f"She has {a} + {b} = <<{a}+{b}={a+b}>>{a+b} stickers.\n#### {a+b}"
            ds.write(json.dumps({"question": q, "answer": ans}) + "\n")
            for s in range(k):
                r = rng.random()
                if r < 0.6:
                    c = f"She starts with {a} and adds {b}, so {a} + {b} = {a+b:,}. The answer is {a+b}."
                elif r < 0.8:
                    c = f"{a} + {b} = {a+b}, so she has ${a+b:,}.00 worth"  # flexible only
                else:
                    c = f"She has {a} - {b} = {a-b}. The answer is {a-b}."
                sm.write(json.dumps({"task_id": i, "completion": c}) + "\n")

if __name__ == "__main__":
    main()
