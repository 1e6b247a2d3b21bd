/* tests/engine/test_imatrix.c — importance matrices (engine/imatrix.c): the statistics collected
 * over a text against llama-imatrix's on the same chunks (its .dat files in
 * tests/fixtures/imatrix, see SOURCES.md there) for a dense model and, per expert, for a
 * mixture of experts; the GGUF imatrix format's keys and tensors; the GGUF and legacy .dat
 * readers agreeing; and corrupt files refused with the file and entry named. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "engine/engine.h"
#include "engine/gguf_impl.h"
#include "refcheck.h"

static char tmpdir[64];
static char moe_dir[256];

/* Largest relative difference measured against llama-imatrix (docs/quant-formats.md):
 * 6.6e-4 (stories260K, attn_output of the last layer) and 4.2e-4 (synth-tiny) for the plain
 * products; 3.6e-3 for qwen2moe-test's expert products (fewer rows per expert, so one row's
 * rounding weighs more). The tolerances are about three times those. */
#define TOL_DENSE 2e-3
#define TOL_EXPERT 1e-2

/* The text all references were computed on, or NULL (skip) without the shared folder. */
static char *wiki_text(size_t *len)
{
	const char *sh = tb_shared_dir();
	char p[512];

	if (!sh)
		return NULL;
	snprintf(p, sizeof p, "%s/datasets/perplexity/wiki.test.raw", sh);
	return tb_slurp(p, len);
}

/* Every entry of `want` is in `got` with the same shape and values within rel_tol (relative
 * to the larger of the value and 1e-6 of the entry's largest); and the other way round. */
static void check_same(const eng_imatrix *got, const eng_imatrix *want, double rel_tol, const char *what)
{
	double worst = 0;
	const char *worst_name = "";

	TB_CHECK_INT(eng_imatrix_n_entries(got), eng_imatrix_n_entries(want));
	for (int64_t i = 0; i < eng_imatrix_n_entries(want); i++) {
		const char *name = eng_imatrix_name(want, i);
		int64_t n_in = 0, n_in2 = 0;
		int n_mat = 0, n_mat2 = 0;
		float *a, *b;
		double top = 0;

		TB_REQUIRE(eng_imatrix_values(want, name, NULL, 0, &n_in, &n_mat) == 0);
		if (eng_imatrix_values(got, name, NULL, 0, &n_in2, &n_mat2) != 0) {
			printf("  %s: '%s' missing\n", what, name);
			TB_CHECK(0);
			continue;
		}
		TB_CHECK_INT(n_in2 * n_mat2, n_in * n_mat);
		if (n_in2 * n_mat2 != n_in * n_mat)
			continue;
		a = malloc(sizeof *a * (size_t)(n_in * n_mat));
		b = malloc(sizeof *b * (size_t)(n_in * n_mat));
		TB_REQUIRE(a && b);
		TB_REQUIRE(eng_imatrix_values(want, name, a, n_in * n_mat, NULL, NULL) == 0);
		TB_REQUIRE(eng_imatrix_values(got, name, b, n_in * n_mat, NULL, NULL) == 0);
		for (int64_t j = 0; j < n_in * n_mat; j++)
			top = fabs(a[j]) > top ? fabs(a[j]) : top;
		for (int64_t j = 0; j < n_in * n_mat; j++) {
			double d = fabs((double)a[j] - b[j]) / fmax(fabs(a[j]), 1e-6 * top + 1e-30);

			if (d > worst) {
				worst = d;
				worst_name = eng_imatrix_name(want, i);
			}
		}
		free(a);
		free(b);
	}
	printf("  %s: worst relative difference %.2e (%s)\n", what, worst, worst_name);
	TB_CHECK(worst <= rel_tol);
}

static void check_against_reference(const char *model_path, const char *ref, int n_ctx, int n_chunks, double tol)
{
	eng_imatrix_params p = eng_imatrix_params_default();
	eng_model *m;
	eng_imatrix *got, *want;
	char err[512];
	size_t len = 0;
	char *text = wiki_text(&len);

	if (!text) {
		TB_SKIP("no shared folder (../shared)");
		return;
	}
	m = eng_load(model_path, NULL, err, sizeof err);
	if (!m) {
		printf("  %s\n", err);
		TB_CHECK(0);
		free(text);
		return;
	}
	p.n_ctx = n_ctx;
	p.n_chunks = n_chunks;
	p.n_threads = 2;
	got = eng_imatrix_compute(m, text, len, &p, err, sizeof err);
	if (!got)
		printf("  %s\n", err);
	TB_REQUIRE(got);
	want = eng_imatrix_load(ref, err, sizeof err);
	if (!want)
		printf("  %s\n", err);
	TB_REQUIRE(want);
	TB_CHECK_INT(eng_imatrix_chunks(got), n_chunks);
	TB_CHECK_INT(eng_imatrix_chunks(want), n_chunks);
	check_same(got, want, tol, ref);
	eng_imatrix_free(got);
	eng_imatrix_free(want);
	eng_model_free(m);
	free(text);
}

static void test_imatrix_matches_llama_imatrix_on_dense_models(void)
{
	const char *sh = tb_shared_dir();
	char p[512];

	if (!sh) {
		TB_SKIP("no shared folder (../shared)");
		return;
	}
	snprintf(p, sizeof p, "%s/models/stories260K.gguf", sh);
	check_against_reference(p, "tests/fixtures/imatrix/stories260K-wiki-c128x4.dat", 128, 4, TOL_DENSE);
	snprintf(p, sizeof p, "%s/models/synthetic/synth-tiny-F16.gguf", sh);
	check_against_reference(p, "tests/fixtures/imatrix/synth-tiny-wiki-c128x3.dat", 128, 3, TOL_DENSE);
}

/* qwen2moe-test (tools/mkbench): every expert of ffn_{gate,up,down}_exps gets its own rows,
 * the shared expert and the router their plain products. */
static void test_imatrix_matches_llama_imatrix_per_expert(void)
{
	static const char *const shapes[] = { "qwen2moe-test" };
	char p[512];

	if (!tb_shared_dir()) {
		TB_SKIP("no shared folder (../shared)");
		return;
	}
	TB_REQUIRE(ref_make_models(moe_dir, "imatrix", shapes, 1, "F16") == 0);
	snprintf(p, sizeof p, "%s/qwen2moe-test-F16.gguf", moe_dir);
	check_against_reference(p, "tests/fixtures/imatrix/qwen2moe-test-wiki-c128x8.dat", 128, 8, TOL_EXPERT);
}

/* The GGUF file's keys, tensor names and shapes, and both formats read back to the same
 * weights (GGUF exactly; the .dat within float rounding of its mean x ncall / ncall). */
static void test_imatrix_gguf_and_dat_files_read_back_the_same(void)
{
	eng_imatrix_params p = eng_imatrix_params_default();
	const char *sh = tb_shared_dir();
	char mp[512], gp[128], dp[128], err[512];
	eng_model *m;
	eng_imatrix *im, *g, *d;
	eng_gguf *f;
	const eng_gguf_tensor *t;
	const char *s = NULL;
	uint32_t u = 0;
	size_t len = 0;
	char *text = wiki_text(&len);

	if (!sh || !text) {
		free(text);
		TB_SKIP("no shared folder (../shared)");
		return;
	}
	snprintf(mp, sizeof mp, "%s/models/stories260K.gguf", sh);
	TB_REQUIRE((m = eng_load(mp, NULL, err, sizeof err)) != NULL);
	p.n_ctx = 64;
	p.n_batch = 32;
	p.n_chunks = 3;
	p.dataset = "wiki.test.raw";
	TB_REQUIRE((im = eng_imatrix_compute(m, text, len, &p, err, sizeof err)) != NULL);
	snprintf(gp, sizeof gp, "%s/im.gguf", tmpdir);
	snprintf(dp, sizeof dp, "%s/im.dat", tmpdir);
	TB_CHECK_INT(eng_imatrix_save(im, gp, err, sizeof err), 0);
	TB_CHECK_INT(eng_imatrix_save_dat(im, dp, err, sizeof err), 0);

	TB_REQUIRE((f = eng_gguf_open(gp, err, sizeof err)) != NULL);
	TB_CHECK(eng_gguf_get_str(f, "general.type", &s, NULL) == 0 && strcmp(s, "imatrix") == 0);
	TB_CHECK(eng_gguf_get_u32(f, "imatrix.chunk_count", &u) == 0 && u == 3);
	TB_CHECK(eng_gguf_get_u32(f, "imatrix.chunk_size", &u) == 0 && u == 64);
	TB_CHECK_STR(eng_gguf_arr_str(f, "imatrix.datasets", 0, NULL), "wiki.test.raw");
	TB_CHECK_INT(eng_gguf_n_tensors(f), 2 * eng_imatrix_n_entries(im));
	TB_REQUIRE((t = eng_gguf_find_tensor(f, "blk.0.ffn_down.weight.in_sum2")) != NULL);
	TB_CHECK_INT(t->ne[0], 172);   /* stories260K's n_ff */
	TB_CHECK_INT(t->ne[1], 1);
	TB_REQUIRE((t = eng_gguf_find_tensor(f, "blk.0.ffn_down.weight.counts")) != NULL);
	{
		float c;

		memcpy(&c, t->data, 4);
		TB_CHECK(c == 3 * 64);   /* rows: every token of the 3 chunks (two 32-token steps each) */
	}
	/* names sorted, as llama-imatrix writes them */
	TB_CHECK_STR(eng_gguf_tensor_at(f, 0)->name, "blk.0.attn_k.weight.in_sum2");
	eng_gguf_close(f);

	TB_REQUIRE((g = eng_imatrix_load(gp, err, sizeof err)) != NULL);
	TB_REQUIRE((d = eng_imatrix_load(dp, err, sizeof err)) != NULL);
	check_same(g, im, 0.0, "gguf round trip");
	check_same(d, g, 1e-6, ".dat against gguf");
	TB_CHECK_INT(eng_imatrix_chunks(d), 3);
	TB_CHECK_STR(eng_imatrix_dataset(d), "wiki.test.raw");
	TB_CHECK_STR(eng_imatrix_dataset(g), "wiki.test.raw");
	/* steps of fewer than 16 tokens: llama-imatrix skips every plain product */
	eng_imatrix_free(im);
	p.n_batch = 8;
	TB_CHECK((im = eng_imatrix_compute(m, text, len, &p, err, sizeof err)) == NULL);
	TB_CHECK(strstr(err, "no weight product of 16 tokens or more") != NULL);
	p.n_batch = 0;
	/* too little text: two chunks' worth is the least */
	eng_imatrix_free(im);
	p.n_ctx = 2048;
	TB_CHECK((im = eng_imatrix_compute(m, "Once upon a time", 16, &p, err, sizeof err)) == NULL);
	TB_CHECK(strstr(err, "needs at least 4096") != NULL);
	eng_imatrix_free(g);
	eng_imatrix_free(d);
	eng_model_free(m);
	free(text);
}

static void write_bytes(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	TB_REQUIRE(f && fwrite(b, 1, n, f) == n);
	fclose(f);
}

static void expect_refused(const char *path, const char *needle)
{
	char err[512] = "";
	eng_imatrix *im = eng_imatrix_load(path, err, sizeof err);

	TB_CHECK(im == NULL);
	if (!strstr(err, needle) || !strstr(err, path)) {
		printf("  got '%s', want '%s'\n", err, needle);
		TB_CHECK(0);
	}
	eng_imatrix_free(im);
}

static void test_imatrix_refuses_corrupt_files_naming_the_entry(void)
{
	char p[128];
	unsigned char b[64];
	int32_t v;
	size_t n = 0;

	snprintf(p, sizeof p, "%s/bad.dat", tmpdir);
	expect_refused(p, "cannot open");
	/* no entries */
	v = 0;
	write_bytes(p, &v, 4);
	expect_refused(p, "no entries");
	/* a name length past any sane cap */
	v = 1;
	memcpy(b, &v, 4);
	v = 1 << 30;
	memcpy(b + 4, &v, 4);
	write_bytes(p, b, 8);
	expect_refused(p, "entry 1: bad or truncated name");
	/* values running past the end */
	n = 0;
	v = 1; memcpy(b + n, &v, 4); n += 4;
	v = 3; memcpy(b + n, &v, 4); n += 4;
	memcpy(b + n, "abc", 3); n += 3;
	v = 1; memcpy(b + n, &v, 4); n += 4;
	v = 100; memcpy(b + n, &v, 4); n += 4;
	write_bytes(p, b, n);
	expect_refused(p, "entry 'abc': 100 values run past the end");
	/* a non-finite value */
	{
		float nan = NAN;

		n -= 4;
		v = 1; memcpy(b + n, &v, 4); n += 4;
		memcpy(b + n, &nan, 4); n += 4;
		write_bytes(p, b, n);
		expect_refused(p, "entry 'abc': non-finite value");
	}
	/* a GGUF that is not an imatrix, and one whose sums lack counts */
	{
		eng_gguf_writer *w = eng_gguf_writer_new();
		char err[256];
		float sums[4] = { 1, 2, 3, 4 };
		int64_t ne[2] = { 4, 1 };

		TB_REQUIRE(w);
		snprintf(p, sizeof p, "%s/bad.gguf", tmpdir);
		TB_CHECK_INT(eng_gguf_w_str(w, "general.type", "model"), 0);
		TB_CHECK_INT(eng_gguf_writer_save(w, p, err, sizeof err), 0);
		expect_refused(p, "not an imatrix file");
		TB_CHECK_INT(eng_gguf_w_str(w, "general.type", "imatrix"), 0);
		TB_CHECK_INT(eng_gguf_w_tensor(w, "blk.0.attn_q.weight.in_sum2", 0, 2, ne, sums), 0);
		TB_CHECK_INT(eng_gguf_writer_save(w, p, err, sizeof err), 0);
		expect_refused(p, "missing or malformed 'blk.0.attn_q.weight.counts'");
		eng_gguf_writer_free(w);
	}
	/* sums and counts whose weights are negative or leave the float range (a fuzzed file) */
	for (int c = 0; c < 2; c++) {
		eng_gguf_writer *w = eng_gguf_writer_new();
		char err[256];
		float sums[4] = { c ? 1e30f : -1.0f, 2, 3, 4 }, count = c ? 1e-30f : 1.0f;
		int64_t ne[2] = { 4, 1 }, nc[2] = { 1, 1 };

		TB_REQUIRE(w);
		snprintf(p, sizeof p, "%s/bad%d.gguf", tmpdir, c);
		TB_CHECK_INT(eng_gguf_w_str(w, "general.type", "imatrix"), 0);
		TB_CHECK_INT(eng_gguf_w_tensor(w, "blk.0.attn_q.weight.in_sum2", 0, 2, ne, sums), 0);
		TB_CHECK_INT(eng_gguf_w_tensor(w, "blk.0.attn_q.weight.counts", 0, 2, nc, &count), 0);
		TB_CHECK_INT(eng_gguf_writer_save(w, p, err, sizeof err), 0);
		expect_refused(p, c ? "is past the float range" : "is negative");
		eng_gguf_writer_free(w);
	}
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_imatrix_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	TB_RUN(test_imatrix_matches_llama_imatrix_on_dense_models);
	TB_RUN(test_imatrix_matches_llama_imatrix_per_expert);
	TB_RUN(test_imatrix_gguf_and_dat_files_read_back_the_same);
	TB_RUN(test_imatrix_refuses_corrupt_files_naming_the_entry);
	tb_rmtree(tmpdir);
	if (moe_dir[0])
		tb_rmtree(moe_dir);
	return tb_test_end();
}
