/* tests/fuzz/fuzz_model.c — libFuzzer harness for the model loader (engine/model.c): each input
 * is a GGUF file, written to a private file (in /dev/shm where there is one) and loaded from its
 * mapping on one thread. The architecture keys, head and expert counts, tensor shapes and types
 * of every architecture, the mixtures of experts' too, must either load or give one line naming
 * the file; what loads must answer eng_model_info_get and decode one token. Built with
 * -DFUZZ_MODEL_SEEDS it is instead a program that writes seed files: `fuzz_model_seeds DIR` (a
 * tiny model of each architecture: llama, qwen2, qwen3, qwen2moe, qwen3moe, llama4). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/gguf_impl.h"
#include "engine/quant_impl.h"

#include "tests/fuzz/fuzz_util.h"

#ifndef FUZZ_MODEL_SEEDS

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024] = "";
	eng_opts o = eng_opts_default();
	eng_model *m;
	const char *path;

	path = fuzz_file_write("model", data, size);
	o.use_mmap = 1;
	o.n_threads = 1;
	m = eng_load(path, &o, err, sizeof err);
	if (!m) {
		fuzz_check(err[0] != 0 && strchr(err, '\n') == NULL);
		return 0;
	}
	{
		eng_model_info in;
		eng_ctx_params cp = eng_ctx_params_default();
		eng_ctx *c;

		eng_model_info_get(m, &in);
		fuzz_check(in.n_params_active <= in.n_params && in.n_expert_used <= in.n_expert);
		cp.n_ctx = 8;
		cp.n_batch = 2;
		/* a context past the memory limit may be refused; one that is made must decode */
		if ((c = eng_ctx_new(m, &cp, err, sizeof err)) != NULL) {
			int32_t tok[2] = { 0, eng_n_vocab(m) - 1 };
			eng_batch b = { 0 };

			b.n = 2;
			b.token = tok;
			fuzz_check(eng_decode(c, &b) == 0 && eng_logits(c, 1) != NULL);
			eng_ctx_free(c);
		}
	}
	eng_model_free(m);
	return 0;
}

#else /* FUZZ_MODEL_SEEDS */

/* A tiny model of arch: 1 layer, n_embd 32, 2 heads of 16 (1 KV head), FFN 64, 4 experts of 16
 * (2 used) and a shared expert of 32 for the mixtures (llama4: of 16, ungated, experts on every
 * layer, chunks of 4), a 262-piece SentencePiece vocabulary, F32 weights of small random values. */
static int write_seed(const char *dir, const char *arch)
{
	enum { E = 32, H = 2, KV = 1, HD = 16, FF = 64, X = 4, XU = 2, FE = 16, FS = 32, NV = 262 };
	int l4 = !strcmp(arch, "llama4"), moe = strstr(arch, "moe") != NULL || l4;
	int q3 = !strncmp(arch, "qwen3", 5), q2 = !strncmp(arch, "qwen2", 5), fs = l4 ? FE : FS;
	eng_gguf_writer *w = eng_gguf_writer_new();
	static char store[NV][12];
	const char *toks[NV];
	float scores[NV], buf[E * FF * X > E * NV ? E * FF * X : E * NV];
	int32_t types[NV];
	char key[96], path[4096], err[512];
	uint64_t s = 0x9e3779b97f4a7c15ull;
	int rc;

	for (size_t i = 0; i < sizeof buf / sizeof buf[0]; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		buf[i] = (float)((int)(s >> 40) % 200 - 100) * 0.001f;
	}
	for (int i = 0; i < NV; i++) {
		if (i < 3)
			snprintf(store[i], sizeof store[i], "%s", i == 0 ? "<unk>" : i == 1 ? "<s>" : "</s>");
		else if (i < 259)
			snprintf(store[i], sizeof store[i], "<0x%02X>", i - 3);
		else
			snprintf(store[i], sizeof store[i], "%c", "abc"[i - 259]);
		toks[i] = store[i];
		scores[i] = 0;
		types[i] = i < 3 ? (i ? 3 : 2) : i < 259 ? 6 : 1;
	}
#define KEY(suffix) (snprintf(key, sizeof key, "%s.%s", arch, suffix), key)
	rc = !w || eng_gguf_w_str(w, "general.architecture", arch) ||
		eng_gguf_w_u32(w, KEY("context_length"), 64) || eng_gguf_w_u32(w, KEY("embedding_length"), E) ||
		eng_gguf_w_u32(w, KEY("block_count"), 1) || eng_gguf_w_u32(w, KEY("feed_forward_length"), FF) ||
		eng_gguf_w_u32(w, KEY("attention.head_count"), H) ||
		eng_gguf_w_u32(w, KEY("attention.head_count_kv"), KV) ||
		eng_gguf_w_f32(w, KEY("attention.layer_norm_rms_epsilon"), 1e-6f) ||
		(moe && (eng_gguf_w_u32(w, KEY("expert_count"), X) || eng_gguf_w_u32(w, KEY("expert_used_count"), XU) ||
			 eng_gguf_w_u32(w, KEY("expert_feed_forward_length"), FE))) ||
		(moe && q2 && eng_gguf_w_u32(w, KEY("expert_shared_feed_forward_length"), FS)) ||
		(l4 && (eng_gguf_w_u32(w, KEY("interleave_moe_layer_step"), 1) ||
			eng_gguf_w_u32(w, KEY("attention.chunk_size"), 4))) ||
		eng_gguf_w_str(w, "tokenizer.ggml.model", "llama") ||
		eng_gguf_w_arr_str(w, "tokenizer.ggml.tokens", toks, NV) ||
		eng_gguf_w_arr_f32(w, "tokenizer.ggml.scores", scores, NV) ||
		eng_gguf_w_arr_i32(w, "tokenizer.ggml.token_type", types, NV);
#undef KEY
	{
		const struct { const char *name; int64_t ne0, ne1, ne2; int on; } t[] = {
			{ "token_embd.weight", E, NV, 1, 1 },
			{ "blk.0.attn_norm.weight", E, 1, 1, 1 },
			{ "blk.0.attn_q.weight", E, H * HD, 1, 1 },
			{ "blk.0.attn_k.weight", E, KV * HD, 1, 1 },
			{ "blk.0.attn_v.weight", E, KV * HD, 1, 1 },
			{ "blk.0.attn_q.bias", H * HD, 1, 1, q2 },
			{ "blk.0.attn_k.bias", KV * HD, 1, 1, q2 },
			{ "blk.0.attn_v.bias", KV * HD, 1, 1, q2 },
			{ "blk.0.attn_output.weight", H * HD, E, 1, 1 },
			{ "blk.0.attn_q_norm.weight", HD, 1, 1, q3 },
			{ "blk.0.attn_k_norm.weight", HD, 1, 1, q3 },
			{ "blk.0.ffn_norm.weight", E, 1, 1, 1 },
			{ "blk.0.ffn_gate.weight", E, FF, 1, !moe },
			{ "blk.0.ffn_up.weight", E, FF, 1, !moe },
			{ "blk.0.ffn_down.weight", FF, E, 1, !moe },
			{ "blk.0.ffn_gate_inp.weight", E, X, 1, moe },
			{ "blk.0.ffn_gate_exps.weight", E, FE, X, moe },
			{ "blk.0.ffn_up_exps.weight", E, FE, X, moe },
			{ "blk.0.ffn_down_exps.weight", FE, E, X, moe },
			{ "blk.0.ffn_gate_inp_shexp.weight", E, 1, 1, moe && q2 },
			{ "blk.0.ffn_gate_shexp.weight", E, fs, 1, moe && (q2 || l4) },
			{ "blk.0.ffn_up_shexp.weight", E, fs, 1, moe && (q2 || l4) },
			{ "blk.0.ffn_down_shexp.weight", fs, E, 1, moe && (q2 || l4) },
			{ "output_norm.weight", E, 1, 1, 1 },
		};

		for (size_t i = 0; !rc && i < sizeof t / sizeof t[0]; i++) {
			int64_t ne[3] = { t[i].ne0, t[i].ne1, t[i].ne2 };

			if (t[i].on)
				rc = eng_gguf_w_tensor(w, t[i].name, ENG_T_F32, t[i].ne2 > 1 ? 3 : t[i].ne1 > 1 ? 2 : 1,
					ne, buf) != 0;
		}
	}
	snprintf(path, sizeof path, "%s/tiny-%s.gguf", dir, arch);
	if (!rc && eng_gguf_writer_save(w, path, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz_model_seeds: %s\n", err);
		rc = 1;
	}
	eng_gguf_writer_free(w);
	return rc;
}

int main(int argc, char **argv)
{
	static const char *const arches[] = { "llama", "qwen2", "qwen3", "qwen2moe", "qwen3moe", "llama4" };

	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_model_seeds DIR\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++)
		if (write_seed(argv[1], arches[i]))
			return 1;
	return 0;
}

#endif
