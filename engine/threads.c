/* engine/threads.c — the compute thread pool (see threads_impl.h).
 *
 * A step is published by bumping a generation counter; workers spin on it for a short while
 * (a decode step of a 1 B model has ~150 parallel sections, a few microseconds apart) and then
 * sleep on a condition variable. The caller takes part as thread 0 and spins until the pending
 * count reaches zero. */
#include <errno.h>
#include <hwloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_impl.h"
#include "engine/threads_impl.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif

enum { SPIN_ROUNDS = 1 << 16 };   /* ~0.1-1 ms of pause instructions before sleeping */
/* Pauses between yields while spinning: when another program wants this core, a spinning thread
 * hands it the rest of its time slice (sched_yield) rather than burning it, so a preempted
 * compute thread that shares the core gets back sooner; on an idle core the yield returns at
 * once. */
enum { YIELD_EVERY = 1 << 10 };

typedef struct worker {
	struct eng_pool *pool;
	pthread_t tid;
	int ith;
	int pinned;
} worker;

struct eng_pool {
	int n;                      /* threads including the caller */
	worker *w;                  /* [n]; w[0] is the caller's slot (no thread) */
	/* The current step: its generation (bumped once per published step) and its thread count in
	 * one word, (generation << 16) | nth, so that a worker reads the two together. (They were two
	 * fields: a worker that saw a step it had no share in could read the next step's larger nth
	 * and run a share of that step before it was published, then again after.) */
	atomic_ullong state;
	unsigned long long gen;     /* the caller's count of published steps (under run_mu) */
	atomic_int pending;         /* workers still running the current step */
	atomic_int sleeping;
	atomic_int quit;
	eng_task_fn fn;             /* the current step, written before state is */
	void *arg;
	pthread_mutex_t mu;         /* guards the sleep / wake handshake */
	pthread_cond_t cv;
	pthread_mutex_t run_mu;     /* serialises eng_pool_run callers */
	hwloc_topology_t topo;
	int have_topo;
};

int eng_physical_cores(void)
{
	hwloc_topology_t t;
	int n = 0;

	if (hwloc_topology_init(&t) == 0) {
		if (hwloc_topology_load(t) == 0)
			n = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
		hwloc_topology_destroy(t);
	}
	return n > 0 ? n : 1;
}

static void *worker_main(void *varg)
{
	worker *w = varg;
	eng_pool *p = w->pool;
	unsigned long long seen = 0;   /* no step can be published before eng_pool_new returns */

	for (;;) {
		unsigned long long st;
		int spins = 0, nth;

		while (((st = atomic_load(&p->state)) >> 16) == seen && !atomic_load(&p->quit)) {
			if (++spins < SPIN_ROUNDS) {
				if (spins % YIELD_EVERY == 0)
					sched_yield();
				else
					cpu_relax();
				continue;
			}
			pthread_mutex_lock(&p->mu);
			atomic_fetch_add(&p->sleeping, 1);
			while ((atomic_load(&p->state) >> 16) == seen && !atomic_load(&p->quit))
				pthread_cond_wait(&p->cv, &p->mu);
			atomic_fetch_sub(&p->sleeping, 1);
			pthread_mutex_unlock(&p->mu);
			spins = 0;
		}
		if (atomic_load(&p->quit))
			break;
		seen = st >> 16;
		nth = (int)(st & 0xffff);
		/* a step with a share for this thread cannot finish, nor fn and arg change, before it
		 * has run it */
		if (w->ith < nth) {
			p->fn(p->arg, w->ith, nth);
			atomic_fetch_sub(&p->pending, 1);
		}
	}
	return NULL;
}

eng_pool *eng_pool_new(int n_threads, int pin, char *err, size_t errlen)
{
	eng_pool *p = calloc(1, sizeof *p);

	if (n_threads < 1)
		n_threads = 1;
	if (n_threads > 4096)   /* a step's thread count travels in 16 bits of state */
		n_threads = 4096;
	if (!p || !(p->w = calloc((size_t)n_threads, sizeof *p->w))) {
		free(p);
		eng_seterr(err, errlen, "out of memory for a pool of %d threads", n_threads);
		return NULL;
	}
	p->n = 1;
	atomic_init(&p->state, 0);
	atomic_init(&p->pending, 0);
	atomic_init(&p->sleeping, 0);
	atomic_init(&p->quit, 0);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_mutex_init(&p->run_mu, NULL);
	if (pin && n_threads > 1 && hwloc_topology_init(&p->topo) == 0) {
		if (hwloc_topology_load(p->topo) == 0)
			p->have_topo = 1;
		else
			hwloc_topology_destroy(p->topo);
	}
	for (int i = 1; i < n_threads; i++) {
		worker *w = &p->w[i];
		int rc;

		w->pool = p;
		w->ith = i;
		rc = pthread_create(&w->tid, NULL, worker_main, w);
		if (rc != 0) {
			eng_seterr(err, errlen, "cannot start compute thread %d of %d: %s", i + 1, n_threads,
				strerror(rc));
			eng_pool_free(p);
			return NULL;
		}
		p->n++;
	}
	/* Bind each worker from the caller's side: hwloc binds a given thread by its id. */
	if (p->have_topo)
		for (int i = 1; i < p->n; i++) {
			int ncores = hwloc_get_nbobjs_by_type(p->topo, HWLOC_OBJ_CORE);
			hwloc_obj_t o = ncores > 0 ?
				hwloc_get_obj_by_type(p->topo, HWLOC_OBJ_CORE, (unsigned)(i % ncores)) : NULL;
			hwloc_bitmap_t set = o && o->cpuset ? hwloc_bitmap_dup(o->cpuset) : NULL;

			if (!set)
				continue;
			hwloc_bitmap_singlify(set);
			p->w[i].pinned = hwloc_set_thread_cpubind(p->topo, p->w[i].tid, set,
				HWLOC_CPUBIND_THREAD) == 0;
			hwloc_bitmap_free(set);
		}
	return p;
}

void eng_pool_free(eng_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	atomic_store(&p->quit, 1);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 1; i < p->n; i++)
		pthread_join(p->w[i].tid, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->run_mu);
	if (p->have_topo)
		hwloc_topology_destroy(p->topo);
	free(p->w);
	free(p);
}

int eng_pool_size(const eng_pool *p)
{
	return p ? p->n : 1;
}

int eng_pool_pinned(const eng_pool *p)
{
	int k = 0;

	for (int i = 1; p && i < p->n; i++)
		k += p->w[i].pinned;
	return k;
}

void eng_pool_run(eng_pool *p, int nth, eng_task_fn fn, void *arg)
{
	if (!p || nth <= 1 || p->n <= 1) {
		fn(arg, 0, 1);
		return;
	}
	if (nth > p->n)
		nth = p->n;
	pthread_mutex_lock(&p->run_mu);
	p->fn = fn;
	p->arg = arg;
	atomic_store(&p->pending, nth - 1);
	p->gen++;
	atomic_store(&p->state, (p->gen << 16) | (unsigned long long)nth);
	if (atomic_load(&p->sleeping) > 0) {
		pthread_mutex_lock(&p->mu);
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	fn(arg, 0, nth);
	for (unsigned spins = 1; atomic_load(&p->pending) > 0; spins++) {
		if (spins % YIELD_EVERY == 0)
			sched_yield();
		else
			cpu_relax();
	}
	pthread_mutex_unlock(&p->run_mu);
}

void eng_split(long n, int ith, int nth, long align, long *lo, long *hi)
{
	long units, per, extra, u0, u1;

	if (align < 1)
		align = 1;
	units = (n + align - 1) / align;
	per = units / nth;
	extra = units % nth;
	u0 = (long)ith * per + (ith < extra ? ith : extra);
	u1 = u0 + per + (ith < extra ? 1 : 0);
	*lo = u0 * align < n ? u0 * align : n;
	*hi = u1 * align < n ? u1 * align : n;
}
