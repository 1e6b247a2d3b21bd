/* tests/harness/test_merge.c — `tierbench merge` (harness/merge.c) on shard stores written with
 * the store API: the union of four shards, idempotence, a merge plus a late shard, refusals
 * (different spec naming the key, different N, missing and unfinished shards, incomplete
 * items, conflicting rows, files that are not shard stores) that leave every file as it was,
 * --allow-partial; the shard record of a store; the shard read from Slurm and Kubernetes
 * variables. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "test.h"
#include "harness/harness.h"
#include "providers/provider.h"

static char tmpdir[64];

enum { N_ITEMS = 8, N_SHARDS = 4, SAMPLES = 2 };

static const char *path_of(const char *name)
{
	static char p[16][256];
	static int k;
	k = (k + 1) % 16;
	snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
	return p[k];
}

static void remove_store(const char *name)
{
	char p[300];
	static const char *const sfx[] = { "", "-wal", "-shm", ".lock" };
	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s%s", path_of(name), sfx[i]);
		unlink(p);
	}
}

static hx_spec *spec_of(long limit)
{
	hx_spec *s = hx_spec_new();
	hx_suite_spec *su;
	if (!s || !hx_spec_add_target(s, "samples", "gens.jsonl") || !(su = hx_spec_add_suite(s, "gsm8k")))
		return s;
	su->limit = limit;
	su->samples = SAMPLES;
	su->dataset = strdup("test.jsonl");
	return s;
}

/* Item k belongs to shard k % N_SHARDS here (what matters to merge is only that each shard
 * holds its own items). The score and latency depend on item and sample only, so a shard
 * written twice holds the same rows but for the time they were stored. */
static void put(hx_store *st, int64_t run, int item, int sample, int error, double latency)
{
	char id[16], err[256];
	hx_sample_row r;
	snprintf(id, sizeof id, "%d", item);
	memset(&r, 0, sizeof r);
	r.target = "samples:gens.jsonl";
	r.suite = "gsm8k";
	r.item = id;
	r.sample = sample;
	r.response = error ? NULL : "The answer is 4.";
	r.score = (item + sample) % 2;
	r.ttft_ms = -1;
	r.ttfa_ms = -1;
	r.latency_ms = latency;
	r.error = error;
	r.error_class = error ? prov_err_class_name((prov_err_class)error) : NULL;
	r.attempts = 1;
	if (hx_store_put_sample(st, run, &r, err, sizeof err))
		printf("  put: %s\n", err);
}

/* Writes shard `shard` of `count` into name: every sample of its items unless skip_item names
 * one to leave at one sample; status is the run's end status (NULL: left running). */
static int write_shard(const char *name, hx_spec *spec, int shard, int count, int skip_item,
	const char *status)
{
	char err[512];
	int64_t run;
	int resumed;
	hx_store *st;
	remove_store(name);
	if (!(st = hx_store_open(path_of(name), 1, err, sizeof err)))
		return printf("  open: %s\n", err), -1;
	if (hx_store_begin_run(st, spec, NULL, 0, &run, &resumed, err, sizeof err) ||
	    hx_store_set_shard(st, run, shard, count, err, sizeof err)) {
		printf("  begin: %s\n", err);
		hx_store_close(st);
		return -1;
	}
	for (int k = 0; k < N_ITEMS; k++)
		if (k % count == shard)
			for (int smp = 0; smp < SAMPLES; smp++)
				if (!(k == skip_item && smp == 1))
					put(st, run, k, smp, 0, 10.0 + k + smp / 4.0);
	if (status)
		hx_store_end_run(st, run, status);
	hx_store_close(st);
	return 0;
}

/* Every sample row of a store as text (key and results, not the row id), one per line.
 * Ownership: caller free()s; NULL when it cannot be read. */
static char *dump(const char *name)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	if (!out || sqlite3_open_v2(path_of(name), &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT target, suite, item, sample, score, latency_ms, error,"
		" created_at FROM samples ORDER BY target, suite, item, sample", -1, &q, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		free(out);
		return NULL;
	}
	out[0] = 0;
	while (sqlite3_step(q) == SQLITE_ROW && len + 512 < cap)
		len += (size_t)snprintf(out + len, cap - len, "%s|%s|%s|%d|%g|%g|%d|%s\n",
			sqlite3_column_text(q, 0), sqlite3_column_text(q, 1), sqlite3_column_text(q, 2),
			sqlite3_column_int(q, 3), sqlite3_column_double(q, 4), sqlite3_column_double(q, 5),
			sqlite3_column_int(q, 6), sqlite3_column_text(q, 7));
	sqlite3_finalize(q);
	sqlite3_close(db);
	return out;
}

static char *query(const char *name, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	char *v = NULL;
	if (sqlite3_open_v2(path_of(name), &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW &&
	    sqlite3_column_text(q, 0))
		v = strdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

/* The bytes of a file, to tell that a refused merge left it as it was. Ownership: free(). */
static char *slurp(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	char *b;
	long sz;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)sz + 1);
	*n = b ? fread(b, 1, (size_t)sz, f) : 0;
	fclose(f);
	return b;
}

static int same_file(const char *p, const char *bytes, size_t n)
{
	size_t m = 0;
	char *now = slurp(p, &m);
	int same = now && m == n && memcmp(now, bytes, n) == 0;
	free(now);
	return same;
}

static FILE *quiet_log(void)
{
	return fopen("/dev/null", "w");
}

static int merge(const char *out, const char *const *names, size_t n, int allow_partial,
	hx_merge_summary *sum, char *err, size_t errlen)
{
	const char *paths[8];
	hx_merge_opts o = { allow_partial, quiet_log() };
	int rc;
	for (size_t i = 0; i < n; i++)
		paths[i] = path_of(names[i]);
	rc = hx_merge(path_of(out), paths, n, &o, sum, err, errlen);
	fclose(o.log);
	if (getenv("TB_MERGE_DEBUG"))
		printf("  merge: %d %s\n", rc, rc ? err : "");
	return rc;
}

static const char *const shard_names[] = { "s0.db", "s1.db", "s2.db", "s3.db" };

static int write_all(hx_spec *spec)
{
	for (int i = 0; i < N_SHARDS; i++)
		if (write_shard(shard_names[i], spec, i, N_SHARDS, -1, "done"))
			return -1;
	return 0;
}

static void test_merge_unites_four_shards_into_one_finished_run(void)
{
	hx_spec *spec = spec_of(0);
	hx_merge_summary sum;
	char err[1024], *a, *b, *v;
	TB_REQUIRE(spec && write_all(spec) == 0);
	remove_store("m.db");
	TB_REQUIRE(merge("m.db", shard_names, 4, 0, &sum, err, sizeof err) == 0);
	TB_CHECK_INT(sum.shard_count, 4);
	TB_CHECK_INT(sum.n_shards_done, 4);
	TB_CHECK_INT(sum.n_samples, N_ITEMS * SAMPLES);
	TB_CHECK_INT(sum.partial, 0);
	v = query("m.db", "SELECT count(*) || ' ' || status || ' ' || shards || ' ' || merged FROM runs");
	TB_CHECK_STR(v, "1 done 0,1,2,3 1");
	free(v);
	v = query("m.db", "SELECT count(*) FROM (SELECT DISTINCT target, suite, item, sample FROM samples)");
	TB_CHECK_STR(v, "16");
	free(v);
	v = query("m.db", "SELECT count(*) FROM targets WHERE run_id = 1");
	TB_CHECK_STR(v, "1");
	free(v);
	/* the merged store is a single file: no -wal left beside it */
	TB_CHECK(access(path_of("m.db-wal"), F_OK) != 0);
	/* merging again gives the same rows */
	a = dump("m.db");
	TB_REQUIRE(merge("m.db", shard_names, 4, 0, &sum, err, sizeof err) == 0);
	b = dump("m.db");
	TB_REQUIRE(a && b);
	TB_CHECK(strlen(a) > 100);
	TB_CHECK_STR(a, b);
	/* a resumed run of the same spec finds every sample of the merged store */
	{
		hx_store *st = hx_store_open(path_of("m.db"), 1, err, sizeof err);
		int64_t run;
		int resumed = 0;
		TB_REQUIRE(st);
		TB_CHECK(hx_store_begin_run(st, spec, NULL, 0, &run, &resumed, err, sizeof err) == 0);
		TB_CHECK_INT(resumed, 1);
		TB_CHECK_INT(hx_store_count_samples(st, run), N_ITEMS * SAMPLES);
		hx_store_close(st);
	}
	free(a);
	free(b);
	hx_spec_free(spec);
}

static void test_merge_of_a_partial_merge_and_a_late_shard_equals_the_full_merge(void)
{
	hx_spec *spec = spec_of(0);
	hx_merge_summary sum;
	char err[1024], *full, *late, *v;
	const char *const first3[] = { "s0.db", "s1.db", "s2.db" };
	const char *const plus[] = { "p.db", "s3.db" };
	TB_REQUIRE(spec && write_all(spec) == 0);
	remove_store("f.db");
	remove_store("p.db");
	TB_REQUIRE(merge("f.db", shard_names, 4, 0, &sum, err, sizeof err) == 0);
	/* three of four: refused without --allow-partial, naming the count; nothing written */
	TB_CHECK_INT(merge("p.db", first3, 3, 0, &sum, err, sizeof err), HX_EINVAL);
	TB_CHECK(strstr(err, "1 missing shard") != NULL);
	TB_CHECK(access(path_of("p.db"), F_OK) != 0);
	TB_REQUIRE(merge("p.db", first3, 3, 1, &sum, err, sizeof err) == 0);
	TB_CHECK_INT(sum.partial, 1);
	TB_CHECK_INT(sum.n_missing, 1);
	v = query("p.db", "SELECT status || ' ' || shards FROM runs");
	TB_CHECK_STR(v, "partial 0,1,2");
	free(v);
	/* the partial merge (as an input and the output) plus the late shard */
	TB_REQUIRE(merge("p.db", plus, 2, 0, &sum, err, sizeof err) == 0);
	v = query("p.db", "SELECT status || ' ' || shards FROM runs");
	TB_CHECK_STR(v, "done 0,1,2,3");
	free(v);
	full = dump("f.db");
	late = dump("p.db");
	TB_REQUIRE(full && late);
	TB_CHECK_STR(full, late);
	free(full);
	free(late);
	hx_spec_free(spec);
}

static void test_merge_refuses_shards_of_different_specs_naming_the_key(void)
{
	hx_spec *a = spec_of(0), *b = spec_of(5);
	hx_merge_summary sum;
	char err[1024];
	size_t n0 = 0, n1 = 0;
	char *b0, *b1;
	TB_REQUIRE(a && b);
	TB_REQUIRE(write_all(a) == 0 && write_shard("s1.db", b, 1, N_SHARDS, -1, "done") == 0);
	b0 = slurp(path_of("s0.db"), &n0);
	b1 = slurp(path_of("s1.db"), &n1);
	remove_store("x.db");
	TB_CHECK_INT(merge("x.db", shard_names, 4, 1, &sum, err, sizeof err), HX_EINVAL);
	TB_CHECK(strstr(err, "s1.db") != NULL && strstr(err, "suites[0].limit") != NULL);
	TB_CHECK(access(path_of("x.db"), F_OK) != 0);
	TB_CHECK(same_file(path_of("s0.db"), b0, n0));
	TB_CHECK(same_file(path_of("s1.db"), b1, n1));
	free(b0);
	free(b1);
	hx_spec_free(a);
	hx_spec_free(b);
}

static void test_merge_refuses_shards_of_different_counts(void)
{
	hx_spec *spec = spec_of(0);
	hx_merge_summary sum;
	char err[1024];
	TB_REQUIRE(spec && write_all(spec) == 0);
	TB_REQUIRE(write_shard("s2.db", spec, 2, 3, -1, "done") == 0);
	remove_store("x.db");
	TB_CHECK_INT(merge("x.db", shard_names, 4, 1, &sum, err, sizeof err), HX_EINVAL);
	TB_CHECK(strstr(err, "s2.db: shard 2 of 3") != NULL && strstr(err, "one N") != NULL);
	TB_CHECK(access(path_of("x.db"), F_OK) != 0);
	hx_spec_free(spec);
}

static void test_merge_refuses_unfinished_shards_and_incomplete_items(void)
{
	hx_spec *spec = spec_of(0);
	hx_merge_summary sum;
	char err[1024], *v;
	TB_REQUIRE(spec && write_all(spec) == 0);
	/* shard 1 stopped mid-run: item 5 has one sample of two, and the run is "interrupted" */
	TB_REQUIRE(write_shard("s1.db", spec, 1, N_SHARDS, 5, "interrupted") == 0);
	remove_store("x.db");
	TB_CHECK_INT(merge("x.db", shard_names, 4, 0, &sum, err, sizeof err), HX_EINVAL);
	TB_CHECK(strstr(err, "1 missing shard, 1 unfinished, 1 incomplete item") != NULL);
	TB_CHECK(access(path_of("x.db"), F_OK) != 0);
	TB_REQUIRE(merge("x.db", shard_names, 4, 1, &sum, err, sizeof err) == 0);
	TB_CHECK_INT(sum.n_incomplete, 1);
	TB_CHECK_INT(sum.partial, 1);
	TB_CHECK_INT(sum.n_samples, N_ITEMS * SAMPLES - 1);
	v = query("x.db", "SELECT status || ' ' || shards FROM runs");
	TB_CHECK_STR(v, "partial 0,2,3");
	free(v);
	hx_spec_free(spec);
}

static void test_merge_stops_at_conflicting_rows_naming_the_item(void)
{
	hx_spec *spec = spec_of(0);
	hx_merge_summary sum;
	char err[1024];
	hx_store *st;
	int64_t run;
	int resumed;
	TB_REQUIRE(spec && write_all(spec) == 0);
	/* shard 3 also holds item 2 (shard 2's), with another latency */
	TB_REQUIRE((st = hx_store_open(path_of("s3.db"), 1, err, sizeof err)));
	TB_REQUIRE(hx_store_begin_run(st, spec, NULL, 0, &run, &resumed, err, sizeof err) == 0);
	put(st, run, 2, 0, 0, 99);
	hx_store_close(st);
	remove_store("x.db");
	TB_CHECK_INT(merge("x.db", shard_names, 4, 1, &sum, err, sizeof err), HX_EINVAL);
	TB_CHECK(strstr(err, "samples:gens.jsonl/gsm8k/2#0") != NULL && strstr(err, "latency_ms") != NULL);
	TB_CHECK(access(path_of("x.db"), F_OK) != 0);
	hx_spec_free(spec);
}

static void test_merge_takes_a_finished_sample_over_a_retried_failure(void)
{
	hx_spec *spec = spec_of(0);
	hx_merge_summary sum;
	char err[1024], *v, *bytes;
	size_t n = 0;
	hx_store *st;
	FILE *f;
	int64_t run;
	int resumed;
	const char *const with_old[] = { "old1.db", "s0.db", "s1.db", "s2.db", "s3.db" };
	TB_REQUIRE(spec && write_all(spec) == 0);
	/* a copy of shard 1 saved while it was stopped: item 1's first sample failed with a
	 * transport error (retried on resume) */
	TB_REQUIRE(write_shard("old1.db", spec, 1, N_SHARDS, -1, "interrupted") == 0);
	TB_REQUIRE((st = hx_store_open(path_of("old1.db"), 1, err, sizeof err)));
	TB_REQUIRE(hx_store_begin_run(st, spec, NULL, 0, &run, &resumed, err, sizeof err) == 0);
	put(st, run, 1, 0, PROV_ERR_TRANSPORT, 5);
	hx_store_end_run(st, run, "interrupted");
	hx_store_close(st);
	/* shard 1 itself: that copy, resumed to the end */
	remove_store("s1.db");
	TB_REQUIRE((bytes = slurp(path_of("old1.db"), &n)) && (f = fopen(path_of("s1.db"), "wb")));
	TB_REQUIRE(fwrite(bytes, 1, n, f) == n);
	fclose(f);
	free(bytes);
	TB_REQUIRE((st = hx_store_open(path_of("s1.db"), 1, err, sizeof err)));
	TB_REQUIRE(hx_store_begin_run(st, spec, NULL, 0, &run, &resumed, err, sizeof err) == 0);
	put(st, run, 1, 0, 0, 11);
	hx_store_end_run(st, run, "done");
	hx_store_close(st);
	remove_store("x.db");
	TB_REQUIRE(merge("x.db", with_old, 5, 0, &sum, err, sizeof err) == 0);
	v = query("x.db", "SELECT error || ' ' || latency_ms FROM samples WHERE item = '1' AND sample = 0");
	TB_CHECK_STR(v, "0 11.0");
	free(v);
	hx_spec_free(spec);
}

static void test_merge_refuses_what_is_not_a_shard_store(void)
{
	hx_spec *spec = spec_of(0);
	hx_merge_summary sum;
	char err[1024];
	const char *const junk[] = { "s0.db", "junk.db" };
	const char *const plain[] = { "s0.db", "plain.db" };
	const char *const none[] = { "s0.db", "missing.db" };
	const char *const half[] = { "s0.db", "half.db" };
	FILE *f;
	size_t n = 0;
	char *bytes;
	hx_store *st;
	int64_t run;
	int resumed;
	TB_REQUIRE(spec && write_all(spec) == 0);
	TB_REQUIRE((f = fopen(path_of("junk.db"), "w")));
	fputs("not a database, only text that is long enough to look like a header............\n", f);
	fclose(f);
	bytes = slurp(path_of("junk.db"), &n);
	remove_store("x.db");
	TB_CHECK_INT(merge("x.db", junk, 2, 1, &sum, err, sizeof err), HX_EINVAL);
	TB_CHECK(strstr(err, "junk.db: not a tierbench results store") != NULL);
	TB_CHECK(same_file(path_of("junk.db"), bytes, n));
	free(bytes);
	/* a store of an unsharded run */
	remove_store("plain.db");
	TB_REQUIRE((st = hx_store_open(path_of("plain.db"), 1, err, sizeof err)));
	TB_REQUIRE(hx_store_begin_run(st, spec, NULL, 0, &run, &resumed, err, sizeof err) == 0);
	hx_store_close(st);
	TB_CHECK_INT(merge("x.db", plain, 2, 1, &sum, err, sizeof err), HX_EINVAL);
	TB_CHECK(strstr(err, "plain.db: run 1 is not a shard") != NULL);
	TB_CHECK_INT(merge("x.db", none, 2, 1, &sum, err, sizeof err), HX_EINVAL);
	TB_CHECK(strstr(err, "missing.db: no results store here") != NULL);
	/* half-written: the first bytes of a real store */
	{
		char *whole = slurp(path_of("s1.db"), &n);
		TB_REQUIRE(whole && n > 4096);
		TB_REQUIRE((f = fopen(path_of("half.db"), "w")));
		fwrite(whole, 1, n / 2, f);
		fclose(f);
		free(whole);
	}
	TB_CHECK(merge("x.db", half, 2, 1, &sum, err, sizeof err) != 0);
	TB_CHECK(strstr(err, "half.db") != NULL && strchr(err, '\n') == NULL);
	TB_CHECK(access(path_of("x.db"), F_OK) != 0);
	/* an output that holds a run's own store is never replaced */
	TB_CHECK_INT(merge("plain.db", shard_names, 4, 0, &sum, err, sizeof err), HX_EINVAL);
	TB_CHECK(strstr(err, "no merge wrote") != NULL);
	hx_spec_free(spec);
}

static void test_merge_refuses_a_shard_still_being_written(void)
{
	hx_spec *spec = spec_of(0);
	hx_merge_summary sum;
	char err[1024];
	hx_store *st;
	TB_REQUIRE(spec && write_all(spec) == 0);
	/* a writer holds shard 2's lock, as a running `tierbench run` does */
	TB_REQUIRE((st = hx_store_open(path_of("s2.db"), 1, err, sizeof err)));
	remove_store("x.db");
	TB_CHECK_INT(merge("x.db", shard_names, 4, 1, &sum, err, sizeof err), HX_EINVAL);
	TB_CHECK(strstr(err, "s2.db: a tierbench process is still writing this store") != NULL);
	TB_CHECK(access(path_of("x.db"), F_OK) != 0);
	hx_store_close(st);
	TB_CHECK(merge("x.db", shard_names, 4, 0, &sum, err, sizeof err) == 0);
	hx_spec_free(spec);
}

static void test_store_keeps_one_shard_per_store(void)
{
	hx_spec *spec = spec_of(0);
	char err[1024];
	hx_store *st;
	int64_t run;
	int resumed;
	TB_REQUIRE(spec && write_shard("s0.db", spec, 0, N_SHARDS, -1, "done") == 0);
	TB_REQUIRE((st = hx_store_open(path_of("s0.db"), 1, err, sizeof err)));
	TB_REQUIRE(hx_store_begin_run(st, spec, NULL, 0, &run, &resumed, err, sizeof err) == 0);
	TB_CHECK_INT(hx_store_set_shard(st, run, 0, N_SHARDS, err, sizeof err), 0);
	TB_CHECK_INT(hx_store_set_shard(st, run, 1, N_SHARDS, err, sizeof err), HX_ECHANGED);
	TB_CHECK(strstr(err, "holds shard 0 of 4, not shard 1/4") != NULL);
	TB_CHECK_INT(hx_store_set_shard(st, run, 0, 2, err, sizeof err), HX_ECHANGED);
	TB_CHECK_INT(hx_store_set_shard(st, run, 0, 1, err, sizeof err), 0);
	hx_store_close(st);
	hx_spec_free(spec);
}

static void test_shard_comes_from_slurm_and_kubernetes_variables(void)
{
	hx_shard_env e;
	int i = -1, n = -1;
	char err[512];

	memset(&e, 0, sizeof e);
	TB_CHECK(hx_shard_from_env(&e, &i, &n, err, sizeof err) == 0);
	TB_CHECK(i == 0 && n == 1);
	/* --array=0-3 */
	e.slurm_id = "2", e.slurm_min = "0", e.slurm_max = "3", e.slurm_count = "4", e.slurm_step = "1";
	TB_CHECK(hx_shard_from_env(&e, &i, &n, err, sizeof err) == 0);
	TB_CHECK(i == 2 && n == 4);
	/* --array=5-8: the array need not start at 0 */
	e.slurm_id = "5", e.slurm_min = "5", e.slurm_max = "8";
	TB_CHECK(hx_shard_from_env(&e, &i, &n, err, sizeof err) == 0);
	TB_CHECK(i == 0 && n == 4);
	/* --array=1-7:2, with and without SLURM_ARRAY_TASK_STEP */
	e.slurm_id = "5", e.slurm_min = "1", e.slurm_max = "7", e.slurm_step = "2";
	TB_CHECK(hx_shard_from_env(&e, &i, &n, err, sizeof err) == 0);
	TB_CHECK(i == 2 && n == 4);
	e.slurm_step = NULL;
	TB_CHECK(hx_shard_from_env(&e, &i, &n, err, sizeof err) == 0);
	TB_CHECK(i == 2 && n == 4);
	/* an index outside the array */
	e.slurm_id = "9";
	TB_CHECK_INT(hx_shard_from_env(&e, &i, &n, err, sizeof err), HX_EINVAL);
	TB_CHECK(strstr(err, "SLURM_ARRAY_TASK_ID=9 is outside the array") != NULL);
	e.slurm_id = "4";
	TB_CHECK_INT(hx_shard_from_env(&e, &i, &n, err, sizeof err), HX_EINVAL);
	e.slurm_id = "x1";
	TB_CHECK_INT(hx_shard_from_env(&e, &i, &n, err, sizeof err), HX_EINVAL);
	TB_CHECK(strstr(err, "SLURM_ARRAY_TASK_ID=\"x1\"") != NULL);
	e.slurm_id = "1", e.slurm_count = NULL;
	TB_CHECK_INT(hx_shard_from_env(&e, &i, &n, err, sizeof err), HX_EINVAL);
	TB_CHECK(strstr(err, "SLURM_ARRAY_TASK_COUNT") != NULL);
	/* an Indexed Job pod */
	memset(&e, 0, sizeof e);
	e.k8s_index = "3", e.tb_shards = "4";
	TB_CHECK(hx_shard_from_env(&e, &i, &n, err, sizeof err) == 0);
	TB_CHECK(i == 3 && n == 4);
	e.k8s_index = "4";
	TB_CHECK_INT(hx_shard_from_env(&e, &i, &n, err, sizeof err), HX_EINVAL);
	TB_CHECK(strstr(err, "JOB_COMPLETION_INDEX=4 is outside TB_SHARDS=4") != NULL);
	e.tb_shards = NULL;
	TB_CHECK_INT(hx_shard_from_env(&e, &i, &n, err, sizeof err), HX_EINVAL);
	TB_CHECK(strstr(err, "TB_SHARDS is not") != NULL);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_merge_XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	TB_RUN(test_merge_unites_four_shards_into_one_finished_run);
	TB_RUN(test_merge_of_a_partial_merge_and_a_late_shard_equals_the_full_merge);
	TB_RUN(test_merge_refuses_shards_of_different_specs_naming_the_key);
	TB_RUN(test_merge_refuses_shards_of_different_counts);
	TB_RUN(test_merge_refuses_unfinished_shards_and_incomplete_items);
	TB_RUN(test_merge_stops_at_conflicting_rows_naming_the_item);
	TB_RUN(test_merge_takes_a_finished_sample_over_a_retried_failure);
	TB_RUN(test_merge_refuses_what_is_not_a_shard_store);
	TB_RUN(test_merge_refuses_a_shard_still_being_written);
	TB_RUN(test_store_keeps_one_shard_per_store);
	TB_RUN(test_shard_comes_from_slurm_and_kubernetes_variables);
	{
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpdir);
	}
	return tb_test_end();
}
