/* harness/spec.c — the run spec: JSON (cJSON) into hx_spec with errors that name the JSON path
 * and what was expected ("spec.json: suites[1].shots: expected integer >= 0, got \"eight\""),
 * unknown keys answered with the nearest valid key, defaults filled, and a canonical JSON form
 * whose "identity" part tells a resumed run from a changed one. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/base.h"
#include "harness/harness.h"
#include "providers/provider.h"
#include "suites/suite.h"

#define SPEC_MAX_BYTES (16u << 20)

static const char *const top_keys[] = { "name", "targets", "suites", "generation", "concurrency",
	"score_workers", "output", "matrix", "max_targets", NULL };
static const char *const target_keys[] = { "id", "provider", "model", "options", "prices",
	"hardware", "quant", "max_in_flight", "generation", "matrix", NULL };
static const char *const price_keys[] = { "input_per_mtok", "output_per_mtok",
	"cached_input_per_mtok", NULL };
/* The keys every suite takes. A suite's own options go in its "options" object; the keys of
 * every suite's options object (suite_info.option_keys) are also taken here, beside these, as
 * they were written before "options" existed, and are moved into it. */
static const char *const suite_keys[] = { "name", "dataset", "train", "shots", "samples", "limit",
	"seed", "chat", "weight", "options", NULL };
#define SUITE_KEYS_MAX 64
static const char *const gen_keys[] = { "max_tokens", "temperature", "top_p", "stop", "seed", NULL };

typedef struct pctx {
	const char *label;
	char *err;
	size_t errlen;
} pctx;

static void perr(pctx *c, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void perr(pctx *c, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s: %s%s%s", c->label, path, *path ? ": " : "", msg);
	hx_escape_ctl(c->err, c->errlen);   /* keys and values come from the file */
}

/* A compact rendering of a JSON value for "got ..." (strings quoted, long values cut). */
static void show(const cJSON *v, char *out, size_t cap)
{
	char *s = v ? cJSON_PrintUnformatted(v) : NULL;
	if (!s) {
		snprintf(out, cap, "nothing");
		return;
	}
	if (strlen(s) > 40)
		snprintf(out, cap, "%.37s...", s);
	else
		snprintf(out, cap, "%s", s);
	free(s);
}

static size_t lev(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];
	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof *cur);
	}
	return prev[lb];
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* The first key that appears twice in obj, or NULL. cJSON keeps both and every lookup reads the
 * first, so a spec with "limit" twice would silently run with the first value. */
static const char *duplicate_key(const cJSON *obj)
{
	const cJSON *it, **v;
	const char *dup = NULL;
	size_t n = 0, i = 0;

	cJSON_ArrayForEach(it, obj)
		n++;
	if (n < 2)
		return NULL;
	if (n <= 16) {   /* the common case: no allocation */
		for (const cJSON *a = obj->child; a && !dup; a = a->next)
			for (const cJSON *b = a->next; b; b = b->next)
				if (strcmp(a->string, b->string) == 0) {
					dup = a->string;
					break;
				}
		return dup;
	}
	if (!(v = malloc(n * sizeof *v)))
		return NULL;
	cJSON_ArrayForEach(it, obj)
		v[i++] = it;
	qsort(v, n, sizeof *v, cmp_key);
	for (i = 1; i < n && !dup; i++)
		if (strcmp(v[i - 1]->string, v[i]->string) == 0)
			dup = v[i]->string;
	free(v);
	return dup;
}

/* Walks the whole document (options and hardware objects too) for what cJSON accepts but a spec
 * must not hold: a key given twice, and a number beyond the range of a double (cJSON reads
 * 1e400 as infinity and would print it back as null). path holds the JSON path so far. */
static int check_tree(pctx *c, const cJSON *v, char *path, size_t cap)
{
	size_t len = strlen(path), i = 0;
	const cJSON *it;
	const char *dup;

	if (cJSON_IsNumber(v) && !isfinite(v->valuedouble)) {
		perr(c, path, "number out of range (a finite number of magnitude below 1.8e308 is "
		     "expected)");
		return -1;
	}
	if (cJSON_IsObject(v) && (dup = duplicate_key(v))) {
		snprintf(path + len, cap - len, "%s%s", len ? "." : "", dup);
		perr(c, path, "duplicate key (given more than once in the same object)");
		return -1;
	}
	cJSON_ArrayForEach(it, v) {
		if (cJSON_IsObject(v))
			snprintf(path + len, cap - len, "%s%s", len ? "." : "", it->string);
		else
			snprintf(path + len, cap - len, "[%zu]", i++);
		if (check_tree(c, it, path, cap))
			return -1;
		path[len] = 0;
	}
	return 0;
}

/* Checks that obj has only known keys; the error suggests the nearest one. */
static int check_keys(pctx *c, const cJSON *obj, const char *path, const char *const *keys)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, obj) {
		const char *best = NULL;
		size_t bd = 99, limit;
		char p[256], list[256] = "";
		int known = 0;
		for (size_t i = 0; keys[i]; i++) {
			size_t d;
			if (strcmp(keys[i], it->string) == 0) {
				known = 1;
				break;
			}
			d = lev(keys[i], it->string);
			if (d < bd) {
				bd = d;
				best = keys[i];
			}
		}
		if (known)
			continue;
		snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", it->string);
		limit = strlen(it->string) / 3 > 2 ? strlen(it->string) / 3 : 2;
		if (best && bd <= limit) {
			perr(c, p, "unknown key (did you mean \"%s\"?)", best);
		} else {
			for (size_t i = 0; keys[i]; i++) {
				size_t used = strlen(list);
				snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", keys[i]);
			}
			perr(c, p, "unknown key (valid keys: %s)", list);
		}
		return -1;
	}
	return 0;
}

static int get_string(pctx *c, const cJSON *obj, const char *path, const char *key, int required,
	char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char p[256], got[64];
	snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
	if (!v) {
		if (required) {
			perr(c, p, "missing required key");
			return -1;
		}
		return 0;
	}
	if (!cJSON_IsString(v) || !*v->valuestring) {
		show(v, got, sizeof got);
		perr(c, p, "expected a non-empty string, got %s", got);
		return -1;
	}
	free(*out);
	*out = strdup(v->valuestring);
	if (!*out) {
		perr(c, p, "out of memory");
		return -1;
	}
	return 0;
}

static int get_int(pctx *c, const cJSON *obj, const char *path, const char *key, long long lo,
	long long hi, long long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char p[256], got[64], range[64];
	if (!v)
		return 0;
	snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
	if (hi >= INT_MAX)
		snprintf(range, sizeof range, ">= %lld", lo);
	else
		snprintf(range, sizeof range, "%lld..%lld", lo, hi);
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < (double)lo ||
	    v->valuedouble > (double)hi || fabs(v->valuedouble) > 9007199254740992.0) {
		show(v, got, sizeof got);
		perr(c, p, "expected integer %s, got %s", range, got);
		return -1;
	}
	*out = (long long)v->valuedouble;
	return 0;
}

static int get_num(pctx *c, const cJSON *obj, const char *path, const char *key, double lo, double hi,
	int lo_open, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char p[256], got[64];
	if (!v)
		return 0;
	snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble > hi ||
	    (lo_open ? v->valuedouble <= lo : v->valuedouble < lo)) {
		show(v, got, sizeof got);
		if (isinf(hi))
			perr(c, p, "expected number %s %g, got %s", lo_open ? ">" : ">=", lo, got);
		else
			perr(c, p, "expected number in %s%g, %g], got %s", lo_open ? "(" : "[", lo, hi, got);
		return -1;
	}
	*out = v->valuedouble;
	return 0;
}

static int get_object_text(pctx *c, const cJSON *obj, const char *path, const char *key, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char p[256], got[64];
	if (!v)
		return 0;
	snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
	if (!cJSON_IsObject(v)) {
		show(v, got, sizeof got);
		perr(c, p, "expected an object, got %s", got);
		return -1;
	}
	free(*out);
	if (!(*out = cJSON_PrintUnformatted(v))) {
		perr(c, p, "out of memory");
		return -1;
	}
	return 0;
}

static void target_defaults(hx_target_spec *t)
{
	memset(t, 0, sizeof *t);
}

static void suite_defaults(hx_suite_spec *s)
{
	memset(s, 0, sizeof *s);
	s->shots = -1;
	s->samples = 1;
	s->weight = 1;
	s->seed = 1234;
}

static void spec_defaults(hx_spec *s)
{
	memset(s, 0, sizeof *s);
	s->concurrency = 8;
	s->gen.seed = -1;
}

static int default_target_id(hx_target_spec *t)
{
	size_t n;
	if (t->id || !t->provider || !t->model)
		return 0;
	n = strlen(t->provider) + strlen(t->model) + 2;
	if (!(t->id = malloc(n)))
		return -1;
	snprintf(t->id, n, "%s:%s", t->provider, t->model);
	return 0;
}

static int parse_gen(pctx *c, const cJSON *o, const char *path, hx_gen_spec *g);

/* The target's "generation" object over the spec's (spec_gen, or NULL): the keys it gives replace
 * the spec's, the others are the spec's. */
static int parse_target_gen(pctx *c, const cJSON *o, const char *path, const cJSON *spec_gen,
	hx_target_spec *t)
{
	const cJSON *own = cJSON_GetObjectItemCaseSensitive(o, "generation"), *it;
	cJSON *merged;
	char p[256];
	int rc;

	if (!own)
		return 0;
	snprintf(p, sizeof p, "%s.generation", path);
	if (!cJSON_IsObject(own))
		return parse_gen(c, own, p, &t->gen);   /* names the path and what it got */
	merged = spec_gen && cJSON_IsObject(spec_gen) ? cJSON_Duplicate(spec_gen, 1) : cJSON_CreateObject();
	if (!merged) {
		perr(c, p, "out of memory");
		return -1;
	}
	cJSON_ArrayForEach(it, own) {
		cJSON *dup = cJSON_Duplicate(it, 1);
		if (!dup) {
			cJSON_Delete(merged);
			perr(c, p, "out of memory");
			return -1;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(merged, it->string);
		cJSON_AddItemToObject(merged, it->string, dup);
	}
	t->gen.seed = -1;
	rc = parse_gen(c, merged, p, &t->gen);
	cJSON_Delete(merged);
	t->has_gen = rc == 0;
	return rc;
}

static int parse_target(pctx *c, const cJSON *o, const char *path, const cJSON *spec_gen,
	hx_target_spec *t)
{
	const cJSON *pr;
	long long v = 0;
	char got[64], pp[256];
	if (!cJSON_IsObject(o)) {
		show(o, got, sizeof got);
		perr(c, path, "expected an object, got %s", got);
		return -1;
	}
	if (check_keys(c, o, path, target_keys) || get_string(c, o, path, "id", 0, &t->id) ||
	    get_string(c, o, path, "provider", 1, &t->provider) ||
	    get_string(c, o, path, "model", 1, &t->model) ||
	    get_object_text(c, o, path, "options", &t->options_json) ||
	    get_object_text(c, o, path, "hardware", &t->hardware_json) ||
	    get_string(c, o, path, "quant", 0, &t->quant) ||
	    get_int(c, o, path, "max_in_flight", 1, 100000, &v) ||
	    parse_target_gen(c, o, path, spec_gen, t))
		return -1;
	t->max_in_flight = (int)v;
	if ((pr = cJSON_GetObjectItemCaseSensitive(o, "prices"))) {
		snprintf(pp, sizeof pp, "%s.prices", path);
		if (!cJSON_IsObject(pr)) {
			show(pr, got, sizeof got);
			perr(c, pp, "expected an object, got %s", got);
			return -1;
		}
		t->price_cached_usd_per_mtok = -1;
		if (check_keys(c, pr, pp, price_keys) ||
		    get_num(c, pr, pp, "input_per_mtok", 0, INFINITY, 0, &t->price_in_usd_per_mtok) ||
		    get_num(c, pr, pp, "output_per_mtok", 0, INFINITY, 0, &t->price_out_usd_per_mtok) ||
		    get_num(c, pr, pp, "cached_input_per_mtok", 0, INFINITY, 0,
			    &t->price_cached_usd_per_mtok))
			return -1;
		t->has_prices = 1;
	}
	if (default_target_id(t)) {
		perr(c, path, "out of memory");
		return -1;
	}
	return 0;
}

/* suite_keys followed by every suite's option keys (each once), NULL-terminated, into
 * keys[SUITE_KEYS_MAX]. */
static void suite_keys_all(const char *keys[SUITE_KEYS_MAX])
{
	size_t n = 0, n_kinds;
	const suite_info *kinds = suite_list(&n_kinds);
	for (size_t i = 0; suite_keys[i]; i++)
		keys[n++] = suite_keys[i];
	for (size_t k = 0; k < n_kinds; k++)
		for (size_t i = 0; kinds[k].option_keys && kinds[k].option_keys[i]; i++) {
			int seen = 0;
			for (size_t j = 0; j < n; j++)
				seen |= strcmp(keys[j], kinds[k].option_keys[i]) == 0;
			if (!seen && n + 1 < SUITE_KEYS_MAX)
				keys[n++] = kinds[k].option_keys[i];
		}
	keys[n] = NULL;
}

/* The suite kind named name, or NULL. */
static const suite_info *suite_kind(const char *name)
{
	size_t n_kinds;
	const suite_info *kinds = suite_list(&n_kinds);
	for (size_t k = 0; name && k < n_kinds; k++)
		if (strcmp(kinds[k].name, name) == 0)
			return &kinds[k];
	return NULL;
}

static int is_option_key(const suite_info *k, const char *key)
{
	for (size_t i = 0; k && k->option_keys && k->option_keys[i]; i++)
		if (strcmp(k->option_keys[i], key) == 0)
			return 1;
	return 0;
}

/* The suite's options: its "options" object, plus the option keys written beside the suite's
 * other keys (the spelling from before "options"), checked by the suite itself
 * (suite_options_check) and kept in s->options_json. An option key of another suite is an
 * error naming the suites that take it. */
static int parse_suite_options(pctx *c, const cJSON *o, const char *path, hx_suite_spec *s)
{
	const suite_info *kind = suite_kind(s->name);
	const cJSON *given = cJSON_GetObjectItemCaseSensitive(o, "options"), *it;
	cJSON *opts = NULL;
	char pp[256], got[64], key[128], why[384];
	size_t n_kinds;
	const suite_info *kinds = suite_list(&n_kinds);
	int rc = -1;

	snprintf(pp, sizeof pp, "%s.options", path);
	if (given && !cJSON_IsObject(given)) {
		show(given, got, sizeof got);
		perr(c, pp, "expected an object, got %s", got);
		return -1;
	}
	if (!(opts = given ? cJSON_Duplicate(given, 1) : cJSON_CreateObject()))
		goto nomem;
	cJSON_ArrayForEach(it, o) {
		char takers[128] = "";
		cJSON *copy;
		for (size_t k = 0; k < n_kinds; k++)
			if (is_option_key(&kinds[k], it->string)) {
				size_t u = strlen(takers);
				snprintf(takers + u, sizeof takers - u, "%s%s", u ? " or " : "", kinds[k].name);
			}
		if (!takers[0])
			continue;   /* a key every suite takes */
		snprintf(pp, sizeof pp, "%s.%s", path, it->string);
		if (!is_option_key(kind, it->string)) {
			perr(c, pp, "only the %s suite takes this key (this suite is \"%s\")", takers, s->name);
			goto out;
		}
		if (cJSON_GetObjectItemCaseSensitive(opts, it->string)) {
			perr(c, pp, "given twice: here and in %s.options", path);
			goto out;
		}
		if (!(copy = cJSON_Duplicate(it, 1)))
			goto nomem;
		cJSON_AddItemToObject(opts, it->string, copy);
	}
	if (kind && opts->child) {
		char *text = cJSON_PrintUnformatted(opts), base[128];
		int bad, moved;
		if (!text)
			goto nomem;
		bad = suite_options_check(s->name, text, key, sizeof key, why, sizeof why);
		free(text);
		if (bad) {
			/* the key's path as the user wrote it: beside the suite's keys, or in options */
			snprintf(base, sizeof base, "%.*s", (int)strcspn(key, "["), key);
			moved = *base && (!given || !cJSON_GetObjectItemCaseSensitive(given, base));
			snprintf(pp, sizeof pp, "%s%s%s%s", path, moved ? "" : ".options", *key ? "." : "",
				 key);
			perr(c, pp, "%s", why);
			goto out;
		}
	}
	if (opts->child && !(s->options_json = cJSON_PrintUnformatted(opts)))
		goto nomem;
	rc = 0;
	goto out;
nomem:
	perr(c, path, "out of memory");
out:
	cJSON_Delete(opts);
	return rc;
}

static int parse_suite(pctx *c, const cJSON *o, const char *path, hx_suite_spec *s)
{
	long long v;
	const cJSON *chat;
	char got[64], pp[256];
	if (!cJSON_IsObject(o)) {
		show(o, got, sizeof got);
		perr(c, path, "expected an object, got %s", got);
		return -1;
	}
	const char *keys[SUITE_KEYS_MAX];
	suite_keys_all(keys);
	if (check_keys(c, o, path, keys) || get_string(c, o, path, "name", 1, &s->name) ||
	    get_string(c, o, path, "dataset", 0, &s->dataset) ||
	    get_string(c, o, path, "train", 0, &s->train))
		return -1;
	v = s->shots;
	if (!cJSON_GetObjectItemCaseSensitive(o, "shots"))
		v = -1;
	else if (get_int(c, o, path, "shots", 0, INT_MAX, &v))
		return -1;
	s->shots = (int)v;
	v = s->samples;
	if (get_int(c, o, path, "samples", 1, 100000, &v))
		return -1;
	s->samples = (int)v;
	v = s->limit;
	if (get_int(c, o, path, "limit", 0, LLONG_MAX, &v))
		return -1;
	s->limit = (long)v;
	v = (long long)s->seed;
	if (get_int(c, o, path, "seed", 0, 9007199254740991LL, &v))
		return -1;
	s->seed = (uint64_t)v;
	if (get_num(c, o, path, "weight", 0, 1e9, 0, &s->weight))
		return -1;
	if ((chat = cJSON_GetObjectItemCaseSensitive(o, "chat"))) {
		if (!cJSON_IsBool(chat)) {
			snprintf(pp, sizeof pp, "%s.chat", path);
			show(chat, got, sizeof got);
			perr(c, pp, "expected true or false, got %s", got);
			return -1;
		}
		s->chat = cJSON_IsTrue(chat);
	}
	return parse_suite_options(c, o, path, s);
}

/* path: "generation" or "targets[3].generation". */
static int parse_gen(pctx *c, const cJSON *o, const char *path, hx_gen_spec *g)
{
	const cJSON *stop;
	long long v;
	char got[64];
	if (!cJSON_IsObject(o)) {
		show(o, got, sizeof got);
		perr(c, path, "expected an object, got %s", got);
		return -1;
	}
	if (check_keys(c, o, path, gen_keys))
		return -1;
	v = g->max_tokens;
	if (get_int(c, o, path, "max_tokens", 0, 10000000, &v))
		return -1;
	g->max_tokens = (int)v;
	if (get_num(c, o, path, "temperature", 0, 100, 0, &g->temperature) ||
	    get_num(c, o, path, "top_p", 0, 1, 1, &g->top_p))
		return -1;
	v = g->seed;
	if (get_int(c, o, path, "seed", -1, 9007199254740991LL, &v))
		return -1;
	g->seed = v;
	if ((stop = cJSON_GetObjectItemCaseSensitive(o, "stop"))) {
		int n = cJSON_GetArraySize(stop), i = 0;
		const cJSON *it;
		if (!cJSON_IsArray(stop)) {
			char p[128];
			snprintf(p, sizeof p, "%s.stop", path);
			show(stop, got, sizeof got);
			perr(c, p, "expected an array of strings, got %s", got);
			return -1;
		}
		if (n && !(g->stop = calloc((size_t)n, sizeof *g->stop))) {
			perr(c, path, "out of memory");
			return -1;
		}
		cJSON_ArrayForEach(it, stop) {
			char p[128];
			snprintf(p, sizeof p, "%s.stop[%d]", path, i);
			if (!cJSON_IsString(it) || !*it->valuestring) {
				show(it, got, sizeof got);
				perr(c, p, "expected a non-empty string, got %s", got);
				return -1;
			}
			if (!(g->stop[g->n_stop] = strdup(it->valuestring))) {
				perr(c, p, "out of memory");
				return -1;
			}
			g->n_stop++;
			i++;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ matrix (sweeps) */

/* The matrix key's place in a target: 0 model, 1 quant, 2 options.NAME, 3 generation.NAME, 4 points
 * (a list of objects, each setting several keys at once); -1 with
 * the error written when it is none of these, or NAME is not an option of the target's provider
 * (a provider this build does not know is left to the provider check). */
static int matrix_key_kind(pctx *c, const char *path, const char *key, const char *provider)
{
	const char *name;
	char p[512];

	snprintf(p, sizeof p, "%s.%s", path, key);
	if (!strcmp(key, "points"))
		return 4;
	if (!strcmp(key, "model"))
		return 0;
	if (!strcmp(key, "quant"))
		return 1;
	if (!strncmp(key, "generation.", 11)) {
		name = key + 11;
		for (size_t i = 0; gen_keys[i]; i++)
			if (!strcmp(gen_keys[i], name))
				return 3;
		perr(c, p, "not a generation setting (one of max_tokens, temperature, top_p, stop, seed)");
		return -1;
	}
	if (!strncmp(key, "options.", 8) && key[8]) {
		size_t n;
		const prov_info *kinds = prov_list(&n);
		name = key + 8;
		for (size_t k = 0; k < n; k++) {
			const char *const *ok = kinds[k].option_keys;
			const char *best = NULL;
			size_t bd = 99;
			char list[512] = "";
			if (!provider || strcmp(kinds[k].name, provider))
				continue;
			for (size_t i = 0; ok && ok[i]; i++) {
				size_t d = lev(ok[i], name), used = strlen(list);
				if (!strcmp(ok[i], name))
					return 2;
				if (d < bd) {
					bd = d;
					best = ok[i];
				}
				snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", ok[i]);
			}
			if (best && bd <= 2)
				perr(c, p, "not an option of provider %s (did you mean \"options.%s\"?)", provider, best);
			else
				perr(c, p, "not an option of provider %s (its options: %s)", provider,
				     *list ? list : "none");
			return -1;
		}
		return 2;
	}
	perr(c, p, "not a target option to sweep (one of model, quant, options.NAME, generation.NAME, points)");
	return -1;
}

/* A value as it appears in a swept target's id: strings as they are, other values as JSON. */
static int matrix_value_text(const cJSON *v, char *out, size_t cap)
{
	char *j;
	if (cJSON_IsString(v)) {
		snprintf(out, cap, "%s", v->valuestring);
		return 0;
	}
	if (!(j = cJSON_PrintUnformatted(v)))
		return -1;
	snprintf(out, cap, "%s", j);
	free(j);
	return 0;
}

/* Sets o[obj_key][name] = v (o[obj_key] created when absent; left alone when it is not an object,
 * for the target's parser to report). Returns 0 or -1 (memory). */
static int matrix_set_in(cJSON *o, const char *obj_key, const char *name, const cJSON *v)
{
	cJSON *in = cJSON_GetObjectItemCaseSensitive(o, obj_key), *dup;
	if (!in && !(in = cJSON_AddObjectToObject(o, obj_key)))
		return -1;
	if (!cJSON_IsObject(in))
		return 0;
	if (!(dup = cJSON_Duplicate(v, 1)))
		return -1;
	cJSON_DeleteItemFromObjectCaseSensitive(in, name);
	cJSON_AddItemToObject(in, name, dup);
	return 0;
}

#define MATRIX_MAX_KEYS 16

/* Whether v is a value key (of kind 0..3) takes; the error names kp and key otherwise. */
static int matrix_value_ok(pctx *c, const char *kp, const char *key, int kind, const cJSON *v)
{
	int stop = kind == 3 && !strcmp(key, "generation.stop"), num = kind == 3 && !stop;
	char got[64];
	if (stop ? cJSON_IsArray(v) : num ? cJSON_IsNumber(v) :
	    !(cJSON_IsArray(v) || cJSON_IsObject(v) || cJSON_IsNull(v)))
		return 1;
	show(v, got, sizeof got);
	perr(c, kp, "%s: expected %s, got %s", key, stop ? "arrays of stop strings" : num ? "numbers" :
	     "strings, numbers or booleans", got);
	return 0;
}

/* Whether every value of the list k (kind 0..4) is one its key takes: for points, objects whose
 * keys are matrix keys of kind 0..3 (or "id", a non-empty string naming the point). */
static int matrix_list_ok(pctx *c, const char *kp, const cJSON *k, int kind, const char *provider)
{
	char got[64], pp[320];
	int i = 0;
	if (!cJSON_IsArray(k) || cJSON_GetArraySize(k) == 0) {
		show(k, got, sizeof got);
		perr(c, kp, "%s: expected a non-empty array of %s, got %s", k->string, kind == 4 ?
		     "objects" : "values", got);
		return 0;
	}
	for (const cJSON *v = k->child; v; v = v->next, i++) {
		if (kind != 4) {
			if (!matrix_value_ok(c, kp, k->string, kind, v))
				return 0;
			continue;
		}
		snprintf(pp, sizeof pp, "%s.points[%d]", kp, i);
		if (!cJSON_IsObject(v) || !v->child) {
			show(v, got, sizeof got);
			perr(c, pp, "expected an object of KEY: value, got %s", got);
			return 0;
		}
		for (const cJSON *e = v->child; e; e = e->next) {
			int ek;
			if (!strcmp(e->string, "id")) {
				if (cJSON_IsString(e) && *e->valuestring)
					continue;
				show(e, got, sizeof got);
				perr(c, pp, "id: expected a non-empty string, got %s", got);
				return 0;
			}
			if ((ek = matrix_key_kind(c, pp, e->string, provider)) < 0)
				return 0;
			if (ek == 4) {
				perr(c, pp, "points: not inside a point");
				return 0;
			}
			if (!matrix_value_ok(c, pp, e->string, ek, e))
				return 0;
		}
	}
	return 1;
}

/* Sets key (kind 0..3) to v in x, the target's copy, and appends "name=value" to id[cap] (after a
 * comma unless first). Returns 0 or -1 (memory). */
static int matrix_apply(cJSON *x, const char *key, int kind, const cJSON *v, char *id, size_t cap,
	int first)
{
	const char *name = strrchr(key, '.');
	char vt[256];
	size_t used = strlen(id);
	name = name ? name + 1 : key;
	if (kind <= 1) {
		cJSON *dup = cJSON_Duplicate(v, 1);
		if (!dup)
			return -1;
		cJSON_DeleteItemFromObjectCaseSensitive(x, name);
		cJSON_AddItemToObject(x, name, dup);
	} else if (matrix_set_in(x, kind == 2 ? "options" : "generation", name, v)) {
		return -1;
	}
	if (matrix_value_text(v, vt, sizeof vt))
		return -1;
	snprintf(id + used, cap - used, "%s%s=%s", first ? "" : ",", name, vt);
	return 0;
}

/* Expands the spec's matrices in root (parsed JSON, changed in place): each target with a
 * "matrix" of its own, or every target when the spec has a top-level "matrix" (the target's own
 * keys replace the top level's where both name one), becomes one target per combination of
 * values, the first key varying slowest. Each keeps its fields, with the key's value set
 * (model, quant, options.NAME, generation.NAME) and the id "BASE@name=value,name=value" (BASE: the
 * target's id, else provider:model; name: the key's last part), which reports read to group a
 * sweep. Refuses unknown keys, empty or non-array value lists, non-scalar values (generation.stop
 * takes arrays of strings) and more than max_targets targets in all. */
static int matrix_expand(pctx *c, cJSON *root, long max_targets)
{
	cJSON *top = cJSON_GetObjectItemCaseSensitive(root, "matrix");
	cJSON *targets = cJSON_GetObjectItemCaseSensitive(root, "targets"), *out = NULL, *t;
	long total = 0;
	size_t ti = 0;
	char got[64];

	if (top && !cJSON_IsObject(top)) {
		show(top, got, sizeof got);
		perr(c, "matrix", "expected an object of KEY: [values], got %s", got);
		return -1;
	}
	if (!cJSON_IsArray(targets))
		return 0;   /* the target parser names what is wrong */
	for (int pass = 0; pass < 2; pass++) {
		ti = 0;
		cJSON_ArrayForEach(t, targets) {
			const cJSON *own = cJSON_IsObject(t) ? cJSON_GetObjectItemCaseSensitive(t, "matrix") : NULL;
			const cJSON *keys[MATRIX_MAX_KEYS], *pv;
			const char *provider;
			int kind[MATRIX_MAX_KEYS], len[MATRIX_MAX_KEYS], idx[MATRIX_MAX_KEYS];
			size_t nk = 0;
			long combos = 1;
			char path[64], kp[256];

			snprintf(path, sizeof path, "targets[%zu]", ti++);
			if (!cJSON_IsObject(t) || (!own && !top)) {
				cJSON *dup;
				if (pass && (!(dup = cJSON_Duplicate(t, 1)) || !cJSON_AddItemToArray(out, dup)))
					goto nomem;
				if (!pass)
					total++;
				continue;
			}
			if (own && !cJSON_IsObject(own)) {
				show(own, got, sizeof got);
				perr(c, path, "matrix: expected an object of KEY: [values], got %s", got);
				return -1;
			}
			pv = cJSON_GetObjectItemCaseSensitive(t, "provider");
			provider = cJSON_IsString(pv) ? pv->valuestring : NULL;
			for (int lvl = 0; lvl < 2; lvl++) {
				const cJSON *m = lvl ? own : top, *k;
				if (!m)
					continue;
				cJSON_ArrayForEach(k, m) {
					const char *where = lvl ? path : "";
					size_t at = nk;
					snprintf(kp, sizeof kp, "%s%smatrix", where, *where ? "." : "");
					for (size_t i = 0; i < nk; i++)
						if (!strcmp(keys[i]->string, k->string))
							at = i;   /* the target's own list replaces the top level's */
					if (at == nk && nk == MATRIX_MAX_KEYS) {
						perr(c, kp, "at most %d keys", MATRIX_MAX_KEYS);
						return -1;
					}
					if ((kind[at] = matrix_key_kind(c, kp, k->string, provider)) < 0 ||
					    !matrix_list_ok(c, kp, k, kind[at], provider))
						return -1;
					keys[at] = k;
					len[at] = cJSON_GetArraySize(k);
					if (at == nk)
						nk++;
				}
			}
			for (size_t i = 0; i < nk; i++) {
				combos *= len[i];
				if (combos > max_targets)
					break;
			}
			if (!pass) {
				total += combos;
				if (total > max_targets) {
					perr(c, "matrix", "the sweep makes more than %ld targets (raise the limit with "
					     "\"max_targets\" or --max-targets)", max_targets);
					return -1;
				}
				continue;
			}
			memset(idx, 0, sizeof idx);
			for (long n = 0; n < combos; n++) {
				cJSON *x = cJSON_Duplicate(t, 1), *id = cJSON_GetObjectItemCaseSensitive(t, "id");
				const cJSON *model = cJSON_GetObjectItemCaseSensitive(t, "model");
				char newid[1024];
				if (!x)
					goto nomem;
				cJSON_DeleteItemFromObjectCaseSensitive(x, "matrix");
				if (cJSON_IsString(id))
					snprintf(newid, sizeof newid, "%s@", id->valuestring);
				else
					snprintf(newid, sizeof newid, "%s:%s@", provider ? provider : "?",
						 cJSON_IsString(model) ? model->valuestring : "?");
				for (size_t i = 0; i < nk; i++) {
					const cJSON *v = cJSON_GetArrayItem(keys[i], idx[i]);
					int rc = 0, first = i == 0;
					if (kind[i] == 4) {   /* a point: each of its keys, its id in the target's */
						const cJSON *pid = cJSON_GetObjectItemCaseSensitive(v, "id");
						char tmp[512] = "";
						for (const cJSON *e = v->child; e && !rc; e = e->next)
							if (strcmp(e->string, "id"))
								rc = matrix_apply(x, e->string, matrix_key_kind(c, "", e->string,
									provider), e, tmp, sizeof tmp, !tmp[0]);
						if (!rc) {
							size_t used = strlen(newid);
							snprintf(newid + used, sizeof newid - used, "%s%s", first ? "" : ",",
								 pid ? pid->valuestring : tmp);
						}
					} else {
						rc = matrix_apply(x, keys[i]->string, kind[i], v, newid, sizeof newid, first);
					}
					if (rc) {
						cJSON_Delete(x);
						goto nomem;
					}
				}
				cJSON_DeleteItemFromObjectCaseSensitive(x, "id");
				cJSON_AddStringToObject(x, "id", newid);
				cJSON_AddItemToArray(out, x);
				for (size_t i = nk; i-- > 0;) {   /* the last key varies fastest */
					if (++idx[i] < len[i])
						break;
					idx[i] = 0;
				}
			}
		}
		if (!pass) {
			if (!top) {
				int any = 0;
				cJSON_ArrayForEach(t, targets)
					any |= cJSON_IsObject(t) && cJSON_GetObjectItemCaseSensitive(t, "matrix") != NULL;
				if (!any)
					return 0;
			}
			if (!(out = cJSON_CreateArray()))
				goto nomem;
		}
	}
	cJSON_ReplaceItemInObjectCaseSensitive(root, "targets", out);
	cJSON_DeleteItemFromObjectCaseSensitive(root, "matrix");
	return 0;
nomem:
	cJSON_Delete(out);
	perr(c, "matrix", "out of memory");
	return -1;
}

/* Line and column (1-based) of byte offset off in text. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* max_targets > 0 replaces the spec's own limit on what its matrices expand to. */
static hx_spec *spec_parse(const char *json, const char *label, const char *base_dir,
	long max_targets, char *err, size_t errlen)
{
	pctx c = { label ? label : "spec", err, errlen };
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithOpts(json, &end, 1), *arr, *it;
	hx_spec *s = calloc(1, sizeof *s);
	long long v;
	size_t i;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		cJSON_Delete(root);
		return NULL;
	}
	spec_defaults(s);
	if (!root) {
		int line, col;
		char near[24];
		size_t off = end && end >= json ? (size_t)(end - json) : 0;
		line_col(json, off, &line, &col);
		snprintf(near, sizeof near, "%.20s", json + off);
		near[strcspn(near, "\n")] = 0;
		snprintf(err, errlen, "%s:%d:%d: invalid JSON near \"%s\"", c.label, line, col, near);
		goto fail;
	}
	if (!cJSON_IsObject(root)) {
		perr(&c, "", "expected a JSON object at the top level");
		goto fail;
	}
	{
		char path[512] = "";
		if (check_tree(&c, root, path, sizeof path))
			goto fail;
	}
	if (check_keys(&c, root, "", top_keys) || get_string(&c, root, "", "name", 0, &s->name) ||
	    get_string(&c, root, "", "output", 0, &s->output))
		goto fail;
	v = s->concurrency;
	if (get_int(&c, root, "", "concurrency", 1, 100000, &v))
		goto fail;
	s->concurrency = (int)v;
	v = 0;
	if (get_int(&c, root, "", "score_workers", 0, 1024, &v))
		goto fail;
	s->score_workers = (int)v;
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "generation")) &&
	    parse_gen(&c, it, "generation", &s->gen))
		goto fail;
	v = HX_SWEEP_MAX_TARGETS;
	if (get_int(&c, root, "", "max_targets", 1, 1000000, &v) ||
	    matrix_expand(&c, root, max_targets > 0 ? max_targets : (long)v))
		goto fail;

	arr = cJSON_GetObjectItemCaseSensitive(root, "targets");
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0) {
		perr(&c, "targets", "expected a non-empty array%s", arr ? "" : " (missing required key)");
		goto fail;
	}
	if (!(s->targets = calloc((size_t)cJSON_GetArraySize(arr), sizeof *s->targets)))
		goto nomem;
	i = 0;
	cJSON_ArrayForEach(it, arr) {
		char p[32];
		snprintf(p, sizeof p, "targets[%zu]", i);
		target_defaults(&s->targets[i]);
		s->n_targets = ++i;
		if (parse_target(&c, it, p, cJSON_GetObjectItemCaseSensitive(root, "generation"),
			    &s->targets[i - 1]))
			goto fail;
	}
	arr = cJSON_GetObjectItemCaseSensitive(root, "suites");
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0) {
		perr(&c, "suites", "expected a non-empty array%s", arr ? "" : " (missing required key)");
		goto fail;
	}
	if (!(s->suites = calloc((size_t)cJSON_GetArraySize(arr), sizeof *s->suites)))
		goto nomem;
	i = 0;
	cJSON_ArrayForEach(it, arr) {
		char p[32];
		snprintf(p, sizeof p, "suites[%zu]", i);
		suite_defaults(&s->suites[i]);
		s->n_suites = ++i;
		if (parse_suite(&c, it, p, &s->suites[i - 1]))
			goto fail;
	}
	if (!(s->base_dir = strdup(base_dir && *base_dir ? base_dir : ".")))
		goto nomem;
	if (hx_spec_validate(s, err, errlen)) {
		/* validate writes without the label: add it */
		char tmp[1024];
		snprintf(tmp, sizeof tmp, "%s", err);
		snprintf(err, errlen, "%s: %s", c.label, tmp);
		goto fail;
	}
	cJSON_Delete(root);
	return s;
nomem:
	snprintf(err, errlen, "%s: out of memory", c.label);
fail:
	hx_escape_ctl(err, errlen);
	cJSON_Delete(root);
	hx_spec_free(s);
	return NULL;
}

hx_spec *hx_spec_parse(const char *json, const char *label, const char *base_dir, char *err,
	size_t errlen)
{
	return spec_parse(json, label, base_dir, 0, err, errlen);
}

hx_spec *hx_spec_load(const char *path, char *err, size_t errlen)
{
	return hx_spec_load_ex(path, 0, err, errlen);
}

hx_spec *hx_spec_load_ex(const char *path, long max_targets, char *err, size_t errlen)
{
	char *buf, *dir = NULL, *slash;
	size_t n = 0;
	hx_spec *s = NULL;

	/* O_NONBLOCK + fstat: a FIFO or directory given as the spec is one line, not a hang. */
	if (!(buf = hx_file_read(path, "run spec", SPEC_MAX_BYTES, &n, err, errlen)))
		return NULL;
	if (strlen(buf) != n) {
		snprintf(err, errlen, "%s: contains a NUL byte; not a JSON run spec", path);
		goto out;
	}
	if (!(dir = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if ((slash = strrchr(dir, '/')))
		slash[slash == dir ? 1 : 0] = 0;
	else
		strcpy(dir, ".");
	s = spec_parse(buf, path, dir, max_targets, err, errlen);
out:
	hx_escape_ctl(err, errlen);
	free(buf);
	free(dir);
	return s;
}

hx_spec *hx_spec_new(void)
{
	hx_spec *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	spec_defaults(s);
	if (!(s->base_dir = strdup("."))) {
		free(s);
		return NULL;
	}
	return s;
}

hx_target_spec *hx_spec_add_target(hx_spec *s, const char *provider, const char *model)
{
	hx_target_spec *n = realloc(s->targets, (s->n_targets + 1) * sizeof *n), *t;
	if (!n)
		return NULL;
	s->targets = n;
	t = &n[s->n_targets];
	target_defaults(t);
	if (!(t->provider = strdup(provider)) || !(t->model = strdup(model)) || default_target_id(t)) {
		free(t->provider);
		free(t->model);
		return NULL;
	}
	s->n_targets++;
	return t;
}

hx_suite_spec *hx_spec_add_suite(hx_spec *s, const char *name)
{
	hx_suite_spec *n = realloc(s->suites, (s->n_suites + 1) * sizeof *n), *x;
	if (!n)
		return NULL;
	s->suites = n;
	x = &n[s->n_suites];
	suite_defaults(x);
	if (!(x->name = strdup(name)))
		return NULL;
	s->n_suites++;
	return x;
}

/* An input path of the spec (resolved against its directory) that exists but is a directory,
 * FIFO or device is an error naming the key; a missing one is left to the code that opens it. */
static int check_input(const char *base, const char *path, const char *list, size_t i,
	const char *key, char *err, size_t errlen)
{
	char *full, why[768];
	int rc;

	if (!path)
		return 0;
	if (!(full = tb_path_resolve(base, path))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = hx_file_check(full, key, why, sizeof why);
	free(full);
	if (rc >= 0)
		return 0;
	snprintf(err, errlen, "%s[%zu].%s: %s", list, i, key, why);
	hx_escape_ctl(err, errlen);
	return -1;
}

int hx_spec_validate(const hx_spec *s, char *err, size_t errlen)
{
	if (!s->n_targets) {
		snprintf(err, errlen, "targets: at least one target is needed");
		return HX_EINVAL;
	}
	if (!s->n_suites) {
		snprintf(err, errlen, "suites: at least one suite is needed");
		return HX_EINVAL;
	}
	for (size_t i = 0; i < s->n_targets; i++) {
		if (!s->targets[i].id || !s->targets[i].provider || !s->targets[i].model) {
			snprintf(err, errlen, "targets[%zu]: provider and model are required", i);
			return HX_EINVAL;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(s->targets[i].id, s->targets[k].id) == 0) {
				snprintf(err, errlen, "targets[%zu].id: duplicate id \"%s\" (also targets[%zu])", i,
					 s->targets[i].id, k);
				hx_escape_ctl(err, errlen);
				return HX_EINVAL;
			}
		/* local models and samples files are paths; a missing one is the provider's to report */
		if ((strcmp(s->targets[i].provider, "local") == 0 ||
		     strcmp(s->targets[i].provider, "samples") == 0) &&
		    check_input(s->base_dir, s->targets[i].model, "targets", i, "model", err, errlen))
			return HX_EINVAL;
	}
	for (size_t i = 0; i < s->n_suites; i++) {
		if (!s->suites[i].name) {
			snprintf(err, errlen, "suites[%zu].name: missing required key", i);
			return HX_EINVAL;
		}
		if (check_input(s->base_dir, s->suites[i].dataset, "suites", i, "dataset", err, errlen) ||
		    check_input(s->base_dir, s->suites[i].train, "suites", i, "train", err, errlen))
			return HX_EINVAL;
		if (suite_kind(s->suites[i].name)) {   /* an unknown suite is suite_open's to name */
			char *opts, key[128], why[384];
			int rc = hx_suite_spec_options(&s->suites[i], &opts);
			if (rc) {
				snprintf(err, errlen, "suites[%zu].options: %s", i, rc == HX_ENOMEM ?
					 "out of memory" : "expected a JSON object");
				return rc;
			}
			rc = suite_options_check(s->suites[i].name, opts, key, sizeof key, why, sizeof why);
			free(opts);
			if (rc) {
				snprintf(err, errlen, "suites[%zu].options%s%s: %s", i, *key ? "." : "", key, why);
				hx_escape_ctl(err, errlen);
				return HX_EINVAL;
			}
		}
		if (s->suites[i].samples < 1) {
			snprintf(err, errlen, "suites[%zu].samples: expected integer >= 1, got %d", i,
				 s->suites[i].samples);
			return HX_EINVAL;
		}
	}
	if (s->concurrency < 1) {
		snprintf(err, errlen, "concurrency: expected integer >= 1, got %d", s->concurrency);
		return HX_EINVAL;
	}
	return 0;
}

int hx_suite_spec_options(const hx_suite_spec *ss, char **out)
{
	cJSON *o = ss->options_json ? cJSON_Parse(ss->options_json) : cJSON_CreateObject();
	int rc = HX_ENOMEM;

	*out = NULL;
	if (!o)
		return ss->options_json ? HX_EINVAL : HX_ENOMEM;
	if (!cJSON_IsObject(o)) {
		rc = HX_EINVAL;
		goto out;
	}
	rc = 0;
	if (o->child && !(*out = cJSON_PrintUnformatted(o)))
		rc = HX_ENOMEM;
out:
	cJSON_Delete(o);
	return rc;
}

int hx_suite_spec_option_set(hx_suite_spec *ss, const char *key, const char *value_json)
{
	cJSON *v = value_json ? cJSON_Parse(value_json) : NULL, *o = NULL;
	char *text;
	int rc = HX_EINVAL;

	if (!v || !key || !*key)
		goto out;
	if (!(o = ss->options_json ? cJSON_Parse(ss->options_json) : cJSON_CreateObject()) ||
	    !cJSON_IsObject(o)) {
		rc = o || ss->options_json ? HX_EINVAL : HX_ENOMEM;
		goto out;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	if (!cJSON_AddItemToObject(o, key, v)) {
		rc = HX_ENOMEM;
		goto out;
	}
	v = NULL;   /* now o's */
	if (!(text = cJSON_PrintUnformatted(o))) {
		rc = HX_ENOMEM;
		goto out;
	}
	free(ss->options_json);
	ss->options_json = text;
	rc = 0;
out:
	cJSON_Delete(v);
	cJSON_Delete(o);
	return rc;
}

/* The suite's options in the canonical JSON: beside its other keys, in the order of the suite's
 * option_keys (then any other key), as specs wrote them before "options" existed, so a run
 * stored by an earlier tierbench keeps its identity and resumes. Returns 0 or -1 (memory, or
 * options that are not an object: a spec that did not validate). */
static int add_suite_options(cJSON *o, const hx_suite_spec *x)
{
	const suite_info *kind = suite_kind(x->name);
	char *text;
	cJSON *opts, *it;

	if (hx_suite_spec_options(x, &text))
		return -1;
	if (!text)
		return 0;
	opts = cJSON_Parse(text);
	free(text);
	if (!opts)
		return -1;
	for (size_t i = 0; kind && kind->option_keys && kind->option_keys[i]; i++)
		if ((it = cJSON_GetObjectItemCaseSensitive(opts, kind->option_keys[i])))
			cJSON_AddItemToObject(o, it->string, cJSON_Duplicate(it, 1));
	cJSON_ArrayForEach(it, opts)
		if (!cJSON_GetObjectItemCaseSensitive(o, it->string))
			cJSON_AddItemToObject(o, it->string, cJSON_Duplicate(it, 1));
	cJSON_Delete(opts);
	return 0;
}

/* Absent optional values are left out, so the canonical JSON parses back as a spec. */
static void add_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
}

static void add_raw_object(cJSON *o, const char *k, const char *json)
{
	cJSON *v = json ? cJSON_Parse(json) : NULL;
	if (v)
		cJSON_AddItemToObject(o, k, v);
}

/* s's canonical JSON with the top-level matrix m (taken) expanded: the new spec, or NULL with
 * one line in err (label names the source of m in it). */
static hx_spec *spec_with_matrix(const hx_spec *s, cJSON *m, const char *label, long max_targets,
	char *err, size_t errlen)
{
	char *json = hx_spec_to_json(s, 0), *text = NULL;
	cJSON *root = json ? cJSON_Parse(json) : NULL;
	hx_spec *out = NULL;

	free(json);
	if (!root || !cJSON_AddItemToObject(root, "matrix", m)) {
		cJSON_Delete(m);
		snprintf(err, errlen, "out of memory");
	} else if (!(text = cJSON_PrintUnformatted(root))) {
		snprintf(err, errlen, "out of memory");
	} else {
		out = spec_parse(text, label, s->base_dir, max_targets, err, errlen);
	}
	free(text);
	cJSON_Delete(root);
	return out;
}

hx_spec *hx_spec_matrix(const hx_spec *s, const char *matrix_json, long max_targets, char *err,
	size_t errlen)
{
	cJSON *m = cJSON_Parse(matrix_json ? matrix_json : "");
	if (!cJSON_IsObject(m)) {
		cJSON_Delete(m);
		snprintf(err, errlen, "matrix: expected a JSON object of KEY: [values]");
		return NULL;
	}
	return spec_with_matrix(s, m, "matrix", max_targets, err, errlen);
}

hx_spec *hx_spec_sweep(const hx_spec *s, const char *const *sweeps, size_t n, long max_targets,
	char *err, size_t errlen)
{
	cJSON *m = cJSON_CreateObject();
	hx_spec *out = NULL;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(sweeps[i], '='), *v;
		char key[128];
		cJSON *arr;
		if (!eq || eq == sweeps[i] || !eq[1] || (size_t)(eq - sweeps[i]) >= sizeof key) {
			snprintf(err, errlen, "--sweep: expected KEY=VALUE,VALUE,..., got \"%s\"", sweeps[i]);
			hx_escape_ctl(err, errlen);
			goto done;
		}
		memcpy(key, sweeps[i], (size_t)(eq - sweeps[i]));
		key[eq - sweeps[i]] = 0;
		if (cJSON_GetObjectItemCaseSensitive(m, key)) {
			snprintf(err, errlen, "--sweep: %s given twice", key);
			hx_escape_ctl(err, errlen);
			goto done;
		}
		if (!(arr = cJSON_AddArrayToObject(m, key)))
			goto nomem;
		for (v = eq + 1; *v;) {
			size_t len = strcspn(v, ",");
			char val[256], *end;
			double d;
			cJSON *it;
			if (!len || len >= sizeof val) {
				snprintf(err, errlen, "--sweep: %s: %s", key, len ? "a value is too long" :
					 "empty value (expected VALUE,VALUE,...)");
				hx_escape_ctl(err, errlen);
				goto done;
			}
			memcpy(val, v, len);
			val[len] = 0;
			/* a number or a boolean as JSON, anything else as a string */
			errno = 0;
			d = strtod(val, &end);
			if (!*end && !errno && end != val)
				it = cJSON_CreateNumber(d);
			else if (!strcmp(val, "true") || !strcmp(val, "false"))
				it = cJSON_CreateBool(val[0] == 't');
			else
				it = cJSON_CreateString(val);
			if (!it || !cJSON_AddItemToArray(arr, it))
				goto nomem;
			v += len + (v[len] == ',');
		}
	}
	return spec_with_matrix(s, m, "--sweep", max_targets, err, errlen);
nomem:
	snprintf(err, errlen, "out of memory");
done:
	cJSON_Delete(m);
	return out;
}

/* o.generation = g, every key written. Returns 0 or -1 (memory). */
static int add_gen(cJSON *o, const hx_gen_spec *g)
{
	cJSON *j = cJSON_AddObjectToObject(o, "generation"), *stop;
	if (!j)
		return -1;
	cJSON_AddNumberToObject(j, "max_tokens", g->max_tokens);
	cJSON_AddNumberToObject(j, "temperature", g->temperature);
	if (g->top_p > 0)
		cJSON_AddNumberToObject(j, "top_p", g->top_p);
	if (!(stop = cJSON_AddArrayToObject(j, "stop")))
		return -1;
	for (size_t i = 0; i < g->n_stop; i++)
		cJSON_AddItemToArray(stop, cJSON_CreateString(g->stop[i]));
	cJSON_AddNumberToObject(j, "seed", (double)g->seed);
	return 0;
}

char *hx_spec_to_json(const hx_spec *s, int identity_only)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	char *out;
	if (!root)
		return NULL;
	if (!identity_only)
		add_str(root, "name", s->name);
	arr = cJSON_AddArrayToObject(root, "targets");
	for (size_t i = 0; i < s->n_targets; i++) {
		const hx_target_spec *t = &s->targets[i];
		cJSON *o = cJSON_CreateObject();
		add_str(o, "id", t->id);
		add_str(o, "provider", t->provider);
		add_str(o, "model", t->model);
		add_raw_object(o, "options", t->options_json);
		if (t->has_prices) {
			cJSON *p = cJSON_AddObjectToObject(o, "prices");
			cJSON_AddNumberToObject(p, "input_per_mtok", t->price_in_usd_per_mtok);
			cJSON_AddNumberToObject(p, "output_per_mtok", t->price_out_usd_per_mtok);
			if (t->price_cached_usd_per_mtok >= 0)
				cJSON_AddNumberToObject(p, "cached_input_per_mtok",
					t->price_cached_usd_per_mtok);
		}
		add_raw_object(o, "hardware", t->hardware_json);
		add_str(o, "quant", t->quant);
		if (t->has_gen && add_gen(o, &t->gen)) {
			cJSON_Delete(o);
			cJSON_Delete(root);
			return NULL;
		}
		if (!identity_only && t->max_in_flight > 0)
			cJSON_AddNumberToObject(o, "max_in_flight", t->max_in_flight);
		cJSON_AddItemToArray(arr, o);
	}
	arr = cJSON_AddArrayToObject(root, "suites");
	for (size_t i = 0; i < s->n_suites; i++) {
		const hx_suite_spec *x = &s->suites[i];
		cJSON *o = cJSON_CreateObject();
		add_str(o, "name", x->name);
		add_str(o, "dataset", x->dataset);
		add_str(o, "train", x->train);
		if (x->shots >= 0)
			cJSON_AddNumberToObject(o, "shots", x->shots);
		cJSON_AddNumberToObject(o, "samples", x->samples);
		cJSON_AddNumberToObject(o, "limit", (double)x->limit);
		cJSON_AddNumberToObject(o, "seed", (double)x->seed);
		cJSON_AddBoolToObject(o, "chat", x->chat);
		if (!identity_only)     /* a report setting: changing it does not change results */
			cJSON_AddNumberToObject(o, "weight", x->weight);
		if (add_suite_options(o, x)) {
			cJSON_Delete(o);
			cJSON_Delete(root);
			return NULL;
		}
		cJSON_AddItemToArray(arr, o);
	}
	if (add_gen(root, &s->gen)) {
		cJSON_Delete(root);
		return NULL;
	}
	if (!identity_only) {
		cJSON_AddNumberToObject(root, "concurrency", s->concurrency);
		cJSON_AddNumberToObject(root, "score_workers", s->score_workers);
		add_str(root, "output", s->output);
	}
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}

void hx_spec_free(hx_spec *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_targets; i++) {
		hx_target_spec *t = &s->targets[i];
		free(t->id);
		free(t->provider);
		free(t->model);
		free(t->options_json);
		free(t->hardware_json);
		free(t->quant);
		for (size_t k = 0; k < t->gen.n_stop; k++)
			free(t->gen.stop[k]);
		free(t->gen.stop);
	}
	free(s->targets);
	for (size_t i = 0; i < s->n_suites; i++) {
		hx_suite_spec *x = &s->suites[i];
		free(x->name);
		free(x->dataset);
		free(x->train);
		free(x->options_json);
	}
	free(s->suites);
	for (size_t i = 0; i < s->gen.n_stop; i++)
		free(s->gen.stop[i]);
	free(s->gen.stop);
	free(s->name);
	free(s->output);
	free(s->base_dir);
	free(s);
}
