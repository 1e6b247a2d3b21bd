/* providers/ratelimit.c — the token bucket behind a target's requests-per-minute and
 * tokens-per-minute limits (options rpm / tpm, docs/spec.md). Pure arithmetic on times the
 * caller passes in, so tests drive it with a fake clock. */
#include <math.h>

#include "providers/provider_impl.h"

void prov_bucket_init(prov_bucket *b, double per_minute, double now_ms)
{
	b->rate_per_ms = per_minute > 0 ? per_minute / 60000.0 : 0;
	/* One second's worth, at least one unit: a steady pace with a small burst. */
	b->cap = per_minute > 0 ? fmax(1.0, per_minute / 60.0) : 0;
	b->level = b->cap;
	b->t_ms = now_ms;
}

static void refill(prov_bucket *b, double now_ms)
{
	if (now_ms > b->t_ms) {
		b->level = fmin(b->cap, b->level + (now_ms - b->t_ms) * b->rate_per_ms);
		b->t_ms = now_ms;
	}
}

int prov_bucket_ready(prov_bucket *b, double need, double now_ms, double *wait_ms)
{
	double want;
	if (b->rate_per_ms <= 0)
		return 1;
	refill(b, now_ms);
	/* A request larger than the bucket goes when the bucket is full (then runs it negative). */
	want = fmin(need, b->cap);
	if (b->level >= want)
		return 1;
	if (wait_ms)
		*wait_ms = (want - b->level) / b->rate_per_ms;
	return 0;
}

void prov_bucket_take(prov_bucket *b, double n)
{
	if (b->rate_per_ms > 0)
		b->level -= n;
}

void prov_bucket_give(prov_bucket *b, double n)
{
	if (b->rate_per_ms > 0)
		b->level = fmin(b->cap, b->level + n);
}
