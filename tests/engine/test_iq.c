/* tests/engine/test_iq.c — the IQ1/IQ2/IQ3 grid types and the ternary types (engine/quant_iq.c,
 * engine/quant_iq_x86.c, quant_iq_neon.c): the grids against their checksums, the sign table, dequantization
 * against blocks the reference implementation dequantized (tests/fixtures/iq, see SOURCES.md
 * there), the dots against the reference's and the SIMD kernels against the _ref on odd shapes,
 * ternary blocks built by hand, a truncated file, and whole models with weights of each type:
 * against the reference implementation's logits (the .ref.json files there) and against the
 * same model with its weights dequantized to F32. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"
#include "engine/gguf_impl.h"
#include "engine/quant_impl.h"
#include "harness/harness.h"
#include "test.h"
#include "refcheck.h"

#define IQ_BLOCKS "tests/fixtures/iq/iq-blocks.txt"
/* Model logits: against the reference, absolute (see TOLS); against the F32 twin, relative to the
 * largest |logit| */
#define IQ_REF_TOL 0.035
#define IQ_DEQ_TOL 0.05

static const int iq_types[] = {
	ENG_T_IQ2_XXS, ENG_T_IQ2_XS, ENG_T_IQ2_S, ENG_T_IQ3_XXS, ENG_T_IQ3_S, ENG_T_IQ1_S, ENG_T_IQ1_M,
	ENG_T_TQ1_0, ENG_T_TQ2_0
};
#define N_IQ_TYPES (int)(sizeof iq_types / sizeof iq_types[0])

static uint64_t rng_state = 0x9d2c5680a1b2c3d4ull;

static uint64_t rng_u64(void)   /* xorshift64* */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static float rng_gauss(void)
{
	const double u = ((double)(rng_u64() >> 11) + 0.5) / 9007199254740992.0;
	const double v = ((double)(rng_u64() >> 11) + 0.5) / 9007199254740992.0;
	return (float)(sqrt(-2 * log(u)) * cos(6.283185307179586 * v));
}

static uint32_t f_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

static float bits_f(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

/* Reads up to max hex words after the line's tag letter; returns how many. */
static int hex_words(const char *line, uint32_t *out, int max)
{
	const char *p = line + 1;
	int n = 0;
	while (n < max) {
		char *end;
		const unsigned long v = strtoul(p, &end, 16);
		if (end == p)
			break;
		out[n++] = (uint32_t)v;
		p = end;
	}
	return n;
}

/* Sets the fp16 super-block scale of nb blocks of `type` at dst to h (IQ1_M keeps it in the top
 * nibbles of its scale words, the TQ types at the end of the block). */
static void set_scales(int type, uint8_t *dst, int64_t nb, uint16_t h)
{
	const size_t bs = eng_type_get(type)->type_size;
	for (int64_t i = 0; i < nb; i++) {
		uint8_t *b = dst + (size_t)i * bs;
		if (type == ENG_T_IQ1_M) {
			for (int g = 0; g < 4; g++) {
				uint8_t *s = b + offsetof(eng_blk_iq1_m, scales) + 2 * g + 1;
				*s = (uint8_t)((*s & 0x0f) | ((h >> 4 * g) & 0xf) << 4);
			}
		} else {
			memcpy(b + (type == ENG_T_TQ1_0 || type == ENG_T_TQ2_0 ? bs - 2 : 0), &h, 2);
		}
	}
}

/* nb blocks of random bytes with a finite, modest fp16 scale (a valid block of every type: all
 * index fields decode to grid entries). */
static void random_blocks(int type, uint8_t *dst, int64_t nb)
{
	const eng_type_info *ti = eng_type_get(type);
	for (int64_t i = 0; i < nb; i++) {
		uint8_t *b = dst + (size_t)i * ti->type_size;
		for (size_t k = 0; k < ti->type_size; k++)
			b[k] = (uint8_t)rng_u64();
		set_scales(type, b, 1, (uint16_t)(0x1800 | (rng_u64() & 0x83ff)));   /* +-2^-9 .. 2^-8 */
	}
}

static uint64_t fnv1a(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void test_iq_types_are_computable_with_q8_K_activations(void)
{
	static const struct { int type; const char *name; size_t size; } want[] = {
		{ ENG_T_IQ2_XXS, "iq2_xxs", 66 }, { ENG_T_IQ2_XS, "iq2_xs", 74 }, { ENG_T_IQ2_S, "iq2_s", 82 },
		{ ENG_T_IQ3_XXS, "iq3_xxs", 98 }, { ENG_T_IQ3_S, "iq3_s", 110 }, { ENG_T_IQ1_S, "iq1_s", 50 },
		{ ENG_T_IQ1_M, "iq1_m", 56 }, { ENG_T_TQ1_0, "tq1_0", 54 }, { ENG_T_TQ2_0, "tq2_0", 66 },
	};
	TB_CHECK_INT(ENG_T_TQ1_0, 34);
	TB_CHECK_INT(ENG_T_TQ2_0, 35);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const eng_type_info *ti = eng_type_get(want[i].type);
		TB_REQUIRE(ti != NULL);
		TB_CHECK_STR(ti->name, want[i].name);
		TB_CHECK_INT(ti->blck, 256);
		TB_CHECK_INT(ti->type_size, want[i].size);
		TB_CHECK(ti->can_compute);
		TB_CHECK_INT(ti->vec_dot_type, ENG_T_Q8_K);
	}
	/* IQ2_XXS quantizes from float only with an importance matrix (tests/engine/test_iq_quant.c) */
	float x[256] = { 0 };
	uint8_t q[256];
	TB_CHECK(eng_quant_row_ref(ENG_T_IQ2_XXS, x, q, 256, NULL) == ENG_EIMATRIX);
}

/* The grids are carried as data: each must have its documented checksum (docs/quant-formats.md),
 * its values from the format's level set, and distinct entries. */
static void test_iq_grids_match_their_checksums_and_level_sets(void)
{
	static const struct {
		const char *name; const void *p; size_t n, w; uint64_t fnv; uint8_t lv[8]; int n_lv;
	} g[] = {
		{ "iq2xxs", eng_iq2xxs_grid, 256, 8, 0xbb4ee025b5ac6e8eull, { 8, 25, 43 }, 3 },
		{ "iq2xs", eng_iq2xs_grid, 512, 8, 0xc9b1ee61e79909bdull, { 8, 25, 43 }, 3 },
		{ "iq2s", eng_iq2s_grid, 1024, 8, 0x123edd38a3b62b90ull, { 8, 25, 43 }, 3 },
		{ "iq3xxs", eng_iq3xxs_grid, 256, 4, 0xdfa5dc83d6a155d5ull, { 4, 12, 20, 28, 36, 44, 52, 62 }, 8 },
		{ "iq3s", eng_iq3s_grid, 512, 4, 0xfa37020c25b44829ull, { 1, 3, 5, 7, 9, 11, 13, 15 }, 8 },
		{ "iq1s", eng_iq1s_grid, 2048, 8, 0x6703ed863501ae2eull, { 0x00, 0x01, 0xff }, 3 },
	};
	for (size_t t = 0; t < sizeof g / sizeof g[0]; t++) {
		const uint8_t *b = g[t].p;   /* little-endian host: the table's bytes are its LE bytes */
		TB_CHECK(fnv1a(b, g[t].n * g[t].w) == g[t].fnv);
		int bad = 0, dup = 0;
		for (size_t k = 0; k < g[t].n * g[t].w; k++) {
			int ok = 0;
			for (int l = 0; l < g[t].n_lv; l++)
				ok |= b[k] == g[t].lv[l];
			bad += !ok;
		}
		for (size_t i = 1; i < g[t].n; i++)
			for (size_t j = 0; j < i && t < 5; j++)   /* iq1s: checked by the checksum alone */
				dup += memcmp(b + i * g[t].w, b + j * g[t].w, g[t].w) == 0;
		TB_CHECK_INT(bad, 0);
		TB_CHECK_INT(dup, 0);
		if (bad || dup)
			printf("  grid %s\n", g[t].name);
	}
}

static void test_iq_sign_fields_complete_to_even_parity(void)
{
	int bad = 0;
	for (unsigned f = 0; f < 128; f++) {
		const unsigned s = eng_iq_sign_bits(f);
		bad += (s & 0x7f) != f || __builtin_popcount(s) % 2 != 0 || s > 255;
		for (int j = 0; j < 8; j++)
			bad += (uint8_t)(eng_iq_signs64[f] >> 8 * j) != (s >> j & 1 ? 0xff : 0);
	}
	TB_CHECK_INT(bad, 0);
	TB_CHECK_INT(eng_iq_sign_bits(1), 129);
	TB_CHECK_INT(eng_iq_sign_bits(3), 3);
	TB_CHECK_INT(eng_iq_sign_bits(127), 255);
	/* a field wider than 7 bits reads only its low 7 */
	TB_CHECK_INT(eng_iq_sign_bits(0x81), 129);
}

/* The fixture's rows: per type a header line, then per row q (block bytes), y (dequantized
 * floats), a (Q8_K activation bytes), d (the reference's dot). Calls fn for each row. */
typedef struct ref_row {
	int type;
	const uint8_t *q, *a;
	const uint32_t *y;
	uint32_t d;
} ref_row;
typedef void (*row_fn)(const ref_row *r, int *bad);

static int for_each_ref_row(row_fn fn, int *bad, int *n_types)
{
	FILE *f = fopen(IQ_BLOCKS, "r");
	if (!f)
		return -1;
	static char line[8192];
	uint32_t qw[320], yw[256], aw[320], dw;
	uint8_t q[320], a[320];
	int type = -1, n = 0, have = 0;
	*n_types = 0;
	while (fgets(line, sizeof line, f)) {
		const eng_type_info *ti = type >= 0 ? eng_type_get(type) : NULL;
		if (strncmp(line, "type ", 5) == 0) {
			char name[32];
			int num, len, rows;
			if (sscanf(line, "type %31s %d %d %d", name, &num, &len, &rows) != 4 || len != 256)
				break;
			type = num;
			ti = eng_type_get(type);
			if (!ti || strcmp(ti->name, name) != 0)
				break;
			(*n_types)++;
			have = 0;
		} else if (line[0] == 'q' && ti) {
			have = hex_words(line, qw, 320) == (int)ti->type_size;
			for (size_t k = 0; k < ti->type_size; k++)
				q[k] = (uint8_t)qw[k];
		} else if (line[0] == 'y' && have) {
			have = hex_words(line, yw, 256) == 256;
		} else if (line[0] == 'a' && have) {
			have = hex_words(line, aw, 320) == (int)sizeof(eng_blk_q8_K);
			for (size_t k = 0; k < sizeof(eng_blk_q8_K); k++)
				a[k] = (uint8_t)aw[k];
		} else if (line[0] == 'd' && have) {
			if (hex_words(line, &dw, 1) == 1) {
				const ref_row r = { type, q, a, yw, dw };
				fn(&r, bad);
				n++;
			}
			have = 0;
		}
	}
	fclose(f);
	return n;
}

static void row_dequant(const ref_row *r, int *bad)
{
	float out[256];
	if (eng_dequant_row_ref(r->type, r->q, out, 256) != 0) {
		(*bad)++;
		return;
	}
	int diff = 0;
	for (int j = 0; j < 256; j++)
		diff += f_bits(out[j]) != r->y[j];
	if (diff)
		printf("  %s: %d of 256 floats differ\n", eng_type_get(r->type)->name, diff);
	*bad += diff != 0;
}

/* Every row the reference dequantized (quantized rows and random-byte rows, which reach every
 * index, sign and scale field) dequantizes to its floats bit for bit (IQ4_XS too, a check of the
 * type the engine already had). */
static void test_iq_dequant_matches_the_reference_blocks_bit_for_bit(void)
{
	int bad = 0, n_types = 0;
	const int n = for_each_ref_row(row_dequant, &bad, &n_types);
	TB_REQUIRE(n >= 0);
	TB_CHECK_INT(n_types, 8);
	TB_CHECK_INT(n, 8 * 8);
	TB_CHECK_INT(bad, 0);
}

static const char *const levels[] = { "scalar", "avx2", "avx512", "neon" };

static void row_dot(const ref_row *r, int *bad)
{
	const int type = r->type;
	const uint8_t *q = r->q, *a = r->a;
	const uint32_t d = r->d;
	float ad[256];
	double mag = 0;
	TB_REQUIRE(eng_dequant_row_ref(ENG_T_Q8_K, a, ad, 256) == 0);
	for (int j = 0; j < 256; j++)
		mag += fabs((double)bits_f(r->y[j]) * ad[j]);
	for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
		float out;
		if (eng_kernels_force(levels[l]) != 0)
			continue;
		if (eng_vec_dot(type, 256, q, a, &out) != 0 || !(fabs((double)out - bits_f(d)) <= 1e-5 * mag + 1e-6)) {
			printf("  %s at %s: %.9g vs the reference's %.9g\n", eng_type_get(type)->name, levels[l],
				(double)out, (double)bits_f(d));
			(*bad)++;
		}
	}
	eng_kernels_force(NULL);
}

/* The dot with the reference's own Q8_K rows equals the reference's dot at every kernel level,
 * within float rounding of the block scaling (1e-5 of sum |w a|). */
static void test_iq_dot_matches_the_reference_dot(void)
{
	int bad = 0, n_types = 0;
	const int n = for_each_ref_row(row_dot, &bad, &n_types);
	TB_REQUIRE(n == 8 * 8);
	TB_CHECK_INT(bad, 0);
}

/* How many of eng_vec_dot's results for rows x acts (weights w, stride ws; activations a, stride
 * as) fail, differ from ref[k * rows + r] in their bits, or are not finite where ref is. */
static int dots_differ(int type, int n, const uint8_t *w, size_t ws, int rows, const uint8_t *a, size_t as,
	int acts, const float *ref)
{
	int bad = 0;
	for (int k = 0; k < acts; k++)
		for (int r = 0; r < rows; r++) {
			float o = NAN;
			bad += eng_vec_dot(type, n, w + r * ws, a + k * as, &o) != 0 || f_bits(o) != f_bits(ref[k * rows + r])
				|| isfinite(o) != isfinite(ref[k * rows + r]);
		}
	return bad;
}

/* The SIMD kernels return the _ref's bits (same exact integer sums, same float steps), through
 * eng_vec_dot and eng_vec_dot_rows, on row lengths of 1, 3, 7, 17 and 33 super-blocks (17: NEON
 * unpacks 16 at a time; 33: more than two 16-super-block chunks of the one-token kernels, and
 * longer than the batch tiles take), odd tile shapes (1 to 33 activations: more than one chunk of
 * the AVX2 tiles, of the 8-token AVX-512 tiles and of NEON's 4; 1, 2, 3, 5, 16 and 21 rows: the
 * one-token kernels' 4-row blocks whole and partial, more than one 16-row tile, the last one
 * partial, and NEON's 4-row tiles with one row left) and strides that are not multiples of the
 * row size. */
#if defined(__x86_64__) || defined(__i386__)
/* x86: the one-token kernels of the gathering types run both ways (grid entries by gathers and
 * by loads, eng_iq_dec_loads); returns the setting before. */
enum { N_LOADS = 2 };
static int set_loads(int on) { return eng_iq_dec_loads(on); }
#else
enum { N_LOADS = 1 };
static int set_loads(int on) { return on; }
#endif

static void test_iq_kernels_return_the_ref_bits_at_every_level_on_odd_shapes(void)
{
	static const int lens[] = { 256, 768, 1792, 4352, 8448 };
	enum { ROWS = 21, ACTS = 33, OS = 23 };
	const int own_loads = set_loads(0);   /* the CPU's own choice, put back at the end */
	int tested = 0;
	for (int ti_ = 0; ti_ < N_IQ_TYPES; ti_++) {
		const int type = iq_types[ti_];
		for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
			const int n = lens[li];
			const size_t ws = eng_row_size(type, n) + 6, as = eng_row_size(ENG_T_Q8_K, n) + 4;
			uint8_t *w = malloc(ws * ROWS), *a = malloc(as * ACTS);
			float *x = malloc((size_t)n * sizeof *x), ref[ACTS][ROWS], out[ACTS * OS];
			TB_REQUIRE(w && a && x);
			for (int r = 0; r < ROWS; r++)
				random_blocks(type, w + r * ws, n / 256);
			for (int k = 0; k < ACTS; k++) {
				for (int j = 0; j < n; j++)
					x[j] = (k % 3 == 2 && j % 97 == 0 ? 40.0f : 1.0f) * rng_gauss();
				TB_REQUIRE(eng_quant_row(ENG_T_Q8_K, x, a + k * as, n) == 0);
				for (int r = 0; r < ROWS; r++)
					TB_REQUIRE(eng_vec_dot_ref(type, n, w + r * ws, a + k * as, &ref[k][r]) == 0);
			}
			for (size_t l = 0; l < sizeof levels / sizeof levels[0] * N_LOADS; l++) {
				if (eng_kernels_force(levels[l / N_LOADS]) != 0)
					continue;
				set_loads((int)(l % N_LOADS));
				int bad = dots_differ(type, n, w, ws, ROWS, a, as, ACTS, &ref[0][0]);
				static const int nrs[] = { 1, 2, 3, 5, 16, 21 }, nas[] = { 1, 2, 3, 7, 8, 9, 17, 33 };
				for (size_t ri = 0; ri < sizeof nrs / sizeof nrs[0]; ri++)
					for (size_t ai = 0; ai < sizeof nas / sizeof nas[0]; ai++) {
						const int nr = nrs[ri], na = nas[ai];
						for (int o = 0; o < ACTS * OS; o++)
							out[o] = NAN;
						TB_REQUIRE(eng_vec_dot_rows(type, n, w, ws, nr, a, as, na, out, OS) == 0);
						for (int k = 0; k < na; k++) {
							for (int r = 0; r < nr; r++)
								bad += f_bits(out[k * OS + r]) != f_bits(ref[k][r]);
							for (int r = nr; r < OS; r++)   /* nothing written past the rows */
								bad += !isnan(out[k * OS + r]);
						}
					}
				if (bad)
					printf("  %s n=%d at %s (grid loads %d): %d results differ from the _ref\n",
						eng_type_get(type)->name, n, levels[l / N_LOADS], (int)(l % N_LOADS), bad);
				TB_CHECK_INT(bad, 0);
				tested++;
			}
			eng_kernels_force(NULL);
			free(w);
			free(a);
			free(x);
		}
	}
	set_loads(own_loads);
	TB_CHECK(tested >= N_IQ_TYPES * 4);
}

/* Blocks at the edges of the integer ranges the kernels rely on (every byte 0xff: the largest
 * indices, scales and all signs set; every byte 0: the smallest), with activations all +127 and
 * alternating +-127: the single dots and the tiles (one token, and 9 tokens for the batched
 * tiles) still return the _ref's bits, so no 8- or 16-bit step saturates. */
static void test_iq_kernels_keep_the_ref_bits_on_extreme_blocks(void)
{
	enum { NB = 3, N = NB * 256, ROWS = 18, ACTS = 9 };
	int tested = 0;
	for (int ti_ = 0; ti_ < N_IQ_TYPES; ti_++) {
		const int type = iq_types[ti_];
		const size_t ws = eng_row_size(type, N), as = eng_row_size(ENG_T_Q8_K, N);
		uint8_t *w = malloc(ws * ROWS), *a = malloc(as * ACTS);
		float x[N], ref[ACTS][ROWS], out[ACTS * ROWS];
		TB_REQUIRE(w && a);
		for (int r = 0; r < ROWS; r++) {
			memset(w + r * ws, r % 3 == 2 ? 0 : 0xff, ws);
			set_scales(type, w + r * ws, NB, r % 2 ? 0x3c00 : 0xbc00);   /* +-1 */
		}
		for (int k = 0; k < ACTS; k++) {
			for (int j = 0; j < N; j++)
				x[j] = k % 2 ? 1.0f : (j % 2 ? -1.0f : 1.0f);
			TB_REQUIRE(eng_quant_row(ENG_T_Q8_K, x, a + k * as, N) == 0);
			for (int r = 0; r < ROWS; r++)
				TB_REQUIRE(eng_vec_dot_ref(type, N, w + r * ws, a + k * as, &ref[k][r]) == 0);
		}
		for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
			if (eng_kernels_force(levels[l]) != 0)
				continue;
			int bad = dots_differ(type, N, w, ws, ROWS, a, as, ACTS, &ref[0][0]);
			for (int na = 1; na <= ACTS; na += ACTS - 1) {
				TB_REQUIRE(eng_vec_dot_rows(type, N, w, ws, ROWS, a, as, na, out, ROWS) == 0);
				for (int k = 0; k < na; k++)
					for (int r = 0; r < ROWS; r++)
						bad += f_bits(out[k * ROWS + r]) != f_bits(ref[k][r]);
			}
			if (bad)
				printf("  %s at %s: %d results differ from the _ref\n", eng_type_get(type)->name, levels[l], bad);
			TB_CHECK_INT(bad, 0);
			tested++;
		}
		eng_kernels_force(NULL);
		free(w);
		free(a);
	}
	TB_CHECK(tested >= N_IQ_TYPES);
}

/* The _ref dot equals the double dot of the dequantized rows within float rounding. */
static void test_iq_ref_dot_matches_the_float_dot_of_dequantized_rows(void)
{
	enum { N = 1024 };
	uint8_t w[N / 256 * 110], a[N / 256 * 292];
	float x[N], wd[N], ad[N];
	for (int t = 0; t < N_IQ_TYPES; t++) {
		const int type = iq_types[t];
		for (int trial = 0; trial < 4; trial++) {
			random_blocks(type, w, N / 256);
			for (int j = 0; j < N; j++)
				x[j] = rng_gauss();
			TB_REQUIRE(eng_quant_row(ENG_T_Q8_K, x, a, N) == 0);
			TB_REQUIRE(eng_dequant_row(type, w, wd, N) == 0);
			TB_REQUIRE(eng_dequant_row(ENG_T_Q8_K, a, ad, N) == 0);
			double ref = 0, mag = 0;
			for (int j = 0; j < N; j++) {
				ref += (double)wd[j] * ad[j];
				mag += fabs((double)wd[j] * ad[j]);
			}
			float out;
			TB_REQUIRE(eng_vec_dot_ref(type, N, w, a, &out) == 0);
			TB_CHECK_NEAR(out, ref, 1e-5 * mag + 1e-6);
		}
	}
}

/* TQ1_0 packs 5 trits per byte as the base-3 number scaled to 256/243, rounded up; TQ2_0 2 bits
 * per element as Q2_K. Blocks built from known levels decode to them. */
static void test_iq_ternary_blocks_built_from_known_levels_decode_to_them(void)
{
	int8_t lv[256];
	for (int e = 0; e < 256; e++)
		lv[e] = (int8_t)((int)(rng_u64() % 3) - 1);
	lv[0] = -1, lv[1] = 1, lv[255] = 1, lv[250] = -1;
	const uint16_t h = eng_f32_to_f16(0.5f);
	eng_blk_tq1_0 b1;
	eng_blk_tq2_0 b2;
	memset(&b1, 0, sizeof b1);
	memset(&b2, 0, sizeof b2);
	b1.d = b2.d = h;
	/* TQ1_0: qs[m] (m < 32) holds elements m, m+32, ..., m+128 (most significant first);
	 * qs[32+m] (m < 16) elements 160+m, 176+m, ..., 224+m; qh[m] elements 240+m, 244+m, 248+m,
	 * 252+m (4 digits, then *3 for a fifth zero digit) */
	for (int m = 0; m < 48; m++) {
		int v = 0;
		for (int k = 0; k < 5; k++)
			v = 3 * v + lv[m < 32 ? 32 * k + m : 160 + 16 * k + (m - 32)] + 1;
		b1.qs[m] = (uint8_t)((v * 256 + 242) / 243);
	}
	for (int m = 0; m < 4; m++) {
		int v = 0;
		for (int k = 0; k < 4; k++)
			v = 3 * v + lv[240 + 4 * k + m] + 1;
		v *= 3;
		b1.qh[m] = (uint8_t)((v * 256 + 242) / 243);
	}
	for (int e = 0; e < 256; e++)
		b2.qs[32 * (e / 128) + e % 32] |= (uint8_t)((lv[e] + 1) << 2 * (e % 128 / 32));
	float y1[256], y2[256], x[256];
	TB_REQUIRE(eng_dequant_row_ref(ENG_T_TQ1_0, &b1, y1, 256) == 0);
	TB_REQUIRE(eng_dequant_row_ref(ENG_T_TQ2_0, &b2, y2, 256) == 0);
	int bad1 = 0, bad2 = 0;
	for (int e = 0; e < 256; e++) {
		bad1 += y1[e] != 0.5f * lv[e];
		bad2 += y2[e] != 0.5f * lv[e];
	}
	TB_CHECK_INT(bad1, 0);
	TB_CHECK_INT(bad2, 0);
	/* the dot is the integer sum of levels times quants, scaled once */
	for (int e = 0; e < 256; e++)
		x[e] = (float)((e * 37) % 255 - 127);
	eng_blk_q8_K a;
	TB_REQUIRE(eng_quant_row(ENG_T_Q8_K, x, &a, 256) == 0);
	int32_t sumi = 0;
	for (int e = 0; e < 256; e++)
		sumi += lv[e] * a.qs[e];
	const float want = (float)sumi * (0.5f * a.d);
	for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
		float o1, o2;
		if (eng_kernels_force(levels[l]) != 0)
			continue;
		TB_REQUIRE(eng_vec_dot(ENG_T_TQ1_0, 256, &b1, &a, &o1) == 0);
		TB_REQUIRE(eng_vec_dot(ENG_T_TQ2_0, 256, &b2, &a, &o2) == 0);
		TB_CHECK(o1 == want);
		TB_CHECK(o2 == want);
	}
	eng_kernels_force(NULL);
	/* TQ2_0's fourth code (3) is level 2, as ggml decodes it */
	memset(b2.qs, 0xff, sizeof b2.qs);
	TB_REQUIRE(eng_dequant_row_ref(ENG_T_TQ2_0, &b2, y2, 256) == 0);
	TB_CHECK(y2[0] == 1.0f && y2[255] == 1.0f);
}

/* IQ1_M's scale lives in the top nibbles of its four scale words. */
static void test_iq_iq1_m_scale_is_gathered_from_the_scale_words(void)
{
	uint8_t sc[8] = { 0x00, 0xa0, 0x00, 0xb0, 0x00, 0xc0, 0x00, 0xd0 };
	TB_CHECK_INT(eng_iq1m_d(sc), 0xdcba);
	uint8_t sc2[8] = { 0xff, 0x0f, 0xff, 0x0f, 0xff, 0x0f, 0xff, 0x3f };
	TB_CHECK_INT(eng_iq1m_d(sc2), 0x3000);
}

/* A file whose IQ tensor data runs past its end fails to open with the tensor's name. */
static void test_iq_truncated_file_names_the_tensor(void)
{
	char path[] = "/tmp/tb_iq_XXXXXX", err[512] = "";
	int fd = mkstemp(path);
	TB_REQUIRE(fd >= 0);
	close(fd);
	eng_gguf_writer *w = eng_gguf_writer_new();
	TB_REQUIRE(w != NULL);
	uint8_t data[4 * 66];
	random_blocks(ENG_T_IQ2_XXS, data, 4);
	const int64_t ne[2] = { 512, 2 };
	TB_REQUIRE(eng_gguf_w_str(w, "general.architecture", "llama") == 0);
	TB_REQUIRE(eng_gguf_w_tensor(w, "blk.0.ffn_down.weight", ENG_T_IQ2_XXS, 2, ne, data) == 0);
	TB_REQUIRE(eng_gguf_writer_save(w, path, err, sizeof err) == 0);
	eng_gguf_writer_free(w);
	size_t len = 0;
	char *buf = tb_slurp(path, &len);
	unlink(path);
	TB_REQUIRE(buf != NULL && len > 100);
	eng_gguf *g = eng_gguf_open_mem(buf, len, "iq.gguf", err, sizeof err);
	TB_CHECK(g != NULL);
	eng_gguf_close(g);
	g = eng_gguf_open_mem(buf, len - 40, "iq.gguf", err, sizeof err);
	TB_CHECK(g == NULL);
	TB_CHECK(strstr(err, "blk.0.ffn_down.weight") != NULL);
	TB_CHECK(strstr(err, "past end of file") != NULL);
	free(buf);
}


/* ------------------------------------------------------------------ models */

/* The model files: mkbench's stand-in of the project's own model (llama, 256 wide, FFN 768, 4
 * layers, random F32 weights), and from it one file per type in which every 2-D weight (rows of
 * 256 or 768) is replaced by random blocks of that type (seeded by type and tensor), scaled so
 * that the tensor keeps its RMS; the norms stay F32. general.file_type is llama.cpp's number for
 * the type. Also, per type, a twin with those weights dequantized to F32 (NAME-deq.gguf). */
static const struct { int type; const char *name; int ftype; } model_types[] = {
	{ ENG_T_IQ2_XXS, "IQ2_XXS", 19 }, { ENG_T_IQ2_XS, "IQ2_XS", 20 }, { ENG_T_IQ2_S, "IQ2_S", 28 },
	{ ENG_T_IQ3_XXS, "IQ3_XXS", 23 }, { ENG_T_IQ3_S, "IQ3_S", 26 }, { ENG_T_IQ1_S, "IQ1_S", 24 },
	{ ENG_T_IQ1_M, "IQ1_M", 31 }, { ENG_T_TQ1_0, "TQ1_0", 36 }, { ENG_T_TQ2_0, "TQ2_0", 37 },
};
#define N_MODEL_TYPES (int)(sizeof model_types / sizeof model_types[0])

static char model_dir[256];

static double rms_of(const float *x, int64_t n)
{
	double s = 0;
	for (int64_t i = 0; i < n; i++)
		s += (double)x[i] * x[i];
	return sqrt(s / (double)n);
}

/* Writes dir/tiny-NAME.gguf and dir/tiny-NAME-deq.gguf from src (see above). 0 or -1. */
static int write_type_models(const char *src, const char *dir, int k)
{
	const int type = model_types[k].type;
	char err[512], path[512], path_deq[512];
	eng_gguf *g = eng_gguf_open(src, err, sizeof err);
	eng_gguf_writer *w = eng_gguf_writer_new(), *wd = eng_gguf_writer_new();
	uint8_t *q = NULL;
	float *f = NULL;
	int rc = -1;
	if (!g || !w || !wd || eng_gguf_w_copy_kv(w, g) || eng_gguf_w_copy_kv(wd, g))
		goto fail;
	eng_gguf_w_remove(w, "general.file_type");
	if (eng_gguf_w_u32(w, "general.file_type", (uint32_t)model_types[k].ftype))
		goto fail;
	for (int64_t i = 0; i < eng_gguf_n_tensors(g); i++) {
		const eng_gguf_tensor *t = eng_gguf_tensor_at(g, i);
		if (t->type != ENG_T_F32 || t->n_dims != 2 || t->ne[0] % 256) {
			if (eng_gguf_w_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data) ||
			    eng_gguf_w_tensor(wd, t->name, t->type, t->n_dims, t->ne, t->data))
				goto fail;
			continue;
		}
		const int64_t n = t->ne[0] * t->ne[1], nb = n / 256;
		free(q);
		free(f);
		q = malloc((size_t)nb * eng_type_get(type)->type_size);
		f = malloc((size_t)n * sizeof *f);
		if (!q || !f)
			goto fail;
		rng_state = 0x51ed270b27a3c5f1ull ^ ((uint64_t)type << 32 | (uint64_t)i);
		random_blocks(type, q, nb);
		set_scales(type, q, nb, eng_f32_to_f16(1.0f));
		if (eng_dequant_row_ref(type, q, f, n))
			goto fail;
		const double unit = rms_of(f, n), want = rms_of(t->data, n);
		set_scales(type, q, nb, eng_f32_to_f16((float)(want / unit)));
		if (eng_dequant_row_ref(type, q, f, n) ||
		    eng_gguf_w_tensor(w, t->name, type, 2, t->ne, q) ||
		    eng_gguf_w_tensor(wd, t->name, ENG_T_F32, 2, t->ne, f))
			goto fail;
	}
	snprintf(path, sizeof path, "%s/tiny-%s.gguf", dir, model_types[k].name);
	snprintf(path_deq, sizeof path_deq, "%s/tiny-%s-deq.gguf", dir, model_types[k].name);
	if (eng_gguf_writer_save(w, path, err, sizeof err) || eng_gguf_writer_save(wd, path_deq, err, sizeof err))
		goto fail;
	rc = 0;
fail:
	if (rc)
		printf("  %s: %s\n", model_types[k].name, err);
	free(q);
	free(f);
	eng_gguf_writer_free(w);
	eng_gguf_writer_free(wd);
	eng_gguf_close(g);
	return rc;
}

/* Writes the models once into model_dir (TB_IQ_MODEL_DIR, when set, names a folder to write them
 * into and keep, for making reference files). 0 or -1. */
static int make_models(void)
{
	const char *keep = getenv("TB_IQ_MODEL_DIR"), *mk = getenv("TB_MKBENCH");
	char cmd[1024], src[512];
	if (model_dir[0])
		return 0;
	if (keep && *keep) {
		snprintf(model_dir, sizeof model_dir, "%s", keep);
	} else {
		snprintf(model_dir, sizeof model_dir, "/tmp/tb_iq_XXXXXX");
		if (!mkdtemp(model_dir)) {
			model_dir[0] = 0;
			return -1;
		}
	}
	snprintf(src, sizeof src, "%s/tiny-F32.gguf", model_dir);
	snprintf(cmd, sizeof cmd, "%s --tiny %s >/dev/null 2>&1", mk ? mk : "build/release/tools/mkbench", src);
	if (system(cmd) != 0)
		return -1;
	for (int k = 0; k < N_MODEL_TYPES; k++)
		if (write_type_models(src, model_dir, k))
			return -1;
	return 0;
}

/* Logit tolerance against the reference: about 1.5x the largest error measured over all steps
 * of the 7 files (1.6e-2 to 2.3e-2; the two engines round the activations to 8 bits each in
 * their own way, and the F32 twins differ by as much: test_iq_models_follow_...). A decoding
 * error in any type moves these logits by their own size (about 1). */
static const tol_row TOLS[] = {
	{ "tiny-IQ", IQ_REF_TOL },
};

/* Every reference file: the model regenerated here has the bytes the reference ran (sha256),
 * and the engine gives its teacher-forced logits within tolerance and its greedy tokens. */
static void test_iq_models_match_the_reference_on_every_file(void)
{
	static char files[16][512];
	TB_REQUIRE(make_models() == 0);
	const int n = ref_files("tests/fixtures/iq", files, 16);
	TB_REQUIRE(n == 7);
	for (int i = 0; i < n; i++) {
		size_t len;
		char *txt = tb_slurp(files[i], NULL), path[800], hex[65] = "", *data;
		cJSON *j = txt ? cJSON_Parse(txt) : NULL;
		const char *want = cJSON_GetStringValue(cJSON_GetObjectItem(j, "model_sha256"));
		ref_stats st;
		snprintf(path, sizeof path, "%s/%s", model_dir, cJSON_GetStringValue(cJSON_GetObjectItem(j, "model_file")));
		data = tb_slurp(path, &len);
		TB_REQUIRE(data != NULL);
		hx_sha256_hex(data, len, hex);
		free(data);
		TB_CHECK(want && strcmp(hex, want) == 0);
		const int rc = check_ref(files[i], model_dir, ref_tol(TOLS, sizeof TOLS / sizeof TOLS[0], files[i]), &st);
		printf("  %s: %d steps, max |err| %.2e, greedy %d/%d\n", strrchr(files[i], '/') + 1,
			st.steps, st.max_err, st.greedy_match, st.greedy_checked);
		TB_CHECK(rc == 0);
		TB_CHECK(st.steps >= 16);
		cJSON_Delete(j);
		free(txt);
	}
}

/* Logits of n ids decoded as one batch (every position), into out[n][nv]. 0 or -1. */
static int batch_logits(const char *path, const int32_t *ids, int n, float *out, int *nv)
{
	char err[512];
	eng_model *m = eng_load(path, NULL, err, sizeof err);
	eng_ctx_params cp = eng_ctx_params_default();
	eng_ctx *c = NULL;
	int8_t want[64];
	int rc = -1;
	if (!m) {
		printf("  %s\n", err);
		return -1;
	}
	*nv = eng_n_vocab(m);
	cp.n_ctx = 64;
	cp.n_outputs = n;
	c = eng_ctx_new(m, &cp, err, sizeof err);
	for (int i = 0; i < n; i++)
		want[i] = 1;
	eng_batch b = { 0 };
	b.token = ids;
	b.n = n;
	b.want_logits = want;
	if (c && eng_decode(c, &b) == 0) {
		rc = 0;
		for (int i = 0; i < n && rc == 0; i++) {
			const float *l = eng_logits(c, i);
			if (!l)
				rc = -1;
			else
				memcpy(out + (size_t)i * *nv, l, sizeof(float) * (size_t)*nv);
		}
	}
	eng_ctx_free(c);
	eng_model_free(m);
	return rc;
}

/* Every type (the TQ types too, which the reference build lacks): the model runs, and its logits
 * follow those of the twin whose weights are the dequantized F32 values, up to the rounding of
 * the activations to Q8_K (IQ_DEQ_TOL of the logits' spread), at every kernel level. */
static void test_iq_models_follow_their_dequantized_f32_twins(void)
{
	enum { N = 24 };
	int32_t ids[N];
	TB_REQUIRE(make_models() == 0);
	for (int i = 0; i < N; i++)
		ids[i] = i == 0 ? 1 : 3 + (i * 37) % 300;
	for (int k = 0; k < N_MODEL_TYPES; k++) {
		char path[600], path_deq[600];
		int nv = 0, nv2 = 0;
		snprintf(path, sizeof path, "%s/tiny-%s.gguf", model_dir, model_types[k].name);
		snprintf(path_deq, sizeof path_deq, "%s/tiny-%s-deq.gguf", model_dir, model_types[k].name);
		float *ref = malloc(sizeof(float) * N * 512), *got = malloc(sizeof(float) * N * 512);
		TB_REQUIRE(ref && got);
		TB_REQUIRE(batch_logits(path_deq, ids, N, ref, &nv) == 0 && nv <= 512);
		double spread = 0;
		for (int i = 0; i < N * nv; i++)
			spread = fmax(spread, fabs(ref[i]));
		for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
			if (eng_kernels_force(levels[l]) != 0)
				continue;
			TB_REQUIRE(batch_logits(path, ids, N, got, &nv2) == 0 && nv2 == nv);
			double err = 0;
			int same_top = 0;
			for (int i = 0; i < N; i++) {
				for (int v = 0; v < nv; v++)
					err = fmax(err, fabs((double)got[i * nv + v] - ref[i * nv + v]));
				same_top += argmax(got + i * nv, nv) == argmax(ref + i * nv, nv);
			}
			printf("  %-7s at %-6s: max |logit - f32 twin| %.2e (max |logit| %.2f), same top token %d/%d\n",
				model_types[k].name, levels[l], err, spread, same_top, N);
			TB_CHECK(err <= IQ_DEQ_TOL * spread);
			TB_CHECK(same_top >= N - 2);
		}
		eng_kernels_force(NULL);
		free(ref);
		free(got);
	}
}

int main(void)
{
	TB_RUN(test_iq_types_are_computable_with_q8_K_activations);
	TB_RUN(test_iq_grids_match_their_checksums_and_level_sets);
	TB_RUN(test_iq_sign_fields_complete_to_even_parity);
	TB_RUN(test_iq_dequant_matches_the_reference_blocks_bit_for_bit);
	TB_RUN(test_iq_dot_matches_the_reference_dot);
	TB_RUN(test_iq_kernels_return_the_ref_bits_at_every_level_on_odd_shapes);
	TB_RUN(test_iq_kernels_keep_the_ref_bits_on_extreme_blocks);
	TB_RUN(test_iq_ref_dot_matches_the_float_dot_of_dequantized_rows);
	TB_RUN(test_iq_ternary_blocks_built_from_known_levels_decode_to_them);
	TB_RUN(test_iq_iq1_m_scale_is_gathered_from_the_scale_words);
	TB_RUN(test_iq_truncated_file_names_the_tensor);
	TB_RUN(test_iq_models_follow_their_dequantized_f32_twins);
	TB_RUN(test_iq_models_match_the_reference_on_every_file);
	if (model_dir[0] && !getenv("TB_IQ_MODEL_DIR"))
		tb_rmtree(model_dir);
	return tb_test_end();
}
