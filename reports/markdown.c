/* reports/markdown.c — the Markdown summary report: run facts, then one table row per
 * target x suite x metric with accuracy and its 95 % interval, latency, tokens and cost.
 * Unknown values print as an en dash so a missing figure is never mistaken for zero. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reports/report.h"

/* Writes s with Markdown table metacharacters escaped. */
static void cell(FILE *f, const char *s)
{
	if (!s || !*s) {
		fputs("–", f);
		return;
	}
	for (; *s; s++) {
		if (*s == '|' || *s == '\\' || *s == '*' || *s == '_' || *s == '`')
			fputc('\\', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
}

/* A non-negative figure with `decimals` digits after the point, or a dash when unknown. */
static void num(FILE *f, double v, int decimals)
{
	if (isnan(v) || v < 0)
		fputs("–", f);
	else
		fprintf(f, "%.*f", decimals, v);
}

int rep_write_markdown(FILE *f, const rep_meta *m, const rep_row *rows, size_t n)
{
	fprintf(f, "# tierbench report");
	if (m && m->title) {
		fputs(": ", f);
		cell(f, m->title);
	}
	fputs("\n\n", f);
	if (m) {
		if (m->status)
			fprintf(f, "- status: %s\n", m->status);
		if (m->started)
			fprintf(f, "- started: %s%s%s\n", m->started, m->finished ? ", finished: " : "",
				m->finished ? m->finished : "");
		if (m->build)
			fprintf(f, "- build: %s\n", m->build);
		if (m->hardware)
			fprintf(f, "- hardware: %s\n", m->hardware);
		fputs("\n", f);
	}
	if (!n) {
		fputs("No samples stored yet.\n", f);
		return ferror(f) ? REP_EIO : 0;
	}
	fputs("| target | quant | suite | metric | accuracy | 95 % CI | n | errors | TTFT p50 ms | "
	      "TTFT p90 ms | latency p50 ms | latency p90 ms | out tok/s | tokens in | tokens out | "
	      "reasoning | cost $ | $ / solved |\n", f);
	fputs("|---|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n", f);
	for (size_t i = 0; i < n; i++) {
		const rep_row *r = &rows[i];
		fputs("| ", f);
		cell(f, r->target);
		fputs(" | ", f);
		cell(f, r->quant);
		fputs(" | ", f);
		cell(f, r->suite);
		fputs(" | ", f);
		cell(f, r->metric);
		fputs(" | ", f);
		if (isnan(r->accuracy))
			fputs("–", f);
		else
			fprintf(f, "%.1f %%", 100 * r->accuracy);
		fputs(" | ", f);
		if (isnan(r->accuracy) || r->n == 0)
			fputs("–", f);
		else
			fprintf(f, "%.1f–%.1f", 100 * r->ci_lo, 100 * r->ci_hi);
		fprintf(f, " | %ld | %ld | ", r->n, r->n_errors);
		num(f, r->ttft_p50_ms, 1);
		fputs(" | ", f);
		num(f, r->ttft_p90_ms, 1);
		fputs(" | ", f);
		num(f, r->latency_p50_ms, 1);
		fputs(" | ", f);
		num(f, r->latency_p90_ms, 1);
		fputs(" | ", f);
		num(f, r->out_tok_per_s, 1);
		fprintf(f, " | %lld | %lld | %lld | ", (long long)r->n_tokens_in, (long long)r->n_tokens_out,
			(long long)r->n_tokens_reasoning);
		num(f, r->cost_usd, 4);
		fputs(" | ", f);
		num(f, r->usd_per_solved, 4);
		fputs(" |\n", f);
	}
	fputs("\naccuracy: mean score over scored samples; 95 % CI: Wilson score interval; errors: samples "
	      "that failed and were not scored (they are not counted in n).\n", f);
	return ferror(f) ? REP_EIO : 0;
}

const char *rep_strerror(int code)
{
	switch (code) {
	case REP_OK: return "ok";
	case REP_EINVAL: return "invalid argument";
	case REP_EIO: return "write error";
	default: return "unknown report error";
	}
}
