/* cli/cli_quant.c — `tierbench quantize IN OUT TYPE`: writes a quantized copy of a GGUF
 * model with the engine's quantizer (engine/quantize.c, llama-quantize's type mixes), with a
 * progress display and a summary of sizes and requantized tensors; `tierbench quality`: a thin
 * front end that runs the quality suite on one local model and prints its perplexity and its
 * divergence from a baseline store (reports/quality.c); and `tierbench quant-sweep`: a base
 * model's variants run through the same suites and reported side by side (what `make demo`
 * runs). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"
#include "base/base.h"
#include "cli/cli_impl.h"
#include "harness/harness.h"
#include "suites/suite.h"

typedef struct qstate {
	hx_progress *bar;
	int quiet, dry_run;
	long n_requant, n_fallback, n_no_imatrix;
	char first_no_imatrix[96];
	uint64_t bytes_in, bytes_out;
} qstate;

static void on_tensor(const eng_quant_progress *p, void *ud)
{
	qstate *s = ud;

	if (s->dry_run) {
		printf("%-40s %-8s -> %s%s\n", p->name, p->type_in, p->type_out, p->fallback ? " (fallback: row length)" : "");
		s->bytes_in += p->bytes_in;
		s->bytes_out += p->bytes_out;
		return;
	}
	if (!s->bar)
		s->bar = hx_progress_new_units(stderr, (long)p->n_tensors, s->quiet, "tensors");
	hx_progress_add(s->bar, 1, 0);
	s->n_requant += p->requant;
	if (p->no_imatrix && !s->n_no_imatrix++)
		snprintf(s->first_no_imatrix, sizeof s->first_no_imatrix, "%s", p->name);
	s->n_fallback += p->fallback;
	s->bytes_in += p->bytes_in;
	s->bytes_out += p->bytes_out;
}

static void usage_quantize(FILE *f)
{
	fprintf(f,
		"usage: tierbench quantize IN.gguf OUT.gguf TYPE [--imatrix FILE] [--tensor-type REGEX=TYPE]...\n"
		"                          [--threads N] [--allow-requantize] [--quiet]\n"
		"\n"
		"Writes a quantized copy of a GGUF model with the per-tensor type mix llama-quantize\n"
		"uses for TYPE (same tensor types and bytes). OUT is written atomically; IN is never\n"
		"changed.\n"
		"\n"
		"TYPE: %s\n"
		"\n"
		"  --imatrix FILE       importance matrix (`tierbench imatrix`, or llama-imatrix's GGUF or\n"
		"                       .dat) for every quantizer that takes weights; IQ1_S, IQ1_M,\n"
		"                       IQ2_XXS, IQ2_XS, IQ2_S and Q2_K_S refuse to run without one\n"
		"  --tensor-type REGEX=TYPE\n"
		"                       tensors whose name matches the POSIX extended REGEX get tensor\n"
		"                       type TYPE (q4_K, iq1_s, q8_0, ...) instead of the mix's; repeatable,\n"
		"                       the last match wins; a pattern matching no quantized tensor is an error\n"
		"  --dry-run            print each tensor's type and the sizes; write nothing (OUT unused)\n"
		"  --threads N          quantization threads (default: all physical cores)\n"
		"  --allow-requantize   accept an input whose weights are already quantized (loses quality)\n"
		"  --quiet              no progress display\n", eng_ftype_names());
}

static int parse_threads(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 256)
		return -1;
	*out = (int)v;
	return 0;
}

int cli_cmd_quantize(int argc, char **argv)
{
	const char *pos[3] = { NULL, NULL, NULL };
	int n_pos = 0, rc;
	eng_quant_params p = eng_quant_params_default();
	qstate s;
	char err[1024];
	struct timespec t0, t1;
	const char **overrides = calloc((size_t)(argc > 0 ? argc : 1), sizeof *overrides);
	eng_imatrix *im = NULL;

	memset(&s, 0, sizeof s);
	if (!overrides) {
		fprintf(stderr, "tierbench quantize: out of memory\n");
		return HX_EXIT_RUNTIME;
	}
	p.tensor_types = overrides;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage_quantize(stdout);
			free(overrides);
			return HX_EXIT_OK;
		} else if (strcmp(argv[i], "--imatrix") == 0 && i + 1 < argc) {
			p.imatrix_file = argv[++i];
		} else if (strcmp(argv[i], "--tensor-type") == 0 && i + 1 < argc) {
			overrides[p.n_tensor_types++] = argv[++i];
		} else if (strcmp(argv[i], "--dry-run") == 0) {
			p.dry_run = s.dry_run = 1;
		} else if (strcmp(argv[i], "--allow-requantize") == 0) {
			p.allow_requant = 1;
		} else if (strcmp(argv[i], "--quiet") == 0) {
			s.quiet = 1;
		} else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
			if (parse_threads(argv[++i], &p.n_threads)) {
				fprintf(stderr, "tierbench quantize: --threads: '%s' is not a count from 1 to 256\n", argv[i]);
				free(overrides);
				return HX_EXIT_USAGE;
			}
		} else if (argv[i][0] == '-' || n_pos == 3) {
			usage_quantize(stderr);
			free(overrides);
			return HX_EXIT_USAGE;
		} else {
			pos[n_pos++] = argv[i];
		}
	}
	if (n_pos != 3) {
		usage_quantize(stderr);
		free(overrides);
		return HX_EXIT_USAGE;
	}
	if (hx_file_check(pos[0], "input model", err, sizeof err) ||
	    (p.imatrix_file && !(im = eng_imatrix_load(p.imatrix_file, err, sizeof err)))) {
		fprintf(stderr, "tierbench quantize: %s\n", err);
		free(overrides);
		return HX_EXIT_RUNTIME;
	}
	p.imatrix = im;
	p.progress = on_tensor;
	p.progress_ud = &s;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = eng_quantize_file(pos[0], pos[1], pos[2], &p, err, sizeof err);
	hx_progress_free(s.bar);
	eng_imatrix_free(im);
	free(overrides);
	if (rc) {
		fprintf(stderr, "tierbench quantize: %s\n", err);
		return rc == ENG_EINVAL && (strstr(err, "unknown quantization type") || strstr(err, "--imatrix FILE") ||
			strstr(err, "want REGEX=TYPE")) ? HX_EXIT_USAGE : HX_EXIT_RUNTIME;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (s.dry_run) {
		printf("%s: tensor data %.2f MiB -> %.2f MiB (dry run: nothing written)\n", pos[2],
			(double)s.bytes_in / 1048576.0, (double)s.bytes_out / 1048576.0);
		return HX_EXIT_OK;
	}
	if (s.n_no_imatrix)
		fprintf(stderr, "tierbench quantize: warning: the importance matrix has no entry for %ld quantized "
			"tensors (the first: %s); they were quantized without weights, as llama-quantize does\n",
			s.n_no_imatrix, s.first_no_imatrix);
	if (s.n_requant)
		fprintf(stderr, "tierbench quantize: warning: %ld tensors were already quantized and were "
			"requantized; quality is lower than quantizing from F16/F32\n", s.n_requant);
	printf("%s: %s, tensor data %.2f MiB -> %.2f MiB (%ld fallback types for short rows), %.1f s\n",
		pos[1], pos[2], (double)s.bytes_in / 1048576.0, (double)s.bytes_out / 1048576.0,
		s.n_fallback, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
	return HX_EXIT_OK;
}

/* ------------------------------------------------------------------ quality */

static void usage_quality(FILE *f)
{
	fprintf(f,
		"usage: tierbench quality MODEL.gguf [--text FILE] [--ctx N] [--chunks N] [--threads N]\n"
		"                         [--save-baseline FILE] [--baseline FILE] [--top-k K] [--out DIR]\n"
		"\n"
		"Perplexity of a local model over a text (the built-in one unless --text), in windows of\n"
		"--ctx tokens (default 256) scoring the second half of each, as llama-perplexity does: the\n"
		"`quality` suite run through the `local` provider's log-probability requests.\n"
		"--save-baseline FILE keeps the run's results store there (e.g. of the F16 model);\n"
		"--baseline FILE compares with such a store: KL divergence (mean, median, p99), same top\n"
		"token, RMS change of the correct token's probability. --out DIR keeps this run's store in\n"
		"DIR (a re-run resumes it); without it the run goes to a temporary folder.\n");
}

static int parse_range(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "tierbench: %s: '%s' is not a number from %ld to %ld\n", opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_pos(const char *opt, const char *s, long hi, long *out)
{
	return parse_range(opt, s, 1, hi, out);
}

/* Removes dir's store files and dir (a temporary run folder). */
static void remove_run_dir(const char *dir)
{
	static const char *const names[] = { "results.db", "results.db-wal", "results.db-shm",
		"results.db.lock" };
	char p[4200];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* Copies file from to path to, written whole or not at all (tb_afile). 0 or -1 (err). */
static int copy_file(const char *from, const char *to, char *err, size_t errlen)
{
	char buf[65536];
	FILE *in = fopen(from, "rb");
	tb_afile *out = NULL;
	size_t n;

	if (!in) {
		snprintf(err, errlen, "%s: cannot open: %s", from, strerror(errno));
		return -1;
	}
	if (!(out = tb_afile_open(to, err, errlen))) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, tb_afile_stream(out)) != n)
			break;
	if (ferror(in)) {
		snprintf(err, errlen, "%s: cannot read: %s", from, strerror(errno));
		fclose(in);
		tb_afile_abort(out);
		return -1;
	}
	fclose(in);
	return tb_afile_commit(out, err, errlen) ? -1 : 0;
}

/* Options of `tierbench quality` (also what quant-sweep passes to its quality suite). */
typedef struct quality_args {
	const char *model, *text, *save, *baseline, *out;
	long ctx, chunks, threads, top_k;
} quality_args;

/* The local target options every quality run uses: the window fits the context, an F32 KV cache
 * (the figures do not depend on the cache's rounding), into buf. */
static void quality_target_options(char *buf, size_t n, long ctx, long threads, long n_par)
{
	int k = snprintf(buf, n, "{\"n_ctx\": %ld, \"kv_type\": \"f32\", \"n_parallel\": %ld", ctx, n_par);
	if (threads > 0 && k > 0 && (size_t)k < n)
		k += snprintf(buf + k, n - (size_t)k, ", \"threads\": %ld", threads);
	if (k > 0 && (size_t)k < n)
		snprintf(buf + k, n - (size_t)k, "}");
}

/* Runs the quality suite on a->model into dir. Returns 0 or prints one line. */
static int quality_run(const quality_args *a, const char *dir)
{
	hx_spec *spec = hx_spec_new();
	hx_target_spec *t;
	hx_suite_spec *ss;
	hx_run_opts ro;
	hx_run_summary sum;
	char opts[256], err[1024], num[32];
	FILE *devnull = NULL;
	int rc = -1;

	quality_target_options(opts, sizeof opts, a->ctx, a->threads, 1);
	if (!spec || !(t = hx_spec_add_target(spec, "local", a->model)) ||
	    !(ss = hx_spec_add_suite(spec, "quality")))
		goto oom;
	free(t->id);
	if (!(t->id = strdup("model")) || !(t->options_json = strdup(opts)) ||
	    (a->text && !(ss->dataset = strdup(a->text))))
		goto oom;
	ss->limit = a->chunks;
	/* 0: the suite's own default */
	if (a->ctx > 0) {
		snprintf(num, sizeof num, "%ld", (long)a->ctx);
		if (hx_suite_spec_option_set(ss, "window", num))
			goto oom;
	}
	if (a->top_k > 0) {
		snprintf(num, sizeof num, "%ld", (long)a->top_k);
		if (hx_suite_spec_option_set(ss, "top_k", num))
			goto oom;
	}
	if (hx_spec_validate(spec, err, sizeof err)) {
		fprintf(stderr, "tierbench quality: %s\n", err);
		goto done;
	}
	memset(&ro, 0, sizeof ro);
	ro.out_dir = dir;
	ro.quiet = 1;
	ro.log = devnull = fopen("/dev/null", "w");
	if (hx_run(spec, &ro, &sum, err, sizeof err)) {
		fprintf(stderr, "tierbench quality: %s\n", err);
		goto done;
	}
	if (sum.n_scored + sum.n_skipped < sum.n_planned) {
		fprintf(stderr, "tierbench quality: %s: %s\n", a->model, sum.first_err[0][0] ? sum.first_err[0] :
			"some windows could not be scored");
		for (int i = 1; i < 16; i++)
			if (sum.first_err[i][0]) {
				fprintf(stderr, "tierbench quality: %s\n", sum.first_err[i]);
				break;
			}
		goto done;
	}
	rc = 0;
	goto done;
oom:
	fprintf(stderr, "tierbench quality: out of memory\n");
done:
	if (devnull)
		fclose(devnull);
	hx_spec_free(spec);
	return rc;
}

int cli_cmd_quality(int argc, char **argv)
{
	quality_args a = { 0 };
	char err[1024], tmpdir[] = "/tmp/tierbench-quality-XXXXXX", db[4200];
	const char *dir;
	rep_set *s = NULL, *bs = NULL;
	rep_quality q;
	int rc = HX_EXIT_RUNTIME;
	long v;

	a.ctx = 256;
	a.top_k = 16;   /* the suite's default: 128 entries per token */
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
			usage_quality(stdout);
			return HX_EXIT_OK;
		} else if (next && strcmp(o, "--text") == 0) {
			a.text = argv[++i];
		} else if (next && strcmp(o, "--save-baseline") == 0) {
			a.save = argv[++i];
		} else if (next && strcmp(o, "--baseline") == 0) {
			a.baseline = argv[++i];
		} else if (next && strcmp(o, "--out") == 0) {
			a.out = argv[++i];
		} else if (next && (strcmp(o, "--ctx") == 0 || strcmp(o, "--chunks") == 0 ||
				strcmp(o, "--threads") == 0 || strcmp(o, "--top-k") == 0)) {
			if (parse_pos(o, argv[++i], strcmp(o, "--top-k") == 0 ? 16 : 1L << 20, &v))
				return HX_EXIT_USAGE;
			if (strcmp(o, "--ctx") == 0) {
				if (v < 8) {
					fprintf(stderr, "tierbench quality: --ctx: at least 8 tokens\n");
					return HX_EXIT_USAGE;
				}
				a.ctx = v;
			} else if (strcmp(o, "--chunks") == 0) {
				a.chunks = v;
			} else if (strcmp(o, "--threads") == 0) {
				a.threads = v;
			} else {
				a.top_k = v;
			}
		} else if (o[0] == '-' || a.model) {
			usage_quality(stderr);
			return HX_EXIT_USAGE;
		} else {
			a.model = o;
		}
	}
	if (!a.model) {
		usage_quality(stderr);
		return HX_EXIT_USAGE;
	}
	if (hx_file_check(a.model, "model", err, sizeof err) ||
	    (a.text && hx_file_check(a.text, "text", err, sizeof err)) ||
	    (a.baseline && hx_file_check(a.baseline, "baseline", err, sizeof err))) {
		fprintf(stderr, "tierbench quality: %s\n", err);
		return HX_EXIT_RUNTIME;
	}
	if (!(dir = a.out) && !(dir = mkdtemp(tmpdir))) {
		fprintf(stderr, "tierbench quality: cannot create a temporary folder: %s\n", strerror(errno));
		return HX_EXIT_RUNTIME;
	}
	snprintf(db, sizeof db, "%s/results.db", dir);
	if (quality_run(&a, dir))
		goto done;
	if (!(s = rep_set_new()) || rep_set_add_store(s, db, dir, -1, err, sizeof err) ||
	    (a.baseline && (!(bs = rep_set_new()) ||
	     rep_set_add_store(bs, a.baseline, a.baseline, -1, err, sizeof err)))) {
		fprintf(stderr, "tierbench quality: %s\n", err[0] ? err : "out of memory");
		goto done;
	}
	if (rep_quality_compute(s, 0, bs, 0, "quality", 0, 0, &q, err, sizeof err)) {
		if (bs)
			fprintf(stderr, "tierbench quality: %s: baseline made with another text, window or "
				"model vocabulary: %s\n", a.baseline, err);
		else
			fprintf(stderr, "tierbench quality: %s\n", err);
		goto done;
	}
	if (a.save && copy_file(db, a.save, err, sizeof err)) {
		fprintf(stderr, "tierbench quality: %s\n", err);
		goto done;
	}
	printf("%s: PPL %.4f +/- %.4f over %ld tokens (%ld windows of %ld)\n", a.model, q.ppl,
		q.ppl_err, q.n_tokens, q.n_windows, a.ctx);
	if (q.has_baseline)
		printf("vs baseline: KLD mean %.6f median %.6f p99 %.6f, same top token %.2f %%, RMS dp %.3f %%\n",
			q.kld_mean, q.kld_median, q.kld_p99, 100.0 * q.same_top, 100.0 * q.rms_dp);
	rc = HX_EXIT_OK;
done:
	rep_set_free(s);
	rep_set_free(bs);
	if (!a.out)
		remove_run_dir(dir);
	return rc;
}

/* ------------------------------------------------------------------ quant-sweep */

static void usage_sweep(FILE *f)
{
	fprintf(f,
		"usage: tierbench quant-sweep BASE.gguf --types LIST --suites LIST [--out DIR] [options]\n"
		"\n"
		"Quantizes BASE to each type (kept in DIR/models/, reused when present), then runs each\n"
		"suite on the base and every variant with the same items and seeds through the run\n"
		"machinery with the `local` provider into DIR/results.db (one target per model, greedy,\n"
		"generation seed 1, run one model after another; `quality` scores its windows through\n"
		"log-probability requests, with an F32 KV cache), reported with `tierbench report`'s code\n"
		"into DIR/report/ (with the quality table against the base and a verdict table),\n"
		"DIR/quality.md (the quality table alone, when quality ran) and DIR/report/verdicts.md:\n"
		"each variant compared with the base item by item as `tierbench compare` does.\n"
		"Re-running resumes: finished models and stored samples are kept, and the report is\n"
		"written again.\n"
		"\n"
		"  --types LIST      e.g. Q8_0,Q4_K_M,Q2_K (see tierbench quantize --help)\n"
		"  --imatrix FILE    quantize every variant with this importance matrix (needed by the\n"
		"                    IQ1/IQ2 types); the variants are kept as DIR/models/<base>-TYPE-imatrix.gguf\n"
		"  --suites LIST     e.g. gsm8k,humaneval,needle,quality\n"
		"  --out DIR         output folder (default quant-sweep-<base name>)\n"
		"  --limit N         items per suite (default all)\n"
		"  --dataset S=PATH  dataset file of suite S (repeatable), e.g. gsm8k=test.jsonl\n"
		"  --shots N         few-shot exemplars of the suites that take them (gsm8k, math)\n"
		"  --needle-lengths LIST  needle grid lengths in tokens, e.g. 512,1024\n"
		"  --needle-depths N      needle depths per length (default 10)\n"
		"  --max-tokens N    most tokens per answer (default 512)\n"
		"  --n-ctx N         context of the local engine (default: the model's, at most 4096)\n"
		"  --parallel N      requests decoded together per model (default 4)\n"
		"  --max-drop PCT    verdicts: allowed drop in percentage points (default 0)\n"
		"  --fail-on-regression  exit 3 when a variant is significantly worse than the base\n"
		"  --hardware JSON   hardware of every local target, e.g. {\"cost_per_hour\": 0.05}: the\n"
		"                    report's self-host cost (docs/reports.md)\n"
		"  --report DIR      where the report goes (default DIR/report)\n"
		"  --format LIST     report formats: md, html, csv, json (default md,json)\n"
		"  --price-only LIST API rows priced from the price table, e.g. openai/gpt-4o-mini\n"
		"  --prices FILE     price table for --price-only (default: datasets/prices.json)\n"
		"  --text FILE       quality: text to score (default: built-in)\n"
		"  --ctx N           quality: window length (default 256)\n"
		"  --threads N       quantization, quality and engine threads\n"
		"  --force-new       start a new run in DIR's store when the settings changed (another\n"
		"                    --threads, --parallel, --hardware or type list); otherwise a re-run\n"
		"                    resumes and a changed one is refused\n"
		"  --quiet           no progress display\n");
}

/* Splits a comma list in place into at most cap parts; returns the count, or -1 when there are
 * more than cap. */
static int split_list(char *s, char **parts, int cap)
{
	int n = 0;

	for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ","))
		if (*tok) {
			if (n == cap)
				return -1;
			parts[n++] = tok;
		}
	return n;
}

/* a + b + c as a new string. Ownership: caller frees; NULL on ENOMEM. */
static char *cat3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

/* ------------------------------------------------------------------ stopping a sweep */

/* SIGINT / SIGTERM during a sweep. Quantization is computed by engine code that cannot stop
 * halfway, so each variant is written in a child process that the signal ends; it writes to a
 * temporary file renamed into place when whole, so what a stopped sweep leaves is exactly what
 * a re-run keeps. The run phase (every suite, quality too) stops by itself (hx_run). */
static volatile sig_atomic_t sweep_signal;

static void on_sweep_signal(int sig)
{
	sweep_signal = sig;
}

typedef int (*sweep_job_fn)(void *ud);

/* Runs job(ud) in a child process. Returns 0 when it succeeded, -1 when it failed (it printed
 * why), or HX_EINTR when a signal stopped the sweep (the child is ended and reaped; *child gets
 * its pid so the caller can remove the child's temporary files). */
static int sweep_child(sweep_job_fn job, void *ud, pid_t *child)
{
	int st;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (sweep_signal)
		return HX_EINTR;
	if ((pid = fork()) < 0) {
		fprintf(stderr, "tierbench quant-sweep: cannot start a worker process: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		_exit(job(ud) ? 1 : 0);
	}
	*child = pid;
	if (cli_worker_wait(pid, &sweep_signal, 0, "quant-sweep", &st) < 0)
		return -1;
	if (sweep_signal)
		return HX_EINTR;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* The line a stopped sweep ends with. */
static void sweep_stopped(const char *what)
{
	fprintf(stderr, "\ntierbench quant-sweep: stopped by %s while %s; the variants "
		"and samples finished so far are kept: run the same command to resume\n",
		sweep_signal == SIGINT ? "SIGINT" : "SIGTERM", what);
}

/* Removes dir/<name>.tmp.<pid>.* (eng_quantize_file's temporary output) of a stopped child. */
static void remove_child_tmp(const char *path, pid_t pid)
{
	char prefix[700], full[1400], *dir, *slash;
	DIR *d;
	struct dirent *e;
	size_t n;

	if (!(dir = strdup(path)))
		return;
	slash = strrchr(dir, '/');
	snprintf(prefix, sizeof prefix, "%s.tmp.%ld.", slash ? slash + 1 : dir, (long)pid);
	if (slash)
		*slash = 0;
	n = strlen(prefix);
	if ((d = opendir(slash ? dir : "."))) {
		while ((e = readdir(d)))
			if (strncmp(e->d_name, prefix, n) == 0) {
				snprintf(full, sizeof full, "%s/%s", slash ? dir : ".", e->d_name);
				unlink(full);
			}
		closedir(d);
	}
	free(dir);
}

/* DIR/report/verdicts.md: every variant against the base, item by item (reports/compare.c),
 * and one line per variant on stdout. *regressed is set when some variant regressed. */
static int sweep_verdicts(const char *dir, const char *rdir, const char *base,
		const char *const *types, int n_types, double max_drop, int *regressed)
{
	char err[1024], *db = cat3(dir, "/results.db", ""), *md = cat3(rdir, "/verdicts.md", "");
	rep_set *set = rep_set_new();
	rep_compare_opts o;
	FILE *f = NULL;
	int rc = -1;

	rep_compare_opts_default(&o);
	o.max_drop_pct = max_drop;
	if (!db || !md || !set) {
		fprintf(stderr, "tierbench quant-sweep: out of memory\n");
		goto done;
	}
	if (rep_set_add_store(set, db, dir, -1, err, sizeof err)) {
		fprintf(stderr, "tierbench quant-sweep: %s\n", err);
		goto done;
	}
	if (!(f = fopen(md, "w"))) {
		fprintf(stderr, "tierbench quant-sweep: %s: cannot write: %s\n", md, strerror(errno));
		goto done;
	}
	fprintf(f, "# Quantisation verdicts: %s\n\nEach variant against the base on the same items "
		"(greedy, same seed): exact McNemar for pass/fail suites, paired bootstrap otherwise; a "
		"regression is a significant drop (p < %g) of more than %g points.\n\n", base, o.alpha,
		max_drop);
	for (int i = 0; i < n_types; i++) {
		int reg = 0;
		if (rep_compare_targets(f, set, "base", types[i], &o, &reg, err, sizeof err)) {
			fprintf(stderr, "tierbench quant-sweep: %s: %s\n", types[i], err);
			goto done;
		}
		printf("%s vs base: %s\n", types[i], reg ? "REGRESSION" : "no significant regression");
		*regressed |= reg;
	}
	if (fclose(f)) {
		f = NULL;
		fprintf(stderr, "tierbench quant-sweep: %s: cannot write\n", md);
		goto done;
	}
	f = NULL;
	printf("verdicts: %s\n", md);
	rc = 0;
done:
	if (f)
		fclose(f);
	rep_set_free(set);
	free(db);
	free(md);
	return rc;
}

/* Everything a sweep was asked for on its command line. */
typedef struct sweep_args {
	const char *base, *out, *report_dir, *formats, *price_only, *prices, *hardware;
	const char *types_arg, *suites_arg;
	char *types_s, *suites_s;       /* owned copies the lists point into */
	char *types[32], *suites[16];
	int n_types, n_suites;
	const char *datasets[16];
	int n_datasets;
	long limit, max_tokens, n_ctx, n_par, shots, needle_depths;
	long needle_lengths[64];
	size_t n_needle_lengths;
	double max_drop;
	int fail_on_reg, quiet, force_new;
	const char *text;               /* quality: the text (NULL: built-in) */
	long ctx;                       /* quality: window length (0: the suite's 256) */
	eng_quant_params qp;
} sweep_args;

/* "256,512" into a->needle_lengths. */
static int parse_lengths(sweep_args *a, const char *s)
{
	const char *p = s;
	a->n_needle_lengths = 0;
	while (*p) {
		char *end;
		long v;
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno || end == p || (*end && *end != ',') || v < 256 || v > 16777216 ||
		    a->n_needle_lengths == 64) {
			fprintf(stderr, "tierbench quant-sweep: --needle-lengths: expected up to 64 comma-separated "
				"token counts 256..16777216, got '%s'\n", s);
			return -1;
		}
		a->needle_lengths[a->n_needle_lengths++] = v;
		p = *end ? end + 1 : end;
	}
	return a->n_needle_lengths ? 0 : -1;
}

/* Parses argv into a; returns -1 to go on, else the exit code. */
static int sweep_parse(int argc, char **argv, sweep_args *a)
{
	long v;
	memset(a, 0, sizeof *a);
	a->qp = eng_quant_params_default();
	a->max_tokens = 512;
	a->shots = -1;
	a->formats = "md,json";
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		int has_next = i + 1 < argc;
		const char **str = NULL;

		if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
			usage_sweep(stdout);
			return HX_EXIT_OK;
		}
		if (has_next) {
			static const char *const names[] = { "--types", "--suites", "--out", "--text",
				"--report", "--format", "--price-only", "--prices", "--hardware" };
			const char **dst[] = { &a->types_arg, &a->suites_arg, &a->out,
				&a->text, &a->report_dir, &a->formats, &a->price_only, &a->prices,
				&a->hardware };
			for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
				if (strcmp(o, names[k]) == 0)
					str = dst[k];
		}
		if (str) {
			*str = argv[++i];
		} else if (has_next && strcmp(o, "--dataset") == 0) {
			if (a->n_datasets == 16 || !strchr(argv[i + 1], '=')) {
				fprintf(stderr, "tierbench quant-sweep: --dataset: expected SUITE=PATH (at most 16)\n");
				return HX_EXIT_USAGE;
			}
			a->datasets[a->n_datasets++] = argv[++i];
		} else if (has_next && (strcmp(o, "--limit") == 0 || strcmp(o, "--ctx") == 0 ||
				strcmp(o, "--threads") == 0)) {
			if (parse_pos(o, argv[++i], 1L << 20, &v))
				return HX_EXIT_USAGE;
			if (o[2] == 'l')
				a->limit = v;
			else if (o[2] == 'c')
				a->ctx = v < 8 ? 8 : v;
			else
				a->qp.n_threads = (int)v;
		} else if (has_next && strcmp(o, "--imatrix") == 0) {
			a->qp.imatrix_file = argv[++i];
		} else if (has_next && strcmp(o, "--max-tokens") == 0) {
			if (parse_pos(o, argv[++i], 10000000, &a->max_tokens))
				return HX_EXIT_USAGE;
		} else if (has_next && strcmp(o, "--n-ctx") == 0) {
			if (parse_pos(o, argv[++i], 1L << 24, &a->n_ctx))
				return HX_EXIT_USAGE;
		} else if (has_next && strcmp(o, "--parallel") == 0) {
			if (parse_pos(o, argv[++i], 256, &a->n_par))
				return HX_EXIT_USAGE;
		} else if (has_next && strcmp(o, "--shots") == 0) {
			if (parse_range(o, argv[++i], 0, 1000, &a->shots))
				return HX_EXIT_USAGE;
		} else if (has_next && strcmp(o, "--needle-depths") == 0) {
			if (parse_pos(o, argv[++i], 101, &a->needle_depths))
				return HX_EXIT_USAGE;
		} else if (has_next && strcmp(o, "--needle-lengths") == 0) {
			if (parse_lengths(a, argv[++i]))
				return HX_EXIT_USAGE;
		} else if (has_next && strcmp(o, "--max-drop") == 0) {
			char *end;
			a->max_drop = strtod(argv[++i], &end);
			if (end == argv[i] || *end || !(a->max_drop >= 0 && a->max_drop <= 100)) {
				fprintf(stderr, "tierbench quant-sweep: --max-drop: expected percentage points in 0..100, got '%s'\n", argv[i]);
				return HX_EXIT_USAGE;
			}
		} else if (strcmp(o, "--fail-on-regression") == 0) {
			a->fail_on_reg = 1;
		} else if (strcmp(o, "--quiet") == 0) {
			a->quiet = 1;
		} else if (strcmp(o, "--force-new") == 0) {
			a->force_new = 1;
		} else if (o[0] == '-' || a->base) {
			usage_sweep(stderr);
			return HX_EXIT_USAGE;
		} else {
			a->base = o;
		}
	}
	if (!a->base || !a->types_arg || !a->suites_arg) {
		usage_sweep(stderr);
		return HX_EXIT_USAGE;
	}
	if (a->hardware) {
		cJSON *hw = cJSON_Parse(a->hardware);
		int ok = cJSON_IsObject(hw);
		cJSON_Delete(hw);
		if (!ok) {
			fprintf(stderr, "tierbench quant-sweep: --hardware: expected a JSON object, got '%s'\n", a->hardware);
			return HX_EXIT_USAGE;
		}
	}
	if (!(a->types_s = strdup(a->types_arg)) || !(a->suites_s = strdup(a->suites_arg))) {
		fprintf(stderr, "tierbench quant-sweep: out of memory\n");
		return HX_EXIT_RUNTIME;
	}
	a->n_types = split_list(a->types_s, a->types, 32);
	a->n_suites = split_list(a->suites_s, a->suites, 16);
	if (a->n_types < 0 || a->n_suites < 0) {
		fprintf(stderr, "tierbench quant-sweep: %s: at most %d\n", a->n_types < 0 ? "--types" :
			"--suites", a->n_types < 0 ? 32 : 16);
		return HX_EXIT_USAGE;
	}
	for (int i = 0; i < a->n_types; i++) {
		int t = eng_ftype_from_name(a->types[i], NULL);
		if (t < 0) {
			fprintf(stderr, "tierbench quant-sweep: unknown type '%s' (one of %s)\n", a->types[i], eng_ftype_names());
			return HX_EXIT_USAGE;
		}
		/* before any work: a type named twice (names match without case) */
		for (int k = 0; k < i; k++)
			if (eng_ftype_from_name(a->types[k], NULL) == t) {
				fprintf(stderr, "tierbench quant-sweep: --types: '%s' and '%s' are the same type\n",
					a->types[k], a->types[i]);
				return HX_EXIT_USAGE;
			}
	}
	for (int i = 0; i < a->n_suites; i++) {
		size_t ns;
		const suite_info *si = suite_list(&ns);
		if (cli_check_name("tierbench quant-sweep", "suite", a->suites[i], si, ns, sizeof *si))
			return HX_EXIT_USAGE;
	}
	for (int i = 0; i < a->n_suites; i++)
		for (int k = 0; k < i; k++)
			if (strcmp(a->suites[k], a->suites[i]) == 0) {
				fprintf(stderr, "tierbench quant-sweep: --suites: '%s' is named twice\n", a->suites[i]);
				return HX_EXIT_USAGE;
			}
	if (!a->n_types || !a->n_suites) {
		usage_sweep(stderr);
		return HX_EXIT_USAGE;
	}
	{   /* after the usage checks: a usage error stays exit 1 whatever the files are */
		char err[1024];
		if (hx_file_check(a->base, "base model", err, sizeof err) ||
		    (a->text && hx_file_check(a->text, "text", err, sizeof err))) {
			fprintf(stderr, "tierbench quant-sweep: %s\n", err);
			return HX_EXIT_RUNTIME;
		}
	}
	return -1;
}

typedef struct quant_job {
	sweep_args *a;
	const char *out, *type;
} quant_job;

/* One variant, in a worker process: prints its own error line. */
static int quant_job_run(void *ud)
{
	quant_job *j = ud;
	char err[1024];
	qstate s;
	int q;

	memset(&s, 0, sizeof s);
	s.quiet = j->a->quiet;
	j->a->qp.progress = on_tensor;
	j->a->qp.progress_ud = &s;
	q = eng_quantize_file(j->a->base, j->out, j->type, &j->a->qp, err, sizeof err);
	hx_progress_free(s.bar);
	if (q)
		fprintf(stderr, "tierbench quant-sweep: %s\n", err);
	return q;
}

/* 1. The variants in mdir (kept when present); paths[0] is the base, paths[1 + i] type i.
 * Returns 0 or prints one line (a stopped sweep: that it stopped). */
static int sweep_variants(sweep_args *a, const char *mdir, const char *stem, char **paths)
{
	char err[1024];
	if (!(paths[0] = strdup(a->base)))
		goto oom;
	for (int i = 0; i < a->n_types; i++) {
		char name[512];
		int q;
		snprintf(name, sizeof name, "%s/%s-%s%s.gguf", mdir, stem, a->types[i], a->qp.imatrix ? "-imatrix" : "");
		if (!(paths[i + 1] = strdup(name)))
			goto oom;
		if (access(name, R_OK) == 0) {
			if (!a->quiet)
				fprintf(stderr, "%s: present, kept\n", name);
			continue;
		}
		{
			quant_job j = { a, name, a->types[i] };
			pid_t child = 0;
			q = sweep_child(quant_job_run, &j, &child);
			if (q == HX_EINTR) {
				remove_child_tmp(name, child);
				snprintf(err, sizeof err, "quantizing %s", name);
				sweep_stopped(err);
			}
			if (q)
				return -1;
		}
		if (!a->quiet)
			fprintf(stderr, "%s: written\n", name);
	}
	return 0;
oom:
	fprintf(stderr, "tierbench quant-sweep: out of memory\n");
	return -1;
}

static int sweep_run_spec(sweep_args *a, const char *dir, hx_spec *spec, char *err, size_t errlen);

/* 3. The run: one target per model with the same engine and generation settings, each run
 * suite with the same items and seeds. Returns 0 or prints one line. */
static int sweep_run(sweep_args *a, const char *dir, char **paths, hx_spec *spec, int quality)
{
	char opts[200], base_type[32] = "base", err[1024];
	int no = 0, rc;
	/* The same engine settings for every model; greedy with one seed, so each model answers
	 * the same items under the same settings. With quality, an F32 KV cache (its figures do not
	 * carry the cache's rounding) and a context that holds its window. */
	no += snprintf(opts + no, sizeof opts - (size_t)no, "{\"n_parallel\": %ld", a->n_par ? a->n_par : 4);
	if (a->qp.n_threads)
		no += snprintf(opts + no, sizeof opts - (size_t)no, ", \"threads\": %d", a->qp.n_threads);
	if (a->n_ctx || (quality && a->ctx > 4096))
		no += snprintf(opts + no, sizeof opts - (size_t)no, ", \"n_ctx\": %ld",
			quality && a->ctx > a->n_ctx ? a->ctx : a->n_ctx);
	if (quality)
		no += snprintf(opts + no, sizeof opts - (size_t)no, ", \"kv_type\": \"f32\"");
	snprintf(opts + no, sizeof opts - (size_t)no, "}");
	spec->gen.max_tokens = (int)a->max_tokens;
	spec->gen.temperature = 0;
	spec->gen.seed = 1;
	{
		/* The base's own type label (F16, BF16, ...) for the quantisation table. */
		eng_opts eo = eng_opts_default();
		eng_model *em;
		eng_model_info info;
		eo.use_mmap = 1;
		eo.n_threads = 1;
		if ((em = eng_load(a->base, &eo, err, sizeof err))) {
			eng_model_info_get(em, &info);
			if (info.file_type[0])
				snprintf(base_type, sizeof base_type, "%s", info.file_type);
			eng_model_free(em);
		}
	}
	{
		/* One target per file through the run spec's matrix: the base target with a point per
		 * variant (its file and quant label), then the ids this command has always given. */
		hx_target_spec *t = hx_spec_add_target(spec, "local", paths[0]);
		cJSON *m = cJSON_CreateObject(), *pts = cJSON_AddArrayToObject(m, "points");
		char *mj = NULL;
		hx_spec *sw = NULL;
		int bad = !t || !pts || !(t->options_json = strdup(opts)) ||
			(a->hardware && !(t->hardware_json = strdup(a->hardware)));
		if (t)
			t->max_in_flight = (int)(a->n_par ? a->n_par : 4);   /* what the report's throughput assumes */
		for (int i = 0; !bad && i <= a->n_types; i++) {
			cJSON *p = cJSON_CreateObject();
			bad = !p || !cJSON_AddItemToArray(pts, p) ||
				!cJSON_AddStringToObject(p, "id", i ? a->types[i - 1] : "base") ||
				!cJSON_AddStringToObject(p, "model", paths[i]) ||
				!cJSON_AddStringToObject(p, "quant", i ? a->types[i - 1] : base_type);
		}
		if (!bad && (mj = cJSON_PrintUnformatted(m)))
			sw = hx_spec_matrix(spec, mj, a->n_types + 1, err, sizeof err);
		cJSON_Delete(m);
		free(mj);
		if (!sw) {
			fprintf(stderr, "tierbench quant-sweep: %s\n", bad || !mj ? "out of memory" : err);
			return -1;
		}
		for (size_t i = 0; i < sw->n_targets; i++) {
			char *id = strdup(i ? a->types[i - 1] : "base");
			if (!id) {
				hx_spec_free(sw);
				goto oom;
			}
			free(sw->targets[i].id);
			sw->targets[i].id = id;
		}
		rc = sweep_run_spec(a, dir, sw, err, sizeof err);
		hx_spec_free(sw);
		return rc;
	}
oom:
	fprintf(stderr, "tierbench quant-sweep: out of memory\n");
	return -1;
}

/* The run of sweep_run's spec. Returns 0 or prints one line. */
static int sweep_run_spec(sweep_args *a, const char *dir, hx_spec *spec, char *err, size_t errlen)
{
	hx_run_opts ro;
	hx_run_summary sum;
	int rc;

	if (hx_spec_validate(spec, err, errlen)) {
		fprintf(stderr, "tierbench quant-sweep: %s\n", err);
		return -1;
	}
	memset(&ro, 0, sizeof ro);
	ro.out_dir = dir;
	ro.quiet = a->quiet;
	ro.force_new = a->force_new;
	ro.log = stderr;
	if (!a->quiet)
		fprintf(stderr, "run: %d models x %zu suites into %s/results.db\n", a->n_types + 1,
			spec->n_suites, dir);
	if ((rc = hx_run(spec, &ro, &sum, err, errlen))) {
		if (rc == HX_EINTR)
			fprintf(stderr, "\ntierbench quant-sweep: stopped while running the suites; the "
				"variants and samples finished so far are kept: run the same command to resume\n");
		else
			fprintf(stderr, "tierbench quant-sweep: %s\n", err);
		return -1;
	}
	return 0;
}

/* DIR/quality.md: the quality table from the store (every variant against the base), and a
 * line on stdout naming it. Returns 0 or prints one line. */
static int sweep_quality_md(const sweep_args *a, const char *dir)
{
	char err[1024], *db = cat3(dir, "/results.db", ""), *md = cat3(dir, "/quality.md", "");
	rep_set *s = rep_set_new();
	rep_quality r0, r;
	size_t base = 0;
	tb_afile *out = NULL;
	FILE *f;
	int rc = -1;

	if (!db || !md || !s) {
		fprintf(stderr, "tierbench quant-sweep: out of memory\n");
		goto done;
	}
	if (rep_set_add_store(s, db, dir, -1, err, sizeof err)) {
		fprintf(stderr, "tierbench quant-sweep: %s\n", err);
		goto done;
	}
	while (base < rep_set_n_targets(s) && strcmp(rep_set_target_id(s, base), "base") != 0)
		base++;
	if (base == rep_set_n_targets(s) ||
	    rep_quality_compute(s, base, NULL, 0, "quality", 0, 0, &r0, err, sizeof err)) {
		fprintf(stderr, "tierbench quant-sweep: quality of the base: %s\n", base ==
			rep_set_n_targets(s) ? "no base target in the store" : err);
		goto done;
	}
	if (!(out = tb_afile_open(md, err, sizeof err))) {
		fprintf(stderr, "tierbench quant-sweep: %s\n", err);
		goto done;
	}
	f = tb_afile_stream(out);
	fprintf(f, "# Quantisation quality: %s\n\n%ld scored tokens, windows of %ld (the second half "
		"of each scored, as llama-perplexity); KLD in nats over the base's top %d log-probabilities "
		"and the rest of the vocabulary as one bucket (docs/suites.md)\n\n",
		a->base, r0.n_tokens, a->ctx ? a->ctx : 256, 128);
	if (a->qp.imatrix_file)
		fprintf(f, "Every variant was quantized with the importance matrix %s.\n\n", a->qp.imatrix_file);
	fprintf(f, "| model | PPL | ratio | KLD mean | KLD median | KLD p99 | same top | RMS dp | verdict |\n"
		"|---|---|---|---|---|---|---|---|---|\n");
	fprintf(f, "| base | %.4f ± %.4f | 1 | — | — | — | — | — | — |\n", r0.ppl, r0.ppl_err);
	for (int i = 0; i < a->n_types; i++) {
		size_t t = 0;
		while (t < rep_set_n_targets(s) && strcmp(rep_set_target_id(s, t), a->types[i]) != 0)
			t++;
		if (t == rep_set_n_targets(s) ||
		    rep_quality_compute(s, t, s, base, "quality", 0, 0, &r, err, sizeof err)) {
			fprintf(stderr, "tierbench quant-sweep: quality of %s: %s\n", a->types[i],
				t == rep_set_n_targets(s) ? "not in the store" : err);
			goto done;
		}
		fprintf(f, "| %s | %.4f ± %.4f | %.4f | %.5f | %.5f | %.5f | %.2f %% | %.3f %% | %s |\n",
			a->types[i], r.ppl, r.ppl_err, r.ppl / r0.ppl, r.kld_mean, r.kld_median, r.kld_p99,
			100 * r.same_top, 100 * r.rms_dp, rep_quality_verdict(r.ppl / r0.ppl, r.kld_mean));
	}
	rc = tb_afile_commit(out, err, sizeof err);
	out = NULL;
	if (rc) {
		fprintf(stderr, "tierbench quant-sweep: %s\n", err);
		rc = -1;
		goto done;
	}
	printf("quality: %s\n", md);
done:
	tb_afile_abort(out);
	rep_set_free(s);
	free(db);
	free(md);
	return rc;
}

/* 4. The report of the run (with the quality table when the quality suite ran, a verdict table
 * against the base, price-only API rows) into rdir. Returns 0 or prints one line. */
static int sweep_report(const sweep_args *a, const char *dir, const char *rdir)
{
	char drop[32];
	char *rargv[20];
	int n = 0;
	snprintf(drop, sizeof drop, "%g", a->max_drop);
	rargv[n++] = "report";
	rargv[n++] = (char *)dir;
	rargv[n++] = "--format";
	rargv[n++] = (char *)a->formats;
	rargv[n++] = "--out";
	rargv[n++] = (char *)rdir;
	rargv[n++] = "--verdicts-vs";
	rargv[n++] = "base";
	rargv[n++] = "--max-drop";
	rargv[n++] = drop;
	if (a->price_only) {
		rargv[n++] = "--price-only";
		rargv[n++] = (char *)a->price_only;
	}
	if (a->prices) {
		rargv[n++] = "--prices";
		rargv[n++] = (char *)a->prices;
	}
	rargv[n] = NULL;
	return cli_cmd_report(n, rargv) == HX_EXIT_OK ? 0 : -1;   /* it names each file it writes */
}

int cli_cmd_quant_sweep(int argc, char **argv)
{
	sweep_args a;
	char *dir = NULL, *mdir = NULL, *rdir = NULL, *paths[33] = { NULL };
	char stem[256];
	const char *slash;
	int want_quality = 0, regressed = 0, bad_report = 0, rc = sweep_parse(argc, argv, &a);
	hx_spec *spec = NULL;
	eng_imatrix *im = NULL;         /* --imatrix, loaded once for every variant */
	struct sigaction sa, old_int, old_term;

	/* no SA_RESTART: the wait for a worker returns at once to stop it */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sweep_signal;
	sigemptyset(&sa.sa_mask);
	sweep_signal = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (rc >= 0)
		goto done;
	rc = HX_EXIT_RUNTIME;
	slash = strrchr(a.base, '/');
	snprintf(stem, sizeof stem, "%s", slash ? slash + 1 : a.base);
	if (strlen(stem) > 5 && strcmp(stem + strlen(stem) - 5, ".gguf") == 0)
		stem[strlen(stem) - 5] = 0;
	dir = a.out ? strdup(a.out) : cat3("quant-sweep-", stem, "");
	if (!dir || !(mdir = cat3(dir, "/models", "")) ||
	    !(rdir = a.report_dir ? strdup(a.report_dir) : cat3(dir, "/report", "")))
		goto oom;
	{
		char merr[1024];
		if (tb_mkdir_p(mdir, merr, sizeof merr)) {   /* DIR/models, and DIR with it */
			fprintf(stderr, "tierbench quant-sweep: %s\n", merr);
			goto done;
		}
	}
	if (a.qp.imatrix_file) {
		char ierr[1024];

		if (!(im = eng_imatrix_load(a.qp.imatrix_file, ierr, sizeof ierr))) {
			fprintf(stderr, "tierbench quant-sweep: %s\n", ierr);
			goto done;
		}
		a.qp.imatrix = im;
	}
	if (sweep_variants(&a, mdir, stem, paths))
		goto done;
	/* Every suite, quality too, through the run. */
	for (int k = 0; k < a.n_suites; k++) {
		hx_suite_spec *ss;
		if ((!spec && !(spec = hx_spec_new())) || !(ss = hx_spec_add_suite(spec, a.suites[k])))
			goto oom;
		ss->limit = a.limit;
		if (strcmp(ss->name, "quality") == 0) {
			char num[32];

			want_quality = 1;
			if (a.ctx > 0 && (snprintf(num, sizeof num, "%ld", (long)a.ctx),
					  hx_suite_spec_option_set(ss, "window", num)))
				goto oom;
			ss->weight = 0;     /* a measure of the model, not a task: out of the overall tier */
			if (a.text && !(ss->dataset = strdup(a.text)))
				goto oom;
		}
		if (a.shots >= 0 && (strcmp(ss->name, "gsm8k") == 0 || strcmp(ss->name, "math") == 0 ||
		    strcmp(ss->name, "math500") == 0))
			ss->shots = (int)a.shots;
		if (strcmp(ss->name, "needle") == 0) {
			char num[32], lens[64 * 24] = "[";
			size_t used = 1;

			if (a.needle_depths > 0) {
				snprintf(num, sizeof num, "%ld", a.needle_depths);
				if (hx_suite_spec_option_set(ss, "depths", num))
					goto oom;
			}
			for (size_t q = 0; q < a.n_needle_lengths; q++)
				used += (size_t)snprintf(lens + used, sizeof lens - used, "%s%ld", q ? "," : "",
					a.needle_lengths[q]);
			if (a.n_needle_lengths && (snprintf(lens + used, sizeof lens - used, "]"),
						   hx_suite_spec_option_set(ss, "lengths", lens)))
				goto oom;
		}
		for (int d = 0; d < a.n_datasets; d++) {
			size_t nl = strlen(a.suites[k]);
			if (strncmp(a.datasets[d], a.suites[k], nl) == 0 && a.datasets[d][nl] == '=' &&
			    !(ss->dataset = strdup(a.datasets[d] + nl + 1)))
				goto oom;
		}
	}
	if (sweep_signal) {
		sweep_stopped("between phases");
		goto done;
	}
	if (sweep_run(&a, dir, paths, spec, want_quality))
		goto done;
	if (want_quality && sweep_quality_md(&a, dir))
		goto done;
	/* The verdicts do not depend on the report: a report that cannot be written still
	 * leaves verdicts.md and the regression exit. */
	bad_report = sweep_report(&a, dir, rdir) != 0;
	if (sweep_signal || cli_report_signal()) {
		if (!sweep_signal)
			sweep_signal = cli_report_signal();
		sweep_stopped("writing the report");
		goto done;
	}
	if (sweep_verdicts(dir, rdir, a.base, (const char *const *)a.types, a.n_types, a.max_drop,
			&regressed))
		goto done;
	rc = a.fail_on_reg && regressed ? HX_EXIT_REGRESSION : bad_report ? HX_EXIT_RUNTIME : HX_EXIT_OK;
	goto done;
oom:
	fprintf(stderr, "tierbench quant-sweep: out of memory\n");
done:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	hx_spec_free(spec);
	for (int i = 0; i < 33; i++)
		free(paths[i]);
	free(dir);
	free(mdir);
	free(rdir);
	free(a.types_s);
	free(a.suites_s);
	eng_imatrix_free(im);
	return rc;
}
