/* serve/oai.c — the OpenAI wire shapes of `tierbench serve`: the chat and completions request
 * parser (fields and types as OpenAI's API reference gives them, unknown fields ignored), the
 * error body, whole responses, stream chunks and their SSE framing, log-probability entries,
 * and the bearer key check. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "serve/serve_impl.h"

#define OAI_MAX_STOP 16
#define OAI_MAX_MESSAGES 4096

void srv_err_set(srv_err *e, int status, const char *type, const char *param, const char *code,
	const char *fmt, ...)
{
	va_list ap;
	e->status = status;
	e->type = type;
	e->code = code;
	snprintf(e->param, sizeof e->param, "%s", param ? param : "");
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

char *srv_err_json(const srv_err *e)
{
	cJSON *root = cJSON_CreateObject(), *o = cJSON_AddObjectToObject(root, "error");
	char *s = NULL;

	if (!o || !cJSON_AddStringToObject(o, "message", e->message) ||
	    !cJSON_AddStringToObject(o, "type", e->type ? e->type : "invalid_request_error") ||
	    !(e->param[0] ? cJSON_AddStringToObject(o, "param", e->param) : cJSON_AddNullToObject(o, "param")) ||
	    !(e->code ? cJSON_AddStringToObject(o, "code", e->code) : cJSON_AddNullToObject(o, "code")))
		goto done;
	s = cJSON_PrintUnformatted(root);
done:
	cJSON_Delete(root);
	return s;
}

/* ------------------------------------------------------------------ requests */

static const char *type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "null";
}

static int bad_type(srv_err *e, const char *param, const char *want, const cJSON *v)
{
	srv_err_set(e, 400, "invalid_request_error", param, "invalid_type",
		"Invalid type for '%s': expected %s, but got %s instead.", param, want, type_name(v));
	return -1;
}

/* Field k of o unless absent or null. */
static const cJSON *field(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return v && !cJSON_IsNull(v) ? v : NULL;
}

/* A number field in [lo, hi], integral when integer; absent leaves *out. */
static int num_field(const cJSON *o, const char *k, double lo, double hi, int integer, double *out,
	srv_err *e)
{
	const cJSON *v = field(o, k);
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || (integer && v->valuedouble != floor(v->valuedouble)))
		return bad_type(e, k, integer ? "an integer" : "a number", v);
	if (!(v->valuedouble >= lo && v->valuedouble <= hi)) {
		srv_err_set(e, 400, "invalid_request_error", k, "invalid_value",
			"Invalid '%s': %g is outside [%g, %g].", k, v->valuedouble, lo, hi);
		return -1;
	}
	*out = v->valuedouble;
	return 0;
}

static int bool_field(const cJSON *o, const char *k, int *out, srv_err *e)
{
	const cJSON *v = field(o, k);
	if (!v)
		return 0;
	if (!cJSON_IsBool(v))
		return bad_type(e, k, "a boolean", v);
	*out = cJSON_IsTrue(v);
	return 0;
}

static int oom(srv_err *e)
{
	srv_err_set(e, 500, "server_error", NULL, NULL, "out of memory");
	return -1;
}

/* stop: a string or an array of strings; empty strings are dropped. */
static int parse_stop(const cJSON *o, prov_req *rq, srv_err *e)
{
	const cJSON *v = field(o, "stop"), *it;
	int n;

	if (!v)
		return 0;
	if (!cJSON_IsString(v) && !cJSON_IsArray(v))
		return bad_type(e, "stop", "a string or an array of strings", v);
	n = cJSON_IsString(v) ? 1 : cJSON_GetArraySize(v);
	if (n > OAI_MAX_STOP) {
		srv_err_set(e, 400, "invalid_request_error", "stop", "invalid_value",
			"Invalid 'stop': at most %d strings, got %d.", OAI_MAX_STOP, n);
		return -1;
	}
	if (!(rq->stop = calloc((size_t)n + 1, sizeof *rq->stop)))
		return oom(e);
	if (cJSON_IsString(v)) {
		if (*v->valuestring && !(rq->stop[rq->n_stop++] = strdup(v->valuestring)))
			return oom(e);
		return 0;
	}
	cJSON_ArrayForEach(it, v) {
		if (!cJSON_IsString(it)) {
			char p[32];
			snprintf(p, sizeof p, "stop[%zu]", rq->n_stop);
			return bad_type(e, p, "a string", it);
		}
		if (*it->valuestring && !(rq->stop[rq->n_stop++] = strdup(it->valuestring)))
			return oom(e);
	}
	return 0;
}

/* content: a string, or an array of {"type":"text","text":...} parts joined; null is "". */
static int parse_content(const cJSON *c, size_t i, char **out, srv_err *e)
{
	char p[64];
	tb_buf b;
	const cJSON *part;
	size_t k = 0;

	snprintf(p, sizeof p, "messages[%zu].content", i);
	if (!c || cJSON_IsNull(c))
		return (*out = strdup("")) ? 0 : oom(e);
	if (cJSON_IsString(c))
		return (*out = strdup(c->valuestring)) ? 0 : oom(e);
	if (!cJSON_IsArray(c))
		return bad_type(e, p, "one of a string or array of objects", c);
	tb_buf_init(&b, 0);
	cJSON_ArrayForEach(part, c) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "type"),
			*x = cJSON_GetObjectItemCaseSensitive(part, "text");
		if (!cJSON_IsObject(part) || !cJSON_IsString(t) || strcmp(t->valuestring, "text") != 0 ||
		    !cJSON_IsString(x)) {
			tb_buf_release(&b);
			snprintf(p, sizeof p, "messages[%zu].content[%zu]", i, k);
			srv_err_set(e, 400, "invalid_request_error", p, "invalid_value",
				"Invalid '%s': only text parts ({\"type\": \"text\", \"text\": ...}) are "
				"supported by this model.", p);
			return -1;
		}
		if (tb_buf_adds(&b, x->valuestring)) {
			tb_buf_release(&b);
			return oom(e);
		}
		k++;
	}
	if (!(*out = tb_buf_detach(&b, NULL)) && !(*out = strdup("")))
		return oom(e);
	return 0;
}

static int parse_messages(const cJSON *o, prov_req *rq, srv_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "messages"), *m;
	static const char *const roles[] = { "system", "developer", "user", "assistant", NULL };
	int n;

	if (!v || cJSON_IsNull(v)) {
		srv_err_set(e, 400, "invalid_request_error", "messages", "missing_required_parameter",
			"Missing required parameter: 'messages'.");
		return -1;
	}
	if (!cJSON_IsArray(v))
		return bad_type(e, "messages", "an array", v);
	n = cJSON_GetArraySize(v);
	if (n < 1 || n > OAI_MAX_MESSAGES) {
		srv_err_set(e, 400, "invalid_request_error", "messages", "invalid_value",
			"Invalid 'messages': expected 1 to %d messages, got %d.", OAI_MAX_MESSAGES, n);
		return -1;
	}
	if (!(rq->messages = calloc((size_t)n, sizeof *rq->messages)))
		return oom(e);
	cJSON_ArrayForEach(m, v) {
		size_t i = rq->n_messages;
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(m, "role");
		char p[48];
		int k;
		snprintf(p, sizeof p, "messages[%zu]", i);
		if (!cJSON_IsObject(m))
			return bad_type(e, p, "an object", m);
		snprintf(p, sizeof p, "messages[%zu].role", i);
		if (!cJSON_IsString(r))
			return r ? bad_type(e, p, "a string", r) : (srv_err_set(e, 400,
				"invalid_request_error", p, "missing_required_parameter",
				"Missing required parameter: '%s'.", p), -1);
		for (k = 0; roles[k] && strcmp(roles[k], r->valuestring) != 0; k++)
			;
		if (!roles[k]) {
			srv_err_set(e, 400, "invalid_request_error", p, "invalid_value",
				"Invalid value: '%.64s'. Supported values are: 'system', 'developer', 'user' "
				"and 'assistant'.", r->valuestring);
			return -1;
		}
		/* the chat templates know "system"; "developer" is OpenAI's new name for it */
		if (!(rq->messages[i].role = strdup(k == 1 ? "system" : roles[k])))
			return oom(e);
		rq->n_messages++;
		if (parse_content(cJSON_GetObjectItemCaseSensitive(m, "content"), i,
			&rq->messages[i].content, e))
			return -1;
	}
	return 0;
}

static int parse_prompt(const cJSON *o, prov_req *rq, srv_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "prompt");

	if (!v || cJSON_IsNull(v)) {
		srv_err_set(e, 400, "invalid_request_error", "prompt", "missing_required_parameter",
			"Missing required parameter: 'prompt'.");
		return -1;
	}
	if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1 && cJSON_IsString(v->child))
		v = v->child;
	else if (cJSON_IsArray(v)) {
		srv_err_set(e, 400, "invalid_request_error", "prompt", "invalid_value",
			"Invalid 'prompt': this server takes one prompt string per request (no token "
			"arrays, no batches).");
		return -1;
	}
	if (!cJSON_IsString(v))
		return bad_type(e, "prompt", "a string", v);
	return (rq->prompt = strdup(v->valuestring)) ? 0 : oom(e);
}

int srv_params_parse(const char *body, size_t n, int chat, const char *served_model,
	srv_params *out, srv_err *e)
{
	cJSON *o = cJSON_ParseWithLength(body, n);
	const cJSON *v;
	double d;
	int rc = -1;

	memset(out, 0, sizeof *out);
	out->chat = chat;
	out->rq.seed = -1;
	if (!o) {
		srv_err_set(e, 400, "invalid_request_error", NULL, NULL, "We could not parse the JSON "
			"body of your request: it is not valid JSON (near byte %zu).",
			cJSON_GetErrorPtr() && cJSON_GetErrorPtr() >= body && cJSON_GetErrorPtr() <= body + n ?
			(size_t)(cJSON_GetErrorPtr() - body) : (size_t)0);
		return -1;
	}
	if (!cJSON_IsObject(o)) {
		srv_err_set(e, 400, "invalid_request_error", NULL, NULL, "We could not parse the JSON "
			"body of your request: expected an object, got %s.", type_name(o));
		goto done;
	}
	if ((v = field(o, "model"))) {
		if (!cJSON_IsString(v)) {
			bad_type(e, "model", "a string", v);
			goto done;
		}
		if (strcmp(v->valuestring, served_model) != 0) {
			srv_err_set(e, 404, "invalid_request_error", "model", "model_not_found",
				"The model `%.200s` does not exist or you do not have access to it (this "
				"server serves `%.200s`).", v->valuestring, served_model);
			goto done;
		}
	}
	if (chat ? parse_messages(o, &out->rq, e) : parse_prompt(o, &out->rq, e))
		goto done;
	d = 0;
	if (num_field(o, "max_tokens", 1, 1 << 30, 1, &d, e) ||
	    num_field(o, "max_completion_tokens", 1, 1 << 30, 1, &d, e))
		goto done;
	out->rq.max_tokens = (int)d;
	d = 1;
	if (num_field(o, "n", 1, 128, 1, &d, e))
		goto done;
	if (d != 1) {
		srv_err_set(e, 400, "invalid_request_error", "n", "invalid_value",
			"Invalid 'n': this server answers one choice per request (n = 1), got %g.", d);
		goto done;
	}
	d = 1;
	if (num_field(o, "temperature", 0, 2, 0, &d, e))
		goto done;
	out->rq.temperature = d;
	d = 1;
	if (num_field(o, "top_p", 0, 1, 0, &d, e))
		goto done;
	out->rq.top_p = d > 0 ? d : 1e-9;   /* the provider reads 0 as "default" */
	d = -1;
	if (num_field(o, "seed", -9007199254740991.0, 9007199254740991.0, 1, &d, e))
		goto done;
	out->rq.seed = d < 0 ? -1 : (int64_t)d;
	if (parse_stop(o, &out->rq, e) || bool_field(o, "stream", &out->stream, e) ||
	    bool_field(o, "ignore_eos", &out->rq.ignore_eos, e))
		goto done;
	if ((v = field(o, "stream_options"))) {
		if (!cJSON_IsObject(v)) {
			bad_type(e, "stream_options", "an object", v);
			goto done;
		}
		if (bool_field(v, "include_usage", &out->include_usage, e))
			goto done;
	}
	if (chat) {
		d = 0;
		if (bool_field(o, "logprobs", &out->logprobs, e) ||
		    num_field(o, "top_logprobs", 0, PROV_MAX_TOP_LOGPROBS, 1, &d, e))
			goto done;
		if (field(o, "top_logprobs") && !out->logprobs) {
			srv_err_set(e, 400, "invalid_request_error", "top_logprobs", "invalid_value",
				"Invalid 'top_logprobs': it needs 'logprobs' set to true.");
			goto done;
		}
		out->top_logprobs = (int)d;
	} else {
		d = -1;
		if (num_field(o, "logprobs", 0, PROV_MAX_TOP_LOGPROBS, 1, &d, e))
			goto done;
		out->logprobs = d >= 0;
		out->top_logprobs = d > 0 ? (int)d : 0;
	}
	rc = 0;
done:
	cJSON_Delete(o);
	if (rc && e->status == 500)
		rc = -1;
	if (rc)
		srv_params_release(out);
	return rc;
}

void srv_params_release(srv_params *p)
{
	if (!p)
		return;
	prov_req_release(&p->rq);
	memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------------ responses */

size_t srv_utf8_complete(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	/* the last lead byte within the final 3 bytes: is its sequence complete? */
	for (size_t back = 1; back <= 3 && back <= n; back++) {
		unsigned char c = u[n - back];
		size_t need;
		if ((c & 0xC0) == 0x80)
			continue;         /* continuation: look further back */
		need = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
		return need > back ? n - back : n;
	}
	return n;
}

/* A copy of p[0..n) as valid UTF-8: a byte that starts no valid sequence becomes U+FFFD. */
static char *utf8_clean(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	char *o = malloc(n * 3 + 1), *w = o;
	size_t i = 0;

	if (!o)
		return NULL;
	while (i < n) {
		unsigned char c = u[i];
		size_t need = c < 0x80 ? 1 : c >= 0xC2 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3 :
			c >= 0xF0 && c <= 0xF4 ? 4 : 0;
		size_t k = 1;
		if (need > 1 && i + need <= n) {
			for (k = 1; k < need && (u[i + k] & 0xC0) == 0x80; k++)
				;
			/* overlong 3- and 4-byte forms, surrogates and past U+10FFFF */
			if (k == need && ((c == 0xE0 && u[i + 1] < 0xA0) || (c == 0xED && u[i + 1] >= 0xA0) ||
			    (c == 0xF0 && u[i + 1] < 0x90) || (c == 0xF4 && u[i + 1] >= 0x90)))
				k = 0;
		}
		if (need >= 1 && k == need && i + need <= n) {
			memcpy(w, u + i, need);
			w += need;
			i += need;
		} else {
			memcpy(w, "\xEF\xBF\xBD", 3);
			w += 3;
			i++;
		}
	}
	*w = 0;
	return o;
}

static cJSON *add_text(cJSON *o, const char *k, const char *p, size_t n)
{
	char *c = utf8_clean(p ? p : "", p ? n : 0);
	cJSON *r = c ? cJSON_AddStringToObject(o, k, c) : NULL;
	free(c);
	return r;
}

static cJSON *bytes_array(const char *p, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < n; i++)
		if (!cJSON_AddItemToArray(a, cJSON_CreateNumber((unsigned char)p[i]))) {
			cJSON_Delete(a);
			return NULL;
		}
	return a;
}

cJSON *srv_lp_entry(const prov_token_ev *ev, int top)
{
	cJSON *o = cJSON_CreateObject(), *a, *t;

	if (!o || !add_text(o, "token", ev->piece, ev->n_piece) ||
	    !cJSON_AddNumberToObject(o, "logprob", ev->logprob) ||
	    !cJSON_AddItemToObject(o, "bytes", bytes_array(ev->piece, ev->n_piece)) ||
	    !(a = cJSON_AddArrayToObject(o, "top_logprobs")))
		goto fail;
	for (int j = 0; j < ev->n_top && j < top; j++) {
		if (!(t = cJSON_CreateObject()) || !cJSON_AddItemToArray(a, t))
			goto fail_t;
		if (!add_text(t, "token", ev->top_piece[j], ev->top_n[j]) ||
		    !cJSON_AddNumberToObject(t, "logprob", ev->top_lp[j]) ||
		    !cJSON_AddItemToObject(t, "bytes", bytes_array(ev->top_piece[j], ev->top_n[j])))
			goto fail;
	}
	return o;
fail_t:
	cJSON_Delete(t);
fail:
	cJSON_Delete(o);
	return NULL;
}

/* The choice's "logprobs": chat {"content":[entries]}; completions the legacy four arrays. */
static cJSON *lp_json(const srv_result *r)
{
	cJSON *o, *toks, *lps, *tops, *offs;
	const cJSON *e;
	double off = (double)r->lp_offset;

	if (!r->lp)
		return cJSON_CreateNull();
	if (r->chat) {
		if ((o = cJSON_CreateObject()) && !cJSON_AddItemToObject(o, "content",
			cJSON_Duplicate(r->lp, 1))) {
			cJSON_Delete(o);
			return NULL;
		}
		return o;
	}
	if (!(o = cJSON_CreateObject()) || !(toks = cJSON_AddArrayToObject(o, "tokens")) ||
	    !(lps = cJSON_AddArrayToObject(o, "token_logprobs")) ||
	    !(tops = cJSON_AddArrayToObject(o, "top_logprobs")) ||
	    !(offs = cJSON_AddArrayToObject(o, "text_offset")))
		goto fail;
	cJSON_ArrayForEach(e, r->lp) {
		const cJSON *tok = cJSON_GetObjectItemCaseSensitive(e, "token"),
			*lp = cJSON_GetObjectItemCaseSensitive(e, "logprob"),
			*tl = cJSON_GetObjectItemCaseSensitive(e, "top_logprobs"),
			*by = cJSON_GetObjectItemCaseSensitive(e, "bytes"), *x;
		cJSON *m = cJSON_CreateObject();
		if (!m || !cJSON_AddItemToArray(tops, m) ||
		    !cJSON_AddItemToArray(toks, cJSON_CreateString(tok->valuestring)) ||
		    !cJSON_AddItemToArray(lps, cJSON_CreateNumber(lp->valuedouble)) ||
		    !cJSON_AddItemToArray(offs, cJSON_CreateNumber(off)))
			goto fail;
		cJSON_ArrayForEach(x, tl)
			if (!cJSON_GetObjectItemCaseSensitive(m, cJSON_GetObjectItemCaseSensitive(x,
				"token")->valuestring) && !cJSON_AddNumberToObject(m,
				cJSON_GetObjectItemCaseSensitive(x, "token")->valuestring,
				cJSON_GetObjectItemCaseSensitive(x, "logprob")->valuedouble))
				goto fail;
		off += cJSON_GetArraySize(by);
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static int add_usage(cJSON *root, const srv_result *r)
{
	cJSON *u = cJSON_AddObjectToObject(root, "usage"), *d;
	return u && cJSON_AddNumberToObject(u, "prompt_tokens", (double)r->n_in) &&
		cJSON_AddNumberToObject(u, "completion_tokens", (double)r->n_out) &&
		cJSON_AddNumberToObject(u, "total_tokens", (double)(r->n_in + r->n_out)) &&
		(d = cJSON_AddObjectToObject(u, "completion_tokens_details")) &&
		cJSON_AddNumberToObject(d, "reasoning_tokens", (double)r->n_reasoning) ? 0 : -1;
}

static cJSON *head(const srv_result *r, const char *object)
{
	cJSON *root = cJSON_CreateObject();
	if (!root || !cJSON_AddStringToObject(root, "id", r->id) ||
	    !cJSON_AddStringToObject(root, "object", object) ||
	    !cJSON_AddNumberToObject(root, "created", (double)r->created) ||
	    !cJSON_AddStringToObject(root, "model", r->model) ||
	    !cJSON_AddStringToObject(root, "system_fingerprint", "tierbench-" TB_VERSION)) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

static char *print_free(cJSON *root, int ok)
{
	char *s = ok ? cJSON_PrintUnformatted(root) : NULL;
	cJSON_Delete(root);
	return s;
}

static int add_finish(cJSON *c, const char *finish)
{
	return (finish ? cJSON_AddStringToObject(c, "finish_reason", finish) :
		cJSON_AddNullToObject(c, "finish_reason")) ? 0 : -1;
}

char *srv_body_json(const srv_result *r, const char *text, const char *reasoning)
{
	cJSON *root = head(r, r->chat ? "chat.completion" : "text_completion"), *ch, *c, *m;
	int ok = 0;

	if (!root || !(ch = cJSON_AddArrayToObject(root, "choices")) || !(c = cJSON_CreateObject()) ||
	    !cJSON_AddItemToArray(ch, c) || !cJSON_AddNumberToObject(c, "index", 0))
		goto done;
	if (r->chat) {
		if (!(m = cJSON_AddObjectToObject(c, "message")) ||
		    !cJSON_AddStringToObject(m, "role", "assistant") ||
		    !add_text(m, "content", text, text ? strlen(text) : 0) ||
		    (reasoning && !add_text(m, "reasoning_content", reasoning, strlen(reasoning))))
			goto done;
	} else if (!add_text(c, "text", text, text ? strlen(text) : 0))
		goto done;
	if (!cJSON_AddItemToObject(c, "logprobs", lp_json(r)) || add_finish(c, r->finish) ||
	    add_usage(root, r))
		goto done;
	ok = 1;
done:
	return print_free(root, ok);
}

char *srv_chunk_json(const srv_result *r, int first, const char *text, size_t n_text,
	const char *reasoning, size_t n_reasoning, int with_usage_null)
{
	cJSON *root = head(r, r->chat ? "chat.completion.chunk" : "text_completion"), *ch, *c, *d;
	int ok = 0;

	if (!root || !(ch = cJSON_AddArrayToObject(root, "choices")) || !(c = cJSON_CreateObject()) ||
	    !cJSON_AddItemToArray(ch, c) || !cJSON_AddNumberToObject(c, "index", 0))
		goto done;
	if (r->chat) {
		if (!(d = cJSON_AddObjectToObject(c, "delta")) ||
		    (first && !cJSON_AddStringToObject(d, "role", "assistant")) ||
		    ((n_text || first) && !add_text(d, "content", text, n_text)) ||
		    (n_reasoning && !add_text(d, "reasoning_content", reasoning, n_reasoning)))
			goto done;
	} else if (!add_text(c, "text", text, n_text))
		goto done;
	if (!cJSON_AddItemToObject(c, "logprobs", lp_json(r)) || add_finish(c, r->finish) ||
	    (with_usage_null && !cJSON_AddNullToObject(root, "usage")))
		goto done;
	ok = 1;
done:
	return print_free(root, ok);
}

char *srv_usage_chunk_json(const srv_result *r)
{
	cJSON *root = head(r, r->chat ? "chat.completion.chunk" : "text_completion");
	return print_free(root, root && cJSON_AddArrayToObject(root, "choices") && !add_usage(root, r));
}

int srv_sse_add(tb_buf *out, const char *data)
{
	int rc = tb_buf_adds(out, "data: ");
	if (!rc)
		rc = tb_buf_adds(out, data);
	if (!rc)
		rc = tb_buf_adds(out, "\n\n");
	return rc;
}

int srv_key_ok(const char *auth, const char *key)
{
	size_t nk = strlen(key), na;
	unsigned char diff = 0;

	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
		return 0;
	auth += 7;
	while (*auth == ' ')
		auth++;
	na = strlen(auth);
	while (na && auth[na - 1] == ' ')
		na--;
	/* every byte of the key is compared whatever the given one holds */
	for (size_t i = 0; i < nk; i++)
		diff |= (unsigned char)key[i] ^ (unsigned char)(i < na ? auth[i] : 0);
	return nk > 0 && na == nk && diff == 0;
}
