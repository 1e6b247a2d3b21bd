/* tests/harness/test_metrics.c — Wilson intervals, unbiased pass@k, percentiles and cost sums,
 * each against values computed by hand (the arithmetic is in the comments). */
#include <math.h>

#include "test.h"
#include "harness/harness.h"

static void test_wilson_matches_hand_computed_intervals(void)
{
	double lo, hi;
	/* k = 0, n = 10, z = 1.959964, z^2 = 3.841459: centre = (0 + 0.192073) / 1.384146 = 0.138767,
	 * half = z * sqrt(0 + 3.841459 / 400) / 1.384146 = 1.959964 * 0.0979982 / 1.384146 = 0.138767 */
	hx_wilson95(0, 10, &lo, &hi);
	TB_CHECK_NEAR(lo, 0.0, 1e-9);
	TB_CHECK_NEAR(hi, 0.277533, 1e-5);
	/* k = n = 10: the mirror image */
	hx_wilson95(10, 10, &lo, &hi);
	TB_CHECK_NEAR(lo, 0.722467, 1e-5);
	TB_CHECK_NEAR(hi, 1.0, 1e-9);
	/* k = 5, n = 10: centre 0.5; half = 1.959964 * sqrt(0.025 + 0.00960365) / 1.384146
	 * = 1.959964 * 0.186021 / 1.384146 = 0.263413 */
	hx_wilson95(5, 10, &lo, &hi);
	TB_CHECK_NEAR(lo, 0.236587, 1e-5);
	TB_CHECK_NEAR(hi, 0.763413, 1e-5);
	/* k = 81, n = 100: den = 1.03841459, centre = (0.81 + 0.01920729) / 1.03841459 = 0.798536,
	 * half = 1.959964 * sqrt(0.001539 + 0.0000960365) / 1.03841459 = 0.076297 */
	hx_wilson95(81, 100, &lo, &hi);
	TB_CHECK_NEAR(lo, 0.722239, 1e-4);
	TB_CHECK_NEAR(hi, 0.874833, 1e-4);
	hx_wilson95(0, 0, &lo, &hi);
	TB_CHECK(lo == 0 && hi == 1);
}

static void test_pass_at_k_is_the_unbiased_estimator(void)
{
	/* n = 10, c = 3, k = 1: 1 - C(7,1)/C(10,1) = 1 - 7/10 = 0.3 */
	TB_CHECK_NEAR(hx_pass_at_k(10, 3, 1), 0.3, 1e-12);
	/* k = 5: 1 - C(7,5)/C(10,5) = 1 - 21/252 = 0.916667 */
	TB_CHECK_NEAR(hx_pass_at_k(10, 3, 5), 1.0 - 21.0 / 252.0, 1e-12);
	/* n = 200, c = 10, k = 10: 1 - C(190,10)/C(200,10); product of (1 - 10/i), i = 191..200 */
	{
		double p = 1;
		for (int i = 191; i <= 200; i++)
			p *= 1.0 - 10.0 / i;
		TB_CHECK_NEAR(hx_pass_at_k(200, 10, 10), 1 - p, 1e-12);
		TB_CHECK(hx_pass_at_k(200, 10, 10) > 0.40 && hx_pass_at_k(200, 10, 10) < 0.42);
	}
	TB_CHECK_NEAR(hx_pass_at_k(5, 0, 1), 0.0, 1e-12);
	TB_CHECK_NEAR(hx_pass_at_k(5, 5, 1), 1.0, 1e-12);
	TB_CHECK_NEAR(hx_pass_at_k(10, 8, 3), 1.0, 1e-12);   /* n - c = 2 < k = 3 */
	TB_CHECK(isnan(hx_pass_at_k(5, 1, 6)));
	TB_CHECK(isnan(hx_pass_at_k(5, 1, 0)));
}

static void test_percentiles_interpolate_linearly(void)
{
	double v[] = { 40, 10, 30, 20 };   /* sorted: 10 20 30 40 */
	double one[] = { 7 };
	/* p50: rank 0.5 * 3 = 1.5 -> 20 + 0.5 * 10 = 25; p90: rank 2.7 -> 30 + 0.7 * 10 = 37 */
	TB_CHECK_NEAR(hx_percentile(v, 4, 50), 25, 1e-12);
	TB_CHECK_NEAR(hx_percentile(v, 4, 90), 37, 1e-12);
	TB_CHECK_NEAR(hx_percentile(v, 4, 99), 39.7, 1e-9);  /* rank 2.97 */
	TB_CHECK_NEAR(hx_percentile(v, 4, 0), 10, 1e-12);
	TB_CHECK_NEAR(hx_percentile(v, 4, 100), 40, 1e-12);
	TB_CHECK_NEAR(hx_percentile(one, 1, 90), 7, 1e-12);
	TB_CHECK(isnan(hx_percentile(v, 0, 50)));
}

static void test_cost_and_sums_add_up(void)
{
	hx_sums s = { 0 };
	/* 1200 in at $3/M = 0.0036; 800 out at $15/M = 0.012 */
	TB_CHECK_NEAR(hx_cost_usd(1200, 800, 3, 15), 0.0156, 1e-12);
	TB_CHECK_NEAR(hx_cost_usd(0, 0, 3, 15), 0, 1e-15);
	hx_sums_add(&s, 100, 50, 10, 5, 0.25);
	hx_sums_add(&s, 200, 70, 0, 0, 0.5);
	TB_CHECK_INT(s.n, 2);
	TB_CHECK_INT(s.n_tokens_in, 300);
	TB_CHECK_INT(s.n_tokens_out, 120);
	TB_CHECK_INT(s.n_tokens_reasoning, 10);
	TB_CHECK_INT(s.n_tokens_cached, 5);
	TB_CHECK_NEAR(s.cost_usd, 0.75, 1e-12);
}

int main(void)
{
	TB_RUN(test_wilson_matches_hand_computed_intervals);
	TB_RUN(test_pass_at_k_is_the_unbiased_estimator);
	TB_RUN(test_percentiles_interpolate_linearly);
	TB_RUN(test_cost_and_sums_add_up);
	return tb_test_end();
}
