/* suites/suite.c — the suite registry and dispatch, plus helpers shared by the dataset loaders
 * (a capped line reader). */
#include <stdlib.h>
#include <string.h>

#include "suites/suite_impl.h"

static const suite_vtable *const kinds[] = { &suite_gsm8k_vtable };
#define N_KINDS (sizeof kinds / sizeof kinds[0])

const suite_info *suite_list(size_t *n)
{
	static suite_info infos[N_KINDS];
	for (size_t i = 0; i < N_KINDS; i++) {
		infos[i].name = kinds[i]->name;
		infos[i].summary = kinds[i]->summary;
		infos[i].dataset_hint = kinds[i]->dataset_hint;
	}
	*n = N_KINDS;
	return infos;
}

suite *suite_open(const suite_opts *o, char *err, size_t errlen)
{
	const suite_vtable *vt = NULL;
	suite *s;
	if (!o || !o->name) {
		snprintf(err, errlen, "no suite name given");
		return NULL;
	}
	for (size_t i = 0; i < N_KINDS; i++)
		if (strcmp(kinds[i]->name, o->name) == 0)
			vt = kinds[i];
	if (!vt) {
		char known[256] = "";
		for (size_t i = 0; i < N_KINDS; i++) {
			size_t u = strlen(known);
			snprintf(known + u, sizeof known - u, "%s%s", i ? ", " : "", kinds[i]->name);
		}
		snprintf(err, errlen, "unknown suite \"%s\" (known: %s)", o->name, known);
		return NULL;
	}
	if (!(s = calloc(1, sizeof *s))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->vt = vt;
	if (vt->open(s, o, err, errlen)) {
		suite_close(s);
		return NULL;
	}
	return s;
}

void suite_close(suite *s)
{
	if (!s)
		return;
	if (s->vt && s->vt->close)
		s->vt->close(s);
	for (size_t i = 0; i < s->n_items; i++)
		free(s->ids[i]);
	free(s->ids);
	free(s);
}

const char *suite_name(const suite *s)
{
	return s->vt->name;
}

size_t suite_count(const suite *s)
{
	return s ? s->n_items : 0;
}

const char *suite_item_id(const suite *s, size_t item)
{
	return item < s->n_items ? s->ids[item] : NULL;
}

int suite_build(const suite *s, size_t item, int sample, prov_req *out)
{
	memset(out, 0, sizeof *out);
	if (!s || item >= s->n_items)
		return SUITE_ERANGE;
	return s->vt->build(s, item, sample, out);
}

int suite_score(const suite *s, size_t item, const prov_resp *r, suite_score_out *out)
{
	memset(out, 0, sizeof *out);
	if (!s || item >= s->n_items)
		return SUITE_ERANGE;
	if (!r)
		return SUITE_EINVAL;
	return s->vt->score(s, item, r, out);
}

void suite_score_release(suite_score_out *out)
{
	if (!out)
		return;
	for (int i = 0; i < SUITE_MAX_METRICS; i++)
		free(out->answer[i]);
	free(out->expected);
	memset(out, 0, sizeof *out);
}

const char *suite_strerror(int code)
{
	switch (code) {
	case SUITE_OK: return "ok";
	case SUITE_EINVAL: return "invalid argument";
	case SUITE_ENOMEM: return "out of memory";
	case SUITE_ERANGE: return "item index out of range";
	default: return "unknown suite error";
	}
}

long suite_read_line(FILE *f, char **buf, size_t *cap, size_t max_bytes)
{
	size_t n = 0;
	int c;
	while ((c = getc(f)) != EOF) {
		if (n + 2 > *cap) {
			size_t nc = *cap ? *cap * 2 : 4096;
			char *nb;
			if (n + 2 > max_bytes + 2)
				return -2;
			if (!(nb = realloc(*buf, nc)))
				return -2;
			*buf = nb;
			*cap = nc;
		}
		if (c == '\n')
			break;
		(*buf)[n++] = (char)c;
	}
	if (n == 0 && c == EOF)
		return -1;
	if (n && (*buf)[n - 1] == '\r')
		n--;
	(*buf)[n] = 0;
	return (long)n;
}
