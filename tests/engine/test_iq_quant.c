/* tests/engine/test_iq_quant.c — the quantisers from float of the IQ1/IQ2/IQ3 grid types and the
 * ternary types (engine/quant_iq.c, reached through eng_quant_row_ref): blocks against those
 * llama.cpp's ggml wrote for the same rows and importance weights (tests/fixtures/iq/iq-quant.txt,
 * see SOURCES.md there), the weighted error where they deliberately differ, refusal without
 * importance weights, round-trip error bounds and their order across the types, bad rows, and
 * building the neighbour tables from several threads at once. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/gguf_impl.h"
#include "engine/quant_impl.h"
#include "test.h"

#define IQ_QUANT "tests/fixtures/iq/iq-quant.txt"
#define IQ_QUANT_REAL "tests/fixtures/iq/iq-quant-stories260K.txt"
#define STORIES "../shared/models/stories260K.gguf"
#define N 768          /* three super-blocks: an odd number */
#define NROWS 11

/* ---- the rows of the fixture: xorshift64*, Irwin-Hall "Gaussians" from exact float steps ---- */

static uint64_t gen_state;

static uint64_t gen_u64(void)
{
	gen_state ^= gen_state >> 12;
	gen_state ^= gen_state << 25;
	gen_state ^= gen_state >> 27;
	return gen_state * 2685821657736338717ull;
}

static float gen_unif(void) { return (float)(gen_u64() >> 40) * 0x1p-24f; }

static float gen_gauss(void)
{
	float s = gen_unif();
	s = s + gen_unif();
	s = s + gen_unif();
	s = s + gen_unif();
	return (s - 2.0f) * 1.7320508f;
}

/* Row r of the fixture: 0 unit scale, 1 small, 2 large, 3 offset, 4 outliers, 5 zero, 6 a zero
 * super-block, 7 a zero 32-group, 8 tiny (below some types' zero thresholds), 9 few distinct
 * values (ties), 10 unit-ish with importance weights that are zero in every 5th column. */
static void make_row(int r, float *x)
{
	gen_state = 0x51ed270b27d1f3a5ull + (uint64_t)r * 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < N; i++) {
		const float g = gen_gauss();
		switch (r) {
		case 0: x[i] = g; break;
		case 1: x[i] = 0.01f * g; break;
		case 2: x[i] = 300.0f * g; break;
		case 3: x[i] = 0.02f * g + 0.03f; break;
		case 4: x[i] = i % 97 == 5 ? 40.0f * 0.05f * g : 0.05f * g; break;
		case 5: x[i] = 0.0f; break;
		case 6: x[i] = i >= 256 && i < 512 ? 0.0f : 0.1f * g; break;
		case 7: x[i] = i >= 320 && i < 352 ? 0.0f : 0.1f * g; break;
		case 8: x[i] = 1e-9f * g; break;
		case 9: x[i] = (float)((int)(gen_u64() >> 61) - 4) * 0.25f; break;
		default: x[i] = 0.5f * g; break;
		}
	}
}

static void make_imatrix(int r, float *w)
{
	gen_state = 0x2545f4914f6cdd1dull;
	for (int i = 0; i < N; i++)
		w[i] = 0.1f + gen_unif();
	if (r == 10)
		for (int i = 0; i < N; i += 5)
			w[i] = 0.0f;
}

static uint32_t row_fnv(const float *x, int n)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, &x[i], sizeof u);
		for (int b = 0; b < 4; b++) {
			h ^= (u >> 8 * b) & 0xff;
			h *= 16777619u;
		}
	}
	return h;
}

/* sum w (x - dequantized)^2 over the row (w = 1 without importance weights); -1 on failure. */
static double weighted_err(int type, const void *q, const float *x, const float *w, int n)
{
	float *y = malloc(sizeof(float) * (size_t)n);
	double e = -1;
	if (y && eng_dequant_row_ref(type, q, y, n) == 0) {
		e = 0;
		for (int i = 0; i < n; i++)
			e += (w ? w[i] : 1.0) * ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
	}
	free(y);
	return e;
}

/* Where the quantisers deliberately differ from the reference's bytes (docs/quant-formats.md):
 * a 32-element group of exact zeros in IQ3_S (the reference writes the later groups' indices
 * and signs 8 and 4 bytes early) and an all-zero group's shift bit in IQ1_S / IQ1_M (the
 * reference leaves it from whatever group last used that slot). Only row 7 has such a group. */
static int deliberate_difference(int type, int row)
{
	return row == 7 && (type == ENG_T_IQ3_S || type == ENG_T_IQ1_S || type == ENG_T_IQ1_M);
}

/* ---- building the neighbour tables from several threads on first use ---- */

static const int thread_types[] = { ENG_T_IQ1_M, ENG_T_IQ2_S, ENG_T_IQ3_XXS, ENG_T_IQ2_XXS };
#define N_THREAD_TYPES (int)(sizeof thread_types / sizeof thread_types[0])

/* The row and weights every job quantizes, made once before the threads start (the test's
 * generator has one state, which threads must not share). */
typedef struct {
	int type, rc;
	const float *x, *w;
	uint8_t q[N * 2];
} thread_job;

static void *quant_thread(void *arg)
{
	thread_job *j = arg;
	j->rc = eng_quant_row_ref(j->type, j->x, j->q, N, j->w);
	return NULL;
}

/* Must run first in this program: 8 threads (two per type) race to the first use of four
 * grids' tables; every thread's blocks must equal a later serial run's. */
static void test_iq_quant_tables_are_built_once_under_concurrent_first_use(void)
{
	enum { NT = 2 * N_THREAD_TYPES };
	thread_job *jobs = calloc(NT, sizeof *jobs);
	pthread_t th[NT];
	int started = 0;
	static float x[N], w[N];
	TB_REQUIRE(jobs);
	make_row(0, x);
	make_imatrix(0, w);
	for (int i = 0; i < NT; i++) {
		jobs[i].type = thread_types[i % N_THREAD_TYPES];
		jobs[i].x = x;
		jobs[i].w = w;
		if (pthread_create(&th[i], NULL, quant_thread, &jobs[i]) != 0)
			break;
		started++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	TB_CHECK_INT(started, NT);
	for (int i = 0; i < started; i++) {
		thread_job serial = { .type = jobs[i].type, .x = x, .w = w };
		quant_thread(&serial);
		TB_CHECK_INT(jobs[i].rc, 0);
		TB_CHECK_INT(serial.rc, 0);
		TB_CHECK(memcmp(jobs[i].q, serial.q, eng_row_size(jobs[i].type, N)) == 0);
	}
	free(jobs);
}

/* ---- against the reference's blocks ---- */

static int hex_bytes(const char *p, uint8_t *out, size_t max)
{
	size_t n = 0;
	while (n < max) {
		char *end;
		const unsigned long v = strtoul(p, &end, 16);
		if (end == p)
			break;
		out[n++] = (uint8_t)v;
		p = end;
	}
	return (int)n;
}

static void test_iq_quant_matches_the_reference_blocks(void)
{
	FILE *f = fopen(IQ_QUANT, "r");
	TB_REQUIRE(f);
	static char line[8192];
	char name[32] = "";
	int type = -1, n = 0, nrows = 0, with_im = 0, row = -1, sections = 0, identical = 0, total = 0;
	uint32_t want_sum = 0;
	float x[N], w[N];
	uint8_t ref[N * 2], got[N * 2];
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#')
			continue;
		if (!strncmp(line, "type ", 5)) {
			if (sections)
				printf("  %-8s imatrix %d: %d of %d rows byte-identical\n", name, with_im, identical, total);
			TB_REQUIRE(sscanf(line, "type %31s %d %d %d %d", name, &type, &n, &nrows, &with_im) == 5);
			TB_REQUIRE(n == N && nrows == NROWS);
			sections++;
			identical = total = 0;
		} else if (!strncmp(line, "row ", 4)) {
			TB_REQUIRE(sscanf(line, "row %d %x", &row, &want_sum) == 2 && row >= 0 && row < NROWS);
		} else if (line[0] == 'q') {
			make_row(row, x);
			make_imatrix(row, w);
			TB_REQUIRE(row_fnv(x, N) == want_sum);   /* the same rows as the reference's */
			const size_t rs = eng_row_size(type, N);
			TB_REQUIRE(hex_bytes(line + 1, ref, sizeof ref) == (int)rs);
			memset(got, 0xcd, sizeof got);
			TB_CHECK_INT(eng_quant_row_ref(type, x, got, N, with_im ? w : NULL), 0);
			total++;
			if (!memcmp(got, ref, rs)) {
				identical++;
				continue;
			}
			const double e_ref = weighted_err(type, ref, x, with_im ? w : NULL, N);
			const double e_got = weighted_err(type, got, x, with_im ? w : NULL, N);
			printf("  %-8s imatrix %d row %2d: differs; weighted error %.6g (reference %.6g)\n", name,
				with_im, row, e_got, e_ref);
			TB_CHECK(deliberate_difference(type, row));
			TB_CHECK(e_got >= 0 && e_got <= 1.10 * e_ref);
		}
	}
	if (sections)
		printf("  %-8s imatrix %d: %d of %d rows byte-identical\n", name, with_im, identical, total);
	fclose(f);
	TB_CHECK_INT(sections, 13);   /* 9 types with weights, 4 also without */
}

static int type_by_name(const char *name)
{
	for (int t = 0; t < ENG_T_COUNT; t++) {
		const eng_type_info *ti = eng_type_get(t);
		if (ti && ti->name && !strcmp(ti->name, name))
			return t;
	}
	return -1;
}

/* Trained weights: every F32 tensor of stories260K (shared data), viewed as rows of 256, with
 * the fixture's first 256 importance weights; the FNV-1a 64 of each tensor's blocks against
 * those ggml wrote. */
static void test_iq_quant_matches_the_reference_on_trained_weights(void)
{
	char err[256], line[512], tname[128], type_name[32];
	FILE *f = fopen(IQ_QUANT_REAL, "r");
	TB_REQUIRE(f);
	eng_gguf *g = eng_gguf_open(STORIES, err, sizeof err);
	if (!g) {
		fclose(f);
		TB_SKIP("%s", err);
	}
	float w[N];
	make_imatrix(0, w);
	int n_checked = 0, n_same = 0;
	uint8_t *q = NULL;
	while (fgets(line, sizeof line, f)) {
		unsigned long long want;
		int with_im;
		if (line[0] == '#')
			continue;
		TB_REQUIRE(sscanf(line, "tensor %127s %31s %d %llx", tname, type_name, &with_im, &want) == 4);
		const eng_gguf_tensor *t = eng_gguf_find_tensor(g, tname);
		const int type = type_by_name(type_name);
		TB_REQUIRE(t && t->type == ENG_T_F32 && type >= 0);
		int64_t n = 1;
		for (int d = 0; d < t->n_dims; d++)
			n *= t->ne[d];
		TB_REQUIRE(n % 256 == 0);
		const size_t rs = eng_row_size(type, 256);
		free(q);
		q = malloc(rs * (size_t)(n / 256));
		TB_REQUIRE(q);
		for (int64_t r = 0; r < n / 256; r++)
			TB_REQUIRE(eng_quant_row_ref(type, (const float *)t->data + 256 * r, q + rs * (size_t)r, 256,
				with_im ? w : NULL) == 0);
		uint64_t h = 0xcbf29ce484222325ull;
		for (size_t b = 0; b < rs * (size_t)(n / 256); b++) {
			h ^= q[b];
			h *= 0x100000001b3ull;
		}
		n_checked++;
		n_same += h == (uint64_t)want;
		if (h != (uint64_t)want)
			printf("  %s as %s (imatrix %d): blocks differ from the reference's\n", tname, type_name, with_im);
	}
	printf("  %d of %d tensor quantisations byte-identical\n", n_same, n_checked);
	TB_CHECK(n_checked >= 400);
	TB_CHECK_INT(n_same, n_checked);
	free(q);
	eng_gguf_close(g);
	fclose(f);
}

/* ---- refusal, bad lengths, bad rows ---- */

static void test_iq_quant_refuses_without_importance_weights(void)
{
	static const int need[] = { ENG_T_IQ2_XXS, ENG_T_IQ2_XS, ENG_T_IQ1_S, ENG_T_IQ1_M };
	static const int free_ok[] = { ENG_T_IQ2_S, ENG_T_IQ3_XXS, ENG_T_IQ3_S, ENG_T_TQ1_0, ENG_T_TQ2_0 };
	float x[N];
	uint8_t q[512];
	make_row(0, x);
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
		memset(q, 0xab, sizeof q);
		TB_CHECK(eng_iq_needs_imatrix(need[i]));
		TB_CHECK_INT(eng_quant_row_ref(need[i], x, q, 256, NULL), ENG_EIMATRIX);
		TB_CHECK(q[0] == 0xab && q[eng_row_size(need[i], 256) - 1] == 0xab);   /* untouched */
	}
	TB_CHECK(strstr(eng_strerror(ENG_EIMATRIX), "imatrix") != NULL);   /* callers can name it */
	for (size_t i = 0; i < sizeof free_ok / sizeof free_ok[0]; i++) {
		TB_CHECK(!eng_iq_needs_imatrix(free_ok[i]));
		TB_CHECK_INT(eng_quant_row_ref(free_ok[i], x, q, 256, NULL), 0);
	}
	TB_CHECK(!eng_iq_needs_imatrix(ENG_T_Q4_K));
}

static void test_iq_quant_rejects_lengths_off_the_super_block(void)
{
	float x[N], w[N];
	uint8_t q[1024];
	make_row(0, x);
	make_imatrix(0, w);
	TB_CHECK(eng_quant_row_ref(ENG_T_IQ2_XXS, x, q, 300, w) < 0);
	TB_CHECK(eng_iq_quant_ref(ENG_T_IQ2_XXS, x, q, 300, w) == ENG_EINVAL);
	TB_CHECK(eng_iq_quant_ref(ENG_T_Q4_0, x, q, 256, w) == -1);   /* not one of these types */
	TB_CHECK_INT(eng_quant_row_ref(ENG_T_IQ3_XXS, x, q, 0, w), 0);
}

static const int all_types[] = {
	ENG_T_IQ2_XXS, ENG_T_IQ2_XS, ENG_T_IQ2_S, ENG_T_IQ3_XXS, ENG_T_IQ3_S, ENG_T_IQ1_S, ENG_T_IQ1_M,
	ENG_T_TQ1_0, ENG_T_TQ2_0
};
#define N_ALL (int)(sizeof all_types / sizeof all_types[0])

/* Non-finite and huge values give some blocks (no crash, no out-of-range index: the blocks
 * dequantize under the sanitizers). */
static void test_iq_quant_survives_non_finite_and_huge_rows(void)
{
	float x[N], w[N], y[N];
	uint8_t q[N * 2];
	for (int variant = 0; variant < 4; variant++) {
		make_row(0, x);
		make_imatrix(0, w);
		for (int i = 0; i < N; i += 37)
			x[i] = variant == 0 ? NAN : variant == 1 ? INFINITY : variant == 2 ? -3e38f : 1e-40f;
		if (variant == 3)
			w[5] = NAN;
		for (int t = 0; t < N_ALL; t++) {
			TB_CHECK_INT(eng_quant_row_ref(all_types[t], x, q, N, w), 0);
			TB_CHECK_INT(eng_dequant_row_ref(all_types[t], q, y, N), 0);
		}
	}
}

/* Columns an imatrix gives no importance at all (never-routed experts' inputs): a group whose
 * weights are all zero is fitted as with weights of one (the reference writes NaN scales or
 * stops there), so the blocks equal those made with ones in those columns. */
static void test_iq_quant_fits_groups_without_importance_as_with_ones(void)
{
	float x[N], w0[N], w1[N];
	uint8_t q0[N * 2], q1[N * 2];
	make_row(0, x);
	make_imatrix(0, w0);
	memcpy(w1, w0, sizeof w1);
	for (int i = 0; i < N; i++)
		if ((i >= 32 && i < 64) || (i >= 256 && i < 512)) {
			w0[i] = 0.0f;
			w1[i] = 1.0f;
		}
	for (int t = 0; t < N_ALL; t++) {
		const size_t rs = eng_row_size(all_types[t], N);
		TB_CHECK_INT(eng_quant_row_ref(all_types[t], x, q0, N, w0), 0);
		TB_CHECK_INT(eng_quant_row_ref(all_types[t], x, q1, N, w1), 0);
		if (memcmp(q0, q1, rs) != 0)
			printf("  %s: blocks differ\n", eng_type_get(all_types[t])->name);
		TB_CHECK(memcmp(q0, q1, rs) == 0);
	}
}

/* ---- round trip: relative weighted RMS error on Gaussian rows, its bounds and its order ---- */

static void test_iq_quant_round_trip_error_is_bounded_and_ordered(void)
{
	/* Bounds about 15 % above what the reference's quantisers give on these rows. */
	static const struct { int type; double max_rel; } b[] = {
		{ ENG_T_IQ3_S, 0.15 }, { ENG_T_IQ3_XXS, 0.20 }, { ENG_T_IQ2_S, 0.275 }, { ENG_T_IQ2_XS, 0.33 },
		{ ENG_T_IQ2_XXS, 0.38 }, { ENG_T_IQ1_M, 0.49 }, { ENG_T_IQ1_S, 0.53 }, { ENG_T_TQ2_0, 0.89 },
		{ ENG_T_TQ1_0, 0.89 },
	};
	enum { ROWS = 16, LEN = 1024 };
	float *x = malloc(sizeof(float) * ROWS * LEN), *w = malloc(sizeof(float) * LEN);
	uint8_t *q = malloc(LEN * 2);
	TB_REQUIRE(x && w && q);
	gen_state = 0x0123456789abcdefull;
	for (int i = 0; i < ROWS * LEN; i++)
		x[i] = gen_gauss() * (0.01f + 0.002f * (float)(i / LEN));
	for (int i = 0; i < LEN; i++)
		w[i] = 0.2f + gen_unif();
	double prev = 0;
	for (size_t k = 0; k < sizeof b / sizeof b[0]; k++) {
		double err = 0, ref = 0;
		for (int r = 0; r < ROWS; r++) {
			const float *xr = x + (size_t)r * LEN;
			TB_REQUIRE(eng_quant_row_ref(b[k].type, xr, q, LEN, w) == 0);
			err += weighted_err(b[k].type, q, xr, w, LEN);
			for (int i = 0; i < LEN; i++)
				ref += (double)w[i] * xr[i] * xr[i];
		}
		const double rel = sqrt(err / ref);
		printf("  %-8s relative weighted RMS error %.4f (bound %.2f)\n", eng_type_get(b[k].type)->name, rel,
			b[k].max_rel);
		TB_CHECK(rel <= b[k].max_rel);
		if (k > 0 && k < 7)   /* the grid types, most bits first: each worse than the last */
			TB_CHECK(rel > prev);
		prev = rel;
	}
	free(x);
	free(w);
	free(q);
}

/* TQ1_0 and TQ2_0 store the same levels and scale in two packings: the same row must
 * dequantize to the same floats. */
static void test_iq_quant_ternary_types_agree_on_levels(void)
{
	float x[N], y1[N], y2[N];
	uint8_t q1[N], q2[N];
	for (int r = 0; r < NROWS; r++) {
		make_row(r, x);
		TB_REQUIRE(eng_quant_row_ref(ENG_T_TQ1_0, x, q1, N, NULL) == 0);
		TB_REQUIRE(eng_quant_row_ref(ENG_T_TQ2_0, x, q2, N, NULL) == 0);
		TB_REQUIRE(eng_dequant_row_ref(ENG_T_TQ1_0, q1, y1, N) == 0);
		TB_REQUIRE(eng_dequant_row_ref(ENG_T_TQ2_0, q2, y2, N) == 0);
		TB_CHECK(memcmp(y1, y2, sizeof y1) == 0);
	}
}

int main(void)
{
	TB_RUN(test_iq_quant_tables_are_built_once_under_concurrent_first_use);
	TB_RUN(test_iq_quant_matches_the_reference_blocks);
	TB_RUN(test_iq_quant_matches_the_reference_on_trained_weights);
	TB_RUN(test_iq_quant_refuses_without_importance_weights);
	TB_RUN(test_iq_quant_rejects_lengths_off_the_super_block);
	TB_RUN(test_iq_quant_survives_non_finite_and_huge_rows);
	TB_RUN(test_iq_quant_fits_groups_without_importance_as_with_ones);
	TB_RUN(test_iq_quant_round_trip_error_is_bounded_and_ordered);
	TB_RUN(test_iq_quant_ternary_types_agree_on_levels);
	return tb_test_end();
}
