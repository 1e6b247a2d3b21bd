/* engine/quant_iq_dec_x86.c — one-token (decode) row kernels of the IQ grid types at the AVX-512
 * level on CPUs with VBMI: matrix times one Q8_K vector, four rows at a time, returning the _ref's
 * bits. quant_iq_x86.c calls eng_iq_dec_rows for batches below its tiles; it declines (-1) where
 * the CPU lacks VBMI or the type has no kernel here. Layout and measurements: docs/quant-formats.md
 * ("Dots") and docs/engine.md ("IQ1/IQ2/IQ3 kernels"). */
#if defined(__x86_64__) || defined(__i386__)

#include "engine/kern_load.h"
#include "engine/quant_impl.h"

#include <immintrin.h>
#include <stddef.h>
#include <string.h>

#define TGTV __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi,avx2,fma,f16c")))
#define INLV static inline __attribute__((always_inline, \
	target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi,avx2,fma,f16c")))

/* The activation of one super-block in the kernels' element order: x[k] holds, in its qword g,
 * elements 32g + 8k .. 32g + 8k + 7 (so a 64-byte vector holds 8 elements of each of the 8 groups
 * of 32, and a weight vector built in the same order multiplies it lane by lane; a result lane
 * pair 2g, 2g + 1 belongs to group g). From Q8_K's bsums, IQ1_S takes in m7, m9 -7 and -9 times
 * each group's activation sum (both dwords of qword g), IQ1_M in m7 -16 times the sum of each 16
 * elements (dword p: elements 16p ..). */
typedef struct {
	__m512i x[4];
	__m512i m7, m9;
	float d;
} dec_act;

enum {
	A_W = sizeof(eng_blk_q8_K), A_QS = offsetof(eng_blk_q8_K, qs), A_BS = offsetof(eng_blk_q8_K, bsums),
	X3_SG = offsetof(eng_blk_iq3_xxs, qs) + 64, XS_SC = offsetof(eng_blk_iq2_xs, scales),
	S2_QS = offsetof(eng_blk_iq2_s, qs), S2_QH = offsetof(eng_blk_iq2_s, qh), S2_SC = offsetof(eng_blk_iq2_s, scales),
	S3_QH = offsetof(eng_blk_iq3_s, qh), S3_SG = offsetof(eng_blk_iq3_s, signs), S3_SC = offsetof(eng_blk_iq3_s, scales),
	I1_QS = offsetof(eng_blk_iq1_s, qs), M1_SC = offsetof(eng_blk_iq1_m, scales),
	DEC_R = 4,           /* rows per block (two pairs; a tail block repeats its first row, not stored) */
	DEC_KC = 16          /* super-blocks per chunk of the prepared activation (4096 elements) */
};
/* dec_rows prefetches the chunk's bytes of the row block this many blocks on, all at once
 * before the block's products: from memory (64 Ki rows of 2048, one thread, Zen 5) IQ3_XXS went
 * from 18.5 to 24-29 GMAC/s, IQ2_XXS 22 -> 30, IQ3_S 16 -> 21-23, IQ1_S 11 -> 16, IQ2_S 10.5 -> 12;
 * 2 blocks on or the same bytes spread over the block's super-blocks gained less. */
#ifndef DEC_PF
#define DEC_PF 1
#endif

/* Tables made once from the grids (eng_iq_dec_init, before any kernel runs; read-only after).
 * Codes: the IQ2 levels {8, 25, 43} as 0..2, 2 bits per element (lo: elements 0..3, hi: 4..7);
 * the IQ3 levels (IQ3_XXS {4, 12, .., 52, 62}, IQ3_S {1, 3, .., 15}) as 0..7, 3 bits per element
 * (lo: elements 0, 1; hi: 2, 3). sg: the parity-completed sign byte of each 7-bit field. u1: the
 * IQ1 grid as unsigned levels 8q + 8 (IQ1_S); u1m: as 8q + 16 + shift, the shift +1 (entries
 * 0..2047) or -1 (2048..4095: the sign bit as index bit 11; IQ1_M). */
static struct {
	uint8_t sg[128];
	uint8_t x2lo[256], x2hi[256], x3lo[256], x3hi[256], s3lo[512], s3hi[512];
	uint8_t lv2[64], lv3[64], lvs3[64];  /* code in the low 2 / 3 bits of the index -> level */
	uint8_t trans[64];                 /* byte 8k + g <- byte 8g + k */
	uint8_t trans_sb[64];              /* byte 8k + g <- sign byte 4g + k (row A), 32 + 4g + k - 4 (B) */
	uint8_t ctl_sg[64], ctl_sc[64];    /* multishift controls: sign fields, scale nibbles */
	uint8_t ctl_xs[64];                /* IQ2_XS: the sign field (bits 9..15) of each uint16 */
	uint8_t ctl_s16[64];               /* a scale byte (qword g) -> 2 nibbles at dwords 2g, 2g + 1 */
	uint8_t ctl_s3[64];                /* IQ3_S: two rows' scale words -> nibble g at dwords 2g, 2g + 1 */
	uint8_t ctl_x2[4][64];             /* IQ2_XXS: entry k's 8 codes from a lo|hi qword */
	uint8_t ctl_x3[2][64];             /* IQ3: entries 0, 1 / 2, 3 of a (lo, hi) qword */
	uint8_t ctl_i1[4][64];             /* IQ1_S: entry k's 11-bit index */
	uint8_t ctl_s2[4][64];             /* IQ2_S: entry k's 10-bit index */
	uint8_t ctl_xi[4][64];             /* IQ2_XS: entry k's uint16 (its 9-bit index) */
	uint8_t ctl_m1[4][64];             /* IQ1_M: entry k's 11-bit index and shift sign */
	uint8_t perm_i1[64];               /* IQ1_S: qs dword g, qh word g into qword g */
	uint8_t perm_s2[64];               /* IQ2_S: qs dword g, qh byte g into qword g */
	uint8_t perm_m1[64];               /* IQ1_M: qs dword g, qh bytes 2g, 2g + 1 into qword g */
	uint64_t u1[2048];
	uint64_t u1m[4096];
} dec_tab __attribute__((aligned(64)));

static int dec_have;   /* 1 when the CPU has AVX-512 VBMI (set once by eng_iq_dec_init) */
static int dec_ng;     /* 1: grid entries by loads, not gathers (AMD CPUs; gather8) */

static int code_of(const uint8_t *lv, int n, int m)
{
	for (int c = 0; c < n; c++)
		if (lv[c] == m)
			return c;
	return 0;   /* not reached: the grids hold only these levels (test_iq checks their level sets) */
}

/* Two bytes of IQ3 codes (elements 0, 1 and 2, 3) of a grid entry of 4 levels from lv. */
static void codes3(uint32_t e, const uint8_t *lv, uint8_t *lo, uint8_t *hi)
{
	unsigned c[4];
	for (int j = 0; j < 4; j++)
		c[j] = (unsigned)code_of(lv, 8, (int)(e >> 8 * j & 0xff));
	*lo = (uint8_t)(c[0] | c[1] << 3);
	*hi = (uint8_t)(c[2] | c[3] << 3);
}

void eng_iq_dec_init(void)
{
	static const uint8_t l2[3] = { 8, 25, 43 }, l3[8] = { 4, 12, 20, 28, 36, 44, 52, 62 },
		ls3[8] = { 1, 3, 5, 7, 9, 11, 13, 15 };
	__builtin_cpu_init();
	dec_have = __builtin_cpu_supports("avx512vbmi");
	dec_ng = __builtin_cpu_is("amd");
	for (int f = 0; f < 128; f++)
		dec_tab.sg[f] = (uint8_t)eng_iq_sign_bits((unsigned)f);
	for (int i = 0; i < 256; i++) {
		unsigned lo = 0, hi = 0;
		for (int j = 0; j < 8; j++) {
			const unsigned c = (unsigned)code_of(l2, 3, (int)(eng_iq2xxs_grid[i] >> 8 * j & 0xff));
			if (j < 4)
				lo |= c << 2 * j;
			else
				hi |= c << 2 * (j - 4);
		}
		dec_tab.x2lo[i] = (uint8_t)lo;
		dec_tab.x2hi[i] = (uint8_t)hi;
		codes3(eng_iq3xxs_grid[i], l3, &dec_tab.x3lo[i], &dec_tab.x3hi[i]);
	}
	for (int i = 0; i < 512; i++)
		codes3(eng_iq3s_grid[i], ls3, &dec_tab.s3lo[i], &dec_tab.s3hi[i]);
	for (int p = 0; p < 64; p++) {
		const int b = p % 8, q = p / 8;
		dec_tab.lv2[p] = p % 4 < 3 ? l2[p % 4] : 0;
		dec_tab.lv3[p] = l3[p % 8];
		dec_tab.lvs3[p] = ls3[p % 8];
		dec_tab.trans[p] = (uint8_t)(8 * b + q);
		dec_tab.trans_sb[p] = (uint8_t)(q < 4 ? 4 * b + q : 32 + 4 * b + q - 4);
		/* a qword of two rows' sign words (row A low, row B high): field b % 4 of each */
		dec_tab.ctl_sg[p] = (uint8_t)(32 * (b / 4) + 7 * (b % 4));
		/* byte 0 of each dword: bits 27..34, whose bits 1..4 are the word's scale nibble (28..31) */
		dec_tab.ctl_sc[p] = (uint8_t)(b < 4 ? 27 : 59);
		dec_tab.ctl_xs[p] = (uint8_t)(16 * (b % 4) + 9);
		/* byte 0 of dword 0: the low nibble at bits 1..4 (bit 63 = 0 lands at bit 0), of dword 1 the high */
		dec_tab.ctl_s16[p] = (uint8_t)(b < 4 ? 63 : 3);
		/* qword g of (A's scale word | B's << 32): nibble g of each at bits 1..4 of dword 0 / 1 */
		dec_tab.ctl_s3[p] = (uint8_t)((32 * (b / 4) + 4 * q + 63) % 64);
		for (int k = 0; k < 4; k++) {
			/* element b of entry k: code bits 2b (lo byte k) or 32 + 2(b - 4) (hi byte 4 + k) */
			dec_tab.ctl_x2[k][p] = (uint8_t)(b < 4 ? 8 * k + 2 * b : 32 + 8 * k + 2 * (b - 4));
			/* qs byte k, then the high index bits of entry k from bit 32 on (bytes 2.. : bits 48.., 0) */
			dec_tab.ctl_i1[k][p] = (uint8_t)(b == 0 ? 8 * k : b == 1 ? 32 + 3 * k : 48);
			dec_tab.ctl_s2[k][p] = (uint8_t)(b == 0 ? 8 * k : b == 1 ? 32 + 2 * k : 48);
			dec_tab.ctl_xi[k][p] = (uint8_t)(16 * k + 8 * (b % 2));
			dec_tab.ctl_m1[k][p] = (uint8_t)(b == 0 ? 8 * k : b == 1 ? 32 + 4 * k : 48);
		}
		/* entries e = 2h + b / 4 of a qword (lo_0, hi_0, lo_1, hi_1, ..): element j = b % 4 at
		 * 16e + (j < 2 ? 3j : 8 + 3(j - 2)) */
		for (int h = 0; h < 2; h++) {
			const int e = 2 * h + b / 4, j = b % 4;
			dec_tab.ctl_x3[h][p] = (uint8_t)(16 * e + (j < 2 ? 3 * j : 8 + 3 * (j - 2)));
		}
		/* qword q: qs bytes 4q .. 4q + 3, then (offsets from qs) IQ1_S qh bytes 32 + 2q, 33 + 2q;
		 * IQ2_S qh byte q (second table: 64 + q); IQ1_M qh bytes 32 + 2q, 33 + 2q; zeros masked */
		dec_tab.perm_i1[p] = (uint8_t)(b < 4 ? 4 * q + b : b < 6 ? 32 + 2 * q + b - 4 : 0);
		dec_tab.perm_s2[p] = (uint8_t)(b < 4 ? 4 * q + b : 64 + q);
		dec_tab.perm_m1[p] = (uint8_t)(b < 4 ? 4 * q + b : b < 6 ? 32 + 2 * q + b - 4 : 0);
	}
	/* IQ1_S: 8q + 8; IQ1_M: 8q + 16 + the shift (+1; -1 from entry 2048 on, bit 11 the sign) */
	for (int i = 0; i < 2048; i++) {
		uint64_t u = 0, up = 0, um = 0;
		for (int j = 0; j < 8; j++) {
			const int q = (int8_t)(eng_iq1s_grid[i] >> 8 * j);
			u |= (uint64_t)(uint8_t)(8 * q + 8) << 8 * j;
			up |= (uint64_t)(uint8_t)(8 * q + 17) << 8 * j;
			um |= (uint64_t)(uint8_t)(8 * q + 15) << 8 * j;
		}
		dec_tab.u1[i] = u;
		dec_tab.u1m[i] = up;
		dec_tab.u1m[2048 + i] = um;
	}
}

INLV __m512i tab(const uint8_t *p) { return _mm512_load_si512((const void *)p); }

/* Bytes of a 256-entry table at t (four vectors), looked up by the index bytes of i. */
INLV __m512i lookup256(const __m512i *t, __m512i i)
{
	return _mm512_mask_blend_epi8(_mm512_movepi8_mask(i), _mm512_permutex2var_epi8(t[0], i, t[1]),
		_mm512_permutex2var_epi8(t[2], i, t[3]));
}

/* One super-block of Q8_K activations into the kernels' order (dec_act). */
INLV void dec_prep(int type, const uint8_t *a, dec_act *o)
{
	const __m512i q0 = _mm512_loadu_si512(a + A_QS), q1 = _mm512_loadu_si512(a + A_QS + 64),
		q2 = _mm512_loadu_si512(a + A_QS + 128), q3 = _mm512_loadu_si512(a + A_QS + 192);
	for (int k = 0; k < 4; k++) {   /* qword g of x[k] = qword 4g + k of the 32 */
		const __m512i i = _mm512_set_epi64(0, 0, 0, 0, 12 + k, 8 + k, 4 + k, k);
		o->x[k] = _mm512_shuffle_i64x2(_mm512_permutex2var_epi64(q0, i, q1), _mm512_permutex2var_epi64(q2, i, q3), 0x44);
	}
	o->d = ldf32(a);
	const __m512i s = _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(a + A_BS)));
	if (type == ENG_T_IQ1_S) {   /* group sums B_g = bsums[2g] + bsums[2g + 1], in both dwords of qword g */
		const __m512i b = _mm512_add_epi32(s, _mm512_shuffle_epi32(s, _MM_PERM_CDAB));
		const __m512i b8 = _mm512_slli_epi32(b, 3);
		o->m7 = _mm512_sub_epi32(b, b8);
		o->m9 = _mm512_sub_epi32(_mm512_sub_epi32(_mm512_setzero_si512(), b8), b);
	} else if (type == ENG_T_IQ1_M) {   /* -16 x the sum of each 16 elements, dword p */
		o->m7 = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(s, 4));
	}
}

/* Two rows' sign bytes (f: qword g byte k row A's sign field or byte of group g entry k, byte
 * 4 + k row B's; through the parity table where fields) -> the masks of the 8 weight vectors:
 * sm[k] row A's vector k, sm[4 + k] row B's. */
INLV void signs_fields(__m512i f, uint64_t sm[8])
{
	const __m512i t = _mm512_permutexvar_epi8(tab(dec_tab.trans), f);
	_mm512_store_si512((void *)sm, _mm512_permutex2var_epi8(tab(dec_tab.sg), t, tab(dec_tab.sg + 64)));
}

/* Explicit sign bytes (32 a row, byte 4g + k: group g's entry k) of rows A, B -> sm as above. */
INLV void signs_bytes(const uint8_t *pa, const uint8_t *pb, uint64_t sm[8])
{
	const __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)pa)),
		_mm256_loadu_si256((const __m256i *)pb), 1);
	_mm512_store_si512((void *)sm, _mm512_permutexvar_epi8(tab(dec_tab.trans_sb), v));
}

/* 2s + 1 from dwords whose bits 1..4 (bits: 4) or 1..3 (bits: 3) hold s. */
INLV __m512i odd_scale(__m512i v, int bits)
{
	return _mm512_ternarylogic_epi32(v, _mm512_set1_epi32(bits == 4 ? 0x1e : 0xe), _mm512_set1_epi32(1), 0xea);   /* (v & m) | 1 */
}

/* A row's 8 scale bytes (two nibbles each: elements 0..15, 16..31 of group g) -> dword 2g, 2g + 1. */
INLV __m512i scales16(const uint8_t *p)
{
	return odd_scale(_mm512_multishift_epi64_epi8(tab(dec_tab.ctl_s16), _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)p))), 4);
}

/* x negated where the mask bit is set. */
INLV __m512i neg_if(__m512i x, __mmask64 m) { return _mm512_mask_sub_epi8(x, m, _mm512_setzero_si512(), x); }

/* Dword sums over a group's halves (lo: lanes 2g, 2g + 1 of group g's first 16 elements, hi: its
 * second 16) -> dword 2g the first half's total, 2g + 1 the second's. With two rows' whole groups
 * (lo row A, hi row B) the same gives dword 2g row A's group total, 2g + 1 row B's. */
INLV __m512i join_pair(__m512i lo, __m512i hi)
{
	return _mm512_mask_blend_epi32(0xaaaa, _mm512_add_epi32(lo, _mm512_srli_epi64(lo, 32)),
		_mm512_add_epi32(hi, _mm512_slli_epi64(hi, 32)));
}

/* Pass 1 over rows A, B of a super-block: the sign masks (sm) and scales (sc[0]: the pair's,
 * dword 2g row A's group g, 2g + 1 row B's; per-16 types sc[0] row A's, sc[1] row B's halves). */
INLV void pass1(int type, const uint8_t *ba, const uint8_t *bb, uint64_t sm[8], __m512i sc[2])
{
	const __mmask64 hi4 = 0xf0f0f0f0f0f0f0f0ull;
	switch (type) {
	case ENG_T_IQ2_XXS: case ENG_T_IQ3_XXS: {   /* qword g: row A's sign word of group g, row B's */
		const __m512i ss = type == ENG_T_IQ2_XXS   /* the odd dwords of qs */
			? _mm512_mask_blend_epi8(hi4, _mm512_srli_epi64(_mm512_loadu_si512(ba + 2), 32), _mm512_loadu_si512(bb + 2))
			: _mm512_permutex2var_epi32(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(ba + X3_SG))),
				_mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0),
				_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(bb + X3_SG))));
		signs_fields(_mm512_multishift_epi64_epi8(tab(dec_tab.ctl_sg), ss), sm);
		sc[0] = odd_scale(_mm512_multishift_epi64_epi8(tab(dec_tab.ctl_sc), ss), 4);
		break;
	}
	case ENG_T_IQ2_XS: {
		const __m512i c = tab(dec_tab.ctl_xs);
		signs_fields(_mm512_mask_blend_epi8(hi4, _mm512_multishift_epi64_epi8(c, _mm512_loadu_si512(ba + 2)),
			_mm512_multishift_epi64_epi8(c, _mm512_loadu_si512(bb + 2))), sm);
		sc[0] = scales16(ba + XS_SC);
		sc[1] = scales16(bb + XS_SC);
		break;
	}
	case ENG_T_IQ2_S:
		signs_bytes(ba + S2_QS + 32, bb + S2_QS + 32, sm);
		sc[0] = scales16(ba + S2_SC);
		sc[1] = scales16(bb + S2_SC);
		break;
	default:   /* IQ3_S */
		signs_bytes(ba + S3_SG, bb + S3_SG, sm);
		sc[0] = odd_scale(_mm512_multishift_epi64_epi8(tab(dec_tab.ctl_s3),
			_mm512_set1_epi64((long long)((uint64_t)ld32(ba + S3_SC) | (uint64_t)ld32(bb + S3_SC) << 32))), 4);
		break;
	}
}

/* IQ3 (lo, hi) code bytes of a row's 64 entries (byte 8g + k: group g's entry k) -> its 4 weight
 * vectors (magnitudes, in dec_act's order). */
INLV void mags3(__m512i lo, __m512i hi, __m512i lv, __m512i c01, __m512i c23, __m512i *m)
{
	/* (lo, hi) byte pairs: u0 lane m = group 2m's 8 entries, u1 = group 2m + 1's */
	const __m512i u0 = _mm512_unpacklo_epi8(lo, hi), u1 = _mm512_unpackhi_epi8(lo, hi);
	/* v01 qword g: group g's entries 0..3; v23: entries 4..7 */
	const __m512i v01 = _mm512_permutex2var_epi64(u0, _mm512_set_epi64(14, 6, 12, 4, 10, 2, 8, 0), u1);
	const __m512i v23 = _mm512_permutex2var_epi64(u0, _mm512_set_epi64(15, 7, 13, 5, 11, 3, 9, 1), u1);
	m[0] = _mm512_permutexvar_epi8(_mm512_multishift_epi64_epi8(c01, v01), lv);
	m[1] = _mm512_permutexvar_epi8(_mm512_multishift_epi64_epi8(c23, v01), lv);
	m[2] = _mm512_permutexvar_epi8(_mm512_multishift_epi64_epi8(c01, v23), lv);
	m[3] = _mm512_permutexvar_epi8(_mm512_multishift_epi64_epi8(c23, v23), lv);
}

/* The 8-byte grid entries at the 8 indices of ix: one gather, or (ng) 8 loads. On Zen 5 the
 * loads beat the 512-bit gather (IQ1_S tg64 of a TinyLlama-shaped file, 2 threads, four
 * alternating runs: about 1.09x); where gathers were measured (Sapphire Rapids) they stay. */
INLV __m512i gather8(__m512i ix, const void *grid, const int ng)
{
	if (!ng)
		return _mm512_i64gather_epi64(ix, grid, 8);
	uint64_t i[8] __attribute__((aligned(64)));
	const uint64_t *g = grid;
	_mm512_store_si512((void *)i, ix);
	return _mm512_set_epi64((long long)g[i[7]], (long long)g[i[6]], (long long)g[i[5]], (long long)g[i[4]],
		(long long)g[i[3]], (long long)g[i[2]], (long long)g[i[1]], (long long)g[i[0]]);
}

/* 8 gathered grid entries per weight vector: the index of entry k of each group is
 * mshift(ctl[k], t) & mask, t holding qword g's index bits (idx_*). Dword sums of the products
 * with x (signed by sm where given): lo from entries 0, 1, hi from 2, 3 (or all in lo). */
INLV void gather_dot(__m512i t, const uint8_t (*ctl)[64], long long mask, const void *grid, const dec_act *x,
	const uint64_t *sm, int split, const int ng, __m512i *lo, __m512i *hi)
{
	__m512i d[2] = { _mm512_setzero_si512(), _mm512_setzero_si512() };
	const __m512i m = _mm512_set1_epi64(mask);
#pragma GCC unroll 4
	for (int k = 0; k < 4; k++) {
		const __m512i ix = _mm512_and_si512(_mm512_multishift_epi64_epi8(tab(ctl[k]), t), m);
		const __m512i a = sm ? neg_if(x->x[k], (__mmask64)sm[k]) : x->x[k];
		d[split && k >= 2] = _mm512_dpbusd_epi32(d[split && k >= 2], gather8(ix, grid, ng), a);
	}
	*lo = d[0];
	*hi = d[1];
}

/* The fp16 d of 4 rows' super-blocks, as floats. */
INLV __m128 d4(int type, const uint8_t *const *b, size_t o)
{
	uint16_t h[4];
	for (int j = 0; j < 4; j++)
		h[j] = type == ENG_T_IQ1_M ? eng_iq1m_d(b[j] + o + M1_SC) : ld16(b[j] + o);
	return _mm_cvtph_ps(_mm_loadl_epi64((const __m128i *)h));
}

/* [sum of a's dwords, b's, c's, d's]. */
INLV __m128i red4(__m512i a, __m512i b, __m512i c, __m512i d)
{
	const __m512i ab = _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
	const __m512i cd = _mm512_add_epi32(_mm512_unpacklo_epi32(c, d), _mm512_unpackhi_epi32(c, d));
	const __m512i u = _mm512_add_epi32(_mm512_unpacklo_epi64(ab, cd), _mm512_unpackhi_epi64(ab, cd));
	const __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(u), _mm512_extracti64x4_epi64(u, 1));
	return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

/* [sum of ab's even dwords, of its odd dwords, of cd's even, of cd's odd]. */
INLV __m128i red22(__m512i ab, __m512i cd)
{
	const __m512i u = _mm512_add_epi32(_mm512_unpacklo_epi64(ab, cd), _mm512_unpackhi_epi64(ab, cd));
	const __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(u), _mm512_extracti64x4_epi64(u, 1));
	return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

/* Index bits of a row's super-block for the gathers: qword g = qs dword g and the group's high
 * bits (perm: perm_i1 / perm_m1 over the 48 bytes from p; IQ2_S: perm_s2 over qs and qh). */
INLV __m512i idx_bits(int type, const uint8_t *b)
{
	if (type == ENG_T_IQ2_S)
		return _mm512_maskz_permutex2var_epi8(0x1f1f1f1f1f1f1f1full, _mm512_loadu_si512(b + S2_QS), tab(dec_tab.perm_s2),
			_mm512_maskz_loadu_epi8(0xff, b + S2_QH));
	const uint8_t *qs = type == ENG_T_IQ1_M ? b : b + I1_QS;
	return _mm512_maskz_permutexvar_epi8(0x3f3f3f3f3f3f3f3full, tab(type == ENG_T_IQ1_M ? dec_tab.perm_m1 : dec_tab.perm_i1),
		_mm512_maskz_loadu_epi8(0xffffffffffffull, qs));
}

/* The 4 rows' integer sums of one super-block (IQ1: 8 sumi + sumi1), as the _ref forms them. */
INLV __m128i sb4(const int type, const uint8_t *const *b, size_t o, const dec_act *x, const uint64_t (*sm)[8],
	const __m512i *sc, const __m512i *tl, const __m512i *th, const int ng)
{
	__m512i is[4];
	switch (type) {
	case ENG_T_IQ2_XXS: {
		const __mmask64 hi4 = 0xf0f0f0f0f0f0f0f0ull;
		const __m512i lv = tab(dec_tab.lv2);
		for (int p = 0; p < 2; p++) {
			const __m512i qa = _mm512_loadu_si512(b[2 * p] + o + 2), qb = _mm512_loadu_si512(b[2 * p + 1] + o + 2);
			/* the two rows' 4 index bytes per group in one vector, looked up together */
			const __m512i qi = _mm512_mask_blend_epi8(hi4, qa, _mm512_slli_epi64(qb, 32));
			const __m512i lo = lookup256(tl, qi), hi = lookup256(th, qi);
			const __m512i ca = _mm512_mask_blend_epi8(hi4, lo, _mm512_slli_epi64(hi, 32));
			const __m512i cb = _mm512_mask_blend_epi8(hi4, _mm512_srli_epi64(lo, 32), hi);
			__m512i da = _mm512_setzero_si512(), db = _mm512_setzero_si512();
#pragma GCC unroll 4
			for (int k = 0; k < 4; k++) {
				const __m512i c = tab(dec_tab.ctl_x2[k]);
				da = _mm512_dpbusd_epi32(da, _mm512_permutexvar_epi8(_mm512_multishift_epi64_epi8(c, ca), lv),
					neg_if(x->x[k], (__mmask64)sm[p][k]));
				db = _mm512_dpbusd_epi32(db, _mm512_permutexvar_epi8(_mm512_multishift_epi64_epi8(c, cb), lv),
					neg_if(x->x[k], (__mmask64)sm[p][4 + k]));
			}
			is[p] = _mm512_mullo_epi32(join_pair(da, db), sc[2 * p]);
		}
		return red22(is[0], is[1]);
	}
	case ENG_T_IQ3_XXS: case ENG_T_IQ3_S: {
		const int s3 = type == ENG_T_IQ3_S;
		const __m512i lv = tab(s3 ? dec_tab.lvs3 : dec_tab.lv3), c01 = tab(dec_tab.ctl_x3[0]), c23 = tab(dec_tab.ctl_x3[1]);
		for (int p = 0; p < 2; p++) {
			__m512i d[2];
			for (int r = 0; r < 2; r++) {
				const uint8_t *br = b[2 * p + r] + o;
				const __m512i q = _mm512_loadu_si512(br + 2);
				__m512i lo = lookup256(tl, q), hi = lookup256(th, q), m[4];
				if (s3) {   /* bit 8 of index 8g + k: bit 8g + k of qh */
					__mmask64 h;
					memcpy(&h, br + S3_QH, sizeof h);
					lo = _mm512_mask_blend_epi8(h, lo, lookup256(tl + 4, q));
					hi = _mm512_mask_blend_epi8(h, hi, lookup256(th + 4, q));
				}
				mags3(lo, hi, lv, c01, c23, m);
				d[r] = _mm512_setzero_si512();
#pragma GCC unroll 4
				for (int k = 0; k < 4; k++)
					d[r] = _mm512_dpbusd_epi32(d[r], m[k], neg_if(x->x[k], (__mmask64)sm[p][4 * r + k]));
			}
			is[p] = _mm512_mullo_epi32(join_pair(d[0], d[1]), sc[2 * p]);
		}
		return red22(is[0], is[1]);
	}
	case ENG_T_IQ2_XS: case ENG_T_IQ2_S:
		for (int r = 0; r < 4; r++) {
			const uint8_t *br = b[r] + o;
			__m512i lo, hi;
			if (type == ENG_T_IQ2_XS)
				gather_dot(_mm512_loadu_si512(br + 2), dec_tab.ctl_xi, 0x1ff, eng_iq2xs_grid, x, sm[r / 2] + 4 * (r % 2), 1, ng, &lo, &hi);
			else
				gather_dot(idx_bits(type, br), dec_tab.ctl_s2, 0x3ff, eng_iq2s_grid, x, sm[r / 2] + 4 * (r % 2), 1, ng, &lo, &hi);
			is[r] = _mm512_mullo_epi32(join_pair(lo, hi), sc[r]);
		}
		return red4(is[0], is[1], is[2], is[3]);
	case ENG_T_IQ1_S:
		for (int p = 0; p < 2; p++) {
			const __m512i ta = idx_bits(type, b[2 * p] + o), tb = idx_bits(type, b[2 * p + 1] + o);
			__m512i da, db, unused;
			gather_dot(ta, dec_tab.ctl_i1, 0x7ff, dec_tab.u1, x, NULL, 0, ng, &da, &unused);
			gather_dot(tb, dec_tab.ctl_i1, 0x7ff, dec_tab.u1, x, NULL, 0, ng, &db, &unused);
			/* dword 2g: row A's qh word g, 2g + 1: row B's; the shift and the offset 8 come back
			 * as (+-1 - 8) x the group's activation sum */
			const __m512i hw = _mm512_mask_blend_epi32(0xaaaa, _mm512_srli_epi64(ta, 32), tb);
			const __m512i corr = _mm512_mask_blend_epi32(_mm512_test_epi32_mask(hw, _mm512_set1_epi32(0x8000)), x->m7, x->m9);
			is[p] = _mm512_mullo_epi32(_mm512_add_epi32(join_pair(da, db), corr), odd_scale(_mm512_srli_epi32(hw, 11), 3));
		}
		return red22(is[0], is[1]);
	default:   /* IQ1_M: levels 8q + 16 + shift, the 16 back as -16 x each 16 elements' sum */
		for (int r = 0; r < 4; r++) {
			const uint8_t *br = b[r] + o;
			__m512i lo, hi;
			gather_dot(idx_bits(type, br), dec_tab.ctl_m1, 0xfff, dec_tab.u1m, x, NULL, 1, ng, &lo, &hi);
			/* the scale of 16 elements p: bits 3 (p % 4) of scale word p / 4 */
			const __m512i w = _mm512_maskz_permutexvar_epi16(0x55555555, _mm512_set_epi16(0, 3, 0, 3, 0, 3, 0, 3, 0, 2, 0, 2,
				0, 2, 0, 2, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0), _mm512_castsi128_si512(_mm_loadl_epi64((const __m128i *)(br + M1_SC))));
			const __m512i s = _mm512_srlv_epi32(w, _mm512_set_epi32(9, 6, 3, 0, 9, 6, 3, 0, 9, 6, 3, 0, 9, 6, 3, 0));
			is[r] = _mm512_mullo_epi32(_mm512_add_epi32(join_pair(lo, hi), x->m7), odd_scale(_mm512_add_epi32(s, s), 3));
		}
		return red4(is[0], is[1], is[2], is[3]);
	}
}

/* Rows b[0..3] (super-blocks 0 .. nc - 1 from each pointer) times the prepared x: the running
 * sums in lanes 0..3 of acc, each advanced per super-block as the _ref does. */
INLV __m128 dec_block(const int type, int nc, const uint8_t *const *b, size_t bs, const dec_act *x, __m128 acc,
	const int ng)
{
	const int iq1 = type == ENG_T_IQ1_S || type == ENG_T_IQ1_M;
	uint64_t sm[DEC_KC][2][8] __attribute__((aligned(64)));
	__m512i sc[DEC_KC][4], tl[8], th[8];
	if (!iq1)   /* pass 1: the chunk's signs and scales (masks read back at once from a store stall) */
		for (int i = 0; i < nc; i++)
			for (int p = 0; p < 2; p++)
				pass1(type, b[2 * p] + (size_t)i * bs, b[2 * p + 1] + (size_t)i * bs, sm[i][p], sc[i] + 2 * p);
	const uint8_t *lo = type == ENG_T_IQ2_XXS ? dec_tab.x2lo : type == ENG_T_IQ3_XXS ? dec_tab.x3lo : dec_tab.s3lo;
	const uint8_t *hi = type == ENG_T_IQ2_XXS ? dec_tab.x2hi : type == ENG_T_IQ3_XXS ? dec_tab.x3hi : dec_tab.s3hi;
	for (int j = 0; j < (type == ENG_T_IQ3_S ? 8 : 4); j++) {
		tl[j] = tab(lo + 64 * j);
		th[j] = tab(hi + 64 * j);
	}
	for (int i = 0; i < nc; i++) {
		const size_t o = (size_t)i * bs;
		const __m128 f = _mm_cvtepi32_ps(sb4(type, b, o, x + i, sm[i], sc[i], tl, th, ng));
		acc = _mm_add_ps(acc, _mm_mul_ps(_mm_mul_ps(d4(type, b, o), _mm_set1_ps(x[i].d)),
			iq1 ? _mm_mul_ps(_mm_set1_ps(0.125f), f) : f));
	}
	return acc;
}

/* The factor the _ref applies to a row's sum. */
static inline float dec_factor(int type)
{
	return type == ENG_T_IQ3_XXS ? 0.25f : type == ENG_T_IQ2_XXS || type == ENG_T_IQ2_XS || type == ENG_T_IQ2_S ? 0.125f : 1.0f;
}

/* out[r] = dot(row r, x) for r < nr (one token). Chunks of DEC_KC super-blocks: the activation is
 * prepared once per chunk; each row block's 4 running sums are kept in out between chunks. */
INLV void dec_rows(const int type, int64_t n, const uint8_t *w, size_t ws, int nr, const uint8_t *x, float *out,
	const int ng)
{
	const size_t bs = eng_type_get(type)->type_size;
	const int64_t nb = n / ENG_QK_K;
	dec_act xa[DEC_KC] __attribute__((aligned(64)));
	for (int64_t c0 = 0; c0 < nb; c0 += DEC_KC) {
		const int nc = nb - c0 < DEC_KC ? (int)(nb - c0) : DEC_KC;
		for (int i = 0; i < nc; i++)
			dec_prep(type, x + (size_t)(c0 + i) * A_W, xa + i);
		for (int r0 = 0; r0 < nr; r0 += DEC_R) {
			const uint8_t *b[DEC_R];
			for (int j = 0; j < DEC_R; j++)
				b[j] = w + (size_t)(r0 + (r0 + j < nr ? j : 0)) * ws + (size_t)c0 * bs;
			const __mmask8 m = (__mmask8)(nr - r0 >= DEC_R ? 0xf : (1u << (nr - r0)) - 1);
			/* this chunk's bytes of the rows DEC_PF blocks on: the kernel does so much work per
			 * byte that its own loads leave the memory idle (from memory it ran at about half
			 * its in-cache rate). Past the last block too: the caller's next call reads the
			 * rows that follow (a prefetch never faults); stopping at nr left each call's first
			 * block cold, about 10 % of IQ1_S and IQ2_XXS decode (model calls take 32 rows). */
			kern_prefetch_rows(b, DEC_R, (size_t)DEC_PF * DEC_R * ws, (size_t)nc * bs);
			__m128 acc = c0 ? _mm_maskz_loadu_ps(m, out + r0) : _mm_setzero_ps();
			acc = dec_block(type, nc, b, bs, xa, acc, ng);
			if (c0 + nc == nb)
				acc = _mm_mul_ps(_mm_set1_ps(dec_factor(type)), acc);
			_mm_mask_storeu_ps(out + r0, m, acc);
		}
	}
}

#define DEC_ROWS(name, T, NG) \
	TGTV static void dec_##name(int64_t n, const uint8_t *w, size_t ws, int nr, const uint8_t *x, float *out) \
	{ \
		dec_rows(T, n, w, ws, nr, x, out, NG); \
	}
DEC_ROWS(iq2_xxs, ENG_T_IQ2_XXS, 0)
DEC_ROWS(iq2_xs, ENG_T_IQ2_XS, 0)
DEC_ROWS(iq2_s, ENG_T_IQ2_S, 0)
DEC_ROWS(iq3_xxs, ENG_T_IQ3_XXS, 0)
DEC_ROWS(iq3_s, ENG_T_IQ3_S, 0)
DEC_ROWS(iq1_s, ENG_T_IQ1_S, 0)
DEC_ROWS(iq1_m, ENG_T_IQ1_M, 0)
/* the gathering types with loads instead of gathers (gather8) */
DEC_ROWS(iq2_xs_ng, ENG_T_IQ2_XS, 1)
DEC_ROWS(iq2_s_ng, ENG_T_IQ2_S, 1)
DEC_ROWS(iq1_s_ng, ENG_T_IQ1_S, 1)
DEC_ROWS(iq1_m_ng, ENG_T_IQ1_M, 1)
#undef DEC_ROWS

int eng_iq_dec_loads(int on)
{
	const int was = dec_ng;
	dec_ng = on != 0;
	return was;
}

int eng_iq_dec_rows(int type, int64_t n, const void *w, size_t w_stride, int n_rows, const void *act,
	size_t act_stride, int n_act, float *out, size_t out_stride)
{
	void (*f)(int64_t, const uint8_t *, size_t, int, const uint8_t *, float *) = NULL;
	switch (type) {
	case ENG_T_IQ2_XXS: f = dec_iq2_xxs; break;
	case ENG_T_IQ2_XS: f = dec_ng ? dec_iq2_xs_ng : dec_iq2_xs; break;
	case ENG_T_IQ2_S: f = dec_ng ? dec_iq2_s_ng : dec_iq2_s; break;
	case ENG_T_IQ3_XXS: f = dec_iq3_xxs; break;
	case ENG_T_IQ3_S: f = dec_iq3_s; break;
	case ENG_T_IQ1_S: f = dec_ng ? dec_iq1_s_ng : dec_iq1_s; break;
	case ENG_T_IQ1_M: f = dec_ng ? dec_iq1_m_ng : dec_iq1_m; break;
	default: break;
	}
	if (!dec_have || !f)
		return -1;
	for (int a = 0; a < n_act; a++)
		f(n, w, w_stride, n_rows, (const uint8_t *)act + (size_t)a * act_stride, out + (size_t)a * out_stride);
	return 0;
}

#else
/* ISO C forbids an empty translation unit. */
typedef int eng_quant_iq_dec_x86_unused;
#endif
