/* tools/provbench.c — `make bench`'s provider figure: streamed requests per second and CPU
 * microseconds per request through the provider layer (openai dialect: request build, libcurl
 * multi, SSE parse, usage, timings, cost) against the loopback mock (tests/mock/mock.h) in
 * this process, IN_FLIGHT requests at once over keep-alive connections, median of RUNS runs.
 * CPU is the polling thread's own (CLOCK_THREAD_CPUTIME_ID): the mock's thread is not counted.
 * Usage: provbench [REQUESTS] [RUNS] [IN_FLIGHT]  (default 8000 5 256). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock/mock.h"
#include "providers/provider.h"

static double clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* A Chat Completions stream as OpenAI sends it: 32 content chunks, then usage, then [DONE]. */
static char *make_stream(void)
{
	size_t cap = 16384, n = 0;
	char *b = malloc(cap);
	if (!b)
		return NULL;
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(b + n, cap - n, "data: {\"id\":\"chatcmpl-1\",\"object\":"
			"\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
			"\"delta\":{\"content\":\" tok%d\"},\"finish_reason\":null}]}\n\n", i);
	n += (size_t)snprintf(b + n, cap - n, "data: {\"id\":\"chatcmpl-1\",\"object\":"
		"\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
		"\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
	n += (size_t)snprintf(b + n, cap - n, "data: {\"id\":\"chatcmpl-1\",\"object\":"
		"\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":"
		"{\"prompt_tokens\":20,\"completion_tokens\":32,\"total_tokens\":52}}\n\n"
		"data: [DONE]\n\n");
	return b;
}

typedef struct tally { long ok, bad; } tally;

static void on_done(void *ud, const prov_req *rq, prov_resp *r)
{
	tally *t = ud;
	(void)rq;
	if (r->err || r->n_tokens_out != 32 || r->n_gaps != 31)
		t->bad++;
	else
		t->ok++;
	prov_resp_free(r);
}

int main(int argc, char **argv)
{
	long n_req = argc > 1 ? atol(argv[1]) : 8000;
	int runs = argc > 2 ? atoi(argv[2]) : 5, in_flight = argc > 3 ? atoi(argv[3]) : 256;
	double rps[32], cpu[32];
	char *body = make_stream(), opts[256], err[512];
	mock_server m;
	mock_step step = { 200, "Content-Type: text/event-stream\r\n", NULL, 0, MOCK_FULL, 0 };
	if (!body || n_req < 1 || runs < 1 || runs > 32 || in_flight < 1) {
		fprintf(stderr, "usage: provbench [REQUESTS] [RUNS 1-32] [IN_FLIGHT]\n");
		return 1;
	}
	step.body = body;
	setenv("TB_PROVBENCH_KEY", "sk-bench", 1);
	if (mock_start(&m, &step, 1)) {
		fprintf(stderr, "provbench: cannot start the loopback server\n");
		return 2;
	}
	snprintf(opts, sizeof opts, "{\"base_url\": \"http://127.0.0.1:%d/v1\", \"key_env\": "
		"\"TB_PROVBENCH_KEY\", \"max_in_flight\": %d}", m.port, in_flight);
	for (int r = 0; r < runs; r++) {
		prov_target t = { .id = "bench", .provider = "openai", .model = "m", .options_json = opts };
		prov_msg msg = { "user", "What is 2 + 2? Answer with one number." };
		prov_req rq = { .messages = &msg, .n_messages = 1, .max_tokens = 64, .seed = -1 };
		tally tl = { 0, 0 };
		long submitted = 0;
		double w0, c0;
		prov *p = prov_open(&t, err, sizeof err);
		if (!p) {
			fprintf(stderr, "provbench: %s\n", err);
			return 2;
		}
		w0 = clock_ms(CLOCK_MONOTONIC);
		c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
		while (tl.ok + tl.bad < n_req) {
			while (submitted < n_req && prov_in_flight(p) < in_flight &&
			       prov_submit(p, &rq, on_done, &tl) == 0)
				submitted++;
			if (prov_poll(p, 5) < 0)
				break;
		}
		rps[r] = (double)n_req / ((clock_ms(CLOCK_MONOTONIC) - w0) / 1e3);
		cpu[r] = (clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e3 / (double)n_req;
		prov_close(p);
		printf("  run %d: %8.0f streamed req/s, %6.1f us CPU/request%s\n", r + 1, rps[r], cpu[r],
			tl.bad ? " (some responses wrong!)" : "");
		if (tl.bad) {
			fprintf(stderr, "provbench: %ld of %ld responses wrong\n", tl.bad, n_req);
			return 2;
		}
	}
	qsort(rps, (size_t)runs, sizeof *rps, cmp_double);
	qsort(cpu, (size_t)runs, sizeof *cpu, cmp_double);
	printf("  median %.0f streamed req/s (min %.0f, max %.0f), %.1f us CPU/request in the "
		"provider layer, %d in flight over up to %d keep-alive connections, %ld requests "
		"per run\n", rps[runs / 2], rps[0], rps[runs - 1], cpu[runs / 2], in_flight, m.max_open,
		n_req);
	mock_stop(&m);
	free(body);
	return 0;
}
