/* cli/cli_report.c — `tierbench report` and `tierbench compare`: option parsing, loading run
 * directories into a report set (the results stores only, and price-only API rows from the price
 * table) and writing the requested formats. All the analysis lives in reports/. */
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/base.h"
#include "cli/cli_impl.h"
#include "harness/harness.h"
#include "providers/provider.h"
#include "reports/report.h"


char *cli_store_path(const char *dir)
{
	size_t n = strlen(dir) + 16;
	char *p = malloc(n);
	struct stat sb;
	if (!p)
		return NULL;
	if (stat(dir, &sb) == 0 && S_ISREG(sb.st_mode))
		snprintf(p, n, "%s", dir);
	else
		snprintf(p, n, "%s/results.db", dir);
	return p;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

/* --max-drop PCT of `cmd` (report, compare) into *out: 0, or -1 after printing why. */
static int parse_max_drop(const char *cmd, const char *arg, double *out)
{
	if (parse_double(arg, 0, 100, out) == 0)
		return 0;
	fprintf(stderr, "tierbench %s: --max-drop: expected percentage points in 0..100, got \"%s\"\n",
		cmd, arg);
	return -1;
}

/* Adds the newest run (or run_id) of each directory to s. Only the stores are read: model
 * facts and quality figures are in them (docs/results-store.md). Returns 0 or prints one line. */
static int load_runs(rep_set *s, char **dirs, int n, long run_id, const char *cmd)
{
	char err[1024];
	for (int i = 0; i < n; i++) {
		char *p = cli_store_path(dirs[i]);
		if (!p) {
			fprintf(stderr, "tierbench %s: out of memory\n", cmd);
			return -1;
		}
		/* A directory or FIFO named results.db is one line here, not an SQLite I/O error or
		 * a reader blocked on the FIFO. */
		if (hx_file_check(p, "results store", err, sizeof err)) {
			fprintf(stderr, "tierbench %s: %s\n", cmd, err);
			free(p);
			return -1;
		}
		if (rep_set_add_store(s, p, dirs[i], run_id, err, sizeof err)) {
			fprintf(stderr, "tierbench %s: %s\n", cmd, err);
			free(p);
			return -1;
		}
		free(p);
	}
	return 0;
}

/* Adds a price-only target for each "provider/model" of list, priced from the table at
 * prices_path (NULL: the built-in one). Returns 0 or prints one line. */
static int load_price_only(rep_set *s, const char *list, const char *prices_path)
{
	char path[PATH_MAX], err[1024], *copy = strdup(list), *save = NULL;
	prov_prices *tab = NULL;
	int rc = -1;
	if (!copy) {
		fprintf(stderr, "tierbench report: out of memory\n");
		return -1;
	}
	if (!prices_path && !(prices_path = prov_prices_default_path(path, sizeof path))) {
		fprintf(stderr, "tierbench report: --price-only: no price table (datasets/prices.json); "
			"give --prices FILE\n");
		goto done;
	}
	if (!(tab = prov_prices_load(prices_path, err, sizeof err))) {
		fprintf(stderr, "tierbench report: %s\n", err);
		goto done;
	}
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char id[512], *model = strchr(tok, '/');
		prov_price p;
		if (!model || model == tok || !model[1]) {
			fprintf(stderr, "tierbench report: --price-only: expected PROVIDER/MODEL, got \"%s\"\n", tok);
			goto done;
		}
		snprintf(id, sizeof id, "%s", tok);   /* the row's name: provider/model */
		*model++ = '\0';
		if (prov_prices_find(tab, tok, model, &p) != 0) {
			fprintf(stderr, "tierbench report: --price-only: %s has no price for %s\n", prices_path, id);
			goto done;
		}
		if (rep_set_add_price_only(s, id, tok, model, p.input_per_mtok, p.output_per_mtok,
		    p.as_of[0] ? p.as_of : NULL, err, sizeof err)) {
			fprintf(stderr, "tierbench report: --price-only: %s\n", err);
			goto done;
		}
	}
	rc = 0;
done:
	prov_prices_free(tab);
	free(copy);
	return rc;
}

/* ------------------------------------------------------------------ report */

static void usage_report(FILE *f)
{
	fprintf(f,
		"usage: tierbench report RUN_DIR... [--format md,html,csv,json] [--out DIR] [options]\n"
		"\n"
		"Reports on the newest run (or --run ID) of each run directory: per target x suite the\n"
		"accuracy with its 95 %% interval, TTFT and end-to-end latency percentiles, output tokens/s,\n"
		"tokens and cost; quantisations grouped by base model with the loss against the best one;\n"
		"a tier list (S..D) by a paired significance rule; the self-host vs API cost table; charts.\n"
		"Reads only the results stores. See docs/reports.md.\n"
		"\n"
		"  --format LIST     comma-separated: md, html, csv, json (default md)\n"
		"  -o, --out DIR     write report.<format> files and charts/ into DIR; without it, one\n"
		"                    format goes to standard output and no charts are drawn\n"
		"  --run ID          run id within each store (default: the newest)\n"
		"  --weights LIST    suite weights for the overall tier, e.g. gsm8k=2,humaneval=1\n"
		"                    (default: the spec's suite weights, else 1 each)\n"
		"  --volume MTOK     monthly volume for the cost table, millions of tokens (default 100)\n"
		"  --blend IN:OUT    input:output token mix of blended prices (default 3:1)\n"
		"  --alpha A         significance level (default 0.05)\n"
		"  --price-only LIST API models known only by their list price, e.g.\n"
		"                    openai/gpt-4o-mini,anthropic/claude-haiku-4-5: rows in the cost and\n"
		"                    break-even tables marked \"price only, not measured\"\n"
		"  --prices FILE     price table for --price-only (default: datasets/prices.json)\n"
		"  --verdicts-vs ID  a verdict table of every other target against target ID\n"
		"  --max-drop PCT    verdicts: allowed drop in percentage points (default 0)\n"
		"  --no-charts       do not draw charts\n"
		"  --fit-hardware L  a \"Hardware fit\" table: each local target (its GGUF must be readable)\n"
		"                    predicted on these catalogue entries (or all) beside its measured row\n"
		"  --fits-on NAME    tier lists only of targets predicted to fit on NAME (docs/fit.md)\n"
		"  -h, --help        this text\n");
}

static const char *const formats[] = { "md", "html", "csv", "json" };

static int parse_formats(const char *list, int want[4])
{
	const char *p = list;
	memset(want, 0, 4 * sizeof *want);
	while (*p) {
		size_t n = strcspn(p, ","), k;
		for (k = 0; k < 4; k++)
			if (strlen(formats[k]) == n && strncmp(formats[k], p, n) == 0)
				break;
		if (k == 4) {
			fprintf(stderr, "tierbench report: --format: unknown format \"%.*s\" (md, html, csv, "
				"json)\n", (int)n, p);
			return -1;
		}
		want[k] = 1;
		p += n + (p[n] == ',');
	}
	return want[0] + want[1] + want[2] + want[3] ? 0 : -1;
}

static int write_one(int k, FILE *f, const rep_set *s, const rep_opts *o, char *err, size_t n)
{
	switch (k) {
	case 0: return rep_write_markdown(f, s, o, err, n);
	case 1: return rep_write_html(f, s, o, err, n);
	case 2: return rep_write_csv(f, s, o, err, n);
	default: return rep_write_json(f, s, o, err, n);
	}
}

static int report_cmd(int argc, char **argv)
{
	enum { O_FORMAT = 256, O_RUN, O_WEIGHTS, O_VOLUME, O_BLEND, O_ALPHA, O_NOCHARTS, O_PRICE_ONLY,
		O_PRICES, O_VERDICTS, O_DROP, O_FIT_HW, O_FITS_ON };
	static const struct option opts[] = {
		{ "format", required_argument, NULL, O_FORMAT },
		{ "out", required_argument, NULL, 'o' },
		{ "run", required_argument, NULL, O_RUN },
		{ "weights", required_argument, NULL, O_WEIGHTS },
		{ "volume", required_argument, NULL, O_VOLUME },
		{ "blend", required_argument, NULL, O_BLEND },
		{ "alpha", required_argument, NULL, O_ALPHA },
		{ "no-charts", no_argument, NULL, O_NOCHARTS },
		{ "price-only", required_argument, NULL, O_PRICE_ONLY },
		{ "prices", required_argument, NULL, O_PRICES },
		{ "verdicts-vs", required_argument, NULL, O_VERDICTS },
		{ "max-drop", required_argument, NULL, O_DROP },
		{ "fit-hardware", required_argument, NULL, O_FIT_HW },
		{ "fits-on", required_argument, NULL, O_FITS_ON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int want[4] = { 1, 0, 0, 0 }, c, rc = HX_EXIT_OK, charts = 1;
	const char *out_dir = NULL, *price_only = NULL, *prices = NULL;
	char *fit_hw = NULL;
	int want_fit = 0;
	cli_fit_rows fit;
	long run_id = -1;
	char err[1024], *end, extra;
	rep_opts o;
	rep_set *s = NULL;
	char chart_dir[PATH_MAX];

	rep_opts_default(&o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case O_FORMAT:
			if (parse_formats(optarg, want))
				return HX_EXIT_USAGE;
			break;
		case 'o': out_dir = optarg; break;
		case O_RUN:
			errno = 0;
			run_id = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || run_id < 1) {
				fprintf(stderr, "tierbench report: --run: expected a run id >= 1, got \"%s\"\n", optarg);
				return HX_EXIT_USAGE;
			}
			break;
		case O_WEIGHTS: o.weights = optarg; break;
		case O_VOLUME:
			if (parse_double(optarg, 0, 1e12, &o.volume_mtok_month)) {
				fprintf(stderr, "tierbench report: --volume: expected M tokens >= 0, got \"%s\"\n", optarg);
				return HX_EXIT_USAGE;
			}
			break;
		case O_BLEND:
			if (sscanf(optarg, "%lf:%lf%c", &o.blend_in, &o.blend_out, &extra) != 2 ||
			    !(o.blend_in >= 0) || !(o.blend_out >= 0) || !(o.blend_in + o.blend_out > 0)) {
				fprintf(stderr, "tierbench report: --blend: expected IN:OUT, e.g. 3:1, got \"%s\"\n", optarg);
				return HX_EXIT_USAGE;
			}
			break;
		case O_ALPHA:
			if (parse_double(optarg, 1e-9, 0.5, &o.alpha)) {
				fprintf(stderr, "tierbench report: --alpha: expected a number in (0, 0.5], got \"%s\"\n", optarg);
				return HX_EXIT_USAGE;
			}
			break;
		case O_NOCHARTS: charts = 0; break;
		case O_PRICE_ONLY: price_only = optarg; break;
		case O_PRICES: prices = optarg; break;
		case O_VERDICTS: o.verdict_base = optarg; break;
		case O_DROP:
			if (parse_max_drop("report", optarg, &o.max_drop_pct))
				return HX_EXIT_USAGE;
			break;
		case O_FIT_HW: fit_hw = optarg; want_fit = 1; break;
		case O_FITS_ON: o.fits_on = optarg; want_fit = 1; break;
		case 'h': usage_report(stdout); return HX_EXIT_OK;
		default: usage_report(stderr); return HX_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "tierbench report: give at least one run directory\n");
		usage_report(stderr);
		return HX_EXIT_USAGE;
	}
	if (!out_dir && want[0] + want[1] + want[2] + want[3] > 1) {
		fprintf(stderr, "tierbench report: several formats need --out DIR\n");
		return HX_EXIT_USAGE;
	}
	if (!(s = rep_set_new()) || load_runs(s, argv + optind, argc - optind, run_id, "report") ||
	    (price_only && load_price_only(s, price_only, prices))) {
		rep_set_free(s);
		return HX_EXIT_RUNTIME;
	}
	memset(&fit, 0, sizeof fit);
	if (want_fit) {
		int frc = cli_fit_report_rows(s, fit_hw, o.fits_on, &fit);
		if (frc) {
			rep_set_free(s);
			return frc;
		}
		o.fit_rows = fit.rows;
		o.n_fit_rows = fit.n;
		o.fit_note = fit.note;
	}
	if (out_dir) {
		char merr[1024];
		if (tb_mkdir_p(out_dir, merr, sizeof merr)) {
			fprintf(stderr, "tierbench report: %s\n", merr);
			cli_fit_rows_release(&fit);
			rep_set_free(s);
			return HX_EXIT_RUNTIME;
		}
		snprintf(chart_dir, sizeof chart_dir, "%s/charts", out_dir);
		if (charts) {
			char warn[512] = "";
			int n_charts = 0;
			if (rep_charts_write(s, &o, chart_dir, &n_charts, warn, sizeof warn, err, sizeof err)) {
				fprintf(stderr, "tierbench report: charts: %s\n", err);
				rc = HX_EXIT_RUNTIME;
			} else {
				if (*warn)
					fprintf(stderr, "tierbench report: %s\n", warn);
				if (n_charts)
					o.charts_dir = chart_dir;
			}
		}
	}
	for (int k = 0; k < 4; k++) {
		char path[PATH_MAX];
		FILE *f = stdout;
		int wr;
		if (!want[k])
			continue;
		if (out_dir) {
			snprintf(path, sizeof path, "%s/report.%s", out_dir, formats[k]);
			if (!(f = fopen(path, "w"))) {
				fprintf(stderr, "tierbench report: %s: cannot write: %s\n", path, strerror(errno));
				rc = HX_EXIT_RUNTIME;
				continue;
			}
		}
		wr = write_one(k, f, s, &o, err, sizeof err);
		if (out_dir && fclose(f) && !wr) {
			snprintf(err, sizeof err, "%s", strerror(errno));
			wr = REP_EIO;
		}
		if (!out_dir && fflush(stdout) && !wr) {
			snprintf(err, sizeof err, "%s", strerror(errno));
			wr = REP_EIO;
		}
		if (wr) {
			fprintf(stderr, "tierbench report: %s: %s\n", out_dir ? path : "standard output", err);
			rc = wr == REP_EINVAL ? HX_EXIT_USAGE : HX_EXIT_RUNTIME;
		} else if (out_dir) {
			fprintf(stderr, "report: %s\n", path);
		}
	}
	cli_fit_rows_release(&fit);
	rep_set_free(s);
	return rc;
}

/* ------------------------------------------------------------------ compare */

static void usage_compare(FILE *f)
{
	fprintf(f,
		"usage: tierbench compare BASE_RUN CANDIDATE_RUN [--suite S] [--max-drop PCT] [--alpha A]\n"
		"\n"
		"Compares the candidate run with the base run item by item (exact McNemar for pass/fail\n"
		"scores, paired bootstrap otherwise), lists the items that flipped and, for the quality\n"
		"suite, the perplexity ratio, KL divergence and same top token. Exit code 3 when the candidate is significantly worse\n"
		"(p < alpha) by more than --max-drop percentage points in some suite, so CI can gate a\n"
		"new quantisation.\n"
		"\n"
		"  --suite S         compare only suite S\n"
		"  --max-drop PCT    allowed drop in accuracy, percentage points (default 0)\n"
		"  --alpha A         significance level (default 0.05)\n"
		"  --run-base ID, --run-candidate ID   run ids within the stores (default: newest)\n"
		"  -h, --help        this text\n");
}

/* SIGINT / SIGTERM during a report: the report is written by a worker process in its own
 * process group, so that the signal ends it together with any gnuplot it started (none is left
 * running); every report file is written again by the next run of the same command. */
static volatile sig_atomic_t report_signal;

static void on_report_signal(int sig)
{
	report_signal = sig;
}

int cli_report_signal(void)
{
	return report_signal;
}

int cli_cmd_report(int argc, char **argv)
{
	struct sigaction sa, old_int, old_term;
	int st = 0, rc, killed = 0;
	pid_t pid;

	for (int i = 1; i < argc; i++)   /* help and usage errors need no worker */
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return report_cmd(argc, argv);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_report_signal;   /* no SA_RESTART: the wait returns to stop the worker */
	sigemptyset(&sa.sa_mask);
	report_signal = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		fprintf(stderr, "tierbench report: cannot start a worker process: %s\n", strerror(errno));
		rc = HX_EXIT_RUNTIME;
		goto out;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		rc = report_cmd(argc, argv);
		fflush(NULL);
		_exit(rc);
	}
	setpgid(pid, pid);   /* also here: no gnuplot may start outside the group */
	if ((killed = cli_worker_wait(pid, &report_signal, 1, "report", &st)) < 0) {
		rc = HX_EXIT_RUNTIME;
		goto out;
	}
	if (killed) {
		kill(-pid, SIGKILL);   /* a gnuplot started as the worker was ended */
		fprintf(stderr, "\ntierbench report: stopped by %s; no chart program is left running; the "
			"report files may be incomplete: run the same command to write them again\n",
			report_signal == SIGINT ? "SIGINT" : "SIGTERM");
		rc = HX_EXIT_RUNTIME;
	} else {
		rc = WIFEXITED(st) ? WEXITSTATUS(st) : HX_EXIT_RUNTIME;
	}
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rc;
}

int cli_cmd_compare(int argc, char **argv)
{
	enum { O_SUITE = 256, O_DROP, O_ALPHA, O_RB, O_RC };
	static const struct option opts[] = {
		{ "suite", required_argument, NULL, O_SUITE },
		{ "max-drop", required_argument, NULL, O_DROP },
		{ "alpha", required_argument, NULL, O_ALPHA },
		{ "run-base", required_argument, NULL, O_RB },
		{ "run-candidate", required_argument, NULL, O_RC },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	rep_compare_opts o;
	rep_set *base = NULL, *cand = NULL;
	long run_b = -1, run_c = -1;
	int c, regressed = 0, rc;
	char err[1024], *end;

	rep_compare_opts_default(&o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_SUITE: o.suite = optarg; break;
		case O_DROP:
			if (parse_max_drop("compare", optarg, &o.max_drop_pct))
				return HX_EXIT_USAGE;
			break;
		case O_ALPHA:
			if (parse_double(optarg, 1e-9, 0.5, &o.alpha)) {
				fprintf(stderr, "tierbench compare: --alpha: expected a number in (0, 0.5], got \"%s\"\n", optarg);
				return HX_EXIT_USAGE;
			}
			break;
		case O_RB:
		case O_RC: {
			long v;
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1) {
				fprintf(stderr, "tierbench compare: expected a run id >= 1, got \"%s\"\n", optarg);
				return HX_EXIT_USAGE;
			}
			*(c == O_RB ? &run_b : &run_c) = v;
			break;
		}
		case 'h': usage_compare(stdout); return HX_EXIT_OK;
		default: usage_compare(stderr); return HX_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "tierbench compare: give exactly two run directories, BASE and CANDIDATE\n");
		usage_compare(stderr);
		return HX_EXIT_USAGE;
	}
	if (!(base = rep_set_new()) || !(cand = rep_set_new()) ||
	    load_runs(base, argv + optind, 1, run_b, "compare") ||
	    load_runs(cand, argv + optind + 1, 1, run_c, "compare")) {
		rep_set_free(base);
		rep_set_free(cand);
		return HX_EXIT_RUNTIME;
	}
	rc = rep_compare(stdout, base, cand, &o, &regressed, err, sizeof err);
	rep_set_free(base);
	rep_set_free(cand);
	if (rc) {
		fprintf(stderr, "tierbench compare: %s\n", err);
		return rc == REP_EINVAL ? HX_EXIT_USAGE : HX_EXIT_RUNTIME;
	}
	if (fflush(stdout))
		return HX_EXIT_RUNTIME;
	return regressed ? HX_EXIT_REGRESSION : HX_EXIT_OK;
}
