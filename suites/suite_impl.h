/* suites/suite_impl.h — what the suites folder shares inside itself: the vtable each suite kind
 * fills, the suite object common to every kind (its item ids), and the helpers kinds share: a
 * JSONL dataset reader that assigns item ids, a growable string, request builders and a seeded
 * choice of exemplars. Included only by suites/ and its tests. */
#ifndef TB_SUITE_IMPL_H
#define TB_SUITE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "suites/suite.h"

/* Longest dataset line a reader accepts; a longer one is an error, never a silent cut. */
#define SUITE_MAX_LINE_BYTES ((size_t)16 << 20)

/* One suite kind. To add a kind: write suites/<kind>.c defining `const suite_vtable
 * suite_<kind>_vtable`, declare it below and list it in `kinds[]` in suite.c. */
typedef struct suite_vtable {
	const char *name;          /* what suite_opts.name selects, e.g. "gsm8k" */
	const char *summary;       /* one line for `tierbench list` */
	const char *dataset_hint;  /* what file --dataset takes; NULL when the data is built in */
	int per_target;            /* as suite_info.per_target */
	int runs_code;             /* as suite_info.runs_code */
	/* Loads the dataset into s: sets s->self and adds one id per item with suite_ids_push, in
	 * item order. Returns 0, or -1 with one line in err (file and line where there is one).
	 * On failure suite_open still calls close, so close must cope with a half-filled self. */
	int (*open)(suite *s, const suite_opts *o, char *err, size_t errlen);
	/* Frees s->self (not the ids: suite_close frees those). Optional; must accept self NULL. */
	void (*close)(suite *s);
	/* As suite_build; item is in range and *out zeroed. Must be thread-safe. */
	int (*build)(const suite *s, size_t item, int sample, prov_req *out);
	/* As suite_score; item is in range, r is not NULL, *out zeroed. Must be thread-safe. */
	int (*score)(const suite *s, size_t item, const prov_resp *r, suite_score_out *out);
	/* As suite_item_error. Optional (NULL: no item is ever broken). Must be thread-safe. */
	const char *(*item_error)(const suite *s, size_t item);
	/* The keys of the kind's options object (suite_opts.options_json), NULL-terminated; NULL
	 * when it takes none. suite.c refuses any other key before options_check or open run. */
	const char *const *option_keys;
	/* Checks the values of options object o (its keys are among option_keys). Returns 0, or -1
	 * with the offending key's path inside o in key ("lengths[1]") and what is wrong in err
	 * ("expected integer 256..16777216 (tokens), got 100"). Optional; open may then take o's
	 * values as checked. */
	int (*options_check)(const cJSON *o, char *key, size_t keylen, char *err, size_t errlen);
} suite_vtable;

/* The object behind the opaque handle. The common part (ids) is managed by suite.c. */
struct suite {
	const suite_vtable *vt;
	char **ids;          /* [n_items] item ids, heap */
	size_t n_items;
	size_t cap_ids;
	void *self;          /* the kind's own state */
};

extern const suite_vtable suite_gsm8k_vtable;
extern const suite_vtable suite_humaneval_vtable;
extern const suite_vtable suite_mbpp_vtable;
extern const suite_vtable suite_math500_vtable;
extern const suite_vtable suite_math_vtable;
extern const suite_vtable suite_needle_vtable;
extern const suite_vtable suite_humanevalplus_vtable;
extern const suite_vtable suite_humanevalplus_site_vtable;
extern const suite_vtable suite_mbppplus_vtable;
extern const suite_vtable suite_mbppplus_site_vtable;
extern const suite_vtable suite_quality_vtable;

/* The answer in a MATH-style solution (math.c): the content of the last \boxed{} or \fbox{}
 * (nested braces kept; also "\boxed 5"), else X of the last "The final answer is X" (up to
 * ". I hope" or the line's end, $...$ removed), else NULL. Ownership: caller frees. */
char *suite_math_extract(const char *text);

/* The normal form of a MATH answer: \left \right \! \, $ ^\circ \% \text{} and unit words
 * dropped, \dfrac \tfrac -> \frac, "x=" dropped, no spaces, 1,000 -> 1000, \frac12 ->
 * \frac{1}{2}, .5 -> 0.5, no trailing '.'. Ownership: caller frees (NULL: no memory). */
char *suite_math_normalize(const char *answer);

/* 1 when answers a and b are equivalent: equal normal forms; or matrices, sets (any order),
 * tuples / intervals (same brackets, in order) and comma lists (any order) element by element;
 * or expressions equal in value at two sample points (letters take fixed values). */
int suite_math_equiv(const char *a, const char *b);

/* The code in a model's reply (code.c): <think> blocks dropped (an unclosed one drops the rest),
 * then the last ```python block that defines `def ENTRY(` (entry may be NULL), else the longest
 * Python or untagged block, else the longest block; a block without its closing fence runs to
 * the end. Without fences: for chat replies the text from the first line opening Python code
 * (def, import, from, class), else the whole text. Ownership: caller frees (NULL: no memory). */
char *suite_code_extract(const char *text, const char *entry, int chat);

/* The program the sandbox runs for reply to item i of a humaneval / mbpp suite: the extracted
 * code joined with the prompt where it continues it, then the item's tests. Ownership: caller
 * frees (NULL: out of memory). */
char *suite_code_program(const suite *s, size_t i, const char *reply);

/* Appends a copy of id as the next item's id. Returns 0 or SUITE_ENOMEM. Ownership: id
 * borrowed; the copy is owned by s. */
int suite_ids_push(suite *s, const char *id);

/* ------------------------------------------------------------------ options */

/* The options object of o (suite_opts.options_json) parsed: an empty object when o gives none.
 * suite_open has checked it before a kind's open runs. NULL only when out of memory.
 * Ownership: caller frees with cJSON_Delete. */
cJSON *suite_options_parse(const suite_opts *o);

/* Integer option name of o: 0 with *out set (left as it was when o lacks the key), or -1 with
 * key = name and err = "expected integer LO..HI, got X". Ownership: borrows. */
int suite_option_int(const cJSON *o, const char *name, long lo, long hi, long *out, char *key,
	size_t keylen, char *err, size_t errlen);

/* A compact rendering of a JSON value for "got ..." in option errors (long values cut). */
void suite_option_show(const cJSON *v, char *out, size_t cap);

/* ------------------------------------------------------------------ JSONL datasets */

/* Called by suite_jsonl_read once per non-blank line. obj is the line's JSON object and id its
 * item id (see suite_jsonl_read). Return 0 to keep the item; -1 after writing what is wrong into
 * why, without a file or line (e.g. "missing field \"answer\""), to stop with that error; or
 * SUITE_ENOMEM. Ownership: obj and id are borrowed for the call. */
typedef int (*suite_jsonl_fn)(void *ud, const cJSON *obj, const char *id, char *why,
	size_t why_len);

/* Reads a JSONL dataset (one JSON object per line, UTF-8 byte-order mark allowed). Blank lines are
 * skipped but still counted, so the 0-based line number stays the line's position in the file.
 * An item's id is its `task_id`, else its `unique_id` field (a string, or an integer written as
 * decimal text), else its 0-based line number. After limit kept items (limit > 0) the rest of the
 * file is not read. Returns the number of items kept (>= 1), or -1 with one line in err:
 * "PATH: cannot open: REASON", "PATH:LINE: not a JSON object", "PATH:LINE: WHY" from fn,
 * "PATH: no items", ... where PATH is path as given and LINE is 1-based. Ownership: borrows all. */
long suite_jsonl_read(const char *path, long limit, suite_jsonl_fn fn, void *ud, char *err,
	size_t errlen);

/* Opens a dataset file for reading: plain, or gzip-compressed (read through transparently,
 * whatever the name). A directory, FIFO or device is refused at once ("PATH: not a regular file
 * (a FIFO)"), never waited on. Returns the stream, or NULL with one line in err. Ownership: the
 * caller closes the stream with fclose. */
FILE *suite_data_open(const char *path, char *err, size_t errlen);

/* The string field key of obj: 0 and *out set, or -1 with why "missing field \"KEY\"" or
 * "field \"KEY\" is not a string". Ownership: *out points into obj. */
int suite_json_string(const cJSON *obj, const char *key, const char **out, char *why,
	size_t why_len);

/* ------------------------------------------------------------------ requests */

/* Fills out (zeroed by the caller) with task_id, sample, a completion prompt and stop strings.
 * prompt may be NULL (an earlier allocation failed) and is then reported as SUITE_ENOMEM.
 * Returns 0 or SUITE_ENOMEM (out released). Ownership: prompt is taken (freed on failure);
 * task_id and stop are copied. */
int suite_req_take_prompt(prov_req *out, const char *task_id, int sample, char *prompt,
	const char *const *stop, size_t n_stop);

/* As suite_req_take_prompt, but the request is one chat message with role "user". Ownership:
 * content is taken (freed on failure). */
int suite_req_take_user(prov_req *out, const char *task_id, int sample, char *content,
	const char *const *stop, size_t n_stop);

/* ------------------------------------------------------------------ sampling */

/* Chooses k distinct indices of [0, n) into out[0..k-1], by a partial Fisher-Yates shuffle
 * driven by splitmix64 from seed: the same (seed, n, k) always gives the same indices in the same
 * order, on every platform. Needs k <= n. Ownership: out has room for n entries (all are used
 * as scratch). */
void suite_pick(uint64_t seed, size_t n, size_t k, size_t *out);

/* ------------------------------------------------------------------ sandbox (sandbox.c) */

/* How one sandboxed program ended. Order matters only for names (suite_sb_verdict_name). */
typedef enum suite_sb_verdict {
	SUITE_SB_PASSED = 0,     /* exit status 0 and the runner's proof that the program ran to
				  * its end (suite_sb_result.proof) */
	SUITE_SB_FAILED,         /* a normal non-zero exit (an uncaught exception, a failed assert) */
	SUITE_SB_TIMEOUT,        /* wall-clock or CPU limit reached */
	SUITE_SB_CRASHED,        /* ended by a signal the sandbox did not send (SIGSEGV, ...) */
	SUITE_SB_MEMORY,         /* MemoryError, or killed while at the address-space limit */
	SUITE_SB_OUTPUT_LIMIT,   /* stdout or stderr passed its cap */
	SUITE_SB_ERROR,          /* the sandbox itself could not run the program (see err) */
	SUITE_SB_EARLY_EXIT,     /* exit status 0 without the proof: the program ended before its
				  * last statement (sys.exit, os._exit, an atexit hook, ...) */
} suite_sb_verdict;

/* Isolation that was actually in force (bits of suite_sb_result.isolation). */
enum {
	SUITE_SB_ISO_NET = 1,    /* new network namespace: no interface but a down loopback */
	SUITE_SB_ISO_PID = 2,    /* new pid namespace: everything dies with the program */
	SUITE_SB_ISO_MNT = 4,    /* private mounts: size-capped tmpfs work dir, /tmp, /dev/shm; own /proc */
	SUITE_SB_ISO_USER = 8,   /* runs as an unprivileged uid (nobody, or a user namespace) */
	SUITE_SB_ISO_LANDLOCK = 16, /* Landlock: reads only of system dirs, writes only in the work
				     * dir (and the private /tmp), /dev/null */
	SUITE_SB_ISO_SECCOMP = 32,  /* seccomp: no unshare/setns/mount/ptrace/keyctl/bpf, no clone
				     * with namespace flags */
	SUITE_SB_ISO_ROOT = 64,     /* private root: a read-only tmpfs holding read-only binds of the
				     * system and interpreter directories, the work dir and private
				     * /tmp, /var/tmp, /dev/shm; no other file of the machine */
};

/* How programs are started (suite_sb_opts.mode). */
typedef enum suite_sb_mode {
	SUITE_SB_MODE_AUTO = 0,  /* a zygote per worker of suite_sb_run_many and per thread calling
				  * suite_sb_run (kept until the thread ends); exec where none starts */
	SUITE_SB_MODE_EXEC,      /* a new interpreter (execve) per program: the fallback */
	SUITE_SB_MODE_ZYGOTE,    /* fork each program from a warm interpreter (falls back to exec when
				  * no zygote starts; suite_sb_result.zygote tells which ran) */
} suite_sb_mode;

/* Limits for one run. Valid when zeroed: each 0 field takes the default in brackets. */
typedef struct suite_sb_opts {
	const char *python;      /* interpreter [/usr/bin/python3, else python3 on PATH] */
	double timeout_s;        /* wall clock [10] */
	int cpu_s;               /* RLIMIT_CPU [ceil(timeout_s) + 1] */
	size_t mem_bytes;        /* RLIMIT_AS [1 GiB] */
	size_t fsize_bytes;      /* RLIMIT_FSIZE, and the work dir's tmpfs size [16 MiB] */
	int nproc;               /* RLIMIT_NPROC (not enforced for root; see docs/suites.md) [64] */
	int nofile;              /* RLIMIT_NOFILE [64] */
	size_t out_cap_bytes;    /* cap on stdout and on stderr, each [64 KiB] */
	const char *tmp_root;    /* where the work dir is made [$TMPDIR, else /tmp] */
	int site;                /* 1: import `site` (site-packages, exit()); 0: python -S, a third
				  * faster to start, standard library only [0] */
	suite_sb_mode mode;      /* exec or zygote (see docs/suites.md, "Zygote") [AUTO] */
} suite_sb_opts;

/* The outcome of one run. */
typedef struct suite_sb_result {
	suite_sb_verdict verdict;
	int exit_code;           /* when the program exited, else -1 */
	int term_signal;         /* the signal that ended it, else 0 */
	int isolation;           /* SUITE_SB_ISO_* bits in force */
	int zygote;              /* 1: forked from a zygote; 0: a fresh interpreter (exec) */
	int proof;               /* 1: the runner wrote this run's token after the program's last
				  * top-level statement returned (see "Proof of completion") */
	double wall_s;
	char *out, *err;         /* captured stdout / stderr (up to the cap), NUL-terminated, heap */
	size_t n_out, n_err;
} suite_sb_result;

/* Proof of completion. The sandbox never trusts an exit status alone: a program passes only
 * when its whole top-level code ran to the end without an exception or SystemExit. Each run
 * draws a random 128-bit token (getrandom) the program text never contains; the runner (the
 * sandbox's own Python that compiles and executes prog.py as __main__) reads it from a pipe that
 * it closes before the first line of the program runs, and writes it to a second pipe (fd 3 of
 * the program) only after the program's last statement returned -- for a test program, after
 * check() or the last assert. The caller compares the bytes exactly. sys.exit / raise SystemExit
 * anywhere, os._exit, exec of another binary, an atexit hook, sys.excepthook, a signal handler or
 * a thread that ends the process: none of them writes the token, so the verdict is
 * SUITE_SB_EARLY_EXIT (exit 0) or FAILED / CRASHED (otherwise). A caller that runs tests needs
 * nothing more than to put them last in program (as suite_code_program does) and to count only
 * SUITE_SB_PASSED. What it does not stop: the token lives in the runner's memory while the
 * program runs, in the same process, so code written to attack this harness (walking frames or
 * the garbage collector, reading /proc/self/mem) could find it and write it itself; that takes
 * deliberate knowledge of tierbench's runner, not an early exit, and is named in
 * docs/sandbox.md. */

/* Runs program (Python source) with `python -I -B -S prog.py` (no -S when o->site; forked from
 * the calling thread's zygote in AUTO mode, from a one-off one in ZYGOTE mode) in a fresh temporary directory under
 * the limits of o (NULL: defaults), in a clean environment (PATH, LANG, no HOME, nothing of the
 * caller's). The whole process tree is killed at the end, whatever it did (setsid, fork, ignoring
 * SIGTERM), and the directory is removed. Thread-safe: a worker pool calls it from many threads.
 * Returns 0 with *res filled (any verdict, SUITE_SB_ERROR included, with a reason in res->err),
 * or SUITE_ENOMEM / SUITE_EINVAL. Ownership: program borrowed; release res with
 * suite_sb_result_release. */
int suite_sb_run(const suite_sb_opts *o, const char *program, suite_sb_result *res);

/* Frees the buffers of res and zeroes it. NULL does nothing. */
void suite_sb_result_release(suite_sb_result *res);

/* "passed", "failed", "timeout", "crashed", "memory", "output-limit", "error", "early-exit".
 * Ownership: static. */
const char *suite_sb_verdict_name(suite_sb_verdict v);

/* The layers (SUITE_SB_ISO_* bits) the sandbox puts around a program run with options o (NULL:
 * defaults) on this machine, found by running an empty program: what a run manifest records.
 * -1 when even that run failed (no interpreter). Not cached: each call runs a program. */
int suite_sb_layers(const suite_sb_opts *o);

/* The names of the bits of iso, comma-separated, in a fixed order ("net,pid,mount,user,
 * landlock,seccomp,root"; "none" for 0), into buf (always NUL-terminated when n > 0). Returns buf.
 * Ownership: buf is the caller's. */
char *suite_sb_layers_text(int iso, char *buf, size_t n);

/* A zygote: one warm `python3 -I -B [-S]` started with the sandbox's clean environment that
 * never runs user code; for each program it forks a supervisor that enters the same isolation
 * as the exec path (namespaces, init, nobody, rlimits, no-new-privileges, closed fds) before
 * the program's own fork runs the code. The zygote dies with the thread that (re)started it
 * (PR_SET_PDEATHSIG); a dead or misbehaving zygote is killed and started again. On failure
 * returns NULL with one line in err. Ownership: o copied (strings too); use from one thread at a
 * time; free with suite_sb_zygote_close. */
typedef struct suite_sb_zygote suite_sb_zygote;
suite_sb_zygote *suite_sb_zygote_open(const suite_sb_opts *o, char *err, size_t errlen);

/* Runs program as suite_sb_run does, forked from z (exec when z cannot run it). Returns as
 * suite_sb_run. Ownership: as suite_sb_run. */
int suite_sb_zygote_run(suite_sb_zygote *z, const char *program, suite_sb_result *res);

/* The zygote's pid (-1 when none runs) and how many times it was started. For tests. */
int suite_sb_zygote_pid(const suite_sb_zygote *z);
int suite_sb_zygote_starts(const suite_sb_zygote *z);

/* Kills the zygote and frees z. NULL does nothing. */
void suite_sb_zygote_close(suite_sb_zygote *z);

/* Runs n programs on a pool of n_workers threads (<= 0: one per online core), results in order.
 * Returns 0, or the first non-zero code of suite_sb_run (the other results are still filled).
 * Ownership: programs borrowed; release each res[i] with suite_sb_result_release. */
int suite_sb_run_many(const suite_sb_opts *o, const char *const *programs, size_t n,
	int n_workers, suite_sb_result *res);

#endif
