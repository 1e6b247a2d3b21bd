/* tests/mock/mock.h — a loopback HTTP/1.1 server for provider tests: listens on an ephemeral
 * 127.0.0.1 port in its own thread and answers the n-th request with the n-th step of a script
 * (the last step repeats), replaying fixture bodies and injecting faults: any status and
 * headers, reset mid-body, graceful close mid-body, slow trickle, accept and never answer.
 * Header-only, one server per mock_server struct; connections are served one at a time. */
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

enum { MOCK_FULL, MOCK_RESET_MID, MOCK_CLOSE_MID, MOCK_TRICKLE, MOCK_SILENT };

typedef struct mock_step {
	int status;
	const char *headers;  /* extra header lines, each ending in "\r\n", or NULL */
	const char *body;
	size_t body_len;      /* 0 = strlen(body) */
	int mode;
	int trickle_ms;       /* MOCK_TRICKLE: pause between 16-byte pieces */
} mock_step;

typedef struct mock_server {
	int fd, port;
	pthread_t th;
	volatile int stop;
	const mock_step *steps;
	int n_steps;
	int n_requests;
	char last_request[8192];   /* headers and body of the latest request (truncated) */
} mock_server;

static void mock_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int mock_send(int c, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(c, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads one request (headers + Content-Length body) into last_request. 0 ok, -1 closed. */
static int mock_read_request(mock_server *m, int c)
{
	char buf[65536];
	size_t len = 0, need = 0;
	char *end = NULL;
	while (!m->stop) {
		struct pollfd p = { c, POLLIN, 0 };
		ssize_t r;
		if (poll(&p, 1, 50) <= 0)
			continue;
		r = recv(c, buf + len, sizeof buf - 1 - len, 0);
		if (r <= 0)
			return -1;
		len += (size_t)r;
		buf[len] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			char *cl = strcasestr(buf, "content-length:");
			need = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0);
		}
		if ((end && len >= need) || len == sizeof buf - 1)
			break;
	}
	len = len < sizeof m->last_request - 1 ? len : sizeof m->last_request - 1;
	memcpy(m->last_request, buf, len);
	m->last_request[len] = '\0';
	return m->stop ? -1 : 0;
}

static void mock_serve(mock_server *m, int c)
{
	const mock_step *s;
	char head[1024];
	size_t n;
	if (mock_read_request(m, c))
		return;
	s = &m->steps[m->n_requests < m->n_steps ? m->n_requests : m->n_steps - 1];
	m->n_requests++;
	if (s->mode == MOCK_SILENT) {
		while (!m->stop) {
			struct pollfd p = { c, POLLIN, 0 };
			char b[256];
			if (poll(&p, 1, 50) > 0 && recv(c, b, sizeof b, 0) <= 0)
				break;
		}
		return;
	}
	n = s->body ? (s->body_len ? s->body_len : strlen(s->body)) : 0;
	snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nConnection: close\r\n%s\r\n", s->status,
		s->headers ? s->headers : "");
	if (mock_send(c, head, strlen(head)))
		return;
	if (s->mode == MOCK_RESET_MID || s->mode == MOCK_CLOSE_MID) {
		mock_send(c, s->body, n / 2);
		if (s->mode == MOCK_RESET_MID) {
			struct linger lg = { 1, 0 };
			setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		}
		return;
	}
	if (s->mode == MOCK_TRICKLE) {
		for (size_t i = 0; i < n && !m->stop; i += 16) {
			if (mock_send(c, s->body + i, n - i < 16 ? n - i : 16))
				return;
			mock_sleep_ms(s->trickle_ms);
		}
		return;
	}
	mock_send(c, s->body, n);
}

static void *mock_main(void *arg)
{
	mock_server *m = arg;
	while (!m->stop) {
		struct pollfd p = { m->fd, POLLIN, 0 };
		int c;
		if (poll(&p, 1, 50) <= 0)
			continue;
		if ((c = accept(m->fd, NULL, NULL)) < 0)
			continue;
		mock_serve(m, c);
		close(c);
	}
	return NULL;
}

/* Starts the server; returns 0, or -1 when no socket could be bound. */
static int mock_start(mock_server *m, const mock_step *steps, int n_steps)
{
	struct sockaddr_in a;
	socklen_t al = sizeof a;
	memset(m, 0, sizeof *m);
	m->steps = steps;
	m->n_steps = n_steps;
	if ((m->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(m->fd, (struct sockaddr *)&a, sizeof a) || listen(m->fd, 512) ||
	    getsockname(m->fd, (struct sockaddr *)&a, &al)) {
		close(m->fd);
		return -1;
	}
	m->port = ntohs(a.sin_port);
	if (pthread_create(&m->th, NULL, mock_main, m)) {
		close(m->fd);
		return -1;
	}
	return 0;
}

static void mock_stop(mock_server *m)
{
	m->stop = 1;
	pthread_join(m->th, NULL);
	close(m->fd);
}

#endif
