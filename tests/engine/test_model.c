/* tests/engine/test_model.c — the forward pass against llama.cpp's reference outputs
 * (every *.ref.json under ../shared/models: prompt ids, teacher-forced top-10 logits and
 * log-sum-exp at each step, free-running greedy tokens), and qwen2 / qwen3 models built with
 * the project's GGUF writer: the quantized path gives the F32 path's logits within tolerance. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"
#include "engine/gguf_impl.h"
#include "engine/quant_impl.h"
#include "test.h"
#include "refcheck.h"

/* Logit tolerance per reference file, by the weight type that dominates it (about 1.5x the
 * largest error measured over all 32 steps at the scalar kernel level, which sums in a
 * different order from llama.cpp's x86 kernels; the AVX2 / AVX-512 levels give the scalar
 * level's bits for the 32-element types (their `_ref`'s order), while the super-block types sum
 * each super-block in integers first (order B, docs/quant-formats.md): synth-tiny-Q6_K 2.5e-2,
 * synth-tiny-Q4_K_M 2.9e-3, synth-tiny-Q2_K 7.4e-2, stories260K-Q2_K 1.4e-1 (its 32-element
 * fallbacks in the `_ref`'s order; 1.2e-1 in llama.cpp's x86 order) at those levels). Once a last bit
 * differs, two amplifiers make
 * it visible: the F16 KV cache (a value on a rounding boundary flips by one F16 ulp and moves
 * later logits of stories260K by ~1e-3), and the 8-bit activation blocks of quantized weights
 * (one level moves a logit by d_act * w, 0.02-0.1 on these random-weight models). llama.cpp
 * repacks Q4_K / Q5_0 / IQ4_NL into 8-row kernels whose order is not reproduced, and its SIMD
 * exp() differs from ours in the last bit; hence F32 stays at 2.9e-3, not 1e-3. The greedy
 * check below still requires all 32 stories260K tokens. See docs/engine.md. */
static const tol_row TOLS[] = {
	{ "stories260K.ref", 4e-3 },      /* F32 weights, F16 cache: measured 2.9e-3 */
	{ "synth-tiny-F16", 4e-3 },       /* 2.4e-3 */
	{ "synth-tiny-Q8_0", 0.05 },      /* 3.2e-2 */
	{ "synth-tiny-Q6_K", 0.15 },      /* 7.3e-2 */
	{ "synth-tiny-Q4_K_M", 0.06 },    /* 3.7e-2 */
	{ "stories260K-Q4_K_M", 0.06 },   /* 3.5e-2 (Q5_0 / IQ4_NL fallbacks) */
	{ "synth-tiny-Q2_K", 0.2 },       /* 7.4e-2 */
	{ "stories260K-Q2_K", 0.2 },      /* 1.4e-1 */
};

static void test_model_matches_llama_cpp_on_every_reference_file(void)
{
	const char *sh = tb_shared_dir();
	static char files[32][512];
	char dir[512];
	int n = 0;
	const char *subs[] = { "models", "models/derived", "models/synthetic" };

	if (!sh)
		TB_SKIP("shared data folder not found");
	for (size_t i = 0; i < 3; i++) {
		snprintf(dir, sizeof dir, "%s/%s", sh, subs[i]);
		n += ref_files(dir, files + n, 32 - n);
	}
	TB_REQUIRE(n >= 8);
	for (int i = 0; i < n; i++) {
		ref_stats st;
		int rc = check_ref(files[i], NULL, ref_tol(TOLS, sizeof TOLS / sizeof TOLS[0], files[i]), &st);

		printf("  %s: %d steps, max |err| %.2e, greedy %d/%d\n", strrchr(files[i], '/') + 1,
			st.steps, st.max_err, st.greedy_match, st.greedy_checked);
		TB_CHECK(rc == 0);
		if (strstr(files[i], "/stories260K.ref.json"))
			TB_CHECK_INT(st.greedy_match, 32);
	}
}

static void test_model_generates_the_reference_story(void)
{
	const char *sh = tb_shared_dir();
	char path[512], err[512], text[1024];
	int32_t ids[64];
	eng_model *m;
	eng_ctx *c;
	eng_batch b = { 0 };
	int n, len = 0;

	if (!sh)
		TB_SKIP("shared data folder not found");
	snprintf(path, sizeof path, "%s/models/stories260K.gguf", sh);
	m = eng_load(path, NULL, err, sizeof err);
	TB_REQUIRE(m);
	c = eng_ctx_new(m, NULL, err, sizeof err);
	TB_REQUIRE(c);
	n = eng_tokenize(m, "Once upon a time", 16, 1, 0, ids, 64);
	TB_REQUIRE(n == 5);
	b.n = n;
	b.token = ids;
	for (int s = 0; s < 32; s++) {
		int32_t t;

		TB_REQUIRE(eng_decode(c, &b) == 0);
		t = argmax(eng_logits(c, b.n - 1), eng_n_vocab(m));
		ids[n + s] = t;
		b.n = 1;
		b.token = &ids[n + s];
	}
	len = eng_detokenize(m, ids + n, 32, text, sizeof text, 0);
	TB_REQUIRE(len > 0 && len < (int)sizeof text);
	TB_CHECK_STR(text, ", there was a little girl named Lily. She loved to play outside in the park. One day, she saw");
	eng_ctx_free(c);
	eng_model_free(m);
}

/* ---- models built with the project's writer ---- */

typedef struct rng { uint64_t s; } rng;
static double rnd_gauss(rng *r)
{
	double u1, u2;

	r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
	u1 = ((r->s >> 11) + 1.0) / 9007199254740993.0;
	r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
	u2 = (r->s >> 11) / 9007199254740992.0;
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/* A type or'ed with AS_F32: the weights are quantized to that type, dequantized again and stored
 * as F32, so an F32 model holds exactly the values its quantized twin holds. */
#define AS_F32 0x10000

/* Adds a [ne0 x ne1] tensor of Gaussian weights (std sd, or all `one` when sd == 0) as `type`. */
static int add_w(eng_gguf_writer *w, rng *r, const char *name, int type, int64_t ne0, int64_t ne1,
		double sd, float one)
{
	int64_t ne[2] = { ne0, ne1 ? ne1 : 1 };
	const int qt = type & ~AS_F32, st = (type & AS_F32) ? ENG_T_F32 : qt;
	size_t rs = eng_row_size(qt, ne0);
	float *f = malloc(sizeof(float) * (size_t)(ne0 * ne[1]));
	char *q = malloc(rs * (size_t)ne[1]);
	int rc = -1;

	if (!f || !q)
		goto out;
	for (int64_t i = 0; i < ne0 * ne[1]; i++)
		f[i] = sd > 0 ? (float)(rnd_gauss(r) * sd) : one;
	for (int64_t row = 0; row < ne[1]; row++)
		if (eng_quant_row_ref(qt, f + row * ne0, q + (size_t)row * rs, ne0, NULL) != 0)
			goto out;
	if (st != qt)
		for (int64_t row = 0; row < ne[1]; row++)
			if (eng_dequant_row_ref(qt, q + (size_t)row * rs, f + row * ne0, ne0) != 0)
				goto out;
	rc = eng_gguf_w_tensor(w, name, st, ne1 ? 2 : 1, ne, st == qt ? (const void *)q : (const void *)f);
out:
	free(f);
	free(q);
	return rc;
}

/* A tiny SPM vocabulary written for these tests: <unk> <s> </s>, 256 byte tokens, then
 * single letters and a few words. */
static int add_vocab(eng_gguf_writer *w, int *n_vocab)
{
#define SP "\xe2\x96\x81"   /* U+2581, SentencePiece's space */
	static const char *words[] = { SP "the", SP "cat", SP "sat", SP "on", SP "a", SP "mat", SP };
#undef SP
	const char *toks[512];
	char bytes[256][8], letters[26][2];
	float scores[512];
	int32_t types[512];
	int n = 0;

	toks[n] = "<unk>"; types[n] = 2; scores[n++] = 0;
	toks[n] = "<s>"; types[n] = 3; scores[n++] = 0;
	toks[n] = "</s>"; types[n] = 3; scores[n++] = 0;
	for (int i = 0; i < 256; i++) {
		snprintf(bytes[i], sizeof bytes[i], "<0x%02X>", i);
		toks[n] = bytes[i]; types[n] = 6; scores[n++] = 0;
	}
	for (int i = 0; i < 26; i++) {
		letters[i][0] = (char)('a' + i);
		letters[i][1] = 0;
		toks[n] = letters[i]; types[n] = 1; scores[n++] = -(float)i;
	}
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		toks[n] = words[i]; types[n] = 1; scores[n++] = -1.0f - (float)i;
	}
	while (n < 320) {   /* pad to a multiple of 32 rows with unused tokens */
		static char pads[64][24];

		snprintf(pads[n - 292], sizeof pads[0], "<unused%d>", n);
		toks[n] = pads[n - 292]; types[n] = 5; scores[n++] = -1000;
	}
	*n_vocab = n;
	return eng_gguf_w_str(w, "tokenizer.ggml.model", "llama") ||
		eng_gguf_w_arr_str(w, "tokenizer.ggml.tokens", toks, (uint64_t)n) ||
		eng_gguf_w_arr_f32(w, "tokenizer.ggml.scores", scores, (uint64_t)n) ||
		eng_gguf_w_arr_i32(w, "tokenizer.ggml.token_type", types, (uint64_t)n) ||
		eng_gguf_w_u32(w, "tokenizer.ggml.bos_token_id", 1) ||
		eng_gguf_w_u32(w, "tokenizer.ggml.eos_token_id", 2) ||
		eng_gguf_w_u32(w, "tokenizer.ggml.unknown_token_id", 0);
}

/* Writes a random qwen2 or qwen3 model with all matrices in `type` (norms and biases F32). */
static int build_model(const char *path, const char *arch, int type, uint64_t seed)
{
	eng_gguf_writer *w = eng_gguf_writer_new();
	rng r = { seed };
	char key[128], err[256];
	const int E = 256, H = 4, KV = 2, HD = 64, F = 512, NL = 2;
	int nv = 0, qwen3 = strcmp(arch, "qwen3") == 0, rc = -1;
#define K(suffix) (snprintf(key, sizeof key, "%s." suffix, arch), key)

	if (!w)
		return -1;
	if (eng_gguf_w_str(w, "general.architecture", arch) || eng_gguf_w_str(w, "general.name", "test-model") ||
	    eng_gguf_w_u32(w, K("embedding_length"), E) || eng_gguf_w_u32(w, K("block_count"), NL) ||
	    eng_gguf_w_u32(w, K("attention.head_count"), H) || eng_gguf_w_u32(w, K("attention.head_count_kv"), KV) ||
	    eng_gguf_w_u32(w, K("feed_forward_length"), F) || eng_gguf_w_u32(w, K("context_length"), 4096) ||
	    eng_gguf_w_f32(w, K("rope.freq_base"), 1000000.0f) ||
	    eng_gguf_w_f32(w, K("attention.layer_norm_rms_epsilon"), 1e-6f) || add_vocab(w, &nv))
		goto out;
	if (qwen3 && (eng_gguf_w_u32(w, K("attention.key_length"), HD) || eng_gguf_w_u32(w, K("attention.value_length"), HD)))
		goto out;
	if (add_w(w, &r, "token_embd.weight", type, E, nv, 0.5, 0) ||
	    add_w(w, &r, "output_norm.weight", ENG_T_F32, E, 0, 0, 1.0f) ||
	    add_w(w, &r, "output.weight", type, E, nv, 0.1, 0))
		goto out;
	for (int il = 0; il < NL; il++) {
		char n[64];
#define W(suffix, t, a, b, sd, one) (snprintf(n, sizeof n, "blk.%d." suffix, il), add_w(w, &r, n, t, a, b, sd, one))
		if (W("attn_norm.weight", ENG_T_F32, E, 0, 0, 1.0f) || W("attn_q.weight", type, E, H * HD, 0.08, 0) ||
		    W("attn_k.weight", type, E, KV * HD, 0.08, 0) || W("attn_v.weight", type, E, KV * HD, 0.08, 0) ||
		    W("attn_output.weight", type, H * HD, E, 0.08, 0) || W("ffn_norm.weight", ENG_T_F32, E, 0, 0, 1.0f) ||
		    W("ffn_gate.weight", type, E, F, 0.08, 0) || W("ffn_up.weight", type, E, F, 0.08, 0) ||
		    W("ffn_down.weight", type, F, E, 0.06, 0))
			goto out;
		if (!qwen3 && (W("attn_q.bias", ENG_T_F32, H * HD, 0, 0.1, 0) || W("attn_k.bias", ENG_T_F32, KV * HD, 0, 0.1, 0) ||
		    W("attn_v.bias", ENG_T_F32, KV * HD, 0, 0.1, 0)))
			goto out;
		if (qwen3 && (W("attn_q_norm.weight", ENG_T_F32, HD, 0, 0.2, 0) || W("attn_k_norm.weight", ENG_T_F32, HD, 0, 0.2, 0)))
			goto out;
#undef W
	}
#undef K
	rc = eng_gguf_writer_save(w, path, err, sizeof err);
	if (rc)
		printf("  %s\n", err);
out:
	eng_gguf_writer_free(w);
	return rc;
}

/* Runs 24 tokens through a model and returns all their logits [24][n_vocab] (malloc'd). */
static float *run_tokens(const char *path, int *nv_out)
{
	char err[512];
	eng_model *m = eng_load(path, NULL, err, sizeof err);
	eng_ctx_params cp = eng_ctx_params_default();
	eng_ctx *c;
	int32_t toks[24];
	int8_t want[24];
	float *out = NULL;
	eng_batch b = { 0 };
	int nv;

	if (!m) {
		printf("  %s\n", err);
		return NULL;
	}
	nv = eng_n_vocab(m);
	cp.n_ctx = 64;
	cp.n_outputs = 24;
	c = eng_ctx_new(m, &cp, err, sizeof err);
	for (int i = 0; i < 24; i++) {
		toks[i] = (int32_t)((i * 37 + 11) % nv);
		want[i] = 1;
	}
	b.n = 24;
	b.token = toks;
	b.want_logits = want;
	if (c && eng_decode(c, &b) == 0 && (out = malloc(sizeof(float) * 24 * (size_t)nv)))
		for (int i = 0; i < 24; i++)
			memcpy(out + (size_t)i * (size_t)nv, eng_logits(c, i), sizeof(float) * (size_t)nv);
	*nv_out = nv;
	eng_ctx_free(c);
	eng_model_free(m);
	return out;
}

/* The same weight values through the F32 path and through the `type` path give logits whose
 * RMS difference, relative to the RMS of the F32 logits, stays under `rel`. Both models come
 * from one seed: the quantized one holds the weights in `type`, the F32 one holds those blocks
 * dequantized, so what differs is only the computation (activations rounded to the type's
 * 8-bit or F16 dot-product format, and the kernels themselves). */
static void check_quantized_close(const char *arch, int type, double rel)
{
	char dir[] = "/tmp/tb-model-XXXXXX", pf[600], pq[600];
	float *a, *b;
	int nva = 0, nvb = 0;
	double se = 0, sa = 0;

	TB_REQUIRE(mkdtemp(dir));
	snprintf(pf, sizeof pf, "%s/f32.gguf", dir);
	snprintf(pq, sizeof pq, "%s/q.gguf", dir);
	TB_REQUIRE(build_model(pf, arch, type | AS_F32, 42) == 0);
	TB_REQUIRE(build_model(pq, arch, type, 42) == 0);
	a = run_tokens(pf, &nva);
	b = run_tokens(pq, &nvb);
	TB_CHECK(a && b && nva == nvb);
	if (a && b) {
		for (size_t i = 0; i < 24 * (size_t)nva; i++) {
			se += (double)(a[i] - b[i]) * (a[i] - b[i]);
			sa += (double)a[i] * a[i];
		}
		printf("  %s %s: relative RMS logit difference %.4f (limit %.3f)\n", arch,
			eng_type_get(type)->name, sqrt(se / sa), rel);
		TB_CHECK(sqrt(se / sa) < rel);
	}
	free(a);
	free(b);
	if (getenv("TB_KEEP_MODELS"))   /* to run the same files through another engine */
		printf("  kept %s\n", dir);
	else
		tb_rmtree(dir);
}

/* Limits: about twice what was measured. Most of the difference is the 8-bit rounding of the
 * activations (blocks of 32 for Q8_0 / Q5_0, of 256 for the K-quants), compounded through two
 * layers of random weights; F16 and BF16 round the activations to 11 and 8 mantissa bits. */
static void test_qwen2_quantized_logits_follow_f32(void)
{
	check_quantized_close("qwen2", ENG_T_F16, 0.003);
	check_quantized_close("qwen2", ENG_T_Q8_0, 0.035);
	check_quantized_close("qwen2", ENG_T_Q4_K, 0.06);
}

static void test_qwen3_quantized_logits_follow_f32(void)
{
	check_quantized_close("qwen3", ENG_T_BF16, 0.01);
	check_quantized_close("qwen3", ENG_T_Q6_K, 0.05);
	check_quantized_close("qwen3", ENG_T_Q5_0, 0.04);
}

/* Batching: one prompt decoded at once, token by token, and as two sequences side by side in
 * one batch gives the same logits (F32 cache, so the only difference is summation order). */
static void test_batched_and_stepwise_decoding_agree(void)
{
	char dir[] = "/tmp/tb-model-XXXXXX", p[600], err[512];
	eng_model *m;
	eng_ctx *c1, *c2;
	eng_ctx_params cp = eng_ctx_params_default();
	int32_t toks[12], seq[24], both[24];
	int8_t want[24];
	eng_batch b = { 0 };
	const float *la, *lb;
	double maxd = 0;
	int nv;

	TB_REQUIRE(mkdtemp(dir));
	snprintf(p, sizeof p, "%s/q.gguf", dir);
	TB_REQUIRE(build_model(p, "qwen2", ENG_T_Q8_0, 7) == 0);
	m = eng_load(p, NULL, err, sizeof err);
	TB_REQUIRE(m);
	nv = eng_n_vocab(m);
	cp.kv_type = ENG_KV_F32;
	cp.n_ctx = 32;
	cp.n_seq = 2;
	cp.n_outputs = 2;
	c1 = eng_ctx_new(m, &cp, err, sizeof err);
	c2 = eng_ctx_new(m, &cp, err, sizeof err);
	TB_REQUIRE(c1 && c2);
	for (int i = 0; i < 12; i++)
		toks[i] = (int32_t)((i * 53 + 5) % nv);
	/* c1: sequence 0 one token at a time */
	for (int i = 0; i < 12; i++) {
		b.n = 1;
		b.token = &toks[i];
		TB_REQUIRE(eng_decode(c1, &b) == 0);
	}
	/* c2: the same tokens interleaved into sequences 0 and 1 of one batch */
	for (int i = 0; i < 12; i++) {
		both[2 * i] = toks[i];
		both[2 * i + 1] = toks[i];
		seq[2 * i] = 0;
		seq[2 * i + 1] = 1;
		want[2 * i] = want[2 * i + 1] = (i == 11);
	}
	b.n = 24;
	b.token = both;
	b.seq = seq;
	b.want_logits = want;
	TB_REQUIRE(eng_decode(c2, &b) == 0);
	la = eng_logits(c1, 0);
	lb = eng_logits(c2, 22);
	TB_REQUIRE(la && lb && eng_logits(c2, 23));
	for (int i = 0; i < nv; i++) {
		double d = fabs(la[i] - lb[i]);
		double d2 = fabs(la[i] - eng_logits(c2, 23)[i]);

		maxd = d > maxd ? d : maxd;
		maxd = d2 > maxd ? d2 : maxd;
	}
	TB_CHECK(maxd < 1e-4);
	TB_CHECK_INT(eng_kv_len(c2, 0), 12);
	TB_CHECK_INT(eng_kv_len(c2, 1), 12);
	/* Truncating sequence 1 and replaying its last token gives the same logits again. */
	eng_kv_remove(c2, 1, 11, -1);
	TB_CHECK_INT(eng_kv_len(c2, 1), 11);
	b.n = 1;
	b.token = &toks[11];
	seq[0] = 1;
	b.seq = seq;
	b.want_logits = NULL;
	TB_REQUIRE(eng_decode(c2, &b) == 0);
	lb = eng_logits(c2, 0);
	maxd = 0;
	for (int i = 0; i < nv; i++)
		maxd = fabs(la[i] - lb[i]) > maxd ? fabs(la[i] - lb[i]) : maxd;
	TB_CHECK(maxd < 1e-4);
	eng_ctx_free(c1);
	eng_ctx_free(c2);
	eng_model_free(m);
	tb_rmtree(dir);
}

/* Prefill attends in blocks of up to 16 tokens of one sequence within a 32-position window
 * (attend_block): a 75-token prompt decoded at once, in batches of 7, token by token, and as two
 * sequences in one batch (one after the other, then interleaved: no blocks) gives the same
 * logits bit for bit, with an F16 and an F32 cache. */
static void test_block_attention_matches_token_by_token(void)
{
	enum { N = 75 };
	char dir[] = "/tmp/tb-model-XXXXXX", p[600], err[512];
	eng_model *m;
	int32_t toks[N], both[2 * N], seq[2 * N];
	int8_t want[2 * N];
	int nv;

	TB_REQUIRE(mkdtemp(dir));
	snprintf(p, sizeof p, "%s/q.gguf", dir);
	TB_REQUIRE(build_model(p, "qwen2", ENG_T_Q8_0, 11) == 0);
	TB_REQUIRE((m = eng_load(p, NULL, err, sizeof err)) != NULL);
	nv = eng_n_vocab(m);
	for (int i = 0; i < N; i++)
		toks[i] = (int32_t)((i * 37 + 3) % nv);
	for (int kv = 0; kv < 2; kv++) {
		float *ref = malloc(sizeof(float) * N * (size_t)nv), *got = malloc(sizeof(float) * N * (size_t)nv);
		eng_ctx_params cp = eng_ctx_params_default();

		TB_REQUIRE(ref && got);
		cp.kv_type = kv ? ENG_KV_F32 : ENG_KV_F16;
		cp.n_ctx = 96;
		cp.n_seq = 2;
		cp.n_outputs = 2 * N;
		cp.n_batch = 2 * N;
		/* step N: the whole prompt; 7: batches of 7; 1: token by token */
		for (int step = N, run = 0; step >= 1; step = step == N ? 7 : step - 6, run++) {
			eng_ctx *c = eng_ctx_new(m, &cp, err, sizeof err);

			TB_REQUIRE(c);
			for (int i = 0; i < N; i += step) {
				eng_batch b = { 0 };
				int8_t w[N];

				b.n = i + step <= N ? step : N - i;
				memset(w, 1, sizeof w);
				b.token = toks + i;
				b.want_logits = w;
				TB_REQUIRE(eng_decode(c, &b) == 0);
				for (int t = 0; t < b.n; t++)
					memcpy((run ? got : ref) + (size_t)(i + t) * (size_t)nv, eng_logits(c, t), sizeof(float) * (size_t)nv);
			}
			if (run)
				TB_CHECK(memcmp(ref, got, sizeof(float) * N * (size_t)nv) == 0);
			eng_ctx_free(c);
		}
		/* two sequences in one batch: one after the other (blocks), then interleaved */
		for (int inter = 0; inter < 2; inter++) {
			eng_ctx *c = eng_ctx_new(m, &cp, err, sizeof err);
			eng_batch b = { 0 };

			TB_REQUIRE(c);
			for (int i = 0; i < 2 * N; i++) {
				int sq = inter ? i % 2 : i / N, k = inter ? i / 2 : i % N;

				both[i] = toks[k];
				seq[i] = sq;
				want[i] = 1;
			}
			b.n = 2 * N;
			b.token = both;
			b.seq = seq;
			b.want_logits = want;
			TB_REQUIRE(eng_decode(c, &b) == 0);
			for (int i = 0; i < 2 * N; i++) {
				int k = inter ? i / 2 : i % N;

				TB_CHECK(memcmp(ref + (size_t)k * (size_t)nv, eng_logits(c, i), sizeof(float) * (size_t)nv) == 0);
			}
			eng_ctx_free(c);
		}
		free(ref);
		free(got);
	}
	eng_model_free(m);
	tb_rmtree(dir);
}

/* Counts the engine's "repacked N matrices" log lines (eng_log_set callback). */
static void count_repack_logs(void *ud, int level, const char *msg)
{
	(void)level;
	if (strstr(msg, "repacked"))
		(*(int *)ud)++;
}

/* Threads share out whole dot products and attention heads, so the thread count never changes
 * a result: 1, 2 and 3 threads give bit-identical logits for a prompt and the steps after.
 * Also: weights computed from the file mapping (the file's layout) give the same logits as
 * weights copied into memory (the default), which the kernel level may repack at load (R16:
 * Q4_K, Q6_K, IQ4_XS at the AVX-512 level; the log says so, and the test checks it did). */
static void check_threads_and_layout(int type, uint64_t seed)
{
	char dir[] = "/tmp/tb-model-XXXXXX", p[600], err[512];
	float *ref = NULL;
	int nv = 0;

	TB_REQUIRE(mkdtemp(dir));
	snprintf(p, sizeof p, "%s/q.gguf", dir);
	TB_REQUIRE(build_model(p, "qwen3", type, seed) == 0);
	for (int nt = 1; nt <= 4; nt++) {
		eng_opts o = eng_opts_default();
		eng_model *m;
		eng_ctx *c;
		eng_ctx_params cp = eng_ctx_params_default();
		int32_t toks[16];
		eng_batch b = { 0 };
		float *got;
		int n_rp_logs = 0;

		o.n_threads = nt <= 3 ? nt : 2;
		o.use_mmap = nt == 4;
		eng_log_set(count_repack_logs, &n_rp_logs, ENG_LOG_INFO);
		m = eng_load(p, &o, err, sizeof err);
		eng_log_set(NULL, NULL, ENG_LOG_WARN);
		TB_REQUIRE(m);
		TB_CHECK_INT(n_rp_logs, !o.use_mmap && eng_rp_native(type, 256) ? 1 : 0);
		nv = eng_n_vocab(m);
		cp.n_ctx = 32;
		c = eng_ctx_new(m, &cp, err, sizeof err);
		TB_REQUIRE(c);
		got = malloc(sizeof(float) * (size_t)nv * 5);
		TB_REQUIRE(got);
		for (int i = 0; i < 16; i++)
			toks[i] = (int32_t)((i * 29 + 3) % nv);
		b.n = 12;
		b.token = toks;
		for (int step = 0; step < 5; step++) {
			TB_CHECK_INT(eng_decode(c, &b), 0);
			memcpy(got + (size_t)step * (size_t)nv, eng_logits(c, b.n - 1), sizeof(float) * (size_t)nv);
			b.n = 1;
			b.token = &toks[12 + (step < 4 ? step : 3)];
		}
		if (!ref)
			ref = got;
		else {
			TB_CHECK(memcmp(ref, got, sizeof(float) * (size_t)nv * 5) == 0);
			free(got);
		}
		eng_ctx_free(c);
		eng_model_free(m);
	}
	free(ref);
	tb_rmtree(dir);
}

static void test_thread_count_does_not_change_logits(void)
{
	check_threads_and_layout(ENG_T_Q4_K, 11);
	check_threads_and_layout(ENG_T_Q6_K, 12);
	check_threads_and_layout(ENG_T_IQ4_XS, 13);
}

static void test_decode_refuses_a_full_context_and_bad_tokens(void)
{
	char dir[] = "/tmp/tb-model-XXXXXX", p[600], err[512];
	eng_model *m;
	eng_ctx *c;
	eng_ctx_params cp = eng_ctx_params_default();
	int32_t toks[8] = { 5, 6, 7, 8, 9, 10, 11, 12 }, bad = 100000;
	eng_batch b = { 0 };

	TB_REQUIRE(mkdtemp(dir));
	snprintf(p, sizeof p, "%s/q.gguf", dir);
	TB_REQUIRE(build_model(p, "qwen3", ENG_T_Q8_0, 9) == 0);
	m = eng_load(p, NULL, err, sizeof err);
	TB_REQUIRE(m);
	cp.n_ctx = 6;
	cp.n_batch = 8;
	c = eng_ctx_new(m, &cp, err, sizeof err);
	TB_REQUIRE(c);
	b.n = 8;
	b.token = toks;
	TB_CHECK_INT(eng_decode(c, &b), ENG_ECTX_FULL);
	TB_CHECK_INT(eng_kv_len(c, 0), 0);
	b.n = 1;
	b.token = &bad;
	TB_CHECK_INT(eng_decode(c, &b), ENG_EINVAL);
	b.n = 6;
	b.token = toks;
	TB_CHECK_INT(eng_decode(c, &b), 0);
	b.n = 1;
	TB_CHECK_INT(eng_decode(c, &b), ENG_ECTX_FULL);
	TB_CHECK(eng_logits(c, 5) != NULL);
	eng_ctx_free(c);
	eng_model_free(m);
	tb_rmtree(dir);
}

static void test_load_names_a_missing_tensor_and_an_unsupported_architecture(void)
{
	char dir[] = "/tmp/tb-model-XXXXXX", p[600], err[512];
	eng_gguf_writer *w;
	int nv;

	TB_REQUIRE(mkdtemp(dir));
	snprintf(p, sizeof p, "%s/x.gguf", dir);
	w = eng_gguf_writer_new();
	TB_REQUIRE(w);
	eng_gguf_w_str(w, "general.architecture", "gptneox");
	add_vocab(w, &nv);
	TB_REQUIRE(eng_gguf_writer_save(w, p, err, sizeof err) == 0);
	eng_gguf_writer_free(w);
	TB_CHECK(eng_load(p, NULL, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "gptneox") && strstr(err, "not supported"));

	w = eng_gguf_writer_new();
	eng_gguf_w_str(w, "general.architecture", "llama");
	eng_gguf_w_u32(w, "llama.embedding_length", 64);
	eng_gguf_w_u32(w, "llama.block_count", 1);
	eng_gguf_w_u32(w, "llama.attention.head_count", 2);
	eng_gguf_w_u32(w, "llama.feed_forward_length", 128);
	add_vocab(w, &nv);
	TB_REQUIRE(eng_gguf_writer_save(w, p, err, sizeof err) == 0);
	eng_gguf_writer_free(w);
	TB_CHECK(eng_load(p, NULL, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "token_embd.weight") && strstr(err, "x.gguf"));
	tb_rmtree(dir);
}

int main(void)
{
	TB_RUN(test_model_matches_llama_cpp_on_every_reference_file);
	TB_RUN(test_model_generates_the_reference_story);
	TB_RUN(test_qwen2_quantized_logits_follow_f32);
	TB_RUN(test_qwen3_quantized_logits_follow_f32);
	TB_RUN(test_batched_and_stepwise_decoding_agree);
	TB_RUN(test_block_attention_matches_token_by_token);
	TB_RUN(test_thread_count_does_not_change_logits);
	TB_RUN(test_decode_refuses_a_full_context_and_bad_tokens);
	TB_RUN(test_load_names_a_missing_tensor_and_an_unsupported_architecture);
	return tb_test_end();
}
