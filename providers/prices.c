/* providers/prices.c — the price table (datasets/prices.json): loading it with errors that name
 * the file and JSON path, finding a model's entry (dated snapshots such as
 * "claude-haiku-4-5-20251001" match their base name), and the cost of one request with cached
 * input and long-context tiers (docs/spec.md, prices). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/base.h"
#include "providers/provider.h"

#define PRICES_MAX_BYTES (4u << 20)

typedef struct prices_entry {
	char *provider, *model;
	prov_price price;
} prices_entry;

struct prov_prices {
	prices_entry *e;   /* [n] */
	size_t n;
};

void prov_prices_free(prov_prices *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].provider);
		free(t->e[i].model);
	}
	free(t->e);
	free(t);
}

/* A price field: absent gives dflt; present must be a finite number >= 0. */
static int price_num(const cJSON *o, const char *k, double dflt, double *out, const char *file,
	const char *path, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!v) {
		*out = dflt;
		return 0;
	}
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0) {
		snprintf(err, errlen, "%s: %s.%s: expected a number >= 0", file, path, k);
		return -1;
	}
	*out = v->valuedouble;
	return 0;
}

static int parse_entry(const cJSON *m, prices_entry *e, const char *file, const char *path,
	char *err, size_t errlen)
{
	const cJSON *pv = cJSON_GetObjectItemCaseSensitive(m, "provider");
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(m, "model");
	const cJSON *tiers = cJSON_GetObjectItemCaseSensitive(m, "tiers");
	prov_price *p = &e->price;
	if (!cJSON_IsObject(m)) {
		snprintf(err, errlen, "%s: %s: expected an object", file, path);
		return -1;
	}
	if (!cJSON_IsString(pv) || !pv->valuestring[0] || !cJSON_IsString(model) ||
	    !model->valuestring[0]) {
		snprintf(err, errlen, "%s: %s: needs \"provider\" and \"model\" strings", file, path);
		return -1;
	}
	if (!cJSON_GetObjectItemCaseSensitive(m, "input_per_mtok") ||
	    !cJSON_GetObjectItemCaseSensitive(m, "output_per_mtok")) {
		snprintf(err, errlen, "%s: %s: needs input_per_mtok and output_per_mtok", file, path);
		return -1;
	}
	if (price_num(m, "input_per_mtok", 0, &p->input_per_mtok, file, path, err, errlen) ||
	    price_num(m, "output_per_mtok", 0, &p->output_per_mtok, file, path, err, errlen) ||
	    price_num(m, "cached_input_per_mtok", -1, &p->cached_input_per_mtok, file, path, err,
		    errlen))
		return -1;
	if (tiers) {
		const cJSON *t;
		int i = 0;
		if (!cJSON_IsArray(tiers) || cJSON_GetArraySize(tiers) > PROV_PRICE_MAX_TIERS) {
			snprintf(err, errlen, "%s: %s.tiers: expected an array of at most %d tiers", file,
				path, PROV_PRICE_MAX_TIERS);
			return -1;
		}
		cJSON_ArrayForEach(t, tiers) {
			prov_price_tier *pt = &p->tiers[i];
			char tp[160];
			double above;
			snprintf(tp, sizeof tp, "%s.tiers[%d]", path, i);
			if (!cJSON_IsObject(t) || !cJSON_GetObjectItemCaseSensitive(t, "above_input_tokens")) {
				snprintf(err, errlen, "%s: %s: expected an object with above_input_tokens", file, tp);
				return -1;
			}
			if (price_num(t, "above_input_tokens", 0, &above, file, tp, err, errlen) ||
			    price_num(t, "input_per_mtok", p->input_per_mtok, &pt->input_per_mtok, file, tp,
				    err, errlen) ||
			    price_num(t, "output_per_mtok", p->output_per_mtok, &pt->output_per_mtok, file, tp,
				    err, errlen) ||
			    price_num(t, "cached_input_per_mtok", p->cached_input_per_mtok,
				    &pt->cached_input_per_mtok, file, tp, err, errlen))
				return -1;
			if (above > 1e12 || (i && above <= (double)p->tiers[i - 1].above_input_tokens)) {
				snprintf(err, errlen, "%s: %s.above_input_tokens: tiers must rise", file, tp);
				return -1;
			}
			pt->above_input_tokens = (int64_t)above;
			i++;
		}
		p->n_tiers = (size_t)i;
	}
	{
		const cJSON *as_of = cJSON_GetObjectItemCaseSensitive(m, "as_of");
		if (cJSON_IsString(as_of))
			snprintf(p->as_of, sizeof p->as_of, "%s", as_of->valuestring);
	}
	if (!(e->provider = strdup(pv->valuestring)) || !(e->model = strdup(model->valuestring))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

prov_prices *prov_prices_parse(const char *json, const char *file, char *err, size_t errlen)
{
	prov_prices *t = calloc(1, sizeof *t);
	cJSON *root = NULL;
	const cJSON *models, *m;
	int i = 0;

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!(root = cJSON_Parse(json))) {
		const char *at = cJSON_GetErrorPtr();
		snprintf(err, errlen, "%s: not valid JSON (near byte %ld)", file,
			at && at >= json ? (long)(at - json) : 0L);
		goto fail;
	}
	models = cJSON_GetObjectItemCaseSensitive(root, "models");
	if (!cJSON_IsArray(models)) {
		snprintf(err, errlen, "%s: models: expected an array of price entries", file);
		goto fail;
	}
	if (!(t->e = calloc((size_t)cJSON_GetArraySize(models) + 1, sizeof *t->e))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	cJSON_ArrayForEach(m, models) {
		char path[64];
		snprintf(path, sizeof path, "models[%d]", i++);
		if (parse_entry(m, &t->e[t->n], file, path, err, errlen)) {
			free(t->e[t->n].provider);
			free(t->e[t->n].model);
			goto fail;
		}
		t->n++;
	}
	cJSON_Delete(root);
	return t;
fail:
	cJSON_Delete(root);
	prov_prices_free(t);
	return NULL;
}

prov_prices *prov_prices_load(const char *path, char *err, size_t errlen)
{
	tb_buf b = { 0 };
	prov_prices *t;

	if (tb_file_read(path, PRICES_MAX_BYTES, &b, err, errlen))
		return NULL;
	t = prov_prices_parse(b.p, path, err, errlen);
	tb_buf_release(&b);
	return t;
}

/* 1 when rest (what follows a table name inside a model name) is a snapshot suffix:
 * "-20251001", "-2025-04-14", "-latest" or nothing. */
static int snapshot_suffix(const char *rest)
{
	if (!*rest)
		return 1;
	if (*rest != '-')
		return 0;
	if (!strcmp(rest, "-latest"))
		return 1;
	for (rest++; *rest; rest++)
		if ((*rest < '0' || *rest > '9') && *rest != '-')
			return 0;
	return 1;
}

int prov_prices_find(const prov_prices *t, const char *provider, const char *model,
	prov_price *out)
{
	const prices_entry *best = NULL;
	size_t best_len = 0;
	int best_same = 0;
	if (!t || !model)
		return PROV_EINVAL;
	if (!strncmp(model, "models/", 7))   /* Gemini's resource form */
		model += 7;
	for (size_t i = 0; i < t->n; i++) {
		const prices_entry *e = &t->e[i];
		size_t n = strlen(e->model);
		int same = provider && !strcmp(provider, e->provider);
		if (strncmp(model, e->model, n) || !snapshot_suffix(model + n))
			continue;
		/* The longest name wins; among equals, the target's own provider. */
		if (!best || n > best_len || (n == best_len && same && !best_same)) {
			best = e;
			best_len = n;
			best_same = same;
		}
	}
	if (!best)
		return PROV_EINVAL;
	*out = best->price;
	return 0;
}

const char *prov_prices_default_path(char *buf, size_t n)
{
	return tb_data_file("TB_PRICES", "prices.json", buf, n);
}

double prov_price_cost_usd(const prov_price *p, int64_t n_in, int64_t n_out, int64_t n_cached)
{
	double in = p->input_per_mtok, out = p->output_per_mtok, cached = p->cached_input_per_mtok;
	int64_t fresh;
	for (size_t i = 0; i < p->n_tiers; i++)
		if (n_in > p->tiers[i].above_input_tokens) {
			in = p->tiers[i].input_per_mtok;
			out = p->tiers[i].output_per_mtok;
			cached = p->tiers[i].cached_input_per_mtok;
		}
	if (cached < 0)
		cached = in;
	if (n_cached < 0)
		n_cached = 0;
	if (n_cached > n_in)
		n_cached = n_in;
	fresh = n_in - n_cached;
	return ((double)fresh * in + (double)n_cached * cached + (double)n_out * out) / 1e6;
}
