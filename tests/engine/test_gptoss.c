/* tests/engine/test_gptoss.c — what gpt-oss needs from the engine. MXFP4 (engine/quant.c,
 * quant_mxfp4_x86.c): dequantization and quantization against blocks written by the reference
 * implementation (tests/fixtures/gptoss/mxfp4-blocks.txt, see SOURCES there), the scalar dot
 * against dequantized arithmetic, and every kernel level this CPU has against the _ref. The
 * gpt-oss forward pass (engine/model.c: attention sinks, sliding window, YaRN, biases, the
 * clamped SwiGLU, softmax over the chosen experts) against reference outputs from ik_llama.cpp
 * (the .ref.json files in tests/fixtures/gptoss) on the small random-weight models tools/mkbench writes at
 * test time, byte for byte the files the references were made from; batched and one-at-a-time
 * decoding give the same logits; files missing a gpt-oss tensor or key are refused by name. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"
#include "engine/gguf_impl.h"
#include "engine/quant_impl.h"
#include "harness/harness.h"
#include "test.h"
#include "refcheck.h"

#define MXFP4_BLOCKS "tests/fixtures/gptoss/mxfp4-blocks.txt"
/* SIMD vs _ref: the integer block sums are exact, only the order of the float block terms
 * differs, so |SIMD - _ref| <= DOT_REL_TOL * sum |w_i * a_i| (as test_kernels.c). */
#define DOT_REL_TOL 1e-5
/* gpt-oss logits against the reference (see TOLS) */
#define GPTOSS_TOL_F16 0.027
#define GPTOSS_TOL_MXFP4 0.1

static uint64_t rng_state = 0x853c49e6748fea9bull;

static uint64_t rng_u64(void)   /* xorshift64* */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static float rng_gauss(void)
{
	const double u = ((double)(rng_u64() >> 11) + 0.5) / 9007199254740992.0;
	const double v = ((double)(rng_u64() >> 11) + 0.5) / 9007199254740992.0;
	return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

static float bits_f(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static uint32_t f_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

/* Reads n hex words after the line's tag letter; returns how many it read. */
static int hex_words(const char *line, uint32_t *out, int n)
{
	const char *p = line + 1;
	int k = 0;
	while (k < n) {
		char *end;
		const unsigned long v = strtoul(p, &end, 16);
		if (end == p)
			break;
		out[k++] = (uint32_t)v;
		p = end;
	}
	return k;
}

/* ------------------------------------------------------------------ MXFP4 */

static void test_mxfp4_type_is_computable_with_q8_0_activations(void)
{
	const eng_type_info *ti = eng_type_get(ENG_T_MXFP4);
	TB_REQUIRE(ti != NULL);
	TB_CHECK_INT(ENG_T_MXFP4, 39);
	TB_CHECK_STR(ti->name, "mxfp4");
	TB_CHECK_INT(ti->blck, 32);
	TB_CHECK_INT(ti->type_size, 17);
	TB_CHECK(ti->can_compute);
	TB_CHECK_INT(ti->vec_dot_type, ENG_T_Q8_0);
	TB_CHECK_INT(eng_row_size(ENG_T_MXFP4, 2880), 90 * 17);
	TB_CHECK_INT(eng_row_size(ENG_T_MXFP4, 33), 0);
}

static void test_mxfp4_scale_is_the_e8m0_value_halved(void)
{
	TB_CHECK(eng_e8m0_half(128) == 1.0f);
	TB_CHECK(eng_e8m0_half(127) == 0.5f);
	TB_CHECK(eng_e8m0_half(254) == ldexpf(1.0f, 126));
	TB_CHECK(eng_e8m0_half(255) == ldexpf(1.0f, 127));
	TB_CHECK(eng_e8m0_half(2) == ldexpf(1.0f, -126));
	TB_CHECK(eng_e8m0_half(1) == ldexpf(1.0f, -127));   /* subnormal */
	TB_CHECK(eng_e8m0_half(0) == ldexpf(1.0f, -128));
}

/* Every block of the fixture: our quantizer writes the reference's bytes from the same floats,
 * and our dequantizer gives the reference's floats bit for bit (hand-made blocks cover every
 * code in both nibbles and the extreme exponents). */
static void test_mxfp4_matches_the_reference_blocks(void)
{
	FILE *f = fopen(MXFP4_BLOCKS, "r");
	TB_REQUIRE(f != NULL);
	char line[1024];
	uint32_t xw[32], qw[17], yw[32];
	int have_x = 0, have_q = 0, n_quant = 0, n_deq = 0;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == 'x') {
			have_x = hex_words(line, xw, 32) == 32;
			TB_CHECK(have_x);
		} else if (line[0] == 'q') {
			have_q = hex_words(line, qw, 17) == 17;
			TB_CHECK(have_q);
			if (have_x && have_q) {
				float x[32];
				uint8_t q[17];
				for (int j = 0; j < 32; j++)
					x[j] = bits_f(xw[j]);
				TB_REQUIRE(eng_quant_row_ref(ENG_T_MXFP4, x, q, 32, NULL) == 0);
				int same = 1;
				for (int j = 0; j < 17; j++)
					same &= q[j] == qw[j];
				TB_CHECK(same);
				if (!same)
					fprintf(stderr, "  block %d: quantized bytes differ\n", n_quant);
				n_quant++;
			}
		} else if (line[0] == 'y') {
			TB_REQUIRE(have_q && hex_words(line, yw, 32) == 32);
			uint8_t q[17];
			float y[32];
			for (int j = 0; j < 17; j++)
				q[j] = (uint8_t)qw[j];
			TB_REQUIRE(eng_dequant_row_ref(ENG_T_MXFP4, q, y, 32) == 0);
			int same = 1;
			for (int j = 0; j < 32; j++)
				same &= f_bits(y[j]) == yw[j];
			TB_CHECK(same);
			if (!same)
				fprintf(stderr, "  block %d: dequantized floats differ\n", n_deq);
			n_deq++;
			have_x = have_q = 0;
		}
	}
	fclose(f);
	TB_CHECK(n_quant >= 40);
	TB_CHECK(n_deq >= 48);
}

/* Round trip of Gaussian rows: the relative RMS error of 4-bit floats with a power-of-two
 * scale is about 0.1 (measured 0.09-0.11); much more means a wrong level or exponent. Inputs
 * below the smallest exponent or above the largest must not wrap the exponent byte. */
static void test_mxfp4_quantizes_rows_with_bounded_error(void)
{
	enum { N = 4096 };
	static float x[N], y[N];
	static uint8_t q[N / 32 * 17];
	double e = 0, s = 0;
	for (int i = 0; i < N; i++)
		x[i] = rng_gauss() * (i / 32 % 2 ? 0.01f : 3.0f);
	TB_REQUIRE(eng_quant_row_ref(ENG_T_MXFP4, x, q, N, NULL) == 0);
	TB_REQUIRE(eng_dequant_row_ref(ENG_T_MXFP4, q, y, N) == 0);
	for (int i = 0; i < N; i++) {
		e += (double)(x[i] - y[i]) * (x[i] - y[i]);
		s += (double)x[i] * x[i];
	}
	TB_CHECK(sqrt(e / s) < 0.13);
	/* the largest magnitude maps to a level in the top binade: never clipped by more than 1/8 */
	float tiny[32], huge[32];
	for (int j = 0; j < 32; j++) {
		tiny[j] = j == 3 ? 1e-39f : 0.0f;
		huge[j] = j == 7 ? -3e38f : 1.0f;
	}
	TB_REQUIRE(eng_quant_row_ref(ENG_T_MXFP4, tiny, q, 32, NULL) == 0);
	TB_CHECK_INT(q[0], 0);
	TB_REQUIRE(eng_quant_row_ref(ENG_T_MXFP4, huge, q, 32, NULL) == 0);
	TB_REQUIRE(eng_dequant_row_ref(ENG_T_MXFP4, q, y, 32) == 0);
	TB_CHECK(y[7] < -2.5e38f && isfinite(y[7]));
}

/* The scalar dot equals the exact sum over dequantized weights and activations. */
static void test_mxfp4_dot_ref_matches_dequantized_arithmetic(void)
{
	enum { N = 2880 };
	static float w[N], a[N], wd[N], ad[N];
	static _Alignas(64) uint8_t qw[N / 32 * 17];
	static _Alignas(64) uint8_t qa[N / 32 * 34];
	for (int i = 0; i < N; i++) {
		w[i] = rng_gauss() * 0.05f;
		a[i] = rng_gauss();
	}
	TB_REQUIRE(eng_quant_row_ref(ENG_T_MXFP4, w, qw, N, NULL) == 0);
	TB_REQUIRE(eng_quant_act_row_ref(ENG_T_Q8_0, a, qa, N) == 0);
	TB_REQUIRE(eng_dequant_row_ref(ENG_T_MXFP4, qw, wd, N) == 0);
	TB_REQUIRE(eng_dequant_row_ref(ENG_T_Q8_0, qa, ad, N) == 0);
	double want = 0, mag = 0;
	for (int i = 0; i < N; i++) {
		want += (double)wd[i] * ad[i];
		mag += fabs((double)wd[i] * ad[i]);
	}
	float got = 0;
	TB_REQUIRE(eng_vec_dot_ref(ENG_T_MXFP4, N, qw, qa, &got) == 0);
	TB_CHECK_NEAR(got, want, 1e-6 * mag);
	TB_CHECK(eng_vec_dot_ref(ENG_T_MXFP4, 33, qw, qa, &got) == -1);
}

/* Every kernel level this CPU has, against the _ref: quantized Gaussian rows, random block
 * bytes (every code and exponent from 100 to 155), odd and even block counts, unaligned rows,
 * and activation quants of -128 where the level takes any int8 (avx512, neon). */
static void test_mxfp4_kernels_match_the_ref_at_every_level(void)
{
	static const char *const levels[] = { "scalar", "avx2", "avx512", "neon" };
	static const int64_t lens[] = { 32, 64, 96, 160, 1024, 2880, 4128 };
	enum { NMAX = 4128 };
	static float w[NMAX], a[NMAX];
	static _Alignas(64) uint8_t wbuf[NMAX / 32 * 17 + 1];
	static _Alignas(64) uint8_t abuf[NMAX / 32 * 34 + 2];
	int n_levels = 0;
	for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
		if (eng_kernels_force(levels[l]) != 0)
			continue;
		n_levels++;
		for (int round = 0; round < 3; round++)
			for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
				const int64_t n = lens[li], nb = n / 32;
				/* odd weight rows (MXFP4 blocks are bytes); activations off by 2 (the _ref
				 * reads their fp16 scales, which need 2-byte alignment) */
				uint8_t *qw = wbuf + (round == 1), *qa = abuf + 2 * (round == 2);
				for (int64_t i = 0; i < n; i++) {
					w[i] = rng_gauss() * (i / 32 % 3 + 1) * 0.02f;
					a[i] = rng_gauss();
				}
				TB_REQUIRE(eng_quant_row_ref(ENG_T_MXFP4, w, qw, n, NULL) == 0);
				TB_REQUIRE(eng_quant_row(ENG_T_Q8_0, a, qa, n) == 0);
				if (round == 1)   /* random bytes: any code, exponents 100..155 */
					for (int64_t b = 0; b < nb; b++) {
						qw[b * 17] = (uint8_t)(100 + rng_u64() % 56);
						for (int j = 1; j < 17; j++)
							qw[b * 17 + j] = (uint8_t)rng_u64();
					}
				if (round == 2 && strcmp(levels[l], "avx2") != 0)
					qa[2] = 0x80;   /* -128 in the first block */
				float ref = 0, got = 0;
				TB_REQUIRE(eng_vec_dot_ref(ENG_T_MXFP4, n, qw, qa, &ref) == 0);
				TB_REQUIRE(eng_vec_dot(ENG_T_MXFP4, n, qw, qa, &got) == 0);
				double mag = 0;
				for (int64_t b = 0; b < nb; b++) {
					const float d = eng_e8m0_half(qw[b * 17]) * eng_f16_to_f32((uint16_t)(qa[b * 34] | qa[b * 34 + 1] << 8));
					for (int j = 0; j < 32; j++) {
						const int code = j < 16 ? qw[b * 17 + 1 + j] & 0xf : qw[b * 17 + 1 + j - 16] >> 4;
						mag += fabs((double)d * eng_mxfp4_values[code] * (int8_t)qa[b * 34 + 2 + j]);
					}
				}
				TB_CHECK_NEAR(got, ref, DOT_REL_TOL * mag + 1e-30);
				if (fabs(got - ref) > DOT_REL_TOL * mag + 1e-30)
					fprintf(stderr, "  level %s n %lld round %d: %.9g vs ref %.9g\n", levels[l],
						(long long)n, round, got, ref);
				/* the row function gives the single dot's bits */
				float rows[2] = { 0, 0 };
				TB_REQUIRE(eng_vec_dot_rows(ENG_T_MXFP4, n, qw, 0, 2, qa, 0, 1, rows, 0) == 0);
				TB_CHECK(f_bits(rows[0]) == f_bits(got) && f_bits(rows[1]) == f_bits(got));
			}
	}
	eng_kernels_force(NULL);
	TB_CHECK(n_levels >= 1);
}

/* ------------------------------------------------------------------ gpt-oss models */

/* Logit tolerance by file, about 1.5x the largest error measured against the reference over all
 * 32 steps (docs/engine.md, gpt-oss): F16 1.8e-2, MXFP4 6.8e-2 (the reference rounds the
 * experts' activations for its 8-bit products in its own layout). */
static const tol_row TOLS[] = {
	{ "gpt-oss-test-F16", GPTOSS_TOL_F16 },
	{ "gpt-oss-test-MXFP4", GPTOSS_TOL_MXFP4 },
};

static char model_dir[256];

/* The test models, written once (tools/mkbench --shape gpt-oss-test, F16 and MXFP4 experts). */
static int make_models(void)
{
	static const char *const shapes[] = { "gpt-oss-test" };
	return ref_make_models(model_dir, "gptoss", shapes, 1, "F16 MXFP4");
}

static void test_gptoss_matches_the_reference_on_every_file(void)
{
	TB_REQUIRE(make_models() == 0);
	ref_check_dir("tests/fixtures/gptoss", model_dir, 2, TOLS, sizeof TOLS / sizeof TOLS[0]);
}

/* 20 tokens (past the window of 8) decoded in one batch, in batches of 3 and token by token:
 * the same logits, bit for bit. */
static void test_gptoss_batch_composition_does_not_change_logits(void)
{
	static const char *const names[] = { "gpt-oss-test-F16.gguf", "gpt-oss-test-MXFP4.gguf" };
	enum { N = 20 };

	TB_REQUIRE(make_models() == 0);
	for (size_t f = 0; f < 2; f++) {
		char path[600], err[512];
		int32_t ids[N];
		int8_t want[N];
		eng_model *m;
		eng_ctx_params cp = eng_ctx_params_default();
		float *ref = NULL;
		int nv;

		for (int i = 0; i < N; i++) {
			ids[i] = i == 0 ? 1 : 259 + (i * 37) % 700;
			want[i] = 1;
		}
		snprintf(path, sizeof path, "%s/%s", model_dir, names[f]);
		TB_REQUIRE((m = eng_load(path, NULL, err, sizeof err)) != NULL);
		nv = eng_n_vocab(m);
		cp.n_ctx = 64;
		cp.n_outputs = N;
		for (int step = N; step >= 1; step = step == N ? 3 : step - 2) {
			eng_ctx *c = eng_ctx_new(m, &cp, err, sizeof err);
			float *got = malloc(sizeof(float) * N * (size_t)nv);

			TB_REQUIRE(c && got);
			for (int i = 0; i < N; i += step) {
				eng_batch b = { 0 };
				int k = i + step <= N ? step : N - i;

				b.n = k;
				b.token = ids + i;
				b.want_logits = want;
				TB_REQUIRE(eng_decode(c, &b) == 0);
				for (int t = 0; t < k; t++)
					memcpy(got + (size_t)(i + t) * (size_t)nv, eng_logits(c, t), sizeof(float) * (size_t)nv);
			}
			if (!ref)
				ref = got;
			else {
				TB_CHECK(memcmp(ref, got, sizeof(float) * N * (size_t)nv) == 0);
				free(got);
			}
			eng_ctx_free(c);
		}
		free(ref);
		eng_model_free(m);
	}
}

/* `quantize ... MXFP4_MOE` (llama.cpp's file type 38) on the F16 file: every expert tensor in
 * MXFP4 with the bytes of mkbench's MXFP4 file (both quantize the same F16 values with the same
 * quantizer), the output in Q6_K with the bytes a Q4_K_M file gives it, every other weight in
 * Q8_0 with the bytes a Q8_0 file gives it, vectors, biases, sinks and the router untouched; the
 * file loads and decodes. (Its logits are not compared: on this random model, with flat logits
 * and a router that flips on small changes, a whole-file Q8_0 moves them by up to 0.57.) */
static void test_gptoss_quantizes_to_mxfp4_moe(void)
{
	static const char *const kinds[] = { "MXFP4_MOE", "Q8_0", "Q4_K_M" };
	char src[600], mx[600], out[3][700], err[512];
	eng_quant_params qp = eng_quant_params_default();
	eng_gguf *g[4] = { NULL, NULL, NULL, NULL };
	int n_exps = 0, n_q8 = 0, bad = 0;
	uint32_t ft = 0;

	TB_REQUIRE(make_models() == 0);
	snprintf(src, sizeof src, "%s/gpt-oss-test-F16.gguf", model_dir);
	snprintf(mx, sizeof mx, "%s/gpt-oss-test-MXFP4.gguf", model_dir);
	qp.n_threads = 2;
	for (int k = 0; k < 3; k++) {
		snprintf(out[k], sizeof out[k], "%s/gpt-oss-test-q-%s.gguf", model_dir, kinds[k]);
		TB_REQUIRE(eng_quantize_file(src, out[k], kinds[k], &qp, err, sizeof err) == 0);
		TB_REQUIRE((g[k] = eng_gguf_open(out[k], err, sizeof err)) && eng_gguf_load_data(g[k], 0, err, sizeof err) == 0);
	}
	TB_REQUIRE((g[3] = eng_gguf_open(mx, err, sizeof err)) && eng_gguf_load_data(g[3], 0, err, sizeof err) == 0);
	TB_CHECK(eng_gguf_get_u32(g[0], "general.file_type", &ft) == 0 && ft == 38);
	for (int64_t i = 0; i < eng_gguf_n_tensors(g[0]); i++) {
		const eng_gguf_tensor *t = eng_gguf_tensor_at(g[0], i), *u;
		int want, from;   /* the type wanted, and the file whose tensor must have the same bytes */
		if (strstr(t->name, "_exps.weight")) {
			want = ENG_T_MXFP4;
			from = 3;
			n_exps++;
		} else if (t->n_dims < 2 || !strstr(t->name, ".weight") || strstr(t->name, "_norm") ||
			   strstr(t->name, "ffn_gate_inp")) {
			want = t->type == ENG_T_F32 || t->type == ENG_T_F16 ? t->type : -1;
			from = 3;
		} else if (strcmp(t->name, "output.weight") == 0) {
			want = ENG_T_Q6_K;
			from = 2;
		} else {
			want = ENG_T_Q8_0;
			from = 1;
			n_q8++;
		}
		u = eng_gguf_find_tensor(g[from], t->name);
		if (t->type != want || !u || u->type != t->type || u->size_bytes != t->size_bytes ||
		    memcmp(u->data, t->data, t->size_bytes) != 0) {
			printf("  %s: type %d (want %d), bytes differ from the %s file's\n", t->name, t->type, want,
				from == 3 ? "MXFP4" : kinds[from]);
			bad++;
		}
	}
	TB_CHECK_INT(bad, 0);
	TB_CHECK_INT(n_exps, 3 * 4);   /* gate, up and down of 4 layers */
	TB_CHECK(n_q8 >= 4 * 4 + 1);  /* q, k, v, output of 4 layers and the token embeddings */
	for (int k = 0; k < 4; k++)
		eng_gguf_close(g[k]);
	{
		static const int32_t ids[] = { 1, 300, 301, 512, 77, 900, 14, 260 };
		enum { N = sizeof ids / sizeof ids[0] };
		eng_model *m = eng_load(out[0], NULL, err, sizeof err);
		float *lg = NULL;
		int finite = 1;
		TB_REQUIRE(m && (lg = malloc(sizeof(float) * N * (size_t)eng_n_vocab(m))));
		TB_REQUIRE(ref_decode_all(m, ids, N, N, lg) == 0);
		for (size_t k = 0; k < (size_t)N * (size_t)eng_n_vocab(m); k++)
			finite &= isfinite(lg[k]) != 0;
		TB_CHECK(finite);
		free(lg);
		eng_model_free(m);
	}
	for (int k = 0; k < 3; k++)
		unlink(out[k]);
}

/* The F16 file rewritten without one tensor or key (or with one changed): eng_load refuses it
 * with a one-line error naming the tensor or key. */
static void test_gptoss_refuses_files_missing_what_it_needs(void)
{
	static const struct { const char *drop_tensor, *drop_key, *want; } cases[] = {
		{ "blk.1.attn_sinks.weight", NULL, "blk.1.attn_sinks.weight" },
		{ "blk.0.ffn_gate_inp.weight", NULL, "blk.0.ffn_gate_inp.weight" },
		{ "blk.2.ffn_up_exps.bias", NULL, "blk.2.ffn_up_exps.bias" },
		{ "blk.3.post_attention_norm.weight", NULL, "blk.3.post_attention_norm.weight" },
		{ "blk.0.attn_q.bias", NULL, "blk.0.attn_q.bias" },
		{ NULL, "gpt-oss.attention.sliding_window", "gpt-oss.attention.sliding_window" },
		{ NULL, "gpt-oss.expert_count", "gpt-oss.expert_count" },
		{ NULL, "gpt-oss.rope.scaling.factor", "gpt-oss.rope.scaling.factor" },
	};
	char src[600], dst[600], err[512];

	TB_REQUIRE(make_models() == 0);
	snprintf(src, sizeof src, "%s/gpt-oss-test-F16.gguf", model_dir);
	snprintf(dst, sizeof dst, "%s/bad.gguf", model_dir);
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		eng_gguf *g;
		eng_gguf_writer *w;
		eng_model *m;

		TB_REQUIRE((g = eng_gguf_open(src, err, sizeof err)) != NULL);
		TB_REQUIRE(eng_gguf_load_data(g, 0, err, sizeof err) == 0);
		TB_REQUIRE((w = eng_gguf_writer_new()) != NULL);
		TB_REQUIRE(eng_gguf_w_copy_kv(w, g) == 0);
		if (cases[k].drop_key && strcmp(cases[k].drop_key, "gpt-oss.rope.scaling.factor") == 0)
			eng_gguf_w_f32(w, cases[k].drop_key, 0.5f);   /* YaRN only extends */
		else if (cases[k].drop_key)
			TB_REQUIRE(eng_gguf_w_remove(w, cases[k].drop_key) == 1);
		for (int64_t i = 0; i < eng_gguf_n_tensors(g); i++) {
			const eng_gguf_tensor *t = eng_gguf_tensor_at(g, i);

			if (cases[k].drop_tensor && strcmp(t->name, cases[k].drop_tensor) == 0)
				continue;
			TB_REQUIRE(eng_gguf_w_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data) == 0);
		}
		TB_REQUIRE(eng_gguf_writer_save(w, dst, err, sizeof err) == 0);
		eng_gguf_writer_free(w);
		eng_gguf_close(g);
		err[0] = 0;
		m = eng_load(dst, NULL, err, sizeof err);
		TB_CHECK(m == NULL);
		printf("  %s\n", err);
		TB_CHECK(strstr(err, cases[k].want) != NULL);
		TB_CHECK(strchr(err, '\n') == NULL);
		eng_model_free(m);
	}
	unlink(dst);
}

int main(void)
{
	TB_RUN(test_mxfp4_type_is_computable_with_q8_0_activations);
	TB_RUN(test_mxfp4_scale_is_the_e8m0_value_halved);
	TB_RUN(test_mxfp4_matches_the_reference_blocks);
	TB_RUN(test_mxfp4_quantizes_rows_with_bounded_error);
	TB_RUN(test_mxfp4_dot_ref_matches_dequantized_arithmetic);
	TB_RUN(test_mxfp4_kernels_match_the_ref_at_every_level);
	TB_RUN(test_gptoss_matches_the_reference_on_every_file);
	TB_RUN(test_gptoss_batch_composition_does_not_change_logits);
	TB_RUN(test_gptoss_refuses_files_missing_what_it_needs);
	TB_RUN(test_gptoss_quantizes_to_mxfp4_moe);
	if (model_dir[0])
		tb_rmtree(model_dir);
	return tb_test_end();
}
