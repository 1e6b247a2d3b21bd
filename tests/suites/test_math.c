/* tests/suites/test_math.c — the math500 / math suites: \boxed{} and "final answer" extraction,
 * normalisation and equivalence on tricky pairs written here, every MATH-500 reference answer
 * (../shared, skipped when absent) equal to itself and to its own solution's boxed answer, prompts,
 * scoring and loader errors naming file:line. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "test.h"
#include "suites/suite_impl.h"

static char tmpdir[64];

static void check_extract(const char *text, const char *want)
{
	char *got = suite_math_extract(text);
	if (!want)
		TB_CHECK(got == NULL);
	else
		TB_CHECK_STR(got, want);
	free(got);
}

static void test_math_extract_takes_the_last_boxed_with_nested_braces(void)
{
	check_extract("so $\\boxed{1}$ no wait $\\boxed{\\frac{1}{2}}$.", "\\frac{1}{2}");
	check_extract("$\\fbox{\\left( 3, \\frac{\\pi}{2} \\right)}$", "\\left( 3, \\frac{\\pi}{2} \\right)");
	check_extract("\\boxed{\\{1,2\\}}", "\\{1,2\\}");
	check_extract("answer \\boxed 5 done", "5");
	check_extract("Final Answer: The final answer is $\\frac{3}{28}$. I hope it is correct.",
		      "\\frac{3}{28}");
	check_extract("The final answer is 42", "42");
	check_extract("no answer here", NULL);
	check_extract("\\boxed{unclosed", NULL);
}

typedef struct pair {
	const char *a, *b;
	int equal;
} pair;

static const pair pairs[] = {
	{ "\\frac{1}{2}", "0.5", 1 }, { "\\dfrac{1}{2}", "\\frac12", 1 }, { "\\tfrac{3}{4}", ".75", 1 },
	{ "1/2", "\\frac{1}{2}", 1 }, { "\\frac{2}{4}", "\\frac{1}{2}", 1 }, { "\\frac{1}{3}", "0.33", 0 },
	{ "2\\sqrt{3}", "\\sqrt{12}", 1 }, { "\\sqrt{2}/2", "\\frac{\\sqrt{2}}{2}", 1 },
	{ "\\frac{1}{\\sqrt{2}}", "\\frac{\\sqrt2}{2}", 1 }, { "\\sqrt{8}", "2\\sqrt{3}", 0 },
	{ "\\sqrt[3]{8}", "2", 1 }, { "2\\pi", "\\pi \\cdot 2", 1 }, { "\\frac{\\pi}{2}", "90", 0 },
	{ "\\pi", "3.14", 0 }, { "10,080", "10080", 1 }, { "10,\\!080", "10080", 1 },
	{ "\\$32,\\!348", "32348", 1 }, { "58,500", "58500.0", 1 }, { "1,2", "12", 0 },
	{ "36^\\circ", "36", 1 }, { "90^{\\circ}", "90", 1 }, { "50\\%", "50", 1 },
	{ "5 \\text{ cm}", "5", 1 }, { "12 \\text{ inches}", "12", 1 }, { "7 units", "7", 1 },
	{ "\\text{(C)}", "(C)", 1 }, { "\\text{Evelyn}", "Evelyn", 1 }, { "Evelyn", "Eve", 0 },
	{ "x = 5", "5", 1 }, { "k=-3", "-3", 1 }, { "y = 2x + 1", "2x+1", 1 }, { "x=5", "6", 0 },
	{ "5.", "5", 1 }, { "5.0", "5", 1 }, { "-\\frac{24}{25}", "-0.96", 1 }, { "-4", "4", 0 },
	{ "\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})", 1 },
	{ "(3, \\frac{\\pi}{2})", "(\\frac{\\pi}{2}, 3)", 0 }, { "(-1,6)", "(-1, 6)", 1 },
	{ "(1,2)", "[1,2]", 0 }, { "[2,5)", "[2, 5)", 1 }, { "[2,5)", "[2,5]", 0 },
	{ "(-\\infty, 3]", "(-\\infty,3]", 1 }, { "\\{1,2,3\\}", "\\{3,1,2\\}", 1 },
	{ "\\{1,2\\}", "\\{1,2,3\\}", 0 }, { "1, 2, 3", "3,2,1", 1 }, { "1,2", "1,3", 0 },
	{ "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", 1 },
	{ "\\begin{pmatrix} \\frac12 \\\\ 0 \\end{pmatrix}", "\\begin{pmatrix} 0.5 \\\\ 0 \\end{pmatrix}", 1 },
	{ "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{pmatrix} 1 & 3 \\\\ 2 & 4 \\end{pmatrix}", 0 },
	{ "2k+2", "2+2k", 1 }, { "2k+2", "2k+1", 0 }, { "x^3+3x-6", "3x+x^3-6", 1 },
	{ "x^2", "x^3", 0 }, { "(x+1)^2", "x^2+2x+1", 1 }, { "6 - 5i", "6-5i", 1 }, { "6-5i", "6+5i", 0 },
	{ "204_5", "204_{5}", 1 }, { "204_5", "204_5", 1 }, { "\\frac{243}{625}", "0.3888", 1 },
	{ "2^{10}", "1024", 1 }, { "2^10", "1024", 0 }, { "\\frac{11}{2}", "5\\frac{1}{2}", 1 },
	{ "\\text{odd}", "odd", 1 }, { "\\textbf{(A)}", "(A)", 1 }, { "", "0", 0 }, { "3", "", 0 },
	{ "\\infty", "\\infty", 1 }, { "1000", "1,000", 1 }, { "0.1", "\\frac{1}{10}", 1 },
	/* mixed numbers, exact comparison of exact values, TeX commas and braced bases */
	{ "1\\frac{4}{5}", "\\frac{9}{5}", 1 }, { "1\\frac{4}{5}", "\\frac{4}{5}", 0 },
	{ "-1\\frac{4}{5}", "-\\frac{9}{5}", 1 }, { "2-1\\frac{1}{2}", "\\frac{1}{2}", 1 },
	{ "11,111,111,101", "11,111,111,100", 0 }, { "11111111101", "11111111101.0", 1 },
	{ "0.333333", "\\frac{1}{3}", 0 }, { "\\frac{1}{3}", "\\frac{2}{6}", 1 },
	{ "123456789012", "123456789013", 0 }, { "\\frac{100000001}{3}", "33333333.67", 0 },
	{ "2{,}220", "2220", 1 }, { "2{,}220", "2221", 0 }, { "52_{8}", "52_8", 1 },
	{ "52_{8}", "52_9", 0 }, { "x\\frac{1}{2}", "\\frac{x}{2}", 1 }, { "2^{-2}", "0.25", 1 },
	{ "123456789012345678901", "123456789012345678900", 0 }, { "2^{100}", "1267650600228229401496703205376", 1 },
	{ "3.14159", "\\pi", 0 }, { "\\sqrt{2}", "1.414214", 0 }, { "3\\frac{5}{4}", "\\frac{15}{4}", 1 },
};

/* Nesting deep enough to exhaust the stack (found by fuzzing) is refused, not followed. */
static void test_math_deep_nesting_is_bounded(void)
{
	static char deep[60000];
	size_t n = 0;
	deep[n++] = '2';
	while (n < 20000)
		deep[n++] = '(';
	deep[n] = 0;
	TB_CHECK(!suite_math_equiv(deep, "2"));
	for (n = 0; n < 20000; n++)
		deep[n] = '{';
	for (; n < 40000; n++)
		deep[n] = '}';
	deep[n] = 0;
	TB_CHECK(!suite_math_equiv(deep, "2"));
	TB_CHECK(suite_math_equiv("((((((((((1+1))))))))))", "2"));
}

static void test_math_equivalence_on_tricky_pairs(void)
{
	size_t n = sizeof pairs / sizeof pairs[0], wrong = 0;
	TB_CHECK(n >= 60);
	for (size_t i = 0; i < n; i++) {
		int got = suite_math_equiv(pairs[i].a, pairs[i].b);
		if (got != pairs[i].equal) {
			printf("  \"%s\" vs \"%s\": %d, wanted %d\n", pairs[i].a, pairs[i].b, got,
			       pairs[i].equal);
			wrong++;
		}
		/* symmetric */
		TB_CHECK_INT(suite_math_equiv(pairs[i].b, pairs[i].a), got);
	}
	TB_CHECK_INT(wrong, 0);
}

static void test_math_all_500_references_match_themselves_and_their_solutions(void)
{
	const char *sh = tb_shared_dir();
	char path[512], *line = NULL;
	size_t cap = 0, n = 0, bad = 0;
	FILE *f;
	if (!sh)
		TB_SKIP("no shared data folder");
	snprintf(path, sizeof path, "%s/datasets/math500/test.jsonl", sh);
	if (!(f = fopen(path, "r")))
		TB_SKIP("math500/test.jsonl not found");
	while (getline(&line, &cap, f) > 0) {
		cJSON *o = cJSON_Parse(line);
		const char *ans = cJSON_GetObjectItem(o, "answer")->valuestring;
		char *boxed = suite_math_extract(cJSON_GetObjectItem(o, "solution")->valuestring);
		char *norm = suite_math_normalize(ans);
		if (!norm || !*norm || !suite_math_equiv(ans, ans) || !boxed ||
		    !suite_math_equiv(boxed, ans)) {
			if (bad++ < 10)
				printf("  line %zu: answer \"%s\" boxed \"%s\" normal \"%s\"\n", n + 1, ans,
				       boxed ? boxed : "(none)", norm ? norm : "(none)");
		}
		free(boxed);
		free(norm);
		cJSON_Delete(o);
		n++;
	}
	free(line);
	fclose(f);
	TB_CHECK_INT(n, 500);
	TB_CHECK_INT(bad, 0);
}

static int write_file(const char *name, const char *text, char *path, size_t pathlen)
{
	FILE *f;
	snprintf(path, pathlen, "%s/%s", tmpdir, name);
	if (!(f = fopen(path, "w")))
		return -1;
	fputs(text, f);
	return fclose(f);
}

static suite *open_math(const char *name, const char *path, int chat, int shots, char *err,
			size_t errlen)
{
	suite_opts o = { 0 };
	o.name = name;
	o.dataset_path = path;
	o.chat = chat;
	o.shots = shots;
	return suite_open(&o, err, errlen);
}

static void test_math_prompts_scoring_and_loader_errors(void)
{
	char path[256], err[512];
	prov_req rq;
	prov_resp r = { 0 };
	suite_score_out sc;
	suite *s;
	TB_REQUIRE(write_file("m.jsonl", "{\"problem\": \"What is $1+1$?\", \"answer\": \"2\", "
			      "\"unique_id\": \"a/1\"}\n{\"problem\": \"Half?\", \"solution\": "
			      "\"It is $\\\\boxed{\\\\frac{1}{2}}$.\"}\n", path, sizeof path) == 0);
	TB_REQUIRE((s = open_math("math", path, 0, -1, err, sizeof err)) != NULL);
	TB_CHECK_INT(suite_count(s), 2);
	TB_CHECK_STR(suite_item_id(s, 0), "a/1");
	TB_REQUIRE(suite_build(s, 0, 0, &rq) == 0);
	TB_CHECK(rq.prompt && strstr(rq.prompt, "I hope it is correct.") &&
		 strstr(rq.prompt, "Problem:\nWhat is $1+1$?\n\nSolution:"));
	prov_req_release(&rq);
	r.text = (char *)" It is $0.5$.\nFinal Answer: The final answer is $0.5$. I hope";
	TB_REQUIRE(suite_score(s, 1, &r, &sc) == 0);
	TB_CHECK_NEAR(sc.value[0], 1.0, 0);
	TB_CHECK_STR(sc.answer[0], "0.5");
	TB_CHECK_STR(sc.expected, "\\frac{1}{2}");
	suite_score_release(&sc);
	r.text = (char *)"so \\boxed{3}";
	TB_REQUIRE(suite_score(s, 0, &r, &sc) == 0);
	TB_CHECK_NEAR(sc.value[0], 0.0, 0);
	suite_score_release(&sc);
	suite_close(s);
	TB_REQUIRE((s = open_math("math500", path, 1, -1, err, sizeof err)) != NULL);
	TB_REQUIRE(suite_build(s, 0, 0, &rq) == 0);
	TB_CHECK(rq.n_messages == 1 && strstr(rq.messages[0].content, "\\boxed{}") &&
		 !strstr(rq.messages[0].content, "I hope"));
	prov_req_release(&rq);
	suite_close(s);

	TB_REQUIRE(write_file("e.jsonl", "", path, sizeof path) == 0);
	TB_CHECK(open_math("math500", path, 0, -1, err, sizeof err) == NULL && strstr(err, "no items"));
	TB_REQUIRE(write_file("b.jsonl", "{\"problem\": \"p\", \"answer\": \"1\"}\n[1]\n", path,
			      sizeof path) == 0);
	TB_CHECK(open_math("math500", path, 0, -1, err, sizeof err) == NULL &&
		 strstr(err, "b.jsonl:2: not a JSON object"));
	TB_REQUIRE(write_file("c.jsonl", "{\"problem\": \"p\"}\n", path, sizeof path) == 0);
	TB_CHECK(open_math("math500", path, 0, -1, err, sizeof err) == NULL &&
		 strstr(err, "c.jsonl:1: missing field \"answer\" (or \"solution\")"));
	TB_REQUIRE(write_file("d.jsonl", "{\"problem\": \"p\", \"solution\": \"no box\"}\n", path,
			      sizeof path) == 0);
	TB_CHECK(open_math("math", path, 0, -1, err, sizeof err) == NULL &&
		 strstr(err, "d.jsonl:1: field \"solution\" has no \\boxed{} answer"));
	TB_CHECK(open_math("math", path, 0, 3, err, sizeof err) == NULL && strstr(err, "3 shots"));
}

static void test_math_builtin_problems_load_check_and_match_the_manifest(void)
{
	const char *path = "datasets/math/problems.jsonl";
	char err[256], *line = NULL;
	size_t cap = 0, n = 0;
	suite *s = open_math("math500", path, 0, -1, err, sizeof err);
	FILE *f;
	TB_REQUIRE(s != NULL);
	TB_CHECK_INT(suite_count(s), 40);
	TB_CHECK_STR(suite_item_id(s, 0), "tb/math/0");
	TB_REQUIRE((f = fopen(path, "r")) != NULL);
	while (getline(&line, &cap, f) > 0) {
		cJSON *o = cJSON_Parse(line);
		char *boxed = suite_math_extract(cJSON_GetObjectItem(o, "solution")->valuestring);
		prov_resp r = { 0 };
		suite_score_out sc;
		TB_CHECK(boxed && suite_math_equiv(boxed, cJSON_GetObjectItem(o, "answer")->valuestring));
		/* its own solution, as a model's reply, scores 1 */
		r.text = cJSON_GetObjectItem(o, "solution")->valuestring;
		TB_CHECK(suite_score(s, n, &r, &sc) == 0 && sc.value[0] == 1.0);
		suite_score_release(&sc);
		free(boxed);
		cJSON_Delete(o);
		n++;
	}
	free(line);
	fclose(f);
	TB_CHECK_INT(n, 40);
	suite_close(s);
	TB_CHECK_INT(system("cd datasets/math && sha256sum --quiet -c MANIFEST.sha256"), 0);
}

int main(void)
{
	char cmd[128];
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_test_math_XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	TB_RUN(test_math_extract_takes_the_last_boxed_with_nested_braces);
	TB_RUN(test_math_deep_nesting_is_bounded);
	TB_RUN(test_math_equivalence_on_tricky_pairs);
	TB_RUN(test_math_all_500_references_match_themselves_and_their_solutions);
	TB_RUN(test_math_prompts_scoring_and_loader_errors);
	TB_RUN(test_math_builtin_problems_load_check_and_match_the_manifest);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd)) {
	}
	return tb_test_end();
}
