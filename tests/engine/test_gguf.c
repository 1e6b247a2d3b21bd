/* tests/engine/test_gguf.c — the GGUF reader and writer: the real models of the shared folder,
 * writer round trips of every metadata type (nested arrays too) and several tensor types, and
 * corrupt input, one test per defect, each checking that the one-line message names the file,
 * the offset and the key or tensor at fault. Files are built in memory or in a scratch folder. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "engine/gguf_impl.h"
#include "engine/quant_impl.h"

static char tmpdir[64];

/* ------------------------------------------------------------------ helpers */

/* A growable byte string for hand-built GGUF files (little-endian). */
typedef struct bld {
	unsigned char *p;
	size_t n, cap;
} bld;

static void b_put(bld *b, const void *s, size_t n)
{
	if (b->n + n > b->cap) {
		size_t c = b->cap ? b->cap : 256;
		while (c < b->n + n)
			c *= 2;
		b->p = realloc(b->p, c);
		if (!b->p)
			abort();
		b->cap = c;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void b_u8(bld *b, uint8_t v)
{
	b_put(b, &v, 1);
}

static void b_u16(bld *b, uint16_t v)
{
	b_u8(b, (uint8_t)v);
	b_u8(b, (uint8_t)(v >> 8));
}

static void b_u32(bld *b, uint32_t v)
{
	b_u16(b, (uint16_t)v);
	b_u16(b, (uint16_t)(v >> 16));
}

static void b_u64(bld *b, uint64_t v)
{
	b_u32(b, (uint32_t)v);
	b_u32(b, (uint32_t)(v >> 32));
}

static void b_strn(bld *b, const char *s, size_t n)
{
	b_u64(b, n);
	b_put(b, s, n);
}

static void b_str(bld *b, const char *s)
{
	b_strn(b, s, strlen(s));
}

static void b_header(bld *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv)
{
	b_put(b, "GGUF", 4);
	b_u32(b, version);
	b_u64(b, n_tensors);
	b_u64(b, n_kv);
}

/* A key with a u32 value. */
static void b_kv_u32(bld *b, const char *key, uint32_t v)
{
	b_str(b, key);
	b_u32(b, ENG_GGUF_U32);
	b_u32(b, v);
}

static void b_tensor_info(bld *b, const char *name, uint32_t n_dims, const uint64_t *ne,
		uint32_t type, uint64_t offset)
{
	b_str(b, name);
	b_u32(b, n_dims);
	for (uint32_t d = 0; d < n_dims; d++)
		b_u64(b, ne[d]);
	b_u32(b, type);
	b_u64(b, offset);
}

static void b_pad(bld *b, size_t align)
{
	while (b->n % align)
		b_u8(b, 0);
}

static void b_zeros(bld *b, size_t n)
{
	while (n--)
		b_u8(b, 0);
}

static void b_free(bld *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* Opens an exact-size heap copy of n bytes (so ASan sees any read past the end) as "t.gguf". */
static eng_gguf *open_copy(const void *p, size_t n, char *err, size_t errlen, void **copy)
{
	*copy = malloc(n ? n : 1);
	if (!*copy)
		abort();
	memcpy(*copy, p, n);
	return eng_gguf_open_mem(*copy, n, "t.gguf", err, errlen);
}

/* The bytes must be refused with one line naming the file, `offset` and every needle. */
static void expect_fail_at(const unsigned char *p, size_t n, long offset, const char *needle1,
		const char *needle2)
{
	char err[512], want[64];
	void *copy;
	eng_gguf *g = open_copy(p, n, err, sizeof err, &copy);

	TB_CHECK(g == NULL);
	eng_gguf_close(g);
	free(copy);
	TB_CHECK(strncmp(err, "t.gguf: offset ", 15) == 0);
	TB_CHECK(strchr(err, '\n') == NULL);
	if (offset >= 0) {
		snprintf(want, sizeof want, "t.gguf: offset %ld: ", offset);
		TB_CHECK(strncmp(err, want, strlen(want)) == 0);
	}
	if (needle1)
		TB_CHECK(strstr(err, needle1) != NULL);
	if (needle2)
		TB_CHECK(strstr(err, needle2) != NULL);
	if (tb_t_cur_failed)
		printf("  message: %s\n", err);
}

static void expect_fail(const bld *b, long offset, const char *needle1, const char *needle2)
{
	expect_fail_at(b->p, b->n, offset, needle1, needle2);
}


static void scratch_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", tmpdir, name);
}

/* Visits every value of every key and every array element, nested ones too; returns the count
 * of values seen (a walk that reads everything the API exposes). */
static uint64_t walk_value(const eng_gguf *g, const eng_gguf_value *v, int depth)
{
	uint64_t n = 1;
	eng_gguf_value e;
	if (v->type != ENG_GGUF_ARR || depth > 16)
		return n;
	for (uint64_t j = 0; j < v->arr_n; j++) {
		if (eng_gguf_arr_elem(g, v, j, &e) != 0)
			return 0;
		n += walk_value(g, &e, depth + 1);
	}
	return n;
}

static uint64_t walk_all(const eng_gguf *g)
{
	uint64_t n = 0;
	eng_gguf_value v;
	for (int64_t i = 0; i < eng_gguf_n_kv(g); i++) {
		if (eng_gguf_kv_value(g, i, &v) != 0)
			return 0;
		n += walk_value(g, &v, 0);
	}
	return n;
}

/* A small document with metadata, arrays and three tensors (the truncation test's subject). */
static eng_gguf_writer *small_doc(void)
{
	static const char *toks[] = { "<unk>", "a", "", "bc" };
	static const float sc[] = { 0.0f, -1.5f, 2.25f, 3.0f };
	static const int32_t ty[] = { 2, 1, 1, 6 };
	float w[64], b[8];
	uint16_t h[32];
	int64_t ne2[2] = { 8, 8 }, ne1[1] = { 8 }, neh[1] = { 32 };
	eng_gguf_writer *wr = eng_gguf_writer_new();

	if (!wr)
		return NULL;
	for (int i = 0; i < 64; i++)
		w[i] = (float)i * 0.5f;
	for (int i = 0; i < 8; i++)
		b[i] = (float)-i;
	for (int i = 0; i < 32; i++)
		h[i] = (uint16_t)(0x3c00 + i);
	if (eng_gguf_w_str(wr, "general.architecture", "llama") ||
			eng_gguf_w_u32(wr, "llama.block_count", 1) ||
			eng_gguf_w_f32(wr, "llama.attention.layer_norm_rms_epsilon", 1e-5f) ||
			eng_gguf_w_bool(wr, "tokenizer.ggml.add_bos_token", 1) ||
			eng_gguf_w_arr_str(wr, "tokenizer.ggml.tokens", toks, 4) ||
			eng_gguf_w_arr_f32(wr, "tokenizer.ggml.scores", sc, 4) ||
			eng_gguf_w_arr_i32(wr, "tokenizer.ggml.token_type", ty, 4) ||
			eng_gguf_w_tensor(wr, "w", ENG_T_F32, 2, ne2, w) ||
			eng_gguf_w_tensor(wr, "b", ENG_T_F32, 1, ne1, b) ||
			eng_gguf_w_tensor(wr, "h", ENG_T_F16, 1, neh, h)) {
		eng_gguf_writer_free(wr);
		return NULL;
	}
	return wr;
}

/* The small document's bytes (heap), saved through the writer. */
static unsigned char *small_bytes(size_t *n)
{
	char path[128], err[256];
	eng_gguf_writer *w = small_doc();
	unsigned char *p = NULL;

	scratch_path(path, sizeof path, "small.gguf");
	if (w && eng_gguf_writer_save(w, path, err, sizeof err) == 0)
		p = (unsigned char *)tb_slurp(path, n);
	eng_gguf_writer_free(w);
	return p;
}

/* ------------------------------------------------------------------ real files */

static void test_gguf_reads_stories260k_metadata(void)
{
	const char *sh = tb_shared_dir();
	char path[512], err[512];
	const char *s;
	size_t len;
	uint32_t u;
	int64_t i64;
	float f;
	double d;
	int et;
	uint64_t n;
	eng_gguf *g;

	if (!sh)
		TB_SKIP("no shared folder beside the checkout");
	snprintf(path, sizeof path, "%s/models/stories260K.gguf", sh);
	g = eng_gguf_open(path, err, sizeof err);
	if (!g)
		printf("  %s\n", err);
	TB_REQUIRE(g != NULL);
	TB_CHECK_INT(eng_gguf_version(g), 3);
	TB_CHECK_INT(eng_gguf_alignment(g), 32);
	TB_CHECK_INT(eng_gguf_file_size(g), 1185376);
	TB_CHECK_INT(eng_gguf_n_kv(g), 19);
	TB_CHECK(eng_gguf_get_str(g, "general.architecture", &s, &len) == 0);
	TB_CHECK_STR(s, "llama");
	TB_CHECK_INT(len, 5);
	TB_CHECK(eng_gguf_get_u32(g, "llama.embedding_length", &u) == 0);
	TB_CHECK_INT(u, 64);
	TB_CHECK(eng_gguf_get_u32(g, "llama.block_count", &u) == 0);
	TB_CHECK_INT(u, 5);
	TB_CHECK(eng_gguf_get_u32(g, "llama.attention.head_count_kv", &u) == 0);
	TB_CHECK_INT(u, 4);
	TB_CHECK(eng_gguf_get_i64(g, "llama.context_length", &i64) == 0);
	TB_CHECK_INT(i64, 2048);
	TB_CHECK(eng_gguf_get_u32(g, "tokenizer.ggml.padding_token_id", &u) == 0);
	TB_CHECK(u == 4294967295u);
	TB_CHECK(eng_gguf_get_f32(g, "llama.attention.layer_norm_rms_epsilon", &f) == 0);
	TB_CHECK_NEAR(f, 1e-5, 1e-12);
	TB_CHECK(eng_gguf_get_arr(g, "tokenizer.ggml.tokens", &et, &n) == 0);
	TB_CHECK_INT(et, ENG_GGUF_STR);
	TB_CHECK_INT(n, 512);
	TB_CHECK_STR(eng_gguf_arr_str(g, "tokenizer.ggml.tokens", 0, &len), "<unk>");
	TB_CHECK_INT(len, 5);
	TB_CHECK_STR(eng_gguf_arr_str(g, "tokenizer.ggml.tokens", 1, NULL), "<s>");
	TB_CHECK_STR(eng_gguf_arr_str(g, "tokenizer.ggml.tokens", 3, NULL), "<0x00>");
	TB_CHECK(eng_gguf_arr_str(g, "tokenizer.ggml.tokens", 512, NULL) == NULL);
	TB_CHECK(eng_gguf_get_arr(g, "tokenizer.ggml.scores", &et, &n) == 0);
	TB_CHECK_INT(et, ENG_GGUF_F32);
	TB_CHECK_INT(n, 512);
	TB_CHECK(eng_gguf_arr_f64(g, "tokenizer.ggml.scores", 0, &d) == 0);
	TB_CHECK(eng_gguf_arr_i64(g, "tokenizer.ggml.token_type", 1, &i64) == 0);
	TB_CHECK_INT(i64, 3);   /* <s> is a control token */
	TB_CHECK(eng_gguf_arr_raw(g, "tokenizer.ggml.token_type") != NULL);
	TB_CHECK(eng_gguf_arr_raw(g, "tokenizer.ggml.tokens") == NULL);
	TB_CHECK_INT(walk_all(g), 19 + 3 * 512);
	eng_gguf_close(g);
}

static void test_gguf_reads_stories260k_tensors(void)
{
	const char *sh = tb_shared_dir();
	char path[512], err[512];
	const eng_gguf_tensor *t;
	uint64_t total = 0;
	eng_gguf *g;

	if (!sh)
		TB_SKIP("no shared folder beside the checkout");
	snprintf(path, sizeof path, "%s/models/stories260K.gguf", sh);
	g = eng_gguf_open(path, err, sizeof err);
	TB_REQUIRE(g != NULL);
	TB_CHECK_INT(eng_gguf_n_tensors(g), 48);   /* 3 + 5 layers x 9 */
	t = eng_gguf_tensor_at(g, 0);
	TB_REQUIRE(t != NULL);
	TB_CHECK_STR(t->name, "token_embd.weight");
	TB_CHECK_INT(t->n_dims, 2);
	TB_CHECK_INT(t->ne[0], 64);
	TB_CHECK_INT(t->ne[1], 512);
	TB_CHECK_INT(t->ne[2], 1);
	TB_CHECK_INT(t->ne[3], 1);
	TB_CHECK_INT(t->type, ENG_T_F32);
	TB_CHECK_INT(t->offset, 0);
	TB_CHECK_INT(t->size_bytes, 64 * 512 * 4);
	t = eng_gguf_find_tensor(g, "output_norm.weight");
	TB_REQUIRE(t != NULL);
	TB_CHECK_INT(t->n_dims, 1);
	TB_CHECK_INT(t->ne[0], 64);
	TB_CHECK_INT(t->ne[1], 1);
	t = eng_gguf_find_tensor(g, "blk.4.attn_k.weight");
	TB_REQUIRE(t != NULL);
	TB_CHECK_INT(t->ne[0], 64);
	TB_CHECK_INT(t->ne[1], 32);   /* 4 kv heads x head size 8 */
	t = eng_gguf_find_tensor(g, "blk.2.ffn_down.weight");
	TB_REQUIRE(t != NULL);
	TB_CHECK_INT(t->ne[0], 172);
	TB_CHECK_INT(t->ne[1], 64);
	TB_CHECK(eng_gguf_find_tensor(g, "blk.5.ffn_down.weight") == NULL);
	TB_CHECK(eng_gguf_tensor_at(g, 48) == NULL);
	TB_CHECK(eng_gguf_tensor_at(g, -1) == NULL);
	for (int64_t i = 0; i < eng_gguf_n_tensors(g); i++) {
		t = eng_gguf_tensor_at(g, i);
		TB_CHECK_INT(t->type, ENG_T_F32);
		TB_CHECK(t->offset % 32 == 0);
		total += t->size_bytes;
		TB_CHECK(eng_gguf_find_tensor(g, t->name) == t);
	}
	TB_CHECK_INT(total, 292800 * 4);
	eng_gguf_close(g);
}

/* The real model over eng_gguf_open_mem agrees with the mapping, byte for byte. */
static void test_gguf_open_mem_matches_open_on_stories260k(void)
{
	const char *sh = tb_shared_dir();
	char path[512], err[512];
	unsigned char *buf;
	size_t n = 0;
	eng_gguf *a, *b;

	if (!sh)
		TB_SKIP("no shared folder beside the checkout");
	snprintf(path, sizeof path, "%s/models/stories260K.gguf", sh);
	buf = (unsigned char *)tb_slurp(path, &n);
	TB_REQUIRE(buf != NULL);
	a = eng_gguf_open(path, err, sizeof err);
	b = eng_gguf_open_mem(buf, n, "mem", err, sizeof err);
	TB_CHECK(a && b);
	if (a && b) {
		TB_CHECK_INT(eng_gguf_n_tensors(a), eng_gguf_n_tensors(b));
		for (int64_t i = 0; i < eng_gguf_n_tensors(a); i++) {
			const eng_gguf_tensor *x = eng_gguf_tensor_at(a, i), *y = eng_gguf_tensor_at(b, i);
			TB_CHECK_STR(x->name, y->name);
			TB_CHECK_INT(x->offset, y->offset);
			TB_CHECK(memcmp(x->data, y->data, x->size_bytes) == 0);
		}
	}
	eng_gguf_close(a);
	eng_gguf_close(b);
	free(buf);
}

/* The VmFlags line of the mapping of /proc/self/smaps that holds p, into flags (empty when not
 * found). Returns 0, or -1 when smaps cannot be read. */
static int vm_flags_of(const void *p, char *flags, size_t cap)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0;

	flags[0] = '\0';
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			snprintf(flags, cap, "%s", line + 8);
			break;
		}
	}
	fclose(f);
	return 0;
}

/* eng_gguf_load_data copies the tensors out of the mapping either way; only with huge_pages
 * does their memory carry the huge-page advice ("hg" in smaps' VmFlags), and never the
 * opposite advice ("nh"): without it the kernel's own policy applies. */
static void test_gguf_load_data_advises_huge_pages_only_when_asked(void)
{
	const char *sh = tb_shared_dir();
	char path[512], err[512], flags[512];

	if (!sh)
		TB_SKIP("no shared folder beside the checkout");
	snprintf(path, sizeof path, "%s/models/stories260K.gguf", sh);
	for (int huge = 0; huge < 2; huge++) {
		eng_gguf *g = eng_gguf_open(path, err, sizeof err), *ref = eng_gguf_open(path, err, sizeof err);
		const eng_gguf_tensor *t;

		TB_REQUIRE(g && ref);
		TB_CHECK_INT(eng_gguf_load_data(g, huge, err, sizeof err), 0);
		t = eng_gguf_tensor_at(g, 3);
		TB_REQUIRE(t != NULL);
		TB_CHECK(t->data != eng_gguf_tensor_at(ref, 3)->data);
		for (int64_t i = 0; i < eng_gguf_n_tensors(g); i++)
			TB_CHECK(memcmp(eng_gguf_tensor_at(g, i)->data, eng_gguf_tensor_at(ref, i)->data,
				eng_gguf_tensor_at(g, i)->size_bytes) == 0);
		if (vm_flags_of(t->data, flags, sizeof flags) == 0 && flags[0]) {
			TB_CHECK((strstr(flags, " hg") != NULL) == huge);
			TB_CHECK(strstr(flags, " nh") == NULL);
		} else {
			printf("  (no VmFlags in /proc/self/smaps: advice not checked)\n");
		}
		eng_gguf_close(g);
		eng_gguf_close(ref);
	}
}

static void test_gguf_opens_every_shared_model_file(void)
{
	static const char *dirs[] = { "models", "models/vocab", "models/synthetic", "models/derived" };
	const char *sh = tb_shared_dir();
	char dir[512], path[1024], err[512];
	int opened = 0;

	if (!sh)
		TB_SKIP("no shared folder beside the checkout");
	for (size_t k = 0; k < sizeof dirs / sizeof dirs[0]; k++) {
		struct dirent *e;
		DIR *d;
		snprintf(dir, sizeof dir, "%s/%s", sh, dirs[k]);
		if (!(d = opendir(dir)))
			continue;
		while ((e = readdir(d)) != NULL) {
			size_t l = strlen(e->d_name);
			eng_gguf *g;
			if (l < 5 || strcmp(e->d_name + l - 5, ".gguf") != 0)
				continue;
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			g = eng_gguf_open(path, err, sizeof err);
			if (!g)
				printf("  %s\n", err);
			TB_CHECK(g != NULL);
			if (g) {
				TB_CHECK(walk_all(g) >= (uint64_t)eng_gguf_n_kv(g));
				TB_CHECK(eng_gguf_find_key(g, "general.architecture") >= 0);
				for (int64_t i = 0; i < eng_gguf_n_tensors(g); i++) {
					const eng_gguf_tensor *t = eng_gguf_tensor_at(g, i);
					TB_CHECK(t->size_bytes == eng_row_size(t->type, t->ne[0]) *
							(uint64_t)(t->ne[1] * t->ne[2] * t->ne[3]));
				}
				opened++;
			}
			eng_gguf_close(g);
		}
		closedir(d);
	}
	TB_CHECK(opened >= 12);   /* 1 + 4 vocab + 5 synthetic + 2 derived */
}

static void test_gguf_reads_quantized_tensor_types_of_derived_models(void)
{
	const char *sh = tb_shared_dir();
	char path[512], err[512];
	const eng_gguf_tensor *t;
	eng_gguf *g;

	if (!sh)
		TB_SKIP("no shared folder beside the checkout");
	snprintf(path, sizeof path, "%s/models/derived/stories260K-Q4_K_M.gguf", sh);
	g = eng_gguf_open(path, err, sizeof err);
	TB_REQUIRE(g != NULL);
	t = eng_gguf_find_tensor(g, "output.weight");
	TB_REQUIRE(t != NULL);
	TB_CHECK_INT(t->type, ENG_T_Q8_0);
	TB_CHECK_INT(t->size_bytes, 2 * 34 * 512);
	t = eng_gguf_find_tensor(g, "token_embd.weight");
	TB_REQUIRE(t != NULL);
	TB_CHECK_INT(t->type, ENG_T_Q5_0);
	TB_CHECK_INT(t->size_bytes, 2 * 22 * 512);
	eng_gguf_close(g);
}

/* ------------------------------------------------------------------ writer round trips */

static void test_gguf_writer_round_trips_public_setters(void)
{
	static const char *strs[] = { "alpha", "", "g\xc3\xa9n\xc3\xa9ral", "tab\there" };
	static const float fl[] = { 1.5f, -0.0f, 3.4e38f };
	static const int32_t in[] = { -2147483647 - 1, 0, 2147483647 };
	char path[128], err[256];
	eng_gguf_writer *w = eng_gguf_writer_new();
	const char *s;
	size_t len;
	uint32_t u;
	int64_t i64;
	float f;
	int b, et;
	uint64_t n;
	double d;
	eng_gguf *g;

	TB_REQUIRE(w != NULL);
	TB_CHECK(eng_gguf_w_u32(w, "a.u32", 4000000000u) == 0);
	TB_CHECK(eng_gguf_w_i32(w, "a.i32", -7) == 0);
	TB_CHECK(eng_gguf_w_u64(w, "a.u64", 18446744073709551615ull) == 0);
	TB_CHECK(eng_gguf_w_f32(w, "a.f32", 0.25f) == 0);
	TB_CHECK(eng_gguf_w_bool(w, "a.bool", 7) == 0);
	TB_CHECK(eng_gguf_w_str(w, "a.str", "old") == 0);
	TB_CHECK(eng_gguf_w_str(w, "a.str", "hello world") == 0);   /* replaces */
	TB_CHECK(eng_gguf_w_str(w, "a.empty", "") == 0);
	TB_CHECK(eng_gguf_w_arr_str(w, "a.strs", strs, 4) == 0);
	TB_CHECK(eng_gguf_w_arr_f32(w, "a.f32s", fl, 3) == 0);
	TB_CHECK(eng_gguf_w_arr_i32(w, "a.i32s", in, 3) == 0);
	TB_CHECK(eng_gguf_w_arr_i32(w, "a.none", NULL, 0) == 0);
	scratch_path(path, sizeof path, "setters.gguf");
	TB_REQUIRE(eng_gguf_writer_save(w, path, err, sizeof err) == 0);
	eng_gguf_writer_free(w);

	g = eng_gguf_open(path, err, sizeof err);
	if (!g)
		printf("  %s\n", err);
	TB_REQUIRE(g != NULL);
	TB_CHECK_INT(eng_gguf_version(g), 3);
	TB_CHECK_INT(eng_gguf_n_kv(g), 11);
	TB_CHECK_INT(eng_gguf_n_tensors(g), 0);
	TB_CHECK_STR(eng_gguf_key(g, 0), "a.u32");
	TB_CHECK_STR(eng_gguf_key(g, 5), "a.str");   /* replacement keeps the place */
	TB_CHECK(eng_gguf_key(g, 11) == NULL);
	TB_CHECK_INT(eng_gguf_kv_type(g, 0), ENG_GGUF_U32);
	TB_CHECK_INT(eng_gguf_kv_type(g, 3), ENG_GGUF_F32);
	TB_CHECK_INT(eng_gguf_kv_type(g, 99), -1);
	TB_CHECK(eng_gguf_get_u32(g, "a.u32", &u) == 0 && u == 4000000000u);
	TB_CHECK(eng_gguf_get_i64(g, "a.i32", &i64) == 0 && i64 == -7);
	TB_CHECK(eng_gguf_get_u32(g, "a.i32", &u) == -2);   /* negative does not fit */
	TB_CHECK(eng_gguf_get_i64(g, "a.u64", &i64) == -2);   /* 2^64-1 does not fit */
	TB_CHECK(eng_gguf_get_f32(g, "a.f32", &f) == 0 && f == 0.25f);
	TB_CHECK(eng_gguf_get_f32(g, "a.u32", &f) == 0 && f == 4e9f);
	TB_CHECK(eng_gguf_get_u32(g, "a.f32", &u) == -2);
	TB_CHECK(eng_gguf_get_bool(g, "a.bool", &b) == 0 && b == 1);
	TB_CHECK(eng_gguf_get_u32(g, "a.bool", &u) == 0 && u == 1);
	TB_CHECK(eng_gguf_get_str(g, "a.str", &s, &len) == 0);
	TB_CHECK_STR(s, "hello world");
	TB_CHECK_INT(len, 11);
	TB_CHECK(eng_gguf_get_str(g, "a.empty", &s, &len) == 0 && len == 0 && s[0] == 0);
	TB_CHECK(eng_gguf_get_str(g, "a.u32", &s, &len) == -2);
	TB_CHECK(eng_gguf_get_str(g, "missing", &s, &len) == -1);
	TB_CHECK(eng_gguf_get_u32(g, "missing", &u) == -1);
	TB_CHECK(eng_gguf_get_arr(g, "a.u32", &et, &n) == -2);
	TB_CHECK(eng_gguf_get_arr(g, "a.strs", &et, &n) == 0 && et == ENG_GGUF_STR && n == 4);
	for (int i = 0; i < 4; i++) {
		TB_CHECK_STR(eng_gguf_arr_str(g, "a.strs", (uint64_t)i, &len), strs[i]);
		TB_CHECK_INT(len, strlen(strs[i]));
	}
	TB_CHECK(eng_gguf_arr_i64(g, "a.strs", 0, &i64) == -1);
	TB_CHECK(eng_gguf_get_arr(g, "a.f32s", &et, &n) == 0 && et == ENG_GGUF_F32 && n == 3);
	for (int i = 0; i < 3; i++)
		TB_CHECK(eng_gguf_arr_f64(g, "a.f32s", (uint64_t)i, &d) == 0 && d == (double)fl[i]);
	TB_CHECK(eng_gguf_arr_i64(g, "a.f32s", 0, &i64) == -1);   /* 1.5 is not an integer */
	TB_CHECK(eng_gguf_arr_f64(g, "a.f32s", 3, &d) == -1);
	for (int i = 0; i < 3; i++)
		TB_CHECK(eng_gguf_arr_i64(g, "a.i32s", (uint64_t)i, &i64) == 0 && i64 == in[i]);
	TB_CHECK(eng_gguf_arr_str(g, "a.i32s", 0, NULL) == NULL);
	TB_CHECK(eng_gguf_get_arr(g, "a.none", &et, &n) == 0 && et == ENG_GGUF_I32 && n == 0);
	eng_gguf_close(g);
}

/* Appends an array of every scalar type, strings, and arrays of arrays three deep. */
static void b_every_value(bld *b)
{
	/* 13 keys: one of each scalar type, a string with a NUL inside, and arrays */
	b_str(b, "v.u8");   b_u32(b, ENG_GGUF_U8);   b_u8(b, 200);
	b_str(b, "v.i8");   b_u32(b, ENG_GGUF_I8);   b_u8(b, (uint8_t)-100);
	b_str(b, "v.u16");  b_u32(b, ENG_GGUF_U16);  b_u16(b, 60000);
	b_str(b, "v.i16");  b_u32(b, ENG_GGUF_I16);  b_u16(b, (uint16_t)-30000);
	b_str(b, "v.u32");  b_u32(b, ENG_GGUF_U32);  b_u32(b, 4000000000u);
	b_str(b, "v.i32");  b_u32(b, ENG_GGUF_I32);  b_u32(b, (uint32_t)-2000000000);
	b_str(b, "v.f32");  b_u32(b, ENG_GGUF_F32);  b_u32(b, 0x40490fdbu);   /* pi */
	b_str(b, "v.bool"); b_u32(b, ENG_GGUF_BOOL); b_u8(b, 0);
	b_str(b, "v.str");  b_u32(b, ENG_GGUF_STR);  b_strn(b, "a\0b", 3);
	b_str(b, "v.u64");  b_u32(b, ENG_GGUF_U64);  b_u64(b, 18446744073709551615ull);
	b_str(b, "v.i64");  b_u32(b, ENG_GGUF_I64);  b_u64(b, (uint64_t)INT64_MIN);
	b_str(b, "v.f64");  b_u32(b, ENG_GGUF_F64);  b_u64(b, 0xbff0000000000000ull);   /* -1 */
	/* v.nest = [[["x", "yz"], []], [[]], []] of strings; elem types arr, arr, str */
	b_str(b, "v.nest"); b_u32(b, ENG_GGUF_ARR);
	b_u32(b, ENG_GGUF_ARR); b_u64(b, 3);
	b_u32(b, ENG_GGUF_ARR); b_u64(b, 2);
	b_u32(b, ENG_GGUF_STR); b_u64(b, 2); b_str(b, "x"); b_str(b, "yz");
	b_u32(b, ENG_GGUF_STR); b_u64(b, 0);
	b_u32(b, ENG_GGUF_ARR); b_u64(b, 1);
	b_u32(b, ENG_GGUF_STR); b_u64(b, 0);
	b_u32(b, ENG_GGUF_ARR); b_u64(b, 0);
	/* v.arrs: one array per numeric type, two elements each, and bools */
	b_str(b, "v.i16s"); b_u32(b, ENG_GGUF_ARR); b_u32(b, ENG_GGUF_I16); b_u64(b, 2);
	b_u16(b, (uint16_t)-5); b_u16(b, 7);
	b_str(b, "v.u64s"); b_u32(b, ENG_GGUF_ARR); b_u32(b, ENG_GGUF_U64); b_u64(b, 2);
	b_u64(b, 1); b_u64(b, 18446744073709551615ull);
	b_str(b, "v.f64s"); b_u32(b, ENG_GGUF_ARR); b_u32(b, ENG_GGUF_F64); b_u64(b, 2);
	b_u64(b, 0x4000000000000000ull); b_u64(b, 0x3fe0000000000000ull);   /* 2, 0.5 */
	b_str(b, "v.bools"); b_u32(b, ENG_GGUF_ARR); b_u32(b, ENG_GGUF_BOOL); b_u64(b, 3);
	b_u8(b, 1); b_u8(b, 0); b_u8(b, 1);
	b_str(b, "v.u8s"); b_u32(b, ENG_GGUF_ARR); b_u32(b, ENG_GGUF_U8); b_u64(b, 2);
	b_u8(b, 0); b_u8(b, 255);
	b_str(b, "v.i8s"); b_u32(b, ENG_GGUF_ARR); b_u32(b, ENG_GGUF_I8); b_u64(b, 2);
	b_u8(b, 0x80); b_u8(b, 127);
	b_str(b, "v.u16s"); b_u32(b, ENG_GGUF_ARR); b_u32(b, ENG_GGUF_U16); b_u64(b, 1);
	b_u16(b, 65535);
	b_str(b, "v.u32s"); b_u32(b, ENG_GGUF_ARR); b_u32(b, ENG_GGUF_U32); b_u64(b, 1);
	b_u32(b, 4294967295u);
	b_str(b, "v.i64s"); b_u32(b, ENG_GGUF_ARR); b_u32(b, ENG_GGUF_I64); b_u64(b, 1);
	b_u64(b, (uint64_t)-3);
}
#define N_EVERY_VALUE 22

/* Checks what b_every_value wrote, as read back through every getter. */
static void check_every_value(const eng_gguf *g)
{
	eng_gguf_value v, e, e2, e3;
	uint32_t u;
	int64_t i64;
	float f;
	double d;
	int b;
	const char *s;
	size_t len;

	TB_REQUIRE(eng_gguf_n_kv(g) == N_EVERY_VALUE);
	TB_CHECK(eng_gguf_get_u32(g, "v.u8", &u) == 0 && u == 200);
	TB_CHECK(eng_gguf_get_i64(g, "v.i8", &i64) == 0 && i64 == -100);
	TB_CHECK(eng_gguf_get_u32(g, "v.i8", &u) == -2);
	TB_CHECK(eng_gguf_get_u32(g, "v.u16", &u) == 0 && u == 60000);
	TB_CHECK(eng_gguf_get_i64(g, "v.i16", &i64) == 0 && i64 == -30000);
	TB_CHECK(eng_gguf_get_u32(g, "v.u32", &u) == 0 && u == 4000000000u);
	TB_CHECK(eng_gguf_get_i64(g, "v.i32", &i64) == 0 && i64 == -2000000000);
	TB_CHECK(eng_gguf_get_f32(g, "v.f32", &f) == 0);
	TB_CHECK_NEAR(f, 3.14159265, 1e-6);
	TB_CHECK(eng_gguf_get_bool(g, "v.bool", &b) == 0 && b == 0);
	TB_CHECK(eng_gguf_get_bool(g, "v.f32", &b) == -2);
	TB_CHECK(eng_gguf_get_str(g, "v.str", &s, &len) == 0 && len == 3 && memcmp(s, "a\0b", 4) == 0);
	TB_CHECK(eng_gguf_get_u32(g, "v.u64", &u) == -2);
	TB_CHECK(eng_gguf_get_i64(g, "v.u64", &i64) == -2);
	TB_CHECK(eng_gguf_get_i64(g, "v.i64", &i64) == 0 && i64 == INT64_MIN);
	TB_CHECK(eng_gguf_get_f32(g, "v.f64", &f) == 0 && f == -1.0f);
	TB_CHECK(eng_gguf_get_f32(g, "v.i16", &f) == 0 && f == -30000.0f);

	TB_REQUIRE(eng_gguf_kv_value(g, eng_gguf_find_key(g, "v.u64"), &v) == 0);
	TB_CHECK(v.type == ENG_GGUF_U64 && v.num.u == 18446744073709551615ull);
	TB_REQUIRE(eng_gguf_kv_value(g, eng_gguf_find_key(g, "v.i8"), &v) == 0);
	TB_CHECK(v.type == ENG_GGUF_I8 && v.num.i == -100);
	TB_REQUIRE(eng_gguf_kv_value(g, eng_gguf_find_key(g, "v.f64"), &v) == 0);
	TB_CHECK(v.type == ENG_GGUF_F64 && v.num.f == -1.0);
	TB_REQUIRE(eng_gguf_kv_value(g, eng_gguf_find_key(g, "v.str"), &v) == 0);
	TB_CHECK(v.type == ENG_GGUF_STR && v.str_len == 3 && v.str[2] == 'b');
	TB_CHECK(eng_gguf_kv_value(g, N_EVERY_VALUE, &v) == -1);

	/* [[["x", "yz"], []], [[]], []] */
	TB_REQUIRE(eng_gguf_kv_value(g, eng_gguf_find_key(g, "v.nest"), &v) == 0);
	TB_CHECK(v.type == ENG_GGUF_ARR && v.arr_type == ENG_GGUF_ARR && v.arr_n == 3);
	TB_CHECK(eng_gguf_arr_elem(g, &v, 3, &e) == -1);
	TB_REQUIRE(eng_gguf_arr_elem(g, &v, 0, &e) == 0);
	TB_CHECK(e.type == ENG_GGUF_ARR && e.arr_type == ENG_GGUF_ARR && e.arr_n == 2);
	TB_REQUIRE(eng_gguf_arr_elem(g, &e, 0, &e2) == 0);
	TB_CHECK(e2.type == ENG_GGUF_ARR && e2.arr_type == ENG_GGUF_STR && e2.arr_n == 2);
	TB_REQUIRE(eng_gguf_arr_elem(g, &e2, 1, &e3) == 0);
	TB_CHECK(e3.type == ENG_GGUF_STR && e3.str_len == 2);
	TB_CHECK_STR(e3.str, "yz");
	TB_CHECK(eng_gguf_arr_elem(g, &e3, 0, &e) == -1);   /* a string is not an array */
	TB_REQUIRE(eng_gguf_arr_elem(g, &v, 1, &e) == 0);
	TB_CHECK(e.arr_n == 1);
	TB_REQUIRE(eng_gguf_arr_elem(g, &e, 0, &e2) == 0);
	TB_CHECK(e2.type == ENG_GGUF_ARR && e2.arr_n == 0);
	TB_REQUIRE(eng_gguf_arr_elem(g, &v, 2, &e) == 0);
	TB_CHECK(e.type == ENG_GGUF_ARR && e.arr_type == ENG_GGUF_ARR && e.arr_n == 0);
	TB_CHECK(eng_gguf_arr_str(g, "v.nest", 0, NULL) == NULL);
	TB_CHECK(eng_gguf_arr_raw(g, "v.nest") == NULL);

	TB_CHECK(eng_gguf_arr_i64(g, "v.i16s", 0, &i64) == 0 && i64 == -5);
	TB_CHECK(eng_gguf_arr_i64(g, "v.i16s", 1, &i64) == 0 && i64 == 7);
	TB_CHECK(eng_gguf_arr_i64(g, "v.u64s", 1, &i64) == -1);   /* does not fit */
	TB_CHECK(eng_gguf_arr_f64(g, "v.u64s", 1, &d) == 0 && d == 18446744073709551615.0);
	TB_CHECK(eng_gguf_arr_f64(g, "v.f64s", 1, &d) == 0 && d == 0.5);
	TB_CHECK(eng_gguf_arr_i64(g, "v.f64s", 0, &i64) == 0 && i64 == 2);   /* integral float */
	TB_CHECK(eng_gguf_arr_i64(g, "v.bools", 0, &i64) == 0 && i64 == 1);
	TB_CHECK(eng_gguf_arr_i64(g, "v.bools", 1, &i64) == 0 && i64 == 0);
	TB_CHECK(eng_gguf_arr_i64(g, "v.u8s", 1, &i64) == 0 && i64 == 255);
	TB_CHECK(eng_gguf_arr_i64(g, "v.i8s", 0, &i64) == 0 && i64 == -128);
	TB_CHECK(eng_gguf_arr_i64(g, "v.u16s", 0, &i64) == 0 && i64 == 65535);
	TB_CHECK(eng_gguf_arr_i64(g, "v.u32s", 0, &i64) == 0 && i64 == 4294967295ll);
	TB_CHECK(eng_gguf_arr_i64(g, "v.i64s", 0, &i64) == 0 && i64 == -3);
	TB_CHECK(eng_gguf_arr_i64(g, "v.i64s", 1, &i64) == -1);
	TB_CHECK(eng_gguf_arr_raw(g, "v.u16s") != NULL);
	{
		const unsigned char *raw = eng_gguf_arr_raw(g, "v.i16s");
		TB_CHECK(raw && raw[0] == 0xfb && raw[1] == 0xff && raw[2] == 7);
	}
	/* 12 scalars; the nest is 9 values; the 9 flat arrays hold 2+2+2+3+2+2+1+1+1 elements */
	TB_CHECK_INT(walk_all(g), 12 + 9 + 9 + 16);
}

static void test_gguf_round_trips_every_value_type_and_nested_arrays(void)
{
	bld b = { 0 };
	char err[512], path[128];
	void *copy;
	eng_gguf *g, *g2;
	eng_gguf_writer *w;

	b_header(&b, 2, 0, N_EVERY_VALUE);   /* a v2 source; the writer makes v3 */
	b_every_value(&b);
	g = open_copy(b.p, b.n, err, sizeof err, &copy);
	if (!g)
		printf("  %s\n", err);
	TB_REQUIRE(g != NULL);
	TB_CHECK_INT(eng_gguf_version(g), 2);
	check_every_value(g);

	w = eng_gguf_writer_new();
	TB_REQUIRE(w != NULL);
	TB_CHECK(eng_gguf_w_copy_kv(w, g) == 0);
	scratch_path(path, sizeof path, "every.gguf");
	TB_CHECK(eng_gguf_writer_save(w, path, err, sizeof err) == 0);
	eng_gguf_writer_free(w);
	eng_gguf_close(g);
	free(copy);
	g2 = eng_gguf_open(path, err, sizeof err);
	if (!g2)
		printf("  %s\n", err);
	TB_REQUIRE(g2 != NULL);
	TB_CHECK_INT(eng_gguf_version(g2), 3);
	check_every_value(g2);
	eng_gguf_close(g2);
	b_free(&b);
}

/* Fills n bytes with a pattern that differs per seed. */
static void fill_bytes(unsigned char *p, size_t n, unsigned seed)
{
	uint32_t x = 2463534242u ^ seed;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
}

static void round_trip_tensors(uint32_t align)
{
	struct { const char *name; int type; int n_dims; int64_t ne[4]; } spec[] = {
		{ "f32.1d", ENG_T_F32, 1, { 3, 1, 1, 1 } },
		{ "f16.2d", ENG_T_F16, 2, { 5, 3, 1, 1 } },
		{ "q4_0.3d", ENG_T_Q4_0, 3, { 64, 2, 3, 1 } },
		{ "q8_0.4d", ENG_T_Q8_0, 4, { 32, 2, 2, 2 } },
		{ "q4_K", ENG_T_Q4_K, 2, { 512, 3, 1, 1 } },
		{ "q6_K", ENG_T_Q6_K, 2, { 256, 1, 1, 1 } },
		{ "bf16", ENG_T_BF16, 1, { 7, 1, 1, 1 } },
		{ "i32", ENG_T_I32, 2, { 2, 2, 1, 1 } },
	};
	enum { NT = sizeof spec / sizeof spec[0] };
	unsigned char *data[NT];
	size_t size[NT];
	char path[128], err[512];
	eng_gguf_writer *w = eng_gguf_writer_new();
	eng_gguf *g;

	TB_REQUIRE(w != NULL);
	if (align)
		TB_CHECK(eng_gguf_w_u32(w, "general.alignment", align) == 0);
	TB_CHECK(eng_gguf_w_str(w, "general.architecture", "test") == 0);
	for (int i = 0; i < NT; i++) {
		int64_t rows = spec[i].ne[1] * spec[i].ne[2] * spec[i].ne[3];
		size[i] = eng_row_size(spec[i].type, spec[i].ne[0]) * (size_t)rows;
		data[i] = malloc(size[i]);
		TB_REQUIRE(size[i] > 0 && data[i] != NULL);
		fill_bytes(data[i], size[i], (unsigned)i);
		TB_CHECK(eng_gguf_w_tensor(w, spec[i].name, spec[i].type, spec[i].n_dims, spec[i].ne,
				data[i]) == 0);
	}
	scratch_path(path, sizeof path, "tensors.gguf");
	TB_CHECK(eng_gguf_writer_save(w, path, err, sizeof err) == 0);
	eng_gguf_writer_free(w);
	g = eng_gguf_open(path, err, sizeof err);
	if (!g)
		printf("  %s\n", err);
	TB_CHECK(g != NULL);
	if (g) {
		uint32_t a = align ? align : 32;
		const unsigned char *base = NULL;
		TB_CHECK_INT(eng_gguf_alignment(g), a);
		TB_CHECK_INT(eng_gguf_n_tensors(g), NT);
		for (int i = 0; i < NT; i++) {
			const eng_gguf_tensor *t = eng_gguf_tensor_at(g, i);
			TB_CHECK_STR(t->name, spec[i].name);
			TB_CHECK_INT(t->type, spec[i].type);
			TB_CHECK_INT(t->n_dims, spec[i].n_dims);
			for (int d = 0; d < 4; d++)
				TB_CHECK_INT(t->ne[d], spec[i].ne[d]);
			TB_CHECK_INT(t->size_bytes, size[i]);
			TB_CHECK(t->offset % a == 0);
			TB_CHECK(memcmp(t->data, data[i], size[i]) == 0);
			if (i == 0)
				base = (const unsigned char *)t->data;
			else   /* every data pointer is aligned from the start of the data section */
				TB_CHECK(((const unsigned char *)t->data - base) % a == 0);
			TB_CHECK(eng_gguf_find_tensor(g, spec[i].name) == t);
		}
		/* the data section starts aligned in the file; the file ends padded */
		TB_CHECK((eng_gguf_file_size(g) % a) == 0);
	}
	eng_gguf_close(g);
	for (int i = 0; i < NT; i++)
		free(data[i]);
}

/* eng_gguf_w_tensor_gen: the rows are made at save time in whole-row pieces, in order, each row
 * once (a 3-row F32 tensor of 4 MiB rows crosses the writer's 8 MiB piece), between two copied
 * tensors; a generator that fails makes the save fail and leaves no file. */
typedef struct gen_log {
	uint64_t next_row, calls;
	int fail_at;             /* call number that fails; 0: none */
	int out_of_order;
} gen_log;

static int gen_rows(void *ctx, uint64_t row0, uint64_t n_rows, uint8_t *dst)
{
	gen_log *l = ctx;
	const uint64_t rs = (uint64_t)4 << 20;

	l->calls++;
	if (row0 != l->next_row || n_rows == 0)
		l->out_of_order = 1;
	l->next_row = row0 + n_rows;
	if (l->fail_at && l->calls == (uint64_t)l->fail_at)
		return -1;
	for (uint64_t r = 0; r < n_rows; r++)
		fill_bytes(dst + r * rs, (size_t)rs, (unsigned)(100 + row0 + r));
	return 0;
}

static void test_gguf_writer_makes_generated_tensors_at_save_time(void)
{
	const int64_t ne_big[2] = { 1 << 20, 3 }, ne_small[1] = { 8 };
	const size_t rs = (size_t)4 << 20;
	float small[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	unsigned char *want = malloc(rs);
	char path[128], err[512];
	gen_log log = { 0, 0, 0, 0 };
	eng_gguf_writer *w = eng_gguf_writer_new();
	const eng_gguf_tensor *t;
	struct stat sb;
	eng_gguf *g;

	TB_REQUIRE(w != NULL && want != NULL);
	TB_CHECK(eng_gguf_w_tensor(w, "a", ENG_T_F32, 1, ne_small, small) == 0);
	TB_CHECK(eng_gguf_w_tensor_gen(w, "big", ENG_T_F32, 2, ne_big, gen_rows, &log) == 0);
	TB_CHECK(eng_gguf_w_tensor(w, "z", ENG_T_F32, 1, ne_small, small) == 0);
	TB_CHECK(eng_gguf_w_tensor_gen(w, "nogen", ENG_T_F32, 1, ne_small, NULL, &log) == -1);
	TB_CHECK(eng_gguf_w_tensor_gen(w, "big", ENG_T_F32, 2, ne_big, gen_rows, &log) == -2);
	TB_CHECK_INT(log.calls, 0);   /* nothing is made before the save */
	scratch_path(path, sizeof path, "gen.gguf");
	TB_REQUIRE(eng_gguf_writer_save(w, path, err, sizeof err) == 0);
	TB_CHECK_INT(log.calls, 2);   /* rows 0-1, then row 2 */
	TB_CHECK_INT(log.next_row, 3);
	TB_CHECK(!log.out_of_order);
	g = eng_gguf_open(path, err, sizeof err);
	if (!g)
		printf("  %s\n", err);
	TB_REQUIRE(g != NULL);
	TB_CHECK_INT(eng_gguf_n_tensors(g), 3);
	t = eng_gguf_find_tensor(g, "big");
	TB_REQUIRE(t != NULL);
	TB_CHECK_INT(t->size_bytes, 3 * rs);
	for (unsigned r = 0; r < 3; r++) {
		fill_bytes(want, rs, 100 + r);
		TB_CHECK(memcmp((const unsigned char *)t->data + r * rs, want, rs) == 0);
	}
	TB_CHECK(memcmp(eng_gguf_find_tensor(g, "z")->data, small, sizeof small) == 0);
	eng_gguf_close(g);

	/* a failing generator: the save fails and the file already there stays as it was */
	log = (gen_log){ 0, 0, 2, 0 };
	TB_CHECK(eng_gguf_writer_save(w, path, err, sizeof err) == -1);
	TB_CHECK(strstr(err, "gen.gguf") != NULL);
	g = eng_gguf_open(path, err, sizeof err);
	TB_CHECK(g != NULL && eng_gguf_n_tensors(g) == 3);
	eng_gguf_close(g);
	scratch_path(path, sizeof path, "gen-failed.gguf");
	log = (gen_log){ 0, 0, 1, 0 };
	TB_CHECK(eng_gguf_writer_save(w, path, err, sizeof err) == -1);
	TB_CHECK(stat(path, &sb) != 0);
	eng_gguf_writer_free(w);
	free(want);
}

static void test_gguf_round_trips_tensors_of_several_types(void)
{
	round_trip_tensors(0);
}

static void test_gguf_round_trips_tensors_with_custom_alignment(void)
{
	round_trip_tensors(64);
	round_trip_tensors(1);
}

static void test_gguf_copies_metadata_of_a_real_model(void)
{
	const char *sh = tb_shared_dir();
	char path[512], out[128], err[512];
	eng_gguf_writer *w;
	eng_gguf *a, *b;

	if (!sh)
		TB_SKIP("no shared folder beside the checkout");
	snprintf(path, sizeof path, "%s/models/stories260K.gguf", sh);
	a = eng_gguf_open(path, err, sizeof err);
	TB_REQUIRE(a != NULL);
	w = eng_gguf_writer_new();
	TB_REQUIRE(w != NULL);
	TB_CHECK(eng_gguf_w_copy_kv(w, a) == 0);
	TB_CHECK(eng_gguf_w_str(w, "general.name", "copy") == 0);
	for (int64_t i = 0; i < 2; i++) {
		const eng_gguf_tensor *t = eng_gguf_tensor_at(a, i);
		TB_CHECK(eng_gguf_w_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data) == 0);
	}
	scratch_path(out, sizeof out, "copy.gguf");
	TB_CHECK(eng_gguf_writer_save(w, out, err, sizeof err) == 0);
	eng_gguf_writer_free(w);
	b = eng_gguf_open(out, err, sizeof err);
	TB_REQUIRE(b != NULL);
	TB_CHECK_INT(eng_gguf_n_kv(b), eng_gguf_n_kv(a));
	for (int64_t i = 0; i < eng_gguf_n_kv(a); i++) {
		TB_CHECK_STR(eng_gguf_key(b, i), eng_gguf_key(a, i));
		TB_CHECK_INT(eng_gguf_kv_type(b, i), eng_gguf_kv_type(a, i));
	}
	{
		const char *s;
		TB_CHECK(eng_gguf_get_str(b, "general.name", &s, NULL) == 0);
		TB_CHECK_STR(s, "copy");
	}
	for (uint64_t i = 0; i < 512; i++)
		TB_CHECK_STR(eng_gguf_arr_str(b, "tokenizer.ggml.tokens", i, NULL),
				eng_gguf_arr_str(a, "tokenizer.ggml.tokens", i, NULL));
	TB_CHECK_INT(eng_gguf_n_tensors(b), 2);
	TB_CHECK(memcmp(eng_gguf_tensor_at(b, 1)->data, eng_gguf_tensor_at(a, 1)->data, 256) == 0);
	eng_gguf_close(a);
	eng_gguf_close(b);
}

static void test_gguf_writer_rejects_bad_tensor_shapes(void)
{
	float f[512] = { 0 };
	int64_t ok[2] = { 32, 2 }, zero[2] = { 32, 0 }, neg[1] = { -32 }, odd[1] = { 33 };
	int64_t huge[4] = { INT64_MAX / 2, 4, 1, 1 };
	eng_gguf_writer *w = eng_gguf_writer_new();

	TB_REQUIRE(w != NULL);
	TB_CHECK(eng_gguf_w_tensor(w, "t", ENG_T_Q8_0, 1, odd, f) == -2);   /* 33 % 32 */
	TB_CHECK(eng_gguf_w_tensor(w, "t", ENG_T_F32, 2, zero, f) == -2);
	TB_CHECK(eng_gguf_w_tensor(w, "t", ENG_T_F32, 1, neg, f) == -2);
	TB_CHECK(eng_gguf_w_tensor(w, "t", ENG_T_F32, 0, ok, f) == -2);
	TB_CHECK(eng_gguf_w_tensor(w, "t", ENG_T_F32, 5, ok, f) == -2);
	TB_CHECK(eng_gguf_w_tensor(w, "t", 4, 2, ok, f) == -2);   /* unassigned type number */
	TB_CHECK(eng_gguf_w_tensor(w, "t", 99, 2, ok, f) == -2);
	TB_CHECK(eng_gguf_w_tensor(w, "t", ENG_T_F32, 2, huge, f) == -2);   /* overflows */
	TB_CHECK(eng_gguf_w_tensor(w, "a-name-that-is-longer-than-the-sixty-four-bytes-gguf-allows-for-it",
			ENG_T_F32, 2, ok, f) == -2);
	TB_CHECK(eng_gguf_w_tensor(w, "t", ENG_T_F32, 2, ok, f) == 0);
	TB_CHECK(eng_gguf_w_tensor(w, "t", ENG_T_F32, 2, ok, f) == -2);   /* duplicate name */
	eng_gguf_writer_free(w);
	eng_gguf_writer_free(NULL);
}

static void test_gguf_writer_refuses_a_bad_alignment_key(void)
{
	char path[128], err[256];
	eng_gguf_writer *w = eng_gguf_writer_new();

	TB_REQUIRE(w != NULL);
	scratch_path(path, sizeof path, "badalign.gguf");
	TB_CHECK(eng_gguf_w_u32(w, "general.alignment", 48) == 0);
	TB_CHECK(eng_gguf_writer_save(w, path, err, sizeof err) == -1);
	TB_CHECK(strstr(err, "general.alignment") != NULL);
	TB_CHECK(eng_gguf_w_i32(w, "general.alignment", 32) == 0);   /* wrong type */
	TB_CHECK(eng_gguf_writer_save(w, path, err, sizeof err) == -1);
	TB_CHECK(access(path, F_OK) != 0);
	eng_gguf_writer_free(w);
}

/* A failed save leaves neither the target nor a temporary file; a good one replaces the target. */
static void test_gguf_writer_saves_atomically(void)
{
	char path[256], err[512];
	eng_gguf_writer *w = small_doc();
	struct dirent *e;
	int leftovers = 0;
	DIR *d;
	FILE *f;
	eng_gguf *g;

	TB_REQUIRE(w != NULL);
	snprintf(path, sizeof path, "%s/no/such/dir/x.gguf", tmpdir);
	TB_CHECK(eng_gguf_writer_save(w, path, err, sizeof err) == -1);
	TB_CHECK(strstr(err, "x.gguf") != NULL);
	scratch_path(path, sizeof path, "atomic.gguf");
	f = fopen(path, "wb");
	TB_REQUIRE(f != NULL);
	fputs("old contents", f);
	fclose(f);
	TB_CHECK(eng_gguf_writer_save(w, path, err, sizeof err) == 0);
	eng_gguf_writer_free(w);
	g = eng_gguf_open(path, err, sizeof err);
	TB_CHECK(g != NULL);
	TB_CHECK(g && eng_gguf_n_tensors(g) == 3);
	eng_gguf_close(g);
	d = opendir(tmpdir);
	TB_REQUIRE(d != NULL);
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp"))
			leftovers++;
	closedir(d);
	TB_CHECK_INT(leftovers, 0);
}

/* ------------------------------------------------------------------ corrupt input */

static void test_gguf_rejects_a_file_truncated_at_every_byte(void)
{
	size_t n = 0;
	unsigned char *full = small_bytes(&n);
	char err[512];
	void *copy;
	eng_gguf *g;
	int bad = 0;

	TB_REQUIRE(full != NULL && n > 200);
	g = open_copy(full, n, err, sizeof err, &copy);   /* the whole file is fine */
	TB_CHECK(g != NULL);
	eng_gguf_close(g);
	free(copy);
	for (size_t len = 0; len < n; len++) {
		g = open_copy(full, len, err, sizeof err, &copy);
		if (g || strncmp(err, "t.gguf: offset ", 15) != 0 || strchr(err, '\n') ||
				!(strstr(err, "truncated") || strstr(err, "past end") ||
				  strstr(err, "impossible"))) {
			if (bad++ < 5)
				printf("  length %zu: %s\n", len, g ? "accepted" : err);
		}
		eng_gguf_close(g);
		free(copy);
	}
	TB_CHECK_INT(bad, 0);
	free(full);
}

static void test_gguf_rejects_truncated_header(void)
{
	bld b = { 0 };
	b_header(&b, 3, 0, 0);
	expect_fail_at(b.p, 3, 0, "truncated", "magic");
	expect_fail_at(b.p, 6, 4, "truncated", "version");
	expect_fail_at(b.p, 12, 8, "truncated", "n_tensors");
	expect_fail_at(b.p, 23, 16, "truncated", "n_kv");
	expect_fail_at(b.p, 0, 0, "truncated", NULL);
	b_free(&b);
}

static void test_gguf_accepts_an_empty_document(void)
{
	bld b = { 0 };
	char err[256];
	void *copy;
	eng_gguf *g;

	b_header(&b, 3, 0, 0);
	g = open_copy(b.p, b.n, err, sizeof err, &copy);
	TB_CHECK(g != NULL);
	TB_CHECK(g && eng_gguf_n_kv(g) == 0 && eng_gguf_n_tensors(g) == 0);
	TB_CHECK(g && eng_gguf_find_key(g, "x") == -1 && eng_gguf_find_tensor(g, "x") == NULL);
	eng_gguf_close(g);
	free(copy);
	b_free(&b);
}

static void test_gguf_rejects_wrong_magic(void)
{
	bld b = { 0 };
	b_put(&b, "GGML", 4);
	b_u32(&b, 3);
	b_u64(&b, 0);
	b_u64(&b, 0);
	expect_fail(&b, 0, "not a GGUF file", NULL);
	b_free(&b);
}

static void test_gguf_rejects_version_1(void)
{
	bld b = { 0 };
	b_header(&b, 1, 0, 0);
	expect_fail(&b, 4, "version 1", "not supported");
	b_free(&b);
}

static void test_gguf_rejects_version_4(void)
{
	bld b = { 0 };
	b_header(&b, 4, 0, 0);
	expect_fail(&b, 4, "version 4", NULL);
	b_free(&b);
}

static void test_gguf_rejects_big_endian_file(void)
{
	bld b = { 0 };
	b_header(&b, 0x03000000u, 0, 0);
	expect_fail(&b, 4, "big-endian", NULL);
	b_free(&b);
}

static void test_gguf_rejects_absurd_n_tensors(void)
{
	bld b = { 0 };
	b_header(&b, 3, (uint64_t)1 << 63, 0);
	expect_fail(&b, 8, "n_tensors 9223372036854775808", NULL);
	b_free(&b);
	b_header(&b, 3, 2, 1);   /* fits the header's bound, not the bytes after the metadata */
	b_str(&b, "k");
	b_u32(&b, ENG_GGUF_STR);
	b_str(&b, "a string of thirty bytes......");
	b_zeros(&b, 40);
	expect_fail(&b, 8, "n_tensors 2", "follow the metadata");
	b_free(&b);
}

static void test_gguf_rejects_absurd_n_kv(void)
{
	bld b = { 0 };
	b_header(&b, 3, 0, UINT64_MAX);
	b_kv_u32(&b, "k", 1);
	expect_fail(&b, 16, "n_kv 18446744073709551615", NULL);
	b_free(&b);
}

static void test_gguf_rejects_absurd_array_count(void)
{
	bld b = { 0 };
	b_header(&b, 3, 0, 2);
	b_kv_u32(&b, "first", 1);
	b_str(&b, "tokenizer.ggml.tokens");
	b_u32(&b, ENG_GGUF_ARR);
	b_u32(&b, ENG_GGUF_STR);
	b_u64(&b, (uint64_t)1 << 62);
	b_str(&b, "a");
	expect_fail(&b, 24 + 21 + 8 + 21 + 4 + 4, "key 1 'tokenizer.ggml.tokens'",
			"array count 4611686018427387904");
	b_free(&b);
	/* a numeric array whose count times its element size would wrap around */
	b_header(&b, 3, 0, 1);
	b_str(&b, "k");
	b_u32(&b, ENG_GGUF_ARR);
	b_u32(&b, ENG_GGUF_U64);
	b_u64(&b, (uint64_t)1 << 61);
	b_u64(&b, 0);
	expect_fail(&b, -1, "key 0 'k'", "array count");
	b_free(&b);
}

static void test_gguf_rejects_absurd_string_length(void)
{
	bld b = { 0 };
	b_header(&b, 3, 0, 1);
	b_str(&b, "general.name");
	b_u32(&b, ENG_GGUF_STR);
	b_u64(&b, (uint64_t)1 << 40);
	b_str(&b, "short");
	expect_fail(&b, 24 + 8 + 12 + 4,
			"key 0 'general.name': string length 1099511627776 runs past end of file", NULL);
	b_free(&b);
	/* a string element inside an array */
	b_header(&b, 3, 0, 1);
	b_str(&b, "toks");
	b_u32(&b, ENG_GGUF_ARR);
	b_u32(&b, ENG_GGUF_STR);
	b_u64(&b, 2);
	b_str(&b, "ok");
	b_u64(&b, UINT64_MAX);
	b_u64(&b, 0);
	expect_fail(&b, -1, "key 0 'toks'", "array element 1: string length 18446744073709551615");
	b_free(&b);
}

static void test_gguf_rejects_absurd_key_length(void)
{
	bld b = { 0 };
	b_header(&b, 3, 0, 2);
	b_kv_u32(&b, "ok", 1);
	b_u64(&b, UINT64_MAX);
	b_zeros(&b, 32);
	expect_fail(&b, 24 + 10 + 8, "key 1", "length 18446744073709551615 runs past end");
	b_free(&b);
}

static void test_gguf_rejects_bad_key_names(void)
{
	bld b = { 0 };
	b_header(&b, 3, 0, 1);
	b_str(&b, "");
	b_u32(&b, ENG_GGUF_U8);
	b_u8(&b, 1);
	b_zeros(&b, 8);   /* room for the smallest key, so the count itself passes */
	expect_fail(&b, 24, "key 0", "empty key name");
	b_free(&b);
	b_header(&b, 3, 0, 1);
	b_strn(&b, "a\0b", 3);
	b_u32(&b, ENG_GGUF_U8);
	b_u8(&b, 1);
	expect_fail(&b, 24, "key 0", "NUL");
	b_free(&b);
}

static void test_gguf_rejects_unknown_value_type(void)
{
	bld b = { 0 };
	b_header(&b, 3, 0, 1);
	b_str(&b, "k.odd");
	b_u32(&b, 13);
	b_u64(&b, 0);
	expect_fail(&b, 24 + 13, "key 0 'k.odd'", "unknown value type 13");
	b_free(&b);
	b_header(&b, 3, 0, 1);
	b_str(&b, "k.arr");
	b_u32(&b, ENG_GGUF_ARR);
	b_u32(&b, 77);
	b_u64(&b, 0);
	expect_fail(&b, 24 + 13 + 4, "key 0 'k.arr'", "unknown array element type 77");
	b_free(&b);
}

static void test_gguf_rejects_bool_other_than_0_or_1(void)
{
	bld b = { 0 };
	b_header(&b, 3, 0, 1);
	b_str(&b, "flag");
	b_u32(&b, ENG_GGUF_BOOL);
	b_u8(&b, 2);
	expect_fail(&b, 24 + 12 + 4, "key 0 'flag'", "bool value 2");
	b_free(&b);
	b_header(&b, 3, 0, 1);
	b_str(&b, "flags");
	b_u32(&b, ENG_GGUF_ARR);
	b_u32(&b, ENG_GGUF_BOOL);
	b_u64(&b, 3);
	b_u8(&b, 0);
	b_u8(&b, 1);
	b_u8(&b, 9);
	expect_fail(&b, 24 + 13 + 4 + 12 + 2, "key 0 'flags'", "array element 2: bool value 9");
	b_free(&b);
}

static void test_gguf_rejects_arrays_nested_too_deep(void)
{
	bld b = { 0 };
	char err[256];
	void *copy;
	eng_gguf *g;

	/* 8 levels are fine */
	b_header(&b, 3, 0, 1);
	b_str(&b, "deep");
	b_u32(&b, ENG_GGUF_ARR);
	for (int i = 0; i < 7; i++) {
		b_u32(&b, ENG_GGUF_ARR);
		b_u64(&b, 1);
	}
	b_u32(&b, ENG_GGUF_U8);
	b_u64(&b, 0);
	g = open_copy(b.p, b.n, err, sizeof err, &copy);
	if (!g)
		printf("  %s\n", err);
	TB_CHECK(g != NULL);
	TB_CHECK(g && walk_all(g) == 8);
	eng_gguf_close(g);
	free(copy);
	b_free(&b);
	/* a million levels are refused early, without deep recursion */
	b_header(&b, 3, 0, 1);
	b_str(&b, "deep");
	b_u32(&b, ENG_GGUF_ARR);
	for (int i = 0; i < 1000000; i++) {
		b_u32(&b, ENG_GGUF_ARR);
		b_u64(&b, 1);
	}
	expect_fail(&b, -1, "key 0 'deep'", "nested deeper than 8");
	b_free(&b);
}

static void test_gguf_rejects_duplicate_key(void)
{
	bld b = { 0 };
	b_header(&b, 3, 0, 3);
	b_kv_u32(&b, "llama.block_count", 1);
	b_kv_u32(&b, "other", 1);
	b_kv_u32(&b, "llama.block_count", 2);
	expect_fail(&b, 24 + 33 + 21, "key 2 'llama.block_count'", "duplicate key (first at key 0)");
	b_free(&b);
}

/* A document with one tensor info given by the caller and `data` bytes of data. */
static void b_one_tensor(bld *b, const char *name, uint32_t n_dims, const uint64_t *ne,
		uint32_t type, uint64_t offset, size_t data)
{
	b_header(b, 3, 1, 0);
	b_tensor_info(b, name, n_dims, ne, type, offset);
	b_pad(b, 32);
	b_zeros(b, data);
}

/* The offset where b_one_tensor's info field k (0 name, 1 n_dims, 2 ne[0]) begins. */
static long info_field(const char *name, int k, int d)
{
	long o = 24;
	if (k >= 1)
		o += 8 + (long)strlen(name);
	if (k >= 2)
		o += 4 + 8L * d;
	return o;
}

static void test_gguf_reads_a_hand_built_tensor(void)
{
	bld b = { 0 };
	uint64_t ne[2] = { 32, 2 };
	char err[256];
	void *copy;
	eng_gguf *g;

	b_one_tensor(&b, "q", 2, ne, ENG_T_Q8_0, 0, 68);
	g = open_copy(b.p, b.n, err, sizeof err, &copy);
	if (!g)
		printf("  %s\n", err);
	TB_REQUIRE(g != NULL);
	TB_CHECK_INT(eng_gguf_tensor_at(g, 0)->size_bytes, 68);
	TB_CHECK((const unsigned char *)eng_gguf_tensor_at(g, 0)->data == (unsigned char *)copy + 96);
	eng_gguf_close(g);
	free(copy);
	b_free(&b);
}

static void test_gguf_rejects_tensor_data_past_end_of_file(void)
{
	bld b = { 0 };
	uint64_t ne[2] = { 32, 2 };
	b_one_tensor(&b, "blk.0.attn_q.weight", 2, ne, ENG_T_Q8_0, 0, 67);   /* needs 68 */
	expect_fail(&b, info_field("blk.0.attn_q.weight", 2, 2) + 4,
			"tensor 0 'blk.0.attn_q.weight'", "runs past end of file");
	b_free(&b);
	b_one_tensor(&b, "far", 2, ne, ENG_T_Q8_0, (uint64_t)1 << 62, 68);
	expect_fail(&b, -1, "tensor 0 'far'", "runs past end of file");
	b_free(&b);
	b_one_tensor(&b, "wrap", 2, ne, ENG_T_Q8_0, UINT64_MAX - 31, 68);
	expect_fail(&b, -1, "tensor 0 'wrap'", "runs past end of file");
	b_free(&b);
}

static void test_gguf_rejects_absurd_n_dims(void)
{
	bld b = { 0 };
	uint64_t ne[5] = { 1, 1, 1, 1, 1 };
	b_one_tensor(&b, "t5", 5, ne, ENG_T_F32, 0, 4);
	expect_fail(&b, info_field("t5", 1, 0), "tensor 0 't5'", "n_dims 5");
	b_free(&b);
	b_header(&b, 3, 1, 0);
	b_str(&b, "t0");
	b_u32(&b, 0);
	b_u32(&b, ENG_T_F32);
	b_u64(&b, 0);
	b_zeros(&b, 32);
	expect_fail(&b, info_field("t0", 1, 0), "tensor 0 't0'", "n_dims 0");
	b_free(&b);
	b_header(&b, 3, 1, 0);
	b_str(&b, "tbig");
	b_u32(&b, 0xffffffffu);
	b_zeros(&b, 40);
	expect_fail(&b, info_field("tbig", 1, 0), "tensor 0 'tbig'", "n_dims 4294967295");
	b_free(&b);
}

static void test_gguf_rejects_absurd_ne(void)
{
	bld b = { 0 };
	uint64_t zero[2] = { 4, 0 }, neg[1] = { UINT64_MAX }, over[3] = { 1u << 31, 1u << 31, 1u << 31 };
	uint64_t big[2] = { (uint64_t)1 << 40, (uint64_t)1 << 20 };
	b_one_tensor(&b, "z", 2, zero, ENG_T_F32, 0, 16);
	expect_fail(&b, info_field("z", 2, 1), "tensor 0 'z'", "ne[1] = 0 is not positive");
	b_free(&b);
	b_one_tensor(&b, "n", 1, neg, ENG_T_F32, 0, 16);
	expect_fail(&b, info_field("n", 2, 0), "tensor 0 'n'", "ne[0] = 18446744073709551615 is too large");
	b_free(&b);
	b_one_tensor(&b, "o", 3, over, ENG_T_F32, 0, 16);
	expect_fail(&b, info_field("o", 2, 2), "tensor 0 'o'", "element count overflows at ne[2]");
	b_free(&b);
	/* fits int64 elements but not the file */
	b_one_tensor(&b, "b", 2, big, ENG_T_F32, 0, 16);
	expect_fail(&b, -1, "tensor 0 'b'", "runs past end of file");
	b_free(&b);
	/* 2^62 elements of 4 bytes: the byte size overflows */
	big[0] = (uint64_t)1 << 42;
	b_one_tensor(&b, "s", 2, big, ENG_T_F32, 0, 16);
	expect_fail(&b, -1, "tensor 0 's'", "overflows");
	b_free(&b);
}

static void test_gguf_rejects_unknown_tensor_type(void)
{
	bld b = { 0 };
	uint64_t ne[1] = { 4 };
	b_one_tensor(&b, "x", 1, ne, 99, 0, 16);
	expect_fail(&b, info_field("x", 2, 1), "tensor 0 'x'", "unknown type 99");
	b_free(&b);
	b_one_tensor(&b, "gap", 1, ne, 4, 0, 16);   /* a number ggml left unassigned */
	expect_fail(&b, -1, "tensor 0 'gap'", "unknown type 4");
	b_free(&b);
}

static void test_gguf_rejects_row_length_not_a_multiple_of_the_block(void)
{
	bld b = { 0 };
	uint64_t ne[2] = { 48, 2 };
	b_one_tensor(&b, "r", 2, ne, ENG_T_Q4_0, 0, 64);
	expect_fail(&b, -1, "tensor 0 'r'", "row length 48 is not a multiple of the block size 32");
	b_free(&b);
}

static void test_gguf_rejects_misaligned_tensor_offset(void)
{
	bld b = { 0 };
	uint64_t ne[1] = { 4 };
	b_one_tensor(&b, "m", 1, ne, ENG_T_F32, 16, 64);
	expect_fail(&b, info_field("m", 2, 1) + 4, "tensor 0 'm'",
			"data offset 16 is not a multiple of the alignment 32");
	b_free(&b);
}

static void test_gguf_rejects_bad_alignment_value(void)
{
	static const uint32_t bad[] = { 0, 3, 48, 0x80000001u };
	bld b = { 0 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char want[64];
		b_header(&b, 3, 0, 1);
		b_kv_u32(&b, "general.alignment", bad[i]);
		snprintf(want, sizeof want, "alignment %u is not a nonzero power of two", bad[i]);
		expect_fail(&b, 24 + 8 + 17 + 4, "key 0 'general.alignment'", want);
		b_free(&b);
	}
	b_header(&b, 3, 0, 1);
	b_str(&b, "general.alignment");
	b_u32(&b, ENG_GGUF_U64);
	b_u64(&b, 32);
	expect_fail(&b, -1, "key 0 'general.alignment'", "has type u64, expected u32");
	b_free(&b);
}

static void test_gguf_honours_alignment_in_the_file(void)
{
	bld b = { 0 };
	uint64_t ne[1] = { 4 };
	char err[256];
	void *copy;
	eng_gguf *g;

	b_header(&b, 3, 2, 1);
	b_kv_u32(&b, "general.alignment", 8);
	b_tensor_info(&b, "a", 1, ne, ENG_T_F32, 0);
	b_tensor_info(&b, "b", 1, ne, ENG_T_F32, 24);
	b_pad(&b, 8);
	b_zeros(&b, 40);
	g = open_copy(b.p, b.n, err, sizeof err, &copy);
	if (!g)
		printf("  %s\n", err);
	TB_REQUIRE(g != NULL);
	TB_CHECK_INT(eng_gguf_alignment(g), 8);
	TB_CHECK((const unsigned char *)eng_gguf_find_tensor(g, "b")->data ==
			(unsigned char *)copy + (b.n - 40) + 24);
	eng_gguf_close(g);
	free(copy);
	b_free(&b);
}

static void test_gguf_rejects_duplicate_tensor_name(void)
{
	bld b = { 0 };
	uint64_t ne[1] = { 8 };
	b_header(&b, 3, 3, 0);
	b_tensor_info(&b, "w", 1, ne, ENG_T_F32, 0);
	b_tensor_info(&b, "v", 1, ne, ENG_T_F32, 32);
	b_tensor_info(&b, "w", 1, ne, ENG_T_F32, 64);
	b_pad(&b, 32);
	b_zeros(&b, 96);
	expect_fail(&b, 24 + 2 * 33, "tensor 2 'w'", "duplicate tensor name (first is tensor 0)");
	b_free(&b);
}

static void test_gguf_rejects_overlong_tensor_name(void)
{
	bld b = { 0 };
	uint64_t ne[1] = { 8 };
	char name[80];
	memset(name, 'n', 65);
	name[65] = 0;
	b_one_tensor(&b, name, 1, ne, ENG_T_F32, 0, 32);
	expect_fail(&b, 24, "tensor 0", "name length 65 exceeds 64 bytes");
	b_free(&b);
}

/* Control bytes in a key name do not break the one-line message. */
static void test_gguf_error_names_are_one_line(void)
{
	bld b = { 0 };
	b_header(&b, 3, 0, 1);
	b_str(&b, "bad\nkey");
	b_u32(&b, 13);
	expect_fail(&b, -1, "key 0 'bad?key'", NULL);
	b_free(&b);
}

static void test_gguf_open_reports_a_missing_file(void)
{
	char path[128], err[256];
	scratch_path(path, sizeof path, "absent.gguf");
	TB_CHECK(eng_gguf_open(path, err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "absent.gguf") != NULL);
	TB_CHECK(strstr(err, "cannot open") != NULL);
	TB_CHECK(eng_gguf_open(tmpdir, err, sizeof err) == NULL);   /* a folder */
	TB_CHECK(strstr(err, "not a regular file") != NULL);
	eng_gguf_close(NULL);
}

static void test_gguf_open_rejects_an_empty_file(void)
{
	char path[128], err[256], want[160];
	FILE *f;

	scratch_path(path, sizeof path, "empty.gguf");
	f = fopen(path, "wb");
	TB_REQUIRE(f != NULL);
	fclose(f);
	TB_CHECK(eng_gguf_open(path, err, sizeof err) == NULL);
	snprintf(want, sizeof want, "%s: offset 0: truncated", path);
	TB_CHECK(strncmp(err, want, strlen(want)) == 0);
}

/* Every single-byte change of the small file is either refused with a message or read with
 * all its tensors inside the buffer (ASan checks the reads). */
static void test_gguf_survives_every_single_byte_corruption(void)
{
	size_t n = 0;
	unsigned char *full = small_bytes(&n);
	static const unsigned char vals[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
	char err[512];
	int bad = 0;

	TB_REQUIRE(full != NULL);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < sizeof vals; k++) {
			unsigned char *p = malloc(n);
			eng_gguf *g;
			TB_REQUIRE(p != NULL);
			memcpy(p, full, n);
			p[i] = vals[k];
			err[0] = 0;
			g = eng_gguf_open_mem(p, n, "t.gguf", err, sizeof err);
			if (g) {
				walk_all(g);
				for (int64_t t = 0; t < eng_gguf_n_tensors(g); t++) {
					const eng_gguf_tensor *x = eng_gguf_tensor_at(g, t);
					const unsigned char *d = x->data;
					if (d < p || d + x->size_bytes > p + n)
						bad++;
				}
			} else if (strncmp(err, "t.gguf: offset ", 15) != 0) {
				if (bad++ < 5)
					printf("  byte %zu = %u: %s\n", i, vals[k], err);
			}
			eng_gguf_close(g);
			free(p);
		}
	TB_CHECK_INT(bad, 0);
	free(full);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_gguf_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	TB_RUN(test_gguf_reads_stories260k_metadata);
	TB_RUN(test_gguf_reads_stories260k_tensors);
	TB_RUN(test_gguf_open_mem_matches_open_on_stories260k);
	TB_RUN(test_gguf_load_data_advises_huge_pages_only_when_asked);
	TB_RUN(test_gguf_opens_every_shared_model_file);
	TB_RUN(test_gguf_reads_quantized_tensor_types_of_derived_models);
	TB_RUN(test_gguf_writer_round_trips_public_setters);
	TB_RUN(test_gguf_round_trips_every_value_type_and_nested_arrays);
	TB_RUN(test_gguf_round_trips_tensors_of_several_types);
	TB_RUN(test_gguf_round_trips_tensors_with_custom_alignment);
	TB_RUN(test_gguf_copies_metadata_of_a_real_model);
	TB_RUN(test_gguf_writer_rejects_bad_tensor_shapes);
	TB_RUN(test_gguf_writer_refuses_a_bad_alignment_key);
	TB_RUN(test_gguf_writer_saves_atomically);
	TB_RUN(test_gguf_rejects_a_file_truncated_at_every_byte);
	TB_RUN(test_gguf_rejects_truncated_header);
	TB_RUN(test_gguf_accepts_an_empty_document);
	TB_RUN(test_gguf_writer_makes_generated_tensors_at_save_time);
	TB_RUN(test_gguf_rejects_wrong_magic);
	TB_RUN(test_gguf_rejects_version_1);
	TB_RUN(test_gguf_rejects_version_4);
	TB_RUN(test_gguf_rejects_big_endian_file);
	TB_RUN(test_gguf_rejects_absurd_n_tensors);
	TB_RUN(test_gguf_rejects_absurd_n_kv);
	TB_RUN(test_gguf_rejects_absurd_array_count);
	TB_RUN(test_gguf_rejects_absurd_string_length);
	TB_RUN(test_gguf_rejects_absurd_key_length);
	TB_RUN(test_gguf_rejects_bad_key_names);
	TB_RUN(test_gguf_rejects_unknown_value_type);
	TB_RUN(test_gguf_rejects_bool_other_than_0_or_1);
	TB_RUN(test_gguf_rejects_arrays_nested_too_deep);
	TB_RUN(test_gguf_rejects_duplicate_key);
	TB_RUN(test_gguf_reads_a_hand_built_tensor);
	TB_RUN(test_gguf_rejects_tensor_data_past_end_of_file);
	TB_RUN(test_gguf_rejects_absurd_n_dims);
	TB_RUN(test_gguf_rejects_absurd_ne);
	TB_RUN(test_gguf_rejects_unknown_tensor_type);
	TB_RUN(test_gguf_rejects_row_length_not_a_multiple_of_the_block);
	TB_RUN(test_gguf_rejects_misaligned_tensor_offset);
	TB_RUN(test_gguf_rejects_bad_alignment_value);
	TB_RUN(test_gguf_honours_alignment_in_the_file);
	TB_RUN(test_gguf_rejects_duplicate_tensor_name);
	TB_RUN(test_gguf_rejects_overlong_tensor_name);
	TB_RUN(test_gguf_error_names_are_one_line);
	TB_RUN(test_gguf_open_reports_a_missing_file);
	TB_RUN(test_gguf_open_rejects_an_empty_file);
	TB_RUN(test_gguf_survives_every_single_byte_corruption);
	tb_rmtree(tmpdir);
	return tb_test_end();
}
