/* tests/engine/test_qwen3next.c — qwen3next (Qwen3-Next, Qwen3-Coder-Next) in the engine
 * (engine/model.c): gated delta-net layers with their per-sequence recurrent state, gated full
 * attention every few layers, experts with a gated shared expert, against reference outputs from
 * ik_llama.cpp (the .ref.json files in tests/fixtures/qwen3next) on the small random-weight
 * models tools/mkbench writes at test time, byte for byte the files the references were made
 * from; batched and one-at-a-time decoding give the same logits, also with several sequences
 * in one batch; a sequence's recurrent state survives another's removal and is cleared with its
 * own; files whose state sizes, convolution or tensors are wrong are refused with a one-line
 * error. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"
#include "engine/engine_impl.h"
#include "engine/gguf_impl.h"
#include "engine/quant_impl.h"
#include "harness/harness.h"
#include "test.h"
#include "refcheck.h"

/* Logit tolerance by file, about 1.5x the largest error measured against the reference over all
 * 32 steps (docs/engine.md, Qwen3-Next): the Q4_K_M file dequantized to F32 1.1e-4 (the same
 * arithmetic on the same values: this checks the delta rule, the convolution, the gates and the
 * routing tightly); F16 9.2e-2 and Q4_K_M 0.54. Those two differ in how the activations are
 * rounded before the products: ik_llama.cpp keeps them in F32 for F16 weights (its F16 and its
 * F32 copy of the F16 file agree to 1e-3), this engine rounds them to F16 as ggml's own CPU path
 * does, and both round them to 8 bits for Q4_K in their own layouts; this small random model
 * (routers, shared-expert gates and the recurrence) magnifies that rounding. */
#define Q3N_TOL_F32 2e-4
#define Q3N_TOL_F16 0.14
#define Q3N_TOL_Q4_K_M 0.8

static const tol_row TOLS[] = {
	{ "qwen3next-test-Q4_K_M-F32", Q3N_TOL_F32 },
	{ "qwen3next-test-F16", Q3N_TOL_F16 },
	{ "qwen3next-test-Q4_K_M", Q3N_TOL_Q4_K_M },
};

static char model_dir[256];

static int set_file_type_f32(eng_gguf_writer *w, void *ud)
{
	(void)ud;
	return eng_gguf_w_u32(w, "general.file_type", 0);
}

static int tensor_to_f32(eng_gguf_writer *w, const eng_gguf_tensor *t, void *ud)
{
	int64_t rows = t->ne[1] * t->ne[2] * t->ne[3];
	size_t rs = eng_row_size(t->type, t->ne[0]);
	float *d = malloc(sizeof(float) * (size_t)(rows * t->ne[0]));
	int rc;

	(void)ud;
	if (!d)
		return -1;
	for (int64_t r = 0; r < rows; r++)
		eng_dequant_row(t->type, (const char *)t->data + (size_t)r * rs, d + r * t->ne[0], t->ne[0]);
	rc = eng_gguf_w_tensor(w, t->name, ENG_T_F32, t->n_dims, t->ne, d);
	free(d);
	return rc;
}

/* Writes dst: src with every tensor dequantized to F32 and general.file_type 0 (F32). */
static int dequantize_file(const char *src, const char *dst)
{
	return ref_gguf_rewrite(src, dst, set_file_type_f32, tensor_to_f32, NULL);
}

/* The test models, written once: tools/mkbench --shape qwen3next-test F16 and Q4_K_M, and the
 * Q4_K_M file dequantized to F32. */
static int make_models(void)
{
	static const char *const shapes[] = { "qwen3next-test" };
	char src[600], dst[600];

	if (model_dir[0])
		return 0;
	if (ref_make_models(model_dir, "q3n", shapes, 1, "F16 Q4_K_M") != 0)
		return -1;
	snprintf(src, sizeof src, "%s/qwen3next-test-Q4_K_M.gguf", model_dir);
	snprintf(dst, sizeof dst, "%s/qwen3next-test-Q4_K_M-F32.gguf", model_dir);
	return dequantize_file(src, dst);
}

static eng_model *load(const char *file)
{
	char path[600], err[512];
	eng_opts o = eng_opts_default();
	eng_model *m;

	o.n_threads = 2;
	snprintf(path, sizeof path, "%s/%s", model_dir, file);
	m = eng_load(path, &o, err, sizeof err);
	if (!m)
		printf("  %s\n", err);
	return m;
}

static void test_qwen3next_matches_the_reference_on_every_file(void)
{
	TB_REQUIRE(make_models() == 0);
	ref_check_dir("tests/fixtures/qwen3next", model_dir, 3, TOLS, sizeof TOLS / sizeof TOLS[0]);
}

/* Only the attention layer (1 of 4) has a KV cache: 2 KV heads x (64 + 64) F16 values. The
 * other 3 keep per sequence an F32 state: 4 value heads x 64 x 64 for the delta rule and the
 * convolution's last 3 inputs of q, k (2 heads x 64 each) and v (4 x 64). */
static void test_qwen3next_kv_bytes_per_token_count_the_attention_layers_only(void)
{
	eng_model *m;
	eng_model_info in;

	TB_REQUIRE(make_models() == 0);
	TB_REQUIRE((m = load("qwen3next-test-F16.gguf")) != NULL);
	eng_model_info_get(m, &in);
	TB_CHECK_STR(in.arch, "qwen3next");
	TB_CHECK_INT((long long)in.kv_bytes_per_token, 1 * 2 * (64 + 64) * 2);
	TB_CHECK_INT(in.n_layer_kv, 1);
	TB_CHECK_INT((long long)in.state_bytes_per_seq, 3 * 4 * (4 * 64 * 64 + (2 * 2 * 64 + 4 * 64) * 3));
	TB_CHECK_INT(in.n_expert, 32);
	eng_model_free(m);
}

static void test_ids(int32_t *ids, int n, int salt)
{
	for (int i = 0; i < n; i++)
		ids[i] = i == 0 ? 1 : 259 + (i * 37 + salt * 101) % 700;
}

/* 20 tokens decoded in one batch, in batches of 3 and token by token: the same logits, bit for
 * bit (the recurrence runs token by token in every case). */
static void test_qwen3next_batch_composition_does_not_change_logits(void)
{
	static const char *const names[] = { "qwen3next-test-F16.gguf", "qwen3next-test-Q4_K_M.gguf" };
	enum { N = 20 };

	TB_REQUIRE(make_models() == 0);
	for (size_t f = 0; f < 2; f++) {
		int32_t ids[N];
		eng_model *m;
		float *ref, *got;
		int nv;

		test_ids(ids, N, 0);
		TB_REQUIRE((m = load(names[f])) != NULL);
		nv = eng_n_vocab(m);
		ref = malloc(sizeof(float) * N * (size_t)nv);
		got = malloc(sizeof(float) * N * (size_t)nv);
		TB_REQUIRE(ref && got);
		TB_REQUIRE(ref_decode_all(m, ids, N, N, ref) == 0);
		for (int step = 3; step >= 1; step -= 2) {
			TB_REQUIRE(ref_decode_all(m, ids, N, step, got) == 0);
			TB_CHECK(memcmp(ref, got, sizeof(float) * N * (size_t)nv) == 0);
		}
		free(ref);
		free(got);
		eng_model_free(m);
	}
}

/* Three sequences fed together (their prompts interleaved in one batch, then one token each
 * per batch) give each sequence the logits it has alone; removing sequence 1 leaves sequences 0
 * and 2 as they were (their next tokens' logits are unchanged), and sequence 1 starts again from
 * an empty state: its prompt decoded anew gives its first logits again. */
static void test_qwen3next_sequences_decode_together_and_keep_their_state(void)
{
	enum { S = 3, P = 6, G = 4 };
	int32_t ids[S][P + G];
	float *alone, *lg;
	eng_model *m;
	eng_ctx *c;
	eng_ctx_params cp = eng_ctx_params_default();
	char err[512];
	int nv, same = 1;

	TB_REQUIRE(make_models() == 0);
	TB_REQUIRE((m = load("qwen3next-test-F16.gguf")) != NULL);
	nv = eng_n_vocab(m);
	alone = malloc(sizeof(float) * S * (P + G) * (size_t)nv);
	lg = malloc(sizeof(float) * (size_t)nv);
	TB_REQUIRE(alone && lg);
	for (int s = 0; s < S; s++) {
		test_ids(ids[s], P + G, s + 1);
		TB_REQUIRE(ref_decode_all(m, ids[s], P + G, 1, alone + (size_t)s * (P + G) * (size_t)nv) == 0);
	}
	cp.n_ctx = 64;
	cp.n_seq = S;
	cp.n_outputs = S * P;
	TB_REQUIRE((c = eng_ctx_new(m, &cp, err, sizeof err)) != NULL);
	{
		int32_t tok[S * P], seq[S * P];
		int8_t want[S * P];
		eng_batch b = { S * P, tok, NULL, seq, want };

		for (int i = 0; i < P; i++)
			for (int s = 0; s < S; s++) {
				tok[i * S + s] = ids[s][i];
				seq[i * S + s] = s;
				want[i * S + s] = 1;
			}
		TB_REQUIRE(eng_decode(c, &b) == 0);
		for (int i = 0; i < P; i++)
			for (int s = 0; s < S; s++)
				same &= memcmp(eng_logits(c, i * S + s), alone + ((size_t)s * (P + G) + (size_t)i) * (size_t)nv,
					sizeof(float) * (size_t)nv) == 0;
		TB_CHECK(same);
	}
	/* one token of each sequence per batch, sequence 1 removed after the first */
	for (int g = 0; g < G; g++) {
		int32_t tok[S], seq[S];
		int8_t want[S] = { 1, 1, 1 };
		int k = 0;

		for (int s = 0; s < S; s++) {
			if (s == 1 && g > 0)
				continue;
			tok[k] = ids[s][P + g];
			seq[k++] = s;
		}
		eng_batch b = { k, tok, NULL, seq, want };
		TB_REQUIRE(eng_decode(c, &b) == 0);
		for (int i = 0; i < k; i++)
			TB_CHECK(memcmp(eng_logits(c, i), alone + ((size_t)seq[i] * (P + G) + (size_t)(P + g)) * (size_t)nv,
				sizeof(float) * (size_t)nv) == 0);
		if (g == 0) {
			eng_kv_remove(c, 1, 0, -1);
			TB_CHECK_INT(eng_kv_len(c, 1), 0);
			TB_CHECK_INT(eng_kv_len(c, 0), P + 1);
		}
	}
	/* sequence 1 again from nothing: its first token's logits as at the start */
	{
		int32_t seq1 = 1;
		eng_batch b = { 1, ids[1], NULL, &seq1, NULL };

		TB_REQUIRE(eng_decode(c, &b) == 0);
		TB_CHECK(memcmp(eng_logits(c, 0), alone + (size_t)1 * (P + G) * (size_t)nv, sizeof(float) * (size_t)nv) == 0);
	}
	/* removing a later part of a sequence cannot roll its state back: the whole sequence goes */
	eng_kv_remove(c, 0, 3, -1);
	TB_CHECK_INT(eng_kv_len(c, 0), 0);
	TB_CHECK_INT(eng_kv_len(c, 2), P + G);
	eng_ctx_free(c);
	free(alone);
	free(lg);
	eng_model_free(m);
}

/* qwen3next's delta-net widths, for split_ssm_in. */
typedef struct q3n_dims { uint32_t hk, nk, inner; } q3n_dims;

/* ssm_in's rows regrouped into attn_qkv (all q rows, all k rows, all v rows) and attn_gate (the
 * z rows); other tensors copied. */
static int split_ssm_in(eng_gguf_writer *w, const eng_gguf_tensor *t, void *ud)
{
	const q3n_dims *q = ud;
	size_t rs = eng_row_size(t->type, t->ne[0]), gv = q->inner / q->nk, blk = 2 * q->hk + 2 * gv;
	size_t K = (size_t)q->nk * q->hk;
	int64_t ne_qkv[2] = { t->ne[0], (int64_t)(2 * K + q->inner) }, ne_g[2] = { t->ne[0], (int64_t)q->inner };
	const char *d = t->data, *at = strstr(t->name, "ssm_in.weight");
	char name[96], *qkv, *gate;
	int rc;

	if (!at)
		return eng_gguf_w_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data);
	qkv = malloc(rs * (2 * K + q->inner));
	gate = malloc(rs * q->inner);
	rc = !qkv || !gate ? -1 : 0;
	for (size_t k = 0; !rc && k < q->nk; k++) {
		memcpy(qkv + k * q->hk * rs, d + k * blk * rs, q->hk * rs);
		memcpy(qkv + (K + k * q->hk) * rs, d + (k * blk + q->hk) * rs, q->hk * rs);
		memcpy(qkv + (2 * K + k * gv) * rs, d + (k * blk + 2 * q->hk) * rs, gv * rs);
		memcpy(gate + k * gv * rs, d + (k * blk + 2 * q->hk + gv) * rs, gv * rs);
	}
	snprintf(name, sizeof name, "%.*sattn_qkv.weight", (int)(at - t->name), t->name);
	rc = rc || eng_gguf_w_tensor(w, name, t->type, 2, ne_qkv, qkv) != 0;
	snprintf(name, sizeof name, "%.*sattn_gate.weight", (int)(at - t->name), t->name);
	rc = rc || eng_gguf_w_tensor(w, name, t->type, 2, ne_g, gate) != 0;
	free(qkv);
	free(gate);
	return rc ? -1 : 0;
}

/* The F16 file rewritten with each ssm_in split into the attn_qkv / attn_gate form: the engine
 * gives the same logits bit for bit (the same rows through the same kernels). */
static void test_qwen3next_split_qkv_gate_form_matches_ssm_in(void)
{
	enum { N = 12 };
	char src[600], dst[600], err[512];
	q3n_dims q = { 0, 0, 0 };
	eng_gguf *g;
	int32_t ids[N];
	eng_model *a, *b;
	float *la, *lb;
	int nv;

	TB_REQUIRE(make_models() == 0);
	snprintf(src, sizeof src, "%s/qwen3next-test-F16.gguf", model_dir);
	snprintf(dst, sizeof dst, "%s/split.gguf", model_dir);
	TB_REQUIRE((g = eng_gguf_open(src, err, sizeof err)) != NULL);
	eng_gguf_get_u32(g, "qwen3next.ssm.state_size", &q.hk);
	eng_gguf_get_u32(g, "qwen3next.ssm.group_count", &q.nk);
	eng_gguf_get_u32(g, "qwen3next.ssm.inner_size", &q.inner);
	eng_gguf_close(g);
	TB_REQUIRE(q.hk && q.nk && q.inner);
	TB_REQUIRE(ref_gguf_rewrite(src, dst, NULL, split_ssm_in, &q) == 0);
	test_ids(ids, N, 5);
	TB_REQUIRE((a = load("qwen3next-test-F16.gguf")) != NULL);
	TB_REQUIRE((b = load("split.gguf")) != NULL);
	nv = eng_n_vocab(a);
	la = malloc(sizeof(float) * N * (size_t)nv);
	lb = malloc(sizeof(float) * N * (size_t)nv);
	TB_REQUIRE(la && lb);
	TB_REQUIRE(ref_decode_all(a, ids, N, 4, la) == 0);
	TB_REQUIRE(ref_decode_all(b, ids, N, 4, lb) == 0);
	TB_CHECK(memcmp(la, lb, sizeof(float) * N * (size_t)nv) == 0);
	free(la);
	free(lb);
	eng_model_free(a);
	eng_model_free(b);
	unlink(dst);
}

/* An edit of the test file: drop_tensor left out, key set to a u32 (or removed when val < 0),
 * the tensor named resize (when not NULL) written with its first dimension one less. */
typedef struct edit { const char *drop_tensor, *key; long val; const char *resize; } edit;

static int edit_kv(eng_gguf_writer *w, void *ud)
{
	const edit *e = ud;

	if (e->key && e->val < 0)
		eng_gguf_w_remove(w, e->key);
	else if (e->key)
		return eng_gguf_w_u32(w, e->key, (uint32_t)e->val);
	return 0;
}

static int edit_tensor(eng_gguf_writer *w, const eng_gguf_tensor *t, void *ud)
{
	const edit *e = ud;
	int64_t ne[4] = { t->ne[0], t->ne[1], t->ne[2], t->ne[3] };

	if (e->drop_tensor && strcmp(t->name, e->drop_tensor) == 0)
		return 0;
	if (e->resize && strcmp(t->name, e->resize) == 0)
		ne[0]--;
	return eng_gguf_w_tensor(w, t->name, t->type, t->n_dims, ne, t->data);
}

/* The F16 file rewritten with a tensor missing, a key changed or a convolution of the wrong
 * width: eng_load refuses it with a one-line error naming the tensor or key, and does not
 * crash; no context is made for state sizes that do not fit. */
static void test_qwen3next_refuses_inconsistent_files(void)
{
	static const struct { const char *drop_tensor, *key; long val; const char *resize, *want; } cases[] = {
		{ NULL, "qwen3next.ssm.state_size", 4000000000L, NULL, "qwen3next.ssm.state_size" },
		{ NULL, "qwen3next.ssm.inner_size", 4000000000L, NULL, "qwen3next.ssm.inner_size" },
		{ NULL, "qwen3next.ssm.time_step_rank", 0x7fffffffL, NULL, "qwen3next.ssm.time_step_rank" },
		{ NULL, "qwen3next.ssm.group_count", 3, NULL, "qwen3next.ssm.inner_size" },
		{ NULL, "qwen3next.ssm.state_size", 16, NULL, "qwen3next.ssm.state_size" },
		{ NULL, "qwen3next.ssm.conv_kernel", -1, NULL, "qwen3next.ssm.conv_kernel" },
		{ NULL, "qwen3next.ssm.conv_kernel", 5, NULL, "blk.0.ssm_conv1d.weight" },
		{ NULL, NULL, 0, "blk.1.ssm_conv1d.weight", "blk.1.ssm_conv1d.weight" },
		{ NULL, "qwen3next.full_attention_interval", 9, NULL, "qwen3next.full_attention_interval" },
		{ NULL, "qwen3next.full_attention_interval", 2, NULL, "blk.1.attn_q.weight" },
		{ "blk.0.ssm_norm.weight", NULL, 0, NULL, "blk.0.ssm_norm.weight" },
		{ "blk.2.ssm_ba.weight", NULL, 0, NULL, "blk.2.ssm_ba.weight" },
		{ "blk.1.ssm_a", NULL, 0, NULL, "blk.1.ssm_a" },
		{ "blk.1.ssm_in.weight", NULL, 0, NULL, "blk.1.ssm_in.weight" },
		{ "blk.3.attn_q_norm.weight", NULL, 0, NULL, "blk.3.attn_q_norm.weight" },
		{ "blk.3.post_attention_norm.weight", NULL, 0, NULL, "blk.3.post_attention_norm.weight" },
		{ "blk.2.ffn_gate_inp_shexp.weight", NULL, 0, NULL, "blk.2.ffn_gate_inp_shexp.weight" },
		{ "blk.0.ffn_up_shexp.weight", NULL, 0, NULL, "blk.0.ffn_up_shexp.weight" },
		{ NULL, NULL, 0, "blk.3.attn_q.weight", "blk.3.attn_q.weight" },
	};
	char src[600], dst[600];

	TB_REQUIRE(make_models() == 0);
	snprintf(src, sizeof src, "%s/qwen3next-test-F16.gguf", model_dir);
	snprintf(dst, sizeof dst, "%s/bad.gguf", model_dir);
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		edit e = { cases[k].drop_tensor, cases[k].key, cases[k].val, cases[k].resize };

		TB_REQUIRE(ref_gguf_rewrite(src, dst, edit_kv, edit_tensor, &e) == 0);
		ref_expect_refused(dst, cases[k].want);
	}
	unlink(dst);
}

/* eng_kv_copy: a sequence copied after its prompt continues exactly as the original
 * (refcheck.h's ref_check_kv_copy) on qwen3next-test-F16.gguf, qwen3next-test-Q4_K_M.gguf. */
static void test_qwen3next_copied_sequence_continues_as_the_original(void)
{
	static const char *const names[] = { "qwen3next-test-F16.gguf", "qwen3next-test-Q4_K_M.gguf" };

	TB_REQUIRE(make_models() == 0);
	ref_check_kv_copy_files(model_dir, names, sizeof names / sizeof names[0]);
}

int main(void)
{
	TB_RUN(test_qwen3next_matches_the_reference_on_every_file);
	TB_RUN(test_qwen3next_kv_bytes_per_token_count_the_attention_layers_only);
	TB_RUN(test_qwen3next_batch_composition_does_not_change_logits);
	TB_RUN(test_qwen3next_sequences_decode_together_and_keep_their_state);
	TB_RUN(test_qwen3next_split_qkv_gate_form_matches_ssm_in);
	TB_RUN(test_qwen3next_refuses_inconsistent_files);
	TB_RUN(test_qwen3next_copied_sequence_continues_as_the_original);
	if (model_dir[0])
		tb_rmtree(model_dir);
	return tb_test_end();
}
