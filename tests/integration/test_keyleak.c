/* tests/integration/test_keyleak.c — API keys never reach an output: fake keys are planted in
 * OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY and a target's key_env; `tierbench run`
 * runs against loopback mocks whose error replies (retried 5xx, final 401) and answers echo the
 * key back, with verbose provider logging on stderr; then `tierbench report` writes every format, to files and to stdout. Every file
 * left behind (the raw SQLite store with its WAL, reports, charts), stdout and stderr are
 * searched for the keys and for fragments of them. Needs TB_BIN (set by make test). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "test.h"
#include "mock/mock.h"

static const struct { const char *env, *key, *frag; } keys[] = {
	{ "OPENAI_API_KEY", "sk-LEAKTEST-openai-0123456789abcdef", "LEAKTEST-openai" },
	{ "ANTHROPIC_API_KEY", "sk-ant-LEAKTEST-anthropic-0123456789", "LEAKTEST-anthropic" },
	{ "GEMINI_API_KEY", "AIzaLEAKTEST-gemini-0123456789abcdef", "LEAKTEST-gemini" },
	{ "TB_LEAK_KEY", "sk-LEAKTEST-keyenv-0123456789abcdef", "LEAKTEST-keyenv" },
};
#define N_KEYS 4

static char scratch[64];
static long n_files, n_bytes;

/* 1 when any key or fragment occurs in the file; prints where. */
static int file_leaks(const char *path)
{
	size_t n = 0;
	char *b = tb_slurp(path, &n);
	int bad = 0;
	if (!b)
		return 0;
	n_files++;
	n_bytes += (long)n;
	for (int k = 0; k < N_KEYS; k++)
		if (memmem(b, n, keys[k].frag, strlen(keys[k].frag))) {
			printf("  %s holds %s's key\n", path, keys[k].env);
			bad = 1;
		}
	free(b);
	return bad;
}

static int tree_leaks(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int bad = 0;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char p[1024];
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (lstat(p, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			bad |= tree_leaks(p);
		else if (S_ISREG(st.st_mode))
			bad |= file_leaks(p);
	}
	closedir(d);
	return bad;
}

/* fmt with its one "%s" replaced by key. */
static char *body_fmt(const char *fmt, const char *key)
{
	const char *at = strstr(fmt, "%s");
	size_t n = strlen(fmt) + strlen(key) + 1;
	char *b = malloc(n);
	if (b && at)
		snprintf(b, n, "%.*s%s%s", (int)(at - fmt), fmt, key, at + 2);
	return b;
}

static int64_t q1(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *q;
	int64_t v = -1;
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(h);
	return v;
}

static void test_planted_keys_reach_no_output_of_run_and_report(void)
{
	const char *bin = getenv("TB_BIN");
	const char *shared = tb_shared_dir();
	char path[512], cmd[4096], *anth = NULL, *gem = NULL, *spec;
	char *errs[N_KEYS * 2] = { 0 };
	mock_server m[N_KEYS];
	mock_step st[N_KEYS][3];
	FILE *f;
	int rc, started = 0;
	char *oa_ok = NULL;
	if (!bin || access(bin, X_OK))
		TB_SKIP("no TB_BIN");
	if (!shared)
		TB_SKIP("no shared fixtures");
	snprintf(path, sizeof path, "%s/fixtures/api/anthropic/message_stream.sse", shared);
	anth = tb_slurp(path, NULL);
	snprintf(path, sizeof path, "%s/fixtures/api/gemini/stream_generate_content.sse", shared);
	gem = tb_slurp(path, NULL);
	if (!anth || !gem) {
		free(anth);
		free(gem);
		TB_SKIP("no shared fixtures");
	}
	for (int k = 0; k < N_KEYS; k++)
		setenv(keys[k].env, keys[k].key, 1);
	/* The answer itself echoes the key too (openai-style targets). */
	oa_ok = malloc(4096);
	TB_REQUIRE(oa_ok);
	for (int k = 0; k < N_KEYS; k++) {
		const char *e500 = k == 1 ? "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":"
			"\"internal error serving key %s\"}}" : k == 2 ? "{\"error\":{\"code\":500,\"message\":"
			"\"Internal error for key %s\",\"status\":\"INTERNAL\"}}" :
			"{\"error\":{\"message\":\"The server had an error with key %s\",\"type\":\"server_error\"}}";
		const char *e401 = k == 1 ? "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
			"\"message\":\"invalid x-api-key %s\"}}" : k == 2 ? "{\"error\":{\"code\":401,\"message\":"
			"\"API key not valid: %s\",\"status\":\"UNAUTHENTICATED\"}}" :
			"{\"error\":{\"message\":\"Incorrect API key provided: %s.\",\"type\":\"invalid_request_error\"}}";
		errs[2 * k] = body_fmt(e500, keys[k].key);
		errs[2 * k + 1] = body_fmt(e401, keys[k].key);
		TB_REQUIRE(errs[2 * k] && errs[2 * k + 1]);
		st[k][0] = (mock_step){ 500, "Content-Type: application/json\r\n", errs[2 * k], 0, MOCK_FULL, 0 };
		st[k][1] = (mock_step){ 401, "Content-Type: application/json\r\n", errs[2 * k + 1], 0, MOCK_FULL, 0 };
		st[k][2] = (mock_step){ 200, "Content-Type: text/event-stream\r\n", NULL, 0, MOCK_FULL, 0 };
	}
	for (int j = 0; j < 2; j++)
		snprintf(oa_ok + 2048 * j, 2048, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"The answer is 4. "
		"(%s)\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
		"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":6}}\n\n"
		"data: [DONE]\n\n", keys[j ? 3 : 0].key);
	st[0][2].body = oa_ok;
	st[1][2].body = anth;
	st[2][2].body = gem;
	st[3][2].body = oa_ok + 2048;   /* the key_env target's own key */
	for (; started < N_KEYS; started++)
		if (mock_start(&m[started], st[started], 3))
			break;
	TB_REQUIRE(started == N_KEYS);
	spec = malloc(8192);
	TB_REQUIRE(spec);
	snprintf(spec, 8192, "{\"name\": \"leak\", \"concurrency\": 2, \"targets\": ["
		"{\"id\": \"oa\", \"provider\": \"openai\", \"model\": \"gpt-4.1-mini\", \"options\": {\"base_url\":"
		" \"http://127.0.0.1:%d/v1\", \"max_retries\": 1, \"backoff_ms\": 1}},"
		"{\"id\": \"an\", \"provider\": \"anthropic\", \"model\": \"claude-haiku-4-5\", \"options\":"
		" {\"base_url\": \"http://127.0.0.1:%d\", \"max_retries\": 1, \"backoff_ms\": 1}},"
		"{\"id\": \"ge\", \"provider\": \"gemini\", \"model\": \"gemini-2.5-flash\", \"options\":"
		" {\"base_url\": \"http://127.0.0.1:%d\", \"max_retries\": 1, \"backoff_ms\": 1}},"
		"{\"id\": \"ke\", \"provider\": \"openai\", \"model\": \"m\", \"options\": {\"base_url\":"
		" \"http://127.0.0.1:%d/v1\", \"key_env\": \"TB_LEAK_KEY\", \"max_retries\": 1,"
		" \"backoff_ms\": 1}, \"prices\": {\"input_per_mtok\": 1, \"output_per_mtok\": 2}}],"
		" \"suites\": [{\"name\": \"gsm8k\", \"dataset\": \"%s/datasets/demo/arith.jsonl\","
		" \"limit\": 4, \"shots\": 0}]}", m[0].port, m[1].port, m[2].port, m[3].port,
		getcwd(path, sizeof path) ? path : ".");
	snprintf(path, sizeof path, "%s/spec.json", scratch);
	TB_REQUIRE((f = fopen(path, "w")) != NULL);
	fputs(spec, f);
	fclose(f);
	/* Keys are also passed where a careless program might echo its environment. */
	snprintf(cmd, sizeof cmd, "'%s' run '%s/spec.json' --out '%s/run' --no-bw -vv >'%s/run.out' 2>'%s/run.err'",
		bin, scratch, scratch, scratch, scratch);
	rc = system(cmd);
	for (int k = 0; k < N_KEYS; k++)
		mock_stop(&m[k]);
	TB_CHECK(rc != -1);
	snprintf(cmd, sizeof cmd, "'%s' report '%s/run' --format md,html,csv,json --out '%s/rep'"
		" >'%s/rep.out' 2>'%s/rep.err'; for f in md html csv json; do '%s' report '%s/run' --format $f"
		" >'%s/stdout.'$f 2>'%s/stderr.'$f; done", bin, scratch, scratch, scratch, scratch, bin,
		scratch, scratch, scratch);
	TB_CHECK(system(cmd) != -1);
	/* Not vacuous: every mock was asked, errors and answers were stored, and the echoed keys
	 * arrived and were redacted. */
	for (int k = 0; k < N_KEYS; k++)
		TB_CHECK(m[k].n_requests >= 3);
	snprintf(path, sizeof path, "%s/run/results.db", scratch);
	TB_CHECK(q1(path, "SELECT count(*) FROM samples WHERE error_class = 'auth'") >= 4);
	TB_CHECK(q1(path, "SELECT count(*) FROM samples WHERE error = 0") >= 4);
	TB_CHECK(q1(path, "SELECT count(*) FROM samples WHERE error_msg LIKE '%[redacted]%'") >= 4);
	TB_CHECK(q1(path, "SELECT count(*) FROM samples WHERE response LIKE '%[redacted]%'") >= 2);
	/* The verbose log went to stderr, with the echoed error bodies, redacted. */
	snprintf(path, sizeof path, "%s/run.err", scratch);
	{
		char *log = tb_slurp(path, NULL);
		TB_CHECK(log && strstr(log, "retrying in") && strstr(log, "body:") &&
			 strstr(log, "[redacted]"));
		free(log);
	}
	n_files = n_bytes = 0;
	TB_CHECK(!tree_leaks(scratch));
	TB_CHECK(n_files >= 12);
	printf("  searched %ld files, %ld bytes\n", n_files, n_bytes);
	for (int k = 0; k < N_KEYS * 2; k++)
		free(errs[k]);
	for (int k = 0; k < N_KEYS; k++)
		unsetenv(keys[k].env);
	free(spec);
	free(oa_ok);
	free(anth);
	free(gem);
}

int main(void)
{
	char cmd[128];
	int rc;
	strcpy(scratch, "/tmp/tb_leak_XXXXXX");
	if (!mkdtemp(scratch)) {
		printf("cannot make a scratch folder\n");
		return 1;
	}
	TB_RUN(test_planted_keys_reach_no_output_of_run_and_report);
	rc = tb_test_end();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
	if (system(cmd) != 0)
		printf("could not remove %s\n", scratch);
	return rc;
}
