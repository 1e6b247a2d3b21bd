/* providers/stream.c — the byte-level readers under every remote provider: an incremental
 * Server-Sent Events parser (WHATWG HTML "server-sent events", section "interpreting an event
 * stream") and a newline-delimited JSON line reader, over base/'s capped tb_buf. Both accept
 * input split at any byte boundary and never hold more than their cap. */
#include <stdlib.h>
#include <string.h>

#include "providers/provider_impl.h"

int prov_buf_add(tb_buf *b, const void *p, size_t n)
{
	int rc = tb_buf_add(b, p, n);

	return rc == 0 ? 0 : rc == TB_ETOOBIG ? PROV_EIO : PROV_ENOMEM;
}
/* ---- SSE ---- */

void prov_sse_init(prov_sse *s, size_t max_event_bytes, prov_sse_fn fn, prov_sse_other_fn other,
	void *ud)
{
	memset(s, 0, sizeof *s);
	s->line.max_bytes = s->data.max_bytes = max_event_bytes;
	s->event.max_bytes = s->id.max_bytes = 4096;
	s->retry_ms = -1;
	s->fn = fn;
	s->other = other;
	s->ud = ud;
}

void prov_sse_release(prov_sse *s)
{
	tb_buf_release(&s->line);
	tb_buf_release(&s->data);
	tb_buf_release(&s->event);
	tb_buf_release(&s->id);
}

static int sse_dispatch(prov_sse *s)
{
	prov_sse_event ev;
	int rc = 0;

	if (s->data.len == 0 && !s->data_seen) {
		tb_buf_reset(&s->event);
		return 0;
	}
	/* The data buffer ends with the "\n" added after each data line; drop the last one. */
	if (s->data.len && s->data.p[s->data.len - 1] == '\n')
		s->data.p[--s->data.len] = '\0';
	ev.event = s->event.len ? tb_buf_str(&s->event) : "message";
	ev.data = tb_buf_str(&s->data);
	ev.data_len = s->data.len;
	ev.id = tb_buf_str(&s->id);
	s->n_events++;
	rc = s->fn(s->ud, &ev);
	tb_buf_reset(&s->data);
	tb_buf_reset(&s->event);
	s->data_seen = 0;
	return rc;
}

/* One complete line without its terminator. */
static int sse_line(prov_sse *s, const char *l, size_t n)
{
	const char *colon, *v;
	size_t fn, vn;
	int rc;

	if (n == 0)
		return sse_dispatch(s);
	if (l[0] == ':')
		return 0;   /* comment */
	colon = memchr(l, ':', n);
	fn = colon ? (size_t)(colon - l) : n;
	v = colon ? colon + 1 : l + n;
	vn = colon ? n - fn - 1 : 0;
	if (vn && v[0] == ' ') {
		v++;
		vn--;
	}
	if (fn == 4 && memcmp(l, "data", 4) == 0) {
		s->data_seen = 1;
		if ((rc = prov_buf_add(&s->data, v, vn)) || (rc = prov_buf_add(&s->data, "\n", 1)))
			return rc;
	} else if (fn == 5 && memcmp(l, "event", 5) == 0) {
		tb_buf_reset(&s->event);
		if ((rc = prov_buf_add(&s->event, v, vn)))
			return rc;
	} else if (fn == 2 && memcmp(l, "id", 2) == 0) {
		if (!memchr(v, '\0', vn)) {
			tb_buf_reset(&s->id);
			if ((rc = prov_buf_add(&s->id, v, vn)))
				return rc;
		}
	} else if (fn == 5 && memcmp(l, "retry", 5) == 0) {
		long ms = 0;
		size_t i;
		for (i = 0; i < vn && v[i] >= '0' && v[i] <= '9' && ms < 100000000; i++)
			ms = ms * 10 + (v[i] - '0');
		if (vn && i == vn)
			s->retry_ms = ms;
	} else if (s->other) {
		return s->other(s->ud, l, n);
	}
	return 0;
}

int prov_sse_feed(prov_sse *s, const char *p, size_t n)
{
	size_t i = 0;
	int rc;

	while (i < n) {
		size_t start = i;
		if (s->skip_lf) {
			s->skip_lf = 0;
			if (p[i] == '\n') {
				i++;
				continue;
			}
		}
		/* A UTF-8 byte order mark at the very start of the stream is ignored. */
		if (!s->started) {
			static const char bom[3] = { '\xEF', '\xBB', '\xBF' };
			while (i < n && s->bom_seen < 3 && p[i] == bom[s->bom_seen]) {
				i++;
				s->bom_seen++;
			}
			if (i == n && s->bom_seen < 3)
				return 0;
			if (s->bom_seen && s->bom_seen < 3 &&
			    (rc = prov_buf_add(&s->line, bom, (size_t)s->bom_seen)))
				return rc;
			s->started = 1;
			start = i;
		}
		while (i < n && p[i] != '\n' && p[i] != '\r')
			i++;
		if (i == n)
			return prov_buf_add(&s->line, p + start, n - start);
		if (p[i] == '\r')
			s->skip_lf = 1;
		if (s->line.len) {
			if ((rc = prov_buf_add(&s->line, p + start, i - start)))
				return rc;
			rc = sse_line(s, s->line.p, s->line.len);
			tb_buf_reset(&s->line);
		} else {
			rc = sse_line(s, p + start, i - start);
		}
		if (rc)
			return rc;
		i++;
	}
	return 0;
}

int prov_sse_finish(prov_sse *s)
{
	int rc = 0;
	/* Servers often close right after the last data line without the blank line; the
	 * pending event is delivered so the dialect, not the framing, judges completeness. */
	if (s->line.len) {
		rc = sse_line(s, s->line.p, s->line.len);
		tb_buf_reset(&s->line);
	}
	if (!rc && s->data_seen)
		rc = sse_dispatch(s);
	return rc;
}

/* ---- NDJSON ---- */

void prov_ndjson_init(prov_ndjson *r, size_t max_line_bytes, prov_line_fn fn, void *ud)
{
	memset(r, 0, sizeof *r);
	r->line.max_bytes = max_line_bytes;
	r->fn = fn;
	r->ud = ud;
}

void prov_ndjson_release(prov_ndjson *r)
{
	tb_buf_release(&r->line);
}

static int nd_line(prov_ndjson *r, const char *l, size_t n)
{
	while (n && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
		n--;
	while (n && (l[0] == ' ' || l[0] == '\t')) {
		l++;
		n--;
	}
	if (!n)
		return 0;
	r->n_lines++;
	return r->fn(r->ud, l, n);
}

int prov_ndjson_feed(prov_ndjson *r, const char *p, size_t n)
{
	size_t i = 0;
	int rc;

	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		if (!nl)
			return prov_buf_add(&r->line, p + i, n - i);
		if (r->line.len) {
			if ((rc = prov_buf_add(&r->line, p + i, (size_t)(nl - (p + i)))))
				return rc;
			rc = nd_line(r, r->line.p, r->line.len);
			tb_buf_reset(&r->line);
		} else {
			rc = nd_line(r, p + i, (size_t)(nl - (p + i)));
		}
		if (rc)
			return rc;
		i = (size_t)(nl - p) + 1;
	}
	return 0;
}

int prov_ndjson_finish(prov_ndjson *r)
{
	int rc = 0;
	if (r->line.len) {
		rc = nd_line(r, r->line.p, r->line.len);
		tb_buf_reset(&r->line);
	}
	return rc;
}
