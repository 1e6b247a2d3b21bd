/* harness/fit.h — hardware fit and speed prediction (`tierbench fit`, docs/fit.md): the hardware
 * catalogue (datasets/hardware.json), a model's memory from a GGUF or a shape file (weights per
 * tensor as the quant types store them, KV cache, recurrent state, compute buffers), the split
 * over devices and host memory, and tokens/s and $ per million tokens from a roofline model whose
 * efficiency factors are calibrated from `tierbench bench` results. Prefix hx_fit_. */
#ifndef HX_FIT_H
#define HX_FIT_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- catalogue */

/* One hardware entry. Figures are per device; an entry with devices > 1 is sold as that many. */
typedef struct hx_fit_hw {
	char name[64];            /* "rtx-4090": what --hardware names */
	char cls[8];              /* "gpu", "apple", "cpu": picks the calibration */
	char desc[160];
	int devices;              /* devices in the entry (1; a cluster more) */
	int max_devices;          /* most devices `fit` may combine (devices, or 8 for a gpu) */
	double memory_gib, usable_fraction;
	double bandwidth_gbs, fp16_tflops, int8_tops;
	char interconnect[48];
	double interconnect_gbs;  /* 0 = none */
	double host_memory_gib, host_bandwidth_gbs;   /* where a gpu offloads; either 0 = no offload */
	double price_usd;         /* the whole entry; < 0 = unknown (this-machine) */
	double cloud_usd_per_hour;   /* per device; < 0 = none */
	double power_w;           /* the whole entry */
	char source[512];
	char as_of[16];
} hx_fit_hw;

/* Efficiency factors of a hardware class: achieved / peak memory bandwidth in decode, achieved /
 * peak FP16 throughput in prefill. measured: 1 when derived from bench results. */
typedef struct hx_fit_calib {
	char cls[8];
	double bw_eff, compute_eff;
	int measured;
	char source[512];
	char as_of[16];
} hx_fit_calib;

typedef struct hx_fit_catalog hx_fit_catalog;

/* Reads a catalogue (the shape of datasets/hardware.json). Errors name the file and the JSON
 * path ("hardware.json: hardware[3].bandwidth_gbs: expected a number > 0").
 * Ownership: caller frees with hx_fit_catalog_free; NULL with err on failure. */
hx_fit_catalog *hx_fit_catalog_load(const char *path, char *err, size_t errlen);
/* Adds the entries of another file, replacing those of the same name: a catalogue-shaped file
 * (its "hardware" and "calibration" arrays), or the output of `tierbench hw --json`, which
 * becomes the entry "this-machine" (see docs/fit.md for what is derived and assumed).
 * Returns 0, or HX_EINVAL / HX_EIO / HX_ENOMEM with one line in err. */
int hx_fit_catalog_merge(hx_fit_catalog *c, const char *path, char *err, size_t errlen);
/* Frees. NULL does nothing. */
void hx_fit_catalog_free(hx_fit_catalog *c);
size_t hx_fit_catalog_count(const hx_fit_catalog *c);
/* Entry i, or by name (NULL when absent). Ownership: borrowed from c until it is freed or merged into. */
const hx_fit_hw *hx_fit_catalog_at(const hx_fit_catalog *c, size_t i);
const hx_fit_hw *hx_fit_catalog_find(const hx_fit_catalog *c, const char *name);
/* The calibration of a class, or NULL. Ownership: borrowed from c. */
const hx_fit_calib *hx_fit_catalog_calib(const hx_fit_catalog *c, const char *cls);
/* Replaces (or adds) the calibration of k->cls. Returns 0 or HX_ENOMEM. */
int hx_fit_catalog_set_calib(hx_fit_catalog *c, const hx_fit_calib *k);
/* Years over which purchase prices are amortised (the file's amortise_years). */
double hx_fit_catalog_amortise_years(const hx_fit_catalog *c);
/* Path of the built-in catalogue: $TB_HARDWARE, else datasets/hardware.json found by walking up
 * from the running binary, else share/tierbench/datasets/hardware.json. Writes it into buf and
 * returns buf, or NULL when none exists. Ownership: buf is the caller's. */
const char *hx_fit_default_path(char *buf, size_t n);

/* ---------------------------------------------------------------- model */

typedef struct hx_fit_model hx_fit_model;

/* Reads a model's shapes: a GGUF file (header only; tensor types as stored) or a shape file
 * (JSON, docs/fit.md). Errors name the file and key ("llama70b.json: kv_heads: 64 heads are
 * not a multiple of 7 KV heads"). Ownership: caller frees with hx_fit_model_free. */
hx_fit_model *hx_fit_model_load(const char *path, char *err, size_t errlen);
void hx_fit_model_free(hx_fit_model *m);

typedef struct hx_fit_model_desc {
	const char *name, *arch;  /* owned by the model */
	const char *stored;       /* "F16", "Q4_K_M", the GGUF's file type or dominant type */
	int from_gguf;
	int n_layer, n_embd, n_head, n_head_kv, n_vocab, n_ctx_train, n_expert, n_expert_used;
	int n_layer_recurrent, n_layer_swa;
	/* publisher figures from a shape file's "published" object; 0 when not given */
	double pub_params, pub_active_params, pub_f16_gb, pub_q4_k_m_gb, pub_native_gb;
	const char *pub_source;   /* NULL when absent */
} hx_fit_model_desc;
/* Fills *d; its strings live as long as m. */
void hx_fit_model_describe(const hx_fit_model *m, hx_fit_model_desc *d);

/* Memory of one quantisation at n_ctx tokens x n_seq sequences (KV cache F16). */
typedef struct hx_fit_mem {
	char quant[32];           /* the mix asked for, or the stored one */
	uint64_t weight_bytes;    /* every tensor as stored (or as the mix would store it) */
	uint64_t layer_max_bytes; /* the largest block (blk.N.*) */
	uint64_t head_bytes;      /* tensors outside blocks (embeddings, output, final norm) */
	uint64_t decode_bytes;    /* weights one decoded token reads: not the embedding lookup, and
	                           * of the experts only n_expert_used / n_expert */
	uint64_t expert_bytes;    /* all *_exps tensors */
	int64_t n_params, n_params_active;
	double bpw;
	uint64_t kv_bytes;        /* KV cache at n_ctx x n_seq (sliding layers capped at the window) */
	uint64_t kv_bytes_per_token;   /* of the layers whose cache grows with every token */
	uint64_t state_bytes;     /* recurrent state, n_seq sequences */
	uint64_t compute_bytes;   /* compute buffer estimate (ubatch 512) */
	uint64_t total_bytes;     /* weights + kv + state + compute */
	int n_ctx, n_seq;
} hx_fit_mem;

/* Computes *out for the mix quant ("F16", "Q8_0", "Q4_K_M", ... as `tierbench quantize` names
 * them; NULL = the types the GGUF stores, or F16 for a shape file). Returns 0, or HX_EINVAL with
 * one line in err (unknown mix, context beyond the model's n_ctx_train, n_seq < 1). */
int hx_fit_memory(const hx_fit_model *m, const char *quant, int n_ctx, int n_seq, hx_fit_mem *out,
	char *err, size_t errlen);

/* Weights one token reads from the KV cache at depth tokens already cached, in bytes, and the
 * FLOPs of one token there (2 per active weight plus attention over the cached tokens). */
double hx_fit_token_bytes(const hx_fit_model *m, const hx_fit_mem *mem, int depth);
double hx_fit_token_flops(const hx_fit_model *m, const hx_fit_mem *mem, int depth);

/* ---------------------------------------------------------------- prediction */

typedef struct hx_fit_opts {
	int n_ctx;                /* context per sequence */
	int n_parallel;           /* sequences decoded together (batched decode) */
	double usd_per_kwh;       /* electricity for the owned cost; 0.15 by default */
	double amortise_years;
} hx_fit_opts;
/* Ownership: value. */
hx_fit_opts hx_fit_opts_default(void);

typedef struct hx_fit_row {
	const hx_fit_hw *hw;      /* borrowed */
	char quant[32];
	int fits;                 /* 1: all in device memory; 2: fits with layers in host memory; 0: no */
	int n_devices;            /* devices used */
	int host_layers;          /* layers in host memory (fits == 2) */
	double dev_peak_bytes;    /* the fullest device */
	double headroom_bytes;    /* usable memory of that device less dev_peak_bytes */
	double pp_ts, tg_ts;      /* prompt (512 tokens into an empty cache) and generation, 1 sequence */
	double tg_ctx_ts;         /* generation with the context full */
	double batch_ts;          /* total generated tokens/s at n_parallel sequences, context half full */
	double usd_per_mtok_cloud;   /* < 0 when the entry has no cloud price */
	double usd_per_mtok_owned;   /* purchase amortised + electricity; < 0 when the price is unknown */
	double bw_eff, compute_eff;  /* the calibration used */
} hx_fit_row;

/* Predicts one row for m at mem on hw with calibration k. Ownership: out->hw borrows hw. */
void hx_fit_predict(const hx_fit_model *m, const hx_fit_mem *mem, const hx_fit_hw *hw,
	const hx_fit_calib *k, const hx_fit_opts *o, hx_fit_row *out);

/* ---------------------------------------------------------------- calibration */

/* One `tierbench bench -o json` row, as the calibration reads it. */
typedef struct hx_fit_bench {
	char type[16];            /* model_type */
	int is_pp;                /* "ppN" test; else "tgN" */
	int n_tokens;             /* N */
	double ts;                /* avg_ts */
	double bytes_per_token;   /* weight_bytes_per_token */
	double n_params;          /* model_n_params */
	double mem_bw_gbs;
} hx_fit_bench;

/* Reads the pp and tg rows (no depth, no -pg) of a bench JSON file. Ownership: caller free()s
 * *rows. Returns 0, or HX_EINVAL / HX_EIO / HX_ENOMEM with one line in err naming the row. */
int hx_fit_bench_load(const char *path, hx_fit_bench **rows, size_t *n, char *err, size_t errlen);
/* Efficiency factors from bench rows of one machine with peak_tflops: compute_eff = median over
 * pp rows of (t/s x 2 x params) / peak; bw_eff = median over tg rows of bytes / ((1 / t/s -
 * compute time) x measured bandwidth). Returns 0, or HX_EINVAL without a pp and a tg row. */
int hx_fit_calibrate(const hx_fit_bench *rows, size_t n, double peak_tflops, double *bw_eff,
	double *compute_eff);
/* The t/s the model predicts for a bench row with those factors. */
double hx_fit_bench_predict(const hx_fit_bench *row, double peak_tflops, double bw_eff,
	double compute_eff);

#endif
