/* engine/quant_dispatch.c — the dispatching names of the element-type kernels (eng_vec_dot,
 * eng_vec_dot_rows, eng_quant_row, eng_dequant_row) and the CPU kernel level they run: chosen
 * once per process (pthread_once) from what the CPU has and TB_CPU, changed only by
 * eng_kernels_force. The kernels live in quant_x86.c and quant_neon.c, the _ref in quant.c. */
#include "engine/engine.h"
#include "engine/quant_impl.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { LV_SCALAR, LV_AVX2, LV_AVX512, LV_NEON, LV_COUNT };

static const char *const level_names[LV_COUNT] = { "scalar", "avx2", "avx512", "neon" };
/* A TB_CPU cap keeps the best available level whose rank is not above the named one's. */
static const int level_rank[LV_COUNT] = { 0, 1, 2, 1 };

/* Written once by levels_init (under pthread_once), read-only afterwards. */
static eng_kernels levels[LV_COUNT];
static int level_have[LV_COUNT];
static int level_auto;
/* The level in use; NULL until levels_init has run. */
static _Atomic(const eng_kernels *) active;
static pthread_once_t levels_once = PTHREAD_ONCE_INIT;

static int level_find(const char *name)
{
	for (int l = 0; name && l < LV_COUNT; l++)
		if (strcmp(name, level_names[l]) == 0)
			return l;
	return -1;
}

static void levels_init(void)
{
	for (int l = 0; l < LV_COUNT; l++)
		levels[l].level = level_names[l];
	level_have[LV_SCALAR] = 1;
#if defined(__x86_64__) || defined(__i386__)
	{
		const int x86 = eng_x86_level();
		if (x86 >= 1) {
			eng_kernels_avx2(&levels[LV_AVX2]);
			level_have[LV_AVX2] = 1;
		}
		if (x86 >= 2) {
			/* what AVX-512 lacks, it takes from AVX2 */
			eng_kernels_avx2(&levels[LV_AVX512]);
			eng_kernels_avx512(&levels[LV_AVX512]);
			level_have[LV_AVX512] = 1;
		}
	}
#endif
#if defined(__aarch64__)
	eng_kernels_neon(&levels[LV_NEON]);
	level_have[LV_NEON] = 1;
#endif
	int best = LV_SCALAR;
	for (int l = 0; l < LV_COUNT; l++)
		if (level_have[l] && level_rank[l] > level_rank[best])
			best = l;
	const int want = level_find(getenv("TB_CPU"));
	if (want >= 0) {
		if (level_have[want]) {
			best = want;
		} else {
			best = LV_SCALAR;
			for (int l = 0; l < LV_COUNT; l++)
				if (level_have[l] && level_rank[l] <= level_rank[want] && level_rank[l] > level_rank[best])
					best = l;
		}
	}
	level_auto = best;
	atomic_store_explicit(&active, &levels[best], memory_order_release);
}

static const eng_kernels *kern(void)
{
	const eng_kernels *k = atomic_load_explicit(&active, memory_order_acquire);
	if (!k) {
		pthread_once(&levels_once, levels_init);
		k = atomic_load_explicit(&active, memory_order_acquire);
	}
	return k;
}

const char *eng_cpu_level(void)
{
	return kern()->level;
}

int eng_kernels_force(const char *level)
{
	pthread_once(&levels_once, levels_init);
	const int l = level ? level_find(level) : level_auto;
	if (l < 0 || !level_have[l])
		return -1;
	atomic_store_explicit(&active, &levels[l], memory_order_release);
	return 0;
}

/* 1 when `type` has a dot product and n is a valid row length for it. */
static int dot_ok(int type, int64_t n)
{
	const eng_type_info *ti = eng_type_get(type);
	return ti && ti->can_compute && n >= 0 && n % ti->blck == 0;
}

int eng_dequant_row(int type, const void *src, float *dst, int64_t n)
{
	return eng_dequant_row_ref(type, src, dst, n);
}

int eng_quant_row(int type, const float *src, void *dst, int64_t n)
{
	const eng_type_info *ti = eng_type_get(type);
	const eng_kernels *k = kern();
	if (ti && n >= 0 && n % ti->blck == 0 && k->act[type]) {
		k->act[type](src, dst, n / ti->blck);
		return 0;
	}
	return eng_quant_act_row_ref(type, src, dst, n);
}

double eng_exp_sum(float *sc, int64_t n, float mx)
{
	const eng_kernels *k = kern();
	return k->expsum ? k->expsum(sc, n, mx) : eng_exp_sum_ref(sc, n, mx);
}

void eng_silu_mul(float *g, const float *u, int64_t n)
{
	const eng_kernels *k = kern();
	if (k->silu_mul)
		k->silu_mul(g, u, n);
	else
		eng_silu_mul_ref(g, u, n);
}

int eng_vec_dot(int type, int64_t n, const void *w_row, const void *act, float *out)
{
	if (!dot_ok(type, n))
		return -1;
	const eng_kernels *k = kern();
	if (k->dot[type]) {
		*out = k->dot[type](n, w_row, act);
		return 0;
	}
	return eng_vec_dot_ref(type, n, w_row, act, out);
}

int eng_vec_dot_rows(int type, int64_t n, const void *w, size_t w_stride, int n_rows,
	const void *act, size_t act_stride, int n_act, float *out, size_t out_stride)
{
	if (!dot_ok(type, n) || n_rows < 0 || n_act < 0)
		return -1;
	if (n_rows == 0 || n_act == 0)
		return 0;
	const eng_kernels *k = kern();
	if (k->rows[type]) {
		k->rows[type](n, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride);
		return 0;
	}
	for (int a = 0; a < n_act; a++) {
		const char *x = (const char *)act + (size_t)a * act_stride;
		float *o = out + (size_t)a * out_stride;
		for (int r = 0; r < n_rows; r++) {
			const char *wr = (const char *)w + (size_t)r * w_stride;
			if (k->dot[type])
				o[r] = k->dot[type](n, wr, x);
			else
				eng_vec_dot_ref(type, n, wr, x, &o[r]);
		}
	}
	return 0;
}
