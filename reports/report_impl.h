/* reports/report_impl.h — what the files of reports/ share: the loaded runs (rep_set), the
 * analysis computed from them once per document (tiers, quantisation groups, cost), and the
 * string tables every writer renders. Included only by reports/ and its tests. */
#ifndef TB_REPORT_IMPL_H
#define TB_REPORT_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "reports/report.h"

#define REP_HOURS_PER_MONTH 730.0
/* The newest results-store schema the reader knows; equals HX_STORE_SCHEMA_VERSION (a test
 * checks), kept here because reports/ does not include the harness. */
#define REP_STORE_SCHEMA_VERSION 4
#define REP_MAX_METRICS 8
#define REP_MAX_CHARTS 64           /* charts one report draws at most */
#define REP_CHART_NAME 128          /* a chart's file name without extension, with its NUL */

/* One item of a target x suite: its mean primary score over samples. */
typedef struct rep_item {
	char *id;
	double score;
	int n;
	int n_pass_scored, n_pass;     /* samples with a "pass" score (coding suites), those >= 0.5 */
	/* the first sample's stored log-probabilities (samples.logprobs_json), or none */
	size_t n_lp;
	int top_k;
	float *lp;                     /* [n_lp] the text's token at each scored position */
	int32_t *top_id;               /* [n_lp * top_k], -1 unknown */
	float *top_lp;                 /* [n_lp * top_k], -inf where the list ends */
} rep_item;

/* One target x suite: everything read from its sample rows. */
typedef struct rep_ts {
	size_t target;                 /* index into rep_set.targets */
	char *suite;
	long n, n_errors, n_correct;   /* scored samples, failed samples, scored with score >= 0.5 */
	double sum, sumsq;             /* of primary scores */
	int binary;                    /* every score is 0 or 1 */
	int n_metrics;
	char *metric[REP_MAX_METRICS];
	double metric_sum[REP_MAX_METRICS];
	double metric_sumsq[REP_MAX_METRICS];
	long metric_n[REP_MAX_METRICS];
	long metric_correct[REP_MAX_METRICS];  /* values >= 0.5 */
	int metric_nonbinary[REP_MAX_METRICS]; /* some value is neither 0 nor 1 */
	double *ttft, *lat, *itl;      /* [n_ttft], [n_lat], [n_itl] in ms */
	size_t n_ttft, n_lat, n_itl, cap_ttft, cap_lat, cap_itl;
	double *tpot;                  /* [n_tpot] per sample: (e2e - TTFT) / (tokens out - 1), ms */
	size_t n_tpot, cap_tpot;
	double gen_ms;                 /* streamed rows: sum of e2e - TTFT (> 0, tokens out > 1) */
	int64_t gen_tokens;            /* of those rows: sum of tokens out - 1 */
	double lat_ms_sum;             /* sum of latency over rows with a latency */
	int64_t lat_tokens, lat_tokens_out;   /* tokens (in+out, out) of those rows */
	int64_t tin, tout, treason;
	int tokens_known;              /* some row had a token count */
	double cost;                   /* sum of stored cost_usd */
	long n_length;                 /* samples cut by the token limit (finish_reason "length") */
	long n_budget_out;             /* of those, the ones with no answer text: the budget ran out
	                                * while the model was still reasoning */
	rep_item *items;               /* [n_items], sorted by id (strcmp) */
	size_t n_items, cap_items;
	int coding;                    /* some sample has a "pass" score (humaneval, mbpp, ...) */
	int has_lp;                    /* some item has log-probabilities (the quality suite) */
	/* computed by rep_ts_finish */
	double pass_at[REP_N_PASS_K];  /* mean over items of rep_pass_at_k; NAN when k > samples */
	long samples_per_item;         /* coding: the fewest "pass"-scored samples of an item */
	double acc, lo, hi;
	double ttft_p50, ttft_p90, lat_p50, lat_p90, out_tps;
	double itl_p50, itl_p90, itl_p99, tpot_p50, tpot_p90;   /* NAN without stored gaps */
	double run_usd, usd_per_solved;
} rep_ts;

typedef struct rep_target {
	size_t run;
	char *id, *label, *provider, *model, *quant, *base, *hw_json;
	double price_in, price_out;
	int has_prices;
	int selfhost;
	double usd_per_hour;
	int concurrency;
	int price_only;                /* rep_set_add_price_only: list prices, no samples, no run */
	char *as_of;                   /* price-only: the price's date, or NULL */
	int64_t file_bytes, n_params;  /* as the store recorded them when the run started */
	char *arch, *type_mix;         /* or NULL */
	double bpw;
	int bpw_nominal;               /* bpw from the quant type's block format, not the file */
} rep_target;

typedef struct rep_run {
	char *label, *name, *started, *finished, *status, *build, *hw_line;
	char *weights_json;            /* {"suite": weight} from the spec, or NULL */
} rep_run;

struct rep_set {
	rep_run *runs;
	size_t n_runs;
	rep_target *targets;
	size_t n_targets;
	rep_ts *ts;
	size_t n_ts;
};

/* Result of a paired comparison of y against x (y - x). */
typedef struct rep_pair {
	const char *test;              /* "McNemar", "bootstrap", "intervals" or "–" */
	size_t n_shared;
	long b, c;                     /* McNemar: x pass y fail, x fail y pass */
	double diff, lo, hi, p;        /* mean difference y - x, its interval, p-value */
	int worse;                     /* y significantly worse than x */
} rep_pair;

/* Compares y with x on their shared items (paired), or by interval overlap when they share
 * none. Ownership: borrows. */
void rep_pair_test(const rep_ts *x, const rep_ts *y, int n_boot, uint64_t seed, double alpha,
	rep_pair *out);

/* The compare verdict of a paired result (y against x): "regression" (significantly worse, p <
 * alpha, by more than max_drop_pct points; *regressed set to 1), "worse, within the allowed
 * drop", "better" or "no significant change". Ownership: static. */
const char *rep_pair_verdict(const rep_pair *p, double alpha, double max_drop_pct, int *regressed);

/* Tier of one target in one suite (or overall when ts == NULL). */
typedef struct rep_tier_row {
	size_t target;
	const rep_ts *ts;              /* NULL for the overall list */
	double score, lo, hi;
	int tier;
	size_t leader;                 /* target index of its tier's leader */
	rep_pair vs;                   /* comparison with the leader (test "–" for leaders) */
} rep_tier_row;

typedef struct rep_tier_list {
	char *suite;                   /* NULL = overall */
	rep_tier_row *rows;            /* [n], best first */
	size_t n;
} rep_tier_list;

/* One quantisation row: a target x suite within its base model group. */
typedef struct rep_quant_row {
	const rep_ts *ts;
	const rep_ts *best;            /* the model's best quantisation in this suite */
	rep_pair vs;                   /* this against best */
} rep_quant_row;

typedef struct rep_cost_row {
	size_t target;
	double in_mtok, out_mtok, blended_mtok;   /* $ per M tokens; NAN unknown */
	double tok_per_s;              /* self-host: measured throughput at the run's concurrency */
	double usd_per_month_fixed;    /* self-host: one machine a month */
	double capacity_mtok_month;    /* self-host: tokens one machine serves a month */
	double monthly_usd;            /* at the requested volume */
	double run_usd;                /* all suites */
} rep_cost_row;

typedef struct rep_analysis {
	char **suites;                 /* [n_suites] in first-seen order (borrowed from ts) */
	double *weights;               /* [n_suites] */
	size_t n_suites;
	rep_tier_list *tiers;          /* [n_suites + 1]: per suite, then overall */
	rep_quant_row *quant;          /* [n_quant], grouped by base model, then suite, best first */
	size_t n_quant;
	rep_cost_row *cost;            /* [n_targets] */
	size_t n_cost;
	double *break_even;            /* [n_targets][n_targets]: self-host row, API column */
	/* quality figures per target (rep_quality_compute against rep_quality_baseline), for the
	 * targets with stored log-probabilities; has_quality[t] 0 elsewhere */
	rep_quality *quality;          /* [n_targets] */
	int *has_quality;              /* [n_targets] */
	size_t n_quality;              /* targets that have them */
	const char *quality_suite;     /* the suite they came from (borrowed), or NULL */
	struct rep_sweep_row *sweep;   /* [n_sweep] rep_sweep_build's rows */
	size_t n_sweep;
	struct rep_load_row *load;     /* [n_load] rep_load_build's rows */
	size_t n_load;
} rep_analysis;

/* The first suite of s whose samples carry log-probabilities, or NULL. Ownership: owned by s. */
const char *rep_quality_suite(const rep_set *s);

/* The baseline of target t's quality figures in suite: o->verdict_base when that target has
 * them, else the target with them of the same base model with the most bits per weight (the
 * first of equals), else the first target with them. Returns its index, or (size_t)-1. */
size_t rep_quality_baseline(const rep_set *s, const rep_opts *o, const char *suite, size_t t);

/* Fills a->quality for every target (analysis.c calls it). 0 or REP_ENOMEM. */
int rep_quality_analyse(const rep_set *s, const rep_opts *o, rep_analysis *a);

/* 1 when target t may appear in tier lists: always without o->fits_on, else when a fit row of
 * t for that hardware fits. */
int rep_target_fits_on(const rep_set *s, const rep_opts *o, size_t t);

/* Builds the analysis of s. Returns 0 or REP_EINVAL (bad weights) / REP_ENOMEM with a line in
 * err. Ownership: release with rep_analysis_release. */
int rep_analysis_build(const rep_set *s, const rep_opts *o, rep_analysis *a, char *err,
	size_t errlen);
void rep_analysis_release(rep_analysis *a);

/* A table of preformatted cells, rendered by each writer. */
typedef struct rep_table {
	const char *id;                /* "results", "quant", ... (HTML ids, CSV names) */
	char *title;
	char *note;                    /* text shown under the table, or NULL */
	size_t n_cols, n_rows;
	char **cols;                   /* [n_cols] */
	char *align;                   /* [n_cols] 'l' or 'r' */
	char **cells;                  /* [n_rows * n_cols], "–" for unknown */
	size_t n_cells;
} rep_table;

/* One point of a sweep (reports/sweep.c): a target of a family ("BASE@name=value,...", ids that
 * a run spec's matrix gives) in one suite. */
typedef struct rep_sweep_row {
	char *family;                  /* BASE (heap) */
	const char *point;             /* "name=value,..." (borrowed from the target id) */
	const rep_ts *ts;
	double usd_per_item;           /* stored cost / items; NAN without items */
	double reasoning_per_item, answer_per_item;   /* tokens; answer = output - reasoning */
	double budget_out;             /* share of samples cut by the token limit with no answer */
	int pareto_cost, pareto_latency;   /* on the frontier of accuracy vs $ / item, vs latency p50 */
	const rep_ts *prev;            /* the next cheaper point of the family in the suite, or NULL */
	rep_pair vs_prev;              /* this against prev on their shared items */
	double usd_per_extra;          /* ($ / item - prev's) / accuracy gain; INFINITY: no gain */
} rep_sweep_row;

/* The length of id's family prefix when id is a swept target's ("BASE@name=value,..."), else 0. */
size_t rep_sweep_family_len(const char *id);

/* The rows of every family with at least two points in a suite, grouped by family then suite,
 * cheapest first (the order in which "a step up the dial" is judged). Returns 0 or REP_ENOMEM.
 * Ownership: release with rep_sweep_release(*rows, *n_rows); rows borrow s. */
int rep_sweep_build(const rep_set *s, const rep_opts *o, rep_sweep_row **rows, size_t *n_rows);
void rep_sweep_release(rep_sweep_row *rows, size_t n);

/* One level of `tierbench load` (reports/serving.c): a target's suite "load/rate=R" or
 * "load/concurrency=C". */
typedef struct rep_load_row {
	rep_ts *ts;
	double offered;                /* requests/s (INFINITY: all at once) or concurrency */
	int closed;                    /* 1: a concurrency level */
	double wall_s;                 /* the level's duration, as stored with its rows */
	double req_per_s, tok_per_s;   /* completed requests and output tokens per second */
	double good_share, good_per_s; /* requests meeting the SLO: share of all sent, and per second */
	double ttft_ms[3], tpot_ms[3], itl_ms[3], e2e_ms[3];   /* p50, p90, p99; NAN when none */
	int knee;                      /* the first level whose next one adds < 10 % throughput */
	int max_meeting_slo;           /* the highest level with at least REP_LOAD_SLO_SHARE good */
} rep_load_row;

#define REP_LOAD_SLO_SHARE 0.9

/* The offered load of a load level's suite name, *closed set for a concurrency; -1 otherwise. */
double rep_load_level(const char *suite, int *closed);

/* The load rows of s, by target, then rate levels before concurrency levels, lowest first.
 * Returns 0 or REP_ENOMEM. Ownership: free(*rows); rows point into s (whose latency arrays
 * this sorts). */
int rep_load_build(const rep_set *s, rep_load_row **rows, size_t *n_rows);

/* The decision summary's facts (rep_doc_build), per suite: its leader and the cheapest target
 * (lowest monthly cost at the stated volume) in the leader's tier, i.e. not significantly worse
 * than it; (size_t)-1 when none. */
typedef struct rep_decision_suite {
	const char *suite;             /* borrowed from the analysis */
	size_t leader, cheapest;       /* target indices */
} rep_decision_suite;

/* All tables of a report, in document order. */
typedef struct rep_doc {
	rep_decision_suite *decision;  /* [n_decision], one per suite */
	size_t n_decision;
	size_t cost_winner;            /* measured target cheapest a month at the volume, or -1 */
	char **summary;                /* [n_summary] lines of the decision summary */
	size_t n_summary;
	rep_table *tables;
	size_t n_tables;
	char **facts;                  /* [n_facts] lines about the runs and hardware */
	size_t n_facts;
	char *tier_rule;               /* the tier rule in words */
} rep_doc;

int rep_doc_build(const rep_set *s, const rep_analysis *a, const rep_opts *o, rep_doc *d);
void rep_doc_release(rep_doc *d);

/* Builds the analysis and the document (o NULL = defaults). Returns 0 or a REP_E* code with a
 * line in err. Ownership: release d then a. */
int rep_prepare(const rep_set *s, const rep_opts *o, rep_analysis *a, rep_doc *d, char *err,
	size_t errlen);

/* Names (without extension) of the charts in dir that have an SVG, in drawing order; returns
 * how many were written to names[max]. */
int rep_charts_list(const char *dir, char names[][REP_CHART_NAME], int max);

/* Whether dir holds the chart NAME.svg. */
int rep_chart_exists(const char *dir, const char *name);

/* Helpers shared by the writers. */
double rep_quantile(double *v, size_t n, double p);   /* sorts v; p in 0..1 */
uint64_t rep_rng_next(uint64_t *st);
/* Formats v with `dec` decimals into buf, or "–" when v is NAN or infinite (+inf as "never"
 * when inf_never). Returns buf. */
char *rep_fmt(char *buf, size_t n, double v, int dec);
/* The ts of (target, suite), or NULL. */
const rep_ts *rep_set_find_ts(const rep_set *s, size_t target, const char *suite);

#endif
