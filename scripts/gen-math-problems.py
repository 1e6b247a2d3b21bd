#!/usr/bin/env python3
# scripts/gen-math-problems.py — writes datasets/math/problems.jsonl: 40 word problems in the MATH
# format (problem, solution ending in \boxed{}, answer, unique_id, subject, level), written for
# tierbench from templates with seeded numbers; answers are computed here, never typed in.
# Usage: python3 scripts/gen-math-problems.py datasets/math/problems.jsonl
import json, random, sys
from fractions import Fraction

def frac_tex(f):
    f = Fraction(f)
    if f.denominator == 1:
        return str(f.numerator)
    sign = "-" if f < 0 else ""
    return f"{sign}\\frac{{{abs(f.numerator)}}}{{{f.denominator}}}"

rng = random.Random(20261122)
out = []

seen = set()

def add(subject, level, problem, steps, answer):
    """Appends the problem unless the same text is already there; returns 1 when added."""
    if problem in seen:
        return 0
    seen.add(problem)
    out.append(dict(problem=problem, solution=f"{steps} The answer is $\\boxed{{{answer}}}$.",
                    answer=answer, unique_id=f"tb/math/{len(out)}", subject=subject, level=level))
    return 1

made = 0
while made < 8:   # fractions of a quantity
    n = rng.choice([24, 36, 48, 60, 72]); a, b = rng.choice([(1, 3), (1, 4), (2, 3), (3, 4), (1, 6)])
    eaten = n * a // b
    made += add("Prealgebra", 1, f"A baker makes {n} rolls and sells $\\frac{{{a}}}{{{b}}}$ of them before noon. "
        "How many rolls are left?", f"She sells ${n}\\cdot\\frac{{{a}}}{{{b}}} = {eaten}$ rolls, so ${n} - {eaten} = {n - eaten}$ remain.",
        str(n - eaten))
made = 0
while made < 8:   # probability with marbles, as a reduced fraction
    r, bl = rng.randint(2, 6), rng.randint(2, 6)
    p = Fraction(r, r + bl) * Fraction(r - 1, r + bl - 1)
    made += add("Counting & Probability", 2, f"A jar holds {r} red and {bl} blue marbles. Two are drawn without "
        "replacement. What is the probability that both are red? Express your answer as a common fraction.",
        f"The probability is $\\frac{{{r}}}{{{r + bl}}}\\cdot\\frac{{{r - 1}}}{{{r + bl - 1}}} = {frac_tex(p)}$.",
        frac_tex(p))
made = 0
while made < 8:   # linear systems, answer as an ordered pair
    x, y = rng.randint(-5, 9), rng.randint(-5, 9)
    a1, b1, a2, b2 = rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 5), -rng.randint(1, 5)
    c1, c2 = a1 * x + b1 * y, a2 * x + b2 * y
    made += add("Algebra", 3, f"Solve the system ${a1}x + {b1}y = {c1}$ and ${a2}x - {-b2}y = {c2}$. Enter your "
        "answer as an ordered pair $(x, y)$.", f"Eliminating one variable gives $x = {x}$ and then $y = {y}$.",
        f"({x},{y})")
made = 0
while made < 8:   # right triangles and square roots
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    s = a * a + b * b
    k, m = 1, s
    for d in range(9, 1, -1):
        if m % (d * d) == 0:
            k, m = k * d, m // (d * d)
    ans = str(k) if m == 1 else (f"\\sqrt{{{m}}}" if k == 1 else f"{k}\\sqrt{{{m}}}")
    made += add("Geometry", 2, f"A right triangle has legs of length {a} and {b}. What is the length of its "
        "hypotenuse? Express your answer in simplest radical form.",
        f"By the Pythagorean theorem the hypotenuse is $\\sqrt{{{a}^2 + {b}^2}} = \\sqrt{{{s}}} = {ans}$.", ans)
made = 0
while made < 8:   # arithmetic series sums
    a, d, n = rng.randint(1, 20), rng.randint(2, 7), rng.randint(5, 30)
    total = n * (2 * a + (n - 1) * d) // 2
    made += add("Algebra", 2, f"What is the sum of the first {n} terms of the arithmetic sequence that starts "
        f"{a}, {a + d}, {a + 2 * d}, \\ldots?", f"The last term is ${a} + {n - 1}\\cdot{d} = {a + (n - 1) * d}$, so the "
        f"sum is $\\frac{{{n}({a} + {a + (n - 1) * d})}}{{2}} = {total}$.", str(total))
with open(sys.argv[1], "w") as f:
    for o in out:
        f.write(json.dumps(o) + "\n")
print(len(out))
