/* base/path.c — paths: one resolver (a path relative to a base folder, as a spec's paths are
 * relative to the spec's folder), the folder part of a path, and `mkdir -p` (base/base.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"

char *tb_path_resolve(const char *base, const char *path)
{
	size_t nb, np = strlen(path);
	char *r;

	if (path[0] == '/' || !base || !base[0] || strcmp(base, ".") == 0)
		return strdup(path);
	nb = strlen(base);
	while (nb > 1 && base[nb - 1] == '/')
		nb--;
	if (!(r = malloc(nb + np + 2)))
		return NULL;
	memcpy(r, base, nb);
	r[nb] = '/';
	memcpy(r + nb + (base[nb - 1] != '/'), path, np + 1);
	return r;
}

char *tb_path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	while (slash > path && slash[-1] == '/')
		slash--;
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* mkdir of one component: 0 when it was made or is a folder already. */
static int mkdir_one(const char *p)
{
	struct stat st;

	if (mkdir(p, 0777) == 0)
		return 0;
	if (errno == EEXIST) {
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		errno = ENOTDIR;
	}
	return -1;
}

int tb_mkdir_p(const char *path, char *err, size_t errlen)
{
	char *p = strdup(path);
	int rc = 0;

	if (!p) {
		snprintf(err, errlen, "%s: out of memory", path);
		return TB_ENOMEM;
	}
	for (char *s = p + 1; *s; s++) {
		if (*s != '/' || s[-1] == '/')
			continue;
		*s = 0;
		if (mkdir_one(p)) {
			snprintf(err, errlen, "%s: cannot create folder: %s", p, strerror(errno));
			rc = TB_EIO;
			goto done;
		}
		*s = '/';
	}
	if (*p && mkdir_one(p)) {
		snprintf(err, errlen, "%s: cannot create folder: %s", p, strerror(errno));
		rc = TB_EIO;
	}
done:
	free(p);
	return rc;
}

const char *tb_data_file(const char *env_var, const char *name, char *buf, size_t n)
{
	const char *env = env_var ? getenv(env_var) : NULL;
	char exe[PATH_MAX];
	ssize_t len;

	if (env && env[0]) {
		snprintf(buf, n, "%s", env);
		return buf;
	}
	if ((len = readlink("/proc/self/exe", exe, sizeof exe - 1)) <= 0)
		return NULL;
	exe[len] = '\0';
	for (int up = 0; up < 5; up++) {
		static const char *const rel[] = { "datasets", "share/tierbench/datasets" };
		char *slash = strrchr(exe, '/');
		if (!slash)
			break;
		*slash = '\0';
		for (int i = 0; i < 2; i++) {
			snprintf(buf, n, "%s/%s/%s", exe, rel[i], name);
			if (access(buf, R_OK) == 0)
				return buf;
		}
	}
	return NULL;
}
