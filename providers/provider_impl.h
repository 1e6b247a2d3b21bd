/* providers/provider_impl.h — what the providers folder shares inside itself: the vtable every
 * provider kind fills, and the registry. Included only by providers/ and its tests. */
#ifndef TB_PROVIDER_IMPL_H
#define TB_PROVIDER_IMPL_H

#include "providers/provider.h"

typedef struct prov_vtable {
	const char *name;
	const char *summary;
	/* Opens the kind's state; NULL with err on failure. */
	void *(*open)(const prov_target *t, char *err, size_t errlen);
	void (*close)(void *self);
	/* Optional (NULL = can answer anything). */
	int (*check)(void *self, const char *const *task_ids, size_t n_tasks, int n_samples,
		char *err, size_t errlen);
	int (*submit)(void *self, const prov_req *rq, prov_done_fn done, void *ud);
	int (*poll)(void *self, int timeout_ms);
	int (*in_flight)(const void *self);
	void (*cancel_all)(void *self);
	int max_in_flight;     /* 0 = no limit of its own */
} prov_vtable;

extern const prov_vtable prov_samples_vtable;

#endif
