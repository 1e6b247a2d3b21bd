/* tests/providers/test_samples.c — the `samples` provider: answers by task id and sample index,
 * checks for missing tasks up front, and refuses malformed files with file:line errors. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "providers/provider.h"

static char tmpdir[64];

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

static prov *open_file(const char *text, const char *options, char *err, size_t errlen)
{
	prov_target t = { 0 };
	t.id = "t";
	t.provider = "samples";
	t.model = write_file("gens.jsonl", text);
	t.options_json = options;
	return prov_open(&t, err, errlen);
}

typedef struct got {
	int n;
	char *text[8];
	int err[8];
	char *task[8];
	int sample[8];
} got;

static void on_done(void *ud, const prov_req *rq, prov_resp *r)
{
	got *g = ud;
	if (g->n < 8) {
		g->text[g->n] = r->text ? strdup(r->text) : NULL;
		g->err[g->n] = r->err;
		g->task[g->n] = strdup(rq->task_id);
		g->sample[g->n] = rq->sample;
	}
	g->n++;
	prov_resp_free(r);
}

static void got_free(got *g)
{
	for (int i = 0; i < g->n && i < 8; i++) {
		free(g->text[i]);
		free(g->task[i]);
	}
}

static void submit(prov *p, const char *task, int sample, got *g)
{
	prov_req rq = { 0 };
	rq.task_id = (char *)task;
	rq.sample = sample;
	TB_CHECK_INT(prov_submit(p, &rq, on_done, g), 0);
}

static void test_samples_answers_by_task_and_sample_in_file_order(void)
{
	char err[512] = "";
	got g = { 0 };
	prov *p = open_file("{\"task_id\": \"a\", \"completion\": \"one\"}\n"
			    "{\"task_id\": \"b\", \"solution\": \"def f(): pass\"}\n"
			    "\n"
			    "{\"task_id\": \"a\", \"completion\": \"two\"}\n", NULL, err, sizeof err);
	TB_REQUIRE(p != NULL);
	submit(p, "a", 1, &g);
	submit(p, "a", 0, &g);
	submit(p, "b", 0, &g);
	TB_CHECK_INT(g.n, 0);   /* never from inside submit */
	TB_CHECK_INT(prov_in_flight(p), 3);
	TB_CHECK_INT(prov_poll(p, 0), 3);
	TB_CHECK_INT(g.n, 3);
	TB_CHECK_STR(g.text[0], "two");
	TB_CHECK_STR(g.text[1], "one");
	TB_CHECK_STR(g.text[2], "def f(): pass");
	TB_CHECK_INT(g.sample[0], 1);
	TB_CHECK_STR(g.task[2], "b");
	TB_CHECK_INT(prov_in_flight(p), 0);
	got_free(&g);
	prov_close(p);
}

static void test_samples_integer_task_ids_match_line_number_ids(void)
{
	char err[512] = "";
	got g = { 0 };
	prov *p = open_file("{\"task_id\": 0, \"completion\": \"zero\"}\n"
			    "{\"task_id\": 17, \"completion\": \"seventeen\"}\n", NULL, err, sizeof err);
	TB_REQUIRE(p != NULL);
	submit(p, "17", 0, &g);
	prov_poll(p, 0);
	TB_CHECK_STR(g.text[0], "seventeen");
	got_free(&g);
	prov_close(p);
}

static void test_samples_unknown_task_fails_with_missing_class(void)
{
	char err[512] = "";
	got g = { 0 };
	prov *p = open_file("{\"task_id\": \"a\", \"completion\": \"x\"}\n", NULL, err, sizeof err);
	TB_REQUIRE(p != NULL);
	submit(p, "zzz", 0, &g);
	submit(p, "a", 1, &g);
	prov_poll(p, 0);
	TB_CHECK_INT(g.n, 2);
	TB_CHECK_INT(g.err[0], PROV_ERR_MISSING);
	TB_CHECK(g.text[0] == NULL);
	TB_CHECK_INT(g.err[1], PROV_ERR_MISSING);
	TB_CHECK(!prov_err_class_retryable(PROV_ERR_MISSING));
	got_free(&g);
	prov_close(p);
}

static void test_samples_check_lists_first_missing_ids(void)
{
	char err[512] = "";
	const char *ids[] = { "a", "b", "c", "d" };
	prov *p = open_file("{\"task_id\": \"a\", \"completion\": \"x\"}\n"
			    "{\"task_id\": \"c\", \"completion\": \"x\"}\n"
			    "{\"task_id\": \"c\", \"completion\": \"y\"}\n", NULL, err, sizeof err);
	TB_REQUIRE(p != NULL);
	TB_CHECK_INT(prov_check(p, ids, 1, 1, err, sizeof err), 0);
	TB_CHECK(prov_check(p, ids, 4, 1, err, sizeof err) != 0);
	TB_CHECK(strstr(err, "2 of 4 tasks") != NULL);
	TB_CHECK(strstr(err, "missing task ids: b, d") != NULL);
	/* two samples asked: only c has two */
	TB_CHECK(prov_check(p, ids, 4, 2, err, sizeof err) != 0);
	TB_CHECK(strstr(err, "3 of 4 tasks have fewer than 2 samples") != NULL);
	prov_close(p);
}

static void test_samples_rejects_line_that_is_not_json(void)
{
	char err[512] = "";
	prov *p = open_file("{\"task_id\": \"a\", \"completion\": \"x\"}\n{\"task_id\": \"b\", \"comp\n",
		NULL, err, sizeof err);
	TB_CHECK(p == NULL);
	TB_CHECK(strstr(err, "gens.jsonl:2: not a JSON object") != NULL);
	prov_close(p);
}

static void test_samples_rejects_line_without_task_id_or_completion(void)
{
	char err[512] = "";
	prov *p = open_file("{\"completion\": \"x\"}\n", NULL, err, sizeof err);
	TB_CHECK(p == NULL);
	TB_CHECK(strstr(err, "gens.jsonl:1: missing field \"task_id\"") != NULL);
	p = open_file("{\"task_id\": \"a\", \"completion\": \"x\"}\n\n{\"task_id\": \"a\", \"text\": 3}\n",
		NULL, err, sizeof err);
	TB_CHECK(p == NULL);
	TB_CHECK(strstr(err, "gens.jsonl:3: missing field \"completion\" or \"solution\"") != NULL);
	p = open_file("{\"task_id\": 1.5, \"completion\": \"x\"}\n", NULL, err, sizeof err);
	TB_CHECK(p == NULL);
	/* Integers past 2^53 are not exact ids, and past long long's range the conversion itself
	 * is undefined (found by the loaders fuzzer): refused by the range check, not converted. */
	p = open_file("{\"task_id\": 411111111111111115555.}\n", NULL, err, sizeof err);
	TB_CHECK(p == NULL);
	TB_CHECK(strstr(err, "gens.jsonl:1: missing field \"task_id\" (string or integer)") != NULL);
	p = open_file("{\"task_id\": -1e300, \"completion\": \"x\"}\n", NULL, err, sizeof err);
	TB_CHECK(p == NULL);
}

static void test_samples_rejects_empty_and_missing_files(void)
{
	char err[512] = "";
	prov_target t = { 0 };
	prov *p = open_file("\n\n", NULL, err, sizeof err);
	TB_CHECK(p == NULL);
	TB_CHECK(strstr(err, "no samples") != NULL);
	t.id = "t";
	t.provider = "samples";
	t.model = "does/not/exist.jsonl";
	TB_CHECK(prov_open(&t, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "does/not/exist.jsonl: cannot open") != NULL);
	t.model = "";
	TB_CHECK(prov_open(&t, err, sizeof err) == NULL);
	t.provider = "nonesuch";
	TB_CHECK(prov_open(&t, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "unknown provider \"nonesuch\"") != NULL);
}

static void test_samples_options_are_checked(void)
{
	char err[512] = "";
	prov *p = open_file("{\"task_id\": \"a\", \"completion\": \"x\"}\n", "{\"delay\": 3}", err, sizeof err);
	TB_CHECK(p == NULL);
	TB_CHECK(strstr(err, "options.delay: unknown option") != NULL);
	p = open_file("{\"task_id\": \"a\", \"completion\": \"x\"}\n", "{\"delay_ms\": -1}", err, sizeof err);
	TB_CHECK(p == NULL);
	p = open_file("{\"task_id\": \"a\", \"completion\": \"x\"}\n", "[1]", err, sizeof err);
	TB_CHECK(p == NULL);
}

static void test_samples_delay_holds_answers_until_due(void)
{
	char err[512] = "";
	got g = { 0 };
	prov *p = open_file("{\"task_id\": \"a\", \"completion\": \"x\"}\n", "{\"delay_ms\": 50}", err, sizeof err);
	TB_REQUIRE(p != NULL);
	submit(p, "a", 0, &g);
	TB_CHECK_INT(prov_poll(p, 0), 0);    /* not due yet: 50 ms is far longer than this call */
	for (int i = 0; i < 200 && g.n == 0; i++)
		prov_poll(p, 10);
	TB_CHECK_INT(g.n, 1);
	got_free(&g);
	prov_close(p);
}

static void test_samples_cancel_all_fires_cancelled(void)
{
	char err[512] = "";
	got g = { 0 };
	prov *p = open_file("{\"task_id\": \"a\", \"completion\": \"x\"}\n", "{\"delay_ms\": 60000}", err, sizeof err);
	TB_REQUIRE(p != NULL);
	submit(p, "a", 0, &g);
	submit(p, "a", 0, &g);
	prov_cancel_all(p);
	TB_CHECK_INT(prov_poll(p, 0), 2);
	TB_CHECK_INT(g.err[0], PROV_ERR_CANCELLED);
	TB_CHECK(prov_err_class_retryable(PROV_ERR_CANCELLED));
	got_free(&g);
	/* closing with requests pending frees them without firing */
	submit(p, "a", 0, &g);
	prov_close(p);
}

static void test_req_copy_is_deep_and_release_zeroes(void)
{
	prov_req a = { 0 }, b;
	a.task_id = strdup("x");
	a.prompt = strdup("p");
	a.n_messages = 1;
	a.messages = calloc(1, sizeof *a.messages);
	a.messages[0].role = strdup("user");
	a.messages[0].content = strdup("hi");
	a.n_stop = 1;
	a.stop = calloc(1, sizeof *a.stop);
	a.stop[0] = strdup("Q:");
	a.sample = 3;
	TB_REQUIRE(prov_req_copy(&b, &a) == 0);
	TB_CHECK(b.prompt != a.prompt);
	TB_CHECK_STR(b.messages[0].content, "hi");
	TB_CHECK_STR(b.stop[0], "Q:");
	TB_CHECK_INT(b.sample, 3);
	prov_req_release(&a);
	TB_CHECK(a.prompt == NULL && a.n_messages == 0);
	prov_req_release(&b);
	prov_req_release(NULL);
	prov_resp_free(NULL);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_samples_XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	TB_RUN(test_samples_answers_by_task_and_sample_in_file_order);
	TB_RUN(test_samples_integer_task_ids_match_line_number_ids);
	TB_RUN(test_samples_unknown_task_fails_with_missing_class);
	TB_RUN(test_samples_check_lists_first_missing_ids);
	TB_RUN(test_samples_rejects_line_that_is_not_json);
	TB_RUN(test_samples_rejects_line_without_task_id_or_completion);
	TB_RUN(test_samples_rejects_empty_and_missing_files);
	TB_RUN(test_samples_options_are_checked);
	TB_RUN(test_samples_delay_holds_answers_until_due);
	TB_RUN(test_samples_cancel_all_fires_cancelled);
	TB_RUN(test_req_copy_is_deep_and_release_zeroes);
	tb_rmtree(tmpdir);
	return tb_test_end();
}
