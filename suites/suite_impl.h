/* suites/suite_impl.h — what the suites folder shares inside itself: the vtable each suite kind
 * fills, the common item table, and the JSONL reader the dataset loaders use. Included only by
 * suites/ and its tests. */
#ifndef TB_SUITE_IMPL_H
#define TB_SUITE_IMPL_H

#include <stdio.h>

#include "suites/suite.h"

typedef struct suite_vtable {
	const char *name;
	const char *summary;
	const char *dataset_hint;
	/* Loads the kind's state into *self; 0 or -1 with err. */
	int (*open)(suite *s, const suite_opts *o, char *err, size_t errlen);
	void (*close)(suite *s);
	int (*build)(const suite *s, size_t item, int sample, prov_req *out);
	int (*score)(const suite *s, size_t item, const prov_resp *r, suite_score_out *out);
} suite_vtable;

struct suite {
	const suite_vtable *vt;
	char **ids;          /* [n_items] item ids */
	size_t n_items;
	void *self;          /* the kind's own state */
};

/* Reads one line of at most max_bytes; returns its length, -1 at end of file, -2 when too long
 * or out of memory. *buf grows as needed. Ownership: caller frees *buf. */
long suite_read_line(FILE *f, char **buf, size_t *cap, size_t max_bytes);

extern const suite_vtable suite_gsm8k_vtable;

#endif
