/* tests/engine/test_cuda.c — the CUDA backend against the CPU: every kernel type against the
 * scalar dequantization, and greedy tokens of every reference model. Skips (with the reason)
 * when built without CUDA or when no device is present. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "test.h"
#include "engine/engine.h"
#include "engine/quant_impl.h"
#include "engine/cuda/cuda_backend.h"
#ifdef TB_CUDA
#include "engine/cuda/mmvq.h"
#endif

#ifdef TB_CUDA
static float round_f16(float v)
{
	return eng_f16_to_f32(eng_f32_to_f16(v));
}

/* The largest |y - ref| / (2e-5 * sum |w x| + 1e-6) over y[t][r] (n_tok x ne1), ref the
 * dequantized rows of w (`type`; with w_f16, each value rounded to F16) times the rounded
 * activations xr (n_tok x ne0) in double; row: scratch of ne0 floats. NaN counts as infinitely
 * bad. */
static double worst_error(int type, const void *w, int64_t ne0, int64_t ne1, const float *xr, int n_tok,
		const float *y, float *row, int w_f16)
{
	const size_t rs = eng_row_size(type, ne0);
	double worst = 0;

	for (int64_t r = 0; r < ne1; r++) {
		eng_dequant_row(type, (const char *)w + (size_t)r * rs, row, ne0);
		for (int64_t i = 0; i < ne0 && w_f16; i++)
			row[i] = round_f16(row[i]);
		for (int k = 0; k < n_tok; k++) {
			double s = 0, a = 0, e;

			for (int64_t i = 0; i < ne0; i++) {
				s += (double)row[i] * xr[k * ne0 + i];
				a += fabs((double)row[i] * xr[k * ne0 + i]);
			}
			e = fabs(y[k * ne1 + r] - s) / (2e-5 * a + 1e-6);
			if (!(e <= worst))
				worst = e;
		}
	}
	return worst;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static float frand(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (float)((rng_state >> 11) * 0x1.0p-53) * 2.0f - 1.0f;
}
#endif

/* y = W x for each supported type on the GPU, against the CPU in double: the dequantized row
 * times x rounded as the CPU path rounds it (to the type's dot type: F16, BF16, Q8_0 / Q8_1 /
 * Q8_K blocks), |gpu - cpu| <= 2e-5 * sum |w x| + 1e-6 (float sums in another order). Q8_0,
 * IQ4_NL, IQ4_XS, Q2_K, Q4_K and Q6_K take the packed 8-bit dot-product kernels, the others the
 * float path. Batch invariance: a token's products alone (one token, one pass) are bitwise
 * those it gets in the 11-token call (as the first and as the 10th token, in the second pass).
 * Two shapes: 37 rows of 768 (a last block of 4 rows part full) and 9 rows of 4352 (more items
 * per row than a warp's lanes take in one round); the packed types in both layouts (a row per
 * warp, a row per block of 4 warps). Outputs are poisoned with NaN first. */
static void test_cuda_products_match_the_cpu_for_every_type(void)
{
#ifndef TB_CUDA
	TB_SKIP("built without CUDA (make CUDA=1)");
#else
	static const int types[] = { ENG_T_F32, ENG_T_F16, ENG_T_BF16, ENG_T_Q4_0, ENG_T_Q4_1, ENG_T_Q5_0,
		ENG_T_Q5_1, ENG_T_Q8_0, ENG_T_IQ4_NL, ENG_T_Q2_K, ENG_T_Q3_K, ENG_T_Q4_K, ENG_T_Q5_K, ENG_T_Q6_K,
		ENG_T_IQ4_XS };
	static const struct { int64_t ne0, ne1; } shapes[] = { { 768, 37 }, { 4352, 9 } };
	enum { MAXN = 768 * 37 > 4352 * 9 ? 768 * 37 : 4352 * 9, MAXC = 4352 };
	const int n_tok = 11;   /* two passes over the weights: 8 + 3 tokens */
	char err[256];
	float *f = malloc(sizeof(float) * MAXN), *x = malloc(sizeof(float) * (size_t)(MAXC * n_tok));
	float *row = malloc(sizeof(float) * MAXC), *y = malloc(sizeof(float) * (size_t)(37 * n_tok));
	float *xr = malloc(sizeof(float) * (size_t)(MAXC * n_tok)), *y1 = malloc(sizeof(float) * 37);
	char *aq = malloc((size_t)MAXC * 4 + 64);
	char *w = malloc((size_t)MAXN * 4);
	int bad = 0;

	if (eng_cuda_device_count() <= 0)
		TB_SKIP("no CUDA device");
	TB_REQUIRE(f && x && row && y && w && xr && aq && y1);
	for (int64_t i = 0; i < MAXN; i++)
		f[i] = frand() * (i % 97 == 0 ? 4.0f : 1.0f);
	for (int64_t i = 0; i < MAXC * n_tok; i++)
		x[i] = frand();
	for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
	for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
		const int t = types[ti];
		const int64_t ne0 = shapes[si].ne0, ne1 = shapes[si].ne1;
		const size_t rs = eng_row_size(t, ne0);
		const int vt = eng_type_get(t)->vec_dot_type;

		if (si > 0 && !cu_mmvq_type(t))
			continue;
		TB_CHECK(eng_cuda_type_supported(t));
		for (int k = 0; k < n_tok; k++) {   /* the CPU's rounding of the activations */
			TB_REQUIRE(eng_quant_act_row_ref(vt, x + k * ne0, aq, ne0) == 0);
			TB_REQUIRE(eng_dequant_row(vt, aq, xr + k * ne0, ne0) == 0);
		}
		for (int64_t r = 0; r < ne1; r++)
			TB_REQUIRE(eng_quant_row_ref(t, f + r * ne0, w + (size_t)r * rs, ne0, NULL) == 0);
		for (int warps = 1; warps <= 4; warps += 3) {
			double worst;

			if (warps == 4 && !cu_mmvq_type(t))
				break;
			for (int64_t i = 0; i < ne1 * n_tok; i++)
				y[i] = NAN;
			TB_REQUIRE(eng_cuda_matvec_test(t, ne0, ne1, w, x, n_tok, 0, warps, y, err, sizeof err) == 0);
			worst = worst_error(t, w, ne0, ne1, xr, n_tok, y, row, 0);
			printf("  %-7s %lld x %lld, %d warp(s) a row: worst error / tolerance %.3f\n",
				eng_type_get(t)->name, (long long)ne1, (long long)ne0, warps, worst);
			if (!(worst <= 1.0))
				bad++;
			for (int k = 0; k < n_tok; k += 9) {
				for (int64_t i = 0; i < ne1; i++)
					y1[i] = NAN;
				TB_REQUIRE(eng_cuda_matvec_test(t, ne0, ne1, w, x + k * ne0, 1, 0, warps, y1, err,
					sizeof err) == 0);
				if (memcmp(y1, y + k * ne1, sizeof(float) * (size_t)ne1) != 0) {
					printf("  %-7s token %d alone differs from the same token in a batch\n",
						eng_type_get(t)->name, k);
					bad++;
				}
			}
		}
	}
	TB_CHECK_INT(bad, 0);
	free(f);
	free(x);
	free(row);
	free(y);
	free(w);
	free(xr);
	free(aq);
	free(y1);
#endif
}

/* The packed 8-bit kernels' decoding and products, run on the host by cu_mmvq_host (the device
 * code's own functions), against the CPU's dequantized rows times the CPU reference rounding of
 * the activations (Q8_0 or Q8_K blocks, unpacked into quants, scales and 16-sums), same
 * tolerance as on the device. Needs no device. */
static void test_cuda_packed_kernel_arithmetic_matches_the_cpu_on_the_host(void)
{
#ifndef TB_CUDA
	TB_SKIP("built without CUDA (make CUDA=1)");
#else
	static const int types[] = { ENG_T_Q8_0, ENG_T_IQ4_NL, ENG_T_IQ4_XS, ENG_T_Q2_K, ENG_T_Q4_K, ENG_T_Q6_K };
	enum { NE0 = 768, NE1 = 13, NT = 3 };
	static float f[NE0 * NE1], x[NE0 * NT], xr[NE0 * NT], row[NE0], y[NE1 * NT], ad[NE0 * NT / 32];
	static signed char aq[NE0 * NT];
	static int as[NE0 * NT / 16];
	static unsigned char w[NE0 * NE1 * 2], ab[NE0 * 2];
	int bad = 0;

	for (int i = 0; i < NE0 * NE1; i++)
		f[i] = frand() * (i % 89 == 0 ? 5.0f : 1.0f);
	for (int i = 0; i < NE0 * NT; i++)
		x[i] = frand() * (i % 61 == 0 ? 3.0f : 1.0f);
	for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
		const int t = types[ti], vt = eng_type_get(t)->vec_dot_type;
		const size_t rs = eng_row_size(t, NE0);
		double worst;

		TB_CHECK(cu_mmvq_type(t));
		TB_REQUIRE(vt == ENG_T_Q8_0 || vt == ENG_T_Q8_K);
		for (int k = 0; k < NT; k++) {
			TB_REQUIRE(eng_quant_act_row_ref(vt, x + k * NE0, ab, NE0) == 0);
			TB_REQUIRE(eng_dequant_row(vt, ab, xr + k * NE0, NE0) == 0);
			for (int b = 0; b < NE0 / 32; b++) {
				const int8_t *qs;
				float d;
				if (vt == ENG_T_Q8_0) {
					const eng_blk_q8_0 *blk = (const eng_blk_q8_0 *)ab + b;
					qs = blk->qs;
					d = eng_f16_to_f32(blk->d);
				} else {
					const eng_blk_q8_K *blk = (const eng_blk_q8_K *)ab + b / 8;
					qs = blk->qs + 32 * (b % 8);
					d = blk->d;
				}
				ad[k * NE0 / 32 + b] = d;
				for (int h = 0; h < 2; h++) {
					int s = 0;
					for (int j = 0; j < 16; j++)
						s += aq[k * NE0 + 32 * b + 16 * h + j] = qs[16 * h + j];
					as[k * NE0 / 16 + 2 * b + h] = s;
				}
			}
		}
		for (int r = 0; r < NE1; r++)
			TB_REQUIRE(eng_quant_row_ref(t, f + r * NE0, w + (size_t)r * rs, NE0, NULL) == 0);
		TB_REQUIRE(cu_mmvq_host(t, w, NE0, NE1, aq, ad, as, NT, y) == 0);
		worst = worst_error(t, w, NE0, NE1, xr, NT, y, row, 0);
		printf("  %-7s worst error / tolerance %.3f\n", eng_type_get(t)->name, worst);
		if (!(worst <= 1.0))
			bad++;
	}
	TB_CHECK_INT(bad, 0);
#endif
}

/* The prefill path's dequantization of packed weights (cu_dequant's decoding, run on the host)
 * against the CPU's scalar dequantization, for every packed type: equal within float rounding
 * (2e-6 of the row's largest magnitude; the device then rounds each value to F16). Needs no
 * device. */
static void test_cuda_prefill_dequantization_matches_the_cpu_on_the_host(void)
{
#ifndef TB_CUDA
	TB_SKIP("built without CUDA (make CUDA=1)");
#else
	static const int types[] = { ENG_T_Q8_0, ENG_T_IQ4_NL, ENG_T_IQ4_XS, ENG_T_Q2_K, ENG_T_Q4_K, ENG_T_Q6_K };
	enum { NE0 = 512, NE1 = 7 };
	static float f[NE0 * NE1], y[NE0 * NE1], ref[NE0];
	static unsigned char w[NE0 * NE1 * 2];
	int bad = 0;

	for (int i = 0; i < NE0 * NE1; i++)
		f[i] = frand() * (i % 89 == 0 ? 5.0f : 1.0f);
	for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
		const int t = types[ti];
		const size_t rs = eng_row_size(t, NE0);
		double worst = 0;

		for (int r = 0; r < NE1; r++)
			TB_REQUIRE(eng_quant_row_ref(t, f + r * NE0, w + (size_t)r * rs, NE0, NULL) == 0);
		for (int i = 0; i < NE0 * NE1; i++)
			y[i] = NAN;
		TB_REQUIRE(cu_dequant_host(t, w, NE0, NE1, y) == 0);
		for (int r = 0; r < NE1; r++) {
			double amax = 0;

			TB_REQUIRE(eng_dequant_row(t, w + (size_t)r * rs, ref, NE0) == 0);
			for (int i = 0; i < NE0; i++)
				amax = fabs(ref[i]) > amax ? fabs(ref[i]) : amax;
			for (int i = 0; i < NE0; i++) {
				double e = fabs(y[r * NE0 + i] - ref[i]) / (2e-6 * amax + 1e-30);

				if (!(e <= worst))
					worst = e;
			}
		}
		printf("  %-7s worst error / tolerance %.3f\n", eng_type_get(t)->name, worst);
		if (!(worst <= 1.0))
			bad++;
	}
	TB_CHECK_INT(bad, 0);
#endif
}

#ifdef TB_CUDA
static float round_bf16(float v)
{
	return eng_bf16_to_f32(eng_f32_to_bf16(v));
}
#endif

/* The prefill (tensor-core) products for every type but F32 against the CPU in double: the
 * dequantized rows rounded to F16 (BF16 stays BF16) times the activations rounded to F16 (BF16
 * for BF16 weights), |gpu - ref| <= 2e-5 * sum |w x| + 1e-6. 200 rows (a tile and a part; two
 * weight chunks of 128 rows); 1, 7 and 33 tokens in tiles of 64 (a part; a tile and a part) and
 * 33 and 161 in tiles of 128; rows of 200 values for the float types (K padded to 224). Each
 * output is poisoned first. */
static void test_cuda_prefill_products_match_the_cpu_for_every_type(void)
{
#ifndef TB_CUDA
	TB_SKIP("built without CUDA (make CUDA=1)");
#else
	static const int types[] = { ENG_T_F16, ENG_T_BF16, ENG_T_Q4_0, ENG_T_Q4_1, ENG_T_Q5_0, ENG_T_Q5_1,
		ENG_T_Q8_0, ENG_T_IQ4_NL, ENG_T_Q2_K, ENG_T_Q3_K, ENG_T_Q4_K, ENG_T_Q5_K, ENG_T_Q6_K, ENG_T_IQ4_XS };
	static const struct { int n, bn; } toks[] = { { 1, 64 }, { 7, 64 }, { 33, 64 }, { 33, 128 }, { 161, 128 } };
	enum { NE1 = 200, MAXT = 161 };
	char err[256];
	float *f = malloc(sizeof(float) * 768 * NE1), *x = malloc(sizeof(float) * 768 * MAXT);
	float *row = malloc(sizeof(float) * 768), *y = malloc(sizeof(float) * NE1 * MAXT);
	float *xr = malloc(sizeof(float) * 768 * MAXT);
	char *w = malloc((size_t)768 * NE1 * 4);
	int bad = 0;

	if (eng_cuda_device_count() <= 0)
		TB_SKIP("no CUDA device");
	TB_REQUIRE(f && x && row && y && w && xr);
	for (int64_t i = 0; i < 768 * NE1; i++)
		f[i] = frand() * (i % 97 == 0 ? 4.0f : 1.0f);
	for (int64_t i = 0; i < 768 * MAXT; i++)
		x[i] = frand() * (i % 53 == 0 ? 6.0f : 1.0f);
	for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
		const int t = types[ti], bf = t == ENG_T_BF16;
		const int64_t ne0 = t == ENG_T_F16 || t == ENG_T_BF16 ? 200 : 768;
		const size_t rs = eng_row_size(t, ne0);
		double worst = 0, e;

		for (int64_t r = 0; r < NE1; r++)
			TB_REQUIRE(eng_quant_row_ref(t, f + r * ne0, w + (size_t)r * rs, ne0, NULL) == 0);
		for (int64_t i = 0; i < ne0 * MAXT; i++)
			xr[i] = bf ? round_bf16(x[i]) : round_f16(x[i]);
		for (size_t k = 0; k < sizeof toks / sizeof toks[0]; k++) {
			const int n = toks[k].n;

			for (int i = 0; i < NE1 * n; i++)
				y[i] = NAN;
			TB_REQUIRE(eng_cuda_matvec_test(t, ne0, NE1, w, x, n, toks[k].bn, 0, y, err, sizeof err) == 0);
			e = worst_error(t, w, ne0, NE1, xr, n, y, row, !bf);
			if (!(e <= worst))
				worst = e;
		}
		printf("  %-7s worst error / tolerance %.3f\n", eng_type_get(t)->name, worst);
		if (!(worst <= 1.0))
			bad++;
	}
	TB_CHECK_INT(bad, 0);
	free(f);
	free(x);
	free(row);
	free(y);
	free(w);
	free(xr);
#endif
}

/* Both attention kernels (per token, as decode takes it; tiled on the tensor cores, as prefill
 * takes it) against the CPU's attention in double for head sizes 64 and 128 (Llama-3-8B's), 2
 * and 4 query heads a KV head: 40 query tokens (a tile of 32 and a part) at the last positions
 * of 77 cache cells (chunks of 32 keys and a part), queries and cache rounded to F16 as the
 * CPU does; |gpu - ref| <= 2e-3 * sum_p w_p |v_p| + 1e-5 (the weights are rounded to F16 as
 * the CPU's). Outputs poisoned with NaN first. */
static void test_cuda_attention_matches_the_cpu_for_head_sizes_64_and_128(void)
{
#ifndef TB_CUDA
	TB_SKIP("built without CUDA (make CUDA=1)");
#else
	static const struct { int n_head, n_head_kv, hd; } shapes[] = { { 4, 2, 64 }, { 8, 2, 128 } };
	enum { NT = 40, NKV = 77, MAXH = 8, MAXD = 128 };
	float *q = malloc(sizeof(float) * NT * MAXH * MAXD), *k = malloc(sizeof(float) * NKV * MAXH * MAXD);
	float *v = malloc(sizeof(float) * NKV * MAXH * MAXD), *o = malloc(sizeof(float) * NT * MAXH * MAXD);
	double *sc = malloc(sizeof(double) * NKV);
	char err[256];
	int bad = 0;

	if (eng_cuda_device_count() <= 0)
		TB_SKIP("no CUDA device");
	TB_REQUIRE(q && k && v && o && sc);
	for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
		const int nh = shapes[si].n_head, nkv = shapes[si].n_head_kv, hd = shapes[si].hd;

		for (int i = 0; i < NT * nh * hd; i++)
			q[i] = 3.0f * frand();
		for (int i = 0; i < NKV * nkv * hd; i++) {
			k[i] = frand();
			v[i] = frand();
		}
		for (int tile = 0; tile < 2; tile++) {
			double worst = 0;

			for (int i = 0; i < NT * nh * hd; i++)
				o[i] = NAN;
			TB_REQUIRE(eng_cuda_attn_test(nh, nkv, hd, hd, NT, NKV, q, k, v, tile, o, err, sizeof err) == 0);
			for (int t = 0; t < NT; t++)
				for (int h = 0; h < nh; h++) {
					const int hk = h / (nh / nkv), np = NKV - NT + t + 1;
					double m = -INFINITY, sum = 0;

					for (int p = 0; p < np; p++) {
						double d = 0;

						for (int c = 0; c < hd; c++)
							d += (double)round_f16(q[(t * nh + h) * hd + c]) *
								round_f16(k[(p * nkv + hk) * hd + c]);
						sc[p] = d / sqrt((double)hd);
						if (sc[p] > m)
							m = sc[p];
					}
					for (int p = 0; p < np; p++)
						sum += exp(sc[p] - m);
					for (int c = 0; c < hd; c++) {
						double ref = 0, a = 0, e;

						for (int p = 0; p < np; p++) {
							const double w = exp(sc[p] - m) / sum, vv = round_f16(v[(p * nkv + hk) * hd + c]);

							ref += w * vv;
							a += w * fabs(vv);
						}
						e = fabs(o[(t * nh + h) * hd + c] - ref) / (2e-3 * a + 1e-5);
						if (!(e <= worst))
							worst = e;
					}
				}
			printf("  head size %d, %d/%d heads, %s: worst error / tolerance %.3f\n", hd, nh, nkv,
				tile ? "tiled (prefill)" : "per token (decode)", worst);
			if (!(worst <= 1.0))
				bad++;
		}
	}
	TB_CHECK_INT(bad, 0);
	free(q);
	free(k);
	free(v);
	free(o);
	free(sc);
#endif
}

#ifdef TB_CUDA
/* The reference models and their logit tolerances (see below). */
static const struct {
	const char *name;
	double tol;
} refs[] = { { "stories260K", 0 }, { "derived/stories260K-Q4_K_M", 0.06 }, { "derived/stories260K-Q2_K", 0.2 },
	{ "synthetic/synth-tiny-F16", 4e-3 }, { "synthetic/synth-tiny-Q8_0", 0.05 },
	{ "synthetic/synth-tiny-Q6_K", 0.15 }, { "synthetic/synth-tiny-Q4_K_M", 0.06 },
	{ "synthetic/synth-tiny-Q2_K", 0.2 } };

/* The reference prompt of refs[k] into prompt (at most cap ids), repeated until it has at least
 * min_len ids; its length, or 0 when the model is not in the shared folder (gguf: its path). */
static int ref_prompt(const char *sh, size_t k, int32_t *prompt, int cap, int min_len, char *gguf, size_t gn)
{
	char path[600];
	char *text;
	cJSON *j, *ids;
	int np = 0, n1;

	snprintf(path, sizeof path, "%s/models/%s.ref.json", sh, refs[k].name);
	snprintf(gguf, gn, "%s/models/%s.gguf", sh, refs[k].name);
	text = tb_slurp(path, NULL);
	if (!text) {
		printf("  %s: missing, skipped\n", path);
		return 0;
	}
	j = cJSON_Parse(text);
	free(text);
	ids = j ? cJSON_GetObjectItem(j, "prompt_ids") : NULL;
	for (cJSON *it = ids ? ids->child : NULL; it && np < cap; it = it->next)
		prompt[np++] = (int32_t)it->valuedouble;
	cJSON_Delete(j);
	n1 = np;
	while (n1 > 0 && np < min_len && np < cap) {
		prompt[np] = prompt[np - n1];
		np++;
	}
	return np;
}

/* Prompt ids and greedy continuation of one model on one device; returns the number of tokens
 * written to out, or -1. Also keeps the first step's logits in first (n_vocab floats) and each
 * step's gap between its two largest logits in gap[]. */
static int greedy(const char *path, int device, int ngl, const int32_t *prompt, int n_prompt, int n_gen,
		int32_t *out, float *first, double *gap, int *nv_out)
{
	eng_opts o = eng_opts_default();
	eng_ctx_params cp = eng_ctx_params_default();
	eng_model *m;
	eng_ctx *c;
	eng_batch b = { 0 };
	char err[512];

	o.device = device;
	o.n_gpu_layers = ngl;
	m = eng_load(path, &o, err, sizeof err);
	if (!m) {
		printf("  %s\n", err);
		return -1;
	}
	cp.n_ctx = n_prompt + n_gen + 8;
	c = eng_ctx_new(m, &cp, err, sizeof err);
	if (!c) {
		printf("  %s\n", err);
		eng_model_free(m);
		return -1;
	}
	*nv_out = eng_n_vocab(m);
	b.n = n_prompt;
	b.token = prompt;
	for (int s = 0; s < n_gen; s++) {
		const float *lg;
		int best = 0, second = -1;

		if (eng_decode(c, &b) != 0)
			break;
		lg = eng_logits(c, b.n - 1);
		if (s == 0)
			memcpy(first, lg, sizeof(float) * (size_t)*nv_out);
		for (int i = 1; i < *nv_out; i++) {
			if (lg[i] > lg[best]) {
				second = best;
				best = i;
			} else if (second < 0 || lg[i] > lg[second]) {
				second = i;
			}
		}
		out[s] = best;
		gap[s] = second >= 0 ? (double)lg[best] - lg[second] : 1e30;
		b.n = 1;
		b.token = &out[s];
	}
	eng_ctx_free(c);
	eng_model_free(m);
	return n_gen;
}
#endif

#ifdef TB_CUDA
/* refs[k]'s prompt (repeated to at least min_len ids), then n_gen greedy tokens on the CPU and
 * on the GPU with ngl layers there (-1: all). The tokens must be the same up to the first step
 * where they part, and they may part only at a near tie: where the CPU's two best logits are
 * within the file's logit tolerance. Adds 1 to *checked unless the model is missing. */
static void same_greedy(const char *sh, size_t k, int min_len, int ngl, int n_gen, int *checked)
{
	char gguf[600];
	int32_t prompt[256], cpu[32], gpu[32];
	double gap[32], gap_gpu[32];
	float *l_cpu = malloc(sizeof(float) * 300000), *l_gpu = malloc(sizeof(float) * 300000);
	int np, nv = 0, same = 0;
	double md = 0;

	TB_REQUIRE(l_cpu && l_gpu && n_gen <= 32);
	np = ref_prompt(sh, k, prompt, 256, min_len, gguf, sizeof gguf);
	if (np == 0) {
		free(l_cpu);
		free(l_gpu);
		return;
	}
	TB_REQUIRE(greedy(gguf, ENG_DEVICE_CPU, -1, prompt, np, n_gen, cpu, l_cpu, gap, &nv) == n_gen);
	TB_REQUIRE(greedy(gguf, ENG_DEVICE_CUDA, ngl, prompt, np, n_gen, gpu, l_gpu, gap_gpu, &nv) == n_gen);
	for (int i = 0; i < n_gen && cpu[i] == gpu[i]; i++)
		same++;
	for (int i = 0; i < nv; i++)
		if (fabs(l_cpu[i] - l_gpu[i]) > md)
			md = fabs(l_cpu[i] - l_gpu[i]);
	printf("  %s, %d-token prompt, -ngl %d: greedy %d/%d equal", refs[k].name, np, ngl, same, n_gen);
	if (same < n_gen)
		printf(" (then a CPU top-2 gap of %.4f, tolerance %g)", gap[same], refs[k].tol);
	printf(", first-step max |logit diff| %.2e\n", md);
	TB_CHECK(same == n_gen || gap[same] <= refs[k].tol);
	free(l_cpu);
	free(l_gpu);
	(*checked)++;
}


/* same_greedy on every reference model with each ngl in ngl0..ngl1; skips without a device or
 * the shared folder, fails when no model was there. */
static void greedy_all(int min_len, int ngl0, int ngl1, int n_gen)
{
	const char *sh = tb_shared_dir();
	int checked = 0;

	if (eng_cuda_device_count() <= 0)
		TB_SKIP("no CUDA device");
	if (!sh)
		TB_SKIP("no shared folder");
	for (size_t k = 0; k < sizeof refs / sizeof refs[0]; k++)
		for (int ngl = ngl0; ngl <= ngl1; ngl++)
			same_greedy(sh, k, min_len, ngl, n_gen, &checked);
	TB_CHECK(checked > 0);
}
#endif

/* Every model with a llama.cpp reference in the shared folder: the reference prompt, then 32
 * greedy tokens on the CPU and on the GPU (same_greedy). The logit tolerances are test_model.c's,
 * from the spread between the CPU's own kernel levels (the GPU sums in yet another order, and one
 * flipped rounding of an activation block moves logits by 0.02-0.1 on these random-weight
 * models). stories260K (F32) must match all 32. The first step's largest logit difference is
 * printed. */
static void test_cuda_greedy_tokens_equal_the_cpu_on_every_reference_model(void)
{
#ifndef TB_CUDA
	TB_SKIP("built without CUDA (make CUDA=1)");
#else
	greedy_all(0, -1, -1, 32);
#endif
}

/* Prefill: the reference prompt repeated to 75+ tokens goes through the GPU in one batch (the
 * tensor-core products, and the tiled attention where the head size allows: synth-tiny's 64),
 * then 16 greedy tokens; same check as above. */
static void test_cuda_prefill_greedy_tokens_equal_the_cpu(void)
{
#ifndef TB_CUDA
	TB_SKIP("built without CUDA (make CUDA=1)");
#else
	greedy_all(75, -1, -1, 16);
#endif
}

/* Partial offload: -ngl 1 and 2 (of stories260K's 5 and synth-tiny's 2 layers) run those layers
 * on the GPU and the rest with the output head on the CPU; a 75+-token prompt and 16 greedy
 * tokens equal the all-CPU run (same check as above). */
static void test_cuda_partial_offload_greedy_tokens_equal_the_cpu(void)
{
#ifndef TB_CUDA
	TB_SKIP("built without CUDA (make CUDA=1)");
#else
	greedy_all(75, 1, 2, 16);
#endif
}

#ifdef TB_CUDA
/* The logits of n one-token steps (each feeding the greedy token back) after the prompt, all on
 * the GPU, into lg (n x n_vocab); the context is made with TB_CUDA_PDL=1 (programmatic dependent
 * launch) or TB_CUDA_PDL=0 (plain launches). The vocabulary size, or -1. */
static int step_logits(const char *path, int pdl, const int32_t *prompt, int np, int n, float *lg, int cap)
{
	eng_opts o = eng_opts_default();
	eng_ctx_params cp = eng_ctx_params_default();
	eng_batch b = { 0 };
	eng_model *m;
	eng_ctx *c;
	char err[512];
	int32_t tok;
	int nv = -1;

	o.device = ENG_DEVICE_CUDA;
	m = eng_load(path, &o, err, sizeof err);
	if (!m)
		return -1;
	setenv("TB_CUDA_PDL", pdl ? "1" : "0", 1);
	cp.n_ctx = np + n + 8;
	c = eng_ctx_new(m, &cp, err, sizeof err);
	unsetenv("TB_CUDA_PDL");
	if (c && (size_t)eng_n_vocab(m) * (size_t)n <= (size_t)cap) {
		nv = eng_n_vocab(m);
		b.n = np;
		b.token = prompt;
		for (int s = 0; s <= n && nv > 0; s++) {
			const float *l;
			int best = 0;

			if (eng_decode(c, &b) != 0) {
				nv = -1;
				break;
			}
			l = eng_logits(c, b.n - 1);
			if (s > 0)
				memcpy(lg + (size_t)(s - 1) * nv, l, sizeof(float) * (size_t)nv);
			for (int i = 1; i < nv; i++)
				if (l[i] > l[best])
					best = i;
			tok = best;
			b.n = 1;
			b.token = &tok;
		}
	}
	eng_ctx_free(c);
	eng_model_free(m);
	return nv;
}
#endif

/* One-token steps (the captured graph) give bitwise the same logits with programmatic dependent
 * launches (each kernel starting while the one before it ends) as with plain launches: a
 * kernel reading before its wait what the kernel before it writes would show here. On a
 * quantized model (the 8-bit products, roundings, RoPE and attention launched so) and the F32
 * one (float-path kernels between them). */
static void test_cuda_one_token_steps_are_the_same_with_and_without_dependent_launch(void)
{
#ifndef TB_CUDA
	TB_SKIP("built without CUDA (make CUDA=1)");
#else
	static const char *const names[] = { "synthetic/synth-tiny-Q4_K_M", "stories260K" };
	const char *sh = tb_shared_dir();
	enum { N = 12, CAP = 12 * 300000 };
	float *a, *b;
	int checked = 0;

	if (eng_cuda_device_count() <= 0)
		TB_SKIP("no CUDA device");
	if (!sh)
		TB_SKIP("no shared folder");
	a = malloc(sizeof(float) * CAP);
	b = malloc(sizeof(float) * CAP);
	TB_REQUIRE(a && b);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char gguf[600];
		int32_t prompt[64];
		int np = 0, n1, n2;
		size_t k = 0;

		while (k < sizeof refs / sizeof refs[0] && strcmp(refs[k].name, names[i]) != 0)
			k++;
		TB_REQUIRE(k < sizeof refs / sizeof refs[0]);
		np = ref_prompt(sh, k, prompt, 64, 1, gguf, sizeof gguf);
		if (np == 0)
			continue;
		n1 = step_logits(gguf, 1, prompt, np, N, a, CAP);
		n2 = step_logits(gguf, 0, prompt, np, N, b, CAP);
		TB_REQUIRE(n1 > 0 && n1 == n2);
		printf("  %s: %d one-token steps %s\n", names[i], N,
			memcmp(a, b, sizeof(float) * (size_t)N * n1) == 0 ? "equal" : "DIFFER");
		TB_CHECK(memcmp(a, b, sizeof(float) * (size_t)N * n1) == 0);
		checked++;
	}
	free(a);
	free(b);
	if (!checked)
		TB_SKIP("no reference models under ../shared/models");
#endif
}

/* Without CUDA, --device cuda is refused with a message that says how to get it. */
static void test_cuda_device_request_without_a_device_is_a_clear_error(void)
{
	const char *sh = tb_shared_dir();
	char path[600], err[512] = "";
	eng_opts o = eng_opts_default();
	eng_model *m;

	if (!sh)
		TB_SKIP("no shared folder");
#ifdef TB_CUDA
	if (eng_cuda_device_count() > 0)
		TB_SKIP("a CUDA device is present");
#endif
	snprintf(path, sizeof path, "%s/models/stories260K.gguf", sh);
	o.device = ENG_DEVICE_CUDA;
	m = eng_load(path, &o, err, sizeof err);
	TB_CHECK(m == NULL);
	TB_CHECK(strstr(err, "CUDA") != NULL || strstr(err, "cuda") != NULL);
	printf("  %s\n", err);
	eng_model_free(m);
}

/* The model code reaches CUDA only through the backend table: filled in a CUDA build, absent
 * (NULL) otherwise -- which is what makes --device cuda a clear error there. */
static void test_cuda_backend_table_is_filled_exactly_in_a_cuda_build(void)
{
	const eng_cuda_backend *be = eng_cuda_backend_get();

#ifdef TB_CUDA
	TB_CHECK(be != NULL);
	if (be)
		TB_CHECK(be->device_info && be->model_new && be->model_free && be->ctx_new && be->ctx_free &&
			 be->decode);
#else
	TB_CHECK(be == NULL);
#endif
}

int main(void)
{
	TB_RUN(test_cuda_backend_table_is_filled_exactly_in_a_cuda_build);
	TB_RUN(test_cuda_packed_kernel_arithmetic_matches_the_cpu_on_the_host);
	TB_RUN(test_cuda_prefill_dequantization_matches_the_cpu_on_the_host);
	TB_RUN(test_cuda_products_match_the_cpu_for_every_type);
	TB_RUN(test_cuda_prefill_products_match_the_cpu_for_every_type);
	TB_RUN(test_cuda_attention_matches_the_cpu_for_head_sizes_64_and_128);
	TB_RUN(test_cuda_greedy_tokens_equal_the_cpu_on_every_reference_model);
	TB_RUN(test_cuda_prefill_greedy_tokens_equal_the_cpu);
	TB_RUN(test_cuda_partial_offload_greedy_tokens_equal_the_cpu);
	TB_RUN(test_cuda_one_token_steps_are_the_same_with_and_without_dependent_launch);
	TB_RUN(test_cuda_device_request_without_a_device_is_a_clear_error);
	return tb_test_end();
}
