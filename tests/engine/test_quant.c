/* tests/engine/test_quant.c — element types (engine/quant.c): the type table against the GGUF
 * block facts, fp16/bf16 conversions (ties, subnormals, inf, NaN), hand-built blocks with known
 * values, quantization error bounds per type on Gaussian rows, dot products against the float dot
 * of the dequantized rows, and, when the shared folder is present, byte-for-byte agreement with
 * the files llama-quantize made from the same weights (read with a small inline GGUF parser). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "test.h"
#include "engine/quant_impl.h"

/* ------------------------------------------------------------------ helpers */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static void rng_seed(uint64_t s)
{
	rng_state = s ? s : 1;
}

static uint64_t rng_u64(void)   /* xorshift64* */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static double rng_uniform(void)   /* (0, 1) */
{
	return ((double)(rng_u64() >> 11) + 0.5) / 9007199254740992.0;
}

static float rng_gauss(void)   /* Box-Muller */
{
	double u = rng_uniform(), v = rng_uniform();
	return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

static void fill_gauss(float *x, int64_t n, float sigma)
{
	for (int64_t i = 0; i < n; i++)
		x[i] = sigma * rng_gauss();
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

/* Little-endian stores for hand-built blocks. */
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* RMS of (a - b) relative to the RMS of a. */
static double rel_rmse(const float *a, const float *b, int64_t n)
{
	double e = 0, s = 0;
	for (int64_t i = 0; i < n; i++) {
		e += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
		s += (double)a[i] * a[i];
	}
	return s > 0 ? sqrt(e / s) : sqrt(e / (double)n);
}

/* The types eng_quant_row_ref / eng_dequant_row_ref handle: every computable type but the IQ
 * grid and ternary types below, plus the two activation types. */
static const int quant_types[] = {
	ENG_T_F32, ENG_T_F16, ENG_T_BF16, ENG_T_Q4_0, ENG_T_Q4_1, ENG_T_Q5_0, ENG_T_Q5_1, ENG_T_Q8_0,
	ENG_T_Q8_1, ENG_T_Q2_K, ENG_T_Q3_K, ENG_T_Q4_K, ENG_T_Q5_K, ENG_T_Q6_K, ENG_T_Q8_K,
	ENG_T_IQ4_NL, ENG_T_IQ4_XS, ENG_T_MXFP4,
};
#define N_QUANT_TYPES ((int)(sizeof quant_types / sizeof quant_types[0]))

/* Computable weight types without a quantizer from float (they need an importance matrix);
 * tests/engine/test_iq.c covers them. */
static int dequant_only(int type)
{
	static const int t[] = { ENG_T_IQ2_XXS, ENG_T_IQ2_XS, ENG_T_IQ2_S, ENG_T_IQ3_XXS, ENG_T_IQ3_S,
		ENG_T_IQ1_S, ENG_T_IQ1_M, ENG_T_TQ1_0, ENG_T_TQ2_0 };
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i] == type)
			return 1;
	return 0;
}

/* Quantizes n floats to `type` and back; returns 0 or -1. */
static int round_trip(int type, const float *x, float *out, int64_t n, const float *imatrix)
{
	size_t rs = eng_row_size(type, n);
	void *q = malloc(rs ? rs : 1);
	int rc = -1;
	if (q && eng_quant_row_ref(type, x, q, n, imatrix) == 0 && eng_dequant_row_ref(type, q, out, n) == 0)
		rc = 0;
	free(q);
	return rc;
}

/* ------------------------------------------------------------------ type table */

/* The GGUF/ggml block facts: elements per block and bytes per block. */
static const struct { int type; const char *name; int blck; size_t size; } gguf_facts[] = {
	{ ENG_T_F32, "f32", 1, 4 },          { ENG_T_F16, "f16", 1, 2 },
	{ ENG_T_Q4_0, "q4_0", 32, 18 },      { ENG_T_Q4_1, "q4_1", 32, 20 },
	{ ENG_T_Q5_0, "q5_0", 32, 22 },      { ENG_T_Q5_1, "q5_1", 32, 24 },
	{ ENG_T_Q8_0, "q8_0", 32, 34 },      { ENG_T_Q8_1, "q8_1", 32, 36 },
	{ ENG_T_Q2_K, "q2_K", 256, 84 },     { ENG_T_Q3_K, "q3_K", 256, 110 },
	{ ENG_T_Q4_K, "q4_K", 256, 144 },    { ENG_T_Q5_K, "q5_K", 256, 176 },
	{ ENG_T_Q6_K, "q6_K", 256, 210 },    { ENG_T_Q8_K, "q8_K", 256, 292 },
	{ ENG_T_IQ2_XXS, "iq2_xxs", 256, 66 }, { ENG_T_IQ2_XS, "iq2_xs", 256, 74 },
	{ ENG_T_IQ3_XXS, "iq3_xxs", 256, 98 }, { ENG_T_IQ1_S, "iq1_s", 256, 50 },
	{ ENG_T_IQ4_NL, "iq4_nl", 32, 18 },  { ENG_T_IQ3_S, "iq3_s", 256, 110 },
	{ ENG_T_IQ2_S, "iq2_s", 256, 82 },   { ENG_T_IQ4_XS, "iq4_xs", 256, 136 },
	{ ENG_T_I8, "i8", 1, 1 },            { ENG_T_I16, "i16", 1, 2 },
	{ ENG_T_I32, "i32", 1, 4 },          { ENG_T_I64, "i64", 1, 8 },
	{ ENG_T_F64, "f64", 1, 8 },          { ENG_T_IQ1_M, "iq1_m", 256, 56 },
	{ ENG_T_BF16, "bf16", 1, 2 },        { 34, "tq1_0", 256, 54 },
	{ 35, "tq2_0", 256, 66 },            { 39, "mxfp4", 32, 17 },
};

static void test_quant_type_table_matches_gguf_block_sizes(void)
{
	for (size_t i = 0; i < sizeof gguf_facts / sizeof gguf_facts[0]; i++) {
		const eng_type_info *ti = eng_type_get(gguf_facts[i].type);
		TB_REQUIRE(ti != NULL);
		TB_CHECK_STR(ti->name, gguf_facts[i].name);
		TB_CHECK_INT(ti->blck, gguf_facts[i].blck);
		TB_CHECK_INT(ti->type_size, gguf_facts[i].size);
		TB_CHECK_INT(eng_row_size(gguf_facts[i].type, 4096), 4096 / gguf_facts[i].blck * gguf_facts[i].size);
	}
}

static void test_quant_type_get_refuses_unassigned_and_out_of_range_numbers(void)
{
	static const int bad[] = { -1, 4, 5, 31, 32, 33, 36, 37, 38, ENG_T_COUNT, 1000, -1000 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		TB_CHECK(eng_type_get(bad[i]) == NULL);
		TB_CHECK_INT(eng_row_size(bad[i], 256), 0);
		TB_CHECK(eng_type_bpw(bad[i]) == 0.0);
	}
}

static void test_quant_row_size_refuses_lengths_that_are_not_a_block_multiple(void)
{
	TB_CHECK_INT(eng_row_size(ENG_T_Q4_0, 64), 36);
	TB_CHECK_INT(eng_row_size(ENG_T_Q4_0, 33), 0);
	TB_CHECK_INT(eng_row_size(ENG_T_Q4_0, 31), 0);
	TB_CHECK_INT(eng_row_size(ENG_T_Q4_K, 255), 0);
	TB_CHECK_INT(eng_row_size(ENG_T_Q4_K, 288), 0);
	TB_CHECK_INT(eng_row_size(ENG_T_Q4_K, 512), 288);
	TB_CHECK_INT(eng_row_size(ENG_T_F32, 7), 28);
	TB_CHECK_INT(eng_row_size(ENG_T_F16, -2), 0);
	TB_CHECK_INT(eng_row_size(ENG_T_F16, 0), 0);
	/* the row functions refuse such lengths too */
	float x[300] = { 0 }, y[300];
	uint8_t q[1024];
	TB_CHECK_INT(eng_quant_row_ref(ENG_T_Q8_0, x, q, 33, NULL), -1);
	TB_CHECK_INT(eng_quant_row(ENG_T_Q4_K, x, q, 255), -1);
	TB_CHECK_INT(eng_dequant_row_ref(ENG_T_Q4_0, q, y, 48), -1);
	TB_CHECK_INT(eng_dequant_row(ENG_T_Q6_K, q, y, 128), -1);
	float out = 0;
	TB_CHECK_INT(eng_vec_dot_ref(ENG_T_Q8_0, 40, q, q, &out), -1);
	TB_CHECK_INT(eng_vec_dot(ENG_T_Q4_K, 100, q, q, &out), -1);
	TB_CHECK_INT(eng_quant_row_ref(ENG_T_Q8_0, x, q, -32, NULL), -1);
}

static void test_quant_bits_per_weight_follow_the_block_sizes(void)
{
	TB_CHECK_NEAR(eng_type_bpw(ENG_T_F32), 32.0, 0);
	TB_CHECK_NEAR(eng_type_bpw(ENG_T_F16), 16.0, 0);
	TB_CHECK_NEAR(eng_type_bpw(ENG_T_Q4_0), 4.5, 0);
	TB_CHECK_NEAR(eng_type_bpw(ENG_T_Q8_0), 8.5, 0);
	TB_CHECK_NEAR(eng_type_bpw(ENG_T_Q2_K), 2.625, 0);
	TB_CHECK_NEAR(eng_type_bpw(ENG_T_Q3_K), 3.4375, 0);
	TB_CHECK_NEAR(eng_type_bpw(ENG_T_Q4_K), 4.5, 0);
	TB_CHECK_NEAR(eng_type_bpw(ENG_T_Q5_K), 5.5, 0);
	TB_CHECK_NEAR(eng_type_bpw(ENG_T_Q6_K), 6.5625, 0);
	TB_CHECK_NEAR(eng_type_bpw(ENG_T_IQ4_XS), 4.25, 0);
}

static void test_quant_vec_dot_types_follow_the_llama_cpp_cpu_backend(void)
{
	static const struct { int type, vdt; } want[] = {
		{ ENG_T_F32, ENG_T_F32 }, { ENG_T_F16, ENG_T_F16 }, { ENG_T_BF16, ENG_T_BF16 },
		{ ENG_T_Q4_0, ENG_T_Q8_0 }, { ENG_T_Q5_0, ENG_T_Q8_0 }, { ENG_T_Q8_0, ENG_T_Q8_0 },
		{ ENG_T_IQ4_NL, ENG_T_Q8_0 }, { ENG_T_Q4_1, ENG_T_Q8_1 }, { ENG_T_Q5_1, ENG_T_Q8_1 },
		{ ENG_T_Q2_K, ENG_T_Q8_K }, { ENG_T_Q3_K, ENG_T_Q8_K }, { ENG_T_Q4_K, ENG_T_Q8_K },
		{ ENG_T_Q5_K, ENG_T_Q8_K }, { ENG_T_Q6_K, ENG_T_Q8_K }, { ENG_T_IQ4_XS, ENG_T_Q8_K },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const eng_type_info *ti = eng_type_get(want[i].type);
		TB_REQUIRE(ti != NULL);
		TB_CHECK_INT(ti->vec_dot_type, want[i].vdt);
		/* the activation type has the same block length, so a row of n fits both */
		TB_CHECK_INT(eng_type_get(ti->vec_dot_type)->blck, ti->blck);
	}
}

static void test_quant_only_supported_types_are_marked_computable(void)
{
	int n_comp = 0;
	for (int t = 0; t < ENG_T_COUNT; t++) {
		const eng_type_info *ti = eng_type_get(t);
		if (!ti || !ti->can_compute)
			continue;
		n_comp++;
		int listed = 0;
		for (int k = 0; k < N_QUANT_TYPES; k++)
			listed |= quant_types[k] == t;
		TB_CHECK(listed != dequant_only(t));
		TB_CHECK(t != ENG_T_Q8_1 && t != ENG_T_Q8_K);
	}
	TB_CHECK_INT(n_comp, 25);
	TB_CHECK(!eng_type_get(ENG_T_Q8_K)->can_compute);
	TB_CHECK(!eng_type_get(ENG_T_I32)->can_compute);
}

/* ------------------------------------------------------------------ fp16 / bf16 */

static void test_quant_f16_decodes_every_half_exactly_and_reencodes_it(void)
{
	int bad = 0;
	for (uint32_t h = 0; h < 65536; h++) {
		float f = eng_f16_to_f32((uint16_t)h);
		uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ff;
		double want;
		if (e == 0x1f) {
			if (m ? !isnan(f) : !isinf(f))
				bad++;
			if (!m && (signbit(f) != 0) != ((h & 0x8000) != 0))
				bad++;
			if (m && (eng_f32_to_f16(f) & 0x7c00) != 0x7c00)
				bad++;
			if (!m && eng_f32_to_f16(f) != h)
				bad++;
			continue;
		}
		want = e ? ldexp(1.0 + m / 1024.0, (int)e - 15) : ldexp((double)m, -24);
		if (h & 0x8000)
			want = -want;
		if ((double)f != want || (signbit(f) != 0) != ((h & 0x8000) != 0))
			bad++;
		if (eng_f32_to_f16(f) != h)
			bad++;
	}
	TB_CHECK_INT(bad, 0);
	TB_CHECK(eng_f16_to_f32(0x0001) == ldexpf(1.0f, -24));
	TB_CHECK(eng_f16_to_f32(0x03ff) == ldexpf(1023.0f, -24));
	TB_CHECK(eng_f16_to_f32(0x7bff) == 65504.0f);
}

static void test_quant_f16_encoding_rounds_ties_to_even_including_subnormals(void)
{
	/* normal range: half ulp at 1.0 is 2^-11 */
	TB_CHECK_INT(eng_f32_to_f16(1.0f + ldexpf(1, -11)), 0x3c00);         /* tie, even is down */
	TB_CHECK_INT(eng_f32_to_f16(1.0f + 3 * ldexpf(1, -11)), 0x3c02);     /* tie, even is up */
	TB_CHECK_INT(eng_f32_to_f16(1.0f + ldexpf(1, -11) + ldexpf(1, -20)), 0x3c01);
	TB_CHECK_INT(eng_f32_to_f16(-(1.0f + 3 * ldexpf(1, -11))), 0xbc02);
	TB_CHECK_INT(eng_f32_to_f16(2047.0f / 1024.0f + ldexpf(1, -11)), 0x4000); /* carry into exponent */
	/* subnormal range: unit 2^-24 */
	TB_CHECK_INT(eng_f32_to_f16(ldexpf(1, -24)), 0x0001);
	TB_CHECK_INT(eng_f32_to_f16(ldexpf(1, -25)), 0x0000);                /* tie to 0 */
	TB_CHECK_INT(eng_f32_to_f16(ldexpf(1, -25) + ldexpf(1, -40)), 0x0001);
	TB_CHECK_INT(eng_f32_to_f16(3 * ldexpf(1, -25)), 0x0002);            /* 1.5 units: tie to 2 */
	TB_CHECK_INT(eng_f32_to_f16(5 * ldexpf(1, -25)), 0x0002);            /* 2.5 units: tie to 2 */
	TB_CHECK_INT(eng_f32_to_f16(ldexpf(1, -26)), 0x0000);
	TB_CHECK_INT(eng_f32_to_f16(-ldexpf(1, -26)), 0x8000);
	TB_CHECK_INT(eng_f32_to_f16(ldexpf(1, -14) - ldexpf(1, -25)), 0x0400); /* tie to first normal */
	TB_CHECK_INT(eng_f32_to_f16(ldexpf(1, -14) - 3 * ldexpf(1, -25)), 0x03fe); /* 1022.5: to 1022 */
	TB_CHECK_INT(eng_f32_to_f16(ldexpf(1, -14) - ldexpf(1, -24)), 0x03ff);
	TB_CHECK_INT(eng_f32_to_f16(bits_f(0x00000001)), 0x0000);            /* f32 subnormal */
}

static void test_quant_f16_encoding_handles_overflow_inf_nan_and_signed_zero(void)
{
	TB_CHECK_INT(eng_f32_to_f16(65504.0f), 0x7bff);
	TB_CHECK_INT(eng_f32_to_f16(65519.99f), 0x7bff);
	TB_CHECK_INT(eng_f32_to_f16(65520.0f), 0x7c00);                      /* tie rounds to inf */
	TB_CHECK_INT(eng_f32_to_f16(-65520.0f), 0xfc00);
	TB_CHECK_INT(eng_f32_to_f16(1e10f), 0x7c00);
	TB_CHECK_INT(eng_f32_to_f16(INFINITY), 0x7c00);
	TB_CHECK_INT(eng_f32_to_f16(-INFINITY), 0xfc00);
	TB_CHECK_INT(eng_f32_to_f16(0.0f), 0x0000);
	TB_CHECK_INT(eng_f32_to_f16(-0.0f), 0x8000);
	uint16_t n = eng_f32_to_f16(NAN);
	TB_CHECK((n & 0x7c00) == 0x7c00 && (n & 0x03ff) != 0);
	TB_CHECK_INT(eng_f32_to_f16(bits_f(0x7fc12345)), 0x7e00);            /* canonical quiet NaN */
	TB_CHECK_INT(eng_f32_to_f16(bits_f(0xff800001)), 0xfe00);
	TB_CHECK(f_bits(eng_f16_to_f32(0x7c01)) == 0x7fc02000u);             /* decoded NaN is quiet */
	n = eng_f32_to_f16(bits_f(0x7f800001));                              /* signalling NaN */
	TB_CHECK((n & 0x7c00) == 0x7c00 && (n & 0x03ff) != 0);
	n = eng_f32_to_f16(bits_f(0xffc00000));
	TB_CHECK((n & 0xfc00) == 0xfc00 && (n & 0x03ff) != 0);
	TB_CHECK(isinf(eng_f16_to_f32(0x7c00)) && eng_f16_to_f32(0x7c00) > 0);
	TB_CHECK(isinf(eng_f16_to_f32(0xfc00)) && eng_f16_to_f32(0xfc00) < 0);
	TB_CHECK(isnan(eng_f16_to_f32(0x7e00)));
	TB_CHECK(isnan(eng_f16_to_f32(0x7c01)));
}

/* Independent model of f32 -> f16: scale to the half's ulp and round in double with rint (round
 * to nearest even in the default mode). */
static uint16_t f16_model(float f)
{
	double a = fabs((double)f);
	uint16_t sign = signbit(f) ? 0x8000 : 0;
	if (a >= 65520.0)
		return sign | 0x7c00;
	int e;
	frexp(a, &e);                        /* a = m * 2^e, m in [0.5, 1) */
	int ue = e - 1 < -14 ? -14 : e - 1;  /* exponent of the half's leading bit */
	double q = rint(ldexp(a, 10 - ue));  /* in units of the ulp 2^(ue-10) */
	if (a == 0)
		return sign;
	if (q >= 2048) {                     /* rounded up into the next binade */
		q /= 2;
		ue++;
	}
	if (q < 1024)                        /* subnormal */
		return sign | (uint16_t)q;
	return sign | (uint16_t)(((ue + 15) << 10) | ((int)q - 1024));
}

static void test_quant_f16_encoding_matches_an_independent_rounding_model(void)
{
	int bad = 0;
	rng_seed(11);
	for (int i = 0; i < 400000; i++) {
		/* random bits in the exponent range that reaches f16 (2^-27 .. 2^16) */
		uint32_t u = (uint32_t)rng_u64();
		uint32_t ex = 100 + (uint32_t)(rng_u64() % 44);
		u = (u & 0x807fffffu) | (ex << 23);
		if (i % 7 == 0)
			u &= ~0x00000fffu;   /* force exact ties and near-ties often */
		if (i % 7 == 1)
			u = (u & ~0x00001fffu) | 0x00001000u;
		float f = bits_f(u);
		if (eng_f32_to_f16(f) != f16_model(f) && bad++ < 5)
			printf("  f32 %08x: got %04x want %04x\n", u, eng_f32_to_f16(f), f16_model(f));
	}
	TB_CHECK_INT(bad, 0);
}

static void test_quant_bf16_rounds_to_nearest_even_and_keeps_nan_quiet(void)
{
	TB_CHECK_INT(eng_f32_to_bf16(1.0f), 0x3f80);
	TB_CHECK_INT(eng_f32_to_bf16(1.0f + ldexpf(1, -8)), 0x3f80);         /* tie, even is down */
	TB_CHECK_INT(eng_f32_to_bf16(1.0f + 3 * ldexpf(1, -8)), 0x3f82);     /* tie, even is up */
	TB_CHECK_INT(eng_f32_to_bf16(1.0f + ldexpf(1, -8) + ldexpf(1, -20)), 0x3f81);
	TB_CHECK_INT(eng_f32_to_bf16(-2.0f), 0xc000);
	TB_CHECK_INT(eng_f32_to_bf16(bits_f(0x7f7fffff)), 0x7f80);           /* max float rounds to inf */
	TB_CHECK_INT(eng_f32_to_bf16(INFINITY), 0x7f80);
	TB_CHECK_INT(eng_f32_to_bf16(-INFINITY), 0xff80);
	TB_CHECK_INT(eng_f32_to_bf16(bits_f(0x00010000)), 0x0001);           /* subnormal kept */
	TB_CHECK_INT(eng_f32_to_bf16(bits_f(0x00008000)), 0x0000);           /* tie to even 0 */
	TB_CHECK_INT(eng_f32_to_bf16(bits_f(0x00018000)), 0x0002);           /* tie to even 2 */
	TB_CHECK_INT(eng_f32_to_bf16(bits_f(0x7f800001)), 0x7fc0);           /* sNaN made quiet */
	TB_CHECK_INT(eng_f32_to_bf16(bits_f(0xffc12345)), 0xffc1);           /* payload top kept */
	TB_CHECK_INT(eng_f32_to_bf16(bits_f(0x7fffffff)), 0x7fff);           /* no carry into sign */
	TB_CHECK(eng_bf16_to_f32(0x3f80) == 1.0f);
	TB_CHECK(f_bits(eng_bf16_to_f32(0x8001)) == 0x80010000u);
	TB_CHECK(isnan(eng_bf16_to_f32(0x7fc0)));
}

static void test_quant_f32_f16_bf16_rows_round_trip_exactly(void)
{
	enum { N = 4096 };
	float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
	TB_REQUIRE(x && y);
	rng_seed(5);
	fill_gauss(x, N, 3.0f);
	x[0] = INFINITY;
	x[1] = -0.0f;
	x[2] = bits_f(0x00000003);
	TB_CHECK(round_trip(ENG_T_F32, x, y, N, NULL) == 0);
	TB_CHECK(memcmp(x, y, N * sizeof *x) == 0);
	for (int i = 0; i < N; i++)   /* make every value representable in f16, then bf16 */
		x[i] = eng_f16_to_f32(eng_f32_to_f16(x[i]));
	TB_CHECK(round_trip(ENG_T_F16, x, y, N, NULL) == 0);
	TB_CHECK(memcmp(x, y, N * sizeof *x) == 0);
	for (int i = 0; i < N; i++)
		x[i] = eng_bf16_to_f32(eng_f32_to_bf16(x[i]));
	TB_CHECK(round_trip(ENG_T_BF16, x, y, N, NULL) == 0);
	TB_CHECK(memcmp(x, y, N * sizeof *x) == 0);
	free(x);
	free(y);
}

/* ------------------------------------------------------------------ known blocks */

static void test_quant_q4_0_known_block_dequantizes_exactly(void)
{
	uint8_t b[18];
	float y[32];
	put16(b, 0x3c00);                                   /* d = 1.0 */
	for (int j = 0; j < 16; j++)
		b[2 + j] = (uint8_t)(j | ((15 - j) << 4));  /* low nibbles 0..15, high 15..0 */
	TB_REQUIRE(eng_dequant_row(ENG_T_Q4_0, b, y, 32) == 0);
	for (int j = 0; j < 16; j++) {
		TB_CHECK(y[j] == (float)(j - 8));
		TB_CHECK(y[16 + j] == (float)(7 - j));
	}
	put16(b, 0xc000);                                   /* d = -2.0 */
	TB_REQUIRE(eng_dequant_row(ENG_T_Q4_0, b, y, 32) == 0);
	TB_CHECK(y[0] == 16.0f && y[15] == -14.0f && y[16] == -14.0f);
}

static void test_quant_legacy_known_blocks_dequantize_exactly(void)
{
	uint8_t b[36];
	float y[32];

	/* Q4_1: d = 0.5, m = -1: x = q/2 - 1 */
	put16(b, 0x3800);
	put16(b + 2, 0xbc00);
	for (int j = 0; j < 16; j++)
		b[4 + j] = (uint8_t)(j | (j << 4));
	TB_REQUIRE(eng_dequant_row(ENG_T_Q4_1, b, y, 32) == 0);
	for (int j = 0; j < 16; j++)
		TB_CHECK(y[j] == j * 0.5f - 1 && y[16 + j] == j * 0.5f - 1);

	/* Q5_0: d = 1, element j has low nibble j%16 and high bit set for odd j: q = j%16 + 16*(j&1),
	 * x = q - 16 */
	put16(b, 0x3c00);
	uint32_t qh = 0xaaaaaaaau;
	memcpy(b + 2, &qh, 4);   /* little-endian host, as GGUF */
	for (int j = 0; j < 16; j++)
		b[6 + j] = (uint8_t)(j | (j << 4));
	TB_REQUIRE(eng_dequant_row(ENG_T_Q5_0, b, y, 32) == 0);
	for (int j = 0; j < 32; j++)
		TB_CHECK(y[j] == (float)(j % 16 + 16 * (j & 1) - 16));

	/* Q5_1: d = 0.25, m = 1, same bits: x = q/4 + 1 */
	put16(b, 0x3400);
	put16(b + 2, 0x3c00);
	memcpy(b + 4, &qh, 4);
	for (int j = 0; j < 16; j++)
		b[8 + j] = (uint8_t)(j | (j << 4));
	TB_REQUIRE(eng_dequant_row(ENG_T_Q5_1, b, y, 32) == 0);
	for (int j = 0; j < 32; j++)
		TB_CHECK(y[j] == (j % 16 + 16 * (j & 1)) * 0.25f + 1);

	/* Q8_0: d = 0.125, q = j - 16, with the extremes -128 and 127 */
	put16(b, 0x3000);
	for (int j = 0; j < 32; j++)
		b[2 + j] = (uint8_t)(int8_t)(j - 16);
	b[2] = (uint8_t)(int8_t)-128;
	b[33] = 127;
	TB_REQUIRE(eng_dequant_row(ENG_T_Q8_0, b, y, 32) == 0);
	TB_CHECK(y[0] == -16.0f && y[31] == 15.875f && y[5] == -1.375f);

	/* IQ4_NL: d = 1, nibbles 0..15 give the table itself */
	static const int8_t table[16] = { -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113 };
	put16(b, 0x3c00);
	for (int j = 0; j < 16; j++)
		b[2 + j] = (uint8_t)(j | ((15 - j) << 4));
	TB_REQUIRE(eng_dequant_row(ENG_T_IQ4_NL, b, y, 32) == 0);
	for (int j = 0; j < 16; j++)
		TB_CHECK(y[j] == table[j] && y[16 + j] == table[15 - j]);
}

/* K-quant blocks built by hand from the layout description in docs/quant-formats.md. */
static void test_quant_k_quant_known_blocks_dequantize_exactly(void)
{
	uint8_t b[292];
	float y[256];

	/* Q2_K: scales[g] = scale g%16 (low) | min 1 (high); d = 1, dmin = 0.5; every quant byte 0xe4
	 * holds levels 0,1,2,3 at shifts 0,2,4,6, so element e has level (e%128)/32. */
	memset(b, 0, sizeof b);
	for (int g = 0; g < 16; g++)
		b[g] = (uint8_t)(g | (1 << 4));
	memset(b + 16, 0xe4, 64);
	put16(b + 80, 0x3c00);
	put16(b + 82, 0x3800);
	TB_REQUIRE(eng_dequant_row(ENG_T_Q2_K, b, y, 256) == 0);
	for (int e = 0; e < 256; e++)
		TB_CHECK(y[e] == (float)((e / 16) * ((e % 128) / 32)) - 0.5f);

	/* Q3_K: all 16 six-bit scales = 33 (signed +1) ... except group 15 = 30 (signed -2).
	 * 33 = 0b100001: low nibble 1, high bits 2; 30 = 0b011110: low nibble 14, high bits 1.
	 * Quants: low bits 3 everywhere; hmask set only for elements e < 32 (bit 0). So level is
	 * 3 for e < 32 and 3 - 4 = -1 elsewhere. d = 2. */
	memset(b, 0, sizeof b);
	for (int m = 0; m < 32; m++)
		b[m] = 0x01;
	memset(b + 32, 0xff, 64);
	int sc[16];
	for (int g = 0; g < 16; g++)
		sc[g] = g == 15 ? 30 : 33;
	for (int g = 0; g < 16; g++) {
		if (g < 8)
			b[96 + g] |= (uint8_t)(sc[g] & 0xf);
		else
			b[96 + g - 8] |= (uint8_t)((sc[g] & 0xf) << 4);
		b[96 + 8 + g % 4] |= (uint8_t)((sc[g] >> 4) << (2 * (g / 4)));
	}
	put16(b + 108, 0x4000);
	TB_REQUIRE(eng_dequant_row(ENG_T_Q3_K, b, y, 256) == 0);
	for (int e = 0; e < 256; e++)
		TB_CHECK(y[e] == 2.0f * (sc[e / 16] - 32) * (e < 32 ? 3 : -1));

	/* Q4_K: group g has scale g+1 and min 2g (6 bits each, with groups 4..7 split);
	 * d = 0.5, dmin = 0.25; nibble of element e = e%16. */
	memset(b, 0, sizeof b);
	put16(b, 0x3800);
	put16(b + 2, 0x3400);
	int s4[8], m4[8];
	for (int g = 0; g < 8; g++) {
		s4[g] = g == 7 ? 63 : g + 1;
		m4[g] = g == 6 ? 63 : 2 * g + 20;
	}
	uint8_t *s = b + 4;
	for (int g = 0; g < 4; g++) {
		s[g] = (uint8_t)(s4[g] | ((s4[g + 4] >> 4) << 6));
		s[g + 4] = (uint8_t)(m4[g] | ((m4[g + 4] >> 4) << 6));
		s[g + 8] = (uint8_t)((s4[g + 4] & 0xf) | ((m4[g + 4] & 0xf) << 4));
	}
	for (int c = 0; c < 4; c++)
		for (int l = 0; l < 32; l++)
			b[16 + 32 * c + l] = (uint8_t)((l % 16) | ((l % 16) << 4));
	TB_REQUIRE(eng_dequant_row(ENG_T_Q4_K, b, y, 256) == 0);
	for (int e = 0; e < 256; e++)
		TB_CHECK(y[e] == 0.5f * s4[e / 32] * (e % 16) - 0.25f * m4[e / 32]);

	/* Q5_K: same scales, the high bit set for the odd 32-groups only (qh bit g for group g). */
	memmove(b + 48, b + 16, 128);                  /* qs after qh[32] */
	for (int l = 0; l < 32; l++)
		b[16 + l] = 0xaa;
	TB_REQUIRE(eng_dequant_row(ENG_T_Q5_K, b, y, 256) == 0);
	for (int e = 0; e < 256; e++)
		TB_CHECK(y[e] == 0.5f * s4[e / 32] * (e % 16 + ((e / 32) & 1) * 16) - 0.25f * m4[e / 32]);

	/* Q6_K: element e has level (e % 64) - 32; ql low/high nibbles and qh 2-bit fields per the
	 * layout; scales[g] = g - 8; d = 1. */
	memset(b, 0, sizeof b);
	for (int e = 0; e < 256; e++) {
		int q = e % 64, c = e / 128, r = e % 128, l = r % 32, part = r / 32;
		uint8_t *ql = b + 64 * c + l + 32 * (part & 1);
		*ql |= (uint8_t)((q & 0xf) << (part < 2 ? 0 : 4));
		b[128 + 32 * c + l] |= (uint8_t)((q >> 4) << (2 * part));
	}
	for (int g = 0; g < 16; g++)
		b[192 + g] = (uint8_t)(int8_t)(g - 8);
	put16(b + 208, 0x3c00);
	TB_REQUIRE(eng_dequant_row(ENG_T_Q6_K, b, y, 256) == 0);
	for (int e = 0; e < 256; e++)
		TB_CHECK(y[e] == (float)((e / 16 - 8) * (e % 64 - 32)));

	/* IQ4_XS: d = 0.5, six-bit group scales 32 + g - 4 (signed g - 4); nibbles j%16. */
	static const int8_t table[16] = { -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113 };
	memset(b, 0, sizeof b);
	put16(b, 0x3800);
	uint16_t sh = 0;
	for (int g = 0; g < 8; g++) {
		int v = 32 + g - 4;
		b[4 + g / 2] |= (uint8_t)((v & 0xf) << (4 * (g % 2)));
		sh |= (uint16_t)((v >> 4) << (2 * g));
	}
	put16(b + 2, sh);
	for (int j = 0; j < 128; j++)
		b[8 + j] = (uint8_t)((j % 16) | ((15 - j % 16) << 4));
	TB_REQUIRE(eng_dequant_row(ENG_T_IQ4_XS, b, y, 256) == 0);
	for (int e = 0; e < 256; e++) {
		int k = e % 32, nib = k < 16 ? k : 15 - (k - 16);
		TB_CHECK(y[e] == 0.5f * (e / 32 - 4) * table[nib]);
	}
}

/* Q8_0 has two roundings, as in llama.cpp: weights (llama-quantize, the _ref quantizer) round
 * halves away from zero; activations (the x86 kernels the reference logits come from) round
 * halves to even. Inputs on exact halves tell them apart. */
static void test_quant_q8_0_weights_round_half_away_activations_half_even(void)
{
	float x[64];
	uint8_t q[68], qa[68];
	/* amax 127 gives d = 1 and id = 1: the quants are the inputs rounded */
	for (int j = 0; j < 32; j++)
		x[j] = (float)(j - 16) + 0.5f;
	x[0] = -127.0f;
	/* second block: all zero */
	for (int j = 32; j < 64; j++)
		x[j] = 0.0f;
	TB_REQUIRE(eng_quant_row_ref(ENG_T_Q8_0, x, q, 64, NULL) == 0);
	TB_REQUIRE(eng_quant_row(ENG_T_Q8_0, x, qa, 64) == 0);
	TB_CHECK(q[0] == 0x00 && q[1] == 0x3c);          /* d = 1.0 */
	TB_CHECK(qa[0] == 0x00 && qa[1] == 0x3c);
	for (int j = 1; j < 32; j++) {
		TB_CHECK((int8_t)q[2 + j] == (int)roundf(x[j]));
		TB_CHECK((int8_t)qa[2 + j] == (int)nearbyintf(x[j]));
	}
	TB_CHECK((int8_t)q[2 + 16] == 1 && (int8_t)q[2 + 13] == -3);    /* 0.5 -> 1, -2.5 -> -3 */
	TB_CHECK((int8_t)qa[2 + 16] == 0 && (int8_t)qa[2 + 13] == -2);  /* 0.5 -> 0, -2.5 -> -2 */
	for (int j = 0; j < 34; j++)
		TB_CHECK(q[34 + j] == 0 && qa[34 + j] == 0);

	/* Q8_1 adds s = d * sum(q) */
	uint8_t q1[72];
	TB_REQUIRE(eng_quant_row(ENG_T_Q8_1, x, q1, 64) == 0);
	int sum = 0;
	for (int j = 0; j < 32; j++)
		sum += (int8_t)q1[4 + j];
	TB_CHECK(eng_f16_to_f32((uint16_t)(q1[2] | q1[3] << 8)) == (float)sum);
	TB_CHECK(memcmp(q1 + 4, q + 2, 32) == 0);
}

static void test_quant_q8_k_rounds_half_to_even_and_fills_group_sums(void)
{
	enum { N = 512 };
	float x[N];
	uint8_t q[2 * 292];
	/* negative extreme -127 gives iscale = 1: quants are x rounded half to even */
	for (int j = 0; j < 256; j++)
		x[j] = (float)((j % 40) - 20) + 0.5f;
	x[0] = -127.0f;
	for (int j = 256; j < N; j++)
		x[j] = 0.0f;
	TB_REQUIRE(eng_quant_row(ENG_T_Q8_K, x, q, N) == 0);
	float d;
	memcpy(&d, q, 4);
	TB_CHECK(d == 1.0f);
	int bad = 0;
	for (int j = 1; j < 256; j++)
		bad += (int8_t)q[4 + j] != (int)rintf(x[j]);
	TB_CHECK_INT(bad, 0);
	TB_CHECK((int8_t)q[4 + 20] == 0 && (int8_t)q[4 + 22] == 2);   /* 0.5 -> 0, 2.5 -> 2 */
	TB_CHECK((int8_t)q[4 + 21] == 2 && (int8_t)q[4 + 19] == 0);   /* 1.5 -> 2, -0.5 -> 0 */
	for (int g = 0; g < 16; g++) {
		int sum = 0;
		for (int k = 0; k < 16; k++)
			sum += (int8_t)q[4 + 16 * g + k];
		int16_t bs;
		memcpy(&bs, q + 260 + 2 * g, 2);
		TB_CHECK_INT(bs, sum);
	}
	/* the all-zero block: d = 0, no quants, no sums */
	for (int j = 0; j < 292; j++)
		TB_CHECK(q[292 + j] == 0);
	/* a positive extreme flips the sign convention: d = -max/127 */
	x[0] = 127.0f;
	TB_REQUIRE(eng_quant_row(ENG_T_Q8_K, x, q, 256) == 0);
	memcpy(&d, q, 4);
	TB_CHECK(d == -1.0f && (int8_t)q[4] == -127);
}

/* ------------------------------------------------------------------ error bounds */

/* Relative RMS error bounds of quantize -> dequantize on Gaussian rows of 4096 (the worst of 64
 * rows, half N(0, 1), half N(0, 0.02^2)), about 15% above the worst values measured with this
 * implementation, which reproduces llama-quantize's bytes (see the last tests). Measured worst:
 * f16 2.1e-4, bf16 1.7e-3, q8_0 5.6e-3, q8_1 5.6e-3, q8_K 7.5e-3, q6_K 1.8e-2, q5_K 3.7e-2,
 * q5_1 3.9e-2, q5_0 4.4e-2, q4_K 7.4e-2, iq4_nl 7.8e-2, iq4_xs 7.9e-2, q4_1 8.1e-2, q4_0 8.9e-2,
 * q3_K 0.155, q2_K 0.304. The table in docs/quant-formats.md lists them with bits per weight. */
static const struct { int type; double max_rel_rmse; } rmse_bounds[] = {
	{ ENG_T_F32, 0.0 },
	{ ENG_T_F16, 2.5e-4 },
	{ ENG_T_BF16, 2.0e-3 },
	{ ENG_T_Q8_0, 6.5e-3 },
	{ ENG_T_Q8_1, 6.5e-3 },
	{ ENG_T_Q8_K, 8.5e-3 },
	{ ENG_T_Q6_K, 0.021 },
	{ ENG_T_Q5_K, 0.043 },
	{ ENG_T_Q5_1, 0.045 },
	{ ENG_T_Q5_0, 0.051 },
	{ ENG_T_Q4_K, 0.085 },
	{ ENG_T_IQ4_NL, 0.09 },
	{ ENG_T_IQ4_XS, 0.09 },
	{ ENG_T_Q4_1, 0.093 },
	{ ENG_T_Q4_0, 0.103 },
	{ ENG_T_Q3_K, 0.178 },
	{ ENG_T_Q2_K, 0.35 },
};

static void test_quant_round_trip_error_stays_within_the_bound_of_each_type(void)
{
	enum { N = 4096, ROWS = 64 };
	float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
	TB_REQUIRE(x && y);
	for (size_t k = 0; k < sizeof rmse_bounds / sizeof rmse_bounds[0]; k++) {
		const int t = rmse_bounds[k].type;
		double sum = 0, worst = 0;
		rng_seed(1000 + (uint64_t)t);
		for (int r = 0; r < ROWS; r++) {
			fill_gauss(x, N, r % 2 ? 0.02f : 1.0f);   /* weight-like and unit scale */
			TB_REQUIRE(round_trip(t, x, y, N, NULL) == 0);
			double e = rel_rmse(x, y, N);
			sum += e;
			worst = e > worst ? e : worst;
		}
		printf("  %-7s rel rmse mean %.3e worst %.3e (bound %.3e)\n", eng_type_get(t)->name,
			sum / ROWS, worst, rmse_bounds[k].max_rel_rmse);
		TB_CHECK(worst <= rmse_bounds[k].max_rel_rmse);
	}
	free(x);
	free(y);
}

/* Types whose quantizer maps its own dequantized output back to the same bytes: the scale is
 * recovered exactly from the extreme element and every value sits on a level. Q8_K's f32 scale
 * is recomputed through two roundings (d -> -127/(d*-127) -> 1/that) and its sign follows the
 * first extreme, where +127 and -127 can both occur; it comes back within an ulp of the scale. */
static void test_quant_requantizing_dequantized_rows_reproduces_the_blocks(void)
{
	static const int types[] = { ENG_T_Q8_0, ENG_T_Q4_0, ENG_T_Q5_0, ENG_T_F16, ENG_T_BF16 };
	enum { N = 8192 };
	float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
	uint8_t *a = malloc(N * 4), *b = malloc(N * 4);
	TB_REQUIRE(x && y && a && b);
	for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
		const int t = types[k];
		const size_t rs = eng_row_size(t, N);
		rng_seed(77 + (uint64_t)t);
		fill_gauss(x, N, 0.5f);
		TB_REQUIRE(eng_quant_row_ref(t, x, a, N, NULL) == 0);
		TB_REQUIRE(eng_dequant_row_ref(t, a, y, N) == 0);
		TB_REQUIRE(eng_quant_row_ref(t, y, b, N, NULL) == 0);
		if (memcmp(a, b, rs) != 0)
			printf("  %s: re-quantized bytes differ\n", eng_type_get(t)->name);
		TB_CHECK(memcmp(a, b, rs) == 0);
	}
	rng_seed(78);
	fill_gauss(x, N, 0.5f);
	TB_REQUIRE(eng_quant_row_ref(ENG_T_Q8_K, x, a, N, NULL) == 0);
	TB_REQUIRE(eng_dequant_row_ref(ENG_T_Q8_K, a, y, N) == 0);
	TB_REQUIRE(eng_quant_row_ref(ENG_T_Q8_K, y, b, N, NULL) == 0);
	TB_REQUIRE(eng_dequant_row_ref(ENG_T_Q8_K, b, x, N) == 0);
	int bad = 0;
	for (int i = 0; i < N; i++)
		bad += !(fabsf(x[i] - y[i]) <= ldexpf(fabsf(y[i]), -22));
	TB_CHECK_INT(bad, 0);
	free(x);
	free(y);
	free(a);
	free(b);
}

static void test_quant_all_zero_rows_dequantize_to_zero_for_every_type(void)
{
	enum { N = 512 };
	float x[N] = { 0 }, y[N];
	for (int k = 0; k < N_QUANT_TYPES; k++) {
		for (int i = 0; i < N; i++)
			y[i] = 1.0f;
		TB_REQUIRE(round_trip(quant_types[k], x, y, N, NULL) == 0);
		int bad = 0;
		for (int i = 0; i < N; i++)
			bad += y[i] != 0.0f;
		if (bad)
			printf("  %s: %d non-zero\n", eng_type_get(quant_types[k])->name, bad);
		TB_CHECK_INT(bad, 0);
	}
}

/* A row with NaN, inf and huge values must not crash or trip the sanitizers, and the blocks
 * after them come out as if quantized alone (blocks are independent without an imatrix). */
static void test_quant_quantizers_survive_non_finite_values(void)
{
	enum { N = 512 };
	float x[2 * N], y[2 * N];
	uint8_t qa[2 * N * 4], qb[N * 4];
	for (int k = 0; k < N_QUANT_TYPES; k++) {
		const int t = quant_types[k];
		const size_t rs = eng_row_size(t, N);
		rng_seed(3);
		fill_gauss(x, 2 * N, 1.0f);
		x[3] = NAN;
		x[40] = INFINITY;
		x[300] = -INFINITY;
		x[301] = 3e38f;
		x[302] = -3e38f;
		x[303] = bits_f(0x00000001);
		TB_CHECK(eng_quant_row_ref(t, x, qa, 2 * N, NULL) == 0);
		TB_CHECK(eng_dequant_row_ref(t, qa, y, 2 * N) == 0);
		TB_CHECK(eng_quant_row_ref(t, x + N, qb, N, NULL) == 0);
		TB_CHECK(memcmp(qa + rs, qb, rs) == 0);
	}
}

static void test_quant_unsupported_types_are_refused(void)
{
	float x[256] = { 0 }, y[256], out = 0;
	uint8_t q[2048] = { 0 };
	static const int types[] = { ENG_T_I8, ENG_T_I32, ENG_T_F64, 4, 36, -1, 99 };
	for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
		TB_CHECK_INT(eng_quant_row_ref(types[k], x, q, 256, NULL), -1);
		TB_CHECK_INT(eng_quant_row(types[k], x, q, 256), -1);
		TB_CHECK_INT(eng_dequant_row_ref(types[k], q, y, 256), -1);
		TB_CHECK_INT(eng_dequant_row(types[k], q, y, 256), -1);
		TB_CHECK_INT(eng_vec_dot_ref(types[k], 256, q, q, &out), -1);
		TB_CHECK_INT(eng_vec_dot(types[k], 256, q, q, &out), -1);
	}
	/* IQ2_XXS needs importance weights (activations are Q8_K; see test_iq_quant.c) */
	TB_CHECK_INT(eng_quant_row_ref(ENG_T_IQ2_XXS, x, q, 256, NULL), ENG_EIMATRIX);
	TB_CHECK_INT(eng_quant_row(ENG_T_IQ2_XXS, x, q, 256), ENG_EIMATRIX);
	/* activation-only types have no weight dot product */
	TB_CHECK_INT(eng_vec_dot(ENG_T_Q8_K, 256, q, q, &out), -1);
	TB_CHECK_INT(eng_vec_dot(ENG_T_Q8_1, 256, q, q, &out), -1);
}

/* ------------------------------------------------------------------ dot products */

/* For every computable type: eng_vec_dot of a quantized weight row with the activation row
 * quantized to the partner type equals the double dot of both dequantized rows, within float
 * rounding of the per-block scaling (1e-5 of sum |w_i a_i|). Q4_1 and Q5_1 read Q8_1's s field,
 * which is d*sum(q) rounded to fp16, so their bound adds 2^-11 * sum |m * s| over blocks. */
static void test_quant_vec_dot_matches_the_float_dot_of_dequantized_rows(void)
{
	enum { N = 2048, ROWS = 8 };
	float *w = malloc(N * sizeof *w), *a = malloc(N * sizeof *a);
	float *wd = malloc(N * sizeof *wd), *ad = malloc(N * sizeof *ad);
	uint8_t *wq = malloc(N * 4), *aq = malloc(N * 4);
	TB_REQUIRE(w && a && wd && ad && wq && aq);
	for (int t = 0; t < ENG_T_COUNT; t++) {
		const eng_type_info *ti = eng_type_get(t);
		if (!ti || !ti->can_compute || dequant_only(t))
			continue;
		double worst = 0;
		rng_seed(500 + (uint64_t)t);
		for (int r = 0; r < ROWS; r++) {
			fill_gauss(w, N, 0.05f);
			fill_gauss(a, N, r % 2 ? 3.0f : 1.0f);
			if (r == 1)   /* an offset row exercises the min terms */
				for (int i = 0; i < N; i++)
					w[i] += 0.1f;
			TB_REQUIRE(eng_quant_row_ref(t, w, wq, N, NULL) == 0);
			TB_REQUIRE(eng_quant_row(ti->vec_dot_type, a, aq, N) == 0);
			TB_REQUIRE(eng_dequant_row(t, wq, wd, N) == 0);
			TB_REQUIRE(eng_dequant_row(ti->vec_dot_type, aq, ad, N) == 0);
			double ref = 0, mag = 0, tol;
			for (int i = 0; i < N; i++) {
				ref += (double)wd[i] * ad[i];
				mag += fabs((double)wd[i] * ad[i]);
			}
			tol = 1e-5 * mag + 1e-6;
			if (ti->vec_dot_type == ENG_T_Q8_1) {
				const size_t wbs = ti->type_size;
				for (int bi = 0; bi < N / 32; bi++) {
					const uint8_t *wb = wq + bi * wbs, *ab = aq + bi * 36;
					float m = eng_f16_to_f32((uint16_t)(wb[2] | wb[3] << 8));
					float s = eng_f16_to_f32((uint16_t)(ab[2] | ab[3] << 8));
					tol += ldexp(fabs((double)m * s), -11);
				}
			}
			float got = 0;
			TB_REQUIRE(eng_vec_dot(t, N, wq, aq, &got) == 0);
			/* the dispatched dot may be a SIMD kernel (its own checks against the _ref are in
			 * test_kernels.c); the _ref must meet the same bound */
			float got_ref = 0;
			TB_REQUIRE(eng_vec_dot_ref(t, N, wq, aq, &got_ref) == 0);
			TB_CHECK(fabs(got_ref - ref) <= tol);
			if (!(fabs(got - ref) <= tol))
				printf("  %s row %d: dot %.9g, float dot %.9g, tol %.3g\n", ti->name, r, got, ref, tol);
			TB_CHECK(fabs(got - ref) <= tol);
			worst = fabs(got - ref) / (mag + 1e-30) > worst ? fabs(got - ref) / (mag + 1e-30) : worst;
		}
		printf("  %-7s x %-5s worst |dot - float dot| / sum|w a| = %.2e\n", ti->name,
			eng_type_get(ti->vec_dot_type)->name, worst);
	}
	free(w);
	free(a);
	free(wd);
	free(ad);
	free(wq);
	free(aq);
}

/* A hand-checked Q4_K x Q8_K dot: the min correction goes through Q8_K's group sums. */
static void test_quant_q4_k_dot_applies_the_min_through_group_sums(void)
{
	uint8_t w[144] = { 0 };
	float x[256], wd[256];
	uint8_t a[292];
	/* d = 1, dmin = 1; group 0: scale 1, min 3; other groups: scale 0, min 0; all nibbles 2 */
	put16(w, 0x3c00);
	put16(w + 2, 0x3c00);
	w[4] = 1;
	w[8] = 3;
	memset(w + 16, 0x22, 128);
	TB_REQUIRE(eng_dequant_row(ENG_T_Q4_K, w, wd, 256) == 0);
	TB_CHECK(wd[0] == -1.0f && wd[31] == -1.0f && wd[32] == 0.0f);
	for (int j = 0; j < 256; j++)
		x[j] = (float)((j % 5) - 2);
	x[7] = -127.0f;   /* iscale 1: the activation quants equal x */
	TB_REQUIRE(eng_quant_row(ENG_T_Q8_K, x, a, 256) == 0);
	float got = 0;
	double want = 0;
	for (int j = 0; j < 32; j++)
		want += -1.0 * x[j];
	TB_REQUIRE(eng_vec_dot(ENG_T_Q4_K, 256, w, a, &got) == 0);
	TB_CHECK(got == (float)want);
}

/* ------------------------------------------------------------------ importance weights */

/* With an imatrix that weights some columns 100x, the weighted error of those columns drops
 * compared with the unweighted quantizer, for every type that uses it. */
static void test_quant_imatrix_lowers_the_error_of_the_heavy_columns(void)
{
	static const int types[] = { ENG_T_Q4_0, ENG_T_Q4_1, ENG_T_Q5_0, ENG_T_Q5_1, ENG_T_Q2_K, ENG_T_Q3_K,
		ENG_T_Q4_K, ENG_T_Q5_K, ENG_T_Q6_K, ENG_T_IQ4_NL, ENG_T_IQ4_XS };
	enum { N = 4096, ROWS = 16 };
	float *x = malloc(N * sizeof *x), *y0 = malloc(N * sizeof *y0), *y1 = malloc(N * sizeof *y1);
	float *im = malloc(N * sizeof *im);
	TB_REQUIRE(x && y0 && y1 && im);
	for (int i = 0; i < N; i++)
		im[i] = i % 8 == 0 ? 100.0f : 1.0f;
	for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
		double e0 = 0, e1 = 0;
		rng_seed(900 + (uint64_t)types[k]);
		for (int r = 0; r < ROWS; r++) {
			fill_gauss(x, N, 0.1f);
			TB_REQUIRE(round_trip(types[k], x, y0, N, NULL) == 0);
			TB_REQUIRE(round_trip(types[k], x, y1, N, im) == 0);
			for (int i = 0; i < N; i++) {
				e0 += im[i] * ((double)x[i] - y0[i]) * ((double)x[i] - y0[i]);
				e1 += im[i] * ((double)x[i] - y1[i]) * ((double)x[i] - y1[i]);
			}
		}
		printf("  %-7s weighted error with imatrix / without: %.3f\n", eng_type_get(types[k])->name, e1 / e0);
		TB_CHECK(e1 < e0);
	}
	free(x);
	free(y0);
	free(y1);
	free(im);
}

/* ------------------------------------------------------------------ llama-quantize files */

/* A minimal GGUF tensor table reader for this test only (the engine's reader is engine/gguf.c):
 * reads the whole file, skips the metadata (noting general.alignment), and lists tensors. */
typedef struct mini_tensor {
	char name[96];
	int type;
	int64_t ne[4];
	int n_dims;
	uint64_t offset;
} mini_tensor;

typedef struct mini_gguf {
	uint8_t *buf;
	size_t size, pos, data;
	int n_tensors;
	mini_tensor *t;
} mini_gguf;

static int mg_need(mini_gguf *g, size_t n)
{
	return g->pos <= g->size && n <= g->size - g->pos;
}

static uint64_t mg_u(mini_gguf *g, int bytes)
{
	uint64_t v = 0;
	if (!mg_need(g, (size_t)bytes)) {
		g->pos = g->size + 1;
		return 0;
	}
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)g->buf[g->pos + i] << (8 * i);
	g->pos += (size_t)bytes;
	return v;
}

static void mg_skip_value(mini_gguf *g, uint32_t type, uint32_t *align, int is_align)
{
	static const int sizes[13] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };
	if (type == 8) {                      /* string */
		uint64_t n = mg_u(g, 8);
		g->pos = mg_need(g, n) ? g->pos + n : g->size + 1;
	} else if (type == 9) {               /* array */
		uint32_t et = (uint32_t)mg_u(g, 4);
		uint64_t n = mg_u(g, 8);
		for (uint64_t i = 0; i < n && g->pos <= g->size; i++)
			mg_skip_value(g, et, NULL, 0);
	} else if (type < 13) {
		uint64_t v = mg_u(g, sizes[type]);
		if (is_align && align)
			*align = (uint32_t)v;
	} else {
		g->pos = g->size + 1;
	}
}

static void mg_close(mini_gguf *g)
{
	free(g->buf);
	free(g->t);
	memset(g, 0, sizeof *g);
}

static int mg_open(mini_gguf *g, const char *path)
{
	FILE *f = fopen(path, "rb");
	memset(g, 0, sizeof *g);
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	g->buf = sz > 0 ? malloc((size_t)sz) : NULL;
	if (!g->buf || fread(g->buf, 1, (size_t)sz, f) != (size_t)sz) {
		fclose(f);
		mg_close(g);
		return -1;
	}
	fclose(f);
	g->size = (size_t)sz;
	if (g->size < 24 || memcmp(g->buf, "GGUF", 4) != 0)
		goto fail;
	g->pos = 8;
	uint64_t nt = mg_u(g, 8), nkv = mg_u(g, 8);
	uint32_t align = 32;
	if (nt > 100000)
		goto fail;
	for (uint64_t i = 0; i < nkv && g->pos <= g->size; i++) {
		uint64_t kl = mg_u(g, 8);
		if (!mg_need(g, kl))
			goto fail;
		int is_align = kl == 17 && memcmp(g->buf + g->pos, "general.alignment", 17) == 0;
		g->pos += kl;
		mg_skip_value(g, (uint32_t)mg_u(g, 4), &align, is_align);
	}
	g->t = calloc(nt ? nt : 1, sizeof *g->t);
	if (!g->t)
		goto fail;
	for (uint64_t i = 0; i < nt; i++) {
		mini_tensor *t = &g->t[i];
		uint64_t nl = mg_u(g, 8);
		if (!mg_need(g, nl))
			goto fail;
		memcpy(t->name, g->buf + g->pos, nl < sizeof t->name - 1 ? nl : sizeof t->name - 1);
		g->pos += nl;
		t->n_dims = (int)mg_u(g, 4);
		if (t->n_dims < 1 || t->n_dims > 4)
			goto fail;
		for (int d = 0; d < 4; d++)
			t->ne[d] = d < t->n_dims ? (int64_t)mg_u(g, 8) : 1;
		t->type = (int)mg_u(g, 4);
		t->offset = mg_u(g, 8);
	}
	if (g->pos > g->size || align == 0)
		goto fail;
	g->n_tensors = (int)nt;
	g->data = (g->pos + align - 1) / align * align;
	return 0;
fail:
	mg_close(g);
	return -1;
}

static const mini_tensor *mg_find(const mini_gguf *g, const char *name)
{
	for (int i = 0; i < g->n_tensors; i++)
		if (strcmp(g->t[i].name, name) == 0)
			return &g->t[i];
	return NULL;
}

/* Bytes of tensor t, or NULL when they do not fit the file. */
static const uint8_t *mg_data(const mini_gguf *g, const mini_tensor *t, size_t *bytes)
{
	int64_t rows = t->ne[1] * t->ne[2] * t->ne[3];
	size_t rs = eng_row_size(t->type, t->ne[0]);
	if (!rs || rows <= 0)
		return NULL;
	*bytes = rs * (size_t)rows;
	if (g->data + t->offset > g->size || *bytes > g->size - g->data - t->offset)
		return NULL;
	return g->buf + g->data + t->offset;
}

/* Quantizes each tensor of `src` (F32 or F16) to the type the same tensor has in `dst` and
 * compares the bytes. Returns the number of tensors compared (-1 on a parse error); *n_diff gets
 * the number that differ, *n_types a bitmask of the types seen. */
static int compare_with_llama_quantize(const char *src_path, const char *dst_path, int *n_diff,
	uint64_t *types_seen)
{
	mini_gguf s, d;
	int compared = 0;
	*n_diff = 0;
	if (mg_open(&s, src_path) != 0)
		return -1;
	if (mg_open(&d, dst_path) != 0) {
		mg_close(&s);
		return -1;
	}
	for (int i = 0; i < d.n_tensors; i++) {
		const mini_tensor *dt = &d.t[i], *st = mg_find(&s, dt->name);
		size_t sb, db;
		if (!st || (st->type != ENG_T_F32 && st->type != ENG_T_F16))
			continue;
		if (dt->type == st->type || dt->type == ENG_T_F32)
			continue;
		const uint8_t *sp = mg_data(&s, st, &sb), *dp = mg_data(&d, dt, &db);
		const int64_t n = st->ne[0], rows = st->ne[1] * st->ne[2] * st->ne[3];
		if (!sp || !dp || n != dt->ne[0]) {
			compared = -1;
			break;
		}
		float *row = malloc((size_t)n * sizeof *row);
		uint8_t *q = malloc(db);
		const size_t srs = eng_row_size(st->type, n), drs = eng_row_size(dt->type, n);
		int ok = row && q;
		for (int64_t r = 0; ok && r < rows; r++) {
			ok = eng_dequant_row(st->type, sp + (size_t)r * srs, row, n) == 0 &&
				eng_quant_row_ref(dt->type, row, q + (size_t)r * drs, n, NULL) == 0;
		}
		if (!ok || memcmp(q, dp, db) != 0) {
			size_t nbad = 0;
			for (size_t k = 0; ok && k < db; k++)
				nbad += q[k] != dp[k];
			printf("  %s (%s): %zu of %zu bytes differ\n", dt->name, eng_type_get(dt->type)->name, nbad, db);
			(*n_diff)++;
		}
		*types_seen |= 1ull << dt->type;
		compared++;
		free(row);
		free(q);
	}
	mg_close(&s);
	mg_close(&d);
	return compared;
}

/* Requantizes `src` into the tensor types of each file `dir`/`label`-`variant`.gguf and counts
 * the tensors compared and those that differ; -1 when a file cannot be read. */
static int compare_variants(const char *src, const char *dir, const char *label,
		const char *const *variants, size_t nv, uint64_t *seen, int *diff_total)
{
	char dst[512];
	int total = 0;

	*diff_total = 0;
	for (size_t v = 0; v < nv; v++) {
		int n_diff = 0, n;

		snprintf(dst, sizeof dst, "%s/%s-%s.gguf", dir, label, variants[v]);
		n = compare_with_llama_quantize(src, dst, &n_diff, seen);
		if (n < 0)
			return -1;
		printf("  %s-%s: %d tensors compared, %d differ\n", label, variants[v], n, n_diff);
		total += n;
		*diff_total += n_diff;
	}
	for (int t = 0; t < 64; t++)
		if (*seen & (1ull << t))
			printf("  type compared: %s\n", eng_type_get(t)->name);
	return total;
}

static void test_quant_quantizer_reproduces_llama_quantize_bytes_on_the_synthetic_models(void)
{
	const char *sh = tb_shared_dir();
	static const char *const variants[] = { "Q8_0", "Q6_K", "Q4_K_M", "Q2_K" };
	char src[512], pat[512];
	uint64_t seen = 0;
	int total, diff_total = 0;
	if (!sh)
		TB_SKIP("no shared folder");
	snprintf(src, sizeof src, "%s/models/synthetic/synth-tiny-F16.gguf", sh);
	snprintf(pat, sizeof pat, "%s/models/synthetic", sh);
	total = compare_variants(src, pat, "synth-tiny", variants, 4, &seen, &diff_total);
	if (total < 0)
		TB_SKIP("cannot read a synthetic model or its source");
	TB_CHECK(total > 0);
	TB_CHECK_INT(diff_total, 0);
	TB_CHECK(seen & (1ull << ENG_T_Q8_0));
	TB_CHECK(seen & (1ull << ENG_T_Q2_K));
	TB_CHECK(seen & (1ull << ENG_T_Q4_K));
	TB_CHECK(seen & (1ull << ENG_T_Q6_K));
}

static void test_quant_quantizer_reproduces_llama_quantize_fallback_types(void)
{
	const char *sh = tb_shared_dir();
	static const char *const variants[] = { "Q4_K_M", "Q2_K" };
	char src[512], pat[512];
	uint64_t seen = 0;
	int total, diff_total = 0;
	if (!sh)
		TB_SKIP("no shared folder");
	snprintf(src, sizeof src, "%s/models/stories260K.gguf", sh);
	snprintf(pat, sizeof pat, "%s/models/derived", sh);
	total = compare_variants(src, pat, "stories260K", variants, 2, &seen, &diff_total);
	if (total < 0)
		TB_SKIP("cannot read a derived model or its source");
	TB_CHECK(total > 0);
	TB_CHECK_INT(diff_total, 0);
}

int main(void)
{
	TB_RUN(test_quant_type_table_matches_gguf_block_sizes);
	TB_RUN(test_quant_type_get_refuses_unassigned_and_out_of_range_numbers);
	TB_RUN(test_quant_row_size_refuses_lengths_that_are_not_a_block_multiple);
	TB_RUN(test_quant_bits_per_weight_follow_the_block_sizes);
	TB_RUN(test_quant_vec_dot_types_follow_the_llama_cpp_cpu_backend);
	TB_RUN(test_quant_only_supported_types_are_marked_computable);
	TB_RUN(test_quant_f16_decodes_every_half_exactly_and_reencodes_it);
	TB_RUN(test_quant_f16_encoding_rounds_ties_to_even_including_subnormals);
	TB_RUN(test_quant_f16_encoding_handles_overflow_inf_nan_and_signed_zero);
	TB_RUN(test_quant_f16_encoding_matches_an_independent_rounding_model);
	TB_RUN(test_quant_bf16_rounds_to_nearest_even_and_keeps_nan_quiet);
	TB_RUN(test_quant_f32_f16_bf16_rows_round_trip_exactly);
	TB_RUN(test_quant_q4_0_known_block_dequantizes_exactly);
	TB_RUN(test_quant_legacy_known_blocks_dequantize_exactly);
	TB_RUN(test_quant_k_quant_known_blocks_dequantize_exactly);
	TB_RUN(test_quant_q8_0_weights_round_half_away_activations_half_even);
	TB_RUN(test_quant_q8_k_rounds_half_to_even_and_fills_group_sums);
	TB_RUN(test_quant_round_trip_error_stays_within_the_bound_of_each_type);
	TB_RUN(test_quant_requantizing_dequantized_rows_reproduces_the_blocks);
	TB_RUN(test_quant_all_zero_rows_dequantize_to_zero_for_every_type);
	TB_RUN(test_quant_quantizers_survive_non_finite_values);
	TB_RUN(test_quant_unsupported_types_are_refused);
	TB_RUN(test_quant_vec_dot_matches_the_float_dot_of_dequantized_rows);
	TB_RUN(test_quant_q4_k_dot_applies_the_min_through_group_sums);
	TB_RUN(test_quant_imatrix_lowers_the_error_of_the_heavy_columns);
	TB_RUN(test_quant_quantizer_reproduces_llama_quantize_bytes_on_the_synthetic_models);
	TB_RUN(test_quant_quantizer_reproduces_llama_quantize_fallback_types);
	return tb_test_end();
}
