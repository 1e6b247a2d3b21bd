/* engine/quant_iq_x86.c — x86 dot products of the IQ1/IQ2/IQ3 grid types and the ternary types
 * with Q8_K activations, for the AVX2 and AVX-512 kernel levels (quant_x86.c registers them).
 * Grid entries are gathered by index from the tables in quant_iq.c, signs become byte masks
 * (eng_iq_signs64 for the parity-completed 7-bit fields, a bit test for explicit sign bytes), and
 * each group's products are summed in int32 lanes with its integer scale. Every super-block's
 * integer sums are exact and the float steps are those of the _ref (quant_iq.c) in its order, so
 * each kernel returns the _ref's bits (tests/engine/test_iq.c checks equality). Like the other
 * AVX2 kernels they assume activation quants in [-127, 127], which Q8_K's quantizer gives. */
#if defined(__x86_64__) || defined(__i386__)

#include "engine/kern_load.h"
#include "engine/quant_impl.h"

#include <immintrin.h>
#include <stddef.h>

#define TGT2 __attribute__((target("avx2,fma,f16c")))
#define INL2 static inline __attribute__((always_inline, target("avx2,fma,f16c")))
#define TGT5 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))
#define INL5 static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))

enum {
	A_W = sizeof(eng_blk_q8_K), A_D = offsetof(eng_blk_q8_K, d), A_QS = offsetof(eng_blk_q8_K, qs),
	A_BS = offsetof(eng_blk_q8_K, bsums),
	XXS_W = sizeof(eng_blk_iq2_xxs), XS_W = sizeof(eng_blk_iq2_xs), XS_SC = offsetof(eng_blk_iq2_xs, scales),
	S2_W = sizeof(eng_blk_iq2_s), S2_QS = offsetof(eng_blk_iq2_s, qs), S2_QH = offsetof(eng_blk_iq2_s, qh),
	S2_SC = offsetof(eng_blk_iq2_s, scales),
	X3_W = sizeof(eng_blk_iq3_xxs), X3_QS = offsetof(eng_blk_iq3_xxs, qs),
	S3_W = sizeof(eng_blk_iq3_s), S3_QS = offsetof(eng_blk_iq3_s, qs), S3_QH = offsetof(eng_blk_iq3_s, qh),
	S3_SG = offsetof(eng_blk_iq3_s, signs), S3_SC = offsetof(eng_blk_iq3_s, scales),
	I1_W = sizeof(eng_blk_iq1_s), I1_QS = offsetof(eng_blk_iq1_s, qs), I1_QH = offsetof(eng_blk_iq1_s, qh),
	M1_W = sizeof(eng_blk_iq1_m), M1_QH = offsetof(eng_blk_iq1_m, qh), M1_SC = offsetof(eng_blk_iq1_m, scales),
	T1_W = sizeof(eng_blk_tq1_0), T1_QH = offsetof(eng_blk_tq1_0, qh), T1_D = offsetof(eng_blk_tq1_0, d),
	T2_W = sizeof(eng_blk_tq2_0), T2_D = offsetof(eng_blk_tq2_0, d)
};

static inline float h2f(const uint8_t *p) { return eng_f16_to_f32(ld16(p)); }

INL2 int hsum_i32(__m256i v)
{
	__m128i t = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
	t = _mm_add_epi32(t, _mm_unpackhi_epi64(t, t));
	t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 1));
	return _mm_cvtsi128_si32(t);
}

INL2 __m256i ld256(const uint8_t *p) { return _mm256_loadu_si256((const __m256i *)p); }

/* q negated where the mask byte is 0xff. */
INL2 __m256i neg_where(__m256i q, __m256i m) { return _mm256_sub_epi8(_mm256_xor_si256(q, m), m); }

/* 4 explicit sign bytes (one per 8 elements) as 32 byte masks. */
INL2 __m256i sign_bytes(uint32_t s4)
{
	const __m256i sh = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
	const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
	return _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi32((int)s4), sh), bit), bit);
}

/* 4 parity-completed 7-bit sign fields (bits 0..27 of f) as 32 byte masks. */
INL2 __m256i sign_fields(uint32_t f)
{
	return _mm256_set_epi64x((long long)eng_iq_signs64[f >> 21 & 127], (long long)eng_iq_signs64[f >> 14 & 127],
		(long long)eng_iq_signs64[f >> 7 & 127], (long long)eng_iq_signs64[f & 127]);
}

/* int32 lanes of sum(mag * +-a) over 32 elements times the 16-bit scales sc (per 16 elements). */
INL2 __m256i grp(__m256i mag, __m256i sgn, __m256i a, __m256i sc)
{
	return _mm256_madd_epi16(_mm256_maddubs_epi16(mag, neg_where(a, sgn)), sc);
}

INL2 __m256i sc2(int lo, int hi) { return _mm256_set_m128i(_mm_set1_epi16((short)hi), _mm_set1_epi16((short)lo)); }

INL2 __m256i g64(const uint64_t *grid, int i0, int i1, int i2, int i3)
{
	return _mm256_set_epi64x((long long)grid[i3], (long long)grid[i2], (long long)grid[i1], (long long)grid[i0]);
}

INL2 __m256i g32(const uint32_t *grid, const int *i)
{
	return _mm256_set_epi32((int)grid[i[7]], (int)grid[i[6]], (int)grid[i[5]], (int)grid[i[4]],
		(int)grid[i[3]], (int)grid[i[2]], (int)grid[i[1]], (int)grid[i[0]]);
}

/* ---- IQ2_XXS ---- */

INL2 int sb_iq2_xxs(const uint8_t *b, const uint8_t *a)
{
	__m256i acc = _mm256_setzero_si256();
	for (int g = 0; g < 8; g++) {
		const uint32_t idx = ld32(b + 2 + 8 * g), ss = ld32(b + 6 + 8 * g);
		const __m256i mag = g64(eng_iq2xxs_grid, idx & 0xff, idx >> 8 & 0xff, idx >> 16 & 0xff, idx >> 24);
		acc = _mm256_add_epi32(acc, grp(mag, sign_fields(ss), ld256(a + A_QS + 32 * g),
			_mm256_set1_epi16((short)(2 * (ss >> 28) + 1))));
	}
	return hsum_i32(acc);
}

/* ---- IQ2_XS ---- */

INL2 int sb_iq2_xs(const uint8_t *b, const uint8_t *a)
{
	__m256i acc = _mm256_setzero_si256();
	for (int g = 0; g < 8; g++) {
		const uint16_t q0 = ld16(b + 2 + 8 * g), q1 = ld16(b + 4 + 8 * g), q2 = ld16(b + 6 + 8 * g), q3 = ld16(b + 8 + 8 * g);
		const __m256i mag = g64(eng_iq2xs_grid, q0 & 511, q1 & 511, q2 & 511, q3 & 511);
		const __m256i sgn = _mm256_set_epi64x((long long)eng_iq_signs64[q3 >> 9], (long long)eng_iq_signs64[q2 >> 9],
			(long long)eng_iq_signs64[q1 >> 9], (long long)eng_iq_signs64[q0 >> 9]);
		const int sc = b[XS_SC + g];
		acc = _mm256_add_epi32(acc, grp(mag, sgn, ld256(a + A_QS + 32 * g), sc2(2 * (sc & 15) + 1, 2 * (sc >> 4) + 1)));
	}
	return hsum_i32(acc);
}

/* ---- IQ2_S ---- */

INL2 int sb_iq2_s(const uint8_t *b, const uint8_t *a)
{
	__m256i acc = _mm256_setzero_si256();
	for (int g = 0; g < 8; g++) {
		const uint8_t *qs = b + S2_QS + 4 * g;
		const int h = b[S2_QH + g], sc = b[S2_SC + g];
		const __m256i mag = g64(eng_iq2s_grid, qs[0] | (h & 3) << 8, qs[1] | (h >> 2 & 3) << 8,
			qs[2] | (h >> 4 & 3) << 8, qs[3] | (h >> 6 & 3) << 8);
		acc = _mm256_add_epi32(acc, grp(mag, sign_bytes(ld32(b + S2_QS + 32 + 4 * g)), ld256(a + A_QS + 32 * g),
			sc2(2 * (sc & 15) + 1, 2 * (sc >> 4) + 1)));
	}
	return hsum_i32(acc);
}

/* ---- IQ3_XXS ---- */

INL2 int sb_iq3_xxs(const uint8_t *b, const uint8_t *a)
{
	__m256i acc = _mm256_setzero_si256();
	for (int g = 0; g < 8; g++) {
		const uint8_t *qs = b + X3_QS + 8 * g;
		const uint32_t ss = ld32(b + X3_QS + 64 + 4 * g);
		const int idx[8] = { qs[0], qs[1], qs[2], qs[3], qs[4], qs[5], qs[6], qs[7] };
		acc = _mm256_add_epi32(acc, grp(g32(eng_iq3xxs_grid, idx), sign_fields(ss), ld256(a + A_QS + 32 * g),
			_mm256_set1_epi16((short)(2 * (ss >> 28) + 1))));
	}
	return hsum_i32(acc);
}

/* ---- IQ3_S ---- */

INL2 int sb_iq3_s(const uint8_t *b, const uint8_t *a)
{
	__m256i acc = _mm256_setzero_si256();
	for (int g = 0; g < 8; g++) {
		const uint8_t *qs = b + S3_QS + 8 * g;
		const int h = b[S3_QH + g];
		int idx[8];
		for (int k = 0; k < 8; k++)
			idx[k] = qs[k] | (h >> k & 1) << 8;
		const int sc = 2 * (b[S3_SC + g / 2] >> 4 * (g % 2) & 15) + 1;
		acc = _mm256_add_epi32(acc, grp(g32(eng_iq3s_grid, idx), sign_bytes(ld32(b + S3_SG + 4 * g)),
			ld256(a + A_QS + 32 * g), _mm256_set1_epi16((short)sc)));
	}
	return hsum_i32(acc);
}

/* The row loop of the IQ2 / IQ3 types: per super-block d_w * d_a times the integer sum, the
 * type's constant factor at the end (0.125 for IQ2, 0.25 for IQ3_XXS, 1 for IQ3_S), as the _ref. */
#define GRID_DOT_AVX2(name, size, factor) \
	TGT2 static float dot_##name##_avx2(int64_t n, const void *wv, const void *av) \
	{ \
		const uint8_t *w = wv, *a = av; \
		float sumf = 0; \
		for (int64_t i = 0; i < n / ENG_QK_K; i++, w += (size), a += A_W) \
			sumf += h2f(w) * ldf32(a + A_D) * (float)sb_##name(w, a); \
		return (factor) * sumf; \
	}
GRID_DOT_AVX2(iq2_xxs, XXS_W, 0.125f)
GRID_DOT_AVX2(iq2_xs, XS_W, 0.125f)
GRID_DOT_AVX2(iq2_s, S2_W, 0.125f)
GRID_DOT_AVX2(iq3_xxs, X3_W, 0.25f)
GRID_DOT_AVX2(iq3_s, S3_W, 1.0f)
#undef GRID_DOT_AVX2

/* ---- IQ1_S: ternary grid levels applied with sign_epi8, the +-1/8 shift through bsums ---- */

TGT2 static float dot_iq1_s_avx2(int64_t n, const void *wv, const void *av)
{
	const uint8_t *w = wv, *a = av;
	const __m256i ones = _mm256_set1_epi8(1);
	float sumf = 0;
	for (int64_t i = 0; i < n / ENG_QK_K; i++, w += I1_W, a += A_W) {
		__m256i acc = _mm256_setzero_si256();
		int sumi1 = 0;
		for (int g = 0; g < 8; g++) {
			const uint8_t *qs = w + I1_QS + 4 * g;
			const unsigned h = ld16(w + I1_QH + 2 * g);
			const int ls = (int)(2 * (h >> 12 & 7) + 1);
			const __m256i lv = g64(eng_iq1s_grid, qs[0] | (h & 7) << 8, qs[1] | (h >> 3 & 7) << 8,
				qs[2] | (h >> 6 & 7) << 8, qs[3] | (h >> 9 & 7) << 8);
			const __m256i p = _mm256_maddubs_epi16(ones, _mm256_sign_epi8(ld256(a + A_QS + 32 * g), lv));
			acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_set1_epi16((short)ls)));
			const int bs = (int16_t)ld16(a + A_BS + 4 * g) + (int16_t)ld16(a + A_BS + 4 * g + 2);
			sumi1 += (h & 0x8000 ? -ls : ls) * bs;
		}
		sumf += h2f(w) * ldf32(a + A_D) * ((float)hsum_i32(acc) + 0.125f * (float)sumi1);
	}
	return sumf;
}

/* ---- IQ1_M: as IQ1_S, scales per 16 elements, the shift's sums per 8 taken in SIMD ---- */

TGT2 static float dot_iq1_m_avx2(int64_t n, const void *wv, const void *av)
{
	const uint8_t *w = wv, *a = av;
	const __m256i ones = _mm256_set1_epi8(1);
	float sumf = 0;
	for (int64_t i = 0; i < n / ENG_QK_K; i++, w += M1_W, a += A_W) {
		__m256i acc1 = _mm256_setzero_si256(), acc2 = _mm256_setzero_si256();
		for (int g = 0; g < 8; g++) {
			const uint8_t *qs = w + 4 * g;
			const int h0 = w[M1_QH + 2 * g], h1 = w[M1_QH + 2 * g + 1];
			const unsigned sw = ld16(w + M1_SC + 2 * (g / 2)) >> 6 * (g % 2);
			const __m256i lv = g64(eng_iq1s_grid, qs[0] | (h0 & 7) << 8, qs[1] | (h0 >> 4 & 7) << 8,
				qs[2] | (h1 & 7) << 8, qs[3] | (h1 >> 4 & 7) << 8);
			const __m256i dl = _mm256_set_epi64x(h1 & 0x80 ? -1 : 0x0101010101010101, h1 & 0x08 ? -1 : 0x0101010101010101,
				h0 & 0x80 ? -1 : 0x0101010101010101, h0 & 0x08 ? -1 : 0x0101010101010101);
			const __m256i q = ld256(a + A_QS + 32 * g);
			const __m256i sc = sc2((int)(2 * (sw & 7) + 1), (int)(2 * (sw >> 3 & 7) + 1));
			acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_maddubs_epi16(ones, _mm256_sign_epi8(q, lv)), sc));
			acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(_mm256_maddubs_epi16(ones, _mm256_sign_epi8(q, dl)), sc));
		}
		sumf += eng_f16_to_f32(eng_iq1m_d(w + M1_SC)) * ldf32(a + A_D) *
			((float)hsum_i32(acc1) + 0.125f * (float)hsum_i32(acc2));
	}
	return sumf;
}

/* ---- TQ2_0: 2-bit codes (level + 1) by maddubs, the -1 through bsums ---- */

INL2 int bsum_all(const uint8_t *a)
{
	const __m256i s = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(a + A_BS)), _mm256_set1_epi16(1));
	return hsum_i32(s);
}

TGT2 static float dot_tq2_0_avx2(int64_t n, const void *wv, const void *av)
{
	const uint8_t *w = wv, *a = av;
	const __m256i m3 = _mm256_set1_epi8(3), one16 = _mm256_set1_epi16(1);
	float sumf = 0;
	for (int64_t i = 0; i < n / ENG_QK_K; i++, w += T2_W, a += A_W) {
		__m256i acc = _mm256_setzero_si256();
		for (int h = 0; h < 2; h++) {
			const __m256i x = ld256(w + 32 * h);
			for (int k = 0; k < 4; k++) {
				const __m256i c = _mm256_and_si256(_mm256_srli_epi16(x, 2 * k), m3);
				acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(c, ld256(a + A_QS + 128 * h + 32 * k)), one16));
			}
		}
		const int sumi = hsum_i32(acc) - bsum_all(a);
		sumf += (float)sumi * (h2f(w + T2_D) * ldf32(a + A_D));
	}
	return sumf;
}

/* ---- TQ1_0: base-3 digits read in 16-bit lanes (byte * 3^k mod 256, then * 3 >> 8) ---- */

/* Digit k + 1 (0, 1, 2) of 16 packed bytes held as 16-bit lanes. */
INL2 __m256i tq1_digit(__m256i x16, int p)
{
	const __m256i q = _mm256_and_si256(_mm256_mullo_epi16(x16, _mm256_set1_epi16((short)p)), _mm256_set1_epi16(0xff));
	return _mm256_srli_epi16(_mm256_mullo_epi16(q, _mm256_set1_epi16(3)), 8);
}

/* Bytes of two 16-lane digit vectors in order (lo then hi). */
INL2 __m256i pack_in_order(__m256i lo, __m256i hi)
{
	return _mm256_permute4x64_epi64(_mm256_packus_epi16(lo, hi), 0xd8);
}

TGT2 static float dot_tq1_0_avx2(int64_t n, const void *wv, const void *av)
{
	static const int pow3[5] = { 1, 3, 9, 27, 81 };
	const uint8_t *w = wv, *a = av;
	const __m256i one16 = _mm256_set1_epi16(1);
	float sumf = 0;
	for (int64_t i = 0; i < n / ENG_QK_K; i++, w += T1_W, a += A_W) {
		const __m256i x0 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)w));
		const __m256i x1 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(w + 16)));
		const __m256i x2 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(w + 32)));
		__m256i acc = _mm256_setzero_si256();
		for (int k = 0; k < 5; k++) {   /* elements 32k .. 32k+31: digit k of qs[0..31] */
			const __m256i c = pack_in_order(tq1_digit(x0, pow3[k]), tq1_digit(x1, pow3[k]));
			acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(c, ld256(a + A_QS + 32 * k)), one16));
		}
		for (int k = 0; k < 5; k += 2) {   /* elements 160 + 16k ..: digits k, k+1 of qs[32..47] */
			const __m256i hi = k + 1 < 5 ? tq1_digit(x2, pow3[k + 1]) : _mm256_setzero_si256();
			const __m256i c = pack_in_order(tq1_digit(x2, pow3[k]), hi);
			acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(c, ld256(a + A_QS + 160 + 16 * k)), one16));
		}
		int sumi = hsum_i32(acc);
		for (int e = 240; e < 256; e++) {   /* digit (e-240)/4 of qh[e%4] */
			const uint8_t q = (uint8_t)(w[T1_QH + e % 4] * pow3[(e - 240) / 4]);
			sumi += (((uint16_t)q * 3) >> 8) * (int8_t)a[A_QS + e];
		}
		sumi -= bsum_all(a);
		sumf += (float)sumi * (h2f(w + T1_D) * ldf32(a + A_D));
	}
	return sumf;
}

void eng_kernels_iq_avx2(eng_kernels *k)
{
	k->dot[ENG_T_IQ2_XXS] = dot_iq2_xxs_avx2;
	k->dot[ENG_T_IQ2_XS] = dot_iq2_xs_avx2;
	k->dot[ENG_T_IQ2_S] = dot_iq2_s_avx2;
	k->dot[ENG_T_IQ3_XXS] = dot_iq3_xxs_avx2;
	k->dot[ENG_T_IQ3_S] = dot_iq3_s_avx2;
	k->dot[ENG_T_IQ1_S] = dot_iq1_s_avx2;
	k->dot[ENG_T_IQ1_M] = dot_iq1_m_avx2;
	k->dot[ENG_T_TQ1_0] = dot_tq1_0_avx2;
	k->dot[ENG_T_TQ2_0] = dot_tq2_0_avx2;
}

#else
/* ISO C forbids an empty translation unit. */
typedef int eng_quant_iq_x86_unused;
#endif
