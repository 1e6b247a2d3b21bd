/* base/buf.c — tb_buf, the project's one growable byte buffer: doubles its storage, keeps a
 * terminating NUL, refuses to pass its cap, and remembers its first failure (base/base.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

const char *tb_strerror(int code)
{
	switch (code) {
	case TB_OK: return "ok";
	case TB_ENOMEM: return "out of memory";
	case TB_ETOOBIG: return "larger than allowed";
	case TB_EIO: return "input/output error";
	default: return "unknown error";
	}
}

void tb_buf_init(tb_buf *b, size_t max_bytes)
{
	memset(b, 0, sizeof *b);
	b->max_bytes = max_bytes;
}

/* Room for need more bytes and a NUL. 0, or the failure (recorded in b->err). */
static int buf_reserve(tb_buf *b, size_t need)
{
	size_t max = b->max_bytes ? b->max_bytes : (size_t)-1 / 2, want, c;
	char *q;

	if (b->err)
		return b->err;
	if (need > max || b->len > max - need)
		return b->err = TB_ETOOBIG;
	want = b->len + need + 1;
	if (want <= b->cap)
		return 0;
	c = b->cap ? b->cap : 64;
	while (c < want)
		c = c > (size_t)-1 / 4 ? want : c * 2;
	if (c > max + 1)
		c = max + 1;     /* never more than the cap can use */
	if (!(q = realloc(b->p, c)))
		return b->err = TB_ENOMEM;
	b->p = q;
	b->cap = c;
	return 0;
}

int tb_buf_add(tb_buf *b, const void *p, size_t n)
{
	int rc = buf_reserve(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

int tb_buf_adds(tb_buf *b, const char *s)
{
	return tb_buf_add(b, s, strlen(s));
}

int tb_buf_vaddf(tb_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n, rc;
	char small[256];

	if (b->err)
		return b->err;
	va_copy(aq, ap);
	n = vsnprintf(small, sizeof small, fmt, aq);
	va_end(aq);
	if (n < 0)
		return b->err = TB_ENOMEM;
	if ((size_t)n < sizeof small)
		return tb_buf_add(b, small, (size_t)n);
	if ((rc = buf_reserve(b, (size_t)n)))
		return rc;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int tb_buf_addf(tb_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = tb_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *tb_buf_str(const tb_buf *b)
{
	return b->p ? b->p : "";
}

char *tb_buf_detach(tb_buf *b, size_t *len)
{
	char *r;

	if (b->err) {
		tb_buf_release(b);
		return NULL;
	}
	r = b->p ? b->p : calloc(1, 1);
	if (len)
		*len = r ? b->len : 0;
	b->p = NULL;
	b->len = b->cap = 0;
	return r;
}

void tb_buf_reset(tb_buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->p)
		b->p[0] = 0;
}

void tb_buf_release(tb_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}
