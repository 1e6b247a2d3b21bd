/* engine/gguf_impl.h — GGUF v2/v3 reader (read-only mmap, every offset and count checked
 * against the file size) and writer (used by the quantizer and by tests that build small
 * models). Layout facts: the public GGUF specification (ggml docs/gguf.md). Internal to engine/. */
#ifndef ENG_GGUF_IMPL_H
#define ENG_GGUF_IMPL_H

#include <stddef.h>
#include <stdint.h>

/* Metadata value types, numbered as in the GGUF specification. */
enum eng_gguf_vtype {
	ENG_GGUF_U8 = 0, ENG_GGUF_I8 = 1, ENG_GGUF_U16 = 2, ENG_GGUF_I16 = 3,
	ENG_GGUF_U32 = 4, ENG_GGUF_I32 = 5, ENG_GGUF_F32 = 6, ENG_GGUF_BOOL = 7,
	ENG_GGUF_STR = 8, ENG_GGUF_ARR = 9, ENG_GGUF_U64 = 10, ENG_GGUF_I64 = 11,
	ENG_GGUF_F64 = 12
};

#define ENG_GGUF_MAX_DIMS 4

typedef struct eng_gguf eng_gguf;

/* One tensor as described by the file. `ne[0]` is the row length (fastest-moving dimension);
 * unused dimensions are 1. `data` points into the mapping (aligned to general.alignment from
 * the start of the data section) and stays valid until eng_gguf_close. */
typedef struct eng_gguf_tensor {
	const char *name;        /* NUL-terminated copy, owned by the eng_gguf */
	int type;                /* enum eng_type (quant_impl.h), already checked to be known */
	int n_dims;              /* 1..4 */
	int64_t ne[ENG_GGUF_MAX_DIMS];
	uint64_t offset;         /* relative to the data section, as stored */
	uint64_t size_bytes;     /* computed from type and shape */
	const void *data;
	int repacked;            /* 0: data in the file's layout; 1: rearranged in memory at load by the
	                          * model (model.c repack_weights, quant_impl.h "R16"); the file is unchanged */
} eng_gguf_tensor;

/* Opens and validates a GGUF file (v2 or v3, little-endian). Every string length, array count,
 * tensor dimension, type and data range is checked against the file; on failure returns NULL
 * and writes one line naming the file, the byte offset and what was wrong, e.g.
 * "m.gguf: offset 24: key 3: string length 1099511627776 runs past end of file (1024 bytes)".
 * Unknown tensor types are an error ("tensor 'x': unknown type 99"). Duplicate keys or tensor
 * names are errors. Ownership: caller frees with eng_gguf_close. */
eng_gguf *eng_gguf_open(const char *path, char *err, size_t errlen);
/* Same, over a caller's buffer (the fuzz harness and tests use this). `name` is used in
 * messages. The buffer must outlive the handle. Ownership: caller frees with eng_gguf_close. */
eng_gguf *eng_gguf_open_mem(const void *buf, size_t len, const char *name, char *err, size_t errlen);
/* Copies every tensor's data out of the file mapping into the handle's own memory and repoints
 * eng_gguf_tensor.data there; faster to stream than the page cache. huge_pages 1 advises
 * transparent huge pages for that memory (MADV_HUGEPAGE), 0 leaves the kernel's policy.
 * Idempotent. Return 0, or -1 with a message when the memory cannot be had (the tensors then
 * still point into the mapping). */
int eng_gguf_load_data(eng_gguf *g, int huge_pages, char *err, size_t errlen);
/* Unmaps and frees. NULL does nothing. */
void eng_gguf_close(eng_gguf *g);

uint32_t eng_gguf_version(const eng_gguf *g);
uint64_t eng_gguf_file_size(const eng_gguf *g);
uint32_t eng_gguf_alignment(const eng_gguf *g);

/* Metadata. Keys are indexed 0..n-1 in file order. */
int64_t eng_gguf_n_kv(const eng_gguf *g);
/* Index of `key`, or -1. */
int64_t eng_gguf_find_key(const eng_gguf *g, const char *key);
/* Key name (NUL-terminated, owned by g). */
const char *eng_gguf_key(const eng_gguf *g, int64_t i);
int eng_gguf_kv_type(const eng_gguf *g, int64_t i);   /* enum eng_gguf_vtype */

/* Typed getters by key name. Each returns 0 on success, -1 when the key is absent, -2 when it
 * has an incompatible type. Integer getters accept any integer type (and bool) whose value fits
 * the target; float getters accept F32/F64 and integers. Strings are returned as NUL-terminated
 * copies owned by g (GGUF strings may contain NUL; `len` gives the stored length). */
int eng_gguf_get_u32(const eng_gguf *g, const char *key, uint32_t *out);
int eng_gguf_get_i64(const eng_gguf *g, const char *key, int64_t *out);
int eng_gguf_get_f32(const eng_gguf *g, const char *key, float *out);
int eng_gguf_get_bool(const eng_gguf *g, const char *key, int *out);
int eng_gguf_get_str(const eng_gguf *g, const char *key, const char **out, size_t *len);

/* Arrays (any depth; nested arrays are parsed and validated, reachable via eng_gguf_arr_sub).
 * eng_gguf_get_arr: 0 and the element type and count when `key` is an array, else -1/-2. */
int eng_gguf_get_arr(const eng_gguf *g, const char *key, int *elem_type, uint64_t *n);
/* Numeric element i of array `key`, converted (ints exact when they fit; floats as double).
 * Return 0, or -1 when out of range / not numeric. */
int eng_gguf_arr_i64(const eng_gguf *g, const char *key, uint64_t i, int64_t *out);
int eng_gguf_arr_f64(const eng_gguf *g, const char *key, uint64_t i, double *out);
/* String element i: NUL-terminated copy owned by g, its stored length in *len (may be NULL).
 * NULL when out of range or not a string array. */
const char *eng_gguf_arr_str(const eng_gguf *g, const char *key, uint64_t i, size_t *len);
/* Raw pointer to a numeric array's packed little-endian elements in the mapping (may be
 * unaligned: read with memcpy). NULL when not a numeric array. */
const void *eng_gguf_arr_raw(const eng_gguf *g, const char *key);

/* A value, for generic printing and nested arrays. */
typedef struct eng_gguf_value {
	int type;            /* enum eng_gguf_vtype */
	union { uint64_t u; int64_t i; double f; } num;   /* for scalar numeric/bool types */
	const char *str; size_t str_len;                  /* ENG_GGUF_STR */
	int arr_type; uint64_t arr_n; const void *arr_h;  /* ENG_GGUF_ARR (opaque handle) */
} eng_gguf_value;
/* Value of key i. Return 0 or -1 when out of range. Pointers owned by g. */
int eng_gguf_kv_value(const eng_gguf *g, int64_t i, eng_gguf_value *out);
/* Element j of an array value (also nested). Return 0 or -1. */
int eng_gguf_arr_elem(const eng_gguf *g, const eng_gguf_value *arr, uint64_t j, eng_gguf_value *out);

/* Tensors, in file order. */
int64_t eng_gguf_n_tensors(const eng_gguf *g);
const eng_gguf_tensor *eng_gguf_tensor_at(const eng_gguf *g, int64_t i);
/* By name, or NULL. */
const eng_gguf_tensor *eng_gguf_find_tensor(const eng_gguf *g, const char *name);

/* ---- writer ---- */
typedef struct eng_gguf_writer eng_gguf_writer;

/* A new, empty GGUF v3 document (alignment 32 unless general.alignment is set with
 * eng_gguf_w_u32). Ownership: caller frees with eng_gguf_writer_free. */
eng_gguf_writer *eng_gguf_writer_new(void);
void eng_gguf_writer_free(eng_gguf_writer *w);
/* Setters copy their arguments; setting an existing key replaces its value. Return 0 or -1 (OOM). */
int eng_gguf_w_u32(eng_gguf_writer *w, const char *key, uint32_t v);
int eng_gguf_w_i32(eng_gguf_writer *w, const char *key, int32_t v);
int eng_gguf_w_u64(eng_gguf_writer *w, const char *key, uint64_t v);
int eng_gguf_w_f32(eng_gguf_writer *w, const char *key, float v);
int eng_gguf_w_bool(eng_gguf_writer *w, const char *key, int v);
int eng_gguf_w_str(eng_gguf_writer *w, const char *key, const char *v);
int eng_gguf_w_arr_str(eng_gguf_writer *w, const char *key, const char *const *v, uint64_t n);
int eng_gguf_w_arr_f32(eng_gguf_writer *w, const char *key, const float *v, uint64_t n);
int eng_gguf_w_arr_i32(eng_gguf_writer *w, const char *key, const int32_t *v, uint64_t n);
/* Removes a key (a later setter appends it at the end, as llama.cpp's gguf_set_* does for a
 * copied key). Return 1 when it was there, 0 when not. */
int eng_gguf_w_remove(eng_gguf_writer *w, const char *key);
/* Copies all metadata from a reader (to derive a file, e.g. quantize). Return 0 or -1. */
int eng_gguf_w_copy_kv(eng_gguf_writer *w, const eng_gguf *src);
/* Adds a tensor; `data` (eng_row_size(type, ne[0]) * rows bytes) is copied. Return 0, -1 on
 * OOM, -2 on a bad shape or a row length not a multiple of the type's block. */
int eng_gguf_w_tensor(eng_gguf_writer *w, const char *name, int type, int n_dims,
		const int64_t *ne, const void *data);
/* A tensor whose bytes are made when the file is saved, a few MiB at a time, so that a file far
 * larger than memory can be written: gen(ctx, row0, n_rows, dst) fills dst with rows [row0,
 * row0 + n_rows) (eng_row_size(type, ne[0]) bytes each; a "row" runs over ne[1..]) and returns 0,
 * or -1 to fail the save. Every save calls it again. Return as eng_gguf_w_tensor.
 * Ownership: name is copied; ctx is not owned and must stay valid until the last save. */
typedef int (*eng_gguf_gen_fn)(void *ctx, uint64_t row0, uint64_t n_rows, uint8_t *dst);
int eng_gguf_w_tensor_gen(eng_gguf_writer *w, const char *name, int type, int n_dims,
		const int64_t *ne, eng_gguf_gen_fn gen, void *ctx);
/* Writes the file atomically (temp file + rename). Return 0, or -1 with a message. */
int eng_gguf_writer_save(const eng_gguf_writer *w, const char *path, char *err, size_t errlen);

#endif
