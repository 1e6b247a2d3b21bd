/* tests/fuzz/fuzz_util.h — what the libFuzzer harnesses share: the check that traps (so libFuzzer
 * records the input) and the private file an input is written to for the loaders that read a
 * path. Header-only: each harness is its own program. */
#ifndef TB_FUZZ_UTIL_H
#define TB_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Traps when ok is 0. */
static inline void fuzz_check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* Writes size bytes of data to this process's private input file, created on the first call as
 * /dev/shm/tb_fuzz_TAG_XXXXXX where the machine has /dev/shm (a file written per execution on a
 * disk would make these harnesses the slowest by far), else under /tmp. Returns the path, owned
 * by this header's static buffer (one per harness program); aborts when the file cannot be
 * written, as that is the machine's fault, not the input's. */
static inline const char *fuzz_file_write(const char *tag, const void *data, size_t size)
{
	static char path[96];
	FILE *f;

	if (!path[0]) {
		int fd;

		snprintf(path, sizeof path, "/dev/shm/tb_fuzz_%s_XXXXXX", tag);
		if ((fd = mkstemp(path)) < 0) {
			snprintf(path, sizeof path, "/tmp/tb_fuzz_%s_XXXXXX", tag);
			if ((fd = mkstemp(path)) < 0)
				abort();
		}
		close(fd);
	}
	if (!(f = fopen(path, "wb")))
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	return path;
}

#endif
