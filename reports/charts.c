/* reports/charts.c — gnuplot charts: accuracy vs $ per M tokens (log x) with the Pareto
 * frontier, accuracy by quantisation (bits per weight) per model, TTFT and inter-token latency
 * distributions, and a needle-in-a-haystack heat map (context length x depth) per target.
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
	double best = -1;
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
	fputs("# usd_per_mtok_blended accuracy_pct on_frontier label\n", d);
	for (size_t i = 0; i < n; i++) {
		const rep_cost_row *r = &c->a->cost[idx[i]];
		double acc = target_accuracy(c, r->target);
		int front = acc > best;
		if (front)
			best = acc;
		fprintf(d, "%.6g %.4f %d ", r->blended_mtok, 100 * acc, front);
		dat_label(d, c->s->targets[r->target].label);
		fputc('\n', d);
	}
	free(idx);
	if (close_chk(c, d, "accuracy_cost.dat") || !(g = open_in(c, "accuracy_cost", "gp")))
		return REP_EIO;
	gp_head(g, "Accuracy vs cost", "$ per M tokens (blended, log scale)", "accuracy % (weighted mean of suites)");
	fputs("set logscale x\nset offsets graph 0.05, graph 0.05, 2, 2\n"
	      "plot 'accuracy_cost.dat' using 1:2 with points pt 7 ps 1.2 title 'targets', \\\n"
	      "     '' using ($3 == 1 ? $1 : 1/0):2 with linespoints lw 2 dt 2 title 'Pareto frontier', \\\n"
	      "     '' using 1:2:4 with labels offset 0,1 font ',8' noenhanced notitle\n", g);
	return chart_done(c, close_chk(c, g, "accuracy_cost.gp"), "accuracy_cost");
}

static int chart_quant(chart_ctx *c)
{
	FILE *d, *g;
	int blocks = 0;
	const rep_ts *prev_best = NULL;
	if (!c->a->n_quant)
		return 0;
	if (!(d = open_in(c, "accuracy_by_quant", "dat")))
		return REP_EIO;
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
		}
	}
	if (close_chk(c, d, "accuracy_by_quant.dat") || !(g = open_in(c, "accuracy_by_quant", "gp")))
		return REP_EIO;
	gp_head(g, "Accuracy by quantisation", "bits per weight", "accuracy %");
	fputs("set offsets graph 0.05, graph 0.05, 2, 2\nplot ", g);
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
		fprintf(g, "\", \\\n     'accuracy_by_quant.dat' index %d using 1:2:3 with labels offset 0,1 "
			"font ',8' noenhanced notitle", blocks);
		blocks++;
	}
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

/* The first two numbers in an item id: context length and needle depth ("len4096-depth25"). */
static int needle_cell(const char *id, double *len, double *depth)
{
	char *end;
	int got = 0;
	while (*id && got < 2) {
		if ((*id >= '0' && *id <= '9') || (*id == '.' && id[1] >= '0' && id[1] <= '9')) {
			double v = strtod(id, &end);
			*(got ? depth : len) = v;
			got++;
			id = end;
		} else {
			id++;
		}
	}
	return got == 2 ? 0 : -1;
}

/* A chart file name for a needle map: "needle_TARGET_SUITE" with every byte outside
 * [A-Za-z0-9.-] written as '_' (no path separators, spaces or shell characters), shortened to
 * fit, and "_2", "_3", ... added when two targets map to one name. */
static void needle_name(const chart_ctx *c, const rep_ts *ts, char *name, size_t n)
{
	char base[REP_CHART_NAME - 8];
	size_t u = 0;
	const char *parts[] = { "needle", c->s->targets[ts->target].label, ts->suite };
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
	snprintf(name, n, "%s", base);
	for (int k = 2; k < 1000; k++) {
		int clash = 0;
		for (int i = 0; i < c->n; i++)
			clash |= strcmp(c->names[i], name) == 0;
		if (!clash)
			return;
		snprintf(name, n, "%s_%d", base, k);
	}
}

static int chart_needle(chart_ctx *c)
{
	for (size_t i = 0; i < c->s->n_ts && c->n < REP_MAX_CHARTS - 1; i++) {
		const rep_ts *ts = &c->s->ts[i];
		char name[REP_CHART_NAME];
		FILE *d, *g;
		double len, depth;
		size_t ok = 0;
		if (!strstr(ts->suite, "needle"))
			continue;
		for (size_t k = 0; k < ts->n_items; k++)
			ok += needle_cell(ts->items[k].id, &len, &depth) == 0;
		if (!ok)
			continue;
		needle_name(c, ts, name, sizeof name);
		if (!(d = open_in(c, name, "dat")))
			return REP_EIO;
		fputs("# context_length depth score (mean over samples)\n", d);
		for (size_t k = 0; k < ts->n_items; k++)
			if (needle_cell(ts->items[k].id, &len, &depth) == 0)
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
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
		return REP_EIO;
	}
	if ((rc = rep_analysis_build(s, o, &a, err, errlen)))
		return rc;
	memset(&c, 0, sizeof c);
	c.s = s;
	c.a = &a;
	c.dir = dir;
	c.err = err;
	c.errlen = errlen;
	if ((rc = chart_cost(&c)) || (rc = chart_quant(&c)) || (rc = chart_latency(&c, 0)) ||
	    (rc = chart_latency(&c, 1)) || (rc = chart_needle(&c)))
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
