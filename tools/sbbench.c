/* tools/sbbench.c — `make bench`'s sandbox figure: wall time to verify every canonical solution
 * of a HumanEval-format JSONL file (prompt + canonical_solution + test + check(entry_point)) in
 * the sandbox's worker pool, best and median of several runs, the exec path and the zygote
 * side by side (alternating, so both see the same machine load). FILE may be gzip-compressed.
 * Usage: sbbench FILE [RUNS]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "suites/suite_impl.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	FILE *f;
	char *line = NULL, **progs = NULL;
	size_t cap = 0, n = 0, ncap = 0;
	long lineno = 0;
	int runs = argc > 2 ? atoi(argv[2]) : 5, rc = 1;
	double t[2][64];
	static const char *const mode_name[2] = { "exec", "zygote" };
	suite_sb_result *res = NULL;

	if (argc < 2 || runs < 1 || runs > 64) {
		fprintf(stderr, "usage: sbbench HUMANEVAL.jsonl [RUNS 1..64]\n");
		return 2;
	}
	{
		char err[512];
		/* .jsonl or .jsonl.gz (the file as its project ships it) */
		if (!(f = suite_data_open(argv[1], err, sizeof err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	}
	while (getline(&line, &cap, f) > 0) {
		const char *k[4] = { "prompt", "canonical_solution", "test", "entry_point" };
		const char *v[4];
		cJSON *o = cJSON_Parse(line);
		size_t len = 32;
		lineno++;
		for (int i = 0; i < 4; i++) {
			cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k[i]);
			if (!cJSON_IsString(it)) {
				fprintf(stderr, "%s:%ld: missing field \"%s\"\n", argv[1], lineno, k[i]);
				cJSON_Delete(o);
				goto out;
			}
			v[i] = it->valuestring;
			len += strlen(v[i]);
		}
		if (n == ncap) {
			char **np = realloc(progs, (ncap = ncap ? ncap * 2 : 256) * sizeof *np);
			if (!np)
				goto out;
			progs = np;
		}
		if (!(progs[n] = malloc(len)))
			goto out;
		snprintf(progs[n++], len, "%s%s\n\n%s\n\ncheck(%s)\n", v[0], v[1], v[2], v[3]);
		cJSON_Delete(o);
	}
	if (!n || !(res = calloc(n, sizeof *res)))
		goto out;
	for (int r = 0; r < runs; r++) {
		for (int m = 0; m < 2; m++) {
			suite_sb_opts o = { 0 };
			size_t passed = 0, forked = 0;
			double t0 = now_s();
			o.mode = m ? SUITE_SB_MODE_ZYGOTE : SUITE_SB_MODE_EXEC;
			suite_sb_run_many(&o, (const char *const *)progs, n, 0, res);
			t[m][r] = now_s() - t0;
			if (r == runs - 1) {
				/* The slowest programs, for a reader wondering where the time goes. */
				size_t top[3] = { 0, 0, 0 };
				for (size_t i = 0; i < n; i++)
					for (int k = 0; k < 3; k++)
						if (res[i].wall_s > res[top[k]].wall_s) {
							for (int q = 2; q > k; q--)
								top[q] = top[q - 1];
							top[k] = i;
							break;
						}
				printf("  %-6s slowest: #%zu %.2f s, #%zu %.2f s, #%zu %.2f s\n", mode_name[m],
				       top[0], res[top[0]].wall_s, top[1], res[top[1]].wall_s, top[2],
				       res[top[2]].wall_s);
			}
			for (size_t i = 0; i < n; i++) {
				passed += res[i].verdict == SUITE_SB_PASSED;
				forked += res[i].zygote;
				suite_sb_result_release(&res[i]);
			}
			printf("  run %d %-6s: %zu/%zu passed in %.2f s (%zu forked from a zygote)\n", r + 1,
			       mode_name[m], passed, n, t[m][r], forked);
		}
	}
	for (int m = 0; m < 2; m++) {
		qsort(t[m], (size_t)runs, sizeof t[m][0], cmp_double);
		printf("  %-6s median %.2f s (best %.2f s) for %zu programs: %.1f ms each, %.0f programs/s\n",
		       mode_name[m], t[m][runs / 2], t[m][0], n, 1000 * t[m][runs / 2] / (double)n,
		       (double)n / t[m][runs / 2]);
	}
	rc = 0;
out:
	fclose(f);
	free(line);
	for (size_t i = 0; i < n; i++)
		free(progs[i]);
	free(progs);
	free(res);
	return rc;
}
