/* reports/sweep.c — the sweep analysis: targets a run spec's matrix (or `run --sweep`) made from
 * one target share an id "BASE@name=value,..." (harness/spec.c); per family and suite this finds
 * each point's accuracy, tokens, cost and latency, the Pareto frontier of accuracy against $ per
 * item and against latency, and for each step up in cost whether the accuracy gain is
 * significant on the shared items and what one more solved item costs. Pure: no I/O. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report_impl.h"

/* The length of id's family prefix (before the last '@'), when what follows is one or more
 * "name=value" pairs separated by commas; 0 when id is not a swept target's. */
size_t rep_sweep_family_len(const char *id)
{
	const char *at = id ? strrchr(id, '@') : NULL, *p;
	if (!at || at == id || !at[1])
		return 0;
	for (p = at + 1; *p;) {
		size_t len = strcspn(p, ","), eq = strcspn(p, "=");
		if (eq == 0 || eq >= len)
			return 0;   /* a part without "name=" */
		p += len + (p[len] == ',');
	}
	return (size_t)(at - id);
}

/* Order of rows within a family and suite: $ per item ascending (unknown last), then target order. */
static int cmp_row(const void *pa, const void *pb)
{
	const rep_sweep_row *a = pa, *b = pb;
	int c = strcmp(a->family, b->family);
	if (c)
		return c;
	if ((c = strcmp(a->ts->suite, b->ts->suite)))
		return c;
	if (isnan(a->usd_per_item) != isnan(b->usd_per_item))
		return isnan(a->usd_per_item) ? 1 : -1;
	if (!isnan(a->usd_per_item) && a->usd_per_item != b->usd_per_item)
		return a->usd_per_item < b->usd_per_item ? -1 : 1;
	return a->ts->target < b->ts->target ? -1 : a->ts->target > b->ts->target;
}

/* Whether row i is dominated within rows[lo..hi): another point at least as accurate and at
 * most as costly (x), better in one of the two. */
static int dominated(const rep_sweep_row *r, size_t lo, size_t hi, size_t i, int latency)
{
	double xi = latency ? r[i].ts->lat_p50 : r[i].usd_per_item;
	if (isnan(xi) || isnan(r[i].ts->acc))
		return 1;
	for (size_t j = lo; j < hi; j++) {
		double xj = latency ? r[j].ts->lat_p50 : r[j].usd_per_item;
		if (j == i || isnan(xj) || isnan(r[j].ts->acc))
			continue;
		if (r[j].ts->acc >= r[i].ts->acc && xj <= xi && (r[j].ts->acc > r[i].ts->acc || xj < xi))
			return 1;
	}
	return 0;
}

int rep_sweep_build(const rep_set *s, const rep_opts *o, rep_sweep_row **rows, size_t *n_rows)
{
	rep_sweep_row *r = NULL;
	size_t n = 0;

	*rows = NULL;
	*n_rows = 0;
	for (size_t k = 0; k < s->n_ts; k++) {
		const rep_ts *t = &s->ts[k];
		const rep_target *tg = &s->targets[t->target];
		size_t fl = rep_sweep_family_len(tg->id), peers = 0;
		rep_sweep_row *nr;
		if (!fl || tg->price_only)
			continue;
		for (size_t m = 0; m < s->n_ts; m++) {   /* another point of the family in this suite */
			const char *id = s->targets[s->ts[m].target].id;
			peers += m != k && rep_sweep_family_len(id) == fl && !strncmp(id, tg->id, fl) &&
				!strcmp(s->ts[m].suite, t->suite);
		}
		if (!peers)
			continue;
		if (!(nr = realloc(r, (n + 1) * sizeof *r)))
			goto nomem;
		r = nr;
		memset(&r[n], 0, sizeof r[n]);
		if (!(r[n].family = strndup(tg->id, fl))) {
			n++;   /* released with the rest */
			goto nomem;
		}
		r[n].point = tg->id + fl + 1;
		r[n].ts = t;
		if (t->n_items) {
			r[n].usd_per_item = t->cost / (double)t->n_items;
			r[n].reasoning_per_item = t->tokens_known ? (double)t->treason / (double)t->n_items : NAN;
			r[n].answer_per_item = t->tokens_known ? (double)(t->tout - t->treason) / (double)t->n_items : NAN;
		} else {
			r[n].usd_per_item = r[n].reasoning_per_item = r[n].answer_per_item = NAN;
		}
		r[n].budget_out = t->n + t->n_errors ? (double)t->n_budget_out / (double)(t->n + t->n_errors) : NAN;
		r[n].usd_per_extra = NAN;
		n++;
	}
	if (n)
		qsort(r, n, sizeof *r, cmp_row);
	for (size_t lo = 0, hi; lo < n; lo = hi) {
		for (hi = lo + 1; hi < n && !strcmp(r[hi].family, r[lo].family) &&
		     !strcmp(r[hi].ts->suite, r[lo].ts->suite); hi++)
			;
		for (size_t i = lo; i < hi; i++) {
			r[i].pareto_cost = !dominated(r, lo, hi, i, 0);
			r[i].pareto_latency = !dominated(r, lo, hi, i, 1);
			if (i == lo)
				continue;
			r[i].prev = r[i - 1].ts;
			rep_pair_test(r[i - 1].ts, r[i].ts, o->n_boot, o->seed, o->alpha, &r[i].vs_prev);
			if (!isnan(r[i].usd_per_item) && !isnan(r[i - 1].usd_per_item)) {
				double gain = r[i].ts->acc - r[i - 1].ts->acc;
				r[i].usd_per_extra = gain > 0 ? (r[i].usd_per_item - r[i - 1].usd_per_item) / gain :
					INFINITY;
			}
		}
	}
	*rows = r;
	*n_rows = n;
	return 0;
nomem:
	rep_sweep_release(r, n);
	return REP_ENOMEM;
}

void rep_sweep_release(rep_sweep_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		free(rows[i].family);
	free(rows);
}
