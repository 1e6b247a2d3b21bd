/* tests/fuzz/fuzz_spec.c — libFuzzer harness for the run-spec parser (harness/spec.c): each
 * input is parsed as a spec; an accepted spec must print to canonical JSON that parses back to
 * the same canonical JSON, and a refused one must leave a one-line message with no control
 * characters. Seeds: examples/ specs (make fuzz). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"

#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[1024];
	hx_spec *s, *t;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	err[0] = 0;
	/* base "/nonexistent": path checks see missing files, never this machine's own */
	s = hx_spec_parse(text, "fuzz.json", "/nonexistent-fuzz-dir", err, sizeof err);
	if (!s) {
		fuzz_check(err[0] != 0);
		for (const char *q = err; *q; q++)
			fuzz_check((unsigned char)*q >= 0x20 && *q != 0x7f);
	} else {
		char *j1 = hx_spec_to_json(s, 0), *j2 = NULL;
		fuzz_check(j1 != NULL);
		t = hx_spec_parse(j1, "canonical", "/nonexistent-fuzz-dir", err, sizeof err);
		fuzz_check(t != NULL);
		j2 = hx_spec_to_json(t, 0);
		fuzz_check(j2 && strcmp(j1, j2) == 0);
		free(j1);
		free(j2);
		hx_spec_free(t);
	}
	hx_spec_free(s);
	free(text);
	return 0;
}
