/* cli/cli_impl.h — commands of the tierbench CLI that live outside main.c. Each takes the
 * command's own argv (argv[0] = the command name) and returns an exit code (0 ok, 1 usage,
 * 2 runtime error, 3 regression). Internal to cli/. */
#ifndef TB_CLI_IMPL_H
#define TB_CLI_IMPL_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* `tierbench generate`: one prompt through the built-in engine. */
int hx_cmd_generate(int argc, char **argv);
/* `tierbench inspect`: describe a GGUF model. */
int hx_cmd_inspect(int argc, char **argv);
/* `tierbench quantize`: a quantized copy of a GGUF model (cli_quant.c). */
int hx_cmd_quantize(int argc, char **argv);
/* `tierbench quality`: perplexity / KL divergence of a local model (cli_quant.c). */
int hx_cmd_quality(int argc, char **argv);
/* `tierbench quant-sweep`: quantize a base model to several types and run suites on each (cli_quant.c). */
int hx_cmd_quant_sweep(int argc, char **argv);
/* `tierbench bench`: prompt and generation speed of GGUF models, as llama-bench measures it. */
int hx_cmd_bench(int argc, char **argv);

/* `tierbench report`: tables, tier list, cost table, charts and HTML from run directories. */
int hx_cmd_report(int argc, char **argv);
/* The signal (SIGINT / SIGTERM) that stopped the last `tierbench report` of this process, or 0. */
int hx_cli_report_signal(void);

/* Waits for the worker process pid, reaping it. When *stop (set by a signal handler; the wait
 * is interrupted by it) becomes non-zero, the worker -- with group, its whole process group -- is
 * killed once. Returns 1 when it was killed, 0 when it ended by itself (its wait status in
 * *status), or -1 when waiting failed (a line naming cmd printed). */
int hx_worker_wait(pid_t pid, const volatile sig_atomic_t *stop, int group, const char *cmd,
	int *status);
/* `tierbench compare`: paired comparison of two runs; exit 3 on a significant drop. */
int hx_cmd_compare(int argc, char **argv);
/* The results store of a run directory (DIR/results.db), or the path itself when it is a file.
 * Ownership: caller free()s; NULL on ENOMEM. */
char *hx_cli_store_path(const char *dir);

#endif
