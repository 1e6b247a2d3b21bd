// engine/cuda/rms.cuh — the RMS-norm scale and programmatic dependent launch (the device-side
// waits and the host-side launch) shared by the CUDA backend's .cu files (included by them only).
#ifndef TB_ENGINE_CUDA_RMS_CUH
#define TB_ENGINE_CUDA_RMS_CUH

#include <cuda_runtime.h>
#include <stdint.h>

// Programmatic dependent launch (sm_90 on): a kernel launched with the programmatic
// stream-serialization attribute may start while the kernel before it in the stream still runs;
// pdl_wait() returns once that kernel has completed and its writes are visible (at once when
// the kernel was launched normally), so everything before it may read only data no earlier
// kernel of the pass writes (weights). pdl_trigger() lets the next such kernel start.
__device__ __forceinline__ void pdl_wait()
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
	asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

__device__ __forceinline__ void pdl_trigger()
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
	asm volatile("griddepcontrol.launch_dependents;" :::);
#endif
}

// Launches kernel k with the programmatic stream-serialization attribute when pdl is set (the
// kernel calls pdl_wait before it reads what earlier kernels wrote, and writes nothing before
// that), else plainly. Errors are left for cudaGetLastError / the stream capture.
template <typename... P, typename... A>
void launch_k(void (*k)(P...), dim3 grid, unsigned threads, bool pdl, cudaStream_t st, A... args)
{
	if (!pdl) {
		k<<<grid, threads, 0, st>>>(args...);
		return;
	}
	cudaLaunchConfig_t cfg = {};
	cudaLaunchAttribute at[1];
	at[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
	at[0].val.programmaticStreamSerializationAllowed = 1;
	cfg.gridDim = grid;
	cfg.blockDim = dim3(threads);
	cfg.stream = st;
	cfg.attrs = at;
	cfg.numAttrs = 1;
	cudaLaunchKernelEx(&cfg, k, args...);
}

// 1 / sqrt(mean(x^2) + eps) of the row x (ncols values) as the CPU computes it (squares in
// float, summed in double), by every thread of the block (blockDim.x a multiple of 32, at most
// 1024); each thread gets the same value. A 16-byte-aligned row of a multiple of 4 values is
// read in 16-byte loads, four of them in flight per thread; all through L2 (ld.global.cg: x was
// written by the kernel before, which under programmatic dependent launch may have been running
// when this one started).
__device__ __forceinline__ float block_rms_scale(const float *x, int64_t ncols, float eps)
{
	__shared__ double part[32];
	double s = 0;
	if (((uintptr_t)x & 15) == 0 && (ncols & 3) == 0) {
		const float4 *x4 = (const float4 *)x;
		const int64_t n4 = ncols / 4, nt = blockDim.x;
		int64_t i = threadIdx.x;
		for (; i + 3 * nt < n4; i += 4 * nt) {
			float4 v[4];
#pragma unroll
			for (int u = 0; u < 4; u++)
				v[u] = __ldcg(x4 + i + u * nt);
#pragma unroll
			for (int u = 0; u < 4; u++) {
				const float a = v[u].x * v[u].x, b = v[u].y * v[u].y, c = v[u].z * v[u].z, d = v[u].w * v[u].w;
				s += (double)a;
				s += (double)b;
				s += (double)c;
				s += (double)d;
			}
		}
		for (; i < n4; i += nt) {
			const float4 v = __ldcg(x4 + i);
			const float a = v.x * v.x, b = v.y * v.y, c = v.z * v.z, d = v.w * v.w;
			s += (double)a;
			s += (double)b;
			s += (double)c;
			s += (double)d;
		}
	} else {
		for (int64_t i = threadIdx.x; i < ncols; i += blockDim.x) {
			const float xi = __ldcg(x + i), sq = xi * xi;
			s += (double)sq;
		}
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
