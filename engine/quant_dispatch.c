/* engine/quant_dispatch.c — the dispatching names of the element-type kernels (eng_vec_dot,
 * eng_vec_dot_rows, eng_quant_row, eng_dequant_row) and the CPU kernel level they run: chosen
 * once per process (pthread_once) from what the CPU has and TB_CPU, changed only by
 * eng_kernels_force. The kernels live in quant_x86.c, quant_iq_x86.c, quant_mxfp4_x86.c,
 * quant_neon.c and quant_iq_neon.c, the _ref in quant.c and quant_iq.c. */
#include "engine/engine.h"
#include "engine/kern_load.h"
#include "engine/quant_impl.h"

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { LV_SCALAR, LV_AVX2, LV_AVX512, LV_NEON, LV_COUNT };

static const char *const level_names[LV_COUNT] = { "scalar", "avx2", "avx512", "neon" };
/* A TB_CPU cap keeps the best available level whose rank is not above the named one's. */
static const int level_rank[LV_COUNT] = { 0, 1, 2, 1 };

/* Written once by levels_init (under pthread_once), read-only afterwards. */
static eng_kernels levels[LV_COUNT];
static int level_have[LV_COUNT];
static int level_auto;
/* The level in use; NULL until levels_init has run. */
static _Atomic(const eng_kernels *) active;
static pthread_once_t levels_once = PTHREAD_ONCE_INIT;

static int level_find(const char *name)
{
	for (int l = 0; name && l < LV_COUNT; l++)
		if (strcmp(name, level_names[l]) == 0)
			return l;
	return -1;
}

static void levels_init(void)
{
	for (int l = 0; l < LV_COUNT; l++)
		levels[l].level = level_names[l];
	level_have[LV_SCALAR] = 1;
#if defined(__x86_64__) || defined(__i386__)
	{
		const int x86 = eng_x86_level();
		if (x86 >= 1) {
			eng_kernels_avx2(&levels[LV_AVX2]);
			level_have[LV_AVX2] = 1;
		}
		if (x86 >= 2) {
			/* what AVX-512 lacks, it takes from AVX2 */
			eng_kernels_avx2(&levels[LV_AVX512]);
			eng_kernels_avx512(&levels[LV_AVX512]);
			level_have[LV_AVX512] = 1;
		}
	}
#endif
#if defined(__aarch64__)
	eng_kernels_neon(&levels[LV_NEON]);
	level_have[LV_NEON] = 1;
#endif
	int best = LV_SCALAR;
	for (int l = 0; l < LV_COUNT; l++)
		if (level_have[l] && level_rank[l] > level_rank[best])
			best = l;
	const int want = level_find(getenv("TB_CPU"));
	if (want >= 0) {
		if (level_have[want]) {
			best = want;
		} else {
			best = LV_SCALAR;
			for (int l = 0; l < LV_COUNT; l++)
				if (level_have[l] && level_rank[l] <= level_rank[want] && level_rank[l] > level_rank[best])
					best = l;
		}
	}
	level_auto = best;
	atomic_store_explicit(&active, &levels[best], memory_order_release);
}

static const eng_kernels *kern(void)
{
	const eng_kernels *k = atomic_load_explicit(&active, memory_order_acquire);
	if (!k) {
		pthread_once(&levels_once, levels_init);
		k = atomic_load_explicit(&active, memory_order_acquire);
	}
	return k;
}

const char *eng_cpu_level(void)
{
	return kern()->level;
}

int eng_kernels_force(const char *level)
{
	pthread_once(&levels_once, levels_init);
	const int l = level ? level_find(level) : level_auto;
	if (l < 0 || !level_have[l])
		return -1;
	atomic_store_explicit(&active, &levels[l], memory_order_release);
	return 0;
}

/* 1 when `type` has a dot product and n is a valid row length for it. */
static int dot_ok(int type, int64_t n)
{
	const eng_type_info *ti = eng_type_get(type);
	return ti && ti->can_compute && n >= 0 && n % ti->blck == 0;
}

int eng_dequant_row(int type, const void *src, float *dst, int64_t n)
{
	const eng_kernels *k = kern();
	if (type == ENG_T_F16 && n >= 0 && k->deq_f16) {
		k->deq_f16(src, dst, n);
		return 0;
	}
	return eng_dequant_row_ref(type, src, dst, n);
}

int eng_quant_row(int type, const float *src, void *dst, int64_t n)
{
	const eng_type_info *ti = eng_type_get(type);
	const eng_kernels *k = kern();
	if (ti && n >= 0 && n % ti->blck == 0 && k->act[type]) {
		k->act[type](src, dst, n / ti->blck);
		return 0;
	}
	return eng_quant_act_row_ref(type, src, dst, n);
}

double eng_exp_sum(float *sc, int64_t n, float mx)
{
	const eng_kernels *k = kern();
	return k->expsum ? k->expsum(sc, n, mx) : eng_exp_sum_ref(sc, n, mx);
}

void eng_scale_max(float *x, int64_t n, float s, float *mx)
{
	(kern()->scale_max ? kern()->scale_max : eng_scale_max_ref)(x, n, s, mx);
}

void eng_axpy_rows(float *o, size_t os, int ng, const float *w, size_t ws, const float *x, size_t xs, int nj,
	int64_t n)
{
	(kern()->axpy_rows ? kern()->axpy_rows : eng_axpy_rows_ref)(o, os, ng, w, ws, x, xs, nj, n);
}

void eng_scale_row(float *x, int64_t n, float s, uint16_t *h)
{
	(kern()->scale_row ? kern()->scale_row : eng_scale_row_ref)(x, n, s, h);
}

void eng_silu_mul(float *g, const float *u, int64_t n)
{
	const eng_kernels *k = kern();
	if (k->silu_mul)
		k->silu_mul(g, u, n);
	else
		eng_silu_mul_ref(g, u, n);
}

void eng_delta_rows(float *S, int D, int r0, int nr, int n, const float *q, const float *k, size_t in_stride,
	const float *v, float *out, size_t out_stride, const float *sc, size_t sc_stride)
{
	(kern()->delta_rows ? kern()->delta_rows : eng_delta_rows_ref)(S, D, r0, nr, n, q, k, in_stride, v, out,
		out_stride, sc, sc_stride);
}

int eng_vec_dot(int type, int64_t n, const void *w_row, const void *act, float *out)
{
	if (!dot_ok(type, n))
		return -1;
	const eng_kernels *k = kern();
	if (k->dot[type]) {
		*out = k->dot[type](n, w_row, act);
		return 0;
	}
	return eng_vec_dot_ref(type, n, w_row, act, out);
}

int eng_vec_dot_rows(int type, int64_t n, const void *w, size_t w_stride, int n_rows,
	const void *act, size_t act_stride, int n_act, float *out, size_t out_stride)
{
	if (!dot_ok(type, n) || n_rows < 0 || n_act < 0)
		return -1;
	if (n_rows == 0 || n_act == 0)
		return 0;
	const eng_kernels *k = kern();
	if (k->rows[type]) {
		k->rows[type](n, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride);
		return 0;
	}
	for (int a = 0; a < n_act; a++) {
		const char *x = (const char *)act + (size_t)a * act_stride;
		float *o = out + (size_t)a * out_stride;
		for (int r = 0; r < n_rows; r++) {
			const char *wr = (const char *)w + (size_t)r * w_stride;
			if (k->dot[type])
				o[r] = k->dot[type](n, wr, x);
			else
				eng_vec_dot_ref(type, n, wr, x, &o[r]);
		}
	}
	return 0;
}

/* ---- keys in blocks of 16 positions (K16; quant_impl.h) ------------------------------------- */

int eng_k16_scores(int type, int64_t n, const void *k, int64_t n_blocks, const float *q, size_t q_stride,
	int n_q, float *out, size_t os)
{
	const int f16 = type == ENG_T_F16;
	float key[4096];

	if ((type != ENG_T_F16 && type != ENG_T_F32) || n <= 0 || n > 4096 || n_blocks < 0 || n_q < 0)
		return -1;
	const eng_kernels *kn = kern();
	if (n % 16 == 0 && kn->k16[!f16] && kn->k16[!f16](n, k, n_blocks, q, q_stride, n_q, out, os) == 0)
		return 0;
	/* generic: each key gathered into a row of floats (exact), then the level's F32 dot, whose
	 * order is that of F16 (quant_impl.h: both the _ref's) */
	for (int64_t b = 0; b < n_blocks; b++)
		for (int j = 0; j < 16; j++) {
			for (int64_t e = 0; e < n; e++) {
				const size_t i = ((size_t)b * (size_t)n + (size_t)e) * 16 + (size_t)j;
				key[e] = f16 ? eng_f16_to_f32(((const uint16_t *)k)[i]) : ((const float *)k)[i];
			}
			for (int a = 0; a < n_q; a++)
				eng_vec_dot(ENG_T_F32, n, key, q + (size_t)a * q_stride, &out[(size_t)a * os + 16 * (size_t)b + (size_t)j]);
		}
	return 0;
}

/* ---- repacked rows (R16 layout, version 1; quant_impl.h) ------------------------------------- */

int eng_rp_supported(int type, int64_t n)
{
	return (type == ENG_T_Q2_K || type == ENG_T_Q3_K || type == ENG_T_Q4_K || type == ENG_T_IQ4_XS ||
		type == ENG_T_Q6_K || type == ENG_T_Q8_0) && n > 0 &&
		n % ENG_QK_K == 0 && n <= ENG_RP_KMAX;
}

int eng_rp_native(int type, int64_t n)
{
	return eng_rp_supported(type, n) && kern()->rp[type] != NULL;
}

/* Bytes of one row's 256 elements (Q8_0: 8 blocks of 32). */
static size_t rp_sb_size(int type)
{
	return eng_type_get(type)->type_size * (size_t)(ENG_QK_K / eng_type_get(type)->blck);
}

/* The header fields (offset in the file's super-block, width) of each type, in R16 order. */
typedef struct rp_field { int off, w; } rp_field;

static int rp_fields(int type, const rp_field **f)
{
	static const rp_field q4k[] = { { 0, 2 }, { 2, 2 }, { 4, 4 }, { 8, 4 }, { 12, 4 } };
	static const rp_field iq4xs[] = { { 0, 2 }, { 2, 2 }, { 4, 4 } };
	static const rp_field q6k[] = { { 208, 2 }, { 192, 4 }, { 196, 4 }, { 200, 4 }, { 204, 4 } };
	static const rp_field q2k[] = { { 80, 2 }, { 82, 2 }, { 0, 4 }, { 4, 4 }, { 8, 4 }, { 12, 4 } };
	static const rp_field q3k[] = { { 108, 2 }, { 96, 4 }, { 100, 4 }, { 104, 4 } };
	static const rp_field q80[] = { { 0, 2 }, { 34, 2 }, { 68, 2 }, { 102, 2 }, { 136, 2 }, { 170, 2 },
		{ 204, 2 }, { 238, 2 } };   /* the d of each of the 8 blocks */

	switch (type) {
	case ENG_T_Q8_0: *f = q80; return 8;
	case ENG_T_Q2_K: *f = q2k; return 6;
	case ENG_T_Q3_K: *f = q3k; return 4;
	case ENG_T_Q4_K: *f = q4k; return 5;
	case ENG_T_IQ4_XS: *f = iq4xs; return 3;
	default: *f = q6k; return 5;
	}
}

/* A Q6_K block's 256 levels (quant_impl.h's layout); rp_levels_put: any type's levels back into
 * its block, writing only the level bits. */
static void rp_levels_get_q6k(const uint8_t *b, uint8_t lv[ENG_QK_K])
{
	for (int h = 0; h < 2; h++) {
		const uint8_t *ql = b + offsetof(eng_blk_q6_K, ql) + 64 * h;
		const uint8_t *qh = b + offsetof(eng_blk_q6_K, qh) + 32 * h;
		for (int l = 0; l < 32; l++) {
			lv[128 * h + l] = (uint8_t)((ql[l] & 15) | (qh[l] & 3) << 4);
			lv[128 * h + l + 32] = (uint8_t)((ql[l + 32] & 15) | (qh[l] >> 2 & 3) << 4);
			lv[128 * h + l + 64] = (uint8_t)(ql[l] >> 4 | (qh[l] >> 4 & 3) << 4);
			lv[128 * h + l + 96] = (uint8_t)(ql[l + 32] >> 4 | (qh[l] >> 6 & 3) << 4);
		}
	}
}

static void rp_levels_put(int type, uint8_t *b, const uint8_t lv[ENG_QK_K])
{
	if (type == ENG_T_Q2_K || type == ENG_T_Q3_K) {
		uint8_t *qs = b + (type == ENG_T_Q2_K ? offsetof(eng_blk_q2_K, qs) : offsetof(eng_blk_q3_K, qs));
		memset(qs, 0, ENG_QK_K / 4);
		if (type == ENG_T_Q3_K)
			memset(b + offsetof(eng_blk_q3_K, hmask), 0, ENG_QK_K / 8);
		for (int e = 0; e < ENG_QK_K; e++) {
			qs[32 * (e / 128) + e % 32] |= (uint8_t)((lv[e] & 3) << (2 * (e % 128 / 32)));
			if (type == ENG_T_Q3_K)
				b[offsetof(eng_blk_q3_K, hmask) + e % 32] |= (uint8_t)((lv[e] >> 2 & 1) << (e / 32));
		}
	} else if (type == ENG_T_Q4_K) {
		uint8_t *qs = b + offsetof(eng_blk_q4_K, qs);
		for (int c = 0; c < 4; c++)
			for (int l = 0; l < 32; l++)
				qs[32 * c + l] = (uint8_t)(lv[64 * c + l] | lv[64 * c + 32 + l] << 4);
	} else if (type == ENG_T_IQ4_XS) {
		uint8_t *qs = b + offsetof(eng_blk_iq4_xs, qs);
		for (int j = 0; j < 8; j++)
			for (int l = 0; l < 16; l++)
				qs[16 * j + l] = (uint8_t)(lv[32 * j + l] | lv[32 * j + 16 + l] << 4);
	} else {
		for (int h = 0; h < 2; h++) {
			uint8_t *ql = b + offsetof(eng_blk_q6_K, ql) + 64 * h;
			uint8_t *qh = b + offsetof(eng_blk_q6_K, qh) + 32 * h;
			const uint8_t *v = lv + 128 * h;
			for (int l = 0; l < 32; l++) {
				ql[l] = (uint8_t)((v[l] & 15) | (v[l + 64] & 15) << 4);
				ql[l + 32] = (uint8_t)((v[l + 32] & 15) | (v[l + 96] & 15) << 4);
				qh[l] = (uint8_t)(v[l] >> 4 | (v[l + 32] >> 4) << 2 | (v[l + 64] >> 4) << 4 | (v[l + 96] >> 4) << 6);
			}
		}
	}
}

/* Row r's header and levels into / out of super-block sb (16 * bs bytes) of a group. */
static void rp_put_row(int type, uint8_t *sb, int r, const uint8_t *b)
{
	const rp_field *f;
	const int nf = rp_fields(type, &f);
	uint8_t lv[ENG_QK_K];
	size_t o = 0;

	for (int k = 0; k < nf; k++) {
		memcpy(sb + 16 * o + (size_t)r * (size_t)f[k].w, b + f[k].off, (size_t)f[k].w);
		o += (size_t)f[k].w;
	}
	if (type == ENG_T_Q8_0) {   /* 64 vectors: byte 64k + 4r + j = element 4k + j */
		for (int k = 0; k < 64; k++)
			memcpy(sb + 16 * o + 64 * k + 4 * r, b + sizeof(eng_blk_q8_0) * (size_t)(k / 8) +
				offsetof(eng_blk_q8_0, qs) + 4 * (size_t)(k % 8), 4);
		return;
	}
	uint8_t *q = sb + 16 * o;
	if (type == ENG_T_Q2_K || type == ENG_T_Q3_K) {
		/* element 64s + 4k + j: 2 bits of qs[32 (s / 2) + 4 (k % 8) + j] at 2 (2 (s % 2) + k / 8);
		 * Q3_K's top bit: bit 2s + k / 8 of hmask[4 (k % 8) + j]; 4 values of j per word */
		const uint8_t *qs = b + (type == ENG_T_Q2_K ? offsetof(eng_blk_q2_K, qs) : offsetof(eng_blk_q3_K, qs));
		const uint32_t m2 = 0x03030303u, m1 = 0x01010101u;
		for (int k = 0; k < 16; k++) {
			const uint32_t w0 = ld32(qs + 4 * (k % 8)), w1 = ld32(qs + 32 + 4 * (k % 8));
			const int sh = 2 * (k / 8);
			const uint32_t v = (w0 >> sh & m2) | (w0 >> (4 + sh) & m2) << 2 | (w1 >> sh & m2) << 4 |
				(w1 >> (4 + sh) & m2) << 6;
			memcpy(q + 64 * k + 4 * r, &v, 4);
		}
		if (type == ENG_T_Q3_K)
			for (int h = 0; h < 8; h++) {   /* vector h: bit 4i + s = element 64s + 4 (2h + i) + j */
				uint32_t v = 0;
				for (int i = 0; i < 2; i++) {
					const int k = 2 * h + i;
					const uint32_t hw = ld32(b + offsetof(eng_blk_q3_K, hmask) + 4 * (k % 8));
					for (int s4 = 0; s4 < 4; s4++)
						v |= (hw >> (2 * s4 + k / 8) & m1) << (4 * i + s4);
				}
				memcpy(q + 1024 + 64 * h + 4 * r, &v, 4);
			}
		return;
	}
	if (type == ENG_T_Q4_K || type == ENG_T_IQ4_XS) {
		/* element 4k + j: Q4_K's nibble (k / 8) % 2 of qs[32 (k / 16) + 4 (k % 8) + j], IQ4_XS's
		 * nibble (k / 4) % 2 of qs[16 (k / 8) + 4 (k % 4) + j]; element 128 + 4k + j 64 bytes on */
		const int q4 = type == ENG_T_Q4_K;
		const uint8_t *qs = b + (q4 ? offsetof(eng_blk_q4_K, qs) : offsetof(eng_blk_iq4_xs, qs));
		for (int k = 0; k < 32; k++) {
			const size_t o0 = q4 ? (size_t)(32 * (k / 16) + 4 * (k % 8)) : (size_t)(16 * (k / 8) + 4 * (k % 4));
			const int sh = q4 ? 4 * (k / 8 % 2) : 4 * (k / 4 % 2);
			const uint32_t v = (ld32(qs + o0) >> sh & 0x0f0f0f0fu) | (ld32(qs + o0 + 64) >> sh & 0x0f0f0f0fu) << 4;
			memcpy(q + 64 * k + 4 * r, &v, 4);
		}
		return;
	}
	rp_levels_get_q6k(b, lv);   /* Q6_K, the type left */
	for (int k = 0; k < 32; k++)
		for (int j = 0; j < 4; j++)
			q[64 * k + 4 * r + j] = (uint8_t)((lv[4 * k + j] & 15) | (lv[128 + 4 * k + j] & 15) << 4);
	if (type == ENG_T_Q6_K)
		for (int k = 0; k < 16; k++)
			for (int j = 0; j < 4; j++)
				q[2048 + 64 * k + 4 * r + j] = (uint8_t)(lv[4 * k + j] >> 4 | (lv[64 + 4 * k + j] >> 4) << 2 |
					(lv[128 + 4 * k + j] >> 4) << 4 | (lv[192 + 4 * k + j] >> 4) << 6);
}

static void rp_get_row(int type, const uint8_t *sb, int r, uint8_t *b)
{
	const rp_field *f;
	const int nf = rp_fields(type, &f);
	uint8_t lv[ENG_QK_K];
	size_t o = 0;

	for (int k = 0; k < nf; k++) {
		memcpy(b + f[k].off, sb + 16 * o + (size_t)r * (size_t)f[k].w, (size_t)f[k].w);
		o += (size_t)f[k].w;
	}
	const uint8_t *q = sb + 16 * o;
	if (type == ENG_T_Q8_0) {
		for (int k = 0; k < 64; k++)
			memcpy(b + sizeof(eng_blk_q8_0) * (size_t)(k / 8) + offsetof(eng_blk_q8_0, qs) + 4 * (size_t)(k % 8),
				q + 64 * k + 4 * r, 4);
		return;
	}
	if (type == ENG_T_Q2_K || type == ENG_T_Q3_K) {
		for (int k = 0; k < 16; k++)
			for (int j = 0; j < 4; j++)
				for (int s = 0; s < 4; s++) {
					lv[64 * s + 4 * k + j] = (uint8_t)(q[64 * k + 4 * r + j] >> (2 * s) & 3);
					if (type == ENG_T_Q3_K)
						lv[64 * s + 4 * k + j] = (uint8_t)(lv[64 * s + 4 * k + j] |
							(q[1024 + 64 * (k / 2) + 4 * r + j] >> (4 * (k % 2) + s) & 1) << 2);
				}
		rp_levels_put(type, b, lv);
		return;
	}
	for (int k = 0; k < 32; k++)
		for (int j = 0; j < 4; j++) {
			const uint8_t v = q[64 * k + 4 * r + j];
			lv[4 * k + j] = v & 15;
			lv[128 + 4 * k + j] = v >> 4;
		}
	if (type == ENG_T_Q6_K)
		for (int k = 0; k < 16; k++)
			for (int j = 0; j < 4; j++) {
				const uint8_t h = q[2048 + 64 * k + 4 * r + j];
				for (int s = 0; s < 4; s++)
					lv[64 * s + 4 * k + j] |= (uint8_t)((h >> (2 * s) & 3) << 4);
			}
	rp_levels_put(type, b, lv);
}

void eng_rp_pack(int type, int64_t n, const void *src, void *dst)
{
	const size_t bs = rp_sb_size(type), rs = eng_row_size(type, n);
	const int64_t nb = n / ENG_QK_K;

	for (int64_t i = 0; i < nb; i++)
		for (int r = 0; r < ENG_RP_ROWS; r++)
			rp_put_row(type, (uint8_t *)dst + (size_t)i * ENG_RP_ROWS * bs, r,
				(const uint8_t *)src + (size_t)r * rs + (size_t)i * bs);
}

void eng_rp_unpack(int type, int64_t n, const void *grp, int r0, int nr, void *dst)
{
	const size_t bs = rp_sb_size(type), rs = eng_row_size(type, n);
	const int64_t nb = n / ENG_QK_K;

	for (int64_t i = 0; i < nb; i++)
		for (int r = 0; r < nr; r++)
			rp_get_row(type, (const uint8_t *)grp + (size_t)i * ENG_RP_ROWS * bs, r0 + r,
				(uint8_t *)dst + (size_t)r * rs + (size_t)i * bs);
}

int eng_vec_dot_rows_rp(int type, int64_t n, const void *w, int64_t n_total, int64_t r0, int n_rows,
	const void *act, size_t act_stride, int n_act, float *out, size_t out_stride)
{
	if (!eng_rp_supported(type, n) || r0 < 0 || n_rows < 0 || n_act < 0 || r0 + n_rows > n_total)
		return -1;
	const eng_kernels *k = kern();
	const size_t rs = eng_row_size(type, n);
	const int64_t full = n_total - n_total % ENG_RP_ROWS, end = r0 + n_rows;
	const uint8_t *wb = w;
	/* the rows of one group in the file's layout (up to 16 of ENG_RP_KMAX elements of Q6_K) */
	uint8_t buf[ENG_RP_GROUP_MAX];

	for (int64_t r = r0; r < end;) {
		float *o = out + (r - r0);
		if (r >= full)   /* the rows after the last group keep the file's layout */
			return eng_vec_dot_rows(type, n, wb + (size_t)r * rs, rs, (int)(end - r), act, act_stride,
				n_act, o, out_stride);
		const int64_t ge = (end < full ? end : full) - r;
		if (r % ENG_RP_ROWS == 0 && ge >= ENG_RP_ROWS && n_act > 0 && k->rp[type]) {
			const int ng = (int)(ge / ENG_RP_ROWS);
			k->rp[type](n, wb + (size_t)r * rs, ng, act, act_stride, n_act, o, out_stride);
			r += (int64_t)ng * ENG_RP_ROWS;
			continue;
		}
		const int64_t g0 = r - r % ENG_RP_ROWS;
		const int nr = (int)((end < g0 + ENG_RP_ROWS ? end : g0 + ENG_RP_ROWS) - r);
		eng_rp_unpack(type, n, wb + (size_t)g0 * rs, (int)(r - g0), nr, buf);
		eng_vec_dot_rows(type, n, buf, rs, nr, act, act_stride, n_act, o, out_stride);
		r += nr;
	}
	return 0;
}
