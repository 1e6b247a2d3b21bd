/* engine/kern_load.h — little-endian loads at any alignment, shared by the architecture kernel
 * files (quant_x86.c, quant_iq_x86.c, quant_neon.c, quant_iq_neon.c), and the AVX-512 16-row interleave of the
 * x86 batch tiles. Internal to the engine. */
#ifndef TB_ENGINE_KERN_LOAD_H
#define TB_ENGINE_KERN_LOAD_H

#include <stdint.h>
#include <string.h>

static inline uint16_t ld16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline uint64_t ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline float ldf32(const uint8_t *p)
{
	float v;
	memcpy(&v, p, sizeof v);
	return v;
}

/* The one-token row kernels' lookahead: bytes [0, len) at b[j] + ahead for each of the n row
 * pointers, into the first-level cache. The addresses may lie past the matrix (the rows the
 * caller's next call reads): a prefetch never faults, and the sum is formed as an integer. */
static inline void kern_prefetch_rows(const uint8_t *const *b, int n, size_t ahead, size_t len)
{
	for (int j = 0; j < n; j++) {
		const uintptr_t p = (uintptr_t)b[j] + ahead;
		for (size_t o = 0; o < len; o += 64)
			__builtin_prefetch((const void *)(p + o), 0, 3);
	}
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define KERN_INL5 static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))

/* acc + the u8 x s8 products of w with the 4 bytes at p broadcast to every lane, as one
 * `vpdpbusd` with an embedded {1to16} memory operand (the compiler emits a separate
 * `vpbroadcastd` for _mm512_set1_epi32 of a load, one more instruction per product). Needs
 * AVX-512 VNNI in the caller's target. */
typedef struct { uint32_t v; } __attribute__((may_alias)) kern_u32a;
KERN_INL5 __m512i dpbusd_bc(__m512i acc, const __m512i w, const uint8_t *p)
{
	__asm__("vpdpbusd %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(w), "m"(*(const kern_u32a *)(const void *)p));
	return acc;
}

/* The batch tiles' (kb_tile, ib_tile) integer products of one super-block: 16 rows' levels lv
 * (vector g: 4 elements of each row, 64 vectors) times 8 tokens' Q8_K quants (xq[t], 256
 * bytes), into is[t] (one int32 lane per row): in G scale groups of 64 / G vectors, each
 * group's sums times its 16 scales sc[j]; sc NULL (the levels carry their scales, or there are
 * none): one chain of products per token. */
KERN_INL5 void kern_sb_dots(const uint8_t (*lv)[64], const int32_t (*sc)[16], int G, const uint8_t *const xq[8],
	__m512i is[8])
{
	if (!sc) {
#pragma GCC unroll 4
		for (int g = 0; g < 64; g++) {
			const __m512i wv = _mm512_load_si512(lv[g]);
#pragma GCC unroll 8
			for (int t = 0; t < 8; t++)
				is[t] = dpbusd_bc(is[t], wv, xq[t] + 4 * g);
		}
		return;
	}
	const int E = 64 / G;
#pragma GCC unroll 2
	for (int j = 0; j < G; j++) {
		__m512i sj[8] = { { 0 } };
#pragma GCC unroll 8
		for (int e = 0; e < E; e++) {
			const int g = j * E + e;
			const __m512i wv = _mm512_load_si512(lv[g]);
#pragma GCC unroll 8
			for (int t = 0; t < 8; t++)
				sj[t] = dpbusd_bc(sj[t], wv, xq[t] + 4 * g);
		}
		const __m512i s = _mm512_load_si512(sc[j]);
#pragma GCC unroll 8
		for (int t = 0; t < 8; t++)
			is[t] = _mm512_add_epi32(is[t], _mm512_mullo_epi32(sj[t], s));
	}
}

/* The tiles' offset / min sums: sum over q of the int16 pairs mp[q] (16 rows) times Q8_K's
 * 16-element sums bs (int16 x 16) in pairs: sums32, pairs of groups of 32 (q < 4, from the sums
 * of 16 added in pairs; each |sum| <= 4064); sums16, pairs of groups of 16 (q < 8). */
KERN_INL5 __m512i kern_sums32(const uint32_t (*mp)[16], const uint8_t *bs)
{
	const __m128i g32 = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)bs), _mm_loadu_si128((const __m128i *)(bs + 16)));
	__m512i m = _mm512_setzero_si512();
	m = _mm512_dpwssd_epi32(m, _mm512_load_si512(mp[0]), _mm512_set1_epi32(_mm_extract_epi32(g32, 0)));
	m = _mm512_dpwssd_epi32(m, _mm512_load_si512(mp[1]), _mm512_set1_epi32(_mm_extract_epi32(g32, 1)));
	m = _mm512_dpwssd_epi32(m, _mm512_load_si512(mp[2]), _mm512_set1_epi32(_mm_extract_epi32(g32, 2)));
	return _mm512_dpwssd_epi32(m, _mm512_load_si512(mp[3]), _mm512_set1_epi32(_mm_extract_epi32(g32, 3)));
}

KERN_INL5 __m512i kern_sums16(const uint32_t (*mp)[16], const uint8_t *bs)
{
	__m512i m = _mm512_setzero_si512();
#pragma GCC unroll 8
	for (int q = 0; q < 8; q++)
		m = _mm512_dpwssd_epi32(m, _mm512_load_si512(mp[q]), _mm512_set1_epi32((int)ld32(bs + 4 * q)));
	return m;
}

/* The even and the odd 128-bit lanes of x then y: *e = x0 x2 y0 y2, *o = x1 x3 y1 y3. */
KERN_INL5 void tr_lanes(__m512i x, __m512i y, __m512i *e, __m512i *o)
{
	*e = _mm512_shuffle_i32x4(x, y, 0x88);
	*o = _mm512_shuffle_i32x4(x, y, 0xdd);
}

/* The 16 x 16 int32 transpose of r into o (o[c] lane q = r[q] lane c). */
KERN_INL5 void tr16_512(const __m512i r[16], __m512i o[16])
{
	__m512i a[16], b[16], c[16];
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		a[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
		a[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
	}
#pragma GCC unroll 4
	for (int i = 0; i < 4; i++) {
		b[4 * i] = _mm512_unpacklo_epi64(a[4 * i], a[4 * i + 2]);
		b[4 * i + 1] = _mm512_unpackhi_epi64(a[4 * i], a[4 * i + 2]);
		b[4 * i + 2] = _mm512_unpacklo_epi64(a[4 * i + 1], a[4 * i + 3]);
		b[4 * i + 3] = _mm512_unpackhi_epi64(a[4 * i + 1], a[4 * i + 3]);
	}
	/* b[4i + k], 128-bit lane L: rows 4i .. 4i + 3 of column 4L + k */
#pragma GCC unroll 4
	for (int k = 0; k < 4; k++) {
		tr_lanes(b[k], b[4 + k], &c[k], &c[4 + k]);
		tr_lanes(b[8 + k], b[12 + k], &c[8 + k], &c[12 + k]);
	}
#pragma GCC unroll 4
	for (int k = 0; k < 4; k++) {
		tr_lanes(c[k], c[8 + k], &o[k], &o[8 + k]);
		tr_lanes(c[4 + k], c[12 + k], &o[4 + k], &o[12 + k]);
	}
}

/* 16 rows of 256 bytes (lv[r]) -> 64 vectors (out[g]: row r's bytes 4g .. 4g + 3 at 4r), the
 * batch tiles' row-interleaved levels: 4 transposes of the rows' 64-byte quarters. */
KERN_INL5 void kern_il16x256(const uint8_t lv[16][256], uint8_t out[64][64])
{
	for (int c = 0; c < 4; c++) {
		__m512i r[16], o[16];
#pragma GCC unroll 16
		for (int q = 0; q < 16; q++)
			r[q] = _mm512_loadu_si512(lv[q] + 64 * c);
		tr16_512(r, o);
#pragma GCC unroll 16
		for (int e = 0; e < 16; e++)
			_mm512_storeu_si512(out[16 * c + e], o[e]);
	}
}
#endif

#endif
