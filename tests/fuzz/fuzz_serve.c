/* tests/fuzz/fuzz_serve.c — libFuzzer harness for the request parser and the response writers of
 * `tierbench serve` (serve/oai.c). The first byte picks the endpoint (chat or completions); the
 * rest is parsed as a request body. A rejected body must come with an error whose status is 400
 * or 404 and whose error body is JSON; an accepted one must hold its prompt or messages. Then
 * the same bytes, as generated text of any bytes, go through a whole body, a stream chunk and a
 * log-probability entry: each must parse as JSON again (a stray byte becomes U+FFFD), and the
 * UTF-8 hold-back must never pass the end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "serve/serve_impl.h"

#include "tests/fuzz/fuzz_util.h"

static void check_json(char *s)
{
	cJSON *o;
	fuzz_check(s != NULL);
	o = cJSON_Parse(s);
	fuzz_check(o != NULL);
	cJSON_Delete(o);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data + 1;
	size_t n = size ? size - 1 : 0, k;
	srv_params p;
	srv_err e;
	srv_result r;
	prov_token_ev ev;
	cJSON *arr;
	char *t;

	if (!size)
		return 0;
	memset(&e, 0, sizeof e);
	if (srv_params_parse(body, n, data[0] & 1, "m", &p, &e) == 0) {
		fuzz_check(p.chat ? p.rq.n_messages >= 1 : p.rq.prompt != NULL);
		fuzz_check(p.top_logprobs >= 0 && p.top_logprobs <= PROV_MAX_TOP_LOGPROBS);
		srv_params_release(&p);
	} else {
		fuzz_check(e.status == 400 || e.status == 404);
		fuzz_check(memchr(e.message, 0, sizeof e.message) != NULL);
		check_json(srv_err_json(&e));
	}

	/* the bytes as generated text */
	k = srv_utf8_complete(body, n);
	fuzz_check(k <= n && k + 3 >= n);
	if (!(t = malloc(n + 1)))
		return 0;
	memcpy(t, body, n);
	t[n] = 0;
	memset(&r, 0, sizeof r);
	r.id = "x";
	r.model = "m";
	r.chat = data[0] & 1;
	r.finish = "stop";
	memset(&ev, 0, sizeof ev);
	ev.piece = body;
	ev.n_piece = n;
	if ((arr = cJSON_CreateArray()) && cJSON_AddItemToArray(arr, srv_lp_entry(&ev, 0)))
		r.lp = arr;
	check_json(srv_body_json(&r, t, t));
	check_json(srv_chunk_json(&r, 1, body, n, body, n, 1));
	cJSON_Delete(arr);
	free(t);
	return 0;
}
