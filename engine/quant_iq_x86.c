/* engine/quant_iq_x86.c — x86 dot products of the IQ1/IQ2/IQ3 grid types and the ternary types
 * with Q8_K activations: AVX2 single dots (decode and multiply fused per group of 32 for the grid
 * types; a decoded super-block for the TQ types) and AVX2 row tiles; at the AVX-512 level
 * masked-sign single dots for the five IQ2 / IQ3 types, 16-row x 8-token vpdpbusd tiles over
 * row-interleaved unsigned levels for batches, and for one token where the CPU has VBMI the rows
 * of quant_iq_dec_x86.c. quant_x86.c registers them. Every kernel forms the
 * _ref's exact integer sums per super-block and the _ref's float steps in its order, so it returns
 * the _ref's bits (tests/engine/test_iq.c checks equality; docs/quant-formats.md, "Dots"). They
 * assume activation quants in [-127, 127], which Q8_K's quantizer gives. */
#if defined(__x86_64__) || defined(__i386__)

#include "engine/kern_load.h"
#include "engine/quant_impl.h"

#include <immintrin.h>
#include <stddef.h>
#include <string.h>

#define TGT2 __attribute__((target("avx2,fma,f16c")))
#define INL2 static inline __attribute__((always_inline, target("avx2,fma,f16c")))

enum {
	A_W = sizeof(eng_blk_q8_K), A_D = offsetof(eng_blk_q8_K, d), A_QS = offsetof(eng_blk_q8_K, qs),
	A_BS = offsetof(eng_blk_q8_K, bsums),
	XS_SC = offsetof(eng_blk_iq2_xs, scales),
	S2_QS = offsetof(eng_blk_iq2_s, qs), S2_QH = offsetof(eng_blk_iq2_s, qh), S2_SC = offsetof(eng_blk_iq2_s, scales),
	X3_QS = offsetof(eng_blk_iq3_xxs, qs),
	S3_QS = offsetof(eng_blk_iq3_s, qs), S3_QH = offsetof(eng_blk_iq3_s, qh), S3_SG = offsetof(eng_blk_iq3_s, signs),
	S3_SC = offsetof(eng_blk_iq3_s, scales),
	I1_QS = offsetof(eng_blk_iq1_s, qs), I1_QH = offsetof(eng_blk_iq1_s, qh),
	M1_QH = offsetof(eng_blk_iq1_m, qh), M1_SC = offsetof(eng_blk_iq1_m, scales),
	T1_QH = offsetof(eng_blk_tq1_0, qh), T1_D = offsetof(eng_blk_tq1_0, d), T2_D = offsetof(eng_blk_tq2_0, d)
};

/* One decoded super-block. Element e of group g has the level sgn ? -mag : mag (mag >= 0); the
 * 16-bit lanes of sc[g] hold 2s+1 of each 16 elements (1 for the TQ types). IQ1 adds the shift:
 * IQ1_S as ls1[g] = (2s+1) * (+-1) of its group (through Q8_K's bsums), IQ1_M as bytes +-1 per 8
 * elements in dl[g]. */
typedef struct {
	__m256i mag[8], sgn[8], sc[8], dl[8];
	int ls1[8];
	float d;
} dec_t;

INL2 int hsum_i32(__m256i v)
{
	__m128i t = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
	t = _mm_add_epi32(t, _mm_unpackhi_epi64(t, t));
	t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 1));
	return _mm_cvtsi128_si32(t);
}

/* fp16 bits to float (F16C: exact, as eng_f16_to_f32, without a call). */
INL2 float h2f(uint16_t h) { return _cvtsh_ss(h); }

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

INL2 __m256i sc2(int lo, int hi) { return _mm256_set_m128i(_mm_set1_epi16((short)hi), _mm_set1_epi16((short)lo)); }

INL2 __m256i g64(const uint64_t *grid, int i0, int i1, int i2, int i3)
{
	return _mm256_set_epi64x((long long)grid[i3], (long long)grid[i2], (long long)grid[i1], (long long)grid[i0]);
}

INL2 __m256i g32(const uint32_t *grid, const uint8_t *qs, int h)   /* 8 entries; bit k of h: bit 8 of index k */
{
	int i[8];
	for (int k = 0; k < 8; k++)
		i[k] = qs[k] | (h >> k & 1) << 8;
	return _mm256_set_epi32((int)grid[i[7]], (int)grid[i[6]], (int)grid[i[5]], (int)grid[i[4]],
		(int)grid[i[3]], (int)grid[i[2]], (int)grid[i[1]], (int)grid[i[0]]);
}

/* Signed levels v as magnitude and sign mask. */
INL2 void split(__m256i v, __m256i *mag, __m256i *sgn)
{
	*mag = _mm256_abs_epi8(v);
	*sgn = _mm256_cmpgt_epi8(_mm256_setzero_si256(), v);
}

/* Digit k (0, 1, 2) of 16 TQ1_0 bytes held as 16-bit lanes: (byte * 3^k mod 256) * 3 >> 8. */
INL2 __m256i tq1_digit(__m256i x16, int p)
{
	const __m256i q = _mm256_and_si256(_mm256_mullo_epi16(x16, _mm256_set1_epi16((short)p)), _mm256_set1_epi16(0xff));
	return _mm256_srli_epi16(_mm256_mullo_epi16(q, _mm256_set1_epi16(3)), 8);
}

/* The bytes of two 16-lane vectors in order (lo then hi). */
INL2 __m256i pack_in_order(__m256i lo, __m256i hi)
{
	return _mm256_permute4x64_epi64(_mm256_packus_epi16(lo, hi), 0xd8);
}

INL2 void decode(int type, const uint8_t *b, dec_t *o)
{
	const __m256i one = _mm256_set1_epi8(1);
	switch (type) {
	case ENG_T_IQ2_XXS:
		for (int g = 0; g < 8; g++) {
			const uint32_t idx = ld32(b + 2 + 8 * g), ss = ld32(b + 6 + 8 * g);
			o->mag[g] = g64(eng_iq2xxs_grid, idx & 0xff, idx >> 8 & 0xff, idx >> 16 & 0xff, idx >> 24);
			o->sgn[g] = sign_fields(ss);
			o->sc[g] = _mm256_set1_epi16((short)(2 * (ss >> 28) + 1));
		}
		o->d = h2f(ld16(b));
		break;
	case ENG_T_IQ2_XS:
		for (int g = 0; g < 8; g++) {
			const uint16_t q0 = ld16(b + 2 + 8 * g), q1 = ld16(b + 4 + 8 * g), q2 = ld16(b + 6 + 8 * g), q3 = ld16(b + 8 + 8 * g);
			const int sc = b[XS_SC + g];
			o->mag[g] = g64(eng_iq2xs_grid, q0 & 511, q1 & 511, q2 & 511, q3 & 511);
			o->sgn[g] = _mm256_set_epi64x((long long)eng_iq_signs64[q3 >> 9], (long long)eng_iq_signs64[q2 >> 9],
				(long long)eng_iq_signs64[q1 >> 9], (long long)eng_iq_signs64[q0 >> 9]);
			o->sc[g] = sc2(2 * (sc & 15) + 1, 2 * (sc >> 4) + 1);
		}
		o->d = h2f(ld16(b));
		break;
	case ENG_T_IQ2_S:
		for (int g = 0; g < 8; g++) {
			const uint8_t *qs = b + S2_QS + 4 * g;
			const int h = b[S2_QH + g], sc = b[S2_SC + g];
			o->mag[g] = g64(eng_iq2s_grid, qs[0] | (h & 3) << 8, qs[1] | (h >> 2 & 3) << 8,
				qs[2] | (h >> 4 & 3) << 8, qs[3] | (h >> 6 & 3) << 8);
			o->sgn[g] = sign_bytes(ld32(b + S2_QS + 32 + 4 * g));
			o->sc[g] = sc2(2 * (sc & 15) + 1, 2 * (sc >> 4) + 1);
		}
		o->d = h2f(ld16(b));
		break;
	case ENG_T_IQ3_XXS:
		for (int g = 0; g < 8; g++) {
			const uint32_t ss = ld32(b + X3_QS + 64 + 4 * g);
			o->mag[g] = g32(eng_iq3xxs_grid, b + X3_QS + 8 * g, 0);
			o->sgn[g] = sign_fields(ss);
			o->sc[g] = _mm256_set1_epi16((short)(2 * (ss >> 28) + 1));
		}
		o->d = h2f(ld16(b));
		break;
	case ENG_T_IQ3_S:
		for (int g = 0; g < 8; g++) {
			o->mag[g] = g32(eng_iq3s_grid, b + S3_QS + 8 * g, b[S3_QH + g]);
			o->sgn[g] = sign_bytes(ld32(b + S3_SG + 4 * g));
			o->sc[g] = _mm256_set1_epi16((short)(2 * (b[S3_SC + g / 2] >> 4 * (g % 2) & 15) + 1));
		}
		o->d = h2f(ld16(b));
		break;
	case ENG_T_IQ1_S:
		for (int g = 0; g < 8; g++) {
			const uint8_t *qs = b + I1_QS + 4 * g;
			const unsigned h = ld16(b + I1_QH + 2 * g);
			const int ls = (int)(2 * (h >> 12 & 7) + 1);
			split(g64(eng_iq1s_grid, qs[0] | (h & 7) << 8, qs[1] | (h >> 3 & 7) << 8, qs[2] | (h >> 6 & 7) << 8,
				qs[3] | (h >> 9 & 7) << 8), &o->mag[g], &o->sgn[g]);
			o->sc[g] = _mm256_set1_epi16((short)ls);
			o->ls1[g] = h & 0x8000 ? -ls : ls;
		}
		o->d = h2f(ld16(b));
		break;
	case ENG_T_IQ1_M:
		for (int g = 0; g < 8; g++) {
			const uint8_t *qs = b + 4 * g;
			const int h0 = b[M1_QH + 2 * g], h1 = b[M1_QH + 2 * g + 1];
			const unsigned sw = ld16(b + M1_SC + 2 * (g / 2)) >> 6 * (g % 2);
			split(g64(eng_iq1s_grid, qs[0] | (h0 & 7) << 8, qs[1] | (h0 >> 4 & 7) << 8, qs[2] | (h1 & 7) << 8,
				qs[3] | (h1 >> 4 & 7) << 8), &o->mag[g], &o->sgn[g]);
			o->dl[g] = _mm256_set_epi64x(h1 & 0x80 ? -1 : 0x0101010101010101, h1 & 0x08 ? -1 : 0x0101010101010101,
				h0 & 0x80 ? -1 : 0x0101010101010101, h0 & 0x08 ? -1 : 0x0101010101010101);
			o->sc[g] = sc2((int)(2 * (sw & 7) + 1), (int)(2 * (sw >> 3 & 7) + 1));
		}
		o->d = h2f(eng_iq1m_d(b + M1_SC));
		break;
	case ENG_T_TQ1_0: {
		/* elements 32k..32k+31 (k < 5): digit k of qs[0..31]; 160 + 16k ..: digit k of qs[32..47];
		 * 240 + 4k + m: digit k of qh[m] */
		static const int pow3[5] = { 1, 3, 9, 27, 81 };
		const __m256i x0 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)b));
		const __m256i x1 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(b + 16)));
		const __m256i x2 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(b + 32)));
		/* qh's 4 bytes, each repeated 4 times (elements 240 + 4k + m for m < 4 sit at m + 4k):
		 * with 16-bit lanes, lane j holds qh[j % 4] */
		const __m256i x3 = _mm256_cvtepu8_epi16(_mm_shuffle_epi8(_mm_cvtsi32_si128((int)ld32(b + T1_QH)),
			_mm_set_epi8(3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0)));
		__m256i lv[8];
		for (int k = 0; k < 5; k++)
			lv[k] = pack_in_order(tq1_digit(x0, pow3[k]), tq1_digit(x1, pow3[k]));
		lv[5] = pack_in_order(tq1_digit(x2, 1), tq1_digit(x2, 3));
		lv[6] = pack_in_order(tq1_digit(x2, 9), tq1_digit(x2, 27));
		/* elements 224..239: digit 4 of qs[32..47]; 240..255: digit (j/4) of qh[j%4], j < 16 */
		const __m256i kq = _mm256_set_epi16(27, 27, 27, 27, 9, 9, 9, 9, 3, 3, 3, 3, 1, 1, 1, 1);
		const __m256i q3 = _mm256_and_si256(_mm256_mullo_epi16(x3, kq), _mm256_set1_epi16(0xff));
		lv[7] = pack_in_order(tq1_digit(x2, 81), _mm256_srli_epi16(_mm256_mullo_epi16(q3, _mm256_set1_epi16(3)), 8));
		for (int g = 0; g < 8; g++) {
			split(_mm256_sub_epi8(lv[g], one), &o->mag[g], &o->sgn[g]);
			o->sc[g] = _mm256_set1_epi16(1);
		}
		o->d = h2f(ld16(b + T1_D));
		break;
	}
	default: {   /* TQ2_0: group 4h + k is bits 2k of qs[32h .. 32h+31], minus 1 */
		const __m256i m3 = _mm256_set1_epi8(3);
		for (int h = 0; h < 2; h++) {
			const __m256i x = ld256(b + 32 * h);
			for (int k = 0; k < 4; k++) {
				split(_mm256_sub_epi8(_mm256_and_si256(_mm256_srli_epi16(x, 2 * k), m3), one),
					&o->mag[4 * h + k], &o->sgn[4 * h + k]);
				o->sc[4 * h + k] = _mm256_set1_epi16(1);
			}
		}
		o->d = h2f(ld16(b + T2_D));
		break;
	}
	}
}

/* The float term one super-block adds for activation block a, as the _ref forms it. */
INL2 float term(int type, const dec_t *k, const uint8_t *a)
{
	__m256i acc = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
	for (int g = 0; g < 8; g++) {
		const __m256i q = ld256(a + A_QS + 32 * g);
		acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(k->mag[g], neg_where(q, k->sgn[g])), k->sc[g]));
		if (type == ENG_T_IQ1_M)
			acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(
				_mm256_maddubs_epi16(_mm256_set1_epi8(1), _mm256_sign_epi8(q, k->dl[g])), k->sc[g]));
	}
	const float da = ldf32(a + A_D);
	if (type == ENG_T_IQ1_S) {
		int s1 = 0;
		for (int g = 0; g < 8; g++)
			s1 += k->ls1[g] * ((int16_t)ld16(a + A_BS + 4 * g) + (int16_t)ld16(a + A_BS + 4 * g + 2));
		return k->d * da * ((float)hsum_i32(acc) + 0.125f * (float)s1);
	}
	if (type == ENG_T_IQ1_M)
		return k->d * da * ((float)hsum_i32(acc) + 0.125f * (float)hsum_i32(acc1));
	if (type == ENG_T_TQ1_0 || type == ENG_T_TQ2_0)
		return (float)hsum_i32(acc) * (k->d * da);
	return k->d * da * (float)hsum_i32(acc);
}

/* The factor the _ref applies to the row's sum. */
static inline float factor(int type)
{
	return type == ENG_T_IQ3_XXS ? 0.25f : type == ENG_T_IQ2_XXS || type == ENG_T_IQ2_XS || type == ENG_T_IQ2_S ? 0.125f : 1.0f;
}

/* ---- single-token dots: decode and multiply fused, group by group -----------------------------
 * For the grid types each group of 32 elements is gathered and multiplied at once (no decoded
 * block in memory; the TQ types decode a super-block first). IQ1 sums 8 sumi + sumi1 (as the tiles, exact below 2^24):
 * its levels are u = 8 q + 16 + shift (0..25, unsigned for vpmaddubsw), the 16 taken back as
 * 16 * sum of scale * Q8_K's 16-element sums. The float steps are the _ref's. */
/* 32 bytes of 7-bit sign fields (bit 7 clear) -> the 32 parity-completed sign bytes in out: bit 7
 * of each byte the parity of bits 0..6, xor-folded within the byte. */
INL2 void sign_complete(__m256i t, uint32_t out[8])
{
	__m256i p = _mm256_xor_si256(t, _mm256_srli_epi32(t, 4));
	p = _mm256_xor_si256(p, _mm256_srli_epi32(p, 2));
	p = _mm256_xor_si256(p, _mm256_srli_epi32(p, 1));
	p = _mm256_slli_epi32(_mm256_and_si256(p, _mm256_set1_epi32(0x01010101)), 7);
	_mm256_storeu_si256((__m256i *)out, _mm256_or_si256(t, p));
}

/* The 8 words' parity-completed 7-bit sign fields (bits 0..27 of each) as 8 x 32 sign bits (bit
 * 8l + j: element j of field l), all at once: the fields spread to bytes, then completed. */
INL2 void sign_words(__m256i ss, uint32_t out[8])
{
	sign_complete(_mm256_or_si256(_mm256_or_si256(_mm256_and_si256(ss, _mm256_set1_epi32(0x7f)),
		_mm256_and_si256(_mm256_slli_epi32(ss, 1), _mm256_set1_epi32(0x7f00))),
		_mm256_or_si256(_mm256_and_si256(_mm256_slli_epi32(ss, 2), _mm256_set1_epi32(0x7f0000)),
		_mm256_and_si256(_mm256_slli_epi32(ss, 3), _mm256_set1_epi32(0x7f000000)))), out);
}


/* The five IQ2 / IQ3 grid types, per super-block b: the 8 groups' 32 sign bits (returned: sg
 * filled from parity-completed fields, or the block's explicit sign bytes) and, for IQ2_S and
 * IQ3_S, the grid indices with their high bits in ix (IQ2_S: entry 4g + l; IQ3_S: 8g + k). */
INL2 const uint32_t *grid_prep(int type, const uint8_t *b, uint32_t sg[8], uint32_t ix[64])
{
	if (type == ENG_T_IQ2_XXS || type == ENG_T_IQ3_XXS) {
		const __m256i ss = type == ENG_T_IQ2_XXS   /* IQ2_XXS: odd words of 64 bytes */
			? _mm256_permutevar8x32_epi32(_mm256_blend_epi32(_mm256_srli_epi64(ld256(b + 2), 32),
				ld256(b + 34), 0xaa), _mm256_set_epi32(7, 5, 3, 1, 6, 4, 2, 0))
			: ld256(b + X3_QS + 64);
		sign_words(ss, sg);
	} else if (type == ENG_T_IQ2_XS) {   /* 7-bit fields above 9-bit indices */
		const __m256i v0 = ld256(b + 2), v1 = ld256(b + 34);
		sign_complete(_mm256_permute4x64_epi64(_mm256_packus_epi16(_mm256_srli_epi16(v0, 9),
			_mm256_srli_epi16(v1, 9)), 0xd8), sg);
	}
	if (type == ENG_T_IQ2_S)   /* index k: qs[k] | 2 bits of qh[k / 4] << 8 */
		for (int p = 0; p < 4; p++) {
			const __m256i h = _mm256_cvtepu8_epi32(_mm_shuffle_epi8(_mm_cvtsi32_si128((int)ld16(b + S2_QH + 2 * p)),
				_mm_set_epi8(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0)));
			const __m256i hi = _mm256_slli_epi32(_mm256_and_si256(_mm256_srlv_epi32(h, _mm256_set_epi32(6, 4, 2, 0,
				6, 4, 2, 0)), _mm256_set1_epi32(3)), 8);
			_mm256_storeu_si256((__m256i *)(ix + 8 * p), _mm256_or_si256(hi,
				_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(b + S2_QS + 8 * p)))));
		}
	else if (type == ENG_T_IQ3_S)   /* index k: qs[k] | bit k % 8 of qh[k / 8] << 8 */
		for (int g = 0; g < 8; g++) {
			const __m256i hi = _mm256_slli_epi32(_mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(b[S3_QH + g]),
				_mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0)), _mm256_set1_epi32(1)), 8);
			_mm256_storeu_si256((__m256i *)(ix + 8 * g), _mm256_or_si256(hi,
				_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(b + S3_QS + 8 * g)))));
		}
	return type == ENG_T_IQ2_S ? (const uint32_t *)(const void *)(b + S2_QS + 32)
		: type == ENG_T_IQ3_S ? (const uint32_t *)(const void *)(b + S3_SG) : sg;
}

/* Group g's 32 magnitudes (grid entries loaded one by one) and its scales 2s+1 as int16 lanes. */
INL2 void grid_group(int type, const uint8_t *b, const uint32_t *ix, int g, __m256i *mag, __m256i *sc)
{
	if (type == ENG_T_IQ2_XXS || type == ENG_T_IQ3_XXS) {
		const uint8_t *q = b + 2 + 8 * g;
		const uint32_t s4 = type == ENG_T_IQ2_XXS ? ld32(q + 4) : ld32(b + X3_QS + 64 + 4 * g);
		*mag = type == ENG_T_IQ2_XXS ? g64(eng_iq2xxs_grid, q[0], q[1], q[2], q[3]) : g32(eng_iq3xxs_grid, q, 0);
		*sc = _mm256_set1_epi16((short)(2 * (s4 >> 28) + 1));
	} else if (type == ENG_T_IQ2_XS) {
		const int c = b[XS_SC + g];
		*mag = g64(eng_iq2xs_grid, ld16(b + 2 + 8 * g) & 511, ld16(b + 4 + 8 * g) & 511,
			ld16(b + 6 + 8 * g) & 511, ld16(b + 8 + 8 * g) & 511);
		*sc = sc2(2 * (c & 15) + 1, 2 * (c >> 4) + 1);
	} else if (type == ENG_T_IQ2_S) {
		const int c = b[S2_SC + g];
		*mag = g64(eng_iq2s_grid, (int)ix[4 * g], (int)ix[4 * g + 1], (int)ix[4 * g + 2], (int)ix[4 * g + 3]);
		*sc = sc2(2 * (c & 15) + 1, 2 * (c >> 4) + 1);
	} else {
		const uint32_t *k = ix + 8 * g;
		*mag = _mm256_set_epi32((int)eng_iq3s_grid[k[7]], (int)eng_iq3s_grid[k[6]], (int)eng_iq3s_grid[k[5]],
			(int)eng_iq3s_grid[k[4]], (int)eng_iq3s_grid[k[3]], (int)eng_iq3s_grid[k[2]],
			(int)eng_iq3s_grid[k[1]], (int)eng_iq3s_grid[k[0]]);
		*sc = _mm256_set1_epi16((short)(2 * (b[S3_SC + g / 2] >> 4 * (g % 2) & 15) + 1));
	}
}

/* One super-block's integer sum (IQ1: 8 sumi + sumi1) with activation block a. */
INL2 int sb_isum(int type, const uint8_t *b, const uint8_t *a)
{
	const uint8_t *aq = a + A_QS;
	__m256i acc = _mm256_setzero_si256();
	const __m256i eight = _mm256_set1_epi8(8);
	int corr = 0;
	switch (type) {
	case ENG_T_IQ2_XXS: case ENG_T_IQ2_XS: case ENG_T_IQ2_S: case ENG_T_IQ3_XXS: case ENG_T_IQ3_S: {
		/* the signs as byte masks, the grid entries loaded one by one */
		uint32_t sg[8], ix[64];
		const uint32_t *sgp = grid_prep(type, b, sg, ix);
		for (int g = 0; g < 8; g++) {
			__m256i mag, sc;
			grid_group(type, b, ix, g, &mag, &sc);
			acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(mag,
				neg_where(ld256(aq + 32 * g), sign_bytes(ld32((const uint8_t *)(sgp + g))))), sc));
		}
		break;
	}
	case ENG_T_IQ1_S: {
		/* the 32 grid indices at once: qs | 3 bits of the group's qh word << 8 */
		const __m128i qh = _mm_loadu_si128((const __m128i *)(b + I1_QH));
		const __m256i h32 = _mm256_cvtepu16_epi32(qh);
		uint32_t ix[32];
		for (int p = 0; p < 4; p++) {
			const __m256i h = _mm256_permutevar8x32_epi32(h32, _mm256_set_epi32(2 * p + 1, 2 * p + 1, 2 * p + 1, 2 * p + 1,
				2 * p, 2 * p, 2 * p, 2 * p));
			const __m256i hi = _mm256_slli_epi32(_mm256_and_si256(_mm256_srlv_epi32(h, _mm256_set_epi32(9, 6, 3, 0, 9, 6, 3, 0)),
				_mm256_set1_epi32(7)), 8);
			_mm256_storeu_si256((__m256i *)(ix + 8 * p), _mm256_or_si256(hi,
				_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(b + I1_QS + 8 * p)))));
		}
		/* scales 2s+1 per group as int16 pairs; the offset and shift come back as
		 * sum over 16-element parts of scale * (16 - shift) * Q8_K's part sum */
		const __m128i ls = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(qh, 12), _mm_set1_epi16(7)), 1),
			_mm_set1_epi16(1));
		const __m128i k = _mm_mullo_epi16(ls, _mm_sub_epi16(_mm_set1_epi16(15), _mm_add_epi16(_mm_srai_epi16(qh, 15),
			_mm_srai_epi16(qh, 15))));
		const __m256i ls2 = _mm256_set_m128i(_mm_unpackhi_epi16(ls, ls), _mm_unpacklo_epi16(ls, ls));
		acc = _mm256_sub_epi32(acc, _mm256_madd_epi16(_mm256_set_m128i(_mm_unpackhi_epi16(k, k), _mm_unpacklo_epi16(k, k)),
			ld256(a + A_BS)));
		for (int g = 0; g < 8; g++) {
			const __m256i lv = g64(eng_iq1s_grid, (int)ix[4 * g], (int)ix[4 * g + 1], (int)ix[4 * g + 2], (int)ix[4 * g + 3]);
			const __m256i u = _mm256_add_epi8(_mm256_sign_epi8(eight, lv), _mm256_set1_epi8(16));
			acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, ld256(aq + 32 * g)),
				_mm256_permutevar8x32_epi32(ls2, _mm256_set1_epi32(g))));
		}
		return hsum_i32(acc);
	}
	default:   /* IQ1_M */
		for (int g = 0; g < 8; g++) {
			const uint8_t *qs = b + 4 * g;
			const int h0 = b[M1_QH + 2 * g], h1 = b[M1_QH + 2 * g + 1];
			const unsigned sw = ld16(b + M1_SC + 2 * (g / 2)) >> 6 * (g % 2);
			const int l0 = (int)(2 * (sw & 7) + 1), l1 = (int)(2 * (sw >> 3 & 7) + 1);
			const __m256i lv = g64(eng_iq1s_grid, qs[0] | (h0 & 7) << 8, qs[1] | (h0 >> 4 & 7) << 8,
				qs[2] | (h1 & 7) << 8, qs[3] | (h1 >> 4 & 7) << 8);
			const long long p = 0x1111111111111111, m = 0x0f0f0f0f0f0f0f0f;   /* 16 + 1, 16 - 1 */
			const __m256i u = _mm256_add_epi8(_mm256_sign_epi8(eight, lv), _mm256_set_epi64x(h1 & 0x80 ? m : p,
				h1 & 0x08 ? m : p, h0 & 0x80 ? m : p, h0 & 0x08 ? m : p));
			acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, ld256(aq + 32 * g)), sc2(l0, l1)));
			corr += l0 * (int16_t)ld16(a + A_BS + 4 * g) + l1 * (int16_t)ld16(a + A_BS + 4 * g + 2);
		}
		break;
	}
	return hsum_i32(acc) - 16 * corr;
}

INL2 float dot_fused(int type, int64_t n, const uint8_t *w, const uint8_t *a)
{
	const size_t ws = eng_type_get(type)->type_size;
	float sumf = 0;
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		const uint8_t *b = w + (size_t)i * ws, *ab = a + (size_t)i * A_W;
		const float f = (float)sb_isum(type, b, ab);
		const float d = h2f(type == ENG_T_IQ1_M ? eng_iq1m_d(b + M1_SC) : ld16(b));
		sumf += d * ldf32(ab + A_D) * (type == ENG_T_IQ1_S || type == ENG_T_IQ1_M ? 0.125f * f : f);
	}
	return factor(type) * sumf;
}

INL2 float dot_any(int type, int64_t n, const uint8_t *w, const uint8_t *a)
{
	if (type != ENG_T_TQ1_0 && type != ENG_T_TQ2_0)
		return dot_fused(type, n, w, a);
	const size_t ws = eng_type_get(type)->type_size;
	dec_t k;
	float sumf = 0;
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		decode(type, w + (size_t)i * ws, &k);
		sumf += term(type, &k, a + (size_t)i * A_W);
	}
	return factor(type) * sumf;
}

/* Row tiles: each weight super-block is decoded once per ACT_CHUNK activation rows; each
 * (row, activation) sum runs over the super-blocks in order, as the single dot. */
enum { ACT_CHUNK = 16 };

INL2 void rows_any(int type, int64_t n, const uint8_t *w, size_t w_stride, int n_rows, const uint8_t *act,
	size_t act_stride, int n_act, float *out, size_t out_stride)
{
	const size_t ws = eng_type_get(type)->type_size;
	const int64_t nb = n / ENG_QK_K;
	dec_t k;
	if (n_act == 1) {   /* one token: the single dots */
		for (int r = 0; r < n_rows; r++)
			out[r] = dot_any(type, n, w + (size_t)r * w_stride, act);
		return;
	}
	for (int a0 = 0; a0 < n_act; a0 += ACT_CHUNK) {
		const int na = n_act - a0 < ACT_CHUNK ? n_act - a0 : ACT_CHUNK;
		for (int r = 0; r < n_rows; r++) {
			const uint8_t *wr = w + (size_t)r * w_stride;
			float s[ACT_CHUNK] = { 0 };
			for (int64_t i = 0; i < nb; i++) {
				decode(type, wr + (size_t)i * ws, &k);
				for (int j = 0; j < na; j++)
					s[j] += term(type, &k, act + (size_t)(a0 + j) * act_stride + (size_t)i * A_W);
			}
			for (int j = 0; j < na; j++)
				out[(size_t)(a0 + j) * out_stride + (size_t)r] = factor(type) * s[j];
		}
	}
}

#define IQ_KERNELS(name, T) \
	TGT2 static float dot_##name##_avx2(int64_t n, const void *w, const void *a) \
	{ \
		return dot_any(T, n, w, a); \
	} \
	TGT2 static void rows_##name##_avx2(int64_t n, const void *w, size_t w_stride, int n_rows, const void *act, \
		size_t act_stride, int n_act, float *out, size_t out_stride) \
	{ \
		rows_any(T, n, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride); \
	}
IQ_KERNELS(iq2_xxs, ENG_T_IQ2_XXS)
IQ_KERNELS(iq2_xs, ENG_T_IQ2_XS)
IQ_KERNELS(iq2_s, ENG_T_IQ2_S)
IQ_KERNELS(iq3_xxs, ENG_T_IQ3_XXS)
IQ_KERNELS(iq3_s, ENG_T_IQ3_S)
IQ_KERNELS(iq1_s, ENG_T_IQ1_S)
IQ_KERNELS(iq1_m, ENG_T_IQ1_M)
IQ_KERNELS(tq1_0, ENG_T_TQ1_0)
IQ_KERNELS(tq2_0, ENG_T_TQ2_0)
#undef IQ_KERNELS

void eng_kernels_iq_avx2(eng_kernels *k)
{
#define SET(name, T) k->dot[T] = dot_##name##_avx2; k->rows[T] = rows_##name##_avx2
	SET(iq2_xxs, ENG_T_IQ2_XXS);
	SET(iq2_xs, ENG_T_IQ2_XS);
	SET(iq2_s, ENG_T_IQ2_S);
	SET(iq3_xxs, ENG_T_IQ3_XXS);
	SET(iq3_s, ENG_T_IQ3_S);
	SET(iq1_s, ENG_T_IQ1_S);
	SET(iq1_m, ENG_T_IQ1_M);
	SET(tq1_0, ENG_T_TQ1_0);
	SET(tq2_0, ENG_T_TQ2_0);
#undef SET
}

/* ==== AVX-512 VNNI: prefill tiles; a single token takes the AVX2 dots above ====
 * A result only needs each super-block's exact integer sum (and for IQ1 the shift sum), so a tile
 * may hold the levels in any integer layout. ib_unpack converts IB_R = 16 weight rows at a time,
 * once per call, into row-interleaved super-blocks (in memory only; the file and the loaded
 * weights are never changed): per group of 4 elements one 64-byte vector of the 16 rows' 4
 * levels as unsigned bytes, level + OFF (IQ2 / IQ3: OFF 64 over levels in [-62, 62]; TQ: OFF 1),
 * then per scale group the 16 rows' scales 2s+1 as int32, the scales as int16 pairs (for the
 * offset, taken back as OFF * sum of scale * activation sum: the types with 8 scale groups pair
 * groups 2p, 2p + 1 against the sums of 32 made from Q8_K's, the others pair the halves of each
 * group against Q8_K's sums of 16) and d.
 * IQ1's two sums fold into one: with every |sum| below 2^24 (levels -1..1, scales <= 15),
 * (float)sumi + 0.125f * (float)sumi1 == 0.125f * (float)(8 sumi + sumi1). IQ1_M's level is
 * 8 q + shift (shift +-1 per 8 elements), OFF 16. IQ1_S's level carries its group's scale,
 * q (2s + 1) (at most 15 in magnitude), OFF 16; its shift comes back with the offset from the
 * group sums, 8 x the level sum + sum of (shift (2s + 1) - 8 OFF) x each group's sum, so its
 * tile has no multiply per scale group (IQ1_S prefill tile, in cache: 181-189 -> 197-205 GMAC/s).
 * A tile of 16 rows x IB_NT tokens runs vpdpbusd with a token's 4 activation bytes as a
 * broadcast operand (one int32 lane per row), one vpmulld per scale group (not IQ1_S), and per
 * super-block the _ref's float steps (d * d_a first, then the product with
 * the converted sum, then the add; no FMA, as the _ref is compiled), so each result equals the
 * _ref's bits. Rows are padded to 16 with zero scales (their lanes are not stored). Buffer:
 * IB_KMAX / 256 super-blocks of 5696 bytes on the stack; longer rows, and batches below
 * IB_MIN_ACT tokens, take the single dots (grid types) or the AVX2 rows (same bits). */
#define TGT5V __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))
#define INL5V static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))

#define IB_R 16             /* weight rows per tile: one int32 lane each */
#define IB_NT 8             /* tokens per tile (kern_sb_dots' 8) */
#define IB_KMAX 8192        /* longest row converted */
#define IB_MIN_ACT 4        /* fewer tokens: the single dots (the tile pads to 8; measured slower at 2 and 3) */

_Static_assert(IB_NT == 8, "kern_sb_dots takes 8 tokens");

typedef struct ibblk {
	uint8_t lv[64][64];     /* group of 4 elements g: row r's 4 levels + OFF at bytes 4r..4r+3 */
	int32_t sc[16][IB_R];   /* scale 2s+1 of scale group j (8 groups of 32 or 16 of 16; TQ: none) */
	uint32_t mp[8][IB_R];   /* int16 pairs: the scales of groups 2q, 2q + 1 (8 scale groups: q < 4,
	                         * IQ1_S their shift terms), else of elements 32q..32q+15, 32q+16..32q+31 */
	float d[IB_R];
} ibblk;

_Static_assert(sizeof(ibblk) % 64 == 0, "ibblk keeps 64-byte alignment");

/* Scale groups of a type's super-block (1: no scale). */
static inline int ib_groups(int type)
{
	return type == ENG_T_TQ1_0 || type == ENG_T_TQ2_0 ? 1
		: type == ENG_T_IQ2_XS || type == ENG_T_IQ2_S || type == ENG_T_IQ1_M ? 16 : 8;
}

/* IQ1_S: each level carries its group's scale (fold), so the tile needs no scale multiply. */
static inline int ib_fold(int type) { return type == ENG_T_IQ1_S; }

/* log2 of the level offset OFF. */
static inline int ib_off_log2(int type)
{
	return type == ENG_T_TQ1_0 || type == ENG_T_TQ2_0 ? 0 : type == ENG_T_IQ1_S || type == ENG_T_IQ1_M ? 4 : 6;
}

/* Rows w (stride ws; nr <= 16 of them, the rest zero) -> blk[nb]. */
INL5V void ib_unpack(const int type, const uint8_t *w, size_t ws, int nr, int64_t nb, ibblk *blk)
{
	const size_t bw = eng_type_get(type)->type_size;
	const int G = ib_groups(type);
	const int iq1 = type == ENG_T_IQ1_S || type == ENG_T_IQ1_M;
	const __m256i off = _mm256_set1_epi8((char)(1 << ib_off_log2(type))), eight = _mm256_set1_epi8(8);
	uint8_t lv[IB_R][ENG_QK_K] __attribute__((aligned(64)));
	for (int r = nr; r < IB_R; r++)
		memset(lv[r], 0, sizeof lv[r]);
	for (int64_t i = 0; i < nb; i++) {
		ibblk *k = blk + i;
		memset(k->sc, 0, sizeof k->sc);
		memset(k->mp, 0, sizeof k->mp);
		memset(k->d, 0, sizeof k->d);
		for (int r = 0; r < nr; r++) {
			dec_t q;
			decode(type, w + (size_t)r * ws + (size_t)i * bw, &q);
			int s16[16];
			for (int g = 0; g < 8; g++) {
				__m256i v = neg_where(q.mag[g], q.sgn[g]);
				if (ib_fold(type))   /* q (2s + 1): at most 15 in magnitude */
					v = _mm256_sign_epi8(_mm256_set1_epi8((char)(q.ls1[g] < 0 ? -q.ls1[g] : q.ls1[g])), v);
				else if (iq1)   /* IQ1_M: 8 q + its shift per 8 elements */
					v = _mm256_add_epi8(_mm256_sign_epi8(eight, v), q.dl[g]);
				_mm256_store_si256((__m256i *)(lv[r] + 32 * g), _mm256_add_epi8(v, off));
				s16[2 * g] = _mm256_extract_epi16(q.sc[g], 0);
				s16[2 * g + 1] = _mm256_extract_epi16(q.sc[g], 8);
			}
			for (int j = 0; j < G && G > 1 && !ib_fold(type); j++)   /* IQ1_S: in the levels */
				k->sc[j][r] = s16[G == 16 ? j : 2 * j];
			if (G == 8)   /* per group g (sum of 32), pairs g = 2p, 2p + 1; IQ1_S: shift x (2s + 1) - 8 OFF */
				for (int p = 0; p < 4; p++) {
					int c[2];
					for (int h = 0; h < 2; h++)
						c[h] = ib_fold(type) ? q.ls1[2 * p + h] - 8 * (1 << ib_off_log2(type)) : s16[2 * (2 * p + h)];
					k->mp[p][r] = (uint32_t)(uint16_t)(int16_t)c[0] | (uint32_t)(uint16_t)(int16_t)c[1] << 16;
				}
			else   /* per 16 elements, pairs 2p, 2p + 1 */
				for (int p = 0; p < 8; p++)
					k->mp[p][r] = (uint32_t)s16[2 * p] | (uint32_t)s16[2 * p + 1] << 16;
			k->d[r] = q.d;
		}
		kern_il16x256(lv, k->lv);
	}
}

/* 16 converted rows x the first nt of IB_NT tokens from x (stride xs; the others repeat the last
 * one and are not stored); rows outside rmask are not stored. */
INL5V void ib_tile(const int type, int64_t nb, const ibblk *blk, const uint8_t *x, size_t xs, int nt,
	float *out, size_t os, __mmask16 rmask)
{
	const int G = ib_groups(type), sh = ib_off_log2(type);
	const int iq1 = type == ENG_T_IQ1_S || type == ENG_T_IQ1_M;
	const uint8_t *xt[IB_NT];
	__m512 acc[IB_NT];
#pragma GCC unroll 8
	for (int t = 0; t < IB_NT; t++) {
		xt[t] = x + (size_t)(t < nt ? t : nt - 1) * xs;
		acc[t] = _mm512_setzero_ps();
	}
	for (int64_t i = 0; i < nb; i++) {
		const ibblk *k = blk + i;
		__m512i is[IB_NT] = { { 0 } };
		const uint8_t *xq[IB_NT];
#pragma GCC unroll 8
		for (int t = 0; t < IB_NT; t++)
			xq[t] = xt[t] + (size_t)i * A_W + A_QS;
		/* TQ and IQ1_S: no scale multiply (TQ has no scales, IQ1_S's levels carry them) */
		kern_sb_dots(k->lv, G == 1 || ib_fold(type) ? NULL : k->sc, G, xq, is);
		const __m512 d = _mm512_load_ps(k->d);
#pragma GCC unroll 8
		for (int t = 0; t < IB_NT; t++) {
			const uint8_t *xb = xt[t] + (size_t)i * A_W;
			const __m512i m = G == 8 ? kern_sums32(k->mp, xb + A_BS) : kern_sums16(k->mp, xb + A_BS);
			__m512 f = _mm512_cvtepi32_ps(ib_fold(type) ? _mm512_add_epi32(_mm512_slli_epi32(is[t], 3), m)
				: _mm512_sub_epi32(is[t], _mm512_slli_epi32(m, sh)));
			if (iq1)
				f = _mm512_mul_ps(f, _mm512_set1_ps(0.125f));
			acc[t] = _mm512_add_ps(acc[t], _mm512_mul_ps(_mm512_mul_ps(d, _mm512_set1_ps(ldf32(xb + A_D))), f));
		}
	}
	const __m512 fa = _mm512_set1_ps(factor(type));
#pragma GCC unroll 8
	for (int t = 0; t < IB_NT; t++)
		if (t < nt)
			_mm512_mask_storeu_ps(out + (size_t)t * os, rmask, _mm512_mul_ps(fa, acc[t]));
}

INL5V void ib_rows(const int type, int64_t n, const uint8_t *w, size_t ws, int n_rows, const uint8_t *x,
	size_t xs, int n_act, float *out, size_t os)
{
	const int64_t nb = n / ENG_QK_K;
	ibblk blk[IB_KMAX / ENG_QK_K] __attribute__((aligned(64)));
	for (int r0 = 0; r0 < n_rows; r0 += IB_R) {
		const int nr = n_rows - r0 < IB_R ? n_rows - r0 : IB_R;
		ib_unpack(type, w + (size_t)r0 * ws, ws, nr, nb, blk);
		for (int t0 = 0; t0 < n_act; t0 += IB_NT)
			ib_tile(type, nb, blk, x + (size_t)t0 * xs, xs, n_act - t0 < IB_NT ? n_act - t0 : IB_NT,
				out + (size_t)t0 * os + r0, os, (__mmask16)((1u << nr) - 1));
	}
}

/* The grid types' single dot with AVX-512VL (IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S): per super-block
 * the 32 sign bytes and grid indices (grid_prep), then per group maddubs of the gathered
 * magnitudes (grid_group) with the activations negated by the sign bytes as a mask (one masked
 * subtract per group), madd with the scales 2s+1. Same integer sums and float steps as the _ref. */
INL5V float dot_grid5(int type, int64_t n, const uint8_t *w, const uint8_t *a)
{
	const size_t ws = eng_type_get(type)->type_size;
	float sumf = 0;
	for (int64_t i = 0; i < n / ENG_QK_K; i++) {
		const uint8_t *b = w + (size_t)i * ws, *ab = a + (size_t)i * A_W;
		uint32_t sg[8], ix[64];
		const uint32_t *sgp = grid_prep(type, b, sg, ix);
		__m256i acc = _mm256_setzero_si256();
		for (int g = 0; g < 8; g++) {
			__m256i mag, sc;
			grid_group(type, b, ix, g, &mag, &sc);
			const __m256i q = ld256(ab + A_QS + 32 * g);
			uint32_t m;
			memcpy(&m, sgp + g, sizeof m);
			acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(mag,
				_mm256_mask_sub_epi8(q, (__mmask32)m, _mm256_setzero_si256(), q)), sc));
		}
		sumf += h2f(ld16(b)) * ldf32(ab + A_D) * (float)hsum_i32(acc);
	}
	return factor(type) * sumf;
}

#define GRID5(name, T) \
	TGT5V static float dot_##name##_512(int64_t n, const void *w, const void *a) { return dot_grid5(T, n, w, a); }
GRID5(iq2_xxs, ENG_T_IQ2_XXS)
GRID5(iq2_xs, ENG_T_IQ2_XS)
GRID5(iq2_s, ENG_T_IQ2_S)
GRID5(iq3_xxs, ENG_T_IQ3_XXS)
GRID5(iq3_s, ENG_T_IQ3_S)
#undef GRID5

/* The types with a dot_grid5. */
static inline int grid5(int type)
{
	return type == ENG_T_IQ2_XXS || type == ENG_T_IQ2_XS || type == ENG_T_IQ2_S || type == ENG_T_IQ3_XXS || type == ENG_T_IQ3_S;
}

#define IQ_KERNELS5(name, T) \
	TGT5V static void rows_##name##_512(int64_t n, const void *w, size_t w_stride, int n_rows, const void *act, \
		size_t act_stride, int n_act, float *out, size_t out_stride) \
	{ \
		if (n_act >= IB_MIN_ACT && n <= IB_KMAX) \
			ib_rows(T, n, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride); \
		else if (eng_iq_dec_rows(T, n, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride) == 0) \
			return; \
		else if (grid5(T)) \
			for (int a_ = 0; a_ < n_act; a_++) \
				for (int r_ = 0; r_ < n_rows; r_++) \
					out[(size_t)a_ * out_stride + (size_t)r_] = dot_grid5(T, n, (const uint8_t *)w + (size_t)r_ * w_stride, \
						(const uint8_t *)act + (size_t)a_ * act_stride); \
		else \
			rows_any(T, n, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride); \
	}
IQ_KERNELS5(iq2_xxs, ENG_T_IQ2_XXS)
IQ_KERNELS5(iq2_xs, ENG_T_IQ2_XS)
IQ_KERNELS5(iq2_s, ENG_T_IQ2_S)
IQ_KERNELS5(iq3_xxs, ENG_T_IQ3_XXS)
IQ_KERNELS5(iq3_s, ENG_T_IQ3_S)
IQ_KERNELS5(iq1_s, ENG_T_IQ1_S)
IQ_KERNELS5(iq1_m, ENG_T_IQ1_M)
IQ_KERNELS5(tq1_0, ENG_T_TQ1_0)
IQ_KERNELS5(tq2_0, ENG_T_TQ2_0)
#undef IQ_KERNELS5

void eng_kernels_iq_avx512(eng_kernels *k)
{
	eng_iq_dec_init();   /* the one-token kernels of quant_iq_dec_x86.c (where the CPU has VBMI) */
#define SET(name, T) k->dot[T] = dot_##name##_avx2; k->rows[T] = rows_##name##_512
	SET(iq2_xxs, ENG_T_IQ2_XXS);
	SET(iq2_xs, ENG_T_IQ2_XS);
	SET(iq2_s, ENG_T_IQ2_S);
	SET(iq3_xxs, ENG_T_IQ3_XXS);
	SET(iq3_s, ENG_T_IQ3_S);
	SET(iq1_s, ENG_T_IQ1_S);
	SET(iq1_m, ENG_T_IQ1_M);
	SET(tq1_0, ENG_T_TQ1_0);
	SET(tq2_0, ENG_T_TQ2_0);
#undef SET
	k->dot[ENG_T_IQ2_XXS] = dot_iq2_xxs_512;
	k->dot[ENG_T_IQ2_XS] = dot_iq2_xs_512;
	k->dot[ENG_T_IQ2_S] = dot_iq2_s_512;
	k->dot[ENG_T_IQ3_XXS] = dot_iq3_xxs_512;
	k->dot[ENG_T_IQ3_S] = dot_iq3_s_512;
}

#else
/* ISO C forbids an empty translation unit. */
typedef int eng_quant_iq_x86_unused;
#endif
