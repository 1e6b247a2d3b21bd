/* tools/mkbench.c — writes the models `make bench` measures: llama-architecture GGUFs with
 * TinyLlama-1.1B's exact shapes (or, with --8b, Llama-3-8B's widths; with --shape, the
 * mixture-of-experts shapes of qwen3moe / qwen2moe / gpt-oss / llama4) and random weights, in F16,
 * Q8_0, Q4_K_M and Q2_K, using the
 * engine's own GGUF writer and reference quantizers. Speed does not depend on the weights, so
 * these stand in for the real model (and llama.cpp runs the same files). --tiny writes an F32
 * stand-in shaped like the project's own small model, for the demo and its test. Built by
 * `make $(BUILD)/tools/mkbench`; run by scripts/bench.sh. Uses engine internals (gguf_impl.h,
 * quant_impl.h) as the engine's tests do.
 *
 * Big files. Making every weight (Box-Muller normals rounded through F16, then the reference
 * quantizer: Q4_K's scale search alone took 70 % of the time) cost about 55 minutes for the
 * 7 GB Qwen3-30B-A3B-shaped Q8_0 file on the shared 2-core machine, and the writer held the whole
 * file in memory. So an expert tensor (ffn_*_exps) larger than the row pool (--pool-kib,
 * default 64 MiB) is not made row by row: one pool of distinct random rows per (quantized type, row width, std) is quantized
 * once per file (the pool's size rounded up to whole rows), and row r of such a tensor is pool
 * row splitmix(hash(tensor name) ^ r * golden) mod pool rows, copied at save time a few MiB at a
 * time (eng_gguf_w_tensor_gen), so memory stays at the pools plus the smaller tensors. Speed does
 * not depend on the values, and the repetition gives a reader nothing to exploit: CPU and page
 * caches key on addresses, not content, every expert's rows lie at their own offsets, every 4 KiB
 * page of a pooled tensor is a different sequence of pool rows, and each expert's and each
 * layer's bytes differ (tests/integration/test_mkbench.sh checks that). Every other tensor (the dense shapes' and the test
 * models' all) is made row by row as before, byte for byte, so the reference files' sha256
 * still hold. --layers N writes a shape with N layers
 * (NAME-Nlayers-TYPE.gguf), e.g. all 48 of Qwen3-30B-A3B's (about 17 GB at Q4_K_M). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/gguf_impl.h"
#include "engine/quant_impl.h"

/* A model's shape. TinyLlama-1.1B (v1.0): hidden 2048, 22 layers, 32 heads of 64, 4 KV heads,
 * FFN 5632, SentencePiece vocabulary of 32000, context 2048. The tiny stand-in: about the size
 * of the project's own small model (llama, F32, about 3.6 M parameters, a character-level
 * vocabulary of 354: the specials, the 256 byte tokens, "\u2581" and the 94 printable ASCII
 * characters; the real model, docs/model.md, has n_ff 512 and word pieces).
 * Both: rope base 10000, RMS eps 1e-5. */
typedef struct shape {
	const char *name;
	int n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_ctx;
	int char_vocab;          /* 1: one token per printable character */
	/* mixture-of-experts shapes (arch "qwen3moe" / "qwen2moe"); zero for the dense llama ones */
	const char *arch;        /* NULL: "llama" */
	int head_dim;            /* 0: n_embd / n_head */
	int n_expert, n_expert_used, n_ff_exp, n_ff_shexp;
	float std, router_std;   /* 0: WEIGHT_STD */
	const char *file;        /* the file name's stem */
	/* deepseek2 (multi-head latent attention): query rank (0: a full-rank attn_q), latent rank,
	 * RoPE dimensions (head_dim is the key's: no-RoPE + RoPE), value width, leading dense
	 * layers, shared experts, expert groups and groups used, sigmoid gate, and mla1: mainline
	 * llama.cpp's newer MLA layout (add_split_kvb) */
	int q_lora, kv_lora, n_rot, hd_v, n_dense, n_shared, n_group, n_group_used, sigmoid, mla1;
	/* qwen3next (gated delta-net layers): the delta-net heads' width (keys and values alike),
	 * key heads and value heads */
	int ssm_hd, ssm_nk, ssm_nv;
} shape;
#define NO_SSM 0, 0, 0         /* the qwen3next fields of the other shapes */
#define DENSE_DIMS 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NO_SSM   /* the deepseek2 and qwen3next fields of the other shapes */
static const shape tinyllama = { "TinyLlama-1.1B shape", 2048, 22, 32, 4, 5632, 32000, 2048, 0,
	NULL, 0, 0, 0, 0, 0, 0, 0, "tinyllama-1.1b-shape", DENSE_DIMS };
/* Llama-3-8B's widths and depth: hidden 4096, 32 layers, 32 heads of 128, 8 KV heads, FFN 14336;
 * the vocabulary is this generator's 32000 pieces, not Llama 3's 128256 (so the output product
 * is 4096 x 32000). */
static const shape llama3_8b = { "Llama-3-8B widths", 4096, 32, 32, 8, 14336, 32000, 8192, 0,
	NULL, 0, 0, 0, 0, 0, 0, 0, "llama3-8b-width", DENSE_DIMS };
static const shape tiny = { "tierbench-tiny stand-in", 256, 4, 4, 4, 768, 354, 2048, 1,
	NULL, 0, 0, 0, 0, 0, 0, 0, NULL, DENSE_DIMS };
/* Mixture-of-experts shapes. Qwen3-30B-A3B: hidden 2048, 48 layers (12 here: the speed per layer
 * is what a benchmark compares), 32 heads of 128 (so Q is 4096 wide), 4 KV heads, 128 experts of
 * FFN 768, 8 used per token, this generator's 32000 pieces instead of its 151936. The test
 * models are small with the same proportions: qwen3moe 16 experts of 128 and 4 used, heads of
 * 128 over a 256-wide model; qwen2moe adds the sigmoid-gated shared expert and the Q/K/V biases.
 * Their routers have a wider spread (std 0.5) so that the chosen experts are clear choices, not
 * near ties that the last bit of a sum decides. */
static const shape qwen3moe_30b = { "Qwen3-30B-A3B shape (12 of 48 layers)", 2048, 12, 32, 4, 6144, 32000,
	4096, 0, "qwen3moe", 128, 128, 8, 768, 0, 0, 0, "qwen3moe-30b-a3b-shape", DENSE_DIMS };
/* Qwen1.5-MoE-A2.7B (qwen2moe, which llama.cpp's reference commit runs): hidden 2048, 24 layers
 * (12 here), 16 heads of 128 and 16 KV heads, 60 experts of 1408 with 4 used, a shared expert of
 * 5632 behind its sigmoid gate, Q/K/V biases, this generator's 32000 pieces instead of 151936. */
static const shape qwen2moe_a27b = { "Qwen1.5-MoE-A2.7B shape (12 of 24 layers)", 2048, 12, 16, 16, 5632, 32000,
	8192, 0, "qwen2moe", 0, 60, 4, 1408, 5632, 0, 0, "qwen2moe-a2.7b-shape", DENSE_DIMS };
static const shape qwen3moe_test = { "qwen3moe test shape", 256, 4, 4, 2, 512, 1024, 2048, 0,
	"qwen3moe", 128, 16, 4, 128, 0, 0.05f, 0.5f, "qwen3moe-test", DENSE_DIMS };
static const shape qwen2moe_test = { "qwen2moe test shape", 256, 4, 4, 4, 512, 1024, 2048, 0,
	"qwen2moe", 0, 16, 4, 128, 256, 0.05f, 0.5f, "qwen2moe-test", DENSE_DIMS };
/* gpt-oss-20b: hidden 2880, 24 layers, 64 heads of 64, 8 KV heads, 32 experts of 2880, 4 used,
 * Q/K/V/O, router and expert biases, a learned sink per head, sliding window 128 on the even
 * layers, rope base 150000 with YaRN (factor 32 over an original context of 4096). The test
 * model keeps those proportions in small: 256 wide, 4 layers, 8 heads of 64 (Q 512 wide), 2 KV
 * heads, 32 experts of 128 (4 used), a window of 8 so that the test prompt crosses it. */
static const shape gptoss_test = { "gpt-oss test shape", 256, 4, 8, 2, 128, 1024, 131072, 0,
	"gpt-oss", 64, 32, 4, 128, 0, 0.05f, 0.5f, "gpt-oss-test", DENSE_DIMS };
/* DeepSeek-V3: hidden 7168, 61 layers (3 dense), 128 heads with keys of 128 + 64 RoPE values
 * and values of 128, query rank 1536, latent rank 512, 256 routed experts of 2048 in 8 groups
 * (4 used) with 8 chosen, 1 shared, sigmoid gate with a selection bias, weights normalised and
 * scaled by 2.5, YaRN factor 40 over 4096 with a log multiplier of 0.1. The test model keeps its
 * proportions in small: 256 wide, 4 layers (1 dense), 8 heads of 32 + 16 RoPE values and values
 * of 32, query rank 64, latent rank 128, 16 experts of 128 in 4 groups with 4 chosen, 1 shared.
 * All 4 groups are usable (the reference implementation does not limit deepseek2's choice to
 * groups; tests/engine/test_deepseek.c tests the group limit on its own). DeepSeek-V2-Lite:
 * hidden 2048, 27 layers (1 dense, FFN 10944), 16 heads of 128 + 64 and values of 128, no query
 * rank, latent 512, 64 experts of 1408 with 6 chosen, 2 shared, softmax gate, its vocabulary of
 * 102400 here 32000. Each deepseek2 shape NAME has a twin NAME-mla1 in mainline llama.cpp's
 * newer MLA layout (add_split_kvb), with the same weights. */
static const shape deepseek2_test = { "deepseek2 test shape", 256, 4, 8, 8, 768, 1024, 163840, 0,
	"deepseek2", 48, 16, 4, 128, 128, 0.05f, 0.125f, "deepseek2-test", 64, 128, 16, 32, 1, 1, 4, 4, 1, 0, NO_SSM };
/* V2-Lite's form in small, for the tests: 27 layers (the reference tells a Lite file, one without
 * a query rank, by that count), 1 dense, 8 heads of 32 + 16 RoPE values and values of 32, a full-
 * rank query, latent 128, 16 experts of 64 with 4 chosen, 2 shared, softmax gate, weights as
 * they are (no norm, scale 1). */
static const shape deepseek2_lite_test = { "deepseek2-lite test shape", 256, 27, 8, 8, 768, 1024, 163840, 0,
	"deepseek2", 48, 16, 4, 64, 128, 0.05f, 0.5f, "deepseek2-lite-test", 0, 128, 16, 32, 1, 2, 1, 1, 0, 0, NO_SSM };
/* The test shape with a latent rank of 256, so that the K-quant value up-projection (attn_kv_b,
 * 256 wide) is repacked at load (R16) and its batched products are taken through the repacked
 * tiles: 2 layers (1 dense), 4 heads, otherwise deepseek2-test's. */
static const shape deepseek2_r16_test = { "deepseek2 R16 test shape", 256, 2, 4, 4, 512, 1024, 163840, 0,
	"deepseek2", 48, 16, 4, 128, 128, 0.05f, 0.125f, "deepseek2-r16-test", 64, 256, 16, 32, 1, 1, 4, 4, 1, 0, NO_SSM };
static const shape deepseek2_lite = { "DeepSeek-V2-Lite shape", 2048, 27, 16, 16, 10944, 32000, 163840, 0,
	"deepseek2", 192, 64, 6, 1408, 2 * 1408, 0, 0, "deepseek2-lite", 0, 512, 64, 128, 1, 2, 1, 1, 0, 0, NO_SSM };
#define DS_PROBS_B_STD 0.3f   /* the selection bias: wider than the noise in the probabilities */
#define GPTOSS_SWA 8
/* Llama 4 Scout: hidden 5120, 48 layers, 40 heads of 128, 8 KV heads, 16 experts of 8192 with
 * one used and a shared expert as wide, every 4th layer without RoPE, the others attending in
 * chunks of 8192 positions, rope base 500000 with llama3-style scaling (factor 16 over an
 * original 8192, low and high frequency factors 1, written as rope_freqs.weight as the converter
 * does); Maverick has 128 experts on every other layer and dense layers between. The test model:
 * 256 wide, 4 layers, 4 heads of 64, 2 KV heads, 16 experts of 128 (top 1) on every other layer
 * (so both kinds of layer are there), dense FFN 512, layer 3 without RoPE, chunks of 16 and an
 * attention temperature floor of 8 so that the test prompt crosses both (the file says so in
 * llama4.attention.chunk_size and .temperature_length; the real values are 8192). */
static const shape llama4_test = { "llama4 test shape", 256, 4, 4, 2, 512, 1024, 131072, 0,
	"llama4", 0, 16, 1, 128, 128, 0.05f, 0.1f, "llama4-test", DENSE_DIMS };
/* Qwen3-Next-80B-A3B: hidden 2048, 48 layers, every 4th a gated full-attention layer (16 heads
 * of 256, 2 KV heads, a quarter of each head rotated, the query doubled by its output gate), the
 * others gated delta-net layers (16 key heads and 32 value heads of 128, a causal convolution of
 * 4 over q/k/v), 512 experts of 512 with 10 used and a gated shared expert of 512 on every
 * layer, dense FFN width 5120 in the metadata. The test model: 256 wide, 4 layers (layer 3 full
 * attention), 4 heads of 64 with 2 KV heads and 16 rotated dimensions, delta-net heads of 64 (2
 * key heads, 4 value heads; ik_llama.cpp's delta rule handles batches of several tokens
 * correctly only in its fast path, for heads of 64 or 128), 32 experts of 64 with 4 used and a
 * shared expert of 64. The quarter
 * shape: the real widths with 12 of the 48 layers and this generator's 32000 pieces. */
static const shape qwen3next_test = { "qwen3next test shape", 256, 4, 4, 2, 512, 1024, 262144, 0,
	"qwen3next", 64, 32, 4, 64, 64, 0.05f, 0.125f, "qwen3next-test", 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 64, 2, 4 };
static const shape qwen3next_quarter = { "Qwen3-Next-80B-A3B shape (12 of 48 layers)", 2048, 12, 16, 2, 5120,
	32000, 262144, 0, "qwen3next", 256, 512, 10, 512, 512, 0, 0, "qwen3next-quarter", 0, 0, 64, 0, 0, 0, 0, 0,
	0, 0, 128, 16, 32 };
#define Q3N_FULL_EVERY 4       /* full_attention_interval */
#define Q3N_CONV 4             /* ssm.conv_kernel */
#define Q3N_CONV_STD 0.3f      /* the convolution's taps (a window of 4 sums to about 1) */
#define Q3N_DT_STD 0.5f        /* dt_bias */
#define LLAMA4_MOE_STEP 2
#define LLAMA4_CHUNK 16
#define LLAMA4_TEMP_FLOOR 8
#define GPTOSS_SINK_STD 1.0f   /* sinks of about the scores' own size, so they matter */
/* gate/up biases wide enough that some of the experts' pre-activations pass the clamped
 * SwiGLU's limit of 7 (so the clamp matters) */
#define GPTOSS_EXP_BIAS_STD 3.0f
#define POOL_MIB 64        /* the default row pool per (type, width): see pool below */
#define WEIGHT_STD 0.02f   /* N(0, 0.02^2), the usual initialisation: activations stay finite */
#define MAX_VOCAB 32000

/* The files: llama.cpp's file type names and numbers (enum llama_ftype, general.file_type). */
/* MXFP4 (llama.cpp's "MXFP4_MOE", 38): the experts in MXFP4 and the other weights in F16; only
 * written when named. */
enum { FT_F16, FT_Q8_0, FT_Q4_K_M, FT_Q2_K, FT_COUNT, FT_F32 = FT_COUNT, FT_MXFP4, FT_ALL };
static const struct { const char *name; unsigned llama_ftype; } ftypes[FT_ALL] = {
	{ "F16", 1 }, { "Q8_0", 7 }, { "Q4_K_M", 15 }, { "Q2_K", 10 }, { "F32", 0 }, { "MXFP4", 38 },
};

/* The type llama-quantize gives a 2-D weight for this file type: the engine's rule
 * (eng_qrule_type, engine/quantize.c), for this model's shape. `what` is the tensor name after
 * "blk.N." (the rule matches those parts), il its layer (-1 outside blocks). */
static int head_dim_of(const shape *sh)
{
	return sh->head_dim ? sh->head_dim : sh->n_embd / sh->n_head;
}

/* The value width per head: deepseek2's own, else the key's. */
static int head_dim_v(const shape *sh)
{
	return sh->hd_v ? sh->hd_v : head_dim_of(sh);
}

static int weight_type(const shape *sh, int ft, const char *what, int il)
{
	eng_qrule r;

	if (ft == FT_F32)
		return ENG_T_F32;
	if (ft == FT_MXFP4)
		return strstr(what, "_exps.weight") ? ENG_T_MXFP4 : ENG_T_F16;
	memset(&r, 0, sizeof r);
	r.ftype = eng_ftype_from_name(ftypes[ft].name, NULL);
	r.n_layer = r.n_attn_v = sh->n_layer;
	r.n_gqa = sh->n_head / sh->n_head_kv;
	r.has_output = 1;
	r.n_expert = sh->n_expert;
	return eng_qrule_type(&r, what, il, !strcmp(what, "ffn_down.weight") ? sh->n_ff :
		!strcmp(what, "ffn_down_exps.weight") ? sh->n_ff_exp :
		!strcmp(what, "ffn_down_shexp.weight") ? sh->n_ff_shexp :
		!strcmp(what, "attn_output.weight") ? (int64_t)sh->n_head * head_dim_v(sh) :
		!strcmp(what, "ssm_out.weight") ? (int64_t)sh->ssm_hd * sh->ssm_nv :
		!strcmp(what, "attn_q_b.weight") ? sh->q_lora : !strcmp(what, "attn_kv_b.weight") ? sh->kv_lora :
		sh->n_embd, NULL);
}

/* ---------------------------------------------------------------- random weights */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t name_seed(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

/* Row `row` of a tensor: N(0, std^2) by Box-Muller from a generator seeded by (tensor, row), so
 * the values do not depend on the thread count; rounded through F16 as if the file had been
 * converted to F16 first and quantized from that (as llama-quantize does). */
static void gen_row(float *x, int64_t n, uint64_t seed, int64_t row, float std)
{
	uint64_t s = seed ^ ((uint64_t)row * 0xd1b54a32d192ed03ull);
	const double two_pi = 6.283185307179586;

	for (int64_t i = 0; i < n; i += 2) {
		double u1 = ((double)(splitmix(&s) >> 11) + 1.0) * 0x1.0p-53;
		double u2 = (double)(splitmix(&s) >> 11) * 0x1.0p-53;
		double r = sqrt(-2.0 * log(u1)) * std;

		x[i] = eng_f16_to_f32(eng_f32_to_f16((float)(r * cos(two_pi * u2))));
		if (i + 1 < n)
			x[i + 1] = eng_f16_to_f32(eng_f32_to_f16((float)(r * sin(two_pi * u2))));
	}
}

typedef struct job {
	int type;
	float std;
	int64_t cols, row0, row1;
	uint64_t seed;
	uint8_t *dst;           /* the whole tensor's data; this job writes rows [row0, row1) */
	int failed;
	int started;            /* runs on its own thread */
} job;

static void *job_run(void *arg)
{
	job *j = arg;
	size_t rs = eng_row_size(j->type, j->cols);
	float *x = malloc(sizeof(float) * (size_t)j->cols);

	if (!x) {
		j->failed = 1;
		return NULL;
	}
	for (int64_t r = j->row0; r < j->row1; r++) {
		gen_row(x, j->cols, j->seed, r, j->std);
		if (eng_quant_row_ref(j->type, x, j->dst + (size_t)r * rs, j->cols, NULL)) {
			j->failed = 1;
			break;
		}
	}
	free(x);
	return NULL;
}

/* Rows [0, n_rows) of dst (eng_row_size(type, cols) bytes each): gen_row's row r of `seed`,
 * quantized, on n_threads threads. Returns 0 or -1. */
static int quant_rows(uint8_t *dst, int type, int64_t cols, int64_t n_rows, uint64_t seed, float std,
		int n_threads)
{
	pthread_t th[64];
	job jobs[64];

	if (n_threads > n_rows)
		n_threads = (int)n_rows;
	if (n_threads > 64)
		n_threads = 64;
	for (int t = 0; t < n_threads; t++) {
		jobs[t] = (job){ type, std, cols, n_rows * t / n_threads, n_rows * (t + 1) / n_threads, seed,
			dst, 0, 0 };
		jobs[t].started = t > 0 && pthread_create(&th[t], NULL, job_run, &jobs[t]) == 0;
	}
	for (int t = 0; t < n_threads; t++)
		if (!jobs[t].started)
			job_run(&jobs[t]);   /* thread 0, or one that could not start: its share runs here */
	for (int t = 1; t < n_threads; t++)
		if (jobs[t].started)
			pthread_join(th[t], NULL);
	for (int t = 0; t < n_threads; t++)
		if (jobs[t].failed)
			return -1;
	return 0;
}

/* ---------------------------------------------------------------- row pools */

/* A pool: pool_rows distinct random rows of one (type, width, std), quantized once per file. An
 * expert tensor larger than the pool (those of the big shapes) takes each of its rows from
 * the pool, row r of tensor T being pool row hash(T's name, r) mod pool_rows, and is written at
 * save time a few MiB at a time (eng_gguf_w_tensor_gen), so neither the quantizer's time nor the
 * memory grows with the file. */
typedef struct pool {
	int type;
	int64_t cols, rows;
	float std;
	size_t rs;
	uint8_t *data;          /* [rows][rs] */
} pool;

/* A pooled tensor's save-time state. */
typedef struct pooled {
	const pool *p;
	uint64_t seed;
} pooled;

/* Every pool and pooled tensor of the file being written; freed by gens_free. */
typedef struct gens {
	size_t pool_bytes;      /* 0: no pooling */
	int n_threads;
	pool **pools;           /* each its own allocation: pooled tensors point at them */
	int n_pools;
	pooled **tens;
	size_t n_tens, cap_tens;
} gens;

static void gens_free(gens *g)
{
	for (int i = 0; i < g->n_pools; i++) {
		free(g->pools[i]->data);
		free(g->pools[i]);
	}
	for (size_t i = 0; i < g->n_tens; i++)
		free(g->tens[i]);
	free(g->pools);
	free(g->tens);
}

/* The pool for (type, cols, std), made on first use. Ownership: g's. NULL on failure. */
static const pool *pool_get(gens *g, int type, int64_t cols, float std)
{
	pool **np, *p;
	uint64_t seed = name_seed("mkbench row pool") ^ ((uint64_t)type << 48) ^ (uint64_t)cols;

	for (int i = 0; i < g->n_pools; i++)
		if (g->pools[i]->type == type && g->pools[i]->cols == cols && g->pools[i]->std == std)
			return g->pools[i];
	if (!(np = realloc(g->pools, sizeof *np * (size_t)(g->n_pools + 1))))
		return NULL;
	g->pools = np;
	if (!(p = malloc(sizeof *p)))
		return NULL;
	p->type = type;
	p->cols = cols;
	p->std = std;
	p->rs = eng_row_size(type, cols);
	p->rows = (int64_t)((g->pool_bytes + p->rs - 1) / p->rs);
	if (!(p->data = malloc(p->rs * (size_t)p->rows)) ||
			quant_rows(p->data, type, cols, p->rows, seed, std, g->n_threads)) {
		free(p->data);
		free(p);
		return NULL;
	}
	g->pools[g->n_pools++] = p;
	return p;
}

/* eng_gguf_gen_fn: rows [row0, row0 + n) of a pooled tensor. */
static int pooled_rows(void *ctx, uint64_t row0, uint64_t n, uint8_t *dst)
{
	const pooled *t = ctx;
	const pool *p = t->p;

	for (uint64_t r = row0; r < row0 + n; r++) {
		uint64_t h = t->seed ^ (r * 0x9e3779b97f4a7c15ull);

		memcpy(dst + (r - row0) * p->rs, p->data + (size_t)(splitmix(&h) % (uint64_t)p->rows) * p->rs, p->rs);
	}
	return 0;
}

/* Adds one tensor [n_exp][rows][cols] of `type` (n_exp 1: a matrix [rows][cols], or a vector
 * when rows is 1): random N(0, std^2) weights quantized on g's threads (from g's row pool when
 * the tensor is larger than the pool), or, with ones, an F32 vector of 1.0 (the RMS-norm
 * weights), or with ones 2 an F32 vector of -exp(N(0, std^2)). */
static int add_tensor(eng_gguf_writer *w, gens *g, const char *name, int type, int64_t cols, int64_t rows,
		int64_t n_exp, int ones, float std)
{
	int64_t ne[3] = { cols, rows, n_exp }, all = rows * n_exp;
	int n_dims = n_exp > 1 ? 3 : rows > 1 ? 2 : 1;
	size_t rs = eng_row_size(type, cols);
	uint8_t *data;
	int rc = -1;

	if (!ones && n_exp > 1 && g->pool_bytes && rs * (size_t)all > g->pool_bytes) {
		pooled *t, **nt;

		if (g->n_tens == g->cap_tens) {
			size_t c = g->cap_tens ? 2 * g->cap_tens : 64;

			if (!(nt = realloc(g->tens, sizeof *nt * c)))
				return -1;
			g->tens = nt;
			g->cap_tens = c;
		}
		if (!(t = malloc(sizeof *t)))
			return -1;
		g->tens[g->n_tens++] = t;
		t->seed = name_seed(name);
		t->p = pool_get(g, type, cols, std);
		return t->p ? eng_gguf_w_tensor_gen(w, name, type, n_dims, ne, pooled_rows, t) : -1;
	}
	if (!(data = malloc(rs * (size_t)all)))
		return -1;
	if (ones) {
		/* 2: a decay rate's A = -exp(A_log), A_log ~ N(0, std^2) (qwen3next's ssm_a) */
		if (ones == 2)
			gen_row((float *)data, cols, name_seed(name), 0, std);
		for (int64_t i = 0; i < cols; i++)
			((float *)data)[i] = ones == 2 ? -expf(((float *)data)[i]) : 1.0f;
		rc = eng_gguf_w_tensor(w, name, ENG_T_F32, 1, ne, data);
	} else if (quant_rows(data, type, cols, all, name_seed(name), std, g->n_threads) == 0)
		rc = eng_gguf_w_tensor(w, name, type, n_dims, ne, data);
	free(data);
	return rc;
}

/* ---------------------------------------------------------------- vocabulary */

/* A SentencePiece-style vocabulary as the llama tokenizer expects it: <unk> <s> </s>, the 256
 * byte tokens <0x00>..<0xFF>, "▁", then either the printable ASCII characters (char_vocab) or
 * filler pieces (letters, "▁" + letters, two- and three-letter strings with and without "▁")
 * with falling scores, to the shape's vocabulary size. */
static int add_vocab(eng_gguf_writer *w, const shape *sh)
{
	static char store[MAX_VOCAB][16];
	static const char *toks[MAX_VOCAB];
	static float scores[MAX_VOCAB];
	static int32_t types[MAX_VOCAB];
	int n = 0, nv = sh->n_vocab;

	snprintf(store[n], sizeof store[n], "<unk>"); types[n++] = 2;
	snprintf(store[n], sizeof store[n], "<s>"); types[n++] = 3;
	snprintf(store[n], sizeof store[n], "</s>"); types[n++] = 3;
	for (int i = 0; i < 256; i++) {
		snprintf(store[n], sizeof store[n], "<0x%02X>", i);
		types[n++] = 6;
	}
	snprintf(store[n], sizeof store[n], "\xe2\x96\x81");
	types[n++] = 1;
	for (int c = '!'; sh->char_vocab && c <= '~' && n < nv; c++) {
		store[n][0] = (char)c;
		store[n][1] = 0;
		types[n++] = 1;
	}
	for (int len = 1; !sh->char_vocab && len <= 3 && n < nv; len++)
		for (int sp = 0; sp < 2 && n < nv; sp++) {
			int count = len == 1 ? 26 : len == 2 ? 26 * 26 : 26 * 26 * 26;

			for (int k = 0; k < count && n < nv; k++) {
				char *p = store[n];
				int v = k;

				if (sp) {
					memcpy(p, "\xe2\x96\x81", 3);
					p += 3;
				}
				for (int c = len - 1; c >= 0; c--, v /= 26)
					p[c] = (char)('a' + v % 26);
				p[len] = 0;
				types[n++] = 1;
			}
		}
	for (int i = 0; i < n; i++) {
		toks[i] = store[i];
		scores[i] = types[i] == 1 ? -(float)(i - 259) : 0.0f;
	}
	return n != nv ||
		eng_gguf_w_str(w, "tokenizer.ggml.model", "llama") ||
		eng_gguf_w_arr_str(w, "tokenizer.ggml.tokens", toks, (uint64_t)n) ||
		eng_gguf_w_arr_f32(w, "tokenizer.ggml.scores", scores, (uint64_t)n) ||
		eng_gguf_w_arr_i32(w, "tokenizer.ggml.token_type", types, (uint64_t)n) ||
		eng_gguf_w_u32(w, "tokenizer.ggml.bos_token_id", 1) ||
		eng_gguf_w_u32(w, "tokenizer.ggml.eos_token_id", 2) ||
		eng_gguf_w_u32(w, "tokenizer.ggml.unknown_token_id", 0) ||
		eng_gguf_w_bool(w, "tokenizer.ggml.add_bos_token", 1) ||
		eng_gguf_w_bool(w, "tokenizer.ggml.add_eos_token", 0);
}

/* ---------------------------------------------------------------- one file */

/* Llama 4's rope_freqs.weight [hd / 2] as llama.cpp's converter computes it from the llama3
 * rope scaling of Scout's config (factor 16, low and high frequency factors 1, original context
 * 8192, base 500000): a pair's wavelength past 8192 positions is stretched 16 times. */
static int add_rope_freqs(eng_gguf_writer *w, int hd)
{
	const double base = 500000.0, factor = 16.0, lo = 1.0, hi = 1.0, orig = 8192.0;
	float ff[512];
	int64_t ne[1] = { hd / 2 };

	for (int i = 0; i < hd / 2 && i < 512; i++) {
		double wavelen = 2.0 * M_PI * pow(base, 2.0 * i / hd);

		if (wavelen < orig / hi)
			ff[i] = 1.0f;
		else if (wavelen > orig / lo)
			ff[i] = (float)factor;
		else {
			double smooth = (orig / wavelen - lo) / (hi - lo);

			ff[i] = (float)(1.0 / ((1.0 - smooth) / factor + smooth));
		}
	}
	return hd / 2 > 512 || eng_gguf_w_tensor(w, "rope_freqs.weight", ENG_T_F32, 1, ne, ff);
}

/* "<arch>.<suffix>" */
static const char *akey(const shape *sh, const char *suffix)
{
	static char key[128];   /* used at once by the caller, one at a time */

	snprintf(key, sizeof key, "%s.%s", sh->arch ? sh->arch : "llama", suffix);
	return key;
}

/* deepseek2's keys beyond the common ones, as llama.cpp's converter writes them (YaRN as for
 * DeepSeek-V3: factor 40 over 4096, log multiplier 0.1 x mscale_all_dim, 1 for V3, 0.707 for
 * V2-Lite); in the newer MLA layout also the per-head widths (write_model). */
static int ds_keys(eng_gguf_writer *w, const shape *sh)
{
	return (sh->q_lora && eng_gguf_w_u32(w, akey(sh, "attention.q_lora_rank"), (uint32_t)sh->q_lora)) ||
		(sh->mla1 && (eng_gguf_w_u32(w, akey(sh, "attention.key_length_mla"), (uint32_t)head_dim_of(sh)) ||
			eng_gguf_w_u32(w, akey(sh, "attention.value_length_mla"), (uint32_t)head_dim_v(sh)))) ||
		eng_gguf_w_u32(w, akey(sh, "attention.kv_lora_rank"), (uint32_t)sh->kv_lora) ||
		eng_gguf_w_u32(w, akey(sh, "leading_dense_block_count"), (uint32_t)sh->n_dense) ||
		eng_gguf_w_u32(w, akey(sh, "expert_shared_count"), (uint32_t)sh->n_shared) ||
		eng_gguf_w_f32(w, akey(sh, "expert_weights_scale"), sh->sigmoid ? 2.5f : 1.0f) ||
		eng_gguf_w_bool(w, akey(sh, "expert_weights_norm"), sh->sigmoid) ||
		eng_gguf_w_u32(w, akey(sh, "expert_gating_func"), sh->sigmoid ? 2 : 1) ||
		eng_gguf_w_u32(w, akey(sh, "expert_group_count"), (uint32_t)sh->n_group) ||
		eng_gguf_w_u32(w, akey(sh, "expert_group_used_count"), (uint32_t)sh->n_group_used) ||
		eng_gguf_w_str(w, akey(sh, "rope.scaling.type"), "yarn") ||
		eng_gguf_w_f32(w, akey(sh, "rope.scaling.factor"), 40.0f) ||
		eng_gguf_w_u32(w, akey(sh, "rope.scaling.original_context_length"), 4096) ||
		eng_gguf_w_f32(w, akey(sh, "rope.scaling.yarn_log_multiplier"), sh->sigmoid ? 0.1f : 0.0707f);
}

/* qwen3next's delta-net keys as llama.cpp's converter writes them: the convolution, the value
 * width (all heads), the key head width, the value heads and the key heads; and the interval of
 * the full-attention layers. */
static int q3n_keys(eng_gguf_writer *w, const shape *sh)
{
	return eng_gguf_w_u32(w, akey(sh, "ssm.conv_kernel"), Q3N_CONV) ||
		eng_gguf_w_u32(w, akey(sh, "ssm.inner_size"), (uint32_t)(sh->ssm_hd * sh->ssm_nv)) ||
		eng_gguf_w_u32(w, akey(sh, "ssm.state_size"), (uint32_t)sh->ssm_hd) ||
		eng_gguf_w_u32(w, akey(sh, "ssm.time_step_rank"), (uint32_t)sh->ssm_nv) ||
		eng_gguf_w_u32(w, akey(sh, "ssm.group_count"), (uint32_t)sh->ssm_nk) ||
		eng_gguf_w_u32(w, akey(sh, "full_attention_interval"), Q3N_FULL_EVERY);
}

/* Mainline llama.cpp's newer MLA layout (mla1): head_count_kv 1, key_length the latent and
 * the RoPE key (kv_lora + n_rot), value_length the latent, the per-head widths in key_length_mla
 * and value_length_mla, and no attn_kv_b: its converter writes the up-projection as attn_k_b
 * [n_nope, kv_lora, n_head] (each head's key rows transposed) and attn_v_b [kv_lora, hd_v,
 * n_head] (the value rows). Here both come from the attn_kv_b the older form has, random rows
 * and type the same (kv_name's seed): attn_v_b takes its value rows byte for byte, attn_k_b the
 * key rows dequantized and rounded to F16 (what the engine computes with for the older form),
 * so the two files give the same logits. 0, or -1. */
static int add_split_kvb(eng_gguf_writer *w, gens *g, const shape *sh, const char *kv_name, int type, float std)
{
	const int64_t H = sh->n_head, R = sh->kv_lora, N = head_dim_of(sh) - sh->n_rot, V = head_dim_v(sh);
	const int64_t kne[3] = { N, R, H }, vne[3] = { R, V, H };
	const size_t rs = eng_row_size(type, R);
	uint8_t *kv = malloc(rs * (size_t)(H * (N + V))), *vb = malloc(rs * (size_t)(H * V));
	uint16_t *kb = malloc(sizeof *kb * (size_t)(H * R * N));
	float *row = malloc(sizeof *row * (size_t)R);
	char name[96];
	int rc = -1;

	if (!kv || !vb || !kb || !row || quant_rows(kv, type, R, H * (N + V), name_seed(kv_name), std, g->n_threads))
		goto out;
	for (int64_t h = 0; h < H; h++) {
		for (int64_t i = 0; i < N; i++) {
			eng_dequant_row(type, kv + (size_t)(h * (N + V) + i) * rs, row, R);
			for (int64_t r = 0; r < R; r++)
				kb[(h * R + r) * N + i] = eng_f32_to_f16(row[r]);
		}
		memcpy(vb + (size_t)(h * V) * rs, kv + (size_t)(h * (N + V) + N) * rs, (size_t)V * rs);
	}
	snprintf(name, sizeof name, "%.*sattn_k_b.weight", (int)(strstr(kv_name, "attn_kv_b") - kv_name), kv_name);
	if (eng_gguf_w_tensor(w, name, ENG_T_F16, 3, kne, kb))
		goto out;
	snprintf(name, sizeof name, "%.*sattn_v_b.weight", (int)(strstr(kv_name, "attn_kv_b") - kv_name), kv_name);
	rc = eng_gguf_w_tensor(w, name, type, 3, vne, vb);
out:
	free(kv);
	free(vb);
	free(kb);
	free(row);
	return rc;
}

static int write_model(const char *path, const shape *sh, int ft, int n_threads, size_t pool_bytes,
		char *err, size_t errlen)
{
	eng_gguf_writer *w = eng_gguf_writer_new();
	gens g = { pool_bytes, n_threads, NULL, 0, NULL, 0, 0 };
	char name[96];
	int rc = -1, hd = head_dim_of(sh), moe_model = sh->n_expert > 0;
	int qwen = sh->arch != NULL, bias = sh->arch && (!strcmp(sh->arch, "qwen2moe") || !strcmp(sh->arch, "gpt-oss"));
	int qk_norm = sh->arch && !strcmp(sh->arch, "qwen3moe");
	int oss = sh->arch && !strcmp(sh->arch, "gpt-oss");
	int l4 = sh->arch && !strcmp(sh->arch, "llama4");
	int ds = sh->arch && !strcmp(sh->arch, "deepseek2");
	int q3n = sh->arch && !strcmp(sh->arch, "qwen3next");
	float std = sh->std > 0 ? sh->std : WEIGHT_STD, rstd = sh->router_std > 0 ? sh->router_std : std;

	if (!w) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	snprintf(name, sizeof name, "%s, random weights, %s", sh->name, ftypes[ft].name);
	if (eng_gguf_w_str(w, "general.architecture", sh->arch ? sh->arch : "llama") ||
	    eng_gguf_w_str(w, "general.name", name) ||
	    eng_gguf_w_u32(w, "general.file_type", ftypes[ft].llama_ftype) ||
	    (ft != FT_F16 && ft != FT_F32 && eng_gguf_w_u32(w, "general.quantization_version", 2)) ||
	    eng_gguf_w_u32(w, akey(sh, "context_length"), (uint32_t)sh->n_ctx) ||
	    eng_gguf_w_u32(w, akey(sh, "embedding_length"), (uint32_t)sh->n_embd) ||
	    eng_gguf_w_u32(w, akey(sh, "block_count"), (uint32_t)sh->n_layer) ||
	    eng_gguf_w_u32(w, akey(sh, "feed_forward_length"), (uint32_t)sh->n_ff) ||
	    eng_gguf_w_u32(w, akey(sh, "attention.head_count"), (uint32_t)sh->n_head) ||
	    eng_gguf_w_u32(w, akey(sh, "attention.head_count_kv"), sh->mla1 ? 1 : (uint32_t)sh->n_head_kv) ||
	    (sh->head_dim && (eng_gguf_w_u32(w, akey(sh, "attention.key_length"),
					     (uint32_t)(sh->mla1 ? sh->kv_lora + sh->n_rot : hd)) ||
			      eng_gguf_w_u32(w, akey(sh, "attention.value_length"),
					     (uint32_t)(sh->mla1 ? sh->kv_lora : head_dim_v(sh))))) ||
	    eng_gguf_w_u32(w, akey(sh, "rope.dimension_count"), (uint32_t)(sh->n_rot ? sh->n_rot : hd)) ||
	    eng_gguf_w_f32(w, akey(sh, "rope.freq_base"), q3n ? 10000000.0f : l4 ? 500000.0f : oss ? 150000.0f : qwen && !ds ? 1000000.0f : 10000.0f) ||
	    (ds && ds_keys(w, sh)) ||
	    (q3n && q3n_keys(w, sh)) ||
	    eng_gguf_w_f32(w, akey(sh, "attention.layer_norm_rms_epsilon"), qwen && !oss && !l4 ? 1e-6f : 1e-5f) ||
	    (l4 && (eng_gguf_w_u32(w, akey(sh, "interleave_moe_layer_step"), LLAMA4_MOE_STEP) ||
		    eng_gguf_w_u32(w, akey(sh, "attention.chunk_size"), LLAMA4_CHUNK) ||
		    eng_gguf_w_u32(w, akey(sh, "attention.temperature_length"), LLAMA4_TEMP_FLOOR))) ||
	    (oss && (eng_gguf_w_u32(w, akey(sh, "attention.sliding_window"), GPTOSS_SWA) ||
		     eng_gguf_w_str(w, akey(sh, "rope.scaling.type"), "yarn") ||
		     eng_gguf_w_f32(w, akey(sh, "rope.scaling.factor"), 32.0f) ||
		     eng_gguf_w_u32(w, akey(sh, "rope.scaling.original_context_length"), 4096))) ||
	    (moe_model && (eng_gguf_w_u32(w, akey(sh, "expert_count"), (uint32_t)sh->n_expert) ||
		     eng_gguf_w_u32(w, akey(sh, "expert_used_count"), (uint32_t)sh->n_expert_used) ||
		     eng_gguf_w_u32(w, akey(sh, "expert_feed_forward_length"), (uint32_t)sh->n_ff_exp))) ||
	    (sh->n_ff_shexp && !l4 && !ds && eng_gguf_w_u32(w, akey(sh, "expert_shared_feed_forward_length"),
					      (uint32_t)sh->n_ff_shexp)) ||
	    (!qwen && eng_gguf_w_u32(w, akey(sh, "vocab_size"), (uint32_t)sh->n_vocab)) || add_vocab(w, sh)) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	/* Tensor order as llama.cpp's converter writes it. */
	snprintf(name, sizeof name, "token_embd.weight");
	if (add_tensor(w, &g, name, weight_type(sh, ft, name, -1), sh->n_embd, sh->n_vocab, 1, 0, std) ||
	    (l4 && add_rope_freqs(w, hd)))
		goto fail_tensor;
	for (int il = 0; il < sh->n_layer; il++) {
		const int64_t E = sh->n_embd, Q = (int64_t)sh->n_head * hd, KV = (int64_t)sh->n_head_kv * hd;
		/* llama4: experts on every LLAMA4_MOE_STEP-th layer, a dense FFN on the others */
		const int moe = moe_model && (!l4 || (il + 1) % LLAMA4_MOE_STEP == 0);
		const int64_t O = (int64_t)sh->n_head * head_dim_v(sh), KVB = (int64_t)sh->n_head * (hd - sh->n_rot + head_dim_v(sh));
		const int dense = !moe || (ds && il < sh->n_dense), lq = ds && sh->q_lora;
		/* qwen3next: a gated full-attention layer every Q3N_FULL_EVERY, delta-net layers
		 * between (their q/k/v/z projection, the q/k/v convolution, the decay and write
		 * gates' inputs, the gated norm and the output) */
		const int full = !q3n || (il + 1) % Q3N_FULL_EVERY == 0, dn = q3n && !full;
		const int64_t KD = (int64_t)sh->ssm_hd * sh->ssm_nk, VD = (int64_t)sh->ssm_hd * sh->ssm_nv;
		/* kind: 0 a weight in the file type, 1 an RMS-norm vector of ones, 2 an F32 vector or
		 * matrix of random values (biases, the router), 3 an F32 vector of -exp(random), 4
		 * attn_kv_b written as the newer MLA layout's attn_k_b and attn_v_b (add_split_kvb) */
		const struct { const char *what; int64_t cols, rows, n_exp; int kind, on; float sd; } t[] = {
			{ "attn_norm.weight", E, 1, 1, 1, 1, 0 },
			{ "attn_q.weight", E, q3n ? 2 * Q : Q, 1, 0, !lq && full, std },
			{ "attn_q.bias", Q, 1, 1, 2, bias, std },
			{ "attn_q_a.weight", E, sh->q_lora, 1, 0, lq, std },
			{ "attn_q_a_norm.weight", sh->q_lora, 1, 1, 1, lq, 0 },
			{ "attn_q_b.weight", sh->q_lora, Q, 1, 0, lq, std },
			{ "attn_kv_a_mqa.weight", E, sh->kv_lora + sh->n_rot, 1, 0, ds, std },
			{ "attn_kv_a_norm.weight", sh->kv_lora, 1, 1, 1, ds, 0 },
			{ "attn_kv_b.weight", sh->kv_lora, KVB, 1, sh->mla1 ? 4 : 0, ds, std },
			{ "attn_k.weight", E, KV, 1, 0, !ds && full, std },
			{ "attn_k.bias", KV, 1, 1, 2, bias, std },
			{ "attn_v.weight", E, KV, 1, 0, !ds && full, std },
			{ "attn_v.bias", KV, 1, 1, 2, bias, std },
			{ "attn_output.weight", O, E, 1, 0, full, std },
			{ "attn_output.bias", E, 1, 1, 2, oss, std },
			{ "attn_sinks.weight", sh->n_head, 1, 1, 2, oss, GPTOSS_SINK_STD },
			{ "attn_q_norm.weight", hd, 1, 1, 1, qk_norm || (q3n && full), 0 },
			{ "attn_k_norm.weight", hd, 1, 1, 1, qk_norm || (q3n && full), 0 },
			{ "ssm_in.weight", E, 2 * KD + 2 * VD, 1, 0, dn, std },
			{ "ssm_conv1d.weight", Q3N_CONV, 2 * KD + VD, 1, 2, dn, Q3N_CONV_STD },
			{ "ssm_dt.bias", sh->ssm_nv, 1, 1, 2, dn, Q3N_DT_STD },
			{ "ssm_a", sh->ssm_nv, 1, 1, 3, dn, 0.5f },
			{ "ssm_ba.weight", E, 2 * sh->ssm_nv, 1, 0, dn, std },
			{ "ssm_norm.weight", sh->ssm_hd, 1, 1, 1, dn, 0 },
			{ "ssm_out.weight", VD, E, 1, 0, dn, std },
			{ "ffn_norm.weight", E, 1, 1, 1, !oss && !q3n, 0 },
			{ "post_attention_norm.weight", E, 1, 1, 1, oss || q3n, 0 },
			{ "ffn_gate.weight", E, sh->n_ff, 1, 0, dense, std },
			{ "ffn_up.weight", E, sh->n_ff, 1, 0, dense, std },
			{ "ffn_down.weight", sh->n_ff, E, 1, 0, dense, std },
			{ "ffn_gate_inp.weight", E, sh->n_expert, 1, 2, !dense, rstd },
			{ "exp_probs_b.bias", sh->n_expert, 1, 1, 2, !dense && ds && sh->sigmoid, DS_PROBS_B_STD },
			{ "ffn_gate_exps.weight", E, sh->n_ff_exp, sh->n_expert, 0, !dense, std },
			{ "ffn_up_exps.weight", E, sh->n_ff_exp, sh->n_expert, 0, !dense, std },
			{ "ffn_down_exps.weight", sh->n_ff_exp, E, sh->n_expert, 0, !dense, std },
			{ "ffn_gate_inp.bias", sh->n_expert, 1, 1, 2, oss, rstd },
			{ "ffn_gate_exps.bias", sh->n_ff_exp, sh->n_expert, 1, 2, oss, GPTOSS_EXP_BIAS_STD },
			{ "ffn_up_exps.bias", sh->n_ff_exp, sh->n_expert, 1, 2, oss, GPTOSS_EXP_BIAS_STD },
			{ "ffn_down_exps.bias", E, sh->n_expert, 1, 2, oss, std },
			{ "ffn_gate_inp_shexp.weight", E, 1, 1, 2, !dense && sh->n_ff_shexp > 0 && !l4 && !ds, rstd },
			{ "ffn_gate_shexp.weight", E, sh->n_ff_shexp, 1, 0, !dense && sh->n_ff_shexp > 0, std },
			{ "ffn_up_shexp.weight", E, sh->n_ff_shexp, 1, 0, !dense && sh->n_ff_shexp > 0, std },
			{ "ffn_down_shexp.weight", sh->n_ff_shexp, E, 1, 0, !dense && sh->n_ff_shexp > 0, std },
		};

		for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
			if (!t[k].on)
				continue;
			snprintf(name, sizeof name, "blk.%d.%s", il, t[k].what);
			if (t[k].kind == 4) {
				if (add_split_kvb(w, &g, sh, name, weight_type(sh, ft, t[k].what, il), t[k].sd))
					goto fail_tensor;
				continue;
			}
			if (add_tensor(w, &g, name, t[k].kind ? ENG_T_F32 : weight_type(sh, ft, t[k].what, il),
					t[k].cols, t[k].rows, t[k].n_exp, t[k].kind == 1 ? 1 : t[k].kind == 3 ? 2 : 0,
					t[k].sd))
				goto fail_tensor;
		}
	}
	snprintf(name, sizeof name, "output.weight");
	if (add_tensor(w, &g, "output_norm.weight", ENG_T_F32, sh->n_embd, 1, 1, 1, 0) ||
	    add_tensor(w, &g, name, weight_type(sh, ft, name, -1), sh->n_embd, sh->n_vocab, 1, 0, std))
		goto fail_tensor;
	rc = eng_gguf_writer_save(w, path, err, errlen);
	goto out;
fail_tensor:
	snprintf(err, errlen, "%s: tensor %s: out of memory or cannot quantize", path, name);
out:
	eng_gguf_writer_free(w);
	gens_free(&g);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mkbench [-j THREADS] [--8b | --shape NAME] [--layers N] [--pool-kib N] DIR\n"
		"               [F16|Q8_0|Q4_K_M|Q2_K|MXFP4 ...]\n"
		"       mkbench --tiny FILE.gguf\n"
		"\n"
		"Writes DIR/tinyllama-1.1b-shape-TYPE.gguf for each type (default: all four) that is not\n"
		"there yet: llama architecture with TinyLlama-1.1B's shapes, random N(0, 0.02^2) weights,\n"
		"the engine's reference quantizers and llama.cpp's Q4_K_M / Q2_K tensor-type rules.\n"
		"Prints the path of every file (written or already there), one per line.\n"
		"--8b writes DIR/llama3-8b-width-TYPE.gguf instead: Llama-3-8B's widths and 32 layers\n"
		"(hidden 4096, FFN 14336, 32 heads of 128, 8 KV heads) with this 32000-piece vocabulary.\n"
		"--shape NAME writes DIR/NAME-TYPE.gguf: tinyllama-1.1b-shape (the default),\n"
		"llama3-8b-width (--8b), qwen3moe-30b-a3b-shape (Qwen3-30B-A3B's widths, 128 experts of\n"
		"768, 8 used, 12 of its 48 layers), qwen2moe-a2.7b-shape (Qwen1.5-MoE-A2.7B's widths, 60\n"
		"experts of 1408, 4 used, a shared expert of 5632, 12 of its 24 layers), deepseek2-lite\n"
		"(DeepSeek-V2-Lite's widths: 27 layers, 64 experts of 1408, 6 used, 2 shared, latent\n"
		"512), qwen3next-quarter (Qwen3-Next-80B-A3B's\n"
		"widths, 12 of its 48 layers), qwen3moe-test, qwen2moe-test, gpt-oss-test, llama4-test,\n"
		"deepseek2-test, deepseek2-lite-test and qwen3next-test (small models with those\n"
		"architectures' proportions, for the engine's tests). A deepseek2 shape's NAME-mla1 has\n"
		"its weights in mainline llama.cpp's newer MLA layout (head_count_kv 1, key_length_mla,\n"
		"3-D attn_k_b / attn_v_b instead of attn_kv_b).\n"
		"MXFP4 (only when named) writes the experts in MXFP4 and the other weights in F16.\n"
		"--tiny writes FILE (when missing): a stand-in with the shape of the project's own small\n"
		"model (llama, F32, 3.6 M parameters, character vocabulary, context 2048), random weights.\n"
		"  -j THREADS     quantizer threads (default: online CPUs, at most 16)\n"
		"  --layers N     write N layers instead of the shape's own count (file NAME-Nlayers-TYPE)\n"
		"  --pool-kib N   an expert tensor larger than N KiB (default 65536) takes its rows from\n"
		"                 a pool of that many KiB of random rows quantized once per type and\n"
		"                 width, and is written from it at save time; 0: every row on its own\n");
}

int main(int argc, char **argv)
{
	int want[FT_ALL] = { 0 }, any = 0, n_threads, i = 1, n_layers = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t pool_bytes = (size_t)POOL_MIB << 20;
	const char *dir;
	const shape *sh = &tinyllama;
	shape custom, mla_shape;
	char stem[256], title[256], mla_stem[256], mla_title[256];
	struct stat sb;

	n_threads = ncpu < 1 ? 1 : ncpu > 16 ? 16 : (int)ncpu;
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		long v;
		char *end;

		if (strcmp(argv[i], "--tiny") == 0) {
			char err[8192];

			if (stat(argv[i + 1], &sb) == 0) {
				printf("%s\n", argv[i + 1]);
				return 0;
			}
			if (write_model(argv[i + 1], &tiny, FT_F32, n_threads, pool_bytes, err, sizeof err)) {
				fprintf(stderr, "mkbench: %s\n", err);
				return 2;
			}
			printf("%s\n", argv[i + 1]);
			return 0;
		}
		if (strcmp(argv[i], "--8b") == 0) {
			sh = &llama3_8b;
			i--;   /* no value */
			continue;
		}
		if (strcmp(argv[i], "--shape") == 0) {
			static const shape *const all[] = { &tinyllama, &llama3_8b, &qwen3moe_30b, &qwen2moe_a27b,
				&qwen3moe_test, &qwen2moe_test, &gptoss_test, &llama4_test, &deepseek2_test,
				&deepseek2_lite_test, &deepseek2_r16_test, &deepseek2_lite, &qwen3next_test,
				&qwen3next_quarter };
			size_t k = 0, len = strlen(argv[i + 1]);
			/* NAME-mla1: deepseek2 shape NAME in the newer MLA layout */
			int mla1 = len > 5 && strcmp(argv[i + 1] + len - 5, "-mla1") == 0;

			len -= mla1 ? 5 : 0;
			while (k < sizeof all / sizeof all[0] &&
			       (strlen(all[k]->file) != len || strncmp(argv[i + 1], all[k]->file, len) != 0))
				k++;
			if (k == sizeof all / sizeof all[0] ||
			    (mla1 && strcmp(all[k]->arch ? all[k]->arch : "", "deepseek2") != 0)) {
				fprintf(stderr, "mkbench: unknown shape \"%s\" (tinyllama-1.1b-shape, llama3-8b-width, "
					"qwen3moe-30b-a3b-shape, qwen2moe-a2.7b-shape, qwen3moe-test, qwen2moe-test, "
					"gpt-oss-test, llama4-test, deepseek2-test, deepseek2-lite-test, deepseek2-r16-test, "
					"deepseek2-lite, qwen3next-test, qwen3next-quarter; a deepseek2 one with -mla1)\n",
					argv[i + 1]);
				return 1;
			}
			sh = all[k];
			if (mla1) {
				mla_shape = *sh;
				snprintf(mla_stem, sizeof mla_stem, "%s-mla1", sh->file);
				snprintf(mla_title, sizeof mla_title, "%s, newer MLA layout", sh->name);
				mla_shape.file = mla_stem;
				mla_shape.name = mla_title;
				mla_shape.mla1 = 1;
				sh = &mla_shape;
			}
			continue;
		}
		v = strtol(argv[i + 1], &end, 10);
		if (strcmp(argv[i], "-j") == 0) {
			if (*end || end == argv[i + 1] || v < 1 || v > 64) {
				fprintf(stderr, "mkbench: -j: expected 1..64, got \"%s\"\n", argv[i + 1]);
				return 1;
			}
			n_threads = (int)v;
		} else if (strcmp(argv[i], "--layers") == 0) {
			if (*end || end == argv[i + 1] || v < 1 || v > 1024) {
				fprintf(stderr, "mkbench: --layers: expected 1..1024, got \"%s\"\n", argv[i + 1]);
				return 1;
			}
			n_layers = (int)v;
		} else if (strcmp(argv[i], "--pool-kib") == 0) {
			if (*end || end == argv[i + 1] || v < 0 || v > (1L << 24)) {
				fprintf(stderr, "mkbench: --pool-kib: expected 0..16777216, got \"%s\"\n", argv[i + 1]);
				return 1;
			}
			pool_bytes = (size_t)v << 10;
		} else {
			fprintf(stderr, "mkbench: unknown option \"%s\"\n", argv[i]);
			return 1;
		}
	}
	if (n_layers) {
		/* the shape with another depth: its own file name and general.name */
		custom = *sh;
		snprintf(stem, sizeof stem, "%s-%dlayers", sh->file, n_layers);
		snprintf(title, sizeof title, "%s, %d layers written", sh->name, n_layers);
		custom.n_layer = n_layers;
		custom.file = stem;
		custom.name = title;
		sh = &custom;
	}
	if (i >= argc) {
		usage(stderr);
		return 1;
	}
	dir = argv[i++];
	for (; i < argc; i++) {
		int k = 0;

		while (k < FT_ALL && (k == FT_F32 || strcasecmp(argv[i], ftypes[k].name) != 0))
			k++;
		if (k == FT_ALL) {
			fprintf(stderr, "mkbench: unknown type \"%s\" (F16, Q8_0, Q4_K_M, Q2_K, MXFP4)\n", argv[i]);
			return 1;
		}
		want[k] = any = 1;
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "mkbench: %s: not a directory\n", dir);
		return 2;
	}
	for (int ft = 0; ft < FT_ALL; ft++) {
		char path[4096], err[8192];
		struct timespec t0, t1;

		if ((any && !want[ft]) || (!any && ft >= FT_COUNT))
			continue;
		snprintf(path, sizeof path, "%s/%s-%s.gguf", dir, sh->file, ftypes[ft].name);
		if (stat(path, &sb) == 0) {
			printf("%s\n", path);
			continue;
		}
		fprintf(stderr, "mkbench: writing %s ...\n", path);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (write_model(path, sh, ft, n_threads, pool_bytes, err, sizeof err)) {
			fprintf(stderr, "mkbench: %s\n", err);
			return 2;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		fprintf(stderr, "mkbench: wrote %s in %.0f s\n", path,
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
		printf("%s\n", path);
		fflush(stdout);
	}
	return 0;
}
