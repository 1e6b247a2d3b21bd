/* tests/suites/test_needle.c — the needle suite: the grid of lengths x depths with cell ids, prompts
 * cut to the token budget with a given counter (and the 4-bytes estimate), needles at sentence
 * boundaries at their depth, the four variants, exact-substring scoring, a real text file as the
 * haystack (../shared, skipped when absent) and errors. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "suites/suite_impl.h"

/* A stand-in tokenizer: one token per word, one per punctuation mark. */
static long count_words(void *ud, const char *t)
{
	long n = 0;
	int in = 0;
	(*(long *)ud)++;
	for (; *t; t++) {
		if (isalnum((unsigned char)*t)) {
			n += !in;
			in = 1;
		} else {
			in = 0;
			n += !isspace((unsigned char)*t);
		}
	}
	return n;
}

/* The needle's options object for a variant (NULL: default), lengths (n_len 0: default) and
 * depths (0: default), written into buf. Returns buf. */
static const char *grid_options(char *buf, size_t cap, const char *variant, const long *lengths,
	size_t n_len, int depths)
{
	size_t u = (size_t)snprintf(buf, cap, "{");
	if (variant)
		u += (size_t)snprintf(buf + u, cap - u, "\"variant\":\"%s\"", variant);
	if (n_len) {
		u += (size_t)snprintf(buf + u, cap - u, "%s\"lengths\":[", u > 1 ? "," : "");
		for (size_t i = 0; i < n_len; i++)
			u += (size_t)snprintf(buf + u, cap - u, "%s%ld", i ? "," : "", lengths[i]);
		u += (size_t)snprintf(buf + u, cap - u, "]");
	}
	if (depths)
		u += (size_t)snprintf(buf + u, cap - u, "%s\"depths\":%d", u > 1 ? "," : "", depths);
	snprintf(buf + u, cap - u, "}");
	return buf;
}

static suite *open_needle(const char *variant, const long *lengths, size_t n_len, int depths,
			  const char *path, long (*counter)(void *, const char *), void *ud, char *err,
			  size_t errlen)
{
	suite_opts o = { 0 };
	char opts[1024];
	o.name = "needle";
	o.options_json = grid_options(opts, sizeof opts, variant, lengths, n_len, depths);
	o.dataset_path = path;
	o.count_tokens = counter;
	o.count_tokens_ud = ud;
	o.seed = 7;
	o.chat = 1;
	return suite_open(&o, err, errlen);
}

static char *prompt_of(suite *s, size_t i)
{
	prov_req rq;
	char *p = NULL;
	if (suite_build(s, i, 0, &rq) == 0 && rq.n_messages == 1)
		p = strdup(rq.messages[0].content);
	prov_req_release(&rq);
	return p;
}

static void test_needle_default_grid_has_one_cell_per_length_and_depth(void)
{
	char err[256];
	suite *s = open_needle(NULL, NULL, 0, 0, NULL, NULL, NULL, err, sizeof err);
	TB_REQUIRE(s != NULL);
	TB_CHECK_INT(suite_count(s), 40);
	TB_CHECK_STR(suite_item_id(s, 0), "single/L1024/D0");
	TB_CHECK_STR(suite_item_id(s, 5), "single/L1024/D56");
	TB_CHECK_STR(suite_item_id(s, 39), "single/L8192/D100");
	/* The estimate: 4 bytes a token, within the length less the room for the answer. */
	for (size_t i = 0; i < suite_count(s); i += 9) {
		char *p = prompt_of(s, i);
		long budget = (i < 10 ? 1024 : i < 20 ? 2048 : i < 30 ? 4096 : 8192) - 64;
		TB_REQUIRE(p != NULL);
		TB_CHECK((long)((strlen(p) + 3) / 4) <= budget);
		TB_CHECK((long)((strlen(p) + 3) / 4) > budget - 40);
		free(p);
	}
	suite_close(s);
}

/* What the build-progress callback saw. */
typedef struct progress_seen {
	size_t calls, last_done, total, out_of_order;
} progress_seen;

static void note_progress(void *ud, size_t done, size_t total)
{
	progress_seen *p = ud;
	if (done != p->last_done + 1 || (p->calls && total != p->total))
		p->out_of_order++;
	p->calls++;
	p->last_done = done;
	p->total = total;
}

/* The open reports each cell of the grid as it is built (a long grid shows progress), and a
 * limit is the total it counts to. */
static void test_needle_reports_its_build_progress_cell_by_cell(void)
{
	char err[256];
	for (int limited = 0; limited < 2; limited++) {
		progress_seen seen = { 0, 0, 0, 0 };
		suite_opts o = { 0 };
		suite *s;
		o.name = "needle";
		o.options_json = "{\"lengths\": [512, 1024, 2048], \"depths\": 4}";
		o.limit = limited ? 5 : 0;
		o.build_progress = note_progress;
		o.build_progress_ud = &seen;
		TB_REQUIRE((s = suite_open(&o, err, sizeof err)) != NULL);
		TB_CHECK_INT(seen.calls, suite_count(s));
		TB_CHECK_INT(seen.calls, limited ? 5 : 12);
		TB_CHECK_INT(seen.total, limited ? 5 : 12);
		TB_CHECK_INT(seen.last_done, seen.total);
		TB_CHECK_INT(seen.out_of_order, 0);
		suite_close(s);
	}
}

static void test_needle_cuts_to_the_counter_and_puts_needles_at_their_depth(void)
{
	static const long lengths[] = { 500, 3000 };
	char err[256];
	long calls = 0, dummy = 0;
	suite *s = open_needle("single", lengths, 2, 5, NULL, count_words, &calls, err, sizeof err);
	TB_REQUIRE(s != NULL);
	TB_CHECK(calls > 0);
	TB_CHECK_INT(suite_count(s), 10);
	for (size_t i = 0; i < 10; i++) {
		char *p = prompt_of(s, i), *nd, *q, *h;
		long t, budget = lengths[i / 5] - 64;
		double frac, want = (double)(i % 5) / 4.0;
		TB_REQUIRE(p != NULL);
		t = count_words(&dummy, p);
		TB_CHECK(t <= budget);
		TB_CHECK(t > budget - 20);   /* one sentence of slack at most */
		nd = strstr(p, "The special magic number for ");
		q = strstr(p, "\n\nQuestion: ");
		h = strstr(p, "\n\n") + 2;
		TB_REQUIRE(nd && q && h);
		/* at a sentence boundary */
		TB_CHECK(nd == h || (nd[-1] == ' ' && nd[-2] == '.'));
		frac = (double)(nd - h) / (double)(q - h);
		if (!(frac > want - 0.05 && frac < want + 0.05))
			printf("  item %zu: needle at %.3f of the haystack, wanted %.2f\n", i, frac, want);
		TB_CHECK(frac > want - 0.05 && frac < want + 0.05);
		free(p);
	}
	suite_close(s);
}

static double score(suite *s, size_t i, const char *text, char **expected)
{
	prov_resp r = { 0 };
	suite_score_out sc;
	double v;
	r.text = (char *)text;
	if (suite_score(s, i, &r, &sc))
		return -1;
	v = sc.value[0];
	if (expected)
		*expected = sc.expected ? strdup(sc.expected) : NULL;
	suite_score_release(&sc);
	return v;
}

static void test_needle_variants_and_exact_substring_scoring(void)
{
	static const long lengths[] = { 1024 };
	const char *variants[] = { "single", "multikey", "multivalue", "vartrack" };
	char err[256], *exp = NULL;
	for (int v = 0; v < 4; v++) {
		suite *s = open_needle(variants[v], lengths, 1, 3, NULL, NULL, NULL, err, sizeof err);
		char *p, reply[256];
		TB_REQUIRE(s != NULL);
		TB_REQUIRE((p = prompt_of(s, 1)) != NULL);
		TB_CHECK_NEAR(score(s, 1, "I do not know.", &exp), 0.0, 0);
		TB_REQUIRE(exp != NULL);
		/* every expected string is in the prompt */
		{
			char *e = strdup(exp), *tok, *save = NULL;
			int n = 0;
			for (tok = strtok_r(e, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save), n++)
				TB_CHECK(strstr(p, tok) != NULL);
			TB_CHECK_INT(n, v == 0 || v == 1 ? 1 : 4);
			free(e);
		}
		snprintf(reply, sizeof reply, "The answer: %s", exp);
		TB_CHECK_NEAR(score(s, 1, reply, NULL), 1.0, 0);
		if (v == 1) {
			/* distractors: four needles with four different keys */
			int n = 0;
			for (char *q = p; (q = strstr(q, "The special magic number for ")); q++)
				n++;
			TB_CHECK_INT(n, 4);
		}
		if (v == 2) {
			char half[64];
			snprintf(half, sizeof half, "%.*s", 16, exp);   /* the first two values */
			TB_CHECK_NEAR(score(s, 1, half, NULL), 0.5, 1e-12);
		}
		if (v == 3)
			TB_CHECK(strstr(p, "VAR ") != NULL);
		free(exp);
		free(p);
		suite_close(s);
	}
}

static void test_needle_reads_a_text_file_as_haystack(void)
{
	static const long lengths[] = { 2048 };
	const char *sh = tb_shared_dir();
	char path[512], err[256], *p;
	suite *s;
	if (!sh)
		TB_SKIP("no shared data folder");
	snprintf(path, sizeof path, "%s/datasets/longcontext/gutenberg/pg1342_pride_and_prejudice.txt", sh);
	if (!(s = open_needle(NULL, lengths, 1, 2, path, NULL, NULL, err, sizeof err))) {
		printf("  %s\n", err);
		TB_SKIP("pride and prejudice not found");
	}
	TB_REQUIRE((p = prompt_of(s, 0)) != NULL);
	TB_CHECK(strstr(p, "GEORGE ALLEN PUBLISHER 156 CHARING CROSS ROAD") != NULL);   /* white space folded */
	TB_CHECK(strstr(p, "The special magic number for ") != NULL);
	free(p);
	suite_close(s);
}

/* The suite checks its own options object: keys it declares, values in its limits, errors that
 * name the key inside the object; suites without options take none. */
static void test_needle_checks_its_own_options(void)
{
	static const struct { const char *name, *json, *key, *why; } bad[] = {
		{ "needle", "{\"lengths\": [1024, 100]}", "lengths[1]",
		  "expected integer 256..16777216 (tokens), got 100" },
		{ "needle", "{\"lengths\": []}", "lengths", "expected an array of 1..64 integers, got []" },
		{ "needle", "{\"depths\": 102}", "depths", "expected integer 1..101, got 102" },
		{ "needle", "{\"depths\": 2.5}", "depths", "expected integer 1..101, got 2.5" },
		{ "needle", "{\"variant\": 3}", "variant",
		  "expected \"single\", \"multikey\", \"multivalue\" or \"vartrack\", got 3" },
		{ "needle", "{\"lenghts\": [1024]}", "lenghts",
		  "unknown key (the needle suite takes lengths, depths, variant)" },
		{ "needle", "[1024]", "", "expected an object, got [1024]" },
		{ "needle", "{\"depths\": ", "", "not valid JSON" },
		{ "gsm8k", "{\"depths\": 3}", "depths", "unknown key (the gsm8k suite takes no options)" },
		{ "quality", "{\"top_k\": 17}", "top_k", "expected integer 1..16, got 17" },
		{ "nosuch", "{}", "", "unknown suite \"nosuch\"" },
	};
	char key[64], why[256], err[512];
	suite_opts o = { 0 };
	suite *s;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		TB_CHECK_INT(suite_options_check(bad[i].name, bad[i].json, key, sizeof key, why,
			sizeof why), SUITE_EINVAL);
		TB_CHECK_STR(key, bad[i].key);
		TB_CHECK_STR(why, bad[i].why);
	}
	TB_CHECK_INT(suite_options_check("needle", "{\"lengths\": [256, 16777216], \"depths\": 101,"
		" \"variant\": \"vartrack\"}", key, sizeof key, why, sizeof why), 0);
	TB_CHECK_INT(suite_options_check("needle", NULL, key, sizeof key, why, sizeof why), 0);
	TB_CHECK_INT(suite_options_check("gsm8k", "{}", key, sizeof key, why, sizeof why), 0);
	/* the open refuses the same object, naming the suite and the key */
	o.name = "needle";
	o.options_json = "{\"depths\": 0}";
	TB_CHECK((s = suite_open(&o, err, sizeof err)) == NULL);
	TB_CHECK_STR(err, "needle: options.depths: expected integer 1..101, got 0");
	suite_close(s);
	/* and what a suite declares is what `tierbench list` and the spec see */
	{
		size_t n;
		const suite_info *si = suite_list(&n);
		int found = 0;
		for (size_t k = 0; k < n; k++)
			if (strcmp(si[k].name, "needle") == 0 && si[k].option_keys)
				found = strcmp(si[k].option_keys[0], "lengths") == 0 && si[k].option_keys[3] == NULL;
		TB_CHECK(found);
	}
}

static void test_needle_errors_name_what_is_wrong(void)
{
	static const long tiny[] = { 100 }, big[] = { 4096 };
	char err[256], path[64];
	FILE *f;
	TB_CHECK(open_needle("haystack", NULL, 0, 0, NULL, NULL, NULL, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "options.variant: expected \"single\", \"multikey\", \"multivalue\" or "
		"\"vartrack\", got \"haystack\"") != NULL);
	TB_CHECK(open_needle(NULL, tiny, 1, 0, NULL, NULL, NULL, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "options.lengths[0]: expected integer 256..16777216 (tokens), got 100") != NULL);
	TB_CHECK(open_needle(NULL, big, 1, 0, "/nonexistent/hay.txt", NULL, NULL, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "/nonexistent/hay.txt: cannot open") != NULL);
	snprintf(path, sizeof path, "/tmp/tb_needle_%d.txt", (int)getpid());
	TB_REQUIRE((f = fopen(path, "w")) != NULL);
	fputs("no sentence end here", f);
	fclose(f);
	TB_CHECK(open_needle(NULL, big, 1, 0, path, NULL, NULL, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "no sentence ends") != NULL && strstr(err, path) != NULL);
	remove(path);
}

int main(void)
{
	TB_RUN(test_needle_default_grid_has_one_cell_per_length_and_depth);
	TB_RUN(test_needle_reports_its_build_progress_cell_by_cell);
	TB_RUN(test_needle_cuts_to_the_counter_and_puts_needles_at_their_depth);
	TB_RUN(test_needle_variants_and_exact_substring_scoring);
	TB_RUN(test_needle_checks_its_own_options);
	TB_RUN(test_needle_reads_a_text_file_as_haystack);
	TB_RUN(test_needle_errors_name_what_is_wrong);
	return tb_test_end();
}
