/* serve/serve.c — the HTTP side of `tierbench serve` (libmicrohttpd, one internal polling
 * thread with epoll) and the engine thread that owns the `local` provider.
 *
 * A completion request is a job. The HTTP thread reads and parses its body, queues it and
 * suspends the connection; the engine thread moves queued jobs into free slots
 * (prov_submit_stream), runs one batched decode per prov_poll, and its token and done
 * callbacks append stream chunks or write the whole body, then resume the connection. While a
 * job's connection is suspended MHD does not see the client leave, so the engine thread polls
 * those sockets for a hang-up and cancels the job's sequence (prov_cancel). One mutex guards
 * the queue, the jobs and the metrics; MHD is only called under it for suspend and resume. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "serve/serve_impl.h"

#define SRV_HUP_CHECK_MS 50

enum { J_NEW = 0, J_QUEUED, J_RUNNING, J_DONE };

typedef struct job job;

struct job {
	srv *s;
	job *next;                 /* queue link */
	int refs;                  /* the connection holds one, the engine one while queued or running */
	struct MHD_Connection *conn; /* NULL once MHD is done with the request */
	int fd;                    /* the connection's socket, polled for a hang-up while suspended */
	int ep;                    /* SRV_EP_* */
	tb_buf body;               /* the request body, capped at max_body_bytes */
	int too_big;
	srv_err early;             /* an answer decided from the headers, sent once the body is in */
	int has_early;
	srv_params prm;
	int state;                 /* J_* */
	int slot;                  /* index in s->running while J_RUNNING */
	int suspended;
	int cancel, cancel_sent;   /* the client left: free the sequence */
	/* answers */
	int err_status;            /* with err_body: an error answer not yet queued */
	char *err_body;
	char *resp_body;           /* the whole non-streamed body */
	int started;               /* stream: the headers may go */
	tb_buf out;                /* stream bytes not yet read by MHD, from out_off */
	size_t out_off;
	int eof;
	size_t sent_answer, sent_reasoning;
	int sent_first;
	cJSON *lp;                 /* log-probability entries not yet sent (stream) or all */
	size_t lp_offset, lp_bytes;
	/* timing */
	double t_arrive_ms, t_last_ms;
	long n_tokens;
	char id[48];
	long created;
};

struct srv {
	srv_opts o;
	char *model_name, *api_key;
	prov *p;
	int n_par, n_ctx;
	struct MHD_Daemon *d;
	int port;
	pthread_t thr;
	int thr_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	job *q_head, *q_tail;
	int n_queued;
	job **running;             /* [n_par] */
	int n_running;
	int n_live;                /* completion jobs not yet freed */
	int draining, stopping;
	unsigned long long next_id;
	double last_hup_ms;
	srv_metrics m;
	srv_log_fn log;
	void *log_ud;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

srv_opts srv_opts_default(void)
{
	srv_opts o;
	memset(&o, 0, sizeof o);
	o.host = "127.0.0.1";
	o.port = 8080;
	o.n_parallel = 4;
	o.queue_max = 64;
	o.max_body_bytes = (size_t)8 << 20;
	o.max_header_bytes = (size_t)64 << 10;
	o.max_connections = 1024;
	o.idle_timeout_s = 30;
	o.max_pending_bytes = (size_t)16 << 20;
	return o;
}

/* ------------------------------------------------------------------ jobs */

/* Drops one reference; the last frees the job. Under s->mu. */
static void job_unref(job *j)
{
	if (--j->refs > 0)
		return;
	j->s->n_live--;
	tb_buf_release(&j->body);
	tb_buf_release(&j->out);
	srv_params_release(&j->prm);
	cJSON_Delete(j->lp);
	free(j->err_body);
	free(j->resp_body);
	free(j);
}

/* Lets MHD handle the job's connection again. Under s->mu. */
static void wake(job *j)
{
	if (j->suspended && j->conn) {
		j->suspended = 0;
		MHD_resume_connection(j->conn);
	}
}

static void queue_unlink(srv *s, job *j)
{
	job **pp = &s->q_head, *prev = NULL;
	while (*pp && *pp != j) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = j->next;
	if (s->q_tail == j)
		s->q_tail = prev;
	j->next = NULL;
	s->n_queued--;
}

static void job_result(const job *j, srv_result *r)
{
	memset(r, 0, sizeof *r);
	r->id = j->id;
	r->created = j->created;
	r->model = j->s->model_name;
	r->chat = j->prm.chat;
	r->lp = j->lp && cJSON_GetArraySize(j->lp) ? j->lp : NULL;
	r->lp_offset = j->lp_offset;
}

/* A stream chunk of the text final so far past what was sent (held back at an unfinished UTF-8
 * sequence unless last), the log-probabilities gathered, and finish when given. Under s->mu. */
static void stream_push(job *j, const char *ans, size_t n_ans, const char *rsn, size_t n_rsn,
	const char *finish, int last)
{
	srv_result r;
	char *c;
	size_t na = n_ans >= j->sent_answer ? (last ? n_ans : srv_utf8_complete(ans, n_ans)) : j->sent_answer;
	size_t nr = n_rsn >= j->sent_reasoning ? (last ? n_rsn : srv_utf8_complete(rsn, n_rsn)) : j->sent_reasoning;
	int has_lp = j->lp && cJSON_GetArraySize(j->lp) > 0;

	if (na < j->sent_answer)
		na = j->sent_answer;
	if (nr < j->sent_reasoning)
		nr = j->sent_reasoning;
	if (na == j->sent_answer && nr == j->sent_reasoning && !has_lp && !finish &&
	    (j->sent_first || !j->prm.chat))
		return;
	job_result(j, &r);
	r.finish = finish;
	c = srv_chunk_json(&r, !j->sent_first, ans ? ans + j->sent_answer : "", na - j->sent_answer,
		rsn ? rsn + j->sent_reasoning : "", nr - j->sent_reasoning, j->prm.include_usage);
	if (!c || srv_sse_add(&j->out, c)) {
		j->cancel = 1;    /* over max_pending_bytes: a client that does not read */
		free(c);
		return;
	}
	free(c);
	j->sent_answer = na;
	j->sent_reasoning = nr;
	j->sent_first = 1;
	if (has_lp) {
		j->lp_offset += j->lp_bytes;
		j->lp_bytes = 0;
		cJSON_Delete(j->lp);
		j->lp = cJSON_CreateArray();
	}
	j->started = 1;
	wake(j);
}

static int on_token(void *ud, const prov_token_ev *ev)
{
	job *j = ud;
	srv *s = j->s;
	double t = now_ms();
	int cancel;

	pthread_mutex_lock(&s->mu);
	if (!j->n_tokens)
		srv_hist_observe(&s->m.ttft, (t - j->t_arrive_ms) / 1e3);
	else
		srv_hist_observe(&s->m.itl, (t - j->t_last_ms) / 1e3);
	j->t_last_ms = t;
	j->n_tokens++;
	if (j->prm.logprobs) {
		cJSON *e = srv_lp_entry(ev, j->prm.top_logprobs);
		if (!j->lp)
			j->lp = cJSON_CreateArray();
		if (!e || !j->lp || !cJSON_AddItemToArray(j->lp, e)) {
			cJSON_Delete(e);
			j->cancel = 1;
		}
		j->lp_bytes += ev->n_piece;
	}
	if (j->prm.stream)
		stream_push(j, ev->answer, ev->n_answer, ev->reasoning, ev->n_reasoning, NULL, 0);
	cancel = j->cancel || !j->conn;
	pthread_mutex_unlock(&s->mu);
	return cancel;
}

/* The provider's message in the server's words: without the "target serve: " prefix, naming
 * the command's flags where it names the local provider's options. */
static void provider_msg(const char *m, char *out, size_t n)
{
	static const char *const from[] = { "options.n_ctx", "options.chat_template" },
		*const to[] = { "--ctx", "--chat-template" };
	size_t w = 0;

	if (!m)
		m = "";
	if (strncmp(m, "target serve: ", 14) == 0)
		m += 14;
	while (*m && w + 1 < n) {
		size_t k = 0;
		while (k < 2 && strncmp(m, from[k], strlen(from[k])) != 0)
			k++;
		if (k < 2 && w + strlen(to[k]) + 1 < n) {
			memcpy(out + w, to[k], strlen(to[k]));
			w += strlen(to[k]);
			m += strlen(from[k]);
		} else
			out[w++] = *m++;
	}
	out[w] = 0;
}

/* The error answer of a failed request: before the stream started, a status and body; after,
 * an SSE error event. Under s->mu. */
static void job_fail(job *j, const srv_err *e)
{
	char *b = srv_err_json(e);
	if (j->started) {
		if (b)
			srv_sse_add(&j->out, b);
		free(b);
		j->eof = 1;
		return;
	}
	free(j->err_body);
	j->err_body = b;
	j->err_status = b ? e->status : 500;
}

static void on_done(void *ud, const prov_req *rq, prov_resp *resp)
{
	job *j = ud;
	srv *s = j->s;
	srv_err e;
	srv_result r;

	(void)rq;
	pthread_mutex_lock(&s->mu);
	if (j->state == J_RUNNING) {
		s->running[j->slot] = NULL;
		s->n_running--;
	}
	j->state = J_DONE;
	if (resp->err == PROV_ERR_NONE) {
		const char *text = resp->text ? resp->text : "", *rsn = resp->reasoning;
		s->m.prompt_tokens += (uint64_t)resp->n_tokens_in;
		s->m.completion_tokens += (uint64_t)resp->n_tokens_out;
		s->m.reasoning_tokens += (uint64_t)resp->n_tokens_reasoning;
		srv_hist_observe(&s->m.e2e, (now_ms() - j->t_arrive_ms) / 1e3);
		job_result(j, &r);
		r.finish = resp->finish_reason ? resp->finish_reason : "stop";
		r.n_in = resp->n_tokens_in;
		r.n_out = resp->n_tokens_out;
		r.n_reasoning = resp->n_tokens_reasoning;
		if (j->prm.stream) {
			char *c;
			/* the rest of the text, then the finish reason in a chunk of its own */
			stream_push(j, text, strlen(text), rsn, rsn ? strlen(rsn) : 0, NULL, 1);
			job_result(j, &r);
			r.finish = resp->finish_reason ? resp->finish_reason : "stop";
			r.n_in = resp->n_tokens_in;
			r.n_out = resp->n_tokens_out;
			r.n_reasoning = resp->n_tokens_reasoning;
			if ((c = srv_chunk_json(&r, !j->sent_first, "", 0, "", 0, j->prm.include_usage)))
				srv_sse_add(&j->out, c);
			free(c);
			if (j->prm.include_usage && (c = srv_usage_chunk_json(&r))) {
				srv_sse_add(&j->out, c);
				free(c);
			}
			srv_sse_add(&j->out, "[DONE]");
			j->started = 1;
			j->eof = 1;
		} else if (!(j->resp_body = srv_body_json(&r, text, rsn))) {
			srv_err_set(&e, 500, "server_error", NULL, NULL, "out of memory");
			job_fail(j, &e);
		}
	} else if (resp->err == PROV_ERR_CANCELLED) {
		s->m.cancelled++;
		j->eof = 1;
	} else {
		char msg[400];
		provider_msg(resp->err_msg ? resp->err_msg : prov_err_class_name(resp->err), msg,
			sizeof msg);
		if (resp->err == PROV_ERR_CONTEXT_LENGTH)
			srv_err_set(&e, 400, "invalid_request_error", j->prm.chat ? "messages" : "prompt",
				"context_length_exceeded", "This model's maximum context length is %d tokens "
				"per request: %s.", s->n_ctx, msg);
		else
			srv_err_set(&e, resp->err == PROV_ERR_CLIENT ? 400 : 500, resp->err ==
				PROV_ERR_CLIENT ? "invalid_request_error" : "server_error", NULL, NULL, "%s", msg);
		job_fail(j, &e);
	}
	wake(j);
	job_unref(j);
	pthread_mutex_unlock(&s->mu);
	prov_resp_free(resp);
}

/* Jobs whose suspended connection's client hung up: a queued one leaves the queue, a running
 * one is cancelled. Under s->mu. */
static void hup_check(srv *s)
{
	struct pollfd pf[256];
	job *jb[256];
	int n = 0;
	double t = now_ms();

	if (t - s->last_hup_ms < SRV_HUP_CHECK_MS)
		return;
	s->last_hup_ms = t;
	for (job *j = s->q_head; j && n < 256; j = j->next)
		if (j->suspended && j->conn)
			jb[n] = j, pf[n++] = (struct pollfd){ .fd = j->fd, .events = POLLRDHUP };
	for (int i = 0; i < s->n_par && n < 256; i++) {
		job *j = s->running[i];
		if (j && j->suspended && j->conn && !j->cancel)
			jb[n] = j, pf[n++] = (struct pollfd){ .fd = j->fd, .events = POLLRDHUP };
	}
	if (!n || poll(pf, (nfds_t)n, 0) <= 0)
		return;
	for (int k = 0; k < n; k++) {
		job *j = jb[k];
		if (!(pf[k].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
			continue;
		if (j->state == J_QUEUED) {
			queue_unlink(s, j);
			j->state = J_DONE;
			s->m.cancelled++;
			wake(j);
			job_unref(j);
		} else
			j->cancel = 1;
	}
}

static void *engine_main(void *arg)
{
	srv *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		for (int i = 0; i < s->n_par; i++) {
			job *j = s->running[i];
			if (j && (j->cancel || !j->conn || s->stopping) && !j->cancel_sent) {
				j->cancel_sent = 1;
				prov_cancel(s->p, j);
			}
		}
		while (s->q_head && s->n_running < s->n_par && !s->stopping) {
			job *j = s->q_head;
			prov_stream st = { on_token, j->prm.logprobs, j->prm.top_logprobs };
			int slot = 0, rc;
			queue_unlink(s, j);
			while (s->running[slot])
				slot++;
			s->running[slot] = j;
			s->n_running++;
			j->slot = slot;
			j->state = J_RUNNING;
			/* Tokenizes the prompt (a long one takes a while): without the lock, so the HTTP
			 * thread goes on. The job cannot go away meanwhile: the engine holds a reference,
			 * and no callback fires from inside prov_submit_stream. */
			pthread_mutex_unlock(&s->mu);
			rc = prov_submit_stream(s->p, &j->prm.rq, &st, on_done, j);
			pthread_mutex_lock(&s->mu);
			if (rc) {
				srv_err e;
				s->running[slot] = NULL;
				s->n_running--;
				j->state = J_DONE;
				srv_err_set(&e, 500, "server_error", NULL, NULL, "submit: %s", prov_strerror(rc));
				job_fail(j, &e);
				wake(j);
				job_unref(j);
			}
		}
		if (s->stopping)
			while (s->q_head) {
				job *j = s->q_head;
				queue_unlink(s, j);
				j->state = J_DONE;
				j->eof = 1;
				wake(j);
				job_unref(j);
			}
		hup_check(s);
		if (s->stopping && !s->n_running)
			break;
		if (!s->n_running) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += SRV_HUP_CHECK_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
			continue;
		}
		pthread_mutex_unlock(&s->mu);
		prov_poll(s->p, 0);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ------------------------------------------------------------------ HTTP */

static int route(const char *url)
{
	if (strcmp(url, "/v1/chat/completions") == 0)
		return SRV_EP_CHAT;
	if (strcmp(url, "/v1/completions") == 0)
		return SRV_EP_COMPLETIONS;
	if (strcmp(url, "/v1/models") == 0)
		return SRV_EP_MODELS;
	if (strcmp(url, "/health") == 0)
		return SRV_EP_HEALTH;
	if (strcmp(url, "/metrics") == 0)
		return SRV_EP_METRICS;
	return SRV_EP_OTHER;
}

/* Queues body (taken; NULL: out of memory) with status. */
static enum MHD_Result reply(srv *s, struct MHD_Connection *c, int ep, int status, char *body,
	const char *ctype, int retry_after)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	if (!body) {
		static const char oom[] = "{\"error\":{\"message\":\"out of memory\",\"type\":\"server_error\","
			"\"param\":null,\"code\":null}}";
		body = strdup(oom);
		status = 500;
		if (!body)
			return MHD_NO;
	}
	r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", ctype);
	if (retry_after)
		MHD_add_response_header(r, "Retry-After", "1");
	pthread_mutex_lock(&s->mu);
	srv_metrics_request(&s->m, ep, status);
	pthread_mutex_unlock(&s->mu);
	rc = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	if (s->log) {
		char line[160];
		snprintf(line, sizeof line, "%d %s", status, ep < SRV_EP_OTHER ?
			(const char *[]){ "chat", "completions", "models", "health", "metrics" }[ep] : "other");
		s->log(s->log_ud, line);
	}
	return rc;
}

static enum MHD_Result reply_err(srv *s, struct MHD_Connection *c, int ep, const srv_err *e)
{
	return reply(s, c, ep, e->status, srv_err_json(e), "application/json", e->status == 429);
}

static enum MHD_Result reply_get(srv *s, struct MHD_Connection *c, int ep)
{
	tb_buf b;
	char *body;

	tb_buf_init(&b, 0);
	if (ep == SRV_EP_HEALTH) {
		pthread_mutex_lock(&s->mu);
		tb_buf_addf(&b, "{\"status\":\"%s\",\"slots\":%d,\"running\":%d,\"queued\":%d}",
			s->draining ? "draining" : "ok", s->n_par, s->n_running, s->n_queued);
		pthread_mutex_unlock(&s->mu);
		return reply(s, c, ep, s->draining ? 503 : 200, tb_buf_detach(&b, NULL),
			"application/json", 0);
	}
	if (ep == SRV_EP_METRICS) {
		pthread_mutex_lock(&s->mu);
		srv_metrics_text(&s->m, s->n_queued, s->n_running, s->n_par, &b);
		pthread_mutex_unlock(&s->mu);
		return reply(s, c, ep, 200, tb_buf_detach(&b, NULL), "text/plain; version=0.0.4", 0);
	}
	{
		cJSON *root = cJSON_CreateObject(), *a, *m;
		body = NULL;
		if (root && cJSON_AddStringToObject(root, "object", "list") &&
		    (a = cJSON_AddArrayToObject(root, "data")) && (m = cJSON_CreateObject())) {
			if (!cJSON_AddItemToArray(a, m))
				cJSON_Delete(m);
			else if (cJSON_AddStringToObject(m, "id", s->model_name) &&
			    cJSON_AddStringToObject(m, "object", "model") &&
			    cJSON_AddNumberToObject(m, "created", 0) &&
			    cJSON_AddStringToObject(m, "owned_by", "tierbench") &&
			    cJSON_AddNumberToObject(m, "context_length", s->n_ctx))
				body = cJSON_PrintUnformatted(root);
		}
		cJSON_Delete(root);
	}
	return reply(s, c, ep, 200, body, "application/json", 0);
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	job *j = cls;
	srv *s = j->s;
	size_t n;

	(void)pos;
	pthread_mutex_lock(&s->mu);
	n = j->out.len - j->out_off;
	if (n) {
		if (n > max)
			n = max;
		memcpy(buf, j->out.p + j->out_off, n);
		j->out_off += n;
		if (j->out_off == j->out.len) {
			tb_buf_reset(&j->out);
			j->out_off = 0;
		} else if (j->out_off > ((size_t)64 << 10) && j->out_off * 2 > j->out.len) {
			memmove(j->out.p, j->out.p + j->out_off, j->out.len - j->out_off + 1);
			j->out.len -= j->out_off;
			j->out_off = 0;
		}
		pthread_mutex_unlock(&s->mu);
		return (ssize_t)n;
	}
	if (j->eof || !j->conn) {
		pthread_mutex_unlock(&s->mu);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	j->suspended = 1;
	MHD_suspend_connection(j->conn);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* The body is in: parse, then queue the job or answer at once. */
static enum MHD_Result job_start(srv *s, job *j, struct MHD_Connection *c)
{
	srv_err e;
	enum MHD_Result rc;

	if (j->has_early)
		return reply_err(s, c, j->ep, &j->early);
	if (j->too_big) {
		srv_err_set(&e, 413, "invalid_request_error", NULL, "request_too_large", "The request "
			"body is over this server's limit of %zu bytes.", s->o.max_body_bytes);
		return reply_err(s, c, j->ep, &e);
	}
	if (srv_params_parse(j->body.p ? j->body.p : "", j->body.len, j->ep == SRV_EP_CHAT,
		s->model_name, &j->prm, &e))
		return reply_err(s, c, j->ep, &e);
	tb_buf_release(&j->body);
	pthread_mutex_lock(&s->mu);
	/* queue_max requests may wait beyond the slots that are free now */
	if (s->draining || s->n_queued >= s->o.queue_max + (s->n_par - s->n_running)) {
		int draining = s->draining;
		pthread_mutex_unlock(&s->mu);
		if (draining)
			srv_err_set(&e, 503, "server_error", NULL, NULL, "The server is shutting down.");
		else
			srv_err_set(&e, 429, "rate_limit_error", NULL, "queue_full", "All %d slots are busy "
				"and %d requests are waiting; retry later.", s->n_par, s->o.queue_max);
		return reply_err(s, c, j->ep, &e);
	}
	snprintf(j->id, sizeof j->id, "%s-%llx%06llx", j->ep == SRV_EP_CHAT ? "chatcmpl" : "cmpl",
		(unsigned long long)time(NULL), ++s->next_id);
	j->created = (long)time(NULL);
	j->state = J_QUEUED;
	j->refs++;
	if (s->q_tail)
		s->q_tail->next = j;
	else
		s->q_head = j;
	s->q_tail = j;
	s->n_queued++;
	j->suspended = 1;
	MHD_suspend_connection(c);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	rc = MHD_YES;
	return rc;
}

/* The connection was resumed: answer what the engine left, or wait again. */
static enum MHD_Result job_resume(srv *s, job *j, struct MHD_Connection *c)
{
	char *b;
	int st;

	pthread_mutex_lock(&s->mu);
	if (j->err_body || (j->err_status && !j->started)) {
		b = j->err_body;
		st = j->err_status;
		j->err_body = NULL;
		pthread_mutex_unlock(&s->mu);
		return reply(s, c, j->ep, st, b, "application/json", 0);
	}
	if (j->prm.stream && j->started) {
		struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384,
			sse_read, j, NULL);
		enum MHD_Result rc;
		pthread_mutex_unlock(&s->mu);
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, "Content-Type", "text/event-stream");
		MHD_add_response_header(r, "Cache-Control", "no-cache");
		pthread_mutex_lock(&s->mu);
		srv_metrics_request(&s->m, j->ep, 200);
		pthread_mutex_unlock(&s->mu);
		rc = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return rc;
	}
	if (j->resp_body) {
		b = j->resp_body;
		j->resp_body = NULL;
		pthread_mutex_unlock(&s->mu);
		return reply(s, c, j->ep, 200, b, "application/json", 0);
	}
	if (j->state == J_DONE) {   /* cancelled: the client is gone */
		pthread_mutex_unlock(&s->mu);
		return MHD_NO;
	}
	j->suspended = 1;
	MHD_suspend_connection(c);
	pthread_mutex_unlock(&s->mu);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
	const char *method, const char *version, const char *up, size_t *up_n, void **cc)
{
	srv *s = cls;
	job *j = *cc;
	srv_err e;

	(void)version;
	if (!j) {
		int ep = route(url), post = strcmp(method, "POST") == 0;
		int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
		const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect");
		const union MHD_ConnectionInfo *ci;
		int has_early = 0;

		if (ep == SRV_EP_OTHER) {
			srv_err_set(&e, 404, "invalid_request_error", NULL, "unknown_url", "Unknown request "
				"URL: %s %.200s.", method, url);
			return reply_err(s, c, ep, &e);
		}
		if ((ep == SRV_EP_CHAT || ep == SRV_EP_COMPLETIONS) ? !post : !get) {
			srv_err_set(&e, 405, "invalid_request_error", NULL, "method_not_allowed",
				"%s is not allowed on %s.", method, url);
			return reply_err(s, c, ep, &e);
		}
		if (s->api_key && (ep == SRV_EP_CHAT || ep == SRV_EP_COMPLETIONS || ep == SRV_EP_MODELS) &&
		    !srv_key_ok(auth, s->api_key)) {
			srv_err_set(&e, 401, "invalid_request_error", NULL, "invalid_api_key", auth ?
				"Incorrect API key provided." : "You didn't provide an API key (Authorization: "
				"Bearer KEY).");
			has_early = 1;
		}
		if (!post)
			return has_early ? reply_err(s, c, ep, &e) : reply_get(s, c, ep);
		if (!has_early && cl && strtoull(cl, NULL, 10) > s->o.max_body_bytes) {
			srv_err_set(&e, 413, "invalid_request_error", NULL, "request_too_large", "The "
				"request body (%.24s bytes) is over this server's limit of %zu bytes.", cl,
				s->o.max_body_bytes);
			has_early = 1;
		}
		/* With "Expect: 100-continue" the body is not sent yet: answer now. Otherwise read
		 * (and drop) the body first, so the client reads the answer instead of a reset. */
		if (has_early && expect)
			return reply_err(s, c, ep, &e);
		if (!(j = calloc(1, sizeof *j)))
			return MHD_NO;
		j->s = s;
		j->refs = 1;
		j->conn = c;
		j->ep = ep;
		j->fd = (ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD)) ?
			ci->connect_fd : -1;
		j->t_arrive_ms = now_ms();
		j->has_early = has_early;
		if (has_early)
			j->early = e;
		tb_buf_init(&j->body, s->o.max_body_bytes);
		tb_buf_init(&j->out, s->o.max_pending_bytes);
		pthread_mutex_lock(&s->mu);
		s->n_live++;
		pthread_mutex_unlock(&s->mu);
		*cc = j;
		return MHD_YES;
	}
	if (*up_n) {
		if (!j->too_big && !j->has_early && tb_buf_add(&j->body, up, *up_n)) {
			j->too_big = 1;
			tb_buf_release(&j->body);
		}
		*up_n = 0;
		return MHD_YES;
	}
	if (j->state == J_NEW)
		return job_start(s, j, c);
	return job_resume(s, j, c);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **cc,
	enum MHD_RequestTerminationCode toe)
{
	srv *s = cls;
	job *j = *cc;

	(void)c;
	(void)toe;
	if (!j)
		return;
	pthread_mutex_lock(&s->mu);
	j->conn = NULL;
	j->suspended = 0;
	if (j->state == J_QUEUED) {
		queue_unlink(s, j);
		j->state = J_DONE;
		s->m.cancelled++;
		job_unref(j);
	} else if (j->state == J_RUNNING) {
		j->cancel = 1;
		pthread_cond_signal(&s->cv);
	}
	job_unref(j);
	pthread_mutex_unlock(&s->mu);
	*cc = NULL;
}

/* ------------------------------------------------------------------ life */

static void warm_done(void *ud, const prov_req *rq, prov_resp *resp)
{
	(void)rq;
	*(prov_resp **)ud = resp;
}

static char *name_of(const char *path)
{
	const char *b = strrchr(path, '/');
	size_t n;
	char *s;
	b = b ? b + 1 : path;
	n = strlen(b);
	if (n > 5 && strcmp(b + n - 5, ".gguf") == 0)
		n -= 5;
	if ((s = malloc(n + 1))) {
		memcpy(s, b, n);
		s[n] = 0;
	}
	return s;
}

srv *srv_open(const srv_opts *o, char *err, size_t errlen)
{
	srv *s = calloc(1, sizeof *s);
	tb_buf opt;
	prov_target t = { 0 };
	prov_req rq = { 0 };
	prov_resp *warm = NULL;
	const union MHD_DaemonInfo *di;
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME;
	const char *host;

	tb_buf_init(&opt, 0);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->o = *o;
	host = o->host ? o->host : "127.0.0.1";
	s->o.host = NULL;
	s->o.model_path = NULL;
	s->o.model_name = NULL;
	s->o.chat_template = NULL;
	s->o.api_key = NULL;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (!o->model_path || !*o->model_path) {
		snprintf(err, errlen, "serve: no model given (-m MODEL.gguf)");
		goto fail;
	}
	if (o->n_parallel < 1 || o->n_parallel > 256 || o->queue_max < 0 || o->max_connections < 1 ||
	    o->idle_timeout_s < 1 || !o->max_body_bytes || !o->max_pending_bytes) {
		snprintf(err, errlen, "serve: an option is out of range (--parallel 1..256, limits >= 1)");
		goto fail;
	}
	if (!(s->model_name = o->model_name && *o->model_name ? strdup(o->model_name) :
		name_of(o->model_path)) || (o->api_key && !(s->api_key = strdup(o->api_key))))
		goto oom;
	s->n_par = o->n_parallel;
	if (!(s->running = calloc((size_t)s->n_par, sizeof *s->running)))
		goto oom;
	tb_buf_addf(&opt, "{\"n_parallel\":%d", s->n_par);
	if (o->n_ctx > 0)
		tb_buf_addf(&opt, ",\"n_ctx\":%d", o->n_ctx);
	if (o->n_threads > 0)
		tb_buf_addf(&opt, ",\"threads\":%d", o->n_threads);
	if (o->chat_template) {
		cJSON *q = cJSON_CreateString(o->chat_template);
		char *qs = q ? cJSON_PrintUnformatted(q) : NULL;
		tb_buf_addf(&opt, ",\"chat_template\":%s", qs ? qs : "\"\"");
		free(qs);
		cJSON_Delete(q);
	}
	if (tb_buf_adds(&opt, "}"))
		goto oom;
	t.id = "serve";
	t.provider = "local";
	t.model = o->model_path;
	t.options_json = tb_buf_str(&opt);
	if (!(s->p = prov_open(&t, err, errlen)))
		goto fail;
	s->n_ctx = prov_context_length(s->p);
	/* Warm-up: reads the weights and checks that a token decodes. */
	rq.prompt = "Hello";
	rq.max_tokens = 1;
	rq.seed = -1;
	if (prov_submit(s->p, &rq, warm_done, &warm)) {
		snprintf(err, errlen, "serve: %s: warm-up request refused", o->model_path);
		goto fail;
	}
	while (!warm)
		prov_poll(s->p, 10);
	if (warm->err != PROV_ERR_NONE) {
		snprintf(err, errlen, "%s", warm->err_msg ? warm->err_msg : "serve: warm-up failed");
		prov_resp_free(warm);
		goto fail;
	}
	prov_resp_free(warm);
	memset(&ss, 0, sizeof ss);
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)o->port);
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			goto bad_host;
		flags |= MHD_USE_IPv6;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)o->port);
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			goto bad_host;
	}
	if (pthread_create(&s->thr, NULL, engine_main, s)) {
		snprintf(err, errlen, "serve: cannot start the engine thread");
		goto fail;
	}
	s->thr_started = 1;
	s->d = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->idle_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->max_header_bytes,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
		MHD_OPTION_END);
	if (!s->d) {
		snprintf(err, errlen, "serve: cannot listen on %s:%d (%s)", host, o->port,
			errno ? strerror(errno) : "address in use or not available");
		goto fail;
	}
	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : o->port;
	tb_buf_release(&opt);
	return s;
bad_host:
	snprintf(err, errlen, "serve: --host %s: not a numeric IPv4 or IPv6 address", host);
	goto fail;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	tb_buf_release(&opt);
	srv_close(s);
	return NULL;
}

int srv_port(const srv *s)
{
	return s->port;
}

void srv_log_set(srv *s, srv_log_fn fn, void *ud)
{
	s->log = fn;
	s->log_ud = ud;
}

int srv_drain(srv *s, int timeout_ms)
{
	double t0 = now_ms();
	int live;

	pthread_mutex_lock(&s->mu);
	s->draining = 1;
	pthread_mutex_unlock(&s->mu);
	if (s->d) {
		MHD_socket fd = MHD_quiesce_daemon(s->d);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
	for (;;) {
		pthread_mutex_lock(&s->mu);
		live = s->n_live;
		pthread_mutex_unlock(&s->mu);
		if (!live || now_ms() - t0 >= timeout_ms)
			return live;
		usleep(10000);
	}
}

void srv_close(srv *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->draining = 1;
	s->stopping = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->thr_started)
		pthread_join(s->thr, NULL);
	if (s->d) {
		/* every job is answered or ended now; let MHD finish them before it stops */
		double t0 = now_ms();
		for (;;) {
			int live;
			pthread_mutex_lock(&s->mu);
			live = s->n_live;
			pthread_mutex_unlock(&s->mu);
			if (!live || now_ms() - t0 > 2000)
				break;
			usleep(10000);
		}
		MHD_stop_daemon(s->d);
	}
	prov_close(s->p);
	free(s->running);
	free(s->model_name);
	if (s->api_key) {
		volatile char *k = s->api_key;
		for (size_t i = 0; k[i]; i++)
			k[i] = 0;
		free(s->api_key);
	}
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
