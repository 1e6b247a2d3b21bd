/* tests/serve/test_serve.c — the engine path of `tierbench serve` on the hand-made thinking
 * model (tests/mock/thinker.h): the local provider's token stream (text that only grows, the
 * reasoning split, log-probabilities) and the cancel of one request, then a server in this
 * process answering chat requests over loopback HTTP (libcurl) with reasoning_content, streamed
 * and not, and its bearer key check. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "mock/thinker.h"
#include "serve/serve_impl.h"
#include "test.h"

static char g_model[600];

typedef struct evs {
	int n;
	char last_answer[64], last_reasoning[64];
	int grew;                 /* 1 while every event's text extends the one before */
	int lp_ok;
	int cancel_at;            /* cancel from the callback at this event (0: never) */
	prov_resp *r;
} evs;

static int on_tok(void *ud, const prov_token_ev *ev)
{
	evs *e = ud;
	if (ev->n_answer < strlen(e->last_answer) || strncmp(ev->answer ? ev->answer : "",
		e->last_answer, strlen(e->last_answer)) != 0 ||
	    ev->n_reasoning < strlen(e->last_reasoning) || strncmp(ev->reasoning ? ev->reasoning : "",
		e->last_reasoning, strlen(e->last_reasoning)) != 0)
		e->grew = 0;
	snprintf(e->last_answer, sizeof e->last_answer, "%.*s", (int)ev->n_answer, ev->answer ? ev->answer : "");
	snprintf(e->last_reasoning, sizeof e->last_reasoning, "%.*s", (int)ev->n_reasoning,
		ev->reasoning ? ev->reasoning : "");
	/* the sampled token of a model that maps each token to one successor is certain */
	if (!(ev->logprob <= 0 && ev->logprob > -1e-3 && ev->n_top == 2 && ev->top_id[0] == ev->id &&
	    ev->top_lp[0] >= ev->top_lp[1]))
		e->lp_ok = 0;
	return ++e->n == e->cancel_at;
}

static void on_done(void *ud, const prov_req *rq, prov_resp *r)
{
	(void)rq;
	((evs *)ud)->r = r;
}

static prov *open_thinker(void)
{
	prov_target t = { 0 };
	char err[1024];
	prov *p;
	t.id = "th";
	t.provider = "local";
	t.model = g_model;
	t.options_json = "{\"threads\": 1, \"chat_template\": \"qwen3\", \"n_parallel\": 2}";
	if (!(p = prov_open(&t, err, sizeof err)))
		printf("  %s\n", err);
	return p;
}

static void test_token_stream_only_grows_to_the_final_split(void)
{
	prov *p = open_thinker();
	prov_msg msg = { "user", "hi" };
	prov_req rq = { 0 };
	prov_stream st = { on_tok, 1, 2 };
	evs e = { .grew = 1, .lp_ok = 1 };
	TB_REQUIRE(p);
	rq.messages = &msg;
	rq.n_messages = 1;
	rq.max_tokens = 20;
	rq.seed = -1;
	TB_REQUIRE(prov_submit_stream(p, &rq, &st, on_done, &e) == 0);
	while (!e.r)
		prov_poll(p, 10);
	TB_CHECK_INT(e.r->err, PROV_ERR_NONE);
	TB_CHECK_INT(e.n, 5);          /* "<think>" "a" "b" "</think>" "ok": EOG gives no event */
	TB_CHECK(e.grew);
	TB_CHECK(e.lp_ok);
	TB_CHECK_STR(e.last_reasoning, "a b");
	TB_CHECK_STR(e.last_answer, " ok");
	TB_CHECK_STR(e.r->reasoning, e.last_reasoning);
	TB_CHECK_STR(e.r->text, e.last_answer);
	prov_resp_free(e.r);
	/* a provider kind that cannot stream says so */
	TB_CHECK(prov_submit_stream(NULL, &rq, &st, on_done, &e) == PROV_EINVAL);
	prov_close(p);
}

/* ignore_eos (vLLM's and llama-server's field, which `tierbench load --ignore-eos` sends): the
 * end-of-generation token after "ok" no longer ends the reply, which runs to max_tokens. */
static void test_ignore_eos_runs_to_max_tokens(void)
{
	prov *p = open_thinker();
	prov_msg msg = { "user", "hi" };
	prov_req rq = { 0 };
	prov_stream st = { on_tok, 1, 2 };
	TB_REQUIRE(p);
	rq.messages = &msg;
	rq.n_messages = 1;
	rq.max_tokens = 9;
	rq.seed = -1;
	for (int ig = 0; ig < 2; ig++) {
		evs e = { .grew = 1, .lp_ok = 1 };
		rq.ignore_eos = ig;
		TB_REQUIRE(prov_submit_stream(p, &rq, &st, on_done, &e) == 0);
		while (!e.r)
			prov_poll(p, 10);
		TB_CHECK_INT(e.r->err, PROV_ERR_NONE);
		/* "<think>" "a" "b" "</think>" "ok", then (ignored) "</s>" "<think>" "a" "b" */
		TB_CHECK_INT(e.r->n_tokens_out, ig ? 9 : 5);
		TB_CHECK_STR(e.r->finish_reason, ig ? "length" : "stop");
		prov_resp_free(e.r);
	}
	prov_close(p);
}

static void test_one_request_is_cancelled_by_callback_or_by_prov_cancel(void)
{
	prov *p = open_thinker();
	prov_msg msg = { "user", "hi" };
	prov_req rq = { 0 };
	prov_stream st = { on_tok, 0, 0 };
	evs a = { .grew = 1, .cancel_at = 2 }, b = { .grew = 1 };
	TB_REQUIRE(p);
	rq.messages = &msg;
	rq.n_messages = 1;
	rq.max_tokens = 20;
	rq.seed = -1;
	TB_REQUIRE(prov_submit_stream(p, &rq, &st, on_done, &a) == 0);
	TB_REQUIRE(prov_submit_stream(p, &rq, &st, on_done, &b) == 0);
	prov_poll(p, 0);                    /* both prompts in, a first token each */
	TB_CHECK(prov_cancel(p, &b) == 0);
	TB_CHECK(prov_cancel(p, &b) == PROV_EINVAL);   /* no longer running */
	while (!a.r || !b.r)
		prov_poll(p, 10);
	TB_CHECK_INT(a.r->err, PROV_ERR_CANCELLED);
	TB_CHECK_INT(a.n, 2);
	TB_CHECK_INT(b.r->err, PROV_ERR_CANCELLED);
	TB_CHECK_INT(prov_in_flight(p), 0);
	prov_resp_free(a.r);
	prov_resp_free(b.r);
	/* both sequences are free again: two more requests run to the end */
	a = (evs){ .grew = 1 };
	b = (evs){ .grew = 1 };
	TB_REQUIRE(prov_submit_stream(p, &rq, &st, on_done, &a) == 0);
	TB_REQUIRE(prov_submit_stream(p, &rq, &st, on_done, &b) == 0);
	while (!a.r || !b.r)
		prov_poll(p, 10);
	TB_CHECK_STR(a.r->text, " ok");
	TB_CHECK_STR(b.r->text, " ok");
	prov_resp_free(a.r);
	prov_resp_free(b.r);
	prov_close(p);
}

/* ------------------------------------------------------------------ over HTTP */

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
	tb_buf_add(ud, p, sz * n);
	return sz * n;
}

/* POST (body) or GET (NULL) of path; the status, the body into out. */
static long http(int port, const char *path, const char *body, const char *auth, tb_buf *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[256], ah[256];
	long status = -1;

	tb_buf_reset(out);
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	h = curl_slist_append(h, "Content-Type: application/json");
	if (auth) {
		snprintf(ah, sizeof ah, "Authorization: Bearer %s", auth);
		h = curl_slist_append(h, ah);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

static srv *start(const char *key, int queue_max)
{
	srv_opts o = srv_opts_default();
	char err[1024];
	srv *s;
	o.model_path = g_model;
	o.model_name = "thinker";
	o.port = 0;
	o.n_parallel = 2;
	o.n_threads = 1;
	o.chat_template = "qwen3";
	o.api_key = key;
	o.queue_max = queue_max;
	if (!(s = srv_open(&o, err, sizeof err)))
		printf("  %s\n", err);
	return s;
}

static void test_server_answers_chat_with_reasoning_content(void)
{
	srv *s = start(NULL, 64);
	tb_buf b;
	cJSON *o, *m, *u;
	TB_REQUIRE(s);
	tb_buf_init(&b, 1 << 20);
	TB_CHECK_INT(http(srv_port(s), "/v1/chat/completions", "{\"model\":\"thinker\",\"messages\":"
		"[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":20}", NULL, &b), 200);
	TB_REQUIRE((o = cJSON_Parse(tb_buf_str(&b))) != NULL);
	m = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "choices"), 0), "message");
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(m, "content")), " ok");
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(m, "reasoning_content")), "a b");
	u = cJSON_GetObjectItem(o, "usage");
	TB_CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(u, "completion_tokens")), 5);
	TB_CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(u,
		"completion_tokens_details"), "reasoning_tokens")), 4);
	cJSON_Delete(o);

	/* streamed: the deltas add up to the same content and reasoning, then usage and [DONE] */
	TB_CHECK_INT(http(srv_port(s), "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\","
		"\"content\":\"hi\"}],\"max_tokens\":20,\"stream\":true,\"stream_options\":"
		"{\"include_usage\":true}}", NULL, &b), 200);
	{
		char content[64] = "", reasoning[64] = "", *line, *save = NULL, *copy = strdup(tb_buf_str(&b));
		int n_usage = 0, done = 0, n_role = 0;
		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			cJSON *d, *x;
			TB_CHECK(strncmp(line, "data: ", 6) == 0);
			if (strcmp(line, "data: [DONE]") == 0) {
				done++;
				continue;
			}
			TB_REQUIRE((o = cJSON_Parse(line + 6)) != NULL);
			if (cJSON_GetObjectItem(o, "usage") && cJSON_IsObject(cJSON_GetObjectItem(o, "usage")))
				n_usage++;
			d = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "choices"), 0), "delta");
			if ((x = cJSON_GetObjectItem(d, "content")))
				strncat(content, x->valuestring, sizeof content - strlen(content) - 1);
			if ((x = cJSON_GetObjectItem(d, "reasoning_content")))
				strncat(reasoning, x->valuestring, sizeof reasoning - strlen(reasoning) - 1);
			n_role += cJSON_GetObjectItem(d, "role") != NULL;
			cJSON_Delete(o);
		}
		free(copy);
		TB_CHECK_STR(content, " ok");
		TB_CHECK_STR(reasoning, "a b");
		TB_CHECK_INT(n_usage, 1);
		TB_CHECK_INT(n_role, 1);
		TB_CHECK_INT(done, 1);
	}
	TB_CHECK_INT(http(srv_port(s), "/v1/chat/completions", "{\"model\":\"other\",\"messages\":"
		"[{\"role\":\"user\",\"content\":\"hi\"}]}", NULL, &b), 404);
	TB_CHECK(strstr(tb_buf_str(&b), "\"code\":\"model_not_found\"") != NULL);
	TB_CHECK_INT(http(srv_port(s), "/v1/nothing", NULL, NULL, &b), 404);
	TB_CHECK_INT(http(srv_port(s), "/metrics", NULL, NULL, &b), 200);
	TB_CHECK(strstr(tb_buf_str(&b), "\ntierbench_reasoning_tokens_total 8\n") != NULL);
	TB_CHECK_INT(srv_drain(s, 5000), 0);
	srv_close(s);
	tb_buf_release(&b);
}

/* Also: with no waiting allowed (queue 0), a request that finds a free slot still runs. */
static void test_server_checks_the_bearer_key(void)
{
	srv *s = start("sk-test-123", 0);
	tb_buf b;
	const char *body = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3}";
	TB_REQUIRE(s);
	tb_buf_init(&b, 1 << 20);
	TB_CHECK_INT(http(srv_port(s), "/v1/chat/completions", body, NULL, &b), 401);
	TB_CHECK(strstr(tb_buf_str(&b), "\"code\":\"invalid_api_key\"") != NULL);
	TB_CHECK_INT(http(srv_port(s), "/v1/chat/completions", body, "sk-test-12", &b), 401);
	TB_CHECK(strstr(tb_buf_str(&b), "sk-test") == NULL);   /* the key is never echoed */
	TB_CHECK_INT(http(srv_port(s), "/v1/models", NULL, "wrong", &b), 401);
	TB_CHECK_INT(http(srv_port(s), "/v1/chat/completions", body, "sk-test-123", &b), 200);
	TB_CHECK_INT(http(srv_port(s), "/v1/models", NULL, "sk-test-123", &b), 200);
	TB_CHECK(strstr(tb_buf_str(&b), "\"id\":\"thinker\"") != NULL);
	TB_CHECK_INT(http(srv_port(s), "/health", NULL, NULL, &b), 200);
	srv_close(s);
	tb_buf_release(&b);
}

int main(void)
{
	char dir[] = "/tmp/tb_serve_XXXXXX";
	int rc;
	if (!mkdtemp(dir))
		return 1;
	snprintf(g_model, sizeof g_model, "%s/thinker.gguf", dir);
	if (build_thinker(g_model) != 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	TB_RUN(test_token_stream_only_grows_to_the_final_split);
	TB_RUN(test_ignore_eos_runs_to_max_tokens);
	TB_RUN(test_one_request_is_cancelled_by_callback_or_by_prov_cancel);
	TB_RUN(test_server_answers_chat_with_reasoning_content);
	TB_RUN(test_server_checks_the_bearer_key);
	curl_global_cleanup();
	unlink(g_model);
	rmdir(dir);
	rc = tb_test_end();
	return rc;
}
