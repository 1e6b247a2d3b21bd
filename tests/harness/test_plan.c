/* tests/harness/test_plan.c — the plan stage (harness/plan.c): per-target in-flight limits,
 * local targets one at a time, the shard partition, resume skipping what the store holds, job
 * order, and the spec's stop strings replacing the suite's. No provider, suite or store. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "harness/harness.h"
#include "harness/plan.h"

/* Item ids "i0".."i{n-1}", static for the program. */
static const char *const *ids_of(size_t n)
{
	static char names[64][8];
	static const char *ptrs[64];
	for (size_t i = 0; i < n && i < 64; i++) {
		snprintf(names[i], sizeof names[i], "i%zu", i);
		ptrs[i] = names[i];
	}
	return ptrs;
}

/* A spec of n_targets "samples" targets (ids t0, t1, ...) and one suite "gsm8k" with samples
 * samples per item. */
static hx_spec *spec_of(size_t n_targets, int samples)
{
	hx_spec *s = hx_spec_new();
	hx_suite_spec *su;
	if (!s)
		return NULL;
	for (size_t t = 0; t < n_targets; t++) {
		hx_target_spec *ts = hx_spec_add_target(s, "samples", "gens.jsonl");
		char id[24];
		if (!ts)
			goto fail;
		snprintf(id, sizeof id, "t%zu", t);
		free(ts->id);
		if (!(ts->id = strdup(id)))
			goto fail;
	}
	if (!(su = hx_spec_add_suite(s, "gsm8k")))
		goto fail;
	su->samples = samples;
	return s;
fail:
	hx_spec_free(s);
	return NULL;
}

static void test_plan_limits_come_from_target_then_concurrency_then_provider_cap(void)
{
	hx_spec *s = spec_of(4, 1);
	hx_plan_items items[4];
	int prov_max[4] = { 0, 0, 2, 50 };
	hx_plan_in in = { 0 };
	hx_plan p;
	hx_plan_pos pos[4] = { { 0, 0 } };
	char err[256];
	TB_REQUIRE(s);
	s->concurrency = 8;
	s->targets[0].max_in_flight = 3;   /* its own limit */
	                                   /* t1: the spec's concurrency */
	s->targets[2].max_in_flight = 5;   /* lowered to the provider's 2 */
	s->targets[3].max_in_flight = 0;   /* the provider's 50 is no lower than 8 */
	for (int t = 0; t < 4; t++)
		items[t] = (hx_plan_items){ ids_of(20), 20 };
	in.spec = s;
	in.items = items;
	in.provider_max = prov_max;
	TB_REQUIRE(hx_plan_build(&in, &p, err, sizeof err) == 0);
	TB_CHECK_INT(p.targets[0].limit, 3);
	TB_CHECK_INT(p.targets[1].limit, 8);
	TB_CHECK_INT(p.targets[2].limit, 2);
	TB_CHECK_INT(p.targets[3].limit, 8);
	/* a target sends while below its limit, and stops at it */
	pos[2].in_flight = 1;
	TB_CHECK(hx_plan_may_send(&p, pos, 2));
	pos[2].in_flight = 2;
	TB_CHECK(!hx_plan_may_send(&p, pos, 2));
	pos[0].in_flight = 2;
	TB_CHECK(hx_plan_may_send(&p, pos, 0));
	pos[0].in_flight = 3;
	TB_CHECK(!hx_plan_may_send(&p, pos, 0));
	/* and not past its last job */
	pos[1].next = 20;
	TB_CHECK(!hx_plan_may_send(&p, pos, 1));
	hx_plan_release(&p);
	/* a concurrency of 0 (never valid in a parsed spec) still lets one request through */
	s->concurrency = 0;
	in.provider_max = NULL;
	TB_REQUIRE(hx_plan_build(&in, &p, err, sizeof err) == 0);
	TB_CHECK_INT(p.targets[1].limit, 1);
	hx_plan_release(&p);
	hx_spec_free(s);
}

static void test_plan_local_targets_run_one_at_a_time_beside_remote_ones(void)
{
	hx_spec *s = spec_of(4, 1);
	hx_plan_items items[4];
	unsigned char excl[4] = { 1, 0, 1, 1 };   /* local, remote, local, local */
	hx_plan_in in = { 0 };
	hx_plan p;
	hx_plan_pos pos[4] = { { 0, 0 } };
	char err[256];
	TB_REQUIRE(s);
	for (int t = 0; t < 4; t++)
		items[t] = (hx_plan_items){ ids_of(5), 5 };
	in.spec = s;
	in.items = items;
	in.exclusive = excl;
	TB_REQUIRE(hx_plan_build(&in, &p, err, sizeof err) == 0);
	TB_CHECK(p.targets[0].exclusive && !p.targets[1].exclusive && p.targets[2].exclusive);
	/* at the start only the first local target and the remote one may send */
	TB_CHECK(hx_plan_may_send(&p, pos, 0));
	TB_CHECK(hx_plan_may_send(&p, pos, 1));
	TB_CHECK(!hx_plan_may_send(&p, pos, 2));
	TB_CHECK(!hx_plan_may_send(&p, pos, 3));
	/* every job of t0 sent but one still answering: t2 still waits */
	pos[0].next = 5;
	pos[0].in_flight = 1;
	TB_CHECK(!hx_plan_may_send(&p, pos, 2));
	/* t0 finished: t2 starts, t3 waits for t2; the remote target never waited */
	pos[0].in_flight = 0;
	TB_CHECK(hx_plan_may_send(&p, pos, 2));
	TB_CHECK(!hx_plan_may_send(&p, pos, 3));
	TB_CHECK(hx_plan_may_send(&p, pos, 1));
	/* a local target with nothing to do (all stored) does not hold the next one back */
	pos[2].next = 5;
	TB_CHECK(hx_plan_may_send(&p, pos, 3));
	hx_plan_release(&p);
	hx_spec_free(s);
}

static void test_plan_shards_partition_the_items(void)
{
	enum { N_ITEMS = 10, N_SHARDS = 3, SAMPLES = 2 };
	hx_spec *s = spec_of(2, SAMPLES);
	hx_plan_items items[2];
	int seen[2][N_ITEMS][SAMPLES];
	long planned = 0;
	char err[256];
	TB_REQUIRE(s);
	memset(seen, 0, sizeof seen);
	items[0] = (hx_plan_items){ ids_of(N_ITEMS), N_ITEMS };
	items[1] = (hx_plan_items){ ids_of(N_ITEMS - 3), N_ITEMS - 3 };  /* fewer items for t1 */
	for (int sh = 0; sh < N_SHARDS; sh++) {
		hx_plan_in in = { 0 };
		hx_plan p;
		in.spec = s;
		in.items = items;
		in.shard_index = sh;
		in.shard_count = N_SHARDS;
		TB_REQUIRE(hx_plan_build(&in, &p, err, sizeof err) == 0);
		planned += p.n_planned;
		TB_CHECK_INT(p.n_jobs, p.n_planned);
		for (size_t t = 0; t < 2; t++)
			for (size_t j = 0; j < p.targets[t].n_jobs; j++) {
				const hx_plan_job *jb = &p.targets[t].jobs[j];
				TB_CHECK_INT(jb->target, t);
				/* one deck: t1's items follow t0's */
				TB_CHECK_INT((jb->item + (t ? N_ITEMS : 0)) % N_SHARDS, sh);
				TB_REQUIRE(jb->item < items[t].n && jb->sample >= 0 && jb->sample < SAMPLES);
				seen[t][jb->item][jb->sample]++;
			}
		hx_plan_release(&p);
	}
	/* every (target, item, sample) in exactly one shard */
	for (size_t t = 0; t < 2; t++)
		for (size_t k = 0; k < items[t].n; k++)
			for (int smp = 0; smp < SAMPLES; smp++)
				TB_CHECK_INT(seen[t][k][smp], 1);
	TB_CHECK_INT(planned, (N_ITEMS + N_ITEMS - 3) * SAMPLES);
	/* an index outside the count is refused, naming it */
	{
		hx_plan_in in = { 0 };
		hx_plan p;
		in.spec = s;
		in.items = items;
		in.shard_index = 3;
		in.shard_count = 3;
		TB_CHECK_INT(hx_plan_build(&in, &p, err, sizeof err), HX_EINVAL);
		TB_CHECK(strstr(err, "3/3") != NULL);
		hx_plan_release(&p);
	}
	hx_spec_free(s);
}

/* Four targets of two items each over four shards: item k of every target going to shard k
 * would leave shards 2 and 3 idle; dealt as one deck, each shard gets two items of two
 * different targets. */
static void test_plan_shards_get_a_like_mix_when_suites_are_small(void)
{
	hx_spec *s = spec_of(4, 1);
	hx_plan_items items[4];
	char err[256];
	TB_REQUIRE(s);
	for (int t = 0; t < 4; t++)
		items[t] = (hx_plan_items){ ids_of(2), 2 };
	for (int sh = 0; sh < 4; sh++) {
		hx_plan_in in = { 0 };
		hx_plan p;
		int n_targets_used = 0;
		in.spec = s;
		in.items = items;
		in.shard_index = sh;
		in.shard_count = 4;
		TB_REQUIRE(hx_plan_build(&in, &p, err, sizeof err) == 0);
		TB_CHECK_INT(p.n_jobs, 2);
		for (int t = 0; t < 4; t++)
			n_targets_used += p.targets[t].n_jobs > 0;
		TB_CHECK_INT(n_targets_used, 2);
		hx_plan_release(&p);
	}
	hx_spec_free(s);
}

/* rpm / tpm are the whole run's budget: each of N shards gets 1/N, unless the target says
 * "shard_limits": "each"; the key never reaches the provider. */
static void test_plan_target_options_split_rate_limits_between_shards(void)
{
	char *o = NULL, err[256];
	TB_REQUIRE(hx_plan_target_options("{\"rpm\":600,\"tpm\":100000,\"max_retries\":3}", 4, &o,
		err, sizeof err) == 0);
	TB_CHECK_STR(o, "{\"rpm\":150,\"tpm\":25000,\"max_retries\":3}");
	free(o);
	TB_REQUIRE(hx_plan_target_options("{\"rpm\":600,\"shard_limits\":\"each\"}", 4, &o, err,
		sizeof err) == 0);
	TB_CHECK_STR(o, "{\"rpm\":600}");
	free(o);
	TB_REQUIRE(hx_plan_target_options("{\"rpm\":600,\"shard_limits\":\"divide\"}", 1, &o, err,
		sizeof err) == 0);
	TB_CHECK_STR(o, "{\"rpm\":600}");
	free(o);
	TB_REQUIRE(hx_plan_target_options(NULL, 4, &o, err, sizeof err) == 0);
	TB_CHECK(o == NULL);
	TB_CHECK_INT(hx_plan_target_options("{\"shard_limits\":\"half\"}", 2, &o, err, sizeof err),
		HX_EINVAL);
	TB_CHECK(strstr(err, "options.shard_limits") != NULL);
}

static void test_plan_resume_skips_exactly_what_the_store_holds(void)
{
	hx_spec *s = spec_of(2, 2);
	hx_plan_items items[2];
	hx_plan_done done = { 0 };
	hx_plan_in in = { 0 };
	hx_plan p;
	char err[256];
	TB_REQUIRE(s);
	items[0] = items[1] = (hx_plan_items){ ids_of(4), 4 };
	TB_REQUIRE(hx_plan_done_add(&done, "t0", "gsm8k", "i1", 1) == 0);
	TB_REQUIRE(hx_plan_done_add(&done, "t0", "gsm8k", "i3", 0) == 0);
	TB_REQUIRE(hx_plan_done_add(&done, "t0", "gsm8k", "i3", 0) == 0);   /* twice: one key */
	TB_REQUIRE(hx_plan_done_add(&done, "t1", "gsm8k", "i3", 1) == 0);
	TB_REQUIRE(hx_plan_done_add(&done, "t1", "math", "i0", 0) == 0);    /* another suite */
	TB_REQUIRE(hx_plan_done_add(&done, "t9", "gsm8k", "i0", 0) == 0);   /* another target */
	TB_CHECK_INT(done.n, 5);
	TB_CHECK(hx_plan_done_has(&done, "t0", "gsm8k", "i1", 1));
	TB_CHECK(!hx_plan_done_has(&done, "t0", "gsm8k", "i1", 0));
	in.spec = s;
	in.items = items;
	in.done = &done;
	TB_REQUIRE(hx_plan_build(&in, &p, err, sizeof err) == 0);
	TB_CHECK_INT(p.n_planned, 16);
	TB_CHECK_INT(p.n_skipped, 3);
	TB_CHECK_INT(p.n_jobs, 13);
	TB_CHECK_INT(p.targets[0].n_jobs, 6);
	TB_CHECK_INT(p.targets[1].n_jobs, 7);
	for (size_t t = 0; t < 2; t++)
		for (size_t j = 0; j < p.targets[t].n_jobs; j++) {
			const hx_plan_job *jb = &p.targets[t].jobs[j];
			TB_CHECK(!hx_plan_done_has(&done, s->targets[t].id, "gsm8k", items[t].ids[jb->item],
				jb->sample));
		}
	hx_plan_release(&p);
	/* a larger store: the set grows past its first table and still answers */
	for (int k = 0; k < 3000; k++) {
		char id[32];
		snprintf(id, sizeof id, "x%d", k);
		TB_REQUIRE(hx_plan_done_add(&done, "t0", "gsm8k", id, k % 3) == 0);
	}
	TB_CHECK_INT(done.n, 3005);
	TB_CHECK(hx_plan_done_has(&done, "t0", "gsm8k", "x2999", 2999 % 3));
	TB_CHECK(!hx_plan_done_has(&done, "t0", "gsm8k", "x2999", 0));
	TB_CHECK(hx_plan_done_has(&done, "t1", "gsm8k", "i3", 1));
	hx_plan_done_release(&done);
	TB_CHECK_INT(done.n, 0);
	hx_plan_done_release(NULL);
	hx_spec_free(s);
}

static void test_plan_orders_jobs_by_suite_then_item_then_sample(void)
{
	hx_spec *s = spec_of(1, 2);
	hx_suite_spec *su2;
	hx_plan_items items[2];
	hx_plan_in in = { 0 };
	hx_plan p;
	char err[256];
	static const uint32_t want[][3] = { { 0, 0, 0 }, { 0, 0, 1 }, { 0, 1, 0 }, { 0, 1, 1 },
					    { 1, 0, 0 }, { 1, 1, 0 }, { 1, 2, 0 } };
	TB_REQUIRE(s && (su2 = hx_spec_add_suite(s, "math")));
	su2->samples = 1;
	items[0] = (hx_plan_items){ ids_of(2), 2 };
	items[1] = (hx_plan_items){ ids_of(3), 3 };
	in.spec = s;
	in.items = items;
	TB_REQUIRE(hx_plan_build(&in, &p, err, sizeof err) == 0);
	TB_REQUIRE(p.targets[0].n_jobs == 7);
	for (size_t j = 0; j < 7; j++) {
		TB_CHECK_INT(p.targets[0].jobs[j].suite, want[j][0]);
		TB_CHECK_INT(p.targets[0].jobs[j].item, want[j][1]);
		TB_CHECK_INT(p.targets[0].jobs[j].sample, want[j][2]);
	}
	hx_plan_release(&p);
	hx_spec_free(s);
}

/* A request as a suite builds it: a prompt and the suite's own stop strings. */
static int suite_like_request(prov_req *rq)
{
	static const char *const stops[] = { "\n\nQuestion:", "</s>" };
	memset(rq, 0, sizeof *rq);
	if (!(rq->prompt = strdup("Q: 1+1?")) || !(rq->stop = calloc(2, sizeof *rq->stop)))
		return -1;
	for (size_t k = 0; k < 2; k++)
		if ((rq->stop[k] = strdup(stops[k])))
			rq->n_stop++;
	return rq->n_stop == 2 ? 0 : -1;
}

static void test_plan_spec_stop_strings_replace_the_suites(void)
{
	char *spec_stop[] = { "END", "###" };
	hx_gen_spec gen = { 0 };
	prov_req rq;

	/* no stop strings in the spec: the suite's stay; settings and seed + sample applied */
	gen.max_tokens = 77;
	gen.temperature = 0.5;
	gen.top_p = 0.9;
	gen.seed = 40;
	TB_REQUIRE(suite_like_request(&rq) == 0);
	TB_REQUIRE(hx_plan_request(&gen, 2, &rq) == 0);
	TB_CHECK_INT(rq.n_stop, 2);
	TB_CHECK_STR(rq.stop[0], "\n\nQuestion:");
	TB_CHECK_STR(rq.stop[1], "</s>");
	TB_CHECK_INT(rq.max_tokens, 77);
	TB_CHECK_NEAR(rq.temperature, 0.5, 0);
	TB_CHECK_NEAR(rq.top_p, 0.9, 0);
	TB_CHECK_INT(rq.seed, 42);
	TB_CHECK_STR(rq.prompt, "Q: 1+1?");
	prov_req_release(&rq);

	/* the spec's stop strings replace them; no seed stays no seed */
	gen.stop = spec_stop;
	gen.n_stop = 2;
	gen.seed = -1;
	TB_REQUIRE(suite_like_request(&rq) == 0);
	TB_REQUIRE(hx_plan_request(&gen, 3, &rq) == 0);
	TB_CHECK_INT(rq.n_stop, 2);
	TB_CHECK_STR(rq.stop[0], "END");
	TB_CHECK_STR(rq.stop[1], "###");
	TB_CHECK_INT(rq.seed, -1);
	TB_CHECK(rq.stop[0] != spec_stop[0]);   /* copied, not borrowed */
	prov_req_release(&rq);

	/* a suite without stop strings gets the spec's */
	memset(&rq, 0, sizeof rq);
	gen.n_stop = 1;
	TB_REQUIRE(hx_plan_request(&gen, 0, &rq) == 0);
	TB_CHECK_INT(rq.n_stop, 1);
	TB_CHECK_STR(rq.stop[0], "END");
	prov_req_release(&rq);
}

int main(void)
{
	TB_RUN(test_plan_limits_come_from_target_then_concurrency_then_provider_cap);
	TB_RUN(test_plan_local_targets_run_one_at_a_time_beside_remote_ones);
	TB_RUN(test_plan_shards_partition_the_items);
	TB_RUN(test_plan_shards_get_a_like_mix_when_suites_are_small);
	TB_RUN(test_plan_target_options_split_rate_limits_between_shards);
	TB_RUN(test_plan_resume_skips_exactly_what_the_store_holds);
	TB_RUN(test_plan_orders_jobs_by_suite_then_item_then_sample);
	TB_RUN(test_plan_spec_stop_strings_replace_the_suites);
	return tb_test_end();
}
