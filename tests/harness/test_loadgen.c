/* tests/harness/test_loadgen.c — the load generator behind `tierbench load`: closed-loop levels
 * keep exactly their concurrency in flight, open-loop levels send at the seeded Poisson arrival
 * times, a stop cancels a level, and a level's figures (percentiles, throughput, goodput against
 * an SLO) are those of vLLM's serving benchmark, checked on hand-made results. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "reports/report_impl.h"
#include "tests/mock/mock.h"
#include "tests/test.h"

static const char reply[] = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
	"\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3}}";

static char *answer(void *ud, const char *request, size_t len)
{
	(void)ud, (void)request, (void)len;
	return strdup(reply);
}

static int build(void *ud, long i, prov_req *rq)
{
	(void)ud;
	if (!(rq->prompt = malloc(32)))
		return -1;
	snprintf(rq->prompt, 32, "request %ld", i);
	rq->max_tokens = 3;
	rq->seed = -1;
	return 0;
}

static prov *open_mock(const mock_server *m)
{
	char opts[256], err[256];
	prov_target t = { 0 };
	prov *p;
	snprintf(opts, sizeof opts, "{\"base_url\": \"http://127.0.0.1:%d/v1\", \"key_env\": \"none\", "
		"\"stream\": false, \"max_retries\": 0, \"max_in_flight\": 64}", m->port);
	t.id = "mock";
	t.provider = "openai";
	t.model = "m";
	t.options_json = opts;
	if (!(p = prov_open(&t, err, sizeof err)))
		printf("  open: %s\n", err);
	return p;
}

static void test_loadgen_closed_loop_keeps_its_concurrency(void)
{
	mock_server m;
	prov *p;
	hx_load_level lv = { 0, 3, 20, 0, 1 };
	hx_load_result r;
	char err[256];
	static const mock_step none[1] = { { 500, NULL, "{}", 0, MOCK_FULL, 0 } };
	/* replies wait until three requests are held: the level must send three at once, or each
	 * would stall until the 8 s timeout (long enough that a machine busy with other work does
	 * not reach it between a reply and the next request) */
	TB_REQUIRE(mock_start_full(&m, none, 1, 3, 8000, answer, NULL) == 0);
	TB_REQUIRE((p = open_mock(&m)) != NULL);
	TB_CHECK_INT(hx_load_run_level(p, &lv, build, NULL, NULL, &r, err, sizeof err), 0);
	TB_CHECK_INT(r.n, 20);
	TB_CHECK_INT(m.n_requests, 20);
	TB_CHECK_INT(m.max_held, 3);             /* never more than the concurrency */
	TB_CHECK(m.n_gather_timeouts <= 1);      /* the last requests: fewer than 3 left */
	for (size_t i = 0; i < r.n; i++) {
		TB_REQUIRE(r.reqs[i].resp != NULL);
		TB_CHECK_INT(r.reqs[i].resp->err, PROV_ERR_NONE);
		TB_CHECK(r.reqs[i].start_ms >= r.reqs[i].arrival_ms);
		TB_CHECK(r.reqs[i].end_ms >= r.reqs[i].start_ms);
		TB_CHECK(hx_load_e2e_ms(&r.reqs[i]) >= 0);
	}
	TB_CHECK(r.wall_ms >= r.reqs[r.n - 1].end_ms - 1);
	hx_load_result_release(&r);
	prov_close(p);
	mock_stop(&m);
}

static void test_loadgen_open_loop_sends_at_the_seeded_arrivals(void)
{
	mock_server m;
	prov *p;
	hx_load_level lv = { 200, 0, 30, 0, 42 };
	hx_load_result r;
	uint64_t st = 42;
	double t = 0;
	char err[256];
	TB_REQUIRE(mock_start_handler(&m, answer, NULL) == 0);
	TB_REQUIRE((p = open_mock(&m)) != NULL);
	TB_CHECK_INT(hx_load_run_level(p, &lv, build, NULL, NULL, &r, err, sizeof err), 0);
	TB_REQUIRE(r.n == 30);
	for (size_t i = 0; i < r.n; i++) {
		t += hx_load_arrival_next(&st, 200);
		TB_CHECK_NEAR(r.reqs[i].arrival_ms, t, 1e-9);
		/* sent when due: the loop wakes for each arrival (a busy machine may be late, never early) */
		TB_CHECK(r.reqs[i].start_ms >= r.reqs[i].arrival_ms);
	}
	TB_CHECK(r.wall_ms >= t);
	hx_load_result_release(&r);
	/* all at once: every arrival at 0 */
	lv.rate = INFINITY;
	lv.n_requests = 8;
	TB_CHECK_INT(hx_load_run_level(p, &lv, build, NULL, NULL, &r, err, sizeof err), 0);
	TB_CHECK_INT(r.n, 8);
	for (size_t i = 0; i < r.n; i++)
		TB_CHECK_NEAR(r.reqs[i].arrival_ms, 0, 0);
	hx_load_result_release(&r);
	/* by duration: new requests for 0.2 s at 100/s, about 20 */
	lv.rate = 100;
	lv.n_requests = 0;
	lv.duration_s = 0.2;
	TB_CHECK_INT(hx_load_run_level(p, &lv, build, NULL, NULL, &r, err, sizeof err), 0);
	TB_CHECK(r.n >= 5 && r.n <= 60);
	for (size_t i = 0; i < r.n; i++)
		TB_CHECK(r.reqs[i].arrival_ms < 200);
	hx_load_result_release(&r);
	prov_close(p);
	mock_stop(&m);
}

static void test_loadgen_stop_cancels_the_level(void)
{
	mock_server m;
	prov *p;
	hx_load_level lv = { 0, 2, 1000, 0, 1 };
	hx_load_result r;
	volatile sig_atomic_t stop = 1;
	char err[256];
	TB_REQUIRE(mock_start_handler(&m, answer, NULL) == 0);
	TB_REQUIRE((p = open_mock(&m)) != NULL);
	TB_CHECK_INT(hx_load_run_level(p, &lv, build, NULL, &stop, &r, err, sizeof err), HX_EINTR);
	TB_CHECK(r.n <= 2);
	TB_CHECK_INT(prov_in_flight(p), 0);
	hx_load_result_release(&r);
	/* a level that is neither open nor closed, or has no end, is refused */
	lv.concurrency = 0;
	TB_CHECK_INT(hx_load_run_level(p, &lv, build, NULL, NULL, &r, err, sizeof err), HX_EINVAL);
	hx_load_result_release(&r);
	prov_close(p);
	mock_stop(&m);
}

static void test_loadgen_poisson_arrivals(void)
{
	uint64_t a = 7, b = 7;
	double sum = 0, sq = 0;
	const int n = 20000;
	for (int i = 0; i < n; i++) {
		double g = hx_load_arrival_next(&a, 50);
		TB_REQUIRE(g > 0 && isfinite(g));
		TB_CHECK(g == hx_load_arrival_next(&b, 50));
		sum += g;
		sq += g * g;
	}
	/* exponential with mean 20 ms: mean and standard deviation both 20 (±3 %) */
	TB_CHECK_NEAR(sum / n, 20, 0.6);
	TB_CHECK_NEAR(sqrt(sq / n - (sum / n) * (sum / n)), 20, 0.6);
	TB_CHECK_NEAR(hx_load_arrival_next(&a, INFINITY), 0, 0);
}

static prov_resp *resp(double ttft, double done, long out, const double *gaps, size_t n_gaps)
{
	prov_resp *r = prov_resp_new();
	r->text = strdup("x");
	r->t_first_token_ms = ttft;
	r->t_done_ms = done;
	r->n_tokens_out = out;
	if (n_gaps) {
		r->gaps_ms = malloc(n_gaps * sizeof *r->gaps_ms);
		memcpy(r->gaps_ms, gaps, n_gaps * sizeof *gaps);
		r->n_gaps = n_gaps;
	}
	return r;
}

static void test_loadgen_figures_of_a_level(void)
{
	static const double g1[] = { 10, 10 }, g2[] = { 30, 50 };
	hx_load_req q[4];
	hx_load_result r = { q, 4, 2000 };
	hx_load_summary s;
	hx_load_slo slo;
	char err[256];
	memset(q, 0, sizeof q);
	/* request 1 waited 5 ms for the provider: its times count from its arrival */
	q[0].arrival_ms = 0, q[0].start_ms = 0, q[0].resp = resp(100, 120, 3, g1, 2);
	q[1].arrival_ms = 10, q[1].start_ms = 15, q[1].resp = resp(200, 280, 3, g2, 2);
	q[2].arrival_ms = 20, q[2].start_ms = 20, q[2].resp = resp(300, 300, 1, NULL, 0);
	q[3].arrival_ms = 30, q[3].start_ms = 30, q[3].resp = prov_resp_new();
	q[3].resp->err = PROV_ERR_SERVER;
	TB_REQUIRE(hx_load_slo_parse("ttft=250ms,tpot=0.03s", &slo, err, sizeof err) == 0);
	TB_CHECK_NEAR(slo.ttft_ms, 250, 0);
	TB_CHECK_NEAR(slo.tpot_ms, 30, 0);
	TB_REQUIRE(hx_load_stats(&r, &slo, &s) == 0);
	TB_CHECK_INT(s.n, 4);
	TB_CHECK_INT(s.n_ok, 3);
	TB_CHECK_INT(s.n_errors, 1);
	TB_CHECK_INT(s.errors_by_class[PROV_ERR_SERVER], 1);
	/* TTFT 100, 205, 300: p50 205, p90 between 205 and 300 */
	TB_CHECK_NEAR(s.ttft_ms[0], 205, 1e-9);
	TB_CHECK_NEAR(s.ttft_ms[1], 205 + 0.8 * 95, 1e-9);
	/* TPOT (e2e - ttft) / (out - 1): 10 and 40 ms (one output token has none) */
	TB_CHECK_NEAR(s.tpot_ms[0], 25, 1e-9);
	/* ITL: every gap pooled, 10 10 30 50 */
	TB_CHECK_NEAR(s.itl_ms[0], 20, 1e-9);
	TB_CHECK_NEAR(s.e2e_ms[0], 285, 1e-9);
	TB_CHECK_NEAR(s.req_per_s, 1.5, 1e-12);
	TB_CHECK_NEAR(s.tok_per_s, 3.5, 1e-12);
	/* good: request 0 (TTFT 100, TPOT 10); not 1 (TPOT 40), 2 (no TPOT), 3 (failed) */
	TB_CHECK_INT(s.n_good, 1);
	TB_CHECK_NEAR(s.good_share, 0.25, 1e-12);
	TB_CHECK_NEAR(s.good_per_s, 0.5, 1e-12);
	for (int i = 0; i < 4; i++)
		prov_resp_free(q[i].resp);
	/* bad SLO texts */
	TB_CHECK(hx_load_slo_parse("ttft=fast", &slo, err, sizeof err) != 0);
	TB_CHECK(strstr(err, "ttft") != NULL);
	TB_CHECK(hx_load_slo_parse("latency=1s", &slo, err, sizeof err) != 0);
	TB_CHECK(strstr(err, "unknown key \"latency\"") != NULL);
	TB_CHECK(hx_load_slo_parse("ttft=-5ms", &slo, err, sizeof err) != 0);
	TB_CHECK(hx_load_slo_parse("ttft", &slo, err, sizeof err) != 0);
	TB_CHECK(hx_load_meets_slo(NULL, NAN, NAN, NAN));
}

/* The report's load rows from a store holding three recorded levels: throughput 10, 19 and 20
 * requests/s (the knee at 2: 4 adds under 10 %), 16, 15 and 8 of 16 requests within the SLO (the
 * highest level with at least 90 %: 2), TTFT 10 ms x the request's rank within its level. */
static void test_loadgen_report_rows_mark_the_knee_and_the_slo(void)
{
	static const int conc[3] = { 1, 2, 4 }, good[3] = { 16, 15, 8 };
	static const double rps[3] = { 10, 19, 20 };
	char dir[] = "/tmp/tb_loadrep_XXXXXX", db[64], err[512];
	hx_spec *spec = hx_spec_new();
	hx_store *st;
	int64_t run;
	int resumed;
	rep_set *set;
	rep_load_row *r;
	size_t n;
	TB_REQUIRE(mkdtemp(dir) != NULL && spec != NULL);
	snprintf(db, sizeof db, "%s/results.db", dir);
	TB_REQUIRE(hx_spec_add_target(spec, "openai", "m") != NULL);
	for (int l = 0; l < 3; l++) {
		char name[48];
		snprintf(name, sizeof name, "load/concurrency=%d", conc[l]);
		TB_REQUIRE(hx_spec_add_suite(spec, name) != NULL);
	}
	TB_REQUIRE((st = hx_store_open(db, 1, err, sizeof err)) != NULL);
	TB_REQUIRE(hx_store_begin_run(st, spec, "{}", 0, &run, &resumed, err, sizeof err) == 0);
	for (int l = 0; l < 3; l++)
		for (int i = 0; i < 16; i++) {
			hx_sample_row row;
			char item[16], scores[64];
			memset(&row, 0, sizeof row);
			snprintf(item, sizeof item, "r%05d", i);
			snprintf(scores, sizeof scores, "{\"slo\":%d,\"wall_s\":%.6f}", i < good[l], 16 / rps[l]);
			row.target = spec->targets[0].id;
			row.suite = spec->suites[l].name;
			row.item = item;
			row.response = "x";
			row.score = i < good[l];
			row.scores_json = scores;
			row.n_tokens_out = 4;
			row.ttft_ms = 10.0 * (i + 1);
			row.latency_ms = 10.0 * (i + 1) + 30;
			row.ttfa_ms = -1;
			TB_REQUIRE(hx_store_put_sample(st, run, &row, err, sizeof err) == 0);
		}
	hx_store_end_run(st, run, "done");
	hx_store_close(st);
	TB_REQUIRE((set = rep_set_new()) != NULL);
	TB_REQUIRE(rep_set_add_store(set, db, "r", -1, err, sizeof err) == 0);
	TB_REQUIRE(rep_load_build(set, &r, &n) == 0);
	TB_REQUIRE(n == 3);
	for (int l = 0; l < 3; l++) {
		TB_CHECK_NEAR(r[l].offered, conc[l], 0);
		TB_CHECK(r[l].closed);
		TB_CHECK_NEAR(r[l].req_per_s, rps[l], 1e-4);
		TB_CHECK_NEAR(r[l].good_share, good[l] / 16.0, 1e-12);
		TB_CHECK_NEAR(r[l].ttft_ms[0], 85, 1e-9);          /* ranks 1..16: median 8.5 */
		TB_CHECK_NEAR(r[l].ttft_ms[2], 10 * (1 + 0.99 * 15), 1e-9);
		TB_CHECK_NEAR(r[l].e2e_ms[0], 115, 1e-9);
		TB_CHECK_NEAR(r[l].tok_per_s, 4 * rps[l], 1e-3);
	}
	TB_CHECK(!r[0].knee && r[1].knee && !r[2].knee);
	TB_CHECK(!r[0].max_meeting_slo && r[1].max_meeting_slo && !r[2].max_meeting_slo);
	free(r);
	rep_set_free(set);
	hx_spec_free(spec);
	tb_rmtree(dir);
}

int main(void)
{
	TB_RUN(test_loadgen_closed_loop_keeps_its_concurrency);
	TB_RUN(test_loadgen_open_loop_sends_at_the_seeded_arrivals);
	TB_RUN(test_loadgen_stop_cancels_the_level);
	TB_RUN(test_loadgen_poisson_arrivals);
	TB_RUN(test_loadgen_figures_of_a_level);
	TB_RUN(test_loadgen_report_rows_mark_the_knee_and_the_slo);
	return tb_test_end();
}
