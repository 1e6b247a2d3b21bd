/* tests/fuzz/fuzz_answers.c — libFuzzer harness for the answer extractors: GSM8K (through the
 * suite's score function on a one-item dataset), MATH (suite_math_extract, _normalize, _equiv
 * and the suite's score) and code fences (suite_code_extract, chat and completion forms). The
 * input is a model reply; for equivalence it is split at the first newline into two answers.
 * Checks: extracted strings are NUL-terminated and scores stay in 0..1. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites/suite_impl.h"

#include "tests/fuzz/fuzz_util.h"

static suite *gsm8k, *math;

/* A one-item dataset in a private file; the suite keeps what it read. */
static suite *open_one(const char *name, const char *line)
{
	char path[] = "/tmp/tb_fuzz_ds_XXXXXX", err[512];
	int fd = mkstemp(path);
	suite_opts o;
	suite *s;

	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		fprintf(stderr, "fuzz_answers: cannot write %s\n", path);
		abort();
	}
	close(fd);
	memset(&o, 0, sizeof o);
	o.name = name;
	o.dataset_path = path;
	o.shots = 0;
	s = suite_open(&o, err, sizeof err);
	unlink(path);
	if (!s) {
		fprintf(stderr, "fuzz_answers: %s: %s\n", name, err);
		abort();
	}
	return s;
}

static void score(const suite *s, char *text)
{
	prov_resp r;
	suite_score_out out;

	memset(&r, 0, sizeof r);
	memset(&out, 0, sizeof out);
	r.text = text;
	if (suite_score(s, 0, &r, &out) == 0) {
		for (int m = 0; m < out.n_metrics; m++) {
			fuzz_check(out.value[m] >= 0 && out.value[m] <= 1);
			fuzz_check(!out.answer[m] || strlen(out.answer[m]) <= strlen(text) + 64);
		}
	}
	suite_score_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *a, *b, *nl;

	if (!text)
		return 0;
	if (!gsm8k) {
		gsm8k = open_one("gsm8k", "{\"question\": \"How many?\", \"answer\": \"2+2=<<2+2=4>>4\\n#### 4\"}\n");
		math = open_one("math", "{\"problem\": \"x?\", \"solution\": \"So $\\\\boxed{\\\\frac{1}{2}}$.\","
			" \"level\": \"Level 1\", \"type\": \"Algebra\"}\n");
	}
	memcpy(text, data, size);
	text[size] = 0;
	score(gsm8k, text);
	score(math, text);
	if ((a = suite_math_extract(text))) {
		char *n = suite_math_normalize(a);
		free(n);
		free(a);
	}
	if ((nl = strchr(text, '\n'))) {
		*nl = 0;
		fuzz_check(suite_math_equiv(text, nl + 1) == suite_math_equiv(text, nl + 1));
		*nl = '\n';
	}
	a = suite_code_extract(text, "f", 1);
	b = suite_code_extract(text, NULL, 0);
	fuzz_check(!a || strlen(a) <= size + 1);
	fuzz_check(!b || strlen(b) <= size + 1);
	free(a);
	free(b);
	free(text);
	return 0;
}
