/* reports/csv.c — the report as one CSV table (RFC 4180 quoting): a row per target x suite with
 * the raw figures, its tier in that suite and overall, the quantisation delta against the base
 * model's best, the target's cost figures, pass@1 / 10 / 100 of coding suites and the cost kind;
 * then a row per price-only target (list prices, no samples). Unknown values are empty fields. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reports/report_impl.h"

static void csv_str(FILE *f, const char *s, int last)
{
	if (s && strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else if (s) {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void csv_num(FILE *f, double v)
{
	if (!isnan(v) && !isinf(v))
		fprintf(f, "%.6g", v);
	else if (isinf(v))
		fputs("inf", f);
	fputc(',', f);
}

static void csv_int(FILE *f, int64_t v, int known)
{
	if (known)
		fprintf(f, "%lld", (long long)v);
	fputc(',', f);
}

static const rep_tier_row *find_tier(const rep_tier_list *l, size_t target)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->rows[i].target == target)
			return &l->rows[i];
	return NULL;
}

int rep_write_csv(FILE *f, const rep_set *s, const rep_opts *o, char *err, size_t errlen)
{
	rep_analysis a;
	rep_doc d;
	int rc = rep_prepare(s, o, &a, &d, err, errlen);
	if (rc)
		return rc;
	fputs("run,target,provider,model,base_model,quant,suite,n,errors,accuracy,ci_lo,ci_hi,"
	      "ttft_p50_ms,ttft_p90_ms,e2e_p50_ms,e2e_p90_ms,out_tok_per_s,tokens_in,tokens_out,"
	      "tokens_reasoning,usd_run,usd_per_solved,tier,tier_overall,file_bytes,bpw,"
	      "delta_vs_best,delta_p,delta_significant,usd_per_mtok_in,usd_per_mtok_out,"
	      "usd_per_mtok_blended,usd_per_month,pass_at_1,pass_at_10,pass_at_100,kind\n", f);
	for (size_t i = 0; i < s->n_ts; i++) {
		const rep_ts *ts = &s->ts[i];
		const rep_target *tg = &s->targets[ts->target];
		const rep_tier_row *tr = NULL, *ov = find_tier(&a.tiers[a.n_suites], ts->target);
		const rep_quant_row *q = NULL;
		const rep_cost_row *c = &a.cost[ts->target];
		for (size_t k = 0; k < a.n_suites; k++)
			if (strcmp(a.suites[k], ts->suite) == 0)
				tr = find_tier(&a.tiers[k], ts->target);
		for (size_t k = 0; k < a.n_quant; k++)
			if (a.quant[k].ts == ts)
				q = &a.quant[k];
		csv_str(f, s->runs[tg->run].label, 0);
		csv_str(f, tg->label, 0);
		csv_str(f, tg->provider, 0);
		csv_str(f, tg->model, 0);
		csv_str(f, tg->base, 0);
		csv_str(f, tg->quant, 0);
		csv_str(f, ts->suite, 0);
		csv_int(f, ts->n, 1);
		csv_int(f, ts->n_errors, 1);
		csv_num(f, ts->acc);
		csv_num(f, ts->lo);
		csv_num(f, ts->hi);
		csv_num(f, ts->ttft_p50);
		csv_num(f, ts->ttft_p90);
		csv_num(f, ts->lat_p50);
		csv_num(f, ts->lat_p90);
		csv_num(f, ts->out_tps);
		csv_int(f, ts->tin, ts->tokens_known);
		csv_int(f, ts->tout, ts->tokens_known);
		csv_int(f, ts->treason, ts->tokens_known);
		csv_num(f, ts->run_usd);
		csv_num(f, ts->usd_per_solved);
		csv_str(f, tr ? rep_tier_name(tr->tier) : NULL, 0);
		csv_str(f, ov ? rep_tier_name(ov->tier) : NULL, 0);
		csv_int(f, tg->file_bytes, tg->file_bytes > 0);
		csv_num(f, tg->bpw > 0 ? tg->bpw : NAN);
		csv_num(f, q ? ts->acc - q->best->acc : NAN);
		csv_num(f, q ? q->vs.p : NAN);
		csv_str(f, !q || q->ts == q->best ? NULL : q->vs.worse ? "worse" :
			q->vs.p < (o ? o->alpha : 0.05) ? "better" : "no", 0);
		csv_num(f, c->in_mtok);
		csv_num(f, c->out_mtok);
		csv_num(f, c->blended_mtok);
		csv_num(f, c->monthly_usd);
		/* coding suites, for k <= samples per item; empty otherwise */
		for (int k = 0; k < REP_N_PASS_K; k++) {
			if (!isnan(ts->pass_at[k]))
				fprintf(f, "%.6g", ts->pass_at[k]);
			fputc(',', f);
		}
		csv_str(f, tg->selfhost ? "self-hosted" : "api", 1);
	}
	/* Price-only targets: no samples, so only their identity and list prices. */
	for (size_t t = 0; t < s->n_targets; t++) {
		const rep_target *tg = &s->targets[t];
		const rep_cost_row *c = &a.cost[t];
		if (!tg->price_only)
			continue;
		csv_str(f, NULL, 0);
		csv_str(f, tg->label, 0);
		csv_str(f, tg->provider, 0);
		csv_str(f, tg->model, 0);
		csv_str(f, tg->base, 0);
		for (int k = 0; k < 24; k++)      /* quant .. delta_significant */
			csv_str(f, NULL, 0);
		csv_num(f, c->in_mtok);
		csv_num(f, c->out_mtok);
		csv_num(f, c->blended_mtok);
		csv_num(f, c->monthly_usd);
		for (int k = 0; k < REP_N_PASS_K; k++)
			csv_str(f, NULL, 0);
		csv_str(f, "price only, not measured", 1);
	}
	rep_doc_release(&d);
	rep_analysis_release(&a);
	if (ferror(f)) {
		snprintf(err, errlen, "write error");
		return REP_EIO;
	}
	return 0;
}
