// engine/cuda/mmvq.cu — 8-bit dot-product matrix-vector kernels for decode (see mmvq.h).
//
// Packed layout of a tensor: all rows' quant bytes (row r at r * nb * QB, QB bytes per block),
// then all rows' scale bytes (MB per block). Every quant region is a multiple of 16 bytes, so a
// lane reads its work item (WB bytes of one block) in 16-byte loads. A work item decodes to P
// parts of 16 signed 8-bit weights with an integer scale (and an integer coefficient on the
// activation sum for types with a minimum); the product of a part with the rounded activations
// is four __dp4a. Q6_K's low and high bits are interleaved at packing so that one item's 48
// bytes are contiguous.
#include "engine/cuda/mmvq.h"
#include "engine/cuda/rms.cuh"

#include <cuda_fp16.h>

#include <stdlib.h>
#include <string.h>

namespace {

// The block decoding and item products are host-device functions: cu_mmvq_host runs the same
// code on the host, so its arithmetic is testable without a device.
#define HD __host__ __device__ __forceinline__
#ifdef __CUDA_ARCH__
#define TB_UNROLL _Pragma("unroll")
#else
#define TB_UNROLL
#endif

HD int dp4a(int a, int b, int c)
{
#ifdef __CUDA_ARCH__
	return __dp4a(a, b, c);
#else
	for (int i = 0; i < 4; i++)
		c += (int)(signed char)(a >> (8 * i)) * (int)(signed char)(b >> (8 * i));
	return c;
#endif
}

// Byte i of the result is byte (s >> 4i) & 7 of the pair (a, b) (selectors below 8 only).
HD unsigned perm(unsigned a, unsigned b, unsigned s)
{
#ifdef __CUDA_ARCH__
	return __byte_perm(a, b, s);
#else
	const unsigned long long ab = (unsigned long long)b << 32 | a;
	unsigned r = 0;
	for (int i = 0; i < 4; i++)
		r |= (unsigned)((ab >> (8 * ((s >> (4 * i)) & 7))) & 0xff) << (8 * i);
	return r;
#endif
}

// Activation loads: through the read-only path (L1), or with l2 through L2 only
// (ld.global.cg). Under programmatic dependent launch a kernel starts before the kernel that
// writes its activations has finished, so the data is not read-only for the kernel's lifetime:
// blocks of the previous product on the same multiprocessor left that buffer's old contents in
// L1, and read-only loads gave wrong decode steps (seen on an H200). L2-only loads are correct
// there but cost (every row reads the whole activation row from L2).
HD int4 ld16(const signed char *p, bool l2)
{
#ifdef __CUDA_ARCH__
	return l2 ? __ldcg((const int4 *)p) : __ldg((const int4 *)p);
#else
	(void)l2;
	int4 v;
	memcpy(&v, p, sizeof v);
	return v;
#endif
}

template <typename T> HD T ldact(const T *p, bool l2)
{
#ifdef __CUDA_ARCH__
	return l2 ? __ldcg(p) : __ldg(p);
#else
	(void)l2;
	return *p;
#endif
}

HD float fmul(float a, float b)
{
#ifdef __CUDA_ARCH__
	return __fmul_rn(a, b);
#else
	return a * b;
#endif
}

HD float fadd(float a, float b)
{
#ifdef __CUDA_ARCH__
	return __fadd_rn(a, b);
#else
	return a + b;
#endif
}

HD float fsub(float a, float b)
{
#ifdef __CUDA_ARCH__
	return __fsub_rn(a, b);
#else
	return a - b;
#endif
}

enum { T_Q8_0 = 8, T_Q2_K = 10, T_Q4_K = 12, T_Q6_K = 14, T_IQ4_NL = 20, T_IQ4_XS = 23 };

// QK elements per block, RAW bytes per GGUF block, QB quant bytes and MB scale bytes per packed
// block, WB bytes per work item, P parts of 16 per item, U items in flight per lane, MIN: the
// type has a term on the activation sums.
template <int T> struct TR;
template <> struct TR<T_Q8_0> { enum { QK = 32, RAW = 34, QB = 32, MB = 2, WB = 32, P = 2, U = 2, MIN = 0 }; };
template <> struct TR<T_IQ4_NL> { enum { QK = 32, RAW = 18, QB = 16, MB = 2, WB = 16, P = 2, U = 2, MIN = 0 }; };
template <> struct TR<T_IQ4_XS> { enum { QK = 256, RAW = 136, QB = 128, MB = 8, WB = 16, P = 2, U = 2, MIN = 0 }; };
template <> struct TR<T_Q4_K> { enum { QK = 256, RAW = 144, QB = 128, MB = 16, WB = 16, P = 2, U = 2, MIN = 1 }; };
template <> struct TR<T_Q6_K> { enum { QK = 256, RAW = 210, QB = 192, MB = 20, WB = 48, P = 4, U = 1, MIN = 1 }; };
template <> struct TR<T_Q2_K> { enum { QK = 256, RAW = 84, QB = 64, MB = 20, WB = 16, P = 4, U = 2, MIN = 1 }; };

struct layout {
	int qk, raw, qb, mb;
};

layout layout_of(int t)
{
	switch (t) {
#define TB_L(T) case T: return { TR<T>::QK, TR<T>::RAW, TR<T>::QB, TR<T>::MB }
	TB_L(T_Q8_0); TB_L(T_IQ4_NL); TB_L(T_IQ4_XS); TB_L(T_Q4_K); TB_L(T_Q6_K); TB_L(T_Q2_K);
#undef TB_L
	default: return { 0, 0, 0, 0 };
	}
}

int wb_of(int t)
{
	switch (t) {
	case T_Q8_0: return TR<T_Q8_0>::WB;
	case T_IQ4_NL: return TR<T_IQ4_NL>::WB;
	case T_IQ4_XS: return TR<T_IQ4_XS>::WB;
	case T_Q4_K: return TR<T_Q4_K>::WB;
	case T_Q6_K: return TR<T_Q6_K>::WB;
	case T_Q2_K: return TR<T_Q2_K>::WB;
	default: return 1;
	}
}

// ---------------------------------------------------------------- packing

// One GGUF block s into its quants dq and scales dm.
// A block whose first nm bytes are its scales and the next nq its quants, split in two.
HD void split_block(const unsigned char *s, unsigned char *dm, int nm, unsigned char *dq, int nq)
{
	for (int j = 0; j < nm; j++)
		dm[j] = s[j];
	for (int j = 0; j < nq; j++)
		dq[j] = s[nm + j];
}

HD void pack_block(int type, const unsigned char *s, unsigned char *dq, unsigned char *dm, int QB)
{
	switch (type) {
	case T_Q8_0:   // d, qs[32]
	case T_IQ4_NL:   // d, qs[16]
		split_block(s, dm, 2, dq, QB);
		break;
	case T_IQ4_XS:   // d, scales_h, scales_l[4], qs[128]
		split_block(s, dm, 8, dq, 128);
		break;
	case T_Q4_K:   // d, dmin, scales[12], qs[128]
		split_block(s, dm, 16, dq, 128);
		break;
	case T_Q6_K:   // ql[128], qh[64], scales[16], d -> items (c, h): ql lo half, ql hi half, qh
		for (int it = 0; it < 4; it++) {
			const int c = it / 2, h = it % 2;
			for (int j = 0; j < 16; j++) {
				dq[48 * it + j] = s[64 * c + 16 * h + j];
				dq[48 * it + 16 + j] = s[64 * c + 32 + 16 * h + j];
				dq[48 * it + 32 + j] = s[128 + 32 * c + 16 * h + j];
			}
		}
		for (int j = 0; j < 18; j++)
			dm[j] = s[192 + j];
		dm[18] = dm[19] = 0;
		break;
	case T_Q2_K:   // scales[16], qs[64], d, dmin
		for (int j = 0; j < 16; j++)
			dm[j] = s[j];
		for (int j = 0; j < 64; j++)
			dq[j] = s[16 + j];
		for (int j = 0; j < 4; j++)
			dm[16 + j] = s[80 + j];
		break;
	default:
		break;
	}
}

// One thread per block: quants to q + i * QB, scales to m + i * MB.
__global__ void k_pack(int type, const unsigned char *raw, int64_t nblk, unsigned char *q, unsigned char *m,
	int RAW, int QB, int MB)
{
	const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i < nblk)
		pack_block(type, raw + i * RAW, q + i * QB, m + i * MB, QB);
}

// ---------------------------------------------------------------- activation rounding

__device__ __forceinline__ float warp_max(float v)
{
	for (int o = 16; o > 0; o >>= 1)
		v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
	return v;
}

// Blocks of 256 threads, blockIdx.y the token, each covering QCHUNK values (with a norm, every
// block first sums the squares of the whole row, in the same order); each warp rounds 256
// values: 8 Q8_0 blocks (one value per lane) or one Q8_K block (8 per lane). The roundings are
// the CPU path's (engine/quant.c).
constexpr int QCHUNK = 2048;
__global__ void __launch_bounds__(256) k_quant(int kind, const float *X, const float *nw, float eps, int64_t ncols,
	signed char *aq, float *ad, int *as)
{
	pdl_trigger();
	const int t = blockIdx.y, lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
	const int64_t c0 = (int64_t)blockIdx.x * QCHUNK / 256 + wid;   // this warp's 256-value chunk
	const float *x = X + (size_t)t * ncols;
	signed char *q = aq + (size_t)t * ncols;
	float *d = ad + (size_t)t * (ncols / 32);
	int *s16 = as + (size_t)t * (ncols / 16);
	// This warp's values and norm weights are loaded first, all in flight together with the
	// row's sum of squares.
	float xv[8], wv[8];
	const int64_t nb32 = ncols / 32;
	const bool k8 = kind != CU_ACT_Q8_0, mine = c0 < ncols / 256;
TB_UNROLL
	for (int j = 0; j < 8; j++) {
		const bool in = k8 ? mine : c0 * 8 + j < nb32;
		wv[j] = nw && in ? nw[k8 ? c0 * 256 + lane * 8 + j : (c0 * 8 + j) * 32 + lane] : 1.f;
	}
	pdl_wait();
TB_UNROLL
	for (int j = 0; j < 8; j++) {
		const bool in = k8 ? mine : c0 * 8 + j < nb32;
		xv[j] = in ? __ldcg(x + (k8 ? c0 * 256 + lane * 8 + j : (c0 * 8 + j) * 32 + lane)) : 0.f;
	}
	const float scale = nw ? block_rms_scale(x, ncols, eps) : 1.f;
	if (kind == CU_ACT_Q8_0) {
TB_UNROLL
		for (int j = 0; j < 8; j++) {
			const int64_t b = c0 * 8 + j;
			if (b >= nb32)
				break;
			const int64_t i = b * 32 + lane;
			const float v = nw ? (xv[j] * scale) * wv[j] : xv[j];
			const float amax = warp_max(fabsf(v));
			const float id = amax != 0.f ? 127.f / amax : 0.f;
			int qi = (int)fminf(fmaxf(rintf(v * id), -128.f), 127.f);
			q[i] = (signed char)qi;
			if (lane == 0)
				d[b] = __half2float(__float2half_rn(amax / 127.f));
			for (int o = 8; o > 0; o >>= 1)
				qi += __shfl_xor_sync(0xffffffffu, qi, o);
			if ((lane & 15) == 0)
				s16[2 * b + lane / 16] = qi;
		}
		return;
	}
	if (mine) {
		const int64_t b = c0, i0 = b * 256 + lane * 8;
		float v[8];
		float am = -1.f;
		int ai = 0;
TB_UNROLL
		for (int j = 0; j < 8; j++) {
			v[j] = nw ? (xv[j] * scale) * wv[j] : xv[j];
			if (fabsf(v[j]) > am) {
				am = fabsf(v[j]);
				ai = lane * 8 + j;
			}
		}
		// The largest magnitude, the first of equal ones, and its signed value.
		for (int o = 16; o > 0; o >>= 1) {
			const float bm = __shfl_xor_sync(0xffffffffu, am, o);
			const int bi = __shfl_xor_sync(0xffffffffu, ai, o);
			if (bm > am || (bm == am && bi < ai)) {
				am = bm;
				ai = bi;
			}
		}
		float mine = 0.f;
TB_UNROLL
		for (int j = 0; j < 8; j++)
			if (lane * 8 + j == ai)
				mine = v[j];
		const float sv = __shfl_sync(0xffffffffu, mine, ai / 8);
		int qv[8], sum = 0;
		float dd = 0.f;
		if (am > 0.f && sv != 0.f) {
			const float iscale = -127.f / sv;
TB_UNROLL
			for (int j = 0; j < 8; j++)
				qv[j] = (int)fminf(fmaxf(rintf(iscale * v[j]), -128.f), 127.f);
			dd = 1.f / iscale;
		} else {
TB_UNROLL
			for (int j = 0; j < 8; j++)
				qv[j] = 0;
		}
		unsigned lo = 0, hi = 0;
TB_UNROLL
		for (int j = 0; j < 4; j++) {
			lo |= (unsigned)(qv[j] & 0xff) << (8 * j);
			hi |= (unsigned)(qv[4 + j] & 0xff) << (8 * j);
			sum += qv[j] + qv[4 + j];
		}
		*(uint2 *)(q + i0) = make_uint2(lo, hi);
		if (lane < 8)
			d[8 * b + lane] = dd;
		sum += __shfl_down_sync(0xffffffffu, sum, 1);
		if ((lane & 1) == 0)
			s16[16 * b + lane / 2] = sum;
	}
}

// ---------------------------------------------------------------- products

HD float h2f(unsigned bits)
{
	return __half2float(__ushort_as_half((unsigned short)(bits & 0xffff)));
}

HD int sbyte(unsigned w, int i)
{
	return (int)(signed char)(w >> (8 * i));
}

HD int ubyte(unsigned w, int i)
{
	return (int)((w >> (8 * i)) & 0xff);
}

// IQ4 code book (GGUF), four signed bytes per word.
constexpr unsigned pack4(int a, int b, int c, int d)
{
	return (unsigned)(a & 0xff) | (unsigned)(b & 0xff) << 8 | (unsigned)(c & 0xff) << 16 | (unsigned)(d & 0xff) << 24;
}
constexpr unsigned IQ4_T0 = pack4(-127, -104, -83, -65), IQ4_T1 = pack4(-49, -35, -22, -10);
constexpr unsigned IQ4_T2 = pack4(1, 13, 25, 38), IQ4_T3 = pack4(53, 69, 89, 113);

// Code book entries of the four 4-bit indices in the low 16 bits of s, as four bytes: two byte
// permutations pick among entries 0-7 and 8-15 by the index's low 3 bits, a third by bit 3.
HD unsigned iq4_lookup4(unsigned s)
{
	const unsigned sel = s & 0x7777u;
	const unsigned a = perm(IQ4_T0, IQ4_T1, sel), b = perm(IQ4_T2, IQ4_T3, sel);
	return perm(a, b, 0x3210u | ((s & 0x8888u) >> 1));
}

// Word v of an IQ4 block's quants (4 bytes): low nibbles are elements j..j+3 of the block (lo),
// high nibbles elements 16+j..16+j+3 (hi).
HD void iq4_word(unsigned v, int &lo, int &hi)
{
	const unsigned r01 = iq4_lookup4(v & 0xffffu), r23 = iq4_lookup4(v >> 16);
	lo = (int)perm(r01, r23, 0x6420u);
	hi = (int)perm(r01, r23, 0x7531u);
}

// A decoded work item: P parts of 16 weights (q, four words each) at activation offset off,
// integer scale sc and activation-sum coefficient mn; value = xd * (D * sum sc*dot - DM * sum
// mn*s16).
template <int T> struct item {
	int q[TR<T>::P][4];
	int off[TR<T>::P], sc[TR<T>::P], mn[TR<T>::P];
	float D, DM;
	int xdi;
};

struct meta {
	unsigned u[4];
};

template <int T>
HD void load_meta(const unsigned char *m, int64_t blk, int k, meta &mt)
{
	if (T == T_Q8_0 || T == T_IQ4_NL) {
		mt.u[0] = *(const unsigned short *)(m + blk * 2);
	} else if (T == T_IQ4_XS) {
		const uint2 v = *(const uint2 *)(m + blk * 8);
		mt.u[0] = v.x;
		mt.u[1] = v.y;
	} else if (T == T_Q4_K) {
		const uint4 v = *(const uint4 *)(m + blk * 16);
		mt.u[0] = v.x;
		mt.u[1] = v.y;
		mt.u[2] = v.z;
		mt.u[3] = v.w;
	} else {   // Q6_K, Q2_K: the scale words of half c, and the word holding d (and dmin)
		const unsigned *w = (const unsigned *)(m + blk * 20);
		const int c = k / 2;
		mt.u[0] = w[2 * c];
		mt.u[1] = w[2 * c + 1];
		mt.u[2] = w[4];
	}
}

// Where item k of block blk meets the activations: the offsets of its parts' 16 values and the
// index of their scale (depends on the position only, so the activations can be loaded together
// with the weights).
template <int T>
HD void item_offsets(int64_t blk, int k, int *off, int &xdi)
{
	if (T == T_Q8_0 || T == T_IQ4_NL) {
		off[0] = (int)(32 * blk);
		off[1] = off[0] + 16;
		xdi = (int)blk;
		return;
	}
	xdi = (int)(8 * blk);
	if (T == T_IQ4_XS) {
		off[0] = (int)(256 * blk + 32 * k);
		off[1] = off[0] + 16;
	} else if (T == T_Q4_K) {
		off[0] = (int)(256 * blk + 64 * (k / 2) + 16 * (k % 2));
		off[1] = off[0] + 32;
	} else {   // Q6_K, Q2_K
TB_UNROLL
		for (int p = 0; p < TR<T>::P; p++)
			off[p] = (int)(256 * blk + 128 * (k / 2) + 32 * p + 16 * (k % 2));
	}
}

template <int T>
HD void decode(const uint4 *w, const meta &mt, int64_t blk, int k, item<T> &it)
{
	const unsigned *v = (const unsigned *)w;
	item_offsets<T>(blk, k, it.off, it.xdi);
	if (T == T_Q8_0) {
TB_UNROLL
		for (int j = 0; j < 4; j++) {
			it.q[0][j] = (int)v[j];
			it.q[1][j] = (int)v[4 + j];
		}
		it.sc[0] = it.sc[1] = 1;
		it.D = h2f(mt.u[0]);
		it.DM = 0.f;
	} else if (T == T_IQ4_NL || T == T_IQ4_XS) {
TB_UNROLL
		for (int j = 0; j < 4; j++)
			iq4_word(v[j], it.q[0][j], it.q[1][j]);
		if (T == T_IQ4_NL) {
			it.sc[0] = it.sc[1] = 1;
		} else {
			const int g = k;
			const unsigned sh = mt.u[0] >> 16;
			const int ls = (((mt.u[1] >> (8 * (g / 2) + 4 * (g % 2))) & 0xf) | (((sh >> (2 * g)) & 3) << 4)) - 32;
			it.sc[0] = it.sc[1] = ls;
		}
		it.D = h2f(mt.u[0]);
		it.DM = 0.f;
	} else if (T == T_Q4_K) {
		const int c = k / 2;
TB_UNROLL
		for (int j = 0; j < 4; j++) {
			it.q[0][j] = (int)(v[j] & 0x0f0f0f0fu);
			it.q[1][j] = (int)((v[j] >> 4) & 0x0f0f0f0fu);
		}
		// 6-bit scales and minimums of sub-blocks 2c and 2c+1 (GGUF's Q4_K scale packing).
TB_UNROLL
		for (int p = 0; p < 2; p++) {
			const int g = 2 * c + p;
			if (g < 4) {
				it.sc[p] = ubyte(mt.u[1], g) & 63;
				it.mn[p] = ubyte(mt.u[2], g) & 63;
			} else {
				const int g4 = g - 4;
				it.sc[p] = (ubyte(mt.u[3], g4) & 0xf) | ((ubyte(mt.u[1], g4) >> 6) << 4);
				it.mn[p] = (ubyte(mt.u[3], g4) >> 4) | ((ubyte(mt.u[2], g4) >> 6) << 4);
			}
		}
		it.D = h2f(mt.u[0]);
		it.DM = h2f(mt.u[0] >> 16);
	} else if (T == T_Q6_K) {
		const int h = k % 2;
TB_UNROLL
		for (int j = 0; j < 4; j++) {
			const unsigned a = v[j], b = v[4 + j], hb = v[8 + j];
			it.q[0][j] = (int)((a & 0x0f0f0f0fu) | ((hb << 4) & 0x30303030u));
			it.q[1][j] = (int)((b & 0x0f0f0f0fu) | ((hb << 2) & 0x30303030u));
			it.q[2][j] = (int)(((a >> 4) & 0x0f0f0f0fu) | (hb & 0x30303030u));
			it.q[3][j] = (int)(((b >> 4) & 0x0f0f0f0fu) | ((hb >> 2) & 0x30303030u));
		}
TB_UNROLL
		for (int p = 0; p < 4; p++) {
			it.sc[p] = sbyte(mt.u[p / 2], 2 * (p % 2) + h);   // scale 8c + 2p + h
			it.mn[p] = 32 * it.sc[p];                         // quants are stored + 32
		}
		it.D = it.DM = h2f(mt.u[2]);
	} else {   // Q2_K
		const int h = k % 2;
TB_UNROLL
		for (int j = 0; j < 4; j++)
TB_UNROLL
			for (int p = 0; p < 4; p++)
				it.q[p][j] = (int)((v[j] >> (2 * p)) & 0x03030303u);
TB_UNROLL
		for (int p = 0; p < 4; p++) {
			const int sb = ubyte(mt.u[p / 2], 2 * (p % 2) + h);   // scale 8c + 2p + h
			it.sc[p] = sb & 0xf;
			it.mn[p] = sb >> 4;
		}
		it.D = h2f(mt.u[2]);
		it.DM = h2f(mt.u[2] >> 16);
	}
}

// The item's value for one token's rounded activations (xq quants, xd scales, xs sums). Fixed
// operation order with explicitly rounded float steps, so every instantiation agrees bitwise.
// The activations one item reads: its parts' quants and 16-sums, and their scale.
template <int T> struct xact {
	int4 q[TR<T>::P];
	int s[TR<T>::P];
	float d;
};

template <int T>
HD void load_act(const int *off, int xdi, const signed char *xq, const float *xd, const int *xs, xact<T> &x,
	bool l2 = false)
{
TB_UNROLL
	for (int p = 0; p < TR<T>::P; p++) {
		x.q[p] = ld16(xq + off[p], l2);
		if (TR<T>::MIN)
			x.s[p] = ldact(xs + off[p] / 16, l2);
	}
	x.d = ldact(xd + xdi, l2);
}

template <int T>
HD float item_dot_x(const item<T> &it, const xact<T> &x)
{
	int isum = 0, imin = 0;
TB_UNROLL
	for (int p = 0; p < TR<T>::P; p++) {
		int dp = dp4a(it.q[p][0], x.q[p].x, 0);
		dp = dp4a(it.q[p][1], x.q[p].y, dp);
		dp = dp4a(it.q[p][2], x.q[p].z, dp);
		dp = dp4a(it.q[p][3], x.q[p].w, dp);
		isum += it.sc[p] * dp;
		if (TR<T>::MIN)
			imin += it.mn[p] * x.s[p];
	}
	if (TR<T>::MIN)
		return fmul(x.d, fsub(fmul(it.D, (float)isum), fmul(it.DM, (float)imin)));
	return fmul(fmul(it.D, x.d), (float)isum);
}

template <int T>
HD float item_dot(const item<T> &it, const signed char *xq, const float *xd, const int *xs, bool l2 = false)
{
	xact<T> x;
	load_act<T>(it.off, it.xdi, xq, xd, xs, x, l2);
	return item_dot_x<T>(it, x);
}

struct mv_args {
	const unsigned char *w[3];
	const float *bias[3];
	float *y[3];
	int64_t rows[3];
	int nseg;
	const unsigned char *w2;
	int64_t ncols;
	const signed char *aq;
	const float *ad;
	const int *as;
	int ntok;
	int add;
	int l2;              // activations through L2 only (launched as a dependent launch)
};

constexpr int MV_WARPS = 4;
constexpr int MV_THREADS = 32 * MV_WARPS;
constexpr int MV_MAXT = 8;

// Items in flight per thread: U of the type's traits when a row takes the block's 4 warps, more
// when it takes one warp (the row's items spread over 32 lanes instead of 128).
template <int T, int W> struct u_of {
	enum { V = W == 1 ? (T == T_Q6_K ? 2 : 4) : (int)TR<T>::U };
};

// Accumulates R rows' items (R = 2: gate and up, same item positions) for every token: the
// row's TPR = 32 W threads take items sub, sub + TPR, ... in that order (the order is the same
// whatever U is, so a token's sums are the same alone and in a batch), U at a time with all
// their weight loads (and, for one token, the activation loads) issued before the first
// product. The first weight loads are issued before pdl_wait: weights are never written.
template <int T, int NT, int R, int W>
__device__ __forceinline__ void rows_dot(const mv_args &a, const unsigned char *const *wq,
	const unsigned char *const *wm, float (*acc)[NT])
{
	constexpr int IPB = TR<T>::QB / TR<T>::WB, WU = TR<T>::WB / 16, U = u_of<T, W>::V, TPR = 32 * W;
	const int sub = threadIdx.x % TPR;
	const int64_t nb = a.ncols / TR<T>::QK, nwi = nb * IPB;
	for (int64_t base = 0; base < nwi; base += TPR * U) {
		uint4 wv[R][U][WU];
		meta mt[R][U];
		xact<T> xa[NT == 1 ? U : 1];
TB_UNROLL
		for (int u = 0; u < U; u++) {
			const int64_t i = base + u * TPR + sub;
			if (i < nwi) {
TB_UNROLL
				for (int r = 0; r < R; r++) {
					const uint4 *src = (const uint4 *)(wq[r] + i * TR<T>::WB);
TB_UNROLL
					for (int k = 0; k < WU; k++)
						wv[r][u][k] = __ldcs(src + k);
					load_meta<T>(wm[r], i / IPB, (int)(i % IPB), mt[r][u]);
				}
			}
		}
		if (base == 0)
			pdl_wait();
		if (NT == 1) {
TB_UNROLL
			for (int u = 0; u < U; u++) {
				const int64_t i = base + u * TPR + sub;
				if (i < nwi) {
					int off[TR<T>::P], xdi;
					item_offsets<T>(i / IPB, (int)(i % IPB), off, xdi);
					load_act<T>(off, xdi, a.aq, a.ad, a.as, xa[NT == 1 ? u : 0], a.l2 != 0);
				}
			}
		}
TB_UNROLL
		for (int u = 0; u < U; u++) {
			const int64_t i = base + u * TPR + sub;
			if (i < nwi) {
TB_UNROLL
				for (int r = 0; r < R; r++) {
					item<T> it;
					decode<T>(wv[r][u], mt[r][u], i / IPB, (int)(i % IPB), it);
					if (NT == 1) {
						acc[r][0] = fadd(acc[r][0], item_dot_x<T>(it, xa[NT == 1 ? u : 0]));
					} else {
TB_UNROLL
						for (int t = 0; t < NT; t++)
							if (t < a.ntok)
								acc[r][t] = fadd(acc[r][t], item_dot<T>(it, a.aq + (size_t)t * a.ncols,
									a.ad + (size_t)t * (a.ncols / 32), a.as + (size_t)t * (a.ncols / 16), a.l2 != 0));
					}
				}
			}
		}
	}
}

__device__ __forceinline__ float warp_sum(float v)
{
	for (int o = 16; o > 0; o >>= 1)
		v = __fadd_rn(v, __shfl_xor_sync(0xffffffffu, v, o));
	return v;
}

// Output row r of segment s for token t from the row sums (R: gate and up for SwiGLU).
template <int R>
__device__ __forceinline__ void mv_store(const mv_args &a, int s, int64_t r, int t, const float *sum)
{
	const float b = a.bias[s] ? a.bias[s][r] : 0.f;
	float v = __fadd_rn(sum[0], b);
	if (R == 2)
		v = __fmul_rn(v / (1.0f + expf(-v)), sum[R - 1]);
	float *o = a.y[s] + (size_t)t * a.rows[s] + r;
	*o = a.add ? __fadd_rn(*o, v) : v;
}

// A block of MV_WARPS warps takes MV_WARPS / W output rows, W warps each (W = 4: one row, the
// warps' partial sums added in a fixed order; W = 1: a row per warp, no block-wide step); a
// launch covers the rows of up to 3 segments in order. Every kernel lets the next one of the
// pass start early (pdl_trigger) and waits for the one before it (pdl_wait in rows_dot) before
// reading activations or writing outputs.
template <int T, int NT, bool PAIR, int W>
__global__ void __launch_bounds__(MV_THREADS) k_mmvq(mv_args a)
{
	constexpr int R = PAIR ? 2 : 1, TPR = 32 * W;
	__shared__ float red[R][NT][MV_WARPS];
	pdl_trigger();
	int64_t r = (int64_t)blockIdx.x * (MV_THREADS / TPR) + threadIdx.x / TPR;
	int s = 0;
	while (s < a.nseg - 1 && r >= a.rows[s]) {
		r -= a.rows[s];
		s++;
	}
	if (r >= a.rows[s])
		return;   // (W = 4: the whole block)
	const int64_t nb = a.ncols / TR<T>::QK, rows = a.rows[s];
	const size_t qrb = (size_t)nb * TR<T>::QB, mrb = (size_t)nb * TR<T>::MB;
	float acc[R][NT];
TB_UNROLL
	for (int k = 0; k < R; k++)
TB_UNROLL
		for (int t = 0; t < NT; t++)
			acc[k][t] = 0.f;
	const unsigned char *wq[R], *wm[R];
	wq[0] = a.w[s] + r * qrb;
	wm[0] = a.w[s] + rows * qrb + r * mrb;
	if (PAIR) {
		wq[R - 1] = a.w2 + r * qrb;
		wm[R - 1] = a.w2 + rows * qrb + r * mrb;
	}
	rows_dot<T, NT, R, W>(a, wq, wm, acc);
	const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
	if constexpr (W == 1) {
TB_UNROLL
		for (int t = 0; t < NT; t++) {
			float sum[R];
TB_UNROLL
			for (int k = 0; k < R; k++)
				sum[k] = warp_sum(acc[k][t]);
			if (lane == 0 && t < a.ntok)
				mv_store<R>(a, s, r, t, sum);
		}
	} else {
TB_UNROLL
		for (int k = 0; k < R; k++)
TB_UNROLL
			for (int t = 0; t < NT; t++) {
				const float v = warp_sum(acc[k][t]);
				if (lane == 0)
					red[k][t][wid] = v;
			}
		__syncthreads();
		if (threadIdx.x != 0)
			return;
		for (int t = 0; t < NT && t < a.ntok; t++) {
			float sum[R];
			for (int k = 0; k < R; k++) {
				sum[k] = red[k][t][0];
				for (int w = 1; w < MV_WARPS; w++)
					sum[k] = __fadd_rn(sum[k], red[k][t][w]);
			}
			mv_store<R>(a, s, r, t, sum);
		}
	}
}

template <int T, int NT, int W>
void launch_w(const mv_args &a, int64_t total, bool pair, bool pdl, cudaStream_t st)
{
	const unsigned grid = (unsigned)((total + MV_THREADS / (32 * W) - 1) / (MV_THREADS / (32 * W)));
	if (pair)
		launch_k(k_mmvq<T, NT, true, W>, dim3(grid), MV_THREADS, pdl, st, a);
	else
		launch_k(k_mmvq<T, NT, false, W>, dim3(grid), MV_THREADS, pdl, st, a);
}

template <int T>
void launch(const mv_args &a, int64_t total, bool pair, int warps, bool pdl, cudaStream_t st)
{
	if (warps == 1) {
		if (a.ntok == 1)
			launch_w<T, 1, 1>(a, total, pair, pdl, st);
		else
			launch_w<T, MV_MAXT, 1>(a, total, pair, pdl, st);
	} else {
		if (a.ntok == 1)
			launch_w<T, 1, 4>(a, total, pair, pdl, st);
		else
			launch_w<T, MV_MAXT, 4>(a, total, pair, pdl, st);
	}
}

// The host run of one type: every row's items in order, with the device's decode and products.
template <int T>
void host_rows(const unsigned char *pk, int64_t ne0, int64_t ne1, const signed char *aq, const float *ad,
	const int *as, int n, float *y)
{
	constexpr int IPB = TR<T>::QB / TR<T>::WB;
	const int64_t nb = ne0 / TR<T>::QK;
	const size_t qrb = (size_t)nb * TR<T>::QB, mrb = (size_t)nb * TR<T>::MB;
	const unsigned char *m0 = pk + (size_t)ne1 * qrb;
	for (int64_t r = 0; r < ne1; r++)
		for (int t = 0; t < n; t++) {
			float acc = 0.f;
			for (int64_t i = 0; i < nb * IPB; i++) {
				uint4 w[TR<T>::WB / 16];
				meta mt;
				item<T> it;
				memcpy(w, pk + r * qrb + i * TR<T>::WB, TR<T>::WB);
				load_meta<T>(m0 + r * mrb, i / IPB, (int)(i % IPB), mt);
				decode<T>(w, mt, i / IPB, (int)(i % IPB), it);
				acc = fadd(acc, item_dot<T>(it, aq + (size_t)t * ne0, ad + (size_t)t * (ne0 / 32),
					as + (size_t)t * (ne0 / 16)));
			}
			y[(size_t)t * ne1 + r] = acc;
		}
}

// ---------------------------------------------------------------- dequantization for prefill

// The 16 weights of part p of a decoded item as floats: D * (sc * q) - DM * mn (the exact
// integers of the dot-product kernels, scaled once).
template <int T>
HD void item_values(const item<T> &it, int p, float *v)
{
	const float a = it.D;
TB_UNROLL
	for (int j = 0; j < 4; j++)
TB_UNROLL
		for (int b = 0; b < 4; b++) {
			const float q = (float)(it.sc[p] * sbyte((unsigned)it.q[p][j], b));
			v[4 * j + b] = TR<T>::MIN ? fsub(fmul(a, q), fmul(it.DM, (float)it.mn[p])) : fmul(a, q);
		}
}

// Item i of row r of a packed tensor (rows rows, ncols columns), decoded.
template <int T>
HD void item_at(const unsigned char *w, int64_t rows, int64_t ncols, int64_t r, int64_t i, item<T> &it)
{
	constexpr int IPB = TR<T>::QB / TR<T>::WB;
	const int64_t nb = ncols / TR<T>::QK;
	const size_t qrb = (size_t)nb * TR<T>::QB, mrb = (size_t)nb * TR<T>::MB;
	uint4 wv[TR<T>::WB / 16];
	meta mt;
#ifdef __CUDA_ARCH__
	const uint4 *src = (const uint4 *)(w + r * qrb + i * TR<T>::WB);
TB_UNROLL
	for (int k = 0; k < TR<T>::WB / 16; k++)
		wv[k] = __ldg(src + k);
#else
	memcpy(wv, w + r * qrb + i * TR<T>::WB, TR<T>::WB);
#endif
	load_meta<T>(w + (size_t)rows * qrb + r * mrb, i / IPB, (int)(i % IPB), mt);
	decode<T>(wv, mt, i / IPB, (int)(i % IPB), it);
}

// Rows r0 .. r0+nr-1 of a packed tensor into F16 rows of out (ldo halves apart; ncols written):
// one thread per item, each part's 16 values written as two 16-byte stores.
template <int T>
__global__ void k_dequant(const unsigned char *w, int64_t rows, int64_t ncols, int64_t r0, int64_t nr, __half *out,
	int64_t ldo)
{
	constexpr int IPB = TR<T>::QB / TR<T>::WB;
	const int64_t nwi = ncols / TR<T>::QK * IPB;
	const int64_t g = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (g >= nr * nwi)
		return;
	const int64_t r = g / nwi, i = g % nwi;
	item<T> it;
	item_at<T>(w, rows, ncols, r0 + r, i, it);
TB_UNROLL
	for (int p = 0; p < TR<T>::P; p++) {
		float v[16];
		item_values<T>(it, p, v);
		__align__(16) __half h[16];
TB_UNROLL
		for (int j = 0; j < 16; j++)
			h[j] = __float2half_rn(v[j]);
		uint4 *o = (uint4 *)(out + (size_t)r * ldo + it.off[p]);
		o[0] = *(const uint4 *)h;
		o[1] = *(const uint4 *)(h + 8);
	}
}

template <int T>
void host_dequant(const unsigned char *pk, int64_t ne0, int64_t ne1, float *y)
{
	constexpr int IPB = TR<T>::QB / TR<T>::WB;
	const int64_t nwi = ne0 / TR<T>::QK * IPB;
	for (int64_t r = 0; r < ne1; r++)
		for (int64_t i = 0; i < nwi; i++) {
			item<T> it;
			item_at<T>(pk, ne1, ne0, r, i, it);
			for (int p = 0; p < TR<T>::P; p++)
				item_values<T>(it, p, y + (size_t)r * ne0 + it.off[p]);
		}
}

// Packs GGUF blocks on the host (malloc'd; caller frees), NULL for a type without a layout.
unsigned char *host_pack(int type, const void *w, int64_t ne0, int64_t ne1)
{
	const layout l = layout_of(type);
	if (!l.qk || ne0 % l.qk || ne1 <= 0)
		return nullptr;
	const int64_t nblk = ne0 / l.qk * ne1;
	unsigned char *pk = (unsigned char *)malloc(cu_packed_bytes(type, ne0, ne1));
	if (!pk)
		return nullptr;
	for (int64_t i = 0; i < nblk; i++)
		pack_block(type, (const unsigned char *)w + i * l.raw, pk + i * l.qb, pk + (size_t)nblk * l.qb + i * l.mb, l.qb);
	return pk;
}

}  // namespace

int cu_mmvq_host(int type, const void *w, int64_t ne0, int64_t ne1, const signed char *aq, const float *ad,
	const int *as, int n, float *y)
{
	unsigned char *pk = host_pack(type, w, ne0, ne1);
	if (!pk)
		return -1;
	switch (type) {
	case T_Q8_0: host_rows<T_Q8_0>(pk, ne0, ne1, aq, ad, as, n, y); break;
	case T_IQ4_NL: host_rows<T_IQ4_NL>(pk, ne0, ne1, aq, ad, as, n, y); break;
	case T_IQ4_XS: host_rows<T_IQ4_XS>(pk, ne0, ne1, aq, ad, as, n, y); break;
	case T_Q4_K: host_rows<T_Q4_K>(pk, ne0, ne1, aq, ad, as, n, y); break;
	case T_Q6_K: host_rows<T_Q6_K>(pk, ne0, ne1, aq, ad, as, n, y); break;
	default: host_rows<T_Q2_K>(pk, ne0, ne1, aq, ad, as, n, y); break;
	}
	free(pk);
	return 0;
}

int cu_dequant_host(int type, const void *w, int64_t ne0, int64_t ne1, float *y)
{
	unsigned char *pk = host_pack(type, w, ne0, ne1);
	if (!pk)
		return -1;
	switch (type) {
	case T_Q8_0: host_dequant<T_Q8_0>(pk, ne0, ne1, y); break;
	case T_IQ4_NL: host_dequant<T_IQ4_NL>(pk, ne0, ne1, y); break;
	case T_IQ4_XS: host_dequant<T_IQ4_XS>(pk, ne0, ne1, y); break;
	case T_Q4_K: host_dequant<T_Q4_K>(pk, ne0, ne1, y); break;
	case T_Q6_K: host_dequant<T_Q6_K>(pk, ne0, ne1, y); break;
	default: host_dequant<T_Q2_K>(pk, ne0, ne1, y); break;
	}
	free(pk);
	return 0;
}

void cu_dequant(int type, const unsigned char *w, int64_t rows, int64_t ncols, int64_t r0, int64_t nr, void *dst,
	int64_t ldo, cudaStream_t st)
{
	__half *out = (__half *)dst;
	const layout l = layout_of(type);
	if (!l.qk || nr <= 0)
		return;
	const int64_t items = nr * (ncols / l.qk) * (l.qb / wb_of(type));
	const unsigned grid = (unsigned)((items + 127) / 128);
	switch (type) {
	case T_Q8_0: k_dequant<T_Q8_0><<<grid, 128, 0, st>>>(w, rows, ncols, r0, nr, out, ldo); break;
	case T_IQ4_NL: k_dequant<T_IQ4_NL><<<grid, 128, 0, st>>>(w, rows, ncols, r0, nr, out, ldo); break;
	case T_IQ4_XS: k_dequant<T_IQ4_XS><<<grid, 128, 0, st>>>(w, rows, ncols, r0, nr, out, ldo); break;
	case T_Q4_K: k_dequant<T_Q4_K><<<grid, 128, 0, st>>>(w, rows, ncols, r0, nr, out, ldo); break;
	case T_Q6_K: k_dequant<T_Q6_K><<<grid, 128, 0, st>>>(w, rows, ncols, r0, nr, out, ldo); break;
	case T_Q2_K: k_dequant<T_Q2_K><<<grid, 128, 0, st>>>(w, rows, ncols, r0, nr, out, ldo); break;
	default: break;
	}
}

int cu_mmvq_type(int type)
{
	return layout_of(type).qk != 0;
}

int cu_mmvq_act(int type)
{
	return layout_of(type).qk == 256 ? CU_ACT_Q8_K : CU_ACT_Q8_0;
}

size_t cu_packed_bytes(int type, int64_t ne0, int64_t ne1)
{
	const layout l = layout_of(type);
	return l.qk ? (size_t)(ne0 / l.qk) * (size_t)ne1 * (size_t)(l.qb + l.mb) : 0;
}

cudaError_t cu_pack(int type, const unsigned char *raw, int64_t ne0, int64_t ne1, unsigned char *dst,
	cudaStream_t st)
{
	const layout l = layout_of(type);
	if (!l.qk)
		return cudaErrorInvalidValue;
	const int64_t nblk = ne0 / l.qk * ne1;
	k_pack<<<(unsigned)((nblk + 255) / 256), 256, 0, st>>>(type, raw, nblk, dst, dst + (size_t)nblk * l.qb, l.raw,
		l.qb, l.mb);
	return cudaGetLastError();
}

void cu_quant_act(int kind, const float *X, const float *norm_w, float eps, int n, int64_t ncols, cu_qact a,
	int pdl, cudaStream_t st)
{
	launch_k(k_quant, dim3((unsigned)((ncols + QCHUNK - 1) / QCHUNK), n), 256, pdl != 0, st, kind, X, norm_w, eps,
		ncols, a.q, a.d, a.s);
}

void cu_mmvq(int type, const cu_mv_seg *segs, int nseg, const unsigned char *w2, int64_t ncols, cu_qact act,
	int n, int add, cu_mv_opts o, cudaStream_t st)
{
	const int warps = o.warps == 1 ? 1 : 4;
	for (int t0 = 0; t0 < n; t0 += MV_MAXT) {
		mv_args a = {};
		int64_t total = 0;
		a.nseg = nseg;
		for (int s = 0; s < nseg; s++) {
			a.w[s] = segs[s].w;
			a.bias[s] = segs[s].bias;
			a.y[s] = segs[s].y + (size_t)t0 * segs[s].nrows;
			a.rows[s] = segs[s].nrows;
			total += segs[s].nrows;
		}
		a.w2 = w2;
		a.ncols = ncols;
		a.aq = act.q + (size_t)t0 * ncols;
		a.ad = act.d + (size_t)t0 * (ncols / 32);
		a.as = act.s + (size_t)t0 * (ncols / 16);
		a.ntok = n - t0 < MV_MAXT ? n - t0 : MV_MAXT;
		a.add = add;
		a.l2 = o.pdl;
		switch (type) {
		case T_Q8_0: launch<T_Q8_0>(a, total, w2 != nullptr, warps, o.pdl != 0, st); break;
		case T_IQ4_NL: launch<T_IQ4_NL>(a, total, w2 != nullptr, warps, o.pdl != 0, st); break;
		case T_IQ4_XS: launch<T_IQ4_XS>(a, total, w2 != nullptr, warps, o.pdl != 0, st); break;
		case T_Q4_K: launch<T_Q4_K>(a, total, w2 != nullptr, warps, o.pdl != 0, st); break;
		case T_Q6_K: launch<T_Q6_K>(a, total, w2 != nullptr, warps, o.pdl != 0, st); break;
		case T_Q2_K: launch<T_Q2_K>(a, total, w2 != nullptr, warps, o.pdl != 0, st); break;
		default: break;
		}
	}
}
