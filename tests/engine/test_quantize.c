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
#include "refcheck.h"

static char tmpdir[64];
static char moe_dir[256];

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
	TB_CHECK_INT(eng_ftype_from_name("IQ2_XXS", &base), 19);
	TB_CHECK_INT(base, ENG_T_IQ2_XXS);
	TB_CHECK_INT(eng_ftype_from_name("IQ2_S", &base), 28);
	TB_CHECK_INT(base, ENG_T_IQ2_XS);   /* llama.cpp's IQ2_S mix is mostly iq2_xs */
	TB_CHECK_INT(eng_ftype_from_name("IQ2_M", &base), 29);
	TB_CHECK_INT(base, ENG_T_IQ2_S);
	TB_CHECK_INT(eng_ftype_from_name("IQ3_M", &base), 27);
	TB_CHECK_INT(base, ENG_T_IQ3_S);
	TB_CHECK_INT(eng_ftype_from_name("iq1_m", NULL), 31);
	TB_CHECK_STR(eng_ftype_name(24), "IQ1_S");
	TB_CHECK(eng_ftype_needs_imatrix(24) && eng_ftype_needs_imatrix(21) && !eng_ftype_needs_imatrix(23));
	TB_CHECK_INT(eng_ftype_from_name("IQ5_Q", NULL), -1);
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


/* ------------------------------------------------------------------ importance matrices and mixes */

/* One line of a llama-quantize listing (tests/fixtures/imatrix/llama-quantize-*.txt). */
typedef struct lq_line {
	char ftype[16], name[96], type[16];
	uint64_t hash;
} lq_line;

static int lq_read(const char *path, lq_line *out, int cap)
{
	FILE *f = fopen(path, "r");
	char line[256];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f) && n < cap) {
		unsigned long long h;

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%15s %95s %15s %llx", out[n].ftype, out[n].name, out[n].type, &h) == 4) {
			out[n].hash = h;
			n++;
		}
	}
	fclose(f);
	return n;
}

static uint64_t fnv1a(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

typedef struct plan {
	char name[256][96], type[256][16];
	int n;
} plan;

static void plan_add(const eng_quant_progress *pr, void *ud)
{
	plan *pl = ud;

	if (pl->n < 256) {
		snprintf(pl->name[pl->n], sizeof pl->name[0], "%s", pr->name);
		snprintf(pl->type[pl->n], sizeof pl->type[0], "%s", pr->type_out);
		pl->n++;
	}
}

/* The type of every tensor, for every file type of the listing, as llama-quantize chose it with
 * the same importance matrix (decided without quantizing, so the IQ mixes are checked whether or
 * not this build has their quantizers); then, for each file type whose tensors this build can
 * all quantize, the bytes of every tensor. */
static void check_listing(const char *model, const char *imatrix, const char *listing, int *n_types,
		int *n_bytes_checked)
{
	static lq_line lines[2000];
	int n = lq_read(listing, lines, 2000);
	eng_imatrix *im;
	char err[512];

	TB_REQUIRE(n > 0);
	TB_REQUIRE((im = eng_imatrix_load(imatrix, err, sizeof err)) != NULL);
	for (int i = 0; i < n;) {
		eng_quant_params p = eng_quant_params_default();
		plan pl;
		int j = i, rc;
		char out[256];

		while (j < n && strcmp(lines[j].ftype, lines[i].ftype) == 0)
			j++;
		memset(&pl, 0, sizeof pl);
		p.imatrix = im;
		p.dry_run = 1;
		p.progress = plan_add;
		p.progress_ud = &pl;
		rc = eng_quantize_file(model, "unused.gguf", lines[i].ftype, &p, err, sizeof err);
		if (rc != 0)
			printf("  %s: %s\n", lines[i].ftype, err);
		TB_CHECK_INT(rc, 0);
		TB_CHECK_INT(pl.n, j - i);
		for (int k = i; k < j && k - i < pl.n; k++) {
			if (strcmp(pl.name[k - i], lines[k].name) != 0 || strcmp(pl.type[k - i], lines[k].type) != 0) {
				printf("  %s: %s %s, llama-quantize %s %s\n", lines[i].ftype, pl.name[k - i], pl.type[k - i],
					lines[k].name, lines[k].type);
				TB_CHECK(0);
			}
		}
		(*n_types)++;

		/* the bytes */
		p = eng_quant_params_default();
		p.imatrix = im;
		p.n_threads = 2;
		tmp_path(out, sizeof out, "imat.gguf");
		rc = eng_quantize_file(model, out, lines[i].ftype, &p, err, sizeof err);
		if (rc == ENG_EUNSUPPORTED && strstr(err, "cannot quantize to iq")) {
			printf("  %s: bytes not compared: %s\n", lines[i].ftype, err);
		} else {
			eng_gguf *g;

			if (rc != 0)
				printf("  %s: %s\n", lines[i].ftype, err);
			TB_CHECK_INT(rc, 0);
			if (rc == 0 && (g = eng_gguf_open(out, err, sizeof err)) != NULL) {
				for (int k = i; k < j; k++) {
					const eng_gguf_tensor *t = eng_gguf_find_tensor(g, lines[k].name);

					if (!t || fnv1a(t->data, t->size_bytes) != lines[k].hash) {
						printf("  %s: tensor %s (%s) differs from llama-quantize's\n", lines[i].ftype,
							lines[k].name, lines[k].type);
						TB_CHECK(0);
					}
				}
				eng_gguf_close(g);
				(*n_bytes_checked)++;
			}
		}
		i = j;
	}
	eng_imatrix_free(im);
}

static void test_quantize_with_an_imatrix_matches_llama_quantize_types_and_bytes(void)
{
	const char *sh = tb_shared_dir();
	char model[512];
	int n_types = 0, n_bytes = 0;

	if (!sh)
		TB_SKIP("no shared folder");
	snprintf(model, sizeof model, "%s/models/synthetic/synth-tiny-F16.gguf", sh);
	check_listing(model, "tests/fixtures/imatrix/synth-tiny-wiki-c128x3.dat",
		"tests/fixtures/imatrix/llama-quantize-synth-tiny.txt", &n_types, &n_bytes);
	snprintf(model, sizeof model, "%s/models/stories260K.gguf", sh);
	check_listing(model, "tests/fixtures/imatrix/stories260K-wiki-c128x4.dat",
		"tests/fixtures/imatrix/llama-quantize-stories260K.txt", &n_types, &n_bytes);
	/* a mixture of experts (tools/mkbench's qwen2moe-test: 16 experts and shared experts), each
	 * expert quantized with its own weights */
	{
		static const char *const shapes[] = { "qwen2moe-test" };

		TB_REQUIRE(ref_make_models(moe_dir, "quantize", shapes, 1, "F16") == 0);
		snprintf(model, sizeof model, "%s/qwen2moe-test-F16.gguf", moe_dir);
		check_listing(model, "tests/fixtures/imatrix/qwen2moe-test-wiki-c128x8.dat",
			"tests/fixtures/imatrix/llama-quantize-qwen2moe-test.txt", &n_types, &n_bytes);
	}
	printf("  %d file types' tensor types checked, %d files' bytes\n", n_types, n_bytes);
	TB_CHECK(n_types == 23 + 17 + 14);
	/* the K-quants, legacy types and IQ4_XS/IQ4_NL at least (14 + 8 + 5) */
	TB_CHECK(n_bytes >= 27);
}

/* The IQ mixes' rule on tensor names of other architectures (llama.cpp's llama_tensor_get_type). */
static void test_quantize_iq_mixes_follow_llama_rules_on_moe_and_gqa_models(void)
{
	eng_qrule r = llama_rule("IQ2_XXS", 32, 1);
	int fb;

	r.has_imatrix = 1;
	TB_CHECK_INT(eng_qrule_type(&r, "output.weight", -1, 4096, &fb), ENG_T_Q5_K);
	TB_CHECK_INT(eng_qrule_type(&r, "token_embd.weight", -1, 4096, &fb), ENG_T_Q2_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.5.attn_v.weight", 5, 4096, &fb), ENG_T_Q2_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.3.ffn_down.weight", 3, 11008, &fb), ENG_T_Q2_K);   /* 3 < 32/8 */
	TB_CHECK_INT(eng_qrule_type(&r, "blk.4.ffn_down.weight", 4, 11008, &fb), ENG_T_IQ2_XXS);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.4.attn_output.weight", 4, 4096, &fb), ENG_T_IQ2_XXS);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.4.ffn_gate.weight", 4, 4096, &fb), ENG_T_IQ2_XXS);
	/* GQA 8 (Llama 3 70B): V at q4_K */
	r = llama_rule("IQ1_S", 80, 8);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.attn_v.weight", 0, 8192, &fb), ENG_T_Q4_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.9.attn_output.weight", 9, 8192, &fb), ENG_T_IQ2_XXS);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.9.attn_q.weight", 9, 8192, &fb), ENG_T_IQ1_S);
	r = llama_rule("IQ2_M", 32, 1);
	TB_CHECK_INT(eng_qrule_type(&r, "token_embd.weight", -1, 4096, &fb), ENG_T_IQ3_S);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.attn_v.weight", 0, 4096, &fb), ENG_T_IQ3_S);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.ffn_down.weight", 0, 11008, &fb), ENG_T_IQ3_S);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.9.attn_output.weight", 9, 4096, &fb), ENG_T_IQ3_S);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.9.ffn_up.weight", 9, 4096, &fb), ENG_T_IQ2_S);
	/* Mixtral (8 experts): k at q4_K, attention output q5_K */
	r = llama_rule("IQ2_XS", 32, 4);
	r.n_expert = 8;
	TB_CHECK_INT(eng_qrule_type(&r, "blk.2.attn_k.weight", 2, 4096, &fb), ENG_T_Q4_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.2.attn_output.weight", 2, 4096, &fb), ENG_T_Q5_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.2.ffn_up_exps.weight", 2, 4096, &fb), ENG_T_IQ2_XS);
	/* DeepSeek-like (64 routed + shared experts): llama.cpp counts ffn_down tensors, two per
	 * layer, against n_layer / 8, so only the first n_layer / 16 layers get q2_K */
	r = llama_rule("IQ1_M", 64, 1);
	r.n_expert = 64;
	r.i_ffn_down = 7;   /* blk.3.ffn_down_shexp */
	TB_CHECK_INT(eng_qrule_type(&r, "blk.3.ffn_down_shexp.weight", 3, 2048, &fb), ENG_T_Q2_K);
	r.i_ffn_down = 8;   /* blk.4.ffn_down_exps: layer 4 < 64/8, but the eighth ffn_down */
	TB_CHECK_INT(eng_qrule_type(&r, "blk.4.ffn_down_exps.weight", 4, 2048, &fb), ENG_T_IQ1_M);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.4.attn_v.weight", 4, 2048, &fb), ENG_T_Q4_K);   /* n_expert >= 4 */
	/* the 3- and 4-bit mixes, with and without an imatrix */
	r = llama_rule("IQ3_XXS", 32, 1);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.attn_v.weight", 0, 4096, &fb), ENG_T_IQ3_S);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.attn_k.weight", 0, 4096, &fb), ENG_T_IQ2_S);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.ffn_down.weight", 0, 11008, &fb), ENG_T_Q4_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.8.ffn_down.weight", 8, 11008, &fb), ENG_T_Q3_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.8.attn_output.weight", 8, 4096, &fb), ENG_T_IQ3_S);
	r.has_imatrix = 1;
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.attn_v.weight", 0, 4096, &fb), ENG_T_IQ3_XXS);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.ffn_down.weight", 0, 11008, &fb), ENG_T_IQ3_XXS);
	r = llama_rule("IQ4_XS", 32, 4);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.attn_v.weight", 0, 4096, &fb), ENG_T_Q5_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.ffn_down.weight", 0, 11008, &fb), ENG_T_Q5_K);
	r.has_imatrix = 1;
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.ffn_down.weight", 0, 11008, &fb), ENG_T_IQ4_XS);
	r = llama_rule("IQ3_M", 32, 1);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.0.attn_v.weight", 0, 4096, &fb), ENG_T_Q4_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.9.attn_output.weight", 9, 4096, &fb), ENG_T_Q4_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.3.ffn_down.weight", 3, 11008, &fb), ENG_T_Q4_K);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.9.ffn_down.weight", 9, 11008, &fb), ENG_T_IQ3_S);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.9.attn_qkv.weight", 9, 4096, &fb), ENG_T_Q4_K);
	/* Q4_0 with an imatrix: the first eighth of ffn_down at q4_1 */
	r = llama_rule("Q4_0", 32, 1);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.1.ffn_down.weight", 1, 11008, &fb), ENG_T_Q4_0);
	r.has_imatrix = 1;
	TB_CHECK_INT(eng_qrule_type(&r, "blk.1.ffn_down.weight", 1, 11008, &fb), ENG_T_Q4_1);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.4.ffn_down.weight", 4, 11008, &fb), ENG_T_Q4_0);
	/* short rows: the IQ types fall back to iq4_nl */
	r = llama_rule("IQ2_XXS", 32, 1);
	TB_CHECK_INT(eng_qrule_type(&r, "blk.9.ffn_up.weight", 9, 4096 + 32, &fb), ENG_T_IQ4_NL);
	TB_CHECK(fb);
}

/* An imatrix holding only the entries named (each n_in wide, seen once with x = 1). */
static eng_imatrix *partial_imatrix(const char *const *names, const int64_t *n_in, int n)
{
	eng_imatrix *im = eng_imatrix_new();
	static float ones[4096];

	for (int i = 0; i < 4096; i++)
		ones[i] = 1.0f;
	for (int i = 0; im && i < n; i++) {
		eng_matmul_obs o = { names[i], -1, 1, 16, 1, n_in[i], (size_t)n_in[i], ones };

		eng_imatrix_observe(im, &o);
	}
	return im;
}

static void count_without(const eng_quant_progress *pr, void *ud)
{
	*(long *)ud += pr->no_imatrix;
}

static void test_quantize_imatrix_refusals_name_the_tensor(void)
{
	const char *sh = tb_shared_dir();
	eng_quant_params p = eng_quant_params_default();
	char model[512], out[256], err[512];
	eng_imatrix *im;
	int rc;

	if (!sh)
		TB_SKIP("no shared folder");
	snprintf(model, sizeof model, "%s/models/synthetic/synth-tiny-F16.gguf", sh);
	tmp_path(out, sizeof out, "refuse.gguf");
	p.n_threads = 2;
	/* the 1- and 2-bit types without an imatrix: refused up front, naming the option */
	static const char *const need[] = { "IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "Q2_K_S" };
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
		TB_CHECK_INT(eng_quantize_file(model, out, need[i], &p, err, sizeof err), ENG_EINVAL);
		TB_CHECK(strstr(err, "--imatrix FILE") != NULL && strstr(err, need[i]) != NULL);
	}
	/* IQ3_XXS without one gives its q and k tensors iq2_s, which needs one: named */
	TB_CHECK_INT(eng_quantize_file(model, out, "IQ3_XXS", &p, err, sizeof err), ENG_EINVAL);
	TB_CHECK(strstr(err, "tensor 'blk.0.attn_k.weight': iq2_s needs an importance matrix") != NULL);

	/* an imatrix of another model: stories260K's on synth-tiny */
	TB_REQUIRE((im = eng_imatrix_load("tests/fixtures/imatrix/stories260K-wiki-c128x4.dat", err, sizeof err)));
	p.imatrix = im;
	rc = eng_quantize_file(model, out, "Q4_K_M", &p, err, sizeof err);
	TB_CHECK_INT(rc, ENG_EINVAL);
	TB_CHECK(strstr(err, "tensor 'blk.0.attn_k.weight': the importance matrix has 64 values for it, "
		"the tensor needs 256") != NULL);
	eng_imatrix_free(im);
	/* an empty one */
	TB_REQUIRE((im = eng_imatrix_new()) != NULL);
	p.imatrix = im;
	p.imatrix_file = "empty.gguf";
	TB_CHECK_INT(eng_quantize_file(model, out, "Q4_K_M", &p, err, sizeof err), ENG_EINVAL);
	TB_CHECK_STR(err, "the importance matrix empty.gguf has no entries");
	p.imatrix_file = NULL;
	eng_imatrix_free(im);
	/* nothing in common */
	{
		const char *names[] = { "blk.0.ssm_in.weight" };
		int64_t n_in[] = { 256 };

		TB_REQUIRE((im = partial_imatrix(names, n_in, 1)) != NULL);
		p.imatrix = im;
		TB_CHECK_INT(eng_quantize_file(model, out, "Q4_K_M", &p, err, sizeof err), ENG_EINVAL);
		TB_CHECK(strstr(err, "no entry for any tensor") != NULL && strstr(err, "blk.0.ssm_in.weight") != NULL);
		eng_imatrix_free(im);
	}
	/* missing entries: llama-quantize quantizes such a tensor without weights, except for the
	 * types that need them, which it refuses naming the tensor */
	{
		const char *names[] = { "blk.0.attn_q.weight", "blk.0.attn_k.weight" };
		int64_t n_in[] = { 256, 256 };

		long n_without = 0;

		TB_REQUIRE((im = partial_imatrix(names, n_in, 2)) != NULL);
		p.imatrix = im;
		p.progress = count_without;
		p.progress_ud = &n_without;
		TB_CHECK_INT(eng_quantize_file(model, out, "Q4_K_M", &p, err, sizeof err), 0);
		TB_CHECK_INT(n_without, 12);   /* 14 block weights, 2 with entries */
		p.progress = NULL;
		p.dry_run = 1;
		TB_CHECK_INT(eng_quantize_file(model, out, "IQ2_XXS", &p, err, sizeof err), ENG_EINVAL);
		TB_CHECK(strstr(err, "tensor 'blk.0.attn_output.weight': the importance matrix has no entry for it, "
			"and iq2_xxs needs one") != NULL);
		p.dry_run = 0;
		eng_imatrix_free(im);
	}
}

static void test_quantize_tensor_type_overrides_apply_and_refuse_clearly(void)
{
	const char *sh = tb_shared_dir();
	eng_quant_params p = eng_quant_params_default();
	char model[512], out[256], err[512];
	plan pl;
	const char *ov[3];

	if (!sh)
		TB_SKIP("no shared folder");
	snprintf(model, sizeof model, "%s/models/synthetic/synth-tiny-F16.gguf", sh);
	tmp_path(out, sizeof out, "override.gguf");
	p.n_threads = 2;
	p.tensor_types = ov;
	/* attention at q8_0, then blk.1's attn_q at q5_K (the last match wins) */
	ov[0] = "attn_(q|k|v|output)\\.weight$=q8_0";
	ov[1] = "blk\\.1\\.attn_q=Q5_K";
	p.n_tensor_types = 2;
	memset(&pl, 0, sizeof pl);
	p.progress = plan_add;
	p.progress_ud = &pl;
	TB_CHECK_INT(eng_quantize_file(model, out, "Q4_K_M", &p, err, sizeof err), 0);
	for (int i = 0; i < pl.n; i++) {
		const char *want = strcmp(pl.name[i], "blk.1.attn_q.weight") == 0 ? "q5_K" :
			strstr(pl.name[i], "attn_") && !strstr(pl.name[i], "norm") ? "q8_0" : NULL;

		if (want && strcmp(pl.type[i], want) != 0) {
			printf("  %s: %s, want %s\n", pl.name[i], pl.type[i], want);
			TB_CHECK(0);
		}
		if (strcmp(pl.name[i], "blk.0.ffn_up.weight") == 0)
			TB_CHECK_STR(pl.type[i], "q4_K");
	}
	{
		eng_gguf *g = eng_gguf_open(out, err, sizeof err);

		TB_REQUIRE(g);
		TB_CHECK_INT(eng_gguf_find_tensor(g, "blk.0.attn_k.weight")->type, ENG_T_Q8_0);
		TB_CHECK_INT(eng_gguf_find_tensor(g, "blk.1.attn_q.weight")->type, ENG_T_Q5_K);
		eng_gguf_close(g);
	}
	p.progress = NULL;
	/* a pattern that matches nothing, a bad pattern, a bad type, no '=' */
	ov[0] = "attn_q.weight=q8_0";
	ov[1] = "ffn_gate_exps=iq1_s";
	TB_CHECK_INT(eng_quantize_file(model, out, "Q4_K_M", &p, err, sizeof err), ENG_EINVAL);
	TB_CHECK(strstr(err, "override 'ffn_gate_exps=iq1_s' matches no tensor") != NULL);
	ov[1] = "blk.(=q8_0";
	TB_CHECK_INT(eng_quantize_file(model, out, "Q4_K_M", &p, err, sizeof err), ENG_EINVAL);
	TB_CHECK(strstr(err, "'blk.(=q8_0': bad pattern") != NULL);
	ov[1] = "attn=q9_9";
	TB_CHECK_INT(eng_quantize_file(model, out, "Q4_K_M", &p, err, sizeof err), ENG_EINVAL);
	TB_CHECK(strstr(err, "unknown type 'q9_9'") != NULL);
	ov[1] = "attn";
	TB_CHECK_INT(eng_quantize_file(model, out, "Q4_K_M", &p, err, sizeof err), ENG_EINVAL);
	TB_CHECK(strstr(err, "want REGEX=TYPE") != NULL);
	/* norms are not quantized, so a pattern for them alone matches nothing */
	ov[0] = "_norm=q8_0";
	p.n_tensor_types = 1;
	TB_CHECK_INT(eng_quantize_file(model, out, "Q4_K_M", &p, err, sizeof err), ENG_EINVAL);
	TB_CHECK(strstr(err, "'_norm=q8_0' matches no tensor") != NULL);
}


/* inspect's one-line name of a file's mix: llama-quantize's own, or "dynamic" when overrides
 * changed tensors, with the types per role. */
static void test_quantize_names_the_mix_a_file_holds(void)
{
	const char *sh = tb_shared_dir();
	eng_quant_params p = eng_quant_params_default();
	char model[512], out[256], err[512], mix[512];
	const char *ov[1] = { "ffn_(up|gate)=q2_K" };

	if (!sh)
		TB_SKIP("no shared folder");
	snprintf(model, sizeof model, "%s/models/synthetic/synth-tiny-Q4_K_M.gguf", sh);
	TB_CHECK_INT(eng_quant_mix_describe(model, mix, sizeof mix, err, sizeof err), 0);
	TB_CHECK_STR(mix, "Q4_K_M (llama-quantize's mix): attention q4_K/q6_K, dense FFN q4_K/q6_K, "
		"embeddings q4_K, output q6_K");
	snprintf(model, sizeof model, "%s/models/synthetic/synth-tiny-F16.gguf", sh);
	tmp_path(out, sizeof out, "mix.gguf");
	p.n_threads = 2;
	p.tensor_types = ov;
	p.n_tensor_types = 1;
	TB_REQUIRE(eng_quantize_file(model, out, "Q4_K_M", &p, err, sizeof err) == 0);
	TB_CHECK_INT(eng_quant_mix_describe(out, mix, sizeof mix, err, sizeof err), 0);
	TB_CHECK_STR(mix, "Q4_K_M dynamic (4 of 16 tensors differ from llama-quantize's Q4_K_M): "
		"attention q4_K/q6_K, dense FFN q2_K/q4_K/q6_K, embeddings q4_K, output q6_K");
	/* an F16 file: a plain type, every tensor as the rule gives it */
	TB_CHECK_INT(eng_quant_mix_describe(model, mix, sizeof mix, err, sizeof err), 0);
	TB_CHECK(strncmp(mix, "F16 (llama-quantize's mix)", 26) == 0 || strncmp(mix, "custom mix", 10) == 0);
	TB_CHECK(eng_quant_mix_describe("/nonexistent.gguf", mix, sizeof mix, err, sizeof err) < 0);
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
	TB_RUN(test_quantize_with_an_imatrix_matches_llama_quantize_types_and_bytes);
	TB_RUN(test_quantize_iq_mixes_follow_llama_rules_on_moe_and_gqa_models);
	TB_RUN(test_quantize_imatrix_refusals_name_the_tensor);
	TB_RUN(test_quantize_tensor_type_overrides_apply_and_refuse_clearly);
	TB_RUN(test_quantize_names_the_mix_a_file_holds);
	tb_rmtree(tmpdir);
	if (moe_dir[0])
		tb_rmtree(moe_dir);
	return tb_test_end();
}
