/* engine/quantize.c — model file quantization: the per-tensor type rule of llama-quantize's
 * file types (Q4_K_M and friends), and eng_quantize_file, which reads a GGUF, quantizes its
 * weights on a thread pool with the reference quantizers (quant.c) and writes a new GGUF
 * atomically. The rule's facts come from llama.cpp's llama-quant.cpp (c392e509, 2025-02-20);
 * the code is this project's. */
#include <stdio.h>
#include <stdlib.h>
#include <regex.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "engine/engine.h"
#include "engine/engine_impl.h"
#include "engine/gguf_impl.h"
#include "engine/quant_impl.h"
#include "engine/threads_impl.h"

/* llama_ftype numbers (enum llama_ftype; general.file_type). */
enum {
	FT_F32 = 0, FT_F16 = 1, FT_Q4_0 = 2, FT_Q4_1 = 3, FT_Q8_0 = 7, FT_Q5_0 = 8, FT_Q5_1 = 9,
	FT_Q2_K = 10, FT_Q3_K_S = 11, FT_Q3_K_M = 12, FT_Q3_K_L = 13, FT_Q4_K_S = 14,
	FT_Q4_K_M = 15, FT_Q5_K_S = 16, FT_Q5_K_M = 17, FT_Q6_K = 18, FT_IQ2_XXS = 19,
	FT_IQ2_XS = 20, FT_Q2_K_S = 21, FT_IQ3_XS = 22, FT_IQ3_XXS = 23, FT_IQ1_S = 24,
	FT_IQ4_NL = 25, FT_IQ3_S = 26, FT_IQ3_M = 27, FT_IQ2_S = 28, FT_IQ2_M = 29, FT_IQ4_XS = 30,
	FT_IQ1_M = 31, FT_BF16 = 32, FT_MXFP4_MOE = 38
};

static const struct {
	const char *name;
	int ftype, base;
} ftypes[] = {
	{ "Q8_0", FT_Q8_0, ENG_T_Q8_0 }, { "Q4_0", FT_Q4_0, ENG_T_Q4_0 },
	{ "Q4_1", FT_Q4_1, ENG_T_Q4_1 }, { "Q5_0", FT_Q5_0, ENG_T_Q5_0 },
	{ "Q5_1", FT_Q5_1, ENG_T_Q5_1 }, { "Q2_K", FT_Q2_K, ENG_T_Q2_K },
	{ "Q2_K_S", FT_Q2_K_S, ENG_T_Q2_K },
	{ "Q3_K_S", FT_Q3_K_S, ENG_T_Q3_K }, { "Q3_K_M", FT_Q3_K_M, ENG_T_Q3_K },
	{ "Q3_K_L", FT_Q3_K_L, ENG_T_Q3_K }, { "Q4_K_S", FT_Q4_K_S, ENG_T_Q4_K },
	{ "Q4_K_M", FT_Q4_K_M, ENG_T_Q4_K }, { "Q5_K_S", FT_Q5_K_S, ENG_T_Q5_K },
	{ "Q5_K_M", FT_Q5_K_M, ENG_T_Q5_K }, { "Q6_K", FT_Q6_K, ENG_T_Q6_K },
	{ "IQ1_S", FT_IQ1_S, ENG_T_IQ1_S }, { "IQ1_M", FT_IQ1_M, ENG_T_IQ1_M },
	{ "IQ2_XXS", FT_IQ2_XXS, ENG_T_IQ2_XXS }, { "IQ2_XS", FT_IQ2_XS, ENG_T_IQ2_XS },
	{ "IQ2_S", FT_IQ2_S, ENG_T_IQ2_XS }, { "IQ2_M", FT_IQ2_M, ENG_T_IQ2_S },
	{ "IQ3_XXS", FT_IQ3_XXS, ENG_T_IQ3_XXS }, { "IQ3_XS", FT_IQ3_XS, ENG_T_IQ3_S },
	{ "IQ3_S", FT_IQ3_S, ENG_T_IQ3_S }, { "IQ3_M", FT_IQ3_M, ENG_T_IQ3_S },
	{ "IQ4_NL", FT_IQ4_NL, ENG_T_IQ4_NL }, { "IQ4_XS", FT_IQ4_XS, ENG_T_IQ4_XS },
	{ "F16", FT_F16, ENG_T_F16 }, { "BF16", FT_BF16, ENG_T_BF16 }, { "F32", FT_F32, ENG_T_F32 },
	/* llama.cpp's later MXFP4_MOE (as gpt-oss files are published): experts MXFP4, the rest Q8_0 */
	{ "MXFP4_MOE", FT_MXFP4_MOE, ENG_T_MXFP4 },
	/* llama-quantize's short names */
	{ "Q3_K", FT_Q3_K_M, ENG_T_Q3_K }, { "Q4_K", FT_Q4_K_M, ENG_T_Q4_K },
	{ "Q5_K", FT_Q5_K_M, ENG_T_Q5_K },
};

int eng_ftype_from_name(const char *name, int *base_type)
{
	for (size_t i = 0; name && i < sizeof ftypes / sizeof ftypes[0]; i++)
		if (strcasecmp(name, ftypes[i].name) == 0) {
			if (base_type)
				*base_type = ftypes[i].base;
			return ftypes[i].ftype;
		}
	return -1;
}

const char *eng_ftype_name(int ftype)
{
	for (size_t i = 0; i < sizeof ftypes / sizeof ftypes[0]; i++)
		if (ftypes[i].ftype == ftype)
			return ftypes[i].name;
	return NULL;
}

const char *eng_ftype_names(void)
{
	return "Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q2_K_S, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, "
		"Q5_K_S, Q5_K_M, Q6_K, IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ2_M, IQ3_XXS, IQ3_XS, "
		"IQ3_S, IQ3_M, IQ4_NL, IQ4_XS, MXFP4_MOE, F16, BF16, F32";
}

int eng_ftype_needs_imatrix(int ftype)
{
	return ftype == FT_IQ1_S || ftype == FT_IQ1_M || ftype == FT_IQ2_XXS || ftype == FT_IQ2_XS ||
		ftype == FT_IQ2_S || ftype == FT_Q2_K_S;
}

static int has(const char *s, const char *part)
{
	return strstr(s, part) != NULL;
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);
	return n >= m && memcmp(s + n - m, tail, m) == 0;
}

int eng_qrule_quantizable(const char *name, int n_dims)
{
	static const char *const never[] = {
		"_norm.weight", "ffn_gate_inp.weight", "ssm_conv1d.weight", "ssm_x.weight",
		"ssm_dt.weight", "time_mix_first.weight", "time_mix_w1.weight", "time_mix_w2.weight",
		"time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
		"attn_rel_b.weight",
	};
	if (n_dims < 2 || !ends_with(name, "weight"))
		return 0;
	for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
		if (has(name, never[i]))
			return 0;
	return strcmp(name, "position_embd.weight") != 0 && strcmp(name, "token_types.weight") != 0;
}

/* llama.cpp's "more bits" layers: the first and last eighth and every third one between. */
static int more_bits(int il, int n)
{
	return il < n / 8 || il >= 7 * n / 8 || (il - n / 8) % 3 == 2;
}

/* The file types whose weights are mostly 1- and 2-bit IQ: their own branch of the rule. */
static int iq_low(int ft)
{
	return ft == FT_IQ2_XXS || ft == FT_IQ2_XS || ft == FT_IQ1_S || ft == FT_IQ2_S || ft == FT_IQ2_M ||
		ft == FT_IQ1_M;
}

static int is_one_of(int ft, const int *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == ft)
			return 1;
	return 0;
}

static int rule_attn_v(const eng_qrule *r, int il, int t)
{
	const int ft = r->ftype, nv = r->n_attn_v > 0 ? r->n_attn_v : (r->n_layer > 0 ? r->n_layer : 1);

	if (ft == FT_Q2_K)
		t = r->n_gqa >= 4 ? ENG_T_Q4_K : ENG_T_Q3_K;
	else if (ft == FT_Q2_K_S && r->n_gqa >= 4)
		t = ENG_T_Q4_K;
	else if (ft == FT_IQ3_XXS)
		t = r->n_gqa >= 4 ? ENG_T_Q4_K : !r->has_imatrix ? ENG_T_IQ3_S : ENG_T_IQ3_XXS;
	else if ((ft == FT_IQ3_XS || ft == FT_IQ3_S) && r->n_gqa >= 4)
		t = ENG_T_Q4_K;
	else if (ft == FT_IQ3_M)
		t = ENG_T_Q4_K;
	else if (ft == FT_Q3_K_M)
		t = il < 2 ? ENG_T_Q5_K : ENG_T_Q4_K;
	else if (ft == FT_Q3_K_L)
		t = ENG_T_Q5_K;
	else if ((ft == FT_IQ4_NL || ft == FT_IQ4_XS) && r->n_gqa >= 4)
		t = ENG_T_Q5_K;
	else if ((ft == FT_Q4_K_M || ft == FT_Q5_K_M) && more_bits(il, nv))
		t = ENG_T_Q6_K;
	else if (ft == FT_Q4_K_S && il < 4)
		t = ENG_T_Q5_K;
	if (r->is_70b && (t == ENG_T_Q3_K || t == ENG_T_Q4_K))
		t = ENG_T_Q5_K;   /* 8 query heads share each V row: cheap to keep finer */
	if (r->n_expert == 8)
		t = ENG_T_Q8_0;
	return t;
}

static int rule_ffn_down(const eng_qrule *r, int il, int t)
{
	const int ft = r->ftype, n = r->n_layer > 0 ? r->n_layer : 1;

	if (ft == FT_Q2_K)
		t = ENG_T_Q3_K;
	else if (ft == FT_Q2_K_S) {
		if (il < n / 8)
			t = ENG_T_Q4_K;
	} else if (ft == FT_IQ3_XXS && !r->has_imatrix)
		t = il < n / 8 ? ENG_T_Q4_K : ENG_T_Q3_K;
	else if (ft == FT_Q3_K_M)
		t = il < n / 16 ? ENG_T_Q5_K : !r->is_falcon || more_bits(il, n) ? ENG_T_Q4_K : ENG_T_Q3_K;
	else if (ft == FT_IQ3_M && (il < n / 8 || (r->n_expert == 8 && more_bits(il, n))))
		t = ENG_T_Q4_K;
	else if (ft == FT_Q3_K_L)
		t = r->is_falcon ? ENG_T_Q4_K : ENG_T_Q5_K;
	else if (ft == FT_Q4_K_M) {
		if (r->is_falcon)
			t = il < n / 16 ? ENG_T_Q6_K : more_bits(il, n) ? ENG_T_Q5_K : ENG_T_Q4_K;
		else if (more_bits(il, n))
			t = ENG_T_Q6_K;
	} else if (il < n / 8 && (ft == FT_IQ4_NL || ft == FT_IQ4_XS) && !r->has_imatrix)
		t = ENG_T_Q5_K;
	else if (ft == FT_Q5_K_M && more_bits(il, n))
		t = ENG_T_Q6_K;
	else if (ft == FT_Q4_K_S && !r->is_falcon && il < n / 8)
		t = ENG_T_Q5_K;
	else if ((ft == FT_Q4_0 || ft == FT_Q5_0) && r->has_imatrix && il < n / 8)
		t = ft == FT_Q4_0 ? ENG_T_Q4_1 : ENG_T_Q5_1;   /* llama.cpp's guard for the first layers */
	return t;
}

static int rule_attn_output(const eng_qrule *r, int t)
{
	static const int moe8[] = { FT_Q2_K, FT_IQ3_XS, FT_IQ3_XXS, FT_Q3_K_S, FT_Q3_K_M, FT_IQ4_NL,
		FT_Q4_K_S, FT_Q4_K_M, FT_IQ3_S, FT_IQ3_M, FT_IQ4_XS };
	const int ft = r->ftype;

	if (r->is_falcon)
		return ft == FT_Q3_K_L ? ENG_T_Q4_K : t;
	if (r->n_expert == 8)
		return is_one_of(ft, moe8, sizeof moe8 / sizeof moe8[0]) ? ENG_T_Q5_K : t;
	return ft == FT_Q2_K ? ENG_T_Q3_K : ft == FT_IQ3_XXS ? ENG_T_IQ3_S : ft == FT_Q3_K_M ? ENG_T_Q4_K :
		ft == FT_Q3_K_L ? ENG_T_Q5_K : ft == FT_IQ3_M ? ENG_T_Q4_K : t;
}

/* The 1- and 2-bit IQ file types' branch: a few tensors at 2-4 bits, the rest at the base. */
static int rule_iq_low(const eng_qrule *r, const char *name, int il, int t)
{
	const int ft = r->ftype, s_or_m = ft == FT_IQ2_S || ft == FT_IQ2_M;

	if (has(name, "attn_v.weight"))
		return r->n_gqa >= 4 || r->n_expert >= 4 ? ENG_T_Q4_K : s_or_m ? ENG_T_IQ3_S : ENG_T_Q2_K;
	if (r->n_expert == 8 && has(name, "attn_k.weight"))
		return ENG_T_Q4_K;
	if (has(name, "ffn_down")) {
		/* llama.cpp counts ffn_down tensors here, not layers: with routed and shared experts
		 * (two per layer) only the first sixteenth of the layers gets the bump */
		int i = r->n_expert > 1 ? r->i_ffn_down : il;

		return i < (r->n_layer > 0 ? r->n_layer : 1) / 8 ? (s_or_m ? ENG_T_IQ3_S : ENG_T_Q2_K) : t;
	}
	if (has(name, "attn_output.weight")) {
		if (r->n_expert == 8)
			return ENG_T_Q5_K;
		return ft == FT_IQ1_S || ft == FT_IQ1_M ? ENG_T_IQ2_XXS : s_or_m ? ENG_T_IQ3_S : t;
	}
	return t;
}

/* The rule before the row-length check. */
static int rule_type(const eng_qrule *r, const char *name, int il, int64_t ne0)
{
	const int ft = r->ftype, n = r->n_layer > 0 ? r->n_layer : 1;
	int t = -1;

	for (size_t i = 0; i < sizeof ftypes / sizeof ftypes[0]; i++)
		if (ftypes[i].ftype == ft) {
			t = ftypes[i].base;
			break;
		}
	if (t < 0 || t == ENG_T_F32 || t == ENG_T_F16 || t == ENG_T_BF16)
		return t;   /* plain types: no mixing */

	if (strcmp(name, "output.weight") == 0 || (!r->has_output && strcmp(name, "token_embd.weight") == 0)) {
		if (r->is_falcon || ne0 % eng_type_get(t)->blck != 0)
			return ENG_T_Q8_0;
		if (iq_low(ft) || ft == FT_IQ3_XXS)
			return ENG_T_Q5_K;
		return t == ENG_T_Q8_0 ? t : ENG_T_Q6_K;
	}
	/* MXFP4_MOE: the expert tensors (3-D, "*_exps") in MXFP4, every other weight (the token
	 * embeddings too) in Q8_0; the output tensor took Q6_K above, as in llama-quantize */
	if (ft == FT_MXFP4_MOE)
		return has(name, "_exps.") ? ENG_T_MXFP4 : ENG_T_Q8_0;
	if (strcmp(name, "token_embd.weight") == 0) {
		if (ft == FT_IQ2_XXS || ft == FT_IQ2_XS || ft == FT_IQ1_S || ft == FT_IQ1_M)
			return ENG_T_Q2_K;
		if (ft == FT_IQ2_S || ft == FT_IQ2_M || ft == FT_IQ3_XXS)
			return ENG_T_IQ3_S;
		return t;
	}
	if (iq_low(ft))
		return rule_iq_low(r, name, il, t);
	if (has(name, "attn_v.weight"))
		return rule_attn_v(r, il, t);
	if (has(name, "attn_k.weight"))
		return r->n_expert == 8 ? ENG_T_Q8_0 : ft == FT_IQ3_XS ? ENG_T_IQ3_XXS : ft == FT_IQ3_XXS ? ENG_T_IQ2_S : t;
	if (has(name, "attn_q.weight"))
		return ft == FT_IQ3_XS ? ENG_T_IQ3_XXS : ft == FT_IQ3_XXS ? ENG_T_IQ2_S : t;
	if (has(name, "ffn_down"))
		return rule_ffn_down(r, il, t);
	if (has(name, "attn_output.weight"))
		return rule_attn_output(r, t);
	if (has(name, "attn_qkv.weight"))
		return ft == FT_Q3_K_M || ft == FT_Q3_K_L || ft == FT_IQ3_M ? ENG_T_Q4_K : ft == FT_Q4_K_M ? ENG_T_Q5_K :
			ft == FT_Q5_K_M ? ENG_T_Q6_K : t;
	if ((has(name, "ffn_gate") || has(name, "ffn_up")) && ft == FT_IQ3_XS && il >= n / 8 && il < 7 * n / 8)
		return ENG_T_IQ3_XXS;
	return t;
}

int eng_qrule_type(const eng_qrule *r, const char *name, int il, int64_t ne0, int *fallback)
{
	int t = rule_type(r, name, il, ne0);

	if (fallback)
		*fallback = 0;
	if (t < 0 || ne0 % eng_type_get(t)->blck == 0)
		return t;
	if (fallback)
		*fallback = 1;
	switch (t) {
	case ENG_T_IQ1_S: case ENG_T_IQ1_M: case ENG_T_IQ2_XXS: case ENG_T_IQ2_XS: case ENG_T_IQ2_S:
	case ENG_T_IQ3_XXS: case ENG_T_IQ3_S: case ENG_T_IQ4_XS:
	case ENG_T_Q2_K: case ENG_T_Q3_K: t = ENG_T_IQ4_NL; break;
	case ENG_T_Q4_K: t = ENG_T_Q5_0; break;
	case ENG_T_Q5_K: t = ENG_T_Q5_1; break;
	case ENG_T_Q6_K: t = ENG_T_Q8_0; break;
	default: t = ENG_T_F16; break;   /* llama-quantize stops here; F16 always fits */
	}
	return ne0 % eng_type_get(t)->blck == 0 ? t : ENG_T_F16;
}

/* ---------------------------------------------------------------- the file */

eng_quant_params eng_quant_params_default(void)
{
	eng_quant_params p;

	memset(&p, 0, sizeof p);
	return p;
}

/* The layer N of "blk.N.…", or -1. */
static int layer_of(const char *name)
{
	int il = -1, n = 0;

	if (sscanf(name, "blk.%d.%n", &il, &n) == 1 && n > 0)
		return il;
	return -1;
}

/* llama.cpp writes tensors sorted by layer (non-block tensors first), then by name. */
typedef struct tkey {
	int layer;
	const char *name;
	int64_t index;
} tkey;

static int cmp_tensor(const void *a, const void *b)
{
	const tkey *x = a, *y = b;

	return x->layer != y->layer ? (x->layer < y->layer ? -1 : 1) : strcmp(x->name, y->name);
}

/* A u32 from `key`, or element 0 when it is a per-layer array; `dflt` when absent. */
static int64_t meta_int(const eng_gguf *g, const char *key, int64_t dflt)
{
	int64_t v;
	uint64_t n;
	int et;

	if (eng_gguf_get_i64(g, key, &v) == 0)
		return v;
	if (eng_gguf_get_arr(g, key, &et, &n) == 0 && n > 0 && eng_gguf_arr_i64(g, key, 0, &v) == 0)
		return v;
	return dflt;
}

/* What the rule needs from a model file: hyperparameters and a few tensor counts. */
static void qrule_init(eng_qrule *r, const eng_gguf *g, int ftype)
{
	const char *arch = NULL;
	char key[128];
	int64_t n_head, n_head_kv, nt = eng_gguf_n_tensors(g);

	memset(r, 0, sizeof *r);
	r->ftype = ftype;
	if (eng_gguf_get_str(g, "general.architecture", &arch, NULL) != 0)
		arch = "";
	snprintf(key, sizeof key, "%s.block_count", arch);
	r->n_layer = (int)meta_int(g, key, 0);
	snprintf(key, sizeof key, "%s.attention.head_count", arch);
	n_head = meta_int(g, key, 0);
	snprintf(key, sizeof key, "%s.attention.head_count_kv", arch);
	n_head_kv = meta_int(g, key, n_head);
	r->n_gqa = n_head_kv > 0 ? (int)(n_head / n_head_kv) : 0;
	snprintf(key, sizeof key, "%s.expert_count", arch);
	r->n_expert = (int)meta_int(g, key, 0);
	r->is_falcon = strcmp(arch, "falcon") == 0;
	r->is_70b = r->n_layer == 80 && ((strcmp(arch, "llama") == 0 && n_head != n_head_kv) ||
		strcmp(arch, "qwen2") == 0);
	for (int64_t i = 0; i < nt; i++) {
		const char *nm = eng_gguf_tensor_at(g, i)->name;
		if (has(nm, "attn_v.weight") || has(nm, "attn_qkv.weight") || has(nm, "attn_kv_b.weight"))
			r->n_attn_v++;
		else if (strcmp(nm, "output.weight") == 0)
			r->has_output = 1;
	}
}

/* One tensor's conversion, shared by the threads: rows [0, rows) of n columns; with an
 * importance matrix, [rows / rows_per_mat][n] weights (one row of n per expert matrix). */
typedef struct qjob {
	int type_in, type_out;
	int64_t n, rows, rows_per_mat;
	const uint8_t *src;
	uint8_t *dst;
	size_t rs_in, rs_out;
	float *scratch;          /* [n_threads][n] */
	const float *imatrix;    /* or NULL */
	int failed[256];
} qjob;

static void qjob_run(void *arg, int ith, int nth)
{
	qjob *j = arg;
	float *row = j->scratch + (size_t)ith * (size_t)j->n;
	long lo, hi;

	eng_split((long)j->rows, ith, nth, 1, &lo, &hi);
	for (long r = lo; r < hi; r++) {
		const uint8_t *s = j->src + (size_t)r * j->rs_in;
		const float *w = j->imatrix ? j->imatrix + (size_t)(r / j->rows_per_mat) * (size_t)j->n : NULL;

		if (eng_dequant_row(j->type_in, s, row, j->n) ||
		    eng_quant_row_ref(j->type_out, row, j->dst + (size_t)r * j->rs_out, j->n, w)) {
			j->failed[ith] = 1;
			return;
		}
	}
}

static int is_float(int t)
{
	return t == ENG_T_F32 || t == ENG_T_F16 || t == ENG_T_BF16;
}

/* Types that llama-quantize refuses to write without importance weights for the tensor. */
static int needs_weights(int type, int ftype, const char *name)
{
	if (type == ENG_T_IQ2_XXS || type == ENG_T_IQ2_XS || type == ENG_T_IQ2_S || type == ENG_T_IQ1_S)
		return 1;
	if (type == ENG_T_IQ1_M)
		return strcmp(name, "token_embd.weight") != 0 && strcmp(name, "output.weight") != 0;
	return type == ENG_T_Q2_K && ftype == FT_Q2_K_S && strcmp(name, "token_embd.weight") != 0;
}

/* 1 when this build can quantize floats to `type` (the IQ quantizers may be missing). */
static int can_quantize(int type)
{
	float x[ENG_QK_K], w[ENG_QK_K];
	uint8_t out[ENG_QK_K * 4];
	int64_t n = eng_type_get(type)->blck;

	if (n < 1 || n > ENG_QK_K || eng_row_size(type, n) > sizeof out)
		return 0;
	for (int64_t i = 0; i < n; i++) {
		x[i] = (float)((i * 7) % 13) - 6.0f;
		w[i] = 1.0f;
	}
	return eng_quant_row_ref(type, x, out, n, w) == 0;
}

/* The overrides of --tensor-type, compiled. */
typedef struct qover {
	regex_t re;
	int type, compiled;
	long hits;
	const char *spec;
} qover;

static int type_by_name(const char *s)
{
	for (int t = 0; t < ENG_T_COUNT; t++) {
		const eng_type_info *ti = eng_type_get(t);

		if (ti && ti->name && strcasecmp(ti->name, s) == 0)
			return t;
	}
	return -1;
}

static int over_compile(qover *o, const char *spec, char *err, size_t errlen)
{
	const char *eq = strrchr(spec, '=');
	char pat[512];
	int rc;

	o->spec = spec;
	if (!eq || eq == spec || !eq[1] || (size_t)(eq - spec) >= sizeof pat) {
		eng_seterr(err, errlen, "tensor type override '%s': want REGEX=TYPE", spec);
		return ENG_EINVAL;
	}
	memcpy(pat, spec, (size_t)(eq - spec));
	pat[eq - spec] = 0;
	if ((o->type = type_by_name(eq + 1)) < 0) {
		eng_seterr(err, errlen, "tensor type override '%s': unknown type '%s'", spec, eq + 1);
		return ENG_EINVAL;
	}
	if (o->type == ENG_T_Q8_1 || o->type == ENG_T_Q8_K) {
		eng_seterr(err, errlen, "tensor type override '%s': %s is an activation type, not for weights", spec,
			eng_type_get(o->type)->name);
		return ENG_EINVAL;
	}
	if ((rc = regcomp(&o->re, pat, REG_EXTENDED | REG_NOSUB)) != 0) {
		char msg[128];

		regerror(rc, &o->re, msg, sizeof msg);
		eng_seterr(err, errlen, "tensor type override '%s': bad pattern: %s", spec, msg);
		return ENG_EINVAL;
	}
	o->compiled = 1;
	return ENG_OK;
}

/* A tensor's output type: the rule, then the overrides (the last matching one wins, and only
 * where the rule did not have to fall back for the row length, as llama-quantize). */
static int tensor_type(eng_qrule *r, const eng_gguf_tensor *t, qover *ov, int n_ov, int *fb)
{
	int type = eng_qrule_type(r, t->name, layer_of(t->name), t->ne[0], fb);

	for (int i = 0; i < n_ov; i++)
		if (regexec(&ov[i].re, t->name, 0, NULL, 0) == 0) {
			ov[i].hits++;
			if (!*fb)
				type = ov[i].type;
		}
	return type;
}

int eng_quantize_file(const char *in, const char *out, const char *ftype_name,
		const eng_quant_params *p, char *err, size_t errlen)
{
	eng_quant_params dp = eng_quant_params_default();
	eng_gguf *g = NULL;
	eng_gguf_writer *w = NULL;
	eng_pool *pool = NULL;
	tkey *order = NULL;
	int *types = NULL, *fbs = NULL;
	int64_t nt;
	uint8_t *buf = NULL;
	float *scratch = NULL, *weights = NULL;
	size_t buf_cap = 0, weights_cap = 0;
	eng_qrule r;
	qover *ov = NULL;
	int rc = ENG_EINVAL, n_threads, ftype, n_ov = 0;
	qjob *job = NULL;
	struct stat st_in, st_out;
	const eng_imatrix *im;

	if (!p)
		p = &dp;
	im = p->imatrix;
	if (!in || !out || !ftype_name) {
		eng_seterr(err, errlen, "quantize: missing input, output or type");
		return ENG_EINVAL;
	}
	if ((ftype = eng_ftype_from_name(ftype_name, NULL)) < 0) {
		eng_seterr(err, errlen, "unknown quantization type '%s' (one of %s)", ftype_name, eng_ftype_names());
		return ENG_EINVAL;
	}
	if (im && eng_imatrix_n_entries(im) == 0) {
		eng_seterr(err, errlen, "the importance matrix%s%s has no entries", p->imatrix_file ? " " : "",
			p->imatrix_file ? p->imatrix_file : "");
		return ENG_EINVAL;
	}
	if (eng_ftype_needs_imatrix(ftype) && !im) {
		eng_seterr(err, errlen, "%s needs an importance matrix, as llama-quantize refuses these types "
			"without one: pass --imatrix FILE (make one with `tierbench imatrix`)", eng_ftype_name(ftype));
		return ENG_EINVAL;
	}
	if (stat(in, &st_in) == 0 && stat(out, &st_out) == 0 && st_in.st_dev == st_out.st_dev &&
	    st_in.st_ino == st_out.st_ino) {
		eng_seterr(err, errlen, "%s: output is the input file; choose another output path", out);
		return ENG_EINVAL;
	}
	if (p->n_tensor_types < 0 || p->n_tensor_types > 4096 || (p->n_tensor_types && !p->tensor_types)) {
		eng_seterr(err, errlen, "quantize: bad tensor type override list");
		return ENG_EINVAL;
	}
	if (p->n_tensor_types && !(ov = calloc((size_t)p->n_tensor_types, sizeof *ov))) {
		eng_seterr(err, errlen, "quantize: out of memory");
		return ENG_ENOMEM;
	}
	for (n_ov = 0; n_ov < p->n_tensor_types; n_ov++)
		if ((rc = over_compile(&ov[n_ov], p->tensor_types[n_ov], err, errlen)) != 0)
			goto fail;
	rc = ENG_EINVAL;
	if (!(g = eng_gguf_open(in, err, errlen))) {
		rc = ENG_EFORMAT;
		goto fail;
	}
	if (meta_int(g, "split.count", 1) > 1) {
		eng_seterr(err, errlen, "%s: split models are not supported; merge the parts first", in);
		rc = ENG_EUNSUPPORTED;
		goto fail;
	}
	qrule_init(&r, g, ftype);
	r.has_imatrix = im != NULL;
	nt = eng_gguf_n_tensors(g);

	if (!(order = malloc(sizeof *order * (size_t)(nt ? nt : 1))) || !(w = eng_gguf_writer_new()) ||
	    !(types = calloc((size_t)(nt ? nt : 1), sizeof *types)) ||
	    !(fbs = calloc((size_t)(nt ? nt : 1), sizeof *fbs))) {
		rc = ENG_ENOMEM;
		eng_seterr(err, errlen, "%s: out of memory", in);
		goto fail;
	}
	for (int64_t i = 0; i < nt; i++) {
		const char *nm = eng_gguf_tensor_at(g, i)->name;
		order[i] = (tkey){ layer_of(nm), nm, i };
	}
	qsort(order, (size_t)nt, sizeof *order, cmp_tensor);

	/* every tensor's type first, so that a request that cannot be met fails before any work */
	{
		int64_t matched = 0;

		for (int64_t k = 0; k < nt; k++) {
			const eng_gguf_tensor *t = eng_gguf_tensor_at(g, order[k].index);
			int64_t n_in = 0;
			int n_mat = 0, found;

			types[k] = t->type;
			if (!eng_qrule_quantizable(t->name, t->n_dims))
				continue;
			types[k] = tensor_type(&r, t, ov, n_ov, &fbs[k]);
			if (has(t->name, "ffn_down"))
				r.i_ffn_down++;
			if (types[k] < 0) {
				eng_seterr(err, errlen, "%s: tensor '%s': no type for %s", in, t->name, ftype_name);
				goto fail;
			}
			if (t->ne[0] % eng_type_get(types[k])->blck != 0) {
				eng_seterr(err, errlen, "%s: tensor '%s': rows of %lld do not fit %s blocks of %d",
					in, t->name, (long long)t->ne[0], eng_type_get(types[k])->name, eng_type_get(types[k])->blck);
				goto fail;
			}
			if (types[k] == t->type)
				continue;
			found = im && eng_imatrix_values(im, t->name, NULL, 0, &n_in, &n_mat) == 0;
			matched += found;
			if (found && n_in * n_mat != t->ne[0] * t->ne[2] && strcmp(t->name, "token_embd.weight") != 0) {
				eng_seterr(err, errlen, "%s: tensor '%s': the importance matrix has %lld values for it, "
					"the tensor needs %lld (%lld columns x %lld matrices): made for another model?", in,
					t->name, (long long)(n_in * n_mat), (long long)(t->ne[0] * t->ne[2]),
					(long long)t->ne[0], (long long)t->ne[2]);
				goto fail;
			}
			if (im && !found && needs_weights(types[k], ftype, t->name)) {
				eng_seterr(err, errlen, "%s: tensor '%s': the importance matrix has no entry for it, and "
					"%s needs one (llama-quantize refuses too)", in, t->name, eng_type_get(types[k])->name);
				goto fail;
			}
			if (!im && needs_weights(types[k], ftype, t->name)) {
				eng_seterr(err, errlen, "%s: tensor '%s': %s needs an importance matrix: pass --imatrix FILE "
					"(make one with `tierbench imatrix`)", in, t->name, eng_type_get(types[k])->name);
				goto fail;
			}
			if (im && !found)
				eng_logf(ENG_LOG_WARN, "%s: tensor '%s': no importance-matrix entry; quantized without",
					in, t->name);
		}
		if (im && eng_imatrix_n_entries(im) > 0 && matched == 0) {
			eng_seterr(err, errlen, "%s: the importance matrix has no entry for any tensor this quantizes "
				"(its first is '%s'): made for another model?", in, eng_imatrix_name(im, 0));
			goto fail;
		}
		for (int i = 0; i < n_ov; i++)
			if (!ov[i].hits) {
				eng_seterr(err, errlen, "%s: tensor type override '%s' matches no tensor that is quantized",
					in, ov[i].spec);
				goto fail;
			}
		for (int64_t k = 0; k < nt && !p->dry_run; k++) {
			const eng_gguf_tensor *t = eng_gguf_tensor_at(g, order[k].index);

			if (types[k] != t->type && !can_quantize(types[k])) {
				eng_seterr(err, errlen, "%s: tensor '%s': this build cannot quantize to %s yet "
					"(no quantizer from float for that type)", in, t->name, eng_type_get(types[k])->name);
				rc = ENG_EUNSUPPORTED;
				goto fail;
			}
		}
	}

	if (p->dry_run) {
		for (int64_t k = 0; k < nt && p->progress; k++) {
			const eng_gguf_tensor *t = eng_gguf_tensor_at(g, order[k].index);
			eng_quant_progress pr = { k + 1, nt, t->name, eng_type_get(t->type)->name,
				eng_type_get(types[k])->name, fbs[k], !is_float(t->type) && types[k] != t->type,
				t->size_bytes, eng_row_size(types[k], t->ne[0]) * (uint64_t)(t->ne[1] * t->ne[2] * t->ne[3]), 0 };

			p->progress(&pr, p->progress_ud);
		}
		rc = ENG_OK;
		goto fail;
	}

	/* metadata: everything, then the keys llama-quantize sets (appended, in its order) */
	if (eng_gguf_w_copy_kv(w, g) ||
	    (eng_gguf_w_remove(w, "general.quantization_version"), 0) ||
	    (eng_gguf_w_remove(w, "general.file_type"), 0) ||
	    eng_gguf_w_u32(w, "general.quantization_version", 2) ||
	    eng_gguf_w_u32(w, "general.file_type", (uint32_t)ftype) ||
	    (im && p->imatrix_file && eng_gguf_w_str(w, "quantize.imatrix.file", p->imatrix_file)) ||
	    (im && eng_imatrix_dataset(im) && eng_imatrix_dataset(im)[0] &&
	     eng_gguf_w_str(w, "quantize.imatrix.dataset", eng_imatrix_dataset(im))) ||
	    (im && eng_gguf_w_i32(w, "quantize.imatrix.entries_count", (int32_t)eng_imatrix_n_entries(im))) ||
	    (im && eng_imatrix_chunks(im) > 0 &&
	     eng_gguf_w_i32(w, "quantize.imatrix.chunks_count", eng_imatrix_chunks(im)))) {
		rc = ENG_ENOMEM;
		eng_seterr(err, errlen, "%s: out of memory copying metadata", in);
		goto fail;
	}
	eng_gguf_w_remove(w, "split.no");
	eng_gguf_w_remove(w, "split.count");
	eng_gguf_w_remove(w, "split.tensors.count");

	n_threads = p->n_threads > 0 ? p->n_threads : eng_physical_cores();
	if (n_threads > 256)
		n_threads = 256;
	if (!(pool = eng_pool_new(n_threads, 0, err, errlen))) {
		rc = ENG_ENOMEM;
		goto fail;
	}
	if (!(job = calloc(1, sizeof *job))) {
		rc = ENG_ENOMEM;
		goto fail;
	}

	for (int64_t k = 0; k < nt; k++) {
		const eng_gguf_tensor *t = eng_gguf_tensor_at(g, order[k].index);
		int64_t rows = t->ne[1] * t->ne[2] * t->ne[3];
		int type = types[k], fb = fbs[k], requant = 0;
		const uint8_t *data = t->data;
		const float *iw = NULL;
		eng_quant_progress pr;

		if (type != t->type) {
			const eng_type_info *ti = eng_type_get(t->type);
			size_t rs_in = eng_row_size(t->type, t->ne[0]), rs_out = eng_row_size(type, t->ne[0]);
			size_t need = rs_out * (size_t)rows;
			int64_t n_in = 0;
			int n_mat = 0;

			if (!is_float(t->type)) {
				if (!ti->can_compute || t->type == ENG_T_Q8_1 || t->type == ENG_T_Q8_K) {
					eng_seterr(err, errlen, "%s: tensor '%s' has type %s, which cannot be converted "
						"(inputs must be F32, F16 or BF16)", in, t->name, ti->name);
					rc = ENG_EUNSUPPORTED;
					goto fail;
				}
				if (!p->allow_requant) {
					eng_seterr(err, errlen, "%s: tensor '%s' is already %s; requantizing loses "
						"quality and needs allow_requant (--allow-requantize)", in, t->name, ti->name);
					rc = ENG_EUNSUPPORTED;
					goto fail;
				}
				requant = 1;
				eng_logf(ENG_LOG_WARN, "%s: requantizing tensor '%s' from %s to %s", in, t->name,
					ti->name, eng_type_get(type)->name);
			}
			if (im && eng_imatrix_values(im, t->name, NULL, 0, &n_in, &n_mat) == 0 &&
			    n_in * n_mat == t->ne[0] * t->ne[2]) {
				if ((size_t)(n_in * n_mat) > weights_cap) {
					free(weights);
					weights_cap = 0;
					if (!(weights = malloc(sizeof *weights * (size_t)(n_in * n_mat)))) {
						rc = ENG_ENOMEM;
						eng_seterr(err, errlen, "%s: tensor '%s': out of memory", in, t->name);
						goto fail;
					}
					weights_cap = (size_t)(n_in * n_mat);
				}
				eng_imatrix_values(im, t->name, weights, (int64_t)weights_cap, NULL, NULL);
				iw = weights;
			}
			if (need > buf_cap) {
				free(buf);
				buf_cap = 0;
				if (!(buf = malloc(need))) {
					rc = ENG_ENOMEM;
					eng_seterr(err, errlen, "%s: tensor '%s': out of memory (%zu bytes)", in, t->name, need);
					goto fail;
				}
				buf_cap = need;
			}
			free(scratch);
			if (!(scratch = malloc(sizeof *scratch * (size_t)t->ne[0] * (size_t)n_threads))) {
				rc = ENG_ENOMEM;
				eng_seterr(err, errlen, "%s: tensor '%s': out of memory", in, t->name);
				goto fail;
			}
			memset(job, 0, sizeof *job);
			*job = (qjob){ t->type, type, t->ne[0], rows, t->ne[1], t->data, buf, rs_in, rs_out, scratch, iw, { 0 } };
			eng_pool_run(pool, rows < n_threads ? (int)rows : n_threads, qjob_run, job);
			for (int i = 0; i < n_threads; i++)
				if (job->failed[i]) {
					eng_seterr(err, errlen, "%s: tensor '%s': cannot convert %s to %s", in, t->name,
						ti->name, eng_type_get(type)->name);
					rc = ENG_EUNSUPPORTED;
					goto fail;
				}
			data = buf;
		}
		rc = eng_gguf_w_tensor(w, t->name, type, t->n_dims, t->ne, data);
		if (rc) {
			eng_seterr(err, errlen, "%s: tensor '%s': %s", in, t->name,
				rc == -1 ? "out of memory" : "bad shape for the output type");
			rc = rc == -1 ? ENG_ENOMEM : ENG_EFORMAT;
			goto fail;
		}
		if (p->progress) {
			pr = (eng_quant_progress){ k + 1, nt, t->name, eng_type_get(t->type)->name,
				eng_type_get(type)->name, fb, requant, t->size_bytes,
				eng_row_size(type, t->ne[0]) * (uint64_t)rows,
				im && type != t->type && !iw && strcmp(t->name, "token_embd.weight") != 0 &&
				strcmp(t->name, "output.weight") != 0 };
			p->progress(&pr, p->progress_ud);
		}
	}
	if (eng_gguf_writer_save(w, out, err, errlen)) {
		rc = ENG_EIO;
		goto fail;
	}
	rc = ENG_OK;
fail:
	for (int i = 0; ov && i < p->n_tensor_types; i++)
		if (ov[i].compiled)
			regfree(&ov[i].re);
	free(ov);
	free(job);
	eng_pool_free(pool);
	free(scratch);
	free(weights);
	free(buf);
	free(types);
	free(fbs);
	free(order);
	eng_gguf_writer_free(w);
	eng_gguf_close(g);
	return rc;
}

/* ---------------------------------------------------------------- naming a file's mix */

/* The role a quantized tensor plays, for the mix description (order of the description). */
static const char *const roles[] = { "routed experts", "shared experts", "attention", "dense FFN",
	"embeddings", "output", "other" };

static int role_of(const char *name)
{
	if (has(name, "_exps"))
		return 0;
	if (has(name, "_shexp"))
		return 1;
	if (has(name, "attn_"))
		return 2;
	if (has(name, "ffn_"))
		return 3;
	if (strcmp(name, "token_embd.weight") == 0)
		return 4;
	return strcmp(name, "output.weight") == 0 ? 5 : 6;
}

int eng_quant_mix_describe(const char *path, char *out, size_t cap, char *err, size_t errlen)
{
	enum { N_ROLES = sizeof roles / sizeof roles[0] };
	eng_gguf *g = eng_gguf_open(path, err, errlen);
	long count[N_ROLES][ENG_T_COUNT];
	tkey *order = NULL;
	eng_qrule r;
	uint32_t ft = 0;
	const char *ftn = NULL;
	int64_t nt, n_q = 0, n_diff = 0;
	size_t len = 0;

	if (!g)
		return ENG_EFORMAT;
	if (!out || cap == 0) {
		eng_gguf_close(g);
		return ENG_EINVAL;
	}
	memset(count, 0, sizeof count);
	nt = eng_gguf_n_tensors(g);
	if (eng_gguf_get_u32(g, "general.file_type", &ft) == 0)
		ftn = eng_ftype_name((int)(ft & ~1024u));
	if (!(order = malloc(sizeof *order * (size_t)(nt ? nt : 1)))) {
		eng_gguf_close(g);
		eng_seterr(err, errlen, "%s: out of memory", path);
		return ENG_ENOMEM;
	}
	for (int64_t i = 0; i < nt; i++) {
		const char *nm = eng_gguf_tensor_at(g, i)->name;
		order[i] = (tkey){ layer_of(nm), nm, i };
	}
	qsort(order, (size_t)nt, sizeof *order, cmp_tensor);
	qrule_init(&r, g, ftn ? (int)(ft & ~1024u) : -1);
	r.has_imatrix = eng_gguf_find_key(g, "quantize.imatrix.entries_count") >= 0 ||
		eng_gguf_find_key(g, "quantize.imatrix.file") >= 0;
	for (int64_t k = 0; k < nt; k++) {
		const eng_gguf_tensor *t = eng_gguf_tensor_at(g, order[k].index);
		int fb;

		if (!eng_qrule_quantizable(t->name, t->n_dims))
			continue;
		count[role_of(t->name)][t->type]++;
		n_q++;
		if (ftn && eng_qrule_type(&r, t->name, layer_of(t->name), t->ne[0], &fb) != t->type)
			n_diff++;
		if (has(t->name, "ffn_down"))
			r.i_ffn_down++;
	}
	if (!ftn)
		len = (size_t)snprintf(out, cap, "custom mix (no known general.file_type):");
	else if (n_diff == 0)
		len = (size_t)snprintf(out, cap, "%s (llama-quantize's mix%s):", ftn, r.has_imatrix ? ", with an imatrix" : "");
	else
		len = (size_t)snprintf(out, cap, "%s dynamic (%lld of %lld tensors differ from llama-quantize's %s):",
			ftn, (long long)n_diff, (long long)n_q, ftn);
	for (int ro = 0, first = 1; ro < N_ROLES; ro++) {
		long used[ENG_T_COUNT];
		int n_used = 0;

		for (int t = 0; t < ENG_T_COUNT; t++)
			if (count[ro][t])
				used[n_used++] = t;
		if (!n_used)
			continue;
		/* most tensors first */
		for (int i = 1; i < n_used; i++)
			for (int j = i; j > 0 && count[ro][used[j]] > count[ro][used[j - 1]]; j--) {
				long x = used[j];
				used[j] = used[j - 1];
				used[j - 1] = x;
			}
		if (len < cap)
			len += (size_t)snprintf(out + len, cap - len, "%s %s ", first ? "" : ",", roles[ro]);
		for (int i = 0; i < n_used && len < cap; i++)
			len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "/" : "", eng_type_get((int)used[i])->name);
		if (len < cap && len > 0 && out[len - 1] == ' ')
			out[--len] = 0;
		first = 0;
	}
	free(order);
	eng_gguf_close(g);
	return ENG_OK;
}
