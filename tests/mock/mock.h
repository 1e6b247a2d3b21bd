/* tests/mock/mock.h — a loopback HTTP/1.1 server for provider tests and the provider benchmark:
 * listens on an ephemeral 127.0.0.1 port in its own thread and answers the n-th request with
 * the n-th step of a script (the last step repeats), replaying fixture bodies and injecting
 * faults: any status and headers, reset mid-body, graceful close mid-body, slow trickle, accept
 * and never answer, hold replies until a number of requests wait at once. One poll() loop serves
 * up to MOCK_MAX_CONN connections at once on non-blocking sockets; MOCK_FULL replies carry
 * Content-Length and keep the connection alive, MOCK_FULL_CLOSE replies close it after the body
 * (an HTTP/1.1 server without keep-alive), fault replies end by closing it (as a failing server
 * would). Header-only. */
#ifndef TB_MOCK_H
#define TB_MOCK_H

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MOCK_FULL, MOCK_RESET_MID, MOCK_CLOSE_MID, MOCK_TRICKLE, MOCK_SILENT, MOCK_FULL_CLOSE };

#define MOCK_MAX_CONN 1024
#define MOCK_IN_BYTES 65536   /* a request larger than this is cut (last_request keeps 8 KB) */

typedef struct mock_step {
	int status;
	const char *headers;  /* extra header lines, each ending in "\r\n", or NULL */
	const char *body;
	size_t body_len;      /* 0 = strlen(body) */
	int mode;
	int trickle_ms;       /* MOCK_TRICKLE: pause between 16-byte pieces */
} mock_step;

/* One client connection: reading a request, then writing head + body, then reading again
 * (keep-alive) or closing. */
typedef struct mock_conn {
	int fd;
	char *in;                 /* [MOCK_IN_BYTES] */
	size_t in_len;
	char head[1024];
	size_t head_len;
	const char *body;
	size_t body_len;          /* bytes of body to send (half of it for the *_MID faults) */
	size_t off;               /* bytes of head + body sent */
	int writing, mode, trickle_ms, silent;
	int held;                 /* a gathered reply not yet released */
	double held_since_ms;
	double next_ms;           /* MOCK_TRICKLE: when the next piece may go */
	char *owned;              /* a handler's reply body, freed with the next reply or the close */
} mock_conn;

typedef struct mock_server {
	int fd, port;
	pthread_t th;
	volatile int stop;
	const mock_step *steps;
	int n_steps;
	volatile int n_requests;
	char last_request[8192];   /* headers and body of the latest request (truncated) */
	mock_conn *conns;          /* [MOCK_MAX_CONN]; fd < 0 = free */
	int n_conns;               /* slots in use at the front, some possibly free */
	int n_busy, max_busy;      /* replies being written now; the most at once */
	int n_open, max_open;      /* connections open now; the most at once */
	int gather, gather_ms;     /* > 0: every reply is held until this many requests are held at
	                            * once (all then go together), or until gather_ms passed since
	                            * the oldest held one arrived (see mock_start_gather) */
	int n_held;
	int max_held;              /* the most requests held at once */
	int n_gather_timeouts;     /* releases by gather_ms, not by the count */
	/* When set (mock_start_handler), every request is answered 200 with the JSON body this
	 * returns for it (malloc'd; NULL answers 500): a server whose reply depends on the request. */
	char *(*handler)(void *ud, const char *request, size_t len);
	void *handler_ud;
} mock_server;

static double mock_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void mock_conn_close(mock_server *m, mock_conn *c, int reset)
{
	if (c->writing)
		m->n_busy--;
	if (c->held)
		m->n_held--;
	c->writing = 0;
	c->held = 0;
	if (reset) {
		struct linger lg = { 1, 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	}
	close(c->fd);
	c->fd = -1;
	free(c->owned);
	c->owned = NULL;
	m->n_open--;
	free(c->in);
	c->in = NULL;
}

/* A whole request is in c->in: record it, pick the step, prepare the reply. */
static void mock_begin_reply(mock_server *m, mock_conn *c, size_t req_len)
{
	mock_step dyn = { 500, "Content-Type: application/json\r\n", "{}", 0, MOCK_FULL, 0 };
	const mock_step *s = m->handler ? &dyn :
		&m->steps[m->n_requests < m->n_steps ? m->n_requests : m->n_steps - 1];
	size_t n = req_len < sizeof m->last_request - 1 ? req_len : sizeof m->last_request - 1;
	if (m->handler) {
		free(c->owned);
		if ((c->owned = m->handler(m->handler_ud, c->in, req_len))) {
			dyn.status = 200;
			dyn.body = c->owned;
		}
	}
	memcpy(m->last_request, c->in, n);
	m->last_request[n] = '\0';
	m->n_requests++;
	memmove(c->in, c->in + req_len, c->in_len - req_len);
	c->in_len -= req_len;
	if (s->mode == MOCK_SILENT) {
		c->silent = 1;
		return;
	}
	c->mode = s->mode;
	c->trickle_ms = s->trickle_ms;
	c->body = s->body;
	c->body_len = s->body ? (s->body_len ? s->body_len : strlen(s->body)) : 0;
	if (s->mode == MOCK_FULL_CLOSE)
		snprintf(c->head, sizeof c->head, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
			"Connection: close\r\n%s\r\n", s->status, c->body_len, s->headers ? s->headers : "");
	else if (s->mode == MOCK_FULL)
		snprintf(c->head, sizeof c->head, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n",
			s->status, c->body_len, s->headers ? s->headers : "");
	else
		snprintf(c->head, sizeof c->head, "HTTP/1.1 %d X\r\nConnection: close\r\n%s\r\n",
			s->status, s->headers ? s->headers : "");
	if (s->mode == MOCK_RESET_MID || s->mode == MOCK_CLOSE_MID)
		c->body_len /= 2;
	c->head_len = strlen(c->head);
	c->off = 0;
	c->writing = 1;
	c->next_ms = 0;
	if (++m->n_busy > m->max_busy)
		m->max_busy = m->n_busy;
	if (m->gather > 0) {
		c->held = 1;
		c->held_since_ms = mock_now_ms();
		if (++m->n_held > m->max_held)
			m->max_held = m->n_held;
	}
}

/* Releases every held reply once enough are held, or the oldest has waited gather_ms. */
static void mock_release_held(mock_server *m, double now)
{
	int by_time = 0;
	if (!m->n_held)
		return;
	for (int i = 0; i < m->n_conns; i++)
		if (m->conns[i].fd >= 0 && m->conns[i].held &&
		    now - m->conns[i].held_since_ms >= m->gather_ms)
			by_time = 1;
	if (m->n_held < m->gather && !by_time)
		return;
	if (m->n_held < m->gather)
		m->n_gather_timeouts++;
	for (int i = 0; i < m->n_conns; i++)
		m->conns[i].held = 0;
	m->n_held = 0;
}

/* Length of the complete request at the front of c->in, or 0 while it is incomplete. */
static size_t mock_request_len(const mock_conn *c)
{
	const char *end, *cl;
	size_t need;
	if (c->in_len == MOCK_IN_BYTES - 1)
		return c->in_len;              /* oversized: treat what came as the request */
	if (!(end = strstr(c->in, "\r\n\r\n")))
		return 0;
	cl = strcasestr(c->in, "content-length:");
	need = (size_t)(end + 4 - c->in) + (cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0);
	return c->in_len >= need ? need : 0;
}

static void mock_on_readable(mock_server *m, mock_conn *c)
{
	for (;;) {
		ssize_t r = recv(c->fd, c->in + c->in_len, MOCK_IN_BYTES - 1 - c->in_len, 0);
		size_t len;
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			mock_conn_close(m, c, 0);
			return;
		}
		if (r < 0)
			break;
		c->in_len += (size_t)r;
		c->in[c->in_len] = '\0';
		if (c->silent) {
			c->in_len = 0;
			continue;
		}
		if (!c->writing && (len = mock_request_len(c)))
			mock_begin_reply(m, c, len);
		if (c->in_len == MOCK_IN_BYTES - 1 || c->writing)
			break;
	}
}

static void mock_on_writable(mock_server *m, mock_conn *c, double now)
{
	size_t total = c->head_len + c->body_len;
	while (c->off < total) {
		const char *p = c->off < c->head_len ? c->head + c->off : c->body + (c->off - c->head_len);
		size_t n = c->off < c->head_len ? c->head_len - c->off : total - c->off;
		ssize_t w;
		if (c->mode == MOCK_TRICKLE && c->off >= c->head_len) {
			if (now < c->next_ms)
				return;
			n = n < 16 ? n : 16;
		}
		w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (w <= 0) {
			mock_conn_close(m, c, 0);
			return;
		}
		c->off += (size_t)w;
		if (c->mode == MOCK_TRICKLE && c->off > c->head_len) {
			c->next_ms = now + c->trickle_ms;
			if (c->trickle_ms > 0)
				return;
		}
	}
	c->writing = 0;
	m->n_busy--;
	if (c->mode != MOCK_FULL) {
		mock_conn_close(m, c, c->mode == MOCK_RESET_MID);
		return;
	}
	/* keep-alive: a pipelined next request may already be buffered */
	{
		size_t len = mock_request_len(c);
		if (len)
			mock_begin_reply(m, c, len);
	}
}

static void mock_accept_all(mock_server *m)
{
	for (;;) {
		int fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK), one = 1, i;
		char *in;
		if (fd < 0)
			return;
		for (i = 0; i < m->n_conns && m->conns[i].fd >= 0; i++)
			;
		if (i == MOCK_MAX_CONN || !(in = malloc(MOCK_IN_BYTES))) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		memset(&m->conns[i], 0, sizeof m->conns[i]);
		m->conns[i].fd = fd;
		m->conns[i].in = in;
		in[0] = '\0';
		if (++m->n_open > m->max_open)
			m->max_open = m->n_open;
		if (i == m->n_conns)
			m->n_conns++;
	}
}

static void *mock_main(void *arg)
{
	mock_server *m = arg;
	struct pollfd *pf = calloc(MOCK_MAX_CONN + 1, sizeof *pf);
	int *idx = calloc(MOCK_MAX_CONN + 1, sizeof *idx);
	if (!pf || !idx) {
		free(pf);
		free(idx);
		return NULL;
	}
	while (!m->stop) {
		int n = 1, timeout = 50;
		double now = mock_now_ms();
		pf[0].fd = m->fd;
		pf[0].events = POLLIN;
		for (int i = 0; i < m->n_conns; i++) {
			mock_conn *c = &m->conns[i];
			if (c->fd < 0)
				continue;
			pf[n].fd = c->fd;
			pf[n].events = POLLIN;
			if (c->held) {
				timeout = 5 < timeout ? 5 : timeout;
			} else if (c->writing && c->mode == MOCK_TRICKLE && c->off >= c->head_len && now < c->next_ms) {
				int w = (int)(c->next_ms - now) + 1;
				timeout = w < timeout ? w : timeout;
			} else if (c->writing) {
				pf[n].events |= POLLOUT;
			}
			idx[n++] = i;
		}
		while (m->n_conns && m->conns[m->n_conns - 1].fd < 0)
			m->n_conns--;
		if (poll(pf, (nfds_t)n, timeout) < 0 && errno != EINTR)
			break;
		now = mock_now_ms();
		for (int k = 1; k < n; k++) {
			mock_conn *c = &m->conns[idx[k]];
			if (c->fd < 0)
				continue;
			if (pf[k].revents & (POLLIN | POLLHUP | POLLERR))
				mock_on_readable(m, c);
			mock_release_held(m, now);
			if (c->fd >= 0 && c->writing && !c->held)
				mock_on_writable(m, c, now);
		}
		mock_release_held(m, mock_now_ms());
		if (pf[0].revents & POLLIN)
			mock_accept_all(m);
	}
	for (int i = 0; i < m->n_conns; i++)
		if (m->conns[i].fd >= 0)
			mock_conn_close(m, &m->conns[i], 0);
	free(pf);
	free(idx);
	return NULL;
}

static int mock_start_gather(mock_server *m, const mock_step *steps, int n_steps, int gather,
	int gather_ms);
static int mock_start_full(mock_server *m, const mock_step *steps, int n_steps, int gather,
	int gather_ms, char *(*handler)(void *, const char *, size_t), void *ud);

/* Starts the server; returns 0, or -1 when no socket could be bound. */
static inline int mock_start(mock_server *m, const mock_step *steps, int n_steps)
{
	return mock_start_gather(m, steps, n_steps, 0, 0);
}

/* mock_start whose replies are held until `gather` requests wait at once, or the oldest has
 * waited gather_ms (a release by time is counted in n_gather_timeouts): a server that answers
 * only when it sees the client's whole concurrency. */
static int mock_start_full(mock_server *m, const mock_step *steps, int n_steps, int gather,
	int gather_ms, char *(*handler)(void *, const char *, size_t), void *ud)
{
	struct sockaddr_in a;
	socklen_t al = sizeof a;
	memset(m, 0, sizeof *m);
	m->handler = handler;
	m->handler_ud = ud;
	m->steps = steps;
	m->n_steps = n_steps;
	m->gather = gather;
	m->gather_ms = gather_ms;
	if (!(m->conns = calloc(MOCK_MAX_CONN, sizeof *m->conns)))
		return -1;
	for (int i = 0; i < MOCK_MAX_CONN; i++)
		m->conns[i].fd = -1;
	if ((m->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0)
		goto fail;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(m->fd, (struct sockaddr *)&a, sizeof a) || listen(m->fd, 1024) ||
	    getsockname(m->fd, (struct sockaddr *)&a, &al)) {
		close(m->fd);
		goto fail;
	}
	m->port = ntohs(a.sin_port);
	if (pthread_create(&m->th, NULL, mock_main, m)) {
		close(m->fd);
		goto fail;
	}
	return 0;
fail:
	free(m->conns);
	m->conns = NULL;
	return -1;
}

static int mock_start_gather(mock_server *m, const mock_step *steps, int n_steps, int gather,
	int gather_ms)
{
	return mock_start_full(m, steps, n_steps, gather, gather_ms, NULL, NULL);
}

/* Starts a server that answers every request with handler's body (see mock_server.handler). */
static inline int mock_start_handler(mock_server *m, char *(*handler)(void *, const char *, size_t),
	void *ud)
{
	static const mock_step none[1] = { { 500, NULL, "{}", 0, MOCK_FULL, 0 } };
	return mock_start_full(m, none, 1, 0, 0, handler, ud);
}

static void mock_stop(mock_server *m)
{
	m->stop = 1;
	pthread_join(m->th, NULL);
	for (int i = 0; i < MOCK_MAX_CONN; i++)
		free(m->conns[i].owned);
	close(m->fd);
	free(m->conns);
	m->conns = NULL;
}

#endif
