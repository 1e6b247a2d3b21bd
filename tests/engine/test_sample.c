/* tests/engine/test_sample.c — the sampler and stop strings: greedy and its ties, each step of
 * the chain (top-k, top-p, min-p, temperature) checked against its definition, the draw against
 * softmax by a chi-square bound, the penalties on positive and negative logits, seeding and
 * reset, bad parameters, and stop-string matching. Every random test uses a fixed seed. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "engine/engine.h"

static char err[256];

/* A sampler with the given temperature and everything else at its default. */
static eng_sampler *mk(float temp, int n_vocab, uint64_t seed)
{
	eng_sampler_params p = eng_sampler_params_default();
	p.temp = temp;
	p.seed = seed;
	return eng_sampler_new(&p, n_vocab, err, sizeof err);
}

/* Counts the ids drawn in n samples of logits (n_vocab <= 16). */
static void histogram(eng_sampler *s, const float *logits, int n, int *hist, int n_vocab)
{
	memset(hist, 0, (size_t)n_vocab * sizeof *hist);
	for (int i = 0; i < n; i++) {
		int32_t id = eng_sampler_sample(s, logits);
		if (id >= 0 && id < n_vocab)
			hist[id]++;
	}
}

/* Logits whose softmax is exactly the given probabilities (up to rounding). */
static void logits_of(const double *prob, float *out, int n)
{
	for (int i = 0; i < n; i++)
		out[i] = (float)log(prob[i]);
}

/* ------------------------------------------------------------------ greedy */

static void test_sampler_greedy_picks_the_largest_logit(void)
{
	float l[6] = { 0.1f, -3.0f, 2.5f, 2.49f, -INFINITY, 1.0f };
	eng_sampler *s = mk(0.0f, 6, 1);
	TB_REQUIRE(s);
	TB_CHECK_INT(eng_sampler_sample(s, l), 2);
	eng_sampler_free(s);
}

static void test_sampler_greedy_breaks_ties_to_lowest_id(void)
{
	float l[5] = { 1.0f, 3.0f, 2.0f, 3.0f, 3.0f };
	eng_sampler *s = mk(-1.0f, 5, 7);
	TB_REQUIRE(s);
	TB_CHECK_INT(eng_sampler_sample(s, l), 1);
	eng_sampler_free(s);
}

static void test_sampler_treats_nan_logits_as_impossible(void)
{
	float l[3] = { NAN, 0.5f, NAN };
	float all_nan[3] = { NAN, NAN, NAN };
	eng_sampler *g = mk(0.0f, 3, 0), *t = mk(1.0f, 3, 0);
	TB_REQUIRE(g && t);
	TB_CHECK_INT(eng_sampler_sample(g, l), 1);
	for (int i = 0; i < 50; i++)
		TB_CHECK_INT(eng_sampler_sample(t, l), 1);
	TB_CHECK_INT(eng_sampler_sample(t, all_nan), 0);
	eng_sampler_free(g);
	eng_sampler_free(t);
}

static void test_sampler_does_not_modify_the_logits(void)
{
	float l[4] = { 1.0f, 2.0f, 3.0f, 4.0f }, copy[4];
	eng_sampler_params p = eng_sampler_params_default();
	eng_sampler *s;
	p.temp = 0.7f;
	p.top_k = 3;
	p.top_p = 0.9f;
	p.min_p = 0.05f;
	p.repeat_penalty = 1.3f;
	memcpy(copy, l, sizeof l);
	s = eng_sampler_new(&p, 4, err, sizeof err);
	TB_REQUIRE(s);
	eng_sampler_accept(s, 3);
	eng_sampler_sample(s, l);
	TB_CHECK(memcmp(copy, l, sizeof l) == 0);
	eng_sampler_free(s);
}

/* ------------------------------------------------------------------ chain steps */

static void test_sampler_top_k_1_equals_greedy(void)
{
	enum { N = 1000 };
	static float l[N];
	eng_sampler_params p = eng_sampler_params_default();
	eng_sampler *s, *g;
	uint64_t x = 12345;

	p.temp = 1.5f;
	p.top_k = 1;
	p.seed = 99;
	s = eng_sampler_new(&p, N, err, sizeof err);
	g = mk(0.0f, N, 0);
	TB_REQUIRE(s && g);
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < N; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			l[i] = (float)(x >> 40) / (float)(1 << 24) * 8.0f - 4.0f;
		}
		l[round * 7] = l[round * 7 + 1] = 5.0f; /* a tie at the top */
		TB_CHECK_INT(eng_sampler_sample(s, l), eng_sampler_sample(g, l));
		TB_CHECK_INT(eng_sampler_sample(s, l), round * 7);
	}
	eng_sampler_free(s);
	eng_sampler_free(g);
}

static void test_sampler_top_k_keeps_only_the_k_best(void)
{
	float l[6] = { 0.0f, 0.5f, 0.4f, 0.3f, 0.2f, 0.1f };
	int hist[6];
	eng_sampler_params p = eng_sampler_params_default();
	eng_sampler *s;
	p.temp = 1.0f;
	p.top_k = 3;
	p.seed = 5;
	s = eng_sampler_new(&p, 6, err, sizeof err);
	TB_REQUIRE(s);
	histogram(s, l, 3000, hist, 6);
	TB_CHECK_INT(hist[0], 0);
	TB_CHECK(hist[1] > 0 && hist[2] > 0 && hist[3] > 0);
	TB_CHECK_INT(hist[4] + hist[5], 0);
	eng_sampler_free(s);
}

static void test_sampler_top_k_breaks_ties_at_the_cut_to_lower_ids(void)
{
	float l[5] = { 1.0f, 1.0f, 1.0f, 1.0f, 0.0f };
	int hist[5];
	eng_sampler_params p = eng_sampler_params_default();
	eng_sampler *s;
	p.temp = 1.0f;
	p.top_k = 2;
	p.seed = 11;
	s = eng_sampler_new(&p, 5, err, sizeof err);
	TB_REQUIRE(s);
	histogram(s, l, 1000, hist, 5);
	TB_CHECK(hist[0] > 0 && hist[1] > 0);
	TB_CHECK_INT(hist[2] + hist[3] + hist[4], 0);
	eng_sampler_free(s);
}

/* Draws 20000 times at temp 1 from a 4-token distribution and checks Pearson's chi-square
 * against softmax. 3 degrees of freedom: 16.27 is the 0.999 quantile. The seed is fixed, so
 * the statistic is one fixed number; the bound says the draw is unbiased, not that we were
 * lucky. */
static void test_sampler_temp_1_draws_follow_softmax(void)
{
	enum { DRAWS = 20000 };
	float l[4] = { 1.0f, 2.0f, 0.5f, -1.0f };
	double e[4], sum = 0.0, chi2 = 0.0;
	int hist[4];
	eng_sampler *s = mk(1.0f, 4, 2024);
	TB_REQUIRE(s);
	for (int i = 0; i < 4; i++)
		sum += e[i] = exp(l[i]);
	histogram(s, l, DRAWS, hist, 4);
	for (int i = 0; i < 4; i++) {
		double want = DRAWS * e[i] / sum;
		chi2 += (hist[i] - want) * (hist[i] - want) / want;
	}
	TB_CHECK(chi2 < 16.27);
	eng_sampler_free(s);
}

static void test_sampler_temperature_sharpens_the_distribution(void)
{
	enum { DRAWS = 20000 };
	float l[4] = { 1.0f, 2.0f, 0.5f, -1.0f };
	double e[4], sum = 0.0, chi2 = 0.0;
	int hist[4];
	eng_sampler *s = mk(0.5f, 4, 77);
	TB_REQUIRE(s);
	for (int i = 0; i < 4; i++)
		sum += e[i] = exp(l[i] / 0.5);
	histogram(s, l, DRAWS, hist, 4);
	for (int i = 0; i < 4; i++) {
		double want = DRAWS * e[i] / sum;
		chi2 += (hist[i] - want) * (hist[i] - want) / want;
	}
	TB_CHECK(chi2 < 16.27);
	eng_sampler_free(s);
}

static void test_sampler_tiny_temperature_acts_greedy_without_overflow(void)
{
	float l[4] = { 1.0f, 3.0f, 2.999f, -2.0f };
	float big[3] = { 3e38f, -3e38f, 2.9e38f };
	eng_sampler *s = mk(1e-30f, 4, 9), *b = mk(1.0f, 3, 9);
	TB_REQUIRE(s && b);
	for (int i = 0; i < 100; i++)
		TB_CHECK_INT(eng_sampler_sample(s, l), 1);
	for (int i = 0; i < 100; i++)
		TB_CHECK_INT(eng_sampler_sample(b, big), 0);
	eng_sampler_free(s);
	eng_sampler_free(b);
}

/* probabilities 0.5, 0.25, 0.15, 0.1 spread over ids so that order is not id order */
static const double probs4[4] = { 0.15, 0.5, 0.1, 0.25 };

/* Which ids appear in 4000 draws with the given top_p / min_p (temp 1). */
static void drawn_set(float top_p, float min_p, int *seen)
{
	float l[4];
	int hist[4];
	eng_sampler_params p = eng_sampler_params_default();
	eng_sampler *s;
	logits_of(probs4, l, 4);
	p.temp = 1.0f;
	p.top_p = top_p;
	p.min_p = min_p;
	p.seed = 31337;
	s = eng_sampler_new(&p, 4, err, sizeof err);
	memset(seen, 0, 4 * sizeof *seen);
	if (!s)
		return;
	histogram(s, l, 4000, hist, 4);
	for (int i = 0; i < 4; i++)
		seen[i] = hist[i] > 0;
	eng_sampler_free(s);
}

static void test_sampler_top_p_keeps_the_smallest_prefix_reaching_p(void)
{
	int seen[4];
	/* sorted: id1 0.5, id3 0.25, id0 0.15, id2 0.1; cumulative 0.5 0.75 0.9 1.0 */
	drawn_set(0.4f, 0.0f, seen);   /* 0.5 >= 0.4 */
	TB_CHECK(seen[1] && !seen[3] && !seen[0] && !seen[2]);
	drawn_set(0.7f, 0.0f, seen);   /* 0.75 >= 0.7 */
	TB_CHECK(seen[1] && seen[3] && !seen[0] && !seen[2]);
	drawn_set(0.8f, 0.0f, seen);   /* 0.9 >= 0.8 */
	TB_CHECK(seen[1] && seen[3] && seen[0] && !seen[2]);
	drawn_set(0.95f, 0.0f, seen);
	TB_CHECK(seen[1] && seen[3] && seen[0] && seen[2]);
	drawn_set(1.0f, 0.0f, seen);   /* off */
	TB_CHECK(seen[1] && seen[3] && seen[0] && seen[2]);
}

static void test_sampler_top_p_keeps_at_least_one_token(void)
{
	int seen[4];
	drawn_set(1e-6f, 0.0f, seen);
	TB_CHECK(seen[1] && !seen[3] && !seen[0] && !seen[2]);
}

static void test_sampler_top_p_renormalises_over_the_kept_tokens(void)
{
	enum { DRAWS = 20000 };
	float l[4];
	int hist[4];
	eng_sampler_params p = eng_sampler_params_default();
	eng_sampler *s;
	logits_of(probs4, l, 4);
	p.temp = 1.0f;
	p.top_p = 0.7f;
	p.seed = 8;
	s = eng_sampler_new(&p, 4, err, sizeof err);
	TB_REQUIRE(s);
	histogram(s, l, DRAWS, hist, 4);
	/* 0.5 / 0.75 and 0.25 / 0.75; 4 sigma is about 0.013 */
	TB_CHECK_NEAR(hist[1] / (double)DRAWS, 2.0 / 3.0, 0.015);
	TB_CHECK_NEAR(hist[3] / (double)DRAWS, 1.0 / 3.0, 0.015);
	eng_sampler_free(s);
}

static void test_sampler_min_p_keeps_tokens_within_a_factor_of_the_best(void)
{
	int seen[4];
	/* best 0.5: min_p 0.25 -> >= 0.125 keeps 0.5 0.25 0.15; min_p 0.4 -> >= 0.2 keeps 0.5 0.25 */
	drawn_set(1.0f, 0.25f, seen);
	TB_CHECK(seen[1] && seen[3] && seen[0] && !seen[2]);
	drawn_set(1.0f, 0.4f, seen);
	TB_CHECK(seen[1] && seen[3] && !seen[0] && !seen[2]);
	drawn_set(1.0f, 0.9f, seen);
	TB_CHECK(seen[1] && !seen[3] && !seen[0] && !seen[2]);
	drawn_set(1.0f, 0.15f, seen);
	TB_CHECK(seen[1] && seen[3] && seen[0] && seen[2]);
}

static void test_sampler_min_p_applies_after_top_p(void)
{
	int seen[4];
	/* top-p 0.8 keeps ids 1 3 0; min-p 0.4 then drops id 0 */
	drawn_set(0.8f, 0.4f, seen);
	TB_CHECK(seen[1] && seen[3] && !seen[0] && !seen[2]);
}

/* A realistic vocabulary size: every draw with top-k 40 and top-p 0.9 lies in the set that a
 * full sort computes. */
static void test_sampler_large_vocab_draws_stay_in_the_top_k_top_p_set(void)
{
	enum { N = 32000, K = 40 };
	static float l[N];
	static int order[N];
	static char allowed[N];
	eng_sampler_params p = eng_sampler_params_default();
	eng_sampler *s;
	uint64_t x = 42;
	double max, sum = 0.0, cum = 0.0;
	int bad = 0;

	for (int i = 0; i < N; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		l[i] = (float)(x >> 40) / (float)(1 << 24) * 6.0f;
		order[i] = i;
	}
	/* selection sort of the first K is enough for the reference */
	for (int i = 0; i < K; i++) {
		int b = i;
		for (int j = i + 1; j < N; j++)
			if (l[order[j]] > l[order[b]])
				b = j;
		int t = order[i];
		order[i] = order[b];
		order[b] = t;
	}
	max = l[order[0]];
	for (int i = 0; i < K; i++)
		sum += exp(l[order[i]] - max);
	for (int i = 0; i < K; i++) {
		allowed[order[i]] = 1;
		cum += exp(l[order[i]] - max) / sum;
		if (cum >= 0.9)
			break;
	}
	p.temp = 0.8f;
	p.top_k = K;
	p.top_p = 0.9f;
	p.seed = 3;
	s = eng_sampler_new(&p, N, err, sizeof err);
	TB_REQUIRE(s);
	for (int i = 0; i < 200; i++) {
		int32_t id = eng_sampler_sample(s, l);
		if (id < 0 || id >= N || !allowed[id])
			bad++;
	}
	TB_CHECK_INT(bad, 0);
	eng_sampler_free(s);
}

/* ------------------------------------------------------------------ seeds */

static void sequence(uint64_t seed, int32_t *out, int n)
{
	float l[8] = { 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f };
	eng_sampler *s = mk(1.0f, 8, seed);
	for (int i = 0; i < n; i++)
		out[i] = s ? eng_sampler_sample(s, l) : -1;
	eng_sampler_free(s);
}

static void test_sampler_same_seed_gives_the_same_sequence(void)
{
	int32_t a[64], b[64];
	sequence(1234, a, 64);
	sequence(1234, b, 64);
	TB_CHECK(a[0] >= 0);
	TB_CHECK(memcmp(a, b, sizeof a) == 0);
}

static void test_sampler_different_seeds_give_different_sequences(void)
{
	int32_t a[64], b[64];
	sequence(1234, a, 64);
	sequence(1235, b, 64);
	TB_CHECK(memcmp(a, b, sizeof a) != 0);
}

/* The PRNG is integer-only (splitmix64 seeding xoshiro256**), so a seed gives the same stream
 * on every platform. With 8 equal logits every exp is 1 and the sums are exact, so the draw is
 * floor(8 u): the ids below were computed by an independent Python model of the two
 * generators (its first splitmix64 output for seed 0 is the published 0xe220a8397b1dcdaf). */
static void test_sampler_seed_0_stream_is_pinned(void)
{
	static const int32_t want[24] = { 4, 5, 0, 3, 5, 7, 3, 4, 6, 7, 0, 0, 0, 5, 3, 2, 5, 1, 4,
		0, 2, 3, 2, 5 };
	float l[8] = { 0 };
	eng_sampler *s = mk(1.0f, 8, 0);
	TB_REQUIRE(s);
	for (int i = 0; i < 24; i++)
		TB_CHECK_INT(eng_sampler_sample(s, l), want[i]);
	eng_sampler_free(s);
}

static void test_sampler_reset_clears_history_and_reseeds(void)
{
	float l[8] = { 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f };
	float g[3] = { 2.0f, 1.5f, 0.0f };
	int32_t want[32], got[32];
	eng_sampler_params p = eng_sampler_params_default();
	eng_sampler *s;

	sequence(555, want, 32);
	p.temp = 1.0f;
	p.seed = 1;
	p.repeat_penalty = 4.0f;
	s = eng_sampler_new(&p, 8, err, sizeof err);
	TB_REQUIRE(s);
	for (int i = 0; i < 10; i++)
		eng_sampler_sample(s, l);
	eng_sampler_accept(s, 0);
	eng_sampler_reset(s, 555);
	for (int i = 0; i < 32; i++)
		got[i] = eng_sampler_sample(s, l);
	TB_CHECK(memcmp(want, got, sizeof want) == 0);
	eng_sampler_free(s);

	/* the penalty on id 0 is gone after reset (checked greedily) */
	p.temp = 0.0f;
	s = eng_sampler_new(&p, 3, err, sizeof err);
	TB_REQUIRE(s);
	eng_sampler_accept(s, 0);
	TB_CHECK_INT(eng_sampler_sample(s, g), 1);
	eng_sampler_reset(s, 0);
	TB_CHECK_INT(eng_sampler_sample(s, g), 0);
	eng_sampler_free(s);
}

/* ------------------------------------------------------------------ penalties */

static eng_sampler *mk_pen(float rep, float pres, float freq, int last_n, int n_vocab)
{
	eng_sampler_params p = eng_sampler_params_default();
	p.repeat_penalty = rep;
	p.presence_penalty = pres;
	p.frequency_penalty = freq;
	p.penalty_last_n = last_n;
	return eng_sampler_new(&p, n_vocab, err, sizeof err);
}

static void test_sampler_repeat_penalty_divides_positive_logits(void)
{
	float l[3] = { 2.0f, 1.5f, 0.0f };
	eng_sampler *s = mk_pen(1.5f, 0, 0, 64, 3);
	TB_REQUIRE(s);
	TB_CHECK_INT(eng_sampler_sample(s, l), 0);
	eng_sampler_accept(s, 0);            /* 2.0 / 1.5 = 1.33 < 1.5 */
	TB_CHECK_INT(eng_sampler_sample(s, l), 1);
	eng_sampler_free(s);

	s = mk_pen(1.25f, 0, 0, 64, 3);      /* 2.0 / 1.25 = 1.6 > 1.5 */
	TB_REQUIRE(s);
	eng_sampler_accept(s, 0);
	TB_CHECK_INT(eng_sampler_sample(s, l), 0);
	eng_sampler_free(s);
}

static void test_sampler_repeat_penalty_multiplies_negative_logits(void)
{
	float l[3] = { -1.0f, -1.5f, -9.0f };
	eng_sampler *s = mk_pen(1.6f, 0, 0, 64, 3);
	TB_REQUIRE(s);
	eng_sampler_accept(s, 0);            /* -1.0 * 1.6 = -1.6 < -1.5 (dividing would raise it) */
	TB_CHECK_INT(eng_sampler_sample(s, l), 1);
	eng_sampler_free(s);

	s = mk_pen(1.4f, 0, 0, 64, 3);       /* -1.4 > -1.5 */
	TB_REQUIRE(s);
	eng_sampler_accept(s, 0);
	TB_CHECK_INT(eng_sampler_sample(s, l), 0);
	eng_sampler_free(s);
}

static void test_sampler_repeat_penalty_below_one_favours_repeats(void)
{
	float l[2] = { 1.0f, 1.2f };
	eng_sampler *s = mk_pen(0.5f, 0, 0, 64, 2);
	TB_REQUIRE(s);
	eng_sampler_accept(s, 0);            /* 1.0 / 0.5 = 2.0 */
	TB_CHECK_INT(eng_sampler_sample(s, l), 0);
	eng_sampler_free(s);
}

static void test_sampler_presence_penalty_counts_once(void)
{
	float l[3] = { 3.0f, 2.5f, 0.0f };
	eng_sampler *s = mk_pen(1.0f, 0.4f, 0, 64, 3);
	TB_REQUIRE(s);
	for (int i = 0; i < 5; i++)
		eng_sampler_accept(s, 0);    /* 3.0 - 0.4 = 2.6 > 2.5 however often */
	TB_CHECK_INT(eng_sampler_sample(s, l), 0);
	eng_sampler_free(s);

	s = mk_pen(1.0f, 0.6f, 0, 64, 3);    /* 2.4 < 2.5 */
	TB_REQUIRE(s);
	eng_sampler_accept(s, 0);
	TB_CHECK_INT(eng_sampler_sample(s, l), 1);
	eng_sampler_free(s);
}

static void test_sampler_frequency_penalty_counts_each_occurrence(void)
{
	float l[3] = { 3.0f, 2.5f, 0.0f };
	eng_sampler *s = mk_pen(1.0f, 0, 0.3f, 64, 3);
	TB_REQUIRE(s);
	eng_sampler_accept(s, 0);            /* 2.7 */
	TB_CHECK_INT(eng_sampler_sample(s, l), 0);
	eng_sampler_accept(s, 0);            /* 2.4 */
	TB_CHECK_INT(eng_sampler_sample(s, l), 1);
	eng_sampler_free(s);
}

static void test_sampler_penalties_combine_repeat_then_frequency_and_presence(void)
{
	/* id 0: 4.0 / 2 - (2 * 0.25 + 0.1) = 1.4 against id 1 at 1.45, and at 1.35 */
	float a[2] = { 4.0f, 1.45f }, b[2] = { 4.0f, 1.35f };
	eng_sampler *s = mk_pen(2.0f, 0.1f, 0.25f, 64, 2);
	TB_REQUIRE(s);
	eng_sampler_accept(s, 0);
	eng_sampler_accept(s, 0);
	TB_CHECK_INT(eng_sampler_sample(s, a), 1);
	TB_CHECK_INT(eng_sampler_sample(s, b), 0);
	eng_sampler_free(s);
}

static void test_sampler_penalty_window_forgets_old_tokens(void)
{
	float l[4] = { 2.0f, 1.5f, 0.0f, 0.0f };
	eng_sampler *s = mk_pen(2.0f, 0, 0, 2, 4);
	TB_REQUIRE(s);
	eng_sampler_accept(s, 0);
	TB_CHECK_INT(eng_sampler_sample(s, l), 1);
	eng_sampler_accept(s, 2);
	TB_CHECK_INT(eng_sampler_sample(s, l), 1);   /* window {0, 2} */
	eng_sampler_accept(s, 3);
	TB_CHECK_INT(eng_sampler_sample(s, l), 0);   /* window {2, 3}: 0 has left */
	eng_sampler_free(s);
}

static void test_sampler_penalty_last_n_zero_is_off_and_minus_one_is_whole_history(void)
{
	float l[4] = { 2.0f, 1.5f, 0.0f, 0.0f };
	eng_sampler *off = mk_pen(2.0f, 0, 0, 0, 4), *all = mk_pen(2.0f, 0, 0, -1, 4);
	TB_REQUIRE(off && all);
	eng_sampler_accept(off, 0);
	TB_CHECK_INT(eng_sampler_sample(off, l), 0);
	eng_sampler_accept(all, 0);
	for (int i = 0; i < 5000; i++)
		eng_sampler_accept(all, 2);
	TB_CHECK_INT(eng_sampler_sample(all, l), 1);
	eng_sampler_free(off);
	eng_sampler_free(all);
}

static void test_sampler_accept_ignores_out_of_range_ids(void)
{
	float l[2] = { 2.0f, 1.5f };
	eng_sampler *s = mk_pen(2.0f, 0, 0, 64, 2);
	TB_REQUIRE(s);
	eng_sampler_accept(s, -1);
	eng_sampler_accept(s, 2);
	eng_sampler_accept(s, 1 << 30);
	TB_CHECK_INT(eng_sampler_sample(s, l), 0);
	eng_sampler_free(s);
}

/* ------------------------------------------------------------------ params */

static void test_sampler_zeroed_params_are_valid_and_greedy(void)
{
	eng_sampler_params p;
	float l[3] = { 0.0f, 1.0f, 0.5f };
	eng_sampler *s;
	memset(&p, 0, sizeof p);
	s = eng_sampler_new(&p, 3, err, sizeof err);
	TB_REQUIRE(s);
	TB_CHECK_INT(eng_sampler_sample(s, l), 1);
	eng_sampler_accept(s, 1);
	TB_CHECK_INT(eng_sampler_sample(s, l), 1); /* repeat_penalty 0 is off, not a division by 0 */
	eng_sampler_free(s);

	/* zeroed but for temp: top_p 0 is off too, so all tokens can come */
	p.temp = 1.0f;
	s = eng_sampler_new(&p, 3, err, sizeof err);
	TB_REQUIRE(s);
	{
		int hist[3];
		histogram(s, l, 2000, hist, 3);
		TB_CHECK(hist[0] > 0 && hist[1] > 0 && hist[2] > 0);
	}
	eng_sampler_free(s);
}

static void test_sampler_defaults_are_greedy_without_penalties(void)
{
	eng_sampler_params p = eng_sampler_params_default();
	TB_CHECK(p.temp <= 0.0f);
	TB_CHECK(p.top_k <= 0);
	TB_CHECK(p.top_p >= 1.0f);
	TB_CHECK(p.min_p <= 0.0f);
	TB_CHECK(p.repeat_penalty == 1.0f);
	TB_CHECK(p.presence_penalty == 0.0f && p.frequency_penalty == 0.0f);
	TB_CHECK_INT(p.seed, 0);
	/* NULL params are the defaults */
	eng_sampler *s = eng_sampler_new(NULL, 4, err, sizeof err);
	TB_CHECK(s != NULL);
	eng_sampler_free(s);
}

static void test_sampler_new_rejects_bad_params_with_a_message(void)
{
	struct { const char *field; eng_sampler_params p; int n_vocab; } cases[7];
	for (int i = 0; i < 7; i++) {
		cases[i].p = eng_sampler_params_default();
		cases[i].n_vocab = 10;
	}
	cases[0].field = "n_vocab"; cases[0].n_vocab = 0;
	cases[1].field = "temp"; cases[1].p.temp = NAN;
	cases[2].field = "min_p"; cases[2].p.min_p = 1.5f;
	cases[3].field = "repeat_penalty"; cases[3].p.repeat_penalty = -1.0f;
	cases[4].field = "penalty_last_n"; cases[4].p.penalty_last_n = -2;
	cases[5].field = "presence_penalty"; cases[5].p.presence_penalty = INFINITY;
	cases[6].field = "top_p"; cases[6].p.top_p = NAN;
	for (int i = 0; i < 7; i++) {
		err[0] = 0;
		eng_sampler *s = eng_sampler_new(&cases[i].p, cases[i].n_vocab, err, sizeof err);
		TB_CHECK(s == NULL);
		TB_CHECK(strstr(err, cases[i].field) != NULL);
		eng_sampler_free(s);
	}
	eng_sampler_free(NULL);
}

/* ------------------------------------------------------------------ stop strings */

static void test_stop_find_returns_the_earliest_match(void)
{
	const char *stops[] = { "STOP", "END", "\n\n" };
	const char *t = "foo END bar STOP\n\n";
	int part = 7;
	TB_CHECK_INT(eng_stop_find(t, strlen(t), stops, 3, &part), 4);
	TB_CHECK_INT(part, 0);
	TB_CHECK_INT(eng_stop_find("no match here", 13, stops, 3, &part), -1);
	TB_CHECK_INT(part, 0);
}

static void test_stop_find_handles_overlapping_stop_strings(void)
{
	const char *a[] = { "bc", "abc" };
	const char *b[] = { "aab" };
	const char *c[] = { "abab" };
	TB_CHECK_INT(eng_stop_find("zabcd", 5, a, 2, NULL), 1);
	TB_CHECK_INT(eng_stop_find("aaab", 4, b, 1, NULL), 1);
	TB_CHECK_INT(eng_stop_find("abababab", 8, c, 1, NULL), 0);
	TB_CHECK_INT(eng_stop_find("xabaabab", 8, c, 1, NULL), 4);
}

static void test_stop_find_flags_a_partial_stop_at_the_end(void)
{
	const char *stops[] = { "\nUser:", "</s>" };
	int part = 0;
	TB_CHECK_INT(eng_stop_find("Hello\nUs", 8, stops, 2, &part), -1);
	TB_CHECK_INT(part, 1);
	TB_CHECK_INT(eng_stop_find("Hello\n", 6, stops, 2, &part), -1);
	TB_CHECK_INT(part, 1);
	TB_CHECK_INT(eng_stop_find("Hello </", 8, stops, 2, &part), -1);
	TB_CHECK_INT(part, 1);
	TB_CHECK_INT(eng_stop_find("Hello U", 7, stops, 2, &part), -1);
	TB_CHECK_INT(part, 0);
	TB_CHECK_INT(eng_stop_find("<", 1, stops, 2, &part), -1);   /* text shorter than the stop */
	TB_CHECK_INT(part, 1);
	TB_CHECK_INT(eng_stop_find("Hi</s>", 6, stops, 2, &part), 2); /* whole: a match, not partial */
	TB_CHECK_INT(part, 0);
}

static void test_stop_find_respects_len_and_skips_empty_stops(void)
{
	const char *stops[] = { "", NULL, "END" };
	int part = 0;
	/* "END" lies past len; the first two bytes of it are a partial */
	TB_CHECK_INT(eng_stop_find("abcEND", 5, stops, 3, &part), -1);
	TB_CHECK_INT(part, 1);
	TB_CHECK_INT(eng_stop_find("abcEND", 6, stops, 3, &part), 3);
	TB_CHECK_INT(eng_stop_find("", 0, stops, 3, &part), -1);
	TB_CHECK_INT(part, 0);
	TB_CHECK_INT(eng_stop_find(NULL, 0, stops, 3, &part), -1);
	TB_CHECK_INT(eng_stop_find("abc", 3, NULL, 3, &part), -1);
	TB_CHECK_INT(eng_stop_find("abc", 3, stops, 0, &part), -1);
}

static void test_stop_find_matches_bytes_after_a_nul(void)
{
	const char t[] = { 'a', 0, 'E', 'N', 'D' };
	const char *stops[] = { "END" };
	TB_CHECK_INT(eng_stop_find(t, sizeof t, stops, 1, NULL), 2);
}

int main(void)
{
	TB_RUN(test_sampler_greedy_picks_the_largest_logit);
	TB_RUN(test_sampler_greedy_breaks_ties_to_lowest_id);
	TB_RUN(test_sampler_treats_nan_logits_as_impossible);
	TB_RUN(test_sampler_does_not_modify_the_logits);
	TB_RUN(test_sampler_top_k_1_equals_greedy);
	TB_RUN(test_sampler_top_k_keeps_only_the_k_best);
	TB_RUN(test_sampler_top_k_breaks_ties_at_the_cut_to_lower_ids);
	TB_RUN(test_sampler_temp_1_draws_follow_softmax);
	TB_RUN(test_sampler_temperature_sharpens_the_distribution);
	TB_RUN(test_sampler_tiny_temperature_acts_greedy_without_overflow);
	TB_RUN(test_sampler_top_p_keeps_the_smallest_prefix_reaching_p);
	TB_RUN(test_sampler_top_p_keeps_at_least_one_token);
	TB_RUN(test_sampler_top_p_renormalises_over_the_kept_tokens);
	TB_RUN(test_sampler_min_p_keeps_tokens_within_a_factor_of_the_best);
	TB_RUN(test_sampler_min_p_applies_after_top_p);
	TB_RUN(test_sampler_large_vocab_draws_stay_in_the_top_k_top_p_set);
	TB_RUN(test_sampler_same_seed_gives_the_same_sequence);
	TB_RUN(test_sampler_different_seeds_give_different_sequences);
	TB_RUN(test_sampler_seed_0_stream_is_pinned);
	TB_RUN(test_sampler_reset_clears_history_and_reseeds);
	TB_RUN(test_sampler_repeat_penalty_divides_positive_logits);
	TB_RUN(test_sampler_repeat_penalty_multiplies_negative_logits);
	TB_RUN(test_sampler_repeat_penalty_below_one_favours_repeats);
	TB_RUN(test_sampler_presence_penalty_counts_once);
	TB_RUN(test_sampler_frequency_penalty_counts_each_occurrence);
	TB_RUN(test_sampler_penalties_combine_repeat_then_frequency_and_presence);
	TB_RUN(test_sampler_penalty_window_forgets_old_tokens);
	TB_RUN(test_sampler_penalty_last_n_zero_is_off_and_minus_one_is_whole_history);
	TB_RUN(test_sampler_accept_ignores_out_of_range_ids);
	TB_RUN(test_sampler_zeroed_params_are_valid_and_greedy);
	TB_RUN(test_sampler_defaults_are_greedy_without_penalties);
	TB_RUN(test_sampler_new_rejects_bad_params_with_a_message);
	TB_RUN(test_stop_find_returns_the_earliest_match);
	TB_RUN(test_stop_find_handles_overlapping_stop_strings);
	TB_RUN(test_stop_find_flags_a_partial_stop_at_the_end);
	TB_RUN(test_stop_find_respects_len_and_skips_empty_stops);
	TB_RUN(test_stop_find_matches_bytes_after_a_nul);
	return tb_test_end();
}
