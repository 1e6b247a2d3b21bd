/* cli/main.c — the tierbench command line: `tierbench <command> [options]`. Parses options
 * with getopt_long, maps failures to the documented exit codes (0 ok, 1 usage, 2 runtime error,
 * 3 regression found, 4 samples failed) and leaves all real work to the harness, suites, providers and reports. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "base/base.h"
#include "cli/cli_impl.h"
#include "engine/engine.h"
#include "harness/harness.h"
#include "providers/provider.h"
#include "reports/report.h"
#include "suites/suite.h"

static void usage_main(FILE *f);

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* ------------------------------------------------------------------ run */

/* Every target's provider and every suite is a known kind; else a usage error was printed. */
static int check_kinds(const hx_spec *spec)
{
	size_t np, ns;
	const prov_info *pi = prov_list(&np);
	const suite_info *si = suite_list(&ns);
	for (size_t i = 0; i < spec->n_targets; i++)
		if (spec->targets[i].provider &&
		    cli_check_name("tierbench run", "provider", spec->targets[i].provider, pi, np,
				   sizeof *pi))
			return -1;
	for (size_t i = 0; i < spec->n_suites; i++)
		if (spec->suites[i].name &&
		    cli_check_name("tierbench run", "suite", spec->suites[i].name, si, ns, sizeof *si))
			return -1;
	return 0;
}

static void usage_run(FILE *f)
{
	fprintf(f,
		"usage: tierbench run SPEC.json [--out DIR] [options]\n"
		"       tierbench run --target PROVIDER:MODEL --suite NAME --dataset PATH [options]\n"
		"\n"
		"Runs every target x suite x item x sample of the spec and stores each scored sample in\n"
		"RUN_DIR/results.db as it completes. Running the same spec into the same directory again\n"
		"resumes: finished samples are skipped, failed transports are retried.\n"
		"\n"
		"one-target, one-suite runs without a spec file:\n"
		"  --target PROVIDER:MODEL   e.g. samples:gens.jsonl (generations you already have),\n"
		"                            local:model.gguf (the built-in engine)\n"
		"  --suite NAME              e.g. gsm8k (see `tierbench list suites`)\n"
		"  --dataset PATH            the suite's dataset file (JSONL)\n"
		"  --train PATH              file to take few-shot exemplars from (default: built-in)\n"
		"  --shots N                 few-shot exemplars (default: the suite's)\n"
		"  --limit N                 only the first N items\n"
		"  --samples N               samples per item (default 1)\n"
		"options for both forms:\n"
		"  --out DIR                 run directory (default: the spec's output, else runs/NAME)\n"
		"  --concurrency N           requests in flight per target\n"
		"  --force-new               start a new run when the directory holds a different spec\n"
		"  --shard I/N               run shard I of N (0 <= I < N) into DIR/shard-I-of-N; without\n"
		"                            it, read from a Slurm array task (SLURM_ARRAY_TASK_ID, _MIN,\n"
		"                            _COUNT) or an Indexed Job pod (JOB_COMPLETION_INDEX with\n"
		"                            TB_SHARDS); `tierbench merge` combines the shards\n"
		"  --no-bw                   do not measure memory bandwidth for the hardware profile\n"
		"  --sweep KEY=V1,V2,...     one target per value of KEY for every target (repeat for a\n"
		"                            grid): options.reasoning_effort=low,high, generation.max_tokens=\n"
		"                            2048,8192, model=..., quant=... (docs/spec.md, \"Sweeps\")\n"
		"  --max-targets N           allow a sweep to make more than 256 targets\n"
		"  -q, --quiet               no progress display\n"
		"  -v, --verbose             provider and engine messages on stderr (each attempt, retry,\n"
		"                            error body and result, model loads and warnings; keys never\n"
		"                            appear); -vv adds per-request detail\n"
		"  -h, --help                this text\n");
}

static char *default_out(const hx_spec *spec, const char *spec_path)
{
	char name[256];
	char *out;
	if (spec->output)
		return strdup(spec->output);
	if (spec->name) {
		snprintf(name, sizeof name, "%s", spec->name);
	} else if (spec_path) {
		const char *b = strrchr(spec_path, '/');
		char *dot;
		snprintf(name, sizeof name, "%s", b ? b + 1 : spec_path);
		if ((dot = strrchr(name, '.')))
			*dot = 0;
	} else {
		snprintf(name, sizeof name, "%s-%s", spec->n_suites ? spec->suites[0].name : "run",
			 spec->n_targets ? spec->targets[0].provider : "target");
	}
	for (char *p = name; *p; p++)
		if (*p == '/' || *p == ' ')
			*p = '_';
	if ((out = malloc(strlen(name) + 6)))
		sprintf(out, "runs/%s", name);
	return out;
}

/* The provider and engine log sink of `run -v`: one line per message on stderr. */
static void log_to_stderr(void *ud, int level, const char *msg)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	char esc[2048];   /* log lines are at most 1024 bytes; escapes take 4 each */
	(void)ud;
	hx_text_escape(esc, sizeof esc, msg);   /* server bodies and messages reach the terminal */
	fprintf(stderr, "tierbench: %s: %s\n", names[level >= 0 && level < 4 ? level : 3], esc);
}

static int cmd_run(int argc, char **argv)
{
	enum { O_TARGET = 256, O_SUITE, O_DATASET, O_TRAIN, O_SHOTS, O_LIMIT, O_SAMPLES, O_OUT,
	       O_CONC, O_FORCE, O_SHARD, O_NOBW, O_SWEEP, O_MAXT };
	static const struct option opts[] = {
		{ "target", required_argument, NULL, O_TARGET },
		{ "suite", required_argument, NULL, O_SUITE },
		{ "dataset", required_argument, NULL, O_DATASET },
		{ "train", required_argument, NULL, O_TRAIN },
		{ "shots", required_argument, NULL, O_SHOTS },
		{ "limit", required_argument, NULL, O_LIMIT },
		{ "samples", required_argument, NULL, O_SAMPLES },
		{ "out", required_argument, NULL, O_OUT },
		{ "concurrency", required_argument, NULL, O_CONC },
		{ "force-new", no_argument, NULL, O_FORCE },
		{ "shard", required_argument, NULL, O_SHARD },
		{ "no-bw", no_argument, NULL, O_NOBW },
		{ "sweep", required_argument, NULL, O_SWEEP },
		{ "max-targets", required_argument, NULL, O_MAXT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *target = NULL, *suite_nm = NULL, *dataset = NULL, *train = NULL, *out = NULL;
	long shots = -2, limit = -1, samples = -1, conc = -1, max_targets = 0;
	const char *sweeps[16];
	size_t n_sweeps = 0;
	int c, force_new = 0, quiet = 0, measure_bw = 1, shard_i = 0, shard_n = 1, flags_form = 0;
	int verbose = 0;
	hx_spec *spec = NULL;
	hx_run_opts ro = { 0 };
	hx_run_summary sum;
	char err[2048], *out_dir = NULL;
	int rc = HX_EXIT_USAGE;
	int shard_flag = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qvh", opts, NULL)) != -1) {
		switch (c) {
		case O_TARGET: target = optarg; flags_form = 1; break;
		case O_SUITE: suite_nm = optarg; flags_form = 1; break;
		case O_DATASET: dataset = optarg; flags_form = 1; break;
		case O_TRAIN: train = optarg; flags_form = 1; break;
		case O_SHOTS:
			if (parse_int(optarg, 0, 1000, &shots)) {
				fprintf(stderr, "tierbench run: --shots: expected integer 0..1000, got \"%s\"\n", optarg);
				return HX_EXIT_USAGE;
			}
			flags_form = 1;
			break;
		case O_LIMIT:
			if (parse_int(optarg, 0, LONG_MAX, &limit)) {
				fprintf(stderr, "tierbench run: --limit: expected integer >= 0, got \"%s\"\n", optarg);
				return HX_EXIT_USAGE;
			}
			break;
		case O_SAMPLES:
			if (parse_int(optarg, 1, 100000, &samples)) {
				fprintf(stderr, "tierbench run: --samples: expected integer 1..100000, got \"%s\"\n", optarg);
				return HX_EXIT_USAGE;
			}
			flags_form = 1;
			break;
		case O_OUT: out = optarg; break;
		case O_CONC:
			if (parse_int(optarg, 1, 100000, &conc)) {
				fprintf(stderr, "tierbench run: --concurrency: expected integer 1..100000, got \"%s\"\n", optarg);
				return HX_EXIT_USAGE;
			}
			break;
		case O_FORCE: force_new = 1; break;
		case O_SHARD: {
			int a, b, n = 0;
			if (sscanf(optarg, "%d/%d%n", &a, &b, &n) != 2 || optarg[n] || b < 1 || a < 0 || a >= b) {
				fprintf(stderr, "tierbench run: --shard: expected I/N with 0 <= I < N, got \"%s\"\n", optarg);
				return HX_EXIT_USAGE;
			}
			shard_i = a;
			shard_n = b;
			shard_flag = 1;
			break;
		}
		case O_NOBW: measure_bw = 0; break;
		case O_SWEEP:
			if (n_sweeps == sizeof sweeps / sizeof *sweeps) {
				fprintf(stderr, "tierbench run: --sweep: at most %zu keys\n", sizeof sweeps / sizeof *sweeps);
				return HX_EXIT_USAGE;
			}
			sweeps[n_sweeps++] = optarg;
			break;
		case O_MAXT:
			if (parse_int(optarg, 1, 1000000, &max_targets)) {
				fprintf(stderr, "tierbench run: --max-targets: expected integer 1..1000000, got \"%s\"\n", optarg);
				return HX_EXIT_USAGE;
			}
			break;
		case 'q': quiet = 1; break;
		case 'v': verbose++; break;
		case 'h': usage_run(stdout); return HX_EXIT_OK;
		default: usage_run(stderr); return HX_EXIT_USAGE;
		}
	}
	if (!shard_flag) {
		/* a Slurm array task or a Kubernetes Indexed Job pod names its own shard */
		hx_shard_env env;
		hx_shard_env_get(&env);
		if (hx_shard_from_env(&env, &shard_i, &shard_n, err, sizeof err)) {
			fprintf(stderr, "tierbench run: %s\n", err);
			return HX_EXIT_USAGE;
		}
	}
	if (optind < argc - 1) {
		fprintf(stderr, "tierbench run: one spec file at most (got \"%s\" and \"%s\")\n", argv[optind],
			argv[optind + 1]);
		return HX_EXIT_USAGE;
	}
	if (optind == argc - 1) {
		if (flags_form) {
			fprintf(stderr, "tierbench run: give either a spec file or --target/--suite/--dataset "
				"flags, not both (--limit, --out, --concurrency work with both)\n");
			return HX_EXIT_USAGE;
		}
		if (!(spec = hx_spec_load_ex(argv[optind], max_targets, err, sizeof err))) {
			fprintf(stderr, "tierbench: %s\n", err);
			return HX_EXIT_RUNTIME;
		}
		if (limit >= 0)
			for (size_t i = 0; i < spec->n_suites; i++)
				spec->suites[i].limit = limit;
	} else {
		const char *colon = target ? strchr(target, ':') : NULL;
		hx_target_spec *t;
		hx_suite_spec *s;
		char prov_name[64];
		if (!target || !suite_nm) {
			fprintf(stderr, "tierbench run: give a spec file, or --target PROVIDER:MODEL and --suite NAME\n");
			usage_run(stderr);
			return HX_EXIT_USAGE;
		}
		if (!colon || colon == target || !colon[1] || (size_t)(colon - target) >= sizeof prov_name) {
			fprintf(stderr, "tierbench run: --target: expected PROVIDER:MODEL, got \"%s\"\n", target);
			return HX_EXIT_USAGE;
		}
		memcpy(prov_name, target, (size_t)(colon - target));
		prov_name[colon - target] = 0;
		if (!(spec = hx_spec_new()) || !(t = hx_spec_add_target(spec, prov_name, colon + 1)) ||
		    !(s = hx_spec_add_suite(spec, suite_nm))) {
			fprintf(stderr, "tierbench: out of memory\n");
			hx_spec_free(spec);
			return HX_EXIT_RUNTIME;
		}
		(void)t;
		if ((dataset && !(s->dataset = strdup(dataset))) || (train && !(s->train = strdup(train)))) {
			fprintf(stderr, "tierbench: out of memory\n");
			hx_spec_free(spec);
			return HX_EXIT_RUNTIME;
		}
		if (shots >= 0)
			s->shots = (int)shots;
		if (limit >= 0)
			s->limit = limit;
		if (samples > 0)
			s->samples = (int)samples;
	}
	if (conc > 0)
		spec->concurrency = (int)conc;
	if (n_sweeps) {
		hx_spec *sw = hx_spec_sweep(spec, sweeps, n_sweeps, max_targets, err, sizeof err);
		if (!sw) {
			fprintf(stderr, "tierbench run: %s\n", err);
			rc = HX_EXIT_RUNTIME;
			goto done;
		}
		hx_spec_free(spec);
		spec = sw;
	}
	if (check_kinds(spec)) {
		rc = HX_EXIT_USAGE;
		goto done;
	}
	if (hx_spec_validate(spec, err, sizeof err)) {
		fprintf(stderr, "tierbench: %s\n", err);
		rc = HX_EXIT_RUNTIME;
		goto done;
	}
	if (out) {
		out_dir = strdup(out);
	} else {
		out_dir = default_out(spec, optind == argc - 1 ? argv[optind] : NULL);
		if (out_dir && spec->output && spec->base_dir && spec->output[0] != '/' &&
		    strcmp(spec->base_dir, ".") != 0) {
			/* A spec's own output path is relative to the spec's folder. */
			char *j = tb_path_resolve(spec->base_dir, out_dir);
			free(out_dir);
			out_dir = j;
		}
	}
	if (out_dir && shard_n > 1) {
		char *j = malloc(strlen(out_dir) + 64);
		if (j)
			sprintf(j, "%s/shard-%d-of-%d", out_dir, shard_i, shard_n);
		free(out_dir);
		out_dir = j;
	}
	if (!out_dir) {
		fprintf(stderr, "tierbench: out of memory\n");
		rc = HX_EXIT_RUNTIME;
		goto done;
	}
	ro.out_dir = out_dir;
	ro.force_new = force_new;
	ro.quiet = quiet;
	ro.shard_index = shard_i;
	ro.shard_count = shard_n;
	ro.measure_bw = measure_bw;
	ro.log = stderr;
	if (verbose) {
		prov_log_set(log_to_stderr, NULL, verbose > 1 ? PROV_LOG_DEBUG : PROV_LOG_INFO);
		eng_log_set(log_to_stderr, NULL, verbose > 1 ? ENG_LOG_DEBUG : ENG_LOG_INFO);
	}
	c = hx_run(spec, &ro, &sum, err, sizeof err);
	prov_log_set(NULL, NULL, 0);
	eng_log_set(NULL, NULL, 0);
	if (c) {
		char esc[sizeof err];
		hx_text_escape(esc, sizeof esc, err);
		fprintf(stderr, "tierbench: %s\n", esc);
		rc = HX_EXIT_RUNTIME;
	} else {
		long failed = 0;
		for (int i = 0; i < 16; i++)
			failed += sum.n_errors[i];
		printf("results: %s/results.db\n", out_dir);
		rc = HX_EXIT_OK;
		if (failed || sum.n_targets_stopped) {
			fprintf(stderr, "tierbench: %ld sample%s failed%s (exit code %d)\n", failed,
				failed == 1 ? "" : "s", sum.n_targets_stopped ? ", targets stopped early" : "",
				HX_EXIT_SAMPLES_FAILED);
			rc = HX_EXIT_SAMPLES_FAILED;
		}
	}
done:
	free(out_dir);
	hx_spec_free(spec);
	return rc;
}

/* ------------------------------------------------------------------ hw */


static int cmd_hw(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-bw", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, json = 0, bw = 1;
	hx_hw hw;
	char err[512];

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'n': bw = 0; break;
		case 'h':
			printf("usage: tierbench hw [--json] [--no-bw]\n\n"
			       "Prints this machine's hardware profile (CPU, cores, caches, NUMA, RAM, GPUs) and\n"
			       "its measured memory bandwidth (under one second). Every run stores the same profile.\n\n"
			       "  --json      as one JSON object\n"
			       "  --no-bw     skip the bandwidth measurement\n");
			return HX_EXIT_OK;
		default:
			fprintf(stderr, "usage: tierbench hw [--json] [--no-bw]\n");
			return HX_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tierbench hw: unexpected argument \"%s\"\n", argv[optind]);
		return HX_EXIT_USAGE;
	}
	if (hx_hw_probe(&hw, bw, err, sizeof err))
		fprintf(stderr, "tierbench hw: %s (showing what could be read)\n", err);
	if (json) {
		char *s = hx_hw_to_json(&hw);
		if (!s) {
			fprintf(stderr, "tierbench: out of memory\n");
			return HX_EXIT_RUNTIME;
		}
		printf("%s\n", s);
		free(s);
	} else {
		hx_hw_print(&hw, stdout);
	}
	return HX_EXIT_OK;
}

/* ------------------------------------------------------------------ list */

static int list_runs(const char *dir)
{
	char err[1024], *p = cli_store_path(dir);

	if (!p) {
		fprintf(stderr, "tierbench: out of memory\n");
		return HX_EXIT_RUNTIME;
	}
	/* a directory or FIFO named results.db is one line, not an SQLite error */
	if (hx_file_check(p, "results store", err, sizeof err) ||
	    rep_list_runs(stdout, p, err, sizeof err)) {
		fprintf(stderr, "tierbench: %s\n", err);
		free(p);
		return HX_EXIT_RUNTIME;
	}
	free(p);
	return HX_EXIT_OK;
}

static int cmd_list(int argc, char **argv)
{
	const char *what = "all";
	int rc = HX_EXIT_OK;
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: tierbench list [suites | providers | runs RUN_DIR...]\n\n"
		       "Lists the built-in suites, the provider kinds, or the runs stored in run directories\n"
		       "(id, status, times, sample and error counts, targets).\n");
		return HX_EXIT_OK;
	}
	if (argc >= 2)
		what = argv[1];
	if (strcmp(what, "suites") == 0 || strcmp(what, "all") == 0) {
		size_t n;
		const suite_info *si = suite_list(&n);
		printf("suites:\n");
		for (size_t i = 0; i < n; i++)
			printf("  %-12s %s\n  %-12s dataset: %s\n", si[i].name, si[i].summary, "",
				si[i].dataset_hint ? si[i].dataset_hint : "built-in");
	}
	if (strcmp(what, "providers") == 0 || strcmp(what, "all") == 0) {
		size_t n;
		const prov_info *pi = prov_list(&n);
		printf("providers:\n");
		for (size_t i = 0; i < n; i++)
			printf("  %-12s %s\n", pi[i].name, pi[i].summary);
	}
	if (strcmp(what, "runs") == 0) {
		if (argc < 3) {
			fprintf(stderr, "tierbench list runs: give one or more run directories\n");
			return HX_EXIT_USAGE;
		}
		for (int i = 2; i < argc; i++)
			if (list_runs(argv[i]))
				rc = HX_EXIT_RUNTIME;
	} else if (strcmp(what, "suites") && strcmp(what, "providers") && strcmp(what, "all")) {
		static const char *const lists[] = { "suites", "providers", "runs" };
		cli_check_name("tierbench list", "list", what, lists, 3, sizeof lists[0]);
		return HX_EXIT_USAGE;
	}
	return rc;
}

/* ------------------------------------------------------------------ main */

/* The one command table: dispatch, the command list of --help and "did you mean" read it. */
typedef struct cli_command {
	const char *name;            /* first: cli_suggest reads the table by stride */
	int (*run)(int argc, char **argv);   /* argv[0] = the command name; returns an exit code */
	const char *summary;         /* one line for --help */
} cli_command;

static const cli_command commands[] = {
	{ "run", cmd_run, "run a spec (or one target x one suite given by flags) into a run directory" },
	{ "report", cli_cmd_report, "report on run directories: tables, tiers, cost, charts (md, html, csv, json)" },
	{ "compare", cli_cmd_compare, "compare two runs item by item; exit 3 on a significant drop" },
	{ "hw", cmd_hw, "print this machine's hardware profile" },
	{ "list", cmd_list, "list suites, providers, or the runs in run directories" },
	{ "generate", cli_cmd_generate, "run one prompt through the built-in engine (GGUF model)" },
	{ "inspect", cli_cmd_inspect, "describe a GGUF model: architecture, size, tensor types, vocabulary" },
	{ "bench", cli_cmd_bench, "prompt and generation speed of GGUF models (as llama-bench measures it)" },
	{ "load", cli_cmd_load, "latency against throughput of an endpoint, level by level (as vLLM's serving benchmark)" },
	{ "serve", cli_cmd_serve, "serve a GGUF model with OpenAI's API (chat, completions, streaming, metrics)" },
	{ "imatrix", cli_cmd_imatrix, "importance matrix of a model over a text (llama-imatrix's statistics, for quantize --imatrix)" },
	{ "quantize", cli_cmd_quantize, "write a quantized copy of a GGUF model (llama-quantize's type mixes)" },
	{ "quality", cli_cmd_quality, "perplexity of a local model over a text; KL divergence from a baseline" },
	{ "quant-sweep", cli_cmd_quant_sweep, "quantize a model to several types and run suites on each" },
	{ "fit", cli_cmd_fit, "will a model fit on hardware you may not have: memory, predicted t/s, $ per Mtok" },
	{ "merge", cli_cmd_merge, "combine the shard stores of one run into one store" },
	{ "cluster", cli_cmd_cluster, "write Slurm array or Kubernetes Indexed Job files for a sharded run" },
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static void usage_main(FILE *f)
{
	int w = 0;
	for (size_t i = 0; i < N_COMMANDS; i++)
		if ((int)strlen(commands[i].name) > w)
			w = (int)strlen(commands[i].name);
	fprintf(f,
		"usage: tierbench <command> [options]\n"
		"\n"
		"Benchmark language models (local GGUF or remote APIs) and decide what to self-host.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-*s  %s\n", w, commands[i].name, commands[i].summary);
	fprintf(f,
		"\n"
		"  tierbench <command> --help   options of a command\n"
		"  tierbench --version          build information\n"
		"\n"
		"exit codes: 0 ok, 1 usage error, 2 runtime error, 3 regression found,\n"
		"            4 run finished with failed samples\n");
}

int main(int argc, char **argv)
{
	const char *cmd, *near;
	char esc[128];
	if (argc < 2) {
		usage_main(stderr);
		return HX_EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		cJSON *b = cJSON_Parse(hx_build_info_json());
		printf("tierbench %s\n", hx_version());
		for (cJSON *it = b ? b->child : NULL; it; it = it->next)
			if (cJSON_IsString(it) && strcmp(it->string, "version") != 0)
				printf("  %-9s %s\n", it->string, it->valuestring);
		printf("  %-9s %s\n", "sqlite", sqlite3_libversion());
		cJSON_Delete(b);
		return HX_EXIT_OK;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage_main(stdout);
		return HX_EXIT_OK;
	}
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	hx_text_escape(esc, sizeof esc, cmd);
	if ((near = cli_suggest(cmd, commands, N_COMMANDS, sizeof commands[0]))) {
		fprintf(stderr, "tierbench: unknown command \"%s\" (did you mean \"%s\"?)\n"
			"  tierbench --help   the list of commands\n", esc, near);
		return HX_EXIT_USAGE;
	}
	fprintf(stderr, "tierbench: unknown command \"%s\"\n\n", esc);
	usage_main(stderr);
	return HX_EXIT_USAGE;
}
