/* tests/suites/test_sandbox.c — the Python sandbox: verdicts for ordinary programs, all 164
 * canonical HumanEval solutions pass and each with its body replaced by `pass` fails (public data
 * in ../shared/datasets/humaneval, skipped when absent), and hostile programs are contained: the
 * test process keeps running, nothing of theirs is left alive, nothing is written outside.
 * Every test runs twice: once on the exec path, once forked from zygotes; then the zygote's own
 * tests (it outlives hostile programs, programs cannot affect each other, a killed one restarts). */
#include <dirent.h>
#include <grp.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "test.h"
#include "suites/suite_impl.h"

static int have_python(void)
{
	return access("/usr/bin/python3", X_OK) == 0 || system("python3 -c pass >/dev/null 2>&1") == 0;
}

/* The mode every test of the current round runs in (main runs the round twice). */
static suite_sb_mode test_mode = SUITE_SB_MODE_EXEC;

static suite_sb_opts quick_opts(double timeout_s)
{
	suite_sb_opts o = { 0 };
	o.timeout_s = timeout_s;
	o.mode = test_mode;
	return o;
}

/* In the zygote round a program that ran on the exec path (no zygote started) is a failure. */
static void check_mode(const suite_sb_result *r)
{
	if (r->verdict != SUITE_SB_ERROR)
		TB_CHECK_INT(r->zygote, test_mode == SUITE_SB_MODE_ZYGOTE);
}

static suite_sb_verdict run1(const char *prog, double timeout_s, suite_sb_result *r)
{
	suite_sb_opts o = quick_opts(timeout_s);
	if (suite_sb_run(&o, prog, r))
		return SUITE_SB_ERROR;
	check_mode(r);
	return r->verdict;
}

/* The parent of pid from /proc (0 when unreadable). */
static int parent_pid(int pid)
{
	char path[64], st[512], *cp;
	FILE *f;
	size_t m;
	int ppid = 0;
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	m = fread(st, 1, sizeof st - 1, f);
	fclose(f);
	st[m] = 0;
	if (!(cp = strrchr(st, ')')) || sscanf(cp + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

/* Whether pid descends from this test process. The test is a child subreaper (see main), so
 * whatever escapes a sandbox whose supervisor ended is re-parented here and still counts, and
 * sandboxes of other processes on the machine (another test run) do not. */
static int is_ours(int pid)
{
	int self = (int)getpid();
	for (int depth = 0; pid > 1 && depth < 64; depth++) {
		if ((pid = parent_pid(pid)) == self)
			return 1;
	}
	return 0;
}

/* Our processes whose command line mentions the sandbox's script name (a zygote and its forks
 * name it in the first line of their -c program), other than zombies; each is printed when
 * verbose. */
static int count_sandboxed_processes(int verbose)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300], buf[512], st[512];
		FILE *f;
		size_t len;
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
		if (!(f = fopen(path, "rb")))
			continue;
		len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		for (size_t i = 0; i < len; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[len] = 0;
		if (!strstr(buf, "prog.py") || !is_ours(atoi(e->d_name)))
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r"))) {
			char *cp;
			size_t m = fread(st, 1, sizeof st - 1, f);
			fclose(f);
			st[m] = 0;
			if ((cp = strrchr(st, ')')) && cp[1] == ' ' && (cp[2] == 'Z' || cp[2] == 'X'))
				continue;
			if (verbose)
				printf("  left alive: %s [%.120s]\n", buf, st);
		}
		n++;
	}
	closedir(d);
	return n;
}

/* ------------------------------------------------------------------ verdicts */

static void test_sandbox_gives_each_verdict_for_ordinary_programs(void)
{
	suite_sb_result r;
	if (!have_python())
		TB_SKIP("no python3");
	TB_CHECK_INT(run1("print('hi')\n", 5, &r), SUITE_SB_PASSED);
	TB_CHECK_STR(r.out, "hi\n");
	TB_CHECK_INT(r.exit_code, 0);
	suite_sb_result_release(&r);
	TB_CHECK_INT(run1("assert 1 == 2\n", 5, &r), SUITE_SB_FAILED);
	TB_CHECK(strstr(r.err, "AssertionError") != NULL);
	TB_CHECK_INT(r.exit_code, 1);
	suite_sb_result_release(&r);
	TB_CHECK_INT(run1("import time\ntime.sleep(30)\n", 0.5, &r), SUITE_SB_TIMEOUT);
	TB_CHECK(r.wall_s < 5);
	suite_sb_result_release(&r);
	TB_CHECK_INT(run1("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n", 5, &r),
		     SUITE_SB_CRASHED);
	TB_CHECK_INT(r.term_signal, SIGSEGV);
	suite_sb_result_release(&r);
	TB_CHECK_INT(run1("x = bytearray(8 << 30)\n", 5, &r), SUITE_SB_MEMORY);
	suite_sb_result_release(&r);
	TB_CHECK_INT(run1("import sys\nwhile True: sys.stdout.write('y' * 65536)\n", 5, &r),
		     SUITE_SB_OUTPUT_LIMIT);
	TB_CHECK(r.n_out <= (64 << 10));
	suite_sb_result_release(&r);
	TB_CHECK_STR(suite_sb_verdict_name(SUITE_SB_OUTPUT_LIMIT), "output-limit");
}

static void test_sandbox_reports_a_missing_interpreter_as_an_error(void)
{
	suite_sb_opts o = quick_opts(5);
	suite_sb_result r;
	o.python = "/nonexistent/python3";
	TB_REQUIRE(suite_sb_run(&o, "print(1)\n", &r) == 0);
	TB_CHECK_INT(r.verdict, SUITE_SB_ERROR);
	TB_CHECK(strstr(r.err, "exec python") != NULL);
	suite_sb_result_release(&r);
	TB_CHECK_INT(suite_sb_run(&o, NULL, &r), SUITE_EINVAL);
	suite_sb_result_release(&r);
}

static void test_sandbox_environment_is_clean_and_the_work_dir_is_fresh(void)
{
	suite_sb_result r;
	if (!have_python())
		TB_SKIP("no python3");
	setenv("TB_TEST_SECRET_KEY", "sk-do-not-leak-1234", 1);
	TB_CHECK_INT(run1("import os\nprint(sorted(os.environ))\nprint(os.listdir('.'))\n"
			  "print('HOME' in os.environ)\n", 5, &r), SUITE_SB_PASSED);
	TB_CHECK(strstr(r.out, "TB_TEST_SECRET_KEY") == NULL);
	TB_CHECK(strstr(r.out, "['prog.py']") != NULL);
	TB_CHECK(strstr(r.out, "False") != NULL);
	suite_sb_result_release(&r);
	/* No fd of the caller or of a zygote reaches the program: only 0, 1, 2, the proof pipe (3,
	 * write only; the token pipe is closed before the program runs) and the listing's. */
	TB_CHECK_INT(run1("import os, stat\nprint(sorted(os.listdir('/proc/self/fd')))\n"
			  "print(stat.S_ISFIFO(os.fstat(3).st_mode), os.get_blocking(3))\n"
			  "print(open('/proc/self/fdinfo/3').read().split()[3])\n", 5, &r),
		     SUITE_SB_PASSED);
	TB_CHECK(strncmp(r.out, "['0', '1', '2', '3', '4']\nTrue True\n", 35) == 0);
	/* flags of fd 3: write only (O_WRONLY = 01), never the read end. */
	TB_CHECK(strlen(r.out) > 36 && r.out[strlen(r.out) - 2] == '1');
	/* Where the kernel lets unshare(1) make these namespaces, the sandbox must use them. */
	if (system("unshare --user --net --pid --mount --fork --map-root-user true >/dev/null 2>&1") == 0)
		TB_CHECK_INT(r.isolation & (SUITE_SB_ISO_NET | SUITE_SB_ISO_PID | SUITE_SB_ISO_MNT |
					    SUITE_SB_ISO_USER),
			     SUITE_SB_ISO_NET | SUITE_SB_ISO_PID | SUITE_SB_ISO_MNT | SUITE_SB_ISO_USER);
	else
		printf("  unshare(1) cannot make user/pid/net/mount namespaces here; isolation %d\n",
		       r.isolation);
	suite_sb_result_release(&r);
	unsetenv("TB_TEST_SECRET_KEY");
}

/* ------------------------------------------------------------------ HumanEval */

typedef struct he_task {
	char *prompt, *solution, *test, *entry;
} he_task;

static size_t load_humaneval(he_task **out)
{
	const char *sh = tb_shared_dir();
	char cmd[600], *line = NULL;
	size_t cap = 0, n = 0, ncap = 0;
	he_task *v = NULL;
	FILE *f;
	*out = NULL;
	if (!sh)
		return 0;
	snprintf(cmd, sizeof cmd, "gzip -dc '%s/datasets/humaneval/HumanEval.jsonl.gz' 2>/dev/null", sh);
	if (!(f = popen(cmd, "r")))
		return 0;
	while (getline(&line, &cap, f) > 0) {
		cJSON *o = cJSON_Parse(line);
		const char *k[4] = { "prompt", "canonical_solution", "test", "entry_point" };
		char *val[4] = { 0 };
		if (!o)
			continue;
		for (int i = 0; i < 4; i++) {
			cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k[i]);
			val[i] = cJSON_IsString(it) ? strdup(it->valuestring) : NULL;
		}
		cJSON_Delete(o);
		if (n == ncap) {
			ncap = ncap ? ncap * 2 : 256;
			v = realloc(v, ncap * sizeof *v);
		}
		v[n].prompt = val[0];
		v[n].solution = val[1];
		v[n].test = val[2];
		v[n].entry = val[3];
		n++;
	}
	free(line);
	pclose(f);
	*out = v;
	return n;
}

static char *he_program(const he_task *t, const char *body)
{
	size_t len = strlen(t->prompt) + strlen(body) + strlen(t->test) + strlen(t->entry) + 32;
	char *p = malloc(len);
	snprintf(p, len, "%s%s\n\n%s\n\ncheck(%s)\n", t->prompt, body, t->test, t->entry);
	return p;
}

static void run_humaneval(int with_body)
{
	he_task *t;
	size_t n = load_humaneval(&t);
	char **progs;
	suite_sb_result *res;
	int bad = 0;
	suite_sb_opts o = quick_opts(10);
	if (!have_python())
		TB_SKIP("no python3");
	if (n == 0)
		TB_SKIP("HumanEval.jsonl.gz not found under the shared data folder");
	TB_CHECK_INT(n, 164);
	progs = calloc(n, sizeof *progs);
	res = calloc(n, sizeof *res);
	for (size_t i = 0; i < n; i++)
		progs[i] = he_program(&t[i], with_body ? t[i].solution : "    pass\n");
	TB_CHECK_INT(suite_sb_run_many(&o, (const char *const *)progs, n, 0, res), 0);
	for (size_t i = 0; i < n; i++) {
		int ok;
		check_mode(&res[i]);
		ok = with_body ? res[i].verdict == SUITE_SB_PASSED
				   : res[i].verdict != SUITE_SB_PASSED;
		if (!ok && bad++ < 5)
			printf("  task %zu: %s: %.300s\n", i, suite_sb_verdict_name(res[i].verdict),
			       res[i].err);
		suite_sb_result_release(&res[i]);
		free(progs[i]);
		free(t[i].prompt);
		free(t[i].solution);
		free(t[i].test);
		free(t[i].entry);
	}
	TB_CHECK_INT(bad, 0);
	free(progs);
	free(res);
	free(t);
}

static void test_sandbox_passes_all_164_canonical_humaneval_solutions(void)
{
	run_humaneval(1);
}

static void test_sandbox_fails_each_humaneval_task_with_its_body_replaced_by_pass(void)
{
	run_humaneval(0);
}

/* ------------------------------------------------------------------ hostile programs */

typedef struct hostile {
	const char *name;
	const char *prog;      /* PORT, when present, is replaced by the local listening port */
	int must_not_pass;     /* the program prints/returns success only if it escaped */
} hostile;

static const hostile hostiles[] = {
	{ "fork bomb", "import os\nwhile True:\n    try: os.fork()\n    except OSError: pass\n", 1 },
	{ "memory bomb", "a = []\nwhile True: a.append(bytearray(50 << 20))\n", 1 },
	{ "one huge allocation", "x = b'x' * (64 << 30)\n", 1 },
	{ "infinite loop", "while True: pass\n", 1 },
	{ "disk fill one file", "f = open('big', 'wb')\nwhile True: f.write(b'x' * (1 << 20))\n", 1 },
	{ "disk fill many files", "i = 0\nwhile True:\n    open('f%d' % i, 'wb').write(b'y' * 65536)\n"
	  "    i += 1\n", 1 },
	{ "1 GB of stdout", "import sys\nfor _ in range(1 << 14): sys.stdout.write('z' * 65536)\n", 1 },
	{ "1 GB of stderr", "import sys\nfor _ in range(1 << 14): sys.stderr.write('z' * 65536)\n", 1 },
	{ "socket to 127.0.0.1", "import socket\ns = socket.create_connection(('127.0.0.1', PORT), 2)\n", 1 },
	{ "socket to an outside address",
	  "import socket\ns = socket.create_connection(('1.1.1.1', 80), 2)\n", 1 },
	{ "read the parent's environment",
	  "import os\nfound = False\nfor p in os.listdir('/proc'):\n    try:\n"
	  "        if b'sk-do-not-leak' in open('/proc/%s/environ' % p, 'rb').read(): found = True\n"
	  "    except Exception: pass\nassert found\n", 1 },
	{ "kill the parent", "import os, time\nos.kill(os.getppid(), 9)\ntime.sleep(1)\n"
	  "raise SystemExit(3)\n", 1 },
	{ "kill everything", "import os, time\nos.kill(-1, 9)\ntime.sleep(1)\nraise SystemExit(3)\n", 1 },
	{ "write outside the temp dir",
	  "import os\nok = 0\nfor p in ['/tmp/tb_sandbox_escape', '/var/tmp/tb_sandbox_escape', "
	  "'/etc/tb_sandbox_escape', '../tb_sandbox_escape']:\n    try:\n"
	  "        open(p, 'w').write('x'); ok += os.path.exists(p)\n    except OSError: pass\n"
	  "assert ok == 0, ok\nraise SystemExit(3)\n", 1 },
	{ "deep recursion", "import sys\nsys.setrecursionlimit(10 ** 8)\ndef f(n): return f(n + 1)\nf(0)\n",
	  1 },
	{ "spinning threads", "import threading\ndef spin():\n    while True: pass\n"
	  "for _ in range(32): threading.Thread(target=spin).start()\n", 1 },
	{ "ignore SIGTERM", "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
	  "while True: time.sleep(1)\n", 1 },
	{ "close stdout and stderr", "import os\nos.close(1)\nos.close(2)\nwhile True: pass\n", 1 },
	{ "redirect fds", "import os\nfd = os.open('/dev/null', os.O_WRONLY)\nos.dup2(fd, 1)\n"
	  "os.dup2(fd, 2)\nraise SystemExit(4)\n", 1 },
	{ "setsid then sleep", "import os, time\nif os.fork() == 0:\n    os.setsid()\n"
	  "    time.sleep(1000)\nelse:\n    time.sleep(0.2)\n", 0 },
	{ "double fork daemon", "import os, time\nif os.fork() == 0:\n    os.setsid()\n"
	  "    if os.fork() == 0:\n        os.close(1)\n        time.sleep(1000)\n    os._exit(0)\n"
	  "time.sleep(0.2)\n", 0 },
	{ "shell background job", "import subprocess\nsubprocess.Popen(['/bin/sh', '-c', "
	  "'setsid sleep 1000 & sleep 1000 &'])\n", 0 },
	{ "sleep past the timeout", "import time\ntime.sleep(1000)\n", 1 },
	{ "read /etc/shadow", "print(open('/etc/shadow').read()[:10])\n", 1 },
	{ "open every fd", "fs = []\nwhile True: fs.append(open('/dev/null'))\n", 1 },
};
#define N_HOSTILE (sizeof hostiles / sizeof hostiles[0])

static void test_sandbox_contains_hostile_programs_and_the_caller_keeps_running(void)
{
	char *progs[N_HOSTILE];
	suite_sb_result res[N_HOSTILE];
	suite_sb_opts o = quick_opts(2);
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof sa;
	int lfd, port = 0, left;
	struct stat sb;

	if (!have_python())
		TB_SKIP("no python3");
	setenv("TB_TEST_SECRET_KEY", "sk-do-not-leak-1234", 1);
	/* A listener the sandbox must not reach. */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd >= 0 && bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(lfd, 4) == 0 &&
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	for (size_t i = 0; i < N_HOSTILE; i++) {
		size_t len = strlen(hostiles[i].prog) + 16;
		const char *at = strstr(hostiles[i].prog, "PORT");
		progs[i] = malloc(len);
		if (at)
			snprintf(progs[i], len, "%.*s%d%s", (int)(at - hostiles[i].prog),
				 hostiles[i].prog, port, at + 4);
		else
			snprintf(progs[i], len, "%s", hostiles[i].prog);
	}
	TB_CHECK_INT(suite_sb_run_many(&o, (const char *const *)progs, N_HOSTILE, 0, res), 0);
	for (size_t i = 0; i < N_HOSTILE; i++) {
		check_mode(&res[i]);
		int bad = res[i].verdict == SUITE_SB_ERROR ||
			  (hostiles[i].must_not_pass && res[i].verdict == SUITE_SB_PASSED) ||
			  res[i].wall_s > 15 || res[i].n_out > (64 << 10) || res[i].n_err > (64 << 10);
		printf("  %-30s %-12s %.2f s\n", hostiles[i].name,
		       suite_sb_verdict_name(res[i].verdict), res[i].wall_s);
		if (bad) {
			printf("  check failed: hostile \"%s\" not contained: %s\n", hostiles[i].name,
			       res[i].err);
			TB_CHECK(!bad);
		}
		suite_sb_result_release(&res[i]);
		free(progs[i]);
	}
	if (lfd >= 0)
		close(lfd);
	unsetenv("TB_TEST_SECRET_KEY");
	/* Nothing escaped: no process left, no file outside, and a normal program still runs. */
	/* A process killed a moment ago may still be on its way out on a loaded machine. */
	for (int tries = 0; (left = count_sandboxed_processes(0)) > 0 && tries < 300; tries++)
		usleep(100000);
	if (left)
		count_sandboxed_processes(1);
	TB_CHECK_INT(left, 0);
	TB_CHECK(stat("/tmp/tb_sandbox_escape", &sb) != 0);
	TB_CHECK(stat("/var/tmp/tb_sandbox_escape", &sb) != 0);
	TB_CHECK(stat("/etc/tb_sandbox_escape", &sb) != 0);
	{
		suite_sb_result r;
		TB_CHECK_INT(run1("print(6 * 7)\n", 5, &r), SUITE_SB_PASSED);
		TB_CHECK_STR(r.out, "42\n");
		suite_sb_result_release(&r);
	}
}

static void test_sandbox_leaves_nothing_alive_when_its_caller_is_killed(void)
{
	int left = 0, seen = 0;
	pid_t pid;
	if (!have_python())
		TB_SKIP("no python3");
	pid = fork();
	TB_REQUIRE(pid >= 0);
	if (pid == 0) {
		suite_sb_result r;
		suite_sb_opts o = quick_opts(60);
		suite_sb_run(&o, "import os, time\nif os.fork() == 0:\n    os.setsid()\ntime.sleep(1000)\n", &r);
		_exit(0);
	}
	/* Wait until the program runs, then kill the caller as a crash would. */
	for (int i = 0; i < 100 && !(seen = count_sandboxed_processes(0) >= 2); i++)
		usleep(50000);
	TB_CHECK(seen);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	for (int tries = 0; (left = count_sandboxed_processes(0)) > 0 && tries < 300; tries++)
		usleep(100000);
	if (left)
		count_sandboxed_processes(1);
	TB_CHECK_INT(left, 0);
}

/* ------------------------------------------------------------------ early exit */

/* A HumanEval-shaped program whose candidate gives a wrong answer after doing `body` first:
 * whatever the body does to end the process early, a pass needs the runner's proof that the
 * program ran to its end (check() returned). */
#define EARLY(body) "import os, sys\n\ndef add(a, b):\n" body "    return a - b\n\n" \
	"def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(0, 1) == 1\n\n" \
	"check(add)\n"

static const struct {
	const char *name, *prog;
} early_exits[] = {
	{ "raise SystemExit", EARLY("    raise SystemExit\n") },
	{ "raise SystemExit(0)", EARLY("    raise SystemExit(0)\n") },
	{ "sys.exit(0)", EARLY("    sys.exit(0)\n") },
	{ "sys.exit() in a finally", EARLY("    try:\n        return a - b\n    finally:\n"
					    "        sys.exit()\n") },
	{ "os._exit(0)", EARLY("    os._exit(0)\n") },
	{ "atexit hook", EARLY("    import atexit\n    atexit.register(lambda: os._exit(0))\n") },
	{ "sys.excepthook", EARLY("    sys.excepthook = lambda *a: os._exit(0)\n") },
	{ "thread calls os._exit(0)", EARLY("    import threading, time\n"
					    "    threading.Thread(target=lambda: os._exit(0)).start()\n"
					    "    time.sleep(2)\n") },
	{ "signal handler exits", EARLY("    import signal\n"
					"    signal.signal(signal.SIGALRM, lambda *a: os._exit(0))\n"
					"    signal.setitimer(signal.ITIMER_REAL, 0.01)\n"
					"    import time\n    time.sleep(2)\n") },
	{ "exec of /bin/true", EARLY("    os.execv('/bin/true', ['true'])\n") },
	{ "forged proof on every fd", EARLY("    import secrets\n    t = secrets.token_hex(16).encode()\n"
					    "    for fd in range(3, 64):\n"
					    "        try:\n            os.write(fd, t)\n"
					    "        except OSError:\n            pass\n"
					    "    os._exit(0)\n") },
	{ "source read back", EARLY("    print(open(__file__).read())\n    os._exit(0)\n") },
};

#define N_EARLY (sizeof early_exits / sizeof early_exits[0])

static void test_sandbox_program_that_exits_early_does_not_pass(void)
{
	const char *progs[N_EARLY + 1];
	suite_sb_result res[N_EARLY + 1];
	suite_sb_opts o = quick_opts(5);
	if (!have_python())
		TB_SKIP("no python3");
	for (size_t i = 0; i < N_EARLY; i++)
		progs[i] = early_exits[i].prog;
	/* The control: the same program with a right answer passes. */
	progs[N_EARLY] = "def add(a, b):\n    return a + b\n\ndef check(candidate):\n"
			 "    assert candidate(2, 3) == 5\n\ncheck(add)\n";
	TB_CHECK_INT(suite_sb_run_many(&o, progs, N_EARLY + 1, 0, res), 0);
	for (size_t i = 0; i < N_EARLY; i++) {
		check_mode(&res[i]);
		printf("  %-28s %-12s exit %d\n", early_exits[i].name,
		       suite_sb_verdict_name(res[i].verdict), res[i].exit_code);
		if (res[i].verdict == SUITE_SB_PASSED)
			printf("  check failed: \"%s\" passed\n", early_exits[i].name);
		TB_CHECK(res[i].verdict != SUITE_SB_PASSED);
		TB_CHECK(!res[i].proof);
		/* Those that ended with status 0 are named for what they did. */
		if (res[i].exit_code == 0)
			TB_CHECK_INT(res[i].verdict, SUITE_SB_EARLY_EXIT);
		suite_sb_result_release(&res[i]);
	}
	check_mode(&res[N_EARLY]);
	TB_CHECK_INT(res[N_EARLY].verdict, SUITE_SB_PASSED);
	TB_CHECK_INT(res[N_EARLY].proof, 1);
	suite_sb_result_release(&res[N_EARLY]);
}

/* ------------------------------------------------------------------ as an ordinary user */

/* Runs prog in the current mode from a forked child that has dropped to nobody (the way most
 * people run tierbench; CI runs as root), with a secret in its environment and heap. Returns the
 * verdict (-1: the child could not drop or run) with the program's stdout in out. */
static int run_as_nobody(const char *prog, char *out, size_t outlen, int *isolation)
{
	int pfd[2], st = 0;
	pid_t pid;
	ssize_t n = 0, r;
	out[0] = 0;
	if (pipe(pfd))
		return -1;
	if ((pid = fork()) == 0) {
		suite_sb_opts o = quick_opts(10);
		suite_sb_result res;
		char head[32];
		close(pfd[0]);
		o.tmp_root = "/tmp";
		setenv("TB_TEST_SECRET_KEY", "sk-do-not-leak-1234", 1);
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534) || getuid() != 65534)
			_exit(3);
		if (suite_sb_run(&o, prog, &res))
			_exit(4);
		snprintf(head, sizeof head, "%d %d\n", (int)res.verdict, res.isolation);
		if (write(pfd[1], head, strlen(head)) < 0 || write(pfd[1], res.out, res.n_out) < 0 ||
		    write(pfd[1], res.err, res.n_err) < 0)
			_exit(5);
		_exit(0);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return -1;
	}
	while (n < (ssize_t)outlen - 1 && (r = read(pfd[0], out + n, outlen - 1 - (size_t)n)) > 0)
		n += r;
	out[n] = 0;
	close(pfd[0]);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("  the unprivileged child ended with status %d\n", st);
		return -1;
	}
	{
		int v = -1;
		if (sscanf(out, "%d %d", &v, isolation) != 2)
			return -1;
		memmove(out, strchr(out, '\n') + 1, strlen(strchr(out, '\n') + 1) + 1);
		return v;
	}
}

static void test_sandbox_as_an_ordinary_user_hides_the_callers_environment_and_memory(void)
{
	char out[65536];
	int iso = 0, v;
	/* Everything of pid 1 (the sandbox's init) and of the process tree above that /proc shows. */
	const char *prog =
		"import os, re\n"
		"def grab(pid):\n"
		"    got = b''\n"
		"    for f in ('environ', 'cmdline'):\n"
		"        try:\n"
		"            got += open('/proc/%s/%s' % (pid, f), 'rb').read()\n"
		"        except OSError:\n"
		"            pass\n"
		"    try:\n"
		"        mem = open('/proc/%s/mem' % pid, 'rb', 0)\n"
		"        for line in open('/proc/%s/maps' % pid):\n"
		"            a, b = [int(x, 16) for x in line.split()[0].split('-')]\n"
		"            if line.split()[1][0] != 'r' or b - a > (64 << 20):\n"
		"                continue\n"
		"            try:\n"
		"                mem.seek(a)\n"
		"                got += mem.read(b - a)\n"
		"            except (OSError, ValueError, OverflowError):\n"
		"                pass\n"
		"    except OSError:\n"
		"        pass\n"
		"    return got\n"
		"pids = [p for p in os.listdir('/proc') if p.isdigit() and int(p) != os.getpid()]\n"
		"print('pids', len(pids))\n"
		"for p in pids:\n"
		"    if b'sk-do-not-leak' in grab(p):\n"
		"        print('LEAK from', p)\n";
	if (!have_python())
		TB_SKIP("no python3");
	if (access("/tmp", W_OK) != 0 || geteuid() != 0) {
		/* Not root: this process is the ordinary user already; run it here. */
		if (geteuid() != 0)
			TB_SKIP("not root: the rest of the suite runs as this user already");
	}
	v = run_as_nobody(prog, out, sizeof out, &iso);
	if (v < 0)
		TB_SKIP("cannot run the sandbox as nobody here");
	printf("  isolation as nobody: %d\n", iso);
	TB_CHECK_INT(v, SUITE_SB_PASSED);
	if (strstr(out, "LEAK") || v != SUITE_SB_PASSED)
		printf("  %.2000s\n", out);
	TB_CHECK(strstr(out, "LEAK") == NULL);
	TB_CHECK(strstr(out, "pids ") != NULL);
}

/* The program, as nobody (root caller) or as the user (user namespace), tries to change a file
 * its user owns outside the work dir (an earlier run's results) and the calls that would let it
 * out of its namespaces. */
static void test_sandbox_as_an_ordinary_user_cannot_touch_the_users_files(void)
{
	char dir[] = "/tb_sandbox_owned_XXXXXX", db[128], prog[4096], out[65536], buf[64] = { 0 };
	int iso = 0, v;
	FILE *f;
	struct stat sb;
	if (!have_python())
		TB_SKIP("no python3");
	if (geteuid() != 0 || !mkdtemp(dir))
		TB_SKIP("needs root to make a directory for nobody");
	snprintf(db, sizeof db, "%s/results.db", dir);
	TB_REQUIRE((f = fopen(db, "w")) != NULL);
	fputs("accuracy 0%\n", f);
	fclose(f);
	TB_CHECK(chown(dir, 65534, 65534) == 0 && chown(db, 65534, 65534) == 0 && chmod(dir, 0755) == 0);
	snprintf(prog, sizeof prog,
		 "import os, ctypes\n"
		 "D = '%s'\n"
		 "def try_(what, fn):\n"
		 "    try:\n"
		 "        fn()\n"
		 "        print(what, 'done')\n"
		 "    except OSError as e:\n"
		 "        print(what, 'denied', e.errno)\n"
		 "def rewrite():\n"
		 "    with open(D + '/results.db', 'w') as f:\n"
		 "        f.write('accuracy 100%%\\n')\n"
		 "def plant():\n"
		 "    with open(D + '/sh', 'wb') as f:\n"
		 "        f.write(b'#!/bin/sh\\n')\n"
		 "    os.chmod(D + '/sh', 0o4755)\n"
		 "try_('rewrite', rewrite)\n"
		 "try_('plant', plant)\n"
		 "try_('read', lambda: open(D + '/results.db').read())\n"
		 "libc = ctypes.CDLL(None, use_errno=True)\n"
		 "for name, call in (('unshare', lambda: libc.unshare(0x10000000)),\n"
		 "                   ('unshare-mnt', lambda: libc.unshare(0x20000)),\n"
		 "                   ('mount', lambda: libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)),\n"
		 "                   ('ptrace', lambda: libc.ptrace(0, 0, None, None))):\n"
		 "    r = call()\n"
		 "    print(name, r, ctypes.get_errno() if r else 0)\n", dir);
	v = run_as_nobody(prog, out, sizeof out, &iso);
	if (v < 0) {
		char cmd[200];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		TB_CHECK(system(cmd) == 0);
		TB_SKIP("cannot run the sandbox as nobody here");
	}
	printf("%s", out);
	TB_CHECK_INT(v, SUITE_SB_PASSED);
	TB_REQUIRE((f = fopen(db, "r")) != NULL);
	TB_CHECK(fgets(buf, sizeof buf, f) != NULL);
	fclose(f);
	TB_CHECK_STR(buf, "accuracy 0%\n");
	snprintf(db, sizeof db, "%s/sh", dir);
	TB_CHECK(stat(db, &sb) != 0);
	TB_CHECK(strstr(out, "rewrite denied") != NULL);
	TB_CHECK(strstr(out, "plant denied") != NULL);
	/* Where the kernel has the layers, they are used and the calls fail with EPERM (1). */
#if defined(__x86_64__) || defined(__aarch64__)
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0)
		TB_CHECK(iso & SUITE_SB_ISO_SECCOMP);
#endif
	if (iso & SUITE_SB_ISO_SECCOMP) {
		TB_CHECK(strstr(out, "unshare -1 1\n") != NULL);
		TB_CHECK(strstr(out, "unshare-mnt -1 1\n") != NULL);
		TB_CHECK(strstr(out, "mount -1 1\n") != NULL);
		TB_CHECK(strstr(out, "ptrace -1 1\n") != NULL);
	}
	if (syscall(SYS_landlock_create_ruleset, NULL, 0, 1U) >= 1) {   /* the kernel has Landlock */
		TB_CHECK(iso & SUITE_SB_ISO_LANDLOCK);
		TB_CHECK(strstr(out, "read denied") != NULL);
	}
	{
		char cmd[200];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		TB_CHECK(system(cmd) == 0);
	}
}

/* Every world-writable directory the program finds: what it plants there must not outlive it. */
static void test_sandbox_leaves_nothing_in_world_writable_places(void)
{
	suite_sb_result r;
	char *line, *save = NULL;
	int n = 0;
	const char *prog =
		"import os, stat\n"
		"seen = set()\n"
		"for top in ('/run', '/var', '/dev', '/tmp', '/etc', '/srv', '/opt', '/home', '/mnt', '/'):\n"
		"    for d, subs, files in os.walk(top):\n"
		"        if d.startswith(('/proc', '/sys', '/usr')) or d.count('/') > 4:\n"
		"            subs[:] = []\n"
		"            continue\n"
		"        if top == '/':\n"
		"            subs[:] = []\n"
		"        try:\n"
		"            st = os.stat(d)\n"
		"        except OSError:\n"
		"            continue\n"
		"        if not st.st_mode & 0o002 or d in seen:\n"
		"            continue\n"
		"        seen.add(d)\n"
		"        p = os.path.join(d, 'tb_sandbox_plant_%d' % os.getpid())\n"
		"        try:\n"
		"            with open(p, 'w') as f:\n"
		"                f.write('x')\n"
		"            print(p)\n"
		"        except OSError:\n"
		"            pass\n";
	if (!have_python())
		TB_SKIP("no python3");
	TB_CHECK_INT(run1(prog, 20, &r), SUITE_SB_PASSED);
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct stat sb;
		n++;
		if (stat(line, &sb) == 0) {
			printf("  check failed: %s survived the run\n", line);
			TB_CHECK(0);
			unlink(line);
		}
	}
	printf("  %d world-writable places written inside the sandbox, none outside\n", n);
	suite_sb_result_release(&r);
}

/* The private root: the program sees only the system's and the interpreter's directories, the
 * work dir and its private temporary places; every other entry of the machine's "/" and a file
 * every user may read are absent (not merely denied), nothing outside those places can be
 * written, every mount is nosuid (and nodev but for the device files), "/" is read-only, and the
 * old root is not reachable through /proc/1/root. As the caller (root: the program runs as
 * nobody) and, under root, from a child that is nobody itself (the user-namespace path). */
static void test_sandbox_private_root_hides_the_machine(void)
{
	static const char *const allowed[] = { "usr", "lib", "lib64", "lib32", "libx32", "bin", "sbin",
		"etc", "dev", "proc", "sys", "tmp", "var" };
	char dir[] = "/tb_sandbox_secret_XXXXXX", secret[96], names[8192], prog[16384], out[65536];
	const char *tmp = getenv("TMPDIR");
	char top[256];
	size_t used = 0;
	suite_sb_result r;
	DIR *d;
	struct dirent *e;
	FILE *f;
	int iso = 0, v;
	if (!have_python())
		TB_SKIP("no python3");
	/* The work dir's first component is visible too (its path is kept). */
	snprintf(top, sizeof top, "%s", tmp && tmp[0] == '/' ? tmp + 1 : "tmp");
	if (strchr(top, '/'))
		*strchr(top, '/') = 0;
	TB_REQUIRE((d = opendir("/")) != NULL);
	used += (size_t)snprintf(names, sizeof names, "[");
	while ((e = readdir(d)) && used < sizeof names - 300) {
		int ok = strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, top) &&
			 !strpbrk(e->d_name, "'\\\n");
		for (size_t i = 0; ok && i < sizeof allowed / sizeof allowed[0]; i++)
			ok = strcmp(e->d_name, allowed[i]) != 0;
		if (ok)
			used += (size_t)snprintf(names + used, sizeof names - used, "'%s', ", e->d_name);
	}
	closedir(d);
	snprintf(names + used, sizeof names - used, "]");
	secret[0] = 0;
	if (geteuid() == 0 && mkdtemp(dir)) {
		snprintf(secret, sizeof secret, "%s/readable-by-all", dir);
		if ((f = fopen(secret, "w"))) {
			fputs("secret\n", f);
			fclose(f);
		}
		TB_CHECK(chmod(dir, 0755) == 0 && chmod(secret, 0644) == 0);
	}
	snprintf(prog, sizeof prog,
		 "import os\n"
		 "for n in %s:\n"
		 "    if os.path.lexists('/' + n):\n"
		 "        print('visible', n)\n"
		 "if '%s':\n"
		 "    try:\n"
		 "        open('%s').read()\n"
		 "        print('secret read')\n"
		 "    except OSError as e:\n"
		 "        print('secret errno', e.errno)\n"
		 "for p in ('/tb_plant', '/etc/tb_plant', '/usr/tb_plant', '/dev/tb_plant', '/var/tb_plant',\n"
		 "          '/proc/tb_plant'):\n"
		 "    try:\n"
		 "        open(p, 'w').close()\n"
		 "        print('wrote', p)\n"
		 "    except OSError:\n"
		 "        pass\n"
		 "for l in open('/proc/self/mountinfo'):\n"
		 "    f = l.split()\n"
		 "    mp, opts = f[4], f[5].split(',')\n"
		 "    if 'nosuid' not in opts:\n"
		 "        print('suid mount', mp)\n"
		 "    if 'nodev' not in opts and os.path.dirname(mp) != '/dev':\n"
		 "        print('dev mount', mp)\n"
		 "    if mp == '/' and 'ro' not in opts:\n"
		 "        print('root writable')\n"
		 "try:\n"
		 "    os.listdir(os.path.join('/proc', '1', 'root'))\n"
		 "    print('old root reachable')\n"
		 "except OSError:\n"
		 "    pass\n"
		 "print('end')\n",
		 names, secret, secret);
	for (int as_nobody = 0; as_nobody < 2; as_nobody++) {
		if (as_nobody) {
			if (geteuid() != 0)
				break;   /* this process is the ordinary user already */
			if ((v = run_as_nobody(prog, out, sizeof out, &iso)) < 0)
				break;
		} else {
			v = (int)run1(prog, 20, &r);
			snprintf(out, sizeof out, "%s%s", r.out, r.err);
			iso = r.isolation;
			suite_sb_result_release(&r);
		}
		printf("  %s: layers %d\n", as_nobody ? "as nobody" : "as the caller", iso);
		if (!(iso & SUITE_SB_ISO_MNT)) {
			printf("  no mount namespace here: no private root\n");
			TB_CHECK(!(iso & SUITE_SB_ISO_ROOT));
			continue;
		}
		TB_CHECK(iso & SUITE_SB_ISO_ROOT);
		TB_CHECK_INT(v, SUITE_SB_PASSED);
		if (strstr(out, "visible") || strstr(out, "wrote") || strstr(out, "mount ") ||
		    strstr(out, "writable") || strstr(out, "reachable") || strstr(out, "secret read"))
			printf("%s", out);
		TB_CHECK(strstr(out, "end\n") != NULL);
		TB_CHECK(strstr(out, "visible ") == NULL);
		TB_CHECK(strstr(out, "wrote ") == NULL);
		TB_CHECK(strstr(out, "suid mount") == NULL);
		TB_CHECK(strstr(out, "dev mount") == NULL);
		TB_CHECK(strstr(out, "root writable") == NULL);
		TB_CHECK(strstr(out, "old root reachable") == NULL);
		if (secret[0])
			TB_CHECK(strstr(out, "secret errno 2\n") != NULL);   /* absent, not denied */
	}
	if (secret[0]) {
		unlink(secret);
		rmdir(dir);
	}
}

/* Where no private root can be made (here: a temp root longer than the template cache keeps),
 * the run goes on without it and says so: no `root` bit, every other layer that a normal run
 * has, and the program still cannot read the caller's environment through /proc. */
static void test_sandbox_without_a_private_root_says_so_and_keeps_the_other_layers(void)
{
	char dir[] = "/tmp/tb_sbtest_XXXXXX", sub[4][1024], comp[151];
	suite_sb_result r;
	suite_sb_opts o = quick_opts(20);
	int normal;
	if (!have_python())
		TB_SKIP("no python3");
	TB_REQUIRE(run1("pass\n", 20, &r) == SUITE_SB_PASSED);
	normal = r.isolation;
	suite_sb_result_release(&r);
	if (!(normal & SUITE_SB_ISO_ROOT))
		TB_SKIP("no private root here in the first place");
	TB_REQUIRE(mkdtemp(dir) != NULL);
	memset(comp, 'p', sizeof comp - 1);
	comp[sizeof comp - 1] = 0;
	for (int i = 0; i < 4; i++) {
		size_t used = (size_t)snprintf(sub[i], sizeof sub[i], "%s", dir);

		for (int k = 0; k <= i && used < sizeof sub[i]; k++)
			used += (size_t)snprintf(sub[i] + used, sizeof sub[i] - used, "/%s", comp);
	}
	for (int i = 0; i < 4; i++)
		TB_REQUIRE(mkdir(sub[i], 0700) == 0);
	TB_REQUIRE(strlen(sub[3]) >= 512);
	o.tmp_root = sub[3];
	TB_REQUIRE(setenv("TB_SANDBOX_TEST_SECRET", "sk-not-for-the-program", 1) == 0);
	TB_REQUIRE(suite_sb_run(&o,
		"import os\n"
		"seen = []\n"
		"for p in os.listdir('/proc'):\n"
		"    try:\n"
		"        if b'sk-not-for-the-program' in open('/proc/%s/environ' % p, 'rb').read():\n"
		"            seen.append(p)\n"
		"    except OSError:\n"
		"        pass\n"
		"print('seen', seen)\n", &r) == 0);
	check_mode(&r);
	printf("  layers %d (a normal run: %d)\n", r.isolation, normal);
	if (r.verdict != SUITE_SB_PASSED)
		printf("%s%s\n", r.out, r.err);
	TB_CHECK_INT(r.verdict, SUITE_SB_PASSED);
	TB_CHECK(!(r.isolation & SUITE_SB_ISO_ROOT));
	TB_CHECK_INT(r.isolation | SUITE_SB_ISO_ROOT, normal);
	TB_CHECK(strstr(r.out, "seen []\n") != NULL);
	suite_sb_result_release(&r);
	unsetenv("TB_SANDBOX_TEST_SECRET");
	for (int i = 3; i >= 0; i--)
		rmdir(sub[i]);
	rmdir(dir);
}

/* ------------------------------------------------------------------ leftovers */

static int exists(const char *root, const char *rel)
{
	char path[1024];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", root, rel);
	return lstat(path, &sb) == 0;
}

static void make_at(const char *root, const char *rel, int dir)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	if (dir)
		TB_CHECK(mkdir(path, 0700) == 0);
	else {
		FILE *f = fopen(path, "w");
		TB_CHECK(f != NULL);
		if (f)
			fclose(f);
	}
}

static void test_sandbox_removes_work_dirs_a_killed_run_left_and_only_those(void)
{
	char root[] = "/tmp/tb_test_leftovers_XXXXXX", dead[64], live[64], link_[160], rel[160];
	char outside[160];
	suite_sb_opts o = quick_opts(5);
	suite_sb_result r;
	pid_t pid;
	if (!have_python())
		TB_SKIP("no python3");
	TB_REQUIRE(mkdtemp(root) != NULL);
	/* A pid that has ended: a child reaped at once. */
	if ((pid = fork()) == 0)
		_exit(0);
	TB_REQUIRE(pid > 0);
	waitpid(pid, NULL, 0);
	snprintf(dead, sizeof dead, "tb_sandbox_%d_aB3dEf", (int)pid);
	snprintf(live, sizeof live, "tb_sandbox_%d_aB3dEf", (int)getpid());
	/* A dead run's tree, with a link inside to a file outside that must survive it. */
	make_at(root, dead, 1);
	snprintf(rel, sizeof rel, "%s/sub", dead);
	make_at(root, rel, 1);
	snprintf(rel, sizeof rel, "%s/sub/prog.py", dead);
	make_at(root, rel, 0);
	make_at(root, "keep_me", 0);
	snprintf(outside, sizeof outside, "%s/keep_me", root);
	snprintf(link_, sizeof link_, "%s/%s/sub/link", root, dead);
	TB_CHECK(symlink(outside, link_) == 0);
	snprintf(link_, sizeof link_, "%s/%s/dirlink", root, dead);
	TB_CHECK(symlink(root, link_) == 0);
	/* Kept: a live process's dir, names not quite ours, a link named like ours. */
	make_at(root, live, 1);
	make_at(root, "tb_sandbox_XYZ123", 1);
	make_at(root, "tb_sandbox_999999999_short", 1);
	snprintf(link_, sizeof link_, "%s/tb_sandbox_%d_lInK00", root, (int)pid);
	TB_CHECK(symlink(root, link_) == 0);
	/* Another user's dir with a dead pid is not ours (root only: it can give one away). */
	snprintf(rel, sizeof rel, "tb_sandbox_%d_oThEr0", (int)pid);
	make_at(root, rel, 1);
	if (geteuid() == 0) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", root, rel);
		TB_CHECK(chown(path, 12345, 12345) == 0);
	}
	o.tmp_root = root;
	TB_CHECK_INT(suite_sb_run(&o, "print(1)\n", &r), 0);
	TB_CHECK_INT(r.verdict, SUITE_SB_PASSED);
	suite_sb_result_release(&r);
	TB_CHECK(!exists(root, dead));
	TB_CHECK(exists(root, "keep_me"));
	TB_CHECK(exists(root, live));
	TB_CHECK(exists(root, "tb_sandbox_XYZ123"));
	TB_CHECK(exists(root, "tb_sandbox_999999999_short"));
	snprintf(rel, sizeof rel, "tb_sandbox_%d_lInK00", (int)pid);
	TB_CHECK(exists(root, rel));
	snprintf(rel, sizeof rel, "tb_sandbox_%d_oThEr0", (int)pid);
	TB_CHECK(exists(root, rel) == (geteuid() == 0));
	{
		char cmd[1100];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
		TB_CHECK(system(cmd) == 0);
	}
}

/* ------------------------------------------------------------------ zygote */

static suite_sb_zygote *open_zygote(double timeout_s)
{
	suite_sb_opts o = quick_opts(timeout_s);
	char err[256] = "";
	suite_sb_zygote *z = suite_sb_zygote_open(&o, err, sizeof err);
	if (!z)
		printf("  %s\n", err);
	return z;
}

static void test_zygote_survives_programs_that_attack_it(void)
{
	/* Each tries to reach what lies outside: every pid, the parent, ptrace of each visible pid,
	 * writing to every fd it might hold, a setsid child left behind. */
	static const char *const attacks[] = {
		"import os, time\nos.kill(-1, 9)\ntime.sleep(0.2)\n",
		"import os\nos.kill(os.getppid(), 9)\nos.kill(1, 9)\n",
		"import os\nfor p in range(1, 1 << 15):\n    try: os.kill(p, 9)\n    except OSError: pass\n",
		"import ctypes\nlibc = ctypes.CDLL(None)\nfor p in range(1, 4096): libc.ptrace(16, p, 0, 0)\n",
		"import os\nfor fd in range(3, 1024):\n    try: os.write(fd, b'x' * 64)\n    except OSError: pass\n",
		"import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(100)\n",
	};
	suite_sb_zygote *z;
	int pid;
	if (!have_python())
		TB_SKIP("no python3");
	TB_REQUIRE((z = open_zygote(2)) != NULL);
	pid = suite_sb_zygote_pid(z);
	TB_CHECK(pid > 0);
	for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
		suite_sb_result r;
		TB_CHECK_INT(suite_sb_zygote_run(z, attacks[i], &r), 0);
		TB_CHECK_INT(r.zygote, 1);
		TB_CHECK(r.verdict != SUITE_SB_ERROR);
		suite_sb_result_release(&r);
		/* Still the same zygote, never restarted. */
		TB_CHECK_INT(suite_sb_zygote_pid(z), pid);
		TB_CHECK_INT(kill(pid, 0), 0);
	}
	{
		suite_sb_result r;
		TB_CHECK_INT(suite_sb_zygote_run(z, "print(6 * 7)\n", &r), 0);
		TB_CHECK_STR(r.out, "42\n");
		suite_sb_result_release(&r);
	}
	TB_CHECK_INT(suite_sb_zygote_starts(z), 1);
	suite_sb_zygote_close(z);
}

static void test_zygote_programs_cannot_affect_the_next_one(void)
{
	suite_sb_zygote *z;
	suite_sb_result r;
	char first[64];
	if (!have_python())
		TB_SKIP("no python3");
	TB_REQUIRE((z = open_zygote(5)) != NULL);
	/* The first changes everything it can reach in its own interpreter. */
	TB_CHECK_INT(suite_sb_zygote_run(z, "import builtins, os, sys, random\nbuiltins.LEAK = 1\n"
		"os.environ['LEAK'] = '1'\nsys.path.insert(0, '/leak')\nsys.modules['json'] = 0\n"
		"print(random.random())\n", &r), 0);
	TB_CHECK_INT(r.verdict, SUITE_SB_PASSED);
	snprintf(first, sizeof first, "%s", r.out);
	suite_sb_result_release(&r);
	TB_CHECK_INT(suite_sb_zygote_run(z, "import builtins, os, sys, json, random\n"
		"assert not hasattr(builtins, 'LEAK')\nassert 'LEAK' not in os.environ\n"
		"assert '/leak' not in sys.path\nprint(random.random())\n", &r), 0);
	TB_CHECK_INT(r.verdict, SUITE_SB_PASSED);
	if (r.verdict != SUITE_SB_PASSED)
		printf("  %s\n", r.err);
	/* random seeds itself from the OS in each program, not once in the zygote. */
	TB_CHECK(strcmp(first, r.out) != 0);
	suite_sb_result_release(&r);
	suite_sb_zygote_close(z);
}

static void test_zygote_that_died_or_hung_is_detected_and_started_again(void)
{
	suite_sb_zygote *z;
	suite_sb_result r;
	int pid;
	if (!have_python())
		TB_SKIP("no python3");
	TB_REQUIRE((z = open_zygote(5)) != NULL);
	pid = suite_sb_zygote_pid(z);
	kill(pid, SIGKILL);
	usleep(50000);
	TB_CHECK_INT(suite_sb_zygote_run(z, "print('again')\n", &r), 0);
	TB_CHECK_INT(r.verdict, SUITE_SB_PASSED);
	TB_CHECK_STR(r.out, "again\n");
	TB_CHECK_INT(r.zygote, 1);
	TB_CHECK(suite_sb_zygote_pid(z) != pid);
	TB_CHECK_INT(suite_sb_zygote_starts(z), 2);
	suite_sb_result_release(&r);
	/* Stopped (hung) rather than dead: no reply comes; the program still runs, on exec. */
	kill(suite_sb_zygote_pid(z), SIGSTOP);
	TB_CHECK_INT(suite_sb_zygote_run(z, "print('after a hang')\n", &r), 0);
	TB_CHECK_INT(r.verdict, SUITE_SB_PASSED);
	TB_CHECK_STR(r.out, "after a hang\n");
	suite_sb_result_release(&r);
	TB_CHECK_INT(suite_sb_zygote_run(z, "print(1)\n", &r), 0);
	TB_CHECK_INT(r.zygote, 1);
	TB_CHECK_INT(suite_sb_zygote_starts(z), 3);
	suite_sb_result_release(&r);
	suite_sb_zygote_close(z);
}

static void test_zygote_that_cannot_start_gives_an_error_line(void)
{
	suite_sb_opts o = quick_opts(5);
	char err[256] = "";
	o.python = "/nonexistent/python3";
	TB_CHECK(suite_sb_zygote_open(&o, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "zygote") != NULL);
}

static void *auto_run(void *arg)
{
	suite_sb_opts o = { 0 };
	suite_sb_result *r = arg;
	o.timeout_s = 5;   /* mode 0: AUTO */
	if (suite_sb_run(&o, "print('auto')\n", r))
		r->verdict = SUITE_SB_ERROR;
	return NULL;
}

static void test_auto_mode_runs_each_thread_from_its_own_zygote(void)
{
	suite_sb_result r[3];
	pthread_t th;
	if (!have_python())
		TB_SKIP("no python3");
	/* Twice from this thread (the second from the zygote the first started), once from another
	 * thread, whose zygote ends with it. */
	auto_run(&r[0]);
	auto_run(&r[1]);
	TB_REQUIRE(pthread_create(&th, NULL, auto_run, &r[2]) == 0);
	pthread_join(th, NULL);
	for (int i = 0; i < 3; i++) {
		TB_CHECK_INT(r[i].verdict, SUITE_SB_PASSED);
		TB_CHECK_STR(r[i].out, "auto\n");
		TB_CHECK_INT(r[i].zygote, 1);
		suite_sb_result_release(&r[i]);
	}
}

/* The public summary of the layers, for a run's manifest: the same names as the bits a run
 * reports, and a program run with defaults has those bits. */
static void test_sandbox_layers_text_matches_a_run(void)
{
	char buf[128], want[128];
	suite_sb_result r;
	suite_sb_opts o = { 0 };
	o.mode = SUITE_SB_MODE_EXEC;
	TB_REQUIRE(suite_sandbox_layers(buf, sizeof buf) != NULL);
	TB_REQUIRE(suite_sb_run(&o, "pass\n", &r) == 0);
	TB_CHECK_INT(r.verdict, SUITE_SB_PASSED);
	TB_CHECK_STR(buf, suite_sb_layers_text(r.isolation, want, sizeof want));
	suite_sb_result_release(&r);
	printf("  layers here: %s\n", buf);
}

int main(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	TB_RUN(test_sandbox_layers_text_matches_a_run);
	for (int round = 0; round < 2; round++) {
		test_mode = round ? SUITE_SB_MODE_ZYGOTE : SUITE_SB_MODE_EXEC;
		printf("-- %s mode\n", round ? "zygote" : "exec");
		TB_RUN(test_sandbox_gives_each_verdict_for_ordinary_programs);
		TB_RUN(test_sandbox_reports_a_missing_interpreter_as_an_error);
		TB_RUN(test_sandbox_environment_is_clean_and_the_work_dir_is_fresh);
		TB_RUN(test_sandbox_passes_all_164_canonical_humaneval_solutions);
		TB_RUN(test_sandbox_fails_each_humaneval_task_with_its_body_replaced_by_pass);
		TB_RUN(test_sandbox_contains_hostile_programs_and_the_caller_keeps_running);
		TB_RUN(test_sandbox_leaves_nothing_alive_when_its_caller_is_killed);
		TB_RUN(test_sandbox_program_that_exits_early_does_not_pass);
		TB_RUN(test_sandbox_as_an_ordinary_user_hides_the_callers_environment_and_memory);
		TB_RUN(test_sandbox_as_an_ordinary_user_cannot_touch_the_users_files);
		TB_RUN(test_sandbox_leaves_nothing_in_world_writable_places);
		TB_RUN(test_sandbox_private_root_hides_the_machine);
		TB_RUN(test_sandbox_without_a_private_root_says_so_and_keeps_the_other_layers);
	}
	test_mode = SUITE_SB_MODE_ZYGOTE;
	TB_RUN(test_zygote_survives_programs_that_attack_it);
	TB_RUN(test_zygote_programs_cannot_affect_the_next_one);
	TB_RUN(test_zygote_that_died_or_hung_is_detected_and_started_again);
	TB_RUN(test_zygote_that_cannot_start_gives_an_error_line);
	TB_RUN(test_auto_mode_runs_each_thread_from_its_own_zygote);
	TB_RUN(test_sandbox_removes_work_dirs_a_killed_run_left_and_only_those);
	return tb_test_end();
}
