/* base/base.h — the base layer every module may use (on the model of curl's curlx): one capped
 * growable buffer, one whole-file reader, one atomic file writer (temp file, fsync, rename), one
 * path resolver and `mkdir -p`. Depends on libc only; prefix tb_. docs/base.md describes it. */
#ifndef TB_BASE_H
#define TB_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#if defined(__GNUC__)
#define TB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TB_PRINTF(a, b)
#endif

/* Status codes (negative); tb_strerror gives a phrase. */
enum { TB_OK = 0, TB_ENOMEM = -1, TB_ETOOBIG = -2, TB_EIO = -3 };
/* Ownership: static string. */
const char *tb_strerror(int code);

/* ------------------------------------------------------------------ buffer */

/* A growable byte buffer, NUL-terminated once anything was added, that refuses to grow past
 * max_bytes. Zeroed (or tb_buf_init) is empty; max_bytes 0 means no cap (only for text the
 * program builds itself: every buffer filled from untrusted bytes sets one). The first failed
 * append is kept in err and every later append does nothing and returns it, so a builder may
 * check once at the end (tb_buf_detach) or after each call. */
typedef struct tb_buf {
	char *p;            /* [cap] the bytes and a NUL; NULL until the first append */
	size_t len;         /* bytes held, without the NUL */
	size_t cap;         /* bytes allocated */
	size_t max_bytes;   /* the most len may reach; 0: no cap */
	int err;            /* 0, or the first append's failure (TB_ENOMEM, TB_ETOOBIG) */
} tb_buf;

/* An empty buffer that holds at most max_bytes (0: no cap). */
void tb_buf_init(tb_buf *b, size_t max_bytes);
/* Appends n bytes: 0, TB_ENOMEM, or TB_ETOOBIG when len would pass max_bytes (nothing added). */
int tb_buf_add(tb_buf *b, const void *p, size_t n);
/* Appends a C string (as tb_buf_add). */
int tb_buf_adds(tb_buf *b, const char *s);
/* Appends printf-formatted text (as tb_buf_add). */
int tb_buf_addf(tb_buf *b, const char *fmt, ...) TB_PRINTF(2, 3);
int tb_buf_vaddf(tb_buf *b, const char *fmt, va_list ap) TB_PRINTF(2, 0);
/* The contents as a C string ("" when empty). Ownership: borrowed from b until it changes. */
const char *tb_buf_str(const tb_buf *b);
/* Takes the contents (NUL-terminated; "" when empty) and leaves b empty with its cap; *len (when
 * not NULL) gets their length. NULL when an append had failed (the contents are dropped) or on
 * ENOMEM. Ownership: caller frees the result. */
char *tb_buf_detach(tb_buf *b, size_t *len);
/* Empties b (and clears err), keeping the storage. */
void tb_buf_reset(tb_buf *b);
/* Frees the storage and clears err; max_bytes is kept. */
void tb_buf_release(tb_buf *b);

/* ------------------------------------------------------------------ files */

/* Appends everything f still holds (to EOF) to out, whose cap applies: 0, TB_ETOOBIG, TB_ENOMEM
 * or TB_EIO (a read error; errno tells which). Works on pipes and decompressing streams. */
int tb_stream_read(FILE *f, tb_buf *out);

/* What a file of mode st_mode (struct stat's st_mode) is, for a message: "a directory", "a FIFO
 * (named pipe)", "a socket", "a character device", "a block device"; NULL for a regular file.
 * Ownership: static string. */
const char *tb_file_kind(unsigned int st_mode);

/* Reads one line of f into line (emptied first; its cap applies), without the "\n". Returns 1
 * for a line (the last may lack its "\n"), 0 at end of file, TB_ETOOBIG for a line longer than
 * the cap (the rest of it unread), TB_ENOMEM, or TB_EIO on a read error (errno tells which; a
 * line cut by the error is not returned). Bytes are kept as read: a NUL or "\r" stays. */
int tb_stream_getline(FILE *f, tb_buf *line);

/* Reads the whole regular file at path into out (appended; NUL-terminated), refusing one longer
 * than max_bytes (0: no limit of its own) or than out's cap allows. Opened with O_NONBLOCK and
 * checked with fstat, so a FIFO or a directory given by mistake is an error, never a blocked
 * read; a file over the limit is refused before reading. Returns 0, or a TB_E* code with one line
 * in err: "PATH: cannot open: REASON", "PATH: not a regular file (a FIFO (named pipe))",
 * "PATH: N bytes, larger than the limit of M bytes", "PATH: grew past the limit ...",
 * "PATH: cannot read: REASON". On failure out is left as it was. Ownership: out's storage is
 * the caller's (tb_buf_release). */
int tb_file_read(const char *path, size_t max_bytes, tb_buf *out, char *err, size_t errlen);

/* A file being written beside its final path, which it replaces whole on tb_afile_commit or not
 * at all: readers of path never see it half-written, and a failed write leaves the old file. */
typedef struct tb_afile tb_afile;

/* Creates a new temporary file "PATH.tmp.PID.N" in path's folder (mode 0666 less the umask).
 * NULL with one line in err when it cannot. Ownership: ends with tb_afile_commit or
 * tb_afile_abort, which free it. */
tb_afile *tb_afile_open(const char *path, char *err, size_t errlen);
/* The stream to write to. Ownership: borrowed from a; do not fclose it. */
FILE *tb_afile_stream(tb_afile *a);
/* Flushes, fsyncs and closes the temporary file and renames it over path. Returns 0, or TB_EIO
 * with one line in err (a write error seen on the stream, a failed flush, sync or rename): the
 * temporary file is then removed and path untouched. Frees a either way. */
int tb_afile_commit(tb_afile *a, char *err, size_t errlen);
/* Closes and removes the temporary file; path untouched. Frees a; NULL does nothing. */
void tb_afile_abort(tb_afile *a);
/* n bytes written to path atomically (tb_afile_open + commit). 0, or TB_E* with err. */
int tb_file_write_atomic(const char *path, const void *data, size_t n, char *err, size_t errlen);

/* ------------------------------------------------------------------ paths */

/* path resolved against the folder base: path itself when it is absolute or base is NULL, ""
 * or "."; else "base/path". NULL on ENOMEM. Ownership: caller frees. */
char *tb_path_resolve(const char *base, const char *path);
/* The folder part of path ("." when it has none, "/" for a file at the root).
 * NULL on ENOMEM. Ownership: caller frees. */
char *tb_path_dir(const char *path);
/* Creates the folder path and every missing parent (mode 0777 less the umask); an existing
 * folder is fine. Returns 0, or TB_EIO with one line in err naming the component that failed
 * ("PATH: cannot create folder: REASON"; a file in the way gives "Not a directory"). */
int tb_mkdir_p(const char *path, char *err, size_t errlen);
/* Path of a data file tierbench ships (datasets/NAME): $ENV_VAR when set and not empty, else
 * datasets/NAME found by walking up from the running binary (a build tree: bin/,
 * build/<config>/, build/<config>/tests/x/), else share/tierbench/datasets/NAME beside it (an
 * install). Writes it into buf and returns buf, or NULL when none is readable. Ownership: buf
 * is the caller's. */
const char *tb_data_file(const char *env_var, const char *name, char *buf, size_t n);

#endif
