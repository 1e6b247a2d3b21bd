/* engine/model.c — model loading (llama, qwen2, qwen3, and the mixtures of experts qwen2moe,
 * qwen3moe, gpt-oss and llama4 from GGUF), the KV cache and the forward pass. Numerics follow llama.cpp's CPU graph for these architectures: activations
 * are quantized to each weight's vec_dot type before the dot products, K and V are cached in
 * F16 by default (so Q and the attention weights are rounded to F16 for those products, as
 * ggml does), RMSNorm and softmax sum in double. The products run on the thread pool
 * (threads.c) through the kernels quant_dispatch.c picks for the machine.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/base.h"
#include "engine/engine.h"
#include "engine/engine_impl.h"
#include "engine/gguf_impl.h"
#include "engine/quant_impl.h"
#include "engine/threads_impl.h"
#include "engine/vocab_impl.h"
#include "engine/cuda/cuda_backend.h"

enum { ARCH_LLAMA, ARCH_QWEN2, ARCH_QWEN3, ARCH_QWEN2MOE, ARCH_QWEN3MOE, ARCH_GPTOSS, ARCH_LLAMA4, ARCH_DEEPSEEK2, ARCH_QWEN3NEXT };
enum { ROPE_NORM, ROPE_NEOX };

typedef const eng_gguf_tensor *tref;

typedef struct layer {
	tref attn_norm;              /* [n_embd] */
	tref wq, wk, wv, wo;         /* [n_embd -> n_head*hd], [n_embd -> n_kv*hd] x2, [n_head*hd -> n_embd] */
	tref bq, bk, bv, bo;         /* biases (qwen2), optional */
	tref q_norm, k_norm;         /* [hd] per-head RMSNorm (qwen3) */
	tref ffn_norm;               /* [n_embd] */
	tref ffn_gate, ffn_up;       /* [n_embd -> n_ff] */
	tref ffn_down;               /* [n_ff -> n_embd] */
	/* mixture of experts (qwen2moe, qwen3moe) instead of ffn_gate/up/down */
	tref ffn_gate_inp;           /* router [n_embd -> n_expert], f32 */
	tref ffn_gate_exps, ffn_up_exps; /* [n_expert][n_ff_exp][n_embd] */
	tref ffn_down_exps;          /* [n_expert][n_embd][n_ff_exp] */
	tref ffn_gate_inp_shexp;     /* shared expert's sigmoid gate [n_embd], f32 (qwen2moe) */
	tref ffn_gate_shexp, ffn_up_shexp, ffn_down_shexp; /* the shared expert, a dense FFN */
	/* gpt-oss */
	tref attn_sinks;             /* [n_head] f32: a learned logit per head in the softmax denominator */
	tref ffn_gate_inp_b;         /* router bias [n_expert] */
	tref ffn_gate_exps_b, ffn_up_exps_b; /* [n_expert][n_ff_exp] */
	tref ffn_down_exps_b;        /* [n_expert][n_embd] */
	int swa;                     /* 1: sliding-window attention over the last n_swa positions */
	int chunk;                   /* llama4: attends within its chunk of this many positions; 0: not chunked */
	int nope;                    /* llama4: no RoPE, queries scaled by the attention temperature */
	/* deepseek2 (multi-head latent attention; see "deepseek2" below) */
	tref wq_a, q_a_norm, wq_b;   /* low-rank query: [n_embd -> q_lora], norm, [q_lora -> n_head*hd_k] */
	tref wkv_a, kv_a_norm;       /* [n_embd -> kv_lora + n_rot]: the latent and the RoPE key; norm */
	tref wkv_b;                  /* [kv_lora -> n_head*(n_nope + hd_v)]: per head, key then value rows */
	tref wk_b, wv_b;             /* split copies: [n_head*kv_lora][n_nope], [n_head*hd_v][kv_lora] (2-D or 3-D) */
	tref exp_probs_b;            /* [n_expert] f32: the experts' selection bias (V3), optional */
	uint16_t *kb_f16;            /* without wk_b: [n_head*kv_lora][n_nope] F16, wkv_b's key rows transposed */
	/* qwen3next: a gated delta-net layer (see "qwen3next" below) has these instead of Q/K/V/O;
	 * K = nk*hk key dimensions, V = nv*hv value dimensions */
	tref ssm_in;                 /* [n_embd -> per key head: q hk, k hk, v and z (nv/nk)*hv each] */
	tref ssm_qkv, ssm_gate;      /* the split form: [n_embd -> q K, k K, v V], [n_embd -> z V] */
	tref ssm_conv;               /* [2K + V][d_conv] f32: the causal convolution's taps, oldest first */
	tref ssm_dt, ssm_a;          /* [nv] f32: the decay's bias and rate A = -exp(A_log) */
	tref ssm_ba;                 /* [n_embd -> per key head: beta nv/nk, alpha nv/nk] */
	tref ssm_norm;               /* [hv] the output's gated RMSNorm */
	tref ssm_out;                /* [V -> n_embd] */
	int rec;                     /* a delta-net layer's recurrent state slot, else -1 */
	int kv_slot;                 /* the layer's slot in the KV cache (qwen3next: attention layers only) */
} layer;

struct eng_model {
	eng_gguf *g;
	eng_vocab *vocab;
	char *path;
	int arch;
	int n_vocab, n_ctx_train, n_embd, n_layer, n_head, n_head_kv, n_ff;
	int n_expert, n_expert_used, n_ff_exp, n_ff_shexp;   /* 0 for a dense model */
	int moe_norm_w;              /* the chosen experts' weights are divided by their sum */
	int moe_topk_softmax;        /* weights: softmax of the chosen experts' logits (gpt-oss) */
	int moe_swiglu_oai;          /* experts' activation: gpt-oss's clamped SwiGLU */
	int n_swa;                   /* sliding window (positions, the token's own included); 0: none */
	struct llama4_hp {           /* llama4 (load_llama4) */
		int moe_step;        /* layer il has experts when (il + 1) % moe_step == 0 */
		int nope_step;       /* layer il has no RoPE when (il + 1) % nope_step == 0 */
		int chunk;           /* the RoPE layers' attention chunk (positions) */
		int temp_floor;      /* attention temperature: 1 + scale * ln(floor((pos + 1) / floor) + 1) */
		float temp_scale;
		int kq_norm;         /* L2 (weightless RMS) norm of Q and K after RoPE on the RoPE layers */
		int w_in;            /* the chosen expert's sigmoid weight scales its input, not its output */
	} l4;
	int hd_k, hd_v;              /* per-head sizes of K/Q and V */
	int n_rot, rope_type;
	float rope_base, rope_freq_scale, norm_eps;
	float *rope_ff;              /* [n_rot/2] frequency divisors (llama3 scaling), or NULL */
	int yarn;                    /* YaRN scaling: per-pair ramp between interpolated and original */
	float yarn_corr[2];          /* ramp's first and last pair dimension (ggml's corr_dims) */
	float yarn_mscale;           /* attn_factor * (1 + 0.1 ln(1 / freq_scale)), on cos and sin */
	/* deepseek2: query and latent ranks (q_lora 0: no low-rank query), key width without RoPE,
	 * leading dense layers, expert groups, sigmoid (V3) or softmax (V2) gate, weights' scale,
	 * attention scale (YaRN's magnitude factor squared over sqrt(hd_k)) */
	int q_lora, kv_lora, n_nope, n_dense_lead, n_group, n_group_used, gate_sigmoid;
	float w_scale, kq_scale;
	struct q3n_hp {              /* qwen3next (q3n_hparams) */
		int d_conv;          /* ssm.conv_kernel */
		int hk, nk, hv, nv;  /* key head width and count, value head width and count */
		int full_every;      /* full_attention_interval: layer il is attention when (il + 1) % it == 0 */
		int n_rec;           /* delta-net layers */
	} q3n;
	int n_layer_kv;              /* layers with a KV cache (all but qwen3next's delta-net layers) */
	int n_threads;
	eng_pool *pool;              /* n_threads - 1 workers, created at load */
	int chat_family;
	tref tok_embd, output_norm, output;
	layer *layers;
	const eng_cuda_backend *cuda;   /* the CUDA backend's table with --device cuda, else NULL */
	eng_cuda_model *gpu;         /* layers 0 .. n_gpu-1 on the GPU (--device cuda), or NULL */
	int n_gpu;                   /* n_layer: the whole model (with the output head) on the GPU */
};

static int repack_weights(eng_model *m, char *err, size_t errlen);

/* ---------------------------------------------------------------- load */

eng_opts eng_opts_default(void)
{
	eng_opts o;

	memset(&o, 0, sizeof o);
	o.n_gpu_layers = -1;
	return o;
}

static const char *arch_name(int a)
{
	return a == ARCH_QWEN2 ? "qwen2" : a == ARCH_QWEN3 ? "qwen3" : a == ARCH_QWEN2MOE ? "qwen2moe" :
	       a == ARCH_QWEN3MOE ? "qwen3moe" : a == ARCH_GPTOSS ? "gpt-oss" : a == ARCH_LLAMA4 ? "llama4" :
	       a == ARCH_DEEPSEEK2 ? "deepseek2" : a == ARCH_QWEN3NEXT ? "qwen3next" : "llama";
}

/* Reads "<arch>.<suffix>" as u32. Returns 0, or -1 when absent (value untouched), -2 on type. */
static int hp_u32(const eng_model *m, const char *suffix, uint32_t *out)
{
	char key[128];

	snprintf(key, sizeof key, "%s.%s", arch_name(m->arch), suffix);
	return eng_gguf_get_u32(m->g, key, out);
}

/* An optional "<arch>.<suffix>" u32 in 1..max into *out (left as it is when absent): 0, or -1
 * with "key ...: bad value" in err. */
static int hp_u32_opt(const eng_model *m, const char *suffix, uint32_t max, int *out, char *err, size_t errlen)
{
	uint32_t v;
	int rc = hp_u32(m, suffix, &v);

	if (rc == -2 || (rc == 0 && (v == 0 || v > max))) {
		eng_seterr(err, errlen, "%s: key %s.%s: bad value", m->path, arch_name(m->arch), suffix);
		return -1;
	}
	if (rc == 0)
		*out = (int)v;
	return 0;
}

static int hp_f32(const eng_model *m, const char *suffix, float *out)
{
	char key[128];

	snprintf(key, sizeof key, "%s.%s", arch_name(m->arch), suffix);
	return eng_gguf_get_f32(m->g, key, out);
}

/* Finds a tensor and checks its type is computable and its shape is {ne0, ne1} (ne1 = 0 for a
 * vector). Missing and optional: NULL with no error. */
static int want_tensor3(eng_model *m, const char *name, int64_t ne0, int64_t ne1, int64_t ne2,
		int optional, tref *out, char *err, size_t errlen);

static int want_tensor(eng_model *m, const char *name, int64_t ne0, int64_t ne1, int optional,
		tref *out, char *err, size_t errlen)
{
	return want_tensor3(m, name, ne0, ne1, 1, optional, out, err, errlen);
}

/* Also for 3-D tensors: shape {ne0, ne1, ne2} (ne2 > 1: the expert index, or deepseek2's head). */
static int want_tensor3(eng_model *m, const char *name, int64_t ne0, int64_t ne1, int64_t ne2,
		int optional, tref *out, char *err, size_t errlen)
{
	tref t = eng_gguf_find_tensor(m->g, name);
	const eng_type_info *ti;
	int64_t want_n = ne2 > 1 ? 3 : ne1 ? 2 : 1;

	*out = NULL;
	if (!t) {
		if (optional)
			return 0;
		eng_seterr(err, errlen, "%s: missing tensor '%s'", m->path, name);
		return -1;
	}
	ti = eng_type_get(t->type);
	if (!ti || !ti->can_compute) {
		eng_seterr(err, errlen, "%s: tensor '%s' has type %s, which this engine cannot compute",
			m->path, name, ti && ti->name ? ti->name : "unknown");
		return -1;
	}
	if (t->ne[0] != ne0 || (ne1 && t->ne[1] != ne1) || (!ne1 && t->ne[1] != 1) ||
	    t->ne[2] != ne2 || t->ne[3] != 1 || t->n_dims > want_n) {
		if (ne2 > 1)
			eng_seterr(err, errlen, "%s: tensor '%s' has shape [%lld, %lld, %lld, %lld], expected "
				"[%lld, %lld, %lld] (the counts and widths of the file's metadata)", m->path,
				name, (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2],
				(long long)t->ne[3], (long long)ne0, (long long)ne1, (long long)ne2);
		else
			eng_seterr(err, errlen, "%s: tensor '%s' has shape [%lld, %lld, %lld, %lld], expected [%lld, %lld]",
				m->path, name, (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2],
				(long long)t->ne[3], (long long)ne0, (long long)(ne1 ? ne1 : 1));
		return -1;
	}
	*out = t;
	return 0;
}

/* llama3-style RoPE scaling from metadata (when the file has no rope_freqs tensor): wavelengths
 * longer than orig_ctx/low_freq_factor are divided by `factor`, shorter than
 * orig_ctx/high_freq_factor kept, and the band between interpolated smoothly. */
static int rope_llama3(eng_model *m, char *err, size_t errlen)
{
	float factor = 8.0f, lo = 1.0f, hi = 4.0f;
	uint32_t orig = 8192;
	int n = m->n_rot / 2;

	hp_f32(m, "rope.scaling.factor", &factor);
	hp_f32(m, "rope.scaling.low_freq_factor", &lo);
	hp_f32(m, "rope.scaling.high_freq_factor", &hi);
	hp_u32(m, "rope.scaling.original_context_length", &orig);
	if (!(factor > 0) || !(lo > 0) || !(hi > lo)) {
		eng_seterr(err, errlen, "%s: bad llama3 rope scaling parameters", m->path);
		return -1;
	}
	m->rope_ff = malloc((size_t)n * sizeof *m->rope_ff);
	if (!m->rope_ff) {
		eng_seterr(err, errlen, "%s: out of memory", m->path);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		double freq = pow(m->rope_base, -2.0 * i / m->n_rot);
		double wavelen = 2.0 * M_PI / freq;
		double lo_wl = orig / lo, hi_wl = orig / hi, ff;

		if (wavelen < hi_wl)
			ff = 1.0;
		else if (wavelen > lo_wl)
			ff = factor;
		else {
			double smooth = (orig / wavelen - lo) / (hi - lo);
			ff = 1.0 / ((1.0 - smooth) / factor + smooth);
		}
		m->rope_ff[i] = (float)ff;
	}
	return 0;
}

/* YaRN as llama.cpp sets it up for a file whose scaling type is "yarn": ext_factor 1,
 * beta_fast 32, beta_slow 1, attn_factor from rope.scaling.attn_factor (default 1), the
 * original context from rope.scaling.original_context_length (default the training context).
 * The ramp's ends are ggml_rope_yarn_corr_dims: the pair dimension where a wavelength makes
 * beta turns over the original context, floored / ceiled and clamped to [0, n_rot - 1]. */
static float yarn_corr_dim(int n_dims, uint32_t n_orig, float beta, float base)
{
	return (float)n_dims * logf((float)n_orig / (beta * 2 * (float)M_PI)) / (2 * logf(base));
}

static int load_yarn(eng_model *m, float factor, char *err, size_t errlen)
{
	uint32_t orig = (uint32_t)m->n_ctx_train;
	float attn = 1.0f, lo, hi;

	hp_u32(m, "rope.scaling.original_context_length", &orig);
	hp_f32(m, "rope.scaling.attn_factor", &attn);
	if (!(factor >= 1.0f) || !(m->rope_base > 1.0f) || orig == 0 || !(attn > 0)) {
		eng_seterr(err, errlen, "%s: key %s.rope.scaling.factor: bad YaRN parameters (factor %g, base "
			"%g, original context %u, attn_factor %g)", m->path, arch_name(m->arch), factor,
			m->rope_base, orig, attn);
		return -1;
	}
	m->yarn = 1;
	m->rope_freq_scale = 1.0f / factor;
	lo = floorf(yarn_corr_dim(m->n_rot, orig, 32.0f, m->rope_base));
	hi = ceilf(yarn_corr_dim(m->n_rot, orig, 1.0f, m->rope_base));
	m->yarn_corr[0] = lo > 0 ? lo : 0;
	m->yarn_corr[1] = hi < (float)(m->n_rot - 1) ? hi : (float)(m->n_rot - 1);
	m->yarn_mscale = attn * (1.0f + 0.1f * logf(1.0f / m->rope_freq_scale));
	return 0;
}

static int load_rope(eng_model *m, char *err, size_t errlen)
{
	const char *stype = NULL;
	char key[128];
	tref ff;

	m->rope_base = 10000.0f;
	m->rope_freq_scale = 1.0f;
	hp_f32(m, "rope.freq_base", &m->rope_base);
	snprintf(key, sizeof key, "%s.rope.scaling.type", arch_name(m->arch));
	if (eng_gguf_get_str(m->g, key, &stype, NULL) == 0 && strcmp(stype, "none") != 0) {
		float factor = 1.0f;

		hp_f32(m, "rope.scaling.factor", &factor);
		if (strcmp(stype, "linear") == 0) {
			if (!(factor > 0)) {
				eng_seterr(err, errlen, "%s: %s.rope.scaling.factor must be positive", m->path,
					arch_name(m->arch));
				return -1;
			}
			m->rope_freq_scale = 1.0f / factor;
		} else if (strcmp(stype, "yarn") == 0) {
			if (load_yarn(m, factor, err, errlen))
				return -1;
		} else if (strcmp(stype, "llama3") != 0) {
			eng_seterr(err, errlen, "%s: rope scaling type '%s' is not supported (linear, llama3, yarn)",
				m->path, stype);
			return -1;
		}
	}
	ff = eng_gguf_find_tensor(m->g, "rope_freqs.weight");
	if (ff) {
		if (ff->type != ENG_T_F32 || ff->ne[0] != m->n_rot / 2 || ff->ne[1] != 1) {
			eng_seterr(err, errlen, "%s: tensor 'rope_freqs.weight' must be f32 [%d]", m->path,
				m->n_rot / 2);
			return -1;
		}
		m->rope_ff = malloc((size_t)(m->n_rot / 2) * sizeof *m->rope_ff);
		if (!m->rope_ff) {
			eng_seterr(err, errlen, "%s: out of memory", m->path);
			return -1;
		}
		memcpy(m->rope_ff, ff->data, (size_t)(m->n_rot / 2) * sizeof *m->rope_ff);
	} else if (stype && strcmp(stype, "llama3") == 0) {
		return rope_llama3(m, err, errlen);
	}
	return 0;
}

/* llama4 (Llama 4 Scout and Maverick), as llama.cpp reads it: experts on every moe_step-th
 * layer (interleave_moe_layer_step, required; the others are dense), a shared expert as wide as
 * the routed ones, every 4th layer without RoPE (and with the attention temperature), the other
 * layers attending within chunks, the L2 Q/K norm except with 128 experts (Maverick). llama.cpp
 * and its converter store neither the chunk nor the temperature constants: they are the same
 * in both published models (chunk 8192; temperature floor 8192, scale 0.1), and llama.cpp
 * hard-codes them. This engine takes those values unless the file has
 * llama4.attention.chunk_size, .temperature_length (the floor) or .temperature_scale (its
 * test models do, so that a short prompt crosses a chunk and the temperature moves). */
static int load_llama4(eng_model *m, char *err, size_t errlen)
{
	static const char *const keys[] = { "interleave_moe_layer_step", "attention.chunk_size",
		"attention.temperature_length" };
	int *dst[] = { &m->l4.moe_step, &m->l4.chunk, &m->l4.temp_floor };
	const char *bad = NULL;
	uint32_t v;
	int rc;

	m->l4.chunk = 8192;
	m->l4.temp_floor = 8192;
	m->l4.temp_scale = 0.1f;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !bad; i++) {
		rc = hp_u32(m, keys[i], &v);
		if (rc == -1 && i > 0)
			continue;
		if (rc != 0 || v == 0 || v > (i == 0 ? (uint32_t)m->n_layer : 1u << 24))
			bad = keys[i];
		else
			*dst[i] = (int)v;
	}
	rc = hp_f32(m, "attention.temperature_scale", &m->l4.temp_scale);
	if (!bad && (rc == -2 || !(m->l4.temp_scale >= 0 && m->l4.temp_scale < 1e6f)))
		bad = "attention.temperature_scale";
	if (bad) {
		eng_seterr(err, errlen, "%s: key llama4.%s: %s", m->path, bad,
			strcmp(bad, keys[0]) == 0 && hp_u32(m, bad, &v) == -1 ? "missing" : "bad value");
		return -1;
	}
	m->l4.nope_step = 4;
	m->l4.kq_norm = m->n_expert != 128;
	m->l4.w_in = 1;
	if (!m->n_ff_shexp)
		m->n_ff_shexp = m->n_ff_exp;
	return 0;
}

static int f32_vectors(eng_model *m, char *err, size_t errlen);

/* ---------------------------------------------------------------- deepseek2: loading */

/* mainline llama.cpp's newer MLA layout (its converters write it for DeepSeek V2 / V3 / R1 and
 * Kimi K2): head_count_kv 1, the per-token cache row as the one "head" (key_length = kv_lora_rank
 * + rope.dimension_count, value_length = kv_lora_rank), the per-head widths in key_length_mla
 * and value_length_mla (192 and 128 when absent: DeepSeek's widths, the values ik_llama.cpp's
 * loader starts from, though at 8337e4c it then requires the keys). Read as ik_llama.cpp reads
 * it: turned into the layout the rest of the engine knows (head_count_kv = head_count, hd_k /
 * hd_v the per-head widths); the tensors are the same apart from attn_k_b / attn_v_b's 3-D form
 * (ds_per_head). Unlike ik_llama.cpp, any widths are taken, not only V3's 576 / 512 / 64 RoPE
 * dimensions. A file with head_count_kv 1 and a single head counts as this layout only when it
 * has key_length_mla. 0, or -1 with one line naming the key. */
static int ds_mla_layout(eng_model *m, char *err, size_t errlen)
{
	const char *a = arch_name(m->arch);
	uint32_t v;
	int newer = m->n_head_kv == 1 && (m->n_head > 1 || hp_u32(m, "attention.key_length_mla", &v) != -1);

	if (m->n_head_kv != m->n_head && !newer) {
		eng_seterr(err, errlen, "%s: key %s.attention.head_count_kv: %d, expected head_count %d or 1 (mainline "
			"llama.cpp's MLA layout)", m->path, a, m->n_head_kv, m->n_head);
		return -1;
	}
	if (!newer)
		return 0;
	if (m->hd_k != m->kv_lora + m->n_rot) {
		eng_seterr(err, errlen, "%s: key %s.attention.key_length: %d, expected %d (kv_lora_rank %d + "
			"rope.dimension_count %d) with head_count_kv 1", m->path, a, m->hd_k, m->kv_lora + m->n_rot,
			m->kv_lora, m->n_rot);
		return -1;
	}
	if (m->hd_v != m->kv_lora) {
		eng_seterr(err, errlen, "%s: key %s.attention.value_length: %d, expected kv_lora_rank %d with "
			"head_count_kv 1", m->path, a, m->hd_v, m->kv_lora);
		return -1;
	}
	m->hd_k = 192;
	m->hd_v = 128;
	if (hp_u32_opt(m, "attention.key_length_mla", 4096, &m->hd_k, err, errlen) ||
	    hp_u32_opt(m, "attention.value_length_mla", 4096, &m->hd_v, err, errlen))
		return -1;
	if (m->hd_k <= m->n_rot || m->hd_k % 2) {
		eng_seterr(err, errlen, "%s: key %s.attention.key_length_mla: %d, expected an even width above "
			"rope.dimension_count %d", m->path, a, m->hd_k, m->n_rot);
		return -1;
	}
	m->n_head_kv = m->n_head;
	return 0;
}

/* deepseek2 (DeepSeek V2 / V3 / R1, Kimi K2): multi-head latent attention and DeepSeek's
 * routing. The keys beyond the mixture-of-experts ones of load_hparams: the latent ranks, the
 * leading dense layers, shared experts, the gate function, expert groups, the weights' scale and
 * norm, and YaRN's magnitude factor. As llama.cpp: the RoPE pairs are adjacent (NORM), cos and
 * sin carry no YaRN magnitude (the graph divides it out again), and the attention scale is
 * mscale^2 / sqrt(hd_k) with mscale = attn_factor * (1 + yarn_log_multiplier * ln(1/freq_scale)). */
static int ds_hparams(eng_model *m, char *err, size_t errlen)
{
	const char *a = arch_name(m->arch);
	uint32_t v, n_shared = 0;
	float attn = 1.0f, log_mul = 0.0f;
	int rc, norm = 0;

	m->rope_type = ROPE_NORM;
	if ((rc = hp_u32(m, "attention.kv_lora_rank", &v)) != 0 || v == 0 || v > 65536) {
		eng_seterr(err, errlen, "%s: key %s.attention.kv_lora_rank: %s", m->path, a, rc == -1 ? "missing" : "bad value");
		return -1;
	}
	m->kv_lora = (int)v;
	if (ds_mla_layout(m, err, errlen))
		return -1;
	if ((rc = hp_u32(m, "attention.q_lora_rank", &v)) == 0 && (v == 0 || v > 65536)) {
		eng_seterr(err, errlen, "%s: key %s.attention.q_lora_rank: bad value", m->path, a);
		return -1;
	}
	m->q_lora = rc == 0 ? (int)v : 0;   /* absent: a full-rank query (the Lite models) */
	m->n_nope = m->hd_k - m->n_rot;
	if (m->n_nope <= 0) {
		eng_seterr(err, errlen, "%s: key %s.attention.key_length: %d leaves no key dimensions without RoPE "
			"(rope.dimension_count %d)", m->path, a, m->hd_k, m->n_rot);
		return -1;
	}
	if ((rc = hp_u32(m, "leading_dense_block_count", &v)) == -2 || (rc == 0 && v > (uint32_t)m->n_layer)) {
		eng_seterr(err, errlen, "%s: key %s.leading_dense_block_count: bad value", m->path, a);
		return -1;
	}
	m->n_dense_lead = rc == 0 ? (int)v : 0;
	if ((rc = hp_u32(m, "expert_shared_count", &n_shared)) == -2 || n_shared > 64) {
		eng_seterr(err, errlen, "%s: key %s.expert_shared_count: bad value", m->path, a);
		return -1;
	}
	m->n_ff_shexp = (int)n_shared * m->n_ff_exp;
	m->w_scale = 1.0f;
	if (hp_f32(m, "expert_weights_scale", &m->w_scale) == -2 || !(m->w_scale > 0) || !isfinite(m->w_scale)) {
		eng_seterr(err, errlen, "%s: key %s.expert_weights_scale: bad value", m->path, a);
		return -1;
	}
	{
		char key[128];

		snprintf(key, sizeof key, "%s.expert_weights_norm", a);
		if (eng_gguf_get_bool(m->g, key, &norm) == -2) {
			eng_seterr(err, errlen, "%s: key %s: bad value", m->path, key);
			return -1;
		}
		m->moe_norm_w = norm != 0;
	}
	/* 1 softmax (V2, and the default for files without the key), 2 sigmoid (V3) */
	if ((rc = hp_u32(m, "expert_gating_func", &v)) == -2 || (rc == 0 && v != 1 && v != 2)) {
		eng_seterr(err, errlen, "%s: key %s.expert_gating_func: %s (1 softmax, 2 sigmoid)", m->path, a,
			rc == -2 ? "bad type" : "unsupported value");
		return -1;
	}
	m->gate_sigmoid = rc == 0 && v == 2;
	m->n_group = 1;
	if (hp_u32_opt(m, "expert_group_count", (uint32_t)m->n_expert, &m->n_group, err, errlen))
		return -1;
	m->n_group_used = m->n_group;
	if ((rc = hp_u32(m, "expert_group_used_count", &v)) == -2 || (rc == 0 && (v == 0 || v > (uint32_t)m->n_group))) {
		eng_seterr(err, errlen, "%s: key %s.expert_group_used_count: bad value (1 .. expert_group_count %d)",
			m->path, a, m->n_group);
		return -1;
	}
	if (rc == 0)
		m->n_group_used = (int)v;
	if (m->n_expert % m->n_group != 0 || m->n_expert / m->n_group * m->n_group_used < m->n_expert_used) {
		eng_seterr(err, errlen, "%s: key %s.expert_group_count: %d groups (%d used) do not divide %d experts "
			"into groups that can hold the %d chosen", m->path, a, m->n_group, m->n_group_used, m->n_expert,
			m->n_expert_used);
		return -1;
	}
	if (hp_f32(m, "rope.scaling.yarn_log_multiplier", &log_mul) == -2 || !isfinite(log_mul) ||
	    hp_f32(m, "rope.scaling.attn_factor", &attn) == -2 || !(attn > 0)) {
		eng_seterr(err, errlen, "%s: key %s.rope.scaling.yarn_log_multiplier / attn_factor: bad value", m->path, a);
		return -1;
	}
	if (load_rope(m, err, errlen))
		return -1;
	if (m->yarn) {
		/* ggml multiplies cos and sin by attn_factor * (1 + 0.1 ln(1/freq_scale)); llama.cpp
		 * passes 1 / (1 + 0.1 ln(1/freq_scale)) as the attn_factor, so that they are ~1 */
		float f = 1.0f + 0.1f * logf(1.0f / m->rope_freq_scale);

		m->yarn_mscale = 1.0f / f * f;
	}
	{
		float ms = attn * (1.0f + log_mul * logf(1.0f / m->rope_freq_scale));

		m->kq_scale = 1.0f * ms * ms / sqrtf((float)m->hd_k);
	}
	return 0;
}

/* Layer il's tensor `suffix` into L->field (of ds_tensors and load_tensors, which have name, m,
 * L, il, err and errlen in scope): a missing or misshapen tensor returns -1 from the function. */
#define T(field, suffix, ne0, ne1, opt) do { snprintf(name, sizeof name, "blk.%d." suffix, il); \
	if (want_tensor(m, name, ne0, ne1, opt, &L->field, err, errlen)) return -1; } while (0)
#define T3(field, suffix, ne0, ne1, ne2) do { snprintf(name, sizeof name, "blk.%d." suffix, il); \
	if (want_tensor3(m, name, ne0, ne1, ne2, 0, &L->field, err, errlen)) return -1; } while (0)

/* Layer il's optional split up-projection blk.il.attn_<kv>_b.weight (attn_k_b: n_nope wide,
 * kv_lora rows per head; attn_v_b: kv_lora wide, hd_v rows per head) into *out, in either form:
 * 2-D [cols, n_head x rows] (ik_llama.cpp's converter) or 3-D [cols, rows, n_head] (mainline
 * llama.cpp's newer layout). The bytes are the same, head after head, so the forward reads both
 * alike. */
static int ds_per_head(eng_model *m, int il, const char *kv, int64_t cols, int64_t rows, tref *out, char *err,
	size_t errlen)
{
	char name[96];
	tref t;

	snprintf(name, sizeof name, "blk.%d.attn_%s_b.weight", il, kv);
	t = eng_gguf_find_tensor(m->g, name);
	if (t && t->n_dims == 3)
		return want_tensor3(m, name, cols, rows, m->n_head, 0, out, err, errlen);
	return want_tensor(m, name, cols, (int64_t)m->n_head * rows, 1, out, err, errlen);
}

/* deepseek2's tensors. The query: attn_q_a, attn_q_a_norm and attn_q_b with a q_lora_rank, else
 * attn_q. The keys and values: attn_kv_a_mqa to the latent and the RoPE key, attn_kv_a_norm, and
 * the up-projection attn_kv_b, or the converters' split attn_k_b / attn_v_b (used when present,
 * 2-D or 3-D: ds_per_head; attn_kv_b may then be absent, as in mainline llama.cpp's files). The
 * first leading_dense_block_count layers have a dense FFN, the others routed experts with the
 * optional selection bias exp_probs_b and the shared experts (expert_shared_count x
 * expert_feed_forward_length wide, without a gate of their own). */
static int ds_tensors(eng_model *m, char *err, size_t errlen)
{
	char name[96];
	int64_t E = m->n_embd, H = m->n_head, R = m->kv_lora, Q = H * m->hd_k, O = H * m->hd_v;
	int64_t X = m->n_expert, FE = m->n_ff_exp, FS = m->n_ff_shexp;

	for (int il = 0; il < m->n_layer; il++) {
		layer *L = &m->layers[il];

		T(attn_norm, "attn_norm.weight", E, 0, 0);
		if (m->q_lora) {
			T(wq_a, "attn_q_a.weight", E, m->q_lora, 0);
			T(q_a_norm, "attn_q_a_norm.weight", m->q_lora, 0, 0);
			T(wq_b, "attn_q_b.weight", m->q_lora, Q, 0);
		} else {
			T(wq, "attn_q.weight", E, Q, 0);
		}
		T(wkv_a, "attn_kv_a_mqa.weight", E, R + m->n_rot, 0);
		T(kv_a_norm, "attn_kv_a_norm.weight", R, 0, 0);
		if (ds_per_head(m, il, "k", m->n_nope, R, &L->wk_b, err, errlen) ||
		    ds_per_head(m, il, "v", R, m->hd_v, &L->wv_b, err, errlen))
			return -1;
		snprintf(name, sizeof name, "blk.%d.attn_kv_b.weight", il);
		if (!L->wk_b != !L->wv_b && !eng_gguf_find_tensor(m->g, name)) {
			eng_seterr(err, errlen, "%s: missing tensor 'blk.%d.attn_%s_b.weight' (attn_%s_b is there, "
				"attn_kv_b is not)", m->path, il, L->wk_b ? "v" : "k", L->wk_b ? "k" : "v");
			return -1;
		}
		T(wkv_b, "attn_kv_b.weight", R, H * (m->n_nope + m->hd_v), L->wk_b && L->wv_b);
		T(wo, "attn_output.weight", O, E, 0);
		T(ffn_norm, "ffn_norm.weight", E, 0, 0);
		if (il < m->n_dense_lead) {
			T(ffn_gate, "ffn_gate.weight", E, m->n_ff, 0);
			T(ffn_up, "ffn_up.weight", E, m->n_ff, 0);
			T(ffn_down, "ffn_down.weight", m->n_ff, E, 0);
			continue;
		}
		T(ffn_gate_inp, "ffn_gate_inp.weight", E, X, 0);
		T(exp_probs_b, "exp_probs_b.bias", X, 0, 1);
		T3(ffn_gate_exps, "ffn_gate_exps.weight", E, FE, X);
		T3(ffn_up_exps, "ffn_up_exps.weight", E, FE, X);
		T3(ffn_down_exps, "ffn_down_exps.weight", FE, E, X);
		if (FS) {
			T(ffn_gate_shexp, "ffn_gate_shexp.weight", E, FS, 0);
			T(ffn_up_shexp, "ffn_up_shexp.weight", E, FS, 0);
			T(ffn_down_shexp, "ffn_down_shexp.weight", FS, E, 0);
		}
		if (L->ffn_gate_inp->type != ENG_T_F32) {
			eng_seterr(err, errlen, "%s: tensor 'blk.%d.ffn_gate_inp.weight' (the router) must be f32", m->path, il);
			return -1;
		}
	}
	return 0;
}

/* After the weights are in memory: without the split attn_k_b, wkv_b's key rows of each head
 * transposed into an F16 [kv_lora][n_nope] block, so that the query can be taken into the
 * latent space (q_lat = W_k^T q_nope) with row dot products. */
static int ds_prepare(eng_model *m, char *err, size_t errlen)
{
	size_t H = (size_t)m->n_head, R = (size_t)m->kv_lora, N = (size_t)m->n_nope;
	float *row = malloc(R * sizeof *row);

	if (!row) {
		eng_seterr(err, errlen, "%s: out of memory", m->path);
		return -1;
	}
	for (int il = 0; il < m->n_layer; il++) {
		layer *L = &m->layers[il];
		tref kv = L->wkv_b;
		size_t rs;

		if (L->wk_b)
			continue;
		rs = eng_row_size(kv->type, kv->ne[0]);
		L->kb_f16 = malloc(H * R * N * sizeof *L->kb_f16);
		if (!L->kb_f16) {
			free(row);
			eng_seterr(err, errlen, "%s: out of memory", m->path);
			return -1;
		}
		for (size_t h = 0; h < H; h++)
			for (size_t i = 0; i < N; i++) {
				eng_dequant_row(kv->type, (const char *)kv->data + (h * (N + (size_t)m->hd_v) + i) * rs, row,
					(int64_t)R);
				for (size_t r = 0; r < R; r++)
					L->kb_f16[(h * R + r) * N + i] = eng_f32_to_f16(row[r]);
			}
	}
	free(row);
	return 0;
}

/* The router and the shared expert's gate of layer il are read as f32: 0, or -1 with a message. */
static int router_f32(const eng_model *m, const layer *L, int il, char *err, size_t errlen)
{
	if (L->ffn_gate_inp->type != ENG_T_F32 || (L->ffn_gate_inp_shexp && L->ffn_gate_inp_shexp->type != ENG_T_F32)) {
		eng_seterr(err, errlen, "%s: tensor 'blk.%d.ffn_gate_inp%s.weight' (the router) must be f32",
			m->path, il, L->ffn_gate_inp->type != ENG_T_F32 ? "" : "_shexp");
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- qwen3next: loading */

/* qwen3next (Qwen3-Next, Qwen3-Coder-Next): a hybrid of gated delta-net layers (linear
 * attention with a recurrent state per sequence) and, every full_attention_interval-th layer,
 * gated full attention; experts with a gated shared expert. The keys beyond the common and the
 * mixture-of-experts ones, as llama.cpp's converter writes them: ssm.conv_kernel (the causal
 * convolution's width), ssm.state_size (the key head width), ssm.group_count (key heads),
 * ssm.time_step_rank (value heads), ssm.inner_size (all value heads' width), and
 * full_attention_interval (4 when absent, the value ik_llama.cpp assumes). The delta-rule state
 * is square (key head width = value head width), as in ik_llama.cpp. */
static int q3n_hparams(eng_model *m, char *err, size_t errlen)
{
	static const struct { const char *key; size_t off; uint32_t max; } req[] = {
		{ "ssm.conv_kernel", offsetof(struct q3n_hp, d_conv), 64 },
		{ "ssm.state_size", offsetof(struct q3n_hp, hk), 1024 },
		{ "ssm.group_count", offsetof(struct q3n_hp, nk), 1024 },
		{ "ssm.time_step_rank", offsetof(struct q3n_hp, nv), 1024 },
		{ "ssm.inner_size", offsetof(struct q3n_hp, hv), 1u << 20 },
	};
	struct q3n_hp *h = &m->q3n;
	const char *a = arch_name(m->arch);
	uint32_t v;
	int rc;

	for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
		rc = hp_u32(m, req[i].key, &v);
		if (rc != 0 || v == 0 || v > req[i].max || (i == 0 && v < 2)) {
			eng_seterr(err, errlen, "%s: key %s.%s: %s", m->path, a, req[i].key,
				rc == -1 ? "missing" : "bad value (too large, or 0)");
			return -1;
		}
		*(int *)((char *)h + req[i].off) = (int)v;
	}
	if (h->hv % h->nv != 0 || h->nv % h->nk != 0) {
		eng_seterr(err, errlen, "%s: key %s.ssm.inner_size: %d value dimensions in %d value heads (ssm.time_step_rank) "
			"for %d key heads (ssm.group_count): the heads must divide evenly", m->path, a, h->hv, h->nv, h->nk);
		return -1;
	}
	h->hv /= h->nv;
	if (h->hv != h->hk) {
		eng_seterr(err, errlen, "%s: key %s.ssm.state_size: key heads of %d and value heads of %d: only square "
			"delta-rule states are supported", m->path, a, h->hk, h->hv);
		return -1;
	}
	h->full_every = 4;
	if (hp_u32_opt(m, "full_attention_interval", (uint32_t)m->n_layer, &h->full_every, err, errlen))
		return -1;
	if (m->n_expert && !m->n_ff_shexp)
		m->n_ff_shexp = m->n_ff_exp;   /* as ik_llama.cpp: the shared expert as wide as one routed */
	return 0;
}

/* qwen3next's tensors. Every layer: attn_norm and post_attention_norm (the FFN's norm). An
 * attention layer: attn_q twice as wide as the heads (each head's query, then its output gate),
 * attn_k, attn_v, attn_q_norm, attn_k_norm, attn_output. A delta-net layer: ssm_in (or the split
 * attn_qkv and attn_gate), ssm_conv1d (f32), ssm_dt.bias, ssm_a, ssm_ba, ssm_norm, ssm_out. The
 * FFN: routed experts where there is a router (ffn_gate_inp), else dense; a shared expert where
 * there is its gate (ffn_gate_inp_shexp). */
static int q3n_tensors(eng_model *m, char *err, size_t errlen)
{
	char name[96];
	const struct q3n_hp *h = &m->q3n;
	int64_t E = m->n_embd, Q = (int64_t)m->n_head * m->hd_k, KV = (int64_t)m->n_head_kv * m->hd_k;
	int64_t K = (int64_t)h->nk * h->hk, V = (int64_t)h->nv * h->hv, X = m->n_expert;

	if (m->hd_k != m->hd_v) {
		eng_seterr(err, errlen, "%s: key %s.attention.value_length: %d, expected key_length %d", m->path,
			arch_name(m->arch), m->hd_v, m->hd_k);
		return -1;
	}
	m->n_layer_kv = 0;
	m->q3n.n_rec = 0;
	for (int il = 0; il < m->n_layer; il++) {
		layer *L = &m->layers[il];
		tref t;

		T(attn_norm, "attn_norm.weight", E, 0, 0);
		T(ffn_norm, "post_attention_norm.weight", E, 0, 0);
		if ((il + 1) % h->full_every == 0) {
			L->kv_slot = m->n_layer_kv++;
			T(wq, "attn_q.weight", E, 2 * Q, 0);
			T(wk, "attn_k.weight", E, KV, 0);
			T(wv, "attn_v.weight", E, KV, 0);
			T(q_norm, "attn_q_norm.weight", m->hd_k, 0, 0);
			T(k_norm, "attn_k_norm.weight", m->hd_k, 0, 0);
			T(wo, "attn_output.weight", Q, E, 0);
		} else {
			L->kv_slot = -1;
			L->rec = m->q3n.n_rec++;
			T(ssm_qkv, "attn_qkv.weight", E, 2 * K + V, 1);
			T(ssm_gate, "attn_gate.weight", E, V, !L->ssm_qkv);
			T(ssm_in, "ssm_in.weight", E, 2 * K + 2 * V, L->ssm_qkv != NULL);
			snprintf(name, sizeof name, "blk.%d.ssm_conv1d.weight", il);
			t = eng_gguf_find_tensor(m->g, name);
			if (t && t->ne[0] != h->d_conv) {
				eng_seterr(err, errlen, "%s: tensor '%s': a convolution of %lld taps, but key %s.ssm.conv_kernel "
					"is %d", m->path, name, (long long)t->ne[0], arch_name(m->arch), h->d_conv);
				return -1;
			}
			T(ssm_conv, "ssm_conv1d.weight", h->d_conv, 2 * K + V, 0);
			T(ssm_dt, "ssm_dt.bias", h->nv, 0, 0);
			T(ssm_a, "ssm_a", h->nv, 0, 0);
			T(ssm_ba, "ssm_ba.weight", E, 2 * h->nv, 0);
			T(ssm_norm, "ssm_norm.weight", h->hv, 0, 0);
			T(ssm_out, "ssm_out.weight", V, E, 0);
			if (L->ssm_conv->type != ENG_T_F32 || L->ssm_a->type != ENG_T_F32) {
				eng_seterr(err, errlen, "%s: tensor 'blk.%d.%s' must be f32", m->path, il,
					L->ssm_a->type != ENG_T_F32 ? "ssm_a" : "ssm_conv1d.weight");
				return -1;
			}
		}
		T(ffn_gate_inp, "ffn_gate_inp.weight", E, X ? X : 1, 1);
		if (L->ffn_gate_inp && !X) {
			eng_seterr(err, errlen, "%s: tensor 'blk.%d.ffn_gate_inp.weight': a router, but the file has no "
				"key %s.expert_count", m->path, il, arch_name(m->arch));
			return -1;
		}
		if (L->ffn_gate_inp) {
			T3(ffn_gate_exps, "ffn_gate_exps.weight", E, m->n_ff_exp, X);
			T3(ffn_up_exps, "ffn_up_exps.weight", E, m->n_ff_exp, X);
			T3(ffn_down_exps, "ffn_down_exps.weight", m->n_ff_exp, E, X);
			T(ffn_gate_inp_shexp, "ffn_gate_inp_shexp.weight", E, 0, 1);
			if (router_f32(m, L, il, err, errlen))
				return -1;
		} else {
			T(ffn_gate, "ffn_gate.weight", E, m->n_ff, 0);
			T(ffn_up, "ffn_up.weight", E, m->n_ff, 0);
			T(ffn_down, "ffn_down.weight", m->n_ff, E, 0);
			T(ffn_gate_inp_shexp, "ffn_gate_inp_shexp.weight", E, 0, 1);
		}
		snprintf(name, sizeof name, "blk.%d.ffn_gate_shexp.weight", il);
		if (!L->ffn_gate_inp_shexp && eng_gguf_find_tensor(m->g, name)) {
			/* a shared expert without its gate: refused rather than run ungated */
			eng_seterr(err, errlen, "%s: missing tensor 'blk.%d.ffn_gate_inp_shexp.weight' (the shared "
				"expert's gate)", m->path, il);
			return -1;
		}
		if (L->ffn_gate_inp_shexp) {
			if (!L->ffn_gate_inp) {
				eng_seterr(err, errlen, "%s: tensor 'blk.%d.ffn_gate_inp_shexp.weight': a shared expert on a "
					"layer without routed experts is not supported", m->path, il);
				return -1;
			}
			T(ffn_gate_shexp, "ffn_gate_shexp.weight", E, m->n_ff_shexp, 0);
			T(ffn_up_shexp, "ffn_up_shexp.weight", E, m->n_ff_shexp, 0);
			T(ffn_down_shexp, "ffn_down_shexp.weight", m->n_ff_shexp, E, 0);
		}
	}
	return 0;
}

static int load_hparams(eng_model *m, char *err, size_t errlen)
{
	uint32_t v;
	static const struct { const char *key; size_t off; uint32_t max; } req[] = {
		{ "embedding_length", offsetof(eng_model, n_embd), 1u << 20 },
		{ "block_count", offsetof(eng_model, n_layer), 4096 },
		{ "attention.head_count", offsetof(eng_model, n_head), 4096 },
		{ "feed_forward_length", offsetof(eng_model, n_ff), 1u << 22 },
	};

	for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
		int rc = hp_u32(m, req[i].key, &v);

		if (rc == -1) {
			eng_seterr(err, errlen, "%s: missing key %s.%s", m->path, arch_name(m->arch), req[i].key);
			return -1;
		}
		if (rc < 0 || v == 0 || v > req[i].max) {
			eng_seterr(err, errlen, "%s: key %s.%s: bad value", m->path, arch_name(m->arch), req[i].key);
			return -1;
		}
		*(int *)((char *)m + req[i].off) = (int)v;
	}
	m->n_head_kv = m->n_head;
	if (hp_u32(m, "attention.head_count_kv", &v) == 0)
		m->n_head_kv = (int)v;
	if (m->n_head_kv <= 0 || m->n_head % m->n_head_kv != 0) {
		eng_seterr(err, errlen, "%s: key %s.attention.head_count_kv: %d does not divide head_count %d",
			m->path, arch_name(m->arch), m->n_head_kv, m->n_head);
		return -1;
	}
	m->n_ctx_train = 2048;
	if (hp_u32(m, "context_length", &v) == 0 && v > 0 && v <= (1u << 24))
		m->n_ctx_train = (int)v;
	m->hd_k = m->hd_v = m->n_embd / m->n_head;
	if (hp_u32(m, "attention.key_length", &v) == 0)
		m->hd_k = (int)v;
	if (hp_u32(m, "attention.value_length", &v) == 0)
		m->hd_v = (int)v;
	if (m->hd_k <= 0 || m->hd_v <= 0 || m->hd_k > 4096 || m->hd_v > 4096 || m->hd_k % 2) {
		eng_seterr(err, errlen, "%s: bad attention head size (key %d, value %d)", m->path, m->hd_k, m->hd_v);
		return -1;
	}
	m->n_rot = m->hd_k;
	if (hp_u32(m, "rope.dimension_count", &v) == 0)
		m->n_rot = (int)v;
	if (m->n_rot <= 0 || m->n_rot > m->hd_k || m->n_rot % 2) {
		eng_seterr(err, errlen, "%s: key %s.rope.dimension_count: %d does not fit head size %d",
			m->path, arch_name(m->arch), m->n_rot, m->hd_k);
		return -1;
	}
	m->norm_eps = 1e-5f;
	if (hp_f32(m, "attention.layer_norm_rms_epsilon", &m->norm_eps) == -2 || !(m->norm_eps >= 0)) {
		eng_seterr(err, errlen, "%s: key %s.attention.layer_norm_rms_epsilon: bad value", m->path,
			arch_name(m->arch));
		return -1;
	}
	m->rope_type = m->arch == ARCH_LLAMA || m->arch == ARCH_LLAMA4 ? ROPE_NORM : ROPE_NEOX;
	if (m->arch == ARCH_QWEN2MOE || m->arch == ARCH_QWEN3MOE || m->arch == ARCH_GPTOSS || m->arch == ARCH_LLAMA4 ||
	    m->arch == ARCH_DEEPSEEK2 || (m->arch == ARCH_QWEN3NEXT && hp_u32(m, "expert_count", &v) != -1)) {
		static const struct { const char *key; size_t off; int need; } moe[] = {
			{ "expert_count", offsetof(eng_model, n_expert), 1 },
			{ "expert_used_count", offsetof(eng_model, n_expert_used), 1 },
			{ "expert_feed_forward_length", offsetof(eng_model, n_ff_exp), 1 },
			{ "expert_shared_feed_forward_length", offsetof(eng_model, n_ff_shexp), 0 },
		};

		for (size_t i = 0; i < sizeof moe / sizeof moe[0]; i++) {
			int rc = hp_u32(m, moe[i].key, &v);

			if (rc == -1 && !moe[i].need)
				continue;
			if (rc == -1) {
				eng_seterr(err, errlen, "%s: missing key %s.%s", m->path, arch_name(m->arch), moe[i].key);
				return -1;
			}
			if (rc < 0 || v == 0 || v > (1u << 22)) {
				eng_seterr(err, errlen, "%s: key %s.%s: bad value", m->path, arch_name(m->arch), moe[i].key);
				return -1;
			}
			*(int *)((char *)m + moe[i].off) = (int)v;
		}
		if (m->n_expert > 4096 || m->n_expert_used > m->n_expert) {
			eng_seterr(err, errlen, "%s: key %s.expert_used_count: %d experts used of %d (at most "
				"all, and at most 4096 experts)", m->path, arch_name(m->arch), m->n_expert_used,
				m->n_expert);
			return -1;
		}
		/* qwen3moe and qwen3next renormalise the chosen experts' weights (norm_topk_prob);
		 * qwen2moe does not */
		m->moe_norm_w = m->arch == ARCH_QWEN3MOE || m->arch == ARCH_QWEN3NEXT;
	}
	if (m->arch == ARCH_GPTOSS) {
		/* as llama.cpp: softmax over the chosen experts' (biased) logits, the clamped SwiGLU,
		 * sliding-window attention on the even layers */
		m->moe_topk_softmax = 1;
		m->moe_swiglu_oai = 1;
		int rc = hp_u32(m, "attention.sliding_window", &v);
		if (rc == -1 || rc < 0 || v == 0 || v > (1u << 24)) {
			eng_seterr(err, errlen, "%s: key %s.attention.sliding_window: %s", m->path, arch_name(m->arch),
				rc == -1 ? "missing" : "bad value");
			return -1;
		}
		m->n_swa = (int)v;
	}
	if (m->arch == ARCH_LLAMA4 && load_llama4(m, err, errlen))
		return -1;
	if (m->arch == ARCH_DEEPSEEK2)
		return ds_hparams(m, err, errlen);
	if (m->arch == ARCH_QWEN3NEXT && q3n_hparams(m, err, errlen))
		return -1;
	return load_rope(m, err, errlen);
}

static int load_tensors(eng_model *m, char *err, size_t errlen)
{
	char name[96];
	int64_t E = m->n_embd, Q = (int64_t)m->n_head * m->hd_k, K = (int64_t)m->n_head_kv * m->hd_k;
	int64_t V = (int64_t)m->n_head_kv * m->hd_v, O = (int64_t)m->n_head * m->hd_v, F = m->n_ff;
	int bias = m->arch == ARCH_QWEN2 || m->arch == ARCH_QWEN2MOE || m->arch == ARCH_GPTOSS;
	int oss = m->arch == ARCH_GPTOSS;
	int64_t X = m->n_expert, FE = m->n_ff_exp, FS = m->n_ff_shexp;

	if (want_tensor(m, "token_embd.weight", E, m->n_vocab, 0, &m->tok_embd, err, errlen) ||
	    want_tensor(m, "output_norm.weight", E, 0, 0, &m->output_norm, err, errlen) ||
	    want_tensor(m, "output.weight", E, m->n_vocab, 1, &m->output, err, errlen))
		return -1;
	if (!m->output)
		m->output = m->tok_embd;   /* tied embeddings */
	m->layers = calloc((size_t)m->n_layer, sizeof *m->layers);
	if (!m->layers) {
		eng_seterr(err, errlen, "%s: out of memory", m->path);
		return -1;
	}
	m->n_layer_kv = m->n_layer;
	for (int il = 0; il < m->n_layer; il++) {
		m->layers[il].rec = -1;
		m->layers[il].kv_slot = il;
	}
	if (m->arch == ARCH_DEEPSEEK2)
		return ds_tensors(m, err, errlen) || f32_vectors(m, err, errlen) ? -1 : 0;
	if (m->arch == ARCH_QWEN3NEXT)
		return q3n_tensors(m, err, errlen) || f32_vectors(m, err, errlen) ? -1 : 0;
	for (int il = 0; il < m->n_layer; il++) {
		layer *L = &m->layers[il];

		if (m->arch == ARCH_LLAMA4) {
			L->nope = (il + 1) % m->l4.nope_step == 0;
			L->chunk = L->nope ? 0 : m->l4.chunk;
		}
		T(attn_norm, "attn_norm.weight", E, 0, 0);
		T(wq, "attn_q.weight", E, Q, 0);
		T(wk, "attn_k.weight", E, K, 0);
		T(wv, "attn_v.weight", E, V, 0);
		T(wo, "attn_output.weight", O, E, 0);
		T(bq, "attn_q.bias", Q, 0, !bias);
		T(bk, "attn_k.bias", K, 0, !bias);
		T(bv, "attn_v.bias", V, 0, !bias);
		T(bo, "attn_output.bias", E, 0, !oss);
		if (m->arch == ARCH_QWEN3 || m->arch == ARCH_QWEN3MOE) {
			T(q_norm, "attn_q_norm.weight", m->hd_k, 0, 0);
			T(k_norm, "attn_k_norm.weight", m->hd_k, 0, 0);
		}
		if (oss) {
			/* gpt-oss names its pre-FFN norm post_attention_norm */
			T(ffn_norm, "post_attention_norm.weight", E, 0, 0);
			T(attn_sinks, "attn_sinks.weight", m->n_head, 0, 0);
			if (L->attn_sinks->type != ENG_T_F32) {
				eng_seterr(err, errlen, "%s: tensor 'blk.%d.attn_sinks.weight' must be f32", m->path, il);
				return -1;
			}
			L->swa = il % 2 == 0;
			snprintf(name, sizeof name, "blk.%d.ffn_gate_up_exps.weight", il);
			if (eng_gguf_find_tensor(m->g, name)) {
				eng_seterr(err, errlen, "%s: tensor '%s': merged gate/up experts are not supported "
					"(expected ffn_gate_exps and ffn_up_exps)", m->path, name);
				return -1;
			}
		} else {
			T(ffn_norm, "ffn_norm.weight", E, 0, 0);
		}
		if (X && (!m->l4.moe_step || (il + 1) % m->l4.moe_step == 0)) {
			T(ffn_gate_inp, "ffn_gate_inp.weight", E, X, 0);
			T3(ffn_gate_exps, "ffn_gate_exps.weight", E, FE, X);
			T3(ffn_up_exps, "ffn_up_exps.weight", E, FE, X);
			T3(ffn_down_exps, "ffn_down_exps.weight", FE, E, X);
			if (oss) {
				T(ffn_gate_inp_b, "ffn_gate_inp.bias", X, 0, 0);
				T(ffn_gate_exps_b, "ffn_gate_exps.bias", FE, X, 0);
				T(ffn_up_exps_b, "ffn_up_exps.bias", FE, X, 0);
				T(ffn_down_exps_b, "ffn_down_exps.bias", E, X, 0);
			}
			if (FS) {
				if (m->arch != ARCH_LLAMA4)   /* llama4's shared expert has no gate */
					T(ffn_gate_inp_shexp, "ffn_gate_inp_shexp.weight", E, 0, 0);
				T(ffn_gate_shexp, "ffn_gate_shexp.weight", E, FS, 0);
				T(ffn_up_shexp, "ffn_up_shexp.weight", E, FS, 0);
				T(ffn_down_shexp, "ffn_down_shexp.weight", FS, E, 0);
			}
			if (router_f32(m, L, il, err, errlen))
				return -1;
		} else {
			T(ffn_gate, "ffn_gate.weight", E, F, 0);
			T(ffn_up, "ffn_up.weight", E, F, 0);
			T(ffn_down, "ffn_down.weight", F, E, 0);
		}
	}
#undef T
#undef T3
	return f32_vectors(m, err, errlen);
}

/* Norm weights and biases are read as f32 directly. */
static int f32_vectors(eng_model *m, char *err, size_t errlen)
{
	for (int64_t i = 0; i < eng_gguf_n_tensors(m->g); i++) {
		tref t = eng_gguf_tensor_at(m->g, i);
		size_t nl = strlen(t->name);

		if (((nl > 12 && strcmp(t->name + nl - 12, "_norm.weight") == 0) ||
		     (nl > 5 && strcmp(t->name + nl - 5, ".bias") == 0)) && t->type != ENG_T_F32) {
			eng_seterr(err, errlen, "%s: tensor '%s' must be f32", m->path, t->name);
			return -1;
		}
	}
	return 0;
}

static eng_cuda_tensor cu_t(tref t)
{
	eng_cuda_tensor r = { 0, 0, 0, NULL, 0 };

	if (t) {
		r.type = t->type;
		r.ne0 = t->ne[0];
		r.ne1 = t->ne[1];
		r.data = t->data;
		r.bytes = (size_t)t->size_bytes;
	}
	return r;
}

int eng_gpu_info(char *name, size_t n, double *peak_gbs)
{
	const eng_cuda_backend *be = eng_cuda_backend_get();

	return be ? be->device_info(name, n, peak_gbs) : -1;
}

/* --device cuda: the first n_gpu_layers layers (all when -1 or more than there are; the output
 * head only with all) are uploaded once; eng_decode runs the rest on the CPU. */
static int gpu_load(eng_model *m, const eng_opts *o, char *err, size_t errlen)
{
	eng_cuda_model_desc d;
	eng_cuda_layer *L;

	if (!(m->cuda = eng_cuda_backend_get())) {
		eng_seterr(err, errlen, "%s: --device cuda: this tierbench was built without CUDA (make CUDA=1)", m->path);
		return -1;
	}
	if (m->n_expert || m->arch == ARCH_QWEN3NEXT) {
		eng_seterr(err, errlen, "%s: --device cuda: mixture-of-experts and hybrid models (%s) run on the CPU only; "
			"use --device cpu", m->path, arch_name(m->arch));
		return -1;
	}
	m->n_gpu = o->n_gpu_layers >= 0 && o->n_gpu_layers < m->n_layer ? o->n_gpu_layers : m->n_layer;
	if (m->n_gpu == 0)
		return 0;   /* -ngl 0: all on the CPU */
	L = calloc((size_t)m->n_layer, sizeof *L);
	if (!L) {
		eng_seterr(err, errlen, "%s: out of memory", m->path);
		return -1;
	}
	memset(&d, 0, sizeof d);
	d.n_vocab = m->n_vocab;
	d.n_embd = m->n_embd;
	d.n_layer = m->n_gpu;
	d.n_head = m->n_head;
	d.n_head_kv = m->n_head_kv;
	d.n_ff = m->n_ff;
	d.hd_k = m->hd_k;
	d.hd_v = m->hd_v;
	d.n_rot = m->n_rot;
	d.rope_neox = m->rope_type != ROPE_NORM;
	d.rope_base = m->rope_base;
	d.rope_freq_scale = m->rope_freq_scale;
	d.norm_eps = m->norm_eps;
	d.rope_ff = m->rope_ff;
	d.tok_embd = cu_t(m->tok_embd);
	d.output_norm = cu_t(m->n_gpu == m->n_layer ? m->output_norm : NULL);
	d.output = cu_t(m->n_gpu == m->n_layer && m->output != m->tok_embd ? m->output : NULL);
	for (int il = 0; il < m->n_layer; il++) {
		const layer *s = &m->layers[il];

		L[il] = (eng_cuda_layer){ cu_t(s->attn_norm), cu_t(s->wq), cu_t(s->wk), cu_t(s->wv), cu_t(s->wo),
			cu_t(s->bq), cu_t(s->bk), cu_t(s->bv), cu_t(s->bo), cu_t(s->q_norm), cu_t(s->k_norm),
			cu_t(s->ffn_norm), cu_t(s->ffn_gate), cu_t(s->ffn_up), cu_t(s->ffn_down) };
	}
	d.layers = L;
	m->gpu = m->cuda->model_new(&d, err, errlen);
	free(L);
	return m->gpu ? 0 : -1;
}

/* A "Key:   N kB" line of a /proc file, in bytes; 0 when absent. */
static uint64_t proc_kb(const char *path, const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	uint64_t v = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = strtoull(line + kl + 1, NULL, 10) * 1024;
			break;
		}
	fclose(f);
	return v;
}

/* The first number in a one-line file (a cgroup's memory.max / memory.current); UINT64_MAX when
 * absent or "max". */
static uint64_t file_u64(const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");
	uint64_t v = UINT64_MAX;

	if (!f)
		return v;
	if (fgets(buf, sizeof buf, f) && buf[0] >= '0' && buf[0] <= '9')
		v = strtoull(buf, NULL, 10);
	fclose(f);
	return v;
}

/* Room under one cgroup's memory limit (v1: memory.limit_in_bytes less memory.usage_in_bytes,
 * where 2^62 and above is v1's "no limit"; v2: memory.max less memory.current); UINT64_MAX when
 * the group sets none or its files are not there. */
static uint64_t cg_room_at(const char *dir, int v1)
{
	char p[1300];
	uint64_t mx, cur;

	snprintf(p, sizeof p, "%s/%s", dir, v1 ? "memory.limit_in_bytes" : "memory.max");
	mx = file_u64(p);
	snprintf(p, sizeof p, "%s/%s", dir, v1 ? "memory.usage_in_bytes" : "memory.current");
	cur = file_u64(p);
	if (mx == UINT64_MAX || cur == UINT64_MAX || (v1 && mx >= (1ull << 62)))
		return UINT64_MAX;
	return mx > cur ? mx - cur : 0;
}

/* 1 when the comma-separated list ctl names `name`. */
static int has_controller(const char *ctl, const char *name)
{
	size_t n = strlen(name);

	for (const char *c = ctl; c && *c; c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL)
		if (strncmp(c, name, n) == 0 && (c[n] == ',' || c[n] == '\0'))
			return 1;
	return 0;
}

uint64_t eng_cgroup_room(const char *root, const char *self_cgroup)
{
	uint64_t room = UINT64_MAX;

	for (const char *s = self_cgroup; s && *s;) {
		const char *nl = strchr(s, '\n'), *start = s;
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char line[1024], dir[1200];
		char *c1, *c2;
		int v1 = -1;

		s = nl ? nl + 1 : NULL;
		if (len >= sizeof line)
			continue;
		memcpy(line, start, len);
		line[len] = '\0';
		c1 = strchr(line, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		if (c1 == line + 1 && line[0] == '0' && c1[1] == '\0')
			v1 = 0;   /* "0::PATH": the v2 hierarchy */
		else if (has_controller(c1 + 1, "memory"))
			v1 = 1;
		if (v1 < 0 || c2[1] != '/')
			continue;
		/* the group and each group above it: the tightest limit holds */
		for (char *path = c2 + 1;;) {
			char *sl;
			uint64_t r;

			snprintf(dir, sizeof dir, "%s%s%s", root, v1 ? "/memory" : "", strcmp(path, "/") == 0 ? "" : path);
			r = cg_room_at(dir, v1);
			room = r < room ? r : room;
			if (strcmp(path, "/") == 0)
				break;
			sl = strrchr(path, '/');
			if (sl == path)
				sl[1] = '\0';
			else
				*sl = '\0';
		}
	}
	return room;
}

/* Memory this process can still fill, in bytes: the kernel's MemAvailable, the room left under
 * the memory limits of this process's cgroups (v1 or v2, eng_cgroup_room), and the room left
 * under the address-space limit (RLIMIT_AS), the least of those known; UINT64_MAX when none is. */
static uint64_t mem_room(void)
{
	uint64_t room = proc_kb("/proc/meminfo", "MemAvailable"), cg;
	struct rlimit rl;
	tb_buf self;
	char err[256];

	if (!room)
		room = UINT64_MAX;
	tb_buf_init(&self, 0);
	cg = eng_cgroup_room("/sys/fs/cgroup",
		tb_file_read("/proc/self/cgroup", 1 << 16, &self, err, sizeof err) == 0 ? tb_buf_str(&self) : "");
	tb_buf_release(&self);
	room = cg < room ? cg : room;
	if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		uint64_t used = proc_kb("/proc/self/status", "VmSize");
		uint64_t left = (uint64_t)rl.rlim_cur > used ? (uint64_t)rl.rlim_cur - used : 0;

		room = left < room ? left : room;
	}
	return room;
}

eng_model *eng_load(const char *path, const eng_opts *o, char *err, size_t errlen)
{
	eng_model *m = calloc(1, sizeof *m);
	eng_opts def = eng_opts_default();
	const char *arch = NULL, *tmpl = NULL;

	if (!o)
		o = &def;
	if (!m || !(m->path = strdup(path))) {
		eng_seterr(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	m->g = eng_gguf_open(path, err, errlen);
	if (!m->g)
		goto fail;
	if (eng_gguf_get_str(m->g, "general.architecture", &arch, NULL) != 0) {
		eng_seterr(err, errlen, "%s: missing key general.architecture", path);
		goto fail;
	}
	if (strcmp(arch, "llama") == 0)
		m->arch = ARCH_LLAMA;
	else if (strcmp(arch, "qwen2") == 0)
		m->arch = ARCH_QWEN2;
	else if (strcmp(arch, "qwen3") == 0)
		m->arch = ARCH_QWEN3;
	else if (strcmp(arch, "qwen2moe") == 0)
		m->arch = ARCH_QWEN2MOE;
	else if (strcmp(arch, "qwen3moe") == 0)
		m->arch = ARCH_QWEN3MOE;
	else if (strcmp(arch, "gpt-oss") == 0)
		m->arch = ARCH_GPTOSS;
	else if (strcmp(arch, "llama4") == 0)
		m->arch = ARCH_LLAMA4;
	else if (strcmp(arch, "deepseek2") == 0)
		m->arch = ARCH_DEEPSEEK2;
	else if (strcmp(arch, "qwen3next") == 0)
		m->arch = ARCH_QWEN3NEXT;
	else {
		eng_seterr(err, errlen, "%s: architecture '%s' is not supported (llama, qwen2, qwen3, qwen2moe, "
			"qwen3moe, gpt-oss, llama4, deepseek2, qwen3next)", path, arch);
		goto fail;
	}
	m->vocab = eng_vocab_load(m->g, path, err, errlen);
	if (!m->vocab)
		goto fail;
	m->n_vocab = eng_vocab_n(m->vocab);
	if (load_hparams(m, err, errlen) || load_tensors(m, err, errlen))
		goto fail;
	if (!o->use_mmap) {
		char e2[200];
		uint64_t need = 0, room = mem_room();

		for (int64_t i = 0; i < eng_gguf_n_tensors(m->g); i++)
			need += eng_gguf_tensor_at(m->g, i)->size_bytes;
		/* Refused before any byte is copied: a load past the memory there is would be killed
		 * by the kernel, or swap the machine to a halt. */
		if (need > room) {
			eng_seterr(err, errlen, "%s: the weights need %.2f GiB of memory and %.2f GiB is free: use "
				"--mmap to compute from the file mapping instead (the kernel then pages the weights "
				"in as they are used)", path, (double)need / 1073741824.0, (double)room / 1073741824.0);
			goto fail;
		}
		if (eng_gguf_load_data(m->g, o->huge_pages, e2, sizeof e2) != 0) {
			eng_seterr(err, errlen, "%s: %s", path, e2);
			goto fail;
		}
	}
	if (m->arch == ARCH_DEEPSEEK2 && ds_prepare(m, err, errlen) != 0)
		goto fail;
	if (!o->use_mmap && o->device != ENG_DEVICE_CUDA && repack_weights(m, err, errlen) != 0)
		goto fail;
	if (o->device == ENG_DEVICE_CUDA && gpu_load(m, o, err, errlen) != 0)
		goto fail;
	m->n_threads = o->n_threads > 0 ? o->n_threads : eng_physical_cores();
	if (m->n_threads > 1024)
		m->n_threads = 1024;
	m->pool = eng_pool_new(m->n_threads, 1, err, errlen);
	if (!m->pool)
		goto fail;
	m->chat_family = ENG_CHAT_NONE;
	if (o->chat_template && *o->chat_template) {
		m->chat_family = eng_chat_from_name(o->chat_template);
		if (m->chat_family < 0) {
			eng_seterr(err, errlen, "unknown chat template '%s'", o->chat_template);
			goto fail;
		}
	} else if (eng_gguf_get_str(m->g, "tokenizer.chat_template", &tmpl, NULL) == 0) {
		m->chat_family = eng_chat_detect(tmpl);
	}
	eng_logf(ENG_LOG_INFO, "%s: %s, %d layers, n_embd %d, vocab %d", path, arch, m->n_layer,
		m->n_embd, m->n_vocab);
	return m;
fail:
	eng_model_free(m);
	return NULL;
}

void eng_model_free(eng_model *m)
{
	if (!m)
		return;
	if (m->gpu)
		m->cuda->model_free(m->gpu);
	eng_pool_free(m->pool);
	eng_vocab_free(m->vocab);
	eng_gguf_close(m->g);
	for (int il = 0; m->layers && il < m->n_layer; il++)
		free(m->layers[il].kb_f16);
	free(m->layers);
	free(m->rope_ff);
	free(m->path);
	free(m);
}

void eng_model_info_get(const eng_model *m, eng_model_info *out)
{
	uint64_t bytes_by_type[ENG_T_COUNT] = { 0 };
	int count_by_type[ENG_T_COUNT] = { 0 };
	const char *s = NULL, *slash;
	size_t pos = 0;
	int best = -1;

	memset(out, 0, sizeof *out);
	snprintf(out->arch, sizeof out->arch, "%s", arch_name(m->arch));
	if (eng_gguf_get_str(m->g, "general.name", &s, NULL) == 0)
		snprintf(out->name, sizeof out->name, "%s", s);
	else {
		slash = strrchr(m->path, '/');
		snprintf(out->name, sizeof out->name, "%s", slash ? slash + 1 : m->path);
	}
	for (int64_t i = 0; i < eng_gguf_n_tensors(m->g); i++) {
		tref t = eng_gguf_tensor_at(m->g, i);

		int64_t np = t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
		/* an expert tensor: one token reads n_expert_used of its n_expert slices */
		int exps = m->n_expert > 0 && t->ne[2] == m->n_expert && strstr(t->name, "_exps.") != NULL;

		out->n_params += np;
		out->n_params_active += exps ? np / m->n_expert * m->n_expert_used : np;
		out->size_bytes += t->size_bytes;
		if (exps)
			out->decode_bytes += t->size_bytes / (uint64_t)m->n_expert * (uint64_t)m->n_expert_used;
		else if (strcmp(t->name, "token_embd.weight") != 0)
			out->decode_bytes += t->size_bytes;
		else if (!eng_gguf_find_tensor(m->g, "output.weight"))
			out->decode_bytes += t->size_bytes;   /* tied: read whole as the output matrix */
		if (t->type >= 0 && t->type < ENG_T_COUNT) {
			bytes_by_type[t->type] += t->size_bytes;
			count_by_type[t->type]++;
		}
	}
	for (int t = 0; t < ENG_T_COUNT; t++) {
		const eng_type_info *ti = eng_type_get(t);

		if (!count_by_type[t] || !ti)
			continue;
		/* The dominant type ignores the small f32 norm vectors unless all is f32. */
		if (best < 0 || bytes_by_type[t] > bytes_by_type[best])
			best = t;
		if (pos < sizeof out->type_mix)
			pos += (size_t)snprintf(out->type_mix + pos, sizeof out->type_mix - pos, "%s%s:%d",
				pos ? " " : "", ti->name, count_by_type[t]);
	}
	if (best >= 0)
		snprintf(out->ftype, sizeof out->ftype, "%s", eng_type_get(best)->name);
	{
		/* llama.cpp's file type names (general.file_type, enum llama_ftype), which say what the
		 * quantizer was asked for: a "Q4_K_M" file mixes types, and small rows fall back. */
		static const char *const ftypes[] = {
			[0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [7] = "Q8_0", [8] = "Q5_0",
			[9] = "Q5_1", [10] = "Q2_K", [11] = "Q3_K_S", [12] = "Q3_K_M", [13] = "Q3_K_L",
			[14] = "Q4_K_S", [15] = "Q4_K_M", [16] = "Q5_K_S", [17] = "Q5_K_M", [18] = "Q6_K",
			[19] = "IQ2_XXS", [20] = "IQ2_XS", [21] = "Q2_K_S", [22] = "IQ3_XS", [23] = "IQ3_XXS",
			[24] = "IQ1_S", [25] = "IQ4_NL", [26] = "IQ3_S", [27] = "IQ3_M", [28] = "IQ2_S",
			[29] = "IQ2_M", [30] = "IQ4_XS", [31] = "IQ1_M", [32] = "BF16",
		};
		uint32_t ft;

		/* bit 10 marks a file whose type was guessed by an old converter */
		if (eng_gguf_get_u32(m->g, "general.file_type", &ft) == 0 &&
		    (ft & ~1024u) < sizeof ftypes / sizeof ftypes[0] && ftypes[ft & ~1024u])
			snprintf(out->file_type, sizeof out->file_type, "%s", ftypes[ft & ~1024u]);
	}
	snprintf(out->chat_family, sizeof out->chat_family, "%s", eng_chat_name(m->chat_family));
	out->n_expert = m->n_expert;
	out->n_expert_used = m->n_expert_used;
	out->kv_bytes_per_token = 2u * (uint64_t)m->n_layer_kv * (m->arch == ARCH_DEEPSEEK2 ?
		(uint64_t)m->kv_lora + (uint64_t)m->n_rot : (uint64_t)m->n_head_kv * (uint64_t)(m->hd_k + m->hd_v));
	out->n_layer_kv = m->n_layer_kv;
	if (m->arch == ARCH_QWEN3NEXT) {
		const uint64_t K = (uint64_t)m->q3n.nk * (uint64_t)m->q3n.hk, V = (uint64_t)m->q3n.nv * (uint64_t)m->q3n.hv;
		out->state_bytes_per_seq = 4u * (uint64_t)m->q3n.n_rec * ((uint64_t)m->q3n.nv * (uint64_t)m->q3n.hk *
			(uint64_t)m->q3n.hv + (2 * K + V) * (uint64_t)(m->q3n.d_conv - 1));
	}
	out->file_bytes = eng_gguf_file_size(m->g);
	out->bpw = out->n_params ? (double)out->size_bytes * 8.0 / (double)out->n_params : 0;
	out->n_vocab = m->n_vocab;
	out->n_ctx_train = m->n_ctx_train;
	out->n_embd = m->n_embd;
	out->n_layer = m->n_layer;
	out->n_head = m->n_head;
	out->n_head_kv = m->n_head_kv;
	out->n_ff = m->n_ff;
	out->n_rot = m->n_rot;
	out->rope_freq_base = m->rope_base;
	snprintf(out->vocab_model, sizeof out->vocab_model, "%s", eng_vocab_model(m->vocab));
	snprintf(out->vocab_pre, sizeof out->vocab_pre, "%s", eng_vocab_pre(m->vocab));
}

const char *eng_model_chat_template(const eng_model *m)
{
	const char *s = NULL;

	return eng_gguf_get_str(m->g, "tokenizer.chat_template", &s, NULL) == 0 ? s : NULL;
}

int eng_model_chat_family(const eng_model *m)
{
	return m->chat_family;
}

/* ---------------------------------------------------------------- tokens */

int eng_n_vocab(const eng_model *m) { return m->n_vocab; }
int32_t eng_token_bos(const eng_model *m) { return eng_vocab_bos(m->vocab); }
int32_t eng_token_eos(const eng_model *m) { return eng_vocab_eos(m->vocab); }
int eng_token_is_eog(const eng_model *m, int32_t id) { return eng_vocab_is_eog(m->vocab, id); }

const char *eng_token_text(const eng_model *m, int32_t id)
{
	return eng_vocab_text(m->vocab, id);
}

int eng_tokenize(const eng_model *m, const char *text, size_t len, int add_special,
		int parse_special, int32_t *out, int cap)
{
	int n = eng_vocab_tokenize(m->vocab, text, len, add_special, parse_special, out, cap);

	return n < 0 ? ENG_EINVAL : n;
}

int eng_token_piece(const eng_model *m, int32_t id, char *buf, int cap, int special)
{
	int n = eng_vocab_piece(m->vocab, id, buf, cap, special);

	return n < 0 ? ENG_EINVAL : n;
}

int eng_detokenize(const eng_model *m, const int32_t *ids, int n, char *buf, int cap, int special)
{
	int r = eng_vocab_detokenize(m->vocab, ids, n, buf, cap, special, 0);

	return r < 0 ? ENG_EINVAL : r;
}

/* ---------------------------------------------------------------- context */

struct eng_ctx {
	eng_model *m;
	int n_ctx, n_seq, n_batch, n_out_max, kv_type;
	int n_threads;               /* threads of the model's pool this context uses */
	size_t kv_elt;               /* bytes per cached element (2 or 4) */
	int n_ctx_pad;               /* n_ctx rounded up to 32: the V cache's row length */
	/* K cache [n_layer][n_seq][n_ctx][n_head_kv*hd_k]; V cache transposed,
	 * [n_layer][n_seq][n_head_kv*hd_v][n_ctx_pad], so that weights x values is a dot product
	 * over positions (zero-initialised: the padding is multiplied by zero weights) */
	void *k, *v;
	size_t kv_row_k, kv_row_v;   /* elements per cached token of one layer: K row, V column */
	size_t kv_heads;             /* K planes per layer and sequence: n_head_kv (1: deepseek's latent) */
	int *kv_len;                 /* [n_seq] */
	/* work buffers, sized for n_batch tokens */
	float *x, *xn;               /* [n_batch][n_embd] */
	float *q;                    /* [n_batch][n_head*hd_k] */
	float *kk, *vv;              /* [n_batch][n_head_kv*hd_k|v] */
	float *att;                  /* [n_batch][n_head*hd_v] */
	float *up, *gate;            /* [n_batch][max(n_ff, n_ff_exp, n_ff_shexp)] */
	/* mixture of experts: router logits [n_batch][n_expert]; the chosen experts and their
	 * weights per (token, choice) pair [n_batch][n_expert_used]; the pairs grouped by expert
	 * (moe_pair: group row -> pair, moe_pos: pair -> group row, moe_off: each expert's first
	 * group row [n_expert + 1]); the experts' outputs per group row [n_batch][n_expert_used]
	 * [n_embd] (gate and up hold the group rows' hidden activations, qact their quantized
	 * inputs) */
	float *router, *moe_w, *moe_y;
	int *moe_sel, *moe_off, *moe_pair, *moe_pos, *moe_act;
	/* attention scratch, one slot per thread, for a block of att_blk tokens */
	int att_blk;                 /* most tokens that attend together (attend_block) */
	float *scores;               /* [n_threads][att_blk][gqa][n_ctx_pad] */
	void *wq;                    /* [n_threads][att_blk][gqa][max(n_ctx_pad, hd_k)] weights /
	                              * queries in the cache's type */
	float *att_out;              /* [n_threads][att_blk][gqa][hd_v] */
	float *qf;                   /* [n_threads][att_blk][gqa][hd_k] queries as F32 (F16 values
	                              * with an F16 cache) for the blocked keys' score product */
	int *blk_t0, n_blk;          /* this batch's attention blocks: first token of each, count */
	void *qact;                  /* [n_batch][row_size(vec_dot_type, max_in)] */
	size_t qact_row;
	float *logits;               /* [n_out_max][n_vocab] */
	int *out_index;              /* [n_batch] batch index -> logits row, -1 */
	int *tok_seq, *tok_pos;      /* [n_batch] resolved */
	eng_cuda_ctx *gpu;           /* the model's GPU cache and buffers, or NULL */
	/* deepseek2: the K cache holds [kv_lora latent, n_rot RoPE key] per token (no V cache), kk
	 * the new tokens' rows; ds_qa the low-rank queries [n_batch][q_lora]; ds_scr each thread's
	 * attention scratch (ds_scr_size bytes). A block of up to ds_tb tokens at a time: ds_act
	 * [ds_tb][n_head][kv_lora + n_rot] the latent and RoPE queries, ds_actc the same in the
	 * cache's type, ds_olat [ds_tb][n_head][kv_lora] the weighted latents; ds_qn, ds_olq the
	 * queries' no-RoPE parts and the weighted latents in their weights' vec_dot types, per head
	 * the block's tokens in a row (rows of at most ds_qn_max / ds_olq_max bytes) */
	float *ds_qa;
	char *ds_scr;
	size_t ds_scr_size;
	int ds_tb;
	float *ds_act, *ds_olat;
	void *ds_actc;
	char *ds_qn, *ds_olq;
	size_t ds_qn_max, ds_olq_max;
	/* qwen3next (q3n_ctx_init): per delta-net layer and sequence, q3n_state_n floats: the
	 * delta-rule state of each value head [nv][hk][hv] (value index fastest), then the
	 * convolution's tail, the last d_conv - 1 inputs of each channel [2K + V][d_conv - 1];
	 * created zero, cleared with the sequence. Work buffers for n_batch tokens: q3n_mix the
	 * projection (ssm_in's [2K + 2V]; an attention layer's query and gate [2 n_head hd_k]),
	 * q3n_qkv the convolution's input [2K + V], q3n_conv its output (q and k then L2-normalised),
	 * q3n_z the output gate [V], q3n_ba the write strength and decay [2 nv], q3n_o the delta
	 * rule's output [V], q3n_sc its step's numbers per value head [nv][ENG_DELTA_SC] */
	float *q3n_state;
	size_t q3n_state_n;
	float *q3n_mix, *q3n_qkv, *q3n_conv, *q3n_z, *q3n_ba, *q3n_o, *q3n_sc;
	eng_matmul_obs_fn obs;       /* eng_ctx_set_matmul_observer's callback, or NULL */
	void *obs_ud;
};

/* Prefill attention in blocks (attend_block): at most ATT_BLK tokens of one sequence attend
 * together, their scores in at most ATT_SCRATCH bytes per thread (fewer tokens for long
 * contexts). */
#define ATT_BLK 16
#define ATT_SCRATCH ((size_t)4 << 20)

eng_ctx_params eng_ctx_params_default(void)
{
	eng_ctx_params p;

	memset(&p, 0, sizeof p);
	return p;
}

void eng_ctx_free(eng_ctx *c)
{
	if (!c)
		return;
	if (c->gpu)
		c->m->cuda->ctx_free(c->gpu);
	free(c->k);
	free(c->v);
	free(c->kv_len);
	free(c->x);
	free(c->xn);
	free(c->q);
	free(c->kk);
	free(c->vv);
	free(c->att);
	free(c->up);
	free(c->gate);
	free(c->router);
	free(c->moe_w);
	free(c->moe_y);
	free(c->moe_sel);
	free(c->moe_off);
	free(c->moe_pair);
	free(c->moe_pos);
	free(c->moe_act);
	free(c->scores);
	free(c->wq);
	free(c->qf);
	free(c->att_out);
	free(c->blk_t0);
	free(c->qact);
	free(c->logits);
	free(c->out_index);
	free(c->tok_seq);
	free(c->tok_pos);
	free(c->ds_qa);
	free(c->ds_scr);
	free(c->ds_act);
	free(c->ds_olat);
	free(c->ds_actc);
	free(c->ds_qn);
	free(c->ds_olq);
	free(c->q3n_state);
	free(c->q3n_mix);
	free(c->q3n_qkv);
	free(c->q3n_conv);
	free(c->q3n_z);
	free(c->q3n_ba);
	free(c->q3n_o);
	free(c->q3n_sc);
	free(c);
}

static int ds_ctx_init(eng_ctx *c, size_t *kvk, size_t *kvv);
static int q3n_ctx_init(eng_ctx *c);

/* ---- weights repacked at load (issue 29) ------------------------------------------------------
 * With the weights in private memory (not --mmap) and on the CPU, the dense matrices whose type
 * the kernel level multiplies in a repacked layout (quant_impl.h "R16"; Q2_K, Q3_K, Q4_K, IQ4_XS,
 * Q6_K, Q8_0 at the AVX-512 level) are rearranged in place, group of 16 rows by group, once at
 * load: the same bytes, permuted, so the memory does not grow. Only matrices that nothing reads but rows_range
 * are repacked (attention Q/K/V/O, the dense FFN, a separate output head, the shared experts,
 * deepseek2's and qwen3next's projections), deepseek2's value up-projection (ds_vproj_task)
 * and the routed experts (expert_rows); TB_REPACK=0 in the
 * environment keeps the file's layout (for comparisons). Every product keeps its bits. */

/* Repacks one matrix in place (its pages are made writable for the time it takes) and marks it
 * (eng_gguf_tensor.repacked), which is what rows_range reads. */
static int repack_one(tref t, uint8_t *tmp, size_t tmp_size, char *err, size_t errlen)
{
	const size_t rs = eng_row_size(t->type, t->ne[0]), gb = ENG_RP_ROWS * rs;
	const long pg = sysconf(_SC_PAGESIZE);

	if (gb > tmp_size) {
		eng_seterr(err, errlen, "tensor '%s': a group of 16 rows (%zu bytes) exceeds the repack buffer", t->name, gb);
		return -1;
	}
	uint8_t *d = (uint8_t *)(uintptr_t)t->data;
	const uintptr_t lo = (uintptr_t)d & ~((uintptr_t)pg - 1);
	const size_t len = (size_t)((uintptr_t)d + (size_t)t->size_bytes - lo);

	if (pg <= 0 || mprotect((void *)lo, len, PROT_READ | PROT_WRITE) != 0) {
		eng_seterr(err, errlen, "tensor '%s': cannot repack it in memory: %s", t->name, strerror(errno));
		return -1;
	}
	/* a 3-D expert tensor's experts follow each other, each a whole number of groups */
	const int64_t rows = t->ne[1] * (t->n_dims == 3 ? t->ne[2] : 1);

	for (int64_t g = 0; g + ENG_RP_ROWS <= rows; g += ENG_RP_ROWS) {
		memcpy(tmp, d + (size_t)g * rs, gb);
		eng_rp_pack(t->type, t->ne[0], tmp, d + (size_t)g * rs);
	}
	mprotect((void *)lo, len, PROT_READ);
	return 0;
}

static int repack_weights(eng_model *m, char *err, size_t errlen)
{
	const char *env = getenv("TB_REPACK");
	uint8_t *tmp;
	int n = 0;

	if (env && strcmp(env, "0") == 0)
		return 0;
	const size_t tmp_size = ENG_RP_GROUP_MAX;
	tmp = malloc(tmp_size);
	if (!tmp) {
		eng_seterr(err, errlen, "out of memory repacking the weights");
		return -1;
	}
	for (int il = -1; il < m->n_layer; il++) {
		const layer *L = il >= 0 ? &m->layers[il] : NULL;
		/* deepseek2's value up-projection (ds_vproj_task), when each head's value rows start a
		 * group */
		tref vw = L && (L->wv_b || L->wkv_b) && m->hd_v % ENG_RP_ROWS == 0
			&& (L->wv_b || m->n_nope % ENG_RP_ROWS == 0) ? (L->wv_b ? L->wv_b : L->wkv_b) : NULL;
		/* a separate output head; per layer the matrices only matmul reads (attention, the
		 * dense FFN, the shared experts, deepseek2's and qwen3next's projections), vw, and the
		 * routed experts (3-D: moe_mm_task, each expert's rows in whole groups) */
		const tref ws[22] = { L ? L->wq : m->output != m->tok_embd ? m->output : NULL, L ? L->wk : NULL,
			L ? L->wv : NULL, L ? L->wo : NULL, L ? L->ffn_gate : NULL, L ? L->ffn_up : NULL,
			L ? L->ffn_down : NULL, L ? L->ffn_gate_shexp : NULL, L ? L->ffn_up_shexp : NULL,
			L ? L->ffn_down_shexp : NULL, L ? L->wq_a : NULL, L ? L->wq_b : NULL, L ? L->wkv_a : NULL,
			L ? L->ssm_in : NULL, L ? L->ssm_qkv : NULL, L ? L->ssm_gate : NULL, L ? L->ssm_ba : NULL,
			L ? L->ssm_out : NULL, vw, L ? L->ffn_gate_exps : NULL, L ? L->ffn_up_exps : NULL,
			L ? L->ffn_down_exps : NULL };

		for (int i = 0; i < 22; i++) {
			tref w = ws[i];

			/* a tensor in two roles is repacked once */
			if (!w || w->repacked || !eng_rp_native(w->type, w->ne[0])
				|| !(w->n_dims == 2 ? w->ne[1] >= ENG_RP_ROWS : w->n_dims == 3 && w->ne[1] % ENG_RP_ROWS == 0))
				continue;
			if (repack_one(w, tmp, tmp_size, err, errlen) != 0) {
				free(tmp);
				return -1;
			}
			((eng_gguf_tensor *)(uintptr_t)w)->repacked = 1;
			n++;
		}
	}
	free(tmp);
	if (n > 0)
		eng_logf(ENG_LOG_INFO, "repacked %d matrices into 16-row groups (layout R16 v%d)", n, ENG_RP_VERSION);
	return 0;
}

/* calloc with an overflow check on the product. */
static void *xcalloc(size_t a, size_t b, size_t c)
{
	if (a && b && (b > SIZE_MAX / a || c > SIZE_MAX / (a * b)))
		return NULL;
	if (a == 0 || b == 0 || c == 0)
		return calloc(1, 1);
	return calloc(a * b * c, 1);
}

/* Largest activation-row size over all weights this model multiplies. */
static size_t max_act_row(const eng_model *m)
{
	size_t best = 0;

	for (int il = -1; il < m->n_layer; il++) {
		const layer *L = il >= 0 ? &m->layers[il] : NULL;
		tref ws[] = { L ? L->wq : m->output, L ? L->wk : NULL, L ? L->wv : NULL, L ? L->wo : NULL,
			L ? L->ffn_gate : NULL, L ? L->ffn_up : NULL, L ? L->ffn_down : NULL,
			L ? L->ffn_gate_inp : NULL, L ? L->ffn_gate_exps : NULL, L ? L->ffn_up_exps : NULL,
			L ? L->ffn_down_exps : NULL, L ? L->ffn_gate_inp_shexp : NULL,
			L ? L->ffn_gate_shexp : NULL, L ? L->ffn_up_shexp : NULL, L ? L->ffn_down_shexp : NULL,
			L ? L->wq_a : NULL, L ? L->wq_b : NULL, L ? L->wkv_a : NULL, L ? L->ssm_in : NULL,
			L ? L->ssm_qkv : NULL, L ? L->ssm_gate : NULL, L ? L->ssm_ba : NULL, L ? L->ssm_out : NULL };

		for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) {
			size_t rs;

			if (!ws[i])
				continue;
			rs = eng_row_size(eng_type_get(ws[i]->type)->vec_dot_type, ws[i]->ne[0]);
			if (rs > best)
				best = rs;
		}
	}
	return best;
}

/* 1 when the whole model runs on the GPU (which then keeps the only KV cache). */
static int gpu_model(const eng_model *m)
{
	return m->gpu != NULL && m->n_gpu == m->n_layer;
}

eng_ctx *eng_ctx_new(eng_model *m, const eng_ctx_params *p, char *err, size_t errlen)
{
	eng_ctx_params def = eng_ctx_params_default();
	eng_ctx *c = calloc(1, sizeof *c);
	size_t kvk, kvv, B;

	if (!p)
		p = &def;
	if (!c)
		goto oom;
	c->m = m;
	c->n_ctx = p->n_ctx > 0 ? p->n_ctx : (m->n_ctx_train < 4096 ? m->n_ctx_train : 4096);
	c->n_seq = p->n_seq > 0 ? p->n_seq : 1;
	c->n_batch = p->n_batch > 0 ? p->n_batch : 512;
	c->n_out_max = p->n_outputs > 0 ? p->n_outputs : c->n_seq;
	if (c->n_out_max > c->n_batch)
		c->n_out_max = c->n_batch;
	c->kv_type = p->kv_type == ENG_KV_F32 ? ENG_KV_F32 : ENG_KV_F16;
	c->kv_elt = c->kv_type == ENG_KV_F32 ? 4 : 2;
	c->n_threads = eng_pool_size(m->pool);
	if (p->n_threads > 0 && p->n_threads < c->n_threads)
		c->n_threads = p->n_threads;
	if (c->n_ctx > (1 << 24) || c->n_seq > 4096 || c->n_batch > (1 << 20)) {
		eng_seterr(err, errlen, "context too large (n_ctx %d, n_seq %d, n_batch %d)", c->n_ctx,
			c->n_seq, c->n_batch);
		goto fail;
	}
	kvk = (size_t)m->n_head_kv * (size_t)m->hd_k;
	kvv = (size_t)m->n_head_kv * (size_t)m->hd_v;
	if (m->arch == ARCH_DEEPSEEK2 && ds_ctx_init(c, &kvk, &kvv) != 0)
		goto oom;
	if (m->arch == ARCH_QWEN3NEXT && q3n_ctx_init(c) != 0)
		goto oom;
	B = (size_t)c->n_batch;
	c->kv_row_k = kvk;
	c->kv_row_v = kvv;
	c->kv_heads = m->arch == ARCH_DEEPSEEK2 ? 1 : (size_t)m->n_head_kv;
	c->n_ctx_pad = (c->n_ctx + 31) & ~31;
	if (!gpu_model(m)) {   /* a model on the GPU keeps its cache there */
		c->k = xcalloc((size_t)m->n_layer_kv * (size_t)c->n_seq, (size_t)c->n_ctx_pad, kvk * c->kv_elt);
		c->v = xcalloc((size_t)m->n_layer_kv * (size_t)c->n_seq, (size_t)c->n_ctx_pad, kvv * c->kv_elt);
	}
	c->kv_len = xcalloc((size_t)c->n_seq, sizeof(int), 1);
	c->x = xcalloc(B, (size_t)m->n_embd, sizeof(float));
	c->xn = xcalloc(B, (size_t)m->n_embd, sizeof(float));
	c->q = xcalloc(B, (size_t)m->n_head * (size_t)m->hd_k, sizeof(float));
	c->kk = xcalloc(B, kvk, sizeof(float));
	c->vv = xcalloc(B, kvv, sizeof(float));
	c->att = xcalloc(B, (size_t)m->n_head * (size_t)m->hd_v, sizeof(float));
	{
		size_t ff = (size_t)m->n_ff, K = (size_t)m->n_expert_used;

		if (K * (size_t)m->n_ff_exp > ff)
			ff = K * (size_t)m->n_ff_exp;
		if ((size_t)m->n_ff_shexp > ff)
			ff = (size_t)m->n_ff_shexp;
		c->up = xcalloc(B, ff, sizeof(float));
		c->gate = xcalloc(B, ff, sizeof(float));
		if (m->n_expert && (!(c->router = xcalloc(B, (size_t)m->n_expert, sizeof(float))) ||
				    !(c->moe_w = xcalloc(B, K, sizeof(float))) ||
				    !(c->moe_y = xcalloc(B * K, (size_t)m->n_embd, sizeof(float))) ||
				    !(c->moe_sel = xcalloc(B, K, sizeof(int))) ||
				    !(c->moe_off = xcalloc((size_t)m->n_expert + 1, sizeof(int), 1)) ||
				    !(c->moe_pair = xcalloc(B, K, sizeof(int))) ||
				    !(c->moe_pos = xcalloc(B, K, sizeof(int))) ||
				    !(c->moe_act = xcalloc((size_t)m->n_expert, sizeof(int), 1))))
			goto oom;
	}
	{
		size_t gqa = (size_t)(m->n_head / m->n_head_kv);
		size_t wrow = (size_t)(c->n_ctx_pad > m->hd_k ? c->n_ctx_pad : m->hd_k);
		/* a block's scores take at most ATT_SCRATCH bytes per thread */
		size_t per_tok = gqa * (size_t)c->n_ctx_pad * sizeof(float);

		c->att_blk = ATT_BLK;
		while (c->att_blk > 1 && (size_t)c->att_blk * per_tok > ATT_SCRATCH)
			c->att_blk /= 2;
		if (c->att_blk > c->n_batch)
			c->att_blk = c->n_batch;
		c->scores = xcalloc((size_t)c->n_threads * (size_t)c->att_blk * gqa, (size_t)c->n_ctx_pad, sizeof(float));
		c->wq = xcalloc((size_t)c->n_threads * (size_t)c->att_blk * gqa, wrow, c->kv_elt);
		c->att_out = xcalloc((size_t)c->n_threads * (size_t)c->att_blk * gqa, (size_t)m->hd_v, sizeof(float));
		c->qf = xcalloc((size_t)c->n_threads * (size_t)c->att_blk * gqa, (size_t)m->hd_k, sizeof(float));
		c->blk_t0 = xcalloc(B, sizeof(int), 1);
	}
	c->qact_row = (max_act_row(m) + 63) & ~(size_t)63;
	c->qact = xcalloc(B * (size_t)(m->n_expert_used > 1 ? m->n_expert_used : 1), c->qact_row, 1);
	c->logits = xcalloc((size_t)c->n_out_max, (size_t)m->n_vocab, sizeof(float));
	c->out_index = xcalloc(B, sizeof(int), 1);
	c->tok_seq = xcalloc(B, sizeof(int), 1);
	c->tok_pos = xcalloc(B, sizeof(int), 1);
	if ((!gpu_model(m) && (!c->k || !c->v)) || !c->kv_len || !c->qf || !c->x || !c->xn || !c->q || !c->kk || !c->vv ||
	    !c->att || !c->up || !c->gate || !c->scores || !c->wq || !c->att_out || !c->blk_t0 || !c->qact ||
	    !c->logits || !c->out_index || !c->tok_seq || !c->tok_pos)
		goto oom;
	if (m->gpu) {
		c->gpu = m->cuda->ctx_new(m->gpu, c->n_ctx, c->n_seq, c->n_batch, c->n_out_max, err, errlen);
		if (!c->gpu)
			goto fail;
	}
	return c;
oom:
	eng_seterr(err, errlen, "out of memory for a context of %d cells x %d sequences", p->n_ctx, p->n_seq);
fail:
	eng_ctx_free(c);
	return NULL;
}

static void q3n_seq_clear(eng_ctx *c, int s);

void eng_kv_remove(eng_ctx *c, int seq, int p0, int p1)
{
	/* Cached keys carry their rotary position, so the cache of a sequence is kept as one
	 * contiguous prefix: removing any range drops everything from p0 on. A recurrent state
	 * (qwen3next) holds all of its sequence and cannot be rolled back: removing any of a
	 * sequence's positions clears the whole sequence. */
	(void)p1;
	if (p0 < 0)
		p0 = 0;
	for (int s = 0; s < c->n_seq; s++) {
		if ((seq >= 0 && s != seq) || c->kv_len[s] <= p0)
			continue;
		if (c->q3n_state) {
			if (p0 > 0)
				eng_logf(ENG_LOG_WARN, "sequence %d: a recurrent state cannot be rolled back to position %d: "
					"the whole sequence is cleared", s, p0);
			q3n_seq_clear(c, s);
		}
		c->kv_len[s] = c->q3n_state ? 0 : p0;
	}
}

int eng_kv_len(const eng_ctx *c, int seq)
{
	return seq >= 0 && seq < c->n_seq ? c->kv_len[seq] : 0;
}

int eng_ctx_set_matmul_observer(eng_ctx *c, eng_matmul_obs_fn fn, void *ud)
{
	if (c->gpu)
		return ENG_EUNSUPPORTED;
	c->obs = fn;
	c->obs_ud = ud;
	return ENG_OK;
}

/* Tells the observer about rows x of the product with w (expert e of it, or -1). */
static void observe(const eng_ctx *c, tref w, int e, const float *x, int rows, size_t stride, int n_tokens)
{
	eng_matmul_obs o = { w->name, e, e < 0 ? 1 : (int)w->ne[2], n_tokens, rows, w->ne[0], stride, x };

	c->obs(c->obs_ud, &o);
}

const float *eng_logits(const eng_ctx *c, int i)
{
	if (i < 0 || i >= c->n_batch || c->out_index[i] < 0)
		return NULL;
	return c->logits + (size_t)c->out_index[i] * (size_t)c->m->n_vocab;
}

/* ---------------------------------------------------------------- forward pass */


/* One parallel section of the forward pass: what it works on. */
typedef struct step {
	eng_ctx *c;
	tref w;
	const float *x;
	float *y;
	int n, il;
	const layer *L;
	/* fused matrix products over one quantized input: k matrices ws[i] -> ys[i]; with
	 * swiglu, ws = { gate, up } and ys[0] = silu(gate x) * (up x) per row group */
	int k, swiglu;
	tref ws[3];
	float *ys[3];
	atomic_long *share;          /* [DEC_MAX_THREADS] chunk counters, one per thread's share of
	                              * the rows, or NULL (one thread) */
} step;

#define DEC_CHUNK 64                 /* rows a decode thread takes at a time */
#define BATCH_CHUNK 32               /* rows a thread takes at a time in a batch */
#define DEC_MAX_THREADS 64


static void quant_task(void *arg, int ith, int nth)
{
	const step *st = arg;
	eng_ctx *c = st->c;
	int64_t in = st->w->ne[0];
	int vt = eng_type_get(st->w->type)->vec_dot_type;
	long t0, t1;

	eng_split(st->n, ith, nth, 1, &t0, &t1);
	for (long t = t0; t < t1; t++)
		eng_quant_row(vt, st->x + (size_t)t * (size_t)in, (char *)c->qact + (size_t)t * c->qact_row, in);
}

static void swiglu_task(void *arg, int ith, int nth)
{
	const step *st = arg;
	eng_ctx *c = st->c;
	long lo, hi;

	eng_split((long)st->n * c->m->n_ff, ith, nth, 64, &lo, &hi);
	eng_silu_mul(c->gate + lo, c->up + lo, hi - lo);
}

/* Rows g .. ge - 1 of matrix e (of R rows; e = 0 for a 2-D weight, the expert for a 3-D one)
 * of t times cnt activations, into out (row stride os): through the repacked kernels where t
 * was repacked at load (eng_gguf_tensor.repacked), else from the file's layout. */
static void weight_rows(tref t, int e, size_t R, long g, long ge, const char *qa, size_t qs, int cnt, float *out,
	size_t os)
{
	const size_t rs = eng_row_size(t->type, t->ne[0]);
	const char *base = (const char *)t->data + (size_t)e * R * rs;

	if (t->repacked)
		eng_vec_dot_rows_rp(t->type, t->ne[0], base, (int64_t)R, g, (int)(ge - g), qa, qs, cnt, out, os);
	else
		eng_vec_dot_rows(t->type, t->ne[0], base + (size_t)g * rs, rs, (int)(ge - g), qa, qs, cnt, out, os);
}

/* Rows [r0, r1) of w times the quantized activations of st, into y (row stride = w's rows), 32
 * rows a call (repacked rows with few tokens, and any rows for one token: the whole range in
 * one call, so that a decode kernel's prefetch runs on through the range). */
static void rows_range(const step *st, tref w, float *y, long r0, long r1)
{
	const long out = (long)w->ne[1], chunk = (w->repacked && st->n <= ENG_RP_MAX_ACT) || st->n == 1 ? r1 - r0 : 32;

	for (long g = r0; g < r1; g += chunk) {
		long ge = g + chunk < r1 ? g + chunk : r1;

		weight_rows(w, 0, (size_t)out, g, ge, st->c->qact, st->c->qact_row, st->n, y + g, (size_t)out);
	}
}

/* Several products of one input in one parallel section: the rows of all matrices, end to end,
 * are shared out among the threads; with swiglu each thread takes the same rows of gate and up
 * and combines them while they are in cache. */
static long multi_rows(const step *st)
{
	long total = 0;

	if (st->swiglu)
		return (long)st->ws[0]->ne[1];
	for (int i = 0; i < st->k; i++)
		total += (long)st->ws[i]->ne[1];
	return total;
}

/* Rows [r0, r1) of the section: of gate and up (then combined) with swiglu, else of the
 * matrices end to end. */
static void multi_rows_do(const step *st, long r0, long r1)
{
	long base = 0;

	if (st->swiglu) {
		long F = (long)st->ws[0]->ne[1];

		/* one token: a decode chunk of each in one call (alternating the two matrices every
		 * 32 rows cost the IQ1_S one-token kernel about 5 % from memory) */
		const long gs = st->n == 1 ? DEC_CHUNK : 32;

		for (long g = r0; g < r1; g += gs) {
			long ge = g + gs < r1 ? g + gs : r1;

			rows_range(st, st->ws[0], st->ys[0], g, ge);
			rows_range(st, st->ws[1], st->ys[1], g, ge);
			for (int t = 0; t < st->n; t++)
				eng_silu_mul(st->ys[0] + (size_t)t * (size_t)F + g, st->ys[1] + (size_t)t * (size_t)F + g, ge - g);
		}
		return;
	}
	for (int i = 0; i < st->k; i++) {
		long out = (long)st->ws[i]->ne[1];
		long lo = r0 > base ? r0 - base : 0, hi = r1 - base < out ? r1 - base : out;

		if (lo < hi)
			rows_range(st, st->ws[i], st->ys[i], lo, hi);
		base += out;
	}
}

/* Each thread gets an even, contiguous share of the rows, so that each streams one run of
 * weights from memory, taken DEC_CHUNK rows at a time for one token, BATCH_CHUNK for a batch
 * (before, a batch handed out 32-row chunks in turn, so each thread read every other chunk of
 * the weights); a thread done
 * with its share takes the chunks left in the others' shares, so a thread the machine preempts
 * (another program on its core) holds the step up by one chunk at most, not by its whole share.
 * Every row is the same row kernel's result, whichever thread computes it. */
static void multi_task(void *arg, int ith, int nth)
{
	const step *st = arg;
	long total = multi_rows(st), r0, r1;
	const long ch = st->n == 1 ? DEC_CHUNK : BATCH_CHUNK;

	if (st->share && nth <= DEC_MAX_THREADS) {
		for (int k = 0; k < nth; k++) {
			int v = (ith + k) % nth;
			eng_split(total, v, nth, 16, &r0, &r1);
			for (;;) {
				long a = r0 + ch * atomic_fetch_add_explicit(&st->share[v], 1, memory_order_relaxed);
				if (a >= r1)
					break;
				multi_rows_do(st, a, a + ch < r1 ? a + ch : r1);
			}
		}
		return;
	}
	eng_split(total, ith, nth, 16, &r0, &r1);
	multi_rows_do(st, r0, r1);
}

/* ys[i][t][o] = ws[i][o] . x[t] for n tokens and k matrices sharing x; W is [out][in] in its
 * own type, x is [n][in] f32. Each activation row is first quantized to the weights' vec_dot
 * type, as ggml does (once for all k when they share it, else one matrix at a time). */
static void matmul_k(eng_ctx *c, int k, const tref *ws, float *const *ys, const float *x, int n, int swiglu)
{
	step st = { .c = c, .x = x, .n = n, .k = k, .swiglu = swiglu };
	int vt = eng_type_get(ws[0]->type)->vec_dot_type, same = 1;

	for (int i = 1; i < k; i++)
		same &= eng_type_get(ws[i]->type)->vec_dot_type == vt && ws[i]->ne[0] == ws[0]->ne[0];
	if (!same) {
		for (int i = 0; i < k; i++)
			matmul_k(c, 1, &ws[i], &ys[i], x, n, 0);
		if (swiglu) {
			st.k = 0;
			eng_pool_run(c->m->pool, c->n_threads, swiglu_task, &st);
		}
		return;
	}
	for (int i = 0; i < k; i++) {
		st.ws[i] = ws[i];
		st.ys[i] = ys[i];
		if (c->obs)
			observe(c, ws[i], -1, x, n, (size_t)ws[i]->ne[0], n);
	}
	{
		atomic_long share[DEC_MAX_THREADS];

		for (int i = 0; i < DEC_MAX_THREADS && c->n_threads > 1; i++)
			atomic_init(&share[i], 0);
		st.share = c->n_threads > 1 ? share : NULL;
		st.w = ws[0];
		eng_pool_run(c->m->pool, n > 1 ? c->n_threads : 1, quant_task, &st);
		eng_pool_run(c->m->pool, c->n_threads, multi_task, &st);
	}
}

static void matmul(eng_ctx *c, tref w, const float *x, int n, float *y)
{
	matmul_k(c, 1, &w, &y, x, n, 0);
}

static void add_bias(tref b, float *y, int n, int64_t dim)
{
	const float *bd = b->data;

	for (int t = 0; t < n; t++)
		for (int64_t i = 0; i < dim; i++)
			y[(size_t)t * (size_t)dim + (size_t)i] += bd[i];
}

/* y = x / sqrt(mean(x^2) + eps) * w (w NULL: times 1), over `dim` elements. As ggml: each square is rounded to
 * float and summed in double. The last bit matters: activations of a quantized model often land
 * exactly half-way between two 8-bit levels, and a scale one ulp off rounds them the other way. */
static void rmsnorm(float *y, const float *x, const float *w, int64_t dim, float eps)
{
	double sum = 0;
	float scale;

	for (int64_t i = 0; i < dim; i++) {
		const float sq = x[i] * x[i];

		sum += (double)sq;
	}
	scale = 1.0f / sqrtf((float)(sum / (double)dim) + eps);
	if (!w) {                    /* no weight: llama4's L2 norm (Llama4TextL2Norm) */
		for (int64_t i = 0; i < dim; i++)
			y[i] = x[i] * scale;
		return;
	}
	for (int64_t i = 0; i < dim; i++)
		y[i] = (x[i] * scale) * w[i];
}

/* The rotation of position pos: cs[i], sn[i] for the pairs i < n_rot/2, the same for every head
 * of a token (so computed once per token). Angles build up by repeated float multiplication,
 * like ggml's cache. */
static void rope_angles(const eng_model *m, int pos, float *cs, float *sn)
{
	float theta_scale = powf(m->rope_base, -2.0f / (float)m->n_rot);
	float theta = (float)pos;
	int half = m->n_rot / 2;

	for (int i = 0; i < half; i++) {
		float th = m->rope_freq_scale * theta;

		if (m->rope_ff)
			th = m->rope_freq_scale * (theta / m->rope_ff[i]);
		if (m->yarn) {
			/* ggml's rope_yarn with ext_factor 1: pairs below yarn_corr[0] keep the original
			 * angle, those past yarn_corr[1] are interpolated, a linear ramp in between */
			const float y = ((float)i - m->yarn_corr[0]) / fmaxf(0.001f, m->yarn_corr[1] - m->yarn_corr[0]);
			const float ramp = 1 - fminf(1, fmaxf(0, y));

			th = th * (1 - ramp) + (m->rope_ff ? theta / m->rope_ff[i] : theta) * ramp;
			cs[i] = cosf(th) * m->yarn_mscale;
			sn[i] = sinf(th) * m->yarn_mscale;
		} else {
			cs[i] = cosf(th);
			sn[i] = sinf(th);
		}
		theta *= theta_scale;
	}
}

/* Rotates one head vector in place by the angles of rope_angles. NORM pairs (2i, 2i+1); NEOX
 * pairs (i, i + n_rot/2). */
static void rope(const eng_model *m, float *h, const float *cs, const float *sn)
{
	int half = m->n_rot / 2;

	for (int i = 0; i < half; i++) {
		int i0 = m->rope_type == ROPE_NORM ? 2 * i : i, i1 = m->rope_type == ROPE_NORM ? 2 * i + 1 : i + half;
		float a = h[i0], b = h[i1];

		h[i0] = a * cs[i] - b * sn[i];
		h[i1] = a * sn[i] + b * cs[i];
	}
}

/* The K cache of layer il (its kv_slot), sequence s, is kv_heads planes, one per KV head, of
 * n_ctx_pad positions of hd = kv_row_k / kv_heads elements. Deepseek's one plane holds its
 * latent rows one after the other (k_row); the other architectures' planes hold their keys in
 * the K16 layout (quant_impl.h: blocks of 16 positions, element e of the block's 16 positions
 * consecutive), which the attention's score product reads as one vector per element
 * (eng_k16_scores): a head's keys are streamed, and no horizontal sum is taken per position. */
static void *k_plane(const eng_ctx *c, int il, int s, int h)
{
	size_t hd = c->kv_row_k / c->kv_heads;
	size_t idx = (((size_t)c->m->layers[il].kv_slot * (size_t)c->n_seq + (size_t)s) * c->kv_heads + (size_t)h)
		* (size_t)c->n_ctx_pad * hd;

	return (char *)c->k + idx * c->kv_elt;
}

/* Row `pos` of plane h (deepseek's latent rows). */
static void *k_row(const eng_ctx *c, int il, int s, int h, int pos)
{
	return (char *)k_plane(c, il, s, h) + (size_t)pos * (c->kv_row_k / c->kv_heads) * c->kv_elt;
}

/* Block b (positions 16 b .. 16 b + 15) of plane h in the K16 layout. */
static const void *k_blk(const eng_ctx *c, int il, int s, int h, int b)
{
	return (const char *)k_plane(c, il, s, h) + (size_t)b * 16 * (size_t)c->m->hd_k * c->kv_elt;
}

/* Row of value dimension d (of all n_head_kv * hd_v) in the transposed V cache. */
static void *v_row(const eng_ctx *c, size_t vd, int il, int s, size_t d)
{
	size_t idx = (((size_t)c->m->layers[il].kv_slot * (size_t)c->n_seq + (size_t)s) * vd + d) * (size_t)c->n_ctx_pad;

	return (char *)c->v + idx * c->kv_elt;
}

static void kv_store(const eng_ctx *c, void *dst, const float *src, size_t n)
{
	if (c->kv_type == ENG_KV_F32)
		memcpy(dst, src, n * sizeof(float));
	else
		eng_quant_row(ENG_T_F16, src, dst, (int64_t)n);
}

/* Writes the keys of one token (hd_k elements per KV head, heads one after the other) at
 * position pos of the K16 planes; scratch: hd_k F16 values. */
static void k_store(const eng_ctx *c, const float *k, int il, int s, int pos, uint16_t *scratch)
{
	const size_t hd = (size_t)c->m->hd_k, j = (size_t)pos % 16;

	for (int h = 0; h < c->m->n_head_kv; h++) {
		char *blk = (char *)(uintptr_t)k_blk(c, il, s, h, pos / 16);
		const float *kh = k + (size_t)h * hd;

		if (c->kv_type == ENG_KV_F32) {
			for (size_t e = 0; e < hd; e++)
				((float *)blk)[e * 16 + j] = kh[e];
		} else {
			eng_quant_row(ENG_T_F16, kh, scratch, (int64_t)hd);
			for (size_t e = 0; e < hd; e++)
				((uint16_t *)blk)[e * 16 + j] = scratch[e];
		}
	}
}

/* Writes token values v[vd] at column pos of the transposed V cache. */
static void v_store(const eng_ctx *c, const float *v, size_t vd, int il, int s, int pos)
{
	for (size_t d = 0; d < vd; d++) {
		char *row = v_row(c, vd, il, s, d);

		if (c->kv_type == ENG_KV_F32)
			((float *)row)[pos] = v[d];
		else
			((uint16_t *)row)[pos] = eng_f32_to_f16(v[d]);
	}
}

/* sc[p] = exp(sc[p] - mx) / sum for p < n, the exponentials by eng_exp_sum (its sum in double,
 * in its fixed order) plus extra (an attention sink's), times 1/sum rounded to float, as
 * ggml's soft_max; with w16, the weights go to w16 rounded to F16 instead (sc then holds the
 * exponentials). */
static void softmax_exp_norm(float *sc, int n, float mx, double extra, uint16_t *w16)
{
	const double sum = eng_exp_sum(sc, n, mx) + extra;

	eng_scale_row(sc, n, (float)(1.0 / sum), w16);
}

/* Work items of one layer's attention: (block, KV head) pairs (attn_blocks), handed out in
 * order of decreasing cost (later positions first) to whichever thread is free. */
typedef struct attn_work {
	eng_ctx *c;
	int il, n;
	atomic_long next;
} attn_work;

/* The attention's score scale: 1/sqrt of the head width (gpt-oss: of the rotated dimensions,
 * as llama.cpp's graph for it; equal to hd_k in every published file). */
static float attn_scale(const eng_model *m)
{
	return 1.0f / sqrtf((float)(m->arch == ARCH_GPTOSS ? m->n_rot : m->hd_k));
}

/* Softmax of one query head's scores sc[0..n) in place, positions before p0 out (exp(-inf) =
 * 0), 1/sum rounded to float, zero weights from n to npad, and (F16 cache) the weights rounded
 * to F16 into w16. Query head a of KV head hk (for an attention sink's logit). */
static void attn_softmax(const eng_ctx *c, const layer *L, int hk, int a, float *sc, int p0, int n, int npad,
	void *w16)
{
	const int gqa = c->m->n_head / c->m->n_head_kv;
	float mx = -INFINITY;

	for (int p = 0; p < p0; p++)
		sc[p] = -INFINITY;
	eng_scale_max(sc, n, attn_scale(c->m), &mx);
	/* an attention sink (gpt-oss): a logit of its own in the max and the denominator, as
	 * ggml's soft_max with sinks */
	const float sink = L->attn_sinks ? ((const float *)L->attn_sinks->data)[hk * gqa + a] : 0;
	if (L->attn_sinks)
		mx = sink > mx ? sink : mx;
	softmax_exp_norm(sc, n, mx, L->attn_sinks ? (double)eng_expf(sink - mx) : 0, w16);
	if (w16)
		memset((uint16_t *)w16 + n, 0, sizeof(uint16_t) * (size_t)(npad - n));   /* F16 zeros */
	else
		for (int p = n; p < npad; p++)
			sc[p] = 0;
}

/* The query rows q (n_q rows, one after the other, hd_k floats each) as the score product takes
 * them, into rows row0 .. of thread slot ith's qf, whose start it returns: F16 values with an
 * F16 cache (rounded as eng_quant_row rounds them to F16), else copies. f16: hd_k F16 values of
 * scratch. */
static const float *att_queries(eng_ctx *c, int ith, int row0, const float *q, int n_q, void *f16)
{
	const size_t hd = (size_t)c->m->hd_k;
	float *qf = c->qf + (size_t)ith * (size_t)c->att_blk * (size_t)(c->m->n_head / c->m->n_head_kv) * hd;

	for (int r = 0; r < n_q; r++) {
		float *dst = qf + (size_t)(row0 + r) * hd;

		if (c->kv_type == ENG_KV_F16) {
			eng_quant_row(ENG_T_F16, q + (size_t)r * hd, f16, (int64_t)hd);
			eng_dequant_row(ENG_T_F16, f16, dst, (int64_t)hd);
		} else {
			memcpy(dst, q + (size_t)r * hd, hd * sizeof(float));
		}
	}
	return qf;
}

/* Attention of token t (sequence s, position pos) for the query heads that share KV head hk,
 * with thread slot ith. As llama.cpp's CPU path without flash attention: scores are K rows dot
 * the query (both in the cache's type; an F16 cache rounds the query to F16), softmax with
 * 1/sum rounded to float, weights rounded to the cache's type, then each output dimension is a
 * dot product of the weights with a row of the transposed V cache, over the positions padded
 * to a multiple of 32 with zero weights. Every dot product uses the dispatching kernels, whose
 * F32 / F16 sums are the _ref's bit for bit. */
static void attend_group(eng_ctx *c, int il, int t, int hk, int ith)
{
	const eng_model *m = c->m;
	size_t VD = (size_t)m->n_head_kv * (size_t)m->hd_v;
	int gqa = m->n_head / m->n_head_kv, f16 = c->kv_type == ENG_KV_F16;
	int s = c->tok_seq[t], n = c->tok_pos[t] + 1, npad = (n + 31) & ~31;
	const layer *L = &m->layers[il];
	/* a sliding-window layer sees positions p > pos - n_swa (llama.cpp's mask); the others
	 * stay out of the scores (exp(-inf) = 0) */
	int p0 = L->swa && n > m->n_swa ? n - m->n_swa : 0;
	/* a chunked layer (llama4) sees its own chunk's positions */
	if (L->chunk)
		p0 = (n - 1) / L->chunk * L->chunk;
	int ty = f16 ? ENG_T_F16 : ENG_T_F32;
	size_t W = (size_t)c->n_ctx_pad > (size_t)m->hd_k ? (size_t)c->n_ctx_pad : (size_t)m->hd_k;
	float *scores = c->scores + (size_t)ith * (size_t)c->att_blk * (size_t)gqa * (size_t)c->n_ctx_pad;
	char *wq = (char *)c->wq + (size_t)ith * (size_t)c->att_blk * (size_t)gqa * W * c->kv_elt;
	const float *q = c->q + (size_t)t * (size_t)m->n_head * (size_t)m->hd_k + (size_t)hk * (size_t)gqa * (size_t)m->hd_k;
	float *out = c->att + (size_t)t * (size_t)m->n_head * (size_t)m->hd_v + (size_t)hk * (size_t)gqa * (size_t)m->hd_v;
	const int b0 = p0 / 16;

	/* scores[a][p] = K[p] . q[a] for the gqa query heads at once, whole blocks of 16 positions
	 * (those before p0 are left out by the softmax, those from n on by npad's zero weights) */
	eng_k16_scores(ty, m->hd_k, k_blk(c, il, s, hk, b0), (n - 1) / 16 + 1 - b0, att_queries(c, ith, 0, q, gqa, wq),
		(size_t)m->hd_k, gqa, scores + 16 * b0, (size_t)c->n_ctx_pad);
	for (int a = 0; a < gqa; a++)
		attn_softmax(c, L, hk, a, scores + (size_t)a * (size_t)c->n_ctx_pad, p0, n, npad,
			f16 ? wq + (size_t)a * W * 2 : NULL);
	/* out[a][d] = weights[a] . Vt[d] */
	eng_vec_dot_rows(ty, npad, v_row(c, VD, il, s, (size_t)hk * (size_t)m->hd_v), (size_t)c->n_ctx_pad * c->kv_elt,
		m->hd_v, f16 ? (const void *)wq : (const void *)scores, f16 ? W * 2 : (size_t)c->n_ctx_pad * sizeof(float),
		gqa, out, (size_t)m->hd_v);
}

/* Attention of cnt tokens t0.. (one sequence, consecutive positions within one 32-position
 * window, so they share npad) for KV head hk: the same numbers as attend_group token by token,
 * bit for bit, but each product covers the whole block, so a K or V row is read once per block
 * instead of once per token. Scores are computed for positions up to the block's last token
 * (a token's scores past its own position are computed and then left out); a token's weights
 * are zero from its own n to npad, as in attend_group, and each (row, query) product equals the
 * single dot (eng_vec_dot_rows). Layers without a sliding window or chunks only. */
static void attend_block(eng_ctx *c, int il, int t0, int cnt, int hk, int ith)
{
	const eng_model *m = c->m;
	size_t VD = (size_t)m->n_head_kv * (size_t)m->hd_v;
	int gqa = m->n_head / m->n_head_kv, f16 = c->kv_type == ENG_KV_F16, R = cnt * gqa;
	int s = c->tok_seq[t0], nmax = c->tok_pos[t0 + cnt - 1] + 1, npad = (nmax + 31) & ~31;
	const layer *L = &m->layers[il];
	int ty = f16 ? ENG_T_F16 : ENG_T_F32;
	size_t W = (size_t)c->n_ctx_pad > (size_t)m->hd_k ? (size_t)c->n_ctx_pad : (size_t)m->hd_k;
	size_t wrow = W * c->kv_elt, np = (size_t)c->n_ctx_pad;
	float *scores = c->scores + (size_t)ith * (size_t)c->att_blk * (size_t)gqa * np;
	char *wq = (char *)c->wq + (size_t)ith * (size_t)c->att_blk * (size_t)gqa * wrow;
	float *vo = c->att_out + (size_t)ith * (size_t)c->att_blk * (size_t)gqa * (size_t)m->hd_v;

	/* query row r = i * gqa + a: token t0 + i's gqa rows of head group hk */
	const float *qf = NULL;
	for (int i = 0; i < cnt; i++)
		qf = att_queries(c, ith, i * gqa, c->q + (size_t)(t0 + i) * (size_t)m->n_head * (size_t)m->hd_k
			+ (size_t)hk * (size_t)gqa * (size_t)m->hd_k, gqa, wq);
	eng_k16_scores(ty, m->hd_k, k_blk(c, il, s, hk, 0), (nmax - 1) / 16 + 1, qf, (size_t)m->hd_k, R, scores, np);
	for (int r = 0; r < R; r++)
		attn_softmax(c, L, hk, r % gqa, scores + (size_t)r * np, 0, c->tok_pos[t0 + r / gqa] + 1, npad,
			f16 ? wq + (size_t)r * wrow : NULL);
	eng_vec_dot_rows(ty, npad, v_row(c, VD, il, s, (size_t)hk * (size_t)m->hd_v), np * c->kv_elt,
		m->hd_v, f16 ? (const void *)wq : (const void *)scores, f16 ? wrow : np * sizeof(float),
		R, vo, (size_t)m->hd_v);
	for (int i = 0; i < cnt; i++)
		memcpy(c->att + (size_t)(t0 + i) * (size_t)m->n_head * (size_t)m->hd_v
			+ (size_t)hk * (size_t)gqa * (size_t)m->hd_v,
			vo + (size_t)i * (size_t)gqa * (size_t)m->hd_v, sizeof(float) * (size_t)gqa * (size_t)m->hd_v);
}

/* Splits the batch's n tokens into attention blocks (c->blk_t0, c->n_blk): runs of one
 * sequence's consecutive positions within one 32-position window, at most att_blk long. */
static void attn_blocks(eng_ctx *c, int n)
{
	c->n_blk = 0;
	for (int t = 0; t < n; t++) {
		int t0 = c->n_blk ? c->blk_t0[c->n_blk - 1] : -1;

		if (t0 < 0 || t - t0 >= c->att_blk || c->tok_seq[t] != c->tok_seq[t - 1]
		    || c->tok_pos[t] != c->tok_pos[t - 1] + 1 || c->tok_pos[t] / 32 != c->tok_pos[t0] / 32)
			c->blk_t0[c->n_blk++] = t;
	}
}

static void attend_task(void *arg, int ith, int nth)
{
	attn_work *w = arg;
	eng_ctx *c = w->c;
	long H = c->m->n_head_kv, total = (long)c->n_blk * H;
	/* a sliding window or a chunk (llama4) starts each token's positions elsewhere: per token */
	const int windowed = c->m->layers[w->il].swa || c->m->layers[w->il].chunk;

	(void)nth;
	for (;;) {
		long i = atomic_fetch_add_explicit(&w->next, 1, memory_order_relaxed);

		if (i >= total)
			break;
		/* batch tokens come in position order within a sequence: the last costs most */
		i = total - 1 - i;
		const int b = (int)(i / H), hk = (int)(i % H), t0 = c->blk_t0[b];
		const int cnt = (b + 1 < c->n_blk ? c->blk_t0[b + 1] : w->n) - t0;

		if (cnt > 1 && !windowed)
			attend_block(c, w->il, t0, cnt, hk, ith);
		else
			for (int t = t0; t < t0 + cnt; t++)
				attend_group(c, w->il, t, hk, ith);
	}
}

/* llama4's Q and K of one token at pos: on a NoPE layer, Q times the attention temperature
 * (computed in float as llama.cpp does; K untouched); on the others RoPE, then the L2 norm of
 * every Q and K head where the model has it. */
static void llama4_qk(const eng_model *m, const layer *L, float *q, float *k, int pos, const float *cs,
	const float *sn)
{
	if (L->nope) {
		const float s = logf(floorf(((float)pos + 1.0f) / (float)m->l4.temp_floor) + 1.0f) *
			m->l4.temp_scale + 1.0f;

		for (size_t i = 0; i < (size_t)m->n_head * (size_t)m->hd_k; i++)
			q[i] *= s;
		return;
	}
	for (int h = 0; h < m->n_head + m->n_head_kv; h++) {
		float *v = h < m->n_head ? q + (size_t)h * (size_t)m->hd_k : k + (size_t)(h - m->n_head) * (size_t)m->hd_k;

		rope(m, v, cs, sn);
		if (m->l4.kq_norm)
			rmsnorm(v, v, NULL, m->hd_k, m->norm_eps);
	}
}

/* Per token: biases, Q/K norms and RoPE, then K and V into the cache. */
static void qkv_post_task(void *arg, int ith, int nth)
{
	const step *st = arg;
	eng_ctx *c = st->c;
	const eng_model *m = c->m;
	const layer *L = st->L;
	size_t QD = (size_t)m->n_head * (size_t)m->hd_k, KD = (size_t)m->n_head_kv * (size_t)m->hd_k;
	size_t VD = (size_t)m->n_head_kv * (size_t)m->hd_v;
	long t0, t1;

	float cs[2048], sn[2048];    /* n_rot / 2 <= hd_k / 2 <= 2048 (load_hparams) */
	uint16_t k16[4096];          /* one head's keys in F16 (k_store) */

	eng_split(st->n, ith, nth, 1, &t0, &t1);
	for (long t = t0; t < t1; t++) {
		float *q = c->q + (size_t)t * QD, *k = c->kk + (size_t)t * KD, *v = c->vv + (size_t)t * VD;

		if (L->bq)
			for (size_t i = 0; i < QD; i++)
				q[i] += ((const float *)L->bq->data)[i];
		if (L->bk)
			for (size_t i = 0; i < KD; i++)
				k[i] += ((const float *)L->bk->data)[i];
		if (L->bv)
			for (size_t i = 0; i < VD; i++)
				v[i] += ((const float *)L->bv->data)[i];
		rope_angles(m, c->tok_pos[t], cs, sn);
		if (m->arch == ARCH_LLAMA4) {
			llama4_qk(m, L, q, k, c->tok_pos[t], cs, sn);
			goto store;
		}
		for (int h = 0; h < m->n_head; h++) {
			float *qh = q + (size_t)h * (size_t)m->hd_k;

			if (L->q_norm)
				rmsnorm(qh, qh, L->q_norm->data, m->hd_k, m->norm_eps);
			rope(m, qh, cs, sn);
		}
		for (int h = 0; h < m->n_head_kv; h++) {
			float *kh = k + (size_t)h * (size_t)m->hd_k;

			if (L->k_norm)
				rmsnorm(kh, kh, L->k_norm->data, m->hd_k, m->norm_eps);
			rope(m, kh, cs, sn);
		}
store:
		k_store(c, k, st->il, c->tok_seq[t], c->tok_pos[t], k16);
		v_store(c, v, VD, st->il, c->tok_seq[t], c->tok_pos[t]);
	}
}

/* x += y (the residual), then xn = rmsnorm(x) * w for the next block, per token. */
static void residual_norm_task(void *arg, int ith, int nth)
{
	const step *st = arg;
	eng_ctx *c = st->c;
	int64_t E = c->m->n_embd;
	long t0, t1;

	eng_split(st->n, ith, nth, 1, &t0, &t1);
	for (long t = t0; t < t1; t++) {
		float *x = c->x + (size_t)t * (size_t)E;

		if (st->y)
			for (int64_t i = 0; i < E; i++)
				x[i] += st->y[(size_t)t * (size_t)E + (size_t)i];
		if (st->x)
			rmsnorm(c->xn + (size_t)t * (size_t)E, x, st->x, E, c->m->norm_eps);
	}
}

/* ---------------------------------------------------------------- mixture of experts */

/* Per token, as llama.cpp's graph: softmax of the router logits (max subtracted, exponentials
 * summed in double, times 1/sum rounded to float), the n_expert_used largest probabilities in
 * descending order (ties to the lower expert), their probabilities as weights, divided by their
 * sum (summed in double) where the architecture renormalises. */
/* The K largest of p[X] in descending order (ties to the lower index): indices into sel, values
 * into w. chosen: X bytes of scratch. */
/* w[j] /= (their sum in double, rounded to float), j < K: the chosen experts' weights
 * renormalised (norm_topk_prob, DeepSeek's expert_weights_norm). */
static void renorm_weights(float *w, int K)
{
	double ws = 0;
	float f;

	for (int j = 0; j < K; j++)
		ws += w[j];
	f = (float)ws;
	for (int j = 0; j < K; j++)
		w[j] = w[j] / f;
}

static void topk_desc(const float *p, int X, int K, int *sel, float *w, unsigned char *chosen)
{
	memset(chosen, 0, (size_t)X);
	for (int j = 0; j < K; j++) {
		int best = -1;

		for (int i = 0; i < X; i++)
			if (!chosen[i] && (best < 0 || p[i] > p[best]))
				best = i;
		chosen[best] = 1;
		sel[j] = best;
		w[j] = p[best];
	}
}

/* gpt-oss's routing, as llama.cpp's graph for it: the biased logits' K largest in descending
 * order (ties to the lower expert), then a softmax over those K logits alone. p: the token's
 * router logits [X] (the bias is added in place). */
static void route_topk_softmax(const layer *L, float *p, int X, int K, int *sel, float *w,
	unsigned char *chosen)
{
	const float *b = L->ffn_gate_inp_b ? L->ffn_gate_inp_b->data : NULL;
	float mx = -INFINITY, inv;
	double sum = 0;

	for (int i = 0; b && i < X; i++)
		p[i] += b[i];
	topk_desc(p, X, K, sel, w, chosen);
	for (int j = 0; j < K; j++)
		mx = w[j] > mx ? w[j] : mx;
	for (int j = 0; j < K; j++) {
		w[j] = expf(w[j] - mx);
		sum += w[j];
	}
	inv = (float)(1.0 / sum);
	for (int j = 0; j < K; j++)
		w[j] *= inv;
}

static void moe_route_task(void *arg, int ith, int nth)
{
	const step *st = arg;
	eng_ctx *c = st->c;
	const eng_model *m = c->m;
	int X = m->n_expert, K = m->n_expert_used;
	unsigned char chosen[4096];
	long t0, t1;

	eng_split(st->n, ith, nth, 1, &t0, &t1);
	for (long t = t0; t < t1; t++) {
		float *p = c->router + (size_t)t * (size_t)X, mx = -INFINITY, inv;
		int *sel = c->moe_sel + (size_t)t * (size_t)K;
		float *w = c->moe_w + (size_t)t * (size_t)K;
		double sum = 0;

		if (m->moe_topk_softmax) {
			route_topk_softmax(st->L, p, X, K, sel, w, chosen);
			continue;
		}
		if (m->l4.w_in) {
			/* llama4: the largest logits, each chosen expert weighted by its logit's sigmoid */
			topk_desc(p, X, K, sel, w, chosen);
			for (int j = 0; j < K; j++)
				w[j] = 1.0f / (1.0f + expf(-w[j]));
			continue;
		}
		if (m->arch == ARCH_DEEPSEEK2) {
			eng_ds_route(p, st->L->exp_probs_b ? st->L->exp_probs_b->data : NULL, X, K, m->n_group,
				m->n_group_used, m->gate_sigmoid, m->moe_norm_w, m->w_scale, sel, w);
			continue;
		}
		for (int i = 0; i < X; i++)
			mx = p[i] > mx ? p[i] : mx;
		for (int i = 0; i < X; i++) {
			float e = expf(p[i] - mx);

			p[i] = e;
			sum += e;
		}
		inv = (float)(1.0 / sum);
		for (int i = 0; i < X; i++)
			p[i] *= inv;
		topk_desc(p, X, K, sel, w, chosen);
		if (m->moe_norm_w)
			renorm_weights(w, K);
	}
}

/* One parallel section of the experts' products: the tokens of the step grouped by expert (the
 * group rows), every active expert's rows handed out in pieces to whichever thread is free
 * (moe_chunk), so that each chosen expert's weights are read once per step and a decoded
 * token's few experts still spread over all threads. With few tokens a claim takes
 * 1 / MOE_GUIDED_DIV of what is left per thread, at least MOE_GUIDED_MIN rows. */
#define MOE_GUIDED_DIV 2
#define MOE_GUIDED_MIN 64
typedef struct moe_work {
	eng_ctx *c;
	const layer *L;
	int rows;                    /* group rows: tokens x n_expert_used */
	int n_act;                   /* experts chosen by at least one token, in c->moe_act */
	int down;                    /* 0: gate and up (then SwiGLU), 1: down */
	int chunk;                   /* rows of an expert per work item; 0: shrinking pieces */
	atomic_long next;
} moe_work;

/* Quantizes the group rows' inputs into qact: the tokens' normalized states for gate and up,
 * the hidden activations (gate) for down, each to its weights' vec_dot type. */
static void moe_quant_task(void *arg, int ith, int nth)
{
	moe_work *w = arg;
	eng_ctx *c = w->c;
	const eng_model *m = c->m;
	tref t = w->down ? w->L->ffn_down_exps : w->L->ffn_gate_exps;
	int vt = eng_type_get(t->type)->vec_dot_type, K = m->n_expert_used;
	size_t E = (size_t)m->n_embd, F = (size_t)m->n_ff_exp;
	long r0, r1;

	eng_split(w->rows, ith, nth, 1, &r0, &r1);
	for (long r = r0; r < r1; r++) {
		const float *x = w->down ? c->gate + (size_t)r * F : c->xn + (size_t)(c->moe_pair[r] / K) * E;

		if (!w->down && m->l4.w_in) {
			/* llama4 weights the expert's input: x times the weight, in the group row's slot
			 * of moe_y (free until down writes it) */
			float *xw = c->moe_y + (size_t)r * E, wt = c->moe_w[c->moe_pair[r]];

			for (size_t i = 0; i < E; i++)
				xw[i] = x[i] * wt;
			x = xw;
		}
		eng_quant_row(vt, x, (char *)c->qact + (size_t)r * c->qact_row, (int64_t)t->ne[0]);
	}
}

/* gpt-oss's clamped SwiGLU over rows [r0, r1) of one (token, expert) pair, with the expert's
 * gate and up biases (may be NULL) added first, as ggml's swiglu_oai: x = min(gate, 7),
 * y = clamp(up, -7, 7), out = x * sigmoid(1.702 x) * (y + 1), into g. */
static void swiglu_oai_rows(float *g, const float *u, const float *bg, const float *bu, long r0, long r1)
{
	const float alpha = 1.702f, limit = 7.0f;

	for (long r = r0; r < r1; r++) {
		const float gv = bg ? g[r] + bg[r] : g[r], uv = bu ? u[r] + bu[r] : u[r];
		const float x = fminf(gv, limit), y = fmaxf(fminf(uv, limit), -limit);

		g[r] = x / (1.f + expf(alpha * (-x))) * (y + 1.f);
	}
}

static void moe_mm_task(void *arg, int ith, int nth)
{
	moe_work *w = arg;
	eng_ctx *c = w->c;
	const eng_model *m = c->m;
	const layer *L = w->L;
	size_t E = (size_t)m->n_embd, F = (size_t)m->n_ff_exp;
	long out = w->down ? (long)E : (long)F, ch = w->chunk, chunks = ch ? (out + ch - 1) / ch : 0;
	const long total = (long)w->n_act * out;

	(void)ith;
	for (;;) {
		int e, lo, cnt;
		long g, ge;
		const char *qa;

		if (!ch) {
			/* few tokens: the active experts' rows as one run, claimed in shrinking pieces
			 * (a share of what is left, whole 16-row groups, at least MOE_GUIDED_MIN rows,
			 * never past an expert's end): long runs that stream from memory first, short
			 * ones at the end so that the threads finish together */
			long p = atomic_load_explicit(&w->next, memory_order_relaxed), sz;

			do {
				if (p >= total)
					break;
				sz = (total - p) / (MOE_GUIDED_DIV * (long)nth);
				sz = (sz + 15) / 16 * 16;
				sz = sz < MOE_GUIDED_MIN ? MOE_GUIDED_MIN : sz;
				sz = sz < out - p % out ? sz : out - p % out;
			} while (!atomic_compare_exchange_weak_explicit(&w->next, &p, p + sz, memory_order_relaxed,
				memory_order_relaxed));
			if (p >= total)
				break;
			e = c->moe_act[p / out];
			g = p % out;
			ge = g + sz;
		} else {
			long i = atomic_fetch_add_explicit(&w->next, 1, memory_order_relaxed);

			if (i >= (long)w->n_act * chunks)
				break;
			e = c->moe_act[i / chunks];
			g = (i % chunks) * ch;
			ge = g + ch < out ? g + ch : out;
		}
		lo = c->moe_off[e];
		cnt = c->moe_off[e + 1] - lo;
		qa = (const char *)c->qact + (size_t)lo * c->qact_row;
		if (w->down) {
			weight_rows(L->ffn_down_exps, e, E, g, ge, qa, c->qact_row, cnt, c->moe_y + (size_t)lo * E + (size_t)g, E);
			if (L->ffn_down_exps_b) {
				const float *bd = (const float *)L->ffn_down_exps_b->data + (size_t)e * E;

				for (int t = 0; t < cnt; t++)
					for (long r = g; r < ge; r++)
						c->moe_y[(size_t)(lo + t) * E + (size_t)r] += bd[r];
			}
		} else {
			tref gt = L->ffn_gate_exps, ut = L->ffn_up_exps;

			weight_rows(gt, e, F, g, ge, qa, c->qact_row, cnt, c->gate + (size_t)lo * F + (size_t)g, F);
			weight_rows(ut, e, F, g, ge, qa, c->qact_row, cnt, c->up + (size_t)lo * F + (size_t)g, F);
			for (int t = 0; t < cnt; t++) {
				float *gr = c->gate + (size_t)(lo + t) * F, *ur = c->up + (size_t)(lo + t) * F;

				if (m->moe_swiglu_oai)
					swiglu_oai_rows(gr, ur, L->ffn_gate_exps_b ? (const float *)L->ffn_gate_exps_b->data + (size_t)e * F : NULL,
						L->ffn_up_exps_b ? (const float *)L->ffn_up_exps_b->data + (size_t)e * F : NULL, g, ge);
				else
					eng_silu_mul(gr + g, ur + g, ge - g);
			}
		}
	}
}

/* xn[t] = each chosen expert's output times its weight, added in the order of choice, plus the
 * shared expert's output (in up) times its sigmoid gate (in router[t]) where there is one. */
static void moe_sum_task(void *arg, int ith, int nth)
{
	const step *st = arg;
	eng_ctx *c = st->c;
	const eng_model *m = c->m;
	size_t E = (size_t)m->n_embd, K = (size_t)m->n_expert_used;
	long t0, t1;

	eng_split(st->n, ith, nth, 1, &t0, &t1);
	for (long t = t0; t < t1; t++) {
		float *y = c->xn + (size_t)t * E;

		for (size_t j = 0; j < K; j++) {
			const float *o = c->moe_y + (size_t)c->moe_pos[(size_t)t * K + j] * E;
			/* llama4 weighted the input instead */
			float w = m->l4.w_in ? 1.0f : c->moe_w[(size_t)t * K + j];

			if (j == 0)
				for (size_t d = 0; d < E; d++)
					y[d] = o[d] * w;
			else
				for (size_t d = 0; d < E; d++)
					y[d] += o[d] * w;
		}
		if (st->L->ffn_gate_shexp) {
			/* deepseek2's shared experts have no gate */
			float g = st->L->ffn_gate_inp_shexp ? 1.0f / (1.0f + expf(-c->router[t])) : 1.0f;
			const float *sh = c->up + (size_t)t * E;

			for (size_t d = 0; d < E; d++)
				y[d] += sh[d] * g;
		}
	}
}

/* Tells the observer each expert's input rows of one half of moe_ffn (after moe_quant_task:
 * llama4's weighted inputs are then in moe_y). */
static void moe_observe(const eng_ctx *c, const moe_work *w, int n)
{
	const eng_model *m = c->m;
	size_t E = (size_t)m->n_embd, F = (size_t)m->n_ff_exp;
	int K = m->n_expert_used;

	for (int a = 0; a < w->n_act; a++) {
		int e = c->moe_act[a];

		for (int r = c->moe_off[e]; r < c->moe_off[e + 1]; r++) {
			const float *x = w->down ? c->gate + (size_t)r * F : m->l4.w_in ? c->moe_y + (size_t)r * E :
				c->xn + (size_t)(c->moe_pair[r] / K) * E;

			if (w->down)
				observe(c, w->L->ffn_down_exps, e, x, 1, F, n);
			else {
				observe(c, w->L->ffn_gate_exps, e, x, 1, E, n);
				observe(c, w->L->ffn_up_exps, e, x, 1, E, n);
			}
		}
	}
}

/* Rows of an expert per work item of moe_mm_task. With many tokens per expert (prefill), 32
 * rows times all of them in the batch tiles. With few (decode: `most`, the largest count, at
 * most what the decode kernels take at once), 0: pieces that shrink as the work runs out
 * (moe_mm_task), so that each call of the row kernels prepares its activations once for many
 * rows and a long run of one expert's rows streams from memory without restarts (Qwen3-30B-A3B
 * shape, 12 layers, Q4_K_M, 2 threads, tg128: 58 t/s with 32-row items, 79-81 with 256, 84-86
 * with whole experts), while the last pieces are small enough that the threads finish together
 * (docs/engine.md, "Decode items claimed in shrinking pieces"). */
static int moe_chunk(int most)
{
	return most > ENG_RP_MAX_ACT ? 32 : 0;
}

/* The mixture-of-experts block of layer L for the n tokens in c->xn, into c->xn. A token's
 * result does not depend on the other tokens of the batch: the products are the single-token
 * kernel's bit for bit whatever the group, and every other step is per token. */
static void moe_ffn(eng_ctx *c, const layer *L, int n)
{
	const eng_model *m = c->m;
	int X = m->n_expert, K = m->n_expert_used;
	step st = { .c = c, .n = n, .L = L };
	int thr = n > 1 ? c->n_threads : 1;
	moe_work w = { .c = c, .L = L, .rows = n * K };
	int most = 0;

	matmul(c, L->ffn_gate_inp, c->xn, n, c->router);
	eng_pool_run(m->pool, thr, moe_route_task, &st);
	/* group rows: the (token, choice) pairs by expert, in token order within each */
	memset(c->moe_off, 0, (size_t)(X + 1) * sizeof *c->moe_off);
	for (int p = 0; p < n * K; p++)
		c->moe_off[c->moe_sel[p] + 1]++;
	for (int e = 0; e < X; e++) {
		if (c->moe_off[e + 1])
			c->moe_act[w.n_act++] = e;
		if (c->moe_off[e + 1] > most)
			most = c->moe_off[e + 1];
		c->moe_off[e + 1] += c->moe_off[e];
	}
	{
		int fill[4096];

		memcpy(fill, c->moe_off, (size_t)X * sizeof *fill);
		for (int p = 0; p < n * K; p++) {
			int r = fill[c->moe_sel[p]]++;

			c->moe_pair[r] = p;
			c->moe_pos[p] = r;
		}
	}
	w.chunk = moe_chunk(most);   /* the same for both halves: it depends on the token counts only */
	for (w.down = 0; w.down < 2; w.down++) {
		eng_pool_run(m->pool, w.rows > 1 ? c->n_threads : 1, moe_quant_task, &w);
		if (c->obs)
			moe_observe(c, &w, n);
		atomic_init(&w.next, 0);
		eng_pool_run(m->pool, c->n_threads, moe_mm_task, &w);
	}
	if (L->ffn_gate_shexp) {
		/* the shared expert: its gate logit into router[t], its output into up (gate and up
		 * are free again: the experts' hidden activations were consumed by down) */
		tref w2[2] = { L->ffn_gate_shexp, L->ffn_up_shexp };
		float *y2[2] = { c->gate, c->up };

		if (L->ffn_gate_inp_shexp)
			matmul(c, L->ffn_gate_inp_shexp, c->xn, n, c->router);
		matmul_k(c, 2, w2, y2, c->xn, n, 1);
		matmul(c, L->ffn_down_shexp, c->gate, n, c->up);
	}
	eng_pool_run(m->pool, thr, moe_sum_task, &st);
}

/* Attention of the layer of st for its tokens in c->xn, into c->att: Q, K and V, biases, norms
 * and RoPE, the new K and V into the cache, then each (token, KV head)'s attention. */
static void gqa_attention(eng_ctx *c, step *st)
{
	const eng_model *m = c->m;
	const layer *L = st->L;
	int n = st->n;

	{
		tref w3[3] = { L->wq, L->wk, L->wv };
		float *y3[3] = { c->q, c->kk, c->vv };

		matmul_k(c, 3, w3, y3, c->xn, n, 0);
	}
	eng_pool_run(m->pool, n > 1 ? c->n_threads : 1, qkv_post_task, st);
	{
		attn_work aw = { .c = c, .il = st->il, .n = n };

		atomic_init(&aw.next, 0);
		eng_pool_run(m->pool, c->n_threads, attend_task, &aw);
	}
}

/* ---------------------------------------------------------------- deepseek2: forward */

/* DeepSeek's routing of one token (engine_impl.h). As llama.cpp's graph: probabilities by
 * softmax (max subtracted, the sum in double, times 1/sum) or sigmoid; the selection scores are
 * the probabilities plus the bias; with groups, each group scores the sum of its two best
 * selection scores and only the n_group_used best groups stay in the choice; the k best
 * selection scores in descending order (ties to the lower expert); their probabilities
 * (unbiased) as weights, divided by their sum where norm, times scale. */
void eng_ds_route(float *p, const float *bias, int X, int K, int n_group, int n_group_used, int sigmoid,
	int norm, float scale, int *sel, float *w)
{
	float sc[4096], gs[4096], unused[4096];
	unsigned char chosen[4096];
	int gsel[4096];

	if (sigmoid) {
		for (int i = 0; i < X; i++)
			p[i] = 1.0f / (1.0f + expf(-p[i]));
	} else {
		float mx = -INFINITY;

		for (int i = 0; i < X; i++)
			mx = p[i] > mx ? p[i] : mx;
		softmax_exp_norm(p, X, mx, 0, NULL);
	}
	for (int i = 0; i < X; i++)
		sc[i] = bias ? p[i] + bias[i] : p[i];
	if (n_group > 1 && n_group_used < n_group) {
		int per = X / n_group;

		for (int g = 0; g < n_group; g++) {
			float a = -INFINITY, b = -INFINITY;   /* the group's best two */

			for (int i = g * per; i < (g + 1) * per; i++) {
				if (sc[i] > a) {
					b = a;
					a = sc[i];
				} else if (sc[i] > b) {
					b = sc[i];
				}
			}
			gs[g] = per > 1 ? a + b : a;
		}
		topk_desc(gs, n_group, n_group_used, gsel, unused, chosen);
		for (int g = 0; g < n_group; g++)
			if (!chosen[g])
				for (int i = g * per; i < (g + 1) * per; i++)
					sc[i] = -INFINITY;
	}
	topk_desc(sc, X, K, sel, w, chosen);
	for (int j = 0; j < K; j++)
		w[j] = p[sel[j]];
	if (norm)
		renorm_weights(w, K);
	if (fabsf(scale - 1.0f) > 1e-5f)
		for (int j = 0; j < K; j++)
			w[j] *= scale;
}

/* Per-thread attention scratch of a deepseek2 context, for up to n_head heads at a time. */
typedef struct ds_scratch {
	float *sc;                   /* [n_head][n_ctx_pad] scores, then weights */
	float *deq;                  /* [32][kv_lora]: a block of cached latents as f32 */
} ds_scratch;

static size_t al64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

/* The parts of ds_scratch in one block; with base NULL, only the size. */
static size_t ds_scratch_at(const eng_ctx *c, char *base, ds_scratch *s)
{
	const eng_model *m = c->m;
	size_t H = (size_t)m->n_head, R = (size_t)m->kv_lora;
	size_t P = ((size_t)c->n_ctx + 31) & ~(size_t)31;
	size_t a = al64(H * P * 4);

	if (s)
		*s = (ds_scratch){ (float *)(void *)base, base ? (float *)(void *)(base + a) : NULL };
	return a + al64(32 * R * 4);
}

#define DS_TB 64                     /* tokens per block of the latent attention */

/* The cache of a deepseek2 context: one row of [kv_lora, n_rot] per token and layer, no V
 * cache; kk holds the new tokens' rows. */
static int ds_ctx_init(eng_ctx *c, size_t *kvk, size_t *kvv)
{
	const eng_model *m = c->m;
	size_t H = (size_t)m->n_head, R = (size_t)m->kv_lora, D = R + (size_t)m->n_rot;
	size_t TB;

	*kvk = D;
	*kvv = 0;
	c->ds_tb = c->n_batch < DS_TB ? c->n_batch : DS_TB;
	TB = (size_t)c->ds_tb;
	/* a vec_dot row takes at most 4 bytes a value */
	c->ds_qn_max = al64(4 * (size_t)m->n_nope + 64);
	c->ds_olq_max = al64(4 * R + 64);
	c->ds_scr_size = ds_scratch_at(c, NULL, NULL);
	c->ds_scr = xcalloc((size_t)c->n_threads, c->ds_scr_size, 1);
	c->ds_qa = xcalloc((size_t)c->n_batch, (size_t)(m->q_lora ? m->q_lora : 1), sizeof(float));
	c->ds_act = xcalloc(TB * H, D, sizeof(float));
	c->ds_actc = xcalloc(TB * H, D, c->kv_elt);
	c->ds_olat = xcalloc(TB * H, R, sizeof(float));
	c->ds_qn = xcalloc(TB * H, c->ds_qn_max, 1);
	c->ds_olq = xcalloc(TB * H, c->ds_olq_max, 1);
	return c->ds_scr && c->ds_qa && c->ds_act && c->ds_actc && c->ds_olat && c->ds_qn && c->ds_olq ? 0 : -1;
}

/* Per token: the low-rank query's norm. */
static void ds_qnorm_task(void *arg, int ith, int nth)
{
	const step *st = arg;
	eng_ctx *c = st->c;
	size_t Q = (size_t)c->m->q_lora;
	long t0, t1;

	eng_split(st->n, ith, nth, 1, &t0, &t1);
	for (long t = t0; t < t1; t++)
		rmsnorm(c->ds_qa + (size_t)t * Q, c->ds_qa + (size_t)t * Q, st->L->q_a_norm->data, (int64_t)Q,
			c->m->norm_eps);
}

/* Per token: the latent's norm, RoPE on the key's and each head's query's last n_rot values,
 * then [latent, RoPE key] into the cache. */
static void ds_post_task(void *arg, int ith, int nth)
{
	const step *st = arg;
	eng_ctx *c = st->c;
	const eng_model *m = c->m;
	size_t R = (size_t)m->kv_lora, D = R + (size_t)m->n_rot, QD = (size_t)m->n_head * (size_t)m->hd_k;
	float cs[2048], sn[2048];    /* n_rot / 2 <= hd_k / 2 <= 2048 (load_hparams) */
	long t0, t1;

	eng_split(st->n, ith, nth, 1, &t0, &t1);
	for (long t = t0; t < t1; t++) {
		float *kv = c->kk + (size_t)t * D, *q = c->q + (size_t)t * QD;

		rmsnorm(kv, kv, st->L->kv_a_norm->data, (int64_t)R, m->norm_eps);
		rope_angles(m, c->tok_pos[t], cs, sn);
		rope(m, kv + R, cs, sn);
		for (int h = 0; h < m->n_head; h++)
			rope(m, q + (size_t)h * (size_t)m->hd_k + (size_t)m->n_nope, cs, sn);
		kv_store(c, k_row(c, st->il, c->tok_seq[t], 0, c->tok_pos[t]), kv, D);
	}
}

/* deepseek2's attention in the latent space, a block of tokens [t0, t0 + nt) at a time, in
 * three parallel sections:
 *   A (a head per work item): the head's query no-RoPE parts, in the key up-projection's vec_dot
 *     type, taken into the latent space by its rows (q_lat = W_k^T q_nope) for all the block's
 *     tokens in one product; with the RoPE part, [q_lat, q_rope] (and its copy in the cache's
 *     type) per (token, head);
 *   B (a token's head group per item): scores = [q_lat, q_rope] . [latent, RoPE key] of every
 *     cached position (both in the cache's type) times kq_scale, softmax as attend_group, and the
 *     weighted sum of the cached latents (in f32, positions in order);
 *   C (a head per item): the weighted latents in the value up-projection's vec_dot type, times
 *     the head's value rows for all the block's tokens in one product, into att.
 * The products of A and C take a head's weights once for the block (eng_vec_dot_rows gives
 * every (row, token) the single dot's bits), and no result depends on which tokens or heads
 * share a work item or a block. */
typedef struct ds_work {
	eng_ctx *c;
	const layer *L;
	int il, t0, nt, split;       /* split: head groups per token in B */
	atomic_long next;
} ds_work;

/* The key up-projection of layer L: its rows (kv_lora of them per head, n_nope wide), their
 * type and row size. */
static const char *ds_kb(const eng_model *m, const layer *L, int *type, size_t *rs)
{
	*type = L->wk_b ? L->wk_b->type : ENG_T_F16;
	*rs = eng_row_size(*type, (int64_t)m->n_nope);
	return L->wk_b ? (const char *)L->wk_b->data : (const char *)L->kb_f16;
}

/* The next head h of a section's work (w->next), or -1 when none is left; first its block
 * tokens' rows of n floats (token a's at src + h hs + a ts) into `type` at dst + h dh, one
 * after the other. */
static long ds_next_head(ds_work *w, int type, const float *src, size_t hs, size_t ts, int64_t n, char *dst,
	size_t dh)
{
	long h = atomic_fetch_add_explicit(&w->next, 1, memory_order_relaxed);
	size_t rs = eng_row_size(type, n);

	if (h >= (long)w->c->m->n_head)
		return -1;
	for (int a = 0; a < w->nt; a++)
		eng_quant_row(type, src + (size_t)h * hs + (size_t)a * ts, dst + (size_t)h * dh + (size_t)a * rs, n);
	return h;
}

static void ds_qlat_task(void *arg, int ith, int nth)
{
	ds_work *w = arg;
	eng_ctx *c = w->c;
	const eng_model *m = c->m;
	size_t R = (size_t)m->kv_lora, D = R + (size_t)m->n_rot, N = (size_t)m->n_nope;
	size_t HK = (size_t)m->hd_k, H = (size_t)m->n_head, TB = (size_t)c->ds_tb;
	int kt, f16 = c->kv_type == ENG_KV_F16;
	size_t krs;
	const char *kb = ds_kb(m, w->L, &kt, &krs);
	int kvt = eng_type_get(kt)->vec_dot_type;
	size_t qr = eng_row_size(kvt, (int64_t)N);

	(void)ith;
	(void)nth;
	for (long h; (h = ds_next_head(w, kvt, c->q + (size_t)w->t0 * H * HK, HK, H * HK, (int64_t)N, c->ds_qn,
			TB * c->ds_qn_max)) >= 0;) {
		eng_vec_dot_rows(kt, (int64_t)N, kb + (size_t)h * R * krs, krs, (int)R, c->ds_qn + (size_t)h * TB * c->ds_qn_max,
			qr, w->nt, c->ds_act + (size_t)h * D, H * D);
		for (int a = 0; a < w->nt; a++) {
			float *act = c->ds_act + ((size_t)a * H + (size_t)h) * D;

			memcpy(act + R, c->q + ((size_t)(w->t0 + a) * H + (size_t)h) * HK + N, (size_t)m->n_rot * sizeof(float));
			if (f16)
				eng_quant_row(ENG_T_F16, act, (char *)c->ds_actc + ((size_t)a * H + (size_t)h) * D * 2, (int64_t)D);
		}
	}
}

/* B for block token a (token t0 + a of the step) and heads [h0, h1). */
static void ds_attend(eng_ctx *c, const ds_work *w, int a, int h0, int h1, int ith)
{
	const eng_model *m = c->m;
	const int t = w->t0 + a, il = w->il;
	size_t R = (size_t)m->kv_lora, D = R + (size_t)m->n_rot;
	size_t P = (size_t)c->n_ctx_pad, H = (size_t)m->n_head;
	int s = c->tok_seq[t], n = c->tok_pos[t] + 1, G = h1 - h0, f16 = c->kv_type == ENG_KV_F16;
	size_t first = (size_t)a * H + (size_t)h0;
	ds_scratch S;

	ds_scratch_at(c, c->ds_scr + (size_t)ith * c->ds_scr_size, &S);
	eng_vec_dot_rows(f16 ? ENG_T_F16 : ENG_T_F32, (int64_t)D, k_row(c, il, s, 0, 0), D * c->kv_elt, n,
		f16 ? (const void *)((const char *)c->ds_actc + first * D * 2) : (const void *)(c->ds_act + first * D),
		D * c->kv_elt, G, S.sc, P);
	for (int g = 0; g < G; g++) {
		float *sc = S.sc + (size_t)g * P, mx = -INFINITY;

		eng_scale_max(sc, n, m->kq_scale, &mx);
		softmax_exp_norm(sc, n, mx, 0, NULL);
	}
	memset(c->ds_olat + first * R, 0, (size_t)G * R * sizeof(float));
	for (int p0 = 0; p0 < n; p0 += 32) {
		int nb = n - p0 < 32 ? n - p0 : 32;
		const float *src = f16 ? S.deq : (const float *)k_row(c, il, s, 0, p0);
		size_t stride = f16 ? R : D;

		for (int j = 0; f16 && j < nb; j++)
			eng_dequant_row(ENG_T_F16, k_row(c, il, s, 0, p0 + j), S.deq + (size_t)j * R, (int64_t)R);
		eng_axpy_rows(c->ds_olat + first * R, R, G, S.sc + p0, P, src, stride, nb, (int64_t)R);
	}
}

/* B's work items: (token, head group) pairs, later tokens first. */
static void ds_attn_task(void *arg, int ith, int nth)
{
	ds_work *w = arg;
	long H = w->c->m->n_head, total = (long)w->nt * w->split;

	(void)nth;
	for (;;) {
		long i = atomic_fetch_add_explicit(&w->next, 1, memory_order_relaxed), t, k;

		if (i >= total)
			break;
		i = total - 1 - i;
		t = i / w->split;
		k = i % w->split;
		ds_attend(w->c, w, (int)t, (int)(H * k / w->split), (int)(H * (k + 1) / w->split), ith);
	}
}

/* C: the value up-projection, a head per work item. Its value rows are wv_b's rows
 * [h hd_v, (h + 1) hd_v), or wkv_b's after the head's n_nope key rows; repacked at load
 * (R16) where their rows allowed it. */
static void ds_vproj_task(void *arg, int ith, int nth)
{
	ds_work *w = arg;
	eng_ctx *c = w->c;
	const eng_model *m = c->m;
	const layer *L = w->L;
	size_t R = (size_t)m->kv_lora, N = (size_t)m->n_nope, DV = (size_t)m->hd_v, H = (size_t)m->n_head;
	size_t TB = (size_t)c->ds_tb;
	tref vw = L->wv_b ? L->wv_b : L->wkv_b;
	int vvt = eng_type_get(vw->type)->vec_dot_type;
	size_t qr = eng_row_size(vvt, (int64_t)R);

	(void)ith;
	(void)nth;
	for (long h; (h = ds_next_head(w, vvt, c->ds_olat, R, H * R, (int64_t)R, c->ds_olq, TB * c->ds_olq_max)) >= 0;) {
		const char *olq = c->ds_olq + (size_t)h * TB * c->ds_olq_max;
		size_t r0 = L->wv_b ? (size_t)h * DV : (size_t)h * (N + DV) + N;
		float *out = c->att + ((size_t)w->t0 * H + (size_t)h) * DV;

		/* all heads' rows: wv_b may be 3-D (a head per plane) */
		weight_rows(vw, 0, L->wv_b ? H * DV : H * (N + DV), (long)r0, (long)(r0 + DV), olq, qr, w->nt, out, H * DV);
	}
}

/* deepseek2's attention of layer il for the n tokens in c->xn, into c->att: the query (through
 * the low-rank stage where there is one) and the latent with the RoPE key in one product, the
 * norms and RoPE, the cache rows, then attention in the latent space, block by block. */
static void ds_attention(eng_ctx *c, const layer *L, int il, int n)
{
	const eng_model *m = c->m;
	step st = { .c = c, .n = n, .il = il, .L = L };
	int thr = n > 1 ? c->n_threads : 1;
	tref w2[2] = { L->wq_a ? L->wq_a : L->wq, L->wkv_a };
	float *y2[2] = { L->wq_a ? c->ds_qa : c->q, c->kk };

	matmul_k(c, 2, w2, y2, c->xn, n, 0);
	if (L->wq_a) {
		eng_pool_run(m->pool, thr, ds_qnorm_task, &st);
		matmul(c, L->wq_b, c->ds_qa, n, c->q);
	}
	eng_pool_run(m->pool, thr, ds_post_task, &st);
	for (int t0 = 0; t0 < n; t0 += c->ds_tb) {
		ds_work w = { .c = c, .L = L, .il = il, .t0 = t0, .nt = n - t0 < c->ds_tb ? n - t0 : c->ds_tb, .split = 1 };

		if (w.nt < c->n_threads) {   /* few tokens: their heads in groups, so that all threads work */
			w.split = (2 * c->n_threads + w.nt - 1) / w.nt;
			if (w.split > m->n_head)
				w.split = m->n_head;
		}
		atomic_init(&w.next, 0);
		eng_pool_run(m->pool, c->n_threads, ds_qlat_task, &w);
		atomic_store_explicit(&w.next, 0, memory_order_relaxed);
		eng_pool_run(m->pool, c->n_threads, ds_attn_task, &w);
		atomic_store_explicit(&w.next, 0, memory_order_relaxed);
		eng_pool_run(m->pool, c->n_threads, ds_vproj_task, &w);
	}
}

/* ---------------------------------------------------------------- qwen3next: forward */

/* The state and work buffers of a qwen3next context (eng_ctx's q3n_* fields). */
static int q3n_ctx_init(eng_ctx *c)
{
	const struct q3n_hp *h = &c->m->q3n;
	size_t K = (size_t)h->nk * (size_t)h->hk, V = (size_t)h->nv * (size_t)h->hv, C = 2 * K + V;
	size_t B = (size_t)c->n_batch, mix = 2 * K + 2 * V, QG = 2 * (size_t)c->m->n_head * (size_t)c->m->hd_k;

	/* each factor is capped by q3n_hparams (hk, nv <= 1024, the inner size <= 2^20), so these
	 * products fit; xcalloc checks the last ones */
	c->q3n_state_n = (size_t)h->nv * (size_t)h->hk * (size_t)h->hv + C * (size_t)(h->d_conv - 1);
	c->q3n_state = xcalloc((size_t)(h->n_rec ? h->n_rec : 1) * (size_t)c->n_seq, c->q3n_state_n, sizeof(float));
	c->q3n_mix = xcalloc(B, mix > QG ? mix : QG, sizeof(float));
	c->q3n_qkv = xcalloc(B, C, sizeof(float));
	c->q3n_conv = xcalloc(B, C, sizeof(float));
	c->q3n_z = xcalloc(B, V, sizeof(float));
	c->q3n_ba = xcalloc(B, 2 * (size_t)h->nv, sizeof(float));
	c->q3n_o = xcalloc(B, V, sizeof(float));
	c->q3n_sc = xcalloc(B, ENG_DELTA_SC * (size_t)h->nv, sizeof(float));
	return c->q3n_state && c->q3n_mix && c->q3n_qkv && c->q3n_conv && c->q3n_z && c->q3n_ba && c->q3n_o && c->q3n_sc ? 0 : -1;
}

/* The recurrent state of delta-net slot rec, sequence s: [nv][hk][hv], then the convolution's tail. */
static float *q3n_state_at(const eng_ctx *c, int rec, int s)
{
	return c->q3n_state + ((size_t)rec * (size_t)c->n_seq + (size_t)s) * c->q3n_state_n;
}

/* Forgets sequence s's recurrent state in every delta-net layer (the state of a new sequence). */
static void q3n_seq_clear(eng_ctx *c, int s)
{
	for (int r = 0; r < c->m->q3n.n_rec; r++)
		memset(q3n_state_at(c, r, s), 0, c->q3n_state_n * sizeof(float));
}

int eng_kv_copy(eng_ctx *c, int src, int dst)
{
	const eng_model *m;
	size_t n, ks, vs;

	if (!c || src < 0 || src >= c->n_seq || dst < 0 || dst >= c->n_seq)
		return ENG_EINVAL;
	if (src == dst)
		return ENG_OK;
	if (c->gpu)
		return ENG_EUNSUPPORTED;
	m = c->m;
	n = (size_t)c->kv_len[src];
	ks = c->kv_row_k / c->kv_heads * c->kv_elt;   /* bytes per token of one K plane's rows */
	vs = c->kv_elt;                 /* and of one V cache row (one value dimension) */
	for (size_t slot = 0; slot < (size_t)m->n_layer_kv; slot++) {
		/* K: the first n positions of each of [slot][s][kv_heads][n_ctx_pad][hd]; V: the first n positions
		 * of each of [slot][s][kv_row_v][n_ctx_pad]. Positions past n in dst keep what they held,
		 * as after eng_kv_remove: they are read with zero weight only. */
		char *k = c->k, *v = c->v;
		/* a K16 plane's first n positions are its first ceil(n / 16) blocks */
		const size_t nk = m->arch == ARCH_DEEPSEEK2 ? n : (n + 15) / 16 * 16;
		for (size_t h = 0; h < c->kv_heads; h++)
			memcpy(k + ((slot * (size_t)c->n_seq + (size_t)dst) * c->kv_heads + h) * (size_t)c->n_ctx_pad * ks,
			       k + ((slot * (size_t)c->n_seq + (size_t)src) * c->kv_heads + h) * (size_t)c->n_ctx_pad * ks, nk * ks);
		for (size_t d = 0; d < c->kv_row_v; d++)
			memcpy(v + ((slot * (size_t)c->n_seq + (size_t)dst) * c->kv_row_v + d) * (size_t)c->n_ctx_pad * vs,
			       v + ((slot * (size_t)c->n_seq + (size_t)src) * c->kv_row_v + d) * (size_t)c->n_ctx_pad * vs,
			       n * vs);
	}
	for (int r = 0; c->q3n_state && r < m->q3n.n_rec; r++)
		memcpy(q3n_state_at(c, r, dst), q3n_state_at(c, r, src), c->q3n_state_n * sizeof(float));
	c->kv_len[dst] = c->kv_len[src];
	return ENG_OK;
}

static float q3n_sigmoid(float x)
{
	return 1.0f / (1.0f + expf(-x));
}

/* Per token: the projection's parts into the convolution's input [q K, k K, v V] and the
 * output gate z (ssm_in holds each key head's q, k, v, z together: a value head j belongs to
 * key head j / (nv / nk)); the write strength beta = ssm_ba's first part per key head, raw (the
 * delta rule takes its sigmoid), and the decay's log g = softplus(alpha + dt_bias) * A. */
static void q3n_split_task(void *arg, int ith, int nth)
{
	const step *st = arg;
	eng_ctx *c = st->c;
	const struct q3n_hp *h = &c->m->q3n;
	const layer *L = st->L;
	size_t hk = (size_t)h->hk, K = (size_t)h->nk * hk, V = (size_t)h->nv * (size_t)h->hv;
	size_t G = (size_t)(h->nv / h->nk), gv = G * (size_t)h->hv, blk = 2 * hk + 2 * gv;
	const float *dt = L->ssm_dt->data, *A = L->ssm_a->data;
	float ab[2048];              /* 2 nv <= 2048 (q3n_hparams) */
	long t0, t1;

	eng_split(st->n, ith, nth, 1, &t0, &t1);
	for (long t = t0; t < t1; t++) {
		float *qkv = c->q3n_qkv + (size_t)t * (2 * K + V), *z = c->q3n_z + (size_t)t * V;
		float *ba = c->q3n_ba + (size_t)t * 2 * (size_t)h->nv;

		if (L->ssm_in) {
			const float *mx = c->q3n_mix + (size_t)t * (2 * K + 2 * V);

			for (size_t g = 0; g < (size_t)h->nk; g++) {
				const float *b = mx + g * blk;

				memcpy(qkv + g * hk, b, hk * sizeof(float));
				memcpy(qkv + K + g * hk, b + hk, hk * sizeof(float));
				memcpy(qkv + 2 * K + g * gv, b + 2 * hk, gv * sizeof(float));
				memcpy(z + g * gv, b + 2 * hk + gv, gv * sizeof(float));
			}
		}
		/* per key head [beta G, alpha G] -> beta [nv], g [nv] */
		memcpy(ab, ba, 2 * (size_t)h->nv * sizeof(float));
		for (int j = 0; j < h->nv; j++) {
			size_t g = (size_t)j / G, i = (size_t)j % G;
			float al = ab[g * 2 * G + G + i] + dt[j];
			float sp = al > 20.0f ? al : logf(1.0f + expf(al));

			ba[j] = ab[g * 2 * G + i];
			ba[h->nv + j] = sp * A[j];
		}
	}
}

/* The causal convolution over the batch's tokens for channels [ch0, ch1): each output is the
 * channel's last d_conv inputs (its sequence's tail, oldest first, then the token's own) dot
 * the taps, summed in float in that order, then SiLU; the tail moves on by the token. A
 * sequence's tokens come in position order within the batch, so each sees its predecessors. */
static void q3n_conv_task(void *arg, int ith, int nth)
{
	const step *st = arg;
	eng_ctx *c = st->c;
	const struct q3n_hp *h = &c->m->q3n;
	size_t C = 2 * (size_t)h->nk * (size_t)h->hk + (size_t)h->nv * (size_t)h->hv, D = (size_t)h->d_conv - 1;
	size_t off = (size_t)h->nv * (size_t)h->hk * (size_t)h->hv;
	long ch0, ch1;

	eng_split((long)C, ith, nth, 16, &ch0, &ch1);
	for (int t = 0; t < st->n; t++) {
		float *tail0 = q3n_state_at(c, st->L->rec, c->tok_seq[t]) + off;
		const float *x = c->q3n_qkv + (size_t)t * C;
		float *y = c->q3n_conv + (size_t)t * C;

		for (long ch = ch0; ch < ch1; ch++) {
			const float *w = (const float *)st->L->ssm_conv->data + (size_t)ch * (D + 1);
			float *tail = tail0 + (size_t)ch * D, sum = 0.0f;

			for (size_t i = 0; i < D; i++)
				sum += tail[i] * w[i];
			sum += x[ch] * w[D];
			for (size_t i = 0; i + 1 < D; i++)
				tail[i] = tail[i + 1];
			tail[D - 1] = x[ch];
			y[ch] = sum / (1.0f + expf(-sum));
		}
	}
}

/* Per token: each key head's q and k divided by their L2 norm (the sum of squares in double,
 * as ggml's l2_norm, at least norm_eps). */
static void q3n_l2_task(void *arg, int ith, int nth)
{
	const step *st = arg;
	eng_ctx *c = st->c;
	const struct q3n_hp *h = &c->m->q3n;
	size_t hk = (size_t)h->hk, C = 2 * (size_t)h->nk * hk + (size_t)h->nv * (size_t)h->hv;
	long t0, t1;

	eng_split(st->n, ith, nth, 1, &t0, &t1);
	for (long t = t0; t < t1; t++)
		for (size_t r = 0; r < 2 * (size_t)h->nk; r++) {
			float *x = c->q3n_conv + (size_t)t * C + r * hk;
			double sum = 0;
			float sc;

			for (size_t i = 0; i < hk; i++)
				sum += (double)(x[i] * x[i]);
			sc = 1.0f / fmaxf(sqrtf((float)sum), c->m->norm_eps);
			for (size_t i = 0; i < hk; i++)
				x[i] *= sc;
		}
}

/* Per token and value head: the numbers of the delta rule's step that do not depend on the state
 * (eng_delta_scalars: the write strength's sigmoid, the decay, q's and k's inverse norms and
 * their product; the last three once per key head) into c->q3n_sc. */
static void q3n_scalars_task(void *arg, int ith, int nth)
{
	const step *st = arg;
	eng_ctx *c = st->c;
	const struct q3n_hp *h = &c->m->q3n;
	size_t hk = (size_t)h->hk, K = (size_t)h->nk * hk, C = 2 * K + (size_t)h->nv * (size_t)h->hv;
	int G = h->nv / h->nk;
	long t0, t1;

	eng_split(st->n, ith, nth, 1, &t0, &t1);
	for (long t = t0; t < t1; t++) {
		const float *x = c->q3n_conv + (size_t)t * C, *ba = c->q3n_ba + (size_t)t * 2 * (size_t)h->nv;
		float *sc = c->q3n_sc + (size_t)t * ENG_DELTA_SC * (size_t)h->nv;

		for (int g = 0; g < h->nk; g++)
			eng_delta_scalars(x + (size_t)g * hk, x + K + (size_t)g * hk, h->hk, ba + g * G, ba + h->nv + g * G, G,
				sc + (size_t)g * (size_t)G * ENG_DELTA_SC);
	}
}

/* Work items of the delta rule: value heads, each over the batch's tokens in order (a head's
 * state is written by one thread alone; eng_delta_rows keeps a block of its rows in the
 * first-level cache from token to token). */
typedef struct q3n_work {
	const step *st;
	atomic_long next;
} q3n_work;

static void q3n_delta_task(void *arg, int ith, int nth)
{
	q3n_work *w = arg;
	eng_ctx *c = w->st->c;
	const struct q3n_hp *h = &c->m->q3n;
	size_t hk = (size_t)h->hk, K = (size_t)h->nk * hk, V = (size_t)h->nv * (size_t)h->hv, C = 2 * K + V;
	int G = h->nv / h->nk, n = w->st->n;

	(void)ith;
	(void)nth;
	for (;;) {
		long j = atomic_fetch_add_explicit(&w->next, 1, memory_order_relaxed);

		if (j >= h->nv)
			break;
		/* runs of consecutive tokens of one sequence share one call */
		for (int t = 0, e; t < n; t = e) {
			const float *x = c->q3n_conv + (size_t)t * C;
			float *S = q3n_state_at(c, w->st->L->rec, c->tok_seq[t]) + (size_t)j * hk * hk;

			for (e = t + 1; e < n && c->tok_seq[e] == c->tok_seq[t]; e++)
				;
			eng_delta_rows(S, h->hk, 0, h->hk, e - t, x + (size_t)(j / G) * hk, x + K + (size_t)(j / G) * hk, C,
				x + 2 * K + (size_t)j * hk, c->q3n_o + (size_t)t * V + (size_t)j * hk, V,
				c->q3n_sc + ((size_t)t * (size_t)h->nv + (size_t)j) * ENG_DELTA_SC, ENG_DELTA_SC * (size_t)h->nv);
		}
	}
}

/* Per token and value head: the output's RMSNorm (ssm_norm), times SiLU of the gate z, into z. */
static void q3n_gated_norm_task(void *arg, int ith, int nth)
{
	const step *st = arg;
	eng_ctx *c = st->c;
	const struct q3n_hp *h = &c->m->q3n;
	size_t hv = (size_t)h->hv, V = (size_t)h->nv * hv;
	long t0, t1;

	eng_split(st->n, ith, nth, 1, &t0, &t1);
	for (long t = t0; t < t1; t++)
		for (size_t j = 0; j < (size_t)h->nv; j++) {
			float *o = c->q3n_o + (size_t)t * V + j * hv;

			rmsnorm(o, o, st->L->ssm_norm->data, (int64_t)hv, c->m->norm_eps);
			eng_silu_mul(c->q3n_z + (size_t)t * V + j * hv, o, (int64_t)hv);
		}
}

/* A gated delta-net layer for the n tokens in c->xn, into c->xn: the projections (q/k/v/z and
 * beta/alpha in one pass over the input), the causal convolution with SiLU, the L2 norms, the
 * delta rule per value head over the tokens in order (each token on its own sequence's state),
 * the gated norm, and the output projection. Every step is per token, per channel or per head,
 * in the same order whatever the batch holds, so a token's result does not depend on the
 * batch. */
static void q3n_delta_layer(eng_ctx *c, const layer *L, int il, int n)
{
	const eng_model *m = c->m;
	step st = { .c = c, .n = n, .il = il, .L = L };
	int thr = n > 1 ? c->n_threads : 1;
	q3n_work w = { .st = &st };

	if (L->ssm_in) {
		tref w2[2] = { L->ssm_in, L->ssm_ba };
		float *y2[2] = { c->q3n_mix, c->q3n_ba };

		matmul_k(c, 2, w2, y2, c->xn, n, 0);
	} else {
		tref w3[3] = { L->ssm_qkv, L->ssm_gate, L->ssm_ba };
		float *y3[3] = { c->q3n_qkv, c->q3n_z, c->q3n_ba };

		matmul_k(c, 3, w3, y3, c->xn, n, 0);
	}
	eng_pool_run(m->pool, thr, q3n_split_task, &st);
	eng_pool_run(m->pool, c->n_threads, q3n_conv_task, &st);
	eng_pool_run(m->pool, thr, q3n_l2_task, &st);
	eng_pool_run(m->pool, thr, q3n_scalars_task, &st);
	atomic_init(&w.next, 0);
	eng_pool_run(m->pool, c->n_threads, q3n_delta_task, &w);
	eng_pool_run(m->pool, thr, q3n_gated_norm_task, &st);
	matmul(c, L->ssm_out, c->q3n_z, n, c->xn);
}

/* Per token and query head of attn_q's output (each head's query, then its gate): with st->k 0,
 * the query into c->q; with st->k 1, the attention's output in c->att times the gate's sigmoid. */
static void q3n_heads_task(void *arg, int ith, int nth)
{
	const step *st = arg;
	eng_ctx *c = st->c;
	size_t hd = (size_t)c->m->hd_k, H = (size_t)c->m->n_head;
	long t0, t1;

	eng_split(st->n, ith, nth, 1, &t0, &t1);
	for (long t = t0; t < t1; t++)
		for (size_t h = 0; h < H; h++) {
			const float *qg = c->q3n_mix + (size_t)t * 2 * H * hd + 2 * h * hd;
			float *a = c->att + (size_t)t * H * hd + h * hd;

			if (!st->k)
				memcpy(c->q + (size_t)t * H * hd + h * hd, qg, hd * sizeof(float));
			else
				for (size_t d = 0; d < hd; d++)
					a[d] *= q3n_sigmoid(qg[hd + d]);
		}
}

/* A qwen3next layer's mixing block for the n tokens in c->xn, into c->xn: a delta-net layer, or
 * gated attention: the query with its gate, K and V, the per-head norms and RoPE (of the first
 * n_rot dimensions), attention as for the other architectures, the output times the gate's
 * sigmoid, then attn_output. */
static void q3n_layer(eng_ctx *c, const layer *L, int il, int n)
{
	const eng_model *m = c->m;
	step st = { .c = c, .n = n, .il = il, .L = L };
	int thr = n > 1 ? c->n_threads : 1;
	tref w3[3] = { L->wq, L->wk, L->wv };
	float *y3[3] = { c->q3n_mix, c->kk, c->vv };
	attn_work aw = { .c = c, .il = il, .n = n };

	if (L->rec >= 0) {
		q3n_delta_layer(c, L, il, n);
		return;
	}
	matmul_k(c, 3, w3, y3, c->xn, n, 0);
	eng_pool_run(m->pool, thr, q3n_heads_task, &st);
	eng_pool_run(m->pool, thr, qkv_post_task, &st);
	atomic_init(&aw.next, 0);
	eng_pool_run(m->pool, c->n_threads, attend_task, &aw);
	st.k = 1;
	eng_pool_run(m->pool, thr, q3n_heads_task, &st);
	matmul(c, L->wo, c->att, n, c->xn);
}

int eng_decode(eng_ctx *c, const eng_batch *b)
{
	eng_model *m = c->m;
	int n = b ? b->n : 0, n_out = 0;
	int next[4096];
	int64_t E = m->n_embd;
	size_t QD = (size_t)m->n_head * (size_t)m->hd_k, KD = (size_t)m->n_head_kv * (size_t)m->hd_k;
	size_t VD = (size_t)m->n_head_kv * (size_t)m->hd_v, AD = (size_t)m->n_head * (size_t)m->hd_v;
	size_t F = (size_t)m->n_ff;
	int il0 = 0;                 /* the first layer run on the CPU */

	if (n <= 0 || n > c->n_batch || !b->token || c->n_seq > (int)(sizeof next / sizeof next[0]))
		return ENG_EINVAL;
	/* Validate everything first, so a refused batch changes nothing. */
	for (int s = 0; s < c->n_seq; s++)
		next[s] = c->kv_len[s];
	for (int i = 0; i < n; i++) {
		int s = b->seq ? b->seq[i] : 0;
		int want = b->want_logits ? b->want_logits[i] != 0 : i == n - 1;

		if (s < 0 || s >= c->n_seq || b->token[i] < 0 || b->token[i] >= m->n_vocab)
			return ENG_EINVAL;
		if (b->pos && b->pos[i] != next[s])
			return ENG_EINVAL;   /* positions must continue the sequence */
		if (next[s] >= c->n_ctx)
			return ENG_ECTX_FULL;
		c->tok_seq[i] = s;
		c->tok_pos[i] = next[s]++;
		c->out_index[i] = want ? n_out++ : -1;
		if (n_out > c->n_out_max)
			return ENG_EINVAL;
	}
	for (int i = n; i < c->n_batch; i++)
		c->out_index[i] = -1;
	if (c->gpu) {
		/* All on the GPU; or its layers there, their hidden state into x for the CPU's. */
		int all = m->n_gpu == m->n_layer;

		if (m->cuda->decode(c->gpu, n, b->token, c->tok_seq, c->tok_pos, c->out_index, n_out, c->logits,
				all ? NULL : c->x) != 0)
			return ENG_EIO;
		if (all) {
			for (int s = 0; s < c->n_seq; s++)
				c->kv_len[s] = next[s];
			return 0;
		}
		il0 = m->n_gpu;
	}

	for (int t = 0; t < n && il0 == 0; t++)
		eng_dequant_row(m->tok_embd->type,
			(const char *)m->tok_embd->data + (size_t)b->token[t] * eng_row_size(m->tok_embd->type, E),
			c->x + (size_t)t * (size_t)E, E);

	{
		step st = { .c = c, .n = n, .x = m->layers[il0].attn_norm->data };

		eng_pool_run(m->pool, n > 1 ? c->n_threads : 1, residual_norm_task, &st);
	}
	attn_blocks(c, n);
	for (int il = il0; il < m->n_layer; il++) {
		const layer *L = &m->layers[il];
		step st = { .c = c, .n = n, .il = il, .L = L };

		if (m->arch == ARCH_QWEN3NEXT) {
			q3n_layer(c, L, il, n);
		} else {
			if (m->arch == ARCH_DEEPSEEK2)
				ds_attention(c, L, il, n);
			else
				gqa_attention(c, &st);
			matmul(c, L->wo, c->att, n, c->xn);
			if (L->bo) add_bias(L->bo, c->xn, n, E);
		}
		st.y = c->xn;
		st.x = L->ffn_norm->data;
		eng_pool_run(m->pool, n > 1 ? c->n_threads : 1, residual_norm_task, &st);

		if (L->ffn_gate_inp) {
			moe_ffn(c, L, n);
		} else {
			tref w2[2] = { L->ffn_gate, L->ffn_up };
			float *y2[2] = { c->gate, c->up };

			matmul_k(c, 2, w2, y2, c->xn, n, 1);
			matmul(c, L->ffn_down, c->gate, n, c->xn);
		}
		/* residual, then the next layer's attention norm (none after the last layer) */
		st.y = c->xn;
		st.x = il + 1 < m->n_layer ? m->layers[il + 1].attn_norm->data : NULL;
		eng_pool_run(m->pool, n > 1 ? c->n_threads : 1, residual_norm_task, &st);
	}
	(void)QD; (void)KD; (void)VD; (void)AD; (void)F;

	/* Only the rows that want logits go through the output head, packed in order. */
	{
		int k = 0;

		for (int t = 0; t < n; t++) {
			if (c->out_index[t] < 0)
				continue;
			rmsnorm(c->xn + (size_t)k * (size_t)E, c->x + (size_t)t * (size_t)E, m->output_norm->data, E, m->norm_eps);
			k++;
		}
		if (k)
			matmul(c, m->output, c->xn, k, c->logits);
	}
	for (int s = 0; s < c->n_seq; s++)
		c->kv_len[s] = next[s];
	return 0;
}
