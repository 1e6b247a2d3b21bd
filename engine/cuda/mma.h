/* engine/cuda/mma.h — the CUDA backend's prefill products: tensor-core (wmma, F32 accumulate)
 * matrix products of F16 or BF16 weight tiles (dequantized by cu_dequant or the float path)
 * with activations rounded to the same element type, and the conversion of F32 activations to
 * those rows. Internal to engine/cuda; all pointers are device memory. */
#ifndef TB_ENGINE_CUDA_MMA_H
#define TB_ENGINE_CUDA_MMA_H

#include <cuda_runtime_api.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types of the operands. */
enum { CU_EL_F16 = 0, CU_EL_BF16 = 1 };

/* Columns of an operand row: ncols rounded up to the K step of the products (32). */
int64_t cu_mma_kpad(int64_t ncols);

/* X ([n][ncols] F32) into dst ([n][ldo] of `el`, ldo = cu_mma_kpad(ncols)), columns past ncols
 * zero; with norm_w, each row RMS-normalised (sum of squares in double, as the CPU) and
 * multiplied by norm_w first. */
void cu_to_el(int el, const float *X, const float *norm_w, float eps, int n, int64_t ncols, void *dst, int64_t ldo,
	cudaStream_t st);

/* C[t][r] = A[r] . B[t] (+ bias[r]) for r < M, t < N; add: C += instead of =. A: M rows of `el`,
 * lda apart; B: N rows, ldb apart; both K columns (K, lda and ldb multiples of 32; A and B
 * 16-byte aligned); C: F32, row t at C + t * ldc. Products of F16/BF16 pairs summed in F32 on the
 * tensor cores, in tiles of 128 rows x bn tokens (64 or 128; 0: chosen by the shape). */
void cu_gemm(int el, const void *A, int64_t lda, const void *B, int64_t ldb, int64_t M, int64_t N, int64_t K,
	float *C, int64_t ldc, const float *bias, int add, int bn, cudaStream_t st);

/* Outputs of one product whose A rows are the rows of up to 3 weights one after another (Q, K
 * and V): rows [0, rows[0]) go to C[0] (row t of the tokens at C[0] + t * ldc[0], plus
 * bias[0], may be NULL), the next rows[1] to C[1], and so on. */
typedef struct cu_gemm_out {
	int nseg;
	int64_t rows[3];
	float *C[3];
	int64_t ldc[3];
	const float *bias[3];
} cu_gemm_out;

/* cu_gemm over the stacked rows of out's segments (M = the sum of their rows) in one launch. */
void cu_gemm_seg(int el, const void *A, int64_t lda, const void *B, int64_t ldb, int64_t N, int64_t K,
	cu_gemm_out out, int add, int bn, cudaStream_t st);

#ifdef __cplusplus
}
#endif

#endif
