/* providers/api.c — the wire dialects of the remote providers: OpenAI Chat Completions (and any
 * server speaking it), Anthropic Messages, Gemini generateContent and Ollama /api/chat. Each
 * dialect builds a request body and folds stream events, whole bodies and error bodies into one
 * accumulator (prov_acc); no I/O happens here. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "providers/provider_impl.h"

#define ACC_MAX_TEXT_MIB 64
#define ACC_MAX_TEXT ((size_t)ACC_MAX_TEXT_MIB << 20)
#define TB_STR_(x) #x
#define TB_STR(x) TB_STR_(x)

void prov_acc_init(prov_acc *a)
{
	memset(a, 0, sizeof *a);
	a->text.max_bytes = a->reasoning.max_bytes = ACC_MAX_TEXT;
	a->other.max_bytes = 1u << 20;
}

void prov_acc_release(prov_acc *a)
{
	free(a->lp);
	free(a->top_id);
	free(a->top_lp);
	a->lp = NULL;
	a->top_id = NULL;
	a->top_lp = NULL;
	a->n_lp = 0;
	tb_buf_release(&a->text);
	tb_buf_release(&a->reasoning);
	tb_buf_release(&a->other);
}

static void acc_fail(prov_acc *a, prov_err_class c, const char *msg)
{
	if (a->err)
		return;
	a->err = c;
	snprintf(a->err_msg, sizeof a->err_msg, "%s", msg ? msg : "");
	/* One line: newlines in a server's message become spaces. */
	for (char *p = a->err_msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static void set_finish(prov_acc *a, const char *f)
{
	snprintf(a->finish, sizeof a->finish, "%s", f);
	if (strcmp(f, "content_filter") == 0)
		acc_fail(a, PROV_ERR_CONTENT_FILTER, "blocked by the provider's content filter");
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jint(const cJSON *o, const char *k, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	/* a count outside int64's range (or not finite) is not a count: ignored, not converted */
	if (!cJSON_IsNumber(v) || !(v->valuedouble > -9.2e18 && v->valuedouble < 9.2e18))
		return 0;
	*out = (int64_t)v->valuedouble;
	return 1;
}

static const cJSON *jget(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int add_text(tb_buf *b, const char *s)
{
	return s && *s ? prov_buf_add(b, s, strlen(s)) : 0;
}

/* cJSON decodes the escape \u0000 into a NUL byte, which ends the C string there: a completion
 * holding one would be cut silently. Such escapes (and only escapes: "\\u0000" is the text
 * backslash-u-0000) are rewritten to \uFFFD, the replacement character, before parsing.
 * Returns a copy of p[0..n) when it held one (caller frees), NULL when it held none or on
 * out-of-memory (*oom set). */
static char *nul_escapes_replaced(const char *p, size_t n, int *oom)
{
	char *q = NULL;
	*oom = 0;
	for (int pass = 0; pass < 2; pass++) {
		const char *src = pass ? q : p;
		int found = 0;
		for (size_t i = 0; i + 1 < n && !(found && !pass); i++) {
			if (src[i] != '\\')
				continue;
			if (src[i + 1] == 'u' && i + 6 <= n && !memcmp(src + i + 2, "0000", 4)) {
				found = 1;
				if (pass)
					memcpy(q + i + 2, "FFFD", 4);
			}
			i++;   /* the escaped character never starts another escape */
		}
		if (!pass) {
			if (!found)
				return NULL;
			if (!(q = malloc(n + 1))) {
				*oom = 1;
				return NULL;
			}
			memcpy(q, p, n);
			q[n] = '\0';
		}
	}
	return q;
}

/* Appends answer or reasoning text; past the answer-size cap the reply fails saying so. */
static int add_answer(prov_acc *a, tb_buf *b, const char *s)
{
	int rc = add_text(b, s);
	if (rc == PROV_EIO)
		acc_fail(a, PROV_ERR_PARSE, "answer over the answer-size cap of "
			TB_STR(ACC_MAX_TEXT_MIB) " MiB");
	else if (rc)
		acc_fail(a, PROV_ERR_PARSE, "out of memory reading the response");
	return rc;
}

static cJSON *parse_json(prov_acc *a, const char *p, size_t n)
{
	int oom;
	char *fixed = nul_escapes_replaced(p, n, &oom);
	cJSON *j = oom ? NULL : cJSON_ParseWithLength(fixed ? fixed : p, n);
	free(fixed);
	if (oom)
		acc_fail(a, PROV_ERR_PARSE, "out of memory reading the response");
	else if (!j)
		acc_fail(a, PROV_ERR_PARSE, "malformed JSON in the response");
	return j;
}

/* ---- request bodies ---- */

/* Messages of rq as [{role, content}], with a completion prompt as one user message. System
 * messages are skipped when skip_system (Anthropic and Gemini carry them apart). */
static cJSON *messages_json(const prov_req *rq, int skip_system)
{
	cJSON *arr = cJSON_CreateArray();
	if (!arr)
		return NULL;
	if (!rq->n_messages && rq->prompt) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, m);
		cJSON_AddStringToObject(m, "role", "user");
		cJSON_AddStringToObject(m, "content", rq->prompt);
	}
	for (size_t i = 0; i < rq->n_messages; i++) {
		cJSON *m;
		if (skip_system && rq->messages[i].role && strcmp(rq->messages[i].role, "system") == 0)
			continue;
		m = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, m);
		cJSON_AddStringToObject(m, "role", rq->messages[i].role ? rq->messages[i].role : "user");
		cJSON_AddStringToObject(m, "content", rq->messages[i].content ? rq->messages[i].content : "");
	}
	return arr;
}

static char *system_text(const prov_req *rq)
{
	tb_buf b = { .max_bytes = ACC_MAX_TEXT };
	for (size_t i = 0; i < rq->n_messages; i++)
		if (rq->messages[i].role && strcmp(rq->messages[i].role, "system") == 0 &&
		    rq->messages[i].content) {
			if (b.len)
				prov_buf_add(&b, "\n\n", 2);
			add_text(&b, rq->messages[i].content);
		}
	return b.p;
}

/* Vendors' documented limits on stop strings per request: OpenAI Chat Completions "up to 4"
 * (also Mistral and most compatible servers), Gemini generationConfig.stopSequences "up to 5".
 * Anthropic and Ollama document none. */
#define OPENAI_MAX_STOP 4
#define GEMINI_MAX_STOP 5

/* The first max (0: all) of the request's stop strings as a JSON array. */
static cJSON *stop_json(const prov_req *rq, size_t max)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < rq->n_stop && (!max || i < max); i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(rq->stop[i]));
	return arr;
}

int prov_stop_cut(char *text, char *const *stop, size_t n)
{
	char *first = NULL;
	if (!text)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char *at;
		if (stop[i] && stop[i][0] && (at = strstr(text, stop[i])) && (!first || at < first))
			first = at;
	}
	if (!first)
		return 0;
	*first = '\0';
	return 1;
}

static char *finish_body(cJSON *o)
{
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	return s;
}

static int url_join(tb_buf *url, const char *base, const char *a, const char *b, const char *c)
{
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	tb_buf_reset(url);
	if (prov_buf_add(url, base, n) || add_text(url, a) || add_text(url, b) || add_text(url, c))
		return PROV_ENOMEM;
	return 0;
}

static char *openai_build(const prov_api_cfg *c, const prov_req *rq, tb_buf *url)
{
	cJSON *o = cJSON_CreateObject();
	/* a completion-style request as the plain prompt, as lm-eval's local-completions sends it */
	int plain = c->completions && rq->prompt && !rq->n_messages;
	if (!o || url_join(url, c->base_url, plain ? "/completions" : "/chat/completions", NULL, NULL))
		goto fail;
	cJSON_AddStringToObject(o, "model", c->model);
	if (plain)
		cJSON_AddStringToObject(o, "prompt", rq->prompt);
	else
		cJSON_AddItemToObject(o, "messages", messages_json(rq, 0));
	if (rq->max_tokens > 0)
		cJSON_AddNumberToObject(o, c->max_completion_tokens ? "max_completion_tokens" : "max_tokens",
			rq->max_tokens);
	cJSON_AddNumberToObject(o, "temperature", rq->temperature);
	if (rq->top_p > 0)
		cJSON_AddNumberToObject(o, "top_p", rq->top_p);
	if (rq->seed >= 0)
		cJSON_AddNumberToObject(o, "seed", (double)rq->seed);
	if (rq->ignore_eos)   /* an extension of vLLM, llama-server and tierbench serve */
		cJSON_AddBoolToObject(o, "ignore_eos", 1);
	if (rq->n_stop)
		cJSON_AddItemToObject(o, "stop", stop_json(rq, OPENAI_MAX_STOP));
	if (c->reasoning_effort)
		cJSON_AddStringToObject(o, "reasoning_effort", c->reasoning_effort);
	if (c->stream) {
		cJSON_AddBoolToObject(o, "stream", 1);
		cJSON_AddBoolToObject(cJSON_AddObjectToObject(o, "stream_options"), "include_usage", 1);
	}
	return finish_body(o);
fail:
	cJSON_Delete(o);
	return NULL;
}

static char *anthropic_build(const prov_api_cfg *c, const prov_req *rq, tb_buf *url)
{
	cJSON *o = cJSON_CreateObject();
	char *sys = system_text(rq);
	int max = rq->max_tokens > 0 ? rq->max_tokens : 4096;
	if (!o || url_join(url, c->base_url, "/v1/messages", NULL, NULL))
		goto fail;
	cJSON_AddStringToObject(o, "model", c->model);
	if (sys)
		cJSON_AddStringToObject(o, "system", sys);
	cJSON_AddItemToObject(o, "messages", messages_json(rq, 1));
	if (c->thinking_budget > 0) {
		/* The budget counts inside max_tokens and sampling must stay at defaults. */
		cJSON *t = cJSON_AddObjectToObject(o, "thinking");
		cJSON_AddStringToObject(t, "type", "enabled");
		cJSON_AddNumberToObject(t, "budget_tokens", c->thinking_budget);
		if (max <= c->thinking_budget)
			max = c->thinking_budget + max;
	} else {
		cJSON_AddNumberToObject(o, "temperature", rq->temperature);
		if (rq->top_p > 0)
			cJSON_AddNumberToObject(o, "top_p", rq->top_p);
	}
	cJSON_AddNumberToObject(o, "max_tokens", max);
	if (rq->n_stop)
		cJSON_AddItemToObject(o, "stop_sequences", stop_json(rq, 0));
	if (c->stream)
		cJSON_AddBoolToObject(o, "stream", 1);
	free(sys);
	return finish_body(o);
fail:
	free(sys);
	cJSON_Delete(o);
	return NULL;
}

static char *gemini_build(const prov_api_cfg *c, const prov_req *rq, tb_buf *url)
{
	cJSON *o = cJSON_CreateObject(), *contents, *gc;
	char *sys = system_text(rq);
	if (!o || url_join(url, c->base_url, "/v1beta/models/", c->model,
			c->stream ? ":streamGenerateContent?alt=sse" : ":generateContent"))
		goto fail;
	if (sys) {
		cJSON *si = cJSON_AddObjectToObject(o, "systemInstruction");
		cJSON *part = cJSON_CreateObject();
		cJSON_AddStringToObject(part, "text", sys);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(si, "parts"), part);
	}
	contents = cJSON_AddArrayToObject(o, "contents");
	if (!rq->n_messages && rq->prompt) {
		cJSON *m = cJSON_CreateObject(), *part = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "role", "user");
		cJSON_AddStringToObject(part, "text", rq->prompt);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(m, "parts"), part);
		cJSON_AddItemToArray(contents, m);
	}
	for (size_t i = 0; i < rq->n_messages; i++) {
		const char *role = rq->messages[i].role ? rq->messages[i].role : "user";
		cJSON *m, *part;
		if (strcmp(role, "system") == 0)
			continue;
		m = cJSON_CreateObject();
		part = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "role", strcmp(role, "assistant") == 0 ? "model" : "user");
		cJSON_AddStringToObject(part, "text", rq->messages[i].content ? rq->messages[i].content : "");
		cJSON_AddItemToArray(cJSON_AddArrayToObject(m, "parts"), part);
		cJSON_AddItemToArray(contents, m);
	}
	gc = cJSON_AddObjectToObject(o, "generationConfig");
	cJSON_AddNumberToObject(gc, "temperature", rq->temperature);
	if (rq->top_p > 0)
		cJSON_AddNumberToObject(gc, "topP", rq->top_p);
	if (rq->max_tokens > 0)
		cJSON_AddNumberToObject(gc, "maxOutputTokens", rq->max_tokens);
	if (rq->seed >= 0)
		cJSON_AddNumberToObject(gc, "seed", (double)rq->seed);
	if (rq->n_stop)
		cJSON_AddItemToObject(gc, "stopSequences", stop_json(rq, GEMINI_MAX_STOP));
	if (c->thinking_budget != 0) {
		cJSON *tc = cJSON_AddObjectToObject(gc, "thinkingConfig");
		cJSON_AddNumberToObject(tc, "thinkingBudget", c->thinking_budget < 0 ? -1 : c->thinking_budget);
		cJSON_AddBoolToObject(tc, "includeThoughts", 1);
	}
	free(sys);
	return finish_body(o);
fail:
	free(sys);
	cJSON_Delete(o);
	return NULL;
}

static char *ollama_build(const prov_api_cfg *c, const prov_req *rq, tb_buf *url)
{
	cJSON *o = cJSON_CreateObject(), *opt;
	if (!o || url_join(url, c->base_url, "/api/chat", NULL, NULL))
		goto fail;
	cJSON_AddStringToObject(o, "model", c->model);
	cJSON_AddItemToObject(o, "messages", messages_json(rq, 0));
	cJSON_AddBoolToObject(o, "stream", c->stream);
	if (c->reasoning_effort)
		cJSON_AddBoolToObject(o, "think", strcmp(c->reasoning_effort, "none") != 0);
	opt = cJSON_AddObjectToObject(o, "options");
	cJSON_AddNumberToObject(opt, "temperature", rq->temperature);
	if (rq->top_p > 0)
		cJSON_AddNumberToObject(opt, "top_p", rq->top_p);
	if (rq->max_tokens > 0)
		cJSON_AddNumberToObject(opt, "num_predict", rq->max_tokens);
	if (rq->seed >= 0)
		cJSON_AddNumberToObject(opt, "seed", (double)rq->seed);
	if (rq->n_stop)
		cJSON_AddItemToObject(opt, "stop", stop_json(rq, 0));
	return finish_body(o);
fail:
	cJSON_Delete(o);
	return NULL;
}

/* ---- OpenAI ---- */

static void openai_usage(prov_acc *a, const cJSON *u)
{
	const cJSON *d;
	if (!cJSON_IsObject(u))
		return;
	jint(u, "prompt_tokens", &a->n_in);
	jint(u, "completion_tokens", &a->n_out);
	if ((d = jget(u, "completion_tokens_details")))
		jint(d, "reasoning_tokens", &a->n_reasoning);
	if ((d = jget(u, "prompt_tokens_details")))
		jint(d, "cached_tokens", &a->n_cached);
	a->has_usage = 1;
}

static int openai_choice(prov_acc *a, const cJSON *ch, const char *part)
{
	const cJSON *d = jget(ch, part);
	const char *f = jstr(ch, "finish_reason");
	int rc = 0;
	if (cJSON_IsObject(d)) {
		/* DeepSeek and vLLM send reasoning_content, others (OpenRouter, newer vLLM) reasoning. */
		const char *r = jstr(d, "reasoning_content");
		if (!r)
			r = jstr(d, "reasoning");
		if ((rc = add_answer(a, &a->reasoning, r)) || (rc = add_answer(a, &a->text, jstr(d, "content"))))
			return rc;
		if (jstr(d, "refusal"))
			acc_fail(a, PROV_ERR_CONTENT_FILTER, jstr(d, "refusal"));
	}
	/* the completions endpoint: the choice's own "text", streamed or whole */
	if ((rc = add_answer(a, &a->text, jstr(ch, "text"))))
		return rc;
	if (f) {
		set_finish(a, f);
		a->complete = 1;
	}
	return 0;
}

static int openai_error_obj(prov_acc *a, const cJSON *j)
{
	const cJSON *e = jget(j, "error");
	if (!e)
		return 0;
	prov_acc_error(a, 0, cJSON_IsObject(e) ? jstr(e, "message") : jstr(j, "error"), j);
	return 1;
}

static int openai_event(prov_acc *a, const char *event, const char *data, size_t n)
{
	cJSON *j;
	const cJSON *ch;
	int rc = 0;
	(void)event;
	if (n == 6 && memcmp(data, "[DONE]", 6) == 0) {
		a->complete = 1;
		a->done_marker = 1;
		return 0;
	}
	if (!(j = parse_json(a, data, n)))
		return PROV_EIO;
	if (openai_error_obj(a, j)) {
		cJSON_Delete(j);
		return PROV_EIO;
	}
	cJSON_ArrayForEach(ch, jget(j, "choices"))
		if ((rc = openai_choice(a, ch, "delta")))
			break;
	openai_usage(a, jget(j, "usage"));
	cJSON_Delete(j);
	return rc;
}

static int openai_body(prov_acc *a, const char *body, size_t n)
{
	cJSON *j = parse_json(a, body, n);
	const cJSON *ch;
	int rc = 0;
	if (!j)
		return PROV_EIO;
	if (openai_error_obj(a, j)) {
		cJSON_Delete(j);
		return PROV_EIO;
	}
	cJSON_ArrayForEach(ch, jget(j, "choices"))
		if ((rc = openai_choice(a, ch, "message")))
			break;
	openai_usage(a, jget(j, "usage"));
	cJSON_Delete(j);
	if (!a->complete)
		acc_fail(a, PROV_ERR_PARSE, "response has no choice with a finish_reason");
	return rc ? rc : a->complete ? 0 : PROV_EIO;
}

/* Log-probabilities of given text through the legacy completions endpoint, as vLLM and
 * llama.cpp's server offer it: the prompt (token ids when the request has them) echoed with
 * `logprobs` top entries per position; one token is generated and ignored. vLLM names top tokens
 * by id with return_tokens_as_token_ids ("token_id:123"); a server that names them by text gives
 * ids of -1. */
static char *openai_build_lp(const prov_api_cfg *c, const prov_req *rq, tb_buf *url)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || url_join(url, c->base_url, "/completions", NULL, NULL))
		goto fail;
	cJSON_AddStringToObject(o, "model", c->model);
	if (rq->tokens && rq->n_tokens) {
		cJSON *a = cJSON_AddArrayToObject(o, "prompt");
		for (size_t i = 0; a && i < rq->n_tokens; i++)
			cJSON_AddItemToArray(a, cJSON_CreateNumber(rq->tokens[i]));
	} else {
		cJSON_AddStringToObject(o, "prompt", rq->prompt ? rq->prompt : "");
	}
	cJSON_AddNumberToObject(o, "max_tokens", 1);
	cJSON_AddNumberToObject(o, "temperature", 0);
	cJSON_AddBoolToObject(o, "echo", 1);
	cJSON_AddNumberToObject(o, "logprobs", rq->top_k > 0 ? rq->top_k : 1);
	cJSON_AddBoolToObject(o, "return_tokens_as_token_ids", 1);
	return finish_body(o);
fail:
	cJSON_Delete(o);
	return NULL;
}

/* The id in a top-token key "token_id:123", else -1. */
static int32_t lp_key_id(const char *k)
{
	char *end;
	long v;
	if (strncmp(k, "token_id:", 9) != 0)
		return -1;
	v = strtol(k + 9, &end, 10);
	return *end || end == k + 9 || v < 0 || v > INT32_MAX ? -1 : (int32_t)v;
}

static int openai_body_lp(prov_acc *a, const prov_req *rq, const char *body, size_t n)
{
	cJSON *j = parse_json(a, body, n);
	const cJSON *ch, *lps, *tl, *top;
	long n_text, from;
	int k = rq->top_k > 0 ? rq->top_k : 0;
	if (!j)
		return PROV_EIO;
	if (openai_error_obj(a, j)) {
		cJSON_Delete(j);
		return PROV_EIO;
	}
	openai_usage(a, jget(j, "usage"));
	ch = cJSON_GetArrayItem(jget(j, "choices"), 0);
	lps = jget(ch, "logprobs");
	tl = jget(lps, "token_logprobs");
	top = jget(lps, "top_logprobs");
	n_text = rq->tokens && rq->n_tokens ? (long)rq->n_tokens : (long)a->n_in;
	if (!cJSON_IsArray(tl) || n_text < 2 || cJSON_GetArraySize(tl) < n_text ||
	    (k && (!cJSON_IsArray(top) || cJSON_GetArraySize(top) < n_text))) {
		acc_fail(a, PROV_ERR_CLIENT, "the server gave no log-probabilities of the prompt tokens "
			"(scoring needs /v1/completions with echo and logprobs, as vLLM and llama.cpp's "
			"server offer)");
		cJSON_Delete(j);
		return PROV_EIO;
	}
	from = rq->score_from >= 1 ? (rq->score_from < n_text ? rq->score_from : n_text) : n_text / 2 + 1;
	if (from >= n_text) {
		acc_fail(a, PROV_ERR_CLIENT, "nothing to score");
		cJSON_Delete(j);
		return PROV_EIO;
	}
	a->n_lp = (size_t)(n_text - from);
	a->top_k = k;
	if (!(a->lp = malloc(a->n_lp * sizeof *a->lp)) ||
	    !(a->top_id = malloc((a->n_lp * (size_t)k + 1) * sizeof *a->top_id)) ||
	    !(a->top_lp = malloc((a->n_lp * (size_t)k + 1) * sizeof *a->top_lp))) {
		acc_fail(a, PROV_ERR_SERVER, "out of memory");
		cJSON_Delete(j);
		return PROV_ENOMEM;
	}
	for (long i = from; i < n_text; i++) {
		const cJSON *v = cJSON_GetArrayItem(tl, (int)i), *t, *e;
		size_t at = (size_t)(i - from);
		int m = 0;
		if (!cJSON_IsNumber(v)) {
			acc_fail(a, PROV_ERR_PARSE, "logprobs.token_logprobs: not a number at a scored position");
			cJSON_Delete(j);
			return PROV_EIO;
		}
		a->lp[at] = (float)v->valuedouble;
		for (int q = 0; q < k; q++) {
			a->top_id[at * (size_t)k + (size_t)q] = -1;
			a->top_lp[at * (size_t)k + (size_t)q] = -INFINITY;
		}
		t = k ? cJSON_GetArrayItem(top, (int)i) : NULL;
		/* insertion into the k best, descending */
		cJSON_ArrayForEach(e, t) {
			float x;
			int q;
			if (!cJSON_IsNumber(e))
				continue;
			x = (float)e->valuedouble;
			if (m == k && x <= a->top_lp[at * (size_t)k + (size_t)k - 1])
				continue;
			q = m < k ? m++ : k - 1;
			while (q > 0 && a->top_lp[at * (size_t)k + (size_t)q - 1] < x) {
				a->top_lp[at * (size_t)k + (size_t)q] = a->top_lp[at * (size_t)k + (size_t)q - 1];
				a->top_id[at * (size_t)k + (size_t)q] = a->top_id[at * (size_t)k + (size_t)q - 1];
				q--;
			}
			a->top_lp[at * (size_t)k + (size_t)q] = x;
			a->top_id[at * (size_t)k + (size_t)q] = lp_key_id(e->string);
		}
	}
	a->complete = 1;
	set_finish(a, "length");
	cJSON_Delete(j);
	return 0;
}

/* ---- Anthropic ---- */

static const char *anthropic_finish(const char *s)
{
	if (!strcmp(s, "end_turn") || !strcmp(s, "stop_sequence") || !strcmp(s, "pause_turn"))
		return "stop";
	if (!strcmp(s, "max_tokens") || !strcmp(s, "model_context_window_exceeded"))
		return "length";
	if (!strcmp(s, "tool_use"))
		return "tool_calls";
	if (!strcmp(s, "refusal"))
		return "content_filter";
	return s;
}

static void anthropic_usage(prov_acc *a, const cJSON *u)
{
	int64_t in = 0, cr = 0, cw = 0, out = 0;
	const cJSON *d;
	if (!cJSON_IsObject(u))
		return;
	/* input_tokens excludes cache reads and writes; n_tokens_in counts the whole prompt. */
	if (jint(u, "input_tokens", &in) | jint(u, "cache_read_input_tokens", &cr) |
	    jint(u, "cache_creation_input_tokens", &cw))
		if (in + cr + cw > 0)
			a->n_in = in + cr + cw, a->n_cached = cr;
	if (jint(u, "output_tokens", &out))
		a->n_out = out;
	if ((d = jget(u, "output_tokens_details")))
		jint(d, "thinking_tokens", &a->n_reasoning);
	a->has_usage = 1;
}

static int anthropic_content(prov_acc *a, const cJSON *blocks)
{
	const cJSON *b;
	int rc = 0;
	cJSON_ArrayForEach(b, blocks) {
		const char *t = jstr(b, "type");
		if (t && !strcmp(t, "text"))
			rc = add_answer(a, &a->text, jstr(b, "text"));
		else if (t && !strcmp(t, "thinking"))
			rc = add_answer(a, &a->reasoning, jstr(b, "thinking"));
		if (rc)
			return rc;
	}
	return 0;
}

static int anthropic_error_obj(prov_acc *a, const cJSON *j)
{
	const cJSON *e = jget(j, "error");
	const char *t = jstr(j, "type");
	if (!(t && !strcmp(t, "error")) && !cJSON_IsObject(e))
		return 0;
	prov_acc_error(a, 0, cJSON_IsObject(e) ? jstr(e, "message") : "error event", j);
	return 1;
}

static int anthropic_event(prov_acc *a, const char *event, const char *data, size_t n)
{
	cJSON *j;
	const char *t;
	const cJSON *d;
	int rc = 0;
	(void)event;  /* the data's own "type" names the event too */
	if (!(j = parse_json(a, data, n)))
		return PROV_EIO;
	t = jstr(j, "type");
	if (anthropic_error_obj(a, j)) {
		rc = PROV_EIO;
	} else if (!t) {
		acc_fail(a, PROV_ERR_PARSE, "stream event without a type");
		rc = PROV_EIO;
	} else if (!strcmp(t, "message_start")) {
		anthropic_usage(a, jget(jget(j, "message"), "usage"));
	} else if (!strcmp(t, "content_block_start")) {
		const cJSON *cb = jget(j, "content_block");
		cJSON *one = cJSON_CreateArray();
		if (cb && one) {
			cJSON_AddItemReferenceToArray(one, (cJSON *)cb);
			rc = anthropic_content(a, one);
		}
		cJSON_Delete(one);
	} else if (!strcmp(t, "content_block_delta") && (d = jget(j, "delta"))) {
		const char *dt = jstr(d, "type");
		if (dt && !strcmp(dt, "text_delta"))
			rc = add_answer(a, &a->text, jstr(d, "text"));
		else if (dt && !strcmp(dt, "thinking_delta"))
			rc = add_answer(a, &a->reasoning, jstr(d, "thinking"));
	} else if (!strcmp(t, "message_delta")) {
		const char *sr = jstr(jget(j, "delta"), "stop_reason");
		if (sr)
			set_finish(a, anthropic_finish(sr));
		anthropic_usage(a, jget(j, "usage"));
	} else if (!strcmp(t, "message_stop")) {
		a->complete = 1;
	}
	cJSON_Delete(j);
	return rc;
}

static int anthropic_body(prov_acc *a, const char *body, size_t n)
{
	cJSON *j = parse_json(a, body, n);
	const char *sr;
	int rc;
	if (!j)
		return PROV_EIO;
	if (anthropic_error_obj(a, j)) {
		cJSON_Delete(j);
		return PROV_EIO;
	}
	rc = anthropic_content(a, jget(j, "content"));
	anthropic_usage(a, jget(j, "usage"));
	if ((sr = jstr(j, "stop_reason"))) {
		set_finish(a, anthropic_finish(sr));
		a->complete = 1;
	} else {
		acc_fail(a, PROV_ERR_PARSE, "message without stop_reason");
		rc = rc ? rc : PROV_EIO;
	}
	cJSON_Delete(j);
	return rc;
}

/* ---- Gemini ---- */

static const char *gemini_finish(const char *s)
{
	if (!strcmp(s, "STOP"))
		return "stop";
	if (!strcmp(s, "MAX_TOKENS"))
		return "length";
	if (!strcmp(s, "SAFETY") || !strcmp(s, "RECITATION") || !strcmp(s, "BLOCKLIST") ||
	    !strcmp(s, "PROHIBITED_CONTENT") || !strcmp(s, "SPII") || !strcmp(s, "IMAGE_SAFETY"))
		return "content_filter";
	return "other";
}

static int gemini_chunk(prov_acc *a, const cJSON *j)
{
	const cJSON *c, *p, *u, *pf;
	int rc = 0;
	if (jget(j, "error")) {
		prov_acc_error(a, 0, jstr(jget(j, "error"), "message"), j);
		return PROV_EIO;
	}
	if ((pf = jget(j, "promptFeedback")) && jstr(pf, "blockReason")) {
		set_finish(a, "content_filter");
		a->complete = 1;
	}
	c = cJSON_GetArrayItem(jget(j, "candidates"), 0);
	cJSON_ArrayForEach(p, jget(jget(c, "content"), "parts")) {
		const char *text = jstr(p, "text");
		rc = add_answer(a, cJSON_IsTrue(jget(p, "thought")) ? &a->reasoning : &a->text, text);
		if (rc)
			return rc;
	}
	if (c && jstr(c, "finishReason")) {
		set_finish(a, gemini_finish(jstr(c, "finishReason")));
		a->complete = 1;
	}
	if ((u = jget(j, "usageMetadata"))) {
		int64_t cand = 0, th = 0;
		jint(u, "promptTokenCount", &a->n_in);
		jint(u, "cachedContentTokenCount", &a->n_cached);
		jint(u, "candidatesTokenCount", &cand);
		jint(u, "thoughtsTokenCount", &th);
		/* candidatesTokenCount excludes thoughts; n_tokens_out counts all billed output. */
		a->n_out = cand + th;
		a->n_reasoning = th;
		a->has_usage = 1;
	}
	return 0;
}

static int gemini_event(prov_acc *a, const char *event, const char *data, size_t n)
{
	cJSON *j = parse_json(a, data, n);
	int rc;
	(void)event;
	if (!j)
		return PROV_EIO;
	rc = gemini_chunk(a, j);
	cJSON_Delete(j);
	return rc;
}

static int gemini_body(prov_acc *a, const char *body, size_t n)
{
	cJSON *j = parse_json(a, body, n);
	int rc;
	if (!j)
		return PROV_EIO;
	rc = gemini_chunk(a, j);
	cJSON_Delete(j);
	if (!rc && !a->complete) {
		acc_fail(a, PROV_ERR_PARSE, "response without finishReason");
		rc = PROV_EIO;
	}
	return rc;
}

/* ---- Ollama ---- */

static int ollama_chunk(prov_acc *a, const cJSON *j)
{
	const cJSON *m = jget(j, "message");
	int rc;
	if (jget(j, "error")) {
		prov_acc_error(a, 0, jstr(j, "error"), j);
		return PROV_EIO;
	}
	if ((rc = add_answer(a, &a->reasoning, jstr(m, "thinking"))) ||
	    (rc = add_answer(a, &a->text, jstr(m, "content"))))
		return rc;
	if (cJSON_IsTrue(jget(j, "done"))) {
		const char *dr = jstr(j, "done_reason");
		set_finish(a, dr ? dr : "stop");
		jint(j, "prompt_eval_count", &a->n_in);
		jint(j, "eval_count", &a->n_out);
		a->has_usage = 1;
		a->complete = 1;
	}
	return 0;
}

static int ollama_event(prov_acc *a, const char *event, const char *data, size_t n)
{
	cJSON *j = parse_json(a, data, n);
	int rc;
	(void)event;
	if (!j)
		return PROV_EIO;
	rc = ollama_chunk(a, j);
	cJSON_Delete(j);
	return rc;
}

static int ollama_body(prov_acc *a, const char *body, size_t n)
{
	int rc = ollama_event(a, NULL, body, n);
	if (!rc && !a->complete) {
		acc_fail(a, PROV_ERR_PARSE, "response without done");
		rc = PROV_EIO;
	}
	return rc;
}

/* ---- errors ---- */

static int contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

void prov_acc_error(prov_acc *a, int status, const char *msg, const cJSON *j)
{
	char *txt = j ? cJSON_PrintUnformatted(j) : NULL;
	prov_err_class c;
	char line[256];

	if (status == 401 || status == 403 || contains(txt, "API_KEY_INVALID") ||
	    contains(txt, "authentication_error") || contains(txt, "invalid_api_key") ||
	    contains(txt, "permission_error"))
		c = PROV_ERR_AUTH;
	else if (contains(txt, "context_length_exceeded") || contains(txt, "prompt is too long") ||
		 contains(txt, "maximum context length") || contains(txt, "exceeds the maximum number of tokens"))
		c = PROV_ERR_CONTEXT_LENGTH;
	else if (status == 429 || contains(txt, "rate_limit_error") || contains(txt, "RESOURCE_EXHAUSTED"))
		c = PROV_ERR_RATE_LIMIT;
	else if (status == 529 || status == 503 || contains(txt, "overloaded_error") ||
		 contains(txt, "UNAVAILABLE"))
		c = PROV_ERR_OVERLOADED;
	else if (status == 408 || status == 504 || contains(txt, "DEADLINE_EXCEEDED"))
		c = PROV_ERR_TIMEOUT;
	else if (status >= 500 || status == 0)
		c = PROV_ERR_SERVER;
	else
		c = PROV_ERR_CLIENT;
	if (status)
		snprintf(line, sizeof line, "HTTP %d: %.200s", status, msg ? msg : "(no message)");
	else
		snprintf(line, sizeof line, "error in stream: %.200s", msg ? msg : "(no message)");
	acc_fail(a, c, line);
	free(txt);
}

void prov_acc_http_error(prov_acc *a, int status, const char *body, size_t n)
{
	cJSON *j = n ? cJSON_ParseWithLength(body, n) : NULL;
	const char *msg = NULL;
	if (j) {
		const cJSON *e = jget(j, "error");
		msg = cJSON_IsString(e) ? e->valuestring : jstr(e, "message");
		if (!msg)
			msg = jstr(j, "message");
	}
	prov_acc_error(a, status, msg, j);
	cJSON_Delete(j);
}

/* Gemini can append a bare JSON error object after its data lines (no "data:" prefix). */
int prov_acc_finish_other(prov_acc *a)
{
	cJSON *j;
	if (!a->other.len)
		return 0;
	j = cJSON_ParseWithLength(a->other.p, a->other.len);
	if (j && jget(j, "error")) {
		const cJSON *e = jget(j, "error");
		int64_t code = 0;
		jint(e, "code", &code);
		a->err = PROV_ERR_NONE;
		prov_acc_error(a, 0, jstr(e, "message"), j);
		if (!strcmp(jstr(e, "status") ? jstr(e, "status") : "", "CANCELLED") || code == 499)
			a->err = PROV_ERR_SERVER;
		cJSON_Delete(j);
		return PROV_EIO;
	}
	cJSON_Delete(j);
	return 0;
}

const prov_dialect prov_dialect_openai = {
	"openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "Authorization: Bearer ", NULL, 0,
	openai_build, openai_event, openai_body, OPENAI_MAX_STOP, openai_build_lp, openai_body_lp,
};
const prov_dialect prov_dialect_anthropic = {
	"anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY", "x-api-key: ",
	"anthropic-version: 2023-06-01", 0, anthropic_build, anthropic_event, anthropic_body, 0, NULL, NULL,
};
const prov_dialect prov_dialect_gemini = {
	"gemini", "https://generativelanguage.googleapis.com", "GEMINI_API_KEY", "x-goog-api-key: ",
	NULL, 0, gemini_build, gemini_event, gemini_body, GEMINI_MAX_STOP, NULL, NULL,
};
const prov_dialect prov_dialect_ollama = {
	"ollama", "http://127.0.0.1:11434", NULL, NULL, NULL, 1,
	ollama_build, ollama_event, ollama_body, 0, NULL, NULL,
};
