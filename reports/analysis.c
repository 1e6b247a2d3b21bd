/* reports/analysis.c — the judgements a report makes from loaded runs: paired comparisons of
 * two targets on shared items, tier lists per suite and overall, quantisation groups with the
 * accuracy lost against each model's best quantisation, and the self-host vs API cost table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "reports/report_impl.h"

void rep_opts_default(rep_opts *o)
{
	memset(o, 0, sizeof *o);
	o->blend_in = 3;
	o->blend_out = 1;
	o->volume_mtok_month = 100;
	o->alpha = 0.05;
	o->n_boot = 2000;
	o->seed = 1;
}

void rep_pair_test(const rep_ts *x, const rep_ts *y, int n_boot, uint64_t seed, double alpha,
	rep_pair *out)
{
	size_t i = 0, j = 0, n = 0, cap = x->n_items < y->n_items ? x->n_items : y->n_items;
	double *xs = cap ? malloc(cap * sizeof *xs) : NULL, *ys = cap ? malloc(cap * sizeof *ys) : NULL;
	int binary = 1;

	memset(out, 0, sizeof *out);
	out->diff = y->acc - x->acc;
	out->lo = out->hi = out->p = NAN;
	out->test = "–";
	while (xs && ys && i < x->n_items && j < y->n_items) {
		int c = strcmp(x->items[i].id, y->items[j].id);
		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {
			xs[n] = x->items[i].score;
			ys[n] = y->items[j].score;
			binary &= x->items[i].n == 1 && y->items[j].n == 1 && (xs[n] == 0 || xs[n] == 1) &&
				(ys[n] == 0 || ys[n] == 1);
			out->b += xs[n] > ys[n];
			out->c += xs[n] < ys[n];
			n++, i++, j++;
		}
	}
	out->n_shared = n;
	if (n > 0) {
		double p;
		out->diff = rep_paired_bootstrap(xs, ys, n, n_boot, seed, alpha, &out->lo, &out->hi, &p);
		if (binary) {
			out->test = "McNemar";
			out->p = rep_mcnemar_exact(out->b, out->c);
		} else {
			out->test = "bootstrap";
			out->p = p;
		}
		out->worse = out->diff < 0 && out->p < alpha;
	} else if (x->n && y->n) {
		/* No shared items: the two intervals must not overlap. */
		out->test = "intervals";
		out->worse = y->hi < x->lo;
	}
	if (!cap || (xs && ys)) {
		free(xs);
		free(ys);
		return;
	}
	free(xs);
	free(ys);
	out->test = "–";           /* out of memory: no verdict rather than a wrong one */
	out->worse = 0;
}

/* ---------------------------------------------------------------- tiers */

typedef struct tier_ctx {
	const rep_set *s;
	const rep_opts *o;
	rep_tier_row *rows;
	const rep_analysis *a;
	int overall;
} tier_ctx;

/* Overall comparison of targets ti (candidate) and tj (leader): a stratified paired bootstrap
 * over suites when they share items in every suite, else the normal intervals' overlap. */
static void overall_pair(const tier_ctx *c, size_t ti, size_t tj, rep_pair *out)
{
	const rep_analysis *a = c->a;
	double wsum = 0, *reps = NULL;
	int paired = 1;
	const rep_tier_row *ri = NULL, *rj = NULL;
	for (size_t k = 0; k < c->a->tiers[a->n_suites].n; k++) {
		const rep_tier_row *r = &c->a->tiers[a->n_suites].rows[k];
		if (r->target == ti)
			ri = r;
		if (r->target == tj)
			rj = r;
	}
	memset(out, 0, sizeof *out);
	out->lo = out->hi = out->p = NAN;
	out->test = "–";
	if (!ri || !rj)
		return;
	out->diff = ri->score - rj->score;
	for (size_t s = 0; s < a->n_suites; s++) {
		const rep_ts *x = rep_set_find_ts(c->s, tj, a->suites[s]);
		const rep_ts *y = rep_set_find_ts(c->s, ti, a->suites[s]);
		rep_pair p;
		wsum += a->weights[s];
		if (a->weights[s] == 0)
			continue;
		if (!x || !y) {
			paired = 0;
			continue;
		}
		rep_pair_test(x, y, 0, 0, c->o->alpha, &p);
		paired &= p.n_shared > 0;
		out->n_shared += p.n_shared;
	}
	if (paired && c->o->n_boot > 0 && (reps = calloc((size_t)c->o->n_boot, sizeof *reps))) {
		uint64_t st = c->o->seed;
		long below = 0, above = 0;
		for (size_t s = 0; s < a->n_suites; s++) {
			const rep_ts *x = rep_set_find_ts(c->s, tj, a->suites[s]);
			const rep_ts *y = rep_set_find_ts(c->s, ti, a->suites[s]);
			double *d;
			size_t n = 0, i = 0, j = 0;
			if (a->weights[s] == 0 || !x || !y ||
			    !(d = malloc((x->n_items ? x->n_items : 1) * sizeof *d)))
				continue;
			while (i < x->n_items && j < y->n_items) {
				int cmp = strcmp(x->items[i].id, y->items[j].id);
				if (cmp == 0)
					d[n++] = y->items[j++].score - x->items[i++].score;
				else if (cmp < 0)
					i++;
				else
					j++;
			}
			for (int b = 0; b < c->o->n_boot; b++) {
				double sum = 0;
				for (size_t k = 0; k < n; k++)
					sum += d[rep_rng_next(&st) % n];
				reps[b] += a->weights[s] / wsum * sum / (double)n;
			}
			free(d);
		}
		for (int b = 0; b < c->o->n_boot; b++) {
			below += reps[b] <= 0;
			above += reps[b] >= 0;
		}
		out->test = "bootstrap";
		out->p = fmin(1.0, 2.0 * (double)(below < above ? below : above) / c->o->n_boot);
		out->lo = rep_quantile(reps, (size_t)c->o->n_boot, c->o->alpha / 2);
		out->hi = rep_quantile(reps, (size_t)c->o->n_boot, 1 - c->o->alpha / 2);
		out->worse = out->diff < 0 && out->p < c->o->alpha;
		free(reps);
	} else {
		out->test = "intervals";
		out->worse = ri->hi < rj->lo;
	}
}

static int tier_worse(size_t i, size_t j, void *ud)
{
	tier_ctx *c = ud;
	rep_tier_row *ri = &c->rows[i], *rj = &c->rows[j];
	rep_pair p;
	if (c->overall)
		overall_pair(c, ri->target, rj->target, &p);
	else
		rep_pair_test(rj->ts, ri->ts, c->o->n_boot, c->o->seed, c->o->alpha, &p);
	/* Remember the comparison with the leader the row ends up in (the last one asked). */
	ri->vs = p;
	return p.worse;
}

static int cmp_tier_row(const void *pa, const void *pb)
{
	const rep_tier_row *a = pa, *b = pb;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return a->target < b->target ? -1 : a->target > b->target;
}

static void tiers_assign(tier_ctx *c, rep_tier_list *l)
{
	int *tier = malloc((l->n ? l->n : 1) * sizeof *tier);
	size_t *lead = malloc((l->n ? l->n : 1) * sizeof *lead);
	qsort(l->rows, l->n, sizeof *l->rows, cmp_tier_row);
	c->rows = l->rows;
	if (!tier || !lead) {
		free(tier);
		free(lead);
		for (size_t i = 0; i < l->n; i++)
			l->rows[i].tier = -1;
		return;
	}
	rep_tiers_assign(l->n, tier_worse, c, tier, lead);
	for (size_t i = 0; i < l->n; i++) {
		l->rows[i].tier = tier[i];
		l->rows[i].leader = l->rows[lead[i]].target;
		if (lead[i] == i) {
			memset(&l->rows[i].vs, 0, sizeof l->rows[i].vs);
			l->rows[i].vs.test = "–";
			l->rows[i].vs.lo = l->rows[i].vs.hi = l->rows[i].vs.p = NAN;
		} else {
			/* the last comparison made was against a different leader when it joined none */
			rep_pair p;
			if (c->overall)
				overall_pair(c, l->rows[i].target, l->rows[lead[i]].target, &p);
			else
				rep_pair_test(l->rows[lead[i]].ts, l->rows[i].ts, c->o->n_boot, c->o->seed,
					c->o->alpha, &p);
			l->rows[i].vs = p;
		}
	}
	free(tier);
	free(lead);
}

/* Parses "suite=w,suite=w" into a's weights. */
static int parse_weights(rep_analysis *a, const char *w, char *err, size_t errlen)
{
	const char *p = w;
	while (p && *p) {
		const char *eq = strchr(p, '='), *end = strchr(p, ',');
		char *num_end;
		double v;
		size_t k;
		if (!end)
			end = p + strlen(p);
		if (!eq || eq > end) {
			snprintf(err, errlen, "--weights: expected suite=weight, got \"%.*s\"", (int)(end - p), p);
			return REP_EINVAL;
		}
		v = strtod(eq + 1, &num_end);
		if (num_end != end || !(v >= 0) || isinf(v)) {
			snprintf(err, errlen, "--weights: %.*s: expected a number >= 0", (int)(eq - p), p);
			return REP_EINVAL;
		}
		for (k = 0; k < a->n_suites; k++)
			if (strlen(a->suites[k]) == (size_t)(eq - p) && strncmp(a->suites[k], p, (size_t)(eq - p)) == 0)
				break;
		if (k == a->n_suites) {
			snprintf(err, errlen, "--weights: no suite \"%.*s\" in these runs", (int)(eq - p), p);
			return REP_EINVAL;
		}
		a->weights[k] = v;
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* The percentile interval of target t's overall score: n_boot replicates, each resampling the
 * items of every weighted suite with replacement within that suite (seeded: reproducible).
 * Returns 0 or REP_ENOMEM. */
static int overall_interval(const rep_set *s, const rep_analysis *a, const rep_opts *o, size_t t,
	double wsum, double *lo, double *hi)
{
	int nb = o->n_boot > 0 ? o->n_boot : 2000;
	double *reps = calloc((size_t)nb, sizeof *reps);
	uint64_t st = o->seed;
	if (!reps)
		return REP_ENOMEM;
	for (size_t k = 0; k < a->n_suites; k++) {
		const rep_ts *ts = rep_set_find_ts(s, t, a->suites[k]);
		if (a->weights[k] == 0 || !ts || !ts->n_items)
			continue;
		for (int b = 0; b < nb; b++) {
			double sum = 0;
			for (size_t i = 0; i < ts->n_items; i++)
				sum += ts->items[rep_rng_next(&st) % ts->n_items].score;
			reps[b] += a->weights[k] / wsum * sum / (double)ts->n_items;
		}
	}
	*lo = rep_quantile(reps, (size_t)nb, o->alpha / 2);
	*hi = rep_quantile(reps, (size_t)nb, 1 - o->alpha / 2);
	free(reps);
	return 0;
}

int rep_target_fits_on(const rep_set *s, const rep_opts *o, size_t t)
{
	if (!o || !o->fits_on)
		return 1;
	for (size_t i = 0; i < o->n_fit_rows; i++) {
		const rep_fit_row *r = &o->fit_rows[i];
		if (r->fits && !strcmp(r->hardware, o->fits_on) && !strcmp(r->target_id, s->targets[t].id))
			return 1;
	}
	return 0;
}

static int build_tiers(const rep_set *s, const rep_opts *o, rep_analysis *a)
{
	tier_ctx c = { s, o, NULL, a, 0 };
	size_t ns = a->n_suites;
	if (!(a->tiers = calloc(ns + 1, sizeof *a->tiers)))
		return REP_ENOMEM;
	for (size_t k = 0; k < ns; k++) {
		rep_tier_list *l = &a->tiers[k];
		l->suite = a->suites[k];
		if (!(l->rows = calloc(s->n_targets ? s->n_targets : 1, sizeof *l->rows)))
			return REP_ENOMEM;
		for (size_t t = 0; t < s->n_targets; t++) {
			const rep_ts *ts = rep_set_find_ts(s, t, l->suite);
			if (!ts || !ts->n || !rep_target_fits_on(s, o, t))
				continue;
			l->rows[l->n].target = t;
			l->rows[l->n].ts = ts;
			l->rows[l->n].score = ts->acc;
			l->rows[l->n].lo = ts->lo;
			l->rows[l->n].hi = ts->hi;
			l->n++;
		}
		tiers_assign(&c, l);
	}
	/* Overall: the weighted mean of the suites' accuracies, for targets that ran every suite
	 * with a weight > 0; its interval a percentile bootstrap stratified by suite (items
	 * resampled within each suite), so it stays inside 0..1. */
	{
		rep_tier_list *l = &a->tiers[ns];
		double wsum = 0;
		for (size_t k = 0; k < ns; k++)
			wsum += a->weights[k];
		if (!(l->rows = calloc(s->n_targets ? s->n_targets : 1, sizeof *l->rows)))
			return REP_ENOMEM;
		for (size_t t = 0; t < s->n_targets && wsum > 0; t++) {
			double score = 0;
			int all = rep_target_fits_on(s, o, t);
			for (size_t k = 0; k < ns && all; k++) {
				const rep_ts *ts = rep_set_find_ts(s, t, a->suites[k]);
				if (a->weights[k] == 0)
					continue;
				if (!ts || !ts->n) {
					all = 0;
					continue;
				}
				score += a->weights[k] / wsum * ts->acc;
			}
			if (!all)
				continue;
			l->rows[l->n].target = t;
			l->rows[l->n].score = score;
			if (overall_interval(s, a, o, t, wsum, &l->rows[l->n].lo, &l->rows[l->n].hi))
				return REP_ENOMEM;
			l->n++;
		}
		c.overall = 1;
		tiers_assign(&c, l);
	}
	return 0;
}

/* ---------------------------------------------------------------- quantisation groups */

static int build_quant(const rep_set *s, const rep_opts *o, rep_analysis *a)
{
	size_t n = 0;
	if (!(a->quant = calloc(s->n_ts ? s->n_ts : 1, sizeof *a->quant)))
		return REP_ENOMEM;
	/* Groups in first-seen order of base model; within, by suite order then accuracy. */
	for (size_t t = 0; t < s->n_targets; t++) {
		const char *base = s->targets[t].base;
		int seen = !s->targets[t].quant;
		for (size_t u = 0; u < t; u++)
			seen |= s->targets[u].quant && strcmp(s->targets[u].base, base) == 0;
		if (seen)
			continue;
		for (size_t k = 0; k < a->n_suites; k++) {
			size_t first = n;
			const rep_ts *best = NULL;
			for (size_t u = t; u < s->n_targets; u++) {
				const rep_ts *ts;
				if (!s->targets[u].quant || strcmp(s->targets[u].base, base) != 0 ||
				    !(ts = rep_set_find_ts(s, u, a->suites[k])) || !ts->n)
					continue;
				a->quant[n++].ts = ts;
				if (!best || ts->acc > best->acc || (ts->acc == best->acc &&
				    s->targets[ts->target].bpw > s->targets[best->target].bpw))
					best = ts;
			}
			for (size_t r = first; r < n; r++) {
				a->quant[r].best = best;
				if (a->quant[r].ts == best) {
					memset(&a->quant[r].vs, 0, sizeof a->quant[r].vs);
					a->quant[r].vs.test = "–";
					a->quant[r].vs.lo = a->quant[r].vs.hi = a->quant[r].vs.p = NAN;
				} else {
					rep_pair_test(best, a->quant[r].ts, o->n_boot, o->seed, o->alpha, &a->quant[r].vs);
				}
			}
			/* best first, then by accuracy */
			for (size_t r = first + 1; r < n; r++)
				for (size_t q = r; q > first; q--) {
					rep_quant_row *x = &a->quant[q - 1], *y = &a->quant[q];
					int swap = y->ts == y->best || (x->ts != x->best && y->ts->acc > x->ts->acc);
					if (!swap)
						break;
					rep_quant_row tmp = *x;
					*x = *y;
					*y = tmp;
				}
		}
	}
	a->n_quant = n;
	return 0;
}

/* ---------------------------------------------------------------- cost */

static void build_cost(const rep_set *s, const rep_opts *o, rep_analysis *a)
{
	for (size_t t = 0; t < s->n_targets; t++) {
		const rep_target *tg = &s->targets[t];
		rep_cost_row *c = &a->cost[a->n_cost++];
		double lat_ms = 0, cost = 0;
		int64_t tok = 0, tin = 0, tout = 0;
		int cost_known = 0;
		c->target = t;
		c->in_mtok = c->out_mtok = c->blended_mtok = c->tok_per_s = NAN;
		c->usd_per_month_fixed = c->capacity_mtok_month = c->monthly_usd = c->run_usd = NAN;
		for (size_t i = 0; i < s->n_ts; i++) {
			const rep_ts *ts = &s->ts[i];
			if (ts->target != t)
				continue;
			lat_ms += ts->lat_ms_sum;
			tok += ts->lat_tokens;
			tin += ts->tin;
			tout += ts->tout;
			if (!isnan(ts->run_usd)) {
				cost += ts->run_usd;
				cost_known = 1;
			}
		}
		if (cost_known)
			c->run_usd = cost;
		if (tg->selfhost) {
			/* Throughput at the run's concurrency: the in-flight limit kept full, each request
			 * moving its tokens in its measured latency. */
			if (lat_ms > 0 && tok > 0)
				c->tok_per_s = tg->concurrency * (double)tok / (lat_ms / 1e3);
			if (tg->usd_per_hour > 0) {
				c->usd_per_month_fixed = tg->usd_per_hour * REP_HOURS_PER_MONTH;
				if (c->tok_per_s > 0) {
					c->blended_mtok = tg->usd_per_hour / (c->tok_per_s * 3600.0) * 1e6;
					c->capacity_mtok_month = c->tok_per_s * 3600.0 * REP_HOURS_PER_MONTH / 1e6;
					c->monthly_usd = ceil(o->volume_mtok_month / c->capacity_mtok_month) *
						c->usd_per_month_fixed;
				}
			}
		} else if (tg->has_prices) {
			c->in_mtok = tg->price_in;
			c->out_mtok = tg->price_out;
			c->blended_mtok = rep_blended_usd_per_mtok(tg->price_in, tg->price_out, o->blend_in,
				o->blend_out);
			c->monthly_usd = c->blended_mtok * o->volume_mtok_month;
		} else if (cost_known && tin + tout > 0) {
			/* No price list: what the provider charged per token at the run's own mix. */
			c->blended_mtok = cost / (double)(tin + tout) * 1e6;
			c->monthly_usd = c->blended_mtok * o->volume_mtok_month;
		}
	}
	for (size_t i = 0; i < a->n_cost; i++)
		for (size_t j = 0; j < a->n_cost; j++) {
			const rep_cost_row *x = &a->cost[i], *y = &a->cost[j];
			a->break_even[i * a->n_cost + j] = s->targets[x->target].selfhost &&
				!s->targets[y->target].selfhost ? rep_break_even_mtok_month(x->usd_per_month_fixed,
				x->capacity_mtok_month, y->blended_mtok) : NAN;
		}
}

int rep_analysis_build(const rep_set *s, const rep_opts *o, rep_analysis *a, char *err,
	size_t errlen)
{
	int rc = REP_ENOMEM;
	memset(a, 0, sizeof *a);
	if (!(a->suites = calloc(s->n_ts + 1, sizeof *a->suites)) ||
	    !(a->weights = calloc(s->n_ts + 1, sizeof *a->weights)) ||
	    !(a->cost = calloc(s->n_targets + 1, sizeof *a->cost)) ||
	    !(a->break_even = calloc(s->n_targets * s->n_targets + 1, sizeof *a->break_even)))
		goto fail;
	for (size_t i = 0; i < s->n_ts; i++) {
		size_t k;
		int closed;
		if (rep_load_level(s->ts[i].suite, &closed) >= 0)
			continue;   /* a load level: its own table (reports/serving.c), no tier or score */
		for (k = 0; k < a->n_suites; k++)
			if (strcmp(a->suites[k], s->ts[i].suite) == 0)
				break;
		if (k == a->n_suites) {
			a->suites[k] = s->ts[i].suite;
			a->weights[k] = 1;
			/* the spec's weight, from the first run that gives one */
			for (size_t r = 0; r < s->n_runs; r++) {
				cJSON *w = s->runs[r].weights_json ? cJSON_Parse(s->runs[r].weights_json) : NULL;
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(w, a->suites[k]);
				int found = cJSON_IsNumber(v);
				if (found)
					a->weights[k] = v->valuedouble;
				cJSON_Delete(w);
				if (found)
					break;
			}
			a->n_suites++;
		}
	}
	if (o->weights && (rc = parse_weights(a, o->weights, err, errlen)))
		goto fail;
	if (o->verdict_base) {
		size_t t = 0;
		while (t < s->n_targets && (s->targets[t].price_only ||
		       strcmp(s->targets[t].id, o->verdict_base) != 0))
			t++;
		if (t == s->n_targets) {
			snprintf(err, errlen, "verdicts: no target \"%s\" with results in these runs", o->verdict_base);
			rc = REP_EINVAL;
			goto fail;
		}
	}
	rc = REP_ENOMEM;
	if (build_tiers(s, o, a) || build_quant(s, o, a) || rep_quality_analyse(s, o, a) ||
	    rep_sweep_build(s, o, &a->sweep, &a->n_sweep) || rep_load_build(s, &a->load, &a->n_load))
		goto fail;
	build_cost(s, o, a);
	return 0;
fail:
	if (rc == REP_ENOMEM)
		snprintf(err, errlen, "out of memory");
	rep_analysis_release(a);
	return rc;
}

void rep_analysis_release(rep_analysis *a)
{
	if (!a)
		return;
	if (a->tiers)
		for (size_t k = 0; k <= a->n_suites; k++)
			free(a->tiers[k].rows);
	free(a->tiers);
	free(a->suites);
	free(a->weights);
	free(a->quant);
	free(a->cost);
	free(a->break_even);
	free(a->quality);
	free(a->has_quality);
	rep_sweep_release(a->sweep, a->n_sweep);
	free(a->load);
	memset(a, 0, sizeof *a);
}
