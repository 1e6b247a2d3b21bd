/* reports/serving.c — the load analysis: the suites `tierbench load` stores ("load/rate=R" and
 * "load/concurrency=C", one per level) become, per target, rows of achieved throughput against
 * latency percentiles, with the knee (where more offered load stops buying throughput) and the
 * highest level that still meets the SLO. Pure: no I/O. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report_impl.h"

/* The offered load a level's suite name gives (rate in requests/s, INFINITY for "inf", or the
 * concurrency), with *closed set for a concurrency; -1 when suite is not a load level. */
double rep_load_level(const char *suite, int *closed)
{
	const char *v;
	char *end;
	double x;
	if (!suite || strncmp(suite, "load/", 5))
		return -1;
	if (!strncmp(suite + 5, "rate=", 5)) {
		*closed = 0;
		v = suite + 10;
		if (!strcmp(v, "inf"))
			return INFINITY;
	} else if (!strncmp(suite + 5, "concurrency=", 12)) {
		*closed = 1;
		v = suite + 17;
	} else {
		return -1;
	}
	x = strtod(v, &end);
	return end != v && !*end && x > 0 ? x : -1;
}

static double metric_mean(const rep_ts *t, const char *name)
{
	for (int m = 0; m < t->n_metrics; m++)
		if (!strcmp(t->metric[m], name) && t->metric_n[m] > 0)
			return t->metric_sum[m] / (double)t->metric_n[m];
	return NAN;
}

static int cmp_row(const void *pa, const void *pb)
{
	const rep_load_row *a = pa, *b = pb;
	if (a->ts->target != b->ts->target)
		return a->ts->target < b->ts->target ? -1 : 1;
	if (a->closed != b->closed)
		return a->closed - b->closed;
	return a->offered < b->offered ? -1 : a->offered > b->offered;
}

int rep_load_build(const rep_set *s, rep_load_row **rows, size_t *n_rows)
{
	rep_load_row *r = NULL;
	size_t n = 0;

	*rows = NULL;
	*n_rows = 0;
	for (size_t k = 0; k < s->n_ts; k++) {
		rep_ts *t = &s->ts[k];
		rep_load_row *nr;
		int closed = 0;
		double off = rep_load_level(t->suite, &closed);
		if (off < 0)
			continue;
		if (!(nr = realloc(r, (n + 1) * sizeof *r))) {
			free(r);
			return REP_ENOMEM;
		}
		r = nr;
		memset(&r[n], 0, sizeof r[n]);
		r[n].ts = t;
		r[n].offered = off;
		r[n].closed = closed;
		r[n].wall_s = metric_mean(t, "wall_s");
		r[n].req_per_s = r[n].wall_s > 0 ? (double)t->n / r[n].wall_s : NAN;
		r[n].tok_per_s = r[n].wall_s > 0 && t->tokens_known ? (double)t->tout / r[n].wall_s : NAN;
		r[n].good_share = t->n + t->n_errors ? t->sum / (double)(t->n + t->n_errors) : NAN;
		r[n].good_per_s = r[n].wall_s > 0 ? t->sum / r[n].wall_s : NAN;
		for (int q = 0; q < 3; q++) {
			static const double ps[3] = { 0.5, 0.9, 0.99 };
			r[n].ttft_ms[q] = rep_quantile(t->ttft, t->n_ttft, ps[q]);
			r[n].tpot_ms[q] = rep_quantile(t->tpot, t->n_tpot, ps[q]);
			r[n].itl_ms[q] = rep_quantile(t->itl, t->n_itl, ps[q]);
			r[n].e2e_ms[q] = rep_quantile(t->lat, t->n_lat, ps[q]);
		}
		n++;
	}
	if (n)
		qsort(r, n, sizeof *r, cmp_row);
	/* per target and kind of level: the knee and the highest level meeting the SLO */
	for (size_t lo = 0, hi; lo < n; lo = hi) {
		size_t best = (size_t)-1;
		for (hi = lo + 1; hi < n && r[hi].ts->target == r[lo].ts->target && r[hi].closed == r[lo].closed; hi++)
			;
		for (size_t i = lo; i < hi; i++) {
			if (r[i].good_share >= REP_LOAD_SLO_SHARE)
				best = i;
			if (i + 1 < hi && !isnan(r[i].req_per_s) && !isnan(r[i + 1].req_per_s) &&
			    r[i + 1].req_per_s < r[i].req_per_s * 1.1) {
				int first = 1;
				for (size_t j = lo; j < i; j++)
					first &= !r[j].knee;
				r[i].knee = first;
			}
		}
		if (best != (size_t)-1)
			r[best].max_meeting_slo = 1;
	}
	*rows = r;
	*n_rows = n;
	return 0;
}
