/* harness/metrics.c — the statistics every report uses: Wilson 95 % intervals for accuracy, the
 * unbiased pass@k estimator, percentiles with linear interpolation, token and cost sums. */
#include <math.h>
#include <stdlib.h>

#include "harness/harness.h"

void hx_wilson95(long k, long n, double *lo, double *hi)
{
	const double z = 1.959964;
	double p, den, centre, half;
	if (n <= 0) {
		*lo = 0;
		*hi = 1;
		return;
	}
	p = (double)k / (double)n;
	den = 1 + z * z / n;
	centre = (p + z * z / (2.0 * n)) / den;
	half = z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / den;
	*lo = centre - half < 0 ? 0 : centre - half;
	*hi = centre + half > 1 ? 1 : centre + half;
}

double hx_pass_at_k(long n, long c, long k)
{
	return rep_pass_at_k(n, c, k);   /* one estimator for the run summary and the reports */
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double hx_percentile(double *v, size_t n, double p)
{
	double rank, frac;
	size_t lo;
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof *v, cmp_double);
	if (p <= 0)
		return v[0];
	if (p >= 100)
		return v[n - 1];
	rank = p / 100.0 * (double)(n - 1);
	lo = (size_t)rank;
	frac = rank - (double)lo;
	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + frac * (v[lo + 1] - v[lo]);
}

void hx_sums_add(hx_sums *s, int64_t in, int64_t out, int64_t reasoning, int64_t cached,
	double cost_usd)
{
	s->n++;
	s->n_tokens_in += in;
	s->n_tokens_out += out;
	s->n_tokens_reasoning += reasoning;
	s->n_tokens_cached += cached;
	s->cost_usd += cost_usd;
}

double hx_cost_usd(int64_t n_tokens_in, int64_t n_tokens_out, double in_per_mtok,
	double out_per_mtok)
{
	return (double)n_tokens_in * in_per_mtok / 1e6 + (double)n_tokens_out * out_per_mtok / 1e6;
}
