/* tests/engine/test_threads.c — the compute thread pool (engine/threads.c): every share of every
 * step runs exactly once, with workers spinning or asleep and thread counts changing between
 * steps. */
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

int main(void)
{
	TB_RUN(test_pool_runs_every_share_exactly_once);
	return tb_test_end();
}
