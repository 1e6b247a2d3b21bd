/* tests/base/test_file.c — tb_file_read (whole file, the cap, a missing file, a directory, a
 * stream) and the atomic writer: the new contents replace the old whole, and a failed or
 * abandoned write leaves the old file intact and no temporary file behind. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "base/base.h"

static char dir[64];

static const char *in_dir(const char *name)
{
	static char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return p;
}

/* Number of entries in the scratch folder whose name holds ".tmp". */
static int n_temp_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)))
		n += strstr(e->d_name, ".tmp") != NULL;
	if (d)
		closedir(d);
	return n;
}

static void write_plain(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_file_read_reads_a_whole_file(void)
{
	tb_buf b = { 0 };
	char err[256] = "";

	write_plain(in_dir("a.txt"), "hello\nworld\n");
	TB_CHECK_INT(tb_file_read(in_dir("a.txt"), 100, &b, err, sizeof err), 0);
	TB_CHECK_STR(tb_buf_str(&b), "hello\nworld\n");
	TB_CHECK_INT(b.len, 12);
	/* appends to what the buffer holds; an empty file gives an empty string */
	write_plain(in_dir("empty.txt"), "");
	TB_CHECK_INT(tb_file_read(in_dir("empty.txt"), 100, &b, err, sizeof err), 0);
	TB_CHECK_INT(b.len, 12);
	tb_buf_release(&b);
	TB_CHECK_INT(tb_file_read(in_dir("empty.txt"), 100, &b, err, sizeof err), 0);
	TB_CHECK(b.p != NULL && b.len == 0 && b.p[0] == 0);
	tb_buf_release(&b);
}

static void test_file_read_refuses_a_file_over_the_cap(void)
{
	tb_buf b = { 0 };
	char err[256] = "";

	write_plain(in_dir("big.txt"), "0123456789");
	TB_CHECK_INT(tb_file_read(in_dir("big.txt"), 10, &b, err, sizeof err), 0);
	tb_buf_release(&b);
	TB_CHECK_INT(tb_file_read(in_dir("big.txt"), 9, &b, err, sizeof err), TB_ETOOBIG);
	TB_CHECK(strstr(err, "big.txt: 10 bytes, larger than the limit of 9 bytes") != NULL);
	TB_CHECK(b.len == 0 && b.p == NULL);
	/* the buffer's own cap applies too */
	tb_buf_init(&b, 5);
	TB_CHECK_INT(tb_file_read(in_dir("big.txt"), 0, &b, err, sizeof err), TB_ETOOBIG);
	TB_CHECK_INT(b.max_bytes, 5);
	TB_CHECK_INT(b.err, 0);
	tb_buf_release(&b);
}

static void test_file_read_names_a_missing_file_and_a_directory(void)
{
	tb_buf b = { 0 };
	char err[256] = "";

	TB_CHECK_INT(tb_file_read(in_dir("absent.txt"), 10, &b, err, sizeof err), TB_EIO);
	TB_CHECK(strstr(err, "absent.txt: cannot open: No such file") != NULL);
	TB_CHECK_INT(tb_file_read(dir, 10, &b, err, sizeof err), TB_EIO);
	TB_CHECK(strstr(err, ": not a regular file (a directory)") != NULL);
	TB_CHECK(b.p == NULL);
}

static void test_file_read_refuses_a_fifo_without_blocking(void)
{
	tb_buf b = { 0 };
	char err[256] = "";

	TB_REQUIRE(mkfifo(in_dir("fifo"), 0600) == 0);
	alarm(10);   /* a blocked open would end the test here */
	TB_CHECK_INT(tb_file_read(in_dir("fifo"), 10, &b, err, sizeof err), TB_EIO);
	alarm(0);
	TB_CHECK(strstr(err, "fifo: not a regular file (a FIFO (named pipe))") != NULL);
	unlink(in_dir("fifo"));
}

static void test_stream_read_reads_a_pipe(void)
{
	tb_buf b;
	FILE *p = popen("printf 'abc'; printf 'def'", "r");

	TB_REQUIRE(p != NULL);
	tb_buf_init(&b, 100);
	TB_CHECK_INT(tb_stream_read(p, &b), 0);
	pclose(p);
	TB_CHECK_STR(tb_buf_str(&b), "abcdef");
	tb_buf_release(&b);
}

static void test_stream_getline_reads_lines_under_the_cap(void)
{
	tb_buf line;
	FILE *f = fopen(in_dir("lines.txt"), "w+b");
	char big[2000];

	TB_REQUIRE(f != NULL);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	fprintf(f, "one\r\n\n%s\nlast", big);
	rewind(f);
	tb_buf_init(&line, 1998);
	TB_CHECK_INT(tb_stream_getline(f, &line), 1);
	TB_CHECK_STR(tb_buf_str(&line), "one\r");
	TB_CHECK_INT(tb_stream_getline(f, &line), 1);    /* an empty line */
	TB_CHECK_INT(line.len, 0);
	TB_CHECK_INT(tb_stream_getline(f, &line), TB_ETOOBIG);   /* 1999 bytes, cap 1998 */
	fclose(f);
	tb_buf_release(&line);
	/* exactly at the cap, and a last line without its newline */
	f = fopen(in_dir("lines.txt"), "rb");
	TB_REQUIRE(f != NULL);
	tb_buf_init(&line, 1999);
	TB_CHECK_INT(tb_stream_getline(f, &line), 1);
	TB_CHECK_INT(tb_stream_getline(f, &line), 1);
	TB_CHECK_INT(tb_stream_getline(f, &line), 1);
	TB_CHECK_INT(line.len, 1999);
	TB_CHECK_INT(tb_stream_getline(f, &line), 1);
	TB_CHECK_STR(tb_buf_str(&line), "last");
	TB_CHECK_INT(tb_stream_getline(f, &line), 0);
	fclose(f);
	tb_buf_release(&line);
}

static void test_atomic_write_replaces_the_file_whole(void)
{
	char err[256] = "", *s;
	tb_afile *a;

	write_plain(in_dir("out.txt"), "old contents");
	TB_CHECK_INT(tb_file_write_atomic(in_dir("out.txt"), "new", 3, err, sizeof err), 0);
	s = tb_slurp(in_dir("out.txt"), NULL);
	TB_CHECK(s && strcmp(s, "new") == 0);
	free(s);
	/* streamed: the old file stays readable until the commit */
	TB_REQUIRE((a = tb_afile_open(in_dir("out.txt"), err, sizeof err)) != NULL);
	fputs("streamed ", tb_afile_stream(a));
	fprintf(tb_afile_stream(a), "%d", 7);
	s = tb_slurp(in_dir("out.txt"), NULL);
	TB_CHECK(s && strcmp(s, "new") == 0);
	free(s);
	TB_CHECK_INT(n_temp_files(), 1);
	TB_CHECK_INT(tb_afile_commit(a, err, sizeof err), 0);
	s = tb_slurp(in_dir("out.txt"), NULL);
	TB_CHECK(s && strcmp(s, "streamed 7") == 0);
	free(s);
	TB_CHECK_INT(n_temp_files(), 0);
}

static void test_atomic_write_that_fails_leaves_the_old_file_intact(void)
{
	static char big[1 << 16];
	char err[256] = "", *s;
	struct rlimit old, lim;
	void (*prev)(int);
	int rc;

	write_plain(in_dir("keep.txt"), "the old file");
	/* a file size limit makes the write itself fail (EFBIG) */
	memset(big, 'z', sizeof big);
	TB_REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
	lim = old;
	lim.rlim_cur = 4096;
	prev = signal(SIGXFSZ, SIG_IGN);
	TB_REQUIRE(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	rc = tb_file_write_atomic(in_dir("keep.txt"), big, sizeof big, err, sizeof err);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, prev);
	TB_CHECK_INT(rc, TB_EIO);
	TB_CHECK(strstr(err, "write failed") != NULL);
	s = tb_slurp(in_dir("keep.txt"), NULL);
	TB_CHECK(s && strcmp(s, "the old file") == 0);
	free(s);
	TB_CHECK_INT(n_temp_files(), 0);
}

static void test_atomic_write_abandoned_or_unplaceable_leaves_the_old_file(void)
{
	char err[256] = "", *s;
	tb_afile *a;

	write_plain(in_dir("keep2.txt"), "old");
	TB_REQUIRE((a = tb_afile_open(in_dir("keep2.txt"), err, sizeof err)) != NULL);
	fputs("half", tb_afile_stream(a));
	tb_afile_abort(a);
	tb_afile_abort(NULL);
	s = tb_slurp(in_dir("keep2.txt"), NULL);
	TB_CHECK(s && strcmp(s, "old") == 0);
	free(s);
	TB_CHECK_INT(n_temp_files(), 0);
	/* a folder that does not exist: the error names the temporary file */
	TB_CHECK(tb_afile_open(in_dir("no/such/file"), err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "no/such/file.tmp") != NULL && strstr(err, "cannot create") != NULL);
	/* a folder in the way of the rename */
	TB_CHECK(tb_file_write_atomic(dir, "x", 1, err, sizeof err) == TB_EIO);
	TB_CHECK(strstr(err, "cannot rename") != NULL);
	TB_CHECK_INT(n_temp_files(), 0);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/tb_base_XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	TB_RUN(test_file_read_reads_a_whole_file);
	TB_RUN(test_file_read_refuses_a_file_over_the_cap);
	TB_RUN(test_file_read_names_a_missing_file_and_a_directory);
	TB_RUN(test_file_read_refuses_a_fifo_without_blocking);
	TB_RUN(test_stream_read_reads_a_pipe);
	TB_RUN(test_stream_getline_reads_lines_under_the_cap);
	TB_RUN(test_atomic_write_replaces_the_file_whole);
	TB_RUN(test_atomic_write_that_fails_leaves_the_old_file_intact);
	TB_RUN(test_atomic_write_abandoned_or_unplaceable_leaves_the_old_file);
	tb_rmtree(dir);
	return tb_test_end();
}
