/* reports/load.c — reads runs from results stores (SQLite, opened read-only) into a rep_set:
 * run facts, targets with their prices, hardware and quantisation, and per target x suite the
 * scores of every item, timings, tokens and cost. Columns a store leaves NULL stay unknown. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "reports/report_impl.h"

static int item_logprobs(rep_item *it, const char *text);

rep_set *rep_set_new(void)
{
	return calloc(1, sizeof(rep_set));
}

static void ts_release(rep_ts *t)
{
	free(t->suite);
	for (int i = 0; i < t->n_metrics; i++)
		free(t->metric[i]);
	free(t->ttft);
	free(t->lat);
	free(t->itl);
	free(t->tpot);
	for (size_t i = 0; i < t->n_items; i++) {
		free(t->items[i].id);
		free(t->items[i].lp);
		free(t->items[i].top_id);
		free(t->items[i].top_lp);
	}
	free(t->items);
}

void rep_set_free(rep_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_runs; i++) {
		rep_run *r = &s->runs[i];
		free(r->label);
		free(r->name);
		free(r->started);
		free(r->finished);
		free(r->status);
		free(r->build);
		free(r->hw_line);
		free(r->weights_json);
	}
	for (size_t i = 0; i < s->n_targets; i++) {
		rep_target *t = &s->targets[i];
		free(t->id);
		free(t->label);
		free(t->provider);
		free(t->model);
		free(t->quant);
		free(t->base);
		free(t->hw_json);
		free(t->as_of);
		free(t->arch);
		free(t->type_mix);
	}
	for (size_t i = 0; i < s->n_ts; i++)
		ts_release(&s->ts[i]);
	free(s->runs);
	free(s->targets);
	free(s->ts);
	free(s);
}

size_t rep_set_n_targets(const rep_set *s)
{
	return s->n_targets;
}

const char *rep_set_target_model(const rep_set *s, size_t i)
{
	return i < s->n_targets ? s->targets[i].model : NULL;
}

const char *rep_set_target_id(const rep_set *s, size_t i)
{
	return i < s->n_targets ? s->targets[i].id : NULL;
}

const rep_ts *rep_set_find_ts(const rep_set *s, size_t target, const char *suite)
{
	for (size_t i = 0; i < s->n_ts; i++)
		if (s->ts[i].target == target && strcmp(s->ts[i].suite, suite) == 0)
			return &s->ts[i];
	return NULL;
}

static char *dup_or_null(const unsigned char *s)
{
	return s ? strdup((const char *)s) : NULL;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t nc;
	void *np;
	if (need <= *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	while (nc < need)
		nc *= 2;
	if (!(np = realloc(*p, nc * elem)))
		return -1;
	memset((char *)np + *cap * elem, 0, (nc - *cap) * elem);
	*p = np;
	*cap = nc;
	return 0;
}

static int push_d(double **v, size_t *n, size_t *cap, double x)
{
	if (grow((void **)v, cap, *n + 1, sizeof **v))
		return -1;
	(*v)[(*n)++] = x;
	return 0;
}

/* Nominal bits per weight of a quantisation label: the block format's bits (block bytes x 8 /
 * weights per block, as GGML defines the formats). K-quant mixes (_S, _M, _L) use the base type,
 * so the figure is marked nominal. 0 when unknown. */
static double nominal_bpw(const char *q)
{
	static const struct { const char *p; double bpw; } t[] = {
		{ "F32", 32 }, { "F16", 16 }, { "BF16", 16 }, { "Q8_0", 8.5 }, { "Q6_K", 6.5625 },
		{ "Q5_K", 5.5 }, { "Q5_1", 6 }, { "Q5_0", 5.5 }, { "Q4_K", 4.5 }, { "Q4_1", 5 },
		{ "Q4_0", 4.5 }, { "IQ4_NL", 4.5 }, { "IQ4_XS", 4.25 }, { "Q3_K", 3.4375 },
		{ "Q2_K", 2.625 },
	};
	if (!q)
		return 0;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strncasecmp(q, t[i].p, strlen(t[i].p)) == 0)
			return t[i].bpw;
	return 0;
}

/* The base model of a target: options or hardware "base_model" when given, else the model's
 * file name without folder, ".gguf" and the quantisation label (and the separator before it). */
static char *base_model(const char *model, const char *quant, const char *given)
{
	const char *b = strrchr(model, '/');
	char *s, *q;
	size_t n;
	if (given)
		return strdup(given);
	s = strdup(b ? b + 1 : model);
	if (!s)
		return NULL;
	n = strlen(s);
	if (n > 5 && strcasecmp(s + n - 5, ".gguf") == 0)
		s[n -= 5] = 0;
	if (quant && *quant && (q = strcasestr(s, quant)) != NULL && q > s) {
		char *end = q + strlen(quant);
		while (q > s && strchr("-_.", q[-1]))
			q--;
		memmove(q, end, strlen(end) + 1);
	}
	return s;
}

static double json_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *json_str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Fills the target's cost, concurrency and model facts from its hardware and options JSON and
 * the spec. */
static int target_facts(rep_target *t, const char *options_json, const cJSON *spec)
{
	cJSON *hw = cJSON_Parse(t->hw_json ? t->hw_json : "null");
	cJSON *op = cJSON_Parse(options_json ? options_json : "null");
	const cJSON *tg, *arr = cJSON_GetObjectItemCaseSensitive(spec, "targets");
	const char *kind = json_str(hw, "kind"), *given = json_str(op, "base_model");
	int rc = 0;

	if (!given)
		given = json_str(hw, "base_model");
	t->usd_per_hour = rep_selfhost_usd_per_hour(json_num(hw, "cost_per_hour"),
		json_num(hw, "purchase_usd"), json_num(hw, "amortisation_months"),
		json_num(hw, "power_watts"), json_num(hw, "usd_per_kwh"));
	t->selfhost = kind ? (strcasecmp(kind, "api") != 0) : (t->usd_per_hour > 0 ||
		strcmp(t->provider, "local") == 0);
	t->concurrency = (int)json_num(spec, "concurrency");
	cJSON_ArrayForEach(tg, arr) {
		const char *id = json_str(tg, "id");
		if (id && strcmp(id, t->id) == 0 && json_num(tg, "max_in_flight") >= 1)
			t->concurrency = (int)json_num(tg, "max_in_flight");
	}
	if (t->concurrency < 1)
		t->concurrency = 1;
	/* the model's facts as the run recorded them; else as the spec's options give them */
	if (!(t->file_bytes > 0))
		t->file_bytes = (int64_t)json_num(op, "file_bytes");
	if (!(t->n_params > 0))
		t->n_params = (int64_t)json_num(op, "n_params");
	if (t->file_bytes > 0 && t->n_params > 0)
		t->bpw = 8.0 * (double)t->file_bytes / (double)t->n_params;
	else
		t->bpw = json_num(op, "bpw");
	if (!(t->bpw > 0) && (t->bpw = nominal_bpw(t->quant)) > 0)
		t->bpw_nominal = 1;
	if (!(t->base = base_model(t->model, t->quant, given)))
		rc = -1;
	cJSON_Delete(hw);
	cJSON_Delete(op);
	return rc;
}

int rep_set_add_price_only(rep_set *s, const char *id, const char *provider, const char *model,
	double in_per_mtok, double out_per_mtok, const char *as_of, char *err, size_t errlen)
{
	size_t cap = s->n_targets;
	rep_target *t;
	if (!s->n_runs) {
		snprintf(err, errlen, "price-only target %s: add a run first", id);
		return REP_EINVAL;
	}
	for (size_t i = 0; i < s->n_targets; i++)
		if (strcmp(s->targets[i].id, id) == 0) {
			snprintf(err, errlen, "price-only target %s: a target of that id is already in the report", id);
			return REP_EINVAL;
		}
	if (grow((void **)&s->targets, &cap, s->n_targets + 1, sizeof *t)) {
		snprintf(err, errlen, "out of memory");
		return REP_ENOMEM;
	}
	t = &s->targets[s->n_targets++];
	memset(t, 0, sizeof *t);
	t->price_only = t->has_prices = 1;
	t->price_in = in_per_mtok;
	t->price_out = out_per_mtok;
	t->concurrency = 1;
	t->id = strdup(id);
	t->label = strdup(id);
	t->provider = strdup(provider);
	t->model = strdup(model);
	t->base = strdup(model);
	t->as_of = as_of ? strdup(as_of) : NULL;
	if (!t->id || !t->label || !t->provider || !t->model || !t->base || (as_of && !t->as_of)) {
		free(t->id);
		free(t->label);
		free(t->provider);
		free(t->model);
		free(t->base);
		free(t->as_of);
		s->n_targets--;
		snprintf(err, errlen, "out of memory");
		return REP_ENOMEM;
	}
	return 0;
}

/* The run's one-line build and hardware summaries, and the spec's suite weights. */
static int run_facts(rep_run *r, const char *build_json, const char *hw_json, const cJSON *spec)
{
	cJSON *b = cJSON_Parse(build_json ? build_json : "null");
	cJSON *h = cJSON_Parse(hw_json ? hw_json : "null");
	cJSON *w = NULL, *su;
	char line[512];
	int rc = 0;
	if (cJSON_IsObject(b)) {
		snprintf(line, sizeof line, "tierbench %s (%s), %s",
			json_str(b, "version") ? json_str(b, "version") : "?",
			json_str(b, "git_rev") ? json_str(b, "git_rev") : "?",
			json_str(b, "compiler") ? json_str(b, "compiler") : "?");
		if (!(r->build = strdup(line)))
			rc = -1;
	}
	if (cJSON_IsObject(h)) {
		int u = snprintf(line, sizeof line, "%s, %s, %d cores / %d threads, %.1f GiB RAM",
			json_str(h, "cpu_model") ? json_str(h, "cpu_model") : "unknown CPU",
			json_str(h, "arch") ? json_str(h, "arch") : "?", (int)json_num(h, "cores"),
			(int)json_num(h, "hw_threads"), json_num(h, "ram_bytes") / (1024.0 * 1024 * 1024));
		const cJSON *g, *gpus = cJSON_GetObjectItemCaseSensitive(h, "gpus");
		if (json_num(h, "mem_bw_gbs") > 0 && u > 0 && (size_t)u < sizeof line)
			u += snprintf(line + u, sizeof line - (size_t)u, ", %.1f GB/s measured",
				json_num(h, "mem_bw_gbs"));
		cJSON_ArrayForEach(g, gpus)
			if (u > 0 && (size_t)u < sizeof line)
				u += snprintf(line + u, sizeof line - (size_t)u, ", GPU %s %.0f GiB",
					json_str(g, "name") ? json_str(g, "name") : "?", json_num(g, "mem_gib"));
		/* the code sandbox's isolation layers, recorded when a suite ran code */
		if (json_str(h, "sandbox_layers") && u > 0 && (size_t)u < sizeof line)
			u += snprintf(line + u, sizeof line - (size_t)u, "; code sandbox: %s",
				json_str(h, "sandbox_layers"));
		if (!(r->hw_line = strdup(line)))
			rc = -1;
	}
	cJSON_ArrayForEach(su, cJSON_GetObjectItemCaseSensitive(spec, "suites")) {
		const char *name = json_str(su, "name");
		const cJSON *wt = cJSON_GetObjectItemCaseSensitive(su, "weight");
		if (!name || !cJSON_IsNumber(wt))
			continue;
		if (!w && !(w = cJSON_CreateObject()))
			rc = -1;
		if (w)
			cJSON_AddNumberToObject(w, name, wt->valuedouble);
	}
	if (w && !(r->weights_json = cJSON_PrintUnformatted(w)))
		rc = -1;
	cJSON_Delete(w);
	cJSON_Delete(b);
	cJSON_Delete(h);
	return rc;
}

static int has_column(sqlite3 *db, const char *table, const char *col)
{
	char q[128];
	sqlite3_stmt *st;
	int found = 0;
	snprintf(q, sizeof q, "PRAGMA table_info(%s)", table);
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
		return 0;
	while (sqlite3_step(st) == SQLITE_ROW)
		if (strcmp((const char *)sqlite3_column_text(st, 1), col) == 0)
			found = 1;
	sqlite3_finalize(st);
	return found;
}

static int ts_metric(rep_ts *t, const char *name)
{
	for (int i = 0; i < t->n_metrics; i++)
		if (strcmp(t->metric[i], name) == 0)
			return i;
	if (t->n_metrics == REP_MAX_METRICS || !(t->metric[t->n_metrics] = strdup(name)))
		return -1;
	return t->n_metrics++;
}

/* Where each column of load_samples' query is, found by name (-1: the store has none). */
typedef struct sample_cols {
	int target, suite, item, error, score, scores, ttft, lat, tin, tout, treason, cost, itl, lp;
	int finish, answered;
} sample_cols;

/* Adds one scored or failed sample row to ts. */
static int ts_add_row(rep_ts *t, sqlite3_stmt *q, const sample_cols *c)
{
	const char *item = (const char *)sqlite3_column_text(q, c->item);
	double score = sqlite3_column_double(q, c->score);
	int null_ttft = sqlite3_column_type(q, c->ttft) == SQLITE_NULL;
	int null_lat = sqlite3_column_type(q, c->lat) == SQLITE_NULL;
	int64_t tout = sqlite3_column_int64(q, c->tout);
	rep_item *it;

	if (sqlite3_column_int(q, c->error) != 0 || sqlite3_column_type(q, c->score) == SQLITE_NULL) {
		t->n_errors++;
		return 0;
	}
	t->n++;
	t->sum += score;
	t->sumsq += score * score;
	t->n_correct += score >= 0.5;
	if (score != 0 && score != 1)
		t->binary = 0;
	/* rows arrive ordered by item, so the item is the last one or a new one */
	if (t->n_items && strcmp(t->items[t->n_items - 1].id, item) == 0) {
		it = &t->items[t->n_items - 1];
	} else {
		if (grow((void **)&t->items, &t->cap_items, t->n_items + 1, sizeof *t->items))
			return -1;
		it = &t->items[t->n_items++];
		if (!(it->id = strdup(item)))
			return -1;
	}
	it->score = (it->score * it->n + score) / (it->n + 1);
	it->n++;
	if (c->lp >= 0 && !it->n_lp && sqlite3_column_type(q, c->lp) == SQLITE_TEXT) {
		if (item_logprobs(it, (const char *)sqlite3_column_text(q, c->lp)))
			return -1;
		t->has_lp |= it->n_lp > 0;
	}
	{
		cJSON *sc = cJSON_Parse(sqlite3_column_text(q, c->scores) ? (const char *)sqlite3_column_text(q, c->scores) : "{}");
		const cJSON *m;
		cJSON_ArrayForEach(m, sc) {
			int mi;
			if (cJSON_IsNumber(m) && (mi = ts_metric(t, m->string)) >= 0) {
				double v = m->valuedouble;
				t->metric_sum[mi] += v;
				t->metric_sumsq[mi] += v * v;
				t->metric_n[mi]++;
				t->metric_correct[mi] += v >= 0.5;
				t->metric_nonbinary[mi] |= v != 0 && v != 1;
			}
			if (cJSON_IsNumber(m) && strcmp(m->string, "pass") == 0) {
				t->coding = 1;
				it->n_pass_scored++;
				it->n_pass += m->valuedouble >= 0.5;
			}
		}
		cJSON_Delete(sc);
	}
	if (!null_ttft && push_d(&t->ttft, &t->n_ttft, &t->cap_ttft, sqlite3_column_double(q, c->ttft)))
		return -1;
	if (!null_lat) {
		double lat = sqlite3_column_double(q, c->lat);
		if (push_d(&t->lat, &t->n_lat, &t->cap_lat, lat))
			return -1;
		t->lat_ms_sum += lat;
		t->lat_tokens += sqlite3_column_int64(q, c->tin) + tout;
		t->lat_tokens_out += tout;
		/* Decode throughput and TPOT only where generation was timed: a streamed sample
		 * (stored gaps) with tokens after the first and time between the first token and the
		 * end. A non-streamed response has its TTFT at (about) its end, so no interval. */
		if (c->itl >= 0 && tout > 1 && !null_ttft && sqlite3_column_type(q, c->itl) == SQLITE_TEXT &&
		    lat - sqlite3_column_double(q, c->ttft) > 0) {
			t->gen_ms += lat - sqlite3_column_double(q, c->ttft);
			t->gen_tokens += tout - 1;
			if (push_d(&t->tpot, &t->n_tpot, &t->cap_tpot,
			    (lat - sqlite3_column_double(q, c->ttft)) / (double)(tout - 1)))
				return -1;
		}
	}
	if (sqlite3_column_type(q, c->tin) != SQLITE_NULL || sqlite3_column_type(q, c->tout) != SQLITE_NULL)
		t->tokens_known |= sqlite3_column_int64(q, c->tin) > 0 || tout > 0;
	t->tin += sqlite3_column_int64(q, c->tin);
	t->tout += tout;
	t->treason += sqlite3_column_int64(q, c->treason);
	t->cost += sqlite3_column_double(q, c->cost);
	if (c->finish >= 0 && sqlite3_column_text(q, c->finish) &&
	    strcmp((const char *)sqlite3_column_text(q, c->finish), "length") == 0) {
		t->n_length++;
		t->n_budget_out += sqlite3_column_int(q, c->answered) == 0;
	}
	if (c->itl >= 0 && sqlite3_column_type(q, c->itl) == SQLITE_TEXT) {
		cJSON *a = cJSON_Parse((const char *)sqlite3_column_text(q, c->itl));
		const cJSON *g;
		cJSON_ArrayForEach(g, a)
			if (cJSON_IsNumber(g) && push_d(&t->itl, &t->n_itl, &t->cap_itl, g->valuedouble)) {
				cJSON_Delete(a);
				return -1;
			}
		cJSON_Delete(a);
	}
	return 0;
}

/* The index of column name in q's result, or -1: the reader finds every column by name. */
static int col(sqlite3_stmt *q, const char *name)
{
	for (int i = 0, n = sqlite3_column_count(q); i < n; i++)
		if (strcmp(sqlite3_column_name(q, i), name) == 0)
			return i;
	return -1;
}

static int col_null(sqlite3_stmt *q, int i)
{
	return i < 0 || sqlite3_column_type(q, i) == SQLITE_NULL;
}

static const unsigned char *col_text(sqlite3_stmt *q, int i)
{
	return i < 0 ? NULL : sqlite3_column_text(q, i);
}

static int load_targets(rep_set *s, sqlite3 *db, int64_t run_id, size_t run, const cJSON *spec)
{
	sqlite3_stmt *q;
	int rc = 0, c_id, c_prov, c_model, c_quant, c_opts, c_hw, c_pin, c_pout, c_fb, c_np, c_arch,
		c_mix;
	/* SELECT *: a column of a newer schema step is read when there, unknown when not */
	if (sqlite3_prepare_v2(db, "SELECT * FROM targets WHERE run_id = ? ORDER BY rowid", -1, &q,
	    NULL) != SQLITE_OK)
		return REP_ESTORE;
	c_id = col(q, "target");
	c_prov = col(q, "provider");
	c_model = col(q, "model");
	c_quant = col(q, "quant");
	c_opts = col(q, "options_json");
	c_hw = col(q, "hardware_json");
	c_pin = col(q, "price_in_usd_per_mtok");
	c_pout = col(q, "price_out_usd_per_mtok");
	c_fb = col(q, "file_bytes");
	c_np = col(q, "n_params");
	c_arch = col(q, "arch");
	c_mix = col(q, "type_mix");
	if (c_id < 0 || c_prov < 0 || c_model < 0) {
		sqlite3_finalize(q);
		return REP_ESTORE;
	}
	sqlite3_bind_int64(q, 1, run_id);
	while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
		size_t cap = s->n_targets;
		rep_target *t;
		if (grow((void **)&s->targets, &cap, s->n_targets + 1, sizeof *t)) {
			rc = REP_ENOMEM;
			break;
		}
		t = &s->targets[s->n_targets++];
		memset(t, 0, sizeof *t);
		t->run = run;
		t->id = dup_or_null(col_text(q, c_id));
		t->provider = dup_or_null(col_text(q, c_prov));
		t->model = dup_or_null(col_text(q, c_model));
		t->quant = dup_or_null(col_text(q, c_quant));
		t->hw_json = dup_or_null(col_text(q, c_hw));
		t->arch = dup_or_null(col_text(q, c_arch));
		t->type_mix = dup_or_null(col_text(q, c_mix));
		t->has_prices = !col_null(q, c_pin) && !col_null(q, c_pout);
		t->price_in = col_null(q, c_pin) ? 0 : sqlite3_column_double(q, c_pin);
		t->price_out = col_null(q, c_pout) ? 0 : sqlite3_column_double(q, c_pout);
		t->file_bytes = col_null(q, c_fb) ? 0 : sqlite3_column_int64(q, c_fb);
		t->n_params = col_null(q, c_np) ? 0 : sqlite3_column_int64(q, c_np);
		if (!t->id || !t->provider || !t->model ||
		    target_facts(t, (const char *)col_text(q, c_opts), spec))
			rc = REP_ENOMEM;
	}
	sqlite3_finalize(q);
	return rc;
}

/* Reads a logprobs_json text ({"lp":[...],"id":[[...]],"tlp":[[...]]}) into it. A text that is
 * not one is left unread (the item then has no log-probabilities). 0 or -1 (no memory). */
static int item_logprobs(rep_item *it, const char *text)
{
	cJSON *o = cJSON_Parse(text);
	const cJSON *lp = cJSON_GetObjectItemCaseSensitive(o, "lp");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
	const cJSON *tl = cJSON_GetObjectItemCaseSensitive(o, "tlp");
	const cJSON *v, *row;
	size_t n = (size_t)cJSON_GetArraySize(lp), i = 0;
	int k = cJSON_GetArraySize(cJSON_GetArrayItem(id, 0)), rc = 0;
	if (!cJSON_IsArray(lp) || !n || !cJSON_IsArray(id) || !cJSON_IsArray(tl) ||
	    (size_t)cJSON_GetArraySize(id) != n || (size_t)cJSON_GetArraySize(tl) != n || k < 1)
		goto done;
	if (!(it->lp = malloc(n * sizeof *it->lp)) ||
	    !(it->top_id = malloc(n * (size_t)k * sizeof *it->top_id)) ||
	    !(it->top_lp = malloc(n * (size_t)k * sizeof *it->top_lp))) {
		rc = -1;
		goto bad;
	}
	cJSON_ArrayForEach(v, lp)
		it->lp[i++] = cJSON_IsNumber(v) ? (float)v->valuedouble : -INFINITY;
	i = 0;
	cJSON_ArrayForEach(row, id) {
		int j = 0;
		if (cJSON_GetArraySize(row) != k)
			goto bad;
		cJSON_ArrayForEach(v, row)
			it->top_id[i * (size_t)k + (size_t)j++] = cJSON_IsNumber(v) ? (int32_t)v->valuedouble : -1;
		i++;
	}
	i = 0;
	cJSON_ArrayForEach(row, tl) {
		int j = 0;
		if (cJSON_GetArraySize(row) != k)
			goto bad;
		cJSON_ArrayForEach(v, row)
			it->top_lp[i * (size_t)k + (size_t)j++] = cJSON_IsNumber(v) ? (float)v->valuedouble :
				-INFINITY;
		i++;
	}
	it->n_lp = n;
	it->top_k = k;
	goto done;
bad:
	free(it->lp);
	free(it->top_id);
	free(it->top_lp);
	it->lp = NULL;
	it->top_id = NULL;
	it->top_lp = NULL;
done:
	cJSON_Delete(o);
	return rc;
}

static int load_samples(rep_set *s, sqlite3 *db, int64_t run_id, size_t first_target)
{
	int has_itl = has_column(db, "samples", "itl_json");
	int has_lp = has_column(db, "samples", "logprobs_json");
	sqlite3_stmt *q;
	int rc = 0, step;
	sample_cols sc;
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT target, suite, item, error, score, scores_json, ttft_ms,"
		" latency_ms, n_tokens_in, n_tokens_out, n_tokens_reasoning, cost_usd, finish_reason,"
		" (response IS NOT NULL AND response <> '') AS answered%s%s FROM samples"
		" WHERE run_id = ? ORDER BY target, suite, item, sample", has_itl ? ", itl_json" : "",
		has_lp ? ", logprobs_json" : "");
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return REP_ESTORE;
	sc = (sample_cols){ col(q, "target"), col(q, "suite"), col(q, "item"), col(q, "error"),
		col(q, "score"), col(q, "scores_json"), col(q, "ttft_ms"), col(q, "latency_ms"),
		col(q, "n_tokens_in"), col(q, "n_tokens_out"), col(q, "n_tokens_reasoning"),
		col(q, "cost_usd"), col(q, "itl_json"), col(q, "logprobs_json"), col(q, "finish_reason"),
		col(q, "answered") };
	sqlite3_bind_int64(q, 1, run_id);
	while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
		const char *tg = (const char *)sqlite3_column_text(q, sc.target);
		const char *su = (const char *)sqlite3_column_text(q, sc.suite);
		rep_ts *t = NULL;
		size_t ti;
		if (!tg || !su || !sqlite3_column_text(q, sc.item))
			continue;
		for (ti = first_target; ti < s->n_targets; ti++)
			if (strcmp(s->targets[ti].id, tg) == 0)
				break;
		if (ti == s->n_targets)
			continue;          /* a sample of a target the run does not list */
		for (size_t i = s->n_ts; i-- > 0;)
			if (s->ts[i].target == ti && strcmp(s->ts[i].suite, su) == 0) {
				t = &s->ts[i];
				break;
			}
		if (!t) {
			size_t cap = s->n_ts;
			if (grow((void **)&s->ts, &cap, s->n_ts + 1, sizeof *t)) {
				rc = REP_ENOMEM;
				break;
			}
			t = &s->ts[s->n_ts++];
			memset(t, 0, sizeof *t);
			t->target = ti;
			t->binary = 1;
			if (!(t->suite = strdup(su))) {
				rc = REP_ENOMEM;
				break;
			}
		}
		if (ts_add_row(t, q, &sc))
			rc = REP_ENOMEM;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = REP_ESTORE;
	sqlite3_finalize(q);
	return rc;
}

/* Computed figures of a target x suite. */
static void ts_finish(rep_ts *t, const rep_target *tg)
{
	double n = (double)t->n;
	t->acc = t->n ? t->sum / n : NAN;
	if (!t->n) {
		t->lo = t->hi = NAN;
	} else if (t->binary) {
		rep_wilson95(t->n_correct, t->n, &t->lo, &t->hi);
	} else {
		double var = t->n > 1 ? (t->sumsq - n * t->acc * t->acc) / (n - 1) : 0;
		double half = 1.959964 * sqrt(var > 0 ? var / n : 0);
		t->lo = t->acc - half;
		t->hi = t->acc + half;
	}
	t->ttft_p50 = rep_quantile(t->ttft, t->n_ttft, 0.5);
	t->ttft_p90 = rep_quantile(t->ttft, t->n_ttft, 0.9);
	t->lat_p50 = rep_quantile(t->lat, t->n_lat, 0.5);
	t->lat_p90 = rep_quantile(t->lat, t->n_lat, 0.9);
	t->itl_p50 = rep_quantile(t->itl, t->n_itl, 0.5);
	t->itl_p90 = rep_quantile(t->itl, t->n_itl, 0.9);
	t->itl_p99 = rep_quantile(t->itl, t->n_itl, 0.99);
	t->tpot_p50 = rep_quantile(t->tpot, t->n_tpot, 0.5);
	t->tpot_p90 = rep_quantile(t->tpot, t->n_tpot, 0.9);
	t->out_tps = t->gen_ms > 0 && t->gen_tokens > 0 ? (double)t->gen_tokens / (t->gen_ms / 1e3) : NAN;
	/* pass@k over the items with "pass" scores, for k up to the fewest samples of one. */
	t->samples_per_item = 0;
	for (int k = 0; k < REP_N_PASS_K; k++)
		t->pass_at[k] = NAN;
	if (t->coding) {
		size_t n_items = 0;
		double sum[REP_N_PASS_K] = { 0 };
		for (size_t i = 0; i < t->n_items; i++) {
			const rep_item *it = &t->items[i];
			if (!it->n_pass_scored)
				continue;
			if (!n_items++ || it->n_pass_scored < t->samples_per_item)
				t->samples_per_item = it->n_pass_scored;
			for (int k = 0; k < REP_N_PASS_K; k++)
				if (it->n_pass_scored >= REP_PASS_K(k))
					sum[k] += rep_pass_at_k(it->n_pass_scored, it->n_pass, REP_PASS_K(k));
		}
		for (int k = 0; k < REP_N_PASS_K && n_items; k++)
			if (t->samples_per_item >= REP_PASS_K(k))
				t->pass_at[k] = sum[k] / (double)n_items;
	}
	/* $ of the run: what the provider reported; else tokens x prices; for a self-hosted machine
	 * its hourly cost x busy time (summed latency / in-flight limit). */
	if (t->cost > 0)
		t->run_usd = t->cost;
	else if (tg->has_prices && t->tokens_known)
		t->run_usd = ((double)t->tin * tg->price_in + (double)t->tout * tg->price_out) / 1e6;
	else if (tg->selfhost && tg->usd_per_hour > 0 && t->lat_ms_sum > 0)
		t->run_usd = tg->usd_per_hour * t->lat_ms_sum / tg->concurrency / 3.6e6;
	else
		t->run_usd = NAN;
	t->usd_per_solved = t->sum > 0 && !isnan(t->run_usd) ? t->run_usd / t->sum : NAN;
}

/* The suite's position in the spec's suites list (unknown suites after, by name). */
static int suite_rank(const cJSON *spec, const char *suite)
{
	const cJSON *su;
	int i = 0;
	cJSON_ArrayForEach(su, cJSON_GetObjectItemCaseSensitive(spec, "suites")) {
		const char *name = json_str(su, "name");
		if (name && strcmp(name, suite) == 0)
			return i;
		i++;
	}
	return 1 << 20;
}

static _Thread_local const cJSON *sort_spec;   /* qsort has no context argument */

static int cmp_ts_spec_order(const void *pa, const void *pb)
{
	const rep_ts *a = pa, *b = pb;
	int ra, rb;
	if (a->target != b->target)
		return a->target < b->target ? -1 : 1;
	ra = suite_rank(sort_spec, a->suite);
	rb = suite_rank(sort_spec, b->suite);
	return ra != rb ? (ra < rb ? -1 : 1) : strcmp(a->suite, b->suite);
}

int rep_list_runs(FILE *f, const char *db_path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int rc = REP_ESTORE, c_id, c_status, c_start, c_fin, c_n, c_err, c_tg;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open the results store: %s", db_path,
			 db ? sqlite3_errmsg(db) : "out of memory");
		goto done;
	}
	sqlite3_busy_timeout(db, 5000);
	if (!has_column(db, "runs", "status") || !has_column(db, "samples", "error")) {
		snprintf(err, errlen, "%s: not a tierbench results store (no runs/samples tables)", db_path);
		goto done;
	}
	if (sqlite3_prepare_v2(db, "SELECT r.id AS id, r.status AS status, r.started_at AS started_at,"
	    " r.finished_at AS finished_at,"
	    " (SELECT count(*) FROM samples s WHERE s.run_id = r.id) AS n_samples,"
	    " (SELECT count(*) FROM samples s WHERE s.run_id = r.id AND s.error <> 0) AS n_errors,"
	    " (SELECT group_concat(target, ', ') FROM targets t WHERE t.run_id = r.id) AS targets"
	    " FROM runs r ORDER BY r.id", -1, &q, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", db_path, sqlite3_errmsg(db));
		goto done;
	}
	c_id = col(q, "id");
	c_status = col(q, "status");
	c_start = col(q, "started_at");
	c_fin = col(q, "finished_at");
	c_n = col(q, "n_samples");
	c_err = col(q, "n_errors");
	c_tg = col(q, "targets");
	fprintf(f, "%s:\n", db_path);
	fprintf(f, "  %-4s %-12s %-20s %-20s %8s %7s  %s\n", "run", "status", "started", "finished",
		"samples", "errors", "targets");
	while (sqlite3_step(q) == SQLITE_ROW) {
		const unsigned char *st = col_text(q, c_status), *t0 = col_text(q, c_start);
		const unsigned char *fin = col_text(q, c_fin), *tg = col_text(q, c_tg);
		fprintf(f, "  %-4lld %-12s %-20s %-20s %8lld %7lld  %s\n",
			(long long)sqlite3_column_int64(q, c_id), st ? (const char *)st : "-",
			t0 ? (const char *)t0 : "-", fin ? (const char *)fin : "-",
			(long long)sqlite3_column_int64(q, c_n), (long long)sqlite3_column_int64(q, c_err),
			tg ? (const char *)tg : "");
	}
	rc = 0;
done:
	sqlite3_finalize(q);
	sqlite3_close(db);
	return rc;
}

int rep_set_add_store(rep_set *s, const char *db_path, const char *label, int64_t run_id,
	char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	cJSON *spec = NULL;
	size_t first_target = s->n_targets, first_ts = s->n_ts, cap;
	rep_run *r;
	int rc;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open the results store: %s", db_path,
			 db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return REP_ESTORE;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) > REP_STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema version %d is newer than this tierbench (%d); upgrade "
			"tierbench", db_path, sqlite3_column_int(q, 0), REP_STORE_SCHEMA_VERSION);
		rc = REP_ESTORE;
		goto fail;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (!has_column(db, "runs", "spec_json") || !has_column(db, "samples", "scores_json")) {
		snprintf(err, errlen, "%s: not a tierbench results store (no runs/samples tables)", db_path);
		rc = REP_ESTORE;
		goto fail;
	}
	if (run_id < 0) {
		if (sqlite3_prepare_v2(db, "SELECT max(id) FROM runs", -1, &q, NULL) != SQLITE_OK ||
		    sqlite3_step(q) != SQLITE_ROW || sqlite3_column_type(q, 0) == SQLITE_NULL) {
			snprintf(err, errlen, "%s: the results store holds no run", db_path);
			rc = REP_EINVAL;
			goto fail;
		}
		run_id = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
		q = NULL;
	}
	if (sqlite3_prepare_v2(db, "SELECT name, started_at, finished_at, status, build_json, hw_json,"
	    " spec_json FROM runs WHERE id = ?", -1, &q, NULL) != SQLITE_OK) {
		rc = REP_ESTORE;
		goto dberr;
	}
	sqlite3_bind_int64(q, 1, run_id);
	if (sqlite3_step(q) != SQLITE_ROW) {
		snprintf(err, errlen, "%s: run %lld not found", db_path, (long long)run_id);
		rc = REP_EINVAL;
		goto fail;
	}
	cap = s->n_runs;
	if (grow((void **)&s->runs, &cap, s->n_runs + 1, sizeof *r)) {
		rc = REP_ENOMEM;
		goto nomem;
	}
	r = &s->runs[s->n_runs++];
	memset(r, 0, sizeof *r);
	spec = cJSON_Parse(col_text(q, col(q, "spec_json")) ? (const char *)col_text(q, col(q, "spec_json")) :
		"null");
	r->label = strdup(label ? label : db_path);
	r->name = dup_or_null(col_text(q, col(q, "name")));
	r->started = dup_or_null(col_text(q, col(q, "started_at")));
	r->finished = dup_or_null(col_text(q, col(q, "finished_at")));
	r->status = dup_or_null(col_text(q, col(q, "status")));
	if (!r->label || run_facts(r, (const char *)col_text(q, col(q, "build_json")),
	    (const char *)col_text(q, col(q, "hw_json")), spec)) {
		rc = REP_ENOMEM;
		goto nomem;
	}
	sqlite3_finalize(q);
	q = NULL;
	if ((rc = load_targets(s, db, run_id, s->n_runs - 1, spec)) ||
	    (rc = load_samples(s, db, run_id, first_target))) {
		if (rc == REP_ENOMEM)
			goto nomem;
		goto dberr;
	}
	/* Labels: the target id, prefixed with the run's label when another run has the same id. */
	for (size_t i = 0; i < s->n_targets; i++) {
		rep_target *t = &s->targets[i];
		int clash = 0;
		if (t->price_only)
			continue;      /* labelled when added; belongs to no run */
		for (size_t j = 0; j < s->n_targets; j++)
			clash |= j != i && strcmp(s->targets[j].id, t->id) == 0;
		free(t->label);
		if (clash) {
			size_t n = strlen(s->runs[t->run].label) + strlen(t->id) + 4;
			if ((t->label = malloc(n)) != NULL)
				snprintf(t->label, n, "%s: %s", s->runs[t->run].label, t->id);
		} else {
			t->label = strdup(t->id);
		}
		if (!t->label) {
			rc = REP_ENOMEM;
			goto nomem;
		}
	}
	/* Rows came ordered by target id; present them in the spec's target and suite order. */
	sort_spec = spec;
	if (s->n_ts > first_ts)
		qsort(s->ts + first_ts, s->n_ts - first_ts, sizeof *s->ts, cmp_ts_spec_order);
	for (size_t i = first_ts; i < s->n_ts; i++)
		ts_finish(&s->ts[i], &s->targets[s->ts[i].target]);
	cJSON_Delete(spec);
	sqlite3_close(db);
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", db_path);
	goto fail;
dberr:
	snprintf(err, errlen, "%s: reading the results store: %s", db_path, sqlite3_errmsg(db));
fail:
	sqlite3_finalize(q);
	cJSON_Delete(spec);
	sqlite3_close(db);
	return rc;
}
