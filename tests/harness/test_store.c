/* tests/harness/test_store.c — the results store: schema and migrations, resume of the same
 * spec, refusal of a changed one, idempotent sample keys, retry of transport failures, disk
 * full, and files that are not stores. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "test.h"
#include "harness/harness.h"
#include "providers/provider.h"

static char tmpdir[64];

static const char *db_path(const char *name)
{
	static char p[256];
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	unlink(p);
	return p;
}

static hx_spec *small_spec(long limit)
{
	hx_spec *s = hx_spec_new();
	hx_suite_spec *su;
	if (!s || !hx_spec_add_target(s, "samples", "gens.jsonl") || !(su = hx_spec_add_suite(s, "gsm8k")))
		return s;
	su->limit = limit;
	su->dataset = strdup("test.jsonl");
	return s;
}

static hx_sample_row row(const char *item, int sample, int error)
{
	hx_sample_row r;
	memset(&r, 0, sizeof r);
	r.target = "samples:gens.jsonl";
	r.suite = "gsm8k";
	r.item = item;
	r.sample = sample;
	r.response = error ? NULL : "The answer is 4.";
	r.score = 1;
	r.scores_json = "{\"strict\":1,\"flexible\":1}";
	r.ttft_ms = -1;
	r.latency_ms = 12.5;
	r.error = error;
	r.error_class = error ? prov_err_class_name((prov_err_class)error) : NULL;
	r.attempts = 1;
	return r;
}

static int64_t count(hx_store *st, const char *sql)
{
	sqlite3_stmt *q;
	int64_t n = -1;
	if (sqlite3_prepare_v2(hx_store_db(st), sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

static void test_store_creates_schema_in_wal_mode(void)
{
	char err[512];
	hx_store *st = hx_store_open(db_path("a.db"), 1, err, sizeof err);
	sqlite3_stmt *q;
	TB_REQUIRE(st != NULL);
	TB_CHECK_INT(count(st, "PRAGMA user_version"), HX_STORE_SCHEMA_VERSION);
	TB_CHECK_INT(count(st, "SELECT count(*) FROM sqlite_master WHERE name IN ('runs','targets','samples')"), 3);
	TB_REQUIRE(sqlite3_prepare_v2(hx_store_db(st), "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK);
	TB_CHECK(sqlite3_step(q) == SQLITE_ROW);
	TB_CHECK_STR((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_finalize(q);
	TB_CHECK_INT(hx_store_latest_run(st), -1);
	hx_store_close(st);
	hx_store_close(NULL);
}

static void test_store_refuses_store_from_newer_schema(void)
{
	char err[512];
	const char *p = db_path("newer.db");
	hx_store *st = hx_store_open(p, 1, err, sizeof err);
	TB_REQUIRE(st != NULL);
	sqlite3_exec(hx_store_db(st), "PRAGMA user_version = 99", NULL, NULL, NULL);
	hx_store_close(st);
	st = hx_store_open(p, 0, err, sizeof err);
	TB_CHECK(st == NULL);
	TB_CHECK(strstr(err, "schema version 99 is newer than this tierbench") != NULL);
	hx_store_close(st);
}

static void test_store_refuses_file_that_is_not_a_database(void)
{
	char err[512];
	const char *p = db_path("junk.db");
	FILE *f = fopen(p, "w");
	TB_REQUIRE(f != NULL);
	fputs("this is not an SQLite file, it is a text file with enough bytes in it to look like a header....."
	      "..................................................", f);
	fclose(f);
	TB_CHECK(hx_store_open(p, 0, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "junk.db") != NULL);
	TB_CHECK(hx_store_open(db_path("absent.db"), 0, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "absent.db: cannot open") != NULL);
}

static void test_store_resumes_same_spec_and_refuses_changed_spec(void)
{
	char err[1024];
	const char *p = db_path("resume.db");
	hx_store *st = hx_store_open(p, 1, err, sizeof err);
	hx_spec *s1 = small_spec(10), *s2 = small_spec(10), *s3 = small_spec(20);
	int64_t id1 = 0, id2 = 0, id3 = 0;
	int resumed = -1;
	TB_REQUIRE(st && s1 && s2 && s3);
	TB_CHECK_INT(hx_store_begin_run(st, s1, "{}", 0, &id1, &resumed, err, sizeof err), 0);
	TB_CHECK_INT(resumed, 0);
	s2->concurrency = 99;     /* not part of the identity */
	TB_CHECK_INT(hx_store_begin_run(st, s2, NULL, 0, &id2, &resumed, err, sizeof err), 0);
	TB_CHECK_INT(resumed, 1);
	TB_CHECK_INT(id2, id1);
	TB_CHECK_INT(hx_store_begin_run(st, s3, NULL, 0, &id3, &resumed, err, sizeof err), HX_ECHANGED);
	TB_CHECK(strstr(err, "the spec differs from run 1") != NULL);
	TB_CHECK(strstr(err, "--force-new") != NULL);
	TB_CHECK(strstr(err, "limit") != NULL);
	TB_CHECK_INT(hx_store_begin_run(st, s3, NULL, 1, &id3, &resumed, err, sizeof err), 0);
	TB_CHECK_INT(resumed, 0);
	TB_CHECK(id3 != id1);
	TB_CHECK_INT(count(st, "SELECT count(*) FROM runs"), 2);
	TB_CHECK_INT(count(st, "SELECT count(*) FROM targets"), 2);
	TB_CHECK_INT(count(st, "SELECT count(*) FROM runs WHERE build_json LIKE '%git_rev%'"), 2);
	TB_CHECK_INT(hx_store_end_run(st, id3, "done"), 0);
	hx_spec_free(s1);
	hx_spec_free(s2);
	hx_spec_free(s3);
	hx_store_close(st);
}

typedef struct seen {
	int n;
	char items[16][16];
} seen;

static void on_done(void *ud, const char *t, const char *s, const char *item, int sample)
{
	seen *x = ud;
	(void)t;
	(void)s;
	(void)sample;
	if (x->n < 16)
		snprintf(x->items[x->n], 16, "%s", item);
	x->n++;
}

static void test_store_put_is_unique_on_key_and_retries_transport_errors(void)
{
	char err[512];
	hx_store *st = hx_store_open(db_path("put.db"), 1, err, sizeof err);
	hx_spec *s = small_spec(0);
	int64_t id;
	int resumed;
	hx_sample_row r;
	seen x = { 0 };
	TB_REQUIRE(st && s);
	TB_REQUIRE(hx_store_begin_run(st, s, NULL, 0, &id, &resumed, err, sizeof err) == 0);
	r = row("0", 0, 0);
	TB_CHECK_INT(hx_store_put_sample(st, id, &r, err, sizeof err), 0);
	TB_CHECK_INT(hx_store_put_sample(st, id, &r, err, sizeof err), 0);  /* same key: replaced */
	r = row("1", 0, PROV_ERR_TRANSPORT);
	TB_CHECK_INT(hx_store_put_sample(st, id, &r, err, sizeof err), 0);
	r = row("2", 0, PROV_ERR_CLIENT);
	TB_CHECK_INT(hx_store_put_sample(st, id, &r, err, sizeof err), 0);
	r = row("0", 1, 0);
	TB_CHECK_INT(hx_store_put_sample(st, id, &r, err, sizeof err), 0);
	TB_CHECK_INT(hx_store_count_samples(st, id), 4);
	TB_CHECK_INT(hx_store_each_done(st, id, on_done, &x), 0);
	TB_CHECK_INT(x.n, 3);   /* the transport failure is not "done" */
	for (int i = 0; i < x.n && i < 16; i++)
		TB_CHECK(strcmp(x.items[i], "1") != 0);
	/* the retried transport failure succeeds: same row, attempts add up */
	r = row("1", 0, 0);
	TB_CHECK_INT(hx_store_put_sample(st, id, &r, err, sizeof err), 0);
	TB_CHECK_INT(hx_store_count_samples(st, id), 4);
	TB_CHECK_INT(count(st, "SELECT attempts FROM samples WHERE item = '1'"), 2);
	TB_CHECK_INT(count(st, "SELECT count(*) FROM samples WHERE score IS NULL"), 1);
	TB_CHECK_INT(count(st, "SELECT count(*) FROM samples WHERE ttft_ms IS NULL"), 4);
	hx_spec_free(s);
	hx_store_close(st);
}

static void test_store_reports_disk_full_and_keeps_stored_rows(void)
{
	char err[512];
	const char *p = db_path("full.db");
	hx_store *st = hx_store_open(p, 1, err, sizeof err);
	hx_spec *s = small_spec(0);
	int64_t id;
	int resumed, rc = 0, stored = 0;
	char item[32], big[4000];
	hx_sample_row r;
	TB_REQUIRE(st && s);
	TB_REQUIRE(hx_store_begin_run(st, s, NULL, 0, &id, &resumed, err, sizeof err) == 0);
	/* A page limit makes SQLite answer SQLITE_FULL exactly as a full disk does. */
	sqlite3_exec(hx_store_db(st), "PRAGMA max_page_count = 40", NULL, NULL, NULL);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	for (int i = 0; i < 1000 && rc == 0; i++) {
		snprintf(item, sizeof item, "%d", i);
		r = row(item, 0, 0);
		r.response = big;
		rc = hx_store_put_sample(st, id, &r, err, sizeof err);
		if (rc == 0)
			stored++;
	}
	TB_CHECK_INT(rc, HX_ESTORE);
	TB_CHECK(strstr(err, "disk full") != NULL);
	TB_CHECK(strstr(err, "full.db") != NULL);
	TB_CHECK(stored > 0);
	hx_store_close(st);
	st = hx_store_open(p, 0, err, sizeof err);
	TB_REQUIRE(st != NULL);
	TB_CHECK_INT(hx_store_count_samples(st, id), stored);
	hx_spec_free(s);
	hx_store_close(st);
}

static void test_sha256_matches_known_vectors(void)
{
	char h[65];
	hx_sha256_hex("", 0, h);
	TB_CHECK_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hx_sha256_hex("abc", 3, h);
	TB_CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hx_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, h);
	TB_CHECK_STR(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* A store written by schema 1 (no ttfa_ms / itl_json) opens, keeps its rows, and takes the
 * new per-request fields from then on. */
static void test_store_migrates_version_1_store_and_keeps_rows(void)
{
	static const double gaps[] = { 12.5, 3.0004, 0.25 };
	char err[512];
	const char *p = db_path("v1.db");
	sqlite3 *db;
	hx_store *st;
	hx_spec *spec = small_spec(3);
	int64_t run;
	int resumed;
	hx_sample_row r = row("1", 0, 0);
	sqlite3_stmt *q;
	/* Build a v1 store by hand: the v1 tables as schema 1 wrote them, one old sample row. */
	TB_REQUIRE(sqlite3_open(p, &db) == SQLITE_OK);
	TB_REQUIRE(sqlite3_exec(db,
		"CREATE TABLE runs(id INTEGER PRIMARY KEY, name TEXT, identity_hash TEXT NOT NULL,"
		" identity_json TEXT NOT NULL, spec_json TEXT NOT NULL, build_json TEXT NOT NULL,"
		" git_rev TEXT, hw_json TEXT, started_at TEXT NOT NULL, resumed_at TEXT, finished_at TEXT,"
		" status TEXT NOT NULL DEFAULT 'running');"
		"CREATE TABLE targets(run_id INTEGER NOT NULL REFERENCES runs(id), target TEXT NOT NULL,"
		" provider TEXT NOT NULL, model TEXT NOT NULL, quant TEXT, options_json TEXT,"
		" hardware_json TEXT, price_in_usd_per_mtok REAL, price_out_usd_per_mtok REAL,"
		" PRIMARY KEY(run_id, target));"
		"CREATE TABLE samples(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),"
		" target TEXT NOT NULL, suite TEXT NOT NULL, item TEXT NOT NULL, sample INTEGER NOT NULL,"
		" request_hash TEXT, response TEXT, reasoning TEXT, finish_reason TEXT, extracted TEXT,"
		" expected TEXT, score REAL, scores_json TEXT, answers_json TEXT, n_tokens_in INTEGER,"
		" n_tokens_out INTEGER, n_tokens_reasoning INTEGER, n_tokens_cached INTEGER, ttft_ms REAL,"
		" latency_ms REAL, cost_usd REAL, error INTEGER NOT NULL DEFAULT 0, error_class TEXT,"
		" error_msg TEXT, attempts INTEGER, git_rev TEXT, created_at TEXT NOT NULL,"
		" UNIQUE(run_id, target, suite, item, sample));"
		"INSERT INTO runs(id, identity_hash, identity_json, spec_json, build_json, started_at)"
		" VALUES(1, 'h', '{}', '{}', '{}', 'then');"
		"INSERT INTO samples(run_id, target, suite, item, sample, score, created_at)"
		" VALUES(1, 't', 'gsm8k', 'old', 0, 1, 'then');"
		"PRAGMA user_version = 1;", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	TB_REQUIRE((st = hx_store_open(p, 0, err, sizeof err)) != NULL);
	TB_CHECK_INT(count(st, "PRAGMA user_version"), HX_STORE_SCHEMA_VERSION);
	TB_CHECK_INT(count(st, "SELECT count(*) FROM samples WHERE item = 'old' AND itl_json IS NULL"
		" AND ttfa_ms IS NULL"), 1);
	TB_REQUIRE(hx_store_begin_run(st, spec, NULL, 1, &run, &resumed, err, sizeof err) == 0);
	r.ttfa_ms = 40.25;
	r.gaps_ms = gaps;
	r.n_gaps = 3;
	TB_REQUIRE(hx_store_put_sample(st, run, &r, err, sizeof err) == 0);
	TB_REQUIRE(sqlite3_prepare_v2(hx_store_db(st), "SELECT ttfa_ms, itl_json FROM samples WHERE"
		" item = '1'", -1, &q, NULL) == SQLITE_OK);
	TB_REQUIRE(sqlite3_step(q) == SQLITE_ROW);
	TB_CHECK_NEAR(sqlite3_column_double(q, 0), 40.25, 1e-9);
	TB_CHECK_STR((const char *)sqlite3_column_text(q, 1), "[12.5,3,0.25]");
	sqlite3_finalize(q);
	hx_store_close(st);
	hx_spec_free(spec);
}

/* A second writer into a store whose run is in progress is refused at once (no work done
 * twice); the lock goes with the process, so a killed run can be resumed straight away. */
static void test_store_refuses_second_writer_and_frees_lock_of_killed_one(void)
{
	char err[512];
	const char *p = db_path("locked.db");
	hx_store *a = hx_store_open(p, 1, err, sizeof err), *b;
	int ready[2], status;
	pid_t pid;
	char c;

	TB_REQUIRE(a != NULL);
	b = hx_store_open(p, 1, err, sizeof err);
	TB_CHECK(b == NULL);
	TB_CHECK(strstr(err, "another tierbench process") != NULL);
	TB_CHECK(strstr(err, "pid ") != NULL);
	hx_store_close(b);
	/* readers (reports) are not writers: they still open it */
	TB_CHECK((b = hx_store_open(p, 0, err, sizeof err)) != NULL);
	hx_store_close(b);
	hx_store_close(a);
	TB_CHECK((a = hx_store_open(p, 1, err, sizeof err)) != NULL);
	hx_store_close(a);

	/* a child holds the store and is killed: its lock must not outlive it */
	TB_REQUIRE(pipe(ready) == 0);
	pid = fork();
	TB_REQUIRE(pid >= 0);
	if (pid == 0) {
		hx_store *st = hx_store_open(p, 1, err, sizeof err);
		close(ready[0]);
		if (st && write(ready[1], "x", 1) == 1)
			pause();
		_exit(1);
	}
	close(ready[1]);
	TB_REQUIRE(read(ready[0], &c, 1) == 1);
	close(ready[0]);
	TB_CHECK(hx_store_open(p, 1, err, sizeof err) == NULL);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	a = hx_store_open(p, 1, err, sizeof err);
	TB_CHECK(a != NULL);
	hx_store_close(a);
}

/* An SQLite file of another program is refused and left exactly as it was: not switched to
 * WAL, no tierbench tables added. */
static void test_store_refuses_foreign_sqlite_database_and_leaves_it_unchanged(void)
{
	char err[512];
	const char *p = db_path("foreign.db");
	sqlite3 *db;
	sqlite3_stmt *q;
	char mode[16] = "";
	int n = -1;

	TB_REQUIRE(sqlite3_open(p, &db) == SQLITE_OK);
	TB_REQUIRE(sqlite3_exec(db, "CREATE TABLE notes(x TEXT); INSERT INTO notes VALUES('mine');",
		NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	TB_CHECK(hx_store_open(p, 1, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "not a tierbench results store") != NULL);
	TB_CHECK(hx_store_open(p, 0, err, sizeof err) == NULL);
	TB_REQUIRE(sqlite3_open(p, &db) == SQLITE_OK);
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	TB_CHECK_STR(mode, "delete");
	TB_CHECK_INT(n, 1);
}

/* A directory or a FIFO where the store should be is one line naming what it is, at once. */
static void test_store_refuses_directory_and_fifo_without_blocking(void)
{
	char err[512];
	const char *p = db_path("dir.db");

	TB_REQUIRE(mkdir(p, 0755) == 0);
	TB_CHECK(hx_store_open(p, 1, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "is a directory") != NULL);
	TB_CHECK(hx_store_open(p, 0, err, sizeof err) == NULL);
	rmdir(p);
	p = db_path("fifo.db");
	TB_REQUIRE(mkfifo(p, 0644) == 0);
	alarm(20);   /* a blocked open fails the test instead of hanging it */
	TB_CHECK(hx_store_open(p, 0, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "FIFO") != NULL);
	TB_CHECK(hx_store_open(p, 1, err, sizeof err) == NULL);
	alarm(0);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_store_XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	TB_RUN(test_store_creates_schema_in_wal_mode);
	TB_RUN(test_store_refuses_store_from_newer_schema);
	TB_RUN(test_store_migrates_version_1_store_and_keeps_rows);
	TB_RUN(test_store_refuses_file_that_is_not_a_database);
	TB_RUN(test_store_resumes_same_spec_and_refuses_changed_spec);
	TB_RUN(test_store_put_is_unique_on_key_and_retries_transport_errors);
	TB_RUN(test_store_reports_disk_full_and_keeps_stored_rows);
	TB_RUN(test_sha256_matches_known_vectors);
	TB_RUN(test_store_refuses_second_writer_and_frees_lock_of_killed_one);
	TB_RUN(test_store_refuses_foreign_sqlite_database_and_leaves_it_unchanged);
	TB_RUN(test_store_refuses_directory_and_fifo_without_blocking);
	tb_rmtree(tmpdir);
	return tb_test_end();
}
