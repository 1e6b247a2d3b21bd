/* cli/cli_load.c — `tierbench load`: latency against throughput of any endpoint a run spec can
 * name (or a server URL), level by level, open loop (Poisson arrivals at each --rate) or closed
 * loop (each --concurrency kept in flight), with prompts from a suite, a ShareGPT-style file or
 * synthetic text. Each level's requests go into the results store as one suite, "load/rate=4" or
 * "load/concurrency=8" (so a resumed command skips the levels already stored), and the report
 * draws latency against throughput (docs/metrics.md, "Load"; docs/cli.md). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/base.h"
#include "cli/cli_impl.h"
#include "harness/harness.h"
#include "suites/suite.h"

#define MAX_LEVELS 32
#define MAX_OPTS 32

static volatile sig_atomic_t load_stop;

static void on_signal(int sig)
{
	load_stop = sig;
}

static void usage(FILE *f)
{
	fputs("usage: tierbench load --target PROVIDER:MODEL|URL (--rate LIST | --concurrency LIST) [options]\n"
		"\n"
		"Sends levels of load to one endpoint and measures, per level, TTFT, inter-token latency,\n"
		"time per output token and end-to-end latency (p50 / p90 / p99), request and output-token\n"
		"throughput and goodput against --slo, as vLLM's serving benchmark defines them. Each level\n"
		"is stored in OUT/results.db as it ends; running the same command again skips stored levels.\n"
		"\n"
		"  --target T            PROVIDER:MODEL as in a run spec (openai:gpt-4o-mini, local:m.gguf), or\n"
		"                        a server URL (http://127.0.0.1:8080/v1: an OpenAI-compatible server,\n"
		"                        no key unless --option key_env=VAR)\n"
		"  --model NAME          the model name sent to a URL target (default: \"default\")\n"
		"  --option KEY=VALUE    a provider option (as the spec's options; repeatable); load sets\n"
		"                        max_retries=0 and max_in_flight to the largest level unless given;\n"
		"                        api=completions sends the prompts to /v1/completions, unwrapped\n"
		"  --rate LIST           open loop: requests/s per level, Poisson arrivals (\"inf\": all at once)\n"
		"  --concurrency LIST    closed loop: requests kept in flight per level\n"
		"  --requests N          requests per level (default 64)\n"
		"  --duration S          instead: send new requests for S seconds per level\n"
		"  --suite NAME          prompts from a suite's items (--dataset PATH, --shots N, --chat)\n"
		"  --sharegpt FILE       prompts from a ShareGPT-style JSON / JSONL file: each record's first\n"
		"                        human turn, with its first reply's length as the output length\n"
		"  --input-len N         otherwise: synthetic prompts of about N tokens (default 128)\n"
		"  --max-tokens N        output limit per request (default 128; ShareGPT: the reply's length,\n"
		"                        at most N)\n"
		"  --ignore-eos          ask for every output token: an end-of-generation token does not\n"
		"                        end a reply (sent as \"ignore_eos\", which vLLM, llama-server and\n"
		"                        tierbench serve accept), so engines compare on equal lengths\n"
		"  --slo LIST            goodput limits, e.g. ttft=500ms,tpot=50ms,e2e=10s\n"
		"  --seed N              arrival times and synthetic prompts (default 1)\n"
		"  --out DIR             run directory (default runs/load)\n"
		"  -q, --quiet           no line per level\n"
		"  -h, --help            this text\n", f);
}

/* Parses "1,2,4,inf" into v[MAX_LEVELS]; integers only when ints. Returns the count, or -1. */
static int parse_list(const char *s, double *v, int ints)
{
	int n = 0;
	while (*s && n < MAX_LEVELS) {
		char *end;
		double x;
		if (!ints && !strncmp(s, "inf", 3) && (s[3] == ',' || !s[3])) {
			x = INFINITY;
			end = (char *)s + 3;
		} else {
			errno = 0;
			x = strtod(s, &end);
			if (end == s || errno || !(x > 0) || !isfinite(x) || (ints && (x != floor(x) || x > 100000)))
				return -1;
		}
		v[n++] = x;
		if (*end == ',')
			end++;
		else if (*end)
			return -1;
		s = end;
	}
	return *s ? -1 : n;
}

/* ------------------------------------------------------------------ prompt sources */

typedef struct prompts {
	suite *su;                   /* --suite */
	char **text;                 /* --sharegpt: first human turns */
	int *out_len;                /* and their replies' estimated lengths */
	size_t n_text;
	int input_len;               /* synthetic */
	int max_tokens;
	int ignore_eos;              /* --ignore-eos: every request asks for all max_tokens */
	int plain;                   /* the target's options.api is "completions": synthetic and
	                              * ShareGPT prompts go as plain prompts, not chat messages */
	uint64_t seed;
} prompts;

static const char *const words[] = { "river", "stone", "light", "market", "garden", "number",
	"window", "letter", "engine", "forest", "signal", "harbor", "paper", "silver", "winter",
	"orange", "planet", "bridge", "valley", "summer", "castle", "pencil", "yellow", "motion" };

static char *dupstr(const char *s)
{
	char *d = strdup(s);
	return d;
}

static int build_prompt(prompts *p, long i, prov_req *rq);

/* As build_prompt, then (options.api "completions") the message's text as a plain prompt, so
 * the openai provider sends it to /v1/completions. */
static int build(void *ud, long i, prov_req *rq)
{
	prompts *p = ud;
	if (build_prompt(p, i, rq))
		return -1;
	rq->ignore_eos = p->ignore_eos;
	if (p->plain && !p->su && rq->n_messages == 1) {
		rq->prompt = rq->messages[0].content;
		rq->messages[0].content = NULL;
		free(rq->messages[0].role);
		free(rq->messages);
		rq->messages = NULL;
		rq->n_messages = 0;
	}
	return 0;
}

static int build_prompt(prompts *p, long i, prov_req *rq)
{
	if (p->su) {
		if (suite_build(p->su, (size_t)i % suite_count(p->su), 0, rq))
			return -1;
		rq->max_tokens = p->max_tokens;
		return 0;
	}
	if (!(rq->messages = calloc(1, sizeof *rq->messages)) || !(rq->messages[0].role = dupstr("user")))
		return -1;
	rq->n_messages = 1;
	if (!(rq->task_id = malloc(24)))
		return -1;
	snprintf(rq->task_id, 24, "r%ld", i);
	rq->seed = -1;
	if (p->n_text) {
		size_t k = (size_t)i % p->n_text;
		rq->max_tokens = p->out_len[k] < p->max_tokens ? p->out_len[k] : p->max_tokens;
		return (rq->messages[0].content = dupstr(p->text[k])) ? 0 : -1;
	}
	{
		/* about input_len tokens of words, different per request (a server's prefix cache must
		 * not answer them all from one computation) */
		uint64_t st = p->seed * 1000003u + (uint64_t)i;
		size_t cap = (size_t)p->input_len * 8 + 32, u = 0;
		char *t = malloc(cap);
		if (!t)
			return -1;
		u += (size_t)snprintf(t, cap, "Request %ld:", i);
		for (int w = 0; w < p->input_len && u + 10 < cap; w++) {
			st = st * 6364136223846793005ull + 1442695040888963407ull;
			u += (size_t)snprintf(t + u, cap - u, " %s", words[(st >> 33) % (sizeof words / sizeof *words)]);
		}
		rq->messages[0].content = t;
		rq->max_tokens = p->max_tokens;
	}
	return 0;
}

/* Reads a ShareGPT-style file: a JSON array, or one JSON object per line, each with
 * "conversations": [{"from": "human", "value": ...}, {"from": "gpt", "value": ...}, ...]. */
static int load_sharegpt(const char *path, prompts *p, char *err, size_t errlen)
{
	size_t n = 0;
	char *buf = hx_file_read(path, "ShareGPT file", 1u << 30, &n, err, errlen);
	cJSON *arr, *it;
	size_t cap = 0;
	long line = 0;
	if (!buf)
		return -1;
	arr = buf[strspn(buf, " \t\r\n")] == '[' ? cJSON_Parse(buf) : NULL;
	if (!arr) {   /* JSON lines */
		arr = cJSON_CreateArray();
		for (char *s = buf, *e; arr && *s; s = e + (*e != 0)) {
			cJSON *o;
			e = s + strcspn(s, "\n");
			line++;
			if (e == s + strspn(s, " \t\r"))
				continue;
			{
				char c = *e;
				*e = 0;
				o = cJSON_Parse(s);
				*e = c;
			}
			if (!o) {
				snprintf(err, errlen, "%s:%ld: not a JSON object", path, line);
				cJSON_Delete(arr);
				free(buf);
				return -1;
			}
			cJSON_AddItemToArray(arr, o);
		}
	}
	free(buf);
	cJSON_ArrayForEach(it, arr) {
		const cJSON *conv = cJSON_GetObjectItem(it, "conversations"), *c;
		const char *human = NULL, *reply = NULL;
		cJSON_ArrayForEach(c, conv) {
			const char *from = cJSON_GetStringValue(cJSON_GetObjectItem(c, "from"));
			const char *val = cJSON_GetStringValue(cJSON_GetObjectItem(c, "value"));
			if (!from || !val)
				continue;
			if (!human && !strcmp(from, "human"))
				human = val;
			else if (human && !reply && strcmp(from, "human"))
				reply = val;
		}
		if (!human || !reply || !*human)
			continue;   /* as vLLM's benchmark: records without a prompt and a reply are skipped */
		if (p->n_text == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **t = realloc(p->text, nc * sizeof *t);
			int *o = t ? realloc(p->out_len, nc * sizeof *o) : NULL;
			if (t)
				p->text = t;
			if (!t || !o) {
				cJSON_Delete(arr);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			p->out_len = o;
			cap = nc;
		}
		if (!(p->text[p->n_text] = strdup(human))) {
			cJSON_Delete(arr);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		{
			long t = prov_estimate_tokens(reply);
			p->out_len[p->n_text++] = t < 1 ? 1 : t > INT_MAX ? INT_MAX : (int)t;
		}
	}
	cJSON_Delete(arr);
	if (!p->n_text) {
		snprintf(err, errlen, "%s: no record with \"conversations\" holding a human turn and a reply",
			 path);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ the store */

typedef struct stored {
	char (*suites)[64];
	size_t n;
} stored;

static void note_done(void *ud, const char *target, const char *level, const char *item, int sample)
{
	stored *s = ud;
	(void)target, (void)item, (void)sample;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->suites[i], level))
			return;
	if (s->n < MAX_LEVELS)
		snprintf(s->suites[s->n++], sizeof *s->suites, "%s", level);
}

/* Stores every request of a level (one transaction per row, as the run does). */
static int store_level(hx_store *st, int64_t run_id, const char *target, const char *level,
	const hx_load_result *r, const hx_load_summary *sum, const hx_load_slo *slo, char *err,
	size_t errlen)
{
	for (size_t i = 0; i < r->n; i++) {
		const hx_load_req *q = &r->reqs[i];
		const prov_resp *p = q->resp;
		hx_sample_row row;
		char item[32], scores[96];
		double ttft = hx_load_ttft_ms(q), e2e = hx_load_e2e_ms(q), tpot = NAN;
		int good;
		if (!p)
			continue;
		if (!isnan(ttft) && !isnan(e2e) && p->n_tokens_out > 1 && e2e > ttft)
			tpot = (e2e - ttft) / (double)(p->n_tokens_out - 1);
		good = p->err == PROV_ERR_NONE && hx_load_meets_slo(slo, ttft, tpot, e2e);
		snprintf(item, sizeof item, "r%05zu", i);
		/* slo: the primary score (goodput share as the level's "accuracy"); wall_s: the level's
		 * duration, the same in every row, for its throughput */
		snprintf(scores, sizeof scores, "{\"slo\":%d,\"wall_s\":%.6f}", good, sum->wall_s);
		memset(&row, 0, sizeof row);
		row.target = target;
		row.suite = level;
		row.item = item;
		row.response = p->err == PROV_ERR_NONE ? p->text : NULL;
		row.reasoning = p->reasoning;
		row.finish_reason = p->finish_reason;
		row.score = good;
		row.scores_json = scores;
		row.n_tokens_in = p->n_tokens_in;
		row.n_tokens_out = p->n_tokens_out;
		row.n_tokens_reasoning = p->n_tokens_reasoning;
		row.n_tokens_cached = p->n_tokens_cached;
		row.ttft_ms = isnan(ttft) ? -1 : ttft;
		row.latency_ms = isnan(e2e) ? -1 : e2e;
		row.ttfa_ms = p->t_first_answer_ms >= 0 ? p->t_first_answer_ms + (q->start_ms - q->arrival_ms) : -1;
		row.gaps_ms = p->gaps_ms;
		row.n_gaps = p->n_gaps;
		row.cost_usd = p->cost_usd;
		row.error = (int)p->err;
		row.error_class = p->err ? prov_err_class_name(p->err) : NULL;
		row.error_msg = p->err_msg;
		row.attempts = p->attempts;
		if (hx_store_put_sample(st, run_id, &row, err, errlen))
			return -1;
	}
	return 0;
}

static void print_level(const char *level, const hx_load_summary *s, int has_slo)
{
	fprintf(stderr, "%s: %ld requests, %ld failed, %.2f req/s, %.1f tok/s; TTFT p50/p90/p99 %.0f/%.0f/%.0f ms,"
		" TPOT %.1f/%.1f/%.1f ms, ITL %.1f/%.1f/%.1f ms, e2e %.0f/%.0f/%.0f ms",
		level, s->n, s->n_errors, s->req_per_s, s->tok_per_s, s->ttft_ms[0], s->ttft_ms[1],
		s->ttft_ms[2], s->tpot_ms[0], s->tpot_ms[1], s->tpot_ms[2], s->itl_ms[0], s->itl_ms[1],
		s->itl_ms[2], s->e2e_ms[0], s->e2e_ms[1], s->e2e_ms[2]);
	if (has_slo)
		fprintf(stderr, "; goodput %.1f %% (%.2f req/s)", 100 * s->good_share, s->good_per_s);
	for (int c = 1; c < PROV_ERR__COUNT; c++)
		if (s->errors_by_class[c])
			fprintf(stderr, "; %s errors: %ld", prov_err_class_name((prov_err_class)c), s->errors_by_class[c]);
	fputc('\n', stderr);
}

/* ------------------------------------------------------------------ the command */

int cli_cmd_load(int argc, char **argv)
{
	enum { O_TARGET = 256, O_MODEL, O_OPTION, O_RATE, O_CONC, O_REQ, O_DUR, O_SUITE, O_DATASET,
	       O_SHOTS, O_CHAT, O_SHAREGPT, O_INLEN, O_MAXTOK, O_SLO, O_SEED, O_OUT, O_IGNORE_EOS };
	static const struct option opts[] = {
		{ "target", required_argument, NULL, O_TARGET }, { "model", required_argument, NULL, O_MODEL },
		{ "option", required_argument, NULL, O_OPTION }, { "rate", required_argument, NULL, O_RATE },
		{ "concurrency", required_argument, NULL, O_CONC }, { "requests", required_argument, NULL, O_REQ },
		{ "duration", required_argument, NULL, O_DUR }, { "suite", required_argument, NULL, O_SUITE },
		{ "dataset", required_argument, NULL, O_DATASET }, { "shots", required_argument, NULL, O_SHOTS },
		{ "chat", no_argument, NULL, O_CHAT }, { "sharegpt", required_argument, NULL, O_SHAREGPT },
		{ "input-len", required_argument, NULL, O_INLEN }, { "max-tokens", required_argument, NULL, O_MAXTOK },
		{ "slo", required_argument, NULL, O_SLO }, { "seed", required_argument, NULL, O_SEED },
		{ "out", required_argument, NULL, O_OUT }, { "quiet", no_argument, NULL, 'q' },
		{ "ignore-eos", no_argument, NULL, O_IGNORE_EOS },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *target = NULL, *model = "default", *rates = NULL, *concs = NULL, *suite_nm = NULL;
	const char *dataset = NULL, *sharegpt = NULL, *slo_text = NULL, *out = "runs/load";
	const char *optv[MAX_OPTS];
	int n_opt = 0, chat = 0, quiet = 0, ignore_eos = 0, c, rc = 2, n_levels;
	long requests = 64, shots = -1, in_len = 128, max_tok = 128, seed = 1;
	double duration = 0, lv[MAX_LEVELS];
	hx_load_slo slo;
	prompts pr;
	char err[2048], *opts_json = NULL, *db = NULL, *tid = NULL;
	cJSON *oj = NULL;
	hx_spec *spec = NULL;
	hx_store *st = NULL;
	prov *pv = NULL;
	int64_t run_id = 0;
	int resumed = 0, url;
	stored done;
	char done_suites[MAX_LEVELS][64];
	struct sigaction sa, old_int, old_term;

	memset(&pr, 0, sizeof pr);
	memset(&slo, 0, sizeof slo);
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		char *end = NULL;
		switch (c) {
		case O_TARGET: target = optarg; break;
		case O_MODEL: model = optarg; break;
		case O_OPTION:
			if (n_opt == MAX_OPTS || !strchr(optarg, '=') || optarg[0] == '=') {
				fprintf(stderr, "tierbench load: --option: expected KEY=VALUE (at most %d), got \"%s\"\n",
					MAX_OPTS, optarg);
				return 1;
			}
			optv[n_opt++] = optarg;
			break;
		case O_RATE: rates = optarg; break;
		case O_CONC: concs = optarg; break;
		case O_REQ: requests = strtol(optarg, &end, 10); if (*end || requests < 1 || requests > 10000000) goto bad_num; break;
		case O_DUR: duration = strtod(optarg, &end); if (*end || !(duration > 0) || duration > 1e6) goto bad_num; requests = 0; break;
		case O_SUITE: suite_nm = optarg; break;
		case O_DATASET: dataset = optarg; break;
		case O_SHOTS: shots = strtol(optarg, &end, 10); if (*end || shots < 0 || shots > 1000) goto bad_num; break;
		case O_CHAT: chat = 1; break;
		case O_SHAREGPT: sharegpt = optarg; break;
		case O_INLEN: in_len = strtol(optarg, &end, 10); if (*end || in_len < 1 || in_len > 1000000) goto bad_num; break;
		case O_MAXTOK: max_tok = strtol(optarg, &end, 10); if (*end || max_tok < 1 || max_tok > 10000000) goto bad_num; break;
		case O_SLO: slo_text = optarg; break;
		case O_SEED: seed = strtol(optarg, &end, 10); if (*end || seed < 0) goto bad_num; break;
		case O_OUT: out = optarg; break;
		case O_IGNORE_EOS: ignore_eos = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
		continue;
bad_num:
		fprintf(stderr, "tierbench load: %s: not a valid number here: \"%s\"\n", argv[optind - 1], optarg);
		return 1;
	}
	if (optind < argc) {
		fprintf(stderr, "tierbench load: unexpected argument \"%s\"\n", argv[optind]);
		return 1;
	}
	if (!target || (!rates == !concs)) {
		fprintf(stderr, "tierbench load: give --target and one of --rate or --concurrency\n");
		return 1;
	}
	if ((n_levels = parse_list(rates ? rates : concs, lv, concs != NULL)) < 1) {
		fprintf(stderr, "tierbench load: --%s: expected a comma-separated list of %s (at most %d), got \"%s\"\n",
			rates ? "rate" : "concurrency", rates ? "rates > 0 or inf" : "integers 1..100000",
			MAX_LEVELS, rates ? rates : concs);
		return 1;
	}
	if (!!suite_nm + !!sharegpt > 1) {
		fprintf(stderr, "tierbench load: give --suite or --sharegpt, not both\n");
		return 1;
	}
	if (slo_text && hx_load_slo_parse(slo_text, &slo, err, sizeof err)) {
		fprintf(stderr, "tierbench load: %s\n", err);
		return 1;
	}
	url = !strncmp(target, "http://", 7) || !strncmp(target, "https://", 8);
	if (!url && (!strchr(target, ':') || target[0] == ':' || !strchr(target, ':')[1])) {
		fprintf(stderr, "tierbench load: --target: expected PROVIDER:MODEL or an http(s) URL, got \"%s\"\n", target);
		return 1;
	}

	/* the target, as a one-target spec (its identity names the store's run) */
	if (!(oj = cJSON_CreateObject()))
		goto oom;
	for (int i = 0; i < n_opt; i++) {
		const char *eq = strchr(optv[i], '=');
		char key[128];
		cJSON *v;
		snprintf(key, sizeof key, "%.*s", (int)(eq - optv[i]), optv[i]);
		if (!(v = cJSON_Parse(eq + 1)) && !(v = cJSON_CreateString(eq + 1)))
			goto oom;
		cJSON_DeleteItemFromObjectCaseSensitive(oj, key);
		cJSON_AddItemToObject(oj, key, v);
	}
	if (url) {
		if (!cJSON_GetObjectItem(oj, "base_url"))
			cJSON_AddStringToObject(oj, "base_url", target);
		if (!cJSON_GetObjectItem(oj, "key_env"))
			cJSON_AddStringToObject(oj, "key_env", "none");
	}
	{
		char prov_name[64];
		const char *colon = url ? NULL : strchr(target, ':');
		int remote;
		snprintf(prov_name, sizeof prov_name, "%.*s", url ? 6 : (int)(colon - target), url ? "openai" : target);
		remote = strcmp(prov_name, "local") && strcmp(prov_name, "samples");
		if (remote) {   /* a latency measurement must not hide retries or a client-side cap */
			double most = 1;
			for (int i = 0; i < n_levels; i++)
				most = fmax(most, concs ? lv[i] : 1024);
			if (!cJSON_GetObjectItem(oj, "max_retries"))
				cJSON_AddNumberToObject(oj, "max_retries", 0);
			if (!cJSON_GetObjectItem(oj, "max_in_flight"))
				cJSON_AddNumberToObject(oj, "max_in_flight", most);
		}
		if (!(spec = hx_spec_new()) || !hx_spec_add_target(spec, prov_name, url ? model : colon + 1))
			goto oom;
	}
	if (oj->child && !(spec->targets[0].options_json = cJSON_PrintUnformatted(oj)))
		goto oom;
	if (url && !(tid = malloc(strlen(target) + strlen(model) + 16)))
		goto oom;
	if (url) {
		sprintf(tid, "openai:%s@%s", model, target);
		free(spec->targets[0].id);
		spec->targets[0].id = tid;
		tid = NULL;
	}
	spec->gen.max_tokens = (int)max_tok;
	spec->gen.seed = seed;
	for (int i = 0; i < n_levels; i++) {
		char name[64];
		hx_suite_spec *ss;
		if (concs)
			snprintf(name, sizeof name, "load/concurrency=%d", (int)lv[i]);
		else if (isinf(lv[i]))
			snprintf(name, sizeof name, "load/rate=inf");
		else
			snprintf(name, sizeof name, "load/rate=%g", lv[i]);
		if (!(ss = hx_spec_add_suite(spec, name)))
			goto oom;
		ss->limit = requests;
		ss->seed = (uint64_t)seed;
		if (suite_nm || sharegpt) {   /* the prompt source is part of what a level measured */
			char src[512];
			snprintf(src, sizeof src, "{\"prompts\":\"%s%s%s\",\"duration_s\":%g%s}", suite_nm ? suite_nm : "sharegpt",
				 dataset || sharegpt ? ":" : "", dataset ? dataset : sharegpt ? sharegpt : "", duration,
				 ignore_eos ? ",\"ignore_eos\":true" : "");
			if (!(ss->options_json = strdup(src)))
				goto oom;
		} else {
			char src[128];
			snprintf(src, sizeof src, "{\"prompts\":\"synthetic\",\"input_len\":%ld,\"duration_s\":%g%s}", in_len,
				 duration, ignore_eos ? ",\"ignore_eos\":true" : "");
			if (!(ss->options_json = strdup(src)))
				goto oom;
		}
	}

	/* the prompts */
	pr.max_tokens = (int)max_tok;
	pr.ignore_eos = ignore_eos;
	{
		const cJSON *api = cJSON_GetObjectItem(oj, "api");
		pr.plain = cJSON_IsString(api) && strcmp(api->valuestring, "completions") == 0;
	}
	pr.input_len = (int)in_len;
	pr.seed = (uint64_t)seed;
	if (suite_nm) {
		suite_opts so;
		memset(&so, 0, sizeof so);
		so.name = suite_nm;
		so.dataset_path = dataset;
		so.shots = (int)shots;
		so.seed = (uint64_t)seed;
		so.chat = chat;
		if (!(pr.su = suite_open(&so, err, sizeof err)))
			goto fail;
		if (!suite_count(pr.su)) {
			snprintf(err, sizeof err, "suite %s: no items", suite_nm);
			goto fail;
		}
	} else if (sharegpt && load_sharegpt(sharegpt, &pr, err, sizeof err)) {
		goto fail;
	}

	/* the store and the provider */
	if (tb_mkdir_p(out, err, sizeof err))
		goto fail;
	if (!(db = malloc(strlen(out) + 16)))
		goto oom;
	sprintf(db, "%s/results.db", out);
	if (!(st = hx_store_open(db, 1, err, sizeof err)))
		goto fail;
	{
		hx_hw hw;
		char *hwj;
		char herr[256];
		memset(&hw, 0, sizeof hw);
		hx_hw_probe(&hw, 0, herr, sizeof herr);
		hwj = hx_hw_to_json(&hw);
		rc = hx_store_begin_run(st, spec, hwj, 0, &run_id, &resumed, err, sizeof err);
		free(hwj);
		if (rc) {
			rc = 2;
			goto fail;
		}
	}
	memset(&done, 0, sizeof done);
	done.suites = done_suites;
	if (resumed && hx_store_each_done(st, run_id, note_done, &done)) {
		snprintf(err, sizeof err, "%s: cannot read the stored levels", db);
		goto fail;
	}
	{
		prov_target t;
		const hx_target_spec *ts = &spec->targets[0];
		memset(&t, 0, sizeof t);
		t.id = ts->id;
		t.provider = ts->provider;
		t.model = ts->model;
		t.options_json = ts->options_json;
		t.base_dir = ".";
		if (!(pv = prov_open(&t, err, sizeof err)))
			goto fail;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	load_stop = 0;
	rc = 0;
	for (int i = 0; i < n_levels && !rc; i++) {
		const char *lname = spec->suites[i].name;
		hx_load_level level;
		hx_load_result res;
		hx_load_summary sum;
		int skip = 0, lr;
		for (size_t k = 0; k < done.n; k++)
			skip |= !strcmp(done.suites[k], lname);
		if (skip) {
			if (!quiet)
				fprintf(stderr, "%s: already stored, skipped\n", lname);
			continue;
		}
		err[0] = 0;
		memset(&level, 0, sizeof level);
		level.rate = concs ? 0 : lv[i];
		level.concurrency = concs ? (int)lv[i] : 0;
		level.n_requests = requests;
		level.duration_s = duration;
		level.seed = (uint64_t)seed * 7919u + (uint64_t)i;
		lr = hx_load_run_level(pv, &level, build, &pr, &load_stop, &res, err, sizeof err);
		if (lr == HX_EINTR) {
			fprintf(stderr, "\ntierbench load: stopped during %s; the levels before it are stored: "
				"run the same command to go on\n", lname);
			hx_load_result_release(&res);
			rc = 2;
			break;
		}
		if (lr || hx_load_stats(&res, slo_text ? &slo : NULL, &sum) ||
		    store_level(st, run_id, spec->targets[0].id, lname, &res, &sum, slo_text ? &slo : NULL,
			    err, sizeof err)) {
			fprintf(stderr, "tierbench load: %s: %s\n", lname, err[0] ? err : "out of memory");
			hx_load_result_release(&res);
			rc = 2;
			break;
		}
		if (!quiet)
			print_level(lname, &sum, slo_text != NULL);
		hx_load_result_release(&res);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	hx_store_end_run(st, run_id, rc ? "interrupted" : "done");
	if (!rc)
		printf("results: %s\n", db);
	goto done;
oom:
	snprintf(err, sizeof err, "out of memory");
fail:
	{
		char esc[sizeof err];
		hx_text_escape(esc, sizeof esc, err);
		fprintf(stderr, "tierbench load: %s\n", esc);
	}
	rc = 2;
done:
	prov_close(pv);
	hx_store_close(st);
	hx_spec_free(spec);
	cJSON_Delete(oj);
	suite_close(pr.su);
	for (size_t i = 0; i < pr.n_text; i++)
		free(pr.text[i]);
	free(pr.text);
	free(pr.out_len);
	free(opts_json);
	free(db);
	free(tid);
	return rc;
}
