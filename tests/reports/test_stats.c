/* tests/reports/test_stats.c — the one set of statistics reports and the run-end summary use
 * (reports/stats.c): Wilson intervals, unbiased pass@k and percentiles, each against values
 * computed by hand (the arithmetic is in the comments). */
#include <math.h>

#include "test.h"
#include "reports/report.h"
#include "reports/report_impl.h"

static void test_wilson_matches_hand_computed_intervals(void)
{
	double lo, hi;
	/* k = 0, n = 10, z = 1.959964, z^2 = 3.841459: centre = (0 + 0.192073) / 1.384146 = 0.138767,
	 * half = z * sqrt(0 + 3.841459 / 400) / 1.384146 = 1.959964 * 0.0979982 / 1.384146 = 0.138767 */
	rep_wilson95(0, 10, &lo, &hi);
	TB_CHECK_NEAR(lo, 0.0, 1e-9);
	TB_CHECK_NEAR(hi, 0.277533, 1e-5);
	/* k = n = 10: the mirror image */
	rep_wilson95(10, 10, &lo, &hi);
	TB_CHECK_NEAR(lo, 0.722467, 1e-5);
	TB_CHECK_NEAR(hi, 1.0, 1e-9);
	/* k = 5, n = 10: centre 0.5; half = 1.959964 * sqrt(0.025 + 0.00960365) / 1.384146
	 * = 1.959964 * 0.186021 / 1.384146 = 0.263413 */
	rep_wilson95(5, 10, &lo, &hi);
	TB_CHECK_NEAR(lo, 0.236587, 1e-5);
	TB_CHECK_NEAR(hi, 0.763413, 1e-5);
	/* k = 81, n = 100: den = 1.03841459, centre = (0.81 + 0.01920729) / 1.03841459 = 0.798536,
	 * half = 1.959964 * sqrt(0.001539 + 0.0000960365) / 1.03841459 = 0.076297 */
	rep_wilson95(81, 100, &lo, &hi);
	TB_CHECK_NEAR(lo, 0.722239, 1e-4);
	TB_CHECK_NEAR(hi, 0.874833, 1e-4);
	rep_wilson95(0, 0, &lo, &hi);
	TB_CHECK(lo == 0 && hi == 1);
}

static void test_pass_at_k_is_the_unbiased_estimator(void)
{
	/* n = 10, c = 3, k = 1: 1 - C(7,1)/C(10,1) = 1 - 7/10 = 0.3 */
	TB_CHECK_NEAR(rep_pass_at_k(10, 3, 1), 0.3, 1e-12);
	/* k = 5: 1 - C(7,5)/C(10,5) = 1 - 21/252 = 0.916667 */
	TB_CHECK_NEAR(rep_pass_at_k(10, 3, 5), 1.0 - 21.0 / 252.0, 1e-12);
	/* n = 200, c = 10, k = 10: 1 - C(190,10)/C(200,10); product of (1 - 10/i), i = 191..200 */
	{
		double p = 1;
		for (int i = 191; i <= 200; i++)
			p *= 1.0 - 10.0 / i;
		TB_CHECK_NEAR(rep_pass_at_k(200, 10, 10), 1 - p, 1e-12);
		TB_CHECK(rep_pass_at_k(200, 10, 10) > 0.40 && rep_pass_at_k(200, 10, 10) < 0.42);
	}
	TB_CHECK_NEAR(rep_pass_at_k(5, 0, 1), 0.0, 1e-12);
	TB_CHECK_NEAR(rep_pass_at_k(5, 5, 1), 1.0, 1e-12);
	TB_CHECK_NEAR(rep_pass_at_k(10, 8, 3), 1.0, 1e-12);   /* n - c = 2 < k = 3 */
	TB_CHECK(isnan(rep_pass_at_k(5, 1, 6)));
	TB_CHECK(isnan(rep_pass_at_k(5, 1, 0)));
}

static void test_percentiles_interpolate_linearly(void)
{
	double v[] = { 40, 10, 30, 20 };   /* sorted: 10 20 30 40 */
	double one[] = { 7 };
	/* p50: rank 0.5 * 3 = 1.5 -> 20 + 0.5 * 10 = 25; p90: rank 2.7 -> 30 + 0.7 * 10 = 37 */
	TB_CHECK_NEAR(rep_quantile(v, 4, 0.5), 25, 1e-12);
	TB_CHECK_NEAR(rep_quantile(v, 4, 0.9), 37, 1e-12);
	TB_CHECK_NEAR(rep_quantile(v, 4, 0.99), 39.7, 1e-9);  /* rank 2.97 */
	TB_CHECK_NEAR(rep_quantile(v, 4, 0), 10, 1e-12);
	TB_CHECK_NEAR(rep_quantile(v, 4, 1), 40, 1e-12);
	TB_CHECK_NEAR(rep_quantile(one, 1, 0.9), 7, 1e-12);
	TB_CHECK(isnan(rep_quantile(v, 0, 0.5)));
}

int main(void)
{
	TB_RUN(test_wilson_matches_hand_computed_intervals);
	TB_RUN(test_pass_at_k_is_the_unbiased_estimator);
	TB_RUN(test_percentiles_interpolate_linearly);
	return tb_test_end();
}
