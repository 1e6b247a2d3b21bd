/* tests/engine/test_threads.c — the compute thread pool (engine/threads.c): every share of every
 * step runs exactly once, whichever thread takes it (workers spinning, asleep or late, thread
 * counts changing between steps), and the caller runs the shares of workers that have not taken
 * theirs yet (a worker still waking, or kept off its core by other programs). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/threads_impl.h"
#include "test.h"

enum { STEPS = 20000, MAXTH = 3 };

typedef struct exact {
	atomic_int (*hits)[MAXTH];   /* [STEPS][MAXTH] */
	int step;
} exact;

static void count_share(void *arg, int ith, int nth)
{
	exact *e = arg;
	(void)nth;
	atomic_fetch_add(&e->hits[e->step][ith], 1);
}

static void pause_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

static void test_pool_runs_every_share_exactly_once(void)
{
	char err[256];
	eng_pool *p = eng_pool_new(MAXTH, 0, err, sizeof err);
	exact e = { calloc(STEPS, sizeof *e.hits), 0 };
	int bad = 0;

	TB_REQUIRE(p && e.hits);
	for (e.step = 0; e.step < STEPS; e.step++) {
		if (e.step % 997 == 0)
			pause_us(3000);   /* long enough for the workers to go to sleep */
		eng_pool_run(p, 1 + e.step % MAXTH, count_share, &e);
	}
	for (int s = 0; s < STEPS; s++)
		for (int i = 0; i < MAXTH; i++)
			bad += atomic_load(&e.hits[s][i]) != (i < 1 + s % MAXTH);
	TB_CHECK_INT(bad, 0);
	free(e.hits);
	eng_pool_free(p);
}

typedef struct who {
	pthread_t caller, ran[2];
} who;

static void record_thread(void *arg, int ith, int nth)
{
	who *w = arg;
	(void)nth;
	w->ran[ith] = pthread_self();
}

static void test_pool_caller_runs_the_shares_no_worker_has_taken(void)
{
	char err[256];
	eng_pool *p = eng_pool_new(2, 0, err, sizeof err);
	int on_caller = 0, own = 0;

	TB_REQUIRE(p);
	for (int trial = 0; trial < 20; trial++) {
		who w;
		memset(&w, 0, sizeof w);
		w.caller = pthread_self();
		pause_us(20000);   /* the worker stops spinning and sleeps */
		eng_pool_run(p, 2, record_thread, &w);
		/* the caller's share is the caller's; the worker's, published to a sleeping worker,
		 * is done by the caller before the worker has woken */
		own += pthread_equal(w.ran[0], w.caller) != 0;
		on_caller += pthread_equal(w.ran[1], w.caller) != 0;
	}
	TB_CHECK_INT(own, 20);
	printf("  the caller ran the sleeping worker's share in %d of 20 steps\n", on_caller);
	TB_CHECK(on_caller >= 1);
	eng_pool_free(p);
}

int main(void)
{
	TB_RUN(test_pool_runs_every_share_exactly_once);
	TB_RUN(test_pool_caller_runs_the_shares_no_worker_has_taken);
	return tb_test_end();
}
