/* tests/serve/test_oai.c — the OpenAI request parser, the error body, whole responses, stream
 * chunks and their SSE framing, log-probability entries, the UTF-8 hold-back, the bearer key
 * check and the Prometheus text of `tierbench serve` (serve/oai.c, serve/metrics.c). */
#include <cjson/cJSON.h>

#include "serve/serve_impl.h"
#include "test.h"

static int parse(const char *body, int chat, srv_params *p, srv_err *e)
{
	return srv_params_parse(body, strlen(body), chat, "tiny", p, e);
}

static void test_chat_request_parses_every_known_field(void)
{
	srv_params p;
	srv_err e;
	TB_REQUIRE(parse("{\"model\":\"tiny\",\"messages\":[{\"role\":\"developer\",\"content\":\"be brief\"},"
		"{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}],"
		"\"max_completion_tokens\":7,\"temperature\":0.5,\"top_p\":0.9,\"seed\":42,\"stop\":[\"x\",\"\",\"yz\"],"
		"\"n\":1,\"stream\":true,\"stream_options\":{\"include_usage\":true},\"logprobs\":true,"
		"\"top_logprobs\":3,\"ignore_eos\":true}", 1, &p, &e) == 0);
	TB_CHECK_INT(p.rq.n_messages, 2);
	TB_CHECK_STR(p.rq.messages[0].role, "system");
	TB_CHECK_STR(p.rq.messages[1].content, "ab");
	TB_CHECK_INT(p.rq.max_tokens, 7);
	TB_CHECK_NEAR(p.rq.temperature, 0.5, 0);
	TB_CHECK_NEAR(p.rq.top_p, 0.9, 0);
	TB_CHECK_INT(p.rq.seed, 42);
	TB_CHECK_INT(p.rq.n_stop, 2);
	TB_CHECK_STR(p.rq.stop[1], "yz");
	TB_CHECK(p.stream && p.include_usage && p.logprobs);
	TB_CHECK_INT(p.top_logprobs, 3);
	TB_CHECK_INT(p.rq.ignore_eos, 1);
	srv_params_release(&p);
}

static void test_unknown_fields_are_ignored_and_defaults_kept(void)
{
	srv_params p;
	srv_err e;
	TB_REQUIRE(parse("{\"prompt\":[\"hi\"],\"frequency_penalty\":1,\"whatever\":{\"x\":[1]},"
		"\"stop\":\"\\n\",\"logprobs\":2,\"user\":null}", 0, &p, &e) == 0);
	TB_CHECK_STR(p.rq.prompt, "hi");
	TB_CHECK_INT(p.rq.max_tokens, 0);
	TB_CHECK_NEAR(p.rq.temperature, 1, 0);
	TB_CHECK_INT(p.rq.seed, -1);
	TB_CHECK_INT(p.rq.n_stop, 1);
	TB_CHECK(p.logprobs);
	TB_CHECK_INT(p.top_logprobs, 2);
	TB_CHECK(!p.stream);
	TB_CHECK_INT(p.rq.ignore_eos, 0);
	srv_params_release(&p);
}

static void test_bad_requests_give_400_naming_the_param(void)
{
	static const struct { const char *body; int chat; int status; const char *param, *code; } cases[] = {
		{ "{\"prompt\":\"x\",", 0, 400, "", NULL },
		{ "[1,2]", 0, 400, "", NULL },
		{ "", 0, 400, "", NULL },
		{ "{\"prompt\":5}", 0, 400, "prompt", "invalid_type" },
		{ "{}", 0, 400, "prompt", "missing_required_parameter" },
		{ "{\"prompt\":[\"a\",\"b\"]}", 0, 400, "prompt", "invalid_value" },
		{ "{\"prompt\":\"x\",\"max_tokens\":\"9\"}", 0, 400, "max_tokens", "invalid_type" },
		{ "{\"prompt\":\"x\",\"max_tokens\":1.5}", 0, 400, "max_tokens", "invalid_type" },
		{ "{\"prompt\":\"x\",\"max_tokens\":0}", 0, 400, "max_tokens", "invalid_value" },
		{ "{\"prompt\":\"x\",\"temperature\":3}", 0, 400, "temperature", "invalid_value" },
		{ "{\"prompt\":\"x\",\"n\":2}", 0, 400, "n", "invalid_value" },
		{ "{\"prompt\":\"x\",\"stream\":\"yes\"}", 0, 400, "stream", "invalid_type" },
		{ "{\"prompt\":\"x\",\"stop\":[1]}", 0, 400, "stop[0]", "invalid_type" },
		{ "{\"prompt\":\"x\",\"stream_options\":1}", 0, 400, "stream_options", "invalid_type" },
		{ "{\"prompt\":\"x\",\"ignore_eos\":1}", 0, 400, "ignore_eos", "invalid_type" },
		{ "{\"prompt\":\"x\",\"logprobs\":true}", 0, 400, "logprobs", "invalid_type" },
		{ "{\"prompt\":\"x\",\"model\":\"gpt-4o\"}", 0, 404, "model", "model_not_found" },
		{ "{\"prompt\":\"x\",\"model\":7}", 0, 400, "model", "invalid_type" },
		{ "{\"messages\":\"hi\"}", 1, 400, "messages", "invalid_type" },
		{ "{\"messages\":[]}", 1, 400, "messages", "invalid_value" },
		{ "{\"messages\":[{\"content\":\"x\"}]}", 1, 400, "messages[0].role", "missing_required_parameter" },
		{ "{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}", 1, 400, "messages[0].role", "invalid_value" },
		{ "{\"messages\":[{\"role\":\"user\",\"content\":3}]}", 1, 400, "messages[0].content", "invalid_type" },
		{ "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}", 1, 400,
			"messages[0].content[0]", "invalid_value" },
		{ "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logprobs\":1}", 1, 400, "logprobs", "invalid_type" },
		{ "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_logprobs\":2}", 1, 400, "top_logprobs", "invalid_value" },
		{ "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logprobs\":true,\"top_logprobs\":21}", 1, 400,
			"top_logprobs", "invalid_value" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		srv_params p;
		srv_err e;
		memset(&e, 0, sizeof e);
		if (parse(cases[i].body, cases[i].chat, &p, &e) != -1) {
			printf("  case %zu (%s) was accepted\n", i, cases[i].body);
			TB_CHECK(0);
			srv_params_release(&p);
			continue;
		}
		TB_CHECK_INT(e.status, cases[i].status);
		TB_CHECK_STR(e.param, cases[i].param);
		if (cases[i].code)
			TB_CHECK_STR(e.code, cases[i].code);
		else
			TB_CHECK(e.code == NULL);
		TB_CHECK(e.message[0] != 0);
		TB_CHECK(p.rq.prompt == NULL && p.rq.messages == NULL);
	}
}

static void test_error_body_has_openai_shape(void)
{
	srv_err e;
	char *s;
	cJSON *o, *er;
	srv_err_set(&e, 400, "invalid_request_error", NULL, "context_length_exceeded", "too %s", "long");
	TB_REQUIRE((s = srv_err_json(&e)) != NULL);
	TB_REQUIRE((o = cJSON_Parse(s)) != NULL);
	er = cJSON_GetObjectItem(o, "error");
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(er, "message")), "too long");
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(er, "type")), "invalid_request_error");
	TB_CHECK(cJSON_IsNull(cJSON_GetObjectItem(er, "param")));
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(er, "code")), "context_length_exceeded");
	cJSON_Delete(o);
	free(s);
}

static void test_utf8_hold_back_stops_before_an_unfinished_sequence(void)
{
	TB_CHECK_INT(srv_utf8_complete("ab", 2), 2);
	TB_CHECK_INT(srv_utf8_complete("a\xC3", 2), 1);          /* é's first byte */
	TB_CHECK_INT(srv_utf8_complete("a\xC3\xA9", 3), 3);
	TB_CHECK_INT(srv_utf8_complete("a\xE2\x82", 3), 1);      /* € cut after 2 of 3 */
	TB_CHECK_INT(srv_utf8_complete("\xF0\x9F\x98", 3), 0);   /* an emoji cut after 3 of 4 */
	TB_CHECK_INT(srv_utf8_complete("\xF0\x9F\x98\x80", 4), 4);
	TB_CHECK_INT(srv_utf8_complete("a\xFF", 2), 2);          /* never valid: sent as U+FFFD */
	TB_CHECK_INT(srv_utf8_complete("", 0), 0);
}

static srv_result result(int chat)
{
	srv_result r;
	memset(&r, 0, sizeof r);
	r.id = "chatcmpl-1";
	r.created = 1700000000;
	r.model = "tiny";
	r.chat = chat;
	r.finish = "length";
	r.n_in = 5;
	r.n_out = 9;
	r.n_reasoning = 4;
	return r;
}

static void test_chat_body_has_message_reasoning_and_usage(void)
{
	srv_result r = result(1);
	char *s = srv_body_json(&r, "ok \xFF", "thought");
	cJSON *o, *c, *u;
	TB_REQUIRE(s && (o = cJSON_Parse(s)));
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "object")), "chat.completion");
	c = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "choices"), 0);
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "message"), "content")),
		"ok \xEF\xBF\xBD");   /* a stray byte goes out as U+FFFD: the body stays valid UTF-8 */
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "message"),
		"reasoning_content")), "thought");
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(c, "finish_reason")), "length");
	TB_CHECK(cJSON_IsNull(cJSON_GetObjectItem(c, "logprobs")));
	u = cJSON_GetObjectItem(o, "usage");
	TB_CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(u, "prompt_tokens")), 5);
	TB_CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(u, "completion_tokens")), 9);
	TB_CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(u, "total_tokens")), 14);
	TB_CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(u,
		"completion_tokens_details"), "reasoning_tokens")), 4);
	cJSON_Delete(o);
	free(s);
}

static void test_logprob_entries_in_chat_and_legacy_shapes(void)
{
	const char *pieces[2] = { " a", "b" };
	size_t lens[2] = { 2, 1 };
	int32_t ids[2] = { 7, 8 };
	float lps[2] = { -0.5f, -1.5f };
	prov_token_ev ev = { .id = 7, .piece = " a", .n_piece = 2, .logprob = -0.5, .n_top = 2,
		.top_id = ids, .top_lp = lps, .top_piece = pieces, .top_n = lens };
	cJSON *arr = cJSON_CreateArray(), *o, *lp;
	srv_result r = result(0);
	char *s;

	cJSON_AddItemToArray(arr, srv_lp_entry(&ev, 2));
	ev.piece = "b";
	ev.n_piece = 1;
	ev.logprob = -1.5;
	cJSON_AddItemToArray(arr, srv_lp_entry(&ev, 1));
	r.lp = arr;
	r.lp_offset = 3;
	TB_REQUIRE((s = srv_body_json(&r, " ab", NULL)) && (o = cJSON_Parse(s)));
	lp = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "choices"), 0), "logprobs");
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(lp, "tokens"), 1)), "b");
	TB_CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetArrayItem(cJSON_GetObjectItem(lp, "token_logprobs"), 0)), -0.5, 1e-9);
	TB_CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(lp,
		"top_logprobs"), 0), "b")), -1.5, 1e-9);
	TB_CHECK_INT(cJSON_GetArraySize(cJSON_GetArrayItem(cJSON_GetObjectItem(lp, "top_logprobs"), 1)), 1);
	TB_CHECK_INT(cJSON_GetNumberValue(cJSON_GetArrayItem(cJSON_GetObjectItem(lp, "text_offset"), 1)), 5);
	cJSON_Delete(o);
	free(s);
	r.chat = 1;
	TB_REQUIRE((s = srv_body_json(&r, " ab", NULL)) && (o = cJSON_Parse(s)));
	lp = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "choices"), 0),
		"logprobs"), "content");
	TB_CHECK_INT(cJSON_GetArraySize(lp), 2);
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(lp, 0), "token")), " a");
	TB_CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(lp, 0), "bytes")), 2);
	TB_CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(lp, 0), "top_logprobs")), 2);
	cJSON_Delete(o);
	free(s);
	cJSON_Delete(arr);
}

static void test_stream_chunks_frame_as_sse_events(void)
{
	srv_result r = result(1);
	tb_buf b;
	char *c;
	cJSON *o, *d;

	tb_buf_init(&b, 0);
	r.finish = NULL;
	TB_REQUIRE((c = srv_chunk_json(&r, 1, "Hi", 2, "", 0, 1)) != NULL);
	TB_CHECK(strchr(c, '\n') == NULL);
	TB_REQUIRE(srv_sse_add(&b, c) == 0);
	TB_REQUIRE((o = cJSON_Parse(c)) != NULL);
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "object")), "chat.completion.chunk");
	d = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "choices"), 0), "delta");
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(d, "role")), "assistant");
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(d, "content")), "Hi");
	TB_CHECK(cJSON_GetObjectItem(d, "reasoning_content") == NULL);
	TB_CHECK(cJSON_IsNull(cJSON_GetObjectItem(o, "usage")));
	TB_CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "choices"), 0),
		"finish_reason")));
	cJSON_Delete(o);
	free(c);
	TB_REQUIRE((c = srv_chunk_json(&r, 0, "", 0, "why", 3, 0)) != NULL);
	TB_REQUIRE((o = cJSON_Parse(c)) != NULL);
	d = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "choices"), 0), "delta");
	TB_CHECK(cJSON_GetObjectItem(d, "role") == NULL && cJSON_GetObjectItem(d, "content") == NULL);
	TB_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(d, "reasoning_content")), "why");
	TB_CHECK(cJSON_GetObjectItem(o, "usage") == NULL);
	cJSON_Delete(o);
	free(c);
	TB_REQUIRE((c = srv_usage_chunk_json(&r)) != NULL);
	TB_REQUIRE(srv_sse_add(&b, c) == 0 && srv_sse_add(&b, "[DONE]") == 0);
	TB_CHECK(strncmp(b.p, "data: {", 7) == 0);
	TB_CHECK(strstr(b.p, "}\n\ndata: {") != NULL);
	TB_CHECK(strstr(b.p, "\"choices\":[],\"usage\":{") != NULL);
	TB_CHECK(b.len > 16 && strcmp(b.p + b.len - 16, "\n\ndata: [DONE]\n\n") == 0);
	free(c);
	tb_buf_release(&b);
}

static void test_bearer_key_must_match_whole(void)
{
	TB_CHECK(srv_key_ok("Bearer sk-abc", "sk-abc"));
	TB_CHECK(srv_key_ok("bearer  sk-abc ", "sk-abc"));
	TB_CHECK(!srv_key_ok("Bearer sk-ab", "sk-abc"));
	TB_CHECK(!srv_key_ok("Bearer sk-abcd", "sk-abc"));
	TB_CHECK(!srv_key_ok("Bearer sk-abd", "sk-abc"));
	TB_CHECK(!srv_key_ok("sk-abc", "sk-abc"));
	TB_CHECK(!srv_key_ok(NULL, "sk-abc"));
	TB_CHECK(!srv_key_ok("Bearer ", ""));
}

static void test_metrics_text_is_prometheus_exposition(void)
{
	srv_metrics m;
	tb_buf b;
	memset(&m, 0, sizeof m);
	tb_buf_init(&b, 0);
	srv_metrics_request(&m, SRV_EP_CHAT, 200);
	srv_metrics_request(&m, SRV_EP_CHAT, 200);
	srv_metrics_request(&m, SRV_EP_COMPLETIONS, 429);
	srv_metrics_request(&m, SRV_EP_COMPLETIONS, 400);
	m.completion_tokens = 12;
	srv_hist_observe(&m.ttft, 0.003);
	srv_hist_observe(&m.ttft, 0.2);
	srv_hist_observe(&m.ttft, 100);
	TB_REQUIRE(srv_metrics_text(&m, 3, 2, 4, &b) == 0);
	TB_CHECK(strstr(b.p, "tierbench_requests_total{endpoint=\"/v1/chat/completions\",status=\"2xx\"} 2\n"));
	TB_CHECK(strstr(b.p, "tierbench_requests_total{endpoint=\"/v1/completions\",status=\"429\"} 1\n"));
	TB_CHECK(strstr(b.p, "tierbench_requests_total{endpoint=\"/v1/completions\",status=\"4xx\"} 1\n"));
	TB_CHECK(strstr(b.p, "\ntierbench_completion_tokens_total 12\n"));
	TB_CHECK(strstr(b.p, "\ntierbench_queue_depth 3\n"));
	TB_CHECK(strstr(b.p, "\ntierbench_requests_running 2\n"));
	TB_CHECK(strstr(b.p, "# TYPE tierbench_ttft_seconds histogram\n"));
	/* cumulative buckets: 1 at or below 5 ms, 2 at or below 0.25 s, 3 only at +Inf */
	TB_CHECK(strstr(b.p, "tierbench_ttft_seconds_bucket{le=\"0.0025\"} 0\n"));
	TB_CHECK(strstr(b.p, "tierbench_ttft_seconds_bucket{le=\"0.005\"} 1\n"));
	TB_CHECK(strstr(b.p, "tierbench_ttft_seconds_bucket{le=\"0.25\"} 2\n"));
	TB_CHECK(strstr(b.p, "tierbench_ttft_seconds_bucket{le=\"60\"} 2\n"));
	TB_CHECK(strstr(b.p, "tierbench_ttft_seconds_bucket{le=\"+Inf\"} 3\n"));
	TB_CHECK(strstr(b.p, "tierbench_ttft_seconds_count 3\n"));
	TB_CHECK(strstr(b.p, "tierbench_itl_seconds_count 0\n"));
	tb_buf_release(&b);
}

int main(void)
{
	TB_RUN(test_chat_request_parses_every_known_field);
	TB_RUN(test_unknown_fields_are_ignored_and_defaults_kept);
	TB_RUN(test_bad_requests_give_400_naming_the_param);
	TB_RUN(test_error_body_has_openai_shape);
	TB_RUN(test_utf8_hold_back_stops_before_an_unfinished_sequence);
	TB_RUN(test_chat_body_has_message_reasoning_and_usage);
	TB_RUN(test_logprob_entries_in_chat_and_legacy_shapes);
	TB_RUN(test_stream_chunks_frame_as_sse_events);
	TB_RUN(test_bearer_key_must_match_whole);
	TB_RUN(test_metrics_text_is_prometheus_exposition);
	return tb_test_end();
}
