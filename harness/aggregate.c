/* harness/aggregate.c — turns the sample rows of one run into summary rows: per target x suite
 * x metric the accuracy with a Wilson 95 % interval, pass@1 / 10 / 100 of a coding suite's
 * "pass" metric, TTFT and end-to-end latency percentiles, output tokens per second, token and
 * cost sums. Reads only the results store. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "harness/harness.h"
#include "providers/provider.h"

#define MAX_METRICS 8

typedef struct group {
	char *target, *suite;
	char *metric[MAX_METRICS];
	long n_correct[MAX_METRICS];
	double sum[MAX_METRICS];
	int n_metrics;
	long n_scored, n_errors;
	double *ttft, *lat;
	size_t n_ttft, n_lat, cap_ttft, cap_lat;
	double gen_ms;           /* sum of (latency - ttft) over streamed rows */
	int64_t gen_tokens;      /* output tokens after the first of those rows */
	int64_t tin, tout, treason;
	double cost;
	/* pass@k of the "pass" metric: sums over items of pass@REP_PASS_K(i) (items with at least
	 * k samples), items, and the fewest samples of an item */
	double pass_sum[REP_N_PASS_K];
	long pass_items, pass_n_min;
} group;

static const char *keep(hx_summary *s, const char *str)
{
	char *c;
	if (!str)
		return NULL;
	if (s->n_strs == s->cap_strs) {
		size_t nc = s->cap_strs ? s->cap_strs * 2 : 64;
		char **n = realloc(s->strs, nc * sizeof *n);
		if (!n)
			return NULL;
		s->strs = n;
		s->cap_strs = nc;
	}
	if (!(c = strdup(str)))
		return NULL;
	s->strs[s->n_strs++] = c;
	return c;
}

static int push(double **v, size_t *n, size_t *cap, double x)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		double *nv = realloc(*v, nc * sizeof *nv);
		if (!nv)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = x;
	return 0;
}

static void group_free(group *g)
{
	free(g->target);
	free(g->suite);
	for (int i = 0; i < g->n_metrics; i++)
		free(g->metric[i]);
	free(g->ttft);
	free(g->lat);
}

static int metric_index(group *g, const char *name)
{
	for (int i = 0; i < g->n_metrics; i++)
		if (strcmp(g->metric[i], name) == 0)
			return i;
	if (g->n_metrics == MAX_METRICS || !(g->metric[g->n_metrics] = strdup(name)))
		return -1;
	return g->n_metrics++;
}

static const char *col(sqlite3_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q, i);
}

/* Per item of each group: scored samples and those whose "pass" score is >= 0.5, for the
 * unbiased pass@k (only rows that carry a "pass" score: the coding suites). */
static int load_pass(sqlite3 *db, int64_t run_id, group *gs, size_t n_g)
{
	sqlite3_stmt *q = NULL;
	int rc;
	if (sqlite3_prepare_v2(db, "SELECT target, suite, count(*),"
	    " sum(json_extract(scores_json, '$.pass') >= 0.5) FROM samples WHERE run_id = ? AND"
	    " error = 0 AND json_valid(scores_json) AND json_type(scores_json, '$.pass') IN"
	    " ('integer', 'real') GROUP BY target, suite, item", -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		long n = (long)sqlite3_column_int64(q, 2), c = (long)sqlite3_column_int64(q, 3);
		for (size_t i = 0; i < n_g; i++) {
			group *g = &gs[i];
			if (strcmp(g->target, col(q, 0)) || strcmp(g->suite, col(q, 1)))
				continue;
			for (int k = 0; k < REP_N_PASS_K; k++)
				if (n >= REP_PASS_K(k))
					g->pass_sum[k] += hx_pass_at_k(n, c, REP_PASS_K(k));
			if (!g->pass_items++ || n < g->pass_n_min)
				g->pass_n_min = n;
			break;
		}
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int load_meta(sqlite3 *db, int64_t run_id, hx_summary *s)
{
	sqlite3_stmt *q = NULL;
	int ok = -1;
	if (sqlite3_prepare_v2(db, "SELECT name, started_at, finished_at, status, build_json, hw_json"
	    " FROM runs WHERE id = ?", -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	if (sqlite3_step(q) == SQLITE_ROW) {
		cJSON *b = cJSON_Parse(col(q, 4) ? col(q, 4) : "null");
		cJSON *h = cJSON_Parse(col(q, 5) ? col(q, 5) : "null");
		char line[512];
		s->meta.title = keep(s, col(q, 0));
		s->meta.started = keep(s, col(q, 1));
		s->meta.finished = keep(s, col(q, 2));
		s->meta.status = keep(s, col(q, 3));
		if (cJSON_IsObject(b)) {
			const cJSON *v = cJSON_GetObjectItem(b, "version"), *r = cJSON_GetObjectItem(b, "git_rev");
			const cJSON *c = cJSON_GetObjectItem(b, "compiler");
			snprintf(line, sizeof line, "tierbench %s (%s), %s",
				 cJSON_IsString(v) ? v->valuestring : "?", cJSON_IsString(r) ? r->valuestring : "?",
				 cJSON_IsString(c) ? c->valuestring : "?");
			s->meta.build = keep(s, line);
		}
		if (cJSON_IsObject(h)) {
			const cJSON *m = cJSON_GetObjectItem(h, "cpu_model"), *c = cJSON_GetObjectItem(h, "cores");
			const cJSON *r = cJSON_GetObjectItem(h, "ram_bytes"), *bw = cJSON_GetObjectItem(h, "mem_bw_gbs");
			int used = snprintf(line, sizeof line, "%s, %d cores, %.1f GiB RAM",
				cJSON_IsString(m) ? m->valuestring : "unknown CPU",
				cJSON_IsNumber(c) ? c->valueint : 0,
				cJSON_IsNumber(r) ? r->valuedouble / (1024.0 * 1024 * 1024) : 0.0);
			if (cJSON_IsNumber(bw) && used > 0 && (size_t)used < sizeof line)
				snprintf(line + used, sizeof line - (size_t)used, ", %.1f GB/s measured",
					 bw->valuedouble);
			s->meta.hardware = keep(s, line);
		}
		cJSON_Delete(b);
		cJSON_Delete(h);
		ok = 0;
	}
	sqlite3_finalize(q);
	return ok;
}

int hx_summary_load(hx_store *st, int64_t run_id, hx_summary *s, char *err, size_t errlen)
{
	sqlite3 *db = hx_store_db(st);
	sqlite3_stmt *q = NULL, *tq = NULL;
	group *gs = NULL;
	size_t n_g = 0, cap_g = 0, n_rows = 0;
	int rc, ret = HX_ESTORE;

	memset(s, 0, sizeof *s);
	if (run_id < 0)
		run_id = hx_store_latest_run(st);
	if (run_id < 0) {
		snprintf(err, errlen, "the results store holds no run");
		return HX_EINVAL;
	}
	if (load_meta(db, run_id, s)) {
		snprintf(err, errlen, "run %lld not found in the results store", (long long)run_id);
		return HX_EINVAL;
	}
	rc = sqlite3_prepare_v2(db, "SELECT target, suite, error, scores_json, ttft_ms, latency_ms,"
		" n_tokens_in, n_tokens_out, n_tokens_reasoning, cost_usd, itl_json FROM samples WHERE run_id = ?"
		" ORDER BY id", -1, &q, NULL);
	if (rc != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(q, 1, run_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *t = col(q, 0), *su = col(q, 1);
		int e = sqlite3_column_int(q, 2);
		group *g = NULL;
		for (size_t i = n_g; i-- > 0;)
			if (strcmp(gs[i].target, t) == 0 && strcmp(gs[i].suite, su) == 0) {
				g = &gs[i];
				break;
			}
		if (!g) {
			if (n_g == cap_g) {
				size_t nc = cap_g ? cap_g * 2 : 8;
				group *ng = realloc(gs, nc * sizeof *ng);
				if (!ng)
					goto nomem;
				gs = ng;
				cap_g = nc;
			}
			g = &gs[n_g++];
			memset(g, 0, sizeof *g);
			if (!(g->target = strdup(t)) || !(g->suite = strdup(su)))
				goto nomem;
		}
		s->n_samples++;
		if (e) {
			g->n_errors++;
			s->n_errors++;
			s->n_errors_by_class[e > 0 && e < 16 ? e : 0]++;
			continue;
		}
		g->n_scored++;
		{
			cJSON *sc = cJSON_Parse(col(q, 3) ? col(q, 3) : "{}"), *it;
			cJSON_ArrayForEach(it, sc) {
				int mi;
				if (!cJSON_IsNumber(it) || (mi = metric_index(g, it->string)) < 0)
					continue;
				g->sum[mi] += it->valuedouble;
				g->n_correct[mi] += it->valuedouble >= 0.5;
			}
			cJSON_Delete(sc);
		}
		if (sqlite3_column_type(q, 4) != SQLITE_NULL &&
		    push(&g->ttft, &g->n_ttft, &g->cap_ttft, sqlite3_column_double(q, 4)))
			goto nomem;
		if (sqlite3_column_type(q, 5) != SQLITE_NULL &&
		    push(&g->lat, &g->n_lat, &g->cap_lat, sqlite3_column_double(q, 5)))
			goto nomem;
		/* Output tokens/s only where generation was timed, as reports count it: a streamed
		 * sample (stored gaps) with tokens after the first and time between the first token and
		 * the end. A non-streamed reply has its TTFT at about its end (millions of tokens/s). */
		if (sqlite3_column_type(q, 4) != SQLITE_NULL && sqlite3_column_type(q, 5) != SQLITE_NULL &&
		    sqlite3_column_type(q, 10) == SQLITE_TEXT && sqlite3_column_int64(q, 7) > 1 &&
		    sqlite3_column_double(q, 5) - sqlite3_column_double(q, 4) > 0) {
			g->gen_ms += sqlite3_column_double(q, 5) - sqlite3_column_double(q, 4);
			g->gen_tokens += sqlite3_column_int64(q, 7) - 1;
		}
		g->tin += sqlite3_column_int64(q, 6);
		g->tout += sqlite3_column_int64(q, 7);
		g->treason += sqlite3_column_int64(q, 8);
		g->cost += sqlite3_column_double(q, 9);
	}
	if (rc != SQLITE_DONE || load_pass(db, run_id, gs, n_g))
		goto dberr;

	for (size_t i = 0; i < n_g; i++)
		n_rows += gs[i].n_metrics ? (size_t)gs[i].n_metrics : 1;
	if (n_rows && !(s->rows = calloc(n_rows, sizeof *s->rows)))
		goto nomem;
	rc = sqlite3_prepare_v2(db, "SELECT provider, model, quant FROM targets WHERE run_id = ? AND"
		" target = ?", -1, &tq, NULL);
	if (rc != SQLITE_OK)
		goto dberr;
	for (size_t i = 0; i < n_g; i++) {
		group *g = &gs[i];
		const char *pname = NULL, *model = NULL, *quant = NULL;
		double t50 = hx_percentile(g->ttft, g->n_ttft, 50), t90 = hx_percentile(g->ttft, g->n_ttft, 90);
		double l50 = hx_percentile(g->lat, g->n_lat, 50), l90 = hx_percentile(g->lat, g->n_lat, 90);
		sqlite3_reset(tq);
		sqlite3_bind_int64(tq, 1, run_id);
		sqlite3_bind_text(tq, 2, g->target, -1, SQLITE_STATIC);
		if (sqlite3_step(tq) == SQLITE_ROW) {
			pname = keep(s, col(tq, 0));
			model = keep(s, col(tq, 1));
			quant = keep(s, col(tq, 2));
		}
		for (int m = 0; m < (g->n_metrics ? g->n_metrics : 1); m++) {
			rep_row *r = &s->rows[s->n_rows++];
			r->target = keep(s, g->target);
			r->suite = keep(s, g->suite);
			r->provider = pname;
			r->model = model;
			r->quant = quant;
			r->metric = g->n_metrics ? keep(s, g->metric[m]) : "-";
			r->n = g->n_scored;
			r->n_correct = g->n_metrics ? g->n_correct[m] : 0;
			r->n_errors = g->n_errors;
			r->accuracy = g->n_scored && g->n_metrics ? g->sum[m] / (double)g->n_scored : NAN;
			hx_wilson95(r->n_correct, r->n, &r->ci_lo, &r->ci_hi);
			r->ttft_p50_ms = t50;
			r->ttft_p90_ms = t90;
			r->latency_p50_ms = l50;
			r->latency_p90_ms = l90;
			r->out_tok_per_s = g->gen_ms > 0 ? g->gen_tokens / (g->gen_ms / 1e3) : NAN;
			r->n_tokens_in = g->tin;
			r->n_tokens_out = g->tout;
			r->n_tokens_reasoning = g->treason;
			r->cost_usd = g->cost;
			r->usd_per_solved = r->n_correct > 0 && g->cost > 0 ? g->cost / r->n_correct : NAN;
			for (int k = 0; k < REP_N_PASS_K; k++)
				r->pass_at[k] = g->pass_items && strcmp(r->metric, "pass") == 0 &&
						g->pass_n_min >= REP_PASS_K(k)
					? g->pass_sum[k] / (double)g->pass_items : NAN;
			r->samples_per_item = strcmp(r->metric, "pass") == 0 ? g->pass_n_min : 0;
		}
	}
	ret = 0;
	goto done;
nomem:
	snprintf(err, errlen, "out of memory");
	ret = HX_ENOMEM;
	goto done;
dberr:
	snprintf(err, errlen, "reading the results store: %s", sqlite3_errmsg(db));
done:
	sqlite3_finalize(q);
	sqlite3_finalize(tq);
	for (size_t i = 0; i < n_g; i++)
		group_free(&gs[i]);
	free(gs);
	if (ret)
		hx_summary_release(s);
	return ret;
}

void hx_summary_release(hx_summary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_strs; i++)
		free(s->strs[i]);
	free(s->strs);
	free(s->rows);
	memset(s, 0, sizeof *s);
}
