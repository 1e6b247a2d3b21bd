/* harness/cli_quant.c — `tierbench quantize IN OUT TYPE`: writes a quantized copy of a GGUF
 * model with the engine's quantizer (engine/quantize.c, llama-quantize's type mixes), with a
 * progress display and a summary of sizes and requantized tensors; and `tierbench quality`:
 * perplexity and divergence from a baseline (suites/quality.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
