/* engine/chat.c — chat template families: recognising a GGUF's Jinja template by its markers
 * and rendering a conversation as that family does. This is not a Jinja engine: each family's
 * output is written out by hand and matches llama.cpp's built-in renderer for it
 * (llm_chat_apply_template); Qwen3, DeepSeek R1 and V3.1 / V3.2-Exp match their own Jinja
 * templates instead.
 * docs/chat-templates.md lists every family's exact format and the variants left out. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "engine/engine.h"
#include "engine/engine_impl.h"

/* Rendered prompts are capped; a longer conversation is refused rather than grown without end. */
#define ENG_CHAT_MAX_BYTES ((size_t)256 << 20)

/* DeepSeek's markers use U+FF5C (fullwidth vertical bar) and U+2581 (lower one eighth block),
 * spelt as UTF-8 bytes; literal concatenation keeps a hex escape from eating the next letter. */
#define DS_BAR "\xef\xbd\x9c"
#define DS_SP "\xe2\x96\x81"
#define DS_USER "<" DS_BAR "User" DS_BAR ">"
#define DS_ASSISTANT "<" DS_BAR "Assistant" DS_BAR ">"
#define DS_EOS "<" DS_BAR "end" DS_SP "of" DS_SP "sentence" DS_BAR ">"

static const char *const family_names[ENG_CHAT_COUNT] = {
	[ENG_CHAT_NONE] = "",
	[ENG_CHAT_CHATML] = "chatml",
	[ENG_CHAT_QWEN3] = "qwen3",
	[ENG_CHAT_LLAMA3] = "llama3",
	[ENG_CHAT_LLAMA2] = "llama2",
	[ENG_CHAT_MISTRAL] = "mistral",
	[ENG_CHAT_GEMMA] = "gemma",
	[ENG_CHAT_DEEPSEEK] = "deepseek",
	[ENG_CHAT_DEEPSEEK3] = "deepseek3",
	[ENG_CHAT_PHI3] = "phi3",
	[ENG_CHAT_ZEPHYR] = "zephyr",
	[ENG_CHAT_HARMONY] = "harmony",
	[ENG_CHAT_LLAMA4] = "llama4",
	[ENG_CHAT_DEEPSEEK_R1] = "deepseek-r1",
	[ENG_CHAT_KIMI_K2] = "kimi-k2",
	[ENG_CHAT_DEEPSEEK3_1] = "deepseek3.1",
	[ENG_CHAT_DEEPSEEK3_2_EXP] = "deepseek3.2-exp",
};

const char *eng_chat_name(int family)
{
	if (family < 0 || family >= ENG_CHAT_COUNT)
		return "";
	return family_names[family];
}

char *eng_chat_names(char *buf, size_t n)
{
	size_t k = 0;

	if (n == 0)
		return buf;
	buf[0] = 0;
	for (int f = ENG_CHAT_NONE + 1; f < ENG_CHAT_COUNT && k < n; f++) {
		const int w = snprintf(buf + k, n - k, "%s%s", f > ENG_CHAT_NONE + 1 ? ", " : "", family_names[f]);
		if (w < 0)
			break;
		k += (size_t)w;
	}
	return buf;
}

int eng_chat_from_name(const char *name)
{
	if (!name || !*name)
		return -1;
	for (int f = ENG_CHAT_NONE + 1; f < ENG_CHAT_COUNT; f++)
		if (strcmp(name, family_names[f]) == 0)
			return f;
	return -1;
}

/* ------------------------------------------------------------------ detection */

static int has(const char *t, const char *marker)
{
	return strstr(t, marker) != NULL;
}

/* The marker tests and their order follow llama.cpp's llm_chat_detect_template where a family
 * exists here. Templates of families this file does not render (Phi-4, SmolVLM, the official
 * Mistral v1/v3/v7 formats, GLM, DeepSeek Coder, ...) give ENG_CHAT_NONE rather than a
 * look-alike whose output would differ. */
int eng_chat_detect(const char *t)
{
	int f;

	if (!t || !*t)
		return ENG_CHAT_NONE;
	if ((f = eng_chat_from_name(t)) > 0)
		return f; /* a bare family name, as llama.cpp also accepts */
	if (has(t, "<|im_start|>")) {
		if (has(t, "<|im_sep|>") || has(t, "<end_of_utterance>"))
			return ENG_CHAT_NONE; /* Phi-4, SmolVLM: not ChatML despite the marker */
		if (has(t, "<think>") || has(t, "enable_thinking"))
			return ENG_CHAT_QWEN3;
		return ENG_CHAT_CHATML;
	}
	if (strncmp(t, "mistral", 7) == 0 || has(t, "[INST]")) {
		/* Mistral's own templates: v7 has a system role, v1 / v3 / v3-tekken place spaces
		 * differently; llama.cpp renders each with its own variant. */
		if (has(t, "[SYSTEM_PROMPT]") || has(t, "[AVAILABLE_TOOLS]") ||
				has(t, "' [INST] ' + system_message"))
			return ENG_CHAT_NONE;
		return has(t, "<<SYS>>") ? ENG_CHAT_LLAMA2 : ENG_CHAT_MISTRAL;
	}
	if (has(t, "<|assistant|>") && has(t, "<|end|>"))
		return ENG_CHAT_PHI3;
	if (has(t, "[gMASK]"))
		return ENG_CHAT_NONE; /* ChatGLM / GLM-Edge */
	if (has(t, "<|user|>") && (has(t, "</s>") || has(t, "<|endoftext|>") || has(t, "eos_token")))
		return ENG_CHAT_ZEPHYR;
	if (has(t, "<start_of_turn>"))
		return ENG_CHAT_GEMMA;
	if (has(t, "<|start_header_id|>") && has(t, "<|end_header_id|>"))
		return ENG_CHAT_LLAMA3;
	if (has(t, "'Assistant: ' + message['content'] + eos_token") ||
			has(t, "\"Assistant: \" + message['content'] + eos_token"))
		return ENG_CHAT_DEEPSEEK;
	if (has(t, DS_ASSISTANT) && has(t, DS_USER) && has(t, DS_EOS)) {
		/* V3.1 and V3.2-Exp test a prefilled turn against their thinking switch */
		if (has(t, "message['prefix'] and thinking")) {
			if (has(t, "'<think></think>'"))
				return ENG_CHAT_NONE; /* an edited copy: <think></think> for </think> */
			return has(t, "is_only_sys") ? ENG_CHAT_DEEPSEEK3_2_EXP : ENG_CHAT_DEEPSEEK3_1;
		}
		/* R1 and its distills drop earlier turns' reasoning and open a think block */
		return has(t, "</think>") && has(t, "<think>") ? ENG_CHAT_DEEPSEEK_R1 : ENG_CHAT_DEEPSEEK3;
	}
	if (has(t, "<|im_middle|>") && has(t, "<|im_end|>"))
		return ENG_CHAT_KIMI_K2;
	if (has(t, "<|start|>") && has(t, "<|channel|>"))
		return ENG_CHAT_HARMONY; /* gpt-oss */
	if (has(t, "<|header_start|>") && has(t, "<|header_end|>"))
		return ENG_CHAT_LLAMA4;
	return ENG_CHAT_NONE;
}

/* ------------------------------------------------------------------ output */

/* The prompt is built in a tb_buf (base/base.h) capped at ENG_CHAT_MAX_BYTES; its first failure
 * (TB_ENOMEM or TB_ETOOBIG) is kept and checked once at the end. */
static void put_n(tb_buf *b, const char *s, size_t n)
{
	tb_buf_add(b, s, n);
}

static void put(tb_buf *b, const char *s)
{
	put_n(b, s, strlen(s));
}

/* ------------------------------------------------------------------ text helpers */

/* A borrowed slice of a message. */
typedef struct span {
	const char *p;
	size_t n;
} span;

static span span_of(const char *s)
{
	span r = { s, strlen(s) };
	return r;
}

static void put_span(tb_buf *b, span s)
{
	put_n(b, s.p, s.n);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Leading and trailing ASCII whitespace removed, as llama.cpp's trim() does. */
static span trim(const char *s)
{
	span r = span_of(s);
	while (r.n && is_space(r.p[0])) {
		r.p++;
		r.n--;
	}
	while (r.n && is_space(r.p[r.n - 1]))
		r.n--;
	return r;
}

static span lstrip_nl(span s)
{
	while (s.n && s.p[0] == '\n') {
		s.p++;
		s.n--;
	}
	return s;
}

static span rstrip_nl(span s)
{
	while (s.n && s.p[s.n - 1] == '\n')
		s.n--;
	return s;
}

/* Offset of the first (last = 0) or last (last = 1) occurrence of pat in s, or -1. */
static long find_in(span s, const char *pat, int last)
{
	size_t m = strlen(pat);
	long at = -1;
	for (size_t i = 0; m <= s.n && i <= s.n - m; i++) {
		if (memcmp(s.p + i, pat, m) == 0) {
			at = (long)i;
			if (!last)
				break;
		}
	}
	return at;
}

/* The text after the first (last = 0) or last (last = 1) "</think>" of s; all of s without one. */
static span after_think(span s, int last)
{
	long at = find_in(s, "</think>", last);

	if (at >= 0) {
		s.p += at + 8;
		s.n -= (size_t)at + 8;
	}
	return s;
}

/* ------------------------------------------------------------------ roles */

enum { ROLE_SYSTEM, ROLE_USER, ROLE_ASSISTANT };

static int role_of(const char *r)
{
	if (!r)
		return -1;
	if (strcmp(r, "system") == 0)
		return ROLE_SYSTEM;
	if (strcmp(r, "user") == 0)
		return ROLE_USER;
	if (strcmp(r, "assistant") == 0)
		return ROLE_ASSISTANT;
	return -1;
}

/* ------------------------------------------------------------------ families */

/* Arguments every renderer gets; messages are already checked. */
typedef struct chat_job {
	const eng_chat_msg *m;
	int n;
	int add_gen, thinking;
	const char *eos;      /* NULL: the family's own */
	tb_buf *b;
} chat_job;

static const char *eos_or(const chat_job *j, const char *fallback)
{
	return j->eos ? j->eos : fallback;
}

/* <|im_start|>{role}\n{content}<|im_end|>\n ... <|im_start|>assistant\n */
static void render_chatml(const chat_job *j)
{
	for (int i = 0; i < j->n; i++) {
		put(j->b, "<|im_start|>");
		put(j->b, j->m[i].role);
		put(j->b, "\n");
		put(j->b, j->m[i].content);
		put(j->b, "<|im_end|>\n");
	}
	if (j->add_gen)
		put(j->b, "<|im_start|>assistant\n");
}

/* ChatML as Qwen3's Jinja template writes it: assistant turns lose a leading "<think>...</think>"
 * block; the turn after the last user query shows its (possibly empty) think block when it is
 * the final message; enable_thinking = false closes an empty block after the prompt. */
static void render_qwen3(const chat_job *j)
{
	int last_query = j->n - 1;

	/* the last user message that is not a tool response wrapped as user content */
	for (int i = j->n - 1; i >= 0; i--) {
		span c = span_of(j->m[i].content);
		static const char open[] = "<tool_response>", close[] = "</tool_response>";
		int wrapped = c.n >= sizeof open - 1 + sizeof close - 1 &&
			memcmp(c.p, open, sizeof open - 1) == 0 &&
			memcmp(c.p + c.n - (sizeof close - 1), close, sizeof close - 1) == 0;
		if (role_of(j->m[i].role) == ROLE_USER && !wrapped) {
			last_query = i;
			break;
		}
	}
	for (int i = 0; i < j->n; i++) {
		span content = span_of(j->m[i].content), reasoning = { "", 0 };
		long end;

		if (role_of(j->m[i].role) != ROLE_ASSISTANT) {
			put(j->b, "<|im_start|>");
			put(j->b, j->m[i].role);
			put(j->b, "\n");
			put_span(j->b, content);
			put(j->b, "<|im_end|>\n");
			continue;
		}
		if ((end = find_in(content, "</think>", 0)) >= 0) {
			span before = { content.p, (size_t)end }, after;
			long open;
			before = rstrip_nl(before);
			if ((open = find_in(before, "<think>", 1)) >= 0) {
				before.p += open + 7;
				before.n -= (size_t)open + 7;
			}
			reasoning = lstrip_nl(before);
			end = find_in(content, "</think>", 1);
			after.p = content.p + end + 8;
			after.n = content.n - (size_t)end - 8;
			content = lstrip_nl(after);
		}
		put(j->b, "<|im_start|>assistant\n");
		if (i > last_query && (i == j->n - 1 || reasoning.n > 0)) {
			put(j->b, "<think>\n");
			put_span(j->b, reasoning);
			put(j->b, "\n</think>\n\n");
			content = lstrip_nl(content);
		}
		put_span(j->b, content);
		put(j->b, "<|im_end|>\n");
	}
	if (j->add_gen) {
		put(j->b, "<|im_start|>assistant\n");
		if (!j->thinking)
			put(j->b, "<think>\n\n</think>\n\n");
	}
}

/* {open}{role}{close}\n\n{trimmed}{eot} per message, {open}assistant{close}\n\n to generate.
 * Llama 3: <|start_header_id|>, <|end_header_id|>, <|eot_id|>; Llama 4: <|header_start|>,
 * <|header_end|>, <|eot|>. */
static void render_headers(const chat_job *j, const char *open, const char *close, const char *eot)
{
	for (int i = 0; i < j->n; i++) {
		put(j->b, open);
		put(j->b, j->m[i].role);
		put(j->b, close);
		put(j->b, "\n\n");
		put_span(j->b, trim(j->m[i].content));
		put(j->b, eot);
	}
	if (j->add_gen) {
		put(j->b, open);
		put(j->b, "assistant");
		put(j->b, close);
		put(j->b, "\n\n");
	}
}

/* The [INST] families. Llama 2 (Meta's template, which strips contents and has <<SYS>>):
 * "[INST] <<SYS>>\n{sys}\n<</SYS>>\n\n{user} [/INST]{assistant}</s>[INST] {user} [/INST]".
 * Mistral (no system role; the system text opens the first turn followed by "\n"):
 * "[INST] {sys}\n{user} [/INST]{assistant}</s>[INST] {user} [/INST]". The prompt already
 * ends in [/INST], so add_generation_prompt adds nothing. No BOS: the tokenizer adds it. */
static void render_inst(const chat_job *j, int llama2)
{
	const char *eos = eos_or(j, "</s>");
	int in_turn = 1;

	put(j->b, "[INST] ");
	for (int i = 0; i < j->n; i++) {
		int r = role_of(j->m[i].role);
		span c = llama2 ? trim(j->m[i].content) : span_of(j->m[i].content);
		if (!in_turn) {
			put(j->b, "[INST] ");
			in_turn = 1;
		}
		if (r == ROLE_SYSTEM) {
			if (llama2) {
				put(j->b, "<<SYS>>\n");
				put_span(j->b, c);
				put(j->b, "\n<</SYS>>\n\n");
			} else {
				put_span(j->b, c);
				put(j->b, "\n");
			}
		} else if (r == ROLE_USER) {
			put_span(j->b, c);
			put(j->b, " [/INST]");
		} else {
			put_span(j->b, c);
			put(j->b, eos);
			in_turn = 0;
		}
	}
}

/* <start_of_turn>{user|model}\n{trimmed}<end_of_turn>\n. No system role: system texts (trimmed,
 * joined) open the next user turn followed by a blank line. */
static void render_gemma(const chat_job *j)
{
	tb_buf sys;

	tb_buf_init(&sys, ENG_CHAT_MAX_BYTES);
	for (int i = 0; i < j->n; i++) {
		int r = role_of(j->m[i].role);
		if (r == ROLE_SYSTEM) {
			put_span(&sys, trim(j->m[i].content));
			continue;
		}
		put(j->b, r == ROLE_ASSISTANT ? "<start_of_turn>model\n" : "<start_of_turn>user\n");
		if (sys.len && r == ROLE_USER) {
			put_n(j->b, sys.p, sys.len);
			put(j->b, "\n\n");
			if (sys.err && !j->b->err)
				j->b->err = sys.err;
			tb_buf_reset(&sys);
		}
		put_span(j->b, trim(j->m[i].content));
		put(j->b, "<end_of_turn>\n");
	}
	if (j->add_gen)
		put(j->b, "<start_of_turn>model\n");
	if (sys.err && !j->b->err)
		j->b->err = sys.err;
	tb_buf_release(&sys);
}

/* DeepSeek LLM / V2: "{sys}\n\nUser: {user}\n\nAssistant: {assistant}<eos>" ... "Assistant:" */
static void render_deepseek(const chat_job *j)
{
	for (int i = 0; i < j->n; i++) {
		int r = role_of(j->m[i].role);
		if (r == ROLE_SYSTEM) {
			put(j->b, j->m[i].content);
			put(j->b, "\n\n");
		} else if (r == ROLE_USER) {
			put(j->b, "User: ");
			put(j->b, j->m[i].content);
			put(j->b, "\n\n");
		} else {
			put(j->b, "Assistant: ");
			put(j->b, j->m[i].content);
			put(j->b, eos_or(j, DS_EOS));
		}
	}
	if (j->add_gen)
		put(j->b, "Assistant:");
}

/* DeepSeek V3 / R1 (and the R1 distills): "{sys}\n\n<｜User｜>{user}<｜Assistant｜>{assistant}
 * <｜end▁of▁sentence｜>" ... "<｜Assistant｜>". The end marker is literal in the template. */
static void render_deepseek3(const chat_job *j)
{
	for (int i = 0; i < j->n; i++) {
		int r = role_of(j->m[i].role);
		if (r == ROLE_SYSTEM) {
			put(j->b, j->m[i].content);
			put(j->b, "\n\n");
		} else if (r == ROLE_USER) {
			put(j->b, DS_USER);
			put(j->b, j->m[i].content);
		} else {
			put(j->b, DS_ASSISTANT);
			put(j->b, j->m[i].content);
			put(j->b, DS_EOS);
		}
	}
	if (j->add_gen)
		put(j->b, DS_ASSISTANT);
}

/* The system texts of a conversation, joined by "\n\n" with nothing after them, as DeepSeek's
 * R1 and V3.1 templates write them before the first turn. */
static void put_system_texts(const chat_job *j)
{
	int first = 1;

	for (int i = 0; i < j->n; i++)
		if (role_of(j->m[i].role) == ROLE_SYSTEM) {
			if (!first)
				put(j->b, "\n\n");
			put(j->b, j->m[i].content);
			first = 0;
		}
}

/* DeepSeek's templates with a think block: R1's (style 0, also its distills'), V3.1's (1) and
 * V3.2-Exp's (2), as they write plain messages. The system texts first (put_system_texts);
 * <｜User｜>{user}; an assistant turn as its answer without earlier reasoning, then
 * <｜end▁of▁sentence｜>.
 * R1: each assistant turn opens with <｜Assistant｜> and keeps the text after its last "</think>";
 * the generation prompt <｜Assistant｜><think>\n opens the reasoning (with enable_thinking 0,
 * <｜Assistant｜> alone: R1 has no switch, the model may still think).
 * V3.1 / V3.2-Exp: an assistant turn opens with <｜Assistant｜></think> when it follows a user
 * turn, with nothing otherwise, and keeps the text after its first "</think>"; the generation
 * prompt is <｜Assistant｜> then <think> (thinking on: the output starts inside the reasoning)
 * or </think> (off, the templates' default). V3.1 writes it only when no assistant turn follows
 * the last user turn; V3.2-Exp whenever it is asked for (its test of a prefilled turn never
 * holds here). */
static void render_deepseek_think(const chat_job *j, int style)
{
	int after_user = 0;

	put_system_texts(j);
	for (int i = 0; i < j->n; i++) {
		int r = role_of(j->m[i].role);
		span c = span_of(j->m[i].content);

		if (r == ROLE_USER) {
			put(j->b, DS_USER);
			put_span(j->b, c);
			after_user = 1;
		} else if (r == ROLE_ASSISTANT) {
			if (style == 0 || after_user)
				put(j->b, style == 0 ? DS_ASSISTANT : DS_ASSISTANT "</think>");
			put_span(j->b, after_think(c, style == 0));
			put(j->b, DS_EOS);
			after_user = 0;
		}
	}
	if (!j->add_gen)
		return;
	if (style == 0)
		put(j->b, j->thinking ? DS_ASSISTANT "<think>\n" : DS_ASSISTANT);
	else if (after_user || style == 2)
		put(j->b, j->thinking ? DS_ASSISTANT "<think>" : DS_ASSISTANT "</think>");
}

/* Kimi K2: <|im_system|>system<|im_middle|>{sys}<|im_end|>, <|im_user|>user<|im_middle|>{user}
 * <|im_end|>, <|im_assistant|>assistant<|im_middle|>{assistant}<|im_end|> ... then
 * <|im_assistant|>assistant<|im_middle|>. The roles as Kimi K2's template writes them (the
 * reference implementations' built-in renderer swaps user and assistant); no default system
 * prompt (the template adds one when the conversation has none; llama.cpp's built-in does not). */
static void render_kimi_k2(const chat_job *j)
{
	static const char *const open[] = { [ROLE_SYSTEM] = "<|im_system|>system<|im_middle|>",
		[ROLE_USER] = "<|im_user|>user<|im_middle|>",
		[ROLE_ASSISTANT] = "<|im_assistant|>assistant<|im_middle|>" };

	for (int i = 0; i < j->n; i++) {
		put(j->b, open[role_of(j->m[i].role)]);
		put(j->b, j->m[i].content);
		put(j->b, "<|im_end|>");
	}
	if (j->add_gen)
		put(j->b, open[ROLE_ASSISTANT]);
}

/* Phi 3: <|{role}|>\n{content}<|end|>\n ... <|assistant|>\n
 * Zephyr: <|{role}|>\n{content}{eos}\n ... <|assistant|>\n */
static void render_tagged(const chat_job *j, const char *end)
{
	for (int i = 0; i < j->n; i++) {
		put(j->b, "<|");
		put(j->b, j->m[i].role);
		put(j->b, "|>\n");
		put(j->b, j->m[i].content);
		put(j->b, end);
		put(j->b, "\n");
	}
	if (j->add_gen)
		put(j->b, "<|assistant|>\n");
}

/* Harmony (gpt-oss), as llama.cpp renders it without the Jinja template:
 * <|start|>{role}<|message|>{content}<|end|> per message (<|return|> after an assistant turn),
 * then <|start|>assistant. The roles pass through as given (system, developer, user, assistant). */
static void render_harmony(const chat_job *j)
{
	for (int i = 0; i < j->n; i++) {
		put(j->b, "<|start|>");
		put(j->b, j->m[i].role);
		put(j->b, "<|message|>");
		put(j->b, j->m[i].content);
		put(j->b, role_of(j->m[i].role) == ROLE_ASSISTANT ? "<|return|>" : "<|end|>");
	}
	if (j->add_gen)
		put(j->b, "<|start|>assistant");
}

/* The earliest of the markers that end a harmony message, at or after `from`; len if none. */
static size_t harmony_end(const char *t, size_t len, size_t from)
{
	static const char *const ends[] = { "<|end|>", "<|return|>", "<|call|>", "<|start|>" };
	size_t best = len;

	for (size_t k = 0; k < sizeof ends / sizeof ends[0]; k++) {
		const span s = { t + from, len - from };
		const long at = find_in(s, ends[k], 0);

		if (at >= 0 && from + (size_t)at < best)
			best = from + (size_t)at;
	}
	return best;
}

/* Finds `pat` in t[from, len); its offset or len. */
static size_t find_from(const char *t, size_t len, size_t from, const char *pat)
{
	const span s = { t + from, len - from };
	const long at = find_in(s, pat, 0);

	return at < 0 ? len : from + (size_t)at;
}

int eng_chat_harmony_split(const char *text, size_t len, char **reasoning, char **answer)
{
	static const char CH[] = "<|channel|>", MSG[] = "<|message|>";
	tb_buf r, a;
	size_t pos = 0;

	*reasoning = *answer = NULL;
	tb_buf_init(&r, ENG_CHAT_MAX_BYTES);
	tb_buf_init(&a, ENG_CHAT_MAX_BYTES);
	put(&r, "");
	put(&a, "");
	if (!text) {
		text = "";
		len = 0;
	}
	if (find_from(text, len, 0, CH) == len) {
		put_n(&a, text, harmony_end(text, len, 0));
		pos = len;
	}
	while (pos < len) {
		const size_t ch = find_from(text, len, pos, CH);
		size_t name, msg, end;
		tb_buf *to;

		if (ch == len)
			break;
		name = ch + sizeof CH - 1;
		msg = find_from(text, len, name, MSG);
		if (msg == len)
			break;   /* a header cut off before its content: nothing to keep */
		/* the channel name ends at a space (" to=functions.x"), "<|" or <|message|> */
		end = name;
		while (end < msg && text[end] != ' ' && text[end] != '<')
			end++;
		to = end - name == 5 && memcmp(text + name, "final", 5) == 0 ? &a : &r;
		msg += sizeof MSG - 1;
		end = harmony_end(text, len, msg);
		if (to->len > 0)
			put(to, "\n");
		put_n(to, text + msg, end - msg);
		pos = end;
	}
	if (r.err || a.err) {
		tb_buf_release(&r);
		tb_buf_release(&a);
		return -1;
	}
	*reasoning = r.p;
	*answer = a.p;
	return 0;
}

/* ------------------------------------------------------------------ render */

int eng_chat_thinking_default(int family)
{
	return family != ENG_CHAT_DEEPSEEK3_1 && family != ENG_CHAT_DEEPSEEK3_2_EXP;
}

char *eng_chat_render(int family, const eng_chat_msg *msgs, int n, int add_generation_prompt,
		int enable_thinking, const char *bos, const char *eos, char *err, size_t errlen)
{
	tb_buf b;
	chat_job j;

	(void)bos; /* no family here writes BOS inside the prompt: the tokenizer adds the first */
	if (family <= ENG_CHAT_NONE || family >= ENG_CHAT_COUNT) {
		eng_seterr(err, errlen, "chat: unknown template family %d", family);
		return NULL;
	}
	if (n < 0 || (n > 0 && !msgs)) {
		eng_seterr(err, errlen, "chat: %d messages at %p", n, (const void *)msgs);
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		if (role_of(msgs[i].role) < 0 &&
		    !(family == ENG_CHAT_HARMONY && msgs[i].role && strcmp(msgs[i].role, "developer") == 0)) {
			eng_seterr(err, errlen, "chat: message %d: role \"%.40s\" is not system, user or assistant",
				i, msgs[i].role ? msgs[i].role : "(null)");
			return NULL;
		}
		if (!msgs[i].content) {
			eng_seterr(err, errlen, "chat: message %d (%s): content is NULL", i, msgs[i].role);
			return NULL;
		}
	}
	tb_buf_init(&b, ENG_CHAT_MAX_BYTES);
	j.m = msgs;
	j.n = n;
	j.add_gen = add_generation_prompt != 0;
	j.thinking = enable_thinking < 0 ? eng_chat_thinking_default(family) : enable_thinking != 0;
	j.eos = eos;
	j.b = &b;
	put(&b, ""); /* an empty conversation still gives a (empty) string */
	switch (family) {
	case ENG_CHAT_CHATML: render_chatml(&j); break;
	case ENG_CHAT_QWEN3: render_qwen3(&j); break;
	case ENG_CHAT_LLAMA3: render_headers(&j, "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"); break;
	case ENG_CHAT_LLAMA2: render_inst(&j, 1); break;
	case ENG_CHAT_MISTRAL: render_inst(&j, 0); break;
	case ENG_CHAT_GEMMA: render_gemma(&j); break;
	case ENG_CHAT_DEEPSEEK: render_deepseek(&j); break;
	case ENG_CHAT_DEEPSEEK3: render_deepseek3(&j); break;
	case ENG_CHAT_PHI3: render_tagged(&j, "<|end|>"); break;
	case ENG_CHAT_ZEPHYR: render_tagged(&j, eos_or(&j, "<|endoftext|>")); break;
	case ENG_CHAT_HARMONY: render_harmony(&j); break;
	case ENG_CHAT_LLAMA4: render_headers(&j, "<|header_start|>", "<|header_end|>", "<|eot|>"); break;
	case ENG_CHAT_DEEPSEEK_R1: render_deepseek_think(&j, 0); break;
	case ENG_CHAT_KIMI_K2: render_kimi_k2(&j); break;
	case ENG_CHAT_DEEPSEEK3_1: render_deepseek_think(&j, 1); break;
	case ENG_CHAT_DEEPSEEK3_2_EXP: render_deepseek_think(&j, 2); break;
	}
	if (b.err) {
		if (b.err == TB_ENOMEM)
			eng_seterr(err, errlen, "chat: out of memory rendering %d messages", n);
		else
			eng_seterr(err, errlen, "chat: rendering %d messages passes the %zu MiB cap", n,
				ENG_CHAT_MAX_BYTES >> 20);
		tb_buf_release(&b);
		return NULL;
	}
	return b.p;
}
