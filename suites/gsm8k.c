/* suites/gsm8k.c — GSM8K-format grade-school math. Loads JSONL items ("question", and "answer"
 * ending "#### N"), builds the n-shot chain-of-thought prompt ("Q: ...\nA: ... The answer is N.")
 * from built-in exemplars written for this project or from a train file, and scores a response
 * twice: strict (the last "#### N" or "The answer is N") and flexible (the last number), each
 * normalised ("$1,234.00." -> "1234") and compared with the equally normalised reference. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "base/base.h"
#include "suites/suite_impl.h"

#define GSM8K_DEFAULT_SHOTS 8

/* Built-in exemplars, written for this project (datasets/gsm8k/README.md): a question, its
 * worked reasoning, and the final answer, in the order they appear in the prompt. */
static const struct {
	const char *question, *reasoning, *answer;
} builtin_shots[] = {
	{ "A library has 4 shelves with 35 books on each shelf. It lends out 58 books and later gets "
	  "17 of them back. How many books are on the shelves now?",
	  "The shelves start with 4 * 35 = 140 books. After lending out 58 there are 140 - 58 = 82 "
	  "books. When 17 come back there are 82 + 17 = 99 books.", "99" },
	{ "Priya runs 3 kilometers every weekday and 5 kilometers on each day of the weekend. How many "
	  "kilometers does she run in 2 weeks?",
	  "On the 5 weekdays she runs 5 * 3 = 15 kilometers. On the 2 weekend days she runs 2 * 5 = 10 "
	  "kilometers. One week is 15 + 10 = 25 kilometers, so 2 weeks are 2 * 25 = 50 kilometers.",
	  "50" },
	{ "A box of 12 pencils costs $3. A school buys 18 boxes and gets $6 off the whole order. How many "
	  "dollars does the school pay?",
	  "The 18 boxes cost 18 * 3 = 54 dollars. With $6 off the school pays 54 - 6 = 48 dollars.",
	  "48" },
	{ "Marco is 4 years older than his sister. In 6 years the sum of their ages will be 40. How old "
	  "is Marco now?",
	  "In 6 years each of them is 6 years older, so today their ages add up to 40 - 6 - 6 = 28. "
	  "Without Marco's extra 4 years the two ages would be equal: 28 - 4 = 24, and 24 / 2 = 12 is "
	  "his sister's age. Marco is 12 + 4 = 16.", "16" },
	{ "A farmer collects 96 eggs. He packs them in cartons of 6 and sells each carton for $2.50. How "
	  "many dollars does he make?",
	  "He fills 96 / 6 = 16 cartons. Selling them brings 16 * 2.50 = 40 dollars.", "40" },
	{ "A theater has 250 seats. On Friday 3/5 of the seats were filled, and on Saturday 40 more "
	  "people came than on Friday. How many people came on Saturday?",
	  "On Friday 250 * 3 / 5 = 150 seats were filled. On Saturday 150 + 40 = 190 people came.",
	  "190" },
	{ "Ken fills a 30-liter fish tank with a hose that pours in 2 liters per minute, but the tank "
	  "leaks half a liter per minute. How many minutes does it take to fill the tank?",
	  "The tank gains 2 - 0.5 = 1.5 liters each minute. Filling 30 liters takes 30 / 1.5 = 20 "
	  "minutes.", "20" },
	{ "A club sold 120 raffle tickets at $5 each. It spent $175 on prizes and $45 on printing. How "
	  "many dollars of profit did the club make?",
	  "The tickets brought in 120 * 5 = 600 dollars. The costs were 175 + 45 = 220 dollars. The "
	  "profit is 600 - 220 = 380 dollars.", "380" },
};
#define N_BUILTIN (sizeof builtin_shots / sizeof builtin_shots[0])

/* Stop strings for completion prompts: the start of the next exemplar, or a run of blank lines. */
static const char *const stop_strings[] = { "Q:", "\n\n\n" };

typedef struct gsm8k_item {
	char *question;
	char *solution;     /* the "answer" text; kept for train exemplars only, else NULL */
	char *ref;          /* the final answer after "####", normalised */
} gsm8k_item;

typedef struct gsm8k_items {
	gsm8k_item *v;      /* [n] */
	size_t n, cap;
} gsm8k_items;

typedef struct gsm8k {
	gsm8k_items items;
	char *shots;            /* the few-shot block that precedes "Q: <question>"; "" at 0 shots */
	int chat;
	/* The process's shared compiled patterns (re_built, not owned); matching is thread-safe
	 * with match data made per call. */
	pcre2_code *re_strict;  /* group 1: the number after "####" or "the answer is" */
	pcre2_code *re_number;  /* group 1: any number not glued to a word before it */
	pcre2_code *re_ref;     /* group 1: the whole text after "####" as one number */
} gsm8k;

/* ------------------------------------------------------------------ numbers */

/* A number as answers write it: a sign and a dollar sign in either order (also LaTeX's "\$"), then
 * digits with commas and decimals, or ".5". Percent signs and units after it are not part of it. */
#define NUM_RE "((?:-?\\\\?\\$\\s?-?|-)?(?:\\d[\\d,]*(?:\\.\\d+)?|\\.\\d+))"

/* strict: "#### N" or "the answer is N" (any case; also "the final answer is", ":" and bold). */
#define STRICT_RE "(?:####|(?i:\\bthe\\s+(?:final\\s+)?answer\\s+is))\\s*:?\\s*\\**\\s*" NUM_RE

/* flexible: a number not glued to a letter, digit, "_", "." or "," before it ("A4" is no 4). */
#define NUMBER_RE "(?<![\\w.,])" NUM_RE

/* reference: "#### N" where N alone fills the rest of the text (a final "." allowed). */
#define REF_RE "\\A\\s*" NUM_RE "\\s*\\.?\\s*\\z"

/* Writes the canonical text of a number token (as NUM_RE captures it) to *out: "-" when negative
 * and not zero, the integer part without leading zeros ("0" when empty), then "." and the
 * fraction without trailing zeros when any remains. "$", "\", "+", spaces and commas are
 * dropped. Two tokens denote the same decimal number exactly when their canonical texts are
 * equal, so comparing them is an exact numeric comparison with no floating-point rounding.
 * Returns 0, -1 when the token has no digit, or SUITE_ENOMEM. Ownership: caller frees *out. */
static int number_canonical(const char *tok, size_t len, char **out)
{
	char *digits = malloc(len + 1), *res;
	size_t n = 0, dot = (size_t)-1, ip = 0, fs, fe, k = 0;
	int neg = 0, any = 0;

	*out = NULL;
	if (!digits)
		return SUITE_ENOMEM;
	for (size_t i = 0; i < len; i++) {
		char c = tok[i];
		if (c >= '0' && c <= '9') {
			digits[n++] = c;
			any = 1;
		} else if (c == '.') {
			if (dot != (size_t)-1)
				break;
			dot = n;
			digits[n++] = c;
		} else if (c == '-') {
			neg = 1;
		}
		/* anything else ('$', ',', '\\', '+', space) carries no value */
	}
	if (!any) {
		free(digits);
		return -1;
	}
	if (dot == (size_t)-1)
		dot = n;
	fs = dot < n ? dot + 1 : n;   /* integer part digits[ip..dot), fraction digits[fs..fe) */
	fe = n;
	while (ip < dot && digits[ip] == '0')
		ip++;
	while (fe > fs && digits[fe - 1] == '0')
		fe--;
	if (!(res = malloc(n + 3))) {
		free(digits);
		return SUITE_ENOMEM;
	}
	if (neg && (ip < dot || fs < fe))   /* "-0" and "-0.00" are 0 */
		res[k++] = '-';
	if (ip == dot)
		res[k++] = '0';
	memcpy(res + k, digits + ip, dot - ip);
	k += dot - ip;
	if (fs < fe) {
		res[k++] = '.';
		memcpy(res + k, digits + fs, fe - fs);
		k += fe - fs;
	}
	res[k] = 0;
	free(digits);
	*out = res;
	return 0;
}

/* Sets *out to the canonical number of the last match of re in text (its group 1), or NULL when
 * nothing matches. Returns 0 or SUITE_ENOMEM. Thread-safe: the match data is this call's own.
 * Ownership: caller frees *out. */
static int last_number(const pcre2_code *re, const char *text, char **out)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	PCRE2_SIZE off = 0, len = strlen(text), s = 0, e = 0;
	int found = 0, rc;

	*out = NULL;
	if (!md)
		return SUITE_ENOMEM;
	while (off <= len && pcre2_match(re, (PCRE2_SPTR)text, len, off, 0, md, NULL) >= 2) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		s = ov[2];
		e = ov[3];
		found = 1;
		off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;   /* every match is non-empty; be safe */
	}
	pcre2_match_data_free(md);
	if (!found)
		return 0;
	rc = number_canonical(text + s, e - s, out);
	return rc == SUITE_ENOMEM ? rc : 0;
}

/* ------------------------------------------------------------------ loading */

static void items_release(gsm8k_items *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].question);
		free(l->v[i].solution);
		free(l->v[i].ref);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* What load_item needs: the patterns, where items go, and the suite for their ids (NULL for a
 * train file, whose ids are not items of this suite). */
typedef struct load_ctx {
	const gsm8k *g;
	gsm8k_items *into;
	suite *s;
} load_ctx;

/* Checks one GSM8K line and appends it (suite_jsonl_fn). */
static int load_item(void *ud, const cJSON *obj, const char *id, char *why, size_t why_len)
{
	load_ctx *c = ud;
	const char *q, *a, *mark = NULL;
	pcre2_match_data *md;
	gsm8k_item it = { 0 };
	int rc;

	if (suite_json_string(obj, "question", &q, why, why_len) ||
	    suite_json_string(obj, "answer", &a, why, why_len))
		return -1;
	if (!*q) {
		snprintf(why, why_len, "field \"question\" is empty");
		return -1;
	}
	for (const char *p = a; (p = strstr(p, "####")); p += 4)
		mark = p;
	if (!mark) {
		snprintf(why, why_len, "field \"answer\" has no final \"#### N\"");
		return -1;
	}
	if (!(md = pcre2_match_data_create_from_pattern(c->g->re_ref, NULL)))
		return SUITE_ENOMEM;
	rc = pcre2_match(c->g->re_ref, (PCRE2_SPTR)(mark + 4), PCRE2_ZERO_TERMINATED, 0, 0, md, NULL);
	if (rc >= 2) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		rc = number_canonical(mark + 4 + ov[2], ov[3] - ov[2], &it.ref);
	} else {
		rc = -1;
	}
	pcre2_match_data_free(md);
	if (rc == SUITE_ENOMEM)
		return rc;
	if (rc) {
		snprintf(why, why_len, "field \"answer\": \"####%.40s\" is not a number", mark + 4);
		return -1;
	}
	if (c->into->n == c->into->cap) {
		size_t nc = c->into->cap ? c->into->cap * 2 : 256;
		gsm8k_item *nv = realloc(c->into->v, nc * sizeof *nv);
		if (!nv)
			goto nomem;
		c->into->v = nv;
		c->into->cap = nc;
	}
	if (!(it.question = strdup(q)) || (!c->s && !(it.solution = strdup(a))))
		goto nomem;
	if (c->s && suite_ids_push(c->s, id))
		goto nomem;
	c->into->v[c->into->n++] = it;
	return 0;
nomem:
	free(it.question);
	free(it.solution);
	free(it.ref);
	return SUITE_ENOMEM;
}

/* Appends the worked reasoning of a GSM8K solution to b: the text before the last "####", with the
 * "<<48/2=24>>" calculator notes removed and its lines joined by spaces; a line that ends in a
 * letter or digit gets a "." so the sentences stay apart. Running out of memory sets b->err. */
static void solution_reasoning(const char *sol, tb_buf *b)
{
	const char *end = NULL, *p;
	for (p = sol; (p = strstr(p, "####")); p += 4)
		end = p;
	if (!end)
		end = sol + strlen(sol);
	for (p = sol; p < end && !b->err;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *q = p, *open, *close;
		size_t before = b->len;
		/* copy the line, leaving out each complete "<<...>>" inside it */
		while ((open = strstr(q, "<<")) && open < le && (close = strstr(open + 2, ">>")) &&
		       close + 2 <= le) {
			tb_buf_add(b, q, (size_t)(open - q));
			q = close + 2;
		}
		tb_buf_add(b, q, (size_t)(le - q));
		while (!b->err && b->len > before && strchr(" \t\r", b->p[b->len - 1]))
			b->p[--b->len] = 0;
		if (!b->err && b->len > before) {
			char last = b->p[b->len - 1];
			if ((last >= '0' && last <= '9') || (last >= 'a' && last <= 'z') ||
			    (last >= 'A' && last <= 'Z'))
				tb_buf_adds(b, ".");
			tb_buf_adds(b, " ");
		}
		p = nl ? nl + 1 : end;
	}
	if (!b->err && b->len && b->p[b->len - 1] == ' ')
		b->p[--b->len] = 0;   /* the space after the last line */
}

static void add_shot(tb_buf *b, const char *question, const char *reasoning, const char *answer)
{
	tb_buf_adds(b, "Q: ");
	tb_buf_adds(b, question);
	tb_buf_adds(b, "\nA: ");
	tb_buf_adds(b, reasoning);
	tb_buf_adds(b, " The answer is ");
	tb_buf_adds(b, answer);
	tb_buf_adds(b, ".\n\n");
}

/* The few-shot block: the first `shots` built-in exemplars, or `shots` items of the train file
 * chosen by suite_pick from the seed (in the order picked). */
static int build_shots(gsm8k *g, const suite_opts *o, char *err, size_t errlen)
{
	int shots = o->shots < 0 ? GSM8K_DEFAULT_SHOTS : o->shots;
	gsm8k_items train = { 0 };
	tb_buf b = { 0 };
	size_t *pick = NULL;

	if (shots > 0 && o->train_path) {
		load_ctx c = { g, &train, NULL };
		if (suite_jsonl_read(o->train_path, 0, load_item, &c, err, errlen) < 0)
			goto fail;
		if ((size_t)shots > train.n) {
			snprintf(err, errlen, "%s: %d shots asked but the train file has %zu items",
				 o->train_path, shots, train.n);
			goto fail;
		}
		if (!(pick = malloc(train.n * sizeof *pick)))
			goto nomem;
		suite_pick(o->seed, train.n, (size_t)shots, pick);
		for (int i = 0; i < shots; i++) {
			const gsm8k_item *it = &train.v[pick[i]];
			tb_buf rb = { 0 };
			char *reasoning;
			solution_reasoning(it->solution, &rb);
			if (!(reasoning = tb_buf_detach(&rb, NULL)))
				goto nomem;
			add_shot(&b, it->question, reasoning, it->ref);
			free(reasoning);
		}
	} else if (shots > 0) {
		if ((size_t)shots > N_BUILTIN) {
			snprintf(err, errlen, "gsm8k: %d shots asked but there are %zu built-in exemplars; "
				 "give a train file for more", shots, N_BUILTIN);
			goto fail;
		}
		for (int i = 0; i < shots; i++)
			add_shot(&b, builtin_shots[i].question, builtin_shots[i].reasoning,
				 builtin_shots[i].answer);
	}
	if (!(g->shots = tb_buf_detach(&b, NULL)))
		goto nomem;
	free(pick);
	items_release(&train);
	return 0;
nomem:
	snprintf(err, errlen, "gsm8k: out of memory");
fail:
	tb_buf_release(&b);
	free(pick);
	items_release(&train);
	return -1;
}

static pcre2_code *compile(const char *pattern)
{
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
	/* JIT is an optional speed-up: without it (or if it fails) matching is interpreted. */
	if (re)
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

/* The built-in patterns, compiled (and JIT-compiled) once per process and then only read: every
 * open suite and every thread matches with the same compiled code, each call with its own match
 * data, which PCRE2 allows. They live as long as the process. Compiling them per open cost more
 * than reading a small dataset (the JIT maps and unmaps executable memory each time). */
static pthread_once_t re_once = PTHREAD_ONCE_INIT;
static pcre2_code *re_built[3];   /* STRICT_RE, NUMBER_RE, REF_RE; NULL where compiling failed */

static void re_build(void)
{
	re_built[0] = compile(STRICT_RE);
	re_built[1] = compile(NUMBER_RE);
	re_built[2] = compile(REF_RE);
}

/* ------------------------------------------------------------------ vtable */

static void gsm8k_close(suite *s)
{
	gsm8k *g = s->self;
	if (!g)
		return;
	items_release(&g->items);
	free(g->shots);
	free(g);
	s->self = NULL;
}

static int gsm8k_open(suite *s, const suite_opts *o, char *err, size_t errlen)
{
	gsm8k *g = calloc(1, sizeof *g);
	load_ctx c;

	if (!g) {
		snprintf(err, errlen, "gsm8k: out of memory");
		return -1;
	}
	s->self = g;
	g->chat = o->chat != 0;
	if (!o->dataset_path) {
		snprintf(err, errlen, "gsm8k: no dataset given (--dataset PATH to a GSM8K-format "
			 "test.jsonl; datasets/demo/arith.jsonl is built in)");
		return -1;
	}
	pthread_once(&re_once, re_build);
	g->re_strict = re_built[0];
	g->re_number = re_built[1];
	g->re_ref = re_built[2];
	if (!g->re_strict || !g->re_number || !g->re_ref) {
		snprintf(err, errlen, "gsm8k: a built-in pattern failed to compile (out of memory?)");
		return -1;
	}
	c.g = g;
	c.into = &g->items;
	c.s = s;
	if (suite_jsonl_read(o->dataset_path, o->limit, load_item, &c, err, errlen) < 0)
		return -1;
	return build_shots(g, o, err, errlen);
}

/* Chat requests are one user message: this instruction, a blank line, the same exemplars as a
 * completion prompt, then "Q: <question>". */
static const char chat_intro_shots[] =
	"Below are worked examples of grade-school math problems, followed by a new problem. Solve "
	"the new problem step by step, then end your reply with the sentence \"The answer is N.\" "
	"where N is the final number.\n\n";
static const char chat_intro_zero[] =
	"Solve this grade-school math problem step by step, then end your reply with the sentence "
	"\"The answer is N.\" where N is the final number.\n\n";

static int gsm8k_build(const suite *s, size_t i, int sample, prov_req *out)
{
	const gsm8k *g = s->self;
	tb_buf b = { 0 };

	if (g->chat)
		tb_buf_adds(&b, g->shots[0] ? chat_intro_shots : chat_intro_zero);
	tb_buf_adds(&b, g->shots);
	tb_buf_adds(&b, "Q: ");
	tb_buf_adds(&b, g->items.v[i].question);
	if (g->chat)
		return suite_req_take_user(out, s->ids[i], sample, tb_buf_detach(&b, NULL), NULL, 0);
	tb_buf_adds(&b, "\nA:");
	return suite_req_take_prompt(out, s->ids[i], sample, tb_buf_detach(&b, NULL), stop_strings,
				     sizeof stop_strings / sizeof stop_strings[0]);
}

static int gsm8k_score(const suite *s, size_t i, const prov_resp *r, suite_score_out *out)
{
	const gsm8k *g = s->self;
	const char *ref = g->items.v[i].ref;
	int rc;

	out->n_metrics = 2;
	out->metric[0] = "strict";
	out->metric[1] = "flexible";
	if (!(out->expected = strdup(ref)))
		return SUITE_ENOMEM;
	if (r->err != PROV_ERR_NONE || !r->text)
		return 0;   /* a failed request scores 0 with no answer */
	if ((rc = last_number(g->re_strict, r->text, &out->answer[0])) ||
	    (rc = last_number(g->re_number, r->text, &out->answer[1])))
		return rc;
	for (int m = 0; m < 2; m++)
		out->value[m] = out->answer[m] && strcmp(out->answer[m], ref) == 0 ? 1.0 : 0.0;
	return 0;
}

const suite_vtable suite_gsm8k_vtable = {
	.name = "gsm8k",
	.summary = "grade-school math, n-shot chain of thought (default 8), strict and flexible match",
	.dataset_hint = "GSM8K JSONL (question, answer ending \"#### N\"), e.g. gsm8k/test.jsonl",
	.open = gsm8k_open,
	.close = gsm8k_close,
	.build = gsm8k_build,
	.score = gsm8k_score,
};
