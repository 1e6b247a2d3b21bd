/* cli/worker.c — waiting for a command's worker process (report, quant-sweep) while a
 * SIGINT / SIGTERM handler may set a stop flag: the worker (and, with group, its process group)
 * is killed once, and the wait goes on until it is reaped. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "cli/cli_impl.h"

int cli_worker_wait(pid_t pid, const volatile sig_atomic_t *stop, int group, const char *cmd,
		   int *status)
{
	int killed = 0;
	for (;;) {
		if (*stop && !killed) {
			if (group)
				kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			killed = 1;
		}
		if (waitpid(pid, status, 0) == pid)
			return killed;
		if (errno != EINTR) {
			fprintf(stderr, "tierbench %s: waiting for the worker: %s\n", cmd, strerror(errno));
			return -1;
		}
	}
}
