/* engine/quant_x86.c — x86 kernels for the element types: dot products and activation
 * quantizers for AVX2 + FMA + F16C and for AVX-512 (F/BW/VL/DQ + VNNI), each function compiled
 * for its level with a target attribute (the file itself is built with the project's plain
 * flags), plus the CPU check that says which level may run. quant_dispatch.c picks the level;
 * tests/engine/test_kernels.c checks every kernel against its _ref. Block layouts: quant_impl.h. */
#if defined(__x86_64__) || defined(__i386__)

#include "engine/kern_load.h"
#include "engine/quant_impl.h"

#include <cpuid.h>
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#define TGT2 __attribute__((target("avx2,fma,f16c")))
#define TGT5 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))
/* Helpers are forced inline so that the callers' constant arguments (type, tile shape, chunk)
 * specialise them; the target must match the caller's. */
#define INL2 static inline __attribute__((always_inline, target("avx2,fma,f16c")))
#define INL5 static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))

int eng_x86_level(void)
{
	unsigned a, b, c, d;
	int f16c = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);

	__builtin_cpu_init();
	/* __builtin_cpu_supports also checks that the OS saves the AVX / AVX-512 state */
	if (!f16c || !__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
		return 0;
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
	    __builtin_cpu_supports("avx512vnni"))
		return 2;
	return 1;
}

/* ---- scalar loads (any alignment; the integer ones are in engine/kern_load.h) ------------------ */

INL2 float h2f(const uint8_t *p)
{
	return _cvtsh_ss(ld16(p));      /* exact, as eng_f16_to_f32 */
}

/* ---- K-quant scales, decoded once per super-block -------------------------------------------
 * Each gives the 6-bit (or 4-bit) group values as bytes, little-endian in a uint64_t. */

/* Q4_K / Q5_K: the 8 scales and 8 mins (layout in quant_impl.h / docs/quant-formats.md). */
static inline void k4_scales(const uint8_t s[12], uint64_t *sc, uint64_t *mn)
{
	const uint32_t u0 = ld32(s), u1 = ld32(s + 4), u2 = ld32(s + 8);
	const uint32_t sc_hi = (u2 & 0x0f0f0f0fu) | ((u0 >> 6) & 0x03030303u) << 4;
	const uint32_t mn_hi = ((u2 >> 4) & 0x0f0f0f0fu) | ((u1 >> 6) & 0x03030303u) << 4;
	*sc = (uint64_t)(u0 & 0x3f3f3f3fu) | (uint64_t)sc_hi << 32;
	*mn = (uint64_t)(u1 & 0x3f3f3f3fu) | (uint64_t)mn_hi << 32;
}

/* Q3_K: the 16 scales, offset by 32 (0..63): groups 0..7 in *lo, 8..15 in *hi. */
static inline void q3k_scales(const uint8_t s[12], uint64_t *lo, uint64_t *hi)
{
	const uint64_t l8 = ld64(s);
	const uint32_t h4 = ld32(s + 8);
	const uint64_t ha = (uint64_t)(h4 & 0x03030303u) | (uint64_t)((h4 >> 2) & 0x03030303u) << 32;
	const uint64_t hb = (uint64_t)((h4 >> 4) & 0x03030303u) | (uint64_t)((h4 >> 6) & 0x03030303u) << 32;
	*lo = (l8 & 0x0f0f0f0f0f0f0f0full) | ha << 4;
	*hi = ((l8 >> 4) & 0x0f0f0f0f0f0f0f0full) | hb << 4;
}

/* IQ4_XS: the 8 scales, offset by 32 (0..63). */
static inline uint64_t iq4xs_scales(const uint8_t *b)
{
	const uint32_t sl = ld32(b + offsetof(eng_blk_iq4_xs, scales_l));
	const uint32_t sh = ld16(b + offsetof(eng_blk_iq4_xs, scales_h));
	/* nibble g (bits 4g..4g+3 of sl) and 2-bit field g of sh spread to byte g by halving steps */
	uint64_t lo = sl, hi = sh;
	lo = (lo | lo << 16) & 0x0000ffff0000ffffull;
	lo = (lo | lo << 8) & 0x00ff00ff00ff00ffull;
	lo = (lo | lo << 4) & 0x0f0f0f0f0f0f0f0full;
	hi = (hi | hi << 24) & 0x000000ff000000ffull;
	hi = (hi | hi << 12) & 0x000f000f000f000full;
	hi = (hi | hi << 6) & 0x0303030303030303ull;
	return lo | hi << 4;
}

/* Order B (docs/quant-formats.md, "Order B"): every super-block type's x86 kernels (Q2_K ..
 * Q6_K, IQ4_XS) take per super-block the exact integer sum of all its scaled products (and of
 * min * group sums), then a scalar sequence of FMAs per (row, token). The 32-element types
 * take the `_ref`'s order (eng_b32_step, quant_impl.h).
 *
 * The order-B types with a min term (imin): */
static inline int order_b_mins(const int type)
{
	return type == ENG_T_Q2_K || type == ENG_T_Q4_K || type == ENG_T_Q5_K;
}

/* order_b_step, the float steps of order B for one super-block, per (row, token), in scalar
 * terms (every kernel below does exactly this, per lane or on lane 0):
 *     acc = fmaf(d_w * d_a, (float)isum, acc);
 *     if (mins) acc = fmaf(-(dmin_w * d_a), (float)imin, acc);          (Q2_K, Q4_K, Q5_K) */

/* ==== AVX2 ==================================================================================== */

/* The pairwise sum of 16 lanes (eng_sum16) held as lanes 0..7 in lo and 8..15 in hi. */
INL2 float sum16_avx2(__m256 lo, __m256 hi)
{
	const __m256 a = _mm256_add_ps(hi, lo);                        /* a[i] = l[i+8] + l[i] */
	const __m128 b = _mm_add_ps(_mm256_extractf128_ps(a, 1), _mm256_castps256_ps128(a));
	const __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));           /* b0+b2, b1+b3 */
	return _mm_cvtss_f32(_mm_add_ss(c, _mm_movehdup_ps(c)));
}

/* Order B for up to 4 super-blocks at once (decode: one reduction instead of four): their 8
 * int32 lanes l[k] and 4 min lanes m[k] reduced together to isum and imin, then order_b_step
 * for super-block 0 .. cnt-1 in turn. */
INL2 float order_b_flush(float acc, const __m256i l[4], const __m128i m[4], const float *d, const float *dmin,
	const float *da, int cnt, int mins)
{
	const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(l[0], l[1]), _mm256_hadd_epi32(l[2], l[3]));
	const __m128i s = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
	const __m128i mm = _mm_hadd_epi32(_mm_hadd_epi32(m[0], m[1]), _mm_hadd_epi32(m[2], m[3]));
	/* isum, imin as floats; then order_b_step in scalar registers, the products d * da and
	 * dmin * da formed there too (one multiply each, as the scalar definition) */
	float v[4], w[4];
	_mm_storeu_ps(v, _mm_cvtepi32_ps(s));
	_mm_storeu_ps(w, _mm_cvtepi32_ps(mm));
#pragma GCC unroll 4
	for (int k = 0; k < 4; k++) {
		if (k >= cnt)
			break;
		acc = fmaf(d[k] * da[k], v[k], acc);
		if (mins)
			acc = fmaf(-(dmin[k] * da[k]), w[k], acc);
	}
	return acc;
}

INL2 __m256 ld8_f32(const float *p) { return _mm256_loadu_ps(p); }
INL2 __m256 ld8_f16(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }

/* F32 and F16 in the _ref's order (ORDERED_DOT in quant.c), bit for bit: 16 lanes of FMAs as two
 * 8-lane halves, or four 16-lane sets per 64 elements and a double tail. */
#define ORDERED_AVX2(LD, TAIL)                                                                \
	do {                                                                                  \
		if (n % 16 == 0) {                                                            \
			__m256 l0 = _mm256_setzero_ps(), l1 = _mm256_setzero_ps();            \
			for (int64_t i = 0; i < n; i += 16) {                                 \
				l0 = _mm256_fmadd_ps(LD(x + i), LD(y + i), l0);               \
				l1 = _mm256_fmadd_ps(LD(x + i + 8), LD(y + i + 8), l1);       \
			}                                                                     \
			return sum16_avx2(l0, l1);                                            \
		}                                                                             \
		__m256 acc[4][2];                                                             \
		for (int k = 0; k < 4; k++)                                                   \
			acc[k][0] = acc[k][1] = _mm256_setzero_ps();                          \
		const int64_t np = n & ~(int64_t)63;                                          \
		for (int64_t i = 0; i < np; i += 64)                                          \
			for (int k = 0; k < 4; k++)                                           \
				for (int h = 0; h < 2; h++)                                   \
					acc[k][h] = _mm256_fmadd_ps(LD(x + i + 16 * k + 8 * h), \
						LD(y + i + 16 * k + 8 * h), acc[k][h]);       \
		for (int h = 0; h < 2; h++) {                                                 \
			acc[0][h] = _mm256_add_ps(acc[0][h], acc[2][h]);                      \
			acc[1][h] = _mm256_add_ps(acc[1][h], acc[3][h]);                      \
			acc[0][h] = _mm256_add_ps(acc[0][h], acc[1][h]);                      \
		}                                                                             \
		double s = sum16_avx2(acc[0][0], acc[0][1]);                                  \
		for (int64_t i = np; i < n; i++)                                              \
			s += (double)(TAIL(x + i) * TAIL(y + i));                             \
		return (float)s;                                                              \
	} while (0)

/* Tail elements through memcpy: rows may sit at any address. */
#define TAIL_F32(p) ldf32((const uint8_t *)(p))
#define TAIL_F16(p) _cvtsh_ss(ld16((const uint8_t *)(p)))
#define TAIL_BF16(p) eng_bf16_to_f32(ld16((const uint8_t *)(p)))

TGT2 static float dot_f32_avx2(int64_t n, const void *w, const void *act)
{
	const float *x = w, *y = act;
	ORDERED_AVX2(ld8_f32, TAIL_F32);
}

TGT2 static float dot_f16_avx2(int64_t n, const void *w, const void *act)
{
	const uint16_t *x = w, *y = act;
	ORDERED_AVX2(ld8_f16, TAIL_F16);
}

INL2 __m256 ld8_bf16(const uint16_t *p)
{
	const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
	return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

/* BF16: float products (exact for all but overflowing or tiny values, and the same rounding as
 * the _ref's where not) summed in double, in another order than the _ref. */
TGT2 static float dot_bf16_avx2(int64_t n, const void *w, const void *act)
{
	const uint16_t *x = w, *y = act;
	__m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
	int64_t i = 0;
	for (; i + 8 <= n; i += 8) {
		const __m256 p = _mm256_mul_ps(ld8_bf16(x + i), ld8_bf16(y + i));
		s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(p)));
		s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(p, 1)));
	}
	s0 = _mm256_add_pd(s0, s1);
	__m128d t = _mm_add_pd(_mm256_castpd256_pd128(s0), _mm256_extractf128_pd(s0, 1));
	double s = _mm_cvtsd_f64(_mm_add_sd(t, _mm_unpackhi_pd(t, t)));
	for (; i < n; i++)
		s += (double)(TAIL_BF16(x + i) * TAIL_BF16(y + i));
	return (float)s;
}

/* ---- AVX2: 32-element block types ------------------------------------------------------------
 * Per block: 32 weights as bytes (signed, or unsigned for Q4_1/Q5_1), times the 32 activation
 * quants: maddubs(|w|, sign(a, w)) is exact while a != -128 (see quant_impl.h). */

INL2 __m256i nibbles32(const uint8_t *qs)          /* 16 bytes -> 32 values 0..15, block order */
{
	const __m128i b = _mm_loadu_si128((const __m128i *)qs);
	const __m128i m = _mm_set1_epi8(0x0f);
	return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b, 4), m), _mm_and_si128(b, m));
}

/* 0x10 in byte j where bit j of the 32-bit qh is set. */
INL2 __m256i hbits32(const uint8_t *qh)
{
	const __m256i v = _mm256_set1_epi32((int)ld32(qh));
	const __m256i shuf = _mm256_set_epi64x(0x0303030303030303ll, 0x0202020202020202ll,
		0x0101010101010101ll, 0);
	const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
	const __m256i sel = _mm256_and_si256(_mm256_shuffle_epi8(v, shuf), bit);
	return _mm256_and_si256(_mm256_cmpeq_epi8(sel, bit), _mm256_set1_epi8(0x10));
}

INL2 __m256i iq4_lookup32(__m256i idx)
{
	const __m256i tbl = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)eng_iq4_values));
	return _mm256_shuffle_epi8(tbl, idx);
}

/* Sum of 32 products as 8 int32 lanes: signed w, or unsigned (0..31) when uns. */
INL2 __m256i mul32(__m256i w, __m256i a, int uns)
{
	const __m256i p = uns ? _mm256_maddubs_epi16(w, a)
		: _mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(a, w));
	return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

/* The 32 weights of block b as bytes: signed levels, or unsigned ones for Q4_1 / Q5_1. */
INL2 __m256i b32_weights(const int type, const uint8_t *b)
{
	switch (type) {
	case ENG_T_Q4_0:
		return _mm256_sub_epi8(nibbles32(b + offsetof(eng_blk_q4_0, qs)), _mm256_set1_epi8(8));
	case ENG_T_Q4_1:
		return nibbles32(b + offsetof(eng_blk_q4_1, qs));
	case ENG_T_Q5_0:
		return _mm256_sub_epi8(_mm256_or_si256(nibbles32(b + offsetof(eng_blk_q5_0, qs)),
			hbits32(b + offsetof(eng_blk_q5_0, qh))), _mm256_set1_epi8(16));
	case ENG_T_Q5_1:
		return _mm256_or_si256(nibbles32(b + offsetof(eng_blk_q5_1, qs)), hbits32(b + offsetof(eng_blk_q5_1, qh)));
	case ENG_T_Q8_0:
		return _mm256_loadu_si256((const __m256i *)(b + offsetof(eng_blk_q8_0, qs)));
	default:
		return iq4_lookup32(nibbles32(b + offsetof(eng_blk_iq4_nl, qs)));
	}
}

/* The 32-element types in the `_ref`'s order: the exact integer sum of every block (8 blocks'
 * lanes reduced together), then eng_b32_step block after block; NR rows (stride ws) at once, their
 * float chains interleaved, into acc[r]. */
INL2 void rb_dot_avx2(const int type, const int NR, int64_t n, const uint8_t *w, size_t ws, const uint8_t *x,
	float *acc)
{
	const int64_t nb = n / ENG_QK;
	const int q81 = eng_b32_q81(type);
	const size_t B = eng_b32_size(type), BA = eng_b32_act_size(type), Q = eng_b32_act_qs(type);
	for (int r = 0; r < NR; r++)
		acc[r] = 0.0f;
	for (int64_t i = 0; i < nb; i += 8) {
		const int m = nb - i < 8 ? (int)(nb - i) : 8;
		float f[4][8];
#pragma GCC unroll 4
		for (int r = 0; r < NR; r++) {
			__m256i s[8];
			for (size_t o = 0; o < 8 * B; o += 64)   /* as rb_row: the row NR rows on */
				_mm_prefetch((const char *)w + (size_t)(r + NR) * ws + (size_t)i * B + o, _MM_HINT_T0);
#pragma GCC unroll 8
			for (int k = 0; k < 8; k++)
				s[k] = k < m ? mul32(b32_weights(type, w + (size_t)r * ws + (size_t)(i + k) * B),
					_mm256_loadu_si256((const __m256i *)(x + (size_t)(i + k) * BA + Q)), q81) : _mm256_setzero_si256();
			/* per 128-bit half: [s0 s1 s2 s3] of lanes 0..3 (low half) or 4..7 */
			const __m256i q0 = _mm256_hadd_epi32(_mm256_hadd_epi32(s[0], s[1]), _mm256_hadd_epi32(s[2], s[3]));
			const __m256i q1 = _mm256_hadd_epi32(_mm256_hadd_epi32(s[4], s[5]), _mm256_hadd_epi32(s[6], s[7]));
			_mm256_storeu_ps(f[r], _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_permute2x128_si256(q0, q1, 0x20),
				_mm256_permute2x128_si256(q0, q1, 0x31))));
		}
		for (int k = 0; k < m; k++) {
			const uint8_t *a = x + (size_t)(i + k) * BA;
			const float da = h2f(a), sa = q81 ? h2f(a + offsetof(eng_blk_q8_1, s)) : 0.0f;
#pragma GCC unroll 4
			for (int r = 0; r < NR; r++) {
				const uint8_t *b = w + (size_t)r * ws + (size_t)(i + k) * B;
				acc[r] = eng_b32_step(type, acc[r], f[r][k], h2f(b), q81 ? h2f(b + offsetof(eng_blk_q4_1, m)) : 0.0f, da, sa);
			}
		}
	}
}

/* Rows of the 32-element types: 4 rows at a time per activation (rb_dot_avx2). */
INL2 void rb_rows_avx2(const int type, int64_t n, const uint8_t *w, size_t ws, int n_rows, const uint8_t *x,
	size_t xs, int n_act, float *out, size_t os)
{
	for (int t = 0; t < n_act; t++) {
		int r = 0;
		for (; r + 4 <= n_rows; r += 4)
			rb_dot_avx2(type, 4, n, w + (size_t)r * ws, ws, x + (size_t)t * xs, out + (size_t)t * os + r);
		for (; r < n_rows; r++)
			rb_dot_avx2(type, 1, n, w + (size_t)r * ws, ws, x + (size_t)t * xs, out + (size_t)t * os + r);
	}
}

#define RB_AVX2(name, T)                                                                        \
	TGT2 static float dot_##name##_avx2(int64_t n, const void *w, const void *a)          \
	{                                                                                     \
		float o;                                                                      \
		rb_dot_avx2(T, 1, n, w, 0, a, &o);                                            \
		return o;                                                                     \
	}                                                                                     \
	TGT2 static void rows_##name##_avx2(int64_t n, const void *w, size_t ws, int n_rows,  \
		const void *act, size_t xs, int n_act, float *out, size_t os)                 \
	{                                                                                     \
		rb_rows_avx2(T, n, w, ws, n_rows, act, xs, n_act, out, os);                   \
	}
RB_AVX2(q4_0, ENG_T_Q4_0)
RB_AVX2(q4_1, ENG_T_Q4_1)
RB_AVX2(q5_0, ENG_T_Q5_0)
RB_AVX2(q5_1, ENG_T_Q5_1)
RB_AVX2(q8_0, ENG_T_Q8_0)
RB_AVX2(iq4_nl, ENG_T_IQ4_NL)


/* ---- AVX2: K-quants ---------------------------------------------------------------------------
 * Per super-block, chunk j (elements 32j..32j+31) becomes 32 unsigned levels u (Q3_K, Q6_K with
 * an offset taken back through the group sums; IQ4_XS signed table values), multiplied with the
 * activations by maddubs into 16 pair sums and by madd with the group scales into 8 int32
 * lanes. The min (Q2_K, Q4_K, Q5_K) or offset term comes from Q8_K's group sums. */

typedef struct kprep2 {
	int16_t sc[16];    /* scale per group of 16 */
	__m256i mn;        /* Q2_K: 16 int16 mins per group of 16; Q4_K / Q5_K: 8 mins, each twice */
	float d, dmin;
} kprep2;

INL2 void kprep_avx2(const int type, const uint8_t *b, kprep2 *p)
{
	uint64_t s0, s1;
	__m128i v;
	switch (type) {
	case ENG_T_Q2_K: {
		const __m128i s = _mm_loadu_si128((const __m128i *)(b + offsetof(eng_blk_q2_K, scales)));
		const __m128i m = _mm_set1_epi8(0x0f);
		_mm256_storeu_si256((__m256i *)p->sc, _mm256_cvtepu8_epi16(_mm_and_si128(s, m)));
		p->mn = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(s, 4), m));
		p->d = h2f(b + offsetof(eng_blk_q2_K, d));
		p->dmin = h2f(b + offsetof(eng_blk_q2_K, dmin));
		return;
	}
	case ENG_T_Q3_K:
		q3k_scales(b + offsetof(eng_blk_q3_K, scales), &s0, &s1);
		v = _mm_sub_epi8(_mm_set_epi64x((long long)s1, (long long)s0), _mm_set1_epi8(32));
		p->d = h2f(b + offsetof(eng_blk_q3_K, d));
		p->dmin = 0;
		_mm256_storeu_si256((__m256i *)p->sc, _mm256_cvtepi8_epi16(v));
		p->mn = _mm256_setzero_si256();     /* the -4 offset is taken element by element */
		return;
	case ENG_T_Q4_K:
	case ENG_T_Q5_K:
		k4_scales(b + offsetof(eng_blk_q4_K, scales), &s0, &s1);   /* same offsets in Q5_K */
		v = _mm_cvtsi64_si128((long long)s0);
		_mm256_storeu_si256((__m256i *)p->sc, _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(v, v)));
		v = _mm_cvtsi64_si128((long long)s1);
		p->mn = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(v, v));
		p->d = h2f(b + offsetof(eng_blk_q4_K, d));
		p->dmin = h2f(b + offsetof(eng_blk_q4_K, dmin));
		return;
	case ENG_T_Q6_K:
		v = _mm_loadu_si128((const __m128i *)(b + offsetof(eng_blk_q6_K, scales)));
		_mm256_storeu_si256((__m256i *)p->sc, _mm256_cvtepi8_epi16(v));
		p->mn = _mm256_setzero_si256();     /* the -32 offset is taken element by element */
		p->d = h2f(b + offsetof(eng_blk_q6_K, d));
		p->dmin = 0;
		return;
	default:   /* IQ4_XS: signed table values, no offset */
		v = _mm_sub_epi8(_mm_cvtsi64_si128((long long)iq4xs_scales(b)), _mm_set1_epi8(32));
		_mm256_storeu_si256((__m256i *)p->sc, _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(v, v)));
		p->mn = _mm256_setzero_si256();
		p->d = h2f(b + offsetof(eng_blk_iq4_xs, d));
		p->dmin = 0;
		return;
	}
}

/* The levels of elements 32j..32j+31 (see the block layouts in quant_impl.h). */
INL2 __m256i kchunk_avx2(const int type, const uint8_t *b, int j)
{
	const __m256i m3 = _mm256_set1_epi8(3), m15 = _mm256_set1_epi8(0x0f);
	const __m128i sh2 = _mm_cvtsi32_si128(2 * (j % 4));
	__m256i v, h;
	switch (type) {
	case ENG_T_Q2_K:
		v = _mm256_loadu_si256((const __m256i *)(b + offsetof(eng_blk_q2_K, qs) + 32 * (j / 4)));
		return _mm256_and_si256(_mm256_srl_epi16(v, sh2), m3);
	case ENG_T_Q3_K:
		v = _mm256_loadu_si256((const __m256i *)(b + offsetof(eng_blk_q3_K, qs) + 32 * (j / 4)));
		v = _mm256_and_si256(_mm256_srl_epi16(v, sh2), m3);
		h = _mm256_loadu_si256((const __m256i *)(b + offsetof(eng_blk_q3_K, hmask)));
		h = _mm256_and_si256(_mm256_srl_epi16(h, _mm_cvtsi32_si128(j)), _mm256_set1_epi8(1));
		return _mm256_or_si256(v, _mm256_slli_epi16(h, 2));
	case ENG_T_Q4_K:
	case ENG_T_Q5_K: {
		const size_t qs = type == ENG_T_Q4_K ? offsetof(eng_blk_q4_K, qs) : offsetof(eng_blk_q5_K, qs);
		v = _mm256_loadu_si256((const __m256i *)(b + qs + 32 * (j / 2)));
		v = _mm256_and_si256(_mm256_srl_epi16(v, _mm_cvtsi32_si128(4 * (j % 2))), m15);
		if (type == ENG_T_Q4_K)
			return v;
		h = _mm256_loadu_si256((const __m256i *)(b + offsetof(eng_blk_q5_K, qh)));
		h = _mm256_and_si256(_mm256_srl_epi16(h, _mm_cvtsi32_si128(j)), _mm256_set1_epi8(1));
		return _mm256_or_si256(v, _mm256_slli_epi16(h, 4));
	}
	case ENG_T_Q6_K: {
		const int c = j / 4, part = j % 4;
		v = _mm256_loadu_si256((const __m256i *)(b + offsetof(eng_blk_q6_K, ql) + 64 * c + 32 * (part & 1)));
		v = _mm256_and_si256(_mm256_srl_epi16(v, _mm_cvtsi32_si128(part < 2 ? 0 : 4)), m15);
		h = _mm256_loadu_si256((const __m256i *)(b + offsetof(eng_blk_q6_K, qh) + 32 * c));
		h = _mm256_and_si256(_mm256_srl_epi16(h, _mm_cvtsi32_si128(2 * part)), m3);
		return _mm256_or_si256(v, _mm256_slli_epi16(h, 4));
	}
	default:   /* IQ4_XS: group j is bytes 16j..16j+15, low nibbles first */
		return iq4_lookup32(nibbles32(b + offsetof(eng_blk_iq4_xs, qs) + 16 * j));
	}
}

/* Per super-block 8 int32 lanes (lane k = elements 4k..4k+3 of every 32-element chunk; Q3_K
 * and Q6_K take their level offset element by element), reduced with the 4 min lanes (Q2_K,
 * Q4_K, Q5_K) to isum and imin, then order_b_step (every type here is in order B). */
INL2 float kq_dot_avx2(const int type, int64_t n, const uint8_t *w, const uint8_t *x)
{
	const int64_t nb = n / ENG_QK_K;
	size_t ws;
	float accb = 0.0f, pd[4] = { 0 }, pdm[4] = { 0 }, pda[4] = { 0 };
	__m256i pl[4] = { { 0 } };
	__m128i pm[4] = { { 0 } };

	switch (type) {
	case ENG_T_Q2_K: ws = sizeof(eng_blk_q2_K); break;
	case ENG_T_Q3_K: ws = sizeof(eng_blk_q3_K); break;
	case ENG_T_Q4_K: ws = sizeof(eng_blk_q4_K); break;
	case ENG_T_Q5_K: ws = sizeof(eng_blk_q5_K); break;
	case ENG_T_Q6_K: ws = sizeof(eng_blk_q6_K); break;
	default: ws = sizeof(eng_blk_iq4_xs); break;
	}
	for (int64_t i0 = 0; i0 < nb; i0 += 4) {
#pragma GCC unroll 4
	for (int q = 0; q < 4; q++) {   /* unrolled: the lanes of 4 super-blocks stay in registers */
		const int64_t i = i0 + q;
		if (i >= nb)
			break;
		const uint8_t *b = w + (size_t)i * ws, *a = x + (size_t)i * sizeof(eng_blk_q8_K);
		const float da = ldf32(a + offsetof(eng_blk_q8_K, d));
		const __m256i bs = _mm256_loadu_si256((const __m256i *)(a + offsetof(eng_blk_q8_K, bsums)));
		const int off = type == ENG_T_Q3_K ? 4 : type == ENG_T_Q6_K ? 32 : 0;
		kprep2 p;
		__m256i isum = _mm256_setzero_si256();
		__m128i prod4 = _mm_setzero_si128();

		kprep_avx2(type, b, &p);
		if (type == ENG_T_Q2_K) {   /* imin: 16 mins times the sums of 16, folded to 4 lanes */
			const __m256i m = _mm256_madd_epi16(p.mn, bs);
			prod4 = _mm_add_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
		}
		if (type == ENG_T_Q4_K || type == ENG_T_Q5_K) {
			/* lane j: m[2j] * g[2j] + m[2j+1] * g[2j+1], g = sums of 32 */
			const __m128i g = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
			const __m128i mins = _mm_shuffle_epi8(_mm256_castsi256_si128(p.mn),
				_mm_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, 0, 1, 4, 5, 8, 9, 12, 13));
			const __m128i m8 = _mm_unpacklo_epi64(mins, _mm_shuffle_epi8(_mm256_extracti128_si256(p.mn, 1),
				_mm_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, 0, 1, 4, 5, 8, 9, 12, 13)));
			prod4 = _mm_madd_epi16(m8, g);
		}
		for (int j = 0; j < 8; j++) {
			const __m256i wv = kchunk_avx2(type, b, j);
			const __m256i av = _mm256_loadu_si256((const __m256i *)(a + offsetof(eng_blk_q8_K, qs) + 32 * j));
			const __m256i sc = _mm256_set_m128i(_mm_set1_epi16(p.sc[2 * j + 1]), _mm_set1_epi16(p.sc[2 * j]));
			__m256i pr = type == ENG_T_IQ4_XS
				? _mm256_maddubs_epi16(_mm256_abs_epi8(wv), _mm256_sign_epi8(av, wv))
				: _mm256_maddubs_epi16(wv, av);
			if (off)
				pr = _mm256_sub_epi16(pr, _mm256_maddubs_epi16(_mm256_set1_epi8((char)off), av));
			isum = _mm256_add_epi32(isum, _mm256_madd_epi16(pr, sc));
		}
		pl[q] = isum;   /* 4 super-blocks reduced together */
		pm[q] = prod4;
		pd[q] = p.d;
		pdm[q] = p.dmin;
		pda[q] = da;
	}
	accb = order_b_flush(accb, pl, pm, pd, pdm, pda, nb - i0 < 4 ? (int)(nb - i0) : 4, order_b_mins(type));
	}
	return accb;
}

TGT2 static float dot_q2_K_avx2(int64_t n, const void *w, const void *a) { return kq_dot_avx2(ENG_T_Q2_K, n, w, a); }
TGT2 static float dot_q3_K_avx2(int64_t n, const void *w, const void *a) { return kq_dot_avx2(ENG_T_Q3_K, n, w, a); }
TGT2 static float dot_q4_K_avx2(int64_t n, const void *w, const void *a) { return kq_dot_avx2(ENG_T_Q4_K, n, w, a); }
TGT2 static float dot_q5_K_avx2(int64_t n, const void *w, const void *a) { return kq_dot_avx2(ENG_T_Q5_K, n, w, a); }
TGT2 static float dot_q6_K_avx2(int64_t n, const void *w, const void *a) { return kq_dot_avx2(ENG_T_Q6_K, n, w, a); }
TGT2 static float dot_iq4_xs_avx2(int64_t n, const void *w, const void *a) { return kq_dot_avx2(ENG_T_IQ4_XS, n, w, a); }

/* ---- AVX2: activation quantizers ------------------------------------------------------------
 * The _ref's arithmetic lane by lane: the same float multiply, the same round-half-even trick
 * (add 1.5 * 2^23, read the low mantissa bits) so that even NaN lanes give the same bytes, the
 * same clamp. The largest magnitude ignores NaN, as the _ref's strict comparison does. */

INL2 __m256 abs8(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

/* max(m, |v|), NaN lanes of v ignored (MAXPS returns its second operand when one is NaN). */
INL2 __m256 amax8(__m256 m, __m256 v) { return _mm256_max_ps(abs8(v), m); }

INL2 float hmax8(__m256 v)
{
	__m128 m = _mm_max_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
	m = _mm_max_ps(m, _mm_movehl_ps(m, m));
	return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}

/* iclamp(round_ne(v), -128, 127) of quant.c, per lane. */
INL2 __m256i round_ne8(__m256 v)
{
	const __m256 t = _mm256_add_ps(v, _mm256_set1_ps(12582912.0f));
	__m256i u = _mm256_and_si256(_mm256_castps_si256(t), _mm256_set1_epi32(0x007fffff));
	u = _mm256_sub_epi32(u, _mm256_set1_epi32(0x00400000));
	return _mm256_max_epi32(_mm256_min_epi32(u, _mm256_set1_epi32(127)), _mm256_set1_epi32(-128));
}

/* Four vectors of 8 int32 in [-128, 127] -> 32 int8 in order. */
INL2 __m256i pack32(__m256i q0, __m256i q1, __m256i q2, __m256i q3)
{
	const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3));
	return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

TGT2 static void act_q8_0_avx2(const float *x, void *dst, int64_t nb)
{
	uint8_t *y = dst;
	for (int64_t i = 0; i < nb; i++, x += ENG_QK, y += sizeof(eng_blk_q8_0)) {
		__m256 v[4], m = _mm256_setzero_ps();
		for (int k = 0; k < 4; k++) {
			v[k] = _mm256_loadu_ps(x + 8 * k);
			m = amax8(m, v[k]);
		}
		const float amax = hmax8(m);
		const float d = amax / 127.f;
		const float id = amax != 0.0f ? 127.f / amax : 0.0f;
		const uint16_t dh = eng_f32_to_f16(d);
		const __m256 vid = _mm256_set1_ps(id);
		__m256i q[4];
		for (int k = 0; k < 4; k++)
			q[k] = round_ne8(_mm256_mul_ps(v[k], vid));
		memcpy(y, &dh, sizeof dh);
		_mm256_storeu_si256((__m256i *)(y + offsetof(eng_blk_q8_0, qs)), pack32(q[0], q[1], q[2], q[3]));
	}
}

/* Group sums of 256 int8 (8 vectors of 32, two groups each) -> 16 int16 at out. */
INL2 void bsums16(const __m256i *q, uint8_t *out)
{
	const __m256i one8 = _mm256_set1_epi8(1), one16 = _mm256_set1_epi16(1);
	__m256i t[8];
	for (int k = 0; k < 8; k++)      /* lanes 0..3: group 2k in quarters, 4..7: group 2k+1 */
		t[k] = _mm256_madd_epi16(_mm256_maddubs_epi16(one8, q[k]), one16);
	const __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(t[0], t[1]), _mm256_hadd_epi32(t[2], t[3]));
	const __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(t[4], t[5]), _mm256_hadd_epi32(t[6], t[7]));
	/* a: [G0 G2 G4 G6 | G1 G3 G5 G7], b likewise for 8..15 */
	const __m256i p = _mm256_packs_epi32(a, b);   /* [G0 G2 .. G14 | G1 G3 .. G15] */
	const __m128i lo = _mm256_castsi256_si128(p), hi = _mm256_extracti128_si256(p, 1);
	_mm_storeu_si128((__m128i *)out, _mm_unpacklo_epi16(lo, hi));
	_mm_storeu_si128((__m128i *)(out + 16), _mm_unpackhi_epi16(lo, hi));
}

TGT2 static void act_q8_K_avx2(const float *x, void *dst, int64_t nb)
{
	uint8_t *y = dst;
	for (int64_t i = 0; i < nb; i++, x += ENG_QK_K, y += sizeof(eng_blk_q8_K)) {
		__m256 m = _mm256_setzero_ps();
		for (int k = 0; k < 32; k++)
			m = amax8(m, _mm256_loadu_ps(x + 8 * k));
		const float amax = hmax8(m);
		if (amax == 0.0f) {
			memset(y, 0, sizeof(eng_blk_q8_K));
			continue;
		}
		/* the signed value of the first element of largest magnitude */
		const __m256 va = _mm256_set1_ps(amax);
		int first = 0;
		for (int k = 0; k < 32; k++) {
			const int hit = _mm256_movemask_ps(_mm256_cmp_ps(abs8(_mm256_loadu_ps(x + 8 * k)), va, _CMP_EQ_OQ));
			if (hit) {
				first = 8 * k + __builtin_ctz((unsigned)hit);
				break;
			}
		}
		const float iscale = -127.f / x[first];
		const __m256 vs = _mm256_set1_ps(iscale);
		__m256i q8[8];
		for (int k = 0; k < 8; k++) {
			__m256i q[4];
			for (int j = 0; j < 4; j++)
				q[j] = round_ne8(_mm256_mul_ps(vs, _mm256_loadu_ps(x + 32 * k + 8 * j)));
			q8[k] = pack32(q[0], q[1], q[2], q[3]);
			_mm256_storeu_si256((__m256i *)(y + offsetof(eng_blk_q8_K, qs) + 32 * k), q8[k]);
		}
		bsums16(q8, y + offsetof(eng_blk_q8_K, bsums));
		const float d = 1 / iscale;
		memcpy(y, &d, sizeof d);
	}
}

/* F16 activations: hardware rounding (nearest even, as eng_f32_to_f16), and NaN made the
 * canonical quiet NaN with its sign as the software conversion does. */
/* 8 floats to F16 as eng_f32_to_f16: round to nearest even, NaNs to the canonical quiet NaN
 * with their sign. */
INL2 __m128i cvt8_f16(__m256 v)
{
	__m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	const __m256i nan32 = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
	const __m128i nan = _mm_packs_epi32(_mm256_castsi256_si128(nan32), _mm256_extracti128_si256(nan32, 1));
	const __m128i canon = _mm_or_si128(_mm_and_si128(h, _mm_set1_epi16((short)0x8000)), _mm_set1_epi16(0x7e00));
	return _mm_blendv_epi8(h, canon, nan);
}

TGT2 static void act_f16_avx2(const float *x, void *dst, int64_t n)
{
	uint16_t *y = dst;
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		_mm_storeu_si128((__m128i *)(y + i), cvt8_f16(_mm256_loadu_ps(x + i)));
	for (; i < n; i++) {
		const uint16_t h = eng_f32_to_f16(x[i]);
		memcpy(y + i, &h, sizeof h);
	}
}

/* ---- AVX2: the softmax's exponentials (eng_exp_sum) ----------------------------------------
 * eng_expf's operations on 8 lanes (the same constants, fused multiply-adds and exponent add),
 * so every lane gives its bits; the 16 double lanes of the sum in four registers (lanes 0-3,
 * 4-7, 8-11, 12-15), added as the definition says; the tail through eng_expf itself. */
INL2 __m256 expf8_avx2(__m256 x)
{
	const __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q), lo = _mm256_cmp_ps(x, _mm256_set1_ps(-87.0f), _CMP_LT_OQ);
	const __m256 xc = _mm256_min_ps(x, _mm256_set1_ps(88.0f));
	const __m256 t = _mm256_fmadd_ps(xc, _mm256_set1_ps(1.44269504f), _mm256_set1_ps(12582912.0f));
	const __m256 nf = _mm256_sub_ps(t, _mm256_set1_ps(12582912.0f));
	__m256 r = _mm256_fmadd_ps(nf, _mm256_set1_ps(-0.693145751953125f), xc), p;
	r = _mm256_fmadd_ps(nf, _mm256_set1_ps(-1.42860677e-06f), r);
	p = _mm256_set1_ps(1.0f / 5040);
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
	const __m256i e = _mm256_slli_epi32(_mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(0x4B400000)), 23);
	p = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p), e));
	p = _mm256_andnot_ps(lo, p);
	return _mm256_blendv_ps(p, x, nan);
}

/* The softmax's scale and maximum (eng_scale_max): _mm256_max_ps(v, m) is `v > m ? v : m`
 * (a NaN v, or a tie, keeps m), lane by lane, then the lanes in turn. */
TGT2 static void scale_max_avx2(float *x, int64_t n, float s, float *mx)
{
	const __m256 vs = _mm256_set1_ps(s);
	__m256 m = _mm256_set1_ps(*mx);
	float l[8], r = *mx;
	int64_t p = 0;

	for (; p + 8 <= n; p += 8) {
		const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + p), vs);
		_mm256_storeu_ps(x + p, v);
		m = _mm256_max_ps(v, m);
	}
	_mm256_storeu_ps(l, m);
	for (int j = 0; j < 8; j++)
		r = l[j] > r ? l[j] : r;
	for (; p < n; p++) {
		x[p] *= s;
		r = x[p] > r ? x[p] : r;
	}
	*mx = r;
}

/* eng_axpy_rows for rows one by one: 8 lanes, then 1, at a time, each element's sums in j order. */
TGT2 static void axpy_rows_tail_avx2(float *o, size_t os, int ng, const float *w, size_t ws, const float *x,
	size_t xs, int nj, int64_t n)
{
	for (int g = 0; g < ng; g++) {
		float *og = o + (size_t)g * os;
		const float *wg = w + (size_t)g * ws;
		int64_t i = 0;

		for (; i + 8 <= n; i += 8) {
			__m256 acc = _mm256_loadu_ps(og + i);

			for (int j = 0; j < nj; j++)
				acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_broadcast_ss(wg + j), _mm256_loadu_ps(x + (size_t)j * xs + (size_t)i)));
			_mm256_storeu_ps(og + i, acc);
		}
		for (; i < n; i++)
			for (int j = 0; j < nj; j++) {
				const float p = wg[j] * x[(size_t)j * xs + (size_t)i];

				og[i] = og[i] + p;
			}
	}
}

/* eng_axpy_rows: a product, then a sum, each rounded (no FMA). Register tiles of 4 rows of o x
 * 32 elements stay in registers over all nj (each x vector loaded once for the 4 rows); the
 * other rows and elements go through the tail. Each element's sums run in j order. */
TGT2 static void axpy_rows_avx2(float *o, size_t os, int ng, const float *w, size_t ws, const float *x, size_t xs,
	int nj, int64_t n)
{
	int g = 0;

	for (; g + 4 <= ng; g += 4) {
		int64_t i = 0;

		for (; i + 32 <= n; i += 32) {
			__m256 acc[4][4];
#pragma GCC unroll 4
			for (int r = 0; r < 4; r++)
#pragma GCC unroll 4
				for (int k = 0; k < 4; k++)
					acc[r][k] = _mm256_loadu_ps(o + (size_t)(g + r) * os + (size_t)i + 8 * k);
			for (int j = 0; j < nj; j++) {
				const float *xj = x + (size_t)j * xs + (size_t)i;
				__m256 xv[4];
#pragma GCC unroll 4
				for (int k = 0; k < 4; k++)
					xv[k] = _mm256_loadu_ps(xj + 8 * k);
#pragma GCC unroll 4
				for (int r = 0; r < 4; r++) {
					const __m256 vw = _mm256_broadcast_ss(w + (size_t)(g + r) * ws + (size_t)j);
#pragma GCC unroll 4
					for (int k = 0; k < 4; k++)
						acc[r][k] = _mm256_add_ps(acc[r][k], _mm256_mul_ps(vw, xv[k]));
				}
			}
#pragma GCC unroll 4
			for (int r = 0; r < 4; r++)
#pragma GCC unroll 4
				for (int k = 0; k < 4; k++)
					_mm256_storeu_ps(o + (size_t)(g + r) * os + (size_t)i + 8 * k, acc[r][k]);
		}
		if (i < n)
			axpy_rows_tail_avx2(o + (size_t)g * os + (size_t)i, os, 4, w + (size_t)g * ws, ws, x + i, xs, nj, n - i);
	}
	if (g < ng)
		axpy_rows_tail_avx2(o + (size_t)g * os, os, ng - g, w + (size_t)g * ws, ws, x, xs, nj, n);
}

/* F16 -> F32, exact (F16C; NaNs quieted with their payload, as eng_f16_to_f32). */
TGT2 static void deq_f16_avx2(const void *src, float *dst, int64_t n)
{
	const uint16_t *h = src;
	int64_t i = 0;

	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))));
	for (; i < n; i++)
		dst[i] = eng_f16_to_f32(h[i]);
}

/* eng_scale_row: the softmax's 1/sum, into F16 weights when h is given. */
TGT2 static void scale_row_avx2(float *x, int64_t n, float s, uint16_t *h)
{
	const __m256 vs = _mm256_set1_ps(s);
	int64_t p = 0;

	for (; p + 8 <= n; p += 8) {
		const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + p), vs);
		if (h)
			_mm_storeu_si128((__m128i *)(h + p), cvt8_f16(v));
		else
			_mm256_storeu_ps(x + p, v);
	}
	for (; p < n; p++) {
		if (h)
			h[p] = eng_f32_to_f16(x[p] * s);
		else
			x[p] *= s;
	}
}

/* eng_delta_rows as delta_rows_512 (below), in 32-row blocks of four 8-lane vectors; the last
 * nr % 32 rows through the _ref (rows are independent). Separate multiplies and adds. */
TGT2 static void delta_rows_avx2(float *S, int D, int r0, int nr, int n, const float *q, const float *k,
	size_t in_stride, const float *v, float *out, size_t out_stride, const float *sc, size_t sc_stride)
{
	const __m256 scale = _mm256_set1_ps(1.0f / sqrtf((float)D));
	const __m256 lo = _mm256_set1_ps(-1e6f), hi = _mm256_set1_ps(1e6f);
	int rb = r0;

	for (; rb + 32 <= r0 + nr; rb += 32) {
		float *Sb = S + rb;
		__m256 vp[4], op[4], vn[4];

		for (int u = 0; u < 4; u++)
			vp[u] = op[u] = _mm256_setzero_ps();
		for (int col = 0; col < D; col++) {
			const float *Sc = Sb + (size_t)col * (size_t)D;
			const __m256 kc = _mm256_set1_ps(k[col]), qc = _mm256_set1_ps(q[col]);

			for (int u = 0; u < 4; u++) {
				const __m256 s = _mm256_loadu_ps(Sc + 8 * u);

				vp[u] = _mm256_add_ps(vp[u], _mm256_mul_ps(s, kc));
				op[u] = _mm256_add_ps(op[u], _mm256_mul_ps(s, qc));
			}
		}
		for (int t = 0; t < n; t++) {
			const float *st = sc + (size_t)t * sc_stride, *kt = k + (size_t)t * in_stride, ki = st[3];
			const __m256 beta = _mm256_set1_ps(st[0]), decay = _mm256_set1_ps(st[1]);
			const __m256 qi = _mm256_set1_ps(st[2]), kiv = _mm256_set1_ps(ki), score = _mm256_set1_ps(st[4]);
			const float *vt = v + (size_t)t * in_stride + rb;
			float *ot = out + (size_t)t * out_stride + rb;

			for (int u = 0; u < 4; u++) {
				vn[u] = _mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(vt + 8 * u), beta),
					_mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(vp[u], beta), decay), kiv));
				_mm256_storeu_ps(ot + 8 * u, _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(op[u], decay),
					qi), scale), _mm256_mul_ps(vn[u], score)));
				vp[u] = op[u] = _mm256_setzero_ps();
			}
			if (t + 1 < n) {
				const float *kn = kt + in_stride, *qn = q + (size_t)(t + 1) * in_stride;

				for (int col = 0; col < D; col++) {
					float *Sc = Sb + (size_t)col * (size_t)D;
					const __m256 kc = _mm256_set1_ps(kt[col] * ki), kx = _mm256_set1_ps(kn[col]);
					const __m256 qx = _mm256_set1_ps(qn[col]);

					for (int u = 0; u < 4; u++) {
						const __m256 x = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(_mm256_mul_ps(decay,
							_mm256_loadu_ps(Sc + 8 * u)), _mm256_mul_ps(vn[u], kc)), lo), hi);

						_mm256_storeu_ps(Sc + 8 * u, x);
						vp[u] = _mm256_add_ps(vp[u], _mm256_mul_ps(x, kx));
						op[u] = _mm256_add_ps(op[u], _mm256_mul_ps(x, qx));
					}
				}
			} else {
				for (int col = 0; col < D; col++) {
					float *Sc = Sb + (size_t)col * (size_t)D;
					const __m256 kc = _mm256_set1_ps(kt[col] * ki);

					for (int u = 0; u < 4; u++)
						_mm256_storeu_ps(Sc + 8 * u, _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(_mm256_mul_ps(decay,
							_mm256_loadu_ps(Sc + 8 * u)), _mm256_mul_ps(vn[u], kc)), lo), hi));
				}
			}
		}
	}
	if (rb < r0 + nr)
		eng_delta_rows_ref(S, D, rb, r0 + nr - rb, n, q, k, in_stride, v, out, out_stride, sc, sc_stride);
}

TGT2 static void silu_mul_avx2(float *g, const float *u, int64_t n)
{
	int64_t i = 0;

	for (; i + 8 <= n; i += 8) {
		const __m256 x = _mm256_loadu_ps(g + i);
		const __m256 e = expf8_avx2(_mm256_xor_ps(x, _mm256_set1_ps(-0.0f)));
		_mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e)),
			_mm256_loadu_ps(u + i)));
	}
	for (; i < n; i++)
		g[i] = g[i] / (1.0f + eng_expf(-g[i])) * u[i];
}

TGT2 static double exp_sum_avx2(float *sc, int64_t n, float mx)
{
	const __m256 m = _mm256_set1_ps(mx);
	__m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
	int64_t p = 0;
	double t;

	for (; p + 16 <= n; p += 16) {
		const __m256 e0 = expf8_avx2(_mm256_sub_ps(_mm256_loadu_ps(sc + p), m));
		const __m256 e1 = expf8_avx2(_mm256_sub_ps(_mm256_loadu_ps(sc + p + 8), m));
		_mm256_storeu_ps(sc + p, e0);
		_mm256_storeu_ps(sc + p + 8, e1);
		s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e0)));
		s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e0, 1)));
		s2 = _mm256_add_pd(s2, _mm256_cvtps_pd(_mm256_castps256_ps128(e1)));
		s3 = _mm256_add_pd(s3, _mm256_cvtps_pd(_mm256_extractf128_ps(e1, 1)));
	}
	/* lanes j + 8, then + 4, + 2, + 1 */
	const __m256d t4 = _mm256_add_pd(_mm256_add_pd(s0, s2), _mm256_add_pd(s1, s3));
	const __m128d t2 = _mm_add_pd(_mm256_castpd256_pd128(t4), _mm256_extractf128_pd(t4, 1));
	t = _mm_cvtsd_f64(_mm_add_sd(t2, _mm_unpackhi_pd(t2, t2)));
	for (; p < n; p++) {
		sc[p] = eng_expf(sc[p] - mx);
		t += (double)sc[p];
	}
	return t;
}

void eng_kernels_avx2(eng_kernels *k)
{
	k->expsum = exp_sum_avx2;
	k->silu_mul = silu_mul_avx2;
	k->delta_rows = delta_rows_avx2;
	k->scale_max = scale_max_avx2;
	k->scale_row = scale_row_avx2;
	k->axpy_rows = axpy_rows_avx2;
	k->deq_f16 = deq_f16_avx2;
	k->dot[ENG_T_F32] = dot_f32_avx2;
	k->dot[ENG_T_F16] = dot_f16_avx2;
	k->dot[ENG_T_BF16] = dot_bf16_avx2;
	k->dot[ENG_T_Q4_0] = dot_q4_0_avx2;
	k->dot[ENG_T_Q4_1] = dot_q4_1_avx2;
	k->dot[ENG_T_Q5_0] = dot_q5_0_avx2;
	k->dot[ENG_T_Q5_1] = dot_q5_1_avx2;
	k->dot[ENG_T_Q8_0] = dot_q8_0_avx2;
	k->dot[ENG_T_IQ4_NL] = dot_iq4_nl_avx2;
	k->rows[ENG_T_Q4_0] = rows_q4_0_avx2;
	k->rows[ENG_T_Q4_1] = rows_q4_1_avx2;
	k->rows[ENG_T_Q5_0] = rows_q5_0_avx2;
	k->rows[ENG_T_Q5_1] = rows_q5_1_avx2;
	k->rows[ENG_T_Q8_0] = rows_q8_0_avx2;
	k->rows[ENG_T_IQ4_NL] = rows_iq4_nl_avx2;
	k->dot[ENG_T_Q2_K] = dot_q2_K_avx2;
	k->dot[ENG_T_Q3_K] = dot_q3_K_avx2;
	k->dot[ENG_T_Q4_K] = dot_q4_K_avx2;
	k->dot[ENG_T_Q5_K] = dot_q5_K_avx2;
	k->dot[ENG_T_Q6_K] = dot_q6_K_avx2;
	k->dot[ENG_T_IQ4_XS] = dot_iq4_xs_avx2;
	k->dot[ENG_T_MXFP4] = eng_dot_mxfp4_avx2;   /* quant_mxfp4_x86.c */
	eng_kernels_iq_avx2(k);   /* quant_iq_x86.c: the IQ1/IQ2/IQ3 and TQ types */
	k->act[ENG_T_Q8_0] = act_q8_0_avx2;
	k->act[ENG_T_Q8_K] = act_q8_K_avx2;
	k->act[ENG_T_F16] = act_f16_avx2;
}

/* ==== AVX-512 ================================================================================= */

INL5 float sum16_512(__m512 v)
{
	const __m256 a = _mm256_add_ps(_mm512_extractf32x8_ps(v, 1), _mm512_castps512_ps256(v));
	const __m128 b = _mm_add_ps(_mm256_extractf128_ps(a, 1), _mm256_castps256_ps128(a));
	const __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));
	return _mm_cvtss_f32(_mm_add_ss(c, _mm_movehdup_ps(c)));
}

/* sum16_512 of 16 vectors at once: the same additions in the same pairings (lanes i + i+8,
 * then i + i+4, then i + i+2, then the last pair), with 16 independent sums transposed into
 * the lanes as the tree goes, so each result has sum16_512's bits; res[k] = sum of v[k]. */
INL5 void sum16x16_512(const __m512 v[16], float res[16])
{
	__m512 a[8], b[4], c[2];
#pragma GCC unroll 8
	for (int k = 0; k < 8; k++)   /* [v2k lanes 0..7 | v2k+1 lanes 0..7] + the lanes 8..15 */
		a[k] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * k], v[2 * k + 1], _MM_SHUFFLE(3, 2, 3, 2)),
			_mm512_shuffle_f32x4(v[2 * k], v[2 * k + 1], _MM_SHUFFLE(1, 0, 1, 0)));
#pragma GCC unroll 4
	for (int k = 0; k < 4; k++)   /* 128-bit lane j: sum j of 4 (v4k .. v4k+3), lanes i + i+4 */
		b[k] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * k], a[2 * k + 1], _MM_SHUFFLE(3, 1, 3, 1)),
			_mm512_shuffle_f32x4(a[2 * k], a[2 * k + 1], _MM_SHUFFLE(2, 0, 2, 0)));
#pragma GCC unroll 2
	for (int k = 0; k < 2; k++)   /* 128-bit lane j: [s(4k'..) lanes 0+2, 1+3 of b[2k], then of b[2k+1]] */
		c[k] = _mm512_add_ps(_mm512_shuffle_ps(b[2 * k], b[2 * k + 1], _MM_SHUFFLE(3, 2, 3, 2)),
			_mm512_shuffle_ps(b[2 * k], b[2 * k + 1], _MM_SHUFFLE(1, 0, 1, 0)));
	/* 128-bit lane j, element e: the sum of v[4 * e + j] */
	const __m512 d = _mm512_add_ps(_mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(3, 1, 3, 1)),
		_mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(2, 0, 2, 0)));
	_mm512_storeu_ps(res, _mm512_permutexvar_ps(_mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1,
		12, 8, 4, 0), d));
}

INL5 __m512 ld16_f32(const void *p) { return _mm512_loadu_ps(p); }
INL5 __m512 ld16_f16(const void *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }

/* One (row, activation) pair of F32 / F16 in the _ref's order, any n. */
#define ORDERED_512(LD, TAIL)                                                             \
	do {                                                                                  \
		if (n % 16 == 0) {                                                            \
			__m512 l = _mm512_setzero_ps();                                       \
			for (int64_t i = 0; i < n; i += 16)                                   \
				l = _mm512_fmadd_ps(LD(x + i), LD(y + i), l);                 \
			return sum16_512(l);                                                  \
		}                                                                             \
		__m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                   \
		const int64_t np = n & ~(int64_t)63;                                          \
		for (int64_t i = 0; i < np; i += 64) {                                        \
			a0 = _mm512_fmadd_ps(LD(x + i), LD(y + i), a0);                       \
			a1 = _mm512_fmadd_ps(LD(x + i + 16), LD(y + i + 16), a1);             \
			a2 = _mm512_fmadd_ps(LD(x + i + 32), LD(y + i + 32), a2);             \
			a3 = _mm512_fmadd_ps(LD(x + i + 48), LD(y + i + 48), a3);             \
		}                                                                             \
		a0 = _mm512_add_ps(a0, a2);                                                   \
		a1 = _mm512_add_ps(a1, a3);                                                   \
		double s = sum16_512(_mm512_add_ps(a0, a1));                                  \
		for (int64_t i = np; i < n; i++)                                              \
			s += (double)(TAIL(x + i) * TAIL(y + i));                             \
		return (float)s;                                                              \
	} while (0)

TGT5 static float dot_f32_512(int64_t n, const void *w, const void *act)
{
	const float *x = w, *y = act;
	ORDERED_512(ld16_f32, TAIL_F32);
}

TGT5 static float dot_f16_512(int64_t n, const void *w, const void *act)
{
	const uint16_t *x = w, *y = act;
	ORDERED_512(ld16_f16, TAIL_F16);
}

/* Register-tile shapes (rows x 4 activations for prefill, rows x 1 for decode), chosen by timing
 * on the development machine (decode of the quantized types reads one row at a time: the
 * weights then stream from memory in one sequential run per thread, which the hardware
 * prefetchers follow far better than several short interleaved rows, 1.3-1.6x here); -DFP_TR=... and so on override them all for tuning (arrays below
 * hold up to 8 rows). */
/* Decode kernels stream weights from memory with little work per byte, and each row's
 * instructions fill the out-of-order window before enough cache misses are in flight; a
 * software prefetch this many bytes ahead in every row keeps the memory busy. */
#ifndef PF_DIST
#define PF_DIST 2048
#endif
/* The F32 / F16 decode tile reads 8 rows side by side, so its prefetch runs 8 x this far ahead
 * of the loads in all: 512 per row beat 2048 by 8-13 % in F16 decode (TinyLlama shape, 2
 * threads, three alternating rounds; 768 and 1024 came between). */
#ifndef FP_PF_DIST
#define FP_PF_DIST 512
#endif
#ifndef FP_BR
#define FP_BR 4
#define FP_BA 6
#endif
#ifndef FP_TR
#define FP_TR 4
#define FP_DR 8
#define KQ_TR 2
#define KQ_DR 1
#endif

/* F32 / F16 tiles for n % 16 == 0: NR rows x NA activations (of the weights' type), one 16-lane
 * accumulator per pair, each exactly the single dot's. */
INL5 void fp_tile(const int f16, const int NR, const int NA, int64_t n, const uint8_t *w, size_t ws,
	const uint8_t *x, size_t xs, float *out, size_t os)
{
	const size_t es = f16 ? 2 : 4;
	__m512 acc[8][8];
#pragma GCC unroll 8
	for (int r = 0; r < NR; r++)
#pragma GCC unroll 8
		for (int a = 0; a < NA; a++)
			acc[r][a] = _mm512_setzero_ps();
	for (int64_t i = 0; i < n; i += 16) {
		__m512 wv[8];
		if (NA == 1 && ((i * (int64_t)es) & 63) == 0)
#pragma GCC unroll 8
			for (int r = 0; r < NR; r++)
				_mm_prefetch((const char *)w + r * ws + (size_t)i * es + FP_PF_DIST, _MM_HINT_T0);
#pragma GCC unroll 8
		for (int r = 0; r < NR; r++)
			wv[r] = f16 ? ld16_f16(w + r * ws + (size_t)i * es) : ld16_f32(w + r * ws + (size_t)i * es);
#pragma GCC unroll 8
		for (int a = 0; a < NA; a++) {
			const __m512 av = f16 ? ld16_f16(x + a * xs + (size_t)i * es) : ld16_f32(x + a * xs + (size_t)i * es);
#pragma GCC unroll 8
			for (int r = 0; r < NR; r++)
				acc[r][a] = _mm512_fmadd_ps(wv[r], av, acc[r][a]);
		}
	}
	if (NR * NA >= 16) {   /* 16 sums at a time, transposed (the last group padded) */
		__m512 g[16];
		float res[16];
		int k = 0;
		/* activation by activation, so the results of one go to consecutive floats of out:
		 * plain stores (the compiler made the other order a scatter, slow on some CPUs) */
#pragma GCC unroll 8
		for (int a = 0; a < NA; a++)
#pragma GCC unroll 8
			for (int r = 0; r < NR; r++) {
				g[k % 16] = acc[r][a];
				if (++k % 16 == 0 || k == NR * NA) {
					const int n0 = (k - 1) / 16 * 16;
					for (int z = k - n0; z < 16; z++)
						g[z] = _mm512_setzero_ps();
					sum16x16_512(g, res);
					for (int j = n0; j < k;) {   /* a run of one activation's rows */
						const int len = NR - j % NR < k - j ? NR - j % NR : k - j;
						memcpy(out + (size_t)(j / NR) * os + j % NR, res + (j - n0),
							sizeof(float) * (size_t)len);
						j += len;
					}
				}
			}
		return;
	}
#pragma GCC unroll 8
	for (int r = 0; r < NR; r++)
#pragma GCC unroll 8
		for (int a = 0; a < NA; a++)
			out[a * os + r] = sum16_512(acc[r][a]);
}

/* One pass of NA activations at x (row stride xs) over all n_rows rows of w into o: tiles of TR
 * rows, then single rows for those left. */
#define ROWS_PASS(TILE, TR, NA, x, o, ...)                                                    \
	do {                                                                                  \
		int r_ = 0;                                                                   \
		for (; r_ + (TR) <= n_rows; r_ += (TR))                                       \
			TILE(__VA_ARGS__, TR, NA, n, (const uint8_t *)w + (size_t)r_ * ws, ws,        \
				x, xs, (o) + r_, os);                                         \
		for (; r_ < n_rows; r_++)                                                     \
			TILE(__VA_ARGS__, 1, NA, n, (const uint8_t *)w + (size_t)r_ * ws, ws,         \
				x, xs, (o) + r_, os);                                         \
	} while (0)

/* The row driver shared by every tiled type: prefill in TR x 4 tiles (then 1 x 4 for leftover
 * rows), decode and leftover activations in DR x 1 tiles (then 1 x 1). */
#define ROWS_DRIVER(TILE, TR, DR, ...)                                                        \
	do {                                                                                  \
		const uint8_t *x_ = act;                                                      \
		int a = 0;                                                                    \
		for (; a + 4 <= n_act; a += 4)                                                \
			ROWS_PASS(TILE, TR, 4, x_ + (size_t)a * xs, out + (size_t)a * os, __VA_ARGS__); \
		for (; a < n_act; a++)                                                        \
			ROWS_PASS(TILE, DR, 1, x_ + (size_t)a * xs, out + (size_t)a * os, __VA_ARGS__); \
	} while (0)

INL5 void fp_rows(const int f16, int64_t n, const void *w, size_t ws, int n_rows, const void *act,
	size_t xs, int n_act, float *out, size_t os)
{
	if (n % 16 != 0) {
		for (int a = 0; a < n_act; a++)
			for (int r = 0; r < n_rows; r++) {
				const uint8_t *wr = (const uint8_t *)w + (size_t)r * ws;
				const uint8_t *xa = (const uint8_t *)act + (size_t)a * xs;
				out[(size_t)a * os + r] = f16 ? dot_f16_512(n, wr, xa) : dot_f32_512(n, wr, xa);
			}
		return;
	}
	/* batches: tiles of FP_BR rows x FP_BA tokens first (fewer conversions per FMA), as many as
	 * leave a multiple of 4 tokens to the tiles below when they can (8 query heads of an
	 * attention group stay two 4-token passes, not one of 6 and two single tokens) */
	int a0 = 0, n6 = n_act >= 8 ? n_act / FP_BA : 0;
	while (n6 > 0 && (n_act - n6 * FP_BA) % 4 != 0)
		n6--;
	/* F16 activations are widened in the tile (a buffer widened once per FP_BA tokens for all
	 * the rows was slower on Zen 5: docs/engine.md, "F16 batches widen in the tile again") */
	for (; a0 < n6 * FP_BA; a0 += FP_BA)
		ROWS_PASS(fp_tile, FP_BR, FP_BA, (const uint8_t *)act + (size_t)a0 * xs, out + (size_t)a0 * os, f16);
	act = (const uint8_t *)act + (size_t)a0 * xs;
	out += (size_t)a0 * os;
	n_act -= a0;
	ROWS_DRIVER(fp_tile, FP_TR, FP_DR, f16);
}

TGT5 static void rows_f32_512(int64_t n, const void *w, size_t ws, int n_rows, const void *act,
	size_t xs, int n_act, float *out, size_t os)
{
	fp_rows(0, n, w, ws, n_rows, act, xs, n_act, out, os);
}

TGT5 static void rows_f16_512(int64_t n, const void *w, size_t ws, int n_rows, const void *act,
	size_t xs, int n_act, float *out, size_t os)
{
	fp_rows(1, n, w, ws, n_rows, act, xs, n_act, out, os);
}

INL5 __m512 ld16_bf16(const uint16_t *p)
{
	const __m512i v = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p));
	return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
}

TGT5 static float dot_bf16_512(int64_t n, const void *w, const void *act)
{
	const uint16_t *x = w, *y = act;
	__m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
	int64_t i = 0;
	for (; i + 16 <= n; i += 16) {
		const __m512 p = _mm512_mul_ps(ld16_bf16(x + i), ld16_bf16(y + i));
		s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(p)));
		s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm512_extractf32x8_ps(p, 1)));
	}
	double s = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
	for (; i < n; i++)
		s += (double)(TAIL_BF16(x + i) * TAIL_BF16(y + i));
	return (float)s;
}

/* ---- AVX-512: 32-element block types, in the `_ref`'s order ----------------------------------
 * Every 32-element type (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL) sums as its `_ref` does
 * (docs/quant-formats.md, "Numerics"): per block in turn the exact integer sum isum of w * a,
 * then the block's float step (eng_b32_step). The weights are taken as bytes u = w + off (off 8 for
 * Q4_0, 16 for Q5_0, 128 for Q8_0 and IQ4_NL, 0 for Q4_1 / Q5_1), two blocks per 64-byte
 * vector, so `vpdpbusd` with the signed activations started from -off * (their sums) gives each
 * int32 lane an exact partial sum of 4 products (lanes 0..7 the first block, 8..15 the second). */

INL5 int b32_off(const int type)
{
	switch (type) {
	case ENG_T_Q4_0: return 8;
	case ENG_T_Q5_0: return 16;
	case ENG_T_Q8_0: case ENG_T_IQ4_NL: return 128;
	default: return 0;
	}
}

/* 16 bytes of nibbles of each of two blocks -> 64 values 0..15 in block order. */
INL5 __m512i nibbles64(const uint8_t *q0, const uint8_t *q1, int two)
{
	const __m256i b0 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)q0));
	const __m256i b1 = two ? _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)q1))
		: _mm256_setzero_si256();
	const __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(b0), b1, 1);
	const __m512i sh = _mm512_set_epi32(0x00040004, 0x00040004, 0x00040004, 0x00040004, 0, 0, 0, 0,
		0x00040004, 0x00040004, 0x00040004, 0x00040004, 0, 0, 0, 0);
	return _mm512_and_si512(_mm512_srlv_epi16(v, sh), _mm512_set1_epi8(0x0f));
}

/* The weights u = w + off of block b0 and, with two, of the block after it (else bytes
 * 32..63 are off, w = 0). */
INL5 __m512i b32_wload(const int type, const uint8_t *b0, int two)
{
	const uint8_t *b1 = two ? b0 + eng_b32_size(type) : b0;   /* not read when !two */
	const __m512i m128 = _mm512_set1_epi8((char)0x80);
	__m512i u;
	switch (type) {
	case ENG_T_Q4_0:
		u = nibbles64(b0 + offsetof(eng_blk_q4_0, qs), b1 + offsetof(eng_blk_q4_0, qs), two);
		break;
	case ENG_T_Q4_1:
		u = nibbles64(b0 + offsetof(eng_blk_q4_1, qs), b1 + offsetof(eng_blk_q4_1, qs), two);
		break;
	case ENG_T_Q5_0:
	case ENG_T_Q5_1: {
		const size_t qs = type == ENG_T_Q5_0 ? offsetof(eng_blk_q5_0, qs) : offsetof(eng_blk_q5_1, qs);
		const size_t qh = type == ENG_T_Q5_0 ? offsetof(eng_blk_q5_0, qh) : offsetof(eng_blk_q5_1, qh);
		const __mmask64 k = (__mmask64)ld32(b0 + qh) | (two ? (__mmask64)ld32(b1 + qh) << 32 : 0);
		u = nibbles64(b0 + qs, b1 + qs, two);
		u = _mm512_mask_add_epi8(u, k, u, _mm512_set1_epi8(16));
		break;
	}
	case ENG_T_Q8_0: {
		const __m256i lo = _mm256_loadu_si256((const __m256i *)(b0 + offsetof(eng_blk_q8_0, qs)));
		const __m256i hi = two ? _mm256_loadu_si256((const __m256i *)(b1 + offsetof(eng_blk_q8_0, qs)))
			: _mm256_setzero_si256();
		u = _mm512_xor_si512(_mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1), m128);
		break;
	}
	default: {   /* IQ4_NL: table value + 128 */
		const __m512i tbl = _mm512_xor_si512(_mm512_broadcast_i32x4(
			_mm_loadu_si128((const __m128i *)eng_iq4_values)), m128);
		u = _mm512_shuffle_epi8(tbl, nibbles64(b0 + offsetof(eng_blk_iq4_nl, qs),
			b1 + offsetof(eng_blk_iq4_nl, qs), two));
		break;
	}
	}
	if (!two)   /* the missing block's weights: w = 0 */
		u = _mm512_mask_mov_epi8(u, (__mmask64)0xffffffff00000000ull, _mm512_set1_epi8((char)b32_off(type)));
	return u;
}

/* ---- AVX-512: K-quants -----------------------------------------------------------------------
 * Chunk c of a super-block is elements 64c..64c+63 as unsigned levels (see kchunk_512). maddubs
 * with the activations gives 32 exact pair sums, and dpwssd with the group scales adds them
 * into 16 int32 lanes per (row, activation) pair. Per super-block the min (Q2_K, Q4_K, Q5_K) or
 * the level offset (Q3_K -4, Q6_K -32) comes in through Q8_K's group sums, then the pair's 16
 * float lanes take d_w * d_a times the int32 lanes. IQ4_XS's single-token kernels take its
 * signed table values and give maddubs |a| and the values with a's sign instead (the batch
 * tiles store them + 128 for dpbusd). */

typedef struct kprep5 {
	__m512i sc;        /* int16 lanes 0..15: scale per group of 16 */
	__m256i mn;        /* Q2_K: 16 int16 mins, per group of 16 */
	__m128i m8;        /* Q4_K, Q5_K: 8 int16 mins, per group of 32 */
	float d, dmin;
} kprep5;

INL5 size_t kq_size(const int type)
{
	switch (type) {
	case ENG_T_Q2_K: return sizeof(eng_blk_q2_K);
	case ENG_T_Q3_K: return sizeof(eng_blk_q3_K);
	case ENG_T_Q4_K: return sizeof(eng_blk_q4_K);
	case ENG_T_Q5_K: return sizeof(eng_blk_q5_K);
	case ENG_T_Q6_K: return sizeof(eng_blk_q6_K);
	default: return sizeof(eng_blk_iq4_xs);
	}
}

INL5 __m512i zext16(__m256i v) { return _mm512_zextsi256_si512(v); }

INL5 void kprep_512(const int type, const uint8_t *b, kprep5 *p)
{
	uint64_t s0, s1;
	__m128i v;
	p->mn = _mm256_setzero_si256();
	p->m8 = _mm_setzero_si128();
	p->dmin = 0;
	switch (type) {
	case ENG_T_Q2_K: {
		const __m128i s = _mm_loadu_si128((const __m128i *)(b + offsetof(eng_blk_q2_K, scales)));
		const __m128i m = _mm_set1_epi8(0x0f);
		p->sc = zext16(_mm256_cvtepu8_epi16(_mm_and_si128(s, m)));
		p->mn = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(s, 4), m));
		p->d = _cvtsh_ss(ld16(b + offsetof(eng_blk_q2_K, d)));
		p->dmin = _cvtsh_ss(ld16(b + offsetof(eng_blk_q2_K, dmin)));
		return;
	}
	case ENG_T_Q3_K:
		q3k_scales(b + offsetof(eng_blk_q3_K, scales), &s0, &s1);
		p->sc = zext16(_mm256_cvtepi8_epi16(_mm_sub_epi8(_mm_set_epi64x((long long)s1, (long long)s0),
			_mm_set1_epi8(32))));
		p->d = _cvtsh_ss(ld16(b + offsetof(eng_blk_q3_K, d)));
		return;
	case ENG_T_Q4_K:
	case ENG_T_Q5_K:
		k4_scales(b + offsetof(eng_blk_q4_K, scales), &s0, &s1);
		v = _mm_cvtsi64_si128((long long)s0);
		p->sc = zext16(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(v, v)));
		p->m8 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)s1));
		p->d = _cvtsh_ss(ld16(b + offsetof(eng_blk_q4_K, d)));
		p->dmin = _cvtsh_ss(ld16(b + offsetof(eng_blk_q4_K, dmin)));
		return;
	case ENG_T_Q6_K:
		p->sc = zext16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + offsetof(eng_blk_q6_K, scales)))));
		p->d = _cvtsh_ss(ld16(b + offsetof(eng_blk_q6_K, d)));
		return;
	default:   /* IQ4_XS */
		v = _mm_sub_epi8(_mm_cvtsi64_si128((long long)iq4xs_scales(b)), _mm_set1_epi8(32));
		p->sc = zext16(_mm256_cvtepi8_epi16(_mm_unpacklo_epi8(v, v)));
		p->d = _cvtsh_ss(ld16(b + offsetof(eng_blk_iq4_xs, d)));
		return;
	}
}

/* Two 256-bit halves: a in bytes 0..31, b in 32..63. */
INL5 __m512i halves8(char a, char b) { return _mm512_inserti64x4(_mm512_set1_epi8(a), _mm256_set1_epi8(b), 1); }
INL5 __m512i halves16(short a, short b) { return _mm512_inserti64x4(_mm512_set1_epi16(a), _mm256_set1_epi16(b), 1); }
INL5 __m512i bcast32(const uint8_t *p) { return _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)p)); }

/* Elements 64c..64c+63 of a super-block as unsigned levels (layouts in quant_impl.h). */
INL5 __m512i kchunk_512(const int type, const uint8_t *b, const int c)
{
	const __m512i m15 = _mm512_set1_epi8(0x0f);
	__m512i v;
	__mmask64 k;
	switch (type) {
	case ENG_T_Q2_K:   /* bytes 32h.., shifts 0 and 2 (even c) or 4 and 6 */
		v = bcast32(b + offsetof(eng_blk_q2_K, qs) + 32 * (c / 2));
		return _mm512_and_si512(_mm512_srlv_epi16(v, halves16((short)(4 * (c % 2)), (short)(4 * (c % 2) + 2))),
			_mm512_set1_epi8(3));
	case ENG_T_Q3_K:   /* as Q2_K, + 4 where bit 2c (first half) or 2c+1 of hmask[l] is set */
		v = bcast32(b + offsetof(eng_blk_q3_K, qs) + 32 * (c / 2));
		v = _mm512_and_si512(_mm512_srlv_epi16(v, halves16((short)(4 * (c % 2)), (short)(4 * (c % 2) + 2))),
			_mm512_set1_epi8(3));
		k = _mm512_test_epi8_mask(bcast32(b + offsetof(eng_blk_q3_K, hmask)),
			halves8((char)(1 << (2 * c)), (char)(1 << (2 * c + 1))));
		return _mm512_mask_add_epi8(v, k, v, _mm512_set1_epi8(4));
	case ENG_T_Q4_K:
	case ENG_T_Q5_K: {  /* bytes 32c..: low nibbles, then high nibbles; Q5_K: + 16 from qh bits */
		const size_t qs = type == ENG_T_Q4_K ? offsetof(eng_blk_q4_K, qs) : offsetof(eng_blk_q5_K, qs);
		v = _mm512_and_si512(_mm512_srlv_epi16(bcast32(b + qs + 32 * c), halves16(0, 4)), m15);
		if (type == ENG_T_Q4_K)
			return v;
		k = _mm512_test_epi8_mask(bcast32(b + offsetof(eng_blk_q5_K, qh)),
			halves8((char)(1 << (2 * c)), (char)(1 << (2 * c + 1))));
		return _mm512_mask_add_epi8(v, k, v, _mm512_set1_epi8(16));
	}
	case ENG_T_Q6_K: {  /* ql[64h..64h+63] low (even c) or high nibbles, qh bits 0-1 | 2-3 or 4-5 | 6-7 */
		const __m512i ql = _mm512_loadu_si512(b + offsetof(eng_blk_q6_K, ql) + 64 * (c / 2));
		const __m512i qh = bcast32(b + offsetof(eng_blk_q6_K, qh) + 32 * (c / 2));
		__m512i lo, hi;
		if (c % 2 == 0) {
			lo = _mm512_and_si512(ql, m15);
			hi = _mm512_sllv_epi16(qh, halves16(4, 2));
		} else {
			lo = _mm512_and_si512(_mm512_srli_epi16(ql, 4), m15);
			hi = _mm512_srlv_epi16(qh, halves16(0, 2));
		}
		return _mm512_ternarylogic_epi32(lo, hi, _mm512_set1_epi8(0x30), 0xf8);   /* lo | (hi & 0x30) */
	}
	default: {         /* IQ4_XS: groups 2c, 2c+1 = bytes 32c..32c+31, 16 bytes each, low nibbles first */
		const __m512i q = _mm512_castsi256_si512(_mm256_loadu_si256(
			(const __m256i *)(b + offsetof(eng_blk_iq4_xs, qs) + 32 * c)));
		const __m512i sh = _mm512_set_epi32(0x00040004, 0x00040004, 0x00040004, 0x00040004, 0, 0, 0, 0,
			0x00040004, 0x00040004, 0x00040004, 0x00040004, 0, 0, 0, 0);
		const __m512i idx = _mm512_and_si512(_mm512_srlv_epi16(_mm512_shuffle_i64x2(q, q, 0x50), sh), m15);
		const __m512i tbl = _mm512_xor_si512(_mm512_broadcast_i32x4(
			_mm_loadu_si128((const __m128i *)eng_iq4_values)), _mm512_set1_epi8((char)0x80));
		return _mm512_shuffle_epi8(tbl, idx);
	}
	}
}

/* The scale vector of chunk c for maddubs/dpwssd: 32 int16 lanes (2 elements each, group of
 * 16 = 8 lanes). */
INL5 __m512i kscale_512(__m512i sc, const int c)
{
	const __m512i idx = _mm512_add_epi16(_mm512_srli_epi16(_mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24,
		23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), 3),
		_mm512_set1_epi16((short)(4 * c)));
	return _mm512_permutexvar_epi16(idx, sc);
}

/* IQ4_XS's chunk c as its signed table values (-127 .. 113), for the single-token kernels:
 * maddubs takes |a| and the values carrying a's sign (pair sums at most 2 * 128 * 127, so any
 * int8 activation). */
INL5 __m512i iq4xs_chunk_signed(const uint8_t *b, const int c)
{
	const __m512i q = _mm512_castsi256_si512(_mm256_loadu_si256(
		(const __m256i *)(b + offsetof(eng_blk_iq4_xs, qs) + 32 * c)));
	const __m512i sh = _mm512_set_epi32(0x00040004, 0x00040004, 0x00040004, 0x00040004, 0, 0, 0, 0,
		0x00040004, 0x00040004, 0x00040004, 0x00040004, 0, 0, 0, 0);
	const __m512i idx = _mm512_and_si512(_mm512_srlv_epi16(_mm512_shuffle_i64x2(q, q, 0x50), sh),
		_mm512_set1_epi8(0x0f));
	return _mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)eng_iq4_values)), idx);
}

/* Order B for four (row, token) pairs at once, one per lane: their 8 int32 lanes l[k] and 4 min
 * lanes m[k] reduced together ("transposed") to isum and imin, then acc = fma(c, isum, acc) and,
 * with mins, acc = fma(-cm, imin, acc): per lane exactly order_b_step's scalar sequence. */
INL5 __m128 order_b_four(__m128 acc, const __m256i l[4], const __m128i m[4], __m128 c, __m128 cm, int mins)
{
	const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(l[0], l[1]), _mm256_hadd_epi32(l[2], l[3]));
	const __m128i s = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
	acc = _mm_fmadd_ps(c, _mm_cvtepi32_ps(s), acc);
	if (mins)
		acc = _mm_fnmadd_ps(cm, _mm_cvtepi32_ps(_mm_hadd_epi32(_mm_hadd_epi32(m[0], m[1]),
			_mm_hadd_epi32(m[2], m[3]))), acc);
	return acc;
}

/* The 4 int32 min lanes of order B (their sum is imin, exact): Q4_K's 8 mins times the sums of
 * 32 (g) in pairs, Q2_K's 16 mins times the sums of 16 (bs) folded from 8 pairs to 4 lanes. */
INL5 __m128i kb_imin4(const int type, const kprep5 *p, __m128i g, __m256i bs)
{
	if (type == ENG_T_Q4_K || type == ENG_T_Q5_K)
		return _mm_madd_epi16(p->m8, g);
	if (type == ENG_T_Q2_K) {
		const __m256i m = _mm256_madd_epi16(p->mn, bs);
		return _mm_add_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
	}
	return _mm_setzero_si128();
}

/* As kq_dot_avx2, bit for bit: the pair's 16 int32 lanes fold into the 8 lanes of the AVX2
 * kernel (lanes l and l+8 cover the same 4 positions of two 32-element chunks); they and the
 * min lanes are reduced to integers, then order_b_step. */
INL5 void kq_tile(const int type, const int NR, const int NA, int64_t n, const uint8_t *w, size_t ws,
	const uint8_t *x, size_t xs, float *out, size_t os)
{
	const int64_t nb = n / ENG_QK_K;
	const size_t bw = kq_size(type), bx = sizeof(eng_blk_q8_K);
	const int off = type == ENG_T_Q3_K ? 4 : type == ENG_T_Q6_K ? 32 : 0;
	float accb[8][4], pd[4] = { 0 }, pdm[4] = { 0 }, pda[4] = { 0 };
	__m256i pl[4] = { { 0 } };
	__m128i pm[4] = { { 0 } };
#pragma GCC unroll 8
	for (int r = 0; r < NR; r++)
#pragma GCC unroll 4
		for (int a = 0; a < NA; a++)
			accb[r][a] = 0;
	/* four (row, token) pairs reduced together when the tile has them (4 tokens); a single pair
	 * takes 4 super-blocks per step, unrolled */
	const int FOUR = NA == 4;
	const int QN = NR == 1 && NA == 1 ? 4 : 1;
	__m128 acc4[8];
	__m256i fl[8][4];
	__m128i fm[8][4];
	float fda[4] = { 0 };
#pragma GCC unroll 8
	for (int r = 0; r < NR; r++)
		acc4[r] = _mm_setzero_ps();
	for (int64_t i0 = 0; i0 < nb; i0 += QN) {
#pragma GCC unroll 4
	for (int q = 0; q < QN; q++) {
		const int64_t i = i0 + q;
		if (i >= nb)
			break;
		const uint8_t *wb = w + (size_t)i * bw, *xb = x + (size_t)i * bx;
		kprep5 p[8];
		__m512i is[8][4];
		if (NA == 1)
#pragma GCC unroll 8
			for (int r = 0; r < NR; r++)
				for (size_t o = 0; o < bw; o += 64)
					_mm_prefetch((const char *)wb + r * ws + PF_DIST + o, _MM_HINT_T0);
#pragma GCC unroll 8
		for (int r = 0; r < NR; r++) {
			kprep_512(type, wb + r * ws, &p[r]);
#pragma GCC unroll 4
			for (int a = 0; a < NA; a++)
				is[r][a] = _mm512_setzero_si512();
		}
#pragma GCC unroll 4
		for (int c = 0; c < 4; c++) {
			__m512i wv[8], sv[8];
#pragma GCC unroll 8
			for (int r = 0; r < NR; r++) {
				wv[r] = type == ENG_T_IQ4_XS ? iq4xs_chunk_signed(wb + r * ws, c) : kchunk_512(type, wb + r * ws, c);
				sv[r] = kscale_512(p[r].sc, c);
			}
#pragma GCC unroll 4
			for (int a = 0; a < NA; a++) {
				const __m512i av = _mm512_loadu_si512(xb + a * xs + offsetof(eng_blk_q8_K, qs) + 64 * c);
				const __m512i o16 = off ? _mm512_maddubs_epi16(_mm512_set1_epi8((char)off), av) : _mm512_setzero_si512();
				const __m512i ua = _mm512_abs_epi8(av);          /* IQ4_XS: |a|, and a's sign */
				const __mmask64 an = _mm512_movepi8_mask(av);
#pragma GCC unroll 8
				for (int r = 0; r < NR; r++) {
					if (type == ENG_T_IQ4_XS) {
						const __m512i sw = _mm512_mask_sub_epi8(wv[r], an, _mm512_setzero_si512(), wv[r]);
						is[r][a] = _mm512_dpwssd_epi32(is[r][a], _mm512_maddubs_epi16(ua, sw), sv[r]);
					} else {
						__m512i pr = _mm512_maddubs_epi16(wv[r], av);
						if (off)
							pr = _mm512_sub_epi16(pr, o16);
						is[r][a] = _mm512_dpwssd_epi32(is[r][a], pr, sv[r]);
					}
				}
			}
		}
#pragma GCC unroll 4
		for (int a = 0; a < NA; a++) {
			const uint8_t *xa = xb + a * xs;
			const __m256i bs = _mm256_loadu_si256((const __m256i *)(xa + offsetof(eng_blk_q8_K, bsums)));
			const __m128i g = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
			const float da = ldf32(xa + offsetof(eng_blk_q8_K, d));
#pragma GCC unroll 8
			for (int r = 0; r < NR; r++) {
				const __m256i l8 = _mm256_add_epi32(_mm512_castsi512_si256(is[r][a]),
					_mm512_extracti64x4_epi64(is[r][a], 1));
				if (FOUR) {            /* reduced below, four pairs at once */
					fl[r][a] = l8;
					fm[r][a] = kb_imin4(type, &p[r], g, bs);
					fda[a] = da;
					continue;
				}
				/* isum, imin as in kq_dot_avx2 */
				pl[q] = l8;
				pm[q] = kb_imin4(type, &p[r], g, bs);
				pd[q] = p[r].d;
				pdm[q] = p[r].dmin;
				pda[q] = da;
				if (QN == 1)
					accb[r][a] = order_b_flush(accb[r][a], pl, pm, pd, pdm, pda, 1, order_b_mins(type));
			}
		}
	if (FOUR)   /* lanes: the 4 tokens of row r */
#pragma GCC unroll 8
		for (int r = 0; r < NR; r++) {
			const __m128 da4 = _mm_loadu_ps(fda);
			acc4[r] = order_b_four(acc4[r], fl[r], fm[r], _mm_mul_ps(_mm_set1_ps(p[r].d), da4),
				_mm_mul_ps(_mm_set1_ps(p[r].dmin), da4), order_b_mins(type));
		}
	}
	if (QN > 1)
		accb[0][0] = order_b_flush(accb[0][0], pl, pm, pd, pdm, pda, nb - i0 < QN ? (int)(nb - i0) : QN,
			order_b_mins(type));
	}
#pragma GCC unroll 8
	for (int r = 0; r < NR; r++)
#pragma GCC unroll 4
		for (int a = 0; a < NA; a++) {
			float lane[4];
			_mm_storeu_ps(lane, acc4[r]);
			out[a * os + r] = FOUR ? lane[a] : accb[r][a];
		}
}

/* ---- AVX-512: order-B GEMM for batches (issue 29) -------------------------------------------
 * For the order-B types (every super-block type: Q2_K .. Q6_K, IQ4_XS) a (row, token) result
 * only needs each super-block's exact integer sums, so the tile may use any integer layout. kb_rows converts KB_R = 16 weight rows
 * at a time, once per call, into row-interleaved super-blocks (kbblk, layout version 2: Q3_K's levels carry their scales; in
 * memory only: the file and the loaded weights are never changed): for every group of 4
 * elements one 64-byte vector holding the 4 unsigned levels of each of the 16 rows, then per
 * scale group a vector of the 16 rows' int32 scales, the mins (Q2_K, Q4_K, Q5_K) or the scales
 * again (Q6_K, IQ4_XS, for their level offsets) as int16 pairs, and d, dmin. A tile of 16
 * rows x KB_NT tokens then
 * runs `vpdpbusd` with a token's 4 activation bytes broadcast (64 products per instruction, one
 * int32 lane per row), one `vpmulld` per scale group into the super-block's sum, and the float
 * steps of order_b_step with the 16 rows in one vector (an FMA per lane is the scalar fmaf). So
 * every (row, token) result equals the single dot bit for bit. Q2_K's levels are stored
 * multiplied by their group's scale (at most 3 * 15, one byte), so its tile needs no `vpmulld`;
 * so are Q3_K's, as (4 - u) * sc + 128 (u the unsigned level 0..7, sc -32..31: 0..252, one
 * byte), and its isum is 128 * (sum of the activations) - the tile's sum. Rows are padded to 16
 * with zero levels and scales (their lanes are not stored). Q6_K's offset: isum = sum sc * u * a -
 * 32 * sum sc * bsum, exact (IQ4_XS's table values are stored + 128, taken back as
 * 128 * sum sc * (sum of 32)). Buffer: KB_KMAX / 256 super-blocks of 5760 bytes on the stack
 * (180 KiB); longer rows use kq_tile (same order, same bits). */
#define KB_R 16             /* weight rows per tile: one int32 lane each */
#ifndef KB_NT
#define KB_NT 8             /* tokens per tile (kern_sb_dots' 8) */
#endif
#define KB_KMAX 8192        /* longest row converted */
#ifndef KB_MIN_ACT
#define KB_MIN_ACT 8        /* fewer tokens: kq_tile */
#endif

_Static_assert(KB_NT == 8, "kern_sb_dots takes 8 tokens");

typedef struct kbblk {
	uint8_t lv[64][64];     /* group of 4 elements g: row r's 4 levels at bytes 4r..4r+3 */
	int32_t sc[16][KB_R];   /* scale of group j (Q4_K: 8 groups of 32; Q2_K, Q6_K: 16 groups of 16) */
	uint32_t mp[8][KB_R];   /* int16 pairs: mins (m_2k, m_2k+1), k < 4 for Q4_K, < 8 for Q2_K;
	                           Q6_K scales (s_2k, s_2k+1) */
	float d[KB_R], dmin[KB_R];
} kbblk;

_Static_assert(sizeof(kbblk) % 64 == 0, "kbblk keeps 64-byte alignment");

/* Row r's scales, mins and d, dmin from its block header b (the file's layout) into k. */
INL5 void kb_head(const int type, const uint8_t *b, kbblk *k, const int r)
{
	if (type == ENG_T_Q4_K || type == ENG_T_Q5_K) {   /* same offsets in Q5_K */
		uint64_t s0, s1;
		k4_scales(b + offsetof(eng_blk_q4_K, scales), &s0, &s1);
		for (int j = 0; j < 8; j++)
			k->sc[j][r] = (int32_t)((s0 >> (8 * j)) & 0xff);
		for (int q = 0; q < 4; q++)
			k->mp[q][r] = (uint32_t)((s1 >> (16 * q)) & 0xff) | (uint32_t)((s1 >> (16 * q + 8)) & 0xff) << 16;
		k->d[r] = _cvtsh_ss(ld16(b + offsetof(eng_blk_q4_K, d)));
		k->dmin[r] = _cvtsh_ss(ld16(b + offsetof(eng_blk_q4_K, dmin)));
	} else if (type == ENG_T_Q2_K) {
		const uint8_t *sc = b + offsetof(eng_blk_q2_K, scales);
		for (int q = 0; q < 8; q++)
			k->mp[q][r] = (uint32_t)(sc[2 * q] >> 4) | (uint32_t)(sc[2 * q + 1] >> 4) << 16;
		k->d[r] = _cvtsh_ss(ld16(b + offsetof(eng_blk_q2_K, d)));
		k->dmin[r] = _cvtsh_ss(ld16(b + offsetof(eng_blk_q2_K, dmin)));
	} else if (type == ENG_T_IQ4_XS) {
		const uint64_t s0 = iq4xs_scales(b);
		for (int j = 0; j < 8; j++)
			k->sc[j][r] = (int32_t)((s0 >> (8 * j)) & 0xff) - 32;
		for (int q = 0; q < 4; q++)
			k->mp[q][r] = (uint32_t)(uint16_t)(int16_t)k->sc[2 * q][r]
				| (uint32_t)(uint16_t)(int16_t)k->sc[2 * q + 1][r] << 16;
		k->d[r] = _cvtsh_ss(ld16(b + offsetof(eng_blk_iq4_xs, d)));
	} else if (type == ENG_T_Q3_K) {   /* the scales are in the levels (kb_unpack) */
		k->d[r] = _cvtsh_ss(ld16(b + offsetof(eng_blk_q3_K, d)));
	} else {
		const int8_t *sc = (const int8_t *)(b + offsetof(eng_blk_q6_K, scales));
		for (int j = 0; j < 16; j++)
			k->sc[j][r] = sc[j];
		for (int q = 0; q < 8; q++)
			k->mp[q][r] = (uint32_t)(uint16_t)sc[2 * q] | (uint32_t)(uint16_t)sc[2 * q + 1] << 16;
		k->d[r] = _cvtsh_ss(ld16(b + offsetof(eng_blk_q6_K, d)));
	}
}

/* Rows w (stride ws; nr <= 16 of them, the rest zero) -> blk[nb]. */
INL5 void kb_unpack(const int type, const uint8_t *w, size_t ws, int nr, int64_t nb, kbblk *blk)
{
	const size_t bw = kq_size(type);
	uint8_t lv[KB_R][ENG_QK_K] __attribute__((aligned(64)));
	for (int r = nr; r < KB_R; r++)
		memset(lv[r], 0, sizeof lv[r]);
	for (int64_t i = 0; i < nb; i++) {
		kbblk *k = blk + i;
		memset(k->sc, 0, sizeof k->sc);
		memset(k->mp, 0, sizeof k->mp);
		memset(k->d, 0, sizeof k->d);
		memset(k->dmin, 0, sizeof k->dmin);
		for (int r = 0; r < nr; r++) {
			const uint8_t *b = w + (size_t)r * ws + (size_t)i * bw;
#pragma GCC unroll 4
			for (int c = 0; c < 4; c++) {
				__m512i v = kchunk_512(type, b, c);
				if (type == ENG_T_Q2_K) {   /* level * scale <= 45: one unsigned byte */
					const __m512i sv = _mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm_and_si128(
						_mm_loadu_si128((const __m128i *)(b + offsetof(eng_blk_q2_K, scales))),
						_mm_set1_epi8(15))), _mm512_add_epi8(_mm512_set1_epi8((char)(4 * c)),
						_mm512_set_epi32(0x03030303, 0x03030303, 0x03030303, 0x03030303, 0x02020202,
						0x02020202, 0x02020202, 0x02020202, 0x01010101, 0x01010101, 0x01010101, 0x01010101,
						0, 0, 0, 0)));   /* byte i: group 4c + i / 16 */
					v = _mm512_add_epi8(_mm512_maskz_mov_epi8(_mm512_test_epi8_mask(v, _mm512_set1_epi8(1)), sv),
						_mm512_maskz_mov_epi8(_mm512_test_epi8_mask(v, _mm512_set1_epi8(2)), _mm512_add_epi8(sv, sv)));
				}
				if (type == ENG_T_Q3_K) {   /* (4 - level) x scale + 128 in [0, 252]: see kb_tile */
					uint64_t lo, hi;
					q3k_scales(b + offsetof(eng_blk_q3_K, scales), &lo, &hi);
					const __m512i sv = _mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm_sub_epi8(
						_mm_set_epi64x((long long)hi, (long long)lo), _mm_set1_epi8(32))),
						_mm512_add_epi8(_mm512_set1_epi8((char)(4 * c)), _mm512_set_epi32(0x03030303, 0x03030303,
						0x03030303, 0x03030303, 0x02020202, 0x02020202, 0x02020202, 0x02020202, 0x01010101,
						0x01010101, 0x01010101, 0x01010101, 0, 0, 0, 0)));   /* byte i: group 4c + i / 16 */
					const __m512i four = _mm512_set1_epi16(4), c128 = _mm512_set1_epi16(128);
					const __m512i rl = _mm512_add_epi16(_mm512_mullo_epi16(_mm512_sub_epi16(four,
						_mm512_cvtepu8_epi16(_mm512_castsi512_si256(v))), _mm512_cvtepi8_epi16(_mm512_castsi512_si256(sv))), c128);
					const __m512i rh = _mm512_add_epi16(_mm512_mullo_epi16(_mm512_sub_epi16(four,
						_mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(v, 1))),
						_mm512_cvtepi8_epi16(_mm512_extracti64x4_epi64(sv, 1))), c128);
					v = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi16_epi8(rl)), _mm512_cvtepi16_epi8(rh), 1);
				}
				_mm512_store_si512(lv[r] + 64 * c, v);
			}
			kb_head(type, b, k, r);
		}
		kern_il16x256(lv, k->lv);
	}
}

/* 16 converted rows x the first nt of KB_NT tokens from x (stride xs; the others repeat the last
 * one and are not stored); rows outside rmask are not stored. */
INL5 void kb_tile(const int type, int64_t nb, const kbblk *blk, const uint8_t *x, size_t xs, int nt,
	float *out, size_t os, __mmask16 rmask)
{
	const size_t bx = sizeof(eng_blk_q8_K);
	const int G = type == ENG_T_Q4_K || type == ENG_T_Q5_K || type == ENG_T_IQ4_XS ? 8 : 16;   /* scale groups */
	const uint8_t *xt[KB_NT];
	__m512 acc[KB_NT];
#pragma GCC unroll 8
	for (int t = 0; t < KB_NT; t++) {
		xt[t] = x + (size_t)(t < nt ? t : nt - 1) * xs;
		acc[t] = _mm512_setzero_ps();
	}
	for (int64_t i = 0; i < nb; i++) {
		const kbblk *k = blk + i;
		__m512i is[KB_NT] = { { 0 } };
		const uint8_t *xq[KB_NT];
#pragma GCC unroll 8
		for (int t = 0; t < KB_NT; t++)
			xq[t] = xt[t] + (size_t)i * bx + offsetof(eng_blk_q8_K, qs);
		/* Q2_K's and Q3_K's levels carry their scales */
		kern_sb_dots(k->lv, type == ENG_T_Q2_K || type == ENG_T_Q3_K ? NULL : k->sc, G, xq, is);
		const __m512 d = _mm512_load_ps(k->d), dmin = _mm512_load_ps(k->dmin);
#pragma GCC unroll 8
		for (int t = 0; t < KB_NT; t++) {
			const uint8_t *xb = xt[t] + (size_t)i * bx, *bs = xb + offsetof(eng_blk_q8_K, bsums);
			const __m512 da = _mm512_set1_ps(ldf32(xb + offsetof(eng_blk_q8_K, d)));
			__m512i m = _mm512_setzero_si512(), isum = is[t];
			if (type == ENG_T_Q3_K) {   /* isum = sum of scale x (level - 4) x a = 128 x (sum of a) - is */
				int sa = 0;
				for (int q = 0; q < 16; q++)
					sa += (int16_t)ld16(bs + 2 * q);
				isum = _mm512_sub_epi32(_mm512_set1_epi32(128 * sa), is[t]);
			} else if (G == 8) {   /* Q4_K's imin, IQ4_XS's offset: mins / scales times the sums of 32 */
				m = kern_sums32(k->mp, bs);
				if (type == ENG_T_IQ4_XS)   /* levels stored + 128: 128 * sum of scale * group sum */
					isum = _mm512_sub_epi32(isum, _mm512_slli_epi32(m, 7));
			} else {                    /* Q2_K's imin, Q3_K's, Q6_K's offset: sums of 16 in pairs */
				m = kern_sums16(k->mp, bs);
				if (type == ENG_T_Q6_K)   /* 32 * sum of scale * group sum */
					isum = _mm512_sub_epi32(isum, _mm512_slli_epi32(m, 5));
			}
			acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(d, da), _mm512_cvtepi32_ps(isum), acc[t]);
			if (order_b_mins(type))
				acc[t] = _mm512_fnmadd_ps(_mm512_mul_ps(dmin, da), _mm512_cvtepi32_ps(m), acc[t]);
		}
	}
#pragma GCC unroll 8
	for (int t = 0; t < KB_NT; t++)
		if (t < nt)
			_mm512_mask_storeu_ps(out + (size_t)t * os, rmask, acc[t]);
}

INL5 void kb_rows(const int type, int64_t n, const uint8_t *w, size_t ws, int n_rows, const uint8_t *x,
	size_t xs, int n_act, float *out, size_t os)
{
	const int64_t nb = n / ENG_QK_K;
	kbblk blk[KB_KMAX / ENG_QK_K] __attribute__((aligned(64)));
	for (int r0 = 0; r0 < n_rows; r0 += KB_R) {
		const int nr = n_rows - r0 < KB_R ? n_rows - r0 : KB_R;
		kb_unpack(type, w + (size_t)r0 * ws, ws, nr, nb, blk);
		for (int t0 = 0; t0 < n_act; t0 += KB_NT)
			kb_tile(type, nb, blk, x + (size_t)t0 * xs, xs, n_act - t0 < KB_NT ? n_act - t0 : KB_NT,
				out + (size_t)t0 * os + r0, os, (__mmask16)((1u << nr) - 1));
	}
}

/* ---- AVX-512: repacked rows (R16 layout v1, quant_impl.h; issue 29) ---------------------------
 * Decode on groups of 16 rows repacked at load: one 64-byte vector holds 4 consecutive
 * elements' levels of each of the 16 rows in its two nibbles, so `vpdpbusd` with a token's 4
 * activation bytes broadcast gives 64 products per instruction, one int32 lane per row, and
 * reads the group as one sequential stream. Per scale group a `vpmulld` by the 16 rows' scales
 * into the super-block's isum; the offsets (IQ4_XS's table values + 128, Q6_K's 32, Q3_K's 4)
 * start the group's lanes at -offset x (sum of the group's activations); the mins go in by
 * `vpdpwssd` with the sums of 32 (Q4_K) or 16 (Q2_K). Q2_K and Q3_K hold 4 quarters' 2-bit
 * levels in each vector (Q3_K's top bits in vectors of their own, moved to bit 2). Every lane's isum and imin are the exact integers of order B,
 * then order_b_step with the 16 rows in one vector: the single dot's bits. */

/* Byte j of every 32-bit lane of v, zero-extended (signed: sign-extended). */
INL5 __m512i rp_byte(__m512i v, const int j)
{
	return _mm512_shuffle_epi8(v, _mm512_broadcast_i32x4(_mm_set_epi32((int)(0x80808000u | (12u + (unsigned)j)),
		(int)(0x80808000u | (8u + (unsigned)j)), (int)(0x80808000u | (4u + (unsigned)j)), (int)(0x80808000u | (unsigned)j))));
}

INL5 __m512i rp_sbyte(__m512i v, const int j)
{
	return _mm512_srai_epi32(_mm512_slli_epi32(v, 24 - 8 * j), 24);
}

/* Bytes j and j + 1 of every 32-bit lane as two int16 (j even). */
INL5 __m512i rp_pair(__m512i v, const int j)
{
	return _mm512_shuffle_epi8(v, _mm512_broadcast_i32x4(_mm_set_epi32(
		(int)(0x80008000u | (13u + (unsigned)j) << 16 | (12u + (unsigned)j)),
		(int)(0x80008000u | (9u + (unsigned)j) << 16 | (8u + (unsigned)j)),
		(int)(0x80008000u | (5u + (unsigned)j) << 16 | (4u + (unsigned)j)),
		(int)(0x80008000u | (1u + (unsigned)j) << 16 | (unsigned)j))));
}

INL5 __m512i rp_act4(const uint8_t *q, int k) { return _mm512_set1_epi32((int)ld32(q + 4 * k)); }

/* The R16 header fields of a 16-row super-block b, 16 lanes (rows) at a time, shared by rp_sb
 * and kb_from_rp. Q4_K: byte j of each lane of *sl / *sh = the scale of group j / j + 4, of
 * *ml / *mh = the min of group j / j + 4 (j < 4). */
INL5 void rp_q4k_fields(const uint8_t *b, __m512i *sl, __m512i *sh, __m512i *ml, __m512i *mh)
{
	const __m512i u0 = _mm512_loadu_si512(b + 64), u1 = _mm512_loadu_si512(b + 128), u2 = _mm512_loadu_si512(b + 192);
	const __m512i c3f = _mm512_set1_epi8(0x3f), c30 = _mm512_set1_epi8(0x30), m15 = _mm512_set1_epi8(0x0f);
	*sl = _mm512_and_si512(u0, c3f);
	*ml = _mm512_and_si512(u1, c3f);
	/* (u2 & 0x0f) | ((u0 >> 2) & 0x30) per byte, and the mins' (u2 >> 4) | ((u1 >> 2) & 0x30) */
	*sh = _mm512_ternarylogic_epi32(_mm512_and_si512(u2, m15), _mm512_srli_epi32(u0, 2), c30, 0xf8);
	*mh = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi32(u2, 4), m15), _mm512_srli_epi32(u1, 2), c30, 0xf8);
}

/* IQ4_XS: the signed scale (-32 .. 31) of group j of the 16 rows. */
INL5 __m512i rp_iq4xs_scale(const uint8_t *b, const int j)
{
	const __m512i sh = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(b + 32)));
	const __m512i sl = _mm512_loadu_si512(b + 64);
	return _mm512_sub_epi32(_mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(sl, 4 * j), _mm512_set1_epi32(15)),
		_mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(sh, 2 * j), _mm512_set1_epi32(3)), 4)), _mm512_set1_epi32(32));
}

/* Q6_K: the signed scale of group j of the 16 rows. */
INL5 __m512i rp_q6k_scale(const uint8_t *b, const int j)
{
	return rp_sbyte(_mm512_loadu_si512(b + 32 + 64 * (j / 4)), j % 4);
}

/* The 16 rows' scales of groups 4t .. 4t + 3 as bytes 0..3 of each lane of s[t]: Q2_K's low
 * nibbles (0..15); Q3_K's signed 6 bits (the low 4 of scales[0..7]'s nibbles, the top 2 of
 * scales[8..11], minus 32). */
INL5 void rp_k23_scales(const int type, const uint8_t *b, __m512i s[4])
{
	if (type == ENG_T_Q2_K) {
#pragma GCC unroll 4
		for (int t = 0; t < 4; t++)
			s[t] = _mm512_and_si512(_mm512_loadu_si512(b + 64 + 64 * t), _mm512_set1_epi8(0x0f));
		return;
	}
	const __m512i u0 = _mm512_loadu_si512(b + 32), u1 = _mm512_loadu_si512(b + 96), u2 = _mm512_loadu_si512(b + 160);
	const __m512i m15 = _mm512_set1_epi8(0x0f), c30 = _mm512_set1_epi8(0x30), c32 = _mm512_set1_epi8(32);
	s[0] = _mm512_sub_epi8(_mm512_ternarylogic_epi32(_mm512_and_si512(u0, m15), _mm512_slli_epi16(u2, 4), c30, 0xf8), c32);
	s[1] = _mm512_sub_epi8(_mm512_ternarylogic_epi32(_mm512_and_si512(u1, m15), _mm512_slli_epi16(u2, 2), c30, 0xf8), c32);
	s[2] = _mm512_sub_epi8(_mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(u0, 4), m15), u2, c30, 0xf8), c32);
	s[3] = _mm512_sub_epi8(_mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(u1, 4), m15),
		_mm512_srli_epi16(u2, 2), c30, 0xf8), c32);
}

/* Q2_K: the 16 rows' mins of groups 2p and 2p + 1 as int16 pairs (high nibbles). */
INL5 __m512i rp_q2k_mins(const uint8_t *b, const int p)
{
	return _mm512_srli_epi16(rp_pair(_mm512_loadu_si512(b + 64 + 64 * (p / 2)), 2 * (p % 2)), 4);
}

/* Q2_K / Q3_K: the unsigned levels (Q2_K 0..3, Q3_K 0..7) of quarter s (elements 64s + 4k + b)
 * of low-bit vector k (v) and, for Q3_K, its top-bit vector h (bits 4 (k % 2) + s). */
INL5 __m512i rp_k23_level(const int type, __m512i v, __m512i h, const int k, const int s)
{
	const __m512i lo = _mm512_and_si512(s ? _mm512_srli_epi16(v, 2 * s) : v, _mm512_set1_epi8(3));
	if (type == ENG_T_Q2_K)
		return lo;
	const int pos = 4 * (k % 2) + s;   /* the top bit to bit 2 */
	const __m512i hs = pos > 2 ? _mm512_srli_epi16(h, pos - 2) : pos < 2 ? _mm512_slli_epi16(h, 2 - pos) : h;
	return _mm512_ternarylogic_epi32(lo, hs, _mm512_set1_epi8(4), 0xf8);
}

/* The low bytes of the 64 byte products a x b (each product's low 8 bits). */
INL5 __m512i mul_bytes(__m512i a, __m512i b)
{
	const __m512i ev = _mm512_and_si512(_mm512_mullo_epi16(a, b), _mm512_set1_epi16(0xff));
	const __m512i od = _mm512_slli_epi16(_mm512_mullo_epi16(_mm512_srli_epi16(a, 8), _mm512_srli_epi16(b, 8)), 8);
	return _mm512_or_si512(ev, od);
}

/* Byte j of every 32-bit lane of v copied to the lane's 4 bytes. */
INL5 __m512i rp_bcast_byte(__m512i v, const int j)
{
	return _mm512_shuffle_epi8(v, _mm512_broadcast_i32x4(_mm_set_epi32((int)(0x0c0c0c0cu + 0x01010101u * (unsigned)j),
		(int)(0x08080808u + 0x01010101u * (unsigned)j), (int)(0x04040404u + 0x01010101u * (unsigned)j),
		(int)(0x01010101u * (unsigned)j))));
}

/* One 16-row super-block b (16 * bs bytes) times one token's Q8_K block xb, added to acc. */
INL5 __m512 rp_sb(const int type, const uint8_t *b, const uint8_t *xb, __m512 acc)
{
	const __m512i m15 = _mm512_set1_epi8(0x0f);
	const uint8_t *q = xb + offsetof(eng_blk_q8_K, qs);
	const int16_t *bs = (const int16_t *)(const void *)(xb + offsetof(eng_blk_q8_K, bsums));
	int16_t bsv[16];
	memcpy(bsv, bs, sizeof bsv);
	const __m512 da = _mm512_set1_ps(ldf32(xb + offsetof(eng_blk_q8_K, d)));
	const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)b));
	__m512i isum = _mm512_setzero_si512();
	if (type == ENG_T_Q2_K || type == ENG_T_Q3_K) {
		/* Q2_K: d, dmin, scales 0-3 .. 12-15 (low nibble scale, high nibble min), levels at 320;
		 * Q3_K: d, scales 0-3, 4-7, 8-11, low bits at 224, top bits at 1248 */
		const int q2 = type == ENG_T_Q2_K;
		const uint8_t *ql = b + (q2 ? 320 : 224), *qh = b + 1248;
		__m512i sc[4];
		rp_k23_scales(type, b, sc);
#pragma GCC unroll 4
		for (int p = 0; p < 4; p++) {   /* vectors 4p .. 4p + 3: groups p, 4 + p, 8 + p, 12 + p */
			__m512i s[4];
#pragma GCC unroll 4
			for (int t = 0; t < 4; t++)   /* Q3_K's levels are u - 4: start at -4 x the group's sum */
				s[t] = q2 ? _mm512_setzero_si512() : _mm512_set1_epi32(-4 * bsv[4 * t + p]);
#pragma GCC unroll 4
			for (int e = 0; e < 4; e++) {
				const int k = 4 * p + e;
				const __m512i v = _mm512_loadu_si512(ql + 64 * k);
				const __m512i h = q2 ? v : _mm512_loadu_si512(qh + 64 * (k / 2));
#pragma GCC unroll 4
				for (int t = 0; t < 4; t++)
					s[t] = _mm512_dpbusd_epi32(s[t], rp_k23_level(type, v, h, k, t), rp_act4(q, 16 * t + k));
			}
#pragma GCC unroll 4
			for (int t = 0; t < 4; t++)
				isum = _mm512_add_epi32(isum, _mm512_mullo_epi32(s[t], q2 ? rp_byte(sc[t], p) : rp_sbyte(sc[t], p)));
		}
		acc = _mm512_fmadd_ps(_mm512_mul_ps(d, da), _mm512_cvtepi32_ps(isum), acc);
		if (!q2)
			return acc;
		/* imin = sum of m_g * (sum of the 16 activations of group g), in int16 pairs */
		__m512i m = _mm512_setzero_si512();
#pragma GCC unroll 8
		for (int p = 0; p < 8; p++)
			m = _mm512_dpwssd_epi32(m, rp_q2k_mins(b, p),
				_mm512_set1_epi32((int)((uint32_t)(uint16_t)bsv[2 * p] | (uint32_t)(uint16_t)bsv[2 * p + 1] << 16)));
		const __m512 dmin = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(b + 32)));
		return _mm512_fnmadd_ps(_mm512_mul_ps(dmin, da), _mm512_cvtepi32_ps(m), acc);
	}
	if (type == ENG_T_Q4_K) {
		__m512i sclo, schi, mnlo, mnhi;
		rp_q4k_fields(b, &sclo, &schi, &mnlo, &mnhi);
		const uint8_t *qs = b + 256;
#pragma GCC unroll 4
		for (int j = 0; j < 4; j++) {   /* groups j (low nibbles) and j + 4 (high) */
			__m512i slo = _mm512_setzero_si512(), shi = _mm512_setzero_si512();
#pragma GCC unroll 8
			for (int e = 0; e < 8; e++) {
				const int k = 8 * j + e;
				const __m512i v = _mm512_loadu_si512(qs + 64 * k);
				slo = _mm512_dpbusd_epi32(slo, _mm512_and_si512(v, m15), rp_act4(q, k));
				shi = _mm512_dpbusd_epi32(shi, _mm512_and_si512(_mm512_srli_epi16(v, 4), m15), rp_act4(q, 32 + k));
			}
			isum = _mm512_add_epi32(isum, _mm512_mullo_epi32(slo, rp_byte(sclo, j)));
			isum = _mm512_add_epi32(isum, _mm512_mullo_epi32(shi, rp_byte(schi, j)));
		}
		/* imin = sum of m_g * (sum of the 32 activations of group g), in int16 pairs */
		__m512i m = _mm512_setzero_si512();
#pragma GCC unroll 4
		for (int p = 0; p < 4; p++) {
			const __m512i mp = rp_pair(p < 2 ? mnlo : mnhi, 2 * (p % 2));
			const int s0 = bsv[4 * p] + bsv[4 * p + 1], s1 = bsv[4 * p + 2] + bsv[4 * p + 3];
			m = _mm512_dpwssd_epi32(m, mp, _mm512_set1_epi32((int)((uint32_t)(uint16_t)s0 | (uint32_t)(uint16_t)s1 << 16)));
		}
		const __m512 dmin = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(b + 32)));
		acc = _mm512_fmadd_ps(_mm512_mul_ps(d, da), _mm512_cvtepi32_ps(isum), acc);
		return _mm512_fnmadd_ps(_mm512_mul_ps(dmin, da), _mm512_cvtepi32_ps(m), acc);
	}
	if (type == ENG_T_IQ4_XS) {
		const __m512i tbl = _mm512_xor_si512(_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)eng_iq4_values)),
			_mm512_set1_epi8((char)0x80));
		const uint8_t *qs = b + 128;
#pragma GCC unroll 4
		for (int j = 0; j < 4; j++) {   /* groups j (low nibbles) and j + 4 (high) */
			/* the table values are stored + 128: start from -128 x the group's activation sum */
			__m512i slo = _mm512_set1_epi32(-128 * (bsv[2 * j] + bsv[2 * j + 1]));
			__m512i shi = _mm512_set1_epi32(-128 * (bsv[2 * j + 8] + bsv[2 * j + 9]));
#pragma GCC unroll 8
			for (int e = 0; e < 8; e++) {
				const int k = 8 * j + e;
				const __m512i v = _mm512_loadu_si512(qs + 64 * k);
				slo = _mm512_dpbusd_epi32(slo, _mm512_shuffle_epi8(tbl, _mm512_and_si512(v, m15)), rp_act4(q, k));
				shi = _mm512_dpbusd_epi32(shi, _mm512_shuffle_epi8(tbl, _mm512_and_si512(_mm512_srli_epi16(v, 4), m15)),
					rp_act4(q, 32 + k));
			}
			isum = _mm512_add_epi32(isum, _mm512_mullo_epi32(slo, rp_iq4xs_scale(b, j)));
			isum = _mm512_add_epi32(isum, _mm512_mullo_epi32(shi, rp_iq4xs_scale(b, j + 4)));
		}
		return _mm512_fmadd_ps(_mm512_mul_ps(d, da), _mm512_cvtepi32_ps(isum), acc);
	}
	/* Q6_K: scales at 32 (4 vectors: groups 4p .. 4p + 3), low bits at 288, top bits at 2336 */
	const uint8_t *ql = b + 288, *qh = b + 2336;
	const __m512i c30 = _mm512_set1_epi8(0x30);
#pragma GCC unroll 4
	for (int p = 0; p < 4; p++) {   /* quads 4p .. 4p + 3 of each 64-element quarter: groups p, 4 + p, 8 + p, 12 + p */
		__m512i s[4];
#pragma GCC unroll 4
		for (int t = 0; t < 4; t++)
			s[t] = _mm512_set1_epi32(-32 * bsv[4 * t + p]);
#pragma GCC unroll 4
		for (int e = 0; e < 4; e++) {
			const int k = 4 * p + e;
			const __m512i h = _mm512_loadu_si512(qh + 64 * k);
			const __m512i v0 = _mm512_loadu_si512(ql + 64 * k), v1 = _mm512_loadu_si512(ql + 64 * (k + 16));
			/* elements 4k + i (quarter 0), 64 + .. (1), 128 + .. (2), 192 + .. (3) */
			const __m512i l0 = _mm512_ternarylogic_epi32(_mm512_and_si512(v0, m15), _mm512_slli_epi16(h, 4), c30, 0xf8);
			const __m512i l1 = _mm512_ternarylogic_epi32(_mm512_and_si512(v1, m15), _mm512_slli_epi16(h, 2), c30, 0xf8);
			const __m512i l2 = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(v0, 4), m15), h, c30, 0xf8);
			const __m512i l3 = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(v1, 4), m15),
				_mm512_srli_epi16(h, 2), c30, 0xf8);
			s[0] = _mm512_dpbusd_epi32(s[0], l0, rp_act4(q, k));
			s[1] = _mm512_dpbusd_epi32(s[1], l1, rp_act4(q, 16 + k));
			s[2] = _mm512_dpbusd_epi32(s[2], l2, rp_act4(q, 32 + k));
			s[3] = _mm512_dpbusd_epi32(s[3], l3, rp_act4(q, 48 + k));
		}
#pragma GCC unroll 4
		for (int t = 0; t < 4; t++) {
			const int g = 4 * t + p;
			isum = _mm512_add_epi32(isum, _mm512_mullo_epi32(s[t], rp_q6k_scale(b, g)));
		}
	}
	return _mm512_fmadd_ps(_mm512_mul_ps(d, da), _mm512_cvtepi32_ps(isum), acc);
}

/* Prefetch the nbytes at p + PF_DIST. */
INL5 void pf_ahead(const uint8_t *p, size_t nbytes)
{
	for (size_t o = 0; o < nbytes; o += 64)
		_mm_prefetch((const char *)p + PF_DIST + o, _MM_HINT_T0);
}

/* A repacked group's nb super-blocks -> kbblk for the batch tile (as kb_unpack from the file's
 * rows: the levels are the same bytes; the 16 rows' header fields, stored side by side in R16,
 * are taken apart 16 lanes at a time, with rp_sb's extractions: kb_head's values). */
INL5 void kb_from_rp(const int type, const uint8_t *w, int64_t nb, kbblk *blk)
{
	const int hb = type == ENG_T_Q2_K ? 20 : type == ENG_T_Q3_K ? 14 : type == ENG_T_Q4_K ? 16 :
		type == ENG_T_IQ4_XS ? 8 : 18;
	const size_t sbb = ENG_RP_ROWS * kq_size(type);
	const __m512i m15 = _mm512_set1_epi8(0x0f), c30 = _mm512_set1_epi8(0x30);
	const __m512i tbl = _mm512_xor_si512(_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)eng_iq4_values)),
		_mm512_set1_epi8((char)0x80));
	for (int64_t i = 0; i < nb; i++) {
		const uint8_t *b = w + (size_t)i * sbb, *qs = b + 16 * hb;
		kbblk *k = blk + i;
		_mm512_store_ps(k->d, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)b)));
		if (type == ENG_T_Q2_K || type == ENG_T_Q3_K) {
			/* kb_unpack's levels: Q2_K level x scale, Q3_K (4 - u) x scale + 128 */
			const int q2 = type == ENG_T_Q2_K;
			__m512i sc[4];
			rp_k23_scales(type, b, sc);
			_mm512_store_ps(k->dmin, q2 ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(b + 32))) : _mm512_setzero_ps());
#pragma GCC unroll 8
			for (int p = 0; p < 8; p++)
				_mm512_store_si512(k->mp[p], q2 ? rp_q2k_mins(b, p) : _mm512_setzero_si512());
			const uint8_t *ql = b + (q2 ? 320 : 224), *qh = b + 1248;
			for (int k4 = 0; k4 < 16; k4++) {
				const __m512i v = _mm512_loadu_si512(ql + 64 * k4);
				const __m512i h = q2 ? v : _mm512_loadu_si512(qh + 64 * (k4 / 2));
#pragma GCC unroll 4
				for (int t = 0; t < 4; t++) {   /* elements 64t + 4 k4 + b: group 4t + k4 / 4 */
					const __m512i u = rp_k23_level(type, v, h, k4, t), sv = rp_bcast_byte(sc[t], k4 / 4);
					_mm512_store_si512(k->lv[16 * t + k4], q2 ? mul_bytes(u, sv) :
						_mm512_add_epi8(mul_bytes(_mm512_sub_epi8(_mm512_set1_epi8(4), u), sv), _mm512_set1_epi8((char)128)));
				}
			}
			continue;
		}
		if (type == ENG_T_Q4_K) {
			__m512i sclo, schi, mnlo, mnhi;
			rp_q4k_fields(b, &sclo, &schi, &mnlo, &mnhi);
			_mm512_store_ps(k->dmin, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(b + 32))));
#pragma GCC unroll 4
			for (int j = 0; j < 4; j++) {
				_mm512_store_si512(k->sc[j], rp_byte(sclo, j));
				_mm512_store_si512(k->sc[j + 4], rp_byte(schi, j));
			}
#pragma GCC unroll 4
			for (int q = 0; q < 4; q++)
				_mm512_store_si512(k->mp[q], rp_pair(q < 2 ? mnlo : mnhi, 2 * (q % 2)));
		} else {   /* IQ4_XS (8 groups), Q6_K (16): the scales, and as int16 pairs (s_2q, s_2q+1) */
			const int G = type == ENG_T_IQ4_XS ? 8 : 16;
			_mm512_store_ps(k->dmin, _mm512_setzero_ps());
#pragma GCC unroll 16
			for (int j = 0; j < G; j++)
				_mm512_store_si512(k->sc[j], type == ENG_T_IQ4_XS ? rp_iq4xs_scale(b, j) : rp_q6k_scale(b, j));
#pragma GCC unroll 8
			for (int q = 0; q < G / 2; q++)
				_mm512_store_si512(k->mp[q], _mm512_or_si512(_mm512_and_si512(_mm512_load_si512(k->sc[2 * q]),
					_mm512_set1_epi32(0xffff)), _mm512_slli_epi32(_mm512_load_si512(k->sc[2 * q + 1]), 16)));
		}
		if (type == ENG_T_Q6_K) {
			const uint8_t *qh = qs + 2048;
			for (int q = 0; q < 16; q++) {
				const __m512i h = _mm512_loadu_si512(qh + 64 * q);
				const __m512i v0 = _mm512_loadu_si512(qs + 64 * q), v1 = _mm512_loadu_si512(qs + 64 * (q + 16));
				_mm512_store_si512(k->lv[q], _mm512_ternarylogic_epi32(_mm512_and_si512(v0, m15), _mm512_slli_epi16(h, 4), c30, 0xf8));
				_mm512_store_si512(k->lv[q + 16], _mm512_ternarylogic_epi32(_mm512_and_si512(v1, m15), _mm512_slli_epi16(h, 2), c30, 0xf8));
				_mm512_store_si512(k->lv[q + 32], _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(v0, 4), m15), h, c30, 0xf8));
				_mm512_store_si512(k->lv[q + 48], _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(v1, 4), m15),
					_mm512_srli_epi16(h, 2), c30, 0xf8));
			}
			continue;
		}
		for (int q = 0; q < 32; q++) {   /* IQ4_XS: the tile takes the table values + 128 */
			const __m512i v = _mm512_loadu_si512(qs + 64 * q);
			const __m512i lo = _mm512_and_si512(v, m15), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m15);
			_mm512_store_si512(k->lv[q], type == ENG_T_IQ4_XS ? _mm512_shuffle_epi8(tbl, lo) : lo);
			_mm512_store_si512(k->lv[q + 32], type == ENG_T_IQ4_XS ? _mm512_shuffle_epi8(tbl, hi) : hi);
		}
	}
}


/* ---- AVX-512: order-B rows for one token (decode) -------------------------------------------
 * IQ4_XS: 4 rows at a time, the activation rearranged once per chunk of KD_KC super-blocks so
 * that a plain 64-byte load of the weights' nibbles multiplies it lane by lane: 16 weight bytes
 * are one group of 32 (low nibbles its elements 0..15, high nibbles 16..31), so the activation's
 * "lo" vector holds elements 32j .. 32j + 15 in its 128-bit lane j and "hi" 32j + 16 .. 32j + 31.
 * The table values go in + 128 (unsigned) to vpdpbusd, which starts from -128 x the activation
 * sums of its lanes (corr): the exact sums of w * a per 4 elements, then times the group's
 * scale (one per 128-bit lane) and added up: isum, exact. The float steps are order B's, one row
 * per lane (order_b_four), so the results are the single dot's bits. */
#define KD_KC 16          /* super-blocks per chunk of the prepared activation (4096 elements) */
#define KD_R 4            /* rows per block (a tail block repeats its first row, not stored) */
#define KD_HAS(T) ((T) == ENG_T_IQ4_XS)   /* the types kd_rows takes */
#define KD_PF 1           /* prefetch the chunk's bytes of the block this many blocks on (as dec_rows) */

typedef struct kdact {
	__m512i lo[2], hi[2], corr[2];
	float d;
} kdact;

INL5 void kd_prep(const uint8_t *xb, kdact *o)
{
	const __m512i il = _mm512_setr_epi64(0, 1, 4, 5, 8, 9, 12, 13), ih = _mm512_setr_epi64(2, 3, 6, 7, 10, 11, 14, 15);
	const __m512i c128 = _mm512_set1_epi8((char)0x80);
	const uint8_t *q = xb + offsetof(eng_blk_q8_K, qs);
	for (int h = 0; h < 2; h++) {
		const __m512i x0 = _mm512_loadu_si512(q + 128 * h), x1 = _mm512_loadu_si512(q + 128 * h + 64);
		o->lo[h] = _mm512_permutex2var_epi64(x0, il, x1);
		o->hi[h] = _mm512_permutex2var_epi64(x0, ih, x1);
		o->corr[h] = _mm512_sub_epi32(_mm512_setzero_si512(),
			_mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), c128, o->lo[h]), c128, o->hi[h]));
	}
	o->d = ldf32(xb + offsetof(eng_blk_q8_K, d));
}

/* isum of one IQ4_XS super-block against the prepared activation, in 8 int32 lanes. */
INL5 __m256i kd_iq4xs(const uint8_t *b, const kdact *x, __m512i tbl)
{
	const __m512i m15 = _mm512_set1_epi8(0x0f);
	const __m512i s = _mm512_castsi256_si512(_mm256_cvtepi8_epi32(
		_mm_sub_epi8(_mm_cvtsi64_si128((long long)iq4xs_scales(b)), _mm_set1_epi8(32))));
	__m512i p[2];
#pragma GCC unroll 2
	for (int h = 0; h < 2; h++) {
		const __m512i v = _mm512_loadu_si512(b + offsetof(eng_blk_iq4_xs, qs) + 64 * h);
		const __m512i lo = _mm512_shuffle_epi8(tbl, _mm512_and_si512(v, m15));
		const __m512i hi = _mm512_shuffle_epi8(tbl, _mm512_and_si512(_mm512_srli_epi16(v, 4), m15));
		const __m512i sc = _mm512_permutexvar_epi32(_mm512_add_epi32(_mm512_srli_epi32(
			_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 2), _mm512_set1_epi32(4 * h)), s);
		p[h] = _mm512_mullo_epi32(_mm512_dpbusd_epi32(_mm512_dpbusd_epi32(x->corr[h], lo, x->lo[h]), hi, x->hi[h]), sc);
	}
	const __m512i t = _mm512_add_epi32(p[0], p[1]);
	return _mm256_add_epi32(_mm512_castsi512_si256(t), _mm512_extracti64x4_epi64(t, 1));
}

/* out[r] = dot(row r, x) for r < nr, one token, as kq_tile's. */
INL5 void kd_rows(const int type, int64_t n, const uint8_t *w, size_t ws, int nr, const uint8_t *x, float *out)
{
	const size_t bs = kq_size(type), xs = sizeof(eng_blk_q8_K);
	const int64_t nb = n / ENG_QK_K;
	const __m512i tbl = _mm512_xor_si512(_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)eng_iq4_values)),
		_mm512_set1_epi8((char)0x80));
	kdact xa[KD_KC];
	if (nb == 0)
		memset(out, 0, sizeof(float) * (size_t)(nr > 0 ? nr : 0));
	for (int64_t c0 = 0; c0 < nb; c0 += KD_KC) {
		const int nc = nb - c0 < KD_KC ? (int)(nb - c0) : KD_KC;
		for (int i = 0; i < nc; i++)
			kd_prep(x + (size_t)(c0 + i) * xs, xa + i);
		for (int r0 = 0; r0 < nr; r0 += KD_R) {
			const uint8_t *b[KD_R];
			for (int j = 0; j < KD_R; j++)
				b[j] = w + (size_t)(r0 + (r0 + j < nr ? j : 0)) * ws + (size_t)c0 * bs;
			const __mmask8 m = (__mmask8)(nr - r0 >= KD_R ? 0xf : (1u << (nr - r0)) - 1);
			kern_prefetch_rows(b, KD_R, (size_t)KD_PF * KD_R * ws, (size_t)nc * bs);
			__m128 acc = c0 ? _mm_maskz_loadu_ps(m, out + r0) : _mm_setzero_ps();
			for (int i = 0; i < nc; i++) {
				const size_t o = (size_t)i * bs;
				__m256i l[4];
				const __m128i z[4] = { _mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128() };
				float d[4];
#pragma GCC unroll 4
				for (int j = 0; j < KD_R; j++) {
					l[j] = kd_iq4xs(b[j] + o, xa + i, tbl);
					d[j] = h2f(b[j] + o + offsetof(eng_blk_iq4_xs, d));
				}
				acc = order_b_four(acc, l, z, _mm_mul_ps(_mm_loadu_ps(d), _mm_set1_ps(xa[i].d)), _mm_setzero_ps(), 0);
			}
			_mm_mask_storeu_ps(out + r0, m, acc);
		}
	}
}

/* Per K-quant type: the single dot (kq_tile 1 x 1), and rows that take kb_rows for batches. */
#define KQUANT_512(name, T)                                                                     \
	TGT5 static float dot_##name##_512(int64_t n, const void *w, const void *act)         \
	{                                                                                     \
		float o;                                                                      \
		kq_tile(T, 1, 1, n, w, 0, act, 0, &o, 0);                                     \
		return o;                                                                     \
	}                                                                                     \
	TGT5 static void rows_##name##_512(int64_t n, const void *w, size_t ws, int n_rows,   \
		const void *act, size_t xs, int n_act, float *out, size_t os)                 \
	{                                                                                     \
		if (n_act >= KB_MIN_ACT && n <= KB_KMAX) {                                   \
			kb_rows(T, n, w, ws, n_rows, act, xs, n_act, out, os);                \
			return;                                                               \
		}                                                                             \
		if (KD_HAS(T)) {  /* tokens after the groups of 4: kd_rows */                 \
			for (int a = n_act & ~3; a < n_act; a++)                              \
				kd_rows(T, n, w, ws, n_rows, (const uint8_t *)act + (size_t)a * xs, \
					out + (size_t)a * os);                                \
			n_act &= ~3;                                                          \
		}                                                                             \
		ROWS_DRIVER(kq_tile, KQ_TR, KQ_DR, T);                                        \
	}

/* 32-element types, one activation at a time (decode): the activation's blocks prepared once per
 * chunk of RB_CH blocks (two blocks a vector, their -off * sum corrections, d and Q8_1's s as
 * floats) and used for every row; per row and 8 blocks `vpdpbusd` of the weights u from the
 * correction gives the exact block sums (the 4 vectors reduced together), then eng_b32_step block
 * after block: the `_ref`'s bits. */
#define RB_CH 1024        /* blocks: rows up to 32768 elements in one go */

typedef struct rbact {
	__m512i q[RB_CH / 2];
	__m512i corr[RB_CH / 2];
	float d[RB_CH], s[RB_CH];
} rbact;

INL5 void rb_prep(const int type, int m, const uint8_t *x, rbact *a)
{
	const size_t B = eng_b32_act_size(type), Q = eng_b32_act_qs(type);
	const __m512i off = _mm512_set1_epi8((char)b32_off(type));
	for (int p = 0; p < (m + 7) / 8 * 4; p++) {
		const __m256i z = _mm256_setzero_si256();
		const __m256i al = 2 * p < m ? _mm256_loadu_si256((const __m256i *)(x + (size_t)(2 * p) * B + Q)) : z;
		const __m256i ah = 2 * p + 1 < m ? _mm256_loadu_si256((const __m256i *)(x + (size_t)(2 * p + 1) * B + Q)) : z;
		a->q[p] = _mm512_inserti64x4(_mm512_castsi256_si512(al), ah, 1);
		a->corr[p] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), off, a->q[p]));
	}
	for (int j = 0; j < m; j++) {
		a->d[j] = h2f(x + (size_t)j * B);
		a->s[j] = eng_b32_q81(type) ? h2f(x + (size_t)j * B + offsetof(eng_blk_q8_1, s)) : 0.0f;
	}
}

/* Blocks i .. i + mm - 1 (mm <= 8) of rb_row. */
INL5 void rb_row8(const int type, const int NR, float *acc, const int i, const int mm, const uint8_t *w, size_t ws,
	const rbact *a)
{
	const size_t B = eng_b32_size(type);
	float f[4][16];
#pragma GCC unroll 4
	for (int r = 0; r < NR; r++) {
		const uint8_t *wr = w + (size_t)r * ws + (size_t)i * B;
		__m512i v[4];
		/* keep enough misses in flight: the same bytes of the row NR rows on (2 KiB ahead in
		 * the row, as the one-row kernels fetch, lands in the rows this call reads anyway;
		 * Q8_0 tg128 about 1.3x with this) */
		for (size_t o = 0; o < 8 * B; o += 64)
			_mm_prefetch((const char *)wr + (size_t)NR * ws + o, _MM_HINT_T0);
#pragma GCC unroll 4
		for (int k = 0; k < 4; k++) {
			const __m512i u = 2 * k < mm ? b32_wload(type, wr + (size_t)(2 * k) * B, 2 * k + 1 < mm)
				: _mm512_setzero_si512();   /* with zero activations */
			v[k] = _mm512_dpbusd_epi32(a->corr[i / 2 + k], u, a->q[i / 2 + k]);
		}
		const __m512i f01 = _mm512_add_epi32(_mm512_shuffle_i64x2(v[0], v[1], _MM_SHUFFLE(2, 0, 2, 0)),
			_mm512_shuffle_i64x2(v[0], v[1], _MM_SHUFFLE(3, 1, 3, 1)));
		const __m512i f23 = _mm512_add_epi32(_mm512_shuffle_i64x2(v[2], v[3], _MM_SHUFFLE(2, 0, 2, 0)),
			_mm512_shuffle_i64x2(v[2], v[3], _MM_SHUFFLE(3, 1, 3, 1)));
		__m512i t = _mm512_add_epi32(_mm512_unpacklo_epi32(f01, f23), _mm512_unpackhi_epi32(f01, f23));
		t = _mm512_add_epi32(t, _mm512_shuffle_epi32(t, _MM_PERM_BADC));   /* lane 4L: block L, 4L+1: L+4 */
		_mm512_storeu_ps(f[r], _mm512_cvtepi32_ps(t));
	}
#pragma GCC unroll 8
	for (int k = 0; k < 8; k++)
		if (k < mm)
#pragma GCC unroll 4
			for (int r = 0; r < NR; r++) {
				const uint8_t *b = w + (size_t)r * ws + (size_t)(i + k) * B;
				acc[r] = eng_b32_step(type, acc[r], f[r][k < 4 ? 4 * k : 4 * (k - 4) + 1], h2f(b),
					eng_b32_q81(type) ? h2f(b + offsetof(eng_blk_q4_1, m)) : 0.0f, a->d[i + k], a->s[i + k]);
			}
}

/* NR rows (stride ws) of m blocks times the prepared activation, their sums carried in acc[r]:
 * each row's block sums, then its float steps, the NR rows' chains interleaved; the whole
 * groups of 8 blocks with mm a constant 8 (no per-block tests in the loop), then the rest. */
INL5 void rb_row(const int type, const int NR, float *acc, int m, const uint8_t *w, size_t ws, const rbact *a)
{
	int i = 0;
	for (; i + 8 <= m; i += 8)
		rb_row8(type, NR, acc, i, 8, w, ws, a);
	if (i < m)
		rb_row8(type, NR, acc, i, m - i, w, ws, a);
}

/* n_act activations (few) times n_rows rows, 4 rows at a time. Rows longer than a chunk go by
 * groups of 16 rows, chunk by chunk, each row's sum carried in out. */
INL5 void rb_rows(const int type, int64_t n, const uint8_t *w, size_t ws, int n_rows, const uint8_t *x, size_t xs,
	int n_act, float *out, size_t os)
{
	const int64_t nb = n / ENG_QK;
	const size_t B = eng_b32_size(type), BA = eng_b32_act_size(type);
	const int grp = nb <= RB_CH ? n_rows : 16;
	rbact a __attribute__((aligned(64)));
	for (int t = 0; t < n_act; t++)
		for (int r0 = 0; r0 < n_rows; r0 += grp) {
			const int r1 = n_rows - r0 < grp ? n_rows : r0 + grp;
			for (int64_t c0 = 0; c0 < nb; c0 += RB_CH) {
				const int m = nb - c0 < RB_CH ? (int)(nb - c0) : RB_CH;
				float *o = out + (size_t)t * os;
				int r = r0;
				rb_prep(type, m, x + (size_t)t * xs + (size_t)c0 * BA, &a);
				for (; r + 4 <= r1; r += 4) {
					float acc[4];
					for (int q = 0; q < 4; q++)
						acc[q] = c0 == 0 ? 0.0f : o[r + q];
					rb_row(type, 4, acc, m, w + (size_t)r * ws + (size_t)c0 * B, ws, &a);
					for (int q = 0; q < 4; q++)
						o[r + q] = acc[q];
				}
				for (; r < r1; r++) {
					float acc = c0 == 0 ? 0.0f : o[r];
					rb_row(type, 1, &acc, m, w + (size_t)r * ws + (size_t)c0 * B, ws, &a);
					o[r] = acc;
				}
			}
		}
}

/* 32-element types, batches: 16 weight rows converted once per call and slice of RB_SL blocks
 * (rbblk: per block 8 vectors of the 16 rows' 4 signed weights per group of 4 elements, the
 * rows' -128 * (sum of the block's weights), d and Q4_1 / Q5_1 m as floats); the tile's tokens'
 * activations as unsigned bytes a + 128 (and d, Q8_1's s as floats) once per tile; then per
 * block and token 8 `vpdpbusd` (activation bytes broadcast) started from the correction give
 * the 16 rows' exact block sums, and eng_b32_step with the 16 rows in one vector. Slices carry acc
 * through out (a float stored and loaded as it is), so rows of any length take this path. */
#define RB_SL 64

typedef struct rbblk {
	int8_t w[8][64];
	int32_t corr[KB_R];
	float d[KB_R], m[KB_R];
} rbblk;

_Static_assert(sizeof(rbblk) % 64 == 0, "rbblk keeps 64-byte alignment");

/* Rows w (stride ws; nr <= 16 of them, the others zero) -> blk[sl]: two blocks of the 16 rows
 * at a time, each row's 64 signed weights one vector, transposed into the per-group vectors. */
INL5 void rb_unpack(const int type, const uint8_t *w, size_t ws, int nr, int sl, rbblk *blk)
{
	const size_t B = eng_b32_size(type);
	const __m512i off = _mm512_set1_epi8((char)b32_off(type));
	for (int j = 0; j < sl; j += 2) {
		const int two = j + 1 < sl;
		__m512i r[16], o[16];
#pragma GCC unroll 16
		for (int q = 0; q < 16; q++)
			r[q] = q < nr ? _mm512_sub_epi8(b32_wload(type, w + (size_t)q * ws + (size_t)j * B, two), off)
				: _mm512_setzero_si512();
		tr16_512(r, o);
		for (int h = 0; h < 1 + two; h++) {
			rbblk *k = blk + j + h;
			__m512i sum = _mm512_setzero_si512();
#pragma GCC unroll 8
			for (int g = 0; g < 8; g++) {
				_mm512_store_si512(k->w[g], o[8 * h + g]);
				sum = _mm512_dpbusd_epi32(sum, _mm512_set1_epi8(1), o[8 * h + g]);
			}
			_mm512_store_si512(k->corr, _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(sum, 7)));
			for (int q = 0; q < KB_R; q++) {
				const uint8_t *b = w + (size_t)q * ws + (size_t)(j + h) * B;
				k->d[q] = q < nr ? h2f(b) : 0.0f;
				k->m[q] = q < nr && eng_b32_q81(type) ? h2f(b + offsetof(eng_blk_q4_1, m)) : 0.0f;
			}
		}
	}
}

/* The tile's tokens' activations for one slice: bytes a + 128, d and s as floats. */
typedef struct rbtok {
	uint8_t u[KB_NT][RB_SL * ENG_QK];
	float d[KB_NT][RB_SL], s[KB_NT][RB_SL];
} rbtok;

INL5 void rb_toks(const int type, int sl, const uint8_t *x, size_t xs, int nt, rbtok *a)
{
	const size_t B = eng_b32_act_size(type), Q = eng_b32_act_qs(type);
#pragma GCC unroll 8
	for (int t = 0; t < KB_NT; t++) {
		const uint8_t *xt = x + (size_t)(t < nt ? t : nt - 1) * xs;
		for (int j = 0; j < sl; j++) {
			const __m256i v = _mm256_loadu_si256((const __m256i *)(xt + (size_t)j * B + Q));
			_mm256_store_si256((__m256i *)(a->u[t] + ENG_QK * j), _mm256_xor_si256(v, _mm256_set1_epi8((char)0x80)));
			a->d[t][j] = h2f(xt + (size_t)j * B);
			a->s[t][j] = eng_b32_q81(type) ? h2f(xt + (size_t)j * B + offsetof(eng_blk_q8_1, s)) : 0.0f;
		}
	}
}

INL5 void rb_tile(const int type, int sl, const rbblk *blk, const rbtok *a, int nt, int first, float *out,
	size_t os, __mmask16 rmask)
{
	__m512 acc[KB_NT];
#pragma GCC unroll 8
	for (int t = 0; t < KB_NT; t++)
		acc[t] = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(t < nt ? rmask : 0, out + (size_t)(t < nt ? t : 0) * os);
	for (int j = 0; j < sl; j++) {
		const rbblk *k = blk + j;
		const __m512i corr = _mm512_load_si512(k->corr);
		const __m512 d = _mm512_load_ps(k->d);
		__m512i s[KB_NT];
#pragma GCC unroll 8
		for (int t = 0; t < KB_NT; t++)
			s[t] = corr;
#pragma GCC unroll 8
		for (int g = 0; g < 8; g++) {
			const __m512i wv = _mm512_load_si512(k->w[g]);
#pragma GCC unroll 8
			for (int t = 0; t < KB_NT; t++)
				s[t] = _mm512_dpbusd_epi32(s[t], _mm512_set1_epi32((int)ld32(a->u[t] + ENG_QK * j + 4 * g)), wv);
		}
#pragma GCC unroll 8
		for (int t = 0; t < KB_NT; t++) {
			const __m512 is = _mm512_cvtepi32_ps(s[t]), da = _mm512_set1_ps(a->d[t][j]);
			__m512 p;
			if (type == ENG_T_Q4_0)
				p = _mm512_mul_ps(_mm512_mul_ps(is, d), da);
			else if (eng_b32_q81(type))
				p = _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(d, da), is),
					_mm512_mul_ps(_mm512_load_ps(k->m), _mm512_set1_ps(a->s[t][j])));
			else
				p = _mm512_mul_ps(is, _mm512_mul_ps(d, da));
			acc[t] = _mm512_add_ps(acc[t], p);
		}
	}
#pragma GCC unroll 8
	for (int t = 0; t < KB_NT; t++)
		if (t < nt)
			_mm512_mask_storeu_ps(out + (size_t)t * os, rmask, acc[t]);
}

/* Up to RB_G tiles of 16 rows share each conversion of the tokens' sums. */
#define RB_G 2

/* Slice k0 .. k0 + sl - 1 (whole super-blocks of 8) of a Q8_0 R16 group (rp_groups) -> blk. */
INL5 void rb_from_rp(const uint8_t *grp, int64_t k0, int sl, rbblk *blk)
{
	const size_t sbb = ENG_RP_ROWS * 8 * sizeof(eng_blk_q8_0);
	for (int jj = 0; jj < sl; jj++) {
		const uint8_t *b = grp + (size_t)((k0 + jj) / 8) * sbb;
		const int j = (int)((k0 + jj) % 8);
		rbblk *k = blk + jj;
		__m512i sum = _mm512_setzero_si512();
#pragma GCC unroll 8
		for (int g = 0; g < 8; g++) {
			const __m512i v = _mm512_loadu_si512(b + 256 + 64 * (8 * j + g));
			_mm512_store_si512(k->w[g], v);
			sum = _mm512_dpbusd_epi32(sum, _mm512_set1_epi8(1), v);
		}
		_mm512_store_si512(k->corr, _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(sum, 7)));
		_mm512_store_ps(k->d, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(b + 32 * j))));
		_mm512_store_ps(k->m, _mm512_setzero_ps());
	}
}

/* rp: w holds Q8_0 R16 groups (n_rows a multiple of 16), converted by rb_from_rp. */
INL5 void rb_batch(const int type, const int rp, int64_t n, const uint8_t *w, size_t ws, int n_rows, const uint8_t *x,
	size_t xs, int n_act, float *out, size_t os)
{
	const int64_t nb = n / ENG_QK;
	const size_t B = eng_b32_size(type), BA = eng_b32_act_size(type);
	rbblk blk[RB_G][RB_SL] __attribute__((aligned(64)));
	rbtok a __attribute__((aligned(64)));
	for (int r0 = 0; r0 < n_rows; r0 += RB_G * KB_R) {
		const int ng = n_rows - r0 > KB_R ? RB_G : 1;
		for (int64_t k0 = 0; k0 < nb; k0 += RB_SL) {
			const int sl = nb - k0 < RB_SL ? (int)(nb - k0) : RB_SL;
			int nr[RB_G];
			for (int g = 0; g < ng; g++) {
				const int left = n_rows - r0 - g * KB_R;
				nr[g] = left < KB_R ? left : KB_R;
				if (rp)
					rb_from_rp(w + (size_t)(r0 + g * KB_R) * ws, k0, sl, blk[g]);
				else
					rb_unpack(type, w + (size_t)(r0 + g * KB_R) * ws + (size_t)k0 * B, ws, nr[g], sl, blk[g]);
			}
			for (int t0 = 0; t0 < n_act; t0 += KB_NT) {
				const int nt = n_act - t0 < KB_NT ? n_act - t0 : KB_NT;
				rb_toks(type, sl, x + (size_t)t0 * xs + (size_t)k0 * BA, xs, nt, &a);
				for (int g = 0; g < ng; g++)
					rb_tile(type, sl, blk[g], &a, nt, k0 == 0, out + (size_t)t0 * os + r0 + g * KB_R, os,
						(__mmask16)((1u << nr[g]) - 1));
			}
		}
	}
}

#define RB_MIN_ACT 3     /* fewer tokens: the decode rows (see REFB_512) */

/* Q8_0 in the R16 layout (quant_impl.h): per super-block of 8 blocks the 16 rows' d of block j
 * at 32j, then vector 8j + g (byte 4r + b: element 32j + 4g + b of row r, signed). Decode (fewer
 * than RB_MIN_ACT tokens): per block 8 `vpdpbusd` of the weights + 128 by the token's 4 bytes
 * broadcast, started at -128 x the block's activation sum, give the 16 rows' exact block sums,
 * then eng_b32_step with the 16 rows in one vector (the `_ref`'s bits); each group read as one
 * stream. More tokens: rb_batch on the groups converted by rb_from_rp. */
/* The token's Q8_0 blocks as rp8_sb takes them: d as floats, -128 x each block's sum. */
typedef struct rp8act {
	float d[ENG_RP_KMAX / ENG_QK];
	int32_t corr[ENG_RP_KMAX / ENG_QK];
} rp8act;

INL5 void rp8_prep(int64_t nb, const uint8_t *x, rp8act *a)
{
	const size_t B = sizeof(eng_blk_q8_0);
	for (int64_t j = 0; j < nb; j++) {   /* sad of a + 128, less 32 x 128 */
		const __m256i u = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(x + (size_t)j * B + 2)),
			_mm256_set1_epi8((char)0x80));
		const __m256i sd = _mm256_sad_epu8(u, _mm256_setzero_si256());
		const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(sd), _mm256_extracti128_si256(sd, 1));
		a->corr[j] = -128 * ((int32_t)(_mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1)) - 32 * 128);
		a->d[j] = h2f(x + (size_t)j * B);
	}
}

/* Super-block i (b: 8 blocks of the 16 rows) times the token's blocks 8i .. 8i + 7 (x, a). */
INL5 __m512 rp8_sb(const uint8_t *b, const uint8_t *x, const rp8act *a, int64_t i, __m512 acc)
{
#pragma GCC unroll 8
	for (int j = 0; j < 8; j++) {
		const int64_t k = 8 * i + j;
		__m512i s = _mm512_set1_epi32(a->corr[k]);
#pragma GCC unroll 8
		for (int e = 0; e < 8; e++)
			s = dpbusd_bc(s, _mm512_xor_si512(_mm512_loadu_si512(b + 256 + 64 * (8 * j + e)), _mm512_set1_epi8((char)0x80)),
				x + (size_t)k * sizeof(eng_blk_q8_0) + 2 + 4 * e);
		const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(b + 32 * j)));
		acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, _mm512_set1_ps(a->d[k]))));
	}
	return acc;
}

INL5 void rp_groups(const int type, int64_t n, const uint8_t *w, int ng, const uint8_t *x, size_t xs, int na,
	float *out, size_t os)
{
	const int64_t nb = n / ENG_QK_K;
	const size_t sbb = ENG_RP_ROWS * (type == ENG_T_Q8_0 ? 8 * sizeof(eng_blk_q8_0) : kq_size(type)), gs = (size_t)nb * sbb;
	if (type == ENG_T_Q8_0 && na >= RB_MIN_ACT) {   /* the 32-element tiles on the converted groups */
		rb_batch(type, 1, n, w, gs / ENG_RP_ROWS, ng * ENG_RP_ROWS, x, xs, na, out, os);
		return;
	}
	if (type != ENG_T_Q8_0 && na >= KB_MIN_ACT) {   /* batches: the 16-row tile over the converted group */
		kbblk blk[KB_KMAX / ENG_QK_K] __attribute__((aligned(64)));
		for (int g = 0; g < ng; g++) {
			kb_from_rp(type, w + (size_t)g * gs, nb, blk);
			for (int t0 = 0; t0 < na; t0 += KB_NT)
				kb_tile(type, nb, blk, x + (size_t)t0 * xs, xs, na - t0 < KB_NT ? na - t0 : KB_NT,
					out + (size_t)t0 * os + (size_t)g * ENG_RP_ROWS, os, (__mmask16)0xffff);
		}
		return;
	}
	rp8act pa[RB_MIN_ACT - 1];   /* Q8_0: each token's blocks */
	if (type == ENG_T_Q8_0)
		for (int a = 0; a < na; a++)
			rp8_prep(n / ENG_QK, x + (size_t)a * xs, &pa[a]);
	for (int g = 0; g < ng; g++) {
		const uint8_t *wg = w + (size_t)g * gs;
		for (int a = 0; a < na; a++) {
			const uint8_t *xa = x + (size_t)a * xs;
			__m512 acc = _mm512_setzero_ps();
			for (int64_t i = 0; i < nb; i++) {
				const uint8_t *b = wg + (size_t)i * sbb;
				if (a == 0)   /* the first token's pass fetches ahead */
					pf_ahead(b, sbb);
				acc = type == ENG_T_Q8_0 ? rp8_sb(b, xa, &pa[a], i, acc) :
					rp_sb(type, b, xa + (size_t)i * sizeof(eng_blk_q8_K), acc);
			}
			_mm512_storeu_ps(out + (size_t)a * os + (size_t)g * ENG_RP_ROWS, acc);
		}
	}
}

#define RP_512(name, T)                                                                         \
	TGT5 static void rp_##name##_512(int64_t n, const void *w, int ng, const void *act, size_t xs, \
		int n_act, float *out, size_t os)                                                     \
	{                                                                                     \
		rp_groups(T, n, w, ng, act, xs, n_act, out, os);                              \
	}
RP_512(q4_K, ENG_T_Q4_K)
RP_512(iq4_xs, ENG_T_IQ4_XS)
RP_512(q6_K, ENG_T_Q6_K)
RP_512(q2_K, ENG_T_Q2_K)
RP_512(q3_K, ENG_T_Q3_K)
RP_512(q8_0, ENG_T_Q8_0)

/* Per 32-element type: the single dot (the decode path with one row and one activation) and the
 * rows (the decode path for fewer than RB_MIN_ACT tokens, else the tiles: with 3 tokens the
 * tiles' conversion already costs less than decoding the rows once per token). */
#define REFB_512(name, T)                                                                       \
	TGT5 static float dot_##name##_512(int64_t n, const void *w, const void *act)         \
	{                                                                                     \
		float o = 0.0f;                                                               \
		rb_rows(T, n, w, 0, 1, act, 0, 1, &o, 0);                                     \
		return o;                                                                     \
	}                                                                                     \
	TGT5 static void rows_##name##_512(int64_t n, const void *w, size_t ws, int n_rows,   \
		const void *act, size_t xs, int n_act, float *out, size_t os)                 \
	{                                                                                     \
		if (n < ENG_QK) {                                                             \
			for (int a = 0; a < n_act; a++)                                       \
				for (int r = 0; r < n_rows; r++)                              \
					out[(size_t)a * os + r] = 0.0f;                       \
		} else if (n_act < RB_MIN_ACT) {                                              \
			rb_rows(T, n, w, ws, n_rows, act, xs, n_act, out, os);                \
		} else {                                                                      \
			rb_batch(T, 0, n, w, ws, n_rows, act, xs, n_act, out, os);            \
		}                                                                             \
	}
REFB_512(q4_0, ENG_T_Q4_0)
REFB_512(q4_1, ENG_T_Q4_1)
REFB_512(q5_0, ENG_T_Q5_0)
REFB_512(q5_1, ENG_T_Q5_1)
REFB_512(q8_0, ENG_T_Q8_0)
REFB_512(iq4_nl, ENG_T_IQ4_NL)
KQUANT_512(q2_K, ENG_T_Q2_K)
KQUANT_512(q3_K, ENG_T_Q3_K)
KQUANT_512(q4_K, ENG_T_Q4_K)
KQUANT_512(q5_K, ENG_T_Q5_K)
KQUANT_512(q6_K, ENG_T_Q6_K)
KQUANT_512(iq4_xs, ENG_T_IQ4_XS)

/* ---- AVX-512: the softmax's exponentials (as exp_sum_avx2, 16 lanes a register) ---------- */
INL5 __m512 expf16_512(__m512 x)
{
	const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), lo = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.0f), _CMP_LT_OQ);
	const __m512 xc = _mm512_min_ps(x, _mm512_set1_ps(88.0f));
	const __m512 t = _mm512_fmadd_ps(xc, _mm512_set1_ps(1.44269504f), _mm512_set1_ps(12582912.0f));
	const __m512 nf = _mm512_sub_ps(t, _mm512_set1_ps(12582912.0f));
	__m512 r = _mm512_fmadd_ps(nf, _mm512_set1_ps(-0.693145751953125f), xc), p;
	r = _mm512_fmadd_ps(nf, _mm512_set1_ps(-1.42860677e-06f), r);
	p = _mm512_set1_ps(1.0f / 5040);
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
	const __m512i e = _mm512_slli_epi32(_mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000)), 23);
	p = _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(p), e));
	p = _mm512_maskz_mov_ps((__mmask16)~lo, p);
	return _mm512_mask_mov_ps(p, nan, x);
}

/* eng_axpy_rows as axpy_rows_avx2, 16 lanes: tiles of 4 rows x 64 elements in registers over
 * all nj, then rows one by one 16 lanes (the last ones masked) at a time. */
TGT5 static void axpy_rows_512(float *o, size_t os, int ng, const float *w, size_t ws, const float *x, size_t xs,
	int nj, int64_t n)
{
	int g = 0;

	for (; g + 4 <= ng; g += 4) {
		int64_t i = 0;

		for (; i + 64 <= n; i += 64) {
			__m512 acc[4][4];
#pragma GCC unroll 4
			for (int r = 0; r < 4; r++)
#pragma GCC unroll 4
				for (int k = 0; k < 4; k++)
					acc[r][k] = _mm512_loadu_ps(o + (size_t)(g + r) * os + (size_t)i + 16 * k);
			for (int j = 0; j < nj; j++) {
				const float *xj = x + (size_t)j * xs + (size_t)i;
				__m512 xv[4];
#pragma GCC unroll 4
				for (int k = 0; k < 4; k++)
					xv[k] = _mm512_loadu_ps(xj + 16 * k);
#pragma GCC unroll 4
				for (int r = 0; r < 4; r++) {
					const __m512 vw = _mm512_set1_ps(w[(size_t)(g + r) * ws + (size_t)j]);
#pragma GCC unroll 4
					for (int k = 0; k < 4; k++)
						acc[r][k] = _mm512_add_ps(acc[r][k], _mm512_mul_ps(vw, xv[k]));
				}
			}
#pragma GCC unroll 4
			for (int r = 0; r < 4; r++)
#pragma GCC unroll 4
				for (int k = 0; k < 4; k++)
					_mm512_storeu_ps(o + (size_t)(g + r) * os + (size_t)i + 16 * k, acc[r][k]);
		}
		if (i == n)
			continue;
		for (int r = 0; r < 4; r++)
			axpy_rows_512(o + (size_t)(g + r) * os + (size_t)i, os, 1, w + (size_t)(g + r) * ws, ws, x + i, xs, nj, n - i);
	}
	for (; g < ng; g++) {
		float *og = o + (size_t)g * os;
		const float *wg = w + (size_t)g * ws;

		for (int64_t i = 0; i < n; i += 16) {
			const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
			__m512 acc = _mm512_maskz_loadu_ps(m, og + i);

			for (int j = 0; j < nj; j++)
				acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_set1_ps(wg[j]), _mm512_maskz_loadu_ps(m, x + (size_t)j * xs + (size_t)i)));
			_mm512_mask_storeu_ps(og + i, m, acc);
		}
	}
}

TGT5 static void silu_mul_512(float *g, const float *u, int64_t n)
{
	int64_t i = 0;

	for (; i + 16 <= n; i += 16) {
		const __m512 x = _mm512_loadu_ps(g + i);
		const __m512 e = expf16_512(_mm512_xor_ps(x, _mm512_set1_ps(-0.0f)));
		_mm512_storeu_ps(g + i, _mm512_mul_ps(_mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e)),
			_mm512_loadu_ps(u + i)));
	}
	for (; i < n; i++)
		g[i] = g[i] / (1.0f + eng_expf(-g[i])) * u[i];
}

/* eng_delta_rows: 32 rows (two vectors, masked at the end) at a time through all the tokens, so
 * that the block's part of the state (D x 128 bytes) stays in the first-level cache from token
 * to token, and token t's state update and token t + 1's sums share one pass over it (each sum
 * still runs over the columns in order). Separate multiplies and adds: the _ref's bits. */
TGT5 static void delta_rows_512(float *S, int D, int r0, int nr, int n, const float *q, const float *k,
	size_t in_stride, const float *v, float *out, size_t out_stride, const float *sc, size_t sc_stride)
{
	const __m512 scale = _mm512_set1_ps(1.0f / sqrtf((float)D));
	const __m512 lo = _mm512_set1_ps(-1e6f), hi = _mm512_set1_ps(1e6f);

	for (int rb = r0; rb < r0 + nr; rb += 32) {
		const int m = r0 + nr - rb;
		const __mmask16 m0 = m >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << m) - 1);
		const __mmask16 m1 = m >= 32 ? (__mmask16)0xffff : m > 16 ? (__mmask16)((1u << (m - 16)) - 1) : 0;
		float *Sb = S + rb;
		__m512 vp0 = _mm512_setzero_ps(), vp1 = vp0, op0 = vp0, op1 = vp0;

		for (int col = 0; col < D; col++) {
			const float *Sc = Sb + (size_t)col * (size_t)D;
			const __m512 s0 = _mm512_maskz_loadu_ps(m0, Sc), s1 = _mm512_maskz_loadu_ps(m1, Sc + 16);
			const __m512 kc = _mm512_set1_ps(k[col]), qc = _mm512_set1_ps(q[col]);

			vp0 = _mm512_add_ps(vp0, _mm512_mul_ps(s0, kc));
			vp1 = _mm512_add_ps(vp1, _mm512_mul_ps(s1, kc));
			op0 = _mm512_add_ps(op0, _mm512_mul_ps(s0, qc));
			op1 = _mm512_add_ps(op1, _mm512_mul_ps(s1, qc));
		}
		for (int t = 0; t < n; t++) {
			const float *st = sc + (size_t)t * sc_stride, *kt = k + (size_t)t * in_stride, ki = st[3];
			const __m512 beta = _mm512_set1_ps(st[0]), decay = _mm512_set1_ps(st[1]);
			const __m512 qi = _mm512_set1_ps(st[2]), kiv = _mm512_set1_ps(ki), score = _mm512_set1_ps(st[4]);
			const float *vt = v + (size_t)t * in_stride + rb;
			float *ot = out + (size_t)t * out_stride + rb;
			const __m512 vn0 = _mm512_sub_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m0, vt), beta),
				_mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(vp0, beta), decay), kiv));
			const __m512 vn1 = _mm512_sub_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m1, vt + 16), beta),
				_mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(vp1, beta), decay), kiv));

			_mm512_mask_storeu_ps(ot, m0, _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(op0, decay), qi), scale),
				_mm512_mul_ps(vn0, score)));
			_mm512_mask_storeu_ps(ot + 16, m1, _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(op1, decay), qi),
				scale), _mm512_mul_ps(vn1, score)));
			vp0 = vp1 = op0 = op1 = _mm512_setzero_ps();
			if (t + 1 < n) {
				const float *kn = kt + in_stride, *qn = q + (size_t)(t + 1) * in_stride;

				for (int col = 0; col < D; col++) {
					float *Sc = Sb + (size_t)col * (size_t)D;
					const __m512 kc = _mm512_set1_ps(kt[col] * ki), kx = _mm512_set1_ps(kn[col]);
					const __m512 qx = _mm512_set1_ps(qn[col]);
					const __m512 u0 = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(_mm512_mul_ps(decay,
						_mm512_maskz_loadu_ps(m0, Sc)), _mm512_mul_ps(vn0, kc)), lo), hi);
					const __m512 u1 = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(_mm512_mul_ps(decay,
						_mm512_maskz_loadu_ps(m1, Sc + 16)), _mm512_mul_ps(vn1, kc)), lo), hi);

					_mm512_mask_storeu_ps(Sc, m0, u0);
					_mm512_mask_storeu_ps(Sc + 16, m1, u1);
					vp0 = _mm512_add_ps(vp0, _mm512_mul_ps(u0, kx));
					vp1 = _mm512_add_ps(vp1, _mm512_mul_ps(u1, kx));
					op0 = _mm512_add_ps(op0, _mm512_mul_ps(u0, qx));
					op1 = _mm512_add_ps(op1, _mm512_mul_ps(u1, qx));
				}
			} else {
				for (int col = 0; col < D; col++) {
					float *Sc = Sb + (size_t)col * (size_t)D;
					const __m512 kc = _mm512_set1_ps(kt[col] * ki);

					_mm512_mask_storeu_ps(Sc, m0, _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(_mm512_mul_ps(decay,
						_mm512_maskz_loadu_ps(m0, Sc)), _mm512_mul_ps(vn0, kc)), lo), hi));
					_mm512_mask_storeu_ps(Sc + 16, m1, _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(_mm512_mul_ps(decay,
						_mm512_maskz_loadu_ps(m1, Sc + 16)), _mm512_mul_ps(vn1, kc)), lo), hi));
				}
			}
		}
	}
}

TGT5 static double exp_sum_512(float *sc, int64_t n, float mx)
{
	const __m512 m = _mm512_set1_ps(mx);
	__m512d s0 = _mm512_setzero_pd(), s1 = s0;
	int64_t p = 0;
	double t;

	for (; p + 16 <= n; p += 16) {
		const __m512 e = expf16_512(_mm512_sub_ps(_mm512_loadu_ps(sc + p), m));
		_mm512_storeu_ps(sc + p, e);
		s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
		s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm512_extractf32x8_ps(e, 1)));
	}
	const __m512d t8 = _mm512_add_pd(s0, s1);
	const __m256d t4 = _mm256_add_pd(_mm512_castpd512_pd256(t8), _mm512_extractf64x4_pd(t8, 1));
	const __m128d t2 = _mm_add_pd(_mm256_castpd256_pd128(t4), _mm256_extractf128_pd(t4, 1));
	t = _mm_cvtsd_f64(_mm_add_sd(t2, _mm_unpackhi_pd(t2, t2)));
	for (; p < n; p++) {
		sc[p] = eng_expf(sc[p] - mx);
		t += (double)sc[p];
	}
	return t;
}

/* ---- AVX-512: keys in blocks of 16 positions (K16, quant_impl.h; issue 29) -------------------
 * One lane per position: lane m of the single dot's 16-lane FMA chain (the elements e with
 * e % 16 == m, in increasing e, from zero) becomes a vector over 16 positions, and the single
 * dot's pairwise sum of its lanes (eng_sum16: a_i = l_i+8 + l_i, b_i = a_i+4 + a_i, b0 + b2,
 * b1 + b3, then those two) the same additions between those vectors: the same operations on the
 * same values, so the same bits, and no horizontal sum per (position, query). F16 keys are
 * converted to F32 (exactly) once per call, K16_CVT floats at a time. */
#define K16_BB 4                 /* blocks a query works on at once */
#define K16_CVT (32768 / 4)      /* floats of converted keys on the stack */

INL5 void k16_query(const int NB, const float *kb, int64_t n, const float *qa, float *o)
{
	__m512 c[2][K16_BB];

#pragma GCC unroll 2
	for (int half = 0; half < 2; half++) {
		__m512 bs[2][K16_BB];
#pragma GCC unroll 2
		for (int w = 0; w < 2; w++) {
			const int i = half + 2 * w;
			__m512 as[2][K16_BB];
#pragma GCC unroll 2
			for (int u = 0; u < 2; u++) {
				const int m = i + 4 * u;
				__m512 l0[K16_BB], l8[K16_BB];
#pragma GCC unroll 4
				for (int bb = 0; bb < NB; bb++)
					l0[bb] = l8[bb] = _mm512_setzero_ps();
				for (int64_t t = 0; t < n; t += 16) {
					const __m512 q0 = _mm512_set1_ps(qa[t + m]), q8 = _mm512_set1_ps(qa[t + m + 8]);
#pragma GCC unroll 4
					for (int bb = 0; bb < NB; bb++) {
						const float *kc = kb + ((size_t)bb * (size_t)n + (size_t)(t + m)) * 16;
						l0[bb] = _mm512_fmadd_ps(_mm512_loadu_ps(kc), q0, l0[bb]);
						l8[bb] = _mm512_fmadd_ps(_mm512_loadu_ps(kc + 8 * 16), q8, l8[bb]);
					}
				}
#pragma GCC unroll 4
				for (int bb = 0; bb < NB; bb++)
					as[u][bb] = _mm512_add_ps(l8[bb], l0[bb]);
			}
#pragma GCC unroll 4
			for (int bb = 0; bb < NB; bb++)
				bs[w][bb] = _mm512_add_ps(as[1][bb], as[0][bb]);
		}
#pragma GCC unroll 4
		for (int bb = 0; bb < NB; bb++)
			c[half][bb] = _mm512_add_ps(bs[0][bb], bs[1][bb]);
	}
#pragma GCC unroll 4
	for (int bb = 0; bb < NB; bb++)
		_mm512_storeu_ps(o + (size_t)bb * 16, _mm512_add_ps(c[0][bb], c[1][bb]));
}

INL5 int k16_512(const int f16, int64_t n, const void *k, int64_t n_blocks, const float *q, size_t q_stride,
	int n_q, float *out, size_t os)
{
	float buf[K16_CVT] __attribute__((aligned(64)));
	const int64_t per = f16 ? K16_CVT / (16 * n) : K16_BB * 4;

	if (per < 1)
		return -1;
	for (int64_t b0 = 0; b0 < n_blocks; b0 += per) {
		const int64_t nb = n_blocks - b0 < per ? n_blocks - b0 : per;
		const float *kb;

		if (f16) {
			const uint16_t *src = (const uint16_t *)k + (size_t)b0 * (size_t)n * 16;
			for (size_t i = 0; i < (size_t)(nb * n * 16); i += 16)
				_mm512_store_ps(buf + i, ld16_f16(src + i));
			kb = buf;
		} else {
			kb = (const float *)k + (size_t)b0 * (size_t)n * 16;
		}
		for (int a = 0; a < n_q; a++) {
			const float *qa = q + (size_t)a * q_stride;
			float *o = out + (size_t)a * os + (size_t)b0 * 16;
			int64_t b = 0;
			for (; b + K16_BB <= nb; b += K16_BB)
				k16_query(K16_BB, kb + (size_t)b * (size_t)n * 16, n, qa, o + b * 16);
			switch (nb - b) {
			case 3: k16_query(3, kb + (size_t)b * (size_t)n * 16, n, qa, o + b * 16); break;
			case 2: k16_query(2, kb + (size_t)b * (size_t)n * 16, n, qa, o + b * 16); break;
			case 1: k16_query(1, kb + (size_t)b * (size_t)n * 16, n, qa, o + b * 16); break;
			default: break;
			}
		}
	}
	return 0;
}

TGT5 static int k16_f16_512(int64_t n, const void *k, int64_t n_blocks, const float *q, size_t q_stride,
	int n_q, float *out, size_t os)
{
	return k16_512(1, n, k, n_blocks, q, q_stride, n_q, out, os);
}

TGT5 static int k16_f32_512(int64_t n, const void *k, int64_t n_blocks, const float *q, size_t q_stride,
	int n_q, float *out, size_t os)
{
	return k16_512(0, n, k, n_blocks, q, q_stride, n_q, out, os);
}

void eng_kernels_avx512(eng_kernels *k)
{
	k->expsum = exp_sum_512;
	k->silu_mul = silu_mul_512;
	k->delta_rows = delta_rows_512;
	k->axpy_rows = axpy_rows_512;
	k->dot[ENG_T_F32] = dot_f32_512;
	k->dot[ENG_T_F16] = dot_f16_512;
	k->dot[ENG_T_BF16] = dot_bf16_512;
	k->rows[ENG_T_F32] = rows_f32_512;
	k->rows[ENG_T_F16] = rows_f16_512;
	k->k16[0] = k16_f16_512;
	k->k16[1] = k16_f32_512;
#define SET(name, T) k->dot[T] = dot_##name##_512; k->rows[T] = rows_##name##_512
	SET(q4_0, ENG_T_Q4_0);
	SET(q4_1, ENG_T_Q4_1);
	SET(q5_0, ENG_T_Q5_0);
	SET(q5_1, ENG_T_Q5_1);
	SET(q8_0, ENG_T_Q8_0);
	SET(iq4_nl, ENG_T_IQ4_NL);
	SET(q2_K, ENG_T_Q2_K);
	SET(q3_K, ENG_T_Q3_K);
	SET(q4_K, ENG_T_Q4_K);
	SET(q5_K, ENG_T_Q5_K);
	SET(q6_K, ENG_T_Q6_K);
	SET(iq4_xs, ENG_T_IQ4_XS);
#undef SET
	k->rp[ENG_T_Q4_K] = rp_q4_K_512;
	k->rp[ENG_T_IQ4_XS] = rp_iq4_xs_512;
	k->rp[ENG_T_Q6_K] = rp_q6_K_512;
	k->rp[ENG_T_Q2_K] = rp_q2_K_512;
	k->rp[ENG_T_Q3_K] = rp_q3_K_512;
	k->rp[ENG_T_Q8_0] = rp_q8_0_512;
	k->dot[ENG_T_MXFP4] = eng_dot_mxfp4_avx512;   /* quant_mxfp4_x86.c */
	eng_kernels_iq_avx512(k);   /* quant_iq_x86.c: the IQ1/IQ2/IQ3 and TQ types */
}

#else
/* Not x86: this file provides nothing (a declaration keeps the translation unit non-empty). */
typedef int eng_quant_x86_unused;
#endif
