/* harness/store_impl.h — what the results store shares with the rest of harness/ (merge.c) and
 * its tests only: the JSON difference finder that names the first key where two spec
 * identities part. */
#ifndef TB_HARNESS_STORE_IMPL_H
#define TB_HARNESS_STORE_IMPL_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Appends to path[cap] (which holds the path so far, "" at the top) the JSON path of the first
 * difference between a and b: "suites[0].limit", "targets[1].options.rpm", or a count note
 * (" (2 entries, now 3)") when one array is a prefix of the other. Leaves path as it is when
 * a and b differ in type at the top or are equal. Ownership: borrows a and b; writes path. */
void hx_json_diff(const cJSON *a, const cJSON *b, char *path, size_t cap);

#endif
