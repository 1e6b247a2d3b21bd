/* tests/fuzz/fuzz_imatrix.c — libFuzzer harness for the importance-matrix readers
 * (engine/imatrix.c): the input is written to a private file and read as a GGUF imatrix or a
 * legacy .dat (chosen by its magic, as `quantize --imatrix` does). A file is either refused
 * with a message or gives entries whose weights can all be read back, finite. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512] = "";
	const char *path = fuzz_file_write("imatrix", data, size);
	eng_imatrix *im = eng_imatrix_load(path, err, sizeof err);

	if (!im) {
		fuzz_check(err[0] != 0);
		return 0;
	}
	for (int64_t i = 0; i < eng_imatrix_n_entries(im); i++) {
		const char *name = eng_imatrix_name(im, i);
		int64_t n_in = 0;
		int n_mat = 0;
		float *w;

		fuzz_check(name != NULL && eng_imatrix_values(im, name, NULL, 0, &n_in, &n_mat) == 0);
		fuzz_check(n_in >= 1 && n_mat >= 1);
		if (!(w = malloc(sizeof *w * (size_t)(n_in * n_mat))))
			break;
		fuzz_check(eng_imatrix_values(im, name, w, n_in * n_mat, NULL, NULL) == 0);
		for (int64_t j = 0; j < n_in * n_mat; j++)
			fuzz_check(isfinite(w[j]));
		free(w);
	}
	eng_imatrix_free(im);
	return 0;
}
