/* engine/gguf.c — GGUF v2/v3 reader and v3 writer. The reader maps the file read-only and checks
 * every count, length, shape and data range against the file size before it allocates or points
 * into the mapping; the writer keeps a document in memory and saves it atomically.
 * Layout facts: the public GGUF specification (ggml docs/gguf.md, "File Structure"). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "engine/engine_impl.h"
#include "engine/gguf_impl.h"
#include "engine/quant_impl.h"

#define GGUF_VERSION_WRITTEN 3
#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_DEPTH 8           /* nesting of arrays in arrays; real files use 1 */
#define GGUF_MAX_KEY_BYTES 65535   /* spec: keys are at most 2^16 - 1 bytes */
#define GGUF_MAX_NAME_BYTES 64     /* spec: tensor names are at most 64 bytes */

/* The fewest bytes each item can take, used to bound a count by the bytes left before anything
 * is allocated for it: a key/value is a non-empty key string (u64 length + 1 byte), a u32 type
 * and a 1-byte value; a tensor info is a name (u64 length), u32 n_dims, one u64 ne, u32 type and
 * u64 offset; a string array element is its u64 length; a nested array is u32 type + u64 count. */
#define MIN_KV_BYTES 14
#define MIN_TENSOR_INFO_BYTES 32
#define MIN_STR_BYTES 8
#define MIN_ARR_BYTES 12

#define N_VTYPES (ENG_GGUF_F64 + 1)
/* Bytes of one value of each type; 0 for the variable-length string and array. */
static const uint8_t vt_size[N_VTYPES] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };
static const char *const vt_name[N_VTYPES] = {
	"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"
};

static int vt_is_numeric(int t)
{
	return t >= 0 && t < N_VTYPES && vt_size[t] != 0;
}

/* ------------------------------------------------------------------ little-endian bytes */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* A decoded scalar: kind 'u' (unsigned and bool), 'i' (signed) or 'f' (float). */
typedef struct num {
	int kind;
	uint64_t u;
	int64_t i;
	double f;
} num;

/* Decodes one value of numeric type t (vt_is_numeric) from p. */
static void num_decode(int t, const uint8_t *p, num *n)
{
	uint32_t b32;
	uint64_t b64;
	float f32;
	double f64;

	memset(n, 0, sizeof *n);
	n->kind = 'u';
	switch (t) {
	case ENG_GGUF_U8: case ENG_GGUF_BOOL: n->u = p[0]; break;
	case ENG_GGUF_U16: n->u = le16(p); break;
	case ENG_GGUF_U32: n->u = le32(p); break;
	case ENG_GGUF_U64: n->u = le64(p); break;
	case ENG_GGUF_I8: n->kind = 'i'; n->i = (int8_t)p[0]; break;
	case ENG_GGUF_I16: n->kind = 'i'; n->i = (int16_t)le16(p); break;
	case ENG_GGUF_I32: n->kind = 'i'; n->i = (int32_t)le32(p); break;
	case ENG_GGUF_I64: n->kind = 'i'; n->i = (int64_t)le64(p); break;
	case ENG_GGUF_F32:
		b32 = le32(p);
		memcpy(&f32, &b32, sizeof f32);
		n->kind = 'f';
		n->f = f32;
		break;
	case ENG_GGUF_F64:
		b64 = le64(p);
		memcpy(&f64, &b64, sizeof f64);
		n->kind = 'f';
		n->f = f64;
		break;
	default: break;
	}
}

/* Integer value of n when it is an integer that fits int64 (floats only when allow_float and
 * integral). Returns 0 or -1. */
static int num_to_i64(const num *n, int allow_float, int64_t *out)
{
	if (n->kind == 'u') {
		if (n->u > (uint64_t)INT64_MAX)
			return -1;
		*out = (int64_t)n->u;
		return 0;
	}
	if (n->kind == 'i') {
		*out = n->i;
		return 0;
	}
	/* -2^63 is exact as a double; 2^63 is the first value past the range */
	if (!allow_float || !(n->f >= -9223372036854775808.0 && n->f < 9223372036854775808.0) ||
			n->f != (double)(int64_t)n->f)
		return -1;
	*out = (int64_t)n->f;
	return 0;
}

static double num_to_f64(const num *n)
{
	return n->kind == 'u' ? (double)n->u : n->kind == 'i' ? (double)n->i : n->f;
}

/* ------------------------------------------------------------------ the parsed document */

/* An array value. Numeric and bool elements stay in the mapping; strings are copied so that each
 * is NUL-terminated; nested arrays are parsed recursively (depth <= GGUF_MAX_DEPTH). */
typedef struct garr garr;
struct garr {
	int type;              /* element type, enum eng_gguf_vtype */
	uint64_t n;
	const uint8_t *raw;    /* numeric: [n] packed little-endian elements in the mapping */
	char *pool;            /* string: the n strings, each followed by a NUL */
	size_t *offs;          /* string: [n + 1] start of string i in pool (last: pool size) */
	garr *sub;             /* array: [n] nested arrays */
};

typedef struct gkv {
	char *key;             /* NUL-terminated copy (keys never contain NUL) */
	int type;
	const uint8_t *raw;    /* numeric scalar: its bytes in the mapping */
	char *str;             /* string: NUL-terminated copy */
	size_t str_len;
	garr arr;              /* array */
	uint64_t val_off;      /* the value's bytes in the file, after its u32 type */
	uint64_t val_len;
} gkv;

typedef struct gten {
	eng_gguf_tensor t;
	uint64_t off_field;    /* file offset of the tensor's `offset` field, for messages */
} gten;

struct eng_gguf {
	const uint8_t *base;   /* [size] the file's bytes */
	uint64_t size;
	void *map;             /* the mapping (eng_gguf_open), or NULL */
	size_t map_len;
	void *arena;           /* tensor data copied into memory (eng_gguf_load_data), or NULL */
	size_t arena_len;
	uint32_t version;
	uint32_t alignment;
	uint64_t data_off;     /* start of the data section */
	int64_t n_kv;
	gkv *kv;               /* [n_kv] */
	int64_t n_tensors;
	gten *ten;             /* [n_tensors] */
	int64_t *kv_slot;      /* [kv_cap] hash of key names: kv index or -1 */
	size_t kv_cap;
	int64_t *t_slot;       /* [t_cap] hash of tensor names: tensor index or -1 */
	size_t t_cap;
};

/* ------------------------------------------------------------------ name hash */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

/* An open-addressing table for n names: capacity a power of two >= 2n. Returns 0 or -1. */
static int slots_new(uint64_t n, int64_t **slots, size_t *cap)
{
	size_t c = 16;
	if (n > SIZE_MAX / 4 / sizeof **slots)
		return -1;
	while (c < n * 2)
		c *= 2;
	*slots = malloc(c * sizeof **slots);
	if (!*slots)
		return -1;
	for (size_t i = 0; i < c; i++)
		(*slots)[i] = -1;
	*cap = c;
	return 0;
}

typedef const char *(*name_at_fn)(const eng_gguf *g, int64_t i);

static const char *kv_name_at(const eng_gguf *g, int64_t i)
{
	return g->kv[i].key;
}

static const char *t_name_at(const eng_gguf *g, int64_t i)
{
	return g->ten[i].t.name;
}

/* Slot of `name`: the one holding it, or the empty one where it would go. */
static size_t slot_of(const eng_gguf *g, const int64_t *slots, size_t cap, name_at_fn at,
		const char *name)
{
	size_t s = (size_t)hash_str(name) & (cap - 1);
	while (slots[s] >= 0 && strcmp(at(g, slots[s]), name) != 0)
		s = (s + 1) & (cap - 1);
	return s;
}

/* ------------------------------------------------------------------ reader */

/* A cursor over the file with the error sink; ctx names what is being read ("key 3 'x'"). */
typedef struct rd {
	const uint8_t *p;
	uint64_t len, off;
	const char *name;
	char *err;
	size_t errlen;
	char ctx[160];
} rd;

static void rd_fail(rd *r, uint64_t at, const char *fmt, ...) ENG_PRINTF(3, 4);

/* Writes "<file>: offset <at>: <ctx>: <message>" into the error buffer. */
static void rd_fail(rd *r, uint64_t at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!r->err || r->errlen == 0)
		return;
	n = snprintf(r->err, r->errlen, "%s: offset %" PRIu64 ": %s%s", r->name, at, r->ctx,
			r->ctx[0] ? ": " : "");
	if (n < 0 || (size_t)n >= r->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Sets the message context to "<what> <i>" plus the name when given, with control bytes shown
 * as '?' and long names cut so the message stays one readable line. */
static void rd_ctx(rd *r, const char *what, uint64_t i, const char *name)
{
	int n = snprintf(r->ctx, sizeof r->ctx, "%s %" PRIu64, what, i);
	size_t k = n > 0 ? (size_t)n : 0, j;

	if (!name || k + 4 >= sizeof r->ctx)
		return;
	r->ctx[k++] = ' ';
	r->ctx[k++] = '\'';
	for (j = 0; name[j] && k + 5 < sizeof r->ctx && j < 96; j++) {
		unsigned char c = (unsigned char)name[j];
		r->ctx[k++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (name[j]) {
		r->ctx[k++] = '.';
		r->ctx[k++] = '.';
	}
	r->ctx[k++] = '\'';
	r->ctx[k] = 0;
}

static uint64_t rd_left(const rd *r)
{
	return r->len - r->off;
}

static int rd_need(rd *r, uint64_t n, const char *what)
{
	if (rd_left(r) >= n)
		return 0;
	rd_fail(r, r->off, "truncated: %s needs %" PRIu64 " bytes, %" PRIu64
			" left (file is %" PRIu64 " bytes)", what, n, rd_left(r), r->len);
	return -1;
}

static int rd_u32(rd *r, const char *what, uint32_t *v)
{
	if (rd_need(r, 4, what))
		return -1;
	*v = le32(r->p + r->off);
	r->off += 4;
	return 0;
}

static int rd_u64(rd *r, const char *what, uint64_t *v)
{
	if (rd_need(r, 8, what))
		return -1;
	*v = le64(r->p + r->off);
	r->off += 8;
	return 0;
}

/* A GGUF string (u64 length, bytes) left in the mapping. `what` names it in messages. */
static int rd_str(rd *r, const char *what, const uint8_t **s, uint64_t *n)
{
	uint64_t at = r->off;
	char lw[64];

	snprintf(lw, sizeof lw, "%s length", what);
	if (rd_u64(r, lw, n))
		return -1;
	if (*n > rd_left(r)) {
		rd_fail(r, at, "%s length %" PRIu64 " runs past end of file (%" PRIu64 " bytes)",
				what, *n, r->len);
		return -1;
	}
	*s = r->p + r->off;
	r->off += *n;
	return 0;
}

/* A NUL-terminated heap copy of n bytes, or NULL. */
static char *dup_bytes(const void *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		if (n)
			memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

static void garr_release(garr *a)
{
	if (a->sub)
		for (uint64_t i = 0; i < a->n; i++)
			garr_release(&a->sub[i]);
	free(a->sub);
	free(a->pool);
	free(a->offs);
	memset(a, 0, sizeof *a);
}

static int parse_arr(rd *r, garr *a, int depth);

/* n strings from the cursor into a->pool/offs: a first pass checks every length against the
 * file (so the copy is sized by bytes that exist), a second copies. */
static int parse_str_elems(rd *r, garr *a, uint64_t n)
{
	uint64_t start = r->off, total = 0, i, at, sl;
	size_t k = 0;

	for (i = 0; i < n; i++) {
		at = r->off;
		if (rd_left(r) < 8) {
			rd_fail(r, at, "truncated: array element %" PRIu64 ": string length needs 8 bytes, %"
					PRIu64 " left (file is %" PRIu64 " bytes)", i, rd_left(r), r->len);
			return -1;
		}
		sl = le64(r->p + r->off);
		r->off += 8;
		if (sl > rd_left(r)) {
			rd_fail(r, at, "array element %" PRIu64 ": string length %" PRIu64
					" runs past end of file (%" PRIu64 " bytes)", i, sl, r->len);
			return -1;
		}
		r->off += sl;
		total += sl;
	}
	/* total <= file size and n <= file size / 8, so total + n + 1 cannot wrap a u64 */
	if (total + n + 1 > SIZE_MAX || n >= SIZE_MAX / sizeof(size_t)) {
		rd_fail(r, start, "string array too large for memory");
		return -1;
	}
	a->pool = malloc((size_t)(total + n + 1));
	a->offs = malloc((size_t)(n + 1) * sizeof(size_t));
	if (!a->pool || !a->offs) {
		rd_fail(r, start, "out of memory for %" PRIu64 " strings", n);
		return -1;
	}
	for (i = 0, at = start; i < n; i++) {
		sl = le64(r->p + at);
		a->offs[i] = k;
		if (sl)
			memcpy(a->pool + k, r->p + at + 8, (size_t)sl);
		k += (size_t)sl;
		a->pool[k++] = 0;
		at += 8 + sl;
	}
	a->offs[n] = k;
	return 0;
}

/* An array value at the cursor: u32 element type, u64 count, elements (spec "gguf_metadata_value_t").
 * depth is 1 for a key's array. */
static int parse_arr(rd *r, garr *a, int depth)
{
	uint64_t at = r->off, n, min;
	uint32_t et;

	if (rd_u32(r, "array element type", &et))
		return -1;
	if (et >= N_VTYPES) {
		rd_fail(r, at, "unknown array element type %" PRIu32, et);
		return -1;
	}
	if (et == ENG_GGUF_ARR && depth >= GGUF_MAX_DEPTH) {
		rd_fail(r, at, "arrays nested deeper than %d levels", GGUF_MAX_DEPTH);
		return -1;
	}
	a->type = (int)et;
	at = r->off;
	if (rd_u64(r, "array count", &n))
		return -1;
	min = vt_size[et] ? vt_size[et] : et == ENG_GGUF_STR ? MIN_STR_BYTES : MIN_ARR_BYTES;
	if (n > rd_left(r) / min) {
		rd_fail(r, at, "array count %" PRIu64 " of %s runs past end of file (%" PRIu64
				" bytes; each element needs at least %" PRIu64 ")", n, vt_name[et], r->len, min);
		return -1;
	}
	if (vt_size[et]) {
		a->n = n;
		a->raw = r->p + r->off;
		if (et == ENG_GGUF_BOOL)
			for (uint64_t i = 0; i < n; i++)
				if (a->raw[i] > 1) {
					rd_fail(r, r->off + i, "array element %" PRIu64 ": bool value %u is not 0 or 1",
							i, a->raw[i]);
					return -1;
				}
		r->off += n * vt_size[et];
		return 0;
	}
	if (et == ENG_GGUF_STR) {
		if (parse_str_elems(r, a, n))
			return -1;
		a->n = n;
		return 0;
	}
	a->sub = calloc(n ? (size_t)n : 1, sizeof *a->sub);
	if (!a->sub) {
		rd_fail(r, at, "out of memory for %" PRIu64 " nested arrays", n);
		return -1;
	}
	a->n = n;
	for (uint64_t i = 0; i < n; i++)
		if (parse_arr(r, &a->sub[i], depth + 1))
			return -1;
	return 0;
}

/* The value of one key/value pair, after its key: u32 type, then the value. */
static int parse_value(rd *r, gkv *kv)
{
	uint64_t at = r->off, n;
	uint32_t t;
	const uint8_t *s;

	if (rd_u32(r, "value type", &t))
		return -1;
	if (t >= N_VTYPES) {
		rd_fail(r, at, "unknown value type %" PRIu32, t);
		return -1;
	}
	kv->type = (int)t;
	kv->val_off = at = r->off;
	if (vt_size[t]) {
		if (rd_need(r, vt_size[t], vt_name[t]))
			return -1;
		kv->raw = r->p + r->off;
		if (t == ENG_GGUF_BOOL && kv->raw[0] > 1) {
			rd_fail(r, at, "bool value %u is not 0 or 1", kv->raw[0]);
			return -1;
		}
		r->off += vt_size[t];
	} else if (t == ENG_GGUF_STR) {
		if (rd_str(r, "string", &s, &n))
			return -1;
		if (!(kv->str = dup_bytes(s, (size_t)n))) {
			rd_fail(r, at, "out of memory for a string of %" PRIu64 " bytes", n);
			return -1;
		}
		kv->str_len = (size_t)n;
	} else if (parse_arr(r, &kv->arr, 1)) {
		return -1;
	}
	kv->val_len = r->off - kv->val_off;
	return 0;
}

static int parse_kvs(rd *r, eng_gguf *g)
{
	const uint8_t *s;
	uint64_t n, at;
	size_t slot;

	for (int64_t i = 0; i < g->n_kv; i++) {
		gkv *kv = &g->kv[i];
		at = r->off;
		rd_ctx(r, "key", (uint64_t)i, NULL);
		if (rd_str(r, "name", &s, &n))
			return -1;
		if (n == 0 || n > GGUF_MAX_KEY_BYTES || memchr(s, 0, (size_t)n)) {
			rd_fail(r, at, n == 0 ? "empty key name" : n > GGUF_MAX_KEY_BYTES ?
					"key name longer than 65535 bytes" : "key name contains a NUL byte");
			return -1;
		}
		if (!(kv->key = dup_bytes(s, (size_t)n))) {
			rd_fail(r, at, "out of memory");
			return -1;
		}
		rd_ctx(r, "key", (uint64_t)i, kv->key);
		slot = slot_of(g, g->kv_slot, g->kv_cap, kv_name_at, kv->key);
		if (g->kv_slot[slot] >= 0) {
			rd_fail(r, at, "duplicate key (first at key %" PRId64 ")", g->kv_slot[slot]);
			return -1;
		}
		g->kv_slot[slot] = i;
		if (parse_value(r, kv))
			return -1;
	}
	r->ctx[0] = 0;
	return 0;
}

/* general.alignment: a u32, a nonzero power of two (spec "Required" keys). */
static int read_alignment(rd *r, eng_gguf *g)
{
	int64_t i = eng_gguf_find_key(g, "general.alignment");
	uint32_t a;

	g->alignment = GGUF_DEFAULT_ALIGNMENT;
	if (i < 0)
		return 0;
	rd_ctx(r, "key", (uint64_t)i, "general.alignment");
	if (g->kv[i].type != ENG_GGUF_U32) {
		rd_fail(r, g->kv[i].val_off, "alignment has type %s, expected u32",
				vt_name[g->kv[i].type]);
		return -1;
	}
	a = le32(g->kv[i].raw);
	if (a == 0 || (a & (a - 1)) != 0) {
		rd_fail(r, g->kv[i].val_off, "alignment %" PRIu32 " is not a nonzero power of two", a);
		return -1;
	}
	g->alignment = a;
	r->ctx[0] = 0;
	return 0;
}

/* One tensor info (spec "gguf_tensor_info_t"): name, u32 n_dims, ne[n_dims], u32 type, u64 offset. */
static int parse_tensor_info(rd *r, eng_gguf *g, int64_t i)
{
	gten *gt = &g->ten[i];
	eng_gguf_tensor *t = &gt->t;
	const eng_type_info *ti;
	const uint8_t *s;
	uint64_t n, at = r->off, v, nel = 1, blocks, row, rows;
	uint32_t u;
	size_t slot;

	rd_ctx(r, "tensor", (uint64_t)i, NULL);
	if (rd_str(r, "name", &s, &n))
		return -1;
	if (n > GGUF_MAX_NAME_BYTES || memchr(s, 0, (size_t)n)) {
		rd_fail(r, at, n > GGUF_MAX_NAME_BYTES ? "name length %" PRIu64 " exceeds 64 bytes" :
				"name of %" PRIu64 " bytes contains a NUL byte", n);
		return -1;
	}
	if (!(t->name = dup_bytes(s, (size_t)n))) {
		rd_fail(r, at, "out of memory");
		return -1;
	}
	rd_ctx(r, "tensor", (uint64_t)i, t->name);
	slot = slot_of(g, g->t_slot, g->t_cap, t_name_at, t->name);
	if (g->t_slot[slot] >= 0) {
		rd_fail(r, at, "duplicate tensor name (first is tensor %" PRId64 ")", g->t_slot[slot]);
		return -1;
	}
	g->t_slot[slot] = i;

	at = r->off;
	if (rd_u32(r, "n_dims", &u))
		return -1;
	if (u < 1 || u > ENG_GGUF_MAX_DIMS) {
		rd_fail(r, at, "n_dims %" PRIu32 " is not in 1..%d", u, ENG_GGUF_MAX_DIMS);
		return -1;
	}
	t->n_dims = (int)u;
	for (int d = 0; d < ENG_GGUF_MAX_DIMS; d++)
		t->ne[d] = 1;
	for (int d = 0; d < t->n_dims; d++) {
		at = r->off;
		if (rd_u64(r, "ne", &v))
			return -1;
		if (v == 0 || v > (uint64_t)INT64_MAX) {
			rd_fail(r, at, "ne[%d] = %" PRIu64 " is %s", d, v, v ? "too large" : "not positive");
			return -1;
		}
		if (v > (uint64_t)INT64_MAX / nel) {
			rd_fail(r, at, "element count overflows at ne[%d] = %" PRIu64, d, v);
			return -1;
		}
		nel *= v;
		t->ne[d] = (int64_t)v;
	}

	at = r->off;
	if (rd_u32(r, "type", &u))
		return -1;
	ti = u < (uint32_t)ENG_T_COUNT ? eng_type_get((int)u) : NULL;
	if (!ti || !ti->name || ti->blck <= 0 || ti->type_size == 0) {
		rd_fail(r, at, "unknown type %" PRIu32, u);
		return -1;
	}
	t->type = (int)u;
	if (t->ne[0] % ti->blck) {
		rd_fail(r, at, "row length %" PRId64 " is not a multiple of the block size %d of %s",
				t->ne[0], ti->blck, ti->name);
		return -1;
	}
	blocks = (uint64_t)t->ne[0] / (uint64_t)ti->blck;
	rows = nel / (uint64_t)t->ne[0];
	if (blocks > UINT64_MAX / ti->type_size || (row = blocks * ti->type_size) > UINT64_MAX / rows) {
		rd_fail(r, at, "size in bytes of %s overflows", ti->name);
		return -1;
	}
	t->size_bytes = row * rows;

	gt->off_field = at = r->off;
	if (rd_u64(r, "offset", &t->offset))
		return -1;
	if (t->offset % g->alignment) {
		rd_fail(r, at, "data offset %" PRIu64 " is not a multiple of the alignment %" PRIu32,
				t->offset, g->alignment);
		return -1;
	}
	return 0;
}

static int parse_tensors(rd *r, eng_gguf *g)
{
	uint64_t end;

	for (int64_t i = 0; i < g->n_tensors; i++)
		if (parse_tensor_info(r, g, i))
			return -1;
	r->ctx[0] = 0;
	/* the data section starts at the end of the infos rounded up to the alignment */
	end = r->off;
	if (end % g->alignment)
		end += g->alignment - end % g->alignment;   /* end <= file size: cannot wrap */
	g->data_off = end;
	for (int64_t i = 0; i < g->n_tensors; i++) {
		eng_gguf_tensor *t = &g->ten[i].t;
		if (end > r->len || t->offset > r->len - end || t->size_bytes > r->len - end - t->offset) {
			rd_ctx(r, "tensor", (uint64_t)i, t->name);
			rd_fail(r, g->ten[i].off_field, "data (%" PRIu64 " bytes at offset %" PRIu64
					" of the data section, which starts at %" PRIu64 ") runs past end of file (%"
					PRIu64 " bytes)", t->size_bytes, t->offset, end, r->len);
			return -1;
		}
		t->data = r->p + end + t->offset;
	}
	return 0;
}

/* Magic, version and the two counts (left unchecked here: parse bounds them). */
static int parse_header(rd *r, eng_gguf *g, uint64_t *n_t, uint64_t *n_kv)
{
	uint32_t v, sw;
	const uint8_t *m = r->p;

	if (rd_need(r, 4, "magic"))
		return -1;
	if (memcmp(m, "GGUF", 4) != 0) {
		rd_fail(r, 0, "not a GGUF file (magic %02x %02x %02x %02x, expected \"GGUF\")",
				m[0], m[1], m[2], m[3]);
		return -1;
	}
	r->off = 4;
	if (rd_u32(r, "version", &v))
		return -1;
	sw = (v >> 24) | (v >> 8 & 0xff00u) | (v << 8 & 0xff0000u) | (v << 24);
	if (v == 1) {
		rd_fail(r, 4, "GGUF version 1 is not supported (it used 32-bit counts; convert the "
				"model again with a current llama.cpp)");
		return -1;
	}
	if (sw == 2 || sw == 3) {
		rd_fail(r, 4, "big-endian GGUF (version %" PRIu32 ") is not supported", sw);
		return -1;
	}
	if (v != 2 && v != 3) {
		rd_fail(r, 4, "unsupported GGUF version %" PRIu32 " (2 and 3 are supported)", v);
		return -1;
	}
	g->version = v;

	if (rd_u64(r, "n_tensors", n_t) || rd_u64(r, "n_kv", n_kv))
		return -1;
	return 0;
}

static int parse(eng_gguf *g, const char *name, char *err, size_t errlen)
{
	rd r;
	uint64_t n_t, n_kv;

	memset(&r, 0, sizeof r);
	r.p = g->base;
	r.len = g->size;
	r.name = name ? name : "(buffer)";
	r.err = err;
	r.errlen = errlen;
	if (parse_header(&r, g, &n_t, &n_kv))
		return -1;
	if (n_t > rd_left(&r) / MIN_TENSOR_INFO_BYTES) {
		rd_fail(&r, 8, "n_tensors %" PRIu64 " is impossible: %" PRIu64 " bytes follow the "
				"header and each tensor info needs at least %d", n_t, rd_left(&r),
				MIN_TENSOR_INFO_BYTES);
		return -1;
	}
	if (n_kv > rd_left(&r) / MIN_KV_BYTES) {
		rd_fail(&r, 16, "n_kv %" PRIu64 " is impossible: %" PRIu64 " bytes follow the header "
				"and each key/value needs at least %d", n_kv, rd_left(&r), MIN_KV_BYTES);
		return -1;
	}
	g->kv = calloc(n_kv ? (size_t)n_kv : 1, sizeof *g->kv);
	if (!g->kv || slots_new(n_kv, &g->kv_slot, &g->kv_cap)) {
		rd_fail(&r, 16, "out of memory for %" PRIu64 " keys", n_kv);
		return -1;
	}
	g->n_kv = (int64_t)n_kv;
	if (parse_kvs(&r, g) || read_alignment(&r, g))
		return -1;

	if (n_t > rd_left(&r) / MIN_TENSOR_INFO_BYTES) {
		rd_fail(&r, 8, "n_tensors %" PRIu64 " is impossible: %" PRIu64 " bytes follow the "
				"metadata and each tensor info needs at least %d", n_t, rd_left(&r),
				MIN_TENSOR_INFO_BYTES);
		return -1;
	}
	g->ten = calloc(n_t ? (size_t)n_t : 1, sizeof *g->ten);
	if (!g->ten || slots_new(n_t, &g->t_slot, &g->t_cap)) {
		rd_fail(&r, 8, "out of memory for %" PRIu64 " tensors", n_t);
		return -1;
	}
	g->n_tensors = (int64_t)n_t;
	return parse_tensors(&r, g);
}

/* Ownership: frees g, its copies and its mapping; the caller's buffer (open_mem) is untouched. */
void eng_gguf_close(eng_gguf *g)
{
	if (!g)
		return;
	if (g->kv)
		for (int64_t i = 0; i < g->n_kv; i++) {
			free(g->kv[i].key);
			free(g->kv[i].str);
			garr_release(&g->kv[i].arr);
		}
	if (g->ten)
		for (int64_t i = 0; i < g->n_tensors; i++)
			free((void *)g->ten[i].t.name);
	free(g->kv);
	free(g->ten);
	free(g->kv_slot);
	free(g->t_slot);
	if (g->map)
		munmap(g->map, g->map_len);
	if (g->arena)
		munmap(g->arena, g->arena_len);
	free(g);
}

/* Copies the data section into anonymous memory (transparent huge pages when asked) and points
 * every tensor there; the file's pages are then dropped from the mapping. Streaming weights
 * from private anonymous memory is much faster than from the page cache (longer prefetch
 * runs). Huge pages are not asked for by default: on the project's machine kind (a virtual
 * machine) 4 KiB pages decoded faster, the larger the model the more (docs/engine.md,
 * "Weights in private memory"). */
int eng_gguf_load_data(eng_gguf *g, int huge_pages, char *err, size_t errlen)
{
	const size_t huge = (size_t)2 << 20;
	size_t n, len;
	uint8_t *a;

	if (g->arena || g->data_off >= g->size)
		return 0;
	n = (size_t)(g->size - g->data_off);
	len = (n + huge - 1) & ~(huge - 1);
	a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED) {
		if (err && errlen)
			snprintf(err, errlen, "cannot allocate %zu bytes for the weights: %s", n, strerror(errno));
		return -1;
	}
#ifdef MADV_HUGEPAGE
	if (huge_pages)
		madvise(a, len, MADV_HUGEPAGE);
#else
	(void)huge_pages;
#endif
	memcpy(a, g->base + g->data_off, n);
	mprotect(a, len, PROT_READ);
	for (int64_t i = 0; i < g->n_tensors; i++)
		if (g->ten[i].t.data)
			g->ten[i].t.data = a + ((const uint8_t *)g->ten[i].t.data - (g->base + g->data_off));
	if (g->map) {
		long pg = sysconf(_SC_PAGESIZE);
		uintptr_t lo = (uintptr_t)(g->base + g->data_off), hi = (uintptr_t)(g->base + g->size);

		if (pg > 0) {
			lo = (lo + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
			hi &= ~((uintptr_t)pg - 1);
			if (hi > lo)
				madvise((void *)lo, hi - lo, MADV_DONTNEED);
		}
	}
	g->arena = a;
	g->arena_len = len;
	return 0;
}

/* Ownership: caller frees the result with eng_gguf_close; buf is borrowed and must outlive it. */
eng_gguf *eng_gguf_open_mem(const void *buf, size_t len, const char *name, char *err, size_t errlen)
{
	eng_gguf *g;

	if (err && errlen)
		err[0] = 0;
	if (!buf && len) {
		if (err && errlen)
			snprintf(err, errlen, "%s: no buffer", name ? name : "(buffer)");
		return NULL;
	}
	if (!(g = calloc(1, sizeof *g))) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", name ? name : "(buffer)");
		return NULL;
	}
	g->base = buf ? buf : (const void *)"";
	g->size = len;
	if (parse(g, name, err, errlen)) {
		eng_gguf_close(g);
		return NULL;
	}
	return g;
}

/* Ownership: caller frees the result with eng_gguf_close, which unmaps the file. */
eng_gguf *eng_gguf_open(const char *path, char *err, size_t errlen)
{
	struct stat st;
	void *map = NULL;
	size_t len;
	eng_gguf *g;
	int fd;

	if (err && errlen)
		err[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		if (err && errlen)
			snprintf(err, errlen, "%s: too large to map", path);
		close(fd);
		return NULL;
	}
	len = (size_t)st.st_size;
	if (len) {
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			if (err && errlen)
				snprintf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
			close(fd);
			return NULL;
		}
	}
	close(fd);
	g = eng_gguf_open_mem(map, len, path, err, errlen);
	if (!g) {
		if (map)
			munmap(map, len);
		return NULL;
	}
	g->map = map;
	g->map_len = len;
	return g;
}

/* Header facts of an open file. Ownership: values. */
uint32_t eng_gguf_version(const eng_gguf *g)
{
	return g->version;
}

uint64_t eng_gguf_file_size(const eng_gguf *g)
{
	return g->size;
}

uint32_t eng_gguf_alignment(const eng_gguf *g)
{
	return g->alignment;
}

/* ------------------------------------------------------------------ metadata getters */

/* Keys by index and name. Ownership: values; key names are owned by g. */
int64_t eng_gguf_n_kv(const eng_gguf *g)
{
	return g->n_kv;
}

int64_t eng_gguf_find_key(const eng_gguf *g, const char *key)
{
	if (!key || !g->kv_slot)
		return -1;
	return g->kv_slot[slot_of(g, g->kv_slot, g->kv_cap, kv_name_at, key)];
}

const char *eng_gguf_key(const eng_gguf *g, int64_t i)
{
	return i >= 0 && i < g->n_kv ? g->kv[i].key : NULL;
}

int eng_gguf_kv_type(const eng_gguf *g, int64_t i)
{
	return i >= 0 && i < g->n_kv ? g->kv[i].type : -1;
}

/* The key's entry, or NULL. */
static const gkv *kv_get(const eng_gguf *g, const char *key)
{
	int64_t i = eng_gguf_find_key(g, key);
	return i < 0 ? NULL : &g->kv[i];
}

/* The key's numeric scalar: 0, -1 absent, -2 not numeric. */
static int kv_num(const eng_gguf *g, const char *key, num *n)
{
	const gkv *kv = kv_get(g, key);
	if (!kv)
		return -1;
	if (!vt_is_numeric(kv->type))
		return -2;
	num_decode(kv->type, kv->raw, n);
	return 0;
}

/* Typed getters. Ownership: values written to *out. */
int eng_gguf_get_u32(const eng_gguf *g, const char *key, uint32_t *out)
{
	num n;
	int64_t v;
	int rc = kv_num(g, key, &n);
	if (rc)
		return rc;
	if (num_to_i64(&n, 0, &v) || v < 0 || v > (int64_t)UINT32_MAX)
		return -2;
	*out = (uint32_t)v;
	return 0;
}

int eng_gguf_get_i64(const eng_gguf *g, const char *key, int64_t *out)
{
	num n;
	int rc = kv_num(g, key, &n);
	if (rc)
		return rc;
	return num_to_i64(&n, 0, out) ? -2 : 0;
}

int eng_gguf_get_f32(const eng_gguf *g, const char *key, float *out)
{
	num n;
	int rc = kv_num(g, key, &n);
	if (rc)
		return rc;
	*out = (float)num_to_f64(&n);
	return 0;
}

int eng_gguf_get_bool(const eng_gguf *g, const char *key, int *out)
{
	num n;
	int rc = kv_num(g, key, &n);
	if (rc)
		return rc;
	if (n.kind == 'f')
		return -2;
	*out = n.kind == 'u' ? n.u != 0 : n.i != 0;
	return 0;
}

/* Ownership: *out is owned by g, valid until eng_gguf_close. */
int eng_gguf_get_str(const eng_gguf *g, const char *key, const char **out, size_t *len)
{
	const gkv *kv = kv_get(g, key);
	if (!kv)
		return -1;
	if (kv->type != ENG_GGUF_STR)
		return -2;
	*out = kv->str;
	if (len)
		*len = kv->str_len;
	return 0;
}

/* The key's array, or NULL. */
static const garr *arr_get(const eng_gguf *g, const char *key)
{
	const gkv *kv = kv_get(g, key);
	return kv && kv->type == ENG_GGUF_ARR ? &kv->arr : NULL;
}

/* Ownership: values. */
int eng_gguf_get_arr(const eng_gguf *g, const char *key, int *elem_type, uint64_t *n)
{
	const gkv *kv = kv_get(g, key);
	if (!kv)
		return -1;
	if (kv->type != ENG_GGUF_ARR)
		return -2;
	if (elem_type)
		*elem_type = kv->arr.type;
	if (n)
		*n = kv->arr.n;
	return 0;
}

static int arr_num(const garr *a, uint64_t i, num *n)
{
	if (!a || !vt_is_numeric(a->type) || i >= a->n)
		return -1;
	num_decode(a->type, a->raw + i * vt_size[a->type], n);
	return 0;
}

/* Numeric array elements. Ownership: values written to *out. */
int eng_gguf_arr_i64(const eng_gguf *g, const char *key, uint64_t i, int64_t *out)
{
	num n;
	if (arr_num(arr_get(g, key), i, &n))
		return -1;
	return num_to_i64(&n, 1, out);
}

int eng_gguf_arr_f64(const eng_gguf *g, const char *key, uint64_t i, double *out)
{
	num n;
	if (arr_num(arr_get(g, key), i, &n))
		return -1;
	*out = num_to_f64(&n);
	return 0;
}

static const char *arr_str_at(const garr *a, uint64_t i, size_t *len)
{
	if (!a || a->type != ENG_GGUF_STR || i >= a->n)
		return NULL;
	if (len)
		*len = a->offs[i + 1] - a->offs[i] - 1;
	return a->pool + a->offs[i];
}

/* Ownership: the string is owned by g, valid until eng_gguf_close. */
const char *eng_gguf_arr_str(const eng_gguf *g, const char *key, uint64_t i, size_t *len)
{
	return arr_str_at(arr_get(g, key), i, len);
}

/* Ownership: points into the file's bytes, valid until eng_gguf_close. */
const void *eng_gguf_arr_raw(const eng_gguf *g, const char *key)
{
	const garr *a = arr_get(g, key);
	return a && vt_is_numeric(a->type) ? a->raw : NULL;
}

/* Fills out with a scalar decoded from p (numeric types). */
static void value_num(int type, const uint8_t *p, eng_gguf_value *out)
{
	num n;
	num_decode(type, p, &n);
	if (n.kind == 'u')
		out->num.u = n.u;
	else if (n.kind == 'i')
		out->num.i = n.i;
	else
		out->num.f = n.f;
}

/* Ownership: out's pointers (str, arr_h) are owned by g, valid until eng_gguf_close. */
int eng_gguf_kv_value(const eng_gguf *g, int64_t i, eng_gguf_value *out)
{
	const gkv *kv;
	if (i < 0 || i >= g->n_kv)
		return -1;
	kv = &g->kv[i];
	memset(out, 0, sizeof *out);
	out->type = kv->type;
	if (vt_is_numeric(kv->type)) {
		value_num(kv->type, kv->raw, out);
	} else if (kv->type == ENG_GGUF_STR) {
		out->str = kv->str;
		out->str_len = kv->str_len;
	} else {
		out->arr_type = kv->arr.type;
		out->arr_n = kv->arr.n;
		out->arr_h = &kv->arr;
	}
	return 0;
}

/* Ownership: as eng_gguf_kv_value. */
int eng_gguf_arr_elem(const eng_gguf *g, const eng_gguf_value *arr, uint64_t j, eng_gguf_value *out)
{
	const garr *a;
	(void)g;
	if (!arr || arr->type != ENG_GGUF_ARR || !arr->arr_h)
		return -1;
	a = arr->arr_h;
	if (j >= a->n)
		return -1;
	memset(out, 0, sizeof *out);
	out->type = a->type;
	if (vt_is_numeric(a->type)) {
		value_num(a->type, a->raw + j * vt_size[a->type], out);
	} else if (a->type == ENG_GGUF_STR) {
		out->str = arr_str_at(a, j, &out->str_len);
	} else {
		out->arr_type = a->sub[j].type;
		out->arr_n = a->sub[j].n;
		out->arr_h = &a->sub[j];
	}
	return 0;
}

/* ------------------------------------------------------------------ tensors */

/* Tensors by index and name. Ownership: the infos and their data are owned by g, valid until
 * eng_gguf_close. */
int64_t eng_gguf_n_tensors(const eng_gguf *g)
{
	return g->n_tensors;
}

const eng_gguf_tensor *eng_gguf_tensor_at(const eng_gguf *g, int64_t i)
{
	return i >= 0 && i < g->n_tensors ? &g->ten[i].t : NULL;
}

const eng_gguf_tensor *eng_gguf_find_tensor(const eng_gguf *g, const char *name)
{
	int64_t i;
	if (!name || !g->t_slot)
		return NULL;
	i = g->t_slot[slot_of(g, g->t_slot, g->t_cap, t_name_at, name)];
	return i < 0 ? NULL : &g->ten[i].t;
}

/* ------------------------------------------------------------------ writer */

/* A key and its value already encoded as in the file (the bytes after the u32 type). */
typedef struct wkv {
	char *key;
	int type;
	uint8_t *val;
	size_t val_len;
} wkv;

typedef struct wten {
	char *name;
	int type;
	int n_dims;
	int64_t ne[ENG_GGUF_MAX_DIMS];
	uint8_t *data;         /* [size]; NULL for a tensor made at save time */
	uint64_t size;
	eng_gguf_gen_fn gen;   /* makes the rows at save time (data NULL); not owned */
	void *gen_ctx;
} wten;

struct eng_gguf_writer {
	wkv *kv;
	size_t n_kv, cap_kv;
	wten *ten;
	size_t n_ten, cap_ten;
};

/* Values are encoded into a tb_buf (base/base.h); its first failure is kept, checked once. */
static void bb_put(tb_buf *b, const void *s, size_t n)
{
	tb_buf_add(b, s, n);
}

static void bb_u32(tb_buf *b, uint32_t v)
{
	uint8_t e[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	bb_put(b, e, 4);
}

static void bb_u64(tb_buf *b, uint64_t v)
{
	bb_u32(b, (uint32_t)v);
	bb_u32(b, (uint32_t)(v >> 32));
}

static void bb_str(tb_buf *b, const char *s, size_t n)
{
	bb_u64(b, n);
	bb_put(b, s, n);
}

/* Ownership: caller frees with eng_gguf_writer_free. */
eng_gguf_writer *eng_gguf_writer_new(void)
{
	return calloc(1, sizeof(eng_gguf_writer));
}

/* Ownership: frees w and every copy it holds; NULL does nothing. */
void eng_gguf_writer_free(eng_gguf_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n_kv; i++) {
		free(w->kv[i].key);
		free(w->kv[i].val);
	}
	for (size_t i = 0; i < w->n_ten; i++) {
		free(w->ten[i].name);
		free(w->ten[i].data);
	}
	free(w->kv);
	free(w->ten);
	free(w);
}

/* Sets key to an encoded value, taking val (freed here on failure). Returns 0 or -1. */
static int w_set_take(eng_gguf_writer *w, const char *key, int type, uint8_t *val, size_t n)
{
	size_t klen;
	wkv *kv;

	if (!w || !key || !val || (klen = strlen(key)) == 0 || klen > GGUF_MAX_KEY_BYTES)
		goto fail;
	for (size_t i = 0; i < w->n_kv; i++)
		if (strcmp(w->kv[i].key, key) == 0) {
			free(w->kv[i].val);
			w->kv[i].type = type;
			w->kv[i].val = val;
			w->kv[i].val_len = n;
			return 0;
		}
	if (w->n_kv == w->cap_kv) {
		size_t c = w->cap_kv ? w->cap_kv * 2 : 16;
		wkv *p = realloc(w->kv, c * sizeof *p);
		if (!p)
			goto fail;
		w->kv = p;
		w->cap_kv = c;
	}
	kv = &w->kv[w->n_kv];
	if (!(kv->key = dup_bytes(key, klen)))
		goto fail;
	kv->type = type;
	kv->val = val;
	kv->val_len = n;
	w->n_kv++;
	return 0;
fail:
	free(val);
	return -1;
}

static int w_set_bb(eng_gguf_writer *w, const char *key, int type, tb_buf *b)
{
	size_t n;
	uint8_t *p = (uint8_t *)tb_buf_detach(b, &n);   /* NULL when an append failed */

	return p ? w_set_take(w, key, type, p, n) : -1;
}

/* Setters. Ownership: key and value are copied; the caller keeps its arguments. */
int eng_gguf_w_u32(eng_gguf_writer *w, const char *key, uint32_t v)
{
	tb_buf b = { 0 };
	bb_u32(&b, v);
	return w_set_bb(w, key, ENG_GGUF_U32, &b);
}

int eng_gguf_w_i32(eng_gguf_writer *w, const char *key, int32_t v)
{
	tb_buf b = { 0 };
	bb_u32(&b, (uint32_t)v);
	return w_set_bb(w, key, ENG_GGUF_I32, &b);
}

int eng_gguf_w_u64(eng_gguf_writer *w, const char *key, uint64_t v)
{
	tb_buf b = { 0 };
	bb_u64(&b, v);
	return w_set_bb(w, key, ENG_GGUF_U64, &b);
}

int eng_gguf_w_f32(eng_gguf_writer *w, const char *key, float v)
{
	tb_buf b = { 0 };
	uint32_t u;
	memcpy(&u, &v, sizeof u);
	bb_u32(&b, u);
	return w_set_bb(w, key, ENG_GGUF_F32, &b);
}

int eng_gguf_w_bool(eng_gguf_writer *w, const char *key, int v)
{
	tb_buf b = { 0 };
	uint8_t c = v != 0;
	bb_put(&b, &c, 1);
	return w_set_bb(w, key, ENG_GGUF_BOOL, &b);
}

int eng_gguf_w_str(eng_gguf_writer *w, const char *key, const char *v)
{
	tb_buf b = { 0 };
	if (!v)
		return -1;
	bb_str(&b, v, strlen(v));
	return w_set_bb(w, key, ENG_GGUF_STR, &b);
}

int eng_gguf_w_arr_str(eng_gguf_writer *w, const char *key, const char *const *v, uint64_t n)
{
	tb_buf b = { 0 };
	if (n && !v)
		return -1;
	bb_u32(&b, ENG_GGUF_STR);
	bb_u64(&b, n);
	for (uint64_t i = 0; i < n && !b.err; i++) {
		if (!v[i]) {
			tb_buf_release(&b);
			return -1;
		}
		bb_str(&b, v[i], strlen(v[i]));
	}
	return w_set_bb(w, key, ENG_GGUF_ARR, &b);
}

/* An array of n 4-byte elements of type et from v (host floats or int32). */
static int w_arr_4(eng_gguf_writer *w, const char *key, int et, const void *v, uint64_t n)
{
	tb_buf b = { 0 };
	const uint8_t *p = v;
	uint32_t u;
	if (n && !v)
		return -1;
	bb_u32(&b, (uint32_t)et);
	bb_u64(&b, n);
	for (uint64_t i = 0; i < n && !b.err; i++) {
		memcpy(&u, p + i * 4, 4);
		bb_u32(&b, u);
	}
	return w_set_bb(w, key, ENG_GGUF_ARR, &b);
}

int eng_gguf_w_arr_f32(eng_gguf_writer *w, const char *key, const float *v, uint64_t n)
{
	return w_arr_4(w, key, ENG_GGUF_F32, v, n);
}

int eng_gguf_w_arr_i32(eng_gguf_writer *w, const char *key, const int32_t *v, uint64_t n)
{
	return w_arr_4(w, key, ENG_GGUF_I32, v, n);
}

/* Ownership: copies src's keys and values; src is only read. */
int eng_gguf_w_remove(eng_gguf_writer *w, const char *key)
{
	if (!w || !key)
		return 0;
	for (size_t i = 0; i < w->n_kv; i++)
		if (strcmp(w->kv[i].key, key) == 0) {
			free(w->kv[i].key);
			free(w->kv[i].val);
			memmove(&w->kv[i], &w->kv[i + 1], (w->n_kv - i - 1) * sizeof *w->kv);
			w->n_kv--;
			return 1;
		}
	return 0;
}

int eng_gguf_w_copy_kv(eng_gguf_writer *w, const eng_gguf *src)
{
	if (!w || !src)
		return -1;
	for (int64_t i = 0; i < src->n_kv; i++) {
		const gkv *kv = &src->kv[i];
		/* the reader checked the value's bytes; v2 and v3 encode values alike */
		uint8_t *val = malloc(kv->val_len ? (size_t)kv->val_len : 1);
		if (!val)
			return -1;
		if (kv->val_len)
			memcpy(val, src->base + kv->val_off, (size_t)kv->val_len);
		if (w_set_take(w, kv->key, kv->type, val, (size_t)kv->val_len))
			return -1;
	}
	return 0;
}

/* Adds the tensor's entry: its bytes copied from data, or (data NULL) made by gen at save time. */
static int w_tensor(eng_gguf_writer *w, const char *name, int type, int n_dims, const int64_t *ne,
		const void *data, eng_gguf_gen_fn gen, void *gen_ctx)
{
	const eng_type_info *ti = type >= 0 && type < ENG_T_COUNT ? eng_type_get(type) : NULL;
	uint64_t rows = 1, row, nel;
	size_t nlen;
	wten *t;

	if (!w || !name || !ne || (!data && !gen))
		return -1;
	nlen = strlen(name);
	if (!ti || ti->blck <= 0 || ti->type_size == 0 || n_dims < 1 || n_dims > ENG_GGUF_MAX_DIMS ||
			nlen > GGUF_MAX_NAME_BYTES)
		return -2;
	nel = 1;
	for (int d = 0; d < n_dims; d++) {
		if (ne[d] <= 0 || (uint64_t)ne[d] > (uint64_t)INT64_MAX / nel)
			return -2;
		nel *= (uint64_t)ne[d];
		if (d > 0)
			rows *= (uint64_t)ne[d];
	}
	if (ne[0] % ti->blck || (uint64_t)ne[0] / (uint64_t)ti->blck > SIZE_MAX / ti->type_size)
		return -2;
	row = eng_row_size(type, ne[0]);
	if (row == 0 || row > SIZE_MAX / rows)
		return -2;
	for (size_t i = 0; i < w->n_ten; i++)
		if (strcmp(w->ten[i].name, name) == 0)
			return -2;
	if (w->n_ten == w->cap_ten) {
		size_t c = w->cap_ten ? w->cap_ten * 2 : 16;
		wten *p = realloc(w->ten, c * sizeof *p);
		if (!p)
			return -1;
		w->ten = p;
		w->cap_ten = c;
	}
	t = &w->ten[w->n_ten];
	memset(t, 0, sizeof *t);
	t->size = row * rows;
	t->name = dup_bytes(name, nlen);
	t->data = data ? malloc((size_t)t->size) : NULL;
	if (!t->name || (data && !t->data)) {
		free(t->name);
		free(t->data);
		return -1;
	}
	if (data)
		memcpy(t->data, data, (size_t)t->size);
	t->gen = data ? NULL : gen;
	t->gen_ctx = data ? NULL : gen_ctx;
	t->type = type;
	t->n_dims = n_dims;
	for (int d = 0; d < ENG_GGUF_MAX_DIMS; d++)
		t->ne[d] = d < n_dims ? ne[d] : 1;
	w->n_ten++;
	return 0;
}

/* Ownership: name and data are copied; the caller keeps its buffers. */
int eng_gguf_w_tensor(eng_gguf_writer *w, const char *name, int type, int n_dims,
		const int64_t *ne, const void *data)
{
	return data ? w_tensor(w, name, type, n_dims, ne, data, NULL, NULL) : -1;
}

/* Ownership: name is copied; gen_ctx is not owned and must stay valid until the last save. */
int eng_gguf_w_tensor_gen(eng_gguf_writer *w, const char *name, int type, int n_dims,
		const int64_t *ne, eng_gguf_gen_fn gen, void *gen_ctx)
{
	return gen ? w_tensor(w, name, type, n_dims, ne, NULL, gen, gen_ctx) : -1;
}

/* Writes a made-at-save-time tensor: whole rows, about GEN_CHUNK bytes at a time. */
#define GEN_CHUNK ((size_t)8 << 20)
static int write_gen(const wten *t, FILE *f)
{
	uint64_t rs = eng_row_size(t->type, t->ne[0]), rows = t->size / rs, step, r;
	uint8_t *buf;
	int rc = 0;

	step = rs >= GEN_CHUNK ? 1 : GEN_CHUNK / rs;
	if (step > rows)
		step = rows;
	if (!(buf = malloc((size_t)(step * rs))))
		return -1;
	for (r = 0; r < rows && rc == 0; r += step) {
		uint64_t n = rows - r < step ? rows - r : step;

		if (t->gen(t->gen_ctx, r, n, buf) != 0 || fwrite(buf, 1, (size_t)(n * rs), f) != n * rs)
			rc = -1;
	}
	free(buf);
	return rc;
}

static uint64_t align_up(uint64_t x, uint32_t a)
{
	return x % a ? x + (a - x % a) : x;
}

/* Writes n zero bytes. Returns 0 or -1. */
static int write_zeros(FILE *f, uint64_t n)
{
	static const uint8_t z[64];
	while (n) {
		size_t k = n < sizeof z ? (size_t)n : sizeof z;
		if (fwrite(z, 1, k, f) != k)
			return -1;
		n -= k;
	}
	return 0;
}

/* Header, key/values, tensor infos, padding, tensor data (each padded to the alignment). */
static int write_doc(const eng_gguf_writer *w, FILE *f, uint32_t align)
{
	tb_buf b = { 0 };
	uint64_t off = 0, pos;
	int rc = -1;

	bb_put(&b, "GGUF", 4);
	bb_u32(&b, GGUF_VERSION_WRITTEN);
	bb_u64(&b, w->n_ten);
	bb_u64(&b, w->n_kv);
	for (size_t i = 0; i < w->n_kv; i++) {
		bb_str(&b, w->kv[i].key, strlen(w->kv[i].key));
		bb_u32(&b, (uint32_t)w->kv[i].type);
		bb_put(&b, w->kv[i].val, w->kv[i].val_len);
	}
	for (size_t i = 0; i < w->n_ten; i++) {
		const wten *t = &w->ten[i];
		bb_str(&b, t->name, strlen(t->name));
		bb_u32(&b, (uint32_t)t->n_dims);
		for (int d = 0; d < t->n_dims; d++)
			bb_u64(&b, (uint64_t)t->ne[d]);
		bb_u32(&b, (uint32_t)t->type);
		bb_u64(&b, off);
		off = align_up(off + t->size, align);
	}
	if (b.err)
		goto fail;
	pos = b.len;
	if (fwrite(b.p, 1, b.len, f) != b.len || write_zeros(f, align_up(pos, align) - pos))
		goto fail;
	for (size_t i = 0; i < w->n_ten; i++) {
		const wten *t = &w->ten[i];
		if ((t->data ? fwrite(t->data, 1, (size_t)t->size, f) != t->size : write_gen(t, f) != 0) ||
				write_zeros(f, align_up(t->size, align) - t->size))
			goto fail;
	}
	rc = 0;
fail:
	tb_buf_release(&b);
	return rc;
}

/* Ownership: w is only read; nothing to free. On failure the temporary file is removed and an
 * existing file at path is left as it was. */
int eng_gguf_writer_save(const eng_gguf_writer *w, const char *path, char *err, size_t errlen)
{
	uint32_t align = GGUF_DEFAULT_ALIGNMENT;
	char e2[1];
	tb_afile *a;

	if (!err || !errlen) {   /* the base layer always writes its line somewhere */
		err = e2;
		errlen = sizeof e2;
	}
	err[0] = 0;
	if (!w || !path) {
		snprintf(err, errlen, "%s: no writer or path", path ? path : "(null)");
		return -1;
	}
	for (size_t i = 0; i < w->n_kv; i++)
		if (strcmp(w->kv[i].key, "general.alignment") == 0) {
			align = w->kv[i].type == ENG_GGUF_U32 ? le32(w->kv[i].val) : 0;
			if (align == 0 || (align & (align - 1)) != 0) {
				snprintf(err, errlen, "%s: general.alignment must be a u32 power of two", path);
				return -1;
			}
		}
	/* written beside path and renamed over it: a failure leaves an existing file as it was */
	if (!(a = tb_afile_open(path, err, errlen)))
		return -1;
	errno = 0;
	if (write_doc(w, tb_afile_stream(a), align)) {
		snprintf(err, errlen, "%s: write failed: %s", path, errno ? strerror(errno) : "out of memory");
		tb_afile_abort(a);
		return -1;
	}
	return tb_afile_commit(a, err, errlen) ? -1 : 0;
}
