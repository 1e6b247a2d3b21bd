/* providers/provider.h — the provider interface: where a request goes and a response comes
 * back from. The scheduler treats every provider alike: submit many requests, poll, and a
 * callback fires once per request. Kinds: `samples` (answers from a JSONL file of existing
 * generations), `local` (the built-in engine), and the remote APIs openai, anthropic, gemini,
 * ollama. */
#ifndef TB_PROVIDER_H
#define TB_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct prov prov;

/* Error codes returned by fallible prov_ functions (0 = ok). */
enum {
	PROV_OK = 0,
	PROV_EINVAL = -1,   /* bad argument or request */
	PROV_ENOMEM = -2,
	PROV_EBUSY = -3,    /* the provider cannot accept more requests now; poll first */
	PROV_EIO = -4,
};

/* Class of a failed response: decides whether a resumed run retries the sample. */
typedef enum prov_err_class {
	PROV_ERR_NONE = 0,
	PROV_ERR_TRANSPORT,   /* network: connection refused or reset, DNS: retried on resume */
	PROV_ERR_RATE_LIMIT,  /* 429 after all retries: retried on resume */
	PROV_ERR_SERVER,      /* 5xx after all retries: retried on resume */
	PROV_ERR_CLIENT,      /* 4xx, refused request: not retried */
	PROV_ERR_PARSE,       /* bad_response: malformed or truncated reply: not retried */
	PROV_ERR_MISSING,     /* the provider has no answer for this item (samples) */
	PROV_ERR_CANCELLED,   /* stopped by the user before completion: retried on resume */
	PROV_ERR_AUTH,        /* 401/403, bad key: not retried */
	PROV_ERR_OVERLOADED,  /* 503/529, overloaded after all retries: retried on resume */
	PROV_ERR_TIMEOUT,     /* connect / first-byte / idle / total timeout: retried on resume */
	PROV_ERR_CONTENT_FILTER, /* blocked or refused by the provider's filter: not retried */
	PROV_ERR_CONTEXT_LENGTH, /* prompt too long for the model: not retried */
	PROV_ERR__COUNT
} prov_err_class;

typedef struct prov_prices prov_prices;

/* What a target in the run spec says about its provider. All strings borrowed for the
 * duration of prov_open; the provider copies what it keeps. Valid when zeroed. */
typedef struct prov_target {
	const char *id;           /* target id from the spec, for messages */
	const char *provider;     /* "samples", ... */
	const char *model;        /* model name; for `samples` the path of the JSONL file */
	const char *options_json; /* provider options as a JSON object text, or NULL */
	const char *base_dir;     /* relative paths resolve against this (the spec's folder), or NULL */
	int has_prices;           /* 1: the spec's prices below replace the price table's entry */
	double price_in_usd_per_mtok;  /* 0 when unknown */
	double price_out_usd_per_mtok;
	double price_cached_usd_per_mtok; /* prompt-cache reads; < 0 or unset with has_prices: input price */
	const prov_prices *prices; /* the built-in price table, read once by a caller that opens many
	                            * targets (borrowed for prov_open); NULL: the target reads it */
} prov_target;

/* One chat message; both strings owned by the request that holds it. */
typedef struct prov_msg {
	char *role;
	char *content;
} prov_msg;

/* What a request asks for. */
typedef enum prov_req_kind {
	PROV_REQ_GENERATE = 0,  /* text generation (the default) */
	/* Log-probabilities of given text (lm-eval's loglikelihood / loglikelihood_rolling): for
	 * each scored position i (score_from <= i < n), log p(token i | tokens 0..i-1) and the top_k
	 * most likely tokens there with their log-probabilities. Nothing is generated. */
	PROV_REQ_LOGPROBS = 1,
} prov_req_kind;

/* One request. Built by a suite (suite_build), owned by whoever holds it and released with
 * prov_req_release. prov_submit copies what it needs, so the caller may release the request
 * as soon as prov_submit returns. Valid when zeroed. */
typedef struct prov_req {
	prov_req_kind kind;
	char *task_id;        /* the dataset item's id (samples provider answers by it) */
	int sample;           /* 0-based sample index for this item */
	char *prompt;         /* completion-style prompt, or NULL for chat */
	prov_msg *messages;   /* chat messages [n_messages], or NULL */
	size_t n_messages;
	int max_tokens;       /* 0 = provider default */
	double temperature;
	double top_p;         /* 0 = provider default */
	char **stop;          /* [n_stop] stop strings */
	size_t n_stop;
	int64_t seed;         /* -1 = none */
	int ignore_eos;       /* 1: an end-of-generation token does not end the reply, which runs
	                       * to max_tokens or a stop string (vLLM's and llama-server's
	                       * "ignore_eos"; the local provider, and sent as that field by the
	                       * openai dialect) */
	/* PROV_REQ_LOGPROBS: the text as token ids of the target's own tokenizer (BOS included
	 * where the model takes one), or NULL to score `prompt` as the provider tokenizes it. */
	int32_t *tokens;      /* [n_tokens] */
	size_t n_tokens;
	long score_from;      /* first scored position (>= 1); < 1: the second half, n / 2 + 1 */
	int top_k;            /* top log-probabilities per scored position, 0..PROV_MAX_TOP_K */
} prov_req;

#define PROV_MAX_TOP_K 128

/* One response. Heap-allocated by the provider and handed to the done callback, which owns it
 * from then on (prov_resp_free). Times are milliseconds since prov_submit. */
typedef struct prov_resp {
	char *text;           /* the answer (completion), "" when empty; NULL only on error */
	char *reasoning;      /* reasoning text kept apart from the answer, or NULL */
	char *finish_reason;  /* "stop", "length", ..., or NULL */
	int64_t n_tokens_in;
	int64_t n_tokens_out;
	int64_t n_tokens_reasoning;
	int64_t n_tokens_cached;
	double t_first_token_ms; /* first reasoning or answer text (docs/metrics.md); < 0 unknown */
	double t_first_answer_ms;/* first answer text, after any reasoning; < 0 unknown */
	double t_done_ms;        /* end to end, last attempt's end; < 0 when unknown */
	double *gaps_ms;         /* [n_gaps] gaps between content-bearing stream events, or NULL */
	size_t n_gaps;
	double cost_usd;
	prov_err_class err;
	char *err_msg;        /* one line, or NULL */
	int attempts;
	/* PROV_REQ_LOGPROBS (text is ""): per scored position, the given token's log-probability,
	 * then top_k entries (descending) of token id and log-probability; an id the provider cannot
	 * name (a server that gives token text only) is -1. */
	size_t n_lp;          /* scored positions */
	float *lp;            /* [n_lp] */
	int top_k;
	int32_t *top_id;      /* [n_lp * top_k] */
	float *top_lp;        /* [n_lp * top_k] */
} prov_resp;

/* Called once per submitted request, from inside prov_poll, on the polling thread.
 * rq is a read-only copy of the submitted request, valid only during the call.
 * Ownership: resp is transferred to the callback (free with prov_resp_free). */
typedef void (*prov_done_fn)(void *ud, const prov_req *rq, prov_resp *resp);

/* Description of a provider kind for `tierbench list`. Ownership: static strings. */
typedef struct prov_info {
	const char *name;
	const char *summary;
	const char *const *option_keys;   /* the keys of its options object, NULL-terminated;
	                                   * NULL when the kind takes no options */
} prov_info;

/* The known provider kinds; *n receives the count. Ownership: static table. */
const prov_info *prov_list(size_t *n);

/* An estimate of how many tokens a BPE tokenizer of a current API model (cl100k / o200k style)
 * makes of text, for targets whose tokenizer is not at hand: a word of letters is a token (one
 * more per 8 letters past the first), digits go in groups of 3, every other visible byte is a
 * token, white space joins the next token. English prose comes out at about 5.5 bytes a token
 * where the old 4-bytes-a-token rule left prompts a third short. Ownership: reads text. */
long prov_estimate_tokens(const char *text);

/* Opens a provider for one target. On failure returns NULL and writes one line naming the
 * file, line or option into err. Ownership: caller closes with prov_close. */
prov *prov_open(const prov_target *t, char *err, size_t errlen);

/* Checks before a run that the provider can answer each (task_id, samples) pair. Returns 0, or
 * PROV_EINVAL with one line into err listing the first missing ids (e.g. "gens.jsonl: no
 * sample for 12 tasks: 3, 7, 19, ..."). Providers that can answer anything return 0.
 * Ownership: borrows all arguments. */
int prov_check(prov *p, const char *const *task_ids, size_t n_tasks, int n_samples,
	char *err, size_t errlen);

/* Largest number of requests this provider wants in flight (0 = no limit of its own); for
 * `local`, its options.n_parallel. */
int prov_max_in_flight(const prov *p);

/* Number of tokens of text with the target's own tokenizer, as a completion prompt (BOS
 * included), into *out. Returns 0, or PROV_EINVAL when the provider has no tokenizer here
 * (remote kinds) or the text cannot be tokenized. Ownership: text borrowed for the call. */
int prov_count_tokens(prov *p, const char *text, long *out);

/* The token ids of text with the target's own tokenizer (BOS first when add_bos and the model
 * has one), up to cap into out; *n gets the full count (call with cap 0 to size). Returns 0, or
 * PROV_EINVAL when the provider has no tokenizer here (remote kinds). Ownership: borrows. */
int prov_tokenize(prov *p, const char *text, int add_bos, int32_t *out, long cap, long *n);

/* Facts of the target's model, recorded in the store's targets row when a run starts so that
 * reports never open model files. Zero / "" = unknown. */
typedef struct prov_model_facts {
	int64_t file_bytes;       /* the model file's size */
	int64_t n_params;         /* parameters */
	int64_t n_params_active;  /* parameters one token uses (dense models: n_params) */
	double bpw;               /* bits per weight: 8 x file bytes / parameters */
	char arch[32];            /* "llama", "qwen2", ... */
	char file_type[16];       /* the file's own type label ("Q4_K_M"), "" when absent */
	char type_mix[256];       /* tensor counts by type: "q4_K:113 q6_K:1 f32:45" */
} prov_model_facts;

/* Fills *out with what the provider knows of its model (local: the GGUF's metadata; remote
 * kinds: nothing). Returns 1 when something is known, else 0 with *out zeroed. */
int prov_model_facts_get(prov *p, prov_model_facts *out);

/* The target's context length in tokens (local: options.n_ctx), or 0 when unknown. */
int prov_context_length(const prov *p);

/* 1 when the provider computes on this machine (local): the scheduler runs such targets one
 * after another so that they do not share the CPU or GPU, and their timings stay their own. */
int prov_exclusive(const prov *p);

/* Queues a request. done fires later from prov_poll (never from inside prov_submit).
 * Returns 0, PROV_EBUSY, or another negative code. Ownership: rq borrowed for the call. */
int prov_submit(prov *p, const prov_req *rq, prov_done_fn done, void *ud);

/* Drives I/O and fires callbacks; waits at most timeout_ms when nothing is ready.
 * Returns the number of callbacks fired, or a negative code. */
int prov_poll(prov *p, int timeout_ms);

/* ---- streamed generation (local only; `tierbench serve`, docs/serve.md) ---- */

#define PROV_MAX_TOP_LOGPROBS 20

/* One generated token of a streamed request (the end of generation token excluded). All
 * pointers are borrowed for the callback only. answer and reasoning are the text that is final
 * so far: each grows by appending (a later event's text starts with an earlier one's), held
 * back where a stop string, a "</think>" marker or trailing white space of the reasoning may
 * still be forming; the response handed to the done callback holds the final text. */
typedef struct prov_token_ev {
	int32_t id;
	const char *piece;        /* the token's text bytes [n_piece] (may end inside a UTF-8 sequence) */
	size_t n_piece;
	double logprob;           /* log p(id) under the model's own distribution (the logits before
	                           * temperature and top_p); 0 unless prov_stream.logprobs */
	int n_top;                /* alternatives below: prov_stream.top_logprobs, most likely first */
	const int32_t *top_id;    /* [n_top] */
	const float *top_lp;      /* [n_top] */
	const char *const *top_piece; /* [n_top] text of each, with top_n[n_top] its length */
	const size_t *top_n;
	const char *answer;       /* [n_answer] answer text final so far */
	size_t n_answer;
	const char *reasoning;    /* [n_reasoning] reasoning text final so far (trimmed) */
	size_t n_reasoning;
} prov_token_ev;

/* Called per generated token from inside prov_poll, on the polling thread. A nonzero return
 * cancels the request (its done callback then fires with PROV_ERR_CANCELLED). */
typedef int (*prov_token_fn)(void *ud, const prov_token_ev *ev);

/* What a streamed request wants per token. Valid when zeroed (no logprobs). */
typedef struct prov_stream {
	prov_token_fn on_token;
	int logprobs;             /* 1: fill prov_token_ev.logprob */
	int top_logprobs;         /* 0..PROV_MAX_TOP_LOGPROBS alternatives per token (needs logprobs) */
} prov_stream;

/* As prov_submit, and st->on_token fires for each generated token before done fires. Returns
 * PROV_EINVAL for a provider that cannot stream tokens (every kind but local) or a
 * PROV_REQ_LOGPROBS request. Ownership: rq and st borrowed for the call. */
int prov_submit_stream(prov *p, const prov_req *rq, const prov_stream *st, prov_done_fn done,
	void *ud);

/* Cancels the one in-flight request submitted with ud: its sequence is freed now and its done
 * callback fires from the next prov_poll with PROV_ERR_CANCELLED (a response already complete
 * is handed over as it is). Returns 0, or PROV_EINVAL when no running request has ud or the
 * kind cannot cancel one request. Ownership: ud is only compared. */
int prov_cancel(prov *p, const void *ud);

/* Number of submitted requests whose callbacks have not fired yet. */
int prov_in_flight(const prov *p);

/* Cancels all in-flight requests: their callbacks fire from the next prov_poll with
 * err = PROV_ERR_CANCELLED, or never if the provider is closed first. */
void prov_cancel_all(prov *p);

/* Closes the provider; pending callbacks never fire. prov_close(NULL) does nothing. */
void prov_close(prov *p);

/* Frees every heap field of rq and zeroes it (not rq itself). NULL does nothing. */
void prov_req_release(prov_req *rq);

/* Deep copy of rq into *dst. Returns 0 or PROV_ENOMEM. Ownership: caller releases dst. */
int prov_req_copy(prov_req *dst, const prov_req *rq);

/* New zeroed response with times set to -1. Ownership: caller frees with prov_resp_free. */
prov_resp *prov_resp_new(void);

/* Frees a response and all its strings. NULL does nothing. */
void prov_resp_free(prov_resp *r);

/* Short stable name of an error class ("transport", "missing", ...). Ownership: static. */
const char *prov_err_class_name(prov_err_class c);

/* 1 when a sample that failed with class c should be tried again on resume. */
int prov_err_class_retryable(prov_err_class c);


/* ---- prices (prices.c; table in datasets/prices.json, docs/spec.md "prices") ---- */

#define PROV_PRICE_MAX_TIERS 4

/* Prices that replace the base ones when the prompt has more than above_input_tokens. */
typedef struct prov_price_tier {
	int64_t above_input_tokens;
	double input_per_mtok, output_per_mtok, cached_input_per_mtok;
} prov_price_tier;

/* USD per million tokens. cached_input_per_mtok < 0: cached input is billed at the input
 * price. Tiers rise by above_input_tokens. Valid when zeroed (free). */
typedef struct prov_price {
	double input_per_mtok, output_per_mtok, cached_input_per_mtok;
	prov_price_tier tiers[PROV_PRICE_MAX_TIERS];
	size_t n_tiers;
	char as_of[16];           /* the table entry's "as_of" date ("2026-11-05"), or "" */
} prov_price;

/* Parses a price table from JSON text; file names it in errors, which give the JSON path
 * ("prices.json: models[3].tiers[0].input_per_mtok: expected a number >= 0").
 * Ownership: caller frees with prov_prices_free; NULL with err on failure. */
prov_prices *prov_prices_parse(const char *json, const char *file, char *err, size_t errlen);

/* Reads and parses the table at path. Ownership: as prov_prices_parse. */
prov_prices *prov_prices_load(const char *path, char *err, size_t errlen);

/* Frees a table. NULL does nothing. */
void prov_prices_free(prov_prices *t);

/* The entry for model: the longest table name that model equals or extends by a snapshot
 * suffix ("-20251001", "-2025-04-14", "-latest"); on a tie the entry of provider wins.
 * Returns 0 with *out filled, or PROV_EINVAL when the table has no price. Ownership: borrows. */
int prov_prices_find(const prov_prices *t, const char *provider, const char *model,
	prov_price *out);

/* Path of the built-in table: $TB_PRICES, else datasets/prices.json found by walking up from
 * the running binary (build tree), else share/tierbench/datasets/prices.json (install).
 * Writes it into buf and returns buf, or NULL when none exists. Ownership: buf is the caller's. */
const char *prov_prices_default_path(char *buf, size_t n);

/* Cost in USD of one request: the tier is chosen by n_in (prompt tokens, cached included);
 * n_cached of them at the cached price, the rest at the input price, n_out (reasoning
 * included) at the output price. */
double prov_price_cost_usd(const prov_price *p, int64_t n_in, int64_t n_out, int64_t n_cached);

/* ---- logging (provider.c) ---- */

/* Levels of provider messages, most severe first. */
enum { PROV_LOG_ERROR = 0, PROV_LOG_WARN, PROV_LOG_INFO, PROV_LOG_DEBUG };

/* A sink for one message: one line without a newline, never holding an API key or an
 * Authorization header (a key a server echoes is replaced by "[redacted]"). */
typedef void (*prov_log_fn)(void *ud, int level, const char *msg);

/* Sends messages at max_level and more severe to fn (NULL: none, the default); providers test
 * the level before formatting. Set it before opening providers, from the polling thread.
 * Ownership: ud is borrowed while set. */
void prov_log_set(prov_log_fn fn, void *ud, int max_level);

/* Text for a PROV_E* code. Ownership: static. */
const char *prov_strerror(int code);

#endif
