/* reports/stats.c — the statistics behind every verdict a report makes: Wilson intervals,
 * the exact McNemar test for paired pass/fail items, a seeded paired bootstrap for continuous
 * scores, percentiles, the tier rule and the cost arithmetic. Pure functions; no I/O. */
#include <math.h>
#include <stdlib.h>

#include "reports/report.h"
#include "reports/report_impl.h"

void rep_wilson95(long k, long n, double *lo, double *hi)
{
	const double z = 1.959964, z2 = z * z;
	double nn = (double)n, p, mid, rad, den;
	if (n <= 0) {
		*lo = 0;
		*hi = 1;
		return;
	}
	p = (double)k / nn;
	den = 1.0 + z2 / nn;
	mid = (p + z2 / (2.0 * nn)) / den;
	rad = z / den * sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn));
	*lo = fmax(0.0, mid - rad);
	*hi = fmin(1.0, mid + rad);
}

double rep_pass_at_k(long n, long c, long k)
{
	double prod = 1;
	if (k < 1 || k > n || c < 0 || c > n)
		return NAN;
	if (n - c < k)
		return 1;
	/* C(n-c, k) / C(n, k) = prod_{i = n-c+1}^{n} (1 - k / i), with no large factorials. */
	for (long i = n - c + 1; i <= n; i++)
		prod *= 1.0 - (double)k / (double)i;
	return 1.0 - prod;
}

double rep_mcnemar_exact(long b, long c)
{
	long n = b + c, k = b < c ? b : c;
	double tail = 0;
	if (n <= 0)
		return 1.0;
	/* P(X <= k) for X ~ Binomial(n, 1/2), summed in log space so n in the thousands is fine. */
	for (long i = 0; i <= k; i++)
		tail += exp(lgamma((double)n + 1) - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) -
			    (double)n * log(2.0));
	tail *= 2.0;
	return tail > 1.0 ? 1.0 : tail;
}

/* splitmix64: small, seedable, the same sequence on every platform. */
uint64_t rep_rng_next(uint64_t *st)
{
	uint64_t z = (*st += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double rep_quantile(double *v, size_t n, double p)
{
	double r, fr;
	size_t lo;
	if (!n)
		return NAN;
	qsort(v, n, sizeof *v, cmp_dbl);
	if (p <= 0)
		return v[0];
	if (p >= 1)
		return v[n - 1];
	r = p * (double)(n - 1);
	lo = (size_t)r;
	fr = r - (double)lo;
	return lo + 1 < n ? v[lo] + fr * (v[lo + 1] - v[lo]) : v[n - 1];
}

double rep_paired_bootstrap(const double *x, const double *y, size_t n, int n_boot,
	uint64_t seed, double alpha, double *lo, double *hi, double *p)
{
	double obs = 0, *reps;
	long below = 0, above = 0;
	uint64_t st = seed;
	*lo = *hi = NAN;
	*p = NAN;
	if (!n)
		return NAN;
	for (size_t i = 0; i < n; i++)
		obs += y[i] - x[i];
	obs /= (double)n;
	if (n_boot < 1 || !(reps = malloc((size_t)n_boot * sizeof *reps)))
		return obs;
	for (int b = 0; b < n_boot; b++) {
		double s = 0;
		for (size_t i = 0; i < n; i++) {
			size_t j = (size_t)(rep_rng_next(&st) % n);
			s += y[j] - x[j];
		}
		reps[b] = s / (double)n;
		below += reps[b] <= 0;
		above += reps[b] >= 0;
	}
	*p = fmin(1.0, 2.0 * (double)(below < above ? below : above) / n_boot);
	*lo = rep_quantile(reps, (size_t)n_boot, alpha / 2);
	*hi = rep_quantile(reps, (size_t)n_boot, 1 - alpha / 2);
	free(reps);
	return obs;
}

void rep_tiers_assign(size_t k, int (*worse)(size_t i, size_t j, void *ud), void *ud,
	int *tier, size_t *leader)
{
	size_t leaders[5];
	int n_lead = 0;
	for (size_t i = 0; i < k; i++) {
		int t = -1;
		for (int l = 0; l < n_lead; l++)
			if (!worse(i, leaders[l], ud)) {
				t = l;
				break;
			}
		if (t < 0 && n_lead < 5) {
			leaders[n_lead] = i;
			t = n_lead++;
		} else if (t < 0) {
			t = 4;
		}
		tier[i] = t;
		leader[i] = leaders[t];
	}
}

const char *rep_tier_name(int tier)
{
	static const char *const names[] = { "S", "A", "B", "C", "D" };
	return tier >= 0 && tier < 5 ? names[tier] : "–";
}

double rep_selfhost_usd_per_hour(double cost_per_hour, double purchase_usd,
	double amortisation_months, double power_watts, double usd_per_kwh)
{
	double h = 0;
	if (cost_per_hour > 0)
		return cost_per_hour;
	if (purchase_usd > 0 && amortisation_months > 0)
		h += purchase_usd / amortisation_months / REP_HOURS_PER_MONTH;
	if (power_watts > 0 && usd_per_kwh > 0)
		h += power_watts / 1000.0 * usd_per_kwh;
	return h;
}

double rep_blended_usd_per_mtok(double in_per_mtok, double out_per_mtok, double blend_in,
	double blend_out)
{
	double w = blend_in + blend_out;
	if (!(w > 0))
		return NAN;
	return (blend_in * in_per_mtok + blend_out * out_per_mtok) / w;
}

double rep_break_even_mtok_month(double usd_per_month, double capacity_mtok_month,
	double api_usd_per_mtok)
{
	double v;
	if (isnan(usd_per_month) || isnan(capacity_mtok_month) || isnan(api_usd_per_mtok) ||
	    !(usd_per_month > 0) || !(capacity_mtok_month > 0))
		return NAN;
	if (!(api_usd_per_mtok > 0))
		return INFINITY;
	v = usd_per_month / api_usd_per_mtok;
	return v > capacity_mtok_month ? INFINITY : v;
}
