/* harness/fit.c — the hardware catalogue of `tierbench fit` (datasets/hardware.json, or the
 * output of `tierbench hw --json` as "this-machine"), the fit of a model's memory on devices and
 * host memory, the roofline speed model (docs/fit.md) and its calibration from bench results. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/base.h"
#include "harness/fit.h"
#include "harness/harness.h"

#define HW_MAX_BYTES (4u << 20)
#define GIB 1073741824.0
#define GPU_RUNTIME_BYTES (0.5 * GIB)   /* driver context and library workspaces per GPU */

struct hx_fit_catalog {
	hx_fit_hw *hw;              /* [n] */
	size_t n;
	hx_fit_calib calib[8];
	size_t n_calib;
	double amortise_years;
};

void hx_fit_catalog_free(hx_fit_catalog *c)
{
	if (!c)
		return;
	free(c->hw);
	free(c);
}

size_t hx_fit_catalog_count(const hx_fit_catalog *c)
{
	return c->n;
}

const hx_fit_hw *hx_fit_catalog_at(const hx_fit_catalog *c, size_t i)
{
	return i < c->n ? &c->hw[i] : NULL;
}

const hx_fit_hw *hx_fit_catalog_find(const hx_fit_catalog *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->hw[i].name, name))
			return &c->hw[i];
	return NULL;
}

const hx_fit_calib *hx_fit_catalog_calib(const hx_fit_catalog *c, const char *cls)
{
	for (size_t i = 0; i < c->n_calib; i++)
		if (!strcmp(c->calib[i].cls, cls))
			return &c->calib[i];
	return NULL;
}

int hx_fit_catalog_set_calib(hx_fit_catalog *c, const hx_fit_calib *k)
{
	for (size_t i = 0; i < c->n_calib; i++)
		if (!strcmp(c->calib[i].cls, k->cls)) {
			c->calib[i] = *k;
			return 0;
		}
	if (c->n_calib == sizeof c->calib / sizeof c->calib[0])
		return HX_ENOMEM;
	c->calib[c->n_calib++] = *k;
	return 0;
}

double hx_fit_catalog_amortise_years(const hx_fit_catalog *c)
{
	return c->amortise_years;
}

/* ---------------------------------------------------------------- parsing */

typedef struct jctx {
	const char *file;
	char *err;
	size_t errlen;
} jctx;

/* A number field: absent gives dflt, or an error when required; present must be finite and
 * at least lo (null counts as absent when nullable). */
static int jnum(const jctx *c, const cJSON *o, const char *path, const char *k, int required,
	double dflt, double lo, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!v || cJSON_IsNull(v)) {
		if (required) {
			snprintf(c->err, c->errlen, "%s: %s.%s: missing (required)", c->file, path, k);
			return HX_EINVAL;
		}
		*out = dflt;
		return 0;
	}
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo) {
		snprintf(c->err, c->errlen, "%s: %s.%s: expected a number >= %g", c->file, path, k, lo);
		return HX_EINVAL;
	}
	*out = v->valuedouble;
	return 0;
}

static int jstr(const jctx *c, const cJSON *o, const char *path, const char *k, int required,
	char *dst, size_t n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!v) {
		if (required) {
			snprintf(c->err, c->errlen, "%s: %s.%s: missing (required)", c->file, path, k);
			return HX_EINVAL;
		}
		dst[0] = 0;
		return 0;
	}
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= n || (required && !v->valuestring[0])) {
		snprintf(c->err, c->errlen, "%s: %s.%s: expected a string of 1 to %zu bytes", c->file, path, k, n - 1);
		return HX_EINVAL;
	}
	snprintf(dst, n, "%s", v->valuestring);
	return 0;
}

static int parse_hw(const jctx *c, const cJSON *o, const char *path, hx_fit_hw *h)
{
	double devs, maxd;
	int rc;
	memset(h, 0, sizeof *h);
	if (!cJSON_IsObject(o)) {
		snprintf(c->err, c->errlen, "%s: %s: expected an object", c->file, path);
		return HX_EINVAL;
	}
	if ((rc = jstr(c, o, path, "name", 1, h->name, sizeof h->name)) ||
	    (rc = jstr(c, o, path, "class", 1, h->cls, sizeof h->cls)) ||
	    (rc = jstr(c, o, path, "desc", 0, h->desc, sizeof h->desc)) ||
	    (rc = jstr(c, o, path, "interconnect", 0, h->interconnect, sizeof h->interconnect)) ||
	    (rc = jstr(c, o, path, "source", 1, h->source, sizeof h->source)) ||
	    (rc = jstr(c, o, path, "as_of", 1, h->as_of, sizeof h->as_of)))
		return rc;
	if (strcmp(h->cls, "gpu") && strcmp(h->cls, "apple") && strcmp(h->cls, "cpu")) {
		snprintf(c->err, c->errlen, "%s: %s.class: expected \"gpu\", \"apple\" or \"cpu\"", c->file, path);
		return HX_EINVAL;
	}
	if ((rc = jnum(c, o, path, "devices", 0, 1, 1, &devs)) ||
	    (rc = jnum(c, o, path, "max_devices", 0, !strcmp(h->cls, "gpu") ? 8 : devs, devs, &maxd)) ||
	    (rc = jnum(c, o, path, "memory_gib", 1, 0, 0.001, &h->memory_gib)) ||
	    (rc = jnum(c, o, path, "usable_fraction", 0, 1, 0.01, &h->usable_fraction)) ||
	    (rc = jnum(c, o, path, "bandwidth_gbs", 1, 0, 0.001, &h->bandwidth_gbs)) ||
	    (rc = jnum(c, o, path, "fp16_tflops", 1, 0, 0.0001, &h->fp16_tflops)) ||
	    (rc = jnum(c, o, path, "int8_tops", 0, 0, 0, &h->int8_tops)) ||
	    (rc = jnum(c, o, path, "interconnect_gbs", 0, 0, 0, &h->interconnect_gbs)) ||
	    (rc = jnum(c, o, path, "host_memory_gib", 0, 0, 0, &h->host_memory_gib)) ||
	    (rc = jnum(c, o, path, "host_bandwidth_gbs", 0, 0, 0, &h->host_bandwidth_gbs)) ||
	    (rc = jnum(c, o, path, "price_usd", 1, 0, 0, &h->price_usd)) ||
	    (rc = jnum(c, o, path, "cloud_usd_per_hour", 0, -1, 0, &h->cloud_usd_per_hour)) ||
	    (rc = jnum(c, o, path, "power_w", 1, 0, 0, &h->power_w)))
		return rc;
	if (h->usable_fraction > 1 || devs > 1024 || maxd > 1024 || devs != floor(devs) || maxd != floor(maxd)) {
		snprintf(c->err, c->errlen, "%s: %s: usable_fraction must be at most 1, devices and max_devices "
			"whole numbers up to 1024", c->file, path);
		return HX_EINVAL;
	}
	h->devices = (int)devs;
	h->max_devices = (int)maxd;
	return 0;
}

static int parse_calib(const jctx *c, const cJSON *o, const char *path, hx_fit_calib *k)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "measured");
	int rc;
	memset(k, 0, sizeof *k);
	if (!cJSON_IsObject(o)) {
		snprintf(c->err, c->errlen, "%s: %s: expected an object", c->file, path);
		return HX_EINVAL;
	}
	if ((rc = jstr(c, o, path, "class", 1, k->cls, sizeof k->cls)) ||
	    (rc = jstr(c, o, path, "source", 1, k->source, sizeof k->source)) ||
	    (rc = jstr(c, o, path, "as_of", 1, k->as_of, sizeof k->as_of)) ||
	    (rc = jnum(c, o, path, "bw_eff", 1, 0, 0.001, &k->bw_eff)) ||
	    (rc = jnum(c, o, path, "compute_eff", 1, 0, 0.001, &k->compute_eff)))
		return rc;
	if (k->bw_eff > 1 || k->compute_eff > 1) {
		snprintf(c->err, c->errlen, "%s: %s: bw_eff and compute_eff are shares of a peak (at most 1)", c->file, path);
		return HX_EINVAL;
	}
	k->measured = cJSON_IsTrue(m);
	return 0;
}

/* `tierbench hw --json`: the machine itself, as entry "this-machine". Its GPU when it has one
 * (peak bandwidth from clock and bus width; FP16 assumed 2048 FLOP per SM per cycle at 1.5 GHz,
 * Ampere's dense rate), else its CPU (measured triad bandwidth; FP16 assumed 64 FLOP per core
 * per cycle at 2 GHz). docs/fit.md states both assumptions. */
static int parse_hw_profile(const jctx *c, const cJSON *j, hx_fit_hw *h)
{
	const cJSON *gpus = cJSON_GetObjectItemCaseSensitive(j, "gpus");
	const cJSON *g0 = cJSON_IsArray(gpus) ? cJSON_GetArrayItem(gpus, 0) : NULL;
	double ram, bw, cores;
	int rc;
	memset(h, 0, sizeof *h);
	snprintf(h->name, sizeof h->name, "this-machine");
	h->devices = h->max_devices = 1;
	h->usable_fraction = 1;
	h->cloud_usd_per_hour = -1;
	h->price_usd = -1;   /* unknown: no owned cost */
	snprintf(h->source, sizeof h->source, "tierbench hw --json (%s)", c->file);
	snprintf(h->as_of, sizeof h->as_of, "measured");
	if ((rc = jstr(c, j, "hw", "cpu_model", 1, h->desc, sizeof h->desc)) ||
	    (rc = jnum(c, j, "hw", "ram_bytes", 1, 0, 1, &ram)) ||
	    (rc = jnum(c, j, "hw", "cores", 1, 0, 1, &cores)) ||
	    (rc = jnum(c, j, "hw", "mem_bw_gbs", 0, 0, 0, &bw)))
		return rc;
	if (g0) {
		double mem, pbw, sms;
		if ((rc = jnum(c, g0, "hw.gpus[0]", "mem_gib", 1, 0, 0.001, &mem)) ||
		    (rc = jnum(c, g0, "hw.gpus[0]", "peak_bw_gbs", 1, 0, 0.001, &pbw)) ||
		    (rc = jnum(c, g0, "hw.gpus[0]", "sms", 1, 0, 1, &sms)))
			return rc;
		snprintf(h->cls, sizeof h->cls, "gpu");
		jstr(c, g0, "hw.gpus[0]", "name", 0, h->desc, sizeof h->desc);
		h->memory_gib = mem;
		h->bandwidth_gbs = pbw;
		h->fp16_tflops = sms * 2048 * 1.5e9 / 1e12;
		h->host_memory_gib = ram / GIB;
		h->host_bandwidth_gbs = bw;
		return jnum(c, j, "hw", "fp16_tflops", 0, h->fp16_tflops, 1e-6, &h->fp16_tflops);
	}
	if (!(bw > 0)) {
		snprintf(c->err, c->errlen, "%s: hw.mem_bw_gbs: not measured (run `tierbench hw --json` without --no-bw)",
			c->file);
		return HX_EINVAL;
	}
	snprintf(h->cls, sizeof h->cls, "cpu");
	h->memory_gib = ram / GIB;
	h->bandwidth_gbs = bw;
	h->fp16_tflops = cores * 64 * 2.0e9 / 1e12;
	return jnum(c, j, "hw", "fp16_tflops", 0, h->fp16_tflops, 1e-6, &h->fp16_tflops);
}

static int add_hw(hx_fit_catalog *c, const hx_fit_hw *h)
{
	hx_fit_hw *n;
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->hw[i].name, h->name)) {
			c->hw[i] = *h;
			return 0;
		}
	if (!(n = realloc(c->hw, (c->n + 1) * sizeof *n)))
		return HX_ENOMEM;
	c->hw = n;
	c->hw[c->n++] = *h;
	return 0;
}

int hx_fit_catalog_merge(hx_fit_catalog *c, const char *path, char *err, size_t errlen)
{
	tb_buf b;
	cJSON *j = NULL;
	const cJSON *arr;
	jctx jc = { path, err, errlen };
	char where[64];
	int rc = HX_EINVAL;
	hx_fit_hw h;
	hx_fit_calib k;

	tb_buf_init(&b, HW_MAX_BYTES);
	if (tb_file_read(path, HW_MAX_BYTES, &b, err, errlen)) {
		rc = HX_EIO;
		goto out;
	}
	if (!(j = cJSON_Parse(tb_buf_str(&b))) || !cJSON_IsObject(j)) {
		snprintf(err, errlen, "%s: not a JSON object", path);
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(j, "cpu_model")) {
		if (!(rc = parse_hw_profile(&jc, j, &h)))
			rc = add_hw(c, &h);
		goto out;
	}
	if ((arr = cJSON_GetObjectItemCaseSensitive(j, "amortise_years"))) {
		if (!cJSON_IsNumber(arr) || !(arr->valuedouble > 0) || arr->valuedouble > 50) {
			snprintf(err, errlen, "%s: amortise_years: expected a number from 0 to 50", path);
			goto out;
		}
		c->amortise_years = arr->valuedouble;
	}
	arr = cJSON_GetObjectItemCaseSensitive(j, "hardware");
	if (!cJSON_IsArray(arr)) {
		snprintf(err, errlen, "%s: hardware: expected an array of entries (or give `tierbench hw --json` output)",
			path);
		goto out;
	}
	for (int i = 0; i < cJSON_GetArraySize(arr); i++) {
		snprintf(where, sizeof where, "hardware[%d]", i);
		if ((rc = parse_hw(&jc, cJSON_GetArrayItem(arr, i), where, &h)))
			goto out;
		if ((rc = add_hw(c, &h))) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
	}
	arr = cJSON_GetObjectItemCaseSensitive(j, "calibration");
	for (int i = 0; cJSON_IsArray(arr) && i < cJSON_GetArraySize(arr); i++) {
		snprintf(where, sizeof where, "calibration[%d]", i);
		if ((rc = parse_calib(&jc, cJSON_GetArrayItem(arr, i), where, &k)))
			goto out;
		if ((rc = hx_fit_catalog_set_calib(c, &k))) {
			snprintf(err, errlen, "%s: %s: too many classes", path, where);
			goto out;
		}
	}
	rc = 0;
out:
	cJSON_Delete(j);
	tb_buf_release(&b);
	return rc;
}

hx_fit_catalog *hx_fit_catalog_load(const char *path, char *err, size_t errlen)
{
	hx_fit_catalog *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	c->amortise_years = 3;
	if (hx_fit_catalog_merge(c, path, err, errlen)) {
		hx_fit_catalog_free(c);
		return NULL;
	}
	return c;
}

const char *hx_fit_default_path(char *buf, size_t n)
{
	return tb_data_file("TB_HARDWARE", "hardware.json", buf, n);
}

/* ---------------------------------------------------------------- prediction */

hx_fit_opts hx_fit_opts_default(void)
{
	hx_fit_opts o;
	memset(&o, 0, sizeof o);
	o.n_ctx = 4096;
	o.n_parallel = 1;
	o.usd_per_kwh = 0.15;
	o.amortise_years = 3;
	return o;
}

/* Bytes the fullest of n devices holds when the layers are split evenly (llama.cpp's layer
 * split): its share of the blocks, KV and state, all tensors outside blocks (conservative),
 * the compute buffer and, on a GPU, the runtime's own memory. */
static double dev_bytes(const hx_fit_mem *mem, int n_layer, int on_dev, int gpu)
{
	double frac = (double)on_dev / n_layer;
	return (double)on_dev * (double)mem->layer_max_bytes + (double)mem->head_bytes +
		frac * (double)(mem->kv_bytes + mem->state_bytes) + (double)mem->compute_bytes +
		(gpu ? GPU_RUNTIME_BYTES : 0);
}

void hx_fit_predict(const hx_fit_model *m, const hx_fit_mem *mem, const hx_fit_hw *hw,
	const hx_fit_calib *k, const hx_fit_opts *o, hx_fit_row *out)
{
	hx_fit_model_desc d;
	const int gpu = !strcmp(hw->cls, "gpu");
	const double usable = hw->memory_gib * GIB * hw->usable_fraction;
	const double bw = k->bw_eff * hw->bandwidth_gbs * 1e9, fl = k->compute_eff * hw->fp16_tflops * 1e12;
	double host_bw, f_dev = 1, t, owned_h, mult, wread;
	int L, n_par = o->n_parallel > 0 ? o->n_parallel : 1, half = mem->n_ctx / 2;

	hx_fit_model_describe(m, &d);
	L = d.n_layer;
	memset(out, 0, sizeof *out);
	out->hw = hw;
	snprintf(out->quant, sizeof out->quant, "%s", mem->quant);
	out->bw_eff = k->bw_eff;
	out->compute_eff = k->compute_eff;
	for (int n = 1; n <= hw->max_devices && !out->fits; n++) {
		double peak = dev_bytes(mem, L, (L + n - 1) / n, gpu);
		out->n_devices = n;
		out->dev_peak_bytes = peak;
		out->headroom_bytes = usable - peak;
		out->fits = peak <= usable;
	}
	if (!out->fits && gpu && hw->host_memory_gib > 0 && hw->host_bandwidth_gbs > 0) {
		/* one device holds as many blocks as fit; the rest stay in host memory */
		int g = 0;
		while (g < L && dev_bytes(mem, L, g + 1, 1) <= usable)
			g++;
		double host = (double)(mem->weight_bytes - mem->head_bytes) * (L - g) / L +
			(double)(mem->kv_bytes + mem->state_bytes) * (L - g) / L;
		if (dev_bytes(mem, L, g, 1) <= usable && host <= 0.9 * hw->host_memory_gib * GIB) {
			out->fits = 2;
			out->n_devices = 1;
			out->host_layers = L - g;
			out->dev_peak_bytes = dev_bytes(mem, L, g, 1);
			out->headroom_bytes = usable - out->dev_peak_bytes;
			f_dev = (double)g / L;
		}
	}
	if (!out->fits)
		return;
	/* Time per token: bytes read at the effective bandwidth plus FLOPs at the effective
	 * throughput (layers in host memory are read at the host's bandwidth, same efficiency). */
	host_bw = k->bw_eff * hw->host_bandwidth_gbs * 1e9;
#define T_READ(bytes) ((bytes) * f_dev / bw + (f_dev < 1 ? (bytes) * (1 - f_dev) / host_bw : 0))
	t = T_READ(hx_fit_token_bytes(m, mem, 0)) + hx_fit_token_flops(m, mem, 0) / fl;
	out->tg_ts = 1 / t;
	t = T_READ(hx_fit_token_bytes(m, mem, mem->n_ctx)) + hx_fit_token_flops(m, mem, mem->n_ctx) / fl;
	out->tg_ctx_ts = 1 / t;
	/* prefill of 512 tokens: the weights once, the FLOPs of every token at its depth */
	t = T_READ((double)mem->decode_bytes) / 512 + hx_fit_token_flops(m, mem, 256) / fl;
	out->pp_ts = 1 / t;
	/* n_par sequences per step: the dense weights once, the experts any of them routes to
	 * (expected share 1 - (1 - used/count)^n_par), each sequence's KV at half the context */
	wread = (double)(mem->decode_bytes - (uint64_t)((double)mem->expert_bytes *
		(d.n_expert ? (double)d.n_expert_used / d.n_expert : 1)));
	wread += (double)mem->expert_bytes * (d.n_expert ? 1 - pow(1 - (double)d.n_expert_used / d.n_expert, n_par) : 1);
	t = T_READ(wread + n_par * (hx_fit_token_bytes(m, mem, half) - (double)mem->decode_bytes)) +
		n_par * hx_fit_token_flops(m, mem, half) / fl;
#undef T_READ
	out->batch_ts = n_par / t;
	/* $ per million generated tokens at the batched rate */
	mult = hw->devices > 1 ? ceil((double)out->n_devices / hw->devices) : out->n_devices;
	owned_h = mult * (hw->price_usd / (o->amortise_years * 8766) + hw->power_w / 1000 * o->usd_per_kwh);
	out->usd_per_mtok_owned = hw->price_usd >= 0 ? owned_h / (out->batch_ts * 3600) * 1e6 : -1;
	out->usd_per_mtok_cloud = hw->cloud_usd_per_hour >= 0 ?
		hw->cloud_usd_per_hour * out->n_devices / (out->batch_ts * 3600) * 1e6 : -1;
}

/* ---------------------------------------------------------------- calibration */

int hx_fit_bench_load(const char *path, hx_fit_bench **rows, size_t *n, char *err, size_t errlen)
{
	tb_buf b;
	cJSON *j = NULL;
	hx_fit_bench *r = NULL;
	jctx jc = { path, err, errlen };
	size_t k = 0;
	int rc = HX_EINVAL;

	*rows = NULL;
	*n = 0;
	tb_buf_init(&b, HW_MAX_BYTES);
	if (tb_file_read(path, HW_MAX_BYTES, &b, err, errlen)) {
		rc = HX_EIO;
		goto out;
	}
	if (!(j = cJSON_Parse(tb_buf_str(&b))) || !cJSON_IsArray(j)) {
		snprintf(err, errlen, "%s: not a JSON array (expected `tierbench bench -o json` output)", path);
		goto out;
	}
	if (!(r = calloc((size_t)cJSON_GetArraySize(j) + 1, sizeof *r))) {
		rc = HX_ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	for (int i = 0; i < cJSON_GetArraySize(j); i++) {
		const cJSON *o = cJSON_GetArrayItem(j, i);
		char test[48], where[32];
		double depth, bw;
		hx_fit_bench *x = &r[k];
		snprintf(where, sizeof where, "[%d]", i);
		if (!cJSON_IsObject(o)) {
			snprintf(err, errlen, "%s: %s: expected an object", path, where);
			goto out;
		}
		if ((rc = jstr(&jc, o, where, "test", 1, test, sizeof test)) ||
		    (rc = jstr(&jc, o, where, "model_type", 0, x->type, sizeof x->type)) ||
		    (rc = jnum(&jc, o, where, "n_depth", 0, 0, 0, &depth)) ||
		    (rc = jnum(&jc, o, where, "avg_ts", 1, 0, 0.000001, &x->ts)) ||
		    (rc = jnum(&jc, o, where, "weight_bytes_per_token", 1, 0, 1, &x->bytes_per_token)) ||
		    (rc = jnum(&jc, o, where, "model_n_params", 1, 0, 1, &x->n_params)) ||
		    (rc = jnum(&jc, o, where, "mem_bw_gbs", 0, 0, 0, &bw)))
			goto out;
		rc = HX_EINVAL;
		if (depth > 0 || strchr(test, '+') || (sscanf(test, "pp%d", &x->n_tokens) != 1 &&
		    sscanf(test, "tg%d", &x->n_tokens) != 1))
			continue;
		x->is_pp = test[0] == 'p';
		x->mem_bw_gbs = bw;
		if (!x->is_pp && !(bw > 0)) {
			snprintf(err, errlen, "%s: %s.mem_bw_gbs: a tg row needs the measured bandwidth (bench without --no-bw)",
				path, where);
			goto out;
		}
		k++;
	}
	*rows = r;
	*n = k;
	r = NULL;
	rc = 0;
out:
	free(r);
	cJSON_Delete(j);
	tb_buf_release(&b);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int hx_fit_calibrate(const hx_fit_bench *rows, size_t n, double peak_tflops, double *bw_eff,
	double *compute_eff)
{
	double *v = malloc((n ? n : 1) * sizeof *v);
	size_t k = 0;
	if (!v)
		return HX_ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (rows[i].is_pp)
			v[k++] = rows[i].ts * 2 * rows[i].n_params / (peak_tflops * 1e12);
	if (!k || !(peak_tflops > 0)) {
		free(v);
		return HX_EINVAL;
	}
	*compute_eff = median(v, k);
	k = 0;
	for (size_t i = 0; i < n; i++)
		if (!rows[i].is_pp) {
			double t_mem = 1 / rows[i].ts - 2 * rows[i].n_params / (*compute_eff * peak_tflops * 1e12);
			if (t_mem > 0)
				v[k++] = rows[i].bytes_per_token / (t_mem * rows[i].mem_bw_gbs * 1e9);
		}
	if (!k) {
		free(v);
		return HX_EINVAL;
	}
	*bw_eff = median(v, k);
	free(v);
	return 0;
}

double hx_fit_bench_predict(const hx_fit_bench *row, double peak_tflops, double bw_eff,
	double compute_eff)
{
	double t_c = 2 * row->n_params / (compute_eff * peak_tflops * 1e12);
	if (row->is_pp)
		return 1 / t_c;
	return 1 / (row->bytes_per_token / (bw_eff * row->mem_bw_gbs * 1e9) + t_c);
}
