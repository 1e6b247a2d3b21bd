/* suites/gsm8k.c — GSM8K-format grade-school math: loads JSONL items ("question", "answer"
 * ending "#### N"), builds the n-shot chain-of-thought prompt ("Q: ...\nA: ... The answer is N.")
 * from built-in exemplars written for this project or from a train file, and scores each answer
 * twice: strict (the last "#### N" or "The answer is N") and flexible (the last number), both
 * normalised ($, commas, trailing ".", "18.00" = "18") and compared to the reference. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <cjson/cJSON.h>
#include <pcre2.h>

#include "suites/suite_impl.h"

#define GSM8K_DEFAULT_SHOTS 8
#define GSM8K_MAX_LINE_BYTES (1u << 20)
#define NUM_MAX 64

/* Original exemplars: a question, its worked reasoning, and the answer. */
static const struct { const char *q, *a; const char *n; } builtin_shots[] = {
	{ "A baker makes 6 trays of rolls with 12 rolls on each tray. She sells 50 rolls. How many rolls are left?",
	  "She makes 6 * 12 = 72 rolls. After selling 50, 72 - 50 = 22 rolls are left.", "22" },
	{ "Tomas reads 15 pages on Monday and twice as many on Tuesday. How many pages does he read in the two days?",
	  "On Tuesday he reads 2 * 15 = 30 pages. In total he reads 15 + 30 = 45 pages.", "45" },
	{ "A bike costs $240. Lina has saved $90 and saves $30 more each week. How many more weeks until she can buy the bike?",
	  "She still needs 240 - 90 = 150 dollars. At 30 dollars a week that takes 150 / 30 = 5 weeks.", "5" },
	{ "A garden has 4 rows of 9 tulips and 3 rows of 7 daisies. How many flowers are in the garden?",
	  "There are 4 * 9 = 36 tulips and 3 * 7 = 21 daisies, so 36 + 21 = 57 flowers.", "57" },
	{ "A train leaves with 180 passengers. At the first stop 45 get off and 20 get on. How many passengers are on the train now?",
	  "After 45 get off there are 180 - 45 = 135 passengers. After 20 get on there are 135 + 20 = 155.", "155" },
	{ "Omar buys 3 notebooks at $4 each and a pen for $2. He pays with a $20 bill. How much change does he get?",
	  "The notebooks cost 3 * 4 = 12 dollars, so he spends 12 + 2 = 14 dollars. His change is 20 - 14 = 6 dollars.", "6" },
	{ "A water tank holds 500 liters. It is one fifth full. How many more liters are needed to fill it?",
	  "One fifth of 500 is 500 / 5 = 100 liters. It needs 500 - 100 = 400 more liters.", "400" },
	{ "Each of 8 teams has 11 players. Two teams drop out of the tournament. How many players are left?",
	  "There are 8 - 2 = 6 teams left, with 6 * 11 = 66 players.", "66" },
};
#define N_BUILTIN (sizeof builtin_shots / sizeof builtin_shots[0])

typedef struct item {
	char *question;
	char *ref;          /* normalised reference answer */
} item;

typedef struct gsm8k {
	item *items;
	char *prefix;       /* the few-shot block before "Q: <question>\nA:" */
	int chat;
	pcre2_code *re_strict;
	pcre2_code *re_number;
} gsm8k;

/* ------------------------------------------------------------------ numbers */

/* Normalises a numeric answer: drops "$", ",", a leading "+", a trailing "."; trailing zeros after
 * a decimal point ("18.00" -> "18", "2.50" -> "2.5"); ".5" -> "0.5"; "-0" -> "0". Returns 0, or -1
 * when s holds no digits. */
static int normalise_number(const char *s, char out[NUM_MAX])
{
	char buf[NUM_MAX];
	size_t n = 0;
	int neg = 0, digits = 0;
	char *dot;

	while (*s == ' ' || *s == '$' || *s == '+')
		s++;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	while (*s == '$' || *s == ' ')
		s++;
	for (; *s && n < sizeof buf - 2; s++) {
		if (*s == ',' || *s == '$')
			continue;
		if ((*s >= '0' && *s <= '9') || *s == '.') {
			digits += *s != '.';
			buf[n++] = *s;
		} else {
			break;
		}
	}
	buf[n] = 0;
	if (!digits)
		return -1;
	while (n && buf[n - 1] == '.')   /* "18." */
		buf[--n] = 0;
	if ((dot = strchr(buf, '.'))) {
		if (strchr(dot + 1, '.'))    /* "1.2.3": keep up to the second point */
			*strchr(dot + 1, '.') = 0, n = strlen(buf);
		while (n && buf[n - 1] == '0')
			buf[--n] = 0;
		if (n && buf[n - 1] == '.')
			buf[--n] = 0;
	}
	{
		const char *p = buf;
		while (p[0] == '0' && p[1] && p[1] != '.')   /* "007" -> "7" */
			p++;
		if (p[0] == 0)
			p = "0";
		if (strcmp(p, "0") == 0)
			neg = 0;
		snprintf(out, NUM_MAX, "%s%s%.60s", neg ? "-" : "", p[0] == '.' ? "0" : "", p);
	}
	return 0;
}

/* The last match of re in text (its capture group 1), normalised; NULL when none. */
static char *last_match(const pcre2_code *re, const char *text)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	PCRE2_SIZE off = 0, len = strlen(text), best_s = 0, best_e = 0;
	int found = 0;
	char raw[NUM_MAX], norm[NUM_MAX];

	if (!md)
		return NULL;
	while (off <= len) {
		int rc = pcre2_match(re, (PCRE2_SPTR)text, len, off, 0, md, NULL);
		PCRE2_SIZE *ov;
		if (rc < 0)
			break;
		ov = pcre2_get_ovector_pointer(md);
		/* the pattern's first set group holds the number */
		for (int g = 1; g < rc; g++)
			if (ov[2 * g] != PCRE2_UNSET) {
				best_s = ov[2 * g];
				best_e = ov[2 * g + 1];
				found = 1;
				break;
			}
		off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	}
	pcre2_match_data_free(md);
	if (!found)
		return NULL;
	snprintf(raw, sizeof raw, "%.*s", (int)(best_e - best_s < NUM_MAX - 1 ? best_e - best_s : NUM_MAX - 1),
		 text + best_s);
	if (normalise_number(raw, norm))
		return NULL;
	return strdup(norm);
}

/* ------------------------------------------------------------------ loading */

/* The reasoning of a GSM8K answer: the text before "####" with "<<calc>>" notes removed and
 * lines joined by spaces. Ownership: caller frees. */
static char *reasoning_of(const char *answer)
{
	const char *end = strstr(answer, "####");
	size_t n = end ? (size_t)(end - answer) : strlen(answer), k = 0;
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (answer[i] == '<' && i + 1 < n && answer[i + 1] == '<') {
			const char *close = strstr(answer + i, ">>");
			if (close && (size_t)(close - answer) < n) {
				i = (size_t)(close - answer) + 1;
				continue;
			}
		}
		out[k++] = answer[i] == '\n' ? ' ' : answer[i];
	}
	while (k && out[k - 1] == ' ')
		k--;
	out[k] = 0;
	return out;
}

/* Reference answer: the text after the last "####", normalised. */
static int reference_of(const char *answer, char out[NUM_MAX])
{
	const char *p = NULL, *q = answer;
	while ((q = strstr(q, "####"))) {
		p = q + 4;
		q += 4;
	}
	return p ? normalise_number(p, out) : -1;
}

typedef struct raw_item {
	char *id, *question, *answer;
} raw_item;

static void raw_free(raw_item *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].id);
		free(r[i].question);
		free(r[i].answer);
	}
	free(r);
}

/* Reads a GSM8K JSONL file: every non-blank line an object with string "question" and "answer"
 * (whose text has "#### N"). limit > 0 stops after that many items. */
static raw_item *load_jsonl(const char *path, long limit, size_t *n_out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	raw_item *items = NULL;
	size_t n = 0, cap = 0, bufcap = 0;
	char *line = NULL;
	long len, lineno = 0;

	*n_out = 0;
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	while ((limit <= 0 || (long)n < limit) &&
	       (len = suite_read_line(f, &line, &bufcap, GSM8K_MAX_LINE_BYTES)) != -1) {
		cJSON *o, *q, *a, *id;
		char ref[NUM_MAX], idbuf[32];
		lineno++;
		if (len == -2) {
			snprintf(err, errlen, "%s:%ld: line longer than %u KiB", path, lineno,
				 GSM8K_MAX_LINE_BYTES >> 10);
			goto fail;
		}
		if (strspn(line, " \t\r") == (size_t)len)
			continue;   /* blank lines are skipped but still counted for line ids */
		o = cJSON_Parse(line);
		if (!cJSON_IsObject(o)) {
			snprintf(err, errlen, "%s:%ld: not a JSON object", path, lineno);
			cJSON_Delete(o);
			goto fail;
		}
		q = cJSON_GetObjectItemCaseSensitive(o, "question");
		a = cJSON_GetObjectItemCaseSensitive(o, "answer");
		if (!cJSON_IsString(q) || !cJSON_IsString(a)) {
			snprintf(err, errlen, "%s:%ld: missing field \"%s\" (string)", path, lineno,
				 !cJSON_IsString(q) ? "question" : "answer");
			cJSON_Delete(o);
			goto fail;
		}
		if (reference_of(a->valuestring, ref)) {
			snprintf(err, errlen, "%s:%ld: field \"answer\" has no final \"#### N\"", path, lineno);
			cJSON_Delete(o);
			goto fail;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			raw_item *ni = realloc(items, nc * sizeof *ni);
			if (!ni) {
				cJSON_Delete(o);
				goto nomem;
			}
			items = ni;
			cap = nc;
		}
		memset(&items[n], 0, sizeof items[n]);
		id = cJSON_GetObjectItemCaseSensitive(o, "task_id");
		if (!id)
			id = cJSON_GetObjectItemCaseSensitive(o, "unique_id");
		if (cJSON_IsString(id))
			items[n].id = strdup(id->valuestring);
		else if (cJSON_IsNumber(id))
			snprintf(idbuf, sizeof idbuf, "%lld", (long long)id->valuedouble), items[n].id = strdup(idbuf);
		else
			snprintf(idbuf, sizeof idbuf, "%ld", lineno - 1), items[n].id = strdup(idbuf);
		items[n].question = strdup(q->valuestring);
		items[n].answer = strdup(a->valuestring);
		n++;
		cJSON_Delete(o);
		if (!items[n - 1].id || !items[n - 1].question || !items[n - 1].answer)
			goto nomem;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		goto fail;
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: no items", path);
		goto fail;
	}
	fclose(f);
	free(line);
	*n_out = n;
	return items;
nomem:
	snprintf(err, errlen, "%s: out of memory", path);
fail:
	fclose(f);
	free(line);
	raw_free(items, n);
	return NULL;
}

/* ------------------------------------------------------------------ prompt */

typedef struct sbuf {
	char *s;
	size_t n, cap;
	int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s)
{
	size_t l = strlen(s);
	if (b->oom)
		return;
	if (b->n + l + 1 > b->cap) {
		size_t nc = (b->cap ? b->cap : 256);
		char *ns;
		while (nc < b->n + l + 1)
			nc *= 2;
		if (!(ns = realloc(b->s, nc))) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = nc;
	}
	memcpy(b->s + b->n, s, l + 1);
	b->n += l;
}

static void add_shot(sbuf *b, const char *q, const char *reasoning, const char *ans)
{
	sb_add(b, "Q: ");
	sb_add(b, q);
	sb_add(b, "\nA: ");
	sb_add(b, reasoning);
	sb_add(b, " The answer is ");
	sb_add(b, ans);
	sb_add(b, ".\n\n");
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Few-shot block: from the train file (shots items chosen by a seeded shuffle) or built-in. */
static int build_prefix(gsm8k *g, const suite_opts *o, char *err, size_t errlen)
{
	sbuf b = { 0 };
	int shots = o->shots < 0 ? GSM8K_DEFAULT_SHOTS : o->shots;
	sb_add(&b, "");
	if (o->train_path && shots > 0) {
		size_t n = 0, *order;
		raw_item *tr = load_jsonl(o->train_path, 0, &n, err, errlen);
		uint64_t st = o->seed;
		if (!tr) {
			free(b.s);
			return -1;
		}
		if ((size_t)shots > n) {
			snprintf(err, errlen, "%s: %d shots asked but the train file has %zu items",
				 o->train_path, shots, n);
			raw_free(tr, n);
			free(b.s);
			return -1;
		}
		if (!(order = malloc(n * sizeof *order))) {
			raw_free(tr, n);
			free(b.s);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (size_t i = 0; i < n; i++)
			order[i] = i;
		for (size_t i = 0; i < (size_t)shots; i++) {   /* partial Fisher-Yates */
			size_t j = i + (size_t)(splitmix(&st) % (n - i)), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (size_t i = 0; i < (size_t)shots; i++) {
			raw_item *r = &tr[order[i]];
			char ref[NUM_MAX], *reas = reasoning_of(r->answer);
			reference_of(r->answer, ref);
			if (reas)
				add_shot(&b, r->question, reas, ref);
			else
				b.oom = 1;
			free(reas);
		}
		free(order);
		raw_free(tr, n);
	} else {
		if ((size_t)shots > N_BUILTIN) {
			snprintf(err, errlen, "gsm8k: %d shots asked but there are %zu built-in exemplars; "
				 "give a train file for more", shots, N_BUILTIN);
			free(b.s);
			return -1;
		}
		for (int i = 0; i < shots; i++)
			add_shot(&b, builtin_shots[i].q, builtin_shots[i].a, builtin_shots[i].n);
	}
	if (b.oom) {
		free(b.s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	g->prefix = b.s;
	return 0;
}

/* ------------------------------------------------------------------ vtable */

static void gsm8k_close(suite *s)
{
	gsm8k *g = s->self;
	if (!g)
		return;
	for (size_t i = 0; i < s->n_items; i++) {
		free(g->items[i].question);
		free(g->items[i].ref);
	}
	free(g->items);
	free(g->prefix);
	pcre2_code_free(g->re_strict);
	pcre2_code_free(g->re_number);
	free(g);
	s->self = NULL;
}

/* A number: optional sign and "$", digits with commas, optional decimals; or ".5". Not glued to
 * a letter before it ("A4") nor part of a longer number. */
#define NUM "(-?\\$?\\s?(?:\\d[\\d,]*(?:\\.\\d+)?|\\.\\d+))"

static int gsm8k_open(suite *s, const suite_opts *o, char *err, size_t errlen)
{
	gsm8k *g = calloc(1, sizeof *g);
	raw_item *raw = NULL;
	size_t n = 0;
	int ec;
	PCRE2_SIZE eo;

	if (!g) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->self = g;
	g->chat = o->chat;
	if (!o->dataset_path) {
		snprintf(err, errlen, "gsm8k: no dataset given (--dataset PATH to a GSM8K-format "
			 "test.jsonl; datasets/demo/arith.jsonl is built in)");
		return -1;
	}
	/* strict: "#### N" or "the answer is N" (any case, optional ":" and bold) */
	g->re_strict = pcre2_compile((PCRE2_SPTR)"####\\s*" NUM "|(?i:the\\s+(?:final\\s+)?answer\\s+is)"
		"\\s*:?\\s*\\**\\s*" NUM, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
	g->re_number = pcre2_compile((PCRE2_SPTR)"(?<![A-Za-z_\\d.,])" NUM, PCRE2_ZERO_TERMINATED, 0,
		&ec, &eo, NULL);
	if (!g->re_strict || !g->re_number) {
		snprintf(err, errlen, "gsm8k: internal pattern failed to compile at %zu", (size_t)eo);
		return -1;
	}
	raw = load_jsonl(o->dataset_path, o->limit, &n, err, errlen);
	if (!raw)
		return -1;
	g->items = calloc(n, sizeof *g->items);
	s->ids = calloc(n, sizeof *s->ids);
	if (!g->items || !s->ids)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		char ref[NUM_MAX];
		reference_of(raw[i].answer, ref);
		g->items[i].question = raw[i].question;
		raw[i].question = NULL;
		s->ids[i] = raw[i].id;
		raw[i].id = NULL;
		s->n_items = i + 1;
		if (!(g->items[i].ref = strdup(ref)))
			goto nomem;
	}
	raw_free(raw, n);
	raw = NULL;
	if (build_prefix(g, o, err, errlen))
		return -1;
	return 0;
nomem:
	raw_free(raw, n);
	snprintf(err, errlen, "out of memory");
	return -1;
}

static char *dup_or_null(const char *s, int *oom)
{
	char *d = strdup(s);
	if (!d)
		*oom = 1;
	return d;
}

static int gsm8k_build(const suite *s, size_t i, int sample, prov_req *out)
{
	const gsm8k *g = s->self;
	sbuf b = { 0 };
	int oom = 0;

	out->task_id = dup_or_null(s->ids[i], &oom);
	out->sample = sample;
	if (g->chat) {
		sb_add(&b, "Solve the grade-school math problem. Think step by step, then end your reply "
			   "with \"The answer is N.\" where N is the final number.\n\n");
		sb_add(&b, g->prefix);
		sb_add(&b, "Q: ");
		sb_add(&b, g->items[i].question);
		out->messages = calloc(1, sizeof *out->messages);
		if (out->messages) {
			out->n_messages = 1;
			out->messages[0].role = dup_or_null("user", &oom);
			out->messages[0].content = b.s;
			b.s = NULL;
		}
	} else {
		sb_add(&b, g->prefix);
		sb_add(&b, "Q: ");
		sb_add(&b, g->items[i].question);
		sb_add(&b, "\nA:");
		out->prompt = b.s;
		b.s = NULL;
		out->stop = calloc(2, sizeof *out->stop);
		if (out->stop) {
			out->stop[0] = dup_or_null("Q:", &oom);
			out->stop[1] = dup_or_null("\n\n\n", &oom);
			out->n_stop = 2;
		}
	}
	if (b.oom || oom || (!out->prompt && !out->messages) || (!g->chat && !out->stop) ||
	    (g->chat && (!out->messages || !out->messages[0].content))) {
		free(b.s);
		prov_req_release(out);
		return SUITE_ENOMEM;
	}
	return 0;
}

static int gsm8k_score(const suite *s, size_t i, const prov_resp *r, suite_score_out *out)
{
	const gsm8k *g = s->self;
	const char *ref = g->items[i].ref;
	out->n_metrics = 2;
	out->metric[0] = "strict";
	out->metric[1] = "flexible";
	if (!(out->expected = strdup(ref)))
		return SUITE_ENOMEM;
	if (r->err || !r->text)
		return 0;
	out->answer[0] = last_match(g->re_strict, r->text);
	out->answer[1] = last_match(g->re_number, r->text);
	out->value[0] = out->answer[0] && strcmp(out->answer[0], ref) == 0;
	out->value[1] = out->answer[1] && strcmp(out->answer[1], ref) == 0;
	return 0;
}

const suite_vtable suite_gsm8k_vtable = {
	.name = "gsm8k",
	.summary = "grade-school math, n-shot chain of thought (default 8), strict and flexible match",
	.dataset_hint = "GSM8K JSONL (question, answer ending \"#### N\"); e.g. gsm8k/test.jsonl",
	.open = gsm8k_open,
	.close = gsm8k_close,
	.build = gsm8k_build,
	.score = gsm8k_score,
};
