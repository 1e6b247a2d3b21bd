/* tests/suites/test_gsm8k.c — the gsm8k suite: the real test set scored against its own answers,
 * strict and flexible extraction on tricky completions, prompt building, and bad datasets. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "suites/suite.h"

static char tmpdir[64];

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	if (!(f = fopen(path, "w")))
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

static suite *open_text(const char *text, int shots, char *err, size_t errlen)
{
	suite_opts o = { 0 };
	o.name = "gsm8k";
	o.dataset_path = write_file("d.jsonl", text);
	o.shots = shots;
	return suite_open(&o, err, errlen);
}

static void test_gsm8k_real_test_set_scores_full_on_its_own_answers(void)
{
	const char *sh = tb_shared_dir();
	char path[512], err[512], *line = NULL;
	size_t cap = 0;
	suite_opts o = { 0 };
	suite *s;
	FILE *f;
	long strict = 0, flexible = 0, n = 0;
	if (!sh)
		TB_SKIP("no shared datasets beside the checkout");
	snprintf(path, sizeof path, "%s/datasets/gsm8k/test.jsonl", sh);
	o.name = "gsm8k";
	o.dataset_path = path;
	o.shots = -1;
	TB_REQUIRE((s = suite_open(&o, err, sizeof err)) != NULL);
	TB_CHECK_INT(suite_count(s), 1319);
	TB_CHECK_STR(suite_item_id(s, 0), "0");
	TB_CHECK_STR(suite_item_id(s, 1318), "1318");
	TB_REQUIRE((f = fopen(path, "r")) != NULL);
	/* The completion is the reference solution itself: "... #### N". */
	while (getline(&line, &cap, f) > 0 && (size_t)n < suite_count(s)) {
		char *a = strstr(line, "\"answer\": \""), *end;
		prov_resp r = { 0 };
		suite_score_out out;
		TB_REQUIRE(a != NULL);
		a += 11;
		end = strrchr(a, '"');
		TB_REQUIRE(end != NULL);
		*end = 0;
		/* undo the JSON escapes that matter here */
		for (char *p = a, *q = a;; p++) {
			if (p[0] == '\\' && p[1] == 'n') { *q++ = '\n'; p++; }
			else if (p[0] == '\\' && p[1] == 'u') { *q++ = '?'; p += 5; }
			else if (p[0] == '\\' && p[1]) { *q++ = p[1]; p++; }
			else if (!(*q++ = *p)) break;
		}
		r.text = a;
		TB_REQUIRE(suite_score(s, (size_t)n, &r, &out) == 0);
		strict += out.value[0] == 1;
		flexible += out.value[1] == 1;
		if (out.value[0] != 1 && n < 1319)
			printf("  item %ld: strict %s vs %s\n", n, out.answer[0] ? out.answer[0] : "-", out.expected);
		suite_score_release(&out);
		n++;
	}
	TB_CHECK_INT(n, 1319);
	TB_CHECK_INT(strict, 1319);
	TB_CHECK_INT(flexible, 1319);
	free(line);
	fclose(f);
	suite_close(s);
}

/* completion, reference, expected strict, expected flexible */
static const struct { const char *text, *ref; int strict, flexible; } cases[] = {
	{ "3 + 4 = 7. The answer is 7.", "7", 1, 1 },
	{ "The answer is 1,000.", "1000", 1, 1 },
	{ "The answer is $1,234.00.", "1234", 1, 1 },
	{ "#### 42", "42", 1, 1 },
	{ "#### 42\nThat was easy, I checked it 3 times.", "42", 1, 0 },
	{ "The answer is -5.", "-5", 1, 1 },
	{ "She has 18.00 dollars. The answer is 18.00", "18", 1, 1 },
	{ "The answer is 18.50", "18.5", 1, 1 },
	{ "The answer is 18.5", "18", 0, 0 },
	{ "The answer is **18**.", "18", 1, 1 },
	{ "So she earns 18 dollars.", "18", 0, 1 },
	{ "I don't know.", "18", 0, 0 },
	{ "", "18", 0, 0 },
	{ "The answer is 25%.", "25", 1, 1 },
	{ "Use sheet A4 for the 12 pages.", "12", 0, 1 },
	{ "Half is 0.5 so the answer is .5", "0.5", 1, 1 },
	{ "The answer is 7. Wait, no: the answer is 8.", "8", 1, 1 },
	{ "The answer is 7. Wait, no: the answer is 8.", "7", 0, 0 },
	{ "First 2 + 3 = 5, then 5 * 4 = 20.", "20", 0, 1 },
	{ "The answer is 20. (I used 4 boxes.)", "20", 1, 0 },
	{ "THE ANSWER IS 64", "64", 1, 1 },
	{ "The final answer is: 64", "64", 1, 1 },
	{ "the answer is $ 64", "64", 1, 1 },
	{ "#### 1,000,000", "1000000", 1, 1 },
	{ "Total: 007 apples. The answer is 007.", "7", 1, 1 },
	{ "The answer is 3,5", "35", 1, 1 },
	{ "The answer is twelve.", "12", 0, 0 },
	{ "It costs $5 and he buys 3, so 15", "15", 0, 1 },
	{ "The answer is -0", "0", 1, 1 },
	{ "He lost 10 points: -10", "-10", 0, 1 },
	{ "#### 18\n#### 19", "19", 1, 1 },
	{ "The answer is 12.\n\nQ: Another question with 99", "12", 1, 0 },
	{ "1/2 of 10 is 5. The answer is 5.", "5", 1, 1 },
	{ "The answer is 1.", "1", 1, 1 },
	{ "The answer is 2019. In 2020 it changed.", "2019", 1, 0 },
};

static void test_gsm8k_tricky_completions_get_expected_verdicts(void)
{
	char err[512], line[256], text[8192] = "";
	suite *s;
	size_t n = sizeof cases / sizeof cases[0];
	TB_REQUIRE(n >= 30);
	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof line, "{\"question\": \"q%zu\", \"answer\": \"work\\n#### %s\"}\n", i, cases[i].ref);
		strcat(text, line);
	}
	TB_REQUIRE((s = open_text(text, 0, err, sizeof err)) != NULL);
	for (size_t i = 0; i < n; i++) {
		prov_resp r = { 0 };
		suite_score_out out;
		r.text = (char *)cases[i].text;
		TB_REQUIRE(suite_score(s, i, &r, &out) == 0);
		TB_CHECK_INT(out.n_metrics, 2);
		TB_CHECK_STR(out.metric[0], "strict");
		TB_CHECK_STR(out.metric[1], "flexible");
		if ((int)out.value[0] != cases[i].strict || (int)out.value[1] != cases[i].flexible) {
			printf("  case %zu \"%s\" (ref %s): strict %s=%g flexible %s=%g\n", i, cases[i].text,
			       out.expected, out.answer[0] ? out.answer[0] : "-", out.value[0],
			       out.answer[1] ? out.answer[1] : "-", out.value[1]);
			TB_CHECK(0);
		}
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
	TB_REQUIRE(suite_score(s, 0, &r, &out) == 0);
	TB_CHECK(out.value[0] == 0 && out.value[1] == 0 && !out.answer[0] && !out.answer[1]);
	suite_score_release(&out);
	TB_CHECK_INT(suite_score(s, 5, &r, &out), SUITE_ERANGE);
	suite_close(s);
}

static void test_gsm8k_prompt_has_shots_then_question(void)
{
	char err[512];
	suite *s = open_text("{\"question\": \"How many?\", \"answer\": \"#### 4\"}\n", -1, err, sizeof err);
	prov_req rq;
	int qs = 0;
	TB_REQUIRE(s != NULL);
	TB_REQUIRE(suite_build(s, 0, 2, &rq) == 0);
	TB_REQUIRE(rq.prompt != NULL);
	for (const char *p = rq.prompt; (p = strstr(p, "Q: ")); p++)
		qs++;
	TB_CHECK_INT(qs, 9);   /* 8 default exemplars + the question */
	TB_CHECK_INT((int)(strstr(rq.prompt, "The answer is") != NULL), 1);
	TB_CHECK(strlen(rq.prompt) > 10 && strcmp(rq.prompt + strlen(rq.prompt) - 14, "How many?\nA:") == 0 ? 1 :
		 strstr(rq.prompt, "Q: How many?\nA:") != NULL);
	TB_CHECK_STR(rq.task_id, "0");
	TB_CHECK_INT(rq.sample, 2);
	TB_CHECK_INT(rq.n_stop, 2);
	TB_CHECK_STR(rq.stop[0], "Q:");
	prov_req_release(&rq);
	suite_close(s);
	s = open_text("{\"question\": \"How many?\", \"answer\": \"#### 4\"}\n", 0, err, sizeof err);
	TB_REQUIRE(s != NULL);
	TB_REQUIRE(suite_build(s, 0, 0, &rq) == 0);
	TB_CHECK_STR(rq.prompt, "Q: How many?\nA:");
	prov_req_release(&rq);
	suite_close(s);
	TB_CHECK(open_text("{\"question\": \"q\", \"answer\": \"#### 4\"}\n", 9, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "built-in exemplars") != NULL);
}

static void test_gsm8k_train_exemplars_are_seeded_and_clean(void)
{
	char err[512], train[4096] = "", line[256];
	suite_opts o = { 0 };
	suite *a, *b, *c;
	prov_req ra, rb, rc;
	for (int i = 0; i < 20; i++) {
		snprintf(line, sizeof line, "{\"question\": \"train %d\", \"answer\": \"It is <<%d+1=%d>>%d.\\n#### %d\"}\n",
			 i, i, i + 1, i + 1, i + 1);
		strcat(train, line);
	}
	write_file("train.jsonl", train);
	o.name = "gsm8k";
	o.dataset_path = write_file("d.jsonl", "{\"question\": \"Q?\", \"answer\": \"#### 4\"}\n");
	{
		static char tp[256];
		snprintf(tp, sizeof tp, "%s/train.jsonl", tmpdir);
		o.train_path = tp;
	}
	o.shots = 4;
	o.seed = 7;
	TB_REQUIRE((a = suite_open(&o, err, sizeof err)) != NULL);
	TB_REQUIRE((b = suite_open(&o, err, sizeof err)) != NULL);
	o.seed = 8;
	TB_REQUIRE((c = suite_open(&o, err, sizeof err)) != NULL);
	TB_REQUIRE(suite_build(a, 0, 0, &ra) == 0 && suite_build(b, 0, 0, &rb) == 0 && suite_build(c, 0, 0, &rc) == 0);
	TB_CHECK_STR(ra.prompt, rb.prompt);
	TB_CHECK(strcmp(ra.prompt, rc.prompt) != 0);
	TB_CHECK(strstr(ra.prompt, "<<") == NULL);
	TB_CHECK(strstr(ra.prompt, "####") == NULL);
	TB_CHECK(strstr(ra.prompt, "Q: train ") != NULL);
	prov_req_release(&ra);
	prov_req_release(&rb);
	prov_req_release(&rc);
	suite_close(a);
	suite_close(b);
	suite_close(c);
}

static void test_gsm8k_chat_builds_one_user_message(void)
{
	char err[512];
	suite_opts o = { 0 };
	suite *s;
	prov_req rq;
	o.name = "gsm8k";
	o.dataset_path = write_file("d.jsonl", "{\"question\": \"How many?\", \"answer\": \"#### 4\"}\n");
	o.shots = 2;
	o.chat = 1;
	TB_REQUIRE((s = suite_open(&o, err, sizeof err)) != NULL);
	TB_REQUIRE(suite_build(s, 0, 0, &rq) == 0);
	TB_CHECK(rq.prompt == NULL);
	TB_CHECK_INT(rq.n_messages, 1);
	TB_CHECK_STR(rq.messages[0].role, "user");
	TB_CHECK(strstr(rq.messages[0].content, "The answer is N.") != NULL);
	TB_CHECK(strstr(rq.messages[0].content, "Q: How many?") != NULL);
	prov_req_release(&rq);
	suite_close(s);
}

static void test_gsm8k_ids_come_from_task_id_or_line_number(void)
{
	char err[512];
	suite *s = open_text("{\"question\": \"a\", \"answer\": \"#### 1\"}\n\n"
			     "{\"question\": \"b\", \"answer\": \"#### 2\", \"task_id\": \"x/7\"}\n"
			     "{\"question\": \"c\", \"answer\": \"#### 3\", \"unique_id\": 12}\n"
			     "{\"question\": \"d\", \"answer\": \"#### 4\"}\n", 0, err, sizeof err);
	TB_REQUIRE(s != NULL);
	TB_CHECK_INT(suite_count(s), 4);
	TB_CHECK_STR(suite_item_id(s, 0), "0");
	TB_CHECK_STR(suite_item_id(s, 1), "x/7");
	TB_CHECK_STR(suite_item_id(s, 2), "12");
	TB_CHECK_STR(suite_item_id(s, 3), "4");   /* line 5, blank line 2 counted */
	TB_CHECK(suite_item_id(s, 4) == NULL);
	suite_close(s);
}

static void test_gsm8k_limit_keeps_first_items(void)
{
	char err[512];
	suite_opts o = { 0 };
	suite *s;
	o.name = "gsm8k";
	o.dataset_path = write_file("d.jsonl", "{\"question\": \"a\", \"answer\": \"#### 1\"}\n"
					       "{\"question\": \"b\", \"answer\": \"#### 2\"}\n"
					       "not even json\n");
	o.limit = 2;
	TB_REQUIRE((s = suite_open(&o, err, sizeof err)) != NULL);   /* line 3 is never read */
	TB_CHECK_INT(suite_count(s), 2);
	suite_close(s);
}

static void test_gsm8k_rejects_bad_datasets_with_file_and_line(void)
{
	char err[512];
	suite_opts o = { 0 };
	TB_CHECK(open_text("{\"question\": \"a\", \"answer\": \"#### 1\"}\nnot json\n", 0, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "d.jsonl:2: not a JSON object") != NULL);
	TB_CHECK(open_text("{\"question\": \"a\"}\n", 0, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "d.jsonl:1: missing field \"answer\"") != NULL);
	TB_CHECK(open_text("{\"answer\": \"#### 1\"}\n", 0, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "d.jsonl:1: missing field \"question\"") != NULL);
	TB_CHECK(open_text("{\"question\": \"a\", \"answer\": \"no final line\"}\n", 0, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "d.jsonl:1: field \"answer\" has no final \"#### N\"") != NULL);
	TB_CHECK(open_text("{\"question\": \"a\", \"answer\": 5}\n", 0, err, sizeof err) == NULL);
	TB_CHECK(open_text("\n\n", 0, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "no items") != NULL);
	TB_CHECK(open_text("[1,2,3]\n", 0, err, sizeof err) == NULL);
	o.name = "gsm8k";
	o.dataset_path = "no/such/file.jsonl";
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "no/such/file.jsonl: cannot open") != NULL);
	o.dataset_path = NULL;
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "no dataset given") != NULL);
	o.name = "gsm9k";
	TB_CHECK(suite_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "unknown suite \"gsm9k\" (known: gsm8k)") != NULL);
	suite_close(NULL);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_gsm8k_XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	TB_RUN(test_gsm8k_real_test_set_scores_full_on_its_own_answers);
	TB_RUN(test_gsm8k_tricky_completions_get_expected_verdicts);
	TB_RUN(test_gsm8k_failed_response_scores_zero_without_answers);
	TB_RUN(test_gsm8k_prompt_has_shots_then_question);
	TB_RUN(test_gsm8k_train_exemplars_are_seeded_and_clean);
	TB_RUN(test_gsm8k_chat_builds_one_user_message);
	TB_RUN(test_gsm8k_ids_come_from_task_id_or_line_number);
	TB_RUN(test_gsm8k_limit_keeps_first_items);
	TB_RUN(test_gsm8k_rejects_bad_datasets_with_file_and_line);
	tb_rmtree(tmpdir);
	return tb_test_end();
}
