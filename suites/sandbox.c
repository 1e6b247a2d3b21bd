/* suites/sandbox.c — runs model-written Python where it cannot hurt the machine. Each run forks a
 * supervisor that becomes a child subreaper, enters new pid / network / mount namespaces where
 * the kernel allows (plus a user namespace when not root), and forks the program: a size-capped
 * tmpfs work dir, private /tmp and /dev/shm, its own /proc, an unprivileged uid, rlimits, a clean
 * environment. The calling thread caps stdout / stderr and keeps the wall clock; when the program
 * ends or is killed the supervisor kills every process left (the pid namespace does this in the
 * kernel; the subreaper loop covers kernels without it). A thread pool runs many programs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "suites/suite_impl.h"

#define SB_NOBODY 65534   /* the uid / gid a root caller drops to */

/* What the supervisor reports on the status pipe: first the program's pid (in the caller's pid
 * namespace, so the caller can kill it; -1 when it could not fork), then this record. */
typedef struct sb_status {
	int wait_status;
	int isolation;
	int fork_errno;    /* errno of the supervisor's failed fork, else 0 */
} sb_status;

/* The program's child reports a failed setup step on its stderr with this prefix and exits 127. */
#define SETUP_PREFIX "tierbench sandbox: setup failed: "

/* Everything the child needs, prepared before fork: after fork in a threaded process only
 * async-signal-safe calls are allowed, so no allocation or formatting happens there. */
typedef struct sb_plan {
	const char *python;
	const char *dir;
	const char *program;
	size_t program_len;
	char tmpfs_opts[96];
	char uid_map[48], gid_map[48];
	int root;
	struct rlimit lim_cpu, lim_as, lim_nproc, lim_fsize, lim_nofile, lim_core;
	char *argv[6];
	char *envp[6];
	int fd_out, fd_err, fd_status;
} sb_plan;

/* ------------------------------------------------------------------ child side (no malloc) */

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_file_at(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc;
	if (fd < 0)
		return -1;
	rc = write_all(fd, text, strlen(text));
	close(fd);
	return rc;
}

/* Writes SETUP_PREFIX, what failed and errno as decimal to the program's stderr, then exits. */
static void child_fail(const sb_plan *p, const char *what)
{
	char num[16];
	int k = 0, v = errno;
	(void)write_all(p->fd_err, SETUP_PREFIX, strlen(SETUP_PREFIX));
	(void)write_all(p->fd_err, what, strlen(what));
	(void)write_all(p->fd_err, " (errno ", 8);
	do {
		num[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && k < 15);
	while (k > 0)
		(void)write_all(p->fd_err, &num[--k], 1);
	(void)write_all(p->fd_err, ")\n", 2);
	_exit(127);
}

/* mkdir -p of an absolute path, with a copy on the stack (the child may not allocate). */
static int make_path(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n >= sizeof buf)
		return -1;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != 0)
			continue;
		buf[i] = 0;
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -1;
		buf[i] = path[i];
	}
	return 0;
}

/* The program's own process: pid 1 of the new pid namespace when there is one. */
static void run_program(const sb_plan *p, int isolation)
{
	int fd, devnull;

	if (dup2(p->fd_out, 1) < 0 || dup2(p->fd_err, 2) < 0)
		child_fail(p, "redirect");
	if ((devnull = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(devnull, 0);
		close(devnull);
	}
	setsid();   /* its own session and process group, so the caller's terminal and group are safe */
	if (isolation & SUITE_SB_ISO_MNT) {
		/* Private propagation first, so nothing below leaks into the caller's mounts. */
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("tmpfs", p->dir, "tmpfs", MS_NOSUID | MS_NODEV, p->tmpfs_opts))
			child_fail(p, "mount work dir");
	}
	if (chdir(p->dir))
		child_fail(p, "chdir");
	if (isolation & SUITE_SB_ISO_MNT) {
		/* World-writable places become small private tmpfs; the work dir stays the cwd. A
		 * fresh /proc shows only this pid namespace (no reading the caller's environ). */
		mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=1777");
		mount("tmpfs", "/var/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=1777");
		mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=1777");
		if (isolation & SUITE_SB_ISO_PID)
			mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
		/* The work dir may lie under the new /tmp: make its path again there and bind the
		 * work tmpfs (still the cwd) onto it, so its absolute path resolves as before. */
		if (make_path(p->dir) == 0)
			mount(".", p->dir, NULL, MS_BIND, NULL);
		if (chdir(p->dir))
			child_fail(p, "chdir");
	}
	if ((fd = open("prog.py", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0 ||
	    write_all(fd, p->program, p->program_len))
		child_fail(p, "write program");
	close(fd);
	if (p->root) {
		if (setgroups(0, NULL) || setgid(SB_NOBODY) || setuid(SB_NOBODY))
			child_fail(p, "drop privileges");
	}
	if (setrlimit(RLIMIT_CPU, &p->lim_cpu) || setrlimit(RLIMIT_AS, &p->lim_as) ||
	    setrlimit(RLIMIT_NPROC, &p->lim_nproc) || setrlimit(RLIMIT_FSIZE, &p->lim_fsize) ||
	    setrlimit(RLIMIT_NOFILE, &p->lim_nofile) || setrlimit(RLIMIT_CORE, &p->lim_core))
		child_fail(p, "rlimit");
	/* After the uid change (which clears it): die with the supervisor. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	execve(p->python, p->argv, p->envp);
	child_fail(p, "exec python");
}

/* Pid 1 of the new pid namespace: the kernel ignores signals an init has no handler for (even
 * a program's kill of itself), so the program runs as pid 2 under this small init, which reaps
 * orphans and, when the program ends, writes its wait status to fd and exits; the kernel then
 * kills whatever else is left in the namespace. */
static void run_init(const sb_plan *p, int isolation, int fd)
{
	int pid, ws = 0, r;
	/* Not inherited from the supervisor: without it a killed supervisor would leave the init,
	 * and with it the namespace, running. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pid = fork();
	if (pid < 0)
		child_fail(p, "fork");
	if (pid == 0) {
		if (fd >= 0)
			close(fd);
		run_program(p, isolation);
	}
	while ((r = waitpid(-1, &ws, 0)) != pid)
		if (r < 0 && errno != EINTR)
			_exit(126);
	(void)write_all(fd, &ws, sizeof ws);
	_exit(0);
}

/* Kills and reaps every child of this (single-threaded) subreaper until none is left: the
 * descendants of a dead child are re-parented here, so repeating catches escaped ones. */
static void kill_all_children(void)
{
	char path[64], buf[4096];
	int self = (int)getpid();
	for (int round = 0; round < 1000; round++) {
		int fd, any = 0;
		ssize_t n = -1;
		/* "/proc/self/task/<tid>/children" without snprintf (not async-signal-safe). */
		char num[16];
		int k = 0, v = self;
		do {
			num[k++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		strcpy(path, "/proc/self/task/");
		for (size_t len = strlen(path); k > 0; len++)
			path[len] = num[--k], path[len + 1] = 0;
		strcat(path, "/children");
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
			n = read(fd, buf, sizeof buf - 1);
			close(fd);
		}
		if (n > 0) {
			int pid = 0;
			buf[n] = 0;
			for (ssize_t i = 0; i <= n; i++) {
				if (buf[i] >= '0' && buf[i] <= '9') {
					pid = pid * 10 + (buf[i] - '0');
				} else if (pid > 0) {
					kill(pid, SIGKILL);
					any = 1;
					pid = 0;
				}
			}
		}
		/* Reap whatever has ended; stop when no child is left. */
		for (;;) {
			int r = waitpid(-1, NULL, WNOHANG);
			if (r < 0 && errno == ECHILD)
				return;
			if (r <= 0)
				break;
		}
		if (n < 0)
			return;   /* no children list (old kernel): the process group kill has to do */
		if (!any) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
	}
}

/* The supervisor: namespaces, the program's fork, its end, and the clean-up of what is left. */
static void supervise(const sb_plan *p)
{
	int isolation = 0, pid, ws = 0, init_pipe[2] = { -1, -1 };
	sb_status st = { 0, 0, 0 };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (p->root) {
		if (unshare(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC) == 0)
			isolation = SUITE_SB_ISO_PID | SUITE_SB_ISO_NET | SUITE_SB_ISO_MNT;
		else if (unshare(CLONE_NEWNET) == 0)
			isolation = SUITE_SB_ISO_NET;
		isolation |= SUITE_SB_ISO_USER;   /* the program drops to nobody */
	} else if (unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS |
			   CLONE_NEWIPC) == 0) {
		/* Map only ourselves: "root" inside is this user outside, with no other powers. */
		write_file_at("/proc/self/setgroups", "deny");
		if (write_file_at("/proc/self/uid_map", p->uid_map) == 0 &&
		    write_file_at("/proc/self/gid_map", p->gid_map) == 0)
			isolation = SUITE_SB_ISO_PID | SUITE_SB_ISO_NET | SUITE_SB_ISO_MNT |
				    SUITE_SB_ISO_USER;
		else
			isolation = SUITE_SB_ISO_PID | SUITE_SB_ISO_NET;
	}
	if ((isolation & SUITE_SB_ISO_PID) && pipe2(init_pipe, O_CLOEXEC))
		init_pipe[0] = init_pipe[1] = -1;
	pid = fork();
	if (pid < 0) {
		st.fork_errno = errno;
		(void)write_all(p->fd_status, &pid, sizeof pid);
		(void)write_all(p->fd_status, &st, sizeof st);
		_exit(127);
	}
	if (pid == 0) {
		if (isolation & SUITE_SB_ISO_PID)
			run_init(p, isolation, init_pipe[1]);
		run_program(p, isolation);
	}
	if (init_pipe[1] >= 0)
		close(init_pipe[1]);
	close(p->fd_out);
	close(p->fd_err);
	if (write_all(p->fd_status, &pid, sizeof pid))
		kill(pid, SIGKILL);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	/* Under an init, the program's own status comes from the init; when the init was killed
	 * (timeout, output cap) its own status stands. */
	if (init_pipe[0] >= 0) {
		int inner = 0;
		if (WIFEXITED(ws) && read(init_pipe[0], &inner, sizeof inner) == (ssize_t)sizeof inner)
			ws = inner;
		close(init_pipe[0]);
	}
	/* With a pid namespace the kernel has killed everything else already. */
	kill(-pid, SIGKILL);
	kill_all_children();
	st.wait_status = ws;
	st.isolation = isolation;
	(void)write_all(p->fd_status, &st, sizeof st);
	_exit(0);
}

/* ------------------------------------------------------------------ caller side */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static const char *default_python(void)
{
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

/* A capped capture buffer: bytes past cap are counted but not kept. */
typedef struct cap_buf {
	char *s;
	size_t n, cap, seen;
} cap_buf;

/* Reads once from fd into b: 1 when bytes came, 0 at end of file or on an error, -1 when none
 * were ready (EAGAIN, EINTR). */
static int cap_read(int fd, cap_buf *b)
{
	char tmp[16384];
	ssize_t r = read(fd, tmp, sizeof tmp);
	if (r < 0)
		return errno == EINTR || errno == EAGAIN ? -1 : 0;
	if (r == 0)
		return 0;
	b->seen += (size_t)r;
	if (b->n < b->cap) {
		size_t take = (size_t)r < b->cap - b->n ? (size_t)r : b->cap - b->n;
		memcpy(b->s + b->n, tmp, take);
		b->n += take;
		b->s[b->n] = 0;
	}
	return 1;
}

static void fill_opts(const suite_sb_opts *o, suite_sb_opts *d)
{
	if (o)
		*d = *o;
	else
		memset(d, 0, sizeof *d);
	if (!d->python)
		d->python = default_python();
	if (d->timeout_s <= 0)
		d->timeout_s = 10;
	if (d->cpu_s <= 0)
		d->cpu_s = (int)d->timeout_s + 2;
	if (!d->mem_bytes)
		d->mem_bytes = (size_t)1 << 30;
	if (!d->fsize_bytes)
		d->fsize_bytes = (size_t)16 << 20;
	if (d->nproc <= 0)
		d->nproc = 64;
	if (d->nofile <= 0)
		d->nofile = 64;
	if (!d->out_cap_bytes)
		d->out_cap_bytes = (size_t)64 << 10;
	if (!d->tmp_root) {
		const char *t = getenv("TMPDIR");
		d->tmp_root = t && *t ? t : "/tmp";
	}
}

static int contains(const char *s, const char *needle)
{
	return s && strstr(s, needle) != NULL;
}

static suite_sb_verdict classify(const suite_sb_result *r, int timed_out, int over_cap,
				 int we_killed)
{
	if (over_cap)
		return SUITE_SB_OUTPUT_LIMIT;
	if (timed_out || r->term_signal == SIGXCPU)
		return SUITE_SB_TIMEOUT;
	if (r->exit_code == 0)
		return SUITE_SB_PASSED;
	if (contains(r->err, "MemoryError") || contains(r->err, "Cannot allocate memory") ||
	    contains(r->err, "cannot allocate memory"))
		return SUITE_SB_MEMORY;
	if (r->term_signal && !we_killed)
		return SUITE_SB_CRASHED;
	return SUITE_SB_FAILED;
}

int suite_sb_run(const suite_sb_opts *opts, const char *program, suite_sb_result *res)
{
	suite_sb_opts o;
	sb_plan p;
	char dir[4096];
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, ps[2] = { -1, -1 };
	cap_buf bo = { 0 }, be = { 0 };
	int sup = -1, prog_pid = -1, got_pid = 0, got_status = 0, timed_out = 0, over_cap = 0;
	int killed = 0, rc = 0;
	size_t st_n = 0, pid_n = 0;
	sb_status st = { 0, 0, 0 };
	double t0 = now_s(), deadline;
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (!res)
		return SUITE_EINVAL;
	memset(res, 0, sizeof *res);
	res->exit_code = -1;
	if (!program)
		return SUITE_EINVAL;
	fill_opts(opts, &o);
	deadline = t0 + o.timeout_s;
	bo.cap = be.cap = o.out_cap_bytes;
	if (!(bo.s = malloc(bo.cap + 1)) || !(be.s = malloc(be.cap + 1))) {
		free(bo.s);
		free(be.s);
		return SUITE_ENOMEM;
	}
	bo.s[0] = be.s[0] = 0;

	snprintf(dir, sizeof dir, "%s/tb_sandbox_XXXXXX", o.tmp_root);
	if (!mkdtemp(dir)) {
		snprintf(be.s, be.cap + 1, "sandbox: cannot make a directory in %s: %s", o.tmp_root,
			 strerror(errno));
		be.n = strlen(be.s);
		res->verdict = SUITE_SB_ERROR;
		goto done;
	}
	if (uid == 0 && chown(dir, SB_NOBODY, SB_NOBODY)) {
		snprintf(be.s, be.cap + 1, "sandbox: chown %s: %s", dir, strerror(errno));
		be.n = strlen(be.s);
		res->verdict = SUITE_SB_ERROR;
		goto cleanup;
	}

	memset(&p, 0, sizeof p);
	p.python = o.python;
	p.dir = dir;
	p.program = program;
	p.program_len = strlen(program);
	p.root = uid == 0;
	snprintf(p.tmpfs_opts, sizeof p.tmpfs_opts, "size=%zu,nr_inodes=256,mode=0700%s",
		 o.fsize_bytes, uid == 0 ? ",uid=65534,gid=65534" : "");
	snprintf(p.uid_map, sizeof p.uid_map, "0 %u 1\n", (unsigned)uid);
	snprintf(p.gid_map, sizeof p.gid_map, "0 %u 1\n", (unsigned)gid);
	p.lim_cpu.rlim_cur = (rlim_t)o.cpu_s;
	p.lim_cpu.rlim_max = (rlim_t)o.cpu_s + 1;   /* SIGXCPU first, SIGKILL a second later */
	p.lim_as.rlim_cur = p.lim_as.rlim_max = (rlim_t)o.mem_bytes;
	p.lim_nproc.rlim_cur = p.lim_nproc.rlim_max = (rlim_t)o.nproc;
	p.lim_fsize.rlim_cur = p.lim_fsize.rlim_max = (rlim_t)o.fsize_bytes;
	p.lim_nofile.rlim_cur = p.lim_nofile.rlim_max = (rlim_t)o.nofile;
	p.argv[0] = (char *)o.python;
	p.argv[1] = (char *)"-I";
	p.argv[2] = (char *)"-B";
	p.argv[3] = o.site ? (char *)"prog.py" : (char *)"-S";
	p.argv[4] = o.site ? NULL : (char *)"prog.py";
	p.envp[0] = (char *)"PATH=/usr/local/bin:/usr/bin:/bin";
	p.envp[1] = (char *)"LANG=C.UTF-8";
	p.envp[2] = (char *)"PYTHONHASHSEED=0";
	p.envp[3] = (char *)"PYTHONIOENCODING=utf-8";
	p.envp[4] = (char *)"OPENBLAS_NUM_THREADS=1";

	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC) || pipe2(ps, O_CLOEXEC)) {
		snprintf(be.s, be.cap + 1, "sandbox: pipe: %s", strerror(errno));
		be.n = strlen(be.s);
		res->verdict = SUITE_SB_ERROR;
		goto cleanup;
	}
	p.fd_out = po[1];
	p.fd_err = pe[1];
	p.fd_status = ps[1];
	sup = fork();
	if (sup == 0) {
		close(po[0]);
		close(pe[0]);
		close(ps[0]);
		supervise(&p);
	}
	close(po[1]);
	close(pe[1]);
	close(ps[1]);
	po[1] = pe[1] = ps[1] = -1;
	if (sup < 0) {
		snprintf(be.s, be.cap + 1, "sandbox: fork: %s", strerror(errno));
		be.n = strlen(be.s);
		res->verdict = SUITE_SB_ERROR;
		goto cleanup;
	}

	/* Read until the supervisor's final status arrives (its pipe then closes). Output pipes may
	 * stay open in escaped processes until the supervisor kills them, so they do not end it. */
	while (!got_status) {
		struct pollfd fds[3];
		int nf = 0, wait_ms;
		double left = deadline - now_s();
		if (left <= 0 && !killed) {
			timed_out = 1;
			if (got_pid && prog_pid > 0)
				kill(prog_pid, SIGKILL);
			else
				kill(sup, SIGKILL);
			killed = 1;
		}
		wait_ms = killed ? 200 : (int)(left * 1000) + 1;
		fds[nf++] = (struct pollfd){ ps[0], POLLIN, 0 };
		if (po[0] >= 0)
			fds[nf++] = (struct pollfd){ po[0], POLLIN, 0 };
		if (pe[0] >= 0)
			fds[nf++] = (struct pollfd){ pe[0], POLLIN, 0 };
		if (poll(fds, (nfds_t)nf, wait_ms) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < nf; i++) {
			if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (fds[i].fd == ps[0]) {
				ssize_t r;
				if (!got_pid) {
					r = read(ps[0], (char *)&prog_pid + pid_n, sizeof prog_pid - pid_n);
					if (r > 0 && (pid_n += (size_t)r) == sizeof prog_pid)
						got_pid = 1;
				} else {
					r = read(ps[0], (char *)&st + st_n, sizeof st - st_n);
					if (r > 0 && (st_n += (size_t)r) == sizeof st)
						got_status = 1;
				}
				if (r == 0)   /* the supervisor died without a status */
					goto sup_gone;
			} else {
				cap_buf *b = fds[i].fd == po[0] ? &bo : &be;
				int *fdp = fds[i].fd == po[0] ? &po[0] : &pe[0];
				if (!cap_read(*fdp, b)) {
					close(*fdp);
					*fdp = -1;
				} else if (b->seen > b->cap && !over_cap) {
					over_cap = 1;
					if (got_pid && prog_pid > 0)
						kill(prog_pid, SIGKILL);
					killed = 1;
				}
			}
		}
		if (killed && now_s() > deadline + 10)
			kill(sup, SIGKILL);   /* the supervisor is stuck: last resort */
	}
sup_gone:
	while (waitpid(sup, NULL, 0) < 0 && errno == EINTR)
		;
	/* Drain what is left without blocking: every writer is dead by now. */
	for (int k = 0; k < 2; k++) {
		int *fdp = k ? &pe[0] : &po[0];
		cap_buf *b = k ? &be : &bo;
		if (*fdp < 0)
			continue;
		fcntl(*fdp, F_SETFL, O_NONBLOCK);
		while (cap_read(*fdp, b) == 1)
			;
		if (b->seen > b->cap)
			over_cap = 1;
	}
	res->isolation = st.isolation;
	if (!got_status) {
		snprintf(be.s + be.n, be.cap + 1 - be.n, "%ssandbox: the supervisor ended without a "
			 "status (killed?)", be.n ? "\n" : "");
		be.n = strlen(be.s);
		res->verdict = timed_out ? SUITE_SB_TIMEOUT : SUITE_SB_CRASHED;
		goto cleanup;
	}
	if (st.fork_errno) {
		snprintf(be.s, be.cap + 1, "sandbox: fork: %s", strerror(st.fork_errno));
		be.n = strlen(be.s);
		res->verdict = SUITE_SB_ERROR;
		goto cleanup;
	}
	if (WIFEXITED(st.wait_status) && WEXITSTATUS(st.wait_status) == 127 &&
	    strncmp(be.s, SETUP_PREFIX, strlen(SETUP_PREFIX)) == 0) {
		res->verdict = SUITE_SB_ERROR;
		goto cleanup;
	}
	if (WIFEXITED(st.wait_status))
		res->exit_code = WEXITSTATUS(st.wait_status);
	else if (WIFSIGNALED(st.wait_status))
		res->term_signal = WTERMSIG(st.wait_status);
	res->err = be.s;   /* classify reads stderr */
	res->verdict = classify(res, timed_out, over_cap, killed);
	res->err = NULL;
cleanup:
	for (int k = 0; k < 3; k++) {
		int a = k == 0 ? po[0] : k == 1 ? pe[0] : ps[0];
		if (a >= 0)
			close(a);
	}
	if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) && rc == 0 && res->verdict != SUITE_SB_ERROR) {
		/* A directory left behind is reported but does not change the verdict. */
		size_t u = be.n;
		snprintf(be.s + u, be.cap + 1 - u, "%ssandbox: could not remove %s", u ? "\n" : "", dir);
		be.n = strlen(be.s);
	}
done:
	res->wall_s = now_s() - t0;
	res->out = bo.s;
	res->n_out = bo.n;
	res->err = be.s;
	res->n_err = be.n;
	return rc;
}

void suite_sb_result_release(suite_sb_result *res)
{
	if (!res)
		return;
	free(res->out);
	free(res->err);
	memset(res, 0, sizeof *res);
}

const char *suite_sb_verdict_name(suite_sb_verdict v)
{
	switch (v) {
	case SUITE_SB_PASSED: return "passed";
	case SUITE_SB_FAILED: return "failed";
	case SUITE_SB_TIMEOUT: return "timeout";
	case SUITE_SB_CRASHED: return "crashed";
	case SUITE_SB_MEMORY: return "memory";
	case SUITE_SB_OUTPUT_LIMIT: return "output-limit";
	case SUITE_SB_ERROR: return "error";
	}
	return "unknown";
}

/* ------------------------------------------------------------------ worker pool */

typedef struct sb_pool {
	const suite_sb_opts *o;
	const char *const *programs;
	suite_sb_result *res;
	size_t n, next;
	int rc;
	pthread_mutex_t mu;
} sb_pool;

static void *pool_worker(void *arg)
{
	sb_pool *pl = arg;
	for (;;) {
		size_t i;
		int rc;
		pthread_mutex_lock(&pl->mu);
		i = pl->next++;
		pthread_mutex_unlock(&pl->mu);
		if (i >= pl->n)
			return NULL;
		if ((rc = suite_sb_run(pl->o, pl->programs[i], &pl->res[i]))) {
			pthread_mutex_lock(&pl->mu);
			if (!pl->rc)
				pl->rc = rc;
			pthread_mutex_unlock(&pl->mu);
		}
	}
}

int suite_sb_run_many(const suite_sb_opts *o, const char *const *programs, size_t n,
		      int n_workers, suite_sb_result *res)
{
	sb_pool pl = { o, programs, res, n, 0, 0, PTHREAD_MUTEX_INITIALIZER };
	pthread_t th[64];
	int started = 0;

	if (n_workers <= 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		n_workers = c > 0 ? (int)c : 1;
	}
	if (n_workers > 64)
		n_workers = 64;
	if ((size_t)n_workers > n)
		n_workers = (int)n;
	for (int i = 0; i < n_workers; i++)
		if (pthread_create(&th[i], NULL, pool_worker, &pl) == 0)
			started++;
	if (!started)
		pool_worker(&pl);   /* no thread could start: run them here, one by one */
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&pl.mu);
	return pl.rc;
}
