/* engine/engine.h — the built-in inference engine: load a GGUF model, tokenize, run the
 * forward pass over batches of tokens from one or more sequences with a KV cache, sample,
 * and render chat templates. Computes what llama.cpp computes (tests compare against its
 * reference outputs). Knows nothing of suites or HTTP. Prefix eng_. */
#ifndef ENG_ENGINE_H
#define ENG_ENGINE_H

#include <stddef.h>
#include <stdint.h>

/* Status codes (negative); eng_strerror gives a phrase. */
enum {
	ENG_OK = 0, ENG_EINVAL = -1, ENG_ENOMEM = -2, ENG_EIO = -3, ENG_EFORMAT = -4,
	ENG_EUNSUPPORTED = -5, ENG_ECTX_FULL = -6,
	ENG_EIMATRIX = -16           /* a quantizer that needs importance weights got none */
};
/* Ownership: static string. */
const char *eng_strerror(int code);

/* ---- logging ---- */
/* Levels of engine messages, most severe first (the same numbers as the providers' levels). */
enum { ENG_LOG_ERROR = 0, ENG_LOG_WARN = 1, ENG_LOG_INFO = 2, ENG_LOG_DEBUG = 3 };
/* A sink for one message: one line without a newline (the shape of prov_log_fn, so one host
 * sink serves both). */
typedef void (*eng_log_fn)(void *ud, int level, const char *msg);
/* Sends messages at max_level and more severe to fn (NULL: none, the default); the level is
 * tested before formatting. Set it before loading models; not thread-safe against logging.
 * Ownership: ud is borrowed while set. */
void eng_log_set(eng_log_fn fn, void *ud, int max_level);

/* ---- model ---- */
typedef struct eng_model eng_model;

enum { ENG_DEVICE_CPU = 0, ENG_DEVICE_CUDA = 1 };

typedef struct eng_opts {
	int n_threads;               /* compute threads; 0 = all cores */
	const char *chat_template;   /* family name overriding the GGUF's template, or NULL */
	int device;                  /* ENG_DEVICE_CPU (default) or ENG_DEVICE_CUDA (make CUDA=1) */
	int n_gpu_layers;            /* with CUDA: layers on the GPU, the first ones (the rest and,
	                              * unless all are there, the output head on the CPU); -1 or
	                              * >= n_layer: all; 0: none */
	int use_mmap;                /* 1: compute from the file's read-only mapping (starts faster,
	                              * shares the page cache); 0 (default): copy the weights into
	                              * the process's own memory at load, which decodes faster */
	int huge_pages;              /* with the weights copied: 1 asks the kernel for transparent
	                              * huge pages for them (MADV_HUGEPAGE); 0 (default) leaves its
	                              * policy (4 KiB pages where THP is "madvise"), which decoded
	                              * faster on the project's machine kind (docs/engine.md) */
} eng_opts;
/* Ownership: value. */
eng_opts eng_opts_default(void);

/* Loads a GGUF model (architectures llama, qwen2, qwen3, qwen2moe, qwen3moe, gpt-oss, llama4, deepseek2,
 * qwen3next). Weights are copied into memory, or
 * stay in the read-only mapping with use_mmap. NULL on failure with one line in err naming the file and what is wrong (unsupported
 * architecture, missing tensor with its name, wrong shape, ...).
 * Ownership: caller frees with eng_model_free. */
eng_model *eng_load(const char *path, const eng_opts *o, char *err, size_t errlen);
void eng_model_free(eng_model *m);

typedef struct eng_model_info {
	char arch[32];               /* "llama", "qwen2", "qwen3", "qwen2moe", "qwen3moe", "gpt-oss", "llama4",
	                              * "deepseek2", "qwen3next" */
	char name[128];              /* general.name, or the file's base name */
	char ftype[32];              /* dominant weight type, e.g. "q4_K" (by bytes) */
	char file_type[16];          /* general.file_type as llama.cpp names it ("Q4_K_M"); "" if absent */
	char type_mix[256];          /* "q4_K:113 q6_K:1 f32:45" (tensor counts by type) */
	char chat_family[32];        /* detected template family, "" when none / unknown */
	int64_t n_params;
	uint64_t size_bytes;         /* tensor data bytes */
	uint64_t file_bytes;
	double bpw;                  /* bits per weight over all tensors */
	int n_vocab, n_ctx_train, n_embd, n_layer, n_head, n_head_kv, n_ff, n_rot;
	float rope_freq_base;
	char vocab_model[16];        /* "llama" (SentencePiece) or "gpt2" (byte-level BPE) */
	char vocab_pre[32];
	uint64_t decode_bytes;       /* weight bytes one decoded token reads: every matrix once, the
	                              * output matrix included (the embedding table when tied), but
	                              * not the embedding lookup; of a mixture of experts, only the
	                              * n_expert_used experts' share of the expert tensors */
	int n_expert, n_expert_used; /* 0, 0 for a dense model */
	int64_t n_params_active;     /* parameters one token uses: n_params less the unused experts'
	                              * share (= n_params for a dense model) */
	uint64_t kv_bytes_per_token; /* the (default F16) KV cache's bytes per token over the layers
	                              * that have one (n_layer_kv): deepseek2 caches only its latent
	                              * and RoPE key, qwen3next its full-attention layers only */
	int n_layer_kv;              /* layers with a KV cache (n_layer but for qwen3next) */
	uint64_t state_bytes_per_seq; /* qwen3next: the F32 recurrent state of one sequence over its
	                              * delta-net layers (delta-rule state and convolution tail); 0 */
} eng_model_info;
/* The first CUDA device's name and peak memory bandwidth in GB/s (memory clock x bus width x 2).
 * Return 0, or -1 when built without CUDA or no device is present. */
int eng_gpu_info(char *name, size_t n, double *peak_gbs);

/* The CPU kernel level in use: "avx512", "avx2", "neon" or "scalar". Ownership: static string. */
const char *eng_cpu_level(void);

/* Fills *out. */
void eng_model_info_get(const eng_model *m, eng_model_info *out);
/* The GGUF's tokenizer.chat_template text, or NULL. Owned by m. */
const char *eng_model_chat_template(const eng_model *m);
/* The chat family in use: eng_opts.chat_template when given, else detected from the GGUF's
 * template; ENG_CHAT_NONE when the model has none or it is not recognised. */
int eng_model_chat_family(const eng_model *m);

/* ---- tokens ---- */
int eng_n_vocab(const eng_model *m);
int32_t eng_token_bos(const eng_model *m);     /* -1 when none */
int32_t eng_token_eos(const eng_model *m);
int eng_token_is_eog(const eng_model *m, int32_t id);
/* The token's stored text (e.g. "<s>", "▁the"), or NULL for a bad id. Owned by m. */
const char *eng_token_text(const eng_model *m, int32_t id);
/* Tokenize `len` bytes. add_special: BOS etc. as the model's vocabulary asks; parse_special:
 * special-token text in `text` becomes those tokens. Writes at most cap ids; returns the total
 * count (call again with a bigger buffer if it exceeds cap), or a negative code. */
int eng_tokenize(const eng_model *m, const char *text, size_t len, int add_special,
		int parse_special, int32_t *out, int cap);
/* The bytes of one token (control tokens only when `special`); returns the full length,
 * writes at most cap bytes, no NUL. Negative for a bad id. */
int eng_token_piece(const eng_model *m, int32_t id, char *buf, int cap, int special);
/* Text of n ids. Returns the full length; NUL-terminated when it fits in cap. */
int eng_detokenize(const eng_model *m, const int32_t *ids, int n, char *buf, int cap, int special);

/* ---- context: KV cache and logits ---- */
typedef struct eng_ctx eng_ctx;

enum { ENG_KV_F16 = 0, ENG_KV_F32 = 1 };
typedef struct eng_ctx_params {
	int n_ctx;        /* KV cells per sequence; 0 = min(model n_ctx_train, 4096) */
	int n_seq;        /* sequences that can be decoded together; 0 = 1 */
	int n_batch;      /* most tokens in one eng_decode; 0 = 512 */
	int kv_type;      /* ENG_KV_F16 (default) or ENG_KV_F32 */
	int n_threads;    /* 0 = the model's */
	int n_outputs;    /* most tokens of one batch that may ask for logits; 0 = n_seq */
} eng_ctx_params;
eng_ctx_params eng_ctx_params_default(void);

/* Allocates the KV cache and every work buffer up front (eng_decode does not allocate).
 * Ownership: caller frees with eng_ctx_free, before the model. */
eng_ctx *eng_ctx_new(eng_model *m, const eng_ctx_params *p, char *err, size_t errlen);
void eng_ctx_free(eng_ctx *c);

/* A batch of tokens. Token i goes to sequence seq[i] at position pos[i] (NULL seq = all 0;
 * NULL pos = continue each sequence after its last cached position). want_logits[i] asks for
 * that token's logits (NULL = only the last token of the batch). */
typedef struct eng_batch {
	int n;
	const int32_t *token;
	const int32_t *pos;
	const int32_t *seq;
	const int8_t *want_logits;
} eng_batch;

/* Runs the model over the batch, appends to the KV cache, fills logits.
 * Return 0, ENG_ECTX_FULL when a sequence would pass n_ctx (nothing is changed), ENG_EINVAL
 * for a bad token id, sequence or n > n_batch. */
int eng_decode(eng_ctx *c, const eng_batch *b);
/* Logits (n_vocab floats) of batch token i from the last eng_decode, or NULL when i did not ask
 * for logits. Owned by c; valid until the next eng_decode. */
const float *eng_logits(const eng_ctx *c, int i);
/* Forget cached positions [p0, p1) of sequence seq (p1 < 0: to the end); seq < 0: all. */
void eng_kv_remove(eng_ctx *c, int seq, int p0, int p1);
/* Number of cached positions of sequence seq. */
int eng_kv_len(const eng_ctx *c, int seq);
/* Makes sequence dst a copy of sequence src: its cached positions (every layer's keys and values,
 * or deepseek2's latent rows) and, for qwen3next, its recurrent state and convolution tail;
 * what dst held is replaced. Decoding dst afterwards gives what decoding src would (a prompt
 * decoded once, then sampled several ways). ENG_OK, ENG_EINVAL for a bad sequence, or
 * ENG_EUNSUPPORTED for a context whose cache is on the GPU. */
int eng_kv_copy(eng_ctx *c, int src, int dst);

/* What a matrix product of the forward pass multiplied: the input rows of one weight (an
 * importance-matrix collector's view, as llama.cpp's eval callback sees each mul_mat and
 * mul_mat_id). weight: the GGUF tensor name ("blk.3.ffn_down.weight"); expert: the expert of a
 * 3-D expert tensor these rows went to, -1 for a plain 2-D product; n_expert: the tensor's
 * experts (1 for 2-D); n_tokens: the tokens of the batch; x: n_rows rows of n_in floats, row r
 * at x + r * stride. Valid during the call only. */
typedef struct eng_matmul_obs {
	const char *weight;
	int expert, n_expert, n_tokens, n_rows;
	int64_t n_in;
	size_t stride;
	const float *x;
} eng_matmul_obs;
typedef void (*eng_matmul_obs_fn)(void *ud, const eng_matmul_obs *o);
/* Calls fn (NULL: none) for every weight product of the CPU forward pass of later
 * eng_decode calls, on the thread that called eng_decode, before the product; an expert
 * tensor's rows come one call per (expert, row). Return 0, or ENG_EUNSUPPORTED for a context
 * whose layers run on a GPU (nothing set). Ownership: ud is borrowed while set. */
int eng_ctx_set_matmul_observer(eng_ctx *c, eng_matmul_obs_fn fn, void *ud);

/* ---- sampling ---- */
typedef struct eng_sampler eng_sampler;
typedef struct eng_sampler_params {
	float temp;              /* <= 0: greedy (argmax; ties to the lowest id) */
	int top_k;               /* <= 0: off */
	float top_p;             /* >= 1 or <= 0: off */
	float min_p;             /* <= 0: off */
	float repeat_penalty;    /* 1 or 0: off; llama.cpp semantics (divide positive, multiply negative) */
	float presence_penalty;  /* 0: off */
	float frequency_penalty; /* 0: off */
	int penalty_last_n;      /* window for penalties (default 64); 0 = off, -1 = whole history */
	uint64_t seed;
} eng_sampler_params;
/* Greedy, no penalties, penalty window 64, seed 0 (chain order as llama.cpp: penalties, top-k, top-p, min-p,
 * temperature, then draw). Ownership: value. */
eng_sampler_params eng_sampler_params_default(void);
/* Ownership: caller frees with eng_sampler_free. NULL on OOM or bad params (err says which). */
eng_sampler *eng_sampler_new(const eng_sampler_params *p, int n_vocab, char *err, size_t errlen);
void eng_sampler_free(eng_sampler *s);
/* Picks a token from logits (n_vocab floats, not modified). Deterministic for a given seed,
 * history and logits. Does not allocate. */
int32_t eng_sampler_sample(eng_sampler *s, const float *logits);
/* Records a token (prompt or generated) in the penalty history. */
void eng_sampler_accept(eng_sampler *s, int32_t id);
/* Clears history and re-seeds. */
void eng_sampler_reset(eng_sampler *s, uint64_t seed);

/* Stop strings: returns the byte offset in text[0..len) where the earliest stop string begins,
 * or -1; *partial is set when text ends with a proper prefix of a stop string (hold that output
 * back until more text arrives). */
long eng_stop_find(const char *text, size_t len, const char *const *stops, int n_stops, int *partial);

/* ---- chat templates ---- */
enum eng_chat_family {
	ENG_CHAT_NONE = 0, ENG_CHAT_CHATML, ENG_CHAT_QWEN3, ENG_CHAT_LLAMA3, ENG_CHAT_LLAMA2,
	ENG_CHAT_MISTRAL, ENG_CHAT_GEMMA, ENG_CHAT_DEEPSEEK, ENG_CHAT_DEEPSEEK3, ENG_CHAT_PHI3,
	ENG_CHAT_ZEPHYR, ENG_CHAT_HARMONY, ENG_CHAT_LLAMA4, ENG_CHAT_DEEPSEEK_R1, ENG_CHAT_KIMI_K2,
	ENG_CHAT_DEEPSEEK3_1, ENG_CHAT_DEEPSEEK3_2_EXP, ENG_CHAT_COUNT
};
typedef struct eng_chat_msg {
	const char *role;      /* "system", "user", "assistant" ("developer" too for harmony) */
	const char *content;
} eng_chat_msg;
/* Family of a Jinja chat template text (tokenizer.chat_template), recognised by its markers;
 * ENG_CHAT_NONE when unknown or NULL (Mistral's v3+ "tekken" templates are not recognised:
 * pass the family by name). */
int eng_chat_detect(const char *tmpl);
/* "chatml", "qwen3", "llama3", "llama2", "mistral", "gemma", "deepseek", "deepseek3", "phi3",
 * "zephyr", "harmony" (gpt-oss), "llama4", "deepseek-r1", "kimi-k2", "deepseek3.1",
 * "deepseek3.2-exp"; "" for NONE. Ownership: static. */
const char *eng_chat_name(int family);
/* Family by name, or -1. */
int eng_chat_from_name(const char *name);
/* Every family's name, ", "-separated, into buf (cut to n - 1 bytes; always terminated when
 * n > 0): the list error messages offer. Returns buf. Ownership: the caller's buffer. */
char *eng_chat_names(char *buf, size_t n);
/* The enable_thinking a family's template assumes when the caller sets none: 0 for deepseek3.1
 * and deepseek3.2-exp (their `thinking` variable defaults to false), 1 for every other family
 * (Qwen3's enable_thinking defaults to true; R1's template always opens a think block; the
 * others have no think block). */
int eng_chat_thinking_default(int family);
/* Renders messages as the family's template does, ending with the assistant generation
 * prompt when add_generation_prompt. enable_thinking: for Qwen3, 0 adds the empty
 * <think></think> block, 1 leaves thinking on; for DeepSeek R1, 1 opens a think block after the
 * generation prompt; for DeepSeek V3.1 / V3.2-Exp, the generation prompt ends in <think> (1) or
 * </think> (0); ignored by others; < 0: eng_chat_thinking_default(family). bos: unused (the
 * tokenizer adds the first BOS; no family writes one inside the prompt). eos: the model's EOS
 * token text, written after assistant turns by families whose templates do (Llama 2, Mistral,
 * ...).
 * NULL on error (unknown family, bad role) with a message in err.
 * Ownership: caller frees the result with free(). */
char *eng_chat_render(int family, const eng_chat_msg *msgs, int n, int add_generation_prompt,
		int enable_thinking, const char *bos, const char *eos, char *err, size_t errlen);
/* Splits a harmony (gpt-oss) reply, the text generated after "<|start|>assistant": each message
 * is "<|channel|>NAME<|message|>CONTENT" ended by <|end|>, <|return|>, <|call|>, the next
 * "<|start|>..." header or the end of the text. The "analysis" and "commentary" channels go to
 * *reasoning, "final" to *answer (several messages of one kind are joined by "\n"); a reply
 * without any <|channel|> marker is all answer, up to its first end marker. Return 0, or -1 out
 * of memory (nothing allocated). Ownership: *reasoning and *answer are NUL-terminated, the
 * caller frees both with free(). */
int eng_chat_harmony_split(const char *text, size_t len, char **reasoning, char **answer);

/* ---- importance matrices ---- */
/* Per-column statistics of the inputs of every weight product (llama.cpp's llama-imatrix):
 * for each weight, the sum of x^2 over its input rows per column and the row count, per expert
 * of an expert tensor. docs/quant-formats.md "Importance matrices". */
typedef struct eng_imatrix eng_imatrix;

typedef struct eng_imatrix_params {
	int n_ctx;                   /* tokens per chunk (the KV cache is cleared between chunks);
	                              * 0 = 512 */
	int n_batch;                 /* tokens per eng_decode; 0 or more than n_ctx = n_ctx */
	int n_chunks;                /* most chunks; 0 = as many as the text holds */
	int n_threads;               /* 0 = the model's */
	int process_output;          /* 1: also collect output.weight (llama-imatrix --process-output) */
	const char *dataset;         /* the text's name, stored in the file; may be NULL */
	void (*progress)(int done, int total, void *ud);   /* after each chunk; may be NULL */
	void *progress_ud;
} eng_imatrix_params;
/* Ownership: value. */
eng_imatrix_params eng_imatrix_params_default(void);

/* An empty matrix, to fill with eng_imatrix_observe. Ownership: caller frees with
 * eng_imatrix_free (which accepts NULL). NULL out of memory. */
eng_imatrix *eng_imatrix_new(void);
void eng_imatrix_free(eng_imatrix *im);
/* An eng_matmul_obs_fn (ud: the eng_imatrix) recording what llama-imatrix records: every
 * expert product's rows, and the rows of plain products of at least 16 tokens whose weight
 * is a block's ("blk.*"). A failure (out of memory, a weight whose shape changed, a
 * non-finite sum) stops recording; eng_imatrix_compute reports it. */
void eng_imatrix_observe(void *ud, const eng_matmul_obs *o);
/* Runs the model (on the CPU) over `text` as llama-imatrix does: the whole text tokenized with
 * BOS, split into chunks of n_ctx tokens (at least two chunks' worth are needed), each chunk's
 * first token replaced by BOS, the cache cleared before each. NULL on failure with one line in
 * err. Ownership: caller frees with eng_imatrix_free; m and text are borrowed for the call. */
eng_imatrix *eng_imatrix_compute(eng_model *m, const char *text, size_t len, const eng_imatrix_params *p,
		char *err, size_t errlen);
/* Reads an imatrix file: the GGUF format (general.type "imatrix"; NAME.in_sum2 and
 * NAME.counts tensors) or llama.cpp's legacy .dat (chosen by the GGUF magic). Every length and
 * count is checked; NULL with one line in err naming the file, offset or entry. Ownership:
 * caller frees with eng_imatrix_free. */
eng_imatrix *eng_imatrix_load(const char *path, char *err, size_t errlen);
/* Writes the GGUF imatrix format (entries sorted by name; imatrix.datasets, imatrix.chunk_count,
 * imatrix.chunk_size), or the legacy .dat (only entries with data for every expert; values are
 * the means times the chunk count), atomically. Return 0 or a negative ENG_ code. */
int eng_imatrix_save(const eng_imatrix *im, const char *path, char *err, size_t errlen);
int eng_imatrix_save_dat(const eng_imatrix *im, const char *path, char *err, size_t errlen);
/* Entries (weights), their names (NULL out of range; owned by im), chunks and dataset name
 * (NULL when none; owned by im). */
int64_t eng_imatrix_n_entries(const eng_imatrix *im);
const char *eng_imatrix_name(const eng_imatrix *im, int64_t i);
int eng_imatrix_chunks(const eng_imatrix *im);
const char *eng_imatrix_dataset(const eng_imatrix *im);
/* The importance weights of `name` as llama-quantize hands them to the quantizers: per matrix,
 * the mean of x^2 per column (sum / rows; 1 for a matrix that saw no rows), [n_mat][n_in] into
 * out (cap floats; out NULL: only the sizes). Return 0, or ENG_EINVAL when there is no such
 * entry or cap is too small. */
int eng_imatrix_values(const eng_imatrix *im, const char *name, float *out, int64_t cap,
		int64_t *n_in, int *n_mat);

/* ---- quantization ---- */

/* One tensor done by eng_quantize_file (for a progress display). */
typedef struct eng_quant_progress {
	int64_t i_tensor, n_tensors;   /* i_tensor counts from 1 */
	const char *name;              /* valid during the call */
	const char *type_in, *type_out;   /* "f32", "q4_K" (static strings) */
	int fallback;                  /* the row length forced a type other than the rule's */
	int requant;                   /* an already quantized tensor was requantized */
	uint64_t bytes_in, bytes_out;
	int no_imatrix;                /* quantized without weights: the imatrix has no entry for this
	                                * block tensor (token_embd and output never have one) */
} eng_quant_progress;
typedef void (*eng_quant_progress_fn)(const eng_quant_progress *p, void *ud);

typedef struct eng_quant_params {
	int n_threads;                 /* 0 = all physical cores */
	int allow_requant;             /* 1: accept already quantized inputs (warned; loses quality) */
	eng_quant_progress_fn progress;   /* NULL: none; called on the calling thread */
	void *progress_ud;
	const eng_imatrix *imatrix;    /* importance weights for the quantizers that take them, or
	                                * NULL; required by IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, Q2_K_S */
	const char *imatrix_file;      /* its name, recorded as quantize.imatrix.file; may be NULL */
	const char *const *tensor_types;   /* "REGEX=TYPE" overrides (POSIX extended regex searched in
	                                * the tensor name; TYPE a tensor type name such as q4_K or
	                                * iq1_s); the last match wins; each must match a quantized tensor */
	int n_tensor_types;
	int dry_run;                   /* 1: only decide each tensor's type and report it through
	                                * progress (nothing is quantized or written) */
} eng_quant_params;
/* Ownership: value. */
eng_quant_params eng_quant_params_default(void);

/* Writes `out`, a copy of the GGUF model `in` quantized as llama-quantize does for the file type
 * `ftype` (eng_ftype_names: "Q4_K_M", "IQ1_S", ...): the same per-tensor types and the same
 * bytes (with p->imatrix, its weights go to every quantizer that takes them), all metadata
 * copied, general.file_type and general.quantization_version set (and quantize.imatrix.* with
 * an imatrix). The IQ1/IQ2 types and Q2_K_S need an imatrix; an imatrix entry of the wrong size
 * or none matching the model, an override matching nothing, or a type this build cannot
 * quantize to are refused before any work, naming the tensor or pattern. Inputs are F32/F16/BF16 tensors; an already quantized
 * tensor is requantized only with allow_requant. Where llama-quantize gives up (a row length
 * the type's fallback cannot hold), the tensor is written as F16. The output is written to a
 * temporary file and renamed into place; `in` is never modified (out naming the same file is
 * refused). Return 0 or a negative ENG_ code with one line in err naming the file, tensor or
 * type. Ownership: paths borrowed for the call. */
/* The llama_ftype number (general.file_type) of a file type name ("Q4_K_M" -> 15;
 * case-insensitive; "Q4_K" = "Q4_K_M", "Q3_K" = "Q3_K_M", "Q5_K" = "Q5_K_M"), or -1 when it is
 * not one eng_quantize_file writes. *base_type (may be NULL) gets the GGUF tensor type most
 * tensors get (12 = q4_K for Q4_K_M). */
int eng_ftype_from_name(const char *name, int *base_type);
/* The file type names eng_quantize_file accepts, comma-separated. Ownership: static string. */
const char *eng_ftype_names(void);
/* The name of a llama_ftype number ("IQ1_S" for 24), or NULL. Ownership: static string. */
const char *eng_ftype_name(int ftype);
/* 1 for the file types llama-quantize refuses without an importance matrix (IQ1_S, IQ1_M,
 * IQ2_XXS, IQ2_XS, IQ2_S, Q2_K_S). */
int eng_ftype_needs_imatrix(int ftype);
int eng_quantize_file(const char *in, const char *out, const char *ftype,
		const eng_quant_params *p, char *err, size_t errlen);
/* One line naming the quantization mix of the GGUF model at `path`: its file type, whether every
 * quantized tensor has the type llama-quantize's rule gives for it ("IQ1_S (llama-quantize's
 * mix): ...") or not ("IQ1_S dynamic (40 of 60 tensors differ ...): ..."), then the tensor
 * types per role, most tensors first: "routed experts iq1_s, shared experts q4_K, attention
 * q4_K/q6_K, dense FFN q4_K, embeddings q4_K, output q6_K". Truncated to cap. Return 0 or a
 * negative ENG_ code with err. Ownership: out is the caller's. */
int eng_quant_mix_describe(const char *path, char *out, size_t cap, char *err, size_t errlen);

#endif
