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
 * pair 2g, 2g + 1 belongs to group g). IQ1 also takes -7 and -9 times each group's activation sum
 * (Q8_K's bsums), in both dwords of qword g. */
typedef struct {
	__m512i x[4];
	__m512i m7, m9;
	float d;
} dec_act;

enum {
	A_W = sizeof(eng_blk_q8_K), A_QS = offsetof(eng_blk_q8_K, qs), A_BS = offsetof(eng_blk_q8_K, bsums),
	X3_SG = offsetof(eng_blk_iq3_xxs, qs) + 64,
	DEC_R = 4,           /* rows per block (two pairs; a tail block repeats its first row, not stored) */
	DEC_KC = 16          /* super-blocks per chunk of the prepared activation (4096 elements) */
};

/* Tables made once from the grids (eng_iq_dec_init, before any kernel runs; read-only after).
 * Codes: IQ2_XXS levels {8, 25, 43} as 0..2, 2 bits per element (lo: elements 0..3, hi: 4..7);
 * IQ3_XXS levels {4, 12, .., 52, 62} as 0..7, 3 bits per element (lo: elements 0, 1; hi: 2, 3).
 * sg: the parity-completed sign byte of each 7-bit field. u1: IQ1_S's grid as 8q + 8 (0, 8, 16). */
static struct {
	uint8_t sg[128];
	uint8_t x2lo[256], x2hi[256], x3lo[256], x3hi[256];
	uint8_t lv2[64], lv3[64];          /* code in the low 2 / 3 bits of the index -> level */
	uint8_t trans[64];                 /* byte 8k + g <- byte 8g + k */
	uint8_t ctl_sg[64], ctl_sc[64];    /* multishift controls: sign fields, scale nibbles */
	uint8_t ctl_x2[4][64];             /* IQ2_XXS: entry k's 8 codes from a lo|hi qword */
	uint8_t ctl_x3[2][64];             /* IQ3_XXS: entries 0, 1 / 2, 3 of a (lo, hi) qword */
	uint8_t ctl_i1[4][64];             /* IQ1_S: entry k's 11-bit index */
	uint8_t perm_i1[64];               /* IQ1_S: qs dword g and qh word g into qword g */
	uint64_t u1[2048];
} dec_tab __attribute__((aligned(64)));

static int dec_have;   /* 1 when the CPU has AVX-512 VBMI (set once by eng_iq_dec_init) */

static int code_of(const uint8_t *lv, int n, int m)
{
	for (int c = 0; c < n; c++)
		if (lv[c] == m)
			return c;
	return 0;   /* not reached: the grids hold only these levels (test_iq checks their level sets) */
}

void eng_iq_dec_init(void)
{
	static const uint8_t l2[3] = { 8, 25, 43 }, l3[8] = { 4, 12, 20, 28, 36, 44, 52, 62 };
	__builtin_cpu_init();
	dec_have = __builtin_cpu_supports("avx512vbmi");
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
		unsigned c3[4];
		for (int j = 0; j < 4; j++)
			c3[j] = (unsigned)code_of(l3, 8, (int)(eng_iq3xxs_grid[i] >> 8 * j & 0xff));
		dec_tab.x3lo[i] = (uint8_t)(c3[0] | c3[1] << 3);
		dec_tab.x3hi[i] = (uint8_t)(c3[2] | c3[3] << 3);
	}
	for (int p = 0; p < 64; p++) {
		const int b = p % 8, q = p / 8;
		dec_tab.lv2[p] = p % 4 < 3 ? l2[p % 4] : 0;
		dec_tab.lv3[p] = l3[p % 8];
		dec_tab.trans[p] = (uint8_t)(8 * b + q);
		/* a qword of two rows' sign words (row A low, row B high): field b % 4 of each */
		dec_tab.ctl_sg[p] = (uint8_t)(32 * (b / 4) + 7 * (b % 4));
		/* byte 0 of each dword: bits 27..34, whose bits 1..4 are the word's scale nibble (28..31) */
		dec_tab.ctl_sc[p] = (uint8_t)(b < 4 ? 27 : 59);
		for (int k = 0; k < 4; k++) {
			/* element b of entry k: code bits 2b (lo byte k) or 32 + 2(b - 4) (hi byte 4 + k) */
			dec_tab.ctl_x2[k][p] = (uint8_t)(b < 4 ? 8 * k + 2 * b : 32 + 8 * k + 2 * (b - 4));
			/* 11 bits: qs byte k, then qh bits 3k .. 3k + 2 (qh at bit 32) */
			dec_tab.ctl_i1[k][p] = (uint8_t)(b == 0 ? 8 * k : b == 1 ? 32 + 3 * k : 48);
		}
		/* entries e = 2h + b / 4 of a qword (lo_0, hi_0, lo_1, hi_1, ..): element j = b % 4 at
		 * 16e + (j < 2 ? 3j : 8 + 3(j - 2)) */
		for (int h = 0; h < 2; h++) {
			const int e = 2 * h + b / 4, j = b % 4;
			dec_tab.ctl_x3[h][p] = (uint8_t)(16 * e + (j < 2 ? 3 * j : 8 + 3 * (j - 2)));
		}
		/* qword g: qs bytes 4g .. 4g + 3, qh bytes 32 + 2g, 33 + 2g (offsets from qs), 0, 0 */
		dec_tab.perm_i1[p] = (uint8_t)(b < 4 ? 4 * q + b : b < 6 ? 32 + 2 * q + b - 4 : 0);
	}
	for (int i = 0; i < 2048; i++) {
		uint64_t u = 0;
		for (int j = 0; j < 8; j++)
			u |= (uint64_t)(uint8_t)(8 * (int8_t)(eng_iq1s_grid[i] >> 8 * j) + 8) << 8 * j;
		dec_tab.u1[i] = u;
	}
}

INLV __m512i tab(const uint8_t *p) { return _mm512_load_si512((const void *)p); }

/* Bytes of a 256-entry table held in four vectors t[0..3], looked up by the index bytes of i. */
INLV __m512i lookup256(const __m512i *t, __m512i i)
{
	return _mm512_mask_blend_epi8(_mm512_movepi8_mask(i), _mm512_permutex2var_epi8(t[0], i, t[1]),
		_mm512_permutex2var_epi8(t[2], i, t[3]));
}

/* One super-block of Q8_K activations into the kernels' order (dec_act). */
INLV void dec_prep(int iq1, const uint8_t *a, dec_act *o)
{
	const __m512i q0 = _mm512_loadu_si512(a + A_QS), q1 = _mm512_loadu_si512(a + A_QS + 64),
		q2 = _mm512_loadu_si512(a + A_QS + 128), q3 = _mm512_loadu_si512(a + A_QS + 192);
	for (int k = 0; k < 4; k++) {   /* qword g of x[k] = qword 4g + k of the 32 */
		const __m512i i = _mm512_set_epi64(0, 0, 0, 0, 12 + k, 8 + k, 4 + k, k);
		o->x[k] = _mm512_shuffle_i64x2(_mm512_permutex2var_epi64(q0, i, q1), _mm512_permutex2var_epi64(q2, i, q3), 0x44);
	}
	o->d = ldf32(a);
	if (iq1) {   /* group sums B_g = bsums[2g] + bsums[2g + 1], in both dwords of qword g */
		const __m512i s = _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(a + A_BS)));
		const __m512i b = _mm512_add_epi32(s, _mm512_shuffle_epi32(s, _MM_PERM_CDAB));
		const __m512i b8 = _mm512_slli_epi32(b, 3);
		o->m7 = _mm512_sub_epi32(b, b8);
		o->m9 = _mm512_sub_epi32(_mm512_sub_epi32(_mm512_setzero_si512(), b8), b);
	}
}

/* Two rows' parity-completed sign fields (qword g of ss: row A's sign word of group g low, row B's
 * high; fields in bits 0..27, scale nibble in 28..31) -> the masks of the 8 weight vectors
 * (sm[k]: row A's vector k, sm[4 + k]: row B's) and the scales 2s + 1 (dword 2g: A, 2g + 1: B). */
INLV void signs_pair(__m512i ss, uint64_t sm[8], __m512i *sc)
{
	const __m512i f = _mm512_permutexvar_epi8(tab(dec_tab.trans), _mm512_multishift_epi64_epi8(tab(dec_tab.ctl_sg), ss));
	_mm512_store_si512((void *)sm, _mm512_permutex2var_epi8(tab(dec_tab.sg), f, tab(dec_tab.sg + 64)));
	_mm512_store_si512((void *)sc, _mm512_ternarylogic_epi32(_mm512_multishift_epi64_epi8(tab(dec_tab.ctl_sc), ss),
		_mm512_set1_epi32(0x1e), _mm512_set1_epi32(1), 0xea));   /* (a & 0x1e) | 1 */
}

/* x negated where the mask bit is set. */
INLV __m512i neg_if(__m512i x, __mmask64 m) { return _mm512_mask_sub_epi8(x, m, _mm512_setzero_si512(), x); }

/* Two rows' dword sums per group (da, db: lanes 2g, 2g + 1 of group g) -> one vector, dword 2g row
 * A's group total, 2g + 1 row B's. */
INLV __m512i join_pair(__m512i da, __m512i db)
{
	return _mm512_mask_blend_epi32(0xaaaa, _mm512_add_epi32(da, _mm512_srli_epi64(da, 32)),
		_mm512_add_epi32(db, _mm512_slli_epi64(db, 32)));
}

/* Signs and scales of rows A, B of super-block (pass 1 of the grid types). */
INLV void pass1(int type, const uint8_t *ba, const uint8_t *bb, uint64_t sm[8], __m512i *sc)
{
	__m512i ss;
	if (type == ENG_T_IQ2_XXS)   /* the odd dwords of qs */
		ss = _mm512_mask_blend_epi8(0xf0f0f0f0f0f0f0f0ull, _mm512_srli_epi64(_mm512_loadu_si512(ba + 2), 32),
			_mm512_loadu_si512(bb + 2));
	else
		ss = _mm512_permutex2var_epi32(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(ba + X3_SG))),
			_mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0),
			_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(bb + X3_SG))));
	signs_pair(ss, sm, sc);
}

/* IQ3_XXS: the 4 weight vectors of one row (magnitudes, in dec_act's order). */
INLV void mags_x3(const uint8_t *b, const __m512i *tl, const __m512i *th, __m512i lv, __m512i c01, __m512i c23,
	__m512i *m)
{
	const __m512i q = _mm512_loadu_si512(b + 2), lo = lookup256(tl, q), hi = lookup256(th, q);
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

/* IQ1_S: qword g = qs bytes 4g .. 4g + 3, qh word g, 0, 0 (the block's bytes from qs on). */
INLV __m512i idx_i1(const uint8_t *b)
{
	return _mm512_maskz_permutexvar_epi8(0x3f3f3f3f3f3f3f3full, tab(dec_tab.perm_i1),
		_mm512_maskz_loadu_epi8(0xffffffffffffull, b + 2));
}

/* IQ1_S: one row's dword sums of u * a (u = 8q + 8 from the converted grid). */
INLV __m512i dot_i1(__m512i t, const dec_act *x)
{
	__m512i d = _mm512_setzero_si512();
	const __m512i m11 = _mm512_set1_epi64(0x7ff);
#pragma GCC unroll 4
	for (int k = 0; k < 4; k++) {
		const __m512i ix = _mm512_and_si512(_mm512_multishift_epi64_epi8(tab(dec_tab.ctl_i1[k]), t), m11);
		d = _mm512_dpbusd_epi32(d, _mm512_i64gather_epi64(ix, (const void *)dec_tab.u1, 8), x->x[k]);
	}
	return d;
}

/* The fp16 d of 4 rows' super-blocks, as floats. */
INLV __m128 d4(const uint8_t *const *b, size_t o)
{
	return _mm_cvtph_ps(_mm_setr_epi16((short)ld16(b[0] + o), (short)ld16(b[1] + o), (short)ld16(b[2] + o),
		(short)ld16(b[3] + o), 0, 0, 0, 0));
}

/* [sum of ab's even dwords, of its odd dwords, of cd's even, of cd's odd]. */
INLV __m128i red22(__m512i ab, __m512i cd)
{
	const __m512i u = _mm512_add_epi32(_mm512_unpacklo_epi64(ab, cd), _mm512_unpackhi_epi64(ab, cd));
	const __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(u), _mm512_extracti64x4_epi64(u, 1));
	return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

/* Rows b[0..3] (4 rows; super-blocks 0 .. nc - 1 from each pointer) times the prepared x: the
 * running sums in lanes 0..3 of acc, each advanced per super-block as the _ref does. */
INLV __m128 dec_block(const int type, int nc, const uint8_t *const *b, size_t bs, const dec_act *x, __m128 acc)
{
	if (type == ENG_T_IQ1_S) {
		for (int i = 0; i < nc; i++) {
			const size_t o = (size_t)i * bs;
			__m512i is[2];
			for (int p = 0; p < 2; p++) {
				const __m512i ta = idx_i1(b[2 * p] + o), tb = idx_i1(b[2 * p + 1] + o);
				/* dword 2g: row A's qh word g, 2g + 1: row B's */
				const __m512i hw = _mm512_mask_blend_epi32(0xaaaa, _mm512_srli_epi64(ta, 32), tb);
				const __m512i sc = _mm512_ternarylogic_epi32(_mm512_srli_epi32(hw, 11), _mm512_set1_epi32(0xe),
					_mm512_set1_epi32(1), 0xea);
				const __m512i corr = _mm512_mask_blend_epi32(_mm512_test_epi32_mask(hw, _mm512_set1_epi32(0x8000)),
					x[i].m7, x[i].m9);
				is[p] = _mm512_mullo_epi32(_mm512_add_epi32(join_pair(dot_i1(ta, x + i), dot_i1(tb, x + i)), corr), sc);
			}
			const __m128 f = _mm_cvtepi32_ps(red22(is[0], is[1]));
			acc = _mm_add_ps(acc, _mm_mul_ps(_mm_mul_ps(d4(b, o), _mm_set1_ps(x[i].d)), _mm_mul_ps(_mm_set1_ps(0.125f), f)));
		}
		return acc;
	}
	/* the grid types: pass 1 signs and scales of the chunk, pass 2 the products */
	uint64_t sm[DEC_KC][2][8] __attribute__((aligned(64)));
	__m512i sc[DEC_KC][2];
	for (int i = 0; i < nc; i++)
		for (int p = 0; p < 2; p++)
			pass1(type, b[2 * p] + (size_t)i * bs, b[2 * p + 1] + (size_t)i * bs, sm[i][p], &sc[i][p]);
	if (type == ENG_T_IQ2_XXS) {
		const __m512i tl[4] = { tab(dec_tab.x2lo), tab(dec_tab.x2lo + 64), tab(dec_tab.x2lo + 128), tab(dec_tab.x2lo + 192) };
		const __m512i th[4] = { tab(dec_tab.x2hi), tab(dec_tab.x2hi + 64), tab(dec_tab.x2hi + 128), tab(dec_tab.x2hi + 192) };
		const __m512i lv = tab(dec_tab.lv2);
		const __mmask64 hi4 = 0xf0f0f0f0f0f0f0f0ull;
		for (int i = 0; i < nc; i++) {
			const size_t o = (size_t)i * bs;
			__m512i is[2];
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
						neg_if(x[i].x[k], (__mmask64)sm[i][p][k]));
					db = _mm512_dpbusd_epi32(db, _mm512_permutexvar_epi8(_mm512_multishift_epi64_epi8(c, cb), lv),
						neg_if(x[i].x[k], (__mmask64)sm[i][p][4 + k]));
				}
				is[p] = _mm512_mullo_epi32(join_pair(da, db), sc[i][p]);
			}
			const __m128 f = _mm_cvtepi32_ps(red22(is[0], is[1]));
			acc = _mm_add_ps(acc, _mm_mul_ps(_mm_mul_ps(d4(b, o), _mm_set1_ps(x[i].d)), f));
		}
		return acc;
	}
	/* IQ3_XXS */
	const __m512i tl[4] = { tab(dec_tab.x3lo), tab(dec_tab.x3lo + 64), tab(dec_tab.x3lo + 128), tab(dec_tab.x3lo + 192) };
	const __m512i th[4] = { tab(dec_tab.x3hi), tab(dec_tab.x3hi + 64), tab(dec_tab.x3hi + 128), tab(dec_tab.x3hi + 192) };
	const __m512i lv = tab(dec_tab.lv3), c01 = tab(dec_tab.ctl_x3[0]), c23 = tab(dec_tab.ctl_x3[1]);
	for (int i = 0; i < nc; i++) {
		const size_t o = (size_t)i * bs;
		__m512i is[2];
		for (int p = 0; p < 2; p++) {
			__m512i ma[4], mb[4];
			mags_x3(b[2 * p] + o, tl, th, lv, c01, c23, ma);
			mags_x3(b[2 * p + 1] + o, tl, th, lv, c01, c23, mb);
			__m512i da = _mm512_setzero_si512(), db = _mm512_setzero_si512();
#pragma GCC unroll 4
			for (int k = 0; k < 4; k++) {
				da = _mm512_dpbusd_epi32(da, ma[k], neg_if(x[i].x[k], (__mmask64)sm[i][p][k]));
				db = _mm512_dpbusd_epi32(db, mb[k], neg_if(x[i].x[k], (__mmask64)sm[i][p][4 + k]));
			}
			is[p] = _mm512_mullo_epi32(join_pair(da, db), sc[i][p]);
		}
		const __m128 f = _mm_cvtepi32_ps(red22(is[0], is[1]));
		acc = _mm_add_ps(acc, _mm_mul_ps(_mm_mul_ps(d4(b, o), _mm_set1_ps(x[i].d)), f));
	}
	return acc;
}

/* The factor the _ref applies to a row's sum. */
static inline float dec_factor(int type)
{
	return type == ENG_T_IQ3_XXS ? 0.25f : type == ENG_T_IQ1_S ? 1.0f : 0.125f;
}

/* out[r] = dot(row r, x) for r < nr (one token). Chunks of DEC_KC super-blocks: the activation is
 * prepared once per chunk; each row block's 4 running sums are kept in out between chunks. */
INLV void dec_rows(const int type, int64_t n, const uint8_t *w, size_t ws, int nr, const uint8_t *x, float *out)
{
	const size_t bs = eng_type_get(type)->type_size;
	const int64_t nb = n / ENG_QK_K;
	dec_act xa[DEC_KC] __attribute__((aligned(64)));
	for (int64_t c0 = 0; c0 < nb; c0 += DEC_KC) {
		const int nc = nb - c0 < DEC_KC ? (int)(nb - c0) : DEC_KC;
		for (int i = 0; i < nc; i++)
			dec_prep(type == ENG_T_IQ1_S, x + (size_t)(c0 + i) * A_W, xa + i);
		for (int r0 = 0; r0 < nr; r0 += DEC_R) {
			const uint8_t *b[DEC_R];
			for (int j = 0; j < DEC_R; j++)
				b[j] = w + (size_t)(r0 + (r0 + j < nr ? j : 0)) * ws + (size_t)c0 * bs;
			const __mmask8 m = (__mmask8)(nr - r0 >= DEC_R ? 0xf : (1u << (nr - r0)) - 1);
			__m128 acc = c0 ? _mm_maskz_loadu_ps(m, out + r0) : _mm_setzero_ps();
			acc = dec_block(type, nc, b, bs, xa, acc);
			if (c0 + nc == nb)
				acc = _mm_mul_ps(_mm_set1_ps(dec_factor(type)), acc);
			_mm_mask_storeu_ps(out + r0, m, acc);
		}
	}
}

#define DEC_ROWS(name, T) \
	TGTV static void dec_##name(int64_t n, const uint8_t *w, size_t ws, int nr, const uint8_t *x, float *out) \
	{ \
		dec_rows(T, n, w, ws, nr, x, out); \
	}
DEC_ROWS(iq2_xxs, ENG_T_IQ2_XXS)
DEC_ROWS(iq3_xxs, ENG_T_IQ3_XXS)
DEC_ROWS(iq1_s, ENG_T_IQ1_S)
#undef DEC_ROWS

int eng_iq_dec_rows(int type, int64_t n, const void *w, size_t w_stride, int n_rows, const void *act,
	size_t act_stride, int n_act, float *out, size_t out_stride)
{
	void (*f)(int64_t, const uint8_t *, size_t, int, const uint8_t *, float *) =
		type == ENG_T_IQ2_XXS ? dec_iq2_xxs : type == ENG_T_IQ3_XXS ? dec_iq3_xxs : type == ENG_T_IQ1_S ? dec_iq1_s : NULL;
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
