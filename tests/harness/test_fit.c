/* tests/harness/test_fit.c — `tierbench fit`'s model: weights per quantisation mix against files
 * the quantizer wrote, public model shapes against their publishers' figures, the speed model's
 * calibration against recorded bench results, the fit on devices, and bad input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/fit.h"
#include "harness/harness.h"
#include "test.h"

#define FIX "tests/fixtures/fit/"
/* The development machine's FP16 peak as the catalogue counts CPUs: 2 cores x 2.096 GHz x 128
 * BF16 FLOP per cycle (two 512-bit dot-product pipes), docs/fit.md. */
#define DEV_PEAK_TFLOPS (2 * 2.096 * 128 / 1000.0)

static hx_fit_model *load(const char *path)
{
	char err[512];
	hx_fit_model *m = hx_fit_model_load(path, err, sizeof err);
	if (!m)
		printf("  %s\n", err);
	return m;
}

static int rel_ok(double got, double want, double tol)
{
	int ok = fabs(got - want) <= tol * want;
	if (!ok)
		printf("  %.4g vs %.4g (%.1f %%, tolerance %.0f %%)\n", got, want, 100 * (got / want - 1), 100 * tol);
	return ok;
}

/* The quantizer's rule applied to the F16 file's shapes gives the bytes of each file it wrote. */
static void test_fit_mix_of_f16_file_matches_each_quantized_file(void)
{
	static const char *const mixes[] = { "Q8_0", "Q6_K", "Q4_K_M", "Q2_K" };
	const char *sh = tb_shared_dir();
	char p[512], err[256];
	hx_fit_model *f16, *q;
	hx_fit_mem a, b;
	if (!sh)
		TB_SKIP("no shared data folder");
	snprintf(p, sizeof p, "%s/models/synthetic/synth-tiny-F16.gguf", sh);
	TB_REQUIRE((f16 = load(p)) != NULL);
	for (size_t i = 0; i < sizeof mixes / sizeof mixes[0]; i++) {
		snprintf(p, sizeof p, "%s/models/synthetic/synth-tiny-%s.gguf", sh, mixes[i]);
		q = load(p);
		TB_CHECK(q != NULL);
		if (!q)
			continue;
		TB_CHECK(hx_fit_memory(f16, mixes[i], 64, 1, &a, err, sizeof err) == 0);
		TB_CHECK(hx_fit_memory(q, NULL, 64, 1, &b, err, sizeof err) == 0);
		TB_CHECK_STR(b.quant, mixes[i]);
		TB_CHECK_INT(a.weight_bytes, b.weight_bytes);
		TB_CHECK_INT(a.decode_bytes, b.decode_bytes);
		TB_CHECK_INT(a.n_params, b.n_params);
		hx_fit_model_free(q);
	}
	hx_fit_model_free(f16);
}

/* Public shapes: parameters, and F16 / Q4_K_M / native sizes where published, within 10 %. */
static void test_fit_public_shapes_match_published_figures(void)
{
	static const char *const files[] = { "llama-3.3-70b", "qwen2.5-72b", "mistral-large-123b",
		"deepseek-v3", "qwen3-30b-a3b", "qwen3-coder-next-80b-a3b", "gpt-oss-120b" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char p[256], err[256];
		hx_fit_model *m;
		hx_fit_model_desc d;
		hx_fit_mem f16, q4, nat;
		snprintf(p, sizeof p, FIX "shapes/%s.json", files[i]);
		printf("  %s\n", files[i]);
		TB_CHECK((m = load(p)) != NULL);
		if (!m)
			continue;
		hx_fit_model_describe(m, &d);
		TB_CHECK(d.pub_params > 0 && d.pub_source != NULL);
		TB_CHECK(hx_fit_memory(m, "F16", 4096, 1, &f16, err, sizeof err) == 0);
		TB_CHECK(hx_fit_memory(m, "Q4_K_M", 4096, 1, &q4, err, sizeof err) == 0);
		TB_CHECK(hx_fit_memory(m, NULL, 4096, 1, &nat, err, sizeof err) == 0);
		TB_CHECK(rel_ok((double)f16.n_params, d.pub_params, 0.10));
		if (d.pub_f16_gb > 0)
			TB_CHECK(rel_ok(f16.weight_bytes / 1e9, d.pub_f16_gb, 0.10));
		if (d.pub_q4_k_m_gb > 0)
			TB_CHECK(rel_ok(q4.weight_bytes / 1e9, d.pub_q4_k_m_gb, 0.10));
		if (d.pub_native_gb > 0)
			TB_CHECK(rel_ok(nat.weight_bytes / 1e9, d.pub_native_gb, 0.10));
		TB_CHECK(q4.weight_bytes < f16.weight_bytes);
		hx_fit_model_free(m);
	}
}

/* KV per token from the architecture: GQA, MLA's latent, sliding layers capped, delta-net state. */
static void test_fit_kv_cache_follows_the_attention_kind(void)
{
	char err[256];
	hx_fit_model *m;
	hx_fit_mem a, b;
	/* Llama 3.3 70B: 80 layers x (K + V) x 8 KV heads x 128 x 2 bytes */
	TB_REQUIRE((m = load(FIX "shapes/llama-3.3-70b.json")) != NULL);
	TB_CHECK(hx_fit_memory(m, "Q4_K_M", 8192, 2, &a, err, sizeof err) == 0);
	TB_CHECK_INT(a.kv_bytes_per_token, 80 * 2 * 8 * 128 * 2);
	TB_CHECK_INT(a.kv_bytes, 80ull * 2 * 8 * 128 * 2 * 8192 * 2);
	TB_CHECK_INT(a.state_bytes, 0);
	hx_fit_model_free(m);
	/* DeepSeek-V3: 61 layers x (512 latent + 64 rope) x 2 bytes */
	TB_REQUIRE((m = load(FIX "shapes/deepseek-v3.json")) != NULL);
	TB_CHECK(hx_fit_memory(m, "Q4_K_M", 4096, 1, &a, err, sizeof err) == 0);
	TB_CHECK_INT(a.kv_bytes_per_token, 61 * 576 * 2);
	hx_fit_model_free(m);
	/* gpt-oss-120b: 18 full layers grow; 18 sliding ones hold 128 tokens */
	TB_REQUIRE((m = load(FIX "shapes/gpt-oss-120b.json")) != NULL);
	TB_CHECK(hx_fit_memory(m, NULL, 65536, 1, &a, err, sizeof err) == 0);
	TB_CHECK_INT(a.kv_bytes_per_token, 18 * 2 * 8 * 64 * 2);
	TB_CHECK_INT(a.kv_bytes, 18ull * 2 * 8 * 64 * 2 * 65536 + 18ull * 2 * 8 * 64 * 2 * 128);
	hx_fit_model_free(m);
	/* Qwen3-Next: 12 attention layers (2 x 256 per K and V), 36 delta-net layers of fixed state */
	TB_REQUIRE((m = load(FIX "shapes/qwen3-coder-next-80b-a3b.json")) != NULL);
	TB_CHECK(hx_fit_memory(m, "Q4_K_M", 1000, 1, &a, err, sizeof err) == 0);
	TB_CHECK(hx_fit_memory(m, "Q4_K_M", 2000, 3, &b, err, sizeof err) == 0);
	TB_CHECK_INT(a.kv_bytes_per_token, 12 * 2 * 2 * 256 * 2);
	TB_CHECK_INT(a.state_bytes, 36ull * 4 * (3 * (2 * 16 * 128 + 32 * 128) + 32 * 128 * 128));
	TB_CHECK_INT(b.state_bytes, 3 * a.state_bytes);
	hx_fit_model_free(m);
}

/* The speed model reproduces the recorded bench of this machine: each row predicted within
 * 20 % by factors calibrated on the other three files (leave one file out). */
static void test_fit_calibration_predicts_recorded_bench_within_20_percent(void)
{
	char err[256];
	hx_fit_bench *rows = NULL, held[16];
	size_t n = 0;
	double bw, ce;
	hx_fit_catalog *cat;
	const hx_fit_calib *k;
	TB_REQUIRE(hx_fit_bench_load(FIX "bench-dev.json", &rows, &n, err, sizeof err) == 0);
	TB_REQUIRE(n == 8);
	for (size_t i = 0; i < n; i++) {
		size_t m = 0;
		double pred;
		for (size_t j = 0; j < n; j++)
			if (strcmp(rows[j].type, rows[i].type) != 0)
				held[m++] = rows[j];
		TB_CHECK_INT(m, 6);
		TB_CHECK(hx_fit_calibrate(held, m, DEV_PEAK_TFLOPS, &bw, &ce) == 0);
		pred = hx_fit_bench_predict(&rows[i], DEV_PEAK_TFLOPS, bw, ce);
		printf("  %-6s %s measured %.1f predicted %.1f t/s (%+.1f %%)\n", rows[i].type,
			rows[i].is_pp ? "pp" : "tg", rows[i].ts, pred, 100 * (pred / rows[i].ts - 1));
		TB_CHECK(rel_ok(pred, rows[i].ts, 0.20));
	}
	/* the catalogue's cpu factors are the ones all four files give */
	TB_CHECK(hx_fit_calibrate(rows, n, DEV_PEAK_TFLOPS, &bw, &ce) == 0);
	TB_REQUIRE((cat = hx_fit_catalog_load("datasets/hardware.json", err, sizeof err)) != NULL);
	TB_REQUIRE((k = hx_fit_catalog_calib(cat, "cpu")) != NULL);
	TB_CHECK(k->measured);
	TB_CHECK_NEAR(k->bw_eff, bw, 0.01);
	TB_CHECK_NEAR(k->compute_eff, ce, 0.01);
	hx_fit_catalog_free(cat);
	free(rows);
}

/* The catalogue: every entry names its source and date; the hardware is there. */
static void test_fit_catalogue_has_sources_and_the_listed_hardware(void)
{
	static const char *const want[] = { "rtx-3060-12gb", "rtx-4090", "rtx-5090", "a100-40gb",
		"a100-80gb", "h100-sxm", "h100-pcie", "h200", "l40s", "mi300x", "m3-max", "m4-max",
		"m3-ultra", "mac-studio-m3-ultra-x4", "epyc-9654", "xeon-8480" };
	char err[256];
	hx_fit_catalog *c = hx_fit_catalog_load("datasets/hardware.json", err, sizeof err);
	if (!c)
		printf("  %s\n", err);
	TB_REQUIRE(c != NULL);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		TB_CHECK(hx_fit_catalog_find(c, want[i]) != NULL);
	for (size_t i = 0; i < hx_fit_catalog_count(c); i++) {
		const hx_fit_hw *h = hx_fit_catalog_at(c, i);
		TB_CHECK(h->source[0] && h->as_of[0] && h->bandwidth_gbs > 0 && h->memory_gib > 0);
	}
	TB_CHECK(hx_fit_catalog_find(c, "mac-studio-m3-ultra-x4")->devices == 4);
	hx_fit_catalog_free(c);
}

/* Fit: 70B at Q4_K_M needs two 24 GB cards, one 80 GB card, five 12 GB ones or offloads from one;
 * speed falls with context; $ per Mtok follows the batched rate. */
static void test_fit_predict_splits_over_devices_and_offloads(void)
{
	char err[256];
	hx_fit_catalog *c = hx_fit_catalog_load("datasets/hardware.json", err, sizeof err);
	hx_fit_model *m = load(FIX "shapes/llama-3.3-70b.json");
	hx_fit_mem mem;
	hx_fit_opts o = hx_fit_opts_default();
	hx_fit_row r, r8;
	const hx_fit_hw *h;
	TB_REQUIRE(c && m);
	o.n_ctx = 8192;
	TB_REQUIRE(hx_fit_memory(m, "Q4_K_M", o.n_ctx, 1, &mem, err, sizeof err) == 0);
	hx_fit_predict(m, &mem, hx_fit_catalog_find(c, "rtx-4090"), hx_fit_catalog_calib(c, "gpu"), &o, &r);
	TB_CHECK_INT(r.fits, 1);
	TB_CHECK_INT(r.n_devices, 2);
	TB_CHECK(r.headroom_bytes > 0);
	hx_fit_predict(m, &mem, hx_fit_catalog_find(c, "h100-sxm"), hx_fit_catalog_calib(c, "gpu"), &o, &r);
	TB_CHECK_INT(r.fits, 1);
	TB_CHECK_INT(r.n_devices, 1);
	/* decode is bandwidth-bound: about 0.7 x 3350 GB/s / 42 GB */
	TB_CHECK(r.tg_ts > 40 && r.tg_ts < 60);
	TB_CHECK(r.tg_ctx_ts < r.tg_ts);
	TB_CHECK(r.pp_ts > 10 * r.tg_ts);
	TB_CHECK(r.usd_per_mtok_cloud > 0);
	TB_CHECK_NEAR(r.usd_per_mtok_cloud, 2.99 / (r.batch_ts * 3600) * 1e6, 1e-9);
	o.n_parallel = 8;
	TB_REQUIRE(hx_fit_memory(m, "Q4_K_M", o.n_ctx, 8, &mem, err, sizeof err) == 0);
	hx_fit_predict(m, &mem, hx_fit_catalog_find(c, "h100-sxm"), hx_fit_catalog_calib(c, "gpu"), &o, &r8);
	TB_CHECK(r8.batch_ts > 4 * r.batch_ts);
	TB_CHECK(r8.usd_per_mtok_cloud < r.usd_per_mtok_cloud / 4);
	/* a 12 GB card holds a few blocks; the rest stay in a 64 GiB host */
	o.n_parallel = 1;
	TB_REQUIRE(hx_fit_memory(m, "Q4_K_M", o.n_ctx, 1, &mem, err, sizeof err) == 0);
	h = hx_fit_catalog_find(c, "rtx-3060-12gb");
	hx_fit_predict(m, &mem, h, hx_fit_catalog_calib(c, "gpu"), &o, &r);
	TB_CHECK_INT(r.fits, 1);   /* five of them do: 16 blocks, the head tensors, KV and buffers each */
	TB_CHECK_INT(r.n_devices, 5);
	{
		hx_fit_hw one = *h;
		one.max_devices = 1;
		hx_fit_predict(m, &mem, &one, hx_fit_catalog_calib(c, "gpu"), &o, &r);
		TB_CHECK_INT(r.fits, 2);
		TB_CHECK(r.host_layers > 50 && r.host_layers < 80);
		TB_CHECK(r.tg_ts < 3);   /* host memory at 80 GB/s bounds it */
		one.host_bandwidth_gbs = 0;   /* no host bandwidth known: no offload */
		hx_fit_predict(m, &mem, &one, hx_fit_catalog_calib(c, "gpu"), &o, &r);
		TB_CHECK_INT(r.fits, 0);
	}
	hx_fit_model_free(m);
	hx_fit_catalog_free(c);
}

/* `tierbench hw --json` output becomes the entry this-machine; without bandwidth it is refused. */
static void test_fit_hw_profile_becomes_this_machine(void)
{
	char err[256], path[] = "/tmp/tb_fit_hwXXXXXX";
	hx_fit_catalog *c = hx_fit_catalog_load("datasets/hardware.json", err, sizeof err);
	const hx_fit_hw *h;
	FILE *f;
	int fd = mkstemp(path);
	TB_REQUIRE(c && fd >= 0);
	TB_REQUIRE((f = fdopen(fd, "w")) != NULL);
	fputs("{\"cpu_model\":\"Test CPU\",\"cores\":8,\"ram_bytes\":34359738368,\"mem_bw_gbs\":50.5,\"gpus\":[]}", f);
	fclose(f);
	TB_CHECK(hx_fit_catalog_merge(c, path, err, sizeof err) == 0);
	TB_REQUIRE((h = hx_fit_catalog_find(c, "this-machine")) != NULL);
	TB_CHECK_STR(h->cls, "cpu");
	TB_CHECK_NEAR(h->memory_gib, 32, 1e-9);
	TB_CHECK_NEAR(h->bandwidth_gbs, 50.5, 1e-9);
	TB_CHECK_NEAR(h->fp16_tflops, 8 * 64 * 2.0 / 1000, 1e-9);   /* the stated assumption */
	TB_CHECK(h->price_usd < 0);                                  /* no owned cost */
	TB_REQUIRE((f = fopen(path, "w")) != NULL);
	fputs("{\"cpu_model\":\"Test CPU\",\"cores\":8,\"ram_bytes\":34359738368,\"mem_bw_gbs\":50.5,"
		"\"fp16_tflops\":2.5}", f);
	fclose(f);
	TB_CHECK(hx_fit_catalog_merge(c, path, err, sizeof err) == 0);
	TB_CHECK_NEAR(hx_fit_catalog_find(c, "this-machine")->fp16_tflops, 2.5, 1e-9);
	TB_CHECK_INT(hx_fit_catalog_count(c), 18);   /* replaced, not added twice */
	TB_REQUIRE((f = fopen(path, "w")) != NULL);
	fputs("{\"cpu_model\":\"Test CPU\",\"cores\":8,\"ram_bytes\":34359738368,\"mem_bw_gbs\":null}", f);
	fclose(f);
	TB_CHECK(hx_fit_catalog_merge(c, path, err, sizeof err) == HX_EINVAL);
	TB_CHECK(strstr(err, "mem_bw_gbs") != NULL);
	remove(path);
	hx_fit_catalog_free(c);
}

/* Writes text to a scratch file and loads it as a shape file, expecting failure naming `key`. */
static void expect_shape_error(const char *text, const char *key)
{
	char path[] = "/tmp/tb_fit_shapeXXXXXX", err[512] = "";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	hx_fit_model *m;
	TB_REQUIRE(f != NULL);
	fputs(text, f);
	fclose(f);
	m = hx_fit_model_load(path, err, sizeof err);
	TB_CHECK(m == NULL);
	if (!strstr(err, key) || !strstr(err, path))
		printf("  error \"%s\" does not name %s\n", err, key);
	TB_CHECK(strstr(err, key) != NULL && strstr(err, path) != NULL);
	hx_fit_model_free(m);
	remove(path);
}

static void test_fit_rejects_bad_shape_files(void)
{
#define BASE "\"name\":\"x\",\"architecture\":\"llama\",\"hidden\":64,\"heads\":8,\"vocab\":100,\"context\":512"
	expect_shape_error("{" BASE ",\"ffn\":128}", "layers");                       /* missing */
	expect_shape_error("{" BASE ",\"layers\":2}", "ffn");                         /* dense needs ffn */
	expect_shape_error("{" BASE ",\"layers\":2,\"ffn\":128,\"kv_heads\":3}", "kv_heads");
	expect_shape_error("{" BASE ",\"layers\":2,\"ffn\":128,\"kv_head\":2}", "kv_head");   /* typo */
	expect_shape_error("{" BASE ",\"layers\":2.5,\"ffn\":128}", "layers");
	expect_shape_error("{" BASE ",\"layers\":2,\"ffn\":-1}", "ffn");
	expect_shape_error("{" BASE ",\"layers\":2,\"experts\":{\"count\":4,\"used\":8,\"ffn\":32}}", "experts.used");
	expect_shape_error("{" BASE ",\"layers\":2,\"ffn\":128,\"sliding_window\":{\"size\":4096}}", "sliding_window.size");
	expect_shape_error("{" BASE ",\"layers\":2,\"ffn\":128,\"native_types\":{\"_exps\":\"mxfp4\"}}", "native_types._exps");
	expect_shape_error("{" BASE ",\"layers\":2,\"ffn\":128", "JSON");
	expect_shape_error("{\"name\":\"x\",\"hidden\":64}", "architecture");
	expect_shape_error("{\"name\":\"x\",\"architecture\":\"llama\",\"hidden\":1048576,\"heads\":8,"
		"\"vocab\":16777216,\"context\":512,\"layers\":4096,\"ffn\":4194304}", "10^15");
#undef BASE
}

static void test_fit_rejects_context_beyond_the_model_and_unknown_mixes(void)
{
	char err[256];
	hx_fit_model *m = load(FIX "shapes/qwen3-30b-a3b.json");
	hx_fit_mem mem;
	TB_REQUIRE(m != NULL);
	TB_CHECK(hx_fit_memory(m, "Q4_K_M", 40961, 1, &mem, err, sizeof err) == HX_EINVAL);
	TB_CHECK(strstr(err, "40961") && strstr(err, "40960"));
	TB_CHECK(hx_fit_memory(m, "Q4_K_X", 4096, 1, &mem, err, sizeof err) == HX_EINVAL);
	TB_CHECK(strstr(err, "Q4_K_X") != NULL);
	TB_CHECK(hx_fit_memory(m, "Q4_K_M", 40960, 1, &mem, err, sizeof err) == 0);
	TB_CHECK(hx_fit_memory(m, "Q4_K_M", 40960, 0, &mem, err, sizeof err) == HX_EINVAL);
	hx_fit_model_free(m);
	/* a cache past 10^18 bytes is refused rather than wrapped */
	{
		char path[] = "/tmp/tb_fit_kvXXXXXX";
		int fd = mkstemp(path);
		FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
		TB_REQUIRE(f != NULL);
		fputs("{\"name\":\"wide\",\"architecture\":\"llama\",\"layers\":64,\"hidden\":64,\"heads\":4096,"
			"\"head_dim\":65536,\"ffn\":64,\"vocab\":64,\"context\":67108864}", f);
		fclose(f);
		m = load(path);
		remove(path);
		TB_REQUIRE(m != NULL);
		TB_CHECK(hx_fit_memory(m, "F16", 67108864, 4096, &mem, err, sizeof err) == HX_EINVAL);
		TB_CHECK(strstr(err, "KV cache") != NULL);
		TB_CHECK(hx_fit_memory(m, "F16", 16, 1, &mem, err, sizeof err) == 0);
		hx_fit_model_free(m);
	}
}

static void test_fit_rejects_bad_catalogue_entries(void)
{
	char path[] = "/tmp/tb_fit_catXXXXXX", err[512];
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	TB_REQUIRE(f != NULL);
	fputs("{\"hardware\":[{\"name\":\"x\",\"class\":\"gpu\",\"memory_gib\":24,\"bandwidth_gbs\":-5,"
		"\"fp16_tflops\":1,\"price_usd\":1,\"power_w\":1,\"source\":\"s\",\"as_of\":\"d\"}]}", f);
	fclose(f);
	TB_CHECK(hx_fit_catalog_load(path, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "hardware[0].bandwidth_gbs") != NULL);
	TB_REQUIRE((f = fopen(path, "w")) != NULL);
	fputs("{\"hardware\":[{\"name\":\"x\",\"class\":\"gpu\",\"memory_gib\":24,\"bandwidth_gbs\":5,"
		"\"fp16_tflops\":1,\"price_usd\":1,\"power_w\":1,\"as_of\":\"d\"}]}", f);
	fclose(f);
	TB_CHECK(hx_fit_catalog_load(path, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "hardware[0].source") != NULL);
	remove(path);
}

int main(void)
{
	TB_RUN(test_fit_mix_of_f16_file_matches_each_quantized_file);
	TB_RUN(test_fit_public_shapes_match_published_figures);
	TB_RUN(test_fit_kv_cache_follows_the_attention_kind);
	TB_RUN(test_fit_calibration_predicts_recorded_bench_within_20_percent);
	TB_RUN(test_fit_catalogue_has_sources_and_the_listed_hardware);
	TB_RUN(test_fit_predict_splits_over_devices_and_offloads);
	TB_RUN(test_fit_hw_profile_becomes_this_machine);
	TB_RUN(test_fit_rejects_bad_shape_files);
	TB_RUN(test_fit_rejects_context_beyond_the_model_and_unknown_mixes);
	TB_RUN(test_fit_rejects_bad_catalogue_entries);
	return tb_test_end();
}
