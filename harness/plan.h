/* harness/plan.h — the plan stage of a run, shared inside harness/ and with its tests only: the
 * list of work (targets x suites x items x samples) built from the spec, the items each target's
 * suites hold, what the results store already holds and the shard, with each target's in-flight
 * limit; the rule for when a target may send; and the generation settings a request gets.
 * Everything here is a pure function of its arguments: no I/O, no globals. */
#ifndef TB_HARNESS_PLAN_H
#define TB_HARNESS_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "harness/harness.h"
#include "providers/provider.h"

/* ------------------------------------------------------------ finished samples */

/* The set of (target, suite, item, sample) keys the store already holds. Zeroed is empty. */
typedef struct hx_plan_done {
	char **keys;   /* open addressing [cap], cap a power of two */
	size_t n, cap;
} hx_plan_done;

/* Adds one finished sample. Returns 0 or HX_ENOMEM. Ownership: copies the strings. */
int hx_plan_done_add(hx_plan_done *d, const char *target, const char *suite, const char *item,
	int sample);

/* 1 when the key is in d. */
int hx_plan_done_has(const hx_plan_done *d, const char *target, const char *suite,
	const char *item, int sample);

/* Frees the keys and zeroes d. NULL does nothing. */
void hx_plan_done_release(hx_plan_done *d);

/* ------------------------------------------------------------ the plan */

/* The items one target's instance of one suite holds, in item order. */
typedef struct hx_plan_items {
	const char *const *ids;   /* [n] item ids */
	size_t n;
} hx_plan_items;

/* What the plan is built from. All borrowed for the call. */
typedef struct hx_plan_in {
	const hx_spec *spec;          /* targets, suites (name, samples), concurrency */
	const hx_plan_items *items;   /* [n_targets * n_suites], target-major: the items of suite i
	                               * as target t opened it are items[t * n_suites + i] */
	const int *provider_max;      /* [n_targets] the provider's own in-flight cap, 0 = none;
	                               * NULL: none for any */
	const unsigned char *exclusive; /* [n_targets] 1: the target computes on this machine (the
	                               * local engine), so such targets run one after another; NULL:
	                               * none is */
	const hx_plan_done *done;     /* finished samples to skip (a resumed run), or NULL */
	int shard_index, shard_count; /* this shard's items: counting every (target, suite)'s items
	                               * in spec order as one deck, those at position % count ==
	                               * index; count <= 1: every item */
} hx_plan_in;

/* One request to make. */
typedef struct hx_plan_job {
	uint32_t target, suite;   /* indexes into the spec */
	uint32_t item;            /* index into the target's instance of the suite */
	int sample;
} hx_plan_job;

typedef struct hx_plan_target {
	hx_plan_job *jobs;        /* [n_jobs] in order: suites, then items, then samples */
	size_t n_jobs;
	int limit;                /* requests in flight at most, >= 1 */
	int exclusive;            /* waits for every earlier exclusive target to finish */
} hx_plan_target;

typedef struct hx_plan {
	hx_plan_target *targets;  /* [n_targets] */
	size_t n_targets;
	long n_planned;           /* samples of this shard, stored or not */
	long n_skipped;           /* of those, already in done */
	long n_jobs;              /* left to run: n_planned - n_skipped */
} hx_plan;

/* Builds the plan: for each target, every (suite, item, sample) of this shard not in done. A
 * target's limit is its max_in_flight, else the spec's concurrency, lowered to provider_max
 * when that is smaller, and at least 1. Returns 0, or HX_EINVAL (a shard outside 0..count-1)
 * or HX_ENOMEM with one line in err. Ownership: out is the caller's; release it with
 * hx_plan_release (also after a failure). */
int hx_plan_build(const hx_plan_in *in, hx_plan *out, char *err, size_t errlen);

/* Frees the jobs and zeroes p. NULL does nothing. */
void hx_plan_release(hx_plan *p);

/* Where a target stands while the run loop works through its jobs. */
typedef struct hx_plan_pos {
	size_t next;              /* jobs sent so far: the next one to send */
	int in_flight;            /* sent and not yet answered */
} hx_plan_pos;

/* 1 when target t may send its next job now: it has one left, it is below its limit, and, when
 * exclusive, no earlier exclusive target still has jobs to send or answers to wait for (so
 * local models do not share the machine and each one's timings are its own). pos is
 * [p->n_targets]. */
int hx_plan_may_send(const hx_plan *p, const hx_plan_pos *pos, size_t t);

/* Applies the spec's generation settings to a request a suite built for sample `sample`:
 * max_tokens, temperature, top_p, the seed (the spec's seed + sample, or -1 when none), and the
 * spec's stop strings, which replace the suite's when the spec has any. Returns 0, or HX_ENOMEM
 * (rq is then released). Ownership: rq stays the caller's; strings are copied into it. */
int hx_plan_request(const hx_gen_spec *gen, int sample, prov_req *rq);

/* A target's provider options as shard shard_count of a run uses them: rpm and tpm divided by
 * shard_count (the spec gives the whole run's budget, and N shards send at once), unless the
 * options say "shard_limits": "each"; the "shard_limits" key itself is removed, since providers
 * do not know it. Returns 0 with *out set (NULL when options_json is NULL), or HX_EINVAL /
 * HX_ENOMEM with one line in err. Ownership: caller free()s *out. */
int hx_plan_target_options(const char *options_json, int shard_count, char **out, char *err,
	size_t errlen);

#endif
