/* engine/quant_iq_neon.c — the NEON level's decoders of the IQ1/IQ2/IQ3 grid types and TQ1_0
 * (their _ref is in quant_iq.c): one super-block into the form that quant_neon.c's row tiles
 * read, 256 int8 levels and a scale per 16 elements. The tiles then form the _ref's exact
 * integer sums and run its float steps (quant_neon_tile.h), so every result has the _ref's bits.
 * Grid entries are loaded by index; sign fields get their parity bit from a popcount per byte,
 * and the 32 sign bytes become byte masks through a table lookup (vqtbl). Empty off aarch64. */
#if defined(__aarch64__)

#include "engine/kern_load.h"
#include "engine/quant_impl.h"

#include <arm_neon.h>
#include <stddef.h>
#include <string.h>

/* 16 bytes of 7-bit sign fields completed to 8 sign bits: bit 7 the parity of bits 0..6, the
 * low bit of the byte's popcount. */
static inline uint8x16_t sign_complete(uint8x16_t f)
{
	return vorrq_u8(f, vshlq_n_u8(vcntq_u8(f), 7));
}

/* Four words of four 7-bit sign fields each (bits 7l .. 7l + 6, l < 4) -> their 16 completed sign
 * bytes, field l of word g at byte 4g + l. */
static inline uint8x16_t sign_words(uint32x4_t w)
{
	const uint32x4_t lo = vorrq_u32(vandq_u32(w, vdupq_n_u32(0x7f)), vandq_u32(vshlq_n_u32(w, 1), vdupq_n_u32(0x7f00)));
	const uint32x4_t hi = vorrq_u32(vandq_u32(vshlq_n_u32(w, 2), vdupq_n_u32(0x7f0000)),
		vandq_u32(vshlq_n_u32(w, 3), vdupq_n_u32(0x7f000000)));
	return sign_complete(vreinterpretq_u8_u32(vorrq_u32(lo, hi)));
}

/* lv[e] negated where bit e % 8 of sign byte sg[e / 8] is set: each 16 elements' two sign bytes
 * spread over their lanes by a table lookup, then tested against the lane's bit. */
static inline void apply_signs(int8_t lv[ENG_QK_K], const uint8_t sg[ENG_QK_K / 8])
{
	const uint8x16_t bit = vreinterpretq_u8_u64(vdupq_n_u64(0x8040201008040201ull));
	const uint8x16_t pick = vcombine_u8(vdup_n_u8(0), vdup_n_u8(1));
	for (int h = 0; h < 2; h++) {
		const uint8x16_t s = vld1q_u8(sg + 16 * h);
		for (int j = 0; j < 8; j++) {
			int8_t *p = lv + 128 * h + 16 * j;
			const uint8x16_t m = vtstq_u8(vqtbl1q_u8(s, vaddq_u8(pick, vdupq_n_u8((uint8_t)(2 * j)))), bit);
			const int8x16_t v = vld1q_s8(p);
			vst1q_s8(p, vbslq_s8(m, vnegq_s8(v), v));
		}
	}
}

/* Two 4-bit scale codes per group of 32 (low nibble: its first 16 elements) as 2s + 1. */
static inline void scale_nibbles(const uint8_t *s, int32_t sc[16])
{
	for (int g = 0; g < 8; g++) {
		sc[2 * g] = 2 * (s[g] & 15) + 1;
		sc[2 * g + 1] = 2 * (s[g] >> 4) + 1;
	}
}

/* IQ1's level of 8 elements from their grid levels q (-1, 0, 1) and shift sign: 8 q + shift,
 * shift -1 when neg else +1 (so the tiles' sum is 8 sumi + sumi1, docs/quant-formats.md "Dots"). */
static inline void iq1_levels8(int8_t *p, uint64_t grid, int neg)
{
	vst1_s8(p, vadd_s8(vshl_n_s8(vreinterpret_s8_u64(vcreate_u64(grid)), 3), vdup_n_s8((int8_t)(neg ? -1 : 1))));
}

/* Digits (byte * 3^k mod 256) * 3 >> 8 of 16 TQ1_0 bytes x, with 3^k per lane in p, as levels
 * digit - 1. */
static inline int8x16_t tq1_digits(uint8x16_t x, uint8x16_t p)
{
	const uint8x16_t q = vmulq_u8(x, p);
	const uint8x16_t t = vcombine_u8(vshrn_n_u16(vmull_u8(vget_low_u8(q), vdup_n_u8(3)), 8),
		vshrn_n_u16(vmull_high_u8(q, vdupq_n_u8(3)), 8));
	return vsubq_s8(vreinterpretq_s8_u8(t), vdupq_n_s8(1));
}

float eng_iq_unpack_neon(int type, const uint8_t *b, int8_t lv[ENG_QK_K], int32_t sc[16])
{
	uint8_t sg[ENG_QK_K / 8];
	switch (type) {
	case ENG_T_IQ2_XXS: {   /* per group: 4 index bytes, then a word of 4 sign fields and the scale */
		uint32_t ss[8];
		for (int g = 0; g < 8; g++) {
			const uint8_t *q = b + offsetof(eng_blk_iq2_xxs, qs) + 8 * g;
			for (int l = 0; l < 4; l++)
				memcpy(lv + 32 * g + 8 * l, &eng_iq2xxs_grid[q[l]], 8);
			ss[g] = ld32(q + 4);
			sc[2 * g] = sc[2 * g + 1] = (int32_t)(2 * (ss[g] >> 28) + 1);
		}
		vst1q_u8(sg, sign_words(vld1q_u32(ss)));
		vst1q_u8(sg + 16, sign_words(vld1q_u32(ss + 4)));
		apply_signs(lv, sg);
		return eng_f16_to_f32(ld16(b));
	}
	case ENG_T_IQ2_XS: {    /* 32 uint16: a 9-bit index and a 7-bit sign field */
		const uint8_t *qs = b + offsetof(eng_blk_iq2_xs, qs);
		for (int k = 0; k < 32; k++)
			memcpy(lv + 8 * k, &eng_iq2xs_grid[ld16(qs + 2 * k) & 511], 8);
		for (int h = 0; h < 2; h++) {
			const uint16x8_t v0 = vreinterpretq_u16_u8(vld1q_u8(qs + 32 * h));
			const uint16x8_t v1 = vreinterpretq_u16_u8(vld1q_u8(qs + 32 * h + 16));
			vst1q_u8(sg + 16 * h, sign_complete(vcombine_u8(vmovn_u16(vshrq_n_u16(v0, 9)), vmovn_u16(vshrq_n_u16(v1, 9)))));
		}
		apply_signs(lv, sg);
		scale_nibbles(b + offsetof(eng_blk_iq2_xs, scales), sc);
		return eng_f16_to_f32(ld16(b));
	}
	case ENG_T_IQ2_S: {     /* index k: qs[k] | 2 bits of qh[k / 4] << 8; explicit sign bytes */
		const uint8_t *qs = b + offsetof(eng_blk_iq2_s, qs), *qh = b + offsetof(eng_blk_iq2_s, qh);
		for (int k = 0; k < 32; k++)
			memcpy(lv + 8 * k, &eng_iq2s_grid[qs[k] | (qh[k / 4] >> 2 * (k % 4) & 3) << 8], 8);
		apply_signs(lv, qs + 32);
		scale_nibbles(b + offsetof(eng_blk_iq2_s, scales), sc);
		return eng_f16_to_f32(ld16(b));
	}
	case ENG_T_IQ3_XXS: {   /* 64 index bytes (4 elements each), then a signs + scale word per group */
		const uint8_t *qs = b + offsetof(eng_blk_iq3_xxs, qs);
		for (int k = 0; k < 64; k++)
			memcpy(lv + 4 * k, &eng_iq3xxs_grid[qs[k]], 4);
		vst1q_u8(sg, sign_words(vreinterpretq_u32_u8(vld1q_u8(qs + 64))));
		vst1q_u8(sg + 16, sign_words(vreinterpretq_u32_u8(vld1q_u8(qs + 80))));
		apply_signs(lv, sg);
		for (int g = 0; g < 8; g++)
			sc[2 * g] = sc[2 * g + 1] = (int32_t)(2 * (ld32(qs + 64 + 4 * g) >> 28) + 1);
		return eng_f16_to_f32(ld16(b));
	}
	case ENG_T_IQ3_S: {     /* index k: qs[k] | bit k % 8 of qh[k / 8] << 8; explicit sign bytes */
		const uint8_t *qs = b + offsetof(eng_blk_iq3_s, qs), *qh = b + offsetof(eng_blk_iq3_s, qh);
		const uint8_t *s = b + offsetof(eng_blk_iq3_s, scales);
		for (int k = 0; k < 64; k++)
			memcpy(lv + 4 * k, &eng_iq3s_grid[qs[k] | (qh[k / 8] >> k % 8 & 1) << 8], 4);
		apply_signs(lv, b + offsetof(eng_blk_iq3_s, signs));
		for (int g = 0; g < 8; g++)
			sc[2 * g] = sc[2 * g + 1] = 2 * (s[g / 2] >> 4 * (g % 2) & 15) + 1;
		return eng_f16_to_f32(ld16(b));
	}
	case ENG_T_IQ1_S: {     /* per group a word: 4 x 3 high index bits, the scale, the shift's sign */
		const uint8_t *qs = b + offsetof(eng_blk_iq1_s, qs);
		for (int g = 0; g < 8; g++) {
			const unsigned qh = ld16(b + offsetof(eng_blk_iq1_s, qh) + 2 * g);
			for (int l = 0; l < 4; l++)
				iq1_levels8(lv + 32 * g + 8 * l, eng_iq1s_grid[qs[4 * g + l] | (qh >> 3 * l & 7) << 8],
					(int)(qh >> 15));
			sc[2 * g] = sc[2 * g + 1] = (int32_t)(2 * (qh >> 12 & 7) + 1);
		}
		return eng_f16_to_f32(ld16(b));
	}
	case ENG_T_IQ1_M: {     /* a qh nibble per 8 elements: 3 high index bits, the shift's sign */
		const uint8_t *qs = b + offsetof(eng_blk_iq1_m, qs), *qh = b + offsetof(eng_blk_iq1_m, qh);
		const uint8_t *s = b + offsetof(eng_blk_iq1_m, scales);
		for (int k = 0; k < 32; k++) {
			const int h = qh[k / 2] >> 4 * (k % 2) & 15;
			iq1_levels8(lv + 8 * k, eng_iq1s_grid[qs[k] | (h & 7) << 8], h >> 3);
		}
		for (int k = 0; k < 16; k++)
			sc[k] = (int32_t)(2 * (ld16(s + 2 * (k / 4)) >> 3 * (k % 4) & 7) + 1);
		return eng_f16_to_f32(eng_iq1m_d(s));
	}
	default: {              /* TQ1_0 */
		/* elements 32k + m: digit k of qs[m] (m < 32); 160 + 16k + m: digit k of qs[32 + m];
		 * 240 + 4k + m: digit k of qh[m], so qh's 4 bytes repeat over the vector */
		static const uint8_t pow3[5] = { 1, 3, 9, 27, 81 };
		static const uint8_t pow3_qh[16] = { 1, 1, 1, 1, 3, 3, 3, 3, 9, 9, 9, 9, 27, 27, 27, 27 };
		const uint8_t *qs = b + offsetof(eng_blk_tq1_0, qs);
		const uint8x16_t x0 = vld1q_u8(qs), x1 = vld1q_u8(qs + 16), x2 = vld1q_u8(qs + 32);
		for (int k = 0; k < 5; k++) {
			const uint8x16_t p = vdupq_n_u8(pow3[k]);
			vst1q_s8(lv + 32 * k, tq1_digits(x0, p));
			vst1q_s8(lv + 32 * k + 16, tq1_digits(x1, p));
			vst1q_s8(lv + 160 + 16 * k, tq1_digits(x2, p));
		}
		vst1q_s8(lv + 240, tq1_digits(vreinterpretq_u8_u32(vdupq_n_u32(ld32(b + offsetof(eng_blk_tq1_0, qh)))),
			vld1q_u8(pow3_qh)));
		for (int k = 0; k < 16; k++)
			sc[k] = 1;
		return eng_f16_to_f32(ld16(b + offsetof(eng_blk_tq1_0, d)));
	}
	}
}

#else
/* Not aarch64: this file provides nothing (a declaration keeps the translation unit non-empty). */
typedef int eng_quant_iq_neon_unused;
#endif
