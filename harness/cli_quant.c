/* harness/cli_quant.c — `tierbench quantize IN OUT TYPE`: writes a quantized copy of a GGUF
 * model with the engine's quantizer (engine/quantize.c, llama-quantize's type mixes), with a
 * progress display and a summary of sizes and requantized tensors; and `tierbench quality`:
 * perplexity and divergence from a baseline (suites/quality.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "harness/cli_impl.h"
#include "harness/harness.h"
#include "suites/suite.h"

typedef struct qstate {
	hx_progress *bar;
	int quiet;
	long n_requant, n_fallback;
	uint64_t bytes_in, bytes_out;
} qstate;

static void on_tensor(const eng_quant_progress *p, void *ud)
{
	qstate *s = ud;

	if (!s->bar)
		s->bar = hx_progress_new(stderr, (long)p->n_tensors, s->quiet);
	hx_progress_add(s->bar, 1, 0);
	s->n_requant += p->requant;
	s->n_fallback += p->fallback;
	s->bytes_in += p->bytes_in;
	s->bytes_out += p->bytes_out;
}

static void usage_quantize(FILE *f)
{
	fprintf(f,
		"usage: tierbench quantize IN.gguf OUT.gguf TYPE [--threads N] [--allow-requantize] [--quiet]\n"
		"\n"
		"Writes a quantized copy of a GGUF model with the per-tensor type mix llama-quantize\n"
		"uses for TYPE (same tensor types and bytes, no imatrix). OUT is written atomically;\n"
		"IN is never changed.\n"
		"\n"
		"TYPE: %s\n"
		"\n"
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

int hx_cmd_quantize(int argc, char **argv)
{
	const char *pos[3] = { NULL, NULL, NULL };
	int n_pos = 0, rc;
	eng_quant_params p = eng_quant_params_default();
	qstate s;
	char err[1024];
	struct timespec t0, t1;

	memset(&s, 0, sizeof s);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage_quantize(stdout);
			return HX_EXIT_OK;
		} else if (strcmp(argv[i], "--allow-requantize") == 0) {
			p.allow_requant = 1;
		} else if (strcmp(argv[i], "--quiet") == 0) {
			s.quiet = 1;
		} else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
			if (parse_threads(argv[++i], &p.n_threads)) {
				fprintf(stderr, "tierbench quantize: --threads: '%s' is not a count from 1 to 256\n", argv[i]);
				return HX_EXIT_USAGE;
			}
		} else if (argv[i][0] == '-' || n_pos == 3) {
			usage_quantize(stderr);
			return HX_EXIT_USAGE;
		} else {
			pos[n_pos++] = argv[i];
		}
	}
	if (n_pos != 3) {
		usage_quantize(stderr);
		return HX_EXIT_USAGE;
	}
	p.progress = on_tensor;
	p.progress_ud = &s;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = eng_quantize_file(pos[0], pos[1], pos[2], &p, err, sizeof err);
	hx_progress_free(s.bar);
	if (rc) {
		fprintf(stderr, "tierbench quantize: %s\n", err);
		return rc == ENG_EINVAL && strstr(err, "unknown type") ? HX_EXIT_USAGE : HX_EXIT_RUNTIME;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
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
		"                         [--save-baseline FILE] [--baseline FILE] [--top-k K]\n"
		"\n"
		"Perplexity of a local model over a text (the built-in one unless --text), in windows of\n"
		"--ctx tokens (default 256) scoring the second half of each, as llama-perplexity does.\n"
		"--save-baseline stores each scored token's top-k log-probabilities (e.g. from the F16\n"
		"model); --baseline compares with them: KL divergence (mean, median, p99), same top token,\n"
		"RMS change of the correct token's probability.\n");
}

static int parse_pos(const char *opt, const char *s, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > hi) {
		fprintf(stderr, "tierbench quality: %s: '%s' is not a number from 1 to %ld\n", opt, s, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int hx_cmd_quality(int argc, char **argv)
{
	suite_quality_opts o = suite_quality_opts_default();
	suite_quality_result r;
	char err[1024];
	long v;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage_quality(stdout);
			return HX_EXIT_OK;
		} else if (next && strcmp(a, "--text") == 0) {
			o.text_path = argv[++i];
		} else if (next && strcmp(a, "--save-baseline") == 0) {
			o.save_baseline_path = argv[++i];
		} else if (next && strcmp(a, "--baseline") == 0) {
			o.baseline_path = argv[++i];
		} else if (next && (strcmp(a, "--ctx") == 0 || strcmp(a, "--chunks") == 0 ||
				strcmp(a, "--threads") == 0 || strcmp(a, "--top-k") == 0)) {
			if (parse_pos(a, argv[++i], strcmp(a, "--top-k") == 0 ? 64 : 1L << 20, &v))
				return HX_EXIT_USAGE;
			if (a[2] == 'c' && a[3] == 't')
				o.n_ctx = (int)v;
			else if (a[2] == 'c')
				o.max_chunks = v;
			else if (a[2] == 't' && a[3] == 'h')
				o.n_threads = (int)v;
			else
				o.top_k = (int)v;
		} else if (a[0] == '-' || o.model_path) {
			usage_quality(stderr);
			return HX_EXIT_USAGE;
		} else {
			o.model_path = a;
		}
	}
	if (!o.model_path) {
		usage_quality(stderr);
		return HX_EXIT_USAGE;
	}
	if (suite_quality_run(&o, &r, err, sizeof err) != 0) {
		fprintf(stderr, "tierbench quality: %s\n", err);
		return HX_EXIT_RUNTIME;
	}
	printf("%s: PPL %.4f +/- %.4f over %ld tokens (%ld windows of %d)\n", o.model_path, r.ppl,
		r.ppl_err, r.n_tokens, r.n_chunks, o.n_ctx);
	if (r.has_baseline)
		printf("vs baseline: KLD mean %.6f median %.6f p99 %.6f, same top token %.2f %%, RMS dp %.3f %%\n",
			r.kld_mean, r.kld_median, r.kld_p99, 100.0 * r.same_top, 100.0 * r.rms_dp);
	return HX_EXIT_OK;
}

/* ------------------------------------------------------------------ quant-sweep */

static void usage_sweep(FILE *f)
{
	fprintf(f,
		"usage: tierbench quant-sweep BASE.gguf --types LIST --suites LIST [--out DIR] [options]\n"
		"\n"
		"Quantizes BASE to each type (kept in DIR/models/, reused when present), then runs each\n"
		"suite on the base and every variant with the same items and seeds, and reports. `quality`\n"
		"(perplexity, KL divergence against the base) is measured here; other suites run through\n"
		"the run machinery with the `local` provider into DIR/results.db (one target per model,\n"
		"greedy, generation seed 1, run one model after another) and are reported with `tierbench\n"
		"report`'s code into DIR/report/, with DIR/report/verdicts.md: each variant compared with\n"
		"the base item by item as `tierbench compare` does. Re-running resumes: finished models,\n"
		"quality figures and stored samples are kept.\n"
		"\n"
		"  --types LIST      e.g. Q8_0,Q4_K_M,Q2_K (see tierbench quantize --help)\n"
		"  --suites LIST     e.g. gsm8k,humaneval,needle,quality\n"
		"  --out DIR         output folder (default quant-sweep-<base name>)\n"
		"  --limit N         items per suite (default all)\n"
		"  --dataset S=PATH  dataset file of suite S (repeatable), e.g. gsm8k=test.jsonl\n"
		"  --max-tokens N    most tokens per answer (default 512)\n"
		"  --n-ctx N         context of the local engine (default: the model's, at most 4096)\n"
		"  --parallel N      requests decoded together per model (default 4)\n"
		"  --max-drop PCT    verdicts: allowed drop in percentage points (default 0)\n"
		"  --fail-on-regression  exit 3 when a variant is significantly worse than the base\n"
		"  --text FILE       quality: text to score (default: built-in)\n"
		"  --ctx N           quality: window length (default 256)\n"
		"  --threads N       quantization, quality and engine threads\n"
		"  --quiet           no progress display\n");
}

/* Splits a comma list in place into at most cap parts; returns the count. */
static int split_list(char *s, char **parts, int cap)
{
	int n = 0;

	for (char *tok = strtok(s, ","); tok && n < cap; tok = strtok(NULL, ","))
		if (*tok)
			parts[n++] = tok;
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

/* Quality of one model, cached in `json` (read back when present so a sweep resumes). */
static int sweep_quality(const char *model, const char *json, suite_quality_opts *o,
		suite_quality_result *r, char *err, size_t errlen)
{
	FILE *f = fopen(json, "r");

	if (f) {
		int ok = fscanf(f, "{\"ppl\": %lf, \"ppl_err\": %lf, \"n_tokens\": %ld, \"has_baseline\": %d, "
			"\"kld_mean\": %lf, \"kld_median\": %lf, \"kld_p99\": %lf, \"same_top\": %lf, \"rms_dp\": %lf}",
			&r->ppl, &r->ppl_err, &r->n_tokens, &r->has_baseline, &r->kld_mean, &r->kld_median,
			&r->kld_p99, &r->same_top, &r->rms_dp) == 9;
		fclose(f);
		if (ok)
			return 0;
	}
	o->model_path = model;
	if (suite_quality_run(o, r, err, errlen))
		return -1;
	if (!(f = fopen(json, "w")))
		return 0;   /* only the cache is lost */
	fprintf(f, "{\"ppl\": %.17g, \"ppl_err\": %.17g, \"n_tokens\": %ld, \"has_baseline\": %d, "
		"\"kld_mean\": %.17g, \"kld_median\": %.17g, \"kld_p99\": %.17g, \"same_top\": %.17g, "
		"\"rms_dp\": %.17g}\n", r->ppl, r->ppl_err, r->n_tokens, r->has_baseline, r->kld_mean,
		r->kld_median, r->kld_p99, r->same_top, r->rms_dp);
	fclose(f);
	return 0;
}

/* The verdict of a variant against the base, from the perplexity ratio and mean KLD (the
 * thresholds llama.cpp users quote: under 1 % PPL and 0.01 nats is indistinguishable). */
static const char *quality_verdict(double ratio, double kld)
{
	if (ratio < 1.01 && kld < 0.01)
		return "same as base";
	if (ratio < 1.05 && kld < 0.05)
		return "small loss";
	if (ratio < 1.15 && kld < 0.2)
		return "clear loss";
	return "large loss";
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

int hx_cmd_quant_sweep(int argc, char **argv)
{
	char *types_s = NULL, *suites_s = NULL, *types[32], *suites[16], err[1024];
	const char *base = NULL, *out = NULL;
	char *dir = NULL, *mdir = NULL, *qdir = NULL, *paths[33] = { NULL }, *bin = NULL, *md = NULL;
	int n_types = 0, n_suites = 0, quiet = 0, want_quality = 0, n_run_suites = 0, rc = HX_EXIT_RUNTIME;
	long limit = 0, v;
	suite_quality_opts qo = suite_quality_opts_default();
	eng_quant_params qp = eng_quant_params_default();
	hx_spec *spec = NULL;
	FILE *f = NULL;
	const char *datasets[16];
	int n_datasets = 0, fail_on_reg = 0, regressed = 0;
	long max_tokens = 512, n_ctx = 0, n_par = 0;
	double max_drop = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has_next = i + 1 < argc;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage_sweep(stdout);
			return HX_EXIT_OK;
		} else if (has_next && strcmp(a, "--types") == 0) {
			types_s = argv[++i];
		} else if (has_next && strcmp(a, "--suites") == 0) {
			suites_s = argv[++i];
		} else if (has_next && strcmp(a, "--dataset") == 0) {
			if (n_datasets == 16 || !strchr(argv[i + 1], '=')) {
				fprintf(stderr, "tierbench quant-sweep: --dataset: expected SUITE=PATH (at most 16)\n");
				return HX_EXIT_USAGE;
			}
			datasets[n_datasets++] = argv[++i];
		} else if (has_next && strcmp(a, "--out") == 0) {
			out = argv[++i];
		} else if (has_next && strcmp(a, "--text") == 0) {
			qo.text_path = argv[++i];
		} else if (has_next && (strcmp(a, "--limit") == 0 || strcmp(a, "--ctx") == 0 ||
				strcmp(a, "--threads") == 0)) {
			if (parse_pos(a, argv[++i], 1L << 20, &v))
				return HX_EXIT_USAGE;
			if (a[2] == 'l')
				limit = v;
			else if (a[2] == 'c')
				qo.n_ctx = (int)v;
			else
				qo.n_threads = qp.n_threads = (int)v;
		} else if (has_next && strcmp(a, "--max-tokens") == 0) {
			if (parse_pos(a, argv[++i], 10000000, &max_tokens))
				return HX_EXIT_USAGE;
		} else if (has_next && strcmp(a, "--n-ctx") == 0) {
			if (parse_pos(a, argv[++i], 1L << 24, &n_ctx))
				return HX_EXIT_USAGE;
		} else if (has_next && strcmp(a, "--parallel") == 0) {
			if (parse_pos(a, argv[++i], 256, &n_par))
				return HX_EXIT_USAGE;
		} else if (has_next && strcmp(a, "--max-drop") == 0) {
			char *end;
			max_drop = strtod(argv[++i], &end);
			if (end == argv[i] || *end || !(max_drop >= 0 && max_drop <= 100)) {
				fprintf(stderr, "tierbench quant-sweep: --max-drop: expected percentage points in 0..100, got '%s'\n", argv[i]);
				return HX_EXIT_USAGE;
			}
		} else if (strcmp(a, "--fail-on-regression") == 0) {
			fail_on_reg = 1;
		} else if (strcmp(a, "--quiet") == 0) {
			quiet = 1;
		} else if (a[0] == '-' || base) {
			usage_sweep(stderr);
			return HX_EXIT_USAGE;
		} else {
			base = a;
		}
	}
	if (!base || !types_s || !suites_s) {
		usage_sweep(stderr);
		return HX_EXIT_USAGE;
	}
	if (!(types_s = strdup(types_s)) || !(suites_s = strdup(suites_s)))
		goto oom;
	n_types = split_list(types_s, types, 32);
	n_suites = split_list(suites_s, suites, 16);
	for (int i = 0; i < n_types; i++)
		if (eng_ftype_from_name(types[i], NULL) < 0) {
			fprintf(stderr, "tierbench quant-sweep: unknown type '%s' (one of %s)\n", types[i], eng_ftype_names());
			rc = HX_EXIT_USAGE;
			goto done;
		}
	if (!n_types || !n_suites) {
		usage_sweep(stderr);
		rc = HX_EXIT_USAGE;
		goto done;
	}
	{
		const char *slash = strrchr(base, '/');
		char stem[256];
		snprintf(stem, sizeof stem, "%s", slash ? slash + 1 : base);
		if (strlen(stem) > 5 && strcmp(stem + strlen(stem) - 5, ".gguf") == 0)
			stem[strlen(stem) - 5] = 0;
		dir = out ? strdup(out) : cat3("quant-sweep-", stem, "");
		if (!dir || !(mdir = cat3(dir, "/models", "")) || !(qdir = cat3(dir, "/quality", "")))
			goto oom;
		if ((mkdir(dir, 0777) && errno != EEXIST) || (mkdir(mdir, 0777) && errno != EEXIST)) {
			fprintf(stderr, "tierbench quant-sweep: %s: cannot create: %s\n", dir, strerror(errno));
			goto done;
		}
		/* 1. the variants */
		for (int i = 0; i < n_types; i++) {
			char name[512];
			snprintf(name, sizeof name, "%s/%s-%s.gguf", mdir, stem, types[i]);
			if (!(paths[i + 1] = strdup(name)))
				goto oom;
			if (access(name, R_OK) == 0) {
				if (!quiet)
					fprintf(stderr, "%s: present, kept\n", name);
				continue;
			}
			qstate s;
			memset(&s, 0, sizeof s);
			s.quiet = quiet;
			qp.progress = on_tensor;
			qp.progress_ud = &s;
			int q = eng_quantize_file(base, name, types[i], &qp, err, sizeof err);
			hx_progress_free(s.bar);
			if (q) {
				fprintf(stderr, "tierbench quant-sweep: %s\n", err);
				goto done;
			}
		}
		paths[0] = strdup(base);
		if (!paths[0])
			goto oom;
	}
	/* 2. suites through the run machinery: one run, base + variants as targets */
	for (int k = 0; k < n_suites; k++) {
		if (strcmp(suites[k], "quality") == 0) {
			want_quality = 1;
			continue;
		}
		if (!spec && !(spec = hx_spec_new()))
			goto oom;
		hx_suite_spec *ss = hx_spec_add_suite(spec, suites[k]);
		if (!ss)
			goto oom;
		ss->limit = limit;
		for (int d = 0; d < n_datasets; d++) {
			size_t nl = strlen(suites[k]);
			if (strncmp(datasets[d], suites[k], nl) == 0 && datasets[d][nl] == '=' &&
			    !(ss->dataset = strdup(datasets[d] + nl + 1)))
				goto oom;
		}
		n_run_suites++;
	}
	if (spec) {
		hx_run_opts ro;
		hx_run_summary sum;
		char opts[160], base_type[32] = "base";
		int no = 0;
		/* The same engine settings for every model; greedy with one seed, so each model
		 * answers the same items under the same settings. */
		no += snprintf(opts + no, sizeof opts - (size_t)no, "{\"n_parallel\": %ld", n_par ? n_par : 4);
		if (qp.n_threads)
			no += snprintf(opts + no, sizeof opts - (size_t)no, ", \"threads\": %d", qp.n_threads);
		if (n_ctx)
			no += snprintf(opts + no, sizeof opts - (size_t)no, ", \"n_ctx\": %ld", n_ctx);
		snprintf(opts + no, sizeof opts - (size_t)no, "}");
		spec->gen.max_tokens = (int)max_tokens;
		spec->gen.temperature = 0;
		spec->gen.seed = 1;
		{
			/* The base's own type label (F16, BF16, ...) for the quantisation table. */
			eng_opts eo = eng_opts_default();
			eng_model *em;
			eng_model_info info;
			eo.use_mmap = 1;
			eo.n_threads = 1;
			if ((em = eng_load(base, &eo, err, sizeof err))) {
				eng_model_info_get(em, &info);
				if (info.file_type[0])
					snprintf(base_type, sizeof base_type, "%s", info.file_type);
				eng_model_free(em);
			}
		}
		for (int i = 0; i <= n_types; i++) {
			hx_target_spec *t = hx_spec_add_target(spec, "local", paths[i]);
			if (!t)
				goto oom;
			free(t->id);
			free(t->quant);
			t->id = strdup(i ? types[i - 1] : "base");
			t->quant = strdup(i ? types[i - 1] : base_type);
			t->options_json = strdup(opts);
			if (!t->id || !t->quant || !t->options_json)
				goto oom;
		}
		if (hx_spec_validate(spec, err, sizeof err)) {
			fprintf(stderr, "tierbench quant-sweep: %s\n", err);
			goto done;
		}
		memset(&ro, 0, sizeof ro);
		ro.out_dir = dir;
		ro.quiet = quiet;
		ro.log = stderr;
		if (hx_run(spec, &ro, &sum, err, sizeof err)) {
			fprintf(stderr, "tierbench quant-sweep: %s\n", err);
			goto done;
		}
		char *rdir = cat3(dir, "/report", "");
		char *rargv[] = { "report", dir, "--format", "md,json", "--out", rdir, NULL };
		if (!rdir)
			goto oom;
		if (hx_cmd_report(6, rargv) != HX_EXIT_OK) {
			free(rdir);
			goto done;
		}
		printf("report: %s/report.md\n", rdir);
		if (sweep_verdicts(dir, rdir, base, (const char *const *)types, n_types, max_drop,
				&regressed)) {
			free(rdir);
			goto done;
		}
		free(rdir);
	}
	(void)n_run_suites;
	/* 3. quality: base with a saved baseline, then each variant against it */
	if (want_quality) {
		suite_quality_result r0, r;
		char json[600];
		if ((mkdir(qdir, 0777) && errno != EEXIST) || !(bin = cat3(qdir, "/base-topk.bin", "")) ||
		    !(md = cat3(dir, "/quality.md", "")))
			goto oom;
		snprintf(json, sizeof json, "%s/base.json", qdir);
		qo.save_baseline_path = access(bin, R_OK) == 0 ? NULL : bin;
		if (qo.save_baseline_path)
			unlink(json);   /* the cached figures belong to the missing baseline */
		if (sweep_quality(paths[0], json, &qo, &r0, err, sizeof err))
			goto qfail;
		qo.save_baseline_path = NULL;
		qo.baseline_path = bin;
		if (!(f = fopen(md, "w"))) {
			fprintf(stderr, "tierbench quant-sweep: %s: cannot write\n", md);
			goto done;
		}
		fprintf(f, "# Quantisation quality: %s\n\n%ld scored tokens, windows of %d; KLD in nats "
			"against the base's top-%d log-probabilities (a lower bound, docs/suites.md)\n\n"
			"| model | PPL | ratio | KLD mean | KLD median | KLD p99 | same top | RMS dp | verdict |\n"
			"|---|---|---|---|---|---|---|---|---|\n", base, r0.n_tokens, qo.n_ctx, qo.top_k);
		fprintf(f, "| base | %.4f ± %.4f | 1 | — | — | — | — | — | — |\n", r0.ppl, r0.ppl_err);
		for (int i = 0; i < n_types; i++) {
			snprintf(json, sizeof json, "%s/%s.json", qdir, types[i]);
			if (sweep_quality(paths[i + 1], json, &qo, &r, err, sizeof err))
				goto qfail;
			fprintf(f, "| %s | %.4f ± %.4f | %.4f | %.5f | %.5f | %.5f | %.2f %% | %.3f %% | %s |\n",
				types[i], r.ppl, r.ppl_err, r.ppl / r0.ppl, r.kld_mean, r.kld_median, r.kld_p99,
				100 * r.same_top, 100 * r.rms_dp, quality_verdict(r.ppl / r0.ppl, r.kld_mean));
		}
		if (fclose(f)) {
			f = NULL;
			fprintf(stderr, "tierbench quant-sweep: %s: cannot write\n", md);
			goto done;
		}
		f = NULL;
		printf("quality: %s\n", md);
	}
	rc = fail_on_reg && regressed ? HX_EXIT_REGRESSION : HX_EXIT_OK;
	goto done;
qfail:
	fprintf(stderr, "tierbench quant-sweep: %s\n", err);
	goto done;
oom:
	fprintf(stderr, "tierbench quant-sweep: out of memory\n");
done:
	if (f)
		fclose(f);
	hx_spec_free(spec);
	for (int i = 0; i <= n_types && i < 33; i++)
		free(paths[i]);
	free(bin);
	free(md);
	free(dir);
	free(mdir);
	free(qdir);
	free(types_s);
	free(suites_s);
	return rc;
}
