/* engine/quant_impl.h — tensor element types: block layouts, dequantization, reference
 * quantizers and dot products, and the CPU kernel levels behind the dispatching names. Block
 * layouts and numbering follow the public GGUF/ggml format (facts); the code is this project's
 * own. Every kernel has a scalar `_ref`; the names without `_ref` pick a SIMD version for the
 * CPU they run on (quant_dispatch.c, quant_x86.c, quant_neon.c). Internal to engine/. */
#ifndef ENG_QUANT_IMPL_H
#define ENG_QUANT_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* GGML type numbers as stored in GGUF tensor infos. */
enum eng_type {
	ENG_T_F32 = 0, ENG_T_F16 = 1, ENG_T_Q4_0 = 2, ENG_T_Q4_1 = 3,
	ENG_T_Q5_0 = 6, ENG_T_Q5_1 = 7, ENG_T_Q8_0 = 8, ENG_T_Q8_1 = 9,
	ENG_T_Q2_K = 10, ENG_T_Q3_K = 11, ENG_T_Q4_K = 12, ENG_T_Q5_K = 13,
	ENG_T_Q6_K = 14, ENG_T_Q8_K = 15,
	ENG_T_IQ2_XXS = 16, ENG_T_IQ2_XS = 17, ENG_T_IQ3_XXS = 18, ENG_T_IQ1_S = 19,
	ENG_T_IQ4_NL = 20, ENG_T_IQ3_S = 21, ENG_T_IQ2_S = 22, ENG_T_IQ4_XS = 23,
	ENG_T_I8 = 24, ENG_T_I16 = 25, ENG_T_I32 = 26, ENG_T_I64 = 27, ENG_T_F64 = 28,
	ENG_T_IQ1_M = 29, ENG_T_BF16 = 30, ENG_T_TQ1_0 = 34, ENG_T_TQ2_0 = 35, ENG_T_MXFP4 = 39,
	ENG_T_COUNT = 40
};

typedef struct eng_type_info {
	const char *name;      /* "q4_K", as llama.cpp prints it; NULL for unassigned numbers */
	int blck;              /* elements per block (1 for plain types) */
	size_t type_size;      /* bytes per block */
	int can_compute;       /* 1 when this engine can dequantize and dot it */
	int vec_dot_type;      /* the type activations are quantized to for eng_vec_dot */
} eng_type_info;

/* Info for a type number, or NULL when the number is unknown (out of range or unassigned).
 * Ownership: static table. */
const eng_type_info *eng_type_get(int type);
/* Bytes for a row of n elements (n must be a multiple of blck; returns 0 otherwise or when the
 * type is unknown). */
size_t eng_row_size(int type, int64_t n);
/* Bits per weight of the type (type_size * 8 / blck). */
double eng_type_bpw(int type);

/* fp16 / bf16 conversions, round-to-nearest-even like ggml. */
float eng_f16_to_f32(uint16_t h);
uint16_t eng_f32_to_f16(float f);
float eng_bf16_to_f32(uint16_t h);
uint16_t eng_f32_to_bf16(float f);

/* Dequantize n elements (a multiple of the block size) of `type` from src to dst.
 * Return 0, or -1 for a type that cannot be computed. */
int eng_dequant_row(int type, const void *src, float *dst, int64_t n);
int eng_dequant_row_ref(int type, const void *src, float *dst, int64_t n);

/* Reference quantizer: n floats into n/blck blocks of `type` (F32/F16/BF16 and every type with
 * can_compute, plus Q8_K and Q8_1 used for activations). Numerically follows ggml's reference
 * quantizers closely enough that the activation quantization matches llama.cpp. `imatrix` may
 * be NULL (importance weights per column, length n). Return 0 or -1 for an unsupported type;
 * for the IQ1/IQ2/IQ3 and TQ types also eng_iq_quant_ref's codes (ENG_EIMATRIX when a type
 * that needs importance weights gets none). */
int eng_quant_row_ref(int type, const float *src, void *dst, int64_t n, const float *imatrix);
int eng_quant_row(int type, const float *src, void *dst, int64_t n);   /* dispatch (activations) */

/* Dot product of one weight row of `type` with an activation row already quantized to
 * eng_type_get(type)->vec_dot_type (for F32 weights: F32 activations). n elements.
 * Writes the result to *out. Return 0 or -1 for an unsupported type. */
int eng_vec_dot(int type, int64_t n, const void *w_row, const void *act, float *out);
int eng_vec_dot_ref(int type, int64_t n, const void *w_row, const void *act, float *out);

/* The softmax's exponentials: sc[p] = eng_expf(sc[p] - mx) for 0 <= p < n, and returns their
 * sum in double, in a fixed order: 16 lanes (lane j adds the elements 16k + j of the whole
 * groups of 16, k rising), the lanes added pairwise (j + 8, then + 4, + 2, + 1), then the tail
 * elements in turn. eng_expf is this project's exp (definition in quant.c): within 2 ulp of
 * the exact value on [-87, 88], 0 below -87, NaN for NaN; every level gives the _ref's bits. */
double eng_exp_sum(float *sc, int64_t n, float mx);
double eng_exp_sum_ref(float *sc, int64_t n, float mx);
/* The softmax's other passes. eng_scale_max: x[p] = x[p] * s for p < n, and *mx = the largest
 * of them and *mx's value on entry (NaNs ignored, as a sequential `x > mx ? x : mx` does; a
 * +-0 tie may keep either zero, which exp(x - mx) does not tell apart). eng_scale_row:
 * x[p] = x[p] * s for p < n, or with h, h[p] = x[p] * s rounded to F16 (as eng_quant_row
 * rounds; x unchanged). Every level gives the _ref's bits. */
void eng_scale_max(float *x, int64_t n, float s, float *mx);
void eng_scale_max_ref(float *x, int64_t n, float s, float *mx);
void eng_scale_row(float *x, int64_t n, float s, uint16_t *h);
void eng_scale_row_ref(float *x, int64_t n, float s, uint16_t *h);
/* Weighted sums of rows: for g < ng and i < n, o[g os + i] = o[g os + i] + w[g ws + j] x[j xs + i]
 * for j = 0 .. nj - 1 in turn, each product and each sum rounded (no fused multiply-add): the
 * same bits at every level, however the kernel blocks g, j and i. Deepseek's weighted sum of the
 * cached latents for a token's heads (ng heads' weights over nj positions). */
void eng_axpy_rows(float *o, size_t os, int ng, const float *w, size_t ws, const float *x, size_t xs, int nj,
	int64_t n);
void eng_axpy_rows_ref(float *o, size_t os, int ng, const float *w, size_t ws, const float *x, size_t xs, int nj,
	int64_t n);
float eng_expf(float x);
/* SwiGLU's gate: g[i] = g[i] / (1 + eng_expf(-g[i])) * u[i] for i < n, each operation rounded
 * as written (the same bits at every level). */
void eng_silu_mul(float *g, const float *u, int64_t n);
void eng_silu_mul_ref(float *g, const float *u, int64_t n);
/* The gated delta rule (qwen3next; docs/engine.md "qwen3next") on rows r0 .. r0 + nr - 1 of one
 * value head's state S [D][D] (S[col * D + row]), for n tokens in order, all on this state.
 * Token t reads q, k and v at + t * in_stride (D floats each, as the convolution left them) and
 * sc + t * sc_stride = { beta, decay, qi, ki, score } (eng_delta_scalars), and writes
 * out + t * out_stride (rows r0 .. only). Per row r, with
 * s = 1 / sqrtf(D), each product and sum rounded as written (no fused multiply-add):
 *   vp = sum over col of S[col][r] k[col], op = sum of S[col][r] q[col] (col ascending, from 0)
 *   vn = v[r] beta - vp beta decay ki,      out[r] = op decay qi s + vn score
 *   S[col][r] = clamp(decay S[col][r] + vn (k[col] ki)) to +-1e6 (a NaN becomes -1e6).
 * Rows are independent, so any split of the rows gives the same bits, and every level gives the
 * _ref's. D <= 1024. Ownership: all borrowed. */
void eng_delta_rows(float *S, int D, int r0, int nr, int n, const float *q, const float *k, size_t in_stride,
	const float *v, float *out, size_t out_stride, const float *sc, size_t sc_stride);
void eng_delta_rows_ref(float *S, int D, int r0, int nr, int n, const float *q, const float *k, size_t in_stride,
	const float *v, float *out, size_t out_stride, const float *sc, size_t sc_stride);
/* The per-token numbers eng_delta_rows takes, for the G value heads that share one key head:
 * from q and k (D floats each) and each value head's raw write strength b[j] and decay log
 * g[j], sc + ENG_DELTA_SC j = { sigmoid(b[j]), expf(min(g[j], 50)), qi = 1 / sqrtf(q.q + 1e-12), ki
 * likewise of k, score = sum of (k[i] ki)(q[i] qi / sqrtf(D)) }, each sum in index order in
 * float from 0 (computed once for the G heads). */
#define ENG_DELTA_SC 5   /* floats per value head and token written by eng_delta_scalars */
void eng_delta_scalars(const float *q, const float *k, int D, const float *b, const float *g, int G, float *sc);

/* The F32 dot product in the summation order described in quant.c (llama.cpp's AVX-512 order),
 * and its final step: the pairwise sum of 16 lanes. The attention uses both. */
float eng_dot_f32_ordered(const float *x, const float *y, int64_t n);
float eng_sum16(const float l[16]);

/* ---- block layouts ---------------------------------------------------------------------------
 * Byte layouts of the GGUF block types (public format facts, as in ggml-common.h; described in
 * docs/quant-formats.md). All fields are little-endian; scales named d/m/dmin/s are fp16 unless
 * noted. Shared by the reference code and the SIMD kernels, which read fields at offsetof()
 * with unaligned loads. */
#define ENG_QK 32             /* elements per block: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q8_1 IQ4_NL */
#define ENG_QK_K 256          /* elements per super-block: K-quants, Q8_K, IQ4_XS */

/* Element j of a 32-block sits in the low nibble of qs[j % 16] for j < 16, the high one after. */
typedef struct { uint16_t d; uint8_t qs[ENG_QK / 2]; } eng_blk_q4_0;             /* x = d * (q - 8) */
typedef struct { uint16_t d, m; uint8_t qs[ENG_QK / 2]; } eng_blk_q4_1;          /* x = d * q + m */
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[ENG_QK / 2]; } eng_blk_q5_0; /* bit j of qh: q's bit 4 */
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[ENG_QK / 2]; } eng_blk_q5_1;
typedef struct { uint16_t d; int8_t qs[ENG_QK]; } eng_blk_q8_0;                  /* x = d * q */
typedef struct { uint16_t d, s; int8_t qs[ENG_QK]; } eng_blk_q8_1;               /* s = d * sum(q) */
/* 16 groups of 16; scales[g] = scale (low nibble) | min (high nibble); 2-bit quants, 4 per byte. */
typedef struct { uint8_t scales[ENG_QK_K / 16]; uint8_t qs[ENG_QK_K / 4]; uint16_t d, dmin; } eng_blk_q2_K;
/* 16 groups of 16; 6-bit signed scales (offset 32) packed in 12 bytes; 2 low bits + 1 high bit. */
typedef struct { uint8_t hmask[ENG_QK_K / 8]; uint8_t qs[ENG_QK_K / 4]; uint8_t scales[12]; uint16_t d; } eng_blk_q3_K;
/* 8 groups of 32; 6-bit scale and min per group packed in 12 bytes; x = d*sc*q - dmin*m. */
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[ENG_QK_K / 2]; } eng_blk_q4_K;
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[ENG_QK_K / 8]; uint8_t qs[ENG_QK_K / 2]; } eng_blk_q5_K;
/* 16 groups of 16 with int8 scales; 6-bit quants (offset 32) as 4 low + 2 high bits. */
typedef struct { uint8_t ql[ENG_QK_K / 2]; uint8_t qh[ENG_QK_K / 4]; int8_t scales[ENG_QK_K / 16]; uint16_t d; } eng_blk_q6_K;
/* Activations for the K-quant dots: f32 scale, bsums[g] = sum of the 16 quants of group g. */
typedef struct { float d; int8_t qs[ENG_QK_K]; int16_t bsums[ENG_QK_K / 16]; } eng_blk_q8_K;
/* 4-bit indices into the non-linear table eng_iq4_values. */
typedef struct { uint16_t d; uint8_t qs[ENG_QK / 2]; } eng_blk_iq4_nl;
/* 8 groups of 32 with 6-bit scales (offset 32): low 4 bits in scales_l, high 2 in scales_h. */
typedef struct { uint16_t d; uint16_t scales_h; uint8_t scales_l[ENG_QK_K / 64]; uint8_t qs[ENG_QK_K / 2]; } eng_blk_iq4_xs;

/* MXFP4 (OCP microscaling): an E8M0 exponent byte e, then 32 E2M1 codes as nibbles laid out as
 * in Q4_0. x = 2^(e-128) * eng_mxfp4_values[code]: the table holds the E2M1 values doubled so
 * that they are integers, and the scale is halved to match (ggml's convention). */
typedef struct { uint8_t e; uint8_t qs[ENG_QK / 2]; } eng_blk_mxfp4;

_Static_assert(sizeof(eng_blk_q4_0) == 18, "q4_0 block is 18 bytes");
_Static_assert(sizeof(eng_blk_q4_1) == 20, "q4_1 block is 20 bytes");
_Static_assert(sizeof(eng_blk_q5_0) == 22, "q5_0 block is 22 bytes");
_Static_assert(sizeof(eng_blk_q5_1) == 24, "q5_1 block is 24 bytes");
_Static_assert(sizeof(eng_blk_q8_0) == 34, "q8_0 block is 34 bytes");
_Static_assert(sizeof(eng_blk_q8_1) == 36, "q8_1 block is 36 bytes");
_Static_assert(sizeof(eng_blk_q2_K) == 84, "q2_K block is 84 bytes");
_Static_assert(sizeof(eng_blk_q3_K) == 110, "q3_K block is 110 bytes");
_Static_assert(sizeof(eng_blk_q4_K) == 144, "q4_K block is 144 bytes");
_Static_assert(sizeof(eng_blk_q5_K) == 176, "q5_K block is 176 bytes");
_Static_assert(sizeof(eng_blk_q6_K) == 210, "q6_K block is 210 bytes");
_Static_assert(sizeof(eng_blk_q8_K) == 292, "q8_K block is 292 bytes");
_Static_assert(sizeof(eng_blk_iq4_nl) == 18, "iq4_nl block is 18 bytes");
_Static_assert(sizeof(eng_blk_iq4_xs) == 136, "iq4_xs block is 136 bytes");
_Static_assert(sizeof(eng_blk_mxfp4) == 17, "mxfp4 block is 17 bytes");

/* ---- IQ1 / IQ2 / IQ3 and ternary types (quant_iq.c, quant_iq_x86.c, quant_iq_neon.c) ------------
 * Super-blocks of 256 elements in 8 groups of 32, dotted with Q8_K activations. The IQ types
 * store indices into fixed grids of 8 (IQ1, IQ2) or 4 (IQ3) element magnitudes plus sign bits;
 * the TQ types store ternary levels {-1, 0, 1}. Layouts: docs/quant-formats.md "IQ and ternary
 * types". Every field value decodes to a valid grid entry: an index has exactly as many bits as
 * its grid has entries, so a corrupt block can give wrong numbers but never an out-of-range read. */
/* 8 uint16 per group: bytes 0..3 four 8-bit indices into eng_iq2xxs_grid, bytes 4..7 four 7-bit
 * sign fields (bits 0..27) and a 4-bit group scale (bits 28..31). x = d*(0.5+s)/4 * grid * sign. */
typedef struct { uint16_t d; uint16_t qs[ENG_QK_K / 8]; } eng_blk_iq2_xxs;
/* 32 uint16: a 9-bit index into eng_iq2xs_grid and a 7-bit sign field each; two 4-bit scales
 * per group (one per 16 elements). */
typedef struct { uint16_t d; uint16_t qs[ENG_QK_K / 8]; uint8_t scales[ENG_QK_K / 32]; } eng_blk_iq2_xs;
/* 32 low index bytes, then 32 sign bytes (8 explicit signs each), qh: 2 high index bits per
 * 8 elements (10-bit indices into eng_iq2s_grid), two 4-bit scales per group. */
typedef struct { uint16_t d; uint8_t qs[ENG_QK_K / 4]; uint8_t qh[ENG_QK_K / 32]; uint8_t scales[ENG_QK_K / 32]; } eng_blk_iq2_s;
/* 64 8-bit indices into eng_iq3xxs_grid (4 elements each), then 8 uint32 (one per group) of four
 * 7-bit sign fields and a 4-bit scale. x = d*(0.5+s)/2 * grid * sign. */
typedef struct { uint16_t d; uint8_t qs[3 * ENG_QK_K / 8]; } eng_blk_iq3_xxs;
/* 64 low index bytes, qh: the 9th index bit of each of them, 32 sign bytes, and 4-bit scales for
 * the 8 groups. x = d*(1+2s) * grid * sign. */
typedef struct { uint16_t d; uint8_t qs[ENG_QK_K / 4]; uint8_t qh[ENG_QK_K / 32]; uint8_t signs[ENG_QK_K / 8]; uint8_t scales[ENG_QK_K / 64]; } eng_blk_iq3_s;
/* 32 low index bytes, and per group a uint16: 3 high bits of each of its 4 11-bit indices into
 * eng_iq1s_grid (bits 0..11), a 3-bit scale (12..14) and the sign of the shift (15).
 * x = d*(2s+1) * (grid +- 1/8). */
typedef struct { uint16_t d; uint8_t qs[ENG_QK_K / 8]; uint16_t qh[ENG_QK_K / 32]; } eng_blk_iq1_s;
/* No d field: the fp16 super-block scale is spread over the top nibbles of the 4 uint16 of
 * scales[], whose low 12 bits hold four 3-bit scales (one per 16 elements). qh: per 8 elements 3
 * high index bits and the shift's sign (bit 3 of each nibble). */
typedef struct { uint8_t qs[ENG_QK_K / 8]; uint8_t qh[ENG_QK_K / 16]; uint8_t scales[ENG_QK_K / 32]; } eng_blk_iq1_m;
/* Ternary, base 3: 48 bytes of 5 trits each (240 elements) and 4 bytes of 4 trits (16 more); a
 * byte b holds its trits as digits of b*3^k read off the top (level = digit - 1). x = d*level. */
typedef struct { uint8_t qs[48]; uint8_t qh[4]; uint16_t d; } eng_blk_tq1_0;
/* Ternary, 2 bits per element (level = bits - 1, the value 3 gives 2), packed as Q2_K's quants. */
typedef struct { uint8_t qs[ENG_QK_K / 4]; uint16_t d; } eng_blk_tq2_0;

_Static_assert(sizeof(eng_blk_iq2_xxs) == 66, "iq2_xxs block is 66 bytes");
_Static_assert(sizeof(eng_blk_iq2_xs) == 74, "iq2_xs block is 74 bytes");
_Static_assert(sizeof(eng_blk_iq2_s) == 82, "iq2_s block is 82 bytes");
_Static_assert(sizeof(eng_blk_iq3_xxs) == 98, "iq3_xxs block is 98 bytes");
_Static_assert(sizeof(eng_blk_iq3_s) == 110, "iq3_s block is 110 bytes");
_Static_assert(sizeof(eng_blk_iq1_s) == 50, "iq1_s block is 50 bytes");
_Static_assert(sizeof(eng_blk_iq1_m) == 56, "iq1_m block is 56 bytes");
_Static_assert(sizeof(eng_blk_tq1_0) == 54, "tq1_0 block is 54 bytes");
_Static_assert(sizeof(eng_blk_tq2_0) == 66, "tq2_0 block is 66 bytes");

/* The grids (GGUF format data, carried as tables: see docs/quant-formats.md for their source and
 * checksums). Entry k packs its 8 (uint64) or 4 (uint32) element magnitudes as bytes, element 0
 * in the low byte; IQ1's entries are int8 levels -1, 0, 1. */
extern const uint64_t eng_iq2xxs_grid[256];
extern const uint64_t eng_iq2xs_grid[512];
extern const uint64_t eng_iq2s_grid[1024];
extern const uint32_t eng_iq3xxs_grid[256];
extern const uint32_t eng_iq3s_grid[512];
extern const uint64_t eng_iq1s_grid[2048];
/* The 7-bit sign fields of IQ2_XXS, IQ2_XS and IQ3_XXS complete to 8 signs with even parity:
 * bit 7 is the parity of bits 0..6. eng_iq_signs64[f] holds 0xff in byte j when element j of
 * field f is negative. */
extern const uint64_t eng_iq_signs64[128];
static inline unsigned eng_iq_sign_bits(unsigned f)   /* the 8 sign bits of field f's low 7 bits */
{
	f &= 0x7f;
	unsigned p = f ^ f >> 4;
	p ^= p >> 2;
	p ^= p >> 1;
	return (f & 0x7f) | (p & 1) << 7;
}
/* IQ1_M's fp16 super-block scale, gathered from the top nibbles of its 4 scale words. */
static inline uint16_t eng_iq1m_d(const uint8_t *scales)
{
	return (uint16_t)(scales[1] >> 4 | (scales[3] & 0xf0) | (scales[5] >> 4) << 8 | (scales[7] & 0xf0) << 8);
}

/* Dequantization and scalar dots (the _ref) of the types above, nb super-blocks; called from
 * quant.c's dispatch switches. Return 0, or -1 when `type` is not one of them. */
int eng_iq_dequant_ref(int type, const void *src, float *dst, int64_t nb);
int eng_iq_dot_ref(int type, const void *w, const void *act, int64_t nb, float *out);

/* quant.c's weighted fit of non-negative x[0..n) to levels 0..nmax (ggml's make_qp_quants):
 * writes the levels into L and returns the scale (0 for an all-zero x or no weight).
 * Ownership: writes L[0..n) only. */
float eng_fit_positive(int n, int nmax, const float *x, uint8_t *L, const float *qw);

/* ENG_EIMATRIX (engine.h) is returned by eng_iq_quant_ref (and so eng_quant_row_ref) when a
 * type that needs importance weights gets none. */

/* 1 when `type` refuses to quantise without importance weights (IQ2_XXS, IQ2_XS, IQ1_S, IQ1_M:
 * llama-quantize refuses them without an imatrix), else 0. Ownership: none (a pure function). */
int eng_iq_needs_imatrix(int type);

/* Quantises n floats (a multiple of 256) into n/256 blocks of an IQ1/IQ2/IQ3 or TQ type, as
 * llama.cpp's ggml quantize_iq* / quantize_tq* with the importance weights `imatrix` (length n,
 * one per column; NULL: none). The types with eng_iq_needs_imatrix refuse NULL. Thread-safe: the
 * grids' neighbour tables are built once on first use and read-only afterwards. Return 0, -1 when
 * `type` is not one of these types, ENG_EINVAL for a bad n, ENG_EIMATRIX, or ENG_ENOMEM when the
 * neighbour tables could not be built. Ownership: writes dst only; keeps nothing. */
int eng_iq_quant_ref(int type, const float *src, void *dst, int64_t n, const float *imatrix);

/* The IQ4_NL / IQ4_XS level table (GGUF format fact), ascending. */
extern const int8_t eng_iq4_values[16];
/* The E2M1 values doubled (GGUF format fact): codes 0..7 are 0 1 2 3 4 6 8 12, codes 8..15 the
 * same negated (code 8 is -0). */
extern const int8_t eng_mxfp4_values[16];
/* An MXFP4 block's scale 2^(e-128) (the E8M0 value halved), exact for every e (e = 0 and 1 give
 * the subnormals 2^-128 and 2^-127). */
static inline float eng_e8m0_half(uint8_t e)
{
	/* a normal float for e >= 2, else the subnormal with bit 21 (e = 0) or 22 (e = 1) set */
	const uint32_t u = e >= 2 ? (uint32_t)(e - 1) << 23 : 0x00200000u << e;
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

#if defined(__x86_64__) || defined(__i386__)
/* quant_mxfp4_x86.c: MXFP4 rows times Q8_0 activations (eng_dot_fn), for the avx2 and avx512
 * kernel tables. */
float eng_dot_mxfp4_avx2(int64_t n, const void *w, const void *act);
float eng_dot_mxfp4_avx512(int64_t n, const void *w, const void *act);
#endif

/* The activation quantizer the engine uses for `type` (Q8_0: inverse scale 127/amax and
 * round-half-even, as llama.cpp's x86 builds; every other type: eng_quant_row_ref without an
 * imatrix). eng_quant_row is its dispatching name and gives the same bytes at every level.
 * Return 0 or -1 for an unsupported type or a bad n. */
int eng_quant_act_row_ref(int type, const float *src, void *dst, int64_t n);

/* ---- CPU kernels (issue 4) -------------------------------------------------------------------
 * eng_vec_dot, eng_vec_dot_rows and eng_quant_row run the kernels of one CPU level, chosen once
 * (thread-safe) as the best this CPU supports: "avx512" (AVX-512 F/BW/VL/DQ + VNNI), "avx2"
 * (AVX2 + FMA + F16C), "neon" (aarch64), or "scalar" (the _ref functions). TB_CPU=scalar|avx2|
 * avx512|neon in the environment caps the level (it never raises it past what the CPU has).
 *
 * Numerics: the activation quantizers give the _ref's bytes at every level. The F32 and F16
 * dots give the _ref's bits at every level (the _ref's summation order is that of a 16-lane
 * FMA loop, which each level reproduces). The quantized dots compute the same exact integer
 * block sums but add the scaled terms in another order than the _ref (ggml's generic one), so
 * they differ from it in the last bits (tests/engine/test_kernels.c bounds it at 1e-5 of the
 * sum of |terms|). Both x86 levels and NEON agree with each other bit for bit: the super-block
 * types in order B, the 32-element types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL) and the IQ1/IQ2/
 * IQ3 and TQ types in the _ref's own order, so bit for bit with the scalar level too
 * (docs/quant-formats.md, "Numerics"; MXFP4: the _ref's bits on NEON, within the tolerance on
 * x86). BF16 adds exact
 * products in double in each level's own order. The
 * AVX2 kernels of the signed types (Q4_0, Q5_0, Q8_0, IQ4_NL, IQ4_XS) assume activation quants
 * in [-127, 127], which the activation quantizers produce for every finite input; the AVX-512
 * and NEON kernels take any int8. */

/* The 32-element types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, MXFP4) as the kernels read them:
 * the bytes of a weight block; whether the activations are Q8_1 (Q4_1, Q5_1) or Q8_0; the bytes
 * of an activation block and the offset of its quants. Constants once `type` is. */
static inline size_t eng_b32_size(const int type)
{
	switch (type) {
	case ENG_T_Q4_0: return sizeof(eng_blk_q4_0);
	case ENG_T_Q4_1: return sizeof(eng_blk_q4_1);
	case ENG_T_Q5_0: return sizeof(eng_blk_q5_0);
	case ENG_T_Q5_1: return sizeof(eng_blk_q5_1);
	case ENG_T_Q8_0: return sizeof(eng_blk_q8_0);
	case ENG_T_IQ4_NL: return sizeof(eng_blk_iq4_nl);
	default: return sizeof(eng_blk_mxfp4);
	}
}

static inline int eng_b32_q81(const int type)
{
	return type == ENG_T_Q4_1 || type == ENG_T_Q5_1;
}

static inline size_t eng_b32_act_size(const int type)
{
	return eng_b32_q81(type) ? sizeof(eng_blk_q8_1) : sizeof(eng_blk_q8_0);
}

static inline size_t eng_b32_act_qs(const int type)
{
	return eng_b32_q81(type) ? offsetof(eng_blk_q8_1, qs) : offsetof(eng_blk_q8_0, qs);
}

/* The _ref's float step of one block of a 32-element type (dot_* in quant.c; docs/quant-formats.md,
 * "Numerics"), the order of these types at every level: from the block's exact integer sum isum
 * (as a float), the weights' d (and Q4_1 / Q5_1 m) and the activation's d (and Q8_1 s), each
 * product and sum rounded, in this association (Q8_0, Q5_0, IQ4_NL, MXFP4: isum (d_w d_a); the
 * IQ4_NL and MXFP4 _refs write d_a d_w, the same bits). The build's -std=c11 keeps the compiler
 * from fusing it; a vector kernel does the same operations per lane. */
static inline float eng_b32_step(const int type, float acc, float isum, float dw, float mw, float da, float sa)
{
	float p;

	if (type == ENG_T_Q4_0)
		p = isum * dw * da;
	else if (type == ENG_T_Q4_1 || type == ENG_T_Q5_1)
		p = dw * da * isum + mw * sa;
	else
		p = isum * (dw * da);
	return acc + p;
}

/* out[a * out_stride + r] = dot(weight row r, activation row a) for r < n_rows, a < n_act.
 * Weight row r starts at (const char *)w + r * w_stride and activation row a at
 * (const char *)act + a * act_stride; both are rows of n elements as for eng_vec_dot (weights of
 * `type`, activations of its vec_dot_type, aligned as the _ref needs: 2 bytes, 4 for F32 and
 * Q8_K; the SIMD kernels themselves read any alignment). With n_act == 1 it is a matrix times
 * a vector (decode); with several it works in register tiles of weight rows x activations, so a
 * caller that passes a few dozen rows (they should fit in L2) and a batch of tokens reads each
 * weight row from cache once per 4 tokens (prefill). Every (r, a) result equals
 * eng_vec_dot(type, n, row r, act a) bit for bit. Does not allocate; safe to call from several
 * threads at once. Return 0, or -1 for a type that cannot be computed or a bad n (nothing
 * written). Ownership: all pointers are borrowed for the call. */
int eng_vec_dot_rows(int type, int64_t n, const void *w, size_t w_stride, int n_rows,
	const void *act, size_t act_stride, int n_act, float *out, size_t out_stride);

/* ---- keys in blocks of 16 positions (the attention's K cache, issue 29) ----------------------
 * Layout "K16": the keys of consecutive positions, n elements each (F16 or F32), in blocks of 16
 * positions; block b holds element e of position 16 b + j at index (b * n + e) * 16 + j, so one
 * element of 16 positions is one vector. eng_k16_scores: out[a * os + 16 * b + j] = the dot of
 * the key of position 16 b + j (blocks 0 .. n_blocks - 1 from k) with query row a (n floats at
 * q + a * q_stride floats; for F16 keys, values that are F16 values), with the bits of
 * eng_vec_dot(type, n, that key as a row, the query in `type`): the score product of a 16-lane
 * level without one horizontal sum per (position, query). Return 0, or -1 for a type other than
 * F16 / F32 or a bad n (nothing written). Does not allocate. Ownership: all borrowed. */
int eng_k16_scores(int type, int64_t n, const void *k, int64_t n_blocks, const float *q, size_t q_stride,
	int n_q, float *out, size_t os);

/* ---- repacked rows: the R16 layout, version 1 (issue 29) -------------------------------------
 * An in-memory layout of a weight matrix made at load (the file is never changed; docs/engine.md
 * "Repacked rows"). Rows 0 .. R-1, R = n_rows rounded down to a multiple of 16, form groups of 16
 * consecutive rows; the rows from R on keep the file's layout at their usual offsets. A group
 * takes the 16 rows' bytes (16 * row size, at the offset of its first row) and holds super-block
 * i (elements 256i ..) of its 16 rows at bytes 16 * bs * i .. (bs the bytes of 256 elements), as:
 *   - the block header's fields, each as 16 consecutive copies (row 0's first): Q4_K d, dmin,
 *     scales[0..3], scales[4..7], scales[8..11]; IQ4_XS d, scales_h, scales_l; Q6_K d,
 *     scales[0..3], [4..7], [8..11], [12..15]; Q2_K d, dmin, scales[0..3], [4..7], [8..11],
 *     [12..15]; Q3_K d, scales[0..3], [4..7], [8..11]; Q8_0, whose "super-block" is 8 blocks
 *     of 32 (272 bytes a row), the d of each block (so field f sits at 16 * its offset in the
 *     concatenated header: H = 16, 8, 18, 20, 14, 16 bytes);
 *   - Q4_K, IQ4_XS, Q6_K: at 16 * H, 32 vectors of 64 bytes: byte 64k + 4r + b holds row r's
 *     levels of elements 4k + b (low nibble; for Q6_K its low 4 bits) and 128 + 4k + b (high
 *     nibble);
 *   - Q6_K only, then 16 vectors of 64 bytes: byte 64k + 4r + b holds the top 2 bits of row r's
 *     levels of elements 64s + 4k + b at bits 2s, 2s + 1 (s = 0 .. 3);
 *   - Q2_K, Q3_K: at 16 * H, 16 vectors of 64 bytes: byte 64k + 4r + b holds the low 2 bits of
 *     row r's levels of elements 64s + 4k + b at bits 2s, 2s + 1 (s = 0 .. 3); Q3_K then 8
 *     vectors: byte 64h + 4r + b holds at bit 4i + s the top bit (hmask) of element
 *     64s + 4(2h + i) + b (i = 0, 1);
 *   - Q8_0: at 16 * H, 64 vectors of 64 bytes: byte 64k + 4r + b holds row r's int8 weight of
 *     element 4k + b.
 * Levels are the format's unsigned values (Q4_K 0..15, IQ4_XS table indices, Q6_K 0..63, Q2_K
 * 0..3, Q3_K 0..7 with the hmask bit as 4; Q8_0's signed bytes as they are). The bytes are a permutation of the rows' bytes: the
 * size is unchanged. */
#define ENG_RP_ROWS 16
#define ENG_RP_VERSION 1
#define ENG_RP_KMAX 8192       /* longest row repacked (elements) */
/* Bytes of a group of 16 rows of ENG_RP_KMAX elements of the largest R16 type (Q8_0). */
#define ENG_RP_GROUP_MAX (ENG_RP_ROWS * (ENG_RP_KMAX / 32) * sizeof(eng_blk_q8_0))
#define ENG_RP_MAX_ACT 7       /* more activations: the batch tiles (callers pass fewer rows per call) */

/* 1 when rows of n elements of `type` have an R16 layout (Q2_K .. Q4_K, IQ4_XS, Q6_K, Q8_0; n a
 * multiple of 256, at most ENG_RP_KMAX), else 0. eng_rp_native: 1 when, besides, the kernel level in use has
 * a repacked kernel for it (loading repacks only then). Pure functions. */
int eng_rp_supported(int type, int64_t n);
int eng_rp_native(int type, int64_t n);
/* 16 rows of the file's layout (src, consecutive, each eng_row_size bytes) -> one R16 group at
 * dst (the same size; dst must not overlap src). */
void eng_rp_pack(int type, int64_t n, const void *src, void *dst);
/* Rows r0 .. r0 + nr - 1 (r0 + nr <= 16) of the R16 group grp -> the file's layout at dst
 * (consecutive rows). */
void eng_rp_unpack(int type, int64_t n, const void *grp, int r0, int nr, void *dst);
/* eng_vec_dot_rows for rows r0 .. r0 + n_rows - 1 of a repacked matrix of n_total rows starting
 * at w (R16 layout as above): out[a * out_stride + r - r0]. Every result equals eng_vec_dot on
 * the file's row bit for bit, at every level. Return 0, or -1 for a type / n without an R16
 * layout or rows out of range (nothing written). Ownership: pointers borrowed for the call. */
int eng_vec_dot_rows_rp(int type, int64_t n, const void *w, int64_t n_total, int64_t r0, int n_rows,
	const void *act, size_t act_stride, int n_act, float *out, size_t out_stride);

/* Switches every thread to the named level ("scalar", "avx2", "avx512", "neon"), or back to the
 * automatic choice with NULL. For tests and benchmarks: a switch while kernels are running on
 * other threads leaves them on the old level until their current call returns. Return 0, or -1
 * when the name is unknown or this CPU (or build) lacks the level; the level is then unchanged. */
int eng_kernels_force(const char *level);

/* One kernel level: a table of optional kernels by type number (NULL: the level below it, in
 * the end the _ref). Filled by the architecture files; every entry is tested against the _ref.
 * dot: one weight row times one activation row (n elements). rows: as eng_vec_dot_rows, with
 * n_rows, n_act >= 1 and n a valid length. act: activation quantizer for nb blocks of `type`,
 * bytes identical to eng_quant_act_row_ref. */
typedef float (*eng_dot_fn)(int64_t n, const void *w, const void *act);
typedef void (*eng_rows_fn)(int64_t n, const void *w, size_t w_stride, int n_rows,
	const void *act, size_t act_stride, int n_act, float *out, size_t out_stride);
typedef void (*eng_act_fn)(const float *src, void *dst, int64_t nb);
typedef double (*eng_expsum_fn)(float *sc, int64_t n, float mx);
typedef void (*eng_silu_fn)(float *g, const float *u, int64_t n);
typedef void (*eng_scalemax_fn)(float *x, int64_t n, float s, float *mx);
typedef void (*eng_scalerow_fn)(float *x, int64_t n, float s, uint16_t *h);
typedef void (*eng_axpy_fn)(float *o, size_t os, int ng, const float *w, size_t ws, const float *x, size_t xs,
	int nj, int64_t n);
typedef void (*eng_deq_fn)(const void *src, float *dst, int64_t n);
typedef void (*eng_delta_fn)(float *S, int D, int r0, int nr, int n, const float *q, const float *k,
	size_t in_stride, const float *v, float *out, size_t out_stride, const float *sc, size_t sc_stride);
/* eng_k16_scores for one key type, n a multiple of 16 (NULL or -1 returned: the generic path). */
typedef int (*eng_k16_fn)(int64_t n, const void *k, int64_t n_blocks, const float *q, size_t q_stride,
	int n_q, float *out, size_t os);

/* Repacked groups (eng_vec_dot_rows_rp): n_groups consecutive 16-row groups of the R16 layout
 * starting at w (each 16 * row bytes), times n_act >= 1 activations; out[a * os + 16 * g + r]
 * for row r of group g. Same bits as the level's rows kernel on the original rows. */
typedef void (*eng_rp_fn)(int64_t n, const void *w, int n_groups, const void *act, size_t act_stride,
	int n_act, float *out, size_t out_stride);

typedef struct eng_kernels {
	const char *level;
	eng_dot_fn dot[ENG_T_COUNT];
	eng_rows_fn rows[ENG_T_COUNT];
	eng_rp_fn rp[ENG_T_COUNT];   /* repacked (R16) decode kernels; NULL: unpack, then rows */
	eng_act_fn act[ENG_T_COUNT];
	eng_expsum_fn expsum;   /* eng_exp_sum; NULL: eng_exp_sum_ref */
	eng_silu_fn silu_mul;   /* eng_silu_mul; NULL: eng_silu_mul_ref */
	eng_scalemax_fn scale_max;   /* eng_scale_max; NULL: eng_scale_max_ref */
	eng_scalerow_fn scale_row;   /* eng_scale_row; NULL: eng_scale_row_ref */
	eng_axpy_fn axpy_rows;       /* eng_axpy_rows; NULL: eng_axpy_rows_ref */
	eng_delta_fn delta_rows;     /* eng_delta_rows; NULL: eng_delta_rows_ref */
	eng_deq_fn deq_f16;          /* eng_dequant_row for F16 (exact); NULL: the _ref */
	eng_k16_fn k16[2];      /* eng_k16_scores for F16 [0] and F32 [1] keys; NULL: generic */
} eng_kernels;

#if defined(__x86_64__) || defined(__i386__)
/* quant_x86.c: 2 when the CPU (and OS) has what eng_kernels_avx512 needs, 1 for avx2, else 0. */
int eng_x86_level(void);
/* Set the slots this file implements; the others are left as they are. */
void eng_kernels_avx2(eng_kernels *k);
void eng_kernels_avx512(eng_kernels *k);
#endif
#if defined(__x86_64__) || defined(__i386__)
/* quant_iq_x86.c: dots and row tiles of the IQ1/IQ2/IQ3 and ternary types for the avx2 and
 * avx512 levels. Each sets the slots of the types it has kernels for. */
void eng_kernels_iq_avx2(eng_kernels *k);
void eng_kernels_iq_avx512(eng_kernels *k);
/* quant_iq_dec_x86.c: the one-token row kernels of the IQ grid types on AVX-512 CPUs with VBMI.
 * eng_iq_dec_init builds their tables and notes whether the CPU has VBMI; call it once, before
 * any eng_iq_dec_rows (eng_kernels_iq_avx512 does). eng_iq_dec_rows: as eng_vec_dot_rows (each
 * activation on its own, with the _ref's bits); returns -1 and writes nothing when it declines
 * (no VBMI, or a type without a kernel here). Does not allocate. Ownership: all borrowed. */
void eng_iq_dec_init(void);
/* The gathering types (IQ2_XS, IQ2_S, IQ1_S, IQ1_M) read their grid entries with 8 loads (on=1)
 * or one 512-bit gather (0); eng_iq_dec_init picks loads on AMD CPUs. Both give the same bits.
 * For tests: set it while no kernel runs; returns the previous setting. */
int eng_iq_dec_loads(int on);
int eng_iq_dec_rows(int type, int64_t n, const void *w, size_t w_stride, int n_rows, const void *act,
	size_t act_stride, int n_act, float *out, size_t out_stride);
#endif
#if defined(__aarch64__)
void eng_kernels_neon(eng_kernels *k);   /* quant_neon.c */
/* quant_iq_neon.c: super-block b of an IQ1/IQ2/IQ3 grid type or TQ1_0 as quant_neon.c's row tiles
 * read it: lv[e] the integer level of element e (IQ2, IQ3: grid value times sign; IQ1: 8 q + shift,
 * q in -1..1 and shift +-1, so that the tiles' sum is 8 sumi + sumi1; TQ1_0: -1..1), sc[p] the
 * factor 2s + 1 of elements 16p .. 16p + 15 (TQ1_0: 1). Returns the super-block's d as a float.
 * Reads b at any alignment. Ownership: writes lv and sc only. */
float eng_iq_unpack_neon(int type, const uint8_t *b, int8_t lv[ENG_QK_K], int32_t sc[16]);
#endif

/* ---- file quantization type rule (engine/quantize.c) ---- */

/* What llama.cpp's per-tensor type choice depends on, read from a model's metadata. */
typedef struct eng_qrule {
	int ftype;         /* llama_ftype number of the target ("Q4_K_M" = 15), see eng_ftype_from_name */
	int n_layer;       /* {arch}.block_count */
	int n_attn_v;      /* number of attn_v tensors (llama.cpp's n_attention_wv); usually n_layer */
	int n_gqa;         /* n_head / n_head_kv of layer 0; 0 when unknown */
	int n_expert;      /* {arch}.expert_count, 0 when absent */
	int is_70b;        /* llama.cpp would size this model as "70B" (80 layers with GQA) */
	int is_falcon;     /* general.architecture is "falcon" */
	int has_output;    /* the file has output.weight (else token_embd is also the output) */
	int has_imatrix;   /* quantizing with an importance matrix (changes a few choices) */
	int i_ffn_down;    /* with experts (n_expert > 1): the ffn_down* tensors before this one in
	                    * file order (llama.cpp's running count, used by the IQ1/IQ2 types) */
} eng_qrule;

/* 1 when llama-quantize would quantize this tensor at all (2-D or more weights, not norms, MoE
 * gates, positional embeddings and the other small tensors it leaves alone). */
int eng_qrule_quantizable(const char *name, int n_dims);
/* The type a quantizable tensor gets for r->ftype (llama.cpp's llama_tensor_get_type, without an
 * imatrix): the ftype's base type, bumped for output/token_embd, attn_v, attn_k, ffn_down,
 * attn_output and attn_qkv on the layers llama.cpp gives more bits, then a fallback when the
 * row length ne0 is not a multiple of the type's block (Q2_K/Q3_K -> IQ4_NL, Q4_K -> Q5_0,
 * Q5_K -> Q5_1, Q6_K -> Q8_0, else F16). *fallback (may be NULL) is set when the row length
 * forced a change. `il` is the tensor's layer (blk.N.), -1 outside blocks. */
int eng_qrule_type(const eng_qrule *r, const char *name, int il, int64_t ne0, int *fallback);

#endif
