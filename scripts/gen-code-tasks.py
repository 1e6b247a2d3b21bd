#!/usr/bin/env python3
# scripts/gen-code-tasks.py — writes datasets/code/tasks.jsonl: 20 small Python tasks in the HumanEval
# format (task_id, prompt, canonical_solution, test, entry_point), written for tierbench.
# Usage: python3 scripts/gen-code-tasks.py datasets/code/tasks.jsonl
import json, sys
T = []
def task(name, sig, doc, body, tests):
    prompt = f"{sig}\n    \"\"\"{doc}\n    \"\"\"\n"
    test = "def check(candidate):\n" + "".join(f"    assert {t}\n" for t in tests)
    T.append(dict(task_id=f"tb/{len(T)}", prompt=prompt, canonical_solution=body, test=test, entry_point=name))

task("clamp", "def clamp(x, lo, hi):", "Return x limited to the closed range [lo, hi].",
     "    return max(lo, min(hi, x))\n",
     ["candidate(5, 0, 10) == 5", "candidate(-3, 0, 10) == 0", "candidate(12, 0, 10) == 10", "candidate(2.5, 2.5, 2.5) == 2.5"])
task("count_words", "def count_words(text):", "Return how many whitespace-separated words text has.",
     "    return len(text.split())\n",
     ["candidate('') == 0", "candidate('one') == 1", "candidate('  a  b\\tc\\n') == 3"])
task("is_palindrome", "def is_palindrome(s):", "True when s reads the same backwards, ignoring case and anything\n    that is not a letter or digit.",
     "    t = [c.lower() for c in s if c.isalnum()]\n    return t == t[::-1]\n",
     ["candidate('Never odd or even')", "not candidate('abc')", "candidate('')", "candidate('Was it a car or a cat I saw?')"])
task("running_max", "def running_max(xs):", "Return the list whose i-th item is the largest of xs[0..i].",
     "    out, best = [], None\n    for x in xs:\n        best = x if best is None or x > best else best\n        out.append(best)\n    return out\n",
     ["candidate([]) == []", "candidate([3, 1, 4, 1, 5]) == [3, 3, 4, 4, 5]", "candidate([-2, -5]) == [-2, -2]"])
task("digit_sum", "def digit_sum(n):", "Sum of the decimal digits of the integer n (its sign is ignored).",
     "    return sum(int(d) for d in str(abs(n)))\n",
     ["candidate(0) == 0", "candidate(1234) == 10", "candidate(-909) == 18"])
task("chunk", "def chunk(xs, size):", "Split the list xs into consecutive lists of length size; the last\n    one may be shorter.",
     "    return [xs[i:i + size] for i in range(0, len(xs), size)]\n",
     ["candidate([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]", "candidate([], 3) == []", "candidate([1], 1) == [[1]]"])
task("caesar", "def caesar(text, k):", "Shift each ASCII letter of text k places through the alphabet,\n    keeping case; other characters stay as they are.",
     "    out = []\n    for c in text:\n        if 'a' <= c <= 'z':\n            out.append(chr((ord(c) - 97 + k) % 26 + 97))\n        elif 'A' <= c <= 'Z':\n            out.append(chr((ord(c) - 65 + k) % 26 + 65))\n        else:\n            out.append(c)\n    return ''.join(out)\n",
     ["candidate('abc', 1) == 'bcd'", "candidate('Zz!', 1) == 'Aa!'", "candidate('hello', -26) == 'hello'", "candidate('Hi', 27) == 'Ij'"])
task("gcd_list", "def gcd_list(xs):", "Greatest common divisor of a non-empty list of positive integers.",
     "    g = xs[0]\n    for x in xs[1:]:\n        while x:\n            g, x = x, g % x\n    return g\n",
     ["candidate([12]) == 12", "candidate([12, 18, 30]) == 6", "candidate([7, 13]) == 1"])
task("roman", "def roman(n):", "Roman numeral for 1 <= n <= 3999, using subtractive pairs like IV.",
     "    vals = [(1000, 'M'), (900, 'CM'), (500, 'D'), (400, 'CD'), (100, 'C'), (90, 'XC'),\n            (50, 'L'), (40, 'XL'), (10, 'X'), (9, 'IX'), (5, 'V'), (4, 'IV'), (1, 'I')]\n    out = ''\n    for v, s in vals:\n        while n >= v:\n            out += s\n            n -= v\n    return out\n",
     ["candidate(1) == 'I'", "candidate(4) == 'IV'", "candidate(1994) == 'MCMXCIV'", "candidate(3999) == 'MMMCMXCIX'"])
task("flatten", "def flatten(xs):", "Flatten arbitrarily nested lists into one list, keeping order.",
     "    out = []\n    for x in xs:\n        if isinstance(x, list):\n            out.extend(flatten(x))\n        else:\n            out.append(x)\n    return out\n",
     ["candidate([]) == []", "candidate([1, [2, [3, [4]]], 5]) == [1, 2, 3, 4, 5]", "candidate([[], [[]]]) == []"])
task("most_common_char", "def most_common_char(s):", "The character occurring most often in the non-empty string s; on a\n    tie, the one that occurs first.",
     "    counts = {}\n    for c in s:\n        counts[c] = counts.get(c, 0) + 1\n    best = max(counts.values())\n    for c in s:\n        if counts[c] == best:\n            return c\n",
     ["candidate('a') == 'a'", "candidate('abbc') == 'b'", "candidate('xyyx') == 'x'"])
task("merge_sorted", "def merge_sorted(a, b):", "Merge two ascending lists into one ascending list.",
     "    i = j = 0\n    out = []\n    while i < len(a) and j < len(b):\n        if a[i] <= b[j]:\n            out.append(a[i]); i += 1\n        else:\n            out.append(b[j]); j += 1\n    return out + a[i:] + b[j:]\n",
     ["candidate([], []) == []", "candidate([1, 4], [2, 3, 5]) == [1, 2, 3, 4, 5]", "candidate([1, 1], [1]) == [1, 1, 1]"])
task("is_prime", "def is_prime(n):", "True when the integer n is a prime number.",
     "    if n < 2:\n        return False\n    i = 2\n    while i * i <= n:\n        if n % i == 0:\n            return False\n        i += 1\n    return True\n",
     ["not candidate(1)", "candidate(2)", "candidate(97)", "not candidate(91)", "not candidate(-7)"])
task("word_lengths", "def word_lengths(sentence):", "Map each distinct word of sentence (split on spaces) to its length.",
     "    return {w: len(w) for w in sentence.split()}\n",
     ["candidate('') == {}", "candidate('a bb a') == {'a': 1, 'bb': 2}"])
task("binary_search", "def binary_search(xs, target):", "Index of target in the ascending list xs, or -1 when absent.",
     "    lo, hi = 0, len(xs) - 1\n    while lo <= hi:\n        mid = (lo + hi) // 2\n        if xs[mid] == target:\n            return mid\n        if xs[mid] < target:\n            lo = mid + 1\n        else:\n            hi = mid - 1\n    return -1\n",
     ["candidate([], 3) == -1", "candidate([1, 3, 5, 7], 5) == 2", "candidate([1, 3, 5, 7], 4) == -1", "candidate([2], 2) == 0"])
task("transpose", "def transpose(m):", "Transpose a rectangular matrix given as a list of rows.",
     "    return [list(r) for r in zip(*m)]\n",
     ["candidate([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]", "candidate([[7]]) == [[7]]"])
task("compress", "def compress(s):", "Run-length encode s: each run becomes the character followed by the\n    run's length, e.g. 'aaab' -> 'a3b1'.",
     "    out = []\n    i = 0\n    while i < len(s):\n        j = i\n        while j < len(s) and s[j] == s[i]:\n            j += 1\n        out.append(s[i] + str(j - i))\n        i = j\n    return ''.join(out)\n",
     ["candidate('') == ''", "candidate('aaab') == 'a3b1'", "candidate('abc') == 'a1b1c1'", "candidate('zzzzzzzzzzzz') == 'z12'"])
task("second_smallest", "def second_smallest(xs):", "The second smallest distinct value of xs, or None when there is none.",
     "    v = sorted(set(xs))\n    return v[1] if len(v) > 1 else None\n",
     ["candidate([3, 1, 2]) == 2", "candidate([5, 5]) is None", "candidate([]) is None", "candidate([-1, -1, 0]) == 0"])
task("balanced", "def balanced(s):", "True when the brackets ()[]{} in s are balanced and properly nested;\n    other characters are ignored.",
     "    pairs = {')': '(', ']': '[', '}': '{'}\n    stack = []\n    for c in s:\n        if c in '([{':\n            stack.append(c)\n        elif c in pairs:\n            if not stack or stack.pop() != pairs[c]:\n                return False\n    return not stack\n",
     ["candidate('')", "candidate('a(b[c]{d})')", "not candidate('(]')", "not candidate('((')", "not candidate(')(')"])
task("fizzbuzz", "def fizzbuzz(n):", "The list for 1..n where multiples of 3 are 'Fizz', of 5 'Buzz', of both\n    'FizzBuzz', and other numbers their decimal text.",
     "    out = []\n    for i in range(1, n + 1):\n        s = ('Fizz' if i % 3 == 0 else '') + ('Buzz' if i % 5 == 0 else '')\n        out.append(s or str(i))\n    return out\n",
     ["candidate(0) == []", "candidate(5) == ['1', '2', 'Fizz', '4', 'Buzz']", "candidate(15)[-1] == 'FizzBuzz'"])
with open(sys.argv[1], "w") as f:
    for t in T:
        f.write(json.dumps(t) + "\n")
print(len(T))
