/* providers/samples.c — the `samples` provider: answers requests from a JSONL file of existing
 * generations in the evalplus / bigcode sample format, one object per line with "task_id" and
 * "completion" (or "solution"); several lines for one task are its samples 0, 1, 2, ... in file
 * order. It lets people score generations they already have. Option "delay_ms" replays each
 * answer after a fixed latency (for exercising the scheduler as a real provider would). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "providers/provider_impl.h"

#define SAMPLES_MAX_LINE_BYTES (64u << 20)   /* a single generation larger than this is refused */

typedef struct task {
	char *id;
	char **texts;       /* [n] sample texts in file order */
	size_t n, cap;
} task;

typedef struct pending {
	prov_req rq;        /* our copy, given to the callback */
	prov_resp *resp;
	prov_done_fn done;
	void *ud;
	double due_ms;      /* monotonic time when it may complete */
	double t0_ms;
} pending;

typedef struct samples {
	char *path;
	task *tasks;        /* open-addressing table [cap], id NULL = empty */
	size_t n_tasks, cap;
	pending *q;         /* FIFO of queued answers [q_len] from q_head */
	size_t q_head, q_len, q_cap;
	int delay_ms;
} samples;

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static task *find_slot(task *tab, size_t cap, const char *id)
{
	size_t i = hash_str(id) & (cap - 1);
	while (tab[i].id && strcmp(tab[i].id, id) != 0)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static int grow(samples *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 256;
	task *nt = calloc(ncap, sizeof *nt);
	if (!nt)
		return -1;
	for (size_t i = 0; i < s->cap; i++)
		if (s->tasks[i].id)
			*find_slot(nt, ncap, s->tasks[i].id) = s->tasks[i];
	free(s->tasks);
	s->tasks = nt;
	s->cap = ncap;
	return 0;
}

static int add_sample(samples *s, const char *id, const char *text)
{
	task *t;
	if ((s->n_tasks + 1) * 2 > s->cap && grow(s))
		return -1;
	t = find_slot(s->tasks, s->cap, id);
	if (!t->id) {
		if (!(t->id = strdup(id)))
			return -1;
		s->n_tasks++;
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 1;
		char **nx = realloc(t->texts, nc * sizeof *nx);
		if (!nx)
			return -1;
		t->texts = nx;
		t->cap = nc;
	}
	if (!(t->texts[t->n] = strdup(text)))
		return -1;
	t->n++;
	return 0;
}

static void samples_close(void *self)
{
	samples *s = self;
	if (!s)
		return;
	for (size_t i = 0; i < s->cap; i++) {
		for (size_t k = 0; k < s->tasks[i].n; k++)
			free(s->tasks[i].texts[k]);
		free(s->tasks[i].texts);
		free(s->tasks[i].id);
	}
	for (size_t i = 0; i < s->q_len; i++) {
		pending *p = &s->q[(s->q_head + i) % s->q_cap];
		prov_req_release(&p->rq);
		prov_resp_free(p->resp);
	}
	free(s->q);
	free(s->tasks);
	free(s->path);
	free(s);
}

static const char *const opt_keys[] = { "delay_ms", NULL };

/* Reads options: {"delay_ms": integer 0..600000}. Unknown keys are errors. */
static int parse_options(samples *s, const prov_target *t, char *err, size_t errlen)
{
	cJSON *o, *it;
	if (!t->options_json)
		return 0;
	o = cJSON_Parse(t->options_json);
	if (!cJSON_IsObject(o)) {
		snprintf(err, errlen, "target %s: options: expected an object", t->id ? t->id : "?");
		cJSON_Delete(o);
		return -1;
	}
	cJSON_ArrayForEach(it, o) {
		if (strcmp(it->string, "delay_ms") == 0 && cJSON_IsNumber(it) &&
		    it->valuedouble >= 0 && it->valuedouble <= 600000 &&
		    it->valuedouble == (int)it->valuedouble) {
			s->delay_ms = (int)it->valuedouble;
		} else if (strcmp(it->string, "delay_ms") == 0) {
			snprintf(err, errlen, "target %s: options.delay_ms: expected integer 0..600000",
				 t->id ? t->id : "?");
			cJSON_Delete(o);
			return -1;
		} else {
			snprintf(err, errlen, "target %s: options.%s: unknown option for provider samples "
				 "(known: delay_ms)", t->id ? t->id : "?", it->string);
			cJSON_Delete(o);
			return -1;
		}
	}
	cJSON_Delete(o);
	return 0;
}

static void *samples_open(const prov_target *t, char *err, size_t errlen)
{
	samples *s = calloc(1, sizeof *s);
	FILE *f = NULL;
	tb_buf line = { .max_bytes = SAMPLES_MAX_LINE_BYTES };
	long lineno = 0, n_lines = 0;
	int got;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!t->model || !*t->model) {
		snprintf(err, errlen, "target %s: provider samples needs the samples file as its model "
			 "(samples:PATH.jsonl)", t->id ? t->id : "?");
		goto fail;
	}
	if (!(s->path = tb_path_resolve(t->base_dir, t->model)) || parse_options(s, t, err, errlen))
		goto fail;
	if (!(f = fopen(s->path, "rb"))) {
		snprintf(err, errlen, "%s: cannot open: %s", s->path, strerror(errno));
		goto fail;
	}
	while ((got = tb_stream_getline(f, &line)) != 0 && got != TB_EIO) {
		cJSON *o, *id, *text;
		char idbuf[64];
		const char *ids;
		lineno++;
		if (got == TB_ETOOBIG || got == TB_ENOMEM) {
			snprintf(err, errlen, "%s:%ld: line longer than %u MiB", s->path, lineno,
				 SAMPLES_MAX_LINE_BYTES >> 20);
			goto fail;
		}
		if (strspn(line.p, " \t\r\n") == line.len)
			continue;
		o = cJSON_Parse(line.p);
		if (!cJSON_IsObject(o)) {
			snprintf(err, errlen, "%s:%ld: not a JSON object", s->path, lineno);
			cJSON_Delete(o);
			goto fail;
		}
		id = cJSON_GetObjectItemCaseSensitive(o, "task_id");
		text = cJSON_GetObjectItemCaseSensitive(o, "completion");
		if (!text)
			text = cJSON_GetObjectItemCaseSensitive(o, "solution");
		if (cJSON_IsString(id)) {
			ids = id->valuestring;
		} else if (cJSON_IsNumber(id) && id->valuedouble == floor(id->valuedouble) &&
			   fabs(id->valuedouble) <= 9007199254740992.0) {
			/* integers up to 2^53 are exact in a double (and in range of the cast) */
			snprintf(idbuf, sizeof idbuf, "%lld", (long long)id->valuedouble);
			ids = idbuf;
		} else {
			snprintf(err, errlen, "%s:%ld: missing field \"task_id\" (string or integer)",
				 s->path, lineno);
			cJSON_Delete(o);
			goto fail;
		}
		if (!cJSON_IsString(text)) {
			snprintf(err, errlen, "%s:%ld: missing field \"completion\" or \"solution\" (string)",
				 s->path, lineno);
			cJSON_Delete(o);
			goto fail;
		}
		if (add_sample(s, ids, text->valuestring)) {
			snprintf(err, errlen, "out of memory");
			cJSON_Delete(o);
			goto fail;
		}
		n_lines++;
		cJSON_Delete(o);
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", s->path, strerror(errno));
		goto fail;
	}
	if (n_lines == 0) {
		snprintf(err, errlen, "%s: no samples in file", s->path);
		goto fail;
	}
	fclose(f);
	tb_buf_release(&line);
	return s;
fail:
	if (f)
		fclose(f);
	tb_buf_release(&line);
	samples_close(s);
	return NULL;
}

static const task *lookup(const samples *s, const char *id)
{
	const task *t;
	if (!s->cap || !id)
		return NULL;
	t = find_slot(s->tasks, s->cap, id);
	return t->id ? t : NULL;
}

static int samples_check(void *self, const char *const *task_ids, size_t n_tasks, int n_samples,
	char *err, size_t errlen)
{
	samples *s = self;
	size_t n_missing = 0, used = 0;
	char list[400] = "";

	for (size_t i = 0; i < n_tasks; i++) {
		const task *t = lookup(s, task_ids[i]);
		if (t && t->n >= (size_t)n_samples)
			continue;
		if (n_missing < 10 && used + strlen(task_ids[i]) + 16 < sizeof list)
			used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", n_missing ? ", " : "",
				task_ids[i]);
		n_missing++;
	}
	if (!n_missing)
		return 0;
	snprintf(err, errlen, "%s: %zu of %zu tasks have fewer than %d sample%s (missing task ids: %s%s)",
		 s->path, n_missing, n_tasks, n_samples, n_samples == 1 ? "" : "s", list,
		 n_missing > 10 ? ", ..." : "");
	return PROV_EINVAL;
}

static int samples_submit(void *self, const prov_req *rq, prov_done_fn done, void *ud)
{
	samples *s = self;
	const task *t = rq->kind == PROV_REQ_LOGPROBS ? NULL : lookup(s, rq->task_id);
	pending *p;

	if (s->q_len == s->q_cap) {
		size_t nc = s->q_cap ? s->q_cap * 2 : 64;
		pending *nq = malloc(nc * sizeof *nq);
		if (!nq)
			return PROV_ENOMEM;
		for (size_t i = 0; i < s->q_len; i++)
			nq[i] = s->q[(s->q_head + i) % s->q_cap];
		free(s->q);
		s->q = nq;
		s->q_cap = nc;
		s->q_head = 0;
	}
	p = &s->q[(s->q_head + s->q_len) % s->q_cap];
	memset(p, 0, sizeof *p);
	if (prov_req_copy(&p->rq, rq) || !(p->resp = prov_resp_new())) {
		prov_req_release(&p->rq);
		return PROV_ENOMEM;
	}
	p->done = done;
	p->ud = ud;
	p->t0_ms = prov_now_ms();
	p->due_ms = p->t0_ms + s->delay_ms;
	p->resp->attempts = 1;
	if (t && rq->sample >= 0 && (size_t)rq->sample < t->n) {
		p->resp->text = strdup(t->texts[rq->sample]);
		p->resp->finish_reason = strdup("stop");
		if (!p->resp->text || !p->resp->finish_reason) {
			prov_req_release(&p->rq);
			prov_resp_free(p->resp);
			return PROV_ENOMEM;
		}
	} else {
		char msg[256];
		p->resp->err = rq->kind == PROV_REQ_LOGPROBS ? PROV_ERR_CLIENT : PROV_ERR_MISSING;
		if (rq->kind == PROV_REQ_LOGPROBS)
			snprintf(msg, sizeof msg, "%s: stored generations cannot score log-probabilities",
				 s->path);
		else
			snprintf(msg, sizeof msg, "%s: no sample %d for task %s", s->path, rq->sample,
				 rq->task_id ? rq->task_id : "(none)");
		p->resp->err_msg = strdup(msg);
	}
	s->q_len++;
	return 0;
}

static int samples_poll(void *self, int timeout_ms)
{
	samples *s = self;
	int fired = 0;
	double now = prov_now_ms();

	if (s->q_len && timeout_ms > 0 && s->q[s->q_head].due_ms > now) {
		double wait = s->q[s->q_head].due_ms - now;
		struct timespec ts;
		if (wait > timeout_ms)
			wait = timeout_ms;
		ts.tv_sec = (time_t)(wait / 1e3);
		ts.tv_nsec = (long)((wait - ts.tv_sec * 1e3) * 1e6);
		nanosleep(&ts, NULL);
		now = prov_now_ms();
	}
	/* Answers leave in submission order: every request has the same delay. */
	while (s->q_len && s->q[s->q_head].due_ms <= now) {
		pending p = s->q[s->q_head];
		s->q_head = (s->q_head + 1) % s->q_cap;
		s->q_len--;
		p.resp->t_first_token_ms = now - p.t0_ms;
		p.resp->t_done_ms = now - p.t0_ms;
		if (p.resp->err == PROV_ERR_CANCELLED) {
			p.resp->t_first_token_ms = -1;
			p.resp->t_done_ms = -1;
		}
		p.done(p.ud, &p.rq, p.resp);
		prov_req_release(&p.rq);
		fired++;
	}
	return fired;
}

static int samples_in_flight(const void *self)
{
	return (int)((const samples *)self)->q_len;
}

static void samples_cancel_all(void *self)
{
	samples *s = self;
	for (size_t i = 0; i < s->q_len; i++) {
		pending *p = &s->q[(s->q_head + i) % s->q_cap];
		p->due_ms = 0;
		free(p->resp->text);
		p->resp->text = NULL;
		free(p->resp->err_msg);
		p->resp->err_msg = strdup("cancelled");
		p->resp->err = PROV_ERR_CANCELLED;
	}
}

const prov_vtable prov_samples_vtable = {
	.name = "samples",
	.option_keys = opt_keys,
	.summary = "answers from a JSONL file of existing generations ({\"task_id\", \"completion\" | "
		   "\"solution\"}; several lines per task = several samples)",
	.open = samples_open,
	.close = samples_close,
	.check = samples_check,
	.submit = samples_submit,
	.poll = samples_poll,
	.in_flight = samples_in_flight,
	.cancel_all = samples_cancel_all,
	.max_in_flight = 0,
};
