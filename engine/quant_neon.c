/* engine/quant_neon.c — aarch64 NEON kernels for the element types: the F32 and F16 dots in the
 * _ref's summation order; Q8_0, IQ4_NL and MXFP4 (the _ref's order), the super-block types Q2_K,
 * Q3_K, Q4_K, Q5_K, Q6_K and IQ4_XS (order B, the x86 levels' order, so the same bits as theirs)
 * and the IQ1/IQ2/IQ3 and ternary types (the _ref's float steps; quant_iq_neon.c decodes their
 * super-blocks) as tiles of 4 rows x 4 activations that the single dot runs as a tile of one,
 * in two variants chosen at start-up from the CPU's hwcaps: `sdot` (the dot-product extension,
 * ARMv8.2-A and later) and plain ARMv8-A widening multiplies; and the Q8_0 / Q8_K / F16
 * activation quantizers, byte for byte. quant_dispatch.c picks this level on aarch64;
 * tests/engine/test_kernels.c and test_iq.c check each kernel against its _ref
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

/* ---- F32 / F16 ------------------------------------------------------------------------------ */

/* eng_sum16 of lanes v0 (0..3), v1 (4..7), v2 (8..11), v3 (12..15), the same additions. */
static inline float sum16_neon(float32x4_t v0, float32x4_t v1, float32x4_t v2, float32x4_t v3)
{
	const float32x4_t b = vaddq_f32(vaddq_f32(v3, v1), vaddq_f32(v2, v0));   /* a[i+4] + a[i] */
	const float32x2_t c = vadd_f32(vget_low_f32(b), vget_high_f32(b));       /* b0+b2, b1+b3 */
	return vget_lane_f32(c, 0) + vget_lane_f32(c, 1);
}

static inline float32x4_t ld4_f32(const float *p) { return vld1q_f32(p); }
static inline float32x4_t ld4_f16(const uint16_t *p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }
/* Tail elements through memcpy: rows may sit at any address. */
static inline float tail_f32(const float *p)
{
	float v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline float tail_f16(const uint16_t *p)
{
	return h2f((const uint8_t *)p);
}

/* ORDERED_DOT of quant.c: 16 fused lanes (four vectors), or four 16-lane sets per 64 elements
 * and a double tail. */
#define ORDERED_NEON(LD, TAIL)                                                                \
	do {                                                                                  \
		if (n % 16 == 0) {                                                            \
			float32x4_t l[4];                                                     \
			for (int k = 0; k < 4; k++)                                           \
				l[k] = vdupq_n_f32(0.0f);                                     \
			for (int64_t i = 0; i < n; i += 16)                                   \
				for (int k = 0; k < 4; k++)                                   \
					l[k] = vfmaq_f32(l[k], LD(x + i + 4 * k), LD(y + i + 4 * k)); \
			return sum16_neon(l[0], l[1], l[2], l[3]);                            \
		}                                                                             \
		float32x4_t acc[4][4];                                                        \
		for (int s = 0; s < 4; s++)                                                   \
			for (int k = 0; k < 4; k++)                                           \
				acc[s][k] = vdupq_n_f32(0.0f);                                \
		const int64_t np = n & ~(int64_t)63;                                          \
		for (int64_t i = 0; i < np; i += 64)                                          \
			for (int s = 0; s < 4; s++)                                           \
				for (int k = 0; k < 4; k++)                                   \
					acc[s][k] = vfmaq_f32(acc[s][k], LD(x + i + 16 * s + 4 * k), \
						LD(y + i + 16 * s + 4 * k));                  \
		for (int k = 0; k < 4; k++) {                                                 \
			acc[0][k] = vaddq_f32(acc[0][k], acc[2][k]);                          \
			acc[1][k] = vaddq_f32(acc[1][k], acc[3][k]);                          \
			acc[0][k] = vaddq_f32(acc[0][k], acc[1][k]);                          \
		}                                                                             \
		double s = sum16_neon(acc[0][0], acc[0][1], acc[0][2], acc[0][3]);            \
		for (int64_t i = np; i < n; i++)                                              \
			s += (double)(TAIL(x + i) * TAIL(y + i));                             \
		return (float)s;                                                              \
	} while (0)

static float dot_f32_neon(int64_t n, const void *w, const void *act)
{
	const float *x = w, *y = act;
	ORDERED_NEON(ld4_f32, tail_f32);
}

static float dot_f16_neon(int64_t n, const void *w, const void *act)
{
	const uint16_t *x = w, *y = act;
	ORDERED_NEON(ld4_f16, tail_f16);
}

/* ---- the quantized types in tiles ------------------------------------------------------------
 * The super-block types (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS) in order B, the x86 levels'
 * order (docs/quant-formats.md, "Order B"): the exact integer sums of each super-block first,
 * then the float steps, one scalar sequence per (row, activation). The IQ1/IQ2/IQ3 and TQ types
 * form the same integer sums and then run their _ref's float steps; Q8_0, IQ4_NL and MXFP4 run
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
/* CALL(r, a) with the tile's shape as constants (R is 1 or OB_R, A is 1 or OB_A), so that each
 * always-inline tile is compiled for its shape. */
#define NT_CONST_RA(CALL, R, A)                                                                   \
	do {                                                                                        \
		if ((R) == OB_R)                                                                    \
			(A) == OB_A ? CALL(OB_R, OB_A) : CALL(OB_R, 1);                              \
		else                                                                                \
			(A) == OB_A ? CALL(1, OB_A) : CALL(1, 1);                                    \
	} while (0)

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

/* ---- the 32-element types with kernels: Q8_0, IQ4_NL, MXFP4 ----------------------------------
 * Their _ref's step per block is acc = acc + (float)isum * (d_w * d_a), unfused (IQ4_NL and
 * MXFP4 write d_a * d_w: the same bits), so one tile serves the three; only the weights'
 * decoding differs. */
static inline size_t b32_size(int type)
{
	return type == ENG_T_Q8_0 ? sizeof(eng_blk_q8_0) : type == ENG_T_IQ4_NL ? sizeof(eng_blk_iq4_nl)
		: sizeof(eng_blk_mxfp4);
}

/* One block of 32 weights as int8 levels (elements 0..15 in *w0, 16..31 in *w1) and its scale:
 * Q8_0 as stored; IQ4_NL and MXFP4 the table values of their nibbles, looked up with vqtbl. */
static inline __attribute__((always_inline)) float b32_load(int type, const uint8_t *b, int8x16_t *w0, int8x16_t *w1)
{
	if (type == ENG_T_Q8_0) {
		*w0 = vld1q_s8((const int8_t *)b + offsetof(eng_blk_q8_0, qs));
		*w1 = vld1q_s8((const int8_t *)b + offsetof(eng_blk_q8_0, qs) + 16);
		return h2f(b + offsetof(eng_blk_q8_0, d));
	}
	const int nl = type == ENG_T_IQ4_NL;
	const int8x16_t tbl = vld1q_s8(nl ? eng_iq4_values : eng_mxfp4_values);
	const uint8x16_t q = vld1q_u8(b + (nl ? offsetof(eng_blk_iq4_nl, qs) : offsetof(eng_blk_mxfp4, qs)));
	*w0 = vqtbl1q_s8(tbl, vandq_u8(q, vdupq_n_u8(15)));
	*w1 = vqtbl1q_s8(tbl, vshrq_n_u8(q, 4));
	return nl ? h2f(b + offsetof(eng_blk_iq4_nl, d)) : eng_e8m0_half(b[offsetof(eng_blk_mxfp4, e)]);
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
