/* tests/fuzz/fuzz_loaders.c — libFuzzer harness for the dataset loaders (suites: gsm8k, math,
 * humaneval, mbpp JSONL) and the samples file loader (providers/samples.c). The first byte picks
 * the loader; the rest is written to a private file (in /dev/shm where there is one) that the
 * loader opens. A loader must either open the file or refuse it with a message; what it opens
 * must build a request for every item. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "providers/provider.h"
#include "suites/suite.h"

#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "gsm8k", "math", "humaneval", "mbpp" };
	char err[1024] = "";
	const char *path;
	int which;

	if (size < 1)
		return 0;
	which = data[0] % 5;
	path = fuzz_file_write("load", data + 1, size - 1);
	if (which < 4) {
		suite_opts o;
		suite *s;
		memset(&o, 0, sizeof o);
		o.name = names[which];
		o.dataset_path = path;
		o.train_path = data[0] & 0x80 ? path : NULL;
		o.shots = data[0] & 0x40 ? 2 : 0;
		o.limit = 50;
		s = suite_open(&o, err, sizeof err);
		if (!s) {
			fuzz_check(err[0] != 0);
			return 0;
		}
		for (size_t i = 0; i < suite_count(s); i++) {
			prov_req rq;
			memset(&rq, 0, sizeof rq);
			if (suite_build(s, i, 0, &rq) == 0)
				prov_req_release(&rq);
		}
		suite_close(s);
	} else {
		prov_target t;
		prov *p;
		memset(&t, 0, sizeof t);
		t.id = "fuzz";
		t.provider = "samples";
		t.model = path;
		p = prov_open(&t, err, sizeof err);
		if (!p) {
			fuzz_check(err[0] != 0);
			return 0;
		}
		{
			static const char *const ids[] = { "0", "1", "task/0", "x" };
			prov_check(p, ids, 4, 1, err, sizeof err);
		}
		prov_close(p);
	}
	return 0;
}
