/* engine/vocab_impl.h — tokenizers built from GGUF metadata: SentencePiece-style
 * (tokenizer.ggml.model = "llama") and byte-level BPE ("gpt2") with the pre-tokenizers
 * default/gpt-2, llama3 ("llama-bpe"), qwen2, deepseek-llm, deepseek-coder. Behaviour matches
 * llama.cpp's test vectors in ../shared/models/vocab. Internal to engine/. */
#ifndef ENG_VOCAB_IMPL_H
#define ENG_VOCAB_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/gguf_impl.h"

typedef struct eng_vocab eng_vocab;

/* Token attribute bits, from tokenizer.ggml.token_type (1 normal, 2 unknown, 3 control,
 * 4 user-defined, 5 unused, 6 byte). */
enum eng_tok_type {
	ENG_TOK_NORMAL = 1, ENG_TOK_UNKNOWN = 2, ENG_TOK_CONTROL = 3,
	ENG_TOK_USER_DEFINED = 4, ENG_TOK_UNUSED = 5, ENG_TOK_BYTE = 6
};

/* Builds the vocabulary from tokenizer.ggml.* keys (model, pre, tokens, scores, token_type,
 * merges, bos/eos/eot/unk/pad/sep ids, add_bos_token, add_eos_token, add_space_prefix).
 * An unknown model or pre-tokenizer name is an error naming the key and value. The vocab
 * copies what it needs; the eng_gguf may be closed afterwards.
 * Ownership: caller frees with eng_vocab_free. */
eng_vocab *eng_vocab_load(const eng_gguf *g, const char *path, char *err, size_t errlen);
void eng_vocab_free(eng_vocab *v);

int eng_vocab_n(const eng_vocab *v);
/* "llama" / "gpt2"; pre-tokenizer name as given ("default" when absent). Owned by v. */
const char *eng_vocab_model(const eng_vocab *v);
const char *eng_vocab_pre(const eng_vocab *v);
/* Special ids, -1 when the vocabulary has none. */
int32_t eng_vocab_bos(const eng_vocab *v);
int32_t eng_vocab_eos(const eng_vocab *v);
int32_t eng_vocab_eot(const eng_vocab *v);   /* <|eot_id|>, <|im_end|>, <end_of_turn>, ... */
int eng_vocab_add_bos(const eng_vocab *v);    /* tokenizer.ggml.add_bos_token, or the model default */
int eng_vocab_add_eos(const eng_vocab *v);
/* 1 when generating `id` ends generation (eos, eot and other end-of-generation tokens). */
int eng_vocab_is_eog(const eng_vocab *v, int32_t id);
int eng_vocab_is_control(const eng_vocab *v, int32_t id);
/* The token's stored text (SPM: with U+2581 for spaces; BPE: byte-level characters).
 * NULL when id is out of range. Owned by v. */
const char *eng_vocab_text(const eng_vocab *v, int32_t id);
/* Id of exactly this stored token text, or -1. */
int32_t eng_vocab_find(const eng_vocab *v, const char *text);

/* Tokenizes `len` bytes of UTF-8 text (invalid UTF-8 is handled as llama.cpp does).
 * add_special: add BOS (and EOS) as the vocabulary says. parse_special: recognise the text of
 * control and user-defined tokens (e.g. "<|im_start|>") in `text` as those tokens.
 * Writes at most `cap` ids; returns the total number of ids (which may exceed cap: call again
 * with a larger buffer), or a negative number on failure. */
int eng_vocab_tokenize(const eng_vocab *v, const char *text, size_t len, int add_special,
		int parse_special, int32_t *out, int cap);
/* The bytes that token `id` stands for (SPM: "▁" → " ", <0x0A> → "\n"; BPE: byte-level
 * decoding). Control tokens give their text only when `special` is set, else "".
 * Writes at most cap bytes (no NUL); returns the full length, or negative for a bad id. */
int eng_vocab_piece(const eng_vocab *v, int32_t id, char *buf, int cap, int special);
/* Joins pieces of n ids; SPM drops the leading space of the first piece when the vocab adds a
 * space prefix and `remove_leading_space` is set. Returns the full length (may exceed cap; no
 * NUL written beyond cap-1... the output is NUL-terminated when it fits), or negative. */
int eng_vocab_detokenize(const eng_vocab *v, const int32_t *ids, int n, char *buf, int cap,
		int special, int remove_leading_space);

/* The pre-tokenizer split alone, for tests: cuts `len` bytes of UTF-8 as pre-tokenizer `pre`
 * ("default", "gpt-2", "llama3", "qwen2", "deepseek-llm", ...) does before byte-level encoding,
 * and writes the byte length of each piece (of the text re-encoded from its code points, so
 * invalid UTF-8 counts as U+FFFD) into at most `cap` entries. Returns the number of pieces (may
 * exceed cap), ENG_EINVAL for an unknown name or ENG_ENOMEM.
 * Ownership: piece_bytes is the caller's; nothing is kept. */
int eng_vocab_pre_split(const char *pre, const char *text, size_t len, int32_t *piece_bytes, int cap);

#endif
