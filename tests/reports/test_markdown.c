/* tests/reports/test_markdown.c — the Markdown summary: every row and figure appears, unknown
 * figures print as a dash, table metacharacters in names are escaped, write errors are seen. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "reports/report.h"

static char *render(const rep_meta *m, const rep_row *rows, size_t n, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	*rc = rep_write_markdown(f, m, rows, n);
	fclose(f);
	return buf;
}

static rep_row a_row(void)
{
	rep_row r;
	memset(&r, 0, sizeof r);
	r.target = "samples:gens.jsonl";
	r.provider = "samples";
	r.model = "gens.jsonl";
	r.suite = "gsm8k";
	r.metric = "strict";
	r.n = 200;
	r.n_correct = 150;
	r.accuracy = 0.75;
	r.ci_lo = 0.6857;
	r.ci_hi = 0.8036;
	r.ttft_p50_ms = NAN;
	r.ttft_p90_ms = NAN;
	r.latency_p50_ms = 120.25;
	r.latency_p90_ms = 300;
	r.out_tok_per_s = NAN;
	r.n_tokens_in = 1000;
	r.n_tokens_out = 500;
	r.cost_usd = 0.5;
	r.usd_per_solved = 0.5 / 150;
	return r;
}

static void test_markdown_has_header_facts_and_one_line_per_row(void)
{
	rep_meta m = { "runs/x", "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z", "done", "tierbench 0.1.0", "2 cores" };
	rep_row rows[2] = { a_row(), a_row() };
	int rc = -1, lines = 0;
	char *s;
	rows[1].metric = "flexible";
	s = render(&m, rows, 2, &rc);
	TB_REQUIRE(s != NULL);
	TB_CHECK_INT(rc, 0);
	TB_CHECK(strstr(s, "# tierbench report: runs/x") != NULL);
	TB_CHECK(strstr(s, "- status: done") != NULL);
	TB_CHECK(strstr(s, "- hardware: 2 cores") != NULL);
	TB_CHECK(strstr(s, "| 75.0 % | 68.6–80.4 | 200 | 0 |") != NULL);
	TB_CHECK(strstr(s, "| 120.2 | 300.0 |") != NULL || strstr(s, "| 120.3 | 300.0 |") != NULL);
	TB_CHECK(strstr(s, "| 0.5000 | 0.0033 |") != NULL);
	for (char *p = s; (p = strstr(p, "| samples:gens.jsonl |")); p++)
		lines++;
	TB_CHECK_INT(lines, 2);
	TB_CHECK(strstr(s, "| flexible |") != NULL);
	free(s);
}

static void test_markdown_unknown_figures_are_dashes_not_zero(void)
{
	rep_row r = a_row();
	int rc;
	char *s;
	r.accuracy = NAN;
	r.n = 0;
	r.n_correct = 0;
	r.latency_p50_ms = NAN;
	r.cost_usd = NAN;
	r.usd_per_solved = NAN;
	s = render(NULL, &r, 1, &rc);
	TB_REQUIRE(s != NULL);
	TB_CHECK(strstr(s, "| strict | – | – | 0 |") != NULL);
	TB_CHECK(strstr(s, "nan") == NULL);
	free(s);
}

static void test_markdown_escapes_table_characters_in_names(void)
{
	rep_row r = a_row();
	int rc;
	char *s;
	r.target = "a|b_c";
	s = render(NULL, &r, 1, &rc);
	TB_REQUIRE(s != NULL);
	TB_CHECK(strstr(s, "| a\\|b\\_c |") != NULL);
	free(s);
}

static void test_markdown_empty_run_says_so(void)
{
	int rc;
	char *s = render(NULL, NULL, 0, &rc);
	TB_REQUIRE(s != NULL);
	TB_CHECK_INT(rc, 0);
	TB_CHECK(strstr(s, "No samples stored yet.") != NULL);
	free(s);
}

static void test_markdown_reports_write_errors(void)
{
	rep_row r = a_row();
	FILE *f = fopen("/dev/full", "w");
	if (!f)
		TB_SKIP("no /dev/full on this system");
	setvbuf(f, NULL, _IONBF, 0);
	TB_CHECK_INT(rep_write_markdown(f, NULL, &r, 1), REP_EIO);
	fclose(f);
}

int main(void)
{
	TB_RUN(test_markdown_has_header_facts_and_one_line_per_row);
	TB_RUN(test_markdown_unknown_figures_are_dashes_not_zero);
	TB_RUN(test_markdown_escapes_table_characters_in_names);
	TB_RUN(test_markdown_empty_run_says_so);
	TB_RUN(test_markdown_reports_write_errors);
	return tb_test_end();
}
