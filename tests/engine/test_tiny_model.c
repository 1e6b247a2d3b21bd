/* tests/engine/test_tiny_model.c — the project's own model, models/tierbench-tiny.gguf: it loads
 * with the shape and vocabulary scripts/train-model.py wrote, the engine's tokenizer gives the
 * trainer's token ids for texts of every kind (tests/fixtures/tiny/tokens.jsonl, written by
 * scripts/gen-tiny-data.py), and greedy decoding gives the text PyTorch's greedy decoding of the
 * same weights gave (tests/fixtures/tiny/greedy.jsonl). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"
#include "test.h"

#define TINY_MODEL "models/tierbench-tiny.gguf"
#define TINY_TOKENS "tests/fixtures/tiny/tokens.jsonl"
#define TINY_GREEDY "tests/fixtures/tiny/greedy.jsonl"
#define MAX_IDS 8192

static eng_model *load_tiny(void)
{
	char err[512];
	eng_model *m = eng_load(TINY_MODEL, NULL, err, sizeof err);

	if (!m)
		printf("  %s\n", err);
	return m;
}

/* Calls fn on each JSON line of path; returns the line count, or -1 when unreadable. */
static int each_line(const char *path, void (*fn)(const cJSON *o, eng_model *m, int line), eng_model *m)
{
	char *buf = tb_slurp(path, NULL), *p, *nl;
	int n = 0;

	if (!buf)
		return -1;
	for (p = buf; *p; p = nl + 1) {
		cJSON *o;

		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p) - 1;
		else
			*nl = 0;
		o = cJSON_Parse(p);
		n++;
		TB_CHECK(o != NULL);
		if (o)
			fn(o, m, n);
		cJSON_Delete(o);
		if (!nl[1])
			break;
	}
	free(buf);
	return n;
}

static void test_tiny_model_loads_with_its_shape(void)
{
	eng_model *m = load_tiny();
	eng_model_info mi;

	TB_REQUIRE(m);
	eng_model_info_get(m, &mi);
	TB_CHECK_INT(mi.n_embd, 256);
	TB_CHECK_INT(mi.n_ff % 256, 0);
	TB_CHECK(mi.n_layer >= 2);
	TB_CHECK_STR(mi.vocab_model, "llama");
	TB_CHECK(eng_n_vocab(m) > 259);
	TB_CHECK_INT(eng_token_bos(m), 1);
	TB_CHECK_INT(eng_token_eos(m), 2);
	TB_CHECK(eng_token_is_eog(m, 2));
	eng_model_free(m);
}

static void check_tokens(const cJSON *o, eng_model *m, int line)
{
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(o, "text");
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(o, "ids");
	static int32_t got[MAX_IDS];
	int n, want, same = 1;

	TB_REQUIRE(cJSON_IsString(text) && cJSON_IsArray(ids));
	want = cJSON_GetArraySize(ids);
	n = eng_tokenize(m, text->valuestring, strlen(text->valuestring), 1, 0, got, MAX_IDS);
	if (n == want)
		for (int i = 0; i < n && same; i++)
			same = got[i] == cJSON_GetArrayItem(ids, i)->valueint;
	if (n != want || !same) {
		printf("  %s:%d: the engine gives %d tokens, the trainer %d%s\n", TINY_TOKENS, line, n, want,
		       n == want ? " (different ids)" : "");
		tb_t_cur_failed = 1;
	}
}

static void test_tiny_tokenizer_gives_the_trainers_ids(void)
{
	eng_model *m = load_tiny();

	TB_REQUIRE(m);
	TB_CHECK(each_line(TINY_TOKENS, check_tokens, m) >= 60);
	eng_model_free(m);
}

/* Greedy decoding of n tokens after prompt (BOS added), stopping at an end-of-generation token;
 * the text goes to out. */
static int greedy(eng_model *m, const char *prompt, int n_gen, char *out, int cap)
{
	static int32_t ids[MAX_IDS];
	eng_ctx_params cp = eng_ctx_params_default();
	char err[256];
	eng_ctx *c;
	eng_batch b = { 0 };
	int n = eng_tokenize(m, prompt, strlen(prompt), 1, 0, ids, MAX_IDS), k = 0, len;

	if (n <= 0 || n + n_gen > MAX_IDS)
		return -1;
	cp.n_ctx = n + n_gen + 1;
	cp.n_batch = n;
	cp.kv_type = ENG_KV_F32;
	if (!(c = eng_ctx_new(m, &cp, err, sizeof err)))
		return -1;
	b.n = n;
	b.token = ids;
	for (; k < n_gen; k++) {
		const float *lg;
		int32_t best = 0;

		if (eng_decode(c, &b) != 0)
			break;
		lg = eng_logits(c, b.n - 1);
		for (int v = 1; v < eng_n_vocab(m); v++)
			if (lg[v] > lg[best])
				best = v;
		if (eng_token_is_eog(m, best))
			break;
		ids[n + k] = best;
		b.n = 1;
		b.token = &ids[n + k];
	}
	eng_ctx_free(c);
	len = eng_detokenize(m, ids + n, k, out, cap, 0);
	if (len < 0 || len >= cap)
		return -1;
	out[len] = 0;
	return 0;
}

static void check_greedy(const cJSON *o, eng_model *m, int line)
{
	const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(o, "prompt");
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "n");
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(o, "text");
	static char got[16384];

	TB_REQUIRE(cJSON_IsString(prompt) && cJSON_IsNumber(n) && cJSON_IsString(text));
	TB_REQUIRE(greedy(m, prompt->valuestring, n->valueint, got, sizeof got) == 0);
	if (strcmp(got, text->valuestring) != 0) {
		printf("  %s:%d: greedy text differs:\n    engine:  \"%s\"\n    trainer: \"%s\"\n",
		       TINY_GREEDY, line, got, text->valuestring);
		tb_t_cur_failed = 1;
	}
}

static void test_tiny_greedy_text_matches_the_trainer(void)
{
	eng_model *m = load_tiny();

	TB_REQUIRE(m);
	TB_CHECK(each_line(TINY_GREEDY, check_greedy, m) >= 3);
	eng_model_free(m);
}

int main(void)
{
	TB_RUN(test_tiny_model_loads_with_its_shape);
	TB_RUN(test_tiny_tokenizer_gives_the_trainers_ids);
	TB_RUN(test_tiny_greedy_text_matches_the_trainer);
	return tb_test_end();
}
