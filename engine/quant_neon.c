/* engine/quant_neon.c — aarch64 NEON kernels for the element types: the F32 and F16
 * dots in the _ref's summation order, the Q8_0, Q4_K and Q6_K dots (integer sums per element lane
 * mod 8 and the float steps of the _ref), and the Q8_0 / Q8_K / F16 activation quantizers, byte
 * for byte. Plain ARMv8-A (no dot-product extension). quant_dispatch.c picks this level on
 * aarch64; tests/engine/test_kernels.c checks each kernel against its _ref. */
#if defined(__aarch64__)

#include "engine/kern_load.h"
#include "engine/quant_impl.h"

#include <arm_neon.h>
#include <stddef.h>
#include <string.h>

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

/* ---- Q8_0 ----------------------------------------------------------------------------------- */

static inline int32_t dot32_s8(int8x16_t w0, int8x16_t w1, int8x16_t a0, int8x16_t a1)
{
	int32x4_t s = vpaddlq_s16(vmull_s8(vget_low_s8(w0), vget_low_s8(a0)));
	s = vpadalq_s16(s, vmull_high_s8(w0, a0));
	s = vpadalq_s16(s, vmull_s8(vget_low_s8(w1), vget_low_s8(a1)));
	s = vpadalq_s16(s, vmull_high_s8(w1, a1));
	return vaddvq_s32(s);
}

/* Exact integer block sums, then the _ref's float steps: sum += si * (dx * dy). */
static float dot_q8_0_neon(int64_t n, const void *w, const void *act)
{
	const uint8_t *x = w, *y = act;
	float sum = 0;
	for (int64_t i = 0; i < n / ENG_QK; i++, x += sizeof(eng_blk_q8_0), y += sizeof(eng_blk_q8_0)) {
		const int8_t *xq = (const int8_t *)(x + offsetof(eng_blk_q8_0, qs));
		const int8_t *yq = (const int8_t *)(y + offsetof(eng_blk_q8_0, qs));
		const int32_t si = dot32_s8(vld1q_s8(xq), vld1q_s8(xq + 16), vld1q_s8(yq), vld1q_s8(yq + 16));
		sum += (float)si * (h2f(x) * h2f(y));
	}
	return sum;
}

/* ---- Q4_K and Q6_K -------------------------------------------------------------------------
 * As the _ref: eight integer lanes per super-block (element index mod 8) of scale * q8 * level,
 * scaled by d into eight float lanes. With 8 elements per int16x8 vector, lane l of a sum of
 * such vectors is exactly that lane. */

static inline void lanes_step(float32x4_t *lo, float32x4_t *hi, float d, int32x4_t alo, int32x4_t ahi)
{
	*lo = vaddq_f32(*lo, vmulq_n_f32(vcvtq_f32_s32(alo), d));
	*hi = vaddq_f32(*hi, vmulq_n_f32(vcvtq_f32_s32(ahi), d));
}

static inline float lanes_total(float sum, float32x4_t lo, float32x4_t hi)
{
	float l[8];
	vst1q_f32(l, lo);
	vst1q_f32(l + 4, hi);
	for (int k = 0; k < 8; k++)
		sum += l[k];
	return sum;
}

static float dot_q4_K_neon(int64_t n, const void *w, const void *act)
{
	const uint8_t *x = w, *y = act;
	float32x4_t llo = vdupq_n_f32(0.0f), lhi = llo;
	float sum = 0;
	for (int64_t i = 0; i < n / ENG_QK_K; i++, x += sizeof(eng_blk_q4_K), y += sizeof(eng_blk_q8_K)) {
		const uint8_t *s = x + offsetof(eng_blk_q4_K, scales), *qs = x + offsetof(eng_blk_q4_K, qs);
		const int8_t *q8 = (const int8_t *)(y + offsetof(eng_blk_q8_K, qs));
		int16_t bs[16];
		int sc[8], mn[8], sumi = 0;
		memcpy(bs, y + offsetof(eng_blk_q8_K, bsums), sizeof bs);
		for (int g = 0; g < 8; g++) {
			if (g < 4) {
				sc[g] = s[g] & 63;
				mn[g] = s[g + 4] & 63;
			} else {
				sc[g] = (s[g + 4] & 0xf) | ((s[g - 4] >> 6) << 4);
				mn[g] = (s[g + 4] >> 4) | ((s[g] >> 6) << 4);
			}
			sumi += bs[2 * g] * mn[g] + bs[2 * g + 1] * mn[g];
		}
		int32x4_t alo = vdupq_n_s32(0), ahi = alo;
		for (int g = 0; g < 8; g++) {
			const uint8x16_t b0 = vld1q_u8(qs + 32 * (g / 2)), b1 = vld1q_u8(qs + 32 * (g / 2) + 16);
			const int8x16_t w0 = vreinterpretq_s8_u8(g % 2 ? vshrq_n_u8(b0, 4) : vandq_u8(b0, vdupq_n_u8(15)));
			const int8x16_t w1 = vreinterpretq_s8_u8(g % 2 ? vshrq_n_u8(b1, 4) : vandq_u8(b1, vdupq_n_u8(15)));
			const int8x16_t a0 = vld1q_s8(q8 + 32 * g), a1 = vld1q_s8(q8 + 32 * g + 16);
			int16x8_t p = vmull_s8(vget_low_s8(w0), vget_low_s8(a0));      /* |sum| <= 4 * 15 * 128 */
			p = vaddq_s16(p, vmull_high_s8(w0, a0));
			p = vaddq_s16(p, vmull_s8(vget_low_s8(w1), vget_low_s8(a1)));
			p = vaddq_s16(p, vmull_high_s8(w1, a1));
			alo = vmlal_n_s16(alo, vget_low_s16(p), (int16_t)sc[g]);
			ahi = vmlal_high_n_s16(ahi, p, (int16_t)sc[g]);
		}
		const float yd = ldf32(y + offsetof(eng_blk_q8_K, d));
		lanes_step(&llo, &lhi, h2f(x + offsetof(eng_blk_q4_K, d)) * yd, alo, ahi);
		sum -= h2f(x + offsetof(eng_blk_q4_K, dmin)) * yd * (float)sumi;
	}
	return lanes_total(sum, llo, lhi);
}

static float dot_q6_K_neon(int64_t n, const void *w, const void *act)
{
	const uint8_t *x = w, *y = act;
	float32x4_t llo = vdupq_n_f32(0.0f), lhi = llo;
	for (int64_t i = 0; i < n / ENG_QK_K; i++, x += sizeof(eng_blk_q6_K), y += sizeof(eng_blk_q8_K)) {
		const uint8_t *ql = x + offsetof(eng_blk_q6_K, ql), *qh = x + offsetof(eng_blk_q6_K, qh);
		const int8_t *sc = (const int8_t *)(x + offsetof(eng_blk_q6_K, scales));
		const int8_t *q8 = (const int8_t *)(y + offsetof(eng_blk_q8_K, qs));
		int32x4_t alo = vdupq_n_s32(0), ahi = alo;
		for (int c = 0; c < 2; c++)
			for (int part = 0; part < 4; part++)
				for (int h = 0; h < 2; h++) {   /* group of 16: elements 128c + 32part + 16h.. */
					const int e = 128 * c + 32 * part + 16 * h;
					const uint8x16_t lb = vld1q_u8(ql + 64 * c + 32 * (part & 1) + 16 * h);
					const uint8x16_t hb = vld1q_u8(qh + 32 * c + 16 * h);
					const uint8x16_t lo = part < 2 ? vandq_u8(lb, vdupq_n_u8(15)) : vshrq_n_u8(lb, 4);
					uint8x16_t hi;
					switch (part) {
					case 0: hi = hb; break;
					case 1: hi = vshrq_n_u8(hb, 2); break;
					case 2: hi = vshrq_n_u8(hb, 4); break;
					default: hi = vshrq_n_u8(hb, 6); break;
					}
					hi = vshlq_n_u8(vandq_u8(hi, vdupq_n_u8(3)), 4);
					const int8x16_t lev = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(lo, hi)), vdupq_n_s8(32));
					const int8x16_t a = vld1q_s8(q8 + e);
					const int16x8_t p = vaddq_s16(vmull_s8(vget_low_s8(lev), vget_low_s8(a)),
						vmull_high_s8(lev, a));             /* |sum| <= 2 * 32 * 128 */
					alo = vmlal_n_s16(alo, vget_low_s16(p), sc[e / 16]);
					ahi = vmlal_high_n_s16(ahi, p, sc[e / 16]);
				}
		const float yd = ldf32(y + offsetof(eng_blk_q8_K, d));
		lanes_step(&llo, &lhi, h2f(x + offsetof(eng_blk_q6_K, d)) * yd, alo, ahi);
	}
	return lanes_total(0, llo, lhi);
}

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
	k->dot[ENG_T_Q8_0] = dot_q8_0_neon;
	k->dot[ENG_T_Q4_K] = dot_q4_K_neon;
	k->dot[ENG_T_Q6_K] = dot_q6_K_neon;
	k->act[ENG_T_Q8_0] = act_q8_0_neon;
	k->act[ENG_T_Q8_K] = act_q8_K_neon;
	k->act[ENG_T_F16] = act_f16_neon;
}

#else
/* Not aarch64: this file provides nothing (a declaration keeps the translation unit non-empty). */
typedef int eng_quant_neon_unused;
#endif
