/* tests/engine/test_engine.c — engine/engine.c: the log sink. Messages reach the host's sink
 * (the provider sink's shape: ud, level, line) at and above its level only, and none without a
 * sink; a vocabulary warning and a model load's info line are the messages checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "engine/engine.h"
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

int main(void)
{
	TB_RUN(test_engine_warning_reaches_the_sink_with_its_level);
	TB_RUN(test_engine_model_load_warns_and_informs_by_level);
	return tb_test_end();
}
