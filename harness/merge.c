/* harness/merge.c — `tierbench merge`: the stores of the shards of one run (Slurm array tasks,
 * Kubernetes Indexed Job pods, `run --shard I/N`) combined into one store that reads like an
 * unsharded run's. Inputs are opened read-only and checked before anything is written; the
 * result is built beside the output and renamed over it (docs/cluster.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "base/base.h"
#include "harness/harness.h"
#include "harness/store_impl.h"
#include "providers/provider.h"

#define MAX_SHARDS 100000   /* the largest N accepted (Slurm's own MaxArraySize is lower) */

/* One input store: its newest run and the shards it covers. */
typedef struct merge_in {
	const char *path;
	sqlite3 *db;
	int64_t run_id;
	char *identity;           /* identity_json of the run */
	char *status;
	int shard_count;
	unsigned char *covers;    /* [shard_count] 1: shard i is here and finished */
	char *shards;             /* the record as stored ("2" or "0,1,3") */
	int merged;
} merge_in;

static void in_release(merge_in *m)
{
	sqlite3_close(m->db);
	free(m->identity);
	free(m->status);
	free(m->covers);
	free(m->shards);
	memset(m, 0, sizeof *m);
}

static char *dup_col(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	return t ? strdup((const char *)t) : NULL;
}

/* The lock file a writer holds (store.c: PATH.lock); refused when a live process holds it. Only
 * opened when it exists: merge creates nothing beside an input. */
static int check_not_written(const char *path, char *err, size_t errlen)
{
	char lp[4096 + 8];
	int fd;

	snprintf(lp, sizeof lp, "%s.lock", path);
	if ((fd = open(lp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
		close(fd);
		snprintf(err, errlen, "%s: a tierbench process is still writing this store (lock %s); "
			 "merge it when its shard has ended", path, lp);
		return HX_EINVAL;
	}
	close(fd);
	return 0;
}

/* "0,1,3" into covers[count]; -1 when the text is not such a list. */
static int parse_shards(const char *s, int count, unsigned char *covers)
{
	if (!s || !*s)
		return -1;
	while (*s) {
		char *end;
		long v;
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno || end == s || v < 0 || v >= count || (*end && *end != ','))
			return -1;
		covers[v] = 1;
		s = *end ? end + 1 : end;
	}
	return 0;
}

/* Opens one input read-only and reads its newest run. */
static int in_open(merge_in *m, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL;
	int rc, v = -1, n_ours = 0, ret = HX_EINVAL;

	m->path = path;
	if ((rc = hx_file_check(path, "results store", err, errlen)) != 0) {
		if (rc == 1)
			snprintf(err, errlen, "%s: no results store here (is the shard directory right?)",
				 path);
		return HX_EINVAL;
	}
	if ((ret = check_not_written(path, err, errlen)))
		return ret;
	ret = HX_EINVAL;
	if (sqlite3_open_v2(path, &m->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 m->db ? sqlite3_errmsg(m->db) : "out of memory");
		return HX_ESTORE;
	}
	sqlite3_busy_timeout(m->db, 5000);
	rc = sqlite3_prepare_v2(m->db, "SELECT coalesce(sum(name IN ('runs','targets','samples')), 0)"
		" FROM sqlite_master WHERE type = 'table'", -1, &q, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW)
		n_ours = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	q = NULL;
	if (rc == SQLITE_ROW && sqlite3_prepare_v2(m->db, "PRAGMA user_version", -1, &q, NULL) ==
	    SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	q = NULL;
	if (rc != SQLITE_ROW || n_ours < 3 || v < 1) {
		snprintf(err, errlen, "%s: not a tierbench results store (%s)", path,
			 rc != SQLITE_ROW ? sqlite3_errmsg(m->db) : "no runs, targets and samples tables");
		return HX_EINVAL;
	}
	if (v != HX_STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema version %d, this tierbench writes %d%s", path, v,
			 HX_STORE_SCHEMA_VERSION, v < HX_STORE_SCHEMA_VERSION ? ": the store has no shard "
			 "record; run the shard again with this tierbench (it resumes)" : "; upgrade tierbench");
		return HX_EINVAL;
	}
	rc = sqlite3_prepare_v2(m->db, "SELECT id, identity_json, status, shard_count, shards, merged"
		" FROM runs ORDER BY id DESC LIMIT 1", -1, &q, NULL);
	if (rc != SQLITE_OK || (rc = sqlite3_step(q)) != SQLITE_ROW) {
		snprintf(err, errlen, "%s: %s", path, rc == SQLITE_DONE ? "holds no run (a shard that "
			 "never started, or a half-written store)" : sqlite3_errmsg(m->db));
		goto out;
	}
	m->run_id = sqlite3_column_int64(q, 0);
	m->identity = dup_col(q, 1);
	m->status = dup_col(q, 2);
	m->shards = dup_col(q, 4);
	m->merged = sqlite3_column_int(q, 5);
	if (!m->identity || !m->status) {
		snprintf(err, errlen, "%s: run %lld has no spec identity or status (a half-written store)",
			 path, (long long)m->run_id);
		goto out;
	}
	if (sqlite3_column_type(q, 3) == SQLITE_NULL) {
		snprintf(err, errlen, "%s: run %lld is not a shard (no shard record); shards are runs "
			 "with --shard I/N, a Slurm array task or an Indexed Job pod", path,
			 (long long)m->run_id);
		goto out;
	}
	m->shard_count = sqlite3_column_int(q, 3);
	if (m->shard_count < 1 || m->shard_count > MAX_SHARDS) {
		snprintf(err, errlen, "%s: run %lld records %d shards (1..%d expected)", path,
			 (long long)m->run_id, m->shard_count, MAX_SHARDS);
		goto out;
	}
	if (!(m->covers = calloc((size_t)m->shard_count, 1))) {
		snprintf(err, errlen, "out of memory");
		ret = HX_ENOMEM;
		goto out;
	}
	if (parse_shards(m->shards, m->shard_count, m->covers)) {
		snprintf(err, errlen, "%s: run %lld: shards \"%s\" is not a list of indexes 0..%d", path,
			 (long long)m->run_id, m->shards ? m->shards : "", m->shard_count - 1);
		hx_escape_ctl(err, errlen);
		goto out;
	}
	/* A shard covers its index once it finished; a merge covers what it recorded (it records
	 * only finished shards). */
	if (!m->merged && strcmp(m->status, "done") != 0)
		memset(m->covers, 0, (size_t)m->shard_count);
	ret = 0;
out:
	sqlite3_finalize(q);
	return ret;
}

/* ------------------------------------------------------------ the output */

/* The writer's lock on out_path (as store.c takes it), held while the merge replaces it. */
static int lock_out(const char *out_path, int *fd_out, char *err, size_t errlen)
{
	char lp[4096 + 8];
	int fd;

	snprintf(lp, sizeof lp, "%s.lock", out_path);
	if ((fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644)) < 0) {
		snprintf(err, errlen, "%s: cannot create the lock file %s: %s", out_path, lp,
			 strerror(errno));
		return HX_EIO;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		close(fd);
		snprintf(err, errlen, "%s: %s", out_path, e == EWOULDBLOCK ? "another tierbench process "
			 "is writing this store; merge when it has ended" : strerror(e));
		return HX_EIO;
	}
	*fd_out = fd;
	return 0;
}

static int exec_sql(sqlite3 *db, const char *path, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return HX_ESTORE;
	}
	return 0;
}

/* The columns of table in db other than skip1 / skip2, as "a, b, c". Ownership: caller
 * free()s; NULL on error. */
static char *column_list(sqlite3 *db, const char *table, const char *skip1, const char *skip2,
	int *n_out)
{
	sqlite3_stmt *q = NULL;
	tb_buf b;
	char sql[64];
	int n = 0;

	tb_buf_init(&b, 1 << 16);
	snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", table);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return NULL;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(q, 1);
		if (!c || strcmp(c, skip1) == 0 || (skip2 && strcmp(c, skip2) == 0))
			continue;
		tb_buf_addf(&b, "%s%s", n ? ", " : "", c);
		n++;
	}
	sqlite3_finalize(q);
	*n_out = n;
	return b.err ? (tb_buf_release(&b), NULL) : tb_buf_detach(&b, NULL);
}

/* "HEAD(run_id, cols) VALUES(1,?,...)" into sql[cap], which holds at least strlen(cols) +
 * 2 x n_cols + 64 bytes beside HEAD: rows go to run 1 of the output. */
static void insert_sql(char *sql, size_t cap, const char *head, const char *cols, int n_cols)
{
	int k = snprintf(sql, cap, "%s(run_id, %s) VALUES(1", head, cols);
	for (int i = 0; i < n_cols && k > 0 && (size_t)k < cap; i++)
		k += snprintf(sql + k, cap - (size_t)k, ",?");
	if (k > 0 && (size_t)k < cap)
		snprintf(sql + k, cap - (size_t)k, ")");
}

/* 1 when two column values are the same (type and bytes). */
static int same_value(sqlite3_value *a, sqlite3_value *b)
{
	int t = sqlite3_value_type(a);
	if (t != sqlite3_value_type(b))
		return 0;
	switch (t) {
	case SQLITE_NULL: return 1;
	case SQLITE_INTEGER: return sqlite3_value_int64(a) == sqlite3_value_int64(b);
	case SQLITE_FLOAT: return memcmp(&(double){ sqlite3_value_double(a) },
			&(double){ sqlite3_value_double(b) }, sizeof(double)) == 0;
	default: {
		int n = sqlite3_value_bytes(a);
		const void *pa = t == SQLITE_BLOB ? sqlite3_value_blob(a) : (const void *)sqlite3_value_text(a);
		const void *pb = t == SQLITE_BLOB ? sqlite3_value_blob(b) : (const void *)sqlite3_value_text(b);
		return n == sqlite3_value_bytes(b) && (n == 0 || memcmp(pa, pb, (size_t)n) == 0);
	}
	}
}

/* A row counts as complete unless its error is one a resumed run retries. */
static int row_complete(int error)
{
	return error == 0 || !prov_err_class_retryable((prov_err_class)error);
}

/* The state of the merge while rows are copied. */
typedef struct merger {
	sqlite3 *out;
	const char *tmp;
	char *cols;               /* samples columns but id and run_id; target, suite, item, sample first */
	int n_cols;
	sqlite3_stmt *get, *put, *del;
} merger;

/* Copies input m's rows of its newest run into the output (run 1). */
static int copy_samples(merger *g, const merge_in *m, char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL;
	char *sql;
	int rc, ret = HX_ESTORE;
	size_t n = strlen(g->cols) + 128;

	if (!(sql = malloc(n))) {
		snprintf(err, errlen, "out of memory");
		return HX_ENOMEM;
	}
	snprintf(sql, n, "SELECT %s FROM samples WHERE run_id = ? ORDER BY target, suite, item, sample",
		 g->cols);
	rc = sqlite3_prepare_v2(m->db, sql, -1, &q, NULL);
	free(sql);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: reading samples: %s", m->path, sqlite3_errmsg(m->db));
		return HX_ESTORE;
	}
	sqlite3_bind_int64(q, 1, m->run_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int err_col = -1, has = 0, replace = 0;
		for (int i = 0; i < g->n_cols; i++)
			if (strcmp(sqlite3_column_name(q, i), "error") == 0)
				err_col = i;
		sqlite3_reset(g->get);
		for (int i = 0; i < 4; i++)
			sqlite3_bind_value(g->get, i + 1, sqlite3_column_value(q, i));
		if ((rc = sqlite3_step(g->get)) == SQLITE_ROW) {
			int src_ok = row_complete(err_col >= 0 ? sqlite3_column_int(q, err_col) : 0);
			int dst_ok = row_complete(err_col >= 0 ? sqlite3_column_int(g->get, err_col) : 0);
			has = 1;
			if (src_ok && dst_ok) {
				for (int i = 4; i < g->n_cols; i++)
					if (!same_value(sqlite3_column_value(q, i),
							sqlite3_column_value(g->get, i))) {
						snprintf(err, errlen, "%s: sample %s/%s/%s#%d conflicts with the same "
							 "sample in an input before it (%s differs); each item belongs "
							 "to one shard: were two shards run with different N or specs?",
							 m->path, sqlite3_column_text(q, 0), sqlite3_column_text(q, 1),
							 sqlite3_column_text(q, 2), sqlite3_column_int(q, 3),
							 sqlite3_column_name(q, i));
						hx_escape_ctl(err, errlen);
						ret = HX_EINVAL;
						goto out;
					}
			} else if (src_ok && !dst_ok) {
				replace = 1;   /* a retried failure gives way to the finished sample */
			}
		} else if (rc != SQLITE_DONE) {
			goto dberr;
		}
		sqlite3_reset(g->get);
		if (has && !replace)
			continue;
		if (replace) {
			sqlite3_reset(g->del);
			for (int i = 0; i < 4; i++)
				sqlite3_bind_value(g->del, i + 1, sqlite3_column_value(q, i));
			if (sqlite3_step(g->del) != SQLITE_DONE)
				goto dberr;
			sqlite3_reset(g->del);
		}
		sqlite3_reset(g->put);
		for (int i = 0; i < g->n_cols; i++)
			sqlite3_bind_value(g->put, i + 1, sqlite3_column_value(q, i));
		if (sqlite3_step(g->put) != SQLITE_DONE)
			goto dberr;
		sqlite3_reset(g->put);
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: reading samples: %s", m->path, sqlite3_errmsg(m->db));
		goto out;
	}
	ret = 0;
	goto out;
dberr:
	snprintf(err, errlen, "%s: writing samples: %s", g->tmp, sqlite3_errmsg(g->out));
out:
	sqlite3_finalize(q);
	return ret;
}

/* Copies the targets rows of m's run into run 1 of the output (the first input's win). */
static int copy_targets(merger *g, const merge_in *m, char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL, *put = NULL;
	char *cols, *sql = NULL;
	int n_cols = 0, rc, ret = HX_ESTORE;
	size_t n;

	if (!(cols = column_list(g->out, "targets", "run_id", NULL, &n_cols)))
		goto nomem;
	n = strlen(cols) * 2 + 4 * (size_t)n_cols + 128;
	if (!(sql = malloc(n)))
		goto nomem;
	snprintf(sql, n, "SELECT %s FROM targets WHERE run_id = ?", cols);
	if (sqlite3_prepare_v2(m->db, sql, -1, &q, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: reading targets: %s", m->path, sqlite3_errmsg(m->db));
		goto out;
	}
	insert_sql(sql, n, "INSERT OR IGNORE INTO targets", cols, n_cols);
	if (sqlite3_prepare_v2(g->out, sql, -1, &put, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(q, 1, m->run_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		sqlite3_reset(put);
		for (int i = 0; i < n_cols; i++)
			sqlite3_bind_value(put, i + 1, sqlite3_column_value(q, i));
		if (sqlite3_step(put) != SQLITE_DONE)
			goto dberr;
	}
	ret = rc == SQLITE_DONE ? 0 : HX_ESTORE;
	if (ret)
		snprintf(err, errlen, "%s: reading targets: %s", m->path, sqlite3_errmsg(m->db));
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
	ret = HX_ENOMEM;
	goto out;
dberr:
	snprintf(err, errlen, "%s: writing targets: %s", g->tmp, sqlite3_errmsg(g->out));
out:
	sqlite3_finalize(q);
	sqlite3_finalize(put);
	free(cols);
	free(sql);
	return ret;
}

/* The run row of the output: the first input's, with the earliest start, the latest finish,
 * the shards covered and the status. */
static int write_run(merger *g, merge_in *in, size_t n_in, int count, const unsigned char *covers,
	const char *status, char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL, *w = NULL;
	tb_buf shards;
	char *started = NULL, *finished = NULL;
	int ret = HX_ESTORE, first = 1;

	tb_buf_init(&shards, 1 << 20);
	for (int i = 0; i < count; i++)
		if (covers[i]) {
			tb_buf_addf(&shards, "%s%d", first ? "" : ",", i);
			first = 0;
		}
	if (shards.err) {
		snprintf(err, errlen, "out of memory");
		ret = HX_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_in; i++) {
		if (sqlite3_prepare_v2(in[i].db, "SELECT started_at, coalesce(finished_at, resumed_at,"
		    " started_at) FROM runs WHERE id = ?", -1, &q, NULL) != SQLITE_OK)
			goto rderr;
		sqlite3_bind_int64(q, 1, in[i].run_id);
		if (sqlite3_step(q) == SQLITE_ROW) {
			const char *s = (const char *)sqlite3_column_text(q, 0);
			const char *f = (const char *)sqlite3_column_text(q, 1);
			if (s && (!started || strcmp(s, started) < 0)) {
				free(started);
				started = strdup(s);
			}
			if (f && (!finished || strcmp(f, finished) > 0)) {
				free(finished);
				finished = strdup(f);
			}
		}
		sqlite3_finalize(q);
		q = NULL;
	}
	if (sqlite3_prepare_v2(in[0].db, "SELECT name, identity_hash, identity_json, spec_json,"
	    " build_json, git_rev, hw_json FROM runs WHERE id = ?", -1, &q, NULL) != SQLITE_OK) {
		goto rderr;
	}
	sqlite3_bind_int64(q, 1, in[0].run_id);
	if (sqlite3_step(q) != SQLITE_ROW)
		goto rderr;
	if (sqlite3_prepare_v2(g->out, "INSERT INTO runs(id, name, identity_hash, identity_json,"
	    " spec_json, build_json, git_rev, hw_json, started_at, finished_at, status, shard_count,"
	    " shards, merged) VALUES(1,?,?,?,?,?,?,?,?,?,?,?,?,1)", -1, &w, NULL) != SQLITE_OK)
		goto dberr;
	for (int i = 0; i < 7; i++)
		sqlite3_bind_value(w, i + 1, sqlite3_column_value(q, i));
	sqlite3_bind_text(w, 8, started ? started : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(w, 9, finished ? finished : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(w, 10, status, -1, SQLITE_STATIC);
	sqlite3_bind_int(w, 11, count);
	sqlite3_bind_text(w, 12, tb_buf_str(&shards), -1, SQLITE_TRANSIENT);
	if (sqlite3_step(w) != SQLITE_DONE)
		goto dberr;
	ret = 0;
	goto out;
rderr:
	snprintf(err, errlen, "%s: reading the run: %s", in->path, sqlite3_errmsg(in->db));
	goto out;
dberr:
	snprintf(err, errlen, "%s: writing the run: %s", g->tmp, sqlite3_errmsg(g->out));
out:
	sqlite3_finalize(q);
	sqlite3_finalize(w);
	tb_buf_release(&shards);
	free(started);
	free(finished);
	return ret;
}

/* Items of the output with fewer complete samples than their suite asks for (the samples of
 * each suite come from the identity: suites[i].name / .samples). Lists up to 10 on log.
 * Returns the count, or -1 on a database error (err says so). */
static long count_incomplete(merger *g, const char *identity, FILE *log, char *err, size_t errlen)
{
	cJSON *id = cJSON_Parse(identity), *suites, *s;
	sqlite3_stmt *q = NULL;
	long n = 0;

	suites = id ? cJSON_GetObjectItemCaseSensitive(id, "suites") : NULL;
	if (sqlite3_prepare_v2(g->out, "SELECT target, item, error FROM samples WHERE run_id = 1"
	    " AND suite = ? ORDER BY target, item", -1, &q, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", g->tmp, sqlite3_errmsg(g->out));
		cJSON_Delete(id);
		return -1;
	}
	cJSON_ArrayForEach(s, suites) {
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(s, "name");
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(s, "samples");
		char cur_t[512] = "", cur_i[512] = "";
		int have = 0, more;
		if (!cJSON_IsString(nm) || !cJSON_IsNumber(k))
			continue;
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, nm->valuestring, -1, SQLITE_STATIC);
		do {
			const char *t = NULL, *it = NULL;
			more = sqlite3_step(q) == SQLITE_ROW;
			if (more) {
				t = (const char *)sqlite3_column_text(q, 0);
				it = (const char *)sqlite3_column_text(q, 1);
			}
			if (cur_t[0] && (!more || strcmp(t ? t : "", cur_t) || strcmp(it ? it : "", cur_i))) {
				if (have < k->valueint) {
					if (n < 10) {
						char line[1200];
						snprintf(line, sizeof line, "incomplete item: %s/%s/%s (%d of %d "
							 "samples)", cur_t, nm->valuestring, cur_i, have, k->valueint);
						hx_escape_ctl(line, sizeof line);
						fprintf(log, "tierbench merge: %s\n", line);
					}
					n++;
				}
				have = 0;
			}
			if (more) {
				snprintf(cur_t, sizeof cur_t, "%s", t ? t : "");
				snprintf(cur_i, sizeof cur_i, "%s", it ? it : "");
				have += row_complete(sqlite3_column_int(q, 2));
			}
		} while (more);
	}
	if (n > 10)
		fprintf(log, "tierbench merge: ... %ld incomplete items in all\n", n);
	sqlite3_finalize(q);
	cJSON_Delete(id);
	return n;
}

/* Folds the WAL of an existing store at path into the file and leaves it in rollback mode, so
 * that no stale -wal file is left to be read against the store renamed over it. The caller
 * holds the writer's lock. */
static int settle_old(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int ret = 0;
	if (access(path, F_OK) != 0)
		return 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open the old store: %s", path,
			 db ? sqlite3_errmsg(db) : "out of memory");
		ret = HX_ESTORE;
	} else {
		sqlite3_busy_timeout(db, 5000);
		ret = exec_sql(db, path, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE",
			err, errlen);
	}
	sqlite3_close(db);
	return ret;
}

int hx_merge(const char *out_path, const char *const *in_paths, size_t n_in,
	const hx_merge_opts *o, hx_merge_summary *sum, char *err, size_t errlen)
{
	hx_merge_opts dflt = { 0 };
	merge_in *in = NULL;
	merger g = { 0 };
	hx_store *st = NULL;
	unsigned char *covers = NULL;
	char *tmp = NULL, *sql = NULL;
	FILE *log;
	int lock_fd = -1, ret = HX_EINVAL, count, n_missing = 0, n_unfinished = 0, created = 0;
	long n_incomplete;
	size_t n;

	if (!o)
		o = &dflt;
	log = o->log ? o->log : stderr;
	if (sum)
		memset(sum, 0, sizeof *sum);
	if (!n_in) {
		snprintf(err, errlen, "no shard stores to merge");
		return HX_EINVAL;
	}
	if (!(in = calloc(n_in, sizeof *in)))
		goto nomem;
	/* Every input is read and checked before the output is touched. */
	for (size_t i = 0; i < n_in; i++)
		if ((ret = in_open(&in[i], in_paths[i], err, errlen)))
			goto out;
	count = in[0].shard_count;
	for (size_t i = 1; i < n_in; i++) {
		if (strcmp(in[i].identity, in[0].identity) != 0) {
			char where[256] = "";
			cJSON *a = cJSON_Parse(in[0].identity), *b = cJSON_Parse(in[i].identity);
			hx_json_diff(a, b, where, sizeof where);
			cJSON_Delete(a);
			cJSON_Delete(b);
			snprintf(err, errlen, "%s: a different spec from %s (first at %s); shards of one run "
				 "share one spec", in[i].path, in[0].path, where[0] ? where : "the top level");
			hx_escape_ctl(err, errlen);
			ret = HX_EINVAL;
			goto out;
		}
		if (in[i].shard_count != count) {
			snprintf(err, errlen, "%s: shard %s of %d, but %s is shard %s of %d; shards of one "
				 "run share one N", in[i].path, in[i].shards, in[i].shard_count, in[0].path,
				 in[0].shards, count);
			hx_escape_ctl(err, errlen);
			ret = HX_EINVAL;
			goto out;
		}
	}
	if (!(covers = calloc((size_t)count, 1)))
		goto nomem;
	for (size_t i = 0; i < n_in; i++)
		for (int k = 0; k < count; k++)
			covers[k] |= in[i].covers[k];
	for (size_t i = 0; i < n_in; i++) {
		if (!in[i].merged && strcmp(in[i].status, "done") != 0 &&
		    !covers[atoi(in[i].shards)]) {   /* unless a finished copy of it is given too */
			fprintf(log, "tierbench merge: unfinished shard: %s of %d in %s (status %s)\n",
				in[i].shards, count, in[i].path, in[i].status);
			n_unfinished++;
		}
	}
	for (int k = 0; k < count; k++)
		if (!covers[k]) {
			if (n_missing < 20)
				fprintf(log, "tierbench merge: missing shard: %d of %d\n", k, count);
			n_missing++;
		}
	if (n_missing > 20)
		fprintf(log, "tierbench merge: ... %d missing shards in all\n", n_missing);

	{
		struct stat sb;
		if (stat(out_path, &sb) == 0) {
			int is_input = 0;
			for (size_t i = 0; i < n_in; i++) {
				struct stat si;
				if (stat(in_paths[i], &si) == 0 && si.st_dev == sb.st_dev && si.st_ino == sb.st_ino)
					is_input = 1;
			}
			if (!is_input) {
				merge_in old = { 0 };
				char oerr[1024];
				/* Only a store an earlier merge wrote is replaced: never a run's own rows. */
				int orc = in_open(&old, out_path, oerr, sizeof oerr);
				int ours = orc == 0 && old.merged;
				in_release(&old);
				if (!ours && (S_ISREG(sb.st_mode) && sb.st_size > 0)) {
					if (orc && strstr(oerr, "still writing"))
						snprintf(err, errlen, "%s", oerr);
					else
						snprintf(err, errlen, "%s: holds a store that no merge wrote; give "
							 "a new output directory", out_path);
					ret = HX_EINVAL;
					goto out;
				}
			}
		}
	}
	/* The output: locked, built beside as OUT.merge-PID, renamed over OUT. */
	if ((ret = lock_out(out_path, &lock_fd, err, errlen)))
		goto out;
	n = strlen(out_path) + 32;
	if (!(tmp = malloc(n)))
		goto nomem;
	snprintf(tmp, n, "%s.merge-%ld", out_path, (long)getpid());
	unlink(tmp);
	if (!(st = hx_store_open(tmp, 1, err, errlen))) {
		ret = HX_ESTORE;
		goto out;
	}
	created = 1;
	g.out = hx_store_db(st);
	g.tmp = tmp;
	{
		char *rest;
		int n_rest = 0;
		if (!(rest = column_list(g.out, "samples", "id", "run_id", &n_rest)))
			goto nomem;
		/* target, suite, item, sample first: the key the lookups bind */
		n = strlen(rest) + 64;
		if (!(g.cols = malloc(n))) {
			free(rest);
			goto nomem;
		}
		snprintf(g.cols, n, "target, suite, item, sample");
		for (char *c = strtok(rest, ", "); c; c = strtok(NULL, ", "))
			if (strcmp(c, "target") && strcmp(c, "suite") && strcmp(c, "item") &&
			    strcmp(c, "sample"))
				snprintf(g.cols + strlen(g.cols), n - strlen(g.cols), ", %s", c);
		g.n_cols = n_rest;
		free(rest);
	}
	n = strlen(g.cols) + 4 * (size_t)g.n_cols + 256;
	if (!(sql = malloc(n)))
		goto nomem;
	snprintf(sql, n, "SELECT %s FROM samples WHERE run_id = 1 AND target = ? AND suite = ? AND "
		 "item = ? AND sample = ?", g.cols);
	if (sqlite3_prepare_v2(g.out, sql, -1, &g.get, NULL) != SQLITE_OK)
		goto dberr;
	insert_sql(sql, n, "INSERT INTO samples", g.cols, g.n_cols);
	if (sqlite3_prepare_v2(g.out, sql, -1, &g.put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(g.out, "DELETE FROM samples WHERE run_id = 1 AND target = ? AND"
		" suite = ? AND item = ? AND sample = ?", -1, &g.del, NULL) != SQLITE_OK)
		goto dberr;
	if ((ret = exec_sql(g.out, tmp, "BEGIN IMMEDIATE", err, errlen)))
		goto out;
	/* the run row first (targets and samples refer to it); its status is set at the end */
	if ((ret = write_run(&g, in, n_in, count, covers, "partial", err, errlen)))
		goto out;
	for (size_t i = 0; i < n_in; i++)
		if ((ret = copy_targets(&g, &in[i], err, errlen)) ||
		    (ret = copy_samples(&g, &in[i], err, errlen)))
			goto out;
	if ((n_incomplete = count_incomplete(&g, in[0].identity, log, err, errlen)) < 0) {
		ret = HX_ESTORE;
		goto out;
	}
	if ((n_missing || n_unfinished || n_incomplete) && !o->allow_partial) {
		snprintf(err, errlen, "%d missing shard%s, %d unfinished, %ld incomplete item%s (listed "
			 "above); nothing written: run or resume them, or merge with --allow-partial",
			 n_missing, n_missing == 1 ? "" : "s", n_unfinished, n_incomplete,
			 n_incomplete == 1 ? "" : "s");
		ret = HX_EINVAL;
		goto out;
	}
	if ((!(n_missing || n_unfinished || n_incomplete) &&
	     (ret = exec_sql(g.out, tmp, "UPDATE runs SET status = 'done' WHERE id = 1", err, errlen))) ||
	    (ret = exec_sql(g.out, tmp, "COMMIT", err, errlen)))
		goto out;
	if (sum) {
		sum->shard_count = count;
		for (int k = 0; k < count; k++)
			sum->n_shards_done += covers[k];
		sum->n_missing = n_missing;
		sum->n_incomplete = n_incomplete;
		sum->partial = n_missing || n_unfinished || n_incomplete;
		{
			sqlite3_stmt *q = NULL;
			if (sqlite3_prepare_v2(g.out, "SELECT count(*) FROM samples", -1, &q, NULL) ==
			    SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
				sum->n_samples = sqlite3_column_int64(q, 0);
			sqlite3_finalize(q);
		}
	}
	/* One file, no -wal beside it, so the rename moves the whole store. */
	sqlite3_finalize(g.get);
	sqlite3_finalize(g.put);
	sqlite3_finalize(g.del);
	g.get = g.put = g.del = NULL;
	if ((ret = exec_sql(g.out, tmp, "PRAGMA journal_mode=DELETE", err, errlen)))
		goto out;
	hx_store_close(st);
	st = NULL;
	if ((ret = settle_old(out_path, err, errlen)))
		goto out;
	if (rename(tmp, out_path) != 0) {
		snprintf(err, errlen, "%s: cannot rename %s over it: %s", out_path, tmp, strerror(errno));
		ret = HX_EIO;
		goto out;
	}
	created = 0;
	ret = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
	ret = HX_ENOMEM;
	goto out;
dberr:
	snprintf(err, errlen, "%s: %s", tmp, sqlite3_errmsg(g.out));
	ret = HX_ESTORE;
out:
	sqlite3_finalize(g.get);
	sqlite3_finalize(g.put);
	sqlite3_finalize(g.del);
	hx_store_close(st);
	if (tmp) {
		char side[4096 + 16];
		if (created)
			unlink(tmp);
		/* what opening the side store left beside it */
		snprintf(side, sizeof side, "%s.lock", tmp);
		unlink(side);
		snprintf(side, sizeof side, "%s-wal", tmp);
		unlink(side);
		snprintf(side, sizeof side, "%s-shm", tmp);
		unlink(side);
	}
	if (lock_fd >= 0)
		close(lock_fd);
	for (size_t i = 0; in && i < n_in; i++)
		in_release(&in[i]);
	free(in);
	free(covers);
	free(tmp);
	free(sql);
	free(g.cols);
	return ret;
}
