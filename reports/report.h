/* reports/report.h — turning aggregated results into documents people read. Reports never
 * run anything: the harness reads a results store, computes the metrics and hands rows here.
 * For now: the Markdown summary table. Prefix rep_. */
#ifndef TB_REPORT_H
#define TB_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { REP_OK = 0, REP_EINVAL = -1, REP_EIO = -2 };

/* One row of the summary: one target x suite x metric. Strings borrowed. Values < 0 (or NAN)
 * are shown as "–" (unknown). */
typedef struct rep_row {
	const char *target;
	const char *provider;
	const char *model;
	const char *quant;          /* or NULL */
	const char *suite;
	const char *metric;         /* "strict", "flexible", ... */
	long n;                     /* scored samples */
	long n_correct;
	long n_errors;              /* samples that failed (not scored) */
	double accuracy;            /* n_correct / n */
	double ci_lo, ci_hi;        /* Wilson 95 % */
	double ttft_p50_ms, ttft_p90_ms;
	double latency_p50_ms, latency_p90_ms;
	double out_tok_per_s;       /* output tokens / generation time, NAN when unknown */
	int64_t n_tokens_in, n_tokens_out, n_tokens_reasoning;
	double cost_usd;
	double usd_per_solved;      /* NAN when nothing solved or cost unknown */
} rep_row;

/* Header information for a report. Strings borrowed. */
typedef struct rep_meta {
	const char *title;          /* e.g. the run directory */
	const char *started;        /* ISO time, or NULL */
	const char *finished;
	const char *status;         /* "done", "interrupted", ... */
	const char *build;          /* build info line, or NULL */
	const char *hardware;       /* one-line hardware summary, or NULL */
} rep_meta;

/* Writes a Markdown report (heading, run facts, one summary table) to f.
 * Returns 0, or REP_EIO when writing fails. Ownership: borrows everything. */
int rep_write_markdown(FILE *f, const rep_meta *meta, const rep_row *rows, size_t n);

/* Text for a REP_E* code. Ownership: static. */
const char *rep_strerror(int code);

#endif
