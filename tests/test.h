/* tests/test.h — the project's tiny test framework. Each test file is one program whose main()
 * calls TB_RUN(test_fn) for each test and returns tb_test_end(). Output per test:
 * "ok <name>", "FAIL <name>: file:line: what", "skip <name>: why", and at the end the line
 * "# counts P F S" that tests/run-tests.sh adds up. Header-only; state is static per program.
 * TB_ONLY (see TB_RUN) narrows a run to some tests. */
#ifndef TB_TEST_H
#define TB_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tb_t_passed, tb_t_failed, tb_t_skipped;
static int tb_t_cur_failed, tb_t_cur_skipped;
static char tb_t_skip_why[256];

#define TB_CHECK(cond) do { if (!(cond)) { \
	printf("  check failed: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	tb_t_cur_failed = 1; } } while (0)

/* Like TB_CHECK but ends the test at once. */
#define TB_REQUIRE(cond) do { if (!(cond)) { \
	printf("  required: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	tb_t_cur_failed = 1; return; } } while (0)

#define TB_CHECK_STR(a, b) do { const char *tb_a_ = (a), *tb_b_ = (b); \
	if (!tb_a_ || !tb_b_ || strcmp(tb_a_, tb_b_) != 0) { \
	printf("  check failed: %s:%d: %s == %s (\"%s\" vs \"%s\")\n", __FILE__, __LINE__, #a, #b, \
		tb_a_ ? tb_a_ : "(null)", tb_b_ ? tb_b_ : "(null)"); tb_t_cur_failed = 1; } } while (0)

#define TB_CHECK_INT(a, b) do { long long tb_a_ = (long long)(a), tb_b_ = (long long)(b); \
	if (tb_a_ != tb_b_) { printf("  check failed: %s:%d: %s == %s (%lld vs %lld)\n", \
		__FILE__, __LINE__, #a, #b, tb_a_, tb_b_); tb_t_cur_failed = 1; } } while (0)

#define TB_CHECK_NEAR(a, b, tol) do { double tb_a_ = (a), tb_b_ = (b); \
	if (!(fabs(tb_a_ - tb_b_) <= (tol))) { printf("  check failed: %s:%d: %s ~ %s (%.9g vs %.9g, tol %g)\n", \
		__FILE__, __LINE__, #a, #b, tb_a_, tb_b_, (double)(tol)); tb_t_cur_failed = 1; } } while (0)

/* Skips the current test with a reason; use as the last statement before return. */
#define TB_SKIP(...) do { snprintf(tb_t_skip_why, sizeof tb_t_skip_why, __VA_ARGS__); \
	tb_t_cur_skipped = 1; return; } while (0)

/* TB_ONLY=SUBSTRING in the environment runs only the tests whose names contain it (the others
 * are neither run nor counted), for working on one test of a long file. */
#define TB_RUN(fn) do { const char *tb_only_ = getenv("TB_ONLY"); \
	if (tb_only_ && *tb_only_ && !strstr(#fn, tb_only_)) break; \
	tb_t_cur_failed = 0; tb_t_cur_skipped = 0; fflush(stdout); fn(); \
	if (tb_t_cur_failed) { tb_t_failed++; printf("FAIL %s\n", #fn); } \
	else if (tb_t_cur_skipped) { tb_t_skipped++; printf("skip %s: %s\n", #fn, tb_t_skip_why); } \
	else { tb_t_passed++; printf("ok %s\n", #fn); } fflush(stdout); } while (0)

static inline int tb_test_end(void)
{
	printf("# counts %d %d %d\n", tb_t_passed, tb_t_failed, tb_t_skipped);
	return tb_t_failed ? 1 : 0;
}

/* The shared reference data folder (../shared beside the checkout), or NULL when absent.
 * TB_SHARED in the environment overrides. */
static inline const char *tb_shared_dir(void)
{
	const char *e = getenv("TB_SHARED");
	static const char *cands[] = { "../shared", "../../shared" };
	FILE *f;
	char p[512];
	if (e && *e)
		return e;
	for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
		snprintf(p, sizeof p, "%s/ARCHITECTURE.md", cands[i]);
		if ((f = fopen(p, "r")) != NULL) {
			fclose(f);
			return cands[i];
		}
	}
	return NULL;
}

/* Reads a whole file into a NUL-terminated heap buffer; *n (when not NULL) gets its length.
 * NULL when it cannot be read. Ownership: caller frees. */
static inline char *tb_slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)len + 1)) != NULL && fread(buf, 1, (size_t)len, f) == (size_t)len) {
		buf[len] = 0;
		if (n)
			*n = (size_t)len;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Removes a scratch folder made by a test (best effort; reports a failure to remove it). */
static inline void tb_rmtree(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("  could not remove %s\n", dir);
}

#endif
