/* reports/json.c — the report as one JSON document with raw numbers (null when unknown):
 * runs, results per target x suite, quantisation groups, tier lists with their rule and the
 * numbers behind each tier, the cost table with break-even volumes (price-only targets marked),
 * and, when given, quality figures and verdicts against a base target. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "reports/report_impl.h"

/* Numbers are rounded to 10 significant digits, so the document does not depend on the last
 * bits of a libm result. */
static void num(cJSON *o, const char *k, double v)
{
	char b[40];
	if (isnan(v) || isinf(v)) {
		cJSON_AddNullToObject(o, k);
		return;
	}
	snprintf(b, sizeof b, "%.10g", v);
	cJSON_AddNumberToObject(o, k, strtod(b, NULL));
}

static void str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static void pair(cJSON *o, const rep_pair *p)
{
	num(o, "delta", p->diff);
	num(o, "p", p->p);
	str(o, "test", strcmp(p->test, "–") ? p->test : NULL);
	cJSON_AddNumberToObject(o, "shared_items", (double)p->n_shared);
	cJSON_AddBoolToObject(o, "significantly_worse", p->worse);
}

static cJSON *results(const rep_set *s)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < s->n_ts; i++) {
		const rep_ts *ts = &s->ts[i];
		const rep_target *tg = &s->targets[ts->target];
		cJSON *o = cJSON_CreateObject(), *m;
		cJSON_AddItemToArray(arr, o);
		str(o, "run", s->runs[tg->run].label);
		str(o, "target", tg->label);
		str(o, "provider", tg->provider);
		str(o, "model", tg->model);
		str(o, "base_model", tg->base);
		str(o, "quant", tg->quant);
		str(o, "suite", ts->suite);
		cJSON_AddNumberToObject(o, "n", (double)ts->n);
		cJSON_AddNumberToObject(o, "errors", (double)ts->n_errors);
		num(o, "accuracy", ts->acc);
		num(o, "ci_lo", ts->lo);
		num(o, "ci_hi", ts->hi);
		num(o, "ttft_p50_ms", ts->ttft_p50);
		num(o, "ttft_p90_ms", ts->ttft_p90);
		num(o, "e2e_p50_ms", ts->lat_p50);
		num(o, "e2e_p90_ms", ts->lat_p90);
		num(o, "out_tok_per_s", ts->out_tps);
		if (ts->n_itl) {
			num(o, "itl_p50_ms", ts->itl_p50);
			num(o, "itl_p90_ms", ts->itl_p90);
			num(o, "itl_p99_ms", ts->itl_p99);
			num(o, "tpot_p50_ms", ts->tpot_p50);
			num(o, "tpot_p90_ms", ts->tpot_p90);
		}
		num(o, "tokens_in", ts->tokens_known ? (double)ts->tin : NAN);
		num(o, "tokens_out", ts->tokens_known ? (double)ts->tout : NAN);
		num(o, "tokens_reasoning", ts->tokens_known ? (double)ts->treason : NAN);
		num(o, "usd_run", ts->run_usd);
		num(o, "usd_per_solved", ts->usd_per_solved);
		m = cJSON_AddObjectToObject(o, "metrics");
		for (int k = 0; m && k < ts->n_metrics; k++)
			num(m, ts->metric[k], ts->metric_n[k] ? ts->metric_sum[k] / (double)ts->metric_n[k] : NAN);
		if (ts->coding) {   /* {"1": pass@1, "10": ..., "100": ...} for k <= samples per item */
			cJSON_AddNumberToObject(o, "samples_per_item", (double)ts->samples_per_item);
			m = cJSON_AddObjectToObject(o, "pass_at_k");
			for (int k = 0; m && k < REP_N_PASS_K; k++)
				if (!isnan(ts->pass_at[k])) {
					char key[8];
					snprintf(key, sizeof key, "%ld", REP_PASS_K(k));
					num(m, key, ts->pass_at[k]);
				}
		}
	}
	return arr;
}

static cJSON *quant(const rep_set *s, const rep_analysis *a)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < a->n_quant; i++) {
		const rep_quant_row *q = &a->quant[i];
		const rep_target *tg = &s->targets[q->ts->target];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, o);
		str(o, "base_model", tg->base);
		str(o, "suite", q->ts->suite);
		str(o, "target", tg->label);
		str(o, "quant", tg->quant);
		num(o, "file_bytes", tg->file_bytes > 0 ? (double)tg->file_bytes : NAN);
		num(o, "bpw", tg->bpw > 0 ? tg->bpw : NAN);
		cJSON_AddBoolToObject(o, "bpw_nominal", tg->bpw_nominal);
		num(o, "accuracy", q->ts->acc);
		str(o, "best_target", s->targets[q->best->target].label);
		pair(o, &q->vs);
	}
	return arr;
}

/* The sweep rows (reports/sweep.c), raw: NULL on ENOMEM, an empty array when there is no sweep. */
static cJSON *sweep(const rep_set *s, const rep_analysis *a)
{
	const rep_sweep_row *r = a->sweep;
	size_t n = a->n_sweep;
	cJSON *arr;
	if (!(arr = cJSON_CreateArray()))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, e);
		str(e, "family", r[i].family);
		str(e, "suite", r[i].ts->suite);
		str(e, "point", r[i].point);
		str(e, "target", s->targets[r[i].ts->target].id);
		num(e, "accuracy", r[i].ts->acc);
		num(e, "ci_low", r[i].ts->lo);
		num(e, "ci_high", r[i].ts->hi);
		num(e, "reasoning_tokens_per_item", r[i].reasoning_per_item);
		num(e, "answer_tokens_per_item", r[i].answer_per_item);
		num(e, "usd_per_item", r[i].usd_per_item);
		num(e, "latency_p50_ms", r[i].ts->lat_p50);
		num(e, "latency_p90_ms", r[i].ts->lat_p90);
		num(e, "budget_out", r[i].budget_out);
		cJSON_AddBoolToObject(e, "pareto_cost", r[i].pareto_cost);
		cJSON_AddBoolToObject(e, "pareto_latency", r[i].pareto_latency);
		if (r[i].prev) {
			cJSON *v = cJSON_AddObjectToObject(e, "vs_cheaper");
			str(v, "target", s->targets[r[i].prev->target].id);
			pair(v, &r[i].vs_prev);
			num(v, "usd_per_extra_solved", r[i].usd_per_extra);
		}
	}
	return arr;
}

/* The load levels (reports/serving.c), raw. */
static cJSON *load(const rep_set *s, const rep_analysis *a)
{
	static const char *const qn[3] = { "p50", "p90", "p99" };
	const rep_load_row *r = a->load;
	size_t n = a->n_load;
	cJSON *arr;
	if (!(arr = cJSON_CreateArray()))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		cJSON *e = cJSON_CreateObject(), *q;
		const double *f[4] = { r[i].ttft_ms, r[i].tpot_ms, r[i].itl_ms, r[i].e2e_ms };
		static const char *const fn[4] = { "ttft_ms", "tpot_ms", "itl_ms", "e2e_ms" };
		cJSON_AddItemToArray(arr, e);
		str(e, "target", s->targets[r[i].ts->target].id);
		str(e, "level", r[i].ts->suite);
		num(e, r[i].closed ? "concurrency" : "rate", r[i].offered);
		cJSON_AddNumberToObject(e, "requests", (double)(r[i].ts->n + r[i].ts->n_errors));
		cJSON_AddNumberToObject(e, "errors", (double)r[i].ts->n_errors);
		num(e, "wall_s", r[i].wall_s);
		num(e, "req_per_s", r[i].req_per_s);
		num(e, "tok_per_s", r[i].tok_per_s);
		num(e, "good_share", r[i].good_share);
		num(e, "good_per_s", r[i].good_per_s);
		for (int k = 0; k < 4; k++) {
			q = cJSON_AddObjectToObject(e, fn[k]);
			for (int j = 0; j < 3; j++)
				num(q, qn[j], f[k][j]);
		}
		cJSON_AddBoolToObject(e, "knee", r[i].knee);
		cJSON_AddBoolToObject(e, "max_meeting_slo", r[i].max_meeting_slo);
	}
	return arr;
}

static cJSON *tiers(const rep_set *s, const rep_analysis *a, const char *rule)
{
	cJSON *o = cJSON_CreateObject(), *su = cJSON_AddObjectToObject(o, "suites");
	cJSON_AddStringToObject(o, "rule", rule);
	for (size_t k = 0; su && k <= a->n_suites; k++) {
		const rep_tier_list *l = &a->tiers[k];
		cJSON *arr = cJSON_CreateArray();
		if (l->suite)
			cJSON_AddItemToObject(su, l->suite, arr);
		else
			cJSON_AddItemToObject(o, "overall", arr);
		for (size_t i = 0; arr && i < l->n; i++) {
			const rep_tier_row *r = &l->rows[i];
			cJSON *e = cJSON_CreateObject();
			cJSON_AddItemToArray(arr, e);
			str(e, "tier", rep_tier_name(r->tier));
			str(e, "target", s->targets[r->target].label);
			num(e, "score", r->score);
			num(e, "ci_lo", r->lo);
			num(e, "ci_hi", r->hi);
			str(e, "leader", s->targets[r->leader].label);
			pair(e, &r->vs);
		}
	}
	return o;
}

static cJSON *cost(const rep_set *s, const rep_analysis *a, const rep_opts *o)
{
	cJSON *c = cJSON_CreateObject(), *arr, *be;
	num(c, "blend_in", o->blend_in);
	num(c, "blend_out", o->blend_out);
	num(c, "volume_mtok_month", o->volume_mtok_month);
	arr = cJSON_AddArrayToObject(c, "targets");
	be = cJSON_AddArrayToObject(c, "break_even");
	for (size_t i = 0; arr && i < a->n_cost; i++) {
		const rep_cost_row *r = &a->cost[i];
		const rep_target *tg = &s->targets[r->target];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, e);
		str(e, "target", tg->label);
		str(e, "kind", tg->selfhost ? "self-hosted" : "api");
		if (tg->price_only) {     /* list prices only: no samples, nothing measured */
			cJSON_AddBoolToObject(e, "price_only", 1);
			str(e, "as_of", tg->as_of);
		}
		num(e, "usd_per_mtok_in", r->in_mtok);
		num(e, "usd_per_mtok_out", r->out_mtok);
		num(e, "usd_per_mtok_blended", r->blended_mtok);
		num(e, "tok_per_s", r->tok_per_s);
		num(e, "usd_per_hour", tg->selfhost && tg->usd_per_hour > 0 ? tg->usd_per_hour : NAN);
		num(e, "usd_per_month_per_machine", r->usd_per_month_fixed);
		num(e, "capacity_mtok_month", r->capacity_mtok_month);
		num(e, "usd_per_month", r->monthly_usd);
		num(e, "usd_run", r->run_usd);
		cJSON_AddNumberToObject(e, "concurrency", tg->concurrency);
	}
	for (size_t i = 0; be && i < a->n_cost; i++)
		for (size_t j = 0; j < a->n_cost; j++) {
			double v = a->break_even[i * a->n_cost + j];
			cJSON *e;
			if (!s->targets[a->cost[i].target].selfhost || s->targets[a->cost[j].target].selfhost)
				continue;
			e = cJSON_CreateObject();
			cJSON_AddItemToArray(be, e);
			str(e, "self_hosted", s->targets[a->cost[i].target].label);
			str(e, "api", s->targets[a->cost[j].target].label);
			if (isinf(v))
				cJSON_AddStringToObject(e, "mtok_month", "never");
			else
				num(e, "mtok_month", v);
		}
	return c;
}

/* Quality figures of the targets that have them (rep_quality_analyse). */
static cJSON *quality(const rep_set *s, const rep_analysis *a)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < s->n_targets; i++) {
		const rep_target *tg = &s->targets[i];
		const rep_quality *q = &a->quality[i];
		cJSON *e;
		if (!a->has_quality[i])
			continue;
		e = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, e);
		str(e, "target", tg->label);
		str(e, "quant", tg->quant);
		num(e, "ppl", q->ppl);
		num(e, "ppl_err", q->ppl_err);
		cJSON_AddNumberToObject(e, "n_tokens", (double)q->n_tokens);
		cJSON_AddBoolToObject(e, "baseline", !q->has_baseline);
		num(e, "kld_mean", q->has_baseline ? q->kld_mean : NAN);
		num(e, "kld_median", q->has_baseline ? q->kld_median : NAN);
		num(e, "kld_p99", q->has_baseline ? q->kld_p99 : NAN);
		num(e, "same_top", q->has_baseline ? q->same_top : NAN);
		num(e, "rms_dp", q->has_baseline ? q->rms_dp : NAN);
	}
	return arr;
}

/* The verdict table's rows (o->verdict_base), as the document lays them out. */
static cJSON *verdicts(const rep_doc *d)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < d->n_tables; i++) {
		const rep_table *t = &d->tables[i];
		if (strcmp(t->id, "verdicts") != 0)
			continue;
		for (size_t r = 0; r < t->n_rows; r++) {
			const char *const *c = (const char *const *)t->cells + r * t->n_cols;
			cJSON *e = cJSON_CreateObject();
			cJSON_AddItemToArray(arr, e);
			str(e, "target", c[0]);
			str(e, "suite", c[1]);
			str(e, "verdict", c[t->n_cols - 1]);
		}
	}
	return arr;
}

/* The decision summary's facts: per suite the leader and the cheapest target not significantly
 * worse, each quantisation's verdicts, the cost winner, and the summary's lines. */
static cJSON *decision(const rep_set *s, const rep_analysis *a, const rep_doc *d,
	const rep_opts *o)
{
	cJSON *r = cJSON_CreateObject(), *su = cJSON_AddArrayToObject(r, "suites"), *q, *lines;
	for (size_t k = 0; su && k < d->n_decision; k++) {
		const rep_decision_suite *ds = &d->decision[k];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddItemToArray(su, e);
		str(e, "suite", ds->suite);
		str(e, "leader", ds->leader == (size_t)-1 ? NULL : s->targets[ds->leader].label);
		str(e, "cheapest_not_significantly_worse", ds->cheapest == (size_t)-1 ? NULL :
			s->targets[ds->cheapest].label);
		num(e, "cheapest_monthly_usd", ds->cheapest == (size_t)-1 ? NAN :
			a->cost[ds->cheapest].monthly_usd);
	}
	q = cJSON_AddArrayToObject(r, "quantisations");
	for (size_t i = 0; q && i < a->n_quant; i++) {
		const rep_quant_row *qr = &a->quant[i];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddItemToArray(q, e);
		str(e, "target", s->targets[qr->ts->target].label);
		str(e, "quant", s->targets[qr->ts->target].quant);
		str(e, "suite", qr->ts->suite);
		str(e, "against", s->targets[qr->best->target].quant);
		num(e, "delta_pts", 100 * (qr->vs.n_shared ? qr->vs.diff : qr->ts->acc - qr->best->acc));
		num(e, "n", qr->ts == qr->best ? NAN : (double)(qr->vs.n_shared ? qr->vs.n_shared :
			(size_t)qr->ts->n));
		num(e, "p", qr->vs.p);
		str(e, "verdict", qr->ts == qr->best ? "best" : qr->vs.worse ? "significantly worse" :
			qr->vs.p < o->alpha ? "significantly better" : "not significant");
	}
	num(r, "volume_mtok_month", o->volume_mtok_month);
	str(r, "cost_winner", d->cost_winner == (size_t)-1 ? NULL : s->targets[d->cost_winner].label);
	num(r, "cost_winner_monthly_usd", d->cost_winner == (size_t)-1 ? NAN :
		a->cost[d->cost_winner].monthly_usd);
	lines = cJSON_AddArrayToObject(r, "lines");
	for (size_t i = 0; lines && i < d->n_summary; i++)
		cJSON_AddItemToArray(lines, cJSON_CreateString(d->summary[i]));
	return r;
}

int rep_write_json(FILE *f, const rep_set *s, const rep_opts *o, char *err, size_t errlen)
{
	rep_opts def;
	rep_analysis a;
	rep_doc d;
	cJSON *root, *runs;
	char *text;
	int rc;
	if (!o) {
		rep_opts_default(&def);
		o = &def;
	}
	if ((rc = rep_prepare(s, o, &a, &d, err, errlen)))
		return rc;
	root = cJSON_CreateObject();
	runs = cJSON_AddArrayToObject(root, "runs");
	for (size_t i = 0; runs && i < s->n_runs; i++) {
		const rep_run *r = &s->runs[i];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddItemToArray(runs, e);
		str(e, "label", r->label);
		str(e, "name", r->name);
		str(e, "status", r->status);
		str(e, "started", r->started);
		str(e, "finished", r->finished);
		str(e, "build", r->build);
		str(e, "hardware", r->hw_line);
	}
	cJSON_AddItemToObject(root, "decision", decision(s, &a, &d, o));
	cJSON_AddItemToObject(root, "results", results(s));
	cJSON_AddItemToObject(root, "quantisations", quant(s, &a));
	{
		/* only when the runs hold a sweep / load levels: other documents keep their form */
		cJSON *sw = sweep(s, &a), *ld = load(s, &a);
		if (cJSON_GetArraySize(sw) > 0)
			cJSON_AddItemToObject(root, "sweep", sw);
		else
			cJSON_Delete(sw);
		if (cJSON_GetArraySize(ld) > 0)
			cJSON_AddItemToObject(root, "load", ld);
		else
			cJSON_Delete(ld);
	}
	cJSON_AddItemToObject(root, "tiers", tiers(s, &a, d.tier_rule));
	cJSON_AddItemToObject(root, "cost", cost(s, &a, o));
	{
		cJSON *q = a.n_quality ? quality(s, &a) : cJSON_CreateArray();
		if (cJSON_GetArraySize(q))
			cJSON_AddItemToObject(root, "quality", q);
		else
			cJSON_Delete(q);
	}
	if (o->verdict_base)
		cJSON_AddItemToObject(root, "verdicts", verdicts(&d));
	text = cJSON_Print(root);
	cJSON_Delete(root);
	rep_doc_release(&d);
	rep_analysis_release(&a);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		return REP_ENOMEM;
	}
	fputs(text, f);
	fputc('\n', f);
	free(text);
	if (ferror(f)) {
		snprintf(err, errlen, "write error");
		return REP_EIO;
	}
	return 0;
}
