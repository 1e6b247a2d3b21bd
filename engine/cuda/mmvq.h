/* engine/cuda/mmvq.h — the CUDA backend's 8-bit dot-product matrix-vector kernels: weights of
 * Q8_0, IQ4_NL, IQ4_XS, Q2_K, Q4_K and Q6_K repacked at upload into a 16-byte-aligned quant
 * region and a scale region, activations rounded once per product into 8-bit blocks, and one
 * or four warps per output row reading the quants in 16-byte loads and multiplying with __dp4a.
 * Internal to engine/cuda (called by cuda_backend.cu); all pointers are device memory. */
#ifndef TB_ENGINE_CUDA_MMVQ_H
#define TB_ENGINE_CUDA_MMVQ_H

#include <cuda_runtime_api.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when `type` (GGUF type number) has a packed layout and a dp4a kernel. */
int cu_mmvq_type(int type);

/* Bytes of the packed form of a [ne1][ne0] tensor of `type` (quant region, then scale region). */
size_t cu_packed_bytes(int type, int64_t ne0, int64_t ne1);

/* Repacks the GGUF blocks at `raw` (device, ne1 rows of ne0) into `dst` (cu_packed_bytes). */
cudaError_t cu_pack(int type, const unsigned char *raw, int64_t ne0, int64_t ne1, unsigned char *dst,
	cudaStream_t st);

/* The activation rounding a type's kernel reads: CU_ACT_Q8_0 (blocks of 32, F16 scale) or
 * CU_ACT_Q8_K (blocks of 256, F32 scale), as the CPU path rounds activations for that type. */
enum { CU_ACT_Q8_0 = 0, CU_ACT_Q8_K = 1 };
int cu_mmvq_act(int type);

/* Rounded activations of up to n_max tokens of up to ncols_max columns: per token t of a product
 * with ncols columns, quants q[t * ncols ..], scales d[t * ncols / 32 ..] (one per 32 values,
 * repeated for Q8_K blocks) and sums s[t * ncols / 16 ..] of each 16 quants. */
typedef struct cu_qact {
	signed char *q;
	float *d;
	int *s;
} cu_qact;

/* Rounds X[t] ([n][ncols]) as `kind` into a; with norm_w, X[t] is first RMS-normalised and
 * multiplied by norm_w (as the CPU's rmsnorm: sum of squares in double). pdl: launched as a
 * programmatic dependent launch (see cu_mv_opts). */
void cu_quant_act(int kind, const float *X, const float *norm_w, float eps, int n, int64_t ncols, cu_qact a,
	int pdl, cudaStream_t st);

/* How the products are laid out and launched. warps: warps per output row, 1 (a block of 4
 * warps takes 4 rows; each lane several items in flight) or 4 (one row per block); a layout
 * gives a token the same bits alone as in a batch, two layouts differ by rounding. pdl: launch
 * with the programmatic stream-serialization attribute (sm_90 on; the kernel issues its first
 * weight loads, then waits for the kernel before it). */
typedef struct cu_mv_opts {
	int warps;
	int pdl;
} cu_mv_opts;

/* One output of a product launch: packed weights of nrows rows, Y ([n][nrows]), optional bias. */
typedef struct cu_mv_seg {
	const unsigned char *w;
	int64_t nrows;
	float *y;
	const float *bias;
} cu_mv_seg;

/* Y_s[t][r] = W_s[r] . x[t] (+ bias_s[r]) for every segment s (1..3, all of `type`, ncols
 * columns) and token t < n; add: Y += instead of Y =. With w2 (one segment only, same type and
 * shape): Y[t][r] = silu(W[r] . x[t]) * (W2[r] . x[t]) (SwiGLU). Each token's result is
 * computed in the same order whatever n is (batch-invariant). */
void cu_mmvq(int type, const cu_mv_seg *segs, int nseg, const unsigned char *w2, int64_t ncols, cu_qact a,
	int n, int add, cu_mv_opts o, cudaStream_t st);

/* The same decoding and products run on the host, for tests without a device: y[t][r] = W[r] .
 * x[t] for n tokens, W in GGUF blocks (host memory), x rounded as cu_quant_act rounds it
 * (quants aq, scales ad and 16-sums as in host memory, cu_qact's layout). 0, or -1 for a type
 * without a packed kernel. */
int cu_mmvq_host(int type, const void *w, int64_t ne0, int64_t ne1, const signed char *aq, const float *ad,
	const int *as, int n, float *y);

/* For prefill: rows r0 .. r0+nr-1 of a packed tensor (rows x ncols) dequantized into F16 rows of
 * dst (device, __half, ldo elements apart; a multiple of 8): each weight D * (sc * q) - DM * mn
 * as the 8-bit kernels read it, rounded once to F16. */
void cu_dequant(int type, const unsigned char *w, int64_t rows, int64_t ncols, int64_t r0, int64_t nr, void *dst,
	int64_t ldo, cudaStream_t st);

/* The same decoding on the host for tests: y ([ne1][ne0] floats, before the F16 rounding) from
 * the GGUF blocks w. 0, or -1 for a type without a packed layout. */
int cu_dequant_host(int type, const void *w, int64_t ne0, int64_t ne1, float *y);

#ifdef __cplusplus
}
#endif

#endif
