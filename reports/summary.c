/* reports/summary.c — the short summary `tierbench run` prints when a run ends, from the same
 * loaded store and the same statistics as the reports: one line per target x suite x metric with
 * the metric's mean and 95 % interval (Wilson for pass/fail values, mean ± 1.96 s/√n
 * otherwise), the scored and failed samples, and pass@k of a coding suite. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reports/report_impl.h"

/* The 95 % interval of metric m of t, as the results table gives the primary one. */
static void metric_ci(const rep_ts *t, int m, double *lo, double *hi)
{
	double n = (double)t->metric_n[m], mean, var, half;
	if (!t->metric_nonbinary[m]) {
		rep_wilson95(t->metric_correct[m], t->metric_n[m], lo, hi);
		return;
	}
	mean = t->metric_sum[m] / n;
	var = n > 1 ? (t->metric_sumsq[m] - n * mean * mean) / (n - 1) : 0;
	half = 1.959964 * sqrt(var > 0 ? var / n : 0);
	*lo = mean - half;
	*hi = mean + half;
}

int rep_write_summary(FILE *f, const rep_set *s, char *err, size_t errlen)
{
	for (size_t i = 0; i < s->n_ts; i++) {
		const rep_ts *t = &s->ts[i];
		const char *target = s->targets[t->target].label;
		for (int m = 0; m < (t->n_metrics ? t->n_metrics : 1); m++) {
			const char *name = t->n_metrics ? t->metric[m] : "-";
			double lo, hi;
			if (!t->n || !t->n_metrics || !t->metric_n[m]) {
				fprintf(f, "  %-28s %-10s %-10s n=%ld, no scored samples, errors=%ld\n", target,
					t->suite, name, t->n, t->n_errors);
				continue;
			}
			metric_ci(t, m, &lo, &hi);
			fprintf(f, "  %-28s %-10s %-10s %5.1f %% [%.1f, %.1f]  n=%ld  errors=%ld", target,
				t->suite, name, 100 * t->metric_sum[m] / (double)t->metric_n[m], 100 * lo,
				100 * hi, t->n, t->n_errors);
			for (int k = 0; k < REP_N_PASS_K; k++)   /* coding suites: pass@k for k <= n */
				if (strcmp(name, "pass") == 0 && !isnan(t->pass_at[k]))
					fprintf(f, "  pass@%ld %.1f %%", REP_PASS_K(k), 100 * t->pass_at[k]);
			fputc('\n', f);
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "write error");
		return REP_EIO;
	}
	return 0;
}
