/* engine/threads_impl.h — the compute thread pool: created with a model, bound to cores chosen
 * with hwloc, woken for each parallel step of the forward pass. Internal to engine/. */
#ifndef ENG_THREADS_IMPL_H
#define ENG_THREADS_IMPL_H

#include <stddef.h>

typedef struct eng_pool eng_pool;

/* One parallel step: called once on each of nth threads with ith = 0..nth-1. */
typedef void (*eng_task_fn)(void *arg, int ith, int nth);

/* Physical cores of this machine as hwloc counts them (at least 1). */
int eng_physical_cores(void);

/* Starts n_threads - 1 workers (the caller of eng_pool_run is thread 0). Worker i is bound to
 * physical core i (modulo the core count), leaving core 0 to the caller, when pin is set and
 * hwloc can bind; binding failures are not errors (eng_pool_pinned says what happened).
 * NULL with a message in err when threads cannot be created. Ownership: eng_pool_free. */
eng_pool *eng_pool_new(int n_threads, int pin, char *err, size_t errlen);
void eng_pool_free(eng_pool *p);

int eng_pool_size(const eng_pool *p);
/* Number of workers bound to a core. */
int eng_pool_pinned(const eng_pool *p);

/* Runs fn(arg, ith, nth) on nth threads (1 <= nth <= eng_pool_size; larger is clamped) and
 * returns when all are done. Workers spin briefly between steps, then sleep. Calls from
 * several threads at once are serialised. Does not allocate. */
void eng_pool_run(eng_pool *p, int nth, eng_task_fn fn, void *arg);

/* The share [*lo, *hi) of n items that thread ith of nth takes (contiguous, sizes differ by at
 * most `align` items; boundaries are multiples of align except the last). */
void eng_split(long n, int ith, int nth, long align, long *lo, long *hi);

#endif
