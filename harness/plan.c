/* harness/plan.c — the plan stage: which requests a run makes (targets x suites x items x
 * samples of this shard, less what the store holds), how many each target keeps in flight, when
 * a target that computes on this machine may start, and the generation settings of a request.
 * Pure functions of their arguments, so tests/harness/test_plan.c checks them without providers,
 * suites or a store. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/plan.h"

/* ------------------------------------------------------------ finished samples */

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* "target US suite US item US sample": the unit separator cannot occur in ids read from JSON
 * without being written there on purpose, and then only two ids of one run could collide. */
static char *make_key(const char *t, const char *s, const char *item, int sample)
{
	size_t n = strlen(t) + strlen(s) + strlen(item) + 32;
	char *k = malloc(n);
	if (k)
		snprintf(k, n, "%s\x1f%s\x1f%s\x1f%d", t, s, item, sample);
	return k;
}

static int done_grow(hx_plan_done *d)
{
	size_t nc = d->cap ? d->cap * 2 : 1024;
	char **nk = calloc(nc, sizeof *nk);
	if (!nk)
		return HX_ENOMEM;
	for (size_t i = 0; i < d->cap; i++)
		if (d->keys[i]) {
			size_t j = fnv(d->keys[i]) & (nc - 1);
			while (nk[j])
				j = (j + 1) & (nc - 1);
			nk[j] = d->keys[i];
		}
	free(d->keys);
	d->keys = nk;
	d->cap = nc;
	return 0;
}

static int done_has_key(const hx_plan_done *d, const char *k)
{
	if (!d || !d->cap)
		return 0;
	for (size_t j = fnv(k) & (d->cap - 1); d->keys[j]; j = (j + 1) & (d->cap - 1))
		if (strcmp(d->keys[j], k) == 0)
			return 1;
	return 0;
}

int hx_plan_done_add(hx_plan_done *d, const char *target, const char *suite, const char *item,
	int sample)
{
	char *k = make_key(target, suite, item, sample);
	if (!k)
		return HX_ENOMEM;
	if (done_has_key(d, k)) {
		free(k);
		return 0;
	}
	if ((d->n + 1) * 2 > d->cap && done_grow(d)) {
		free(k);
		return HX_ENOMEM;
	}
	for (size_t j = fnv(k) & (d->cap - 1);; j = (j + 1) & (d->cap - 1))
		if (!d->keys[j]) {
			d->keys[j] = k;
			d->n++;
			return 0;
		}
}

int hx_plan_done_has(const hx_plan_done *d, const char *target, const char *suite,
	const char *item, int sample)
{
	char *k;
	int has;
	if (!d || !d->n)
		return 0;
	if (!(k = make_key(target, suite, item, sample)))
		return 0;
	has = done_has_key(d, k);
	free(k);
	return has;
}

void hx_plan_done_release(hx_plan_done *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->cap; i++)
		free(d->keys[i]);
	free(d->keys);
	memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------------ the plan */

int hx_plan_build(const hx_plan_in *in, hx_plan *out, char *err, size_t errlen)
{
	const hx_spec *spec = in->spec;
	size_t n_suites = spec->n_suites;
	int shards = in->shard_count > 1 ? in->shard_count : 1;

	memset(out, 0, sizeof *out);
	if (shards > 1 && (in->shard_index < 0 || in->shard_index >= shards)) {
		snprintf(err, errlen, "shard %d/%d: the index must be 0..%d", in->shard_index, shards,
			shards - 1);
		return HX_EINVAL;
	}
	if (!(out->targets = calloc(spec->n_targets ? spec->n_targets : 1, sizeof *out->targets)))
		goto nomem;
	out->n_targets = spec->n_targets;
	for (size_t t = 0, deal = 0; t < spec->n_targets; t++) {
		const hx_target_spec *ts = &spec->targets[t];
		hx_plan_target *pt = &out->targets[t];
		size_t cap = 0;
		int cap_prov = in->provider_max ? in->provider_max[t] : 0;

		pt->limit = ts->max_in_flight > 0 ? ts->max_in_flight : spec->concurrency;
		if (cap_prov > 0 && cap_prov < pt->limit)
			pt->limit = cap_prov;
		if (pt->limit < 1)
			pt->limit = 1;
		pt->exclusive = in->exclusive ? in->exclusive[t] != 0 : 0;
		for (size_t i = 0; i < n_suites; i++)
			cap += in->items[t * n_suites + i].n * (size_t)spec->suites[i].samples;
		if (!(pt->jobs = malloc((cap ? cap : 1) * sizeof *pt->jobs)))
			goto nomem;
		for (size_t i = 0; i < n_suites; i++) {
			const hx_plan_items *it = &in->items[t * n_suites + i];
			/* Dealt like cards: the first item of each (target, suite) goes to the shard after
			 * the last item of the one before, so every shard gets a like mix of targets and
			 * suites however few items each has, and the owner of an item depends only on the
			 * spec's items and N. */
			size_t first = deal;
			deal += it->n;
			for (size_t k = 0; k < it->n; k++) {
				if (shards > 1 && (int)((first + k) % (size_t)shards) != in->shard_index)
					continue;
				for (int smp = 0; smp < spec->suites[i].samples; smp++) {
					out->n_planned++;
					if (in->done && in->done->n) {
						char *key = make_key(ts->id, spec->suites[i].name, it->ids[k], smp);
						int has;
						if (!key)
							goto nomem;
						has = done_has_key(in->done, key);
						free(key);
						if (has) {
							out->n_skipped++;
							continue;
						}
					}
					pt->jobs[pt->n_jobs++] = (hx_plan_job){ (uint32_t)t, (uint32_t)i,
						(uint32_t)k, smp };
				}
			}
		}
		out->n_jobs += (long)pt->n_jobs;
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return HX_ENOMEM;
}

void hx_plan_release(hx_plan *p)
{
	if (!p)
		return;
	for (size_t t = 0; t < p->n_targets; t++)
		free(p->targets[t].jobs);
	free(p->targets);
	memset(p, 0, sizeof *p);
}

int hx_plan_may_send(const hx_plan *p, const hx_plan_pos *pos, size_t t)
{
	const hx_plan_target *pt = &p->targets[t];
	if (pos[t].next >= pt->n_jobs || pos[t].in_flight >= pt->limit)
		return 0;
	if (!pt->exclusive)
		return 1;
	for (size_t u = 0; u < t; u++)
		if (p->targets[u].exclusive &&
		    (pos[u].in_flight > 0 || pos[u].next < p->targets[u].n_jobs))
			return 0;
	return 1;
}

int hx_plan_request(const hx_gen_spec *gen, int sample, prov_req *rq)
{
	rq->max_tokens = gen->max_tokens;
	rq->temperature = gen->temperature;
	rq->top_p = gen->top_p;
	rq->seed = gen->seed >= 0 ? gen->seed + sample : -1;
	if (gen->n_stop) {
		/* The spec's stop strings replace the suite's. */
		for (size_t k = 0; k < rq->n_stop; k++)
			free(rq->stop[k]);
		free(rq->stop);
		rq->n_stop = 0;
		if (!(rq->stop = calloc(gen->n_stop, sizeof *rq->stop)))
			goto nomem;
		for (size_t k = 0; k < gen->n_stop; k++) {
			if (!(rq->stop[k] = strdup(gen->stop[k])))
				goto nomem;
			rq->n_stop++;
		}
	}
	return 0;
nomem:
	prov_req_release(rq);
	return HX_ENOMEM;
}

/* ------------------------------------------------------------ shards */

int hx_plan_target_options(const char *options_json, int shard_count, char **out, char *err,
	size_t errlen)
{
	cJSON *o, *mode;
	int divide = 1;

	*out = NULL;
	if (!options_json)
		return 0;
	if (!(o = cJSON_Parse(options_json)) || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		snprintf(err, errlen, "options: not a JSON object");
		return HX_EINVAL;
	}
	if ((mode = cJSON_GetObjectItemCaseSensitive(o, "shard_limits"))) {
		if (cJSON_IsString(mode) && strcmp(mode->valuestring, "each") == 0) {
			divide = 0;
		} else if (!cJSON_IsString(mode) || strcmp(mode->valuestring, "divide") != 0) {
			cJSON_Delete(o);
			snprintf(err, errlen, "options.shard_limits: expected \"divide\" (rpm and tpm are "
				 "the whole run's, split between the shards) or \"each\" (every shard's own)");
			return HX_EINVAL;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(o, "shard_limits");
	}
	if (divide && shard_count > 1) {
		static const char *const keys[] = { "rpm", "tpm" };
		for (size_t i = 0; i < 2; i++) {
			cJSON *v = cJSON_GetObjectItemCaseSensitive(o, keys[i]);
			if (cJSON_IsNumber(v))
				cJSON_SetNumberValue(v, v->valuedouble / shard_count);
		}
	}
	*out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!*out) {
		snprintf(err, errlen, "out of memory");
		return HX_ENOMEM;
	}
	return 0;
}

void hx_shard_env_get(hx_shard_env *e)
{
	e->slurm_id = getenv("SLURM_ARRAY_TASK_ID");
	e->slurm_min = getenv("SLURM_ARRAY_TASK_MIN");
	e->slurm_max = getenv("SLURM_ARRAY_TASK_MAX");
	e->slurm_step = getenv("SLURM_ARRAY_TASK_STEP");
	e->slurm_count = getenv("SLURM_ARRAY_TASK_COUNT");
	e->k8s_index = getenv("JOB_COMPLETION_INDEX");
	e->tb_shards = getenv("TB_SHARDS");
}

/* A whole number lo..hi in a variable's text; -1 with one line in err otherwise. */
static int env_int(const char *name, const char *v, long lo, long hi, long *out, char *err,
	size_t errlen)
{
	char *end;
	long x;
	errno = 0;
	x = v ? strtol(v, &end, 10) : 0;
	if (!v || errno || end == v || *end || x < lo || x > hi) {
		char shown[40];
		snprintf(shown, sizeof shown, "%s", v ? v : "");
		hx_escape_ctl(shown, sizeof shown);
		snprintf(err, errlen, "%s=\"%s\": expected a whole number %ld..%ld", name, shown, lo, hi);
		return -1;
	}
	*out = x;
	return 0;
}

int hx_shard_from_env(const hx_shard_env *e, int *index, int *count, char *err, size_t errlen)
{
	const long max_n = 100000;
	long id, min = 0, max, step = 1, n;

	*index = 0;
	*count = 1;
	if (e->slurm_id && *e->slurm_id) {
		if (env_int("SLURM_ARRAY_TASK_ID", e->slurm_id, 0, 1L << 30, &id, err, errlen))
			return HX_EINVAL;
		if (!e->slurm_count) {
			snprintf(err, errlen, "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is "
				 "not: give the shard with --shard I/N");
			return HX_EINVAL;
		}
		if (env_int("SLURM_ARRAY_TASK_COUNT", e->slurm_count, 1, max_n, &n, err, errlen) ||
		    (e->slurm_min && env_int("SLURM_ARRAY_TASK_MIN", e->slurm_min, 0, 1L << 30, &min,
			     err, errlen)))
			return HX_EINVAL;
		if (e->slurm_step && *e->slurm_step) {
			if (env_int("SLURM_ARRAY_TASK_STEP", e->slurm_step, 1, 1L << 30, &step, err, errlen))
				return HX_EINVAL;
		} else if (e->slurm_max && n > 1) {
			/* no step given: --array=MIN-MAX:STEP has MAX - MIN = STEP x (COUNT - 1) */
			if (env_int("SLURM_ARRAY_TASK_MAX", e->slurm_max, min, 1L << 30, &max, err, errlen))
				return HX_EINVAL;
			if ((max - min) % (n - 1) == 0 && max > min)
				step = (max - min) / (n - 1);
		}
		if (id < min || (id - min) % step != 0 || (id - min) / step >= n) {
			snprintf(err, errlen, "SLURM_ARRAY_TASK_ID=%ld is outside the array (first %ld, step "
				 "%ld, %ld tasks): use --array=0-%ld, or give --shard I/N", id, min, step, n,
				 n - 1);
			return HX_EINVAL;
		}
		*index = (int)((id - min) / step);
		*count = (int)n;
		return 0;
	}
	if (e->k8s_index && *e->k8s_index) {
		if (env_int("JOB_COMPLETION_INDEX", e->k8s_index, 0, 1L << 30, &id, err, errlen))
			return HX_EINVAL;
		if (!e->tb_shards || !*e->tb_shards) {
			snprintf(err, errlen, "JOB_COMPLETION_INDEX is set but TB_SHARDS is not: set TB_SHARDS "
				 "to the Indexed Job's completions (a pod is not told them)");
			return HX_EINVAL;
		}
		if (env_int("TB_SHARDS", e->tb_shards, 1, max_n, &n, err, errlen))
			return HX_EINVAL;
		if (id >= n) {
			snprintf(err, errlen, "JOB_COMPLETION_INDEX=%ld is outside TB_SHARDS=%ld (0..%ld)", id,
				 n, n - 1);
			return HX_EINVAL;
		}
		*index = (int)id;
		*count = (int)n;
	}
	return 0;
}
