/* reports/html.c — the report as one self-contained HTML file, readable offline: inline CSS,
 * the charts' SVG embedded in the page, and every table sortable by clicking its header through
 * a few lines of inline script (numbers sort as numbers, "–" last). No external resources. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "reports/report_impl.h"

static void esc(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
}

static const char css[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1400px;padding:0 1em;"
	"color:#1b1f24;background:#fff}"
	"h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #d0d7de}"
	"table{border-collapse:collapse;margin:.5em 0;font-size:13px}"
	"th,td{border:1px solid #d0d7de;padding:3px 7px}"
	"th{background:#f3f5f7;cursor:pointer;user-select:none;white-space:nowrap}"
	"th.asc::after{content:' \\25B2'}th.desc::after{content:' \\25BC'}"
	"td.r{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
	".wrap{overflow-x:auto}"
	"tr:nth-child(even) td{background:#fafbfc}"
	".note{color:#57606a;font-size:12px;max-width:1100px}"
	".tier-S{background:#c6efce!important}.tier-A{background:#dff0d8!important}"
	".tier-B{background:#fff2cc!important}.tier-C{background:#fce4d6!important}"
	".tier-D{background:#f8d7da!important}"
	".chart{display:inline-block;width:900px;max-width:100%;margin:.5em;vertical-align:top}"
	".chart svg{display:block;width:100%;height:auto}"
	"#decision .chart{width:620px;margin:.25em 0}"
	"ul.summary{margin:.5em 0}";

/* Sorting: click a header to sort its table by that column; again to reverse. Cells that read
 * as numbers sort numerically, "–" and empty cells last. */
static const char js[] =
	"document.querySelectorAll('table.sortable').forEach(function(t){"
	"t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){"
	"var asc=!th.classList.contains('asc');t.querySelectorAll('th').forEach(function(h){"
	"h.classList.remove('asc','desc')});th.classList.add(asc?'asc':'desc');"
	"var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows);"
	"function key(r){var s=r.cells[i].textContent.trim();var n=parseFloat(s.replace(/[^0-9eE+.-]/g,''));"
	"return(s===''||s==='\\u2013')?null:(/^[-+]?[0-9.]/.test(s)&&!isNaN(n)?n:s.toLowerCase())}"
	"rows.sort(function(x,y){var a=key(x),c=key(y);if(a===null)return c===null?0:1;if(c===null)return -1;"
	"if(typeof a!==typeof c){a=String(a);c=String(c)}return(a<c?-1:a>c?1:0)*(asc?1:-1)});"
	"rows.forEach(function(r){b.appendChild(r)})})})});";

static void table_html(FILE *f, const rep_table *t)
{
	size_t tier_col = (size_t)-1;
	fprintf(f, "<h2 id=\"%s\">", t->id);
	esc(f, t->title);
	fputs("</h2>\n", f);
	if (!t->n_rows) {
		fputs("<p>Nothing to show.</p>\n", f);
		return;
	}
	fprintf(f, "<div class=\"wrap\"><table class=\"sortable\" id=\"t-%s\"><thead><tr>", t->id);
	for (size_t c = 0; c < t->n_cols; c++) {
		if (strcmp(t->cols[c], "tier") == 0)
			tier_col = c;
		fputs("<th>", f);
		esc(f, t->cols[c]);
		fputs("</th>", f);
	}
	fputs("</tr></thead><tbody>\n", f);
	for (size_t r = 0; r < t->n_rows; r++) {
		fputs("<tr>", f);
		for (size_t c = 0; c < t->n_cols; c++) {
			const char *v = t->cells[r * t->n_cols + c];
			if (c == tier_col)
				fprintf(f, "<td class=\"tier-%s\">", v);
			else
				fputs(t->align[c] == 'r' ? "<td class=\"r\">" : "<td>", f);
			esc(f, v);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div>\n", f);
	if (t->note) {
		fputs("<p class=\"note\">", f);
		esc(f, t->note);
		fputs("</p>\n", f);
	}
}

/* Copies an SVG file (at most 64 MiB; a chart it cannot read is left out) into the page
 * without its XML prolog and doctype. */
static void embed_svg(FILE *f, const char *dir, const char *name)
{
	char path[4096], err[256];
	tb_buf b = { 0 };
	const char *p;

	snprintf(path, sizeof path, "%s/%s.svg", dir, name);
	if (tb_file_read(path, (size_t)64 << 20, &b, err, sizeof err) == 0 && (p = strstr(b.p, "<svg"))) {
		fprintf(f, "<div class=\"chart\" id=\"chart-%s\">\n", name);
		fputs(p, f);
		fputs("</div>\n", f);
	}
	tb_buf_release(&b);
}

/* A list of lines with a class. */
static void html_list(FILE *f, const char *cls, char *const *lines, size_t n)
{
	fprintf(f, "<ul class=\"%s\">\n", cls);
	for (size_t i = 0; i < n; i++) {
		fputs("<li>", f);
		esc(f, lines[i]);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n", f);
}

int rep_write_html(FILE *f, const rep_set *s, const rep_opts *o, char *err, size_t errlen)
{
	rep_analysis a;
	rep_doc d;
	int rc = rep_prepare(s, o, &a, &d, err, errlen);
	if (rc)
		return rc;
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<title>tierbench report</title>\n<style>%s</style></head><body>\n"
		"<h1>tierbench report</h1>\n", css);
	html_list(f, "facts", d.facts, d.n_facts);
	fputs("<section id=\"decision\"><h2>Decision summary</h2>\n", f);
	html_list(f, "summary", d.summary, d.n_summary);
	if (o && o->charts_dir)
		embed_svg(f, o->charts_dir, "accuracy_cost");
	fputs("</section>\n", f);
	for (size_t i = 0; i < d.n_tables; i++) {
		table_html(f, &d.tables[i]);
		if (strcmp(d.tables[i].id, "tiers") == 0) {
			fputs("<p class=\"note\"><b>Tier rule.</b> ", f);
			esc(f, d.tier_rule);
			fputs("</p>\n", f);
		}
	}
	if (o && o->charts_dir) {
		char names[REP_MAX_CHARTS][REP_CHART_NAME];
		int n = rep_charts_list(o->charts_dir, names, REP_MAX_CHARTS);
		fputs("<h2 id=\"charts\">Charts</h2>\n", f);
		if (!n)
			fputs("<p>No charts.</p>\n", f);
		for (int i = 0; i < n; i++)
			if (strcmp(names[i], "accuracy_cost") != 0)   /* in the decision summary */
				embed_svg(f, o->charts_dir, names[i]);
	}
	fprintf(f, "<script>%s</script>\n</body></html>\n", js);
	rep_doc_release(&d);
	rep_analysis_release(&a);
	if (ferror(f)) {
		snprintf(err, errlen, "write error");
		return REP_EIO;
	}
	return 0;
}
