/* harness/progress.c — the progress display: a one-line bar redrawn in place on a terminal
 * (done/total, rate, tokens/s, ETA, errors, the target and suite of the latest sample and the
 * last error), a plain line every 10 seconds otherwise, nothing when quiet. Text from servers
 * is escaped before it reaches the terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/harness.h"

struct hx_progress {
	FILE *f;
	int tty, quiet;
	long total, done, errors, n_tokens_out;
	double t0, last_draw;
	const char *unit;      /* "samples", "tensors" */
	char where[96];        /* "target / suite" of the latest sample, "" before any */
	char last_err[120];    /* escaped, "" none */
};

void hx_text_escape(char *dst, size_t cap, const char *src)
{
	size_t o = 0;
	for (; src && *src && o + 1 < cap; src++) {
		unsigned char c = (unsigned char)*src;
		if (c < 0x20 || c == 0x7f) {
			if (o + 5 > cap)
				break;
			snprintf(dst + o, cap - o, "\\x%02x", c);
			o += 4;
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fmt_eta(double s, char *out, size_t cap)
{
	if (s < 0 || s > 1e7)
		snprintf(out, cap, "--:--");
	else if (s >= 3600)
		snprintf(out, cap, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
	else
		snprintf(out, cap, "%02d:%02d", (int)s / 60, (int)s % 60);
}

static void draw(hx_progress *p, int final)
{
	double el = now_s() - p->t0, rate = el > 0 ? p->done / el : 0;
	double tok_rate = el > 0 ? p->n_tokens_out / el : 0;
	double eta = rate > 0 ? (p->total - p->done) / rate : -1;
	char etas[32];
	fmt_eta(eta, etas, sizeof etas);
	if (p->tty) {
		int width = 30, fill = p->total > 0 ? (int)((double)p->done / p->total * width) : width;
		char bar[64];
		for (int i = 0; i < width; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[width] = 0;
		char last[96] = "";
		if (p->last_err[0])
			snprintf(last, sizeof last, "  last error: %.60s", p->last_err);
		fprintf(p->f, "\r[%s] %ld/%ld %s  %s  %.1f/s  %.0f tok/s  ETA %s  errors %ld%s\033[K%s",
			bar, p->done, p->total, p->unit, p->where, rate, tok_rate, etas, p->errors, last,
			final ? "\n" : "");
	} else {
		fprintf(p->f, "progress: %ld/%ld %s%s%s, %.1f/s, %.0f tok/s, ETA %s, %ld errors%s%s\n",
			p->done, p->total, p->unit, p->where[0] ? ", " : "", p->where, rate, tok_rate, etas,
			p->errors, p->last_err[0] ? ", last: " : "", p->last_err);
	}
	fflush(p->f);
	p->last_draw = now_s();
}

hx_progress *hx_progress_new(FILE *f, long total, int quiet)
{
	return hx_progress_new_units(f, total, quiet, "samples");
}

hx_progress *hx_progress_new_units(FILE *f, long total, int quiet, const char *unit)
{
	hx_progress *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->unit = unit;
	p->f = f;
	p->quiet = quiet;
	p->tty = isatty(fileno(f));
	p->total = total;
	p->t0 = now_s();
	p->last_draw = p->t0;
	return p;
}

void hx_progress_add(hx_progress *p, long done, long errors)
{
	double t;
	if (!p)
		return;
	p->done += done;
	p->errors += errors;
	if (p->quiet)
		return;
	t = now_s();
	if (t - p->last_draw >= (p->tty ? 0.1 : 10.0))
		draw(p, 0);
}

void hx_progress_sample(hx_progress *p, const char *target, const char *suite, long n_tokens_out,
	const char *err)
{
	char raw[96];
	if (!p)
		return;
	if (n_tokens_out > 0)
		p->n_tokens_out += n_tokens_out;
	snprintf(raw, sizeof raw, "%s / %s", target ? target : "-", suite ? suite : "-");
	hx_text_escape(p->where, sizeof p->where, raw);
	if (err)
		hx_text_escape(p->last_err, sizeof p->last_err, err[0] ? err : "(no message)");
	hx_progress_add(p, 1, err ? 1 : 0);
}

void hx_progress_free(hx_progress *p)
{
	if (!p)
		return;
	if (!p->quiet && (p->tty || p->done > 0))
		draw(p, 1);
	free(p);
}
