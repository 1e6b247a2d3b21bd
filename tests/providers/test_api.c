/* tests/providers/test_api.c — the four wire dialects on every transcript in the shared API
 * fixtures (streams fed in small pieces, whole bodies, error bodies), the request bodies they
 * build, and corrupt input. Expected values are read off the fixture files. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "test.h"
#include "providers/provider_impl.h"

static char *read_fixture(const char *rel, size_t *n)
{
	const char *dir = tb_shared_dir();
	char path[512];
	if (!dir)
		return NULL;
	snprintf(path, sizeof path, "%s/fixtures/api/%s", dir, rel);
	return tb_slurp(path, n);
}

typedef struct feed { prov_acc *a; const prov_dialect *d; } feed;

static int on_sse(void *ud, const prov_sse_event *ev)
{
	feed *f = ud;
	return f->d->event(f->a, ev->event, ev->data, ev->data_len);
}

static int on_other(void *ud, const char *l, size_t n)
{
	feed *f = ud;
	prov_buf_add(&f->a->other, l, n);
	return prov_buf_add(&f->a->other, "\n", 1);
}

static int on_nd(void *ud, const char *l, size_t n)
{
	feed *f = ud;
	return f->d->event(f->a, NULL, l, n);
}

/* Replays a stream fixture through the framing in pieces of `step` bytes. Returns the first
 * nonzero code (framing or dialect), or 0. */
static int replay(const prov_dialect *d, const char *text, size_t n, size_t step, prov_acc *a)
{
	feed f = { a, d };
	int rc = 0;
	if (d->ndjson) {
		prov_ndjson r;
		prov_ndjson_init(&r, 1u << 20, on_nd, &f);
		for (size_t i = 0; i < n && !rc; i += step)
			rc = prov_ndjson_feed(&r, text + i, n - i < step ? n - i : step);
		if (!rc)
			rc = prov_ndjson_finish(&r);
		prov_ndjson_release(&r);
	} else {
		prov_sse s;
		prov_sse_init(&s, 1u << 20, on_sse, on_other, &f);
		for (size_t i = 0; i < n && !rc; i += step)
			rc = prov_sse_feed(&s, text + i, n - i < step ? n - i : step);
		if (!rc)
			rc = prov_sse_finish(&s);
		prov_sse_release(&s);
	}
	if (!rc)
		rc = prov_acc_finish_other(a);
	return rc;
}

typedef struct expect {
	const char *file;
	const prov_dialect *d;
	int kind;             /* 0 stream, 1 body, else HTTP status of an error body */
	const char *text_has; /* substring of the answer, or NULL for none expected */
	int has_reasoning;
	const char *finish;
	int64_t in, out, reasoning, cached;   /* -1 = not checked */
	prov_err_class err;
	int complete;
} expect;

#define OA &prov_dialect_openai
#define AN &prov_dialect_anthropic
#define GE &prov_dialect_gemini
#define OL &prov_dialect_ollama

static const expect fixtures[] = {
	{ "openai/chat_completion.json", OA, 1, "San Francisco", 0, "stop", -1, -1, -1, -1, 0, 1 },
	{ "openai/chat_completion_tool_calls.json", OA, 1, NULL, 0, "tool_calls", -1, -1, -1, -1, 0, 1 },
	{ "openai/chat_completion_openapi_default.json", OA, 1, "", 0, "stop", -1, -1, -1, -1, 0, 1 },
	{ "openai/chat_completion_stream.sse", OA, 0, "I'm", 0, "stop", 14, 30, 0, -1, 0, 1 },
	{ "openai/chat_completion_stream_length.sse", OA, 0, "", 0, "length", 79, 1, 0, -1, 0, 1 },
	{ "openai/chat_completion_stream_tool_calls.sse", OA, 0, NULL, 0, "tool_calls", 44, 16, 0, -1, 0, 1 },
	{ "openai_compatible/vllm_chat_stream_reasoning_RECONSTRUCTED.sse", OA, 0, "", 1, "stop", 17, 32, -1, -1, 0, 1 },
	{ "openai/error_400_context_length.json", OA, 400, NULL, 0, "", -1, -1, -1, -1, PROV_ERR_CONTEXT_LENGTH, 0 },
	{ "openai/error_401_sdk_test.json", OA, 401, NULL, 0, "", -1, -1, -1, -1, PROV_ERR_AUTH, 0 },
	{ "openai/error_429_insufficient_quota.json", OA, 429, NULL, 0, "", -1, -1, -1, -1, PROV_ERR_RATE_LIMIT, 0 },
	{ "openai/error_429_rate_limit.json", OA, 429, NULL, 0, "", -1, -1, -1, -1, PROV_ERR_RATE_LIMIT, 0 },
	{ "openai/error_500_server_error.json", OA, 500, NULL, 0, "", -1, -1, -1, -1, PROV_ERR_SERVER, 0 },
	{ "anthropic/message.json", AN, 1, "", 0, "stop", -1, -1, -1, -1, 0, 1 },
	{ "anthropic/message_tool_use.json", AN, 1, NULL, 0, "tool_calls", 659, 74, -1, 0, 0, 1 },
	{ "anthropic/message_stream.sse", AN, 0, "", 0, "stop", 135, 10, -1, 0, 0, 1 },
	{ "anthropic/message_stream_basic.sse", AN, 0, "", 0, "stop", 11, 6, -1, -1, 0, 1 },
	{ "anthropic/message_stream_thinking_refusal.sse", AN, 0, "", 1, "content_filter", 28, 106, 67, 0, PROV_ERR_CONTENT_FILTER, 1 },
	{ "anthropic/message_stream_tool_use.sse", AN, 0, "", 0, "tool_calls", 377, 65, -1, -1, 0, 1 },
	{ "anthropic/error_400_invalid_request.json", AN, 400, NULL, 0, "", -1, -1, -1, -1, PROV_ERR_CLIENT, 0 },
	{ "anthropic/error_429_rate_limit.json", AN, 429, NULL, 0, "", -1, -1, -1, -1, PROV_ERR_RATE_LIMIT, 0 },
	{ "anthropic/error_500_api_error.json", AN, 500, NULL, 0, "", -1, -1, -1, -1, PROV_ERR_SERVER, 0 },
	{ "anthropic/error_529_overloaded.json", AN, 529, NULL, 0, "", -1, -1, -1, -1, PROV_ERR_OVERLOADED, 0 },
	{ "gemini/generate_content.json", GE, 1, "", 0, "stop", -1, -1, -1, -1, 0, 1 },
	{ "gemini/generate_content_thinking.json", GE, 1, "Mountain View", 1, "stop", 14, 26, 24, -1, 0, 1 },
	{ "gemini/stream_generate_content.sse", GE, 0, "", 0, "stop", 7, 10, -1, -1, 0, 1 },
	{ "gemini/stream_generate_content_long.sse", GE, 0, "", 0, "stop", 10, 1996, -1, -1, 0, 1 },
	{ "gemini/stream_generate_content_thinking.sse", GE, 0, "", 1, "stop", -1, -1, -1, -1, 0, 1 },
	{ "gemini/stream_prompt_blocked_safety.sse", GE, 0, NULL, 0, "content_filter", -1, -1, -1, -1, PROV_ERR_CONTENT_FILTER, 1 },
	{ "gemini/stream_error_mid_stream.sse", GE, 0, "Second", 0, "stop", -1, -1, -1, -1, PROV_ERR_SERVER, 1 },
	{ "gemini/error_400_api_key_invalid.json", GE, 400, NULL, 0, "", -1, -1, -1, -1, PROV_ERR_AUTH, 0 },
	{ "gemini/error_404_unknown_model.json", GE, 404, NULL, 0, "", -1, -1, -1, -1, PROV_ERR_CLIENT, 0 },
	{ "gemini/error_429_resource_exhausted.json", GE, 429, NULL, 0, "", -1, -1, -1, -1, PROV_ERR_RATE_LIMIT, 0 },
	{ "gemini/error_500_internal.json", GE, 500, NULL, 0, "", -1, -1, -1, -1, PROV_ERR_SERVER, 0 },
	{ "gemini/error_503_unavailable.json", GE, 503, NULL, 0, "", -1, -1, -1, -1, PROV_ERR_OVERLOADED, 0 },
	{ "ollama/api_chat.json", OL, 1, "Hello! How are you today?", 0, "stop", 26, 298, -1, -1, 0, 1 },
	{ "ollama/api_chat_stream.ndjson", OL, 0, "The", 0, "stop", 26, 282, -1, -1, 0, 1 },
	{ "ollama/api_generate_stream_error_mid_stream.ndjson", OL, 0, NULL, 0, "", -1, -1, -1, -1, PROV_ERR_SERVER, 0 },
	{ "ollama/error.json", OL, 500, NULL, 0, "", -1, -1, -1, -1, PROV_ERR_SERVER, 0 },
};

static void check_one(const expect *e, const char *text, size_t n, size_t step)
{
	prov_acc a;
	int rc;
	prov_acc_init(&a);
	if (e->kind == 0)
		rc = replay(e->d, text, n, step, &a);
	else if (e->kind == 1)
		rc = e->d->body(&a, text, n);
	else {
		prov_acc_http_error(&a, e->kind, text, n);
		rc = PROV_EIO;
	}
	if (e->err && e->err != PROV_ERR_CONTENT_FILTER)
		TB_CHECK(rc != 0);
	else if (rc)
		printf("  %s: rc %d (%s)\n", e->file, rc, a.err_msg);
	if (a.err != e->err)
		printf("  %s: class %s, want %s (%s)\n", e->file, prov_err_class_name(a.err),
			prov_err_class_name(e->err), a.err_msg);
	TB_CHECK_INT(a.err, e->err);
	if (e->err)
		TB_CHECK(a.err_msg[0] != '\0' && !strchr(a.err_msg, '\n'));
	TB_CHECK_STR(a.finish, e->finish);
	TB_CHECK_INT(a.complete, e->complete);
	if (e->text_has) {
		TB_CHECK(a.text.len > 0);
		TB_CHECK(strstr(tb_buf_str(&a.text), e->text_has) != NULL);
	} else if (e->kind == 0 || e->kind == 1) {
		TB_CHECK_INT(a.text.len, 0);
	}
	TB_CHECK_INT(a.reasoning.len > 0, e->has_reasoning);
	if (e->in >= 0)
		TB_CHECK_INT(a.n_in, e->in);
	if (e->out >= 0)
		TB_CHECK_INT(a.n_out, e->out);
	if (e->reasoning >= 0)
		TB_CHECK_INT(a.n_reasoning, e->reasoning);
	if (e->cached >= 0)
		TB_CHECK_INT(a.n_cached, e->cached);
	prov_acc_release(&a);
}

static void test_dialects_read_every_fixture(void)
{
	size_t seen = 0;
	if (!tb_shared_dir())
		TB_SKIP("no shared fixtures");
	for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
		size_t n;
		char *text = read_fixture(fixtures[i].file, &n);
		if (!text) {
			printf("  missing fixture %s\n", fixtures[i].file);
			TB_CHECK(0);
			continue;
		}
		check_one(&fixtures[i], text, n, n ? n : 1);
		if (fixtures[i].kind == 0) {
			check_one(&fixtures[i], text, n, 1);
			check_one(&fixtures[i], text, n, 13);
		}
		free(text);
		seen++;
	}
	TB_CHECK_INT(seen, sizeof fixtures / sizeof fixtures[0]);
}

/* Every fixture file in the shared folder is in the table above (headers and notes aside). */
static void test_fixture_table_covers_the_shared_folder(void)
{
	static const char *const dirs[] = { "openai", "openai_compatible", "anthropic", "gemini", "ollama" };
	const char *dir = tb_shared_dir();
	if (!dir)
		TB_SKIP("no shared fixtures");
	for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
		char cmd[700], line[512];
		FILE *p;
		snprintf(cmd, sizeof cmd, "ls '%s/fixtures/api/%s'", dir, dirs[d]);
		TB_REQUIRE((p = popen(cmd, "r")) != NULL);
		while (fgets(line, sizeof line, p)) {
			char rel[600];
			int found = 0;
			line[strcspn(line, "\n")] = '\0';
			if (strstr(line, ".headers.json"))
				continue;
			snprintf(rel, sizeof rel, "%s/%s", dirs[d], line);
			for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++)
				found |= strcmp(fixtures[i].file, rel) == 0;
			if (!found)
				printf("  fixture not in the table: %s\n", rel);
			TB_CHECK(found);
		}
		pclose(p);
	}
}

static void test_truncated_streams_are_not_complete(void)
{
	static const struct { const char *file; const prov_dialect *d; } s[] = {
		{ "openai/chat_completion_stream.sse", OA },
		{ "anthropic/message_stream.sse", AN },
		{ "gemini/stream_generate_content.sse", GE },
		{ "ollama/api_chat_stream.ndjson", OL },
	};
	if (!tb_shared_dir())
		TB_SKIP("no shared fixtures");
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
		size_t n;
		char *text = read_fixture(s[i].file, &n);
		prov_acc a;
		TB_REQUIRE(text != NULL);
		prov_acc_init(&a);
		/* Cut at half: the stream's end marker is gone. */
		replay(s[i].d, text, n / 2, 64, &a);
		TB_CHECK_INT(a.complete, 0);
		prov_acc_release(&a);
		free(text);
	}
}

static void test_malformed_json_is_a_bad_response(void)
{
	const prov_dialect *ds[] = { OA, AN, GE, OL };
	for (size_t i = 0; i < 4; i++) {
		prov_acc a;
		prov_acc_init(&a);
		TB_CHECK(ds[i]->event(&a, NULL, "{\"x\": [1, 2", 11) != 0);
		TB_CHECK_INT(a.err, PROV_ERR_PARSE);
		prov_acc_release(&a);
		prov_acc_init(&a);
		TB_CHECK(ds[i]->body(&a, "not json", 8) != 0);
		TB_CHECK_INT(a.err, PROV_ERR_PARSE);
		prov_acc_release(&a);
		prov_acc_init(&a);
		TB_CHECK(ds[i]->body(&a, "{}", 2) != 0);
		TB_CHECK_INT(a.err, PROV_ERR_PARSE);
		prov_acc_release(&a);
	}
}

/* A \u0000 escape inside a completion used to end the text there (cJSON's strings are C
 * strings): it becomes U+FFFD and the rest is kept; an escaped backslash before "u0000" is
 * text and stays as it is. */
static void test_nul_escape_in_a_completion_does_not_cut_it(void)
{
	static const char ev[] = "{\"choices\":[{\"delta\":{\"content\":\"ab\\u0000cd \\\\u0000 e\"}}]}";
	static const char body[] = "{\"choices\":[{\"message\":{\"content\":\"x\\u0000y\"},"
		"\"finish_reason\":\"stop\"}]}";
	prov_acc a;
	prov_acc_init(&a);
	TB_CHECK((OA)->event(&a, NULL, ev, strlen(ev)) == 0);
	TB_CHECK_STR(tb_buf_str(&a.text), "ab\xEF\xBF\xBD" "cd \\u0000 e");
	prov_acc_release(&a);
	prov_acc_init(&a);
	TB_CHECK((OA)->body(&a, body, strlen(body)) == 0);
	TB_CHECK_STR(tb_buf_str(&a.text), "x\xEF\xBF\xBDy");
	prov_acc_release(&a);
}

/* A token count outside int64's range is not converted (undefined behaviour, found by fuzzing):
 * it is ignored and the answer still reads. */
static void test_usage_counts_out_of_range_are_ignored(void)
{
	static const char ev[] = "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
		"\"usage\":{\"output_tokens\":5.5e77}}";
	static const char body[] = "{\"choices\":[{\"message\":{\"content\":\"x\"},"
		"\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":-1e300,\"completion_tokens\":3}}";
	prov_acc a;
	prov_acc_init(&a);
	TB_CHECK((AN)->event(&a, NULL, ev, strlen(ev)) == 0);
	TB_CHECK(a.n_out == 0);
	prov_acc_release(&a);
	prov_acc_init(&a);
	TB_CHECK((OA)->body(&a, body, strlen(body)) == 0);
	TB_CHECK_STR(tb_buf_str(&a.text), "x");
	TB_CHECK(a.n_in == 0 && a.n_out == 3);
	prov_acc_release(&a);
}

static void test_http_error_with_non_json_body_still_classifies(void)
{
	prov_acc a;
	prov_acc_init(&a);
	prov_acc_http_error(&a, 502, "<html>bad gateway</html>", 24);
	TB_CHECK_INT(a.err, PROV_ERR_SERVER);
	TB_CHECK(strstr(a.err_msg, "HTTP 502") != NULL);
	prov_acc_release(&a);
	prov_acc_init(&a);
	prov_acc_http_error(&a, 408, NULL, 0);
	TB_CHECK_INT(a.err, PROV_ERR_TIMEOUT);
	prov_acc_release(&a);
}

static prov_req sample_req(void)
{
	static prov_msg msgs[2] = { { "system", "Be brief." }, { "user", "2+2?" } };
	static char *stops[1] = { "\n\n" };
	prov_req rq = { 0 };
	rq.messages = msgs;
	rq.n_messages = 2;
	rq.max_tokens = 64;
	rq.temperature = 0.5;
	rq.stop = stops;
	rq.n_stop = 1;
	rq.seed = 7;
	return rq;
}

static cJSON *build(const prov_dialect *d, const prov_api_cfg *c, tb_buf *url)
{
	prov_req rq = sample_req();
	char *body = d->build(c, &rq, url);
	cJSON *j = body ? cJSON_Parse(body) : NULL;
	free(body);
	return j;
}

static void test_request_bodies_follow_each_dialect(void)
{
	tb_buf url = { .max_bytes = 4096 };
	prov_api_cfg c = { "http://h:1/v1/", "m1", 1, "high", 0, 0, 0 };
	cJSON *j = build(OA, &c, &url);
	TB_REQUIRE(j);
	TB_CHECK_STR(tb_buf_str(&url), "http://h:1/v1/chat/completions");
	TB_CHECK_STR(cJSON_GetObjectItem(j, "model")->valuestring, "m1");
	TB_CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "messages")), 2);
	TB_CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "stream_options"), "include_usage")));
	TB_CHECK_STR(cJSON_GetObjectItem(j, "reasoning_effort")->valuestring, "high");
	TB_CHECK_INT(cJSON_GetObjectItem(j, "max_tokens")->valueint, 64);
	cJSON_Delete(j);

	c.base_url = "http://h:2";
	c.thinking_budget = 1024;
	j = build(AN, &c, &url);
	TB_REQUIRE(j);
	TB_CHECK_STR(tb_buf_str(&url), "http://h:2/v1/messages");
	TB_CHECK_STR(cJSON_GetObjectItem(j, "system")->valuestring, "Be brief.");
	TB_CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "messages")), 1);
	TB_CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "thinking"), "budget_tokens")->valueint, 1024);
	/* max_tokens must exceed the thinking budget. */
	TB_CHECK(cJSON_GetObjectItem(j, "max_tokens")->valueint > 1024);
	TB_CHECK(cJSON_GetObjectItem(j, "temperature") == NULL);
	TB_CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "stop_sequences"), 0)->valuestring, "\n\n");
	cJSON_Delete(j);

	c.thinking_budget = -1;
	j = build(GE, &c, &url);
	TB_REQUIRE(j);
	TB_CHECK_STR(tb_buf_str(&url), "http://h:2/v1beta/models/m1:streamGenerateContent?alt=sse");
	TB_CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "generationConfig"),
		"thinkingConfig"), "thinkingBudget")->valueint, -1);
	TB_CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "contents")), 1);
	TB_CHECK(cJSON_GetObjectItem(j, "systemInstruction") != NULL);
	cJSON_Delete(j);
	c.stream = 0;
	cJSON_Delete(build(GE, &c, &url));
	TB_CHECK_STR(tb_buf_str(&url), "http://h:2/v1beta/models/m1:generateContent");

	j = build(OL, &c, &url);
	TB_REQUIRE(j);
	TB_CHECK_STR(tb_buf_str(&url), "http://h:2/api/chat");
	TB_CHECK(cJSON_IsFalse(cJSON_GetObjectItem(j, "stream")));
	TB_CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "options"), "num_predict")->valueint, 64);
	cJSON_Delete(j);
	tb_buf_release(&url);
}

/* No request carries more stop strings than its vendor accepts (OpenAI 4, Gemini 5); Anthropic
 * and Ollama document no limit and get all. prov_stop_cut applies the rest to the answer. */
static void test_stop_strings_are_capped_per_vendor_and_the_rest_cut_client_side(void)
{
	static char *stops[7] = { "s1", "s2", "s3", "s4", "s5", "s6", "s7" };
	static const struct { const prov_dialect *d; const char *path[2]; int want; } c[] = {
		{ OA, { "stop", NULL }, 4 }, { GE, { "generationConfig", "stopSequences" }, 5 },
		{ AN, { "stop_sequences", NULL }, 7 }, { OL, { "options", "stop" }, 7 },
	};
	prov_api_cfg cfg = { .base_url = "http://h", .model = "m", .stream = 1 };
	char text[] = "one s7 two s5 three";
	for (size_t i = 0; i < 4; i++) {
		prov_req rq = sample_req();
		tb_buf url = { .max_bytes = 4096 };
		char *body;
		cJSON *j, *arr;
		rq.stop = stops;
		rq.n_stop = 7;
		body = (c[i].d)->build(&cfg, &rq, &url);
		TB_REQUIRE(body && (j = cJSON_Parse(body)));
		arr = cJSON_GetObjectItemCaseSensitive(j, c[i].path[0]);
		if (c[i].path[1])
			arr = cJSON_GetObjectItemCaseSensitive(arr, c[i].path[1]);
		TB_CHECK_INT(cJSON_GetArraySize(arr), c[i].want);
		TB_CHECK_INT((c[i].d)->max_stop == 0 ? 7 : (int)(c[i].d)->max_stop, c[i].want);
		cJSON_Delete(j);
		free(body);
		tb_buf_release(&url);
	}
	TB_CHECK_INT(prov_stop_cut(text, stops + 4, 3), 1);
	TB_CHECK_STR(text, "one ");
	TB_CHECK_INT(prov_stop_cut(text, stops, 4), 0);
}

/* The token estimate for targets without a tokenizer counts as a BPE tokenizer of an API model
 * does on plain prose (a common word with its space is one token): the needle suite's sentences
 * come out at about 5.5 bytes a token, not the 4 that left remote needle prompts at 353 of 512
 * tokens. */
static void test_token_estimate_counts_words_not_bytes(void)
{
	const char *s = "The old miller carried the small boats before the market opened. ";
	TB_CHECK_INT(prov_estimate_tokens(s), 12);            /* 11 words and the full stop */
	TB_CHECK_INT(prov_estimate_tokens("In 2026, 1234567 cats."), 9);  /* In 202 6 , 123 456 7 cats . */
	TB_CHECK_INT(prov_estimate_tokens("internationalization"), 3);
	TB_CHECK_INT(prov_estimate_tokens(""), 0);
	TB_CHECK_INT(prov_estimate_tokens(NULL), 0);
	TB_CHECK(strlen(s) / (double)prov_estimate_tokens(s) > 5.0);
}

int main(void)
{
	TB_RUN(test_dialects_read_every_fixture);
	TB_RUN(test_fixture_table_covers_the_shared_folder);
	TB_RUN(test_truncated_streams_are_not_complete);
	TB_RUN(test_malformed_json_is_a_bad_response);
	TB_RUN(test_nul_escape_in_a_completion_does_not_cut_it);
	TB_RUN(test_usage_counts_out_of_range_are_ignored);
	TB_RUN(test_http_error_with_non_json_body_still_classifies);
	TB_RUN(test_request_bodies_follow_each_dialect);
	TB_RUN(test_token_estimate_counts_words_not_bytes);
	TB_RUN(test_stop_strings_are_capped_per_vendor_and_the_rest_cut_client_side);
	return tb_test_end();
}
