/* tests/base/test_buf.c — tb_buf: growth, the cap (exactly at it, one past it, sticky after),
 * formatted appends longer than the small stack buffer, detach and reset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "base/base.h"

static void test_buf_grows_and_stays_nul_terminated(void)
{
	tb_buf b = { 0 };
	char *s;
	size_t n = 0;

	TB_CHECK_STR(tb_buf_str(&b), "");
	for (int i = 0; i < 10000; i++)
		TB_REQUIRE(tb_buf_add(&b, "abc", 3) == 0);
	TB_CHECK_INT(b.len, 30000);
	TB_CHECK(b.p[b.len] == 0);
	TB_CHECK(strncmp(tb_buf_str(&b) + 29997, "abc", 4) == 0);
	s = tb_buf_detach(&b, &n);
	TB_CHECK_INT(n, 30000);
	TB_CHECK(s && strlen(s) == 30000);
	TB_CHECK(b.p == NULL && b.len == 0);
	free(s);
}

static void test_buf_cap_allows_exactly_max_bytes_and_refuses_one_more(void)
{
	tb_buf b;

	tb_buf_init(&b, 10);
	TB_CHECK_INT(tb_buf_add(&b, "12345678", 8), 0);
	TB_CHECK_INT(tb_buf_add(&b, "9a", 2), 0);
	TB_CHECK_INT(b.len, 10);
	TB_CHECK_INT(tb_buf_add(&b, "b", 1), TB_ETOOBIG);
	TB_CHECK_STR(tb_buf_str(&b), "123456789a");   /* nothing of the refused append */
	TB_CHECK(b.cap <= 11);                        /* never allocates past what the cap can use */
	/* sticky: a later small append fails too, and detach drops the contents */
	TB_CHECK_INT(tb_buf_adds(&b, ""), TB_ETOOBIG);
	TB_CHECK(tb_buf_detach(&b, NULL) == NULL);
	TB_CHECK(b.p == NULL && b.err == 0);
	TB_CHECK_INT(b.max_bytes, 10);
	/* reset clears the failure; the cap still holds */
	TB_CHECK_INT(tb_buf_addf(&b, "%d", 1234567), 0);
	TB_CHECK_INT(tb_buf_addf(&b, "%s", "xyzw"), TB_ETOOBIG);
	tb_buf_reset(&b);
	TB_CHECK_INT(b.len, 0);
	TB_CHECK_INT(tb_buf_adds(&b, "ok"), 0);
	TB_CHECK_STR(tb_buf_str(&b), "ok");
	tb_buf_release(&b);
}

static void test_buf_cap_refuses_a_huge_length_without_overflow(void)
{
	tb_buf b;

	tb_buf_init(&b, 0);
	TB_CHECK_INT(tb_buf_add(&b, "x", 1), 0);
	TB_CHECK_INT(tb_buf_add(&b, "y", (size_t)-1), TB_ETOOBIG);
	TB_CHECK_STR(tb_buf_str(&b), "x");
	tb_buf_release(&b);
}

static void test_buf_formats_text_longer_than_its_stack_buffer(void)
{
	tb_buf b = { 0 };
	char big[1000], *s;

	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = 0;
	TB_CHECK_INT(tb_buf_addf(&b, "[%s]%d", big, 42), 0);
	TB_CHECK_INT(b.len, 1 + 999 + 1 + 2);
	TB_CHECK(b.p[0] == '[' && b.p[1000] == ']' && strcmp(b.p + 1001, "42") == 0);
	s = tb_buf_detach(&b, NULL);
	free(s);
	/* an empty buffer detaches as "" (allocated), not NULL */
	s = tb_buf_detach(&b, NULL);
	TB_CHECK(s && !*s);
	free(s);
	TB_CHECK_STR(tb_strerror(TB_ETOOBIG), "larger than allowed");
}

int main(void)
{
	TB_RUN(test_buf_grows_and_stays_nul_terminated);
	TB_RUN(test_buf_cap_allows_exactly_max_bytes_and_refuses_one_more);
	TB_RUN(test_buf_cap_refuses_a_huge_length_without_overflow);
	TB_RUN(test_buf_formats_text_longer_than_its_stack_buffer);
	return tb_test_end();
}
