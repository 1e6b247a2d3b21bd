/* providers/provider_impl.h — what the providers folder shares inside itself: the vtable every
 * provider kind fills, and the registry. Included only by providers/ and its tests. */
#ifndef TB_PROVIDER_IMPL_H
#define TB_PROVIDER_IMPL_H

#include "base/base.h"
#include "providers/provider.h"

struct cJSON;

typedef struct prov_vtable {
	const char *name;
	const char *summary;
	/* Opens the kind's state; NULL with err on failure. */
	void *(*open)(const prov_target *t, char *err, size_t errlen);
	void (*close)(void *self);
	/* Optional (NULL = can answer anything). */
	int (*check)(void *self, const char *const *task_ids, size_t n_tasks, int n_samples,
		char *err, size_t errlen);
	int (*submit)(void *self, const prov_req *rq, prov_done_fn done, void *ud);
	int (*poll)(void *self, int timeout_ms);
	int (*in_flight)(const void *self);
	void (*cancel_all)(void *self);
	/* Optional: as prov_submit_stream and prov_cancel (NULL: PROV_EINVAL). */
	int (*submit_stream)(void *self, const prov_req *rq, const prov_stream *st,
		prov_done_fn done, void *ud);
	int (*cancel)(void *self, const void *ud);
	int max_in_flight;     /* 0 = no limit of its own */
	/* Optional: this instance's in-flight limit (overrides max_in_flight). */
	int (*limit)(const void *self);
	/* Optional: tokens of text with the target's tokenizer (NULL: PROV_EINVAL). */
	int (*count_tokens)(void *self, const char *text, long *out);
	/* Optional: the target's context length in tokens (NULL: unknown). */
	int (*context_length)(const void *self);
	int exclusive;         /* 1: computes on this machine; run alone (prov_exclusive) */
	/* Optional: as prov_tokenize (NULL: PROV_EINVAL). */
	int (*tokenize)(void *self, const char *text, int add_bos, int32_t *out, long cap, long *n);
	/* Optional: as prov_model_facts_get (NULL: nothing known). */
	int (*facts)(void *self, prov_model_facts *out);
	/* The keys options_json may hold, NULL-terminated (NULL: the kind takes no options). */
	const char *const *option_keys;
} prov_vtable;

extern const prov_vtable prov_samples_vtable, prov_openai_vtable, prov_anthropic_vtable,
	prov_gemini_vtable, prov_ollama_vtable, prov_local_vtable;

/* ---- provider.c: helpers every kind shares ---- */

/* Monotonic clock in milliseconds. */
double prov_now_ms(void);
/* Option k of object o as a number in [lo, hi] (a boolean reads as 0 / 1) into *out; absent
 * leaves *out. Returns 0, or -1 with "options.K: expected a number in [lo, hi]" in err. */
int prov_opt_num(const struct cJSON *o, const char *k, double lo, double hi, double *out,
	char *err, size_t errlen);
/* Every key of object o must be in keys (NULL-terminated); else -1 with "options.K: unknown key
 * for provider WHAT (known: a, b, ...)" in err, the list written from keys. 0 when all are. */
int prov_opt_check_keys(const struct cJSON *o, const char *const *keys, const char *what,
	char *err, size_t errlen);
/* Option k as a non-empty string, replacing *out (heap); absent leaves *out. 0 or -1 (err). */
int prov_opt_str(const struct cJSON *o, const char *k, char **out, char *err, size_t errlen);

/* Allocates r's log-probability arrays for n_lp positions and top_k entries each (ids -1,
 * log-probabilities -inf until filled). 0 or PROV_ENOMEM (then prov_resp_free frees what was
 * allocated). */
int prov_resp_lp_alloc(prov_resp *r, size_t n_lp, int top_k);

/* ---- provider.c: the log sink ---- */

/* 1 when a message at level would reach the sink (test before formatting). */
int prov_log_on(int level);
/* Hands one message line to the sink. Ownership: msg borrowed for the call. */
void prov_log_emit(int level, const char *msg);

/* ---- stream.c: the providers' buffer codes, SSE parser, NDJSON reader ---- */

/* Buffers are tb_buf (base/base.h), each with its cap set. This appends n bytes and gives the
 * provider codes: 0, PROV_ENOMEM, or PROV_EIO past the cap (nothing added; the buffer then
 * refuses every append until tb_buf_reset). */
int prov_buf_add(tb_buf *b, const void *p, size_t n);

/* One dispatched SSE event; all strings borrowed for the callback only. */
typedef struct prov_sse_event {
	const char *event;  /* "message" when the stream named none */
	const char *data;   /* data lines joined by "\n" */
	size_t data_len;
	const char *id;     /* last event id, "" when none */
} prov_sse_event;

/* Called per event; a nonzero return stops prov_sse_feed and is returned from it. */
typedef int (*prov_sse_fn)(void *ud, const prov_sse_event *ev);
/* Called per line whose field name SSE does not know (the spec ignores them; Gemini sends a
 * bare JSON error object this way). Optional. */
typedef int (*prov_sse_other_fn)(void *ud, const char *line, size_t n);

/* Incremental SSE parser: lines end in CRLF, LF or CR (a CRLF split across feeds counts
 * once); ':' lines are comments; fields data / event / id / retry. */
typedef struct prov_sse {
	tb_buf line, data, event, id;
	long retry_ms;        /* last valid retry field, -1 when none */
	long n_events;
	int skip_lf, started, bom_seen, data_seen;
	prov_sse_fn fn;
	prov_sse_other_fn other;
	void *ud;
} prov_sse;

/* Ownership: s is the caller's; release with prov_sse_release. Lines and events longer than
 * max_event_bytes make prov_sse_feed return PROV_EIO. */
void prov_sse_init(prov_sse *s, size_t max_event_bytes, prov_sse_fn fn, prov_sse_other_fn other,
	void *ud);
/* Feeds bytes split anywhere: 0, PROV_EIO (over the cap), PROV_ENOMEM, or the callback's
 * nonzero return. Ownership: p borrowed for the call. */
int prov_sse_feed(prov_sse *s, const char *p, size_t n);
/* End of stream: a pending last line and event are delivered (servers often omit the final
 * blank line); returns as prov_sse_feed. */
int prov_sse_finish(prov_sse *s);
void prov_sse_release(prov_sse *s);

/* Called per non-blank NDJSON line (surrounding blanks and CR removed); nonzero stops. */
typedef int (*prov_line_fn)(void *ud, const char *line, size_t n);

typedef struct prov_ndjson {
	tb_buf line;
	long n_lines;
	prov_line_fn fn;
	void *ud;
} prov_ndjson;

/* Same contract as the SSE functions above. */
void prov_ndjson_init(prov_ndjson *r, size_t max_line_bytes, prov_line_fn fn, void *ud);
int prov_ndjson_feed(prov_ndjson *r, const char *p, size_t n);
int prov_ndjson_finish(prov_ndjson *r);
void prov_ndjson_release(prov_ndjson *r);


/* ---- ratelimit.c: token bucket for rpm / tpm ---- */

/* Refills at per_minute / 60000 units a millisecond up to one second's worth (at least 1).
 * Valid when zeroed (no limit). */
typedef struct prov_bucket {
	double rate_per_ms, cap, level, t_ms;
} prov_bucket;

/* per_minute <= 0: no limit. The bucket starts full at now_ms. */
void prov_bucket_init(prov_bucket *b, double per_minute, double now_ms);
/* 1 when need units may go now (a need above the capacity goes once the bucket is full);
 * else 0 and *wait_ms (may be NULL) says how long until it may. */
int prov_bucket_ready(prov_bucket *b, double need, double now_ms, double *wait_ms);
/* Spends n units; the level may go below zero (a correction or an oversized request). */
void prov_bucket_take(prov_bucket *b, double n);
/* Returns n units (a correction when the real count was below the estimate), up to the cap. */
void prov_bucket_give(prov_bucket *b, double n);


/* ---- api.c: wire dialects ---- */

/* What one response has said so far, from stream events or a whole body. */
typedef struct prov_acc {
	tb_buf text;          /* answer */
	tb_buf reasoning;     /* reasoning / thinking, kept apart */
	tb_buf other;         /* SSE lines with unknown fields (a bare error object) */
	char finish[32];        /* normalized: stop, length, content_filter, tool_calls, ... */
	int64_t n_in, n_out, n_reasoning, n_cached;  /* n_out includes n_reasoning; n_in n_cached */
	int has_usage;
	int complete;           /* the dialect's end of response was seen */
	int done_marker;        /* OpenAI "[DONE]" */
	prov_err_class err;
	char err_msg[256];
	/* PROV_REQ_LOGPROBS: as the prov_resp fields of the same names (heap, moved to it) */
	size_t n_lp;
	float *lp;
	int top_k;
	int32_t *top_id;
	float *top_lp;
} prov_acc;

void prov_acc_init(prov_acc *a);
void prov_acc_release(prov_acc *a);
/* Classifies an error from an HTTP status (0 inside a stream) and the parsed error JSON (may
 * be NULL) into a->err and a one-line a->err_msg; the first error recorded wins. */
void prov_acc_error(prov_acc *a, int status, const char *msg, const struct cJSON *j);
/* Same from a non-2xx HTTP body (any bytes). Ownership: body borrowed. */
void prov_acc_http_error(prov_acc *a, int status, const char *body, size_t n);
/* After a stream ends: reads a->other as a bare JSON error object; PROV_EIO when it is one. */
int prov_acc_finish_other(prov_acc *a);

/* Per-target settings a dialect builds a request from. Strings borrowed. */
typedef struct prov_api_cfg {
	const char *base_url;
	const char *model;
	int stream;
	const char *reasoning_effort;  /* OpenAI reasoning_effort; Ollama think on unless "none" */
	int thinking_budget;           /* Anthropic budget_tokens, Gemini thinkingBudget (-1 = auto) */
	int max_completion_tokens;     /* OpenAI: send max_completion_tokens, not max_tokens */
	int completions;               /* OpenAI: completion-style requests (a prompt, no messages) go to
	                                * /completions as the plain prompt (options.api "completions") */
} prov_api_cfg;

typedef struct prov_dialect {
	const char *name;
	const char *default_base_url;
	const char *default_key_env;   /* NULL: no key */
	const char *key_header;        /* header prefix the key is appended to */
	const char *extra_header;      /* one more fixed header, or NULL */
	int ndjson;                    /* stream framing: 1 NDJSON, 0 SSE */
	/* Returns the JSON body (malloc) and writes the URL into url; NULL on ENOMEM. */
	char *(*build)(const prov_api_cfg *c, const prov_req *rq, tb_buf *url);
	/* One stream event (SSE event name or NULL, data). Nonzero: stop, a->err says why. */
	int (*event)(prov_acc *a, const char *event, const char *data, size_t n);
	/* A whole non-streamed 2xx body. */
	int (*body)(prov_acc *a, const char *body, size_t n);
	/* Stop strings the vendor accepts in one request, 0 = no limit: build sends the first
	 * max_stop, the rest are applied to the answer by prov_stop_cut. */
	size_t max_stop;
	/* PROV_REQ_LOGPROBS, optional (NULL: the API has no log-probabilities of given text, and
	 * such a request fails at once with PROV_ERR_CLIENT): the body and URL of a non-streamed
	 * scoring request, and the reading of its whole 2xx body into a's log-probability fields. */
	char *(*build_lp)(const prov_api_cfg *c, const prov_req *rq, tb_buf *url);
	int (*body_lp)(prov_acc *a, const prov_req *rq, const char *body, size_t n);
} prov_dialect;

/* Cuts text at the earliest occurrence of any of stop[0..n) (empty strings ignored), as a
 * server applies its stop strings: the stop string itself is not kept. Returns 1 when it cut.
 * Ownership: writes a NUL into text, nothing else. */
int prov_stop_cut(char *text, char *const *stop, size_t n);

extern const prov_dialect prov_dialect_openai, prov_dialect_anthropic, prov_dialect_gemini,
	prov_dialect_ollama;

#endif
