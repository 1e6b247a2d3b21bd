/* harness/progress.c — the progress display: a one-line bar redrawn in place on a terminal
 * (done/total, rate, ETA, errors), a plain line every 10 seconds otherwise, nothing when quiet. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "harness/harness.h"

struct hx_progress {
	FILE *f;
	int tty, quiet;
	long total, done, errors;
	double t0, last_draw;
};

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
	double eta = rate > 0 ? (p->total - p->done) / rate : -1;
	char etas[32];
	fmt_eta(eta, etas, sizeof etas);
	if (p->tty) {
		int width = 30, fill = p->total > 0 ? (int)((double)p->done / p->total * width) : width;
		char bar[64];
		for (int i = 0; i < width; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[width] = 0;
		fprintf(p->f, "\r[%s] %ld/%ld  %.1f/s  ETA %s  errors %ld\033[K%s", bar, p->done,
			p->total, rate, etas, p->errors, final ? "\n" : "");
	} else {
		fprintf(p->f, "progress: %ld/%ld samples, %.1f/s, ETA %s, %ld errors\n", p->done, p->total,
			rate, etas, p->errors);
	}
	fflush(p->f);
	p->last_draw = now_s();
}

hx_progress *hx_progress_new(FILE *f, long total, int quiet)
{
	hx_progress *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
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

void hx_progress_free(hx_progress *p)
{
	if (!p)
		return;
	if (!p->quiet && (p->tty || p->done > 0))
		draw(p, 1);
	free(p);
}
