/* harness/harness.h — the harness: run spec, results store, scheduler, metrics, hardware
 * profile, progress display and build info. The CLI (cli/) is the only user of
 * most of this; tests use it directly. Prefix hx_. */
#ifndef TB_HARNESS_H
#define TB_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>

#include "providers/provider.h"
#include "reports/report.h"

/* Error codes (0 = ok). */
enum {
	HX_OK = 0,
	HX_EINVAL = -1,
	HX_ENOMEM = -2,
	HX_EIO = -3,
	HX_ESTORE = -4,     /* results store error (SQLite), incl. disk full */
	HX_ECHANGED = -5,   /* the spec differs from the run already in the store */
	HX_EINTR = -6,      /* stopped by SIGINT / SIGTERM */
};

/* Exit codes of the tierbench command. */
enum { HX_EXIT_OK = 0, HX_EXIT_USAGE = 1, HX_EXIT_RUNTIME = 2, HX_EXIT_REGRESSION = 3,
	HX_EXIT_SAMPLES_FAILED = 4 /* `run` finished, but some samples failed or a target stopped */ };

/* Text for an HX_E* code. Ownership: static. */
const char *hx_strerror(int code);

/* ---------------------------------------------------------------- build info (buildinfo.c) */

/* Build info as a JSON object text: version, git revision, compiler, flags, cuda on/off.
 * Ownership: static string, lives for the program. */
const char *hx_build_info_json(void);
/* The version string ("0.1.0"). Ownership: static. */
const char *hx_version(void);
/* The git revision the binary was built from ("abc123def456" or "…-dirty"). Ownership: static. */
const char *hx_git_rev(void);

/* ---------------------------------------------------------------- input files (files.c) */

/* Checks that path names a regular file without opening it (a FIFO, a directory or a device
 * would block a reader or make no sense as input). what names the input in the message
 * ("dataset", "run spec"). Returns 0 when it is a regular file, 1 when it does not exist (err
 * says so; callers that can create it ignore that), or HX_EINVAL / HX_EIO with one line in err. */
int hx_file_check(const char *path, const char *what, char *err, size_t errlen);

/* Reads a whole regular file of at most max_bytes: opened with O_NONBLOCK so a FIFO cannot
 * hang it, checked with fstat, refused when larger than max_bytes (the message gives both
 * sizes). *len (if not NULL) gets the length; the text is NUL-terminated. Returns NULL with
 * one line in err naming the file and why. Ownership: caller free()s. */
char *hx_file_read(const char *path, const char *what, size_t max_bytes, size_t *len, char *err,
	size_t errlen);

/* Rewrites s in place so that it holds no control characters: each byte below 0x20 and 0x7f
 * becomes \n, \t, \r or \xNN, keeping at most cap bytes with the NUL (cut at a whole
 * escape). Used on messages built from spec keys, paths and dataset fields before they reach
 * the terminal. Returns s. Ownership: s stays the caller's. */
char *hx_escape_ctl(char *s, size_t cap);

/* ---------------------------------------------------------------- run spec (spec.c) */

typedef struct hx_gen_spec {
	int max_tokens;       /* 0 = provider default */
	double temperature;
	double top_p;         /* 0 = provider default */
	char **stop;          /* [n_stop] */
	size_t n_stop;
	int64_t seed;         /* -1 = none */
} hx_gen_spec;

typedef struct hx_target_spec {
	char *id;             /* unique within the spec; default "<provider>:<model>" */
	char *provider;       /* "samples", ... */
	char *model;          /* model name, or for samples the JSONL path (as written) */
	char *options_json;   /* provider options, JSON object text, or NULL */
	int has_prices;
	double price_in_usd_per_mtok;   /* prices.input_per_mtok */
	double price_out_usd_per_mtok;  /* prices.output_per_mtok */
	double price_cached_usd_per_mtok; /* prices.cached_input_per_mtok; -1 = the input price */
	char *hardware_json;  /* hardware profile given in the spec (JSON object text), or NULL */
	char *quant;          /* quantisation label, or NULL */
	int max_in_flight;    /* per-target in-flight limit; 0 = use spec concurrency */
	int has_gen;          /* 1: the target has its own "generation" object (or a matrix set one of
	                       * its keys): gen is the spec's generation with those keys over it */
	hx_gen_spec gen;
} hx_target_spec;

typedef struct hx_suite_spec {
	char *name;           /* "gsm8k" */
	char *dataset;        /* dataset path (as written), or NULL for the suite's built-in */
	char *train;          /* few-shot exemplar file, or NULL */
	int shots;            /* -1 = suite default */
	int samples;          /* samples per item, >= 1 */
	long limit;           /* 0 = all */
	uint64_t seed;
	int chat;             /* 1 = chat prompts */
	double weight;        /* weight in the report's overall score (default 1) */
	char *options_json;   /* the suite's own options, a JSON object text that the suite checks
	                       * (suite_options_check; docs/suites.md names each suite's keys), or
	                       * NULL for its defaults; read it with hx_suite_spec_options */
} hx_suite_spec;

typedef struct hx_spec {
	char *name;           /* run name, or NULL */
	hx_target_spec *targets;  /* [n_targets] */
	size_t n_targets;
	hx_suite_spec *suites;    /* [n_suites] */
	size_t n_suites;
	hx_gen_spec gen;
	int concurrency;      /* default per-target in-flight limit, >= 1 */
	int score_workers;    /* scoring threads; 0 = number of cores */
	char *output;         /* run directory, or NULL */
	char *base_dir;       /* folder relative paths resolve against ("." for flags) */
} hx_spec;

/* The most targets a spec's matrices may expand to unless the spec's "max_targets" (or run's
 * --max-targets) raises it. */
#define HX_SWEEP_MAX_TARGETS 256

/* Parses a spec from JSON text. label names the file in errors ("spec.json"). Errors are one
 * line naming the JSON path and what was expected, e.g.
 * "spec.json: suites[1].shots: expected integer >= 0, got \"eight\"", and unknown keys
 * suggest the nearest valid one ("spec.json: targets[0].modle: unknown key (did you mean
 * \"model\"?)"). A "matrix" (on a target, or at the top level for every target) expands into
 * one target per combination of its values before the targets are read (docs/spec.md, "Sweeps"):
 * keys model, quant, options.NAME (an option of the target's provider), generation.NAME; ids
 * "BASE@name=value,...". Ownership: caller frees with hx_spec_free; NULL on error. */
hx_spec *hx_spec_parse(const char *json, const char *label, const char *base_dir,
	char *err, size_t errlen);

/* Reads and parses a spec file; base_dir is the file's folder. Ownership: as hx_spec_parse. */
hx_spec *hx_spec_load(const char *path, char *err, size_t errlen);

/* As hx_spec_load, with max_targets > 0 replacing the spec's own limit ("max_targets", default
 * HX_SWEEP_MAX_TARGETS) on what its matrices expand to (`run --max-targets`). */
hx_spec *hx_spec_load_ex(const char *path, long max_targets, char *err, size_t errlen);

/* A copy of s with a top-level matrix made of sweeps[n], each "KEY=VALUE,VALUE,..." (`run
 * --sweep`; a value that reads as a number or true / false is one, else a string), expanded as
 * hx_spec_parse does for every target; max_targets > 0 replaces the limit. Returns NULL with one
 * line in err (a malformed sweep, a key that is not a target option, too many targets).
 * Ownership: caller frees with hx_spec_free; s is unchanged. */
hx_spec *hx_spec_sweep(const hx_spec *s, const char *const *sweeps, size_t n, long max_targets,
	char *err, size_t errlen);

/* A copy of s with matrix_json (a JSON object, as a spec's top-level "matrix"; e.g.
 * {"points": [{"model": "a.gguf", "quant": "Q8_0"}, ...]}) expanded for every target, as
 * hx_spec_sweep. Returns NULL with one line in err. Ownership: caller frees with hx_spec_free. */
hx_spec *hx_spec_matrix(const hx_spec *s, const char *matrix_json, long max_targets, char *err,
	size_t errlen);

/* A new spec with defaults and no targets or suites (for building one from CLI flags).
 * Ownership: caller frees with hx_spec_free. */
hx_spec *hx_spec_new(void);

/* Adds a target / suite with defaults; returns it (owned by spec) or NULL on ENOMEM. */
hx_target_spec *hx_spec_add_target(hx_spec *s, const char *provider, const char *model);
hx_suite_spec *hx_spec_add_suite(hx_spec *s, const char *name);

/* The suite's options as one JSON object text: options_json with the values still set one by one
 * folded in. Returns 0 with *out set (NULL when the suite has no options), or HX_ENOMEM (or
 * HX_EINVAL when options_json is not a JSON object). Ownership: caller free()s *out. */
int hx_suite_spec_options(const hx_suite_spec *ss, char **out);

/* Sets key of the suite's options object to value_json (a JSON value text: "[1024,2048]", "5",
 * "\"multikey\""), replacing what was there. The suite checks it when the spec is validated.
 * Returns 0, HX_EINVAL (value_json or options_json is not JSON) or HX_ENOMEM. Ownership: copies. */
int hx_suite_spec_option_set(hx_suite_spec *ss, const char *key, const char *value_json);

/* Checks cross-field rules (unique target ids, known suites/providers, samples >= 1).
 * Returns 0 or HX_EINVAL with one line in err. */
int hx_spec_validate(const hx_spec *s, char *err, size_t errlen);

/* The spec as canonical JSON (all keys, defaults filled). With identity_only, only what
 * decides the results (targets, suites, generation) — used to tell a resumed run from a
 * changed one; concurrency and output may change between resumes. Ownership: caller free()s. */
char *hx_spec_to_json(const hx_spec *s, int identity_only);

/* Frees the spec. NULL does nothing. */
void hx_spec_free(hx_spec *s);

/* ---------------------------------------------------------------- results store (store.c) */

typedef struct hx_store hx_store;

#define HX_STORE_SCHEMA_VERSION 4

/* One scored (or failed) sample: the row the store keeps. All strings borrowed. */
typedef struct hx_sample_row {
	const char *target;      /* target id */
	const char *suite;
	const char *item;        /* item id */
	int sample;
	const char *request_hash;   /* hex digest of the request, or NULL */
	const char *response;       /* answer text, or NULL on error */
	const char *reasoning;
	const char *finish_reason;
	const char *extracted;      /* primary extracted answer */
	const char *expected;
	double score;               /* primary metric, 0..1; ignored when error != 0 */
	const char *scores_json;    /* {"strict":1,"flexible":1} */
	const char *answers_json;   /* {"strict":"18","flexible":"18"} */
	int64_t n_tokens_in, n_tokens_out, n_tokens_reasoning, n_tokens_cached;
	double ttft_ms, latency_ms; /* < 0 = unknown (stored as NULL) */
	double ttfa_ms;             /* first answer token after any reasoning; < 0 = unknown */
	const double *gaps_ms;      /* [n_gaps] inter-token gaps, stored as itl_json; may be NULL */
	size_t n_gaps;
	double cost_usd;
	int error;                  /* prov_err_class, 0 = none */
	const char *error_class;    /* its name, or NULL */
	const char *error_msg;
	int attempts;
	const char *logprobs_json;  /* a scoring request's log-probabilities, or NULL */
} hx_sample_row;

/* Opens (create=1: creates folder-less file if missing) a store in WAL mode and migrates it.
 * A store written by a newer schema is refused ("results.db: schema version 7 is newer than
 * this tierbench (1); upgrade tierbench"). Ownership: caller closes with hx_store_close. */
hx_store *hx_store_open(const char *path, int create, char *err, size_t errlen);

/* Closes the store. NULL does nothing. */
void hx_store_close(hx_store *st);

/* Starts or resumes the run for this spec. If the store's newest run has the same identity,
 * it is resumed (*resumed = 1). If it differs, HX_ECHANGED with a message naming what to do,
 * unless force_new, which starts a new run beside the old one (its rows are kept).
 * Records spec, build info and hardware profile on the run, and a row per target.
 * Ownership: borrows all arguments; *run_id is the run's key. */
int hx_store_begin_run(hx_store *st, const hx_spec *spec, const char *hw_json, int force_new,
	int64_t *run_id, int *resumed, char *err, size_t errlen);

/* Records what target's model is (file bytes, parameters, bits per weight, architecture, type
 * label and mix) in its row of run run_id, replacing what was there. Returns 0, or HX_ESTORE
 * with one line in err. Ownership: borrows. */
int hx_store_set_target_facts(hx_store *st, int64_t run_id, const char *target,
	const prov_model_facts *f, char *err, size_t errlen);

/* Marks the run finished (or stopped) at now, with a status word ("done", "interrupted",
 * "error"). */
int hx_store_end_run(hx_store *st, int64_t run_id, const char *status);

/* Calls fn for each sample of the run that is complete (scored, or failed with a class that is
 * not retried). Used to skip work on resume. Returns 0 or HX_ESTORE. */
int hx_store_each_done(hx_store *st, int64_t run_id,
	void (*fn)(void *ud, const char *target, const char *suite, const char *item, int sample),
	void *ud);

/* Inserts or replaces (on the unique key run, target, suite, item, sample) one sample, committed
 * at once. Returns 0, or HX_ESTORE with one line in err (disk full names the file). */
int hx_store_put_sample(hx_store *st, int64_t run_id, const hx_sample_row *row,
	char *err, size_t errlen);

/* Number of sample rows of the run (all, including failed), or -1 on error. */
int64_t hx_store_count_samples(hx_store *st, int64_t run_id);

/* The newest run id in the store, or -1 when it has none. */
int64_t hx_store_latest_run(hx_store *st);

/* The underlying sqlite3 handle, for tests that inspect the schema. Ownership: owned by st. */
void *hx_store_db(hx_store *st);

/* Records that run run_id is shard index of count (runs.shard_count, runs.shards), so `merge`
 * can tell the shards of one run apart. count <= 1 does nothing. A store that already holds
 * another shard (or a merge) is refused with HX_ECHANGED and one line in err; HX_ESTORE on a
 * database error. Ownership: borrows. */
int hx_store_set_shard(hx_store *st, int64_t run_id, int index, int count, char *err,
	size_t errlen);

/* ---------------------------------------------------------------- merge (merge.c) */

typedef struct hx_merge_opts {
	int allow_partial;       /* 1: merge although shards are missing, unfinished or hold
	                          * incomplete items; the run is then stored with status "partial" */
	FILE *log;               /* what is missing, one line each; stderr when NULL */
} hx_merge_opts;

typedef struct hx_merge_summary {
	int shard_count;         /* N of the shards */
	int n_shards_done;       /* shards merged that had finished */
	int n_missing;           /* shards neither given nor finished */
	long n_samples;          /* sample rows in the merged store */
	long n_incomplete;       /* items with fewer complete samples than the spec asks */
	int partial;             /* 1 when stored as "partial" */
} hx_merge_summary;

/* Combines the stores of shard runs (in_paths[n_in]: results.db files of `run --shard I/N`, or
 * stores an earlier merge wrote) into one store at out_path that reports, compare and a
 * resumed run treat like an unsharded run's. Checks, before anything is written: every input
 * is a readable tierbench store of this schema, not being written, holding a shard record;
 * every input's newest run has the same spec identity (else the first differing key is named)
 * and the same N. Rows of one key in two inputs must be equal (a row whose error is retried on
 * resume gives way to a complete one), else the item is named. Missing or unfinished shards and
 * incomplete items are listed on o->log and refused unless o->allow_partial. The store is
 * written beside out_path and renamed over it, so out_path is either the old or the new store;
 * inputs are only read. out_path may be one of the inputs (adding a late shard to a merge).
 * Returns 0, HX_EINVAL (inputs that do not merge), HX_ESTORE, HX_EIO or HX_ENOMEM, with one line
 * in err. Ownership: borrows everything; sum (may be NULL) is filled. */
int hx_merge(const char *out_path, const char *const *in_paths, size_t n_in,
	const hx_merge_opts *o, hx_merge_summary *sum, char *err, size_t errlen);

/* ---------------------------------------------------------------- shard from the environment (plan.c) */

/* The environment variables a scheduler sets, as read with getenv (NULL = unset). */
typedef struct hx_shard_env {
	const char *slurm_id;     /* SLURM_ARRAY_TASK_ID */
	const char *slurm_min;    /* SLURM_ARRAY_TASK_MIN */
	const char *slurm_max;    /* SLURM_ARRAY_TASK_MAX */
	const char *slurm_step;   /* SLURM_ARRAY_TASK_STEP */
	const char *slurm_count;  /* SLURM_ARRAY_TASK_COUNT */
	const char *k8s_index;    /* JOB_COMPLETION_INDEX */
	const char *tb_shards;    /* TB_SHARDS: the shard count for an Indexed Job */
} hx_shard_env;

/* Fills e from the process environment. Ownership: the strings belong to the environment. */
void hx_shard_env_get(hx_shard_env *e);

/* The shard this process runs: a Slurm array task is (ID - MIN) / STEP of COUNT (STEP read,
 * else derived from MIN, MAX and COUNT, else 1); a Kubernetes Indexed Job pod is
 * JOB_COMPLETION_INDEX of TB_SHARDS. Neither set: 0 of 1. Returns 0, or HX_EINVAL with one line
 * in err (an index outside the count, a count missing or not a number, an array whose ids are
 * not evenly stepped). Ownership: borrows e. */
int hx_shard_from_env(const hx_shard_env *e, int *index, int *count, char *err, size_t errlen);

/* ---------------------------------------------------------------- hardware (hw.c) */

typedef struct hx_gpu_info {
	char name[128];
	double mem_gib;
	int n_sm;
	int cc_major, cc_minor;
	double mem_clock_mhz;
	int bus_width_bits;
	double peak_bw_gbs;
} hx_gpu_info;

typedef struct hx_hw {
	char cpu_model[128];
	char arch[32];            /* "x86_64", "aarch64" */
	int n_packages;
	int n_cores;
	int n_pus;                /* hardware threads */
	int n_numa;
	int64_t l1d_bytes, l2_bytes, l3_bytes;  /* per core (l1, l2) / per package (l3); 0 = unknown */
	int64_t ram_bytes;
	double mem_bw_gbs;        /* measured; 0 when not measured */
	int mem_bw_threads;
	char os[128];
	int n_gpus;
	hx_gpu_info gpus[8];
	char sandbox_layers[64];  /* the code sandbox's layers, set by a run whose suites run code;
	                           * "" = not recorded (written as "sandbox_layers" when set) */
} hx_hw;

/* Reads the hardware profile with hwloc (and /proc, and CUDA when built with it and a device
 * exists). With measure_bw, runs a memory-bandwidth test taking under one second.
 * Returns 0, or HX_EIO with one line in err (fields it could read are still filled). */
int hx_hw_probe(hx_hw *out, int measure_bw, char *err, size_t errlen);

/* Measures memory bandwidth (GB/s, read+write bytes over time, best of a few passes) with
 * n_threads threads over buffers of `bytes` each, in at most about budget_ms milliseconds.
 * Returns GB/s, or 0 on failure. */
double hx_mem_bw_gbs(int n_threads, size_t bytes, int budget_ms);

/* The profile as a JSON object text. Ownership: caller free()s. */
char *hx_hw_to_json(const hx_hw *hw);

/* Human-readable profile, several lines, to f. */
void hx_hw_print(const hx_hw *hw, FILE *f);

/* ---------------------------------------------------------------- progress (progress.c) */

typedef struct hx_progress hx_progress;

/* A progress display on f: on a TTY a one-line bar redrawn at most 10 times a second
 * (done/total, rate, ETA, errors); otherwise a plain line every 10 s; nothing with quiet.
 * Ownership: caller frees with hx_progress_free. */
hx_progress *hx_progress_new(FILE *f, long total, int quiet);
/* The same counting unit (a static string: "tensors"); hx_progress_new counts "samples". */
hx_progress *hx_progress_new_units(FILE *f, long total, int quiet, const char *unit);
/* Adds to the done and error counts and redraws when due. */
void hx_progress_add(hx_progress *p, long done, long errors);
/* One sample stored: counts it (an error when err is not NULL), adds its output tokens to the
 * tokens/s figure, shows target and suite and keeps err as the last error (control characters
 * escaped), then redraws when due. Ownership: copies the strings. */
void hx_progress_sample(hx_progress *p, const char *target, const char *suite, long n_tokens_out,
	const char *err);
/* Copies src (NULL: "") into dst[cap], cut to fit, with control bytes (C0 and DEL) written as
 * \xHH: text from servers and inputs must not move the cursor, clear the screen or retitle
 * the terminal. cap >= 1. Ownership: writes only dst. */
void hx_text_escape(char *dst, size_t cap, const char *src);
/* Final redraw and newline. NULL does nothing. */
void hx_progress_free(hx_progress *p);

/* ---------------------------------------------------------------- scheduler (sched.c) */

typedef struct hx_run_opts {
	const char *out_dir;     /* run directory; results.db goes in it */
	int force_new;
	int quiet;
	int shard_index, shard_count;  /* 0/1 = no sharding */
	int measure_bw;          /* measure memory bandwidth for the stored profile */
	FILE *log;               /* messages and the summary; stderr when NULL */
} hx_run_opts;

/* Summary of a run (this invocation plus what the store already held). */
typedef struct hx_run_summary {
	long n_planned;          /* samples in the plan */
	long n_skipped;          /* already complete in the store */
	long n_done;             /* stored by this invocation */
	long n_scored;           /* stored without error, this invocation */
	long n_errors[16];       /* by prov_err_class, this invocation */
	char first_err[16][160]; /* the first message of each class, "" when none */
	int n_targets_stopped;   /* targets stopped early: their first requests all failed to connect */
	double elapsed_s;
	int interrupted;
} hx_run_summary;

/* Runs spec into opts->out_dir: plans targets x suites x items x samples, skips what the
 * store already holds, submits to providers with per-target in-flight limits, scores on a
 * worker pool and commits each sample as it is scored. SIGINT/SIGTERM stop cleanly (HX_EINTR).
 * Prints the final summary to opts->log. Returns 0 or a negative HX_E* code with one line in err.
 * Ownership: borrows all arguments. */
int hx_run(const hx_spec *spec, const hx_run_opts *opts, hx_run_summary *sum,
	char *err, size_t errlen);

/* ---------------------------------------------------------------- load generator (loadgen.c) */

/* One level of `tierbench load`: open loop (rate > 0, Poisson arrivals; INFINITY: all at once)
 * or closed loop (concurrency >= 1 requests kept in flight), for n_requests requests or, with
 * n_requests 0, new requests for duration_s seconds. */
typedef struct hx_load_level {
	double rate;              /* requests per second; 0 with a concurrency */
	int concurrency;          /* 0 with a rate */
	long n_requests;
	double duration_s;
	uint64_t seed;            /* the arrivals' random stream */
} hx_load_level;

/* One request of a level as measured; times in ms from the level's start. */
typedef struct hx_load_req {
	double arrival_ms;        /* when it was due (closed loop: when a slot was free) */
	double start_ms;          /* when the provider took it (later than arrival when it was busy) */
	double end_ms;            /* when its callback fired */
	prov_resp *resp;          /* owned; NULL when the level stopped before it finished */
} hx_load_req;

typedef struct hx_load_result {
	hx_load_req *reqs;        /* [n], in the order sent */
	size_t n;
	double wall_ms;           /* first arrival possible to last reply */
} hx_load_result;

/* Builds request i of a level into rq (zeroed). 0, or non-zero to stop the level. */
typedef int (*hx_load_build_fn)(void *ud, long i, prov_req *rq);

/* Runs one level against p and returns every request's measurements in *out (also after a
 * failure: what was sent). stop (may be NULL), when it becomes non-zero, cancels what is in
 * flight and ends the level with HX_EINTR. Returns 0, HX_EINVAL (a bad level, or build failed),
 * HX_ENOMEM, HX_EIO (the provider refused a request or its poll failed) or HX_EINTR, with one
 * line in err. Ownership: release *out with hx_load_result_release. */
int hx_load_run_level(prov *p, const hx_load_level *lv, hx_load_build_fn build, void *ud,
	const volatile sig_atomic_t *stop, hx_load_result *out, char *err, size_t errlen);
void hx_load_result_release(hx_load_result *r);

/* The next Poisson inter-arrival gap in ms at rate requests/s from the seeded stream *state
 * (splitmix64, so a seed gives the same arrivals everywhere); 0 for an infinite rate. */
double hx_load_arrival_next(uint64_t *state, double rate);

/* Service-level objective of a request: limits in ms, 0 = none (docs/metrics.md, "Load"). */
typedef struct hx_load_slo {
	double ttft_ms, tpot_ms, e2e_ms;
} hx_load_slo;

/* Parses "ttft=500ms,tpot=50ms,e2e=2s" (ms or s). Returns 0 or HX_EINVAL with one line in err. */
int hx_load_slo_parse(const char *text, hx_load_slo *slo, char *err, size_t errlen);
/* 1 when a request with these figures (NAN = not measured) meets every limit slo sets; a limit
 * on a figure that was not measured is not met. slo NULL: 1. */
int hx_load_meets_slo(const hx_load_slo *slo, double ttft_ms, double tpot_ms, double e2e_ms);
/* A request's TTFT and end-to-end latency from its scheduled arrival (NAN when unknown). */
double hx_load_ttft_ms(const hx_load_req *q);
double hx_load_e2e_ms(const hx_load_req *q);

/* A level's figures, with the definitions of vLLM's serving benchmark (docs/metrics.md). */
typedef struct hx_load_summary {
	long n, n_ok, n_errors, n_good;
	long errors_by_class[PROV_ERR__COUNT];
	int64_t tokens_out;
	double wall_s, req_per_s, tok_per_s, good_per_s, good_share;
	double ttft_ms[3], tpot_ms[3], itl_ms[3], e2e_ms[3];   /* p50, p90, p99; NAN when none */
} hx_load_summary;

/* Computes the summary of a level's result. Returns 0 or HX_ENOMEM. */
int hx_load_stats(const hx_load_result *r, const hx_load_slo *slo, hx_load_summary *s);

/* Hex SHA-256 of data[n] into out[65]. */
void hx_sha256_hex(const void *data, size_t n, char out[65]);

#endif
