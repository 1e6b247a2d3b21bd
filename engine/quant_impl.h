/* engine/quant_impl.h — tensor element types: block layouts, dequantization, reference
 * quantizers and dot products. Block layouts and numbering follow the public GGUF/ggml format
 * (facts); the code is this project's own. Every kernel has a scalar `_ref`; the dispatching
 * names (without `_ref`) may later pick SIMD versions (issue 4). Internal to engine/. */
#ifndef ENG_QUANT_IMPL_H
#define ENG_QUANT_IMPL_H

#include <stddef.h>
#include <stdint.h>

/* GGML type numbers as stored in GGUF tensor infos. */
enum eng_type {
	ENG_T_F32 = 0, ENG_T_F16 = 1, ENG_T_Q4_0 = 2, ENG_T_Q4_1 = 3,
	ENG_T_Q5_0 = 6, ENG_T_Q5_1 = 7, ENG_T_Q8_0 = 8, ENG_T_Q8_1 = 9,
	ENG_T_Q2_K = 10, ENG_T_Q3_K = 11, ENG_T_Q4_K = 12, ENG_T_Q5_K = 13,
	ENG_T_Q6_K = 14, ENG_T_Q8_K = 15,
	ENG_T_IQ2_XXS = 16, ENG_T_IQ2_XS = 17, ENG_T_IQ3_XXS = 18, ENG_T_IQ1_S = 19,
	ENG_T_IQ4_NL = 20, ENG_T_IQ3_S = 21, ENG_T_IQ2_S = 22, ENG_T_IQ4_XS = 23,
	ENG_T_I8 = 24, ENG_T_I16 = 25, ENG_T_I32 = 26, ENG_T_I64 = 27, ENG_T_F64 = 28,
	ENG_T_IQ1_M = 29, ENG_T_BF16 = 30,
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
 * be NULL (importance weights per column, length n). Return 0 or -1 for an unsupported type. */
int eng_quant_row_ref(int type, const float *src, void *dst, int64_t n, const float *imatrix);
int eng_quant_row(int type, const float *src, void *dst, int64_t n);   /* dispatch (activations) */

/* Dot product of one weight row of `type` with an activation row already quantized to
 * eng_type_get(type)->vec_dot_type (for F32 weights: F32 activations). n elements.
 * Writes the result to *out. Return 0 or -1 for an unsupported type. */
int eng_vec_dot(int type, int64_t n, const void *w_row, const void *act, float *out);
int eng_vec_dot_ref(int type, int64_t n, const void *w_row, const void *act, float *out);

/* The F32 dot product in the summation order described in quant.c (llama.cpp's AVX-512 order),
 * and its final step: the pairwise sum of 16 lanes. The attention uses both. */
float eng_dot_f32_ordered(const float *x, const float *y, int64_t n);
float eng_sum16(const float l[16]);

#endif
