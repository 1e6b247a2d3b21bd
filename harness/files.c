/* harness/files.c — the harness's one door for input files: every path the CLI reads whole
 * (run spec, prompt, quality summaries) or hands on (dataset, model, samples, store) is checked
 * to be a regular file first, so a FIFO or a directory given by mistake is a one-line error and
 * never a reader blocked forever; and the escaping that keeps control characters from inputs
 * out of the terminal. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "harness/harness.h"

/* The path for a message, control characters escaped. */
static const char *shown(const char *path, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", path);
	return hx_escape_ctl(buf, cap);
}

int hx_file_check(const char *path, const char *what, char *err, size_t errlen)
{
	struct stat sb;
	char p[512];
	const char *k;

	if (stat(path, &sb) != 0) {
		int e = errno;
		snprintf(err, errlen, "%s: cannot open %s: %s", shown(path, p, sizeof p), what, strerror(e));
		return e == ENOENT ? 1 : HX_EIO;
	}
	if ((k = tb_file_kind(sb.st_mode))) {
		snprintf(err, errlen, "%s: %s is %s, not a regular file", shown(path, p, sizeof p), what, k);
		return HX_EINVAL;
	}
	return 0;
}

char *hx_file_read(const char *path, const char *what, size_t max_bytes, size_t *len, char *err,
	size_t errlen)
{
	struct stat sb;
	char p[512], *text;
	tb_buf b = { 0 };

	/* the harness's phrasing first (what the input is, both sizes); then base's reader, which
	 * checks again on the open file and refuses one that grew */
	if (hx_file_check(path, what, err, errlen))
		return NULL;
	if (stat(path, &sb) == 0 && (unsigned long long)sb.st_size > max_bytes) {
		snprintf(err, errlen, "%s: %s is %lld bytes, over the limit of %zu bytes (%zu MiB); "
			 "is this the right file?", shown(path, p, sizeof p), what, (long long)sb.st_size,
			 max_bytes, max_bytes >> 20);
		return NULL;
	}
	if (tb_file_read(path, max_bytes, &b, err, errlen)) {
		hx_escape_ctl(err, errlen);
		return NULL;
	}
	if (!(text = tb_buf_detach(&b, len)))
		snprintf(err, errlen, "%s: out of memory reading %s", shown(path, p, sizeof p), what);
	return text;
}

char *hx_escape_ctl(char *s, size_t cap)
{
	size_t n = 0, extra = 0, len;

	if (!s || !cap)
		return s;
	for (len = 0; s[len]; len++)
		if ((unsigned char)s[len] < 0x20 || s[len] == 0x7f)
			extra += strchr("\n\t\r", s[len]) ? 1 : 3;
	if (!extra)
		return s;
	/* Escaped into a copy, then as much as fits is copied back. */
	{
		char *tmp = malloc(len + extra + 1);
		if (!tmp) {   /* no memory for the copy: blank the control bytes instead */
			for (size_t i = 0; i < len; i++)
				if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
					s[i] = '?';
			return s;
		}
		for (size_t i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)s[i];
			if (ch >= 0x20 && ch != 0x7f) {
				tmp[n++] = (char)ch;
			} else if (ch == '\n' || ch == '\t' || ch == '\r') {
				tmp[n++] = '\\';
				tmp[n++] = ch == '\n' ? 'n' : ch == '\t' ? 't' : 'r';
			} else {
				n += (size_t)snprintf(tmp + n, 5, "\\x%02x", ch);
			}
		}
		tmp[n] = 0;
		len = n;
		/* Keep what fits, never half an escape. */
		n = 0;
		for (size_t i = 0; i < len;) {
			size_t w = tmp[i] != '\\' ? 1 : tmp[i + 1] == 'x' ? 4 : 2;
			if (w > len - i)
				w = len - i;
			if (n + w + 1 > cap)
				break;
			memcpy(s + n, tmp + i, w);
			n += w;
			i += w;
		}
		s[n] = 0;
		free(tmp);
	}
	return s;
}
