/* tests/suites/test_quality.c — the quality suite end to end: windows of the text scored through
 * the local provider's log-probability requests, stored by a run, and turned into perplexity and
 * divergence by reports/quality.c. The figures must equal, number for number, those of the
 * measurement the project made before quality became a suite (reimplemented here as the
 * reference: one engine context per window, full-vocabulary log-softmax, KL over the baseline's
 * top 128 against the model's top 128), and the divergence must be within 5 % of the exact
 * full-vocabulary KL. Also the suite's windows with and without a tokenizer and its refusals.
 * Model tests skip without the shared stories260K. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "engine/engine.h"
#include "harness/harness.h"
#include "reports/report.h"
#include "suites/suite.h"

static char tmpdir[64];
static char model[512];

static int have_model(void)
{
	const char *sh = tb_shared_dir();

	if (!sh)
		return 0;
	snprintf(model, sizeof model, "%s/models/stories260K.gguf", sh);
	return access(model, R_OK) == 0;
}

/* ------------------------------------------------------------------ the reference */

/* The entries the suite stores per scored position by default (8 x its top_k of 16). */
#define REF_K 128

typedef struct ref_out {
	double ppl, ppl_err, kld_mean, kld_median, kld_p99, same_top, rms_dp;
	double kld_full;   /* the exact KL over the whole vocabulary */
	long n;
} ref_out;

typedef struct ref_pos {
	float lp_next;
	int32_t top[REF_K];
	float top_lp[REF_K];
	int best;
} ref_pos;

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Per scored position of the built-in text in windows of n_ctx (BOS first in each), the next
 * token's log-probability, the top REF_K and the argmax, plus every position's full log-softmax
 * (into *full, [n][n_vocab]). Returns the count of positions, or -1. */
static long ref_scan(const char *path, int n_ctx, ref_pos **out, float **full, int *n_vocab)
{
	eng_opts eo = eng_opts_default();
	eng_ctx_params cp = eng_ctx_params_default();
	eng_model *m;
	eng_ctx *c;
	char err[256], *text = NULL;
	int32_t *toks, *pos;
	int8_t *want;
	long n_tok, n_chunk, n = 0;
	int first = n_ctx / 2, nv, bos;
	FILE *f;
	size_t len;

	if (!(m = eng_load(path, &eo, err, sizeof err)))
		return -1;
	nv = eng_n_vocab(m);
	bos = eng_token_bos(m);
	*n_vocab = nv;
	{
			/* the text: written out by main into tmpdir/text.txt */
		char tp[128];
		snprintf(tp, sizeof tp, "%s/text.txt", tmpdir);
		f = fopen(tp, "rb");
		fseek(f, 0, SEEK_END);
		len = (size_t)ftell(f);
		fseek(f, 0, SEEK_SET);
		text = malloc(len + 1);
		if (fread(text, 1, len, f) != len)
			len = 0;
		text[len] = 0;
		fclose(f);
	}
	n_tok = eng_tokenize(m, text, len, 1, 0, NULL, 0);
	toks = malloc(sizeof *toks * (size_t)(n_tok + 1));
	eng_tokenize(m, text, len, 1, 0, toks, (int)n_tok + 1);
	n_chunk = n_tok / n_ctx;
	cp.n_ctx = cp.n_batch = cp.n_outputs = n_ctx;
	cp.kv_type = ENG_KV_F32;
	c = eng_ctx_new(m, &cp, err, sizeof err);
	pos = malloc(sizeof *pos * (size_t)n_ctx);
	want = malloc((size_t)n_ctx);
	*out = calloc((size_t)(n_chunk * n_ctx), sizeof **out);
	*full = malloc(sizeof **full * (size_t)(n_chunk * n_ctx) * (size_t)nv);
	for (int i = 0; i < n_ctx; i++) {
		pos[i] = i;
		want[i] = i >= first;
	}
	for (long ch = 0; ch < n_chunk; ch++) {
		int32_t *t = toks + ch * n_ctx, saved = t[0];
		eng_batch b = { n_ctx, t, pos, NULL, want };
		if (bos >= 0)
			t[0] = bos;
		eng_kv_remove(c, -1, 0, -1);
		if (eng_decode(c, &b))
			return -1;
		t[0] = saved;
		for (int j = first; j < n_ctx - 1; j++) {
			const float *lg = eng_logits(c, j);
			float *lp = *full + (size_t)n * (size_t)nv;
			ref_pos *r = &(*out)[n];
			double mx = -INFINITY, sum = 0, lse;
			int k = 0;
			for (int v = 0; v < nv; v++)
				mx = lg[v] > mx ? lg[v] : mx;
			for (int v = 0; v < nv; v++)
				sum += exp((double)lg[v] - mx);
			lse = mx + log(sum);
			for (int v = 0; v < nv; v++)
				lp[v] = (float)((double)lg[v] - lse);
			r->lp_next = lp[t[j + 1]];
			r->best = 0;
			for (int v = 1; v < nv; v++)
				if (lp[v] > lp[r->best])
					r->best = v;
			/* top REF_K, descending, first of equals first */
			for (int v = 0; v < nv; v++) {
				int q;
				if (k == REF_K && lp[v] <= lp[r->top[REF_K - 1]])
					continue;
				q = k < REF_K ? k++ : REF_K - 1;
				while (q > 0 && lp[r->top[q - 1]] < lp[v]) {
					r->top[q] = r->top[q - 1];
					q--;
				}
				r->top[q] = v;
			}
			for (int q = 0; q < REF_K; q++)
				r->top_lp[q] = lp[r->top[q]];
			n++;
		}
	}
	free(pos);
	free(want);
	free(toks);
	free(text);
	eng_ctx_free(c);
	eng_model_free(m);
	return n;
}

/* x's log-probability of id at a position: among its top REF_K, else its smallest of them. */
static double ref_cand(const ref_pos *x, int32_t id)
{
	for (int k = 0; k < REF_K; k++)
		if (x->top[k] == id)
			return x->top_lp[k];
	return x->top_lp[REF_K - 1];
}

/* The figures of x against baseline b (NULL: perplexity alone): KL over b's top REF_K, each
 * id's probability in x its top-REF_K entry or the smallest of them, the rest as one bucket;
 * and the exact full-vocabulary KL from both distributions (bfull). */
static void ref_figures(const ref_pos *x, const float *xfull, int nv, long n, const ref_pos *b,
	const float *bfull, ref_out *o)
{
	double nll = 0, nll2 = 0, dp2 = 0, s = 0, full = 0, *kl = malloc(sizeof *kl * (size_t)n);
	long same = 0;
	for (long i = 0; i < n; i++) {
		nll -= x[i].lp_next;
		nll2 += (double)x[i].lp_next * x[i].lp_next;
		if (b) {
			const float *q = xfull + (size_t)i * (size_t)nv, *pf = bfull + (size_t)i * (size_t)nv;
			double p_in = 0, q_in = 0, d = 0, pr, qr, dp;
			for (int k = 0; k < REF_K; k++) {
				double p = exp((double)b[i].top_lp[k]), lq = ref_cand(&x[i], b[i].top[k]);
				p_in += p;
				q_in += exp(lq);
				d += p * ((double)b[i].top_lp[k] - lq);
			}
			for (int v = 0; v < nv; v++)
				full += exp((double)pf[v]) * ((double)pf[v] - (double)q[v]);
			pr = 1.0 - p_in;
			qr = 1.0 - q_in;
			if (pr > 1e-12 && qr > 1e-12)
				d += pr * log(pr / qr);
			kl[i] = d > 0 ? d : 0;
			same += x[i].best == b[i].top[0];
			dp = exp((double)x[i].lp_next) - exp((double)b[i].lp_next);
			dp2 += dp * dp;
		}
	}
	{
		double mean = nll / (double)n, var = nll2 / (double)n - mean * mean;
		o->ppl = exp(mean);
		o->ppl_err = o->ppl * sqrt(var / (double)(n - 1));
	}
	o->n = n;
	if (b) {
		for (long i = 0; i < n; i++)
			s += kl[i];
		qsort(kl, (size_t)n, sizeof *kl, cmp_d);
		o->kld_mean = s / (double)n;
		o->kld_full = full / (double)n;
		o->kld_median = kl[n / 2];
		o->kld_p99 = kl[(size_t)((double)(n - 1) * 0.99)];
		o->same_top = (double)same / (double)n;
		o->rms_dp = sqrt(dp2 / (double)n);
	}
	free(kl);
}

/* ------------------------------------------------------------------ the suite through a run */

/* Runs the quality suite (window 128) on base and the given variants into tmpdir/run. */
static int run_quality(const char *const *paths, const char *const *ids, int n)
{
	hx_spec *spec = hx_spec_new();
	hx_run_opts ro;
	hx_run_summary sum;
	hx_suite_spec *ss;
	char dir[128], text[128], err[1024];
	FILE *devnull = fopen("/dev/null", "w");
	int rc;

	snprintf(dir, sizeof dir, "%s/run", tmpdir);
	snprintf(text, sizeof text, "%s/text.txt", tmpdir);
	for (int i = 0; i < n; i++) {
		hx_target_spec *t = hx_spec_add_target(spec, "local", paths[i]);
		free(t->id);
		t->id = strdup(ids[i]);
		/* two windows in flight at once, and more scored positions than one decode gives a
		 * request: the figures must not depend on how the provider batches */
		t->options_json = strdup("{\"n_ctx\": 256, \"kv_type\": \"f32\", \"n_parallel\": 2, "
			"\"n_batch\": 96}");
	}
	ss = hx_spec_add_suite(spec, "quality");
	ss->dataset = strdup(text);
	if (!ss || hx_suite_spec_option_set(ss, "window", "128") != 0)
		return -1;
	memset(&ro, 0, sizeof ro);
	ro.out_dir = dir;
	ro.quiet = 1;
	ro.log = devnull;
	rc = hx_run(spec, &ro, &sum, err, sizeof err);
	if (rc)
		printf("  run: %s\n", err);
	else if (sum.n_scored + sum.n_skipped != sum.n_planned) {
		printf("  run: %ld of %ld windows scored: %s\n", sum.n_scored, sum.n_planned,
			sum.first_err[2][0] ? sum.first_err[2] : sum.first_err[4]);
		rc = -1;
	}
	fclose(devnull);
	hx_spec_free(spec);
	return rc;
}

static void test_quality_suite_figures_equal_the_reference_measurement(void)
{
	static const char *const types[] = { "Q2_K", "Q4_K_M" };
	char q[2][256], db[128], err[512];
	const char *paths[3], *ids[3] = { "base", "Q2_K", "Q4_K_M" };
	double base_ppl = 0;
	ref_pos *rb = NULL, *rx = NULL;
	float *fb = NULL, *fx = NULL;
	int nv;
	long n;
	rep_set *s;

	if (!have_model())
		TB_SKIP("no shared stories260K");
	paths[0] = model;
	for (int i = 0; i < 2; i++) {
		eng_quant_params p = eng_quant_params_default();
		p.n_threads = 2;
		snprintf(q[i], sizeof q[i], "%s/%s.gguf", tmpdir, types[i]);
		TB_REQUIRE(eng_quantize_file(model, q[i], types[i], &p, err, sizeof err) == 0);
		paths[i + 1] = q[i];
	}
	TB_REQUIRE(run_quality(paths, ids, 3) == 0);
	snprintf(db, sizeof db, "%s/run/results.db", tmpdir);
	TB_REQUIRE((s = rep_set_new()) != NULL);
	TB_REQUIRE(rep_set_add_store(s, db, "run", -1, err, sizeof err) == 0);
	TB_REQUIRE((n = ref_scan(model, 128, &rb, &fb, &nv)) > 0);
	for (int t = 0; t < 3; t++) {
		rep_quality got;
		ref_out want = { 0 };
		if (t) {
			free(rx);
			free(fx);
			TB_REQUIRE(ref_scan(paths[t], 128, &rx, &fx, &nv) == n);
		}
		ref_figures(t ? rx : rb, t ? fx : fb, nv, n, t ? rb : NULL, fb, &want);
		TB_REQUIRE(rep_quality_compute(s, (size_t)t, t ? s : NULL, 0, "quality", 0, 0, &got, err,
			sizeof err) == 0);
		printf("  %s: PPL %.6f (reference %.6f), KLD %.6f (%.6f; full vocabulary %.6f), same top "
			"%.4f (%.4f)\n", ids[t], got.ppl, want.ppl, got.kld_mean, want.kld_mean, want.kld_full,
			got.same_top, want.same_top);
		TB_CHECK_INT(got.n_tokens, n);
		TB_CHECK(got.ppl == want.ppl);
		TB_CHECK(got.ppl_err == want.ppl_err);
		TB_CHECK_INT(got.has_baseline, t > 0);
		if (t) {
			TB_CHECK(got.kld_mean == want.kld_mean);
			TB_CHECK(got.kld_median == want.kld_median);
			TB_CHECK(got.kld_p99 == want.kld_p99);
			/* the stored entries' estimate is within 5 % of the exact KL */
			TB_CHECK(fabs(got.kld_mean - want.kld_full) <= 0.05 * want.kld_full);
			TB_CHECK(got.same_top == want.same_top);
			TB_CHECK(got.rms_dp == want.rms_dp);
			TB_CHECK_NEAR(got.ratio, got.ppl / base_ppl, 1e-9);
			TB_CHECK(got.ratio_lo <= got.ratio && got.ratio <= got.ratio_hi);
		} else {
			base_ppl = got.ppl;
		}
	}
	TB_CHECK_INT(n % 63, 0);   /* whole windows of 128, 63 scored tokens each */
	rep_set_free(s);
	free(rb);
	free(fb);
	free(rx);
	free(fx);
}

/* A tokenizer for the suite test: one token per byte, BOS 1 first. */
static long byte_tokens(void *ud, const char *text, int32_t *out, long cap)
{
	long n = (long)strlen(text) + 1;
	(void)ud;
	for (long i = 0; i < n && i < cap; i++)
		out[i] = i ? (unsigned char)text[i - 1] : 1;
	return n;
}

static void test_quality_windows_with_and_without_a_tokenizer(void)
{
	suite_opts o = { 0 };
	suite *s;
	prov_req rq = { 0 };
	char err[256], path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/short.txt", tmpdir);
	TB_REQUIRE((f = fopen(path, "w")) != NULL);
	for (int i = 0; i < 100; i++)
		fputs("the cat sat on the mat ", f);   /* 2300 bytes */
	fclose(f);
	o.name = "quality";
	o.dataset_path = path;
	o.options_json = "{\"window\": 100}";
	o.tokenize = byte_tokens;
	TB_REQUIRE((s = suite_open(&o, err, sizeof err)) != NULL);
	TB_CHECK_INT(suite_count(s), 23);        /* 2301 tokens in windows of 100 */
	TB_CHECK_STR(suite_item_id(s, 1), "ctx100/w00001");
	TB_REQUIRE(suite_build(s, 1, 0, &rq) == 0);
	TB_CHECK_INT(rq.kind, PROV_REQ_LOGPROBS);
	TB_CHECK_INT(rq.n_tokens, 100);
	TB_CHECK_INT(rq.tokens[0], 1);           /* BOS replaces the window's first token */
	TB_CHECK_INT(rq.tokens[1], (unsigned char)"the cat sat on the mat "[100 % 23]);
	TB_CHECK_INT(rq.score_from, 51);
	TB_CHECK_INT(rq.top_k, 128);
	prov_req_release(&rq);
	suite_close(s);
	/* without a tokenizer: text windows of about 4 bytes a token, the second half scored */
	o.tokenize = NULL;
	o.limit = 2;
	TB_REQUIRE((s = suite_open(&o, err, sizeof err)) != NULL);
	TB_CHECK_INT(suite_count(s), 2);
	TB_REQUIRE(suite_build(s, 0, 0, &rq) == 0);
	TB_CHECK(rq.tokens == NULL && rq.prompt && strlen(rq.prompt) <= 400 && strlen(rq.prompt) > 200);
	TB_CHECK_INT(rq.score_from, -1);
	prov_req_release(&rq);
	suite_close(s);
}

static void test_quality_scores_a_reply_by_its_log_probabilities(void)
{
	suite_opts o = { 0 };
	suite *s;
	prov_resp r = { 0 };
	suite_score_out out = { 0 };
	float lp[3] = { -0.5f, -2.0f, -0.1f }, top_lp[6] = { -0.5f, -1.0f, -1.0f, -2.0f, -0.1f, -3.0f };
	int32_t top_id[6] = { 4, 5, 6, 7, 8, 9 };
	char err[256];

	o.name = "quality";
	o.options_json = "{\"window\": 16}";
	TB_REQUIRE((s = suite_open(&o, err, sizeof err)) != NULL);
	r.text = "";
	TB_CHECK(suite_score(s, 0, &r, &out) != 0);   /* no log-probabilities: not a score */
	r.n_lp = 3;
	r.lp = lp;
	r.top_k = 2;
	r.top_id = top_id;
	r.top_lp = top_lp;
	TB_REQUIRE(suite_score(s, 0, &r, &out) == 0);
	TB_CHECK_STR(out.metric[0], "top1");
	TB_CHECK_NEAR(out.value[0], 2.0 / 3.0, 1e-12);
	suite_score_release(&out);
	suite_close(s);
}

static void test_quality_refuses_a_short_or_missing_text(void)
{
	suite_opts o = { 0 };
	char err[256], path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/tiny.txt", tmpdir);
	TB_REQUIRE((f = fopen(path, "w")) != NULL);
	fputs("too short", f);
	fclose(f);
	o.name = "quality";
	o.dataset_path = path;
	o.tokenize = byte_tokens;
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "tiny.txt") != NULL && strstr(err, "window") != NULL);
	o.tokenize = NULL;
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "tiny.txt") != NULL && strstr(err, "window") != NULL);
	o.dataset_path = "no-such-text.txt";
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "no-such-text.txt") != NULL);
	o.dataset_path = NULL;
	o.options_json = "{\"window\": 4}";
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "window") != NULL);
}

int main(void)
{
	suite_opts o = { 0 };
	char err[256], path[128];
	suite *s;
	FILE *f;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_quality_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	/* the text both measurements read: the built-in one as the suite without a tokenizer cuts
	 * it (whole windows of about 32 bytes, so all but a last piece) */
	o.name = "quality";
	o.options_json = "{\"window\": 8}";
	snprintf(path, sizeof path, "%s/text.txt", tmpdir);
	if ((s = suite_open(&o, err, sizeof err)) && (f = fopen(path, "w"))) {
		for (size_t i = 0; i < suite_count(s); i++) {
			prov_req rq = { 0 };
			if (suite_build(s, i, 0, &rq) == 0)
				fputs(rq.prompt, f);
			prov_req_release(&rq);
		}
		fclose(f);
	}
	suite_close(s);
	TB_RUN(test_quality_suite_figures_equal_the_reference_measurement);
	TB_RUN(test_quality_windows_with_and_without_a_tokenizer);
	TB_RUN(test_quality_scores_a_reply_by_its_log_probabilities);
	TB_RUN(test_quality_refuses_a_short_or_missing_text);
	tb_rmtree(tmpdir);
	return tb_test_end();
}
