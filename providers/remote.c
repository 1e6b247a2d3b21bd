/* providers/remote.c — the remote providers (openai, anthropic, gemini, ollama): one libcurl
 * multi handle per target drives every request in flight on the polling thread (keep-alive
 * connection reuse, HTTP/2 multiplexing when the server offers it). Owns retries (exponential
 * backoff with full jitter, server retry hints), the four timeouts and per-request timings
 * (docs/metrics.md). The wire format itself lives in api.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "providers/provider_impl.h"

#define BODY_MAX_BYTES (8u << 20)     /* a whole or error body larger than this is refused */
#define EVENT_MAX_MIB 4
#define EVENT_MAX_BYTES ((unsigned)EVENT_MAX_MIB << 20)

typedef struct remote remote;

typedef struct flight {
	remote *r;
	struct flight *next;      /* in the pending list, or the active list with prev */
	struct flight *prev;
	int got_byte;
	prov_req rq;
	prov_done_fn done;
	void *ud;
	CURL *easy;
	struct curl_slist *hdrs;
	char *body;               /* request body */
	prov_acc acc;
	prov_sse sse;
	prov_ndjson nd;
	tb_buf raw;             /* non-stream or error body */
	long status;
	int attempts;
	double t_submit, t_start, t_last_byte, t_next_try;
	double t_first_token, t_first_answer, t_last_token;
	double *gaps_ms;
	size_t n_gaps, cap_gaps;
	double retry_hint_ms;     /* from retry-after, -1 none: applies to any retry */
	double reset_hint_ms;     /* from x-ratelimit-reset-*, -1 none: only for a 429 (OpenAI sends
	                           * them on every reply, so on a 5xx they would stretch the wait) */
	prov_err_class abort_class;
	char abort_msg[128];
	char curl_err[CURL_ERROR_SIZE];   /* libcurl's detail ("Failed to connect to H port P ...") */
	int cancelled;
	double est_tokens;        /* tokens this attempt was charged to the tpm bucket */
} flight;

struct remote {
	const prov_dialect *d;
	prov_api_cfg cfg;
	char *base_url, *model, *reasoning_effort;
	char *auth;               /* "header: key" line; never logged */
	const char *key;          /* the key inside auth, scrubbed from everything handed back */
	char *id;                 /* "<kind> <target id>", the prefix of log lines */
	CURLM *multi;
	flight *pending;          /* waiting to start or to retry */
	flight *active;
	int n_active, n_total;
	int max_in_flight, max_retries;
	double backoff_ms, max_backoff_ms;
	long connect_timeout_ms, total_timeout_ms;
	double first_byte_timeout_ms, idle_timeout_ms;
	prov_price price;         /* the spec's, or the price table's entry; zero when unknown */
	prov_bucket rpm, tpm;     /* options.rpm / options.tpm; zeroed = no limit */
	unsigned rng;
};

/* xorshift32: jitter needs no quality, only independence from other targets. */
static double rnd01(remote *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 17;
	r->rng ^= r->rng << 5;
	return (r->rng >> 8) / 16777216.0;
}

/* Replaces every copy of the key in s (a server that echoes it back in an error message or an
 * answer) in place: by "[redacted]" when the key is at least that long, else by as many '*' as
 * the key has bytes, so s never grows (keys of 4 bytes or more; a shorter one would match
 * ordinary words). A text cut short inside a copy (a capped message or log line) ends in a
 * prefix of the key: a prefix of 6 bytes or more is cut off too, and marked when there is
 * room. */
static char *scrub_key(const remote *r, char *s)
{
	static const char mark[] = "[redacted]";
	size_t kn = r->key ? strlen(r->key) : 0, len;
	char *at;
	if (!s || kn < 4)
		return s;
	while ((at = strstr(s, r->key))) {
		if (kn < sizeof mark - 1) {
			memset(at, '*', kn);
			continue;
		}
		memcpy(at, mark, sizeof mark - 1);
		memmove(at + sizeof mark - 1, at + kn, strlen(at + kn) + 1);
	}
	len = strlen(s);
	for (size_t n = kn - 1 < len ? kn - 1 : len; n >= 6; n--)
		if (!memcmp(s + len - n, r->key, n)) {
			if (n >= sizeof mark - 1)
				memcpy(s + len - n, mark, sizeof mark);
			else
				s[len - n] = '\0';
			break;
		}
	return s;
}

/* One log line "<kind> <target>: ...", formatted only when the level is on, key scrubbed. */
static void rlog(const remote *r, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void rlog(const remote *r, int level, const char *fmt, ...)
{
	char line[1024];
	int n;
	va_list ap;
	if (!prov_log_on(level))
		return;
	n = snprintf(line, sizeof line, "%s: ", r->id ? r->id : r->d->name);
	if (n < 0 || (size_t)n >= sizeof line)   /* an id as long as the line: the id alone, cut */
		n = (int)sizeof line - 1;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	prov_log_emit(level, scrub_key(r, line));
}

/* ---- options ---- */

static const char *const opt_keys[] = { "base_url", "key_env", "stream", "api", "reasoning_effort",
	"thinking_budget", "max_completion_tokens", "max_in_flight", "max_retries", "backoff_ms",
	"max_backoff_ms", "connect_timeout_ms", "first_byte_timeout_ms", "idle_timeout_ms",
	"total_timeout_ms", "rpm", "tpm", NULL };

static void remote_close(void *self);

/* The target's prices: the spec's when it gives any, else the built-in table's entry for the
 * model, else zero (cost unknown). A table that exists but does not parse is an error. */
static int price_for(const prov_dialect *d, const prov_target *t, prov_price *out, char *err,
	size_t errlen)
{
	char path[4096];
	prov_prices *tab;
	memset(out, 0, sizeof *out);
	out->cached_input_per_mtok = -1;
	if (t->has_prices || t->price_in_usd_per_mtok > 0 || t->price_out_usd_per_mtok > 0) {
		out->input_per_mtok = t->price_in_usd_per_mtok;
		out->output_per_mtok = t->price_out_usd_per_mtok;
		if (t->has_prices && t->price_cached_usd_per_mtok >= 0)
			out->cached_input_per_mtok = t->price_cached_usd_per_mtok;
		return 0;
	}
	if (t->prices) {
		prov_prices_find(t->prices, d->name, t->model, out);
		return 0;
	}
	if (!prov_prices_default_path(path, sizeof path))
		return 0;
	if (!(tab = prov_prices_load(path, err, errlen)))
		return -1;
	prov_prices_find(tab, d->name, t->model, out);
	prov_prices_free(tab);
	return 0;
}

static void *remote_open(const prov_dialect *d, const prov_target *t, char *err, size_t errlen)
{
	remote *r = calloc(1, sizeof *r);
	cJSON *o = NULL;
	char *key_env = NULL, *api = NULL;
	const char *url_in_model = NULL;
	int no_key = 0, key_given = 0;
	double stream = 1, budget = 0, mct = 0, mif = 0, retries = 4, bo = 500, mbo = 30000;
	double cto = 10000, fbto = 120000, idto = 120000, tto = 900000, rpm = 0, tpm = 0;
	const char *key;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->d = d;
	if (!t->model || !t->model[0]) {
		snprintf(err, errlen, "%s: no model given", d->name);
		goto fail;
	}
	/* "MODEL@http://HOST:PORT/v1": a server at that URL (a model name may hold '@' itself, as
	 * Vertex AI's "claude-3-5-sonnet@20240620": only an http(s) URL after it counts) */
	for (const char *at = strchr(t->model, '@'); at; at = strchr(at + 1, '@'))
		if (!strncmp(at + 1, "http://", 7) || !strncmp(at + 1, "https://", 8))
			url_in_model = at;
	if (t->options_json) {
		if (!(o = cJSON_Parse(t->options_json)) || !cJSON_IsObject(o)) {
			snprintf(err, errlen, "options: not a JSON object");
			goto fail;
		}
		if (prov_opt_check_keys(o, opt_keys, d->name, err, errlen))
			goto fail;
		{
			const cJSON *ke = cJSON_GetObjectItemCaseSensitive(o, "key_env");
			no_key = cJSON_IsString(ke) && !ke->valuestring[0];
			key_given = ke != NULL;
		}
		if (url_in_model && cJSON_GetObjectItemCaseSensitive(o, "base_url")) {
			snprintf(err, errlen, "model \"%s\" names a server URL and options.base_url gives another: "
				 "give one", t->model);
			goto fail;
		}
		if (prov_opt_str(o, "base_url", &r->base_url, err, errlen) ||
		    (!no_key && prov_opt_str(o, "key_env", &key_env, err, errlen)) ||
		    prov_opt_str(o, "reasoning_effort", &r->reasoning_effort, err, errlen) ||
		    prov_opt_str(o, "api", &api, err, errlen) ||
		    prov_opt_num(o, "stream", 0, 1, &stream, err, errlen) ||
		    prov_opt_num(o, "thinking_budget", -1, 1e7, &budget, err, errlen) ||
		    prov_opt_num(o, "max_completion_tokens", 0, 1, &mct, err, errlen) ||
		    prov_opt_num(o, "max_in_flight", 0, 100000, &mif, err, errlen) ||
		    prov_opt_num(o, "max_retries", 0, 100, &retries, err, errlen) ||
		    prov_opt_num(o, "backoff_ms", 0, 3.6e6, &bo, err, errlen) ||
		    prov_opt_num(o, "max_backoff_ms", 0, 3.6e6, &mbo, err, errlen) ||
		    prov_opt_num(o, "connect_timeout_ms", 1, 3.6e6, &cto, err, errlen) ||
		    prov_opt_num(o, "first_byte_timeout_ms", 1, 3.6e6, &fbto, err, errlen) ||
		    prov_opt_num(o, "idle_timeout_ms", 1, 3.6e6, &idto, err, errlen) ||
		    prov_opt_num(o, "total_timeout_ms", 1, 3.6e7, &tto, err, errlen) ||
		    prov_opt_num(o, "rpm", 0, 1e9, &rpm, err, errlen) ||
		    prov_opt_num(o, "tpm", 0, 1e12, &tpm, err, errlen))
			goto fail;
	}
	if (api && strcmp(api, "chat") && (strcmp(api, "completions") || strcmp(d->name, "openai"))) {
		snprintf(err, errlen, "options.api: \"%s\" is not one of %s", api,
			 strcmp(d->name, "openai") ? "\"chat\" (the only API of this provider)" :
			 "\"chat\", \"completions\"");
		goto fail;
	}
	if (url_in_model) {
		/* a server named by URL takes no key unless options.key_env names one */
		if (!(r->base_url = strdup(url_in_model + 1)))
			goto oom;
		if (!key_given)
			no_key = 1;
	}
	if (!r->base_url && !(r->base_url = strdup(d->default_base_url)))
		goto oom;
	if (strncmp(r->base_url, "http://", 7) && strncmp(r->base_url, "https://", 8)) {
		snprintf(err, errlen, "options.base_url: must start with http:// or https://");
		goto fail;
	}
	if (!(r->model = url_in_model ? strndup(t->model, (size_t)(url_in_model - t->model)) : strdup(t->model)))
		goto oom;
	if (!r->model[0]) {
		snprintf(err, errlen, "%s: no model name before the URL in \"%s\"", d->name, t->model);
		goto fail;
	}
	/* "key_env": "" or "none": a server that takes no key (a local vLLM, llama.cpp server). */
	if (key_env && !strcmp(key_env, "none")) {
		free(key_env);
		key_env = NULL;
		no_key = 1;
	}
	if (!no_key && (key_env || d->default_key_env)) {
		const char *env = key_env ? key_env : d->default_key_env;
		key = getenv(env);
		/* Gemini's own tools also read GOOGLE_API_KEY. */
		if ((!key || !key[0]) && !key_env && !strcmp(d->name, "gemini") &&
		    (key = getenv("GOOGLE_API_KEY")) && key[0])
			env = "GOOGLE_API_KEY";
		if (!key || !key[0]) {
			snprintf(err, errlen, "%s: API key variable %s is not set", d->name, env);
			goto fail;
		}
		if (d->key_header) {
			size_t n = strlen(d->key_header) + strlen(key) + 1;
			if (!(r->auth = malloc(n)))
				goto oom;
			snprintf(r->auth, n, "%s%s", d->key_header, key);
			r->key = r->auth + strlen(d->key_header);
		}
	}
	r->cfg.base_url = r->base_url;
	r->cfg.model = r->model;
	r->cfg.stream = stream != 0;
	r->cfg.reasoning_effort = r->reasoning_effort;
	r->cfg.thinking_budget = (int)budget;
	r->cfg.max_completion_tokens = mct != 0;
	r->cfg.completions = api && !strcmp(api, "completions");
	r->max_in_flight = (int)mif;
	r->max_retries = (int)retries;
	r->backoff_ms = bo;
	r->max_backoff_ms = mbo;
	r->connect_timeout_ms = (long)cto;
	r->first_byte_timeout_ms = fbto;
	r->idle_timeout_ms = idto;
	r->total_timeout_ms = (long)tto;
	if (price_for(d, t, &r->price, err, errlen))
		goto fail;
	{
		/* the jitter generator's seed: the clock in microseconds, folded to 32 bits (a plain
		 * cast of the double would overflow after 71 minutes of uptime) */
		uint64_t us = (uint64_t)(prov_now_ms() * 1000.0);

		r->rng = (unsigned)(us ^ (us >> 32)) | 1u;
	}
	prov_bucket_init(&r->rpm, rpm, prov_now_ms());
	prov_bucket_init(&r->tpm, tpm, prov_now_ms());
	{
		size_t n = strlen(d->name) + strlen(t->id ? t->id : "") + 2;
		if (!(r->id = malloc(n)))
			goto oom;
		snprintf(r->id, n, "%s %s", d->name, t->id ? t->id : "");
	}
	if (!(r->multi = curl_multi_init()))
		goto oom;
	curl_multi_setopt(r->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(r->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	rlog(r, PROV_LOG_INFO, "%s, model %s, %s, key from %s, in flight %d, rpm %g, tpm %g, "
		"retries %d, price in/out/cached %g/%g/%g per M", r->base_url, r->model,
		r->cfg.stream ? "streamed" : "not streamed", key_env ? key_env : !no_key &&
		d->default_key_env ? d->default_key_env : "(none)", r->max_in_flight, rpm, tpm, r->max_retries,
		r->price.input_per_mtok, r->price.output_per_mtok, r->price.cached_input_per_mtok);
	cJSON_Delete(o);
	free(key_env);
	free(api);
	return r;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	cJSON_Delete(o);
	free(key_env);
	free(api);
	remote_close(r);
	return NULL;
}

/* ---- one transfer ---- */

static void note_tokens(flight *f, size_t text0, size_t reas0)
{
	double t;
	if (f->acc.text.len == text0 && f->acc.reasoning.len == reas0)
		return;
	t = prov_now_ms() - f->t_submit;
	if (f->t_first_token < 0)
		f->t_first_token = t;
	else if (f->n_gaps < 1u << 20) {
		if (f->n_gaps == f->cap_gaps) {
			size_t cap = f->cap_gaps ? f->cap_gaps * 2 : 64;
			double *g = realloc(f->gaps_ms, cap * sizeof *g);
			if (g) {
				f->gaps_ms = g;
				f->cap_gaps = cap;
			}
		}
		if (f->n_gaps < f->cap_gaps)
			f->gaps_ms[f->n_gaps++] = t - f->t_last_token;
	}
	if (f->t_first_answer < 0 && f->acc.text.len > text0)
		f->t_first_answer = t;
	f->t_last_token = t;
}

static int on_sse(void *ud, const prov_sse_event *ev)
{
	flight *f = ud;
	size_t t0 = f->acc.text.len, r0 = f->acc.reasoning.len;
	int rc = f->r->d->event(&f->acc, ev->event, ev->data, ev->data_len);
	note_tokens(f, t0, r0);
	return rc;
}

static int on_other(void *ud, const char *l, size_t n)
{
	flight *f = ud;
	if (prov_buf_add(&f->acc.other, l, n) || prov_buf_add(&f->acc.other, "\n", 1))
		return PROV_EIO;
	return 0;
}

static int on_line(void *ud, const char *l, size_t n)
{
	flight *f = ud;
	size_t t0 = f->acc.text.len, r0 = f->acc.reasoning.len;
	int rc = f->r->d->event(&f->acc, NULL, l, n);
	note_tokens(f, t0, r0);
	return rc;
}

static size_t on_write(char *p, size_t sz, size_t nm, void *ud)
{
	flight *f = ud;
	size_t n = sz * nm;
	int rc;
	f->t_last_byte = prov_now_ms();
	f->got_byte = 1;
	if (!f->status)
		curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &f->status);
	if (f->status >= 200 && f->status < 300 && f->r->cfg.stream && f->rq.kind != PROV_REQ_LOGPROBS) {
		rc = f->r->d->ndjson ? prov_ndjson_feed(&f->nd, p, n) : prov_sse_feed(&f->sse, p, n);
		if (rc == PROV_EIO && !f->acc.err)
			f->abort_class = PROV_ERR_PARSE,
			snprintf(f->abort_msg, sizeof f->abort_msg, "stream event over the per-event "
				"size cap of %d MiB", EVENT_MAX_MIB);
	} else {
		rc = prov_buf_add(&f->raw, p, n);
		if (rc)
			f->abort_class = PROV_ERR_PARSE,
			snprintf(f->abort_msg, sizeof f->abort_msg, "HTTP %ld body over the body-size "
				"cap of %u MiB", f->status, BODY_MAX_BYTES >> 20);
	}
	return rc ? 0 : n;
}

/* Durations as servers write them: "1.5" seconds, "20ms", "6m0s", "1h2m3.5s". -1 when not one. */
static double parse_duration_ms(const char *s, int bare_is_seconds)
{
	double total = 0;
	int any = 0;
	while (*s == ' ')
		s++;
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		if (end == s || !isfinite(v) || v < 0)
			return -1;
		s = end;
		if (!strncmp(s, "ms", 2))
			total += v, s += 2;
		else if (*s == 's')
			total += v * 1e3, s++;
		else if (*s == 'm')
			total += v * 6e4, s++;
		else if (*s == 'h')
			total += v * 3.6e6, s++;
		else if (!*s || *s == '\r' || *s == '\n' || *s == ' ')
			total += bare_is_seconds ? v * 1e3 : v, s += strlen(s);
		else
			return -1;
		any = 1;
	}
	return any ? total : -1;
}

static void hint(double *slot, double ms)
{
	if (ms >= 0 && ms > *slot)
		*slot = ms;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
	flight *f = ud;
	size_t n = sz * nm;
	char line[256];
	char *colon, *v;
	if (n >= sizeof line || n < 3)
		return n;
	memcpy(line, p, n);
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (!(colon = strchr(line, ':')))
		return n;
	*colon = '\0';
	v = colon + 1;
	while (*v == ' ')
		v++;
	if (!strcasecmp(line, "retry-after-ms"))
		hint(&f->retry_hint_ms, parse_duration_ms(v, 0));
	else if (!strcasecmp(line, "retry-after")) {
		double ms = parse_duration_ms(v, 1);
		if (ms < 0) {
			time_t when = curl_getdate(v, NULL);
			if (when > 0)
				ms = difftime(when, time(NULL)) * 1e3;
		}
		hint(&f->retry_hint_ms, ms < 0 ? -1 : ms);
	} else if (!strncasecmp(line, "x-ratelimit-reset-", 18)) {
		hint(&f->reset_hint_ms, parse_duration_ms(v, 1));
	}
	return n;
}

static void flight_reset_attempt(flight *f)
{
	prov_acc_release(&f->acc);
	prov_acc_init(&f->acc);
	prov_sse_release(&f->sse);
	prov_ndjson_release(&f->nd);
	prov_sse_init(&f->sse, EVENT_MAX_BYTES, on_sse, on_other, f);
	prov_ndjson_init(&f->nd, EVENT_MAX_BYTES, on_line, f);
	tb_buf_release(&f->raw);
	f->raw.max_bytes = BODY_MAX_BYTES;
	f->status = 0;
	f->retry_hint_ms = f->reset_hint_ms = -1;
	f->abort_class = PROV_ERR_NONE;
	f->abort_msg[0] = '\0';
	f->t_first_token = f->t_first_answer = f->t_last_token = -1;
	f->n_gaps = 0;
	f->got_byte = 0;
}

static int flight_start(remote *r, flight *f)
{
	flight_reset_attempt(f);
	if (!f->easy && !(f->easy = curl_easy_init()))
		return PROV_ENOMEM;
	curl_easy_reset(f->easy);
	f->attempts++;
	f->t_start = f->t_last_byte = prov_now_ms();
	{
		tb_buf url = { .max_bytes = 65536 };
		char *b = f->rq.kind == PROV_REQ_LOGPROBS ? r->d->build_lp(&r->cfg, &f->rq, &url) :
			r->d->build(&r->cfg, &f->rq, &url);
		if (!b || !url.len) {
			free(b);
			tb_buf_release(&url);
			return PROV_ENOMEM;
		}
		free(f->body);
		f->body = b;
		curl_easy_setopt(f->easy, CURLOPT_URL, url.p);   /* libcurl copies the string */
		rlog(r, PROV_LOG_DEBUG, "%s attempt %d: POST %s (%zu bytes)", f->rq.task_id ?
			f->rq.task_id : "-", f->attempts, url.p, strlen(b));
		tb_buf_release(&url);
	}
	if (!f->hdrs) {
		f->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
		if (r->auth)
			f->hdrs = curl_slist_append(f->hdrs, r->auth);
		if (r->d->extra_header)
			f->hdrs = curl_slist_append(f->hdrs, r->d->extra_header);
		if (!f->hdrs)
			return PROV_ENOMEM;
	}
	curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, f->hdrs);
	curl_easy_setopt(f->easy, CURLOPT_POSTFIELDS, f->body);
	curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(f->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(f->easy, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(f->easy, CURLOPT_PRIVATE, f);
	f->curl_err[0] = '\0';
	curl_easy_setopt(f->easy, CURLOPT_ERRORBUFFER, f->curl_err);
	curl_easy_setopt(f->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* Waiting for a connection to learn whether it multiplexes pays only where HTTP/2 may be
	 * offered (TLS with ALPN); on plain http:// it is HTTP/1.1 and the wait serialises every
	 * request behind the first connection. */
	curl_easy_setopt(f->easy, CURLOPT_PIPEWAIT, strncmp(r->base_url, "https://", 8) ? 0L : 1L);
	curl_easy_setopt(f->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(f->easy, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(f->easy, CURLOPT_CONNECTTIMEOUT_MS, r->connect_timeout_ms);
	curl_easy_setopt(f->easy, CURLOPT_TIMEOUT_MS, r->total_timeout_ms);
	curl_easy_setopt(f->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	if (curl_multi_add_handle(r->multi, f->easy) != CURLM_OK)
		return PROV_EIO;
	r->n_active++;
	f->prev = NULL;
	f->next = r->active;
	if (r->active)
		r->active->prev = f;
	r->active = f;
	return 0;
}

static void flight_free(flight *f)
{
	if (!f)
		return;
	if (f->easy) {
		curl_multi_remove_handle(f->r->multi, f->easy);
		curl_easy_cleanup(f->easy);
	}
	curl_slist_free_all(f->hdrs);
	free(f->body);
	prov_acc_release(&f->acc);
	prov_sse_release(&f->sse);
	prov_ndjson_release(&f->nd);
	tb_buf_release(&f->raw);
	prov_req_release(&f->rq);
	free(f->gaps_ms);
	free(f);
}

/* Fills and hands over the response, then frees the flight. */
static void flight_deliver(remote *r, flight *f)
{
	prov_resp *resp = prov_resp_new();
	prov_acc *a = &f->acc;
	r->n_total--;
	if (resp) {
		resp->attempts = f->attempts;
		resp->err = a->err;
		if (a->err)
			resp->err_msg = scrub_key(r, strdup(a->err_msg));
		if (!a->err || a->err == PROV_ERR_CONTENT_FILTER)
			resp->text = scrub_key(r, strdup(tb_buf_str(&a->text)));
		/* Stop strings past the vendor's limit were not sent: applied here. */
		if (resp->text && r->d->max_stop && f->rq.n_stop > r->d->max_stop &&
		    prov_stop_cut(resp->text, f->rq.stop + r->d->max_stop, f->rq.n_stop - r->d->max_stop))
			snprintf(a->finish, sizeof a->finish, "stop");
		if (a->reasoning.len)
			resp->reasoning = scrub_key(r, strdup(tb_buf_str(&a->reasoning)));
		if (a->finish[0])
			resp->finish_reason = strdup(a->finish);
		resp->n_tokens_in = a->n_in;
		resp->n_tokens_out = a->n_out;
		resp->n_tokens_reasoning = a->n_reasoning;
		resp->n_tokens_cached = a->n_cached;
		resp->t_first_token_ms = f->t_first_token;
		resp->t_first_answer_ms = f->t_first_answer;
		resp->t_done_ms = prov_now_ms() - f->t_submit;
		resp->gaps_ms = f->gaps_ms;
		resp->n_gaps = f->n_gaps;
		f->gaps_ms = NULL;
		if (!a->err && a->lp) {   /* a scoring request: its log-probabilities move over */
			resp->n_lp = a->n_lp;
			resp->lp = a->lp;
			resp->top_k = a->top_k;
			resp->top_id = a->top_id;
			resp->top_lp = a->top_lp;
			a->lp = a->top_lp = NULL;
			a->top_id = NULL;
		}
		/* Reasoning tokens are billed as output; n_tokens_out already counts them. */
		resp->cost_usd = prov_price_cost_usd(&r->price, a->n_in, a->n_out, a->n_cached);
		if (resp->err)
			rlog(r, PROV_LOG_WARN, "%s: %s after %d attempt%s: %s", f->rq.task_id ?
				f->rq.task_id : "-", prov_err_class_name(resp->err), resp->attempts,
				resp->attempts == 1 ? "" : "s", resp->err_msg ? resp->err_msg : "");
		else
			rlog(r, PROV_LOG_DEBUG, "%s: %s, tokens in %lld (cached %lld) out %lld (reasoning "
				"%lld), TTFT %.1f ms, e2e %.1f ms, %d attempt%s", f->rq.task_id ?
				f->rq.task_id : "-", resp->finish_reason ? resp->finish_reason : "-",
				(long long)resp->n_tokens_in, (long long)resp->n_tokens_cached,
				(long long)resp->n_tokens_out, (long long)resp->n_tokens_reasoning,
				resp->t_first_token_ms, resp->t_done_ms, resp->attempts,
				resp->attempts == 1 ? "" : "s");
		f->done(f->ud, &f->rq, resp);
	}
	flight_free(f);
}

static int retryable(prov_err_class c)
{
	return c == PROV_ERR_RATE_LIMIT || c == PROV_ERR_OVERLOADED || c == PROV_ERR_SERVER ||
	       c == PROV_ERR_TIMEOUT || c == PROV_ERR_TRANSPORT;
}

/* A finished transfer: classify, then retry later or deliver. */
static void flight_finished(remote *r, flight *f, CURLcode cc)
{
	prov_acc *a = &f->acc;
	curl_multi_remove_handle(r->multi, f->easy);
	r->n_active--;
	if (f->prev)
		f->prev->next = f->next;
	else
		r->active = f->next;
	if (f->next)
		f->next->prev = f->prev;
	f->next = f->prev = NULL;
	if (!f->status)
		curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &f->status);
	if (f->abort_class) {
		a->err = f->abort_class;
		snprintf(a->err_msg, sizeof a->err_msg, "%s", f->abort_msg);
	} else if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && a->err)) {
		a->err = cc == CURLE_OPERATION_TIMEDOUT ? PROV_ERR_TIMEOUT : PROV_ERR_TRANSPORT;
		snprintf(a->err_msg, sizeof a->err_msg, "%s", f->curl_err[0] ? f->curl_err :
			curl_easy_strerror(cc));
	} else if (f->status < 200 || f->status >= 300) {
		prov_acc_http_error(a, (int)f->status, f->raw.p, f->raw.len);
		if (prov_log_on(PROV_LOG_DEBUG))
			rlog(r, PROV_LOG_DEBUG, "HTTP %ld body: %.300s", f->status, tb_buf_str(&f->raw));
	} else if (f->rq.kind == PROV_REQ_LOGPROBS) {
		if (!a->err)
			r->d->body_lp(a, &f->rq, tb_buf_str(&f->raw), f->raw.len);
	} else if (!r->cfg.stream) {
		if (!a->err)
			r->d->body(a, tb_buf_str(&f->raw), f->raw.len);
		if (a->text.len || a->reasoning.len)
			f->t_first_token = f->t_first_answer = prov_now_ms() - f->t_submit;
	} else if (!a->err) {
		int rc = r->d->ndjson ? prov_ndjson_finish(&f->nd) : prov_sse_finish(&f->sse);
		if (!rc)
			prov_acc_finish_other(a);
		/* The connection closed before the end marker: a cut (a proxy's or server's restart,
		 * a dropped connection), retried like any transport failure. An error event the server
		 * sent (or a malformed event before the end) keeps its own class; a half event cut by
		 * the close is part of the cut. */
		if (!a->complete && (!a->err || (a->err == PROV_ERR_PARSE && rc))) {
			a->err = PROV_ERR_TRANSPORT;
			snprintf(a->err_msg, sizeof a->err_msg, "stream ended before its end marker "
				"(connection closed after %zu bytes of answer)", a->text.len + a->reasoning.len);
		}
	}
	if (f->cancelled) {
		a->err = PROV_ERR_CANCELLED;
		snprintf(a->err_msg, sizeof a->err_msg, "cancelled");
	}
	/* tpm: replace the estimate by what the provider counted (a failed attempt without usage
	 * is taken to have used nothing). */
	{
		double used = a->has_usage ? (double)(a->n_in + a->n_out) : a->err ? 0 : f->est_tokens;
		if (used < f->est_tokens)
			prov_bucket_give(&r->tpm, f->est_tokens - used);
		else
			prov_bucket_take(&r->tpm, used - f->est_tokens);
		f->est_tokens = 0;
	}
	/* Unsafe 4xx are final; 408, 409 and 429 may be retried. */
	if (!f->cancelled && retryable(a->err) && f->attempts <= r->max_retries &&
	    !(f->status >= 400 && f->status < 500 && f->status != 408 && f->status != 409 &&
	      f->status != 429)) {
		double cap = fmin(r->max_backoff_ms, r->backoff_ms * pow(2, f->attempts - 1));
		double wait = rnd01(r) * cap;    /* full jitter */
		double h = f->status == 429 ? fmax(f->retry_hint_ms, f->reset_hint_ms) : f->retry_hint_ms;
		if (h >= 0)
			wait = fmax(wait, fmin(h, r->max_backoff_ms));
		f->t_next_try = prov_now_ms() + wait;
		scrub_key(r, a->err_msg);   /* cut at 200 bytes, it may end inside an echoed key */
		rlog(r, PROV_LOG_INFO, "%s attempt %d: %s (HTTP %ld): %s; retrying in %.0f ms",
			f->rq.task_id ? f->rq.task_id : "-", f->attempts, prov_err_class_name(a->err),
			f->status, a->err_msg, wait);
		f->next = r->pending;
		r->pending = f;
		return;
	}
	flight_deliver(r, f);
}

/* ---- vtable ---- */

static int remote_submit(void *self, const prov_req *rq, prov_done_fn done, void *ud)
{
	remote *r = self;
	flight *f = calloc(1, sizeof *f);
	if (!f)
		return PROV_ENOMEM;
	if (prov_req_copy(&f->rq, rq)) {
		free(f);
		return PROV_ENOMEM;
	}
	f->r = r;
	f->done = done;
	f->ud = ud;
	f->t_submit = prov_now_ms();
	f->t_next_try = f->t_submit;
	prov_sse_init(&f->sse, EVENT_MAX_BYTES, on_sse, on_other, f);
	prov_ndjson_init(&f->nd, EVENT_MAX_BYTES, on_line, f);
	prov_acc_init(&f->acc);
	/* Appended at the tail so requests start in submission order. */
	{
		flight **pp = &r->pending;
		while (*pp)
			pp = &(*pp)->next;
		*pp = f;
	}
	r->n_total++;
	return 0;
}

/* What a request will cost the tpm bucket before it is sent: its text at 4 bytes a token plus
 * the most it may generate; corrected from the reply's usage when the attempt ends. */
static double estimate_tokens(const prov_req *rq)
{
	size_t bytes = rq->prompt ? strlen(rq->prompt) : 0;
	for (size_t i = 0; i < rq->n_messages; i++)
		bytes += rq->messages[i].content ? strlen(rq->messages[i].content) : 0;
	return ceil(bytes / 4.0) + (rq->max_tokens > 0 ? rq->max_tokens : 0);
}

static int start_due(remote *r, double now, double *next_due)
{
	flight **pp = &r->pending;
	int fired = 0, rate_blocked = 0;
	while (*pp) {
		flight *f = *pp;
		if (f->cancelled) {
			*pp = f->next;
			f->acc.err = PROV_ERR_CANCELLED;
			snprintf(f->acc.err_msg, sizeof f->acc.err_msg, "cancelled");
			flight_deliver(r, f);
			fired++;
			continue;
		}
		if (f->rq.kind == PROV_REQ_LOGPROBS && !r->d->build_lp) {
			*pp = f->next;
			f->acc.err = PROV_ERR_CLIENT;
			snprintf(f->acc.err_msg, sizeof f->acc.err_msg, "provider %s cannot score "
				"log-probabilities of given text (its API has no such request); use a local "
				"target, or an openai target on a server that offers /v1/completions with echo "
				"and logprobs (vLLM, llama.cpp's server)", r->d->name);
			flight_deliver(r, f);
			fired++;
			continue;
		}
		if (f->t_next_try <= now && (!r->max_in_flight || r->n_active < r->max_in_flight) &&
		    !rate_blocked) {
			double wait = 0, est = estimate_tokens(&f->rq);
			if (!prov_bucket_ready(&r->rpm, 1, now, &wait) ||
			    !prov_bucket_ready(&r->tpm, est, now, &wait)) {
				/* Later requests wait behind this one: starts stay in order. */
				rate_blocked = 1;
				if (now + wait < *next_due)
					*next_due = now + wait;
				pp = &f->next;
				continue;
			}
			prov_bucket_take(&r->rpm, 1);
			prov_bucket_take(&r->tpm, est);
			f->est_tokens = est;
			*pp = f->next;
			if (flight_start(r, f)) {
				prov_bucket_give(&r->tpm, est);   /* nothing was sent */
				f->acc.err = PROV_ERR_TRANSPORT;
				snprintf(f->acc.err_msg, sizeof f->acc.err_msg, "could not start the request");
				flight_deliver(r, f);
				fired++;
			}
			continue;
		}
		if (f->t_next_try < *next_due)
			*next_due = f->t_next_try;
		pp = &f->next;
	}
	return fired;
}

/* Aborts transfers past the first-byte or stream-idle limit (libcurl has only total/connect). */
static int check_stalls(remote *r, double now)
{
	flight *f = r->active, *next;
	int before = r->n_total;
	for (; f; f = next) {
		next = f->next;
		if (f->cancelled) {
			f->abort_class = PROV_ERR_CANCELLED;
		} else if (!f->got_byte && now - f->t_start > r->first_byte_timeout_ms) {
			f->abort_class = PROV_ERR_TIMEOUT;
			snprintf(f->abort_msg, sizeof f->abort_msg, "no first byte within %.0f ms",
				r->first_byte_timeout_ms);
		} else if (f->got_byte && now - f->t_last_byte > r->idle_timeout_ms) {
			f->abort_class = PROV_ERR_TIMEOUT;
			snprintf(f->abort_msg, sizeof f->abort_msg, "stream idle for %.0f ms",
				r->idle_timeout_ms);
		} else {
			continue;
		}
		flight_finished(r, f, CURLE_OK);
	}
	return before - r->n_total;
}

static int remote_poll(void *self, int timeout_ms)
{
	remote *r = self;
	int fired = 0, running = 0, left;
	double now = prov_now_ms(), next_due = now + (timeout_ms > 0 ? timeout_ms : 0);
	CURLMsg *m;

	fired += start_due(r, now, &next_due);
	curl_multi_perform(r->multi, &running);
	while ((m = curl_multi_info_read(r->multi, &left))) {
		flight *f = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&f);
		if (!f)
			continue;
		{
			int before = r->n_total;
			flight_finished(r, f, m->data.result);
			fired += before - r->n_total;
		}
	}
	fired += check_stalls(r, prov_now_ms());
	if (!fired && timeout_ms > 0) {
		double wait = next_due - prov_now_ms();
		int w = wait < 0 ? 0 : wait > timeout_ms ? timeout_ms : (int)ceil(wait);
		if (r->n_active)
			curl_multi_poll(r->multi, NULL, 0, w, NULL);
		else if (w > 0 && r->pending) {
			struct timespec ts = { w / 1000, (w % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	return fired;
}

static int remote_in_flight(const void *self)
{
	return ((const remote *)self)->n_total;
}

static void remote_cancel_all(void *self)
{
	remote *r = self;
	for (flight *f = r->pending; f; f = f->next)
		f->cancelled = 1;
	for (flight *f = r->active; f; f = f->next)
		f->cancelled = 1;
}

static void remote_close(void *self)
{
	remote *r = self;
	if (!r)
		return;
	while (r->pending) {
		flight *f = r->pending;
		r->pending = f->next;
		flight_free(f);
	}
	while (r->active) {
		flight *f = r->active;
		r->active = f->next;
		flight_free(f);
	}
	if (r->multi)
		curl_multi_cleanup(r->multi);
	free(r->base_url);
	free(r->model);
	free(r->reasoning_effort);
	free(r->id);
	if (r->auth) {
		memset(r->auth, 0, strlen(r->auth));
		free(r->auth);
	}
	free(r);
}

#define REMOTE_KIND(kind, desc) \
	static void *kind##_open(const prov_target *t, char *err, size_t errlen) \
	{ return remote_open(&prov_dialect_##kind, t, err, errlen); } \
	const prov_vtable prov_##kind##_vtable = { .name = #kind, .summary = desc, \
		.open = kind##_open, .close = remote_close, .submit = remote_submit, \
		.poll = remote_poll, .in_flight = remote_in_flight, .cancel_all = remote_cancel_all, \
		.option_keys = opt_keys };

REMOTE_KIND(openai, "OpenAI Chat Completions, or any compatible server via options.base_url")
REMOTE_KIND(anthropic, "Anthropic Messages API (streamed, thinking budget, cache tokens)")
REMOTE_KIND(gemini, "Google Gemini generateContent / streamGenerateContent (SSE)")
REMOTE_KIND(ollama, "Ollama native /api/chat (NDJSON stream)")
