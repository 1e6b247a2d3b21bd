/* tests/engine/test_kernels.c — the CPU kernel levels behind eng_vec_dot, eng_vec_dot_rows and
 * eng_quant_row (engine/quant_dispatch.c, quant_x86.c, quant_neon.c): at every level this CPU
 * has, each dot product against eng_vec_dot_ref (F32 and F16 bit for bit, the others within
 * DOT_REL_TOL of the sum of |terms|; check_order_b then holds the 32-element types to the _ref's
 * bits and the super-block types to order B's), the tiled row function against the single dot
 * bit for bit (F32 and F16 against the _ref too), and the activation quantizers byte for byte,
 * on quantized Gaussian rows, random block bytes and unaligned buffers. Levels the CPU lacks are
 * skipped. No timing here. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "engine/engine.h"
#include "engine/quant_impl.h"
#include "refcheck.h"

/* Quantized dots: |SIMD - _ref| <= DOT_REL_TOL * sum |w_i * a_i| (the integer block sums are
 * exact; only the order of the float block terms differs). */
#define DOT_REL_TOL 1e-5

static const char *const LEVELS[] = { "scalar", "avx2", "avx512", "neon" };

/* ------------------------------------------------------------------ helpers */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

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

static float rng_gauss(void)
{
	double u = rng_uniform(), v = rng_uniform();
	return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

/* Gaussian values with a scale that changes every 16 elements (so block scales vary). */
static void fill_rows(float *x, int64_t n)
{
	float s = 1.0f;
	for (int64_t i = 0; i < n; i++) {
		if (i % 16 == 0)
			s = (float)exp(4.0 * rng_uniform() - 2.0);
		x[i] = s * rng_gauss();
	}
}

/* Values of one fixed sign pattern with random magnitudes near 1 (and a few small ones): the
 * dots of two such rows have block sums near their largest. */
static void aligned_row(float *x, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		x[i] = ((i * 7919) % 13 < 6 ? 1.0f : -1.0f) * (float)(i % 11 == 0 ? 0.1 * rng_uniform() : 0.6 + 0.4 * rng_uniform());
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof v);
}

/* Random bytes in every block of a row of `type`, with the fp16 scale fields set to finite
 * values (random bits there would give inf and NaN; MXFP4's E8M0 byte: 2^-28 .. 2^27). Plain
 * types get random finite values. */
static void random_row(int type, uint8_t *row, int64_t n)
{
	const eng_type_info *ti = eng_type_get(type);
	const size_t bs = ti->type_size;
	const int64_t nb = n / ti->blck;
	size_t f16s[2] = { 0, 0 };
	int nf = 1;

	if (ti->blck == 1) {
		float *tmp = malloc(sizeof(float) * (size_t)(n ? n : 1));
		fill_rows(tmp, n);
		eng_quant_row_ref(type, tmp, row, n, NULL);
		free(tmp);
		return;
	}
	for (size_t i = 0; i < (size_t)nb * bs; i++)
		row[i] = (uint8_t)rng_u64();
	switch (type) {
	case ENG_T_Q4_1: f16s[1] = offsetof(eng_blk_q4_1, m); nf = 2; break;
	case ENG_T_Q5_1: f16s[1] = offsetof(eng_blk_q5_1, m); nf = 2; break;
	case ENG_T_Q2_K: f16s[0] = offsetof(eng_blk_q2_K, d); f16s[1] = offsetof(eng_blk_q2_K, dmin); nf = 2; break;
	case ENG_T_Q3_K: f16s[0] = offsetof(eng_blk_q3_K, d); break;
	case ENG_T_Q4_K: f16s[1] = offsetof(eng_blk_q4_K, dmin); nf = 2; break;
	case ENG_T_Q5_K: f16s[1] = offsetof(eng_blk_q5_K, dmin); nf = 2; break;
	case ENG_T_Q6_K: f16s[0] = offsetof(eng_blk_q6_K, d); break;
	case ENG_T_MXFP4:
		for (int64_t b = 0; b < nb; b++)
			row[(size_t)b * bs + offsetof(eng_blk_mxfp4, e)] = (uint8_t)(100 + rng_u64() % 56);
		return;
	default: break;   /* d first */
	}
	for (int64_t b = 0; b < nb; b++)
		for (int f = 0; f < nf; f++)
			put16(row + (size_t)b * bs + f16s[f],
				eng_f32_to_f16((float)((rng_uniform() - 0.5) * 0.02)));
}

/* Sum of |w_i * a_i| over the dequantized rows (the scale the float error is relative to). */
static double abs_terms(int type, int64_t n, const void *w, const void *act)
{
	const int vt = eng_type_get(type)->vec_dot_type;
	float *x = malloc(sizeof(float) * (size_t)(n ? n : 1)), *y = malloc(sizeof(float) * (size_t)(n ? n : 1));
	double s = 0;
	if (eng_dequant_row_ref(type, w, x, n) == 0 && eng_dequant_row_ref(vt, act, y, n) == 0)
		for (int64_t i = 0; i < n; i++)
			s += fabs((double)x[i] * y[i]);
	free(x);
	free(y);
	return s;
}

static uint32_t f_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

/* The computable types, and row lengths to try for each block size. */
static const int TYPES[] = {
	ENG_T_F32, ENG_T_F16, ENG_T_BF16, ENG_T_Q4_0, ENG_T_Q4_1, ENG_T_Q5_0, ENG_T_Q5_1, ENG_T_Q8_0,
	ENG_T_IQ4_NL, ENG_T_Q2_K, ENG_T_Q3_K, ENG_T_Q4_K, ENG_T_Q5_K, ENG_T_Q6_K, ENG_T_IQ4_XS,
};
#define N_TYPES ((int)(sizeof TYPES / sizeof TYPES[0]))
static const int64_t N_PLAIN[] = { 0, 1, 7, 15, 16, 17, 48, 63, 64, 65, 100, 128, 191, 1000, 4096, 4099 };
static const int64_t N_32[] = { 0, 32, 64, 96, 160, 1024, 4128 };
static const int64_t N_256[] = { 0, 256, 512, 768, 2816, 4096 };

static const int64_t *lengths(int type, int *count)
{
	const int blck = eng_type_get(type)->blck;
	if (blck == 1) {
		*count = (int)(sizeof N_PLAIN / sizeof N_PLAIN[0]);
		return N_PLAIN;
	}
	if (blck == 32) {
		*count = (int)(sizeof N_32 / sizeof N_32[0]);
		return N_32;
	}
	*count = (int)(sizeof N_256 / sizeof N_256[0]);
	return N_256;
}

static int bit_exact_type(int type)
{
	return type == ENG_T_F32 || type == ENG_T_F16;
}

/* Byte offset for the rows a level's kernels read: odd where every type of TYPES has a SIMD
 * kernel with unaligned loads (the x86 levels and NEON), else 4, the alignment the _ref
 * fallbacks need. */
static size_t odd_offset(const char *level)
{
	return strcmp(level, "scalar") == 0 ? 4 : 1;
}

/* ------------------------------------------------------------------ order B
 * The x86 levels' summation order for the types listed in ORDER_B (docs/quant-formats.md,
 * "Order B"), written out in scalar C: per super-block i the exact integer sums isum_i (all 256
 * scaled products, the level offset folded in) and, for the types with mins, imin_i =
 * sum_j m_j * (sum of the activations of group j); then acc = fmaf(d_w * d_a, isum_i, acc) and
 * acc = fmaf(-(dmin_w * d_a), imin_i, acc), super-block after super-block. This is the
 * definition: the kernels must give these bits. The 32-element types (Q4_0, Q4_1, Q5_0, Q5_1,
 * Q8_0, IQ4_NL, and on NEON MXFP4) take the `_ref`'s order instead: Q8_0's is written out below,
 * the others' are their `_ref`'s bits. (The x86 MXFP4 kernels are within DOT_REL_TOL of the
 * `_ref`, not bit-equal: test_gptoss.c.) */

static const int ORDER_B[] = { ENG_T_Q8_0, ENG_T_Q2_K, ENG_T_Q3_K, ENG_T_Q4_K, ENG_T_Q5_K, ENG_T_Q6_K, ENG_T_IQ4_XS,
	ENG_T_Q4_0, ENG_T_Q4_1, ENG_T_Q5_0, ENG_T_Q5_1, ENG_T_IQ4_NL, ENG_T_MXFP4 };
#define N_ORDER_B ((int)(sizeof ORDER_B / sizeof ORDER_B[0]))

/* Level (offset included), scale and min group of element e of one super-block. */
static void ob_element(int type, const uint8_t *b, int e, int *lv, int *sc, int *mn)
{
	*mn = 0;
	if (type == ENG_T_Q2_K) {
		/* 128-element halves; within one, element 32p + l is bits 2p..2p+1 of qs[32h + l] */
		const eng_blk_q2_K *q = (const void *)b;
		const int h = e / 128, p = (e % 128) / 32, l = e % 32;
		*lv = (q->qs[32 * h + l] >> (2 * p)) & 3;
		*sc = q->scales[e / 16] & 15;
		*mn = q->scales[e / 16] >> 4;
		return;
	}
	if (type == ENG_T_IQ4_XS) {
		/* group j of 32: bytes 16j..16j+15, low nibbles then high; 6-bit scale - 32 from a
		 * nibble of scales_l and 2 bits of scales_h */
		const eng_blk_iq4_xs *q = (const void *)b;
		const int j = e / 32, l = e % 32;
		const uint8_t byte = q->qs[16 * j + l % 16];
		*lv = eng_iq4_values[l < 16 ? byte & 15 : byte >> 4];
		*sc = (((q->scales_l[j / 2] >> (4 * (j % 2))) & 15) | ((q->scales_h >> (2 * j)) & 3) << 4) - 32;
		return;
	}
	if (type == ENG_T_Q3_K) {
		/* as Q2_K, level - 4 unless bit 4h + p of hmask[l] is set; 6-bit scales - 32: low
		 * nibbles of bytes 0..7 (groups 0..7) or their high nibbles (8..15), 2 high bits from
		 * byte 8 + g % 4 at bit 2 * (g / 4) */
		const eng_blk_q3_K *q = (const void *)b;
		const int h = e / 128, p = (e % 128) / 32, l = e % 32, g = e / 16;
		const int low = (q->qs[32 * h + l] >> (2 * p)) & 3;
		*lv = low - ((q->hmask[l] >> (4 * h + p)) & 1 ? 0 : 4);
		*sc = ((g < 8 ? q->scales[g] & 15 : q->scales[g - 8] >> 4)
			| ((q->scales[8 + g % 4] >> (2 * (g / 4))) & 3) << 4) - 32;
		return;
	}
	if (type == ENG_T_Q4_K || type == ENG_T_Q5_K) {   /* Q5_K: the same, + 16 from qh */
		const eng_blk_q4_K *q = (const void *)b;
		const eng_blk_q5_K *q5 = (const void *)b;
		const int j = e / 32;   /* group of 32: 64-element chunk e / 64, low or high nibbles */
		const uint8_t byte = type == ENG_T_Q4_K ? q->qs[32 * (e / 64) + e % 32] : q5->qs[32 * (e / 64) + e % 32];
		*lv = (e % 64) < 32 ? byte & 15 : byte >> 4;
		if (type == ENG_T_Q5_K)
			*lv += ((q5->qh[e % 32] >> j) & 1) << 4;
		if (j < 4) {
			*sc = q->scales[j] & 63;
			*mn = q->scales[j + 4] & 63;
		} else {
			*sc = (q->scales[j + 4] & 15) | (q->scales[j - 4] >> 6) << 4;
			*mn = (q->scales[j + 4] >> 4) | (q->scales[j] >> 6) << 4;
		}
		return;
	}
	/* Q6_K: 128-element halves; within one, element 32p + l takes ql nibble and qh bits 2p */
	const eng_blk_q6_K *q = (const void *)b;
	const int h = e / 128, p = (e % 128) / 32, l = e % 32;
	const uint8_t lo = q->ql[64 * h + l + 32 * (p & 1)];
	const int low = p < 2 ? lo & 15 : lo >> 4;
	const int high = (q->qh[32 * h + l] >> (2 * p)) & 3;
	*lv = (low | high << 4) - 32;
	*sc = q->scales[e / 16];
}

static float order_b_dot(int type, int64_t n, const uint8_t *w, const uint8_t *x)
{
	const size_t bs = eng_type_get(type)->type_size;
	float acc = 0.0f;
	if (eng_type_get(type)->blck == 32 && type != ENG_T_Q8_0) {
		TB_CHECK(eng_vec_dot_ref(type, n, w, x, &acc) == 0);
		return acc;
	}
	if (type == ENG_T_Q8_0) {   /* per block of 32: acc += isum * (d_w * d_a), unfused */
		for (int64_t i = 0; i < n / 32; i++) {
			const eng_blk_q8_0 *b = (const void *)(w + (size_t)i * bs), *a = (const void *)(x + (size_t)i * bs);
			int32_t isum = 0;
			for (int e = 0; e < 32; e++)
				isum += b->qs[e] * a->qs[e];
			const float p = (float)isum * (eng_f16_to_f32(b->d) * eng_f16_to_f32(a->d));
			acc += p;
		}
		return acc;
	}
	for (int64_t i = 0; i < n / 256; i++) {
		const uint8_t *b = w + (size_t)i * bs;
		const eng_blk_q8_K *a = (const void *)(x + (size_t)i * sizeof(eng_blk_q8_K));
		int32_t isum = 0, imin = 0;
		for (int e = 0; e < 256; e++) {
			int lv, sc, mn;
			ob_element(type, b, e, &lv, &sc, &mn);
			isum += sc * lv * a->qs[e];
			imin += mn * a->qs[e];
		}
		uint16_t dh, mh;
		const size_t od = type == ENG_T_Q6_K ? offsetof(eng_blk_q6_K, d)
			: type == ENG_T_IQ4_XS ? offsetof(eng_blk_iq4_xs, d)
			: type == ENG_T_Q3_K ? offsetof(eng_blk_q3_K, d)
			: type == ENG_T_Q2_K ? offsetof(eng_blk_q2_K, d) : offsetof(eng_blk_q4_K, d);
		const size_t om = type == ENG_T_Q2_K ? offsetof(eng_blk_q2_K, dmin) : offsetof(eng_blk_q4_K, dmin);
		memcpy(&dh, b + od, sizeof dh);
		memcpy(&mh, b + om, sizeof mh);
		acc = fmaf(eng_f16_to_f32(dh) * a->d, (float)isum, acc);
		if (type == ENG_T_Q2_K || type == ENG_T_Q4_K || type == ENG_T_Q5_K)
			acc = fmaf(-(eng_f16_to_f32(mh) * a->d), (float)imin, acc);
	}
	return acc;
}

/* ------------------------------------------------------------------ level checks */

/* eng_vec_dot at `level` against eng_vec_dot_ref, for every type and length, on quantized
 * Gaussian rows and on random block bytes; the weight and activation rows sit at an odd
 * address for the level's kernels (see odd_offset; the _ref reads an aligned copy). */
static void check_dots(const char *level)
{
	const int64_t nmax = 4128;
	uint8_t *wa = malloc(8 * (size_t)nmax + 64), *xa = malloc(8 * (size_t)nmax + 64);
	uint8_t *wu = malloc(8 * (size_t)nmax + 64), *xu = malloc(8 * (size_t)nmax + 64);
	float *f = malloc(sizeof(float) * (size_t)nmax);
	const size_t o = odd_offset(level);
	int fails = 0;

	TB_REQUIRE(wa && xa && wu && xu && f);
	for (int ti = 0; ti < N_TYPES; ti++) {
		const int type = TYPES[ti], vt = eng_type_get(type)->vec_dot_type;
		int nc;
		const int64_t *ns = lengths(type, &nc);
		for (int k = 0; k < nc; k++) {
			const int64_t n = ns[k];
			const size_t wbytes = eng_row_size(type, n), xbytes = eng_row_size(vt, n);
			for (int trial = 0; trial < 6; trial++) {
				float ref = 0, got = 0;
				if (trial % 2 == 0) {
					fill_rows(f, n);
					TB_REQUIRE(eng_quant_row_ref(type, f, wa, n, NULL) == 0);
				} else {
					random_row(type, wa, n);
				}
				fill_rows(f, n);
				TB_REQUIRE(eng_quant_act_row_ref(vt, f, xa, n) == 0);
				memcpy(wu + o, wa, wbytes);
				memcpy(xu + o, xa, xbytes);
				TB_REQUIRE(eng_vec_dot_ref(type, n, wa, xa, &ref) == 0);
				TB_REQUIRE(eng_vec_dot(type, n, wu + o, xu + o, &got) == 0);
				if (bit_exact_type(type)) {
					if (f_bits(ref) != f_bits(got) && fails++ < 5)
						printf("  %s %s n=%lld trial %d: %.9g vs _ref %.9g (bits differ)\n", level,
							eng_type_get(type)->name, (long long)n, trial, got, ref);
				} else {
					const double tol = DOT_REL_TOL * abs_terms(type, n, wa, xa) + 1e-30;
					if (!(fabs((double)got - ref) <= tol) && fails++ < 5)
						printf("  %s %s n=%lld trial %d: %.9g vs _ref %.9g (tol %.3g)\n", level,
							eng_type_get(type)->name, (long long)n, trial, got, ref, tol);
				}
			}
		}
	}
	TB_CHECK_INT(fails, 0);
	free(wa);
	free(xa);
	free(wu);
	free(xu);
	free(f);
}

/* Every (row, token) result of a tile, out[a * os + r] for a < na, r < nr, equals eng_vec_dot of
 * row r (w + r * ws, the file's layout) and activation a (x + a * xs) bit for bit; the first
 * differences are printed with `what` (level, type, shape). Adds the differences to *fails and
 * returns the number of results checked. */
static int check_tile_vs_dot(const char *what, int type, int64_t n, const uint8_t *w, size_t ws, int nr,
		const uint8_t *x, size_t xs, int na, const float *out, size_t os, int *fails)
{
	for (int a = 0; a < na; a++)
		for (int r = 0; r < nr; r++) {
			float want = 0;

			if (eng_vec_dot(type, n, w + (size_t)r * ws, x + (size_t)a * xs, &want) != 0)
				want = NAN;
			if (f_bits(want) != f_bits(out[(size_t)a * os + r]) && (*fails)++ < 5)
				printf("  %s %s n=%lld tile %dx%d: out[%d][%d] %.9g vs dot %.9g\n", what,
					eng_type_get(type)->name, (long long)n, nr, na, a, r, out[(size_t)a * os + r], want);
		}
	return nr * na;
}

/* F32 and F16: every (row, token) result of a tile (as for check_tile_vs_dot) equals
 * eng_vec_dot_ref on aligned copies of the rows bit for bit. */
static void check_tile_vs_ref(const char *what, int type, int64_t n, const uint8_t *w, size_t ws, int nr,
		const uint8_t *x, size_t xs, int na, const float *out, size_t os, int *fails)
{
	const size_t bytes = eng_row_size(type, n);
	float *wc = malloc(bytes + 4), *xc = malloc(bytes + 4);

	TB_REQUIRE(wc && xc);
	for (int a = 0; a < na; a++) {
		memcpy(xc, x + (size_t)a * xs, bytes);
		for (int r = 0; r < nr; r++) {
			float want = NAN;
			memcpy(wc, w + (size_t)r * ws, bytes);
			TB_REQUIRE(eng_vec_dot_ref(type, n, wc, xc, &want) == 0);
			if (f_bits(want) != f_bits(out[(size_t)a * os + r]) && (*fails)++ < 5)
				printf("  %s %s n=%lld tile %dx%d: out[%d][%d] %.9g vs _ref %.9g\n", what,
					eng_type_get(type)->name, (long long)n, nr, na, a, r, out[(size_t)a * os + r], want);
		}
	}
	free(wc);
	free(xc);
}

/* eng_vec_dot_rows at `level`: every (row, activation) result equals eng_vec_dot bit for bit
 * (F32 and F16 also eng_vec_dot_ref), for tiles of odd and even shapes (batches of 1 to 33
 * tokens, row counts on and off every kernel's tile: 2, 4, 6, 8, and the 32-element types'
 * 16-row decode groups: 16, 17, 33, 35 rows with 1 or 2 tokens), with strides wider than a row,
 * at odd addresses; outputs outside the tile stay untouched. The plain types run lengths on and
 * off the 16-lane tiles (16, 1056; 17, 200), the 32-element types also 1408, the K-quants also
 * rows longer than the batched kernels unpack (KB_KMAX in quant_x86.c), which take the other
 * path. */
static void check_rows(const char *level)
{
	static const int SHAPES[][2] = { { 1, 1 }, { 1, 4 }, { 2, 4 }, { 3, 5 }, { 4, 1 }, { 5, 3 },
		{ 7, 9 }, { 8, 8 }, { 9, 1 }, { 2, 2 }, { 6, 8 }, { 13, 33 }, { 1, 32 }, { 12, 16 },
		{ 11, 17 }, { 5, 10 }, { 16, 1 }, { 17, 2 }, { 33, 1 }, { 35, 2 } };
	const int max_r = 35, max_a = 33;
	const int64_t nmax = 8448;
	const size_t o = odd_offset(level), pad = o == 1 ? 5 : 4;
	const size_t rowmax = 4 * (size_t)nmax + pad;
	uint8_t *w = malloc(rowmax * (size_t)max_r + 16), *x = malloc(rowmax * (size_t)max_a + 16);
	float *f = malloc(sizeof(float) * (size_t)nmax);
	uint8_t *tmp = malloc(rowmax);
	static float out[33 * 40];
	int fails = 0;

	TB_REQUIRE(w && x && f && tmp);
	for (int ti = 0; ti < N_TYPES; ti++) {
		const int type = TYPES[ti], vt = eng_type_get(type)->vec_dot_type;
		const int blck = eng_type_get(type)->blck;
		const int64_t n_list[] = { blck == 1 ? 16 : 0, blck == 1 ? 17 : blck, blck == 1 ? 1056 : blck == 32 ? 96 : 1024,
			blck == 256 ? 8448 : blck == 1 ? 200 : 1408 };
		for (int k = 0; k < 4; k++) {
			const int64_t n = n_list[k];
			if (n < 0)
				continue;
			const size_t ws = eng_row_size(type, n) + pad, xs = eng_row_size(vt, n) + pad;
			for (int r = 0; r < max_r; r++) {   /* made aligned, then copied into place */
				if (r % 2 == 0) {
					fill_rows(f, n);
					eng_quant_row_ref(type, f, tmp, n, NULL);
				} else {
					random_row(type, tmp, n);
				}
				memcpy(w + o + (size_t)r * ws, tmp, ws - pad);
			}
			for (int a = 0; a < max_a; a++) {
				fill_rows(f, n);
				eng_quant_act_row_ref(vt, f, tmp, n);
				memcpy(x + o + (size_t)a * xs, tmp, xs - pad);
			}
			for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
				const int nr = SHAPES[s][0], na = SHAPES[s][1];
				const size_t os = 40;
				for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
					out[i] = -12345.0f;
				TB_REQUIRE(eng_vec_dot_rows(type, n, w + o, ws, nr, x + o, xs, na, out, os) == 0);
				check_tile_vs_dot(level, type, n, w + o, ws, nr, x + o, xs, na, out, os, &fails);
				if (bit_exact_type(type))
					check_tile_vs_ref(level, type, n, w + o, ws, nr, x + o, xs, na, out, os, &fails);
				for (int a = 0; a < max_a; a++)
					for (size_t r = a < na ? (size_t)nr : 0; r < os; r++)
						if (out[(size_t)a * os + r] != -12345.0f && fails++ < 5)
							printf("  %s: wrote past the tile at [%d][%zu]\n", level, a, r);
			}
		}
	}
	TB_CHECK_INT(fails, 0);
	free(w);
	free(x);
	free(f);
	free(tmp);
}

/* Rows that test the activation quantizers' corner cases, 256 floats each. */
static void act_case(int c, float *x)
{
	for (int i = 0; i < 256; i++)
		x[i] = rng_gauss();
	switch (c) {
	case 0: break;
	case 1:   /* exact halves at scale 1: amax 127 (id = 1), ties must go to even */
		for (int i = 0; i < 256; i++)
			x[i] = (float)((int)(rng_u64() % 253) - 126) + 0.5f * (float)(rng_u64() % 2);
		for (int b = 0; b < 256; b += 32)
			x[b + 7] = 127.0f;
		break;
	case 2:   /* a negative extreme first, then the same magnitude positive */
		for (int b = 0; b < 256; b += 32) {
			x[b + 3] = -9.0f;
			x[b + 20] = 9.0f;
		}
		break;
	case 3:   /* all-zero blocks, signed zeros */
		for (int i = 0; i < 256; i++)
			x[i] = (i / 32) % 2 ? -0.0f : 0.0f;
		break;
	case 4:   /* tiny and subnormal values */
		for (int i = 0; i < 256; i++)
			x[i] *= 1e-39f;
		break;
	case 5:   /* huge values */
		for (int i = 0; i < 256; i++)
			x[i] *= 1e37f;
		break;
	case 6:   /* inf and NaN scattered */
		x[5] = INFINITY;
		x[40] = -INFINITY;
		x[77] = NAN;
		x[78] = -NAN;
		x[130] = NAN;
		x[131] = 3.0f;
		for (int i = 200; i < 224; i++)
			x[i] = NAN;
		break;
	default:  /* a scale every 8 values, so that quants hit the clamp and every level */
		for (int i = 0; i < 256; i++)
			x[i] *= (float)exp(10.0 * rng_uniform() - 5.0);
		break;
	}
}

/* eng_quant_row at `level` gives eng_quant_act_row_ref's bytes for every activation type. */
static void check_act(const char *level)
{
	static const int ACT_TYPES[] = { ENG_T_F32, ENG_T_F16, ENG_T_BF16, ENG_T_Q8_0, ENG_T_Q8_1, ENG_T_Q8_K };
	float x[4 * 256 + 1];
	uint8_t a[4 * 1200], b[4 * 1200 + 4];
	int fails = 0;

	for (size_t t = 0; t < sizeof ACT_TYPES / sizeof ACT_TYPES[0]; t++) {
		const int type = ACT_TYPES[t];
		/* odd only where the level has a SIMD quantizer for the type (the _ref needs 4) */
		const int simd = type == ENG_T_Q8_0 || type == ENG_T_Q8_K || type == ENG_T_F16;
		const size_t o = simd ? odd_offset(level) : 4;
		for (int c = 0; c < 8; c++)
			for (int rep = 0; rep < 20; rep++) {
				const int64_t n = eng_type_get(type)->blck == 1 ? 1 + 73 * rep % 1024 : 1024;
				for (int q = 0; q < 4; q++)
					act_case(c, x + 1 + 256 * q);
				const size_t bytes = eng_row_size(type, n);
				memset(a, 0xa5, sizeof a);
				memset(b, 0x5a, sizeof b);
				TB_REQUIRE(eng_quant_act_row_ref(type, x + 1, a, n) == 0);
				TB_REQUIRE(eng_quant_row(type, x + 1, b + o, n) == 0);
				if (memcmp(a, b + o, bytes) != 0 && fails++ < 5)
					printf("  %s %s case %d n=%lld: bytes differ from the _ref\n", level,
						eng_type_get(type)->name, c, (long long)n);
			}
	}
	TB_CHECK_INT(fails, 0);
}

static void check_level(const char *level, void (*check)(const char *))
{
	if (eng_kernels_force(level) != 0)
		TB_SKIP("this CPU (or build) has no %s kernels", level);
	TB_CHECK_STR(eng_cpu_level(), level);
	check(level);
	TB_REQUIRE(eng_kernels_force(NULL) == 0);
}

/* ------------------------------------------------------------------ tests */

/* The gated delta rule as its definition reads (quant_impl.h), one token and one row at a time:
 * the spec eng_delta_rows must meet bit for bit. */
static float delta_clamp_spec(float x)
{
	if (isnan(x))
		return -1e6f;
	return x < -1e6f ? -1e6f : x > 1e6f ? 1e6f : x;
}

static void delta_spec(float *S, int D, int n, const float *x, size_t xs, float *out, size_t os, const float *sc)
{
	const float s = 1.0f / sqrtf((float)D);

	for (int t = 0; t < n; t++) {
		const float *q = x + (size_t)t * xs, *k = q + D, *v = q + 2 * D, *c = sc + 5 * t;

		for (int r = 0; r < D; r++) {
			float vp = 0.0f, op = 0.0f, vn;

			for (int col = 0; col < D; col++) {
				float p1 = S[col * D + r] * k[col], p2 = S[col * D + r] * q[col];

				vp = vp + p1;
				op = op + p2;
			}
			{
				float a = v[r] * c[0], b = vp * c[0];

				b = b * c[1];
				b = b * c[3];
				vn = a - b;
			}
			{
				float a = op * c[1], b = vn * c[4];

				a = a * c[2];
				a = a * s;
				out[(size_t)t * os + r] = a + b;
			}
			for (int col = 0; col < D; col++) {
				float kc = k[col] * c[3], a = c[1] * S[col * D + r], b = vn * kc;

				S[col * D + r] = delta_clamp_spec(a + b);
			}
		}
	}
}

/* eng_delta_rows at `level`: the state and outputs of the definition above, bit for bit, for
 * heads of 8 .. 128 (on and off the 16- and 32-row blocks), 1 .. 6 tokens, the rows in one call
 * or split at an odd row; states driven past the +-1e6 clamp; eng_delta_scalars' numbers as
 * written. */
static void check_delta(const char *level)
{
	static const int Ds[] = { 8, 16, 24, 48, 64, 100, 128 };
	uint32_t st = 12345;
	int fails = 0;

	for (size_t di = 0; di < sizeof Ds / sizeof Ds[0]; di++)
		for (int n = 1; n <= 6; n++)
			for (int split = 0; split < 2; split++) {
				const int D = Ds[di];
				const size_t xs = 3 * (size_t)D + 5, os = (size_t)D + 3;
				float *x = malloc(sizeof(float) * xs * (size_t)n), *sc = malloc(sizeof(float) * ENG_DELTA_SC * (size_t)n);
				float *S0 = malloc(sizeof(float) * (size_t)D * (size_t)D), *S1 = malloc(sizeof(float) * (size_t)D * (size_t)D);
				float *o0 = calloc(os * (size_t)n, sizeof(float)), *o1 = calloc(os * (size_t)n, sizeof(float));

				TB_REQUIRE(x && sc && S0 && S1 && o0 && o1);
				for (size_t i = 0; i < xs * (size_t)n; i++) {
					st = st * 1664525u + 1013904223u;
					x[i] = ((float)(st >> 8) / 16777216.0f) * 2.0f - 1.0f;
				}
				for (int i = 0; i < D * D; i++) {
					st = st * 1664525u + 1013904223u;
					S0[i] = S1[i] = (((float)(st >> 8) / 16777216.0f) * 2.0f - 1.0f) * (n == 3 ? 9e5f : 1.0f);
				}
				for (int t = 0; t < n; t++) {
					float b = (float)t - 2.0f, g = n == 3 ? 0.7f : -0.3f * (float)t, *c = sc + ENG_DELTA_SC * t;
					const float *q = x + (size_t)t * xs, *k = q + D;

					if (n == 3)   /* values large enough that the state hits the clamp */
						for (int r = 0; r < D; r++)
							x[(size_t)t * xs + 2 * (size_t)D + (size_t)r] *= 4e6f;
					eng_delta_scalars(q, k, D, &b, &g, 1, c);
					/* eng_delta_scalars as its definition reads */
					{
						float qn = 0, kn = 0, sco = 0, qi, ki, want[ENG_DELTA_SC];

						for (int i = 0; i < D; i++) {
							qn = qn + q[i] * q[i];
							kn = kn + k[i] * k[i];
						}
						qi = 1.0f / sqrtf(qn + 1e-12f);
						ki = 1.0f / sqrtf(kn + 1e-12f);
						for (int i = 0; i < D; i++) {
							float a = k[i] * ki, bb = q[i] * qi;

							bb = bb * (1.0f / sqrtf((float)D));
							sco = sco + a * bb;
						}
						want[0] = 1.0f / (1.0f + expf(-b));
						want[1] = expf(fminf(g, 50.0f));
						want[2] = qi;
						want[3] = ki;
						want[4] = sco;
						if (memcmp(want, c, sizeof want) != 0 && fails++ < 5)
							printf("  %s D=%d: eng_delta_scalars differ from the definition\n", level, D);
					}
				}
				delta_spec(S0, D, n, x, xs, o0, os, sc);
				if (!split) {
					eng_delta_rows(S1, D, 0, D, n, x, x + D, xs, x + 2 * D, o1, os, sc, ENG_DELTA_SC);
				} else {
					int cut = D / 2 + 1;

					eng_delta_rows(S1, D, cut, D - cut, n, x, x + D, xs, x + 2 * D, o1, os, sc, ENG_DELTA_SC);
					eng_delta_rows(S1, D, 0, cut, n, x, x + D, xs, x + 2 * D, o1, os, sc, ENG_DELTA_SC);
				}
				if ((memcmp(S0, S1, sizeof(float) * (size_t)D * (size_t)D) != 0 ||
				     memcmp(o0, o1, sizeof(float) * os * (size_t)n) != 0) && fails++ < 5)
					printf("  %s D=%d n=%d split=%d: state or output differs from the definition\n", level, D, n,
						split);
				free(x);
				free(sc);
				free(S0);
				free(S1);
				free(o0);
				free(o1);
			}
	TB_CHECK_INT(fails, 0);
}
static void test_kernels_scalar_delta_rule_gives_the_definitions_bits(void) { check_level("scalar", check_delta); }
static void test_kernels_avx2_delta_rule_gives_the_definitions_bits(void) { check_level("avx2", check_delta); }
static void test_kernels_avx512_delta_rule_gives_the_definitions_bits(void) { check_level("avx512", check_delta); }
static void test_kernels_neon_delta_rule_gives_the_definitions_bits(void) { check_level("neon", check_delta); }

/* eng_k16_scores at `level`: keys stored in the K16 layout (blocks of 16 positions, element by
 * element), F16 and F32, give every (position, query) score of eng_vec_dot on the key as a row
 * and the query in the key's type, bit for bit: lengths on and off the 16-lane kernels (8, 24,
 * 64, 80, 128, 256, and 576, past the AVX-512 kernel's buffer), 1..9 blocks, 1..33 queries;
 * scores past the blocks stay untouched; other types and bad lengths are refused. */
static void check_k16(const char *level)
{
	static const int64_t NS[] = { 8, 24, 64, 80, 128, 256, 576 };
	static const int NB[] = { 1, 3, 4, 5, 9 };
	static const int NQ[] = { 1, 2, 8, 33 };
	enum { MAXB = 9, MAXQ = 33, MAXN = 576, OS = 16 * MAXB + 5 };
	float *kf = malloc(sizeof(float) * MAXB * 16 * MAXN), *q = malloc(sizeof(float) * MAXQ * MAXN);
	float *out = malloc(sizeof(float) * MAXQ * OS), *row = malloc(sizeof(float) * MAXN);
	uint16_t *kh = malloc(sizeof(uint16_t) * MAXB * 16 * MAXN), *qh = malloc(sizeof(uint16_t) * MAXN);
	uint16_t *rowh = malloc(sizeof(uint16_t) * MAXN);
	int fails = 0, checked = 0;

	TB_REQUIRE(kf && q && out && row && kh && qh && rowh);
	for (int f16 = 0; f16 < 2; f16++)
		for (size_t ni = 0; ni < sizeof NS / sizeof NS[0]; ni++) {
			const int64_t n = NS[ni];
			const int type = f16 ? ENG_T_F16 : ENG_T_F32;
			/* keys (F16-representable values for F16), a few exact zeros and negatives of
			 * each other so that sums cancel */
			for (size_t i = 0; i < (size_t)MAXB * 16 * (size_t)n; i++) {
				float v = rng_gauss() * (i % 7 == 0 ? 8.0f : 0.5f);
				if (i % 53 == 0)
					v = 0.0f;
				kf[i] = f16 ? eng_f16_to_f32(eng_f32_to_f16(v)) : v;
				kh[i] = eng_f32_to_f16(kf[i]);
			}
			for (size_t i = 0; i < (size_t)MAXQ * (size_t)n; i++) {
				const float v = rng_gauss() * 2.0f;
				q[i] = f16 ? eng_f16_to_f32(eng_f32_to_f16(v)) : v;
			}
			for (size_t bi = 0; bi < sizeof NB / sizeof NB[0]; bi++)
				for (size_t qi = 0; qi < sizeof NQ / sizeof NQ[0]; qi++) {
					const int nb = NB[bi], nq = NQ[qi];
					for (size_t i = 0; i < (size_t)MAXQ * OS; i++)
						out[i] = -12345.0f;
					TB_REQUIRE(eng_k16_scores(type, n, f16 ? (const void *)kh : (const void *)kf, nb, q,
						(size_t)n, nq, out, OS) == 0);
					for (int a = 0; a < nq; a++) {
						if (f16)
							for (int64_t e = 0; e < n; e++)
								qh[e] = eng_f32_to_f16(q[(size_t)a * (size_t)n + (size_t)e]);
						for (int p = 0; p < OS; p++) {
							const float got = out[(size_t)a * OS + (size_t)p];
							float want = -12345.0f;
							if (p < 16 * nb) {
								const int b = p / 16, j = p % 16;
								for (int64_t e = 0; e < n; e++) {
									const size_t i = ((size_t)b * (size_t)n + (size_t)e) * 16 + (size_t)j;
									row[e] = kf[i];
									rowh[e] = kh[i];
								}
								TB_REQUIRE(eng_vec_dot(type, n, f16 ? (const void *)rowh : (const void *)row,
									f16 ? (const void *)qh : (const void *)(q + (size_t)a * (size_t)n), &want) == 0);
								checked++;
							}
							if (f_bits(got) != f_bits(want) && fails++ < 5)
								printf("  %s %s n=%lld %d blocks x %d queries: [%d][%d] %.9g, dot %.9g\n", level,
									f16 ? "f16" : "f32", (long long)n, nb, nq, a, p, got, want);
						}
					}
				}
		}
	TB_CHECK_INT(eng_k16_scores(ENG_T_Q8_0, 64, kf, 1, q, 64, 1, out, OS), -1);
	TB_CHECK_INT(eng_k16_scores(ENG_T_F16, 0, kh, 1, q, 64, 1, out, OS), -1);
	TB_CHECK(checked > 100000);
	TB_CHECK_INT(fails, 0);
	free(kf);
	free(q);
	free(out);
	free(row);
	free(kh);
	free(qh);
	free(rowh);
}

static void test_kernels_scalar_k16_scores_equal_the_single_dot(void) { check_level("scalar", check_k16); }
static void test_kernels_avx2_k16_scores_equal_the_single_dot(void) { check_level("avx2", check_k16); }
static void test_kernels_avx512_k16_scores_equal_the_single_dot(void) { check_level("avx512", check_k16); }
static void test_kernels_neon_k16_scores_equal_the_single_dot(void) { check_level("neon", check_k16); }

/* eng_exp_sum at `level`: the same exponentials and sum as eng_exp_sum_ref, bit for bit, on
 * lengths 0..70 (tails of every size) with -inf, NaN, values below -87 and above 88 mixed in;
 * eng_silu_mul the same as eng_silu_mul_ref on gates from -90 to 90; eng_scale_max and
 * eng_scale_row the same as their _ref; eng_axpy_rows the same as its _ref on every length and
 * 1-9 rows (its tiles and tails). */
static void check_exp_sum(const char *level)
{
	enum { N = 70 };
	float a[N], b[N];
	uint32_t st = 12345;
	int fails = 0;

	for (int n = 0; n <= N; n++)
		for (int rep = 0; rep < 3; rep++) {
			for (int i = 0; i < n; i++) {
				st = st * 1664525u + 1013904223u;
				float v = ((float)(st >> 8) / 16777216.0f) * 200.0f - 110.0f;
				if (st % 17 == 0)
					v = -INFINITY;
				if (st % 23 == 0)
					v = NAN;
				a[i] = b[i] = v;
			}
			const float mx = rep == 0 ? 0.0f : rep == 1 ? 3.5f : -20.0f;
			const double sa = eng_exp_sum(a, n, mx), sb = eng_exp_sum_ref(b, n, mx);
			if (memcmp(a, b, sizeof(float) * (size_t)n) != 0 || (memcmp(&sa, &sb, sizeof sa) != 0 && !(sa != sa && sb != sb)))
				fails++;
			/* SwiGLU's gate on the same mixture (and its exponentials as the up values) */
			for (int i = 0; i < n; i++)
				a[i] = b[i] = -0.2f * (float)((st >> (i % 16)) % 900) + 90.0f;
			float u[N];
			for (int i = 0; i < n; i++)
				u[i] = 0.01f * (float)i - 0.3f;
			eng_silu_mul(a, u, n);
			eng_silu_mul_ref(b, u, n);
			if (memcmp(a, b, sizeof(float) * (size_t)n) != 0)
				fails++;
			/* the softmax's scale-and-maximum and 1/sum passes, on scores with -inf, NaN,
			 * +-0 and huge values, the 1/sum pass in place and into F16 (whose rounding,
			 * overflow to inf and canonical NaN are eng_f32_to_f16's) */
			for (int i = 0; i < n; i++) {
				st = st * 1664525u + 1013904223u;
				float v = ((float)(st >> 8) / 16777216.0f) * 40.0f - 20.0f;
				v = st % 13 == 0 ? -INFINITY : st % 19 == 0 ? NAN : st % 29 == 0 ? -0.0f : st % 31 == 0 ? 0.0f
					: st % 37 == 0 ? 3e38f : v;
				a[i] = b[i] = v;
			}
			float ma = rep == 2 ? NAN : -INFINITY, mb = ma, sc = rep == 1 ? 0.125f : 7.5e4f;
			uint16_t ha[N], hb[N];
			eng_scale_max(a, n, sc, &ma);
			eng_scale_max_ref(b, n, sc, &mb);
			/* the maximum may be either zero of a +-0 tie */
			if (memcmp(a, b, sizeof(float) * (size_t)n) != 0 || !(ma == mb || (ma != ma && mb != mb)))
				fails++;
			eng_scale_row(a, n, 1.0f / 3.0f, ha);
			eng_scale_row_ref(b, n, 1.0f / 3.0f, hb);
			if (memcmp(ha, hb, sizeof(uint16_t) * (size_t)n) != 0 || memcmp(a, b, sizeof(float) * (size_t)n) != 0)
				fails++;
			eng_scale_row(a, n, 1.5e-3f, NULL);
			eng_scale_row_ref(b, n, 1.5e-3f, NULL);
			if (memcmp(a, b, sizeof(float) * (size_t)n) != 0)
				fails++;
			/* deepseek's weighted latent sums: o += w * x row after row, two roundings (an FMA
			 * would differ); 1-9 rows of o over 1-5 rows of x, n elements (the tiles' and the
			 * tails' lengths), o's rows stride n + 3 */
			{
				const int ng = 1 + (n + rep) % 9, nj = 1 + (n + 2 * rep) % 5;
				const size_t os = (size_t)n + 3;
				float *oa = malloc(sizeof(float) * os * 9), *ob = malloc(sizeof(float) * os * 9);
				float *xr = malloc(sizeof(float) * ((size_t)n * 5 + 1)), wr[9 * 6];

				TB_REQUIRE(oa && ob && xr);
				for (size_t i = 0; i < os * 9; i++)
					oa[i] = ob[i] = 1.0f / 3.0f + (float)(i % 97);
				for (int i = 0; i < n * 5; i++) {
					st = st * 1664525u + 1013904223u;
					xr[i] = ((float)(st >> 8) / 16777216.0f) * 2.0f - 1.0f;
				}
				for (int i = 0; i < 9 * 6; i++)
					wr[i] = 0.7f + (float)rep + (float)i / 7.0f;
				eng_axpy_rows(oa, os, ng, wr, 6, xr, (size_t)n, nj, n);
				eng_axpy_rows_ref(ob, os, ng, wr, 6, xr, (size_t)n, nj, n);
				if (memcmp(oa, ob, sizeof(float) * os * 9) != 0)
					fails++;
				free(oa);
				free(ob);
				free(xr);
			}
		}
	/* F16 -> F32 of every F16 value (NaNs quieted with their payload) */
	static uint16_t h[65536];
	static float f[65536];
	for (int i = 0; i < 65536; i++)
		h[i] = (uint16_t)i;
	TB_REQUIRE(eng_dequant_row(ENG_T_F16, h, f, 65536) == 0);
	for (int i = 0; i < 65536; i++) {
		const float want = eng_f16_to_f32(h[i]);
		if (memcmp(&f[i], &want, sizeof want) != 0 && fails++ < 5)
			printf("  %s: f16 %04x -> %08x, want %08x\n", level, i, f_bits(f[i]), f_bits(want));
	}
	TB_CHECK_INT(fails, 0);
}
static void test_kernels_scalar_exp_sum_gives_the_reference_bits(void) { check_level("scalar", check_exp_sum); }
static void test_kernels_avx2_exp_sum_gives_the_reference_bits(void) { check_level("avx2", check_exp_sum); }
static void test_kernels_avx512_exp_sum_gives_the_reference_bits(void) { check_level("avx512", check_exp_sum); }
static void test_kernels_neon_exp_sum_gives_the_reference_bits(void) { check_level("neon", check_exp_sum); }

/* eng_expf against exp in double on a grid of [-87, 88] (within 2 ulp of the correctly rounded
 * value), 0 below -87, NaN for NaN, e^0 = 1; and eng_exp_sum_ref's order: 16 lanes, pairwise,
 * then the tail. */
static void test_kernels_expf_is_within_two_ulp_and_sums_in_its_order(void)
{
	int bad = 0;
	float sc[37];
	double lanes[16] = { 0 }, want;

	for (int i = 0; i <= 1750000; i++) {
		const float x = -87.0f + (float)i * 1e-4f;
		const float got = eng_expf(x), ref = (float)exp((double)x);
		int32_t gi, ri;
		memcpy(&gi, &got, sizeof gi);
		memcpy(&ri, &ref, sizeof ri);
		if (abs(gi - ri) > 2)
			bad++;
	}
	TB_CHECK_INT(bad, 0);
	TB_CHECK(eng_expf(-87.5f) == 0.0f && eng_expf(-INFINITY) == 0.0f);
	TB_CHECK(isnan(eng_expf(NAN)));
	TB_CHECK(eng_expf(0.0f) == 1.0f);
	for (int i = 0; i < 37; i++)
		sc[i] = -0.37f * (float)i;
	for (int k = 0; k < 2; k++)
		for (int j = 0; j < 16; j++)
			lanes[j] += (double)eng_expf(-0.37f * (float)(16 * k + j));
	for (int w = 8; w >= 1; w /= 2)
		for (int j = 0; j < w; j++)
			lanes[j] += lanes[j + w];
	want = lanes[0];
	for (int i = 32; i < 37; i++)
		want += (double)eng_expf(-0.37f * (float)i);
	TB_CHECK(eng_exp_sum_ref(sc, 37, 0.0f) == want);
	TB_CHECK(sc[36] == eng_expf(-0.37f * 36.0f));
}

/* Both x86 levels follow llama.cpp's x86 summation order for the quantized dots (and the _ref's
 * for F32 / F16), so they agree bit for bit: a model gives the same logits on either. */
static void test_kernels_avx2_and_avx512_dots_agree_bit_for_bit(void)
{
	const int64_t n = 4096 + 256;
	uint8_t *w = malloc(8 * (size_t)n), *x = malloc(8 * (size_t)n);
	float *f = malloc(sizeof(float) * (size_t)n);
	int fails = 0;

	TB_REQUIRE(w && x && f);
	if (eng_kernels_force("avx2") != 0 || eng_kernels_force("avx512") != 0) {
		free(w);
		free(x);
		free(f);
		eng_kernels_force(NULL);
		TB_SKIP("needs both x86 levels");
	}
	for (int ti = 0; ti < N_TYPES; ti++) {
		const int type = TYPES[ti], vt = eng_type_get(type)->vec_dot_type;
		if (type == ENG_T_BF16)   /* double sums in a level's own order */
			continue;
		for (int trial = 0; trial < 8; trial++) {
			const int64_t len = n - (trial % 2 ? 0 : eng_type_get(type)->blck * (trial + 1));
			float a2 = 0, a5 = 0;
			if (trial % 4 < 2) {
				fill_rows(f, len);
				eng_quant_row_ref(type, f, w, len, NULL);
			} else {
				random_row(type, w, len);
			}
			fill_rows(f, len);
			eng_quant_act_row_ref(vt, f, x, len);
			TB_REQUIRE(eng_kernels_force("avx2") == 0 && eng_vec_dot(type, len, w, x, &a2) == 0);
			TB_REQUIRE(eng_kernels_force("avx512") == 0 && eng_vec_dot(type, len, w, x, &a5) == 0);
			if (f_bits(a2) != f_bits(a5) && fails++ < 5)
				printf("  %s n=%lld: avx2 %.9g, avx512 %.9g\n", eng_type_get(type)->name,
					(long long)len, a2, a5);
		}
	}
	TB_CHECK_INT(fails, 0);
	TB_CHECK_INT(eng_kernels_force(NULL), 0);
	free(w);
	free(x);
	free(f);
}

/* At the x86 and NEON levels the order-B types' single dot and every row of a batch give
 * order_b_dot's bits, on quantized and random rows of 256 .. 8448 elements (past the batched
 * kernels' longest unpacked row), batches of 1 to 33 tokens and row counts off the tiles. */
static void check_order_b(const char *level)
{
	static const int SHAPES[][2] = { { 1, 1 }, { 3, 2 }, { 1, 9 }, { 17, 33 }, { 35, 8 }, { 16, 16 },
		{ 33, 17 }, { 5, 31 } };
	/* K-quants: past the batched kernels' longest converted row (8192); 32-element types:
	 * several slices of 64 blocks and a tail of 8 blocks */
	static const int64_t NS[] = { 256, 1024, 2816, 8448 }, NS32[] = { 32, 224, 1024, 4128 };
	enum { MAX_R = 35, MAX_A = 33 };
	const size_t o = odd_offset(level);
	const int64_t nmax = 8448;
	const size_t rowmax = eng_row_size(ENG_T_Q8_K, nmax) + 8;
	uint8_t *w = malloc(rowmax * MAX_R + 16), *x = malloc(rowmax * MAX_A + 16), *tmp = malloc(rowmax);
	uint8_t *wc = malloc(rowmax), *xc = malloc(rowmax);   /* aligned copies for the _ref */
	float *f = malloc(sizeof(float) * (size_t)nmax), *out = malloc(sizeof(float) * MAX_R * MAX_A);
	int fails = 0;

	TB_REQUIRE(w && x && tmp && wc && xc && f && out);
	for (int ti = 0; ti < N_ORDER_B; ti++) {
		const int type = ORDER_B[ti], vt = eng_type_get(type)->vec_dot_type;
		if (type == ENG_T_MXFP4 && strcmp(level, "neon") != 0)
			continue;
		for (size_t k = 0; k < sizeof NS / sizeof NS[0]; k++) {
			const int64_t n = eng_type_get(type)->blck == 32 ? NS32[k] : NS[k];
			const size_t ws = eng_row_size(type, n) + 3, xs = eng_row_size(vt, n) + 5;
			for (int r = 0; r < MAX_R; r++) {
				if (r % 3 == 2) {   /* the sign pattern of `aligned` below: block sums near their
						     * largest, so that the float steps' roundings show */
					aligned_row(f, n);
					TB_REQUIRE(eng_quant_row_ref(type, f, tmp, n, NULL) == 0);
				} else if (r % 3 == 0) {
					fill_rows(f, n);
					TB_REQUIRE(eng_quant_row_ref(type, f, tmp, n, NULL) == 0);
				} else {
					random_row(type, tmp, n);
				}
				memcpy(w + o + (size_t)r * ws, tmp, eng_row_size(type, n));
			}
			for (int a = 0; a < MAX_A; a++) {
				if (a % 2)
					aligned_row(f, n);
				else
					fill_rows(f, n);
				TB_REQUIRE(eng_quant_act_row_ref(vt, f, tmp, n) == 0);
				memcpy(x + o + (size_t)a * xs, tmp, eng_row_size(vt, n));
			}
			for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
				const int nr = SHAPES[s][0], na = SHAPES[s][1];
				TB_REQUIRE(eng_vec_dot_rows(type, n, w + o, ws, nr, x + o, xs, na, out, MAX_R) == 0);
				for (int a = 0; a < na; a++)
					for (int r = 0; r < nr; r++) {
						const uint8_t *wr = w + o + (size_t)r * ws, *xa = x + o + (size_t)a * xs;
						float dot = 0, want, ref = 0;
						memcpy(wc, wr, eng_row_size(type, n));
						memcpy(xc, xa, eng_row_size(vt, n));
						want = order_b_dot(type, n, wc, xc);
						TB_REQUIRE(eng_vec_dot(type, n, wr, xa, &dot) == 0);
						TB_REQUIRE(eng_vec_dot_ref(type, n, wc, xc, &ref) == 0);
						if (type == ENG_T_Q8_0 && f_bits(ref) != f_bits(want) && fails++ < 5)
							printf("  order B Q8_0 n=%lld: %.9g vs _ref %.9g (must be equal)\n",
								(long long)n, want, ref);
						if (s == 0 || (a + r) % 7 == 0) {   /* the _ref is slow: a sample */
							const double tol = DOT_REL_TOL * abs_terms(type, n, wc, xc) + 1e-30;
							if (!(fabs((double)want - ref) <= tol) && fails++ < 5)
								printf("  order B %s n=%lld: %.9g vs _ref %.9g\n",
									eng_type_get(type)->name, (long long)n, want, ref);
						}
						if ((f_bits(dot) != f_bits(want) || f_bits(out[(size_t)a * MAX_R + r]) != f_bits(want))
							&& fails++ < 5)
							printf("  %s %s n=%lld %dx%d [%d][%d]: dot %.9g rows %.9g order B %.9g\n",
								level, eng_type_get(type)->name, (long long)n, nr, na, a, r,
								dot, out[(size_t)a * MAX_R + r], want);
					}
			}
		}
	}
	TB_CHECK_INT(fails, 0);
	free(w);
	free(x);
	free(tmp);
	free(wc);
	free(xc);
	free(f);
	free(out);
}

static void test_kernels_avx2_order_b_types_give_the_order_b_bits(void) { check_level("avx2", check_order_b); }
static void test_kernels_avx512_order_b_types_give_the_order_b_bits(void) { check_level("avx512", check_order_b); }
static void test_kernels_neon_order_b_types_give_the_order_b_bits(void) { check_level("neon", check_order_b); }

/* Repacked rows (R16 layout): a matrix repacked group by group (rows past the last whole group
 * in the file's layout) gives, through eng_vec_dot_rows_rp, every (row, token) result of
 * eng_vec_dot on the file's rows bit for bit, for row ranges that start and end inside groups,
 * 1..33 tokens (the decode kernels take up to ENG_RP_MAX_ACT, more go through the batch tiles),
 * and rows past 8192 elements refused; unpacking gives the file's bytes back. */
static void check_repacked(const char *level)
{
	static const int RP_TYPES[] = { ENG_T_Q4_K, ENG_T_IQ4_XS, ENG_T_Q6_K, ENG_T_Q2_K, ENG_T_Q3_K, ENG_T_Q8_0 };
	static const int64_t NS[] = { 256, 2816, 8192 };
	static const int ROWS[] = { 37, 16, 5 };
	static const int NACT[] = { 1, 2, 3, 7, 8, 9, 33 };
	/* (first row, rows) of each call, clipped to the matrix */
	static const int RANGES[][2] = { { 0, 64 }, { 3, 20 }, { 16, 16 }, { 5, 1 }, { 17, 14 }, { 32, 5 } };
	enum { MAX_R = 37, MAX_A = 33 };
	const int64_t nmax = 8192;
	const size_t rowmax = eng_row_size(ENG_T_Q8_K, nmax);
	uint8_t *w = malloc(rowmax * MAX_R), *rp = malloc(rowmax * MAX_R), *back = malloc(rowmax * 16);
	uint8_t *x = malloc(rowmax * MAX_A), *tmp = malloc(rowmax);
	float *f = malloc(sizeof(float) * (size_t)nmax), *out = malloc(sizeof(float) * MAX_R * MAX_A);
	int fails = 0, checked = 0;
	char what[64];

	TB_REQUIRE(w && rp && back && x && tmp && f && out);
	TB_CHECK_INT(eng_rp_supported(ENG_T_Q4_K, 8448), 0);
	TB_CHECK_INT(eng_rp_supported(ENG_T_Q5_K, 256), 0);
	TB_CHECK_INT(eng_vec_dot_rows_rp(ENG_T_Q5_K, 256, w, 16, 0, 16, x, 0, 1, out, 16), -1);
	TB_CHECK_INT(eng_vec_dot_rows_rp(ENG_T_Q4_K, 256, w, 16, 8, 9, x, 0, 1, out, 16), -1);
	for (size_t ti = 0; ti < sizeof RP_TYPES / sizeof RP_TYPES[0]; ti++) {
		const int type = RP_TYPES[ti], vt = eng_type_get(type)->vec_dot_type;
		for (size_t k = 0; k < sizeof NS / sizeof NS[0]; k++) {
			const int64_t n = NS[k];
			const int total = ROWS[k];
			const size_t rs = eng_row_size(type, n), xs = eng_row_size(vt, n);
			TB_REQUIRE(eng_rp_supported(type, n));
			for (int r = 0; r < total; r++) {
				if (r % 3 != 1) {
					fill_rows(f, n);
					TB_REQUIRE(eng_quant_row_ref(type, f, w + (size_t)r * rs, n, NULL) == 0);
				} else {
					random_row(type, w + (size_t)r * rs, n);
				}
			}
			memcpy(rp, w, (size_t)total * rs);
			for (int g = 0; g + 16 <= total; g += 16) {
				eng_rp_pack(type, n, w + (size_t)g * rs, rp + (size_t)g * rs);
				for (int r0 = 0; r0 < 16; r0 += 5) {   /* unpacking gives the file's rows back */
					const int nr = 16 - r0 < 5 ? 16 - r0 : 5;
					eng_rp_unpack(type, n, rp + (size_t)g * rs, r0, nr, back);
					if (memcmp(back, w + (size_t)(g + r0) * rs, (size_t)nr * rs) != 0 && fails++ < 5)
						printf("  %s n=%lld: rows %d..%d do not unpack to the file's bytes\n",
							eng_type_get(type)->name, (long long)n, g + r0, g + r0 + nr - 1);
				}
			}
			if (total >= 16 && memcmp(rp, w, rs) == 0 && fails++ < 5)
				printf("  %s n=%lld: packing changed nothing\n", eng_type_get(type)->name, (long long)n);
			for (int a = 0; a < MAX_A; a++) {
				fill_rows(f, n);
				TB_REQUIRE(eng_quant_act_row_ref(vt, f, x + (size_t)a * xs, n) == 0);
			}
			for (size_t ai = 0; ai < sizeof NACT / sizeof NACT[0]; ai++)
				for (size_t ri = 0; ri < sizeof RANGES / sizeof RANGES[0]; ri++) {
					const int na = NACT[ai], r0 = RANGES[ri][0];
					const int nr = r0 + RANGES[ri][1] > total ? total - r0 : RANGES[ri][1];
					if (nr <= 0 || (na > 3 && n > 2816 && ri > 1))   /* long rows: a sample */
						continue;
					for (size_t i = 0; i < (size_t)MAX_R * MAX_A; i++)
						out[i] = NAN;
					TB_REQUIRE(eng_vec_dot_rows_rp(type, n, rp, total, r0, nr, x, xs, na, out, MAX_R) == 0);
					snprintf(what, sizeof what, "%s repacked from row %d", level, r0);
					checked += check_tile_vs_dot(what, type, n, w + (size_t)r0 * rs, rs, nr, x, xs, na, out, MAX_R, &fails);
				}
		}
	}
	TB_CHECK(checked > 10000);
	TB_CHECK_INT(fails, 0);
	free(w);
	free(rp);
	free(back);
	free(x);
	free(tmp);
	free(f);
	free(out);
}

static void test_kernels_scalar_repacked_rows_equal_the_single_dot(void) { check_level("scalar", check_repacked); }
static void test_kernels_avx2_repacked_rows_equal_the_single_dot(void) { check_level("avx2", check_repacked); }
static void test_kernels_avx512_repacked_rows_equal_the_single_dot(void) { check_level("avx512", check_repacked); }

/* A whole model (synth-tiny-Q4_K_M: Q4_K and Q6_K matrices of 256- and 768-element rows;
 * synth-tiny-Q2_K: Q2_K, Q3_K and Q6_K; synth-tiny-Q8_0) loaded into memory, where the AVX-512 level repacks its
 * matrices, gives the same logits bit for bit as the same file computed from its mapping (the
 * file's layout): one token at a time (the decode kernels), in batches of 9 (the batch tiles),
 * and at the avx2 level too (no repacked kernels there: the rows are unpacked). */
static void check_repacked_model(const char *RP_MODEL)
{
	enum { N = 20 };
	static const char *const LV[] = { "avx512", "avx2" };
	char err[512] = "";
	eng_opts o = eng_opts_default();
	eng_model *mm, *mp;
	int32_t ids[N];
	int nv, diff = 0;
	float *a, *b;

	if (eng_kernels_force("avx512") != 0)
		TB_SKIP("this CPU (or build) has no avx512 kernels");
	if (access(RP_MODEL, R_OK) != 0)
		TB_SKIP("%s is not there", RP_MODEL);
	TB_CHECK_INT(eng_rp_native(ENG_T_Q4_K, 256), 1);
	TB_CHECK_INT(eng_rp_native(ENG_T_Q6_K, 768), 1);
	TB_CHECK_INT(eng_rp_native(ENG_T_Q2_K, 256), 1);
	TB_CHECK_INT(eng_rp_native(ENG_T_Q3_K, 768), 1);
	TB_CHECK_INT(eng_rp_native(ENG_T_Q8_0, 768), 1);
	o.n_threads = 2;
	mp = eng_load(RP_MODEL, &o, err, sizeof err);   /* repacked at load */
	o.use_mmap = 1;
	mm = eng_load(RP_MODEL, &o, err, sizeof err);   /* the file's layout */
	TB_REQUIRE(mp && mm);
	nv = eng_n_vocab(mp);
	for (int i = 0; i < N; i++)
		ids[i] = (int32_t)((i * 37 + 11) % nv);
	a = malloc(sizeof(float) * (size_t)N * (size_t)nv);
	b = malloc(sizeof(float) * (size_t)N * (size_t)nv);
	TB_REQUIRE(a && b);
	for (size_t l = 0; l < sizeof LV / sizeof LV[0]; l++)
		for (int step = 1; step <= 9; step += 8) {
			TB_REQUIRE(eng_kernels_force(LV[l]) == 0);
			TB_REQUIRE(ref_decode_all(mp, ids, N, step, a) == 0);
			TB_REQUIRE(ref_decode_all(mm, ids, N, step, b) == 0);
			for (size_t i = 0; i < (size_t)N * (size_t)nv; i++)
				if (f_bits(a[i]) != f_bits(b[i]) && diff++ < 5)
					printf("  %s %s, batches of %d: logit %zu of token %zu: %.9g repacked, %.9g file layout\n",
						RP_MODEL, LV[l], step, i % (size_t)nv, i / (size_t)nv, a[i], b[i]);
		}
	TB_CHECK_INT(diff, 0);
	TB_REQUIRE(eng_kernels_force(NULL) == 0);
	free(a);
	free(b);
	eng_model_free(mp);
	eng_model_free(mm);
}

static void test_kernels_repacked_model_gives_the_file_layouts_logits(void)
{
	check_repacked_model("../shared/models/synthetic/synth-tiny-Q4_K_M.gguf");
}

static void test_kernels_repacked_q2_k_model_gives_the_file_layouts_logits(void)
{
	check_repacked_model("../shared/models/synthetic/synth-tiny-Q2_K.gguf");
}

static void test_kernels_repacked_q8_0_model_gives_the_file_layouts_logits(void)
{
	check_repacked_model("../shared/models/synthetic/synth-tiny-Q8_0.gguf");
}

static void test_kernels_level_is_named_and_unknown_levels_are_refused(void)
{
	const char *lv = eng_cpu_level();
	int known = 0;
	TB_REQUIRE(lv != NULL);
	for (size_t i = 0; i < sizeof LEVELS / sizeof LEVELS[0]; i++)
		known |= strcmp(lv, LEVELS[i]) == 0;
	TB_CHECK(known);
	TB_CHECK_INT(eng_kernels_force("avx9000"), -1);
	TB_CHECK_STR(eng_cpu_level(), lv);
	TB_CHECK_INT(eng_kernels_force("scalar"), 0);
	TB_CHECK_STR(eng_cpu_level(), "scalar");
	TB_CHECK_INT(eng_kernels_force(NULL), 0);
	TB_CHECK_STR(eng_cpu_level(), lv);
}

static void test_kernels_rows_refuse_bad_types_and_lengths_and_accept_empty_tiles(void)
{
	uint8_t w[512] = { 0 }, x[512] = { 0 };
	float out[4] = { 7, 7, 7, 7 };
	TB_CHECK_INT(eng_vec_dot_rows(ENG_T_Q8_K, 256, w, 0, 1, x, 0, 1, out, 1), -1);
	TB_CHECK_INT(eng_vec_dot_rows(ENG_T_I8, 256, w, 0, 1, x, 0, 1, out, 1), -1);
	TB_CHECK_INT(eng_vec_dot_rows(ENG_T_Q4_K, 100, w, 0, 1, x, 0, 1, out, 1), -1);
	TB_CHECK_INT(eng_vec_dot_rows(-1, 32, w, 0, 1, x, 0, 1, out, 1), -1);
	TB_CHECK_INT(eng_vec_dot_rows(ENG_T_Q8_0, 32, w, 34, -1, x, 34, 1, out, 1), -1);
	TB_CHECK_INT(eng_vec_dot_rows(ENG_T_Q8_0, 32, w, 34, 0, x, 34, 3, out, 1), 0);
	TB_CHECK_INT(eng_vec_dot_rows(ENG_T_Q8_0, 32, w, 34, 3, x, 34, 0, out, 1), 0);
	TB_CHECK(out[0] == 7 && out[3] == 7);
	TB_CHECK_INT(eng_vec_dot_rows(ENG_T_Q8_0, 0, w, 0, 2, x, 0, 2, out, 2), 0);
	TB_CHECK(out[0] == 0 && out[1] == 0 && out[2] == 0 && out[3] == 0);
}

static void test_kernels_scalar_dots_match_the_reference(void) { check_level("scalar", check_dots); }
static void test_kernels_avx2_dots_match_the_reference(void) { check_level("avx2", check_dots); }
static void test_kernels_avx512_dots_match_the_reference(void) { check_level("avx512", check_dots); }
static void test_kernels_neon_dots_match_the_reference(void) { check_level("neon", check_dots); }

static void test_kernels_scalar_rows_equal_the_single_dot(void) { check_level("scalar", check_rows); }
static void test_kernels_avx2_rows_equal_the_single_dot(void) { check_level("avx2", check_rows); }
static void test_kernels_avx512_rows_equal_the_single_dot(void) { check_level("avx512", check_rows); }
static void test_kernels_neon_rows_equal_the_single_dot(void) { check_level("neon", check_rows); }

static void test_kernels_scalar_activation_quantizers_give_the_reference_bytes(void) { check_level("scalar", check_act); }
static void test_kernels_avx2_activation_quantizers_give_the_reference_bytes(void) { check_level("avx2", check_act); }
static void test_kernels_avx512_activation_quantizers_give_the_reference_bytes(void) { check_level("avx512", check_act); }
static void test_kernels_neon_activation_quantizers_give_the_reference_bytes(void) { check_level("neon", check_act); }

int main(void)
{
	TB_RUN(test_kernels_level_is_named_and_unknown_levels_are_refused);
	TB_RUN(test_kernels_rows_refuse_bad_types_and_lengths_and_accept_empty_tiles);
	TB_RUN(test_kernels_scalar_dots_match_the_reference);
	TB_RUN(test_kernels_avx2_dots_match_the_reference);
	TB_RUN(test_kernels_avx512_dots_match_the_reference);
	TB_RUN(test_kernels_neon_dots_match_the_reference);
	TB_RUN(test_kernels_scalar_rows_equal_the_single_dot);
	TB_RUN(test_kernels_avx2_rows_equal_the_single_dot);
	TB_RUN(test_kernels_avx512_rows_equal_the_single_dot);
	TB_RUN(test_kernels_neon_rows_equal_the_single_dot);
	TB_RUN(test_kernels_avx2_and_avx512_dots_agree_bit_for_bit);
	TB_RUN(test_kernels_expf_is_within_two_ulp_and_sums_in_its_order);
	TB_RUN(test_kernels_scalar_delta_rule_gives_the_definitions_bits);
	TB_RUN(test_kernels_avx2_delta_rule_gives_the_definitions_bits);
	TB_RUN(test_kernels_avx512_delta_rule_gives_the_definitions_bits);
	TB_RUN(test_kernels_neon_delta_rule_gives_the_definitions_bits);
	TB_RUN(test_kernels_scalar_exp_sum_gives_the_reference_bits);
	TB_RUN(test_kernels_avx2_exp_sum_gives_the_reference_bits);
	TB_RUN(test_kernels_avx512_exp_sum_gives_the_reference_bits);
	TB_RUN(test_kernels_neon_exp_sum_gives_the_reference_bits);
	TB_RUN(test_kernels_avx2_order_b_types_give_the_order_b_bits);
	TB_RUN(test_kernels_avx512_order_b_types_give_the_order_b_bits);
	TB_RUN(test_kernels_neon_order_b_types_give_the_order_b_bits);
	TB_RUN(test_kernels_scalar_repacked_rows_equal_the_single_dot);
	TB_RUN(test_kernels_avx2_repacked_rows_equal_the_single_dot);
	TB_RUN(test_kernels_avx512_repacked_rows_equal_the_single_dot);
	TB_RUN(test_kernels_repacked_model_gives_the_file_layouts_logits);
	TB_RUN(test_kernels_repacked_q2_k_model_gives_the_file_layouts_logits);
	TB_RUN(test_kernels_repacked_q8_0_model_gives_the_file_layouts_logits);
	TB_RUN(test_kernels_scalar_k16_scores_equal_the_single_dot);
	TB_RUN(test_kernels_avx2_k16_scores_equal_the_single_dot);
	TB_RUN(test_kernels_avx512_k16_scores_equal_the_single_dot);
	TB_RUN(test_kernels_neon_k16_scores_equal_the_single_dot);
	TB_RUN(test_kernels_scalar_activation_quantizers_give_the_reference_bytes);
	TB_RUN(test_kernels_avx2_activation_quantizers_give_the_reference_bytes);
	TB_RUN(test_kernels_avx512_activation_quantizers_give_the_reference_bytes);
	TB_RUN(test_kernels_neon_activation_quantizers_give_the_reference_bytes);
	return tb_test_end();
}
