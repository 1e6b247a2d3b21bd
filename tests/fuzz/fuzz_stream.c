/* tests/fuzz/fuzz_stream.c — libFuzzer harness for the stream readers and the vendor reply
 * parsers (providers/stream.c, providers/api.c). The first input byte picks the dialect
 * (OpenAI, Anthropic, Gemini: SSE; Ollama: NDJSON) and the chunk size; the rest is fed as a
 * response stream in chunks, every event going to the dialect's event parser, then the same
 * bytes as a whole non-streamed body, as a log-probability (scoring) reply where the dialect
 * has one, and as an HTTP error body. Checks: the accumulated text stays NUL-terminated, the
 * error message is a bounded string, and a scoring reply read without error holds as many
 * positions as the request scores, each with its top_k entries in descending order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "providers/provider_impl.h"

#include "tests/fuzz/fuzz_util.h"

typedef struct fz {
	const prov_dialect *d;
	prov_acc acc;
	int stopped;
} fz;

static int on_event(void *ud, const prov_sse_event *ev)
{
	fz *f = ud;
	fuzz_check(ev->data != NULL && ev->data[ev->data_len] == 0);
	if (f->stopped)
		return 0;
	f->stopped = f->d->event(&f->acc, ev->event, ev->data, ev->data_len) != 0;
	return 0;
}

static int on_other(void *ud, const char *line, size_t n)
{
	fz *f = ud;
	return prov_buf_add(&f->acc.other, line, n) ? 1 : 0;
}

static int on_line(void *ud, const char *line, size_t n)
{
	fz *f = ud;
	if (f->stopped)
		return 0;
	f->stopped = f->d->event(&f->acc, NULL, line, n) != 0;
	return 0;
}

static void check_acc(const prov_acc *a)
{
	fuzz_check(strlen(tb_buf_str(&a->text)) <= a->text.len);
	fuzz_check(memchr(a->err_msg, 0, sizeof a->err_msg) != NULL);
	fuzz_check(memchr(a->finish, 0, sizeof a->finish) != NULL);
}

/* The body read as the reply to a scoring request. The selector byte also picks top_k
 * (0..4), the first scored position (0: the default second half, else 1..3) and whether the
 * request carries token ids (their count, 2..9) or leaves the count to the reply's usage. */
static void check_lp(const prov_dialect *d, const char *body, size_t size, uint8_t sel)
{
	int32_t ids[9] = { 0 };
	prov_req rq;
	prov_acc a;
	memset(&rq, 0, sizeof rq);
	rq.kind = PROV_REQ_LOGPROBS;
	rq.top_k = (int)(size % 5);
	rq.score_from = (long)((sel >> 2) & 3);
	if (sel & 0x10) {
		rq.tokens = ids;
		rq.n_tokens = 2 + (size_t)((sel >> 5) & 7);
	}
	prov_acc_init(&a);
	if (d->body_lp(&a, &rq, body, size) == 0) {
		long n = rq.tokens ? (long)rq.n_tokens : (long)a.n_in;
		long from = rq.score_from >= 1 ? rq.score_from : n / 2 + 1;
		fuzz_check(a.lp != NULL && a.n_lp == (size_t)(n - from) && a.top_k == rq.top_k);
		for (size_t i = 0; i < a.n_lp; i++)
			for (int q = 1; q < a.top_k; q++)
				fuzz_check(!(a.top_lp[i * (size_t)a.top_k + (size_t)q] >
					     a.top_lp[i * (size_t)a.top_k + (size_t)q - 1]));
	}
	check_acc(&a);
	prov_acc_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const prov_dialect *const ds[] = { &prov_dialect_openai, &prov_dialect_anthropic,
		&prov_dialect_gemini, &prov_dialect_ollama };
	fz f;
	size_t chunk;
	uint8_t data0;

	if (size < 1)
		return 0;
	memset(&f, 0, sizeof f);
	data0 = data[0];
	f.d = ds[data[0] & 3];
	chunk = 1 + (data[0] >> 2) * 7;   /* 1..442 bytes per read */
	data++;
	size--;

	prov_acc_init(&f.acc);
	if (f.d->ndjson) {
		prov_ndjson r;
		prov_ndjson_init(&r, 4096, on_line, &f);
		for (size_t o = 0; o < size; o += chunk)
			if (prov_ndjson_feed(&r, (const char *)data + o, size - o < chunk ? size - o : chunk))
				break;
		prov_ndjson_finish(&r);
		prov_ndjson_release(&r);
	} else {
		prov_sse s;
		prov_sse_init(&s, 4096, on_event, on_other, &f);
		for (size_t o = 0; o < size; o += chunk)
			if (prov_sse_feed(&s, (const char *)data + o, size - o < chunk ? size - o : chunk))
				break;
		prov_sse_finish(&s);
		prov_sse_release(&s);
	}
	prov_acc_finish_other(&f.acc);
	check_acc(&f.acc);
	prov_acc_release(&f.acc);

	{
		char *body = malloc(size + 1);
		if (body) {
			memcpy(body, data, size);
			body[size] = 0;
			prov_acc_init(&f.acc);
			f.d->body(&f.acc, body, size);
			check_acc(&f.acc);
			prov_acc_release(&f.acc);
			if (f.d->body_lp)
				check_lp(f.d, body, size, data0);
			prov_acc_init(&f.acc);
			prov_acc_http_error(&f.acc, 400 + (int)(size % 200), body, size);
			check_acc(&f.acc);
			prov_acc_release(&f.acc);
			free(body);
		}
	}
	return 0;
}
