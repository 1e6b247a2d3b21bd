/* suites/math.c — competition math in the MATH format (`math500`, `math`): Minerva-style 4-shot
 * prompts ("Problem: / Solution: ... Final Answer: The final answer is X. I hope it is correct.")
 * with exemplars written for this project, or 0-shot chat prompts asking for \boxed{}; extraction
 * of the last \boxed{} / \fbox{} (nested braces) or "The final answer is X"; and answer
 * equivalence: LaTeX normalisation, then element-wise comparison of tuples, intervals, sets and
 * matrices, and numeric comparison through a small evaluator (fractions, decimals, roots, pi,
 * powers; letters become fixed sample values, so 2k+2 equals 2+2k). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "suites/suite_impl.h"

/* Nesting bound of the normaliser and the evaluator, so hostile input cannot exhaust the stack. */
#define MATH_MAX_DEPTH 200

/* ------------------------------------------------------------------ extraction */

/* The brace group starting at s[0] == '{': returns the index just past its '}', or 0. */
static size_t brace_end(const char *s)
{
	int depth = 0;
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '\\' && s[i + 1]) {
			i++;
			continue;
		}
		if (s[i] == '{')
			depth++;
		else if (s[i] == '}' && --depth == 0)
			return i + 1;
	}
	return 0;
}

static char *dup_n(const char *s, size_t n)
{
	char *o = malloc(n + 1);
	if (o) {
		memcpy(o, s, n);
		o[n] = 0;
	}
	return o;
}

char *suite_math_extract(const char *text)
{
	const char *best = NULL, *p;
	size_t best_len = 0;
	static const char *const tags[] = { "\\boxed", "\\fbox" };

	if (!text)
		return NULL;
	for (size_t t = 0; t < 2; t++)
		for (p = text; (p = strstr(p, tags[t])); p++) {
			const char *q = p + strlen(tags[t]);
			size_t e;
			if (*q == '{' && (e = brace_end(q))) {
				if (!best || p > best - 1) {
					best = q + 1;
					best_len = e - 2;
				}
			} else if (*q == ' ') {
				/* "\boxed 5": up to the next space or '$'. */
				size_t n;
				q++;
				n = strcspn(q, " $\n");
				if (n && (!best || p > best - 1)) {
					best = q;
					best_len = n;
				}
			}
		}
	if (best)
		return dup_n(best, best_len);
	/* "The final answer is X" (Minerva's format), X up to ". I hope" or the line's end. */
	{
		const char *last = NULL;
		for (p = text; (p = strstr(p, "inal answer is")); p++)
			last = p;
		if (last) {
			const char *a = last + strlen("inal answer is"), *end;
			while (*a == ' ' || *a == ':')
				a++;
			end = a + strcspn(a, "\n");
			{
				const char *h = strstr(a, ". I hope");
				if (h && h < end)
					end = h;
			}
			while (end > a && (end[-1] == '.' || end[-1] == ' '))
				end--;
			if (end - a >= 2 && a[0] == '$' && end[-1] == '$') {
				a++;
				end--;
			}
			if (end > a)
				return dup_n(a, (size_t)(end - a));
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ normalisation */

/* Replaces every occurrence of from with to in *s (in place when not longer). Returns 0 or -1. */
static int replace_all(char **s, const char *from, const char *to)
{
	tb_buf b = { 0 };
	const char *p = *s, *q;
	size_t fl = strlen(from);
	if (!strstr(*s, from))
		return 0;
	while ((q = strstr(p, from))) {
		tb_buf_add(&b, p, (size_t)(q - p));
		tb_buf_adds(&b, to);
		p = q + fl;
	}
	tb_buf_adds(&b, p);
	free(*s);
	*s = tb_buf_detach(&b, NULL);
	return *s ? 0 : -1;
}

/* \text{X}, \textbf{X}, \mathrm{X}, \mbox{X} -> X. */
static int unwrap_commands(char **s)
{
	static const char *const cmds[] = { "\\text", "\\textbf", "\\mathrm", "\\mbox", "\\mathbf" };
	for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
		char *p;
		size_t cl = strlen(cmds[c]);
		while ((p = strstr(*s, cmds[c])) && p[cl] == '{') {
			size_t e = brace_end(p + cl);
			if (!e)
				break;
			/* drop the command and its braces, keep the inside */
			memmove(p + cl + e - 1, p + cl + e, strlen(p + cl + e) + 1);
			memmove(p, p + cl + 1, strlen(p + cl + 1) + 1);
		}
	}
	return 0;
}

/* "_{8}" -> "_8": a one-character subscript in braces, as a base is written both ways. */
static int unbrace_subscripts(char *s)
{
	char *p = s;
	while ((p = strstr(p, "_{"))) {
		if (isalnum((unsigned char)p[2]) && p[3] == '}') {
			p[1] = p[2];
			memmove(p + 2, p + 4, strlen(p + 4) + 1);
		}
		p++;
	}
	return 0;
}

/* Unit words an answer may carry after its number. */
static const char *const unit_words[] = {
	"degrees", "degree", "units", "unit", "square", "sq", "cm", "centimeters", "meters", "m",
	"inches", "inch", "feet", "foot", "ft", "miles", "mph", "dollars", "cents", "hours", "hour",
	"minutes", "seconds", "days", "years", "pounds", "km", "kg", "grams", "liters", "ways",
};

static void strip_units(char *s)
{
	for (int again = 1; again;) {
		size_t n = strlen(s);
		again = 0;
		while (n && s[n - 1] == ' ')
			s[--n] = 0;
		for (size_t u = 0; u < sizeof unit_words / sizeof unit_words[0]; u++) {
			size_t ul = strlen(unit_words[u]);
			if (n > ul && strcmp(s + n - ul, unit_words[u]) == 0 &&
			    (s[n - ul - 1] == ' ' || isdigit((unsigned char)s[n - ul - 1]) ||
			     s[n - ul - 1] == '}')) {
				s[n - ul] = 0;
				again = 1;
				break;
			}
			/* "^2" of square units */
		}
	}
}

/* \frac12 -> \frac{1}{2}, \sqrt2 -> \sqrt{2}: single-character arguments get braces, inside
 * groups too. Appends the result for s[0..len) to b. */
static void brace_args_into(const char *s, size_t len, tb_buf *b, int depth)
{
	size_t i = 0;
	if (depth > MATH_MAX_DEPTH) {   /* deeper nesting is copied as it is */
		tb_buf_add(b, s, len);
		return;
	}
	while (i < len) {
		int nargs = len - i >= 5 && strncmp(s + i, "\\frac", 5) == 0 ? 2 :
			    len - i >= 5 && strncmp(s + i, "\\sqrt", 5) == 0 ? 1 : 0;
		if (s[i] == '{') {
			size_t e = brace_end(s + i);
			if (!e || i + e > len) {
				tb_buf_add(b, s + i, len - i);
				return;
			}
			tb_buf_adds(b, "{");
			brace_args_into(s + i + 1, e - 2, b, depth + 1);
			tb_buf_adds(b, "}");
			i += e;
			continue;
		}
		if (!nargs) {
			tb_buf_add(b, s + i++, 1);
			continue;
		}
		tb_buf_add(b, s + i, 5);
		i += 5;
		if (nargs == 1 && i < len && s[i] == '[') {   /* \sqrt[n]{x}: the index first */
			size_t e = strcspn(s + i, "]") + 1;
			tb_buf_add(b, s + i, e);
			i += e;
		}
		for (int a = 0; a < nargs && i < len; a++) {
			if (s[i] == '{') {
				size_t e = brace_end(s + i);
				if (!e || i + e > len)
					break;
				tb_buf_adds(b, "{");
				brace_args_into(s + i + 1, e - 2, b, depth + 1);
				tb_buf_adds(b, "}");
				i += e;
			} else if (s[i] != '\\') {
				tb_buf_adds(b, "{");
				tb_buf_add(b, s + i++, 1);
				tb_buf_adds(b, "}");
			} else {
				break;
			}
		}
	}
}

static int brace_short_args(char **s)
{
	tb_buf b = { 0 };
	brace_args_into(*s, strlen(*s), &b, 0);
	free(*s);
	*s = tb_buf_detach(&b, NULL);
	return *s ? 0 : -1;
}

char *suite_math_normalize(const char *in)
{
	static const char *const drop[] = {
		"\\left", "\\right", "\\!", "\\,", "\\;", "\\:", "\\displaystyle", "^{\\circ}", "^\\circ",
		"\\circ", "\\%", "%", "\\$", "$", "\\ ", "~",
	};
	char *s = strdup(in ? in : ""), *w;
	size_t n;
	if (!s)
		return NULL;
	/* Matrix row breaks "\\\\" are kept aside so "\\ " (a space) does not eat their second half. */
	if (replace_all(&s, "\\\\", "\x01"))
		return NULL;
	for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
		if (replace_all(&s, drop[i], i >= 14 ? " " : ""))
			return NULL;
	if (replace_all(&s, "\x01", "\\\\"))
		return NULL;
	/* "2{,}220" (a TeX thousands comma) is "2,220"; "52_{8}" (a base) is "52_8" */
	if (replace_all(&s, "{,}", ",") || unbrace_subscripts(s))
		return NULL;
	if (replace_all(&s, "\\dfrac", "\\frac") || replace_all(&s, "\\tfrac", "\\frac") ||
	    unwrap_commands(&s) || replace_all(&s, "\n", " "))
		return NULL;
	strip_units(s);
	/* trailing '.' and spaces */
	n = strlen(s);
	while (n && (s[n - 1] == '.' || s[n - 1] == ' '))
		s[--n] = 0;
	/* "x = 5" -> "5" when the left side is one letter (a stated variable, not an equation) */
	{
		char *eq = strchr(s, '=');
		if (eq && !strchr(eq + 1, '=')) {
			char *l = s;
			while (*l == ' ')
				l++;
			if (isalpha((unsigned char)*l) && (l + 1 == eq || (l[1] == ' ' && l + 2 == eq)))
				memmove(s, eq + 1, strlen(eq + 1) + 1);
		}
	}
	/* no spaces */
	for (w = s, n = 0; *w; w++)
		if (*w != ' ')
			s[n++] = *w;
	s[n] = 0;
	/* "58,500" -> "58500": commas between groups of three digits in a plain number */
	{
		size_t i = 0, digits = 0, ok = 1, commas = 0;
		if (s[i] == '-')
			i++;
		for (; s[i] && s[i] != '.'; i++) {
			if (isdigit((unsigned char)s[i]))
				digits++;
			else if (s[i] == ',' && digits >= 1 && digits <= 3 && strspn(s + i + 1, "0123456789") >= 3 &&
				 (s[i + 4] == 0 || s[i + 4] == ',' || s[i + 4] == '.'))
				commas++, digits = 0;
			else
				ok = 0;
		}
		for (; s[i]; i++)
			if (!isdigit((unsigned char)s[i]) && s[i] != '.')
				ok = 0;
		if (ok && commas) {
			for (w = s, n = 0; *w; w++)
				if (*w != ',')
					s[n++] = *w;
			s[n] = 0;
		}
	}
	if (brace_short_args(&s))
		return NULL;
	/* "0.5" and ".5" alike */
	if (s[0] == '.' && isdigit((unsigned char)s[1])) {
		char *t = malloc(strlen(s) + 2);
		if (!t) {
			free(s);
			return NULL;
		}
		t[0] = '0';
		strcpy(t + 1, s);
		free(s);
		s = t;
	}
	return s;
}

/* ------------------------------------------------------------------ evaluator */

/* A value: its double, and where every step was exact (integers, finite decimals, fractions,
 * + - * / and integer powers) the same value as a reduced rational num/den (den > 0) in 128 bits.
 * Exact values are compared exactly: 11111111101 is not 11111111100 and 0.333333 is not 1/3. A
 * step that leaves the rationals (roots, pi, letters) makes the value inexact; one that overflows
 * 128 bits leaves it rational but not exact, and such values are never called equal. */
typedef __int128 i128;
typedef struct val {
	double d;
	i128 num, den;
	int exact, rational;
} val;

typedef struct ev {
	const char *p;
	double var[26];   /* a sample value per letter */
	int ok;
	int depth;        /* nesting, bounded so hostile input cannot exhaust the stack */
} ev;

static val v_inexact(double d)
{
	val v = { d, 0, 1, 0, 0 };
	return v;
}

/* The rational n/d reduced (d != 0); ok = 0 when a step before overflowed. */
static val v_ratio(i128 n, i128 d, double approx, int ok)
{
	val v = { approx, 0, 1, 0, 1 };
	i128 a, b;
	if (!ok || d == 0 || n == -n - 1 || d == -d - 1)
		return v;   /* overflowed, or a value i128 cannot negate */
	if (d < 0)
		n = -n, d = -d;
	for (a = n < 0 ? -n : n, b = d; b;) {
		i128 t = a % b;
		a = b;
		b = t;
	}
	if (a > 1)
		n /= a, d /= a;
	v.num = n;
	v.den = d;
	v.exact = 1;
	v.d = (double)n / (double)d;
	return v;
}

static val v_exact_int(long long n)
{
	return v_ratio(n, 1, (double)n, 1);
}

static val v_add(val a, val b, int sign)
{
	i128 x = 0, y = 0, n = 0, d = 1;
	int ok;
	if (!a.exact || !b.exact) {
		val v = v_inexact(a.d + sign * b.d);
		v.rational = a.rational && b.rational;
		return v;
	}
	ok = !__builtin_mul_overflow(a.num, b.den, &x) && !__builtin_mul_overflow(b.num, a.den, &y) &&
	     !__builtin_mul_overflow(y, (i128)sign, &y) && !__builtin_add_overflow(x, y, &n) &&
	     !__builtin_mul_overflow(a.den, b.den, &d);
	return v_ratio(n, d, a.d + sign * b.d, ok);
}

static val v_mul(val a, val b)
{
	i128 n = 0, d = 1;
	int ok;
	if (!a.exact || !b.exact) {
		val v = v_inexact(a.d * b.d);
		v.rational = a.rational && b.rational;
		return v;
	}
	ok = !__builtin_mul_overflow(a.num, b.num, &n) && !__builtin_mul_overflow(a.den, b.den, &d);
	return v_ratio(n, d, a.d * b.d, ok);
}

static val v_div(val a, val b)
{
	i128 n = 0, d = 1;
	int ok;
	if (!a.exact || !b.exact || b.num == 0) {
		val v = v_inexact(a.d / b.d);
		v.rational = a.rational && b.rational && (!b.exact || b.num != 0);
		return v;
	}
	ok = !__builtin_mul_overflow(a.num, b.den, &n) && !__builtin_mul_overflow(a.den, b.num, &d);
	return v_ratio(n, d, a.d / b.d, ok);
}

static val v_pow(val b, val x)
{
	double d = pow(b.d, x.d);
	if (b.rational && x.exact && x.den == 1 && x.num >= -256 && x.num <= 256) {
		val r = v_exact_int(1);
		long k = (long)(x.num < 0 ? -x.num : x.num);
		for (long i = 0; i < k && r.exact; i++)
			r = v_mul(r, b);
		if (x.num < 0)
			r = v_div(v_exact_int(1), r);
		r.d = d;
		return r;
	}
	return v_inexact(d);
}

/* A number literal: digits with an optional decimal part is exact; anything strtod reads
 * beyond that (an exponent) is taken as a double. */
static val v_literal(ev *e)
{
	const char *s = e->p, *q = s;
	char *end;
	double d = strtod(s, &end);
	i128 n = 0, den = 1;
	int frac = 0, ok = 1;
	for (; q < end && (isdigit((unsigned char)*q) || (*q == '.' && !frac)); q++) {
		if (*q == '.') {
			frac = 1;
			continue;
		}
		ok = ok && !__builtin_mul_overflow(n, (i128)10, &n) &&
		     !__builtin_add_overflow(n, (i128)(*q - '0'), &n) &&
		     (!frac || !__builtin_mul_overflow(den, (i128)10, &den));
	}
	e->p = end;
	return q == end ? v_ratio(n, den, d, ok) : v_inexact(d);
}

static val ev_expr(ev *e);

static int at(ev *e, const char *tok)
{
	size_t n = strlen(tok);
	if (strncmp(e->p, tok, n) == 0 && !(tok[0] == '\\' && isalpha((unsigned char)e->p[n]))) {
		e->p += n;
		return 1;
	}
	return 0;
}

static val ev_group(ev *e)
{
	val v;
	if (!at(e, "{")) {
		e->ok = 0;
		return v_inexact(0);
	}
	v = ev_expr(e);
	if (!at(e, "}"))
		e->ok = 0;
	return v;
}

static val ev_primary(ev *e)
{
	val v;
	if (!e->ok)
		return v_inexact(0);
	if (isdigit((unsigned char)*e->p) || (*e->p == '.' && isdigit((unsigned char)e->p[1])))
		return v_literal(e);
	if (at(e, "(") || at(e, "[")) {
		v = ev_expr(e);
		if (!at(e, ")") && !at(e, "]"))
			e->ok = 0;
		return v;
	}
	if (*e->p == '{')
		return ev_group(e);
	if (at(e, "\\pi") || at(e, "pi"))
		return v_inexact(M_PI);
	if (at(e, "\\frac")) {
		val a = ev_group(e), b = ev_group(e);
		return v_div(a, b);
	}
	if (at(e, "\\sqrt")) {
		double idx = 2;
		if (at(e, "[")) {
			idx = ev_expr(e).d;
			if (!at(e, "]"))
				e->ok = 0;
		}
		v = ev_group(e);
		return v_inexact(idx == 2 ? sqrt(v.d) : pow(v.d, 1.0 / idx));
	}
	if (isalpha((unsigned char)*e->p) && !isalpha((unsigned char)e->p[1])) {
		v = v_inexact(e->var[tolower((unsigned char)*e->p) - 'a']);
		e->p++;
		return v;
	}
	e->ok = 0;
	return v_inexact(0);
}

static val ev_power(ev *e)
{
	val b = ev_primary(e);
	if (e->ok && at(e, "^")) {
		val x;
		if (*e->p == '{') {
			x = ev_group(e);
		} else if (isdigit((unsigned char)*e->p)) {
			x = v_exact_int(*e->p++ - '0');   /* TeX: 2^10 is 2^1 followed by 0 */
		} else {
			x = ev_primary(e);
		}
		return v_pow(b, x);
	}
	return b;
}

static val ev_unary(ev *e)
{
	val v;
	if (++e->depth > MATH_MAX_DEPTH) {
		e->ok = 0;   /* every nesting (groups, parentheses, signs) passes through here */
		v = v_inexact(0);
	} else if (at(e, "-")) {
		v = v_mul(v_exact_int(-1), ev_unary(e));
	} else if (at(e, "+")) {
		v = ev_unary(e);
	} else {
		v = ev_power(e);
	}
	e->depth--;
	return v;
}

/* A mixed number: digits alone followed at once by a proper fraction \frac{digits}{digits}, as in
 * 1\frac{4}{5} (9/5, not 4/5). An improper fraction after digits (3\frac{5}{4}) stays a product. */
static int mixed_number_at(const char *start, const char *p)
{
	const char *d = p;
	char *e1, *e2;
	unsigned long long num, den;
	while (d > start && isdigit((unsigned char)d[-1]))
		d--;
	if (d == p || (d > start && (isalnum((unsigned char)d[-1]) || strchr(".}^_)", d[-1]))))
		return 0;
	if (strncmp(p, "\\frac{", 6) != 0 || !isdigit((unsigned char)p[6]))
		return 0;
	num = strtoull(p + 6, &e1, 10);
	if (strncmp(e1, "}{", 2) != 0 || !isdigit((unsigned char)e1[2]))
		return 0;
	den = strtoull(e1 + 2, &e2, 10);
	return *e2 == '}' && num < den;
}

static val ev_term(ev *e, const char *start)
{
	val v = ev_unary(e);
	while (e->ok) {
		if (at(e, "*") || at(e, "\\cdot") || at(e, "\\times")) {
			v = v_mul(v, ev_unary(e));
		} else if (at(e, "/") || at(e, "\\div")) {
			v = v_div(v, ev_unary(e));
		} else if (mixed_number_at(start, e->p)) {
			val f = ev_power(e);
			v = v.d < 0 ? v_add(v, f, -1) : v_add(v, f, 1);
		} else if (*e->p && (isalnum((unsigned char)*e->p) || *e->p == '(' || *e->p == '{' ||
				     strncmp(e->p, "\\sqrt", 5) == 0 || strncmp(e->p, "\\pi", 3) == 0 ||
				     strncmp(e->p, "\\frac", 5) == 0)) {
			v = v_mul(v, ev_power(e));   /* implicit product: 2\sqrt{3}, 3x, 2(x+1) */
		} else {
			break;
		}
	}
	return v;
}

static val ev_expr(ev *e)
{
	const char *start = e->p;
	val v = ev_term(e, start);
	while (e->ok) {
		if (at(e, "+"))
			v = v_add(v, ev_term(e, start), 1);
		else if (at(e, "-"))
			v = v_add(v, ev_term(e, start), -1);
		else
			break;
	}
	return v;
}

/* Evaluates normalised s with letters at sample set k. Returns 0 with *out, or -1. */
static int evaluate(const char *s, int k, val *out)
{
	ev e = { s, { 0 }, 1, 0 };
	for (int i = 0; i < 26; i++)
		e.var[i] = 0.5 + 0.37 * (double)((i * 7 + k * 11) % 23) + 0.013 * k;
	*out = ev_expr(&e);
	return e.ok && *e.p == 0 && isfinite(out->d) ? 0 : -1;
}

/* Exact values are compared exactly. Where a side is not rational (roots, pi, letters) values
 * within 1e-9 (relative) are equal: enough for the evaluator's rounding, too little for a
 * decimal approximation such as 3.14159 for pi. Rational values too large for 128 bits are never
 * equal here (their normal forms already differed). */
static int num_equal(val a, val b)
{
	if (a.exact && b.exact)
		return a.num == b.num && a.den == b.den;
	if (a.rational && b.rational)
		return 0;
	return fabs(a.d - b.d) <= 1e-9 * fmax(1.0, fmax(fabs(a.d), fabs(b.d)));
}

/* ------------------------------------------------------------------ equivalence */

static int equiv_norm(const char *a, const char *b, int depth);

/* Splits s at top-level commas (or the separator sep) into at most max parts [start, end). */
static size_t split_top(const char *s, size_t len, const char *sep, const char **st, size_t *ln,
			size_t max)
{
	size_t n = 0, start = 0, sl = strlen(sep);
	int depth = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && (s[i] == '{' || s[i] == '(' || s[i] == '['))
			depth++;
		else if (i < len && (s[i] == '}' || s[i] == ')' || s[i] == ']'))
			depth--;
		if (i == len || (depth == 0 && strncmp(s + i, sep, sl) == 0)) {
			if (n == max)
				return max + 1;
			st[n] = s + start;
			ln[n++] = i - start;
			start = i + sl;
			i += sl - 1;
		}
	}
	return n;
}

static int parts_equal(const char *a, size_t la, const char *b, size_t lb, const char *sep,
		       int unordered, int depth)
{
	const char *sa[64], *sb[64];
	size_t na_, nb_, ln_a[64], ln_b[64];
	int used[64] = { 0 };
	na_ = split_top(a, la, sep, sa, ln_a, 64);
	nb_ = split_top(b, lb, sep, sb, ln_b, 64);
	if (na_ != nb_ || na_ > 64)
		return 0;
	for (size_t i = 0; i < na_; i++) {
		int found = 0;
		char *x = dup_n(sa[i], ln_a[i]);
		for (size_t j = unordered ? 0 : i; j < (unordered ? nb_ : i + 1) && !found; j++) {
			char *y;
			if (used[j])
				continue;
			y = dup_n(sb[j], ln_b[j]);
			if (x && y && equiv_norm(x, y, depth + 1)) {
				found = 1;
				used[j] = 1;
			}
			free(y);
		}
		free(x);
		if (!found)
			return 0;
	}
	return 1;
}

/* Strips the matrix environment: returns the body and its length, or NULL. */
static const char *matrix_body(const char *s, size_t *len)
{
	static const char *const envs[] = { "pmatrix", "bmatrix", "matrix", "vmatrix" };
	for (size_t i = 0; i < 4; i++) {
		char open[32], close[32];
		size_t ol, cl, n = strlen(s);
		snprintf(open, sizeof open, "\\begin{%s}", envs[i]);
		snprintf(close, sizeof close, "\\end{%s}", envs[i]);
		ol = strlen(open);
		cl = strlen(close);
		if (n >= ol + cl && strncmp(s, open, ol) == 0 && strcmp(s + n - cl, close) == 0) {
			*len = n - ol - cl;
			return s + ol;
		}
	}
	return NULL;
}

static int equiv_norm(const char *a, const char *b, int depth)
{
	size_t la = strlen(a), lb = strlen(b);
	const char *ma, *mb;
	size_t mla, mlb;
	val x, y;

	if (strcmp(a, b) == 0)
		return 1;
	if (depth > 8 || !la || !lb)
		return 0;
	/* matrices: rows by \\, entries by & */
	if ((ma = matrix_body(a, &mla)) && (mb = matrix_body(b, &mlb))) {
		const char *ra[32], *rb[32];
		size_t lra[32], lrb[32], nr = split_top(ma, mla, "\\\\", ra, lra, 32);
		if (nr != split_top(mb, mlb, "\\\\", rb, lrb, 32) || nr > 32)
			return 0;
		for (size_t i = 0; i < nr; i++)
			if (!parts_equal(ra[i], lra[i], rb[i], lrb[i], "&", 0, depth))
				return 0;
		return 1;
	}
	/* sets \{...\}: unordered */
	if (la > 4 && lb > 4 && strncmp(a, "\\{", 2) == 0 && strncmp(b, "\\{", 2) == 0 &&
	    strcmp(a + la - 2, "\\}") == 0 && strcmp(b + lb - 2, "\\}") == 0)
		return parts_equal(a + 2, la - 4, b + 2, lb - 4, ",", 1, depth);
	/* tuples and intervals: the same brackets, ordered elements */
	if (la > 2 && lb > 2 && strchr("([", a[0]) && strchr(")]", a[la - 1]) && a[0] == b[0] &&
	    a[la - 1] == b[lb - 1]) {
		const char *st[2];
		size_t ln[2];
		if (split_top(a + 1, la - 2, ",", st, ln, 1) > 1 || (a[0] == '[' || a[la - 1] == ']'))
			return parts_equal(a + 1, la - 2, b + 1, lb - 2, ",", 0, depth);
	}
	/* bare lists "1,2,3" (both with top-level commas): ordered unless the reference says
	 * otherwise; MATH lists all solutions in any order, so compare unordered. */
	{
		const char *st[2];
		size_t ln[2];
		if (split_top(a, la, ",", st, ln, 1) > 1 && split_top(b, lb, ",", st, ln, 1) > 1)
			return parts_equal(a, la, b, lb, ",", 1, depth);
	}
	/* numbers and expressions: equal at two sample points */
	if (evaluate(a, 0, &x) == 0 && evaluate(b, 0, &y) == 0 && num_equal(x, y) &&
	    evaluate(a, 1, &x) == 0 && evaluate(b, 1, &y) == 0 && num_equal(x, y))
		return 1;
	return 0;
}

int suite_math_equiv(const char *a, const char *b)
{
	char *na = suite_math_normalize(a), *nb = suite_math_normalize(b);
	int r = na && nb && equiv_norm(na, nb, 0);
	free(na);
	free(nb);
	return r;
}

/* ------------------------------------------------------------------ the suite */

/* Four exemplars written for this project in Minerva's format (Lewkowycz et al. 2022). */
static const char minerva_shots[] =
	"Problem:\nWhat is the sum of the roots of $x^2 - 7x + 10 = 0$?\n\n"
	"Solution:\nThe polynomial factors as $(x-2)(x-5)$, so the roots are 2 and 5 and their sum "
	"is $7$.\nFinal Answer: The final answer is $7$. I hope it is correct.\n\n"
	"Problem:\nSimplify $\\sqrt{50} - \\sqrt{8}$.\n\n"
	"Solution:\nWe have $\\sqrt{50} = 5\\sqrt{2}$ and $\\sqrt{8} = 2\\sqrt{2}$, so the "
	"difference is $3\\sqrt{2}$.\nFinal Answer: The final answer is $3\\sqrt{2}$. I hope it is "
	"correct.\n\n"
	"Problem:\nA bag holds 3 red and 5 blue marbles. Two are drawn without replacement. What is "
	"the probability that both are red?\n\n"
	"Solution:\nThe first is red with probability $\\frac{3}{8}$ and then the second with "
	"probability $\\frac{2}{7}$, so the answer is $\\frac{3}{8}\\cdot\\frac{2}{7} = "
	"\\frac{3}{28}$.\nFinal Answer: The final answer is $\\frac{3}{28}$. I hope it is correct.\n\n"
	"Problem:\nFind the point where the lines $y = 2x + 1$ and $y = -x + 7$ meet.\n\n"
	"Solution:\nSetting $2x + 1 = -x + 7$ gives $x = 2$, and then $y = 5$, so the point is "
	"$(2,5)$.\nFinal Answer: The final answer is $(2,5)$. I hope it is correct.\n\n";

static const char *const math_stop[] = { "\n\nProblem:", "I hope it is correct." };

typedef struct math_item {
	char *problem, *answer;
} math_item;

typedef struct math_suite {
	math_item *v;
	size_t n, cap;
	int chat, shots;
} math_suite;

typedef struct mload {
	math_suite *m;
	suite *s;
} mload;

static int math_load_item(void *ud, const cJSON *obj, const char *id, char *why, size_t why_len)
{
	mload *lc = ud;
	math_suite *m = lc->m;
	const char *problem, *answer = NULL;
	char *ans;
	if (suite_json_string(obj, "problem", &problem, why, why_len))
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(obj, "answer")) {
		if (suite_json_string(obj, "answer", &answer, why, why_len))
			return -1;
		ans = strdup(answer);
	} else {
		const char *sol;
		/* The full MATH files have no answer field: the last \boxed{} of the solution. */
		if (suite_json_string(obj, "solution", &sol, why, why_len)) {
			snprintf(why, why_len, "missing field \"answer\" (or \"solution\")");
			return -1;
		}
		if (!(ans = suite_math_extract(sol))) {
			snprintf(why, why_len, "field \"solution\" has no \\boxed{} answer");
			return -1;
		}
	}
	if (!ans)
		return SUITE_ENOMEM;
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 256;
		math_item *nv = realloc(m->v, nc * sizeof *nv);
		if (!nv) {
			free(ans);
			return SUITE_ENOMEM;
		}
		m->v = nv;
		m->cap = nc;
	}
	if (!(m->v[m->n].problem = strdup(problem)) || suite_ids_push(lc->s, id)) {
		free(m->v[m->n].problem);
		free(ans);
		return SUITE_ENOMEM;
	}
	m->v[m->n++].answer = ans;
	return 0;
}

static void math_close(suite *s)
{
	math_suite *m = s->self;
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].problem);
		free(m->v[i].answer);
	}
	free(m->v);
	free(m);
	s->self = NULL;
}

static int math_open(suite *s, const suite_opts *o, char *err, size_t errlen)
{
	math_suite *m = calloc(1, sizeof *m);
	mload lc;
	if (!m) {
		snprintf(err, errlen, "%s: out of memory", o->name);
		return -1;
	}
	s->self = m;
	m->chat = o->chat != 0;
	/* Minerva's 4 shots for base models; instruct models are asked 0-shot by default. */
	m->shots = o->shots < 0 ? (m->chat ? 0 : 4) : o->shots;
	if (m->shots != 0 && m->shots != 4) {
		snprintf(err, errlen, "%s: %d shots asked; 0 or 4 are built in", o->name, m->shots);
		return -1;
	}
	if (!o->dataset_path) {
		snprintf(err, errlen, "%s: no dataset given (--dataset PATH to a MATH-format JSONL "
			 "with problem and answer or solution)", o->name);
		return -1;
	}
	lc.m = m;
	lc.s = s;
	return suite_jsonl_read(o->dataset_path, o->limit, math_load_item, &lc, err, errlen) < 0 ? -1 : 0;
}

static int math_build(const suite *s, size_t i, int sample, prov_req *out)
{
	const math_suite *m = s->self;
	tb_buf b = { 0 };
	if (m->chat) {
		tb_buf_adds(&b, "Solve the following math problem step by step. Put your final answer "
			      "within \\boxed{}.\n\n");
		if (m->shots)
			tb_buf_adds(&b, minerva_shots);
		tb_buf_adds(&b, m->shots ? "Problem:\n" : "");
		tb_buf_adds(&b, m->v[i].problem);
		return suite_req_take_user(out, s->ids[i], sample, tb_buf_detach(&b, NULL), NULL, 0);
	}
	if (m->shots)
		tb_buf_adds(&b, minerva_shots);
	tb_buf_adds(&b, "Problem:\n");
	tb_buf_adds(&b, m->v[i].problem);
	tb_buf_adds(&b, "\n\nSolution:");
	return suite_req_take_prompt(out, s->ids[i], sample, tb_buf_detach(&b, NULL), math_stop,
				     sizeof math_stop / sizeof math_stop[0]);
}

static int math_score(const suite *s, size_t i, const prov_resp *r, suite_score_out *out)
{
	const math_suite *m = s->self;
	out->n_metrics = 1;
	out->metric[0] = "equiv";
	if (!(out->expected = strdup(m->v[i].answer)))
		return SUITE_ENOMEM;
	if (r->err != PROV_ERR_NONE || !r->text)
		return 0;
	out->answer[0] = suite_math_extract(r->text);
	out->value[0] = out->answer[0] && suite_math_equiv(out->answer[0], m->v[i].answer) ? 1.0 : 0.0;
	return 0;
}

const suite_vtable suite_math500_vtable = {
	.name = "math500",
	.summary = "MATH-500 competition math, Minerva 4-shot or 0-shot, \\boxed{} answer equivalence",
	.dataset_hint = "MATH JSONL (problem, answer), e.g. math500/test.jsonl",
	.open = math_open,
	.close = math_close,
	.build = math_build,
	.score = math_score,
};

const suite_vtable suite_math_vtable = {
	.name = "math",
	.summary = "MATH competition math (answer from the solution's \\boxed{} when absent)",
	.dataset_hint = "MATH JSONL (problem, and answer or solution)",
	.open = math_open,
	.close = math_close,
	.build = math_build,
	.score = math_score,
};
