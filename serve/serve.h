/* serve/serve.h — `tierbench serve`: the built-in engine behind an OpenAI-compatible HTTP
 * server (libmicrohttpd). Requests are decoded together by the `local` provider's continuous
 * batching (providers/local.c), one sequence each; the server adds the HTTP wire, the OpenAI
 * request and response shapes, streaming, limits, metrics and a drain on shutdown
 * (docs/serve.md). This header is the module's only door; its prefix is srv_. */
#ifndef TB_SERVE_H
#define TB_SERVE_H

#include <stddef.h>

typedef struct srv srv;

/* Options of one server. Strings are borrowed for srv_open. Valid when zeroed apart from the
 * model path; srv_opts_default gives the documented defaults. */
typedef struct srv_opts {
	const char *model_path;   /* the GGUF file */
	const char *model_name;   /* the name /v1/models lists and requests must use; NULL: the
	                           * file name without .gguf */
	const char *host;         /* numeric address to listen on; NULL: 127.0.0.1 */
	int port;                 /* 0: a free port (srv_port tells which) */
	int n_parallel;           /* sequences decoded together (slots) */
	int n_ctx;                /* context per sequence; 0: the local provider's default */
	int n_threads;            /* engine threads; 0: the engine's default */
	const char *chat_template;/* a chat family name for models without a known template, or NULL */
	const char *api_key;      /* bearer key every /v1 request must carry, or NULL for none */
	int queue_max;            /* requests waiting for a slot before 429 */
	size_t max_body_bytes;    /* request body cap (413 past it) */
	size_t max_header_bytes;  /* memory for one connection's request line and headers (431) */
	int max_connections;      /* open connections at once */
	int idle_timeout_s;       /* a connection idle this long is closed */
	size_t max_pending_bytes; /* stream bytes a client has not read yet before it is cancelled */
} srv_opts;

/* The defaults: 127.0.0.1:8080, 4 slots, queue 64, 8 MiB bodies, 64 KiB headers, 1024
 * connections, 30 s idle, 16 MiB unread stream. Ownership: value. */
srv_opts srv_opts_default(void);

/* Loads the model (one warm-up token decoded, so the first request is not the one that reads
 * the weights), starts the engine thread and the HTTP daemon. NULL with one line in err on
 * failure (the file, the option, or the address that could not be bound).
 * Ownership: caller closes with srv_close. */
srv *srv_open(const srv_opts *o, char *err, size_t errlen);

/* The port the server listens on. */
int srv_port(const srv *s);

/* Stops accepting connections, answers new requests on open ones 503, and waits until every
 * request in flight has been answered (streams included) or timeout_ms has passed. Returns the
 * number of requests still in flight (0 when drained). */
int srv_drain(srv *s, int timeout_ms);

/* Cancels what is left, stops the daemon and the engine thread, frees everything.
 * srv_close(NULL) does nothing. */
void srv_close(srv *s);

/* A log sink for one line (never holding the API key or an Authorization header). */
typedef void (*srv_log_fn)(void *ud, const char *line);

/* Sets the server's request log (one line per answered request: method, path, status, tokens,
 * milliseconds); NULL: none. Ownership: ud borrowed while set. */
void srv_log_set(srv *s, srv_log_fn fn, void *ud);

#endif
