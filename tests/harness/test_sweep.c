/* tests/harness/test_sweep.c — sweeps: a run spec's matrix and `run --sweep` expand a
 * target into one target per combination; a run of such a spec against a loopback server that
 * models a reasoning API (OpenAI, Anthropic and Gemini wire formats: reasoning tokens grow with
 * the effort or thinking budget, accuracy rises and saturates, a token limit below the reasoning
 * leaves no answer) and against the local engine with a thinking model stores every point; the
 * report's sweep rows give each point's accuracy,
 * tokens, cost, budget exhaustion, Pareto frontier and the significance of each step. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness/harness.h"
#include "reports/report_impl.h"
#include "tests/mock/mock.h"
#include "tests/mock/thinker.h"
#include "tests/test.h"

static char tmpdir[64];

#define N_ITEMS 40

/* The model the mock serves: item (a, b) has difficulty d = (7a + b) % 10; at effort level L
 * (0 none, 1 low / budget <= 1024, 2 medium / <= 4096, 3 high) it reasons 150 (d + 1) L tokens
 * and solves the item when d < 3L (saturating at 90 %), answering a + b, else a + b + 1. When the
 * token limit is below reasoning + 12 answer tokens, it stops inside its reasoning (no answer). */
typedef struct mock_reply {
	int out_of_budget;
	long reasoning, output;
	long answer;
} mock_reply;

static mock_reply model(int a, int b, int level, long limit)
{
	mock_reply r = { 0, 0, 0, 0 };
	int d = (7 * a + b) % 10;
	r.reasoning = 150L * (d + 1) * level;
	r.output = r.reasoning + 12;
	r.answer = d < 3 * level || (level == 0 && d < 1) ? a + b : a + b + 1;
	if (limit > 0 && r.output > limit) {
		r.out_of_budget = 1;
		r.output = r.reasoning = limit;
	}
	return r;
}

static int item_ab(int i, int *a, int *b)
{
	*a = 3 + 5 * i;
	*b = 11 + 2 * i;
	return 0;
}

static int budget_level(double budget)
{
	return budget <= 0 ? 0 : budget <= 1024 ? 1 : budget <= 4096 ? 2 : 3;
}

/* The mock's reply to one request, in the dialect the request's path names. */
static char *reasoning_api(void *ud, const char *request, size_t len)
{
	char *req = strndup(request, len), *body, *q, *out = NULL;
	cJSON *j = NULL, *r = NULL;
	int a = 0, b = 0, level = 0;
	long limit = 0;
	mock_reply m;
	char text[64];
	(void)ud;
	if (!req || !(body = strstr(req, "\r\n\r\n")) || !(j = cJSON_Parse(body + 4)))
		goto done;
	/* the item: the last "What is A plus B?" in the prompt */
	for (q = body; (q = strstr(q, "What is ")); q += 8)
		sscanf(q, "What is %d plus %d", &a, &b);
	if (strstr(req, "/chat/completions")) {
		const cJSON *e = cJSON_GetObjectItem(j, "reasoning_effort");
		const cJSON *mt = cJSON_GetObjectItem(j, "max_completion_tokens");
		if (!mt)
			mt = cJSON_GetObjectItem(j, "max_tokens");
		level = !cJSON_IsString(e) ? 0 : !strcmp(e->valuestring, "low") ? 1 :
			!strcmp(e->valuestring, "medium") ? 2 : 3;
		limit = cJSON_IsNumber(mt) ? (long)mt->valuedouble : 0;
		m = model(a, b, level, limit);
		snprintf(text, sizeof text, "The answer is %ld.", m.answer);
		r = cJSON_CreateObject();
		cJSON *ch = cJSON_AddArrayToObject(r, "choices"), *c0 = cJSON_CreateObject(), *msg, *u;
		cJSON_AddItemToArray(ch, c0);
		cJSON_AddNumberToObject(c0, "index", 0);
		msg = cJSON_AddObjectToObject(c0, "message");
		cJSON_AddStringToObject(msg, "role", "assistant");
		cJSON_AddStringToObject(msg, "content", m.out_of_budget ? "" : text);
		cJSON_AddStringToObject(c0, "finish_reason", m.out_of_budget ? "length" : "stop");
		u = cJSON_AddObjectToObject(r, "usage");
		cJSON_AddNumberToObject(u, "prompt_tokens", 40);
		cJSON_AddNumberToObject(u, "completion_tokens", (double)m.output);
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(u, "completion_tokens_details"),
			"reasoning_tokens", (double)m.reasoning);
	} else if (strstr(req, "/v1/messages")) {
		const cJSON *th = cJSON_GetObjectItem(j, "thinking");
		level = budget_level(cJSON_GetNumberValue(cJSON_GetObjectItem(th, "budget_tokens")));
		limit = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "max_tokens"));
		m = model(a, b, level, limit);
		snprintf(text, sizeof text, "The answer is %ld.", m.answer);
		r = cJSON_CreateObject();
		cJSON *content = cJSON_AddArrayToObject(r, "content"), *p, *u;
		if (level) {
			p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "type", "thinking");
			cJSON_AddStringToObject(p, "thinking", "Adding the two numbers.");
			cJSON_AddItemToArray(content, p);
		}
		if (!m.out_of_budget) {
			p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "type", "text");
			cJSON_AddStringToObject(p, "text", text);
			cJSON_AddItemToArray(content, p);
		}
		cJSON_AddStringToObject(r, "stop_reason", m.out_of_budget ? "max_tokens" : "end_turn");
		u = cJSON_AddObjectToObject(r, "usage");
		cJSON_AddNumberToObject(u, "input_tokens", 40);
		cJSON_AddNumberToObject(u, "output_tokens", (double)m.output);
	} else if (strstr(req, "/v1beta/models/")) {
		const cJSON *gc = cJSON_GetObjectItem(j, "generationConfig");
		level = budget_level(cJSON_GetNumberValue(cJSON_GetObjectItem(
			cJSON_GetObjectItem(gc, "thinkingConfig"), "thinkingBudget")));
		limit = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(gc, "maxOutputTokens"));
		m = model(a, b, level, limit < 0 ? 0 : limit);
		snprintf(text, sizeof text, "The answer is %ld.", m.answer);
		r = cJSON_CreateObject();
		cJSON *cands = cJSON_AddArrayToObject(r, "candidates"), *c0 = cJSON_CreateObject(), *parts, *p, *u;
		cJSON_AddItemToArray(cands, c0);
		parts = cJSON_AddArrayToObject(cJSON_AddObjectToObject(c0, "content"), "parts");
		if (level) {
			p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "text", "Adding the two numbers.");
			cJSON_AddBoolToObject(p, "thought", 1);
			cJSON_AddItemToArray(parts, p);
		}
		if (!m.out_of_budget) {
			p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "text", text);
			cJSON_AddItemToArray(parts, p);
		}
		cJSON_AddStringToObject(c0, "finishReason", m.out_of_budget ? "MAX_TOKENS" : "STOP");
		u = cJSON_AddObjectToObject(r, "usageMetadata");
		cJSON_AddNumberToObject(u, "promptTokenCount", 40);
		cJSON_AddNumberToObject(u, "candidatesTokenCount", (double)(m.output - m.reasoning));
		cJSON_AddNumberToObject(u, "thoughtsTokenCount", (double)m.reasoning);
	}
	if (r)
		out = cJSON_PrintUnformatted(r);
done:
	cJSON_Delete(r);
	cJSON_Delete(j);
	free(req);
	return out;
}

/* Writes the GSM8K-format items the mock knows how to answer. */
static int write_items(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	for (int i = 0; i < N_ITEMS; i++) {
		int a, b;
		item_ab(i, &a, &b);
		fprintf(f, "{\"question\": \"What is %d plus %d?\", \"answer\": \"%d plus %d is %d.\\n#### %d\"}\n",
			a, b, a, b, a + b, a + b);
	}
	return fclose(f);
}

/* The accuracy and out-of-budget share the model gives over the items. */
static void expected(int level, long limit, double *acc, double *out, double *reasoning)
{
	int ok = 0, oob = 0;
	long rs = 0;
	for (int i = 0; i < N_ITEMS; i++) {
		int a, b;
		mock_reply m;
		item_ab(i, &a, &b);
		m = model(a, b, level, limit);
		ok += !m.out_of_budget && m.answer == a + b;
		oob += m.out_of_budget;
		rs += m.reasoning;
	}
	*acc = (double)ok / N_ITEMS;
	*out = (double)oob / N_ITEMS;
	*reasoning = (double)rs / N_ITEMS;
}

/* ------------------------------------------------------------------ the spec */

static void test_sweep_matrix_expands_into_one_target_per_combination(void)
{
	char err[512];
	hx_spec *s = hx_spec_parse("{\"targets\": [{\"provider\": \"openai\", \"model\": \"m\", \"matrix\": "
		"{\"options.reasoning_effort\": [\"low\", \"high\"], \"generation.max_tokens\": [100, 200, 300]}},"
		"{\"provider\": \"openai\", \"model\": \"plain\", \"options\": {\"stream\": false}}],"
		"\"suites\": [{\"name\": \"gsm8k\"}], \"generation\": {\"temperature\": 0.5, \"seed\": 7}}",
		"s.json", ".", err, sizeof err);
	char *j1, *j2;
	hx_spec *s2;
	TB_REQUIRE(s != NULL);
	TB_CHECK_INT(s->n_targets, 7);
	TB_CHECK_STR(s->targets[0].id, "openai:m@reasoning_effort=low,max_tokens=100");
	TB_CHECK_STR(s->targets[2].id, "openai:m@reasoning_effort=low,max_tokens=300");
	TB_CHECK_STR(s->targets[5].id, "openai:m@reasoning_effort=high,max_tokens=300");
	TB_CHECK_STR(s->targets[5].options_json, "{\"reasoning_effort\":\"high\"}");
	TB_CHECK_INT(s->targets[5].has_gen, 1);
	TB_CHECK_INT(s->targets[5].gen.max_tokens, 300);
	TB_CHECK_NEAR(s->targets[5].gen.temperature, 0.5, 0);   /* the spec's other settings */
	TB_CHECK_INT(s->targets[5].gen.seed, 7);
	TB_CHECK_STR(s->targets[6].id, "openai:plain");
	TB_CHECK_INT(s->targets[6].has_gen, 0);
	/* the canonical form holds the expanded targets and parses back to the same identity */
	j1 = hx_spec_to_json(s, 1);
	TB_REQUIRE(j1 != NULL);
	TB_CHECK(strstr(j1, "matrix") == NULL);
	s2 = hx_spec_parse(j1, "again", ".", err, sizeof err);
	TB_REQUIRE(s2 != NULL);
	j2 = hx_spec_to_json(s2, 1);
	TB_CHECK_STR(j1, j2);
	free(j1);
	free(j2);
	hx_spec_free(s2);
	hx_spec_free(s);
}

static void test_sweep_top_level_matrix_and_command_line_sweep(void)
{
	static const char *const sweeps[] = { "options.thinking_budget=1024,4096", "generation.temperature=0,1" };
	char err[512];
	hx_spec *s = hx_spec_parse("{\"matrix\": {\"model\": [\"a\", \"b\"]}, \"targets\": ["
		"{\"provider\": \"anthropic\", \"model\": \"x\"}, {\"id\": \"g\", \"provider\": \"gemini\", "
		"\"model\": \"y\", \"matrix\": {\"model\": [\"c\"]}}], \"suites\": [{\"name\": \"gsm8k\"}]}",
		"s.json", ".", err, sizeof err), *w;
	TB_REQUIRE(s != NULL);
	TB_CHECK_INT(s->n_targets, 3);
	TB_CHECK_STR(s->targets[0].id, "anthropic:x@model=a");
	TB_CHECK_STR(s->targets[0].model, "a");
	TB_CHECK_STR(s->targets[2].id, "g@model=c");   /* the target's own list replaces the top's */
	w = hx_spec_sweep(s, sweeps, 2, 0, err, sizeof err);
	TB_REQUIRE(w != NULL);
	TB_CHECK_INT(w->n_targets, 12);
	TB_CHECK_STR(w->targets[0].id, "anthropic:x@model=a@thinking_budget=1024,temperature=0");
	TB_CHECK_STR(w->targets[3].options_json, "{\"thinking_budget\":4096}");
	TB_CHECK_NEAR(w->targets[3].gen.temperature, 1, 0);
	hx_spec_free(w);
	/* bad sweeps from the command line */
	{
		static const char *const bad1[] = { "options.thinking_budgett=1" };
		static const char *const bad2[] = { "generation.max_tokens=" };
		static const char *const bad3[] = { "noequals" };
		TB_CHECK(hx_spec_sweep(s, bad1, 1, 0, err, sizeof err) == NULL);
		TB_CHECK(strstr(err, "did you mean \"options.thinking_budget\"") != NULL);
		TB_CHECK(hx_spec_sweep(s, bad2, 1, 0, err, sizeof err) == NULL);
		TB_CHECK(strstr(err, "expected KEY=VALUE") != NULL);
		TB_CHECK(hx_spec_sweep(s, bad3, 1, 0, err, sizeof err) == NULL);
		TB_CHECK(strstr(err, "expected KEY=VALUE") != NULL);
	}
	hx_spec_free(s);
}

static void test_sweep_points_set_several_keys_at_once(void)
{
	char err[512];
	hx_spec *s = hx_spec_parse("{\"targets\": [{\"id\": \"ds\", \"provider\": \"openai\", \"model\": \"x\", "
		"\"matrix\": {\"points\": [{\"id\": \"r1\", \"model\": \"deepseek-reasoner\", "
		"\"generation.max_tokens\": 32000}, {\"model\": \"deepseek-chat\", \"options.stream\": false}], "
		"\"generation.temperature\": [0, 1]}}], \"suites\": [{\"name\": \"gsm8k\"}]}", "s.json", ".", err,
		sizeof err), *q;
	TB_REQUIRE(s != NULL);
	TB_CHECK_INT(s->n_targets, 4);
	TB_CHECK_STR(s->targets[0].id, "ds@r1,temperature=0");
	TB_CHECK_STR(s->targets[0].model, "deepseek-reasoner");
	TB_CHECK_INT(s->targets[0].gen.max_tokens, 32000);
	TB_CHECK_STR(s->targets[3].id, "ds@model=deepseek-chat,stream=false,temperature=1");
	TB_CHECK_STR(s->targets[3].options_json, "{\"stream\":false}");
	TB_CHECK_NEAR(s->targets[3].gen.temperature, 1, 0);
	/* the same through the API quant-sweep uses */
	q = hx_spec_matrix(s, "{\"points\": [{\"id\": \"a\", \"quant\": \"Q8_0\"}, {\"id\": \"b\", "
		"\"quant\": \"Q2_K\"}]}", 0, err, sizeof err);
	TB_REQUIRE(q != NULL);
	TB_CHECK_INT(q->n_targets, 8);
	TB_CHECK_STR(q->targets[7].id, "ds@model=deepseek-chat,stream=false,temperature=1@b");
	TB_CHECK_STR(q->targets[7].quant, "Q2_K");
	hx_spec_free(q);
	TB_CHECK(hx_spec_matrix(s, "{\"points\": [{\"points\": []}]}", 0, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "points: not inside a point") != NULL);
	TB_CHECK(hx_spec_matrix(s, "{\"points\": [{\"id\": 3}]}", 0, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "id: expected a non-empty string") != NULL);
	TB_CHECK(hx_spec_matrix(s, "{\"points\": [\"x\"]}", 0, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "expected an object") != NULL);
	TB_CHECK(hx_spec_matrix(s, "{\"points\": [{\"options.nope\": 1}]}", 0, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "not an option of provider openai") != NULL);
	hx_spec_free(s);
}

static void test_sweep_bad_matrices_are_one_line_errors(void)
{
	static const struct { const char *matrix, *want; } cases[] = {
		{ "{\"options.reasoning_efort\": [\"low\"]}", "did you mean \"options.reasoning_effort\"" },
		{ "{\"options.n_ctx\": [1]}", "not an option of provider openai" },
		{ "{\"colour\": [1]}", "not a target option to sweep" },
		{ "{\"generation.max_tokenz\": [1]}", "not a generation setting" },
		{ "{\"generation.max_tokens\": []}", "expected a non-empty array" },
		{ "{\"generation.max_tokens\": 5}", "expected a non-empty array" },
		{ "{\"generation.max_tokens\": [\"many\"]}", "expected numbers" },
		{ "{\"options.reasoning_effort\": [[\"low\"]]}", "expected strings, numbers or booleans" },
		{ "[1]", "expected an object" },
		{ "{\"generation.seed\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16], \"generation.max_tokens\": "
		  "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}", "more than 256 targets" },
		{ "{\"options.reasoning_effort\": [\"low\", \"low\"]}", "duplicate id" },
	};
	char spec[1024], err[512];
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		hx_spec *s;
		snprintf(spec, sizeof spec, "{\"targets\": [{\"provider\": \"openai\", \"model\": \"m\", "
			"\"matrix\": %s}], \"suites\": [{\"name\": \"gsm8k\"}]}", cases[i].matrix);
		s = hx_spec_parse(spec, "s.json", ".", err, sizeof err);
		TB_CHECK(s == NULL);
		if (!strstr(err, cases[i].want))
			printf("  case %zu: \"%s\" lacks \"%s\"\n", i, err, cases[i].want);
		TB_CHECK(strstr(err, cases[i].want) != NULL);
		TB_CHECK(strchr(err, '\n') == NULL);
		hx_spec_free(s);
	}
	/* the limit can be raised */
	{
		hx_spec *s = hx_spec_parse("{\"max_targets\": 300, \"targets\": [{\"provider\": \"openai\", "
			"\"model\": \"m\", \"matrix\": {\"generation.seed\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16],"
			" \"generation.max_tokens\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}}], \"suites\": "
			"[{\"name\": \"gsm8k\"}]}", "s.json", ".", err, sizeof err);
		TB_CHECK(s != NULL && s->n_targets == 272);
		hx_spec_free(s);
	}
}

/* ------------------------------------------------------------------ a run and its report */

/* Runs spec_json against the mock into tmpdir/name and loads the store. */
static rep_set *run_sweep(const char *spec_json, const char *name)
{
	char err[1024], dir[160], db[200];
	hx_spec *spec = hx_spec_parse(spec_json, name, tmpdir, err, sizeof err);
	hx_run_opts ro;
	hx_run_summary sum;
	rep_set *set = NULL;
	FILE *devnull = fopen("/dev/null", "w");
	int rc;

	if (!spec) {
		printf("  spec: %s\n", err);
		goto out;
	}
	snprintf(dir, sizeof dir, "%s/%s", tmpdir, name);
	memset(&ro, 0, sizeof ro);
	ro.out_dir = dir;
	ro.quiet = 1;
	ro.log = devnull;
	rc = hx_run(spec, &ro, &sum, err, sizeof err);
	if (rc || sum.n_scored != sum.n_planned) {
		printf("  run: rc %d, %ld of %ld scored: %s\n", rc, sum.n_scored, sum.n_planned, rc ? err : "");
		for (int k = 0; k < 16; k++)
			if (sum.first_err[k][0])
				printf("  %s\n", sum.first_err[k]);
		goto out;
	}
	snprintf(db, sizeof db, "%s/results.db", dir);
	if (!(set = rep_set_new()) || rep_set_add_store(set, db, name, -1, err, sizeof err)) {
		printf("  load: %s\n", err);
		rep_set_free(set);
		set = NULL;
	}
out:
	hx_spec_free(spec);
	if (devnull)
		fclose(devnull);
	return set;
}

/* Starts the reasoning mock, runs spec_tmpl with the mock's port in place of its "PORT" into
 * tmpdir/name, stops the mock and builds the sweep rows. Returns the loaded set, or NULL. */
static rep_set *mock_sweep(const char *spec_tmpl, const char *name, rep_opts *o, rep_sweep_row **rows,
	size_t *n)
{
	mock_server m;
	char spec[2048];
	const char *at = strstr(spec_tmpl, "PORT");
	rep_set *set;

	*rows = NULL;
	*n = 0;
	rep_opts_default(o);
	if (mock_start_handler(&m, reasoning_api, NULL))
		return NULL;
	snprintf(spec, sizeof spec, "%.*s%d%s", at ? (int)(at - spec_tmpl) : 0, spec_tmpl, m.port,
		 at ? at + 4 : spec_tmpl);
	set = run_sweep(spec, name);
	mock_stop(&m);
	if (set && rep_sweep_build(set, o, rows, n)) {
		rep_set_free(set);
		set = NULL;
	}
	return set;
}

static const rep_sweep_row *find_row(const rep_sweep_row *r, size_t n, const char *point)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].point, point))
			return &r[i];
	return NULL;
}

static void test_sweep_openai_effort_and_budget_against_a_reasoning_mock(void)
{
	static const char *const efforts[] = { "low", "medium", "high" };
	static const long limits[] = { 1000, 8000 };
	rep_set *set;
	rep_sweep_row *rows;
	size_t n;
	rep_opts o;

	set = mock_sweep("{\"targets\": [{\"id\": \"mock-o\", \"provider\": \"openai\", \"model\": "
		"\"reasoner\", \"options\": {\"base_url\": \"http://127.0.0.1:PORT/v1\", \"key_env\": "
		"\"TB_TEST_KEY\", \"stream\": false}, \"prices\": {\"input_per_mtok\": 1, \"output_per_mtok\": 4},"
		" \"matrix\": {\"options.reasoning_effort\": [\"low\", \"medium\", \"high\"], "
		"\"generation.max_tokens\": [1000, 8000]}}], \"suites\": [{\"name\": \"gsm8k\", \"dataset\": "
		"\"items.jsonl\", \"shots\": 0}], \"concurrency\": 4}", "openai", &o, &rows, &n);
	TB_REQUIRE(set != NULL);
	TB_CHECK_INT(n, 6);
	for (int e = 0; e < 3; e++)
		for (int l = 0; l < 2; l++) {
			char point[64];
			double acc, oob, reasoning;
			const rep_sweep_row *r;
			snprintf(point, sizeof point, "reasoning_effort=%s,max_tokens=%ld", efforts[e], limits[l]);
			r = find_row(rows, n, point);
			TB_REQUIRE(r != NULL);
			expected(e + 1, limits[l], &acc, &oob, &reasoning);
			TB_CHECK_STR(r->family, "mock-o");
			TB_CHECK_NEAR(r->ts->acc, acc, 1e-12);
			TB_CHECK_NEAR(r->budget_out, oob, 1e-12);
			TB_CHECK_NEAR(r->reasoning_per_item, reasoning, 1e-9);
			TB_CHECK_NEAR(r->answer_per_item, oob == 1 ? 0 : 12 * (1 - oob), 1e-9);
			/* 40 input tokens at $1/M plus the output at $4/M, per item */
			TB_CHECK_NEAR(r->usd_per_item, (40 * 1.0 + 4.0 * (r->reasoning_per_item +
				r->answer_per_item)) / 1e6, 1e-12);
		}
	/* more effort with room to think: accuracy rises (30 -> 60 -> 90 %) and each step is
	 * significant on the shared items; the cheapest and the most accurate are on the frontier,
	 * a point that costs more and solves less is not */
	{
		const rep_sweep_row *lo = find_row(rows, n, "reasoning_effort=low,max_tokens=8000");
		const rep_sweep_row *me = find_row(rows, n, "reasoning_effort=medium,max_tokens=8000");
		const rep_sweep_row *hi = find_row(rows, n, "reasoning_effort=high,max_tokens=8000");
		const rep_sweep_row *hi1 = find_row(rows, n, "reasoning_effort=high,max_tokens=1000");
		TB_REQUIRE(lo && me && hi && hi1);
		TB_CHECK(lo->ts->acc < me->ts->acc && me->ts->acc < hi->ts->acc);
		TB_CHECK(hi->pareto_cost);
		TB_CHECK(!hi1->pareto_cost);   /* cut short: dearer than low,8000 and less accurate */
		TB_CHECK(hi1->budget_out > 0.5);
		TB_CHECK(me->prev != NULL && hi->prev != NULL);
		TB_CHECK(hi->prev == me->ts);
		TB_CHECK(hi->vs_prev.p < 0.05 && hi->vs_prev.diff > 0);
		TB_CHECK(isfinite(hi->usd_per_extra) && hi->usd_per_extra > 0);
	}
	/* the report carries the table */
	{
		FILE *f = tmpfile();
		char err[256], buf[65536];
		size_t got;
		TB_REQUIRE(f != NULL);
		TB_CHECK(rep_write_markdown(f, set, &o, err, sizeof err) == 0);
		rewind(f);
		got = fread(buf, 1, sizeof buf - 1, f);
		buf[got] = 0;
		TB_CHECK(strstr(buf, "Sweeps: accuracy against cost and latency") != NULL);
		/* (Markdown escapes the underscores) */
		TB_CHECK(strstr(buf, "| mock-o | gsm8k | reasoning\\_effort=high,max\\_tokens=8000 | 90.0 |") != NULL);
		fclose(f);
		/* and the JSON its raw rows */
		{
			char *big = malloc(1 << 20);
			cJSON *doc = NULL;
			const cJSON *row, *hit = NULL;
			TB_REQUIRE(big != NULL && (f = tmpfile()) != NULL);
			TB_CHECK(rep_write_json(f, set, &o, err, sizeof err) == 0);
			rewind(f);
			got = fread(big, 1, (1 << 20) - 1, f);
			big[got] = 0;
			fclose(f);
			doc = cJSON_Parse(big);
			cJSON_ArrayForEach(row, cJSON_GetObjectItem(doc, "sweep"))
				if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(row, "point")),
				    "reasoning_effort=high,max_tokens=8000"))
					hit = row;
			TB_CHECK(hit != NULL);
			TB_CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(hit, "accuracy")), 0.9, 1e-12);
			TB_CHECK(cJSON_IsTrue(cJSON_GetObjectItem(hit, "pareto_cost")));
			TB_CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(hit, "vs_cheaper"),
				"p")) < 0.05);
			cJSON_Delete(doc);
			free(big);
		}
	}
	/* the charts: accuracy against $ per item and against latency, the frontier marked */
	{
		char dir[128], path[192], err[256], warn[256], line[256];
		int n_charts = 0, n_lines = 0, n_front = 0;
		FILE *f;
		snprintf(dir, sizeof dir, "%s/charts", tmpdir);
		TB_CHECK(rep_charts_write(set, &o, dir, &n_charts, warn, sizeof warn, err, sizeof err) == 0);
		snprintf(path, sizeof path, "%s/sweep_mock-o_gsm8k_cost.dat", dir);
		TB_REQUIRE((f = fopen(path, "r")) != NULL);
		while (fgets(line, sizeof line, f) && line[0] != '\n')   /* block 0: every point */
			if (line[0] != '#') {
				int front = 0;
				double x, y;
				TB_CHECK(sscanf(line, "%lf %lf %d", &x, &y, &front) == 3);
				n_lines++;
				n_front += front;
			}
		fclose(f);
		TB_CHECK_INT(n_lines, 6);
		TB_CHECK_INT(n_front, 3);   /* low,1000 (cheapest), medium,8000 and high,8000 */
		snprintf(path, sizeof path, "%s/sweep_mock-o_gsm8k_latency.gp", dir);
		TB_CHECK(access(path, R_OK) == 0);
	}
	rep_sweep_release(rows, n);
	rep_set_free(set);
}

static void test_sweep_anthropic_and_gemini_thinking_budgets(void)
{
	static const char *const kinds[] = { "anthropic", "gemini" };
	static const int budgets[] = { 1024, 4096, 16384 };
	for (int k = 0; k < 2; k++) {
		char fmt[1024];
		rep_set *set;
		rep_sweep_row *rows;
		size_t n;
		rep_opts o;
		snprintf(fmt, sizeof fmt, "{\"targets\": [{\"id\": \"think\", \"provider\": \"%s\", \"model\": "
			"\"reasoner\", \"options\": {\"base_url\": \"http://127.0.0.1:PORT\", \"key_env\": "
			"\"TB_TEST_KEY\", \"stream\": false}, \"matrix\": {\"options.thinking_budget\": "
			"[1024, 4096, 16384]}}], \"suites\": [{\"name\": \"gsm8k\", \"dataset\": \"items.jsonl\", "
			"\"shots\": 0}], \"generation\": {\"max_tokens\": 4000}}", kinds[k]);
		set = mock_sweep(fmt, kinds[k], &o, &rows, &n);
		TB_REQUIRE(set != NULL);
		TB_CHECK_INT(n, 3);
		for (int b = 0; b < 3; b++) {
			char point[64];
			double acc, oob, reasoning;
			const rep_sweep_row *r;
			/* Anthropic: a budget at or above max_tokens raises max_tokens to budget + max_tokens */
			long limit = k == 0 && budgets[b] >= 4000 ? budgets[b] + 4000 : 4000;
			snprintf(point, sizeof point, "thinking_budget=%d", budgets[b]);
			TB_REQUIRE((r = find_row(rows, n, point)) != NULL);
			expected(b + 1, limit, &acc, &oob, &reasoning);
			TB_CHECK_NEAR(r->ts->acc, acc, 1e-12);
			TB_CHECK_NEAR(r->budget_out, oob, 1e-12);
			if (k == 1)   /* Gemini reports its thought tokens apart */
				TB_CHECK_NEAR(r->reasoning_per_item, reasoning, 1e-9);
		}
		rep_sweep_release(rows, n);
		rep_set_free(set);
	}
}

/* The local engine with a thinking model (tests/mock/thinker.h: every chat answer is
 * "<think> a b</think> ok"): thinking on splits 4 reasoning tokens from a 1-token answer, off
 * leaves all 5 as answer; a limit of 2 tokens ends every sample inside the reasoning. */
static void test_sweep_local_thinking_on_off_and_budget(void)
{
	char model[128], spec[1024];
	rep_set *set;
	rep_sweep_row *rows = NULL;
	size_t n = 0;
	rep_opts o;
	const rep_sweep_row *on, *off, *cut;
	snprintf(model, sizeof model, "%s/thinker.gguf", tmpdir);
	TB_REQUIRE(build_thinker(model) == 0);
	snprintf(spec, sizeof spec, "{\"targets\": [{\"id\": \"think\", \"provider\": \"local\", \"model\": "
		"\"thinker.gguf\", \"options\": {\"threads\": 1, \"n_ctx\": 1024, \"chat_template\": \"qwen3\"}, \"matrix\": "
		"{\"options.thinking\": [true, false], \"generation.max_tokens\": [2, 20]}}], \"suites\": "
		"[{\"name\": \"gsm8k\", \"dataset\": \"items.jsonl\", \"shots\": 0, \"chat\": true, \"limit\": 6}]}");
	set = run_sweep(spec, "local");
	TB_REQUIRE(set != NULL);
	rep_opts_default(&o);
	TB_REQUIRE(rep_sweep_build(set, &o, &rows, &n) == 0);
	TB_CHECK_INT(n, 4);
	on = find_row(rows, n, "thinking=true,max_tokens=20");
	off = find_row(rows, n, "thinking=false,max_tokens=20");
	cut = find_row(rows, n, "thinking=true,max_tokens=2");
	TB_REQUIRE(on && off && cut);
	TB_CHECK_NEAR(on->reasoning_per_item, 4, 0);
	TB_CHECK_NEAR(on->answer_per_item, 1, 0);
	TB_CHECK_NEAR(on->budget_out, 0, 0);
	TB_CHECK_NEAR(off->reasoning_per_item, 0, 0);
	TB_CHECK_NEAR(off->answer_per_item, 5, 0);
	TB_CHECK_NEAR(cut->budget_out, 1, 0);   /* cut inside the reasoning: no answer */
	TB_CHECK_NEAR(cut->answer_per_item, 0, 0);
	rep_sweep_release(rows, n);
	rep_set_free(set);
}

int main(void)
{
	char path[128];
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_sweep_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/items.jsonl", tmpdir);
	if (write_items(path)) {
		perror(path);
		return 1;
	}
	setenv("TB_TEST_KEY", "sk-sweep-test", 1);
	TB_RUN(test_sweep_matrix_expands_into_one_target_per_combination);
	TB_RUN(test_sweep_top_level_matrix_and_command_line_sweep);
	TB_RUN(test_sweep_points_set_several_keys_at_once);
	TB_RUN(test_sweep_bad_matrices_are_one_line_errors);
	TB_RUN(test_sweep_openai_effort_and_budget_against_a_reasoning_mock);
	TB_RUN(test_sweep_anthropic_and_gemini_thinking_budgets);
	TB_RUN(test_sweep_local_thinking_on_off_and_budget);
	tb_rmtree(tmpdir);
	return tb_test_end();
}
