/* suites/suite.h — the suite interface: a suite is a dataset plus two functions, one that
 * turns an item into a request and one that scores a response. Suites know nothing of
 * providers' transport or of the results store; they only fill and read provider structs.
 * The first suite is `gsm8k` (grade-school math, chain-of-thought, strict + flexible match). */
#ifndef TB_SUITE_H
#define TB_SUITE_H

#include <stddef.h>
#include <stdint.h>

#include "providers/provider.h"

typedef struct suite suite;

enum {
	SUITE_OK = 0,
	SUITE_EINVAL = -1,
	SUITE_ENOMEM = -2,
	SUITE_ERANGE = -3,  /* item index out of range */
	SUITE_ETASK = -4,   /* the item's own data is broken (its reference solution fails on its
			     * own tests): an error of the item, not a score; suite_item_error says why */
};

#define SUITE_MAX_METRICS 4

/* Options for suite_open. All strings borrowed for the call. Valid when zeroed
 * (then dataset_path must still be given for suites without a built-in dataset). */
typedef struct suite_opts {
	const char *name;          /* "gsm8k", ... */
	const char *dataset_path;  /* JSONL file, as the caller resolved it */
	const char *train_path;    /* file to draw few-shot exemplars from, or NULL for built-in */
	int shots;                 /* -1 = the suite's default (gsm8k: 8) */
	long limit;                /* 0 = all items, else the first `limit` items */
	uint64_t seed;             /* for any sampling the suite does (exemplar choice) */
	int chat;                  /* 1: build chat messages; 0: a completion prompt */
	/* The suite's own options: a JSON object text whose keys are the kind's option_keys
	 * (suite_info; docs/suites.md names each kind's), or NULL for its defaults. suite_open
	 * checks it as suite_options_check does. */
	const char *options_json;
	/* Counts the tokens of text with the target's tokenizer (for the local engine, a wrapper
	 * of eng_tokenize); NULL: the estimate of one token per 4 bytes. Called at open only. */
	long (*count_tokens)(void *ud, const char *text);
	void *count_tokens_ud;
	/* The target's context length in tokens, 0 = unknown. needle: the default lengths above
	 * it are left out (and when all are, the grid is this one length). */
	long max_context;
	/* Called by an open that builds its items slowly (needle: after each cell of the grid,
	 * whose prompts are fitted with count_tokens) with the items built and in all; NULL: not
	 * called. */
	void (*build_progress)(void *ud, size_t done, size_t total);
	void *build_progress_ud;
	/* Token ids of text with the target's tokenizer, BOS first where the model has one: writes
	 * up to cap ids into out and returns the full count, or -1. NULL: no tokenizer here
	 * (quality then cuts text windows by bytes). Called at open only. */
	long (*tokenize)(void *ud, const char *text, int32_t *out, long cap);
	void *tokenize_ud;
} suite_opts;

/* The verdicts of one response. metric[0] is the suite's primary metric. */
typedef struct suite_score_out {
	int n_metrics;
	const char *metric[SUITE_MAX_METRICS]; /* static names, e.g. "strict", "flexible" */
	double value[SUITE_MAX_METRICS];       /* 0..1 each */
	char *answer[SUITE_MAX_METRICS];       /* extracted answer per metric, heap or NULL */
	char *expected;                        /* the reference answer, heap or NULL */
} suite_score_out;

/* A suite kind for `tierbench list`. Ownership: static strings. */
typedef struct suite_info {
	const char *name;
	const char *summary;
	const char *dataset_hint;  /* what dataset file it reads */
	int per_target;            /* 1: items depend on the target's tokenizer and context
	                            * (count_tokens, max_context): open the suite per target */
	int runs_code;             /* 1: scoring runs model-written code in the sandbox */
	const char *const *option_keys; /* keys of its options object (suite_opts.options_json),
	                            * NULL-terminated; NULL when it takes none */
} suite_info;

/* The isolation layers the code sandbox puts around a program on this machine, comma-separated
 * in a fixed order ("net,pid,mount,user,landlock,seccomp,root"; "none" when it has none of them), found
 * by running an empty program (a fraction of a second): what a run's manifest records when a
 * suite runs code. Returns buf, or NULL when no program could run (no python3). Ownership: buf is
 * the caller's. */
char *suite_sandbox_layers(char *buf, size_t n);

/* Known suites; *n receives the count. Ownership: static table. */
const suite_info *suite_list(size_t *n);

/* Checks options_json (NULL or "": none) as the options object of suite name: a JSON object
 * whose keys are the suite's option_keys, each value within the suite's limits. Returns 0, or
 * SUITE_EINVAL with the offending key's path inside the object in key ("lengths[1]"; "" when
 * the object itself is wrong or the suite unknown) and what is wrong in err ("expected integer
 * 256..16777216 (tokens), got 100"), or SUITE_ENOMEM. Ownership: borrows; key and err are the
 * caller's. */
int suite_options_check(const char *name, const char *options_json, char *key, size_t keylen,
	char *err, size_t errlen);

/* Loads a suite and its dataset. On failure returns NULL with one line in err naming the
 * file and line (e.g. "test.jsonl:17: missing field \"answer\""). Ownership: caller frees
 * with suite_close. */
suite *suite_open(const suite_opts *o, char *err, size_t errlen);

/* Frees the suite. NULL does nothing. */
void suite_close(suite *s);

/* The suite's name ("gsm8k"). Ownership: owned by s. */
const char *suite_name(const suite *s);

/* Number of items (after the limit). */
size_t suite_count(const suite *s);

/* The id of item i: the dataset's own id field (task_id, unique_id) when it has one, else the
 * 0-based line number in the dataset file as decimal text. Ownership: owned by s. */
const char *suite_item_id(const suite *s, size_t item);

/* Fills *out with the request for (item, sample): task_id, sample, prompt or messages, and the
 * suite's stop strings. Generation settings (max_tokens, temperature, ...) are left for the
 * caller. Returns 0 or a SUITE_E* code. Thread-safe. Ownership: caller releases out with
 * prov_req_release. */
int suite_build(const suite *s, size_t item, int sample, prov_req *out);

/* Scores response r for item. Returns 0 or a SUITE_E* code. Thread-safe (called from a
 * worker pool). Ownership: caller releases out with suite_score_release. */
int suite_score(const suite *s, size_t item, const prov_resp *r, suite_score_out *out);

/* Frees the heap fields of out and zeroes it. NULL does nothing. */
void suite_score_release(suite_score_out *out);

/* Why item cannot be scored (suite_score returned SUITE_ETASK), one line naming the task, e.g.
 * "task HumanEval/32: canonical solution did not give outputs (failed: ...)"; NULL when the
 * item is not known to be broken (or s or item is invalid). Thread-safe. Ownership: owned by s,
 * valid until suite_close. */
const char *suite_item_error(const suite *s, size_t item);

/* Text for a SUITE_E* code. Ownership: static. */
const char *suite_strerror(int code);

#endif
