/* engine/quant_neon.c — aarch64 NEON kernels for the element types: the F32 and F16 dots and
 * 2 x 2 row tiles in the _ref's summation order and the BF16 dot (float products, double sums);
 * the 32-element types Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL and MXFP4 (the _ref's order), the
 * super-block types Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and IQ4_XS (order B, the x86 levels' order, so
 * the same bits as theirs) and the IQ1/IQ2/IQ3 and ternary types (the _ref's float steps;
 * quant_iq_neon.c decodes their super-blocks) as tiles of 4 rows x 4 activations that the single
 * dot runs as a tile of one, in two variants chosen at start-up from the CPU's hwcaps: `sdot`
 * (the dot-product extension, ARMv8.2-A and later) and plain ARMv8-A widening multiplies; and
 * the Q8_0 / Q8_K / F16 activation quantizers, byte for byte. quant_dispatch.c picks this level
 * on aarch64; tests/engine/test_kernels.c and test_iq.c check each kernel against its _ref
 * (tests/integration/test_neon.sh runs them under qemu-user). */
#if defined(__aarch64__)

#include "engine/kern_load.h"
#include "engine/quant_impl.h"

#include <arm_neon.h>
#include <math.h>
#include <stddef.h>
#include <string.h>
#include <sys/auxv.h>

static inline float h2f(const uint8_t *p)
{
	return eng_f16_to_f32(ld16(p));
}

/* CALL(r, a) with a tile's shape as constants (R is 1 or TR, A is 1 or TA), so that each
 * always-inline tile is compiled for its shape. */
#define CONST_RA(CALL, R, A, TR, TA)                                                              \
	do {                                                                                        \
		if ((R) == (TR))                                                                    \
			(A) == (TA) ? CALL(TR, TA) : CALL(TR, 1);                                    \
		else                                                                                \
			(A) == (TA) ? CALL(1, TA) : CALL(1, 1);                                      \
	} while (0)

/* ---- F32 / F16 / BF16 ------------------------------------------------------------------------ */

/* eng_sum16 of lanes v0 (0..3), v1 (4..7), v2 (8..11), v3 (12..15), the same additions. */
static inline float sum16_neon(float32x4_t v0, float32x4_t v1, float32x4_t v2, float32x4_t v3)
{
	const float32x4_t b = vaddq_f32(vaddq_f32(v3, v1), vaddq_f32(v2, v0));   /* a[i+4] + a[i] */
	const float32x2_t c = vadd_f32(vget_low_f32(b), vget_high_f32(b));       /* b0+b2, b1+b3 */
	return vget_lane_f32(c, 0) + vget_lane_f32(c, 1);
}

/* 4 elements at p (any alignment) as floats: F32, or F16 widened (exact); and one element. */
static inline __attribute__((always_inline)) float32x4_t fp_ld4(const int f16, const uint8_t *p)
{
	return f16 ? vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(p))) : vreinterpretq_f32_u8(vld1q_u8(p));
}

static inline __attribute__((always_inline)) float fp_ld1(const int f16, const uint8_t *p)
{
	return f16 ? h2f(p) : ldf32(p);
}

#define FP_R 2      /* weight rows per F32 / F16 tile */
#define FP_A 2      /* activations per tile: 2 x 2 pairs of 16 lanes fill 16 of the 32 registers */

/* ORDERED_DOT of quant.c for rows of a multiple of 16 elements, R rows x A activations at once
 * (R, A: 1 or FP_R, FP_A): per (row, activation) 16 fused lanes in four vectors, then eng_sum16's
 * additions. o[r][a] takes the result. */
static inline __attribute__((always_inline)) void fp_tile(const int f16, const uint8_t *const wr[FP_R], const int R,
	const uint8_t *const xa[FP_A], const int A, int64_t n, float o[FP_R][FP_A])
{
	const size_t es = f16 ? 2 : 4;
	float32x4_t l[FP_R][FP_A][4];

#pragma GCC unroll 2
	for (int r = 0; r < R; r++)
#pragma GCC unroll 2
		for (int a = 0; a < A; a++)
#pragma GCC unroll 4
			for (int k = 0; k < 4; k++)
				l[r][a][k] = vdupq_n_f32(0.0f);
	for (int64_t i = 0; i < n; i += 16)
#pragma GCC unroll 4
		for (int k = 0; k < 4; k++) {
			const size_t off = (size_t)(i + 4 * k) * es;
			float32x4_t wv[FP_R], xv[FP_A];
#pragma GCC unroll 2
			for (int r = 0; r < R; r++)
				wv[r] = fp_ld4(f16, wr[r] + off);
#pragma GCC unroll 2
			for (int a = 0; a < A; a++)
				xv[a] = fp_ld4(f16, xa[a] + off);
#pragma GCC unroll 2
			for (int r = 0; r < R; r++)
#pragma GCC unroll 2
				for (int a = 0; a < A; a++)
					l[r][a][k] = vfmaq_f32(l[r][a][k], wv[r], xv[a]);
		}
#pragma GCC unroll 2
	for (int r = 0; r < R; r++)
#pragma GCC unroll 2
		for (int a = 0; a < A; a++)
			o[r][a] = sum16_neon(l[r][a][0], l[r][a][1], l[r][a][2], l[r][a][3]);
}

/* ORDERED_DOT of quant.c: a tile of one for a multiple of 16 elements, else four 16-lane sets
 * per 64 elements (added as the _ref adds them) and the tail in double. */
static inline __attribute__((always_inline)) float fp_dot(const int f16, int64_t n, const uint8_t *x, const uint8_t *y)
{
	const size_t es = f16 ? 2 : 4;
	if (n % 16 == 0) {
		const uint8_t *wr[FP_R] = { x }, *xa[FP_A] = { y };
		float o[FP_R][FP_A];
		fp_tile(f16, wr, 1, xa, 1, n, o);
		return o[0][0];
	}
	float32x4_t acc[4][4];   /* 16 registers */
#pragma GCC unroll 4
	for (int s = 0; s < 4; s++)
#pragma GCC unroll 4
		for (int k = 0; k < 4; k++)
			acc[s][k] = vdupq_n_f32(0.0f);
	const int64_t np = n & ~(int64_t)63;
	for (int64_t i = 0; i < np; i += 64)
#pragma GCC unroll 4
		for (int s = 0; s < 4; s++)
#pragma GCC unroll 4
			for (int k = 0; k < 4; k++) {
				const size_t off = (size_t)(i + 16 * s + 4 * k) * es;
				acc[s][k] = vfmaq_f32(acc[s][k], fp_ld4(f16, x + off), fp_ld4(f16, y + off));
			}
#pragma GCC unroll 4
	for (int k = 0; k < 4; k++) {
		acc[0][k] = vaddq_f32(acc[0][k], acc[2][k]);
		acc[1][k] = vaddq_f32(acc[1][k], acc[3][k]);
		acc[0][k] = vaddq_f32(acc[0][k], acc[1][k]);
	}
	double s = sum16_neon(acc[0][0], acc[0][1], acc[0][2], acc[0][3]);
	for (int64_t i = np; i < n; i++)
		s += (double)(fp_ld1(f16, x + (size_t)i * es) * fp_ld1(f16, y + (size_t)i * es));
	return (float)s;
}

/* eng_rows_fn of F32 / F16: tiles of FP_R rows x FP_A activations (the rest one at a time) for a
 * multiple of 16 elements, else the single dot per (row, activation); fp_dot is a tile of one,
 * so every result has the dot's bits. */
static inline __attribute__((always_inline)) void fp_rows(const int f16, int64_t n, const void *w, size_t ws,
	int n_rows, const void *act, size_t xs, int n_act, float *out, size_t os)
{
	for (int r0 = 0; r0 < n_rows;) {
		const int R = n_rows - r0 >= FP_R && n % 16 == 0 ? FP_R : 1;
		const uint8_t *wr[FP_R];
		for (int r = 0; r < R; r++)
			wr[r] = (const uint8_t *)w + (size_t)(r0 + r) * ws;
		for (int a0 = 0; a0 < n_act;) {
			const int A = n_act - a0 >= FP_A && n % 16 == 0 ? FP_A : 1;
			const uint8_t *xa[FP_A];
			float o[FP_R][FP_A];
			for (int a = 0; a < A; a++)
				xa[a] = (const uint8_t *)act + (size_t)(a0 + a) * xs;
			if (n % 16 != 0)
				o[0][0] = fp_dot(f16, n, wr[0], xa[0]);
			else {
#define FP_TILE(r, a) fp_tile(f16, wr, r, xa, a, n, o)
				CONST_RA(FP_TILE, R, A, FP_R, FP_A);
#undef FP_TILE
			}
			for (int a = 0; a < A; a++)
				for (int r = 0; r < R; r++)
					out[(size_t)(a0 + a) * os + (size_t)(r0 + r)] = o[r][a];
			a0 += A;
		}
		r0 += R;
	}
}

static float dot_f32_neon(int64_t n, const void *w, const void *act)
{
	return fp_dot(0, n, w, act);
}

static float dot_f16_neon(int64_t n, const void *w, const void *act)
{
	return fp_dot(1, n, w, act);
}

static void rows_f32_neon(int64_t n, const void *w, size_t ws, int n_rows, const void *act, size_t xs, int n_act,
	float *out, size_t os)
{
	fp_rows(0, n, w, ws, n_rows, act, xs, n_act, out, os);
}

static void rows_f16_neon(int64_t n, const void *w, size_t ws, int n_rows, const void *act, size_t xs, int n_act,
	float *out, size_t os)
{
	fp_rows(1, n, w, ws, n_rows, act, xs, n_act, out, os);
}

/* 4 BF16 elements at p (any alignment) as floats (exact). */
static inline float32x4_t ld4_bf16(const uint8_t *p)
{
	return vreinterpretq_f32_u32(vshll_n_u16(vreinterpret_u16_u8(vld1_u8(p)), 16));
}

/* BF16: the _ref's float products (exact unless they overflow or are tiny, and rounded as the
 * _ref's where not), summed in double in this kernel's order (8 lanes of 2 doubles' pairs added
 * at the end, then the tail in turn), as the x86 levels sum them in theirs: within DOT_REL_TOL of
 * the _ref, whose one sequential double chain no vector kernel can keep. */
static float dot_bf16_neon(int64_t n, const void *w, const void *act)
{
	const uint8_t *x = w, *y = act;
	float64x2_t s[4];
	int64_t i = 0;

	for (int k = 0; k < 4; k++)
		s[k] = vdupq_n_f64(0.0);
	for (; i + 8 <= n; i += 8) {
		const float32x4_t p0 = vmulq_f32(ld4_bf16(x + 2 * i), ld4_bf16(y + 2 * i));
		const float32x4_t p1 = vmulq_f32(ld4_bf16(x + 2 * i + 8), ld4_bf16(y + 2 * i + 8));
		s[0] = vaddq_f64(s[0], vcvt_f64_f32(vget_low_f32(p0)));
		s[1] = vaddq_f64(s[1], vcvt_high_f64_f32(p0));
		s[2] = vaddq_f64(s[2], vcvt_f64_f32(vget_low_f32(p1)));
		s[3] = vaddq_f64(s[3], vcvt_high_f64_f32(p1));
	}
	double t = vaddvq_f64(vaddq_f64(vaddq_f64(s[0], s[2]), vaddq_f64(s[1], s[3])));
	for (; i < n; i++)
		t += (double)(eng_bf16_to_f32(ld16(x + 2 * i)) * eng_bf16_to_f32(ld16(y + 2 * i)));
	return (float)t;
}

/* ---- the quantized types in tiles ------------------------------------------------------------
 * The super-block types (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS) in order B, the x86 levels'
 * order (docs/quant-formats.md, "Order B"): the exact integer sums of each super-block first,
 * then the float steps, one scalar sequence per (row, activation). The IQ1/IQ2/IQ3 and TQ types
 * form the same integer sums and then run their _ref's float steps; the 32-element types run
 * in the _ref's own order. Integer sums are exact however their lanes are split, so both
 * variants below (plain ARMv8-A and the dot-product extension) and the x86 levels give the
 * same bits. */

/* One super-block of a weight row as the tiles read it: its 256 levels as int8 with the
 * format's offset folded in (Q3_K q - 4, Q6_K q - 32, IQ4_XS the table value; the IQ and TQ
 * types as eng_iq_unpack_neon gives them, TQ2_0 q - 1), the scale and the min of each group of
 * 16 (a 32-element group's twice; mn only for the types with mins), d and dmin. */
typedef struct ob_sb {
	int8_t lv[ENG_QK_K];
	int32_t sc[16];
	int16_t mn[16];
	float d, dmin;
} ob_sb;

#define OB_R 4      /* rows per tile */
#define OB_A 4      /* activations per tile */
#define OB_SB 16    /* super-blocks unpacked per run (OB_R * OB_SB * 360 bytes of stack) */
/* CONST_RA for the quantized tiles' shape. */
#define NT_CONST_RA(CALL, R, A) CONST_RA(CALL, R, A, OB_R, OB_A)

/* Element 128h + 32p + l of a Q2_K / Q3_K super-block: bits 2p, 2p + 1 of qs[32h + l]. */
static inline void q2_levels(const uint8_t *qs, int8_t *lv)
{
	for (int h = 0; h < 2; h++) {
		const uint8x16_t b0 = vld1q_u8(qs + 32 * h), b1 = vld1q_u8(qs + 32 * h + 16);
		for (int p = 0; p < 4; p++) {
			const int8x16_t sh = vdupq_n_s8((int8_t)(-2 * p));
			vst1q_u8((uint8_t *)lv + 128 * h + 32 * p, vandq_u8(vshlq_u8(b0, sh), vdupq_n_u8(3)));
			vst1q_u8((uint8_t *)lv + 128 * h + 32 * p + 16, vandq_u8(vshlq_u8(b1, sh), vdupq_n_u8(3)));
		}
	}
}

static void ob_unpack(int type, const uint8_t *b, ob_sb *o)
{
	switch (type) {
	case ENG_T_Q2_K: {
		q2_levels(b + offsetof(eng_blk_q2_K, qs), o->lv);
		for (int g = 0; g < 16; g++) {
			const uint8_t s = b[offsetof(eng_blk_q2_K, scales) + g];
			o->sc[g] = s & 15;
			o->mn[g] = s >> 4;
		}
		o->d = h2f(b + offsetof(eng_blk_q2_K, d));
		o->dmin = h2f(b + offsetof(eng_blk_q2_K, dmin));
		return;
	}
	case ENG_T_Q3_K: {
		/* the low bits as Q2_K's; minus 4 where bit 4h + p of hmask[l] is clear */
		const uint8_t *hm = b + offsetof(eng_blk_q3_K, hmask), *s = b + offsetof(eng_blk_q3_K, scales);
		q2_levels(b + offsetof(eng_blk_q3_K, qs), o->lv);
		const uint8x16_t m0 = vld1q_u8(hm), m1 = vld1q_u8(hm + 16);
		for (int k = 0; k < 8; k++) {   /* k = 4h + p: elements 32k .. 32k + 31 */
			const int8x16_t sh = vdupq_n_s8((int8_t)-k);
			int8_t *l = o->lv + 32 * k;
			const uint8x16_t c0 = vandq_u8(vshlq_u8(m0, sh), vdupq_n_u8(1));
			const uint8x16_t c1 = vandq_u8(vshlq_u8(m1, sh), vdupq_n_u8(1));
			/* (1 - bit) * 4 subtracted */
			vst1q_s8(l, vsubq_s8(vld1q_s8(l), vreinterpretq_s8_u8(vshlq_n_u8(veorq_u8(c0, vdupq_n_u8(1)), 2))));
			vst1q_s8(l + 16, vsubq_s8(vld1q_s8(l + 16), vreinterpretq_s8_u8(vshlq_n_u8(veorq_u8(c1, vdupq_n_u8(1)), 2))));
		}
		for (int g = 0; g < 16; g++) {
			o->sc[g] = ((g < 8 ? s[g] & 15 : s[g - 8] >> 4) | ((s[8 + g % 4] >> (2 * (g / 4))) & 3) << 4) - 32;
			o->mn[g] = 0;
		}
		o->d = h2f(b + offsetof(eng_blk_q3_K, d));
		o->dmin = 0.0f;
		return;
	}
	case ENG_T_Q4_K:
	case ENG_T_Q5_K: {
		/* chunk c of 64 elements: the low nibbles of qs[32c ..] then the high ones; Q5_K adds
		 * 16 where bit j (the group of 32) of qh[e % 32] is set */
		const uint8_t *s = b + offsetof(eng_blk_q4_K, scales);
		const uint8_t *qs = b + (type == ENG_T_Q4_K ? offsetof(eng_blk_q4_K, qs) : offsetof(eng_blk_q5_K, qs));
		uint8x16_t h0 = vdupq_n_u8(0), h1 = h0;
		if (type == ENG_T_Q5_K) {
			h0 = vld1q_u8(b + offsetof(eng_blk_q5_K, qh));
			h1 = vld1q_u8(b + offsetof(eng_blk_q5_K, qh) + 16);
		}
		for (int j = 0; j < 8; j++) {
			const uint8x16_t b0 = vld1q_u8(qs + 32 * (j / 2)), b1 = vld1q_u8(qs + 32 * (j / 2) + 16);
			const int8x16_t sh = vdupq_n_s8((int8_t)-j);
			const uint8x16_t t0 = vshlq_n_u8(vandq_u8(vshlq_u8(h0, sh), vdupq_n_u8(1)), 4);
			const uint8x16_t t1 = vshlq_n_u8(vandq_u8(vshlq_u8(h1, sh), vdupq_n_u8(1)), 4);
			const uint8x16_t l0 = j % 2 ? vshrq_n_u8(b0, 4) : vandq_u8(b0, vdupq_n_u8(15));
			const uint8x16_t l1 = j % 2 ? vshrq_n_u8(b1, 4) : vandq_u8(b1, vdupq_n_u8(15));
			vst1q_u8((uint8_t *)o->lv + 32 * j, vorrq_u8(l0, t0));
			vst1q_u8((uint8_t *)o->lv + 32 * j + 16, vorrq_u8(l1, t1));
			int sc, mn;
			if (j < 4) {
				sc = s[j] & 63;
				mn = s[j + 4] & 63;
			} else {
				sc = (s[j + 4] & 0xf) | ((s[j - 4] >> 6) << 4);
				mn = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
			}
			o->sc[2 * j] = o->sc[2 * j + 1] = sc;
			o->mn[2 * j] = o->mn[2 * j + 1] = (int16_t)mn;
		}
		o->d = h2f(b + offsetof(eng_blk_q4_K, d));
		o->dmin = h2f(b + offsetof(eng_blk_q4_K, dmin));
		return;
	}
	case ENG_T_Q6_K: {
		/* element 128c + 32p + l: a nibble of ql[64c + 32(p & 1) + l] (low for p < 2) and bits
		 * 2p, 2p + 1 of qh[32c + l] above it */
		const uint8_t *ql = b + offsetof(eng_blk_q6_K, ql), *qh = b + offsetof(eng_blk_q6_K, qh);
		const int8_t *sc = (const int8_t *)(b + offsetof(eng_blk_q6_K, scales));
		for (int c = 0; c < 2; c++)
			for (int p = 0; p < 4; p++)
				for (int h = 0; h < 2; h++) {
					const uint8x16_t lb = vld1q_u8(ql + 64 * c + 32 * (p & 1) + 16 * h);
					const uint8x16_t hb = vld1q_u8(qh + 32 * c + 16 * h);
					const uint8x16_t lo = p < 2 ? vandq_u8(lb, vdupq_n_u8(15)) : vshrq_n_u8(lb, 4);
					const uint8x16_t hi = vshlq_n_u8(vandq_u8(vshlq_u8(hb, vdupq_n_s8((int8_t)(-2 * p))),
						vdupq_n_u8(3)), 4);
					vst1q_s8(o->lv + 128 * c + 32 * p + 16 * h,
						vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(lo, hi)), vdupq_n_s8(32)));
				}
		for (int g = 0; g < 16; g++) {
			o->sc[g] = sc[g];
			o->mn[g] = 0;
		}
		o->d = h2f(b + offsetof(eng_blk_q6_K, d));
		o->dmin = 0.0f;
		return;
	}
	case ENG_T_TQ2_0:   /* Q2_K's quants minus 1, no scales */
		q2_levels(b + offsetof(eng_blk_tq2_0, qs), o->lv);
		for (int k = 0; k < 16; k++)
			vst1q_s8(o->lv + 16 * k, vsubq_s8(vld1q_s8(o->lv + 16 * k), vdupq_n_s8(1)));
		for (int g = 0; g < 16; g++)
			o->sc[g] = 1;
		o->d = h2f(b + offsetof(eng_blk_tq2_0, d));
		return;
	case ENG_T_IQ4_XS: {   /* group j, bytes 16j ..: low nibbles then high, table values */
		const uint8_t *qs = b + offsetof(eng_blk_iq4_xs, qs), *sl = b + offsetof(eng_blk_iq4_xs, scales_l);
		const uint16_t shi = ld16(b + offsetof(eng_blk_iq4_xs, scales_h));
		const int8x16_t tbl = vld1q_s8(eng_iq4_values);
		for (int j = 0; j < 8; j++) {
			const uint8x16_t q = vld1q_u8(qs + 16 * j);
			vst1q_s8(o->lv + 32 * j, vqtbl1q_s8(tbl, vandq_u8(q, vdupq_n_u8(15))));
			vst1q_s8(o->lv + 32 * j + 16, vqtbl1q_s8(tbl, vshrq_n_u8(q, 4)));
			o->sc[2 * j] = o->sc[2 * j + 1] = (((sl[j / 2] >> (4 * (j % 2))) & 15) | ((shi >> (2 * j)) & 3) << 4) - 32;
			o->mn[2 * j] = o->mn[2 * j + 1] = 0;
		}
		o->d = h2f(b + offsetof(eng_blk_iq4_xs, d));
		o->dmin = 0.0f;
		return;
	}
	default:   /* the IQ1 / IQ2 / IQ3 grid types and TQ1_0: quant_iq_neon.c */
		o->d = eng_iq_unpack_neon(type, b, o->lv, o->sc);
		o->dmin = 0.0f;
		return;
	}
}

/* How a super-block type's tile runs its float steps: order B without or with mins, or the
 * _ref's own steps (the IQ1 / IQ2 / IQ3 and TQ types, as quant_iq.c's dot: per super-block
 * acc = acc + (d_w * d_a) * f, unfused, f = (float)isum, for IQ1 0.125f * (float)isum with its
 * folded levels; at the end the row's sum times ob_factor). */
enum { OB_NOMIN, OB_MIN, OB_REF };

static inline int ob_kind(int type)
{
	switch (type) {
	case ENG_T_Q2_K: case ENG_T_Q4_K: case ENG_T_Q5_K: return OB_MIN;
	case ENG_T_Q3_K: case ENG_T_Q6_K: case ENG_T_IQ4_XS: return OB_NOMIN;
	default: return OB_REF;
	}
}

/* The _ref's factor on an OB_REF row's sum (IQ2: 1/8, IQ3_XXS: 1/4), and its factor on each
 * super-block's converted integer sum (IQ1: 1/8; exact). */
static inline float ob_factor(int type)
{
	return type == ENG_T_IQ3_XXS ? 0.25f : type == ENG_T_IQ2_XXS || type == ENG_T_IQ2_XS || type == ENG_T_IQ2_S ? 0.125f : 1.0f;
}

static inline float ob_isum_factor(int type)
{
	return type == ENG_T_IQ1_S || type == ENG_T_IQ1_M ? 0.125f : 1.0f;
}

/* ---- the 32-element types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, MXFP4 ---------------------
 * Each block's exact integer sum, then the _ref's float step (eng_b32_step: Q4_0
 * acc + ((float)isum * d_w) * d_a, Q4_1 and Q5_1 acc + ((d_w * d_a) * (float)isum + m_w * s_a),
 * the others acc + (float)isum * (d_w * d_a), unfused), so one tile serves the seven; only the
 * weights' decoding and the activations' block (Q8_1 for Q4_1 and Q5_1, else Q8_0; the sizes
 * and offsets are quant_impl.h's eng_b32_*) differ. */

/* Q5_0 / Q5_1's fifth bits: 16 in byte j of *h0 (elements 0..15) and *h1 (16..31) where bit j of
 * the 32-bit qh (element j's, 16 + j's for *h1) is set; each 8 elements' qh byte spread over
 * their lanes by a table lookup, then tested against the lane's bit. */
static inline void b32_high_bits(const uint8_t *qh, uint8x16_t *h0, uint8x16_t *h1)
{
	const uint8x16_t v = vreinterpretq_u8_u32(vdupq_n_u32(ld32(qh)));
	const uint8x16_t bit = vreinterpretq_u8_u64(vdupq_n_u64(0x8040201008040201ull));
	const uint8x16_t pick = vcombine_u8(vdup_n_u8(0), vdup_n_u8(1));
	*h0 = vandq_u8(vtstq_u8(vqtbl1q_u8(v, pick), bit), vdupq_n_u8(16));
	*h1 = vandq_u8(vtstq_u8(vqtbl1q_u8(v, vaddq_u8(pick, vdupq_n_u8(2))), bit), vdupq_n_u8(16));
}

/* One block of 32 weights as int8 levels (elements 0..15 in *w0, 16..31 in *w1, from the low and
 * the high nibbles of the 4-bit types' 16 bytes) and its d, and for Q4_1 / Q5_1 its m in *mw:
 * Q8_0 as stored; Q4_0 q - 8, Q5_0 q - 16, Q4_1 and Q5_1 q (0..15, 0..31); IQ4_NL and MXFP4 the
 * table values of their nibbles, looked up with vqtbl. */
static inline __attribute__((always_inline)) float b32_load(int type, const uint8_t *b, int8x16_t *w0, int8x16_t *w1,
	float *mw)
{
	uint8x16_t h0 = vdupq_n_u8(0), h1 = h0, q;
	int off = 0;

	switch (type) {
	case ENG_T_Q8_0:
		*w0 = vld1q_s8((const int8_t *)b + offsetof(eng_blk_q8_0, qs));
		*w1 = vld1q_s8((const int8_t *)b + offsetof(eng_blk_q8_0, qs) + 16);
		return h2f(b + offsetof(eng_blk_q8_0, d));
	case ENG_T_IQ4_NL:
	case ENG_T_MXFP4: {
		const int nl = type == ENG_T_IQ4_NL;
		const int8x16_t tbl = vld1q_s8(nl ? eng_iq4_values : eng_mxfp4_values);
		q = vld1q_u8(b + (nl ? offsetof(eng_blk_iq4_nl, qs) : offsetof(eng_blk_mxfp4, qs)));
		*w0 = vqtbl1q_s8(tbl, vandq_u8(q, vdupq_n_u8(15)));
		*w1 = vqtbl1q_s8(tbl, vshrq_n_u8(q, 4));
		return nl ? h2f(b + offsetof(eng_blk_iq4_nl, d)) : eng_e8m0_half(b[offsetof(eng_blk_mxfp4, e)]);
	}
	case ENG_T_Q4_0:
		q = vld1q_u8(b + offsetof(eng_blk_q4_0, qs));
		off = 8;
		break;
	case ENG_T_Q4_1:
		q = vld1q_u8(b + offsetof(eng_blk_q4_1, qs));
		*mw = h2f(b + offsetof(eng_blk_q4_1, m));
		break;
	case ENG_T_Q5_0:
		q = vld1q_u8(b + offsetof(eng_blk_q5_0, qs));
		b32_high_bits(b + offsetof(eng_blk_q5_0, qh), &h0, &h1);
		off = 16;
		break;
	default:   /* Q5_1 */
		q = vld1q_u8(b + offsetof(eng_blk_q5_1, qs));
		b32_high_bits(b + offsetof(eng_blk_q5_1, qh), &h0, &h1);
		*mw = h2f(b + offsetof(eng_blk_q5_1, m));
		break;
	}
	/* d is the first field of the four */
	*w0 = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(q, vdupq_n_u8(15)), h0)), vdupq_n_s8((int8_t)off));
	*w1 = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(q, 4), h1)), vdupq_n_s8((int8_t)off));
	return h2f(b);
}

/* Plain ARMv8-A: 16 products widened to 16 bits (|p| <= 2^14), pairs added into 32-bit lanes. */
static inline int32x4_t dot16_plain(int32x4_t acc, int8x16_t a, int8x16_t b)
{
	acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
	return vpadalq_s16(acc, vmull_high_s8(a, b));
}

#define NT_DOT dot16_plain
#define NT_NAME(x) x##_plain
#include "engine/quant_neon_tile.h"
#undef NT_DOT
#undef NT_NAME

#pragma GCC push_options
#pragma GCC target("arch=armv8.2-a+dotprod")
#define NT_DOT vdotq_s32
#define NT_NAME(x) x##_sdot
#include "engine/quant_neon_tile.h"
#undef NT_DOT
#undef NT_NAME
#pragma GCC pop_options

/* ---- activation quantizers -------------------------------------------------------------------
 * The _ref's arithmetic lane by lane (same multiply, same round-half-even trick, same clamp);
 * the largest magnitude ignores NaN lanes, as the _ref's strict comparison does. */

static inline float32x4_t abs_nonan(float32x4_t v)
{
	return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(vabsq_f32(v)), vceqq_f32(v, v)));
}

/* iclamp(round_ne(v), -128, 127) per lane, as int32. */
static inline int32x4_t round_ne4(float32x4_t v)
{
	const float32x4_t t = vaddq_f32(v, vdupq_n_f32(12582912.0f));
	int32x4_t u = vreinterpretq_s32_u32(vandq_u32(vreinterpretq_u32_f32(t), vdupq_n_u32(0x007fffff)));
	u = vsubq_s32(u, vdupq_n_s32(0x00400000));
	return vmaxq_s32(vminq_s32(u, vdupq_n_s32(127)), vdupq_n_s32(-128));
}

/* 16 values times s -> 16 int8 at q. */
static inline int8x16_t quant16(const float *x, float s)
{
	int16x8_t h0 = vcombine_s16(vmovn_s32(round_ne4(vmulq_n_f32(vld1q_f32(x), s))),
		vmovn_s32(round_ne4(vmulq_n_f32(vld1q_f32(x + 4), s))));
	int16x8_t h1 = vcombine_s16(vmovn_s32(round_ne4(vmulq_n_f32(vld1q_f32(x + 8), s))),
		vmovn_s32(round_ne4(vmulq_n_f32(vld1q_f32(x + 12), s))));
	return vcombine_s8(vmovn_s16(h0), vmovn_s16(h1));
}

static void act_q8_0_neon(const float *x, void *dst, int64_t nb)
{
	uint8_t *y = dst;
	for (int64_t i = 0; i < nb; i++, x += ENG_QK, y += sizeof(eng_blk_q8_0)) {
		float32x4_t m = vdupq_n_f32(0.0f);
		for (int k = 0; k < 8; k++)
			m = vmaxq_f32(m, abs_nonan(vld1q_f32(x + 4 * k)));
		const float amax = vmaxvq_f32(m);
		const float d = amax / 127.f;
		const float id = amax != 0.0f ? 127.f / amax : 0.0f;
		const uint16_t dh = eng_f32_to_f16(d);
		memcpy(y, &dh, sizeof dh);
		vst1q_s8((int8_t *)(y + offsetof(eng_blk_q8_0, qs)), quant16(x, id));
		vst1q_s8((int8_t *)(y + offsetof(eng_blk_q8_0, qs) + 16), quant16(x + 16, id));
	}
}

static void act_q8_K_neon(const float *x, void *dst, int64_t nb)
{
	uint8_t *y = dst;
	for (int64_t i = 0; i < nb; i++, x += ENG_QK_K, y += sizeof(eng_blk_q8_K)) {
		float32x4_t m = vdupq_n_f32(0.0f);
		for (int k = 0; k < 64; k++)
			m = vmaxq_f32(m, abs_nonan(vld1q_f32(x + 4 * k)));
		const float amax = vmaxvq_f32(m);
		if (amax == 0.0f) {
			memset(y, 0, sizeof(eng_blk_q8_K));
			continue;
		}
		int first = 0;
		while (!(__builtin_fabsf(x[first]) == amax))
			first++;
		const float iscale = -127.f / x[first];
		int16_t bs[16];
		for (int g = 0; g < 16; g++) {
			const int8x16_t q = quant16(x + 16 * g, iscale);
			vst1q_s8((int8_t *)(y + offsetof(eng_blk_q8_K, qs) + 16 * g), q);
			bs[g] = vaddlvq_s8(q);
		}
		memcpy(y + offsetof(eng_blk_q8_K, bsums), bs, sizeof bs);
		const float d = 1 / iscale;
		memcpy(y, &d, sizeof d);
	}
}

/* F16 activations: the hardware's round-to-nearest-even, NaN made the canonical quiet NaN. */
static void act_f16_neon(const float *x, void *dst, int64_t n)
{
	uint16_t *y = dst;
	int64_t i = 0;
	for (; i + 4 <= n; i += 4) {
		const float32x4_t v = vld1q_f32(x + i);
		const uint16x4_t h = vreinterpret_u16_f16(vcvt_f16_f32(v));
		const uint16x4_t ok = vmovn_u32(vceqq_f32(v, v));
		const uint16x4_t canon = vorr_u16(vand_u16(h, vdup_n_u16(0x8000)), vdup_n_u16(0x7e00));
		vst1_u16(y + i, vbsl_u16(ok, h, canon));
	}
	for (; i < n; i++) {
		const uint16_t h = eng_f32_to_f16(x[i]);
		memcpy(y + i, &h, sizeof h);
	}
}

void eng_kernels_neon(eng_kernels *k)
{
	k->dot[ENG_T_F32] = dot_f32_neon;
	k->dot[ENG_T_F16] = dot_f16_neon;
	k->dot[ENG_T_BF16] = dot_bf16_neon;
	k->rows[ENG_T_F32] = rows_f32_neon;
	k->rows[ENG_T_F16] = rows_f16_neon;
	if (getauxval(AT_HWCAP) & HWCAP_ASIMDDP)
		set_sdot(k);
	else
		set_plain(k);
	k->act[ENG_T_Q8_0] = act_q8_0_neon;
	k->act[ENG_T_Q8_K] = act_q8_K_neon;
	k->act[ENG_T_F16] = act_f16_neon;
}

#else
/* Not aarch64: this file provides nothing (a declaration keeps the translation unit non-empty). */
typedef int eng_quant_neon_unused;
#endif
