/* serve/metrics.c — the counters and histograms of `tierbench serve` and their Prometheus text
 * exposition (format 0.0.4: # HELP / # TYPE lines, cumulative le buckets, _sum and _count).
 * TTFT and ITL follow docs/metrics.md, measured at the server from the request's arrival. */
#include <stdio.h>
#include <string.h>

#include "serve/serve_impl.h"

/* Bucket upper bounds in seconds: from a fast token (1 ms) to a long request (60 s). */
static const double bounds[SRV_HIST_N] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
	0.5, 1, 2.5, 5, 10, 60 };

static const char *const ep_names[SRV_EP__COUNT] = { "/v1/chat/completions", "/v1/completions",
	"/v1/models", "/health", "/metrics", "other" };
static const char *const class_names[6] = { "2xx", "4xx", "429", "5xx", "503", "other" };

void srv_hist_observe(srv_hist *h, double seconds)
{
	int i = 0;
	while (i < SRV_HIST_N && seconds > bounds[i])
		i++;
	h->count[i]++;
	h->n++;
	h->sum += seconds;
}

void srv_metrics_request(srv_metrics *m, int endpoint, int status)
{
	int c = status == 429 ? 2 : status == 503 ? 4 : status >= 200 && status < 300 ? 0 :
		status >= 400 && status < 500 ? 1 : status >= 500 && status < 600 ? 3 : 5;
	if (endpoint < 0 || endpoint >= SRV_EP__COUNT)
		endpoint = SRV_EP_OTHER;
	m->requests[endpoint][c]++;
}

static int hist_text(tb_buf *out, const char *name, const char *help, const srv_hist *h)
{
	uint64_t cum = 0;
	int rc = tb_buf_addf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (int i = 0; !rc && i < SRV_HIST_N; i++) {
		cum += h->count[i];
		rc = tb_buf_addf(out, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i], (unsigned long long)cum);
	}
	if (!rc)
		rc = tb_buf_addf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
			(unsigned long long)h->n, name, h->sum, name, (unsigned long long)h->n);
	return rc;
}

static int counter(tb_buf *out, const char *name, const char *help, uint64_t v)
{
	return tb_buf_addf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
		(unsigned long long)v);
}

static int gauge(tb_buf *out, const char *name, const char *help, long v)
{
	return tb_buf_addf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %ld\n", name, help, name, name, v);
}

int srv_metrics_text(const srv_metrics *m, int queue_depth, int running, int slots, tb_buf *out)
{
	int rc = tb_buf_adds(out, "# HELP tierbench_requests_total HTTP requests answered, by "
		"endpoint and status class.\n# TYPE tierbench_requests_total counter\n");
	for (int e = 0; !rc && e < SRV_EP__COUNT; e++)
		for (int c = 0; !rc && c < 6; c++)
			if (m->requests[e][c])
				rc = tb_buf_addf(out, "tierbench_requests_total{endpoint=\"%s\",status=\"%s\"} %llu\n",
					ep_names[e], class_names[c], (unsigned long long)m->requests[e][c]);
	if (!rc)
		rc = counter(out, "tierbench_prompt_tokens_total", "Prompt tokens of completed requests.",
			m->prompt_tokens);
	if (!rc)
		rc = counter(out, "tierbench_completion_tokens_total", "Generated tokens (reasoning "
			"included) of completed requests.", m->completion_tokens);
	if (!rc)
		rc = counter(out, "tierbench_reasoning_tokens_total", "Generated reasoning tokens.",
			m->reasoning_tokens);
	if (!rc)
		rc = counter(out, "tierbench_requests_cancelled_total", "Requests whose client went "
			"away before the end; their sequences were freed.", m->cancelled);
	if (!rc)
		rc = gauge(out, "tierbench_queue_depth", "Requests waiting for a free slot.", queue_depth);
	if (!rc)
		rc = gauge(out, "tierbench_requests_running", "Requests holding a slot.", running);
	if (!rc)
		rc = gauge(out, "tierbench_slots", "Sequences decoded together (--parallel).", slots);
	if (!rc)
		rc = hist_text(out, "tierbench_ttft_seconds", "Time from a request's arrival to its "
			"first generated token.", &m->ttft);
	if (!rc)
		rc = hist_text(out, "tierbench_itl_seconds", "Time between consecutive generated "
			"tokens of one request.", &m->itl);
	if (!rc)
		rc = hist_text(out, "tierbench_e2e_seconds", "Time from a request's arrival to its "
			"last token.", &m->e2e);
	return rc;
}
