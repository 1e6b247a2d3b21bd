/* harness/sched.c — the scheduler: plans targets x suites x items x samples, skips what the
 * results store already holds, keeps up to a per-target number of requests in flight, scores
 * responses on a worker pool (scoring may execute code and be slow, so it stays off the I/O
 * path), and commits each sample from the main thread the moment it is scored.
 * SIGINT / SIGTERM stop it cleanly: nothing new is sent, responses already received are scored
 * and stored, the run is marked interrupted and can be resumed. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness/harness.h"
#include "harness/plan.h"
#include "providers/provider.h"
#include "suites/suite.h"

/* Set by the signal handler; only this file reads it. */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* A request between submission and storage. */
typedef struct flight {
	struct flight *next;
	hx_plan_job j;
	char hash[65];
	prov_resp *resp;
	suite_score_out sc;
	int score_rc;
	struct run *run;
} flight;

typedef struct queue {
	flight *head, *tail;
	size_t n;
} queue;

typedef struct tstate {
	prov *p;              /* closed (NULL) once the target has nothing left to do */
	suite **suites;       /* [spec->n_suites] the run's suites, or this target's own instance
	                       * of a per-target suite (needle: its tokenizer and context) */
	unsigned char *own;   /* [spec->n_suites] 1 where suites[i] is this target's to close */
	int n_answered;       /* replies that were not a transport failure */
	int n_transport;      /* transport failures before the first such reply */
	int stopped;          /* stopped early: nothing more is sent */
	char transport_msg[160];
} tstate;

/* A target whose first this many requests all fail at the transport level (connection refused,
 * DNS: after the provider's own retries) is stopped: the rest would fail the same way, each
 * after minutes of retries. Its unsent samples stay unstored, so a re-run tries them again. */
#define TRANSPORT_STOP_N 3

typedef struct run {
	const hx_spec *spec;
	suite **suites;       /* [spec->n_suites] */
	tstate *ts;           /* [spec->n_targets] */
	hx_plan plan;         /* the jobs of each target and its in-flight limit */
	hx_plan_pos *pos;     /* [spec->n_targets] how far each target is through its jobs */
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_done;
	queue to_score, scored;
	int closing;          /* workers exit when set and to_score is empty */
	long scoring;         /* handed to workers, not yet back */
} run;

static void q_push(queue *q, flight *f)
{
	f->next = NULL;
	if (q->tail)
		q->tail->next = f;
	else
		q->head = f;
	q->tail = f;
	q->n++;
}

static flight *q_pop(queue *q)
{
	flight *f = q->head;
	if (f) {
		q->head = f->next;
		if (!q->head)
			q->tail = NULL;
		q->n--;
	}
	return f;
}

static void flight_free(flight *f)
{
	if (!f)
		return;
	prov_resp_free(f->resp);
	suite_score_release(&f->sc);
	free(f);
}

static void *score_worker(void *arg)
{
	run *r = arg;
	for (;;) {
		flight *f;
		pthread_mutex_lock(&r->mu);
		while (!r->to_score.head && !r->closing)
			pthread_cond_wait(&r->cv_work, &r->mu);
		f = q_pop(&r->to_score);
		pthread_mutex_unlock(&r->mu);
		if (!f)
			return NULL;
		f->score_rc = suite_score(r->ts[f->j.target].suites[f->j.suite], f->j.item, f->resp, &f->sc);
		pthread_mutex_lock(&r->mu);
		q_push(&r->scored, f);
		r->scoring--;
		pthread_cond_signal(&r->cv_done);
		pthread_mutex_unlock(&r->mu);
	}
}

/* Provider callback (main thread, inside prov_poll): successful answers go to the workers,
 * failures straight to the store queue, cancellations are dropped (they are redone on resume). */
static void on_done(void *ud, const prov_req *rq, prov_resp *resp)
{
	flight *f = ud;
	run *r = f->run;
	(void)rq;
	f->resp = resp;
	r->pos[f->j.target].in_flight--;
	{
		tstate *ts = &r->ts[f->j.target];
		if (resp->err == PROV_ERR_TRANSPORT && !ts->n_answered) {
			if (!ts->n_transport++)
				snprintf(ts->transport_msg, sizeof ts->transport_msg, "%s",
					resp->err_msg ? resp->err_msg : "transport error");
		} else if (resp->err != PROV_ERR_CANCELLED) {
			ts->n_answered++;
		}
	}
	if (resp->err == PROV_ERR_CANCELLED) {
		flight_free(f);
		return;
	}
	pthread_mutex_lock(&r->mu);
	if (resp->err == PROV_ERR_NONE && resp->text) {
		q_push(&r->to_score, f);
		r->scoring++;
		pthread_cond_signal(&r->cv_work);
	} else {
		q_push(&r->scored, f);
	}
	pthread_mutex_unlock(&r->mu);
}

/* Hash of what was asked, so a changed prompt under the same key can be spotted later. */
static void request_hash(const prov_req *rq, char out[65])
{
	cJSON *o = cJSON_CreateObject(), *a;
	char *s;
	cJSON_AddStringToObject(o, "prompt", rq->prompt ? rq->prompt : "");
	a = cJSON_AddArrayToObject(o, "messages");
	for (size_t i = 0; i < rq->n_messages; i++) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "role", rq->messages[i].role ? rq->messages[i].role : "");
		cJSON_AddStringToObject(m, "content", rq->messages[i].content ? rq->messages[i].content : "");
		cJSON_AddItemToArray(a, m);
	}
	a = cJSON_AddArrayToObject(o, "stop");
	for (size_t i = 0; i < rq->n_stop; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(rq->stop[i]));
	cJSON_AddNumberToObject(o, "max_tokens", rq->max_tokens);
	cJSON_AddNumberToObject(o, "temperature", rq->temperature);
	cJSON_AddNumberToObject(o, "top_p", rq->top_p);
	cJSON_AddNumberToObject(o, "seed", (double)rq->seed);
	cJSON_AddNumberToObject(o, "sample", rq->sample);
	if (rq->kind == PROV_REQ_LOGPROBS) {   /* what is scored; generation requests hash as before */
		char th[65] = "";
		if (rq->n_tokens)
			hx_sha256_hex((const char *)rq->tokens, rq->n_tokens * sizeof *rq->tokens, th);
		cJSON_AddStringToObject(o, "kind", "logprobs");
		cJSON_AddStringToObject(o, "tokens_sha256", th);
		cJSON_AddNumberToObject(o, "score_from", (double)rq->score_from);
		cJSON_AddNumberToObject(o, "top_k", rq->top_k);
	}
	s = cJSON_PrintUnformatted(o);
	if (s)
		hx_sha256_hex(s, strlen(s), out);
	else
		out[0] = 0;
	free(s);
	cJSON_Delete(o);
}

/* What the store already holds, for the plan to skip. */
typedef struct done_ctx {
	hx_plan_done *done;
	int oom;
} done_ctx;

static void on_stored(void *ud, const char *t, const char *s, const char *item, int sample)
{
	done_ctx *c = ud;
	if (hx_plan_done_add(c->done, t, s, item, sample))
		c->oom = 1;
}

/* ------------------------------------------------------------ storing one sample */

/* Why the suite could not score an item: a broken task's own message (which task, which input),
 * else the code's text. Ownership: static, or owned by the suite. */
static const char *score_error_text(const suite *s, size_t item, int score_rc)
{
	const char *why = score_rc == SUITE_ETASK ? suite_item_error(s, item) : NULL;
	return why ? why : suite_strerror(score_rc);
}

/* A response's log-probabilities as the samples.logprobs_json text (docs/results-store.md):
 * {"lp":[...],"id":[[...],...],"tlp":[[...],...]}, floats with 9 significant digits (they read
 * back bit for bit), -inf as null. Ownership: caller frees; NULL on ENOMEM or when r has none. */
static char *logprobs_json(const prov_resp *r)
{
	size_t k = r->top_k > 0 ? (size_t)r->top_k : 0, cap, len = 0;
	char *b;
	if (!r->n_lp || !r->lp)
		return NULL;
	cap = 32 + r->n_lp * (20 + 2 * k * 20 + 8);
	if (!(b = malloc(cap)))
		return NULL;
#define PUTF(x) do { \
		if (isfinite(x)) \
			len += (size_t)snprintf(b + len, cap - len, "%.9g", (double)(x)); \
		else \
			len += (size_t)snprintf(b + len, cap - len, "null"); \
	} while (0)
	len += (size_t)snprintf(b + len, cap - len, "{\"lp\":[");
	for (size_t i = 0; i < r->n_lp; i++) {
		if (i)
			b[len++] = ',';
		PUTF(r->lp[i]);
	}
	len += (size_t)snprintf(b + len, cap - len, "],\"id\":[");
	for (size_t i = 0; i < r->n_lp && k; i++) {
		len += (size_t)snprintf(b + len, cap - len, "%s[", i ? "," : "");
		for (size_t j = 0; j < k; j++)
			len += (size_t)snprintf(b + len, cap - len, "%s%d", j ? "," : "",
				(int)r->top_id[i * k + j]);
		b[len++] = ']';
	}
	len += (size_t)snprintf(b + len, cap - len, "],\"tlp\":[");
	for (size_t i = 0; i < r->n_lp && k; i++) {
		len += (size_t)snprintf(b + len, cap - len, "%s[", i ? "," : "");
		for (size_t j = 0; j < k; j++) {
			if (j)
				b[len++] = ',';
			PUTF(r->top_lp[i * k + j]);
		}
		b[len++] = ']';
	}
	snprintf(b + len, cap - len, "]}");
#undef PUTF
	return b;
}

static int store_flight(hx_store *st, int64_t run_id, const run *r, flight *f, char *err,
	size_t errlen)
{
	const hx_target_spec *t = &r->spec->targets[f->j.target];
	const suite *s = r->ts[f->j.target].suites[f->j.suite];
	const prov_resp *rs = f->resp;
	hx_sample_row row;
	cJSON *scores = NULL, *answers = NULL;
	char *scores_s = NULL, *answers_s = NULL, *lp_s = NULL;
	int rc;

	memset(&row, 0, sizeof row);
	row.target = t->id;
	row.suite = suite_name(s);
	row.item = suite_item_id(s, f->j.item);
	row.sample = f->j.sample;
	row.request_hash = f->hash;
	row.response = rs->text;
	row.reasoning = rs->reasoning;
	row.finish_reason = rs->finish_reason;
	row.n_tokens_in = rs->n_tokens_in;
	row.n_tokens_out = rs->n_tokens_out;
	row.n_tokens_reasoning = rs->n_tokens_reasoning;
	row.n_tokens_cached = rs->n_tokens_cached;
	row.ttft_ms = rs->t_first_token_ms;
	row.ttfa_ms = rs->t_first_answer_ms;
	row.gaps_ms = rs->gaps_ms;
	row.n_gaps = rs->n_gaps;
	row.latency_ms = rs->t_done_ms;
	row.cost_usd = rs->cost_usd;
	if (row.cost_usd == 0 && t->has_prices) {
		/* A provider that prices nothing itself (samples): the spec's prices, cached input at
		 * its own price, reasoning inside n_tokens_out (docs/metrics.md). */
		prov_price pr = { .input_per_mtok = t->price_in_usd_per_mtok,
			.output_per_mtok = t->price_out_usd_per_mtok,
			.cached_input_per_mtok = t->price_cached_usd_per_mtok };
		row.cost_usd = prov_price_cost_usd(&pr, rs->n_tokens_in, rs->n_tokens_out,
			rs->n_tokens_cached);
	}
	row.attempts = rs->attempts;
	row.error = rs->err;
	if (rs->err == PROV_ERR_NONE && rs->text && f->score_rc != 0) {
		/* The suite could not score it: keep the answer, mark the sample failed. */
		row.error = PROV_ERR_PARSE;
		row.error_msg = score_error_text(s, f->j.item, f->score_rc);
	} else {
		row.error_msg = rs->err_msg;
	}
	row.error_class = row.error ? prov_err_class_name((prov_err_class)row.error) : NULL;
	if (!row.error) {
		scores = cJSON_CreateObject();
		answers = cJSON_CreateObject();
		for (int i = 0; i < f->sc.n_metrics; i++) {
			cJSON_AddNumberToObject(scores, f->sc.metric[i], f->sc.value[i]);
			if (f->sc.answer[i])
				cJSON_AddStringToObject(answers, f->sc.metric[i], f->sc.answer[i]);
			else
				cJSON_AddNullToObject(answers, f->sc.metric[i]);
		}
		scores_s = cJSON_PrintUnformatted(scores);
		answers_s = cJSON_PrintUnformatted(answers);
		row.scores_json = scores_s;
		row.answers_json = answers_s;
		row.score = f->sc.n_metrics ? f->sc.value[0] : 0;
		row.extracted = f->sc.n_metrics ? f->sc.answer[0] : NULL;
		row.expected = f->sc.expected;
		if (rs->n_lp && !(row.logprobs_json = lp_s = logprobs_json(rs))) {
			snprintf(err, errlen, "out of memory");
			rc = HX_ENOMEM;
			goto done;
		}
	}
	rc = hx_store_put_sample(st, run_id, &row, err, errlen);
done:
	cJSON_Delete(scores);
	cJSON_Delete(answers);
	free(scores_s);
	free(answers_s);
	free(lp_s);
	return rc;
}

/* ------------------------------------------------------------ the run */


/* Targets without a tokenizer (remote APIs, samples): prov_estimate_tokens, so a needle prompt
 * asked for N tokens holds about N of an API model's tokens. */
static long estimate_tokens_of(void *ud, const char *text)
{
	(void)ud;
	return prov_estimate_tokens(text);
}

static long count_tokens_of(void *ud, const char *text)
{
	long n;
	return prov_count_tokens(ud, text, &n) ? -1 : n;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What a suite's slow open reports to (the needle grid, fitted in a target's tokens). */
typedef struct build_note {
	const char *target, *suite;
	int quiet;
	double t0, last;     /* when the open began; when a line was last drawn (0: never) */
} build_note;

/* Draws "building <suite> for <target>: done/total items" on stderr once an open has taken
 * over a second, at most four times a second, and ends the line when the last item is built. */
static void build_progress(void *ud, size_t done, size_t total)
{
	build_note *b = ud;
	double now = now_s();
	if (b->quiet)
		return;
	if (now - b->t0 < 1.0 || (now - b->last < 0.25 && done < total) || (done >= total && !b->last))
		return;
	fprintf(stderr, "\r  building %s prompts for %s: %zu/%zu%s", b->suite, b->target, done, total,
		done >= total ? "\n" : "");
	fflush(stderr);
	b->last = now;
}

static long tokenize_of(void *ud, const char *text, int32_t *out, long cap)
{
	long n;
	return prov_tokenize(ud, text, 1, out, cap, &n) ? -1 : n;
}

/* The suites target t runs: the run's own, except that a per-target suite (needle) is opened
 * again for a target whose provider has its own tokenizer or context length, so that its
 * lengths are counted in that target's tokens and stop at its context. */
static int target_suites(run *r, size_t t, int quiet, char *err, size_t errlen)
{
	const hx_spec *spec = r->spec;
	tstate *ts = &r->ts[t];
	size_t n_kinds;
	const suite_info *kinds = suite_list(&n_kinds);
	long probe;

	if (!(ts->suites = calloc(spec->n_suites ? spec->n_suites : 1, sizeof *ts->suites)) ||
	    !(ts->own = calloc(spec->n_suites ? spec->n_suites : 1, 1))) {
		snprintf(err, errlen, "out of memory");
		return HX_ENOMEM;
	}
	for (size_t i = 0; i < spec->n_suites; i++) {
		const hx_suite_spec *ss = &spec->suites[i];
		int per_target = 0, has_tok = prov_count_tokens(ts->p, "a", &probe) == 0;
		long n_ids = 0;
		int has_ids = prov_tokenize(ts->p, "a", 1, NULL, 0, &n_ids) == 0;
		suite_opts so = { 0 };
		char serr[512], *dataset = NULL;

		ts->suites[i] = r->suites[i];
		for (size_t k = 0; k < n_kinds; k++)
			per_target |= strcmp(kinds[k].name, ss->name) == 0 && kinds[k].per_target;
		if (!per_target || (!has_tok && prov_context_length(ts->p) <= 0))
			continue;
		if (ss->dataset && !(dataset = prov_path_resolve(spec->base_dir, ss->dataset))) {
			snprintf(err, errlen, "out of memory");
			return HX_ENOMEM;
		}
		so.name = ss->name;
		so.dataset_path = dataset;
		so.shots = ss->shots;
		so.limit = ss->limit;
		so.seed = ss->seed;
		so.chat = ss->chat;
		so.needle_lengths = ss->needle_lengths;    /* the spec's grid, as for the run's own */
		so.n_needle_lengths = ss->n_needle_lengths;
		so.needle_depths = ss->needle_depths;
		so.needle_variant = ss->needle_variant;
		so.count_tokens = has_tok ? count_tokens_of : estimate_tokens_of;
		so.count_tokens_ud = ts->p;
		so.max_context = prov_context_length(ts->p);
		so.tokenize = has_ids ? tokenize_of : NULL;
		so.tokenize_ud = ts->p;
		so.quality_window = ss->quality_window;
		so.quality_top_k = ss->quality_top_k;
		{
			build_note note = { spec->targets[t].id, ss->name, quiet, now_s(), 0 };
			so.build_progress = build_progress;
			so.build_progress_ud = &note;
			ts->suites[i] = suite_open(&so, serr, sizeof serr);
		}
		free(dataset);
		if (!ts->suites[i]) {
			snprintf(err, errlen, "suites[%zu] (%s) for target %s: %s", i, ss->name,
				 spec->targets[t].id, serr);
			hx_escape_ctl(err, errlen);   /* dataset text may be in the suite's message */
			return HX_EINVAL;
		}
		ts->own[i] = 1;
	}
	return 0;
}

static int mkdir_p(const char *path, char *err, size_t errlen)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof buf) {
		snprintf(err, errlen, "%s: bad output directory", path);
		return HX_EINVAL;
	}
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST) {
			snprintf(err, errlen, "%s: cannot create: %s", buf, strerror(errno));
			return HX_EIO;
		}
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create: %s", buf, strerror(errno));
		return HX_EIO;
	}
	return 0;
}

static void print_summary(FILE *log, const char *db_path, int64_t run_id,
	const hx_run_summary *sum, const char *out_dir)
{
	rep_set *s;
	char err[512];
	long errs = 0;
	for (int i = 0; i < 16; i++)
		errs += sum->n_errors[i];
	fprintf(log, "\n%s %s: %ld samples planned, %ld already stored, %ld stored now (%ld scored, "
		"%ld failed) in %.1f s\n", sum->interrupted ? "interrupted" : "finished", out_dir,
		sum->n_planned, sum->n_skipped, sum->n_done, sum->n_scored, errs, sum->elapsed_s);
	if (errs) {
		fprintf(log, "errors by class:");
		for (int i = 1; i < 16 && i < PROV_ERR__COUNT; i++)
			if (sum->n_errors[i])
				fprintf(log, " %s %ld", prov_err_class_name((prov_err_class)i), sum->n_errors[i]);
		fprintf(log, "\n");
		for (int i = 1; i < 16 && i < PROV_ERR__COUNT; i++)
			if (sum->n_errors[i])
				fprintf(log, "  first %s error: %s\n", prov_err_class_name((prov_err_class)i),
					sum->first_err[i][0] ? sum->first_err[i] : "(no message)");
	}
	if (sum->n_targets_stopped)
		fprintf(log, "%d target%s stopped early (see above); run the same command again to retry "
			"their samples\n", sum->n_targets_stopped, sum->n_targets_stopped == 1 ? "" : "s");
	/* the figures: the reports' own, from the store (opened read-only beside the writer) */
	if (!(s = rep_set_new()) || rep_set_add_store(s, db_path, out_dir, run_id, err, sizeof err) ||
	    rep_write_summary(log, s, err, sizeof err))
		fprintf(log, "summary unavailable: %s\n", s ? err : "out of memory");
	rep_set_free(s);
	if (sum->interrupted)
		fprintf(log, "run the same command again to resume\n");
}

/* Whether any suite of the spec runs model-written code (its run records the sandbox's layers). */
static int spec_runs_code(const hx_spec *spec)
{
	size_t n = 0;
	const suite_info *si = suite_list(&n);
	for (size_t s = 0; s < spec->n_suites; s++)
		for (size_t k = 0; k < n; k++)
			if (si[k].runs_code && spec->suites[s].name && !strcmp(spec->suites[s].name, si[k].name))
				return 1;
	return 0;
}

/* The plan stage: every target's jobs (this shard's items of its suites, less done) and its
 * in-flight limit, from the suites and providers the run opened; plus each target's position
 * through its jobs. Returns 0 or an HX_E* code with one line in err. */
static int plan_run(run *r, const hx_plan_done *done, const hx_run_opts *opts, char *err,
	size_t errlen)
{
	const hx_spec *spec = r->spec;
	size_t n_t = spec->n_targets, n_s = spec->n_suites, n = n_t * n_s;
	hx_plan_items *items = calloc(n ? n : 1, sizeof *items);
	const char **ids = NULL;
	int *prov_max = calloc(n_t ? n_t : 1, sizeof *prov_max);
	unsigned char *excl = calloc(n_t ? n_t : 1, 1);
	hx_plan_in in = { 0 };
	size_t n_ids = 0;
	int ret;

	r->pos = calloc(n_t ? n_t : 1, sizeof *r->pos);
	if (!items || !prov_max || !excl || !r->pos)
		goto nomem;
	for (size_t t = 0; t < n_t; t++)
		for (size_t i = 0; i < n_s; i++)
			n_ids += suite_count(r->ts[t].suites[i]);
	if (!(ids = calloc(n_ids ? n_ids : 1, sizeof *ids)))
		goto nomem;
	n_ids = 0;
	for (size_t t = 0; t < n_t; t++) {
		prov_max[t] = prov_max_in_flight(r->ts[t].p);
		excl[t] = prov_exclusive(r->ts[t].p) != 0;
		for (size_t i = 0; i < n_s; i++) {
			const suite *su = r->ts[t].suites[i];
			items[t * n_s + i].ids = ids + n_ids;
			items[t * n_s + i].n = suite_count(su);
			for (size_t k = 0; k < suite_count(su); k++)
				ids[n_ids++] = suite_item_id(su, k);
		}
	}
	in.spec = spec;
	in.items = items;
	in.provider_max = prov_max;
	in.exclusive = excl;
	in.done = done;
	in.shard_index = opts->shard_index;
	in.shard_count = opts->shard_count;
	ret = hx_plan_build(&in, &r->plan, err, errlen);
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
	ret = HX_ENOMEM;
out:
	free(items);
	free(ids);
	free(prov_max);
	free(excl);
	return ret;
}

int hx_run(const hx_spec *spec, const hx_run_opts *opts, hx_run_summary *sum, char *err,
	size_t errlen)
{
	FILE *log = opts->log ? opts->log : stderr;
	run r;
	hx_store *st = NULL;
	hx_progress *prog = NULL;
	hx_plan_done done = { 0 };
	pthread_t *workers = NULL;
	int n_workers = 0, ret = 0, resumed = 0, stopping = 0;
	int64_t run_id = -1;
	char *db_path = NULL, *hw_json = NULL;
	struct sigaction sa, old_int, old_term;
	double t0 = now_s();
	long total = 0;
	const char **ids = NULL;
	prov_prices *prices = NULL;
	char prices_path[4096];

	memset(&r, 0, sizeof r);
	memset(sum, 0, sizeof *sum);
	r.spec = spec;
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv_work, NULL);
	pthread_cond_init(&r.cv_done, NULL);
	/* SIGINT / SIGTERM from here on stop the run: one that comes while models load or the store
	 * opens stops it before the first request (it would otherwise end the caller's wait for a
	 * whole run). */
	stop_requested = 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if ((ret = hx_spec_validate(spec, err, errlen)))
		goto out;
	r.suites = calloc(spec->n_suites ? spec->n_suites : 1, sizeof *r.suites);
	r.ts = calloc(spec->n_targets ? spec->n_targets : 1, sizeof *r.ts);
	if (!r.suites || !r.ts)
		goto nomem;

	/* Suites first: their item ids are needed to check providers before anything runs. */
	for (size_t i = 0; i < spec->n_suites; i++) {
		const hx_suite_spec *ss = &spec->suites[i];
		suite_opts so = { 0 };
		char serr[512], *dataset = NULL, *train = NULL;
		for (size_t k = 0; k < i; k++)
			if (strcmp(spec->suites[k].name, ss->name) == 0) {
				snprintf(err, errlen, "suites[%zu]: suite \"%s\" appears twice (also suites[%zu]); "
					 "run the variants into separate run directories", i, ss->name, k);
				ret = HX_EINVAL;
				goto out;
			}
		/* Paths in a spec are relative to the spec's folder. */
		if ((ss->dataset && !(dataset = prov_path_resolve(spec->base_dir, ss->dataset))) ||
		    (ss->train && !(train = prov_path_resolve(spec->base_dir, ss->train)))) {
			free(dataset);
			goto nomem;
		}
		so.name = ss->name;
		so.dataset_path = dataset;
		so.train_path = train;
		so.shots = ss->shots;
		so.limit = ss->limit;
		so.seed = ss->seed;
		so.chat = ss->chat;
		so.needle_lengths = ss->needle_lengths;
		so.n_needle_lengths = ss->n_needle_lengths;
		so.needle_depths = ss->needle_depths;
		so.needle_variant = ss->needle_variant;
		so.count_tokens = estimate_tokens_of;   /* targets with a tokenizer open their own */
		so.quality_window = ss->quality_window;
		so.quality_top_k = ss->quality_top_k;
		r.suites[i] = suite_open(&so, serr, sizeof serr);
		free(dataset);
		free(train);
		if (!r.suites[i]) {
			snprintf(err, errlen, "suites[%zu] (%s): %s", i, ss->name, serr);
			hx_escape_ctl(err, errlen);   /* dataset text may be in the suite's message */
			ret = HX_EINVAL;
			goto out;
		}
	}
	/* The price table, read once for every target. A table that does not parse is left to each
	 * API target to report (local and samples targets need none). */
	if (prov_prices_default_path(prices_path, sizeof prices_path)) {
		char perr[1024];
		prices = prov_prices_load(prices_path, perr, sizeof perr);
	}
	for (size_t t = 0; t < spec->n_targets; t++) {
		const hx_target_spec *ts = &spec->targets[t];
		prov_target pt = { 0 };
		char perr[1024];
		pt.id = ts->id;
		pt.provider = ts->provider;
		pt.model = ts->model;
		pt.options_json = ts->options_json;
		pt.base_dir = spec->base_dir;
		pt.has_prices = ts->has_prices;
		pt.price_in_usd_per_mtok = ts->price_in_usd_per_mtok;
		pt.price_out_usd_per_mtok = ts->price_out_usd_per_mtok;
		pt.price_cached_usd_per_mtok = ts->price_cached_usd_per_mtok;
		pt.prices = prices;
		if (!(r.ts[t].p = prov_open(&pt, perr, sizeof perr))) {
			snprintf(err, errlen, "targets[%zu] (%s): %s", t, ts->id, perr);
			ret = HX_EINVAL;
			goto out;
		}
		if ((ret = target_suites(&r, t, opts->quiet, err, errlen)))
			goto out;
		for (size_t i = 0; i < spec->n_suites; i++) {
			size_t n = suite_count(r.ts[t].suites[i]);
			free(ids);
			if (!(ids = calloc(n ? n : 1, sizeof *ids)))
				goto nomem;
			for (size_t k = 0; k < n; k++)
				ids[k] = suite_item_id(r.ts[t].suites[i], k);
			if (prov_check(r.ts[t].p, ids, n, spec->suites[i].samples, perr, sizeof perr)) {
				snprintf(err, errlen, "targets[%zu] (%s), suite %s: %s", t, ts->id,
					 spec->suites[i].name, perr);
				ret = HX_EINVAL;
				goto out;
			}
		}
	}

	/* The store: open or create, then start or resume the run. */
	if ((ret = mkdir_p(opts->out_dir, err, errlen)))
		goto out;
	if (!(db_path = prov_path_resolve(opts->out_dir, "results.db")))
		goto nomem;
	if (!(st = hx_store_open(db_path, 1, err, errlen))) {
		ret = HX_ESTORE;
		goto out;
	}
	{
		hx_hw hw;
		char herr[256];
		int any_local = 0;
		/* Memory bandwidth bounds local decoding only: a remote-only run does not pay for it. */
		for (size_t t = 0; t < spec->n_targets; t++)
			any_local |= spec->targets[t].provider && !strcmp(spec->targets[t].provider, "local");
		hx_hw_probe(&hw, opts->measure_bw && any_local, herr, sizeof herr);
		/* recorded as "unavailable" too, so a run with a weaker sandbox is never silent */
		if (spec_runs_code(spec) && !suite_sandbox_layers(hw.sandbox_layers, sizeof hw.sandbox_layers))
			snprintf(hw.sandbox_layers, sizeof hw.sandbox_layers, "unavailable");
		hw_json = hx_hw_to_json(&hw);
	}
	if ((ret = hx_store_begin_run(st, spec, hw_json, opts->force_new, &run_id, &resumed, err,
	    errlen)))
		goto out;
	/* What each target's model is, in its row: reports never open model files. */
	for (size_t t = 0; t < spec->n_targets; t++) {
		prov_model_facts mf;
		if (prov_model_facts_get(r.ts[t].p, &mf) &&
		    (ret = hx_store_set_target_facts(st, run_id, spec->targets[t].id, &mf, err, errlen)))
			goto out;
	}
	if (resumed) {
		done_ctx dc = { &done, 0 };
		if (hx_store_each_done(st, run_id, on_stored, &dc) || dc.oom) {
			snprintf(err, errlen, "%s: cannot read finished samples", db_path);
			ret = HX_ESTORE;
			goto out;
		}
	}

	/* The plan, minus what is stored. */
	if ((ret = plan_run(&r, resumed ? &done : NULL, opts, err, errlen)))
		goto out;
	sum->n_planned = r.plan.n_planned;
	sum->n_skipped = r.plan.n_skipped;
	total = r.plan.n_jobs;
	if (resumed)
		fprintf(log, "resuming run %lld in %s: %ld of %ld samples already stored\n",
			(long long)run_id, opts->out_dir, sum->n_skipped, sum->n_planned);

	n_workers = spec->score_workers > 0 ? spec->score_workers : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (n_workers < 1)
		n_workers = 1;
	if (!(workers = calloc((size_t)n_workers, sizeof *workers)))
		goto nomem;
	for (int i = 0; i < n_workers; i++) {
		int rc = pthread_create(&workers[i], NULL, score_worker, &r);
		if (rc) {
			int want = n_workers;
			n_workers = i;
			snprintf(err, errlen, "cannot start scoring thread %d of %d: %s (set a lower "
				"\"score_workers\" in the spec, or raise the thread or memory limits: ulimit -u, ulimit -v)", i + 1,
				want, strerror(rc));
			ret = HX_ENOMEM;
			goto out;
		}
	}

	prog = hx_progress_new(log, total, opts->quiet);

	for (;;) {
		int activity = 0, busy = 0;
		flight *f;

		if (stop_requested && !stopping) {
			stopping = 1;
			sum->interrupted = 1;
			for (size_t t = 0; t < spec->n_targets; t++)
				prov_cancel_all(r.ts[t].p);
		}
		/* Fill every target up to its limit. */
		for (size_t t = 0; t < spec->n_targets && !stopping; t++) {
			tstate *ts = &r.ts[t];
			hx_plan_pos *ps = &r.pos[t];
			while (hx_plan_may_send(&r.plan, r.pos, t)) {
				const hx_plan_job *j = &r.plan.targets[t].jobs[ps->next];
				prov_req rq = { 0 };
				int rc;
				if (!(f = calloc(1, sizeof *f)))
					goto nomem_loop;
				f->j = *j;
				f->run = &r;
				if ((rc = suite_build(ts->suites[j->suite], j->item, j->sample, &rq))) {
					free(f);
					snprintf(err, errlen, "suite %s: cannot build item %s: %s",
						 spec->suites[j->suite].name, suite_item_id(ts->suites[j->suite], j->item),
						 suite_strerror(rc));
					ret = HX_EINVAL;
					goto stop_loop;
				}
				if (hx_plan_request(&spec->gen, j->sample, &rq)) {
					free(f);
					goto nomem_loop;
				}
				request_hash(&rq, f->hash);
				rc = prov_submit(ts->p, &rq, on_done, f);
				prov_req_release(&rq);
				if (rc == PROV_EBUSY) {
					free(f);
					break;
				}
				if (rc) {
					free(f);
					snprintf(err, errlen, "target %s: cannot submit: %s", spec->targets[t].id,
						 prov_strerror(rc));
					ret = HX_EIO;
					goto stop_loop;
				}
				ps->in_flight++;
				ps->next++;
				activity++;
			}
		}
		for (size_t t = 0; t < spec->n_targets; t++) {
			tstate *ts = &r.ts[t];
			if (!ts->stopped && ts->n_transport >= TRANSPORT_STOP_N) {
				char m[200];
				hx_text_escape(m, sizeof m, ts->transport_msg);
				ts->stopped = 1;
				r.pos[t].next = r.plan.targets[t].n_jobs;
				prov_cancel_all(ts->p);
				sum->n_targets_stopped++;
				fprintf(log, "%starget %s stopped: its first %d requests failed to reach the "
					"server: %s\n", opts->quiet ? "" : "\n", spec->targets[t].id, ts->n_transport, m);
			}
		}
		for (size_t t = 0; t < spec->n_targets; t++) {
			int rc = r.ts[t].p ? prov_poll(r.ts[t].p, 0) : 0;
			if (rc > 0)
				activity += rc;
			busy += r.pos[t].in_flight;
			if (r.ts[t].p && !r.pos[t].in_flight && r.pos[t].next == r.plan.targets[t].n_jobs) {
				/* Done: a local model's memory goes back before the next target loads. */
				prov_close(r.ts[t].p);
				r.ts[t].p = NULL;
			}
		}
		/* Store what the workers (or failures) produced. */
		for (;;) {
			pthread_mutex_lock(&r.mu);
			f = q_pop(&r.scored);
			pthread_mutex_unlock(&r.mu);
			if (!f)
				break;
			activity++;
			if (store_flight(st, run_id, &r, f, err, errlen)) {
				flight_free(f);
				ret = HX_ESTORE;
				goto stop_loop;
			}
			{
				int e = f->resp->err ? (int)f->resp->err : (f->score_rc ? PROV_ERR_PARSE : 0);
				const char *msg = !e ? NULL : f->resp->err ? (f->resp->err_msg ? f->resp->err_msg :
					"") : score_error_text(r.ts[f->j.target].suites[f->j.suite], f->j.item,
							       f->score_rc);
				sum->n_done++;
				if (e) {
					e = e < 16 ? e : 0;
					sum->n_errors[e]++;
					if (!sum->first_err[e][0])
						hx_text_escape(sum->first_err[e], sizeof sum->first_err[e], msg[0] ?
							msg : "(no message)");
				} else {
					sum->n_scored++;
				}
				hx_progress_sample(prog, spec->targets[f->j.target].id,
					spec->suites[f->j.suite].name, (long)f->resp->n_tokens_out, msg);
			}
			flight_free(f);
		}
		pthread_mutex_lock(&r.mu);
		busy += (int)r.scoring + (int)r.scored.n;
		pthread_mutex_unlock(&r.mu);
		if (!busy) {
			int left = 0;
			for (size_t t = 0; t < spec->n_targets && !stopping; t++)
				left |= r.pos[t].next < r.plan.targets[t].n_jobs;
			if (!left)
				break;
		}
		if (!activity) {
			/* Nothing happened: wait a little for a provider or a worker. */
			int waited = 0;
			for (size_t t = 0; t < spec->n_targets && !waited; t++)
				if (r.pos[t].in_flight) {
					prov_poll(r.ts[t].p, 2);
					waited = 1;
				}
			if (!waited) {
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_nsec += 5000000;
				if (ts.tv_nsec >= 1000000000) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000;
				}
				pthread_mutex_lock(&r.mu);
				if (!r.scored.head)
					pthread_cond_timedwait(&r.cv_done, &r.mu, &ts);
				pthread_mutex_unlock(&r.mu);
			}
		}
	}
	goto end_loop;
nomem_loop:
	snprintf(err, errlen, "out of memory");
	ret = HX_ENOMEM;
stop_loop:
	/* A fatal error mid-run: nothing more is sent; what is stored stays stored. */
	for (size_t t = 0; t < spec->n_targets; t++) {
		prov_cancel_all(r.ts[t].p);
		/* Let the cancellations fire so every flight is freed by its callback. */
		for (int k = 0; k < 1000 && r.pos[t].in_flight > 0; k++)
			if (prov_poll(r.ts[t].p, 1) < 0)
				break;
	}
end_loop:
	hx_progress_free(prog);
	prog = NULL;
	sum->elapsed_s = now_s() - t0;
	if (ret == 0 && sum->interrupted)
		ret = HX_EINTR;
	hx_store_end_run(st, run_id, ret == 0 ? "done" : ret == HX_EINTR ? "interrupted" : "error");
	if (ret == 0 || ret == HX_EINTR)
		print_summary(log, db_path, run_id, sum, opts->out_dir);
	if (ret == HX_EINTR)
		snprintf(err, errlen, "interrupted; %ld samples stored in %s, run the same command to resume",
			 sum->n_done + sum->n_skipped, opts->out_dir);
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
	ret = HX_ENOMEM;
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	prov_prices_free(prices);
	hx_progress_free(prog);
	if (workers) {
		pthread_mutex_lock(&r.mu);
		r.closing = 1;
		pthread_cond_broadcast(&r.cv_work);
		pthread_mutex_unlock(&r.mu);
		for (int i = 0; i < n_workers; i++)
			pthread_join(workers[i], NULL);
		free(workers);
	}
	{
		flight *f;
		while ((f = q_pop(&r.to_score)))
			flight_free(f);
		while ((f = q_pop(&r.scored)))
			flight_free(f);
	}
	if (r.ts)
		for (size_t t = 0; t < spec->n_targets; t++) {
			prov_close(r.ts[t].p);   /* pending callbacks never fire; their flights leak-free below */
			for (size_t i = 0; r.ts[t].own && i < spec->n_suites; i++)
				if (r.ts[t].own[i])
					suite_close(r.ts[t].suites[i]);
			free(r.ts[t].suites);
			free(r.ts[t].own);
		}
	if (r.suites)
		for (size_t i = 0; i < spec->n_suites; i++)
			suite_close(r.suites[i]);
	free(r.suites);
	free(r.ts);
	free(ids);
	hx_plan_done_release(&done);
	hx_plan_release(&r.plan);
	free(r.pos);
	hx_store_close(st);
	free(db_path);
	free(hw_json);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv_work);
	pthread_cond_destroy(&r.cv_done);
	return ret;
}
