/* engine/cuda/cuda_backend.h — the engine's CUDA backend, behind a plain C interface that
 * engine/model.c calls, through the table eng_cuda_backend_get returns, when the model is loaded
 * with a CUDA device (built with `make CUDA=1`).
 * Internal to the engine: nothing outside engine/ includes it.
 *
 * The model is described by value (shapes, tensor types, host pointers to the weights as stored
 * in the GGUF); eng_cuda_model_new uploads every weight once in its own block format (nothing
 * is dequantized in memory) and the kernels dequantize on the fly. */
#ifndef TB_ENGINE_CUDA_BACKEND_H
#define TB_ENGINE_CUDA_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One weight: GGUF type number, row length ne0, rows ne1; data NULL when the tensor is absent. */
typedef struct eng_cuda_tensor {
	int type;
	int64_t ne0, ne1;
	const void *data;
	size_t bytes;
} eng_cuda_tensor;

typedef struct eng_cuda_layer {
	eng_cuda_tensor attn_norm, wq, wk, wv, wo, bq, bk, bv, bo, q_norm, k_norm;
	eng_cuda_tensor ffn_norm, ffn_gate, ffn_up, ffn_down;
} eng_cuda_layer;

typedef struct eng_cuda_model_desc {
	/* n_layer: the layers given, the model's first ones (all, or -ngl of them) */
	int n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff, hd_k, hd_v, n_rot;
	int rope_neox;               /* 1: pairs (i, i + n_rot/2); 0: pairs (2i, 2i+1) */
	float rope_base, rope_freq_scale, norm_eps;
	const float *rope_ff;        /* [n_rot/2] frequency divisors, or NULL */
	eng_cuda_tensor tok_embd, output_norm, output;
	const eng_cuda_layer *layers;   /* [n_layer] */
} eng_cuda_model_desc;

typedef struct eng_cuda_model eng_cuda_model;
typedef struct eng_cuda_ctx eng_cuda_ctx;

/* Number of CUDA devices (0 without a driver or device). */
int eng_cuda_device_count(void);
/* 1 when the kernels read this GGUF type. */
int eng_cuda_type_supported(int type);
/* The device's name, memory bandwidth peak (GB/s, from memory clock and bus width) into the
 * caller's buffers. Return 0, or -1 without a device. */
int eng_cuda_device_info(char *name, size_t n, double *peak_gbs);

/* Uploads the weights of d (which is only read during the call). NULL on failure with one line
 * in err (no device, unsupported type naming the tensor, out of device memory).
 * Ownership: caller frees with eng_cuda_model_free. */
eng_cuda_model *eng_cuda_model_new(const eng_cuda_model_desc *d, char *err, size_t errlen);
void eng_cuda_model_free(eng_cuda_model *m);

/* A KV cache (F16) of n_ctx cells for each of n_seq sequences and work buffers for batches of
 * up to n_batch tokens, n_out_max of which want logits. Ownership: eng_cuda_ctx_free. */
eng_cuda_ctx *eng_cuda_ctx_new(eng_cuda_model *m, int n_ctx, int n_seq, int n_batch, int n_out_max,
	char *err, size_t errlen);
void eng_cuda_ctx_free(eng_cuda_ctx *c);

/* Forward pass of n tokens: tok[i] of sequence seq[i] at position pos[i] (already validated by
 * the caller); out_index[i] >= 0 asks for the logits of token i in row out_index[i] of
 * `logits` (host memory, n_out rows of n_vocab). With hidden (host memory, n rows of n_embd),
 * no logits: the hidden state after the model's last layer (before the output norm) of every
 * token is written there instead, for the CPU to run the layers that are not on the GPU.
 * Batches of at least 32 tokens take the tensor-core products (and, in one sequence, the tiled
 * attention): a token's results there differ by rounding from those of smaller batches.
 * Return 0, or -1 on a CUDA error. */
int eng_cuda_decode(eng_cuda_ctx *c, int n, const int32_t *tok, const int *seq, const int *pos,
	const int *out_index, int n_out, float *logits, float *hidden);

/* For tests: y[t][r] = W[r] . x[t] on the device for n_tok tokens, W of `type` [ne1][ne0] in
 * host memory; mma: through the prefill path (tensor cores on F16/BF16 tiles, weights
 * dequantized 128 rows at a time) whatever n_tok is: 1 with tiles chosen by the shape, 64 or
 * 128 with tiles of that many tokens; mv_warps: the 8-bit products' warps per row (1 or 4; 0:
 * 1). Return 0, or -1 with a message. */
int eng_cuda_matvec_test(int type, int64_t ne0, int64_t ne1, const void *w, const float *x,
	int n_tok, int mma, int mv_warps, float *y, char *err, size_t errlen);

/* For tests: the attention of n_tok query tokens of one sequence at positions n_kv - n_tok ..
 * n_kv - 1 over the cache cells 0 .. n_kv - 1, on the device. q: [n_tok][n_head][hd_k]; k:
 * [n_kv][n_head_kv][hd_k]; v: [n_kv][n_head_kv][hd_v] (host floats, stored in the F16 cache);
 * out: [n_tok][n_head][hd_v]. tile: through the prefill kernel (tiles of 32 queries and 32
 * keys on the tensor cores; 0 when the head sizes do not allow it is an error), else the
 * per-token one. Return 0, or -1 with a message. */
int eng_cuda_attn_test(int n_head, int n_head_kv, int hd_k, int hd_v, int n_tok, int n_kv, const float *q,
	const float *k, const float *v, int tile, float *out, char *err, size_t errlen);

/* The backend as engine/model.c reaches it: a table of the functions above, so the model code
 * has no build-time branches. */
typedef struct eng_cuda_backend {
	int (*device_info)(char *name, size_t n, double *peak_gbs);
	eng_cuda_model *(*model_new)(const eng_cuda_model_desc *d, char *err, size_t errlen);
	void (*model_free)(eng_cuda_model *m);
	eng_cuda_ctx *(*ctx_new)(eng_cuda_model *m, int n_ctx, int n_seq, int n_batch, int n_out_max,
		char *err, size_t errlen);
	void (*ctx_free)(eng_cuda_ctx *c);
	int (*decode)(eng_cuda_ctx *c, int n, const int32_t *tok, const int *seq, const int *pos,
		const int *out_index, int n_out, float *logits, float *hidden);
} eng_cuda_backend;

/* The table of this backend when the engine is built with CUDA (make CUDA=1), else NULL
 * (engine/backend.c). Ownership: static, valid for the life of the program. */
const eng_cuda_backend *eng_cuda_backend_get(void);

#ifdef __cplusplus
}
#endif

#endif
