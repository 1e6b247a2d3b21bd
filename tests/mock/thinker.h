/* tests/mock/thinker.h — a hand-made thinking model for provider and harness tests: a one-block
 * llama model written as GGUF v3 that ignores its context (zero blocks, one-hot embeddings) and
 * answers any chat prompt with "<think> a b</think> ok" and the end of generation, under a
 * Qwen3-style template (enable_thinking). Header-only. */
#ifndef TB_THINKER_H
#define TB_THINKER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A minimal GGUF v3 writer for one hand-made model (the engine's writer is internal to it). */
static inline void w_u32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }
static inline void w_u64(FILE *f, uint64_t v) { fwrite(&v, 8, 1, f); }
static inline void w_str(FILE *f, const char *s) { w_u64(f, strlen(s)); fwrite(s, 1, strlen(s), f); }
static inline void kv_u32(FILE *f, const char *k, uint32_t v) { w_str(f, k); w_u32(f, 4); w_u32(f, v); }
static inline void kv_f32(FILE *f, const char *k, float v) { w_str(f, k); w_u32(f, 6); fwrite(&v, 4, 1, f); }
static inline void kv_str(FILE *f, const char *k, const char *v) { w_str(f, k); w_u32(f, 8); w_str(f, v); }

#define TK_E 320      /* embedding width >= vocabulary: one-hot embeddings */
#define TK_F 32
#define TK_NV 296

/* A llama model that ignores context: its blocks are zero, so the last hidden state is the
 * current token's one-hot embedding, and the output head maps each token to a fixed successor:
 * "<think>" "▁a" "▁b" "</think>" "▁ok" "</s>", and every token not in that chain to "<think>".
 * Any chat prompt therefore gets "<think> a b</think> ok" and the end of generation. */
static inline int build_thinker(const char *path)
{
	static char names[TK_NV][24];
	const char *toks[TK_NV];
	int32_t types[TK_NV];
	float scores[TK_NV];
	int n = 0, think, a, b, end, ok;
	FILE *f = fopen(path, "wb");
	static const char *const tensors[] = { "token_embd.weight", "output_norm.weight",
		"output.weight", "blk.0.attn_norm.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight",
		"blk.0.attn_v.weight", "blk.0.attn_output.weight", "blk.0.ffn_norm.weight",
		"blk.0.ffn_gate.weight", "blk.0.ffn_up.weight", "blk.0.ffn_down.weight" };
	const int64_t shape[12][2] = { { TK_E, TK_NV }, { TK_E, 1 }, { TK_E, TK_NV }, { TK_E, 1 },
		{ TK_E, TK_E }, { TK_E, TK_E }, { TK_E, TK_E }, { TK_E, TK_E }, { TK_E, 1 },
		{ TK_E, TK_F }, { TK_E, TK_F }, { TK_F, TK_E } };
	uint64_t off = 0;
	float *data;

	if (!f)
		return -1;
	toks[n] = "<unk>"; types[n] = 2; scores[n++] = 0;
	toks[n] = "<s>"; types[n] = 3; scores[n++] = 0;
	toks[n] = "</s>"; types[n] = 3; scores[n++] = 0;
	for (int i = 0; i < 256; i++) {
		snprintf(names[n], sizeof names[n], "<0x%02X>", i);
		toks[n] = names[n]; types[n] = 6; scores[n++] = 0;
	}
	for (int i = 0; i < 26; i++) {
		names[n][0] = (char)('a' + i);
		toks[n] = names[n]; types[n] = 1; scores[n++] = -(float)i;
	}
	think = n; toks[n] = "<think>"; types[n] = 4; scores[n++] = 0;
	end = n; toks[n] = "</think>"; types[n] = 4; scores[n++] = 0;
	a = n; toks[n] = "\xe2\x96\x81" "a"; types[n] = 1; scores[n++] = -30;
	b = n; toks[n] = "\xe2\x96\x81" "b"; types[n] = 1; scores[n++] = -31;
	ok = n; toks[n] = "\xe2\x96\x81" "ok"; types[n] = 1; scores[n++] = -32;
	while (n < TK_NV) {
		snprintf(names[n], sizeof names[n], "<unused%d>", n);
		toks[n] = names[n]; types[n] = 5; scores[n++] = -1000;
	}
	fwrite("GGUF", 1, 4, f);
	w_u32(f, 3);
	w_u64(f, 12);
	w_u64(f, 17);
	kv_str(f, "general.architecture", "llama");
	kv_u32(f, "llama.embedding_length", TK_E);
	kv_u32(f, "llama.block_count", 1);
	kv_u32(f, "llama.attention.head_count", 4);
	kv_u32(f, "llama.attention.head_count_kv", 4);
	kv_u32(f, "llama.feed_forward_length", TK_F);
	kv_u32(f, "llama.context_length", 256);
	kv_f32(f, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
	kv_str(f, "tokenizer.ggml.model", "llama");
	w_str(f, "tokenizer.ggml.tokens"); w_u32(f, 9); w_u32(f, 8); w_u64(f, TK_NV);
	for (int i = 0; i < TK_NV; i++)
		w_str(f, toks[i]);
	w_str(f, "tokenizer.ggml.scores"); w_u32(f, 9); w_u32(f, 6); w_u64(f, TK_NV);
	fwrite(scores, 4, TK_NV, f);
	w_str(f, "tokenizer.ggml.token_type"); w_u32(f, 9); w_u32(f, 5); w_u64(f, TK_NV);
	fwrite(types, 4, TK_NV, f);
	kv_u32(f, "tokenizer.ggml.bos_token_id", 1);
	kv_u32(f, "tokenizer.ggml.eos_token_id", 2);
	kv_u32(f, "tokenizer.ggml.unknown_token_id", 0);
	kv_str(f, "tokenizer.chat_template", "{% for m in messages %}<|im_start|>{{ m.role }}...{% endfor %}"
		"{% if enable_thinking is defined and not enable_thinking %}<think>\n\n</think>{% endif %}");
	kv_u32(f, "general.alignment", 32);
	for (int t = 0; t < 12; t++) {
		w_str(f, tensors[t]);
		w_u32(f, shape[t][1] > 1 ? 2 : 1);
		w_u64(f, (uint64_t)shape[t][0]);
		if (shape[t][1] > 1)
			w_u64(f, (uint64_t)shape[t][1]);
		w_u32(f, 0);   /* F32 */
		w_u64(f, off);
		off += (uint64_t)(shape[t][0] * shape[t][1] * 4 + 31) & ~(uint64_t)31;
	}
	while (ftell(f) % 32)
		fputc(0, f);
	for (int t = 0; t < 12; t++) {
		size_t cnt = (size_t)(shape[t][0] * shape[t][1]);
		if (!(data = calloc(cnt + 8, sizeof *data)))
			break;
		if (t == 0)          /* one-hot embeddings: row v is e_v */
			for (int v = 0; v < TK_NV; v++)
				data[(size_t)v * TK_E + (size_t)v] = 1;
		if (t == 1 || t == 3 || t == 8)   /* norms */
			for (size_t i = 0; i < cnt; i++)
				data[i] = 1;
		if (t == 2) {        /* output row s scores the tokens whose successor is s */
			int chain[][2] = { { think, a }, { a, b }, { b, end }, { end, ok }, { ok, 2 } };
			for (int v = 0; v < TK_NV; v++)
				data[(size_t)think * TK_E + (size_t)v] = 1;
			for (int k = 0; k < 5; k++) {
				data[(size_t)think * TK_E + (size_t)chain[k][0]] = 0;
				data[(size_t)chain[k][1] * TK_E + (size_t)chain[k][0]] = 2;
			}
		}
		fwrite(data, sizeof *data, cnt, f);
		while (ftell(f) % 32)
			fputc(0, f);
		free(data);
	}
	return fclose(f);
}

#endif
