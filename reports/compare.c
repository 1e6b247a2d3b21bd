/* reports/compare.c — `tierbench compare`: a candidate run against a base run, item by item.
 * Per matched target and shared suite: accuracies, the paired test (exact McNemar for pass/fail,
 * paired bootstrap otherwise), the items that flipped, the deltas of every other metric (the
 * quality suite's perplexity and KL among them), and a regression verdict for CI gates. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reports/report_impl.h"

void rep_compare_opts_default(rep_compare_opts *o)
{
	memset(o, 0, sizeof *o);
	o->alpha = 0.05;
	o->n_boot = 2000;
	o->seed = 1;
	o->max_flipped = 20;
}

static double metric_mean(const rep_ts *t, const char *name)
{
	for (int k = 0; k < t->n_metrics; k++)
		if (strcmp(t->metric[k], name) == 0)
			return t->metric_n[k] ? t->metric_sum[k] / (double)t->metric_n[k] : NAN;
	return NAN;
}

static void flipped(FILE *f, const rep_ts *x, const rep_ts *y, int lost, int max)
{
	size_t i = 0, j = 0;
	int shown = 0, total = 0;
	while (i < x->n_items && j < y->n_items) {
		int c = strcmp(x->items[i].id, y->items[j].id);
		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {
			double a = x->items[i].score, b = y->items[j].score;
			if (lost ? (a >= 0.5 && b < 0.5) : (a < 0.5 && b >= 0.5)) {
				if (shown < max) {
					fprintf(f, "%s`%s` (%.3g → %.3g)", shown ? ", " : "", x->items[i].id, a, b);
					shown++;
				}
				total++;
			}
			i++, j++;
		}
	}
	if (!total)
		fputs("none", f);
	else if (total > shown)
		fprintf(f, " and %d more", total - shown);
	fputc('\n', f);
}

const char *rep_pair_verdict(const rep_pair *p, double alpha, double max_drop_pct, int *regressed)
{
	int reg = p->diff < 0 && p->p < alpha && -100 * p->diff > max_drop_pct;
	if (strcmp(p->test, "intervals") == 0)
		reg = p->worse && -100 * p->diff > max_drop_pct;
	if (reg) {
		*regressed = 1;
		return "regression";
	}
	return p->diff < 0 && p->p < alpha ? "worse, within the allowed drop" :
		p->diff > 0 && p->p < alpha ? "better" : "no significant change";
}

/* Perplexity and divergence of the candidate against the base from their stored
 * log-probabilities (reports/quality.c), as lines of the suite's section. */
static void quality_lines(FILE *f, const rep_set *bs, size_t bt, const rep_set *cs, size_t ct,
	const char *suite, const rep_compare_opts *o)
{
	rep_quality b, c;
	char err[256];
	if (rep_quality_compute(bs, bt, NULL, 0, suite, 0, 0, &b, err, sizeof err) ||
	    rep_quality_compute(cs, ct, bs, bt, suite, o->n_boot, o->seed, &c, err, sizeof err)) {
		fprintf(f, "- perplexity / KL divergence: not comparable: %s\n", err);
		return;
	}
	fprintf(f, "- perplexity: %.4f ± %.4f → %.4f ± %.4f; ratio on the %ld shared windows %.4f "
		"(95 %% CI %.4f–%.4f, p = %.4g, paired bootstrap over windows)%s\n", b.ppl, b.ppl_err,
		c.ppl, c.ppl_err, c.n_windows, c.ratio, c.ratio_lo, c.ratio_hi, c.ratio_p,
		c.ratio_p < o->alpha ? (c.ratio > 1 ? ": significantly worse" : ": significantly better") :
		": no significant change");
	fprintf(f, "- KL divergence from the base (nats, over the base's top tokens): mean %.6f, median "
		"%.6f, p99 %.6f\n", c.kld_mean, c.kld_median, c.kld_p99);
	fprintf(f, "- same top token: %.2f %% of %ld tokens (95 %% CI %.2f–%.2f %%); RMS Δp %.3f %%; "
		"%s\n", 100 * c.same_top, c.n_tokens, 100 * c.same_lo, 100 * c.same_hi, 100 * c.rms_dp,
		rep_quality_verdict(c.ratio, c.kld_mean));
}

/* Compares one matched pair of targets; returns the number of suites compared. */
static int compare_target(FILE *f, const rep_set *bs, size_t bt, const rep_set *cs, size_t ct,
	const rep_compare_opts *o, int *regressed)
{
	int n = 0;
	fprintf(f, "## %s → %s\n\n", bs->targets[bt].label, cs->targets[ct].label);
	fputs("| suite | shared items | base % | candidate % | Δ pts | 95 % CI of Δ | p | test | "
	      "lost | gained | verdict |\n|---|---:|---:|---:|---:|---|---:|---|---:|---:|---|\n", f);
	for (size_t i = 0; i < bs->n_ts; i++) {
		const rep_ts *x = &bs->ts[i], *y;
		rep_pair p;
		int reg = 0;
		const char *verdict;
		char lo[32], hi[32];
		if (x->target != bt || (o->suite && strcmp(o->suite, x->suite) != 0) ||
		    !(y = rep_set_find_ts(cs, ct, x->suite)))
			continue;
		rep_pair_test(x, y, o->n_boot, o->seed, o->alpha, &p);
		verdict = rep_pair_verdict(&p, o->alpha, o->max_drop_pct, &reg);
		*regressed |= reg;
		fprintf(f, "| %s | %zu | %.1f | %.1f | %+.1f | %s–%s | ", x->suite, p.n_shared, 100 * x->acc,
			100 * y->acc, 100 * p.diff, rep_fmt(lo, sizeof lo, 100 * p.lo, 1),
			rep_fmt(hi, sizeof hi, 100 * p.hi, 1));
		if (isnan(p.p))
			fputs("–", f);
		else
			fprintf(f, "%.4g", p.p);
		fprintf(f, " | %s | %ld | %ld | %s%s%s |\n", p.test, p.b, p.c, reg ? "**" : "", verdict,
			reg ? "**" : "");
		n++;
	}
	fputc('\n', f);
	for (size_t i = 0; i < bs->n_ts; i++) {
		const rep_ts *x = &bs->ts[i], *y;
		if (x->target != bt || (o->suite && strcmp(o->suite, x->suite) != 0) ||
		    !(y = rep_set_find_ts(cs, ct, x->suite)))
			continue;
		fprintf(f, "### %s\n\n- lost (passed in base, failed in candidate): ", x->suite);
		flipped(f, x, y, 1, o->max_flipped);
		fputs("- gained: ", f);
		flipped(f, x, y, 0, o->max_flipped);
		for (int k = 0; k < x->n_metrics; k++) {
			double a = metric_mean(x, x->metric[k]), b = metric_mean(y, x->metric[k]);
			if (!isnan(b))
				fprintf(f, "- %s: %.6g → %.6g (Δ %+.6g)\n", x->metric[k], a, b, b - a);
		}
		if (x->has_lp && y->has_lp)
			quality_lines(f, bs, bt, cs, ct, x->suite, o);
		fputc('\n', f);
	}
	return n;
}

int rep_compare_targets(FILE *f, const rep_set *s, const char *base_id, const char *cand_id,
	const rep_compare_opts *o, int *regressed, char *err, size_t errlen)
{
	rep_compare_opts def;
	size_t bt = s->n_targets, ct = s->n_targets;
	if (!o) {
		rep_compare_opts_default(&def);
		o = &def;
	}
	*regressed = 0;
	for (size_t t = 0; t < s->n_targets; t++) {
		if (strcmp(s->targets[t].id, base_id) == 0)
			bt = t;
		if (strcmp(s->targets[t].id, cand_id) == 0)
			ct = t;
	}
	if (bt == s->n_targets || ct == s->n_targets) {
		snprintf(err, errlen, "no target \"%s\" in the run", bt == s->n_targets ? base_id : cand_id);
		return REP_EINVAL;
	}
	if (!compare_target(f, s, bt, s, ct, o, regressed)) {
		snprintf(err, errlen, "nothing to compare: targets %s and %s share no suite with results",
			base_id, cand_id);
		return REP_EINVAL;
	}
	fprintf(f, "Verdict for %s: %s\n\n", cand_id, *regressed ? "REGRESSION" : "no significant regression");
	if (ferror(f)) {
		snprintf(err, errlen, "write error");
		return REP_EIO;
	}
	return 0;
}

int rep_compare(FILE *f, const rep_set *base, const rep_set *cand, const rep_compare_opts *o,
	int *regressed, char *err, size_t errlen)
{
	rep_compare_opts def;
	int n = 0, matched = 0;
	if (!o) {
		rep_compare_opts_default(&def);
		o = &def;
	}
	*regressed = 0;
	fprintf(f, "# tierbench compare\n\n- base: %s\n- candidate: %s\n- rule: regression when the "
		"candidate is significantly worse (p < %g) by more than %g percentage points\n\n",
		base->n_runs ? base->runs[0].label : "?", cand->n_runs ? cand->runs[0].label : "?",
		o->alpha, o->max_drop_pct);
	for (size_t bt = 0; bt < base->n_targets; bt++)
		for (size_t ct = 0; ct < cand->n_targets; ct++)
			if (strcmp(base->targets[bt].id, cand->targets[ct].id) == 0) {
				n += compare_target(f, base, bt, cand, ct, o, regressed);
				matched++;
			}
	if (!matched && base->n_targets == 1 && cand->n_targets == 1)
		n += compare_target(f, base, 0, cand, 0, o, regressed);
	if (!n) {
		snprintf(err, errlen, "nothing to compare: no target%s%s%s with results in both runs",
			o->suite ? " and suite \"" : "", o->suite ? o->suite : "", o->suite ? "\"" : "");
		return REP_EINVAL;
	}
	fprintf(f, "Verdict: %s\n", *regressed ? "REGRESSION (exit code 3)" : "no significant regression");
	if (ferror(f)) {
		snprintf(err, errlen, "write error");
		return REP_EIO;
	}
	return 0;
}
