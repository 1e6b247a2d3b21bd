/* tests/providers/test_local.c — the `local` provider on the real small models in
 * ../shared/models: greedy output equals llama.cpp's reference tokens and the engine driven
 * directly, batching several requests changes no token, stop strings, limits, context length,
 * open errors, chat without a template, cancellation, the token counter and the timings. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"
#include "providers/provider.h"
#include "test.h"
#include "tests/mock/thinker.h"

static const char *const ref_files[] = {
	"stories260K", "derived/stories260K-Q4_K_M", "derived/stories260K-Q2_K",
	"synthetic/synth-tiny-F16", "synthetic/synth-tiny-Q8_0", "synthetic/synth-tiny-Q6_K",
	"synthetic/synth-tiny-Q4_K_M", "synthetic/synth-tiny-Q2_K",
};

static char model_dir[512];

static int have_models(void)
{
	const char *sh = tb_shared_dir();
	FILE *f;
	char p[600];
	if (!sh)
		return 0;
	snprintf(model_dir, sizeof model_dir, "%s/models", sh);
	snprintf(p, sizeof p, "%s/stories260K.gguf", model_dir);
	if (!(f = fopen(p, "rb")))
		return 0;
	fclose(f);
	return 1;
}

static prov *open_local(const char *model, const char *options, char *err, size_t errlen)
{
	prov_target t = { 0 };
	char path[700];
	snprintf(path, sizeof path, "%s.gguf", model);
	t.id = "loc";
	t.provider = "local";
	t.model = path;
	t.options_json = options ? options : "{\"threads\": 1}";
	t.base_dir = model_dir;
	return prov_open(&t, err, errlen);
}

/* Collected responses, by the request's sample index. */
typedef struct got {
	prov_resp *r[64];
	int n;
} got;

static void on_done(void *ud, const prov_req *rq, prov_resp *resp)
{
	got *g = ud;
	if (rq->sample >= 0 && rq->sample < 64 && !g->r[rq->sample]) {
		g->r[rq->sample] = resp;
		g->n++;
	} else {
		prov_resp_free(resp);
	}
}

static void got_free(got *g)
{
	for (int i = 0; i < 64; i++)
		prov_resp_free(g->r[i]);
	memset(g, 0, sizeof *g);
}

static int drain(prov *p)
{
	for (long k = 0; k < 1000000 && prov_in_flight(p) > 0; k++)
		if (prov_poll(p, 0) < 0)
			return -1;
	return prov_in_flight(p) == 0 ? 0 : -1;
}

static int submit(prov *p, got *g, int sample, const char *prompt, int max_tokens, double temp,
	int64_t seed, const char *stop)
{
	prov_req rq = { 0 };
	char *stops[1];
	rq.task_id = "t";
	rq.sample = sample;
	rq.prompt = (char *)prompt;
	rq.max_tokens = max_tokens;
	rq.temperature = temp;
	rq.seed = seed;
	if (stop) {
		stops[0] = (char *)stop;
		rq.stop = stops;
		rq.n_stop = 1;
	}
	return prov_submit(p, &rq, on_done, g);
}

/* One request, run to the end; the response or NULL. */
static prov_resp *run_one(prov *p, const char *prompt, int max_tokens, double temp, int64_t seed,
	const char *stop)
{
	got g = { 0 };
	prov_resp *r;
	if (submit(p, &g, 0, prompt, max_tokens, temp, seed, stop) || drain(p)) {
		got_free(&g);
		return NULL;
	}
	r = g.r[0];
	g.r[0] = NULL;
	got_free(&g);
	return r;
}

/* Greedy text of the engine driven directly: the prompt at once, then one token per decode. */
static char *direct_greedy(const char *path, const char *prompt, int n_gen)
{
	char err[512], *out = calloc(1, 65536);
	eng_opts eo = eng_opts_default();
	eng_model *m;
	eng_ctx_params cp = eng_ctx_params_default();
	eng_ctx *c = NULL;
	int32_t toks[256];
	int n, len = 0;
	eng_batch b = { 0 };
	eo.n_threads = 1;
	if (!(m = eng_load(path, &eo, err, sizeof err)) || !out)
		goto fail;
	cp.n_ctx = 512;
	if (!(c = eng_ctx_new(m, &cp, err, sizeof err)))
		goto fail;
	n = eng_tokenize(m, prompt, strlen(prompt), 1, 1, toks, 256);
	b.n = n;
	b.token = toks;
	if (n <= 0 || n > 256 || eng_decode(c, &b))
		goto fail;
	for (int i = 0; i < n_gen; i++) {
		const float *lg = eng_logits(c, i == 0 ? n - 1 : 0);
		int32_t best = 0;
		for (int v = 1; v < eng_n_vocab(m); v++)
			if (lg[v] > lg[best])
				best = v;
		if (eng_token_is_eog(m, best))
			break;
		len += eng_token_piece(m, best, out + len, 65536 - len - 1, 0);
		b.n = 1;
		b.token = &best;
		if (eng_decode(c, &b))
			goto fail;
	}
	out[len] = 0;
	eng_ctx_free(c);
	eng_model_free(m);
	return out;
fail:
	free(out);
	eng_ctx_free(c);
	eng_model_free(m);
	return NULL;
}

static void test_local_greedy_equals_the_llama_cpp_reference_tokens(void)
{
	char p[700], err[1024], text[4096];
	char *json;
	cJSON *j, *ids;
	prov *pv;
	prov_resp *r;
	eng_model *m;
	int len = 0;

	if (!have_models())
		TB_SKIP("no ../shared/models");
	snprintf(p, sizeof p, "%s/stories260K.ref.json", model_dir);
	TB_REQUIRE((json = tb_slurp(p, NULL)));
	j = cJSON_Parse(json);
	free(json);
	TB_REQUIRE(j && (ids = cJSON_GetObjectItem(j, "generated_ids")));
	snprintf(p, sizeof p, "%s/stories260K.gguf", model_dir);
	TB_REQUIRE((m = eng_load(p, NULL, err, sizeof err)));
	for (int i = 0; i < cJSON_GetArraySize(ids); i++)
		len += eng_token_piece(m, (int32_t)cJSON_GetArrayItem(ids, i)->valuedouble, text + len,
			(int)sizeof text - len - 1, 0);
	text[len] = 0;
	eng_model_free(m);
	TB_REQUIRE((pv = open_local("stories260K", NULL, err, sizeof err)));
	r = run_one(pv, "Once upon a time", 32, 0, -1, NULL);
	TB_REQUIRE(r);
	TB_CHECK_INT(r->err, PROV_ERR_NONE);
	TB_CHECK_STR(r->text, text);
	TB_CHECK_STR(r->finish_reason, "length");
	TB_CHECK_INT(r->n_tokens_in, 5);
	TB_CHECK_INT(r->n_tokens_out, 32);
	TB_CHECK(r->reasoning == NULL);
	/* timings: first token, a gap per later token, the end after the first token */
	TB_CHECK_INT(r->n_gaps, 31);
	TB_CHECK(r->t_first_token_ms >= 0 && r->t_first_answer_ms == r->t_first_token_ms);
	TB_CHECK(r->t_done_ms >= r->t_first_token_ms);
	for (size_t i = 0; i < r->n_gaps; i++)
		TB_CHECK(r->gaps_ms[i] >= 0);
	TB_CHECK(r->cost_usd == 0);
	prov_resp_free(r);
	prov_close(pv);
	cJSON_Delete(j);
}

static void test_local_greedy_equals_the_direct_engine_on_every_reference_model(void)
{
	if (!have_models())
		TB_SKIP("no ../shared/models");
	for (size_t f = 0; f < sizeof ref_files / sizeof ref_files[0]; f++) {
		char p[700], err[1024], *want;
		prov *pv;
		prov_resp *r;
		snprintf(p, sizeof p, "%s/%s.gguf", model_dir, ref_files[f]);
		want = direct_greedy(p, "Once upon a time", 32);
		TB_REQUIRE(want);
		pv = open_local(ref_files[f], "{\"n_ctx\": 256, \"threads\": 1}", err, sizeof err);
		TB_REQUIRE(pv);
		r = run_one(pv, "Once upon a time", 32, 0, -1, NULL);
		TB_REQUIRE(r);
		if (!r->text || strcmp(r->text, want) != 0)
			printf("  %s: provider \"%s\" vs engine \"%s\"\n", ref_files[f], r->text ? r->text : "(null)", want);
		TB_CHECK(r->text && strcmp(r->text, want) == 0);
		prov_resp_free(r);
		prov_close(pv);
		free(want);
	}
}

static const char *const prompts[8] = {
	"Once upon a time", "The cat", "Lily and Tom went to the park. They saw a big dog",
	"One day, a little bird", "Tim had a red ball.", "The sun was hot and the sky was blue. A boy",
	"Mom said", "There was a tree",
};

/* Requests 0..7: greedy for the even ones, temperature 0.8 with a seed for the odd ones. */
static void run_eight(prov *p, got *g, int staggered)
{
	for (int i = 0; i < 8; i++) {
		TB_CHECK(submit(p, g, i, prompts[i], 24 + 3 * i, i % 2 ? 0.8 : 0, 100 + i, NULL) == 0);
		if (staggered)
			for (int k = 0; k < 3 + i; k++)
				prov_poll(p, 0);   /* later requests join running ones mid-decode */
	}
	TB_CHECK(drain(p) == 0);
}

static void test_local_eight_concurrent_requests_give_the_texts_of_one_at_a_time(void)
{
	static const char *const models[] = { "stories260K", "synthetic/synth-tiny-Q4_K_M",
		"derived/stories260K-Q2_K" };
	if (!have_models())
		TB_SKIP("no ../shared/models");
	for (size_t mi = 0; mi < 3; mi++) {
		char err[1024];
		prov *one = open_local(models[mi], "{\"n_parallel\": 1, \"n_ctx\": 256, \"threads\": 1}", err, sizeof err);
		prov *eight = open_local(models[mi], "{\"n_parallel\": 8, \"n_ctx\": 256, \"n_batch\": 16, \"threads\": 2}", err, sizeof err);
		got alone = { 0 }, all = { 0 }, stag = { 0 };
		TB_REQUIRE(one && eight);
		TB_CHECK_INT(prov_max_in_flight(eight), 8);
		for (int i = 0; i < 8; i++) {
			TB_CHECK(submit(one, &alone, i, prompts[i], 24 + 3 * i, i % 2 ? 0.8 : 0, 100 + i, NULL) == 0);
			TB_CHECK(drain(one) == 0);
		}
		run_eight(eight, &all, 0);
		run_eight(eight, &stag, 1);
		TB_REQUIRE(alone.n == 8 && all.n == 8 && stag.n == 8);
		for (int i = 0; i < 8; i++) {
			TB_CHECK(alone.r[i]->text && all.r[i]->text && stag.r[i]->text);
			if (!alone.r[i]->text || !all.r[i]->text || !stag.r[i]->text)
				continue;
			TB_CHECK_STR(all.r[i]->text, alone.r[i]->text);
			TB_CHECK_STR(stag.r[i]->text, alone.r[i]->text);
			TB_CHECK_INT(all.r[i]->n_tokens_out, alone.r[i]->n_tokens_out);
			TB_CHECK_INT((long)all.r[i]->n_gaps, all.r[i]->n_tokens_out - 1);
		}
		got_free(&alone);
		got_free(&all);
		got_free(&stag);
		prov_close(one);
		prov_close(eight);
	}
}

static void test_local_stop_strings_cut_the_text_and_are_never_emitted(void)
{
	char err[1024];
	prov *pv;
	prov_resp *full, *r;
	const char *cut;
	if (!have_models())
		TB_SKIP("no ../shared/models");
	TB_REQUIRE((pv = open_local("stories260K", NULL, err, sizeof err)));
	TB_REQUIRE((full = run_one(pv, "Once upon a time", 32, 0, -1, NULL)));
	/* " Lily" is one token; "ttle g" spans " little" and " g"; "She lo" spans two as well */
	{
		static const char *const stops[] = { " Lily", "ttle g", "She lo", "." };
		for (int k = 0; k < 4; k++) {
			TB_REQUIRE((cut = strstr(full->text, stops[k])));
			r = run_one(pv, "Once upon a time", 32, 0, -1, stops[k]);
			TB_REQUIRE(r && r->text);
			TB_CHECK_INT(strlen(r->text), cut - full->text);
			TB_CHECK(strncmp(r->text, full->text, (size_t)(cut - full->text)) == 0);
			TB_CHECK(strstr(r->text, stops[k]) == NULL);
			TB_CHECK_STR(r->finish_reason, "stop");
			TB_CHECK_INT((long)r->n_gaps, r->n_tokens_out - 1);
			prov_resp_free(r);
		}
	}
	/* a stop string that never appears, but whose prefix does, holds nothing back at the end */
	r = run_one(pv, "Once upon a time", 32, 0, -1, " Lily.XYZ");
	TB_REQUIRE(r);
	TB_CHECK_STR(r->text, full->text);
	TB_CHECK_STR(r->finish_reason, "length");
	prov_resp_free(r);
	prov_resp_free(full);
	prov_close(pv);
}

static void test_local_max_tokens_and_a_full_context_finish_with_length(void)
{
	char err[1024];
	prov *pv;
	prov_resp *r;
	if (!have_models())
		TB_SKIP("no ../shared/models");
	TB_REQUIRE((pv = open_local("stories260K", "{\"n_ctx\": 16}", err, sizeof err)));
	TB_CHECK_INT(prov_context_length(pv), 16);
	r = run_one(pv, "Once upon a time", 7, 0, -1, NULL);
	TB_REQUIRE(r);
	TB_CHECK_STR(r->finish_reason, "length");
	TB_CHECK_INT(r->n_tokens_out, 7);
	TB_CHECK_INT(r->n_gaps, 6);
	prov_resp_free(r);
	/* 5 prompt tokens in 16 cells: 11 more cells, and the token sampled when they are full */
	r = run_one(pv, "Once upon a time", 0, 0, -1, NULL);
	TB_REQUIRE(r);
	TB_CHECK_INT(r->err, PROV_ERR_NONE);
	TB_CHECK_STR(r->finish_reason, "length");
	TB_CHECK_INT(r->n_tokens_out, 12);
	prov_resp_free(r);
	prov_close(pv);
}

static void test_local_too_long_prompt_fails_with_context_length(void)
{
	char err[1024], prompt[4096] = "";
	prov *pv;
	prov_resp *r;
	if (!have_models())
		TB_SKIP("no ../shared/models");
	TB_REQUIRE((pv = open_local("stories260K", "{\"n_ctx\": 64}", err, sizeof err)));
	for (int i = 0; i < 60; i++)
		strcat(prompt, "The dog ran. ");
	r = run_one(pv, prompt, 8, 0, -1, NULL);
	TB_REQUIRE(r);
	TB_CHECK_INT(r->err, PROV_ERR_CONTEXT_LENGTH);
	TB_CHECK(r->text == NULL && r->err_msg && strstr(r->err_msg, "64") && strstr(r->err_msg, "loc"));
	TB_CHECK(!prov_err_class_retryable(r->err));
	prov_resp_free(r);
	/* the provider goes on working */
	r = run_one(pv, "Once upon a time", 4, 0, -1, NULL);
	TB_REQUIRE(r);
	TB_CHECK_INT(r->n_tokens_out, 4);
	prov_resp_free(r);
	prov_close(pv);
}

static void test_local_open_names_a_missing_or_corrupt_file_and_bad_options(void)
{
	char err[1024], dir[] = "/tmp/tb_local_XXXXXX", p[600];
	prov_target t = { 0 };
	FILE *f;
	if (!have_models())
		TB_SKIP("no ../shared/models");
	TB_CHECK(open_local("no-such-model", NULL, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "no-such-model.gguf") != NULL);
	TB_REQUIRE(mkdtemp(dir));
	snprintf(p, sizeof p, "%s/bad.gguf", dir);
	TB_REQUIRE((f = fopen(p, "wb")));
	fputs("GGUF but not really a model file", f);
	fclose(f);
	t.id = "bad";
	t.provider = "local";
	t.model = "bad.gguf";
	t.base_dir = dir;
	TB_CHECK(prov_open(&t, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "bad.gguf") && strstr(err, "target bad"));
	tb_rmtree(dir);
	TB_CHECK(open_local("stories260K", "{\"n_paralel\": 2}", err, sizeof err) == NULL);
	TB_CHECK(strstr(err, ": options.n_paralel: unknown key for provider local (known: n_ctx, ") &&
		strstr(err, "target ") == err && strstr(err, ", thinking)"));
	TB_CHECK(open_local("stories260K", "{\"n_parallel\": 0}", err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "options.n_parallel") != NULL);
	TB_CHECK(open_local("stories260K", "{\"chat_template\": \"nope\"}", err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "chat_template") && strstr(err, "nope"));
	TB_CHECK(open_local("stories260K", "{\"device\": \"tpu\"}", err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "options.device") != NULL);
	TB_CHECK(open_local("stories260K", "[1]", err, sizeof err) == NULL);
}

static void test_local_chat_needs_a_template_or_an_override(void)
{
	char err[1024];
	prov *pv;
	got g = { 0 };
	prov_req rq = { 0 };
	prov_msg msg = { "user", "Tell me a story." };
	if (!have_models())
		TB_SKIP("no ../shared/models");
	rq.task_id = "c";
	rq.messages = &msg;
	rq.n_messages = 1;
	rq.max_tokens = 6;
	TB_REQUIRE((pv = open_local("stories260K", NULL, err, sizeof err)));
	TB_CHECK(prov_submit(pv, &rq, on_done, &g) == 0);
	TB_CHECK(drain(pv) == 0);
	TB_REQUIRE(g.r[0]);
	TB_CHECK_INT(g.r[0]->err, PROV_ERR_CLIENT);
	TB_CHECK(g.r[0]->err_msg && strstr(g.r[0]->err_msg, "loc") && strstr(g.r[0]->err_msg, "chat_template"));
	got_free(&g);
	prov_close(pv);
	TB_REQUIRE((pv = open_local("stories260K", "{\"chat_template\": \"zephyr\"}", err, sizeof err)));
	TB_CHECK(prov_submit(pv, &rq, on_done, &g) == 0);
	TB_CHECK(drain(pv) == 0);
	TB_REQUIRE(g.r[0]);
	TB_CHECK_INT(g.r[0]->err, PROV_ERR_NONE);
	TB_CHECK(g.r[0]->text && g.r[0]->n_tokens_out == 6 && g.r[0]->n_tokens_in > 8);
	got_free(&g);
	prov_close(pv);
}

static void test_local_cancel_all_fires_cancelled_and_frees_the_sequences(void)
{
	char err[1024];
	prov *pv;
	got g = { 0 };
	prov_resp *r;
	if (!have_models())
		TB_SKIP("no ../shared/models");
	TB_REQUIRE((pv = open_local("stories260K", "{\"n_parallel\": 3}", err, sizeof err)));
	for (int i = 0; i < 3; i++)
		TB_CHECK(submit(pv, &g, i, prompts[i], 200, 0, -1, NULL) == 0);
	TB_CHECK(submit(pv, &g, 3, prompts[3], 200, 0, -1, NULL) == PROV_EBUSY);
	prov_poll(pv, 0);
	prov_poll(pv, 0);
	TB_CHECK_INT(prov_in_flight(pv), 3);
	prov_cancel_all(pv);
	TB_CHECK(drain(pv) == 0);
	TB_CHECK_INT(g.n, 3);
	for (int i = 0; i < 3; i++)
		TB_CHECK(g.r[i] && g.r[i]->err == PROV_ERR_CANCELLED && !g.r[i]->text);
	got_free(&g);
	r = run_one(pv, "Once upon a time", 32, 0, -1, NULL);
	TB_REQUIRE(r);
	TB_CHECK(r->text && strncmp(r->text, ", there was a little girl", 25) == 0);
	prov_resp_free(r);
	prov_close(pv);
}

static void test_local_counts_tokens_with_the_model_tokenizer(void)
{
	char err[1024], p[700];
	prov *pv, *sp;
	prov_target t = { 0 };
	eng_model *m;
	long n = -1;
	const char *text = "Lily and Tom went to the park.";
	if (!have_models())
		TB_SKIP("no ../shared/models");
	TB_REQUIRE((pv = open_local("stories260K", NULL, err, sizeof err)));
	snprintf(p, sizeof p, "%s/stories260K.gguf", model_dir);
	TB_REQUIRE((m = eng_load(p, NULL, err, sizeof err)));
	TB_CHECK(prov_count_tokens(pv, text, &n) == 0);
	TB_CHECK_INT(n, eng_tokenize(m, text, strlen(text), 1, 0, NULL, 0));
	TB_CHECK_INT(prov_context_length(pv), 2048);   /* the model's training context */
	TB_CHECK(prov_exclusive(pv) == 1);
	eng_model_free(m);
	prov_close(pv);
	/* kinds without a tokenizer here */
	snprintf(p, sizeof p, "/tmp/tb_local_s_%d.jsonl", (int)getpid());
	{
		FILE *f = fopen(p, "w");
		TB_REQUIRE(f);
		fputs("{\"task_id\": \"a\", \"completion\": \"x\"}\n", f);
		fclose(f);
	}
	t.provider = "samples";
	t.model = p;
	TB_REQUIRE((sp = prov_open(&t, err, sizeof err)));
	TB_CHECK(prov_count_tokens(sp, text, &n) == PROV_EINVAL);
	TB_CHECK_INT(prov_context_length(sp), 0);
	TB_CHECK(prov_exclusive(sp) == 0);
	prov_close(sp);
	remove(p);
}

/* ------------------------------------------------------------------ a thinking model */

static void test_local_thinking_output_goes_to_reasoning_and_stops_apply_to_the_answer(void)
{
	char dir[] = "/tmp/tb_local_th_XXXXXX", path[600], err[1024];
	prov_target t = { 0 };
	prov *pv;
	got g = { 0 };
	prov_req rq = { 0 };
	prov_msg msg = { "user", "hi" };
	char *stops[] = { "b" };
	TB_REQUIRE(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/thinker.gguf", dir);
	TB_REQUIRE(build_thinker(path) == 0);
	t.id = "th";
	t.provider = "local";
	t.model = path;
	t.options_json = "{\"threads\": 1, \"chat_template\": \"qwen3\"}";
	pv = prov_open(&t, err, sizeof err);
	if (!pv)
		printf("  %s\n", err);
	TB_REQUIRE(pv);
	rq.task_id = "th";
	rq.messages = &msg;
	rq.n_messages = 1;
	rq.max_tokens = 20;
	rq.stop = stops;      /* "b" is in the reasoning only: it must not stop the answer */
	rq.n_stop = 1;
	TB_CHECK(prov_submit(pv, &rq, on_done, &g) == 0);
	TB_CHECK(drain(pv) == 0);
	TB_REQUIRE(g.r[0]);
	TB_CHECK_INT(g.r[0]->err, PROV_ERR_NONE);
	TB_CHECK_STR(g.r[0]->reasoning, "a b");
	TB_CHECK_STR(g.r[0]->text, " ok");
	TB_CHECK_STR(g.r[0]->finish_reason, "stop");
	TB_CHECK_INT(g.r[0]->n_tokens_out, 5);
	TB_CHECK_INT(g.r[0]->n_tokens_reasoning, 4);
	TB_CHECK_INT(g.r[0]->n_gaps, 4);
	TB_CHECK(g.r[0]->t_first_answer_ms >= g.r[0]->t_first_token_ms && g.r[0]->t_first_token_ms >= 0);
	got_free(&g);
	/* cut off inside the reasoning: no answer, the reasoning so far */
	rq.max_tokens = 2;
	TB_CHECK(prov_submit(pv, &rq, on_done, &g) == 0);
	TB_CHECK(drain(pv) == 0);
	TB_REQUIRE(g.r[0]);
	TB_CHECK_STR(g.r[0]->text, "");
	TB_CHECK_STR(g.r[0]->reasoning, "a");
	TB_CHECK_STR(g.r[0]->finish_reason, "length");
	TB_CHECK_INT(g.r[0]->n_tokens_reasoning, 2);   /* both tokens were reasoning */
	TB_CHECK(g.r[0]->t_first_answer_ms < 0);
	got_free(&g);
	/* a completion prompt is not split */
	{
		prov_resp *r = run_one(pv, "x", 20, 0, -1, NULL);
		TB_REQUIRE(r);
		TB_CHECK_STR(r->text, "<think> a b</think> ok");
		TB_CHECK(r->reasoning == NULL);
		prov_resp_free(r);
	}
	prov_close(pv);
	tb_rmtree(dir);
}

/* One chat request "hi" to the thinker model at path under the options; the response or NULL. */
static prov_resp *thinker_chat(const char *path, const char *options)
{
	prov_target t = { 0 };
	prov_msg msg = { "user", "hi" };
	prov_req rq = { 0 };
	got g = { 0 };
	prov_resp *r = NULL;
	char err[1024];
	prov *pv;

	t.id = "th";
	t.provider = "local";
	t.model = path;
	t.options_json = options;
	if (!(pv = prov_open(&t, err, sizeof err))) {
		printf("  %s\n", err);
		return NULL;
	}
	rq.task_id = "th";
	rq.messages = &msg;
	rq.n_messages = 1;
	rq.max_tokens = 20;
	if (prov_submit(pv, &rq, on_done, &g) == 0 && drain(pv) == 0) {
		r = g.r[0];
		g.r[0] = NULL;
	}
	got_free(&g);
	prov_close(pv);
	return r;
}

/* Checks a reply's answer and reasoning (NULL: none), then frees it. */
static void check_reply(prov_resp *r, const char *text, const char *reasoning)
{
	TB_REQUIRE(r);
	TB_CHECK_INT(r->err, PROV_ERR_NONE);
	TB_CHECK_STR(r->text, text);
	if (reasoning)
		TB_CHECK_STR(r->reasoning, reasoning);
	else
		TB_CHECK(r->reasoning == NULL);
	prov_resp_free(r);
}

/* DeepSeek V3.1's generation prompt ends in <think> with thinking on: the output up to </think>
 * is the reasoning. Off (the template's default, so also with the option left out) it ends in
 * </think> and nothing is split off, as with Qwen3's switch off, where the thinker's whole
 * think block stays in the answer. */
static void test_local_deepseek_v3_1_gives_reasoning_only_with_thinking_on(void)
{
	char dir[] = "/tmp/tb_local_v31_XXXXXX", path[600];
	prov_resp *r;

	TB_REQUIRE(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/thinker.gguf", dir);
	TB_REQUIRE(build_thinker(path) == 0);
	/* the thinker answers <think> with " a b</think> ok", </think> with " ok" */
	r = thinker_chat(path, "{\"threads\": 1, \"chat_template\": \"deepseek3.1\", \"thinking\": true}");
	TB_REQUIRE(r);
	TB_CHECK_INT(r->n_tokens_out, 4);
	TB_CHECK_INT(r->n_tokens_reasoning, 3);
	check_reply(r, " ok", "a b");
	r = thinker_chat(path, "{\"threads\": 1, \"chat_template\": \"deepseek3.1\"}");
	TB_REQUIRE(r);
	TB_CHECK_INT(r->n_tokens_reasoning, 0);
	check_reply(r, " ok", NULL);
	check_reply(thinker_chat(path, "{\"threads\": 1, \"chat_template\": \"qwen3\", \"thinking\": false}"),
		"<think> a b</think> ok", NULL);
	tb_rmtree(dir);
}

int main(void)
{
	TB_RUN(test_local_greedy_equals_the_llama_cpp_reference_tokens);
	TB_RUN(test_local_greedy_equals_the_direct_engine_on_every_reference_model);
	TB_RUN(test_local_eight_concurrent_requests_give_the_texts_of_one_at_a_time);
	TB_RUN(test_local_stop_strings_cut_the_text_and_are_never_emitted);
	TB_RUN(test_local_max_tokens_and_a_full_context_finish_with_length);
	TB_RUN(test_local_too_long_prompt_fails_with_context_length);
	TB_RUN(test_local_open_names_a_missing_or_corrupt_file_and_bad_options);
	TB_RUN(test_local_chat_needs_a_template_or_an_override);
	TB_RUN(test_local_cancel_all_fires_cancelled_and_frees_the_sequences);
	TB_RUN(test_local_counts_tokens_with_the_model_tokenizer);
	TB_RUN(test_local_thinking_output_goes_to_reasoning_and_stops_apply_to_the_answer);
	TB_RUN(test_local_deepseek_v3_1_gives_reasoning_only_with_thinking_on);
	return tb_test_end();
}
