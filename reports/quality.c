/* reports/quality.c — perplexity and divergence from the log-probabilities a scoring suite
 * (quality) stored per window: perplexity over every scored token, and against a baseline
 * target's windows KL divergence over the baseline's stored top next tokens (each looked up
 * among the model's stored entries, the rest of the vocabulary one bucket), same-top-token rate with its Wilson interval, RMS change of the text token's
 * probability, and the perplexity ratio with a paired bootstrap over windows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report_impl.h"

const char *rep_quality_verdict(double ppl_ratio, double kld_mean)
{
	if (ppl_ratio < 1.01 && kld_mean < 0.01)
		return "same as base";
	if (ppl_ratio < 1.05 && kld_mean < 0.05)
		return "small loss";
	if (ppl_ratio < 1.15 && kld_mean < 0.2)
		return "clear loss";
	return "large loss";
}

const char *rep_quality_suite(const rep_set *s)
{
	for (size_t i = 0; i < s->n_ts; i++)
		if (s->ts[i].has_lp)
			return s->ts[i].suite;
	return NULL;
}

static const rep_ts *lp_ts(const rep_set *s, size_t t, const char *suite)
{
	const rep_ts *x = suite ? rep_set_find_ts(s, t, suite) : NULL;
	return x && x->has_lp ? x : NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The candidate's log-probability of token id at position j of item c: its stored entry, else
 * (not among its stored top entries) its smallest stored one, an upper bound. */
static double cand_lp(const rep_item *c, size_t j, int32_t id)
{
	const int32_t *ids = c->top_id + j * (size_t)c->top_k;
	const float *lps = c->top_lp + j * (size_t)c->top_k;
	double low = 0;
	for (int k = 0; k < c->top_k; k++) {
		if (ids[k] == id && isfinite(lps[k]))
			return lps[k];
		if (ids[k] >= 0 && isfinite(lps[k]) && lps[k] < low)
			low = lps[k];
	}
	return low;
}

int rep_quality_compute(const rep_set *s, size_t t, const rep_set *bs, size_t bt,
	const char *suite, int n_boot, uint64_t seed, rep_quality *out, char *err, size_t errlen)
{
	const rep_ts *x, *b = NULL;
	double nll = 0, nll2 = 0, dp2 = 0, ksum = 0;
	double *klds = NULL, *wx = NULL, *wb = NULL;
	size_t n = 0, n_kl = 0, cap_kl = 0, n_w = 0, n_pair = 0;
	int rc = REP_EINVAL;

	memset(out, 0, sizeof *out);
	out->ratio = out->ratio_lo = out->ratio_hi = out->ratio_p = NAN;
	out->same_lo = out->same_hi = NAN;
	if (!suite)
		suite = rep_quality_suite(s);
	if (!(x = lp_ts(s, t, suite))) {
		snprintf(err, errlen, "target %s has no stored log-probabilities%s%s", t < s->n_targets ?
			s->targets[t].id : "?", suite ? " in suite " : "", suite ? suite : "");
		return REP_EINVAL;
	}
	if (bs && !(bs == s && bt == t) && !(b = lp_ts(bs, bt, suite))) {
		snprintf(err, errlen, "baseline %s has no stored log-probabilities in suite %s",
			bt < bs->n_targets ? bs->targets[bt].id : "?", suite);
		return REP_EINVAL;
	}
	/* perplexity over every window, in item order, position by position */
	for (size_t i = 0; i < x->n_items; i++) {
		const rep_item *it = &x->items[i];
		for (size_t j = 0; j < it->n_lp; j++) {
			nll -= it->lp[j];
			nll2 += (double)it->lp[j] * it->lp[j];
		}
		n += it->n_lp;
		n_w += it->n_lp > 0;
	}
	if (!n) {
		snprintf(err, errlen, "target %s: no scored tokens", s->targets[t].id);
		return REP_EINVAL;
	}
	out->n_tokens = (long)n;
	out->n_windows = (long)n_w;
	{
		double mean = nll / (double)n, var = nll2 / (double)n - mean * mean;
		out->ppl = exp(mean);
		out->ppl_err = n > 1 && var > 0 ? out->ppl * sqrt(var / (double)(n - 1)) : 0;
	}
	if (!b)
		return 0;
	/* against the baseline, on the windows both scored (items sorted by id in both) */
	if (!(wx = malloc(sizeof *wx * (x->n_items + 1))) || !(wb = malloc(sizeof *wb * (x->n_items + 1))))
		goto nomem;
	for (size_t i = 0, k = 0; i < x->n_items && k < b->n_items;) {
		const rep_item *c = &x->items[i], *p = &b->items[k];
		int cmp = strcmp(c->id, p->id);
		double sx = 0, sb = 0;
		if (cmp) {
			if (cmp < 0)
				i++;
			else
				k++;
			continue;
		}
		i++, k++;
		if (!c->n_lp || !p->n_lp)
			continue;
		if (c->n_lp != p->n_lp) {
			snprintf(err, errlen, "window %s: %zu scored tokens against the baseline's %zu (another "
				"text, window or tokenizer)", c->id, c->n_lp, p->n_lp);
			goto fail;
		}
		if (n_kl + c->n_lp > cap_kl) {
			size_t nc = (cap_kl ? cap_kl * 2 : 1024) + c->n_lp;
			double *nk = realloc(klds, nc * sizeof *nk);
			if (!nk)
				goto nomem;
			klds = nk;
			cap_kl = nc;
		}
		for (size_t j = 0; j < c->n_lp; j++) {
			/* every entry the baseline stored (the quality suite asks 8 x its top_k) */
			const int32_t *pid = p->top_id + j * (size_t)p->top_k;
			const float *plp = p->top_lp + j * (size_t)p->top_k;
			double p_in = 0, q_in = 0, kl = 0, p_rest, q_rest, dp;
			for (int m = 0; m < p->top_k; m++) {
				double pp, q, lq;
				if (pid[m] < 0 || !isfinite(plp[m]))
					continue;
				lq = cand_lp(c, j, pid[m]);
				pp = exp((double)plp[m]);
				q = exp(lq);
				p_in += pp;
				q_in += q;
				kl += pp * ((double)plp[m] - lq);
			}
			p_rest = 1.0 - p_in;
			q_rest = 1.0 - q_in;
			if (p_rest > 1e-12 && q_rest > 1e-12)
				kl += p_rest * log(p_rest / q_rest);
			klds[n_kl++] = kl > 0 ? kl : 0;
			out->n_same += c->top_id[j * (size_t)c->top_k] == pid[0];
			dp = exp((double)c->lp[j]) - exp((double)p->lp[j]);
			dp2 += dp * dp;
			sx -= c->lp[j];
			sb -= p->lp[j];
		}
		wx[n_pair] = sx / (double)c->n_lp;
		wb[n_pair] = sb / (double)c->n_lp;
		n_pair++;
	}
	if (!n_kl) {
		snprintf(err, errlen, "target %s shares no scored window with its baseline %s",
			s->targets[t].id, bs->targets[bt].id);
		goto fail;
	}
	for (size_t i = 0; i < n_kl; i++)
		ksum += klds[i];
	qsort(klds, n_kl, sizeof *klds, cmp_double);
	out->has_baseline = 1;
	out->kld_mean = ksum / (double)n_kl;
	out->kld_median = klds[n_kl / 2];
	out->kld_p99 = klds[(size_t)((double)(n_kl - 1) * 0.99)];
	out->same_top = (double)out->n_same / (double)n_kl;
	rep_wilson95(out->n_same, (long)n_kl, &out->same_lo, &out->same_hi);
	out->rms_dp = sqrt(dp2 / (double)n_kl);
	{
		double lo, hi, p, d = rep_paired_bootstrap(wb, wx, n_pair, n_boot > 0 ? n_boot : 2000,
			seed ? seed : 1, 0.05, &lo, &hi, &p);
		out->ratio = exp(d);
		out->ratio_lo = exp(lo);
		out->ratio_hi = exp(hi);
		out->ratio_p = p;
	}
	rc = 0;
	goto fail;
nomem:
	snprintf(err, errlen, "out of memory");
	rc = REP_ENOMEM;
fail:
	free(klds);
	free(wx);
	free(wb);
	return rc;
}

size_t rep_quality_baseline(const rep_set *s, const rep_opts *o, const char *suite, size_t t)
{
	size_t best = (size_t)-1, any = (size_t)-1;
	if (o && o->verdict_base)
		for (size_t i = 0; i < s->n_targets; i++)
			if (strcmp(s->targets[i].id, o->verdict_base) == 0 && lp_ts(s, i, suite))
				return i;
	for (size_t i = 0; i < s->n_targets; i++) {
		const rep_target *c = &s->targets[i];
		if (!lp_ts(s, i, suite))
			continue;
		if (any == (size_t)-1)
			any = i;
		if (s->targets[t].base && c->base && strcmp(s->targets[t].base, c->base) == 0 &&
		    (best == (size_t)-1 || c->bpw > s->targets[best].bpw))
			best = i;
	}
	return best != (size_t)-1 ? best : any;
}

int rep_quality_analyse(const rep_set *s, const rep_opts *o, rep_analysis *a)
{
	const char *suite = rep_quality_suite(s);
	char err[256];
	a->quality_suite = suite;
	if (!suite)
		return 0;
	if (!(a->quality = calloc(s->n_targets + 1, sizeof *a->quality)) ||
	    !(a->has_quality = calloc(s->n_targets + 1, sizeof *a->has_quality)))
		return REP_ENOMEM;
	for (size_t t = 0; t < s->n_targets; t++) {
		size_t b = rep_quality_baseline(s, o, suite, t);
		int rc;
		if (!lp_ts(s, t, suite))
			continue;
		rc = rep_quality_compute(s, t, s, b == (size_t)-1 ? t : b, suite, o ? o->n_boot : 2000,
			o ? o->seed : 1, &a->quality[t], err, sizeof err);
		if (rc == REP_EINVAL)   /* no shared windows with the baseline: perplexity alone */
			rc = rep_quality_compute(s, t, NULL, 0, suite, 0, 0, &a->quality[t], err, sizeof err);
		if (rc == REP_ENOMEM)
			return rc;
		if (rc == 0) {
			a->has_quality[t] = 1;
			a->n_quality++;
		}
	}
	return 0;
}
