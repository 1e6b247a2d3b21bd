/* tests/reports/test_report.c — the report engine: statistics, tier rule and cost arithmetic
 * against hand-computed numbers; a results store written by a deterministic run renders to the
 * checked-in Markdown / CSV / JSON byte for byte (TB_UPDATE_GOLDEN=1 rewrites them); the
 * comparison flags a planted drop and not noise; bad stores give one-line errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "test.h"
#include "harness/harness.h"
#include "reports/report.h"
#include "reports/report_impl.h"

/* ---------------------------------------------------------------- statistics */

static void test_wilson_matches_hand_computed_interval(void)
{
	double lo, hi;
	rep_wilson95(150, 200, &lo, &hi);
	TB_CHECK_NEAR(lo, 0.6857, 1e-4);
	TB_CHECK_NEAR(hi, 0.8049, 1e-4);
	rep_wilson95(0, 0, &lo, &hi);
	TB_CHECK(lo == 0 && hi == 1);
	rep_wilson95(10, 10, &lo, &hi);
	TB_CHECK_NEAR(hi, 1.0, 1e-12);
	TB_CHECK_NEAR(lo, 0.7225, 1e-4);
}

static void test_mcnemar_exact_is_the_doubled_binomial_tail(void)
{
	/* b = 10, c = 2: 2 x P(X <= 2 | n = 12, 1/2) = 2 x (1 + 12 + 66) / 4096 */
	TB_CHECK_NEAR(rep_mcnemar_exact(10, 2), 158.0 / 4096, 1e-12);
	TB_CHECK_NEAR(rep_mcnemar_exact(2, 10), 158.0 / 4096, 1e-12);
	TB_CHECK_NEAR(rep_mcnemar_exact(0, 0), 1, 0);
	TB_CHECK_NEAR(rep_mcnemar_exact(5, 5), 1, 0);
	/* b = 6, c = 0: 2 / 64 */
	TB_CHECK_NEAR(rep_mcnemar_exact(6, 0), 2.0 / 64, 1e-12);
	TB_CHECK(rep_mcnemar_exact(3000, 2900) > 0.1 && rep_mcnemar_exact(3000, 2500) < 1e-6);
}

static void test_paired_bootstrap_is_seeded_and_exact_for_constant_differences(void)
{
	double x[40], y[40], lo, hi, p, lo2, hi2, p2, d;
	for (int i = 0; i < 40; i++) {
		x[i] = 0;
		y[i] = 0.5;
	}
	d = rep_paired_bootstrap(x, y, 40, 500, 7, 0.05, &lo, &hi, &p);
	TB_CHECK_NEAR(d, 0.5, 1e-12);
	TB_CHECK_NEAR(lo, 0.5, 1e-12);
	TB_CHECK_NEAR(hi, 0.5, 1e-12);
	TB_CHECK_NEAR(p, 0, 0);
	for (int i = 0; i < 40; i++)
		y[i] = (i % 2) ? 0.3 : -0.3;   /* mean 0: no difference */
	d = rep_paired_bootstrap(x, y, 40, 1000, 7, 0.05, &lo, &hi, &p);
	rep_paired_bootstrap(x, y, 40, 1000, 7, 0.05, &lo2, &hi2, &p2);
	TB_CHECK_NEAR(d, 0, 1e-12);
	TB_CHECK(lo < 0 && hi > 0 && p > 0.5);
	TB_CHECK(lo == lo2 && hi == hi2 && p == p2);
	TB_CHECK(isnan(rep_paired_bootstrap(x, y, 0, 10, 1, 0.05, &lo, &hi, &p)));
}

/* worse(i, j) = candidates two or more ranks apart */
static int two_apart(size_t i, size_t j, void *ud)
{
	(void)ud;
	return i - j >= 2;
}

static int always(size_t i, size_t j, void *ud)
{
	(void)i, (void)j, (void)ud;
	return 1;
}

static void test_tier_rule_joins_first_leader_not_significantly_better(void)
{
	int tier[7];
	size_t lead[7];
	rep_tiers_assign(5, two_apart, NULL, tier, lead);
	/* 0 leads S; 1 ties it; 2 is worse than 0 and leads A; 3 ties 2; 4 is worse than 0 and 2 */
	TB_CHECK(tier[0] == 0 && tier[1] == 0 && tier[2] == 1 && tier[3] == 1 && tier[4] == 2);
	TB_CHECK(lead[1] == 0 && lead[3] == 2 && lead[4] == 4);
	rep_tiers_assign(7, always, NULL, tier, lead);
	TB_CHECK(tier[0] == 0 && tier[4] == 4 && tier[5] == 4 && tier[6] == 4);
	TB_CHECK(lead[5] == 4);
	TB_CHECK_STR(rep_tier_name(0), "S");
	TB_CHECK_STR(rep_tier_name(4), "D");
}

static void test_cost_arithmetic_matches_hand_computed_numbers(void)
{
	/* 2400 $ over 24 months of 730 h, plus 300 W at 0.20 $/kWh */
	TB_CHECK_NEAR(rep_selfhost_usd_per_hour(0, 2400, 24, 300, 0.2), 2400.0 / 24 / 730 + 0.06, 1e-12);
	TB_CHECK_NEAR(rep_selfhost_usd_per_hour(1.5, 2400, 24, 300, 0.2), 1.5, 0);
	TB_CHECK_NEAR(rep_selfhost_usd_per_hour(0, 0, 0, 0, 0), 0, 0);
	TB_CHECK_NEAR(rep_blended_usd_per_mtok(0.15, 0.60, 3, 1), 0.2625, 1e-12);
	TB_CHECK_NEAR(rep_blended_usd_per_mtok(1, 3, 1, 1), 2, 1e-12);
	TB_CHECK_NEAR(rep_break_even_mtok_month(876, 5000, 0.2625), 876 / 0.2625, 1e-9);
	TB_CHECK(isinf(rep_break_even_mtok_month(876, 50, 0.2625)));
	TB_CHECK(isinf(rep_break_even_mtok_month(876, 5000, 0)));
	TB_CHECK(isnan(rep_break_even_mtok_month(NAN, 5000, 1)));
}

/* ---------------------------------------------------------------- stores written by a run */

typedef struct planted {
	const char *target, *suite, *item;
	double score, ttft, lat, cost;
	int64_t tin, tout;
	int error;
	int sample;            /* sample index within the item */
	const char *metric;    /* the score's name; NULL: "strict" */
	const char *logprobs;  /* samples.logprobs_json, or NULL */
} planted;

/* Writes a run of spec_json with the given samples into dir/results.db through the harness's
 * store (as the scheduler does), then pins the run's times, build and hardware so renders are
 * byte-stable. Returns 0 on success. */
static int write_run(const char *dir, const char *spec_json, const planted *p, size_t n)
{
	char path[512], err[512];
	hx_spec *spec;
	hx_store *st;
	int64_t run_id;
	int resumed, rc = -1;
	sqlite3 *db;
	mkdir(dir, 0777);
	snprintf(path, sizeof path, "%s/results.db", dir);
	unlink(path);
	if (!(spec = hx_spec_parse(spec_json, "spec.json", ".", err, sizeof err))) {
		printf("  spec: %s\n", err);
		return -1;
	}
	if (!(st = hx_store_open(path, 1, err, sizeof err)))
		goto done;
	if (hx_store_begin_run(st, spec, "{\"cpu_model\":\"Test CPU\",\"arch\":\"x86_64\",\"cores\":8,"
	    "\"hw_threads\":16,\"ram_bytes\":34359738368,\"mem_bw_gbs\":50}", 0, &run_id, &resumed,
	    err, sizeof err))
		goto close;
	for (size_t i = 0; i < n; i++) {
		hx_sample_row r;
		char scores[64];
		memset(&r, 0, sizeof r);
		r.target = p[i].target;
		r.suite = p[i].suite;
		r.item = p[i].item;
		r.response = p[i].error ? NULL : "answer";
		r.score = p[i].score;
		r.sample = p[i].sample;
		snprintf(scores, sizeof scores, "{\"%s\":%g}", p[i].metric ? p[i].metric : "strict",
			 p[i].score);
		r.scores_json = scores;
		r.n_tokens_in = p[i].tin;
		r.n_tokens_out = p[i].tout;
		r.ttft_ms = p[i].ttft;
		r.latency_ms = p[i].lat;
		r.cost_usd = p[i].cost;
		r.error = p[i].error;
		r.error_class = p[i].error ? "server" : NULL;
		r.attempts = 1;
		r.logprobs_json = p[i].logprobs;
		if (hx_store_put_sample(st, run_id, &r, err, sizeof err))
			goto close;
	}
	hx_store_end_run(st, run_id, "done");
	rc = 0;
close:
	hx_store_close(st);
done:
	if (rc)
		printf("  store: %s\n", err);
	hx_spec_free(spec);
	if (!rc && sqlite3_open(path, &db) == SQLITE_OK) {
		rc = sqlite3_exec(db, "UPDATE runs SET started_at = '2026-01-01T00:00:00Z', finished_at = "
			"'2026-01-01T00:10:00Z', build_json = '{\"version\":\"0.1.0\",\"git_rev\":\"golden\","
			"\"compiler\":\"cc\"}'; UPDATE samples SET created_at = '2026-01-01T00:05:00Z', git_rev = "
			"'golden'", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
		sqlite3_close(db);
	}
	return rc;
}

static char *render(int (*w)(FILE *, const rep_set *, const rep_opts *, char *, size_t),
	const rep_set *s, const rep_opts *o)
{
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;
	if (!f)
		return NULL;
	rc = w(f, s, o, err, sizeof err);
	fclose(f);
	if (rc) {
		printf("  render: %s\n", err);
		free(buf);
		return NULL;
	}
	return buf;
}

/* The run-end summary of s as a string. Ownership: caller frees; NULL on failure. */
static char *render_summary(const rep_set *s)
{
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;
	if (!f)
		return NULL;
	rc = rep_write_summary(f, s, err, sizeof err);
	fclose(f);
	if (rc) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The run-end summary of partial-credit scores: the interval is the mean's (± 1.96 s/√n) and
 * holds it; pass/fail metrics keep the Wilson interval. (The summary used to take a Wilson
 * interval of the scores >= 0.5 around the mean of all scores: 36.7 % [0.9, 24.6].) */
static void test_run_summary_interval_holds_a_partial_credit_mean(void)
{
	static const char spec[] = "{\"name\":\"pc\",\"targets\":[{\"id\":\"t\",\"provider\":\"samples\","
		"\"model\":\"g.jsonl\"}],\"suites\":[{\"name\":\"gsm8k\"}]}";
	static planted p[8];
	static const char *const ids[8] = { "1", "2", "3", "4", "5", "6", "7", "8" };
	/* scores 0.25 x 4, 0.5 x 2, 0 x 2: mean 0.25, s = sqrt(((4 * 0) + 2 * 0.0625 + 2 * 0.0625) / 7)
	 * = 0.188982, half = 1.959964 * 0.188982 / sqrt(8) = 0.130955 -> [11.9, 38.1] */
	static const double sc[8] = { 0.25, 0.25, 0.25, 0.25, 0.5, 0.5, 0, 0 };
	rep_set *s;
	char err[256], *sum;
	for (int i = 0; i < 8; i++)
		p[i] = (planted){ "t", "gsm8k", ids[i], sc[i], 10, 100, 0, 10, 5, 0, 0, "part", NULL };
	TB_REQUIRE(write_run("pc", spec, p, 8) == 0);
	TB_REQUIRE((s = rep_set_new()) != NULL);
	TB_REQUIRE(rep_set_add_store(s, "pc/results.db", "pc", -1, err, sizeof err) == 0);
	TB_REQUIRE((sum = render_summary(s)) != NULL);
	TB_CHECK(strstr(sum, "part        25.0 % [11.9, 38.1]  n=8  errors=0\n") != NULL);
	free(sum);
	rep_set_free(s);
}

static const char cost_spec[] =
	"{\"name\":\"cost\",\"concurrency\":1,\"targets\":["
	"{\"id\":\"box\",\"provider\":\"samples\",\"model\":\"m.jsonl\",\"max_in_flight\":2,"
	" \"hardware\":{\"kind\":\"self-host\",\"cost_per_hour\":3.6}},"
	"{\"id\":\"api\",\"provider\":\"samples\",\"model\":\"a.jsonl\","
	" \"prices\":{\"input_per_mtok\":1.0,\"output_per_mtok\":4.0}}],"
	"\"suites\":[{\"name\":\"gsm8k\"}]}";

static void test_cost_table_from_a_store_matches_hand_computed_numbers(void)
{
	static const planted p[] = {
		{ "box", "gsm8k", "1", 1, 100, 1000, 0, 100, 50, 0, 0, NULL, NULL },
		{ "box", "gsm8k", "2", 0, 100, 1000, 0, 100, 50, 0, 0, NULL, NULL },
		{ "api", "gsm8k", "1", 1, 50, 500, 0, 100, 50, 0, 0, NULL, NULL },
		{ "api", "gsm8k", "2", 0, 50, 500, 0, 100, 50, 0, 0, NULL, NULL },
	};
	char err[256];
	rep_set *s = rep_set_new();
	rep_opts o;
	rep_analysis a;
	const rep_cost_row *box, *api;
	TB_REQUIRE(write_run("cost", cost_spec, p, 4) == 0);
	TB_REQUIRE(rep_set_add_store(s, "cost/results.db", "runs/cost", -1, err, sizeof err) == 0);
	rep_opts_default(&o);
	TB_REQUIRE(rep_analysis_build(s, &o, &a, err, sizeof err) == 0);
	TB_REQUIRE(a.n_cost == 2);
	box = &a.cost[0];
	api = &a.cost[1];
	/* box: 2 in flight x 300 tokens / 2 s of summed latency = 300 tok/s */
	TB_CHECK_NEAR(box->tok_per_s, 300, 1e-9);
	TB_CHECK_NEAR(box->blended_mtok, 3.6 / (300 * 3600.0) * 1e6, 1e-9);      /* 3.333 $/M */
	TB_CHECK_NEAR(box->usd_per_month_fixed, 3.6 * 730, 1e-9);                /* 2628 $ */
	TB_CHECK_NEAR(box->capacity_mtok_month, 300 * 3600.0 * 730 / 1e6, 1e-9);  /* 788.4 M */
	TB_CHECK_NEAR(box->monthly_usd, 2628, 1e-9);                             /* one machine */
	TB_CHECK_NEAR(box->run_usd, 3.6 * 2.0 / 2 / 3600, 1e-12);                /* busy 1 s */
	TB_CHECK_NEAR(api->blended_mtok, (3 * 1.0 + 1 * 4.0) / 4, 1e-12);         /* 1.75 */
	TB_CHECK_NEAR(api->monthly_usd, 175, 1e-9);
	TB_CHECK_NEAR(api->run_usd, (200 * 1.0 + 100 * 4.0) / 1e6, 1e-15);
	TB_CHECK_NEAR(rep_set_find_ts(s, 1, "gsm8k")->usd_per_solved, 0.0006, 1e-15);
	/* break-even 2628 / 1.75 = 1502 M tok/month exceeds the machine's 788.4: never */
	TB_CHECK(isinf(a.break_even[0 * 2 + 1]));
	TB_CHECK(isnan(a.break_even[1 * 2 + 0]));
	rep_analysis_release(&a);
	/* at 1000 M tok/month two machines are needed; a dearer API breaks even */
	o.volume_mtok_month = 1000;
	o.blend_in = 0;            /* output tokens only: 4 $/M */
	TB_REQUIRE(rep_analysis_build(s, &o, &a, err, sizeof err) == 0);
	TB_CHECK_NEAR(a.cost[0].monthly_usd, 2 * 2628, 1e-9);
	TB_CHECK_NEAR(a.break_even[1], 2628 / 4.0, 1e-9);                        /* 657 M */
	rep_analysis_release(&a);
	rep_set_free(s);
}

/* The golden run: three quantisations of one model (self-hosted) and an API model, on a
 * pass/fail suite with 40 items and a needle grid of 3 lengths x 3 depths. */
static const char golden_spec[] =
	"{\"name\":\"golden\",\"concurrency\":2,\"targets\":["
	"{\"id\":\"llama-q8\",\"provider\":\"samples\",\"model\":\"models/llama-3b-Q8_0.gguf\","
	" \"quant\":\"Q8_0\",\"max_in_flight\":4,"
	" \"hardware\":{\"kind\":\"self-host\",\"gpu\":\"1x RTX 4090\",\"cost_per_hour\":0.8}},"
	"{\"id\":\"llama-q4\",\"provider\":\"samples\",\"model\":\"models/llama-3b-Q4_K_M.gguf\","
	" \"quant\":\"Q4_K_M\",\"max_in_flight\":4,"
	" \"hardware\":{\"kind\":\"self-host\",\"purchase_usd\":2400,\"amortisation_months\":24,"
	"  \"power_watts\":350,\"usd_per_kwh\":0.25}},"
	"{\"id\":\"llama-q2\",\"provider\":\"samples\",\"model\":\"models/llama-3b-Q2_K.gguf\","
	" \"quant\":\"Q2_K\",\"hardware\":{\"kind\":\"self-host\",\"cost_per_hour\":0.8}},"
	"{\"id\":\"api-mini\",\"provider\":\"samples\",\"model\":\"api-mini.jsonl\","
	" \"prices\":{\"input_per_mtok\":0.15,\"output_per_mtok\":0.6},\"hardware\":{\"kind\":\"api\"}}],"
	"\"suites\":[{\"name\":\"gsm8k\",\"weight\":2},{\"name\":\"needle\",\"weight\":1}]}";

static size_t golden_samples(planted *p, char ids[][24])
{
	static const char *const tg[] = { "llama-q8", "llama-q4", "llama-q2", "api-mini" };
	static const double level[] = { 0.85, 0.80, 0.45, 0.70 };
	size_t n = 0;
	uint32_t h = 12345;
	for (int t = 0; t < 4; t++) {
		for (int i = 0; i < 40; i++) {
			double diff = (double)((i * 37) % 40) / 40.0;   /* item difficulty, shared */
			planted *s = &p[n++];
			h = h * 1103515245u + 12345u;
			snprintf(ids[n - 1], 24, "%03d", i);
			s->target = tg[t];
			s->suite = "gsm8k";
			s->item = ids[n - 1];
			s->score = (diff < level[t]) ^ ((h >> 16) % 19 == 0);
			s->tin = 120 + i;
			s->tout = 30 + i % 7;
			s->ttft = t == 3 ? 300 + 5 * (i % 9) : 40 + 10 * t + 2 * (i % 5);
			s->lat = s->ttft + (double)s->tout * (t == 3 ? 12 : 15 + 5 * t);
			s->cost = t == 3 ? (double)s->tin * 0.15 / 1e6 + (double)s->tout * 0.6 / 1e6 : 0;
			s->error = t == 1 && i == 39;   /* one failed sample */
		}
		for (int L = 0; L < 3; L++)
			for (int d = 0; d < 3; d++) {
				planted *s = &p[n++];
				snprintf(ids[n - 1], 24, "len%d-depth%d", 1024 << (2 * L), 25 * (d + 1));
				s->target = tg[t];
				s->suite = "needle";
				s->item = ids[n - 1];
				s->score = L + t < 4 || (t == 3 && d != 1);
				s->tin = 1024 << (2 * L);
				s->tout = 8;
				s->ttft = 100.0 * (L + 1) * (t + 1);
				s->lat = s->ttft + 80;
				s->cost = t == 3 ? (double)s->tin * 0.15 / 1e6 + (double)s->tout * 0.6 / 1e6 : 0;
			}
	}
	return n;
}

static char root[4096];   /* the checkout; the tests run in a scratch folder */

static void check_golden(const char *name, const char *got)
{
	char path[4200];
	char *want;
	snprintf(path, sizeof path, "%s/tests/fixtures/reports/%s", root, name);
	if (getenv("TB_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "w");
		TB_REQUIRE(f && fputs(got, f) >= 0 && fclose(f) == 0);
		return;
	}
	want = tb_slurp(path, NULL);
	TB_REQUIRE(want != NULL);
	if (strcmp(want, got) != 0) {
		size_t i = 0;
		while (want[i] && want[i] == got[i])
			i++;
		printf("  %s differs at byte %zu: got \"%.60s\"\n", path, i, got + i);
		TB_CHECK(0);
	}
	free(want);
}

static rep_set *golden_set(void)
{
	static planted p[200];
	static char ids[200][24];
	char err[256];
	size_t n = golden_samples(p, ids);
	rep_set *s;
	if (write_run("golden", golden_spec, p, n))
		return NULL;
	s = rep_set_new();
	if (rep_set_add_store(s, "golden/results.db", "runs/golden", -1, err, sizeof err)) {
		printf("  %s\n", err);
		rep_set_free(s);
		return NULL;
	}
	return s;
}

static void test_golden_store_renders_expected_markdown_csv_json(void)
{
	rep_set *s = golden_set();
	rep_opts o;
	char *md, *csv, *js;
	TB_REQUIRE(s);
	rep_opts_default(&o);
	md = render(rep_write_markdown, s, &o);
	csv = render(rep_write_csv, s, &o);
	js = render(rep_write_json, s, &o);
	TB_CHECK(md && csv && js);
	if (md && csv && js) {
		check_golden("golden.md", md);
		check_golden("golden.csv", csv);
		check_golden("golden.json", js);
	}
	free(md);
	free(csv);
	free(js);
	rep_set_free(s);
}

static void test_golden_tiers_and_quant_deltas_follow_the_planted_levels(void)
{
	rep_set *s = golden_set();
	rep_opts o;
	rep_analysis a;
	char err[256];
	const rep_tier_list *g;
	TB_REQUIRE(s);
	rep_opts_default(&o);
	TB_REQUIRE(rep_analysis_build(s, &o, &a, err, sizeof err) == 0);
	TB_REQUIRE(a.n_suites == 2 && strcmp(a.suites[0], "gsm8k") == 0);
	TB_CHECK_NEAR(a.weights[0], 2, 0);
	g = &a.tiers[0];
	TB_REQUIRE(g->n == 4);
	/* q8 (~85 %) leads S, q4 is not significantly worse, q2 (~45 %) is: a lower tier */
	TB_CHECK_STR(s->targets[g->rows[0].target].id, "llama-q8");
	TB_CHECK(g->rows[0].tier == 0);
	for (size_t i = 0; i < g->n; i++) {
		const char *id = s->targets[g->rows[i].target].id;
		if (strcmp(id, "llama-q4") == 0)
			TB_CHECK(g->rows[i].tier == 0 && strcmp(g->rows[i].vs.test, "McNemar") == 0);
		if (strcmp(id, "llama-q2") == 0)
			TB_CHECK(g->rows[i].tier >= 1 && g->rows[i].leader != g->rows[0].target);
	}
	/* quantisation rows: three of one base model per suite, the best first */
	TB_REQUIRE(a.n_quant == 6);
	TB_CHECK_STR(s->targets[a.quant[0].ts->target].base, "llama-3b");
	TB_CHECK(a.quant[0].ts == a.quant[0].best);
	for (size_t i = 0; i < 3; i++)
		if (strcmp(s->targets[a.quant[i].ts->target].id, "llama-q2") == 0)
			TB_CHECK(a.quant[i].vs.worse);
	rep_analysis_release(&a);
	rep_set_free(s);
}

/* ---------------------------------------------------------------- overall */

static const char overall_spec[] =
	"{\"name\":\"overall\",\"concurrency\":1,\"targets\":["
	"{\"id\":\"x\",\"provider\":\"samples\",\"model\":\"x.jsonl\"},"
	"{\"id\":\"y\",\"provider\":\"samples\",\"model\":\"y.jsonl\"}],"
	"\"suites\":[{\"name\":\"hard\"},{\"name\":\"easy\"}]}";

/* 20 items per suite: x passes hard_x of "hard" and easy_x of "easy", y likewise. */
static rep_set *overall_set(const char *dir, int hard_x, int easy_x, int hard_y, int easy_y)
{
	static planted p[80];
	static char ids[20][12];
	char err[256], path[512], lbl[512];
	rep_set *s = rep_set_new();
	size_t n = 0;
	for (int i = 0; i < 20; i++) {
		snprintf(ids[i], sizeof ids[i], "%02d", i);
		p[n++] = (planted){ "x", "hard", ids[i], i < hard_x, 10, 100, 0, 10, 5, 0, 0, NULL, NULL };
		p[n++] = (planted){ "x", "easy", ids[i], i < easy_x, 10, 100, 0, 10, 5, 0, 0, NULL, NULL };
		p[n++] = (planted){ "y", "hard", ids[i], i < hard_y, 10, 100, 0, 10, 5, 0, 0, NULL, NULL };
		p[n++] = (planted){ "y", "easy", ids[i], i < easy_y, 10, 100, 0, 10, 5, 0, 0, NULL, NULL };
	}
	snprintf(path, sizeof path, "%s/results.db", dir);
	snprintf(lbl, sizeof lbl, "runs/%s", dir);
	if (!s || write_run(dir, overall_spec, p, n) ||
	    rep_set_add_store(s, path, lbl, -1, err, sizeof err)) {
		rep_set_free(s);
		return NULL;
	}
	return s;
}

static const rep_tier_row *overall_row(const rep_analysis *a, const rep_set *s, const char *id)
{
	const rep_tier_list *l = &a->tiers[a->n_suites];
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(s->targets[l->rows[i].target].id, id) == 0)
			return &l->rows[i];
	return NULL;
}

/* The overall score is the weighted mean of suite accuracies: one item of twenty in the hardest
 * suite does not reorder it (dividing by each suite's best score did: 1 of 20 against 0 of 20
 * counted as 100 % against 0 %), and its interval, a stratified bootstrap, stays in 0..100 %. */
static void test_overall_is_a_weighted_mean_with_a_bounded_interval(void)
{
	rep_set *s1 = overall_set("overall1", 1, 10, 0, 20), *s2 = overall_set("overall2", 1, 10, 1, 20);
	rep_opts o;
	rep_analysis a1, a2, a3;
	char err[256];
	const rep_tier_row *x, *y;
	TB_REQUIRE(s1 && s2);
	rep_opts_default(&o);
	TB_REQUIRE(rep_analysis_build(s1, &o, &a1, err, sizeof err) == 0);
	TB_REQUIRE(rep_analysis_build(s2, &o, &a2, err, sizeof err) == 0);
	TB_REQUIRE((x = overall_row(&a1, s1, "x")) && (y = overall_row(&a1, s1, "y")));
	TB_CHECK_NEAR(x->score, (0.05 + 0.5) / 2, 1e-12);
	TB_CHECK_NEAR(y->score, (0.0 + 1.0) / 2, 1e-12);
	TB_CHECK(y->score > x->score);
	TB_REQUIRE((x = overall_row(&a2, s2, "x")) && (y = overall_row(&a2, s2, "y")));
	TB_CHECK(y->score > x->score);
	TB_CHECK_STR(s2->targets[a2.tiers[a2.n_suites].rows[0].target].id, "y");
	TB_CHECK_STR(s1->targets[a1.tiers[a1.n_suites].rows[0].target].id, "y");
	/* y: 21 of 40 items; its interval lies in 0..1 around the score */
	TB_CHECK(y->lo >= 0 && y->hi <= 1 && y->lo <= y->score && y->score <= y->hi);
	TB_CHECK(y->hi - y->lo > 0.05);
	/* seeded: the same interval again */
	TB_REQUIRE(rep_analysis_build(s2, &o, &a3, err, sizeof err) == 0);
	TB_CHECK(overall_row(&a3, s2, "y")->lo == y->lo && overall_row(&a3, s2, "y")->hi == y->hi);
	rep_analysis_release(&a1);
	rep_analysis_release(&a2);
	rep_analysis_release(&a3);
	rep_set_free(s1);
	rep_set_free(s2);
	/* near 100 %: 20 of 20 and 19 of 20 -- a normal interval would pass 100 % */
	s1 = overall_set("overall3", 20, 19, 20, 20);
	TB_REQUIRE(s1);
	TB_REQUIRE(rep_analysis_build(s1, &o, &a1, err, sizeof err) == 0);
	for (size_t i = 0; i < a1.tiers[a1.n_suites].n; i++) {
		const rep_tier_row *r = &a1.tiers[a1.n_suites].rows[i];
		TB_CHECK(r->lo >= 0 && r->hi <= 1 + 1e-12);
	}
	rep_analysis_release(&a1);
	rep_set_free(s1);
}

/* The decision summary opens every document: per suite the leader and the cheapest target not
 * significantly worse, one verdict line per quantisation, the cost winner at the volume. */
static void test_decision_summary_opens_the_report(void)
{
	rep_set *s = golden_set();
	rep_analysis a;
	rep_doc d;
	char err[256], *md, *html, *js;
	cJSON *j, *dec;
	TB_REQUIRE(s);
	TB_REQUIRE(rep_prepare(s, NULL, &a, &d, err, sizeof err) == 0);
	TB_REQUIRE(d.n_decision == 2);
	TB_CHECK_STR(d.decision[0].suite, "gsm8k");
	TB_CHECK_STR(s->targets[d.decision[0].leader].id, "llama-q8");
	/* api-mini is 15 points behind on 40 items (McNemar p = 0.07): not significantly worse, and
	 * $26.25 a month at 100 M tokens against $163.88 for the cheapest machine */
	TB_CHECK_STR(s->targets[d.decision[0].cheapest].id, "api-mini");
	TB_CHECK_STR(s->targets[d.cost_winner].id, "api-mini");
	TB_REQUIRE(d.n_summary == 6);
	TB_CHECK(strstr(d.summary[4], "Q2_K (llama-q2): -40.0 pts on gsm8k vs Q8_0, significantly "
		"worse at n = 40 (p < 0.001)") == d.summary[4]);
	TB_CHECK(strstr(d.summary[3], "not significant at n = 39 (p = 0.625)") != NULL);
	TB_CHECK(strstr(d.summary[5], "cheapest at 100 M tokens / month: api-mini, $26.25") != NULL);
	rep_doc_release(&d);
	rep_analysis_release(&a);
	md = render(rep_write_markdown, s, NULL);
	html = render(rep_write_html, s, NULL);
	js = render(rep_write_json, s, NULL);
	TB_REQUIRE(md && html && js);
	TB_CHECK(strstr(md, "## Decision summary") && strstr(md, "## Decision summary") <
		strstr(md, "## Results per target"));
	TB_CHECK(strstr(html, "id=\"decision\"") && strstr(html, "id=\"decision\"") <
		strstr(html, "id=\"results\""));
	TB_REQUIRE((j = cJSON_Parse(js)) != NULL);
	dec = cJSON_GetObjectItem(j, "decision");
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(dec, "cost_winner")), "api-mini");
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(
		cJSON_GetObjectItem(dec, "suites"), 0), "cheapest_not_significantly_worse")), "api-mini");
	TB_CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(dec, "lines")) == 6);
	cJSON_Delete(j);
	free(md);
	free(html);
	free(js);
	rep_set_free(s);
}

/* ---------------------------------------------------------------- charts */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int ch;
	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	while (m && (ch = fgetc(f)) != EOF)
		fputc(ch, m);
	if (m)
		fclose(m);
	fclose(f);
	return buf;
}

static const char close_quant_spec[] =
	"{\"name\":\"q\",\"concurrency\":1,\"targets\":["
	"{\"id\":\"m-s\",\"provider\":\"samples\",\"model\":\"models/m-Q4_K_S.gguf\",\"quant\":\"Q4_K_S\"},"
	"{\"id\":\"m-m\",\"provider\":\"samples\",\"model\":\"models/m-Q4_K_M.gguf\",\"quant\":\"Q4_K_M\"},"
	"{\"id\":\"m-5\",\"provider\":\"samples\",\"model\":\"models/m-Q5_K_M.gguf\",\"quant\":\"Q5_K_M\"}],"
	"\"suites\":[{\"name\":\"gsm8k\"}]}";

/* A length x depth map is drawn for a suite whose item ids name grid cells, whatever the suite
 * is called, and for no other suite (window ids carry two numbers too). */
static void test_charts_draw_a_grid_map_for_items_that_name_grid_cells(void)
{
	static const char spec[] = "{\"name\":\"g\",\"targets\":[{\"id\":\"m\",\"provider\":\"samples\","
		"\"model\":\"m.jsonl\"}],\"suites\":[{\"name\":\"haystack\"},{\"name\":\"windows\"}]}";
	static const planted p[] = {
		{ "m", "haystack", "single/L512/D0", 1, 10, 100, 0, 10, 5, 0, 0, NULL, NULL },
		{ "m", "haystack", "single/L2048/D100", 0, 10, 100, 0, 10, 5, 0, 0, NULL, NULL },
		{ "m", "windows", "ctx256/w00000", 1, 10, 100, 0, 10, 5, 0, 0, NULL, NULL },
		{ "m", "windows", "ctx256/w00001", 0, 10, 100, 0, 10, 5, 0, 0, NULL, NULL },
	};
	char err[256], warn[256], *dat;
	rep_set *s;
	rep_opts o;
	int n_charts;
	rep_opts_default(&o);
	TB_REQUIRE(write_run("gridmap", spec, p, 4) == 0);
	TB_REQUIRE((s = rep_set_new()) != NULL);
	TB_REQUIRE(rep_set_add_store(s, "gridmap/results.db", "runs/gridmap", -1, err, sizeof err) == 0);
	TB_REQUIRE(rep_charts_write(s, &o, "gridmap/charts", &n_charts, warn, sizeof warn, err,
		sizeof err) == 0);
	rep_set_free(s);
	TB_CHECK(access("gridmap/charts/needle_m_windows.dat", F_OK) != 0);
	dat = tb_slurp("gridmap/charts/needle_m_haystack.dat", NULL);
	TB_REQUIRE(dat != NULL);
	TB_CHECK(strstr(dat, "\n512 0 1.0000\n") != NULL);
	TB_CHECK(strstr(dat, "\n2048 100 0.0000\n") != NULL);
	free(dat);
}

/* Charts: labels of points at one place get different placements (gnuplot printed them over
 * each other); needle maps are named by target and suite, not by index; the ITL chart's y axis
 * counts gaps, not requests. */
static void test_charts_place_labels_apart_and_name_files_by_target(void)
{
	static const planted p[] = {
		{ "m-s", "gsm8k", "1", 1, 10, 100, 0, 10, 5, 0, 0, NULL, NULL },
		{ "m-s", "gsm8k", "2", 0, 10, 100, 0, 10, 5, 0, 0, NULL, NULL },
		{ "m-m", "gsm8k", "1", 1, 10, 100, 0, 10, 5, 0, 0, NULL, NULL },
		{ "m-m", "gsm8k", "2", 0, 10, 100, 0, 10, 5, 0, 0, NULL, NULL },
		{ "m-5", "gsm8k", "1", 1, 10, 100, 0, 10, 5, 0, 0, NULL, NULL },
		{ "m-5", "gsm8k", "2", 1, 10, 100, 0, 10, 5, 0, 0, NULL, NULL },
	};
	char err[256], warn[256], *dat, *lab, line[128];
	rep_set *s;
	int n_charts, place[3] = { -1, -1, -1 }, k = 0;
	FILE *f;
	rep_opts o;
	rep_opts_default(&o);
	/* the golden run's needle maps */
	TB_REQUIRE((s = golden_set()) != NULL);
	TB_REQUIRE(rep_charts_write(s, &o, "golden/charts", &n_charts, warn, sizeof warn, err,
		sizeof err) == 0);
	rep_set_free(s);
	TB_CHECK(access("golden/charts/needle_llama-q8_needle.dat", F_OK) == 0);
	TB_CHECK(access("golden/charts/needle_api-mini_needle.gp", F_OK) == 0);
	TB_CHECK(access("golden/charts/needle_1.dat", F_OK) != 0);
	s = rep_set_new();
	TB_REQUIRE(write_run("closeq", close_quant_spec, p, 6) == 0);
	/* a 60 MB model file, as the run recorded it: its size reads 57.2 MiB (it read "0.06" GiB) */
	{
		hx_store *st = hx_store_open("closeq/results.db", 1, err, sizeof err);
		prov_model_facts mf = { .file_bytes = 60000000 };
		TB_REQUIRE(st != NULL);
		TB_REQUIRE(hx_store_set_target_facts(st, 1, "m-5", &mf, err, sizeof err) == 0);
		hx_store_close(st);
	}
	TB_REQUIRE(rep_set_add_store(s, "closeq/results.db", "runs/closeq", -1, err, sizeof err) == 0);
	dat = render(rep_write_markdown, s, &o);
	TB_CHECK(dat && strstr(dat, "| m-5 | 57.2 MiB |") != NULL);
	free(dat);
	TB_REQUIRE(rep_charts_write(s, &o, "closeq/charts", &n_charts, warn, sizeof warn, err,
		sizeof err) == 0);
	rep_set_free(s);
	TB_REQUIRE((dat = slurp("closeq/charts/accuracy_by_quant.dat")) != NULL);
	/* Q4_K_S and Q4_K_M: both 4.5 bpw (nominal) and 50 %, one spot */
	TB_REQUIRE((lab = strstr(dat, "# labels")) != NULL);
	f = fmemopen(lab, strlen(lab), "r");
	TB_REQUIRE(f && fgets(line, sizeof line, f));
	while (k < 3 && fgets(line, sizeof line, f)) {
		double x, y;
		char q[16];
		if (sscanf(line, "%lf %lf \"%15[^\"]\" %d", &x, &y, q, &place[k]) == 4)
			k++;
	}
	fclose(f);
	TB_CHECK_INT(k, 3);
	TB_CHECK(place[0] >= 0 && place[1] >= 0 && place[2] >= 0);
	TB_CHECK(place[0] != place[1] || place[1] != place[2]);
	free(dat);
	TB_REQUIRE((dat = slurp("closeq/charts/accuracy_by_quant.gp")) != NULL);
	TB_CHECK(strstr(dat, "set xrange [") && strstr(dat, "($4 == 1 ? $2 : 1/0)"));
	free(dat);
}

static void test_weights_option_is_checked(void)
{
	rep_set *s = golden_set();
	rep_opts o;
	char err[256] = "";
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	TB_REQUIRE(s);
	rep_opts_default(&o);
	o.weights = "gsm8k=1,bogus=2";
	f = open_memstream(&buf, &len);
	TB_CHECK(rep_write_markdown(f, s, &o, err, sizeof err) == REP_EINVAL);
	TB_CHECK(strstr(err, "bogus") != NULL);
	o.weights = "gsm8k=x";
	TB_CHECK(rep_write_json(f, s, &o, err, sizeof err) == REP_EINVAL);
	TB_CHECK(strstr(err, "gsm8k") != NULL);
	o.weights = "gsm8k=0,needle=1";
	TB_CHECK(rep_write_csv(f, s, &o, err, sizeof err) == 0);
	fclose(f);
	free(buf);
	rep_set_free(s);
}

/* ---------------------------------------------------------------- compare */

static int compare_runs(const planted *base, size_t nb, const planted *cand, size_t nc,
	double max_drop, char **out)
{
	static const char spec[] = "{\"name\":\"cmp\",\"targets\":[{\"id\":\"m\",\"provider\":\"samples\","
		"\"model\":\"m.jsonl\",\"quant\":\"Q4_K_M\"}],\"suites\":[{\"name\":\"gsm8k\"}]}";
	rep_set *b = rep_set_new(), *c = rep_set_new();
	rep_compare_opts o;
	char err[256];
	size_t len = 0;
	int reg = -1;
	FILE *f = open_memstream(out, &len);
	if (write_run("base", spec, base, nb) || write_run("cand", spec, cand, nc) ||
	    rep_set_add_store(b, "base/results.db", "base", -1, err, sizeof err) ||
	    rep_set_add_store(c, "cand/results.db", "cand", -1, err, sizeof err))
		reg = -2;
	rep_compare_opts_default(&o);
	o.max_drop_pct = max_drop;
	if (reg == -1 && rep_compare(f, b, c, &o, &reg, err, sizeof err))
		reg = -3;
	fclose(f);
	rep_set_free(b);
	rep_set_free(c);
	return reg;
}

static void test_compare_flags_planted_drop_and_not_noise(void)
{
	static planted b[100], c[100];
	static char ids[100][8];
	char *out = NULL;
	for (int i = 0; i < 100; i++) {
		snprintf(ids[i], sizeof ids[i], "%02d", i);
		b[i] = (planted){ "m", "gsm8k", ids[i], i < 80, -1, -1, 0, 0, 0, 0, 0, NULL, NULL };
		/* planted drop: 20 items the base solved now fail, 2 gained */
		c[i] = b[i];
		if (i < 20)
			c[i].score = 0;
		if (i == 90 || i == 91)
			c[i].score = 1;
	}
	TB_CHECK(compare_runs(b, 100, c, 100, 0, &out) == 1);
	TB_CHECK(out && strstr(out, "regression") && strstr(out, "`00`"));
	free(out);
	out = NULL;
	/* the same drop is allowed with --max-drop 25 */
	TB_CHECK(compare_runs(b, 100, c, 100, 25, &out) == 0);
	free(out);
	out = NULL;
	/* noise: 3 lost, 3 gained */
	for (int i = 0; i < 100; i++)
		c[i] = b[i];
	c[0].score = c[1].score = c[2].score = 0;
	c[90].score = c[91].score = c[92].score = 1;
	TB_CHECK(compare_runs(b, 100, c, 100, 0, &out) == 0);
	TB_CHECK(out && strstr(out, "no significant"));
	free(out);
}

/* ---------------------------------------------------------------- bad input */

static void test_bad_stores_give_one_line_errors(void)
{
	char err[256] = "";
	rep_set *s = rep_set_new();
	FILE *f;
	TB_CHECK(rep_set_add_store(s, "missing/results.db", "x", -1, err, sizeof err) == REP_ESTORE);
	TB_CHECK(strstr(err, "missing/results.db") && !strchr(err, '\n'));
	f = fopen("junk.db", "w");
	TB_REQUIRE(f);
	fputs("this is not a database, just text\n", f);
	fclose(f);
	TB_CHECK(rep_set_add_store(s, "junk.db", "x", -1, err, sizeof err) == REP_ESTORE);
	TB_CHECK(strstr(err, "junk.db") != NULL);
	TB_REQUIRE(write_run("cost", cost_spec, NULL, 0) == 0);
	TB_CHECK(rep_set_add_store(s, "cost/results.db", "x", 99, err, sizeof err) == REP_EINVAL);
	TB_CHECK(strstr(err, "run 99") != NULL);
	unlink("junk.db");
	/* a store from a newer tierbench is refused, naming both versions */
	TB_CHECK(REP_STORE_SCHEMA_VERSION == HX_STORE_SCHEMA_VERSION);
	{
		sqlite3 *db;
		TB_REQUIRE(sqlite3_open("cost/results.db", &db) == SQLITE_OK);
		TB_CHECK(sqlite3_exec(db, "PRAGMA user_version = 42", NULL, NULL, NULL) == SQLITE_OK);
		sqlite3_close(db);
		TB_CHECK(rep_set_add_store(s, "cost/results.db", "x", -1, err, sizeof err) == REP_ESTORE);
		TB_CHECK(strstr(err, "schema version 42 is newer") != NULL);
	}
	rep_set_free(s);
}

/* Stored gaps give the ITL and TPOT percentiles and a streaming-latency table. */
static void test_stored_gaps_give_itl_and_tpot_percentiles(void)
{
	static const planted p[] = {
		{ "api", "gsm8k", "1", 1, 50, 500, 0, 100, 50, 0, 0, NULL, NULL },
		{ "api", "gsm8k", "2", 0, 50, 500, 0, 100, 50, 0, 0, NULL, NULL },
		{ "box", "gsm8k", "1", 1, 999.99, 1000, 0, 100, 120, 0, 0, NULL, NULL },
	};
	char err[256];
	rep_set *s = rep_set_new();
	sqlite3 *db;
	const rep_ts *ts;
	char *md, *js;
	TB_REQUIRE(write_run("itl", cost_spec, p, 3) == 0);
	TB_REQUIRE(sqlite3_open("itl/results.db", &db) == SQLITE_OK);
	TB_REQUIRE(sqlite3_exec(db, "UPDATE samples SET itl_json = '[10,20]' WHERE item = '1' AND target = 'api';"
		"UPDATE samples SET itl_json = '[30,40]' WHERE item = '2' AND target = 'api'", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	TB_REQUIRE(rep_set_add_store(s, "itl/results.db", "runs/itl", -1, err, sizeof err) == 0);
	md = render(rep_write_markdown, s, NULL);
	js = render(rep_write_json, s, NULL);
	TB_REQUIRE((ts = rep_set_find_ts(s, 1, "gsm8k")) != NULL);
	TB_CHECK_INT(ts->n_itl, 4);
	TB_CHECK_NEAR(ts->itl_p50, 25, 1e-9);
	TB_CHECK_NEAR(ts->itl_p90, 37, 1e-9);
	TB_CHECK_NEAR(ts->tpot_p50, 450.0 / 49, 1e-9);
	/* decode rate: 2 x 49 tokens after the first over 2 x 450 ms */
	TB_CHECK_NEAR(ts->out_tps, 98 / 0.9, 1e-9);
	/* box did not stream (no gaps): its TTFT is its end, no generation interval to divide by */
	TB_REQUIRE((ts = rep_set_find_ts(s, 0, "gsm8k")) != NULL);
	TB_CHECK(isnan(ts->out_tps));
	TB_CHECK(md && strstr(md, "Streaming latency") && strstr(md, "ITL p99 ms"));
	TB_CHECK(js && strstr(js, "\"itl_p50_ms\":\t25"));
	{
		char warn[256], *gp;
		int n_charts;
		rep_opts o;
		rep_opts_default(&o);
		TB_REQUIRE(rep_charts_write(s, &o, "itl/charts", &n_charts, warn, sizeof warn, err,
			sizeof err) == 0);
		TB_REQUIRE((gp = slurp("itl/charts/itl.gp")) != NULL);
		TB_CHECK(strstr(gp, "set ylabel \"fraction of inter-token gaps (CDF)\"") != NULL);
		free(gp);
	}
	free(md);
	free(js);
	rep_set_free(s);
}

/* A coding run with 20 samples per item (humaneval) and one with 4 (mbpp): pass@k as worked out
 * by hand from 1 - C(n-c, k) / C(n, k). humaneval, c = 0, 2, 20, 5 of 20: pass@1 = (0 + 0.1 +
 * 1 + 0.25) / 4 = 0.3375; pass@10 = (0 + (1 - 43758/184756) + 1 + (1 - 3003/184756)) / 4 =
 * (0 + 0.7631579 + 1 + 0.9837461) / 4 = 0.6867260; no pass@100 (k > 20). mbpp, c = 1, 4 of 4:
 * pass@1 = (0.25 + 1) / 2 = 0.625 and nothing else. */
static void test_pass_at_k_of_coding_suites_in_every_format_and_the_run_summary(void)
{
	static const char spec[] = "{\"name\":\"code\",\"targets\":[{\"id\":\"coder\","
		"\"provider\":\"samples\",\"model\":\"c.jsonl\"}],\"suites\":[{\"name\":"
		"\"humaneval\",\"samples\":20},{\"name\":\"mbpp\",\"samples\":4}]}";
	static const int he_c[4] = { 0, 2, 20, 5 }, mb_c[2] = { 1, 4 };
	static planted p[100];
	static char ids[6][32];
	size_t n = 0;
	rep_set *set;
	rep_opts o;
	char err[256], *md, *csv, *js, *html;
	cJSON *doc, *res, *it;
	int seen = 0;
	for (int i = 0; i < 6; i++) {
		int he = i < 4, c = he ? he_c[i] : mb_c[i - 4], ns = he ? 20 : 4;
		snprintf(ids[i], sizeof ids[i], "%s/%d", he ? "HumanEval" : "Mbpp", i);
		for (int k = 0; k < ns; k++) {
			planted *x = &p[n++];
			x->target = "coder";
			x->suite = he ? "humaneval" : "mbpp";
			x->item = ids[i];
			x->sample = k;
			x->metric = "pass";
			x->score = k < c;
			x->tin = 100;
			x->tout = 50;
			x->ttft = 10;
			x->lat = 100;
		}
	}
	TB_REQUIRE(write_run("code", spec, p, n) == 0);
	TB_REQUIRE((set = rep_set_new()) != NULL);
	TB_REQUIRE(rep_set_add_store(set, "code/results.db", "runs/code", -1, err, sizeof err) == 0);
	rep_opts_default(&o);
	md = render(rep_write_markdown, set, &o);
	csv = render(rep_write_csv, set, &o);
	js = render(rep_write_json, set, &o);
	html = render(rep_write_html, set, &o);
	TB_REQUIRE(md && csv && js && html);
	/* Markdown / HTML: the pass@k table, "–" where k > samples per item. */
	TB_CHECK(strstr(md, "| coder | humaneval | 4 | 20 | 33.8 | 68.7 | – |") != NULL ||
		 strstr(md, "| coder | humaneval | 4 | 20 | 33.7 | 68.7 | – |") != NULL);
	TB_CHECK(strstr(md, "| coder | mbpp | 2 | 4 | 62.5 | – | – |") != NULL);
	TB_CHECK(strstr(html, "pass@10 %") != NULL && strstr(html, "68.7") != NULL);
	/* CSV: the three columns, empty where k > n. */
	TB_CHECK(strstr(csv, ",pass_at_1,pass_at_10,pass_at_100,kind\n") != NULL);
	TB_CHECK(strstr(csv, ",0.3375,0.686726,,api\n") != NULL);
	TB_CHECK(strstr(csv, ",0.625,,,api\n") != NULL);
	/* JSON: only the k <= samples per item. */
	TB_REQUIRE((doc = cJSON_Parse(js)) != NULL);
	res = cJSON_GetObjectItem(doc, "results");
	cJSON_ArrayForEach(it, res) {
		const char *su = cJSON_GetObjectItem(it, "suite")->valuestring;
		cJSON *pk = cJSON_GetObjectItem(it, "pass_at_k");
		TB_REQUIRE(pk != NULL);
		if (strcmp(su, "humaneval") == 0) {
			TB_CHECK_NEAR(cJSON_GetObjectItem(pk, "1")->valuedouble, 0.3375, 1e-9);
			TB_CHECK_NEAR(cJSON_GetObjectItem(pk, "10")->valuedouble,
				      (0 + (1 - 43758.0 / 184756) + 1 + (1 - 3003.0 / 184756)) / 4, 1e-9);
			TB_CHECK(cJSON_GetObjectItem(pk, "100") == NULL);
			TB_CHECK_INT(cJSON_GetObjectItem(it, "samples_per_item")->valueint, 20);
			seen++;
		} else {
			TB_CHECK_NEAR(cJSON_GetObjectItem(pk, "1")->valuedouble, 0.625, 1e-9);
			TB_CHECK(cJSON_GetObjectItem(pk, "10") == NULL);
			seen++;
		}
	}
	TB_CHECK_INT(seen, 2);
	cJSON_Delete(doc);
	/* The run-end summary is written by the same code from the same set: the same pass@k, no
	 * pass@100 where items have 20 samples. */
	{
		char *sum = render_summary(set);
		TB_REQUIRE(sum != NULL);
		TB_CHECK(strstr(sum, "pass@1 33.8 %  pass@10 68.7 %\n") != NULL);
		TB_CHECK(strstr(sum, "pass@1 62.5 %\n") != NULL);
		TB_CHECK(strstr(sum, "pass@100") == NULL);
		free(sum);
	}
	free(md);
	free(csv);
	free(js);
	free(html);
	rep_set_free(set);
}

/* A quantisation sweep's report: the base and a variant measured on 20 pass/fail items (the
 * variant loses 10, gains none), two quality windows whose log-probabilities are in the store,
 * and an API known only by its list price. The price-only row is in the cost and break-even
 * tables of every format, marked, and nowhere else; the verdict table calls the variant a
 * regression (McNemar, b = 10, c = 0: p = 2 / 1024); the quality table gives the figures worked
 * out by hand below and the verdict words. */
static void test_price_only_rows_quality_and_verdicts_in_every_format(void)
{
	static const char spec[] = "{\"name\":\"sweep\",\"targets\":["
		"{\"id\":\"base\",\"provider\":\"local\",\"model\":\"m/tiny.gguf\",\"quant\":\"F32\","
		" \"hardware\":{\"kind\":\"self-hosted\",\"cost_per_hour\":0.05}},"
		"{\"id\":\"Q2_K\",\"provider\":\"local\",\"model\":\"m/tiny-Q2_K.gguf\",\"quant\":\"Q2_K\","
		" \"hardware\":{\"kind\":\"self-hosted\",\"cost_per_hour\":0.05}}],"
		"\"suites\":[{\"name\":\"gsm8k\"},{\"name\":\"quality\",\"weight\":0}]}";
	/* One scored token a window, 8 stored entries (the divergence uses all the baseline's):
	 * the base gives the text token p = 0.5 and is sure of it (token 5: 0.5, token 6: 0.25); the
	 * variant gives it 0.25 and prefers token 6. PPL 2 against 4, ratio 2; KL = 0.5 ln(0.5/0.25)
	 * + 0.25 ln(0.25/0.5) + 0.25 ln(0.25/0.25) = 0.25 ln 2 = 0.173287 nats each token; same top
	 * 0 %; RMS dp 25 %. */
	static const char lp_base[] = "{\"lp\":[-0.693147181],\"id\":[[5,6,-1,-1,-1,-1,-1,-1]],"
		"\"tlp\":[[-0.693147181,-1.38629436,null,null,null,null,null,null]]}";
	static const char lp_q2[] = "{\"lp\":[-1.38629436],\"id\":[[6,5,-1,-1,-1,-1,-1,-1]],"
		"\"tlp\":[[-0.693147181,-1.38629436,null,null,null,null,null,null]]}";
	static planted p[44];
	static char ids[20][16];
	rep_set *s;
	rep_opts o;
	char err[256], *md, *csv, *js, *html;
	cJSON *doc, *e;
	int price_rows = 0, regress = 0;
	for (int i = 0; i < 20; i++) {
		snprintf(ids[i], sizeof ids[i], "%d", i);
		for (int t = 0; t < 2; t++) {
			planted *x = &p[2 * i + t];
			x->target = t ? "Q2_K" : "base";
			x->suite = "gsm8k";
			x->item = ids[i];
			x->score = t == 0 || i >= 10;
			x->tin = 100;
			x->tout = 20;
			x->ttft = 10;
			x->lat = 110;
		}
	}
	for (int k = 0; k < 4; k++) {
		planted *x = &p[40 + k];
		x->target = k & 1 ? "Q2_K" : "base";
		x->suite = "quality";
		x->item = k < 2 ? "ctx64/w00000" : "ctx64/w00001";
		x->metric = "top1";
		x->score = !(k & 1);
		x->tin = 64;
		x->lat = 5;
		x->logprobs = k & 1 ? lp_q2 : lp_base;
	}
	TB_REQUIRE(write_run("sweep", spec, p, 44) == 0);
	TB_REQUIRE((s = rep_set_new()) != NULL);
	TB_CHECK(rep_set_add_price_only(s, "openai/gpt-4o-mini", "openai", "gpt-4o-mini", 0.15, 0.6,
		"2026-11-05", err, sizeof err) == REP_EINVAL);   /* no run yet */
	TB_REQUIRE(rep_set_add_store(s, "sweep/results.db", "runs/sweep", -1, err, sizeof err) == 0);
	TB_REQUIRE(rep_set_add_price_only(s, "openai/gpt-4o-mini", "openai", "gpt-4o-mini", 0.15, 0.6,
		"2026-11-05", err, sizeof err) == 0);
	TB_CHECK(rep_set_add_price_only(s, "base", "openai", "x", 1, 1, NULL, err, sizeof err) == REP_EINVAL &&
		strstr(err, "base") != NULL);
	rep_opts_default(&o);
	o.verdict_base = "base";
	md = render(rep_write_markdown, s, &o);
	csv = render(rep_write_csv, s, &o);
	js = render(rep_write_json, s, &o);
	html = render(rep_write_html, s, &o);
	TB_REQUIRE(md && csv && js && html);
	/* Markdown / HTML: the marked cost row, its break-even against the self-hosted targets. */
	TB_CHECK(strstr(md, "| openai/gpt-4o-mini | API, price only, not measured; as of 2026-11-05 | "
		"0.1500 | 0.6000 | 0.2625 | – |") != NULL);
	TB_CHECK(strstr(md, "| base | openai/gpt-4o-mini | 0.2625 |") != NULL);
	TB_CHECK(strstr(md, "Price only, not measured: ") != NULL);
	TB_CHECK(strstr(html, "API, price only, not measured; as of 2026-11-05") != NULL);
	/* ... and nowhere else: not in the results, quantisation or tier tables before the cost table,
	 * nor in the hardware table after it; the decision summary names its list price apart from
	 * the measured cost winner */
	TB_CHECK(strstr(md, "list price of openai/gpt-4o-mini (price only, not measured): $26.25 / "
		"month") != NULL);
	TB_CHECK(strstr(strstr(md, "## Results per target"), "gpt") ==
		strstr(md, "| openai/gpt-4o-mini | API") + 9);
	TB_CHECK(strstr(strstr(md, "## Hardware"), "gpt") == NULL);
	/* quality: ratio 2, KLD 0.17: a large loss; the baseline is marked */
	TB_CHECK(strstr(md, "## Quality: perplexity and divergence from the baseline") != NULL);
	TB_CHECK(strstr(md, "| base | F32 | 2.0000 | 0.0000 | 1 (baseline) | – | – | – | – | – | baseline |") != NULL);
	TB_CHECK(strstr(md, "| Q2\\_K | Q2\\_K | 4.0000 | 0.0000 | 2.0000 | 0.17329 | 0.17329 | 0.17329 | "
		"0.00 | 25.000 | large loss |") != NULL);
	TB_CHECK(strcmp(rep_quality_verdict(1.005, 0.005), "same as base") == 0);
	TB_CHECK(strcmp(rep_quality_verdict(1.04, 0.04), "small loss") == 0);
	TB_CHECK(strcmp(rep_quality_verdict(1.10, 0.01), "clear loss") == 0);
	/* verdicts: 10 lost, none gained, p = 0.0020 */
	TB_CHECK(strstr(md, "## Verdicts against base") != NULL);
	TB_CHECK(strstr(md, "| Q2\\_K | gsm8k | 20 | 100.0 | 50.0 | -50.0 |") != NULL);
	TB_CHECK(strstr(md, "| 0.0020 | McNemar | 10 | 0 | regression |") != NULL);
	TB_CHECK(strstr(md, "| Q2\\_K | all suites | – | – | – | – | – | – | – | – | – | REGRESSION |") != NULL);
	/* CSV: one row for the price-only target, marked, with its prices */
	TB_CHECK(strstr(csv, "\n,openai/gpt-4o-mini,openai,gpt-4o-mini,gpt-4o-mini,,,,,") != NULL);
	TB_CHECK(strstr(csv, ",0.15,0.6,0.2625,26.25,,,,\"price only, not measured\"\n") != NULL);
	TB_CHECK(strstr(csv, ",self-hosted\n") != NULL);
	/* JSON: the cost entry marked, the quality figures, the verdicts */
	TB_REQUIRE((doc = cJSON_Parse(js)) != NULL);
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "cost"), "targets"))
		if (cJSON_IsTrue(cJSON_GetObjectItem(e, "price_only"))) {
			price_rows++;
			TB_CHECK(strcmp(cJSON_GetObjectItem(e, "as_of")->valuestring, "2026-11-05") == 0);
			TB_CHECK_NEAR(cJSON_GetObjectItem(e, "usd_per_mtok_blended")->valuedouble, 0.2625, 1e-9);
		}
	TB_CHECK_INT(price_rows, 1);
	TB_CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "quality")), 2);
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "verdicts"))
		regress += strcmp(cJSON_GetObjectItem(e, "suite")->valuestring, "all suites") == 0 &&
			strcmp(cJSON_GetObjectItem(e, "verdict")->valuestring, "REGRESSION") == 0;
	TB_CHECK_INT(regress, 1);
	cJSON_Delete(doc);
	/* an unknown base is refused with a line naming it */
	o.verdict_base = "nope";
	TB_CHECK(rep_write_markdown(stdout, s, &o, err, sizeof err) == REP_EINVAL && strstr(err, "nope"));
	free(md);
	free(csv);
	free(js);
	free(html);
	rep_set_free(s);
}

static void test_empty_run_renders_with_dashes(void)
{
	char err[256];
	rep_set *s = rep_set_new();
	char *md, *js;
	TB_REQUIRE(write_run("cost", cost_spec, NULL, 0) == 0);
	TB_REQUIRE(rep_set_add_store(s, "cost/results.db", "x", -1, err, sizeof err) == 0);
	md = render(rep_write_markdown, s, NULL);
	js = render(rep_write_json, s, NULL);
	TB_CHECK(md && strstr(md, "Nothing to show"));
	TB_CHECK(js && strstr(js, "\"results\":\t[]"));
	free(md);
	free(js);
	rep_set_free(s);
}

/* ---------------------------------------------------------------- hardware fit */

/* Predicted rows (docs/fit.md) appear beside each local target's measured row, and --fits-on
 * ranks only the targets predicted to fit there. */
static void test_fit_rows_show_beside_measured_rows_and_filter_the_tiers(void)
{
	static const rep_fit_row rows[] = {
		{ "llama-q8", "rtx-4090", "Q8_0", 1, 1, 900, 40.5, 0.41, 0.12 },
		{ "llama-q4", "rtx-4090", "Q4_K_M", 1, 1, 950, 61.2, 0.27, 0.08 },
		{ "llama-q2", "rtx-4090", "Q2_K", 0, 8, NAN, NAN, NAN, NAN },
		{ "llama-q2", "h100-sxm", "Q2_K", 1, 1, 3000, 150.0, 0.30, NAN },
	};
	rep_set *s = golden_set();
	rep_opts o;
	rep_analysis a;
	char err[256], *md;
	TB_REQUIRE(s);
	rep_opts_default(&o);
	o.fit_rows = rows;
	o.n_fit_rows = 4;
	o.fits_on = "rtx-4090";
	TB_REQUIRE(rep_analysis_build(s, &o, &a, err, sizeof err) == 0);
	TB_CHECK_INT(a.tiers[0].n, 2);   /* q2 does not fit, the API has no row */
	for (size_t i = 0; i < a.tiers[0].n; i++)
		TB_CHECK(strcmp(s->targets[a.tiers[0].rows[i].target].id, "llama-q2") != 0);
	rep_analysis_release(&a);
	TB_REQUIRE((md = render(rep_write_markdown, s, &o)) != NULL);
	TB_CHECK(strstr(md, "## Hardware fit") != NULL);
	TB_CHECK(strstr(md, "| predicted | rtx-4090 | Q4\\_K\\_M | yes | 1 | 950 | 61.2 |") != NULL);
	TB_CHECK(strstr(md, "| predicted | rtx-4090 | Q2\\_K | no | 8 | – | – |") != NULL);
	TB_CHECK(strstr(md, "| measured |") != NULL);
	TB_CHECK(strstr(md, "Only targets predicted to fit on rtx-4090 are ranked.") != NULL);
	free(md);
	o.fits_on = NULL;
	o.n_fit_rows = 0;
	TB_REQUIRE((md = render(rep_write_markdown, s, &o)) != NULL);
	TB_CHECK(strstr(md, "Hardware fit") == NULL);   /* nothing predicted: no table */
	free(md);
	rep_set_free(s);
}

int main(void)
{
	char scratch[] = "/tmp/tb_rep_XXXXXX", cmd[64];
	int rc;
	if (!getcwd(root, sizeof root) || !mkdtemp(scratch) || chdir(scratch) != 0) {
		printf("cannot make a scratch folder\n");
		return 1;
	}
	TB_RUN(test_wilson_matches_hand_computed_interval);
	TB_RUN(test_mcnemar_exact_is_the_doubled_binomial_tail);
	TB_RUN(test_paired_bootstrap_is_seeded_and_exact_for_constant_differences);
	TB_RUN(test_tier_rule_joins_first_leader_not_significantly_better);
	TB_RUN(test_cost_arithmetic_matches_hand_computed_numbers);
	TB_RUN(test_cost_table_from_a_store_matches_hand_computed_numbers);
	TB_RUN(test_golden_store_renders_expected_markdown_csv_json);
	TB_RUN(test_golden_tiers_and_quant_deltas_follow_the_planted_levels);
	TB_RUN(test_weights_option_is_checked);
	TB_RUN(test_charts_place_labels_apart_and_name_files_by_target);
	TB_RUN(test_charts_draw_a_grid_map_for_items_that_name_grid_cells);
	TB_RUN(test_decision_summary_opens_the_report);
	TB_RUN(test_overall_is_a_weighted_mean_with_a_bounded_interval);
	TB_RUN(test_compare_flags_planted_drop_and_not_noise);
	TB_RUN(test_bad_stores_give_one_line_errors);
	TB_RUN(test_pass_at_k_of_coding_suites_in_every_format_and_the_run_summary);
	TB_RUN(test_price_only_rows_quality_and_verdicts_in_every_format);
	TB_RUN(test_run_summary_interval_holds_a_partial_credit_mean);
	TB_RUN(test_empty_run_renders_with_dashes);
	TB_RUN(test_stored_gaps_give_itl_and_tpot_percentiles);
	TB_RUN(test_fit_rows_show_beside_measured_rows_and_filter_the_tiers);
	rc = tb_test_end();
	if (getenv("TB_KEEP_SCRATCH"))
		printf("scratch kept: %s\n", scratch);
	else if (chdir(root) == 0) {
		snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
		if (system(cmd) != 0)
			printf("could not remove %s\n", scratch);
	}
	return rc;
}
