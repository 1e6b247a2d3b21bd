/* harness/store.c — the results store: one SQLite file per run directory (WAL mode) holding
 * runs, targets and samples. A sample row is committed the moment it is scored; the unique key
 * (run, target, suite, item, sample) makes a resumed run skip finished work and never duplicate.
 * Schema changes go through the migrations table below, keyed by PRAGMA user_version. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "base/base.h"
#include "harness/harness.h"
#include "harness/store_impl.h"
#include "providers/provider.h"

struct hx_store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *put;   /* prepared upsert, reused for every sample */
	int lock_fd;         /* PATH.lock held with flock while a writer has the store; -1 if none */
	tb_buf gaps;         /* itl_json text, reused for every sample */
};

/* The gaps as a JSON array of milliseconds with microsecond resolution ("[12.5,3.004]"):
 * about 7 bytes a gap, read back by reports/load.c. */
static int gaps_json(hx_store *st, const double *g, size_t n, char *err, size_t errlen)
{
	tb_buf *b = &st->gaps;

	tb_buf_reset(b);
	if (!n)
		return 0;
	tb_buf_adds(b, "[");
	for (size_t i = 0; i < n && !b->err; i++) {
		double v = g[i] >= 0 && g[i] < 1e9 ? g[i] : 0;
		if (tb_buf_addf(b, "%s%.3f", i ? "," : "", v))
			break;
		/* trim trailing zeros of the fraction: "3.000" -> "3", "2.500" -> "2.5" */
		while (b->p[b->len - 1] == '0')
			b->len--;
		if (b->p[b->len - 1] == '.')
			b->len--;
		b->p[b->len] = 0;
	}
	if (tb_buf_adds(b, "]")) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Migration i takes the schema from version i to i + 1. Append only; never edit a released step. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE runs("
	" id INTEGER PRIMARY KEY,"
	" name TEXT,"
	" identity_hash TEXT NOT NULL,"
	" identity_json TEXT NOT NULL,"
	" spec_json TEXT NOT NULL,"
	" build_json TEXT NOT NULL,"
	" git_rev TEXT,"
	" hw_json TEXT,"
	" started_at TEXT NOT NULL,"
	" resumed_at TEXT,"
	" finished_at TEXT,"
	" status TEXT NOT NULL DEFAULT 'running');"
	"CREATE TABLE targets("
	" run_id INTEGER NOT NULL REFERENCES runs(id),"
	" target TEXT NOT NULL,"
	" provider TEXT NOT NULL,"
	" model TEXT NOT NULL,"
	" quant TEXT,"
	" options_json TEXT,"
	" hardware_json TEXT,"
	" price_in_usd_per_mtok REAL,"
	" price_out_usd_per_mtok REAL,"
	" PRIMARY KEY(run_id, target));"
	"CREATE TABLE samples("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES runs(id),"
	" target TEXT NOT NULL,"
	" suite TEXT NOT NULL,"
	" item TEXT NOT NULL,"
	" sample INTEGER NOT NULL,"
	" request_hash TEXT,"
	" response TEXT,"
	" reasoning TEXT,"
	" finish_reason TEXT,"
	" extracted TEXT,"
	" expected TEXT,"
	" score REAL,"
	" scores_json TEXT,"
	" answers_json TEXT,"
	" n_tokens_in INTEGER,"
	" n_tokens_out INTEGER,"
	" n_tokens_reasoning INTEGER,"
	" n_tokens_cached INTEGER,"
	" ttft_ms REAL,"
	" latency_ms REAL,"
	" cost_usd REAL,"
	" error INTEGER NOT NULL DEFAULT 0,"
	" error_class TEXT,"
	" error_msg TEXT,"
	" attempts INTEGER,"
	" git_rev TEXT,"
	" created_at TEXT NOT NULL,"
	" UNIQUE(run_id, target, suite, item, sample));"
	"CREATE INDEX samples_by_suite ON samples(run_id, target, suite);",
	/* 1 -> 2: time to first answer token, every inter-token gap, the cached-input price */
	"ALTER TABLE samples ADD COLUMN ttfa_ms REAL;"
	"ALTER TABLE samples ADD COLUMN itl_json TEXT;"
	"ALTER TABLE targets ADD COLUMN price_cached_usd_per_mtok REAL;",
	/* 2 -> 3: the model's facts, recorded when the run starts (reports open no model files);
	 * a scoring request's log-probabilities */
	"ALTER TABLE targets ADD COLUMN file_bytes INTEGER;"
	"ALTER TABLE targets ADD COLUMN n_params INTEGER;"
	"ALTER TABLE targets ADD COLUMN n_params_active INTEGER;"
	"ALTER TABLE targets ADD COLUMN bpw REAL;"
	"ALTER TABLE targets ADD COLUMN arch TEXT;"
	"ALTER TABLE targets ADD COLUMN file_type TEXT;"
	"ALTER TABLE targets ADD COLUMN type_mix TEXT;"
	"ALTER TABLE samples ADD COLUMN logprobs_json TEXT;",
	/* 3 -> 4: which shard of how many a run is (NULL: not sharded), and whether the store was
	 * made by `tierbench merge` (docs/cluster.md) */
	"ALTER TABLE runs ADD COLUMN shard_count INTEGER;"
	"ALTER TABLE runs ADD COLUMN shards TEXT;"
	"ALTER TABLE runs ADD COLUMN merged INTEGER NOT NULL DEFAULT 0;",
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

static void now_iso(char out[32])
{
	time_t t = time(NULL);
	struct tm tmv;
	gmtime_r(&t, &tmv);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

/* One line for a failed SQLite call; disk full gets its own words because the user must act. */
static void db_err(const hx_store *st, int rc, const char *what, char *err, size_t errlen)
{
	if (!err || !errlen)
		return;
	if (rc == SQLITE_FULL)
		snprintf(err, errlen, "%s: disk full while %s; samples stored so far are kept, free space "
			 "and re-run the same command to resume", st->path, what);
	else
		snprintf(err, errlen, "%s: %s: %s", st->path, what,
			 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
}

static int exec(hx_store *st, const char *sql, const char *what, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		if (rc == SQLITE_FULL)
			db_err(st, rc, what, err, errlen);
		else if (err && errlen)
			snprintf(err, errlen, "%s: %s: %s", st->path, what, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return HX_ESTORE;
	}
	return 0;
}

static int user_version(hx_store *st, int *v)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL);
	if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
		*v = sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
		return 0;
	}
	sqlite3_finalize(q);
	return HX_ESTORE;
}

static int migrate(hx_store *st, char *err, size_t errlen)
{
	int v;
	char sql[64];

	if (user_version(st, &v)) {
		snprintf(err, errlen, "%s: not a tierbench results store (%s)", st->path,
			 sqlite3_errmsg(st->db));
		return HX_ESTORE;
	}
	if (v > N_MIGRATIONS) {
		snprintf(err, errlen, "%s: schema version %d is newer than this tierbench (%d); "
			 "upgrade tierbench to read it", st->path, v, N_MIGRATIONS);
		return HX_ESTORE;
	}
	for (; v < N_MIGRATIONS; v++) {
		if (exec(st, "BEGIN IMMEDIATE", "starting migration", err, errlen))
			return HX_ESTORE;
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
		if (exec(st, migrations[v], "migrating the schema", err, errlen) ||
		    exec(st, sql, "migrating the schema", err, errlen)) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return HX_ESTORE;
		}
		if (exec(st, "COMMIT", "migrating the schema", err, errlen))
			return HX_ESTORE;
	}
	return 0;
}

/* The writer's lock: flock on PATH.lock, which the kernel drops when the process ends however
 * it ends, so a killed run can be resumed at once while a second live writer is refused. The
 * file holds the owner's pid for the message; it is never removed (removing it would let two
 * writers lock two different files). */
static int lock_store(hx_store *st, char *err, size_t errlen)
{
	char lp[4096 + 8], pid[32] = "";
	ssize_t n;
	int fd;

	snprintf(lp, sizeof lp, "%s.lock", st->path);
	if ((fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644)) < 0) {
		snprintf(err, errlen, "%s: cannot create the lock file %s: %s", st->path, lp, strerror(errno));
		return HX_ESTORE;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		if ((n = pread(fd, pid, sizeof pid - 1, 0)) > 0)
			pid[strspn(pid, "0123456789")] = 0;
		close(fd);
		if (e == EWOULDBLOCK) {
			char who[48] = "";
			if (*pid)
				snprintf(who, sizeof who, " (pid %s)", pid);
			snprintf(err, errlen, "%s: another tierbench process%s is writing this store (lock "
				 "%s.lock); wait for it to finish, or stop it and re-run to resume", st->path,
				 who, st->path);
		} else {
			snprintf(err, errlen, "%s: cannot lock %s.lock: %s", st->path, st->path, strerror(e));
		}
		return HX_ESTORE;
	}
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		/* the pid is only for the message; the lock itself holds */
	}
	st->lock_fd = fd;
	return 0;
}

/* Refuses a file that is not ours before anything is written to it: not SQLite at all, or an
 * SQLite database of another program (tables, but no tierbench schema). Switching such a file
 * to WAL and adding our tables would change a stranger's data. */
static int check_ours(hx_store *st, char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL;
	int rc, n_tables = -1, n_ours = 0, v = 0;

	rc = sqlite3_prepare_v2(st->db, "SELECT count(*), coalesce(sum(name IN ('runs','targets',"
		"'samples')), 0) FROM sqlite_master WHERE type = 'table'", -1, &q, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		n_tables = sqlite3_column_int(q, 0);
		n_ours = sqlite3_column_int(q, 1);
	}
	sqlite3_finalize(q);
	if (n_tables < 0) {
		snprintf(err, errlen, "%s: not a tierbench results store (%s)", st->path,
			 rc == SQLITE_NOTADB ? "not an SQLite database" : sqlite3_errmsg(st->db));
		return HX_ESTORE;
	}
	if (user_version(st, &v)) {
		snprintf(err, errlen, "%s: not a tierbench results store (%s)", st->path,
			 sqlite3_errmsg(st->db));
		return HX_ESTORE;
	}
	if (n_tables > 0 && (v == 0 || n_ours < 3)) {
		snprintf(err, errlen, "%s: not a tierbench results store (an SQLite database with %d "
			 "table%s of another program%s); left unchanged: give a run directory or a "
			 "results.db that tierbench wrote", st->path, n_tables, n_tables == 1 ? "" : "s",
			 v ? "" : ", schema version 0");
		return HX_ESTORE;
	}
	if (n_tables == 0 && v != 0) {
		snprintf(err, errlen, "%s: not a tierbench results store (schema version %d but no "
			 "tables); left unchanged", st->path, v);
		return HX_ESTORE;
	}
	return 0;
}

hx_store *hx_store_open(const char *path, int create, char *err, size_t errlen)
{
	hx_store *st = calloc(1, sizeof *st);
	int rc, flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);

	if (!st || !(st->path = strdup(path))) {
		snprintf(err, errlen, "out of memory");
		free(st);
		return NULL;
	}
	st->lock_fd = -1;
	/* A directory or FIFO where the store should be is one line, never a hang; a missing file
	 * is fine only when creating. */
	rc = hx_file_check(path, "results store", err, errlen);
	if (rc < 0 || (rc == 1 && !create))
		goto fail;
	if (create && lock_store(st, err, errlen))
		goto fail;
	rc = sqlite3_open_v2(path, &st->db, flags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open results store: %s", path,
			 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		hx_escape_ctl(err, errlen);
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	sqlite3_extended_result_codes(st->db, 0);
	if (check_ours(st, err, errlen))
		goto fail;
	/* WAL: readers (reports) never block the writer; synchronous=NORMAL keeps every committed
	 * row across a killed process (only a power cut can lose the last transactions). */
	if (exec(st, "PRAGMA journal_mode=WAL", "setting WAL mode", err, errlen) ||
	    exec(st, "PRAGMA synchronous=NORMAL", "setting synchronous mode", err, errlen) ||
	    exec(st, "PRAGMA foreign_keys=ON", "enabling foreign keys", err, errlen))
		goto fail;
	if (migrate(st, err, errlen))
		goto fail;
	return st;
fail:
	hx_escape_ctl(err, errlen);
	hx_store_close(st);
	return NULL;
}

void hx_store_close(hx_store *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->put);
	tb_buf_release(&st->gaps);
	sqlite3_close(st->db);
	if (st->lock_fd >= 0)
		close(st->lock_fd);   /* after the database: the lock outlives every write */
	free(st->path);
	free(st);
}

void *hx_store_db(hx_store *st)
{
	return st ? st->db : NULL;
}

int64_t hx_store_latest_run(hx_store *st)
{
	sqlite3_stmt *q = NULL;
	int64_t id = -1;
	if (sqlite3_prepare_v2(st->db, "SELECT max(id) FROM runs", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		id = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return id;
}

/* Writes into out the JSON path of the first difference between a and b ("suites[0].limit"). */
void hx_json_diff(const cJSON *a, const cJSON *b, char *path, size_t cap)
{
	size_t len = strlen(path);
	if (!a || !b || (a->type & 0xff) != (b->type & 0xff))
		return;
	if (cJSON_IsObject(a)) {
		for (const cJSON *x = a->child; x; x = x->next) {
			const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
			if (!y || !cJSON_Compare(x, y, 1)) {
				snprintf(path + len, cap - len, "%s%s", len ? "." : "", x->string);
				hx_json_diff(x, y, path, cap);
				return;
			}
		}
		for (const cJSON *y = b->child; y; y = y->next)
			if (!cJSON_GetObjectItemCaseSensitive(a, y->string)) {
				snprintf(path + len, cap - len, "%s%s", len ? "." : "", y->string);
				return;
			}
	} else if (cJSON_IsArray(a)) {
		int na = cJSON_GetArraySize(a), nb = cJSON_GetArraySize(b);
		for (int i = 0; i < na && i < nb; i++) {
			const cJSON *x = cJSON_GetArrayItem(a, i), *y = cJSON_GetArrayItem(b, i);
			if (!cJSON_Compare(x, y, 1)) {
				snprintf(path + len, cap - len, "[%d]", i);
				hx_json_diff(x, y, path, cap);
				return;
			}
		}
		if (na != nb)
			snprintf(path + len, cap - len, " (%d entries, now %d)", na, nb);
	}
}

static int bind_text(sqlite3_stmt *q, int i, const char *s)
{
	return s ? sqlite3_bind_text(q, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(q, i);
}

static int add_targets(hx_store *st, int64_t run_id, const hx_spec *spec, char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(st->db,
		"INSERT OR REPLACE INTO targets(run_id, target, provider, model, quant, options_json,"
		" hardware_json, price_in_usd_per_mtok, price_out_usd_per_mtok, price_cached_usd_per_mtok)"
		" VALUES(?,?,?,?,?,?,?,?,?,?)", -1, &q, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < spec->n_targets; i++) {
		const hx_target_spec *t = &spec->targets[i];
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, run_id);
		bind_text(q, 2, t->id);
		bind_text(q, 3, t->provider);
		bind_text(q, 4, t->model);
		bind_text(q, 5, t->quant);
		bind_text(q, 6, t->options_json);
		bind_text(q, 7, t->hardware_json);
		if (t->has_prices) {
			sqlite3_bind_double(q, 8, t->price_in_usd_per_mtok);
			sqlite3_bind_double(q, 9, t->price_out_usd_per_mtok);
			if (t->price_cached_usd_per_mtok >= 0)
				sqlite3_bind_double(q, 10, t->price_cached_usd_per_mtok);
			else
				sqlite3_bind_null(q, 10);
		} else {
			sqlite3_bind_null(q, 8);
			sqlite3_bind_null(q, 9);
			sqlite3_bind_null(q, 10);
		}
		rc = sqlite3_step(q);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	if (rc != SQLITE_OK)
		db_err(st, rc, "recording targets", err, errlen);
	sqlite3_finalize(q);
	return rc == SQLITE_OK ? 0 : HX_ESTORE;
}

int hx_store_begin_run(hx_store *st, const hx_spec *spec, const char *hw_json, int force_new,
	int64_t *run_id, int *resumed, char *err, size_t errlen)
{
	char *ident = NULL, *full = NULL, hash[65], ts[32];
	sqlite3_stmt *q = NULL;
	int64_t last = hx_store_latest_run(st);
	int ret = HX_ESTORE, rc;

	*resumed = 0;
	ident = hx_spec_to_json(spec, 1);
	full = hx_spec_to_json(spec, 0);
	if (!ident || !full) {
		snprintf(err, errlen, "out of memory");
		ret = HX_ENOMEM;
		goto fail;
	}
	hx_sha256_hex(ident, strlen(ident), hash);
	now_iso(ts);
	if (exec(st, "BEGIN IMMEDIATE", "starting the run", err, errlen))
		goto fail;
	if (last >= 0) {
		rc = sqlite3_prepare_v2(st->db, "SELECT identity_hash, identity_json, started_at FROM runs"
			" WHERE id = ?", -1, &q, NULL);
		if (rc != SQLITE_OK || (sqlite3_bind_int64(q, 1, last), sqlite3_step(q)) != SQLITE_ROW) {
			db_err(st, rc, "reading the stored run", err, errlen);
			goto rollback;
		}
		if (strcmp((const char *)sqlite3_column_text(q, 0), hash) == 0) {
			sqlite3_finalize(q);
			q = NULL;
			if (sqlite3_prepare_v2(st->db, "UPDATE runs SET resumed_at = ?, status = 'running',"
			    " finished_at = NULL, hw_json = coalesce(?, hw_json) WHERE id = ?", -1, &q,
			    NULL) != SQLITE_OK)
				goto dberr;
			bind_text(q, 1, ts);
			bind_text(q, 2, hw_json);
			sqlite3_bind_int64(q, 3, last);
			if (sqlite3_step(q) != SQLITE_DONE)
				goto dberr;
			*run_id = last;
			*resumed = 1;
			goto commit;
		}
		if (!force_new) {
			char where[256] = "";
			cJSON *a = cJSON_Parse((const char *)sqlite3_column_text(q, 1));
			cJSON *b = cJSON_Parse(ident);
			hx_json_diff(a, b, where, sizeof where);
			cJSON_Delete(a);
			cJSON_Delete(b);
			snprintf(err, errlen, "%s: the spec differs from run %lld stored here (started %s)%s%s;"
				 " use another --out directory, or --force-new to start a new run in this store",
				 st->path, (long long)last, (const char *)sqlite3_column_text(q, 2),
				 where[0] ? ", first at " : "", where);
			ret = HX_ECHANGED;
			goto rollback;
		}
		sqlite3_finalize(q);
		q = NULL;
	}
	if (sqlite3_prepare_v2(st->db, "INSERT INTO runs(name, identity_hash, identity_json, spec_json,"
	    " build_json, git_rev, hw_json, started_at) VALUES(?,?,?,?,?,?,?,?)", -1, &q, NULL) != SQLITE_OK)
		goto dberr;
	bind_text(q, 1, spec->name);
	bind_text(q, 2, hash);
	bind_text(q, 3, ident);
	bind_text(q, 4, full);
	bind_text(q, 5, hx_build_info_json());
	bind_text(q, 6, hx_git_rev());
	bind_text(q, 7, hw_json);
	bind_text(q, 8, ts);
	if (sqlite3_step(q) != SQLITE_DONE)
		goto dberr;
	*run_id = sqlite3_last_insert_rowid(st->db);
commit:
	sqlite3_finalize(q);
	q = NULL;
	if (add_targets(st, *run_id, spec, err, errlen))
		goto rollback;
	if (exec(st, "COMMIT", "starting the run", err, errlen))
		goto rollback;
	ret = 0;
	goto fail;
dberr:
	db_err(st, sqlite3_errcode(st->db), "starting the run", err, errlen);
rollback:
	sqlite3_finalize(q);
	q = NULL;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
fail:
	sqlite3_finalize(q);
	free(ident);
	free(full);
	return ret;
}

int hx_store_set_target_facts(hx_store *st, int64_t run_id, const char *target,
	const prov_model_facts *f, char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(st->db, "UPDATE targets SET file_bytes = ?, n_params = ?,"
		" n_params_active = ?, bpw = ?, arch = ?, file_type = ?, type_mix = ?"
		" WHERE run_id = ? AND target = ?", -1, &q, NULL);
	if (rc == SQLITE_OK) {
#define INT_OR_NULL(i, v) ((v) > 0 ? sqlite3_bind_int64(q, i, v) : sqlite3_bind_null(q, i))
		INT_OR_NULL(1, f->file_bytes);
		INT_OR_NULL(2, f->n_params);
		INT_OR_NULL(3, f->n_params_active);
#undef INT_OR_NULL
		if (f->bpw > 0)
			sqlite3_bind_double(q, 4, f->bpw);
		else
			sqlite3_bind_null(q, 4);
		bind_text(q, 5, f->arch[0] ? f->arch : NULL);
		bind_text(q, 6, f->file_type[0] ? f->file_type : NULL);
		bind_text(q, 7, f->type_mix[0] ? f->type_mix : NULL);
		sqlite3_bind_int64(q, 8, run_id);
		bind_text(q, 9, target);
		rc = sqlite3_step(q) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->db);
	}
	if (rc != SQLITE_OK)
		db_err(st, rc, "recording the model facts", err, errlen);
	sqlite3_finalize(q);
	return rc == SQLITE_OK ? 0 : HX_ESTORE;
}

int hx_store_end_run(hx_store *st, int64_t run_id, const char *status)
{
	sqlite3_stmt *q = NULL;
	char ts[32];
	int rc;
	now_iso(ts);
	rc = sqlite3_prepare_v2(st->db, "UPDATE runs SET finished_at = ?, status = ? WHERE id = ?",
		-1, &q, NULL);
	if (rc == SQLITE_OK) {
		bind_text(q, 1, ts);
		bind_text(q, 2, status);
		sqlite3_bind_int64(q, 3, run_id);
		rc = sqlite3_step(q) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_OK ? 0 : HX_ESTORE;
}

int hx_store_each_done(hx_store *st, int64_t run_id,
	void (*fn)(void *ud, const char *target, const char *suite, const char *item, int sample),
	void *ud)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(st->db, "SELECT target, suite, item, sample, error FROM samples"
		" WHERE run_id = ?", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return HX_ESTORE;
	sqlite3_bind_int64(q, 1, run_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int e = sqlite3_column_int(q, 4);
		if (e != 0 && prov_err_class_retryable((prov_err_class)e))
			continue;   /* transport-class failures are tried again */
		fn(ud, (const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1),
		   (const char *)sqlite3_column_text(q, 2), sqlite3_column_int(q, 3));
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : HX_ESTORE;
}

int hx_store_put_sample(hx_store *st, int64_t run_id, const hx_sample_row *r,
	char *err, size_t errlen)
{
	char ts[32];
	int rc, i = 1;
	if (!st->put) {
		rc = sqlite3_prepare_v2(st->db,
			"INSERT INTO samples(run_id, target, suite, item, sample, request_hash, response,"
			" reasoning, finish_reason, extracted, expected, score, scores_json, answers_json,"
			" n_tokens_in, n_tokens_out, n_tokens_reasoning, n_tokens_cached, ttft_ms, latency_ms,"
			" cost_usd, error, error_class, error_msg, attempts, git_rev, created_at, ttfa_ms,"
			" itl_json, logprobs_json)"
			" VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
			" ON CONFLICT(run_id, target, suite, item, sample) DO UPDATE SET"
			" request_hash=excluded.request_hash, response=excluded.response,"
			" reasoning=excluded.reasoning, finish_reason=excluded.finish_reason,"
			" extracted=excluded.extracted, expected=excluded.expected, score=excluded.score,"
			" scores_json=excluded.scores_json, answers_json=excluded.answers_json,"
			" n_tokens_in=excluded.n_tokens_in, n_tokens_out=excluded.n_tokens_out,"
			" n_tokens_reasoning=excluded.n_tokens_reasoning,"
			" n_tokens_cached=excluded.n_tokens_cached, ttft_ms=excluded.ttft_ms,"
			" latency_ms=excluded.latency_ms, cost_usd=excluded.cost_usd, error=excluded.error,"
			" error_class=excluded.error_class, error_msg=excluded.error_msg,"
			" attempts=samples.attempts + excluded.attempts, git_rev=excluded.git_rev,"
			" created_at=excluded.created_at, ttfa_ms=excluded.ttfa_ms,"
			" itl_json=excluded.itl_json, logprobs_json=excluded.logprobs_json", -1, &st->put, NULL);
		if (rc != SQLITE_OK) {
			db_err(st, rc, "preparing the sample insert", err, errlen);
			return HX_ESTORE;
		}
	}
	now_iso(ts);
	sqlite3_reset(st->put);
	sqlite3_clear_bindings(st->put);
	sqlite3_bind_int64(st->put, i++, run_id);
	bind_text(st->put, i++, r->target);
	bind_text(st->put, i++, r->suite);
	bind_text(st->put, i++, r->item);
	sqlite3_bind_int(st->put, i++, r->sample);
	bind_text(st->put, i++, r->request_hash);
	bind_text(st->put, i++, r->response);
	bind_text(st->put, i++, r->reasoning);
	bind_text(st->put, i++, r->finish_reason);
	bind_text(st->put, i++, r->extracted);
	bind_text(st->put, i++, r->expected);
	if (r->error)
		sqlite3_bind_null(st->put, i++);
	else
		sqlite3_bind_double(st->put, i++, r->score);
	bind_text(st->put, i++, r->scores_json);
	bind_text(st->put, i++, r->answers_json);
	sqlite3_bind_int64(st->put, i++, r->n_tokens_in);
	sqlite3_bind_int64(st->put, i++, r->n_tokens_out);
	sqlite3_bind_int64(st->put, i++, r->n_tokens_reasoning);
	sqlite3_bind_int64(st->put, i++, r->n_tokens_cached);
	if (r->ttft_ms >= 0)
		sqlite3_bind_double(st->put, i++, r->ttft_ms);
	else
		sqlite3_bind_null(st->put, i++);
	if (r->latency_ms >= 0)
		sqlite3_bind_double(st->put, i++, r->latency_ms);
	else
		sqlite3_bind_null(st->put, i++);
	sqlite3_bind_double(st->put, i++, r->cost_usd);
	sqlite3_bind_int(st->put, i++, r->error);
	bind_text(st->put, i++, r->error_class);
	bind_text(st->put, i++, r->error_msg);
	sqlite3_bind_int(st->put, i++, r->attempts);
	bind_text(st->put, i++, hx_git_rev());
	bind_text(st->put, i++, ts);
	if (r->ttfa_ms >= 0)
		sqlite3_bind_double(st->put, i++, r->ttfa_ms);
	else
		sqlite3_bind_null(st->put, i++);
	if (gaps_json(st, r->gaps_ms, r->n_gaps, err, errlen))
		return HX_ENOMEM;
	if (r->n_gaps)
		sqlite3_bind_text(st->put, i++, st->gaps.p, (int)st->gaps.len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st->put, i++);
	bind_text(st->put, i++, r->logprobs_json);
	rc = sqlite3_step(st->put);
	sqlite3_reset(st->put);
	if (rc != SQLITE_DONE) {
		char what[256];
		snprintf(what, sizeof what, "storing sample %s/%s/%s#%d", r->target, r->suite, r->item,
			 r->sample);
		db_err(st, rc, what, err, errlen);
		return HX_ESTORE;
	}
	return 0;
}

int64_t hx_store_count_samples(hx_store *st, int64_t run_id)
{
	sqlite3_stmt *q = NULL;
	int64_t n = -1;
	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM samples WHERE run_id = ?", -1, &q,
	    NULL) == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, run_id);
		if (sqlite3_step(q) == SQLITE_ROW)
			n = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	return n;
}

int hx_store_set_shard(hx_store *st, int64_t run_id, int index, int count, char *err,
	size_t errlen)
{
	sqlite3_stmt *q = NULL;
	char want[24];
	int rc, ret = HX_ESTORE;

	if (count <= 1)
		return 0;   /* an unsharded run leaves the record as it is (a merged store stays one) */
	snprintf(want, sizeof want, "%d", index);
	rc = sqlite3_prepare_v2(st->db, "SELECT shard_count, shards, merged FROM runs WHERE id = ?",
		-1, &q, NULL);
	if (rc != SQLITE_OK || (sqlite3_bind_int64(q, 1, run_id), sqlite3_step(q)) != SQLITE_ROW) {
		db_err(st, rc, "reading the shard record", err, errlen);
		goto out;
	}
	if (sqlite3_column_type(q, 0) != SQLITE_NULL) {
		int have_n = sqlite3_column_int(q, 0);
		const char *have = (const char *)sqlite3_column_text(q, 1);
		if (have_n != count || !have || strcmp(have, want) != 0 || sqlite3_column_int(q, 2)) {
			snprintf(err, errlen, "%s: this store holds %s %s of %d, not shard %d/%d; give each "
				 "shard its own --out directory", st->path,
				 sqlite3_column_int(q, 2) ? "the merged shards" : "shard",
				 have ? have : "?", have_n, index, count);
			hx_escape_ctl(err, errlen);
			ret = HX_ECHANGED;
			goto out;
		}
		ret = 0;
		goto out;
	}
	sqlite3_finalize(q);
	q = NULL;
	rc = sqlite3_prepare_v2(st->db, "UPDATE runs SET shard_count = ?, shards = ? WHERE id = ?",
		-1, &q, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int(q, 1, count);
		bind_text(q, 2, want);
		sqlite3_bind_int64(q, 3, run_id);
		rc = sqlite3_step(q) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->db);
	}
	if (rc != SQLITE_OK)
		db_err(st, rc, "recording the shard", err, errlen);
	else
		ret = 0;
out:
	sqlite3_finalize(q);
	return ret;
}
