/* tests/providers/test_ratelimit.c — the rpm / tpm token bucket on a fake clock: the burst is
 * one second's worth, the pace is the limit, a request larger than the bucket still goes, and
 * corrections from usage move the level both ways. */
#include "test.h"
#include "providers/provider_impl.h"

/* Sends as many unit requests as the bucket allows every ms for dur_ms; returns the count. */
static int drive(prov_bucket *b, double need, double t0, double dur_ms)
{
	int n = 0;
	for (double t = t0; t <= t0 + dur_ms; t += 1)
		while (prov_bucket_ready(b, need, t, NULL)) {
			prov_bucket_take(b, need);
			n++;
		}
	return n;
}

static void test_bucket_allows_one_second_burst_then_the_per_minute_pace(void)
{
	prov_bucket b;
	prov_bucket_init(&b, 600, 0);           /* 10 a second, burst 10 */
	TB_CHECK_INT(drive(&b, 1, 0, 0), 10);
	/* Over the next 60 s: 600 more, never more than burst + rate x time. */
	TB_CHECK_INT(drive(&b, 1, 1, 60000), 600);
}

static void test_bucket_reports_how_long_to_wait(void)
{
	prov_bucket b;
	double wait = -1;
	prov_bucket_init(&b, 60, 1000);         /* 1 a second */
	TB_CHECK(prov_bucket_ready(&b, 1, 1000, NULL));
	prov_bucket_take(&b, 1);
	TB_CHECK(!prov_bucket_ready(&b, 1, 1250, &wait));
	TB_CHECK_NEAR(wait, 750, 1e-6);
	TB_CHECK(prov_bucket_ready(&b, 1, 2000, NULL));
}

static void test_oversized_request_goes_when_full_and_pays_it_back(void)
{
	prov_bucket b;
	double wait;
	prov_bucket_init(&b, 6000, 0);          /* 100 tokens a second, cap 100 */
	TB_CHECK(prov_bucket_ready(&b, 500, 0, NULL));
	prov_bucket_take(&b, 500);              /* level -400 */
	TB_CHECK(!prov_bucket_ready(&b, 10, 3000, &wait));   /* -100 after 3 s */
	TB_CHECK_NEAR(wait, 1100, 1e-6);
	TB_CHECK(prov_bucket_ready(&b, 10, 4100, NULL));
}

static void test_usage_corrections_move_the_level_both_ways(void)
{
	prov_bucket b;
	prov_bucket_init(&b, 6000, 0);
	prov_bucket_take(&b, 80);               /* estimate 80 */
	prov_bucket_give(&b, 50);               /* used 30 */
	TB_CHECK_NEAR(b.level, 70, 1e-9);
	prov_bucket_take(&b, 100);              /* used more than estimated */
	TB_CHECK_NEAR(b.level, -30, 1e-9);
	prov_bucket_give(&b, 1000);             /* never above the cap */
	TB_CHECK_NEAR(b.level, 100, 1e-9);
}

static void test_zeroed_or_unlimited_bucket_always_allows(void)
{
	prov_bucket z = { 0 }, b;
	prov_bucket_init(&b, 0, 0);
	for (int i = 0; i < 1000; i++)
		TB_REQUIRE(prov_bucket_ready(&z, 1e9, 0, NULL) && prov_bucket_ready(&b, 1, 0, NULL));
}

int main(void)
{
	TB_RUN(test_bucket_allows_one_second_burst_then_the_per_minute_pace);
	TB_RUN(test_bucket_reports_how_long_to_wait);
	TB_RUN(test_oversized_request_goes_when_full_and_pays_it_back);
	TB_RUN(test_usage_corrections_move_the_level_both_ways);
	TB_RUN(test_zeroed_or_unlimited_bucket_always_allows);
	return tb_test_end();
}
