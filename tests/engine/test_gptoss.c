/* tests/engine/test_gptoss.c — what gpt-oss needs from the engine. MXFP4 (engine/quant.c,
 * quant_mxfp4_x86.c): dequantization and quantization against blocks written by the reference
 * implementation (tests/fixtures/gptoss/mxfp4-blocks.txt, see SOURCES there), the scalar dot
 * against dequantized arithmetic, and every kernel level this CPU has against the _ref. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/quant_impl.h"
#include "test.h"

#define MXFP4_BLOCKS "tests/fixtures/gptoss/mxfp4-blocks.txt"
/* SIMD vs _ref: the integer block sums are exact, only the order of the float block terms
 * differs, so |SIMD - _ref| <= DOT_REL_TOL * sum |w_i * a_i| (as test_kernels.c). */
#define DOT_REL_TOL 1e-5

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
	static uint8_t qw[N / 32 * 17], qa[N / 32 * 34];
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
	static uint8_t wbuf[NMAX / 32 * 17 + 1], abuf[NMAX / 32 * 34 + 1];
	int n_levels = 0;
	for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
		if (eng_kernels_force(levels[l]) != 0)
			continue;
		n_levels++;
		for (int round = 0; round < 3; round++)
			for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
				const int64_t n = lens[li], nb = n / 32;
				uint8_t *qw = wbuf + (round == 1), *qa = abuf + (round == 2);
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

int main(void)
{
	TB_RUN(test_mxfp4_type_is_computable_with_q8_0_activations);
	TB_RUN(test_mxfp4_scale_is_the_e8m0_value_halved);
	TB_RUN(test_mxfp4_matches_the_reference_blocks);
	TB_RUN(test_mxfp4_quantizes_rows_with_bounded_error);
	TB_RUN(test_mxfp4_dot_ref_matches_dequantized_arithmetic);
	TB_RUN(test_mxfp4_kernels_match_the_ref_at_every_level);
	return tb_test_end();
}
