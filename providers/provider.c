/* providers/provider.c — the provider registry, dispatch through each kind's vtable, and the
 * request / response helpers every provider and suite shares. */
#include <ctype.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "base/base.h"
#include "providers/provider_impl.h"

struct prov {
	const prov_vtable *vt;
	void *self;
};

static const prov_vtable *const kinds[] = { &prov_samples_vtable, &prov_openai_vtable,
	&prov_anthropic_vtable, &prov_gemini_vtable, &prov_ollama_vtable, &prov_local_vtable };
#define N_KINDS (sizeof kinds / sizeof kinds[0])

const prov_info *prov_list(size_t *n)
{
	static prov_info infos[N_KINDS];
	/* Filled from the vtables; the table is constant, so a repeated fill is idempotent. */
	for (size_t i = 0; i < N_KINDS; i++) {
		infos[i].name = kinds[i]->name;
		infos[i].summary = kinds[i]->summary;
		infos[i].option_keys = kinds[i]->option_keys;
	}
	*n = N_KINDS;
	return infos;
}

prov *prov_open(const prov_target *t, char *err, size_t errlen)
{
	const prov_vtable *vt = NULL;
	prov *p;

	if (!t || !t->provider) {
		snprintf(err, errlen, "no provider given");
		return NULL;
	}
	for (size_t i = 0; i < N_KINDS; i++)
		if (strcmp(kinds[i]->name, t->provider) == 0)
			vt = kinds[i];
	if (!vt) {
		snprintf(err, errlen, "unknown provider \"%s\" (known: samples, openai, anthropic, gemini, ollama, local)", t->provider);
		return NULL;
	}
	p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->vt = vt;
	p->self = vt->open(t, err, errlen);
	if (!p->self) {
		free(p);
		return NULL;
	}
	return p;
}

int prov_check(prov *p, const char *const *task_ids, size_t n_tasks, int n_samples,
	char *err, size_t errlen)
{
	if (!p)
		return PROV_EINVAL;
	if (!p->vt->check)
		return 0;
	return p->vt->check(p->self, task_ids, n_tasks, n_samples, err, errlen);
}

int prov_max_in_flight(const prov *p)
{
	if (p && p->vt->limit)
		return p->vt->limit(p->self);
	return p ? p->vt->max_in_flight : 0;
}

int prov_count_tokens(prov *p, const char *text, long *out)
{
	if (!p || !text || !out || !p->vt->count_tokens)
		return PROV_EINVAL;
	return p->vt->count_tokens(p->self, text, out);
}

int prov_tokenize(prov *p, const char *text, int add_bos, int32_t *out, long cap, long *n)
{
	if (!p || !text || !n || cap < 0 || (cap && !out) || !p->vt->tokenize)
		return PROV_EINVAL;
	return p->vt->tokenize(p->self, text, add_bos, out, cap, n);
}

int prov_model_facts_get(prov *p, prov_model_facts *out)
{
	memset(out, 0, sizeof *out);
	if (!p || !p->vt->facts)
		return 0;
	if (p->vt->facts(p->self, out) <= 0) {
		memset(out, 0, sizeof *out);
		return 0;
	}
	return 1;
}

int prov_context_length(const prov *p)
{
	return p && p->vt->context_length ? p->vt->context_length(p->self) : 0;
}

int prov_exclusive(const prov *p)
{
	return p ? p->vt->exclusive : 0;
}

int prov_submit(prov *p, const prov_req *rq, prov_done_fn done, void *ud)
{
	if (!p || !rq || !done)
		return PROV_EINVAL;
	return p->vt->submit(p->self, rq, done, ud);
}

int prov_submit_stream(prov *p, const prov_req *rq, const prov_stream *st, prov_done_fn done,
	void *ud)
{
	if (!p || !rq || !st || !done || rq->kind != PROV_REQ_GENERATE || !p->vt->submit_stream ||
	    st->top_logprobs < 0 || st->top_logprobs > PROV_MAX_TOP_LOGPROBS)
		return PROV_EINVAL;
	return p->vt->submit_stream(p->self, rq, st, done, ud);
}

int prov_cancel(prov *p, const void *ud)
{
	if (!p || !p->vt->cancel)
		return PROV_EINVAL;
	return p->vt->cancel(p->self, ud);
}

int prov_poll(prov *p, int timeout_ms)
{
	if (!p)
		return PROV_EINVAL;
	return p->vt->poll(p->self, timeout_ms);
}

int prov_in_flight(const prov *p)
{
	return p ? p->vt->in_flight(p->self) : 0;
}

void prov_cancel_all(prov *p)
{
	if (p && p->vt->cancel_all)
		p->vt->cancel_all(p->self);
}

void prov_close(prov *p)
{
	if (!p)
		return;
	p->vt->close(p->self);
	free(p);
}

void prov_req_release(prov_req *rq)
{
	if (!rq)
		return;
	free(rq->task_id);
	free(rq->prompt);
	for (size_t i = 0; i < rq->n_messages; i++) {
		free(rq->messages[i].role);
		free(rq->messages[i].content);
	}
	free(rq->messages);
	for (size_t i = 0; i < rq->n_stop; i++)
		free(rq->stop[i]);
	free(rq->stop);
	free(rq->tokens);
	memset(rq, 0, sizeof *rq);
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -1;
}

int prov_req_copy(prov_req *dst, const prov_req *rq)
{
	memset(dst, 0, sizeof *dst);
	dst->kind = rq->kind;
	dst->score_from = rq->score_from;
	dst->top_k = rq->top_k;
	dst->sample = rq->sample;
	dst->max_tokens = rq->max_tokens;
	dst->temperature = rq->temperature;
	dst->top_p = rq->top_p;
	dst->seed = rq->seed;
	dst->ignore_eos = rq->ignore_eos;
	if (dup_str(&dst->task_id, rq->task_id) || dup_str(&dst->prompt, rq->prompt))
		goto fail;
	if (rq->n_messages) {
		dst->messages = calloc(rq->n_messages, sizeof *dst->messages);
		if (!dst->messages)
			goto fail;
		dst->n_messages = rq->n_messages;
		for (size_t i = 0; i < rq->n_messages; i++)
			if (dup_str(&dst->messages[i].role, rq->messages[i].role) ||
			    dup_str(&dst->messages[i].content, rq->messages[i].content))
				goto fail;
	}
	if (rq->n_tokens) {
		if (!rq->tokens || !(dst->tokens = malloc(rq->n_tokens * sizeof *dst->tokens)))
			goto fail;
		memcpy(dst->tokens, rq->tokens, rq->n_tokens * sizeof *dst->tokens);
		dst->n_tokens = rq->n_tokens;
	}
	if (rq->n_stop) {
		dst->stop = calloc(rq->n_stop, sizeof *dst->stop);
		if (!dst->stop)
			goto fail;
		dst->n_stop = rq->n_stop;
		for (size_t i = 0; i < rq->n_stop; i++)
			if (dup_str(&dst->stop[i], rq->stop[i]))
				goto fail;
	}
	return 0;
fail:
	prov_req_release(dst);
	return PROV_ENOMEM;
}

prov_resp *prov_resp_new(void)
{
	prov_resp *r = calloc(1, sizeof *r);
	if (r) {
		r->t_first_token_ms = -1;
		r->t_done_ms = -1;
		r->t_first_answer_ms = -1;
	}
	return r;
}

void prov_resp_free(prov_resp *r)
{
	if (!r)
		return;
	free(r->text);
	free(r->reasoning);
	free(r->finish_reason);
	free(r->err_msg);
	free(r->gaps_ms);
	free(r->lp);
	free(r->top_id);
	free(r->top_lp);
	free(r);
}

int prov_resp_lp_alloc(prov_resp *r, size_t n_lp, int top_k)
{
	size_t nt = n_lp * (size_t)(top_k > 0 ? top_k : 0);
	if (!(r->lp = malloc((n_lp ? n_lp : 1) * sizeof *r->lp)) ||
	    !(r->top_id = malloc((nt ? nt : 1) * sizeof *r->top_id)) ||
	    !(r->top_lp = malloc((nt ? nt : 1) * sizeof *r->top_lp)))
		return PROV_ENOMEM;
	for (size_t i = 0; i < nt; i++) {
		r->top_id[i] = -1;
		r->top_lp[i] = -INFINITY;
	}
	r->n_lp = n_lp;
	r->top_k = top_k > 0 ? top_k : 0;
	return 0;
}

const char *prov_err_class_name(prov_err_class c)
{
	switch (c) {
	case PROV_ERR_NONE: return "none";
	case PROV_ERR_TRANSPORT: return "transport";
	case PROV_ERR_RATE_LIMIT: return "rate_limit";
	case PROV_ERR_SERVER: return "server";
	case PROV_ERR_CLIENT: return "client";
	case PROV_ERR_PARSE: return "parse";
	case PROV_ERR_MISSING: return "missing";
	case PROV_ERR_CANCELLED: return "cancelled";
	case PROV_ERR_AUTH: return "auth";
	case PROV_ERR_OVERLOADED: return "overloaded";
	case PROV_ERR_TIMEOUT: return "timeout";
	case PROV_ERR_CONTENT_FILTER: return "content_filter";
	case PROV_ERR_CONTEXT_LENGTH: return "context_length";
	default: return "unknown";
	}
}

int prov_err_class_retryable(prov_err_class c)
{
	return c == PROV_ERR_TRANSPORT || c == PROV_ERR_RATE_LIMIT || c == PROV_ERR_SERVER ||
	       c == PROV_ERR_CANCELLED || c == PROV_ERR_OVERLOADED || c == PROV_ERR_TIMEOUT;
}

const char *prov_strerror(int code)
{
	switch (code) {
	case PROV_OK: return "ok";
	case PROV_EINVAL: return "invalid argument";
	case PROV_ENOMEM: return "out of memory";
	case PROV_EBUSY: return "provider busy";
	case PROV_EIO: return "I/O error";
	default: return "unknown provider error";
	}
}

int prov_opt_num(const cJSON *o, const char *k, double lo, double hi, double *out, char *err,
	size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!v)
		return 0;
	if (cJSON_IsBool(v)) {
		*out = cJSON_IsTrue(v);
		return 0;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi) {
		snprintf(err, errlen, "options.%s: expected a number in [%g, %g]", k, lo, hi);
		return -1;
	}
	*out = v->valuedouble;
	return 0;
}

int prov_opt_str(const cJSON *o, const char *k, char **out, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || !v->valuestring[0]) {
		snprintf(err, errlen, "options.%s: expected a non-empty string", k);
		return -1;
	}
	free(*out);
	*out = strdup(v->valuestring);
	return *out ? 0 : -1;
}

int prov_opt_check_keys(const cJSON *o, const char *const *keys, const char *what, char *err,
	size_t errlen)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, o) {
		size_t i, n;
		int w;
		for (i = 0; keys[i] && strcmp(keys[i], it->string); i++)
			;
		if (keys[i])
			continue;
		w = snprintf(err, errlen, "options.%s: unknown key for provider %s (known:", it->string,
			what);
		n = w > 0 ? (size_t)w : 0;
		for (i = 0; keys[i] && n < errlen; i++) {
			w = snprintf(err + n, errlen - n, "%s %s", i ? "," : "", keys[i]);
			n += w > 0 ? (size_t)w : 0;
		}
		if (n < errlen)
			snprintf(err + n, errlen - n, ")");
		return -1;
	}
	return 0;
}

double prov_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- logging: the sink the harness sets (STYLE.md, Logging); this file's only state ---- */

static prov_log_fn log_fn;
static void *log_ud;
static int log_max = -1;

void prov_log_set(prov_log_fn fn, void *ud, int max_level)
{
	log_fn = fn;
	log_ud = ud;
	log_max = fn ? max_level : -1;
}

int prov_log_on(int level)
{
	return log_fn && level <= log_max;
}

void prov_log_emit(int level, const char *msg)
{
	if (prov_log_on(level))
		log_fn(log_ud, level, msg);
}

long prov_estimate_tokens(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	long n = 0;
	if (!p)
		return 0;
	while (*p) {
		size_t len = 0;
		if (isalpha(*p) || *p >= 0x80) {
			while (isalpha(*p) || *p >= 0x80)
				p++, len++;
			n += 1 + (long)((len - 1) / 8);
		} else if (isdigit(*p)) {
			while (isdigit(*p))
				p++, len++;
			n += (long)((len + 2) / 3);
		} else {
			n += !isspace(*p);
			p++;
		}
	}
	return n;
}
