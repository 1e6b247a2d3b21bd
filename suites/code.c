/* suites/code.c — Python coding suites in the HumanEval and MBPP formats. Builds completion
 * prompts for base models (HumanEval: the signature and docstring to continue; MBPP: task, tests,
 * "[BEGIN]") and chat prompts for instruct models (one fenced block asked for), pulls the code out
 * of the reply (thinking blocks, prose, several fences, a missing closing fence), and runs it with
 * the dataset's tests in the sandbox (sandbox.c). One sample scores 1 when every test passes; the
 * harness turns n samples per task into unbiased pass@k. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "suites/suite_impl.h"

enum { KIND_HUMANEVAL, KIND_MBPP };

typedef struct code_item {
	char *prompt;     /* HumanEval: the code to continue; MBPP: the task text */
	char *test;       /* HumanEval: the test code defining check(); MBPP: the asserts, one a line */
	char *setup;      /* MBPP: test_setup_code ("" when none) */
	char *entry;      /* the function under test (MBPP: the name the first assert calls, or "") */
} code_item;

typedef struct code_suite {
	int kind, chat;
	code_item *v;
	size_t n, cap;
} code_suite;

/* Stop strings for HumanEval completions: the end of the function body (Chen et al. 2021). */
static const char *const he_stop[] = { "\nclass ", "\ndef ", "\n#", "\nif __name__", "\nprint(" };
static const char *const mbpp_stop[] = { "[DONE]" };

/* Two MBPP-style exemplars written for this project (the prompt's shape follows Austin et al.
 * 2021: task, tests, code between [BEGIN] and [DONE]). */
static const char mbpp_shots[] =
	"You are an expert Python programmer, and here is your task: Write a function that returns "
	"the number of vowels in a string. Your code should pass these tests:\n\n"
	"assert count_vowels(\"banana\") == 3\nassert count_vowels(\"\") == 0\n"
	"assert count_vowels(\"SKY\") == 0\n[BEGIN]\n"
	"def count_vowels(s):\n    return sum(1 for ch in s.lower() if ch in \"aeiou\")\n[DONE]\n\n"
	"You are an expert Python programmer, and here is your task: Write a function that returns "
	"the second largest distinct value of a list, or None when there is none. Your code should "
	"pass these tests:\n\n"
	"assert second_largest([4, 1, 4, 3]) == 3\nassert second_largest([7]) is None\n"
	"assert second_largest([2, 2]) is None\n[BEGIN]\n"
	"def second_largest(xs):\n    vals = sorted(set(xs))\n"
	"    return vals[-2] if len(vals) > 1 else None\n[DONE]\n\n";

/* ------------------------------------------------------------------ code extraction */

/* Removes <think>...</think> blocks; an unclosed <think> drops the rest of the text (a reply cut
 * off while thinking has no answer). Ownership: caller frees the result (NULL: out of memory). */
static char *strip_think(const char *text)
{
	tb_buf b = { 0 };
	const char *p = text;
	for (;;) {
		const char *open = strstr(p, "<think>"), *close;
		if (!open) {
			tb_buf_adds(&b, p);
			break;
		}
		tb_buf_add(&b, p, (size_t)(open - p));
		if (!(close = strstr(open, "</think>")))
			break;
		p = close + 8;
	}
	/* A reply may also start after a bare "</think>" (the opening tag was in the prompt). */
	{
		char *s = tb_buf_detach(&b, NULL), *last;
		if (s && (last = strstr(s, "</think>"))) {
			char *tail;
			while (strstr(last + 8, "</think>"))
				last = strstr(last + 8, "</think>");
			tail = strdup(last + 8);
			free(s);
			s = tail;
		}
		return s;
	}
}

typedef struct fence {
	const char *start, *end;   /* the code between the fences (end: the closing fence or EOT) */
	int python;                /* tagged python / py / python3, or untagged */
} fence;

/* A fence: ``` after at most three spaces at a line start (as Markdown has it). Inline ```
 * inside a line -- a comment or a string such as "# formatted like ```python```" -- is content,
 * not a fence. With prose_open (chat replies, opening fences only), ``` that ends a line of prose
 * followed by nothing but a language tag ("Here it is: ```python") opens a block too. Returns the
 * first fence at or after p (its backticks), or NULL. */
static const char *next_fence(const char *t, const char *p, int prose_open)
{
	for (const char *f = strstr(p, "```"); f; f = strstr(f + 3, "```")) {
		const char *ls = f, *tag = f + 3;
		while (ls > t && ls[-1] == ' ' && f - ls < 4)
			ls--;
		if ((ls == t || ls[-1] == '\n') && f - ls <= 3)
			return f;
		while (prose_open && (isalnum((unsigned char)*tag) || strchr("_+-", *tag)) && *tag)
			tag++;
		if (prose_open && (*tag == '\n' || (*tag == '\r' && tag[1] == '\n')))
			return f;
	}
	return NULL;
}

/* Finds fenced blocks (a fence line with an optional language tag, up to the next fence line). A
 * block without a closing fence runs to the end of the text. Returns the count (at most max). */
static size_t find_fences(const char *t, fence *out, size_t max, int chat)
{
	size_t n = 0;
	const char *p = t;
	while (n < max) {
		const char *f = next_fence(t, p, chat), *tag, *body, *close;
		size_t taglen;
		if (!f)
			break;
		tag = f + 3;
		taglen = strcspn(tag, "\n");
		body = tag + taglen + (tag[taglen] == '\n');
		out[n].python = taglen == 0 || strncmp(tag, "python", 6) == 0 ||
				(taglen >= 2 && strncmp(tag, "py", 2) == 0 && (taglen == 2 || tag[2] == ' ' ||
									 tag[2] == '\r')) ||
				strspn(tag, " \r") == taglen;
		out[n].start = body;
		close = *body ? next_fence(t, body, 0) : NULL;
		out[n].end = close ? close : body + strlen(body);
		while (close && out[n].end > body && out[n].end[-1] == ' ')
			out[n].end--;   /* the closing fence's indentation */
		n++;
		if (!close)
			break;
		p = close + 3;
	}
	return n;
}

static int defines(const char *s, size_t len, const char *entry)
{
	char pat[256];
	size_t pl;
	if (!entry || !*entry)
		return 0;
	snprintf(pat, sizeof pat, "def %s(", entry);
	pl = strlen(pat);
	for (size_t i = 0; i + pl <= len; i++)
		if (memcmp(s + i, pat, pl) == 0)
			return 1;
	return 0;
}

char *suite_code_extract(const char *text, const char *entry, int chat)
{
	fence f[32];
	size_t nf, best = (size_t)-1;
	char *clean = strip_think(text ? text : ""), *out;

	if (!clean)
		return NULL;
	nf = find_fences(clean, f, sizeof f / sizeof f[0], chat);
	/* The last python block that defines the entry point, else the longest python block, else
	 * the longest block of any language. */
	for (size_t i = nf; i-- > 0;)
		if (f[i].python && defines(f[i].start, (size_t)(f[i].end - f[i].start), entry)) {
			best = i;
			break;
		}
	for (int pass = 0; pass < 2 && best == (size_t)-1; pass++)
		for (size_t i = 0; i < nf; i++)
			if ((pass || f[i].python) && (best == (size_t)-1 ||
						      f[i].end - f[i].start > f[best].end - f[best].start))
				best = i;
	if (best != (size_t)-1) {
		size_t len = (size_t)(f[best].end - f[best].start);
		if ((out = malloc(len + 1))) {
			memcpy(out, f[best].start, len);
			out[len] = 0;
		}
		free(clean);
		return out;
	}
	if (chat) {
		/* No fence: prose with code in it. Start at the first line that opens Python code. */
		const char *starts[] = { "def ", "import ", "from ", "class " };
		const char *p = clean, *first = NULL;
		while (p && *p && !first) {
			for (size_t k = 0; k < 4; k++)
				if (strncmp(p, starts[k], strlen(starts[k])) == 0)
					first = p;
			if ((p = strchr(p, '\n')))
				p++;
		}
		if (first) {
			out = strdup(first);
			free(clean);
			return out;
		}
	}
	return clean;
}

/* Cuts a completion at the first stop string (providers that ignore stop strings). */
static void cut_at_stops(char *s, const char *const *stop, size_t n_stop)
{
	char *cut = NULL;
	for (size_t i = 0; i < n_stop; i++) {
		char *p = strstr(s, stop[i]);
		if (p && (!cut || p < cut))
			cut = p;
	}
	if (cut)
		*cut = 0;
}

/* ------------------------------------------------------------------ loading */

static void items_free(code_suite *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].prompt);
		free(c->v[i].test);
		free(c->v[i].setup);
		free(c->v[i].entry);
	}
	free(c->v);
}

typedef struct load_ctx {
	code_suite *c;
	suite *s;
} load_ctx;

/* The function an MBPP assert calls: the first identifier followed by "(" after "assert". */
static int mbpp_entry(const char *test, char *out, size_t outlen)
{
	const char *p = strstr(test, "assert");
	if (!p)
		return -1;
	p += 6;
	while (*p) {
		size_t n;
		while (*p && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
			p++;
		n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		if (!n)
			return -1;
		if (p[n + strspn(p + n, " ")] == '(' && p[-1] != '.' && !(n == 3 && strncmp(p, "set", 3) == 0) &&
		    !(n == 4 && strncmp(p, "math", 4) == 0) && !(n == 3 && strncmp(p, "abs", 3) == 0) &&
		    !(n == 5 && strncmp(p, "round", 5) == 0) && !(n == 6 && strncmp(p, "sorted", 6) == 0) &&
		    !(n == 4 && (strncmp(p, "list", 4) == 0 || strncmp(p, "type", 4) == 0)) &&
		    !(n == 5 && strncmp(p, "tuple", 5) == 0)) {
			snprintf(out, outlen, "%.*s", (int)n, p);
			return 0;
		}
		p += n;
	}
	return -1;
}

static int load_item(void *ud, const cJSON *obj, const char *id, char *why, size_t why_len)
{
	load_ctx *lc = ud;
	code_suite *c = lc->c;
	code_item it = { 0 };

	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 64;
		code_item *nv = realloc(c->v, nc * sizeof *nv);
		if (!nv)
			return SUITE_ENOMEM;
		c->v = nv;
		c->cap = nc;
	}
	if (c->kind == KIND_HUMANEVAL) {
		const char *prompt, *test, *entry;
		if (suite_json_string(obj, "prompt", &prompt, why, why_len) ||
		    suite_json_string(obj, "test", &test, why, why_len) ||
		    suite_json_string(obj, "entry_point", &entry, why, why_len))
			return -1;
		if (!*entry || !*test) {
			snprintf(why, why_len, "field \"%s\" is empty", *entry ? "test" : "entry_point");
			return -1;
		}
		it.prompt = strdup(prompt);
		it.test = strdup(test);
		it.setup = strdup("");
		it.entry = strdup(entry);
	} else {
		const cJSON *tl = cJSON_GetObjectItemCaseSensitive(obj, "test_list");
		const cJSON *su = cJSON_GetObjectItemCaseSensitive(obj, "test_setup_code");
		const char *text;
		tb_buf tb = { 0 };
		const cJSON *t;
		char entry[128];
		/* "text" in the original file, "prompt" in the sanitized one. */
		if (cJSON_GetObjectItemCaseSensitive(obj, "text")) {
			if (suite_json_string(obj, "text", &text, why, why_len))
				return -1;
		} else if (suite_json_string(obj, "prompt", &text, why, why_len)) {
			snprintf(why, why_len, "missing field \"text\" (or \"prompt\")");
			return -1;
		}
		if (!cJSON_IsArray(tl) || cJSON_GetArraySize(tl) < 1) {
			snprintf(why, why_len, tl ? "field \"test_list\" is not a non-empty array of strings"
						  : "missing field \"test_list\"");
			return -1;
		}
		cJSON_ArrayForEach(t, tl) {
			if (!cJSON_IsString(t)) {
				tb_buf_release(&tb);
				snprintf(why, why_len, "field \"test_list\" holds a non-string");
				return -1;
			}
			tb_buf_adds(&tb, t->valuestring);
			tb_buf_adds(&tb, "\n");
		}
		if (su && !cJSON_IsNull(su) && !cJSON_IsString(su)) {
			tb_buf_release(&tb);
			snprintf(why, why_len, "field \"test_setup_code\" is not a string");
			return -1;
		}
		/* Only a hint for picking the right code block: none found is not an error. */
		if (mbpp_entry(cJSON_GetArrayItem(tl, 0)->valuestring, entry, sizeof entry))
			entry[0] = 0;
		it.prompt = strdup(text);
		it.test = tb_buf_detach(&tb, NULL);
		it.setup = strdup(cJSON_IsString(su) ? su->valuestring : "");
		it.entry = strdup(entry);
	}
	if (!it.prompt || !it.test || !it.setup || !it.entry || suite_ids_push(lc->s, id)) {
		free(it.prompt);
		free(it.test);
		free(it.setup);
		free(it.entry);
		return SUITE_ENOMEM;
	}
	c->v[c->n++] = it;
	return 0;
}

/* ------------------------------------------------------------------ vtable */

static void code_close(suite *s)
{
	code_suite *c = s->self;
	if (!c)
		return;
	items_free(c);
	free(c);
	s->self = NULL;
}

static int code_open_kind(suite *s, const suite_opts *o, int kind, char *err, size_t errlen)
{
	code_suite *c = calloc(1, sizeof *c);
	load_ctx lc;
	const char *name = kind == KIND_HUMANEVAL ? "humaneval" : "mbpp";

	if (!c) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	s->self = c;
	c->kind = kind;
	c->chat = o->chat != 0;
	if (!o->dataset_path) {
		snprintf(err, errlen, "%s: no dataset given (--dataset PATH to a %s JSONL file; "
			 "datasets/code/tasks.jsonl is built in)", name,
			 kind == KIND_HUMANEVAL ? "HumanEval-format" : "MBPP-format");
		return -1;
	}
	lc.c = c;
	lc.s = s;
	return suite_jsonl_read(o->dataset_path, o->limit, load_item, &lc, err, errlen) < 0 ? -1 : 0;
}

static int humaneval_open(suite *s, const suite_opts *o, char *err, size_t errlen)
{
	return code_open_kind(s, o, KIND_HUMANEVAL, err, errlen);
}

static int mbpp_open(suite *s, const suite_opts *o, char *err, size_t errlen)
{
	return code_open_kind(s, o, KIND_MBPP, err, errlen);
}

static int code_build(const suite *s, size_t i, int sample, prov_req *out)
{
	const code_suite *c = s->self;
	const code_item *it = &c->v[i];
	tb_buf b = { 0 };

	if (c->kind == KIND_HUMANEVAL) {
		if (!c->chat)
			return suite_req_take_prompt(out, s->ids[i], sample, strdup(it->prompt), he_stop,
						     sizeof he_stop / sizeof he_stop[0]);
		tb_buf_adds(&b, "Complete the following Python function. Reply with the whole "
			      "function, including the signature and any imports it needs, in one "
			      "```python code block.\n\n```python\n");
		tb_buf_adds(&b, it->prompt);
		tb_buf_adds(&b, "```\n");
		return suite_req_take_user(out, s->ids[i], sample, tb_buf_detach(&b, NULL), NULL, 0);
	}
	if (!c->chat)
		tb_buf_adds(&b, mbpp_shots);
	else
		tb_buf_adds(&b, "Write a Python function for the task below. Reply with the code in one "
			      "```python code block.\n\n");
	tb_buf_adds(&b, c->chat ? "Task: " : "You are an expert Python programmer, and here is "
		      "your task: ");
	tb_buf_adds(&b, it->prompt);
	tb_buf_adds(&b, c->chat ? "\nYour code should pass these tests:\n\n"
		      : " Your code should pass these tests:\n\n");
	tb_buf_adds(&b, it->test);
	if (c->chat)
		return suite_req_take_user(out, s->ids[i], sample, tb_buf_detach(&b, NULL), NULL, 0);
	tb_buf_adds(&b, "[BEGIN]\n");
	return suite_req_take_prompt(out, s->ids[i], sample, tb_buf_detach(&b, NULL), mbpp_stop,
				     sizeof mbpp_stop / sizeof mbpp_stop[0]);
}

char *suite_code_program(const suite *s, size_t i, const char *reply)
{
	const code_suite *c = s->self;
	const code_item *it = &c->v[i];
	tb_buf b = { 0 };
	char *code;

	if (!(code = suite_code_extract(reply, it->entry, c->chat)))
		return NULL;
	if (c->kind == KIND_HUMANEVAL) {
		if (!c->chat && !defines(code, strlen(code), it->entry)) {
			/* A continuation of the prompt's body. */
			cut_at_stops(code, he_stop, sizeof he_stop / sizeof he_stop[0]);
			tb_buf_adds(&b, it->prompt);
			tb_buf_adds(&b, code);
		} else {
			/* The whole function: the prompt first (imports and helpers it defines) with a
			 * `pass` body, which the model's own definition after it then replaces. */
			tb_buf_adds(&b, it->prompt);
			tb_buf_adds(&b, "    pass\n\n");
			tb_buf_adds(&b, code);
		}
		tb_buf_adds(&b, "\n\n");
		tb_buf_adds(&b, it->test);
		tb_buf_adds(&b, "\n\ncheck(");
		tb_buf_adds(&b, it->entry);
		tb_buf_adds(&b, ")\n");
	} else {
		if (!c->chat)
			cut_at_stops(code, mbpp_stop, 1);
		tb_buf_adds(&b, code);
		tb_buf_adds(&b, "\n\n");
		tb_buf_adds(&b, it->setup);
		tb_buf_adds(&b, "\n");
		tb_buf_adds(&b, it->test);
	}
	free(code);
	return tb_buf_detach(&b, NULL);
}

static int code_score(const suite *s, size_t i, const prov_resp *r, suite_score_out *out)
{
	suite_sb_result res;
	tb_buf b = { 0 };
	char *prog;
	int rc;

	out->n_metrics = 1;
	out->metric[0] = "pass";
	if (r->err != PROV_ERR_NONE || !r->text)
		return 0;
	if (!(prog = suite_code_program(s, i, r->text)))
		return SUITE_ENOMEM;
	rc = suite_sb_run(NULL, prog, &res);
	free(prog);
	if (rc)
		return rc;
	out->value[0] = res.verdict == SUITE_SB_PASSED ? 1.0 : 0.0;
	/* The answer is the verdict, with the last line of stderr for a failure ("failed:
	 * AssertionError"), so a report can count verdicts and show why. */
	tb_buf_adds(&b, suite_sb_verdict_name(res.verdict));
	if (res.verdict != SUITE_SB_PASSED && res.n_err) {
		size_t e = res.n_err;
		while (e && (res.err[e - 1] == '\n' || res.err[e - 1] == '\r'))
			e--;
		size_t st = e;
		while (st && res.err[st - 1] != '\n')
			st--;
		if (e > st) {
			tb_buf_adds(&b, ": ");
			tb_buf_add(&b, res.err + st, e - st > 200 ? 200 : e - st);
		}
	}
	suite_sb_result_release(&res);
	if (!(out->answer[0] = tb_buf_detach(&b, NULL)))
		return SUITE_ENOMEM;
	return (out->expected = strdup("passed")) ? 0 : SUITE_ENOMEM;
}

const suite_vtable suite_humaneval_vtable = {
	.name = "humaneval",
	.runs_code = 1,
	.summary = "Python function completion run against unit tests in a sandbox (pass@k)",
	.dataset_hint = "HumanEval JSONL (task_id, prompt, test, entry_point), e.g. HumanEval.jsonl",
	.open = humaneval_open,
	.close = code_close,
	.build = code_build,
	.score = code_score,
};

const suite_vtable suite_mbpp_vtable = {
	.name = "mbpp",
	.runs_code = 1,
	.summary = "Python tasks from a description and asserts, run in a sandbox (pass@k)",
	.dataset_hint = "MBPP JSONL (task_id, text or prompt, test_list, test_setup_code), e.g. mbpp.jsonl",
	.open = mbpp_open,
	.close = code_close,
	.build = code_build,
	.score = code_score,
};
