/* tests/providers/test_remote.c — the remote providers end to end against the loopback mock:
 * fixture streams of each dialect, retries and their limits, fault injection (reset, truncated
 * stream, malformed JSON, silence, oversized body), timeouts, and that the key never leaks. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test.h"
#include "mock/mock.h"
#include "providers/provider_impl.h"

#define KEY "sk-PLANTED-test-key-0123456789"

static char *fixture(const char *rel)
{
	const char *dir = tb_shared_dir();
	char path[512];
	if (!dir)
		return NULL;
	snprintf(path, sizeof path, "%s/fixtures/api/%s", dir, rel);
	return tb_slurp(path, NULL);
}

typedef struct got { int n; prov_resp *r; } got;

static void on_done(void *ud, const prov_req *rq, prov_resp *resp)
{
	got *g = ud;
	(void)rq;
	g->n++;
	prov_resp_free(g->r);
	g->r = resp;
}

/* Opens kind against the mock with extra options, runs one request, returns its response
 * (caller frees) or NULL with err set when open fails. Bounded: gives up after 20 s. */
static prov_resp *run_target(prov_target *t, mock_server *m, const char *extra, char *err,
	size_t errlen)
{
	char opts[512];
	prov_msg msg = { "user", "hi" };
	prov_req rq = { 0 };
	got g = { 0, NULL };
	prov *p;
	snprintf(opts, sizeof opts, "{\"base_url\": \"http://127.0.0.1:%d\", \"key_env\": \"TB_TEST_KEY\","
		" \"backoff_ms\": 5, \"max_backoff_ms\": 50%s%s}", m->port, extra ? ", " : "", extra ? extra : "");
	t->id = "t";
	t->options_json = opts;
	if (!(p = prov_open(t, err, errlen)))
		return NULL;
	rq.messages = &msg;
	rq.n_messages = 1;
	rq.seed = -1;
	if (prov_submit(p, &rq, on_done, &g) == 0)
		for (int i = 0; i < 2000 && prov_in_flight(p); i++)
			prov_poll(p, 10);
	prov_close(p);
	return g.r;
}

static prov_resp *run_one(const char *kind, mock_server *m, const char *extra, char *err, size_t errlen)
{
	prov_target t = { .provider = kind, .model = "m", .price_in_usd_per_mtok = 3,
		.price_out_usd_per_mtok = 15 };
	return run_target(&t, m, extra, err, errlen);
}

static void no_key_in(const prov_resp *r)
{
	TB_CHECK(!r->text || !strstr(r->text, KEY));
	TB_CHECK(!r->err_msg || !strstr(r->err_msg, KEY));
	TB_CHECK(!r->reasoning || !strstr(r->reasoning, KEY));
}

static void test_openai_stream_through_mock_gives_text_tokens_and_timings(void)
{
	char *body = fixture("openai/chat_completion_stream.sse"), err[256];
	mock_server m;
	mock_step s[1] = { { 200, "Content-Type: text/event-stream\r\n", NULL, 0, MOCK_TRICKLE, 1 } };
	prov_resp *r;
	if (!body)
		TB_SKIP("no shared fixtures");
	s[0].body = body;
	TB_REQUIRE(mock_start(&m, s, 1) == 0);
	r = run_one("openai", &m, NULL, err, sizeof err);
	mock_stop(&m);
	TB_REQUIRE(r);
	TB_CHECK_INT(r->err, PROV_ERR_NONE);
	TB_CHECK(r->text && strncmp(r->text, "I'm", 3) == 0);
	TB_CHECK_STR(r->finish_reason, "stop");
	TB_CHECK_INT(r->n_tokens_in, 14);
	TB_CHECK_INT(r->n_tokens_out, 30);
	TB_CHECK_INT(r->attempts, 1);
	TB_CHECK(r->t_first_token_ms >= 0 && r->t_first_answer_ms >= r->t_first_token_ms);
	TB_CHECK(r->t_done_ms >= r->t_first_answer_ms);
	TB_CHECK(r->n_gaps > 0 && r->gaps_ms);
	TB_CHECK_NEAR(r->cost_usd, (14 * 3 + 30 * 15) / 1e6, 1e-12);
	/* The request carried the key in its header and asked for usage in the stream. */
	TB_CHECK(strstr(m.last_request, "Authorization: Bearer " KEY) != NULL);
	TB_CHECK(strstr(m.last_request, "\"include_usage\":true") != NULL);
	no_key_in(r);
	prov_resp_free(r);
	free(body);
}

static void test_each_dialect_streams_its_fixture_through_mock(void)
{
	static const struct { const char *kind, *file, *head; int64_t out; } c[] = {
		{ "anthropic", "anthropic/message_stream_thinking_refusal.sse", "x-api-key: " KEY, 106 },
		{ "gemini", "gemini/stream_generate_content_thinking.sse", "x-goog-api-key: " KEY, -1 },
		{ "ollama", "ollama/api_chat_stream.ndjson", "POST /api/chat", 282 },
	};
	for (size_t i = 0; i < 3; i++) {
		char *body = fixture(c[i].file), err[256];
		mock_server m;
		mock_step s[1] = { { 200, NULL, NULL, 0, MOCK_FULL, 0 } };
		prov_resp *r;
		if (!body)
			TB_SKIP("no shared fixtures");
		s[0].body = body;
		TB_REQUIRE(mock_start(&m, s, 1) == 0);
		r = run_one(c[i].kind, &m, NULL, err, sizeof err);
		mock_stop(&m);
		TB_REQUIRE(r);
		TB_CHECK(r->text && r->text[0]);
		if (strcmp(c[i].kind, "ollama") != 0)
			TB_CHECK(r->reasoning && r->reasoning[0] && r->t_first_answer_ms >= r->t_first_token_ms);
		if (c[i].out >= 0)
			TB_CHECK_INT(r->n_tokens_out, c[i].out);
		TB_CHECK(strstr(m.last_request, c[i].head) != NULL);
		no_key_in(r);
		prov_resp_free(r);
		free(body);
	}
}

static void test_retries_429_with_each_retry_header_then_succeeds(void)
{
	static const char *const heads[] = { "retry-after-ms: 20\r\n", "retry-after: 0\r\n",
		"x-ratelimit-reset-requests: 20ms\r\n", "x-ratelimit-reset-tokens: 0.01s\r\n", NULL };
	char *ok = fixture("openai/chat_completion.json"), *e429 = fixture("openai/error_429_rate_limit.json");
	if (!ok || !e429)
		TB_SKIP("no shared fixtures");
	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
		mock_server m;
		mock_step s[2] = { { 429, heads[i], e429, 0, MOCK_FULL, 0 }, { 200, NULL, ok, 0, MOCK_FULL, 0 } };
		char err[256];
		prov_resp *r;
		TB_REQUIRE(mock_start(&m, s, 2) == 0);
		r = run_one("openai", &m, "\"stream\": false", err, sizeof err);
		mock_stop(&m);
		TB_REQUIRE(r);
		TB_CHECK_INT(r->err, PROV_ERR_NONE);
		TB_CHECK_INT(r->attempts, 2);
		TB_CHECK(r->text && strstr(r->text, "San Francisco"));
		prov_resp_free(r);
	}
	free(ok);
	free(e429);
}

/* x-ratelimit-reset-* (sent by OpenAI on every reply) sets the wait of a 429's retry only: a
 * 500 carrying it retries after the short backoff. Lower bounds on sleeps, so not load-sensitive
 * for the 429; the 500's bound leaves 1.5 s of slack. */
static void test_ratelimit_reset_hint_applies_to_429_only(void)
{
	char *ok = fixture("openai/chat_completion.json"), *e429 = fixture("openai/error_429_rate_limit.json");
	static const int status[] = { 500, 429 };
	if (!ok || !e429)
		TB_SKIP("no shared fixtures");
	for (size_t i = 0; i < 2; i++) {
		mock_server m;
		mock_step s[2] = { { status[i], "x-ratelimit-reset-requests: 2s\r\n", e429, 0, MOCK_FULL, 0 },
			{ 200, NULL, ok, 0, MOCK_FULL, 0 } };
		prov_target t = { .provider = "openai", .model = "m", .id = "t" };
		prov_msg msg = { "user", "hi" };
		prov_req rq = { 0 };
		got g = { 0, NULL };
		char opts[256], err[256];
		double t0;
		prov *p;
		TB_REQUIRE(mock_start(&m, s, 2) == 0);
		snprintf(opts, sizeof opts, "{\"base_url\": \"http://127.0.0.1:%d\", \"key_env\": "
			"\"TB_TEST_KEY\", \"stream\": false, \"backoff_ms\": 1, \"max_backoff_ms\": 10000}",
			m.port);
		t.options_json = opts;
		p = prov_open(&t, err, sizeof err);
		TB_REQUIRE(p);
		rq.messages = &msg;
		rq.n_messages = 1;
		rq.seed = -1;
		t0 = prov_now_ms();
		TB_REQUIRE(prov_submit(p, &rq, on_done, &g) == 0);
		for (int k = 0; k < 2000 && prov_in_flight(p); k++)
			prov_poll(p, 10);
		t0 = prov_now_ms() - t0;
		prov_close(p);
		mock_stop(&m);
		TB_REQUIRE(g.r);
		TB_CHECK_INT(g.r->err, PROV_ERR_NONE);
		TB_CHECK_INT(g.r->attempts, 2);
		if (status[i] == 429)
			TB_CHECK(t0 >= 1900);
		else
			TB_CHECK(t0 < 1500);
		prov_resp_free(g.r);
	}
	free(ok);
	free(e429);
}

static void test_server_errors_retry_up_to_the_limit(void)
{
	static const struct { int status; prov_err_class c; } e[] = {
		{ 500, PROV_ERR_SERVER }, { 502, PROV_ERR_SERVER }, { 503, PROV_ERR_OVERLOADED },
		{ 529, PROV_ERR_OVERLOADED },
	};
	for (size_t i = 0; i < 4; i++) {
		mock_server m;
		mock_step s[1] = { { e[i].status, NULL, "{\"error\":{\"message\":\"boom\"}}", 0, MOCK_FULL, 0 } };
		char err[256];
		prov_resp *r;
		TB_REQUIRE(mock_start(&m, s, 1) == 0);
		r = run_one("anthropic", &m, "\"max_retries\": 2", err, sizeof err);
		mock_stop(&m);
		TB_REQUIRE(r);
		TB_CHECK_INT(r->err, e[i].c);
		TB_CHECK_INT(r->attempts, 3);
		TB_CHECK_INT(m.n_requests, 3);
		TB_CHECK(r->err_msg && strstr(r->err_msg, "boom"));
		prov_resp_free(r);
	}
}

static void test_unsafe_4xx_is_not_retried(void)
{
	char *body = fixture("openai/error_400_context_length.json"), err[256];
	mock_server m;
	mock_step s[1] = { { 400, NULL, NULL, 0, MOCK_FULL, 0 } };
	prov_resp *r;
	if (!body)
		TB_SKIP("no shared fixtures");
	s[0].body = body;
	TB_REQUIRE(mock_start(&m, s, 1) == 0);
	r = run_one("openai", &m, NULL, err, sizeof err);
	mock_stop(&m);
	TB_REQUIRE(r);
	TB_CHECK_INT(r->err, PROV_ERR_CONTEXT_LENGTH);
	TB_CHECK_INT(r->attempts, 1);
	TB_CHECK(r->text == NULL);
	prov_resp_free(r);
	free(body);
}

static void test_faults_end_in_their_error_class(void)
{
	static char big[10 << 20];
	const char *sse = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
			  "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n"
			  "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
	memset(big, 'x', sizeof big);
	struct { mock_step s; const char *opt; prov_err_class c; const char *msg; } f[] = {
		{ { 200, NULL, sse, 0, MOCK_RESET_MID, 0 }, NULL, PROV_ERR_TRANSPORT, NULL },
		/* a cut stream is a transport failure (retried), not a bad reply */
		{ { 200, NULL, sse, 0, MOCK_CLOSE_MID, 0 }, NULL, PROV_ERR_TRANSPORT, "end marker" },
		{ { 200, NULL, sse, 94, MOCK_FULL, 0 }, NULL, PROV_ERR_TRANSPORT, "end marker" },
		{ { 200, NULL, "data: {\"choices\": [\n\n", 0, MOCK_FULL, 0 }, NULL, PROV_ERR_PARSE, NULL },
		{ { 200, NULL, NULL, 0, MOCK_SILENT, 0 }, "\"first_byte_timeout_ms\": 150", PROV_ERR_TIMEOUT,
			NULL },
		{ { 200, NULL, sse, 0, MOCK_TRICKLE, 100 }, "\"idle_timeout_ms\": 30", PROV_ERR_TIMEOUT, NULL },
		{ { 200, NULL, big, sizeof big, MOCK_FULL, 0 }, "\"stream\": false", PROV_ERR_PARSE,
			"body-size cap of 8 MiB" },
		{ { 200, NULL, big, sizeof big, MOCK_FULL, 0 }, NULL, PROV_ERR_PARSE,
			"per-event size cap of 4 MiB" },
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		mock_server m;
		char err[256], opt[256];
		prov_resp *r;
		snprintf(opt, sizeof opt, "\"max_retries\": 0%s%s", f[i].opt ? ", " : "", f[i].opt ? f[i].opt : "");
		TB_REQUIRE(mock_start(&m, &f[i].s, 1) == 0);
		r = run_one("openai", &m, opt, err, sizeof err);
		mock_stop(&m);
		TB_REQUIRE(r);
		if (r->err != f[i].c)
			printf("  fault %zu: %s (%s)\n", i, prov_err_class_name(r->err), r->err_msg ? r->err_msg : "");
		TB_CHECK_INT(r->err, f[i].c);
		TB_CHECK(r->err_msg && r->err_msg[0] && !strchr(r->err_msg, '\n'));
		TB_CHECK(!f[i].msg || (r->err_msg && strstr(r->err_msg, f[i].msg)));
		prov_resp_free(r);
	}
}

/* A stream cut at an event boundary, or one that ends without its end marker, is tried again
 * and the second, whole answer is the one handed back. */
static void test_cut_stream_is_retried(void)
{
	static const char sse[] = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
		"data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n"
		"data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
	static const int cut_mode[] = { MOCK_FULL, MOCK_FULL_CLOSE };
	for (int i = 0; i < 2; i++) {
		mock_server m;
		/* 47 bytes: exactly the first event */
		mock_step s[2] = { { 200, NULL, sse, 47, cut_mode[i], 0 }, { 200, NULL, sse, 0, MOCK_FULL, 0 } };
		char err[256];
		prov_resp *r;
		TB_REQUIRE(mock_start(&m, s, 2) == 0);
		r = run_one("openai", &m, "\"max_retries\": 2", err, sizeof err);
		mock_stop(&m);
		TB_REQUIRE(r);
		TB_CHECK_INT(r->err, PROV_ERR_NONE);
		TB_CHECK_STR(r->text, "ab");
		TB_CHECK_INT(r->attempts, 2);
		prov_resp_free(r);
	}
}

/* OpenAI takes 4 stop strings: a request with 6 sends 4 and the 5th still ends the answer. */
static void test_stop_strings_past_the_vendor_limit_cut_the_answer(void)
{
	static const char sse[] = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
		"data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n"
		"data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n";
	static char *stops[6] = { "x1", "x2", "x3", "x4", "b", "zz" };
	mock_server m;
	mock_step s[1] = { { 200, NULL, sse, 0, MOCK_FULL, 0 } };
	char opts[256], err[256];
	prov_target t = { .provider = "openai", .model = "m", .id = "t" };
	prov_msg msg = { "user", "hi" };
	prov_req rq = { 0 };
	got g = { 0, NULL };
	prov *p;
	TB_REQUIRE(mock_start(&m, s, 1) == 0);
	snprintf(opts, sizeof opts, "{\"base_url\": \"http://127.0.0.1:%d\", \"key_env\": "
		"\"TB_TEST_KEY\"}", m.port);
	t.options_json = opts;
	TB_REQUIRE((p = prov_open(&t, err, sizeof err)) != NULL);
	rq.messages = &msg;
	rq.n_messages = 1;
	rq.seed = -1;
	rq.stop = stops;
	rq.n_stop = 6;
	TB_REQUIRE(prov_submit(p, &rq, on_done, &g) == 0);
	for (int i = 0; i < 2000 && prov_in_flight(p); i++)
		prov_poll(p, 10);
	prov_close(p);
	mock_stop(&m);
	TB_REQUIRE(g.r);
	TB_CHECK(strstr(m.last_request, "\"stop\":[\"x1\",\"x2\",\"x3\",\"x4\"]") != NULL);
	TB_CHECK_STR(g.r->text, "a");
	TB_CHECK_STR(g.r->finish_reason, "stop");
	prov_resp_free(g.r);
}

/* A server that needs no key: "key_env": "" or "none" opens without any variable set and
 * sends no key header. */
static void test_key_env_empty_or_none_needs_no_key(void)
{
	static const char *const forms[] = { "\"key_env\": \"\"", "\"key_env\": \"none\"" };
	static const char sse[] = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"},"
		"\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
	unsetenv("OPENAI_API_KEY");
	for (int i = 0; i < 2; i++) {
		mock_server m;
		mock_step s[1] = { { 200, NULL, sse, 0, MOCK_FULL, 0 } };
		char opts[256], err[256];
		prov_target t = { .provider = "openai", .model = "m", .id = "t" };
		prov_msg msg = { "user", "hi" };
		prov_req rq = { 0 };
		got g = { 0, NULL };
		prov *p;
		TB_REQUIRE(mock_start(&m, s, 1) == 0);
		snprintf(opts, sizeof opts, "{\"base_url\": \"http://127.0.0.1:%d\", %s}", m.port, forms[i]);
		t.options_json = opts;
		p = prov_open(&t, err, sizeof err);
		if (!p)
			printf("  open: %s\n", err);
		TB_REQUIRE(p);
		rq.messages = &msg;
		rq.n_messages = 1;
		rq.seed = -1;
		TB_REQUIRE(prov_submit(p, &rq, on_done, &g) == 0);
		for (int k = 0; k < 2000 && prov_in_flight(p); k++)
			prov_poll(p, 10);
		prov_close(p);
		mock_stop(&m);
		TB_REQUIRE(g.r);
		TB_CHECK_STR(g.r->text, "a");
		TB_CHECK(strstr(m.last_request, "Authorization") == NULL);
		prov_resp_free(g.r);
	}
}

static double wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Submits n requests to kind with extra options, polls for dur_ms, then cancels the rest.
 * Returns the number of requests the mock saw and the time they took in *elapsed_ms. */
static int run_for(mock_server *m, const char *extra, int n, int max_tokens, double dur_ms,
	double *elapsed_ms)
{
	char opts[512], err[256];
	prov_target t = { 0 };
	prov_msg msg = { "user", "hi" };
	prov_req rq = { 0 };
	got g = { 0, NULL };
	prov *p;
	double t0;
	int seen;
	snprintf(opts, sizeof opts, "{\"base_url\": \"http://127.0.0.1:%d\", \"key_env\": \"TB_TEST_KEY\","
		" %s}", m->port, extra);
	t.id = "t";
	t.provider = "openai";
	t.model = "m";
	t.options_json = opts;
	if (!(p = prov_open(&t, err, sizeof err))) {
		printf("  open: %s\n", err);
		return -1;
	}
	rq.messages = &msg;
	rq.n_messages = 1;
	rq.seed = -1;
	rq.max_tokens = max_tokens;
	for (int i = 0; i < n; i++)
		prov_submit(p, &rq, on_done, &g);
	t0 = wall_ms();
	while (wall_ms() - t0 < dur_ms && prov_in_flight(p))
		prov_poll(p, 10);
	seen = m->n_requests;
	*elapsed_ms = wall_ms() - t0;
	prov_cancel_all(p);
	for (int i = 0; i < 500 && prov_in_flight(p); i++)
		prov_poll(p, 10);
	prov_close(p);
	prov_resp_free(g.r);
	return seen;
}

/* run_for against a mock replaying the OpenAI stream fixture in mode; -2 without fixtures.
 * *max_busy (may be NULL) gets the most replies the mock was writing at once. */
static int stream_for(const char *extra, int n, int max_tokens, double dur_ms, int mode,
	int trickle_ms, double *elapsed_ms, int *max_busy)
{
	char *body = fixture("openai/chat_completion_stream.sse");
	mock_server m;
	mock_step s[1] = { { 200, "Content-Type: text/event-stream\r\n", NULL, 0, mode, trickle_ms } };
	int seen;
	if (!body)
		return -2;
	s[0].body = body;
	if (mock_start(&m, s, 1)) {
		free(body);
		return -1;
	}
	seen = run_for(&m, extra, n, max_tokens, dur_ms, elapsed_ms);
	mock_stop(&m);
	if (max_busy)
		*max_busy = m.max_busy;
	free(body);
	return seen;
}

/* Count-based: the requests the server saw never exceed burst + rate x elapsed (measured after
 * the fact, so a slow machine only makes the bound looser), and the limit lets work through. */
static void test_rpm_limit_holds_against_the_mock(void)
{
	double el;
	/* 10 a second, burst 10 */
	int seen = stream_for("\"rpm\": 600", 60, 0, 1500, MOCK_FULL, 0, &el, NULL);
	if (seen == -2)
		TB_SKIP("no shared fixtures");
	TB_REQUIRE(seen >= 0);
	TB_CHECK(seen <= 10 + 10 * el / 1e3 + 1);
	TB_CHECK(seen >= 10);
	TB_CHECK(seen < 60);
}

/* tpm: each request is estimated at 1 prompt token + 50 max_tokens before it is sent, then
 * corrected to the 44 tokens the fixture's usage reports. */
static void test_tpm_limit_holds_and_is_corrected_from_usage(void)
{
	double el;
	/* 200 a second, cap 200 */
	int seen = stream_for("\"tpm\": 12000", 60, 50, 1500, MOCK_FULL, 0, &el, NULL);
	if (seen == -2)
		TB_SKIP("no shared fixtures");
	TB_REQUIRE(seen >= 0);
	/* tokens used <= cap + rate x time + one request's estimate in flight */
	TB_CHECK(seen * 44.0 <= 200 + 200 * el / 1e3 + 51);
	TB_CHECK(seen >= 4);
	TB_CHECK(seen < 60);
}

/* The mock answers many connections at once: 64 trickled streams are all being written at the
 * same moment, and every one completes. */
static void test_mock_serves_many_streams_at_once(void)
{
	double el;
	int seen, busy = 0;
	seen = stream_for("\"max_in_flight\": 64", 64, 0, 20000, MOCK_TRICKLE, 1, &el, &busy);
	if (seen == -2)
		TB_SKIP("no shared fixtures");
	TB_CHECK_INT(seen, 64);
	TB_CHECK(busy >= 32);
}

/* Without spec prices the built-in table prices the model (snapshot name, cached input); with
 * them, the spec's cached price applies. The fixture reports 14 in, 30 out; the mock's body is
 * edited to report 10 of the 14 as cached. */
static void test_cost_comes_from_price_table_or_spec_with_cached_input(void)
{
	char *body = fixture("openai/chat_completion_stream.sse"), err[256], *at;
	mock_server m;
	mock_step s[1] = { { 200, "Content-Type: text/event-stream\r\n", NULL, 0, MOCK_FULL, 0 } };
	prov_target t = { .provider = "openai", .model = "gpt-4.1-mini-2025-04-14" };
	prov_resp *r;
	if (!body)
		TB_SKIP("no shared fixtures");
	TB_REQUIRE((at = strstr(body, "\"prompt_tokens\":14")) != NULL);
	{
		/* "prompt_tokens":14, -> add prompt_tokens_details with 10 cached */
		const char *ins = "\"prompt_tokens_details\":{\"cached_tokens\":10},";
		size_t n = strlen(body), off = (size_t)(at - body);
		char *b2 = malloc(n + strlen(ins) + 1);
		TB_REQUIRE(b2);
		memcpy(b2, body, off);
		strcpy(b2 + off, ins);
		strcat(b2, body + off);
		free(body);
		body = b2;
	}
	s[0].body = body;
	TB_REQUIRE(mock_start(&m, s, 1) == 0);
	r = run_target(&t, &m, NULL, err, sizeof err);
	TB_REQUIRE(r);
	TB_CHECK_INT(r->n_tokens_cached, 10);
	TB_CHECK_NEAR(r->cost_usd, (4 * 0.40 + 10 * 0.10 + 30 * 1.60) / 1e6, 1e-12);
	prov_resp_free(r);
	/* a table the caller read once (as a run does for all its targets) replaces the file */
	t.prices = prov_prices_parse("{\"version\": 1, \"models\": [{\"provider\": \"openai\", "
		"\"model\": \"gpt-4.1-mini\", \"input_per_mtok\": 1, \"output_per_mtok\": 3, "
		"\"as_of\": \"2026-12-01\", \"source\": \"test\"}]}", "t.json", err, sizeof err);
	TB_REQUIRE(t.prices);
	r = run_target(&t, &m, NULL, err, sizeof err);
	TB_REQUIRE(r);
	TB_CHECK_NEAR(r->cost_usd, (14 * 1.0 + 30 * 3.0) / 1e6, 1e-12);
	prov_resp_free(r);
	prov_prices_free((prov_prices *)t.prices);
	t.prices = NULL;
	t.has_prices = 1;
	t.price_in_usd_per_mtok = 2;
	t.price_out_usd_per_mtok = 8;
	t.price_cached_usd_per_mtok = 0.5;
	r = run_target(&t, &m, NULL, err, sizeof err);
	mock_stop(&m);
	TB_REQUIRE(r);
	TB_CHECK_NEAR(r->cost_usd, (4 * 2 + 10 * 0.5 + 30 * 8) / 1e6, 1e-12);
	prov_resp_free(r);
	free(body);
}

typedef struct logged { int n; int leaked; char last[512]; } logged;

static int key_seen_in_log;

static void on_log_key(void *ud, int level, const char *msg)
{
	(void)level;
	key_seen_in_log |= strstr(msg, (const char *)ud) != NULL;
}

static void on_log(void *ud, int level, const char *msg)
{
	logged *l = ud;
	(void)level;
	l->n++;
	l->leaked |= strstr(msg, KEY) != NULL;
	snprintf(l->last, sizeof l->last, "%s", msg);
}

/* A server that echoes the key in its error body: the message handed back and every log line
 * carry "[redacted]" instead. */
static void test_echoed_key_is_redacted_in_response_and_log(void)
{
	mock_server m;
	mock_step s[1] = { { 401, NULL, "{\"error\":{\"message\":\"Incorrect API key provided: " KEY
		". Check it.\",\"type\":\"invalid_request_error\"}}", 0, MOCK_FULL, 0 } };
	logged lg = { 0, 0, "" };
	char err[256];
	prov_resp *r;
	TB_REQUIRE(mock_start(&m, s, 1) == 0);
	prov_log_set(on_log, &lg, PROV_LOG_DEBUG);
	r = run_one("openai", &m, NULL, err, sizeof err);
	prov_log_set(NULL, NULL, 0);
	mock_stop(&m);
	TB_REQUIRE(r);
	TB_CHECK_INT(r->err, PROV_ERR_AUTH);
	TB_CHECK(r->err_msg && strstr(r->err_msg, "[redacted]"));
	no_key_in(r);
	TB_CHECK(lg.n >= 3);           /* open, attempt, error body, final error */
	TB_CHECK(!lg.leaked);
	TB_CHECK(strstr(lg.last, "auth after 1 attempt") != NULL);
	prov_resp_free(r);
}

/* An error message longer than the 200 bytes kept, cut inside the echoed key: the part of the
 * key before the cut is not kept either (14 bytes of it: marked; 9 bytes: cut off). */
static void test_key_cut_short_by_the_message_cap_is_removed(void)
{
	static const int keep[] = { 14, 9 };
	for (int i = 0; i < 2; i++) {
		char body[1024], pad[300], err[256];
		mock_server m;
		mock_step s[1] = { { 401, NULL, body, 0, MOCK_FULL, 0 } };
		prov_resp *r;
		memset(pad, 'x', sizeof pad);
		pad[199 - keep[i]] = '\0';
		snprintf(body, sizeof body, "{\"error\":{\"message\":\"%s " KEY " tail\"}}", pad);
		TB_REQUIRE(mock_start(&m, s, 1) == 0);
		r = run_one("openai", &m, NULL, err, sizeof err);
		mock_stop(&m);
		TB_REQUIRE(r && r->err_msg);
		TB_CHECK(strstr(r->err_msg, "sk-PLA") == NULL);
		TB_CHECK(strstr(r->err_msg, "xxxx") != NULL);
		TB_CHECK(!strstr(r->err_msg, "[redacted]") == (keep[i] < 10));
		prov_resp_free(r);
	}
}

/* Keys shorter than the mark (local servers often take "test" or a short token) are scrubbed
 * too, from the message handed back and from every log line; a 4-byte key is the shortest. */
static void test_short_keys_are_redacted_too(void)
{
	static const char *const keys[] = { "k9Xq", "abc123XYZ" };
	for (int i = 0; i < 2; i++) {
		char body[256], err[256];
		mock_server m;
		mock_step s[1] = { { 401, NULL, body, 0, MOCK_FULL, 0 } };
		prov_resp *r;
		snprintf(body, sizeof body, "{\"error\":{\"message\":\"bad key %s, check %s.\"}}", keys[i],
			keys[i]);
		setenv("TB_TEST_KEY", keys[i], 1);
		TB_REQUIRE(mock_start(&m, s, 1) == 0);
		prov_log_set(on_log_key, (void *)keys[i], PROV_LOG_DEBUG);
		r = run_one("openai", &m, NULL, err, sizeof err);
		prov_log_set(NULL, NULL, 0);
		mock_stop(&m);
		setenv("TB_TEST_KEY", KEY, 1);
		TB_REQUIRE(r && r->err_msg);
		TB_CHECK(strstr(r->err_msg, keys[i]) == NULL);
		TB_CHECK(strstr(r->err_msg, "bad key ") != NULL);
		TB_CHECK_INT(key_seen_in_log, 0);
		prov_resp_free(r);
	}
}

static void test_open_rejects_bad_options_with_one_line(void)
{
	mock_server m = { 0 };
	char err[512];
	m.port = 1;
	TB_CHECK(run_one("openai", &m, "\"modle\": 1", err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "options.modle: unknown key for provider openai (known: base_url, ") != NULL);
	/* the list is written from the key table: every key, the last one closing it */
	TB_CHECK(strstr(err, " max_completion_tokens,") && strstr(err, " backoff_ms,") &&
		strstr(err, ", tpm)"));
	TB_CHECK(run_one("openai", &m, "\"max_retries\": -1", err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "options.max_retries") != NULL);
	unsetenv("TB_TEST_KEY");
	TB_CHECK(run_one("anthropic", &m, NULL, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "TB_TEST_KEY is not set") != NULL);
	setenv("TB_TEST_KEY", KEY, 1);
}

typedef struct got_all { int n, n_ok; double max_ttft_ms; } got_all;

static void on_done_all(void *ud, const prov_req *rq, prov_resp *resp)
{
	got_all *g = ud;
	(void)rq;
	g->n++;
	if (resp->err == PROV_ERR_NONE && resp->text && !strcmp(resp->text, "ab"))
		g->n_ok++;
	if (resp->t_first_token_ms > g->max_ttft_ms)
		g->max_ttft_ms = resp->t_first_token_ms;
	prov_resp_free(resp);
}

/* Plain http:// is HTTP/1.1: requests must not wait for one connection to learn whether it
 * multiplexes. The mock holds every reply until `limit` requests wait at once (or 4 s pass):
 * with requests run in parallel the count is reached and released at once, so every request
 * completes and its first token comes before the 4 s fallback; run one at a time, the
 * fallback fires. Against a server that keeps connections alive and one that closes them. */
static void test_plain_http_requests_run_in_parallel_up_to_the_limit(void)
{
	static const char sse[] = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
		"data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n"
		"data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
	static const struct { int mode, limit, n; } c[] = {
		{ MOCK_FULL, 8, 24 }, { MOCK_FULL_CLOSE, 8, 24 }, { MOCK_FULL, 50, 50 },
		{ MOCK_FULL_CLOSE, 50, 50 },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		mock_server m;
		mock_step s[1] = { { 200, "Content-Type: text/event-stream\r\n", sse, 0, c[i].mode, 0 } };
		char opts[256], err[256];
		prov_target t = { .provider = "openai", .model = "m", .id = "t" };
		prov_msg msg = { "user", "hi" };
		prov_req rq = { 0 };
		got_all g = { 0, 0, 0 };
		prov *p;
		TB_REQUIRE(mock_start_gather(&m, s, 1, c[i].limit, 4000) == 0);
		snprintf(opts, sizeof opts, "{\"base_url\": \"http://127.0.0.1:%d\", \"key_env\": "
			"\"TB_TEST_KEY\", \"max_in_flight\": %d, \"max_retries\": 0}", m.port, c[i].limit);
		t.options_json = opts;
		p = prov_open(&t, err, sizeof err);
		TB_REQUIRE(p);
		rq.messages = &msg;
		rq.n_messages = 1;
		rq.seed = -1;
		for (int k = 0; k < c[i].n; k++)
			TB_REQUIRE(prov_submit(p, &rq, on_done_all, &g) == 0);
		{
			double t0 = wall_ms();
			while (prov_in_flight(p) && wall_ms() - t0 < 30000)
				prov_poll(p, 10);
		}
		prov_close(p);
		mock_stop(&m);
		if (m.n_gather_timeouts || m.max_held != c[i].limit)
			printf("  case %zu: held at most %d of %d, %d releases by time, max TTFT %.0f ms\n",
				i, m.max_held, c[i].limit, m.n_gather_timeouts, g.max_ttft_ms);
		TB_CHECK_INT(g.n, c[i].n);
		TB_CHECK_INT(g.n_ok, c[i].n);
		TB_CHECK_INT(m.max_held, c[i].limit);      /* in flight at the server = the limit */
		TB_CHECK_INT(m.n_gather_timeouts, 0);
		TB_CHECK(g.max_ttft_ms < 4000);            /* the server's own answer time, not a wait */
	}
}

/* Runs one log-probability request (tokens 1 2 3 4, scoring from 2, top 2) through kind. */
static prov_resp *run_lp(const char *kind, mock_server *m, char *err, size_t errlen)
{
	char opts[256];
	int32_t toks[4] = { 1, 2, 3, 4 };
	prov_target t = { .provider = kind, .model = "m", .id = "t" };
	prov_req rq = { 0 };
	got g = { 0, NULL };
	prov *p;
	snprintf(opts, sizeof opts, "{\"base_url\": \"http://127.0.0.1:%d\", \"key_env\": \"TB_TEST_KEY\","
		" \"backoff_ms\": 5, \"max_backoff_ms\": 50}", m ? m->port : 9);
	t.options_json = opts;
	if (!(p = prov_open(&t, err, errlen)))
		return NULL;
	rq.kind = PROV_REQ_LOGPROBS;
	rq.tokens = toks;
	rq.n_tokens = 4;
	rq.score_from = 2;
	rq.top_k = 2;
	rq.seed = -1;
	if (prov_submit(p, &rq, on_done, &g) == 0)
		for (int i = 0; i < 2000 && prov_in_flight(p); i++)
			prov_poll(p, 10);
	prov_close(p);
	return g.r;
}

/* openai: a scoring request goes to /v1/completions with the token ids, echo and logprobs; the
 * prompt positions' log-probabilities come back in order with the top entries sorted, their
 * ids read from vLLM's "token_id:N" names. A server that echoes no prompt log-probabilities,
 * and a provider whose API has none (anthropic), are refused with a line that says so. */
static void test_openai_scores_log_probabilities_through_completions(void)
{
	static const char body[] = "{\"choices\":[{\"text\":\"x\",\"finish_reason\":\"length\","
		"\"logprobs\":{\"tokens\":[\"token_id:1\",\"token_id:2\",\"token_id:3\",\"token_id:4\","
		"\"token_id:9\"],\"token_logprobs\":[null,-1.5,-0.25,-2,-0.1],\"top_logprobs\":[null,"
		"{\"token_id:2\":-1.5,\"token_id:7\":-0.5},{\"token_id:3\":-0.25,\"token_id:8\":-3,"
		"\"token_id:5\":-2},{\"token_id:6\":-0.75,\"token_id:4\":-2,\"token_id:9\":-1},"
		"{\"token_id:9\":-0.1}]}}],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1}}";
	static const char none[] = "{\"choices\":[{\"text\":\"x\",\"finish_reason\":\"length\"}],"
		"\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1}}";
	mock_step st[1] = { { 200, "Content-Type: application/json\r\n", body, 0, MOCK_FULL, 0 } };
	mock_server m;
	char err[256];
	prov_resp *r;

	TB_REQUIRE(mock_start(&m, st, 1) == 0);
	r = run_lp("openai", &m, err, sizeof err);
	TB_CHECK(strstr(m.last_request, "POST /completions") != NULL);
	TB_CHECK(strstr(m.last_request, "\"prompt\":[1,2,3,4]") != NULL);
	TB_CHECK(strstr(m.last_request, "\"echo\":true") != NULL);
	TB_CHECK(strstr(m.last_request, "\"logprobs\":2") != NULL);
	mock_stop(&m);
	TB_REQUIRE(r != NULL);
	TB_CHECK_INT(r->err, PROV_ERR_NONE);
	TB_CHECK(r->text && !*r->text);
	TB_REQUIRE(r->n_lp == 2 && r->top_k == 2);
	TB_CHECK_NEAR(r->lp[0], -0.25, 1e-6);
	TB_CHECK_NEAR(r->lp[1], -2, 1e-6);
	TB_CHECK_INT(r->top_id[0], 3);
	TB_CHECK_INT(r->top_id[1], 5);
	TB_CHECK_NEAR(r->top_lp[1], -2, 1e-6);
	TB_CHECK_INT(r->top_id[2], 6);
	TB_CHECK_INT(r->top_id[3], 9);
	TB_CHECK_NEAR(r->top_lp[3], -1, 1e-6);
	prov_resp_free(r);

	st[0].body = none;
	TB_REQUIRE(mock_start(&m, st, 1) == 0);
	r = run_lp("openai", &m, err, sizeof err);
	mock_stop(&m);
	TB_REQUIRE(r != NULL);
	TB_CHECK_INT(r->err, PROV_ERR_CLIENT);
	TB_CHECK(r->err_msg && strstr(r->err_msg, "no log-probabilities of the prompt") != NULL);
	TB_CHECK(r->lp == NULL);
	prov_resp_free(r);

	r = run_lp("anthropic", NULL, err, sizeof err);
	TB_REQUIRE(r != NULL);
	TB_CHECK_INT(r->err, PROV_ERR_CLIENT);
	TB_CHECK(r->err_msg && strstr(r->err_msg, "cannot score log-probabilities") != NULL);
	prov_resp_free(r);
}

/* Sends rq, waits for its answer into g (at most 20 s), closes p. */
static void submit_and_close(prov *p, const prov_req *rq, got *g)
{
	if (prov_submit(p, rq, on_done, g) == 0)
		for (int i = 0; i < 2000 && prov_in_flight(p); i++)
			prov_poll(p, 10);
	prov_close(p);
}

/* openai with "api": "completions": a completion-style request goes to /completions as the plain
 * prompt (streamed: each chunk's choices[].text), a chat request still to /chat/completions; a
 * model "NAME@http://..." is a server at that URL, sent no key unless key_env names one. */
static void test_openai_completions_api_and_model_at_url(void)
{
	static const char sse[] = "data: {\"choices\":[{\"index\":0,\"text\":\" 4\",\"finish_reason\":null}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"text\":\"2.\",\"finish_reason\":\"stop\"}],"
		"\"usage\":{\"prompt_tokens\":6,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n";
	static const char chat[] = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
		"\"content\":\"hi\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}";
	mock_step st[1] = { { 200, "Content-Type: text/event-stream\r\n", sse, 0, MOCK_FULL, 0 } };
	mock_server m;
	char opts[256], model[128], err[256];
	prov_target t = { 0 };
	prov_req rq = { 0 };
	got g = { 0, NULL };
	prov *p;

	TB_REQUIRE(mock_start(&m, st, 1) == 0);
	snprintf(model, sizeof model, "srv-model@http://127.0.0.1:%d/v1", m.port);
	t.id = "t";
	t.provider = "openai";
	t.model = model;
	t.options_json = "{\"api\": \"completions\"}";
	p = prov_open(&t, err, sizeof err);
	if (!p)
		printf("  %s\n", err);
	TB_REQUIRE(p != NULL);
	rq.prompt = "Q: 40 + 2?\nA:";
	rq.max_tokens = 8;
	rq.seed = -1;
	submit_and_close(p, &rq, &g);
	TB_CHECK(strstr(m.last_request, "POST /v1/completions") != NULL);
	TB_CHECK(strstr(m.last_request, "\"model\":\"srv-model\"") != NULL);
	TB_CHECK(strstr(m.last_request, "\"prompt\":\"Q: 40 + 2?\\nA:\"") != NULL);
	TB_CHECK(strstr(m.last_request, "\"messages\"") == NULL);
	TB_CHECK(strstr(m.last_request, "Authorization") == NULL);   /* no key for a URL target */
	mock_stop(&m);
	TB_REQUIRE(g.r != NULL);
	TB_CHECK_INT(g.r->err, PROV_ERR_NONE);
	TB_CHECK_STR(g.r->text, " 42.");
	TB_CHECK_STR(g.r->finish_reason, "stop");
	prov_resp_free(g.r);
	g.r = NULL;
	/* a chat request of the same target still goes to chat completions */
	st[0].headers = "Content-Type: application/json\r\n";
	st[0].body = chat;
	TB_REQUIRE(mock_start(&m, st, 1) == 0);
	snprintf(model, sizeof model, "srv-model@http://127.0.0.1:%d/v1", m.port);
	snprintf(opts, sizeof opts, "{\"api\": \"completions\", \"stream\": false, \"key_env\": \"TB_TEST_KEY\"}");
	t.options_json = opts;
	{
		prov_resp *r;
		prov_msg msg = { "user", "hi" };
		TB_REQUIRE((p = prov_open(&t, err, sizeof err)) != NULL);
		memset(&rq, 0, sizeof rq);
		rq.messages = &msg;
		rq.n_messages = 1;
		rq.seed = -1;
		submit_and_close(p, &rq, &g);
		TB_CHECK(strstr(m.last_request, "POST /v1/chat/completions") != NULL);
		TB_CHECK(strstr(m.last_request, "Bearer " KEY) != NULL);   /* key_env given: sent */
		r = g.r;
		TB_REQUIRE(r != NULL);
		TB_CHECK_STR(r->text, "hi");
		prov_resp_free(r);
		g.r = NULL;
	}
	mock_stop(&m);
	/* refused: an unknown api, an api a kind lacks, two URLs, no model name before the URL */
	t.model = "m";
	t.options_json = "{\"api\": \"responses\"}";
	TB_CHECK(prov_open(&t, err, sizeof err) == NULL && strstr(err, "options.api: \"responses\"") != NULL);
	t.provider = "anthropic";
	t.options_json = "{\"api\": \"completions\", \"key_env\": \"TB_TEST_KEY\"}";
	TB_CHECK(prov_open(&t, err, sizeof err) == NULL && strstr(err, "the only API of this provider") != NULL);
	t.provider = "openai";
	t.model = "m@http://127.0.0.1:1/v1";
	t.options_json = "{\"base_url\": \"http://127.0.0.1:2/v1\"}";
	TB_CHECK(prov_open(&t, err, sizeof err) == NULL && strstr(err, "give one") != NULL);
	t.model = "@http://127.0.0.1:1/v1";
	t.options_json = NULL;
	TB_CHECK(prov_open(&t, err, sizeof err) == NULL && strstr(err, "no model name before the URL") != NULL);
	/* a model name holding '@' without a URL after it is a plain name */
	t.model = "claude-3-5-sonnet@20240620";
	t.provider = "anthropic";
	t.options_json = "{\"key_env\": \"TB_TEST_KEY\"}";
	TB_CHECK((p = prov_open(&t, err, sizeof err)) != NULL);
	prov_close(p);
}

int main(void)
{
	setenv("TB_TEST_KEY", KEY, 1);
	TB_RUN(test_openai_completions_api_and_model_at_url);
	TB_RUN(test_openai_stream_through_mock_gives_text_tokens_and_timings);
	TB_RUN(test_openai_scores_log_probabilities_through_completions);
	TB_RUN(test_each_dialect_streams_its_fixture_through_mock);
	TB_RUN(test_retries_429_with_each_retry_header_then_succeeds);
	TB_RUN(test_server_errors_retry_up_to_the_limit);
	TB_RUN(test_unsafe_4xx_is_not_retried);
	TB_RUN(test_faults_end_in_their_error_class);
	TB_RUN(test_cut_stream_is_retried);
	TB_RUN(test_key_env_empty_or_none_needs_no_key);
	TB_RUN(test_stop_strings_past_the_vendor_limit_cut_the_answer);
	TB_RUN(test_open_rejects_bad_options_with_one_line);
	TB_RUN(test_cost_comes_from_price_table_or_spec_with_cached_input);
	TB_RUN(test_ratelimit_reset_hint_applies_to_429_only);
	TB_RUN(test_echoed_key_is_redacted_in_response_and_log);
	TB_RUN(test_key_cut_short_by_the_message_cap_is_removed);
	TB_RUN(test_short_keys_are_redacted_too);
	TB_RUN(test_rpm_limit_holds_against_the_mock);
	TB_RUN(test_mock_serves_many_streams_at_once);
	TB_RUN(test_plain_http_requests_run_in_parallel_up_to_the_limit);
	TB_RUN(test_tpm_limit_holds_and_is_corrected_from_usage);
	return tb_test_end();
}
