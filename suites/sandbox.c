/* suites/sandbox.c — runs model-written Python where it cannot hurt the machine. Each run forks a
 * supervisor that becomes a child subreaper, enters new pid / network / mount namespaces where
 * the kernel allows (plus a user namespace when not root), and forks the program: a private
 * read-only root holding only the system's and the interpreter's directories, a size-capped
 * tmpfs work dir, private /tmp and /dev/shm, its own /proc, an unprivileged uid, rlimits,
 * Landlock and seccomp where the kernel has them, a clean environment (docs/sandbox.md). The calling thread caps stdout / stderr and keeps the wall clock; when the program
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "suites/suite_impl.h"

#define SB_NOBODY 65534   /* the uid / gid a root caller drops to */

/* Landlock (from the kernel's public ABI; defined here so older headers still build). */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#define LL_RULE_PATH_BENEATH 1
#define LL_VERSION 1U
#define LL_EXECUTE (1ULL << 0)
#define LL_WRITE_FILE (1ULL << 1)
#define LL_READ_FILE (1ULL << 2)
#define LL_READ_DIR (1ULL << 3)
#define LL_REFER (1ULL << 13)
#define LL_TRUNCATE (1ULL << 14)
#define LL_IOCTL_DEV (1ULL << 15)
#define LL_MAX_PATHS 16

/* The seccomp filter's most instructions. */
#define SC_MAX 96

/* The program's whole environment, in both modes. */
static char *const sb_envp[] = {
	(char *)"PATH=/usr/local/bin:/usr/bin:/bin", (char *)"LANG=C.UTF-8",
	(char *)"PYTHONHASHSEED=0", (char *)"PYTHONIOENCODING=utf-8",
	(char *)"OPENBLAS_NUM_THREADS=1", NULL,
};

/* What the supervisor reports on the status pipe: first the program's pid (in the caller's pid
 * namespace, so the caller can kill it; -1 when it could not fork), then this record. */
typedef struct sb_status {
	int wait_status;
	int isolation;
	int fork_errno;    /* errno of the supervisor's failed fork, else 0 */
} sb_status;

/* The proof of completion (see suite_impl.h): the token is TOKEN_LEN hex digits; the program's
 * process gets the proof pipe's write end as fd 3 and, on the exec path, the token pipe's read
 * end as fd 4, which the runner reads to its end and closes before the program's first line. */
#define TOKEN_LEN 32
#define PROOF_FD 3
#define TOKEN_FD 4

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
	char *argv[8];
	int layers;               /* SUITE_SB_ISO_LANDLOCK / _SECCOMP when the kernel offers them */
	/* Landlock: what the kernel knows (handled), and the places the program may read (and run
	 * from); it may write only beneath its work dir (and the private /tmp, /var/tmp, /dev/shm
	 * when it has a mount namespace), and /dev/null. */
	unsigned long long ll_handled;
	size_t ll_attr_size;
	char ll_read[LL_MAX_PATHS][256];
	int n_ll_read;
	struct sock_filter sc[SC_MAX];
	unsigned short n_sc;
	int fd_out, fd_err, fd_status;
	int fd_token, fd_proof;   /* read end of the token pipe, write end of the proof pipe */
	/* The private root's template (tpl_get): its mount namespace, and for an ordinary user the
	 * user namespace that owns it; -1 when there is none (no private root). */
	int tpl_mnt, tpl_user;
	const char *tmp_root;     /* where work dirs are made (a mount point in the template) */
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

/* mkdir -p of an absolute path (new directories 0755: on the private root's tmpfs, which
 * becomes read-only), with a copy on the stack (the child may not allocate). */
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
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -1;
		buf[i] = path[i];
	}
	return 0;
}

/* Closes every fd from lo up (the child of a fork, before exec). */
static void close_from(int lo)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lo, ~0U, 0) == 0)
		return;
#endif
	for (int fd = lo; fd < 4096; fd++)
		close(fd);
}

/* Adds a Landlock rule: access beneath path (a file or a directory). A path that does not
 * exist is skipped. 0 or -1. */
static int ll_rule(int rs, const char *path, unsigned long long access)
{
	struct __attribute__((packed)) {
		unsigned long long allowed;
		int parent_fd;
	} pb;
	int fd = open(path, O_PATH | O_CLOEXEC), rc;
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == EACCES ? 0 : -1;
	pb.allowed = access;
	pb.parent_fd = fd;
	rc = (int)syscall(SYS_landlock_add_rule, rs, LL_RULE_PATH_BENEATH, &pb, 0);
	close(fd);
	return rc ? -1 : 0;
}

/* Restricts this process and what it starts to the plan's Landlock rules; the cwd is the work
 * dir. Called after no-new-privileges. 0 or -1. */
static int apply_landlock(const sb_plan *p, int isolation)
{
	unsigned long long attr[3] = { p->ll_handled, 0, 0 };
	unsigned long long rx = LL_EXECUTE | LL_READ_FILE | LL_READ_DIR, all = p->ll_handled;
	unsigned long long dev = (LL_READ_FILE | LL_WRITE_FILE | LL_TRUNCATE | LL_IOCTL_DEV) & all;
	int rs = (int)syscall(SYS_landlock_create_ruleset, attr, p->ll_attr_size, 0), rc = 0;
	if (rs < 0)
		return -1;
	for (int i = 0; i < p->n_ll_read && !rc; i++)
		rc = ll_rule(rs, p->ll_read[i], rx);
	if (!rc)
		rc = ll_rule(rs, ".", all);
	if (!rc && (isolation & SUITE_SB_ISO_MNT))
		rc = ll_rule(rs, "/tmp", all) || ll_rule(rs, "/var/tmp", all) ||
		     ll_rule(rs, "/dev/shm", all);
	if (!rc)
		rc = ll_rule(rs, "/dev/null", dev);
	if (!rc && syscall(SYS_landlock_restrict_self, rs, 0))
		rc = -1;
	close(rs);
	return rc;
}

/* Where the private root is put together before it becomes "/" (any directory of the caller's
 * tree would do; the work dir's tmpfs is reached through the cwd once it is covered). */
#define NEW_ROOT "/tmp"


/* NEW_ROOT followed by path, into buf (4,096 + bytes). 0 or -1 when too long. */
static int in_new_root(char *buf, size_t n, const char *path)
{
	size_t a = strlen(NEW_ROOT), b = strlen(path);
	if (a + b + 1 > n)
		return -1;
	memcpy(buf, NEW_ROOT, a);
	memcpy(buf + a, path, b + 1);
	return 0;
}

/* Adds flags to the bind mount at dst. It keeps the mount's noexec and access-time mode, which
 * the kernel refuses to change on a mount that a user namespace inherited. 0 or -1. */
static int remount_bind(const char *dst, unsigned long flags)
{
	struct statfs sf;
	if (statfs(dst, &sf) == 0) {
		unsigned long f = (unsigned long)sf.f_flags;
		flags |= (f & ST_NOEXEC ? MS_NOEXEC : 0) | (f & ST_NODIRATIME ? MS_NODIRATIME : 0);
		flags |= f & ST_NOATIME ? MS_NOATIME : f & ST_RELATIME ? MS_RELATIME : MS_STRICTATIME;
	}
	return mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | flags, NULL);
}

/* Binds src onto dst (an existing directory or file) read-only, nosuid, nodev. 0 or -1. */
static int bind_ro(const char *src, const char *dst)
{
	if (mount(src, dst, NULL, MS_BIND, NULL))
		return -1;
	return remount_bind(dst, MS_RDONLY | MS_NOSUID | MS_NODEV);
}

/* Creates an empty file at path (on the new root's tmpfs) for a bind of a single file. */
static int make_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		return errno == EEXIST ? 0 : -1;
	close(fd);
	return 0;
}

/* Makes the directories above path (on the new root's tmpfs). 0 or -1. */
static int make_parent(char *path)
{
	char *slash = strrchr(path, '/');
	int rc;
	*slash = 0;
	rc = make_path(path);
	*slash = '/';
	return rc;
}

/* Puts one of the plan's read paths into the new root: a symbolic link as the same link (/bin ->
 * usr/bin on a merged /usr), a directory or file as a read-only bind. Paths beneath one bound
 * already are covered by it; missing ones are skipped. 0 or -1. */
static int root_add(const sb_plan *p, int i)
{
	char dst[4096 + 64], target[4096];
	const char *src = p->ll_read[i];
	struct stat sb;
	ssize_t n;
	for (int k = 0; k < i; k++) {
		size_t len = strlen(p->ll_read[k]);
		if (strncmp(src, p->ll_read[k], len) == 0 && (src[len] == '/' || !src[len]) &&
		    strcmp(p->ll_read[k], "/dev") && strcmp(p->ll_read[k], "/proc"))
			return 0;
	}
	if (lstat(src, &sb))
		return 0;
	if (in_new_root(dst, sizeof dst, src))
		return -1;
	if (S_ISLNK(sb.st_mode)) {
		if ((n = readlink(src, target, sizeof target - 1)) < 0 || make_parent(dst))
			return -1;
		target[n] = 0;
		return symlink(target, dst) && errno != EEXIST ? -1 : 0;
	}
	if (S_ISDIR(sb.st_mode) ? make_path(dst) : (make_parent(dst) || make_file(dst)))
		return -1;
	return bind_ro(src, dst);
}

/* The private root's template, built once per process (and user, interpreter and temp root) in
 * a mount namespace of its own (tpl_build): a tmpfs at NEW_ROOT gets read-only binds of the
 * plan's read paths, its own /dev (null, zero, full, random, urandom bound from the caller's, the
 * fd links, a /dev/shm mount point), a /proc of a pid namespace that is empty once the builder
 * has gone, mount points for /tmp, /var/tmp and the temp root; the tmpfs is made read-only and
 * becomes "/" through pivot_root, and the old root is detached. Nothing else of the machine is
 * in it: no home, no other run's store, no world-writable place. Each run's supervisor enters
 * it and copies it (setns, unshare), so a run pays neither the binds nor the detach (an RCU
 * grace period). Runs in the builder's child, pid 1 of its pid namespace. 0 or -1. */
static int tpl_root(const sb_plan *p)
{
	static const char *const devs[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random",
		"/dev/urandom" };
	static const char *const fd_links[][2] = { { "/proc/self/fd", "/dev/fd" },
		{ "/proc/self/fd/0", "/dev/stdin" }, { "/proc/self/fd/1", "/dev/stdout" },
		{ "/proc/self/fd/2", "/dev/stderr" } };
	static const char *const dirs[] = { "/tmp", "/var/tmp", "/dev/shm", "/proc" };
	char dst[4096 + 64];
	umask(022);   /* the root's directories must be searchable by the program's uid */
	if (mount("tmpfs", NEW_ROOT, "tmpfs", MS_NOSUID | MS_NODEV, "size=256k,nr_inodes=512,mode=755"))
		return -1;
	for (int i = 0; i < p->n_ll_read; i++)
		if (strcmp(p->ll_read[i], "/dev") && strcmp(p->ll_read[i], "/proc") && root_add(p, i))
			return -1;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (in_new_root(dst, sizeof dst, dirs[i]) || make_path(dst))
			return -1;
	for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++) {
		if (access(devs[i], F_OK))
			continue;
		in_new_root(dst, sizeof dst, devs[i]);
		if (make_file(dst) || mount(devs[i], dst, NULL, MS_BIND, NULL) ||
		    remount_bind(dst, MS_NOSUID | MS_NOEXEC))
			return -1;
	}
	for (size_t i = 0; i < sizeof fd_links / sizeof fd_links[0]; i++) {
		in_new_root(dst, sizeof dst, fd_links[i][1]);
		if (symlink(fd_links[i][0], dst))
			return -1;
	}
	/* A proc mount must be in view for a user namespace to mount its own later. */
	in_new_root(dst, sizeof dst, "/proc");
	if (mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return -1;
	if (in_new_root(dst, sizeof dst, p->tmp_root) || make_path(dst) ||
	    remount_bind(NEW_ROOT, MS_RDONLY | MS_NOSUID | MS_NODEV))
		return -1;
	/* pivot_root(".", ".") stacks the old root on the new one; detaching it leaves the new. */
	if (chdir(NEW_ROOT) || syscall(SYS_pivot_root, ".", ".") || umount2(".", MNT_DETACH) ||
	    chdir("/"))
		return -1;
	return 0;
}

/* A run's own mounts in its copy of the template (the cwd is "/"): private /tmp, /var/tmp and
 * /dev/shm, a fresh /proc of the run's pid namespace, the work dir a size-capped tmpfs at its
 * own path (under a small tmpfs on the temp root when that is not /tmp or /var/tmp), then the
 * cwd. Without a template: the same over the caller's tree (no private root). 0 or -1. */
static int run_mounts(const sb_plan *p, int isolation)
{
	static const char *const tmps[] = { "/tmp", "/var/tmp", "/dev/shm" };
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	if (p->tpl_mnt < 0) {
		/* The work tmpfs over the caller's dir first: the new /tmp may cover its path. */
		if (mount("tmpfs", p->dir, "tmpfs", MS_NOSUID | MS_NODEV, p->tmpfs_opts) || chdir(p->dir))
			return -1;
		mount("tmpfs", "/run/lock", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=755");
	}
	for (size_t i = 0; i < sizeof tmps / sizeof tmps[0]; i++)
		if (mount("tmpfs", tmps[i], "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=1777") &&
		    p->tpl_mnt >= 0)
			return -1;
	if ((isolation & SUITE_SB_ISO_PID) &&
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) && p->tpl_mnt >= 0)
		return -1;
	if (p->tpl_mnt >= 0) {
		if (make_path(p->dir)) {
			/* The temp root is a read-only mount point of the template. */
			if (mount("tmpfs", p->tmp_root, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755") ||
			    make_path(p->dir))
				return -1;
		}
		if (mount("tmpfs", p->dir, "tmpfs", MS_NOSUID | MS_NODEV, p->tmpfs_opts))
			return -1;
	} else if (make_path(p->dir) == 0) {
		/* The work dir may lie under the new /tmp: bind the work tmpfs (the cwd) there. */
		mount(".", p->dir, NULL, MS_BIND, NULL);
	}
	return chdir(p->dir);
}

/* The program's own process: pid 1 of the new pid namespace when there is one. */
static void run_program(const sb_plan *p, int isolation)
{
	int fd, devnull;

	if (dup2(p->fd_out, 1) < 0 || dup2(p->fd_err, 2) < 0)
		child_fail(p, "redirect");
	/* The proof pipes to their fixed numbers (through free ones, so neither clobbers the other);
	 * before the fd limit, which a caller with many fds open may already exceed. */
	{
		int q = fcntl(p->fd_proof, F_DUPFD, 10), t = fcntl(p->fd_token, F_DUPFD, 10);
		if (q < 0 || t < 0 || dup2(q, PROOF_FD) < 0 || dup2(t, TOKEN_FD) < 0)
			child_fail(p, "proof pipes");
		close(q);
		close(t);
	}
	if ((devnull = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(devnull, 0);
		close(devnull);
	}
	setsid();   /* its own session and process group, so the caller's terminal and group are safe */
	/* Private propagation first, so nothing leaks into the caller's mounts; in the private
	 * root's copy (or the caller's tree without one) the run's own tmpfs and /proc. */
	if ((isolation & SUITE_SB_ISO_MNT) && run_mounts(p, isolation))
		child_fail(p, "mount work dir");
	if (chdir(p->dir))
		child_fail(p, "chdir");
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
	if ((p->layers & SUITE_SB_ISO_LANDLOCK) && apply_landlock(p, isolation))
		child_fail(p, "landlock");
	if (p->layers & SUITE_SB_ISO_SECCOMP) {
		struct sock_fprog prog = { p->n_sc, (struct sock_filter *)p->sc };
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0))
			child_fail(p, "seccomp");
	}
	/* Nothing but 0, 1, 2 and the proof pipes: fds the caller inherited without close-on-exec
	 * stay out too. */
	close_from(TOKEN_FD + 1);
	execve(p->python, p->argv, sb_envp);
	{
		sb_plan q = *p;   /* its stderr pipe is fd 2 now */
		q.fd_err = 2;
		child_fail(&q, "exec python");
	}
}

/* Zeroes this process's copy of the argument and environment strings (the block /proc/PID/cmdline
 * and /proc/PID/environ show, found from fields 48-51 of /proc/self/stat). A fork of the caller
 * holds the caller's environment (API keys) there. No allocation: runs after fork. The program
 * is forked after this, so its text must not lie in that block (a caller's argv string would
 * arrive as zeros: pass a copy). */
static void wipe_args_and_env(void)
{
	char buf[1024], *cp;
	unsigned long v[4] = { 0, 0, 0, 0 };
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC), field = 2;
	ssize_t n;
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	if (!(cp = strrchr(buf, ')')))
		return;
	/* cp points at the end of field 2; each space starts the next field. */
	for (; *cp && field < 51; cp++) {
		if (*cp != ' ')
			continue;
		if (++field >= 48) {
			unsigned long x = 0;
			for (const char *d = cp + 1; *d >= '0' && *d <= '9'; d++)
				x = x * 10 + (unsigned long)(*d - '0');
			v[field - 48] = x;
		}
	}
	for (int k = 0; k < 4; k += 2)
		if (field == 51 && v[k] && v[k + 1] > v[k] && v[k + 1] - v[k] < (1UL << 24))
			memset((void *)v[k], 0, v[k + 1] - v[k]);
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
	/* The program can see this process (pid 1 of its /proc) and, as a fork of the caller, it
	 * holds the caller's memory: its environment is wiped, and not being dumpable puts
	 * /proc/1/mem, environ, maps out of the program's reach (its powers are those of its own
	 * user namespace; this memory belongs to the caller's). */
	wipe_args_and_env();
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
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
	if (p->tpl_mnt >= 0) {
		/* Into the private root's template (for an ordinary user, first into the user
		 * namespace that owns it, where this process is root), then a copy of it. A failure
		 * here is the run's error, never a run without the root. */
		if ((p->tpl_user >= 0 && setns(p->tpl_user, CLONE_NEWUSER)) ||
		    setns(p->tpl_mnt, CLONE_NEWNS) ||
		    unshare(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC))
			child_fail(p, "private root");
		isolation = SUITE_SB_ISO_PID | SUITE_SB_ISO_NET | SUITE_SB_ISO_MNT | SUITE_SB_ISO_USER |
			    SUITE_SB_ISO_ROOT;
	} else if (p->root) {
		if (unshare(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC) == 0)
			isolation = SUITE_SB_ISO_PID | SUITE_SB_ISO_NET | SUITE_SB_ISO_MNT;
		else if (unshare(CLONE_NEWNET) == 0)
			isolation = SUITE_SB_ISO_NET;
		isolation |= SUITE_SB_ISO_USER;   /* the program drops to nobody */
	} else if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0),
		   /* A caller that changed its uid without an exec is not dumpable, and then
		    * its /proc/self/uid_map is root's: the maps below could not be written. */
		   unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS |
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
	st.isolation = isolation | p->layers;
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

/* Removes the tree under name in at without following a symbolic link anywhere (every step
 * is an openat with O_NOFOLLOW relative to its parent's fd, so an entry swapped for a link
 * meanwhile is unlinked, never entered). depth bounds the recursion. 0 or -1. */
static int rm_tree_at(int at, const char *name, int depth)
{
	int fd, rc = 0;
	DIR *d;
	struct dirent *e;
	if (unlinkat(at, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (depth <= 0 || (fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				      O_CLOEXEC)) < 0)
		return -1;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    rm_tree_at(dirfd(d), e->d_name, depth - 1))
			rc = -1;
	closedir(d);
	return unlinkat(at, name, AT_REMOVEDIR) ? -1 : rc;
}

/* The work dirs' names: WORKDIR_PREFIX, the creating process's pid, '_', mkdtemp's six. */
#define WORKDIR_PREFIX "tb_sandbox_"

/* Removes the work dirs in root that a killed run left: only directories (not links) named
 * WORKDIR_PREFIX<pid>_XXXXXX whose pid is no longer alive and that belong to this user (or,
 * for root, to root or nobody, who owns them while they are in use). A pid that was reused
 * keeps its directory: the safe side. Returns how many were removed. */
static int clean_leftovers(const char *root)
{
	size_t pl = strlen(WORKDIR_PREFIX);
	uid_t me = geteuid();
	int fd, n = 0;
	DIR *d;
	struct dirent *e;
	if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d))) {
		const char *cp = e->d_name + pl;
		long pid = 0;
		struct stat sb;
		if (strncmp(e->d_name, WORKDIR_PREFIX, pl))
			continue;
		for (; *cp >= '0' && *cp <= '9' && pid < (1L << 30); cp++)
			pid = pid * 10 + (*cp - '0');
		if (pid <= 0 || *cp != '_' || strlen(cp + 1) != 6)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;   /* alive (or not ours to signal): still in use */
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(sb.st_mode))
			continue;
		if (sb.st_uid != me && !(me == 0 && sb.st_uid == SB_NOBODY))
			continue;
		if (rm_tree_at(dirfd(d), e->d_name, 32) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* clean_leftovers once per tmp_root per process (a few roots remembered; more are cleaned
 * each time, which is only slower). */
static void clean_leftovers_once(const char *root)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static char done[4][256];
	static int n_done;
	int seen = 0;
	pthread_mutex_lock(&mu);
	for (int i = 0; i < n_done && !seen; i++)
		seen = strcmp(done[i], root) == 0;
	if (!seen) {
		clean_leftovers(root);
		if (n_done < 4 && strlen(root) < sizeof done[0])
			strcpy(done[n_done++], root);
	}
	pthread_mutex_unlock(&mu);
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

/* Replaces b's text with one setup-error line (the run's verdict is then SUITE_SB_ERROR). */
static void cap_set_error(cap_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cap_set_error(cap_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->s, b->cap + 1, fmt, ap);
	va_end(ap);
	b->n = strlen(b->s);
}

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
		return r->proof ? SUITE_SB_PASSED : SUITE_SB_EARLY_EXIT;
	if (contains(r->err, "MemoryError") || contains(r->err, "Cannot allocate memory") ||
	    contains(r->err, "cannot allocate memory"))
		return SUITE_SB_MEMORY;
	if (r->term_signal && !we_killed)
		return SUITE_SB_CRASHED;
	return SUITE_SB_FAILED;
}

static const char runner_py[];

/* Adds path to the plan's Landlock read list (skipped when too long or already there). */
static void ll_add_read(sb_plan *p, const char *path)
{
	if (!path || !*path || strlen(path) >= sizeof p->ll_read[0] || p->n_ll_read >= LL_MAX_PATHS)
		return;
	for (int i = 0; i < p->n_ll_read; i++)
		if (strcmp(p->ll_read[i], path) == 0)
			return;
	strcpy(p->ll_read[p->n_ll_read++], path);
}

/* The directory two levels above path ("/usr" for "/usr/bin/python3"), into out. */
static void prefix_of(const char *path, char *out, size_t n)
{
	char *cp;
	snprintf(out, n, "%s", path);
	for (int k = 0; k < 2 && (cp = strrchr(out, '/')); k++)
		*cp = 0;
}

/* Landlock where the kernel has it: the rights its ABI knows (the paths: read_paths_setup). */
static void ll_setup(sb_plan *p)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_VERSION);
	if (abi < 1)
		return;
	p->ll_handled = (1ULL << 13) - 1;   /* ABI 1: execute .. make-sym */
	if (abi >= 2)
		p->ll_handled |= LL_REFER;
	if (abi >= 3)
		p->ll_handled |= LL_TRUNCATE;
	if (abi >= 5)
		p->ll_handled |= LL_IOCTL_DEV;
	p->ll_attr_size = sizeof(unsigned long long);   /* handled_access_fs only */
	p->layers |= SUITE_SB_ISO_LANDLOCK;
}

/* What the program may read (and run from), for Landlock and the private root alike: the
 * system's program and library directories, /etc, /dev, /proc, the CPU list in /sys, and the
 * interpreter's own prefix (resolved and as named, for a virtual environment). */
static void read_paths_setup(sb_plan *p, const char *python)
{
	static const char *const sys_dirs[] = { "/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin",
		"/sbin", "/etc", "/dev", "/proc", "/sys/devices/system/cpu" };
	char real[4096], pre[4096];
	for (size_t i = 0; i < sizeof sys_dirs / sizeof sys_dirs[0]; i++)
		ll_add_read(p, sys_dirs[i]);
	if (python[0] == '/') {
		prefix_of(python, pre, sizeof pre);
		ll_add_read(p, pre);
		if (realpath(python, real)) {
			prefix_of(real, pre, sizeof pre);
			ll_add_read(p, pre);
		}
	}
}

#if defined(__x86_64__)
#define SC_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SC_ARCH AUDIT_ARCH_AARCH64
#endif

/* The seccomp filter: system calls that change namespaces, mounts or another process's memory,
 * or reach the kernel's keyrings and BPF, fail with EPERM; clone() with a namespace flag too;
 * clone3() (whose flags a filter cannot read) fails with ENOSYS, so the C library falls back to
 * clone(). A foreign architecture's calls kill the process. Only on architectures named here. */
static void sc_setup(sb_plan *p)
{
#ifdef SC_ARCH
	static const long denied[] = {
		SYS_unshare, SYS_setns, SYS_mount, SYS_umount2, SYS_pivot_root, SYS_chroot,
		SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev, SYS_keyctl, SYS_add_key,
		SYS_request_key, SYS_bpf, SYS_perf_event_open, SYS_userfaultfd, SYS_kexec_load,
		SYS_init_module, SYS_finit_module, SYS_delete_module, SYS_swapon, SYS_swapoff,
		SYS_reboot, SYS_acct, SYS_quotactl,
#ifdef SYS_open_tree
		SYS_open_tree, SYS_move_mount, SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick,
#endif
#ifdef SYS_mount_setattr
		SYS_mount_setattr,
#endif
	};
	const unsigned ns_flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
				  CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
	struct sock_filter *f = p->sc;
	unsigned short n = 0;
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
		return;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SC_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
	/* The x32 ABI's numbers: none of them is needed. */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
#endif
	for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)denied[i], 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	}
#ifdef SYS_clone3
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
#endif
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, args[0]));   /* the flags' low word (little-endian) */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, ns_flags, 0, 1);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	p->n_sc = n;
	p->layers |= SUITE_SB_ISO_SECCOMP;
#else
	(void)p;
#endif
}

/* ------------------------------------------------------------------ the private root's template */

static void close_fd(int *fd);

/* Builds the template (see tpl_root) in a child that enters new user (ordinary user), mount and
 * pid namespaces; returns the namespaces as fds opened from the child's /proc entries before it
 * exits (the fds keep them alive). 0, or -1 when the kernel does not let it be made. */
static int tpl_build(const sb_plan *p, int *user_fd, int *mnt_fd)
{
	int ready[2], go[2], pid, ws = 0, rc = -1;
	char c = 0, path[64];
	*user_fd = *mnt_fd = -1;
	if (pipe2(ready, O_CLOEXEC))
		return -1;
	if (pipe2(go, O_CLOEXEC)) {
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	if ((pid = fork()) == 0) {
		/* Async-signal-safe calls only: the caller may have other threads. */
		int gpid, gws = 0;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		close(go[1]);
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);   /* its /proc entries must be the caller's to open */
		if (unshare(CLONE_NEWNS | CLONE_NEWPID | (p->root ? 0 : CLONE_NEWUSER)))
			_exit(1);
		if (!p->root) {
			write_file_at("/proc/self/setgroups", "deny");
			if (write_file_at("/proc/self/uid_map", p->uid_map) ||
			    write_file_at("/proc/self/gid_map", p->gid_map))
				_exit(1);
		}
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(1);
		if ((gpid = fork()) == 0)
			_exit(tpl_root(p) ? 1 : 0);   /* pid 1 of the new pid namespace mounts its /proc */
		while (gpid > 0 && waitpid(gpid, &gws, 0) < 0 && errno == EINTR)
			;
		if (gpid < 0 || !WIFEXITED(gws) || WEXITSTATUS(gws) != 0)
			_exit(1);
		(void)write_all(ready[1], "k", 1);
		(void)read(go[0], &c, 1);   /* the caller has opened the namespaces */
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	if (pid > 0 && read(ready[0], &c, 1) == 1) {
		snprintf(path, sizeof path, "/proc/%d/ns/mnt", pid);
		*mnt_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (!p->root) {
			snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
			*user_fd = open(path, O_RDONLY | O_CLOEXEC);
		}
		rc = *mnt_fd >= 0 && (p->root || *user_fd >= 0) ? 0 : -1;
	}
	close(ready[0]);
	close(go[1]);
	while (pid > 0 && waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (rc) {
		close_fd(mnt_fd);
		close_fd(user_fd);
	}
	return rc;
}

/* Templates made by this process, one per user, interpreter and temp root; kept for the life of
 * the process (a forked child that changes its uid makes its own). */
#define TPL_MAX 8
typedef struct tpl_entry {
	pid_t pid;
	uid_t uid;
	char python[256], tmp_root[512];
	int user_fd, mnt_fd;   /* -1, -1 when it could not be made */
} tpl_entry;
static tpl_entry tpl_cache[TPL_MAX];
static int tpl_n;
static pthread_mutex_t tpl_mu = PTHREAD_MUTEX_INITIALIZER;

/* The template for this plan's interpreter and temp root (made on first use), into
 * p->tpl_mnt / p->tpl_user (-1 when none can be made; the run then has no private root). */
static void tpl_get(sb_plan *p)
{
	pid_t self = getpid();
	uid_t uid = geteuid();
	tpl_entry *e = NULL;
	p->tpl_mnt = p->tpl_user = -1;
	if (strlen(p->python) >= sizeof e->python || strlen(p->tmp_root) >= sizeof e->tmp_root ||
	    p->tmp_root[0] != '/' || p->python[0] != '/')
		return;
	pthread_mutex_lock(&tpl_mu);
	for (int i = 0; i < tpl_n && !e; i++)
		if (tpl_cache[i].pid == self && tpl_cache[i].uid == uid &&
		    !strcmp(tpl_cache[i].python, p->python) && !strcmp(tpl_cache[i].tmp_root, p->tmp_root))
			e = &tpl_cache[i];
	if (!e) {
		/* Entries of the process this one was forked from are not ours: reuse their slots. */
		int slot = -1;
		for (int i = 0; i < tpl_n && slot < 0; i++)
			if (tpl_cache[i].pid != self)
				slot = i;
		if (slot < 0 && tpl_n < TPL_MAX)
			slot = tpl_n++;
		if (slot >= 0) {
			e = &tpl_cache[slot];
			e->pid = self;
			e->uid = uid;
			strcpy(e->python, p->python);
			strcpy(e->tmp_root, p->tmp_root);
			if (tpl_build(p, &e->user_fd, &e->mnt_fd))
				e->user_fd = e->mnt_fd = -1;
		}
	}
	if (e) {
		p->tpl_mnt = e->mnt_fd;
		p->tpl_user = e->user_fd;
	}
	pthread_mutex_unlock(&tpl_mu);
}

/* The parts of the child's plan that depend only on the options (the zygote keeps one too). */
static void plan_fill(sb_plan *p, const suite_sb_opts *o)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int k;
	memset(p, 0, sizeof *p);
	p->python = o->python;
	p->root = uid == 0;
	snprintf(p->tmpfs_opts, sizeof p->tmpfs_opts, "size=%zu,nr_inodes=256,mode=0700%s",
		 o->fsize_bytes, uid == 0 ? ",uid=65534,gid=65534" : "");
	snprintf(p->uid_map, sizeof p->uid_map, "0 %u 1\n", (unsigned)uid);
	snprintf(p->gid_map, sizeof p->gid_map, "0 %u 1\n", (unsigned)gid);
	p->lim_cpu.rlim_cur = (rlim_t)o->cpu_s;
	p->lim_cpu.rlim_max = (rlim_t)o->cpu_s + 1;   /* SIGXCPU first, SIGKILL a second later */
	p->lim_as.rlim_cur = p->lim_as.rlim_max = (rlim_t)o->mem_bytes;
	p->lim_nproc.rlim_cur = p->lim_nproc.rlim_max = (rlim_t)o->nproc;
	p->lim_fsize.rlim_cur = p->lim_fsize.rlim_max = (rlim_t)o->fsize_bytes;
	p->lim_nofile.rlim_cur = p->lim_nofile.rlim_max = (rlim_t)o->nofile;
	p->argv[0] = (char *)o->python;
	p->argv[1] = (char *)"-I";
	p->argv[2] = (char *)"-B";
	k = 3;
	if (!o->site)
		p->argv[k++] = (char *)"-S";
	p->argv[k++] = (char *)"-c";
	p->argv[k++] = (char *)runner_py;
	p->argv[k] = NULL;
	read_paths_setup(p, o->python);
	ll_setup(p);
	sc_setup(p);
	p->tmp_root = o->tmp_root;
	tpl_get(p);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The pipes of one run, every end close-on-exec. */
typedef struct sb_pipes {
	int out[2], err[2], status[2];
	int token[2];   /* the token, written here whole; the write end is then closed */
	int proof[2];   /* the runner writes the token back here when the program ran to its end */
} sb_pipes;

static void pipes_close(sb_pipes *pp)
{
	for (int k = 0; k < 2; k++) {
		close_fd(&pp->out[k]);
		close_fd(&pp->err[k]);
		close_fd(&pp->status[k]);
		close_fd(&pp->token[k]);
		close_fd(&pp->proof[k]);
	}
}

/* Opens the pipes and puts tok (TOKEN_LEN bytes, far below a pipe's buffer) into the token
 * pipe, whose write end is closed at once: the program can read the token once, write none. */
static int pipes_open(sb_pipes *pp, const char *tok)
{
	if (pipe2(pp->out, O_CLOEXEC) || pipe2(pp->err, O_CLOEXEC) || pipe2(pp->status, O_CLOEXEC) ||
	    pipe2(pp->token, O_CLOEXEC) || pipe2(pp->proof, O_CLOEXEC) ||
	    write_all(pp->token[1], tok, TOKEN_LEN)) {
		pipes_close(pp);
		return -1;
	}
	close_fd(&pp->token[1]);
	return 0;
}

/* A fresh token: TOKEN_LEN lower-case hex digits of getrandom bytes (not NUL-terminated).
 * 0, or -1 when the kernel gives no randomness (the run is then an error, never a pass). */
static int make_token(char tok[TOKEN_LEN])
{
	unsigned char raw[TOKEN_LEN / 2];
	size_t got = 0;
	while (got < sizeof raw) {
		ssize_t r = getrandom(raw + got, sizeof raw - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	for (size_t i = 0; i < sizeof raw; i++) {
		tok[2 * i] = "0123456789abcdef"[raw[i] >> 4];
		tok[2 * i + 1] = "0123456789abcdef"[raw[i] & 15];
	}
	return 0;
}

static int zygote_launch(suite_sb_zygote *z, const char *dir, const char *program, int fds[5],
			 int *sup);
static void zygote_reap(suite_sb_zygote *z, int sup);

/* One run with filled options; z NULL (or unable to start it) runs the exec path. */
static int sb_run(const suite_sb_opts *op, suite_sb_zygote *z, const char *program,
		  suite_sb_result *res)
{
	suite_sb_opts o = *op;
	sb_plan p;
	char dir[4096];
	sb_pipes pp = { { -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 } };
	int *po = pp.out, *pe = pp.err, *ps = pp.status;
	char tok[TOKEN_LEN], proof[TOKEN_LEN + 1];
	ssize_t n_proof = 0;
	cap_buf bo = { 0 }, be = { 0 };
	int sup = -1, prog_pid = -1, got_pid = 0, got_status = 0, timed_out = 0, over_cap = 0;
	int killed = 0, rc = 0, via_z = 0;
	size_t st_n = 0, pid_n = 0;
	sb_status st = { 0, 0, 0 };
	double t0 = now_s(), deadline;

	memset(res, 0, sizeof *res);
	res->exit_code = -1;
	deadline = t0 + o.timeout_s;
	bo.cap = be.cap = o.out_cap_bytes;
	if (!(bo.s = malloc(bo.cap + 1)) || !(be.s = malloc(be.cap + 1))) {
		free(bo.s);
		free(be.s);
		return SUITE_ENOMEM;
	}
	bo.s[0] = be.s[0] = 0;

	clean_leftovers_once(o.tmp_root);
	snprintf(dir, sizeof dir, "%s/" WORKDIR_PREFIX "%d_XXXXXX", o.tmp_root, (int)getpid());
	if (!mkdtemp(dir)) {
		cap_set_error(&be, "sandbox: cannot make a directory in %s: %s", o.tmp_root,
			strerror(errno));
		res->verdict = SUITE_SB_ERROR;
		goto done;
	}
	if (geteuid() == 0 && chown(dir, SB_NOBODY, SB_NOBODY)) {
		cap_set_error(&be, "sandbox: chown %s: %s", dir, strerror(errno));
		res->verdict = SUITE_SB_ERROR;
		goto cleanup;
	}

	plan_fill(&p, &o);
	p.dir = dir;
	p.program = program;
	p.program_len = strlen(program);

	if (make_token(tok)) {
		cap_set_error(&be, "sandbox: getrandom: %s", strerror(errno));
		res->verdict = SUITE_SB_ERROR;
		goto cleanup;
	}
	if (pipes_open(&pp, tok))
		goto pipe_fail;
	if (z) {
		int fds[5] = { po[1], pe[1], ps[1], pp.token[0], pp.proof[1] };
		int zr = zygote_launch(z, dir, program, fds, &sup);
		via_z = zr == 0;
		if (zr < -1) {
			/* The zygote died after taking the request: its supervisor may have written
			 * into these pipes before it died too, so the exec path gets fresh ones. */
			pipes_close(&pp);
			if (pipes_open(&pp, tok))
				goto pipe_fail;
		}
	}
	p.fd_out = po[1];
	p.fd_err = pe[1];
	p.fd_status = ps[1];
	p.fd_token = pp.token[0];
	p.fd_proof = pp.proof[1];
	if (!via_z && (sup = fork()) == 0) {
		close(po[0]);
		close(pe[0]);
		close(ps[0]);
		close(pp.proof[0]);
		supervise(&p);
	}
	res->zygote = via_z;
	deadline = now_s() + o.timeout_s;   /* a slow start (a zygote that hung) is not the program's */
	close_fd(&po[1]);
	close_fd(&pe[1]);
	close_fd(&ps[1]);
	close_fd(&pp.token[0]);
	close_fd(&pp.proof[1]);
	if (sup < 0) {
		cap_set_error(&be, "sandbox: fork: %s", strerror(errno));
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
	if (via_z)
		zygote_reap(z, sup);
	else
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
	/* The proof: every writer is dead, so what the pipe holds is all there will be. */
	fcntl(pp.proof[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		ssize_t r = read(pp.proof[0], proof + n_proof, sizeof proof - (size_t)n_proof);
		if (r > 0 && (n_proof += r) < (ssize_t)sizeof proof)
			continue;
		if (r < 0 && errno == EINTR)
			continue;
		break;
	}
	res->proof = n_proof == TOKEN_LEN && memcmp(proof, tok, TOKEN_LEN) == 0;
	res->isolation = st.isolation;
	if (!got_status) {
		snprintf(be.s + be.n, be.cap + 1 - be.n, "%ssandbox: the supervisor ended without a "
			 "status (killed?)", be.n ? "\n" : "");
		be.n = strlen(be.s);
		res->verdict = timed_out ? SUITE_SB_TIMEOUT : SUITE_SB_CRASHED;
		goto cleanup;
	}
	if (st.fork_errno) {
		cap_set_error(&be, "sandbox: fork: %s", strerror(st.fork_errno));
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
	goto cleanup;
pipe_fail:
	cap_set_error(&be, "sandbox: pipe: %s", strerror(errno));
	res->verdict = SUITE_SB_ERROR;
cleanup:
	pipes_close(&pp);
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

static suite_sb_zygote *thread_zygote(const suite_sb_opts *o);

int suite_sb_run(const suite_sb_opts *opts, const char *program, suite_sb_result *res)
{
	suite_sb_opts o;
	suite_sb_zygote *z = NULL;
	char err[256];
	int rc;

	if (!res)
		return SUITE_EINVAL;
	memset(res, 0, sizeof *res);
	res->exit_code = -1;
	if (!program)
		return SUITE_EINVAL;
	fill_opts(opts, &o);
	if (o.mode == SUITE_SB_MODE_AUTO)
		return sb_run(&o, thread_zygote(&o), program, res);
	if (o.mode == SUITE_SB_MODE_ZYGOTE)
		z = suite_sb_zygote_open(&o, err, sizeof err);   /* NULL: the exec path */
	rc = sb_run(&o, z, program, res);
	suite_sb_zygote_close(z);
	return rc;
}

/* ------------------------------------------------------------------ zygote */

/* The runner's end, shared by the exec path and the zygote: with os, sys imported and PATH,
 * SRC (bytes) and TOK (the token) set, it executes SRC as a fresh __main__ and writes TOK on
 * PROOF_FD only when the program's top level returned normally (see "Proof of completion" in
 * suite_impl.h); then it ends as the interpreter would (threads joined, atexit hooks, flushed
 * streams). An exception, or SystemExit of any code, ends it without the token. */
#define SB_STR2(x) #x
#define SB_STR(x) SB_STR2(x)
#define RUNNER_TAIL \
	"import atexit\n" \
	"\n" \
	"def finish(code):\n" \
	"    try:\n" \
	"        t = sys.modules.get('threading')\n" \
	"        if t is not None:\n" \
	"            t._shutdown()\n" \
	"    except BaseException:\n" \
	"        pass\n" \
	"    try:\n" \
	"        atexit._run_exitfuncs()\n" \
	"    except BaseException:\n" \
	"        pass\n" \
	"    for f in (sys.stdout, sys.stderr):\n" \
	"        try:\n" \
	"            if f is not None:\n" \
	"                f.flush()\n" \
	"        except BaseException:\n" \
	"            code = code or 120\n" \
	"    os._exit(code)\n" \
	"\n" \
	"def proof(tok, fd):\n" \
	"    def write():\n" \
	"        try:\n" \
	"            t = tok\n" \
	"            while t:\n" \
	"                t = t[os.write(fd, t):]\n" \
	"            os.close(fd)\n" \
	"        except BaseException:\n" \
	"            finish(1)\n" \
	"    return write\n" \
	"\n" \
	"PROOF = proof(TOK, " SB_STR(PROOF_FD) ")\n" \
	"del TOK, proof\n" \
	"M = type(sys)('__main__')\n" \
	"M.__file__ = PATH\n" \
	"M.__builtins__ = __builtins__\n" \
	"sys.modules['__main__'] = M\n" \
	"sys.argv = ['prog.py']\n" \
	"try:\n" \
	"    exec(compile(SRC, PATH, 'exec'), M.__dict__)\n" \
	"except SystemExit as E:\n" \
	"    C = E.code\n" \
	"    if C is None:\n" \
	"        finish(0)\n" \
	"    if isinstance(C, int):\n" \
	"        finish(C & 255)\n" \
	"    try:\n" \
	"        print(C, file=sys.stderr)\n" \
	"    except BaseException:\n" \
	"        pass\n" \
	"    finish(1)\n" \
	"except BaseException as E:\n" \
	"    E = E.with_traceback(E.__traceback__.tb_next)\n" \
	"    sys.excepthook(type(E), E, E.__traceback__)\n" \
	"    finish(1)\n" \
	"del SRC\n" \
	"PROOF()\n" \
	"finish(0)\n"

/* The exec path's runner, `python3 -I -B [-S] -c RUNNER`: reads the token from TOKEN_FD to its
 * end and closes it, reads prog.py from the work dir (the cwd), then RUNNER_TAIL. */
static const char runner_py[] =
	"import os, sys\n"
	"def token():\n"
	"    t = b''\n"
	"    while True:\n"
	"        c = os.read(" SB_STR(TOKEN_FD) ", 64)\n"
	"        if not c:\n"
	"            break\n"
	"        t += c\n"
	"    os.close(" SB_STR(TOKEN_FD) ")\n"
	"    return t\n"
	"TOK = token()\n"
	"del token\n"
	"PATH = os.path.join(os.getcwd(), 'prog.py')\n"
	"with open(PATH, 'rb') as F:\n"
	"    SRC = F.read()\n"
	"del F\n"
	RUNNER_TAIL;

/* The zygote's program, run with `python3 -I -B [-S] -c`. It imports only what it needs
 * itself, writes its pid on fd 3 (a SOCK_SEQPACKET socket to the caller), then per request (the
 * work dir's path with six fds: stdout, stderr, status pipe, program memfd, token pipe, proof
 * pipe) forks a supervisor,
 * replies with its pid, waits for it and replies with its wait status. The supervisor first
 * closes fd 3, then does what supervise() / run_init() / run_program() do in C, in the same
 * order; only the program's own process leaves serve(), and it runs the code at the top level
 * as a fresh __main__ (RUNNER_TAIL) with every other fd but the proof pipe closed. The zygote
 * never reads the program text.
 * argv: root, uid_map, gid_map, tmpfs options, limits (cpu soft, cpu hard, as, nproc, fsize,
 * nofile), the constants below, SETUP_PREFIX, then the layers (bits, Landlock rights, constants),
 * the Landlock read paths one a line, the seccomp filter in hex. */
static const char zygote_py[] =
	"# tierbench sandbox zygote: forks each prog.py from here\n"
	"import os, sys, socket, struct, resource, ctypes, signal, time\n"
	"A = sys.argv[1:]\n"
	"ROOT = A[0] == '1'\n"
	"UID_MAP, GID_MAP, TMPFS, PREFIX = A[1], A[2], A[3], A[6]\n"
	"LIM = [int(x) for x in A[4].split(',')]\n"
	"(NEWUSER, NEWPID, NEWNET, NEWNS, NEWIPC, MS_REC, MS_PRIVATE, MS_NOSUID, MS_NODEV, MS_NOEXEC,\n"
	" MS_BIND, PDEATH, SUBREAPER, NNP, I_NET, I_PID, I_MNT, I_USER, NOBODY, I_ROOT, TPL)\\\n"
	"    = [int(x) for x in A[5].split(',')]\n"
	"libc = ctypes.CDLL(None, use_errno=True)\n"
	"UL = ctypes.c_ulong\n"
	"(LAYERS, LLH, LLSZ, I_LL, I_SC, PR_SECCOMP, SC_FILTER, LL_CREATE, LL_ADD, LL_RESTRICT,\n"
	" LL_TRUNC, LL_IOCTL) = [int(x) for x in A[7].split(',')]\n"
	"LLREAD = [x for x in A[8].split('\\n') if x]\n"
	"SCRAW = ctypes.create_string_buffer(bytes.fromhex(A[9]), max(1, len(A[9]) // 2))\n"
	"\n"
	"class FPROG(ctypes.Structure):\n"
	"    _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]\n"
	"\n"
	"SCPROG = FPROG(len(A[9]) // 16, ctypes.addressof(SCRAW))\n"
	"\n"
	"def b(s):\n"
	"    return None if s is None else s.encode()\n"
	"\n"
	"def mount(src, dst, fs, flags, data):\n"
	"    return libc.mount(b(src), b(dst), b(fs), UL(flags), b(data))\n"
	"\n"
	"def prctl(op, v):\n"
	"    libc.prctl(op, UL(v), UL(0), UL(0), UL(0))\n"
	"\n"
	"def wall(fd, data):\n"
	"    while data:\n"
	"        data = data[os.write(fd, data):]\n"
	"\n"
	"def fail(fd, what, err):\n"
	"    try:\n"
	"        wall(fd, ('%s%s (errno %d)\\n' % (PREFIX, what, err)).encode())\n"
	"    finally:\n"
	"        os._exit(127)\n"
	"\n"
	"def landlock(iso):\n"
	"    L = ctypes.c_long\n"
	"    attr = struct.pack('QQQ', LLH, 0, 0)[:LLSZ]\n"
	"    rs = libc.syscall(L(LL_CREATE), attr, L(LLSZ), L(0))\n"
	"    if rs < 0:\n"
	"        return -1\n"
	"    rules = [(p, 1 | 4 | 8) for p in LLREAD] + [('.', LLH)]\n"
	"    if iso & I_MNT:\n"
	"        rules += [(t, LLH) for t in ('/tmp', '/var/tmp', '/dev/shm')]\n"
	"    rules.append(('/dev/null', (2 | 4 | LL_TRUNC | LL_IOCTL) & LLH))\n"
	"    rc = 0\n"
	"    for p, acc in rules:\n"
	"        try:\n"
	"            fd = os.open(p, os.O_PATH | os.O_CLOEXEC)\n"
	"        except OSError as e:\n"
	"            if e.errno in (2, 13, 20):\n"
	"                continue\n"
	"            rc = -1\n"
	"            break\n"
	"        r = libc.syscall(L(LL_ADD), L(rs), L(1), struct.pack('=Qi', acc, fd), L(0))\n"
	"        os.close(fd)\n"
	"        if r:\n"
	"            rc = -1\n"
	"            break\n"
	"    if rc == 0 and libc.syscall(L(LL_RESTRICT), L(rs), L(0)):\n"
	"        rc = -1\n"
	"    os.close(rs)\n"
	"    return rc\n"
	"\n"
	"def write_file(path, text):\n"
	"    try:\n"
	"        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)\n"
	"    except OSError:\n"
	"        return -1\n"
	"    try:\n"
	"        wall(fd, text.encode())\n"
	"        return 0\n"
	"    except OSError:\n"
	"        return -1\n"
	"    finally:\n"
	"        os.close(fd)\n"
	"\n"
	"def mnt(src, dst, fs, flags, data):\n"
	"    if mount(src, dst, fs, flags, data):\n"
	"        e = ctypes.get_errno()\n"
	"        raise OSError(e, os.strerror(e), dst)\n"
	"\n"
	"def run_mounts(d, iso):\n"
	"    mnt(None, '/', None, MS_REC | MS_PRIVATE, None)\n"
	"    if not TPL:\n"
	"        mnt('tmpfs', d, 'tmpfs', MS_NOSUID | MS_NODEV, TMPFS)\n"
	"        os.chdir(d)\n"
	"        mount('tmpfs', '/run/lock', 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, 'size=64k,mode=755')\n"
	"    for t in ('/tmp', '/var/tmp', '/dev/shm'):\n"
	"        if mount('tmpfs', t, 'tmpfs', MS_NOSUID | MS_NODEV, 'size=1m,mode=1777') and TPL:\n"
	"            raise OSError(ctypes.get_errno(), 'mount', t)\n"
	"    if iso & I_PID:\n"
	"        if mount('proc', '/proc', 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC, None) and TPL:\n"
	"            raise OSError(ctypes.get_errno(), 'mount', '/proc')\n"
	"    if TPL:\n"
	"        try:\n"
	"            os.makedirs(d, 0o755, exist_ok=True)\n"
	"        except OSError:\n"
	"            mnt('tmpfs', os.path.dirname(d), 'tmpfs', MS_NOSUID | MS_NODEV, 'size=64k,mode=755')\n"
	"            os.makedirs(d, 0o755, exist_ok=True)\n"
	"        mnt('tmpfs', d, 'tmpfs', MS_NOSUID | MS_NODEV, TMPFS)\n"
	"    else:\n"
	"        try:\n"
	"            os.makedirs(d, 0o700, exist_ok=True)\n"
	"            mount('.', d, None, MS_BIND, None)\n"
	"        except OSError:\n"
	"            pass\n"
	"\n"
	"def program(d, fo, fe, fp, ft, fq, iso):\n"
	"    tok = b''\n"
	"    while True:\n"
	"        c = os.read(ft, 64)\n"
	"        if not c:\n"
	"            break\n"
	"        tok += c\n"
	"    os.close(ft)\n"
	"    src = []\n"
	"    os.lseek(fp, 0, 0)\n"
	"    while True:\n"
	"        c = os.read(fp, 1 << 20)\n"
	"        if not c:\n"
	"            break\n"
	"        src.append(c)\n"
	"    src = b''.join(src)\n"
	"    try:\n"
	"        os.dup2(fo, 1)\n"
	"        os.dup2(fe, 2)\n"
	"    except OSError as e:\n"
	"        fail(fe, 'redirect', e.errno)\n"
	"    try:\n"
	"        n = os.open('/dev/null', os.O_RDONLY)\n"
	"        os.dup2(n, 0)\n"
	"        os.close(n)\n"
	"    except OSError:\n"
	"        pass\n"
	"    os.setsid()\n"
	"    if iso & I_MNT:\n"
	"        try:\n"
	"            run_mounts(d, iso)\n"
	"        except OSError as e:\n"
	"            fail(fe, 'mount work dir', e.errno or 0)\n"
	"    try:\n"
	"        os.chdir(d)\n"
	"    except OSError as e:\n"
	"        fail(fe, 'chdir', e.errno)\n"
	"    try:\n"
	"        f = os.open('prog.py', os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)\n"
	"        wall(f, src)\n"
	"        os.close(f)\n"
	"    except OSError as e:\n"
	"        fail(fe, 'write program', e.errno)\n"
	"    if ROOT:\n"
	"        try:\n"
	"            os.setgroups([])\n"
	"            os.setgid(NOBODY)\n"
	"            os.setuid(NOBODY)\n"
	"        except OSError as e:\n"
	"            fail(fe, 'drop privileges', e.errno)\n"
	"    try:\n"
	"        R = resource\n"
	"        R.setrlimit(R.RLIMIT_CPU, (LIM[0], LIM[1]))\n"
	"        R.setrlimit(R.RLIMIT_AS, (LIM[2], LIM[2]))\n"
	"        R.setrlimit(R.RLIMIT_NPROC, (LIM[3], LIM[3]))\n"
	"        R.setrlimit(R.RLIMIT_FSIZE, (LIM[4], LIM[4]))\n"
	"        R.setrlimit(R.RLIMIT_NOFILE, (LIM[5], LIM[5]))\n"
	"        R.setrlimit(R.RLIMIT_CORE, (0, 0))\n"
	"    except (OSError, ValueError) as e:\n"
	"        fail(fe, 'rlimit', getattr(e, 'errno', 0) or 0)\n"
	"    prctl(PDEATH, signal.SIGKILL)\n"
	"    prctl(NNP, 1)\n"
	"    if LAYERS & I_LL and landlock(iso):\n"
	"        fail(fe, 'landlock', ctypes.get_errno())\n"
	"    if LAYERS & I_SC and libc.prctl(PR_SECCOMP, UL(SC_FILTER), ctypes.byref(SCPROG), UL(0), UL(0)):\n"
	"        fail(fe, 'seccomp', ctypes.get_errno())\n"
	"    if fq != 3:\n"
	"        os.dup2(fq, 3)\n"
	"    os.closerange(4, 1 << 16)\n"
	"    return os.path.join(d, 'prog.py'), src, tok\n"
	"\n"
	"def init(d, fo, fe, fp, ft, fq, iso, fd):\n"
	"    prctl(PDEATH, signal.SIGKILL)\n"
	"    try:\n"
	"        pid = os.fork()\n"
	"    except OSError as e:\n"
	"        fail(fe, 'fork', e.errno)\n"
	"    if pid == 0:\n"
	"        os.close(fd)\n"
	"        return program(d, fo, fe, fp, ft, fq, iso)\n"
	"    signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
	"    while True:\n"
	"        try:\n"
	"            r, ws = os.waitpid(-1, 0)\n"
	"        except ChildProcessError:\n"
	"            os._exit(126)\n"
	"        if r == pid:\n"
	"            break\n"
	"    wall(fd, struct.pack('i', ws))\n"
	"    os._exit(0)\n"
	"\n"
	"def kill_children():\n"
	"    path = '/proc/self/task/%d/children' % os.getpid()\n"
	"    for _ in range(1000):\n"
	"        data, hit = None, False\n"
	"        try:\n"
	"            f = os.open(path, os.O_RDONLY | os.O_CLOEXEC)\n"
	"            data = os.read(f, 4096)\n"
	"            os.close(f)\n"
	"        except OSError:\n"
	"            pass\n"
	"        for p in (data or b'').split():\n"
	"            try:\n"
	"                os.kill(int(p), signal.SIGKILL)\n"
	"                hit = True\n"
	"            except OSError:\n"
	"                pass\n"
	"        while True:\n"
	"            try:\n"
	"                r = os.waitpid(-1, os.WNOHANG)[0]\n"
	"            except ChildProcessError:\n"
	"                return\n"
	"            if r == 0:\n"
	"                break\n"
	"        if data is None:\n"
	"            return\n"
	"        if not hit:\n"
	"            time.sleep(0.001)\n"
	"\n"
	"def supervise(d, fo, fe, fs, fp, ft, fq):\n"
	"    prctl(PDEATH, signal.SIGKILL)\n"
	"    prctl(SUBREAPER, 1)\n"
	"    iso, ip = 0, None\n"
	"    if TPL:\n"
	"        if libc.unshare(NEWPID | NEWNET | NEWNS | NEWIPC):\n"
	"            fail(fe, 'private root', ctypes.get_errno())\n"
	"        iso = I_PID | I_NET | I_MNT | I_USER | I_ROOT\n"
	"    elif ROOT:\n"
	"        if libc.unshare(NEWPID | NEWNET | NEWNS | NEWIPC) == 0:\n"
	"            iso = I_PID | I_NET | I_MNT\n"
	"        elif libc.unshare(NEWNET) == 0:\n"
	"            iso = I_NET\n"
	"        iso |= I_USER\n"
	"    elif libc.unshare(NEWUSER | NEWPID | NEWNET | NEWNS | NEWIPC) == 0:\n"
	"        write_file('/proc/self/setgroups', 'deny')\n"
	"        if write_file('/proc/self/uid_map', UID_MAP) == 0 and write_file('/proc/self/gid_map', GID_MAP) == 0:\n"
	"            iso = I_PID | I_NET | I_MNT | I_USER\n"
	"        else:\n"
	"            iso = I_PID | I_NET\n"
	"    if iso & I_PID:\n"
	"        try:\n"
	"            ip = os.pipe()\n"
	"        except OSError:\n"
	"            ip = None\n"
	"    try:\n"
	"        pid = os.fork()\n"
	"    except OSError as e:\n"
	"        wall(fs, struct.pack('i', -1) + struct.pack('iii', 0, 0, e.errno))\n"
	"        os._exit(127)\n"
	"    if pid == 0:\n"
	"        if ip:\n"
	"            os.close(ip[0])\n"
	"            return init(d, fo, fe, fp, ft, fq, iso, ip[1])\n"
	"        return program(d, fo, fe, fp, ft, fq, iso)\n"
	"    if ip:\n"
	"        os.close(ip[1])\n"
	"    os.close(fo)\n"
	"    os.close(fe)\n"
	"    os.close(fp)\n"
	"    os.close(ft)\n"
	"    os.close(fq)\n"
	"    try:\n"
	"        wall(fs, struct.pack('i', pid))\n"
	"    except OSError:\n"
	"        os.kill(pid, signal.SIGKILL)\n"
	"    ws = os.waitpid(pid, 0)[1]\n"
	"    if ip:\n"
	"        inner = os.read(ip[0], 4)\n"
	"        if os.WIFEXITED(ws) and len(inner) == 4:\n"
	"            ws = struct.unpack('i', inner)[0]\n"
	"        os.close(ip[0])\n"
	"    try:\n"
	"        os.kill(-pid, signal.SIGKILL)\n"
	"    except OSError:\n"
	"        pass\n"
	"    kill_children()\n"
	"    wall(fs, struct.pack('iii', ws, iso | LAYERS, 0))\n"
	"    os._exit(0)\n"
	"\n"
	"def serve():\n"
	"    import gc\n"
	"    gc.collect()\n"
	"    gc.freeze()\n"
	"    ctl = socket.socket(fileno=3)\n"
	"    try:\n"
	"        ctl.sendall(struct.pack('i', os.getpid()))\n"
	"    except OSError:\n"
	"        os._exit(0)\n"
	"    while True:\n"
	"        try:\n"
	"            msg, fds, flags, _ = socket.recv_fds(ctl, 4096, 6)\n"
	"        except OSError:\n"
	"            os._exit(0)\n"
	"        if not msg or len(fds) != 6:\n"
	"            os._exit(0)\n"
	"        pid = os.fork()\n"
	"        if pid == 0:\n"
	"            try:\n"
	"                ctl.close()\n"
	"                return supervise(msg.rstrip(b'\\0').decode(), *fds)\n"
	"            except BaseException:\n"
	"                pass\n"
	"            os._exit(127)\n"
	"        for f in fds:\n"
	"            os.close(f)\n"
	"        try:\n"
	"            ctl.sendall(struct.pack('i', pid))\n"
	"            ws = os.waitpid(pid, 0)[1]\n"
	"            ctl.sendall(struct.pack('i', ws))\n"
	"        except OSError:\n"
	"            os._exit(0)\n"
	"\n"
	"PATH, SRC, TOK = serve()\n"
	"del serve, supervise, init, program, kill_children, landlock, run_mounts, mnt, libc, A,\\\n"
	"    SCPROG, SCRAW\n"
	RUNNER_TAIL;

struct suite_sb_zygote {
	suite_sb_opts o;      /* filled; python and tmp_root point into the copies below */
	char *python, *tmp_root;
	sb_plan tmpl;         /* maps, tmpfs options, limits */
	int pid;              /* the zygote, -1 when none runs */
	int ctl;              /* our end of the socket pair, -1 when none */
	int n_starts;
};

static void zygote_kill(suite_sb_zygote *z)
{
	if (z->pid > 0) {
		kill(z->pid, SIGKILL);
		while (waitpid(z->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	z->pid = -1;
	close_fd(&z->ctl);
}

/* Receives one 4-byte reply within timeout_ms; 0 or -1 (timeout, end, short or long packet). */
static int zygote_recv(suite_sb_zygote *z, int *val, int timeout_ms)
{
	struct pollfd pf = { z->ctl, POLLIN, 0 };
	char buf[8];
	ssize_t r;
	int pr;
	while ((pr = poll(&pf, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	if (pr <= 0)
		return -1;
	while ((r = recv(z->ctl, buf, sizeof buf, MSG_DONTWAIT)) < 0 && errno == EINTR)
		;
	if (r != (ssize_t)sizeof *val)
		return -1;
	memcpy(val, buf, sizeof *val);
	return 0;
}

/* Starts the zygote and waits for its pid on the socket. 0 or -1. */
static int zygote_spawn(suite_sb_zygote *z)
{
	char lims[160], consts[480], layers[200], *argv[20];
	char llread[LL_MAX_PATHS * 257 + 1], schex[SC_MAX * 16 + 1];
	size_t used = 0;
	int sv[2], k = 0, hello = 0, parent = (int)getpid();
	const sb_plan *t = &z->tmpl;

	zygote_kill(z);
	snprintf(lims, sizeof lims, "%llu,%llu,%llu,%llu,%llu,%llu",
		 (unsigned long long)t->lim_cpu.rlim_cur, (unsigned long long)t->lim_cpu.rlim_max,
		 (unsigned long long)t->lim_as.rlim_cur, (unsigned long long)t->lim_nproc.rlim_cur,
		 (unsigned long long)t->lim_fsize.rlim_cur, (unsigned long long)t->lim_nofile.rlim_cur);
	snprintf(consts, sizeof consts,
		 "%d,%d,%d,%d,%d,%lu,%lu,%lu,%lu,%lu,%lu,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d",
		 CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWIPC,
		 (unsigned long)MS_REC, (unsigned long)MS_PRIVATE, (unsigned long)MS_NOSUID,
		 (unsigned long)MS_NODEV, (unsigned long)MS_NOEXEC, (unsigned long)MS_BIND,
		 PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, SUITE_SB_ISO_NET,
		 SUITE_SB_ISO_PID, SUITE_SB_ISO_MNT, SUITE_SB_ISO_USER, SB_NOBODY, SUITE_SB_ISO_ROOT,
		 t->tpl_mnt >= 0);
	argv[k++] = (char *)t->python;
	argv[k++] = (char *)"-I";
	argv[k++] = (char *)"-B";
	if (!z->o.site)
		argv[k++] = (char *)"-S";
	argv[k++] = (char *)"-c";
	argv[k++] = (char *)zygote_py;
	argv[k++] = (char *)(t->root ? "1" : "0");
	argv[k++] = (char *)t->uid_map;
	argv[k++] = (char *)t->gid_map;
	argv[k++] = (char *)t->tmpfs_opts;
	argv[k++] = lims;
	argv[k++] = consts;
	argv[k++] = (char *)SETUP_PREFIX;
	snprintf(layers, sizeof layers, "%d,%llu,%zu,%d,%d,%d,%d,%ld,%ld,%ld,%llu,%llu", t->layers,
		 t->ll_handled, t->ll_attr_size, SUITE_SB_ISO_LANDLOCK, SUITE_SB_ISO_SECCOMP,
		 PR_SET_SECCOMP, SECCOMP_MODE_FILTER, (long)SYS_landlock_create_ruleset,
		 (long)SYS_landlock_add_rule, (long)SYS_landlock_restrict_self, LL_TRUNCATE,
		 LL_IOCTL_DEV);
	llread[0] = 0;
	for (int i = 0; i < t->n_ll_read; i++)
		used += (size_t)snprintf(llread + used, sizeof llread - used, "%s\n", t->ll_read[i]);
	for (size_t i = 0; i < (size_t)t->n_sc * sizeof t->sc[0]; i++)
		snprintf(schex + 2 * i, 3, "%02x", ((const unsigned char *)t->sc)[i]);
	schex[2 * (size_t)t->n_sc * sizeof t->sc[0]] = 0;
	argv[k++] = layers;
	argv[k++] = llread;
	argv[k++] = schex;
	argv[k] = NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	z->pid = fork();
	if (z->pid == 0) {
		/* Async-signal-safe calls only: the caller may have other threads. */
		int nul;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if ((int)getppid() != parent)
			_exit(127);
		if (sv[1] == 3 ? fcntl(3, F_SETFD, 0) : dup2(sv[1], 3) < 0)
			_exit(127);
		if ((nul = open("/dev/null", O_RDWR)) >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
		}
		/* The zygote lives in the private root's template (for an ordinary user, as root of
		 * the user namespace that owns it); its supervisors copy it per program. */
		if (t->tpl_mnt >= 0 && ((t->tpl_user >= 0 && setns(t->tpl_user, CLONE_NEWUSER)) ||
					setns(t->tpl_mnt, CLONE_NEWNS)))
			_exit(127);
		close_from(4);
		if (chdir("/"))
			_exit(127);
		execve(t->python, argv, sb_envp);
		_exit(127);
	}
	close(sv[1]);
	z->ctl = sv[0];
	if (z->pid < 0) {
		z->pid = -1;
		close_fd(&z->ctl);
		return -1;
	}
	z->n_starts++;
	if (zygote_recv(z, &hello, 10000) || hello != z->pid) {
		zygote_kill(z);
		return -1;
	}
	return 0;
}

suite_sb_zygote *suite_sb_zygote_open(const suite_sb_opts *o, char *err, size_t errlen)
{
	suite_sb_zygote *z = calloc(1, sizeof *z);
	if (!z) {
		snprintf(err, errlen, "sandbox: out of memory");
		return NULL;
	}
	fill_opts(o, &z->o);
	z->pid = z->ctl = -1;
	if (!(z->python = strdup(z->o.python)) || !(z->tmp_root = strdup(z->o.tmp_root))) {
		snprintf(err, errlen, "sandbox: out of memory");
		suite_sb_zygote_close(z);
		return NULL;
	}
	z->o.python = z->python;
	z->o.tmp_root = z->tmp_root;
	plan_fill(&z->tmpl, &z->o);
	if (zygote_spawn(z)) {
		snprintf(err, errlen, "sandbox: the zygote (%s -c ...) did not start", z->o.python);
		suite_sb_zygote_close(z);
		return NULL;
	}
	return z;
}

/* The pid's parent from /proc/<pid>/stat; 0 when it cannot be read (it may have ended). */
static int parent_of(int pid)
{
	char path[64], buf[512], *cp;
	int fd, ppid = 0;
	ssize_t n;
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if ((cp = strrchr(buf, ')')) && sscanf(cp + 1, " %*c %d", &ppid) != 1)
		ppid = 0;
	return ppid;
}

/* Hands the run to the zygote (started again when it has died). 0 with *sup the supervisor's
 * pid; -1 when the zygote could not take it (nothing was sent); -2 when it took the request
 * and then failed (its pipes may hold stale bytes). A zygote that failed is killed. */
static int zygote_launch(suite_sb_zygote *z, const char *dir, const char *program, int fds[5],
			 int *sup)
{
	int mfd, all[6], pid = -1, sent = 0;
	char cbuf[CMSG_SPACE(sizeof all)];
	struct iovec iov = { (void *)dir, strlen(dir) + 1 };
	struct msghdr m;
	struct cmsghdr *c;
	size_t len = strlen(program);

	if ((mfd = memfd_create("tb_program", MFD_CLOEXEC)) < 0)
		return -1;
	if (write_all(mfd, program, len)) {
		close(mfd);
		return -1;
	}
	/* The order the zygote's supervise() takes them in. */
	memcpy(all, fds, 3 * sizeof *fds);
	all[3] = mfd;
	all[4] = fds[3];
	all[5] = fds[4];
	for (int attempt = 0; attempt < 2 && !sent; attempt++) {
		/* A zygote that has ended (killed, crashed) is started again. */
		if (z->pid > 0 && waitpid(z->pid, NULL, WNOHANG) != 0) {
			z->pid = -1;
			close_fd(&z->ctl);
		}
		if (z->pid < 0 && zygote_spawn(z))
			break;
		memset(&m, 0, sizeof m);
		memset(cbuf, 0, sizeof cbuf);
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = cbuf;
		m.msg_controllen = sizeof cbuf;
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof all);
		memcpy(CMSG_DATA(c), all, sizeof all);
		if (sendmsg(z->ctl, &m, MSG_NOSIGNAL) == (ssize_t)iov.iov_len)
			sent = 1;
		else
			zygote_kill(z);
	}
	close(mfd);
	if (!sent)
		return -1;
	/* The reply must be a live child of the zygote; anything else means it is not ours. */
	if (zygote_recv(z, &pid, 3000) || pid <= 0 ||
	    (parent_of(pid) != 0 && parent_of(pid) != z->pid)) {
		zygote_kill(z);
		return -2;
	}
	*sup = pid;
	return 0;
}

/* Waits for the zygote's report that the supervisor ended (the exec path's waitpid). */
static void zygote_reap(suite_sb_zygote *z, int sup)
{
	int ws;
	if (zygote_recv(z, &ws, 10000) == 0)
		return;
	kill(sup, SIGKILL);
	zygote_kill(z);
}

int suite_sb_zygote_run(suite_sb_zygote *z, const char *program, suite_sb_result *res)
{
	if (!res)
		return SUITE_EINVAL;
	memset(res, 0, sizeof *res);
	res->exit_code = -1;
	if (!program || !z)
		return SUITE_EINVAL;
	return sb_run(&z->o, z, program, res);
}

int suite_sb_zygote_pid(const suite_sb_zygote *z)
{
	return z ? z->pid : -1;
}

int suite_sb_zygote_starts(const suite_sb_zygote *z)
{
	return z ? z->n_starts : 0;
}

void suite_sb_zygote_close(suite_sb_zygote *z)
{
	if (!z)
		return;
	zygote_kill(z);
	free(z->python);
	free(z->tmp_root);
	free(z);
}

/* ------------------------------------------------------------------ the thread's own zygote */

/* suite_sb_run in AUTO mode keeps one zygote per calling thread (the harness's scoring
 * workers call it once per sample): made on the first call, closed when the thread ends (the
 * key's destructor; the zygote's parent-death signal covers a thread that never returns to
 * it), made again when the options change. A thread where none could start remembers that
 * and takes the exec path without trying again. */
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static pthread_key_t tl_key;
static int tl_key_ok;
static char tl_none;   /* its address marks "no zygote for this thread" */

static void tl_release(void *v)
{
	if (v != &tl_none)
		suite_sb_zygote_close(v);
}

static void tl_init(void)
{
	tl_key_ok = pthread_key_create(&tl_key, tl_release) == 0;
}

static int same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Whether two filled option sets start the same zygote. */
static int same_opts(const suite_sb_opts *a, const suite_sb_opts *b)
{
	return same_str(a->python, b->python) && same_str(a->tmp_root, b->tmp_root) &&
	       a->timeout_s == b->timeout_s && a->cpu_s == b->cpu_s && a->mem_bytes == b->mem_bytes &&
	       a->fsize_bytes == b->fsize_bytes && a->nproc == b->nproc && a->nofile == b->nofile &&
	       a->out_cap_bytes == b->out_cap_bytes && a->site == b->site;
}

static suite_sb_zygote *thread_zygote(const suite_sb_opts *o)
{
	void *v;
	char err[256];
	pthread_once(&tl_once, tl_init);
	if (!tl_key_ok)
		return NULL;
	v = pthread_getspecific(tl_key);
	if (v == &tl_none)
		return NULL;
	if (v && !same_opts(&((suite_sb_zygote *)v)->o, o)) {
		suite_sb_zygote_close(v);
		v = NULL;
	}
	if (!v) {
		v = suite_sb_zygote_open(o, err, sizeof err);
		if (pthread_setspecific(tl_key, v ? v : &tl_none)) {
			suite_sb_zygote_close(v);
			return NULL;
		}
	}
	return v;
}

int suite_sb_layers(const suite_sb_opts *o)
{
	suite_sb_result r;
	int iso;
	if (suite_sb_run(o, "pass\n", &r))
		return -1;
	iso = r.verdict == SUITE_SB_PASSED ? r.isolation : -1;
	suite_sb_result_release(&r);
	return iso;
}

char *suite_sandbox_layers(char *buf, size_t n)
{
	/* exec: a one-off run must not leave a warm interpreter behind in the caller's thread */
	suite_sb_opts o = { 0 };
	int iso;
	o.mode = SUITE_SB_MODE_EXEC;
	iso = suite_sb_layers(&o);
	return iso < 0 ? NULL : suite_sb_layers_text(iso, buf, n);
}

char *suite_sb_layers_text(int iso, char *buf, size_t n)
{
	static const char *const names[] = { "net", "pid", "mount", "user", "landlock", "seccomp",
		"root" };
	size_t used = 0;
	if (!n)
		return buf;
	buf[0] = 0;
	for (int b = 0; b < 7; b++)
		if (iso & (1 << b)) {
			int w = snprintf(buf + used, n - used, "%s%s", used ? "," : "", names[b]);
			if (w < 0 || (size_t)w >= n - used)
				break;
			used += (size_t)w;
		}
	if (!used)
		snprintf(buf, n, "none");
	return buf;
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
	case SUITE_SB_EARLY_EXIT: return "early-exit";
	}
	return "unknown";
}

/* ------------------------------------------------------------------ worker pool */

typedef struct sb_pool {
	suite_sb_opts o;         /* filled */
	const char *const *programs;
	suite_sb_result *res;
	size_t n, next;
	int rc;
	pthread_mutex_t mu;
} sb_pool;

static void *pool_worker(void *arg)
{
	sb_pool *pl = arg;
	suite_sb_zygote *z = NULL;
	char err[256];
	/* Each worker has its own zygote (it dies with this thread); none: the exec path. */
	if (pl->o.mode != SUITE_SB_MODE_EXEC)
		z = suite_sb_zygote_open(&pl->o, err, sizeof err);
	for (;;) {
		size_t i;
		int rc;
		pthread_mutex_lock(&pl->mu);
		i = pl->next++;
		pthread_mutex_unlock(&pl->mu);
		if (i >= pl->n)
			break;
		if (!pl->programs[i]) {
			memset(&pl->res[i], 0, sizeof pl->res[i]);
			rc = SUITE_EINVAL;
		} else {
			rc = sb_run(&pl->o, z, pl->programs[i], &pl->res[i]);
		}
		if (rc) {
			pthread_mutex_lock(&pl->mu);
			if (!pl->rc)
				pl->rc = rc;
			pthread_mutex_unlock(&pl->mu);
		}
	}
	suite_sb_zygote_close(z);
	return NULL;
}

int suite_sb_run_many(const suite_sb_opts *o, const char *const *programs, size_t n,
		      int n_workers, suite_sb_result *res)
{
	sb_pool pl = { { 0 }, programs, res, n, 0, 0, PTHREAD_MUTEX_INITIALIZER };
	pthread_t th[64];
	int started = 0;

	fill_opts(o, &pl.o);
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
