/* tests/suites/test_evalplus.c — the humanevalplus and mbppplus suites on the project's own
 * plus-format fixtures (tests/fixtures/evalplus): base and plus scores side by side, evalplus's
 * float tolerance and atol, inputs deep-copied, broken tasks as per-task errors, the site option
 * reaching the sandbox, gzip files, prompts and loader errors. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "test.h"
#include "suites/suite_impl.h"

#define HE_FIXTURE "tests/fixtures/evalplus/HumanEvalPlus-mini.jsonl"
#define MBPP_FIXTURE "tests/fixtures/evalplus/MbppPlus-mini.jsonl"

static char tmpdir[64];

static suite *open_named(const char *name, const char *path, int chat)
{
	char err[512];
	suite_opts o = { 0 };
	suite *s;
	o.name = name;
	o.dataset_path = path;
	o.chat = chat;
	if (!(s = suite_open(&o, err, sizeof err)))
		printf("  open: %s\n", err);
	return s;
}

static size_t item_of(const suite *s, const char *id)
{
	for (size_t i = 0; i < suite_count(s); i++)
		if (strcmp(suite_item_id(s, i), id) == 0)
			return i;
	return (size_t)-1;
}

/* Scores text for the item with this id; base and plus into *base, *plus. Returns the code. */
static int score(const suite *s, const char *id, const char *text, double *base, double *plus)
{
	prov_resp r = { 0 };
	suite_score_out out = { 0 };
	int rc;
	r.text = (char *)text;
	rc = suite_score(s, item_of(s, id), &r, &out);
	*base = *plus = -1;
	if (rc == 0) {
		TB_CHECK_INT(out.n_metrics, 2);
		TB_CHECK_STR(out.metric[0], "plus");
		TB_CHECK_STR(out.metric[1], "base");
		*plus = out.value[0];
		*base = out.value[1];
	}
	suite_score_release(&out);
	return rc;
}

static void test_evalplus_scores_base_and_plus_side_by_side(void)
{
	suite *s = open_named("humanevalplus", HE_FIXTURE, 0);
	double b, p;
	TB_REQUIRE(s != NULL);
	TB_CHECK_INT(suite_count(s), 7);
	TB_CHECK_INT(score(s, "MiniPlus/0", "    return a + b\n", &b, &p), 0);
	TB_CHECK(b == 1 && p == 1);
	TB_CHECK_INT(score(s, "MiniPlus/0", "    return a - b\n", &b, &p), 0);
	TB_CHECK(b == 0 && p == 0);
	/* Right on the base inputs, wrong on the plus inputs: base 1, plus 0. */
	TB_CHECK_INT(score(s, "MiniPlus/2", "    return n == 2 or n % 2 == 1\n", &b, &p), 0);
	TB_CHECK(b == 1 && p == 0);
	TB_CHECK_INT(score(s, "MiniPlus/2",
			   "    return n > 1 and all(n % d for d in range(2, n))\n", &b, &p), 0);
	TB_CHECK(b == 1 && p == 1);
	/* A whole function, as a chat-less model may also write it. */
	TB_CHECK_INT(score(s, "MiniPlus/0", "def add(a, b):\n    return b + a\n", &b, &p), 0);
	TB_CHECK(b == 1 && p == 1);
	/* An endless loop is stopped by the per-input limit and fails. */
	TB_CHECK_INT(score(s, "MiniPlus/0", "    while a != b + 1 or a > 0:\n        pass\n    return 5\n",
			   &b, &p), 0);
	TB_CHECK(b == 0 && p == 0);
	suite_close(s);
}

/* A program that ends before its comparisons finish must not pass, whatever its exit status:
 * the sandbox's proof of completion holds for evalplus programs too. */
static void test_evalplus_early_exit_does_not_pass(void)
{
	static const char *const exits[] = {
		"    import sys\n    sys.exit(0)\n",
		"    import os\n    os._exit(0)\n",
		"    raise SystemExit\n",
		"    import atexit, os\n    atexit.register(lambda: os._exit(0))\n    return None\n",
		"    import threading, os\n    threading.Thread(target=lambda: os._exit(0)).start()\n"
		"    import time\n    time.sleep(1)\n    return 0\n",
	};
	suite *s = open_named("humanevalplus", HE_FIXTURE, 0);
	double b, p;
	TB_REQUIRE(s != NULL);
	for (size_t i = 0; i < sizeof exits / sizeof exits[0]; i++) {
		TB_CHECK_INT(score(s, "MiniPlus/0", exits[i], &b, &p), 0);
		TB_CHECK(b == 0 && p == 0);
	}
	suite_close(s);
}

static void test_evalplus_compares_floats_with_evalplus_tolerance(void)
{
	suite *s = open_named("humanevalplus", HE_FIXTURE, 0);
	double b, p;
	TB_REQUIRE(s != NULL);
	/* sum(ten 0.1) / 10 is 0.09999999999999999, fsum's is 0.1: equal within 1e-6 (atol 0 and
	 * a float output). */
	TB_CHECK_INT(score(s, "MiniPlus/1", "    return sum(xs) / len(xs)\n", &b, &p), 0);
	TB_CHECK(b == 1 && p == 1);
	TB_CHECK_INT(score(s, "MiniPlus/1", "    return round(sum(xs) / len(xs), 2)\n", &b, &p), 0);
	TB_CHECK(b == 1 && p == 0);
	/* The task's atol 0.01: 3.14 r^2 passes for r = 1 and 2, not for r = 10 (off by 0.16). */
	TB_CHECK_INT(score(s, "MiniPlus/6", "    return 3.14159 * r * r\n", &b, &p), 0);
	TB_CHECK(b == 1 && p == 1);
	TB_CHECK_INT(score(s, "MiniPlus/6", "    return 3.14 * r * r\n", &b, &p), 0);
	TB_CHECK(b == 1 && p == 0);
	/* An int where a float is expected is equal; a string is not. */
	TB_CHECK_INT(score(s, "MiniPlus/0", "    return float(a + b)\n", &b, &p), 0);
	TB_CHECK(b == 1 && p == 1);
	TB_CHECK_INT(score(s, "MiniPlus/0", "    return str(a + b)\n", &b, &p), 0);
	TB_CHECK(b == 0 && p == 0);
	/* The canonical solution sorts its argument in place; each run gets its own copy, so
	 * the expected outputs are not disturbed and a non-mutating answer passes. */
	TB_CHECK_INT(score(s, "MiniPlus/5", "    return sorted(xs)\n", &b, &p), 0);
	TB_CHECK(b == 1 && p == 1);
	suite_close(s);
}

static void test_evalplus_broken_tasks_are_errors_of_the_task_not_scores(void)
{
	suite *s = open_named("humanevalplus", HE_FIXTURE, 0);
	double b, p;
	const char *why;
	TB_REQUIRE(s != NULL);
	TB_CHECK(suite_item_error(s, item_of(s, "MiniPlus/3")) == NULL);   /* not known yet */
	/* The canonical solution divides by zero on plus input 1: whatever the answer. */
	TB_CHECK_INT(score(s, "MiniPlus/3", "    return 1 / x\n", &b, &p), SUITE_ETASK);
	TB_CHECK_INT(score(s, "MiniPlus/3", "    return 0\n", &b, &p), SUITE_ETASK);
	why = suite_item_error(s, item_of(s, "MiniPlus/3"));
	TB_REQUIRE(why != NULL);
	TB_CHECK(strstr(why, "task MiniPlus/3") != NULL);
	TB_CHECK(strstr(why, "canonical solution fails on plus input 1: ZeroDivisionError") != NULL);
	/* plus_input is not a list of argument lists: known at load, reported the same way. */
	TB_CHECK(suite_item_error(s, item_of(s, "MiniPlus/4")) != NULL);
	TB_CHECK_INT(score(s, "MiniPlus/4", "    return 2 * x\n", &b, &p), SUITE_ETASK);
	why = suite_item_error(s, item_of(s, "MiniPlus/4"));
	TB_CHECK(why && strstr(why, "task MiniPlus/4: field \"plus_input\"") != NULL);
	/* Healthy tasks are not touched. */
	TB_CHECK(suite_item_error(s, item_of(s, "MiniPlus/0")) == NULL);
	TB_CHECK_STR(suite_strerror(SUITE_ETASK), "the task itself is broken (see suite_item_error)");
	suite_close(s);
}

/* The site option is part of the suite's name, so it is in every stored row and report. */
static void test_evalplus_site_option_reaches_the_sandbox(void)
{
	static const char needs_site[] = "    import sys\n    assert not sys.flags.no_site\n    return a + b\n";
	suite *off = open_named("humanevalplus", HE_FIXTURE, 0);
	suite *on = open_named("humanevalplus-site", HE_FIXTURE, 0);
	double b, p;
	TB_REQUIRE(off != NULL && on != NULL);
	TB_CHECK_STR(suite_name(on), "humanevalplus-site");
	TB_CHECK_INT(score(off, "MiniPlus/0", needs_site, &b, &p), 0);
	TB_CHECK(b == 0 && p == 0);
	TB_CHECK_INT(score(on, "MiniPlus/0", needs_site, &b, &p), 0);
	TB_CHECK(b == 1 && p == 1);
	suite_close(off);
	suite_close(on);
}

static void test_evalplus_mbpp_plus_runs_whole_programs_and_reads_gzip(void)
{
	char gz[256], *text = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	gzFile g;
	suite *s;
	double b, p;
	prov_req rq = { 0 };
	/* The same file gzip-compressed, as evalplus publishes its releases. */
	snprintf(gz, sizeof gz, "%s/MbppPlus.jsonl.gz", tmpdir);
	TB_REQUIRE((f = fopen(MBPP_FIXTURE, "r")) != NULL);
	TB_REQUIRE((g = gzopen(gz, "wb")) != NULL);
	while ((n = getline(&text, &cap, f)) > 0)
		gzwrite(g, text, (unsigned)n);
	free(text);
	fclose(f);
	TB_REQUIRE(gzclose(g) == Z_OK);
	TB_REQUIRE((s = open_named("mbppplus", gz, 1)) != NULL);
	TB_CHECK_INT(suite_count(s), 2);
	TB_CHECK_INT(suite_build(s, 0, 0, &rq), 0);
	TB_CHECK(rq.n_messages == 1 && strstr(rq.messages[0].content, "count the upper case") != NULL);
	prov_req_release(&rq);
	TB_CHECK_INT(score(s, "MiniMbpp/1", "Here:\n```python\ndef count_upper(s):\n"
			   "    return sum(c.isupper() for c in s)\n```", &b, &p), 0);
	TB_CHECK(b == 1 && p == 1);
	/* ASCII-only upper case: right on the base inputs, wrong on "ÉtÉ". */
	TB_CHECK_INT(score(s, "MiniMbpp/1", "```python\ndef count_upper(s):\n"
			   "    return sum('A' <= c <= 'Z' for c in s)\n```", &b, &p), 0);
	TB_CHECK(b == 1 && p == 0);
	TB_CHECK_INT(score(s, "MiniMbpp/2", "```python\ndef pair_sum(p):\n    return sum(p)\n```", &b, &p), 0);
	TB_CHECK(b == 1 && p == 1);
	suite_close(s);
}

/* HumanEval/32 (find_zero) accepts any root: checked by |poly(xs, out)| <= atol. */
static void test_evalplus_find_zero_accepts_any_root(void)
{
	char path[256];
	FILE *f;
	suite *s;
	double b, p;
	snprintf(path, sizeof path, "%s/find_zero.jsonl", tmpdir);
	TB_REQUIRE((f = fopen(path, "w")) != NULL);
	fputs("{\"task_id\": \"HumanEval/32\", \"entry_point\": \"find_zero\", \"prompt\": "
	      "\"def find_zero(xs):\\n    \\\"\\\"\\\"A root of the polynomial xs[0] + xs[1] x + ...\\\"\\\"\\\"\\n\", "
	      "\"canonical_solution\": \"    lo, hi = 0.0, 10.0\\n    for _ in range(200):\\n"
	      "        mid = (lo + hi) / 2\\n"
	      "        if sum(c * mid ** i for i, c in enumerate(xs)) < 0:\\n            lo = mid\\n"
	      "        else:\\n            hi = mid\\n    return lo\\n\", "
	      "\"base_input\": [[[-1, 0, 1]]], \"plus_input\": [[[-4, 0, 1]]], \"atol\": 0}\n", f);
	fclose(f);
	TB_REQUIRE((s = open_named("humanevalplus", path, 0)) != NULL);
	/* The canonical solution finds the positive root; the negative one is as good. */
	TB_CHECK_INT(score(s, "HumanEval/32", "    return -(-xs[0]) ** 0.5\n", &b, &p), 0);
	TB_CHECK(b == 1 && p == 1);
	TB_CHECK_INT(score(s, "HumanEval/32", "    return 0.5\n", &b, &p), 0);
	TB_CHECK(b == 0 && p == 0);
	suite_close(s);
}

static void test_evalplus_prompts_and_loader_errors(void)
{
	char path[256], err[512];
	suite_opts o = { 0 };
	suite *s = open_named("humanevalplus", HE_FIXTURE, 0);
	prov_req rq = { 0 };
	FILE *f;
	TB_REQUIRE(s != NULL);
	TB_CHECK_INT(suite_build(s, 0, 0, &rq), 0);
	TB_CHECK(rq.prompt && strncmp(rq.prompt, "def add(a: int, b: int) -> int:", 31) == 0);
	TB_CHECK(rq.n_stop > 0);
	prov_req_release(&rq);
	suite_close(s);
	/* A missing entry_point or a bad atol names file and line. */
	snprintf(path, sizeof path, "%s/bad.jsonl", tmpdir);
	TB_REQUIRE((f = fopen(path, "w")) != NULL);
	fputs("{\"task_id\": \"A/0\", \"prompt\": \"def f():\\n\", \"entry_point\": \"f\", "
	      "\"canonical_solution\": \"    return 1\\n\", \"base_input\": [[]], \"plus_input\": []}\n"
	      "{\"task_id\": \"A/1\", \"prompt\": \"def g():\\n\", \"canonical_solution\": \"\"}\n", f);
	fclose(f);
	o.name = "humanevalplus";
	o.dataset_path = path;
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "bad.jsonl:2: missing field \"entry_point\"") != NULL);
	TB_REQUIRE((f = fopen(path, "w")) != NULL);
	fputs("{\"task_id\": \"A/0\", \"prompt\": \"def f():\\n\", \"entry_point\": \"f()\", "
	      "\"canonical_solution\": \"    return 1\\n\", \"base_input\": [[]], \"plus_input\": []}\n", f);
	fclose(f);
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "bad.jsonl:1: field \"entry_point\" is not a Python name") != NULL);
}

int main(void)
{
	char cmd[128];
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_test_evalplus_XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	TB_RUN(test_evalplus_scores_base_and_plus_side_by_side);
	TB_RUN(test_evalplus_early_exit_does_not_pass);
	TB_RUN(test_evalplus_compares_floats_with_evalplus_tolerance);
	TB_RUN(test_evalplus_broken_tasks_are_errors_of_the_task_not_scores);
	TB_RUN(test_evalplus_site_option_reaches_the_sandbox);
	TB_RUN(test_evalplus_mbpp_plus_runs_whole_programs_and_reads_gzip);
	TB_RUN(test_evalplus_find_zero_accepts_any_root);
	TB_RUN(test_evalplus_prompts_and_loader_errors);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("could not remove %s\n", tmpdir);
	return tb_test_end();
}
