/* engine/quant.c — tensor element types: the type table (GGUF numbering, block sizes), fp16 and
 * bf16 conversions, dequantization, reference quantizers and scalar dot products. Block layouts
 * and numeric definitions follow the public GGUF/ggml format; the code is this project's own.
 * See docs/quant-formats.md. */
#include "engine/quant_impl.h"

#include <math.h>
#include <string.h>

/* Type table, indexed by GGUF type number. Unassigned numbers (4, 5, 31..33, 36..38) stay zero.
 * Q8_1 and Q8_K are activation types: quantized and dequantized, never dotted as weights, so
 * can_compute is 0 for them. vec_dot_type is what ggml's CPU backend uses. */
#define T(id, nm, b, sz, comp, vdt) [id] = { nm, b, sz, comp, vdt }
static const eng_type_info type_table[ENG_T_COUNT] = {
	T(ENG_T_F32, "f32", 1, 4, 1, ENG_T_F32),
	T(ENG_T_F16, "f16", 1, 2, 1, ENG_T_F16),
	T(ENG_T_Q4_0, "q4_0", 32, 18, 1, ENG_T_Q8_0),
	T(ENG_T_Q4_1, "q4_1", 32, 20, 1, ENG_T_Q8_1),
	T(ENG_T_Q5_0, "q5_0", 32, 22, 1, ENG_T_Q8_0),
	T(ENG_T_Q5_1, "q5_1", 32, 24, 1, ENG_T_Q8_1),
	T(ENG_T_Q8_0, "q8_0", 32, 34, 1, ENG_T_Q8_0),
	T(ENG_T_Q8_1, "q8_1", 32, 36, 0, ENG_T_Q8_1),
	T(ENG_T_Q2_K, "q2_K", 256, 84, 1, ENG_T_Q8_K),
	T(ENG_T_Q3_K, "q3_K", 256, 110, 1, ENG_T_Q8_K),
	T(ENG_T_Q4_K, "q4_K", 256, 144, 1, ENG_T_Q8_K),
	T(ENG_T_Q5_K, "q5_K", 256, 176, 1, ENG_T_Q8_K),
	T(ENG_T_Q6_K, "q6_K", 256, 210, 1, ENG_T_Q8_K),
	T(ENG_T_Q8_K, "q8_K", 256, 292, 0, ENG_T_Q8_K),
	T(ENG_T_IQ2_XXS, "iq2_xxs", 256, 66, 1, ENG_T_Q8_K),
	T(ENG_T_IQ2_XS, "iq2_xs", 256, 74, 1, ENG_T_Q8_K),
	T(ENG_T_IQ3_XXS, "iq3_xxs", 256, 98, 1, ENG_T_Q8_K),
	T(ENG_T_IQ1_S, "iq1_s", 256, 50, 1, ENG_T_Q8_K),
	T(ENG_T_IQ4_NL, "iq4_nl", 32, 18, 1, ENG_T_Q8_0),
	T(ENG_T_IQ3_S, "iq3_s", 256, 110, 1, ENG_T_Q8_K),
	T(ENG_T_IQ2_S, "iq2_s", 256, 82, 1, ENG_T_Q8_K),
	T(ENG_T_IQ4_XS, "iq4_xs", 256, 136, 1, ENG_T_Q8_K),
	T(ENG_T_I8, "i8", 1, 1, 0, ENG_T_I8),
	T(ENG_T_I16, "i16", 1, 2, 0, ENG_T_I16),
	T(ENG_T_I32, "i32", 1, 4, 0, ENG_T_I32),
	T(ENG_T_I64, "i64", 1, 8, 0, ENG_T_I64),
	T(ENG_T_F64, "f64", 1, 8, 0, ENG_T_F64),
	T(ENG_T_IQ1_M, "iq1_m", 256, 56, 1, ENG_T_Q8_K),
	T(ENG_T_BF16, "bf16", 1, 2, 1, ENG_T_BF16),
	T(ENG_T_TQ1_0, "tq1_0", 256, 54, 1, ENG_T_Q8_K),
	T(ENG_T_TQ2_0, "tq2_0", 256, 66, 1, ENG_T_Q8_K),
	T(ENG_T_MXFP4, "mxfp4", 32, 17, 1, ENG_T_Q8_0),
};
#undef T

const eng_type_info *eng_type_get(int type)
{
	if (type < 0 || type >= ENG_T_COUNT || !type_table[type].name)
		return NULL;
	return &type_table[type];
}

size_t eng_row_size(int type, int64_t n)
{
	const eng_type_info *ti = eng_type_get(type);
	if (!ti || n < 0 || n % ti->blck != 0)
		return 0;
	return (size_t)(n / ti->blck) * ti->type_size;
}

double eng_type_bpw(int type)
{
	const eng_type_info *ti = eng_type_get(type);
	return ti ? (double)ti->type_size * 8.0 / ti->blck : 0.0;
}

/* ---- fp16 / bf16 ---------------------------------------------------------------------------- */

static inline uint32_t f32_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

static inline float bits_f32(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

float eng_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
	uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;

	if (exp == 0x1f)                      /* inf, or NaN made quiet with its payload kept */
		return bits_f32(sign | 0x7f800000u | (man ? 0x00400000u : 0) | (man << 13));
	if (exp == 0) {
		if (man == 0)
			return bits_f32(sign);
		/* subnormal: man * 2^-24, exact in f32 */
		float v = (float)man * 0x1p-24f;
		return sign ? -v : v;
	}
	return bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
}

uint16_t eng_f32_to_f16(float f)
{
	uint32_t u = f32_bits(f);
	uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
	uint32_t a = u & 0x7fffffffu;

	if (a > 0x7f800000u)                  /* NaN: the canonical quiet NaN, as ggml's software path */
		return (uint16_t)(sign | 0x7e00u);
	if (a >= 0x477ff000u)                 /* rounds to >= 65520: inf */
		return (uint16_t)(sign | 0x7c00u);
	if (a < 0x38800000u) {                /* below 2^-14: f16 subnormal or zero */
		if (a < 0x33000000u)          /* below 2^-25: rounds to zero (2^-25 itself is a tie) */
			return sign;
		uint32_t e = a >> 23;         /* 102..112 */
		uint32_t m = (a & 0x7fffffu) | 0x800000u;
		uint32_t shift = 126u - e;    /* value = m * 2^(e-150); f16 units are 2^-24 */
		uint32_t q = m >> shift, rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
		if (rem > half || (rem == half && (q & 1u)))
			q++;
		return (uint16_t)(sign | q);
	}
	/* normal: rebias, round the 13 dropped bits to nearest even (a carry into the exponent is
	 * the correct result, including up to inf, which the check above already covers) */
	uint32_t r = a - 0x38000000u;         /* exponent 127 -> 15 */
	r += 0xfffu + ((r >> 13) & 1u);
	return (uint16_t)(sign | (r >> 13));
}

float eng_bf16_to_f32(uint16_t h)
{
	return bits_f32((uint32_t)h << 16);
}

uint16_t eng_f32_to_bf16(float f)
{
	uint32_t u = f32_bits(f);
	if ((u & 0x7fffffffu) > 0x7f800000u)  /* NaN: truncate and force quiet */
		return (uint16_t)((u >> 16) | 64u);
	return (uint16_t)((u + (0x7fffu + ((u >> 16) & 1u))) >> 16);
}

/* ---- block layouts --------------------------------------------------------------------------
 * The block structs live in quant_impl.h (shared with the SIMD kernels); short names here. The
 * engine reads them in place from the mapped file, so a row must be 2-byte aligned (4-byte for
 * Q8_K), which GGUF's tensor alignment guarantees. */
#define QK ENG_QK
#define QK_K ENG_QK_K
#define GROUP_EPS 1e-15f      /* a group whose largest magnitude is below this is all zero */

typedef eng_blk_q4_0 blk_q4_0;
typedef eng_blk_q4_1 blk_q4_1;
typedef eng_blk_q5_0 blk_q5_0;
typedef eng_blk_q5_1 blk_q5_1;
typedef eng_blk_q8_0 blk_q8_0;
typedef eng_blk_q8_1 blk_q8_1;
typedef eng_blk_q2_K blk_q2_K;
typedef eng_blk_q3_K blk_q3_K;
typedef eng_blk_q4_K blk_q4_K;
typedef eng_blk_q5_K blk_q5_K;
typedef eng_blk_q6_K blk_q6_K;
typedef eng_blk_q8_K blk_q8_K;
typedef eng_blk_iq4_nl blk_iq4_nl;
typedef eng_blk_iq4_xs blk_iq4_xs;
typedef eng_blk_mxfp4 blk_mxfp4;

/* The IQ4_NL / IQ4_XS level table (GGUF format fact), ascending. */
const int8_t eng_iq4_values[16] = {
	-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113
};

const int8_t eng_mxfp4_values[16] = {
	0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12
};


/* ---- numeric helpers ------------------------------------------------------------------------ */

static inline float h2f(uint16_t h) { return eng_f16_to_f32(h); }
static inline uint16_t f2h(float f) { return eng_f32_to_f16(f); }
static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int iclamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Round to nearest, ties to even, for |v| < 2^22: adding 1.5 * 2^23 puts the integer in the low
 * mantissa bits (the addition itself rounds to nearest even). This is the rounding ggml's
 * K-quant code uses; outside that range the result is wrong but defined and callers clamp. */
static inline int round_ne(float v)
{
	float t = v + 12582912.0f;
	uint32_t u;
	memcpy(&u, &t, sizeof u);
	return (int)(u & 0x007fffffu) - 0x00400000;
}

/* C's truncating (int)v, made total: NaN gives 0 and huge values saturate (only a non-finite
 * source row gets there; the reference quantizers' results for such rows are unspecified). */
static inline int trunc_sat(float v)
{
	if (v != v)
		return 0;
	if (v > 1e9f)
		return 1000000000;
	if (v < -1e9f)
		return -1000000000;
	return (int)v;
}

/* Index of the nearest entry of the ascending 16-entry table `vals`; a tie goes to the upper
 * entry, as in ggml's IQ4 search. */
static int nearest_level(const int8_t *vals, float x)
{
	int lo = 0, hi = 15;
	if (x <= vals[0])
		return 0;
	if (x >= vals[15])
		return 15;
	while (hi - lo > 1) {           /* invariant: vals[lo] <= x < vals[hi] */
		int mid = (lo + hi) / 2;
		if (x < vals[mid])
			hi = mid;
		else
			lo = mid;
	}
	return x - vals[hi - 1] < vals[hi] - x ? hi - 1 : hi;
}

/* The element of largest magnitude, with its sign (the first on ties; 0 for an all-zero group);
 * *amax_out, when not NULL, gets its magnitude. */
static float signed_absmax(const float *x, int n, float *amax_out)
{
	float amax = 0.0f, max = 0.0f;
	for (int i = 0; i < n; i++) {
		float a = fabsf(x[i]);
		if (a > amax) {
			amax = a;
			max = x[i];
		}
	}
	if (amax_out)
		*amax_out = amax;
	return max;
}

/* ---- 32-element block types: reference quantizers -------------------------------------------
 * Without importance weights these follow ggml's quantize_row_*_ref exactly (scale from the
 * extreme value, truncating "+ 0.5" rounding for Q4/Q5, roundf for Q8), so files and activation
 * rows match llama.cpp's bit for bit. */

static void put_nibbles(uint8_t *qs, const int *q)  /* q[32] in 0..15 */
{
	for (int j = 0; j < QK / 2; j++)
		qs[j] = (uint8_t)(q[j] | (q[j + QK / 2] << 4));
}

/* Splits 5-bit values q[32] into nibbles and the 32-bit high-bit mask (bit j = bit 4 of q[j]). */
static void put_5bit(uint8_t *qs, uint8_t qh[4], const int *q)
{
	uint32_t h = 0;
	int lo[QK];
	for (int j = 0; j < QK; j++) {
		lo[j] = q[j] & 0x0f;
		h |= (uint32_t)((q[j] >> 4) & 1) << j;
	}
	put_nibbles(qs, lo);
	for (int b = 0; b < 4; b++)
		qh[b] = (uint8_t)(h >> (8 * b));
}

static void quant_q4_0(const float *x, blk_q4_0 *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, x += QK) {
		const float d = signed_absmax(x, QK, NULL) / -8;   /* the extreme maps to level 0 */
		const float id = d != 0.0f ? 1.0f / d : 0.0f;
		int q[QK];
		y[i].d = f2h(d);
		for (int j = 0; j < QK; j++)
			q[j] = iclamp(trunc_sat(x[j] * id + 8.5f), 0, 15);
		put_nibbles(y[i].qs, q);
	}
}

static void min_max(const float *x, int n, float *mn, float *mx)
{
	float lo = x[0], hi = x[0];
	for (int j = 1; j < n; j++) {
		if (x[j] < lo)
			lo = x[j];
		if (x[j] > hi)
			hi = x[j];
	}
	*mn = lo;
	*mx = hi;
}

static void quant_q4_1(const float *x, blk_q4_1 *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, x += QK) {
		float mn, mx;
		int q[QK];
		min_max(x, QK, &mn, &mx);
		const float d = (mx - mn) / 15;
		const float id = d != 0.0f ? 1.0f / d : 0.0f;
		y[i].d = f2h(d);
		y[i].m = f2h(mn);
		for (int j = 0; j < QK; j++)
			q[j] = iclamp(trunc_sat((x[j] - mn) * id + 0.5f), 0, 15);
		put_nibbles(y[i].qs, q);
	}
}

static void quant_q5_0(const float *x, blk_q5_0 *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, x += QK) {
		const float d = signed_absmax(x, QK, NULL) / -16;
		const float id = d != 0.0f ? 1.0f / d : 0.0f;
		int q[QK];
		y[i].d = f2h(d);
		for (int j = 0; j < QK; j++)
			q[j] = iclamp(trunc_sat(x[j] * id + 16.5f), 0, 31);
		put_5bit(y[i].qs, y[i].qh, q);
	}
}

static void quant_q5_1(const float *x, blk_q5_1 *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, x += QK) {
		float mn, mx;
		int q[QK];
		min_max(x, QK, &mn, &mx);
		const float d = (mx - mn) / 31;
		const float id = d != 0.0f ? 1.0f / d : 0.0f;
		y[i].d = f2h(d);
		y[i].m = f2h(mn);
		for (int j = 0; j < QK; j++)
			q[j] = iclamp(trunc_sat((x[j] - mn) * id + 0.5f), 0, 31);
		put_5bit(y[i].qs, y[i].qh, q);
	}
}

/* Q8_0 for activations as llama.cpp's x86 builds make it (the format the reference logits
 * come from): the inverse scale is 127 / amax rather than 1 / d, and halves round to even.
 * Weights use quant_q8_0 below, as llama-quantize does. */
static void quant_q8_0_act(const float *x, blk_q8_0 *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, x += QK) {
		float amax;
		signed_absmax(x, QK, &amax);
		const float d = amax / 127.f;
		const float id = amax != 0.0f ? 127.f / amax : 0.0f;
		y[i].d = f2h(d);
		for (int j = 0; j < QK; j++)
			y[i].qs[j] = (int8_t)iclamp(round_ne(x[j] * id), -128, 127);
	}
}

/* Shared by Q8_0 and Q8_1: d = amax / 127, q = roundf(x / d) (half away from zero). */
static float quant_8bit_group(const float *x, int8_t *qs)
{
	float amax;
	signed_absmax(x, QK, &amax);
	const float d = amax / 127;
	const float id = d != 0.0f ? 1.0f / d : 0.0f;
	for (int j = 0; j < QK; j++)
		qs[j] = (int8_t)iclamp(trunc_sat(roundf(x[j] * id)), -128, 127);
	return d;
}

static void quant_q8_0(const float *x, blk_q8_0 *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, x += QK)
		y[i].d = f2h(quant_8bit_group(x, y[i].qs));
}

static void quant_q8_1(const float *x, blk_q8_1 *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, x += QK) {
		const float d = quant_8bit_group(x, y[i].qs);
		int sum = 0;
		for (int j = 0; j < QK; j++)
			sum += y[i].qs[j];
		y[i].d = f2h(d);
		y[i].s = f2h((float)sum * d);
	}
}

/* ---- weighted fits used by the K-quants and the imatrix paths -------------------------------
 * Each returns the scale of a group quantized to integer levels L, numerically as the ggml
 * helper named in its comment (same float operations in the same order), so that a file this
 * project quantizes matches llama-quantize's. */

/* Symmetric fit (ggml make_qx_quants, rmse_type 1): levels l in [-nmax, nmax-1] stored as
 * L = l + nmax; weights qw, or x^2 when NULL. Tries 18 scales around nmax/max and keeps the one
 * with the best weighted least-squares score. */
static float fit_symmetric(int n, int nmax, const float *x, int8_t *L, const float *qw)
{
	float amax;
	const float max = signed_absmax(x, n, &amax);
	if (amax < GROUP_EPS) {
		memset(L, 0, (size_t)n);
		return 0.0f;
	}
	float iscale = -nmax / max;
	float sumlx = 0, suml2 = 0;
	for (int i = 0; i < n; i++) {
		int l = iclamp(round_ne(iscale * x[i]), -nmax, nmax - 1);
		float w = qw ? qw[i] : x[i] * x[i];
		L[i] = (int8_t)(l + nmax);
		sumlx += w * x[i] * l;
		suml2 += w * l * l;
	}
	float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
	float best = scale * sumlx;
	for (int is = -9; is <= 9; is++) {
		if (is == 0)
			continue;
		iscale = -(nmax + 0.1f * is) / max;
		sumlx = suml2 = 0;
		for (int i = 0; i < n; i++) {
			int l = iclamp(round_ne(iscale * x[i]), -nmax, nmax - 1);
			float w = qw ? qw[i] : x[i] * x[i];
			sumlx += w * x[i] * l;
			suml2 += w * l * l;
		}
		if (suml2 > 0 && sumlx * sumlx > best * suml2) {
			for (int i = 0; i < n; i++)
				L[i] = (int8_t)(nmax + iclamp(round_ne(iscale * x[i]), -nmax, nmax - 1));
			scale = sumlx / suml2;
			best = scale * sumlx;
		}
	}
	return scale;
}

/* Symmetric fit for Q3_K (ggml make_q3_quants with do_rmse): start at nmax/max, then up to five
 * rounds of moving single levels while the weighted score (weights x^2) improves. L = l + nmax. */
static float fit_q3(int n, int nmax, const float *x, int8_t *L)
{
	float amax;
	const float max = signed_absmax(x, n, &amax);
	if (amax < GROUP_EPS) {
		memset(L, 0, (size_t)n);
		return 0.0f;
	}
	const float iscale = -nmax / max;
	float sumlx = 0, suml2 = 0;
	for (int i = 0; i < n; i++) {
		int l = iclamp(round_ne(iscale * x[i]), -nmax, nmax - 1);
		float w = x[i] * x[i];
		L[i] = (int8_t)l;
		sumlx += w * x[i] * l;
		suml2 += w * l * l;
	}
	for (int round = 0; round < 5; round++) {
		int changed = 0;
		for (int i = 0; i < n; i++) {
			float w = x[i] * x[i];
			float slx = sumlx - w * x[i] * L[i];
			if (slx > 0) {
				float sl2 = suml2 - w * L[i] * L[i];
				int nl = iclamp(round_ne(x[i] * sl2 / slx), -nmax, nmax - 1);
				if (nl != L[i]) {
					slx += w * x[i] * nl;
					sl2 += w * nl * nl;
					if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
						L[i] = (int8_t)nl;
						sumlx = slx;
						suml2 = sl2;
						changed++;
					}
				}
			}
		}
		if (!changed)
			break;
	}
	for (int i = 0; i < n; i++)
		L[i] = (int8_t)(L[i] + nmax);
	return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

/* Affine fit x ~ scale * L - min_out with L in [0, nmax] and min <= 0 (ggml make_qkx2_quants,
 * and make_qkx3_quants when called with weights): starts from the min/max grid, then tries
 * nstep+1 grid widths (nmax + rmin + rdelta*is) and solves weighted least squares for each,
 * keeping the lowest weighted error (absolute with use_mad, else squared). */
static float fit_affine(int n, int nmax, const float *x, const float *w, uint8_t *L, float *min_out,
	float rmin, float rdelta, int nstep, int use_mad)
{
	uint8_t Laux[32];
	float min = x[0], max = x[0];
	float sum_w = w[0], sum_x = sum_w * x[0];
	for (int i = 1; i < n; i++) {
		if (x[i] < min)
			min = x[i];
		if (x[i] > max)
			max = x[i];
		sum_w += w[i];
		sum_x += w[i] * x[i];
	}
	if (min > 0)
		min = 0;
	if (!(max > min)) {
		memset(L, 0, (size_t)n);
		*min_out = -min;
		return 0.0f;
	}
	float iscale = nmax / (max - min);
	float scale = 1 / iscale;
	float best_err = 0;
	for (int i = 0; i < n; i++) {
		L[i] = (uint8_t)iclamp(round_ne(iscale * (x[i] - min)), 0, nmax);
		float diff = scale * L[i] + min - x[i];
		diff = use_mad ? fabsf(diff) : diff * diff;
		best_err += w[i] * diff;
	}
	for (int is = 0; is <= nstep && nstep >= 1; is++) {
		iscale = (rmin + rdelta * is + nmax) / (max - min);
		float sum_l = 0, sum_l2 = 0, sum_xl = 0;
		for (int i = 0; i < n; i++) {
			int l = iclamp(round_ne(iscale * (x[i] - min)), 0, nmax);
			Laux[i] = (uint8_t)l;
			sum_l += w[i] * l;
			sum_l2 += w[i] * l * l;
			sum_xl += w[i] * l * x[i];
		}
		float D = sum_w * sum_l2 - sum_l * sum_l;
		if (!(D > 0))
			continue;
		float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
		float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
		if (this_min > 0) {
			this_min = 0;
			this_scale = sum_xl / sum_l2;
		}
		float err = 0;
		for (int i = 0; i < n; i++) {
			float diff = this_scale * Laux[i] + this_min - x[i];
			diff = use_mad ? fabsf(diff) : diff * diff;
			err += w[i] * diff;
		}
		if (err < best_err) {
			memcpy(L, Laux, (size_t)n);
			best_err = err;
			scale = this_scale;
			min = this_min;
		}
	}
	*min_out = -min;
	return scale;
}

/* Fit of non-negative values (the per-group scales or mins) to L in [0, nmax] with weights qw
 * (ggml make_qp_quants): best of 9 grid scales, then up to five rounds of single-level moves. */
static float fit_positive(int n, int nmax, const float *x, uint8_t *L, const float *qw)
{
	float max = 0;
	for (int i = 0; i < n; i++)
		max = x[i] > max ? x[i] : max;
	if (max < GROUP_EPS) {
		memset(L, 0, (size_t)n);
		return 0.0f;
	}
	float iscale = nmax / max;
	for (int i = 0; i < n; i++)
		L[i] = (uint8_t)round_ne(iscale * x[i]);
	float scale = 1 / iscale;
	float best_mse = 0;
	for (int i = 0; i < n; i++) {
		float diff = x[i] - scale * L[i];
		best_mse += qw[i] * diff * diff;
	}
	for (int is = -4; is <= 4; is++) {
		if (is == 0)
			continue;
		float iscale_is = (0.1f * is + nmax) / max;
		float scale_is = 1 / iscale_is;
		float mse = 0;
		for (int i = 0; i < n; i++) {
			int l = imin(nmax, round_ne(iscale_is * x[i]));
			float diff = x[i] - scale_is * l;
			mse += qw[i] * diff * diff;
		}
		if (mse < best_mse) {
			best_mse = mse;
			iscale = iscale_is;
		}
	}
	float sumlx = 0, suml2 = 0;
	for (int i = 0; i < n; i++) {
		int l = imin(nmax, round_ne(iscale * x[i]));
		L[i] = (uint8_t)l;
		sumlx += qw[i] * x[i] * l;
		suml2 += qw[i] * l * l;
	}
	for (int round = 0; round < 5; round++) {
		int changed = 0;
		for (int i = 0; i < n; i++) {
			float w = qw[i];
			float slx = sumlx - w * x[i] * L[i];
			float sl2 = suml2 - w * L[i] * L[i];
			if (slx > 0 && sl2 > 0) {
				int nl = imin(nmax, round_ne(x[i] * sl2 / slx));
				if (nl != L[i]) {
					slx += w * x[i] * nl;
					sl2 += w * nl * nl;
					if (slx * slx * suml2 > sumlx * sumlx * sl2) {
						L[i] = (uint8_t)nl;
						sumlx = slx;
						suml2 = sl2;
						changed++;
					}
				}
			}
		}
		if (!changed)
			break;
	}
	return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

float eng_fit_positive(int n, int nmax, const float *x, uint8_t *L, const float *qw)
{
	return fit_positive(n, nmax, x, L, qw);
}

/* ---- 32-element block types: importance-weighted quantizers (imatrix given) -----------------
 * As ggml's quantize_row_*_impl: per-element weight qw * sqrt(sigma2 + x^2), sigma2 the row's
 * mean square, then a symmetric or affine least-squares fit per block. */

static float row_mean_square(const float *x, int64_t n)
{
	float s = 0;
	for (int64_t j = 0; j < n; j++)
		s += x[j] * x[j];
	return s / n;
}

static void importance(float *w, const float *x, const float *qw, float sigma2, int n)
{
	for (int j = 0; j < n; j++)
		w[j] = qw[j] * sqrtf(sigma2 + x[j] * x[j]);
}

static void quant_q4_0_w(const float *x, blk_q4_0 *y, int64_t n, const float *qw)
{
	const float sigma2 = row_mean_square(x, n);
	for (int64_t i = 0; i < n / QK; i++, x += QK, qw += QK) {
		float w[QK];
		int8_t L[QK];
		int q[QK];
		importance(w, x, qw, sigma2, QK);
		y[i].d = f2h(fit_symmetric(QK, 8, x, L, w));
		for (int j = 0; j < QK; j++)
			q[j] = L[j];
		put_nibbles(y[i].qs, q);
	}
}

static void quant_q5_0_w(const float *x, blk_q5_0 *y, int64_t n, const float *qw)
{
	const float sigma2 = row_mean_square(x, n);
	for (int64_t i = 0; i < n / QK; i++, x += QK, qw += QK) {
		float w[QK];
		int8_t L[QK];
		int q[QK];
		importance(w, x, qw, sigma2, QK);
		y[i].d = f2h(fit_symmetric(QK, 16, x, L, w));
		for (int j = 0; j < QK; j++)
			q[j] = L[j];
		put_5bit(y[i].qs, y[i].qh, q);
	}
}

/* Q4_1 (nmax 15) and Q5_1 (nmax 31): affine fit; d, m and the levels into q[32]. */
static void quant_affine_w(const float *x, const float *qw, float sigma2, int nmax,
	uint16_t *d, uint16_t *m, int *q)
{
	float w[QK], min;
	uint8_t L[QK];
	importance(w, x, qw, sigma2, QK);
	*d = f2h(fit_affine(QK, nmax, x, w, L, &min, -0.9f, 0.05f, 36, 0));
	*m = f2h(-min);
	for (int j = 0; j < QK; j++)
		q[j] = L[j];
}

static void quant_q4_1_w(const float *x, blk_q4_1 *y, int64_t n, const float *qw)
{
	const float sigma2 = row_mean_square(x, n);
	for (int64_t i = 0; i < n / QK; i++, x += QK, qw += QK) {
		int q[QK];
		quant_affine_w(x, qw, sigma2, 15, &y[i].d, &y[i].m, q);
		put_nibbles(y[i].qs, q);
	}
}

static void quant_q5_1_w(const float *x, blk_q5_1 *y, int64_t n, const float *qw)
{
	const float sigma2 = row_mean_square(x, n);
	for (int64_t i = 0; i < n / QK; i++, x += QK, qw += QK) {
		int q[QK];
		quant_affine_w(x, qw, sigma2, 31, &y[i].d, &y[i].m, q);
		put_5bit(y[i].qs, y[i].qh, q);
	}
}

/* ---- K-quant scale packing ------------------------------------------------------------------ */

/* Q3_K: 16 six-bit values v[g] (already offset by 32). Low nibbles: bytes 0..7, group g < 8 in
 * the low half of byte g, g >= 8 in the high half of byte g-8. High 2 bits: byte 8 + g%4, at bit
 * 2*(g/4). */
static void q3k_pack_scales(uint8_t s[12], const int *v)
{
	memset(s, 0, 12);
	for (int g = 0; g < 16; g++) {
		if (g < 8)
			s[g] = (uint8_t)(v[g] & 0xf);
		else
			s[g - 8] |= (uint8_t)((v[g] & 0xf) << 4);
		s[8 + g % 4] |= (uint8_t)(((v[g] >> 4) & 3) << (2 * (g / 4)));
	}
}

static int q3k_scale(const uint8_t s[12], int g)   /* signed, in [-32, 31] */
{
	int lo = g < 8 ? s[g] & 0xf : s[g - 8] >> 4;
	return (lo | (((s[8 + g % 4] >> (2 * (g / 4))) & 3) << 4)) - 32;
}

/* Q4_K / Q5_K: 8 six-bit scales sc[g] and mins mn[g]. Groups 0..3: bytes g and g+4 hold sc and
 * mn in their low 6 bits. Groups 4..7: byte g+4 holds the low nibbles of sc (low) and mn (high);
 * their top 2 bits ride in the top bits of bytes g-4 (sc) and g (mn). */
static void k4_pack_scales(uint8_t s[12], const int *sc, const int *mn)
{
	for (int g = 0; g < 8; g++) {
		if (g < 4) {
			s[g] = (uint8_t)sc[g];
			s[g + 4] = (uint8_t)mn[g];
		} else {
			s[g + 4] = (uint8_t)((sc[g] & 0xf) | ((mn[g] & 0xf) << 4));
			s[g - 4] |= (uint8_t)((sc[g] >> 4) << 6);
			s[g] |= (uint8_t)((mn[g] >> 4) << 6);
		}
	}
}

static void k4_scale_min(const uint8_t s[12], int g, int *sc, int *mn)
{
	if (g < 4) {
		*sc = s[g] & 63;
		*mn = s[g + 4] & 63;
	} else {
		*sc = (s[g + 4] & 0xf) | ((s[g - 4] >> 6) << 4);
		*mn = (s[g + 4] >> 4) | ((s[g] >> 6) << 4);
	}
}

/* 2-bit levels L[256] into 64 bytes: byte 32*c + l holds L[128c + l + 32k] at bits 2k. */
static void pack_2bit(uint8_t *qs, const uint8_t *L)
{
	for (int c = 0; c < QK_K; c += 128)
		for (int l = 0; l < 32; l++)
			qs[c / 4 + l] = (uint8_t)(L[c + l] | (L[c + l + 32] << 2) | (L[c + l + 64] << 4) |
				(L[c + l + 96] << 6));
}

/* ---- Q2_K ----------------------------------------------------------------------------------- */

/* Final 2-bit levels from the stored (rounded) scales; groups with a zero scale keep the fit's. */
static void q2k_requant(const float *x, const blk_q2_K *y, uint8_t *L)
{
	for (int g = 0; g < 16; g++) {
		const float d = h2f(y->d) * (y->scales[g] & 0xf);
		if (d == 0.0f)
			continue;
		const float dm = h2f(y->dmin) * (y->scales[g] >> 4);
		for (int k = 0; k < 16; k++)
			L[16 * g + k] = (uint8_t)iclamp(round_ne((x[16 * g + k] + dm) / d), 0, 3);
	}
}

/* ggml quantize_row_q2_K_ref: per group of 16 a weighted-|x| affine fit (4-bit scale and min
 * of the super-block maxima). */
static void quant_q2_K(const float *x, blk_q2_K *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, x += QK_K) {
		uint8_t L[QK_K];
		float w[16], scales[16], mins[16], max_scale = 0, max_min = 0;
		for (int g = 0; g < 16; g++) {
			for (int k = 0; k < 16; k++)
				w[k] = fabsf(x[16 * g + k]);
			scales[g] = fit_affine(16, 3, x + 16 * g, w, L + 16 * g, &mins[g], -0.5f, 0.1f, 15, 1);
			if (scales[g] > max_scale)
				max_scale = scales[g];
			if (mins[g] > max_min)
				max_min = mins[g];
		}
		memset(y[i].scales, 0, sizeof y[i].scales);
		y[i].d = f2h(0.0f);
		y[i].dmin = f2h(0.0f);
		if (max_scale > 0) {
			const float iscale = 15.f / max_scale;
			for (int g = 0; g < 16; g++)
				y[i].scales[g] = (uint8_t)iclamp(round_ne(iscale * scales[g]), 0, 15);
			y[i].d = f2h(max_scale / 15.f);
		}
		if (max_min > 0) {
			const float iscale = 15.f / max_min;
			for (int g = 0; g < 16; g++)
				y[i].scales[g] |= (uint8_t)(iclamp(round_ne(iscale * mins[g]), 0, 15) << 4);
			y[i].dmin = f2h(max_min / 15.f);
		}
		q2k_requant(x, &y[i], L);
		pack_2bit(y[i].qs, L);
	}
}

/* ggml quantize_row_q2_K_impl (imatrix given). */
static void quant_q2_K_w(const float *x, blk_q2_K *y, int64_t nb, const float *qw)
{
	for (int64_t i = 0; i < nb; i++, x += QK_K, qw += QK_K) {
		uint8_t L[QK_K], Ls[16], Lm[16];
		float w[16], sw[16], scales[16], mins[16];
		float sumx2 = 0;
		for (int j = 0; j < QK_K; j++)
			sumx2 += x[j] * x[j];
		const float sigma2 = sumx2 / QK_K;
		for (int g = 0; g < 16; g++) {
			importance(w, x + 16 * g, qw + 16 * g, sigma2, 16);
			sw[g] = 0;
			for (int k = 0; k < 16; k++)
				sw[g] += w[k];
			scales[g] = fit_affine(16, 3, x + 16 * g, w, L + 16 * g, &mins[g], -0.9f, 0.05f, 36, 0);
		}
		y[i].d = f2h(fit_positive(16, 15, scales, Ls, sw));
		y[i].dmin = f2h(fit_positive(16, 15, mins, Lm, sw));
		for (int g = 0; g < 16; g++)
			y[i].scales[g] = (uint8_t)(Ls[g] | (Lm[g] << 4));
		q2k_requant(x, &y[i], L);
		pack_2bit(y[i].qs, L);
	}
}

/* ---- Q3_K ----------------------------------------------------------------------------------- */

/* Levels from the stored scales, then the high bits into hmask (bit k of hmask[m] is the high
 * bit of element 32k + m) and the low 2 bits into qs. L holds l + 4 in [0, 7] on entry. */
static void q3k_finish(const float *x, blk_q3_K *y, int8_t *L)
{
	for (int g = 0; g < 16; g++) {
		const float d = h2f(y->d) * q3k_scale(y->scales, g);
		if (d == 0.0f)
			continue;
		for (int k = 0; k < 16; k++)
			L[16 * g + k] = (int8_t)(iclamp(round_ne(x[16 * g + k] / d), -4, 3) + 4);
	}
	uint8_t low[QK_K];
	memset(y->hmask, 0, sizeof y->hmask);
	for (int j = 0; j < QK_K; j++) {
		int l = L[j];
		if (l > 3) {
			y->hmask[j % 32] |= (uint8_t)(1u << (j / 32));
			l -= 4;
		}
		low[j] = (uint8_t)l;
	}
	pack_2bit(y->qs, low);
}

/* ggml quantize_row_q3_K_ref. */
static void quant_q3_K(const float *x, blk_q3_K *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, x += QK_K) {
		int8_t L[QK_K];
		float scales[16], max_scale = 0, amax = 0;
		for (int g = 0; g < 16; g++) {
			scales[g] = fit_q3(16, 4, x + 16 * g, L + 16 * g);
			if (fabsf(scales[g]) > amax) {
				amax = fabsf(scales[g]);
				max_scale = scales[g];
			}
		}
		if (max_scale != 0.0f) {
			const float iscale = -32.f / max_scale;
			int v[16];
			for (int g = 0; g < 16; g++)
				v[g] = iclamp(round_ne(iscale * scales[g]), -32, 31) + 32;
			q3k_pack_scales(y[i].scales, v);
			y[i].d = f2h(1 / iscale);
		} else {
			memset(y[i].scales, 0, sizeof y[i].scales);
			y[i].d = f2h(0.0f);
		}
		q3k_finish(x, &y[i], L);
	}
}

/* ggml quantize_row_q3_K_impl (imatrix given). */
static void quant_q3_K_w(const float *x, blk_q3_K *y, int64_t nb, const float *qw)
{
	for (int64_t i = 0; i < nb; i++, x += QK_K, qw += QK_K) {
		int8_t L[QK_K], Ls[16];
		float w[16], sw[16], scales[16], sumx2 = 0;
		int v[16];
		for (int j = 0; j < QK_K; j++)
			sumx2 += x[j] * x[j];
		const float sigma2 = 2 * sumx2 / QK_K;
		for (int g = 0; g < 16; g++) {
			importance(w, x + 16 * g, qw + 16 * g, sigma2, 16);
			sw[g] = 0;
			for (int k = 0; k < 16; k++)
				sw[g] += w[k];
			scales[g] = fit_symmetric(16, 4, x + 16 * g, L + 16 * g, w);
		}
		const float d = fit_symmetric(16, 32, scales, Ls, sw);
		for (int g = 0; g < 16; g++)
			v[g] = Ls[g];
		q3k_pack_scales(y[i].scales, v);
		y[i].d = f2h(d);
		q3k_finish(x, &y[i], L);
	}
}

/* ---- Q4_K and Q5_K -------------------------------------------------------------------------- */

/* Levels in [0, nmax] from the stored scales and mins; groups with a zero scale keep the fit's. */
static void k4_requant(const float *x, const uint8_t s[12], uint16_t dh, uint16_t dminh, int nmax,
	uint8_t *L)
{
	for (int g = 0; g < 8; g++) {
		int sc, mn;
		k4_scale_min(s, g, &sc, &mn);
		const float d = h2f(dh) * sc;
		if (d == 0.0f)
			continue;
		const float dm = h2f(dminh) * mn;
		for (int k = 0; k < 32; k++)
			L[32 * g + k] = (uint8_t)iclamp(round_ne((x[32 * g + k] + dm) / d), 0, nmax);
	}
}

/* Shared by Q4_K (nmax 15) and Q5_K (nmax 31), as ggml quantize_row_q{4,5}_K_ref: weights
 * rms(group) + |x|, affine fit per group of 32, scales and mins to 6 bits of the maxima. */
static void k4_fit_ref(const float *x, int nmax, uint8_t s[12], uint16_t *dh, uint16_t *dminh,
	uint8_t *L)
{
	float w[32], scales[8], mins[8], max_scale = 0, max_min = 0;
	int sc[8], mn[8];
	for (int g = 0; g < 8; g++) {
		const float *xg = x + 32 * g;
		float sum_x2 = 0;
		for (int k = 0; k < 32; k++)
			sum_x2 += xg[k] * xg[k];
		const float av_x = sqrtf(sum_x2 / 32);
		for (int k = 0; k < 32; k++)
			w[k] = av_x + fabsf(xg[k]);
		scales[g] = nmax == 15 ?
			fit_affine(32, 15, xg, w, L + 32 * g, &mins[g], -1.f, 0.1f, 20, 0) :
			fit_affine(32, 31, xg, w, L + 32 * g, &mins[g], -0.5f, 0.1f, 15, 0);
		if (scales[g] > max_scale)
			max_scale = scales[g];
		if (mins[g] > max_min)
			max_min = mins[g];
	}
	const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
	const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
	for (int g = 0; g < 8; g++) {
		sc[g] = imin(63, (uint8_t)round_ne(inv_scale * scales[g]));
		mn[g] = imin(63, (uint8_t)round_ne(inv_min * mins[g]));
	}
	k4_pack_scales(s, sc, mn);
	*dh = f2h(max_scale / 63.f);
	*dminh = f2h(max_min / 63.f);
	k4_requant(x, s, *dh, *dminh, nmax, L);
}

/* As ggml quantize_row_q{4,5}_K_impl with an imatrix: importance weights, the 36-step affine
 * fit per group, then the 6-bit scales and mins fitted with fit_positive. */
static void k4_fit_w(const float *x, const float *qw, int nmax, uint8_t s[12], uint16_t *dh,
	uint16_t *dminh, uint8_t *L)
{
	float w[32], sw[8], scales[8], mins[8], sum_x2 = 0;
	uint8_t Ls[8], Lm[8];
	int sc[8], mn[8];
	for (int j = 0; j < QK_K; j++)
		sum_x2 += x[j] * x[j];
	const float sigma2 = 2 * sum_x2 / QK_K;
	for (int g = 0; g < 8; g++) {
		importance(w, x + 32 * g, qw + 32 * g, sigma2, 32);
		sw[g] = 0;
		for (int k = 0; k < 32; k++)
			sw[g] += w[k];
		scales[g] = fit_affine(32, nmax, x + 32 * g, w, L + 32 * g, &mins[g], -0.9f, 0.05f, 36, 0);
	}
	const float d = fit_positive(8, 63, scales, Ls, sw);
	const float m = fit_positive(8, 63, mins, Lm, sw);
	for (int g = 0; g < 8; g++) {
		sc[g] = imin(63, Ls[g]);
		mn[g] = imin(63, Lm[g]);
	}
	k4_pack_scales(s, sc, mn);
	*dh = f2h(d);
	*dminh = f2h(m);
	k4_requant(x, s, *dh, *dminh, nmax, L);
}

static void quant_q4_K(const float *x, blk_q4_K *y, int64_t nb, const float *qw)
{
	for (int64_t i = 0; i < nb; i++, x += QK_K) {
		uint8_t L[QK_K];
		memset(y[i].scales, 0, sizeof y[i].scales);
		if (qw)
			k4_fit_w(x, qw + i * QK_K, 15, y[i].scales, &y[i].d, &y[i].dmin, L);
		else
			k4_fit_ref(x, 15, y[i].scales, &y[i].d, &y[i].dmin, L);
		/* 64 elements per 32 bytes: element 64c + l low nibble, 64c + 32 + l high nibble */
		for (int c = 0; c < QK_K / 64; c++)
			for (int l = 0; l < 32; l++)
				y[i].qs[32 * c + l] = (uint8_t)(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
	}
}

static void quant_q5_K(const float *x, blk_q5_K *y, int64_t nb, const float *qw)
{
	for (int64_t i = 0; i < nb; i++, x += QK_K) {
		uint8_t L[QK_K];
		memset(y[i].scales, 0, sizeof y[i].scales);
		if (qw)
			k4_fit_w(x, qw + i * QK_K, 31, y[i].scales, &y[i].d, &y[i].dmin, L);
		else
			k4_fit_ref(x, 31, y[i].scales, &y[i].d, &y[i].dmin, L);
		/* as Q4_K for the low nibbles; bit 2c of qh[l] is bit 4 of element 64c + l, bit 2c+1
		 * that of element 64c + 32 + l */
		memset(y[i].qh, 0, sizeof y[i].qh);
		for (int c = 0; c < QK_K / 64; c++)
			for (int l = 0; l < 32; l++) {
				int a = L[64 * c + l], b = L[64 * c + 32 + l];
				y[i].qh[l] |= (uint8_t)(((a >> 4) << (2 * c)) | ((b >> 4) << (2 * c + 1)));
				y[i].qs[32 * c + l] = (uint8_t)((a & 0xf) | ((b & 0xf) << 4));
			}
	}
}

/* ---- Q6_K ----------------------------------------------------------------------------------- */

/* ggml quantize_row_q6_K_ref, and _impl when qw is given (the imatrix is then the fit weight). */
static void quant_q6_K(const float *x, blk_q6_K *y, int64_t nb, const float *qw)
{
	for (int64_t i = 0; i < nb; i++, x += QK_K) {
		int8_t L[QK_K];
		float scales[16], max_scale = 0, max_abs = 0;
		for (int g = 0; g < 16; g++) {
			scales[g] = fit_symmetric(16, 32, x + 16 * g, L + 16 * g,
				qw ? qw + i * QK_K + 16 * g : NULL);
			if (fabsf(scales[g]) > max_abs) {
				max_abs = fabsf(scales[g]);
				max_scale = scales[g];
			}
		}
		if (max_abs < GROUP_EPS) {
			memset(&y[i], 0, sizeof y[i]);
			continue;
		}
		const float iscale = -128.f / max_scale;
		y[i].d = f2h(1 / iscale);
		for (int g = 0; g < 16; g++)
			y[i].scales[g] = (int8_t)iclamp(round_ne(iscale * scales[g]), -128, 127);
		for (int g = 0; g < 16; g++) {
			const float d = h2f(y[i].d) * y[i].scales[g];
			if (d == 0.0f)
				continue;
			for (int k = 0; k < 16; k++)
				L[16 * g + k] = (int8_t)(iclamp(round_ne(x[16 * g + k] / d), -32, 31) + 32);
		}
		/* per 128 elements: ql[l] = e[l] | e[l+64] << 4, ql[l+32] = e[l+32] | e[l+96] << 4,
		 * qh[l] = the top 2 bits of e[l], e[l+32], e[l+64], e[l+96] at bits 0, 2, 4, 6 */
		for (int c = 0; c < 2; c++) {
			const int8_t *e = L + 128 * c;
			uint8_t *ql = y[i].ql + 64 * c, *qh = y[i].qh + 32 * c;
			for (int l = 0; l < 32; l++) {
				ql[l] = (uint8_t)((e[l] & 0xf) | ((e[l + 64] & 0xf) << 4));
				ql[l + 32] = (uint8_t)((e[l + 32] & 0xf) | ((e[l + 96] & 0xf) << 4));
				qh[l] = (uint8_t)((e[l] >> 4) | ((e[l + 32] >> 4) << 2) | ((e[l + 64] >> 4) << 4) |
					((e[l + 96] >> 4) << 6));
			}
		}
	}
}

/* ---- Q8_K ----------------------------------------------------------------------------------- */

/* ggml quantize_row_q8_K_ref: d = max / -127 from the signed extreme, q = round_ne(x / d) capped
 * at 127, bsums per group of 16. An all-zero block gets d = 0 and zero quants and sums. */
static void quant_q8_K(const float *x, blk_q8_K *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, x += QK_K) {
		float amax;
		const float max = signed_absmax(x, QK_K, &amax);
		memset(&y[i], 0, sizeof y[i]);
		if (amax == 0.0f)
			continue;
		const float iscale = -127.f / max;
		for (int j = 0; j < QK_K; j++)
			y[i].qs[j] = (int8_t)iclamp(round_ne(iscale * x[j]), -128, 127);
		for (int g = 0; g < 16; g++) {
			int sum = 0;
			for (int k = 0; k < 16; k++)
				sum += y[i].qs[16 * g + k];
			y[i].bsums[g] = (int16_t)sum;
		}
		y[i].d = 1 / iscale;
	}
}

/* ---- MXFP4 -------------------------------------------------------------------------------------
 * As ggml's reference quantizer: the exponent puts the block's largest magnitude amax in the
 * top binade of the doubled table (e = floor(log2 amax) - 2 + 127, so amax / scale lies in
 * [8, 16)), then each element takes the nearest level (the first on a tie, in code order). An
 * all-zero block stores e = 0 and zero codes. The exponent is clamped to the byte's range
 * (inputs below 2^-125 or not finite), where ggml's cast would be undefined. */
static int mxfp4_nearest(float d, float x)
{
	int best = 0;
	float err = fabsf(x - d * eng_mxfp4_values[0]);
	for (int k = 1; k < 16; k++) {
		const float e = fabsf(x - d * eng_mxfp4_values[k]);
		if (e < err) {
			err = e;
			best = k;
		}
	}
	return best;
}

static void quant_mxfp4(const float *x, blk_mxfp4 *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, x += QK) {
		float amax = 0;
		for (int j = 0; j < QK; j++)
			amax = fmaxf(amax, fabsf(x[j]));
		memset(&y[i], 0, sizeof y[i]);
		if (!(amax > 0))
			continue;
		const float l = floorf(log2f(amax)) - 2 + 127;
		const uint8_t e = !(l >= 0) ? 0 : l > 254 ? 254 : (uint8_t)l;
		const float d = eng_e8m0_half(e);
		y[i].e = e;
		for (int j = 0; j < QK / 2; j++)
			y[i].qs[j] = (uint8_t)(mxfp4_nearest(d, x[j]) | mxfp4_nearest(d, x[j + QK / 2]) << 4);
	}
}

/* ---- IQ4_NL and IQ4_XS ---------------------------------------------------------------------- */

/* ggml quantize_row_iq4_nl_impl with ntry = 7 (the path llama-quantize takes for both types):
 * per group of 32 the scale d minimizing the weighted error over 15 trial scales, levels from
 * the non-linear table. n is 32 (IQ4_NL: the scale is stored as is) or 256 (IQ4_XS: 6-bit group
 * scales of a super-block scale). Weights: imatrix * sqrt(sigma2 + x^2), or x^2. */
static void quant_iq4(const float *x, int n, const float *qw, uint16_t *dh, uint8_t *qs,
	uint16_t *scales_h, uint8_t *scales_l)
{
	enum { NTRY = 7 };
	uint8_t L[QK_K];
	float w[32], scales[QK_K / 32], max_scale = 0, amax_scale = 0, sigma2 = 0;
	const int ngroups = n / 32;

	for (int j = 0; j < n; j++)
		sigma2 += x[j] * x[j];
	sigma2 *= 2.f / n;
	memset(qs, 0, (size_t)n / 2);
	*dh = f2h(0.0f);

	for (int g = 0; g < ngroups; g++) {
		const float *xg = x + 32 * g;
		uint8_t *Lg = L + 32 * g;
		float amax, sumqx = 0, sumq2 = 0;
		if (qw)
			importance(w, xg, qw + 32 * g, sigma2, 32);
		else
			for (int k = 0; k < 32; k++)
				w[k] = xg[k] * xg[k];
		const float max = signed_absmax(xg, 32, &amax);
		if (amax < GROUP_EPS) {
			scales[g] = 0;
			continue;
		}
		float d = -max / eng_iq4_values[0];
		float id = 1 / d;
		for (int k = 0; k < 32; k++) {
			int l = nearest_level(eng_iq4_values, id * xg[k]);
			float q = eng_iq4_values[l];
			Lg[k] = (uint8_t)l;
			sumqx += w[k] * q * xg[k];
			sumq2 += w[k] * q * q;
		}
		d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
		float best = d * sumqx;
		for (int t = -NTRY; t <= NTRY; t++) {
			id = (t + eng_iq4_values[0]) / max;
			sumqx = sumq2 = 0;
			for (int k = 0; k < 32; k++) {
				float q = eng_iq4_values[nearest_level(eng_iq4_values, id * xg[k])];
				sumqx += w[k] * q * xg[k];
				sumq2 += w[k] * q * q;
			}
			if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
				d = sumqx / sumq2;
				best = d * sumqx;
			}
		}
		scales[g] = d;
		if (fabsf(d) > amax_scale) {
			amax_scale = fabsf(d);
			max_scale = d;
		}
	}

	if (ngroups > 1) {
		const float d = -max_scale / 32;
		const float id = d != 0.0f ? 1 / d : 0.f;
		*dh = f2h(d);
		*scales_h = 0;
		for (int g = 0; g < ngroups; g++) {
			int l = iclamp(round_ne(id * scales[g]), -32, 31);
			const float dl = d * l;
			const float idl = dl != 0.0f ? 1 / dl : 0.f;
			for (int k = 0; k < 32; k++)
				L[32 * g + k] = (uint8_t)nearest_level(eng_iq4_values, idl * x[32 * g + k]);
			l += 32;
			if (g % 2 == 0)
				scales_l[g / 2] = (uint8_t)(l & 0xf);
			else
				scales_l[g / 2] |= (uint8_t)((l & 0xf) << 4);
			*scales_h |= (uint16_t)((l >> 4) << (2 * g));
		}
	} else {
		const float id = scales[0] != 0.0f ? 1 / scales[0] : 0.f;
		*dh = f2h(scales[0]);
		for (int k = 0; k < 32; k++)
			L[k] = (uint8_t)nearest_level(eng_iq4_values, id * x[k]);
	}
	for (int g = 0; g < ngroups; g++)
		for (int k = 0; k < 16; k++)
			qs[16 * g + k] = (uint8_t)(L[32 * g + k] | (L[32 * g + 16 + k] << 4));
}

static void quant_iq4_nl(const float *x, blk_iq4_nl *y, int64_t nb, const float *qw)
{
	for (int64_t i = 0; i < nb; i++) {
		uint16_t unused_h;
		quant_iq4(x + QK * i, QK, qw ? qw + QK * i : NULL, &y[i].d, y[i].qs, &unused_h, NULL);
	}
}

static void quant_iq4_xs(const float *x, blk_iq4_xs *y, int64_t nb, const float *qw)
{
	for (int64_t i = 0; i < nb; i++)
		quant_iq4(x + QK_K * i, QK_K, qw ? qw + QK_K * i : NULL, &y[i].d, y[i].qs, &y[i].scales_h,
			y[i].scales_l);
}

/* ---- dequantization ------------------------------------------------------------------------- */

static void deq_q4_0(const blk_q4_0 *x, float *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, y += QK) {
		const float d = h2f(x[i].d);
		for (int j = 0; j < QK / 2; j++) {
			y[j] = ((x[i].qs[j] & 0xf) - 8) * d;
			y[j + QK / 2] = ((x[i].qs[j] >> 4) - 8) * d;
		}
	}
}

static void deq_q4_1(const blk_q4_1 *x, float *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, y += QK) {
		const float d = h2f(x[i].d), m = h2f(x[i].m);
		for (int j = 0; j < QK / 2; j++) {
			y[j] = (x[i].qs[j] & 0xf) * d + m;
			y[j + QK / 2] = (x[i].qs[j] >> 4) * d + m;
		}
	}
}

static uint32_t ld_u32(const uint8_t b[4])
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The 5-bit values of a Q5_0 / Q5_1 block, 0..31. */
static void get_5bit(const uint8_t *qs, const uint8_t qh[4], int *q)
{
	const uint32_t h = ld_u32(qh);
	for (int j = 0; j < QK / 2; j++) {
		q[j] = (qs[j] & 0xf) | (int)(((h >> j) & 1) << 4);
		q[j + QK / 2] = (qs[j] >> 4) | (int)(((h >> (j + QK / 2)) & 1) << 4);
	}
}

static void deq_q5_0(const blk_q5_0 *x, float *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, y += QK) {
		const float d = h2f(x[i].d);
		int q[QK];
		get_5bit(x[i].qs, x[i].qh, q);
		for (int j = 0; j < QK; j++)
			y[j] = (q[j] - 16) * d;
	}
}

static void deq_q5_1(const blk_q5_1 *x, float *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, y += QK) {
		const float d = h2f(x[i].d), m = h2f(x[i].m);
		int q[QK];
		get_5bit(x[i].qs, x[i].qh, q);
		for (int j = 0; j < QK; j++)
			y[j] = q[j] * d + m;
	}
}

static void deq_q8_0(const blk_q8_0 *x, float *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, y += QK) {
		const float d = h2f(x[i].d);
		for (int j = 0; j < QK; j++)
			y[j] = x[i].qs[j] * d;
	}
}

static void deq_q8_1(const blk_q8_1 *x, float *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, y += QK) {
		const float d = h2f(x[i].d);
		for (int j = 0; j < QK; j++)
			y[j] = x[i].qs[j] * d;
	}
}

/* Element e of a Q2_K / Q3_K super-block: 2 low bits at byte 32*(e/128) + e%32, shift
 * 2*((e%128)/32). */
static inline int get_2bit(const uint8_t *qs, int e)
{
	return (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
}

static void deq_q2_K(const blk_q2_K *x, float *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, y += QK_K) {
		const float d = h2f(x[i].d), dmin = h2f(x[i].dmin);
		for (int g = 0; g < 16; g++) {
			const float dl = d * (x[i].scales[g] & 0xf), ml = dmin * (x[i].scales[g] >> 4);
			for (int k = 0; k < 16; k++)
				y[16 * g + k] = dl * get_2bit(x[i].qs, 16 * g + k) - ml;
		}
	}
}

/* Q3_K element e as a signed level in [-4, 3]. */
static inline int q3k_level(const blk_q3_K *b, int e)
{
	return get_2bit(b->qs, e) - ((b->hmask[e % 32] >> (e / 32)) & 1 ? 0 : 4);
}

static void deq_q3_K(const blk_q3_K *x, float *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, y += QK_K) {
		const float d = h2f(x[i].d);
		for (int g = 0; g < 16; g++) {
			const float dl = d * q3k_scale(x[i].scales, g);
			for (int k = 0; k < 16; k++)
				y[16 * g + k] = dl * q3k_level(&x[i], 16 * g + k);
		}
	}
}

/* Q4_K / Q5_K element e's low 4 bits: byte 32*(e/64) + e%32, high nibble for (e%64) >= 32. */
static inline int get_k4_nibble(const uint8_t *qs, int e)
{
	const uint8_t b = qs[32 * (e / 64) + e % 32];
	return (e % 64) < 32 ? b & 0xf : b >> 4;
}

static inline int q5k_level(const blk_q5_K *b, int e)   /* 0..31 */
{
	return get_k4_nibble(b->qs, e) | (((b->qh[e % 32] >> (e / 32)) & 1) << 4);
}

static void deq_q4_K(const blk_q4_K *x, float *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, y += QK_K) {
		const float d = h2f(x[i].d), dmin = h2f(x[i].dmin);
		for (int g = 0; g < 8; g++) {
			int sc, mn;
			k4_scale_min(x[i].scales, g, &sc, &mn);
			const float dl = d * sc, ml = dmin * mn;
			for (int k = 0; k < 32; k++)
				y[32 * g + k] = dl * get_k4_nibble(x[i].qs, 32 * g + k) - ml;
		}
	}
}

static void deq_q5_K(const blk_q5_K *x, float *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, y += QK_K) {
		const float d = h2f(x[i].d), dmin = h2f(x[i].dmin);
		for (int g = 0; g < 8; g++) {
			int sc, mn;
			k4_scale_min(x[i].scales, g, &sc, &mn);
			const float dl = d * sc, ml = dmin * mn;
			for (int k = 0; k < 32; k++)
				y[32 * g + k] = dl * q5k_level(&x[i], 32 * g + k) - ml;
		}
	}
}

/* Q6_K element e as a signed level in [-32, 31] (layout in quant_q6_K). */
static inline int q6k_level(const blk_q6_K *b, int e)
{
	const int c = e / 128, r = e % 128, l = r % 32, part = r / 32;   /* part: e[l + 32*part] */
	const uint8_t lo = b->ql[64 * c + l + 32 * (part & 1)];
	const int low = part < 2 ? lo & 0xf : lo >> 4;
	const int high = (b->qh[32 * c + l] >> (2 * part)) & 3;
	return (low | (high << 4)) - 32;
}

static void deq_q6_K(const blk_q6_K *x, float *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, y += QK_K) {
		const float d = h2f(x[i].d);
		for (int e = 0; e < QK_K; e++)
			y[e] = d * x[i].scales[e / 16] * q6k_level(&x[i], e);
	}
}

static void deq_q8_K(const blk_q8_K *x, float *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, y += QK_K)
		for (int j = 0; j < QK_K; j++)
			y[j] = x[i].d * x[i].qs[j];
}

static void deq_iq4_nl(const blk_iq4_nl *x, float *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, y += QK) {
		const float d = h2f(x[i].d);
		for (int j = 0; j < QK / 2; j++) {
			y[j] = d * eng_iq4_values[x[i].qs[j] & 0xf];
			y[j + QK / 2] = d * eng_iq4_values[x[i].qs[j] >> 4];
		}
	}
}

static void deq_mxfp4(const blk_mxfp4 *x, float *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, y += QK) {
		const float d = eng_e8m0_half(x[i].e);
		for (int j = 0; j < QK / 2; j++) {
			y[j] = d * eng_mxfp4_values[x[i].qs[j] & 0xf];
			y[j + QK / 2] = d * eng_mxfp4_values[x[i].qs[j] >> 4];
		}
	}
}

static inline int iq4xs_scale(const blk_iq4_xs *b, int g)   /* signed, in [-32, 31] */
{
	return (((b->scales_l[g / 2] >> (4 * (g % 2))) & 0xf) | (((b->scales_h >> (2 * g)) & 3) << 4)) - 32;
}

static void deq_iq4_xs(const blk_iq4_xs *x, float *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++, y += QK_K) {
		const float d = h2f(x[i].d);
		for (int g = 0; g < 8; g++) {
			const float dl = d * iq4xs_scale(&x[i], g);
			const uint8_t *qs = x[i].qs + 16 * g;
			for (int k = 0; k < 16; k++) {
				y[32 * g + k] = dl * eng_iq4_values[qs[k] & 0xf];
				y[32 * g + 16 + k] = dl * eng_iq4_values[qs[k] >> 4];
			}
		}
	}
}

/* eng_expf: exp by range reduction, x = n ln2 + r with n the nearest integer to x log2(e)
 * (rounded by adding 1.5 * 2^23 in one fused multiply-add), r from a two-part ln2 (Cody and
 * Waite), e^r by its Taylor polynomial of degree 7 in Horner form (fused multiply-adds; |r| <=
 * 0.35, truncation below 1e-8 relative), and 2^n added to the exponent bits. Inputs are clamped
 * to at most 88 (so 2^n stays a normal exponent), below -87 the result is 0 (e^-87 is 1.6e-38:
 * nothing a softmax whose largest term is 1 can see), NaN stays NaN. Every operation is an
 * IEEE one with one rounding, so the vector kernels (quant_x86.c) give the same bits. */
#define EXPF_MAGIC 12582912.0f          /* 1.5 * 2^23 */
#define EXPF_MAGIC_BITS 0x4B400000
#define EXPF_LOG2E 1.44269504f
#define EXPF_LN2_HI 0.693145751953125f  /* ln 2 in its 16 high bits: n * LN2_HI is exact */
#define EXPF_LN2_LO 1.42860677e-06f     /* ln 2 - LN2_HI */

float eng_expf(float x)
{
	float t, nf, r, p;
	uint32_t tb, pb;

	if (x != x)
		return x;
	if (x < -87.0f)
		return 0.0f;
	if (x > 88.0f)
		x = 88.0f;
	t = fmaf(x, EXPF_LOG2E, EXPF_MAGIC);
	nf = t - EXPF_MAGIC;
	r = fmaf(nf, -EXPF_LN2_HI, x);
	r = fmaf(nf, -EXPF_LN2_LO, r);
	p = 1.0f / 5040;
	p = fmaf(p, r, 1.0f / 720);
	p = fmaf(p, r, 1.0f / 120);
	p = fmaf(p, r, 1.0f / 24);
	p = fmaf(p, r, 1.0f / 6);
	p = fmaf(p, r, 0.5f);
	p = fmaf(p, r, 1.0f);
	p = fmaf(p, r, 1.0f);
	memcpy(&tb, &t, sizeof tb);
	memcpy(&pb, &p, sizeof pb);
	pb += (tb - EXPF_MAGIC_BITS) << 23;
	memcpy(&p, &pb, sizeof p);
	return p;
}

void eng_silu_mul_ref(float *g, const float *u, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		g[i] = g[i] / (1.0f + eng_expf(-g[i])) * u[i];
}

void eng_delta_scalars(const float *q, const float *k, int D, const float *b, const float *g, int G, float *sc)
{
	const float scale = 1.0f / sqrtf((float)D), eps = 1e-12f;
	float qn = 0.0f, kn = 0.0f, score = 0.0f, qi, ki;

	for (int i = 0; i < D; i++) {
		qn += q[i] * q[i];
		kn += k[i] * k[i];
	}
	qi = 1.0f / sqrtf(qn + eps);
	ki = 1.0f / sqrtf(kn + eps);
	for (int i = 0; i < D; i++)
		score += (k[i] * ki) * (q[i] * qi * scale);
	for (int j = 0; j < G; j++, sc += ENG_DELTA_SC) {
		sc[0] = 1.0f / (1.0f + expf(-b[j]));
		sc[1] = expf(fminf(g[j], 50.0f));
		sc[2] = qi;
		sc[3] = ki;
		sc[4] = score;
	}
}

/* fminf(fmaxf(x, -1e6), 1e6) with a NaN to -1e6, in a form the compiler vectorizes. */
static inline float delta_clamp(float x)
{
	x = x > -1e6f ? x : -1e6f;
	return x < 1e6f ? x : 1e6f;
}

void eng_delta_rows_ref(float *S, int D, int r0, int nr, int n, const float *q, const float *k, size_t in_stride,
	const float *v, float *out, size_t out_stride, const float *sc, size_t sc_stride)
{
	const float scale = 1.0f / sqrtf((float)D);
	float vp[1024], op[1024];    /* D <= 1024 */

	for (int t = 0; t < n; t++) {
		const float *qt = q + (size_t)t * in_stride, *kt = k + (size_t)t * in_stride, *st = sc + (size_t)t * sc_stride;
		const float *vt = v + (size_t)t * in_stride + r0;
		float *ot = out + (size_t)t * out_stride + r0;
		const float beta = st[0], decay = st[1], qi = st[2], ki = st[3], score = st[4];

		for (int r = 0; r < nr; r++)
			vp[r] = op[r] = 0.0f;
		/* rows inner, in blocks of 16 with a constant trip count, which the compiler vectorizes
		 * at -O2 (each row's sums keep their order) */
		for (int col = 0; col < D; col++) {
			const float *restrict Sc = S + (size_t)col * (size_t)D + r0, kc = kt[col], qc = qt[col];
			int r = 0;

			for (; r + 16 <= nr; r += 16)
				for (int j = 0; j < 16; j++) {
					vp[r + j] += Sc[r + j] * kc;
					op[r + j] += Sc[r + j] * qc;
				}
			for (; r < nr; r++) {
				vp[r] += Sc[r] * kc;
				op[r] += Sc[r] * qc;
			}
		}
		for (int r = 0; r < nr; r++) {
			const float vn = vt[r] * beta - vp[r] * beta * decay * ki;

			vp[r] = vn;
			ot[r] = op[r] * decay * qi * scale + vn * score;
		}
		for (int col = 0; col < D; col++) {
			float *restrict Sc = S + (size_t)col * (size_t)D + r0;
			const float kc = kt[col] * ki;
			int r = 0;

			for (; r + 16 <= nr; r += 16)
				for (int j = 0; j < 16; j++)
					Sc[r + j] = delta_clamp(decay * Sc[r + j] + vp[r + j] * kc);
			for (; r < nr; r++)
				Sc[r] = delta_clamp(decay * Sc[r] + vp[r] * kc);
		}
	}
}

void eng_scale_max_ref(float *x, int64_t n, float s, float *mx)
{
	float m = *mx;

	for (int64_t p = 0; p < n; p++) {
		x[p] *= s;
		m = x[p] > m ? x[p] : m;
	}
	*mx = m;
}

void eng_axpy_rows_ref(float *o, size_t os, int ng, const float *w, size_t ws, const float *x, size_t xs, int nj,
	int64_t n)
{
	for (int g = 0; g < ng; g++)
		for (int j = 0; j < nj; j++)
			for (int64_t i = 0; i < n; i++) {
				const float p = w[(size_t)g * ws + (size_t)j] * x[(size_t)j * xs + (size_t)i];

				o[(size_t)g * os + (size_t)i] = o[(size_t)g * os + (size_t)i] + p;
			}
}

void eng_scale_row_ref(float *x, int64_t n, float s, uint16_t *h)
{
	for (int64_t p = 0; p < n; p++) {
		if (h)
			h[p] = eng_f32_to_f16(x[p] * s);
		else
			x[p] *= s;
	}
}

double eng_exp_sum_ref(float *sc, int64_t n, float mx)
{
	double s[16] = { 0 }, t;
	int64_t p = 0;

	for (; p + 16 <= n; p += 16)
		for (int j = 0; j < 16; j++) {
			sc[p + j] = eng_expf(sc[p + j] - mx);
			s[j] += (double)sc[p + j];
		}
	for (int w = 8; w >= 1; w /= 2)
		for (int j = 0; j < w; j++)
			s[j] += s[j + w];
	t = s[0];
	for (; p < n; p++) {
		sc[p] = eng_expf(sc[p] - mx);
		t += (double)sc[p];
	}
	return t;
}

/* ---- dot products ---------------------------------------------------------------------------
 * Integer sums per block, scaled by the block scales as floats, in the order of ggml's generic
 * CPU kernels (ggml-cpu/quants.c): the scale products and the float accumulation order below are
 * part of the numeric definition, so results match llama.cpp's reference path to the last bit
 * wherever that path is scalar.
 *
 * F32 and F16 follow the summation order of llama.cpp's x86 AVX-512 build, which is what the
 * reference logits were made with: rows whose length is a multiple of 16 go through 16 lanes of
 * fused multiply-adds added pairwise at the end (its tiled matmul); other lengths through four
 * such 16-lane accumulators per 64 elements, then the tail in double (its vec_dot). Only the
 * rounding differs from a plain sum, but in a model whose KV cache is F16 the last bit of a
 * value decides which way it rounds, and a flipped F16 value moves later logits by ~1e-3. */

float eng_sum16(const float l[16])
{
	float a[8], b[4], c0, c1;

	for (int i = 0; i < 8; i++)
		a[i] = l[i + 8] + l[i];
	for (int i = 0; i < 4; i++)
		b[i] = a[i + 4] + a[i];
	c0 = b[0] + b[2];
	c1 = b[1] + b[3];
	return c0 + c1;
}

/* Shared by F32 and F16: `get` widens element i of a row to float (exactly). */
#define ORDERED_DOT(get_x, get_y)                                                             \
	do {                                                                                  \
		if (n % 16 == 0) {                                                            \
			float l[16] = { 0 };                                                  \
			for (int64_t i = 0; i < n; i += 16)                                   \
				for (int j = 0; j < 16; j++)                                  \
					l[j] = fmaf(get_x(i + j), get_y(i + j), l[j]);        \
			return eng_sum16(l);                                                  \
		} else {                                                                      \
			float acc[4][16] = { { 0 } };                                         \
			const int64_t np = n & ~(int64_t)63;                                  \
			double s;                                                             \
			for (int64_t i = 0; i < np; i += 64)                                  \
				for (int k = 0; k < 4; k++)                                   \
					for (int j = 0; j < 16; j++)                          \
						acc[k][j] = fmaf(get_x(i + 16 * k + j), get_y(i + 16 * k + j), acc[k][j]); \
			for (int j = 0; j < 16; j++) {                                        \
				acc[0][j] += acc[2][j];                                       \
				acc[1][j] += acc[3][j];                                       \
			}                                                                     \
			for (int j = 0; j < 16; j++)                                          \
				acc[0][j] += acc[1][j];                                       \
			s = eng_sum16(acc[0]);                                                \
			for (int64_t i = np; i < n; i++)                                      \
				s += (double)(get_x(i) * get_y(i));                           \
			return (float)s;                                                      \
		}                                                                             \
	} while (0)

float eng_dot_f32_ordered(const float *x, const float *y, int64_t n)
{
#define GX(i) x[i]
#define GY(i) y[i]
	ORDERED_DOT(GX, GY);
#undef GX
#undef GY
}

static float dot_f32(const float *x, const float *y, int64_t n)
{
	return eng_dot_f32_ordered(x, y, n);
}

static float dot_f16(const uint16_t *x, const uint16_t *y, int64_t n)
{
#define GX(i) h2f(x[i])
#define GY(i) h2f(y[i])
	ORDERED_DOT(GX, GY);
#undef GX
#undef GY
}

/* BF16 products summed in double (llama.cpp's BF16 path uses dot-product instructions whose
 * internal rounding is not reproduced here). */
static float dot_bf16(const uint16_t *x, const uint16_t *y, int64_t n)
{
	double s = 0.0;
	for (int64_t i = 0; i < n; i++)
		s += (double)(eng_bf16_to_f32(x[i]) * eng_bf16_to_f32(y[i]));
	return (float)s;
}

static float dot_q4_0(const blk_q4_0 *x, const blk_q8_0 *y, int64_t nb)
{
	float sum = 0;
	for (int64_t i = 0; i < nb; i++) {
		int si = 0;
		for (int j = 0; j < QK / 2; j++)
			si += ((x[i].qs[j] & 0xf) - 8) * y[i].qs[j] + ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + QK / 2];
		sum += si * h2f(x[i].d) * h2f(y[i].d);
	}
	return sum;
}

static float dot_q4_1(const blk_q4_1 *x, const blk_q8_1 *y, int64_t nb)
{
	float sum = 0;
	for (int64_t i = 0; i < nb; i++) {
		int si = 0;
		for (int j = 0; j < QK / 2; j++)
			si += (x[i].qs[j] & 0xf) * y[i].qs[j] + (x[i].qs[j] >> 4) * y[i].qs[j + QK / 2];
		sum += (h2f(x[i].d) * h2f(y[i].d)) * si + h2f(x[i].m) * h2f(y[i].s);
	}
	return sum;
}

static float dot_q5_0(const blk_q5_0 *x, const blk_q8_0 *y, int64_t nb)
{
	float sum = 0;
	for (int64_t i = 0; i < nb; i++) {
		int q[QK], si = 0;
		get_5bit(x[i].qs, x[i].qh, q);
		for (int j = 0; j < QK; j++)
			si += (q[j] - 16) * y[i].qs[j];
		sum += (h2f(x[i].d) * h2f(y[i].d)) * si;
	}
	return sum;
}

static float dot_q5_1(const blk_q5_1 *x, const blk_q8_1 *y, int64_t nb)
{
	float sum = 0;
	for (int64_t i = 0; i < nb; i++) {
		int q[QK], si = 0;
		get_5bit(x[i].qs, x[i].qh, q);
		for (int j = 0; j < QK; j++)
			si += q[j] * y[i].qs[j];
		sum += (h2f(x[i].d) * h2f(y[i].d)) * si + h2f(x[i].m) * h2f(y[i].s);
	}
	return sum;
}

static float dot_q8_0(const blk_q8_0 *x, const blk_q8_0 *y, int64_t nb)
{
	float sum = 0;
	for (int64_t i = 0; i < nb; i++) {
		int si = 0;
		for (int j = 0; j < QK; j++)
			si += x[i].qs[j] * y[i].qs[j];
		sum += si * (h2f(x[i].d) * h2f(y[i].d));
	}
	return sum;
}

/* Σ table[code j] * q[j] over a 32-block whose codes are nibbles laid out as in Q4_0. */
static int dot_table16(const uint8_t qs[QK / 2], const int8_t q[QK], const int8_t table[16])
{
	int si = 0;
	for (int j = 0; j < QK / 2; j++)
		si += q[j] * table[qs[j] & 0xf] + q[j + QK / 2] * table[qs[j] >> 4];
	return si;
}

static float dot_iq4_nl(const blk_iq4_nl *x, const blk_q8_0 *y, int64_t nb)
{
	float sum = 0;
	for (int64_t i = 0; i < nb; i++)
		sum += h2f(y[i].d) * h2f(x[i].d) * dot_table16(x[i].qs, y[i].qs, eng_iq4_values);
	return sum;
}

static float dot_mxfp4(const blk_mxfp4 *x, const blk_q8_0 *y, int64_t nb)
{
	float sum = 0;
	for (int64_t i = 0; i < nb; i++)
		sum += h2f(y[i].d) * eng_e8m0_half(x[i].e) * dot_table16(x[i].qs, y[i].qs, eng_mxfp4_values);
	return sum;
}

static float dot_q2_K(const blk_q2_K *x, const blk_q8_K *y, int64_t nb)
{
	float sum = 0;
	for (int64_t i = 0; i < nb; i++) {
		int summs = 0, isum = 0;
		for (int g = 0; g < 16; g++)
			summs += y[i].bsums[g] * (x[i].scales[g] >> 4);
		const float dall = y[i].d * h2f(x[i].d);
		const float dmin = y[i].d * h2f(x[i].dmin);
		for (int g = 0; g < 16; g++) {
			int s = 0;
			for (int k = 0; k < 16; k++)
				s += y[i].qs[16 * g + k] * get_2bit(x[i].qs, 16 * g + k);
			isum += (x[i].scales[g] & 0xf) * s;
		}
		sum += dall * isum - dmin * summs;
	}
	return sum;
}

/* The K-quant kernels of ggml keep eight integer lanes per block (lane = element index mod 8),
 * scale them by d into eight float lanes across blocks, and add the lanes at the end. `lev` is
 * the block's signed level per element and `sc` its group scale per element. */
static void lanes_add(float lanes[8], float d, const int *lev, const int *sc, const int8_t *q8)
{
	int32_t acc[8] = { 0 };
	for (int e = 0; e < QK_K; e++)
		acc[e % 8] += sc[e] * (q8[e] * lev[e]);
	for (int l = 0; l < 8; l++)
		lanes[l] += d * acc[l];
}

static float lanes_sum(float sum, const float lanes[8])
{
	for (int l = 0; l < 8; l++)
		sum += lanes[l];
	return sum;
}

static float dot_q3_K(const blk_q3_K *x, const blk_q8_K *y, int64_t nb)
{
	float lanes[8] = { 0 };
	for (int64_t i = 0; i < nb; i++) {
		int lev[QK_K], sc[QK_K];
		for (int e = 0; e < QK_K; e++) {
			lev[e] = q3k_level(&x[i], e);
			sc[e] = q3k_scale(x[i].scales, e / 16);
		}
		lanes_add(lanes, h2f(x[i].d) * y[i].d, lev, sc, y[i].qs);
	}
	return lanes_sum(0, lanes);
}

/* Q4_K and Q5_K: the min term uses Q8_K's group sums (two 16-sums per 32-group). */
static int k4_min_term(const uint8_t s[12], const int16_t *bsums, int *sc)
{
	int sumi = 0;
	for (int g = 0; g < 8; g++) {
		int scale, mn;
		k4_scale_min(s, g, &scale, &mn);
		sumi += bsums[2 * g] * mn + bsums[2 * g + 1] * mn;
		for (int k = 0; k < 32; k++)
			sc[32 * g + k] = scale;
	}
	return sumi;
}

static float dot_q4_K(const blk_q4_K *x, const blk_q8_K *y, int64_t nb)
{
	float lanes[8] = { 0 }, sum = 0;
	for (int64_t i = 0; i < nb; i++) {
		int lev[QK_K], sc[QK_K];
		const int sumi = k4_min_term(x[i].scales, y[i].bsums, sc);
		for (int e = 0; e < QK_K; e++)
			lev[e] = get_k4_nibble(x[i].qs, e);
		lanes_add(lanes, h2f(x[i].d) * y[i].d, lev, sc, y[i].qs);
		sum -= h2f(x[i].dmin) * y[i].d * sumi;
	}
	return lanes_sum(sum, lanes);
}

static float dot_q5_K(const blk_q5_K *x, const blk_q8_K *y, int64_t nb)
{
	float lanes[8] = { 0 }, sum = 0;
	for (int64_t i = 0; i < nb; i++) {
		int lev[QK_K], sc[QK_K];
		const int sumi = k4_min_term(x[i].scales, y[i].bsums, sc);
		for (int e = 0; e < QK_K; e++)
			lev[e] = q5k_level(&x[i], e);
		lanes_add(lanes, h2f(x[i].d) * y[i].d, lev, sc, y[i].qs);
		sum -= h2f(x[i].dmin) * y[i].d * sumi;
	}
	return lanes_sum(sum, lanes);
}

static float dot_q6_K(const blk_q6_K *x, const blk_q8_K *y, int64_t nb)
{
	float lanes[8] = { 0 };
	for (int64_t i = 0; i < nb; i++) {
		int lev[QK_K], sc[QK_K];
		for (int e = 0; e < QK_K; e++) {
			lev[e] = q6k_level(&x[i], e);
			sc[e] = x[i].scales[e / 16];
		}
		lanes_add(lanes, h2f(x[i].d) * y[i].d, lev, sc, y[i].qs);
	}
	return lanes_sum(0, lanes);
}

static float dot_iq4_xs(const blk_iq4_xs *x, const blk_q8_K *y, int64_t nb)
{
	float sum = 0;
	for (int64_t i = 0; i < nb; i++) {
		const float d4d8 = h2f(x[i].d) * y[i].d;
		for (int g = 0; g < 8; g++) {
			const float dl = d4d8 * iq4xs_scale(&x[i], g);
			const uint8_t *qs = x[i].qs + 16 * g;
			const int8_t *q8 = y[i].qs + 32 * g;
			int si = 0;
			for (int k = 0; k < 16; k++)
				si += q8[k] * eng_iq4_values[qs[k] & 0xf] + q8[k + 16] * eng_iq4_values[qs[k] >> 4];
			sum += dl * si;
		}
	}
	return sum;
}

/* ---- entry points --------------------------------------------------------------------------- */

/* Number of blocks in n elements of `type`, or -1 when the type is unknown or n is not a
 * non-negative multiple of its block size. */
static int64_t n_blocks(int type, int64_t n)
{
	const eng_type_info *ti = eng_type_get(type);
	if (!ti || n < 0 || n % ti->blck != 0)
		return -1;
	return n / ti->blck;
}

int eng_dequant_row_ref(int type, const void *src, float *dst, int64_t n)
{
	const int64_t nb = n_blocks(type, n);
	if (nb < 0)
		return -1;
	switch (type) {
	case ENG_T_F32: if (nb) memcpy(dst, src, (size_t)nb * sizeof(float)); return 0;
	case ENG_T_F16:
		for (int64_t i = 0; i < nb; i++)
			dst[i] = h2f(((const uint16_t *)src)[i]);
		return 0;
	case ENG_T_BF16:
		for (int64_t i = 0; i < nb; i++)
			dst[i] = eng_bf16_to_f32(((const uint16_t *)src)[i]);
		return 0;
	case ENG_T_Q4_0: deq_q4_0(src, dst, nb); return 0;
	case ENG_T_Q4_1: deq_q4_1(src, dst, nb); return 0;
	case ENG_T_Q5_0: deq_q5_0(src, dst, nb); return 0;
	case ENG_T_Q5_1: deq_q5_1(src, dst, nb); return 0;
	case ENG_T_Q8_0: deq_q8_0(src, dst, nb); return 0;
	case ENG_T_Q8_1: deq_q8_1(src, dst, nb); return 0;
	case ENG_T_Q2_K: deq_q2_K(src, dst, nb); return 0;
	case ENG_T_Q3_K: deq_q3_K(src, dst, nb); return 0;
	case ENG_T_Q4_K: deq_q4_K(src, dst, nb); return 0;
	case ENG_T_Q5_K: deq_q5_K(src, dst, nb); return 0;
	case ENG_T_Q6_K: deq_q6_K(src, dst, nb); return 0;
	case ENG_T_Q8_K: deq_q8_K(src, dst, nb); return 0;
	case ENG_T_IQ4_NL: deq_iq4_nl(src, dst, nb); return 0;
	case ENG_T_IQ4_XS: deq_iq4_xs(src, dst, nb); return 0;
	case ENG_T_MXFP4: deq_mxfp4(src, dst, nb); return 0;
	default: return eng_iq_dequant_ref(type, src, dst, nb);   /* quant_iq.c; -1 for others */
	}
}

int eng_quant_row_ref(int type, const float *src, void *dst, int64_t n, const float *imatrix)
{
	const int64_t nb = n_blocks(type, n);
	if (nb < 0)
		return -1;
	switch (type) {
	case ENG_T_F32: if (nb) memcpy(dst, src, (size_t)nb * sizeof(float)); return 0;
	case ENG_T_F16:
		for (int64_t i = 0; i < nb; i++)
			((uint16_t *)dst)[i] = f2h(src[i]);
		return 0;
	case ENG_T_BF16:
		for (int64_t i = 0; i < nb; i++)
			((uint16_t *)dst)[i] = eng_f32_to_bf16(src[i]);
		return 0;
	case ENG_T_Q4_0:
		if (imatrix) quant_q4_0_w(src, dst, n, imatrix); else quant_q4_0(src, dst, nb);
		return 0;
	case ENG_T_Q4_1:
		if (imatrix) quant_q4_1_w(src, dst, n, imatrix); else quant_q4_1(src, dst, nb);
		return 0;
	case ENG_T_Q5_0:
		if (imatrix) quant_q5_0_w(src, dst, n, imatrix); else quant_q5_0(src, dst, nb);
		return 0;
	case ENG_T_Q5_1:
		if (imatrix) quant_q5_1_w(src, dst, n, imatrix); else quant_q5_1(src, dst, nb);
		return 0;
	case ENG_T_Q8_0: quant_q8_0(src, dst, nb); return 0;
	case ENG_T_Q8_1: quant_q8_1(src, dst, nb); return 0;
	case ENG_T_Q2_K:
		if (imatrix) quant_q2_K_w(src, dst, nb, imatrix); else quant_q2_K(src, dst, nb);
		return 0;
	case ENG_T_Q3_K:
		if (imatrix) quant_q3_K_w(src, dst, nb, imatrix); else quant_q3_K(src, dst, nb);
		return 0;
	case ENG_T_Q4_K: quant_q4_K(src, dst, nb, imatrix); return 0;
	case ENG_T_Q5_K: quant_q5_K(src, dst, nb, imatrix); return 0;
	case ENG_T_Q6_K: quant_q6_K(src, dst, nb, imatrix); return 0;
	case ENG_T_Q8_K: quant_q8_K(src, dst, nb); return 0;
	case ENG_T_IQ4_NL: quant_iq4_nl(src, dst, nb, imatrix); return 0;
	case ENG_T_IQ4_XS: quant_iq4_xs(src, dst, nb, imatrix); return 0;
	case ENG_T_MXFP4: quant_mxfp4(src, dst, nb); return 0;   /* no imatrix, as ggml */
	default: return eng_iq_quant_ref(type, src, dst, n, imatrix);   /* IQ1-3, TQ; else -1 */
	}
}

int eng_vec_dot_ref(int type, int64_t n, const void *w_row, const void *act, float *out)
{
	const int64_t nb = n_blocks(type, n);
	const eng_type_info *ti = eng_type_get(type);
	if (nb < 0 || !ti->can_compute)
		return -1;
	switch (type) {
	case ENG_T_F32: *out = dot_f32(w_row, act, n); return 0;
	case ENG_T_F16: *out = dot_f16(w_row, act, n); return 0;
	case ENG_T_BF16: *out = dot_bf16(w_row, act, n); return 0;
	case ENG_T_Q4_0: *out = dot_q4_0(w_row, act, nb); return 0;
	case ENG_T_Q4_1: *out = dot_q4_1(w_row, act, nb); return 0;
	case ENG_T_Q5_0: *out = dot_q5_0(w_row, act, nb); return 0;
	case ENG_T_Q5_1: *out = dot_q5_1(w_row, act, nb); return 0;
	case ENG_T_Q8_0: *out = dot_q8_0(w_row, act, nb); return 0;
	case ENG_T_Q2_K: *out = dot_q2_K(w_row, act, nb); return 0;
	case ENG_T_Q3_K: *out = dot_q3_K(w_row, act, nb); return 0;
	case ENG_T_Q4_K: *out = dot_q4_K(w_row, act, nb); return 0;
	case ENG_T_Q5_K: *out = dot_q5_K(w_row, act, nb); return 0;
	case ENG_T_Q6_K: *out = dot_q6_K(w_row, act, nb); return 0;
	case ENG_T_IQ4_NL: *out = dot_iq4_nl(w_row, act, nb); return 0;
	case ENG_T_IQ4_XS: *out = dot_iq4_xs(w_row, act, nb); return 0;
	case ENG_T_MXFP4: *out = dot_mxfp4(w_row, act, nb); return 0;
	default: return eng_iq_dot_ref(type, w_row, act, nb, out);   /* quant_iq.c; -1 for others */
	}
}

int eng_quant_act_row_ref(int type, const float *src, void *dst, int64_t n)
{
	if (type == ENG_T_Q8_0) {
		const int64_t nb = n_blocks(type, n);
		if (nb < 0)
			return -1;
		quant_q8_0_act(src, dst, nb);
		return 0;
	}
	return eng_quant_row_ref(type, src, dst, n, NULL);
}

/* The dispatching names (eng_dequant_row, eng_quant_row, eng_vec_dot, eng_vec_dot_rows) live in
 * quant_dispatch.c, with the choice of kernel level. */
