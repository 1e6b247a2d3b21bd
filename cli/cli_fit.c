/* cli/cli_fit.c — `tierbench fit MODEL.gguf|SHAPE.json`: for each hardware x quantisation,
 * whether the model fits (on how many devices, or with layers in host memory), the headroom,
 * predicted prompt and generation tokens/s, batched throughput and $ per million generated
 * tokens at the cloud price and at the purchase price amortised (docs/fit.md). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli_impl.h"
#include "harness/fit.h"
#include "harness/harness.h"
#include "reports/report.h"

enum { FIT_MAX_QUANTS = 16, FIT_MAX_HW = 128 };

static void usage_fit(FILE *f)
{
	fprintf(f,
		"usage: tierbench fit MODEL.gguf|SHAPE.json [options]\n"
		"\n"
		"Predicts, for each hardware x quantisation, whether the model fits (on how many devices,\n"
		"or with some layers in host memory), the headroom of the fullest device, prompt (pp512)\n"
		"and generation tokens/s, batched throughput, and $ per million generated tokens at the\n"
		"cloud price and at the purchase price amortised. Every number is a prediction from the\n"
		"model's shapes, the catalogue's spec-sheet figures and the calibration printed with it.\n"
		"\n"
		"  --ctx N                context per sequence (default: 4096, or the model's if smaller)\n"
		"  --parallel N           sequences decoded together for the batched rate and cost (default 1)\n"
		"  --quant Q,...          mixes as `tierbench quantize` names them (default: the GGUF's own\n"
		"                         types, or F16,Q8_0,Q4_K_M for a shape file)\n"
		"  --hardware X,...       entry names, `all` (default), or JSON files that add or replace\n"
		"                         entries (a catalogue, or `tierbench hw --json` output = this-machine)\n"
		"  --catalogue FILE       instead of datasets/hardware.json\n"
		"  --calibrate BENCH.json `tierbench bench -o json` results of this machine: recalibrates the\n"
		"                         cpu class (needs --peak-tflops, the machine's FP16 peak)\n"
		"  --peak-tflops X        see --calibrate\n"
		"  --years N              amortisation period (default: the catalogue's)\n"
		"  --kwh-usd X            electricity price in the owned cost (default 0.15)\n"
		"  --json                 one JSON object instead of the table\n"
		"  -h, --help             this text\n");
}

static int split_list(char *s, char **out, int cap)
{
	int n = 0;
	for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ","))
		if (*tok && n < cap)
			out[n++] = tok;
	return n;
}

static void gib(char *buf, size_t n, double bytes)
{
	snprintf(buf, n, "%.1f GiB", bytes / 1073741824.0);
}

static void money(char *buf, size_t n, double usd)
{
	if (usd < 0)
		snprintf(buf, n, "-");
	else if (usd < 10)
		snprintf(buf, n, "%.3f", usd);
	else
		snprintf(buf, n, "%.1f", usd);
}

static cJSON *row_json(const hx_fit_row *r)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "hardware", r->hw->name);
	cJSON_AddStringToObject(o, "quant", r->quant);
	cJSON_AddStringToObject(o, "fits", r->fits == 1 ? "yes" : r->fits == 2 ? "offload" : "no");
	cJSON_AddNumberToObject(o, "devices", r->n_devices);
	cJSON_AddNumberToObject(o, "host_layers", r->host_layers);
	cJSON_AddNumberToObject(o, "device_peak_bytes", round(r->dev_peak_bytes));
	cJSON_AddNumberToObject(o, "headroom_bytes", round(r->headroom_bytes));
	if (r->fits) {
		cJSON_AddNumberToObject(o, "pp_ts", r->pp_ts);
		cJSON_AddNumberToObject(o, "tg_ts", r->tg_ts);
		cJSON_AddNumberToObject(o, "tg_ctx_ts", r->tg_ctx_ts);
		cJSON_AddNumberToObject(o, "batch_ts", r->batch_ts);
		if (r->usd_per_mtok_cloud >= 0)
			cJSON_AddNumberToObject(o, "usd_per_mtok_cloud", r->usd_per_mtok_cloud);
		else
			cJSON_AddNullToObject(o, "usd_per_mtok_cloud");
		if (r->usd_per_mtok_owned >= 0)
			cJSON_AddNumberToObject(o, "usd_per_mtok_owned", r->usd_per_mtok_owned);
		else
			cJSON_AddNullToObject(o, "usd_per_mtok_owned");
	}
	cJSON_AddNumberToObject(o, "bw_eff", r->bw_eff);
	cJSON_AddNumberToObject(o, "compute_eff", r->compute_eff);
	cJSON_AddStringToObject(o, "kind", "predicted");
	return o;
}

static cJSON *mem_json(const hx_fit_mem *m)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "quant", m->quant);
	cJSON_AddNumberToObject(o, "weight_bytes", (double)m->weight_bytes);
	cJSON_AddNumberToObject(o, "bpw", m->bpw);
	cJSON_AddNumberToObject(o, "decode_bytes", (double)m->decode_bytes);
	cJSON_AddNumberToObject(o, "kv_bytes", (double)m->kv_bytes);
	cJSON_AddNumberToObject(o, "kv_bytes_per_token", (double)m->kv_bytes_per_token);
	cJSON_AddNumberToObject(o, "state_bytes", (double)m->state_bytes);
	cJSON_AddNumberToObject(o, "compute_bytes", (double)m->compute_bytes);
	cJSON_AddNumberToObject(o, "total_bytes", (double)m->total_bytes);
	cJSON_AddNumberToObject(o, "n_params", (double)m->n_params);
	cJSON_AddNumberToObject(o, "n_params_active", (double)m->n_params_active);
	return o;
}

static int parse_num(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !(*out >= lo && *out <= hi)) {
		fprintf(stderr, "tierbench fit: %s: expected a number from %g to %g, got \"%s\"\n", opt, lo, hi, s);
		return -1;
	}
	return 0;
}

int cli_cmd_fit(int argc, char **argv)
{
	enum { O_CTX = 256, O_PAR, O_QUANT, O_HW, O_CAT, O_CAL, O_PEAK, O_YEARS, O_KWH, O_JSON };
	static const struct option opts[] = {
		{ "ctx", required_argument, NULL, O_CTX },
		{ "parallel", required_argument, NULL, O_PAR },
		{ "quant", required_argument, NULL, O_QUANT },
		{ "hardware", required_argument, NULL, O_HW },
		{ "catalogue", required_argument, NULL, O_CAT },
		{ "calibrate", required_argument, NULL, O_CAL },
		{ "peak-tflops", required_argument, NULL, O_PEAK },
		{ "years", required_argument, NULL, O_YEARS },
		{ "kwh-usd", required_argument, NULL, O_KWH },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[1024], pathbuf[4096], *quant_arg = NULL, *hw_arg = NULL, *quants[FIT_MAX_QUANTS], *hws[FIT_MAX_HW];
	const char *cat_path = NULL, *cal_path = NULL, *names[FIT_MAX_HW + 4];
	const hx_fit_hw *sel[FIT_MAX_HW + 4];
	double v, peak = 0, years = 0;
	int c, json = 0, n_quant = 0, n_hw = 0, n_sel = 0, rc = HX_EXIT_RUNTIME;
	long ctx = 0;
	hx_fit_opts o = hx_fit_opts_default();
	hx_fit_catalog *cat = NULL;
	hx_fit_model *m = NULL;
	hx_fit_model_desc d;
	hx_fit_mem mems[FIT_MAX_QUANTS];
	cJSON *out = NULL, *arr = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_CTX:
			if (parse_num("--ctx", optarg, 1, 1 << 26, &v))
				return HX_EXIT_USAGE;
			ctx = (long)v;
			break;
		case O_PAR:
			if (parse_num("--parallel", optarg, 1, 4096, &v))
				return HX_EXIT_USAGE;
			o.n_parallel = (int)v;
			break;
		case O_QUANT: quant_arg = optarg; break;
		case O_HW: hw_arg = optarg; break;
		case O_CAT: cat_path = optarg; break;
		case O_CAL: cal_path = optarg; break;
		case O_PEAK:
			if (parse_num("--peak-tflops", optarg, 1e-6, 1e6, &peak))
				return HX_EXIT_USAGE;
			break;
		case O_YEARS:
			if (parse_num("--years", optarg, 0.1, 50, &years))
				return HX_EXIT_USAGE;
			break;
		case O_KWH:
			if (parse_num("--kwh-usd", optarg, 0, 100, &o.usd_per_kwh))
				return HX_EXIT_USAGE;
			break;
		case O_JSON: json = 1; break;
		case 'h': usage_fit(stdout); return HX_EXIT_OK;
		default: usage_fit(stderr); return HX_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "tierbench fit: give one model (a GGUF file or a shape JSON file)\n");
		usage_fit(stderr);
		return HX_EXIT_USAGE;
	}
	if (cal_path && !(peak > 0)) {
		fprintf(stderr, "tierbench fit: --calibrate needs --peak-tflops (this machine's FP16 peak)\n");
		return HX_EXIT_USAGE;
	}
	if (!cat_path && !(cat_path = hx_fit_default_path(pathbuf, sizeof pathbuf))) {
		fprintf(stderr, "tierbench fit: no hardware catalogue (datasets/hardware.json); give --catalogue FILE\n");
		return HX_EXIT_RUNTIME;
	}
	if (!(cat = hx_fit_catalog_load(cat_path, err, sizeof err)) || !(m = hx_fit_model_load(argv[optind], err, sizeof err))) {
		fprintf(stderr, "tierbench fit: %s\n", err);
		goto out;
	}
	o.amortise_years = years > 0 ? years : hx_fit_catalog_amortise_years(cat);
	hx_fit_model_describe(m, &d);
	o.n_ctx = ctx ? (int)ctx : d.n_ctx_train > 0 && d.n_ctx_train < 4096 ? d.n_ctx_train : 4096;
	if (cal_path) {
		hx_fit_bench *rows = NULL;
		size_t nr = 0;
		hx_fit_calib k;
		memset(&k, 0, sizeof k);
		snprintf(k.cls, sizeof k.cls, "cpu");
		k.measured = 1;
		snprintf(k.source, sizeof k.source, "tierbench bench results %s, peak %g TFLOPS", cal_path, peak);
		snprintf(k.as_of, sizeof k.as_of, "given");
		if (hx_fit_bench_load(cal_path, &rows, &nr, err, sizeof err)) {
			fprintf(stderr, "tierbench fit: %s\n", err);
			goto out;
		}
		if (hx_fit_calibrate(rows, nr, peak, &k.bw_eff, &k.compute_eff) || hx_fit_catalog_set_calib(cat, &k)) {
			fprintf(stderr, "tierbench fit: %s: needs a pp and a tg row of one machine\n", cal_path);
			free(rows);
			goto out;
		}
		free(rows);
	}
	/* hardware: files first (they add entries), then names */
	n_hw = hw_arg ? split_list(hw_arg, hws, FIT_MAX_HW) : 0;
	for (int i = 0; i < n_hw; i++) {
		size_t before = hx_fit_catalog_count(cat);
		if (!strchr(hws[i], '/') && !strstr(hws[i], ".json"))
			continue;
		if (hx_fit_catalog_merge(cat, hws[i], err, sizeof err)) {
			fprintf(stderr, "tierbench fit: %s\n", err);
			goto out;
		}
		(void)before;
	}
	for (size_t i = 0; i < hx_fit_catalog_count(cat) && i < FIT_MAX_HW; i++)
		names[i] = hx_fit_catalog_at(cat, i)->name;
	for (int i = 0; i < n_hw; i++) {
		if (strchr(hws[i], '/') || strstr(hws[i], ".json") || !strcmp(hws[i], "all"))
			continue;
		if (cli_check_name("tierbench fit", "hardware", hws[i], names,
				hx_fit_catalog_count(cat) < FIT_MAX_HW ? hx_fit_catalog_count(cat) : FIT_MAX_HW,
				sizeof names[0])) {
			rc = HX_EXIT_USAGE;
			goto out;
		}
		sel[n_sel++] = hx_fit_catalog_find(cat, hws[i]);
	}
	if (!n_sel)   /* `all`, only files, or nothing named: every entry */
		for (size_t i = 0; i < hx_fit_catalog_count(cat) && n_sel < FIT_MAX_HW; i++)
			sel[n_sel++] = hx_fit_catalog_at(cat, i);
	/* quantisations */
	if (quant_arg) {
		n_quant = split_list(quant_arg, quants, FIT_MAX_QUANTS);
	} else if (!d.from_gguf) {
		static char dflt[] = "F16,Q8_0,Q4_K_M";
		n_quant = split_list(dflt, quants, FIT_MAX_QUANTS);
	}
	for (int q = 0; q < (n_quant ? n_quant : 1); q++)
		if (hx_fit_memory(m, n_quant ? quants[q] : NULL, o.n_ctx, o.n_parallel, &mems[q], err, sizeof err)) {
			fprintf(stderr, "tierbench fit: %s\n", err);
			rc = HX_EXIT_USAGE;
			goto out;
		}
	if (!n_quant)
		n_quant = 1;

	if (json) {
		if (!(out = cJSON_CreateObject()))
			goto nomem;
		cJSON_AddStringToObject(out, "model", d.name);
		cJSON_AddStringToObject(out, "architecture", d.arch);
		cJSON_AddNumberToObject(out, "n_ctx", o.n_ctx);
		cJSON_AddNumberToObject(out, "n_parallel", o.n_parallel);
		cJSON_AddNumberToObject(out, "amortise_years", o.amortise_years);
		cJSON_AddNumberToObject(out, "usd_per_kwh", o.usd_per_kwh);
		arr = cJSON_AddArrayToObject(out, "memory");
		for (int q = 0; arr && q < n_quant; q++)
			cJSON_AddItemToArray(arr, mem_json(&mems[q]));
		arr = cJSON_AddArrayToObject(out, "calibration");
		for (const char *cls[] = { "cpu", "gpu", "apple" }, **p = cls; arr && p < cls + 3; p++) {
			const hx_fit_calib *k = hx_fit_catalog_calib(cat, *p);
			cJSON *ko = k ? cJSON_CreateObject() : NULL;
			if (!ko)
				continue;
			cJSON_AddStringToObject(ko, "class", k->cls);
			cJSON_AddNumberToObject(ko, "bw_eff", k->bw_eff);
			cJSON_AddNumberToObject(ko, "compute_eff", k->compute_eff);
			cJSON_AddBoolToObject(ko, "measured", k->measured);
			cJSON_AddStringToObject(ko, "source", k->source);
			cJSON_AddStringToObject(ko, "as_of", k->as_of);
			cJSON_AddItemToArray(arr, ko);
		}
		arr = cJSON_AddArrayToObject(out, "rows");
	} else {
		char w[32], kv[32], st[32];
		printf("model: %s (%s, %d layers%s", d.name, d.arch, d.n_layer, d.n_expert ? ", " : "");
		if (d.n_expert)
			printf("%d of %d experts", d.n_expert_used, d.n_expert);
		printf(")  context %d x %d sequence%s\n", o.n_ctx, o.n_parallel, o.n_parallel > 1 ? "s" : "");
		for (int q = 0; q < n_quant; q++) {
			gib(w, sizeof w, (double)mems[q].weight_bytes);
			gib(kv, sizeof kv, (double)mems[q].kv_bytes);
			gib(st, sizeof st, (double)(mems[q].state_bytes + mems[q].compute_bytes));
			printf("  %-8s weights %s (%.2f bpw, %.2fB params, %.2fB active), KV %s (%.0f KiB/token), "
				"state+compute %s\n", mems[q].quant, w, mems[q].bpw, mems[q].n_params / 1e9,
				mems[q].n_params_active / 1e9, kv, mems[q].kv_bytes_per_token / 1024.0, st);
		}
		printf("\n| hardware | quant | fits | devices | per device | headroom | pp t/s | tg t/s | tg t/s @ctx | "
			"t/s x%d | $/Mtok cloud | $/Mtok owned |\n|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
			o.n_parallel);
	}
	for (int h = 0; h < n_sel; h++)
		for (int q = 0; q < n_quant; q++) {
			const hx_fit_calib *k = hx_fit_catalog_calib(cat, sel[h]->cls);
			hx_fit_calib none = { "", 1, 1, 0, "none", "" };
			hx_fit_row r;
			hx_fit_predict(m, &mems[q], sel[h], k ? k : &none, &o, &r);
			if (json) {
				cJSON_AddItemToArray(arr, row_json(&r));
			} else {
				char a[32], b[32], cc[32], ow[32];
				gib(a, sizeof a, r.dev_peak_bytes);
				gib(b, sizeof b, r.headroom_bytes);
				money(cc, sizeof cc, r.fits ? r.usd_per_mtok_cloud : -1);
				money(ow, sizeof ow, r.fits ? r.usd_per_mtok_owned : -1);
				if (r.fits)
					printf("| %s | %s | %s | %d | %s | %s | %.0f | %.1f | %.1f | %.1f | %s | %s |\n",
						sel[h]->name, r.quant, r.fits == 1 ? "yes" : "offload", r.n_devices, a, b,
						r.pp_ts, r.tg_ts, r.tg_ctx_ts, r.batch_ts, cc, ow);
				else
					printf("| %s | %s | no | %d | %s | %s | - | - | - | - | - | - |\n", sel[h]->name,
						r.quant, r.n_devices, a, b);
			}
		}
	if (json) {
		char *s = cJSON_Print(out);
		if (!s)
			goto nomem;
		printf("%s\n", s);
		free(s);
	} else {
		printf("\npredicted, not measured. offload: the layers that do not fit stay in host memory.\n"
			"owned cost: purchase price over %.1f years plus power at $%.2f/kWh; cloud: the catalogue's "
			"hourly price per device.\n", o.amortise_years, o.usd_per_kwh);
		for (const char *cls[] = { "cpu", "gpu", "apple" }, **p = cls; p < cls + 3; p++) {
			const hx_fit_calib *k = hx_fit_catalog_calib(cat, *p);
			if (k)
				printf("calibration %s: bw_eff %.2f, compute_eff %.2f (%s; %s, %s)\n", k->cls, k->bw_eff,
					k->compute_eff, k->measured ? "measured" : "assumed", k->source, k->as_of);
		}
	}
	rc = HX_EXIT_OK;
	goto out;
nomem:
	fprintf(stderr, "tierbench fit: out of memory\n");
out:
	cJSON_Delete(out);
	hx_fit_model_free(m);
	hx_fit_catalog_free(cat);
	return rc;
}

/* ------------------------------------------------------------------ report rows */

void cli_fit_rows_release(cli_fit_rows *r)
{
	hx_fit_catalog_free(r->cat);
	free(r->rows);
	free(r->quant);
	free(r->note);
	memset(r, 0, sizeof *r);
}

int cli_fit_report_rows(const rep_set *s, char *list, const char *fits_on, cli_fit_rows *out)
{
	char err[1024], pathbuf[4096], *hws[FIT_MAX_HW];
	const char *names[FIT_MAX_HW];
	const hx_fit_hw *sel[FIT_MAX_HW];
	const char *path = hx_fit_default_path(pathbuf, sizeof pathbuf);
	size_t n_t = rep_set_n_targets(s), n_names;
	int n_hw = list ? split_list(list, hws, FIT_MAX_HW) : 0, n_sel = 0;
	hx_fit_opts o = hx_fit_opts_default();

	memset(out, 0, sizeof *out);
	if (!path || !(out->cat = hx_fit_catalog_load(path, err, sizeof err))) {
		fprintf(stderr, "tierbench report: %s\n", path ? err : "no hardware catalogue (datasets/hardware.json)");
		return HX_EXIT_RUNTIME;
	}
	n_names = hx_fit_catalog_count(out->cat) < FIT_MAX_HW ? hx_fit_catalog_count(out->cat) : FIT_MAX_HW;
	for (size_t i = 0; i < n_names; i++)
		names[i] = hx_fit_catalog_at(out->cat, i)->name;
	if (fits_on && cli_check_name("tierbench report", "hardware", fits_on, names, n_names, sizeof names[0]))
		goto usage;
	for (int i = 0; i < n_hw; i++) {
		if (!strcmp(hws[i], "all"))
			continue;
		if (cli_check_name("tierbench report", "hardware", hws[i], names, n_names, sizeof names[0]))
			goto usage;
		sel[n_sel++] = hx_fit_catalog_find(out->cat, hws[i]);
	}
	if (!n_sel)
		for (size_t i = 0; i < n_names; i++)
			sel[n_sel++] = hx_fit_catalog_at(out->cat, i);
	if (fits_on && !hx_fit_catalog_find(out->cat, fits_on))
		goto usage;
	if (fits_on) {   /* the filter's hardware is always predicted */
		int have = 0;
		for (int h = 0; h < n_sel; h++)
			have |= !strcmp(sel[h]->name, fits_on);
		if (!have && n_sel < FIT_MAX_HW)
			sel[n_sel++] = hx_fit_catalog_find(out->cat, fits_on);
	}
	out->rows = calloc(n_t * (size_t)n_sel + 1, sizeof *out->rows);
	out->quant = calloc(n_t + 1, sizeof *out->quant);
	if (!out->rows || !out->quant)
		goto nomem;
	/* local targets: those whose model is a file the fit model reads (a GGUF) */
	for (size_t t = 0; t < n_t; t++) {
		const char *model = rep_set_target_model(s, t);
		hx_fit_model *m;
		hx_fit_model_desc d;
		if (!model || !strstr(model, ".gguf") || access(model, R_OK))
			continue;
		if (!(m = hx_fit_model_load(model, err, sizeof err))) {
			fprintf(stderr, "tierbench report: hardware fit: %s\n", err);
			continue;
		}
		hx_fit_model_describe(m, &d);
		o.n_ctx = d.n_ctx_train > 0 && d.n_ctx_train < 4096 ? d.n_ctx_train : 4096;
		if (hx_fit_memory(m, NULL, o.n_ctx, 1, &out->quant[t], err, sizeof err)) {
			fprintf(stderr, "tierbench report: hardware fit: %s\n", err);
			hx_fit_model_free(m);
			continue;
		}
		for (int h = 0; h < n_sel; h++) {
			const hx_fit_calib *k = hx_fit_catalog_calib(out->cat, sel[h]->cls);
			hx_fit_calib none = { "", 1, 1, 0, "none", "" };
			hx_fit_row r;
			rep_fit_row *x = &out->rows[out->n++];
			hx_fit_predict(m, &out->quant[t], sel[h], k ? k : &none, &o, &r);
			x->target_id = rep_set_target_id(s, t);
			x->hardware = sel[h]->name;
			x->quant = out->quant[t].quant;
			x->fits = r.fits;
			x->n_devices = r.n_devices;
			x->pp_ts = r.fits ? r.pp_ts : NAN;
			x->tg_ts = r.fits ? r.tg_ts : NAN;
			x->usd_per_mtok_cloud = r.fits && r.usd_per_mtok_cloud >= 0 ? r.usd_per_mtok_cloud : NAN;
			x->usd_per_mtok_owned = r.fits && r.usd_per_mtok_owned >= 0 ? r.usd_per_mtok_owned : NAN;
		}
		hx_fit_model_free(m);
	}
	{
		const hx_fit_calib *g = hx_fit_catalog_calib(out->cat, "gpu"), *c = hx_fit_catalog_calib(out->cat, "cpu");
		size_t n = 1024;
		if (!(out->note = malloc(n)))
			goto nomem;
		snprintf(out->note, n, "predicted: `tierbench fit`'s model (docs/fit.md) at context 4096, one "
			"sequence; costs at that rate, owned = purchase over %.1f years + power. Calibration: "
			"gpu bw %.2f / compute %.2f (%s), cpu bw %.2f / compute %.2f (%s). measured: output t/s "
			"per stream stored by the run; $ / M out from the target's hardware cost.",
			hx_fit_catalog_amortise_years(out->cat), g ? g->bw_eff : 1, g ? g->compute_eff : 1,
			g && g->measured ? "measured" : "assumed", c ? c->bw_eff : 1, c ? c->compute_eff : 1,
			c && c->measured ? "measured" : "assumed");
	}
	return 0;
usage:
	cli_fit_rows_release(out);
	return HX_EXIT_USAGE;
nomem:
	fprintf(stderr, "tierbench report: out of memory\n");
	cli_fit_rows_release(out);
	return HX_EXIT_RUNTIME;
}
