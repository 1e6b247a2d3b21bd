/* harness/hw.c — the hardware profile stored with every run: CPU model, packages / cores /
 * hardware threads, caches, NUMA nodes and RAM via hwloc, a memory-bandwidth measurement, and
 * GPUs through the CUDA runtime when built with CUDA=1 and a device exists. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <hwloc.h>

#ifdef TB_CUDA
#include <cuda_runtime_api.h>
#endif

#include "harness/harness.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- bandwidth */

typedef struct bw_job {
	double *a, *b, *c;    /* this thread's slices [n] */
	size_t n;
	int passes;
	pthread_barrier_t *bar;
	double t0[16], t1[16]; /* per pass: when this thread started and finished */
	double sink;
} bw_job;

/* STREAM-style triad a = b + s * c: two streams read, one written, 24 bytes per element.
 * Each thread times itself: a pass lasts from the first thread's start to the last one's end
 * (timing from a separate thread would be wrong when it is descheduled on a busy core). */
static void *bw_thread(void *arg)
{
	bw_job *j = arg;
	const double s = 1.000001;
	for (size_t i = 0; i < j->n; i++) {   /* first touch: pages land on this thread's node */
		j->a[i] = 0;
		j->b[i] = (double)(i & 1023);
		j->c[i] = 1.0;
	}
	for (int p = 0; p < j->passes; p++) {
		pthread_barrier_wait(j->bar);
		j->t0[p] = now_s();
		for (size_t i = 0; i < j->n; i++)
			j->a[i] = j->b[i] + s * j->c[i];
		j->t1[p] = now_s();
	}
	j->sink = j->a[j->n / 2];
	return NULL;
}

static double *alloc_huge(size_t bytes)
{
	void *p = NULL;
	bytes = (bytes + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
	if (posix_memalign(&p, 2u << 20, bytes))
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, bytes, MADV_HUGEPAGE);   /* fewer page faults: the setup dominates the budget */
#endif
	return p;
}

double hx_mem_bw_gbs(int n_threads, size_t bytes, int budget_ms)
{
	size_t n = bytes / sizeof(double), per;
	double *a = NULL, *b = NULL, *c = NULL, best = 0;
	pthread_t th[64];
	bw_job *jobs = NULL;
	pthread_barrier_t bar;
	int started = 0, passes;

	if (n_threads < 1)
		n_threads = 1;
	if (n_threads > 64)
		n_threads = 64;
	per = n / (size_t)n_threads;
	if (per < 1024)
		return 0;
	/* Passes take about bytes / 20 GB/s each at worst; fit them in the budget (3..16). */
	passes = (int)(budget_ms / 1e3 / (3.0 * bytes / 20e9));
	passes = passes < 3 ? 3 : passes > 16 ? 16 : passes;
	a = alloc_huge(per * n_threads * sizeof *a);
	b = alloc_huge(per * n_threads * sizeof *b);
	c = alloc_huge(per * n_threads * sizeof *c);
	jobs = calloc((size_t)n_threads, sizeof *jobs);
	if (!a || !b || !c || !jobs)
		goto out;
	if (pthread_barrier_init(&bar, NULL, (unsigned)n_threads))
		goto out;
	for (int t = 0; t < n_threads; t++) {
		jobs[t].a = a + per * t;
		jobs[t].b = b + per * t;
		jobs[t].c = c + per * t;
		jobs[t].n = per;
		jobs[t].passes = passes;
		jobs[t].bar = &bar;
	}
	/* This thread is worker 0; the others are started beside it. */
	for (int t = 1; t < n_threads; t++) {
		if (pthread_create(&th[t], NULL, bw_thread, &jobs[t]))
			break;
		started++;
	}
	if (started != n_threads - 1) {
		/* The barrier expects every thread: release the ones waiting by cancelling them. */
		for (int t = 1; t <= started; t++)
			pthread_cancel(th[t]);
		for (int t = 1; t <= started; t++)
			pthread_join(th[t], NULL);
		pthread_barrier_destroy(&bar);
		goto out;
	}
	bw_thread(&jobs[0]);
	for (int t = 1; t < n_threads; t++)
		pthread_join(th[t], NULL);
	pthread_barrier_destroy(&bar);
	for (int p = 1; p < passes; p++) {   /* pass 0 warms TLBs and caches */
		double t0 = jobs[0].t0[p], t1 = jobs[0].t1[p];
		for (int t = 1; t < n_threads; t++) {
			t0 = jobs[t].t0[p] < t0 ? jobs[t].t0[p] : t0;
			t1 = jobs[t].t1[p] > t1 ? jobs[t].t1[p] : t1;
		}
		if (t1 > t0) {
			double gbs = 3.0 * sizeof(double) * per * n_threads / (t1 - t0) / 1e9;
			best = gbs > best ? gbs : best;
		}
	}
out:
	free(jobs);
	free(a);
	free(b);
	free(c);
	return best;
}

/* ---------------------------------------------------------------- probe */

static void cpu_model_from_proc(char *out, size_t cap)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (colon && (strncmp(line, "model name", 10) == 0 || strncmp(line, "Model", 5) == 0)) {
			colon++;
			while (*colon == ' ' || *colon == '\t')
				colon++;
			colon[strcspn(colon, "\n")] = 0;
			snprintf(out, cap, "%s", colon);
			break;
		}
	}
	fclose(f);
}

static void probe_gpus(hx_hw *hw)
{
#ifdef TB_CUDA
	int n = 0;
	if (cudaGetDeviceCount(&n) != cudaSuccess || n <= 0)
		return;
	for (int d = 0; d < n && hw->n_gpus < 8; d++) {
		struct cudaDeviceProp p;
		hx_gpu_info *g = &hw->gpus[hw->n_gpus];
		int clk = 0, bus = 0;
		if (cudaGetDeviceProperties(&p, d) != cudaSuccess)
			continue;
		snprintf(g->name, sizeof g->name, "%.127s", p.name);
		g->mem_gib = p.totalGlobalMem / (1024.0 * 1024 * 1024);
		g->n_sm = p.multiProcessorCount;
		g->cc_major = p.major;
		g->cc_minor = p.minor;
		cudaDeviceGetAttribute(&clk, cudaDevAttrMemoryClockRate, d);      /* kHz */
		cudaDeviceGetAttribute(&bus, cudaDevAttrGlobalMemoryBusWidth, d);  /* bits */
		g->mem_clock_mhz = clk / 1e3;
		g->bus_width_bits = bus;
		/* double data rate: two transfers per clock */
		g->peak_bw_gbs = 2.0 * clk * 1e3 * (bus / 8.0) / 1e9;
		hw->n_gpus++;
	}
#else
	(void)hw;
#endif
}

int hx_hw_probe(hx_hw *hw, int measure_bw, char *err, size_t errlen)
{
	hwloc_topology_t topo;
	struct utsname u;
	int ret = 0;

	memset(hw, 0, sizeof *hw);
	if (uname(&u) == 0) {
		/* %.*s: uname fields can be longer than ours; the ends are cut. */
		snprintf(hw->arch, sizeof hw->arch, "%.31s", u.machine);
		snprintf(hw->os, sizeof hw->os, "%.40s %.80s", u.sysname, u.release);
	}
	if (hwloc_topology_init(&topo) == 0 && hwloc_topology_load(topo) == 0) {
		hwloc_obj_t root = hwloc_get_root_obj(topo), o;
		const char *model = NULL;
		hw->n_packages = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
		hw->n_cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
		hw->n_pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
		hw->n_numa = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
		if ((o = hwloc_get_obj_by_type(topo, HWLOC_OBJ_L1CACHE, 0)))
			hw->l1d_bytes = (int64_t)o->attr->cache.size;
		if ((o = hwloc_get_obj_by_type(topo, HWLOC_OBJ_L2CACHE, 0)))
			hw->l2_bytes = (int64_t)o->attr->cache.size;
		if ((o = hwloc_get_obj_by_type(topo, HWLOC_OBJ_L3CACHE, 0)))
			hw->l3_bytes = (int64_t)o->attr->cache.size;
		/* hwloc's total can be what the NUMA nodes report as usable now; the physical total
		 * below is what a user means by RAM, so hwloc's figure is only a fallback. */
		hw->ram_bytes = (int64_t)root->total_memory;
		if ((o = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0)))
			model = hwloc_obj_get_info_by_name(o, "CPUModel");
		if (model)
			snprintf(hw->cpu_model, sizeof hw->cpu_model, "%s", model);
		hwloc_topology_destroy(topo);
	} else {
		snprintf(err, errlen, "hwloc could not read the topology");
		ret = HX_EIO;
	}
	if (!hw->cpu_model[0])
		cpu_model_from_proc(hw->cpu_model, sizeof hw->cpu_model);
	{
		size_t n = strlen(hw->cpu_model);   /* some firmware pads the model with spaces */
		while (n && hw->cpu_model[n - 1] == ' ')
			hw->cpu_model[--n] = 0;
	}
	if (hw->n_pus <= 0)
		hw->n_pus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (hw->n_cores <= 0)
		hw->n_cores = hw->n_pus;
	if (hw->n_packages <= 0)
		hw->n_packages = 1;
	if (hw->n_numa <= 0)
		hw->n_numa = 1;
	if (sysconf(_SC_PHYS_PAGES) > 0 && sysconf(_SC_PAGESIZE) > 0)
		hw->ram_bytes = (int64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
	if (measure_bw) {
		/* 3 x 128 MiB: above the last-level cache of common machines; the setup (page faults)
		 * and the passes take 0.1-0.6 s here. */
		hw->mem_bw_threads = hw->n_cores;
		hw->mem_bw_gbs = hx_mem_bw_gbs(hw->n_cores, 128u << 20, 400);
	}
	probe_gpus(hw);
	return ret;
}

char *hx_hw_to_json(const hx_hw *hw)
{
	cJSON *o = cJSON_CreateObject(), *g;
	char *s;
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "cpu_model", hw->cpu_model);
	cJSON_AddStringToObject(o, "arch", hw->arch);
	cJSON_AddStringToObject(o, "os", hw->os);
	cJSON_AddNumberToObject(o, "packages", hw->n_packages);
	cJSON_AddNumberToObject(o, "cores", hw->n_cores);
	cJSON_AddNumberToObject(o, "hw_threads", hw->n_pus);
	cJSON_AddNumberToObject(o, "numa_nodes", hw->n_numa);
	cJSON_AddNumberToObject(o, "l1d_bytes", (double)hw->l1d_bytes);
	cJSON_AddNumberToObject(o, "l2_bytes", (double)hw->l2_bytes);
	cJSON_AddNumberToObject(o, "l3_bytes", (double)hw->l3_bytes);
	cJSON_AddNumberToObject(o, "ram_bytes", (double)hw->ram_bytes);
	if (hw->mem_bw_gbs > 0) {
		cJSON_AddNumberToObject(o, "mem_bw_gbs", round(hw->mem_bw_gbs * 10) / 10);
		cJSON_AddNumberToObject(o, "mem_bw_threads", hw->mem_bw_threads);
	} else {
		cJSON_AddNullToObject(o, "mem_bw_gbs");
	}
	if (hw->sandbox_layers[0])
		cJSON_AddStringToObject(o, "sandbox_layers", hw->sandbox_layers);
	g = cJSON_AddArrayToObject(o, "gpus");
	for (int i = 0; i < hw->n_gpus; i++) {
		const hx_gpu_info *x = &hw->gpus[i];
		cJSON *e = cJSON_CreateObject();
		char cc[16];
		snprintf(cc, sizeof cc, "%d.%d", x->cc_major, x->cc_minor);
		cJSON_AddStringToObject(e, "name", x->name);
		cJSON_AddNumberToObject(e, "mem_gib", round(x->mem_gib * 100) / 100);
		cJSON_AddNumberToObject(e, "sms", x->n_sm);
		cJSON_AddStringToObject(e, "compute_capability", cc);
		cJSON_AddNumberToObject(e, "mem_clock_mhz", x->mem_clock_mhz);
		cJSON_AddNumberToObject(e, "bus_width_bits", x->bus_width_bits);
		cJSON_AddNumberToObject(e, "peak_bw_gbs", round(x->peak_bw_gbs * 10) / 10);
		cJSON_AddItemToArray(g, e);
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

void hx_hw_print(const hx_hw *hw, FILE *f)
{
	fprintf(f, "cpu:        %s (%s)\n", hw->cpu_model[0] ? hw->cpu_model : "unknown", hw->arch);
	fprintf(f, "topology:   %d package%s, %d cores, %d hardware threads, %d NUMA node%s\n",
		hw->n_packages, hw->n_packages == 1 ? "" : "s", hw->n_cores, hw->n_pus, hw->n_numa,
		hw->n_numa == 1 ? "" : "s");
	fprintf(f, "caches:     L1d %lld KiB, L2 %lld KiB, L3 %lld KiB\n", (long long)hw->l1d_bytes / 1024,
		(long long)hw->l2_bytes / 1024, (long long)hw->l3_bytes / 1024);
	fprintf(f, "memory:     %.1f GiB\n", hw->ram_bytes / (1024.0 * 1024 * 1024));
	if (hw->mem_bw_gbs > 0)
		fprintf(f, "bandwidth:  %.1f GB/s (STREAM-style triad, %d thread%s, best pass)\n",
			hw->mem_bw_gbs, hw->mem_bw_threads, hw->mem_bw_threads == 1 ? "" : "s");
	else
		fprintf(f, "bandwidth:  not measured\n");
	fprintf(f, "os:         %s\n", hw->os);
	if (!hw->n_gpus)
		fprintf(f, "gpus:       none%s\n",
#ifdef TB_CUDA
			""
#else
			" (built without CUDA)"
#endif
		);
	for (int i = 0; i < hw->n_gpus; i++) {
		const hx_gpu_info *g = &hw->gpus[i];
		fprintf(f, "gpu %d:      %s, %.1f GiB, %d SMs, compute %d.%d, %.0f MHz x %d bit = %.0f GB/s peak\n",
			i, g->name, g->mem_gib, g->n_sm, g->cc_major, g->cc_minor, g->mem_clock_mhz,
			g->bus_width_bits, g->peak_bw_gbs);
	}
}
