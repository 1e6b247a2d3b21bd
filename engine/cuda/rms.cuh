// engine/cuda/rms.cuh — the RMS-norm scale shared by the CUDA backend's kernels (included by
// its .cu files; device code only).
#ifndef TB_ENGINE_CUDA_RMS_CUH
#define TB_ENGINE_CUDA_RMS_CUH

#include <stdint.h>

// 1 / sqrt(mean(x^2) + eps) of the row x (ncols values) as the CPU computes it (squares in
// float, summed in double), by every thread of the block (blockDim.x a multiple of 32, at most
// 1024); each thread gets the same value.
__device__ __forceinline__ float block_rms_scale(const float *x, int64_t ncols, float eps)
{
	__shared__ double part[32];
	double s = 0;
	for (int64_t i = threadIdx.x; i < ncols; i += blockDim.x) {
		const float sq = x[i] * x[i];
		s += (double)sq;
	}
	for (int o = 16; o > 0; o >>= 1)
		s += __shfl_xor_sync(0xffffffffu, s, o);
	if ((threadIdx.x & 31) == 0)
		part[threadIdx.x >> 5] = s;
	__syncthreads();
	double tot = 0;
	for (int w = 0; w < (int)(blockDim.x >> 5); w++)
		tot += part[w];
	__syncthreads();   // part is free again for a later call
	return 1.0f / sqrtf((float)(tot / (double)ncols) + eps);
}

#endif
