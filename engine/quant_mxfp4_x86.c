/* engine/quant_mxfp4_x86.c — x86 dot products of MXFP4 weight rows with Q8_0 activations, for
 * the AVX2 and AVX-512 (+ VNNI) kernel levels (quant_x86.c registers them). The E2M1 codes
 * become int8 levels through a 16-entry table lookup (pshufb), as the IQ4_NL kernels do; the
 * integer block sums are exact, the float block terms are added in the order described with each
 * kernel, so results differ from dot_mxfp4 (quant.c) only in the last bits (test_kernels.c and
 * test_gptoss.c bound it). Block layout: quant_impl.h, docs/quant-formats.md "MXFP4". */
#if defined(__x86_64__) || defined(__i386__)

#include "engine/kern_load.h"
#include "engine/quant_impl.h"

#include <immintrin.h>
#include <math.h>
#include <stddef.h>

#define TGT2 __attribute__((target("avx2,fma,f16c")))
#define TGT5 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))
#define INL2 static inline __attribute__((always_inline, target("avx2,fma,f16c")))

enum {
	MX_W = sizeof(eng_blk_mxfp4), MX_QS = offsetof(eng_blk_mxfp4, qs),
	Q8_W = sizeof(eng_blk_q8_0), Q8_QS = offsetof(eng_blk_q8_0, qs)
};

/* The block's scale product: the activation's fp16 d times 2^(e-128), as dot_mxfp4. */
INL2 float mx_scale(const uint8_t *w, const uint8_t *a)
{
	return _cvtsh_ss(ld16(a)) * eng_e8m0_half(w[0]);
}

/* The 32 levels of one block as int8: element j < 16 from the low nibble of qs[j], j >= 16 from
 * the high nibble of qs[j - 16]. */
INL2 __m256i mx_levels(const uint8_t *b)
{
	const __m128i q = _mm_loadu_si128((const __m128i *)(b + MX_QS));
	const __m128i m = _mm_set1_epi8(0x0f);
	const __m256i idx = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), m), _mm_and_si128(q, m));
	const __m256i tbl = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)eng_mxfp4_values));
	return _mm256_shuffle_epi8(tbl, idx);
}

/* 8 int32 lanes summing the 32 products (lane k: elements 4k..4k+3). Levels are within +-12,
 * so maddubs' pair sums cannot saturate. */
INL2 __m256i mx_mul(__m256i w, __m256i a)
{
	const __m256i p = _mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(a, w));
	return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

INL2 float mx_hsum8(__m256 v)
{
	__m128 s = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

INL2 int mx_hsum8i(__m256i s)
{
	__m128i t = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
	t = _mm_add_epi32(t, _mm_unpackhi_epi64(t, t));
	t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 1));
	return _mm_cvtsi128_si32(t);
}

/* AVX2: blocks in pairs into two 8-lane accumulators (fma of the scale product with the lane
 * sums), their sum reduced pairwise; an odd last block is added in scalar. The activation quants
 * must lie in [-127, 127] (sign_epi8), as the Q8_0 activation quantizers give. */
TGT2 float eng_dot_mxfp4_avx2(int64_t n, const void *wv, const void *av)
{
	const uint8_t *w = wv, *x = av;
	const int64_t nb = n / ENG_QK;
	__m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
	int64_t i = 0;
	for (; i + 2 <= nb; i += 2) {
		const uint8_t *b0 = w + (size_t)i * MX_W, *a0 = x + (size_t)i * Q8_W;
		const uint8_t *b1 = b0 + MX_W, *a1 = a0 + Q8_W;
		const __m256i s0 = mx_mul(mx_levels(b0), _mm256_loadu_si256((const __m256i *)(a0 + Q8_QS)));
		const __m256i s1 = mx_mul(mx_levels(b1), _mm256_loadu_si256((const __m256i *)(a1 + Q8_QS)));
		acc0 = _mm256_fmadd_ps(_mm256_set1_ps(mx_scale(b0, a0)), _mm256_cvtepi32_ps(s0), acc0);
		acc1 = _mm256_fmadd_ps(_mm256_set1_ps(mx_scale(b1, a1)), _mm256_cvtepi32_ps(s1), acc1);
	}
	float sum = mx_hsum8(_mm256_add_ps(acc0, acc1));
	if (i < nb) {
		const uint8_t *b = w + (size_t)i * MX_W, *a = x + (size_t)i * Q8_W;
		const __m256i s = mx_mul(mx_levels(b), _mm256_loadu_si256((const __m256i *)(a + Q8_QS)));
		sum = fmaf(mx_scale(b, a), (float)mx_hsum8i(s), sum);
	}
	return sum;
}

/* AVX-512: two blocks per 512-bit register (lanes 0..7 the first block's sums, 8..15 the
 * second's) by vpdpbusd of |a| with the levels carrying a's sign (any int8 activation), an fma
 * with the two scale products into one 16-lane accumulator, reduced pairwise at the end; an odd
 * last block is added in scalar as in the AVX2 kernel. */
TGT5 float eng_dot_mxfp4_avx512(int64_t n, const void *wv, const void *av)
{
	const uint8_t *w = wv, *x = av;
	const int64_t nb = n / ENG_QK;
	__m512 acc = _mm512_setzero_ps();
	int64_t i = 0;
	for (; i + 2 <= nb; i += 2) {
		const uint8_t *b0 = w + (size_t)i * MX_W, *a0 = x + (size_t)i * Q8_W;
		const uint8_t *b1 = b0 + MX_W, *a1 = a0 + Q8_W;
		const __m512i lv = _mm512_inserti64x4(_mm512_castsi256_si512(mx_levels(b0)), mx_levels(b1), 1);
		const __m512i q = _mm512_inserti64x4(
			_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(a0 + Q8_QS))),
			_mm256_loadu_si256((const __m256i *)(a1 + Q8_QS)), 1);
		const __mmask64 neg = _mm512_movepi8_mask(q);
		const __m512i sw = _mm512_mask_sub_epi8(lv, neg, _mm512_setzero_si512(), lv);
		const __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_abs_epi8(q), sw);
		const __m512 d = _mm512_insertf32x8(_mm512_set1_ps(mx_scale(b0, a0)), _mm256_set1_ps(mx_scale(b1, a1)), 1);
		acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(s), acc);
	}
	const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(acc), _mm512_extractf32x8_ps(acc, 1));
	float sum = mx_hsum8(h);
	if (i < nb) {
		const uint8_t *b = w + (size_t)i * MX_W, *a = x + (size_t)i * Q8_W;
		const __m256i q = _mm256_loadu_si256((const __m256i *)(a + Q8_QS));
		const __m256i lv = mx_levels(b);
		const __m256i sw = _mm256_mask_sub_epi8(lv, _mm256_movepi8_mask(q), _mm256_setzero_si256(), lv);
		const __m256i s = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(q), sw);
		sum = fmaf(mx_scale(b, a), (float)mx_hsum8i(s), sum);
	}
	return sum;
}

#else
/* ISO C forbids an empty translation unit. */
typedef int eng_quant_mxfp4_x86_unused;
#endif
