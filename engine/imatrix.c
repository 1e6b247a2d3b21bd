/* engine/imatrix.c — importance matrices: per-column activation statistics of every weight
 * product (the sum of x^2 over the input rows, with the row count, per expert of an expert
 * tensor), collected through the forward pass's matmul observer over a text in chunks the way
 * llama.cpp's llama-imatrix defines them, written in its GGUF imatrix format, and read back
 * from that format or the legacy .dat for the quantizer. The formats' facts come from
 * llama.cpp's imatrix tool (docs/quant-formats.md "Importance matrices"); the code is this
 * project's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/engine_impl.h"
#include "engine/gguf_impl.h"
#include "engine/quant_impl.h"

/* One weight's statistics: sum2 [n_mat][n_in] (float sums in row order, as llama-imatrix
 * accumulates), count [n_mat] input rows per matrix. */
typedef struct im_entry {
	char *name;
	int64_t n_in;
	int n_mat;
	float *sum2;
	double *count;
} im_entry;

struct eng_imatrix {
	im_entry *e;
	int64_t n, cap;
	int64_t last;                /* the entry the previous observation hit */
	int chunk_count, chunk_size;
	int n_decode;                /* eng_decode calls of eng_imatrix_compute (0 for a loaded file) */
	char *dataset;
	int process_output;
	int failed;                  /* an observation could not be recorded (OOM, shape change) */
	char fail_msg[160];
};

/* The longest entry name read from a file. */
#define IM_NAME_MAX 4096

eng_imatrix_params eng_imatrix_params_default(void)
{
	eng_imatrix_params p;

	memset(&p, 0, sizeof p);
	return p;
}

eng_imatrix *eng_imatrix_new(void)
{
	return calloc(1, sizeof(eng_imatrix));
}

void eng_imatrix_free(eng_imatrix *im)
{
	if (!im)
		return;
	for (int64_t i = 0; i < im->n; i++) {
		free(im->e[i].name);
		free(im->e[i].sum2);
		free(im->e[i].count);
	}
	free(im->e);
	free(im->dataset);
	free(im);
}

static im_entry *find(const eng_imatrix *im, const char *name)
{
	for (int64_t i = 0; i < im->n; i++)
		if (strcmp(im->e[i].name, name) == 0)
			return &im->e[i];
	return NULL;
}

/* A new zeroed entry, or NULL out of memory. */
static im_entry *add(eng_imatrix *im, const char *name, int64_t n_in, int n_mat)
{
	im_entry *e;

	if (im->n == im->cap) {
		int64_t cap = im->cap ? im->cap * 2 : 64;
		im_entry *ne = realloc(im->e, sizeof *ne * (size_t)cap);

		if (!ne)
			return NULL;
		im->e = ne;
		im->cap = cap;
	}
	e = &im->e[im->n];
	memset(e, 0, sizeof *e);
	e->n_in = n_in;
	e->n_mat = n_mat;
	if (!(e->name = strdup(name)) || !(e->sum2 = calloc((size_t)n_in * (size_t)n_mat, sizeof *e->sum2)) ||
	    !(e->count = calloc((size_t)n_mat, sizeof *e->count))) {
		free(e->name);
		free(e->sum2);
		return NULL;
	}
	im->n++;
	return e;
}

static int starts_with(const char *s, const char *head)
{
	return strncmp(s, head, strlen(head)) == 0;
}

void eng_imatrix_observe(void *ud, const eng_matmul_obs *o)
{
	eng_imatrix *im = ud;
	im_entry *e = NULL;
	int mat = o->expert < 0 ? 0 : o->expert;

	if (im->failed)
		return;
	/* llama-imatrix: every expert product; plain products of 16 tokens or more, of the
	 * blocks' weights (and the output head when asked) */
	if (o->expert < 0 && (o->n_tokens < 16 ||
	    !(starts_with(o->weight, "blk.") || (im->process_output && strcmp(o->weight, "output.weight") == 0))))
		return;
	if (im->last >= 0 && im->last < im->n && strcmp(im->e[im->last].name, o->weight) == 0)
		e = &im->e[im->last];
	else if (im->last + 1 < im->n && strcmp(im->e[im->last + 1].name, o->weight) == 0)
		e = &im->e[++im->last];
	else if ((e = find(im, o->weight)))
		im->last = e - im->e;
	else if (!(e = add(im, o->weight, o->n_in, o->n_expert))) {
		im->failed = 1;
		snprintf(im->fail_msg, sizeof im->fail_msg, "out of memory recording '%s'", o->weight);
		return;
	} else
		im->last = im->n - 1;
	if (e->n_in != o->n_in || e->n_mat != o->n_expert || mat >= e->n_mat) {
		im->failed = 1;
		snprintf(im->fail_msg, sizeof im->fail_msg, "'%s': inconsistent shape (%lld x %d, then %lld x %d)",
			o->weight, (long long)e->n_in, e->n_mat, (long long)o->n_in, o->n_expert);
		return;
	}
	{
		float *s = e->sum2 + (size_t)mat * (size_t)e->n_in;

		for (int r = 0; r < o->n_rows; r++) {
			const float *x = o->x + (size_t)r * o->stride;

			for (int64_t j = 0; j < e->n_in; j++)
				s[j] += x[j] * x[j];
		}
		e->count[mat] += o->n_rows;
		for (int64_t j = 0; j < e->n_in; j++)
			if (!isfinite(s[j])) {
				im->failed = 1;
				snprintf(im->fail_msg, sizeof im->fail_msg, "'%s': non-finite activation sum in column %lld",
					o->weight, (long long)j);
				return;
			}
	}
}

/* 1 when the vocabulary puts BOS in front of a text (llama_vocab_get_add_bos). */
static int adds_bos(const eng_model *m)
{
	int32_t t[4];

	return eng_token_bos(m) >= 0 && eng_tokenize(m, "", 0, 1, 0, t, 4) >= 1 && t[0] == eng_token_bos(m);
}

eng_imatrix *eng_imatrix_compute(eng_model *m, const char *text, size_t len, const eng_imatrix_params *p,
		char *err, size_t errlen)
{
	eng_imatrix_params dp = eng_imatrix_params_default();
	eng_ctx_params cp = eng_ctx_params_default();
	eng_imatrix *im = NULL;
	eng_ctx *c = NULL;
	int32_t *tok = NULL;
	int8_t *want = NULL;
	int n_tok, n_ctx, n_batch, n_chunk, bos;

	if (!p)
		p = &dp;
	n_ctx = p->n_ctx > 0 ? p->n_ctx : 512;
	n_batch = p->n_batch > 0 && p->n_batch < n_ctx ? p->n_batch : n_ctx;
	if (!m || !text) {
		eng_seterr(err, errlen, "imatrix: no model or text");
		return NULL;
	}
	if (len > (size_t)1 << 30) {
		eng_seterr(err, errlen, "imatrix: text of %zu bytes is over the 1 GiB limit", len);
		return NULL;
	}
	/* the whole text, BOS first as the vocabulary asks (llama-imatrix tokenizes it at once) */
	n_tok = eng_tokenize(m, text, len, 1, 0, NULL, 0);
	if (n_tok < 0 || !(tok = malloc(sizeof *tok * (size_t)(n_tok + 1))) ||
	    eng_tokenize(m, text, len, 1, 0, tok, n_tok + 1) != n_tok) {
		eng_seterr(err, errlen, "imatrix: cannot tokenize the text");
		goto fail;
	}
	if (n_tok < 2 * n_ctx) {
		eng_seterr(err, errlen, "imatrix: the text gives %d tokens; a context of %d needs at least %d",
			n_tok, n_ctx, 2 * n_ctx);
		goto fail;
	}
	n_chunk = n_tok / n_ctx;
	if (p->n_chunks > 0 && p->n_chunks < n_chunk)
		n_chunk = p->n_chunks;
	bos = adds_bos(m);

	cp.n_ctx = n_ctx;
	cp.n_batch = n_batch;
	cp.n_threads = p->n_threads;
	cp.n_outputs = p->process_output ? n_batch : 1;
	if (!(c = eng_ctx_new(m, &cp, err, errlen)))
		goto fail;
	if (!(im = eng_imatrix_new()) || !(want = calloc((size_t)n_batch, 1)) ||
	    (p->dataset && !(im->dataset = strdup(p->dataset)))) {
		eng_seterr(err, errlen, "imatrix: out of memory");
		goto fail;
	}
	im->last = -1;
	im->process_output = p->process_output;
	im->chunk_size = n_ctx;
	if (eng_ctx_set_matmul_observer(c, eng_imatrix_observe, im) != 0) {
		eng_seterr(err, errlen, "imatrix: the model's layers run on a GPU; collect on the CPU");
		goto fail;
	}
	for (int i = 0; i < n_chunk; i++) {
		eng_kv_remove(c, -1, 0, -1);
		for (int b0 = 0; b0 < n_ctx; b0 += n_batch) {
			int nb = n_ctx - b0 < n_batch ? n_ctx - b0 : n_batch;
			int32_t *t = tok + (size_t)i * (size_t)n_ctx + (size_t)b0, keep = t[0];
			eng_batch b = { nb, t, NULL, NULL, NULL };
			int rc;

			for (int j = 0; j < nb; j++)
				want[j] = p->process_output || j == nb - 1;
			b.want_logits = want;
			if (bos && b0 == 0)
				t[0] = eng_token_bos(m);   /* each chunk starts with BOS, as llama-imatrix */
			rc = eng_decode(c, &b);
			t[0] = keep;
			im->n_decode++;
			if (rc != 0) {
				eng_seterr(err, errlen, "imatrix: chunk %d: decode failed: %s", i + 1, eng_strerror(rc));
				goto fail;
			}
			if (im->failed) {
				eng_seterr(err, errlen, "imatrix: chunk %d: %s", i + 1, im->fail_msg);
				goto fail;
			}
		}
		im->chunk_count = i + 1;
		if (p->progress)
			p->progress(i + 1, n_chunk, p->progress_ud);
	}
	if (im->n == 0) {
		eng_seterr(err, errlen, "imatrix: no weight product of 16 tokens or more was seen (llama-imatrix "
			"skips smaller ones): use a batch of at least 16 tokens");
		goto fail;
	}
	eng_ctx_free(c);
	free(want);
	free(tok);
	return im;
fail:
	eng_ctx_free(c);
	eng_imatrix_free(im);
	free(want);
	free(tok);
	return NULL;
}

/* ---------------------------------------------------------------- queries */

int64_t eng_imatrix_n_entries(const eng_imatrix *im)
{
	return im ? im->n : 0;
}

const char *eng_imatrix_name(const eng_imatrix *im, int64_t i)
{
	return im && i >= 0 && i < im->n ? im->e[i].name : NULL;
}

int eng_imatrix_chunks(const eng_imatrix *im)
{
	return im ? im->chunk_count : 0;
}

const char *eng_imatrix_dataset(const eng_imatrix *im)
{
	return im ? im->dataset : NULL;
}

int eng_imatrix_values(const eng_imatrix *im, const char *name, float *out, int64_t cap,
		int64_t *n_in, int *n_mat)
{
	const im_entry *e = im ? find(im, name) : NULL;

	if (!e)
		return ENG_EINVAL;
	if (n_in)
		*n_in = e->n_in;
	if (n_mat)
		*n_mat = e->n_mat;
	if (!out)
		return ENG_OK;
	if (cap < e->n_in * e->n_mat)
		return ENG_EINVAL;
	for (int k = 0; k < e->n_mat; k++) {
		const float *s = e->sum2 + (size_t)k * (size_t)e->n_in;
		float *o = out + (size_t)k * (size_t)e->n_in;

		/* a matrix that saw no rows weighs every column alike (llama-quantize sets 1) */
		for (int64_t j = 0; j < e->n_in; j++)
			o[j] = e->count[k] > 0 ? (float)(s[j] / e->count[k]) : 1.0f;
	}
	return ENG_OK;
}

/* ---------------------------------------------------------------- files */

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const im_entry *)a)->name, ((const im_entry *)b)->name);
}

/* The entries sorted by name (llama-imatrix's deterministic order), as pointers. */
static const im_entry **sorted(const eng_imatrix *im)
{
	im_entry *copy = malloc(sizeof *copy * (size_t)(im->n ? im->n : 1));
	const im_entry **out = malloc(sizeof *out * (size_t)(im->n ? im->n : 1));

	if (!copy || !out) {
		free(copy);
		free(out);
		return NULL;
	}
	memcpy(copy, im->e, sizeof *copy * (size_t)im->n);
	qsort(copy, (size_t)im->n, sizeof *copy, cmp_entry);
	for (int64_t i = 0; i < im->n; i++)
		out[i] = find(im, copy[i].name);
	free(copy);
	return out;
}

int eng_imatrix_save(const eng_imatrix *im, const char *path, char *err, size_t errlen)
{
	eng_gguf_writer *w = NULL;
	const im_entry **ord = NULL;
	float *cnt = NULL;
	const char *ds = im && im->dataset ? im->dataset : "";
	char name[IM_NAME_MAX + 16];
	int rc = ENG_ENOMEM;

	if (!im || !path) {
		eng_seterr(err, errlen, "imatrix: nothing to save");
		return ENG_EINVAL;
	}
	if (!(w = eng_gguf_writer_new()) || !(ord = sorted(im)))
		goto oom;
	if (eng_gguf_w_str(w, "general.type", "imatrix") ||
	    eng_gguf_w_arr_str(w, "imatrix.datasets", &ds, im->dataset ? 1 : 0) ||
	    eng_gguf_w_u32(w, "imatrix.chunk_count", (uint32_t)im->chunk_count) ||
	    eng_gguf_w_u32(w, "imatrix.chunk_size", (uint32_t)im->chunk_size))
		goto oom;
	for (int64_t i = 0; i < im->n; i++) {
		const im_entry *e = ord[i];
		int64_t ne_s[2] = { e->n_in, e->n_mat }, ne_c[2] = { 1, e->n_mat };

		free(cnt);
		if (!(cnt = malloc(sizeof *cnt * (size_t)e->n_mat)))
			goto oom;
		for (int k = 0; k < e->n_mat; k++)
			cnt[k] = (float)e->count[k];
		snprintf(name, sizeof name, "%s.in_sum2", e->name);
		if ((rc = eng_gguf_w_tensor(w, name, ENG_T_F32, 2, ne_s, e->sum2)) != 0)
			goto bad;
		snprintf(name, sizeof name, "%s.counts", e->name);
		if ((rc = eng_gguf_w_tensor(w, name, ENG_T_F32, 2, ne_c, cnt)) != 0)
			goto bad;
	}
	rc = eng_gguf_writer_save(w, path, err, errlen) ? ENG_EIO : ENG_OK;
	goto done;
bad:
	eng_seterr(err, errlen, "%s: tensor '%s': %s", path, name, rc == -1 ? "out of memory" : "bad shape");
	rc = rc == -1 ? ENG_ENOMEM : ENG_EINVAL;
	goto done;
oom:
	eng_seterr(err, errlen, "%s: out of memory", path);
	rc = ENG_ENOMEM;
done:
	free(cnt);
	free(ord);
	eng_gguf_writer_free(w);
	return rc;
}

static int put(FILE *f, const void *p, size_t n)
{
	return fwrite(p, 1, n, f) == n ? 0 : -1;
}

int eng_imatrix_save_dat(const eng_imatrix *im, const char *path, char *err, size_t errlen)
{
	const im_entry **ord = NULL;
	char tmp[4096];
	FILE *f = NULL;
	int32_t n = 0, v;
	int rc = ENG_EIO;
	const int cs = im && im->chunk_size > 0 ? im->chunk_size : 1;

	if (!im || !path) {
		eng_seterr(err, errlen, "imatrix: nothing to save");
		return ENG_EINVAL;
	}
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		eng_seterr(err, errlen, "%s: path too long", path);
		return ENG_EINVAL;
	}
	if (!(ord = sorted(im))) {
		eng_seterr(err, errlen, "%s: out of memory", path);
		return ENG_ENOMEM;
	}
	/* the legacy format keeps only entries with data for every matrix */
	for (int64_t i = 0; i < im->n; i++) {
		int full = 1;

		for (int k = 0; k < ord[i]->n_mat; k++)
			full &= ord[i]->count[k] > 0;
		n += full;
	}
	if (!(f = fopen(tmp, "wb")) || put(f, &n, 4))
		goto io;
	for (int64_t i = 0; i < im->n; i++) {
		const im_entry *e = ord[i];
		int32_t len = (int32_t)strlen(e->name), nval = (int32_t)(e->n_in * e->n_mat), ncall;
		double mx = 0;
		int full = 1;

		for (int k = 0; k < e->n_mat; k++) {
			full &= e->count[k] > 0;
			mx = e->count[k] > mx ? e->count[k] : mx;
		}
		if (!full)
			continue;
		/* "ncall": llama-imatrix's products per weight, one per decode step; for a matrix read
		 * from a file, the rows in chunks, rounded up. The values are the means times it. */
		ncall = im->n_decode > 0 ? im->n_decode : (int32_t)((mx + cs - 1) / cs);
		if (put(f, &len, 4) || put(f, e->name, (size_t)len) || put(f, &ncall, 4) || put(f, &nval, 4))
			goto io;
		for (int k = 0; k < e->n_mat; k++)
			for (int64_t j = 0; j < e->n_in; j++) {
				float x = (e->sum2[(size_t)k * (size_t)e->n_in + (size_t)j] / (float)e->count[k]) * (float)ncall;

				if (put(f, &x, 4))
					goto io;
			}
	}
	v = im->chunk_count;
	if (put(f, &v, 4))
		goto io;
	v = im->dataset ? (int32_t)strlen(im->dataset) : 0;
	if (put(f, &v, 4) || (v && put(f, im->dataset, (size_t)v)))
		goto io;
	if (fclose(f)) {
		f = NULL;
		goto io;
	}
	f = NULL;
	if (rename(tmp, path)) {
		remove(tmp);
		goto io;
	}
	rc = ENG_OK;
	goto done;
io:
	eng_seterr(err, errlen, "%s: cannot write", path);
	if (f) {
		fclose(f);
		remove(tmp);
	}
done:
	free(ord);
	return rc;
}

/* 1 (with err naming the entry) when a sum of squares is negative or a weight sum / count
 * leaves the float range (a tiny count under a large sum), as eng_imatrix_values computes it. */
static int bad_weight(const im_entry *e, const char *path, const char *what, char *err, size_t errlen)
{
	for (int k = 0; k < e->n_mat; k++)
		for (int64_t j = 0; j < e->n_in; j++) {
			const float v = e->sum2[(size_t)k * (size_t)e->n_in + (size_t)j];

			if (v < 0 || (e->count[k] > 0 && !isfinite((float)(v / e->count[k])))) {
				eng_seterr(err, errlen, "%s: '%s': value %lld of matrix %d (%g over a count of %g) is %s",
					path, what, (long long)j, k, (double)v, e->count[k],
					v < 0 ? "negative" : "past the float range");
				return 1;
			}
		}
	return 0;
}

/* The GGUF imatrix format: NAME.in_sum2 [n_mat][n_in] and NAME.counts [n_mat][1], f32. */
static eng_imatrix *load_gguf(const char *path, char *err, size_t errlen)
{
	eng_gguf *g = eng_gguf_open(path, err, errlen);
	eng_imatrix *im = NULL;
	const char *s = NULL;
	uint32_t u;
	int64_t nt;

	if (!g)
		return NULL;
	if (eng_gguf_get_str(g, "general.type", &s, NULL) != 0 || strcmp(s, "imatrix") != 0) {
		eng_seterr(err, errlen, "%s: not an imatrix file (general.type is '%s', want 'imatrix')", path,
			s ? s : "");
		goto fail;
	}
	if (!(im = eng_imatrix_new()))
		goto oom;
	im->last = -1;
	if (eng_gguf_get_u32(g, "imatrix.chunk_count", &u) == 0)
		im->chunk_count = (int)u;
	if (eng_gguf_get_u32(g, "imatrix.chunk_size", &u) == 0)
		im->chunk_size = (int)u;
	{
		int et;
		uint64_t na;
		size_t sl;
		const char *d;

		if (eng_gguf_get_arr(g, "imatrix.datasets", &et, &na) == 0 && na > 0 &&
		    (d = eng_gguf_arr_str(g, "imatrix.datasets", na - 1, &sl)) && !(im->dataset = strndup(d, sl)))
			goto oom;
	}
	nt = eng_gguf_n_tensors(g);
	for (int64_t i = 0; i < nt; i++) {
		const eng_gguf_tensor *t = eng_gguf_tensor_at(g, i), *c;
		size_t nl = strlen(t->name), bl;
		char base[IM_NAME_MAX + 16];
		im_entry *e;

		if (nl < 8 || strcmp(t->name + nl - 8, ".in_sum2") != 0)
			continue;   /* .counts are read with their sums; .in_sum and others are not used */
		bl = nl - 8;
		if (bl > IM_NAME_MAX) {
			eng_seterr(err, errlen, "%s: tensor '%s': name too long", path, t->name);
			goto fail;
		}
		memcpy(base, t->name, bl);
		snprintf(base + bl, sizeof base - bl, ".counts");
		c = eng_gguf_find_tensor(g, base);
		base[bl] = 0;
		if (t->type != ENG_T_F32 || t->n_dims > 2 || t->ne[0] < 1 || t->ne[1] < 1 || t->ne[1] > 1 << 20) {
			eng_seterr(err, errlen, "%s: tensor '%s': want f32 [n_mat][n_in]", path, t->name);
			goto fail;
		}
		if (!c || c->type != ENG_T_F32 || c->ne[0] != 1 || c->ne[1] != t->ne[1] || c->n_dims > 2) {
			eng_seterr(err, errlen, "%s: tensor '%s': missing or malformed '%s.counts' (f32 [%lld][1])",
				path, t->name, base, (long long)t->ne[1]);
			goto fail;
		}
		if (find(im, base)) {
			eng_seterr(err, errlen, "%s: entry '%s' appears twice", path, base);
			goto fail;
		}
		if (!(e = add(im, base, t->ne[0], (int)t->ne[1])))
			goto oom;
		memcpy(e->sum2, t->data, sizeof(float) * (size_t)t->ne[0] * (size_t)t->ne[1]);
		for (int k = 0; k < e->n_mat; k++) {
			float cv;

			memcpy(&cv, (const char *)c->data + 4 * (size_t)k, 4);
			if (!isfinite(cv) || cv < 0) {
				eng_seterr(err, errlen, "%s: tensor '%s.counts': bad count %g for matrix %d", path, base, cv, k);
				goto fail;
			}
			e->count[k] = cv;
		}
		for (int64_t j = 0; j < e->n_in * e->n_mat; j++)
			if (!isfinite(e->sum2[j])) {
				eng_seterr(err, errlen, "%s: tensor '%s': non-finite value at %lld", path, t->name, (long long)j);
				goto fail;
			}
		if (bad_weight(e, path, t->name, err, errlen))
			goto fail;
	}
	eng_gguf_close(g);
	return im;
oom:
	eng_seterr(err, errlen, "%s: out of memory", path);
fail:
	eng_imatrix_free(im);
	eng_gguf_close(g);
	return NULL;
}

static int get(FILE *f, void *p, size_t n)
{
	return fread(p, 1, n, f) == n ? 0 : -1;
}

/* The legacy .dat: int32 n_entries, then per entry int32 name length, name, int32 ncall,
 * int32 nval, nval f32 (means times ncall); then, in newer files, int32 chunks and int32
 * length + the dataset name. Entries are stored as one matrix whose count is ncall and whose
 * sums are the values: the means (values / ncall) come back exactly as llama-quantize's. */
static eng_imatrix *load_dat(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	eng_imatrix *im = NULL;
	int32_t n, len, ncall, nval;
	char name[IM_NAME_MAX + 1];
	long off, fsize = 0;

	if (!f) {
		eng_seterr(err, errlen, "%s: cannot open", path);
		return NULL;
	}
	if (!(im = eng_imatrix_new()))
		goto oom;
	im->last = -1;
	if (fseek(f, 0, SEEK_END) != 0 || (fsize = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		eng_seterr(err, errlen, "%s: cannot read", path);
		goto fail;
	}
	if (get(f, &n, 4) || n < 1) {
		eng_seterr(err, errlen, "%s: offset 0: no entries", path);
		goto fail;
	}
	for (int32_t i = 0; i < n; i++) {
		im_entry *e;

		off = ftell(f);
		if (get(f, &len, 4) || len < 1 || len > IM_NAME_MAX || get(f, name, (size_t)len)) {
			eng_seterr(err, errlen, "%s: offset %ld: entry %d: bad or truncated name", path, off, i + 1);
			goto fail;
		}
		name[len] = 0;
		if (strlen(name) != (size_t)len) {
			eng_seterr(err, errlen, "%s: offset %ld: entry %d: name holds a NUL byte", path, off, i + 1);
			goto fail;
		}
		off = ftell(f);
		if (get(f, &ncall, 4) || get(f, &nval, 4) || nval < 1) {
			eng_seterr(err, errlen, "%s: offset %ld: entry '%s': bad value count", path, off, name);
			goto fail;
		}
		if (find(im, name)) {
			eng_seterr(err, errlen, "%s: entry '%s' appears twice", path, name);
			goto fail;
		}
		off = ftell(f);
		if ((int64_t)nval * 4 > (int64_t)fsize - off) {
			eng_seterr(err, errlen, "%s: offset %ld: entry '%s': %d values run past the end", path, off, name, nval);
			goto fail;
		}
		if (!(e = add(im, name, nval, 1)))
			goto oom;
		if (get(f, e->sum2, sizeof(float) * (size_t)nval)) {
			eng_seterr(err, errlen, "%s: offset %ld: entry '%s': %d values run past the end", path, off, name, nval);
			goto fail;
		}
		for (int32_t j = 0; j < nval; j++)
			if (!isfinite(e->sum2[j])) {
				eng_seterr(err, errlen, "%s: entry '%s': non-finite value at %d", path, name, j);
				goto fail;
			}
		e->count[0] = ncall > 0 ? ncall : 1;
		if (bad_weight(e, path, name, err, errlen))
			goto fail;
	}
	{
		int32_t chunks, dl;

		if (get(f, &chunks, 4) == 0) {
			im->chunk_count = chunks;
			if (get(f, &dl, 4) == 0 && dl > 0 && dl <= IM_NAME_MAX) {
				if (!(im->dataset = calloc((size_t)dl + 1, 1)))
					goto oom;
				if (get(f, im->dataset, (size_t)dl)) {
					eng_seterr(err, errlen, "%s: dataset name runs past the end", path);
					goto fail;
				}
			}
		}
	}
	fclose(f);
	return im;
oom:
	eng_seterr(err, errlen, "%s: out of memory", path);
fail:
	eng_imatrix_free(im);
	fclose(f);
	return NULL;
}

eng_imatrix *eng_imatrix_load(const char *path, char *err, size_t errlen)
{
	FILE *f;
	char magic[4] = { 0 };
	size_t got;

	if (!path || !(f = fopen(path, "rb"))) {
		eng_seterr(err, errlen, "%s: cannot open", path ? path : "(null)");
		return NULL;
	}
	got = fread(magic, 1, 4, f);
	fclose(f);
	if (got == 4 && memcmp(magic, "GGUF", 4) == 0)
		return load_gguf(path, err, errlen);
	return load_dat(path, err, errlen);
}
