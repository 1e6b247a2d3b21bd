/* base/file.c — whole-file reading into a capped tb_buf, and the atomic writer: a temporary
 * file beside the target, flushed, fsynced and renamed over it, so a reader sees the old file
 * or the new one, never a part (base/base.h). The only state is the temporary-name counter. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"

int tb_stream_read(FILE *f, tb_buf *out)
{
	char chunk[65536];
	size_t k;
	int rc;

	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
		if ((rc = tb_buf_add(out, chunk, k)))
			return rc;
	return ferror(f) ? TB_EIO : tb_buf_add(out, "", 0);
}

int tb_stream_getline(FILE *f, tb_buf *line)
{
	char chunk[512];
	size_t k = 0;
	int c, any = 0, rc;

	tb_buf_reset(line);
	while ((c = getc(f)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		chunk[k++] = (char)c;
		if (k == sizeof chunk) {
			if ((rc = tb_buf_add(line, chunk, k)))
				return rc;
			k = 0;
		}
	}
	if (c == EOF && ferror(f))
		return TB_EIO;
	if (!any)
		return 0;
	return (rc = tb_buf_add(line, chunk, k)) ? rc : 1;
}

const char *tb_file_kind(unsigned int st_mode)
{
	mode_t m = (mode_t)st_mode;

	return S_ISREG(m) ? NULL : S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO (named pipe)" :
		S_ISSOCK(m) ? "a socket" : S_ISCHR(m) ? "a character device" :
		S_ISBLK(m) ? "a block device" : "an unknown kind of file";
}

int tb_file_read(const char *path, size_t max_bytes, tb_buf *out, char *err, size_t errlen)
{
	size_t keep = out->max_bytes, start = out->len, limit;
	struct stat st;
	const char *k;
	FILE *f = NULL;
	int fd, rc;

	/* O_NONBLOCK: a FIFO given by mistake is refused below instead of blocking the open */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return TB_EIO;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		close(fd);
		return TB_EIO;
	}
	if ((k = tb_file_kind(st.st_mode))) {
		snprintf(err, errlen, "%s: not a regular file (%s)", path, k);
		close(fd);
		return TB_EIO;
	}
	/* the file's own cap, on top of what out already holds (and under out's own cap) */
	limit = keep ? keep - (start < keep ? start : keep) : (size_t)-1 / 2 - start;
	if (max_bytes && max_bytes < limit)
		limit = max_bytes;
	if ((unsigned long long)st.st_size > limit) {
		snprintf(err, errlen, "%s: %lld bytes, larger than the limit of %zu bytes", path,
			 (long long)st.st_size, limit);
		close(fd);
		return TB_ETOOBIG;
	}
	if (!(f = fdopen(fd, "rb"))) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		close(fd);
		return TB_EIO;
	}
	out->max_bytes = start + limit;
	errno = 0;
	rc = tb_stream_read(f, out);   /* the size can change under us: the cap still holds */
	out->max_bytes = keep;
	if (rc == TB_ETOOBIG)
		snprintf(err, errlen, "%s: grew past the limit of %zu bytes while being read", path, limit);
	else if (rc == TB_EIO)
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno ? errno : EIO));
	else if (rc)
		snprintf(err, errlen, "%s: %s", path, tb_strerror(rc));
	fclose(f);
	if (rc) {
		out->err = 0;
		out->len = start;
		if (out->p)
			out->p[start] = 0;
		if (!start)
			tb_buf_release(out);
	}
	return rc;
}

struct tb_afile {
	FILE *f;
	char *path;     /* the final name */
	char *tmp;      /* "PATH.tmp.PID.N" beside it */
};

static atomic_uint afile_seq;   /* makes temporary names unique within the process */

tb_afile *tb_afile_open(const char *path, char *err, size_t errlen)
{
	tb_afile *a = calloc(1, sizeof *a);
	size_t n = strlen(path) + 48;
	int fd;

	if (!a || !(a->path = strdup(path)) || !(a->tmp = malloc(n))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	snprintf(a->tmp, n, "%s.tmp.%ld.%u", path, (long)getpid(), atomic_fetch_add(&afile_seq, 1));
	if ((fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)) < 0) {
		snprintf(err, errlen, "%s: cannot create: %s", a->tmp, strerror(errno));
		goto fail;
	}
	if (!(a->f = fdopen(fd, "wb"))) {
		snprintf(err, errlen, "%s: cannot create: %s", a->tmp, strerror(errno));
		close(fd);
		unlink(a->tmp);
		goto fail;
	}
	return a;
fail:
	if (a) {
		free(a->path);
		free(a->tmp);
		free(a);
	}
	return NULL;
}

FILE *tb_afile_stream(tb_afile *a)
{
	return a->f;
}

static void afile_free(tb_afile *a)
{
	free(a->path);
	free(a->tmp);
	free(a);
}

int tb_afile_commit(tb_afile *a, char *err, size_t errlen)
{
	int bad;

	errno = 0;
	bad = ferror(a->f) || fflush(a->f) || fsync(fileno(a->f));
	if (bad) {
		snprintf(err, errlen, "%s: write failed: %s", a->tmp, errno ? strerror(errno) : "write error");
		fclose(a->f);
		goto fail;
	}
	if (fclose(a->f)) {
		snprintf(err, errlen, "%s: write failed: %s", a->tmp, strerror(errno));
		goto fail;
	}
	if (rename(a->tmp, a->path)) {
		snprintf(err, errlen, "%s: cannot rename %s into place: %s", a->path, a->tmp, strerror(errno));
		goto fail;
	}
	afile_free(a);
	return 0;
fail:
	unlink(a->tmp);
	afile_free(a);
	return TB_EIO;
}

void tb_afile_abort(tb_afile *a)
{
	if (!a)
		return;
	fclose(a->f);
	unlink(a->tmp);
	afile_free(a);
}

int tb_file_write_atomic(const char *path, const void *data, size_t n, char *err, size_t errlen)
{
	tb_afile *a = tb_afile_open(path, err, errlen);

	if (!a)
		return TB_EIO;
	if (n && fwrite(data, 1, n, a->f) != n) {
		snprintf(err, errlen, "%s: write failed: %s", a->tmp, strerror(errno));
		tb_afile_abort(a);
		return TB_EIO;
	}
	return tb_afile_commit(a, err, errlen);
}
