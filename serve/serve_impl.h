/* serve/serve_impl.h — what the serve folder shares inside itself and with its tests: the
 * OpenAI request parser and response writers (oai.c) and the Prometheus metrics (metrics.c).
 * Pure functions of their arguments; no I/O, no threads. */
#ifndef TB_SERVE_IMPL_H
#define TB_SERVE_IMPL_H

#include <stdint.h>

#include "base/base.h"
#include "providers/provider.h"
#include "serve/serve.h"

struct cJSON;

/* ---- oai.c: requests ---- */

/* An error in OpenAI's shape: {"error":{"message","type","param","code"}}. */
typedef struct srv_err {
	int status;               /* HTTP status */
	char message[512];
	const char *type;         /* "invalid_request_error", "authentication_error", ... */
	char param[64];           /* "" for null */
	const char *code;         /* NULL for null */
} srv_err;

/* Fills e (message printf-style). */
void srv_err_set(srv_err *e, int status, const char *type, const char *param, const char *code,
	const char *fmt, ...) TB_PRINTF(6, 7);

/* The error body. Ownership: heap, caller frees; NULL on OOM. */
char *srv_err_json(const srv_err *e);

/* One parsed completion request. */
typedef struct srv_params {
	int chat;                 /* 1: /v1/chat/completions; 0: /v1/completions */
	prov_req rq;              /* prompt or messages, max_tokens, temperature, top_p, seed, stop */
	int stream;
	int include_usage;        /* stream_options.include_usage */
	int logprobs;             /* chat: logprobs true; completions: logprobs given (>= 0) */
	int top_logprobs;         /* alternatives per token */
} srv_params;

/* Parses body[0..n) of a POST to the chat (chat = 1) or completions endpoint. The model named
 * must be served_model (absent: the served one). Unknown fields are ignored, as OpenAI does;
 * known ones of the wrong type or range give 400, n other than 1 too. Returns 0, or -1 with e
 * filled (400, or 404 model_not_found). Ownership: out released with srv_params_release. */
int srv_params_parse(const char *body, size_t n, int chat, const char *served_model,
	srv_params *out, srv_err *e);
void srv_params_release(srv_params *p);

/* ---- oai.c: responses ---- */

/* Length of the longest prefix of p[0..n) that does not end inside a UTF-8 sequence still
 * being formed (bytes that can never form one are kept: they go out as U+FFFD). */
size_t srv_utf8_complete(const char *p, size_t n);

/* What a response says; strings borrowed. */
typedef struct srv_result {
	const char *id;           /* "chatcmpl-..." / "cmpl-..." */
	long created;             /* Unix seconds */
	const char *model;
	int chat;
	const char *finish;       /* "stop", "length"; NULL in a chunk that has none */
	int64_t n_in, n_out, n_reasoning;
	const struct cJSON *lp;   /* chat-shaped log-probability entries (srv_lp_entry), or NULL */
	size_t lp_offset;         /* completions: text offset of the first entry's token */
} srv_result;

/* A chat-shaped log-probability entry of one token: {"token","logprob","bytes","top_logprobs"}.
 * Ownership: caller deletes (cJSON_Delete); NULL on OOM. */
struct cJSON *srv_lp_entry(const prov_token_ev *ev, int top);

/* The whole non-streamed body: text and reasoning (NULL: none) as the message or the choice's
 * text, the finish reason, usage. Ownership: heap string, caller frees; NULL on OOM. */
char *srv_body_json(const srv_result *r, const char *text, const char *reasoning);

/* One stream chunk: a delta of content (n_text bytes) and of reasoning, the role when first,
 * the log-probabilities and finish reason of r; "usage": null when with_usage_null (the stream
 * asked for usage). Ownership: as srv_body_json. */
char *srv_chunk_json(const srv_result *r, int first, const char *text, size_t n_text,
	const char *reasoning, size_t n_reasoning, int with_usage_null);

/* The last chunk of a stream that asked for usage: no choices, the usage. Ownership: as above. */
char *srv_usage_chunk_json(const srv_result *r);

/* Appends one SSE event "data: <data>\n\n" to out (data holds no newline: JSON as cJSON prints
 * it unformatted, or "[DONE]"). Returns 0 or a tb_buf error. */
int srv_sse_add(tb_buf *out, const char *data);

/* 1 when the bearer key in the Authorization header value auth (NULL: absent) is key,
 * compared in time that does not depend on where they differ. */
int srv_key_ok(const char *auth, const char *key);

/* ---- metrics.c ---- */

#define SRV_HIST_N 14

/* A Prometheus histogram with fixed bucket bounds in seconds. */
typedef struct srv_hist {
	uint64_t count[SRV_HIST_N + 1];   /* per bucket (not cumulative); the last is +Inf */
	uint64_t n;
	double sum;
} srv_hist;

void srv_hist_observe(srv_hist *h, double seconds);

enum { SRV_EP_CHAT = 0, SRV_EP_COMPLETIONS, SRV_EP_MODELS, SRV_EP_HEALTH, SRV_EP_METRICS,
	SRV_EP_OTHER, SRV_EP__COUNT };

/* Everything counted since the start; the server holds it under its lock. Valid when zeroed. */
typedef struct srv_metrics {
	uint64_t requests[SRV_EP__COUNT][6];  /* by endpoint and status class: 2xx 4xx 429 5xx 503 other */
	uint64_t prompt_tokens, completion_tokens, reasoning_tokens;
	uint64_t cancelled;                   /* requests whose client went away */
	srv_hist ttft, itl, e2e;
} srv_metrics;

/* Counts one answered request. */
void srv_metrics_request(srv_metrics *m, int endpoint, int status);

/* Appends the Prometheus text exposition (version 0.0.4) of m and the gauges to out.
 * Returns 0 or a tb_buf error. */
int srv_metrics_text(const srv_metrics *m, int queue_depth, int running, int slots, tb_buf *out);

#endif
