/* tests/engine/test_quantize.c — file quantization (engine/quantize.c): the per-tensor type
 * rule on hand-made model shapes, whole files against llama-quantize's (same tensors, order,
 * types and bytes) when the shared folder is present, every file type loading and generating
 * in the engine, and the refusals (truncated input, quantized input, unknown type, in == out). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "engine/engine.h"
#include "engine/gguf_impl.h"
#include "engine/quant_impl.h"

static char tmpdir[64];

static void tmp_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", tmpdir, name);
}

static eng_qrule llama_rule(const char *ftype, int n_layer, int n_gqa)
{
	eng_qrule r;

	memset(&r, 0, sizeof r);
	r.ftype = eng_ftype_from_name(ftype, NULL);
	r.n_layer = r.n_attn_v = n_layer;
	r.n_gqa = n_gqa;
	r.has_output = 1;
	return r;
}

/* ------------------------------------------------------------------ the rule */

static void test_quantize_names_map_to_llama_file_type_numbers(void)
{
	int base = -1;

	TB_CHECK_INT(eng_ftype_from_name("Q4_K_M", &base), 15);
	TB_CHECK_INT(base, ENG_T_Q4_K);
	TB_CHECK_INT(eng_ftype_from_name("q2_k", &base), 10);
	TB_CHECK_INT(base, ENG_T_Q2_K);
	TB_CHECK_INT(eng_ftype_from_name("Q8_0", NULL), 7);
	TB_CHECK_INT(eng_ftype_from_name("Q5_1", NULL), 9);
	TB_CHECK_INT(eng_ftype_from_name("Q3_K_L", NULL), 13);
	TB_CHECK_INT(eng_ftype_from_name("Q4_K", NULL), 15);
	TB_CHECK_INT(eng_ftype_from_name("BF16", NULL), 32);
	TB_CHECK_INT(eng_ftype_from_name("IQ2_XXS", NULL), -1);
	TB_CHECK_INT(eng_ftype_from_name("", NULL), -1);
	TB_CHECK_INT(eng_ftype_from_name(NULL, NULL), -1);
}

static void test_quantize_leaves_vectors_norms_and_gates_alone(void)
{
	TB_CHECK(eng_qrule_quantizable("blk.0.attn_q.weight", 2));
	TB_CHECK(eng_qrule_quantizable("token_embd.weight", 2));
	TB_CHECK(eng_qrule_quantizable("blk.3.ffn_down_exps.weight", 3));
	TB_CHECK(!eng_qrule_quantizable("blk.0.attn_norm.weight", 1));
	TB_CHECK(!eng_qrule_quantizable("blk.0.attn_q.weight", 1));
	TB_CHECK(!eng_qrule_quantizable("blk.0.attn_q.bias", 2));
	TB_CHECK(!eng_qrule_quantizable("blk.0.attn_q_norm.weight", 2));
	TB_CHECK(!eng_qrule_quantizable("blk.0.ffn_gate_inp.weight", 2));
	TB_CHECK(!eng_qrule_quantizable("position_embd.weight", 2));
}

static void test_quantize_q4_k_m_gives_more_bits_to_the_chosen_layers(void)
{
	eng_qrule r = llama_rule("Q4_K_M", 32, 4);
	int fb = -1, n6 = 0;

	TB_CHECK_INT(eng_qrule_type(&r, "output.weight", -1, 4096, &fb), ENG_T_Q6_K);
	TB_CHECK_INT(fb, 0);
	TB_CHECK_INT(eng_qrule_type(&r, "token_embd.weight", -1, 4096, NULL), ENG_T_Q4_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.attn_q.weight", 0, 4096, NULL), ENG_T_Q4_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.ffn_gate.weight", 0, 4096, NULL), ENG_T_Q4_K);
	/* first eighth (0..3), last eighth (28..31), every third between (6, 9, ..., 27) */
	for (int il = 0; il < 32; il++) {
		int t = eng_qrule_type(&r, "blk.N.ffn_down.weight", il, 11008, NULL);
		int expect = il < 4 || il >= 28 || (il - 4) % 3 == 2 ? ENG_T_Q6_K : ENG_T_Q4_K;
		TB_CHECK_INT(t, expect);
		TB_CHECK_INT(eng_qrule_type(&r, "blk.N.attn_v.weight", il, 4096, NULL), expect);
		n6 += t == ENG_T_Q6_K;
	}
	TB_CHECK_INT(n6, 16);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.5.attn_output.weight", 5, 4096, NULL), ENG_T_Q4_K);
	/* tied embeddings: token_embd is the output */
	r.has_output = 0;
	TB_CHECK_INT(eng_qrule_type(&r, "token_embd.weight", -1, 4096, NULL), ENG_T_Q6_K);
}

static void test_quantize_q2_k_and_q3_k_bumps_follow_gqa_and_layer(void)
{
	eng_qrule r = llama_rule("Q2_K", 22, 8);

	TB_CHECK_INT(eng_qrule_type(&r, "blk.1.attn_v.weight", 1, 2048, NULL), ENG_T_Q4_K);
	r.n_gqa = 2;
	TB_CHECK_INT(eng_qrule_type(&r, "blk.1.attn_v.weight", 1, 2048, NULL), ENG_T_Q3_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.1.ffn_down.weight", 1, 5632, NULL), ENG_T_Q3_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.1.attn_output.weight", 1, 2048, NULL), ENG_T_Q3_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.1.attn_k.weight", 1, 2048, NULL), ENG_T_Q2_K);

	r = llama_rule("Q3_K_M", 32, 1);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.attn_v.weight", 0, 4096, NULL), ENG_T_Q5_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.2.attn_v.weight", 2, 4096, NULL), ENG_T_Q4_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.1.ffn_down.weight", 1, 4096, NULL), ENG_T_Q5_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.2.ffn_down.weight", 2, 4096, NULL), ENG_T_Q4_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.2.attn_output.weight", 2, 4096, NULL), ENG_T_Q4_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.2.attn_q.weight", 2, 4096, NULL), ENG_T_Q3_K);

	r = llama_rule("Q3_K_S", 32, 1);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.attn_v.weight", 0, 4096, NULL), ENG_T_Q3_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.ffn_down.weight", 0, 4096, NULL), ENG_T_Q3_K);

	r = llama_rule("Q3_K_L", 32, 1);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.9.attn_v.weight", 9, 4096, NULL), ENG_T_Q5_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.9.attn_output.weight", 9, 4096, NULL), ENG_T_Q5_K);

	r = llama_rule("Q4_K_S", 32, 1);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.3.attn_v.weight", 3, 4096, NULL), ENG_T_Q5_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.4.attn_v.weight", 4, 4096, NULL), ENG_T_Q4_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.3.ffn_down.weight", 3, 4096, NULL), ENG_T_Q5_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.4.ffn_down.weight", 4, 4096, NULL), ENG_T_Q4_K);

	/* a "70B" llama keeps V finer; an 8-expert model keeps V and K at Q8_0 */
	r = llama_rule("Q2_K", 80, 8);
	r.is_70b = 1;
	TB_CHECK_INT(eng_qrule_type(&r, "blk.1.attn_v.weight", 1, 8192, NULL), ENG_T_Q5_K);
	r.is_70b = 0;
	r.n_expert = 8;
	TB_CHECK_INT(eng_qrule_type(&r, "blk.1.attn_v.weight", 1, 8192, NULL), ENG_T_Q8_0);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.1.attn_k.weight", 1, 8192, NULL), ENG_T_Q8_0);
}

static void test_quantize_legacy_and_q8_0_types_keep_a_q6_k_output(void)
{
	eng_qrule r = llama_rule("Q4_0", 4, 1);

	TB_CHECK_INT(eng_qrule_type(&r, "output.weight", -1, 4096, NULL), ENG_T_Q6_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.ffn_down.weight", 0, 4096, NULL), ENG_T_Q4_0);
	r = llama_rule("Q8_0", 4, 1);
	TB_CHECK_INT(eng_qrule_type(&r, "output.weight", -1, 4096, NULL), ENG_T_Q8_0);
	r = llama_rule("F16", 4, 1);
	TB_CHECK_INT(eng_qrule_type(&r, "output.weight", -1, 4096, NULL), ENG_T_F16);
}

static void test_quantize_short_rows_fall_back_like_llama_quantize(void)
{
	eng_qrule r = llama_rule("Q4_K_M", 5, 2);
	int fb = 0;

	TB_CHECK_INT(eng_qrule_type(&r, "blk.1.attn_q.weight", 1, 64, &fb), ENG_T_Q5_0);
	TB_CHECK_INT(fb, 1);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.4.attn_v.weight", 4, 64, NULL), ENG_T_Q8_0);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.1.ffn_down.weight", 1, 172, NULL), ENG_T_F16);
	TB_CHECK_INT(eng_qrule_type(&r, "output.weight", -1, 64, NULL), ENG_T_Q8_0);
	r = llama_rule("Q2_K", 5, 2);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.1.attn_q.weight", 1, 64, NULL), ENG_T_IQ4_NL);
	r = llama_rule("Q5_K_S", 5, 2);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.1.attn_q.weight", 1, 64, NULL), ENG_T_Q5_1);
	r = llama_rule("Q8_0", 5, 2);   /* llama-quantize refuses; this engine writes F16 */
	TB_CHECK_INT(eng_qrule_type(&r, "blk.1.ffn_down.weight", 1, 172, &fb), ENG_T_F16);
	TB_CHECK_INT(fb, 1);
}

/* ------------------------------------------------------------------ files */

/* Compares two GGUFs: same keys in order with the same values' bytes (via the generic value
 * reader for scalars and strings), same tensors in order with the same type, shape and bytes.
 * Returns the number of differing tensors, or -1 when the key lists differ or a file cannot be
 * read; prints what differs. */
static int compare_files(const char *a_path, const char *b_path)
{
	char err[256];
	eng_gguf *a = eng_gguf_open(a_path, err, sizeof err), *b = eng_gguf_open(b_path, err, sizeof err);
	int bad = 0;

	if (!a || !b) {
		printf("  cannot open: %s\n", err);
		bad = -1;
		goto out;
	}
	if (eng_gguf_n_kv(a) != eng_gguf_n_kv(b) || eng_gguf_n_tensors(a) != eng_gguf_n_tensors(b)) {
		printf("  %lld/%lld keys, %lld/%lld tensors\n", (long long)eng_gguf_n_kv(a),
			(long long)eng_gguf_n_kv(b), (long long)eng_gguf_n_tensors(a), (long long)eng_gguf_n_tensors(b));
		bad = -1;
		goto out;
	}
	for (int64_t i = 0; i < eng_gguf_n_kv(a); i++) {
		eng_gguf_value va, vb;
		if (strcmp(eng_gguf_key(a, i), eng_gguf_key(b, i)) != 0 ||
		    eng_gguf_kv_value(a, i, &va) || eng_gguf_kv_value(b, i, &vb) || va.type != vb.type ||
		    (va.type == ENG_GGUF_STR ? va.str_len != vb.str_len || memcmp(va.str, vb.str, va.str_len) :
		     va.type == ENG_GGUF_ARR ? va.arr_n != vb.arr_n : va.num.u != vb.num.u)) {
			printf("  key %lld: %s vs %s\n", (long long)i, eng_gguf_key(a, i), eng_gguf_key(b, i));
			bad = -1;
			goto out;
		}
	}
	for (int64_t i = 0; i < eng_gguf_n_tensors(a); i++) {
		const eng_gguf_tensor *x = eng_gguf_tensor_at(a, i), *y = eng_gguf_tensor_at(b, i);
		if (strcmp(x->name, y->name) || x->type != y->type || x->n_dims != y->n_dims ||
		    memcmp(x->ne, y->ne, sizeof x->ne) || x->size_bytes != y->size_bytes ||
		    memcmp(x->data, y->data, (size_t)x->size_bytes)) {
			printf("  tensor %lld: %s %s vs %s %s\n", (long long)i, x->name, eng_type_get(x->type)->name,
				y->name, eng_type_get(y->type)->name);
			bad++;
		}
	}
out:
	eng_gguf_close(a);
	eng_gguf_close(b);
	return bad;
}

static int files_identical(const char *a, const char *b)
{
	size_t na = 0, nb = 0;
	char *x = tb_slurp(a, &na), *y = tb_slurp(b, &nb);
	int same = x && y && na == nb && memcmp(x, y, na) == 0;

	free(x);
	free(y);
	return same;
}

static int reproduce(const char *src, const char *ref, const char *ftype, int n_threads)
{
	char out[256], err[256];
	eng_quant_params p = eng_quant_params_default();
	int diff;

	p.n_threads = n_threads;
	tmp_path(out, sizeof out, "repro.gguf");
	if (eng_quantize_file(src, out, ftype, &p, err, sizeof err) != 0) {
		printf("  %s: %s\n", ftype, err);
		return -1;
	}
	diff = compare_files(out, ref);
	printf("  %s -> %s: %d tensors differ, file %s\n", src, ftype, diff,
		files_identical(out, ref) ? "byte-identical" : "differs");
	if (diff == 0 && !files_identical(out, ref))
		diff = -1;
	unlink(out);
	return diff;
}

static void test_quantize_reproduces_llama_quantize_files_byte_for_byte(void)
{
	const char *sh = tb_shared_dir();
	static const char *const synth[] = { "Q8_0", "Q6_K", "Q4_K_M", "Q2_K" };
	static const char *const stories[] = { "Q4_K_M", "Q2_K" };
	char src[512], ref[512];

	if (!sh)
		TB_SKIP("no shared folder");
	snprintf(src, sizeof src, "%s/models/synthetic/synth-tiny-F16.gguf", sh);
	if (access(src, R_OK) != 0)
		TB_SKIP("no synthetic models");
	for (size_t i = 0; i < sizeof synth / sizeof synth[0]; i++) {
		snprintf(ref, sizeof ref, "%s/models/synthetic/synth-tiny-%s.gguf", sh, synth[i]);
		TB_CHECK_INT(reproduce(src, ref, synth[i], 1 + (int)i), 0);
	}
	snprintf(src, sizeof src, "%s/models/stories260K.gguf", sh);
	for (size_t i = 0; i < sizeof stories / sizeof stories[0]; i++) {
		snprintf(ref, sizeof ref, "%s/models/derived/stories260K-%s.gguf", sh, stories[i]);
		TB_CHECK_INT(reproduce(src, ref, stories[i], 3), 0);
	}
}

/* Greedy tokens after "Once upon a time"; returns how many were produced (-1 on error). */
static int generate(const char *path, int32_t *toks, int n, char *info_ft, size_t ft_cap)
{
	char err[256];
	eng_opts o = eng_opts_default();
	eng_model *m;
	eng_ctx *c = NULL;
	eng_ctx_params cp = eng_ctx_params_default();
	int32_t prompt[32];
	int np, got = -1;

	o.n_threads = 1;
	if (!(m = eng_load(path, &o, err, sizeof err))) {
		printf("  load %s: %s\n", path, err);
		return -1;
	}
	if (info_ft) {
		eng_model_info mi;
		eng_model_info_get(m, &mi);
		snprintf(info_ft, ft_cap, "%s", mi.file_type);
	}
	cp.n_ctx = 64;
	np = eng_tokenize(m, "Once upon a time", 16, 1, 0, prompt, 32);
	if (np <= 0 || np > 32 || !(c = eng_ctx_new(m, &cp, err, sizeof err)))
		goto out;
	eng_batch b = { np, prompt, NULL, NULL, NULL };
	for (got = 0; got < n; got++) {
		const float *lg;
		int best = 0;
		if (eng_decode(c, &b) != 0 || !(lg = eng_logits(c, b.n - 1)))
			break;
		for (int v = 1; v < eng_n_vocab(m); v++)
			if (lg[v] > lg[best])
				best = v;
		toks[got] = best;
		b = (eng_batch){ 1, &toks[got], NULL, NULL, NULL };
	}
out:
	eng_ctx_free(c);
	eng_model_free(m);
	return got;
}

static void test_quantize_every_file_type_loads_and_generates(void)
{
	const char *sh = tb_shared_dir();
	static const char *const types[] = { "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K_S",
		"Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "F16", "BF16" };
	char src[512], out[256], err[256], ft[16];
	int32_t ref[8], toks[8];
	int same_q8 = 0;

	if (!sh)
		TB_SKIP("no shared folder");
	snprintf(src, sizeof src, "%s/models/stories260K.gguf", sh);
	if (access(src, R_OK) != 0)
		TB_SKIP("no stories260K");
	TB_REQUIRE(generate(src, ref, 8, NULL, 0) == 8);
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		eng_quant_params p = eng_quant_params_default();
		p.n_threads = 2;
		tmp_path(out, sizeof out, "every.gguf");
		if (eng_quantize_file(src, out, types[i], &p, err, sizeof err) != 0) {
			printf("  %s: %s\n", types[i], err);
			TB_CHECK(0);
			continue;
		}
		TB_CHECK_INT(generate(out, toks, 8, ft, sizeof ft), 8);
		TB_CHECK_STR(ft, types[i]);
		for (int k = 0; k < 8; k++)
			TB_CHECK(toks[k] >= 0 && toks[k] < 512);
		if (strcmp(types[i], "Q8_0") == 0)
			same_q8 = memcmp(toks, ref, sizeof ref) == 0;
		unlink(out);
	}
	TB_CHECK(same_q8);   /* 8-bit weights do not change the first greedy tokens */
}

/* A small F32 model written by the test: 2 layers, rows of 256 (no fallbacks). */
static int write_small_model(const char *path, int quantized)
{
	eng_gguf_writer *w = eng_gguf_writer_new();
	char err[256];
	float *x = malloc(sizeof(float) * 256 * 256);
	uint8_t *q = malloc(eng_row_size(ENG_T_Q8_0, 256) * 256);
	int rc = -1;

	if (!w || !x || !q)
		goto out;
	for (int i = 0; i < 256 * 256; i++)
		x[i] = (float)((i * 7919) % 201 - 100) / 1000.0f;
	for (int r = 0; r < 256; r++)
		eng_quant_row_ref(ENG_T_Q8_0, x + r * 256, q + (size_t)r * eng_row_size(ENG_T_Q8_0, 256), 256, NULL);
	int64_t ne2[2] = { 256, 256 }, ne1[1] = { 256 };
	if (eng_gguf_w_str(w, "general.architecture", "llama") || eng_gguf_w_u32(w, "llama.block_count", 2) ||
	    eng_gguf_w_u32(w, "general.file_type", 0) ||
	    eng_gguf_w_tensor(w, "blk.0.attn_q.weight", quantized ? ENG_T_Q8_0 : ENG_T_F32, 2, ne2,
		    quantized ? (const void *)q : x) ||
	    eng_gguf_w_tensor(w, "blk.0.attn_norm.weight", ENG_T_F32, 1, ne1, x) ||
	    eng_gguf_w_tensor(w, "blk.1.ffn_down.weight", ENG_T_F32, 2, ne2, x))
		goto out;
	rc = eng_gguf_writer_save(w, path, err, sizeof err);
out:
	eng_gguf_writer_free(w);
	free(x);
	free(q);
	return rc;
}

static void count_progress(const eng_quant_progress *p, void *ud)
{
	int *c = ud;
	c[0]++;
	c[1] += p->requant;
	c[2] = (int)p->n_tensors;
}

static void test_quantize_keeps_the_input_and_sets_the_file_type_keys(void)
{
	char in[256], out[256], err[256];
	size_t n0 = 0, n1 = 0;
	char *before, *after;
	eng_quant_params p = eng_quant_params_default();
	int counts[3] = { 0, 0, 0 };
	eng_gguf *g;
	uint32_t v = 0;

	tmp_path(in, sizeof in, "small.gguf");
	tmp_path(out, sizeof out, "small-q4.gguf");
	TB_REQUIRE(write_small_model(in, 0) == 0);
	before = tb_slurp(in, &n0);
	p.progress = count_progress;
	p.progress_ud = counts;
	TB_CHECK_INT(eng_quantize_file(in, out, "Q4_K_M", &p, err, sizeof err), 0);
	after = tb_slurp(in, &n1);
	TB_CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0);
	free(before);
	free(after);
	TB_CHECK_INT(counts[0], 3);
	TB_CHECK_INT(counts[1], 0);
	TB_CHECK_INT(counts[2], 3);
	g = eng_gguf_open(out, err, sizeof err);
	TB_REQUIRE(g != NULL);
	TB_CHECK(eng_gguf_get_u32(g, "general.file_type", &v) == 0 && v == 15);
	TB_CHECK(eng_gguf_get_u32(g, "general.quantization_version", &v) == 0 && v == 2);
	TB_CHECK_INT(eng_gguf_find_key(g, "general.file_type"), eng_gguf_n_kv(g) - 1);
	TB_CHECK_INT(eng_gguf_find_tensor(g, "blk.0.attn_norm.weight")->type, ENG_T_F32);
	TB_CHECK_INT(eng_gguf_find_tensor(g, "blk.0.attn_q.weight")->type, ENG_T_Q4_K);
	TB_CHECK_INT(eng_gguf_find_tensor(g, "blk.1.ffn_down.weight")->type, ENG_T_Q6_K);
	/* llama.cpp's order: by layer, then by name */
	TB_CHECK_STR(eng_gguf_tensor_at(g, 0)->name, "blk.0.attn_norm.weight");
	eng_gguf_close(g);
	unlink(in);
	unlink(out);
}

static void test_quantize_refuses_bad_requests_with_one_line(void)
{
	char in[256], out[256], trunc[256], err[256];
	eng_quant_params p = eng_quant_params_default();
	size_t n = 0;
	char *buf;
	FILE *f;
	int counts[3] = { 0, 0, 0 };

	tmp_path(in, sizeof in, "src.gguf");
	tmp_path(out, sizeof out, "dst.gguf");
	tmp_path(trunc, sizeof trunc, "trunc.gguf");
	TB_REQUIRE(write_small_model(in, 0) == 0);

	err[0] = 0;
	TB_CHECK(eng_quantize_file(in, out, "Q9_X", NULL, err, sizeof err) == ENG_EINVAL);
	TB_CHECK(strstr(err, "Q9_X") && strstr(err, "Q4_K_M") && !strchr(err, '\n'));
	TB_CHECK(eng_quantize_file(in, in, "Q8_0", NULL, err, sizeof err) == ENG_EINVAL);
	TB_CHECK(strstr(err, "input") != NULL);

	buf = tb_slurp(in, &n);
	TB_REQUIRE(buf && (f = fopen(trunc, "wb")) != NULL);
	fwrite(buf, 1, n - 1000, f);
	fclose(f);
	free(buf);
	err[0] = 0;
	TB_CHECK(eng_quantize_file(trunc, out, "Q8_0", NULL, err, sizeof err) < 0);
	TB_CHECK(strstr(err, "trunc.gguf") != NULL);
	TB_CHECK(access(out, F_OK) != 0);
	TB_CHECK(eng_quantize_file("/nonexistent/x.gguf", out, "Q8_0", NULL, err, sizeof err) < 0);

	/* an already quantized input: refused, then accepted with allow_requant (flagged) */
	TB_REQUIRE(write_small_model(in, 1) == 0);
	TB_CHECK(eng_quantize_file(in, out, "Q4_0", NULL, err, sizeof err) == ENG_EUNSUPPORTED);
	TB_CHECK(strstr(err, "blk.0.attn_q.weight") && strstr(err, "q8_0") && strstr(err, "requantiz"));
	TB_CHECK(access(out, F_OK) != 0);
	p.allow_requant = 1;
	p.progress = count_progress;
	p.progress_ud = counts;
	TB_CHECK_INT(eng_quantize_file(in, out, "Q4_0", &p, err, sizeof err), 0);
	TB_CHECK_INT(counts[1], 1);
	/* Q8_0 to Q8_0 is a copy, not a requantization */
	counts[1] = 0;
	TB_CHECK_INT(eng_quantize_file(in, out, "Q8_0", &p, err, sizeof err), 0);
	TB_CHECK_INT(counts[1], 0);
	unlink(in);
	unlink(out);
	unlink(trunc);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_quantize_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	TB_RUN(test_quantize_names_map_to_llama_file_type_numbers);
	TB_RUN(test_quantize_leaves_vectors_norms_and_gates_alone);
	TB_RUN(test_quantize_q4_k_m_gives_more_bits_to_the_chosen_layers);
	TB_RUN(test_quantize_q2_k_and_q3_k_bumps_follow_gqa_and_layer);
	TB_RUN(test_quantize_legacy_and_q8_0_types_keep_a_q6_k_output);
	TB_RUN(test_quantize_short_rows_fall_back_like_llama_quantize);
	TB_RUN(test_quantize_reproduces_llama_quantize_files_byte_for_byte);
	TB_RUN(test_quantize_every_file_type_loads_and_generates);
	TB_RUN(test_quantize_keeps_the_input_and_sets_the_file_type_keys);
	TB_RUN(test_quantize_refuses_bad_requests_with_one_line);
	tb_rmtree(tmpdir);
	return tb_test_end();
}
