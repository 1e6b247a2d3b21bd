/* reports/report.h — turning results stores into documents people read: the report (Markdown,
 * CSV, JSON, self-contained HTML), gnuplot charts, the tier list, the cost table and the
 * comparison of two runs with a regression verdict. Reports never run anything: they open
 * results stores read-only (the schema in docs/results-store.md is the contract), so any report
 * can be remade later from any set of runs. Prefix rep_. */
#ifndef TB_REPORT_H
#define TB_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { REP_OK = 0, REP_EINVAL = -1, REP_EIO = -2, REP_ENOMEM = -3, REP_ESTORE = -4 };

/* Text for a REP_E* code. Ownership: static. */
const char *rep_strerror(int code);

/* The k of pass@k that reports show (those <= the samples per item). */
#define REP_N_PASS_K 3
#define REP_PASS_K(i) ((i) == 0 ? 1L : (i) == 1 ? 10L : 100L)

/* ---------------------------------------------------------------- options */

/* One predicted row of the hardware-fit table for a local target (docs/fit.md): computed by
 * the caller with `tierbench fit`'s model, since reports read only results stores. */
typedef struct rep_fit_row {
	const char *target_id;          /* the target it predicts (rep_set_target_id) */
	const char *hardware;           /* catalogue entry name */
	const char *quant;
	int fits;                       /* 0 no, 1 yes, 2 with layers in host memory */
	int n_devices;
	double pp_ts, tg_ts;            /* predicted t/s; NAN when it does not fit */
	double usd_per_mtok_cloud, usd_per_mtok_owned;   /* NAN when unknown */
} rep_fit_row;

typedef struct rep_opts {
	double blend_in, blend_out;     /* blended price mix, input:output (default 3:1) */
	double volume_mtok_month;       /* monthly volume for the cost table, M tokens (default 100) */
	double alpha;                   /* significance level (default 0.05) */
	int n_boot;                     /* paired bootstrap replicates (default 2000) */
	uint64_t seed;                  /* bootstrap seed (default 1): reports are reproducible */
	const char *weights;            /* "suite=w,suite=w" overriding the spec's suite weights, or NULL */
	const char *charts_dir;         /* folder holding charts (SVG embedded in HTML), or NULL */
	const char *verdict_base;       /* target id: a verdict table of every other target against
	                                 * it, as rep_compare_targets judges (NULL: none) */
	double max_drop_pct;            /* verdicts: allowed drop, percentage points (default 0) */
	const rep_fit_row *fit_rows;    /* [n_fit_rows] predicted hardware rows, or NULL: the
	                                 * "Hardware fit" table shows them beside each local
	                                 * target's measured row */
	size_t n_fit_rows;
	const char *fit_note;           /* the calibration behind fit_rows, shown under the table */
	const char *fits_on;            /* tier lists only of targets whose fit row for this
	                                 * hardware fits (NULL: every target) */
} rep_opts;

/* Fills o with the defaults above. */
void rep_opts_default(rep_opts *o);

/* ---------------------------------------------------------------- loaded results */

typedef struct rep_set rep_set;

/* An empty set of runs. Ownership: caller frees with rep_set_free; NULL on ENOMEM. */
rep_set *rep_set_new(void);

/* Frees the set. NULL does nothing. */
void rep_set_free(rep_set *s);

/* Reads run run_id (the newest when run_id < 0) of the results store at db_path, opened
 * read-only, into s. label names the run in reports (the run directory). Columns a store lacks
 * or leaves NULL (timings, tokens, cost) are shown as unknown, never as zero.
 * A store written by a newer schema than this reader knows is refused (REP_ESTORE).
 * Returns 0, or REP_ESTORE / REP_EINVAL / REP_ENOMEM with one line in err naming the file; after
 * a failure s may hold part of the run and should be freed, not rendered.
 * Ownership: borrows the arguments; s copies what it keeps. */
int rep_set_add_store(rep_set *s, const char *db_path, const char *label, int64_t run_id,
	char *err, size_t errlen);

/* Perplexity and divergence of a target from its samples of a scoring suite (quality): the
 * per-token log-probabilities the store holds, and against a baseline target's samples on the
 * same windows, KL divergence over the baseline's top k tokens plus the rest as one bucket (a
 * lower bound), the share of tokens with the same most likely next token, and the RMS change of
 * the text token's probability. */
typedef struct rep_quality {
	double ppl, ppl_err;            /* exp(mean NLL) and its standard error */
	long n_tokens, n_windows;       /* scored tokens and windows */
	int has_baseline;               /* 1: the figures below are against a baseline */
	double kld_mean, kld_median, kld_p99;   /* nats */
	double same_top, rms_dp;        /* fractions 0..1 */
	long n_same;                    /* tokens whose top token is the baseline's (of n_tokens) */
	double same_lo, same_hi;        /* Wilson 95 % interval of same_top */
	double ratio, ratio_lo, ratio_hi, ratio_p;   /* PPL / the baseline's on the shared windows,
	                                 * its 95 % interval and p (paired bootstrap over windows) */
} rep_quality;

/* Computes the quality figures of target t of s in suite (NULL: the first suite with stored
 * log-probabilities), against target bt of set bs when bs is not NULL (bs may be s; a target
 * against itself gives the perplexity alone). The windows are matched by item id and must
 * hold as many scored tokens. Returns 0, or REP_EINVAL with one line in err (no log-probabilities,
 * no shared window, windows of different lengths), or REP_ENOMEM. Ownership: borrows. */
int rep_quality_compute(const rep_set *s, size_t t, const rep_set *bs, size_t bt,
	const char *suite, int n_boot, uint64_t seed, rep_quality *out, char *err, size_t errlen);

/* The words for a quantisation's quality against its baseline, from the perplexity ratio and
 * the mean KLD (llama.cpp users' rule of thumb: under 1 % and 0.01 nats is indistinguishable):
 * "same as base", "small loss" (< 5 %, < 0.05), "clear loss" (< 15 %, < 0.2), "large loss".
 * Ownership: static. */
const char *rep_quality_verdict(double ppl_ratio, double kld_mean);

/* Adds a price-only target: an API model known from its list prices alone, with no samples.
 * Reports show it in the cost and break-even tables, marked "price only, not measured", and
 * nowhere else. as_of (the price table's date, or NULL) is shown with it. The set must hold a
 * run already. Returns 0, REP_EINVAL (id already used, or no run; one line in err) or
 * REP_ENOMEM. Ownership: copies the strings. */
int rep_set_add_price_only(rep_set *s, const char *id, const char *provider, const char *model,
	double in_per_mtok, double out_per_mtok, const char *as_of, char *err, size_t errlen);

/* Prints the runs of the results store at db_path (opened read-only) as `tierbench list runs`
 * shows them: "PATH:", a header, then per run its id, status, start, finish, samples, failed
 * samples and targets. Returns 0, or REP_ESTORE with one line in err naming the file.
 * Ownership: borrows. */
int rep_list_runs(FILE *f, const char *db_path, char *err, size_t errlen);

/* Number of targets in the set, and the model (as stored) and id of target i. Ownership: owned
 * by s. */
size_t rep_set_n_targets(const rep_set *s);
const char *rep_set_target_model(const rep_set *s, size_t i);
const char *rep_set_target_id(const rep_set *s, size_t i);

/* ---------------------------------------------------------------- documents */

/* Each writer renders the whole report of s to f: run facts and hardware, the per target x
 * suite table, the quantisation table grouped by base model, the tier list with its rule and
 * numbers, and the cost table. Output is deterministic for a given set and options.
 * Returns 0, REP_EINVAL (bad weights, with one line in err), REP_ENOMEM, or REP_EIO.
 * Ownership: borrows everything. */
int rep_write_markdown(FILE *f, const rep_set *s, const rep_opts *o, char *err, size_t errlen);
int rep_write_csv(FILE *f, const rep_set *s, const rep_opts *o, char *err, size_t errlen);
int rep_write_json(FILE *f, const rep_set *s, const rep_opts *o, char *err, size_t errlen);
/* One self-contained HTML file: inline CSS, the charts' SVG files from o->charts_dir embedded,
 * tables sortable by clicking a header (a few lines of inline script, no libraries). */
int rep_write_html(FILE *f, const rep_set *s, const rep_opts *o, char *err, size_t errlen);

/* The short summary a run prints when it ends: per target x suite x metric (in the set's order)
 * the metric's mean with its 95 % interval (Wilson for pass/fail values, mean ± 1.96 s/√n
 * otherwise), scored and failed samples, and pass@1/10/100 of a coding suite's "pass" metric
 * for k up to the samples per item:
 * "  TARGET  SUITE  METRIC  81.0 % [72.2, 87.5]  n=100  errors=0  pass@1 ...". Returns 0 or
 * REP_EIO. Ownership: borrows everything. */
int rep_write_summary(FILE *f, const rep_set *s, char *err, size_t errlen);

/* Writes the charts into dir (created if missing): for each chart a .dat, a .gp, and the .png
 * and .svg gnuplot renders from them. Without gnuplot, writes the .dat and .gp files only and
 * puts a one-line warning in warn (REP_OK is still returned). *n_charts gets the number of
 * charts rendered to images. Returns 0, or REP_EIO / REP_ENOMEM with one line in err.
 * Ownership: borrows everything. */
int rep_charts_write(const rep_set *s, const rep_opts *o, const char *dir, int *n_charts,
	char *warn, size_t warnlen, char *err, size_t errlen);

/* ---------------------------------------------------------------- comparison */

typedef struct rep_compare_opts {
	const char *suite;          /* only this suite, or NULL for every shared suite */
	double max_drop_pct;        /* allowed drop in percentage points (default 0) */
	double alpha;               /* default 0.05 */
	int n_boot;                 /* default 2000 */
	uint64_t seed;              /* default 1 */
	int max_flipped;            /* flipped items listed per suite (default 20) */
} rep_compare_opts;

/* Fills o with the defaults above. */
void rep_compare_opts_default(rep_compare_opts *o);

/* Compares two loaded sets item by item: for every target present in both (matched by target
 * id, or the only target of each when the ids differ) and every shared suite, the paired test
 * (exact McNemar when every item score is 0 or 1, paired bootstrap otherwise), the items that
 * flipped, and for the quality suite the perplexity / KL deltas. Writes the verdict in
 * Markdown to f. *regressed is set to 1 when some suite is significantly worse (p < alpha) by
 * more than max_drop_pct points. Returns 0, or REP_EINVAL (nothing to compare, with one line
 * in err) / REP_EIO. Ownership: borrows everything. */
int rep_compare(FILE *f, const rep_set *base, const rep_set *cand, const rep_compare_opts *o,
	int *regressed, char *err, size_t errlen);

/* As rep_compare for two targets of one set, by id (a quantisation sweep runs the base and
 * each variant as targets of one run): the "## base → candidate" section with its table, the
 * flipped items and metric deltas, then "Verdict for CAND: ...". *regressed as rep_compare.
 * Returns 0, or REP_EINVAL (an unknown id or no shared suite, one line in err) / REP_EIO.
 * Ownership: borrows everything. */
int rep_compare_targets(FILE *f, const rep_set *s, const char *base_id, const char *cand_id,
	const rep_compare_opts *o, int *regressed, char *err, size_t errlen);

/* ---------------------------------------------------------------- statistics (stats.c) */

/* Wilson score 95 % interval for k of n; n = 0 gives [0, 1]. */
void rep_wilson95(long k, long n, double *lo, double *hi);

/* The unbiased pass@k estimator (Chen et al. 2021, "Evaluating Large Language Models Trained on
 * Code"): for an item with n samples of which c pass, 1 - C(n - c, k) / C(n, k). NAN when k < 1,
 * k > n or c outside 0..n. */
double rep_pass_at_k(long n, long c, long k);

/* Two-sided exact McNemar p-value for b and c discordant pairs: the binomial test of
 * min(b, c) against Binomial(b + c, 1/2), doubled and capped at 1. b + c = 0 gives 1. */
double rep_mcnemar_exact(long b, long c);

/* Paired bootstrap of the mean difference d = mean(y - x) over n items: resamples items with
 * replacement n_boot times (seeded, deterministic). Writes the two-sided 1 - alpha percentile
 * interval and the two-sided p-value (2 x the share of replicates on the other side of 0,
 * capped at 1). Returns the observed mean difference; NAN when n == 0. */
double rep_paired_bootstrap(const double *x, const double *y, size_t n, int n_boot,
	uint64_t seed, double alpha, double *lo, double *hi, double *p);

/* ---------------------------------------------------------------- tiers and cost (pure) */

/* Tier assignment for k candidates already sorted best first. worse(i, j, ud) says whether
 * candidate i is significantly worse than candidate j (j < i). Rule: candidate 0 leads tier S;
 * each candidate joins the tier of the first leader it is not significantly worse than;
 * a candidate significantly worse than every leader so far leads the next tier (S, A, B, C, D);
 * once D has a leader, the rest are D. tier[i] gets 0..4 (S..D), leader[i] the index of the
 * leader it was compared with (itself for leaders). */
void rep_tiers_assign(size_t k, int (*worse)(size_t i, size_t j, void *ud), void *ud,
	int *tier, size_t *leader);

/* Letter of tier 0..4: "S", "A", "B", "C", "D". Ownership: static. */
const char *rep_tier_name(int tier);

/* Hourly cost of a self-hosted machine: cost_per_hour when > 0, else
 * purchase_usd / amortisation_months / 730 + power_watts / 1000 * usd_per_kwh. 0 when unknown. */
double rep_selfhost_usd_per_hour(double cost_per_hour, double purchase_usd,
	double amortisation_months, double power_watts, double usd_per_kwh);

/* Blended price per M tokens for a mix of blend_in input : blend_out output tokens. */
double rep_blended_usd_per_mtok(double in_per_mtok, double out_per_mtok, double blend_in,
	double blend_out);

/* Break-even monthly volume (M tokens) above which a self-hosted machine costing
 * usd_per_month and serving at most capacity_mtok_month beats an API at api_usd_per_mtok:
 * usd_per_month / api_usd_per_mtok; INFINITY when the API is cheaper even at full use of the
 * machine (or the API is free), NAN when a figure is unknown. */
double rep_break_even_mtok_month(double usd_per_month, double capacity_mtok_month,
	double api_usd_per_mtok);

#endif
