/* tests/suites/test_quality_llama.c — the quality suite's perplexity, KL divergence, same top
 * token and RMS Δp against llama-perplexity's on the same files (tests/fixtures/quality, see
 * SOURCES.md there): stories260K over the first 40 windows of 128 of WikiText-2 and the project's
 * own model over datasets/tiny/quality.txt in windows of 256, each quantized here with tierbench
 * (its bytes equal llama-quantize's for these types; the IQ types and their neighbours with the
 * fixture's llama-imatrix matrix), scored through a run with an F32 KV cache, as llama-perplexity
 * was run (-ctk f32 -ctv f32). KLD and RMS Δp must be within 5 % of llama-perplexity's, PPL within
 * 0.5 % and the same-top-token rate within one point. Skips a model whose files are absent. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "engine/engine.h"
#include "harness/harness.h"
#include "reports/report.h"

#define FIXTURE "tests/fixtures/quality/llama-perplexity.txt"
#define FIXTURE_DIR "tests/fixtures/quality/"
#define MAX_ROWS 16

static char tmpdir[64];

/* One line of the fixture: the model's key, the type (F32: the base), the imatrix file in the
 * fixture folder or "-", and llama-perplexity's figures (PPL; for a variant KLD mean in nats,
 * same top token % and RMS Δp %). */
typedef struct fx_row {
	char model[32], type[16], imatrix[64];
	double ppl, kld, same, rms;
} fx_row;

/* The rows of model key from the fixture, base first. Returns the count, or -1. */
static int fx_rows(const char *key, fx_row *rows)
{
	FILE *f = fopen(FIXTURE, "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f) && n < MAX_ROWS) {
		fx_row r;
		char kld[32], same[32], rms[32];
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%31s %15s %63s %lf %31s %31s %31s", r.model, r.type, r.imatrix, &r.ppl,
			    kld, same, rms) != 7) {
			fclose(f);
			return -1;
		}
		if (strcmp(r.model, key) != 0)
			continue;
		r.kld = atof(kld);
		r.same = atof(same);
		r.rms = atof(rms);
		if ((strcmp(r.type, "F32") == 0) != (n == 0)) {
			fclose(f);
			return -1;   /* the base must come first, once */
		}
		rows[n++] = r;
	}
	fclose(f);
	return n;
}

/* Quantizes base to every row's type into tmpdir, runs the quality suite (window ctx, at most
 * limit windows of text) on base and them, and compares each with its row. */
static void check_model(const char *key, const char *base, const char *text, int ctx, long limit)
{
	fx_row rows[MAX_ROWS];
	char paths[MAX_ROWS][256], ids[MAX_ROWS][32], dir[128], db[160], num[32], err[1024];
	hx_spec *spec;
	hx_suite_spec *ss;
	hx_run_opts ro;
	hx_run_summary sum;
	rep_set *s;
	FILE *devnull;
	int n = fx_rows(key, rows);

	TB_REQUIRE(n >= 2);
	snprintf(paths[0], sizeof paths[0], "%s", base);
	snprintf(ids[0], sizeof ids[0], "base");
	for (int i = 1; i < n; i++) {
		eng_quant_params p = eng_quant_params_default();
		eng_imatrix *im = NULL;
		char ip[160];
		if (strcmp(rows[i].imatrix, "-") != 0) {
			snprintf(ip, sizeof ip, FIXTURE_DIR "%s", rows[i].imatrix);
			TB_REQUIRE((im = eng_imatrix_load(ip, err, sizeof err)) != NULL);
		}
		p.n_threads = 2;
		p.imatrix = im;
		snprintf(paths[i], sizeof paths[i], "%s/%s-%s.gguf", tmpdir, key, rows[i].type);
		snprintf(ids[i], sizeof ids[i], "%s", rows[i].type);
		if (eng_quantize_file(base, paths[i], rows[i].type, &p, err, sizeof err))
			printf("  quantize %s: %s\n", rows[i].type, err);
		eng_imatrix_free(im);
		TB_REQUIRE(access(paths[i], R_OK) == 0);
	}
	/* the run: the suite through the local provider, an F32 KV cache as llama-perplexity's */
	TB_REQUIRE((spec = hx_spec_new()) != NULL);
	for (int i = 0; i < n; i++) {
		hx_target_spec *t = hx_spec_add_target(spec, "local", paths[i]);
		TB_REQUIRE(t != NULL);
		free(t->id);
		t->id = strdup(ids[i]);
		snprintf(err, sizeof err, "{\"n_ctx\": %d, \"kv_type\": \"f32\", \"threads\": 2}", ctx);
		t->options_json = strdup(err);
	}
	TB_REQUIRE((ss = hx_spec_add_suite(spec, "quality")) != NULL);
	ss->dataset = strdup(text);
	ss->limit = limit;
	snprintf(num, sizeof num, "%d", ctx);
	TB_REQUIRE(hx_suite_spec_option_set(ss, "window", num) == 0);
	snprintf(dir, sizeof dir, "%s/%s", tmpdir, key);
	memset(&ro, 0, sizeof ro);
	ro.out_dir = dir;
	ro.quiet = 1;
	devnull = fopen("/dev/null", "w");
	ro.log = devnull;
	TB_REQUIRE(hx_run(spec, &ro, &sum, err, sizeof err) == 0);
	fclose(devnull);
	hx_spec_free(spec);
	TB_REQUIRE(sum.n_scored == sum.n_planned);
	snprintf(db, sizeof db, "%s/results.db", dir);
	TB_REQUIRE((s = rep_set_new()) != NULL);
	TB_REQUIRE(rep_set_add_store(s, db, "run", -1, err, sizeof err) == 0);
	for (int i = 0; i < n; i++) {
		rep_quality q;
		const fx_row *r = &rows[i];
		TB_REQUIRE(rep_quality_compute(s, (size_t)i, i ? s : NULL, 0, "quality", 0, 0, &q, err,
			sizeof err) == 0);
		if (!i) {
			printf("  %s base: PPL %.4f (llama-perplexity %.4f) over %ld tokens\n", key, q.ppl,
				r->ppl, q.n_tokens);
			TB_CHECK(fabs(q.ppl / r->ppl - 1) < 0.001);
			continue;
		}
		printf("  %s %s%s: PPL %.4f (%.4f), KLD %.6f (%.6f, %+.1f %%), same top %.2f %% (%.2f), "
			"RMS dp %.3f %% (%.3f)\n", key, r->type, strcmp(r->imatrix, "-") ? " imatrix" : "", q.ppl,
			r->ppl, q.kld_mean, r->kld, 100 * (q.kld_mean / r->kld - 1), 100 * q.same_top, r->same,
			100 * q.rms_dp, r->rms);
		TB_CHECK(fabs(q.ppl / r->ppl - 1) < 0.005);
		TB_CHECK(fabs(q.kld_mean / r->kld - 1) < 0.05);
		TB_CHECK(fabs(100 * q.same_top - r->same) < 1.0);
		TB_CHECK(fabs(100 * q.rms_dp / r->rms - 1) < 0.05);
	}
	rep_set_free(s);
}

static void test_stories260K_matches_llama_perplexity(void)
{
	const char *sh = tb_shared_dir();
	char model[256], text[256];

	if (!sh)
		TB_SKIP("no shared folder");
	snprintf(model, sizeof model, "%s/models/stories260K.gguf", sh);
	snprintf(text, sizeof text, "%s/datasets/perplexity/wiki.test.raw", sh);
	if (access(model, R_OK) || access(text, R_OK))
		TB_SKIP("no shared stories260K or wiki.test.raw");
	check_model("stories260K", model, text, 128, 40);
}

static void test_project_model_matches_llama_perplexity(void)
{
	if (access("models/tierbench-tiny.gguf", R_OK))
		TB_SKIP("no models/tierbench-tiny.gguf");
	check_model("tierbench-tiny", "models/tierbench-tiny.gguf", "datasets/tiny/quality.txt", 256, 0);
}

static void test_fixture_rows_parse(void)
{
	fx_row rows[MAX_ROWS];
	TB_CHECK_INT(fx_rows("stories260K", rows), 5);
	TB_CHECK_INT(fx_rows("tierbench-tiny", rows), 10);
	TB_CHECK_STR(rows[0].type, "F32");
	TB_CHECK(rows[9].kld > 0.1 && rows[9].same > 50 && rows[9].rms > 1);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_quality_llama_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	TB_RUN(test_fixture_rows_parse);
	TB_RUN(test_stories260K_matches_llama_perplexity);
	TB_RUN(test_project_model_matches_llama_perplexity);
	tb_rmtree(tmpdir);
	return tb_test_end();
}
