/* cli/suggest.c — "did you mean": the known name nearest to a mistyped one by edit distance, and
 * the one-line usage error that names it (or lists the known names when none is close). Used for
 * commands, suites and providers alike. */
#include <stdio.h>
#include <string.h>

#include "cli/cli_impl.h"
#include "harness/harness.h"

/* Edit distance (insert, delete, substitute) of two short names; 99 past 63 bytes. */
static size_t name_distance(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b), row[64];
	if (na >= 64 || nb >= 64)
		return 99;
	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[nb];
}

/* The name of entry i: a const char * at the start of each entry, stride bytes apart. */
static const char *entry_name(const void *names, size_t i, size_t stride)
{
	return *(const char *const *)((const char *)names + i * stride);
}

const char *cli_suggest(const char *name, const void *names, size_t n, size_t stride)
{
	const char *best = NULL;
	size_t bd = 99, limit = strlen(name) / 3 > 2 ? strlen(name) / 3 : 2;
	for (size_t i = 0; i < n; i++) {
		const char *k = entry_name(names, i, stride);
		size_t d = name_distance(k, name);
		if (d < bd)
			bd = d, best = k;
	}
	return best && bd <= limit ? best : NULL;
}

int cli_check_name(const char *cmd, const char *what, const char *name, const void *names, size_t n,
	size_t stride)
{
	const char *best;
	char esc[128];
	for (size_t i = 0; i < n; i++)
		if (!strcmp(entry_name(names, i, stride), name))
			return 0;
	hx_text_escape(esc, sizeof esc, name);
	if ((best = cli_suggest(name, names, n, stride))) {
		fprintf(stderr, "%s: unknown %s \"%s\" (did you mean \"%s\"?)\n", cmd, what, esc, best);
	} else {
		fprintf(stderr, "%s: unknown %s \"%s\" (known:", cmd, what, esc);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%s %s", i ? "," : "", entry_name(names, i, stride));
		fprintf(stderr, ")\n");
	}
	return -1;
}
