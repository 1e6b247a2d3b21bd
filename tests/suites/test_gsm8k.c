/* tests/suites/test_gsm8k.c — the gsm8k suite: the real test set scored against its own reference
 * solutions, strict and flexible extraction on tricky completions, prompt building (built-in and
 * train-file exemplars, chat), item ids, and bad datasets. Data files are written at test time
 * into a scratch folder. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "test.h"
#include "suites/suite.h"

static char tmpdir[64];

/* Writes text (n bytes) to tmpdir/name; path receives the file's path. Returns 0 or -1. */
static int write_bytes(const char *name, const char *text, size_t n, char *path, size_t pathlen)
{
	FILE *f;
	size_t w;
	snprintf(path, pathlen, "%s/%s", tmpdir, name);
	if (!(f = fopen(path, "wb")))
		return -1;
	w = fwrite(text, 1, n, f);
	return fclose(f) == 0 && w == n ? 0 : -1;
}

static int write_file(const char *name, const char *text, char *path, size_t pathlen)
{
	return write_bytes(name, text, strlen(text), path, pathlen);
}

/* Opens gsm8k over a dataset file holding text, with the given shots. */
static suite *open_text(const char *text, int shots, char *err, size_t errlen)
{
	char path[256];
	suite_opts o = { 0 };
	err[0] = 0;
	if (write_file("d.jsonl", text, path, sizeof path))
		return NULL;
	o.name = "gsm8k";
	o.dataset_path = path;
	o.shots = shots;
	return suite_open(&o, err, errlen);
}

/* Counts the occurrences of needle in s. */
static int count_of(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static int ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);
	return a >= b && strcmp(s + a - b, tail) == 0;
}

/* ------------------------------------------------------------------ the real test set */

static void test_gsm8k_real_test_set_scores_full_on_its_own_answers(void)
{
	const char *sh = tb_shared_dir();
	char path[512], err[512], *line = NULL;
	size_t cap = 0, n = 0;
	long strict = 0, flexible = 0;
	suite_opts o = { 0 };
	suite *s;
	FILE *f;

	if (!sh)
		TB_SKIP("no shared datasets beside the checkout");
	snprintf(path, sizeof path, "%s/datasets/gsm8k/test.jsonl", sh);
	o.name = "gsm8k";
	o.dataset_path = path;
	o.shots = -1;
	s = suite_open(&o, err, sizeof err);
	if (!s)
		printf("  %s\n", err);
	TB_REQUIRE(s != NULL);
	TB_CHECK_INT(suite_count(s), 1319);
	TB_CHECK_STR(suite_item_id(s, 0), "0");
	TB_CHECK_STR(suite_item_id(s, 1318), "1318");
	TB_REQUIRE((f = fopen(path, "r")) != NULL);
	/* The completion is the reference solution itself: "... <<calc>> ... #### N". */
	while (getline(&line, &cap, f) > 0 && n < suite_count(s)) {
		cJSON *obj = cJSON_Parse(line);
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, "answer");
		prov_resp r = { 0 };
		suite_score_out out;
		TB_REQUIRE(cJSON_IsString(a));
		r.text = a->valuestring;
		TB_REQUIRE(suite_score(s, n, &r, &out) == 0);
		strict += out.value[0] == 1.0;
		flexible += out.value[1] == 1.0;
		if (out.value[0] != 1.0 || out.value[1] != 1.0)
			printf("  item %zu: strict %s, flexible %s, expected %s\n", n,
			       out.answer[0] ? out.answer[0] : "-", out.answer[1] ? out.answer[1] : "-",
			       out.expected);
		suite_score_release(&out);
		cJSON_Delete(obj);
		n++;
	}
	TB_CHECK_INT(n, 1319);
	TB_CHECK_INT(strict, 1319);
	TB_CHECK_INT(flexible, 1319);
	free(line);
	fclose(f);
	suite_close(s);
}

static void test_gsm8k_real_train_exemplars_are_seeded_and_have_no_calculator_notes(void)
{
	const char *sh = tb_shared_dir();
	char test[512], train[512], err[512];
	suite_opts o = { 0 };
	suite *a = NULL, *b = NULL, *c = NULL;
	prov_req ra = { 0 }, rb = { 0 }, rc = { 0 };

	if (!sh)
		TB_SKIP("no shared datasets beside the checkout");
	snprintf(test, sizeof test, "%s/datasets/gsm8k/test.jsonl", sh);
	snprintf(train, sizeof train, "%s/datasets/gsm8k/train.jsonl", sh);
	o.name = "gsm8k";
	o.dataset_path = test;
	o.train_path = train;
	o.shots = -1;
	o.limit = 5;
	o.seed = 1234;
	a = suite_open(&o, err, sizeof err);
	b = suite_open(&o, err, sizeof err);
	o.seed = 1235;
	c = suite_open(&o, err, sizeof err);
	TB_CHECK(a && b && c);
	if (a && b && c && suite_build(a, 4, 0, &ra) == 0 && suite_build(b, 4, 0, &rb) == 0 &&
	    suite_build(c, 4, 0, &rc) == 0) {
		TB_CHECK_INT(count_of(ra.prompt, "Q: "), 9);
		TB_CHECK_INT(count_of(ra.prompt, " The answer is "), 8);
		TB_CHECK_INT(count_of(ra.prompt, "<<"), 0);
		TB_CHECK_INT(count_of(ra.prompt, ">>"), 0);
		TB_CHECK_INT(count_of(ra.prompt, "####"), 0);
		TB_CHECK_INT(count_of(ra.prompt, ".\n\nQ: "), 8);
		TB_CHECK(ends_with(ra.prompt, "\nA:"));
		TB_CHECK_STR(ra.prompt, rb.prompt);
		TB_CHECK(strcmp(ra.prompt, rc.prompt) != 0);
	} else {
		TB_CHECK(0);
	}
	prov_req_release(&ra);
	prov_req_release(&rb);
	prov_req_release(&rc);
	suite_close(a);
	suite_close(b);
	suite_close(c);
}

/* ------------------------------------------------------------------ scoring */

/* completion, reference after "####", expected strict and flexible answers ("" = none) and
 * verdicts. */
static const struct {
	const char *text, *ref, *strict_ans, *flex_ans;
	int strict, flexible;
} cases[] = {
	{ "3 + 4 = 7. The answer is 7.", "7", "7", "7", 1, 1 },
	{ "The answer is 1,000.", "1000", "1000", "1000", 1, 1 },
	{ "The answer is $1,234.00.", "1,234", "1234", "1234", 1, 1 },
	{ "#### 42", "42", "42", "42", 1, 1 },
	{ "#### 42\nThat was easy, I checked it 3 times.", "42", "42", "3", 1, 0 },
	{ "She is down 5 points. The answer is -5.", "-5", "-5", "-5", 1, 1 },
	{ "She has 18.00 dollars. The answer is 18.00", "18", "18", "18", 1, 1 },
	{ "The answer is 18.50", "18.5", "18.5", "18.5", 1, 1 },
	{ "The answer is 18.5", "18", "18.5", "18.5", 0, 0 },
	{ "The answer is **18**.", "18", "18", "18", 1, 1 },
	{ "So she earns 18 dollars.", "18", "", "18", 0, 1 },
	{ "I don't know.", "18", "", "", 0, 0 },
	{ "", "18", "", "", 0, 0 },
	{ "The discount is 25%. The answer is 25%.", "25", "25", "25", 1, 1 },
	{ "Use sheet A4 for the 12 pages.", "12", "", "12", 0, 1 },
	{ "Print it on A4", "4", "", "", 0, 0 },
	{ "Half is 0.5 so the answer is .5", "0.5", "0.5", "0.5", 1, 1 },
	{ "The answer is 7. Wait, no: the answer is 8.", "8", "8", "8", 1, 1 },
	{ "The answer is 7. Wait, no: the answer is 8.", "7", "8", "8", 0, 0 },
	{ "First 2 + 3 = 5, then 5 * 4 = 20.", "20", "", "20", 0, 1 },
	{ "The answer is 20. (I used 4 boxes.)", "20", "20", "4", 1, 0 },
	{ "THE ANSWER IS 64", "64", "64", "64", 1, 1 },
	{ "The final answer is: 64", "64", "64", "64", 1, 1 },
	{ "the answer is $ 64", "64", "64", "64", 1, 1 },
	{ "#### 1,000,000", "1000000", "1000000", "1000000", 1, 1 },
	{ "Total: 007 apples. The answer is 007.", "7", "7", "7", 1, 1 },
	{ "The answer is twelve.", "12", "", "", 0, 0 },
	{ "It costs $5 and he buys 3, so 15", "15", "", "15", 0, 1 },
	{ "The answer is -0", "0", "0", "0", 1, 1 },
	{ "He lost 10 points: -10", "-10", "", "-10", 0, 1 },
	{ "He had 10 - 3 left", "7", "", "3", 0, 0 },
	{ "Spent 12-5 so 7", "7", "", "7", 0, 1 },
	{ "The answer is -$5.", "-5", "-5", "-5", 1, 1 },
	{ "The answer is $-5.", "-5", "-5", "-5", 1, 1 },
	{ "The answer is \\$12.", "12", "12", "12", 1, 1 },
	{ "#### 18\n#### 19", "19", "19", "19", 1, 1 },
	{ "#### 18\nThe answer is 19.", "18", "19", "19", 0, 0 },
	{ "The answer is 18.\n#### 18", "18", "18", "18", 1, 1 },
	{ "The answer is 12.\n\nQ: Another question with 99", "12", "12", "99", 1, 0 },
	{ "1/2 of 10 is 5. The answer is 5.", "5", "5", "5", 1, 1 },
	{ "The answer is 2019. In 2020 it changed.", "2019", "2019", "2020", 1, 0 },
	{ "Breathe answer is 5? No. It is 6", "6", "", "6", 0, 1 },
	{ "The answer is 1234567890123456789012345678901234567890123456789012345678901234567890.",
	  "1234567890123456789012345678901234567890123456789012345678901234567890",
	  "1234567890123456789012345678901234567890123456789012345678901234567890",
	  "1234567890123456789012345678901234567890123456789012345678901234567890", 1, 1 },
	{ "The answer is 1234567890123456789012345678901234567890123456789012345678901234567891.",
	  "1234567890123456789012345678901234567890123456789012345678901234567890",
	  "1234567890123456789012345678901234567890123456789012345678901234567891",
	  "1234567890123456789012345678901234567890123456789012345678901234567891", 0, 0 },
	{ "3.14159 is pi; the answer is 3.10", "3.1", "3.1", "3.1", 1, 1 },
	{ "Each costs $0.75, so the answer is $0.75.", ".75", "0.75", "0.75", 1, 1 },
	{ "x_5 and the value 9", "9", "", "9", 0, 1 },
	{ "The answer is 3,5", "35", "35", "35", 1, 1 },
};

static suite *open_cases(char *err, size_t errlen)
{
	size_t n = sizeof cases / sizeof cases[0], cap = 64 * n, used = 0;
	char *text = malloc(cap);
	suite *s;
	if (!text)
		return NULL;
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, cap - used,
			"{\"question\": \"q%zu\", \"answer\": \"work\\n#### %s\"}\n", i, cases[i].ref);
	s = used < cap ? open_text(text, 0, err, errlen) : NULL;
	free(text);
	return s;
}

static void test_gsm8k_tricky_completions_get_expected_verdicts(void)
{
	char err[512];
	suite *s;
	size_t n = sizeof cases / sizeof cases[0];
	TB_REQUIRE(n >= 30);
	s = open_cases(err, sizeof err);
	if (!s)
		printf("  %s\n", err);
	TB_REQUIRE(s != NULL);
	for (size_t i = 0; i < n; i++) {
		prov_resp r = { 0 };
		suite_score_out out;
		const char *sa, *fa;
		r.text = (char *)cases[i].text;
		TB_REQUIRE(suite_score(s, i, &r, &out) == 0);
		TB_CHECK_INT(out.n_metrics, 2);
		TB_CHECK_STR(out.metric[0], "strict");
		TB_CHECK_STR(out.metric[1], "flexible");
		sa = out.answer[0] ? out.answer[0] : "";
		fa = out.answer[1] ? out.answer[1] : "";
		if (out.value[0] != cases[i].strict || out.value[1] != cases[i].flexible ||
		    strcmp(sa, cases[i].strict_ans) || strcmp(fa, cases[i].flex_ans)) {
			printf("  case %zu \"%s\" (ref %s): strict \"%s\"=%g, flexible \"%s\"=%g\n", i,
			       cases[i].text, out.expected, sa, out.value[0], fa, out.value[1]);
			TB_CHECK(0);
		}
		/* an answer is either absent or a real string, never "" */
		TB_CHECK(!out.answer[0] || out.answer[0][0]);
		TB_CHECK(!out.answer[1] || out.answer[1][0]);
		suite_score_release(&out);
		TB_CHECK(out.expected == NULL && out.answer[0] == NULL && out.n_metrics == 0);
	}
	suite_close(s);
}

static void test_gsm8k_reference_is_normalised_like_answers(void)
{
	static const struct { const char *ref, *expected; } refs[] = {
		{ "1,234", "1234" }, { "-5", "-5" }, { "18.50", "18.5" }, { "$7.", "7" },
		{ "0042", "42" }, { " 3 \\n", "3" }, { "-0.0", "0" },
	};
	char err[512], text[2048] = "", line[128];
	prov_resp r = { 0 };
	suite *s;
	for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
		snprintf(line, sizeof line, "{\"question\": \"q\", \"answer\": \"w\\n####%s\"}\n", refs[i].ref);
		strcat(text, line);
	}
	s = open_text(text, 0, err, sizeof err);
	if (!s)
		printf("  %s\n", err);
	TB_REQUIRE(s != NULL);
	r.text = "nothing";
	for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
		suite_score_out out;
		TB_REQUIRE(suite_score(s, i, &r, &out) == 0);
		TB_CHECK_STR(out.expected, refs[i].expected);
		suite_score_release(&out);
	}
	suite_close(s);
}

static void test_gsm8k_failed_response_scores_zero_without_answers(void)
{
	char err[512];
	suite *s = open_text("{\"question\": \"q\", \"answer\": \"#### 4\"}\n", 0, err, sizeof err);
	prov_resp r = { 0 };
	suite_score_out out;
	TB_REQUIRE(s != NULL);
	r.err = PROV_ERR_TRANSPORT;
	r.text = "The answer is 4.";   /* even text that would be right does not count */
	TB_REQUIRE(suite_score(s, 0, &r, &out) == 0);
	TB_CHECK(out.value[0] == 0 && out.value[1] == 0 && !out.answer[0] && !out.answer[1]);
	TB_CHECK_STR(out.expected, "4");
	suite_score_release(&out);
	r.err = PROV_ERR_NONE;
	r.text = NULL;
	TB_REQUIRE(suite_score(s, 0, &r, &out) == 0);
	TB_CHECK(out.value[0] == 0 && out.value[1] == 0 && !out.answer[0] && !out.answer[1]);
	suite_score_release(&out);
	TB_CHECK_INT(suite_score(s, 1, &r, &out), SUITE_ERANGE);
	suite_close(s);
}

typedef struct score_job {
	const suite *s;
	int mismatches;
} score_job;

static void *score_all(void *ud)
{
	score_job *j = ud;
	for (int round = 0; round < 40; round++)
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			prov_resp r = { 0 };
			suite_score_out out;
			r.text = (char *)cases[i].text;
			if (suite_score(j->s, i, &r, &out) || out.value[0] != cases[i].strict ||
			    out.value[1] != cases[i].flexible)
				j->mismatches++;
			suite_score_release(&out);
		}
	return NULL;
}

static void test_gsm8k_scoring_from_many_threads_gives_the_same_verdicts(void)
{
	enum { N_THREADS = 8 };
	char err[512];
	pthread_t th[N_THREADS];
	score_job jobs[N_THREADS];
	int started = 0, total = 0;
	suite *s = open_cases(err, sizeof err);
	TB_REQUIRE(s != NULL);
	for (int t = 0; t < N_THREADS; t++) {
		jobs[t].s = s;
		jobs[t].mismatches = 0;
		if (pthread_create(&th[t], NULL, score_all, &jobs[t]) == 0)
			started++;
		else
			break;
	}
	for (int t = 0; t < started; t++) {
		pthread_join(th[t], NULL);
		total += jobs[t].mismatches;
	}
	TB_CHECK_INT(started, N_THREADS);
	TB_CHECK_INT(total, 0);
	suite_close(s);
}

/* ------------------------------------------------------------------ prompts */

/* The last number in s[0..n) as plain digits (commas dropped), for checking exemplars. */
static void last_number_in(const char *s, size_t n, char *out, size_t outlen)
{
	size_t e = n, b;
	out[0] = 0;
	while (e > 0 && !(s[e - 1] >= '0' && s[e - 1] <= '9'))
		e--;
	b = e;
	while (b > 0 && ((s[b - 1] >= '0' && s[b - 1] <= '9') || s[b - 1] == '.'))
		b--;
	snprintf(out, outlen, "%.*s", (int)(e - b), s + b);
}

static void test_gsm8k_default_prompt_has_eight_builtin_shots_then_the_question(void)
{
	char err[512];
	suite *s = open_text("{\"question\": \"How many?\", \"answer\": \"#### 4\"}\n", -1, err,
			     sizeof err);
	prov_req rq;
	const char *p;
	int shots = 0;
	TB_REQUIRE(s != NULL);
	TB_REQUIRE(suite_build(s, 0, 2, &rq) == 0);
	TB_REQUIRE(rq.prompt != NULL);
	TB_CHECK(rq.messages == NULL && rq.n_messages == 0);
	TB_CHECK_INT(count_of(rq.prompt, "Q: "), 9);   /* 8 exemplars + the question */
	TB_CHECK_INT(count_of(rq.prompt, "\nA: "), 8);
	TB_CHECK(strncmp(rq.prompt, "Q: ", 3) == 0);
	TB_CHECK(ends_with(rq.prompt, ".\n\nQ: How many?\nA:"));
	TB_CHECK_STR(rq.task_id, "0");
	TB_CHECK_INT(rq.sample, 2);
	TB_REQUIRE(rq.n_stop == 2 && rq.stop);
	TB_CHECK_STR(rq.stop[0], "Q:");
	TB_CHECK_STR(rq.stop[1], "\n\n\n");
	TB_CHECK_INT(rq.max_tokens, 0);   /* generation settings are the caller's */
	/* Each exemplar's reasoning ends with the number its answer states. */
	for (p = rq.prompt; (p = strstr(p, "\nA: ")); p++) {
		const char *ans = strstr(p, " The answer is "), *dot;
		char last[32], stated[32];
		TB_REQUIRE(ans && (dot = strstr(ans, ".\n\n")));
		last_number_in(p, (size_t)(ans - p), last, sizeof last);
		snprintf(stated, sizeof stated, "%.*s", (int)(dot - ans - 15), ans + 15);
		TB_CHECK_STR(last, stated);
		shots++;
	}
	TB_CHECK_INT(shots, 8);
	prov_req_release(&rq);
	TB_CHECK(rq.prompt == NULL && rq.stop == NULL && rq.task_id == NULL);
	suite_close(s);
}

static void test_gsm8k_shots_pick_the_first_builtin_exemplars(void)
{
	char err[512];
	prov_req r2, r8;
	suite *s2 = open_text("{\"question\": \"How many?\", \"answer\": \"#### 4\"}\n", 2, err, sizeof err);
	suite *s8 = open_text("{\"question\": \"How many?\", \"answer\": \"#### 4\"}\n", 8, err, sizeof err);
	TB_REQUIRE(s2 && s8);
	TB_REQUIRE(suite_build(s2, 0, 0, &r2) == 0 && suite_build(s8, 0, 0, &r8) == 0);
	TB_CHECK_INT(count_of(r2.prompt, "Q: "), 3);
	/* the 2-shot block is the start of the 8-shot block */
	TB_CHECK(strncmp(r2.prompt, r8.prompt, strlen(r2.prompt) - strlen("Q: How many?\nA:")) == 0);
	prov_req_release(&r2);
	prov_req_release(&r8);
	suite_close(s2);
	suite_close(s8);
}

static void test_gsm8k_zero_shot_prompt_is_the_question_alone(void)
{
	char err[512];
	suite *s = open_text("{\"question\": \"How many?\", \"answer\": \"#### 4\"}\n", 0, err, sizeof err);
	prov_req rq;
	TB_REQUIRE(s != NULL);
	TB_REQUIRE(suite_build(s, 0, 0, &rq) == 0);
	TB_CHECK_STR(rq.prompt, "Q: How many?\nA:");
	TB_CHECK_INT(rq.n_stop, 2);
	prov_req_release(&rq);
	suite_close(s);
}

static void test_gsm8k_more_shots_than_builtin_exemplars_is_refused(void)
{
	char err[512];
	TB_CHECK(open_text("{\"question\": \"q\", \"answer\": \"#### 4\"}\n", 9, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "9 shots asked but there are 8 built-in exemplars") != NULL);
}

/* A train file of n items "train I" whose answers carry calculator notes. */
static void write_train(int n, char *path, size_t pathlen)
{
	char *text = malloc((size_t)n * 128 + 1), *p = text;
	if (!text)
		return;
	*p = 0;
	for (int i = 0; i < n; i++)
		p += sprintf(p, "{\"question\": \"train %d\", \"answer\": \"Add <<%d+1=%d>>%d\\n#### %d\"}\n",
			     i, i, i + 1, i + 1, i + 1);
	write_file("train.jsonl", text, path, pathlen);
	free(text);
}

static void test_gsm8k_train_exemplars_are_seeded_and_clean(void)
{
	char err[512], data[256], train[256];
	suite_opts o = { 0 };
	suite *a, *b, *c;
	prov_req ra, rb, rc;

	write_train(40, train, sizeof train);
	TB_REQUIRE(write_file("d.jsonl", "{\"question\": \"Q?\", \"answer\": \"#### 4\"}\n", data,
			      sizeof data) == 0);
	o.name = "gsm8k";
	o.dataset_path = data;
	o.train_path = train;
	o.shots = 5;
	o.seed = 7;
	TB_REQUIRE((a = suite_open(&o, err, sizeof err)) != NULL);
	TB_REQUIRE((b = suite_open(&o, err, sizeof err)) != NULL);
	o.seed = 8;
	TB_REQUIRE((c = suite_open(&o, err, sizeof err)) != NULL);
	TB_REQUIRE(suite_build(a, 0, 0, &ra) == 0 && suite_build(b, 0, 0, &rb) == 0 &&
		   suite_build(c, 0, 0, &rc) == 0);
	TB_CHECK_STR(ra.prompt, rb.prompt);
	TB_CHECK(strcmp(ra.prompt, rc.prompt) != 0);
	TB_CHECK_INT(count_of(ra.prompt, "Q: train "), 5);
	TB_CHECK_INT(count_of(ra.prompt, "<<"), 0);
	TB_CHECK_INT(count_of(ra.prompt, "####"), 0);
	TB_CHECK(ends_with(ra.prompt, "Q: Q?\nA:"));
	prov_req_release(&ra);
	prov_req_release(&rb);
	prov_req_release(&rc);
	suite_close(a);
	suite_close(b);
	suite_close(c);
}

static void test_gsm8k_train_solution_becomes_reasoning_then_answer(void)
{
	char err[512], data[256], train[256];
	suite_opts o = { 0 };
	suite *s;
	prov_req rq;
	TB_REQUIRE(write_file("train1.jsonl",
		"{\"question\": \"Half of 8, plus 1?\", \"answer\": \"Half of 8 is 8/2 = <<8/2=4>>4\\n"
		"Then 4+1 = <<4+1=5>>5 apples.  \\n#### 5\"}\n", train, sizeof train) == 0);
	TB_REQUIRE(write_file("d.jsonl", "{\"question\": \"Q?\", \"answer\": \"#### 4\"}\n", data,
			      sizeof data) == 0);
	o.name = "gsm8k";
	o.dataset_path = data;
	o.train_path = train;
	o.shots = 1;
	TB_REQUIRE((s = suite_open(&o, err, sizeof err)) != NULL);
	TB_REQUIRE(suite_build(s, 0, 0, &rq) == 0);
	TB_CHECK_STR(rq.prompt, "Q: Half of 8, plus 1?\nA: Half of 8 is 8/2 = 4. Then 4+1 = 5 apples. "
		     "The answer is 5.\n\nQ: Q?\nA:");
	prov_req_release(&rq);
	suite_close(s);
}

static void test_gsm8k_bad_train_files_are_refused_with_their_name(void)
{
	char err[512], data[256], train[256];
	suite_opts o = { 0 };
	TB_REQUIRE(write_file("d.jsonl", "{\"question\": \"Q?\", \"answer\": \"#### 4\"}\n", data,
			      sizeof data) == 0);
	o.name = "gsm8k";
	o.dataset_path = data;
	o.shots = 8;
	write_train(3, train, sizeof train);
	o.train_path = train;
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "train.jsonl: 8 shots asked but the train file has 3 items") != NULL);
	TB_REQUIRE(write_file("train2.jsonl", "{\"question\": \"a\", \"answer\": \"#### 1\"}\n{\"question\": 3}\n",
			      train, sizeof train) == 0);
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "train2.jsonl:2: field \"question\" is not a string") != NULL);
	o.train_path = "no/such/train.jsonl";
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "no/such/train.jsonl: cannot open: ") != NULL);
	o.shots = 0;   /* zero-shot never reads the train file */
	{
		suite *s = suite_open(&o, err, sizeof err);
		TB_CHECK(s != NULL);
		suite_close(s);
	}
}

static void test_gsm8k_chat_builds_one_user_message(void)
{
	char err[512], data[256];
	suite_opts o = { 0 };
	suite *s;
	prov_req rq;
	TB_REQUIRE(write_file("d.jsonl", "{\"question\": \"How many?\", \"answer\": \"#### 4\"}\n", data,
			      sizeof data) == 0);
	o.name = "gsm8k";
	o.dataset_path = data;
	o.shots = 2;
	o.chat = 1;
	TB_REQUIRE((s = suite_open(&o, err, sizeof err)) != NULL);
	TB_REQUIRE(suite_build(s, 0, 1, &rq) == 0);
	TB_CHECK(rq.prompt == NULL);
	TB_CHECK_STR(rq.task_id, "0");
	TB_CHECK_INT(rq.sample, 1);
	TB_REQUIRE(rq.n_messages == 1 && rq.messages);
	TB_CHECK_STR(rq.messages[0].role, "user");
	TB_CHECK(strstr(rq.messages[0].content, "\"The answer is N.\"") != NULL);
	TB_CHECK(strstr(rq.messages[0].content, "worked examples") != NULL);
	TB_CHECK_INT(count_of(rq.messages[0].content, "Q: "), 3);
	TB_CHECK(ends_with(rq.messages[0].content, ".\n\nQ: How many?"));
	TB_CHECK_INT(rq.n_stop, 0);
	prov_req_release(&rq);
	suite_close(s);
	o.shots = 0;
	TB_REQUIRE((s = suite_open(&o, err, sizeof err)) != NULL);
	TB_REQUIRE(suite_build(s, 0, 0, &rq) == 0);
	TB_REQUIRE(rq.n_messages == 1);
	TB_CHECK(strstr(rq.messages[0].content, "worked examples") == NULL);
	TB_CHECK(ends_with(rq.messages[0].content, "N is the final number.\n\nQ: How many?"));
	prov_req_release(&rq);
	suite_close(s);
}

/* ------------------------------------------------------------------ ids and limits */

static void test_gsm8k_ids_come_from_task_id_unique_id_or_line_number(void)
{
	char err[512];
	suite *s = open_text("\xEF\xBB\xBF{\"question\": \"a\", \"answer\": \"#### 1\"}\n"
			     "\n"
			     "{\"question\": \"b\", \"answer\": \"#### 2\", \"task_id\": \"x/7\"}\r\n"
			     "{\"question\": \"c\", \"answer\": \"#### 3\", \"unique_id\": 12}\n"
			     "   \t\n"
			     "{\"question\": \"d\", \"answer\": \"#### 4\", \"task_id\": null}\n"
			     "{\"question\": \"e\", \"answer\": \"#### 5\", \"task_id\": 99, \"unique_id\": \"u\"}",
			     0, err, sizeof err);
	if (!s)
		printf("  %s\n", err);
	TB_REQUIRE(s != NULL);
	TB_CHECK_INT(suite_count(s), 5);
	TB_CHECK_STR(suite_item_id(s, 0), "0");     /* line 1, after a byte-order mark */
	TB_CHECK_STR(suite_item_id(s, 1), "x/7");   /* CRLF line end */
	TB_CHECK_STR(suite_item_id(s, 2), "12");
	TB_CHECK_STR(suite_item_id(s, 3), "5");     /* 0-based line 5: the blank lines count */
	TB_CHECK_STR(suite_item_id(s, 4), "99");    /* task_id wins; no final newline */
	TB_CHECK(suite_item_id(s, 5) == NULL);
	suite_close(s);
}

static void test_gsm8k_limit_keeps_the_first_items_and_reads_no_further(void)
{
	char err[512], data[256];
	suite_opts o = { 0 };
	suite *s;
	TB_REQUIRE(write_file("d.jsonl", "{\"question\": \"a\", \"answer\": \"#### 1\"}\n\n"
				       "{\"question\": \"b\", \"answer\": \"#### 2\"}\n"
				       "not even json\n", data, sizeof data) == 0);
	o.name = "gsm8k";
	o.dataset_path = data;
	o.limit = 2;
	TB_REQUIRE((s = suite_open(&o, err, sizeof err)) != NULL);   /* line 4 is never read */
	TB_CHECK_INT(suite_count(s), 2);
	TB_CHECK_STR(suite_item_id(s, 1), "2");
	suite_close(s);
	o.limit = 3;
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "d.jsonl:4: not a JSON object") != NULL);
}

/* ------------------------------------------------------------------ bad datasets */

/* Opens text as a dataset and checks that it fails with an error containing want. */
static int fails_with(const char *text, const char *want)
{
	char err[512];
	suite *s = open_text(text, 0, err, sizeof err);
	if (s) {
		suite_close(s);
		printf("  opened, wanted \"%s\"\n", want);
		return 0;
	}
	if (!strstr(err, want)) {
		printf("  error \"%s\", wanted \"%s\"\n", err, want);
		return 0;
	}
	return 1;
}

static void test_gsm8k_rejects_line_that_is_not_json(void)
{
	TB_CHECK(fails_with("{\"question\": \"a\", \"answer\": \"#### 1\"}\nnot json\n",
			    "d.jsonl:2: not a JSON object"));
	TB_CHECK(fails_with("[1,2,3]\n", "d.jsonl:1: not a JSON object"));
	TB_CHECK(fails_with("{\"question\": \"a\", \"answer\": \"#### 1\"", "d.jsonl:1: not a JSON object"));
	TB_CHECK(fails_with("{\"question\": \"a\", \"answer\": \"#### 1\"} trailing\n",
			    "d.jsonl:1: not a JSON object"));
	TB_CHECK(fails_with("{\"question\": \"a\", \"answer\": \"#### 1\"}{}\n",
			    "d.jsonl:1: not a JSON object"));
}

static void test_gsm8k_rejects_line_without_answer(void)
{
	TB_CHECK(fails_with("{\"question\": \"a\", \"answer\": \"#### 1\"}\n\n{\"question\": \"a\"}\n",
			    "d.jsonl:3: missing field \"answer\""));
	TB_CHECK(fails_with("{\"question\": \"a\", \"answer\": 5}\n",
			    "d.jsonl:1: field \"answer\" is not a string"));
}

static void test_gsm8k_rejects_line_without_question(void)
{
	TB_CHECK(fails_with("{\"answer\": \"#### 1\"}\n", "d.jsonl:1: missing field \"question\""));
	TB_CHECK(fails_with("{\"Question\": \"a\", \"answer\": \"#### 1\"}\n",
			    "d.jsonl:1: missing field \"question\""));
	TB_CHECK(fails_with("{\"question\": \"\", \"answer\": \"#### 1\"}\n",
			    "d.jsonl:1: field \"question\" is empty"));
}

static void test_gsm8k_rejects_answer_without_final_number(void)
{
	TB_CHECK(fails_with("{\"question\": \"a\", \"answer\": \"no final line\"}\n",
			    "d.jsonl:1: field \"answer\" has no final \"#### N\""));
	TB_CHECK(fails_with("{\"question\": \"a\", \"answer\": \"x\\n#### five\"}\n",
			    "d.jsonl:1: field \"answer\": \"#### five\" is not a number"));
	TB_CHECK(fails_with("{\"question\": \"a\", \"answer\": \"x\\n#### 5 apples\"}\n",
			    "is not a number"));
	TB_CHECK(fails_with("{\"question\": \"a\", \"answer\": \"x\\n####\"}\n", "is not a number"));
}

static void test_gsm8k_rejects_empty_file(void)
{
	TB_CHECK(fails_with("", "d.jsonl: no items"));
	TB_CHECK(fails_with("\n  \n\r\n", "d.jsonl: no items"));
}

static void test_gsm8k_rejects_unreadable_path(void)
{
	char err[512];
	suite_opts o = { 0 };
	o.name = "gsm8k";
	o.dataset_path = "no/such/file.jsonl";
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "no/such/file.jsonl: cannot open: No such file or directory") != NULL);
	o.dataset_path = tmpdir;   /* a folder opens on Linux but cannot be read */
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strncmp(err, tmpdir, strlen(tmpdir)) == 0);
	o.dataset_path = NULL;
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strncmp(err, "gsm8k: no dataset given (--dataset PATH", 39) == 0);
}

static void test_gsm8k_rejects_bad_and_duplicate_ids(void)
{
	TB_CHECK(fails_with("{\"question\": \"a\", \"answer\": \"#### 1\", \"task_id\": 1.5}\n",
			    "d.jsonl:1: field \"task_id\" is not a non-empty string or an integer"));
	TB_CHECK(fails_with("{\"question\": \"a\", \"answer\": \"#### 1\", \"task_id\": \"\"}\n",
			    "field \"task_id\" is not"));
	TB_CHECK(fails_with("{\"question\": \"a\", \"answer\": \"#### 1\", \"unique_id\": true}\n",
			    "field \"unique_id\" is not"));
	TB_CHECK(fails_with("{\"question\": \"a\", \"answer\": \"#### 1\", \"task_id\": \"t\"}\n"
			    "{\"question\": \"b\", \"answer\": \"#### 2\", \"task_id\": \"t\"}\n",
			    "d.jsonl: duplicate item id \"t\""));
	/* an explicit id may collide with another line's number */
	TB_CHECK(fails_with("{\"question\": \"a\", \"answer\": \"#### 1\", \"task_id\": 1}\n"
			    "{\"question\": \"b\", \"answer\": \"#### 2\"}\n",
			    "duplicate item id \"1\""));
}

static void test_gsm8k_rejects_nul_byte_and_overlong_line(void)
{
	static const char nul[] = "{\"question\": \"a\", \"answer\": \"#### 1\"}\0junk\n";
	char err[512], path[256];
	suite_opts o = { 0 };
	size_t big = ((size_t)16 << 20) + 16;
	char *text = malloc(big + 1);
	o.name = "gsm8k";
	o.dataset_path = path;
	TB_REQUIRE(write_bytes("nul.jsonl", nul, sizeof nul - 1, path, sizeof path) == 0);
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "nul.jsonl:1: NUL byte in line") != NULL);
	TB_REQUIRE(text != NULL);
	memset(text, ' ', big);
	text[big] = 0;
	memcpy(text, "{\"question\": \"a\", \"answer\": \"#### 1\"}", 38);
	TB_REQUIRE(write_bytes("big.jsonl", text, big, path, sizeof path) == 0);
	free(text);
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "big.jsonl:1: line longer than 16 MiB") != NULL);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_gsm8k_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		printf("cannot make a scratch folder\n");
		return 1;
	}
	TB_RUN(test_gsm8k_real_test_set_scores_full_on_its_own_answers);
	TB_RUN(test_gsm8k_real_train_exemplars_are_seeded_and_have_no_calculator_notes);
	TB_RUN(test_gsm8k_tricky_completions_get_expected_verdicts);
	TB_RUN(test_gsm8k_reference_is_normalised_like_answers);
	TB_RUN(test_gsm8k_failed_response_scores_zero_without_answers);
	TB_RUN(test_gsm8k_scoring_from_many_threads_gives_the_same_verdicts);
	TB_RUN(test_gsm8k_default_prompt_has_eight_builtin_shots_then_the_question);
	TB_RUN(test_gsm8k_shots_pick_the_first_builtin_exemplars);
	TB_RUN(test_gsm8k_zero_shot_prompt_is_the_question_alone);
	TB_RUN(test_gsm8k_more_shots_than_builtin_exemplars_is_refused);
	TB_RUN(test_gsm8k_train_exemplars_are_seeded_and_clean);
	TB_RUN(test_gsm8k_train_solution_becomes_reasoning_then_answer);
	TB_RUN(test_gsm8k_bad_train_files_are_refused_with_their_name);
	TB_RUN(test_gsm8k_chat_builds_one_user_message);
	TB_RUN(test_gsm8k_ids_come_from_task_id_unique_id_or_line_number);
	TB_RUN(test_gsm8k_limit_keeps_the_first_items_and_reads_no_further);
	TB_RUN(test_gsm8k_rejects_line_that_is_not_json);
	TB_RUN(test_gsm8k_rejects_line_without_answer);
	TB_RUN(test_gsm8k_rejects_line_without_question);
	TB_RUN(test_gsm8k_rejects_answer_without_final_number);
	TB_RUN(test_gsm8k_rejects_empty_file);
	TB_RUN(test_gsm8k_rejects_unreadable_path);
	TB_RUN(test_gsm8k_rejects_bad_and_duplicate_ids);
	TB_RUN(test_gsm8k_rejects_nul_byte_and_overlong_line);
	tb_rmtree(tmpdir);
	return tb_test_end();
}
