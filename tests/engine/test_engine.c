/* tests/engine/test_engine.c — engine/engine.c: the log sink. Messages reach the host's sink
 * (the provider sink's shape: ud, level, line) at and above its level only, and none without a
 * sink; a vocabulary warning and a model load's info line are the messages checked. And the
 * load's memory check reading cgroup v1 and v2 limits (eng_cgroup_room) on a made-up tree. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "base/base.h"
#include "engine/engine.h"
#include "engine/engine_impl.h"
#include "engine/vocab_impl.h"

typedef struct seen {
	int n, level, by_level[4];
	char last[1024];
} seen;

static void on_log(void *ud, int level, const char *msg)
{
	seen *s = ud;
	s->n++;
	s->level = level;
	if (level >= 0 && level < 4)
		s->by_level[level]++;
	snprintf(s->last, sizeof s->last, "%s", msg);
}

/* Loads the vocabulary of a small GGUF whose EOS id is out of range (the engine warns and keeps
 * its default). Returns 0, or -1 when the file could not be made or read. */
static int load_bad_eos(const char *dir)
{
	static const char *const toks[] = { "<unk>", "<s>", "</s>", "a", "b" };
	eng_gguf_writer *w = eng_gguf_writer_new();
	char path[256], err[256];
	eng_gguf *g = NULL;
	eng_vocab *v = NULL;
	int rc = -1;

	snprintf(path, sizeof path, "%s/eos.gguf", dir);
	if (!w || eng_gguf_w_str(w, "tokenizer.ggml.model", "llama") ||
	    eng_gguf_w_arr_str(w, "tokenizer.ggml.tokens", toks, 5) ||
	    eng_gguf_w_u32(w, "tokenizer.ggml.eos_token_id", 99) ||
	    eng_gguf_writer_save(w, path, err, sizeof err))
		goto done;
	if ((g = eng_gguf_open(path, err, sizeof err)) && (v = eng_vocab_load(g, path, err, sizeof err)))
		rc = 0;
done:
	eng_vocab_free(v);
	eng_gguf_close(g);
	eng_gguf_writer_free(w);
	return rc;
}

static void test_engine_warning_reaches_the_sink_with_its_level(void)
{
	char dir[64] = "/tmp/tb_eng_XXXXXX";
	seen s = { 0 };

	TB_REQUIRE(mkdtemp(dir) != NULL);
	eng_log_set(on_log, &s, ENG_LOG_WARN);
	TB_CHECK_INT(load_bad_eos(dir), 0);
	TB_CHECK_INT(s.n, 1);
	TB_CHECK_INT(s.level, ENG_LOG_WARN);
	TB_CHECK(strstr(s.last, "tokenizer.ggml.eos_token_id out of range") != NULL);
	/* a sink for errors only hears nothing of a warning; no sink, nothing at all */
	memset(&s, 0, sizeof s);
	eng_log_set(on_log, &s, ENG_LOG_ERROR);
	TB_CHECK_INT(load_bad_eos(dir), 0);
	TB_CHECK_INT(s.n, 0);
	eng_log_set(NULL, &s, ENG_LOG_DEBUG);
	TB_CHECK_INT(load_bad_eos(dir), 0);
	TB_CHECK_INT(s.n, 0);
	tb_rmtree(dir);
}

static void test_engine_model_load_warns_and_informs_by_level(void)
{
	const char *sh = tb_shared_dir();
	char path[600], err[512];
	eng_opts o = eng_opts_default();
	eng_model *m;
	seen s = { 0 };

	if (!sh)
		TB_SKIP("no shared folder");
	snprintf(path, sizeof path, "%s/models/stories260K.gguf", sh);
	if (access(path, R_OK) != 0)
		TB_SKIP("%.200s is missing", path);
	o.n_threads = 1;
	/* stories260K names two special ids past its vocabulary: warnings, before the info line */
	eng_log_set(on_log, &s, ENG_LOG_ERROR);
	m = eng_load(path, &o, err, sizeof err);
	TB_REQUIRE(m != NULL);
	eng_model_free(m);
	TB_CHECK_INT(s.n, 0);
	eng_log_set(on_log, &s, ENG_LOG_WARN);
	m = eng_load(path, &o, err, sizeof err);
	TB_REQUIRE(m != NULL);
	eng_model_free(m);
	TB_CHECK(s.n >= 1 && s.n == s.by_level[ENG_LOG_WARN]);
	TB_CHECK(strstr(s.last, "out of range") != NULL);
	memset(&s, 0, sizeof s);
	eng_log_set(on_log, &s, ENG_LOG_INFO);
	m = eng_load(path, &o, err, sizeof err);
	TB_REQUIRE(m != NULL);
	eng_model_free(m);
	eng_log_set(NULL, NULL, 0);
	TB_CHECK_INT(s.by_level[ENG_LOG_INFO], 1);
	TB_CHECK_INT(s.level, ENG_LOG_INFO);
	TB_CHECK(strstr(s.last, "stories260K.gguf: llama, ") != NULL);
}

/* Writes text to root/rel, making the folders on the way. */
static void put(const char *root, const char *rel, const char *text)
{
	char p[512], err[256];
	char *dir;

	snprintf(p, sizeof p, "%s/%s", root, rel);
	dir = tb_path_dir(p);
	TB_REQUIRE(dir && tb_mkdir_p(dir, err, sizeof err) == 0);
	free(dir);
	TB_REQUIRE(tb_file_write_atomic(p, text, strlen(text), err, sizeof err) == 0);
}

static void test_engine_cgroup_room_reads_v1_and_v2_limits_up_the_tree(void)
{
	char root[] = "/tmp/tb_cgroup_XXXXXX";

	TB_REQUIRE(mkdtemp(root));
	/* v1: the group a/b allows 1000 and uses 400; a sets no limit (v1's huge number) */
	put(root, "memory/a/b/memory.limit_in_bytes", "1000\n");
	put(root, "memory/a/b/memory.usage_in_bytes", "400\n");
	put(root, "memory/a/memory.limit_in_bytes", "9223372036854771712\n");
	put(root, "memory/a/memory.usage_in_bytes", "5000\n");
	TB_CHECK(eng_cgroup_room(root, "12:pids:/a/b\n4:memory:/a/b\n0::/\n") == 600);
	TB_CHECK(eng_cgroup_room(root, "5:cpu,memory:/a/b\n") == 600);   /* joined controllers */
	TB_CHECK(eng_cgroup_room(root, "5:cpu,cpuacct:/a/b\n") == UINT64_MAX);   /* not memory */
	/* a tighter limit above the group holds */
	put(root, "memory/a/memory.limit_in_bytes", "5050\n");
	TB_CHECK(eng_cgroup_room(root, "4:memory:/a/b\n") == 50);
	/* v2: the group x (memory.max "max") under a root that allows 2000 and uses 500 */
	put(root, "x/memory.max", "max\n");
	put(root, "x/memory.current", "100\n");
	put(root, "memory.max", "2000\n");
	put(root, "memory.current", "500\n");
	TB_CHECK(eng_cgroup_room(root, "0::/x\n") == 1500);
	put(root, "x/memory.max", "800\n");
	TB_CHECK(eng_cgroup_room(root, "0::/x") == 700);   /* no final newline */
	put(root, "x/memory.current", "900\n");   /* over its limit: nothing left */
	TB_CHECK(eng_cgroup_room(root, "0::/x\n") == 0);
	/* nothing known: no limit */
	TB_CHECK(eng_cgroup_room(root, "") == UINT64_MAX);
	TB_CHECK(eng_cgroup_room(root, "garbage\n1:x\n") == UINT64_MAX);
	/* a group without files of its own: the groups above it still count */
	TB_CHECK(eng_cgroup_room(root, "0::/nowhere\n4:memory:/none\n") == 1500);
	tb_rmtree(root);
}

int main(void)
{
	TB_RUN(test_engine_warning_reaches_the_sink_with_its_level);
	TB_RUN(test_engine_model_load_warns_and_informs_by_level);
	TB_RUN(test_engine_cgroup_room_reads_v1_and_v2_limits_up_the_tree);
	return tb_test_end();
}
