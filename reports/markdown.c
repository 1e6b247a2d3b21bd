/* reports/markdown.c — the report as Markdown: run facts, then every table of the document
 * (results, quantisations, tier list with its rule, cost, break-even, hardware) with its note.
 * Unknown figures print as an en dash so a missing figure is never mistaken for zero. */
#include <stdio.h>
#include <string.h>

#include "reports/report_impl.h"

/* Writes s with Markdown table metacharacters escaped. */
static void md_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (strchr("|\\*_`<>[]", *s))
			fputc('\\', f);
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	}
}

static void md_table(FILE *f, const rep_table *t)
{
	fputs("## ", f);
	md_text(f, t->title);
	fputs("\n\n", f);
	if (!t->n_rows) {
		fputs("Nothing to show.\n\n", f);
		return;
	}
	for (size_t c = 0; c < t->n_cols; c++) {
		fputs("| ", f);
		md_text(f, t->cols[c]);
		fputc(' ', f);
	}
	fputs("|\n", f);
	for (size_t c = 0; c < t->n_cols; c++)
		fputs(t->align[c] == 'r' ? "|---:" : "|---", f);
	fputs("|\n", f);
	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t c = 0; c < t->n_cols; c++) {
			fputs("| ", f);
			md_text(f, t->cells[r * t->n_cols + c]);
			fputc(' ', f);
		}
		fputs("|\n", f);
	}
	if (t->note) {
		fputc('\n', f);
		md_text(f, t->note);
		fputc('\n', f);
	}
	fputc('\n', f);
}

/* A bullet list of lines, then a blank line. */
static void md_list(FILE *f, char *const *lines, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fputs("- ", f);
		md_text(f, lines[i]);
		fputc('\n', f);
	}
	fputc('\n', f);
}

int rep_write_markdown(FILE *f, const rep_set *s, const rep_opts *o, char *err, size_t errlen)
{
	rep_analysis a;
	rep_doc d;
	int rc = rep_prepare(s, o, &a, &d, err, errlen);
	if (rc)
		return rc;
	fputs("# tierbench report\n\n", f);
	md_list(f, d.facts, d.n_facts);
	fputs("## Decision summary\n\n", f);
	md_list(f, d.summary, d.n_summary);
	if (o && o->charts_dir && rep_chart_exists(o->charts_dir, "accuracy_cost"))
		fputs("![Accuracy against cost](charts/accuracy_cost.svg)\n\n", f);
	for (size_t i = 0; i < d.n_tables; i++) {
		md_table(f, &d.tables[i]);
		if (strcmp(d.tables[i].id, "tiers") == 0) {
			fputs("Tier rule: ", f);
			md_text(f, d.tier_rule);
			fputs("\n\n", f);
		}
	}
	rep_doc_release(&d);
	rep_analysis_release(&a);
	if (ferror(f)) {
		snprintf(err, errlen, "write error");
		return REP_EIO;
	}
	return 0;
}

const char *rep_strerror(int code)
{
	switch (code) {
	case REP_OK: return "ok";
	case REP_EINVAL: return "invalid argument";
	case REP_EIO: return "write error";
	case REP_ENOMEM: return "out of memory";
	case REP_ESTORE: return "results store error";
	default: return "unknown report error";
	}
}
