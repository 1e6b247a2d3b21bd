/* tests/fuzz/fuzz_gguf.c — libFuzzer harness for the GGUF reader (engine/gguf.c): each input is
 * opened with eng_gguf_open_mem and everything the API exposes is walked — every key with every
 * typed getter, every array element (nested too) and every tensor, whose first and last data
 * bytes are read so that ASan flags a range that escapes the input. Built with
 * -DFUZZ_GGUF_SEEDS it is instead a program that writes seed files: `fuzz_gguf_seeds DIR
 * [MODEL.gguf...]` (a document with every value type, small tensor documents, and the metadata
 * of each given model with its small tensors). `make fuzz` builds and runs both. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf_impl.h"
#include "engine/quant_impl.h"

#include "tests/fuzz/fuzz_util.h"

/* ------------------------------------------------------------------ the walk */

static volatile unsigned char sink;

/* A broken invariant: crash so libFuzzer records the input. */

static void walk_value(const eng_gguf *g, const eng_gguf_value *v, int depth)
{
	eng_gguf_value e;

	if (v->type == ENG_GGUF_STR) {
		fuzz_check(v->str != NULL && v->str[v->str_len] == 0);
		return;
	}
	if (v->type != ENG_GGUF_ARR)
		return;
	fuzz_check(depth < 64);
	for (uint64_t j = 0; j < v->arr_n; j++) {
		fuzz_check(eng_gguf_arr_elem(g, v, j, &e) == 0);
		fuzz_check(e.type == v->arr_type);
		walk_value(g, &e, depth + 1);
	}
	fuzz_check(eng_gguf_arr_elem(g, v, v->arr_n, &e) == -1);
}

/* Every getter on key i; the results only need to be consistent with the key's type. */
static void walk_key(const eng_gguf *g, int64_t i)
{
	const char *key = eng_gguf_key(g, i), *s;
	eng_gguf_value v;
	uint32_t u;
	int64_t i64;
	float f;
	double d;
	int b, et;
	uint64_t n;
	size_t len;

	fuzz_check(key != NULL && eng_gguf_find_key(g, key) == i);
	fuzz_check(eng_gguf_kv_value(g, i, &v) == 0 && v.type == eng_gguf_kv_type(g, i));
	walk_value(g, &v, 0);
	(void)eng_gguf_get_u32(g, key, &u);
	(void)eng_gguf_get_i64(g, key, &i64);
	(void)eng_gguf_get_f32(g, key, &f);
	(void)eng_gguf_get_bool(g, key, &b);
	if (eng_gguf_get_str(g, key, &s, &len) == 0)
		fuzz_check(s[len] == 0);
	if (eng_gguf_get_arr(g, key, &et, &n) != 0 || n == 0)
		return;
	for (uint64_t k = 0; k < n && k < 4; k++) {
		uint64_t j = k < 2 ? k : n - 1 - (k - 2);   /* the first two and the last two */
		(void)eng_gguf_arr_i64(g, key, j, &i64);
		(void)eng_gguf_arr_f64(g, key, j, &d);
		if ((s = eng_gguf_arr_str(g, key, j, &len)) != NULL)
			sink ^= (unsigned char)s[len];
	}
	fuzz_check(eng_gguf_arr_str(g, key, n, &len) == NULL);
	if (eng_gguf_arr_raw(g, key))
		sink ^= *(const unsigned char *)eng_gguf_arr_raw(g, key);
}

static void walk_tensor(const eng_gguf *g, int64_t i, const uint8_t *buf, size_t len)
{
	const eng_gguf_tensor *t = eng_gguf_tensor_at(g, i);
	const unsigned char *p;

	fuzz_check(t != NULL && eng_gguf_find_tensor(g, t->name) == t);
	fuzz_check(t->n_dims >= 1 && t->n_dims <= ENG_GGUF_MAX_DIMS && eng_type_get(t->type) != NULL);
	for (int d = 0; d < ENG_GGUF_MAX_DIMS; d++)
		fuzz_check(t->ne[d] >= 1);
	p = t->data;
	fuzz_check(t->size_bytes > 0 && p >= buf && t->size_bytes <= len &&
			(size_t)(p - buf) <= len - t->size_bytes);
	fuzz_check(t->offset % eng_gguf_alignment(g) == 0);
	sink ^= p[0];
	sink ^= p[t->size_bytes - 1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	eng_gguf *g = eng_gguf_open_mem(data, size, "fuzz.gguf", err, sizeof err);

	if (!g) {
		/* one line naming the input and the offset */
		fuzz_check(strncmp(err, "fuzz.gguf: ", 11) == 0 && strchr(err, '\n') == NULL);
		return 0;
	}
	fuzz_check(eng_gguf_version(g) == 2 || eng_gguf_version(g) == 3);
	fuzz_check(eng_gguf_file_size(g) == size);
	for (int64_t i = 0; i < eng_gguf_n_kv(g); i++)
		walk_key(g, i);
	fuzz_check(eng_gguf_key(g, eng_gguf_n_kv(g)) == NULL);
	for (int64_t i = 0; i < eng_gguf_n_tensors(g); i++)
		walk_tensor(g, i, data, size);
	fuzz_check(eng_gguf_tensor_at(g, eng_gguf_n_tensors(g)) == NULL);
	eng_gguf_close(g);
	return 0;
}

/* ------------------------------------------------------------------ seed writer */
#ifdef FUZZ_GGUF_SEEDS

/* A hand-built metadata section (the writer has no setter for every type): bytes and key count. */
typedef struct seedbuf {
	unsigned char p[1024];
	size_t n;
	uint64_t n_kv;
} seedbuf;

static void sb_put(seedbuf *b, const void *s, size_t n)
{
	if (b->n + n > sizeof b->p)
		abort();
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void sb_le(seedbuf *b, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++) {
		unsigned char c = (unsigned char)(v >> (8 * i));
		sb_put(b, &c, 1);
	}
}

static void sb_str(seedbuf *b, const char *s)
{
	sb_le(b, strlen(s), 8);
	sb_put(b, s, strlen(s));
}

/* A key of scalar type t whose value is `bytes` bytes of v. */
static void sb_scalar(seedbuf *b, const char *key, int t, uint64_t v, int bytes)
{
	sb_str(b, key);
	sb_le(b, (uint64_t)t, 4);
	sb_le(b, v, bytes);
	b->n_kv++;
}

/* One key of each value type, and [[["x", "yz"], []], [[1, 2]]] as nested arrays. */
static eng_gguf *every_value_doc(seedbuf *b, char *err, size_t errlen)
{
	seedbuf m = { { 0 }, 0, 0 };
	sb_scalar(&m, "s.u8", ENG_GGUF_U8, 200, 1);
	sb_scalar(&m, "s.i8", ENG_GGUF_I8, 0x9c, 1);
	sb_scalar(&m, "s.u16", ENG_GGUF_U16, 60000, 2);
	sb_scalar(&m, "s.i16", ENG_GGUF_I16, 0x8ad0, 2);
	sb_scalar(&m, "s.u32", ENG_GGUF_U32, 4000000000u, 4);
	sb_scalar(&m, "s.i32", ENG_GGUF_I32, 0x88ca6c00u, 4);
	sb_scalar(&m, "s.f32", ENG_GGUF_F32, 0x40490fdbu, 4);
	sb_scalar(&m, "s.bool", ENG_GGUF_BOOL, 1, 1);
	sb_scalar(&m, "s.u64", ENG_GGUF_U64, UINT64_MAX, 8);
	sb_scalar(&m, "s.i64", ENG_GGUF_I64, (uint64_t)1 << 63, 8);
	sb_scalar(&m, "s.f64", ENG_GGUF_F64, 0xbff0000000000000ull, 8);
	sb_str(&m, "s.str");
	sb_le(&m, ENG_GGUF_STR, 4);
	sb_str(&m, "text");
	m.n_kv++;
	sb_str(&m, "s.nest");
	sb_le(&m, ENG_GGUF_ARR, 4);
	sb_le(&m, ENG_GGUF_ARR, 4); sb_le(&m, 2, 8);
	sb_le(&m, ENG_GGUF_ARR, 4); sb_le(&m, 2, 8);
	sb_le(&m, ENG_GGUF_STR, 4); sb_le(&m, 2, 8); sb_str(&m, "x"); sb_str(&m, "yz");
	sb_le(&m, ENG_GGUF_STR, 4); sb_le(&m, 0, 8);
	sb_le(&m, ENG_GGUF_ARR, 4); sb_le(&m, 1, 8);
	sb_le(&m, ENG_GGUF_I16, 4); sb_le(&m, 2, 8); sb_le(&m, 1, 2); sb_le(&m, 2, 2);
	m.n_kv++;
	sb_str(&m, "s.bools");
	sb_le(&m, ENG_GGUF_ARR, 4);
	sb_le(&m, ENG_GGUF_BOOL, 4); sb_le(&m, 3, 8); sb_le(&m, 0x010001, 3);
	m.n_kv++;

	b->n = 0;
	sb_put(b, "GGUF", 4);
	sb_le(b, 3, 4);
	sb_le(b, 0, 8);
	sb_le(b, m.n_kv, 8);
	sb_put(b, m.p, m.n);
	return eng_gguf_open_mem(b->p, b->n, "every", err, errlen);
}

/* Adds a tensor of the given type and shape filled with a byte pattern. */
static int add_tensor(eng_gguf_writer *w, const char *name, int type, int n_dims,
		int64_t ne0, int64_t ne1)
{
	int64_t ne[2] = { ne0, ne1 };
	size_t n = eng_row_size(type, ne0) * (size_t)(n_dims > 1 ? ne1 : 1);
	unsigned char *p = malloc(n ? n : 1);
	int rc;
	if (!p)
		return -1;
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 37 + 11);
	rc = eng_gguf_w_tensor(w, name, type, n_dims, ne, p);
	free(p);
	return rc;
}

static int save(eng_gguf_writer *w, const char *dir, const char *name)
{
	char path[4096], err[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (eng_gguf_writer_save(w, path, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz_gguf_seeds: %s\n", err);
		return -1;
	}
	return 0;
}

/* The metadata of a model file plus those of its tensors under 4 KiB (norm weights). */
static int seed_from_model(const char *dir, const char *model)
{
	char err[512], name[512];
	const char *base = strrchr(model, '/');
	eng_gguf *g = eng_gguf_open(model, err, sizeof err);
	eng_gguf_writer *w;
	int rc = -1;

	if (!g) {
		fprintf(stderr, "fuzz_gguf_seeds: skipped: %s\n", err);
		return 0;
	}
	if (!(w = eng_gguf_writer_new()) || eng_gguf_w_copy_kv(w, g))
		goto out;
	for (int64_t i = 0; i < eng_gguf_n_tensors(g); i++) {
		const eng_gguf_tensor *t = eng_gguf_tensor_at(g, i);
		if (t->size_bytes <= 4096 &&
				eng_gguf_w_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data) < 0)
			goto out;
	}
	snprintf(name, sizeof name, "meta-%s", base ? base + 1 : model);
	rc = save(w, dir, name);
out:
	eng_gguf_writer_free(w);
	eng_gguf_close(g);
	return rc;
}

int main(int argc, char **argv)
{
	static const char *toks[] = { "<unk>", "<s>", "</s>", "\xe2\x96\x81the", "" };
	static const float scores[] = { 0.0f, 0.0f, 0.0f, -1.25f, -2.5f };
	static const int32_t types[] = { 2, 3, 3, 1, 1 };
	seedbuf b;
	char err[512];
	eng_gguf *every;
	eng_gguf_writer *w;
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR [MODEL.gguf...]\n", argv[0]);
		return 2;
	}
	if (!(every = every_value_doc(&b, err, sizeof err))) {
		fprintf(stderr, "fuzz_gguf_seeds: %s\n", err);
		return 1;
	}

	/* every value type, a vocabulary and tensors of several types */
	w = eng_gguf_writer_new();
	if (!w || eng_gguf_w_copy_kv(w, every) ||
			eng_gguf_w_str(w, "general.architecture", "llama") ||
			eng_gguf_w_arr_str(w, "tokenizer.ggml.tokens", toks, 5) ||
			eng_gguf_w_arr_f32(w, "tokenizer.ggml.scores", scores, 5) ||
			eng_gguf_w_arr_i32(w, "tokenizer.ggml.token_type", types, 5) ||
			add_tensor(w, "f32", ENG_T_F32, 1, 8, 1) ||
			add_tensor(w, "f16", ENG_T_F16, 2, 4, 2) ||
			add_tensor(w, "q4_0", ENG_T_Q4_0, 2, 32, 2) ||
			add_tensor(w, "q8_0", ENG_T_Q8_0, 1, 32, 1) ||
			add_tensor(w, "q4_K", ENG_T_Q4_K, 1, 256, 1) ||
			save(w, argv[1], "every.gguf"))
		rc = 1;
	eng_gguf_writer_free(w);

	/* nothing at all; and a custom alignment */
	w = eng_gguf_writer_new();
	if (!w || save(w, argv[1], "empty.gguf") ||
			eng_gguf_w_u32(w, "general.alignment", 8) ||
			add_tensor(w, "a", ENG_T_F32, 1, 3, 1) ||
			add_tensor(w, "b", ENG_T_BF16, 2, 3, 3) ||
			save(w, argv[1], "align8.gguf"))
		rc = 1;
	eng_gguf_writer_free(w);
	eng_gguf_close(every);

	for (int i = 2; i < argc; i++)
		if (seed_from_model(argv[1], argv[i]))
			rc = 1;
	return rc;
}

#endif
