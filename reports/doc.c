/* reports/doc.c — lays a report out once as facts and tables of formatted cells (results,
 * quantisations, quality, verdicts, tiers, cost, break-even, hardware), so Markdown and HTML
 * render the same figures with the same rounding. Unknown figures are "–", never 0. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report_impl.h"

char *rep_fmt(char *buf, size_t n, double v, int dec)
{
	if (isnan(v) || isinf(v))
		snprintf(buf, n, "%s", isinf(v) && v > 0 ? "never" : "–");
	else
		snprintf(buf, n, "%.*f", dec, v);
	return buf;
}

static int add_str(char ***v, size_t *n, size_t *cap, char *s)
{
	if (!s)
		return -1;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		char **nv = realloc(*v, nc * sizeof *nv);
		if (!nv) {
			free(s);
			return -1;
		}
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = s;
	return 0;
}

static char *fmtdup(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *fmtdup(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* A new table with columns given as "l:name" / "r:name". */
static rep_table *table_new(rep_doc *d, const char *id, const char *title, size_t n_cols,
	const char *const *cols)
{
	rep_table *nt = realloc(d->tables, (d->n_tables + 1) * sizeof *nt), *t;
	if (!nt)
		return NULL;
	d->tables = nt;
	t = &d->tables[d->n_tables++];
	memset(t, 0, sizeof *t);
	t->id = id;
	t->n_cols = n_cols;
	if (!(t->title = strdup(title)) || !(t->cols = calloc(n_cols, sizeof *t->cols)) ||
	    !(t->align = calloc(n_cols + 1, 1)))
		return NULL;
	for (size_t i = 0; i < n_cols; i++) {
		t->align[i] = cols[i][0];
		if (!(t->cols[i] = strdup(cols[i] + 2)))
			return NULL;
	}
	return t;
}

/* Cells are appended row-major; n_rows counts complete rows. */
typedef struct filler {
	rep_table *t;
	size_t cap;
	int failed;
} filler;

/* table_new with its note, which it takes (heap; NULL: out of memory): the filler for the new
 * table, already failed when either allocation failed. */
static filler table_noted(rep_doc *d, const char *id, const char *title, size_t n_cols,
	const char *const *cols, char *note)
{
	rep_table *t = table_new(d, id, title, n_cols, cols);
	filler f = { t, 0, !t || !note };
	if (t)
		t->note = note;
	else
		free(note);
	return f;
}

static void put(filler *f, const char *s)
{
	char *c;
	if (f->failed)
		return;
	if (!(c = strdup(s && *s ? s : "–")) || add_str(&f->t->cells, &f->t->n_cells, &f->cap, c)) {
		f->failed = 1;
		return;
	}
	f->t->n_rows = f->t->n_cells / f->t->n_cols;
}

static void putf(filler *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(filler *f, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s) {
		f->failed = 1;
		return;
	}
	put(f, s);
	free(s);
}

static void putn(filler *f, double v, int dec)
{
	char b[64];
	put(f, rep_fmt(b, sizeof b, v, dec));
}

/* Dollars: cents for large sums, more digits for the small per-item figures. */
static void putusd(filler *f, double v)
{
	putn(f, v, isnan(v) || fabs(v) >= 1 ? 2 : fabs(v) >= 0.01 ? 4 : 6);
}

static void putpct(filler *f, double v)
{
	putn(f, isnan(v) ? v : 100 * v, 1);
}

static void putci(filler *f, double lo, double hi)
{
	if (isnan(lo) || isnan(hi))
		put(f, "–");
	else
		putf(f, "%.1f–%.1f", 100 * lo, 100 * hi);
}

static void putp(filler *f, double p)
{
	if (isnan(p))
		put(f, "–");
	else if (p < 0.0001)
		put(f, "<0.0001");
	else
		putf(f, "%.4f", p);
}

static void puttok(filler *f, const rep_ts *t, int64_t v)
{
	if (!t->tokens_known)
		put(f, "–");
	else
		putf(f, "%lld", (long long)v);
}

/* A level of `tierbench load`: shown in the load table only. */
static int is_load(const rep_ts *ts)
{
	int closed;
	return rep_load_level(ts->suite, &closed) >= 0;
}

/* The main results table, compact (fits a 1400 px page), then the details of the same rows:
 * latency, tokens, cost and every metric. */
static int results_table(rep_doc *d, const rep_set *s)
{
	static const char *const cols[] = { "l:target", "l:suite", "r:n", "r:errors",
		"r:accuracy %", "r:95 % CI", "r:e2e p50 ms", "r:out tok/s", "r:$ / solved" };
	static const char *const dcols[] = { "l:target", "l:suite", "l:provider", "l:quant",
		"r:TTFT p50 ms", "r:TTFT p90 ms", "r:e2e p90 ms", "r:tokens in", "r:tokens out",
		"r:reasoning", "r:$ run", "l:metrics" };
	filler f = table_noted(d, "results", "Results per target and suite", 9, cols,
		strdup("accuracy: mean primary score of scored samples; 95 % CI: Wilson "
		"score interval (normal interval for non-binary scores); errors: failed samples, not in n; "
		"e2e: end-to-end latency; out tok/s: decode rate of streamed samples, (tokens out - 1) "
		"over the time from the first token to the end, – (not measured) where responses were not "
		"streamed; $ / solved: the run's cost over the summed score"));
	for (size_t i = 0; i < s->n_ts && !f.failed; i++) {
		const rep_ts *ts = &s->ts[i];
		if (is_load(ts))
			continue;
		put(&f, s->targets[ts->target].label);
		put(&f, ts->suite);
		putf(&f, "%ld", ts->n);
		putf(&f, "%ld", ts->n_errors);
		putpct(&f, ts->acc);
		putci(&f, ts->lo, ts->hi);
		putn(&f, ts->lat_p50, 1);
		putn(&f, ts->out_tps, 1);
		putusd(&f, ts->usd_per_solved);
	}
	if (f.failed)
		return -1;
	f = table_noted(d, "results_detail", "Latency, tokens and cost per target and suite", 12,
		dcols, strdup("$ run: provider-reported cost, else tokens x prices, else for "
		"self-hosted targets the hourly cost x busy time; metrics: the mean of every score the "
		"suite stores"));
	for (size_t i = 0; i < s->n_ts && !f.failed; i++) {
		const rep_ts *ts = &s->ts[i];
		const rep_target *tg = &s->targets[ts->target];
		char m[512] = "";
		size_t u = 0;
		if (is_load(ts))
			continue;
		put(&f, tg->label);
		put(&f, ts->suite);
		put(&f, tg->provider);
		put(&f, tg->quant);
		putn(&f, ts->ttft_p50, 1);
		putn(&f, ts->ttft_p90, 1);
		putn(&f, ts->lat_p90, 1);
		puttok(&f, ts, ts->tin);
		puttok(&f, ts, ts->tout);
		puttok(&f, ts, ts->treason);
		putusd(&f, ts->run_usd);
		for (int k = 0; k < ts->n_metrics && u < sizeof m; k++) {
			int w = snprintf(m + u, sizeof m - u, "%s%s %.4g", k ? ", " : "", ts->metric[k],
				ts->metric_n[k] ? ts->metric_sum[k] / (double)ts->metric_n[k] : NAN);
			u += w > 0 ? (size_t)w : 0;
		}
		put(&f, m);
	}
	return f.failed ? -1 : 0;
}

/* Streaming latency from the stored inter-token gaps; only when some target streamed. */
static int itl_table(rep_doc *d, const rep_set *s)
{
	static const char *const cols[] = { "l:target", "l:suite", "r:TTFT p50 ms", "r:ITL p50 ms",
		"r:ITL p90 ms", "r:ITL p99 ms", "r:TPOT p50 ms", "r:TPOT p90 ms", "r:gaps" };
	filler f;
	size_t any = 0;
	for (size_t i = 0; i < s->n_ts; i++)
		any += is_load(&s->ts[i]) ? 0 : s->ts[i].n_itl;
	if (!any)
		return 0;
	f = table_noted(d, "itl", "Streaming latency", 9, cols,
		strdup("ITL: every gap between stream events that carried text, pooled "
		"over the samples; TPOT: per sample, (end-to-end - TTFT) / (output tokens - 1); "
		"docs/metrics.md defines each"));
	for (size_t i = 0; i < s->n_ts && !f.failed; i++) {
		const rep_ts *ts = &s->ts[i];
		if (!ts->n_itl || is_load(ts))
			continue;
		put(&f, s->targets[ts->target].label);
		put(&f, ts->suite);
		putn(&f, ts->ttft_p50, 1);
		putn(&f, ts->itl_p50, 2);
		putn(&f, ts->itl_p90, 2);
		putn(&f, ts->itl_p99, 2);
		putn(&f, ts->tpot_p50, 2);
		putn(&f, ts->tpot_p90, 2);
		putf(&f, "%zu", ts->n_itl);
	}
	return f.failed ? -1 : 0;
}

/* pass@k of the coding suites (only when the set has one). */
static int pass_table(rep_doc *d, const rep_set *s)
{
	static const char *const cols[] = { "l:target", "l:suite", "r:items", "r:samples / item",
		"r:pass@1 %", "r:pass@10 %", "r:pass@100 %" };
	filler f;
	size_t n = 0;
	for (size_t i = 0; i < s->n_ts; i++)
		n += s->ts[i].coding;
	if (!n)
		return 0;
	f = table_noted(d, "pass_at_k", "pass@k (coding suites)", 7, cols,
		strdup("pass@k: the unbiased estimator 1 - C(n-c, k) / C(n, k) per item "
		"(n scored samples, c passing), averaged over items; shown for k up to the fewest samples "
		"of an item (run a suite with samples >= k)"));
	for (size_t i = 0; i < s->n_ts && !f.failed; i++) {
		const rep_ts *ts = &s->ts[i];
		if (!ts->coding)
			continue;
		put(&f, s->targets[ts->target].label);
		put(&f, ts->suite);
		putf(&f, "%zu", ts->n_items);
		putf(&f, "%ld", ts->samples_per_item);
		for (int k = 0; k < REP_N_PASS_K; k++)
			putpct(&f, ts->pass_at[k]);
	}
	return f.failed ? -1 : 0;
}

/* A file size in the largest binary unit that keeps it >= 1, with three significant digits
 * (a 60 MB model is "57.2 MiB", not "0.06 GiB"). */
static void put_bytes(filler *f, int64_t b)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = 0;
	if (b <= 0) {
		put(f, "–");
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		putf(f, "%lld B", (long long)b);
	else
		putf(f, "%.*f %s", v < 10 ? 2 : v < 100 ? 1 : 0, v, unit[u]);
}

static int quant_table(rep_doc *d, const rep_set *s, const rep_analysis *a, const rep_opts *o)
{
	static const char *const cols[] = { "l:base model", "l:suite", "l:quant", "l:target",
		"r:size", "r:bpw", "r:accuracy %", "r:95 % CI", "r:Δ vs best pts", "r:p", "l:test",
		"l:significant" };
	filler f = table_noted(d, "quant", "Quantisations by base model", 12, cols,
		fmtdup("Δ vs best: accuracy minus the most accurate quantisation of the "
		"same base model in that suite (percentage points); significant: p < %g in the paired "
		"test on shared items (exact McNemar for pass/fail, paired bootstrap otherwise), or "
		"non-overlapping intervals when items differ; bpw marked * is the quant type's nominal "
		"figure, not measured from the file", o->alpha));
	for (size_t i = 0; i < a->n_quant && !f.failed; i++) {
		const rep_quant_row *q = &a->quant[i];
		const rep_target *tg = &s->targets[q->ts->target];
		put(&f, tg->base);
		put(&f, q->ts->suite);
		put(&f, tg->quant);
		put(&f, tg->label);
		put_bytes(&f, tg->file_bytes);
		if (tg->bpw > 0)
			putf(&f, "%.2f%s", tg->bpw, tg->bpw_nominal ? "*" : "");
		else
			put(&f, "–");
		putpct(&f, q->ts->acc);
		putci(&f, q->ts->lo, q->ts->hi);
		if (q->ts == q->best) {
			put(&f, "best");
			put(&f, "–");
			put(&f, "–");
			put(&f, "–");
		} else {
			putf(&f, "%+.1f", 100 * (q->ts->acc - q->best->acc));
			putp(&f, q->vs.p);
			put(&f, q->vs.test);
			put(&f, q->vs.worse ? "yes (worse)" : q->vs.p < o->alpha ? "yes (better)" : "no");
		}
	}
	return f.failed ? -1 : 0;
}

/* Sweeps (reports/sweep.c): per family and suite, each point cheapest first. */
static int sweep_table(rep_doc *d, const rep_analysis *a, const rep_opts *o)
{
	static const char *const cols[] = { "l:family", "l:suite", "l:point", "r:accuracy %",
		"r:95 % CI", "r:reasoning tok / item", "r:answer tok / item", "r:$ / item",
		"r:latency p50 s", "r:latency p90 s", "r:budget out %", "l:Pareto", "r:Δ vs cheaper pts",
		"r:p", "l:significant", "r:$ / extra solved" };
	const rep_sweep_row *r = a->sweep;
	size_t n = a->n_sweep;
	filler f;

	if (!n)
		return 0;
	f = table_noted(d, "sweep", "Sweeps: accuracy against cost and latency", 16, cols,
		fmtdup("Targets a spec's matrix (or run --sweep) made from one target, per suite, "
		"cheapest first. Tokens per item: reasoning as the provider reported it, answer = output "
		"minus reasoning (reasoning is billed as output). Budget out: samples cut by the token "
		"limit with no answer text (the budget ran out while reasoning). Pareto: on the frontier "
		"of accuracy against $ per item ($) or latency p50 (t): no other point is at least as "
		"accurate and as cheap (fast), better in one. Δ vs cheaper: accuracy minus the next "
		"cheaper point's on their shared items; significant: p < %g (exact McNemar for pass/fail, "
		"paired bootstrap otherwise); $ / extra solved: the extra $ per item divided by the "
		"accuracy gain, \"never\" when accuracy does not rise.", o->alpha));
	for (size_t i = 0; i < n && !f.failed; i++) {
		const rep_sweep_row *w = &r[i];
		put(&f, w->family);
		put(&f, w->ts->suite);
		put(&f, w->point);
		putpct(&f, w->ts->acc);
		putci(&f, w->ts->lo, w->ts->hi);
		putn(&f, w->reasoning_per_item, 0);
		putn(&f, w->answer_per_item, 0);
		putusd(&f, w->usd_per_item);
		putn(&f, w->ts->lat_p50 / 1000, 2);
		putn(&f, w->ts->lat_p90 / 1000, 2);
		putpct(&f, w->budget_out);
		putf(&f, "%s%s%s", w->pareto_cost ? "$" : "", w->pareto_cost && w->pareto_latency ? " " : "",
		     w->pareto_latency ? "t" : "");
		if (!w->prev) {
			put(&f, "–");
			put(&f, "–");
			put(&f, "–");
			put(&f, "–");
			continue;
		}
		putf(&f, "%+.1f", 100 * w->vs_prev.diff);
		putp(&f, w->vs_prev.p);
		put(&f, isnan(w->vs_prev.p) ? "–" : w->vs_prev.p < o->alpha ?
		    (w->vs_prev.diff > 0 ? "yes (better)" : "yes (worse)") : "no");
		if (isinf(w->usd_per_extra))
			put(&f, "never");
		else
			putusd(&f, w->usd_per_extra);
	}
	return f.failed ? -1 : 0;
}

/* "p50 / p90 / p99" with dec decimals, "–" for a figure not measured. */
static void put3(filler *f, const double *v, int dec)
{
	char a[3][32];
	for (int i = 0; i < 3; i++)
		rep_fmt(a[i], sizeof a[i], v[i], dec);
	if (isnan(v[0]) && isnan(v[1]) && isnan(v[2]))
		put(f, "–");
	else
		putf(f, "%s / %s / %s", a[0], a[1], a[2]);
}

/* `tierbench load` levels (reports/serving.c). */
static int load_table(rep_doc *d, const rep_set *s, const rep_analysis *a)
{
	static const char *const cols[] = { "l:target", "l:level", "r:requests", "r:errors",
		"r:req/s", "r:out tok/s", "r:TTFT p50/p90/p99 ms", "r:TPOT p50/p90/p99 ms",
		"r:ITL p50/p90/p99 ms", "r:e2e p50/p90/p99 ms", "r:good %", "r:good req/s", "l:mark" };
	const rep_load_row *r = a->load;
	size_t n = a->n_load;
	filler f;

	if (!n)
		return 0;
	f = table_noted(d, "load", "Load: latency against throughput", 13, cols,
		fmtdup("One row per level of tierbench load, lowest offered load first (rate: Poisson "
		"arrivals at that many requests/s, inf: all at once; concurrency: that many requests "
		"kept in flight). Times from each request's scheduled arrival (docs/metrics.md, "
		"\"Load\"). good: requests that met every --slo limit (all completed ones without "
		"--slo). knee: the first level whose next level adds less than 10 %% throughput; SLO "
		"max: the highest level at which at least %.0f %% of requests met the SLO.",
		100 * REP_LOAD_SLO_SHARE));
	for (size_t i = 0; i < n && !f.failed; i++) {
		const rep_load_row *w = &r[i];
		char lvl[48];
		if (w->closed)
			snprintf(lvl, sizeof lvl, "concurrency %g", w->offered);
		else if (isinf(w->offered))
			snprintf(lvl, sizeof lvl, "rate inf");
		else
			snprintf(lvl, sizeof lvl, "rate %g/s", w->offered);
		put(&f, s->targets[w->ts->target].label);
		put(&f, lvl);
		putf(&f, "%ld", w->ts->n + w->ts->n_errors);
		putf(&f, "%ld", w->ts->n_errors);
		putn(&f, w->req_per_s, 2);
		putn(&f, w->tok_per_s, 1);
		put3(&f, w->ttft_ms, 0);
		put3(&f, w->tpot_ms, 1);
		put3(&f, w->itl_ms, 1);
		put3(&f, w->e2e_ms, 0);
		putpct(&f, w->good_share);
		putn(&f, w->good_per_s, 2);
		putf(&f, "%s%s%s", w->knee ? "knee" : "", w->knee && w->max_meeting_slo ? ", " : "",
		     w->max_meeting_slo ? "SLO max" : "");
	}
	return f.failed ? -1 : 0;
}

/* Perplexity and divergence (rep_quality_analyse), only when some target has them. */
static int quality_table(rep_doc *d, const rep_set *s, const rep_analysis *a)
{
	static const char *const cols[] = { "l:target", "l:quant", "r:PPL", "r:± PPL", "r:PPL ratio",
		"r:KLD mean", "r:KLD median", "r:KLD p99", "r:same top %", "r:RMS Δp %", "l:verdict" };
	filler f;
	long n_tok = 0;
	if (!a->n_quality)
		return 0;
	for (size_t i = 0; i < s->n_targets && !n_tok; i++)
		if (a->has_quality[i])
			n_tok = a->quality[i].n_tokens;
	f = table_noted(d, "quality", "Quality: perplexity and divergence from the baseline", 11, cols,
		fmtdup("PPL: perplexity over %ld scored tokens of the quality text (± its "
		"standard error); ratio: PPL / the baseline's; KLD: KL divergence in nats of each token's "
		"next-token distribution from the baseline's (over the baseline's stored top "
		"entries, the rest of the vocabulary one bucket); same top: tokens whose most likely next token is the baseline's; RMS Δp: RMS "
		"change of the correct token's probability; verdict: same as base (ratio < 1.01 and KLD "
		"< 0.01), small loss (< 1.05, < 0.05), clear loss (< 1.15, < 0.2), else large loss", n_tok));
	for (size_t i = 0; i < s->n_targets && !f.failed; i++) {
		const rep_target *tg = &s->targets[i];
		const rep_quality *q = &a->quality[i];
		if (!a->has_quality[i])
			continue;
		put(&f, tg->label);
		put(&f, tg->quant);
		putn(&f, q->ppl, 4);
		putn(&f, q->ppl_err, 4);
		if (!q->has_baseline) {
			put(&f, "1 (baseline)");
			for (int k = 0; k < 5; k++)
				put(&f, "–");
			put(&f, "baseline");
			continue;
		}
		putn(&f, q->ratio, 4);
		putn(&f, q->kld_mean, 5);
		putn(&f, q->kld_median, 5);
		putn(&f, q->kld_p99, 5);
		putn(&f, 100 * q->same_top, 2);
		putn(&f, 100 * q->rms_dp, 3);
		put(&f, isnan(q->ratio) ? "–" : rep_quality_verdict(q->ratio, q->kld_mean));
	}
	return f.failed ? -1 : 0;
}

/* Every other measured target against o->verdict_base, suite by suite, as tierbench compare
 * judges, with one "all suites" row of the overall verdict per target. */
static int verdict_table(rep_doc *d, const rep_set *s, const rep_opts *o)
{
	static const char *const cols[] = { "l:target", "l:suite", "r:shared items", "r:base %",
		"r:target %", "r:Δ pts", "r:95 % CI of Δ", "r:p", "l:test", "r:lost", "r:gained",
		"l:verdict" };
	char title[160];
	size_t bt = s->n_targets;
	filler f;
	if (!o->verdict_base)
		return 0;
	for (size_t i = 0; i < s->n_targets && bt == s->n_targets; i++)
		if (!s->targets[i].price_only && strcmp(s->targets[i].id, o->verdict_base) == 0)
			bt = i;
	if (bt == s->n_targets)
		return 0;     /* rep_analysis_build refused the report already */
	snprintf(title, sizeof title, "Verdicts against %s", s->targets[bt].label);
	f = table_noted(d, "verdicts", title, 12, cols,
		fmtdup("each target against %s on the items both answered: exact McNemar "
		"for pass/fail scores, paired bootstrap otherwise (%d replicates); lost: items the base "
		"passed and the target failed, gained: the reverse; regression: significantly worse (p < "
		"%g) by more than %g points (tierbench compare gives the flipped items)",
		s->targets[bt].label, o->n_boot, o->alpha, o->max_drop_pct));
	for (size_t ct = 0; ct < s->n_targets && !f.failed; ct++) {
		int n = 0, regressed = 0;
		if (ct == bt || s->targets[ct].price_only)
			continue;
		for (size_t i = 0; i < s->n_ts && !f.failed; i++) {
			const rep_ts *x = &s->ts[i], *y;
			rep_pair p;
			if (x->target != bt || !(y = rep_set_find_ts(s, ct, x->suite)))
				continue;
			rep_pair_test(x, y, o->n_boot, o->seed, o->alpha, &p);
			put(&f, s->targets[ct].label);
			put(&f, x->suite);
			putf(&f, "%zu", p.n_shared);
			putpct(&f, x->acc);
			putpct(&f, y->acc);
			putf(&f, "%+.1f", 100 * p.diff);
			putci(&f, p.lo, p.hi);
			putp(&f, p.p);
			put(&f, p.test);
			putf(&f, "%ld", p.b);
			putf(&f, "%ld", p.c);
			put(&f, rep_pair_verdict(&p, o->alpha, o->max_drop_pct, &regressed));
			n++;
		}
		if (!n)
			continue;
		put(&f, s->targets[ct].label);
		put(&f, "all suites");
		for (int k = 0; k < 9; k++)
			put(&f, "–");
		put(&f, regressed ? "REGRESSION" : "no significant regression");
	}
	return f.failed ? -1 : 0;
}

static int tier_table(rep_doc *d, const rep_set *s, const rep_analysis *a)
{
	static const char *const cols[] = { "l:suite", "l:tier", "l:target", "r:score %", "r:95 % CI",
		"l:tier leader", "r:Δ vs leader pts", "r:p", "l:test", "r:shared items" };
	rep_table *t = table_new(d, "tiers", "Tier list", 10, cols);
	filler f = { t, 0, !t };
	for (size_t k = 0; k <= a->n_suites && !f.failed; k++) {
		const rep_tier_list *l = &a->tiers[k];
		for (size_t i = 0; i < l->n; i++) {
			const rep_tier_row *r = &l->rows[i];
			put(&f, l->suite ? l->suite : "overall");
			put(&f, rep_tier_name(r->tier));
			put(&f, s->targets[r->target].label);
			putpct(&f, r->score);
			putci(&f, r->lo, r->hi);
			put(&f, r->leader == r->target ? "(leader)" : s->targets[r->leader].label);
			if (r->leader == r->target) {
				put(&f, "–");
				put(&f, "–");
				put(&f, "–");
				put(&f, "–");
			} else {
				putf(&f, "%+.1f", 100 * r->vs.diff);
				putp(&f, r->vs.p);
				put(&f, r->vs.test);
				putf(&f, "%zu", r->vs.n_shared);
			}
		}
	}
	return f.failed ? -1 : 0;
}

static int cost_tables(rep_doc *d, const rep_set *s, const rep_analysis *a, const rep_opts *o)
{
	static const char *const cols[] = { "l:target", "l:kind", "r:$ / M in", "r:$ / M out",
		"r:$ / M blended", "r:tok/s measured", "r:$ / hour", "r:$ / month per machine",
		"r:M tok / month per machine", "r:$ / month at volume", "r:$ run" };
	static const char *const bcols[] = { "l:self-hosted", "l:API", "r:API $ / M blended",
		"r:self-host $ / month", "r:break-even M tok / month" };
	char title[160];
	rep_table *t;
	filler f, g;
	snprintf(title, sizeof title, "Cost at %g M tokens / month (blend %g:%g input:output)",
		o->volume_mtok_month, o->blend_in, o->blend_out);
	f = table_noted(d, "cost", title, 11, cols,
		strdup("API: list prices, blended at the input:output mix; without "
		"prices, what the provider charged per token at the run's mix. Self-hosted: $ / hour from "
		"the target's hardware cost_per_hour (or purchase_usd / amortisation_months / 730 h + "
		"power_watts x usd_per_kwh), divided by the throughput measured at the run's in-flight "
		"limit (limit x tokens / summed latency); monthly cost counts whole machines (730 h each) "
		"needed for the volume."));
	t = f.t;
	for (size_t i = 0; i < s->n_targets && !f.failed; i++)
		if (s->targets[i].price_only) {
			char *note = fmtdup("%s Price only, not measured: an API's list price (from the price "
			    "table, as of the date shown) with no samples in these runs, so its accuracy and "
			    "speed are unknown.", t->note);
			if (!note)
				f.failed = 1;
			free(t->note);
			t->note = note;
			break;
		}
	for (size_t i = 0; i < a->n_cost && !f.failed; i++) {
		const rep_cost_row *c = &a->cost[i];
		const rep_target *tg = &s->targets[c->target];
		put(&f, tg->label);
		if (tg->price_only)
			putf(&f, "API, price only, not measured%s%s", tg->as_of ? "; as of " : "",
				tg->as_of ? tg->as_of : "");
		else
			put(&f, tg->selfhost ? "self-hosted" : "API");
		putusd(&f, c->in_mtok);
		putusd(&f, c->out_mtok);
		putusd(&f, c->blended_mtok);
		putn(&f, c->tok_per_s, 1);
		putusd(&f, tg->selfhost && tg->usd_per_hour > 0 ? tg->usd_per_hour : NAN);
		putusd(&f, c->usd_per_month_fixed);
		putn(&f, c->capacity_mtok_month, 1);
		putusd(&f, c->monthly_usd);
		putusd(&f, c->run_usd);
	}
	if (f.failed)
		return -1;
	g = table_noted(d, "break_even", "Break-even: self-hosted vs API", 5, bcols,
		strdup("the monthly volume above which one self-hosted machine costs less "
		"than the API (machine $ / month ÷ API blended $ / M); never: the API stays cheaper even "
		"with the machine fully used"));
	for (size_t i = 0; i < a->n_cost && !g.failed; i++)
		for (size_t j = 0; j < a->n_cost; j++) {
			const rep_cost_row *x = &a->cost[i], *y = &a->cost[j];
			if (!s->targets[x->target].selfhost || s->targets[y->target].selfhost)
				continue;
			put(&g, s->targets[x->target].label);
			put(&g, s->targets[y->target].label);
			putusd(&g, y->blended_mtok);
			putusd(&g, x->usd_per_month_fixed);
			putn(&g, a->break_even[i * a->n_cost + j], 1);
		}
	return g.failed ? -1 : 0;
}

static int hardware_table(rep_doc *d, const rep_set *s)
{
	static const char *const cols[] = { "l:target", "l:run", "l:hardware (spec)",
		"l:machine that ran it" };
	rep_table *t = table_new(d, "hardware", "Hardware", 4, cols);
	filler f = { t, 0, !t };
	for (size_t i = 0; i < s->n_targets && !f.failed; i++) {
		const rep_target *tg = &s->targets[i];
		if (tg->price_only)
			continue;
		put(&f, tg->label);
		put(&f, s->runs[tg->run].label);
		put(&f, tg->hw_json);
		put(&f, s->runs[tg->run].hw_line);
	}
	return f.failed ? -1 : 0;
}

/* Hardware fit: per local target, its measured row (the machine of its run, generation t/s
 * per stream as stored) and the predicted rows the caller computed (docs/fit.md). */
static int fit_table(rep_doc *d, const rep_set *s, const rep_opts *o)
{
	static const char *const cols[] = { "l:target", "l:kind", "l:hardware", "l:quant", "l:fits",
		"r:devices", "r:pp t/s", "r:tg t/s", "r:$ / M out cloud", "r:$ / M out owned" };
	filler f;
	if (!o->n_fit_rows)
		return 0;
	f = table_noted(d, "fit", "Hardware fit", 10, cols, strdup(o->fit_note ? o->fit_note :
		"predicted rows: `tierbench fit`'s model (docs/fit.md); measured rows: this run"));
	for (size_t i = 0; i < s->n_targets && !f.failed; i++) {
		const rep_target *tg = &s->targets[i];
		double tps = NAN;
		const char *quant = NULL;
		for (size_t k = 0; k < o->n_fit_rows && !quant; k++)
			if (!strcmp(o->fit_rows[k].target_id, tg->id))
				quant = o->fit_rows[k].quant;
		if (!quant)
			continue;
		for (size_t k = 0; k < s->n_ts && isnan(tps); k++)
			if (s->ts[k].target == i && isfinite(s->ts[k].out_tps))
				tps = s->ts[k].out_tps;
		put(&f, tg->label);
		put(&f, "measured");
		put(&f, s->runs[tg->run].hw_line ? s->runs[tg->run].hw_line : "this run's machine");
		put(&f, quant);
		put(&f, "yes");
		put(&f, "–");
		put(&f, "–");
		putn(&f, tps, 1);
		put(&f, "–");
		putusd(&f, tg->selfhost && tg->usd_per_hour > 0 && tps > 0 ? tg->usd_per_hour / (tps * 3600) * 1e6 : NAN);
		for (size_t k = 0; k < o->n_fit_rows && !f.failed; k++) {
			const rep_fit_row *r = &o->fit_rows[k];
			if (strcmp(r->target_id, tg->id))
				continue;
			put(&f, tg->label);
			put(&f, "predicted");
			put(&f, r->hardware);
			put(&f, r->quant);
			put(&f, r->fits == 1 ? "yes" : r->fits == 2 ? "offload" : "no");
			putf(&f, "%d", r->n_devices);
			putn(&f, r->pp_ts, 0);
			putn(&f, r->tg_ts, 1);
			putusd(&f, r->usd_per_mtok_cloud);
			putusd(&f, r->usd_per_mtok_owned);
		}
	}
	return f.failed ? -1 : 0;
}

/* A p-value for a sentence: three decimals, "< 0.001" below that, "–" unknown. Returns buf. */
static const char *fmt_p(char *buf, size_t n, double p)
{
	if (isnan(p))
		snprintf(buf, n, "–");
	else if (p < 0.001)
		snprintf(buf, n, "< 0.001");
	else
		snprintf(buf, n, "%.3f", p);
	return buf;
}

/* The decision summary: per suite its leader and the cheapest target not significantly worse,
 * one line per quantisation with its verdict in every suite, and the cheapest measured target a
 * month at the stated volume. */
static int decision_summary(rep_doc *d, const rep_set *s, const rep_analysis *a,
	const rep_opts *o)
{
	size_t cap = 0, po = (size_t)-1;
	char b1[64], b2[64], tail[512] = "";
	d->cost_winner = (size_t)-1;
	if (a->n_suites && !(d->decision = calloc(a->n_suites, sizeof *d->decision)))
		return -1;
	for (size_t k = 0; k < a->n_suites; k++) {
		const rep_tier_list *l = &a->tiers[k];
		rep_decision_suite *ds = &d->decision[d->n_decision++];
		const rep_tier_row *lead, *ch = NULL;
		ds->suite = a->suites[k];
		ds->leader = ds->cheapest = (size_t)-1;
		if (!l->n)
			continue;
		lead = &l->rows[0];
		ds->leader = lead->target;
		for (size_t i = 0; i < l->n; i++) {
			double m = a->cost[l->rows[i].target].monthly_usd;
			if (l->rows[i].tier == lead->tier && l->rows[i].leader == lead->target && !isnan(m) &&
			    (!ch || m < a->cost[ch->target].monthly_usd))
				ch = &l->rows[i];
		}
		if (ch)
			ds->cheapest = ch->target;
		if (add_str(&d->summary, &d->n_summary, &cap, ch == lead ? fmtdup("%s: leader %s (%.1f %%), "
		    "also the cheapest of those not significantly worse ($%s / month at %g M tokens)",
		    ds->suite, s->targets[lead->target].label, 100 * lead->score,
		    rep_fmt(b1, sizeof b1, a->cost[ch->target].monthly_usd, 2), o->volume_mtok_month) :
		    ch ? fmtdup("%s: leader %s (%.1f %%); "
		    "cheapest not significantly worse: %s (%.1f %%, $%s / month at %g M tokens)",
		    ds->suite, s->targets[lead->target].label, 100 * lead->score,
		    s->targets[ch->target].label, 100 * ch->score,
		    rep_fmt(b1, sizeof b1, a->cost[ch->target].monthly_usd, 2), o->volume_mtok_month) :
		    fmtdup("%s: leader %s (%.1f %%); no cost known for the targets not significantly "
		    "worse", ds->suite, s->targets[lead->target].label, 100 * lead->score)))
			return -1;
	}
	/* one line per quantised target: its verdict against its model's best quantisation */
	for (size_t t = 0; t < s->n_targets; t++) {
		char line[1024];
		size_t u = 0;
		int n = 0;
		if (!s->targets[t].quant)
			continue;
		u += (size_t)snprintf(line, sizeof line, strcmp(s->targets[t].quant, s->targets[t].label) ?
			"%s (%s):" : "%s:", s->targets[t].quant, s->targets[t].label);
		for (size_t i = 0; i < a->n_quant && u < sizeof line; i++) {
			const rep_quant_row *q = &a->quant[i];
			int w;
			if (q->ts->target != t)
				continue;
			if (q->ts == q->best)
				w = snprintf(line + u, sizeof line - u, "%s best on %s", n ? ";" : "", q->ts->suite);
			else
				w = snprintf(line + u, sizeof line - u, "%s %+.1f pts on %s vs %s, %s at n = %zu "
					"(p %s%s)", n ? ";" : "", 100 * (q->vs.n_shared ? q->vs.diff :
					q->ts->acc - q->best->acc), q->ts->suite,
					s->targets[q->best->target].quant, q->vs.worse ? "significantly worse" :
					q->vs.p < o->alpha ? "significantly better" : "not significant",
					q->vs.n_shared ? q->vs.n_shared : (size_t)q->ts->n,
					q->vs.p < 0.001 ? "" : "= ", fmt_p(b2, sizeof b2, q->vs.p));
			u += w > 0 ? (size_t)w : 0;
			n++;
		}
		if (n && add_str(&d->summary, &d->n_summary, &cap, strdup(line)))
			return -1;
	}
	for (size_t i = 0; i < a->n_cost; i++) {
		const rep_cost_row *c = &a->cost[i];
		if (!s->targets[c->target].price_only && !isnan(c->monthly_usd) &&
		    (d->cost_winner == (size_t)-1 || c->monthly_usd < a->cost[d->cost_winner].monthly_usd))
			d->cost_winner = i;
	}
	/* a price-only API (list price, nothing measured) cheaper still is named beside it */
	for (size_t i = 0; i < a->n_cost; i++) {
		const rep_cost_row *c = &a->cost[i];
		if (s->targets[c->target].price_only && !isnan(c->monthly_usd) &&
		    (po == (size_t)-1 || c->monthly_usd < a->cost[po].monthly_usd))
			po = i;
	}
	if (po != (size_t)-1 && d->cost_winner != (size_t)-1 &&
	    !(a->cost[po].monthly_usd < a->cost[d->cost_winner].monthly_usd))
		po = (size_t)-1;
	if (po != (size_t)-1)
		snprintf(tail, sizeof tail, "; list price of %s (price only, not measured): $%s / month",
			s->targets[a->cost[po].target].label, rep_fmt(b2, sizeof b2, a->cost[po].monthly_usd, 2));
	if (add_str(&d->summary, &d->n_summary, &cap, d->cost_winner == (size_t)-1 ?
	    fmtdup("cost at %g M tokens / month: no measured target has a cost%s",
	    o->volume_mtok_month, tail) : fmtdup("cheapest at %g M tokens / month: %s, $%s / month%s",
	    o->volume_mtok_month, s->targets[a->cost[d->cost_winner].target].label,
	    rep_fmt(b1, sizeof b1, a->cost[d->cost_winner].monthly_usd, 2), tail)))
		return -1;
	if (d->cost_winner != (size_t)-1)
		d->cost_winner = a->cost[d->cost_winner].target;
	return 0;
}

int rep_doc_build(const rep_set *s, const rep_analysis *a, const rep_opts *o, rep_doc *d)
{
	size_t cap = 0;
	memset(d, 0, sizeof *d);
	for (size_t i = 0; i < s->n_runs; i++) {
		const rep_run *r = &s->runs[i];
		if (add_str(&d->facts, &d->n_facts, &cap, fmtdup("run %s: %s%s%s, started %s, finished %s%s%s",
		    r->label, r->name ? r->name : "", r->name ? ", " : "", r->status ? r->status : "?",
		    r->started ? r->started : "?", r->finished ? r->finished : "–",
		    r->build ? "; " : "", r->build ? r->build : "")))
			goto fail;
	}
	if (!(d->tier_rule = fmtdup("Targets are ordered by score. The first leads tier S; each next "
	    "target joins the tier of the first leader it is not significantly worse than (p < %g: "
	    "exact McNemar on shared pass/fail items, paired bootstrap (%d replicates) for other "
	    "scores, non-overlapping 95 %% intervals when the items differ); a target significantly "
	    "worse than every leader so far leads the next tier (S, A, B, C, D; after D the rest are "
	    "D). Overall: the weighted mean of the suites' accuracies, for targets that ran every "
	    "weighted suite; its interval and comparisons a bootstrap stratified by suite (items "
	    "resampled within each suite).",
	    o->alpha, o->n_boot)))
		goto fail;
	if (o->fits_on) {
		char *r = fmtdup("%s Only targets predicted to fit on %s are ranked.", d->tier_rule, o->fits_on);
		if (!r)
			goto fail;
		free(d->tier_rule);
		d->tier_rule = r;
	}
	if (decision_summary(d, s, a, o) || results_table(d, s) || pass_table(d, s) || itl_table(d, s) || quant_table(d, s, a, o) ||
	    sweep_table(d, a, o) || load_table(d, s, a) ||
	    quality_table(d, s, a) || verdict_table(d, s, o) || tier_table(d, s, a) ||
	    cost_tables(d, s, a, o) || hardware_table(d, s) || fit_table(d, s, o))
		goto fail;
	return 0;
fail:
	rep_doc_release(d);
	return REP_ENOMEM;
}

void rep_doc_release(rep_doc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_tables; i++) {
		rep_table *t = &d->tables[i];
		free(t->title);
		free(t->note);
		for (size_t c = 0; t->cols && c < t->n_cols; c++)
			free(t->cols[c]);
		free(t->cols);
		free(t->align);
		for (size_t c = 0; c < t->n_cells; c++)
			free(t->cells[c]);
		free(t->cells);
	}
	free(d->tables);
	for (size_t i = 0; i < d->n_facts; i++)
		free(d->facts[i]);
	free(d->facts);
	for (size_t i = 0; i < d->n_summary; i++)
		free(d->summary[i]);
	free(d->summary);
	free(d->decision);
	free(d->tier_rule);
	memset(d, 0, sizeof *d);
}

int rep_prepare(const rep_set *s, const rep_opts *o, rep_analysis *a, rep_doc *d, char *err,
	size_t errlen)
{
	rep_opts def;
	int rc;
	if (!o) {
		rep_opts_default(&def);
		o = &def;
	}
	if ((rc = rep_analysis_build(s, o, a, err, errlen)))
		return rc;
	if (rep_doc_build(s, a, o, d)) {
		rep_analysis_release(a);
		snprintf(err, errlen, "out of memory");
		return REP_ENOMEM;
	}
	return 0;
}
