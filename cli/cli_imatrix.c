/* cli/cli_imatrix.c — `tierbench imatrix MODEL.gguf --text FILE -o OUT`: runs a model over a
 * text in chunks and writes the importance matrix llama.cpp's llama-imatrix would
 * (engine/imatrix.c), in its GGUF format or the legacy .dat, for `tierbench quantize
 * --imatrix`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "cli/cli_impl.h"
#include "harness/harness.h"

static void usage_imatrix(FILE *f)
{
	fprintf(f,
		"usage: tierbench imatrix MODEL.gguf --text FILE -o OUT [--chunks N] [--ctx N] [--batch N]\n"
		"                         [--threads N] [--process-output] [--output-format gguf|dat] [--quiet]\n"
		"\n"
		"Runs the model over the text in chunks of --ctx tokens (default 512; the cache is cleared\n"
		"between chunks, each starts with BOS) and records, for every weight product of the\n"
		"blocks, the sum of the squared inputs per column and the rows seen (per expert of an\n"
		"expert tensor), as llama.cpp's llama-imatrix does. Writes OUT in the GGUF imatrix format\n"
		"(default) or llama.cpp's legacy .dat; `tierbench quantize --imatrix OUT` reads both.\n"
		"\n"
		"  --chunks N          at most N chunks (default: as many as the text holds; the text\n"
		"                      must hold at least two)\n"
		"  --batch N           tokens per decode step (default: --ctx)\n"
		"  --process-output    also collect output.weight\n");
}

static int num(const char *opt, const char *s, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > hi) {
		fprintf(stderr, "tierbench imatrix: %s: '%s' is not a number from 1 to %ld\n", opt, s, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static void on_chunk(int done, int total, void *ud)
{
	if (!*(int *)ud)
		fprintf(stderr, "\rtierbench imatrix: chunk %d/%d", done, total);
	if (done == total && !*(int *)ud)
		fputc('\n', stderr);
}

/* The whole file, NUL-terminated, at most cap bytes. NULL with err. */
static char *read_all(const char *path, size_t cap, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, size = 0;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t got;

		if (n + 65536 + 1 > size) {
			char *nb;

			size = size ? size * 2 : 1 << 20;
			if (!(nb = realloc(buf, size))) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, 65536, f);
		n += got;
		if (n > cap) {
			snprintf(err, errlen, "%s: text is over %zu MiB", path, cap >> 20);
			goto fail;
		}
		if (got < 65536) {
			if (ferror(f)) {
				snprintf(err, errlen, "%s: read error", path);
				goto fail;
			}
			break;
		}
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

int cli_cmd_imatrix(int argc, char **argv)
{
	const char *model = NULL, *text_path = NULL, *out = NULL, *fmt = "gguf";
	eng_imatrix_params p = eng_imatrix_params_default();
	eng_opts o = eng_opts_default();
	eng_model *m = NULL;
	eng_imatrix *im = NULL;
	char *text = NULL, err[1024];
	size_t len = 0;
	int quiet = 0, rc = HX_EXIT_RUNTIME;
	long v;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage_imatrix(stdout);
			return HX_EXIT_OK;
		} else if (strcmp(a, "--text") == 0 && i + 1 < argc) {
			text_path = argv[++i];
		} else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc) {
			out = argv[++i];
		} else if (strcmp(a, "--chunks") == 0 && i + 1 < argc) {
			if (num(a, argv[++i], 1L << 30, &v))
				return HX_EXIT_USAGE;
			p.n_chunks = (int)v;
		} else if (strcmp(a, "--ctx") == 0 && i + 1 < argc) {
			if (num(a, argv[++i], 1L << 20, &v))
				return HX_EXIT_USAGE;
			p.n_ctx = (int)v;
		} else if (strcmp(a, "--batch") == 0 && i + 1 < argc) {
			if (num(a, argv[++i], 1L << 20, &v))
				return HX_EXIT_USAGE;
			p.n_batch = (int)v;
		} else if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
			if (num(a, argv[++i], 256, &v))
				return HX_EXIT_USAGE;
			p.n_threads = o.n_threads = (int)v;
		} else if (strcmp(a, "--process-output") == 0) {
			p.process_output = 1;
		} else if (strcmp(a, "--output-format") == 0 && i + 1 < argc) {
			fmt = argv[++i];
			if (strcmp(fmt, "gguf") != 0 && strcmp(fmt, "dat") != 0) {
				fprintf(stderr, "tierbench imatrix: --output-format: '%s' is not gguf or dat\n", fmt);
				return HX_EXIT_USAGE;
			}
		} else if (strcmp(a, "--quiet") == 0) {
			quiet = 1;
		} else if (a[0] == '-' || model) {
			fprintf(stderr, "tierbench imatrix: unexpected argument '%s'\n", a);
			usage_imatrix(stderr);
			return HX_EXIT_USAGE;
		} else {
			model = a;
		}
	}
	if (!model || !text_path || !out) {
		fprintf(stderr, "tierbench imatrix: %s is required\n", !model ? "MODEL.gguf" : !text_path ? "--text FILE" :
			"-o OUT");
		usage_imatrix(stderr);
		return HX_EXIT_USAGE;
	}
	if (hx_file_check(model, "model", err, sizeof err) || hx_file_check(text_path, "text", err, sizeof err)) {
		fprintf(stderr, "tierbench imatrix: %s\n", err);
		return HX_EXIT_RUNTIME;
	}
	if (!(text = read_all(text_path, (size_t)1 << 30, &len, err, sizeof err)))
		goto fail;
	if (!(m = eng_load(model, &o, err, sizeof err)))
		goto fail;
	p.dataset = text_path;
	p.progress = on_chunk;
	p.progress_ud = &quiet;
	if (!(im = eng_imatrix_compute(m, text, len, &p, err, sizeof err)))
		goto fail;
	if ((strcmp(fmt, "dat") == 0 ? eng_imatrix_save_dat : eng_imatrix_save)(im, out, err, sizeof err))
		goto fail;
	printf("%s: %lld entries from %d chunks of %d tokens (%s format)\n", out,
		(long long)eng_imatrix_n_entries(im), eng_imatrix_chunks(im), p.n_ctx > 0 ? p.n_ctx : 512, fmt);
	rc = HX_EXIT_OK;
	goto done;
fail:
	fprintf(stderr, "tierbench imatrix: %s\n", err);
done:
	eng_imatrix_free(im);
	eng_model_free(m);
	free(text);
	return rc;
}
