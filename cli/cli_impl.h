/* cli/cli_impl.h — what the files of the tierbench CLI share: the commands that live outside
 * main.c (each takes the command's own argv, argv[0] = the command name, and returns an exit
 * code: 0 ok, 1 usage, 2 runtime error, 3 regression) and the "did you mean" helpers.
 * Internal to cli/. */
#ifndef TB_CLI_IMPL_H
#define TB_CLI_IMPL_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* `tierbench generate`: one prompt through the built-in engine. */
int cli_cmd_generate(int argc, char **argv);
/* `tierbench inspect`: describe a GGUF model. */
int cli_cmd_inspect(int argc, char **argv);
/* `tierbench quantize`: a quantized copy of a GGUF model (cli_quant.c). */
int cli_cmd_quantize(int argc, char **argv);
/* `tierbench imatrix`: an importance matrix of a model over a text (cli_imatrix.c). */
int cli_cmd_imatrix(int argc, char **argv);
/* `tierbench quality`: perplexity / KL divergence of a local model (cli_quant.c). */
int cli_cmd_quality(int argc, char **argv);
/* `tierbench quant-sweep`: quantize a base model to several types and run suites on each (cli_quant.c). */
int cli_cmd_quant_sweep(int argc, char **argv);
/* `tierbench bench`: prompt and generation speed of GGUF models, as llama-bench measures it. */
int cli_cmd_bench(int argc, char **argv);
/* `tierbench load`: latency against throughput of an endpoint, level by level (cli_load.c). */
int cli_cmd_load(int argc, char **argv);
/* `tierbench serve`: the built-in engine as an OpenAI-compatible server (cli_serve.c). */
int cli_cmd_serve(int argc, char **argv);

/* `tierbench fit`: hardware fit and speed prediction (cli_fit.c). */
int cli_cmd_fit(int argc, char **argv);
/* The predicted hardware rows `report --fit-hardware` shows for the local targets of a set. */
struct rep_set;
struct rep_fit_row;
struct hx_fit_mem;
struct hx_fit_catalog;
typedef struct cli_fit_rows {
	struct rep_fit_row *rows;   /* [n] */
	size_t n;
	struct hx_fit_mem *quant;   /* [targets]: what the rows' quant strings point into */
	struct hx_fit_catalog *cat; /* what the rows' hardware names point into */
	char *note;                 /* the calibration in words, for rep_opts.fit_note */
} cli_fit_rows;
/* Predicts every local target of s (a GGUF its model names that can be read) on the hardware
 * of list (comma-separated names, "all" or NULL: every catalogue entry; list is split in place)
 * and on fits_on when given. Returns 0, or an exit code (1 unknown hardware, 2 no catalogue)
 * after printing one line. Ownership: release *out with cli_fit_rows_release; its rows borrow
 * s's target ids. */
int cli_fit_report_rows(const struct rep_set *s, char *list, const char *fits_on, cli_fit_rows *out);
void cli_fit_rows_release(cli_fit_rows *r);

/* `tierbench report`: tables, tier list, cost table, charts and HTML from run directories. */
int cli_cmd_report(int argc, char **argv);
/* The signal (SIGINT / SIGTERM) that stopped the last `tierbench report` of this process, or 0. */
int cli_report_signal(void);

/* Waits for the worker process pid, reaping it. When *stop (set by a signal handler; the wait
 * is interrupted by it) becomes non-zero, the worker -- with group, its whole process group -- is
 * killed once. Returns 1 when it was killed, 0 when it ended by itself (its wait status in
 * *status), or -1 when waiting failed (a line naming cmd printed). */
int cli_worker_wait(pid_t pid, const volatile sig_atomic_t *stop, int group, const char *cmd,
	int *status);
/* `tierbench merge`: the shard stores of one run combined into one store (cli_cluster.c). */
int cli_cmd_merge(int argc, char **argv);
/* `tierbench cluster slurm|k8s`: job files for a sharded run (cli_cluster.c). */
int cli_cmd_cluster(int argc, char **argv);
/* `tierbench compare`: paired comparison of two runs; exit 3 on a significant drop. */
int cli_cmd_compare(int argc, char **argv);
/* The results store of a run directory (DIR/results.db), or the path itself when it is a file.
 * Ownership: caller free()s; NULL on ENOMEM. */
char *cli_store_path(const char *dir);

/* The entry of names[0..n) nearest to name by edit distance when it is close enough to be a
 * typo of it (at most max(2, strlen(name) / 3) edits), else NULL. Each entry starts with its
 * name (a const char *); entries are stride bytes apart, so a table of structs can be passed.
 * Ownership: the result points into names. */
const char *cli_suggest(const char *name, const void *names, size_t n, size_t stride);
/* 0 when name is one of names (as for cli_suggest); else prints one line to stderr,
 * "CMD: unknown WHAT "name" (did you mean "x"?)" or, when none is close, the known names,
 * and returns -1. */
int cli_check_name(const char *cmd, const char *what, const char *name, const void *names, size_t n,
	size_t stride);

#endif
