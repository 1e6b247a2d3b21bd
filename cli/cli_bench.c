/* cli/cli_bench.c — `tierbench bench`: prompt-processing (pp) and generation (tg) speed of
 * GGUF models on the built-in engine, measured the way llama-bench measures them (same options,
 * test names pp512 / tg128, mean ± sample standard deviation over repetitions after a warm-up),
 * plus the share of this machine's measured memory bandwidth that generation reaches (`bw %`).
 * Output md (streamed row by row), csv, json, jsonl. Exit codes: 0 ok, 1 usage, 2 runtime error
 * or interrupted (what was measured so far is still written). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"
#include "cli/cli_impl.h"
#include "harness/harness.h"

enum { FMT_MD, FMT_CSV, FMT_JSON, FMT_JSONL };
enum { MAX_LIST = 32, MAX_MODELS = 64, MAX_REPS = 1000 };

/* One model on the command line, loaded once up front to check it and read its description. */
typedef struct bench_model {
	const char *path;
	const char *file;            /* base name of path */
	eng_model_info info;
	double read_bytes;           /* weight bytes one generated token reads (info.decode_bytes) */
	char type[320];              /* "Q4_K_M (f32:45 q4_K:135 q6_K:21)" */
} bench_model;

/* One result row: one model x thread count x test. */
typedef struct bench_row {
	const bench_model *bm;
	int n_threads, n_prompt, n_gen, n_ubatch;
	int n_depth;                 /* tokens already in the cache when the test starts (-d) */
	int n_reps;                  /* repetitions measured: fewer than asked when interrupted */
	double samples_ts[MAX_REPS]; /* [n_reps] tokens/s of each repetition */
	double avg_ts, stddev_ts;
	double bw_gbs;               /* memory bandwidth with n_threads; 0 = not measured */
	char test[48];               /* "pp512", "tg128", "pp512+tg128", "pp512 @ d4096" */
	char test_time[32];          /* UTC start, ISO 8601 */
} bench_row;

/* Where rows go, and the widths of the Markdown columns (known before the first row). */
typedef struct bench_out {
	FILE *f;
	int fmt;
	int n_rows;
	int w_model, w_type, w_backend;
	const char *backend;
	const char *cpu_info;
} bench_out;

static volatile sig_atomic_t g_stop;

static void on_stop(int sig)
{
	(void)sig;
	g_stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* splitmix64: the prompt tokens, the same for every run and model. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void usage_bench(FILE *f)
{
	fprintf(f,
		"usage: tierbench bench -m MODEL.gguf [-m MODEL2.gguf ...] [options]\n"
		"\n"
		"Measures the built-in engine's speed on each model as llama-bench does: ppN = prompt\n"
		"tokens/s (one N-token prompt of random token ids decoded in ubatch-sized chunks into an\n"
		"empty cache), tgN = generated tokens/s (N single-token decode steps from a start token),\n"
		"ppP+tgG (-pg) = both in one timed run, (P + G) tokens/s. With -d N every test starts\n"
		"with N random tokens already in the cache (decoded before the clock starts: \"@ dN\").\n"
		"Each test runs once to warm up, then -r times; t/s is the mean ± sample standard\n"
		"deviation. bw %% = weight bytes read per generated token x tg t/s / memory bandwidth\n"
		"measured at the start with the same thread count.\n"
		"\n"
		"options (lists are comma-separated; repeated options add to the list):\n"
		"  -m, --model PATH          GGUF model (repeatable)\n"
		"  -t, --threads N,...       compute threads (default: physical cores)\n"
		"  -p, --n-prompt N,...      prompt lengths (default 512; 0 skips the pp test)\n"
		"  -n, --n-gen N,...         generation lengths (default 128; 0 skips the tg test)\n"
		"  -pg PP,TG                 a prompt of PP tokens then TG generated, timed together\n"
		"                            (repeatable)\n"
		"  -d, --n-depth N,...       tokens in the cache before each test (default 0)\n"
		"  -r, --repetitions N       measured repetitions per test (default 5)\n"
		"  -ub, --ubatch-size N      most tokens per decode call in pp tests (default 512)\n"
		"  -o, --output FMT          md (default), csv, json or jsonl\n"
		"      --no-bw               skip the memory-bandwidth measurement (bw %% left blank)\n"
		"      --device cpu|cuda     where the model runs (cuda: make CUDA=1; bw %% then uses the\n"
		"                            GPU's peak bandwidth from its memory clock and bus width)\n"
		"  -ngl, --n-gpu-layers N    layers on the GPU, the first N (implies --device cuda when N > 0;\n"
		"                            the other layers and, unless all are there, the output on the CPU)\n"
		"      --mmap                compute from the file mapping instead of weights copied into\n"
		"                            memory at load (llama-bench's default; slower decode)\n"
		"      --huge-pages          ask for transparent huge pages for the weights' copy (default:\n"
		"                            the kernel's policy)\n");
}

/* Appends a comma-separated list of integers in [lo, hi] to out[*n] (cap entries). */
static int list_arg(const char *opt, const char *s, long lo, long hi, int *out, int *n, int cap)
{
	const char *p = s;

	for (;;) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (errno || end == p || (*end && *end != ',') || v < lo || v > hi) {
			fprintf(stderr, "tierbench bench: %s: expected integers in [%ld, %ld] separated by "
				"commas, got \"%s\"\n", opt, lo, hi, s);
			return -1;
		}
		if (*n == cap) {
			fprintf(stderr, "tierbench bench: %s: at most %d values\n", opt, cap);
			return -1;
		}
		out[(*n)++] = (int)v;
		if (!*end)
			return 0;
		p = end + 1;
	}
}

static void human_size(uint64_t b, char *buf, size_t n)
{
	if (b >= (1ull << 30))
		snprintf(buf, n, "%.2f GiB", (double)b / (double)(1ull << 30));
	else
		snprintf(buf, n, "%.2f MiB", (double)b / (double)(1ull << 20));
}

static void human_params(int64_t p, char *buf, size_t n)
{
	if (p >= 1000000000)
		snprintf(buf, n, "%.2f B", (double)p / 1e9);
	else if (p >= 1000000)
		snprintf(buf, n, "%.2f M", (double)p / 1e6);
	else
		snprintf(buf, n, "%.2f K", (double)p / 1e3);
}

static double bw_pct(const bench_row *r)
{
	if (r->n_gen == 0 || r->n_prompt > 0 || r->bw_gbs <= 0 || r->n_reps == 0)
		return -1;
	return 100.0 * r->bm->read_bytes * r->avg_ts / (r->bw_gbs * 1e9);
}

/* ---------------------------------------------------------------- output */

static void csv_field(FILE *f, const char *s, int last)
{
	if (strpbrk(s, ",\"\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void out_begin(bench_out *o, const double *bw, const int *threads, int n_threads)
{
	/* The bandwidth goes above a Markdown table; beside the other formats, to stderr. */
	for (int i = 0; i < n_threads; i++)
		if (bw[i] > 0)
			fprintf(o->fmt == FMT_MD ? o->f : stderr, "memory bandwidth: %.1f GB/s with %d thread%s\n",
				bw[i], threads[i], threads[i] == 1 ? "" : "s");
	if (o->fmt == FMT_MD) {
		fprintf(o->f, "\n| %-*s | %10s | %10s | %-*s | %-*s | %7s | %10s | %20s | %6s |\n",
			o->w_model, "model", "size", "params", o->w_type, "type", o->w_backend, "backend",
			"threads", "test", "t/s", "bw %");
		fputs("| ", o->f);
		for (int i = 0; i < o->w_model; i++)
			fputc('-', o->f);
		fputs(" | ---------: | ---------: | ", o->f);
		for (int i = 0; i < o->w_type; i++)
			fputc('-', o->f);
		fputs(" | ", o->f);
		for (int i = 0; i < o->w_backend; i++)
			fputc('-', o->f);
		fputs(" | ------: | ---------: | -------------------: | -----: |\n", o->f);
	} else if (o->fmt == FMT_CSV) {
		fputs("build_commit,cpu_info,backends,kernels,model_filename,model_type,model_ftype,type_mix,"
			"model_size,model_n_params,n_threads,n_ubatch,n_prompt,n_gen,test,test_time,n_reps,"
			"avg_ts,stddev_ts,mem_bw_gbs,weight_bytes_per_token,bw_pct,n_depth\n", o->f);
	} else if (o->fmt == FMT_JSON) {
		fputs("[", o->f);
	}
	fflush(o->f);
}

static cJSON *row_json(const bench_out *o, const bench_row *r)
{
	cJSON *j = cJSON_CreateObject(), *a;
	double pct = bw_pct(r);

	if (!j)
		return NULL;
	cJSON_AddStringToObject(j, "build_commit", hx_git_rev());
	cJSON_AddStringToObject(j, "cpu_info", o->cpu_info);
	cJSON_AddStringToObject(j, "backends", "CPU");
	cJSON_AddStringToObject(j, "kernels", eng_cpu_level());
	cJSON_AddStringToObject(j, "model_filename", r->bm->path);
	cJSON_AddStringToObject(j, "model_type", r->bm->info.file_type);
	cJSON_AddStringToObject(j, "model_ftype", r->bm->info.ftype);
	cJSON_AddStringToObject(j, "type_mix", r->bm->info.type_mix);
	cJSON_AddNumberToObject(j, "model_size", (double)r->bm->info.size_bytes);
	cJSON_AddNumberToObject(j, "model_n_params", (double)r->bm->info.n_params);
	cJSON_AddNumberToObject(j, "n_threads", r->n_threads);
	cJSON_AddNumberToObject(j, "n_ubatch", r->n_ubatch);
	cJSON_AddNumberToObject(j, "n_prompt", r->n_prompt);
	cJSON_AddNumberToObject(j, "n_gen", r->n_gen);
	cJSON_AddNumberToObject(j, "n_depth", r->n_depth);
	cJSON_AddStringToObject(j, "test", r->test);
	cJSON_AddStringToObject(j, "test_time", r->test_time);
	cJSON_AddNumberToObject(j, "n_reps", r->n_reps);
	cJSON_AddNumberToObject(j, "avg_ts", r->avg_ts);
	cJSON_AddNumberToObject(j, "stddev_ts", r->stddev_ts);
	a = cJSON_AddArrayToObject(j, "samples_ts");
	for (int i = 0; a && i < r->n_reps; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(r->samples_ts[i]));
	if (r->bw_gbs > 0)
		cJSON_AddNumberToObject(j, "mem_bw_gbs", r->bw_gbs);
	else
		cJSON_AddNullToObject(j, "mem_bw_gbs");
	cJSON_AddNumberToObject(j, "weight_bytes_per_token", round(r->bm->read_bytes));
	if (pct >= 0)
		cJSON_AddNumberToObject(j, "bw_pct", pct);
	else
		cJSON_AddNullToObject(j, "bw_pct");
	return j;
}

static int out_row(bench_out *o, const bench_row *r)
{
	double pct = bw_pct(r);
	char size[32], params[32], ts[64], bw[32], num[64];

	snprintf(ts, sizeof ts, "%.2f ± %.2f", r->avg_ts, r->stddev_ts);
	if (pct >= 0)
		snprintf(bw, sizeof bw, "%.1f", pct);
	else
		bw[0] = 0;
	if (o->fmt == FMT_MD) {
		human_size(r->bm->info.size_bytes, size, sizeof size);
		human_params(r->bm->info.n_params, params, sizeof params);
		/* "±" is two bytes and one column: widen the field by one byte to keep the bars aligned. */
		fprintf(o->f, "| %-*s | %10s | %10s | %-*s | %-*s | %7d | %10s | %21s | %6s |\n",
			o->w_model, r->bm->file, size, params, o->w_type, r->bm->type, o->w_backend,
			o->backend, r->n_threads, r->test, ts, bw);
	} else if (o->fmt == FMT_CSV) {
		FILE *f = o->f;

		csv_field(f, hx_git_rev(), 0);
		csv_field(f, o->cpu_info, 0);
		csv_field(f, "CPU", 0);
		csv_field(f, eng_cpu_level(), 0);
		csv_field(f, r->bm->path, 0);
		csv_field(f, r->bm->info.file_type, 0);
		csv_field(f, r->bm->info.ftype, 0);
		csv_field(f, r->bm->info.type_mix, 0);
		fprintf(f, "%llu,%lld,%d,%d,%d,%d,", (unsigned long long)r->bm->info.size_bytes,
			(long long)r->bm->info.n_params, r->n_threads, r->n_ubatch, r->n_prompt, r->n_gen);
		csv_field(f, r->test, 0);
		csv_field(f, r->test_time, 0);
		fprintf(f, "%d,%.6f,%.6f,", r->n_reps, r->avg_ts, r->stddev_ts);
		if (r->bw_gbs > 0)
			snprintf(num, sizeof num, "%.3f", r->bw_gbs);
		else
			num[0] = 0;
		fprintf(f, "%s,%.0f,%s,%d\n", num, r->bm->read_bytes, bw, r->n_depth);
	} else {
		cJSON *j = row_json(o, r);
		char *s = j ? (o->fmt == FMT_JSON ? cJSON_Print(j) : cJSON_PrintUnformatted(j)) : NULL;

		cJSON_Delete(j);
		if (!s)
			return -1;
		if (o->fmt == FMT_JSON)
			fprintf(o->f, "%s\n  %s", o->n_rows ? "," : "", s);
		else
			fprintf(o->f, "%s\n", s);
		free(s);
	}
	o->n_rows++;
	return fflush(o->f) ? -1 : 0;
}

static int out_end(bench_out *o)
{
	if (o->fmt == FMT_JSON)
		fputs(o->n_rows ? "\n]\n" : "]\n", o->f);
	return fflush(o->f) ? -1 : 0;
}

/* ---------------------------------------------------------------- measurement */

static int32_t argmax(const float *x, int n)
{
	int32_t best = 0;

	for (int i = 1; i < n; i++)
		if (x[i] > x[best])
			best = i;
	return best;
}

/* Decodes toks[0..n) into c in calls of at most n_batch tokens; returns eng_decode's code. */
static int decode_chunks(eng_ctx *c, const int32_t *toks, int n, int n_batch)
{
	int e = 0;

	for (int off = 0; off < n && !e; off += n_batch) {
		eng_batch b = { 0 };

		b.n = n - off < n_batch ? n - off : n_batch;
		b.token = toks + off;
		e = eng_decode(c, &b);
	}
	return e;
}

/* Runs one test on a context made for it: r->n_depth untimed tokens first (-d), then a prompt of
 * r->n_prompt tokens and / or r->n_gen single-token steps, timed (pp, tg, or both for -pg); one
 * warm-up, then `reps` measured repetitions, each into an emptied cache; fills r->samples_ts,
 * n_reps, avg_ts and stddev_ts. Stops early, keeping the repetitions done, when g_stop is set.
 * Returns 0, or -1 with a message on stderr. */
static int run_test(eng_model *m, bench_row *r, int reps)
{
	eng_ctx_params cp = eng_ctx_params_default();
	const int depth = r->n_depth, n_tok = depth + (r->n_prompt > 0 ? r->n_prompt : 1);
	const int n_fill = depth > r->n_prompt ? depth : r->n_prompt;
	int n_vocab = eng_n_vocab(m), rc = -1;
	int32_t bos = eng_token_bos(m), *toks = malloc(sizeof(int32_t) * (size_t)n_tok);
	uint64_t seed = 1234;
	char err[512];
	double sum = 0, ss = 0;
	eng_ctx *c = NULL;
	time_t now = time(NULL);
	struct tm tmv;

	gmtime_r(&now, &tmv);
	strftime(r->test_time, sizeof r->test_time, "%Y-%m-%dT%H:%M:%SZ", &tmv);
	if (!toks) {
		fprintf(stderr, "tierbench: out of memory\n");
		return -1;
	}
	/* Like llama-bench: BOS first when the model has one, then random ids. */
	for (int i = 0; i < n_tok; i++)
		toks[i] = (int32_t)(rng_next(&seed) % (uint64_t)n_vocab);
	if (bos >= 0)
		toks[0] = bos;
	cp.n_ctx = depth + r->n_prompt + r->n_gen;
	cp.n_batch = n_fill > 0 ? (n_fill < r->n_ubatch ? n_fill : r->n_ubatch) : 1;
	cp.n_threads = r->n_threads;
	c = eng_ctx_new(m, &cp, err, sizeof err);
	if (!c) {
		fprintf(stderr, "tierbench: %s: %s\n", r->bm->path, err);
		goto done;
	}
	r->n_reps = 0;
	for (int rep = -1; rep < reps && !g_stop; rep++) {
		double t = 0;
		int e;

		eng_kv_remove(c, -1, 0, -1);
		e = decode_chunks(c, toks, depth, cp.n_batch);
		if (!e && r->n_prompt > 0) {
			double t0 = now_s();

			e = decode_chunks(c, toks + depth, r->n_prompt, cp.n_batch);
			t = now_s() - t0;
		}
		if (!e && r->n_gen > 0) {
			/* the first step reads the start token, or a token that continues the cache */
			int32_t tok = depth + r->n_prompt > 0 ? toks[n_tok - 1] : toks[0];

			/* Only the decode calls are timed; picking the next token (argmax) is not. */
			for (int i = 0; i < r->n_gen && !e; i++) {
				eng_batch b = { 0 };
				double t0 = now_s();

				b.n = 1;
				b.token = &tok;
				e = eng_decode(c, &b);
				t += now_s() - t0;
				if (!e)
					tok = argmax(eng_logits(c, 0), n_vocab);
			}
		}
		if (e) {
			fprintf(stderr, "tierbench: %s: decode: %s\n", r->bm->path, eng_strerror(e));
			goto done;
		}
		if (rep >= 0)
			r->samples_ts[r->n_reps++] = (r->n_prompt + r->n_gen) / (t > 0 ? t : 1e-9);
	}
	for (int i = 0; i < r->n_reps; i++)
		sum += r->samples_ts[i];
	r->avg_ts = r->n_reps ? sum / r->n_reps : 0;
	for (int i = 0; i < r->n_reps; i++)
		ss += (r->samples_ts[i] - r->avg_ts) * (r->samples_ts[i] - r->avg_ts);
	r->stddev_ts = r->n_reps > 1 ? sqrt(ss / (r->n_reps - 1)) : 0;
	rc = 0;
done:
	eng_ctx_free(c);
	free(toks);
	return rc;
}

/* ---------------------------------------------------------------- command */

int cli_cmd_bench(int argc, char **argv)
{
	enum { O_NOBW = 256, O_MMAP, O_HUGE, O_DEVICE, O_NGL, O_PG };
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' }, { "threads", required_argument, NULL, 't' },
		{ "n-prompt", required_argument, NULL, 'p' }, { "n-gen", required_argument, NULL, 'n' },
		{ "repetitions", required_argument, NULL, 'r' },
		{ "ubatch-size", required_argument, NULL, 'u' }, { "output", required_argument, NULL, 'o' },
		{ "no-bw", no_argument, NULL, O_NOBW }, { "mmap", no_argument, NULL, O_MMAP },
		{ "huge-pages", no_argument, NULL, O_HUGE },
		{ "device", required_argument, NULL, O_DEVICE }, { "n-gpu-layers", required_argument, NULL, O_NGL },
		{ "n-depth", required_argument, NULL, 'd' }, { "pg", required_argument, NULL, O_PG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static bench_model models[MAX_MODELS];
	int threads[MAX_LIST], prompts[MAX_LIST], gens[MAX_LIST], reps_l[MAX_LIST], ub_l[MAX_LIST];
	int depths[MAX_LIST], pgs[2 * MAX_LIST];
	int n_models = 0, n_threads = 0, n_prompts = 0, n_gens = 0, n_reps = 0, n_ub = 0, n_depths = 0, n_pgs = 0;
	int fmt = FMT_MD, measure_bw = 1, use_mmap = 0, huge_pages = 0, opt, rc = HX_EXIT_RUNTIME, any = 0;
	int device = ENG_DEVICE_CPU, ngl = -1;
	double bw[MAX_LIST], gpu_peak = 0;
	char **av = NULL, err[1024], backend[64];
	bench_out out = { 0 };
	bench_row *row = NULL;
	struct sigaction sa, old_int, old_term;
	hx_hw hw;

	/* llama-bench spells the ubatch option "-ub": accept it beside --ubatch-size. */
	if (!(av = malloc(sizeof *av * ((size_t)argc + 1)))) {
		fprintf(stderr, "tierbench: out of memory\n");
		return HX_EXIT_RUNTIME;
	}
	for (int i = 0; i < argc; i++)
		av[i] = strcmp(argv[i], "-ub") == 0 ? (char *)"--ubatch-size" :
			strcmp(argv[i], "-ngl") == 0 ? (char *)"--n-gpu-layers" :
			strcmp(argv[i], "-pg") == 0 ? (char *)"--pg" : argv[i];
	av[argc] = NULL;
	optind = 1;
	while ((opt = getopt_long(argc, av, "m:t:p:n:r:o:d:h", opts, NULL)) != -1) {
		int bad = 0;

		switch (opt) {
		case 'm':
			if (n_models == MAX_MODELS) {
				fprintf(stderr, "tierbench bench: at most %d models\n", MAX_MODELS);
				bad = 1;
				break;
			}
			models[n_models].path = optarg;
			models[n_models].file = strrchr(optarg, '/') ? strrchr(optarg, '/') + 1 : optarg;
			n_models++;
			break;
		case 't': bad = list_arg("--threads", optarg, 1, 1024, threads, &n_threads, MAX_LIST); break;
		case 'p': bad = list_arg("--n-prompt", optarg, 0, 1 << 20, prompts, &n_prompts, MAX_LIST); break;
		case 'n': bad = list_arg("--n-gen", optarg, 0, 1 << 20, gens, &n_gens, MAX_LIST); break;
		case 'r':
			n_reps = 0;
			bad = list_arg("--repetitions", optarg, 1, MAX_REPS, reps_l, &n_reps, 1);
			break;
		case 'u':
			n_ub = 0;
			bad = list_arg("--ubatch-size", optarg, 1, 1 << 16, ub_l, &n_ub, 1);
			break;
		case 'o':
			if (strcmp(optarg, "md") == 0) fmt = FMT_MD;
			else if (strcmp(optarg, "csv") == 0) fmt = FMT_CSV;
			else if (strcmp(optarg, "json") == 0) fmt = FMT_JSON;
			else if (strcmp(optarg, "jsonl") == 0) fmt = FMT_JSONL;
			else {
				fprintf(stderr, "tierbench bench: --output: expected md, csv, json or jsonl, got \"%s\"\n", optarg);
				bad = 1;
			}
			break;
		case 'd': bad = list_arg("--n-depth", optarg, 0, 1 << 20, depths, &n_depths, MAX_LIST); break;
		case O_PG: {
			int pair[2], k = 0;

			if (list_arg("-pg", optarg, 1, 1 << 20, pair, &k, 2) || k != 2) {
				if (k == 1)
					fprintf(stderr, "tierbench bench: -pg: expected PP,TG, got \"%s\"\n", optarg);
				bad = 1;
			} else if (n_pgs == MAX_LIST) {
				fprintf(stderr, "tierbench bench: -pg: at most %d pairs\n", MAX_LIST);
				bad = 1;
			} else {
				pgs[2 * n_pgs] = pair[0];
				pgs[2 * n_pgs + 1] = pair[1];
				n_pgs++;
			}
			break;
		}
		case O_NOBW: measure_bw = 0; break;
		case O_MMAP: use_mmap = 1; break;
		case O_HUGE: huge_pages = 1; break;
		case O_DEVICE:
			if (strcmp(optarg, "cpu") == 0)
				device = ENG_DEVICE_CPU;
			else if (strcmp(optarg, "cuda") == 0)
				device = ENG_DEVICE_CUDA;
			else {
				fprintf(stderr, "tierbench bench: --device: expected cpu or cuda, got \"%s\"\n", optarg);
				bad = 1;
			}
			break;
		case O_NGL: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 0 || v > 100000) {
				fprintf(stderr, "tierbench bench: -ngl: expected a layer count, got \"%s\"\n", optarg);
				bad = 1;
			} else {
				ngl = (int)v;
				device = v > 0 ? ENG_DEVICE_CUDA : ENG_DEVICE_CPU;
			}
			break;
		}
		case 'h': usage_bench(stdout); free(av); return HX_EXIT_OK;
		default: usage_bench(stderr); bad = 1; break;
		}
		if (bad) {
			free(av);
			return HX_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tierbench bench: unexpected argument \"%s\" (models are given with -m)\n", av[optind]);
		free(av);
		return HX_EXIT_USAGE;
	}
	free(av);
	if (!n_models) {
		fprintf(stderr, "tierbench bench: give at least one model with -m\n");
		usage_bench(stderr);
		return HX_EXIT_USAGE;
	}
	if (!n_prompts)
		prompts[n_prompts++] = n_pgs ? 0 : 512;
	if (!n_gens)
		gens[n_gens++] = n_pgs ? 0 : 128;
	if (!n_depths)
		depths[n_depths++] = 0;
	any = n_pgs > 0;
	for (int i = 0; i < n_prompts; i++)
		any |= prompts[i] > 0;
	for (int i = 0; i < n_gens; i++)
		any |= gens[i] > 0;
	if (!any) {
		fprintf(stderr, "tierbench bench: nothing to measure: every -p and -n is 0\n");
		return HX_EXIT_USAGE;
	}

	/* Every model is checked before anything is measured. */
	for (int i = 0; i < n_models; i++) {
		eng_opts eo = eng_opts_default();
		eng_model *m;
		bench_model *bm = &models[i];
		int tw;

		eo.n_threads = 1;
		eo.use_mmap = 1;   /* only reads the header and checks the tensors */
		if (hx_file_check(bm->path, "model", err, sizeof err) ||
		    !(m = eng_load(bm->path, &eo, err, sizeof err))) {
			fprintf(stderr, "tierbench: %s\n", err);
			return HX_EXIT_RUNTIME;
		}
		eng_model_info_get(m, &bm->info);
		eng_model_free(m);
		bm->read_bytes = (double)bm->info.decode_bytes;
		{
			eng_model_info *in = &bm->info;
			char type[sizeof bm->type];   /* not straight into bm: the arguments live there too */

			snprintf(type, sizeof type, "%s (%s)", in->file_type[0] ? in->file_type : in->ftype, in->type_mix);
			memcpy(bm->type, type, sizeof type);
		}
		tw = (int)strlen(bm->file);
		out.w_model = tw > out.w_model ? tw : out.w_model;
		tw = (int)strlen(bm->type);
		out.w_type = tw > out.w_type ? tw : out.w_type;
	}
	out.w_model = out.w_model < 5 ? 5 : out.w_model;
	out.w_type = out.w_type < 4 ? 4 : out.w_type;
	snprintf(backend, sizeof backend, "CPU %s", eng_cpu_level());
	if (device == ENG_DEVICE_CUDA) {
		char gname[40] = "";
		double peak = 0;

		if (eng_gpu_info(gname, sizeof gname, &peak) != 0) {
			fprintf(stderr, "tierbench bench: --device cuda: no CUDA device (or built without CUDA: make CUDA=1)\n");
			return HX_EXIT_RUNTIME;
		}
		snprintf(backend, sizeof backend, "CUDA %s", gname);
		gpu_peak = peak;
	}
	out.backend = backend;
	out.w_backend = (int)strlen(out.backend) < 7 ? 7 : (int)strlen(out.backend);
	out.f = stdout;
	out.fmt = fmt;
	memset(&hw, 0, sizeof hw);
	(void)hx_hw_probe(&hw, 0, err, sizeof err);   /* what it could not read stays empty */
	out.cpu_info = hw.cpu_model;
	if (!n_threads)
		threads[n_threads++] = hw.n_cores > 0 ? hw.n_cores : 1;
	/* Bandwidth once per thread count, before the engine's threads exist: 3 x 128 MiB buffers,
	 * above the last-level cache of common machines (as `tierbench hw`). */
	for (int i = 0; i < n_threads; i++) {
		bw[i] = 0;
		for (int k = 0; k < i; k++)
			if (threads[k] == threads[i])
				bw[i] = bw[k];
		if (gpu_peak > 0)
			bw[i] = gpu_peak;   /* the GPU's peak from its memory clock and bus width */
		else if (measure_bw && bw[i] == 0)
			bw[i] = hx_mem_bw_gbs(threads[i], 128u << 20, 400);
	}
	if (!(row = calloc(1, sizeof *row))) {
		fprintf(stderr, "tierbench: out of memory\n");
		return HX_EXIT_RUNTIME;
	}

	g_stop = 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sa.sa_flags = SA_RESETHAND;   /* a second Ctrl-C ends the program at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	out_begin(&out, bw, threads, n_threads);
	for (int i = 0; i < n_models && !g_stop; i++) {
		for (int ti = 0; ti < n_threads && !g_stop; ti++) {
			eng_opts eo = eng_opts_default();
			eng_model *m;

			/* One load per thread count: the engine's pool has exactly that many threads. */
			eo.n_threads = threads[ti];
			eo.use_mmap = use_mmap;
			eo.huge_pages = huge_pages;
			eo.device = device;
			eo.n_gpu_layers = ngl;
			if (!(m = eng_load(models[i].path, &eo, err, sizeof err))) {
				fprintf(stderr, "tierbench: %s\n", err);
				goto done;
			}
			for (int k = 0; k < n_depths * (n_prompts + n_gens + n_pgs) && !g_stop; k++) {
				const int kt = k % (n_prompts + n_gens + n_pgs), dep = depths[k / (n_prompts + n_gens + n_pgs)];
				const int pp = kt < n_prompts ? prompts[kt] : kt >= n_prompts + n_gens ? pgs[2 * (kt - n_prompts - n_gens)] : 0;
				const int tg = kt < n_prompts ? 0 : kt < n_prompts + n_gens ? gens[kt - n_prompts]
					: pgs[2 * (kt - n_prompts - n_gens) + 1];
				int w;

				if (pp == 0 && tg == 0)
					continue;
				memset(row, 0, sizeof *row);
				row->bm = &models[i];
				row->n_threads = threads[ti];
				row->n_prompt = pp;
				row->n_gen = tg;
				row->n_depth = dep;
				row->n_ubatch = n_ub ? ub_l[0] : 512;
				row->bw_gbs = bw[ti];
				w = pp && tg ? snprintf(row->test, sizeof row->test, "pp%d+tg%d", pp, tg)
					: snprintf(row->test, sizeof row->test, "%s%d", pp ? "pp" : "tg", pp ? pp : tg);
				if (dep > 0 && w > 0 && (size_t)w < sizeof row->test)
					snprintf(row->test + w, sizeof row->test - (size_t)w, " @ d%d", dep);
				if (run_test(m, row, n_reps ? reps_l[0] : 5)) {
					eng_model_free(m);
					goto done;
				}
				if (row->n_reps > 0 && out_row(&out, row)) {
					fprintf(stderr, "tierbench: standard output: write failed\n");
					eng_model_free(m);
					goto done;
				}
			}
			eng_model_free(m);
		}
	}
	rc = g_stop ? HX_EXIT_RUNTIME : HX_EXIT_OK;
	if (g_stop)
		fprintf(stderr, "tierbench bench: interrupted; %d result%s written\n", out.n_rows,
			out.n_rows == 1 ? "" : "s");
done:
	if (out_end(&out) && rc == HX_EXIT_OK) {
		fprintf(stderr, "tierbench: standard output: write failed\n");
		rc = HX_EXIT_RUNTIME;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(row);
	return rc;
}
