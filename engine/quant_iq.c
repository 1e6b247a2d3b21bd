/* engine/quant_iq.c — the IQ1/IQ2/IQ3 grid types (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S,
 * IQ3_XXS, IQ3_S) and the ternary types (TQ1_0, TQ2_0): their grids and sign table, scalar
 * dequantization and the scalar (_ref) dots with Q8_K activations. Layouts and numeric
 * definitions are the public GGUF/ggml format (quant_impl.h, docs/quant-formats.md). Each block
 * is first decoded to integer levels (grid value times sign), integer scale codes and, for IQ1,
 * shift signs; the float steps then happen in the order of ggml's generic C code, so the
 * dequantized floats match it bit for bit and the dots match its generic kernels. The
 * quantisers from float (with importance weights) follow llama.cpp's search and give its bytes;
 * the grids' neighbour tables they need are built once per grid. The grids are data (see the
 * end of the file). */
#include "engine/engine.h"
#include "engine/quant_impl.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define QK_K ENG_QK_K
#define IQ1_DELTA 0.125f

/* One super-block, decoded. */
typedef struct {
	uint16_t d;            /* the fp16 super-block scale */
	int8_t q[QK_K];        /* level of each element: grid value times sign (IQ1, TQ: -1..2) */
	uint8_t s[QK_K / 16];  /* scale code of each 16 elements (as stored: 0..15 or 0..7) */
	uint8_t neg[QK_K / 8]; /* IQ1: 1 where the shift of these 8 elements is -1/8 */
} iq_blk;

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

/* 8 elements from grid entry g (bytes, element 0 lowest) with sign bits s (bit j: element j). */
static void put8(int8_t *q, uint64_t g, unsigned s)
{
	for (int j = 0; j < 8; j++) {
		const int v = (int)(int8_t)(g >> 8 * j & 0xff);
		q[j] = (int8_t)(s >> j & 1 ? -v : v);
	}
}

/* Digit k (0 = most significant) of the trits packed in byte b, as a level -1, 0, 1: the byte is
 * the base-3 number scaled to 256/243 (rounded up), so multiplying by 3^k (mod 256) brings digit
 * k to the top, where *3 >> 8 reads it. */
static inline int tq1_level(uint8_t b, int k)
{
	static const uint8_t pow3[5] = { 1, 3, 9, 27, 81 };
	const uint8_t q = (uint8_t)(b * pow3[k]);
	return (int)(((uint16_t)q * 3) >> 8) - 1;
}

/* Decodes block i of `type` at src (the layouts of quant_impl.h). */
static void decode(int type, const void *src, int64_t i, iq_blk *o)
{
	const size_t bs = eng_type_get(type)->type_size;
	const uint8_t *b = (const uint8_t *)src + (size_t)i * bs;
	memset(o->neg, 0, sizeof o->neg);
	switch (type) {
	case ENG_T_IQ2_XXS:   /* per group: 4 index bytes, then 4 sign fields and the scale */
		for (int g = 0; g < 8; g++) {
			const uint32_t idx = rd32(b + 2 + 8 * g), ss = rd32(b + 6 + 8 * g);
			for (int l = 0; l < 4; l++)
				put8(o->q + 32 * g + 8 * l, eng_iq2xxs_grid[idx >> 8 * l & 0xff], eng_iq_sign_bits(ss >> 7 * l));
			o->s[2 * g] = o->s[2 * g + 1] = (uint8_t)(ss >> 28);
		}
		break;
	case ENG_T_IQ2_XS:    /* 9-bit index + 7-bit sign field per uint16; 2 scales per group */
		for (int k = 0; k < 32; k++) {
			const uint16_t v = rd16(b + 2 + 2 * k);
			put8(o->q + 8 * k, eng_iq2xs_grid[v & 511], eng_iq_sign_bits(v >> 9));
		}
		for (int g = 0; g < 8; g++) {
			o->s[2 * g] = b[66 + g] & 0xf;
			o->s[2 * g + 1] = b[66 + g] >> 4;
		}
		break;
	case ENG_T_IQ2_S:     /* qs[32] low index bits, 32 sign bytes, qh[8] 2 high bits each */
		for (int k = 0; k < 32; k++)
			put8(o->q + 8 * k, eng_iq2s_grid[b[2 + k] | (b[66 + k / 4] >> 2 * (k % 4) & 3) << 8], b[34 + k]);
		for (int g = 0; g < 8; g++) {
			o->s[2 * g] = b[74 + g] & 0xf;
			o->s[2 * g + 1] = b[74 + g] >> 4;
		}
		break;
	case ENG_T_IQ3_XXS:   /* 64 index bytes (4 elements each), then a signs + scale word per group */
		for (int g = 0; g < 8; g++) {
			const uint32_t ss = rd32(b + 66 + 4 * g);
			for (int l = 0; l < 4; l++) {
				const uint8_t *qs = b + 2 + 8 * g + 2 * l;
				put8(o->q + 32 * g + 8 * l, eng_iq3xxs_grid[qs[0]] | (uint64_t)eng_iq3xxs_grid[qs[1]] << 32,
					eng_iq_sign_bits(ss >> 7 * l));
			}
			o->s[2 * g] = o->s[2 * g + 1] = (uint8_t)(ss >> 28);
		}
		break;
	case ENG_T_IQ3_S:     /* qs[64] + a qh bit each, 32 sign bytes, 4-bit scales per group */
		for (int k = 0; k < 32; k++) {
			const int h = b[66 + k / 4] >> 2 * (k % 4);
			const int i0 = b[2 + 2 * k] | (h & 1) << 8, i1 = b[3 + 2 * k] | (h >> 1 & 1) << 8;
			put8(o->q + 8 * k, eng_iq3s_grid[i0] | (uint64_t)eng_iq3s_grid[i1] << 32, b[74 + k]);
		}
		for (int g = 0; g < 8; g++)
			o->s[2 * g] = o->s[2 * g + 1] = b[106 + g / 2] >> 4 * (g % 2) & 0xf;
		break;
	case ENG_T_IQ1_S:     /* qs[32] low index bits; per group a uint16: 4 x 3 high bits, scale, shift sign */
		for (int g = 0; g < 8; g++) {
			const unsigned qh = rd16(b + 34 + 2 * g);
			for (int l = 0; l < 4; l++) {
				put8(o->q + 32 * g + 8 * l, eng_iq1s_grid[b[2 + 4 * g + l] | (qh >> 3 * l & 7) << 8], 0);
				o->neg[4 * g + l] = (uint8_t)(qh >> 15);
			}
			o->s[2 * g] = o->s[2 * g + 1] = (uint8_t)(qh >> 12 & 7);
		}
		break;
	case ENG_T_IQ1_M:     /* qs[32]; qh nibbles: 3 high bits + shift sign per 8; 3-bit scales per 16 */
		for (int k = 0; k < 32; k++) {
			const int h = b[32 + k / 2] >> 4 * (k % 2) & 0xf;
			put8(o->q + 8 * k, eng_iq1s_grid[b[k] | (h & 7) << 8], 0);
			o->neg[k] = (uint8_t)(h >> 3);
		}
		for (int k = 0; k < 16; k++)
			o->s[k] = (uint8_t)(rd16(b + 48 + 2 * (k / 4)) >> 3 * (k % 4) & 7);
		o->d = eng_iq1m_d(b + 48);
		return;
	case ENG_T_TQ1_0:     /* qs[0..31]: elements m + 32k; qs[32..47]: 160 + m + 16k; qh: 240 + m + 4k */
		for (int e = 0; e < 160; e++)
			o->q[e] = (int8_t)tq1_level(b[e % 32], e / 32);
		for (int e = 160; e < 240; e++)
			o->q[e] = (int8_t)tq1_level(b[32 + e % 16], (e - 160) / 16);
		for (int e = 240; e < 256; e++)
			o->q[e] = (int8_t)tq1_level(b[48 + e % 4], (e - 240) / 4);
		o->d = rd16(b + 52);
		return;
	default:              /* TQ2_0: 2 bits per element as Q2_K's quants, minus 1 */
		for (int e = 0; e < QK_K; e++)
			o->q[e] = (int8_t)((b[32 * (e / 128) + e % 32] >> 2 * (e % 128 / 32) & 3) - 1);
		o->d = rd16(b + 64);
		return;
	}
	o->d = rd16(b);
}

static int is_iq1(int type) { return type == ENG_T_IQ1_S || type == ENG_T_IQ1_M; }
static int is_tq(int type) { return type == ENG_T_TQ1_0 || type == ENG_T_TQ2_0; }

/* The float scale of 16 elements with scale code s, as ggml forms it from the fp16 d. */
static inline float sub_scale(int type, float d, int s)
{
	switch (type) {
	case ENG_T_IQ3_XXS: return d * (0.5f + (float)s) * 0.5f;
	case ENG_T_IQ3_S: case ENG_T_IQ1_S: case ENG_T_IQ1_M: return d * (float)(2 * s + 1);
	default: return d * (0.5f + (float)s) * 0.25f;   /* the IQ2 types */
	}
}

static void deq(int type, const void *src, float *y, int64_t nb)
{
	iq_blk k;
	for (int64_t i = 0; i < nb; i++) {
		decode(type, src, i, &k);
		const float d = eng_f16_to_f32(k.d);
		for (int e = 0; e < QK_K; e++) {
			if (is_tq(type))
				*y++ = (float)k.q[e] * d;
			else if (is_iq1(type))
				*y++ = sub_scale(type, d, k.s[e / 16]) * ((float)k.q[e] + (k.neg[e / 8] ? -IQ1_DELTA : IQ1_DELTA));
			else
				*y++ = sub_scale(type, d, k.s[e / 16]) * (float)k.q[e];
		}
	}
}

/* Per super-block the exact integer sums of ggml's generic kernels: sum over 16-element parts of
 * (2s+1) * sum(q * a) (TQ: no scale), and for IQ1 the shift term sum over 8-element parts of
 * (2s+1) * (+-1) * sum(a); then the float steps of each type. */
static float dot(int type, const void *w, const eng_blk_q8_K *y, int64_t nb)
{
	iq_blk k;
	float sumf = 0;
	for (int64_t i = 0; i < nb; i++) {
		decode(type, w, i, &k);
		int32_t sumi = 0, sumi1 = 0;
		for (int p = 0; p < QK_K / 16; p++) {
			const int8_t *a = y[i].qs + 16 * p;
			const int ls = is_tq(type) ? 1 : 2 * k.s[p] + 1;
			int32_t s = 0;
			for (int j = 0; j < 16; j++)
				s += k.q[16 * p + j] * a[j];
			sumi += ls * s;
			for (int h = 0; h < 2 && is_iq1(type); h++) {
				int32_t sa = 0;
				for (int j = 0; j < 8; j++)
					sa += a[8 * h + j];
				sumi1 += (k.neg[2 * p + h] ? -ls : ls) * sa;
			}
		}
		const float d = eng_f16_to_f32(k.d);
		if (is_tq(type))
			sumf += (float)sumi * (d * y[i].d);
		else if (is_iq1(type))
			sumf += d * y[i].d * ((float)sumi + IQ1_DELTA * (float)sumi1);
		else
			sumf += d * y[i].d * (float)sumi;
	}
	switch (type) {
	case ENG_T_IQ2_XXS: case ENG_T_IQ2_XS: case ENG_T_IQ2_S: return 0.125f * sumf;
	case ENG_T_IQ3_XXS: return 0.25f * sumf;
	default: return sumf;
	}
}

static int is_ours(int type)
{
	switch (type) {
	case ENG_T_IQ2_XXS: case ENG_T_IQ2_XS: case ENG_T_IQ2_S: case ENG_T_IQ3_XXS: case ENG_T_IQ3_S:
	case ENG_T_IQ1_S: case ENG_T_IQ1_M: case ENG_T_TQ1_0: case ENG_T_TQ2_0:
		return 1;
	default:
		return 0;
	}
}

int eng_iq_dequant_ref(int type, const void *src, float *dst, int64_t nb)
{
	if (!is_ours(type))
		return -1;
	deq(type, src, dst, nb);
	return 0;
}

int eng_iq_dot_ref(int type, const void *w, const void *act, int64_t nb, float *out)
{
	if (!is_ours(type))
		return -1;
	*out = dot(type, w, act, nb);
	return 0;
}

/* ---- quantisers from float ---------------------------------------------------------------------
 * The search of ggml's quantize_row_iq*_impl and quantize_row_tq*_ref (llama.cpp's reference
 * commit), step for step and in its float evaluation order, so the blocks come out byte for byte
 * the same (docs/quant-formats.md "Quantising to the IQ and ternary types" lists the two places
 * where they deliberately do not). The grid types search for a group scale: at each trial scale
 * every 8 (IQ2, IQ1) or 4 (IQ3) magnitudes are rounded to lattice levels l (value 2l+1); a level
 * vector that is not a grid point is replaced by the best of its nearest grid points (the
 * "neighbours", lattice below); the trial with the best weighted least-squares fit wins. */

/* ggml's nearest_int: round half to even through the float adder (|v| < 2^22; beyond that the
 * result is defined but meaningless, exactly as in the reference). */
static inline int iq_round(float v)
{
	const float t = v + 12582912.0f;
	uint32_t u;
	memcpy(&u, &t, sizeof u);
	return (int)(u & 0x007fffffu) - 0x00400000;
}

static inline int iq_clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }
static inline float iq_maxf(float a, float b) { return a > b ? a : b; }   /* ggml's MAX */

static void wr16(uint8_t *p, uint16_t v) { memcpy(p, &v, sizeof v); }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, sizeof v); }

/* A grid seen as lattice points: each entry's element levels l (0..2 for IQ2 and IQ1, 0..7 for
 * IQ3), the key of a level vector (l_i at bits `bits`*i), and for every key a level vector can
 * take that is not a grid point, its neighbour list: the grid points at the nwant smallest
 * distinct squared distances, ordered by (distance, index) -- ggml's iq2xs_init_impl /
 * iq3xs_init_impl order. Built once per grid under a pthread_once and read-only afterwards. */
typedef struct {
	int n_grid, dim, bits, max_l, nwant;
	uint8_t lev[2048][8];   /* [n_grid][dim] */
	int32_t *map;           /* [1 << bits*dim]: grid index, or -(offset+1) into nbr */
	uint16_t *nbr;          /* per off-grid key: count, then that many grid indices */
	int ok;                 /* 1 built, 0 out of memory or an inconsistent grid */
} iq_lattice;

enum { LAT_IQ2XXS, LAT_IQ2XS, LAT_IQ2S, LAT_IQ1, LAT_IQ3XXS, LAT_IQ3S, LAT_COUNT };
static iq_lattice lattices[LAT_COUNT];
static pthread_once_t lattice_once[LAT_COUNT] = {
	PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT,
	PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT
};

/* The level of magnitude byte b of grid `which` (the value sets of the grids' comment below). */
static int grid_level(int which, uint8_t b)
{
	switch (which) {
	case LAT_IQ1: return (int)(int8_t)b + 1;              /* -1, 0, 1 */
	case LAT_IQ3XXS: return b == 62 ? 7 : (b - 4) / 8;    /* 4, 12, .., 52, 62 */
	case LAT_IQ3S: return (b - 1) / 2;                    /* 1, 3, .., 15 */
	default: return b == 8 ? 0 : b == 25 ? 1 : 2;         /* 8, 25, 43 */
	}
}

static void lattice_build(int which)
{
	static const int n_grid[LAT_COUNT] = { 256, 512, 1024, 2048, 256, 512 };
	static const int nwant[LAT_COUNT] = { 2, 2, 1, 3, 2, 3 };
	iq_lattice *t = &lattices[which];
	const int is3 = which == LAT_IQ3XXS || which == LAT_IQ3S;
	t->n_grid = n_grid[which];
	t->dim = is3 ? 4 : 8;
	t->bits = is3 ? 3 : 2;
	t->max_l = is3 ? 7 : 2;
	t->nwant = nwant[which];
	const int n_keys = 1 << t->bits * t->dim;
	t->map = malloc(sizeof(int32_t) * (size_t)n_keys);
	int *d2 = malloc(sizeof(int) * (size_t)t->n_grid);
	size_t cap = 1 << 16, used = 0;
	t->nbr = malloc(sizeof(uint16_t) * cap);
	if (!t->map || !d2 || !t->nbr)
		goto fail;
	for (int k = 0; k < n_keys; k++)
		t->map[k] = -1;
	for (int j = 0; j < t->n_grid; j++) {
		int key = 0;
		for (int i = 0; i < t->dim; i++) {
			uint8_t b;
			if (which == LAT_IQ3XXS)
				b = (uint8_t)(eng_iq3xxs_grid[j] >> 8 * i);
			else if (which == LAT_IQ3S)
				b = (uint8_t)(eng_iq3s_grid[j] >> 8 * i);
			else {
				const uint64_t *g = which == LAT_IQ2XXS ? eng_iq2xxs_grid : which == LAT_IQ2XS ? eng_iq2xs_grid :
					which == LAT_IQ2S ? eng_iq2s_grid : eng_iq1s_grid;
				b = (uint8_t)(g[j] >> 8 * i);
			}
			t->lev[j][i] = (uint8_t)grid_level(which, b);
			key |= t->lev[j][i] << t->bits * i;
		}
		if (t->map[key] >= 0)
			goto fail;                  /* two entries on one point: not the published grid */
		t->map[key] = j;
	}
	/* Only keys whose levels are all within 0..max_l are ever looked up (the quantisers clamp). */
	for (int key = 0; key < n_keys; key++) {
		int pos[8], reach = 1;
		for (int i = 0; i < t->dim; i++) {
			pos[i] = key >> t->bits * i & ((1 << t->bits) - 1);
			reach &= pos[i] <= t->max_l;
		}
		if (!reach || t->map[key] >= 0)
			continue;
		int best[3], nb = 0;            /* the nwant smallest distinct distances, ascending */
		for (int j = 0; j < t->n_grid; j++) {
			int s = 0;
			for (int i = 0; i < t->dim; i++) {
				const int e = 2 * (t->lev[j][i] - pos[i]);
				s += e * e;
			}
			d2[j] = s;
			int at = 0;
			while (at < nb && best[at] < s)
				at++;
			if (at < nb && best[at] == s)
				continue;
			if (at >= t->nwant)
				continue;
			for (int m = (nb < t->nwant ? nb : t->nwant - 1); m > at; m--)
				best[m] = best[m - 1];
			best[at] = s;
			if (nb < t->nwant)
				nb++;
		}
		size_t count = 0;
		for (int j = 0; j < t->n_grid; j++)
			count += d2[j] <= best[nb - 1];
		if (used + count + 1 > cap) {
			while (used + count + 1 > cap)
				cap *= 2;
			uint16_t *g = realloc(t->nbr, sizeof(uint16_t) * cap);
			if (!g)
				goto fail;
			t->nbr = g;
		}
		t->map[key] = -(int32_t)used - 1;
		t->nbr[used++] = (uint16_t)count;
		for (int m = 0; m < nb; m++)
			for (int j = 0; j < t->n_grid; j++)
				if (d2[j] == best[m])
					t->nbr[used++] = (uint16_t)j;
	}
	free(d2);
	t->ok = 1;
	return;
fail:
	free(d2);
	free(t->map);
	free(t->nbr);
	t->map = NULL;
	t->nbr = NULL;
	t->ok = 0;
}

static void build_iq2xxs(void) { lattice_build(LAT_IQ2XXS); }
static void build_iq2xs(void) { lattice_build(LAT_IQ2XS); }
static void build_iq2s(void) { lattice_build(LAT_IQ2S); }
static void build_iq1(void) { lattice_build(LAT_IQ1); }
static void build_iq3xxs(void) { lattice_build(LAT_IQ3XXS); }
static void build_iq3s(void) { lattice_build(LAT_IQ3S); }

/* The lattice of grid `which`, built on first use; NULL when it could not be built. */
static const iq_lattice *lattice_get(int which)
{
	static void (*const build[LAT_COUNT])(void) = {
		build_iq2xxs, build_iq2xs, build_iq2s, build_iq1, build_iq3xxs, build_iq3s
	};
	if (pthread_once(&lattice_once[which], build[which]) != 0)
		return NULL;
	return lattices[which].ok ? &lattices[which] : NULL;
}

/* The neighbour list of an off-grid key: count, then the indices. */
static const uint16_t *lat_neighbours(const iq_lattice *t, int key)
{
	return t->nbr + (-t->map[key] - 1);
}

static void lat_levels(const iq_lattice *t, int j, int8_t *L)
{
	for (int i = 0; i < t->dim; i++)
		L[i] = (int8_t)t->lev[j][i];
}

/* The grid values 2l+1 of levels l = 0..7 (IQ2, IQ3). */
static const float odd_values[8] = { 1, 3, 5, 7, 9, 11, 13, 15 };

/* ggml's iq2/iq3_find_best_neighbour (vals: odd_values) and iq1_find_best_neighbour2 (vals: the
 * shifted IQ1 levels): the neighbour with the least sum w*(scale*vals[l] - x)^2, the first on
 * ties. Writes its levels into L. */
static int best_neighbour(const iq_lattice *t, const uint16_t *nbr, const float *xval, const float *w,
	float scale, const float *vals, int8_t *L)
{
	float best = FLT_MAX;
	int gi = nbr[1];
	for (int j = 1; j <= nbr[0]; j++) {
		float d2 = 0;
		for (int i = 0; i < t->dim; i++) {
			const float diff = scale * vals[t->lev[nbr[j]][i]] - xval[i];
			d2 += w[i] * diff * diff;
		}
		if (d2 < best) {
			best = d2;
			gi = nbr[j];
		}
	}
	lat_levels(t, gi, L);
	return gi;
}

/* Rounds the dim magnitudes at x to levels with inverse scale id; off the grid, takes the best
 * neighbour at `scale`. Returns the grid index; *on_grid says which happened. */
static int round_to_grid(const iq_lattice *t, const float *xval, const float *waux, float id, float scale,
	int8_t *L, int *on_grid)
{
	int key = 0;
	for (int i = 0; i < t->dim; i++) {
		L[i] = (int8_t)iq_clampi(iq_round(0.5f * (id * xval[i] - 1)), 0, t->max_l);
		key |= L[i] << t->bits * i;
	}
	if (t->map[key] >= 0) {
		*on_grid = 1;
		return t->map[key];
	}
	*on_grid = 0;
	return best_neighbour(t, lat_neighbours(t, key), xval, waux, scale, odd_values, L);
}

/* The grid index of level vector L, or -1 when it is not a grid point. */
static int lat_index(const iq_lattice *t, const int8_t *L)
{
	int key = 0;
	for (int i = 0; i < t->dim; i++) {
		if (L[i] < 0 || L[i] > t->max_l)
			return -1;
		key |= L[i] << t->bits * i;
	}
	return t->map[key] >= 0 ? t->map[key] : -1;
}

/* How one of the five grid types searches (ggml's per-type variants of the same loop). */
typedef struct {
	int lat;            /* LAT_* */
	int gl;             /* elements per scale group: 32 or 16 */
	int kmax;           /* levels 0..kmax-1 */
	int n_is;           /* trial scales is = -n_is..n_is */
	float step;         /* trial inverse scale (2 kmax - 1 + is*step) / max */
	int parity;         /* 7-bit sign fields with even parity (else 8 explicit signs) */
	int qp_start;       /* IQ2_XXS: start from make_qp_quants and scan around scale*kmax */
	int redo;           /* final re-rounding at the fitted scale: 0 every part (when scale > 0),
			       1 the off-grid parts, 2 every part (both when some part is off-grid) */
	int sigma2_x2;      /* sigma2 = 2 * mean square (else the mean square) */
	int noim;           /* without imatrix: 0 refused, 1 w = x^2, 2 w = sigma2/4 + x^2 */
	float eps;          /* a group whose largest magnitude is below this is all zero */
	float fudge;        /* d is stored as max_scale/31 * fudge */
} grid_kind;

/* The result of one group: grid index per part, the sign byte/field per 8 elements, scale. */
typedef struct {
	uint16_t idx[8];
	uint8_t signs[4];
	float scale;
} grid_group;

/* The state ggml keeps across groups of a row (only read when no trial improves on best = 0,
 * which happens only for degenerate groups; kept for faithfulness). */
typedef struct {
	int8_t L[32];
	int on_grid[8];
} grid_state;

/* One group of k->gl elements at xb with importance weights w: ggml's loop for that type. Returns
 * 0 for an all-zero group (scale 0), 1 otherwise. */
static int grid_fit(const grid_kind *k, const iq_lattice *t, const float *xb, const float *weight,
	grid_state *st, grid_group *out)
{
	const int gl = k->gl, dim = t->dim, np = gl / dim;
	float xval[32] = { 0 }, waux[32];
	int8_t Laux[32];
	int on_aux[8];
	for (int i = 0; i < gl; i++)
		waux[i] = sqrtf(weight[i]);
	for (int s8 = 0; s8 < gl / 8; s8++) {
		int nflip = 0;
		uint8_t s = 0;
		for (int i = 0; i < 8; i++) {
			const float v = xb[8 * s8 + i];
			if (v >= 0) {
				xval[8 * s8 + i] = v;
			} else {
				xval[8 * s8 + i] = -v;
				nflip++;
				s |= (uint8_t)(1u << i);
			}
		}
		if (k->parity && nflip % 2) {   /* flip the least important element's sign back */
			int imin = 0;
			float min = weight[8 * s8] * xb[8 * s8] * xb[8 * s8];
			for (int i = 1; i < 8; i++) {
				const float ax = weight[8 * s8 + i] * xb[8 * s8 + i] * xb[8 * s8 + i];
				if (ax < min) {
					min = ax;
					imin = i;
				}
			}
			xval[8 * s8 + imin] = -xval[8 * s8 + imin];
			s ^= (uint8_t)(1u << imin);
		}
		out->signs[s8] = k->parity ? (uint8_t)(s & 127) : s;
	}
	float max = xval[0];
	for (int i = 1; i < gl; i++)
		max = iq_maxf(max, xval[i]);
	if (k->eps > 0 ? max < k->eps : !max) {
		if (k->lat != LAT_IQ2S && k->lat != LAT_IQ3S)
			memset(st->L, 0, (size_t)gl);
		return 0;
	}
	float scale, best = 0, denom;
	if (k->qp_start) {
		scale = eng_fit_positive(gl, k->kmax + 1, xval, (uint8_t *)st->L, weight);
		denom = scale * k->kmax;
	} else {
		scale = max / (2 * k->kmax - 1);
		denom = max;
		if (k->redo == 2)
			for (int p = 0; p < np; p++)
				st->on_grid[p] = 0;
		else if (k->lat != LAT_IQ3XXS)
			for (int p = 0; p < np; p++)
				st->on_grid[p] = 1;
	}
	for (int is = -k->n_is; is <= k->n_is; is++) {
		const float id = ((float)(2 * k->kmax - 1) + (float)is * k->step) / denom;
		const float this_scale = 1 / id;
		for (int p = 0; p < np; p++)
			round_to_grid(t, xval + dim * p, waux + dim * p, id, this_scale, Laux + dim * p, &on_aux[p]);
		float sumqx = 0, sumq2 = 0;
		for (int i = 0; i < gl; i++) {
			const float q = (float)(2 * Laux[i] + 1);
			sumqx += weight[i] * xval[i] * q;
			sumq2 += weight[i] * q * q;
		}
		if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
			scale = sumqx / sumq2;
			best = scale * sumqx;
			memcpy(st->L, Laux, (size_t)gl);
			memcpy(st->on_grid, on_aux, sizeof on_aux);
		}
	}
	int n_off = 0;
	for (int p = 0; p < np; p++)
		n_off += !st->on_grid[p];
	if (k->redo == 0 ? scale > 0 : n_off > 0 && scale > 0) {
		const float id = 1 / scale;
		for (int p = 0; p < np; p++) {
			int dummy;
			if (k->redo == 1 && st->on_grid[p])
				continue;
			const int gi = round_to_grid(t, xval + dim * p, waux + dim * p, id, scale, st->L + dim * p, &dummy);
			lat_levels(t, gi, st->L + dim * p);
		}
		float sumqx = 0, sumq2 = 0;
		for (int i = 0; i < gl; i++) {
			const float q = (float)(2 * st->L[i] + 1);
			sumqx += weight[i] * xval[i] * q;
			sumq2 += weight[i] * q * q;
		}
		if (sumq2 > 0)
			scale = sumqx / sumq2;
	}
	if (scale < 0) {   /* cannot happen for finite input (ggml keeps the guard; so do we) */
		scale = -scale;
		for (int s8 = 0; s8 < gl / 8; s8++)
			out->signs[s8] = k->parity ? (uint8_t)(~out->signs[s8] & 127) : (uint8_t)~out->signs[s8];
	}
	for (int p = 0; p < np; p++) {
		const int gi = lat_index(t, st->L + dim * p);
		out->idx[p] = (uint16_t)(gi < 0 ? 0 : gi);   /* >= 0 unless the input was not finite */
	}
	out->scale = scale;
	return 1;
}

static const grid_kind kind_iq2_xxs = { LAT_IQ2XXS, 32, 3, 6, 0.1f, 1, 1, 0, 0, 0, 1e-15f, 1.0f };
static const grid_kind kind_iq2_xs = { LAT_IQ2XS, 16, 3, 9, 0.1f, 1, 0, 1, 0, 0, 1e-15f, 1.0f };
static const grid_kind kind_iq2_s = { LAT_IQ2S, 16, 3, 9, 0.1f, 0, 0, 1, 1, 2, 1e-8f, 0.9875f };
static const grid_kind kind_iq3_xxs = { LAT_IQ3XXS, 32, 8, 15, 0.2f, 1, 0, 1, 1, 1, 1e-8f, 1.0125f };
static const grid_kind kind_iq3_s = { LAT_IQ3S, 32, 8, 9, 0.2f, 0, 0, 2, 1, 1, 0.0f, 1.033f };

/* Packs super-block `ib`'s groups (scales[], grp[]) into the type's block at b (zeroed). */
static void grid_pack(int type, uint8_t *b, const grid_group *grp, const float *scales, int ng, float max_scale,
	float fudge)
{
	const float d = max_scale / 31;
	wr16(b, eng_f32_to_f16(d * fudge));
	const float id = 1 / d;
	for (int g = 0; g < ng; g++) {
		const int l = iq_clampi(iq_round(0.5f * (id * scales[g] - 1)), 0, 15);
		const grid_group *q = &grp[g];
		switch (type) {
		case ENG_T_IQ2_XXS: {
			uint32_t a = 0, s = (uint32_t)l << 28;
			for (int p = 0; p < 4; p++) {
				a |= (uint32_t)q->idx[p] << 8 * p;
				s |= (uint32_t)q->signs[p] << 7 * p;
			}
			wr32(b + 2 + 8 * g, a);
			wr32(b + 6 + 8 * g, s);
			break;
		}
		case ENG_T_IQ2_XS:
			for (int p = 0; p < 2; p++)
				wr16(b + 2 + 4 * g + 2 * p, (uint16_t)(q->idx[p] | q->signs[p] << 9));
			b[66 + g / 2] |= (uint8_t)(l << 4 * (g % 2));
			break;
		case ENG_T_IQ2_S:
			for (int p = 0; p < 2; p++) {
				const int i8 = 2 * g + p;
				b[2 + i8] = (uint8_t)q->idx[p];
				b[66 + i8 / 4] |= (uint8_t)((q->idx[p] >> 8) << 2 * (i8 % 4));
				b[34 + i8] = q->signs[p];
			}
			b[74 + g / 2] |= (uint8_t)(l << 4 * (g % 2));
			break;
		case ENG_T_IQ3_XXS:
			for (int p = 0; p < 8; p++)
				b[2 + 8 * g + p] = (uint8_t)q->idx[p];
			wr32(b + 66 + 4 * g, (uint32_t)q->signs[0] | (uint32_t)q->signs[1] << 7 | (uint32_t)q->signs[2] << 14 |
				(uint32_t)q->signs[3] << 21 | (uint32_t)l << 28);
			break;
		default:   /* IQ3_S */
			for (int p = 0; p < 8; p++) {
				b[2 + 8 * g + p] = (uint8_t)q->idx[p];
				b[66 + g] |= (uint8_t)((q->idx[p] >> 8) << p);
			}
			for (int s8 = 0; s8 < 4; s8++)
				b[74 + 4 * g + s8] = q->signs[s8];
			b[106 + g / 2] |= (uint8_t)(l << 4 * (g % 2));
			break;
		}
	}
}

/* The importance weights of group xb: qw * sqrt(sigma2 + x^2), or the type's fallback. A group
 * whose importance weights are all zero (columns an imatrix never saw used) is fitted as if they
 * were all one: ggml's search has nothing to weigh there and writes NaN scales or stops. */
static void group_weights(float *w, const float *xb, const float *qw, float sigma2, int n, int noim)
{
	static const float ones[32] = {
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
	};
	int any = 0;
	for (int i = 0; qw && i < n; i++)
		any |= qw[i] != 0;
	if (qw && !any)
		qw = ones;
	for (int i = 0; i < n; i++) {
		if (qw)
			w[i] = qw[i] * sqrtf(sigma2 + xb[i] * xb[i]);
		else if (noim == 2)
			w[i] = 0.25f * sigma2 + xb[i] * xb[i];
		else
			w[i] = xb[i] * xb[i];
	}
}

static float super_block_sigma2(const float *xbl, int x2)
{
	float sumx2 = 0;
	for (int i = 0; i < QK_K; i++)
		sumx2 += xbl[i] * xbl[i];
	return x2 ? 2 * sumx2 / QK_K : sumx2 / QK_K;
}

static int quant_grid(int type, const grid_kind *k, const float *x, uint8_t *y, int64_t nbl, const float *qw)
{
	const iq_lattice *t = lattice_get(k->lat);
	if (!t)
		return ENG_ENOMEM;
	const size_t bs = eng_type_get(type)->type_size;
	grid_state st;
	memset(&st, 0, sizeof st);
	for (int p = 0; p < 8; p++)
		st.on_grid[p] = 1;
	for (int64_t ibl = 0; ibl < nbl; ibl++) {
		const float *xbl = x + QK_K * ibl;
		uint8_t *b = y + (size_t)ibl * bs;
		memset(b, 0, bs);
		const float sigma2 = super_block_sigma2(xbl, k->sigma2_x2);
		grid_group grp[QK_K / 16];
		float scales[QK_K / 16], weight[32], max_scale = 0;
		const int ng = QK_K / k->gl;
		for (int g = 0; g < ng; g++) {
			const float *xb = xbl + k->gl * g;
			group_weights(weight, xb, qw ? qw + QK_K * ibl + k->gl * g : NULL, sigma2, k->gl, k->noim);
			memset(&grp[g], 0, sizeof grp[g]);
			if (!grid_fit(k, t, xb, weight, &st, &grp[g])) {
				scales[g] = 0;
				memset(&grp[g], 0, sizeof grp[g]);   /* a zero group: index 0, no signs */
				continue;
			}
			scales[g] = grp[g].scale;
			max_scale = iq_maxf(max_scale, grp[g].scale);
		}
		if (!max_scale)
			continue;               /* the all-zero block */
		grid_pack(type, b, grp, scales, ng, max_scale, k->fudge);
	}
	return 0;
}

/* ---- IQ1_S, IQ1_M: ternary grid points with a shifted level set -------------------------------
 * The levels are -1, 0, 1 plus a shift of +-1/8 per 8 (IQ1_M: per 8, chosen per half group) or
 * per 32 (IQ1_S) elements. The best split of a group into the three levels is found exactly
 * over the elements sorted by value; the level vectors are then moved onto the grid. */

/* Stable ascending order of x[0..n) (the order glibc's merge-sort qsort gives ggml's
 * iq1_sort_helper, which only compares values): idx[j] is the j-th element. */
static void iq1_order(const float *x, int n, int *idx)
{
	for (int j = 0; j < n; j++) {
		int m = j;
		while (m > 0 && x[j] < x[idx[m - 1]]) {
			idx[m] = idx[m - 1];
			m--;
		}
		idx[m] = j;
	}
}

/* The grid point of 8 levels L (moved to the best neighbour when off the grid); *off set when
 * it was. */
static int iq1_place(const iq_lattice *t, const float *xb, const float *w, float scale, const float *xx,
	int8_t *L, int *off)
{
	int key = 0;
	for (int i = 0; i < 8; i++)
		key |= L[i] << 2 * i;
	if (t->map[key] >= 0)
		return t->map[key];
	*off = 1;
	return best_neighbour(t, lat_neighbours(t, key), xb, w, scale, xx, L);
}

static const float iq1_xp[3] = { -1 + IQ1_DELTA, IQ1_DELTA, 1 + IQ1_DELTA };
static const float iq1_xm[3] = { -1 - IQ1_DELTA, -IQ1_DELTA, 1 - IQ1_DELTA };

/* The largest magnitude of x[0..n) (ggml's MAX(max, fabsf(x)) loop). */
static float absmax(const float *x, int n)
{
	float max = fabsf(x[0]);
	for (int i = 1; i < n; i++)
		max = iq_maxf(max, fabsf(x[i]));
	return max;
}

/* Moves each 8 levels of the n in L onto the grid (part p with the shifted level set xx[p]) and,
 * when some part was off the grid, refits the scale to the points chosen (kept when the fit is
 * not positive). index[p] gets part p's grid index. */
static float iq1_place_group(const iq_lattice *t, const float *xb, const float *weight, int n, float scale,
	const float *const *xx, int8_t *L, int *index)
{
	int off = 0;
	for (int p = 0; p < n / 8; p++)
		index[p] = iq1_place(t, xb + 8 * p, weight + 8 * p, scale, xx[p], L + 8 * p, &off);
	if (!off)
		return scale;
	float sumqx = 0, sumq2 = 0;
	for (int p = 0; p < n / 8; p++)
		for (int j = 0; j < 8; j++) {
			const float w = weight[8 * p + j], q = xx[p][t->lev[index[p]][j]];
			sumqx += w * q * xb[8 * p + j];
			sumq2 += w * q * q;
		}
	return sumqx > 0 && sumq2 > 0 ? sumqx / sumq2 : scale;
}

/* An IQ1 group's start: its weights, largest magnitude *max and value order idx; 0 when the
 * group is all zero (max below eps: nothing to fit). */
static int iq1_group_begin(float *weight, const float *xb, const float *qw, float sigma2, int n, float eps,
	int *idx, float *max)
{
	group_weights(weight, xb, qw, sigma2, n, 1);
	*max = absmax(xb, n);
	if (*max < eps)
		return 0;
	iq1_order(xb, n, idx);
	return 1;
}

static void iq1_levels_from_split(const int *idx, int n, int i1, int i2, int8_t *L)
{
	for (int j = 0; j < n; j++)
		L[idx[j]] = (int8_t)(j < i1 ? 0 : j < i2 ? 1 : 2);
}

static int quant_iq1_s(const float *x, uint8_t *y, int64_t nbl, const float *qw)
{
	const iq_lattice *t = lattice_get(LAT_IQ1);
	if (!t)
		return ENG_ENOMEM;
	for (int64_t ibl = 0; ibl < nbl; ibl++) {
		const float *xbl = x + QK_K * ibl;
		uint8_t *b = y + (size_t)ibl * sizeof(eng_blk_iq1_s);
		memset(b, 0, sizeof(eng_blk_iq1_s));
		const float sigma2 = super_block_sigma2(xbl, 1);
		float scales[8], max_scale = 0;
		int shifts[8];
		for (int ib = 0; ib < 8; ib++) {
			const float *xb = xbl + 32 * ib;
			float weight[32], sumx[33], sumw[33];
			int idx[32];
			int8_t L[32];
			float max;
			scales[ib] = 0;
			shifts[ib] = 1;
			if (!iq1_group_begin(weight, xb, qw + QK_K * ibl + 32 * ib, sigma2, 32, 1e-12f, idx, &max))
				continue;
			sumx[0] = sumw[0] = 0;
			for (int j = 0; j < 32; j++) {
				const int i = idx[j];
				sumx[j + 1] = sumx[j] + weight[i] * xb[i];
				sumw[j + 1] = sumw[j] + weight[i];
			}
			float best = -FLT_MIN, scale = max;
			int bi1 = 0, bi2 = 0, shift = 1;
			for (int i1 = 0; i1 <= 32; i1++) {
				for (int i2 = i1; i2 <= 32; i2++) {
					for (int sgn = 0; sgn < 2; sgn++) {
						const float *xx = sgn ? iq1_xm : iq1_xp;
						const float sumqx = (sumx[i1] - sumx[0]) * xx[0] + (sumx[i2] - sumx[i1]) * xx[1] +
							(sumx[32] - sumx[i2]) * xx[2];
						const float sumq2 = (sumw[i1] - sumw[0]) * xx[0] * xx[0] +
							(sumw[i2] - sumw[i1]) * xx[1] * xx[1] + (sumw[32] - sumw[i2]) * xx[2] * xx[2];
						if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
							scale = sumqx / sumq2;
							best = scale * sumqx;
							bi1 = i1;
							bi2 = i2;
							shift = sgn ? -1 : 1;
						}
					}
				}
			}
			iq1_levels_from_split(idx, 32, bi1, bi2, L);
			if (scale < 0) {
				for (int j = 0; j < 32; j++)
					L[j] = (int8_t)(2 - L[j]);
				scale = -scale;
				shift = -shift;
			}
			const float *xx = shift == 1 ? iq1_xp : iq1_xm;
			const float *const xxs[4] = { xx, xx, xx, xx };
			int index[4];
			scale = iq1_place_group(t, xb, weight, 32, scale, xxs, L, index);
			unsigned h = 0;
			for (int k = 0; k < 4; k++) {
				b[2 + 4 * ib + k] = (uint8_t)index[k];
				h |= (unsigned)(index[k] >> 8) << 3 * k;
			}
			wr16(b + 34 + 2 * ib, (uint16_t)h);
			scales[ib] = scale;
			shifts[ib] = shift;
			max_scale = iq_maxf(max_scale, scale);
		}
		if (!max_scale)
			continue;
		const float d = max_scale / 15;
		wr16(b, eng_f32_to_f16(d * 1.125f));
		const float id = 1 / d;
		for (int ib = 0; ib < 8; ib++) {
			int l = iq_clampi(iq_round(0.5f * (id * scales[ib] - 1)), 0, 7);
			if (shifts[ib] == -1)
				l |= 8;
			wr16(b + 34 + 2 * ib, (uint16_t)(rd16(b + 34 + 2 * ib) | l << 12));
		}
	}
	return 0;
}

/* IQ1_M's shift choice k for a 16-element group: bit 1 the first 8's shift is -1/8, bit 0 the
 * second's (ggml's order 0: +,+  1: +,-  2: -,+  3: -,-). */
static const float *iq1m_shift(int k, int half)
{
	return (half == 0 ? k < 2 : k % 2 == 0) ? iq1_xp : iq1_xm;
}

static int quant_iq1_m(const float *x, uint8_t *y, int64_t nbl, const float *qw)
{
	static const uint8_t masks[4] = { 0x00, 0x80, 0x08, 0x88 };
	const iq_lattice *t = lattice_get(LAT_IQ1);
	if (!t)
		return ENG_ENOMEM;
	float vals[2][3][4];   /* [half][level][shift choice]: the shifted level values */
	for (int h = 0; h < 2; h++)
		for (int l = 0; l < 3; l++)
			for (int k = 0; k < 4; k++)
				vals[h][l][k] = iq1m_shift(k, h)[l];
	for (int64_t ibl = 0; ibl < nbl; ibl++) {
		const float *xbl = x + QK_K * ibl;
		uint8_t *b = y + (size_t)ibl * sizeof(eng_blk_iq1_m);
		memset(b, 0, sizeof(eng_blk_iq1_m));
		const float sigma2 = super_block_sigma2(xbl, 1);
		float scales[16], max_scale = 0, weight[16];
		int shifts[16];
		for (int ib = 0; ib < 16; ib++) {
			const float *xb = xbl + 16 * ib;
			int idx[16];
			int8_t L[16];
			float max;
			scales[ib] = 0;
			shifts[ib] = 0;
			if (!iq1_group_begin(weight, xb, qw + QK_K * ibl + 16 * ib, sigma2, 16, 1e-7f, idx, &max))
				continue;
			float best = -FLT_MIN, scale = max;
			int bi1 = 0, bi2 = 0, bk = 0;
			for (int i1 = 0; i1 <= 16; i1++) {
				for (int i2 = i1; i2 <= 16; i2++) {
					float sumqx[4] = { 0, 0, 0, 0 }, sumq2[4] = { 0, 0, 0, 0 };
					for (int j = 0; j < 16; j++) {
						const int i = idx[j], seg = j < i1 ? 0 : j < i2 ? 1 : 2;
						const float *v = vals[i >= 8][seg];
						for (int k = 0; k < 4; k++) {
							sumqx[k] += weight[i] * v[k] * xb[i];
							sumq2[k] += weight[i] * v[k] * v[k];
						}
					}
					for (int k = 0; k < 4; k++) {
						if (sumq2[k] > 0 && sumqx[k] * sumqx[k] > best * sumq2[k]) {
							scale = sumqx[k] / sumq2[k];
							best = scale * sumqx[k];
							bi1 = i1;
							bi2 = i2;
							bk = k;
						}
					}
				}
			}
			iq1_levels_from_split(idx, 16, bi1, bi2, L);
			if (scale < 0) {
				for (int j = 0; j < 16; j++)
					L[j] = (int8_t)(2 - L[j]);
				scale = -scale;
				bk = 3 - bk;
			}
			const float *const xxs[2] = { iq1m_shift(bk, 0), iq1m_shift(bk, 1) };
			int index[2];
			scale = iq1_place_group(t, xb, weight, 16, scale, xxs, L, index);
			b[2 * ib] = (uint8_t)index[0];
			b[2 * ib + 1] = (uint8_t)index[1];
			b[32 + ib] = (uint8_t)(index[0] >> 8 | (index[1] >> 8) << 4);
			scales[ib] = scale;
			shifts[ib] = bk;
			max_scale = iq_maxf(max_scale, scale);
		}
		if (!max_scale)
			continue;
		/* The super-block scale is refitted to the chosen levels and group scales. */
		float d = max_scale / 15;
		const float id = 1 / d;
		float sumqx = 0, sumq2 = 0;
		uint16_t sc[4] = { 0, 0, 0, 0 };
		for (int ib = 0; ib < 16; ib++) {
			const int l = iq_clampi(iq_round(0.5f * (id * scales[ib] - 1)), 0, 7);
			sc[ib / 4] |= (uint16_t)(l << 3 * (ib % 4));
			b[32 + ib] |= masks[shifts[ib]];
			const float *xb = xbl + 16 * ib;
			group_weights(weight, xb, qw + QK_K * ibl + 16 * ib, sigma2, 16, 1);
			for (int k = 0; k < 2; k++) {
				const float *xx = iq1m_shift(shifts[ib], k);
				const int gi = b[2 * ib + k] + ((b[32 + ib] << (8 - 4 * k)) & 0x700);
				for (int j = 0; j < 8; j++) {
					const float w = weight[8 * k + j], q = xx[t->lev[gi][j]] * (float)(2 * l + 1);
					sumqx += w * q * xb[8 * k + j];
					sumq2 += w * q * q;
				}
			}
		}
		if (sumq2 > 0)
			d = sumqx / sumq2;
		const uint16_t s = eng_f32_to_f16(d * 1.1125f);
		sc[0] |= (uint16_t)((s & 0x000f) << 12);
		sc[1] |= (uint16_t)((s & 0x00f0) << 8);
		sc[2] |= (uint16_t)((s & 0x0f00) << 4);
		sc[3] |= (uint16_t)(s & 0xf000);
		for (int i = 0; i < 4; i++)
			wr16(b + 48 + 2 * i, sc[i]);
	}
	return 0;
}

/* ---- TQ1_0, TQ2_0: d = the largest magnitude, levels round(x/d) (half away from zero) ---- */

/* One trit digit -1, 0, 1 of x at inverse scale id, as 0, 1, 2. */
static inline int tq_trit(float x, float id)
{
	return (int)lroundf(x * id) + 1;
}


static void quant_tq1_0(const float *x, uint8_t *y, int64_t nbl)
{
	for (int64_t i = 0; i < nbl; i++, x += QK_K) {
		uint8_t *b = y + (size_t)i * sizeof(eng_blk_tq1_0);
		const float d = absmax(x, QK_K), id = d ? 1.0f / d : 0.0f;
		/* bytes 0..31: 5 trits of elements m + 32n; 32..47: 160 + m + 16n; 48..51: 240 + m + 4n
		 * (4 trits, shifted up one digit). A byte is ceil(v * 256 / 243) of the base-3 value v. */
		for (int byte = 0; byte < 52; byte++) {
			const int nt = byte < 48 ? 5 : 4;
			const int base = byte < 32 ? byte : byte < 48 ? 160 + byte - 32 : 240 + byte - 48;
			const int stride = byte < 32 ? 32 : byte < 48 ? 16 : 4;
			uint8_t q = 0;
			for (int n = 0; n < nt; n++)
				q = (uint8_t)(q * 3 + tq_trit(x[base + n * stride], id));
			if (nt == 4)
				q = (uint8_t)(q * 3);
			b[byte] = (uint8_t)(((uint16_t)q * 256 + 242) / 243);
		}
		wr16(b + 52, eng_f32_to_f16(d));
	}
}

static void quant_tq2_0(const float *x, uint8_t *y, int64_t nbl)
{
	for (int64_t i = 0; i < nbl; i++, x += QK_K) {
		uint8_t *b = y + (size_t)i * sizeof(eng_blk_tq2_0);
		const float d = absmax(x, QK_K), id = d ? 1.0f / d : 0.0f;
		for (int byte = 0; byte < 64; byte++) {   /* element 128*(byte/32) + byte%32 + 32n in bits 2n */
			unsigned q = 0;
			for (int n = 0; n < 4; n++)
				q |= (unsigned)(tq_trit(x[128 * (byte / 32) + byte % 32 + 32 * n], id) & 3) << 2 * n;
			b[byte] = (uint8_t)q;
		}
		wr16(b + 64, eng_f32_to_f16(d));
	}
}

int eng_iq_needs_imatrix(int type)
{
	return type == ENG_T_IQ2_XXS || type == ENG_T_IQ2_XS || type == ENG_T_IQ1_S || type == ENG_T_IQ1_M;
}

int eng_iq_quant_ref(int type, const float *src, void *dst, int64_t n, const float *imatrix)
{
	if (!is_ours(type))
		return -1;
	if (n < 0 || n % QK_K != 0)
		return ENG_EINVAL;
	if (!imatrix && eng_iq_needs_imatrix(type))
		return ENG_EIMATRIX;
	const int64_t nbl = n / QK_K;
	uint8_t *y = dst;
	switch (type) {
	case ENG_T_IQ2_XXS: return quant_grid(type, &kind_iq2_xxs, src, y, nbl, imatrix);
	case ENG_T_IQ2_XS: return quant_grid(type, &kind_iq2_xs, src, y, nbl, imatrix);
	case ENG_T_IQ2_S: return quant_grid(type, &kind_iq2_s, src, y, nbl, imatrix);
	case ENG_T_IQ3_XXS: return quant_grid(type, &kind_iq3_xxs, src, y, nbl, imatrix);
	case ENG_T_IQ3_S: return quant_grid(type, &kind_iq3_s, src, y, nbl, imatrix);
	case ENG_T_IQ1_S: return quant_iq1_s(src, y, nbl, imatrix);
	case ENG_T_IQ1_M: return quant_iq1_m(src, y, nbl, imatrix);
	case ENG_T_TQ1_0: quant_tq1_0(src, y, nbl); return 0;
	default: quant_tq2_0(src, y, nbl); return 0;
	}
}


/* ---- the sign table, generated: entry f has 0xff in byte j when bit j of f's 8 sign bits
 * (f plus its parity as bit 7) is set ---- */
#define SGN_PAR(f) (((f) ^ (f) >> 1 ^ (f) >> 2 ^ (f) >> 3 ^ (f) >> 4 ^ (f) >> 5 ^ (f) >> 6) & 1)
#define SGN_BITS(f) ((f) | SGN_PAR(f) << 7)
#define SGN_B(f, j) ((uint64_t)(SGN_BITS(f) >> (j) & 1) * 0xffu << 8 * (j))
#define SGN_64(f) (SGN_B(f, 0) | SGN_B(f, 1) | SGN_B(f, 2) | SGN_B(f, 3) | SGN_B(f, 4) | SGN_B(f, 5) | SGN_B(f, 6) | SGN_B(f, 7))
#define SGN_4(f) SGN_64(f), SGN_64((f) + 1), SGN_64((f) + 2), SGN_64((f) + 3)
#define SGN_16(f) SGN_4(f), SGN_4((f) + 4), SGN_4((f) + 8), SGN_4((f) + 12)
const uint64_t eng_iq_signs64[128] = {
	SGN_16(0), SGN_16(16), SGN_16(32), SGN_16(48), SGN_16(64), SGN_16(80), SGN_16(96), SGN_16(112)
};

/* ---- the grids ----
 * These are part of the formats' definitions: lists of points of the E8 lattice (IQ2: magnitudes
 * 8, 25, 43; IQ3: 4 .. 62 and 1 .. 15) and of ternary vectors (IQ1), selected by their author for
 * how often they occur in quantized models. That selection cannot be rederived from the published
 * construction, so they are carried as data, taken from ggml's ggml-common.h (ik_llama.cpp commit
 * 8337e4cd3861406fc04e0854b1409cd1b027fbc9, the same values as llama.cpp's); tests/engine/
 * test_iq.c checks each against the FNV-1a 64 checksum of its little-endian bytes listed in
 * docs/quant-formats.md. */
const uint64_t eng_iq2xxs_grid[256] = {
	0x0808080808080808, 0x080808080808082b, 0x0808080808081919, 0x0808080808082b08,
	0x0808080808082b2b, 0x0808080808190819, 0x0808080808191908, 0x08080808082b0808,
	0x08080808082b082b, 0x08080808082b2b08, 0x08080808082b2b2b, 0x0808080819080819,
	0x0808080819081908, 0x0808080819190808, 0x0808080819192b08, 0x08080808192b0819,
	0x08080808192b1908, 0x080808082b080808, 0x080808082b08082b, 0x080808082b082b2b,
	0x080808082b2b082b, 0x0808081908080819, 0x0808081908081908, 0x0808081908190808,
	0x0808081908191919, 0x0808081919080808, 0x080808192b081908, 0x080808192b192b08,
	0x0808082b08080808, 0x0808082b0808082b, 0x0808082b082b082b, 0x0808082b2b08082b,
	0x0808190808080819, 0x0808190808081908, 0x0808190808190808, 0x08081908082b0819,
	0x08081908082b1908, 0x0808190819080808, 0x080819081908082b, 0x0808190819082b08,
	0x08081908192b0808, 0x080819082b080819, 0x080819082b081908, 0x080819082b190808,
	0x080819082b2b1908, 0x0808191908080808, 0x080819190808082b, 0x0808191908082b08,
	0x08081919082b0808, 0x080819191908192b, 0x08081919192b2b19, 0x080819192b080808,
	0x080819192b190819, 0x0808192b08082b19, 0x0808192b08190808, 0x0808192b19080808,
	0x0808192b2b081908, 0x0808192b2b2b1908, 0x08082b0808080808, 0x08082b0808081919,
	0x08082b0808082b08, 0x08082b0808191908, 0x08082b08082b2b08, 0x08082b0819080819,
	0x08082b0819081908, 0x08082b0819190808, 0x08082b081919082b, 0x08082b082b082b08,
	0x08082b1908081908, 0x08082b1919080808, 0x08082b2b0808082b, 0x08082b2b08191908,
	0x0819080808080819, 0x0819080808081908, 0x0819080808190808, 0x08190808082b0819,
	0x0819080819080808, 0x08190808192b0808, 0x081908082b081908, 0x081908082b190808,
	0x081908082b191919, 0x0819081908080808, 0x0819081908082b08, 0x08190819082b0808,
	0x0819081919190808, 0x0819081919192b2b, 0x081908192b080808, 0x0819082b082b1908,
	0x0819082b19081919, 0x0819190808080808, 0x0819190808082b08, 0x08191908082b0808,
	0x08191908082b1919, 0x0819190819082b19, 0x081919082b080808, 0x0819191908192b08,
	0x08191919192b082b, 0x0819192b08080808, 0x0819192b0819192b, 0x08192b0808080819,
	0x08192b0808081908, 0x08192b0808190808, 0x08192b0819080808, 0x08192b082b080819,
	0x08192b1908080808, 0x08192b1908081919, 0x08192b192b2b0808, 0x08192b2b19190819,
	0x082b080808080808, 0x082b08080808082b, 0x082b080808082b2b, 0x082b080819081908,
	0x082b0808192b0819, 0x082b08082b080808, 0x082b08082b08082b, 0x082b0819082b2b19,
	0x082b081919082b08, 0x082b082b08080808, 0x082b082b0808082b, 0x082b190808080819,
	0x082b190808081908, 0x082b190808190808, 0x082b190819080808, 0x082b19081919192b,
	0x082b191908080808, 0x082b191919080819, 0x082b1919192b1908, 0x082b192b2b190808,
	0x082b2b0808082b08, 0x082b2b08082b0808, 0x082b2b082b191908, 0x082b2b2b19081908,
	0x1908080808080819, 0x1908080808081908, 0x1908080808190808, 0x1908080808192b08,
	0x19080808082b0819, 0x19080808082b1908, 0x1908080819080808, 0x1908080819082b08,
	0x190808081919192b, 0x19080808192b0808, 0x190808082b080819, 0x190808082b081908,
	0x190808082b190808, 0x1908081908080808, 0x19080819082b0808, 0x19080819192b0819,
	0x190808192b080808, 0x190808192b081919, 0x1908082b08080819, 0x1908082b08190808,
	0x1908082b19082b08, 0x1908082b1919192b, 0x1908082b192b2b08, 0x1908190808080808,
	0x1908190808082b08, 0x19081908082b0808, 0x190819082b080808, 0x190819082b192b19,
	0x190819190819082b, 0x19081919082b1908, 0x1908192b08080808, 0x19082b0808080819,
	0x19082b0808081908, 0x19082b0808190808, 0x19082b0819080808, 0x19082b0819081919,
	0x19082b1908080808, 0x19082b1919192b08, 0x19082b19192b0819, 0x19082b192b08082b,
	0x19082b2b19081919, 0x19082b2b2b190808, 0x1919080808080808, 0x1919080808082b08,
	0x1919080808190819, 0x1919080808192b19, 0x19190808082b0808, 0x191908082b080808,
	0x191908082b082b08, 0x1919081908081908, 0x191908191908082b, 0x191908192b2b1908,
	0x1919082b2b190819, 0x191919082b190808, 0x191919082b19082b, 0x1919191908082b2b,
	0x1919192b08080819, 0x1919192b19191908, 0x19192b0808080808, 0x19192b0808190819,
	0x19192b0808192b19, 0x19192b08192b1908, 0x19192b1919080808, 0x19192b2b08082b08,
	0x192b080808081908, 0x192b080808190808, 0x192b080819080808, 0x192b0808192b2b08,
	0x192b081908080808, 0x192b081919191919, 0x192b082b08192b08, 0x192b082b192b0808,
	0x192b190808080808, 0x192b190808081919, 0x192b191908190808, 0x192b19190819082b,
	0x192b19192b081908, 0x192b2b081908082b, 0x2b08080808080808, 0x2b0808080808082b,
	0x2b08080808082b2b, 0x2b08080819080819, 0x2b0808082b08082b, 0x2b08081908081908,
	0x2b08081908192b08, 0x2b08081919080808, 0x2b08082b08190819, 0x2b08190808080819,
	0x2b08190808081908, 0x2b08190808190808, 0x2b08190808191919, 0x2b08190819080808,
	0x2b081908192b0808, 0x2b08191908080808, 0x2b0819191908192b, 0x2b0819192b191908,
	0x2b08192b08082b19, 0x2b08192b19080808, 0x2b08192b192b0808, 0x2b082b080808082b,
	0x2b082b1908081908, 0x2b082b2b08190819, 0x2b19080808081908, 0x2b19080808190808,
	0x2b190808082b1908, 0x2b19080819080808, 0x2b1908082b2b0819, 0x2b1908190819192b,
	0x2b1908192b080808, 0x2b19082b19081919, 0x2b19190808080808, 0x2b191908082b082b,
	0x2b19190819081908, 0x2b19191919190819, 0x2b192b082b080819, 0x2b192b19082b0808,
	0x2b2b08080808082b, 0x2b2b080819190808, 0x2b2b08082b081919, 0x2b2b081908082b19,
	0x2b2b082b08080808, 0x2b2b190808192b08, 0x2b2b2b0819190808, 0x2b2b2b1908081908,
};

const uint64_t eng_iq2xs_grid[512] = {
	0x0808080808080808, 0x080808080808082b, 0x0808080808081919, 0x0808080808082b08,
	0x0808080808082b2b, 0x0808080808190819, 0x0808080808191908, 0x080808080819192b,
	0x0808080808192b19, 0x08080808082b0808, 0x08080808082b082b, 0x08080808082b1919,
	0x08080808082b2b08, 0x0808080819080819, 0x0808080819081908, 0x080808081908192b,
	0x0808080819082b19, 0x0808080819190808, 0x080808081919082b, 0x0808080819191919,
	0x0808080819192b08, 0x08080808192b0819, 0x08080808192b1908, 0x080808082b080808,
	0x080808082b08082b, 0x080808082b081919, 0x080808082b082b08, 0x080808082b190819,
	0x080808082b191908, 0x080808082b192b19, 0x080808082b2b0808, 0x0808081908080819,
	0x0808081908081908, 0x080808190808192b, 0x0808081908082b19, 0x0808081908190808,
	0x080808190819082b, 0x0808081908191919, 0x0808081908192b08, 0x0808081908192b2b,
	0x08080819082b0819, 0x08080819082b1908, 0x0808081919080808, 0x080808191908082b,
	0x0808081919081919, 0x0808081919082b08, 0x0808081919190819, 0x0808081919191908,
	0x08080819192b0808, 0x08080819192b2b08, 0x080808192b080819, 0x080808192b081908,
	0x080808192b190808, 0x0808082b08080808, 0x0808082b0808082b, 0x0808082b08081919,
	0x0808082b08082b08, 0x0808082b08190819, 0x0808082b08191908, 0x0808082b082b0808,
	0x0808082b19080819, 0x0808082b19081908, 0x0808082b19190808, 0x0808082b19191919,
	0x0808082b2b080808, 0x0808082b2b082b2b, 0x0808190808080819, 0x0808190808081908,
	0x080819080808192b, 0x0808190808082b19, 0x0808190808190808, 0x080819080819082b,
	0x0808190808191919, 0x0808190808192b08, 0x08081908082b0819, 0x08081908082b1908,
	0x0808190819080808, 0x080819081908082b, 0x0808190819081919, 0x0808190819082b08,
	0x0808190819190819, 0x0808190819191908, 0x080819081919192b, 0x08081908192b0808,
	0x080819082b080819, 0x080819082b081908, 0x080819082b190808, 0x0808191908080808,
	0x080819190808082b, 0x0808191908081919, 0x0808191908082b08, 0x0808191908190819,
	0x0808191908191908, 0x08081919082b0808, 0x0808191919080819, 0x0808191919081908,
	0x0808191919190808, 0x08081919192b0819, 0x080819192b080808, 0x0808192b08080819,
	0x0808192b08081908, 0x0808192b08190808, 0x0808192b082b192b, 0x0808192b19080808,
	0x0808192b1908082b, 0x0808192b2b081908, 0x08082b0808080808, 0x08082b080808082b,
	0x08082b0808081919, 0x08082b0808082b08, 0x08082b0808082b2b, 0x08082b0808190819,
	0x08082b0808191908, 0x08082b08082b0808, 0x08082b08082b1919, 0x08082b0819080819,
	0x08082b0819081908, 0x08082b0819190808, 0x08082b0819192b08, 0x08082b082b080808,
	0x08082b082b2b0808, 0x08082b082b2b2b2b, 0x08082b1908080819, 0x08082b1908081908,
	0x08082b1908190808, 0x08082b1919080808, 0x08082b192b080819, 0x08082b192b082b19,
	0x08082b2b08080808, 0x08082b2b082b0808, 0x08082b2b082b2b08, 0x08082b2b2b19192b,
	0x08082b2b2b2b0808, 0x0819080808080819, 0x0819080808081908, 0x081908080808192b,
	0x0819080808082b19, 0x0819080808190808, 0x081908080819082b, 0x0819080808191919,
	0x0819080808192b08, 0x08190808082b0819, 0x08190808082b1908, 0x0819080819080808,
	0x081908081908082b, 0x0819080819081919, 0x0819080819082b08, 0x0819080819190819,
	0x0819080819191908, 0x08190808192b0808, 0x08190808192b2b2b, 0x081908082b080819,
	0x081908082b081908, 0x081908082b190808, 0x0819081908080808, 0x081908190808082b,
	0x0819081908081919, 0x0819081908082b08, 0x0819081908190819, 0x0819081908191908,
	0x08190819082b0808, 0x0819081919080819, 0x0819081919081908, 0x0819081919190808,
	0x081908192b080808, 0x081908192b191908, 0x081908192b19192b, 0x0819082b08080819,
	0x0819082b08081908, 0x0819082b0808192b, 0x0819082b08190808, 0x0819082b19080808,
	0x0819082b192b0808, 0x0819190808080808, 0x081919080808082b, 0x0819190808081919,
	0x0819190808082b08, 0x0819190808190819, 0x0819190808191908, 0x08191908082b0808,
	0x0819190819080819, 0x0819190819081908, 0x0819190819082b19, 0x0819190819190808,
	0x08191908192b1908, 0x081919082b080808, 0x0819191908080819, 0x0819191908081908,
	0x0819191908190808, 0x0819191919080808, 0x0819192b08080808, 0x0819192b08191908,
	0x0819192b19082b19, 0x08192b0808080819, 0x08192b0808081908, 0x08192b0808190808,
	0x08192b080819082b, 0x08192b0819080808, 0x08192b0819191908, 0x08192b082b08192b,
	0x08192b1908080808, 0x08192b1908081919, 0x08192b19192b192b, 0x08192b2b19190819,
	0x08192b2b2b2b2b19, 0x082b080808080808, 0x082b08080808082b, 0x082b080808081919,
	0x082b080808082b08, 0x082b080808082b2b, 0x082b080808190819, 0x082b080808191908,
	0x082b0808082b0808, 0x082b080819080819, 0x082b080819081908, 0x082b080819190808,
	0x082b08082b080808, 0x082b08082b2b0808, 0x082b081908080819, 0x082b081908081908,
	0x082b081908190808, 0x082b081919080808, 0x082b081919082b08, 0x082b0819192b1919,
	0x082b082b08080808, 0x082b082b082b082b, 0x082b082b2b080808, 0x082b082b2b2b2b08,
	0x082b190808080819, 0x082b190808081908, 0x082b190808190808, 0x082b1908082b2b19,
	0x082b190819080808, 0x082b191908080808, 0x082b191919080819, 0x082b19191919082b,
	0x082b19192b192b19, 0x082b192b08080819, 0x082b192b08192b2b, 0x082b192b2b2b192b,
	0x082b2b0808080808, 0x082b2b0808082b08, 0x082b2b0808082b2b, 0x082b2b08082b0808,
	0x082b2b0819191919, 0x082b2b082b082b08, 0x082b2b082b2b082b, 0x082b2b19192b2b08,
	0x082b2b192b190808, 0x082b2b2b08082b08, 0x082b2b2b082b0808, 0x082b2b2b2b08082b,
	0x082b2b2b2b082b08, 0x082b2b2b2b082b2b, 0x1908080808080819, 0x1908080808081908,
	0x190808080808192b, 0x1908080808082b19, 0x1908080808190808, 0x190808080819082b,
	0x1908080808191919, 0x1908080808192b08, 0x19080808082b0819, 0x19080808082b1908,
	0x1908080819080808, 0x190808081908082b, 0x1908080819081919, 0x1908080819082b08,
	0x1908080819082b2b, 0x1908080819190819, 0x1908080819191908, 0x19080808192b0808,
	0x19080808192b1919, 0x190808082b080819, 0x190808082b081908, 0x190808082b190808,
	0x1908081908080808, 0x190808190808082b, 0x1908081908081919, 0x1908081908082b08,
	0x1908081908190819, 0x1908081908191908, 0x19080819082b0808, 0x1908081919080819,
	0x1908081919081908, 0x1908081919190808, 0x190808192b080808, 0x190808192b081919,
	0x190808192b2b082b, 0x1908082b08080819, 0x1908082b08081908, 0x1908082b08190808,
	0x1908082b0819082b, 0x1908082b082b2b19, 0x1908082b19080808, 0x1908190808080808,
	0x190819080808082b, 0x1908190808081919, 0x1908190808082b08, 0x1908190808190819,
	0x1908190808191908, 0x1908190808192b19, 0x19081908082b0808, 0x1908190819080819,
	0x1908190819081908, 0x1908190819190808, 0x190819082b080808, 0x190819082b191908,
	0x1908191908080819, 0x1908191908081908, 0x1908191908190808, 0x19081919082b1908,
	0x1908191919080808, 0x190819192b192b2b, 0x1908192b08080808, 0x1908192b08082b2b,
	0x1908192b19081908, 0x1908192b19190808, 0x19082b0808080819, 0x19082b0808081908,
	0x19082b0808190808, 0x19082b0819080808, 0x19082b0819081919, 0x19082b0819191908,
	0x19082b08192b082b, 0x19082b1908080808, 0x19082b1908190819, 0x19082b1919081908,
	0x19082b1919190808, 0x19082b19192b2b19, 0x19082b2b08081908, 0x1919080808080808,
	0x191908080808082b, 0x1919080808081919, 0x1919080808082b08, 0x1919080808190819,
	0x1919080808191908, 0x19190808082b0808, 0x19190808082b2b08, 0x1919080819080819,
	0x1919080819081908, 0x1919080819190808, 0x191908082b080808, 0x1919081908080819,
	0x1919081908081908, 0x1919081908190808, 0x1919081908191919, 0x1919081919080808,
	0x191908191908082b, 0x1919082b08080808, 0x1919082b19081908, 0x1919082b2b2b2b2b,
	0x1919190808080819, 0x1919190808081908, 0x1919190808190808, 0x19191908082b0819,
	0x1919190819080808, 0x19191908192b0808, 0x191919082b080819, 0x191919082b2b0819,
	0x1919191908080808, 0x1919191908082b08, 0x191919192b080808, 0x191919192b082b08,
	0x1919192b082b0819, 0x1919192b192b2b08, 0x1919192b2b2b0819, 0x19192b0808080808,
	0x19192b0808191908, 0x19192b0819080819, 0x19192b0819190808, 0x19192b082b192b19,
	0x19192b1908192b2b, 0x19192b1919080808, 0x19192b191908082b, 0x19192b2b2b081919,
	0x192b080808080819, 0x192b080808081908, 0x192b080808190808, 0x192b080819080808,
	0x192b080819191908, 0x192b0808192b082b, 0x192b08082b08192b, 0x192b08082b2b2b19,
	0x192b081908080808, 0x192b082b082b1908, 0x192b082b19082b2b, 0x192b082b2b19082b,
	0x192b190808080808, 0x192b19080819192b, 0x192b191908190808, 0x192b191919080808,
	0x192b191919081919, 0x192b19192b2b1908, 0x192b2b0808080819, 0x192b2b08192b2b2b,
	0x192b2b19082b1919, 0x192b2b2b0808192b, 0x192b2b2b19191908, 0x192b2b2b192b082b,
	0x2b08080808080808, 0x2b0808080808082b, 0x2b08080808081919, 0x2b08080808082b08,
	0x2b08080808190819, 0x2b08080808191908, 0x2b080808082b0808, 0x2b080808082b2b2b,
	0x2b08080819080819, 0x2b08080819081908, 0x2b08080819190808, 0x2b0808082b080808,
	0x2b0808082b08082b, 0x2b0808082b2b2b08, 0x2b0808082b2b2b2b, 0x2b08081908080819,
	0x2b08081908081908, 0x2b0808190808192b, 0x2b08081908190808, 0x2b08081919080808,
	0x2b08081919190819, 0x2b08081919192b19, 0x2b08082b08080808, 0x2b08082b082b0808,
	0x2b08082b2b080808, 0x2b08082b2b08082b, 0x2b08082b2b2b0808, 0x2b08082b2b2b2b08,
	0x2b08190808080819, 0x2b08190808081908, 0x2b08190808190808, 0x2b0819080819082b,
	0x2b08190808191919, 0x2b08190819080808, 0x2b081908192b0808, 0x2b0819082b082b19,
	0x2b08191908080808, 0x2b08191919081908, 0x2b0819192b2b1919, 0x2b08192b08192b08,
	0x2b08192b192b2b2b, 0x2b082b0808080808, 0x2b082b0808082b08, 0x2b082b08082b1919,
	0x2b082b0819192b2b, 0x2b082b082b080808, 0x2b082b082b08082b, 0x2b082b082b2b2b08,
	0x2b082b190808192b, 0x2b082b2b082b082b, 0x2b082b2b2b080808, 0x2b082b2b2b082b08,
	0x2b082b2b2b19192b, 0x2b082b2b2b2b2b08, 0x2b19080808080819, 0x2b19080808081908,
	0x2b19080808190808, 0x2b19080819080808, 0x2b1908081919192b, 0x2b1908082b081908,
	0x2b19081908080808, 0x2b190819082b082b, 0x2b190819192b1908, 0x2b19082b1919192b,
	0x2b19082b2b082b19, 0x2b19190808080808, 0x2b19190808081919, 0x2b19190819081908,
	0x2b19190819190808, 0x2b19190819192b08, 0x2b191919082b2b19, 0x2b1919192b190808,
	0x2b1919192b19082b, 0x2b19192b19080819, 0x2b192b0819190819, 0x2b192b082b2b192b,
	0x2b192b1919082b19, 0x2b192b2b08191919, 0x2b192b2b192b0808, 0x2b2b080808080808,
	0x2b2b08080808082b, 0x2b2b080808082b08, 0x2b2b080808082b2b, 0x2b2b0808082b0808,
	0x2b2b0808082b2b2b, 0x2b2b08082b2b0808, 0x2b2b081919190819, 0x2b2b081919192b19,
	0x2b2b08192b2b192b, 0x2b2b082b08080808, 0x2b2b082b0808082b, 0x2b2b082b08082b08,
	0x2b2b082b082b2b2b, 0x2b2b082b2b080808, 0x2b2b082b2b2b0808, 0x2b2b190819080808,
	0x2b2b19082b191919, 0x2b2b192b192b1919, 0x2b2b192b2b192b08, 0x2b2b2b0808082b2b,
	0x2b2b2b08082b0808, 0x2b2b2b08082b082b, 0x2b2b2b08082b2b08, 0x2b2b2b082b2b0808,
	0x2b2b2b082b2b2b08, 0x2b2b2b1908081908, 0x2b2b2b192b081908, 0x2b2b2b192b08192b,
	0x2b2b2b2b082b2b08, 0x2b2b2b2b082b2b2b, 0x2b2b2b2b2b190819, 0x2b2b2b2b2b2b2b2b,
};

const uint64_t eng_iq2s_grid[1024] = {
	0x0808080808080808, 0x080808080808082b, 0x0808080808081919, 0x0808080808082b08,
	0x0808080808082b2b, 0x0808080808190819, 0x0808080808191908, 0x080808080819192b,
	0x0808080808192b19, 0x08080808082b0808, 0x08080808082b082b, 0x08080808082b1919,
	0x08080808082b2b08, 0x0808080819080819, 0x0808080819081908, 0x080808081908192b,
	0x0808080819082b19, 0x0808080819190808, 0x080808081919082b, 0x0808080819191919,
	0x0808080819192b08, 0x08080808192b0819, 0x08080808192b1908, 0x08080808192b192b,
	0x08080808192b2b19, 0x080808082b080808, 0x080808082b08082b, 0x080808082b081919,
	0x080808082b082b08, 0x080808082b190819, 0x080808082b191908, 0x080808082b2b0808,
	0x080808082b2b1919, 0x080808082b2b2b2b, 0x0808081908080819, 0x0808081908081908,
	0x080808190808192b, 0x0808081908082b19, 0x0808081908190808, 0x080808190819082b,
	0x0808081908191919, 0x0808081908192b08, 0x08080819082b0819, 0x08080819082b1908,
	0x0808081919080808, 0x080808191908082b, 0x0808081919081919, 0x0808081919082b08,
	0x0808081919190819, 0x0808081919191908, 0x080808191919192b, 0x0808081919192b19,
	0x08080819192b0808, 0x08080819192b1919, 0x08080819192b2b08, 0x080808192b080819,
	0x080808192b081908, 0x080808192b190808, 0x080808192b19082b, 0x080808192b191919,
	0x080808192b2b0819, 0x080808192b2b1908, 0x0808082b08080808, 0x0808082b0808082b,
	0x0808082b08081919, 0x0808082b08082b08, 0x0808082b08190819, 0x0808082b08191908,
	0x0808082b082b0808, 0x0808082b082b2b2b, 0x0808082b19080819, 0x0808082b19081908,
	0x0808082b1908192b, 0x0808082b19082b19, 0x0808082b19190808, 0x0808082b19191919,
	0x0808082b2b080808, 0x0808082b2b081919, 0x0808082b2b082b2b, 0x0808082b2b191908,
	0x0808082b2b2b082b, 0x0808190808080819, 0x0808190808081908, 0x080819080808192b,
	0x0808190808082b19, 0x0808190808190808, 0x080819080819082b, 0x0808190808191919,
	0x0808190808192b08, 0x08081908082b0819, 0x08081908082b1908, 0x08081908082b192b,
	0x08081908082b2b19, 0x0808190819080808, 0x080819081908082b, 0x0808190819081919,
	0x0808190819082b08, 0x0808190819082b2b, 0x0808190819190819, 0x0808190819191908,
	0x080819081919192b, 0x0808190819192b19, 0x08081908192b0808, 0x08081908192b082b,
	0x08081908192b1919, 0x080819082b080819, 0x080819082b081908, 0x080819082b08192b,
	0x080819082b082b19, 0x080819082b190808, 0x080819082b191919, 0x080819082b192b08,
	0x080819082b2b0819, 0x080819082b2b1908, 0x0808191908080808, 0x080819190808082b,
	0x0808191908081919, 0x0808191908082b08, 0x0808191908082b2b, 0x0808191908190819,
	0x0808191908191908, 0x080819190819192b, 0x0808191908192b19, 0x08081919082b0808,
	0x08081919082b1919, 0x08081919082b2b08, 0x0808191919080819, 0x0808191919081908,
	0x080819191908192b, 0x0808191919082b19, 0x0808191919190808, 0x080819191919082b,
	0x0808191919191919, 0x0808191919192b08, 0x08081919192b0819, 0x08081919192b1908,
	0x080819192b080808, 0x080819192b08082b, 0x080819192b081919, 0x080819192b082b08,
	0x080819192b190819, 0x080819192b191908, 0x080819192b2b0808, 0x0808192b08080819,
	0x0808192b08081908, 0x0808192b0808192b, 0x0808192b08082b19, 0x0808192b08190808,
	0x0808192b08191919, 0x0808192b19080808, 0x0808192b19081919, 0x0808192b19082b08,
	0x0808192b19190819, 0x0808192b19191908, 0x0808192b192b0808, 0x0808192b2b080819,
	0x0808192b2b081908, 0x0808192b2b190808, 0x08082b0808080808, 0x08082b080808082b,
	0x08082b0808081919, 0x08082b0808082b08, 0x08082b0808190819, 0x08082b0808191908,
	0x08082b080819192b, 0x08082b0808192b19, 0x08082b08082b0808, 0x08082b08082b1919,
	0x08082b08082b2b2b, 0x08082b0819080819, 0x08082b0819081908, 0x08082b081908192b,
	0x08082b0819082b19, 0x08082b0819190808, 0x08082b081919082b, 0x08082b0819191919,
	0x08082b0819192b08, 0x08082b08192b0819, 0x08082b08192b1908, 0x08082b082b080808,
	0x08082b082b081919, 0x08082b082b191908, 0x08082b082b2b2b2b, 0x08082b1908080819,
	0x08082b1908081908, 0x08082b1908190808, 0x08082b190819082b, 0x08082b1908191919,
	0x08082b1908192b08, 0x08082b19082b0819, 0x08082b1919080808, 0x08082b1919081919,
	0x08082b1919082b08, 0x08082b1919190819, 0x08082b1919191908, 0x08082b19192b0808,
	0x08082b192b080819, 0x08082b192b190808, 0x08082b2b08080808, 0x08082b2b08190819,
	0x08082b2b08191908, 0x08082b2b082b082b, 0x08082b2b082b2b08, 0x08082b2b082b2b2b,
	0x08082b2b19190808, 0x08082b2b2b192b19, 0x0819080808080819, 0x0819080808081908,
	0x081908080808192b, 0x0819080808082b19, 0x0819080808190808, 0x081908080819082b,
	0x0819080808191919, 0x0819080808192b08, 0x08190808082b0819, 0x08190808082b1908,
	0x08190808082b192b, 0x0819080819080808, 0x081908081908082b, 0x0819080819081919,
	0x0819080819082b08, 0x0819080819190819, 0x0819080819191908, 0x081908081919192b,
	0x0819080819192b19, 0x08190808192b0808, 0x08190808192b082b, 0x08190808192b1919,
	0x08190808192b2b08, 0x081908082b080819, 0x081908082b081908, 0x081908082b08192b,
	0x081908082b190808, 0x081908082b191919, 0x081908082b192b08, 0x081908082b2b0819,
	0x081908082b2b1908, 0x0819081908080808, 0x081908190808082b, 0x0819081908081919,
	0x0819081908082b08, 0x0819081908082b2b, 0x0819081908190819, 0x0819081908191908,
	0x081908190819192b, 0x0819081908192b19, 0x08190819082b0808, 0x08190819082b082b,
	0x08190819082b1919, 0x08190819082b2b08, 0x0819081919080819, 0x0819081919081908,
	0x081908191908192b, 0x0819081919082b19, 0x0819081919190808, 0x081908191919082b,
	0x0819081919191919, 0x0819081919192b08, 0x08190819192b0819, 0x08190819192b1908,
	0x081908192b080808, 0x081908192b08082b, 0x081908192b081919, 0x081908192b082b08,
	0x081908192b190819, 0x081908192b191908, 0x0819082b08080819, 0x0819082b08081908,
	0x0819082b08082b19, 0x0819082b08190808, 0x0819082b08191919, 0x0819082b082b0819,
	0x0819082b082b1908, 0x0819082b19080808, 0x0819082b19081919, 0x0819082b19190819,
	0x0819082b19191908, 0x0819082b2b080819, 0x0819082b2b081908, 0x0819082b2b190808,
	0x0819190808080808, 0x081919080808082b, 0x0819190808081919, 0x0819190808082b08,
	0x0819190808190819, 0x0819190808191908, 0x081919080819192b, 0x0819190808192b19,
	0x08191908082b0808, 0x08191908082b1919, 0x08191908082b2b08, 0x0819190819080819,
	0x0819190819081908, 0x081919081908192b, 0x0819190819082b19, 0x0819190819190808,
	0x081919081919082b, 0x0819190819191919, 0x0819190819192b08, 0x08191908192b0819,
	0x08191908192b1908, 0x081919082b080808, 0x081919082b08082b, 0x081919082b081919,
	0x081919082b082b08, 0x081919082b190819, 0x081919082b191908, 0x081919082b2b0808,
	0x0819191908080819, 0x0819191908081908, 0x081919190808192b, 0x0819191908082b19,
	0x0819191908190808, 0x081919190819082b, 0x0819191908191919, 0x0819191908192b08,
	0x08191919082b0819, 0x08191919082b1908, 0x0819191919080808, 0x081919191908082b,
	0x0819191919081919, 0x0819191919082b08, 0x0819191919190819, 0x0819191919191908,
	0x08191919192b0808, 0x081919192b080819, 0x081919192b081908, 0x081919192b190808,
	0x0819192b08080808, 0x0819192b08081919, 0x0819192b08082b08, 0x0819192b08190819,
	0x0819192b08191908, 0x0819192b082b0808, 0x0819192b19080819, 0x0819192b19081908,
	0x0819192b19190808, 0x0819192b2b080808, 0x0819192b2b2b2b2b, 0x08192b0808080819,
	0x08192b0808081908, 0x08192b080808192b, 0x08192b0808082b19, 0x08192b0808190808,
	0x08192b0808191919, 0x08192b0808192b08, 0x08192b08082b0819, 0x08192b0819080808,
	0x08192b081908082b, 0x08192b0819081919, 0x08192b0819082b08, 0x08192b0819190819,
	0x08192b0819191908, 0x08192b08192b0808, 0x08192b082b080819, 0x08192b082b081908,
	0x08192b1908080808, 0x08192b190808082b, 0x08192b1908081919, 0x08192b1908082b08,
	0x08192b1908190819, 0x08192b1908191908, 0x08192b19082b0808, 0x08192b1919080819,
	0x08192b1919081908, 0x08192b1919190808, 0x08192b19192b2b19, 0x08192b192b2b082b,
	0x08192b2b08081908, 0x08192b2b08190808, 0x08192b2b19080808, 0x08192b2b1919192b,
	0x082b080808080808, 0x082b08080808082b, 0x082b080808081919, 0x082b080808082b08,
	0x082b080808190819, 0x082b080808191908, 0x082b08080819192b, 0x082b080808192b19,
	0x082b0808082b0808, 0x082b0808082b1919, 0x082b0808082b2b2b, 0x082b080819080819,
	0x082b080819081908, 0x082b080819190808, 0x082b08081919082b, 0x082b080819191919,
	0x082b0808192b1908, 0x082b08082b080808, 0x082b08082b082b2b, 0x082b08082b191908,
	0x082b08082b2b2b2b, 0x082b081908080819, 0x082b081908081908, 0x082b081908190808,
	0x082b08190819082b, 0x082b081908191919, 0x082b0819082b0819, 0x082b081919080808,
	0x082b08191908082b, 0x082b081919081919, 0x082b081919190819, 0x082b081919191908,
	0x082b0819192b0808, 0x082b08192b080819, 0x082b08192b081908, 0x082b08192b190808,
	0x082b082b08080808, 0x082b082b08082b2b, 0x082b082b082b082b, 0x082b082b082b2b08,
	0x082b082b082b2b2b, 0x082b082b19081908, 0x082b082b19190808, 0x082b082b2b082b08,
	0x082b082b2b082b2b, 0x082b082b2b2b2b08, 0x082b190808080819, 0x082b190808081908,
	0x082b19080808192b, 0x082b190808082b19, 0x082b190808190808, 0x082b190808191919,
	0x082b190808192b08, 0x082b1908082b0819, 0x082b1908082b1908, 0x082b190819080808,
	0x082b19081908082b, 0x082b190819081919, 0x082b190819082b08, 0x082b190819190819,
	0x082b190819191908, 0x082b1908192b0808, 0x082b19082b080819, 0x082b19082b081908,
	0x082b19082b190808, 0x082b191908080808, 0x082b191908081919, 0x082b191908082b08,
	0x082b191908190819, 0x082b191908191908, 0x082b1919082b0808, 0x082b191919080819,
	0x082b191919081908, 0x082b191919190808, 0x082b1919192b192b, 0x082b19192b080808,
	0x082b192b08080819, 0x082b192b08081908, 0x082b192b08190808, 0x082b192b19080808,
	0x082b192b19192b19, 0x082b2b0808080808, 0x082b2b0808081919, 0x082b2b0808190819,
	0x082b2b0808191908, 0x082b2b0819080819, 0x082b2b0819081908, 0x082b2b0819190808,
	0x082b2b082b082b2b, 0x082b2b082b2b2b2b, 0x082b2b1908080819, 0x082b2b1908081908,
	0x082b2b1908190808, 0x082b2b192b191919, 0x082b2b2b08082b2b, 0x082b2b2b082b082b,
	0x082b2b2b192b1908, 0x082b2b2b2b082b08, 0x082b2b2b2b082b2b, 0x1908080808080819,
	0x1908080808081908, 0x190808080808192b, 0x1908080808082b19, 0x1908080808190808,
	0x190808080819082b, 0x1908080808191919, 0x1908080808192b08, 0x1908080808192b2b,
	0x19080808082b0819, 0x19080808082b1908, 0x19080808082b192b, 0x1908080819080808,
	0x190808081908082b, 0x1908080819081919, 0x1908080819082b08, 0x1908080819082b2b,
	0x1908080819190819, 0x1908080819191908, 0x190808081919192b, 0x1908080819192b19,
	0x19080808192b0808, 0x19080808192b082b, 0x19080808192b1919, 0x190808082b080819,
	0x190808082b081908, 0x190808082b190808, 0x190808082b191919, 0x190808082b192b08,
	0x190808082b2b0819, 0x190808082b2b1908, 0x1908081908080808, 0x190808190808082b,
	0x1908081908081919, 0x1908081908082b08, 0x1908081908190819, 0x1908081908191908,
	0x190808190819192b, 0x1908081908192b19, 0x19080819082b0808, 0x19080819082b082b,
	0x19080819082b1919, 0x1908081919080819, 0x1908081919081908, 0x190808191908192b,
	0x1908081919082b19, 0x1908081919190808, 0x190808191919082b, 0x1908081919191919,
	0x1908081919192b08, 0x19080819192b0819, 0x19080819192b1908, 0x190808192b080808,
	0x190808192b08082b, 0x190808192b081919, 0x190808192b082b08, 0x190808192b190819,
	0x190808192b191908, 0x190808192b2b0808, 0x1908082b08080819, 0x1908082b08081908,
	0x1908082b08190808, 0x1908082b0819082b, 0x1908082b08191919, 0x1908082b08192b08,
	0x1908082b082b1908, 0x1908082b19080808, 0x1908082b19081919, 0x1908082b19082b08,
	0x1908082b19190819, 0x1908082b19191908, 0x1908082b192b0808, 0x1908082b2b080819,
	0x1908082b2b081908, 0x1908190808080808, 0x190819080808082b, 0x1908190808081919,
	0x1908190808082b08, 0x1908190808082b2b, 0x1908190808190819, 0x1908190808191908,
	0x190819080819192b, 0x1908190808192b19, 0x19081908082b0808, 0x19081908082b082b,
	0x19081908082b1919, 0x19081908082b2b08, 0x1908190819080819, 0x1908190819081908,
	0x190819081908192b, 0x1908190819082b19, 0x1908190819190808, 0x190819081919082b,
	0x1908190819191919, 0x1908190819192b08, 0x19081908192b0819, 0x19081908192b1908,
	0x190819082b080808, 0x190819082b08082b, 0x190819082b081919, 0x190819082b082b08,
	0x190819082b190819, 0x190819082b191908, 0x190819082b2b0808, 0x1908191908080819,
	0x1908191908081908, 0x190819190808192b, 0x1908191908082b19, 0x1908191908190808,
	0x190819190819082b, 0x1908191908191919, 0x1908191908192b08, 0x19081919082b0819,
	0x19081919082b1908, 0x1908191919080808, 0x190819191908082b, 0x1908191919081919,
	0x1908191919082b08, 0x1908191919190819, 0x1908191919191908, 0x19081919192b0808,
	0x19081919192b2b2b, 0x190819192b080819, 0x190819192b081908, 0x190819192b190808,
	0x1908192b08080808, 0x1908192b0808082b, 0x1908192b08081919, 0x1908192b08082b08,
	0x1908192b08190819, 0x1908192b08191908, 0x1908192b082b0808, 0x1908192b19080819,
	0x1908192b19081908, 0x1908192b19190808, 0x1908192b2b080808, 0x1908192b2b2b1919,
	0x19082b0808080819, 0x19082b0808081908, 0x19082b0808082b19, 0x19082b0808190808,
	0x19082b080819082b, 0x19082b0808191919, 0x19082b0808192b08, 0x19082b08082b0819,
	0x19082b08082b1908, 0x19082b0819080808, 0x19082b081908082b, 0x19082b0819081919,
	0x19082b0819082b08, 0x19082b0819190819, 0x19082b0819191908, 0x19082b08192b0808,
	0x19082b082b081908, 0x19082b082b190808, 0x19082b1908080808, 0x19082b190808082b,
	0x19082b1908081919, 0x19082b1908082b08, 0x19082b1908190819, 0x19082b1908191908,
	0x19082b19082b0808, 0x19082b1919080819, 0x19082b1919081908, 0x19082b1919190808,
	0x19082b192b080808, 0x19082b192b19192b, 0x19082b2b08080819, 0x19082b2b08081908,
	0x19082b2b08190808, 0x19082b2b19080808, 0x1919080808080808, 0x191908080808082b,
	0x1919080808081919, 0x1919080808082b08, 0x1919080808190819, 0x1919080808191908,
	0x191908080819192b, 0x1919080808192b19, 0x19190808082b0808, 0x19190808082b082b,
	0x19190808082b1919, 0x19190808082b2b08, 0x1919080819080819, 0x1919080819081908,
	0x191908081908192b, 0x1919080819082b19, 0x1919080819190808, 0x191908081919082b,
	0x1919080819191919, 0x1919080819192b08, 0x19190808192b0819, 0x19190808192b1908,
	0x191908082b080808, 0x191908082b08082b, 0x191908082b081919, 0x191908082b082b08,
	0x191908082b190819, 0x191908082b191908, 0x1919081908080819, 0x1919081908081908,
	0x191908190808192b, 0x1919081908082b19, 0x1919081908190808, 0x191908190819082b,
	0x1919081908191919, 0x1919081908192b08, 0x19190819082b0819, 0x19190819082b1908,
	0x1919081919080808, 0x191908191908082b, 0x1919081919081919, 0x1919081919082b08,
	0x1919081919190819, 0x1919081919191908, 0x19190819192b0808, 0x191908192b080819,
	0x191908192b081908, 0x191908192b190808, 0x1919082b08080808, 0x1919082b08081919,
	0x1919082b08082b08, 0x1919082b08190819, 0x1919082b08191908, 0x1919082b082b0808,
	0x1919082b19080819, 0x1919082b19081908, 0x1919082b19190808, 0x1919082b192b2b19,
	0x1919082b2b080808, 0x1919190808080819, 0x1919190808081908, 0x191919080808192b,
	0x1919190808082b19, 0x1919190808190808, 0x191919080819082b, 0x1919190808191919,
	0x1919190808192b08, 0x19191908082b0819, 0x19191908082b1908, 0x1919190819080808,
	0x191919081908082b, 0x1919190819081919, 0x1919190819082b08, 0x1919190819190819,
	0x1919190819191908, 0x19191908192b0808, 0x191919082b080819, 0x191919082b081908,
	0x191919082b190808, 0x1919191908080808, 0x191919190808082b, 0x1919191908081919,
	0x1919191908082b08, 0x1919191908190819, 0x1919191908191908, 0x19191919082b0808,
	0x1919191919080819, 0x1919191919081908, 0x1919191919190808, 0x191919192b080808,
	0x1919192b08080819, 0x1919192b08081908, 0x1919192b08190808, 0x1919192b082b192b,
	0x1919192b19080808, 0x19192b0808080808, 0x19192b080808082b, 0x19192b0808081919,
	0x19192b0808082b08, 0x19192b0808190819, 0x19192b0808191908, 0x19192b08082b0808,
	0x19192b0819080819, 0x19192b0819081908, 0x19192b0819190808, 0x19192b0819192b2b,
	0x19192b082b080808, 0x19192b1908080819, 0x19192b1908081908, 0x19192b1908190808,
	0x19192b1919080808, 0x19192b2b08080808, 0x19192b2b08192b19, 0x19192b2b2b081919,
	0x19192b2b2b2b2b08, 0x192b080808080819, 0x192b080808081908, 0x192b08080808192b,
	0x192b080808190808, 0x192b08080819082b, 0x192b080808191919, 0x192b080808192b08,
	0x192b0808082b0819, 0x192b0808082b1908, 0x192b080819080808, 0x192b080819081919,
	0x192b080819082b08, 0x192b080819190819, 0x192b080819191908, 0x192b0808192b0808,
	0x192b08082b081908, 0x192b08082b190808, 0x192b081908080808, 0x192b08190808082b,
	0x192b081908081919, 0x192b081908082b08, 0x192b081908190819, 0x192b081908191908,
	0x192b0819082b0808, 0x192b081919080819, 0x192b081919081908, 0x192b081919190808,
	0x192b08192b080808, 0x192b08192b192b19, 0x192b082b08081908, 0x192b082b08190808,
	0x192b082b19080808, 0x192b082b1919192b, 0x192b082b2b2b0819, 0x192b190808080808,
	0x192b190808081919, 0x192b190808082b08, 0x192b190808190819, 0x192b190808191908,
	0x192b1908082b0808, 0x192b190819080819, 0x192b190819081908, 0x192b190819190808,
	0x192b19082b080808, 0x192b191908080819, 0x192b191908081908, 0x192b191908190808,
	0x192b191919080808, 0x192b191919082b2b, 0x192b1919192b2b08, 0x192b19192b19082b,
	0x192b192b08080808, 0x192b192b2b191908, 0x192b2b0808080819, 0x192b2b0808081908,
	0x192b2b0808190808, 0x192b2b08192b1919, 0x192b2b082b192b08, 0x192b2b1908080808,
	0x192b2b19082b2b2b, 0x192b2b2b1908082b, 0x192b2b2b2b2b0819, 0x2b08080808080808,
	0x2b0808080808082b, 0x2b08080808081919, 0x2b08080808082b08, 0x2b08080808190819,
	0x2b08080808191908, 0x2b08080808192b19, 0x2b080808082b0808, 0x2b080808082b1919,
	0x2b08080819080819, 0x2b08080819081908, 0x2b08080819190808, 0x2b0808081919082b,
	0x2b08080819191919, 0x2b08080819192b08, 0x2b080808192b0819, 0x2b0808082b080808,
	0x2b0808082b081919, 0x2b0808082b190819, 0x2b0808082b191908, 0x2b08081908080819,
	0x2b08081908081908, 0x2b08081908082b19, 0x2b08081908190808, 0x2b0808190819082b,
	0x2b08081908191919, 0x2b08081908192b08, 0x2b080819082b0819, 0x2b080819082b1908,
	0x2b08081919080808, 0x2b0808191908082b, 0x2b08081919081919, 0x2b08081919082b08,
	0x2b08081919190819, 0x2b08081919191908, 0x2b0808192b080819, 0x2b0808192b081908,
	0x2b0808192b190808, 0x2b0808192b2b2b19, 0x2b08082b08080808, 0x2b08082b08081919,
	0x2b08082b08082b2b, 0x2b08082b08190819, 0x2b08082b08191908, 0x2b08082b19080819,
	0x2b08082b19081908, 0x2b08082b19190808, 0x2b08190808080819, 0x2b08190808081908,
	0x2b0819080808192b, 0x2b08190808082b19, 0x2b08190808190808, 0x2b0819080819082b,
	0x2b08190808191919, 0x2b08190808192b08, 0x2b081908082b0819, 0x2b08190819080808,
	0x2b0819081908082b, 0x2b08190819081919, 0x2b08190819082b08, 0x2b08190819190819,
	0x2b08190819191908, 0x2b081908192b0808, 0x2b0819082b080819, 0x2b0819082b081908,
	0x2b0819082b190808, 0x2b08191908080808, 0x2b0819190808082b, 0x2b08191908081919,
	0x2b08191908082b08, 0x2b08191908190819, 0x2b08191908191908, 0x2b081919082b0808,
	0x2b08191919080819, 0x2b08191919081908, 0x2b08191919190808, 0x2b0819192b080808,
	0x2b0819192b082b2b, 0x2b08192b08080819, 0x2b08192b08081908, 0x2b08192b08190808,
	0x2b08192b082b2b19, 0x2b08192b19080808, 0x2b082b0808080808, 0x2b082b0808081919,
	0x2b082b0808190819, 0x2b082b0808191908, 0x2b082b0819080819, 0x2b082b0819081908,
	0x2b082b0819190808, 0x2b082b082b2b082b, 0x2b082b1908080819, 0x2b082b1908081908,
	0x2b082b1919080808, 0x2b082b19192b1919, 0x2b082b2b082b082b, 0x2b082b2b19192b08,
	0x2b082b2b19192b2b, 0x2b082b2b2b08082b, 0x2b082b2b2b2b082b, 0x2b19080808080819,
	0x2b19080808081908, 0x2b19080808082b19, 0x2b19080808190808, 0x2b1908080819082b,
	0x2b19080808191919, 0x2b19080808192b08, 0x2b190808082b1908, 0x2b19080819080808,
	0x2b1908081908082b, 0x2b19080819081919, 0x2b19080819082b08, 0x2b19080819190819,
	0x2b19080819191908, 0x2b190808192b0808, 0x2b1908082b080819, 0x2b1908082b081908,
	0x2b1908082b190808, 0x2b19081908080808, 0x2b19081908081919, 0x2b19081908190819,
	0x2b19081908191908, 0x2b19081919080819, 0x2b19081919081908, 0x2b19081919190808,
	0x2b19081919192b2b, 0x2b19082b08080819, 0x2b19082b08081908, 0x2b19082b08190808,
	0x2b19082b19080808, 0x2b19082b2b2b192b, 0x2b19190808080808, 0x2b1919080808082b,
	0x2b19190808081919, 0x2b19190808082b08, 0x2b19190808190819, 0x2b19190808191908,
	0x2b191908082b0808, 0x2b19190819080819, 0x2b19190819081908, 0x2b19190819190808,
	0x2b1919082b080808, 0x2b1919082b19192b, 0x2b19191908080819, 0x2b19191908081908,
	0x2b19191908190808, 0x2b19191919080808, 0x2b1919192b192b08, 0x2b1919192b2b0819,
	0x2b19192b08080808, 0x2b19192b1908192b, 0x2b19192b192b1908, 0x2b192b0808080819,
	0x2b192b0808081908, 0x2b192b0808190808, 0x2b192b08082b192b, 0x2b192b0819080808,
	0x2b192b082b2b2b19, 0x2b192b1908080808, 0x2b192b1919082b19, 0x2b192b191919082b,
	0x2b192b2b2b190808, 0x2b2b080808080808, 0x2b2b080808081919, 0x2b2b080808082b2b,
	0x2b2b080808191908, 0x2b2b0808082b082b, 0x2b2b0808082b2b2b, 0x2b2b080819080819,
	0x2b2b080819081908, 0x2b2b080819190808, 0x2b2b08082b2b082b, 0x2b2b08082b2b2b2b,
	0x2b2b081919080808, 0x2b2b0819192b1919, 0x2b2b082b0808082b, 0x2b2b082b08082b2b,
	0x2b2b082b082b082b, 0x2b2b082b082b2b08, 0x2b2b082b082b2b2b, 0x2b2b082b2b08082b,
	0x2b2b082b2b082b08, 0x2b2b082b2b082b2b, 0x2b2b082b2b2b2b08, 0x2b2b190808080819,
	0x2b2b190808081908, 0x2b2b190808190808, 0x2b2b190819080808, 0x2b2b19082b082b19,
	0x2b2b19082b2b1908, 0x2b2b191908080808, 0x2b2b191908192b19, 0x2b2b192b19190819,
	0x2b2b2b0808082b2b, 0x2b2b2b08082b2b08, 0x2b2b2b082b2b082b, 0x2b2b2b1919191908,
	0x2b2b2b192b08192b, 0x2b2b2b2b08082b08, 0x2b2b2b2b08082b2b, 0x2b2b2b2b082b0808,
	0x2b2b2b2b082b082b, 0x2b2b2b2b082b2b08, 0x2b2b2b2b2b082b08, 0x2b2b2b2b2b2b2b2b,
};

const uint32_t eng_iq3xxs_grid[256] = {
	0x04040404, 0x04040414, 0x04040424, 0x04040c0c, 0x04040c1c, 0x04040c3e, 0x04041404, 0x04041414,
	0x04041c0c, 0x04042414, 0x04043e1c, 0x04043e2c, 0x040c040c, 0x040c041c, 0x040c0c04, 0x040c0c14,
	0x040c140c, 0x040c142c, 0x040c1c04, 0x040c1c14, 0x040c240c, 0x040c2c24, 0x040c3e04, 0x04140404,
	0x04140414, 0x04140424, 0x04140c0c, 0x04141404, 0x04141414, 0x04141c0c, 0x04141c1c, 0x04141c3e,
	0x04142c0c, 0x04142c3e, 0x04143e2c, 0x041c040c, 0x041c043e, 0x041c0c04, 0x041c0c14, 0x041c142c,
	0x041c3e04, 0x04240c1c, 0x04241c3e, 0x04242424, 0x04242c3e, 0x04243e1c, 0x04243e2c, 0x042c040c,
	0x042c043e, 0x042c1c14, 0x042c2c14, 0x04341c2c, 0x04343424, 0x043e0c04, 0x043e0c24, 0x043e0c34,
	0x043e241c, 0x043e340c, 0x0c04040c, 0x0c04041c, 0x0c040c04, 0x0c040c14, 0x0c04140c, 0x0c04141c,
	0x0c041c04, 0x0c041c14, 0x0c041c24, 0x0c04243e, 0x0c042c04, 0x0c0c0404, 0x0c0c0414, 0x0c0c0c0c,
	0x0c0c1404, 0x0c0c1414, 0x0c14040c, 0x0c14041c, 0x0c140c04, 0x0c140c14, 0x0c14140c, 0x0c141c04,
	0x0c143e14, 0x0c1c0404, 0x0c1c0414, 0x0c1c1404, 0x0c1c1c0c, 0x0c1c2434, 0x0c1c3434, 0x0c24040c,
	0x0c24042c, 0x0c242c04, 0x0c2c1404, 0x0c2c1424, 0x0c2c2434, 0x0c2c3e0c, 0x0c34042c, 0x0c3e1414,
	0x0c3e2404, 0x14040404, 0x14040414, 0x14040c0c, 0x14040c1c, 0x14041404, 0x14041414, 0x14041434,
	0x14041c0c, 0x14042414, 0x140c040c, 0x140c041c, 0x140c042c, 0x140c0c04, 0x140c0c14, 0x140c140c,
	0x140c1c04, 0x140c341c, 0x140c343e, 0x140c3e04, 0x14140404, 0x14140414, 0x14140c0c, 0x14140c3e,
	0x14141404, 0x14141414, 0x14141c3e, 0x14142404, 0x14142c2c, 0x141c040c, 0x141c0c04, 0x141c0c24,
	0x141c3e04, 0x141c3e24, 0x14241c2c, 0x14242c1c, 0x142c041c, 0x142c143e, 0x142c240c, 0x142c3e24,
	0x143e040c, 0x143e041c, 0x143e0c34, 0x143e242c, 0x1c04040c, 0x1c040c04, 0x1c040c14, 0x1c04140c,
	0x1c04141c, 0x1c042c04, 0x1c04342c, 0x1c043e14, 0x1c0c0404, 0x1c0c0414, 0x1c0c1404, 0x1c0c1c0c,
	0x1c0c2424, 0x1c0c2434, 0x1c14040c, 0x1c14041c, 0x1c140c04, 0x1c14142c, 0x1c142c14, 0x1c143e14,
	0x1c1c0c0c, 0x1c1c1c1c, 0x1c241c04, 0x1c24243e, 0x1c243e14, 0x1c2c0404, 0x1c2c0434, 0x1c2c1414,
	0x1c2c2c2c, 0x1c340c24, 0x1c341c34, 0x1c34341c, 0x1c3e1c1c, 0x1c3e3404, 0x24040424, 0x24040c3e,
	0x24041c2c, 0x24041c3e, 0x24042c1c, 0x24042c3e, 0x240c3e24, 0x24141404, 0x24141c3e, 0x24142404,
	0x24143404, 0x24143434, 0x241c043e, 0x241c242c, 0x24240424, 0x24242c0c, 0x24243424, 0x242c142c,
	0x242c241c, 0x242c3e04, 0x243e042c, 0x243e0c04, 0x243e0c14, 0x243e1c04, 0x2c040c14, 0x2c04240c,
	0x2c043e04, 0x2c0c0404, 0x2c0c0434, 0x2c0c1434, 0x2c0c2c2c, 0x2c140c24, 0x2c141c14, 0x2c143e14,
	0x2c1c0414, 0x2c1c2c1c, 0x2c240c04, 0x2c24141c, 0x2c24143e, 0x2c243e14, 0x2c2c0414, 0x2c2c1c0c,
	0x2c342c04, 0x2c3e1424, 0x2c3e2414, 0x34041424, 0x34042424, 0x34042434, 0x34043424, 0x340c140c,
	0x340c340c, 0x34140c3e, 0x34143424, 0x341c1c04, 0x341c1c34, 0x34242424, 0x342c042c, 0x342c2c14,
	0x34341c1c, 0x343e041c, 0x343e140c, 0x3e04041c, 0x3e04042c, 0x3e04043e, 0x3e040c04, 0x3e041c14,
	0x3e042c14, 0x3e0c1434, 0x3e0c2404, 0x3e140c14, 0x3e14242c, 0x3e142c14, 0x3e1c0404, 0x3e1c0c2c,
	0x3e1c1c1c, 0x3e1c3404, 0x3e24140c, 0x3e24240c, 0x3e2c0404, 0x3e2c0414, 0x3e2c1424, 0x3e341c04,
};

const uint32_t eng_iq3s_grid[512] = {
	0x01010101, 0x01010103, 0x01010105, 0x0101010b, 0x0101010f, 0x01010301, 0x01010303, 0x01010305,
	0x01010309, 0x0101030d, 0x01010501, 0x01010503, 0x0101050b, 0x01010707, 0x01010901, 0x01010905,
	0x0101090b, 0x0101090f, 0x01010b03, 0x01010b07, 0x01010d01, 0x01010d05, 0x01010f03, 0x01010f09,
	0x01010f0f, 0x01030101, 0x01030103, 0x01030105, 0x01030109, 0x01030301, 0x01030303, 0x0103030b,
	0x01030501, 0x01030507, 0x0103050f, 0x01030703, 0x0103070b, 0x01030909, 0x01030d03, 0x01030d0b,
	0x01030f05, 0x01050101, 0x01050103, 0x0105010b, 0x0105010f, 0x01050301, 0x01050307, 0x0105030d,
	0x01050503, 0x0105050b, 0x01050701, 0x01050709, 0x01050905, 0x0105090b, 0x0105090f, 0x01050b03,
	0x01050b07, 0x01050f01, 0x01050f07, 0x01070107, 0x01070303, 0x0107030b, 0x01070501, 0x01070505,
	0x01070703, 0x01070707, 0x0107070d, 0x01070909, 0x01070b01, 0x01070b05, 0x01070d0f, 0x01070f03,
	0x01070f0b, 0x01090101, 0x01090307, 0x0109030f, 0x01090503, 0x01090509, 0x01090705, 0x01090901,
	0x01090907, 0x01090b03, 0x01090f01, 0x010b0105, 0x010b0109, 0x010b0501, 0x010b0505, 0x010b050d,
	0x010b0707, 0x010b0903, 0x010b090b, 0x010b090f, 0x010b0d0d, 0x010b0f07, 0x010d010d, 0x010d0303,
	0x010d0307, 0x010d0703, 0x010d0b05, 0x010d0f03, 0x010f0101, 0x010f0105, 0x010f0109, 0x010f0501,
	0x010f0505, 0x010f050d, 0x010f0707, 0x010f0b01, 0x010f0b09, 0x03010101, 0x03010103, 0x03010105,
	0x03010109, 0x03010301, 0x03010303, 0x03010307, 0x0301030b, 0x0301030f, 0x03010501, 0x03010505,
	0x03010703, 0x03010709, 0x0301070d, 0x03010b09, 0x03010b0d, 0x03010d03, 0x03010f05, 0x03030101,
	0x03030103, 0x03030107, 0x0303010d, 0x03030301, 0x03030309, 0x03030503, 0x03030701, 0x03030707,
	0x03030903, 0x03030b01, 0x03030b05, 0x03030f01, 0x03030f0d, 0x03050101, 0x03050305, 0x0305030b,
	0x0305030f, 0x03050501, 0x03050509, 0x03050705, 0x03050901, 0x03050907, 0x03050b0b, 0x03050d01,
	0x03050f05, 0x03070103, 0x03070109, 0x0307010f, 0x03070301, 0x03070307, 0x03070503, 0x0307050f,
	0x03070701, 0x03070709, 0x03070903, 0x03070d05, 0x03070f01, 0x03090107, 0x0309010b, 0x03090305,
	0x03090309, 0x03090703, 0x03090707, 0x03090905, 0x0309090d, 0x03090b01, 0x03090b09, 0x030b0103,
	0x030b0301, 0x030b0307, 0x030b0503, 0x030b0701, 0x030b0705, 0x030b0b03, 0x030d0501, 0x030d0509,
	0x030d050f, 0x030d0909, 0x030d090d, 0x030f0103, 0x030f0107, 0x030f0301, 0x030f0305, 0x030f0503,
	0x030f070b, 0x030f0903, 0x030f0d05, 0x030f0f01, 0x05010101, 0x05010103, 0x05010107, 0x0501010b,
	0x0501010f, 0x05010301, 0x05010305, 0x05010309, 0x0501030d, 0x05010503, 0x05010507, 0x0501050f,
	0x05010701, 0x05010705, 0x05010903, 0x05010907, 0x0501090b, 0x05010b01, 0x05010b05, 0x05010d0f,
	0x05010f01, 0x05010f07, 0x05010f0b, 0x05030101, 0x05030105, 0x05030301, 0x05030307, 0x0503030f,
	0x05030505, 0x0503050b, 0x05030703, 0x05030709, 0x05030905, 0x05030b03, 0x05050103, 0x05050109,
	0x0505010f, 0x05050503, 0x05050507, 0x05050701, 0x0505070f, 0x05050903, 0x05050b07, 0x05050b0f,
	0x05050f03, 0x05050f09, 0x05070101, 0x05070105, 0x0507010b, 0x05070303, 0x05070505, 0x05070509,
	0x05070703, 0x05070707, 0x05070905, 0x05070b01, 0x05070d0d, 0x05090103, 0x0509010f, 0x05090501,
	0x05090507, 0x05090705, 0x0509070b, 0x05090903, 0x05090f05, 0x05090f0b, 0x050b0109, 0x050b0303,
	0x050b0505, 0x050b070f, 0x050b0901, 0x050b0b07, 0x050b0f01, 0x050d0101, 0x050d0105, 0x050d010f,
	0x050d0503, 0x050d0b0b, 0x050d0d03, 0x050f010b, 0x050f0303, 0x050f050d, 0x050f0701, 0x050f0907,
	0x050f0b01, 0x07010105, 0x07010303, 0x07010307, 0x0701030b, 0x0701030f, 0x07010505, 0x07010703,
	0x07010707, 0x0701070b, 0x07010905, 0x07010909, 0x0701090f, 0x07010b03, 0x07010d07, 0x07010f03,
	0x07030103, 0x07030107, 0x0703010b, 0x07030309, 0x07030503, 0x07030507, 0x07030901, 0x07030d01,
	0x07030f05, 0x07030f0d, 0x07050101, 0x07050305, 0x07050501, 0x07050705, 0x07050709, 0x07050b01,
	0x07070103, 0x07070301, 0x07070309, 0x07070503, 0x07070507, 0x0707050f, 0x07070701, 0x07070903,
	0x07070907, 0x0707090f, 0x07070b0b, 0x07070f07, 0x07090107, 0x07090303, 0x0709030d, 0x07090505,
	0x07090703, 0x07090b05, 0x07090d01, 0x07090d09, 0x070b0103, 0x070b0301, 0x070b0305, 0x070b050b,
	0x070b0705, 0x070b0909, 0x070b0b0d, 0x070b0f07, 0x070d030d, 0x070d0903, 0x070f0103, 0x070f0107,
	0x070f0501, 0x070f0505, 0x070f070b, 0x09010101, 0x09010109, 0x09010305, 0x09010501, 0x09010509,
	0x0901050f, 0x09010705, 0x09010903, 0x09010b01, 0x09010f01, 0x09030105, 0x0903010f, 0x09030303,
	0x09030307, 0x09030505, 0x09030701, 0x0903070b, 0x09030907, 0x09030b03, 0x09030b0b, 0x09050103,
	0x09050107, 0x09050301, 0x0905030b, 0x09050503, 0x09050707, 0x09050901, 0x09050b0f, 0x09050d05,
	0x09050f01, 0x09070109, 0x09070303, 0x09070307, 0x09070501, 0x09070505, 0x09070703, 0x0907070b,
	0x09090101, 0x09090105, 0x09090509, 0x0909070f, 0x09090901, 0x09090f03, 0x090b010b, 0x090b010f,
	0x090b0503, 0x090b0d05, 0x090d0307, 0x090d0709, 0x090d0d01, 0x090f0301, 0x090f030b, 0x090f0701,
	0x090f0907, 0x090f0b03, 0x0b010105, 0x0b010301, 0x0b010309, 0x0b010505, 0x0b010901, 0x0b010909,
	0x0b01090f, 0x0b010b05, 0x0b010d0d, 0x0b010f09, 0x0b030103, 0x0b030107, 0x0b03010b, 0x0b030305,
	0x0b030503, 0x0b030705, 0x0b030f05, 0x0b050101, 0x0b050303, 0x0b050507, 0x0b050701, 0x0b05070d,
	0x0b050b07, 0x0b070105, 0x0b07010f, 0x0b070301, 0x0b07050f, 0x0b070909, 0x0b070b03, 0x0b070d0b,
	0x0b070f07, 0x0b090103, 0x0b090109, 0x0b090501, 0x0b090705, 0x0b09090d, 0x0b0b0305, 0x0b0b050d,
	0x0b0b0b03, 0x0b0b0b07, 0x0b0d0905, 0x0b0f0105, 0x0b0f0109, 0x0b0f0505, 0x0d010303, 0x0d010307,
	0x0d01030b, 0x0d010703, 0x0d010707, 0x0d010d01, 0x0d030101, 0x0d030501, 0x0d03050f, 0x0d030d09,
	0x0d050305, 0x0d050709, 0x0d050905, 0x0d050b0b, 0x0d050d05, 0x0d050f01, 0x0d070101, 0x0d070309,
	0x0d070503, 0x0d070901, 0x0d09050b, 0x0d090907, 0x0d090d05, 0x0d0b0101, 0x0d0b0107, 0x0d0b0709,
	0x0d0b0d01, 0x0d0d010b, 0x0d0d0901, 0x0d0f0303, 0x0d0f0307, 0x0f010101, 0x0f010109, 0x0f01010f,
	0x0f010501, 0x0f010505, 0x0f01070d, 0x0f010901, 0x0f010b09, 0x0f010d05, 0x0f030105, 0x0f030303,
	0x0f030509, 0x0f030907, 0x0f03090b, 0x0f050103, 0x0f050109, 0x0f050301, 0x0f05030d, 0x0f050503,
	0x0f050701, 0x0f050b03, 0x0f070105, 0x0f070705, 0x0f07070b, 0x0f070b07, 0x0f090103, 0x0f09010b,
	0x0f090307, 0x0f090501, 0x0f090b01, 0x0f0b0505, 0x0f0b0905, 0x0f0d0105, 0x0f0d0703, 0x0f0f0101,
};

const uint64_t eng_iq1s_grid[2048] = {
	0xffffffffffffffff, 0xffffffffffffff01, 0xffffffffffff0000, 0xffffffffffff01ff,
	0xffffffffffff0101, 0xffffffffff00ff00, 0xffffffffff000000, 0xffffffffff01ffff,
	0xffffffffff01ff01, 0xffffffffff0101ff, 0xffffffffff010101, 0xffffffff00ff0000,
	0xffffffff0000ff00, 0xffffffff000000ff, 0xffffffff00000001, 0xffffffff00010000,
	0xffffffff01ffffff, 0xffffffff01ffff01, 0xffffffff01ff01ff, 0xffffffff01ff0101,
	0xffffffff01000000, 0xffffffff0101ffff, 0xffffffff0101ff01, 0xffffffff010101ff,
	0xffffffff01010101, 0xffffff00ffff00ff, 0xffffff00ffff0000, 0xffffff00ff00ff00,
	0xffffff00ff0000ff, 0xffffff00ff000001, 0xffffff00ff000100, 0xffffff00ff000101,
	0xffffff00ff010000, 0xffffff0000ffff00, 0xffffff0000ff0001, 0xffffff0000ff0100,
	0xffffff000000ff01, 0xffffff0000000000, 0xffffff0000000101, 0xffffff000001ff00,
	0xffffff00000100ff, 0xffffff0000010001, 0xffffff00000101ff, 0xffffff0001ff0000,
	0xffffff000100ff00, 0xffffff00010000ff, 0xffffff0001000001, 0xffffff0001010000,
	0xffffff01ffffffff, 0xffffff01ffffff01, 0xffffff01ffff01ff, 0xffffff01ffff0101,
	0xffffff01ff000000, 0xffffff01ff01ffff, 0xffffff01ff01ff01, 0xffffff01ff0101ff,
	0xffffff01ff010101, 0xffffff0100ff0000, 0xffffff010000ff00, 0xffffff0100000100,
	0xffffff01000100ff, 0xffffff0100010100, 0xffffff0101ffffff, 0xffffff0101ffff01,
	0xffffff0101ff01ff, 0xffffff0101ff0101, 0xffffff010100ff00, 0xffffff0101000000,
	0xffffff0101000100, 0xffffff010101ffff, 0xffffff010101ff01, 0xffffff01010101ff,
	0xffffff0101010101, 0xffff00ffff00ff00, 0xffff00ffff0000ff, 0xffff00ffff000001,
	0xffff00ffff010000, 0xffff00ff00ffff00, 0xffff00ff00ff0100, 0xffff00ff00000000,
	0xffff00ff00000101, 0xffff00ff000100ff, 0xffff00ff00010000, 0xffff00ff0100ff00,
	0xffff00ff01000100, 0xffff00ff01010000, 0xffff0000ffffff00, 0xffff0000ffff00ff,
	0xffff0000ffff0000, 0xffff0000ffff0001, 0xffff0000ff000000, 0xffff0000ff0001ff,
	0xffff0000ff000101, 0xffff0000ff010100, 0xffff000000ffffff, 0xffff000000ff0000,
	0xffff000000ff0101, 0xffff00000000ffff, 0xffff00000000ff00, 0xffff0000000000ff,
	0xffff000000000000, 0xffff000000000001, 0xffff000000000100, 0xffff00000001ffff,
	0xffff00000001ff01, 0xffff000000010000, 0xffff0000000101ff, 0xffff000000010101,
	0xffff000001ffff00, 0xffff00000100ff00, 0xffff000001000000, 0xffff0000010001ff,
	0xffff000001000101, 0xffff00000101ff00, 0xffff0000010100ff, 0xffff000001010000,
	0xffff000001010001, 0xffff000001010100, 0xffff0001ff0000ff, 0xffff0001ff000100,
	0xffff000100ffff00, 0xffff000100ff00ff, 0xffff00010000ffff, 0xffff00010000ff01,
	0xffff000100000000, 0xffff0001000001ff, 0xffff00010001ffff, 0xffff00010001ff00,
	0xffff000100010001, 0xffff000100010100, 0xffff000101ff0000, 0xffff00010100ff00,
	0xffff0001010000ff, 0xffff000101000100, 0xffff01ffffffffff, 0xffff01ffffffff01,
	0xffff01ffffff01ff, 0xffff01ffffff0101, 0xffff01ffff000000, 0xffff01ffff01ffff,
	0xffff01ffff01ff01, 0xffff01ffff0101ff, 0xffff01ffff010101, 0xffff01ff00ff0000,
	0xffff01ff0000ff00, 0xffff01ff00000001, 0xffff01ff00010000, 0xffff01ff01ffffff,
	0xffff01ff01ffff01, 0xffff01ff01ff01ff, 0xffff01ff01ff0101, 0xffff01ff01000000,
	0xffff01ff0101ffff, 0xffff01ff0101ff01, 0xffff01ff010101ff, 0xffff01ff01010101,
	0xffff0100ffff0000, 0xffff0100ff00ff00, 0xffff0100ff0000ff, 0xffff0100ff000100,
	0xffff0100ff0100ff, 0xffff0100ff010000, 0xffff010000ffff00, 0xffff01000000ffff,
	0xffff01000000ff00, 0xffff010000000000, 0xffff01000001ff00, 0xffff0100000100ff,
	0xffff010000010100, 0xffff01000100ff00, 0xffff0100010000ff, 0xffff010001000001,
	0xffff010001000100, 0xffff010001010000, 0xffff0101ffffffff, 0xffff0101ffffff01,
	0xffff0101ffff01ff, 0xffff0101ffff0101, 0xffff0101ff000000, 0xffff0101ff01ffff,
	0xffff0101ff01ff01, 0xffff0101ff0101ff, 0xffff0101ff010101, 0xffff010100ff0000,
	0xffff01010000ff00, 0xffff010100000100, 0xffff01010001ff00, 0xffff010100010000,
	0xffff010101ffffff, 0xffff010101ffff01, 0xffff010101ff0000, 0xffff010101ff01ff,
	0xffff010101ff0101, 0xffff010101000000, 0xffff01010101ffff, 0xffff01010101ff01,
	0xffff0101010101ff, 0xffff010101010101, 0xff00ffffff00ffff, 0xff00ffffff00ff00,
	0xff00ffffff0000ff, 0xff00ffffff000100, 0xff00ffffff0100ff, 0xff00ffffff010000,
	0xff00ffff00ffff00, 0xff00ffff00ff00ff, 0xff00ffff0000ffff, 0xff00ffff00000000,
	0xff00ffff000001ff, 0xff00ffff0001ff00, 0xff00ffff000100ff, 0xff00ffff00010000,
	0xff00ffff00010100, 0xff00ffff0100ff00, 0xff00ffff010000ff, 0xff00ffff01000001,
	0xff00ffff0101ff00, 0xff00ffff01010000, 0xff00ff00ffffff00, 0xff00ff00ffff00ff,
	0xff00ff00ffff0001, 0xff00ff00ffff0100, 0xff00ff00ff00ffff, 0xff00ff00ff00ff01,
	0xff00ff00ff000000, 0xff00ff00ff0001ff, 0xff00ff00ff01ff00, 0xff00ff00ff0100ff,
	0xff00ff00ff010100, 0xff00ff0000ff0000, 0xff00ff0000ff0101, 0xff00ff000000ffff,
	0xff00ff000000ff00, 0xff00ff000000ff01, 0xff00ff00000000ff, 0xff00ff0000000000,
	0xff00ff0000000001, 0xff00ff0000000100, 0xff00ff000001ffff, 0xff00ff0000010000,
	0xff00ff0001ff00ff, 0xff00ff000100ff01, 0xff00ff0001000000, 0xff00ff000101ff00,
	0xff00ff00010100ff, 0xff00ff01ff00ff00, 0xff00ff01ff0000ff, 0xff00ff01ff000001,
	0xff00ff01ff010000, 0xff00ff0100ffffff, 0xff00ff0100ff0001, 0xff00ff0100ff0100,
	0xff00ff010000ff01, 0xff00ff0100000000, 0xff00ff01000001ff, 0xff00ff0100000101,
	0xff00ff01000100ff, 0xff00ff0100010001, 0xff00ff0101ff0000, 0xff00ff010100ff00,
	0xff00ff01010000ff, 0xff00ff0101000001, 0xff00ff0101010000, 0xff0000ffffffff00,
	0xff0000ffffff0001, 0xff0000ffffff0100, 0xff0000ffff0000ff, 0xff0000ffff000000,
	0xff0000ffff0001ff, 0xff0000ffff000100, 0xff0000ffff01ff00, 0xff0000ffff010001,
	0xff0000ff00ffff00, 0xff0000ff00ff0000, 0xff0000ff00ff0001, 0xff0000ff00ff01ff,
	0xff0000ff00ff0101, 0xff0000ff0000ff00, 0xff0000ff000000ff, 0xff0000ff00000000,
	0xff0000ff00000001, 0xff0000ff00000100, 0xff0000ff0001ff01, 0xff0000ff00010000,
	0xff0000ff000101ff, 0xff0000ff01ff00ff, 0xff0000ff01ff0100, 0xff0000ff0100ffff,
	0xff0000ff010000ff, 0xff0000ff01000000, 0xff0000ff010001ff, 0xff0000ff01000100,
	0xff0000ff01000101, 0xff0000ff0101ff00, 0xff0000ff010100ff, 0xff0000ff01010000,
	0xff0000ff01010100, 0xff000000ffffff01, 0xff000000ffff0000, 0xff000000ffff0101,
	0xff000000ff00ff00, 0xff000000ff0000ff, 0xff000000ff000000, 0xff000000ff000001,
	0xff000000ff000100, 0xff000000ff01ffff, 0xff000000ff01ff01, 0xff000000ff010000,
	0xff000000ff0101ff, 0xff000000ff010101, 0xff00000000ffff00, 0xff00000000ff00ff,
	0xff00000000ff0000, 0xff00000000ff0001, 0xff0000000000ff00, 0xff0000000000ff01,
	0xff000000000000ff, 0xff00000000000000, 0xff00000000000001, 0xff00000000000100,
	0xff00000000000101, 0xff0000000001ff00, 0xff000000000100ff, 0xff00000000010000,
	0xff00000000010001, 0xff00000000010100, 0xff00000001ffffff, 0xff00000001ffff01,
	0xff00000001ff00ff, 0xff00000001ff0000, 0xff00000001ff01ff, 0xff00000001ff0101,
	0xff0000000100ffff, 0xff0000000100ff00, 0xff000000010000ff, 0xff00000001000000,
	0xff00000001000001, 0xff00000001000100, 0xff00000001000101, 0xff0000000101ffff,
	0xff0000000101ff01, 0xff00000001010000, 0xff000001ffffff00, 0xff000001ffff00ff,
	0xff000001ffff0000, 0xff000001ffff0001, 0xff000001ff000000, 0xff000001ff000001,
	0xff000001ff0001ff, 0xff000001ff000101, 0xff000001ff01ff00, 0xff000001ff010001,
	0xff00000100ffffff, 0xff00000100ffff01, 0xff00000100ff00ff, 0xff00000100ff0000,
	0xff00000100ff01ff, 0xff00000100ff0101, 0xff0000010000ff00, 0xff00000100000000,
	0xff00000100000001, 0xff000001000001ff, 0xff00000100000100, 0xff0000010001ff00,
	0xff000001000100ff, 0xff00000100010000, 0xff000001000101ff, 0xff00000100010100,
	0xff00000100010101, 0xff00000101ff0001, 0xff00000101ff0101, 0xff0000010100ff01,
	0xff00000101000000, 0xff000001010100ff, 0xff00000101010100, 0xff0001ffff00ff00,
	0xff0001ffff000001, 0xff0001ffff010000, 0xff0001ff00ffff00, 0xff0001ff00ff00ff,
	0xff0001ff00ff0001, 0xff0001ff00ff0100, 0xff0001ff0000ffff, 0xff0001ff00000000,
	0xff0001ff000001ff, 0xff0001ff00000101, 0xff0001ff0001ffff, 0xff0001ff0001ff00,
	0xff0001ff000100ff, 0xff0001ff00010001, 0xff0001ff00010100, 0xff0001ff01ff0000,
	0xff0001ff0100ff00, 0xff0001ff010000ff, 0xff0001ff01010000, 0xff000100ff00ffff,
	0xff000100ff00ff01, 0xff000100ff000000, 0xff000100ff000101, 0xff000100ff01ff00,
	0xff000100ff010000, 0xff00010000ffff01, 0xff00010000ff00ff, 0xff00010000ff0000,
	0xff00010000ff01ff, 0xff0001000000ff00, 0xff000100000000ff, 0xff00010000000000,
	0xff00010000000001, 0xff00010000000100, 0xff00010000000101, 0xff0001000001ffff,
	0xff00010000010000, 0xff00010000010101, 0xff00010001ff0100, 0xff0001000100ff00,
	0xff0001000100ff01, 0xff00010001000000, 0xff000100010001ff, 0xff0001000101ff00,
	0xff00010001010001, 0xff00010001010100, 0xff000101ffff0100, 0xff000101ff000001,
	0xff000101ff0100ff, 0xff000101ff010001, 0xff00010100ff00ff, 0xff00010100ff0001,
	0xff00010100ff0100, 0xff0001010000ffff, 0xff0001010000ff01, 0xff00010100000000,
	0xff000101000001ff, 0xff0001010001ff00, 0xff00010100010001, 0xff00010100010100,
	0xff00010101ff0000, 0xff0001010100ff00, 0xff00010101000001, 0xff00010101000101,
	0xff01ffffffffffff, 0xff01ffffffffff01, 0xff01ffffffff01ff, 0xff01ffffffff0101,
	0xff01ffffff000000, 0xff01ffffff01ffff, 0xff01ffffff01ff01, 0xff01ffffff010000,
	0xff01ffffff0101ff, 0xff01ffffff010101, 0xff01ffff00ff0000, 0xff01ffff0000ff00,
	0xff01ffff00000100, 0xff01ffff0001ff00, 0xff01ffff00010000, 0xff01ffff01ffffff,
	0xff01ffff01ffff01, 0xff01ffff01ff01ff, 0xff01ffff01ff0101, 0xff01ffff01000000,
	0xff01ffff0101ffff, 0xff01ffff0101ff01, 0xff01ffff01010000, 0xff01ffff010101ff,
	0xff01ffff01010101, 0xff01ff00ffff0000, 0xff01ff00ff00ff00, 0xff01ff00ff0000ff,
	0xff01ff00ff000100, 0xff01ff00ff010000, 0xff01ff0000ffff01, 0xff01ff0000ff00ff,
	0xff01ff0000ff0100, 0xff01ff0000000000, 0xff01ff00000001ff, 0xff01ff0000000101,
	0xff01ff000001ff00, 0xff01ff00000100ff, 0xff01ff0000010000, 0xff01ff0000010001,
	0xff01ff0001ff0000, 0xff01ff000100ffff, 0xff01ff0001000001, 0xff01ff0001000100,
	0xff01ff0001010000, 0xff01ff01ffffff00, 0xff01ff01ffff01ff, 0xff01ff01ffff0101,
	0xff01ff01ff00ff00, 0xff01ff01ff000000, 0xff01ff01ff01ffff, 0xff01ff01ff01ff01,
	0xff01ff01ff0101ff, 0xff01ff01ff010101, 0xff01ff0100ff0000, 0xff01ff010000ff00,
	0xff01ff0100000001, 0xff01ff0100000100, 0xff01ff0100010000, 0xff01ff0101ffff00,
	0xff01ff0101ff01ff, 0xff01ff0101ff0101, 0xff01ff010100ff00, 0xff01ff0101000000,
	0xff01ff010101ffff, 0xff01ff010101ff01, 0xff01ff01010101ff, 0xff01ff0101010101,
	0xff0100ffffff0000, 0xff0100ffff0000ff, 0xff0100ffff000001, 0xff0100ffff000100,
	0xff0100ffff010000, 0xff0100ff00ff00ff, 0xff0100ff00ff0000, 0xff0100ff00ff0001,
	0xff0100ff00ff0100, 0xff0100ff0000ff01, 0xff0100ff00000000, 0xff0100ff000001ff,
	0xff0100ff00000101, 0xff0100ff00010001, 0xff0100ff01ff0000, 0xff0100ff0100ff00,
	0xff0100ff010000ff, 0xff0100ff01000100, 0xff0100ff0101ff00, 0xff0100ff01010000,
	0xff010000ffff0100, 0xff010000ff000000, 0xff010000ff01ff00, 0xff010000ff010100,
	0xff01000000ffffff, 0xff01000000ff0000, 0xff01000000ff01ff, 0xff0100000000ff00,
	0xff010000000000ff, 0xff01000000000000, 0xff01000000000100, 0xff0100000001ff01,
	0xff01000000010000, 0xff010000000101ff, 0xff01000001ff0100, 0xff0100000100ffff,
	0xff010000010000ff, 0xff01000001000000, 0xff010000010001ff, 0xff01000001000101,
	0xff0100000101ff00, 0xff010000010100ff, 0xff01000001010001, 0xff01000001010100,
	0xff010001ffff0000, 0xff010001ff00ffff, 0xff010001ff00ff01, 0xff010001ff000100,
	0xff010001ff010000, 0xff01000100ffff00, 0xff01000100ff0100, 0xff01000100000000,
	0xff0100010001ffff, 0xff0100010001ff00, 0xff01000100010100, 0xff01000101ff00ff,
	0xff01000101ff0001, 0xff0100010100ffff, 0xff01000101000101, 0xff0101ffffffffff,
	0xff0101ffffffff01, 0xff0101ffffff01ff, 0xff0101ffffff0101, 0xff0101ffff000000,
	0xff0101ffff01ffff, 0xff0101ffff01ff01, 0xff0101ffff0101ff, 0xff0101ffff010101,
	0xff0101ff00ff0000, 0xff0101ff0000ff00, 0xff0101ff000000ff, 0xff0101ff00010000,
	0xff0101ff01ffffff, 0xff0101ff01ffff01, 0xff0101ff01ff01ff, 0xff0101ff01ff0101,
	0xff0101ff0101ffff, 0xff0101ff0101ff01, 0xff0101ff010101ff, 0xff0101ff01010101,
	0xff010100ffff0100, 0xff010100ff00ff00, 0xff010100ff0000ff, 0xff010100ff000100,
	0xff010100ff010000, 0xff01010000ff0001, 0xff01010000ff0100, 0xff0101000000ff01,
	0xff01010000000000, 0xff0101000001ff00, 0xff010100000100ff, 0xff01010000010001,
	0xff01010000010100, 0xff01010001ff0000, 0xff0101000100ffff, 0xff01010001000001,
	0xff01010001000100, 0xff010100010100ff, 0xff01010001010000, 0xff010101ffffffff,
	0xff010101ffffff01, 0xff010101ffff01ff, 0xff010101ffff0101, 0xff010101ff01ffff,
	0xff010101ff01ff01, 0xff010101ff0101ff, 0xff010101ff010101, 0xff01010100ff0000,
	0xff0101010000ff00, 0xff01010100000001, 0xff01010100000100, 0xff01010100010000,
	0xff01010101ffffff, 0xff01010101ffff01, 0xff01010101ff01ff, 0xff01010101ff0101,
	0xff01010101000000, 0xff0101010101ffff, 0xff0101010101ff01, 0xff010101010101ff,
	0xff01010101010101, 0x00ffffffffff0000, 0x00ffffffff00ff00, 0x00ffffffff000001,
	0x00ffffffff010000, 0x00ffffff00ff0100, 0x00ffffff0000ff01, 0x00ffffff00000000,
	0x00ffffff000001ff, 0x00ffffff00000101, 0x00ffffff0001ff00, 0x00ffffff000100ff,
	0x00ffffff00010001, 0x00ffffff010000ff, 0x00ffffff01000100, 0x00ffffff0101ff00,
	0x00ffffff01010001, 0x00ffff00ffffffff, 0x00ffff00ffffff00, 0x00ffff00ffff00ff,
	0x00ffff00ffff0001, 0x00ffff00ffff0100, 0x00ffff00ff00ff01, 0x00ffff00ff000000,
	0x00ffff00ff000001, 0x00ffff00ff0001ff, 0x00ffff00ff000101, 0x00ffff00ff01ff00,
	0x00ffff00ff010001, 0x00ffff00ff010100, 0x00ffff0000ff0000, 0x00ffff0000ff01ff,
	0x00ffff0000ff0101, 0x00ffff000000ff00, 0x00ffff00000000ff, 0x00ffff0000000000,
	0x00ffff0000000001, 0x00ffff0000000100, 0x00ffff0000000101, 0x00ffff0000010000,
	0x00ffff00000101ff, 0x00ffff0000010101, 0x00ffff0001ffff00, 0x00ffff0001ff00ff,
	0x00ffff0001ff0001, 0x00ffff000100ffff, 0x00ffff000100ff01, 0x00ffff0001000000,
	0x00ffff000101ffff, 0x00ffff000101ff00, 0x00ffff000101ff01, 0x00ffff01ffff0000,
	0x00ffff01ff00ff00, 0x00ffff01ff0000ff, 0x00ffff01ff000001, 0x00ffff01ff010000,
	0x00ffff0100ffff00, 0x00ffff010000ff01, 0x00ffff0100000000, 0x00ffff0100000101,
	0x00ffff01000100ff, 0x00ffff0100010100, 0x00ffff0101ff0100, 0x00ffff01010000ff,
	0x00ffff0101010000, 0x00ff00ffffffff00, 0x00ff00ffff000000, 0x00ff00ffff000100,
	0x00ff00ffff010100, 0x00ff00ff00ff0000, 0x00ff00ff00ff01ff, 0x00ff00ff00ff0101,
	0x00ff00ff0000ff00, 0x00ff00ff000000ff, 0x00ff00ff00000000, 0x00ff00ff00000001,
	0x00ff00ff0001ff00, 0x00ff00ff0001ff01, 0x00ff00ff00010000, 0x00ff00ff000101ff,
	0x00ff00ff00010101, 0x00ff00ff01ffff00, 0x00ff00ff01ff0001, 0x00ff00ff01ff0100,
	0x00ff00ff0100ffff, 0x00ff00ff0100ff01, 0x00ff00ff01000000, 0x00ff00ff0101ffff,
	0x00ff00ff0101ff00, 0x00ff00ff01010100, 0x00ff0000ffffff00, 0x00ff0000ffffff01,
	0x00ff0000ffff0000, 0x00ff0000ffff0101, 0x00ff0000ff00ff00, 0x00ff0000ff0000ff,
	0x00ff0000ff000000, 0x00ff0000ff000001, 0x00ff0000ff000100, 0x00ff0000ff01ffff,
	0x00ff0000ff010000, 0x00ff0000ff010101, 0x00ff000000ffff00, 0x00ff000000ff00ff,
	0x00ff000000ff0000, 0x00ff000000ff0001, 0x00ff000000ff0100, 0x00ff00000000ffff,
	0x00ff00000000ff00, 0x00ff0000000000ff, 0x00ff000000000000, 0x00ff000000000001,
	0x00ff0000000001ff, 0x00ff000000000100, 0x00ff00000001ff00, 0x00ff0000000100ff,
	0x00ff000000010000, 0x00ff000000010001, 0x00ff000000010100, 0x00ff000001ffff01,
	0x00ff000001ff00ff, 0x00ff000001ff0000, 0x00ff000001ff01ff, 0x00ff00000100ff00,
	0x00ff0000010000ff, 0x00ff000001000000, 0x00ff000001000001, 0x00ff000001000100,
	0x00ff000001000101, 0x00ff000001010000, 0x00ff0000010101ff, 0x00ff000001010101,
	0x00ff0001ffffff00, 0x00ff0001ffff0000, 0x00ff0001ffff0100, 0x00ff0001ff0000ff,
	0x00ff0001ff000000, 0x00ff0001ff0001ff, 0x00ff0001ff000101, 0x00ff0001ff01ff00,
	0x00ff0001ff0100ff, 0x00ff0001ff010100, 0x00ff000100ffffff, 0x00ff000100ffff01,
	0x00ff000100ff0000, 0x00ff000100ff01ff, 0x00ff00010000ffff, 0x00ff00010000ff00,
	0x00ff00010000ff01, 0x00ff000100000000, 0x00ff000100000001, 0x00ff000100000100,
	0x00ff00010001ff01, 0x00ff000100010000, 0x00ff0001000101ff, 0x00ff000101ffff00,
	0x00ff000101ff0000, 0x00ff000101ff0101, 0x00ff0001010000ff, 0x00ff000101000000,
	0x00ff00010101ff00, 0x00ff0001010100ff, 0x00ff000101010001, 0x00ff01ffffff0000,
	0x00ff01ffff00ff00, 0x00ff01ffff000000, 0x00ff01ffff000101, 0x00ff01ffff010000,
	0x00ff01ff00ffff01, 0x00ff01ff00ff0100, 0x00ff01ff0000ffff, 0x00ff01ff00000000,
	0x00ff01ff000001ff, 0x00ff01ff0001ff00, 0x00ff01ff000100ff, 0x00ff01ff00010001,
	0x00ff01ff00010100, 0x00ff01ff01ff0000, 0x00ff01ff0100ff00, 0x00ff01ff010000ff,
	0x00ff01ff01000001, 0x00ff01ff01000100, 0x00ff01ff01010000, 0x00ff0100ffffff00,
	0x00ff0100ffff0000, 0x00ff0100ffff0001, 0x00ff0100ffff0101, 0x00ff0100ff00ffff,
	0x00ff0100ff0000ff, 0x00ff0100ff000000, 0x00ff0100ff0001ff, 0x00ff0100ff01ff00,
	0x00ff0100ff0100ff, 0x00ff0100ff010001, 0x00ff010000ffffff, 0x00ff010000ff0000,
	0x00ff010000ff0101, 0x00ff01000000ff00, 0x00ff01000000ff01, 0x00ff0100000000ff,
	0x00ff010000000000, 0x00ff010000000001, 0x00ff010000000100, 0x00ff01000001ffff,
	0x00ff01000001ff01, 0x00ff010000010000, 0x00ff010000010001, 0x00ff010000010101,
	0x00ff010001ff0001, 0x00ff010001ff0100, 0x00ff01000100ff01, 0x00ff010001000000,
	0x00ff010001000001, 0x00ff0100010001ff, 0x00ff01000101ff00, 0x00ff0100010100ff,
	0x00ff010001010001, 0x00ff010001010100, 0x00ff0101ff000001, 0x00ff010100ff00ff,
	0x00ff010100ff0001, 0x00ff010100ff0100, 0x00ff010100000000, 0x00ff0101000001ff,
	0x00ff010100000101, 0x00ff0101000100ff, 0x00ff010100010100, 0x00ff0101010000ff,
	0x00ff010101010000, 0x0000ffffffffff00, 0x0000ffffffff00ff, 0x0000ffffffff0000,
	0x0000ffffffff0001, 0x0000ffffffff0100, 0x0000ffffff00ff01, 0x0000ffffff000000,
	0x0000ffffff000101, 0x0000ffffff01ff00, 0x0000ffffff0100ff, 0x0000ffffff010100,
	0x0000ffff00ffffff, 0x0000ffff00ff0000, 0x0000ffff00ff01ff, 0x0000ffff0000ff00,
	0x0000ffff000000ff, 0x0000ffff00000000, 0x0000ffff00000001, 0x0000ffff00000100,
	0x0000ffff00010000, 0x0000ffff000101ff, 0x0000ffff01ff0001, 0x0000ffff01ff0100,
	0x0000ffff01000000, 0x0000ffff010001ff, 0x0000ffff0101ffff, 0x0000ffff0101ff00,
	0x0000ffff01010001, 0x0000ffff01010100, 0x0000ff00ffff0000, 0x0000ff00ffff01ff,
	0x0000ff00ffff0100, 0x0000ff00ffff0101, 0x0000ff00ff00ff00, 0x0000ff00ff0000ff,
	0x0000ff00ff000000, 0x0000ff00ff000001, 0x0000ff00ff0001ff, 0x0000ff00ff000100,
	0x0000ff00ff01ffff, 0x0000ff00ff010000, 0x0000ff00ff010001, 0x0000ff00ff0101ff,
	0x0000ff00ff010101, 0x0000ff0000ffff00, 0x0000ff0000ff00ff, 0x0000ff0000ff0000,
	0x0000ff0000ff0001, 0x0000ff0000ff0100, 0x0000ff000000ffff, 0x0000ff000000ff00,
	0x0000ff000000ff01, 0x0000ff00000000ff, 0x0000ff0000000000, 0x0000ff0000000001,
	0x0000ff00000001ff, 0x0000ff0000000100, 0x0000ff0000000101, 0x0000ff000001ff00,
	0x0000ff00000100ff, 0x0000ff0000010000, 0x0000ff0000010001, 0x0000ff0000010100,
	0x0000ff0001ffff01, 0x0000ff0001ff0000, 0x0000ff000100ff00, 0x0000ff00010000ff,
	0x0000ff0001000000, 0x0000ff0001000001, 0x0000ff0001000100, 0x0000ff000101ffff,
	0x0000ff0001010000, 0x0000ff0001010101, 0x0000ff01ffffff00, 0x0000ff01ffff0001,
	0x0000ff01ff00ff01, 0x0000ff01ff000000, 0x0000ff01ff000101, 0x0000ff01ff01ff00,
	0x0000ff01ff0100ff, 0x0000ff0100ffff01, 0x0000ff0100ff0000, 0x0000ff0100ff0101,
	0x0000ff010000ff00, 0x0000ff01000000ff, 0x0000ff0100000000, 0x0000ff0100000001,
	0x0000ff0100000100, 0x0000ff010001ff01, 0x0000ff0100010000, 0x0000ff0101ff0000,
	0x0000ff010100ffff, 0x0000ff010100ff01, 0x0000ff0101000000, 0x0000ff0101000100,
	0x0000ff0101000101, 0x0000ff01010100ff, 0x000000ffffff00ff, 0x000000ffffff0000,
	0x000000ffff00ff00, 0x000000ffff0000ff, 0x000000ffff000000, 0x000000ffff000001,
	0x000000ffff0001ff, 0x000000ffff000100, 0x000000ffff01ff00, 0x000000ffff010000,
	0x000000ffff0101ff, 0x000000ffff010101, 0x000000ff00ffff00, 0x000000ff00ff00ff,
	0x000000ff00ff0000, 0x000000ff00ff0001, 0x000000ff00ff0100, 0x000000ff00ff0101,
	0x000000ff0000ffff, 0x000000ff0000ff00, 0x000000ff000000ff, 0x000000ff00000000,
	0x000000ff00000001, 0x000000ff000001ff, 0x000000ff00000100, 0x000000ff00000101,
	0x000000ff0001ff00, 0x000000ff0001ff01, 0x000000ff000100ff, 0x000000ff00010000,
	0x000000ff00010001, 0x000000ff00010100, 0x000000ff01ffffff, 0x000000ff01ff01ff,
	0x000000ff01ff0101, 0x000000ff0100ff00, 0x000000ff010000ff, 0x000000ff01000000,
	0x000000ff01000001, 0x000000ff01000100, 0x000000ff0101ff00, 0x000000ff010100ff,
	0x000000ff01010000, 0x000000ff01010101, 0x00000000ffffff00, 0x00000000ffffff01,
	0x00000000ffff00ff, 0x00000000ffff0000, 0x00000000ffff0001, 0x00000000ffff0100,
	0x00000000ff00ffff, 0x00000000ff00ff00, 0x00000000ff00ff01, 0x00000000ff0000ff,
	0x00000000ff000000, 0x00000000ff000001, 0x00000000ff000100, 0x00000000ff000101,
	0x00000000ff01ff00, 0x00000000ff0100ff, 0x00000000ff010000, 0x00000000ff010001,
	0x00000000ff010100, 0x0000000000ffffff, 0x0000000000ffff00, 0x0000000000ffff01,
	0x0000000000ff00ff, 0x0000000000ff0000, 0x0000000000ff0001, 0x0000000000ff01ff,
	0x0000000000ff0100, 0x000000000000ffff, 0x000000000000ff00, 0x000000000000ff01,
	0x00000000000000ff, 0x0000000000000000, 0x0000000000000001, 0x00000000000001ff,
	0x0000000000000100, 0x0000000000000101, 0x000000000001ffff, 0x000000000001ff00,
	0x00000000000100ff, 0x0000000000010000, 0x0000000000010001, 0x00000000000101ff,
	0x0000000000010100, 0x0000000000010101, 0x0000000001ffff00, 0x0000000001ff00ff,
	0x0000000001ff0000, 0x0000000001ff0100, 0x0000000001ff0101, 0x000000000100ffff,
	0x000000000100ff00, 0x00000000010000ff, 0x0000000001000000, 0x0000000001000001,
	0x00000000010001ff, 0x0000000001000100, 0x000000000101ff00, 0x00000000010100ff,
	0x0000000001010000, 0x0000000001010001, 0x0000000001010100, 0x00000001ffffffff,
	0x00000001ffffff00, 0x00000001ffffff01, 0x00000001ffff00ff, 0x00000001ffff0001,
	0x00000001ffff01ff, 0x00000001ffff0100, 0x00000001ff00ff00, 0x00000001ff0000ff,
	0x00000001ff000000, 0x00000001ff0001ff, 0x00000001ff000100, 0x00000001ff01ffff,
	0x00000001ff01ff00, 0x00000001ff01ff01, 0x00000001ff0100ff, 0x00000001ff010000,
	0x00000001ff010001, 0x00000001ff0101ff, 0x00000001ff010100, 0x0000000100ffff00,
	0x0000000100ff0000, 0x0000000100ff0001, 0x0000000100ff01ff, 0x0000000100ff0100,
	0x0000000100ff0101, 0x000000010000ffff, 0x000000010000ff00, 0x000000010000ff01,
	0x00000001000000ff, 0x0000000100000000, 0x0000000100000001, 0x00000001000001ff,
	0x0000000100000100, 0x0000000100000101, 0x000000010001ff00, 0x00000001000100ff,
	0x0000000100010000, 0x0000000100010100, 0x0000000101ffff01, 0x0000000101ff0000,
	0x0000000101ff0001, 0x0000000101ff01ff, 0x0000000101ff0100, 0x0000000101ff0101,
	0x000000010100ff00, 0x0000000101000000, 0x0000000101000101, 0x000000010101ff01,
	0x0000000101010000, 0x0000000101010001, 0x00000001010101ff, 0x0000000101010100,
	0x000001ffffff00ff, 0x000001ffffff0000, 0x000001ffffff0001, 0x000001ffffff0100,
	0x000001ffff00ffff, 0x000001ffff000000, 0x000001ffff0001ff, 0x000001ffff01ff00,
	0x000001ffff010101, 0x000001ff00ff0000, 0x000001ff00ff01ff, 0x000001ff00ff0101,
	0x000001ff0000ff00, 0x000001ff000000ff, 0x000001ff00000000, 0x000001ff00000001,
	0x000001ff000001ff, 0x000001ff00000100, 0x000001ff0001ffff, 0x000001ff0001ff01,
	0x000001ff000100ff, 0x000001ff00010000, 0x000001ff01ffff01, 0x000001ff01ff0100,
	0x000001ff0100ffff, 0x000001ff0100ff01, 0x000001ff01000000, 0x000001ff010001ff,
	0x000001ff0101ff00, 0x000001ff01010100, 0x00000100ffffff00, 0x00000100ffffff01,
	0x00000100ffff0000, 0x00000100ffff0101, 0x00000100ff00ff00, 0x00000100ff0000ff,
	0x00000100ff000000, 0x00000100ff000001, 0x00000100ff000100, 0x00000100ff010000,
	0x0000010000ffff00, 0x0000010000ff00ff, 0x0000010000ff0000, 0x0000010000ff0001,
	0x0000010000ff0100, 0x000001000000ffff, 0x000001000000ff00, 0x000001000000ff01,
	0x00000100000000ff, 0x0000010000000000, 0x0000010000000001, 0x00000100000001ff,
	0x0000010000000100, 0x0000010000000101, 0x000001000001ff00, 0x00000100000100ff,
	0x0000010000010000, 0x0000010000010001, 0x0000010000010100, 0x0000010001ffff00,
	0x0000010001ff0000, 0x0000010001ff0100, 0x000001000100ff00, 0x00000100010000ff,
	0x0000010001000000, 0x0000010001000001, 0x00000100010001ff, 0x0000010001000100,
	0x0000010001010000, 0x00000101ffff00ff, 0x00000101ffff01ff, 0x00000101ff000000,
	0x00000101ff000101, 0x00000101ff01ffff, 0x00000101ff010000, 0x00000101ff010001,
	0x00000101ff010100, 0x0000010100ff0000, 0x0000010100ff01ff, 0x0000010100ff0100,
	0x000001010000ff00, 0x0000010100000000, 0x0000010100000001, 0x00000101000001ff,
	0x0000010100000100, 0x000001010001ff01, 0x0000010100010000, 0x00000101000101ff,
	0x0000010100010101, 0x0000010101ffff00, 0x0000010101ff0101, 0x000001010100ff01,
	0x0000010101000000, 0x0000010101000001, 0x00000101010001ff, 0x0000010101000101,
	0x000001010101ff00, 0x0001ffffffff0000, 0x0001ffffff0000ff, 0x0001ffffff000001,
	0x0001ffffff000100, 0x0001ffffff010000, 0x0001ffff00ff00ff, 0x0001ffff0000ffff,
	0x0001ffff00000000, 0x0001ffff00000001, 0x0001ffff000001ff, 0x0001ffff00000101,
	0x0001ffff0001ff00, 0x0001ffff000100ff, 0x0001ffff00010001, 0x0001ffff00010100,
	0x0001ffff01ffff00, 0x0001ffff01000001, 0x0001ffff01010000, 0x0001ff00ffffff00,
	0x0001ff00ffff00ff, 0x0001ff00ffff0001, 0x0001ff00ffff0100, 0x0001ff00ff00ff01,
	0x0001ff00ff000000, 0x0001ff00ff01ff00, 0x0001ff00ff01ff01, 0x0001ff00ff010001,
	0x0001ff00ff010100, 0x0001ff0000ff0000, 0x0001ff0000ff0100, 0x0001ff000000ff00,
	0x0001ff0000000000, 0x0001ff0000000001, 0x0001ff0000000100, 0x0001ff0000010000,
	0x0001ff0000010001, 0x0001ff0000010101, 0x0001ff0001ff00ff, 0x0001ff0001ff0101,
	0x0001ff000100ff01, 0x0001ff0001000000, 0x0001ff000101ff00, 0x0001ff0001010001,
	0x0001ff0001010100, 0x0001ff01ff00ff00, 0x0001ff01ff000001, 0x0001ff01ff000100,
	0x0001ff0100ffffff, 0x0001ff0100ffff00, 0x0001ff0100ff0001, 0x0001ff0100000000,
	0x0001ff0100000001, 0x0001ff01000001ff, 0x0001ff010001ffff, 0x0001ff0101ff0000,
	0x0001ff010100ff00, 0x0001ff0101000001, 0x0001ff0101010000, 0x000100ffff00ff00,
	0x000100ffff00ff01, 0x000100ffff000000, 0x000100ffff000001, 0x000100ffff000101,
	0x000100ffff01ff00, 0x000100ffff010001, 0x000100ffff010100, 0x000100ff00ffffff,
	0x000100ff00ffff01, 0x000100ff00ff0000, 0x000100ff00ff01ff, 0x000100ff00ff0101,
	0x000100ff0000ff00, 0x000100ff000000ff, 0x000100ff00000000, 0x000100ff00000001,
	0x000100ff00000100, 0x000100ff00000101, 0x000100ff0001ffff, 0x000100ff0001ff01,
	0x000100ff00010000, 0x000100ff01ff00ff, 0x000100ff01ff0000, 0x000100ff01ff0100,
	0x000100ff0100ffff, 0x000100ff0100ff01, 0x000100ff010000ff, 0x000100ff01000000,
	0x000100ff01000001, 0x000100ff010001ff, 0x000100ff01000101, 0x000100ff0101ff00,
	0x000100ff010100ff, 0x000100ff01010100, 0x00010000ffff0000, 0x00010000ffff01ff,
	0x00010000ffff0101, 0x00010000ff00ff00, 0x00010000ff000000, 0x00010000ff000001,
	0x00010000ff000100, 0x0001000000ff00ff, 0x0001000000ff0000, 0x0001000000ff0001,
	0x0001000000ff0100, 0x000100000000ffff, 0x000100000000ff00, 0x00010000000000ff,
	0x0001000000000000, 0x0001000000000001, 0x0001000000000100, 0x000100000001ff00,
	0x00010000000100ff, 0x0001000000010000, 0x0001000000010001, 0x0001000000010100,
	0x0001000001ff0001, 0x0001000001ff0100, 0x0001000001ff0101, 0x000100000100ff00,
	0x0001000001000000, 0x0001000001000001, 0x0001000001000100, 0x0001000001000101,
	0x000100000101ff01, 0x0001000001010000, 0x0001000001010001, 0x00010000010101ff,
	0x00010001ffffff01, 0x00010001ffff0100, 0x00010001ff000000, 0x00010001ff01ffff,
	0x00010001ff010001, 0x00010001ff0101ff, 0x00010001ff010100, 0x0001000100ffffff,
	0x0001000100ff0000, 0x0001000100ff01ff, 0x0001000100ff0101, 0x000100010000ff00,
	0x00010001000000ff, 0x0001000100000000, 0x0001000100000001, 0x00010001000001ff,
	0x0001000100000101, 0x000100010001ffff, 0x0001000100010000, 0x00010001000101ff,
	0x0001000101ffffff, 0x0001000101ffff01, 0x0001000101ff0000, 0x0001000101ff0101,
	0x00010001010000ff, 0x0001000101000001, 0x00010001010001ff, 0x0001000101000100,
	0x000100010101ffff, 0x00010001010100ff, 0x0001000101010001, 0x0001000101010101,
	0x000101ffff000001, 0x000101ffff000100, 0x000101ffff010000, 0x000101ff00ffff00,
	0x000101ff0000ff01, 0x000101ff00000000, 0x000101ff00000101, 0x000101ff0001ff00,
	0x000101ff00010100, 0x000101ff01ff0000, 0x000101ff0100ff00, 0x000101ff010001ff,
	0x000101ff01010001, 0x00010100ffffff00, 0x00010100ffff00ff, 0x00010100ff00ffff,
	0x00010100ff000000, 0x00010100ff01ff00, 0x00010100ff0100ff, 0x00010100ff010001,
	0x00010100ff010100, 0x0001010000ffffff, 0x0001010000ffff00, 0x0001010000ff0000,
	0x0001010000ff0001, 0x0001010000ff01ff, 0x000101000000ff00, 0x00010100000000ff,
	0x0001010000000000, 0x0001010000000001, 0x0001010000000100, 0x000101000001ffff,
	0x0001010000010000, 0x0001010000010101, 0x0001010001ffff01, 0x0001010001ff00ff,
	0x0001010001ff0101, 0x0001010001000000, 0x000101000101ff00, 0x00010100010100ff,
	0x0001010001010000, 0x0001010001010100, 0x00010101ff00ff00, 0x00010101ff000001,
	0x00010101ff0001ff, 0x0001010100ffff00, 0x0001010100ff00ff, 0x0001010100ff0100,
	0x000101010000ffff, 0x0001010100000000, 0x00010101000001ff, 0x0001010100000101,
	0x00010101000100ff, 0x0001010100010000, 0x0001010100010100, 0x0001010101ff0001,
	0x00010101010000ff, 0x00010101010001ff, 0x0001010101000101, 0x0001010101010001,
	0x01ffffffffffffff, 0x01ffffffffffff01, 0x01ffffffffff01ff, 0x01ffffffffff0101,
	0x01ffffffff01ffff, 0x01ffffffff01ff01, 0x01ffffffff0101ff, 0x01ffffffff010101,
	0x01ffffff00ff0000, 0x01ffffff0000ffff, 0x01ffffff0000ff00, 0x01ffffff000000ff,
	0x01ffffff00000001, 0x01ffffff00000100, 0x01ffffff00010000, 0x01ffffff01ffffff,
	0x01ffffff01ffff01, 0x01ffffff01ff01ff, 0x01ffffff01ff0101, 0x01ffffff01000000,
	0x01ffffff0101ffff, 0x01ffffff0101ff01, 0x01ffffff010101ff, 0x01ffffff01010101,
	0x01ffff00ffff0000, 0x01ffff00ff00ff00, 0x01ffff00ff0000ff, 0x01ffff00ff000001,
	0x01ffff00ff000100, 0x01ffff00ff010000, 0x01ffff0000ffff00, 0x01ffff0000ff00ff,
	0x01ffff0000ff0100, 0x01ffff000000ffff, 0x01ffff000000ff01, 0x01ffff0000000000,
	0x01ffff0000000001, 0x01ffff00000001ff, 0x01ffff0000000100, 0x01ffff00000100ff,
	0x01ffff0000010001, 0x01ffff0000010100, 0x01ffff0001ff0000, 0x01ffff0001ff0100,
	0x01ffff00010000ff, 0x01ffff0001000001, 0x01ffff0001000100, 0x01ffff0001010000,
	0x01ffff01ffffffff, 0x01ffff01ffffff01, 0x01ffff01ffff01ff, 0x01ffff01ffff0101,
	0x01ffff01ff000000, 0x01ffff01ff01ffff, 0x01ffff01ff01ff01, 0x01ffff01ff0101ff,
	0x01ffff01ff010101, 0x01ffff010000ff00, 0x01ffff01000000ff, 0x01ffff0100000100,
	0x01ffff0100010000, 0x01ffff0101ffffff, 0x01ffff0101ffff01, 0x01ffff0101ff01ff,
	0x01ffff0101ff0101, 0x01ffff0101000000, 0x01ffff010101ffff, 0x01ffff010101ff01,
	0x01ffff01010101ff, 0x01ffff0101010101, 0x01ff00ffff0000ff, 0x01ff00ffff000100,
	0x01ff00ff00ffff00, 0x01ff00ff00ff00ff, 0x01ff00ff0000ff00, 0x01ff00ff00000000,
	0x01ff00ff00000101, 0x01ff00ff0001ff00, 0x01ff00ff000100ff, 0x01ff00ff00010100,
	0x01ff00ff010000ff, 0x01ff00ff01000100, 0x01ff0000ffffff00, 0x01ff0000ffff0100,
	0x01ff0000ff00ff01, 0x01ff0000ff000000, 0x01ff0000ff000101, 0x01ff0000ff010001,
	0x01ff0000ff010100, 0x01ff000000ffffff, 0x01ff000000ffff00, 0x01ff000000ff0000,
	0x01ff000000ff01ff, 0x01ff00000000ff00, 0x01ff0000000000ff, 0x01ff000000000000,
	0x01ff000000000001, 0x01ff000000000100, 0x01ff000000000101, 0x01ff000000010000,
	0x01ff000000010001, 0x01ff0000000101ff, 0x01ff000000010101, 0x01ff000001ffff00,
	0x01ff000001ff00ff, 0x01ff000001ff0001, 0x01ff000001ff0100, 0x01ff00000100ffff,
	0x01ff00000100ff01, 0x01ff000001000000, 0x01ff0000010001ff, 0x01ff000001010001,
	0x01ff0001ff00ff00, 0x01ff0001ff000001, 0x01ff0001ff000100, 0x01ff0001ff010000,
	0x01ff000100ffff00, 0x01ff000100ff00ff, 0x01ff000100ff0100, 0x01ff000100ff0101,
	0x01ff00010000ffff, 0x01ff000100000000, 0x01ff000100000100, 0x01ff000100000101,
	0x01ff00010001ff00, 0x01ff000100010001, 0x01ff000100010101, 0x01ff000101ff0000,
	0x01ff00010100ff00, 0x01ff000101000101, 0x01ff0001010100ff, 0x01ff01ffffffffff,
	0x01ff01ffffffff01, 0x01ff01ffffff01ff, 0x01ff01ffffff0101, 0x01ff01ffff000000,
	0x01ff01ffff01ffff, 0x01ff01ffff01ff01, 0x01ff01ffff0101ff, 0x01ff01ffff010101,
	0x01ff01ff00ffff00, 0x01ff01ff00ff0000, 0x01ff01ff0000ff00, 0x01ff01ff000000ff,
	0x01ff01ff00000100, 0x01ff01ff00010000, 0x01ff01ff00010100, 0x01ff01ff01ffffff,
	0x01ff01ff01ffff01, 0x01ff01ff01ff01ff, 0x01ff01ff01ff0101, 0x01ff01ff01000000,
	0x01ff01ff0101ffff, 0x01ff01ff0101ff01, 0x01ff01ff010101ff, 0x01ff01ff01010101,
	0x01ff0100ffff0000, 0x01ff0100ffff0001, 0x01ff0100ff00ff00, 0x01ff0100ff0000ff,
	0x01ff0100ff000001, 0x01ff0100ff010000, 0x01ff010000ffff00, 0x01ff010000ff00ff,
	0x01ff010000ff0001, 0x01ff010000ff0100, 0x01ff01000000ffff, 0x01ff01000000ff01,
	0x01ff010000000000, 0x01ff010000000101, 0x01ff01000001ff00, 0x01ff0100000100ff,
	0x01ff010001ff0000, 0x01ff010001000001, 0x01ff010001000100, 0x01ff010001010000,
	0x01ff0101ffffffff, 0x01ff0101ffffff01, 0x01ff0101ffff01ff, 0x01ff0101ffff0101,
	0x01ff0101ff000000, 0x01ff0101ff01ffff, 0x01ff0101ff01ff01, 0x01ff0101ff0101ff,
	0x01ff0101ff010101, 0x01ff010100ff0000, 0x01ff01010000ff00, 0x01ff0101000000ff,
	0x01ff010100000001, 0x01ff010101ffffff, 0x01ff010101ffff01, 0x01ff010101ff01ff,
	0x01ff010101ff0101, 0x01ff010101000000, 0x01ff01010101ffff, 0x01ff01010101ff01,
	0x01ff0101010101ff, 0x01ff010101010101, 0x0100ffffffff0000, 0x0100ffffff00ff00,
	0x0100ffffff000001, 0x0100ffffff0001ff, 0x0100ffffff000100, 0x0100ffffff010000,
	0x0100ffff00ffff00, 0x0100ffff00ff0001, 0x0100ffff00ff0100, 0x0100ffff00000000,
	0x0100ffff000001ff, 0x0100ffff00000101, 0x0100ffff00010100, 0x0100ffff00010101,
	0x0100ffff01ff0000, 0x0100ffff0100ff00, 0x0100ffff010000ff, 0x0100ffff01000001,
	0x0100ffff01000100, 0x0100ffff01010000, 0x0100ff00ffffff00, 0x0100ff00ffff00ff,
	0x0100ff00ffff0001, 0x0100ff00ffff0100, 0x0100ff00ff00ffff, 0x0100ff00ff000000,
	0x0100ff00ff0001ff, 0x0100ff00ff000101, 0x0100ff00ff01ff00, 0x0100ff00ff0100ff,
	0x0100ff00ff010001, 0x0100ff00ff010100, 0x0100ff0000ffffff, 0x0100ff0000ff0000,
	0x0100ff000000ffff, 0x0100ff000000ff00, 0x0100ff00000000ff, 0x0100ff0000000000,
	0x0100ff0000000001, 0x0100ff0000000100, 0x0100ff000001ff01, 0x0100ff0000010000,
	0x0100ff0001ff00ff, 0x0100ff0001ff0001, 0x0100ff000100ff01, 0x0100ff0001000000,
	0x0100ff00010001ff, 0x0100ff000101ff00, 0x0100ff00010100ff, 0x0100ff0001010001,
	0x0100ff0001010100, 0x0100ff01ffff0000, 0x0100ff01ff00ff00, 0x0100ff01ff0000ff,
	0x0100ff01ff000100, 0x0100ff01ff010000, 0x0100ff0100ff00ff, 0x0100ff0100ff0001,
	0x0100ff0100ff0100, 0x0100ff010000ffff, 0x0100ff010000ff01, 0x0100ff0100000000,
	0x0100ff01000001ff, 0x0100ff0100010001, 0x0100ff0100010100, 0x0100ff0101ff0000,
	0x0100ff01010000ff, 0x0100ff0101000001, 0x0100ff0101010100, 0x010000ffffffff00,
	0x010000ffffff00ff, 0x010000ffffff0001, 0x010000ffff00ffff, 0x010000ffff000000,
	0x010000ffff0001ff, 0x010000ffff010001, 0x010000ff00ffffff, 0x010000ff00ff0101,
	0x010000ff0000ff00, 0x010000ff000000ff, 0x010000ff00000000, 0x010000ff00000001,
	0x010000ff000001ff, 0x010000ff00000100, 0x010000ff0001ffff, 0x010000ff0001ff00,
	0x010000ff0001ff01, 0x010000ff00010000, 0x010000ff01ff00ff, 0x010000ff01ff0001,
	0x010000ff0100ff01, 0x010000ff010000ff, 0x010000ff01000000, 0x010000ff010001ff,
	0x010000ff0101ff00, 0x010000ff01010100, 0x01000000ffffffff, 0x01000000ffff0000,
	0x01000000ffff01ff, 0x01000000ffff0101, 0x01000000ff00ffff, 0x01000000ff00ff00,
	0x01000000ff0000ff, 0x01000000ff000000, 0x01000000ff000001, 0x01000000ff000100,
	0x01000000ff01ff00, 0x01000000ff010000, 0x01000000ff010100, 0x01000000ff010101,
	0x0100000000ffff00, 0x0100000000ff00ff, 0x0100000000ff0000, 0x0100000000ff0001,
	0x0100000000ff0100, 0x010000000000ffff, 0x010000000000ff00, 0x010000000000ff01,
	0x01000000000000ff, 0x0100000000000000, 0x0100000000000001, 0x01000000000001ff,
	0x0100000000000100, 0x0100000000000101, 0x010000000001ff00, 0x01000000000100ff,
	0x0100000000010000, 0x0100000000010001, 0x0100000000010100, 0x0100000001ffff00,
	0x0100000001ff0000, 0x0100000001ff01ff, 0x010000000100ff00, 0x010000000100ff01,
	0x01000000010000ff, 0x0100000001000000, 0x0100000001000001, 0x0100000001000100,
	0x0100000001000101, 0x010000000101ffff, 0x010000000101ff01, 0x0100000001010000,
	0x01000000010101ff, 0x0100000001010101, 0x01000001ffffff00, 0x01000001ffff00ff,
	0x01000001ff00ffff, 0x01000001ff000000, 0x01000001ff000100, 0x01000001ff01ffff,
	0x01000001ff010001, 0x01000001ff010100, 0x0100000100ff0000, 0x0100000100ff01ff,
	0x0100000100ff0100, 0x010000010000ff00, 0x010000010000ff01, 0x0100000100000000,
	0x0100000100000001, 0x0100000100000100, 0x0100000100010000, 0x01000001000101ff,
	0x0100000101ffff01, 0x0100000101ff00ff, 0x0100000101ff0100, 0x0100000101ff0101,
	0x010000010100ff01, 0x01000001010000ff, 0x0100000101000000, 0x01000001010100ff,
	0x0100000101010001, 0x0100000101010100, 0x010001ffffff0000, 0x010001ffff000001,
	0x010001ffff000100, 0x010001ffff010000, 0x010001ff00ffff00, 0x010001ff00ff0001,
	0x010001ff0000ffff, 0x010001ff0000ff01, 0x010001ff00000000, 0x010001ff00000001,
	0x010001ff00000101, 0x010001ff000100ff, 0x010001ff00010000, 0x010001ff01ff0000,
	0x010001ff0100ff00, 0x010001ff01000001, 0x010001ff01000100, 0x010001ff01010000,
	0x01000100ffff00ff, 0x01000100ffff0001, 0x01000100ffff0100, 0x01000100ff00ffff,
	0x01000100ff00ff01, 0x01000100ff000000, 0x01000100ff0001ff, 0x01000100ff000101,
	0x01000100ff01ffff, 0x01000100ff01ff00, 0x01000100ff0100ff, 0x01000100ff010001,
	0x0100010000ffffff, 0x0100010000ffff01, 0x0100010000ff0000, 0x0100010000ff01ff,
	0x0100010000ff0101, 0x010001000000ff00, 0x01000100000000ff, 0x0100010000000000,
	0x0100010000000001, 0x0100010000000100, 0x010001000001ff01, 0x0100010000010000,
	0x0100010000010001, 0x0100010000010101, 0x0100010001ffff00, 0x0100010001ff00ff,
	0x010001000100ffff, 0x010001000100ff01, 0x0100010001000000, 0x0100010001000101,
	0x010001000101ff00, 0x0100010001010001, 0x01000101ffff0000, 0x01000101ff000000,
	0x01000101ff010000, 0x0100010100ff00ff, 0x0100010100ff0001, 0x0100010100ff0100,
	0x010001010000ffff, 0x0100010100000000, 0x01000101000001ff, 0x010001010001ff00,
	0x0100010101ff0000, 0x010001010100ff00, 0x01000101010000ff, 0x0100010101000000,
	0x0100010101000001, 0x0101ffffffffffff, 0x0101ffffffffff01, 0x0101ffffffff01ff,
	0x0101ffffffff0101, 0x0101ffffff000000, 0x0101ffffff01ffff, 0x0101ffffff01ff01,
	0x0101ffffff0101ff, 0x0101ffffff010101, 0x0101ffff00ff0000, 0x0101ffff0000ff00,
	0x0101ffff000000ff, 0x0101ffff00000001, 0x0101ffff00000100, 0x0101ffff01ffffff,
	0x0101ffff01ffff01, 0x0101ffff01ff01ff, 0x0101ffff01ff0101, 0x0101ffff01000000,
	0x0101ffff0101ffff, 0x0101ffff0101ff01, 0x0101ffff010101ff, 0x0101ffff01010101,
	0x0101ff00ffff0000, 0x0101ff00ffff0100, 0x0101ff00ff00ff00, 0x0101ff00ff0000ff,
	0x0101ff00ff000001, 0x0101ff00ff000100, 0x0101ff00ff000101, 0x0101ff0000ff0001,
	0x0101ff0000ff0100, 0x0101ff000000ff00, 0x0101ff0000000000, 0x0101ff00000001ff,
	0x0101ff0000000101, 0x0101ff000001ff00, 0x0101ff00000100ff, 0x0101ff0001ff0000,
	0x0101ff000100ffff, 0x0101ff000100ff01, 0x0101ff0001000001, 0x0101ff0001000100,
	0x0101ff01ffffff01, 0x0101ff01ffff01ff, 0x0101ff01ffff0101, 0x0101ff01ff00ffff,
	0x0101ff01ff000100, 0x0101ff01ff01ff01, 0x0101ff01ff0101ff, 0x0101ff01ff010101,
	0x0101ff0100ff0000, 0x0101ff010000ff00, 0x0101ff0100000001, 0x0101ff0100000100,
	0x0101ff0100010000, 0x0101ff0101ffffff, 0x0101ff0101ffff01, 0x0101ff0101ff01ff,
	0x0101ff0101ff0101, 0x0101ff0101000000, 0x0101ff010101ffff, 0x0101ff010101ff01,
	0x0101ff01010101ff, 0x0101ff0101010101, 0x010100ffff000100, 0x010100ffff010000,
	0x010100ff00ffff00, 0x010100ff00ff00ff, 0x010100ff0000ffff, 0x010100ff000000ff,
	0x010100ff00000000, 0x010100ff000001ff, 0x010100ff00000101, 0x010100ff0001ff00,
	0x010100ff00010000, 0x010100ff00010001, 0x010100ff000101ff, 0x010100ff00010100,
	0x010100ff01ff0000, 0x01010000ffff0001, 0x01010000ffff0100, 0x01010000ff00ffff,
	0x01010000ff00ff01, 0x01010000ff000000, 0x01010000ff0001ff, 0x01010000ff010001,
	0x01010000ff010100, 0x0101000000ffff01, 0x0101000000ff0000, 0x010100000000ff00,
	0x01010000000000ff, 0x0101000000000000, 0x0101000000000001, 0x0101000000000100,
	0x0101000000010000, 0x0101000000010101, 0x0101000001ffff00, 0x0101000001ff00ff,
	0x0101000001ff0000, 0x0101000001ff0001, 0x0101000001ff0100, 0x010100000100ff01,
	0x0101000001000000, 0x01010000010001ff, 0x01010001ffff0000, 0x01010001ff00ff00,
	0x01010001ff000001, 0x01010001ff000101, 0x01010001ff01ff00, 0x01010001ff010000,
	0x0101000100ff00ff, 0x0101000100ff0001, 0x0101000100ff0101, 0x010100010000ff01,
	0x0101000100000000, 0x0101000100000001, 0x01010001000001ff, 0x010100010001ffff,
	0x010100010001ff01, 0x0101000101ff0001, 0x010100010100ffff, 0x0101000101000000,
	0x0101000101000001, 0x0101000101000100, 0x010100010101ff00, 0x01010001010100ff,
	0x0101000101010001, 0x010101ffffffffff, 0x010101ffffffff01, 0x010101ffffff01ff,
	0x010101ffffff0101, 0x010101ffff01ffff, 0x010101ffff01ff01, 0x010101ffff0101ff,
	0x010101ffff010101, 0x010101ff0000ff00, 0x010101ff000000ff, 0x010101ff00000001,
	0x010101ff00000100, 0x010101ff01ffffff, 0x010101ff01ffff01, 0x010101ff01ff01ff,
	0x010101ff01ff0101, 0x010101ff01000000, 0x010101ff0101ffff, 0x010101ff0101ff01,
	0x010101ff010101ff, 0x010101ff01010101, 0x01010100ffff0000, 0x01010100ff0000ff,
	0x01010100ff000100, 0x01010100ff01ff00, 0x01010100ff010000, 0x0101010000ffff00,
	0x010101000000ffff, 0x0101010000000000, 0x0101010000000101, 0x010101000001ff00,
	0x0101010000010001, 0x0101010000010100, 0x010101000100ffff, 0x0101010001000001,
	0x01010101ffffffff, 0x01010101ffffff01, 0x01010101ffff01ff, 0x01010101ffff0101,
	0x01010101ff01ffff, 0x01010101ff01ff01, 0x01010101ff0101ff, 0x01010101ff010101,
	0x010101010000ff00, 0x01010101000000ff, 0x0101010100000001, 0x0101010101ffffff,
	0x0101010101ffff01, 0x0101010101ff01ff, 0x0101010101ff0101, 0x0101010101000000,
	0x010101010101ffff, 0x010101010101ff01, 0x01010101010101ff, 0x0101010101010101,
};

