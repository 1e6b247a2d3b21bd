/* tests/providers/test_prices.c — the price table: the built-in datasets/prices.json loads and
 * holds the required models with a date and source each, snapshot names match their base entry,
 * cost with cached input, reasoning billed as output and long-context tiers, and loader errors
 * naming the file and JSON path. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "test.h"
#include "providers/provider.h"

static prov_prices *builtin(void)
{
	char path[4096], err[256];
	prov_prices *t;
	if (!prov_prices_default_path(path, sizeof path))
		return NULL;
	t = prov_prices_load(path, err, sizeof err);
	if (!t)
		printf("  %s\n", err);
	return t;
}

static void test_builtin_table_has_required_models_at_published_prices(void)
{
	static const struct { const char *prov, *model; double in, out, cached; } want[] = {
		{ "anthropic", "claude-haiku-4-5", 1, 5, 0.10 },
		{ "anthropic", "claude-sonnet-4-6", 3, 15, 0.30 },
		{ "anthropic", "claude-opus-4-6", 5, 25, 0.50 },
		{ "openai", "gpt-4.1", 2, 8, 0.50 },
		{ "openai", "gpt-4.1-mini", 0.40, 1.60, 0.10 },
		{ "openai", "gpt-5", 1.25, 10, 0.125 },
		{ "openai", "gpt-5-mini", 0.25, 2, 0.025 },
		{ "openai", "gpt-4o-mini", 0.15, 0.60, 0.075 },
		{ "gemini", "gemini-2.5-pro", 1.25, 10, -1 },
		{ "gemini", "gemini-2.5-flash", 0.30, 2.50, -1 },
		{ "gemini", "gemini-2.5-flash-lite", 0.10, 0.40, -1 },
		{ "openai", "deepseek-chat", 0.28, 0.42, 0.028 },
		{ "openai", "deepseek-reasoner", 0.28, 0.42, 0.028 },
	};
	prov_prices *t = builtin();
	TB_REQUIRE(t);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		prov_price p;
		TB_REQUIRE(prov_prices_find(t, want[i].prov, want[i].model, &p) == 0);
		TB_CHECK_NEAR(p.input_per_mtok, want[i].in, 1e-12);
		TB_CHECK_NEAR(p.output_per_mtok, want[i].out, 1e-12);
		TB_CHECK_NEAR(p.cached_input_per_mtok, want[i].cached, 1e-12);
	}
	prov_prices_free(t);
}

static void test_every_builtin_entry_has_date_and_source(void)
{
	char path[4096];
	char *json;
	cJSON *root;
	const cJSON *m;
	int n = 0, mistral = 0;
	TB_REQUIRE(prov_prices_default_path(path, sizeof path));
	TB_REQUIRE((json = tb_slurp(path, NULL)));
	TB_REQUIRE((root = cJSON_Parse(json)));
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(root, "models")) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(m, "as_of");
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(m, "source");
		int y, mo, da;
		TB_CHECK(cJSON_IsString(d) && sscanf(d->valuestring, "%4d-%2d-%2d", &y, &mo, &da) == 3 &&
			 y >= 2024 && mo >= 1 && mo <= 12 && da >= 1 && da <= 31);
		TB_CHECK(cJSON_IsString(s) && strncmp(s->valuestring, "https://", 8) == 0);
		mistral += strcmp(cJSON_GetObjectItemCaseSensitive(m, "provider")->valuestring, "mistral") == 0;
		n++;
	}
	TB_CHECK(n >= 15);
	TB_CHECK(mistral >= 3);
	cJSON_Delete(root);
	free(json);
}

static void test_snapshot_names_match_base_entry_and_longest_name_wins(void)
{
	prov_prices *t = builtin();
	prov_price p;
	TB_REQUIRE(t);
	TB_REQUIRE(prov_prices_find(t, "anthropic", "claude-haiku-4-5-20251001", &p) == 0);
	TB_CHECK_NEAR(p.input_per_mtok, 1, 1e-12);
	TB_REQUIRE(prov_prices_find(t, "openai", "gpt-4.1-mini-2025-04-14", &p) == 0);
	TB_CHECK_NEAR(p.input_per_mtok, 0.40, 1e-12);
	TB_CHECK(strlen(p.as_of) == 10 && strncmp(p.as_of, "20", 2) == 0);   /* the entry's date */
	TB_REQUIRE(prov_prices_find(t, "gemini", "models/gemini-2.5-flash", &p) == 0);
	TB_CHECK_NEAR(p.output_per_mtok, 2.50, 1e-12);
	/* A different model that merely starts with a known name is not priced as it. */
	TB_CHECK(prov_prices_find(t, "openai", "gpt-5-nano", &p) == PROV_EINVAL);
	TB_CHECK(prov_prices_find(t, "openai", "llama-3-8b", &p) == PROV_EINVAL);
	prov_prices_free(t);
}

static void test_cost_bills_cached_at_cached_price_and_reasoning_as_output(void)
{
	prov_price p = { .input_per_mtok = 3, .output_per_mtok = 15, .cached_input_per_mtok = 0.30 };
	/* 10k prompt of which 8k cached; 2k out of which (say) 1.5k reasoning: all 2k as output. */
	TB_CHECK_NEAR(prov_price_cost_usd(&p, 10000, 2000, 8000),
		(2000 * 3 + 8000 * 0.30 + 2000 * 15) / 1e6, 1e-12);
	/* No cached price: cached tokens cost the input price. */
	p.cached_input_per_mtok = -1;
	TB_CHECK_NEAR(prov_price_cost_usd(&p, 10000, 0, 8000), 10000 * 3 / 1e6, 1e-12);
	/* Cached beyond the prompt is clamped. */
	p.cached_input_per_mtok = 0;
	TB_CHECK_NEAR(prov_price_cost_usd(&p, 100, 0, 500), 0, 1e-15);
}

static void test_long_context_tier_applies_by_prompt_size(void)
{
	prov_prices *t = builtin();
	prov_price p;
	TB_REQUIRE(t);
	TB_REQUIRE(prov_prices_find(t, "gemini", "gemini-2.5-pro", &p) == 0);
	TB_REQUIRE(p.n_tiers == 1);
	TB_CHECK_NEAR(prov_price_cost_usd(&p, 200000, 1000, 0), (200000 * 1.25 + 1000 * 10) / 1e6, 1e-12);
	TB_CHECK_NEAR(prov_price_cost_usd(&p, 200001, 1000, 0), (200001 * 2.5 + 1000 * 15) / 1e6, 1e-12);
	prov_prices_free(t);
}

static void test_loader_errors_name_file_and_json_path(void)
{
	static const struct { const char *json, *msg; } c[] = {
		{ "{", "p.json: not valid JSON" },
		{ "{\"models\": 3}", "p.json: models: expected an array" },
		{ "{\"models\": [{\"provider\": \"x\"}]}", "p.json: models[0]: needs \"provider\" and \"model\"" },
		{ "{\"models\": [{\"provider\": \"x\", \"model\": \"m\", \"input_per_mtok\": 1}]}",
		  "p.json: models[0]: needs input_per_mtok and output_per_mtok" },
		{ "{\"models\": [{\"provider\": \"x\", \"model\": \"m\", \"input_per_mtok\": 1, \"output_per_mtok\": -2}]}",
		  "p.json: models[0].output_per_mtok: expected a number >= 0" },
		{ "{\"models\": [{\"provider\": \"x\", \"model\": \"m\", \"input_per_mtok\": 1, \"output_per_mtok\": 2,"
		  " \"tiers\": [{\"above_input_tokens\": 5, \"input_per_mtok\": \"a\"}]}]}",
		  "p.json: models[0].tiers[0].input_per_mtok: expected a number >= 0" },
		{ "{\"models\": [{\"provider\": \"x\", \"model\": \"m\", \"input_per_mtok\": 1, \"output_per_mtok\": 2,"
		  " \"tiers\": [{\"above_input_tokens\": 5}, {\"above_input_tokens\": 5}]}]}",
		  "p.json: models[0].tiers[1].above_input_tokens: tiers must rise" },
	};
	char err[256];
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		err[0] = '\0';
		TB_CHECK(prov_prices_parse(c[i].json, "p.json", err, sizeof err) == NULL);
		if (strncmp(err, c[i].msg, strlen(c[i].msg)))
			printf("  case %zu: got \"%s\"\n", i, err);
		TB_CHECK(strncmp(err, c[i].msg, strlen(c[i].msg)) == 0);
	}
	TB_CHECK(prov_prices_load("/nonexistent/p.json", err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "/nonexistent/p.json") != NULL);
}

int main(void)
{
	TB_RUN(test_builtin_table_has_required_models_at_published_prices);
	TB_RUN(test_every_builtin_entry_has_date_and_source);
	TB_RUN(test_snapshot_names_match_base_entry_and_longest_name_wins);
	TB_RUN(test_cost_bills_cached_at_cached_price_and_reasoning_as_output);
	TB_RUN(test_long_context_tier_applies_by_prompt_size);
	TB_RUN(test_loader_errors_name_file_and_json_path);
	return tb_test_end();
}
