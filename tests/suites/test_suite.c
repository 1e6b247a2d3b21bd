/* tests/suites/test_suite.c — the suite registry and dispatch (list, open by name, bad arguments,
 * range checks, error texts) and the helpers suite kinds share from suites/suite_impl.h: the
 * JSONL reader, the string builder, request builders and the seeded exemplar choice. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "test.h"
#include "suites/suite_impl.h"

static char tmpdir[64];

static int write_file(const char *name, const char *text, char *path, size_t pathlen)
{
	FILE *f;
	snprintf(path, pathlen, "%s/%s", tmpdir, name);
	if (!(f = fopen(path, "w")))
		return -1;
	fputs(text, f);
	return fclose(f);
}

static suite *open_one_item(char *err, size_t errlen)
{
	char path[256];
	suite_opts o = { 0 };
	if (write_file("one.jsonl", "{\"question\": \"q\", \"answer\": \"#### 4\"}\n", path, sizeof path))
		return NULL;
	o.name = "gsm8k";
	o.dataset_path = path;
	return suite_open(&o, err, errlen);
}

/* ------------------------------------------------------------------ registry and dispatch */

static void test_suite_list_names_every_kind_once_with_a_summary(void)
{
	size_t n = 0, gsm8k = 0;
	const suite_info *si = suite_list(&n);
	TB_REQUIRE(si != NULL && n >= 1);
	for (size_t i = 0; i < n; i++) {
		TB_CHECK(si[i].name && si[i].name[0]);
		TB_CHECK(si[i].summary && si[i].summary[0]);
		for (size_t j = 0; j < i; j++)
			TB_CHECK(strcmp(si[i].name, si[j].name) != 0);
		if (strcmp(si[i].name, "gsm8k") == 0) {
			gsm8k++;
			TB_CHECK(si[i].dataset_hint && strstr(si[i].dataset_hint, "####") != NULL);
		}
		/* The suites that run model-written code say so (a run manifest records the
		 * sandbox's layers for them). */
		TB_CHECK_INT(si[i].runs_code, strncmp(si[i].name, "humaneval", 9) == 0 ||
					      strncmp(si[i].name, "mbpp", 4) == 0);
	}
	TB_CHECK_INT(gsm8k, 1);
	TB_CHECK(suite_list(NULL) == si);   /* the count is optional */
}

static void test_suite_open_by_name_dispatches_to_the_kind(void)
{
	char err[512];
	suite *s = open_one_item(err, sizeof err);
	prov_req rq;
	prov_resp r = { 0 };
	suite_score_out out;
	TB_REQUIRE(s != NULL);
	TB_CHECK_STR(suite_name(s), "gsm8k");
	TB_CHECK_INT(suite_count(s), 1);
	TB_CHECK_STR(suite_item_id(s, 0), "0");
	TB_REQUIRE(suite_build(s, 0, 0, &rq) == 0);
	TB_CHECK(rq.prompt != NULL);
	TB_CHECK_INT(rq.seed, -1);   /* no seed of its own: the caller's generation settings decide */
	prov_req_release(&rq);
	r.text = "The answer is 4.";
	TB_REQUIRE(suite_score(s, 0, &r, &out) == 0);
	TB_CHECK(out.value[0] == 1.0);
	suite_score_release(&out);
	suite_close(s);
}

static void test_suite_open_rejects_unknown_or_missing_name(void)
{
	char err[512];
	suite_opts o = { 0 };
	TB_CHECK(suite_open(NULL, err, sizeof err) == NULL);
	TB_CHECK_STR(err, "no suite name given");
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK_STR(err, "no suite name given");
	o.name = "";
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK_STR(err, "no suite name given");
	o.name = "gsm9k";
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strncmp(err, "unknown suite \"gsm9k\" (known: ", 30) == 0);
	TB_CHECK(strstr(err, "gsm8k") != NULL);
	o.name = "GSM8K";   /* names are exact */
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "unknown suite") != NULL);
}

static void test_suite_open_tolerates_a_missing_error_buffer(void)
{
	suite_opts o = { 0 };
	char small[8];
	o.name = "nope";
	TB_CHECK(suite_open(&o, NULL, 0) == NULL);
	TB_CHECK(suite_open(&o, small, sizeof small) == NULL);
	TB_CHECK_INT(strlen(small), 7);   /* cut, still terminated */
}

static void test_suite_calls_with_null_or_out_of_range_arguments_fail_cleanly(void)
{
	char err[512];
	suite *s = open_one_item(err, sizeof err);
	prov_req rq;
	prov_resp r = { 0 };
	suite_score_out out;
	TB_REQUIRE(s != NULL);
	suite_close(NULL);
	TB_CHECK(suite_name(NULL) == NULL);
	TB_CHECK_INT(suite_count(NULL), 0);
	TB_CHECK(suite_item_id(NULL, 0) == NULL);
	TB_CHECK(suite_item_id(s, 1) == NULL);
	TB_CHECK(suite_item_id(s, (size_t)-1) == NULL);

	memset(&rq, 0x5a, sizeof rq);
	TB_CHECK_INT(suite_build(s, 1, 0, &rq), SUITE_ERANGE);
	TB_CHECK(rq.prompt == NULL && rq.task_id == NULL && rq.stop == NULL);   /* zeroed */
	TB_CHECK_INT(suite_build(NULL, 0, 0, &rq), SUITE_EINVAL);
	TB_CHECK_INT(suite_build(s, 0, 0, NULL), SUITE_EINVAL);
	TB_CHECK_INT(suite_build(s, 0, -1, &rq), SUITE_EINVAL);

	r.text = "4";
	memset(&out, 0x5a, sizeof out);
	TB_CHECK_INT(suite_score(s, 1, &r, &out), SUITE_ERANGE);
	TB_CHECK(out.expected == NULL && out.answer[0] == NULL && out.n_metrics == 0);
	suite_score_release(&out);   /* safe on the zeroed result */
	TB_CHECK_INT(suite_score(s, 0, NULL, &out), SUITE_EINVAL);
	TB_CHECK_INT(suite_score(NULL, 0, &r, &out), SUITE_EINVAL);
	TB_CHECK_INT(suite_score(s, 0, &r, NULL), SUITE_EINVAL);
	suite_score_release(NULL);
	suite_close(s);
}

static void test_suite_strerror_names_each_code(void)
{
	const int codes[] = { SUITE_OK, SUITE_EINVAL, SUITE_ENOMEM, SUITE_ERANGE };
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		TB_CHECK(suite_strerror(codes[i]) && suite_strerror(codes[i])[0]);
		for (size_t j = 0; j < i; j++)
			TB_CHECK(strcmp(suite_strerror(codes[i]), suite_strerror(codes[j])) != 0);
	}
	TB_CHECK_STR(suite_strerror(SUITE_ERANGE), "item index out of range");
	TB_CHECK_STR(suite_strerror(-99), "unknown suite error");
}

/* ------------------------------------------------------------------ JSONL reader */

typedef struct seen {
	char ids[8][32];
	char names[8][32];
	int n;
	int refuse_at;   /* 1-based item that the callback refuses, 0 = none */
} seen;

static int collect(void *ud, const cJSON *obj, const char *id, char *why, size_t why_len)
{
	seen *s = ud;
	const char *name;
	if (suite_json_string(obj, "name", &name, why, why_len))
		return -1;
	if (s->n + 1 == s->refuse_at) {
		snprintf(why, why_len, "refused \"%s\"", name);
		return -1;
	}
	if (s->n < 8) {
		snprintf(s->ids[s->n], sizeof s->ids[0], "%s", id);
		snprintf(s->names[s->n], sizeof s->names[0], "%s", name);
	}
	s->n++;
	return 0;
}

static void test_suite_jsonl_read_gives_ids_and_skips_blank_lines(void)
{
	char path[256], err[512];
	seen s = { 0 };
	TB_REQUIRE(write_file("r.jsonl", "\n{\"name\": \"a\"}\r\n \n{\"name\": \"b\", \"task_id\": \"T\"}\n"
				       "{\"name\": \"c\", \"unique_id\": -3}\n", path, sizeof path) == 0);
	TB_CHECK_INT(suite_jsonl_read(path, 0, collect, &s, err, sizeof err), 3);
	TB_CHECK_INT(s.n, 3);
	TB_CHECK_STR(s.ids[0], "1");
	TB_CHECK_STR(s.ids[1], "T");
	TB_CHECK_STR(s.ids[2], "-3");
	TB_CHECK_STR(s.names[2], "c");
	memset(&s, 0, sizeof s);
	TB_CHECK_INT(suite_jsonl_read(path, 2, collect, &s, err, sizeof err), 2);
	TB_CHECK_INT(s.n, 2);
}

static void test_suite_jsonl_read_prefixes_callback_errors_with_file_and_line(void)
{
	char path[256], err[512];
	seen s = { 0 };
	TB_REQUIRE(write_file("r.jsonl", "{\"name\": \"a\"}\n\n{\"name\": \"b\"}\n", path, sizeof path) == 0);
	s.refuse_at = 2;
	TB_CHECK_INT(suite_jsonl_read(path, 0, collect, &s, err, sizeof err), -1);
	TB_CHECK(strstr(err, "r.jsonl:3: refused \"b\"") != NULL);
	memset(&s, 0, sizeof s);
	TB_REQUIRE(write_file("r.jsonl", "{\"name\": 1}\n", path, sizeof path) == 0);
	TB_CHECK_INT(suite_jsonl_read(path, 0, collect, &s, err, sizeof err), -1);
	TB_CHECK(strstr(err, "r.jsonl:1: field \"name\" is not a string") != NULL);
	TB_CHECK_INT(suite_jsonl_read(NULL, 0, collect, &s, err, sizeof err), -1);
}

/* Writes text gzip-compressed to tmpdir/name; with cut > 0, only the first cut bytes of it. */
static int write_gz(const char *name, const char *text, long cut, char *path, size_t pathlen)
{
	gzFile g;
	snprintf(path, pathlen, "%s/%s", tmpdir, name);
	if (!(g = gzopen(path, "wb")))
		return -1;
	gzputs(g, text);
	if (gzclose(g) != Z_OK)
		return -1;
	return cut > 0 ? truncate(path, cut) : 0;
}

static void test_suite_jsonl_read_takes_gzip_and_refuses_what_is_not_a_file(void)
{
	char path[256], err[512], text[8192] = "";
	seen s = { 0 };
	/* The shipped form of HumanEval and evalplus: .jsonl.gz, read directly. */
	for (int i = 0; i < 120; i++)
		snprintf(text + strlen(text), sizeof text - strlen(text), "{\"name\": \"n%d\"}\n", i);
	TB_REQUIRE(write_gz("r.jsonl.gz", text, 0, path, sizeof path) == 0);
	TB_CHECK_INT(suite_jsonl_read(path, 0, collect, &s, err, sizeof err), 120);
	TB_CHECK_STR(s.names[7], "n7");
	/* A cut stream is an error naming the file, not a short dataset. */
	memset(&s, 0, sizeof s);
	TB_REQUIRE(write_gz("cut.jsonl.gz", text, 200, path, sizeof path) == 0);
	TB_CHECK_INT(suite_jsonl_read(path, 0, collect, &s, err, sizeof err), -1);
	TB_CHECK(strstr(err, "cut.jsonl.gz: corrupt or truncated gzip data") != NULL);
	/* A FIFO is refused at once (it would block a reader forever), and so is a directory. */
	snprintf(path, sizeof path, "%s/fifo.jsonl", tmpdir);
	TB_REQUIRE(mkfifo(path, 0600) == 0);
	TB_CHECK_INT(suite_jsonl_read(path, 0, collect, &s, err, sizeof err), -1);
	TB_CHECK(strstr(err, "fifo.jsonl: not a regular file (a FIFO (named pipe))") != NULL);
	unlink(path);
	TB_CHECK_INT(suite_jsonl_read(tmpdir, 0, collect, &s, err, sizeof err), -1);
	TB_CHECK(strstr(err, "not a regular file (a directory)") != NULL);
}

/* ------------------------------------------------------------------ helpers */

static void test_suite_req_builders_fill_prompt_or_user_message(void)
{
	static const char *const stop[] = { "A", "BB" };
	prov_req rq = { 0 };
	TB_REQUIRE(suite_req_take_prompt(&rq, "id/1", 3, strdup("hello"), stop, 2) == 0);
	TB_CHECK_STR(rq.task_id, "id/1");
	TB_CHECK_INT(rq.sample, 3);
	TB_CHECK_STR(rq.prompt, "hello");
	TB_REQUIRE(rq.n_stop == 2);
	TB_CHECK_STR(rq.stop[1], "BB");
	prov_req_release(&rq);
	TB_REQUIRE(suite_req_take_user(&rq, "x", 0, strdup("hi"), NULL, 0) == 0);
	TB_CHECK(rq.prompt == NULL && rq.stop == NULL && rq.n_stop == 0);
	TB_REQUIRE(rq.n_messages == 1);
	TB_CHECK_STR(rq.messages[0].role, "user");
	TB_CHECK_STR(rq.messages[0].content, "hi");
	prov_req_release(&rq);
	/* a NULL text stands for a failed allocation upstream */
	TB_CHECK_INT(suite_req_take_prompt(&rq, "x", 0, NULL, stop, 2), SUITE_ENOMEM);
	TB_CHECK(rq.task_id == NULL && rq.stop == NULL);
	TB_CHECK_INT(suite_req_take_user(&rq, "x", 0, NULL, NULL, 0), SUITE_ENOMEM);
	TB_CHECK(rq.messages == NULL);
}

static void test_suite_pick_is_deterministic_distinct_and_seed_dependent(void)
{
	size_t a[50], b[50], c[50];
	int seen_idx[50] = { 0 }, same = 1;
	suite_pick(7, 50, 10, a);
	suite_pick(7, 50, 10, b);
	suite_pick(8, 50, 10, c);
	TB_CHECK(memcmp(a, b, sizeof a) == 0);
	for (int i = 0; i < 10; i++) {
		TB_CHECK(a[i] < 50);
		if (a[i] < 50)
			seen_idx[a[i]]++;
		same &= a[i] == c[i];
	}
	for (int i = 0; i < 50; i++)
		TB_CHECK(seen_idx[i] <= 1);
	TB_CHECK(!same);
	/* k = n is a permutation */
	memset(seen_idx, 0, sizeof seen_idx);
	suite_pick(123, 50, 50, a);
	for (int i = 0; i < 50; i++)
		seen_idx[a[i]]++;
	for (int i = 0; i < 50; i++)
		TB_CHECK_INT(seen_idx[i], 1);
	/* Pinned values: exemplar choice must not change between builds, platforms or versions,
	 * or runs with the same seed would stop being comparable. */
	suite_pick(0, 10, 3, a);
	TB_CHECK(a[0] == 5 && a[1] == 1 && a[2] == 9);
	{
		size_t *big = malloc(7473 * sizeof *big);
		TB_REQUIRE(big != NULL);
		suite_pick(1234, 7473, 8, big);   /* GSM8K train size, the spec's default seed */
		TB_CHECK(big[0] == 5788 && big[1] == 5861 && big[2] == 1607 && big[7] == 5586);
		free(big);
	}
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_suite_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		printf("cannot make a scratch folder\n");
		return 1;
	}
	TB_RUN(test_suite_list_names_every_kind_once_with_a_summary);
	TB_RUN(test_suite_open_by_name_dispatches_to_the_kind);
	TB_RUN(test_suite_open_rejects_unknown_or_missing_name);
	TB_RUN(test_suite_open_tolerates_a_missing_error_buffer);
	TB_RUN(test_suite_calls_with_null_or_out_of_range_arguments_fail_cleanly);
	TB_RUN(test_suite_strerror_names_each_code);
	TB_RUN(test_suite_jsonl_read_gives_ids_and_skips_blank_lines);
	TB_RUN(test_suite_jsonl_read_prefixes_callback_errors_with_file_and_line);
	TB_RUN(test_suite_jsonl_read_takes_gzip_and_refuses_what_is_not_a_file);
	TB_RUN(test_suite_req_builders_fill_prompt_or_user_message);
	TB_RUN(test_suite_pick_is_deterministic_distinct_and_seed_dependent);
	tb_rmtree(tmpdir);
	return tb_test_end();
}
