/* engine/sample.c — the token sampler and stop strings. One eng_sampler holds every buffer it
 * needs ([n_vocab] candidates twice, [n_vocab] penalty counts, the penalty history ring) from
 * eng_sampler_new on, so eng_sampler_sample never allocates. The chain and each step's rule
 * follow llama.cpp's default sampler chain: penalties, top-k, top-p, min-p, temperature, draw. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

/* penalty_last_n = -1 ("whole history") keeps at most this many tokens, and a larger positive
 * window is cut to it: the history ring is allocated once, 4 bytes a token (1 MiB). */
#define ENG_SAMPLER_HISTORY_CAP (1 << 18)

/* One candidate token. */
typedef struct eng_cand {
	int32_t id;
	float logit;
} eng_cand;

struct eng_sampler {
	eng_sampler_params p;
	int n_vocab;

	/* The candidate set of one eng_sampler_sample call is top[0..n_top) followed by
	 * rest[0..n_rest). top is sorted (best first) and every top entry is at least as good as
	 * every rest entry; rest is unordered, or a binary max-heap when rest_is_heap. Steps that
	 * need order (top-k, top-p) pop from the heap only as far as they look. */
	eng_cand *top;   /* [n_vocab] */
	eng_cand *rest;  /* [n_vocab] */
	int n_top, n_rest, rest_is_heap;

	/* Penalty window: the last ring_cap accepted tokens and their counts. */
	int32_t *count;  /* [n_vocab] occurrences of each id in the window */
	int32_t *ring;   /* [ring_cap] oldest at ring_head */
	int ring_cap, ring_len, ring_head;

	uint64_t rng[4]; /* xoshiro256** state */
};

/* ------------------------------------------------------------------ PRNG */

/* splitmix64 expands the 64-bit seed into the xoshiro state; both are exact integer
 * arithmetic, so a seed gives the same stream on every platform. */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(eng_sampler *s, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		s->rng[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(eng_sampler *s)
{
	uint64_t *q = s->rng;
	uint64_t r = rotl(q[1] * 5, 7) * 9;
	uint64_t t = q[1] << 17;
	q[2] ^= q[0];
	q[3] ^= q[1];
	q[1] ^= q[2];
	q[0] ^= q[3];
	q[2] ^= t;
	q[3] = rotl(q[3], 45);
	return r;
}

/* Uniform in [0, 1) with 53 random bits. */
static double rng_unit(eng_sampler *s)
{
	return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* ------------------------------------------------------------------ params */

eng_sampler_params eng_sampler_params_default(void)
{
	eng_sampler_params p;
	memset(&p, 0, sizeof p);
	p.temp = 0.0f;
	p.top_k = 0;
	p.top_p = 1.0f;
	p.min_p = 0.0f;
	p.repeat_penalty = 1.0f;
	p.presence_penalty = 0.0f;
	p.frequency_penalty = 0.0f;
	p.penalty_last_n = 64;
	p.seed = 0;
	return p;
}

/* Checks p and writes the canonical form into *out: a zeroed struct must be valid, so
 * top_p = 0 and repeat_penalty = 0 mean "off" like 1 does. Returns a phrase naming the
 * bad field, or NULL. */
static const char *params_check(const eng_sampler_params *p, eng_sampler_params *out)
{
	*out = *p;
	if (isnan(p->temp))
		return "temp is NaN";
	if (isnan(p->top_p))
		return "top_p is NaN";
	if (isnan(p->min_p) || p->min_p > 1.0f)
		return "min_p must be at most 1";
	if (isnan(p->repeat_penalty) || p->repeat_penalty < 0.0f)
		return "repeat_penalty must be positive (1 = off)";
	if (!isfinite(p->presence_penalty))
		return "presence_penalty is not finite";
	if (!isfinite(p->frequency_penalty))
		return "frequency_penalty is not finite";
	if (p->penalty_last_n < -1)
		return "penalty_last_n must be -1, 0 or positive";
	if (out->top_p <= 0.0f)
		out->top_p = 1.0f;
	if (out->repeat_penalty == 0.0f)
		out->repeat_penalty = 1.0f;
	if (out->top_k < 0)
		out->top_k = 0;
	return NULL;
}

/* ------------------------------------------------------------------ lifetime */

eng_sampler *eng_sampler_new(const eng_sampler_params *p, int n_vocab, char *err, size_t errlen)
{
	eng_sampler_params def = eng_sampler_params_default();
	eng_sampler *s = NULL;
	const char *why;

	if (!p)
		p = &def;
	if (n_vocab <= 0) {
		snprintf(err, errlen, "sampler: n_vocab %d must be positive", n_vocab);
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (!s)
		goto oom;
	if ((why = params_check(p, &s->p)) != NULL) {
		snprintf(err, errlen, "sampler: %s", why);
		free(s);
		return NULL;
	}
	s->n_vocab = n_vocab;
	if (s->p.penalty_last_n < 0 || s->p.penalty_last_n > ENG_SAMPLER_HISTORY_CAP)
		s->ring_cap = ENG_SAMPLER_HISTORY_CAP;
	else
		s->ring_cap = s->p.penalty_last_n;
	s->top = malloc((size_t)n_vocab * sizeof *s->top);
	s->rest = malloc((size_t)n_vocab * sizeof *s->rest);
	s->count = calloc((size_t)n_vocab, sizeof *s->count);
	s->ring = malloc((size_t)(s->ring_cap ? s->ring_cap : 1) * sizeof *s->ring);
	if (!s->top || !s->rest || !s->count || !s->ring)
		goto oom;
	rng_seed(s, s->p.seed);
	return s;
oom:
	eng_sampler_free(s);
	snprintf(err, errlen, "sampler: out of memory for n_vocab %d", n_vocab);
	return NULL;
}

void eng_sampler_free(eng_sampler *s)
{
	if (!s)
		return;
	free(s->top);
	free(s->rest);
	free(s->count);
	free(s->ring);
	free(s);
}

/* ------------------------------------------------------------------ history */

void eng_sampler_accept(eng_sampler *s, int32_t id)
{
	if (!s || s->ring_cap == 0 || id < 0 || id >= s->n_vocab)
		return;
	if (s->ring_len == s->ring_cap) {
		/* full: the oldest entry leaves the window and the new one takes its slot */
		s->count[s->ring[s->ring_head]]--;
		s->ring[s->ring_head] = id;
		s->ring_head = (s->ring_head + 1) % s->ring_cap;
	} else {
		s->ring[(s->ring_head + s->ring_len) % s->ring_cap] = id;
		s->ring_len++;
	}
	s->count[id]++;
}

void eng_sampler_reset(eng_sampler *s, uint64_t seed)
{
	if (!s)
		return;
	for (int i = 0; i < s->ring_len; i++)
		s->count[s->ring[(s->ring_head + i) % s->ring_cap]] = 0;
	s->ring_len = 0;
	s->ring_head = 0;
	s->p.seed = seed;
	rng_seed(s, seed);
}

/* ------------------------------------------------------------------ candidate set */

/* a ranks before b: higher logit, then lower id (so every order is total and ties are stable) */
static int cand_before(const eng_cand *a, const eng_cand *b)
{
	return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

static void heap_sift_down(eng_cand *h, int n, int i)
{
	eng_cand x = h[i];
	for (;;) {
		int c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && cand_before(&h[c + 1], &h[c]))
			c++;
		if (!cand_before(&h[c], &x))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

static void rest_heapify(eng_sampler *s)
{
	if (s->rest_is_heap)
		return;
	for (int i = s->n_rest / 2 - 1; i >= 0; i--)
		heap_sift_down(s->rest, s->n_rest, i);
	s->rest_is_heap = 1;
}

/* Moves the best rest entry to the end of top. Returns 0 when rest is empty. */
static int pop_best(eng_sampler *s)
{
	if (s->n_rest == 0)
		return 0;
	rest_heapify(s);
	s->top[s->n_top++] = s->rest[0];
	s->rest[0] = s->rest[--s->n_rest];
	heap_sift_down(s->rest, s->n_rest, 0);
	return 1;
}

static int set_size(const eng_sampler *s)
{
	return s->n_top + s->n_rest;
}

/* The largest logit in the set (the set is never empty). */
static float set_max(eng_sampler *s)
{
	float m;
	if (s->n_top)
		return s->top[0].logit;
	if (s->rest_is_heap)
		return s->rest[0].logit;
	m = s->rest[0].logit;
	for (int i = 1; i < s->n_rest; i++)
		if (s->rest[i].logit > m)
			m = s->rest[i].logit;
	return m;
}

/* sum over the set of exp(logit - max), in double */
static double set_expsum(const eng_sampler *s, float max)
{
	double sum = 0.0;
	for (int i = 0; i < s->n_top; i++)
		sum += exp((double)s->top[i].logit - (double)max);
	for (int i = 0; i < s->n_rest; i++)
		sum += exp((double)s->rest[i].logit - (double)max);
	return sum;
}

/* ------------------------------------------------------------------ chain steps */

/* Sift-down for a heap whose root is the worst entry (the k-best selection keeps one). */
static void worst_sift_down(eng_cand *h, int n, int i)
{
	eng_cand x = h[i];
	for (;;) {
		int c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && cand_before(&h[c], &h[c + 1]))
			c++;
		if (!cand_before(&x, &h[c]))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

/* Keeps the k best (ties: lower id), sorted. From a fresh unordered set (the chain's first
 * step) it streams the set through a k-entry heap of the best seen so far, O(n log k) with
 * almost every entry rejected by one comparison; otherwise it pops from the heap. */
static void step_top_k(eng_sampler *s, int k)
{
	if (k <= 0 || k >= set_size(s))
		return;
	if (s->n_top == 0 && !s->rest_is_heap) {
		eng_cand *h = s->top;
		memcpy(h, s->rest, (size_t)k * sizeof *h);
		for (int i = k / 2 - 1; i >= 0; i--)
			worst_sift_down(h, k, i);
		for (int i = k; i < s->n_rest; i++) {
			if (cand_before(&s->rest[i], &h[0])) {
				h[0] = s->rest[i];
				worst_sift_down(h, k, 0);
			}
		}
		/* heapsort: the worst goes last each round, leaving h best-first */
		for (int n = k - 1; n > 0; n--) {
			eng_cand t = h[0];
			h[0] = h[n];
			h[n] = t;
			worst_sift_down(h, n, 0);
		}
	} else {
		while (s->n_top < k)
			pop_best(s);
	}
	s->n_top = k;
	s->n_rest = 0;
}

/* Keeps the smallest best-first prefix whose softmax mass reaches p (at least one token,
 * llama.cpp's min_keep = 1). */
static void step_top_p(eng_sampler *s, float p)
{
	float max;
	double sum, cum = 0.0;
	int i = 0;

	if (p >= 1.0f)
		return;
	max = set_max(s);
	sum = set_expsum(s, max);
	for (;;) {
		if (i == s->n_top && !pop_best(s))
			break;
		cum += exp((double)s->top[i].logit - (double)max) / sum;
		i++;
		if (cum >= (double)p)
			break;
	}
	s->n_top = i;
	s->n_rest = 0;
}

/* Keeps tokens whose probability is at least p times the best one's, i.e.
 * logit >= max + log(p). The best token always stays (p <= 1). */
static void step_min_p(eng_sampler *s, float p)
{
	float thr;
	int j = 0;

	if (p <= 0.0f)
		return;
	thr = set_max(s) + logf(p);
	while (j < s->n_top && s->top[j].logit >= thr)
		j++;
	if (j < s->n_top) {
		/* top is sorted, so nothing in rest passes either */
		s->n_top = j > 0 ? j : 1;
		s->n_rest = 0;
		return;
	}
	j = 0;
	for (int i = 0; i < s->n_rest; i++)
		if (s->rest[i].logit >= thr)
			s->rest[j++] = s->rest[i];
	if (j == 0 && s->n_top == 0)
		return; /* cannot happen for p <= 1 (the best passes); never leave the set empty */
	if (j != s->n_rest)
		s->rest_is_heap = 0;
	s->n_rest = j;
}

/* Divides by the temperature. The best logit is taken off first (softmax does not change), so
 * a tiny temperature sends the others towards -inf instead of the best to +inf. */
static void step_temp(eng_sampler *s, float t)
{
	float max = set_max(s);
	for (int i = 0; i < s->n_top; i++)
		s->top[i].logit = (s->top[i].logit - max) / t;
	for (int i = 0; i < s->n_rest; i++)
		s->rest[i].logit = (s->rest[i].logit - max) / t;
}

/* Draws from softmax(logits) over the set: one uniform number against the running sum,
 * walking top then rest (a fixed order, so a seed reproduces). */
static int32_t step_draw(eng_sampler *s)
{
	float max = set_max(s);
	double sum = set_expsum(s, max);
	double u = rng_unit(s) * sum, acc = 0.0;
	const eng_cand *last = NULL;

	for (int i = 0; i < s->n_top; i++) {
		last = &s->top[i];
		acc += exp((double)last->logit - (double)max);
		if (u < acc)
			return last->id;
	}
	for (int i = 0; i < s->n_rest; i++) {
		last = &s->rest[i];
		acc += exp((double)last->logit - (double)max);
		if (u < acc)
			return last->id;
	}
	return last->id; /* rounding left u at the very top of the sum */
}

/* ------------------------------------------------------------------ sample */

/* llama.cpp's penalties: repeat divides a positive logit and multiplies a non-positive one,
 * then frequency (per occurrence) and presence (once) are subtracted. */
static float penalize(const eng_sampler *s, float l, int32_t n)
{
	if (l <= 0.0f)
		l *= s->p.repeat_penalty;
	else
		l /= s->p.repeat_penalty;
	return l - ((float)n * s->p.frequency_penalty + s->p.presence_penalty);
}

int32_t eng_sampler_sample(eng_sampler *s, const float *logits)
{
	int use_pen, best = 0;
	float best_l = -INFINITY;

	if (!s || !logits)
		return -1;
	use_pen = s->ring_len > 0 && (s->p.repeat_penalty != 1.0f ||
		s->p.frequency_penalty != 0.0f || s->p.presence_penalty != 0.0f);

	/* load the set: NaN counts as -inf and +inf as FLT_MAX so that differences stay finite */
	for (int i = 0; i < s->n_vocab; i++) {
		float l = logits[i];
		if (isnan(l))
			l = -INFINITY;
		else if (l > FLT_MAX)
			l = FLT_MAX;
		if (use_pen && s->count[i] > 0)
			l = penalize(s, l, s->count[i]);
		s->rest[i].id = i;
		s->rest[i].logit = l;
		if (l > best_l) {
			best_l = l;
			best = i;
		}
	}
	/* greedy, or nothing has any probability: argmax, first (lowest) id on ties */
	if (s->p.temp <= 0.0f || best_l == -INFINITY)
		return best;

	s->n_top = 0;
	s->n_rest = s->n_vocab;
	s->rest_is_heap = 0;
	step_top_k(s, s->p.top_k);
	step_top_p(s, s->p.top_p);
	step_min_p(s, s->p.min_p);
	step_temp(s, s->p.temp);
	return step_draw(s);
}

/* ------------------------------------------------------------------ stop strings */

long eng_stop_find(const char *text, size_t len, const char *const *stops, int n_stops, int *partial)
{
	long first = -1;
	int part = 0;

	if (partial)
		*partial = 0;
	if (!stops || n_stops <= 0 || (!text && len > 0))
		return -1;
	for (int i = 0; i < n_stops; i++) {
		size_t n;
		const char *hit;
		if (!stops[i] || !(n = strlen(stops[i])) || n > len)
			continue;
		hit = memmem(text, len, stops[i], n);
		if (hit && (first < 0 || hit - text < first))
			first = (long)(hit - text);
	}
	if (first >= 0)
		return first; /* the caller cuts here; nothing after it is held back */
	for (int i = 0; i < n_stops && !part; i++) {
		size_t n = stops[i] ? strlen(stops[i]) : 0;
		/* longest proper prefix of the stop string that the text ends with */
		for (size_t k = n > 0 ? n - 1 : 0; k > 0 && !part; k--)
			if (k <= len && memcmp(text + len - k, stops[i], k) == 0)
				part = 1;
	}
	if (partial)
		*partial = part;
	return -1;
}
