/* reports/charts.c — gnuplot charts: accuracy vs $ per M tokens (log x) with the Pareto
 * frontier, accuracy by quantisation (bits per weight) per model, TTFT and inter-token latency
 * distributions, and a needle-in-a-haystack heat map (context length x depth) per target and
 * suite whose item ids name grid cells.
 * Each chart is a .dat and a .gp file kept beside its PNG and SVG so users can restyle it;
 * gnuplot runs as a child process with its output discarded. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/base.h"
#include "reports/report_impl.h"

extern char **environ;

typedef struct chart_ctx {
	const rep_set *s;
	const rep_analysis *a;
	const char *dir;
	char *err;
	size_t errlen;
	char names[REP_MAX_CHARTS][REP_CHART_NAME];   /* charts written (base names) */
	int n;
} chart_ctx;

static FILE *open_in(chart_ctx *c, const char *name, const char *ext)
{
	char path[4096];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s.%s", c->dir, name, ext);
	if (!(f = fopen(path, "w")))
		snprintf(c->err, c->errlen, "%s: cannot write: %s", path, strerror(errno));
	return f;
}

static int close_chk(chart_ctx *c, FILE *f, const char *name)
{
	if (fclose(f) != 0) {
		snprintf(c->err, c->errlen, "%s/%s: write failed", c->dir, name);
		return REP_EIO;
	}
	return 0;
}

/* A label safe inside a gnuplot double-quoted string. */
static void gp_label(FILE *f, const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || *s == '\n')
			fputc('_', f);
		else if (*s == '_' || *s == '@' || *s == '^' || *s == '{' || *s == '}')
			fprintf(f, "\\\\%c", *s);   /* enhanced-text escapes */
		else
			fputc(*s, f);
}

/* Data labels go in the .dat file in double quotes, so a space or '#' cannot split them. */
static void dat_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		fputc(*s == '"' || *s == '\n' ? '\'' : *s, f);
	fputc('"', f);
}

static void gp_head(FILE *f, const char *title, const char *xl, const char *yl)
{
	fputs("# tierbench chart; render with e.g.\n"
	      "#   gnuplot -e \"set terminal svg size 900,560; set output 'x.svg'\" this.gp\n", f);
	fprintf(f, "set title \"%s\"\nset xlabel \"%s\"\nset ylabel \"%s\"\n", title, xl, yl);
	fputs("set grid\nset key outside right top\nset datafile separator whitespace\n", f);
}

/* Records a chart whose .dat and .gp are written; returns the close status. */
static int chart_done(chart_ctx *c, int rc, const char *name)
{
	if (!rc && c->n < REP_MAX_CHARTS)
		snprintf(c->names[c->n++], sizeof c->names[0], "%s", name);
	return rc;
}

/* ---------------------------------------------------------------- point labels
 * gnuplot puts every point label at one fixed offset, so labels of close points print over each
 * other. Each label gets one of a few placements instead, chosen greedily in a pixel model of
 * the plot (the axes' ranges are set explicitly, so the model holds): the first placement whose
 * box clears the labels placed so far and every point marker, else the one overlapping least.
 * The .dat carries the placement; the .gp draws one label layer per placement. */

#define PLOT_W 580.0        /* plot area of a 900 x 560 chart with the key outside, px */
#define PLOT_H 460.0
#define LBL_CW 6.0          /* width of a label character (font 8), px */
#define LBL_H 11.0          /* label height, px */
#define N_PLACE 6

/* Offsets in character units (gnuplot's) and alignment of each placement: above, below,
 * right, left, above right, below right. */
static const struct { double dx, dy; const char *align; } place_gp[N_PLACE] = {
	{ 0, 1, "center" }, { 0, -1, "center" }, { 1, 0, "left" }, { -1, 0, "right" },
	{ 0.5, 1, "left" }, { 0.5, -1, "left" },
};

typedef struct lbl {
	double x, y;                /* the point, px from the plot's bottom left */
	size_t len;                 /* characters */
	int place;                  /* chosen placement */
	double box[4];              /* x0, y0, x1, y1 of the chosen label */
} lbl;

static void lbl_box(const lbl *l, int p, double *b)
{
	double w = LBL_CW * (double)l->len, cx = 6 * place_gp[p].dx, cy = 12 * place_gp[p].dy;
	b[0] = !strcmp(place_gp[p].align, "center") ? l->x + cx - w / 2 :
		!strcmp(place_gp[p].align, "left") ? l->x + cx : l->x + cx - w;
	b[2] = b[0] + w;
	b[1] = l->y + cy - LBL_H / 2;
	b[3] = b[1] + LBL_H;
}

static double overlap(const double *a, const double *b, double pad)
{
	double ox = fmin(a[2], b[2]) - fmax(a[0], b[0]) + pad, oy = fmin(a[3], b[3]) - fmax(a[1], b[1]) + pad;
	return ox > 0 && oy > 0 ? ox * oy : 0;
}

/* Chooses every label's placement, in order. */
static void place_labels(lbl *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		double best = INFINITY;
		for (int p = 0; p < N_PLACE && best > 0; p++) {
			double b[4], cost = 0;
			lbl_box(&v[i], p, b);
			if (b[0] < 0 || b[2] > PLOT_W || b[1] < 0 || b[3] > PLOT_H)
				cost += 1e4;            /* outside the frame: only as a last resort */
			for (size_t j = 0; j < n; j++) {
				double m[4] = { v[j].x - 5, v[j].y - 5, v[j].x + 5, v[j].y + 5 };
				cost += overlap(b, m, 0);
				if (j < i)
					cost += overlap(b, v[j].box, 2);
			}
			if (cost < best) {
				best = cost;
				v[i].place = p;
				memcpy(v[i].box, b, sizeof b);
			}
		}
	}
}

/* Padded axis range of values v[n] (log10 when lg; every v > 0 then), at least min_span wide
 * (in log10 units when lg): writes lo and hi; 0..1 (1..10 when lg) when n is 0. */
static void axis_range(const double *v, size_t n, int lg, double min_span, double *lo, double *hi)
{
	double a = INFINITY, b = -INFINITY, pad;
	if (!n) {
		*lo = lg ? 1 : 0;
		*hi = lg ? 10 : 1;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		double x = lg ? log10(v[i]) : v[i];
		a = fmin(a, x);
		b = fmax(b, x);
	}
	if (b - a < min_span) {
		double mid = (a + b) / 2;
		a = mid - min_span / 2;
		b = mid + min_span / 2;
	}
	pad = 0.1 * (b - a);
	*lo = lg ? pow(10, a - pad) : a - pad;
	*hi = lg ? pow(10, b + pad) : b + pad;
}

/* Pixel position of value x on an axis [lo, hi] of len px (log when lg). */
static double to_px(double x, double lo, double hi, int lg, double len)
{
	return lg ? (log10(x) - log10(lo)) / (log10(hi) - log10(lo)) * len : (x - lo) / (hi - lo) * len;
}

/* The label layers of a plot: one "with labels" per placement, from FILE's index IDX (or the
 * whole file when idx < 0) with x, y, label and placement in columns 1, 2, LC and PC. */
static void gp_label_layers(FILE *g, const char *file, int idx, int lc, int pc)
{
	for (int p = 0; p < N_PLACE; p++) {
		fprintf(g, ", \\\n     '%s'", file);
		if (idx >= 0)
			fprintf(g, " index %d", idx);
		fprintf(g, " using 1:($%d == %d ? $2 : 1/0):%d with labels %s offset %g,%g font ',8' "
			"noenhanced notitle", pc, p, lc, place_gp[p].align, place_gp[p].dx, place_gp[p].dy);
	}
}

static double target_accuracy(const chart_ctx *c, size_t t)
{
	double sum = 0, w = 0;
	for (size_t k = 0; k < c->a->n_suites; k++) {
		const rep_ts *ts = rep_set_find_ts(c->s, t, c->a->suites[k]);
		if (ts && ts->n && c->a->weights[k] > 0) {
			sum += c->a->weights[k] * ts->acc;
			w += c->a->weights[k];
		}
	}
	return w > 0 ? sum / w : NAN;
}

static int chart_cost(chart_ctx *c)
{
	FILE *d, *g;
	size_t n = 0, *idx = malloc((c->a->n_cost + 1) * sizeof *idx);
	double best = -1, xlo, xhi, ylo, yhi;
	if (!idx)
		return REP_ENOMEM;
	for (size_t i = 0; i < c->a->n_cost; i++)
		if (c->a->cost[i].blended_mtok > 0 && !isnan(target_accuracy(c, c->a->cost[i].target)))
			idx[n++] = i;
	if (!n) {
		free(idx);
		return 0;
	}
	/* by cost, then accuracy descending: the frontier is each point better than all cheaper */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0; j--) {
			const rep_cost_row *x = &c->a->cost[idx[j - 1]], *y = &c->a->cost[idx[j]];
			double ax = target_accuracy(c, x->target), ay = target_accuracy(c, y->target);
			if (x->blended_mtok < y->blended_mtok || (x->blended_mtok == y->blended_mtok && ax >= ay))
				break;
			size_t t = idx[j - 1];
			idx[j - 1] = idx[j];
			idx[j] = t;
		}
	if (!(d = open_in(c, "accuracy_cost", "dat"))) {
		free(idx);
		return REP_EIO;
	}
	{
		lbl *lv = calloc(n, sizeof *lv);
		double *xs = calloc(n, sizeof *xs), *ys = calloc(n, sizeof *ys);
		if (!lv || !xs || !ys) {
			free(lv);
			free(xs);
			free(ys);
			free(idx);
			fclose(d);
			return REP_ENOMEM;
		}
		for (size_t i = 0; i < n; i++) {
			xs[i] = c->a->cost[idx[i]].blended_mtok;
			ys[i] = 100 * target_accuracy(c, c->a->cost[idx[i]].target);
		}
		axis_range(xs, n, 1, 1, &xlo, &xhi);
		axis_range(ys, n, 0, 4, &ylo, &yhi);
		for (size_t i = 0; i < n; i++) {
			lv[i].x = to_px(xs[i], xlo, xhi, 1, PLOT_W);
			lv[i].y = to_px(ys[i], ylo, yhi, 0, PLOT_H);
			lv[i].len = strlen(c->s->targets[c->a->cost[idx[i]].target].label);
		}
		place_labels(lv, n);
		fputs("# usd_per_mtok_blended accuracy_pct on_frontier label label_placement\n", d);
		for (size_t i = 0; i < n; i++) {
			int front = ys[i] > best;
			if (front)
				best = ys[i];
			fprintf(d, "%.6g %.4f %d ", xs[i], ys[i], front);
			dat_label(d, c->s->targets[c->a->cost[idx[i]].target].label);
			fprintf(d, " %d\n", lv[i].place);
		}
		free(lv);
		free(xs);
		free(ys);
	}
	free(idx);
	if (close_chk(c, d, "accuracy_cost.dat") || !(g = open_in(c, "accuracy_cost", "gp")))
		return REP_EIO;
	gp_head(g, "Accuracy vs cost", "$ per M tokens (blended, log scale)", "accuracy % (weighted mean of suites)");
	fprintf(g, "set logscale x\nset xrange [%.6g:%.6g]\nset yrange [%.4f:%.4f]\n"
	      "plot 'accuracy_cost.dat' using 1:2 with points pt 7 ps 1.2 title 'targets', \\\n"
	      "     '' using ($3 == 1 ? $1 : 1/0):2 with linespoints lw 2 dt 2 title 'Pareto frontier'",
	      xlo, xhi, ylo, yhi);
	gp_label_layers(g, "accuracy_cost.dat", -1, 4, 5);
	fputc('\n', g);
	return chart_done(c, close_chk(c, g, "accuracy_cost.gp"), "accuracy_cost");
}

static int chart_quant(chart_ctx *c)
{
	FILE *d, *g;
	int blocks = 0;
	const rep_ts *prev_best = NULL;
	size_t n = 0;
	lbl *lv;
	double *xs, *ys, xlo, xhi, ylo, yhi;
	if (!c->a->n_quant)
		return 0;
	lv = calloc(c->a->n_quant, sizeof *lv);
	xs = calloc(c->a->n_quant, sizeof *xs);
	ys = calloc(c->a->n_quant, sizeof *ys);
	if (!lv || !xs || !ys || !(d = open_in(c, "accuracy_by_quant", "dat"))) {
		int rc = lv && xs && ys ? REP_EIO : REP_ENOMEM;
		free(lv);
		free(xs);
		free(ys);
		return rc;
	}
	fputs("# one block per base model x suite: bpw accuracy_pct quant\n", d);
	/* rows of one model x suite are adjacent and share their best row */
	for (size_t i = 0; i < c->a->n_quant; i++) {
		const rep_quant_row *q = &c->a->quant[i];
		const rep_target *t = &c->s->targets[q->ts->target];
		if (q->best != prev_best) {
			if (blocks)
				fputs("\n\n", d);
			fputs("# ", d);
			dat_label(d, t->base);
			fprintf(d, " %s\n", q->ts->suite);
			prev_best = q->best;
			blocks++;
		}
		if (t->bpw > 0) {
			fprintf(d, "%.4f %.4f ", t->bpw, 100 * q->ts->acc);
			dat_label(d, t->quant ? t->quant : t->label);
			fputc('\n', d);
			xs[n] = t->bpw;
			ys[n] = 100 * q->ts->acc;
			lv[n++].len = strlen(t->quant ? t->quant : t->label);
		}
	}
	/* the labels, placed together: one more block after the lines */
	axis_range(xs, n, 0, 1, &xlo, &xhi);
	axis_range(ys, n, 0, 4, &ylo, &yhi);
	for (size_t i = 0; i < n; i++) {
		lv[i].x = to_px(xs[i], xlo, xhi, 0, PLOT_W);
		lv[i].y = to_px(ys[i], ylo, yhi, 0, PLOT_H);
	}
	place_labels(lv, n);
	fputs("\n\n# labels: bpw accuracy_pct quant label_placement\n", d);
	n = 0;
	for (size_t i = 0; i < c->a->n_quant; i++) {
		const rep_target *t = &c->s->targets[c->a->quant[i].ts->target];
		if (t->bpw > 0) {
			fprintf(d, "%.4f %.4f ", xs[n], ys[n]);
			dat_label(d, t->quant ? t->quant : t->label);
			fprintf(d, " %d\n", lv[n++].place);
		}
	}
	free(lv);
	free(xs);
	free(ys);
	if (close_chk(c, d, "accuracy_by_quant.dat") || !(g = open_in(c, "accuracy_by_quant", "gp")))
		return REP_EIO;
	gp_head(g, "Accuracy by quantisation", "bits per weight", "accuracy %");
	fprintf(g, "set xrange [%.4f:%.4f]\nset yrange [%.4f:%.4f]\nplot ", xlo, xhi, ylo, yhi);
	prev_best = NULL;
	blocks = 0;
	for (size_t i = 0; i < c->a->n_quant; i++) {
		const rep_quant_row *q = &c->a->quant[i];
		if (q->best == prev_best)
			continue;
		prev_best = q->best;
		fprintf(g, "%s'accuracy_by_quant.dat' index %d using 1:2 smooth unique with linespoints "
			"pt 7 title \"", blocks ? ", \\\n     " : "", blocks);
		gp_label(g, c->s->targets[q->ts->target].base);
		fputs(" / ", g);
		gp_label(g, q->ts->suite);
		fputs("\"", g);
		blocks++;
	}
	gp_label_layers(g, "accuracy_by_quant.dat", blocks, 3, 4);
	fputc('\n', g);
	return chart_done(c, close_chk(c, g, "accuracy_by_quant.gp"), "accuracy_by_quant");
}

/* Empirical CDF per target of TTFT (itl = 0) or inter-token gaps (itl = 1), all suites pooled. */
static int chart_latency(chart_ctx *c, int itl)
{
	const char *name = itl ? "itl" : "ttft";
	FILE *d = NULL, *g;
	int blocks = 0;
	for (size_t t = 0; t < c->s->n_targets; t++) {
		size_t n = 0, k = 0;
		double *v;
		for (size_t i = 0; i < c->s->n_ts; i++)
			if (c->s->ts[i].target == t)
				n += itl ? c->s->ts[i].n_itl : c->s->ts[i].n_ttft;
		if (!n)
			continue;
		if (!(v = malloc(n * sizeof *v))) {
			if (d)
				fclose(d);
			return REP_ENOMEM;
		}
		for (size_t i = 0; i < c->s->n_ts; i++)
			if (c->s->ts[i].target == t) {
				const rep_ts *ts = &c->s->ts[i];
				size_t m = itl ? ts->n_itl : ts->n_ttft;
				if (m)
					memcpy(v + k, itl ? ts->itl : ts->ttft, m * sizeof *v);
				k += m;
			}
		rep_quantile(v, n, 0.5);   /* sorts */
		if (!d && !(d = open_in(c, name, "dat"))) {
			free(v);
			return REP_EIO;
		}
		fputs(blocks ? "\n\n# " : "# ", d);
		dat_label(d, c->s->targets[t].label);
		fputs("\n", d);
		for (size_t i = 0; i < n; i++)
			fprintf(d, "%.3f %.6f\n", v[i], (double)(i + 1) / (double)n);
		free(v);
		blocks++;
	}
	if (!blocks)
		return 0;
	if (close_chk(c, d, name) || !(g = open_in(c, name, "gp")))
		return REP_EIO;
	gp_head(g, itl ? "Inter-token latency distribution" : "Time to first token distribution",
		itl ? "inter-token gap, ms" : "TTFT, ms",
		itl ? "fraction of inter-token gaps (CDF)" : "fraction of requests (CDF)");
	fputs("set yrange [0:1]\nplot ", g);
	for (int b = 0, t = 0; b < blocks; t++) {
		size_t n = 0;
		for (size_t i = 0; i < c->s->n_ts; i++)
			if (c->s->ts[i].target == (size_t)t)
				n += itl ? c->s->ts[i].n_itl : c->s->ts[i].n_ttft;
		if (!n)
			continue;
		fprintf(g, "%s'%s.dat' index %d using 1:2 with steps lw 2 title \"", b ? ", \\\n     " : "",
			name, b);
		gp_label(g, c->s->targets[t].label);
		fputs("\"", g);
		b++;
	}
	fputc('\n', g);
	return chart_done(c, close_chk(c, g, name), name);
}

/* The number after marker at the start of a word of id (a letter never before it): "L" or
 * "len" for the context length, "D" or "depth" for the depth. 0 with *v set, or -1. */
static int grid_number(const char *id, const char *const *markers, double *v)
{
	for (const char *p = id; *p; p++) {
		if (p > id && ((p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z')))
			continue;
		for (size_t m = 0; markers[m]; m++) {
			size_t n = strlen(markers[m]);
			if (strncmp(p, markers[m], n) == 0 && p[n] >= '0' && p[n] <= '9') {
				*v = strtod(p + n, NULL);
				return 0;
			}
		}
	}
	return -1;
}

/* The grid cell an item id names: its context length and depth ("single/L4096/D50",
 * "len4096-depth25"). 0, or -1 when the id names no such cell. */
static int grid_cell(const char *id, double *len, double *depth)
{
	static const char *const len_m[] = { "len", "L", NULL }, *const depth_m[] = { "depth", "D", NULL };
	return grid_number(id, len_m, len) || grid_number(id, depth_m, depth) ? -1 : 0;
}

/* A grid map's file name: "needle_TARGET_SUITE" (the prefix names the chart, a
 * needle-in-a-haystack map, as earlier reports named its files) with every byte outside
 * [A-Za-z0-9.-] written as '_' (no path separators, spaces or shell characters), shortened to
 * fit, and "_2", "_3", ... added when two targets map to one name. */
/* A file name made of parts[0..3) joined by '_', with what is not a letter, digit, '-' or a lone
 * '.' turned into '_', cut to fit, and numbered when an earlier chart has it. */
static void chart_name(const chart_ctx *c, const char *const parts[3], char name[REP_CHART_NAME])
{
	char base[REP_CHART_NAME - 8];
	size_t u = 0;
	for (int p = 0; p < 3; p++)
		for (const char *q = parts[p]; *q && u + 1 < sizeof base; q++) {
			unsigned char ch = (unsigned char)*q;
			int keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				(ch >= '0' && ch <= '9') || ch == '-' || (ch == '.' && u > 0 && base[u - 1] != '.');
			if (q == parts[p] && p)
				base[u++] = '_';
			if (u + 1 < sizeof base)
				base[u++] = keep ? (char)ch : '_';
		}
	base[u] = 0;
	snprintf(name, REP_CHART_NAME, "%s", base);
	for (int k = 2; k < 1000; k++) {
		int clash = 0;
		char suffix[8];
		for (int i = 0; i < c->n; i++)
			clash |= strcmp(c->names[i], name) == 0;
		if (!clash)
			return;
		snprintf(suffix, sizeof suffix, "_%u", (unsigned)k % 1000u);
		snprintf(name, REP_CHART_NAME, "%s%s", base, suffix);
	}
}

static int chart_grid(chart_ctx *c)
{
	for (size_t i = 0; i < c->s->n_ts && c->n < REP_MAX_CHARTS - 1; i++) {
		const rep_ts *ts = &c->s->ts[i];
		char name[REP_CHART_NAME];
		FILE *d, *g;
		double len, depth;
		size_t ok = 0;
		/* a map for every suite whose items are cells of a length x depth grid */
		for (size_t k = 0; k < ts->n_items; k++)
			ok += grid_cell(ts->items[k].id, &len, &depth) == 0;
		if (!ok || ok < ts->n_items)
			continue;
		{
			const char *parts[3] = { "needle", c->s->targets[ts->target].label, ts->suite };
			chart_name(c, parts, name);
		}
		if (!(d = open_in(c, name, "dat")))
			return REP_EIO;
		fputs("# context_length depth score (mean over samples)\n", d);
		for (size_t k = 0; k < ts->n_items; k++)
			if (grid_cell(ts->items[k].id, &len, &depth) == 0)
				fprintf(d, "%.6g %.6g %.4f\n", len, depth, ts->items[k].score);
		if (close_chk(c, d, name) || !(g = open_in(c, name, "gp")))
			return REP_EIO;
		fputs("# tierbench chart\nset title \"Needle in a haystack: ", g);
		gp_label(g, c->s->targets[ts->target].label);
		fprintf(g, "\"\nset xlabel \"context length (tokens)\"\nset ylabel \"needle depth\"\n"
			"set cblabel \"score\"\nset cbrange [0:1]\nset palette defined (0 '#b2182b', 0.5 '#f7f7f7', 1 '#2166ac')\n"
			"set logscale x 2\nset offsets graph 0.08, graph 0.08, 8, 8\n"
			"plot '%s.dat' using 1:2:3 with points pt 5 ps 5 palette notitle\n", name);
		if (chart_done(c, close_chk(c, g, name), name))
			return REP_EIO;
	}
	return 0;
}

/* Per sweep family and suite (reports/sweep.c), accuracy against $ per item and against latency
 * p50, each point labelled with its settings and the Pareto frontier joined. */
static int chart_sweep(chart_ctx *c)
{
	const rep_sweep_row *r = c->a->sweep;
	size_t n = c->a->n_sweep;
	int rc = 0;

	for (size_t lo = 0, hi; lo < n && !rc && c->n < REP_MAX_CHARTS - 2; lo = hi) {
		for (hi = lo + 1; hi < n && !strcmp(r[hi].family, r[lo].family) &&
		     !strcmp(r[hi].ts->suite, r[lo].ts->suite); hi++)
			;
		for (int lat = 0; lat < 2 && !rc; lat++) {
			const char *parts[3] = { "sweep", r[lo].family, r[lo].ts->suite };
			char name[REP_CHART_NAME], dat[REP_CHART_NAME + 8];
			double xs[64], ys[64], xlo, xhi, ylo, yhi;
			lbl lv[64];
			size_t m = 0, at[64];
			FILE *d, *g;
			for (size_t i = lo; i < hi && m < 64; i++) {
				double x = lat ? r[i].ts->lat_p50 / 1000 : r[i].usd_per_item;
				if (isnan(x) || isnan(r[i].ts->acc))
					continue;
				xs[m] = x;
				ys[m] = 100 * r[i].ts->acc;
				at[m++] = i;
			}
			if (m < 2)
				continue;
			chart_name(c, parts, name);
			snprintf(name + strlen(name), REP_CHART_NAME - strlen(name), lat ? "_latency" : "_cost");
			snprintf(dat, sizeof dat, "%s.dat", name);
			axis_range(xs, m, 0, 1e-9, &xlo, &xhi);
			axis_range(ys, m, 0, 4, &ylo, &yhi);
			memset(lv, 0, sizeof lv);
			for (size_t i = 0; i < m; i++) {
				lv[i].x = to_px(xs[i], xlo, xhi, 0, PLOT_W);
				lv[i].y = to_px(ys[i], ylo, yhi, 0, PLOT_H);
				lv[i].len = strlen(r[at[i]].point);
			}
			place_labels(lv, m);
			if (!(d = open_in(c, name, "dat"))) {
				rc = REP_EIO;
				break;
			}
			fprintf(d, "# %s accuracy_pct on_frontier label label_placement\n", lat ?
				"latency_p50_s" : "usd_per_item");
			/* the frontier joined left to right: points sorted by x within the file */
			for (size_t k = 0; k < m; k++) {
				size_t i = k;
				for (size_t j = k + 1; j < m; j++)
					if (xs[j] < xs[i])
						i = j;
				if (i != k) {
					double tx = xs[k], ty = ys[k];
					size_t ta = at[k];
					lbl tl = lv[k];
					xs[k] = xs[i], ys[k] = ys[i], at[k] = at[i], lv[k] = lv[i];
					xs[i] = tx, ys[i] = ty, at[i] = ta, lv[i] = tl;
				}
				fprintf(d, "%.6g %.4f %d ", xs[k], ys[k], lat ? r[at[k]].pareto_latency :
					r[at[k]].pareto_cost);
				dat_label(d, r[at[k]].point);
				fprintf(d, " %d\n", lv[k].place);
			}
			/* block 1: the frontier alone, so its line is not broken by the points off it */
			fputs("\n\n# the Pareto frontier\n", d);
			for (size_t k = 0; k < m; k++)
				if (lat ? r[at[k]].pareto_latency : r[at[k]].pareto_cost)
					fprintf(d, "%.6g %.4f\n", xs[k], ys[k]);
			if (close_chk(c, d, dat) || !(g = open_in(c, name, "gp"))) {
				rc = REP_EIO;
				break;
			}
			fputs("# tierbench chart\nset title \"Sweep: ", g);
			gp_label(g, r[lo].family);
			fputs(", ", g);
			gp_label(g, r[lo].ts->suite);
			fprintf(g, "\"\nset xlabel \"%s\"\nset ylabel \"accuracy %%\"\nset key outside right top\n"
				"set xrange [%.6g:%.6g]\nset yrange [%.4f:%.4f]\n"
				"plot '%s' index 0 using 1:2 with points pt 7 ps 1.2 title 'points', \\\n"
				"     '' index 1 using 1:2 with linespoints lw 2 dt 2 title 'Pareto frontier'",
				lat ? "latency p50 (s)" : "$ per item", xlo, xhi, ylo, yhi, dat);
			gp_label_layers(g, dat, 0, 4, 5);
			fputc('\n', g);
			snprintf(dat, sizeof dat, "%s.gp", name);
			rc = chart_done(c, close_chk(c, g, dat), name) ? REP_EIO : 0;
		}
	}
	return rc;
}

/* Per target and kind of level of `tierbench load` (reports/serving.c): TTFT p50 and end-to-end
 * p50 / p90 against the achieved request throughput, each point labelled with its level. */
static int chart_load(chart_ctx *c)
{
	const rep_load_row *r = c->a->load;
	size_t n = c->a->n_load;
	int rc = 0;

	for (size_t lo = 0, hi; lo < n && !rc && c->n < REP_MAX_CHARTS - 1; lo = hi) {
		const char *parts[3] = { "load", c->s->targets[r[lo].ts->target].label,
			r[lo].closed ? "concurrency" : "rate" };
		char name[REP_CHART_NAME], file[REP_CHART_NAME + 8];
		size_t m = 0;
		FILE *d, *g;
		for (hi = lo + 1; hi < n && r[hi].ts->target == r[lo].ts->target && r[hi].closed == r[lo].closed; hi++)
			;
		for (size_t i = lo; i < hi; i++)
			m += !isnan(r[i].req_per_s) && !isnan(r[i].e2e_ms[0]);
		if (m < 2)
			continue;
		chart_name(c, parts, name);
		snprintf(file, sizeof file, "%s.dat", name);
		if (!(d = open_in(c, name, "dat"))) {
			rc = REP_EIO;
			break;
		}
		fputs("# req_per_s ttft_p50_ms e2e_p50_ms e2e_p90_ms level\n", d);
		for (size_t i = lo; i < hi; i++) {
			char lvl[32];
			if (isnan(r[i].req_per_s) || isnan(r[i].e2e_ms[0]))
				continue;
			if (isinf(r[i].offered))
				snprintf(lvl, sizeof lvl, "inf");
			else
				snprintf(lvl, sizeof lvl, "%g", r[i].offered);
			fprintf(d, "%.6g %.6g %.6g %.6g ", r[i].req_per_s, r[i].ttft_ms[0], r[i].e2e_ms[0],
				r[i].e2e_ms[1]);
			dat_label(d, lvl);
			fputc('\n', d);
		}
		if (close_chk(c, d, file) || !(g = open_in(c, name, "gp"))) {
			rc = REP_EIO;
			break;
		}
		fputs("# tierbench chart\nset title \"Load: ", g);
		gp_label(g, c->s->targets[r[lo].ts->target].label);
		fprintf(g, " (%s levels)\"\nset xlabel \"requests / s (achieved)\"\nset ylabel \"latency (ms)\"\n"
			"set key outside right top\nset offsets graph 0.05, graph 0.15, graph 0.1, graph 0.05\n"
			"plot '%s' using 1:3 with linespoints pt 7 lw 2 title 'e2e p50', \\\n"
			"     '' using 1:4 with linespoints pt 5 dt 2 title 'e2e p90', \\\n"
			"     '' using 1:2 with linespoints pt 9 title 'TTFT p50', \\\n"
			"     '' using 1:4:5 with labels offset 0,1 font ',8' noenhanced notitle\n",
			r[lo].closed ? "concurrency" : "rate", file);
		snprintf(file, sizeof file, "%s.gp", name);
		rc = chart_done(c, close_chk(c, g, file), name) ? REP_EIO : 0;
	}
	return rc;
}

/* Runs gnuplot on dir/name.gp for one terminal; output discarded. 0 ok, 1 gnuplot missing,
 * -1 it failed. */
static int render(const char *dir, const char *name, const char *term, const char *ext)
{
	char setup[256], gp[64];
	char *argv[] = { "gnuplot", "-e", setup, gp, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, rc;
	snprintf(setup, sizeof setup, "set terminal %s; set output '%s.%s'", term, name, ext);
	snprintf(gp, sizeof gp, "%s.gp", name);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addchdir_np(&fa, dir);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc == ENOENT)
		return 1;
	if (rc != 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int rep_charts_write(const rep_set *s, const rep_opts *o, const char *dir, int *n_charts,
	char *warn, size_t warnlen, char *err, size_t errlen)
{
	rep_analysis a;
	chart_ctx c;
	int rc;

	*n_charts = 0;
	if (warnlen)
		warn[0] = 0;
	if (tb_mkdir_p(dir, err, errlen))
		return REP_EIO;
	if ((rc = rep_analysis_build(s, o, &a, err, errlen)))
		return rc;
	memset(&c, 0, sizeof c);
	c.s = s;
	c.a = &a;
	c.dir = dir;
	c.err = err;
	c.errlen = errlen;
	if ((rc = chart_cost(&c)) || (rc = chart_quant(&c)) || (rc = chart_latency(&c, 0)) ||
	    (rc = chart_latency(&c, 1)) || (rc = chart_grid(&c)) || (rc = chart_sweep(&c)) ||
	    (rc = chart_load(&c)))
		goto done;
	for (int i = 0; i < c.n; i++) {
		int r1 = render(dir, c.names[i], "pngcairo size 900,560 font ',10'", "png");
		int r2 = r1 == 1 ? 1 : render(dir, c.names[i], "svg size 900,560 dynamic font ',10'", "svg");
		if (r1 == 1 || r2 == 1) {
			snprintf(warn, warnlen, "gnuplot not found: charts not drawn (their .dat and .gp files "
				"are in %s)", dir);
			*n_charts = 0;
			break;
		}
		if (r1 || r2) {
			snprintf(warn, warnlen, "gnuplot failed on %s/%s.gp", dir, c.names[i]);
			continue;
		}
		(*n_charts)++;
	}
done:
	rep_analysis_release(&a);
	return rc;
}

static int cmp_name(const void *x, const void *y)
{
	return strcmp((const char *)x, (const char *)y);
}

int rep_chart_exists(const char *dir, const char *name)
{
	char p[4096];
	struct stat sb;
	snprintf(p, sizeof p, "%s/%s.svg", dir, name);
	return stat(p, &sb) == 0;
}

/* Names of the charts of s in dir that have an SVG, in drawing order (the fixed charts, then the
 * needle maps by name); used by the HTML writer. Returns how many were written to names[max]. */
int rep_charts_list(const char *dir, char names[][REP_CHART_NAME], int max)
{
	static const char *const fixed[] = { "accuracy_cost", "accuracy_by_quant", "ttft", "itl" };
	int n = 0, first;
	DIR *dp;
	const struct dirent *e;
	for (int i = 0; i < 4 && n < max; i++)
		if (rep_chart_exists(dir, fixed[i]))
			snprintf(names[n++], REP_CHART_NAME, "%s", fixed[i]);
	first = n;
	if ((dp = opendir(dir))) {
		while (n < max && (e = readdir(dp))) {
			size_t len = strlen(e->d_name);
			if (strncmp(e->d_name, "needle_", 7) == 0 && len > 4 && len - 4 < REP_CHART_NAME &&
			    strcmp(e->d_name + len - 4, ".svg") == 0)
				snprintf(names[n++], REP_CHART_NAME, "%.*s", (int)(len - 4), e->d_name);
		}
		closedir(dp);
	}
	qsort(names[first], (size_t)(n - first), sizeof names[0], cmp_name);
	return n;
}
