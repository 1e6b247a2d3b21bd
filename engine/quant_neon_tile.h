/* engine/quant_neon_tile.h — the NEON tiles of weight rows x activations, included twice by
 * quant_neon.c: once with plain ARMv8-A integer products and once (under a target pragma) with
 * the dot-product extension's `sdot`. The includer defines NT_DOT(acc, a, b) (acc plus the four
 * sums of four int8 products of a and b: any lane partition, since only the lanes' total is
 * read) and NT_NAME(x) (the variant's suffix). Internal to quant_neon.c. */

/* A tile of R rows x A activations (R, A: 1 or OB_R, OB_A) of a super-block type, over the
 * super-blocks [0 .. ns) of unpacked rows rp[r] and activations xa[a] (Q8_K rows at the same
 * super-block): acc[r][a] takes, super-block after super-block, for the order-B kinds
 * fmaf(d_w d_a, isum, acc) and, with mins (OB_MIN), fmaf(-(dmin_w d_a), imin, acc)
 * (docs/quant-formats.md, "Order B"); for OB_REF the _ref's acc + (d_w d_a) (isum fi), unfused. */
static inline __attribute__((always_inline)) void NT_NAME(ob_tile)(const ob_sb *const rp[OB_R], const int R,
	int ns, const uint8_t *const xa[], const int A, int kind, float fi, float acc[OB_R][OB_A])
{
	const int has_min = kind == OB_MIN;
	for (int s = 0; s < ns; s++) {
		int32x4_t t[OB_R][OB_A];
		const int8_t *q8[OB_A];
#pragma GCC unroll 4
		for (int a = 0; a < A; a++) {
			q8[a] = (const int8_t *)(xa[a] + (size_t)s * sizeof(eng_blk_q8_K) + offsetof(eng_blk_q8_K, qs));
#pragma GCC unroll 4
			for (int r = 0; r < R; r++)
				t[r][a] = vdupq_n_s32(0);
		}
		for (int g = 0; g < 16; g++) {
			int8x16_t av[OB_A];
#pragma GCC unroll 4
			for (int a = 0; a < A; a++)
				av[a] = vld1q_s8(q8[a] + 16 * g);
#pragma GCC unroll 4
			for (int r = 0; r < R; r++) {
				const int8x16_t wv = vld1q_s8(rp[r][s].lv + 16 * g);
				const int32_t sc = rp[r][s].sc[g];
#pragma GCC unroll 4
				for (int a = 0; a < A; a++)
					t[r][a] = vmlaq_n_s32(t[r][a], NT_DOT(vdupq_n_s32(0), wv, av[a]), sc);
			}
		}
#pragma GCC unroll 4
		for (int a = 0; a < A; a++) {
			const uint8_t *ya = xa[a] + (size_t)s * sizeof(eng_blk_q8_K);
			const float da = ldf32(ya + offsetof(eng_blk_q8_K, d));
			int16x8_t b0 = vdupq_n_s16(0), b1 = b0;
			if (has_min) {
				b0 = vld1q_s16((const int16_t *)(ya + offsetof(eng_blk_q8_K, bsums)));
				b1 = vld1q_s16((const int16_t *)(ya + offsetof(eng_blk_q8_K, bsums)) + 8);
			}
#pragma GCC unroll 4
			for (int r = 0; r < R; r++) {
				const ob_sb *b = &rp[r][s];
				if (kind == OB_REF) {
					acc[r][a] = acc[r][a] + b->d * da * ((float)vaddvq_s32(t[r][a]) * fi);
					continue;
				}
				acc[r][a] = fmaf(b->d * da, (float)vaddvq_s32(t[r][a]), acc[r][a]);
				if (has_min) {
					const int16x8_t m0 = vld1q_s16(b->mn), m1 = vld1q_s16(b->mn + 8);
					int32x4_t mi = vmull_s16(vget_low_s16(m0), vget_low_s16(b0));
					mi = vmlal_high_s16(mi, m0, b0);
					mi = vmlal_s16(mi, vget_low_s16(m1), vget_low_s16(b1));
					mi = vmlal_high_s16(mi, m1, b1);
					acc[r][a] = fmaf(-(b->dmin * da), (float)vaddvq_s32(mi), acc[r][a]);
				}
			}
		}
	}
}

/* eng_rows_fn of a super-block type: OB_R rows at a time (the rest one at a time), their
 * super-blocks unpacked OB_SB at a time into ob_sb form once per call, then OB_A activations at
 * a time (the rest one at a time). Between runs of OB_SB super-blocks the sums wait in out; an
 * OB_REF type's sum is multiplied by its factor after the last run. */
static void NT_NAME(ob_rows)(int type, int64_t n, const void *w, size_t w_stride, int n_rows, const void *act,
	size_t act_stride, int n_act, float *out, size_t out_stride)
{
	ob_sb sb[OB_R][OB_SB];
	const size_t bs = eng_type_get(type)->type_size;
	const int kind = ob_kind(type);
	const float fi = ob_isum_factor(type), fr = ob_factor(type);
	const int64_t nsb = n / ENG_QK_K;

	for (int a = 0; nsb == 0 && a < n_act; a++)   /* empty rows: the empty sum */
		for (int r = 0; r < n_rows; r++)
			out[(size_t)a * out_stride + (size_t)r] = 0.0f;
	for (int r0 = 0; r0 < n_rows;) {
		const int R = n_rows - r0 >= OB_R ? OB_R : 1;
		for (int64_t s0 = 0; s0 < nsb; s0 += OB_SB) {
			const int ns = nsb - s0 < OB_SB ? (int)(nsb - s0) : OB_SB;
			const ob_sb *rp[OB_R];
			for (int r = 0; r < R; r++) {
				rp[r] = sb[r];
				for (int s = 0; s < ns; s++)
					ob_unpack(type, (const uint8_t *)w + (size_t)(r0 + r) * w_stride + (size_t)(s0 + s) * bs,
						&sb[r][s]);
			}
			for (int a0 = 0; a0 < n_act;) {
				const int A = n_act - a0 >= OB_A ? OB_A : 1;
				const uint8_t *xa[OB_A];
				float acc[OB_R][OB_A];
				for (int a = 0; a < A; a++) {
					xa[a] = (const uint8_t *)act + (size_t)(a0 + a) * act_stride +
						(size_t)s0 * sizeof(eng_blk_q8_K);
					for (int r = 0; r < R; r++)
						acc[r][a] = s0 == 0 ? 0.0f : out[(size_t)(a0 + a) * out_stride + (size_t)(r0 + r)];
				}
#define NT_OB_TILE(r, a) NT_NAME(ob_tile)(rp, r, ns, xa, a, kind, fi, acc)
				NT_CONST_RA(NT_OB_TILE, R, A);
#undef NT_OB_TILE
				const int last = s0 + ns == nsb && kind == OB_REF;
				for (int a = 0; a < A; a++)
					for (int r = 0; r < R; r++)
						out[(size_t)(a0 + a) * out_stride + (size_t)(r0 + r)] = last ? fr * acc[r][a] : acc[r][a];
				a0 += A;
			}
		}
		r0 += R;
	}
}

/* The 32-element types in the _ref's order: per block of 32 its exact integer sum, then
 * eng_b32_step (b32_load decodes the weights; Q4_1 and Q5_1 read Q8_1 activations). */
static inline __attribute__((always_inline)) void NT_NAME(b32_tile)(const int type, const uint8_t *const wr[OB_R],
	const int R, int64_t nb, const uint8_t *const xa[], const int A, float acc[OB_R][OB_A])
{
	const int q81 = eng_b32_q81(type);
	const size_t bw = eng_b32_size(type), ba = eng_b32_act_size(type), qo = eng_b32_act_qs(type);
	for (int64_t j = 0; j < nb; j++) {
		const size_t o = (size_t)j * ba;
		int8x16_t a0[OB_A], a1[OB_A];
		float da[OB_A], sa[OB_A];
#pragma GCC unroll 4
		for (int a = 0; a < A; a++) {
			const int8_t *q = (const int8_t *)(xa[a] + o + qo);
			a0[a] = vld1q_s8(q);
			a1[a] = vld1q_s8(q + 16);
			da[a] = h2f(xa[a] + o);   /* d first in Q8_0 and Q8_1 */
			sa[a] = q81 ? h2f(xa[a] + o + offsetof(eng_blk_q8_1, s)) : 0.0f;
		}
#pragma GCC unroll 4
		for (int r = 0; r < R; r++) {
			int8x16_t w0, w1;
			float mw = 0.0f;
			const float dw = b32_load(type, wr[r] + (size_t)j * bw, &w0, &w1, &mw);
#pragma GCC unroll 4
			for (int a = 0; a < A; a++) {
				const int32_t si = vaddvq_s32(NT_DOT(NT_DOT(vdupq_n_s32(0), w0, a0[a]), w1, a1[a]));
				acc[r][a] = eng_b32_step(type, acc[r][a], (float)si, dw, mw, da[a], sa[a]);
			}
		}
	}
}

/* eng_rows_fn of a 32-element type: tiles of OB_R rows x OB_A activations (the rest one at a time). */
static inline __attribute__((always_inline)) void NT_NAME(b32_rows)(const int type, int64_t n, const void *w,
	size_t w_stride, int n_rows, const void *act, size_t act_stride, int n_act, float *out, size_t out_stride)
{
	for (int r0 = 0; r0 < n_rows;) {
		const int R = n_rows - r0 >= OB_R ? OB_R : 1;
		const uint8_t *wr[OB_R];
		for (int r = 0; r < R; r++)
			wr[r] = (const uint8_t *)w + (size_t)(r0 + r) * w_stride;
		for (int a0 = 0; a0 < n_act;) {
			const int A = n_act - a0 >= OB_A ? OB_A : 1;
			const uint8_t *xa[OB_A];
			float acc[OB_R][OB_A] = { { 0 } };
			for (int a = 0; a < A; a++)
				xa[a] = (const uint8_t *)act + (size_t)(a0 + a) * act_stride;
#define NT_B32_TILE(r, a) NT_NAME(b32_tile)(type, wr, r, n / ENG_QK, xa, a, acc)
			NT_CONST_RA(NT_B32_TILE, R, A);
#undef NT_B32_TILE
			for (int a = 0; a < A; a++)
				for (int r = 0; r < R; r++)
					out[(size_t)(a0 + a) * out_stride + (size_t)(r0 + r)] = acc[r][a];
			a0 += A;
		}
		r0 += R;
	}
}

/* Each type's eng_rows_fn and eng_dot_fn through ROWS (ob_rows or b32_rows). The single dot is
 * a tile of one row and one activation, so every tile's result equals the dot's bits by
 * construction. */
#define NT_TYPE(name, T, ROWS)                                                                        \
	static void NT_NAME(rows_##name)(int64_t n, const void *w, size_t w_stride, int n_rows, const void *act, \
		size_t act_stride, int n_act, float *out, size_t out_stride)                                 \
	{                                                                                             \
		NT_NAME(ROWS)(T, n, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride);           \
	}                                                                                             \
	static float NT_NAME(dot_##name)(int64_t n, const void *w, const void *act)                          \
	{                                                                                             \
		float o;                                                                              \
		NT_NAME(ROWS)(T, n, w, 0, 1, act, 0, 1, &o, 1);                                               \
		return o;                                                                             \
	}
NT_TYPE(q4_0, ENG_T_Q4_0, b32_rows)
NT_TYPE(q4_1, ENG_T_Q4_1, b32_rows)
NT_TYPE(q5_0, ENG_T_Q5_0, b32_rows)
NT_TYPE(q5_1, ENG_T_Q5_1, b32_rows)
NT_TYPE(q8_0, ENG_T_Q8_0, b32_rows)
NT_TYPE(iq4_nl, ENG_T_IQ4_NL, b32_rows)
NT_TYPE(mxfp4, ENG_T_MXFP4, b32_rows)
NT_TYPE(q2_K, ENG_T_Q2_K, ob_rows)
NT_TYPE(q3_K, ENG_T_Q3_K, ob_rows)
NT_TYPE(q4_K, ENG_T_Q4_K, ob_rows)
NT_TYPE(q5_K, ENG_T_Q5_K, ob_rows)
NT_TYPE(q6_K, ENG_T_Q6_K, ob_rows)
NT_TYPE(iq4_xs, ENG_T_IQ4_XS, ob_rows)
NT_TYPE(iq2_xxs, ENG_T_IQ2_XXS, ob_rows)
NT_TYPE(iq2_xs, ENG_T_IQ2_XS, ob_rows)
NT_TYPE(iq2_s, ENG_T_IQ2_S, ob_rows)
NT_TYPE(iq3_xxs, ENG_T_IQ3_XXS, ob_rows)
NT_TYPE(iq3_s, ENG_T_IQ3_S, ob_rows)
NT_TYPE(iq1_s, ENG_T_IQ1_S, ob_rows)
NT_TYPE(iq1_m, ENG_T_IQ1_M, ob_rows)
NT_TYPE(tq1_0, ENG_T_TQ1_0, ob_rows)
NT_TYPE(tq2_0, ENG_T_TQ2_0, ob_rows)
#undef NT_TYPE

static void NT_NAME(set)(eng_kernels *k)
{
#define NT_SET(name, T) k->dot[T] = NT_NAME(dot_##name); k->rows[T] = NT_NAME(rows_##name)
	NT_SET(q4_0, ENG_T_Q4_0);
	NT_SET(q4_1, ENG_T_Q4_1);
	NT_SET(q5_0, ENG_T_Q5_0);
	NT_SET(q5_1, ENG_T_Q5_1);
	NT_SET(q8_0, ENG_T_Q8_0);
	NT_SET(q2_K, ENG_T_Q2_K);
	NT_SET(q3_K, ENG_T_Q3_K);
	NT_SET(q4_K, ENG_T_Q4_K);
	NT_SET(q5_K, ENG_T_Q5_K);
	NT_SET(q6_K, ENG_T_Q6_K);
	NT_SET(iq4_xs, ENG_T_IQ4_XS);
	NT_SET(iq4_nl, ENG_T_IQ4_NL);
	NT_SET(mxfp4, ENG_T_MXFP4);
	NT_SET(iq2_xxs, ENG_T_IQ2_XXS);
	NT_SET(iq2_xs, ENG_T_IQ2_XS);
	NT_SET(iq2_s, ENG_T_IQ2_S);
	NT_SET(iq3_xxs, ENG_T_IQ3_XXS);
	NT_SET(iq3_s, ENG_T_IQ3_S);
	NT_SET(iq1_s, ENG_T_IQ1_S);
	NT_SET(iq1_m, ENG_T_IQ1_M);
	NT_SET(tq1_0, ENG_T_TQ1_0);
	NT_SET(tq2_0, ENG_T_TQ2_0);
#undef NT_SET
}
