/* harness/fit_model.c — a model's shapes for `tierbench fit` (docs/fit.md): read from a GGUF's
 * header (tensor types as stored) or built from a shape file as the tensors llama.cpp's
 * converter would write, then weights per tensor for a quantisation mix (the engine's
 * llama-quantize rule), KV cache per layer (GQA, MLA latent, sliding windows), recurrent state
 * (delta-net layers), compute buffers, and what one token reads and computes. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/base.h"
#include "engine/engine.h"
#include "engine/gguf_impl.h"
#include "engine/quant_impl.h"
#include "harness/fit.h"
#include "harness/harness.h"

#define SHAPE_MAX_BYTES (1u << 20)
#define FIT_T_MXFP4 39          /* GGML type number; 32 weights in 17 bytes (one E8M0 scale) */
#define FIT_UBATCH 512

typedef struct fit_tensor {
	char *name;
	int n_dims;
	int64_t ne[4];
	int type;                   /* as stored (GGUF) or -1 (shape file) */
	int native;                 /* a type every mix keeps (shape file "native_types"), or -1 */
	int layer;                  /* blk.N, or -1 */
	uint64_t stored_bytes;      /* GGUF only */
} fit_tensor;

typedef struct fit_layer {
	int64_t kv_elems;           /* K + V elements cached per token (0: no attention) */
	int swa;                    /* sliding window in tokens, 0 = full attention */
	int64_t state_elems;        /* recurrent state per sequence (F32), 0 = none */
	double attn_flops;          /* FLOPs per cached token attended (QK and AV, all heads) */
} fit_layer;

struct hx_fit_model {
	char *name, *arch, *pub_source;
	char stored[32];
	int from_gguf;
	int n_layer, n_embd, n_head, n_head_kv, n_vocab, n_ctx_train, n_expert, n_expert_used;
	int has_output;
	fit_tensor *t;              /* [n_t] */
	size_t n_t, cap_t;
	fit_layer *layers;          /* [n_layer] */
	double pub_params, pub_active, pub_f16_gb, pub_q4_gb, pub_native_gb;
};

void hx_fit_model_free(hx_fit_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_t; i++)
		free(m->t[i].name);
	free(m->t);
	free(m->layers);
	free(m->name);
	free(m->arch);
	free(m->pub_source);
	free(m);
}

static int layer_of(const char *name)
{
	int il = -1, n = 0;
	if (sscanf(name, "blk.%d.%n", &il, &n) == 1 && n > 0)
		return il;
	return -1;
}

/* Appends a tensor of up to three dimensions (ne[i] = 0 ends the shape). */
static int add_tensor(hx_fit_model *m, const char *name, int64_t ne0, int64_t ne1, int64_t ne2)
{
	fit_tensor *t;
	if (m->n_t == m->cap_t) {
		size_t cap = m->cap_t ? m->cap_t * 2 : 64;
		fit_tensor *nt = realloc(m->t, cap * sizeof *nt);
		if (!nt)
			return HX_ENOMEM;
		m->t = nt;
		m->cap_t = cap;
	}
	t = &m->t[m->n_t];
	memset(t, 0, sizeof *t);
	if (!(t->name = strdup(name)))
		return HX_ENOMEM;
	t->ne[0] = ne0;
	t->ne[1] = ne1 > 0 ? ne1 : 1;
	t->ne[2] = ne2 > 0 ? ne2 : 1;
	t->ne[3] = 1;
	t->n_dims = ne2 > 0 ? 3 : ne1 > 0 ? 2 : 1;
	t->type = -1;
	t->native = -1;
	t->layer = layer_of(name);
	m->n_t++;
	return 0;
}

static int add_blk(hx_fit_model *m, int il, const char *what, int64_t ne0, int64_t ne1, int64_t ne2)
{
	char name[96];
	snprintf(name, sizeof name, "blk.%d.%s", il, what);
	return add_tensor(m, name, ne0, ne1, ne2);
}

static int64_t t_elems(const fit_tensor *t)
{
	return t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
}

/* ---------------------------------------------------------------- types */

static const char *type_name(int type)
{
	const eng_type_info *ti = type == FIT_T_MXFP4 ? NULL : eng_type_get(type);
	return type == FIT_T_MXFP4 ? "mxfp4" : ti && ti->name ? ti->name : "?";
}

/* Bytes of a row of n elements, 0 when n is not a whole number of blocks. */
static uint64_t row_bytes(int type, int64_t n)
{
	if (type == FIT_T_MXFP4)
		return n % 32 ? 0 : (uint64_t)(n / 32) * 17;
	return eng_row_size(type, n);
}

/* A tensor type by its name ("f16", "q8_0", "mxfp4"; any case), or -1. */
static int type_from_name(const char *s)
{
	if (!strcasecmp(s, "mxfp4"))
		return FIT_T_MXFP4;
	for (int t = 0; t < ENG_T_COUNT; t++) {
		const eng_type_info *ti = eng_type_get(t);
		if (ti && ti->name && !strcasecmp(ti->name, s))
			return t;
	}
	return -1;
}

/* The llama.cpp file-type name of a number ("Q4_K_M" for 15), from the names the quantizer
 * accepts; NULL when it is not one of them. */
static const char *ftype_name(int64_t ft, char *buf, size_t n)
{
	const char *p = eng_ftype_names();
	while (*p) {
		size_t len = strcspn(p, ", ");
		if (len && len < n) {
			memcpy(buf, p, len);
			buf[len] = 0;
			/* Q4_K (an alias) maps to the same number as Q4_K_M, which comes first */
			if (eng_ftype_from_name(buf, NULL) == ft)
				return buf;
		}
		p += len;
		p += strspn(p, ", ");
	}
	return NULL;
}

/* ---------------------------------------------------------------- GGUF */

/* A u32 key of the architecture (element il of a per-layer array); dflt when absent. */
static int64_t meta_int(const eng_gguf *g, const char *arch, const char *key, int il, int64_t dflt)
{
	char k[160];
	int64_t v;
	uint64_t n;
	int et;
	snprintf(k, sizeof k, "%s.%s", arch, key);
	if (eng_gguf_get_i64(g, k, &v) == 0)
		return v;
	if (eng_gguf_get_arr(g, k, &et, &n) == 0 && n > 0 &&
	    eng_gguf_arr_i64(g, k, il >= 0 && (uint64_t)il < n ? (uint64_t)il : 0, &v) == 0)
		return v;
	return dflt;
}

/* How often a full-attention layer comes among sliding ones, by architecture (llama.cpp's
 * patterns); 1 = every layer slides. */
static int swa_period(const char *arch)
{
	if (!strcmp(arch, "gpt-oss") || !strcmp(arch, "gemma2"))
		return 2;
	if (!strcmp(arch, "gemma3"))
		return 6;
	if (!strcmp(arch, "cohere2"))
		return 4;
	return 1;
}

static hx_fit_model *load_gguf(const char *path, char *err, size_t errlen)
{
	hx_fit_model *m = calloc(1, sizeof *m);
	eng_gguf *g = eng_gguf_open(path, err, errlen);
	const char *s;
	size_t len;
	int64_t ft, window, kv_lora, n_rot, hd_k, hd_v, state, inner;
	uint64_t best = 0, by_type[ENG_T_COUNT + 8] = { 0 };
	char buf[32];

	if (!m || !g) {
		if (!m)
			snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	m->from_gguf = 1;
	if (eng_gguf_get_str(g, "general.architecture", &s, &len)) {
		snprintf(err, errlen, "%s: no general.architecture", path);
		goto fail;
	}
	m->arch = strdup(s);
	m->name = strdup(eng_gguf_get_str(g, "general.name", &s, &len) == 0 ? s : path);
	if (!m->arch || !m->name)
		goto nomem;
	m->n_layer = (int)meta_int(g, m->arch, "block_count", -1, 0);
	m->n_embd = (int)meta_int(g, m->arch, "embedding_length", -1, 0);
	m->n_head = (int)meta_int(g, m->arch, "attention.head_count", 0, 0);
	m->n_head_kv = (int)meta_int(g, m->arch, "attention.head_count_kv", 0, m->n_head);
	m->n_ctx_train = (int)meta_int(g, m->arch, "context_length", -1, 0);
	m->n_expert = (int)meta_int(g, m->arch, "expert_count", -1, 0);
	m->n_expert_used = (int)meta_int(g, m->arch, "expert_used_count", -1, 0);
	if (m->n_layer <= 0 || m->n_layer > 4096 || m->n_embd <= 0 || m->n_head <= 0) {
		snprintf(err, errlen, "%s: %s.block_count, embedding_length or attention.head_count missing or out of range",
			path, m->arch);
		goto fail;
	}
	for (int64_t i = 0; i < eng_gguf_n_tensors(g); i++) {
		const eng_gguf_tensor *gt = eng_gguf_tensor_at(g, i);
		fit_tensor *t;
		if (add_tensor(m, gt->name, 1, 0, 0))
			goto nomem;
		t = &m->t[m->n_t - 1];
		t->n_dims = gt->n_dims;
		memcpy(t->ne, gt->ne, sizeof t->ne);
		t->type = gt->type;
		t->stored_bytes = gt->size_bytes;
		if (t->layer >= m->n_layer) {
			snprintf(err, errlen, "%s: tensor '%s' is past block_count %d", path, gt->name, m->n_layer);
			goto fail;
		}
		if (!strcmp(gt->name, "output.weight"))
			m->has_output = 1;
		if (!strcmp(gt->name, "token_embd.weight"))
			m->n_vocab = (int)gt->ne[1];
		if (gt->type >= 0 && gt->type < ENG_T_COUNT + 8 && (by_type[gt->type] += gt->size_bytes) > best) {
			best = by_type[gt->type];
			snprintf(m->stored, sizeof m->stored, "%s", type_name(gt->type));
		}
	}
	if (eng_gguf_get_i64(g, "general.file_type", &ft) == 0 && ftype_name(ft, buf, sizeof buf))
		snprintf(m->stored, sizeof m->stored, "%s", buf);
	if (!(m->layers = calloc((size_t)m->n_layer, sizeof *m->layers)))
		goto nomem;
	window = meta_int(g, m->arch, "attention.sliding_window", -1, 0);
	kv_lora = meta_int(g, m->arch, "attention.kv_lora_rank", -1, 0);
	n_rot = meta_int(g, m->arch, "rope.dimension_count", -1, m->n_embd / m->n_head);
	state = meta_int(g, m->arch, "ssm.state_size", -1, 0);
	inner = meta_int(g, m->arch, "ssm.inner_size", -1, 0);
	for (int il = 0; il < m->n_layer; il++) {
		fit_layer *l = &m->layers[il];
		int64_t nh = meta_int(g, m->arch, "attention.head_count", il, m->n_head);
		int64_t nkv = meta_int(g, m->arch, "attention.head_count_kv", il, nh);
		char nm[96];
		const eng_gguf_tensor *conv;
		hd_k = meta_int(g, m->arch, "attention.key_length", -1, m->n_embd / m->n_head);
		hd_v = meta_int(g, m->arch, "attention.value_length", -1, hd_k);
		snprintf(nm, sizeof nm, "blk.%d.ssm_conv1d.weight", il);
		if ((conv = eng_gguf_find_tensor(g, nm))) {
			l->state_elems = (conv->ne[0] - 1) * conv->ne[1] + inner * state;
			continue;
		}
		if (kv_lora > 0) {
			l->kv_elems = kv_lora + n_rot;
			l->attn_flops = 2.0 * (double)nh * (double)(2 * kv_lora + n_rot);
		} else {
			l->kv_elems = nkv * (hd_k + hd_v);
			l->attn_flops = 2.0 * (double)nh * (double)(hd_k + hd_v);
		}
		if (window > 0 && (il + 1) % swa_period(m->arch) != 0)
			l->swa = (int)window;
	}
	eng_gguf_close(g);
	return m;
nomem:
	snprintf(err, errlen, "%s: out of memory", path);
fail:
	eng_gguf_close(g);
	hx_fit_model_free(m);
	return NULL;
}

/* ---------------------------------------------------------------- shape file */

typedef struct shape_ctx {
	const char *file;
	char *err;
	size_t errlen;
} shape_ctx;

/* An integer field of o: absent gives dflt (or an error when dflt < 0: required); present must
 * be an integer in [lo, hi]. path names the object ("" for the top level). */
static int shape_int(const shape_ctx *c, const cJSON *o, const char *path, const char *k,
	int64_t dflt, int64_t lo, int64_t hi, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!v) {
		if (dflt < 0) {
			snprintf(c->err, c->errlen, "%s: %s%s: missing (required)", c->file, path, k);
			return HX_EINVAL;
		}
		*out = dflt;
		return 0;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < (double)lo ||
	    v->valuedouble > (double)hi) {
		snprintf(c->err, c->errlen, "%s: %s%s: expected an integer from %lld to %lld", c->file, path, k,
			(long long)lo, (long long)hi);
		return HX_EINVAL;
	}
	*out = (int64_t)v->valuedouble;
	return 0;
}

static int shape_bool(const shape_ctx *c, const cJSON *o, const char *path, const char *k, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	*out = 0;
	if (!v)
		return 0;
	if (!cJSON_IsBool(v)) {
		snprintf(c->err, c->errlen, "%s: %s%s: expected true or false", c->file, path, k);
		return HX_EINVAL;
	}
	*out = cJSON_IsTrue(v);
	return 0;
}

/* Every key of o must be one of keys (a typo is an error, not a silent default). */
static int shape_keys(const shape_ctx *c, const cJSON *o, const char *path, const char *const *keys)
{
	if (!cJSON_IsObject(o)) {
		snprintf(c->err, c->errlen, "%s: %s: expected an object", c->file, *path ? path : "top level");
		return HX_EINVAL;
	}
	for (const cJSON *it = o->child; it; it = it->next) {
		int ok = 0;
		for (const char *const *k = keys; *k && !ok; k++)
			ok = !strcmp(*k, it->string);
		if (!ok) {
			char esc[96];
			hx_text_escape(esc, sizeof esc, it->string);
			snprintf(c->err, c->errlen, "%s: %s%s: unknown key (see docs/fit.md, shape files)", c->file,
				path, esc);
			return HX_EINVAL;
		}
	}
	return 0;
}

#define GET(obj, path, key, dflt, lo, hi, dst) do { \
		int64_t v_ = 0; \
		rc = shape_int(&c, obj, path, key, dflt, lo, hi, &v_); \
		if (rc) { \
			goto fail; \
		} \
		dst = v_; \
	} while (0)

static hx_fit_model *load_shape(const char *path, const char *text, char *err, size_t errlen)
{
	static const char *const top_keys[] = { "name", "architecture", "layers", "hidden", "heads",
		"kv_heads", "head_dim", "value_head_dim", "ffn", "vocab", "context", "tied_embeddings",
		"qk_norm", "qkv_bias", "attn_gate", "experts", "mla", "sliding_window", "recurrent",
		"native_types", "published", "about", NULL };
	static const char *const exp_keys[] = { "count", "used", "ffn", "shared", "shared_ffn",
		"dense_layers", "shared_gate", NULL };
	static const char *const mla_keys[] = { "q_lora_rank", "kv_lora_rank", "rope_dim", "nope_dim",
		"v_head_dim", NULL };
	static const char *const swa_keys[] = { "size", "full_every", NULL };
	static const char *const rec_keys[] = { "full_every", "conv_kernel", "key_heads", "value_heads",
		"key_dim", "value_dim", NULL };
	static const char *const pub_keys[] = { "params", "active_params", "f16_gb", "q4_k_m_gb",
		"native_gb", "source", NULL };
	shape_ctx c = { path, err, errlen };
	cJSON *j = cJSON_Parse(text);
	const cJSON *v, *ex, *mla, *swa, *rec, *pub, *nat;
	hx_fit_model *m = calloc(1, sizeof *m);
	int rc = HX_EINVAL, tied, qk_norm, qkv_bias, gate, shared_gate = 0;
	int64_t hd, hdv, ffn = 0, x_ffn = 0, x_shared = 0, x_sffn = 0, x_dense = 0;
	int64_t q_lora = 0, kv_lora = 0, rope = 0, nope = 0, mla_v = 0, swa_size = 0, swa_every = 1;
	int64_t r_every = 0, r_kernel = 4, r_kh = 0, r_vh = 0, r_kd = 0, r_vd = 0, tmp;

	if (!m) {
		snprintf(err, errlen, "%s: out of memory", path);
		cJSON_Delete(j);
		return NULL;
	}
	if (!j) {
		snprintf(err, errlen, "%s: not valid JSON (near byte %ld)", path,
			(long)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - text : 0));
		goto fail;
	}
	if ((rc = shape_keys(&c, j, "", top_keys)))
		goto fail;
	v = cJSON_GetObjectItemCaseSensitive(j, "name");
	if (!cJSON_IsString(v) || !v->valuestring[0]) {
		snprintf(err, errlen, "%s: name: missing (required: a string)", path);
		goto fail;
	}
	m->name = strdup(v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(j, "architecture");
	if (!cJSON_IsString(v) || !v->valuestring[0]) {
		snprintf(err, errlen, "%s: architecture: missing (required: a string such as \"llama\")", path);
		goto fail;
	}
	m->arch = strdup(v->valuestring);
	if (!m->name || !m->arch)
		goto nomem;
	snprintf(m->stored, sizeof m->stored, "F16");
	GET(j, "", "layers", -1, 1, 4096, m->n_layer);
	GET(j, "", "hidden", -1, 1, 1 << 20, m->n_embd);
	GET(j, "", "heads", -1, 1, 4096, m->n_head);
	GET(j, "", "kv_heads", m->n_head, 1, 4096, m->n_head_kv);
	GET(j, "", "vocab", -1, 1, 1 << 24, m->n_vocab);
	GET(j, "", "context", -1, 1, 1 << 26, m->n_ctx_train);
	if (m->n_head % m->n_head_kv) {
		snprintf(err, errlen, "%s: kv_heads: %d heads are not a multiple of %d KV heads", path,
			m->n_head, m->n_head_kv);
		goto fail;
	}
	if (!cJSON_GetObjectItemCaseSensitive(j, "head_dim") && m->n_embd % m->n_head) {
		snprintf(err, errlen, "%s: head_dim: missing, and hidden %d is not a multiple of heads %d",
			path, m->n_embd, m->n_head);
		goto fail;
	}
	GET(j, "", "head_dim", m->n_embd / m->n_head, 1, 65536, hd);
	GET(j, "", "value_head_dim", hd, 1, 65536, hdv);
	if ((rc = shape_bool(&c, j, "", "tied_embeddings", &tied)) ||
	    (rc = shape_bool(&c, j, "", "qk_norm", &qk_norm)) ||
	    (rc = shape_bool(&c, j, "", "qkv_bias", &qkv_bias)) ||
	    (rc = shape_bool(&c, j, "", "attn_gate", &gate)))
		goto fail;
	rc = HX_EINVAL;
	if ((ex = cJSON_GetObjectItemCaseSensitive(j, "experts"))) {
		if ((rc = shape_keys(&c, ex, "experts.", exp_keys)))
			goto fail;
		GET(ex, "experts.", "count", -1, 2, 65536, m->n_expert);
		GET(ex, "experts.", "used", -1, 1, 65536, m->n_expert_used);
		GET(ex, "experts.", "ffn", -1, 1, 1 << 20, x_ffn);
		GET(ex, "experts.", "shared", 0, 0, 64, x_shared);
		GET(ex, "experts.", "shared_ffn", x_ffn, 1, 1 << 20, x_sffn);
		GET(ex, "experts.", "dense_layers", 0, 0, m->n_layer, x_dense);
		if ((rc = shape_bool(&c, ex, "experts.", "shared_gate", &shared_gate)))
			goto fail;
		rc = HX_EINVAL;
		if (m->n_expert_used > m->n_expert) {
			snprintf(err, errlen, "%s: experts.used: %d is more than experts.count %d", path,
				m->n_expert_used, m->n_expert);
			goto fail;
		}
	}
	/* ffn is the dense layers' width: required unless every layer is a mixture of experts */
	GET(j, "", "ffn", ex && x_dense == 0 ? 0 : -1, 0, 1 << 22, ffn);
	if ((mla = cJSON_GetObjectItemCaseSensitive(j, "mla"))) {
		if ((rc = shape_keys(&c, mla, "mla.", mla_keys)))
			goto fail;
		GET(mla, "mla.", "q_lora_rank", 0, 0, 1 << 20, q_lora);
		GET(mla, "mla.", "kv_lora_rank", -1, 1, 1 << 20, kv_lora);
		GET(mla, "mla.", "rope_dim", -1, 1, 65536, rope);
		GET(mla, "mla.", "nope_dim", -1, 1, 65536, nope);
		GET(mla, "mla.", "v_head_dim", -1, 1, 65536, mla_v);
	}
	if ((swa = cJSON_GetObjectItemCaseSensitive(j, "sliding_window"))) {
		if ((rc = shape_keys(&c, swa, "sliding_window.", swa_keys)))
			goto fail;
		GET(swa, "sliding_window.", "size", -1, 1, 1 << 26, swa_size);
		GET(swa, "sliding_window.", "full_every", 1, 1, m->n_layer, swa_every);
		if (swa_size >= m->n_ctx_train) {
			snprintf(err, errlen, "%s: sliding_window.size: %lld is not below context %d", path,
				(long long)swa_size, m->n_ctx_train);
			goto fail;
		}
	}
	if ((rec = cJSON_GetObjectItemCaseSensitive(j, "recurrent"))) {
		if ((rc = shape_keys(&c, rec, "recurrent.", rec_keys)))
			goto fail;
		GET(rec, "recurrent.", "full_every", -1, 1, m->n_layer, r_every);
		GET(rec, "recurrent.", "conv_kernel", 4, 2, 64, r_kernel);
		GET(rec, "recurrent.", "key_heads", -1, 1, 4096, r_kh);
		GET(rec, "recurrent.", "value_heads", -1, 1, 4096, r_vh);
		GET(rec, "recurrent.", "key_dim", -1, 1, 65536, r_kd);
		GET(rec, "recurrent.", "value_dim", -1, 1, 65536, r_vd);
		if (r_vh % r_kh) {
			snprintf(err, errlen, "%s: recurrent.value_heads: %lld is not a multiple of key_heads %lld",
				path, (long long)r_vh, (long long)r_kh);
			goto fail;
		}
	}
	if ((pub = cJSON_GetObjectItemCaseSensitive(j, "published"))) {
		const char *pk[] = { "params", "active_params", "f16_gb", "q4_k_m_gb", "native_gb" };
		double *dst[] = { &m->pub_params, &m->pub_active, &m->pub_f16_gb, &m->pub_q4_gb, &m->pub_native_gb };
		if ((rc = shape_keys(&c, pub, "published.", pub_keys)))
			goto fail;
		rc = HX_EINVAL;
		for (int i = 0; i < 5; i++) {
			const cJSON *pv = cJSON_GetObjectItemCaseSensitive(pub, pk[i]);
			if (pv && (!cJSON_IsNumber(pv) || !(pv->valuedouble > 0))) {
				snprintf(err, errlen, "%s: published.%s: expected a number > 0", path, pk[i]);
				goto fail;
			}
			*dst[i] = pv ? pv->valuedouble : 0;
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(pub, "source")) && cJSON_IsString(v) &&
		    !(m->pub_source = strdup(v->valuestring)))
			goto nomem;
	}
	if (!(m->layers = calloc((size_t)m->n_layer, sizeof *m->layers)))
		goto nomem;

	/* The tensors, named and shaped as llama.cpp's converter writes them (ne[0] = row length). */
	m->has_output = !tied;
	if (add_tensor(m, "token_embd.weight", m->n_embd, m->n_vocab, 0) ||
	    add_tensor(m, "output_norm.weight", m->n_embd, 0, 0) ||
	    (!tied && add_tensor(m, "output.weight", m->n_embd, m->n_vocab, 0)))
		goto nomem;
	for (int il = 0; il < m->n_layer; il++) {
		fit_layer *l = &m->layers[il];
		const int64_t E = m->n_embd, H = m->n_head, KV = m->n_head_kv;
		int rcur = rec && (il + 1) % r_every != 0, moe = ex && il >= x_dense;
		int bad = add_blk(m, il, "attn_norm.weight", E, 0, 0) || add_blk(m, il, "ffn_norm.weight", E, 0, 0);
		if (rcur) {
			int64_t conv = 2 * r_kh * r_kd + r_vh * r_vd;
			bad = bad || add_blk(m, il, "ssm_in.weight", E, conv + r_vh * r_vd, 0) ||
				add_blk(m, il, "ssm_ba.weight", E, 2 * r_vh, 0) ||
				add_blk(m, il, "ssm_conv1d.weight", r_kernel, conv, 0) ||
				add_blk(m, il, "ssm_a", r_vh, 0, 0) || add_blk(m, il, "ssm_dt.bias", r_vh, 0, 0) ||
				add_blk(m, il, "ssm_norm.weight", r_vd, 0, 0) ||
				add_blk(m, il, "ssm_out.weight", r_vh * r_vd, E, 0);
			l->state_elems = (r_kernel - 1) * conv + r_vh * r_kd * r_vd;
		} else if (mla) {
			if (q_lora)
				bad = bad || add_blk(m, il, "attn_q_a.weight", E, q_lora, 0) ||
					add_blk(m, il, "attn_q_a_norm.weight", q_lora, 0, 0) ||
					add_blk(m, il, "attn_q_b.weight", q_lora, H * (nope + rope), 0);
			else
				bad = bad || add_blk(m, il, "attn_q.weight", E, H * (nope + rope), 0);
			bad = bad || add_blk(m, il, "attn_kv_a_mqa.weight", E, kv_lora + rope, 0) ||
				add_blk(m, il, "attn_kv_a_norm.weight", kv_lora, 0, 0) ||
				add_blk(m, il, "attn_kv_b.weight", kv_lora, H * (nope + mla_v), 0) ||
				add_blk(m, il, "attn_output.weight", H * mla_v, E, 0);
			l->kv_elems = kv_lora + rope;   /* the latent and the shared rope key, as llama.cpp caches them */
			l->attn_flops = 2.0 * (double)H * (double)(2 * kv_lora + rope);
		} else {
			bad = bad || add_blk(m, il, "attn_q.weight", E, H * hd * (gate ? 2 : 1), 0) ||
				add_blk(m, il, "attn_k.weight", E, KV * hd, 0) ||
				add_blk(m, il, "attn_v.weight", E, KV * hdv, 0) ||
				add_blk(m, il, "attn_output.weight", H * hdv, E, 0);
			if (qk_norm)
				bad = bad || add_blk(m, il, "attn_q_norm.weight", hd, 0, 0) ||
					add_blk(m, il, "attn_k_norm.weight", hd, 0, 0);
			if (qkv_bias)
				bad = bad || add_blk(m, il, "attn_q.bias", H * hd, 0, 0) ||
					add_blk(m, il, "attn_k.bias", KV * hd, 0, 0) ||
					add_blk(m, il, "attn_v.bias", KV * hdv, 0, 0);
			l->kv_elems = KV * (hd + hdv);
			l->attn_flops = 2.0 * (double)H * (double)(hd + hdv);
			if (swa && (il + 1) % swa_every != 0)
				l->swa = (int)swa_size;
		}
		if (moe) {
			const int64_t X = m->n_expert;
			bad = bad || add_blk(m, il, "ffn_gate_inp.weight", E, X, 0) ||
				add_blk(m, il, "ffn_gate_exps.weight", E, x_ffn, X) ||
				add_blk(m, il, "ffn_up_exps.weight", E, x_ffn, X) ||
				add_blk(m, il, "ffn_down_exps.weight", x_ffn, E, X);
			if (x_shared)
				bad = bad || add_blk(m, il, "ffn_gate_shexp.weight", E, x_shared * x_sffn, 0) ||
					add_blk(m, il, "ffn_up_shexp.weight", E, x_shared * x_sffn, 0) ||
					add_blk(m, il, "ffn_down_shexp.weight", x_shared * x_sffn, E, 0);
			if (shared_gate)
				bad = bad || add_blk(m, il, "ffn_gate_inp_shexp.weight", E, 0, 0);
		} else {
			if (!ffn) {
				snprintf(err, errlen, "%s: ffn: missing (required: layer %d is dense)", path, il);
				goto fail;
			}
			bad = bad || add_blk(m, il, "ffn_gate.weight", E, ffn, 0) ||
				add_blk(m, il, "ffn_up.weight", E, ffn, 0) ||
				add_blk(m, il, "ffn_down.weight", ffn, E, 0);
		}
		if (bad)
			goto nomem;
	}
	{   /* integers must hold every sum below: refuse shapes past 10^15 parameters */
		double total = 0;
		for (size_t i = 0; i < m->n_t; i++)
			total += (double)m->t[i].ne[0] * (double)m->t[i].ne[1] * (double)m->t[i].ne[2];
		if (total > 1e15) {
			snprintf(err, errlen, "%s: the shape has %.3g parameters, past the 10^15 this model handles",
				path, total);
			goto fail;
		}
	}
	/* Tensors the publisher stores in a fixed type that every mix keeps (gpt-oss's MXFP4 experts). */
	if ((nat = cJSON_GetObjectItemCaseSensitive(j, "native_types"))) {
		if (!cJSON_IsObject(nat)) {
			snprintf(err, errlen, "%s: native_types: expected an object {\"name part\": \"type\"}", path);
			goto fail;
		}
		for (const cJSON *it = nat->child; it; it = it->next) {
			int type = cJSON_IsString(it) ? type_from_name(it->valuestring) : -1, hit = 0;
			if (type < 0) {
				snprintf(err, errlen, "%s: native_types.%s: expected a tensor type name (\"mxfp4\", \"q8_0\", ...)",
					path, it->string);
				goto fail;
			}
			for (size_t i = 0; i < m->n_t; i++)
				if (strstr(m->t[i].name, it->string)) {
					if (!row_bytes(type, m->t[i].ne[0])) {
						snprintf(err, errlen, "%s: native_types.%s: %s rows of %lld do not fill whole blocks",
							path, it->string, type_name(type), (long long)m->t[i].ne[0]);
						goto fail;
					}
					m->t[i].native = type;
					hit = 1;
				}
			if (!hit) {
				snprintf(err, errlen, "%s: native_types.%s: matches no tensor", path, it->string);
				goto fail;
			}
		}
		snprintf(m->stored, sizeof m->stored, "native");
	}
	(void)tmp;
	cJSON_Delete(j);
	return m;
nomem:
	snprintf(err, errlen, "%s: out of memory", path);
fail:
	(void)rc;
	cJSON_Delete(j);
	hx_fit_model_free(m);
	return NULL;
}

hx_fit_model *hx_fit_model_load(const char *path, char *err, size_t errlen)
{
	tb_buf b;
	hx_fit_model *m;
	FILE *f = fopen(path, "rb");
	char magic[4] = { 0 };
	size_t got;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	got = fread(magic, 1, 4, f);
	fclose(f);
	if (got == 4 && !memcmp(magic, "GGUF", 4))
		return load_gguf(path, err, errlen);
	tb_buf_init(&b, SHAPE_MAX_BYTES);
	if (tb_file_read(path, SHAPE_MAX_BYTES, &b, err, errlen)) {
		tb_buf_release(&b);
		return NULL;
	}
	m = load_shape(path, tb_buf_str(&b), err, errlen);
	tb_buf_release(&b);
	return m;
}

void hx_fit_model_describe(const hx_fit_model *m, hx_fit_model_desc *d)
{
	memset(d, 0, sizeof *d);
	d->name = m->name;
	d->arch = m->arch;
	d->stored = m->stored;
	d->from_gguf = m->from_gguf;
	d->n_layer = m->n_layer;
	d->n_embd = m->n_embd;
	d->n_head = m->n_head;
	d->n_head_kv = m->n_head_kv;
	d->n_vocab = m->n_vocab;
	d->n_ctx_train = m->n_ctx_train;
	d->n_expert = m->n_expert;
	d->n_expert_used = m->n_expert_used;
	for (int il = 0; il < m->n_layer; il++) {
		d->n_layer_recurrent += m->layers[il].state_elems > 0;
		d->n_layer_swa += m->layers[il].swa > 0;
	}
	d->pub_params = m->pub_params;
	d->pub_active_params = m->pub_active;
	d->pub_f16_gb = m->pub_f16_gb;
	d->pub_q4_k_m_gb = m->pub_q4_gb;
	d->pub_native_gb = m->pub_native_gb;
	d->pub_source = m->pub_source;
}

/* ---------------------------------------------------------------- memory */

static int is_70b(const hx_fit_model *m)
{
	return m->n_layer == 80 && ((!strcmp(m->arch, "llama") && m->n_head != m->n_head_kv) ||
		!strcmp(m->arch, "qwen2"));
}

int hx_fit_memory(const hx_fit_model *m, const char *quant, int n_ctx, int n_seq, hx_fit_mem *out,
	char *err, size_t errlen)
{
	eng_qrule r;
	uint64_t *layer_bytes = NULL, *layer_ff = NULL, ff_max = 0;
	double decode = 0, active = 0;
	int ftype = -1;

	memset(out, 0, sizeof *out);
	if (n_ctx < 1 || n_seq < 1) {
		snprintf(err, errlen, "%s: context and parallel sequences must be at least 1", m->name);
		return HX_EINVAL;
	}
	if (m->n_ctx_train > 0 && n_ctx > m->n_ctx_train) {
		snprintf(err, errlen, "%s: context %d is beyond the model's %d tokens", m->name, n_ctx,
			m->n_ctx_train);
		return HX_EINVAL;
	}
	memset(&r, 0, sizeof r);
	if (quant) {
		if ((ftype = eng_ftype_from_name(quant, NULL)) < 0) {
			char esc[64];
			hx_text_escape(esc, sizeof esc, quant);
			snprintf(err, errlen, "unknown quantisation \"%s\" (known: %s)", esc, eng_ftype_names());
			return HX_EINVAL;
		}
		r.ftype = ftype;
		r.n_layer = m->n_layer;
		r.n_gqa = m->n_head_kv > 0 ? m->n_head / m->n_head_kv : 0;
		r.n_expert = m->n_expert;
		r.is_70b = is_70b(m);
		r.is_falcon = !strcmp(m->arch, "falcon");
		r.has_output = m->has_output;
		for (size_t i = 0; i < m->n_t; i++)
			r.n_attn_v += strstr(m->t[i].name, "attn_v.weight") || strstr(m->t[i].name, "attn_qkv.weight") ||
				strstr(m->t[i].name, "attn_kv_b.weight");
	}
	snprintf(out->quant, sizeof out->quant, "%s", quant ? quant : m->stored);
	for (char *p = out->quant; quant && *p; p++)
		*p = (char)toupper((unsigned char)*p);
	layer_bytes = calloc((size_t)m->n_layer, sizeof *layer_bytes);
	layer_ff = calloc((size_t)m->n_layer, sizeof *layer_ff);
	if (!layer_bytes || !layer_ff) {
		free(layer_bytes);
		free(layer_ff);
		snprintf(err, errlen, "out of memory");
		return HX_ENOMEM;
	}
	for (size_t i = 0; i < m->n_t; i++) {
		const fit_tensor *t = &m->t[i];
		int type = t->native;
		uint64_t bytes;
		double share = 1;
		int64_t rows = t->ne[1] * t->ne[2] * t->ne[3];
		if (type < 0 && quant && eng_qrule_quantizable(t->name, t->n_dims))
			type = eng_qrule_type(&r, t->name, t->layer, t->ne[0], NULL);
		if (type < 0)
			type = m->from_gguf ? t->type : t->n_dims >= 2 && eng_qrule_quantizable(t->name, t->n_dims) ?
				ENG_T_F16 : ENG_T_F32;
		bytes = m->from_gguf && type == t->type ? t->stored_bytes : row_bytes(type, t->ne[0]) * (uint64_t)rows;
		out->weight_bytes += bytes;
		out->n_params += t_elems(t);
		if (strstr(t->name, "_exps")) {
			share = m->n_expert > 0 ? (double)m->n_expert_used / m->n_expert : 1;
			out->expert_bytes += bytes;
		}
		active += share * (double)t_elems(t);
		if (strcmp(t->name, "token_embd.weight") != 0 || !m->has_output)
			decode += share * (double)bytes;
		else
			active -= (double)t_elems(t);   /* the lookup reads one row */
		if (t->layer >= 0) {
			layer_bytes[t->layer] += bytes;
			if (strstr(t->name, "ffn_up"))
				layer_ff[t->layer] += (uint64_t)(t->ne[1] * (strstr(t->name, "_exps") ? m->n_expert_used : 1));
		} else {
			out->head_bytes += bytes;
		}
	}
	{   /* the cache in doubles first: --ctx x --parallel x a huge shape must not wrap */
		double kv = 0;
		for (int il = 0; il < m->n_layer; il++) {
			const fit_layer *l = &m->layers[il];
			int cells = l->swa > 0 && l->swa < n_ctx ? l->swa : n_ctx;
			kv += ((double)l->kv_elems * 2 * cells + (double)l->state_elems * 4) * n_seq;
		}
		if (kv > 1e18) {
			free(layer_bytes);
			free(layer_ff);
			snprintf(err, errlen, "%s: KV cache of %.3g bytes at context %d x %d sequences is past "
				"what this model handles", m->name, kv, n_ctx, n_seq);
			return HX_EINVAL;
		}
	}
	for (int il = 0; il < m->n_layer; il++) {
		const fit_layer *l = &m->layers[il];
		int cells = l->swa > 0 && l->swa < n_ctx ? l->swa : n_ctx;
		if (layer_bytes[il] > out->layer_max_bytes)
			out->layer_max_bytes = layer_bytes[il];
		if (layer_ff[il] > ff_max)
			ff_max = layer_ff[il];
		out->kv_bytes += (uint64_t)l->kv_elems * 2u * (uint64_t)cells * (uint64_t)n_seq;
		if (!l->swa)
			out->kv_bytes_per_token += (uint64_t)l->kv_elems * 2u;
		out->state_bytes += (uint64_t)l->state_elems * 4u * (uint64_t)n_seq;
	}
	free(layer_bytes);
	free(layer_ff);
	out->decode_bytes = (uint64_t)llround(decode);
	out->n_params_active = (int64_t)llround(active);
	out->bpw = out->n_params ? 8.0 * (double)out->weight_bytes / (double)out->n_params : 0;
	/* F32 activations of one 512-token ubatch: logits, a few residual-width buffers, the widest
	 * feed-forward's gate and up outputs (flash attention: no score matrix). */
	out->compute_bytes = 4ull * FIT_UBATCH * ((uint64_t)m->n_vocab + 4ull * (uint64_t)m->n_embd + 2ull * ff_max);
	out->total_bytes = out->weight_bytes + out->kv_bytes + out->state_bytes + out->compute_bytes;
	out->n_ctx = n_ctx;
	out->n_seq = n_seq;
	return 0;
}

double hx_fit_token_bytes(const hx_fit_model *m, const hx_fit_mem *mem, int depth)
{
	double kv = 0;
	for (int il = 0; il < m->n_layer; il++) {
		const fit_layer *l = &m->layers[il];
		int cells = l->swa > 0 && l->swa < depth ? l->swa : depth;
		kv += 2.0 * (double)l->kv_elems * cells + 4.0 * (double)l->state_elems;
	}
	return (double)mem->decode_bytes + kv;
}

double hx_fit_token_flops(const hx_fit_model *m, const hx_fit_mem *mem, int depth)
{
	double att = 0;
	for (int il = 0; il < m->n_layer; il++) {
		const fit_layer *l = &m->layers[il];
		int cells = l->swa > 0 && l->swa < depth ? l->swa : depth;
		att += l->attn_flops * cells;
	}
	return 2.0 * (double)mem->n_params_active + att;
}
