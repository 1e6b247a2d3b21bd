/* tests/suites/test_code.c — the humaneval and mbpp suites: code extraction from replies (prose,
 * several fences, a missing closing fence, <think> blocks), prompts for base and chat models,
 * loader errors naming file:line, and scoring real HumanEval / MBPP items (../shared, skipped when
 * absent) through the sandbox with right and wrong answers. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

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

static void check_extract(const char *reply, const char *entry, int chat, const char *want)
{
	char *got = suite_code_extract(reply, entry, chat);
	TB_CHECK_STR(got, want);
	free(got);
}

/* ------------------------------------------------------------------ extraction */

static void test_code_extract_takes_the_fenced_block_out_of_prose(void)
{
	check_extract("Sure! Here is the function:\n\n```python\ndef f(x):\n    return x + 1\n```\n\n"
		      "It adds one.", "f", 1, "def f(x):\n    return x + 1\n");
	check_extract("```py\nprint(1)\n```", NULL, 1, "print(1)\n");
	check_extract("```\nprint(2)\n```", NULL, 1, "print(2)\n");
}

static void test_code_extract_prefers_the_block_defining_the_entry_point(void)
{
	const char *r = "First a helper:\n```python\ndef helper(a):\n    return a * 2\n```\n"
			"Then the answer:\n```python\ndef solve(a):\n    return helper(a) + 1\n```\n"
			"And a usage example:\n```python\nprint(solve(3))\n```\n";
	check_extract(r, "solve", 1, "def solve(a):\n    return helper(a) + 1\n");
	/* Without an entry point the longest block wins. */
	check_extract(r, NULL, 1, "def solve(a):\n    return helper(a) + 1\n");
	/* A shell block is not Python when a Python block exists. */
	check_extract("```bash\npip install something-very-long-indeed --upgrade --user\n```\n"
		      "```python\nx = 1\n```", NULL, 1, "x = 1\n");
}

static void test_code_extract_survives_a_missing_closing_fence(void)
{
	check_extract("Here:\n```python\ndef g():\n    return 5\n", "g", 1, "def g():\n    return 5\n");
}

static void test_code_extract_ignores_think_blocks(void)
{
	check_extract("<think>Maybe ```python\ndef f():\n    return 0\n``` no...</think>\n"
		      "```python\ndef f():\n    return 1\n```", "f", 1, "def f():\n    return 1\n");
	/* An unclosed think block has no answer in it. */
	check_extract("<think>```python\ndef f():\n    return 0\n```", "f", 1, "");
	/* The opening tag was in the prompt: everything before the last </think> is thought. */
	check_extract("so f returns 0?</think>```python\ndef f():\n    return 2\n```", "f", 1,
		      "def f():\n    return 2\n");
}

static void test_code_extract_without_fences_starts_at_the_code(void)
{
	check_extract("The answer is below.\ndef h(n):\n    return n\n", "h", 1, "def h(n):\n    return n\n");
	/* A completion is used as it is. */
	check_extract("    return n * 2\n", "h", 0, "    return n * 2\n");
	/* Inline ``` in a comment or string is content, not a fence (completion and chat mode). */
	check_extract("    # formatted like ```python```\n    return n\n", "h", 0,
		      "    # formatted like ```python```\n    return n\n");
	check_extract("    s = \"```\"\n    return s + \"```py\"\n", "h", 0,
		      "    s = \"```\"\n    return s + \"```py\"\n");
	check_extract("Here:\n```python\ndef h(n):\n    # like ```this```\n    return n\n```\nok", "h", 1,
		      "def h(n):\n    # like ```this```\n    return n\n");
	check_extract("Here:\n   ```python\ndef h(n):\n    return n\n   ```\nok", "h", 1,
		      "def h(n):\n    return n\n");
	check_extract("Here it is: ```python\ndef h(n):\n    return n\n```\nDone.", "h", 1,
		      "def h(n):\n    return n\n");
	check_extract("    # see ```python\n    return n\n", "h", 0, "    # see ```python\n    return n\n");
	check_extract("", "h", 1, "");
	check_extract(NULL, "h", 1, "");
}

/* ------------------------------------------------------------------ loaders */

static void open_expect_error(const char *name, const char *file, const char *content,
			      const char *want)
{
	char path[256], err[512] = "";
	suite_opts o = { 0 };
	suite *s;
	TB_REQUIRE(write_file(file, content, path, sizeof path) == 0);
	o.name = name;
	o.dataset_path = path;
	s = suite_open(&o, err, sizeof err);
	TB_CHECK(s == NULL);
	if (!strstr(err, want))
		printf("  error was: %s (wanted %s)\n", err, want);
	TB_CHECK(strstr(err, want) != NULL);
	TB_CHECK(strstr(err, file) != NULL);
	suite_close(s);
}

static void test_code_loaders_name_file_and_line_for_bad_input(void)
{
	const char *he = "{\"task_id\": \"t/0\", \"prompt\": \"def f():\\n\", \"test\": \"def check(c): pass\","
			 " \"entry_point\": \"f\"}\n";
	char buf[1024];
	open_expect_error("humaneval", "empty.jsonl", "", "no items");
	snprintf(buf, sizeof buf, "%s{not json\n", he);
	open_expect_error("humaneval", "bad.jsonl", buf, "bad.jsonl:2: not a JSON object");
	snprintf(buf, sizeof buf, "%s\n{\"task_id\": \"t/1\", \"prompt\": \"x\", \"test\": \"y\"}\n", he);
	open_expect_error("humaneval", "miss.jsonl", buf, "miss.jsonl:3: missing field \"entry_point\"");
	snprintf(buf, sizeof buf, "%s%s", he, he);
	open_expect_error("humaneval", "dup.jsonl", buf, "duplicate item id \"t/0\"");
	open_expect_error("mbpp", "m1.jsonl", "{\"task_id\": 1, \"text\": \"t\"}\n",
			  "m1.jsonl:1: missing field \"test_list\"");
	open_expect_error("mbpp", "m2.jsonl", "{\"task_id\": 1, \"text\": \"t\", \"test_list\": [3]}\n",
			  "m2.jsonl:1: field \"test_list\" holds a non-string");
	open_expect_error("mbpp", "m3.jsonl", "{\"task_id\": 1, \"test_list\": [\"assert f(1) == 1\"]}\n",
			  "m3.jsonl:1: missing field \"text\"");
}

/* ------------------------------------------------------------------ prompts and scoring */

static suite *open_file(const char *name, const char *path, int chat, long limit)
{
	char err[512];
	suite_opts o = { 0 };
	suite *s;
	o.name = name;
	o.dataset_path = path;
	o.chat = chat;
	o.limit = limit;
	s = suite_open(&o, err, sizeof err);
	if (!s)
		printf("  open: %s\n", err);
	return s;
}

static double score_text(suite *s, size_t i, const char *text, char **answer)
{
	prov_resp r = { 0 };
	suite_score_out sc;
	double v;
	r.text = (char *)text;
	if (suite_score(s, i, &r, &sc))
		return -1;
	v = sc.value[0];
	if (answer)
		*answer = sc.answer[0] ? strdup(sc.answer[0]) : NULL;
	suite_score_release(&sc);
	return v;
}

static void test_code_small_humaneval_file_builds_both_prompts_and_scores(void)
{
	char path[256], *ans = NULL;
	const char *he = "{\"task_id\": \"t/0\", \"prompt\": \"import math\\n\\ndef area(r):\\n"
			 "    \\\"\\\"\\\"Area of a circle.\\\"\\\"\\\"\\n\", \"test\": \"def check(c):\\n"
			 "    assert abs(c(1) - math.pi) < 1e-9\\n    assert c(0) == 0\\n\", "
			 "\"entry_point\": \"area\"}\n";
	prov_req rq;
	suite *s;
	TB_REQUIRE(write_file("he.jsonl", he, path, sizeof path) == 0);
	TB_REQUIRE((s = open_file("humaneval", path, 0, 0)) != NULL);
	TB_CHECK_INT(suite_count(s), 1);
	TB_CHECK_STR(suite_item_id(s, 0), "t/0");
	TB_REQUIRE(suite_build(s, 0, 0, &rq) == 0);
	TB_CHECK(rq.prompt && strncmp(rq.prompt, "import math\n\ndef area(r):", 25) == 0);
	TB_CHECK(rq.n_stop >= 3);
	prov_req_release(&rq);
	/* A base model continues the body; text after a stop string is cut. */
	TB_CHECK_NEAR(score_text(s, 0, "    return math.pi * r * r\n\ndef junk(:\n", NULL), 1.0, 0);
	TB_CHECK_NEAR(score_text(s, 0, "    # formatted like ```python```\n    return math.pi * r * r\n", NULL),
		      1.0, 0);
	TB_CHECK_NEAR(score_text(s, 0, "    return 2 * math.pi * r\n", &ans), 0.0, 0);
	TB_CHECK(ans && strncmp(ans, "failed: AssertionError", 22) == 0);
	free(ans);
	suite_close(s);

	TB_REQUIRE((s = open_file("humaneval", path, 1, 0)) != NULL);
	TB_REQUIRE(suite_build(s, 0, 0, &rq) == 0);
	TB_CHECK(rq.prompt == NULL && rq.n_messages == 1 && strstr(rq.messages[0].content, "```python"));
	prov_req_release(&rq);
	/* An instruct model writes the whole function inside prose, with thinking first. */
	TB_CHECK_NEAR(score_text(s, 0, "<think>pi r squared</think>Here it is:\n```python\n"
				 "import math\n\ndef area(r):\n    return math.pi * r ** 2\n```\nDone.", NULL),
		      1.0, 0);
	TB_CHECK_NEAR(score_text(s, 0, "```python\ndef area(r):\n    while True: pass\n", &ans), 0.0, 0);
	TB_CHECK_STR(ans, "timeout");
	free(ans);
	suite_close(s);
}

/* The shared HumanEval file as openai/human-eval ships it (.jsonl.gz, read directly); returns 0
 * when present. */
static int shared_humaneval(char *path, size_t pathlen)
{
	const char *sh = tb_shared_dir();
	if (!sh)
		return -1;
	snprintf(path, pathlen, "%s/datasets/humaneval/HumanEval.jsonl.gz", sh);
	return access(path, R_OK);
}

static void test_code_real_humaneval_items_pass_with_their_solution_and_fail_without(void)
{
	char path[256], *line = NULL;
	size_t cap = 0, i = 0, n_items = 12;
	suite *base, *chat;
	FILE *f;
	if (shared_humaneval(path, sizeof path))
		TB_SKIP("HumanEval.jsonl.gz not found under the shared data folder");
	TB_REQUIRE((base = open_file("humaneval", path, 0, 0)) != NULL);
	TB_CHECK_INT(suite_count(base), 164);
	TB_REQUIRE((chat = open_file("humaneval", path, 1, (long)n_items)) != NULL);
	TB_REQUIRE((f = suite_data_open(path, NULL, 0)) != NULL);
	while (i < n_items && getline(&line, &cap, f) > 0) {
		cJSON *o = cJSON_Parse(line);
		const char *prompt = cJSON_GetObjectItem(o, "prompt")->valuestring;
		const char *sol = cJSON_GetObjectItem(o, "canonical_solution")->valuestring;
		size_t len = strlen(prompt) + strlen(sol) + 64;
		char *reply = malloc(len);
		TB_REQUIRE(reply != NULL);
		TB_CHECK_NEAR(score_text(base, i, sol, NULL), 1.0, 0);
		TB_CHECK_NEAR(score_text(base, i, "    pass\n", NULL), 0.0, 0);
		snprintf(reply, len, "%s    # formatted like ```python```\n", sol);
		TB_CHECK_NEAR(score_text(base, i, reply, NULL), 1.0, 0);
		snprintf(reply, len, "Sure.\n```python\n%s%s```\nThat is all.", prompt, sol);
		TB_CHECK_NEAR(score_text(chat, i, reply, NULL), 1.0, 0);
		free(reply);
		cJSON_Delete(o);
		i++;
	}
	free(line);
	fclose(f);
	suite_close(base);
	suite_close(chat);
}

static void test_code_real_mbpp_items_pass_with_their_code(void)
{
	const char *sh = tb_shared_dir();
	char path[512], *line = NULL;
	size_t cap = 0, i = 0, n_items = 12;
	suite *base, *chat;
	prov_req rq;
	FILE *f;
	if (!sh)
		TB_SKIP("no shared data folder");
	snprintf(path, sizeof path, "%s/datasets/mbpp/mbpp.jsonl", sh);
	if (access(path, R_OK))
		TB_SKIP("mbpp.jsonl not found");
	TB_REQUIRE((base = open_file("mbpp", path, 0, 0)) != NULL);
	TB_CHECK_INT(suite_count(base), 974);
	TB_REQUIRE((chat = open_file("mbpp", path, 1, (long)n_items)) != NULL);
	TB_REQUIRE(suite_build(base, 0, 0, &rq) == 0);
	TB_CHECK(rq.prompt && strstr(rq.prompt, "[BEGIN]\n") && strstr(rq.prompt, "min_cost"));
	prov_req_release(&rq);
	TB_REQUIRE((f = fopen(path, "r")) != NULL);
	while (i < n_items && getline(&line, &cap, f) > 0) {
		cJSON *o = cJSON_Parse(line);
		const char *code = cJSON_GetObjectItem(o, "code")->valuestring;
		size_t len = strlen(code) + 64;
		char *reply = malloc(len);
		snprintf(reply, len, "%s\n[DONE]\nmore text", code);
		TB_CHECK_NEAR(score_text(base, i, reply, NULL), 1.0, 0);
		snprintf(reply, len, "Here:\n```python\n%s\n```", code);
		TB_CHECK_NEAR(score_text(chat, i, reply, NULL), 1.0, 0);
		TB_CHECK_NEAR(score_text(chat, i, "```python\ndef nothing():\n    pass\n```", NULL), 0.0, 0);
		free(reply);
		cJSON_Delete(o);
		i++;
	}
	free(line);
	fclose(f);
	suite_close(base);
	suite_close(chat);
}

static void test_code_builtin_tasks_pass_with_their_solution_fail_with_pass_and_match_the_manifest(void)
{
	const char *path = "datasets/code/tasks.jsonl";
	char *line = NULL;
	size_t cap = 0, i = 0;
	suite *s;
	FILE *f;
	TB_REQUIRE((s = open_file("humaneval", path, 0, 0)) != NULL);
	TB_CHECK_INT(suite_count(s), 20);
	TB_REQUIRE((f = fopen(path, "r")) != NULL);
	while (getline(&line, &cap, f) > 0) {
		cJSON *o = cJSON_Parse(line);
		const cJSON *sol = cJSON_GetObjectItem(o, "canonical_solution");
		TB_REQUIRE(cJSON_IsString(sol));
		if (score_text(s, i, sol->valuestring, NULL) != 1.0)
			printf("  %s does not pass with its solution\n", suite_item_id(s, i));
		TB_CHECK_NEAR(score_text(s, i, sol->valuestring, NULL), 1.0, 0);
		TB_CHECK_NEAR(score_text(s, i, "    pass\n", NULL), 0.0, 0);
		cJSON_Delete(o);
		i++;
	}
	TB_CHECK_INT(i, 20);
	free(line);
	fclose(f);
	suite_close(s);
	TB_CHECK_INT(system("cd datasets/code && sha256sum --quiet -c MANIFEST.sha256"), 0);
}

int main(void)
{
	char cmd[128];
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_test_code_XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	TB_RUN(test_code_extract_takes_the_fenced_block_out_of_prose);
	TB_RUN(test_code_extract_prefers_the_block_defining_the_entry_point);
	TB_RUN(test_code_extract_survives_a_missing_closing_fence);
	TB_RUN(test_code_extract_ignores_think_blocks);
	TB_RUN(test_code_extract_without_fences_starts_at_the_code);
	TB_RUN(test_code_loaders_name_file_and_line_for_bad_input);
	TB_RUN(test_code_small_humaneval_file_builds_both_prompts_and_scores);
	TB_RUN(test_code_real_humaneval_items_pass_with_their_solution_and_fail_without);
	TB_RUN(test_code_real_mbpp_items_pass_with_their_code);
	TB_RUN(test_code_builtin_tasks_pass_with_their_solution_fail_with_pass_and_match_the_manifest);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd)) {
	}
	return tb_test_end();
}
