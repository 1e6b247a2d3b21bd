/* tests/harness/test_spec.c — the run spec: a full spec round-trips, defaults are filled, every
 * kind of mistake gets one line naming the JSON path, and the identity JSON changes only with
 * what decides results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "harness/harness.h"

static const char *full_spec =
	"{\"name\": \"full\","
	" \"targets\": [{\"id\": \"a\", \"provider\": \"samples\", \"model\": \"gens.jsonl\","
	"   \"options\": {\"delay_ms\": 5}, \"prices\": {\"input_per_mtok\": 0.5, \"output_per_mtok\": 1.5},"
	"   \"hardware\": {\"kind\": \"api\"}, \"quant\": \"Q4_K_M\", \"max_in_flight\": 4},"
	"  {\"provider\": \"samples\", \"model\": \"other.jsonl\"}],"
	" \"suites\": [{\"name\": \"gsm8k\", \"dataset\": \"test.jsonl\", \"train\": \"train.jsonl\", \"shots\": 5,"
	"   \"samples\": 3, \"limit\": 50, \"seed\": 9, \"chat\": true}],"
	" \"generation\": {\"max_tokens\": 256, \"temperature\": 0.7, \"top_p\": 0.95, \"stop\": [\"Q:\"], \"seed\": 11},"
	" \"concurrency\": 16, \"score_workers\": 2, \"output\": \"runs/full\"}";

static hx_spec *parse(const char *json, char *err, size_t errlen)
{
	return hx_spec_parse(json, "spec.json", ".", err, errlen);
}

static void test_spec_full_example_parses_and_round_trips(void)
{
	char err[512] = "";
	hx_spec *s = parse(full_spec, err, sizeof err), *t;
	char *j1, *j2;
	TB_REQUIRE(s != NULL);
	TB_CHECK_STR(s->name, "full");
	TB_CHECK_INT(s->n_targets, 2);
	TB_CHECK_STR(s->targets[0].id, "a");
	TB_CHECK_STR(s->targets[1].id, "samples:other.jsonl");
	TB_CHECK_STR(s->targets[0].options_json, "{\"delay_ms\":5}");
	TB_CHECK(s->targets[0].has_prices && s->targets[0].price_out_usd_per_mtok == 1.5);
	TB_CHECK_INT(s->targets[0].max_in_flight, 4);
	TB_CHECK_STR(s->targets[0].quant, "Q4_K_M");
	TB_CHECK_INT(s->suites[0].shots, 5);
	TB_CHECK_INT(s->suites[0].samples, 3);
	TB_CHECK_INT(s->suites[0].limit, 50);
	TB_CHECK_INT(s->suites[0].chat, 1);
	TB_CHECK_INT(s->gen.max_tokens, 256);
	TB_CHECK_INT(s->gen.n_stop, 1);
	TB_CHECK_INT(s->gen.seed, 11);
	TB_CHECK_INT(s->concurrency, 16);
	j1 = hx_spec_to_json(s, 0);
	TB_REQUIRE(j1 != NULL);
	t = parse(j1, err, sizeof err);
	if (!t)
		printf("  reparse: %s\n", err);
	TB_REQUIRE(t != NULL);
	j2 = hx_spec_to_json(t, 0);
	TB_CHECK_STR(j1, j2);
	free(j1);
	free(j2);
	hx_spec_free(s);
	hx_spec_free(t);
}

static void test_spec_defaults_are_filled(void)
{
	char err[512];
	hx_spec *s = parse("{\"targets\": [{\"provider\": \"samples\", \"model\": \"g.jsonl\"}],"
			   " \"suites\": [{\"name\": \"gsm8k\"}]}", err, sizeof err);
	TB_REQUIRE(s != NULL);
	TB_CHECK_INT(s->concurrency, 8);
	TB_CHECK_INT(s->suites[0].shots, -1);
	TB_CHECK_INT(s->suites[0].samples, 1);
	TB_CHECK_INT(s->suites[0].limit, 0);
	TB_CHECK_INT(s->suites[0].seed, 1234);
	TB_CHECK_INT(s->gen.seed, -1);
	TB_CHECK(s->output == NULL && s->suites[0].dataset == NULL);
	TB_CHECK_STR(s->base_dir, ".");
	hx_spec_free(s);
}

/* spec text, the exact error */
static const struct { const char *json, *msg; } bad[] = {
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"gsm8k\"},"
	  " {\"name\": \"gsm8k\", \"shots\": \"eight\"}]}",
	  "spec.json: suites[1].shots: expected integer >= 0, got \"eight\"" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"modle\": \"g\"}], \"suites\": [{\"name\": \"gsm8k\"}]}",
	  "spec.json: targets[0].modle: unknown key (did you mean \"model\"?)" },
	{ "{\"targets\": [], \"suites\": [{\"name\": \"gsm8k\"}]}",
	  "spec.json: targets: expected a non-empty array" },
	{ "{\"suites\": [{\"name\": \"gsm8k\"}]}",
	  "spec.json: targets: expected a non-empty array (missing required key)" },
	{ "{\"targets\": [{\"model\": \"g\"}], \"suites\": [{\"name\": \"gsm8k\"}]}",
	  "spec.json: targets[0].provider: missing required key" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"gsm8k\", \"samples\": 0}]}",
	  "spec.json: suites[0].samples: expected integer 1..100000, got 0" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"gsm8k\", \"limit\": 1.5}]}",
	  "spec.json: suites[0].limit: expected integer >= 0, got 1.5" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"gsm8k\", \"chat\": 1}]}",
	  "spec.json: suites[0].chat: expected true or false, got 1" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"gsm8k\"}],"
	  " \"generation\": {\"top_p\": 0}}",
	  "spec.json: generation.top_p: expected number in (0, 1], got 0" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"gsm8k\"}],"
	  " \"generation\": {\"stop\": [\"x\", 3]}}",
	  "spec.json: generation.stop[1]: expected a non-empty string, got 3" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"gsm8k\"}],"
	  " \"concurency\": 3}",
	  "spec.json: concurency: unknown key (did you mean \"concurrency\"?)" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"gsm8k\"}], \"zzz\": 1}",
	  "spec.json: zzz: unknown key (valid keys: name, targets, suites, generation, concurrency, score_workers, output, matrix, max_targets)" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}, {\"provider\": \"samples\", \"model\": \"g\"}],"
	  " \"suites\": [{\"name\": \"gsm8k\"}]}",
	  "spec.json: targets[1].id: duplicate id \"samples:g\" (also targets[0])" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\", \"prices\": {\"input_per_mtok\": -1}}],"
	  " \"suites\": [{\"name\": \"gsm8k\"}]}",
	  "spec.json: targets[0].prices.input_per_mtok: expected number >= 0, got -1" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"needle\", \"lenghts\": [1024]}]}",
	  "spec.json: suites[0].lenghts: unknown key (did you mean \"lengths\"?)" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"needle\", \"depth_count\": 3}]}",
	  "spec.json: suites[0].depth_count: unknown key (valid keys: name, dataset, train, shots, samples, limit, seed, chat, weight, options, lengths, depths, variant, window, top_k)" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"gsm8k\", \"depths\": 3}]}",
	  "spec.json: suites[0].depths: only the needle suite takes this key (this suite is \"gsm8k\")" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"gsm8k\", \"window\": 64}]}",
	  "spec.json: suites[0].window: only the quality suite takes this key (this suite is \"gsm8k\")" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"quality\", \"top_k\": 17}]}",
	  "spec.json: suites[0].top_k: expected integer 1..16, got 17" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"needle\", \"lengths\": [1024, 100]}]}",
	  "spec.json: suites[0].lengths[1]: expected integer 256..16777216 (tokens), got 100" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"needle\", \"lengths\": 1024}]}",
	  "spec.json: suites[0].lengths: expected an array of 1..64 integers, got 1024" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"needle\", \"lengths\": []}]}",
	  "spec.json: suites[0].lengths: expected an array of 1..64 integers, got []" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"needle\", \"depths\": 0}]}",
	  "spec.json: suites[0].depths: expected integer 1..101, got 0" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"needle\", \"variant\": \"multi\"}]}",
	  "spec.json: suites[0].variant: expected \"single\", \"multikey\", \"multivalue\" or \"vartrack\", got \"multi\"" },
	/* the same keys in the suite's options object: the path says so */
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"needle\", \"options\": {\"lengths\": [1024, 100]}}]}",
	  "spec.json: suites[0].options.lengths[1]: expected integer 256..16777216 (tokens), got 100" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"needle\", \"options\": {\"depth\": 3}}]}",
	  "spec.json: suites[0].options.depth: unknown key (the needle suite takes lengths, depths, variant)" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"gsm8k\", \"options\": {\"depths\": 3}}]}",
	  "spec.json: suites[0].options.depths: unknown key (the gsm8k suite takes no options)" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"needle\", \"options\": [1]}]}",
	  "spec.json: suites[0].options: expected an object, got [1]" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"needle\", \"depths\": 3, \"options\": {\"depths\": 4}}]}",
	  "spec.json: suites[0].depths: given twice: here and in suites[0].options" },
	{ "{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"quality\", \"options\": {\"window\": 4}}]}",
	  "spec.json: suites[0].options.window: expected integer 8..1048576, got 4" },
	{ "[1, 2]", "spec.json: expected a JSON object at the top level" },
	{ "{\n  \"targets\": [\n    {\"provider\": \"samples\",, }\n  ]\n}", "spec.json:3:29: invalid JSON near \" }\"" },
};

static void test_spec_errors_name_path_and_expectation(void)
{
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char err[512] = "";
		hx_spec *s = parse(bad[i].json, err, sizeof err);
		TB_CHECK(s == NULL);
		if (strcmp(err, bad[i].msg) != 0) {
			printf("  case %zu:\n    got  %s\n    want %s\n", i, err, bad[i].msg);
			TB_CHECK(0);
		}
		hx_spec_free(s);
	}
}

static void test_spec_identity_ignores_concurrency_but_not_limit(void)
{
	char err[512];
	hx_spec *a = parse(full_spec, err, sizeof err), *b = parse(full_spec, err, sizeof err);
	char *ia, *ib;
	TB_REQUIRE(a && b);
	b->concurrency = 1;
	b->targets[0].max_in_flight = 99;
	free(b->output);
	b->output = strdup("elsewhere");
	ia = hx_spec_to_json(a, 1);
	ib = hx_spec_to_json(b, 1);
	TB_CHECK_STR(ia, ib);
	free(ib);
	b->suites[0].limit = 51;
	ib = hx_spec_to_json(b, 1);
	TB_CHECK(strcmp(ia, ib) != 0);
	free(ia);
	free(ib);
	hx_spec_free(a);
	hx_spec_free(b);
}

static void test_spec_needle_grid_keys_parse_round_trip_and_count_in_the_identity(void)
{
	char err[512] = "", *j, *j2;
	hx_spec *s = parse("{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"needle\", \"lengths\": [1024, 4096, 32768],"
			   " \"depths\": 5, \"variant\": \"multikey\"}]}", err, sizeof err), *back;
	TB_REQUIRE(s != NULL);
	/* the keys beside the suite's others travel as the suite's own options */
	TB_CHECK_STR(s->suites[0].options_json, "{\"lengths\":[1024,4096,32768],\"depths\":5,\"variant\":\"multikey\"}");
	/* The canonical JSON keeps them and parses back to the same spec. */
	j = hx_spec_to_json(s, 0);
	TB_REQUIRE(j != NULL);
	TB_CHECK(strstr(j, "\"lengths\":[1024,4096,32768]") != NULL);
	back = parse(j, err, sizeof err);
	TB_REQUIRE(back != NULL);
	j2 = hx_spec_to_json(back, 0);
	TB_CHECK_STR(j, j2);
	free(j2);
	/* They decide the results, so a resumed run with other lengths is a different run. */
	free(j);
	j = hx_spec_to_json(s, 1);
	TB_REQUIRE(hx_suite_spec_option_set(&back->suites[0], "depths", "6") == 0);
	j2 = hx_spec_to_json(back, 1);
	TB_CHECK(strcmp(j, j2) != 0);
	free(j);
	free(j2);
	hx_spec_free(back);
	/* Without them, nothing is set and the suite takes its defaults. */
	hx_spec_free(s);
	s = parse("{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"needle\"}]}", err, sizeof err);
	TB_REQUIRE(s != NULL);
	TB_CHECK(s->suites[0].options_json == NULL);
	j = hx_spec_to_json(s, 0);
	TB_CHECK(strstr(j, "lengths") == NULL && strstr(j, "variant") == NULL && strstr(j, "options") == NULL);
	free(j);
	hx_spec_free(s);
}

/* The suite's "options" object and the same keys written beside the suite's others are one spec:
 * one canonical JSON, one identity (so a run stored by an earlier tierbench resumes), whatever
 * the order the keys were written in. */
static void test_spec_suite_options_object_and_old_spelling_are_one_identity(void)
{
	char err[512] = "", *ja, *jb, *jc;
	hx_spec *a = parse("{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"needle\","
			   " \"variant\": \"multikey\", \"depths\": 5, \"lengths\": [1024, 4096]}]}", err, sizeof err);
	hx_spec *b = parse("{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"needle\","
			   " \"options\": {\"lengths\": [1024, 4096], \"variant\": \"multikey\", \"depths\": 5}}]}", err, sizeof err);
	hx_spec *c = parse("{\"targets\": [{\"provider\": \"samples\", \"model\": \"g\"}], \"suites\": [{\"name\": \"needle\","
			   " \"depths\": 5, \"options\": {\"variant\": \"multikey\", \"lengths\": [1024, 4096]}}]}", err, sizeof err);
	TB_REQUIRE(a && b && c);
	ja = hx_spec_to_json(a, 1);
	jb = hx_spec_to_json(b, 1);
	jc = hx_spec_to_json(c, 1);
	TB_REQUIRE(ja && jb && jc);
	TB_CHECK_STR(ja, jb);
	TB_CHECK_STR(ja, jc);
	/* the form earlier releases wrote: the options beside the suite's keys, in the suite's order */
	TB_CHECK(strstr(ja, "\"chat\":false,\"lengths\":[1024,4096],\"depths\":5,\"variant\":\"multikey\"}") != NULL);
	free(ja);
	free(jb);
	free(jc);
	hx_spec_free(a);
	hx_spec_free(b);
	hx_spec_free(c);
}

/* A spec built in code (the commands' flags) sets options one key at a time; the suite checks
 * them when the spec is validated, and the values set one by one still count. */
static void test_spec_options_set_in_code_are_checked_by_the_suite(void)
{
	char err[512] = "", *opts = NULL, *j;
	hx_spec *s = hx_spec_new();
	hx_suite_spec *ss;
	TB_REQUIRE(s && hx_spec_add_target(s, "samples", "g"));
	TB_REQUIRE((ss = hx_spec_add_suite(s, "needle")) != NULL);
	TB_CHECK(hx_spec_validate(s, err, sizeof err) == 0);
	TB_CHECK_INT(hx_suite_spec_option_set(ss, "lengths", "[512, 1024]"), 0);
	TB_CHECK_INT(hx_suite_spec_option_set(ss, "depths", "7"), 0);
	TB_CHECK_INT(hx_suite_spec_option_set(ss, "depths", "3"), 0);     /* replaces */
	TB_CHECK_INT(hx_suite_spec_option_set(ss, "variant", "not json"), HX_EINVAL);
	TB_CHECK_STR(ss->options_json, "{\"lengths\":[512,1024],\"depths\":3}");
	TB_CHECK(hx_spec_validate(s, err, sizeof err) == 0);
	TB_CHECK_INT(hx_suite_spec_option_set(ss, "depths", "0"), 0);
	TB_CHECK_INT(hx_spec_validate(s, err, sizeof err), HX_EINVAL);
	TB_CHECK_STR(err, "suites[0].options.depths: expected integer 1..101, got 0");
	TB_CHECK_INT(hx_suite_spec_option_set(ss, "depths", "2"), 0);
	/* a quality suite's window, as quant-sweep and quality set it */
	ss = hx_spec_add_suite(s, "quality");
	TB_REQUIRE(ss != NULL);
	TB_CHECK_INT(hx_suite_spec_option_set(ss, "window", "64"), 0);
	TB_CHECK_INT(hx_suite_spec_options(ss, &opts), 0);
	TB_CHECK_STR(opts, "{\"window\":64}");
	free(opts);
	j = hx_spec_to_json(s, 1);
	TB_CHECK(j && strstr(j, "\"name\":\"quality\"") && strstr(j, "\"window\":64"));
	free(j);
	TB_CHECK_INT(hx_suite_spec_option_set(ss, "window", "2"), 0);
	TB_CHECK_INT(hx_spec_validate(s, err, sizeof err), HX_EINVAL);
	TB_CHECK_STR(err, "suites[1].options.window: expected integer 8..1048576, got 2");
	hx_spec_free(s);
}

static void test_spec_load_reports_unreadable_and_sets_base_dir(void)
{
	char err[512], dir[] = "/tmp/tb_spec_XXXXXX", path[256];
	hx_spec *s;
	FILE *f;
	TB_CHECK(hx_spec_load("no/such/spec.json", err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "no/such/spec.json: cannot open") != NULL);
	TB_REQUIRE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/s.json", dir);
	TB_REQUIRE((f = fopen(path, "w")) != NULL);
	fputs(full_spec, f);
	fclose(f);
	s = hx_spec_load(path, err, sizeof err);
	TB_REQUIRE(s != NULL);
	TB_CHECK_STR(s->base_dir, dir);
	hx_spec_free(s);
	TB_REQUIRE((f = fopen(path, "w")) != NULL);
	fputs("{\"targets\": 5}", f);
	fclose(f);
	TB_CHECK(hx_spec_load(path, err, sizeof err) == NULL);
	TB_CHECK(strncmp(err, path, strlen(path)) == 0);
	unlink(path);
	rmdir(dir);
}

static void test_spec_built_from_flags_validates(void)
{
	char err[512];
	hx_spec *s = hx_spec_new();
	TB_REQUIRE(s != NULL);
	TB_CHECK(hx_spec_validate(s, err, sizeof err) != 0);
	TB_REQUIRE(hx_spec_add_target(s, "samples", "g.jsonl") != NULL);
	TB_REQUIRE(hx_spec_add_suite(s, "gsm8k") != NULL);
	TB_CHECK_INT(hx_spec_validate(s, err, sizeof err), 0);
	TB_CHECK_STR(s->targets[0].id, "samples:g.jsonl");
	TB_REQUIRE(hx_spec_add_target(s, "samples", "g.jsonl") != NULL);
	TB_CHECK(hx_spec_validate(s, err, sizeof err) != 0);
	TB_CHECK(strstr(err, "duplicate id") != NULL);
	hx_spec_free(s);
	hx_spec_free(NULL);
}

static void test_spec_survives_deep_and_huge_nonsense(void)
{
	char err[512];
	size_t n = 200000;
	char *deep = malloc(2 * n + 1);
	TB_REQUIRE(deep != NULL);
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = 0;
	TB_CHECK(parse(deep, err, sizeof err) == NULL);
	memset(deep, 'x', 2 * n);
	TB_CHECK(parse(deep, err, sizeof err) == NULL);
	TB_CHECK(parse("", err, sizeof err) == NULL);
	free(deep);
}

/* prices.cached_input_per_mtok is read and written back; without it the canonical JSON (and so
 * the identity of older specs) is unchanged, and the value stays "use the input price". */
static void test_spec_cached_input_price_round_trips_and_is_optional(void)
{
	char err[512] = "", *j;
	hx_spec *s = parse("{\"targets\": [{\"provider\": \"openai\", \"model\": \"gpt-5\", \"prices\":"
		" {\"input_per_mtok\": 1.25, \"output_per_mtok\": 10, \"cached_input_per_mtok\": 0.125}},"
		" {\"provider\": \"openai\", \"model\": \"x\", \"prices\": {\"input_per_mtok\": 1,"
		" \"output_per_mtok\": 2}}], \"suites\": [{\"name\": \"gsm8k\"}]}", err, sizeof err);
	TB_REQUIRE(s != NULL);
	TB_CHECK_NEAR(s->targets[0].price_cached_usd_per_mtok, 0.125, 1e-12);
	TB_CHECK(s->targets[1].price_cached_usd_per_mtok < 0);
	TB_REQUIRE((j = hx_spec_to_json(s, 1)) != NULL);
	TB_CHECK(strstr(j, "\"cached_input_per_mtok\":0.125") != NULL);
	TB_CHECK(strstr(strstr(j, "\"model\":\"x\""), "cached_input_per_mtok") == NULL);
	free(j);
	hx_spec_free(s);
	TB_CHECK(parse("{\"targets\": [{\"provider\": \"openai\", \"model\": \"x\", \"prices\":"
		" {\"input_per_mtok\": 1, \"output_per_mtok\": 2, \"cached_input_per_mtok\": -1}}],"
		" \"suites\": [{\"name\": \"gsm8k\"}]}", err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "targets[0].prices.cached_input_per_mtok: expected number >= 0") != NULL);
}

/* err must hold every needle, and no control character. */
static int says(const char *err, const char *a, const char *b)
{
	for (const char *q = err; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return 0;
	return strstr(err, a) && (!b || strstr(err, b));
}

static void test_spec_duplicate_key_is_an_error_naming_it(void)
{
	char err[512] = "";
	static const char *const dups[][3] = {
		{ "{\"targets\":[{\"provider\":\"samples\",\"model\":\"g\"}],\"suites\":[{\"name\":\"gsm8k\","
		  "\"limit\":1,\"limit\":2}]}", "suites[0].limit", "duplicate key" },
		{ "{\"concurrency\":2,\"targets\":[{\"provider\":\"samples\",\"model\":\"g\"}],"
		  "\"suites\":[{\"name\":\"gsm8k\"}],\"concurrency\":3}", "concurrency", "duplicate key" },
		{ "{\"targets\":[{\"provider\":\"samples\",\"model\":\"g\",\"options\":{\"a\":1,\"b\":2,"
		  "\"a\":3}}],\"suites\":[{\"name\":\"gsm8k\"}]}", "targets[0].options.a", "duplicate key" },
	};
	for (size_t i = 0; i < sizeof dups / sizeof dups[0]; i++) {
		hx_spec *s = parse(dups[i][0], err, sizeof err);
		TB_CHECK(s == NULL);
		TB_CHECK(says(err, dups[i][1], dups[i][2]));
		hx_spec_free(s);
	}
	/* many keys (the sorted path): the duplicate is still found */
	{
		char big[8192];
		size_t n = (size_t)snprintf(big, sizeof big, "{\"targets\":[{\"provider\":\"samples\","
			"\"model\":\"g\",\"options\":{");
		for (int k = 0; k < 40; k++)
			n += (size_t)snprintf(big + n, sizeof big - n, "\"k%d\":%d,", k, k);
		snprintf(big + n, sizeof big - n, "\"k17\":0}}],\"suites\":[{\"name\":\"gsm8k\"}]}");
		TB_CHECK(parse(big, err, sizeof err) == NULL);
		TB_CHECK(says(err, "options.k17", "duplicate key"));
	}
}

static void test_spec_number_beyond_double_is_out_of_range_not_null(void)
{
	char err[512] = "";
	TB_CHECK(parse("{\"targets\":[{\"provider\":\"samples\",\"model\":\"g\"}],\"suites\":[{\"name\":"
		"\"gsm8k\",\"weight\":1e400}]}", err, sizeof err) == NULL);
	TB_CHECK(says(err, "suites[0].weight", "out of range"));
	TB_CHECK(strstr(err, "null") == NULL);
	TB_CHECK(parse("{\"targets\":[{\"provider\":\"samples\",\"model\":\"g\",\"hardware\":{\"x\":"
		"[1,-1e999]}}],\"suites\":[{\"name\":\"gsm8k\"}]}", err, sizeof err) == NULL);
	TB_CHECK(says(err, "targets[0].hardware.x[1]", "out of range"));
}

static void test_spec_control_characters_never_reach_the_message(void)
{
	char err[512] = "";
	TB_CHECK(parse("{\"targets\":[{\"provider\":\"samples\",\"model\":\"g\"}],\"suites\":[{\"name\":"
		"\"gsm8k\",\"li\\u001b[2Jmit\":1}]}", err, sizeof err) == NULL);
	TB_CHECK(says(err, "li\\x1b[2Jmit", "unknown key"));
	TB_CHECK(parse("{\"targets\":[{\"provider\":\"samples\",\"model\":\"g\"}],\"suites\":[{\"name\":"
		"\"needle\",\"variant\":\"a\\u0007\\r\\nb\"}]}", err, sizeof err) == NULL);
	TB_CHECK(says(err, "a\\x07\\r\\nb", NULL));
	TB_CHECK(parse("{\"targets\": nul\x07l}", err, sizeof err) == NULL);   /* cJSON skips bytes <= 32 as blanks */
	TB_CHECK(says(err, "invalid JSON", "\\x07"));
}

/* A spec, dataset or model path that is a directory or FIFO: one line, never a blocked read. */
static void test_spec_paths_that_are_not_regular_files_are_refused_at_once(void)
{
	char err[512] = "", dir[64], p[128];
	hx_spec *s;

	snprintf(dir, sizeof dir, "/tmp/tb_spec_XXXXXX");
	TB_REQUIRE(mkdtemp(dir) != NULL);
	snprintf(p, sizeof p, "%s/fifo.json", dir);
	TB_REQUIRE(mkfifo(p, 0644) == 0);
	alarm(20);   /* a blocked open fails the test instead of hanging it */
	TB_CHECK(hx_spec_load(p, err, sizeof err) == NULL);
	TB_CHECK(says(err, "fifo.json", "FIFO"));
	TB_CHECK(hx_spec_load(dir, err, sizeof err) == NULL);
	TB_CHECK(says(err, "directory", NULL));
	s = hx_spec_parse("{\"targets\":[{\"provider\":\"samples\",\"model\":\"g\"}],\"suites\":[{\"name\":"
		"\"gsm8k\",\"dataset\":\"fifo.json\"}]}", "spec.json", dir, err, sizeof err);
	TB_CHECK(s == NULL);
	TB_CHECK(says(err, "suites[0].dataset", "FIFO"));
	s = hx_spec_parse("{\"targets\":[{\"provider\":\"local\",\"model\":\"fifo.json\"}],\"suites\":[{"
		"\"name\":\"gsm8k\"}]}", "spec.json", dir, err, sizeof err);
	TB_CHECK(s == NULL);
	TB_CHECK(says(err, "targets[0].model", "FIFO"));
	s = hx_spec_parse("{\"targets\":[{\"provider\":\"samples\",\"model\":\"g\"}],\"suites\":[{\"name\":"
		"\"gsm8k\",\"train\":\".\"}]}", "spec.json", dir, err, sizeof err);
	TB_CHECK(s == NULL);
	TB_CHECK(says(err, "suites[0].train", "directory"));
	/* missing files stay the opener's to report (a spec may be written before its data) */
	s = hx_spec_parse("{\"targets\":[{\"provider\":\"samples\",\"model\":\"g\"}],\"suites\":[{\"name\":"
		"\"gsm8k\",\"dataset\":\"absent.jsonl\"}]}", "spec.json", dir, err, sizeof err);
	TB_CHECK(s != NULL);
	hx_spec_free(s);
	alarm(0);
	tb_rmtree(dir);
}

/* The file-size guard: a file over the limit is refused with both sizes, not cut. */
static void test_file_read_refuses_oversized_file_with_its_size(void)
{
	char err[512] = "", path[64];
	FILE *f;
	size_t n = 0;
	char *t;

	snprintf(path, sizeof path, "/tmp/tb_big_XXXXXX");
	TB_REQUIRE(mkstemp(path) >= 0);
	TB_REQUIRE((f = fopen(path, "w")) != NULL);
	for (int i = 0; i < 2000; i++)
		fputs("0123456789", f);
	fclose(f);
	TB_CHECK(hx_file_read(path, "prompt file", 1000, NULL, err, sizeof err) == NULL);
	TB_CHECK(says(err, "20000 bytes", "limit of 1000 bytes"));
	t = hx_file_read(path, "prompt file", 20000, &n, err, sizeof err);
	TB_CHECK(t != NULL && n == 20000 && strlen(t) == 20000);
	free(t);
	unlink(path);
}

int main(void)
{
	TB_RUN(test_spec_full_example_parses_and_round_trips);
	TB_RUN(test_spec_cached_input_price_round_trips_and_is_optional);
	TB_RUN(test_spec_defaults_are_filled);
	TB_RUN(test_spec_errors_name_path_and_expectation);
	TB_RUN(test_spec_identity_ignores_concurrency_but_not_limit);
	TB_RUN(test_spec_needle_grid_keys_parse_round_trip_and_count_in_the_identity);
	TB_RUN(test_spec_suite_options_object_and_old_spelling_are_one_identity);
	TB_RUN(test_spec_options_set_in_code_are_checked_by_the_suite);
	TB_RUN(test_spec_load_reports_unreadable_and_sets_base_dir);
	TB_RUN(test_spec_built_from_flags_validates);
	TB_RUN(test_spec_survives_deep_and_huge_nonsense);
	TB_RUN(test_spec_duplicate_key_is_an_error_naming_it);
	TB_RUN(test_spec_number_beyond_double_is_out_of_range_not_null);
	TB_RUN(test_spec_control_characters_never_reach_the_message);
	TB_RUN(test_spec_paths_that_are_not_regular_files_are_refused_at_once);
	TB_RUN(test_file_read_refuses_oversized_file_with_its_size);
	return tb_test_end();
}
