// engine/cuda/mma.cu — tensor-core products for prefill (see mma.h).
//
// One block of 4 warps (2 x 2) computes a 128 x BN tile of C (BN 128, or 64 when fewer tiles
// would not fill the GPU) over K in steps of 32: the A and B tiles go from global to shared
// memory with 16-byte asynchronous copies (cp.async) in a four-stage ring, three steps ahead,
// and each warp multiplies its 64 x BN/2 part with 16x16x16 wmma fragments (4 x BN/32 of them,
// so each fragment loaded feeds 2-4 products), accumulating in F32. Rows past M and tokens past
// N are zero-filled by the copies and never written back.
#include "engine/cuda/mma.h"
#include "engine/cuda/rms.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <mma.h>

namespace {

using namespace nvcuda;

constexpr int BM = 128, BK = 32, LDS = BK + 8, STAGES = 4, WARPS_M = 2, WARPS_N = 2;
constexpr int THREADS = 32 * WARPS_M * WARPS_N;

__device__ __forceinline__ void cp16(void *dst, const void *src, int bytes)
{
	const unsigned d = (unsigned)__cvta_generic_to_shared(dst);
	asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(bytes));
}

__device__ __forceinline__ void cp_commit()
{
	asm volatile("cp.async.commit_group;\n" ::);
}

template <int N> __device__ __forceinline__ void cp_wait()
{
	asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

template <typename E, int BN> constexpr size_t smem_bytes()
{
	return (size_t)STAGES * (BM + BN) * LDS * sizeof(E);
}

// Rows [r0, r0 + ROWS) of a [rows][K] operand, columns [k0, k0 + BK), into s ([ROWS][LDS]).
template <typename E, int ROWS>
__device__ __forceinline__ void load_tile(E *s, const E *g, int64_t ld, int64_t r0, int64_t rows, int64_t k0)
{
	for (int c = threadIdx.x; c < ROWS * (BK / 8); c += THREADS) {
		const int r = c / (BK / 8), ch = c % (BK / 8);
		const int64_t gr = r0 + r;
		const bool in = gr < rows;
		cp16(s + r * LDS + ch * 8, g + (in ? gr : 0) * ld + k0 + ch * 8, in ? 16 : 0);
	}
}

template <typename E, int BN>
__global__ void __launch_bounds__(THREADS) k_gemm(const E *A, int64_t lda, const E *B, int64_t ldb, int64_t M,
	int64_t N, int64_t K, cu_gemm_out out, int add)
{
	constexpr int WN = WARPS_N, TM = BM / WARPS_M, TN = BN / WARPS_N, FM = TM / 16, FN = TN / 16;
	extern __shared__ __align__(128) unsigned char smem[];
	E *sA = (E *)smem, *sB = sA + STAGES * BM * LDS;
	const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
	const int wm = warp / WN, wn = warp % WN;
	const int64_t m0 = (int64_t)blockIdx.x * BM, n0 = (int64_t)blockIdx.y * BN;
	const int nk = (int)(K / BK);
	wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[FM][FN];
#pragma unroll
	for (int i = 0; i < FM; i++)
#pragma unroll
		for (int j = 0; j < FN; j++)
			wmma::fill_fragment(acc[i][j], 0.f);
#pragma unroll
	for (int s = 0; s < STAGES - 1; s++) {
		if (s < nk) {
			load_tile<E, BM>(sA + s * BM * LDS, A, lda, m0, M, (int64_t)s * BK);
			load_tile<E, BN>(sB + s * BN * LDS, B, ldb, n0, N, (int64_t)s * BK);
		}
		cp_commit();
	}
	for (int kt = 0; kt < nk; kt++) {
		cp_wait<STAGES - 2>();
		__syncthreads();   // tile kt is in; every warp is done with the stage reloaded below
		const int nt = kt + STAGES - 1;
		if (nt < nk) {
			load_tile<E, BM>(sA + (nt % STAGES) * BM * LDS, A, lda, m0, M, (int64_t)nt * BK);
			load_tile<E, BN>(sB + (nt % STAGES) * BN * LDS, B, ldb, n0, N, (int64_t)nt * BK);
		}
		cp_commit();
		const E *a = sA + (kt % STAGES) * BM * LDS + (wm * TM) * LDS;
		const E *b = sB + (kt % STAGES) * BN * LDS + (wn * TN) * LDS;
#pragma unroll
		for (int kk = 0; kk < BK; kk += 16) {
			wmma::fragment<wmma::matrix_a, 16, 16, 16, E, wmma::row_major> fa[FM];
			wmma::fragment<wmma::matrix_b, 16, 16, 16, E, wmma::col_major> fb[FN];
#pragma unroll
			for (int i = 0; i < FM; i++)
				wmma::load_matrix_sync(fa[i], a + i * 16 * LDS + kk, LDS);
#pragma unroll
			for (int j = 0; j < FN; j++)
				wmma::load_matrix_sync(fb[j], b + j * 16 * LDS + kk, LDS);
#pragma unroll
			for (int i = 0; i < FM; i++)
#pragma unroll
				for (int j = 0; j < FN; j++)
					wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
		}
	}
	cp_wait<0>();
	__syncthreads();   // the pipeline's shared memory becomes each warp's 16x16 output scratch
	float *scr = (float *)smem + warp * 256;
	const int n = lane >> 1, mh = (lane & 1) * 8;
#pragma unroll
	for (int i = 0; i < FM; i++)
#pragma unroll
		for (int j = 0; j < FN; j++) {
			wmma::store_matrix_sync(scr, acc[i][j], 16, wmma::mem_col_major);
			__syncwarp();
			const int64_t t = n0 + wn * TN + j * 16 + n, rb = m0 + wm * TM + i * 16 + mh;
			if (t < N)
				for (int e = 0; e < 8; e++) {
					int64_t r = rb + e;
					if (r < M) {
						int s = 0;
						while (s < out.nseg - 1 && r >= out.rows[s]) {
							r -= out.rows[s];
							s++;
						}
						float v = scr[n * 16 + mh + e];
						if (out.bias[s])
							v += out.bias[s][r];
						float *o = out.C[s] + t * out.ldc[s] + r;
						*o = add ? *o + v : v;
					}
				}
			__syncwarp();
		}
}

template <typename E, int BN>
void launch(const void *A, int64_t lda, const void *B, int64_t ldb, int64_t M, int64_t N, int64_t K,
	const cu_gemm_out &out, int add, cudaStream_t st)
{
	const size_t sm = smem_bytes<E, BN>();
	cudaFuncSetAttribute(k_gemm<E, BN>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)sm);
	const dim3 grid((unsigned)((M + BM - 1) / BM), (unsigned)((N + BN - 1) / BN));
	k_gemm<E, BN><<<grid, THREADS, sm, st>>>((const E *)A, lda, (const E *)B, ldb, M, N, K, out, add);
}

template <typename E> __device__ __forceinline__ E to_el(float v);
template <> __device__ __forceinline__ __half to_el<__half>(float v)
{
	return __float2half_rn(v);
}
template <> __device__ __forceinline__ __nv_bfloat16 to_el<__nv_bfloat16>(float v)
{
	return __float2bfloat16_rn(v);
}

// One block per row of X.
template <typename E>
__global__ void __launch_bounds__(256) k_to_el(const float *X, const float *nw, float eps, int64_t ncols, E *out,
	int64_t ldo)
{
	const int t = blockIdx.x;
	const float *x = X + (size_t)t * ncols;
	const float scale = nw ? block_rms_scale(x, ncols, eps) : 1.f;
	E *o = out + (size_t)t * ldo;
	for (int64_t i = threadIdx.x; i < ldo; i += blockDim.x)
		o[i] = to_el<E>(i < ncols ? (nw ? (x[i] * scale) * nw[i] : x[i]) : 0.f);
}

}  // namespace

int64_t cu_mma_kpad(int64_t ncols)
{
	return (ncols + BK - 1) / BK * BK;
}

void cu_to_el(int el, const float *X, const float *norm_w, float eps, int n, int64_t ncols, void *dst, int64_t ldo,
	cudaStream_t st)
{
	if (n <= 0)
		return;
	if (el == CU_EL_BF16)
		k_to_el<__nv_bfloat16><<<n, 256, 0, st>>>(X, norm_w, eps, ncols, (__nv_bfloat16 *)dst, ldo);
	else
		k_to_el<__half><<<n, 256, 0, st>>>(X, norm_w, eps, ncols, (__half *)dst, ldo);
}

void cu_gemm(int el, const void *A, int64_t lda, const void *B, int64_t ldb, int64_t M, int64_t N, int64_t K,
	float *C, int64_t ldc, const float *bias, int add, int bn, cudaStream_t st)
{
	cu_gemm_out out = {};
	out.nseg = 1;
	out.rows[0] = M;
	out.C[0] = C;
	out.ldc[0] = ldc;
	out.bias[0] = bias;
	cu_gemm_seg(el, A, lda, B, ldb, N, K, out, add, bn, st);
}

void cu_gemm_seg(int el, const void *A, int64_t lda, const void *B, int64_t ldb, int64_t N, int64_t K,
	cu_gemm_out out, int add, int bn, cudaStream_t st)
{
	int64_t M = 0;
	for (int s = 0; s < out.nseg; s++)
		M += out.rows[s];
	if (out.nseg < 1 || out.nseg > 3 || M <= 0 || N <= 0)
		return;
	// 128-token tiles once they give at least one tile per multiprocessor of a large GPU.
	const bool wide = bn ? bn == 128 : N > 64 && ((M + BM - 1) / BM) * ((N + 127) / 128) >= 128;
	if (el == CU_EL_BF16) {
		if (wide)
			launch<__nv_bfloat16, 128>(A, lda, B, ldb, M, N, K, out, add, st);
		else
			launch<__nv_bfloat16, 64>(A, lda, B, ldb, M, N, K, out, add, st);
	} else {
		if (wide)
			launch<__half, 128>(A, lda, B, ldb, M, N, K, out, add, st);
		else
			launch<__half, 64>(A, lda, B, ldb, M, N, K, out, add, st);
	}
}
