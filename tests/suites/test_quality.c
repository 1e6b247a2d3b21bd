/* tests/suites/test_quality.c — the quality measurement (suites/quality.c) on the shared
 * stories260K model and copies of it quantized by the engine: perplexity over the built-in text
 * ordered as quantization predicts, zero divergence of a model from itself, and refusals of bad
 * baselines and texts. Skips without the shared folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "engine/engine.h"
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

static int run(const char *path, const char *save, const char *base, suite_quality_result *r)
{
	suite_quality_opts o = suite_quality_opts_default();
	char err[512];
	int rc;

	o.model_path = path;
	o.n_ctx = 128;
	o.n_threads = 2;
	o.save_baseline_path = save;
	o.baseline_path = base;
	rc = suite_quality_run(&o, r, err, sizeof err);
	if (rc)
		printf("  %s: %s\n", path, err);
	return rc;
}

static void test_quality_model_against_itself_has_zero_divergence(void)
{
	char base[256];
	suite_quality_result a, b;

	if (!have_model())
		TB_SKIP("no shared stories260K");
	snprintf(base, sizeof base, "%s/self.bin", tmpdir);
	TB_REQUIRE(run(model, base, NULL, &a) == 0);
	TB_CHECK(!a.has_baseline);
	/* the built-in text: 19 windows of 128, 63 scored tokens each */
	TB_CHECK_INT(a.n_chunks, 19);
	TB_CHECK_INT(a.n_tokens, 19 * 63);
	TB_CHECK(a.ppl > 5 && a.ppl < 30);
	TB_REQUIRE(run(model, NULL, base, &b) == 0);
	TB_CHECK(b.has_baseline);
	TB_CHECK_NEAR(b.ppl, a.ppl, 1e-9);
	TB_CHECK_NEAR(b.kld_mean, 0.0, 1e-6);
	TB_CHECK_NEAR(b.kld_p99, 0.0, 1e-6);
	TB_CHECK_NEAR(b.same_top, 1.0, 1e-12);
	TB_CHECK_NEAR(b.rms_dp, 0.0, 1e-6);
	unlink(base);
}

static void test_quality_orders_quantized_models_as_expected(void)
{
	static const char *const types[] = { "Q8_0", "Q4_K_M", "Q2_K" };
	suite_quality_result f32, q[3];
	char base[256], path[256], err[512];

	if (!have_model())
		TB_SKIP("no shared stories260K");
	snprintf(base, sizeof base, "%s/f32.bin", tmpdir);
	TB_REQUIRE(run(model, base, NULL, &f32) == 0);
	for (int i = 0; i < 3; i++) {
		eng_quant_params p = eng_quant_params_default();
		p.n_threads = 2;
		snprintf(path, sizeof path, "%s/%s.gguf", tmpdir, types[i]);
		TB_REQUIRE(eng_quantize_file(model, path, types[i], &p, err, sizeof err) == 0);
		TB_REQUIRE(run(path, NULL, base, &q[i]) == 0);
		printf("  %s: PPL %.4f (F32 %.4f), KLD %.5f, same top %.1f %%\n", types[i], q[i].ppl, f32.ppl,
			q[i].kld_mean, 100 * q[i].same_top);
		unlink(path);
	}
	/* documented bounds (docs/suites.md): Q8_0 within 0.5 % of F32; Q2_K worst by every measure */
	TB_CHECK(q[0].ppl / f32.ppl > 0.995 && q[0].ppl / f32.ppl < 1.005);
	TB_CHECK(q[0].kld_mean < 0.005 && q[0].same_top > 0.93);
	TB_CHECK(q[1].ppl / f32.ppl < 1.05);
	TB_CHECK(q[2].ppl > q[1].ppl && q[2].ppl > q[0].ppl);
	TB_CHECK(q[0].kld_mean < q[1].kld_mean && q[1].kld_mean < q[2].kld_mean);
	TB_CHECK(q[0].kld_median <= q[0].kld_mean * 2 && q[2].kld_p99 > q[2].kld_median);
	TB_CHECK(q[0].same_top > q[1].same_top && q[1].same_top > q[2].same_top);
	TB_CHECK(q[0].rms_dp < q[1].rms_dp && q[1].rms_dp < q[2].rms_dp);
	unlink(base);
}

static void test_quality_refuses_mismatched_or_corrupt_baselines(void)
{
	suite_quality_opts o = suite_quality_opts_default();
	suite_quality_result r;
	char base[256], junk[256], err[512];
	FILE *f;

	if (!have_model())
		TB_SKIP("no shared stories260K");
	snprintf(base, sizeof base, "%s/b.bin", tmpdir);
	snprintf(junk, sizeof junk, "%s/junk.bin", tmpdir);
	TB_REQUIRE(run(model, base, NULL, &r) == 0);
	o.model_path = model;
	o.n_ctx = 64;   /* another window than the baseline's 128 */
	o.baseline_path = base;
	err[0] = 0;
	TB_CHECK(suite_quality_run(&o, &r, err, sizeof err) != 0);
	TB_CHECK(strstr(err, "b.bin") != NULL && strstr(err, "context") != NULL);
	TB_REQUIRE((f = fopen(junk, "wb")) != NULL);
	fputs("not a baseline at all, just some text that is long enough", f);
	fclose(f);
	o.n_ctx = 128;
	o.baseline_path = junk;
	TB_CHECK(suite_quality_run(&o, &r, err, sizeof err) != 0);
	TB_CHECK(strstr(err, "junk.bin") != NULL);
	/* a text shorter than one window, and a missing text */
	o.baseline_path = NULL;
	o.text_path = junk;
	TB_CHECK(suite_quality_run(&o, &r, err, sizeof err) != 0);
	TB_CHECK(strstr(err, "junk.bin") != NULL && strstr(err, "window") != NULL);
	o.text_path = "no-such-text.txt";
	TB_CHECK(suite_quality_run(&o, &r, err, sizeof err) != 0);
	TB_CHECK(strstr(err, "no-such-text.txt") != NULL);
	o.text_path = NULL;
	o.model_path = NULL;
	TB_CHECK(suite_quality_run(&o, &r, err, sizeof err) == SUITE_EINVAL);
	unlink(base);
	unlink(junk);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_quality_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	TB_RUN(test_quality_model_against_itself_has_zero_divergence);
	TB_RUN(test_quality_orders_quantized_models_as_expected);
	TB_RUN(test_quality_refuses_mismatched_or_corrupt_baselines);
	tb_rmtree(tmpdir);
	return tb_test_end();
}
