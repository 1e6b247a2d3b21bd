/* suites/needle.c — long-context retrieval ("needle in a haystack"). A haystack of sentences
 * (generated from a seed by default, or read from a text file) is cut to each context length of
 * the grid with the target's token counter (or an estimate of 4 bytes per token), needles are put
 * at sentence boundaries at each depth, and the reply is scored by exact substring. Variants:
 * one needle; one key among distractor keys; one key with several values; RULER-style variable
 * tracking. Item ids name the grid cell ("single/L4096/D50"), so per-cell results make a heat map. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "suites/suite_impl.h"

#define NEEDLE_ANSWER_ROOM 64   /* tokens left for the reply inside each context length */
#define NEEDLE_MAX_FILE_BYTES ((size_t)64 << 20)

enum { V_SINGLE, V_MULTIKEY, V_MULTIVALUE, V_VARTRACK };
static const char *const variant_names[] = { "single", "multikey", "multivalue", "vartrack" };

typedef struct needle_item {
	size_t n_sent;       /* haystack sentences used */
	int depth_pct;       /* 0..100 */
	char *needles[4];    /* needle sentences, first at depth, the others spread after it */
	int n_needles;
	char *question;
	char *expected[4];   /* strings the reply must contain */
	int n_expected;
} needle_item;

typedef struct needle {
	int variant, chat;
	char *hay;           /* sentences, each ending with ' ' */
	size_t *sent_end;    /* [n_sent] byte offset after each sentence */
	size_t n_sent;
	needle_item *v;
	size_t n;
} needle;

static uint64_t mix(uint64_t *st)
{
	uint64_t z = (*st += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ------------------------------------------------------------------ haystacks */

static const char *const w_subj[] = {
	"The old miller", "A quiet river", "The village baker", "Every autumn wind", "The young sailor",
	"A grey heron", "The night watchman", "The patient teacher", "A wandering merchant",
	"The lighthouse keeper", "An orchard gardener", "The stone bridge",
};
static const char *const w_verb[] = {
	"carried", "watched", "remembered", "painted", "followed", "mended", "gathered", "counted",
	"described", "passed",
};
static const char *const w_obj[] = {
	"the small boats", "a basket of apples", "the long shadows", "three copper coins",
	"the morning fog", "a letter from the coast", "the broken fence", "the summer fields",
	"a lantern of brass", "the names of the hills",
};
static const char *const w_tail[] = {
	"before the market opened", "while the bells rang", "near the northern gate",
	"under a pale sky", "as the tide came in", "without saying a word", "long after supper",
	"beside the cold stream",
};
#define PICK(a, st) a[mix(st) % (sizeof a / sizeof a[0])]

/* Appends sentences to the haystack until it holds at least want_bytes. */
static int hay_generate(needle *nd, uint64_t seed, size_t want_bytes)
{
	tb_buf b = { 0 };
	size_t cap = 0;
	uint64_t st = seed ^ 0x6e6565646c65ull;
	while (b.len < want_bytes && !b.err) {
		if (nd->n_sent == cap) {
			size_t *ne = realloc(nd->sent_end, (cap = cap ? cap * 2 : 1024) * sizeof *ne);
			if (!ne) {
				tb_buf_release(&b);
				return SUITE_ENOMEM;
			}
			nd->sent_end = ne;
		}
		tb_buf_adds(&b, PICK(w_subj, &st));
		tb_buf_adds(&b, " ");
		tb_buf_adds(&b, PICK(w_verb, &st));
		tb_buf_adds(&b, " ");
		tb_buf_adds(&b, PICK(w_obj, &st));
		tb_buf_adds(&b, " ");
		tb_buf_adds(&b, PICK(w_tail, &st));
		tb_buf_adds(&b, ". ");
		nd->sent_end[nd->n_sent++] = b.len;
	}
	return (nd->hay = tb_buf_detach(&b, NULL)) ? 0 : SUITE_ENOMEM;
}

/* Reads a text file and splits it into sentences (ending in . ! or ? before white space), with
 * white space runs folded to one space; repeated until want_bytes. -1 with err on failure. */
static int hay_read(needle *nd, const char *path, size_t want_bytes, char *err, size_t errlen)
{
	tb_buf file = { 0 }, b = { 0 };
	char *raw;
	size_t n = 0, cap = 0, rawlen = 0;
	int space = 0;
	if (tb_file_read(path, NEEDLE_MAX_FILE_BYTES, &file, err, errlen))
		return -1;
	raw = file.p;
	/* white space runs folded to one space, in place (the text only shrinks) */
	for (size_t i = 0; i < file.len; i++) {
		char c = raw[i];
		if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
			space = rawlen > 0;
			continue;
		}
		if (space)
			raw[rawlen++] = ' ';
		space = 0;
		raw[rawlen++] = c;
	}
	if (rawlen < 2) {
		snprintf(err, errlen, "%s: no text", path);
		goto fail;
	}
	raw[rawlen] = 0;
	while (b.len < want_bytes && !b.err) {
		size_t start = 0;
		for (size_t i = 0; i < rawlen; i++) {
			int end = (raw[i] == '.' || raw[i] == '!' || raw[i] == '?') &&
				  (i + 1 == rawlen || raw[i + 1] == ' ');
			if (!end)
				continue;
			if (n == cap) {
				size_t *ne = realloc(nd->sent_end, (cap = cap ? cap * 2 : 1024) * sizeof *ne);
				if (!ne)
					goto nomem;
				nd->sent_end = ne;
			}
			tb_buf_add(&b, raw + start, i + 1 - start);
			tb_buf_adds(&b, " ");
			nd->sent_end[n++] = b.len;
			start = i + 2;
			if (b.len >= want_bytes)
				break;
		}
		if (!n) {
			snprintf(err, errlen, "%s: no sentence ends in the text", path);
			goto fail;
		}
	}
	tb_buf_release(&file);
	nd->n_sent = n;
	if (!(nd->hay = tb_buf_detach(&b, NULL)))
		goto nomem;
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", path);
fail:
	tb_buf_release(&file);
	tb_buf_release(&b);
	return -1;
}

/* ------------------------------------------------------------------ items */

static char *fmt(const char *a, const char *b, const char *c)
{
	tb_buf x = { 0 };
	tb_buf_adds(&x, a);
	tb_buf_adds(&x, b);
	if (c)
		tb_buf_adds(&x, c);
	return tb_buf_detach(&x, NULL);
}

static void key_name(uint64_t *st, char *out, size_t len)
{
	static const char *const a[] = { "amber", "silent", "crimson", "northern", "velvet", "hollow",
					 "bright", "frozen" };
	static const char *const b[] = { "harbor", "falcon", "meadow", "lantern", "quarry", "willow",
					 "comet", "garden" };
	snprintf(out, len, "%s-%s-%u", PICK(a, st), PICK(b, st), (unsigned)(mix(st) % 90 + 10));
}

static void number(uint64_t *st, char *out, size_t len)
{
	snprintf(out, len, "%u", (unsigned)(mix(st) % 9000000 + 1000000));
}

/* Fills the needles, question and expected strings of it for the variant. */
static int make_item(needle_item *it, int variant, uint64_t seed)
{
	uint64_t st = seed;
	char key[64], val[32], other[64];
	int ok = 1;
	key_name(&st, key, sizeof key);
	switch (variant) {
	case V_SINGLE:
	case V_MULTIKEY:
		number(&st, val, sizeof val);
		it->needles[0] = fmt("The special magic number for ", key, NULL);
		ok = it->needles[0] != NULL;
		if (ok) {
			char *t = fmt(it->needles[0], " is: ", val);
			free(it->needles[0]);
			it->needles[0] = t ? fmt(t, ".", NULL) : NULL;
			free(t);
		}
		it->n_needles = 1;
		if (variant == V_MULTIKEY)
			for (int k = 1; k < 4; k++) {
				char v2[32], *t;
				do
					key_name(&st, other, sizeof other);
				while (strcmp(other, key) == 0);
				number(&st, v2, sizeof v2);
				t = fmt("The special magic number for ", other, " is: ");
				it->needles[k] = t ? fmt(t, v2, ".") : NULL;
				free(t);
				it->n_needles++;
			}
		it->question = fmt("What is the special magic number for ", key,
				   "? Answer with the number only.");
		it->expected[0] = strdup(val);
		it->n_expected = 1;
		break;
	case V_MULTIVALUE:
		for (int k = 0; k < 4; k++) {
			char *t;
			number(&st, val, sizeof val);
			t = fmt("One of the special magic numbers for ", key, " is: ");
			it->needles[k] = t ? fmt(t, val, ".") : NULL;
			free(t);
			it->expected[k] = strdup(val);
		}
		it->n_needles = it->n_expected = 4;
		it->question = fmt("What are all the special magic numbers for ", key,
				   "? List every one of them.");
		break;
	default: {   /* V_VARTRACK: VAR A = N. VAR B = A. ... all of A..D hold N */
		char names[4][8];
		number(&st, val, sizeof val);
		for (int k = 0; k < 4; k++) {
			char *t;
			snprintf(names[k], sizeof names[k], "%c%c%c%c", (char)('A' + mix(&st) % 26),
				 (char)('A' + mix(&st) % 26), (char)('A' + mix(&st) % 26), (char)('A' + k));
			t = fmt("VAR ", names[k], " = ");
			it->needles[k] = t ? fmt(t, k ? names[k - 1] : val, ".") : NULL;
			free(t);
			it->expected[k] = strdup(names[k]);
		}
		it->n_needles = it->n_expected = 4;
		it->question = fmt("Which variables are assigned the value ", val,
				   ", directly or through other variables? List their names.");
	}
	}
	for (int k = 0; k < it->n_needles; k++)
		ok = ok && it->needles[k];
	for (int k = 0; k < it->n_expected; k++)
		ok = ok && it->expected[k];
	return ok && it->question ? 0 : SUITE_ENOMEM;
}

static const char intro[] =
	"Below is a long text with some special facts hidden in it. Read it, then answer the question "
	"after it.\n\n";

/* The sentence index after which needle k goes: the first at the item's depth, the others
 * spread over the rest of the text. */
static size_t needle_pos(const needle_item *it, int k)
{
	double d = it->depth_pct / 100.0;
	if (k)
		d = d + (1.0 - d) * k / (double)it->n_needles;
	return (size_t)(d * (double)it->n_sent + 0.5);
}

/* The whole prompt of it (haystack cut to it->n_sent sentences, needles in place). */
static char *assemble(const needle *nd, const needle_item *it)
{
	tb_buf b = { 0 };
	size_t prev = 0;
	tb_buf_adds(&b, intro);
	for (size_t s = 0; s <= it->n_sent; s++) {
		for (int k = 0; k < it->n_needles; k++)
			if (needle_pos(it, k) == s) {
				tb_buf_adds(&b, it->needles[k]);
				tb_buf_adds(&b, " ");
			}
		if (s < it->n_sent) {
			tb_buf_add(&b, nd->hay + prev, nd->sent_end[s] - prev);
			prev = nd->sent_end[s];
		}
	}
	tb_buf_adds(&b, "\n\nQuestion: ");
	tb_buf_adds(&b, it->question);
	tb_buf_adds(&b, "\nAnswer:");
	return tb_buf_detach(&b, NULL);
}

static long count_tokens(const suite_opts *o, const char *text)
{
	if (o->count_tokens)
		return o->count_tokens(o->count_tokens_ud, text);
	return (long)((strlen(text) + 3) / 4);   /* the estimate for targets without a tokenizer */
}

/* The largest sentence count whose assembled prompt fits budget tokens (binary search; token
 * counts grow with the sentence count). Returns -1 when not even an empty haystack fits. */
static long fit_sentences(const needle *nd, needle_item *it, const suite_opts *o, long budget)
{
	size_t lo = 0, hi = nd->n_sent;
	long fits = -1;
	while (lo <= hi) {
		size_t mid = lo + (hi - lo) / 2;
		char *p;
		long t;
		it->n_sent = mid;
		if (!(p = assemble(nd, it)))
			return -2;
		t = count_tokens(o, p);
		free(p);
		if (t >= 0 && t <= budget) {
			fits = (long)mid;
			lo = mid + 1;
		} else {
			if (mid == 0)
				break;
			hi = mid - 1;
		}
	}
	return fits;
}

/* ------------------------------------------------------------------ vtable */

static void item_free(needle_item *it)
{
	for (int k = 0; k < 4; k++) {
		free(it->needles[k]);
		free(it->expected[k]);
	}
	free(it->question);
}

static void needle_close(suite *s)
{
	needle *nd = s->self;
	if (!nd)
		return;
	for (size_t i = 0; i < nd->n; i++)
		item_free(&nd->v[i]);
	free(nd->v);
	free(nd->hay);
	free(nd->sent_end);
	free(nd);
	s->self = NULL;
}

/* ------------------------------------------------------------------ options */

/* The keys of the needle's options object (docs/suites.md, "Grid"). */
static const char *const needle_option_keys[] = { "lengths", "depths", "variant", NULL };

#define NEEDLE_MAX_LENGTHS 64

typedef struct needle_opts {
	long lengths[NEEDLE_MAX_LENGTHS];  /* context lengths in tokens [n_lengths]; 0: the default */
	size_t n_lengths;
	long depths;                       /* depths per length, 0 % .. 100 % evenly */
	int variant;                       /* V_* */
} needle_opts;

/* Reads the options object o into *no (defaults where o lacks a key): lengths, an array of
 * 1..64 integers 256..16777216; depths 1..101; variant one of variant_names. Returns 0, or -1
 * with the key's path in key and what is wrong in err. */
static int needle_opts_read(const cJSON *o, needle_opts *no, char *key, size_t keylen, char *err,
	size_t errlen)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "lengths"), *it, *var;
	char got[64];

	memset(no, 0, sizeof *no);
	no->depths = 10;
	if (arr) {
		if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1 ||
		    cJSON_GetArraySize(arr) > NEEDLE_MAX_LENGTHS) {
			suite_option_show(arr, got, sizeof got);
			snprintf(key, keylen, "lengths");
			snprintf(err, errlen, "expected an array of 1..%d integers, got %s",
				NEEDLE_MAX_LENGTHS, got);
			return -1;
		}
		cJSON_ArrayForEach(it, arr) {
			if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) ||
			    it->valuedouble < 256 || it->valuedouble > 16777216) {
				suite_option_show(it, got, sizeof got);
				snprintf(key, keylen, "lengths[%zu]", no->n_lengths);
				snprintf(err, errlen, "expected integer 256..16777216 (tokens), got %s", got);
				return -1;
			}
			no->lengths[no->n_lengths++] = (long)it->valuedouble;
		}
	}
	if (suite_option_int(o, "depths", 1, 101, &no->depths, key, keylen, err, errlen))
		return -1;
	no->variant = V_SINGLE;
	if ((var = cJSON_GetObjectItemCaseSensitive(o, "variant"))) {
		no->variant = -1;
		for (int v = 0; v < 4 && cJSON_IsString(var); v++)
			if (strcmp(var->valuestring, variant_names[v]) == 0)
				no->variant = v;
		if (no->variant < 0) {
			/* a string as written (the caller escapes control bytes), cut at 40 bytes */
			if (cJSON_IsString(var))
				snprintf(got, sizeof got, "\"%.40s\"", var->valuestring);
			else
				suite_option_show(var, got, sizeof got);
			snprintf(key, keylen, "variant");
			snprintf(err, errlen, "expected \"single\", \"multikey\", \"multivalue\" or "
				"\"vartrack\", got %s", got);
			return -1;
		}
	}
	return 0;
}

static int needle_options_check(const cJSON *o, char *key, size_t keylen, char *err, size_t errlen)
{
	needle_opts no;
	return needle_opts_read(o, &no, key, keylen, err, errlen);
}

static int needle_open(suite *s, const suite_opts *o, char *err, size_t errlen)
{
	static const long def_lengths[] = { 1024, 2048, 4096, 8192 };
	needle_opts no;
	const long *lengths;
	size_t n_len;
	long ctx_len[1], max_len = 0;
	int depths;
	needle *nd;
	cJSON *opts = suite_options_parse(o);
	char key[64], why[256];

	if (!opts)
		goto nomem;
	if (needle_opts_read(opts, &no, key, sizeof key, why, sizeof why)) {
		cJSON_Delete(opts);   /* suite_open checked them: only a direct caller gets here */
		snprintf(err, errlen, "needle: options.%s: %s", key, why);
		return -1;
	}
	cJSON_Delete(opts);
	lengths = no.n_lengths ? no.lengths : def_lengths;
	n_len = no.n_lengths ? no.n_lengths : 4;
	/* The default grid stops at the target's context; a shorter context is its own length. */
	if (!no.n_lengths && o->max_context > 0) {
		while (n_len && lengths[n_len - 1] > o->max_context)
			n_len--;
		if (!n_len) {
			ctx_len[0] = o->max_context;
			lengths = ctx_len;
			n_len = 1;
		}
	}
	depths = (int)no.depths;
	if (!(nd = calloc(1, sizeof *nd)))
		goto nomem;
	s->self = nd;
	nd->chat = o->chat != 0;
	nd->variant = no.variant;
	for (size_t l = 0; l < n_len; l++) {
		if (lengths[l] < 256) {   /* only a context below 256 tokens gets here */
			snprintf(err, errlen, "needle: context length %ld is below 256 tokens", lengths[l]);
			return -1;
		}
		if (lengths[l] > max_len)
			max_len = lengths[l];
	}
	/* Enough text for the longest length at 6 bytes a token (more than any tokenizer needs for
	 * English prose; the estimate uses 4). */
	if (o->dataset_path) {
		if (hay_read(nd, o->dataset_path, (size_t)max_len * 6, err, errlen))
			return -1;
	} else if (hay_generate(nd, o->seed, (size_t)max_len * 6)) {
		goto nomem;
	}
	if (!(nd->v = calloc(n_len * (size_t)depths, sizeof *nd->v)))
		goto nomem;
	for (size_t l = 0; l < n_len; l++)
		for (int d = 0; d < depths; d++) {
			needle_item *it = &nd->v[nd->n];
			char id[96];
			long k;
			it->depth_pct = depths == 1 ? 50 : (int)(100.0 * d / (depths - 1) + 0.5);
			if (make_item(it, nd->variant, o->seed * 1000003u + l * 1009u + (uint64_t)d))
				goto nomem;
			nd->n++;
			k = fit_sentences(nd, it, o, lengths[l] - NEEDLE_ANSWER_ROOM);
			if (k == -2)
				goto nomem;
			if (k < 0) {
				snprintf(err, errlen, "needle: the question and needles alone pass %ld tokens",
					 lengths[l]);
				return -1;
			}
			if ((size_t)k == nd->n_sent) {
				snprintf(err, errlen, "needle: the haystack%s%s is too short for %ld tokens",
					 o->dataset_path ? " " : "", o->dataset_path ? o->dataset_path : "",
					 lengths[l]);
				return -1;
			}
			it->n_sent = (size_t)k;
			snprintf(id, sizeof id, "%s/L%ld/D%d", variant_names[nd->variant], lengths[l],
				 it->depth_pct);
			if (suite_ids_push(s, id))
				goto nomem;
			if (o->build_progress)
				o->build_progress(o->build_progress_ud, nd->n, o->limit > 0 &&
						  (size_t)o->limit < n_len * (size_t)depths ?
						  (size_t)o->limit : n_len * (size_t)depths);
			if (o->limit > 0 && (long)nd->n >= o->limit)
				return 0;
		}
	return 0;
nomem:
	snprintf(err, errlen, "needle: out of memory");
	return -1;
}

static int needle_build(const suite *s, size_t i, int sample, prov_req *out)
{
	const needle *nd = s->self;
	char *p = assemble(nd, &nd->v[i]);
	if (nd->chat)
		return suite_req_take_user(out, s->ids[i], sample, p, NULL, 0);
	return suite_req_take_prompt(out, s->ids[i], sample, p, NULL, 0);
}

static int needle_score(const suite *s, size_t i, const prov_resp *r, suite_score_out *out)
{
	const needle *nd = s->self;
	const needle_item *it = &nd->v[i];
	tb_buf b = { 0 };
	int found = 0;
	out->n_metrics = 1;
	out->metric[0] = "found";
	for (int k = 0; k < it->n_expected; k++) {
		if (k)
			tb_buf_adds(&b, ", ");
		tb_buf_adds(&b, it->expected[k]);
		found += r->err == PROV_ERR_NONE && r->text && strstr(r->text, it->expected[k]) != NULL;
	}
	if (!(out->expected = tb_buf_detach(&b, NULL)))
		return SUITE_ENOMEM;
	/* The share of expected strings the reply contains (1 or 0 for one needle). */
	out->value[0] = (double)found / it->n_expected;
	return 0;
}

const suite_vtable suite_needle_vtable = {
	.name = "needle",
	.summary = "long-context retrieval: needles at each depth of haystacks cut to each length",
	.dataset_hint = NULL,
	.per_target = 1,
	.open = needle_open,
	.close = needle_close,
	.build = needle_build,
	.score = needle_score,
	.option_keys = needle_option_keys,
	.options_check = needle_options_check,
};
