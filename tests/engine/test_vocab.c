/* tests/engine/test_vocab.c — the tokenizers against llama.cpp's test vectors (every vocab GGUF
 * with its .inp/.out pair under ../shared/models/vocab, tokenized with add_special = false and
 * parse_special = false as test-tokenizer-0 does), detokenization round trips, stories260K's
 * reference prompt and pieces, pre-tokenizer splits derived from the regexes by hand, small
 * vocabularies built with the GGUF writer, and bad metadata. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"
#include "engine/gguf_impl.h"
#include "engine/vocab_impl.h"
#include "test.h"

static char tmpdir[64];


/* Opens a GGUF, loads its vocabulary and closes the file again (the vocab must not need it). */
static eng_vocab *load_path(const char *path, char *err, size_t errlen)
{
	eng_gguf *g = eng_gguf_open(path, err, errlen);
	eng_vocab *v;

	if (!g)
		return NULL;
	v = eng_vocab_load(g, path, err, errlen);
	eng_gguf_close(g);
	return v;
}

/* <shared>/models/vocab/ggml-vocab-<name>.gguf, or "" with a skip reason in why. */
static int vocab_path(const char *name, char *path, size_t cap, char *why, size_t whycap)
{
	const char *shared = tb_shared_dir();

	if (!shared) {
		snprintf(why, whycap, "no shared folder (set TB_SHARED)");
		return -1;
	}
	snprintf(path, cap, "%s/models/vocab/ggml-vocab-%s.gguf", shared, name);
	if (access(path, R_OK) != 0) {
		snprintf(why, whycap, "%s is missing from the shared folder", path);
		return -1;
	}
	return 0;
}

static void print_escaped(const char *s, size_t n)
{
	for (size_t i = 0; i < n && i < 120; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			printf("\\n");
		else if (c == '\t')
			printf("\\t");
		else if (c < 0x20)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

/* ---------------------------------------------------------------- test vectors */

/* One .inp/.out pair: inputs separated by "\n__ggml_vocab_test__\n" (the text after the last
 * separator, empty in these files, is no case), outputs one line per input. */
typedef struct vectors {
	char *inp, *out;
	size_t n;
	const char **text;
	size_t *len;
	char **line;
} vectors;

static void vectors_free(vectors *t)
{
	free(t->inp);
	free(t->out);
	free(t->text);
	free(t->len);
	free(t->line);
	memset(t, 0, sizeof *t);
}

static int vectors_read(const char *gguf_path, vectors *t)
{
	static const char sep[] = "\n__ggml_vocab_test__\n";
	char p[600];
	size_t ni = 0, no = 0, cap = 64, nl = 0;
	char *s, *e;

	memset(t, 0, sizeof *t);
	snprintf(p, sizeof p, "%s.inp", gguf_path);
	t->inp = tb_slurp(p, &ni);
	snprintf(p, sizeof p, "%s.out", gguf_path);
	t->out = tb_slurp(p, &no);
	t->text = malloc(cap * sizeof *t->text);
	t->len = malloc(cap * sizeof *t->len);
	t->line = malloc(cap * sizeof *t->line);
	if (!t->inp || !t->out || !t->text || !t->len || !t->line)
		return -1;
	for (s = t->inp; s < t->inp + ni;) {
		e = strstr(s, sep);
		if (t->n == cap)
			return -1;
		t->text[t->n] = s;
		t->len[t->n] = e ? (size_t)(e - s) : strlen(s);
		t->n++;
		if (!e)
			break;
		s = e + strlen(sep);
	}
	for (s = t->out; *s && nl < cap; nl++) {
		e = strchr(s, '\n');
		t->line[nl] = s;
		if (!e)
			break;
		*e = 0;
		s = e + 1;
	}
	return nl == t->n ? 0 : -1;
}

/* Parses " 1 2 3" into ids; returns the count. */
static int parse_ids(const char *line, int32_t *ids, int cap)
{
	int n = 0;
	char *end;

	for (;;) {
		long x;

		while (*line == ' ')
			line++;
		if (!*line)
			return n;
		x = strtol(line, &end, 10);
		if (end == line || n == cap)
			return -1;
		ids[n++] = (int32_t)x;
		line = end;
	}
}

#define MAX_IDS 4096

static void check_vectors(const char *name)
{
	char path[512], why[600], err[512];
	vectors t;
	eng_vocab *v;
	int32_t want[MAX_IDS], got[MAX_IDS];
	int bad = 0;

	if (vocab_path(name, path, sizeof path, why, sizeof why))
		TB_SKIP("%.200s", why);
	v = load_path(path, err, sizeof err);
	if (!v)
		printf("  %s\n", err);
	TB_REQUIRE(v != NULL);
	if (vectors_read(path, &t) != 0) {
		vectors_free(&t);
		eng_vocab_free(v);
		TB_REQUIRE(!"the .inp and .out files have as many cases");
	}
	TB_CHECK(t.n >= 40);
	for (size_t i = 0; i < t.n; i++) {
		int nw = parse_ids(t.line[i], want, MAX_IDS);
		int ng = eng_vocab_tokenize(v, t.text[i], t.len[i], 0, 0, got, MAX_IDS);
		int same = nw >= 0 && ng == nw && memcmp(want, got, (size_t)nw * sizeof *got) == 0;

		if (!same && bad++ < 5) {
			printf("  case %zu '", i);
			print_escaped(t.text[i], t.len[i]);
			printf("'\n    want:%s\n    got: ", t.line[i]);
			for (int k = 0; k < ng && k < MAX_IDS; k++)
				printf(" %d", got[k]);
			printf("\n");
		}
		TB_CHECK(same);
	}
	vectors_free(&t);
	eng_vocab_free(v);
}

static void test_vocab_reproduces_every_llama_spm_vector(void) { check_vectors("llama-spm"); }
static void test_vocab_reproduces_every_gpt2_vector(void) { check_vectors("gpt-2"); }
static void test_vocab_reproduces_every_deepseek_coder_vector(void) { check_vectors("deepseek-coder"); }
static void test_vocab_reproduces_every_deepseek_llm_vector(void) { check_vectors("deepseek-llm"); }
static void test_vocab_reproduces_every_llama_bpe_vector(void) { check_vectors("llama-bpe"); }
static void test_vocab_reproduces_every_qwen2_vector(void) { check_vectors("qwen2"); }

/* detokenize(tokenize(x)) == x for every case (SPM: without the added leading space). */
static void check_round_trip(const char *name)
{
	char path[512], why[600], err[512];
	vectors t;
	eng_vocab *v;
	int32_t ids[MAX_IDS];
	static char back[1 << 16];

	if (vocab_path(name, path, sizeof path, why, sizeof why))
		TB_SKIP("%.200s", why);
	v = load_path(path, err, sizeof err);
	TB_REQUIRE(v != NULL);
	if (vectors_read(path, &t) != 0) {
		vectors_free(&t);
		eng_vocab_free(v);
		TB_REQUIRE(!"vector files readable");
	}
	for (size_t i = 0; i < t.n; i++) {
		int n = eng_vocab_tokenize(v, t.text[i], t.len[i], 0, 0, ids, MAX_IDS), m;

		TB_REQUIRE(n >= 0 && n <= MAX_IDS);
		m = eng_vocab_detokenize(v, ids, n, back, (int)sizeof back, 0, 1);
		if (m != (int)t.len[i] || memcmp(back, t.text[i], t.len[i]) != 0) {
			printf("  case %zu '", i);
			print_escaped(t.text[i], t.len[i]);
			printf("' came back as '");
			print_escaped(back, m > 0 ? (size_t)m : 0);
			printf("'\n");
			TB_CHECK(!"round trip");
		}
	}
	vectors_free(&t);
	eng_vocab_free(v);
}

static void test_vocab_round_trips_every_llama_spm_vector(void) { check_round_trip("llama-spm"); }
static void test_vocab_round_trips_every_gpt2_vector(void) { check_round_trip("gpt-2"); }
static void test_vocab_round_trips_every_deepseek_coder_vector(void) { check_round_trip("deepseek-coder"); }
static void test_vocab_round_trips_every_deepseek_llm_vector(void) { check_round_trip("deepseek-llm"); }

/* Detokenizing joins pieces and nothing more: llama.cpp's llama_detokenize would also apply
 * clean_up_tokenization_spaces to GPT-2 text (" ," to ","), which changes generated code. */
static void test_vocab_detokenize_leaves_spaces_before_punctuation_alone(void)
{
	static const char *const cases[] = { "Hello , world ! Really ?", "it ' s", "print( 'score' , x )" };
	char path[512], why[600], err[512], back[256];
	int32_t ids[256];
	eng_vocab *v;

	if (vocab_path("gpt-2", path, sizeof path, why, sizeof why))
		TB_SKIP("%.200s", why);
	v = load_path(path, err, sizeof err);
	TB_REQUIRE(v != NULL);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int n = eng_vocab_tokenize(v, cases[i], strlen(cases[i]), 0, 0, ids, 256);

		TB_CHECK_INT(eng_vocab_detokenize(v, ids, n, back, (int)sizeof back, 0, 0), strlen(cases[i]));
		TB_CHECK_STR(back, cases[i]);
		memset(back, 'Z', sizeof back);
		TB_CHECK_INT(eng_vocab_detokenize(v, ids, n, back, 3, 0, 0), strlen(cases[i]));
		TB_CHECK(memcmp(back, cases[i], 3) == 0 && back[3] == 'Z');
	}
	eng_vocab_free(v);
}

/* "<｜end▁of▁sentence｜>" */
#define DS_EOS "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"

static void test_vocab_reads_special_ids_of_the_shared_vocabularies(void)
{
	static const struct {
		const char *name;
		int32_t bos, eos, eot;
		int add_bos;
		const char *eos_text;
	} want[] = {
		{ "llama-spm", 1, 2, -1, 1, "</s>" },
		{ "gpt-2", 50256, 50256, 50256, 0, "<|endoftext|>" },
		{ "deepseek-coder", 32013, 32014, 32014, 1, DS_EOS },
		{ "deepseek-llm", 100000, 100001, 100001, 1, DS_EOS },
	};
	char path[512], why[600], err[512];
	int found = 0;

	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		eng_vocab *v;

		if (vocab_path(want[i].name, path, sizeof path, why, sizeof why))
			continue;
		found++;
		v = load_path(path, err, sizeof err);
		TB_REQUIRE(v != NULL);
		TB_CHECK_INT(eng_vocab_bos(v), want[i].bos);
		TB_CHECK_INT(eng_vocab_eos(v), want[i].eos);
		TB_CHECK_INT(eng_vocab_eot(v), want[i].eot);
		TB_CHECK_INT(eng_vocab_add_bos(v), want[i].add_bos);
		TB_CHECK_INT(eng_vocab_add_eos(v), 0);
		TB_CHECK_STR(eng_vocab_text(v, want[i].eos), want[i].eos_text);
		TB_CHECK(eng_vocab_is_eog(v, want[i].eos));
		TB_CHECK(eng_vocab_is_control(v, want[i].eos));
		TB_CHECK(!eng_vocab_is_eog(v, 100));
		TB_CHECK_INT(eng_vocab_find(v, want[i].eos_text), want[i].eos);
		TB_CHECK(eng_vocab_text(v, eng_vocab_n(v)) == NULL);
		TB_CHECK(eng_vocab_text(v, -1) == NULL);
		eng_vocab_free(v);
	}
	if (!found)
		TB_SKIP("no shared vocab files");
}

/* ---------------------------------------------------------------- stories260K */

/* stories260K's vocabulary; NULL with *missing set when the file is not there to test. */
static eng_vocab *load_stories(char *why, size_t whycap, int *missing)
{
	const char *shared = tb_shared_dir();
	char path[512], err[512];
	eng_vocab *v;

	*missing = 1;
	if (!shared) {
		snprintf(why, whycap, "no shared folder (set TB_SHARED)");
		return NULL;
	}
	snprintf(path, sizeof path, "%s/models/stories260K.gguf", shared);
	if (access(path, R_OK) != 0) {
		snprintf(why, whycap, "%.400s is missing", path);
		return NULL;
	}
	*missing = 0;
	v = load_path(path, err, sizeof err);
	if (!v)
		snprintf(why, whycap, "%s", err);
	return v;
}

static void test_vocab_tokenizes_the_stories260k_prompt_with_bos(void)
{
	static const int32_t want[] = { 1, 403, 407, 261, 378 };
	char why[600], back[128];
	int32_t ids[16];
	int n, missing;
	eng_vocab *v = load_stories(why, sizeof why, &missing);

	if (missing)
		TB_SKIP("%.200s", why);
	if (!v)
		printf("  %s\n", why);
	TB_REQUIRE(v != NULL);
	TB_CHECK_INT(eng_vocab_n(v), 512);
	TB_CHECK_STR(eng_vocab_model(v), "llama");
	TB_CHECK_STR(eng_vocab_pre(v), "default");
	n = eng_vocab_tokenize(v, "Once upon a time", 16, 1, 0, ids, 16);
	TB_CHECK_INT(n, 5);
	TB_CHECK(n == 5 && memcmp(ids, want, sizeof want) == 0);
	n = eng_vocab_tokenize(v, "Once upon a time", 16, 1, 1, ids, 16);
	TB_CHECK(n == 5 && memcmp(ids, want, sizeof want) == 0);
	n = eng_vocab_tokenize(v, "Once upon a time", 16, 0, 0, ids, 16);
	TB_CHECK(n == 4 && memcmp(ids, want + 1, 4 * sizeof *ids) == 0);
	TB_CHECK_INT(eng_vocab_detokenize(v, want + 1, 4, back, (int)sizeof back, 0, 1), 16);
	TB_CHECK_STR(back, "Once upon a time");
	/* like llama.cpp, the space is kept when a BOS piece comes first */
	TB_CHECK_INT(eng_vocab_detokenize(v, want, 5, back, (int)sizeof back, 0, 1), 17);
	TB_CHECK_STR(back, " Once upon a time");
	TB_CHECK_INT(eng_vocab_detokenize(v, want, 5, back, (int)sizeof back, 1, 0), 20);
	TB_CHECK_STR(back, "<s> Once upon a time");
	eng_vocab_free(v);
}

static void test_vocab_gives_the_stories260k_reference_pieces(void)
{
	const char *shared = tb_shared_dir();
	char path[512], why[600], piece[64];
	static char text[4096], hex[8192];
	char *json;
	cJSON *root, *ids, *pieces, *ptext;
	int32_t gen[256];
	int n = 0, m, missing;
	eng_vocab *v;

	if (!shared)
		TB_SKIP("no shared folder (set TB_SHARED)");
	snprintf(path, sizeof path, "%s/models/stories260K.ref.json", shared);
	json = tb_slurp(path, NULL);
	if (!json)
		TB_SKIP("%.200s is missing", path);
	root = cJSON_Parse(json);
	free(json);
	TB_REQUIRE(root != NULL);
	v = load_stories(why, sizeof why, &missing);
	if (!v) {
		cJSON_Delete(root);
		if (missing)
			TB_SKIP("%.200s", why);
		printf("  %s\n", why);
		TB_REQUIRE(v != NULL);
	}
	ids = cJSON_GetObjectItem(root, "prompt_ids");
	pieces = cJSON_GetObjectItem(root, "prompt_pieces");
	for (int i = 0; i < cJSON_GetArraySize(ids); i++) {
		int id = cJSON_GetArrayItem(ids, i)->valueint;

		m = eng_vocab_piece(v, id, piece, (int)sizeof piece - 1, 1);
		TB_CHECK(m >= 0 && m < (int)sizeof piece);
		piece[m > 0 ? m : 0] = 0;
		TB_CHECK_STR(piece, cJSON_GetArrayItem(pieces, i)->valuestring);
	}
	ids = cJSON_GetObjectItem(root, "generated_ids");
	pieces = cJSON_GetObjectItem(root, "generated_pieces");
	for (int i = 0; i < cJSON_GetArraySize(ids) && n < 256; i++) {
		gen[n++] = cJSON_GetArrayItem(ids, i)->valueint;
		m = eng_vocab_piece(v, gen[n - 1], piece, (int)sizeof piece - 1, 0);
		TB_CHECK(m >= 0 && m < (int)sizeof piece);
		piece[m > 0 ? m : 0] = 0;
		TB_CHECK_STR(piece, cJSON_GetArrayItem(pieces, i)->valuestring);
	}
	m = eng_vocab_detokenize(v, gen, n, text, (int)sizeof text, 0, 0);
	TB_REQUIRE(m >= 0 && m < (int)sizeof text);
	for (int i = 0; i < m; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)text[i]);
	hex[2 * m] = 0;
	ptext = cJSON_GetObjectItem(root, "generated_text_hex");
	TB_REQUIRE(cJSON_IsString(ptext));
	TB_CHECK_STR(hex, ptext->valuestring);
	eng_vocab_free(v);
	cJSON_Delete(root);
}

/* ---------------------------------------------------------------- pre-tokenizer splits */

typedef struct split_case { const char *text; int n; int32_t bytes[12]; } split_case;

static void check_splits(const char *pre, const split_case *c, size_t n_cases)
{
	for (size_t i = 0; i < n_cases; i++) {
		int32_t got[64];
		int n = eng_vocab_pre_split(pre, c[i].text, strlen(c[i].text), got, 64);
		int same = n == c[i].n && memcmp(got, c[i].bytes, (size_t)n * sizeof *got) == 0;

		if (!same) {
			printf("  %s '", pre);
			print_escaped(c[i].text, strlen(c[i].text));
			printf("': got");
			for (int k = 0; k < n && k < 64; k++)
				printf(" %d", got[k]);
			printf("\n");
		}
		TB_CHECK(same);
	}
}

/* Cases worked out by hand from llama-bpe's regex
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*
 * |\s*[\r\n]+|\s+(?!\S)|\s+ ; lengths are bytes. */
static const split_case llama3_cases[] = {
	{ "Hello world", 2, { 5, 6 } },
	{ "  Hello", 2, { 1, 6 } },                          /* " " then " Hello" */
	{ "    Hello\n    Hello", 5, { 3, 6, 1, 3, 6 } },
	{ "3333333", 3, { 3, 3, 1 } },                      /* \p{N}{1,3} */
	{ "I'VE you'll", 4, { 1, 3, 4, 3 } },               /* contractions ignore case */
	{ "\tHello,world", 2, { 6, 6 } },                   /* one non-letter may lead a word */
	{ "a,b", 2, { 1, 2 } },
	{ "!!!\n\nx", 2, { 5, 1 } },                        /* punctuation keeps its newlines */
	{ " ?\n", 1, { 3 } },
	{ "\n\n\n", 1, { 3 } },
	{ "a \n \n b", 3, { 1, 4, 2 } },                    /* \s*[\r\n]+ stops at the last newline */
	{ "x  ", 2, { 1, 2 } },                             /* trailing spaces stay together */
	{ "h\xC3\xA9llo w\xC3\xB6rld", 2, { 6, 7 } },
	{ "\xE4\xBD\xA0\xE5\xA5\xBD \xE4\xB8\x96\xE7\x95\x8C", 2, { 6, 7 } },
	{ "2024-01-02", 6, { 3, 1, 1, 2, 1, 2 } },
	{ "", 0, { 0 } },
};

/* qwen2: the same regex with \p{N} one digit at a time. */
static const split_case qwen2_cases[] = {
	{ "Hello world", 2, { 5, 6 } },
	{ "2024", 4, { 1, 1, 1, 1 } },
	{ "I'VE", 2, { 1, 3 } },
	{ "  Hello", 2, { 1, 6 } },
	{ "x=1.\n5", 5, { 1, 1, 1, 2, 1 } },                /* ".\n": punctuation keeps its newline */
	{ "\xE6\x88\x91\xE6\x83\xB3" "apple", 1, { 11 } },     /* CJK and Latin letters form one word */
	{ "a \n \n b", 3, { 1, 4, 2 } },
};

/* gpt-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S) */
static const split_case gpt2_cases[] = {
	{ "Hello world", 2, { 5, 6 } },
	{ "I'VE", 3, { 1, 1, 2 } },                         /* case-sensitive: "'" then "VE" */
	{ "I've", 2, { 1, 3 } },
	{ "  Hello", 2, { 1, 6 } },
	{ " 333", 1, { 4 } },
	{ "\n\nx", 3, { 1, 1, 1 } },                        /* \s+(?!\S) leaves the last "\n" alone */
	{ "a  ", 2, { 1, 2 } },
};

static void test_vocab_splits_like_the_llama3_pre_tokenizer(void)
{
	check_splits("llama3", llama3_cases, sizeof llama3_cases / sizeof llama3_cases[0]);
	check_splits("llama-bpe", llama3_cases, 3);
}

static void test_vocab_splits_like_the_qwen2_pre_tokenizer(void)
{
	check_splits("qwen2", qwen2_cases, sizeof qwen2_cases / sizeof qwen2_cases[0]);
}

static void test_vocab_splits_like_the_gpt2_pre_tokenizer(void)
{
	check_splits("gpt-2", gpt2_cases, sizeof gpt2_cases / sizeof gpt2_cases[0]);
}

/* deepseek-coder: [\r\n] | \s?\p{L}+ | \s?\p{P}+ | [一-龥ࠀ-一가-퟿]+ | \p{N}, applied in turn; the
 * regexes after the first only cut what the earlier ones left. */
static const split_case dscoder_cases[] = {
	{ "int x = 42;\n", 7, { 3, 2, 3, 1, 1, 1, 1 } },    /* "=" is a symbol, not \p{P} */
	{ "a\r\nb", 4, { 1, 1, 1, 1 } },
};

/* deepseek-llm: [\r\n] | \s?[Latin/Greek/... letters]+ | \s?[ASCII and full-width punct]+ | \s+$
 * | [CJK]+ | \p{N}+ */
static const split_case dsllm_cases[] = {
	{ "Hello world 123", 4, { 5, 6, 1, 3 } },
	{ "x  ", 2, { 1, 2 } },                             /* \s+$ */
	/* later regexes cut what earlier ones matched: the letters take "\u03a9\u2126" whole, then
	 * the CJK class (its range U+0800-U+4E00) cuts U+2126 out again */
	{ "\xCE\xA9\xE2\x84\xA6", 2, { 2, 3 } },
	{ "\xE6\x88\x91\xE6\x83\xB3", 1, { 6 } },
};

static void test_vocab_splits_like_the_deepseek_pre_tokenizers(void)
{
	check_splits("deepseek-coder", dscoder_cases, sizeof dscoder_cases / sizeof dscoder_cases[0]);
	check_splits("deepseek-llm", dsllm_cases, sizeof dsllm_cases / sizeof dsllm_cases[0]);
}

/* default: [\p{P}\$\+<=>\^~\|]+ then gpt-2 then \p{N}+ then [0-9][0-9][0-9] */
static void test_vocab_splits_like_the_default_bpe_pre_tokenizer(void)
{
	static const split_case c[] = {
		{ "12345", 2, { 3, 2 } },
		{ "a+=b", 3, { 1, 2, 1 } },
		{ "Hello, world", 3, { 5, 1, 6 } },
	};

	check_splits("default", c, sizeof c / sizeof c[0]);
	check_splits(NULL, c, sizeof c / sizeof c[0]);
}

/* o200k (gpt-4o / gpt-oss): expected pieces from llama.cpp's splitter (ik_llama.cpp at the
 * issue's reference commit, its "gpt-4o" expressions), as byte lengths. */
static void test_vocab_splits_like_the_o200k_pre_tokenizer(void)
{
	static const split_case c[] = {
		{ "Hello World", 2, { 5, 6 } },
		{ "HelloWorld's", 2, { 5, 7 } },
		{ "don't STOP", 2, { 5, 5 } },
		{ "abc123456 x", 4, { 3, 3, 3, 2 } },
		{ "  spaces\n\nnew", 4, { 1, 7, 2, 3 } },
		{ "path/to/file\n", 4, { 4, 3, 5, 1 } },
		{ "\xC3\x89" "COLE \xC3\xA9l\xC3\xA8ve", 3, { 2, 4, 8 } },
		{ "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x83\x86\xE3\x82\xAD\xE3\x82\xB9\xE3\x83\x88", 1, { 21 } },
		{ "CamelCaseWord", 3, { 5, 4, 4 } },
		{ "x  y", 3, { 1, 1, 2 } },
		{ "I'M OK", 2, { 3, 3 } },
		{ "3.14159", 4, { 1, 1, 3, 2 } },
		{ "a\n\n  b  ", 5, { 1, 2, 1, 2, 2 } },
	};

	check_splits("gpt-4o", c, sizeof c / sizeof c[0]);
	check_splits("llama4", c, 2);
}

static void test_vocab_split_counts_invalid_utf8_as_replacement_characters(void)
{
	int32_t got[8];
	/* each bad byte becomes U+FFFD (3 bytes), as llama.cpp's decoder does */
	int n = eng_vocab_pre_split("llama3", "a\xFF\xFE", 3, got, 8);

	TB_CHECK_INT(n, 2);
	TB_CHECK(n == 2 && got[0] == 1 && got[1] == 6);
	n = eng_vocab_pre_split("gpt-2", "\xE2\x82", 2, got, 8);   /* cut-off sequence */
	TB_CHECK_INT(n, 1);
	TB_CHECK(n == 1 && got[0] == 6);
}

static void test_vocab_split_rejects_an_unknown_pre_tokenizer_name(void)
{
	int32_t got[4];

	TB_CHECK_INT(eng_vocab_pre_split("no-such-pre", "abc", 3, got, 4), ENG_EINVAL);
	TB_CHECK_INT(eng_vocab_pre_split("gpt-2", NULL, 3, got, 4), ENG_EINVAL);
	TB_CHECK_INT(eng_vocab_pre_split("gpt-2", "a b c", 5, got, 1), 3);   /* count beyond cap */
	TB_CHECK_INT(got[0], 1);
}

/* Without the llama-bpe and qwen2 GGUFs, their vectors still bound the split: every piece
 * gives at least one token and no token spans two pieces, so pieces <= tokens. */
static void test_vocab_llama3_and_qwen2_splits_fit_their_vector_token_counts(void)
{
	static const char *const names[][2] = { { "llama-bpe", "llama3" }, { "qwen2", "qwen2" } };
	const char *shared = tb_shared_dir();
	int checked = 0;

	if (!shared)
		TB_SKIP("no shared folder (set TB_SHARED)");
	for (int k = 0; k < 2; k++) {
		char path[512];
		vectors t;
		int32_t ids[MAX_IDS];
		static int32_t pieces[MAX_IDS];

		snprintf(path, sizeof path, "%s/models/vocab/ggml-vocab-%s.gguf", shared, names[k][0]);
		if (vectors_read(path, &t) != 0) {
			vectors_free(&t);
			continue;
		}
		for (size_t i = 0; i < t.n; i++) {
			int nt = parse_ids(t.line[i], ids, MAX_IDS);
			int np = eng_vocab_pre_split(names[k][1], t.text[i], t.len[i], pieces, MAX_IDS);

			TB_CHECK(nt >= 0 && np >= 0);
			if (np > nt) {
				printf("  %s case %zu: %d pieces, %d tokens\n", names[k][0], i, np, nt);
				TB_CHECK(np <= nt);
			}
			checked++;
		}
		vectors_free(&t);
	}
	if (!checked)
		TB_SKIP("no llama-bpe or qwen2 vector files");
}

/* ---------------------------------------------------------------- small vocabularies */

static eng_vocab *vocab_from(eng_gguf_writer *w, const char *name, char *err, size_t errlen)
{
	char path[128];
	eng_vocab *v;

	snprintf(path, sizeof path, "%s/%s.gguf", tmpdir, name);
	if (eng_gguf_writer_save(w, path, err, errlen) != 0) {
		eng_gguf_writer_free(w);
		return NULL;
	}
	eng_gguf_writer_free(w);
	v = load_path(path, err, errlen);
	unlink(path);
	return v;
}

/* An SPM vocabulary: <unk> <s> </s>, the 256 byte tokens, then a few pieces and specials. */
enum { S_UNK, S_BOS, S_EOS, S_BYTE0, S_SPACE = S_BYTE0 + 256, S_A, S_B, S_C, S_AB, S_BC, S_SA, S_SAB,
	S_IM_START, S_IM, S_USER, S_IM_END, S_N };

static eng_gguf_writer *spm_doc(void)
{
	static char bytes[256][8];
	const char *tok[S_N];
	float score[S_N];
	int32_t type[S_N];
	eng_gguf_writer *w = eng_gguf_writer_new();

	for (int i = 0; i < S_N; i++) {
		score[i] = 0;
		type[i] = ENG_TOK_NORMAL;
	}
	tok[S_UNK] = "<unk>";
	type[S_UNK] = ENG_TOK_UNKNOWN;
	tok[S_BOS] = "<s>";
	type[S_BOS] = ENG_TOK_CONTROL;
	tok[S_EOS] = "</s>";
	type[S_EOS] = ENG_TOK_CONTROL;
	for (int b = 0; b < 256; b++) {
		snprintf(bytes[b], sizeof bytes[b], "<0x%02X>", b);
		tok[S_BYTE0 + b] = bytes[b];
		type[S_BYTE0 + b] = ENG_TOK_BYTE;
	}
	tok[S_SPACE] = "\xE2\x96\x81";
	score[S_SPACE] = -5;
	tok[S_A] = "a";
	score[S_A] = -6;
	tok[S_B] = "b";
	score[S_B] = -6;
	tok[S_C] = "c";
	score[S_C] = -6;
	tok[S_AB] = "ab";
	score[S_AB] = -1;
	tok[S_BC] = "bc";
	score[S_BC] = -0.5f;       /* "bc" beats "ab" */
	tok[S_SA] = "\xE2\x96\x81" "a";
	score[S_SA] = -3;
	tok[S_SAB] = "\xE2\x96\x81" "ab";
	score[S_SAB] = -2;
	tok[S_IM_START] = "<|im_start|>";
	type[S_IM_START] = ENG_TOK_CONTROL;
	tok[S_IM] = "<|im";
	type[S_IM] = ENG_TOK_USER_DEFINED;
	tok[S_USER] = "<|user|>";
	type[S_USER] = ENG_TOK_USER_DEFINED;
	tok[S_IM_END] = "<|im_end|>";        /* left NORMAL: found by its text */
	if (!w || eng_gguf_w_str(w, "tokenizer.ggml.model", "llama") ||
	    eng_gguf_w_arr_str(w, "tokenizer.ggml.tokens", tok, S_N) ||
	    eng_gguf_w_arr_f32(w, "tokenizer.ggml.scores", score, S_N) ||
	    eng_gguf_w_arr_i32(w, "tokenizer.ggml.token_type", type, S_N)) {
		eng_gguf_writer_free(w);
		return NULL;
	}
	return w;
}

static void expect_ids(const eng_vocab *v, const char *text, int add_special, int parse_special,
		const int32_t *want, int n_want)
{
	int32_t got[64];
	int n = eng_vocab_tokenize(v, text, strlen(text), add_special, parse_special, got, 64);
	int same = n == n_want && memcmp(got, want, (size_t)n * sizeof *got) == 0;

	if (!same) {
		printf("  '%s' (add %d, parse %d): got", text, add_special, parse_special);
		for (int i = 0; i < n && i < 64; i++)
			printf(" %d", got[i]);
		printf("\n");
	}
	TB_CHECK(same);
}

#define EXPECT(v, text, add, parse, ...) do { static const int32_t want_[] = { __VA_ARGS__ }; \
	expect_ids(v, text, add, parse, want_, (int)(sizeof want_ / sizeof want_[0])); } while (0)

static void test_vocab_spm_merges_by_score_and_falls_back_to_bytes(void)
{
	char err[256], back[64];
	eng_vocab *v = vocab_from(spm_doc(), "spm", err, sizeof err);
	int32_t ids[8];
	int n;

	if (!v)
		printf("  %s\n", err);
	TB_REQUIRE(v != NULL);
	EXPECT(v, "abc", 0, 0, S_SA, S_BC);                /* bc (-0.5) first, then ▁a */
	EXPECT(v, "ab", 0, 0, S_SAB);                      /* ab (-1), then ▁ab (-2) */
	EXPECT(v, "a b", 0, 0, S_SA, S_SPACE, S_B);
	EXPECT(v, "\xC3\xA9", 0, 0, S_SPACE, S_BYTE0 + 0xC3, S_BYTE0 + 0xA9);
	EXPECT(v, "a\xFF", 0, 0, S_SA, S_BYTE0 + 0xFF);    /* invalid UTF-8 stays bytes */
	EXPECT(v, "ab", 1, 0, S_BOS, S_SAB);               /* SPM adds BOS by default */
	n = eng_vocab_tokenize(v, "", 0, 1, 0, ids, 8);
	TB_CHECK(n == 1 && ids[0] == S_BOS);
	n = eng_vocab_tokenize(v, "", 0, 0, 0, ids, 8);
	TB_CHECK_INT(n, 0);
	n = eng_vocab_tokenize(v, "\xC3\xA9 abc", 6, 0, 0, ids, 8);
	TB_CHECK_INT(eng_vocab_detokenize(v, ids, n, back, (int)sizeof back, 0, 1), 6);
	TB_CHECK_STR(back, "\xC3\xA9 abc");
	TB_CHECK_INT(eng_vocab_detokenize(v, ids, n, back, (int)sizeof back, 0, 0), 7);
	TB_CHECK_STR(back, " \xC3\xA9 abc");
	TB_CHECK_INT(eng_vocab_piece(v, S_SAB, back, (int)sizeof back, 0), 3);
	TB_CHECK(memcmp(back, " ab", 3) == 0);
	TB_CHECK_INT(eng_vocab_piece(v, S_BYTE0 + 0x0A, back, (int)sizeof back, 0), 1);
	TB_CHECK_INT(back[0], '\n');
	eng_vocab_free(v);
}

static void test_vocab_parses_special_tokens_only_when_asked(void)
{
	char err[256];
	eng_vocab *v = vocab_from(spm_doc(), "spm", err, sizeof err);

	TB_REQUIRE(v != NULL);
	/* with parse_special a control token is cut out, and the text after it gets the space
	 * prefix again; longest special first, so <|im_start|> beats <|im */
	EXPECT(v, "<|im_start|>ab", 0, 1, S_IM_START, S_SAB);
	EXPECT(v, "ab<|im_start|>", 0, 1, S_SAB, S_IM_START);
	/* without it the control token is text, but user-defined tokens are still cut out */
	EXPECT(v, "<|im_start|>", 0, 0, S_IM, S_SPACE, S_BYTE0 + '_', S_BYTE0 + 's', S_BYTE0 + 't',
		S_A, S_BYTE0 + 'r', S_BYTE0 + 't', S_BYTE0 + '|', S_BYTE0 + '>');
	EXPECT(v, "a<|user|>b", 0, 0, S_SA, S_USER, S_SPACE, S_B);
	EXPECT(v, "<s>", 0, 1, S_BOS);
	EXPECT(v, "<s>", 1, 1, S_BOS, S_BOS);
	EXPECT(v, "<unk>", 0, 1, S_UNK);
	eng_vocab_free(v);
}

static void test_vocab_marks_end_of_turn_tokens_as_eog_and_control(void)
{
	char err[256], piece[32];
	eng_vocab *v = vocab_from(spm_doc(), "spm", err, sizeof err);

	TB_REQUIRE(v != NULL);
	TB_CHECK_INT(eng_vocab_eot(v), S_IM_END);
	TB_CHECK(eng_vocab_is_eog(v, S_IM_END));
	TB_CHECK(eng_vocab_is_control(v, S_IM_END));
	TB_CHECK(eng_vocab_is_eog(v, S_EOS));
	TB_CHECK(!eng_vocab_is_eog(v, S_BOS));
	TB_CHECK(!eng_vocab_is_eog(v, S_USER));
	TB_CHECK(!eng_vocab_is_eog(v, -1));
	TB_CHECK(!eng_vocab_is_eog(v, S_N));
	/* control text only with special; user-defined text always */
	TB_CHECK_INT(eng_vocab_piece(v, S_IM_END, piece, (int)sizeof piece, 0), 0);
	TB_CHECK_INT(eng_vocab_piece(v, S_IM_END, piece, (int)sizeof piece, 1), 10);
	TB_CHECK(memcmp(piece, "<|im_end|>", 10) == 0);
	TB_CHECK_INT(eng_vocab_piece(v, S_USER, piece, (int)sizeof piece, 0), 8);
	TB_CHECK_INT(eng_vocab_piece(v, S_UNK, piece, (int)sizeof piece, 0), 0);
	TB_CHECK_INT(eng_vocab_piece(v, S_N, piece, (int)sizeof piece, 0), ENG_EINVAL);
	TB_CHECK_INT(eng_vocab_piece(v, -1, piece, (int)sizeof piece, 0), ENG_EINVAL);
	eng_vocab_free(v);
}

static void test_vocab_strips_white_space_after_phi3_special_tokens(void)
{
	char err[256];
	eng_gguf_writer *w = spm_doc();
	eng_vocab *v;

	TB_REQUIRE(w != NULL);
	TB_REQUIRE(eng_gguf_w_str(w, "general.name", "Phi-3-mini-4k-instruct") == 0);
	v = vocab_from(w, "phi3", err, sizeof err);
	TB_REQUIRE(v != NULL);
	EXPECT(v, "<|user|>\n ab", 0, 1, S_USER, S_SAB);   /* llama.cpp sets rstrip by model name */
	EXPECT(v, "<s> ab", 0, 1, S_BOS, S_SPACE, S_SAB);     /* <s> keeps the space after it */
	eng_vocab_free(v);
	v = vocab_from(spm_doc(), "nophi", err, sizeof err);
	TB_REQUIRE(v != NULL);
	EXPECT(v, "<|user|>\nab", 0, 1, S_USER, S_SPACE, S_BYTE0 + '\n', S_AB);
	eng_vocab_free(v);
}

static void test_vocab_follows_add_bos_and_add_eos_from_the_file(void)
{
	char err[256];
	eng_gguf_writer *w = spm_doc();
	eng_vocab *v;

	TB_REQUIRE(w != NULL);
	TB_REQUIRE(eng_gguf_w_bool(w, "tokenizer.ggml.add_bos_token", 0) == 0);
	TB_REQUIRE(eng_gguf_w_bool(w, "tokenizer.ggml.add_eos_token", 1) == 0);
	TB_REQUIRE(eng_gguf_w_bool(w, "tokenizer.ggml.add_space_prefix", 0) == 0);
	v = vocab_from(w, "spm-flags", err, sizeof err);
	TB_REQUIRE(v != NULL);
	TB_CHECK_INT(eng_vocab_add_bos(v), 0);
	TB_CHECK_INT(eng_vocab_add_eos(v), 1);
	EXPECT(v, "ab", 1, 0, S_AB, S_EOS);                /* no BOS, no space prefix, EOS */
	EXPECT(v, "ab", 0, 0, S_AB);
	eng_vocab_free(v);
}

/* The GPT-2 byte-level alphabet: printable Latin-1 stands for itself, the rest take U+0100.. */
static void bl_char(int b, char *out)
{
	static int map[256];
	static int ready;
	int cp;

	if (!ready) {
		int k = 0;

		for (int i = 0; i < 256; i++) {
			int printable = (i >= 0x21 && i <= 0x7E) || (i >= 0xA1 && i <= 0xAC) || i >= 0xAE;

			map[i] = printable ? i : 256 + k++;
		}
		ready = 1;
	}
	cp = map[b];
	if (cp < 0x80) {
		out[0] = (char)cp;
		out[1] = 0;
	} else {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		out[2] = 0;
	}
}

/* A byte-level BPE vocabulary: the 256 byte characters, then "ab", "bc", "abc", "<|eot_id|>",
 * merges "b c" (rank 0), "a b" (rank 1). */
enum { B_AB = 256, B_BC, B_ABC, B_EOT, B_N };

static eng_gguf_writer *bpe_doc(const char *pre)
{
	static char chars[256][4];
	const char *tok[B_N];
	static const char *const merges[] = { "b c", "a b" };
	eng_gguf_writer *w = eng_gguf_writer_new();

	for (int b = 0; b < 256; b++) {
		bl_char(b, chars[b]);
		tok[b] = chars[b];
	}
	tok[B_AB] = "ab";
	tok[B_BC] = "bc";
	tok[B_ABC] = "abc";
	tok[B_EOT] = "<|eot_id|>";
	if (!w || eng_gguf_w_str(w, "tokenizer.ggml.model", "gpt2") ||
	    (pre && eng_gguf_w_str(w, "tokenizer.ggml.pre", pre)) ||
	    eng_gguf_w_arr_str(w, "tokenizer.ggml.tokens", tok, B_N) ||
	    eng_gguf_w_arr_str(w, "tokenizer.ggml.merges", merges, 2) ||
	    eng_gguf_w_u32(w, "tokenizer.ggml.bos_token_id", B_EOT) ||
	    eng_gguf_w_u32(w, "tokenizer.ggml.eos_token_id", B_EOT)) {
		eng_gguf_writer_free(w);
		return NULL;
	}
	return w;
}

/* o200k_harmony (gpt-oss): <|return|> and <|call|> end generation and <|end|> then does not
 * (it closes the analysis message inside a reply); without them <|end|> stays an end. */
static void test_vocab_harmony_ends_on_return_and_call_but_not_end(void)
{
	for (int harmony = 0; harmony < 2; harmony++) {
		static char chars[256][4];
		const char *tok[259];
		static const char *const merges[] = { "a b" };
		eng_gguf_writer *w = eng_gguf_writer_new();
		char err[256];
		eng_vocab *v;

		for (int b = 0; b < 256; b++) {
			bl_char(b, chars[b]);
			tok[b] = chars[b];
		}
		tok[256] = "<|end|>";
		tok[257] = harmony ? "<|return|>" : "<|x|>";
		tok[258] = harmony ? "<|call|>" : "<|y|>";
		TB_REQUIRE(w && !eng_gguf_w_str(w, "tokenizer.ggml.model", "gpt2") &&
			!eng_gguf_w_str(w, "tokenizer.ggml.pre", "gpt-4o") &&
			!eng_gguf_w_arr_str(w, "tokenizer.ggml.tokens", tok, 259) &&
			!eng_gguf_w_arr_str(w, "tokenizer.ggml.merges", merges, 1));
		v = vocab_from(w, harmony ? "harmony" : "end", err, sizeof err);
		if (!v)
			printf("  %s\n", err);
		TB_REQUIRE(v != NULL);
		TB_CHECK_STR(eng_vocab_pre(v), "gpt-4o");
		TB_CHECK_INT(eng_vocab_is_eog(v, 256), !harmony);
		TB_CHECK_INT(eng_vocab_is_eog(v, 257), harmony);
		TB_CHECK_INT(eng_vocab_is_eog(v, 258), harmony);
		eng_vocab_free(v);
	}
}

static void test_vocab_bpe_merges_by_rank_and_llama3_takes_whole_words(void)
{
	char err[256], back[64];
	eng_vocab *v = vocab_from(bpe_doc("gpt-2"), "bpe", err, sizeof err);
	int32_t ids[16];
	int n;

	if (!v)
		printf("  %s\n", err);
	TB_REQUIRE(v != NULL);
	TB_CHECK_STR(eng_vocab_pre(v), "gpt-2");
	TB_CHECK_INT(eng_vocab_add_bos(v), 0);
	EXPECT(v, "abc", 0, 0, 'a', B_BC);                 /* "b c" (rank 0) before "a b" */
	EXPECT(v, "ab", 0, 0, B_AB);
	EXPECT(v, "abc", 1, 0, 'a', B_BC);                 /* gpt-2 adds no BOS by default */
	EXPECT(v, "x<|eot_id|>", 0, 1, 'x', B_EOT);
	TB_CHECK(eng_vocab_is_eog(v, B_EOT));
	n = eng_vocab_tokenize(v, " a\n", 3, 0, 0, ids, 16);
	TB_CHECK_INT(n, 3);
	TB_CHECK_INT(eng_vocab_detokenize(v, ids, n, back, (int)sizeof back, 0, 0), 3);
	TB_CHECK_STR(back, " a\n");
	eng_vocab_free(v);

	/* llama3: a word that is a token is taken whole, and BOS is added by default */
	v = vocab_from(bpe_doc("llama-bpe"), "bpe3", err, sizeof err);
	TB_REQUIRE(v != NULL);
	TB_CHECK_INT(eng_vocab_add_bos(v), 1);
	EXPECT(v, "abc", 0, 0, B_ABC);
	EXPECT(v, "abc", 1, 0, B_EOT, B_ABC);
	eng_vocab_free(v);

	/* no pre-tokenizer named: "default" */
	v = vocab_from(bpe_doc(NULL), "bpe0", err, sizeof err);
	TB_REQUIRE(v != NULL);
	TB_CHECK_STR(eng_vocab_pre(v), "default");
	EXPECT(v, "abc", 0, 0, 'a', B_BC);
	eng_vocab_free(v);
}

static void test_vocab_bpe_reads_invalid_utf8_as_replacement_characters(void)
{
	char path[512], why[600], err[512];
	int32_t a[16], b[16];
	int na, nb;
	eng_vocab *v;

	if (vocab_path("gpt-2", path, sizeof path, why, sizeof why))
		TB_SKIP("%.200s", why);
	v = load_path(path, err, sizeof err);
	TB_REQUIRE(v != NULL);
	na = eng_vocab_tokenize(v, "x\xFFy", 3, 0, 0, a, 16);
	nb = eng_vocab_tokenize(v, "x\xEF\xBF\xBDy", 5, 0, 0, b, 16);
	TB_CHECK(na > 0 && na == nb && memcmp(a, b, (size_t)na * sizeof *a) == 0);
	eng_vocab_free(v);
}

static void test_vocab_tokenize_reports_the_total_when_the_buffer_is_short(void)
{
	char err[256];
	eng_vocab *v = vocab_from(spm_doc(), "spm", err, sizeof err);
	int32_t ids[4] = { -7, -7, -7, -7 };

	TB_REQUIRE(v != NULL);
	TB_CHECK_INT(eng_vocab_tokenize(v, "a b c", 5, 1, 0, ids, 2), 6);
	TB_CHECK(ids[0] == S_BOS && ids[1] == S_SA && ids[2] == -7);
	TB_CHECK_INT(eng_vocab_tokenize(v, "a b c", 5, 1, 0, NULL, 0), 6);
	TB_CHECK_INT(eng_vocab_tokenize(v, NULL, 3, 0, 0, ids, 4), ENG_EINVAL);
	TB_CHECK_INT(eng_vocab_tokenize(v, "a", 1, 0, 0, ids, -1), ENG_EINVAL);
	eng_vocab_free(v);
}

static void test_vocab_detokenize_respects_its_cap(void)
{
	char err[256], buf[8];
	eng_vocab *v = vocab_from(spm_doc(), "spm", err, sizeof err);
	int32_t ids[16], bad[1] = { S_N };
	int n;

	TB_REQUIRE(v != NULL);
	n = eng_vocab_tokenize(v, "ab ab ab ab", 11, 0, 0, ids, 16);
	memset(buf, 'Z', sizeof buf);
	TB_CHECK_INT(eng_vocab_detokenize(v, ids, n, buf, 4, 0, 1), 11);
	TB_CHECK(memcmp(buf, "ab a", 4) == 0 && buf[4] == 'Z');
	TB_CHECK_INT(eng_vocab_detokenize(v, ids, 1, buf, (int)sizeof buf, 0, 1), 2);
	TB_CHECK_STR(buf, "ab");
	TB_CHECK_INT(eng_vocab_detokenize(v, ids, n, NULL, 0, 0, 1), 11);
	TB_CHECK_INT(eng_vocab_detokenize(v, bad, 1, buf, (int)sizeof buf, 0, 0), ENG_EINVAL);
	TB_CHECK_INT(eng_vocab_piece(v, S_SAB, buf, 1, 0), 3);
	TB_CHECK_INT(buf[0], ' ');
	eng_vocab_free(v);
}

static void test_vocab_handles_long_inputs(void)
{
	char path[512], why[600], err[512];
	size_t n = 200000;
	char *text = malloc(n);
	int32_t *ids = malloc(n * sizeof *ids);
	static const char *const names[] = { "gpt-2", "llama-spm", "deepseek-llm" };
	int done = 0;

	TB_REQUIRE(text && ids);
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		eng_vocab *v;
		int m;

		if (vocab_path(names[k], path, sizeof path, why, sizeof why))
			continue;
		v = load_path(path, err, sizeof err);
		TB_REQUIRE(v != NULL);
		/* one word of 200k letters, then 200k mixed characters */
		memset(text, 'a', n);
		m = eng_vocab_tokenize(v, text, n, 0, 0, ids, (int)n);
		TB_CHECK(m > 0 && m < (int)n);
		for (size_t i = 0; i < n; i++)
			text[i] = " a1.\n"[i % 5];
		m = eng_vocab_tokenize(v, text, n, 0, 0, ids, (int)n);
		TB_CHECK(m > 0 && m <= (int)n);
		eng_vocab_free(v);
		done++;
	}
	free(text);
	free(ids);
	if (!done)
		TB_SKIP("no shared vocab files");
}

/* Random text (fixed seed): SPM gives back any bytes; byte-level BPE gives back
 * any valid UTF-8 and reads invalid bytes as U+FFFD without failing. */
static void test_vocab_round_trips_random_text(void)
{
	static const uint32_t pool[] = { ' ', ' ', 'a', 'Z', '0', '\'', '\n', '\t', '.', '<', '|', 0xE9,
		0x301, 0x3A9, 0x2126, 0x4E2D, 0xAC00, 0x1F600, 0x3000, 0xA0, 0x85, 0x10FFFF, 0x7F, 0x1F };
	static const char *const names[] = { "llama-spm", "gpt-2", "deepseek-coder", "deepseek-llm" };
	char path[512], why[600], err[512], text[256], back[2048];
	int32_t ids[1024];
	unsigned seed = 12345;
	int done = 0;

	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		eng_vocab *v;
		int spm;

		if (vocab_path(names[k], path, sizeof path, why, sizeof why))
			continue;
		v = load_path(path, err, sizeof err);
		TB_REQUIRE(v != NULL);
		spm = strcmp(eng_vocab_model(v), "llama") == 0;
		for (int iter = 0; iter < 300; iter++) {
			size_t n = 0;
			int len = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 24, raw = iter % 3 == 0;
			int nt, m;

			for (int i = 0; i < len && n + 4 < sizeof text; i++) {
				uint32_t c, r = (seed = seed * 1103515245u + 12345u) >> 16;

				if (raw) {
					text[n++] = (char)(r & 0xFF);
					continue;
				}
				c = pool[r % (sizeof pool / sizeof pool[0])];
				if (c < 0x80) {
					text[n++] = (char)c;
				} else if (c < 0x800) {
					text[n++] = (char)(0xC0 | (c >> 6));
					text[n++] = (char)(0x80 | (c & 0x3F));
				} else if (c < 0x10000) {
					text[n++] = (char)(0xE0 | (c >> 12));
					text[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
					text[n++] = (char)(0x80 | (c & 0x3F));
				} else {
					text[n++] = (char)(0xF0 | (c >> 18));
					text[n++] = (char)(0x80 | ((c >> 12) & 0x3F));
					text[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
					text[n++] = (char)(0x80 | (c & 0x3F));
				}
			}
			nt = eng_vocab_tokenize(v, text, n, 0, iter & 1, ids, 1024);
			TB_REQUIRE(nt >= 0 && nt <= 1024);
			m = eng_vocab_detokenize(v, ids, nt, back, (int)sizeof back, 0, 1);
			TB_CHECK(m >= 0);
			if (raw && !spm)
				continue;
			if (m != (int)n || memcmp(back, text, n) != 0) {
				printf("  %s: '", names[k]);
				print_escaped(text, n);
				printf("' came back as '");
				print_escaped(back, m > 0 ? (size_t)m : 0);
				printf("'\n");
				TB_CHECK(!"round trip");
				break;
			}
		}
		eng_vocab_free(v);
		done++;
	}
	if (!done)
		TB_SKIP("no shared vocab files");
}

/* ---------------------------------------------------------------- bad metadata */

/* Loads w and checks that it fails with both needles in the message. */
static void expect_load_error(eng_gguf_writer *w, const char *needle1, const char *needle2)
{
	char err[512] = "";
	eng_vocab *v;

	TB_REQUIRE(w != NULL);
	v = vocab_from(w, "bad", err, sizeof err);
	TB_CHECK(v == NULL);
	eng_vocab_free(v);
	if (!strstr(err, needle1) || (needle2 && !strstr(err, needle2)))
		printf("  message: %s\n", err);
	TB_CHECK(strstr(err, needle1) != NULL);
	TB_CHECK(needle2 == NULL || strstr(err, needle2) != NULL);
	TB_CHECK(strstr(err, "bad.gguf") != NULL);
}

static eng_gguf_writer *doc_with(const char *model, const char *const *tok, int n)
{
	eng_gguf_writer *w = eng_gguf_writer_new();

	if (!w || (model && eng_gguf_w_str(w, "tokenizer.ggml.model", model)) ||
	    (tok && eng_gguf_w_arr_str(w, "tokenizer.ggml.tokens", tok, (uint64_t)n))) {
		eng_gguf_writer_free(w);
		return NULL;
	}
	return w;
}

static const char *const few[] = { "<unk>", "<s>", "</s>", "a", "b" };

static void test_vocab_rejects_a_missing_tokens_array(void)
{
	expect_load_error(doc_with("llama", NULL, 0), "tokenizer.ggml.tokens", "missing");
}

static void test_vocab_rejects_a_missing_model_key(void)
{
	expect_load_error(doc_with(NULL, few, 5), "tokenizer.ggml.model", "missing");
}

static void test_vocab_rejects_an_unknown_model_name(void)
{
	expect_load_error(doc_with("wordpiece-ish", few, 5), "tokenizer.ggml.model", "wordpiece-ish");
}

static void test_vocab_rejects_an_unknown_pre_tokenizer_name(void)
{
	static const char *const merges[] = { "a b" };
	eng_gguf_writer *w = doc_with("gpt2", few, 5);

	TB_REQUIRE(w != NULL);
	TB_REQUIRE(eng_gguf_w_str(w, "tokenizer.ggml.pre", "mystery-pre") == 0);
	TB_REQUIRE(eng_gguf_w_arr_str(w, "tokenizer.ggml.merges", merges, 1) == 0);
	expect_load_error(w, "tokenizer.ggml.pre", "mystery-pre");
}

static void test_vocab_rejects_a_scores_array_shorter_than_the_tokens(void)
{
	static const float scores[] = { 0, 0, 0 };
	eng_gguf_writer *w = doc_with("llama", few, 5);

	TB_REQUIRE(w != NULL);
	TB_REQUIRE(eng_gguf_w_arr_f32(w, "tokenizer.ggml.scores", scores, 3) == 0);
	expect_load_error(w, "tokenizer.ggml.scores", "3 entries for 5");
}

static void test_vocab_rejects_a_token_type_array_shorter_than_the_tokens(void)
{
	static const int32_t types[] = { 2, 3 };
	eng_gguf_writer *w = doc_with("llama", few, 5);

	TB_REQUIRE(w != NULL);
	TB_REQUIRE(eng_gguf_w_arr_i32(w, "tokenizer.ggml.token_type", types, 2) == 0);
	expect_load_error(w, "tokenizer.ggml.token_type", "2 entries for 5");
}

static void test_vocab_rejects_scores_that_are_not_numbers(void)
{
	eng_gguf_writer *w = doc_with("llama", few, 5);

	TB_REQUIRE(w != NULL);
	TB_REQUIRE(eng_gguf_w_arr_str(w, "tokenizer.ggml.scores", few, 5) == 0);
	expect_load_error(w, "tokenizer.ggml.scores", "not an array of numbers");
}

static void test_vocab_rejects_tokens_that_are_not_strings(void)
{
	static const float x[] = { 1, 2, 3 };
	eng_gguf_writer *w = doc_with("llama", NULL, 0);

	TB_REQUIRE(w != NULL);
	TB_REQUIRE(eng_gguf_w_arr_f32(w, "tokenizer.ggml.tokens", x, 3) == 0);
	expect_load_error(w, "tokenizer.ggml.tokens", "not an array of strings");
}

static void test_vocab_rejects_duplicate_tokens(void)
{
	static const char *const dup[] = { "<unk>", "<s>", "</s>", "a", "a" };

	expect_load_error(doc_with("llama", dup, 5), "tokenizer.ggml.tokens", "duplicate token 'a' at ids 3 and 4");
}

static void test_vocab_rejects_a_gpt2_file_without_merges(void)
{
	expect_load_error(doc_with("gpt2", few, 5), "tokenizer.ggml.merges", "missing");
}

static void test_vocab_rejects_add_bos_without_a_bos_id(void)
{
	static const char *const merges[] = { "a b" };
	eng_gguf_writer *w = doc_with("gpt2", few, 5);    /* gpt2's default BOS 11 is out of range */

	TB_REQUIRE(w != NULL);
	TB_REQUIRE(eng_gguf_w_arr_str(w, "tokenizer.ggml.merges", merges, 1) == 0);
	TB_REQUIRE(eng_gguf_w_bool(w, "tokenizer.ggml.add_bos_token", 1) == 0);
	expect_load_error(w, "tokenizer.ggml.add_bos_token", "tokenizer.ggml.bos_token_id");
}

static void test_vocab_rejects_a_flag_that_is_not_a_bool(void)
{
	eng_gguf_writer *w = doc_with("llama", few, 5);

	TB_REQUIRE(w != NULL);
	TB_REQUIRE(eng_gguf_w_str(w, "tokenizer.ggml.add_bos_token", "yes") == 0);
	expect_load_error(w, "tokenizer.ggml.add_bos_token", "not a bool");
}

static void test_vocab_ignores_special_ids_out_of_range(void)
{
	char err[256];
	eng_gguf_writer *w = doc_with("llama", few, 5);
	eng_vocab *v;

	TB_REQUIRE(w != NULL);
	TB_REQUIRE(eng_gguf_w_u32(w, "tokenizer.ggml.eos_token_id", 4000000000u) == 0);
	TB_REQUIRE(eng_gguf_w_u32(w, "tokenizer.ggml.seperator_token_id", 77) == 0);
	v = vocab_from(w, "ids", err, sizeof err);
	TB_REQUIRE(v != NULL);
	TB_CHECK_INT(eng_vocab_eos(v), 2);                  /* the SPM default stays */
	TB_CHECK_INT(eng_vocab_bos(v), 1);
	eng_vocab_free(v);
}

static void test_vocab_gives_empty_tokens_a_placeholder_text(void)
{
	static const char *const toks[] = { "<unk>", "<s>", "</s>", "", "b" };
	char err[256];
	eng_vocab *v = vocab_from(doc_with("llama", toks, 5), "empty", err, sizeof err);

	TB_REQUIRE(v != NULL);
	TB_CHECK_STR(eng_vocab_text(v, 3), "[EMPTY_3]");
	eng_vocab_free(v);
}

static void test_vocab_free_accepts_null(void)
{
	char err[64];

	eng_vocab_free(NULL);
	TB_CHECK(eng_vocab_load(NULL, "x.gguf", err, sizeof err) == NULL);
	TB_CHECK(strstr(err, "x.gguf") != NULL);
	TB_CHECK(eng_vocab_load(NULL, "x.gguf", NULL, 0) == NULL);
	TB_CHECK_INT(eng_vocab_n(NULL), 0);
	TB_CHECK(!eng_vocab_is_eog(NULL, 0));
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tb_vocab_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	TB_RUN(test_vocab_reproduces_every_llama_spm_vector);
	TB_RUN(test_vocab_reproduces_every_gpt2_vector);
	TB_RUN(test_vocab_reproduces_every_deepseek_coder_vector);
	TB_RUN(test_vocab_reproduces_every_deepseek_llm_vector);
	TB_RUN(test_vocab_reproduces_every_llama_bpe_vector);
	TB_RUN(test_vocab_reproduces_every_qwen2_vector);
	TB_RUN(test_vocab_round_trips_every_llama_spm_vector);
	TB_RUN(test_vocab_round_trips_every_gpt2_vector);
	TB_RUN(test_vocab_round_trips_every_deepseek_coder_vector);
	TB_RUN(test_vocab_round_trips_every_deepseek_llm_vector);
	TB_RUN(test_vocab_detokenize_leaves_spaces_before_punctuation_alone);
	TB_RUN(test_vocab_reads_special_ids_of_the_shared_vocabularies);
	TB_RUN(test_vocab_tokenizes_the_stories260k_prompt_with_bos);
	TB_RUN(test_vocab_gives_the_stories260k_reference_pieces);
	TB_RUN(test_vocab_splits_like_the_llama3_pre_tokenizer);
	TB_RUN(test_vocab_splits_like_the_qwen2_pre_tokenizer);
	TB_RUN(test_vocab_splits_like_the_gpt2_pre_tokenizer);
	TB_RUN(test_vocab_splits_like_the_deepseek_pre_tokenizers);
	TB_RUN(test_vocab_splits_like_the_default_bpe_pre_tokenizer);
	TB_RUN(test_vocab_splits_like_the_o200k_pre_tokenizer);
	TB_RUN(test_vocab_harmony_ends_on_return_and_call_but_not_end);
	TB_RUN(test_vocab_split_counts_invalid_utf8_as_replacement_characters);
	TB_RUN(test_vocab_split_rejects_an_unknown_pre_tokenizer_name);
	TB_RUN(test_vocab_llama3_and_qwen2_splits_fit_their_vector_token_counts);
	TB_RUN(test_vocab_spm_merges_by_score_and_falls_back_to_bytes);
	TB_RUN(test_vocab_parses_special_tokens_only_when_asked);
	TB_RUN(test_vocab_marks_end_of_turn_tokens_as_eog_and_control);
	TB_RUN(test_vocab_strips_white_space_after_phi3_special_tokens);
	TB_RUN(test_vocab_follows_add_bos_and_add_eos_from_the_file);
	TB_RUN(test_vocab_bpe_merges_by_rank_and_llama3_takes_whole_words);
	TB_RUN(test_vocab_bpe_reads_invalid_utf8_as_replacement_characters);
	TB_RUN(test_vocab_tokenize_reports_the_total_when_the_buffer_is_short);
	TB_RUN(test_vocab_detokenize_respects_its_cap);
	TB_RUN(test_vocab_handles_long_inputs);
	TB_RUN(test_vocab_round_trips_random_text);
	TB_RUN(test_vocab_rejects_a_missing_tokens_array);
	TB_RUN(test_vocab_rejects_a_missing_model_key);
	TB_RUN(test_vocab_rejects_an_unknown_model_name);
	TB_RUN(test_vocab_rejects_an_unknown_pre_tokenizer_name);
	TB_RUN(test_vocab_rejects_a_scores_array_shorter_than_the_tokens);
	TB_RUN(test_vocab_rejects_a_token_type_array_shorter_than_the_tokens);
	TB_RUN(test_vocab_rejects_scores_that_are_not_numbers);
	TB_RUN(test_vocab_rejects_tokens_that_are_not_strings);
	TB_RUN(test_vocab_rejects_duplicate_tokens);
	TB_RUN(test_vocab_rejects_a_gpt2_file_without_merges);
	TB_RUN(test_vocab_rejects_add_bos_without_a_bos_id);
	TB_RUN(test_vocab_rejects_a_flag_that_is_not_a_bool);
	TB_RUN(test_vocab_ignores_special_ids_out_of_range);
	TB_RUN(test_vocab_gives_empty_tokens_a_placeholder_text);
	TB_RUN(test_vocab_free_accepts_null);
	tb_rmtree(tmpdir);
	return tb_test_end();
}
