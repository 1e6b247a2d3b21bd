// engine/cuda/cuda_backend.cu — CUDA forward pass for llama / qwen2 / qwen3 (see cuda_backend.h).
//
// Weights live on the device in their GGUF block formats; every product dequantizes 8 weights
// at a time in registers (deq8) and multiplies them with F32 activations. One warp per output
// row, up to 8 tokens per pass over the weights. The KV cache is F16; attention streams the
// cache once per (token, head) with an online softmax (flash-decoding style), so its shared
// memory does not grow with the context.
#include "engine/cuda/cuda_backend.h"
#include "engine/cuda/mma.h"
#include "engine/cuda/mmvq.h"
#include "engine/cuda/rms.cuh"

#include <cuda_bf16.h>

#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <mma.h>

#include <math.h>
#include <type_traits>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace {

// ---------------------------------------------------------------- block formats (GGUF facts)

enum {
	T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q4_1 = 3, T_Q5_0 = 6, T_Q5_1 = 7, T_Q8_0 = 8,
	T_Q2_K = 10, T_Q3_K = 11, T_Q4_K = 12, T_Q5_K = 13, T_Q6_K = 14, T_IQ4_NL = 20,
	T_IQ4_XS = 23, T_BF16 = 30
};

__constant__ signed char c_iq4[16] = { -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113 };

// Elements per block and bytes per block; 0 for an unsupported type.
__host__ __device__ static int blck(int t)
{
	switch (t) {
	case T_F32: case T_F16: case T_BF16: return 1;
	case T_Q4_0: case T_Q4_1: case T_Q5_0: case T_Q5_1: case T_Q8_0: case T_IQ4_NL: return 32;
	case T_Q2_K: case T_Q3_K: case T_Q4_K: case T_Q5_K: case T_Q6_K: case T_IQ4_XS: return 256;
	default: return 0;
	}
}

__host__ __device__ static int bbytes(int t)
{
	switch (t) {
	case T_F32: return 4;
	case T_F16: case T_BF16: return 2;
	case T_Q4_0: return 18;
	case T_Q4_1: return 20;
	case T_Q5_0: return 22;
	case T_Q5_1: return 24;
	case T_Q8_0: return 34;
	case T_IQ4_NL: return 18;
	case T_Q2_K: return 84;
	case T_Q3_K: return 110;
	case T_Q4_K: return 144;
	case T_Q5_K: return 176;
	case T_Q6_K: return 210;
	case T_IQ4_XS: return 136;
	default: return 0;
	}
}

static size_t row_bytes(int t, int64_t n)
{
	return (size_t)(n / blck(t)) * (size_t)bbytes(t);
}

__device__ __forceinline__ float h2f(const unsigned char *p)
{
	return __half2float(__ushort_as_half((unsigned short)(p[0] | (p[1] << 8))));
}

__device__ __forceinline__ int q3k_scale(const unsigned char *s, int g)
{
	int lo = g < 8 ? s[g] & 0xf : s[g - 8] >> 4;
	return (lo | (((s[8 + g % 4] >> (2 * (g / 4))) & 3) << 4)) - 32;
}

__device__ __forceinline__ void k4_scale_min(const unsigned char *s, int g, int *sc, int *mn)
{
	if (g < 4) {
		*sc = s[g] & 63;
		*mn = s[g + 4] & 63;
	} else {
		*sc = (s[g + 4] & 0xf) | ((s[g - 4] >> 6) << 4);
		*mn = (s[g + 4] >> 4) | ((s[g] >> 6) << 4);
	}
}

// Elements e0 .. e0+7 of a row (e0 a multiple of 8; for the float types, elements at or past
// ncols read as 0).
__device__ __forceinline__ void deq8(int type, const unsigned char *row, int64_t e0, int64_t ncols, float *y)
{
	switch (type) {
	case T_F32: case T_F16: case T_BF16:
		for (int j = 0; j < 8; j++) {
			int64_t e = e0 + j;
			float v = 0.f;
			if (e < ncols) {
				if (type == T_F32)
					v = ((const float *)row)[e];
				else if (type == T_F16)
					v = __half2float(((const __half *)row)[e]);
				else
					v = __uint_as_float((unsigned)((const unsigned short *)row)[e] << 16);
			}
			y[j] = v;
		}
		return;
	case T_Q4_0: case T_Q4_1: case T_IQ4_NL: case T_Q5_0: case T_Q5_1: case T_Q8_0: {
		const unsigned char *b = row + (size_t)(e0 / 32) * bbytes(type);
		const int o = (int)(e0 % 32);
		const float d = h2f(b);
		if (type == T_Q8_0) {
			for (int j = 0; j < 8; j++)
				y[j] = d * (float)(signed char)b[2 + o + j];
			return;
		}
		const unsigned char *qs = b + (type == T_Q4_0 || type == T_IQ4_NL ? 2 : type == T_Q4_1 ? 4 :
			type == T_Q5_0 ? 6 : 8);
		const float m = type == T_Q4_1 || type == T_Q5_1 ? h2f(b + 2) : 0.f;
		unsigned qh = 0;
		if (type == T_Q5_0 || type == T_Q5_1) {
			const unsigned char *h = b + (type == T_Q5_0 ? 2 : 4);
			qh = h[0] | (h[1] << 8) | (h[2] << 16) | ((unsigned)h[3] << 24);
		}
		for (int j = 0; j < 8; j++) {
			const int k = o + j;
			int q = k < 16 ? qs[k] & 0xf : qs[k - 16] >> 4;
			switch (type) {
			case T_Q4_0: y[j] = (q - 8) * d; break;
			case T_IQ4_NL: y[j] = d * c_iq4[q]; break;
			case T_Q4_1: y[j] = q * d + m; break;
			case T_Q5_0: q |= ((qh >> k) & 1) << 4; y[j] = (q - 16) * d; break;
			default: q |= ((qh >> k) & 1) << 4; y[j] = q * d + m; break;
			}
		}
		return;
	}
	default: break;
	}
	const unsigned char *b = row + (size_t)(e0 / 256) * bbytes(type);
	const int e = (int)(e0 % 256);
	switch (type) {
	case T_Q2_K: {
		const float d = h2f(b + 80), dmin = h2f(b + 82);
		const int sc = b[e / 16];
		const float dl = d * (sc & 0xf), ml = dmin * (sc >> 4);
		for (int j = 0; j < 8; j++) {
			const int x = e + j;
			const int q = (b[16 + 32 * (x / 128) + x % 32] >> (2 * ((x % 128) / 32))) & 3;
			y[j] = dl * q - ml;
		}
		return;
	}
	case T_Q3_K: {
		const unsigned char *hm = b, *qs = b + 32, *sc = b + 96;
		const float dl = h2f(b + 108) * q3k_scale(sc, e / 16);
		for (int j = 0; j < 8; j++) {
			const int x = e + j;
			const int q = ((qs[32 * (x / 128) + x % 32] >> (2 * ((x % 128) / 32))) & 3) -
				((hm[x % 32] >> (x / 32)) & 1 ? 0 : 4);
			y[j] = dl * q;
		}
		return;
	}
	case T_Q4_K: case T_Q5_K: {
		const float d = h2f(b), dmin = h2f(b + 2);
		int sc, mn;
		k4_scale_min(b + 4, e / 32, &sc, &mn);
		const float dl = d * sc, ml = dmin * mn;
		const unsigned char *qs = b + (type == T_Q4_K ? 16 : 48), *qh = b + 16;
		for (int j = 0; j < 8; j++) {
			const int x = e + j;
			const unsigned char by = qs[32 * (x / 64) + x % 32];
			int q = (x % 64) < 32 ? by & 0xf : by >> 4;
			if (type == T_Q5_K)
				q |= ((qh[x % 32] >> (x / 32)) & 1) << 4;
			y[j] = dl * q - ml;
		}
		return;
	}
	case T_Q6_K: {
		const unsigned char *ql = b, *qh = b + 128;
		const signed char *scl = (const signed char *)(b + 192);
		const float d = h2f(b + 208) * scl[e / 16];
		for (int j = 0; j < 8; j++) {
			const int x = e + j, c = x / 128, r = x % 128, l = r % 32, part = r / 32;
			const unsigned char lo = ql[64 * c + l + 32 * (part & 1)];
			const int low = part < 2 ? lo & 0xf : lo >> 4;
			const int high = (qh[32 * c + l] >> (2 * part)) & 3;
			y[j] = d * ((low | (high << 4)) - 32);
		}
		return;
	}
	case T_IQ4_XS: {
		const int g = e / 32;
		const int sh = b[2] | (b[3] << 8);
		const int s = (((b[4 + g / 2] >> (4 * (g % 2))) & 0xf) | (((sh >> (2 * g)) & 3) << 4)) - 32;
		const float dl = h2f(b) * s;
		const unsigned char *qs = b + 8 + 16 * g;
		for (int j = 0; j < 8; j++) {
			const int k = e % 32 + j;
			y[j] = dl * c_iq4[k < 16 ? qs[k] & 0xf : qs[k - 16] >> 4];
		}
		return;
	}
	default:
		for (int j = 0; j < 8; j++)
			y[j] = 0.f;
	}
}

// ---------------------------------------------------------------- kernels

constexpr int MAXT = 8;   // tokens per pass over the weights

// Batches of at least MMA_MIN tokens (prompt chunks) take the tensor-core products (mma.h) on
// weight rows dequantized WH_BYTES at a time, and, in one sequence, the tiled attention.
constexpr int MMA_MIN = 32;
constexpr size_t WH_BYTES = (size_t)128 << 20;   // an 8B model's largest matrix in one chunk

__device__ __forceinline__ float warp_sum(float v)
{
	for (int o = 16; o > 0; o >>= 1)
		v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

// Y[t][r] = W[r] . X[t] for t < ntok (<= MAXT); one warp per row r.
__global__ void k_matvec(int type, const unsigned char *W, size_t rb, int64_t ncols, int64_t nrows,
	const float *X, int64_t ldx, float *Y, int64_t ldy, int ntok)
{
	const int64_t r = (int64_t)blockIdx.x * blockDim.y + threadIdx.y;
	const int lane = threadIdx.x;
	const bool vec = (ldx & 3) == 0;   // rows of X 16-byte aligned
	float acc[MAXT];
	if (r >= nrows)
		return;
	for (int t = 0; t < MAXT; t++)
		acc[t] = 0.f;
	const unsigned char *row = W + (size_t)r * rb;
	for (int64_t e0 = (int64_t)lane * 8; e0 < ncols; e0 += 256) {
		float w[8];
		deq8(type, row, e0, ncols, w);
#pragma unroll
		for (int t = 0; t < MAXT; t++) {
			if (t < ntok) {
				const float *x = X + (size_t)t * ldx + e0;
				float s = 0.f;
				if (vec && e0 + 8 <= ncols) {
					const float4 a = *(const float4 *)x, bq = *(const float4 *)(x + 4);
					s = w[0] * a.x + w[1] * a.y + w[2] * a.z + w[3] * a.w + w[4] * bq.x + w[5] * bq.y +
						w[6] * bq.z + w[7] * bq.w;
				} else {
					for (int j = 0; j < 8 && e0 + j < ncols; j++)
						s += w[j] * x[j];
				}
				acc[t] += s;
			}
		}
	}
#pragma unroll
	for (int t = 0; t < MAXT; t++) {
		if (t < ntok) {
			const float s = warp_sum(acc[t]);
			if (lane == 0)
				Y[(size_t)t * ldy + r] = s;
		}
	}
}

// The CPU path multiplies weights with activations rounded to the weight type's dot type (F16,
// BF16, or 8-bit blocks Q8_0 / Q8_1 / Q8_K); these kernels give the same rounded activations as
// floats (q x d), so the products see the same values. One block per (block of x, token).
enum { ACT_NONE, ACT_F16, ACT_BF16, ACT_Q8_0, ACT_Q8_1, ACT_Q8_K };

static int act_kind(int t)
{
	switch (t) {
	case T_F16: return ACT_F16;
	case T_BF16: return ACT_BF16;
	case T_Q4_0: case T_Q5_0: case T_Q8_0: case T_IQ4_NL: return ACT_Q8_0;
	case T_Q4_1: case T_Q5_1: return ACT_Q8_1;
	case T_Q2_K: case T_Q3_K: case T_Q4_K: case T_Q5_K: case T_Q6_K: case T_IQ4_XS: return ACT_Q8_K;
	default: return ACT_NONE;
	}
}

__global__ void k_act_round(int kind, const float *X, float *Y, int64_t n)
{
	const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= n)
		return;
	if (kind == ACT_F16) {
		Y[i] = __half2float(__float2half_rn(X[i]));
	} else {
		const unsigned u = __float_as_uint(X[i]);
		const unsigned r = (u & 0x7fffffffu) > 0x7f800000u ? (u | 0x00400000u) & 0xffff0000u
			: (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
		Y[i] = __uint_as_float(r);
	}
}

// blockDim.x = 32 (Q8_0, Q8_1) or 256 (Q8_K); row length ncols. The block's largest magnitude
// (the first of equal ones, as the CPU) by a tree reduction over (|x|, index).
__global__ void k_act_q8(int kind, const float *X, float *Y, int64_t ncols)
{
	__shared__ float sa[256];
	__shared__ int si[256];
	__shared__ float sc;
	const int QB = blockDim.x, j = threadIdx.x;
	const size_t off = (size_t)blockIdx.y * ncols + (size_t)blockIdx.x * QB;
	const float x = X[off + j];
	sa[j] = fabsf(x);
	si[j] = j;
	__syncthreads();
	for (int st = QB / 2; st > 0; st >>= 1) {
		if (j < st) {
			const float a = sa[j], b = sa[j + st];
			if (b > a || (b == a && si[j + st] < si[j])) {
				sa[j] = b;
				si[j] = si[j + st];
			}
		}
		__syncthreads();
	}
	if (j == 0) {
		const float amax = sa[0];
		sc = kind == ACT_Q8_K ? (amax > 0.f ? X[off + si[0]] : 0.f) : amax;
	}
	__syncthreads();
	float q, d;
	if (kind == ACT_Q8_K) {
		if (sc == 0.f) {
			Y[off + j] = 0.f;
			return;
		}
		const float iscale = -127.f / sc;
		q = fminf(fmaxf(rintf(iscale * x), -128.f), 127.f);
		d = 1.f / iscale;
	} else if (kind == ACT_Q8_0) {
		const float id = sc != 0.f ? 127.f / sc : 0.f;
		q = fminf(fmaxf(rintf(x * id), -128.f), 127.f);
		d = __half2float(__float2half_rn(sc / 127.f));
	} else {
		const float dd = sc / 127.f, id = dd != 0.f ? 1.f / dd : 0.f;
		q = fminf(fmaxf(roundf(x * id), -128.f), 127.f);
		d = __half2float(__float2half_rn(dd));
	}
	Y[off + j] = q * d;
}

// X[t] = row tok[t] of W (dequantized).
__global__ void k_get_rows(int type, const unsigned char *W, size_t rb, int64_t ncols, const int *tok, float *X)
{
	const int t = blockIdx.y;
	const int64_t e0 = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) * 8;
	float w[8];
	if (e0 >= ncols)
		return;
	deq8(type, W + (size_t)tok[t] * rb, e0, ncols, w);
	for (int j = 0; j < 8 && e0 + j < ncols; j++)
		X[(size_t)t * ncols + e0 + j] = w[j];
}

// Y[i] = X[i] / rms(X[i]) * w, one block per row of n (w of n elements, shared by all rows).
__global__ void k_rmsnorm(const float *X, const float *w, float *Y, int n, float eps)
{
	const float *x = X + (size_t)blockIdx.x * n;
	float *y = Y + (size_t)blockIdx.x * n;
	const float scale = block_rms_scale(x, n, eps);
	for (int i = threadIdx.x; i < n; i += blockDim.x)
		y[i] = (x[i] * scale) * w[i];
}

__global__ void k_add(float *X, const float *Y, int64_t n)
{
	const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		X[i] += Y[i];
}

// Y[t][i] += b[i] for n elements per token.
__global__ void k_bias(float *Y, const float *b, int64_t n, int64_t total)
{
	const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i < total)
		Y[i] += b[i % n];
}

__global__ void k_swiglu(float *G, const float *U, int64_t n)
{
	const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n) {
		const float g = G[i];
		G[i] = g / (1.0f + expf(-g)) * U[i];
	}
}

// Rotates the first n_rot dims of query heads (blocks x < n_head) and key heads (the others) of
// token t = blockIdx.y in place, at position pos[t], angles by repeated multiplication as the CPU
// path does; a key head's block then writes that head of K[t] and V[t] ([n_tok][n_head_kv][hd])
// into the layer's F16 caches at (seq[t], pos[t]). One launch instead of three.
__global__ void k_rope_kv(float *Q, float *K, const float *V, __half *ck, __half *cv, int n_head, int n_head_kv,
	int hd_k, int hd_v, int n_rot, const int *pos, const int *seq, int n_ctx, float theta_scale, float freq_scale,
	const float *ff, int neox)
{
	pdl_trigger();
	pdl_wait();
	const int t = blockIdx.y, i = threadIdx.x;
	const bool is_k = (int)blockIdx.x >= n_head;
	const int h = is_k ? (int)blockIdx.x - n_head : (int)blockIdx.x;
	float *v = is_k ? K + ((size_t)t * n_head_kv + h) * hd_k : Q + ((size_t)t * n_head + h) * hd_k;
	const int half = n_rot / 2;
	if (i < half) {
		float theta = (float)pos[t];
		for (int k = 0; k < i; k++)
			theta *= theta_scale;
		const float th = ff ? freq_scale * (theta / ff[i]) : freq_scale * theta;
		float sn, cs;
		sincosf(th, &sn, &cs);
		const int i0 = neox ? i : 2 * i, i1 = neox ? i + half : 2 * i + 1;
		const float a = v[i0], b = v[i1];
		v[i0] = a * cs - b * sn;
		v[i1] = a * sn + b * cs;
	}
	if (!is_k)
		return;
	__syncthreads();   // the whole block is a key head: the rotated values are visible to all
	const size_t cell = (size_t)seq[t] * n_ctx + pos[t];
	const size_t kvd_k = (size_t)n_head_kv * hd_k, kvd_v = (size_t)n_head_kv * hd_v;
	for (int d = i; d < hd_k; d += blockDim.x)
		ck[cell * kvd_k + (size_t)h * hd_k + d] = __float2half_rn(v[d]);
	for (int d = i; d < hd_v; d += blockDim.x)
		cv[cell * kvd_v + (size_t)h * hd_v + d] = __float2half_rn(V[(size_t)t * kvd_v + (size_t)h * hd_v + d]);
}

constexpr int ATT_WARPS = 4;
constexpr int MAX_HD = 256;

// O[t][h] = softmax(Q[t][h] . K[p] * scale) V[p] over positions p <= pos[t] of seq[t], with the
// CPU path's roundings: the query and the normalised weights rounded to F16 (the cache's type),
// the sum of exponentials in double and 1/sum rounded to float. Three passes over the keys (max,
// sum, weighted values), each warp taking every ATT_WARPS-th position; one block per
// (head, token).
__device__ __forceinline__ float att_score(const float *q, const __half *k, int hd, int lane, float scale)
{
	float dot = 0.f;
	for (int d = lane; d < hd; d += 32)
		dot += q[d] * __half2float(k[d]);
	return warp_sum(dot) * scale;
}

__global__ void k_attn(const float *Q, const __half *ck, const __half *cv, float *O, int n_head, int n_head_kv,
	int hd_k, int hd_v, const int *seq, const int *pos, int n_ctx, float scale)
{
	__shared__ float q[MAX_HD];
	__shared__ float wm[ATT_WARPS];
	__shared__ double wsum[ATT_WARPS];
	__shared__ float wacc[ATT_WARPS][MAX_HD];
	const int h = blockIdx.x, t = blockIdx.y, lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
	pdl_trigger();
	pdl_wait();
	const int hk = h / (n_head / n_head_kv);
	const int kvd_k = n_head_kv * hd_k, kvd_v = n_head_kv * hd_v;
	const size_t base = (size_t)seq[t] * n_ctx;
	const int n = pos[t] + 1;
	for (int d = threadIdx.x; d < hd_k; d += blockDim.x)
		q[d] = __half2float(__float2half_rn(Q[((size_t)t * n_head + h) * hd_k + d]));
	__syncthreads();
	float m = -INFINITY;
	for (int p = wid; p < n; p += ATT_WARPS)
		m = fmaxf(m, att_score(q, ck + (base + p) * kvd_k + (size_t)hk * hd_k, hd_k, lane, scale));
	if (lane == 0)
		wm[wid] = m;
	__syncthreads();
	float M = -INFINITY;
	for (int w = 0; w < ATT_WARPS; w++)
		M = fmaxf(M, wm[w]);
	double s = 0;
	for (int p = wid; p < n; p += ATT_WARPS)
		s += (double)expf(att_score(q, ck + (base + p) * kvd_k + (size_t)hk * hd_k, hd_k, lane, scale) - M);
	if (lane == 0)
		wsum[wid] = s;
	__syncthreads();
	double S = 0;
	for (int w = 0; w < ATT_WARPS; w++)
		S += wsum[w];
	const float inv = (float)(1.0 / S);
	float acc[MAX_HD / 32];
	for (int j = 0; j < MAX_HD / 32; j++)
		acc[j] = 0.f;
	for (int p = wid; p < n; p += ATT_WARPS) {
		const float e = expf(att_score(q, ck + (base + p) * kvd_k + (size_t)hk * hd_k, hd_k, lane, scale) - M);
		const float wgt = __half2float(__float2half_rn(e * inv));
		const __half *v = cv + (base + p) * kvd_v + (size_t)hk * hd_v;
		for (int j = 0, d = lane; d < hd_v; j++, d += 32)
			acc[j] = fmaf(wgt, __half2float(v[d]), acc[j]);
	}
	for (int j = 0, d = lane; d < hd_v; j++, d += 32)
		wacc[wid][d] = acc[j];
	__syncthreads();
	for (int d = threadIdx.x; d < hd_v; d += blockDim.x) {
		float o = 0.f;
		for (int w = 0; w < ATT_WARPS; w++)
			o += wacc[w][d];
		O[((size_t)t * n_head + h) * hd_v + d] = o;
	}
}

// Rows r0 .. r0+nr-1 of a tensor in GGUF blocks (rb bytes a row, ncols columns) as F16 or BF16
// rows of out (ldo apart, a multiple of 8; columns past ncols zero), 8 values per thread.
template <typename E>
__global__ void k_deq_el(int type, const unsigned char *W, size_t rb, int64_t ncols, int64_t r0, int64_t nr, E *out,
	int64_t ldo)
{
	const int64_t g = (int64_t)blockIdx.x * blockDim.x + threadIdx.x, per = ldo / 8;
	if (g >= nr * per)
		return;
	const int64_t r = g / per, e0 = (g % per) * 8;
	float y[8];
	if (e0 < ncols)
		deq8(type, W + (size_t)(r0 + r) * rb, e0, ncols, y);
	else
		for (int j = 0; j < 8; j++)
			y[j] = 0.f;
	E *o = out + (size_t)r * ldo + e0;
	for (int j = 0; j < 8; j++) {
		if constexpr (sizeof(E) == 2 && std::is_same<E, __nv_bfloat16>::value)
			o[j] = __float2bfloat16_rn(y[j]);
		else
			o[j] = __float2half_rn(y[j]);
	}
}

// Prefill attention: one block of 4 warps per (head h, tile of AT_Q consecutive batch tokens),
// every token of the batch in one sequence at consecutive positions. The tile's queries
// (rounded to F16, as k_attn) and each chunk of AT_K cached keys and values sit in shared
// memory, so every key is read once per tile instead of once per token, and both products run
// on the tensor cores (wmma, F16 in, F32 sums): scores S = Q K^T (one 16x16 block per warp),
// then O += P V. Two passes over the keys: the row maximum and the sum of exponentials (in
// double, rescaled as the maximum grows), then the weights P, normalised and rounded to F16
// like the CPU's. For the row statistics, thread tid takes query row tid / 4 and keys
// tid % 4 + 4 j of the chunk.
constexpr int AT_Q = 32, AT_K = 32, AT_THREADS = 128, AT_LDS = AT_K + 4, AT_LDP = AT_K + 8;

bool attn_tile_fits(int hd_k, int hd_v)
{
	return hd_k % 16 == 0 && hd_k <= MAX_HD && hd_v % 32 == 0 && hd_v <= 128;
}

// Shared memory: Q, K (AT_Q, AT_K rows of hd_k + 8 halves), V (AT_K rows of hd_v + 8), or in
// their place at the end the output tile (AT_Q rows of hd_v + 4 floats); then the scores
// (AT_Q x AT_LDS floats) and weights (AT_Q x AT_LDP halves).
size_t attn_tile_smem(int hd_k, int hd_v)
{
	const size_t kv = (size_t)(AT_Q + AT_K) * (hd_k + 8) * 2 + (size_t)AT_K * (hd_v + 8) * 2;
	const size_t o = (size_t)AT_Q * (hd_v + 4) * 4;
	return (kv > o ? kv : o) + AT_Q * AT_LDS * 4 + AT_Q * AT_LDP * 2;
}

__global__ void __launch_bounds__(AT_THREADS) k_attn_tile(const float *Q, const __half *ck, const __half *cv, float *O,
	int n_tok, int n_head, int n_head_kv, int hd_k, int hd_v, const int *seq, const int *pos, int n_ctx, float scale)
{
	using namespace nvcuda;
	extern __shared__ __align__(128) unsigned char sm[];
	const int ldq = hd_k + 8, ldv = hd_v + 8, ldo = hd_v + 4;
	__half *sq = (__half *)sm, *sk = sq + AT_Q * ldq, *sv = sk + AT_K * ldq;
	float *so = (float *)sm;
	const size_t kvb = (size_t)(AT_Q + AT_K) * ldq * 2 + (size_t)AT_K * ldv * 2, ob = (size_t)AT_Q * ldo * 4;
	float *ss = (float *)(sm + (kvb > ob ? kvb : ob));
	__half *sp = (__half *)(ss + AT_Q * AT_LDS);
	const int h = blockIdx.x, t0 = blockIdx.y * AT_Q, tid = threadIdx.x, warp = tid >> 5;
	const int hk = h / (n_head / n_head_kv), qi = tid >> 2, kq = tid & 3;
	const int kvd_k = n_head_kv * hd_k, kvd_v = n_head_kv * hd_v;
	const size_t base = (size_t)seq[t0] * n_ctx;
	const int tl = (t0 + AT_Q < n_tok ? t0 + AT_Q : n_tok) - 1;   // the tile's last token
	const int nkeys = pos[tl] + 1;
	const int my_pos = t0 + qi < n_tok ? pos[t0 + qi] : -1;
	for (int e = tid; e < AT_Q * hd_k; e += AT_THREADS) {
		const int r = e / hd_k, c = e % hd_k, t = t0 + r;
		sq[r * ldq + c] = __float2half_rn(t < n_tok ? Q[((size_t)t * n_head + h) * hd_k + c] : 0.f);
	}
	// Output blocks of this warp: rows 16 (warp % 2), columns (warp / 2) hd_v / 2 + 16 f.
	const int nf = hd_v / 32, orow = 16 * (warp % 2), ocol = (warp / 2) * (hd_v / 2);
	wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[4];
	for (int f = 0; f < 4; f++)
		wmma::fill_fragment(acc[f], 0.f);
	float m = -INFINITY, M = 0.f, inv = 0.f;
	double l = 0;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			M = m;
			inv = (float)(1.0 / l);
		}
		for (int c0 = 0; c0 < nkeys; c0 += AT_K) {
			__syncthreads();   // the previous chunk (and its scores and weights) are no longer read
			for (int e = tid; e < AT_K * (hd_k / 8); e += AT_THREADS) {
				const int j = e / (hd_k / 8), c = e % (hd_k / 8), p = c0 + j;
				uint4 v = make_uint4(0, 0, 0, 0);
				if (p < nkeys)
					v = *(const uint4 *)(ck + (base + p) * kvd_k + (size_t)hk * hd_k + 8 * c);
				*(uint4 *)(sk + j * ldq + 8 * c) = v;
			}
			if (pass == 1)
				for (int e = tid; e < AT_K * (hd_v / 8); e += AT_THREADS) {
					const int j = e / (hd_v / 8), c = e % (hd_v / 8), p = c0 + j;
					uint4 v = make_uint4(0, 0, 0, 0);
					if (p < nkeys)
						v = *(const uint4 *)(cv + (base + p) * kvd_v + (size_t)hk * hd_v + 8 * c);
					*(uint4 *)(sv + j * ldv + 8 * c) = v;
				}
			__syncthreads();
			{
				const int sr = 16 * (warp / 2), sc = 16 * (warp % 2);
				wmma::fragment<wmma::accumulator, 16, 16, 16, float> sf;
				wmma::fill_fragment(sf, 0.f);
				for (int d = 0; d < hd_k; d += 16) {
					wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa;
					wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> fb;
					wmma::load_matrix_sync(fa, sq + sr * ldq + d, ldq);
					wmma::load_matrix_sync(fb, sk + sc * ldq + d, ldq);
					wmma::mma_sync(sf, fa, fb, sf);
				}
				wmma::store_matrix_sync(ss + sr * AT_LDS + sc, sf, AT_LDS, wmma::mem_row_major);
			}
			__syncthreads();
			float s[AT_K / 4];
#pragma unroll
			for (int j = 0; j < AT_K / 4; j++) {
				const int k = kq + 4 * j;
				s[j] = c0 + k <= my_pos ? ss[qi * AT_LDS + k] * scale : -INFINITY;
			}
			if (pass == 0) {
				float cm = -INFINITY;
				for (int j = 0; j < AT_K / 4; j++)
					cm = fmaxf(cm, s[j]);
				cm = fmaxf(cm, __shfl_xor_sync(0xffffffffu, cm, 1));
				cm = fmaxf(cm, __shfl_xor_sync(0xffffffffu, cm, 2));
				const float mn = fmaxf(m, cm);
				double ps = 0;
				if (mn != -INFINITY)   // (a row with no key yet stays empty)
					for (int j = 0; j < AT_K / 4; j++)
						ps += (double)expf(s[j] - mn);
				ps += __shfl_xor_sync(0xffffffffu, ps, 1);
				ps += __shfl_xor_sync(0xffffffffu, ps, 2);
				if (mn != -INFINITY) {
					l = (m == -INFINITY ? 0.0 : l * (double)expf(m - mn)) + ps;
					m = mn;
				}
				continue;
			}
			for (int j = 0; j < AT_K / 4; j++)   // (rows past the batch: m is -inf, weights 0)
				sp[qi * AT_LDP + kq + 4 * j] = __float2half_rn(my_pos >= 0 ? expf(s[j] - M) * inv : 0.f);
			__syncthreads();
#pragma unroll
			for (int kk = 0; kk < AT_K; kk += 16) {
				wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa;
				wmma::load_matrix_sync(fa, sp + orow * AT_LDP + kk, AT_LDP);
#pragma unroll
				for (int f = 0; f < 4; f++)
					if (f < nf) {
						wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::row_major> fb;
						wmma::load_matrix_sync(fb, sv + kk * ldv + ocol + 16 * f, ldv);
						wmma::mma_sync(acc[f], fa, fb, acc[f]);
					}
			}
		}
	}
	__syncthreads();   // Q, K and V are no longer read: their space takes the output tile
#pragma unroll
	for (int f = 0; f < 4; f++)
		if (f < nf)
			wmma::store_matrix_sync(so + orow * ldo + ocol + 16 * f, acc[f], ldo, wmma::mem_row_major);
	__syncthreads();
	for (int e = tid; e < AT_Q * hd_v; e += AT_THREADS) {
		const int r = e / hd_v, d = e % hd_v, t = t0 + r;
		if (t < n_tok)
			O[((size_t)t * n_head + h) * hd_v + d] = so[r * ldo + d];
	}
}

// Rows of X ([n][E]) that want logits, packed: Y[out_index[t]] = X[t].
__global__ void k_gather(const float *X, const int *out_index, float *Y, int E)
{
	const int t = blockIdx.y, i = blockIdx.x * blockDim.x + threadIdx.x;
	const int o = out_index[t];
	if (o >= 0 && i < E)
		Y[(size_t)o * E + i] = X[(size_t)t * E + i];
}

// ---------------------------------------------------------------- host side

struct dtensor {
	int type = -1;
	int64_t ne0 = 0, ne1 = 0;
	size_t rb = 0;
	unsigned char *d = nullptr;
	bool packed = false;         // d holds the mmvq.h packed layout (rb: the GGUF row size)
};

struct dlayer {
	dtensor attn_norm, wq, wk, wv, wo, bq, bk, bv, bo, q_norm, k_norm, ffn_norm, ffn_gate, ffn_up, ffn_down;
};

void seterr(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	if (!err || !n)
		return;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

// Uploads one tensor; with pack, a type with an 8-bit dot-product kernel is repacked for it
// (through a temporary copy of the GGUF blocks on the device).
int upload(const eng_cuda_tensor &s, const char *name, dtensor *t, char *err, size_t errlen, bool pack = true)
{
	if (!s.data)
		return 0;
	if (!blck(s.type)) {
		seterr(err, errlen, "cuda: tensor %s: type %d has no CUDA kernel", name, s.type);
		return -1;
	}
	t->type = s.type;
	t->ne0 = s.ne0;
	t->ne1 = s.ne1;
	t->rb = row_bytes(s.type, s.ne0);
	t->packed = pack && cu_mmvq_type(s.type) && s.ne1 > 0;
	cudaError_t e;
	if (t->packed) {
		unsigned char *raw = nullptr;
		e = cudaMalloc(&raw, s.bytes);
		if (e == cudaSuccess)
			e = cudaMemcpy(raw, s.data, s.bytes, cudaMemcpyHostToDevice);
		if (e == cudaSuccess)
			e = cudaMalloc(&t->d, cu_packed_bytes(s.type, s.ne0, s.ne1));
		if (e == cudaSuccess)
			e = cu_pack(s.type, raw, s.ne0, s.ne1, t->d, 0);
		if (e == cudaSuccess)
			e = cudaDeviceSynchronize();
		if (raw)
			cudaFree(raw);
	} else {
		e = cudaMalloc(&t->d, s.bytes);
		if (e == cudaSuccess)
			e = cudaMemcpy(t->d, s.data, s.bytes, cudaMemcpyHostToDevice);
	}
	if (e != cudaSuccess) {
		seterr(err, errlen, "cuda: tensor %s (%zu bytes): %s", name, s.bytes, cudaGetErrorString(e));
		return -1;
	}
	return 0;
}

void release(dtensor *t)
{
	if (t->d)
		cudaFree(t->d);
	t->d = nullptr;
}

}  // namespace

struct eng_cuda_model {
	eng_cuda_model_desc d;       // layers pointer not kept
	float *rope_ff = nullptr;    // device copy, or NULL
	dtensor tok_embd, output_norm, output;
	dlayer *layers = nullptr;
};

struct eng_cuda_ctx {
	eng_cuda_model *m;
	int n_ctx, n_seq, n_batch, n_out_max;
	__half **ck = nullptr, **cv = nullptr;   // [n_layer] caches [n_seq][n_ctx][kvd]
	float *x, *xn, *q, *k, *v, *att, *o, *gate, *up, *xo, *logits, *xq;
	cu_qact act[2] = {};         // activations rounded for the 8-bit kernels (CU_ACT_Q8_0, _Q8_K)
	int *tok, *seq, *pos, *oidx;
	cudaStream_t st = nullptr;
	int *h_in = nullptr;         // pinned: tok, seq, pos, oidx, each n_batch ints
	float *h_logits = nullptr;   // pinned: n_out_max x n_vocab
	float *h_x = nullptr;        // pinned: n_batch x n_embd, the hidden state for partial offload
	void *xh = nullptr;          // prefill: activations as F16/BF16 rows (n_batch x kpad(widest))
	void *wh[2] = {};            // prefill: chunks of dequantized weight rows (two: one being
	size_t wh_bytes = 0;         // written on st2 while the other is multiplied)
	cudaStream_t st2 = nullptr;
	cudaEvent_t ev_deq[2] = {}, ev_use[2] = {};
	unsigned chunk = 0;
	cudaGraphExec_t graph[2] = {};   // the one-token step (logits; hidden state), captured on first use
	int mv_warps = 1;            // cu_mv_opts.warps (TB_CUDA_MMVQ_WARPS)
	bool pdl = false;            // the one-token graph with programmatic dependent launches (TB_CUDA_PDL=1)
};

extern "C" int eng_cuda_device_count(void)
{
	int n = 0;
	if (cudaGetDeviceCount(&n) != cudaSuccess) {
		cudaGetLastError();
		return 0;
	}
	return n;
}

extern "C" int eng_cuda_type_supported(int type)
{
	return blck(type) != 0;
}

extern "C" int eng_cuda_device_info(char *name, size_t n, double *peak_gbs)
{
	cudaDeviceProp p;
	int clk = 0, bus = 0;
	if (eng_cuda_device_count() <= 0 || cudaGetDeviceProperties(&p, 0) != cudaSuccess)
		return -1;
	if (name && n)
		snprintf(name, n, "%s", p.name);
	cudaDeviceGetAttribute(&clk, cudaDevAttrMemoryClockRate, 0);
	cudaDeviceGetAttribute(&bus, cudaDevAttrGlobalMemoryBusWidth, 0);
	if (peak_gbs)
		*peak_gbs = 2.0 * clk * 1e3 * (bus / 8.0) / 1e9;   // double data rate
	return 0;
}

extern "C" void eng_cuda_model_free(eng_cuda_model *m)
{
	if (!m)
		return;
	release(&m->tok_embd);
	release(&m->output_norm);
	release(&m->output);
	if (m->layers)
		for (int il = 0; il < m->d.n_layer; il++) {
			dlayer *L = &m->layers[il];
			dtensor *all[] = { &L->attn_norm, &L->wq, &L->wk, &L->wv, &L->wo, &L->bq, &L->bk, &L->bv, &L->bo,
				&L->q_norm, &L->k_norm, &L->ffn_norm, &L->ffn_gate, &L->ffn_up, &L->ffn_down };
			for (dtensor *t : all)
				release(t);
		}
	delete[] m->layers;
	if (m->rope_ff)
		cudaFree(m->rope_ff);
	delete m;
}

extern "C" eng_cuda_model *eng_cuda_model_new(const eng_cuda_model_desc *d, char *err, size_t errlen)
{
	eng_cuda_model *m;
	char nm[64];
	if (eng_cuda_device_count() <= 0) {
		seterr(err, errlen, "cuda: no CUDA device");
		return nullptr;
	}
	if (d->hd_k > MAX_HD || d->hd_v > MAX_HD || d->n_rot > MAX_HD) {
		seterr(err, errlen, "cuda: head size %d/%d is over %d", d->hd_k, d->hd_v, MAX_HD);
		return nullptr;
	}
	if (d->n_head_kv <= 0 || d->n_head % d->n_head_kv) {
		seterr(err, errlen, "cuda: %d query heads do not share %d KV heads evenly", d->n_head, d->n_head_kv);
		return nullptr;
	}
	m = new eng_cuda_model();
	m->d = *d;
	m->d.layers = nullptr;
	m->d.rope_ff = nullptr;
	m->layers = new dlayer[d->n_layer];
	// The token embeddings stay in GGUF blocks: rows are looked up (k_get_rows), and a tied
	// output product takes the float path.
	if (upload(d->tok_embd, "token_embd.weight", &m->tok_embd, err, errlen, false) ||
	    upload(d->output_norm, "output_norm.weight", &m->output_norm, err, errlen) ||
	    upload(d->output, "output.weight", &m->output, err, errlen))
		goto fail;
	for (int il = 0; il < d->n_layer; il++) {
		const eng_cuda_layer *s = &d->layers[il];
		dlayer *L = &m->layers[il];
		const struct { const eng_cuda_tensor *s; dtensor *t; const char *n; } all[] = {
			{ &s->attn_norm, &L->attn_norm, "attn_norm" }, { &s->wq, &L->wq, "attn_q" },
			{ &s->wk, &L->wk, "attn_k" }, { &s->wv, &L->wv, "attn_v" }, { &s->wo, &L->wo, "attn_output" },
			{ &s->bq, &L->bq, "attn_q.bias" }, { &s->bk, &L->bk, "attn_k.bias" },
			{ &s->bv, &L->bv, "attn_v.bias" }, { &s->bo, &L->bo, "attn_output.bias" },
			{ &s->q_norm, &L->q_norm, "attn_q_norm" }, { &s->k_norm, &L->k_norm, "attn_k_norm" },
			{ &s->ffn_norm, &L->ffn_norm, "ffn_norm" }, { &s->ffn_gate, &L->ffn_gate, "ffn_gate" },
			{ &s->ffn_up, &L->ffn_up, "ffn_up" }, { &s->ffn_down, &L->ffn_down, "ffn_down" },
		};
		for (const auto &a : all) {
			snprintf(nm, sizeof nm, "blk.%d.%s", il, a.n);
			if (upload(*a.s, nm, a.t, err, errlen))
				goto fail;
		}
	}
	if (d->rope_ff) {
		const size_t b = sizeof(float) * (size_t)(d->n_rot / 2);
		if (cudaMalloc(&m->rope_ff, b) != cudaSuccess ||
		    cudaMemcpy(m->rope_ff, d->rope_ff, b, cudaMemcpyHostToDevice) != cudaSuccess) {
			seterr(err, errlen, "cuda: cannot upload the rope frequencies");
			goto fail;
		}
	}
	return m;
fail:
	eng_cuda_model_free(m);
	return nullptr;
}

extern "C" void eng_cuda_ctx_free(eng_cuda_ctx *c)
{
	if (!c)
		return;
	for (int il = 0; c->ck && il < c->m->d.n_layer; il++) {
		if (c->ck[il])
			cudaFree(c->ck[il]);
		if (c->cv[il])
			cudaFree(c->cv[il]);
	}
	delete[] c->ck;
	delete[] c->cv;
	for (cudaGraphExec_t g : c->graph)
		if (g)
			cudaGraphExecDestroy(g);
	if (c->h_x)
		cudaFreeHost(c->h_x);
	if (c->st)
		cudaStreamDestroy(c->st);
	if (c->st2)
		cudaStreamDestroy(c->st2);
	for (int i = 0; i < 2; i++) {
		if (c->ev_deq[i])
			cudaEventDestroy(c->ev_deq[i]);
		if (c->ev_use[i])
			cudaEventDestroy(c->ev_use[i]);
	}
	if (c->h_in)
		cudaFreeHost(c->h_in);
	if (c->h_logits)
		cudaFreeHost(c->h_logits);
	void *bufs[] = { c->x, c->xn, c->q, c->k, c->v, c->att, c->o, c->gate, c->up, c->xo, c->logits, c->xq,
		c->tok, c->seq, c->pos, c->oidx, c->act[0].q, c->act[0].d, c->act[0].s, c->act[1].q, c->act[1].d,
		c->act[1].s, c->xh, c->wh[0], c->wh[1] };
	for (void *p : bufs)
		if (p)
			cudaFree(p);
	delete c;
}

extern "C" eng_cuda_ctx *eng_cuda_ctx_new(eng_cuda_model *m, int n_ctx, int n_seq, int n_batch, int n_out_max,
	char *err, size_t errlen)
{
	const eng_cuda_model_desc &d = m->d;
	eng_cuda_ctx *c = new eng_cuda_ctx();
	const size_t B = (size_t)n_batch, kvk = (size_t)d.n_head_kv * d.hd_k, kvv = (size_t)d.n_head_kv * d.hd_v;
	size_t big = (size_t)d.n_embd > (size_t)d.n_ff ? (size_t)d.n_embd : (size_t)d.n_ff;
	const size_t R = (size_t)(n_out_max > n_batch ? n_out_max : n_batch);   // rows of xn and act
	if ((size_t)d.n_head * d.hd_v > big)
		big = (size_t)d.n_head * d.hd_v;
	cudaError_t e = cudaSuccess;
	c->m = m;
	c->n_ctx = n_ctx;
	c->n_seq = n_seq;
	c->n_batch = n_batch;
	c->n_out_max = n_out_max;
	{
		// For comparing launch modes on a device: TB_CUDA_MMVQ_WARPS=4 (one row per block of 4
		// warps instead of a row per warp), TB_CUDA_PDL=1 (programmatic dependent launch in
		// the one-token graph, sm_90 on; off by default: correct only with the products'
		// activations read through L2, which made decode slower on an H200 than plain launches).
		const char *ev = getenv("TB_CUDA_MMVQ_WARPS"), *pv = getenv("TB_CUDA_PDL");
		int major = 0;
		c->mv_warps = ev && atoi(ev) == 4 ? 4 : 1;
		cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0);
		c->pdl = major >= 9 && pv && atoi(pv) == 1;
	}
	c->ck = new __half *[d.n_layer]();
	c->cv = new __half *[d.n_layer]();
	for (int il = 0; il < d.n_layer && e == cudaSuccess; il++) {
		e = cudaMalloc(&c->ck[il], sizeof(__half) * (size_t)n_seq * n_ctx * kvk);
		if (e == cudaSuccess)
			e = cudaMalloc(&c->cv[il], sizeof(__half) * (size_t)n_seq * n_ctx * kvv);
	}
	struct { void **p; size_t n; } bufs[] = {
		{ (void **)&c->x, B * d.n_embd * 4 }, { (void **)&c->xn, R * big * 4 },
		{ (void **)&c->q, B * d.n_head * d.hd_k * 4 }, { (void **)&c->k, B * kvk * 4 },
		{ (void **)&c->v, B * kvv * 4 }, { (void **)&c->att, B * d.n_head * d.hd_v * 4 },
		{ (void **)&c->o, B * d.n_embd * 4 }, { (void **)&c->gate, B * d.n_ff * 4 },
		{ (void **)&c->up, B * d.n_ff * 4 }, { (void **)&c->xo, (size_t)n_out_max * d.n_embd * 4 },
		{ (void **)&c->logits, (size_t)n_out_max * d.n_vocab * 4 },
		{ (void **)&c->xq, R * big * 4 },
		{ (void **)&c->act[0].q, R * big }, { (void **)&c->act[0].d, R * big / 8 },
		{ (void **)&c->act[0].s, R * big / 4 }, { (void **)&c->act[1].q, R * big },
		{ (void **)&c->act[1].d, R * big / 8 }, { (void **)&c->act[1].s, R * big / 4 },
		{ (void **)&c->tok, B * 4 }, { (void **)&c->seq, B * 4 }, { (void **)&c->pos, B * 4 },
		{ (void **)&c->oidx, B * 4 },
	};
	for (auto &b : bufs)
		if (e == cudaSuccess)
			e = cudaMalloc(b.p, b.n);
	if (e == cudaSuccess)
		e = cudaStreamCreateWithFlags(&c->st, cudaStreamNonBlocking);
	if (e == cudaSuccess)
		e = cudaMallocHost(&c->h_in, B * 4 * sizeof(int));
	if (e == cudaSuccess)
		e = cudaMallocHost(&c->h_logits, (size_t)n_out_max * d.n_vocab * sizeof(float));
	if (e == cudaSuccess)
		e = cudaMallocHost(&c->h_x, B * d.n_embd * sizeof(float));
	if (e == cudaSuccess && (int)R >= MMA_MIN) {
		// Prefill buffers: the widest input as F16 rows, and weight chunks of up to WH_BYTES
		// (at least 128 rows of the widest input).
		const size_t kp = (size_t)cu_mma_kpad((int64_t)big);
		c->wh_bytes = WH_BYTES > 128 * kp * 2 ? WH_BYTES : 128 * kp * 2;
		e = cudaMalloc(&c->xh, R * kp * 2);
		for (int i = 0; i < 2 && e == cudaSuccess; i++) {
			e = cudaMalloc(&c->wh[i], c->wh_bytes);
			if (e == cudaSuccess)
				e = cudaEventCreateWithFlags(&c->ev_deq[i], cudaEventDisableTiming);
			if (e == cudaSuccess)
				e = cudaEventCreateWithFlags(&c->ev_use[i], cudaEventDisableTiming);
		}
		if (e == cudaSuccess)
			e = cudaStreamCreateWithFlags(&c->st2, cudaStreamNonBlocking);
	}
	if (e != cudaSuccess) {
		seterr(err, errlen, "cuda: context of %d cells x %d sequences: %s", n_ctx, n_seq, cudaGetErrorString(e));
		eng_cuda_ctx_free(c);
		return nullptr;
	}
	return c;
}

namespace {

// Y[t] = W X[t] for n tokens, MAXT tokens per pass over the weights; X is first rounded as the
// CPU rounds it (into scratch, n x w.ne0 floats).
void matmul(const dtensor &w, const float *X, int n, float *Y, float *scratch, cudaStream_t st)
{
	const dim3 blk(32, 4);
	const int kind = act_kind(w.type);
	if (kind == ACT_F16 || kind == ACT_BF16) {
		const int64_t tot = (int64_t)n * w.ne0;
		k_act_round<<<(unsigned)((tot + 255) / 256), 256, 0, st>>>(kind, X, scratch, tot);
		X = scratch;
	} else if (kind != ACT_NONE) {
		const int qb = kind == ACT_Q8_K ? 256 : 32;
		k_act_q8<<<dim3((unsigned)(w.ne0 / qb), n), qb, 0, st>>>(kind, X, scratch, w.ne0);
		X = scratch;
	}
	const unsigned grid = (unsigned)((w.ne1 + 3) / 4);
	for (int t0 = 0; t0 < n; t0 += MAXT) {
		const int nt = n - t0 < MAXT ? n - t0 : MAXT;
		k_matvec<<<grid, blk, 0, st>>>(w.type, w.d, w.rb, w.ne0, w.ne1, X + (size_t)t0 * w.ne0, w.ne0,
			Y + (size_t)t0 * w.ne1, w.ne1, nt);
	}
}

unsigned blocks(int64_t n, int b)
{
	return (unsigned)((n + b - 1) / b);
}

// Buffers of a group of products over one input: rounded activations for the 8-bit kernels,
// and for the float path the normalised input (xn), its rounding (xq) and results to be added
// (tmp), each at least n x the widths involved.
struct pbufs {
	cu_qact act[2];
	float *xn, *xq, *tmp;
	float eps;
	void *xh, *wh[2];            // prefill buffers (NULL: none), each wh of wh_bytes
	size_t wh_bytes;
	int mma_min;                 // tokens from which the tensor-core path is taken
	int gemm_bn;                 // tokens per product tile (0: chosen by the shape; tests)
	cu_mv_opts mv;               // the 8-bit products' layout and launch
	// With st2: weight chunks are dequantized on st2 into wh[i % 2] while the products of the
	// previous chunk run (ev_deq[b]: chunk in buffer b ready; ev_use[b]: its product done).
	cudaStream_t st2;
	cudaEvent_t *ev_deq, *ev_use;
	unsigned *chunk;             // chunks so far (which buffer is next)
};

// One product of a group: y (+)= W x (+ bias).
struct pjob {
	const dtensor *w;
	float *y;
	const float *bias;
	bool add;
};

// Products of every job with X ([n][ncols]; with normw, RMS-normalised times normw first).
// Packed weights take the 8-bit kernels (X rounded once per rounding kind; consecutive jobs of
// one type share a launch), the others the float path.
void products(const pbufs &b, const float *X, const float *normw, int n, int64_t ncols, const pjob *jobs, int nj,
	cudaStream_t st)
{
	pjob rest[3];
	if (b.xh && n >= b.mma_min && nj <= 3) {
		// Tensor cores for every weight but F32 (whose CPU products keep F32 activations); the
		// input rounded to F16 (BF16 for BF16 weights) once per element type.
		const int64_t kp = cu_mma_kpad(ncols);
		// Rows r0 .. r0+nrow-1 of J's weight as F16/BF16 rows at dst, on stream ds.
		auto deq = [&](const pjob &J, int el, int64_t r0, int64_t nrow, void *dst, cudaStream_t ds) {
			if (J.w->packed)
				cu_dequant(J.w->type, J.w->d, J.w->ne1, ncols, r0, nrow, dst, kp, ds);
			else if (el == CU_EL_BF16)
				k_deq_el<__nv_bfloat16><<<blocks(nrow * (kp / 8), 256), 256, 0, ds>>>(J.w->type, J.w->d, J.w->rb,
					ncols, r0, nrow, (__nv_bfloat16 *)dst, kp);
			else
				k_deq_el<__half><<<blocks(nrow * (kp / 8), 256), 256, 0, ds>>>(J.w->type, J.w->d, J.w->rb, ncols,
					r0, nrow, (__half *)dst, kp);
		};
		// Jobs of one element type and one add flag whose rows fit one chunk together (Q, K and
		// V): dequantized one after another and multiplied in one launch.
		const int el0 = jobs[0].w->type == T_BF16 ? CU_EL_BF16 : CU_EL_F16;
		bool fuse = nj > 1;
		int64_t tot = 0;
		for (int j = 0; j < nj; j++) {
			const pjob &J = jobs[j];
			fuse = fuse && J.w->type != T_F32 && (J.w->type == T_BF16 ? CU_EL_BF16 : CU_EL_F16) == el0 &&
				J.add == jobs[0].add;
			tot += J.w->ne1;
		}
		if (fuse && (size_t)tot * (size_t)kp * 2 <= b.wh_bytes) {
			const int bi = b.st2 ? (int)((*b.chunk)++ & 1) : 0;
			const cudaStream_t ds = b.st2 ? b.st2 : st;
			cu_gemm_out out = {};
			int64_t r = 0;
			cu_to_el(el0, X, normw, b.eps, n, ncols, b.xh, kp, st);
			if (b.st2)
				cudaStreamWaitEvent(ds, b.ev_use[bi], 0);
			out.nseg = nj;
			for (int j = 0; j < nj; j++) {
				const pjob &J = jobs[j];
				deq(J, el0, 0, J.w->ne1, (char *)b.wh[bi] + (size_t)r * (size_t)kp * 2, ds);
				out.rows[j] = J.w->ne1;
				out.C[j] = J.y;
				out.ldc[j] = J.w->ne1;
				out.bias[j] = J.bias;
				r += J.w->ne1;
			}
			if (b.st2) {
				cudaEventRecord(b.ev_deq[bi], ds);
				cudaStreamWaitEvent(st, b.ev_deq[bi], 0);
			}
			cu_gemm_seg(el0, b.wh[bi], kp, b.xh, kp, n, kp, out, jobs[0].add, b.gemm_bn, st);
			if (b.st2)
				cudaEventRecord(b.ev_use[bi], st);
			return;
		}
		int nr = 0, cur = -1;
		for (int j = 0; j < nj; j++) {
			const pjob &J = jobs[j];
			if (J.w->type == T_F32) {
				rest[nr++] = J;
				continue;
			}
			const int el = J.w->type == T_BF16 ? CU_EL_BF16 : CU_EL_F16;
			if (el != cur)
				cu_to_el(el, X, normw, b.eps, n, ncols, b.xh, kp, st);
			cur = el;
			const int64_t rows = J.w->ne1, step = (int64_t)(b.wh_bytes / ((size_t)kp * 2)) / 128 * 128;
			for (int64_t r0 = 0; r0 < rows; r0 += step) {
				const int64_t nrow = rows - r0 < step ? rows - r0 : step;
				const int bi = b.st2 ? (int)((*b.chunk)++ & 1) : 0;
				const cudaStream_t ds = b.st2 ? b.st2 : st;
				void *wh = b.wh[bi];
				if (b.st2)
					cudaStreamWaitEvent(ds, b.ev_use[bi], 0);
				deq(J, el, r0, nrow, wh, ds);
				if (b.st2) {
					cudaEventRecord(b.ev_deq[bi], ds);
					cudaStreamWaitEvent(st, b.ev_deq[bi], 0);
				}
				cu_gemm(el, wh, kp, b.xh, kp, nrow, n, kp, J.y + r0, rows, J.bias ? J.bias + r0 : nullptr, J.add,
					b.gemm_bn, st);
				if (b.st2)
					cudaEventRecord(b.ev_use[bi], st);
			}
		}
		if (!nr)
			return;
		jobs = rest;
		nj = nr;
	}
	bool need_float = false, need_act[2] = { false, false };
	for (int j = 0; j < nj; j++) {
		if (jobs[j].w->packed)
			need_act[cu_mmvq_act(jobs[j].w->type)] = true;
		else
			need_float = true;
	}
	for (int k = 0; k < 2; k++)
		if (need_act[k])
			cu_quant_act(k, X, normw, b.eps, n, ncols, b.act[k], b.mv.pdl, st);
	const float *xf = X;
	if (need_float && normw) {
		k_rmsnorm<<<n, 256, 0, st>>>(X, normw, b.xn, (int)ncols, b.eps);
		xf = b.xn;
	}
	for (int j = 0; j < nj;) {
		const pjob &J = jobs[j];
		if (J.w->packed) {
			cu_mv_seg seg[3];
			int ns = 0;
			while (j < nj && ns < 3 && jobs[j].w->packed && jobs[j].w->type == J.w->type && jobs[j].add == J.add) {
				seg[ns++] = { jobs[j].w->d, jobs[j].w->ne1, jobs[j].y, jobs[j].bias };
				j++;
			}
			cu_mmvq(J.w->type, seg, ns, nullptr, ncols, b.act[cu_mmvq_act(J.w->type)], n, J.add, b.mv, st);
			continue;
		}
		const int64_t rows = J.w->ne1, tot = (int64_t)n * rows;
		float *out = J.add ? b.tmp : J.y;
		matmul(*J.w, xf, n, out, b.xq, st);
		if (J.bias)
			k_bias<<<blocks(tot, 256), 256, 0, st>>>(out, J.bias, rows, tot);
		if (J.add)
			k_add<<<blocks(tot, 256), 256, 0, st>>>(J.y, out, tot);
		j++;
	}
}

}  // namespace

namespace {

// Enqueues the forward pass of n tokens (inputs already in c->h_in) on c->st, ending with the
// logits of n_out rows copied into c->h_logits, or with hidden: the hidden state after the last
// layer copied into c->h_x. one_seq: every token is of one sequence (at consecutive positions).
// pdl: the 8-bit products, their roundings, RoPE and the attention as programmatic dependent
// launches (each starts while the kernel before it ends, its first weight loads in flight).
void forward(eng_cuda_ctx *c, int n, int n_out, bool hidden, bool one_seq, bool pdl)
{
	const eng_cuda_model *m = c->m;
	const eng_cuda_model_desc &d = m->d;
	const cudaStream_t st = c->st;
	const int E = d.n_embd, F = d.n_ff;
	const float theta_scale = powf(d.rope_base, -2.0f / (float)d.n_rot);
	const size_t B = (size_t)c->n_batch;
	const pbufs pb = { { c->act[0], c->act[1] }, c->xn, c->xq, c->o, d.norm_eps, c->xh, { c->wh[0], c->wh[1] },
		c->wh_bytes, MMA_MIN, 0, { c->mv_warps, pdl ? 1 : 0 }, c->st2, c->ev_deq, c->ev_use, &c->chunk };
	const bool prefill = c->xh && n >= MMA_MIN;

	cudaMemcpyAsync(c->tok, c->h_in, sizeof(int) * n, cudaMemcpyHostToDevice, st);
	cudaMemcpyAsync(c->seq, c->h_in + B, sizeof(int) * n, cudaMemcpyHostToDevice, st);
	cudaMemcpyAsync(c->pos, c->h_in + 2 * B, sizeof(int) * n, cudaMemcpyHostToDevice, st);
	cudaMemcpyAsync(c->oidx, c->h_in + 3 * B, sizeof(int) * n, cudaMemcpyHostToDevice, st);
	k_get_rows<<<dim3(blocks(E, 256 * 8), n), 256, 0, st>>>(m->tok_embd.type, m->tok_embd.d, m->tok_embd.rb, E, c->tok, c->x);
	for (int il = 0; il < d.n_layer; il++) {
		const dlayer &L = m->layers[il];

		const pjob qkv[3] = { { &L.wq, c->q, (const float *)L.bq.d, false }, { &L.wk, c->k, (const float *)L.bk.d, false },
			{ &L.wv, c->v, (const float *)L.bv.d, false } };
		products(pb, c->x, (const float *)L.attn_norm.d, n, E, qkv, 3, st);
		if (L.q_norm.d)
			k_rmsnorm<<<n * d.n_head, 64, 0, st>>>(c->q, (const float *)L.q_norm.d, c->q, d.hd_k, d.norm_eps);
		if (L.k_norm.d)
			k_rmsnorm<<<n * d.n_head_kv, 64, 0, st>>>(c->k, (const float *)L.k_norm.d, c->k, d.hd_k, d.norm_eps);
		launch_k(k_rope_kv, dim3(d.n_head + d.n_head_kv, n), 128, pdl, st, c->q, c->k, (const float *)c->v, c->ck[il],
			c->cv[il], d.n_head, d.n_head_kv, d.hd_k, d.hd_v, d.n_rot, (const int *)c->pos, (const int *)c->seq,
			c->n_ctx, theta_scale, d.rope_freq_scale, (const float *)m->rope_ff, d.rope_neox);
		if (prefill && one_seq && attn_tile_fits(d.hd_k, d.hd_v)) {
			cudaFuncSetAttribute(k_attn_tile, cudaFuncAttributeMaxDynamicSharedMemorySize,
				(int)attn_tile_smem(d.hd_k, d.hd_v));
			k_attn_tile<<<dim3(d.n_head, blocks(n, AT_Q)), AT_THREADS, attn_tile_smem(d.hd_k, d.hd_v), st>>>(c->q,
				c->ck[il], c->cv[il], c->att, n, d.n_head, d.n_head_kv, d.hd_k, d.hd_v, c->seq, c->pos, c->n_ctx,
				1.0f / sqrtf((float)d.hd_k));
		} else {
			launch_k(k_attn, dim3(d.n_head, n), 32 * ATT_WARPS, pdl, st, (const float *)c->q, (const __half *)c->ck[il],
				(const __half *)c->cv[il], c->att, d.n_head, d.n_head_kv, d.hd_k, d.hd_v, (const int *)c->seq,
				(const int *)c->pos, c->n_ctx, 1.0f / sqrtf((float)d.hd_k));
		}
		const pjob wo = { &L.wo, c->x, (const float *)L.bo.d, true };
		products(pb, c->att, nullptr, n, (int64_t)d.n_head * d.hd_v, &wo, 1, st);
		const float *fnorm = (const float *)L.ffn_norm.d;
		if (!prefill && L.ffn_gate.packed && L.ffn_up.packed && L.ffn_gate.type == L.ffn_up.type) {
			// gate and up in one pass, SwiGLU applied as the rows come out
			const int kind = cu_mmvq_act(L.ffn_gate.type);
			const cu_mv_seg g = { L.ffn_gate.d, F, c->gate, nullptr };
			cu_quant_act(kind, c->x, fnorm, d.norm_eps, n, E, c->act[kind], pb.mv.pdl, st);
			cu_mmvq(L.ffn_gate.type, &g, 1, L.ffn_up.d, E, c->act[kind], n, 0, pb.mv, st);
		} else {
			const pjob gu[2] = { { &L.ffn_gate, c->gate, nullptr, false }, { &L.ffn_up, c->up, nullptr, false } };
			products(pb, c->x, fnorm, n, E, gu, 2, st);
			k_swiglu<<<blocks((int64_t)n * F, 256), 256, 0, st>>>(c->gate, c->up, (int64_t)n * F);
		}
		const pjob down = { &L.ffn_down, c->x, nullptr, true };
		products(pb, c->gate, nullptr, n, F, &down, 1, st);
	}
	if (hidden) {
		cudaMemcpyAsync(c->h_x, c->x, sizeof(float) * (size_t)n * E, cudaMemcpyDeviceToHost, st);
	} else if (n_out > 0) {
		k_gather<<<dim3(blocks(E, 256), n), 256, 0, st>>>(c->x, c->oidx, c->xo, E);
		const pjob out = { m->output.d ? &m->output : &m->tok_embd, c->logits, nullptr, false };
		products(pb, c->xo, (const float *)m->output_norm.d, n_out, E, &out, 1, st);
		cudaMemcpyAsync(c->h_logits, c->logits, sizeof(float) * (size_t)n_out * d.n_vocab,
			cudaMemcpyDeviceToHost, st);
	}
}

}  // namespace

extern "C" int eng_cuda_decode(eng_cuda_ctx *c, int n, const int32_t *tok, const int *seq, const int *pos,
	const int *out_index, int n_out, float *logits, float *hidden)
{
	const size_t B = (size_t)c->n_batch;
	cudaError_t e = cudaSuccess;
	bool one_seq = true;

	if (n <= 0 || n > c->n_batch || n_out > c->n_out_max)
		return -1;
	for (int i = 1; i < n; i++)
		one_seq = one_seq && seq[i] == seq[0];
	if (hidden)
		n_out = 0;
	memcpy(c->h_in, tok, sizeof(int) * n);
	memcpy(c->h_in + B, seq, sizeof(int) * n);
	memcpy(c->h_in + 2 * B, pos, sizeof(int) * n);
	memcpy(c->h_in + 3 * B, out_index, sizeof(int) * n);
	if (n == 1 && (n_out == 1 || hidden)) {
		// One token, one row of logits (or the hidden state): every such step is the same graph
		// (positions and sequences are read from device memory), captured once and replayed.
		// With programmatic dependent launches when the device takes them; a capture that fails
		// with them is captured again without.
		cudaGraphExec_t &ge = c->graph[hidden ? 1 : 0];
		for (int attempt = 0; !ge && attempt < 2; attempt++) {
			cudaGraph_t g = nullptr;
			e = cudaStreamBeginCapture(c->st, cudaStreamCaptureModeThreadLocal);
			if (e == cudaSuccess) {
				forward(c, 1, n_out, hidden != nullptr, true, c->pdl);
				e = cudaStreamEndCapture(c->st, &g);
			}
			if (e == cudaSuccess)
				e = cudaGraphInstantiate(&ge, g, 0);
			if (g)
				cudaGraphDestroy(g);
			if (e == cudaSuccess || !c->pdl)
				break;
			fprintf(stderr, "cuda: capture with programmatic dependent launch: %s; without\n", cudaGetErrorString(e));
			cudaGetLastError();
			ge = nullptr;
			c->pdl = false;
		}
		if (e == cudaSuccess)
			e = cudaGraphLaunch(ge, c->st);
	} else {
		forward(c, n, n_out, hidden != nullptr, one_seq, false);
	}
	if (e == cudaSuccess)
		e = cudaStreamSynchronize(c->st);
	if (e == cudaSuccess)
		e = cudaGetLastError();
	if (e != cudaSuccess) {
		fprintf(stderr, "cuda: decode: %s\n", cudaGetErrorString(e));
		return -1;
	}
	if (hidden)
		memcpy(hidden, c->h_x, sizeof(float) * (size_t)n * c->m->d.n_embd);
	else if (n_out > 0)
		memcpy(logits, c->h_logits, sizeof(float) * (size_t)n_out * c->m->d.n_vocab);
	return 0;
}

extern "C" int eng_cuda_matvec_test(int type, int64_t ne0, int64_t ne1, const void *w, const float *x, int n_tok,
	int mma, int mv_warps, float *y, char *err, size_t errlen)
{
	dtensor t;
	const cudaStream_t st = 0;
	eng_cuda_tensor s = { type, ne0, ne1, w, row_bytes(type, ne0) * (size_t)ne1 };
	float *dx = nullptr, *dy = nullptr, *ds = nullptr;
	pbufs pb = {};
	const size_t nx = (size_t)n_tok * ne0;
	cudaError_t e;
	if (!blck(type) || ne0 % blck(type)) {
		seterr(err, errlen, "cuda: type %d, row %lld: not supported", type, (long long)ne0);
		return -1;
	}
	if (upload(s, "test", &t, err, errlen))
		return -1;
	e = cudaMalloc(&dx, sizeof(float) * (size_t)n_tok * ne0);
	if (e == cudaSuccess)
		e = cudaMalloc(&dy, sizeof(float) * (size_t)n_tok * ne1);
	if (e == cudaSuccess)
		e = cudaMalloc(&ds, sizeof(float) * nx);
	for (int k = 0; k < 2 && e == cudaSuccess; k++) {
		e = cudaMalloc(&pb.act[k].q, nx);
		if (e == cudaSuccess)
			e = cudaMalloc(&pb.act[k].d, nx / 8);
		if (e == cudaSuccess)
			e = cudaMalloc(&pb.act[k].s, nx / 4);
	}
	if (e == cudaSuccess && mma) {
		// the tensor-core path for any n, weights dequantized 128 rows at a time
		const size_t kp = (size_t)cu_mma_kpad(ne0);
		pb.wh_bytes = 128 * kp * 2;
		pb.mma_min = 1;
		pb.gemm_bn = mma == 64 || mma == 128 ? mma : 0;
		e = cudaMalloc(&pb.xh, (size_t)n_tok * kp * 2);
		if (e == cudaSuccess)
			e = cudaMalloc(&pb.wh[0], pb.wh_bytes);
	}
	pb.mv.warps = mv_warps == 4 ? 4 : 1;
	if (e == cudaSuccess)
		e = cudaMemcpy(dx, x, sizeof(float) * nx, cudaMemcpyHostToDevice);
	if (e == cudaSuccess) {
		const pjob j = { &t, dy, nullptr, false };
		pb.xq = ds;
		products(pb, dx, nullptr, n_tok, ne0, &j, 1, st);
		e = cudaMemcpy(y, dy, sizeof(float) * (size_t)n_tok * ne1, cudaMemcpyDeviceToHost);
	}
	if (e == cudaSuccess)
		e = cudaGetLastError();
	release(&t);
	cudaFree(dx);
	cudaFree(dy);
	cudaFree(ds);
	cudaFree(pb.xh);
	cudaFree(pb.wh[0]);
	for (int k = 0; k < 2; k++) {
		cudaFree(pb.act[k].q);
		cudaFree(pb.act[k].d);
		cudaFree(pb.act[k].s);
	}
	if (e != cudaSuccess) {
		seterr(err, errlen, "cuda: %s", cudaGetErrorString(e));
		return -1;
	}
	return 0;
}

extern "C" int eng_cuda_attn_test(int n_head, int n_head_kv, int hd_k, int hd_v, int n_tok, int n_kv, const float *q,
	const float *k, const float *v, int tile, float *out, char *err, size_t errlen)
{
	const size_t nq = (size_t)n_tok * n_head * hd_k, nk = (size_t)n_kv * n_head_kv * hd_k;
	const size_t nv = (size_t)n_kv * n_head_kv * hd_v, no = (size_t)n_tok * n_head * hd_v;
	float *dq = nullptr, *dout = nullptr;
	__half *ck = nullptr, *cv = nullptr, *hk = nullptr, *hv = nullptr;
	int *seq = nullptr, *pos = nullptr, *hp = nullptr;
	cudaError_t e;
	if (n_head <= 0 || n_head_kv <= 0 || n_head % n_head_kv || hd_k <= 0 || hd_k > MAX_HD || hd_v <= 0 ||
	    hd_v > MAX_HD || n_tok <= 0 || n_kv < n_tok || (tile && !attn_tile_fits(hd_k, hd_v))) {
		seterr(err, errlen, "cuda: attention test shape not supported");
		return -1;
	}
	hk = (__half *)malloc(sizeof(__half) * nk);
	hv = (__half *)malloc(sizeof(__half) * nv);
	hp = (int *)calloc((size_t)n_tok * 2, sizeof(int));
	if (!hk || !hv || !hp) {
		free(hk);
		free(hv);
		free(hp);
		seterr(err, errlen, "cuda: out of memory");
		return -1;
	}
	for (size_t i = 0; i < nk; i++)
		hk[i] = __float2half_rn(k[i]);
	for (size_t i = 0; i < nv; i++)
		hv[i] = __float2half_rn(v[i]);
	for (int t = 0; t < n_tok; t++)
		hp[n_tok + t] = n_kv - n_tok + t;   // seq 0 (the first n_tok ints), then positions
	e = cudaMalloc(&dq, sizeof(float) * nq);
	if (e == cudaSuccess)
		e = cudaMalloc(&dout, sizeof(float) * no);
	if (e == cudaSuccess)
		e = cudaMalloc(&ck, sizeof(__half) * nk);
	if (e == cudaSuccess)
		e = cudaMalloc(&cv, sizeof(__half) * nv);
	if (e == cudaSuccess)
		e = cudaMalloc(&seq, sizeof(int) * 2 * (size_t)n_tok);
	if (e == cudaSuccess) {
		pos = seq + n_tok;
		e = cudaMemcpy(dq, q, sizeof(float) * nq, cudaMemcpyHostToDevice);
	}
	if (e == cudaSuccess)
		e = cudaMemcpy(ck, hk, sizeof(__half) * nk, cudaMemcpyHostToDevice);
	if (e == cudaSuccess)
		e = cudaMemcpy(cv, hv, sizeof(__half) * nv, cudaMemcpyHostToDevice);
	if (e == cudaSuccess)
		e = cudaMemcpy(seq, hp, sizeof(int) * 2 * (size_t)n_tok, cudaMemcpyHostToDevice);
	if (e == cudaSuccess && tile) {
		e = cudaFuncSetAttribute(k_attn_tile, cudaFuncAttributeMaxDynamicSharedMemorySize,
			(int)attn_tile_smem(hd_k, hd_v));
		if (e == cudaSuccess)
			k_attn_tile<<<dim3(n_head, blocks(n_tok, AT_Q)), AT_THREADS, attn_tile_smem(hd_k, hd_v)>>>(dq, ck, cv,
				dout, n_tok, n_head, n_head_kv, hd_k, hd_v, seq, pos, n_kv, 1.0f / sqrtf((float)hd_k));
	} else if (e == cudaSuccess) {
		k_attn<<<dim3(n_head, n_tok), 32 * ATT_WARPS>>>(dq, ck, cv, dout, n_head, n_head_kv, hd_k, hd_v, seq, pos,
			n_kv, 1.0f / sqrtf((float)hd_k));
	}
	if (e == cudaSuccess)
		e = cudaGetLastError();
	if (e == cudaSuccess)
		e = cudaMemcpy(out, dout, sizeof(float) * no, cudaMemcpyDeviceToHost);
	cudaFree(dq);
	cudaFree(dout);
	cudaFree(ck);
	cudaFree(cv);
	cudaFree(seq);
	free(hk);
	free(hv);
	free(hp);
	if (e != cudaSuccess) {
		seterr(err, errlen, "cuda: %s", cudaGetErrorString(e));
		return -1;
	}
	return 0;
}
