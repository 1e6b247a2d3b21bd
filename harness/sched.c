/* harness/sched.c — one run in four stages. open: the suites, each target's provider (and its
 * own suites where items depend on its tokenizer), the results store and what it already holds.
 * plan: harness/plan.c turns those into each target's jobs. loop: keeps up to each target's
 * limit in flight, scores responses on a worker pool (scoring may execute code and be slow, so
 * it stays off the I/O path) and commits each sample from the main thread the moment it is
 * scored. finish: marks the run in the store and prints the summary.
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

#include "base/base.h"
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
	                       * of a per-target suite (its items depend on the target's tokenizer
	                       * and context) */
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

/* One run, through its four stages: open (suites, providers, store), plan, loop, finish. */
typedef struct run {
	const hx_spec *spec;
	const hx_run_opts *opts;
	FILE *log;            /* opts->log, or stderr */
	double t0;            /* when hx_run began */
	suite **suites;       /* [spec->n_suites] */
	tstate *ts;           /* [spec->n_targets] */
	prov_prices *prices;  /* the price table every target reads, or NULL */
	hx_store *st;
	char *db_path;        /* the store's file */
	int64_t run_id;
	int resumed;          /* the store held this spec's run: done holds its finished samples */
	hx_plan_done done;
	hx_plan plan;         /* the jobs of each target and its in-flight limit */
	hx_plan_pos *pos;     /* [spec->n_targets] how far each target is through its jobs */
	pthread_t *workers;   /* [n_workers] scoring threads */
	int n_workers;
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


/* Targets without a tokenizer (remote APIs, samples): prov_estimate_tokens, so a prompt a
 * suite fits to N tokens holds about N of an API model's tokens. */
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

/* What a suite's slow open reports to (items fitted in a target's tokens, one by one). */
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

/* What a suite's options borrow, owned by whoever opens it. */
typedef struct suite_strs {
	char *dataset, *train;   /* resolved against the spec's folder, or NULL */
	char *options;           /* the suite's options object (hx_suite_spec_options), or NULL */
} suite_strs;

static void suite_strs_release(suite_strs *ss)
{
	free(ss->dataset);
	free(ss->train);
	free(ss->options);
}

/* The options suites[i] of the spec opens with: the spec's settings, its paths resolved against
 * the spec's folder, its own options. Returns 0, or HX_ENOMEM / HX_EINVAL with one line in err.
 * Ownership: so borrows *str, which the caller releases with suite_strs_release after the
 * open (also after a failure). */
static int suite_opts_of(const hx_spec *spec, size_t i, suite_opts *so, suite_strs *str,
	char *err, size_t errlen)
{
	const hx_suite_spec *ss = &spec->suites[i];
	int rc;
	memset(str, 0, sizeof *str);
	memset(so, 0, sizeof *so);
	/* Paths in a spec are relative to the spec's folder. */
	if ((ss->dataset && !(str->dataset = tb_path_resolve(spec->base_dir, ss->dataset))) ||
	    (ss->train && !(str->train = tb_path_resolve(spec->base_dir, ss->train)))) {
		snprintf(err, errlen, "out of memory");
		return HX_ENOMEM;
	}
	if ((rc = hx_suite_spec_options(ss, &str->options))) {
		snprintf(err, errlen, "suites[%zu].options: %s", i, rc == HX_ENOMEM ? "out of memory" :
			 "expected a JSON object");
		return rc;
	}
	so->name = ss->name;
	so->dataset_path = str->dataset;
	so->train_path = str->train;
	so->options_json = str->options;
	so->shots = ss->shots;
	so->limit = ss->limit;
	so->seed = ss->seed;
	so->chat = ss->chat;
	so->count_tokens = estimate_tokens_of;
	return 0;
}

/* The suites target t runs: the run's own, except that a per-target suite (suite_info.per_target)
 * is opened again for a target whose provider has its own tokenizer or context length, so that
 * its items are counted in that target's tokens and stop at its context. */
static int target_suites(run *r, size_t t, char *err, size_t errlen)
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
		suite_opts so;
		suite_strs str;
		char serr[512];
		int rc;
		build_note note = { spec->targets[t].id, ss->name, r->opts->quiet, 0, 0 };

		ts->suites[i] = r->suites[i];
		for (size_t k = 0; k < n_kinds; k++)
			per_target |= strcmp(kinds[k].name, ss->name) == 0 && kinds[k].per_target;
		if (!per_target || (!has_tok && prov_context_length(ts->p) <= 0))
			continue;
		if ((rc = suite_opts_of(spec, i, &so, &str, err, errlen))) {
			suite_strs_release(&str);
			return rc;
		}
		so.count_tokens = has_tok ? count_tokens_of : estimate_tokens_of;
		so.count_tokens_ud = ts->p;
		so.max_context = prov_context_length(ts->p);
		so.tokenize = has_ids ? tokenize_of : NULL;
		so.tokenize_ud = ts->p;
		note.t0 = now_s();
		so.build_progress = build_progress;
		so.build_progress_ud = &note;
		ts->suites[i] = suite_open(&so, serr, sizeof serr);
		suite_strs_release(&str);
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

/* ------------------------------------------------------------ open */

/* The run's own instance of each suite. Their item ids are needed to check providers before
 * anything runs. */
static int open_suites(run *r, char *err, size_t errlen)
{
	const hx_spec *spec = r->spec;
	for (size_t i = 0; i < spec->n_suites; i++) {
		const hx_suite_spec *ss = &spec->suites[i];
		suite_opts so;
		suite_strs str;
		char serr[512];
		int rc;
		for (size_t k = 0; k < i; k++)
			if (strcmp(spec->suites[k].name, ss->name) == 0) {
				snprintf(err, errlen, "suites[%zu]: suite \"%s\" appears twice (also suites[%zu]); "
					 "run the variants into separate run directories", i, ss->name, k);
				return HX_EINVAL;
			}
		if ((rc = suite_opts_of(spec, i, &so, &str, err, errlen))) {
			suite_strs_release(&str);
			return rc;
		}
		r->suites[i] = suite_open(&so, serr, sizeof serr);  /* counts tokens by estimate */
		suite_strs_release(&str);
		if (!r->suites[i]) {
			snprintf(err, errlen, "suites[%zu] (%s): %s", i, ss->name, serr);
			hx_escape_ctl(err, errlen);   /* dataset text may be in the suite's message */
			return HX_EINVAL;
		}
	}
	return 0;
}

/* Each target's provider, its own suites where it needs them, and the provider's check that it
 * can answer every item (the samples provider: its file holds each one). */
static int open_targets(run *r, char *err, size_t errlen)
{
	const hx_spec *spec = r->spec;
	const char **ids = NULL;
	char prices_path[4096];
	int ret = 0;

	/* The price table, read once for every target. A table that does not parse is left to each
	 * API target to report (local and samples targets need none). */
	if (prov_prices_default_path(prices_path, sizeof prices_path)) {
		char perr[1024];
		r->prices = prov_prices_load(prices_path, perr, sizeof perr);
	}
	for (size_t t = 0; t < spec->n_targets && !ret; t++) {
		const hx_target_spec *ts = &spec->targets[t];
		prov_target pt = { 0 };
		char perr[1024], *opts = NULL;
		pt.id = ts->id;
		pt.provider = ts->provider;
		pt.model = ts->model;
		/* a shard's share of the target's rpm / tpm (docs/cluster.md) */
		if ((ret = hx_plan_target_options(ts->options_json, r->opts->shard_count, &opts, perr,
			    sizeof perr))) {
			snprintf(err, errlen, "targets[%zu] (%s): %s", t, ts->id, perr);
			break;
		}
		pt.options_json = opts;
		pt.base_dir = spec->base_dir;
		pt.has_prices = ts->has_prices;
		pt.price_in_usd_per_mtok = ts->price_in_usd_per_mtok;
		pt.price_out_usd_per_mtok = ts->price_out_usd_per_mtok;
		pt.price_cached_usd_per_mtok = ts->price_cached_usd_per_mtok;
		pt.prices = r->prices;
		r->ts[t].p = prov_open(&pt, perr, sizeof perr);
		free(opts);
		if (!r->ts[t].p) {
			snprintf(err, errlen, "targets[%zu] (%s): %s", t, ts->id, perr);
			ret = HX_EINVAL;
			break;
		}
		if ((ret = target_suites(r, t, err, errlen)))
			break;
		for (size_t i = 0; i < spec->n_suites; i++) {
			size_t n = suite_count(r->ts[t].suites[i]);
			free(ids);
			if (!(ids = calloc(n ? n : 1, sizeof *ids))) {
				snprintf(err, errlen, "out of memory");
				ret = HX_ENOMEM;
				break;
			}
			for (size_t k = 0; k < n; k++)
				ids[k] = suite_item_id(r->ts[t].suites[i], k);
			if (prov_check(r->ts[t].p, ids, n, spec->suites[i].samples, perr, sizeof perr)) {
				snprintf(err, errlen, "targets[%zu] (%s), suite %s: %s", t, ts->id,
					 spec->suites[i].name, perr);
				ret = HX_EINVAL;
				break;
			}
		}
	}
	free(ids);
	return ret;
}

/* The store: opened or created in the run directory; the run started or resumed with the
 * machine's profile and each target's model facts; on resume, what it already holds. */
static int open_store(run *r, char *err, size_t errlen)
{
	const hx_spec *spec = r->spec;
	char *hw_json;
	int ret;
	hx_hw hw;
	char herr[256];
	int any_local = 0;

	if (tb_mkdir_p(r->opts->out_dir, err, errlen))
		return HX_EIO;
	if (!(r->db_path = tb_path_resolve(r->opts->out_dir, "results.db"))) {
		snprintf(err, errlen, "out of memory");
		return HX_ENOMEM;
	}
	if (!(r->st = hx_store_open(r->db_path, 1, err, errlen)))
		return HX_ESTORE;
	/* Memory bandwidth bounds local decoding only: a remote-only run does not pay for it. */
	for (size_t t = 0; t < spec->n_targets; t++)
		any_local |= spec->targets[t].provider && !strcmp(spec->targets[t].provider, "local");
	hx_hw_probe(&hw, r->opts->measure_bw && any_local, herr, sizeof herr);
	/* recorded as "unavailable" too, so a run with a weaker sandbox is never silent */
	if (spec_runs_code(spec) && !suite_sandbox_layers(hw.sandbox_layers, sizeof hw.sandbox_layers))
		snprintf(hw.sandbox_layers, sizeof hw.sandbox_layers, "unavailable");
	hw_json = hx_hw_to_json(&hw);
	ret = hx_store_begin_run(r->st, spec, hw_json, r->opts->force_new, &r->run_id, &r->resumed,
		err, errlen);
	free(hw_json);
	if (ret || (ret = hx_store_set_shard(r->st, r->run_id, r->opts->shard_index,
		    r->opts->shard_count, err, errlen)))
		return ret;
	/* What each target's model is, in its row: reports never open model files. */
	for (size_t t = 0; t < spec->n_targets; t++) {
		prov_model_facts mf;
		if (prov_model_facts_get(r->ts[t].p, &mf) &&
		    (ret = hx_store_set_target_facts(r->st, r->run_id, spec->targets[t].id, &mf, err,
			    errlen)))
			return ret;
	}
	if (r->resumed) {
		done_ctx dc = { &r->done, 0 };
		if (hx_store_each_done(r->st, r->run_id, on_stored, &dc) || dc.oom) {
			snprintf(err, errlen, "%s: cannot read finished samples", r->db_path);
			return HX_ESTORE;
		}
	}
	return 0;
}

/* Opens everything a run needs, in the order that fails soonest on a bad spec: suites, then
 * providers (which load models), then the store. */
static int run_open(run *r, char *err, size_t errlen)
{
	const hx_spec *spec = r->spec;
	int ret;
	if ((ret = hx_spec_validate(spec, err, errlen)))
		return ret;
	r->suites = calloc(spec->n_suites ? spec->n_suites : 1, sizeof *r->suites);
	r->ts = calloc(spec->n_targets ? spec->n_targets : 1, sizeof *r->ts);
	if (!r->suites || !r->ts) {
		snprintf(err, errlen, "out of memory");
		return HX_ENOMEM;
	}
	if ((ret = open_suites(r, err, errlen)) || (ret = open_targets(r, err, errlen)))
		return ret;
	return open_store(r, err, errlen);
}

/* ------------------------------------------------------------ plan */

/* The plan stage: every target's jobs (this shard's items of its suites, less done) and its
 * in-flight limit, from the suites and providers the run opened, less what the store holds;
 * plus each target's position through its jobs. Returns 0 or an HX_E* code with one line in err. */
static int plan_run(run *r, char *err, size_t errlen)
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
	in.done = r->resumed ? &r->done : NULL;
	in.shard_index = r->opts->shard_index;
	in.shard_count = r->opts->shard_count;
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

/* ------------------------------------------------------------ loop */

/* Sends what target t may send now, up to its limit. Returns the number sent (>= 0), or an
 * HX_E* code with one line in err (nothing more is then sent). */
static int send_ready(run *r, size_t t, char *err, size_t errlen)
{
	const hx_spec *spec = r->spec;
	tstate *ts = &r->ts[t];
	hx_plan_pos *ps = &r->pos[t];
	int sent = 0;

	while (hx_plan_may_send(&r->plan, r->pos, t)) {
		const hx_plan_job *j = &r->plan.targets[t].jobs[ps->next];
		const suite *su = ts->suites[j->suite];
		prov_req rq = { 0 };
		flight *f;
		int rc;
		if (!(f = calloc(1, sizeof *f)))
			goto nomem;
		f->j = *j;
		f->run = r;
		if ((rc = suite_build(su, j->item, j->sample, &rq))) {
			free(f);
			snprintf(err, errlen, "suite %s: cannot build item %s: %s",
				 spec->suites[j->suite].name, suite_item_id(su, j->item), suite_strerror(rc));
			return HX_EINVAL;
		}
		if (hx_plan_request(spec->targets[t].has_gen ? &spec->targets[t].gen : &spec->gen, j->sample,
		    &rq)) {
			free(f);
			goto nomem;
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
			return HX_EIO;
		}
		ps->in_flight++;
		ps->next++;
		sent++;
	}
	return sent;
nomem:
	snprintf(err, errlen, "out of memory");
	return HX_ENOMEM;
}

/* Stops each target whose first requests all failed to reach its server: nothing more is sent
 * to it, and its unsent samples stay unstored for a re-run. */
static void stop_unreachable(run *r, hx_run_summary *sum)
{
	for (size_t t = 0; t < r->spec->n_targets; t++) {
		tstate *ts = &r->ts[t];
		char m[200];
		if (ts->stopped || ts->n_transport < TRANSPORT_STOP_N)
			continue;
		hx_text_escape(m, sizeof m, ts->transport_msg);
		ts->stopped = 1;
		r->pos[t].next = r->plan.targets[t].n_jobs;
		prov_cancel_all(ts->p);
		sum->n_targets_stopped++;
		fprintf(r->log, "%starget %s stopped: its first %d requests failed to reach the "
			"server: %s\n", r->opts->quiet ? "" : "\n", r->spec->targets[t].id, ts->n_transport, m);
	}
}

/* Drives every provider once; a target with nothing left is closed, so a local model's memory
 * goes back before the next target loads. Returns the activity seen; *busy gets the requests
 * still in flight. */
static int poll_targets(run *r, int *busy)
{
	int activity = 0;
	for (size_t t = 0; t < r->spec->n_targets; t++) {
		int rc = r->ts[t].p ? prov_poll(r->ts[t].p, 0) : 0;
		if (rc > 0)
			activity += rc;
		*busy += r->pos[t].in_flight;
		if (r->ts[t].p && !r->pos[t].in_flight && r->pos[t].next == r->plan.targets[t].n_jobs) {
			prov_close(r->ts[t].p);
			r->ts[t].p = NULL;
		}
	}
	return activity;
}

/* Stores what the workers scored and the failures, counting them in sum and on the progress
 * display. Returns the number stored (>= 0), or HX_ESTORE with one line in err. */
static int store_scored(run *r, hx_run_summary *sum, hx_progress *prog, char *err, size_t errlen)
{
	int stored = 0;
	for (;;) {
		flight *f;
		int e;
		const char *msg;
		pthread_mutex_lock(&r->mu);
		f = q_pop(&r->scored);
		pthread_mutex_unlock(&r->mu);
		if (!f)
			return stored;
		stored++;
		if (store_flight(r->st, r->run_id, r, f, err, errlen)) {
			flight_free(f);
			return HX_ESTORE;
		}
		e = f->resp->err ? (int)f->resp->err : (f->score_rc ? PROV_ERR_PARSE : 0);
		msg = !e ? NULL : f->resp->err ? (f->resp->err_msg ? f->resp->err_msg : "") :
			score_error_text(r->ts[f->j.target].suites[f->j.suite], f->j.item, f->score_rc);
		sum->n_done++;
		if (e) {
			e = e < 16 ? e : 0;
			sum->n_errors[e]++;
			if (!sum->first_err[e][0])
				hx_text_escape(sum->first_err[e], sizeof sum->first_err[e], msg[0] ? msg :
					"(no message)");
		} else {
			sum->n_scored++;
		}
		hx_progress_sample(prog, r->spec->targets[f->j.target].id, r->spec->suites[f->j.suite].name,
			(long)f->resp->n_tokens_out, msg);
		flight_free(f);
	}
}

/* Nothing happened: waits a little for a provider (a few ms in its poll) or a worker. */
static void wait_a_little(run *r)
{
	struct timespec ts;
	for (size_t t = 0; t < r->spec->n_targets; t++)
		if (r->pos[t].in_flight) {
			prov_poll(r->ts[t].p, 2);
			return;
		}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 5000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&r->mu);
	if (!r->scored.head)
		pthread_cond_timedwait(&r->cv_done, &r->mu, &ts);
	pthread_mutex_unlock(&r->mu);
}

static int start_workers(run *r, char *err, size_t errlen)
{
	int want = r->spec->score_workers > 0 ? r->spec->score_workers :
		(int)sysconf(_SC_NPROCESSORS_ONLN);
	if (want < 1)
		want = 1;
	if (!(r->workers = calloc((size_t)want, sizeof *r->workers))) {
		snprintf(err, errlen, "out of memory");
		return HX_ENOMEM;
	}
	for (int i = 0; i < want; i++) {
		int rc = pthread_create(&r->workers[i], NULL, score_worker, r);
		if (rc) {
			snprintf(err, errlen, "cannot start scoring thread %d of %d: %s (set a lower "
				"\"score_workers\" in the spec, or raise the thread or memory limits: ulimit -u, ulimit -v)", i + 1,
				want, strerror(rc));
			return HX_ENOMEM;
		}
		r->n_workers = i + 1;
	}
	return 0;
}

/* Works through the plan: fills every target up to its limit, drives the providers, stores what
 * is scored, until nothing is left or a stop signal came (then what is in flight is cancelled
 * and what was answered still stored). Returns 0, or an HX_E* code with one line in err after a
 * fatal error (nothing more is sent; what is stored stays stored). The caller joins the
 * workers. */
static int run_loop(run *r, hx_run_summary *sum, char *err, size_t errlen)
{
	const hx_spec *spec = r->spec;
	hx_progress *prog;
	int stopping = 0, ret;

	if ((ret = start_workers(r, err, errlen)))
		return ret;
	prog = hx_progress_new(r->log, r->plan.n_jobs, r->opts->quiet);
	for (;;) {
		int activity = 0, busy = 0;

		if (stop_requested && !stopping) {
			stopping = 1;
			sum->interrupted = 1;
			for (size_t t = 0; t < spec->n_targets; t++)
				prov_cancel_all(r->ts[t].p);
		}
		for (size_t t = 0; t < spec->n_targets && !stopping; t++) {
			if ((ret = send_ready(r, t, err, errlen)) < 0)
				goto fail;
			activity += ret;
		}
		stop_unreachable(r, sum);
		activity += poll_targets(r, &busy);
		if ((ret = store_scored(r, sum, prog, err, errlen)) < 0)
			goto fail;
		activity += ret;
		pthread_mutex_lock(&r->mu);
		busy += (int)r->scoring + (int)r->scored.n;
		pthread_mutex_unlock(&r->mu);
		if (!busy) {
			int left = 0;
			for (size_t t = 0; t < spec->n_targets && !stopping; t++)
				left |= r->pos[t].next < r->plan.targets[t].n_jobs;
			if (!left)
				break;
		}
		if (!activity)
			wait_a_little(r);
	}
	hx_progress_free(prog);
	return 0;
fail:
	/* A fatal error mid-run: nothing more is sent; what is stored stays stored. */
	for (size_t t = 0; t < spec->n_targets; t++) {
		prov_cancel_all(r->ts[t].p);
		/* Let the cancellations fire so every flight is freed by its callback. */
		for (int k = 0; k < 1000 && r->pos[t].in_flight > 0; k++)
			if (prov_poll(r->ts[t].p, 1) < 0)
				break;
	}
	hx_progress_free(prog);
	return ret;
}

/* ------------------------------------------------------------ finish */

/* Marks the run done, interrupted or failed in the store and prints the summary (not after an
 * error). Returns ret, or HX_EINTR when the loop stopped on a signal. */
static int run_finish(run *r, int ret, hx_run_summary *sum, char *err, size_t errlen)
{
	sum->elapsed_s = now_s() - r->t0;
	if (ret == 0 && sum->interrupted)
		ret = HX_EINTR;
	hx_store_end_run(r->st, r->run_id, ret == 0 ? "done" : ret == HX_EINTR ? "interrupted" : "error");
	if (ret == 0 || ret == HX_EINTR)
		print_summary(r->log, r->db_path, r->run_id, sum, r->opts->out_dir);
	if (ret == HX_EINTR)
		snprintf(err, errlen, "interrupted; %ld samples stored in %s, run the same command to resume",
			 sum->n_done + sum->n_skipped, r->opts->out_dir);
	return ret;
}

/* Stops the workers and frees everything the run opened. */
static void run_close(run *r)
{
	const hx_spec *spec = r->spec;
	flight *f;
	if (r->workers) {
		pthread_mutex_lock(&r->mu);
		r->closing = 1;
		pthread_cond_broadcast(&r->cv_work);
		pthread_mutex_unlock(&r->mu);
		for (int i = 0; i < r->n_workers; i++)
			pthread_join(r->workers[i], NULL);
		free(r->workers);
	}
	while ((f = q_pop(&r->to_score)))
		flight_free(f);
	while ((f = q_pop(&r->scored)))
		flight_free(f);
	prov_prices_free(r->prices);
	if (r->ts)
		for (size_t t = 0; t < spec->n_targets; t++) {
			prov_close(r->ts[t].p);   /* pending callbacks never fire; their flights leak-free below */
			for (size_t i = 0; r->ts[t].own && i < spec->n_suites; i++)
				if (r->ts[t].own[i])
					suite_close(r->ts[t].suites[i]);
			free(r->ts[t].suites);
			free(r->ts[t].own);
		}
	if (r->suites)
		for (size_t i = 0; i < spec->n_suites; i++)
			suite_close(r->suites[i]);
	free(r->suites);
	free(r->ts);
	hx_plan_done_release(&r->done);
	hx_plan_release(&r->plan);
	free(r->pos);
	hx_store_close(r->st);
	free(r->db_path);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv_work);
	pthread_cond_destroy(&r->cv_done);
}

int hx_run(const hx_spec *spec, const hx_run_opts *opts, hx_run_summary *sum, char *err,
	size_t errlen)
{
	struct sigaction sa, old_int, old_term;
	run r;
	int ret;

	memset(&r, 0, sizeof r);
	memset(sum, 0, sizeof *sum);
	r.spec = spec;
	r.opts = opts;
	r.log = opts->log ? opts->log : stderr;
	r.run_id = -1;
	r.t0 = now_s();
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

	if (!(ret = run_open(&r, err, errlen)) && !(ret = plan_run(&r, err, errlen))) {
		sum->n_planned = r.plan.n_planned;
		sum->n_skipped = r.plan.n_skipped;
		if (r.resumed)
			fprintf(r.log, "resuming run %lld in %s: %ld of %ld samples already stored\n",
				(long long)r.run_id, opts->out_dir, sum->n_skipped, sum->n_planned);
		ret = run_finish(&r, run_loop(&r, sum, err, errlen), sum, err, errlen);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	run_close(&r);
	return ret;
}
