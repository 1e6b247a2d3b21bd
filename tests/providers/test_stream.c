/* tests/providers/test_stream.c — the SSE parser and NDJSON reader: every field kind, every line
 * ending, input split at every byte boundary, caps, and the shared API fixtures. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "providers/provider_impl.h"

/* Events rendered as "event|id|data\n" so a whole stream compares as one string. */
typedef struct rec {
	tb_buf out;
	tb_buf other;
	int stop_after;   /* stop (return 7) after this many events; 0 = never */
	int n;
} rec;

static int on_ev(void *ud, const prov_sse_event *ev)
{
	rec *r = ud;
	prov_buf_add(&r->out, ev->event, strlen(ev->event));
	prov_buf_add(&r->out, "|", 1);
	prov_buf_add(&r->out, ev->id, strlen(ev->id));
	prov_buf_add(&r->out, "|", 1);
	prov_buf_add(&r->out, ev->data, ev->data_len);
	prov_buf_add(&r->out, "\n", 1);
	r->n++;
	return r->stop_after && r->n >= r->stop_after ? 7 : 0;
}

static int on_other(void *ud, const char *l, size_t n)
{
	rec *r = ud;
	prov_buf_add(&r->other, l, n);
	prov_buf_add(&r->other, "\n", 1);
	return 0;
}

static void rec_init(rec *r)
{
	memset(r, 0, sizeof *r);
	r->out.max_bytes = r->other.max_bytes = 64u << 20;
}

/* Parses text in one feed, or split into pieces of `step` bytes (0 = one feed). */
static int parse(const char *text, size_t n, size_t step, rec *r, long *retry)
{
	prov_sse s;
	int rc = 0;
	prov_sse_init(&s, 1u << 20, on_ev, on_other, r);
	if (!step)
		rc = prov_sse_feed(&s, text, n);
	for (size_t i = 0; step && i < n && !rc; i += step)
		rc = prov_sse_feed(&s, text + i, n - i < step ? n - i : step);
	if (!rc)
		rc = prov_sse_finish(&s);
	if (retry)
		*retry = s.retry_ms;
	prov_sse_release(&s);
	return rc;
}

static void check_sse(const char *text, const char *want)
{
	size_t n = strlen(text);
	rec r;
	rec_init(&r);
	TB_CHECK_INT(parse(text, n, 0, &r, NULL), 0);
	TB_CHECK_STR(tb_buf_str(&r.out), want);
	tb_buf_release(&r.out);
	tb_buf_release(&r.other);
	/* Every split point in two, and one byte at a time. */
	for (size_t cut = 0; cut <= n; cut++) {
		prov_sse s;
		rec_init(&r);
		prov_sse_init(&s, 1u << 20, on_ev, NULL, &r);
		TB_CHECK_INT(prov_sse_feed(&s, text, cut), 0);
		TB_CHECK_INT(prov_sse_feed(&s, text + cut, n - cut), 0);
		TB_CHECK_INT(prov_sse_finish(&s), 0);
		if (strcmp(tb_buf_str(&r.out), want) != 0) {
			printf("  split at %zu differs\n", cut);
			TB_CHECK_STR(tb_buf_str(&r.out), want);
			cut = n;
		}
		prov_sse_release(&s);
		tb_buf_release(&r.out);
	}
	rec_init(&r);
	TB_CHECK_INT(parse(text, n, 1, &r, NULL), 0);
	TB_CHECK_STR(tb_buf_str(&r.out), want);
	tb_buf_release(&r.out);
	tb_buf_release(&r.other);
}

static void test_sse_reads_data_event_and_id_fields(void)
{
	check_sse("event: a\nid: 7\ndata: x\n\ndata: y\n\n", "a|7|x\nmessage|7|y\n");
}

static void test_sse_joins_multi_line_data_with_newlines(void)
{
	check_sse("data: one\ndata: two\ndata:three\n\n", "message||one\ntwo\nthree\n");
}

static void test_sse_accepts_crlf_cr_and_lf_line_endings(void)
{
	check_sse("data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d\r\n\n", "message||a\nmessage||b\nmessage||c\nmessage||d\n");
}

static void test_sse_skips_comments_and_unknown_fields(void)
{
	check_sse(": keep-alive\n:\nfoo: bar\ndata: x\n: mid\n\n", "message||x\n");
}

static void test_sse_strips_only_one_leading_space(void)
{
	check_sse("data:  two spaces\n\ndata:none\n\n", "message|| two spaces\nmessage||none\n");
}

static void test_sse_empty_data_line_dispatches_empty_event(void)
{
	check_sse("data:\n\ndata\n\n", "message||\nmessage||\n");
}

static void test_sse_event_without_data_is_not_dispatched(void)
{
	check_sse("event: ping\n\ndata: z\n\n", "message||z\n");
}

static void test_sse_event_name_resets_after_dispatch(void)
{
	check_sse("event: e\ndata: 1\n\ndata: 2\n\n", "e||1\nmessage||2\n");
}

static void test_sse_delivers_last_event_without_blank_line(void)
{
	check_sse("data: a\n\ndata: tail", "message||a\nmessage||tail\n");
}

static void test_sse_ignores_leading_byte_order_mark(void)
{
	check_sse("\xEF\xBB\xBF" "data: bom\n\n", "message||bom\n");
}

static void test_sse_keeps_colons_inside_values(void)
{
	check_sse("id: 1\ndata: a:b:c\n\n", "message|1|a:b:c\n");
}

static void test_sse_reads_retry_only_when_all_digits(void)
{
	rec r;
	long retry = 0;
	rec_init(&r);
	const char *t = "retry: 1500\n\nretry: 12x\n\n";
	rec_init(&r);
	TB_CHECK_INT(parse(t, strlen(t), 0, &r, &retry), 0);
	TB_CHECK_INT(retry, 1500);
	TB_CHECK_INT(r.n, 0);
	TB_CHECK_INT(r.other.len, 0);
	tb_buf_release(&r.out);
	tb_buf_release(&r.other);
}

static void test_sse_refuses_line_over_cap(void)
{
	prov_sse s;
	rec r;
	char big[300];
	rec_init(&r);
	memset(big, 'a', sizeof big);
	prov_sse_init(&s, 256, on_ev, NULL, &r);
	TB_CHECK_INT(prov_sse_feed(&s, "data: ", 6), 0);
	TB_CHECK_INT(prov_sse_feed(&s, big, sizeof big), PROV_EIO);
	prov_sse_release(&s);
	/* Many short data lines that together pass the cap are refused too. */
	prov_sse_init(&s, 256, on_ev, NULL, &r);
	int rc = 0;
	for (int i = 0; i < 100 && !rc; i++)
		rc = prov_sse_feed(&s, "data: 0123456789\n", 17);
	TB_CHECK_INT(rc, PROV_EIO);
	TB_CHECK_INT(r.n, 0);
	prov_sse_release(&s);
	tb_buf_release(&r.out);
}

static void test_sse_callback_return_stops_feed(void)
{
	rec r;
	rec_init(&r);
	r.stop_after = 1;
	TB_CHECK_INT(parse("data: a\n\ndata: b\n\n", 18, 0, &r, NULL), 7);
	TB_CHECK_INT(r.n, 1);
	tb_buf_release(&r.out);
}

static void test_sse_passes_unknown_lines_to_other_callback(void)
{
	rec r;
	const char *t = "data: a\n\n{\n  \"error\": 1\n}\n";
	rec_init(&r);
	TB_CHECK_INT(parse(t, strlen(t), 3, &r, NULL), 0);
	TB_CHECK_STR(tb_buf_str(&r.other), "{\n  \"error\": 1\n}\n");
	tb_buf_release(&r.out);
	tb_buf_release(&r.other);
}

static void test_sse_parses_every_fixture_alike_at_any_split(void)
{
	static const struct { const char *file; int n_events; } fx[] = {
		{ "openai/chat_completion_stream.sse", -1 },
		{ "openai/chat_completion_stream_length.sse", -1 },
		{ "openai/chat_completion_stream_tool_calls.sse", -1 },
		{ "openai_compatible/vllm_chat_stream_reasoning_RECONSTRUCTED.sse", -1 },
		{ "anthropic/message_stream.sse", -1 },
		{ "anthropic/message_stream_basic.sse", -1 },
		{ "anthropic/message_stream_thinking_refusal.sse", -1 },
		{ "anthropic/message_stream_tool_use.sse", -1 },
		{ "gemini/stream_generate_content.sse", -1 },
		{ "gemini/stream_generate_content_long.sse", -1 },
		{ "gemini/stream_generate_content_thinking.sse", -1 },
		{ "gemini/stream_prompt_blocked_safety.sse", 1 },
		{ "gemini/stream_error_mid_stream.sse", -1 },
	};
	const char *dir = tb_shared_dir();
	if (!dir)
		TB_SKIP("no shared fixtures");
	for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++) {
		char path[512];
		size_t n;
		char *text;
		rec whole, bytes, seven;
		snprintf(path, sizeof path, "%s/fixtures/api/%s", dir, fx[i].file);
		TB_REQUIRE((text = tb_slurp(path, &n)) != NULL);
		rec_init(&whole);
		rec_init(&bytes);
		rec_init(&seven);
		TB_CHECK_INT(parse(text, n, 0, &whole, NULL), 0);
		TB_CHECK_INT(parse(text, n, 1, &bytes, NULL), 0);
		TB_CHECK_INT(parse(text, n, 7, &seven, NULL), 0);
		TB_CHECK(whole.n > 0);
		if (fx[i].n_events >= 0)
			TB_CHECK_INT(whole.n, fx[i].n_events);
		TB_CHECK_STR(tb_buf_str(&bytes.out), tb_buf_str(&whole.out));
		TB_CHECK_STR(tb_buf_str(&seven.out), tb_buf_str(&whole.out));
		TB_CHECK_STR(tb_buf_str(&bytes.other), tb_buf_str(&whole.other));
		if (strstr(fx[i].file, "mid_stream"))
			TB_CHECK(strstr(tb_buf_str(&whole.other), "CANCELLED") != NULL);
		else
			TB_CHECK_INT(whole.other.len, 0);
		tb_buf_release(&whole.out);
		tb_buf_release(&bytes.out);
		tb_buf_release(&seven.out);
		tb_buf_release(&whole.other);
		tb_buf_release(&bytes.other);
		tb_buf_release(&seven.other);
		free(text);
	}
}

static int on_line(void *ud, const char *l, size_t n)
{
	rec *r = ud;
	prov_buf_add(&r->out, l, n);
	prov_buf_add(&r->out, "\n", 1);
	r->n++;
	return 0;
}

static void test_ndjson_splits_lines_at_any_boundary(void)
{
	const char *t = "{\"a\":1}\r\n\n  {\"b\":2}\n{\"c\":3}";
	size_t n = strlen(t);
	for (size_t step = 1; step <= n; step++) {
		prov_ndjson r;
		rec got;
		int rc = 0;
		rec_init(&got);
		prov_ndjson_init(&r, 1024, on_line, &got);
		for (size_t i = 0; i < n && !rc; i += step)
			rc = prov_ndjson_feed(&r, t + i, n - i < step ? n - i : step);
		TB_CHECK_INT(rc, 0);
		TB_CHECK_INT(prov_ndjson_finish(&r), 0);
		TB_CHECK_STR(tb_buf_str(&got.out), "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
		prov_ndjson_release(&r);
		tb_buf_release(&got.out);
	}
}

static void test_ndjson_refuses_line_over_cap(void)
{
	prov_ndjson r;
	rec got;
	char big[100];
	rec_init(&got);
	memset(big, 'x', sizeof big);
	prov_ndjson_init(&r, 64, on_line, &got);
	TB_CHECK_INT(prov_ndjson_feed(&r, big, sizeof big), PROV_EIO);
	TB_CHECK_INT(got.n, 0);
	prov_ndjson_release(&r);
}

static void test_ndjson_reads_ollama_fixture(void)
{
	const char *dir = tb_shared_dir();
	char path[512];
	size_t n;
	char *text;
	prov_ndjson r;
	rec got;
	if (!dir)
		TB_SKIP("no shared fixtures");
	snprintf(path, sizeof path, "%s/fixtures/api/ollama/api_chat_stream.ndjson", dir);
	TB_REQUIRE((text = tb_slurp(path, &n)) != NULL);
	rec_init(&got);
	prov_ndjson_init(&r, 1u << 20, on_line, &got);
	for (size_t i = 0; i < n; i += 5)
		TB_CHECK_INT(prov_ndjson_feed(&r, text + i, n - i < 5 ? n - i : 5), 0);
	TB_CHECK_INT(prov_ndjson_finish(&r), 0);
	long lines = 0;
	for (size_t i = 0; i < n; i++)
		lines += text[i] == '\n';
	TB_CHECK_INT(got.n, lines);
	prov_ndjson_release(&r);
	tb_buf_release(&got.out);
	free(text);
}

int main(void)
{
	TB_RUN(test_sse_reads_data_event_and_id_fields);
	TB_RUN(test_sse_joins_multi_line_data_with_newlines);
	TB_RUN(test_sse_accepts_crlf_cr_and_lf_line_endings);
	TB_RUN(test_sse_skips_comments_and_unknown_fields);
	TB_RUN(test_sse_strips_only_one_leading_space);
	TB_RUN(test_sse_empty_data_line_dispatches_empty_event);
	TB_RUN(test_sse_event_without_data_is_not_dispatched);
	TB_RUN(test_sse_event_name_resets_after_dispatch);
	TB_RUN(test_sse_delivers_last_event_without_blank_line);
	TB_RUN(test_sse_ignores_leading_byte_order_mark);
	TB_RUN(test_sse_keeps_colons_inside_values);
	TB_RUN(test_sse_reads_retry_only_when_all_digits);
	TB_RUN(test_sse_refuses_line_over_cap);
	TB_RUN(test_sse_callback_return_stops_feed);
	TB_RUN(test_sse_passes_unknown_lines_to_other_callback);
	TB_RUN(test_sse_parses_every_fixture_alike_at_any_split);
	TB_RUN(test_ndjson_splits_lines_at_any_boundary);
	TB_RUN(test_ndjson_refuses_line_over_cap);
	TB_RUN(test_ndjson_reads_ollama_fixture);
	return tb_test_end();
}
