/* engine/vocab.c — tokenizers built from GGUF tokenizer.ggml.* metadata: SentencePiece-style
 * score merges with byte fallback ("llama") and byte-level BPE with rank merges ("gpt2") behind
 * the pre-tokenizer splits llama.cpp uses; special-token partitioning, BOS/EOS/EOG ids, pieces
 * and detokenization. Behaviour follows llama.cpp (src/llama-vocab.cpp, src/unicode.cpp at the
 * commit in shared/models/README.txt) and its test vectors; the code is this project's own. */
#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "base/base.h"
#include "engine/engine.h"
#include "engine/engine_impl.h"
#include "engine/gguf_impl.h"
#include "engine/vocab_impl.h"

#define K_MODEL      "tokenizer.ggml.model"
#define K_PRE        "tokenizer.ggml.pre"
#define K_TOKENS     "tokenizer.ggml.tokens"
#define K_SCORES     "tokenizer.ggml.scores"
#define K_TYPES      "tokenizer.ggml.token_type"
#define K_MERGES     "tokenizer.ggml.merges"
#define K_ADD_BOS    "tokenizer.ggml.add_bos_token"
#define K_ADD_EOS    "tokenizer.ggml.add_eos_token"
#define K_ADD_PREFIX "tokenizer.ggml.add_space_prefix"
#define K_BOS        "tokenizer.ggml.bos_token_id"

#define VOCAB_MAX_TOKENS  (1 << 24)      /* ids are int32; real vocabularies stay under 300k */
#define VOCAB_MAX_MERGES  (1 << 24)
#define VOCAB_MAX_TEXT    ((size_t)1 << 28) /* bytes one tokenize call accepts */
#define VOCAB_MAX_RULES   6              /* regexes in one pre-tokenizer */

/* Token attributes, as bits (a token found by its text to end generation gains CONTROL). */
enum {
	ATTR_UNKNOWN = 1 << 0, ATTR_UNUSED = 1 << 1, ATTR_NORMAL = 1 << 2, ATTR_CONTROL = 1 << 3,
	ATTR_USER = 1 << 4, ATTR_BYTE = 1 << 5, ATTR_LSTRIP = 1 << 6, ATTR_RSTRIP = 1 << 7,
	ATTR_EOG = 1 << 8
};

enum { KIND_SPM, KIND_BPE };
enum { PRE_DEFAULT, PRE_GPT2, PRE_LLAMA3, PRE_QWEN2, PRE_DEEPSEEK_LLM, PRE_DEEPSEEK_CODER, PRE_O200K };
/* How one pre-tokenizer regex is applied (llama.cpp unicode_regex_split): two patterns have
 * hand-written splitters there, patterns with \p{..} run over a "collapsed" byte per code point,
 * the rest over the code points themselves. */
enum { SPLIT_GPT2 = 1, SPLIT_LLAMA3, SPLIT_COLLAPSED, SPLIT_WIDE };

typedef struct split_rule {
	int how;
	pcre2_code *re;          /* SPLIT_COLLAPSED / SPLIT_WIDE */
} split_rule;

struct eng_vocab {
	int n;                   /* tokens */
	int kind, pre_kind;
	char *model, *pre;       /* as named in the file ("default" when pre is absent) */
	char *text;              /* every token's text, each NUL-terminated */
	size_t *off;             /* [n] offset of token i in text */
	uint32_t *len;           /* [n] */
	float *score;            /* [n] */
	uint16_t *attr;          /* [n] ATTR_* */
	int32_t *slots;          /* text → id, open addressing, -1 empty */
	size_t slot_mask;
	/* BPE merges "a b" at rank i, keyed by the pair (a, b) */
	int n_merges;
	char *mtext;
	size_t *m_off;           /* [n_merges] a starts at mtext + m_off, b right after a */
	uint32_t *m_len_a, *m_len_b;
	int32_t *m_slots;
	size_t m_mask;
	int32_t bos, eos, eot, eom, unk, sep, pad, fim_pad, fim_rep, fim_sep;
	int add_bos, add_eos, add_space_prefix, ignore_merges;
	int32_t *special;        /* control, user-defined and unknown tokens, longest text first */
	int n_special;
	int32_t spm_byte[256];   /* SPM byte fallback: <0xXX> (or the 1-byte token), -1 when none */
	int32_t one_byte[256];   /* BPE: the token whose text is this single byte, -1 when none */
	split_rule rules[VOCAB_MAX_RULES];
	int n_rules;
};

/* ---------------------------------------------------------------- growable buffers */

typedef struct i32buf { int32_t *p; size_t n, cap; } i32buf;
typedef struct u32buf { uint32_t *p; size_t n, cap; } u32buf;

static int grow(void **p, size_t *cap, size_t need, size_t elt)
{
	size_t c = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if (c > SIZE_MAX / elt)
		return -1;
	q = realloc(*p, c * elt);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static int i32_push(i32buf *b, int32_t x)
{
	if (b->n == b->cap && grow((void **)&b->p, &b->cap, b->n + 1, sizeof *b->p))
		return -1;
	b->p[b->n++] = x;
	return 0;
}

static int u32_push(u32buf *b, uint32_t x)
{
	if (b->n == b->cap && grow((void **)&b->p, &b->cap, b->n + 1, sizeof *b->p))
		return -1;
	b->p[b->n++] = x;
	return 0;
}

/* Byte strings (patterns, words) are built in a tb_buf (base/base.h). */
static int ch_put(tb_buf *b, const void *s, size_t n)
{
	return tb_buf_add(b, s, n) ? -1 : 0;
}

/* A caller's byte buffer with a hard cap: everything is counted, what fits is copied. */
typedef struct capbuf { char *p; size_t cap, n; } capbuf;

static void cap_put(capbuf *o, const void *s, size_t n)
{
	if (o->n < o->cap) {
		size_t k = o->cap - o->n < n ? o->cap - o->n : n;
		memcpy(o->p + o->n, s, k);
	}
	o->n += n;
}

/* ---------------------------------------------------------------- unicode */

#define UC_MAX 0x110000u
/* Per code point: general category in the low 3 bits, White_Space in UC_WS. UC_IN is added by
 * the splitters for "inside the current piece", so that 0 means past its end. */
enum { UC_OTHER = 0, UC_N = 1, UC_L = 2, UC_Z = 3, UC_M = 4, UC_P = 5, UC_S = 6, UC_C = 7 };
#define UC_CAT 0x07u
#define UC_WS  0x08u
#define UC_IN  0x80u

static uint8_t *uc_tab;             /* [UC_MAX] */
static uint32_t bl_byte2cp[256];    /* byte-level BPE alphabet: byte → code point */
static int16_t bl_cp2byte[0x144];   /* inverse over the code points it uses, -1 elsewhere */
static int uc_ok;
static pthread_once_t uc_once = PTHREAD_ONCE_INIT;

/* Unicode White_Space (PropList.txt): what Python's \s, and so llama.cpp's tables, match. */
static const uint32_t uc_white_space[] = {
	0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
	0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000
};

/* Writes code point c as UTF-8 (1-4 bytes; surrogates are written like any other 3-byte value,
 * as llama.cpp does) and returns the byte count. Above U+10FFFF writes U+FFFD. */
static int utf8_put(uint32_t c, unsigned char *o)
{
	if (c < 0x80) {
		o[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (unsigned char)(0xC0 | (c >> 6));
		o[1] = (unsigned char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (c >> 12));
		o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (c & 0x3F));
		return 3;
	}
	if (c < UC_MAX) {
		o[0] = (unsigned char)(0xF0 | (c >> 18));
		o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
		o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		o[3] = (unsigned char)(0x80 | (c & 0x3F));
		return 4;
	}
	return utf8_put(0xFFFD, o);
}

/* Decodes the code point at s[*i] as llama.cpp does: the lead byte decides the length and the
 * continuation bytes are checked, nothing else (overlong forms and surrogates pass). A bad lead
 * or a broken or cut-off sequence gives U+FFFD and consumes one byte. */
static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *i)
{
	size_t k = *i;
	unsigned char c = s[k];

#define CONT(j) (k + (j) < n && (s[k + (j)] & 0xC0) == 0x80)
	if (c < 0x80) {
		*i = k + 1;
		return c;
	}
	if ((c & 0x40) == 0)
		goto bad;
	if ((c & 0x20) == 0) {
		if (!CONT(1))
			goto bad;
		*i = k + 2;
		return ((uint32_t)(c & 0x1F) << 6) | (s[k + 1] & 0x3F);
	}
	if ((c & 0x10) == 0) {
		if (!CONT(1) || !CONT(2))
			goto bad;
		*i = k + 3;
		return ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[k + 1] & 0x3F) << 6) | (s[k + 2] & 0x3F);
	}
	if ((c & 0x08) == 0) {
		if (!CONT(1) || !CONT(2) || !CONT(3))
			goto bad;
		*i = k + 4;
		return ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[k + 1] & 0x3F) << 12) |
			((uint32_t)(s[k + 2] & 0x3F) << 6) | (s[k + 3] & 0x3F);
	}
#undef CONT
bad:
	*i = k + 1;
	return 0xFFFD;
}

/* Bytes the lead byte claims (1 for a stray continuation byte): how SPM and BPE cut symbols. */
static size_t utf8_len(unsigned char lead)
{
	static const unsigned char t[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4 };
	return t[lead >> 4];
}

/* Fills uc_tab by letting PCRE2 classify every code point: one anchored alternation of
 * \p{N}+ | \p{L}+ | ... over all code points in order, each match a run of one category. */
static void uc_build(void)
{
	static const char pat[] = "(\\p{N}+)|(\\p{L}+)|(\\p{Z}+)|(\\p{M}+)|(\\p{P}+)|(\\p{S}+)|(\\p{C}+)";
	unsigned char *all = NULL;
	uint8_t *tab = NULL;
	pcre2_code *re = NULL;
	pcre2_match_data *md = NULL;
	size_t n = 0, at = 0;
	uint32_t c, next = 0;
	PCRE2_SIZE eo;
	int ec, k;

	tab = calloc(UC_MAX, 1);
	all = malloc((size_t)UC_MAX * 4);
	if (!tab || !all)
		goto fail;
	for (c = 0; c < UC_MAX; c++) {
		if (c >= 0xD800 && c <= 0xDFFF)
			tab[c] = UC_C;           /* surrogates (Cs) cannot be written as UTF-8 */
		else
			n += (size_t)utf8_put(c, all + n);
	}
	re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED,
		&ec, &eo, NULL);
	if (!re)
		goto fail;
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);   /* optional: the interpreter also works */
	md = pcre2_match_data_create_from_pattern(re, NULL);
	if (!md)
		goto fail;
	while (at < n) {
		PCRE2_SIZE *ov;
		int rc = pcre2_match(re, all, n, at, PCRE2_NO_UTF_CHECK, md, NULL);

		if (rc < 2 || rc > 8)
			goto fail;
		ov = pcre2_get_ovector_pointer(md);
		if (ov[0] != at || ov[1] <= at)
			goto fail;
		for (; at < ov[1]; at++) {
			if ((all[at] & 0xC0) == 0x80)
				continue;
			if (next == 0xD800)
				next = 0xE000;
			tab[next++] = (uint8_t)(rc - 1);   /* group g matched: category g */
		}
	}
	if (next != UC_MAX)
		goto fail;
	for (k = 0; k < (int)(sizeof uc_white_space / sizeof uc_white_space[0]); k++)
		tab[uc_white_space[k]] |= UC_WS;

	/* GPT-2 bytes_to_unicode: printable Latin-1 stands for itself, the other 68 bytes take
	 * U+0100.. in byte order. */
	memset(bl_cp2byte, 0xFF, sizeof bl_cp2byte);
	for (k = 0, c = 0; k < 256; k++) {
		int printable = (k >= 0x21 && k <= 0x7E) || (k >= 0xA1 && k <= 0xAC) || (k >= 0xAE);
		bl_byte2cp[k] = printable ? (uint32_t)k : 256 + c++;
		bl_cp2byte[bl_byte2cp[k]] = (int16_t)k;
	}
	uc_tab = tab;
	uc_ok = 1;
	tab = NULL;
fail:
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	free(all);
	free(tab);
}

static int uc_init(void)
{
	pthread_once(&uc_once, uc_build);
	return uc_ok ? 0 : -1;
}

static unsigned uc_get(uint32_t c)
{
	return c < UC_MAX ? uc_tab[c] : UC_OTHER;
}

/* ---------------------------------------------------------------- hashing */

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ull

static size_t pow2_at_least(size_t n)
{
	size_t c = 16;

	while (c < n)
		c *= 2;
	return c;
}

static int32_t tok_find(const eng_vocab *v, const char *s, size_t n)
{
	size_t i = (size_t)fnv(s, n, FNV_INIT) & v->slot_mask;

	for (;;) {
		int32_t id = v->slots[i];

		if (id < 0)
			return -1;
		if (v->len[id] == n && memcmp(v->text + v->off[id], s, n) == 0)
			return id;
		i = (i + 1) & v->slot_mask;
	}
}

static uint64_t merge_hash(const char *a, size_t na, const char *b, size_t nb)
{
	uint64_t h = fnv(a, na, FNV_INIT);

	h = fnv("\xff", 1, h);     /* keeps ("ab","c") and ("a","bc") apart */
	return fnv(b, nb, h);
}

/* Rank of merging (a, b), or -1. */
static int merge_rank(const eng_vocab *v, const char *a, size_t na, const char *b, size_t nb)
{
	size_t i = (size_t)merge_hash(a, na, b, nb) & v->m_mask;

	for (;;) {
		int32_t r = v->m_slots[i];
		const char *m;

		if (r < 0)
			return -1;
		m = v->mtext + v->m_off[r];
		if (v->m_len_a[r] == na && v->m_len_b[r] == nb && memcmp(m, a, na) == 0 &&
		    memcmp(m + na, b, nb) == 0)
			return r;
		i = (i + 1) & v->m_mask;
	}
}

/* ---------------------------------------------------------------- pre-tokenizers */

/* GPT-2's split, which llama.cpp runs by hand-written code (same results as the regex with
 * Unicode \s, \p{L}, \p{N}). */
#define RE_GPT2 "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"
#define RE_LLAMA3 "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+" \
	"|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define RE_QWEN2 "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+" \
	"|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
/* DeepSeek's classes, with code points written as \x{..} so no editor or normalizer can fold
 * U+2126 OHM into U+03A9 and the like. */
#define RE_DS_LETTERS "\\s?[A-Za-z\\x{b5}\\x{c0}-\\x{d6}\\x{d8}-\\x{f6}\\x{f8}-\\x{1ba}\\x{1bc}-\\x{1bf}" \
	"\\x{1c4}-\\x{293}\\x{295}-\\x{2af}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37b}-\\x{37d}\\x{37f}\\x{386}" \
	"\\x{388}-\\x{38a}\\x{38c}\\x{38e}-\\x{3a1}\\x{3a3}-\\x{3f5}\\x{3f7}-\\x{481}\\x{48a}-\\x{52f}" \
	"\\x{531}-\\x{556}\\x{10a0}-\\x{10c5}\\x{13a0}-\\x{13f5}\\x{13f8}-\\x{13fd}\\x{1c90}-\\x{1cba}" \
	"\\x{1cbd}-\\x{1cbf}\\x{1d00}-\\x{1d2b}\\x{1d6b}-\\x{1d77}\\x{1d79}-\\x{1d9a}\\x{1e00}-\\x{1f15}" \
	"\\x{1f18}-\\x{1f1d}\\x{1f20}-\\x{1f45}\\x{1f48}-\\x{1f4d}\\x{1f50}-\\x{1f57}\\x{1f59}\\x{1f5b}" \
	"\\x{1f5d}\\x{1f5f}-\\x{1f7d}\\x{1f80}-\\x{1fb4}\\x{1fb6}-\\x{1fbc}\\x{1fbe}\\x{1fc2}-\\x{1fc4}" \
	"\\x{1fc6}-\\x{1fcc}\\x{1fd0}-\\x{1fd3}\\x{1fd6}-\\x{1fdb}\\x{1fe0}-\\x{1fec}\\x{1ff2}-\\x{1ff4}" \
	"\\x{1ff6}-\\x{1ffc}\\x{2102}\\x{2107}\\x{210a}-\\x{2113}\\x{2115}\\x{2119}-\\x{211d}\\x{2124}" \
	"\\x{2126}\\x{2128}\\x{212a}-\\x{212d}\\x{212f}-\\x{2134}\\x{2139}\\x{213c}-\\x{213f}" \
	"\\x{2145}-\\x{2149}\\x{214e}\\x{2183}\\x{2184}\\x{2c00}-\\x{2c7b}\\x{2c7e}-\\x{2ce4}" \
	"\\x{2ceb}-\\x{2cee}\\x{2cf2}\\x{2cf3}\\x{a640}-\\x{a66d}\\x{a680}-\\x{a69b}\\x{a722}-\\x{a76f}" \
	"\\x{a771}-\\x{a787}\\x{a78b}-\\x{a78e}\\x{ab70}-\\x{abbf}\\x{fb00}-\\x{fb06}\\x{fb13}-\\x{fb17}" \
	"\\x{ff21}-\\x{ff3a}\\x{ff41}-\\x{ff5a}\\x{10400}-\\x{1044f}\\x{104b0}-\\x{104d3}" \
	"\\x{104d8}-\\x{104fb}\\x{10c80}-\\x{10cb2}\\x{10cc0}-\\x{10cf2}\\x{118a0}-\\x{118df}" \
	"\\x{1e900}-\\x{1e943}]+"
#define RE_DS_PUNCT "\\s?[!-/:-~\\x{ff01}-\\x{ff0f}\\x{ff1a}-\\x{ff5e}\\x{2018}-\\x{201f}" \
	"\\x{3000}-\\x{3002}]+"
#define RE_DS_CJK "[\\x{4e00}-\\x{9fa5}\\x{800}-\\x{4e00}\\x{ac00}-\\x{d7ff}]+"

/* o200k (gpt-4o, gpt-oss): words of an upper-case run then a lower-case run (or an upper-case
 * run alone) with an optional English contraction, digits by three, punctuation runs with
 * trailing newlines or slashes, then the white-space rules. As llama.cpp applies it over the
 * collapsed text: an "upper-case" letter is any letter but a-z and a "lower-case" one any
 * letter but A-Z (so a non-ASCII letter is both), and marks are not letters. */
#define RE_O200K_UP "(?:(?=[\\p{L}])[^a-z])"
#define RE_O200K_LO "(?:(?=[\\p{L}])[^A-Z])"
#define RE_O200K_CONTR "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?"
#define RE_O200K "[^\\r\\n\\p{L}\\p{N}]?" RE_O200K_UP "*" RE_O200K_LO "+" RE_O200K_CONTR \
	"|[^\\r\\n\\p{L}\\p{N}]?" RE_O200K_UP "+" RE_O200K_LO "*" RE_O200K_CONTR \
	"|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

static const struct { const char *name; int kind; } pre_names[] = {
	{ "default", PRE_DEFAULT },
	{ "gpt-2", PRE_GPT2 }, { "phi-2", PRE_GPT2 },
	{ "llama3", PRE_LLAMA3 }, { "llama-v3", PRE_LLAMA3 }, { "llama-bpe", PRE_LLAMA3 },
	{ "qwen2", PRE_QWEN2 }, { "deepseek-r1-qwen", PRE_QWEN2 },
	{ "deepseek-llm", PRE_DEEPSEEK_LLM },
	{ "deepseek-coder", PRE_DEEPSEEK_CODER },
	{ "gpt-4o", PRE_O200K }, { "llama4", PRE_O200K },
};

/* The regexes each pre-tokenizer applies in turn; each splits the pieces the previous left. */
static const char *const pre_regex[][VOCAB_MAX_RULES] = {
	[PRE_DEFAULT] = { "[\\p{P}\\$\\+<=>\\^~\\|]+", RE_GPT2, "\\p{N}+", "[0-9][0-9][0-9]" },
	[PRE_GPT2] = { RE_GPT2 },
	[PRE_LLAMA3] = { RE_LLAMA3 },
	[PRE_QWEN2] = { RE_QWEN2 },
	[PRE_DEEPSEEK_LLM] = { "[\r\n]", RE_DS_LETTERS, RE_DS_PUNCT, "\\s+$", RE_DS_CJK, "\\p{N}+" },
	[PRE_DEEPSEEK_CODER] = { "[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", RE_DS_CJK, "\\p{N}" },
	[PRE_O200K] = { RE_O200K },
};

static int pre_kind_of(const char *name)
{
	for (size_t i = 0; i < sizeof pre_names / sizeof pre_names[0]; i++)
		if (strcmp(pre_names[i].name, name) == 0)
			return pre_names[i].kind;
	return -1;
}

/* Rewrites a \p{..} pattern for the collapsed text (see collapse()): each category becomes its
 * marker byte plus its ASCII members, as a class of its own or inside the enclosing one. */
static int collapse_pattern(const char *re, tb_buf *out)
{
	static const struct { const char *prop; const char *cls; } m[] = {
		{ "\\p{N}", "\xD1" "0-9" },
		{ "\\p{L}", "\xD2" "A-Za-z" },
		{ "\\p{P}", "\xD3" "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}" },
		{ "\\p{M}", "\xD4" },
		{ "\\p{S}", "\xD5" "\\$\\+<->\\^`\\|" },
	};
	int inside = 0;

	for (size_t i = 0; re[i]; i++) {
		size_t k;

		if (re[i] == '[' && (i == 0 || re[i - 1] != '\\'))
			inside = 1;
		else if (inside && re[i] == ']' && re[i - 1] != '\\')
			inside = 0;
		for (k = 0; k < sizeof m / sizeof m[0]; k++)
			if (strncmp(re + i, m[k].prop, 5) == 0)
				break;
		if (k < sizeof m / sizeof m[0]) {
			if ((!inside && ch_put(out, "[", 1)) || ch_put(out, m[k].cls, strlen(m[k].cls)) ||
			    (!inside && ch_put(out, "]", 1)))
				return -1;
			i += 4;
			continue;
		}
		if (ch_put(out, re + i, 1))
			return -1;
	}
	return 0;
}

static int rules_build(split_rule *rules, int *n_rules, int pre_kind, char *err, size_t errlen)
{
	for (int i = 0; i < VOCAB_MAX_RULES && pre_regex[pre_kind][i]; i++) {
		const char *re = pre_regex[pre_kind][i];
		split_rule *r = &rules[(*n_rules)++];
		tb_buf pat = { 0 };
		PCRE2_SIZE eo;
		uint32_t flags = PCRE2_DOLLAR_ENDONLY;
		int ec;

		if (strcmp(re, RE_GPT2) == 0) {
			r->how = SPLIT_GPT2;
			continue;
		}
		if (strcmp(re, RE_LLAMA3) == 0) {
			r->how = SPLIT_LLAMA3;
			continue;
		}
		if (strstr(re, "\\p{")) {
			r->how = SPLIT_COLLAPSED;
			if (collapse_pattern(re, &pat)) {
				tb_buf_release(&pat);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		} else {
			r->how = SPLIT_WIDE;
			flags |= PCRE2_UTF;
			if (ch_put(&pat, re, strlen(re))) {
				tb_buf_release(&pat);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
		r->re = pcre2_compile((PCRE2_SPTR)pat.p, pat.len, flags, &ec, &eo, NULL);
		tb_buf_release(&pat);
		if (!r->re) {
			PCRE2_UCHAR msg[120];

			pcre2_get_error_message(ec, msg, sizeof msg);
			snprintf(err, errlen, "pre-tokenizer regex %d: %s at %zu", i, (const char *)msg, (size_t)eo);
			return -1;
		}
		(void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
	}
	return 0;
}

static void rules_free(split_rule *rules, int n)
{
	for (int i = 0; i < n; i++)
		pcre2_code_free(rules[i].re);
}

/* The text of one BPE fragment as code points, plus the two views the regexes run over. */
typedef struct split_text {
	uint32_t *cp;            /* [n] */
	size_t n;
	unsigned char *coll;     /* [n] collapsed: ASCII as is, else a category marker byte */
	unsigned char *wide;     /* UTF-8 of cp with other white space as \v, bad values as U+FFFD */
	uint32_t *woff;          /* [n + 1] byte offset of cp[i] in wide */
	uint32_t *wcp;           /* [wide bytes + 1] code point index at each byte that starts one */
} split_text;

static void split_text_release(split_text *t)
{
	free(t->cp);
	free(t->coll);
	free(t->wide);
	free(t->woff);
	free(t->wcp);
	memset(t, 0, sizeof *t);
}

static int split_text_init(split_text *t, const char *s, size_t len, int want_coll, int want_wide)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, w = 0;

	memset(t, 0, sizeof *t);
	t->cp = malloc((len + 1) * sizeof *t->cp);
	if (!t->cp)
		return -1;
	while (i < len)
		t->cp[t->n++] = utf8_next(u, len, &i);
	if (want_coll) {
		t->coll = malloc(t->n + 1);
		if (!t->coll)
			return -1;
		for (i = 0; i < t->n; i++) {
			uint32_t c = t->cp[i];
			unsigned f = uc_get(c), cat = f & UC_CAT;

			if (c < 0x80)
				t->coll[i] = (unsigned char)c;
			else if (f & UC_WS)
				t->coll[i] = 0x0B;
			else if (cat == UC_N || cat == UC_L || cat == UC_P || cat == UC_M || cat == UC_S)
				t->coll[i] = (unsigned char)(cat == UC_N ? 0xD1 : cat == UC_L ? 0xD2 :
					cat == UC_P ? 0xD3 : cat == UC_M ? 0xD4 : 0xD5);
			else
				t->coll[i] = 0xD0;
		}
	}
	if (want_wide) {
		t->wide = malloc(t->n * 4 + 1);
		t->woff = malloc((t->n + 1) * sizeof *t->woff);
		t->wcp = malloc((t->n * 4 + 1) * sizeof *t->wcp);
		if (!t->wide || !t->woff || !t->wcp)
			return -1;
		for (i = 0; i < t->n; i++) {
			uint32_t c = t->cp[i];

			if (c >= 0x80 && (uc_get(c) & UC_WS))
				c = 0x0B;
			else if ((c >= 0xD800 && c <= 0xDFFF) || c >= UC_MAX)
				c = 0xFFFD;     /* not valid UTF-8 for PCRE2; in no class of these regexes */
			t->woff[i] = (uint32_t)w;
			t->wcp[w] = (uint32_t)i;
			w += (size_t)utf8_put(c, t->wide + w);
		}
		t->woff[t->n] = (uint32_t)w;
		t->wcp[w] = (uint32_t)t->n;
	}
	return 0;
}

/* Emits piece [*prev, end) into out when it is not empty. */
static int piece_end(u32buf *out, uint32_t *prev, uint32_t end)
{
	uint32_t n = end - *prev;

	*prev = end;
	return n ? u32_push(out, n) : 0;
}

#define IS_L(f) (((f) & UC_IN) && ((f) & UC_CAT) == UC_L)
#define IS_N(f) (((f) & UC_IN) && ((f) & UC_CAT) == UC_N)
#define IS_WS(f) (((f) & UC_IN) && ((f) & UC_WS))
/* [^\s\p{L}\p{N}] inside the piece */
#define IS_OTHER(f) (((f) & UC_IN) && !((f) & UC_WS) && ((f) & UC_CAT) != UC_L && ((f) & UC_CAT) != UC_N)

static unsigned fl_at(const uint32_t *cp, uint32_t i, uint32_t end)
{
	return i < end ? (uc_get(cp[i]) | UC_IN) : 0;
}

static uint32_t lower_ascii(uint32_t c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Length of a contraction ('s 't 'm 'd 're 've 'll) at i, 0 when none. */
static uint32_t contraction(const uint32_t *cp, uint32_t i, uint32_t end, int fold)
{
	uint32_t c1, c2;

	if (cp[i] != '\'' || i + 1 >= end)
		return 0;
	c1 = fold ? lower_ascii(cp[i + 1]) : cp[i + 1];
	if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd')
		return 2;
	if (i + 2 >= end)
		return 0;
	c2 = fold ? lower_ascii(cp[i + 2]) : cp[i + 2];
	if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l'))
		return 3;
	return 0;
}

/* Whitespace run at i: its length, and one past its last \r or \n (0 when none). */
static uint32_t ws_run(const uint32_t *cp, uint32_t i, uint32_t end, uint32_t *after_rn)
{
	uint32_t k = 0;

	*after_rn = 0;
	while (IS_WS(fl_at(cp, i + k, end))) {
		if (cp[i + k] == '\r' || cp[i + k] == '\n')
			*after_rn = i + k + 1;
		k++;
	}
	return k;
}

/* RE_GPT2 over cp[a, b). */
static int split_gpt2(const uint32_t *cp, uint32_t a, uint32_t b, u32buf *out)
{
	uint32_t pos = a, prev = a, k, rn;

	while (pos < b) {
		uint32_t c = cp[pos];
		unsigned f2 = c == ' ' ? fl_at(cp, pos + 1, b) : fl_at(cp, pos, b);

		if ((k = contraction(cp, pos, b, 0)) != 0) {
			pos += k;
		} else if (IS_L(f2)) {
			pos += c == ' ';
			while (IS_L(fl_at(cp, pos, b)))
				pos++;
		} else if (IS_N(f2)) {
			pos += c == ' ';
			while (IS_N(fl_at(cp, pos, b)))
				pos++;
		} else if (IS_OTHER(f2)) {
			pos += c == ' ';
			while (IS_OTHER(fl_at(cp, pos, b)))
				pos++;
		} else if ((k = ws_run(cp, pos, b, &rn)) > 1 && pos + k < b) {
			pos += k - 1;          /* \s+(?!\S): leave the last one to the next word */
		} else {
			pos += k ? k : 1;
		}
		if (piece_end(out, &prev, pos))
			return -1;
	}
	return 0;
}

/* RE_LLAMA3 over cp[a, b). */
static int split_llama3(const uint32_t *cp, uint32_t a, uint32_t b, u32buf *out)
{
	uint32_t pos = a, prev = a, k, rn;

	while (pos < b) {
		uint32_t c = cp[pos];
		unsigned f = fl_at(cp, pos, b), f2 = c == ' ' ? fl_at(cp, pos + 1, b) : f;

		if ((k = contraction(cp, pos, b, 1)) != 0) {
			pos += k;
		} else if (c != '\r' && c != '\n' && !IS_N(f) && (IS_L(f) || IS_L(fl_at(cp, pos + 1, b)))) {
			pos++;                 /* [^\r\n\p{L}\p{N}]?\p{L}+ */
			while (IS_L(fl_at(cp, pos, b)))
				pos++;
		} else if (IS_N(f)) {
			uint32_t ini = pos;    /* \p{N}{1,3} */

			while (IS_N(fl_at(cp, pos, b))) {
				if (++pos - ini >= 3) {
					if (piece_end(out, &prev, pos))
						return -1;
					ini = pos;
				}
			}
		} else if (!(f2 & UC_WS) && !IS_L(f2) && !IS_N(f2)) {
			pos += c == ' ';       /*  ?[^\s\p{L}\p{N}]+[\r\n]* */
			while (IS_OTHER(fl_at(cp, pos, b)))
				pos++;
			while (pos < b && (cp[pos] == '\r' || cp[pos] == '\n'))
				pos++;
		} else {
			k = ws_run(cp, pos, b, &rn);
			if (rn)
				pos = rn;          /* \s*[\r\n]+ */
			else if (k > 1 && pos + k < b)
				pos += k - 1;      /* \s+(?!\S) */
			else
				pos += k ? k : 1;  /* \s+ */
		}
		if (piece_end(out, &prev, pos))
			return -1;
	}
	return 0;
}

/* One regex over each piece of `in`: matches and the gaps between them become pieces. */
static int split_regex(const split_rule *r, const split_text *t, const u32buf *in, u32buf *out,
		pcre2_match_data *md)
{
	uint32_t a = 0;

	for (size_t s = 0; s < in->n; a += in->p[s++]) {
		uint32_t b = a + in->p[s];
		const unsigned char *subj;
		size_t sb, se, at = 0, cur = 0;
		uint32_t opts = 0;

		if (r->how == SPLIT_COLLAPSED) {
			sb = a;
			se = b;
			subj = t->coll + sb;
		} else {
			sb = t->woff[a];
			se = t->woff[b];
			subj = t->wide + sb;
			opts = PCRE2_NO_UTF_CHECK;
		}
#define CP_AT(x) (r->how == SPLIT_COLLAPSED ? (uint32_t)(x) : t->wcp[sb + (x)] - a)
		while (at < se - sb) {
			PCRE2_SIZE *ov;
			int rc = pcre2_match(r->re, subj, se - sb, at, opts, md, NULL);

			if (rc == PCRE2_ERROR_NOMATCH)
				break;
			if (rc < 0)
				return -1;
			ov = pcre2_get_ovector_pointer(md);
			if (ov[1] == ov[0]) {      /* empty match: try again one code point on */
				at = ov[0] + 1;
				while (r->how == SPLIT_WIDE && at < se - sb && (subj[at] & 0xC0) == 0x80)
					at++;
				continue;
			}
			if (ov[0] > cur && u32_push(out, CP_AT(ov[0]) - CP_AT(cur)))
				return -1;
			if (u32_push(out, CP_AT(ov[1]) - CP_AT(ov[0])))
				return -1;
			cur = at = ov[1];
		}
		if (cur < se - sb && u32_push(out, CP_AT(se - sb) - CP_AT(cur)))
			return -1;
#undef CP_AT
	}
	return 0;
}

/* Splits t into pieces (code point counts) with every rule in turn. */
static int pre_split(const split_rule *rules, int n_rules, const split_text *t, u32buf *pieces)
{
	u32buf cur = { 0 }, next = { 0 };
	pcre2_match_data *md = NULL;
	int rc = -1;

	if (t->n == 0) {
		pieces->n = 0;
		return 0;
	}
	if (u32_push(&cur, (uint32_t)t->n))
		goto fail;
	md = pcre2_match_data_create(4, NULL);
	if (!md)
		goto fail;
	for (int i = 0; i < n_rules; i++) {
		const split_rule *r = &rules[i];
		uint32_t a = 0;

		next.n = 0;
		if (r->how == SPLIT_GPT2 || r->how == SPLIT_LLAMA3) {
			for (size_t s = 0; s < cur.n; a += cur.p[s++]) {
				int e = r->how == SPLIT_GPT2 ? split_gpt2(t->cp, a, a + cur.p[s], &next)
					: split_llama3(t->cp, a, a + cur.p[s], &next);
				if (e)
					goto fail;
			}
		} else if (split_regex(r, t, &cur, &next, md)) {
			goto fail;
		}
		{
			u32buf tmp = cur;

			cur = next;
			next = tmp;
		}
	}
	free(pieces->p);
	*pieces = cur;
	cur.p = NULL;
	rc = 0;
fail:
	pcre2_match_data_free(md);
	free(cur.p);
	free(next.p);
	return rc;
}

static int rules_need(const split_rule *rules, int n, int how)
{
	for (int i = 0; i < n; i++)
		if (rules[i].how == how)
			return 1;
	return 0;
}

int eng_vocab_pre_split(const char *pre, const char *text, size_t len, int32_t *piece_bytes, int cap)
{
	split_rule rules[VOCAB_MAX_RULES] = { { 0, NULL } };
	split_text t = { 0 };
	u32buf pieces = { 0 };
	char err[160];
	int n_rules = 0, kind = pre_kind_of(pre ? pre : "default"), rc = ENG_ENOMEM;
	size_t at = 0;

	if (kind < 0 || (!text && len) || len > VOCAB_MAX_TEXT)
		return ENG_EINVAL;
	if (uc_init() || rules_build(rules, &n_rules, kind, err, sizeof err))
		goto fail;
	if (split_text_init(&t, text ? text : "", len, rules_need(rules, n_rules, SPLIT_COLLAPSED),
			rules_need(rules, n_rules, SPLIT_WIDE)) ||
	    pre_split(rules, n_rules, &t, &pieces))
		goto fail;
	for (size_t i = 0; i < pieces.n; i++) {
		size_t bytes = 0;
		unsigned char tmp[4];

		for (uint32_t k = 0; k < pieces.p[i]; k++)
			bytes += (size_t)utf8_put(t.cp[at + k], tmp);
		at += pieces.p[i];
		if ((int)i < cap)
			piece_bytes[i] = (int32_t)bytes;
	}
	rc = (int)pieces.n;
fail:
	free(pieces.p);
	split_text_release(&t);
	rules_free(rules, n_rules);
	return rc;
}

/* ---------------------------------------------------------------- merging */

/* A symbol is a run of bytes of the word being merged; merged symbols grow to the right. */
typedef struct sym { uint32_t off, n; int32_t prev, next; } sym;

/* A candidate merge of symbols left and right. SPM orders by score (higher first), BPE by rank
 * (lower first); ties go to the leftmost pair. */
typedef struct bigram { float score; int32_t rank, left, right; uint32_t n_left, n_right; } bigram;

typedef struct merge_heap { bigram *p; size_t n, cap; int by_rank; } merge_heap;

static int bg_before(const merge_heap *h, const bigram *a, const bigram *b)
{
	if (h->by_rank) {
		if (a->rank != b->rank)
			return a->rank < b->rank;
	} else if (a->score != b->score) {
		return a->score > b->score;
	}
	return a->left < b->left;
}

static int heap_push(merge_heap *h, bigram g)
{
	size_t i;

	if (h->n == h->cap && grow((void **)&h->p, &h->cap, h->n + 1, sizeof *h->p))
		return -1;
	i = h->n++;
	while (i > 0) {
		size_t up = (i - 1) / 2;

		if (!bg_before(h, &g, &h->p[up]))
			break;
		h->p[i] = h->p[up];
		i = up;
	}
	h->p[i] = g;
	return 0;
}

static bigram heap_pop(merge_heap *h)
{
	bigram top = h->p[0], last = h->p[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && bg_before(h, &h->p[c + 1], &h->p[c]))
			c++;
		if (!bg_before(h, &h->p[c], &last))
			break;
		h->p[i] = h->p[c];
		i = c;
	}
	if (h->n)
		h->p[i] = last;
	return top;
}

/* Scratch reused across the words of one tokenize call. */
typedef struct merge_work { sym *s; size_t cap; merge_heap heap; } merge_work;

/* Cuts w into UTF-8 symbols (by lead byte, as llama.cpp does). Returns the count or -1. */
static int symbols_init(merge_work *mw, const char *w, size_t n)
{
	size_t off = 0;
	int k = 0;

	if (grow((void **)&mw->s, &mw->cap, n + 1, sizeof *mw->s))
		return -1;
	while (off < n) {
		size_t len = utf8_len((unsigned char)w[off]);

		if (len > n - off)
			len = n - off;
		mw->s[k].off = (uint32_t)off;
		mw->s[k].n = (uint32_t)len;
		mw->s[k].prev = k - 1;
		off += len;
		mw->s[k].next = off == n ? -1 : k + 1;
		k++;
	}
	mw->heap.n = 0;
	return k;
}

static int spm_try(const eng_vocab *v, merge_work *mw, const char *w, int32_t l, int32_t r)
{
	bigram g;
	int32_t id;

	if (l < 0 || r < 0)
		return 0;
	id = tok_find(v, w + mw->s[l].off, mw->s[l].n + mw->s[r].n);
	if (id < 0)
		return 0;
	g.score = v->score[id];
	g.rank = 0;
	g.left = l;
	g.right = r;
	g.n_left = mw->s[l].n + mw->s[r].n;     /* SPM checks the pair's total size */
	g.n_right = 0;
	return heap_push(&mw->heap, g);
}

/* SentencePiece merge over the escaped text w: the best-scoring adjacent pair that is a token
 * merges first; symbols that end up as no token fall back to byte tokens. */
static int spm_encode(const eng_vocab *v, const char *w, size_t n, merge_work *mw, i32buf *out)
{
	int k;

	mw->heap.by_rank = 0;
	if ((k = symbols_init(mw, w, n)) < 0)
		return -1;
	for (int i = 1; i < k; i++)
		if (spm_try(v, mw, w, i - 1, i))
			return -1;
	while (mw->heap.n) {
		bigram g = heap_pop(&mw->heap);
		sym *l = &mw->s[g.left], *r = &mw->s[g.right];

		if (l->n == 0 || r->n == 0 || l->n + r->n != g.n_left)
			continue;
		l->n += r->n;
		r->n = 0;
		l->next = r->next;
		if (r->next >= 0)
			mw->s[r->next].prev = g.left;
		if (spm_try(v, mw, w, l->prev, g.left) || spm_try(v, mw, w, g.left, l->next))
			return -1;
	}
	for (int i = k ? 0 : -1; i >= 0; i = mw->s[i].next) {
		const sym *s = &mw->s[i];
		int32_t id = tok_find(v, w + s->off, s->n);

		if (id >= 0) {
			if (i32_push(out, id))
				return -1;
			continue;
		}
		for (uint32_t j = 0; j < s->n; j++) {
			int32_t b = v->spm_byte[(unsigned char)w[s->off + j]];

			if (b < 0)
				b = v->unk;
			if (b >= 0 && i32_push(out, b))
				return -1;
		}
	}
	return 0;
}

static int bpe_try(const eng_vocab *v, merge_work *mw, const char *w, int32_t l, int32_t r)
{
	bigram g;
	int rank;

	if (l < 0 || r < 0)
		return 0;
	rank = merge_rank(v, w + mw->s[l].off, mw->s[l].n, w + mw->s[r].off, mw->s[r].n);
	if (rank < 0)
		return 0;
	g.score = 0;
	g.rank = rank;
	g.left = l;
	g.right = r;
	g.n_left = mw->s[l].n;
	g.n_right = mw->s[r].n;
	return heap_push(&mw->heap, g);
}

/* Byte-level BPE over one pre-tokenized, byte-encoded word: the lowest-rank merge first. A
 * final symbol that is no token is looked up byte by byte; bytes that are no token drop. */
static int bpe_word(const eng_vocab *v, const char *w, size_t n, merge_work *mw, i32buf *out)
{
	int k;
	int32_t id;

	if (v->ignore_merges && (id = tok_find(v, w, n)) >= 0)
		return i32_push(out, id);
	mw->heap.by_rank = 1;
	if ((k = symbols_init(mw, w, n)) < 0)
		return -1;
	for (int i = 1; i < k; i++)
		if (bpe_try(v, mw, w, i - 1, i))
			return -1;
	while (mw->heap.n) {
		bigram g = heap_pop(&mw->heap);
		sym *l = &mw->s[g.left], *r = &mw->s[g.right];

		if (l->n != g.n_left || r->n != g.n_right || l->n == 0 || r->n == 0)
			continue;           /* one side changed since: the pair is stale */
		l->n += r->n;
		r->n = 0;
		l->next = r->next;
		if (r->next >= 0)
			mw->s[r->next].prev = g.left;
		if (bpe_try(v, mw, w, l->prev, g.left) || bpe_try(v, mw, w, g.left, l->next))
			return -1;
	}
	for (int i = k ? 0 : -1; i >= 0; i = mw->s[i].next) {
		const sym *s = &mw->s[i];

		id = tok_find(v, w + s->off, s->n);
		if (id >= 0) {
			if (i32_push(out, id))
				return -1;
			continue;
		}
		for (uint32_t j = 0; j < s->n; j++) {
			int32_t b = v->one_byte[(unsigned char)w[s->off + j]];

			if (b >= 0 && i32_push(out, b))
				return -1;
		}
	}
	return 0;
}

/* Pre-tokenizes one raw fragment, byte-encodes each piece and merges it. */
static int bpe_encode(const eng_vocab *v, const char *text, size_t len, merge_work *mw, i32buf *out)
{
	split_text t;
	u32buf pieces = { 0 };
	tb_buf word = { 0 };
	size_t at = 0;
	int rc = -1;

	if (split_text_init(&t, text, len, rules_need(v->rules, v->n_rules, SPLIT_COLLAPSED),
			rules_need(v->rules, v->n_rules, SPLIT_WIDE)) ||
	    pre_split(v->rules, v->n_rules, &t, &pieces))
		goto fail;
	for (size_t i = 0; i < pieces.n; i++) {
		tb_buf_reset(&word);
		for (uint32_t k = 0; k < pieces.p[i]; k++) {
			unsigned char raw[4], enc[8];
			int nr = utf8_put(t.cp[at + k], raw), ne = 0;

			for (int j = 0; j < nr; j++)
				ne += utf8_put(bl_byte2cp[raw[j]], enc + ne);
			if (ch_put(&word, enc, (size_t)ne))
				goto fail;
		}
		at += pieces.p[i];
		if (word.len && bpe_word(v, word.p, word.len, mw, out))
			goto fail;
	}
	rc = 0;
fail:
	tb_buf_release(&word);
	free(pieces.p);
	split_text_release(&t);
	return rc;
}

/* ---------------------------------------------------------------- special tokens */

/* A piece of the input: a special token (id >= 0) or raw text [off, off + len). */
typedef struct frag { int32_t id; size_t off, len; } frag;
typedef struct fragbuf { frag *p; size_t n, cap; } fragbuf;

static int frag_push(fragbuf *b, int32_t id, size_t off, size_t len)
{
	if (b->n == b->cap && grow((void **)&b->p, &b->cap, b->n + 1, sizeof *b->p))
		return -1;
	b->p[b->n].id = id;
	b->p[b->n].off = off;
	b->p[b->n].len = len;
	b->n++;
	return 0;
}

/* Cuts the text at every occurrence of a special token's text, longest tokens first, as
 * llama.cpp's tokenizer_st_partition does. Without parse_special only user-defined tokens are
 * cut out (control and unknown ones stay text). */
static int partition(const eng_vocab *v, const char *text, size_t len, int parse_special, fragbuf *out)
{
	fragbuf cur = { 0 }, next = { 0 };
	int rc = -1;

	if (len && frag_push(&cur, -1, 0, len))
		goto fail;
	for (int s = 0; s < v->n_special; s++) {
		int32_t id = v->special[s];
		const char *tt = v->text + v->off[id];
		size_t tl = v->len[id];
		unsigned a = v->attr[id];

		if (!parse_special && (a & (ATTR_CONTROL | ATTR_UNKNOWN)))
			continue;
		next.n = 0;
		for (size_t f = 0; f < cur.n; f++) {
			size_t base = cur.p[f].off, rem = cur.p[f].len;

			if (cur.p[f].id >= 0) {
				if (frag_push(&next, cur.p[f].id, 0, 0))
					goto fail;
				continue;
			}
			while (rem) {
				const char *m = memmem(text + base, rem, tt, tl);
				size_t at, left, rs, rl;

				if (!m) {
					if (frag_push(&next, -1, base, rem))
						goto fail;
					break;
				}
				at = (size_t)(m - text);
				left = at - base;
				if (a & ATTR_LSTRIP)
					while (left && isspace((unsigned char)text[base + left - 1]))
						left--;
				if ((left && frag_push(&next, -1, base, left)) || frag_push(&next, id, 0, 0))
					goto fail;
				rs = at + tl;
				rl = base + rem - rs;
				if (a & ATTR_RSTRIP)
					while (rl && isspace((unsigned char)text[rs])) {
						rs++;
						rl--;
					}
				base = rs;
				rem = rl;
			}
		}
		{
			fragbuf tmp = cur;

			cur = next;
			next = tmp;
		}
	}
	free(out->p);
	*out = cur;
	cur.p = NULL;
	rc = 0;
fail:
	free(cur.p);
	free(next.p);
	return rc;
}

/* ---------------------------------------------------------------- tokenize */

int eng_vocab_tokenize(const eng_vocab *v, const char *text, size_t len, int add_special,
		int parse_special, int32_t *out, int cap)
{
	fragbuf frags = { 0 };
	i32buf ids = { 0 };
	merge_work mw = { 0 };
	tb_buf esc = { 0 };
	int rc = ENG_ENOMEM, prev_special = 1;

	if (!v || (!text && len) || cap < 0 || (cap > 0 && !out))
		return ENG_EINVAL;
	if (len > VOCAB_MAX_TEXT)
		return ENG_EINVAL;
	if (partition(v, text, len, parse_special, &frags))
		goto fail;
	if (add_special && v->add_bos && i32_push(&ids, v->bos))
		goto fail;
	for (size_t f = 0; f < frags.n; f++) {
		const frag *fr = &frags.p[f];

		if (fr->id >= 0) {
			if (i32_push(&ids, fr->id))
				goto fail;
			prev_special = 1;
			continue;
		}
		if (v->kind == KIND_SPM) {
			/* SentencePiece normalization: a leading space at the start and after a special
			 * token, every space as U+2581 */
			tb_buf_reset(&esc);
			if (v->add_space_prefix && prev_special && ch_put(&esc, "\xE2\x96\x81", 3))
				goto fail;
			for (size_t i = 0; i < fr->len; i++) {
				const char *c = text + fr->off + i;

				if (*c == ' ' ? ch_put(&esc, "\xE2\x96\x81", 3) : ch_put(&esc, c, 1))
					goto fail;
			}
			if (spm_encode(v, esc.p, esc.len, &mw, &ids))
				goto fail;
		} else if (bpe_encode(v, text + fr->off, fr->len, &mw, &ids)) {
			goto fail;
		}
		prev_special = 0;
	}
	if (add_special && v->add_eos && i32_push(&ids, v->eos))
		goto fail;
	if (ids.n > INT_MAX) {
		rc = ENG_EINVAL;
		goto fail;
	}
	if (ids.n && cap > 0)
		memcpy(out, ids.p, (ids.n < (size_t)cap ? ids.n : (size_t)cap) * sizeof *out);
	rc = (int)ids.n;
fail:
	free(frags.p);
	free(ids.p);
	free(mw.s);
	free(mw.heap.p);
	tb_buf_release(&esc);
	return rc;
}

/* ---------------------------------------------------------------- pieces */

/* "<0xHH>" → 0..255, else -1. */
static int byte_of(const char *t, size_t n)
{
	int hi, lo;

	if (n != 6 || memcmp(t, "<0x", 3) != 0 || t[5] != '>' || !isxdigit((unsigned char)t[3]) ||
	    !isxdigit((unsigned char)t[4]))
		return -1;
	hi = isdigit((unsigned char)t[3]) ? t[3] - '0' : (tolower((unsigned char)t[3]) - 'a' + 10);
	lo = isdigit((unsigned char)t[4]) ? t[4] - '0' : (tolower((unsigned char)t[4]) - 'a' + 10);
	return hi * 16 + lo;
}

/* Appends token id's bytes to o, skipping one leading space when lstrip is set. */
static void piece_put(const eng_vocab *v, int32_t id, int special, int lstrip, capbuf *o)
{
	const char *t = v->text + v->off[id];
	size_t n = v->len[id], i;
	unsigned a = v->attr[id];
	char tmp[64];

	if (!special && (a & (ATTR_UNKNOWN | ATTR_CONTROL)))
		return;
	if (a & (ATTR_UNKNOWN | ATTR_CONTROL | ATTR_USER)) {
		if (lstrip && n && t[0] == ' ') {
			t++;
			n--;
		}
		cap_put(o, t, n);
		return;
	}
	if (a & ATTR_NORMAL) {
		if (v->kind == KIND_SPM) {
			/* U+2581 back to a space */
			for (i = 0; i < n; i++) {
				if (i + 2 < n && memcmp(t + i, "\xE2\x96\x81", 3) == 0) {
					if (!lstrip)
						cap_put(o, " ", 1);
					i += 2;
				} else if (!(lstrip && t[i] == ' ')) {
					cap_put(o, t + i, 1);
				}
				lstrip = 0;
			}
			return;
		}
		/* byte-level alphabet back to bytes; a character outside it is written as llama.cpp
		 * does: [UNK_BYTE_0x<its UTF-8 in hex><the token text>] */
		for (i = 0; i < n;) {
			uint32_t c = utf8_next((const unsigned char *)t, n, &i);

			if (c < sizeof bl_cp2byte / sizeof bl_cp2byte[0] && bl_cp2byte[c] >= 0) {
				char b = (char)bl_cp2byte[c];

				if (!(lstrip && b == ' '))
					cap_put(o, &b, 1);
			} else {
				unsigned char u[4];
				int nu = utf8_put(c, u);

				cap_put(o, "[UNK_BYTE_0x", 12);
				for (int j = 0; j < nu; j++) {
					snprintf(tmp, sizeof tmp, "%02x", u[j]);
					cap_put(o, tmp, 2);
				}
				cap_put(o, t, n);
				cap_put(o, "]", 1);
			}
			lstrip = 0;
		}
		return;
	}
	if (a & ATTR_BYTE) {
		int b = byte_of(t, n);

		if (b < 0) {
			cap_put(o, t, n);
		} else if (!(lstrip && b == ' ')) {
			char c = (char)b;

			cap_put(o, &c, 1);
		}
	}
	/* unused and undefined tokens give nothing */
}

int eng_vocab_piece(const eng_vocab *v, int32_t id, char *buf, int cap, int special)
{
	capbuf o = { buf, cap > 0 ? (size_t)cap : 0, 0 };

	if (!v || id < 0 || id >= v->n || cap < 0 || (cap > 0 && !buf))
		return ENG_EINVAL;
	piece_put(v, id, special, 0, &o);
	return o.n > INT_MAX ? ENG_EINVAL : (int)o.n;
}

int eng_vocab_detokenize(const eng_vocab *v, const int32_t *ids, int n, char *buf, int cap,
		int special, int remove_leading_space)
{
	capbuf o = { buf, cap > 0 ? (size_t)cap : 0, 0 };
	int lstrip = remove_leading_space && v && v->add_space_prefix;

	if (!v || n < 0 || (n > 0 && !ids) || cap < 0 || (cap > 0 && !buf))
		return ENG_EINVAL;
	for (int i = 0; i < n; i++)
		if (ids[i] < 0 || ids[i] >= v->n)
			return ENG_EINVAL;
	/* Pieces joined, nothing more: llama.cpp's llama_detokenize also applies
	 * clean_up_tokenization_spaces for some BPE vocabularies (" ," → ","), which would change
	 * generated code; its server, which streams pieces, does not. */
	for (int i = 0; i < n; i++) {
		piece_put(v, ids[i], special, lstrip, &o);
		lstrip = 0;
	}
	if (o.n > INT_MAX)
		return ENG_EINVAL;
	if (o.n < o.cap)
		buf[o.n] = 0;
	return (int)o.n;
}

/* ---------------------------------------------------------------- accessors */

int eng_vocab_n(const eng_vocab *v) { return v ? v->n : 0; }
const char *eng_vocab_model(const eng_vocab *v) { return v ? v->model : NULL; }
const char *eng_vocab_pre(const eng_vocab *v) { return v ? v->pre : NULL; }
int32_t eng_vocab_bos(const eng_vocab *v) { return v ? v->bos : -1; }
int32_t eng_vocab_eos(const eng_vocab *v) { return v ? v->eos : -1; }
int32_t eng_vocab_eot(const eng_vocab *v) { return v ? v->eot : -1; }
int eng_vocab_add_bos(const eng_vocab *v) { return v ? v->add_bos : 0; }
int eng_vocab_add_eos(const eng_vocab *v) { return v ? v->add_eos : 0; }

int eng_vocab_is_eog(const eng_vocab *v, int32_t id)
{
	return v && id >= 0 && id < v->n && (v->attr[id] & ATTR_EOG) != 0;
}

int eng_vocab_is_control(const eng_vocab *v, int32_t id)
{
	return v && id >= 0 && id < v->n && (v->attr[id] & ATTR_CONTROL) != 0;
}

const char *eng_vocab_text(const eng_vocab *v, int32_t id)
{
	return v && id >= 0 && id < v->n ? v->text + v->off[id] : NULL;
}

int32_t eng_vocab_find(const eng_vocab *v, const char *text)
{
	return v && text ? tok_find(v, text, strlen(text)) : -1;
}

/* ---------------------------------------------------------------- load */

void eng_vocab_free(eng_vocab *v)
{
	if (!v)
		return;
	rules_free(v->rules, v->n_rules);
	free(v->model);
	free(v->pre);
	free(v->text);
	free(v->off);
	free(v->len);
	free(v->score);
	free(v->attr);
	free(v->slots);
	free(v->mtext);
	free(v->m_off);
	free(v->m_len_a);
	free(v->m_len_b);
	free(v->m_slots);
	free(v->special);
	free(v);
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}

/* Reads numeric array `key` of at least n entries; *present = 0 when absent. */
static int num_array(const eng_gguf *g, const char *key, uint64_t n, int *present, const char *path,
		char *err, size_t errlen)
{
	uint64_t have = 0;
	int et, rc = eng_gguf_get_arr(g, key, &et, &have);

	*present = 0;
	if (rc == -1)
		return 0;
	if (rc != 0 || et == ENG_GGUF_STR || et == ENG_GGUF_ARR || et == ENG_GGUF_BOOL) {
		snprintf(err, errlen, "%s: %s: not an array of numbers", path, key);
		return -1;
	}
	if (have < n) {
		snprintf(err, errlen, "%s: %s: %llu entries for %llu tokens in %s", path, key,
			(unsigned long long)have, (unsigned long long)n, K_TOKENS);
		return -1;
	}
	*present = 1;
	return 0;
}

/* An optional token id key: replaces *id when present and in range. */
static void read_id(const eng_gguf *g, const char *key, int n, int32_t *id)
{
	uint32_t u;
	int rc = eng_gguf_get_u32(g, key, &u);

	if (rc == -1)
		return;
	if (rc != 0 || u >= (uint32_t)n) {
		eng_logf(ENG_LOG_WARN, "vocab: %s out of range (vocabulary of %d), keeping %d", key, n, *id);
		return;
	}
	*id = (int32_t)u;
}

static int read_flag(const eng_gguf *g, const char *key, int *flag, const char *path, char *err,
		size_t errlen)
{
	int b, rc = eng_gguf_get_bool(g, key, &b);

	if (rc == -1)
		return 0;
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s: not a bool", path, key);
		return -1;
	}
	*flag = b != 0;
	return 0;
}

static int load_tokens(eng_vocab *v, const eng_gguf *g, const char *path, char *err, size_t errlen)
{
	uint64_t n = 0;
	size_t total = 0, at = 0;
	int et, rc = eng_gguf_get_arr(g, K_TOKENS, &et, &n), has_scores, has_types;

	if (rc == -1) {
		snprintf(err, errlen, "%s: %s: missing", path, K_TOKENS);
		return -1;
	}
	if (rc != 0 || et != ENG_GGUF_STR) {
		snprintf(err, errlen, "%s: %s: not an array of strings", path, K_TOKENS);
		return -1;
	}
	if (n == 0 || n > VOCAB_MAX_TOKENS) {
		snprintf(err, errlen, "%s: %s: %llu tokens (1..%d accepted)", path, K_TOKENS,
			(unsigned long long)n, VOCAB_MAX_TOKENS);
		return -1;
	}
	v->n = (int)n;
	if (num_array(g, K_SCORES, n, &has_scores, path, err, errlen) ||
	    num_array(g, K_TYPES, n, &has_types, path, err, errlen))
		return -1;
	v->off = malloc(n * sizeof *v->off);
	v->len = malloc(n * sizeof *v->len);
	v->score = calloc(n, sizeof *v->score);
	v->attr = calloc(n, sizeof *v->attr);
	if (!v->off || !v->len || !v->score || !v->attr)
		goto oom;
	for (uint64_t i = 0; i < n; i++) {
		size_t len = 0;

		if (!eng_gguf_arr_str(g, K_TOKENS, i, &len)) {
			snprintf(err, errlen, "%s: %s: entry %llu unreadable", path, K_TOKENS, (unsigned long long)i);
			return -1;
		}
		if (len > UINT32_MAX - 32) {
			snprintf(err, errlen, "%s: %s: entry %llu is %zu bytes long", path, K_TOKENS,
				(unsigned long long)i, len);
			return -1;
		}
		total += (len ? len : 32) + 1;      /* an empty token becomes "[EMPTY_<id>]" */
	}
	v->text = malloc(total);
	if (!v->text)
		goto oom;
	for (uint64_t i = 0; i < n; i++) {
		size_t len = 0;
		const char *s = eng_gguf_arr_str(g, K_TOKENS, i, &len);

		v->off[i] = at;
		if (len == 0) {
			eng_logf(ENG_LOG_WARN, "%s: %s: empty token at id %llu", path, K_TOKENS, (unsigned long long)i);
			len = (size_t)snprintf(v->text + at, 33, "[EMPTY_%llu]", (unsigned long long)i);
		} else {
			memcpy(v->text + at, s, len);
		}
		v->text[at + len] = 0;
		v->len[i] = (uint32_t)len;
		at += len + 1;
		if (has_scores) {
			double d = 0;

			if (eng_gguf_arr_f64(g, K_SCORES, i, &d) != 0) {
				snprintf(err, errlen, "%s: %s: entry %llu unreadable", path, K_SCORES, (unsigned long long)i);
				return -1;
			}
			v->score[i] = (float)d;
		}
		v->attr[i] = ATTR_NORMAL;
		if (has_types) {
			int64_t t = 0;

			if (eng_gguf_arr_i64(g, K_TYPES, i, &t) != 0) {
				snprintf(err, errlen, "%s: %s: entry %llu unreadable", path, K_TYPES, (unsigned long long)i);
				return -1;
			}
			v->attr[i] = t == ENG_TOK_NORMAL ? ATTR_NORMAL : t == ENG_TOK_UNKNOWN ? ATTR_UNKNOWN :
				t == ENG_TOK_CONTROL ? ATTR_CONTROL : t == ENG_TOK_USER_DEFINED ? ATTR_USER :
				t == ENG_TOK_UNUSED ? ATTR_UNUSED : t == ENG_TOK_BYTE ? ATTR_BYTE : 0;
		}
	}

	v->slot_mask = pow2_at_least(n * 2) - 1;
	v->slots = malloc((v->slot_mask + 1) * sizeof *v->slots);
	if (!v->slots)
		goto oom;
	memset(v->slots, 0xFF, (v->slot_mask + 1) * sizeof *v->slots);
	for (int32_t i = 0; i < v->n; i++) {
		const char *s = v->text + v->off[i];
		size_t h = (size_t)fnv(s, v->len[i], FNV_INIT) & v->slot_mask;

		for (; v->slots[h] >= 0; h = (h + 1) & v->slot_mask) {
			int32_t o = v->slots[h];

			if (v->len[o] == v->len[i] && memcmp(v->text + v->off[o], s, v->len[i]) == 0) {
				snprintf(err, errlen, "%s: %s: duplicate token '%.40s' at ids %d and %d", path,
					K_TOKENS, s, o, i);
				return -1;
			}
		}
		v->slots[h] = i;
	}
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory reading %s", path, K_TOKENS);
	return -1;
}

static int load_merges(eng_vocab *v, const eng_gguf *g, const char *path, char *err, size_t errlen)
{
	uint64_t n = 0;
	size_t total = 0, at = 0;
	int et, rc = eng_gguf_get_arr(g, K_MERGES, &et, &n);

	if (rc == -1) {
		snprintf(err, errlen, "%s: %s: missing (a gpt2 tokenizer needs its merges)", path, K_MERGES);
		return -1;
	}
	if (rc != 0 || et != ENG_GGUF_STR) {
		snprintf(err, errlen, "%s: %s: not an array of strings", path, K_MERGES);
		return -1;
	}
	if (n > VOCAB_MAX_MERGES) {
		snprintf(err, errlen, "%s: %s: %llu merges (at most %d)", path, K_MERGES,
			(unsigned long long)n, VOCAB_MAX_MERGES);
		return -1;
	}
	for (uint64_t i = 0; i < n; i++) {
		size_t len = 0;

		if (!eng_gguf_arr_str(g, K_MERGES, i, &len) || len > UINT32_MAX) {
			snprintf(err, errlen, "%s: %s: entry %llu unreadable", path, K_MERGES, (unsigned long long)i);
			return -1;
		}
		total += len;
	}
	v->n_merges = (int)n;
	v->mtext = malloc(total + 1);
	v->m_off = malloc((n + 1) * sizeof *v->m_off);
	v->m_len_a = malloc((n + 1) * sizeof *v->m_len_a);
	v->m_len_b = malloc((n + 1) * sizeof *v->m_len_b);
	v->m_mask = pow2_at_least(n * 2) - 1;
	v->m_slots = malloc((v->m_mask + 1) * sizeof *v->m_slots);
	if (!v->mtext || !v->m_off || !v->m_len_a || !v->m_len_b || !v->m_slots) {
		snprintf(err, errlen, "%s: out of memory reading %s", path, K_MERGES);
		return -1;
	}
	memset(v->m_slots, 0xFF, (v->m_mask + 1) * sizeof *v->m_slots);
	for (uint64_t i = 0; i < n; i++) {
		size_t len = 0, sp, h;
		const char *s = eng_gguf_arr_str(g, K_MERGES, i, &len), *a, *b;

		/* "a b": split at the first space after the first byte; a merge without one is
		 * ignored (llama.cpp files it under an empty pair no symbol ever forms) */
		for (sp = 1; sp < len && s[sp] != ' '; sp++)
			;
		if (sp >= len)
			continue;
		v->m_off[i] = at;
		v->m_len_a[i] = (uint32_t)sp;
		v->m_len_b[i] = (uint32_t)(len - sp - 1);
		memcpy(v->mtext + at, s, sp);
		memcpy(v->mtext + at + sp, s + sp + 1, len - sp - 1);
		a = v->mtext + at;
		b = a + sp;
		at += len - 1;
		h = (size_t)merge_hash(a, sp, b, len - sp - 1) & v->m_mask;
		for (; v->m_slots[h] >= 0; h = (h + 1) & v->m_mask) {
			int32_t o = v->m_slots[h];

			if (v->m_len_a[o] == sp && v->m_len_b[o] == len - sp - 1 &&
			    memcmp(v->mtext + v->m_off[o], a, len - 1) == 0)
				break;
		}
		if (v->m_slots[h] < 0)      /* a repeated pair keeps its first (lowest) rank */
			v->m_slots[h] = (int32_t)i;
	}
	return 0;
}

static int text_is(const eng_vocab *v, int32_t id, const char *s)
{
	return v->len[id] == strlen(s) && memcmp(v->text + v->off[id], s, v->len[id]) == 0;
}

/* Marks ids found by their text as control tokens (llama.cpp does so for end-of-turn and FIM
 * tokens a converter left as normal) and returns the first of `names` present, or -1. */
static int32_t find_named(eng_vocab *v, const char *const *names)
{
	for (int i = 0; names[i]; i++) {
		int32_t id = tok_find(v, names[i], strlen(names[i]));

		if (id >= 0) {
			v->attr[id] |= ATTR_CONTROL;
			return id;
		}
	}
	return -1;
}

static int cmp_special(const void *pa, const void *pb, void *ud)
{
	const eng_vocab *v = ud;
	int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;

	if (v->len[a] != v->len[b])
		return v->len[a] > v->len[b] ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* DeepSeek's "<｜end▁of▁sentence｜>" (full-width bars, U+2581 for spaces) */
#define DS_END_OF_SENTENCE "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"

static void set_specials(eng_vocab *v, const eng_gguf *g)
{
	/* texts llama.cpp treats as end of turn / generation (src/llama-vocab.cpp) */
	static const char *const eot_names[] = { "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
		"<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", DS_END_OF_SENTENCE,
		"<end_of_utterance>", NULL };
	static const char *const eom_names[] = { "<|eom_id|>", NULL };
	static const char *const fim_pad_names[] = { "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", NULL };
	static const char *const fim_rep_names[] = { "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>",
		"<reponame>", NULL };
	static const char *const fim_sep_names[] = { "<|file_sep|>", NULL };
	static const char *const eog_names[] = { "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
		"<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>",
		"<|return|>", "<|call|>", NULL };
	const char *name = NULL;
	size_t name_len = 0;

	read_id(g, "tokenizer.ggml.bos_token_id", v->n, &v->bos);
	read_id(g, "tokenizer.ggml.eos_token_id", v->n, &v->eos);
	read_id(g, "tokenizer.ggml.eot_token_id", v->n, &v->eot);
	read_id(g, "tokenizer.ggml.eom_token_id", v->n, &v->eom);
	read_id(g, "tokenizer.ggml.unknown_token_id", v->n, &v->unk);
	read_id(g, "tokenizer.ggml.seperator_token_id", v->n, &v->sep);
	read_id(g, "tokenizer.ggml.padding_token_id", v->n, &v->pad);
	read_id(g, "tokenizer.ggml.fim_pad_token_id", v->n, &v->fim_pad);
	read_id(g, "tokenizer.ggml.fim_rep_token_id", v->n, &v->fim_rep);
	read_id(g, "tokenizer.ggml.fim_sep_token_id", v->n, &v->fim_sep);

	if (v->eot < 0)
		v->eot = find_named(v, eot_names);
	if (v->eom < 0)
		v->eom = find_named(v, eom_names);
	if (v->fim_pad < 0)
		v->fim_pad = find_named(v, fim_pad_names);
	if (v->fim_rep < 0)
		v->fim_rep = find_named(v, fim_rep_names);
	if (v->fim_sep < 0)
		v->fim_sep = find_named(v, fim_sep_names);

	for (int32_t i = 0; i < v->n; i++) {
		/* control tokens named "unused" are unused */
		if ((v->attr[i] & ATTR_CONTROL) && strstr(v->text + v->off[i], "unused"))
			v->attr[i] |= ATTR_UNUSED;
		for (int k = 0; eog_names[k]; k++)
			if (text_is(v, i, eog_names[k]))
				v->attr[i] |= ATTR_EOG | ATTR_CONTROL;
	}
	if (v->eos >= 0)
		v->attr[v->eos] |= ATTR_EOG;
	if (v->eot >= 0)
		v->attr[v->eot] |= ATTR_EOG;
	if (v->eom >= 0)
		v->attr[v->eom] |= ATTR_EOG;
	if (v->fim_pad >= 0)
		v->attr[v->fim_pad] |= ATTR_EOG;
	if (v->fim_rep >= 0)
		v->attr[v->fim_rep] |= ATTR_EOG;
	if (v->fim_sep >= 0)
		v->attr[v->fim_sep] |= ATTR_EOG;
	{
		/* o200k_harmony (gpt-oss): <|end|> closes a message inside a reply (the analysis
		 * channel before the final one); <|return|> and <|call|> end the reply. As llama.cpp:
		 * with both of those present, <|end|> is not an end of generation. */
		const char *const ret[] = { "<|return|>", NULL }, *const call[] = { "<|call|>", NULL };
		const char *const end[] = { "<|end|>", NULL };
		const int32_t e = find_named(v, end);

		if (e >= 0 && find_named(v, ret) >= 0 && find_named(v, call) >= 0)
			v->attr[e] &= ~ATTR_EOG;
	}

	/* Phi-3: special tokens swallow the white space after them (llama.cpp sets this by name) */
	if (eng_gguf_get_str(g, "general.name", &name, &name_len) == 0) {
		char low[128];
		size_t k;

		for (k = 0; k + 1 < sizeof low && name[k]; k++)
			low[k] = (char)tolower((unsigned char)name[k]);
		low[k] = 0;
		if (strstr(low, "phi-3") || strstr(low, "phi3")) {
			static const char *const keep[] = { "<unk>", "<s>", "<|endoftext|>" };
			int32_t id;

			for (int32_t i = 0; i < v->n; i++)
				if (v->attr[i] & (ATTR_CONTROL | ATTR_USER | ATTR_UNKNOWN))
					v->attr[i] |= ATTR_RSTRIP;
			if ((id = tok_find(v, "</s>", 4)) >= 0)
				v->attr[id] |= ATTR_RSTRIP;
			for (k = 0; k < 3; k++)
				if ((id = tok_find(v, keep[k], strlen(keep[k]))) >= 0)
					v->attr[id] &= (uint16_t)~ATTR_RSTRIP;
		}
	}
}

eng_vocab *eng_vocab_load(const eng_gguf *g, const char *path, char *err, size_t errlen)
{
	eng_vocab *v = NULL;
	const char *model = NULL, *pre = NULL;
	size_t model_len = 0, pre_len = 0;
	int rc, n_special = 0;
	char rerr[160], sink[1];

	if (!path)
		path = "(gguf)";
	if (!err || errlen == 0) {
		err = sink;
		errlen = sizeof sink;
	}
	err[0] = 0;
	if (!g) {
		snprintf(err, errlen, "%s: no file", path);
		return NULL;
	}
	v = calloc(1, sizeof *v);
	if (!v) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}

	rc = eng_gguf_get_str(g, K_MODEL, &model, &model_len);
	if (rc == -1) {
		snprintf(err, errlen, "%s: %s: missing", path, K_MODEL);
		goto fail;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s: not a string", path, K_MODEL);
		goto fail;
	}
	if (strcmp(model, "llama") == 0) {
		v->kind = KIND_SPM;
		v->bos = 1;
		v->eos = 2;
		v->unk = 0;
		v->add_space_prefix = 1;
		v->add_bos = 1;
	} else if (strcmp(model, "gpt2") == 0) {
		v->kind = KIND_BPE;
		v->bos = 11;                /* llama.cpp's defaults for a BPE file without ids */
		v->eos = 11;
		v->unk = -1;
	} else {
		snprintf(err, errlen, "%s: %s: unknown tokenizer model '%.64s' (this engine reads 'llama' and 'gpt2')",
			path, K_MODEL, model);
		goto fail;
	}
	v->eot = v->eom = v->sep = v->pad = v->fim_pad = v->fim_rep = v->fim_sep = -1;

	rc = eng_gguf_get_str(g, K_PRE, &pre, &pre_len);
	if (rc == -1)
		pre = NULL;
	else if (rc != 0) {
		snprintf(err, errlen, "%s: %s: not a string", path, K_PRE);
		goto fail;
	}
	v->model = dup_str(model);
	v->pre = dup_str(pre ? pre : "default");
	if (!v->model || !v->pre) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (v->kind == KIND_BPE) {
		/* only BPE needs the Unicode categories and the byte-level alphabet */
		if (uc_init()) {
			snprintf(err, errlen, "%s: could not build the Unicode tables (out of memory?)", path);
			goto fail;
		}
		v->pre_kind = pre_kind_of(v->pre);
		if (v->pre_kind < 0) {
			snprintf(err, errlen, "%s: %s: unknown pre-tokenizer '%.64s' (this engine reads default, "
				"gpt-2, llama3/llama-bpe, qwen2, deepseek-llm, deepseek-coder)", path, K_PRE, v->pre);
			goto fail;
		}
		if (v->pre_kind == PRE_LLAMA3) {
			v->ignore_merges = 1;
			v->add_bos = 1;
		}
		if (rules_build(v->rules, &v->n_rules, v->pre_kind, rerr, sizeof rerr)) {
			snprintf(err, errlen, "%s: %s '%s': %s", path, K_PRE, v->pre, rerr);
			goto fail;
		}
	}
	if (read_flag(g, K_ADD_PREFIX, &v->add_space_prefix, path, err, errlen))
		goto fail;

	if (load_tokens(v, g, path, err, errlen))
		goto fail;
	if (v->kind == KIND_BPE && load_merges(v, g, path, err, errlen))
		goto fail;
	if (v->bos >= v->n)
		v->bos = -1;
	if (v->eos >= v->n)
		v->eos = -1;
	if (v->unk >= v->n)
		v->unk = -1;
	set_specials(v, g);
	if (read_flag(g, K_ADD_BOS, &v->add_bos, path, err, errlen) ||
	    read_flag(g, K_ADD_EOS, &v->add_eos, path, err, errlen))
		goto fail;
	if (v->add_bos && v->bos < 0) {
		snprintf(err, errlen, "%s: %s is true, but %s is not set", path, K_ADD_BOS, K_BOS);
		goto fail;
	}
	if (v->add_eos && v->eos < 0) {
		snprintf(err, errlen, "%s: %s is true, but tokenizer.ggml.eos_token_id is not set", path, K_ADD_EOS);
		goto fail;
	}

	for (int32_t i = 0; i < v->n; i++)
		if (v->attr[i] & (ATTR_CONTROL | ATTR_USER | ATTR_UNKNOWN))
			n_special++;
	v->special = malloc(((size_t)n_special + 1) * sizeof *v->special);
	if (!v->special) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	for (int32_t i = 0; i < v->n; i++)
		if (v->attr[i] & (ATTR_CONTROL | ATTR_USER | ATTR_UNKNOWN))
			v->special[v->n_special++] = i;
	qsort_r(v->special, (size_t)v->n_special, sizeof *v->special, cmp_special, v);

	for (int b = 0; b < 256; b++) {
		char hex[7], one = (char)b;

		snprintf(hex, sizeof hex, "<0x%02X>", b);
		v->spm_byte[b] = tok_find(v, hex, 6);
		v->one_byte[b] = tok_find(v, &one, 1);
		if (v->spm_byte[b] < 0)
			v->spm_byte[b] = v->one_byte[b];
	}
	return v;
fail:
	eng_vocab_free(v);
	return NULL;
}
