/* harness/loadgen.c — the load generator behind `tierbench load`: one level of a latency against
 * throughput sweep sent to any provider. Open loop: requests arrive at Poisson times of a given
 * rate (or all at once), whether or not earlier ones have finished, as vLLM's serving benchmark
 * sends them; closed loop: a fixed number of requests kept in flight, each finished one replaced
 * at once. Every request's times are measured from its scheduled arrival, so a provider that
 * makes a request wait before sending it is charged for the wait. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness/harness.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* splitmix64: the arrivals' random stream (the same on every machine for a seed). */
static uint64_t mix_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

double hx_load_arrival_next(uint64_t *state, double rate)
{
	double u;
	if (!(rate > 0) || isinf(rate))
		return 0;
	/* u in (0, 1]: 53 random bits, never 0, so the log is finite */
	u = ((double)(mix_next(state) >> 11) + 1.0) / 9007199254740992.0;
	return -log(u) / rate * 1000.0;
}

typedef struct slot {
	struct level_state *st;
	size_t i;
} slot;

typedef struct level_state {
	hx_load_req *reqs;
	slot *slots;
	size_t n, cap;       /* requests issued (their entries), entries allocated */
	size_t n_done;
} level_state;

static void on_done(void *ud, const prov_req *rq, prov_resp *resp)
{
	slot *s = ud;
	(void)rq;
	s->st->reqs[s->i].resp = resp;
	s->st->reqs[s->i].end_ms = now_ms();
	s->st->n_done++;
}

/* Room for one more request: the arrays double (slots are pointed to by in-flight requests, so
 * they live in fixed blocks: a request keeps its slot's address). */
static int grow(level_state *st, size_t want)
{
	if (want <= st->cap)
		return 0;
	{
		size_t cap = st->cap ? st->cap * 2 : 64;
		hx_load_req *r;
		while (cap < want)
			cap *= 2;
		if (!(r = realloc(st->reqs, cap * sizeof *r)))
			return -1;
		memset(r + st->cap, 0, (cap - st->cap) * sizeof *r);
		st->reqs = r;
		st->cap = cap;
	}
	return 0;
}

int hx_load_run_level(prov *p, const hx_load_level *lv, hx_load_build_fn build, void *ud,
	const volatile sig_atomic_t *stop, hx_load_result *out, char *err, size_t errlen)
{
	level_state st;
	slot **blocks = NULL;          /* slots in blocks of 256, never moved */
	size_t n_blocks = 0;
	uint64_t rng = lv->seed;
	double t0, next_arrival = 0, limit_ms = lv->duration_s * 1000.0;
	int closed = lv->concurrency > 0, rc = 0, stopped = 0;
	long n_max = lv->n_requests > 0 ? lv->n_requests : -1;

	memset(out, 0, sizeof *out);
	memset(&st, 0, sizeof st);
	if ((!closed && !(lv->rate > 0)) || (n_max < 0 && !(lv->duration_s > 0))) {
		snprintf(err, errlen, "load level: give a rate > 0 or a concurrency >= 1, and a request "
			 "count or a duration");
		return HX_EINVAL;
	}
	t0 = now_ms();
	if (!closed)
		next_arrival = hx_load_arrival_next(&rng, lv->rate);
	for (;;) {
		double now = now_ms() - t0;
		int more = n_max < 0 ? now < limit_ms : (long)st.n < n_max;
		/* send what is due */
		while (more && !stopped && (closed ? prov_in_flight(p) < lv->concurrency : next_arrival <= now)) {
			prov_req rq;
			hx_load_req *r;
			slot *s;
			int sr;
			if (grow(&st, st.n + 1)) {
				rc = HX_ENOMEM;
				goto out;
			}
			if (st.n / 256 == n_blocks) {
				slot **nb = realloc(blocks, (n_blocks + 1) * sizeof *nb);
				if (!nb) {
					rc = HX_ENOMEM;
					goto out;
				}
				blocks = nb;
				if (!(blocks[n_blocks] = calloc(256, sizeof **blocks))) {
					rc = HX_ENOMEM;
					goto out;
				}
				n_blocks++;
			}
			memset(&rq, 0, sizeof rq);
			if (build(ud, (long)st.n, &rq)) {
				prov_req_release(&rq);
				snprintf(err, errlen, "load level: cannot build request %zu", st.n);
				rc = HX_EINVAL;
				goto out;
			}
			s = &blocks[st.n / 256][st.n % 256];
			s->st = &st;
			s->i = st.n;
			r = &st.reqs[st.n];
			r->arrival_ms = closed ? now : next_arrival;
			r->start_ms = now_ms() - t0;
			sr = prov_submit(p, &rq, on_done, s);
			prov_req_release(&rq);
			if (sr == PROV_EBUSY)
				break;   /* the provider's own limit: poll, then try again (the wait is charged) */
			if (sr) {
				snprintf(err, errlen, "load level: the provider refused request %zu (%d)", st.n, sr);
				rc = HX_EIO;
				goto out;
			}
			st.n++;
			if (!closed)
				next_arrival += hx_load_arrival_next(&rng, lv->rate);
			now = now_ms() - t0;
			more = n_max < 0 ? now < limit_ms : (long)st.n < n_max;
		}
		if (!more && st.n_done == st.n)
			break;
		if (stop && *stop && !stopped) {
			stopped = 1;
			prov_cancel_all(p);
		}
		if (stopped && st.n_done == st.n)
			break;
		{
			/* wait for a reply, or until the next arrival is due */
			double wait = 50;
			if (more && !closed && !stopped)
				wait = fmax(0, fmin(wait, next_arrival - (now_ms() - t0)));
			if (prov_poll(p, (int)ceil(wait)) < 0 && st.n_done < st.n) {
				snprintf(err, errlen, "load level: polling the provider failed");
				rc = HX_EIO;
				goto out;
			}
		}
	}
	out->wall_ms = now_ms() - t0;
	for (size_t i = 0; i < st.n; i++)
		st.reqs[i].end_ms -= t0;
out:
	if (rc) {
		prov_cancel_all(p);
		while (st.n_done < st.n && prov_poll(p, 50) >= 0)
			;
	}
	for (size_t b = 0; b < n_blocks; b++)
		free(blocks[b]);
	free(blocks);
	out->reqs = st.reqs;
	out->n = st.n;
	return rc ? rc : stopped ? HX_EINTR : 0;
}

void hx_load_result_release(hx_load_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		prov_resp_free(r->reqs[i].resp);
	free(r->reqs);
	memset(r, 0, sizeof *r);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Quantile p of v[n] (sorted), linear between closest ranks; NAN when n is 0. */
static double quantile(const double *v, size_t n, double p)
{
	double pos, f;
	size_t lo;
	if (!n)
		return NAN;
	pos = p * (double)(n - 1);
	lo = (size_t)pos;
	f = pos - (double)lo;
	return lo + 1 < n ? v[lo] + f * (v[lo + 1] - v[lo]) : v[lo];
}

int hx_load_stats(const hx_load_result *r, const hx_load_slo *slo, hx_load_summary *s)
{
	double *ttft = calloc(r->n + 1, sizeof *ttft), *tpot = calloc(r->n + 1, sizeof *tpot);
	double *e2e = calloc(r->n + 1, sizeof *e2e), *itl = NULL;
	size_t n_itl = 0, k_ttft = 0, k_tpot = 0, k_e2e = 0;
	static const double ps[3] = { 0.5, 0.9, 0.99 };

	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < r->n; i++)
		if (r->reqs[i].resp && r->reqs[i].resp->err == PROV_ERR_NONE)
			n_itl += r->reqs[i].resp->n_gaps;
	if (!ttft || !tpot || !e2e || (n_itl && !(itl = malloc(n_itl * sizeof *itl)))) {
		free(ttft);
		free(tpot);
		free(e2e);
		return HX_ENOMEM;
	}
	n_itl = 0;
	s->n = (long)r->n;
	s->wall_s = r->wall_ms / 1000.0;
	for (size_t i = 0; i < r->n; i++) {
		const hx_load_req *q = &r->reqs[i];
		const prov_resp *p = q->resp;
		double t, e, tp = NAN;
		int good;
		if (!p || p->err != PROV_ERR_NONE) {
			s->n_errors++;
			if (p && p->err < PROV_ERR__COUNT)
				s->errors_by_class[p->err]++;
			continue;
		}
		t = hx_load_ttft_ms(q);
		e = hx_load_e2e_ms(q);
		s->n_ok++;
		s->tokens_out += p->n_tokens_out;
		if (!isnan(t))
			ttft[k_ttft++] = t;
		if (!isnan(e))
			e2e[k_e2e++] = e;
		if (!isnan(t) && !isnan(e) && p->n_tokens_out > 1 && e > t)
			tpot[k_tpot++] = tp = (e - t) / (double)(p->n_tokens_out - 1);
		for (size_t g = 0; g < p->n_gaps; g++)
			itl[n_itl++] = p->gaps_ms[g];
		good = hx_load_meets_slo(slo, t, tp, e);
		s->n_good += good;
	}
	/* sorted once each (a level's pooled gaps can number millions) */
	qsort(ttft, k_ttft, sizeof *ttft, cmp_double);
	qsort(tpot, k_tpot, sizeof *tpot, cmp_double);
	if (n_itl)
		qsort(itl, n_itl, sizeof *itl, cmp_double);
	qsort(e2e, k_e2e, sizeof *e2e, cmp_double);
	for (int k = 0; k < 3; k++) {
		s->ttft_ms[k] = quantile(ttft, k_ttft, ps[k]);
		s->tpot_ms[k] = quantile(tpot, k_tpot, ps[k]);
		s->itl_ms[k] = quantile(itl, n_itl, ps[k]);
		s->e2e_ms[k] = quantile(e2e, k_e2e, ps[k]);
	}
	if (s->wall_s > 0) {
		s->req_per_s = (double)s->n_ok / s->wall_s;
		s->tok_per_s = (double)s->tokens_out / s->wall_s;
		s->good_per_s = (double)s->n_good / s->wall_s;
	}
	s->good_share = s->n ? (double)s->n_good / (double)s->n : NAN;
	free(ttft);
	free(tpot);
	free(e2e);
	free(itl);
	return 0;
}

double hx_load_ttft_ms(const hx_load_req *q)
{
	const prov_resp *p = q->resp;
	if (!p || p->t_first_token_ms < 0)
		return NAN;
	return p->t_first_token_ms + (q->start_ms - q->arrival_ms);
}

double hx_load_e2e_ms(const hx_load_req *q)
{
	const prov_resp *p = q->resp;
	if (!p)
		return NAN;
	if (p->t_done_ms >= 0)
		return p->t_done_ms + (q->start_ms - q->arrival_ms);
	return q->end_ms - q->arrival_ms;
}

int hx_load_meets_slo(const hx_load_slo *slo, double ttft_ms, double tpot_ms, double e2e_ms)
{
	if (!slo)
		return 1;
	/* a limit on a figure the request lacks (no streamed first token, one output token) is not
	 * met: goodput counts only what was shown to meet it */
	if (slo->ttft_ms > 0 && !(ttft_ms <= slo->ttft_ms))
		return 0;
	if (slo->tpot_ms > 0 && !(tpot_ms <= slo->tpot_ms))
		return 0;
	if (slo->e2e_ms > 0 && !(e2e_ms <= slo->e2e_ms))
		return 0;
	return 1;
}

int hx_load_slo_parse(const char *text, hx_load_slo *slo, char *err, size_t errlen)
{
	const char *p = text;
	memset(slo, 0, sizeof *slo);
	while (p && *p) {
		size_t len = strcspn(p, ","), klen = strcspn(p, "=");
		char part[64], *end;
		double v, *dst;
		if (klen >= len || len >= sizeof part) {
			snprintf(err, errlen, "--slo: expected KEY=VALUE[ms|s],... (keys ttft, tpot, e2e), got \"%.*s\"",
				 (int)(len < 40 ? len : 40), p);
			return HX_EINVAL;
		}
		memcpy(part, p, len);
		part[len] = 0;
		part[klen] = 0;
		dst = !strcmp(part, "ttft") ? &slo->ttft_ms : !strcmp(part, "tpot") ? &slo->tpot_ms :
			!strcmp(part, "e2e") ? &slo->e2e_ms : NULL;
		if (!dst) {
			snprintf(err, errlen, "--slo: unknown key \"%s\" (ttft, tpot, e2e)", part);
			return HX_EINVAL;
		}
		v = strtod(part + klen + 1, &end);
		if (end == part + klen + 1 || !(v > 0) || !isfinite(v) ||
		    (*end && strcmp(end, "ms") && strcmp(end, "s"))) {
			snprintf(err, errlen, "--slo: %s: expected a time > 0 in ms or s (\"500ms\", \"2s\"), got \"%s\"",
				 part, part + klen + 1);
			return HX_EINVAL;
		}
		*dst = !strcmp(end, "s") ? v * 1000 : v;
		p += len + (p[len] == ',');
	}
	return 0;
}
