/* tests/engine/test_chat.c — chat template families: detection from short template snippets
 * written for these tests (and from any GGUF in the shared folder that carries a template),
 * the exact rendered prompt of every family for one system + user + assistant + user
 * conversation with and without the generation prompt, Qwen3's and DeepSeek V3.1's thinking
 * switches and history rules, family names, and the error paths. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "engine/engine.h"

#define DS_BAR "\xef\xbd\x9c"
#define DS_SP "\xe2\x96\x81"
#define DS_USER "<" DS_BAR "User" DS_BAR ">"
#define DS_ASSISTANT "<" DS_BAR "Assistant" DS_BAR ">"
#define DS_EOS "<" DS_BAR "end" DS_SP "of" DS_SP "sentence" DS_BAR ">"

static char err[256];

/* system + user + assistant + user */
static const eng_chat_msg conv[4] = {
	{ "system", "You are terse." },
	{ "user", "Hello" },
	{ "assistant", "Hi there" },
	{ "user", "How are you?" },
};

/* Renders and compares; returns 1 when equal (the macro reports the difference). */
static int rendered(int family, const eng_chat_msg *m, int n, int gen, int think, const char *eos,
		const char *want)
{
	char *got = eng_chat_render(family, m, n, gen, think, "<s>", eos, err, sizeof err);
	int ok = got && strcmp(got, want) == 0;
	if (!got)
		printf("  render failed: %s\n", err);
	TB_CHECK_STR(got, want);
	free(got);
	return ok;
}

/* ------------------------------------------------------------------ names */

static void test_chat_names_round_trip(void)
{
	for (int f = ENG_CHAT_NONE + 1; f < ENG_CHAT_COUNT; f++) {
		TB_CHECK(eng_chat_name(f)[0] != '\0');
		TB_CHECK_INT(eng_chat_from_name(eng_chat_name(f)), f);
	}
	TB_CHECK_STR(eng_chat_name(ENG_CHAT_NONE), "");
	TB_CHECK_STR(eng_chat_name(ENG_CHAT_QWEN3), "qwen3");
	TB_CHECK_STR(eng_chat_name(ENG_CHAT_DEEPSEEK3), "deepseek3");
	TB_CHECK_STR(eng_chat_name(-1), "");
	TB_CHECK_STR(eng_chat_name(ENG_CHAT_COUNT), "");
	TB_CHECK_INT(eng_chat_from_name("llama-3"), -1);
	TB_CHECK_INT(eng_chat_from_name(""), -1);
	TB_CHECK_INT(eng_chat_from_name(NULL), -1);
}

/* ------------------------------------------------------------------ detection */

/* The list error messages offer names every family once, in order, and a short buffer is cut,
 * never overrun. */
static void test_chat_names_lists_every_family(void)
{
	char all[512], small[12];
	const char *p = eng_chat_names(all, sizeof all);

	for (int f = ENG_CHAT_NONE + 1; f < ENG_CHAT_COUNT; f++) {
		const char *name = eng_chat_name(f);
		const size_t len = strlen(name);
		TB_CHECK(strncmp(p, name, len) == 0);
		p += len;
		if (f + 1 < ENG_CHAT_COUNT) {
			TB_CHECK(strncmp(p, ", ", 2) == 0);
			p += 2;
		}
	}
	TB_CHECK_INT(*p, 0);
	memset(small, 'x', sizeof small);
	eng_chat_names(small, sizeof small);
	TB_CHECK_INT(strlen(small), sizeof small - 1);
	TB_CHECK(strncmp(small, all, sizeof small - 1) == 0);
}

static void test_chat_detects_each_family_from_its_markers(void)
{
	static const struct { const char *tmpl; int want; } cases[] = {
		{ "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
		  "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
		  "{{ '<|im_start|>assistant\\n' }}{% endif %}", ENG_CHAT_CHATML },
		{ "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- if enable_thinking "
		  "is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}"
		  "{%- endif %}", ENG_CHAT_QWEN3 },
		{ "{{ '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content }}", ENG_CHAT_QWEN3 },
		{ "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
		  "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}",
		  ENG_CHAT_LLAMA3 },
		{ "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + "
		  "system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% endif %}{{ bos_token + "
		  "'[INST] ' + content.strip() + ' [/INST]' }}", ENG_CHAT_LLAMA2 },
		{ "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
		  "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
		  "{{ message['content'] + eos_token}}{% endif %}{% endfor %}", ENG_CHAT_MISTRAL },
		{ "{{ bos_token }}{% for message in messages %}{{ '<start_of_turn>' + role + '\\n' + "
		  "message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}", ENG_CHAT_GEMMA },
		{ "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
		  "{{ 'User: ' + message['content'] + '\\n\\n' }}{% elif message['role'] == 'assistant' %}"
		  "{{ 'Assistant: ' + message['content'] + eos_token }}{% endif %}{% endfor %}",
		  ENG_CHAT_DEEPSEEK },
		{ "{{'" DS_USER "' + message['content']}}{{'" DS_ASSISTANT "' + content + '" DS_EOS "'}}",
		  ENG_CHAT_DEEPSEEK3 },
		{ "{% for message in messages %}{{'<|' + message['role'] + '|>' + '\\n' + message['content'] "
		  "+ '<|end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}",
		  ENG_CHAT_PHI3 },
		{ "{% if message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + '</s>' }}"
		  "{% endif %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}", ENG_CHAT_ZEPHYR },
		{ "{{ '<|user|>\\n' + message['content'] + eos_token }}", ENG_CHAT_ZEPHYR },
		{ "chatml", ENG_CHAT_CHATML },   /* a bare family name */
		{ "gemma", ENG_CHAT_GEMMA },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int got = eng_chat_detect(cases[i].tmpl);
		if (got != cases[i].want)
			printf("  case %zu: got %s, want %s\n", i, eng_chat_name(got),
				eng_chat_name(cases[i].want));
		TB_CHECK_INT(got, cases[i].want);
	}
}

/* Look-alikes whose real output differs from every family here are not forced into one. */
static void test_chat_detect_refuses_unsupported_look_alikes(void)
{
	static const char *const nones[] = {
		"{{'<|im_start|>system<|im_sep|>' + message['content'] + '<|im_end|>'}}",   /* Phi-4 */
		"<|im_start|>{{ 'User: ' + content }}<end_of_utterance>",                  /* SmolVLM */
		"{{ '[SYSTEM_PROMPT] ' + message['content'] + '[/SYSTEM_PROMPT]' }}{{ '[INST] ' }}",
		"{{- \"[AVAILABLE_TOOLS] [\" }}{{- \"[INST] \" + message[\"content\"] + \"[/INST]\" }}",
		"{{ '### Instruction:\\n' + message['content'] }}{{ '\\n<|EOT|>\\n' }}",  /* DeepSeek Coder */
		"[gMASK]<sop>{% for item in messages %}<|{{ item['role'] }}|>{% endfor %}<|user|></s>",
		"{% for m in messages %}{{ m['content'] }}{% endfor %}",
		"",
		NULL,
	};
	for (size_t i = 0; i < sizeof nones / sizeof nones[0]; i++)
		TB_CHECK_INT(eng_chat_detect(nones[i]), ENG_CHAT_NONE);
}

/* The tokenizer.chat_template string of a GGUF, found by its key in the raw bytes (key, then
 * u32 type 8 = string, u64 length, bytes). Caller frees. NULL when absent. */
static char *gguf_template(const char *path)
{
	static const char key[] = "tokenizer.chat_template";
	FILE *f = fopen(path, "rb");
	unsigned char *d = NULL, *hit = NULL;
	long size;
	char *out = NULL;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0)
		goto done;
	if (!(d = malloc((size_t)size)) || fread(d, 1, (size_t)size, f) != (size_t)size)
		goto done;
	hit = memmem(d, (size_t)size, key, sizeof key - 1);
	if (hit) {
		size_t at = (size_t)(hit - d) + sizeof key - 1, n = 0;
		uint32_t type = 0;
		if (at + 12 > (size_t)size)
			goto done;
		for (int i = 0; i < 4; i++)
			type |= (uint32_t)d[at + i] << (8 * i);
		for (int i = 0; i < 8; i++)
			n |= (size_t)d[at + 4 + i] << (8 * i);
		if (type != 8 || n > (size_t)size - at - 12)
			goto done;
		if ((out = malloc(n + 1)) != NULL) {
			memcpy(out, d + at + 12, n);
			out[n] = '\0';
		}
	}
done:
	free(d);
	fclose(f);
	return out;
}

/* Every GGUF under <shared>/models/vocab that carries a template: detection names a family when
 * the file is one we know, and whatever it finds renders. */
static void test_chat_detects_templates_of_shared_gguf_files(void)
{
	static const struct { const char *name_part; int want; } known[] = {
		{ "deepseek-llm", ENG_CHAT_DEEPSEEK }, { "deepseek-coder", ENG_CHAT_NONE },
		{ "llama-bpe", ENG_CHAT_LLAMA3 }, { "qwen2", ENG_CHAT_CHATML }, { "qwen3", ENG_CHAT_QWEN3 },
		{ "phi-3", ENG_CHAT_PHI3 }, { "gemma", ENG_CHAT_GEMMA },
	};
	const char *shared = tb_shared_dir();
	char dir[512];
	DIR *dp;
	struct dirent *e;
	int found = 0;

	if (!shared)
		TB_SKIP("no shared folder");
	snprintf(dir, sizeof dir, "%s/models/vocab", shared);
	if (!(dp = opendir(dir)))
		TB_SKIP("no %.200s", dir);
	while ((e = readdir(dp)) != NULL) {
		char path[1024], *t;
		size_t len = strlen(e->d_name);
		int fam;
		if (len < 5 || strcmp(e->d_name + len - 5, ".gguf") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (!(t = gguf_template(path)))
			continue;
		found++;
		fam = eng_chat_detect(t);
		TB_CHECK(fam >= ENG_CHAT_NONE && fam < ENG_CHAT_COUNT);
		for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
			if (strstr(e->d_name, known[i].name_part)) {
				if (fam != known[i].want)
					printf("  %s: detected \"%s\"\n", e->d_name, eng_chat_name(fam));
				TB_CHECK_INT(fam, known[i].want);
			}
		if (fam != ENG_CHAT_NONE) {
			char *r = eng_chat_render(fam, conv, 4, 1, 1, "<s>", "</s>", err, sizeof err);
			TB_CHECK(r != NULL && r[0] != '\0');
			free(r);
		}
		free(t);
	}
	closedir(dp);
	if (!found)
		TB_SKIP("no GGUF under %.180s carries tokenizer.chat_template", dir);
}

/* ------------------------------------------------------------------ rendering */

static void test_chat_renders_chatml(void)
{
	const char *body =
		"<|im_start|>system\nYou are terse.<|im_end|>\n"
		"<|im_start|>user\nHello<|im_end|>\n"
		"<|im_start|>assistant\nHi there<|im_end|>\n"
		"<|im_start|>user\nHow are you?<|im_end|>\n";
	char with[512];
	snprintf(with, sizeof with, "%s<|im_start|>assistant\n", body);
	rendered(ENG_CHAT_CHATML, conv, 4, 0, 1, NULL, body);
	rendered(ENG_CHAT_CHATML, conv, 4, 1, 1, NULL, with);
	rendered(ENG_CHAT_CHATML, conv, 4, 1, 0, NULL, with); /* enable_thinking is Qwen3's only */
}

static void test_chat_renders_qwen3_with_thinking_on_and_off(void)
{
	const char *body =
		"<|im_start|>system\nYou are terse.<|im_end|>\n"
		"<|im_start|>user\nHello<|im_end|>\n"
		"<|im_start|>assistant\nHi there<|im_end|>\n"
		"<|im_start|>user\nHow are you?<|im_end|>\n";
	char on[512], off[512];
	snprintf(on, sizeof on, "%s<|im_start|>assistant\n", body);
	snprintf(off, sizeof off, "%s<|im_start|>assistant\n<think>\n\n</think>\n\n", body);
	rendered(ENG_CHAT_QWEN3, conv, 4, 0, 1, NULL, body);
	rendered(ENG_CHAT_QWEN3, conv, 4, 0, 0, NULL, body);
	rendered(ENG_CHAT_QWEN3, conv, 4, 1, 1, NULL, on);
	rendered(ENG_CHAT_QWEN3, conv, 4, 1, 0, NULL, off);
}

/* Qwen3's template drops the think block of assistant turns before the last user query, and
 * writes one (empty when there was none) for a final assistant turn after it. */
static void test_chat_qwen3_strips_old_reasoning_and_wraps_the_final_turn(void)
{
	const eng_chat_msg hist[3] = {
		{ "user", "Hi" },
		{ "assistant", "<think>\nsay hi back\n</think>\n\nHello!" },
		{ "user", "Bye" },
	};
	const eng_chat_msg prefill[2] = {
		{ "user", "Hi" },
		{ "assistant", "Hello!" },
	};
	const eng_chat_msg reasoned[2] = {
		{ "user", "Hi" },
		{ "assistant", "<think>\n\nplan\n\n</think>\n\n\nHello!" },
	};
	const eng_chat_msg tools[4] = {
		{ "user", "Weather?" },
		{ "assistant", "<think>need a tool</think>calling" },
		{ "user", "<tool_response>sunny</tool_response>" },
		{ "assistant", "Sunny." },
	};
	rendered(ENG_CHAT_QWEN3, hist, 3, 1, 1, NULL,
		"<|im_start|>user\nHi<|im_end|>\n"
		"<|im_start|>assistant\nHello!<|im_end|>\n"
		"<|im_start|>user\nBye<|im_end|>\n"
		"<|im_start|>assistant\n");
	rendered(ENG_CHAT_QWEN3, prefill, 2, 0, 1, NULL,
		"<|im_start|>user\nHi<|im_end|>\n"
		"<|im_start|>assistant\n<think>\n\n</think>\n\nHello!<|im_end|>\n");
	rendered(ENG_CHAT_QWEN3, reasoned, 2, 0, 1, NULL,
		"<|im_start|>user\nHi<|im_end|>\n"
		"<|im_start|>assistant\n<think>\nplan\n</think>\n\nHello!<|im_end|>\n");
	/* a user turn that is only a tool response is not the last query */
	rendered(ENG_CHAT_QWEN3, tools, 4, 0, 1, NULL,
		"<|im_start|>user\nWeather?<|im_end|>\n"
		"<|im_start|>assistant\n<think>\nneed a tool\n</think>\n\ncalling<|im_end|>\n"
		"<|im_start|>user\n<tool_response>sunny</tool_response><|im_end|>\n"
		"<|im_start|>assistant\n<think>\n\n</think>\n\nSunny.<|im_end|>\n");
	/* ChatML keeps what it is given */
	rendered(ENG_CHAT_CHATML, hist, 3, 0, 1, NULL,
		"<|im_start|>user\nHi<|im_end|>\n"
		"<|im_start|>assistant\n<think>\nsay hi back\n</think>\n\nHello!<|im_end|>\n"
		"<|im_start|>user\nBye<|im_end|>\n");
}

static void test_chat_renders_llama3(void)
{
	const char *body =
		"<|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
		"<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
		"<|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|>"
		"<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>";
	char with[768];
	const eng_chat_msg padded[1] = { { "user", "  \n Hello \t\n" } };
	snprintf(with, sizeof with, "%s<|start_header_id|>assistant<|end_header_id|>\n\n", body);
	rendered(ENG_CHAT_LLAMA3, conv, 4, 0, 1, NULL, body);
	rendered(ENG_CHAT_LLAMA3, conv, 4, 1, 1, NULL, with);
	rendered(ENG_CHAT_LLAMA3, padded, 1, 0, 1, NULL,
		"<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>");
}

static void test_chat_renders_llama2_with_a_sys_block(void)
{
	const char *want =
		"[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHello [/INST]Hi there</s>"
		"[INST] How are you? [/INST]";
	const eng_chat_msg padded[3] = {
		{ "user", " Hello " }, { "assistant", "  Hi  " }, { "user", "\nNext\n" },
	};
	/* the prompt already ends in [/INST]: the generation prompt adds nothing */
	rendered(ENG_CHAT_LLAMA2, conv, 4, 0, 1, "</s>", want);
	rendered(ENG_CHAT_LLAMA2, conv, 4, 1, 1, "</s>", want);
	rendered(ENG_CHAT_LLAMA2, conv, 4, 1, 1, NULL, want);
	/* Meta's template strips each content */
	rendered(ENG_CHAT_LLAMA2, padded, 3, 1, 1, "</s>",
		"[INST] Hello [/INST]Hi</s>[INST] Next [/INST]");
}

static void test_chat_renders_mistral_with_the_system_text_in_the_first_turn(void)
{
	const char *want =
		"[INST] You are terse.\nHello [/INST]Hi there</s>[INST] How are you? [/INST]";
	const eng_chat_msg padded[2] = { { "user", " Hello " }, { "assistant", "  Hi  " } };
	rendered(ENG_CHAT_MISTRAL, conv, 4, 0, 1, "</s>", want);
	rendered(ENG_CHAT_MISTRAL, conv, 4, 1, 1, "</s>", want);
	rendered(ENG_CHAT_MISTRAL, conv + 1, 3, 1, 1, "</s>",
		"[INST] Hello [/INST]Hi there</s>[INST] How are you? [/INST]");
	rendered(ENG_CHAT_MISTRAL, padded, 2, 1, 1, "</s>", "[INST]  Hello  [/INST]  Hi  </s>");
}

static void test_chat_renders_gemma_with_the_system_text_merged_into_the_user_turn(void)
{
	const char *body =
		"<start_of_turn>user\nYou are terse.\n\nHello<end_of_turn>\n"
		"<start_of_turn>model\nHi there<end_of_turn>\n"
		"<start_of_turn>user\nHow are you?<end_of_turn>\n";
	char with[512];
	const eng_chat_msg two_sys[4] = {
		{ "system", " A. " }, { "system", "B.\n" }, { "assistant", " x " }, { "user", "y" },
	};
	snprintf(with, sizeof with, "%s<start_of_turn>model\n", body);
	rendered(ENG_CHAT_GEMMA, conv, 4, 0, 1, NULL, body);
	rendered(ENG_CHAT_GEMMA, conv, 4, 1, 1, NULL, with);
	/* system texts are trimmed and joined, and wait for the next user turn */
	rendered(ENG_CHAT_GEMMA, two_sys, 4, 0, 1, NULL,
		"<start_of_turn>model\nx<end_of_turn>\n"
		"<start_of_turn>user\nA.B.\n\ny<end_of_turn>\n");
}

static void test_chat_renders_deepseek_v2(void)
{
	const char *body =
		"You are terse.\n\nUser: Hello\n\nAssistant: Hi there" DS_EOS "User: How are you?\n\n";
	char with[512];
	snprintf(with, sizeof with, "%sAssistant:", body);
	rendered(ENG_CHAT_DEEPSEEK, conv, 4, 0, 1, NULL, body);
	rendered(ENG_CHAT_DEEPSEEK, conv, 4, 1, 1, NULL, with);
	rendered(ENG_CHAT_DEEPSEEK, conv, 4, 1, 1, DS_EOS, with);
}

static void test_chat_renders_deepseek_v3(void)
{
	const char *body =
		"You are terse.\n\n" DS_USER "Hello" DS_ASSISTANT "Hi there" DS_EOS DS_USER "How are you?";
	char with[512];
	snprintf(with, sizeof with, "%s" DS_ASSISTANT, body);
	rendered(ENG_CHAT_DEEPSEEK3, conv, 4, 0, 1, NULL, body);
	rendered(ENG_CHAT_DEEPSEEK3, conv, 4, 1, 1, NULL, with);
	rendered(ENG_CHAT_DEEPSEEK3, conv, 4, 1, 1, "</s>", with); /* its end marker is literal */
}

/* ------------------------------------------------------------------ DeepSeek V3.1 / V3.2-Exp */

/* Excerpts of DeepSeek V3.1's chat_template (tokenizer_config.json of deepseek-ai/DeepSeek-V3.1,
 * as its GGUF files carry it): the switch's default, a user turn, an assistant turn after a
 * user turn, and the generation prompt. */
#define V31_HEAD "{% if not thinking is defined %}{% set thinking = false %}{% endif %}"
#define V31_TURNS "{{'" DS_USER "' + message['content']}}{%- endif %}" \
	"{%- if ns.is_last_user %}{{'" DS_ASSISTANT "'}}{%- if message['prefix'] is defined and " \
	"message['prefix'] and thinking %}{{'<think>'}}  {%- else %}{{'</think>'}}{%- endif %}" \
	"{%- endif %}{%- if '</think>' in content %}{%- set content = content.split('</think>', 1)[1] " \
	"-%}{%- endif %}{{content + '" DS_EOS "'}}"
#define V31_GEN "{%- if add_generation_prompt and ns.is_last_user and not ns.is_tool %}" \
	"{{'" DS_ASSISTANT "'}}{%- if not thinking %}{{'</think>'}}{%- else %}{{'<think>'}}" \
	"{%- endif %}{% endif %}"

static void test_chat_detects_deepseek_v3_1_and_v3_2_exp_and_leaves_v3_and_r1_as_they_were(void)
{
	/* V3.2-Exp's template adds is_only_sys / is_prefix to V3.1's */
	const char *v32 = V31_HEAD "{% set ns = namespace(is_first=false, is_tool=false, system_prompt='', "
		"is_first_sp=true, is_last_user=false, is_only_sys=false, is_prefix=false) %}" V31_TURNS
		"{% if add_generation_prompt and not ns.is_tool%}{% if ns.is_last_user or ns.is_only_sys or "
		"not ns.is_prefix %}{{'" DS_ASSISTANT "'}}{%- if not thinking %}{{'</think>'}}{%- else %}"
		"{{'<think>'}}{%- endif %}{% endif %}{% endif %}";
	/* llama.cpp's edited copy writes <think></think> where DeepSeek's writes </think> */
	const char *edited = "{%- if not thinking is defined -%}{%- if enable_thinking is defined -%}"
		"{%- set thinking = enable_thinking -%}{%- endif -%}{%- endif -%}{{'" DS_USER "' + "
		"message['content']}}{%- if message['prefix'] is defined and message['prefix'] and thinking -%}"
		"{{'<think>'}}{%- else -%}{{'<think></think>'}}{%- endif -%}{{content + '" DS_EOS "'}}"
		"{{'" DS_ASSISTANT "'}}";
	/* the snippets tests/engine/test_deepseek.c detects R1 and V3 by */
	const char *r1 = "{{'" DS_USER "' + message['content']}}{% set content = content.split('</think>')[-1] %}"
		"{{'" DS_ASSISTANT "' + content + '" DS_EOS "'}}{% if add_generation_prompt %}{{'" DS_ASSISTANT
		"<think>\\n'}}{% endif %}";
	const char *v3 = "{{'" DS_USER "' + message['content']}}{{'" DS_ASSISTANT "' + message['content'] + '"
		DS_EOS "'}}{% if add_generation_prompt %}{{'" DS_ASSISTANT "'}}{% endif %}";

	TB_CHECK_INT(eng_chat_detect(V31_HEAD V31_TURNS V31_GEN), ENG_CHAT_DEEPSEEK3_1);
	TB_CHECK_INT(eng_chat_detect(v32), ENG_CHAT_DEEPSEEK3_2_EXP);
	TB_CHECK_INT(eng_chat_detect(edited), ENG_CHAT_NONE);
	TB_CHECK_INT(eng_chat_detect(r1), ENG_CHAT_DEEPSEEK_R1);
	TB_CHECK_INT(eng_chat_detect(v3), ENG_CHAT_DEEPSEEK3);
	/* without DeepSeek's own markers the switch alone names nothing */
	TB_CHECK_INT(eng_chat_detect("{% if message['prefix'] and thinking %}{{'<think>'}}{% endif %}"),
		ENG_CHAT_NONE);
	TB_CHECK_STR(eng_chat_name(ENG_CHAT_DEEPSEEK3_1), "deepseek3.1");
	TB_CHECK_INT(eng_chat_from_name("deepseek3.2-exp"), ENG_CHAT_DEEPSEEK3_2_EXP);
	TB_CHECK_INT(eng_chat_detect("deepseek3.1"), ENG_CHAT_DEEPSEEK3_1);
}

/* System + user: the system text with nothing after it, the generation prompt ending in </think>
 * (off, the template's default) or <think> (on). */
static void test_chat_renders_deepseek_v3_1_generation_prompt_with_thinking_on_and_off(void)
{
	rendered(ENG_CHAT_DEEPSEEK3_1, conv, 2, 1, 0, NULL,
		"You are terse." DS_USER "Hello" DS_ASSISTANT "</think>");
	rendered(ENG_CHAT_DEEPSEEK3_1, conv, 2, 1, 1, NULL,
		"You are terse." DS_USER "Hello" DS_ASSISTANT "<think>");
	rendered(ENG_CHAT_DEEPSEEK3_1, conv, 2, 1, -1, NULL,
		"You are terse." DS_USER "Hello" DS_ASSISTANT "</think>");
	rendered(ENG_CHAT_DEEPSEEK3_1, conv, 2, 0, 1, NULL, "You are terse." DS_USER "Hello");
	rendered(ENG_CHAT_DEEPSEEK3_2_EXP, conv, 2, 1, 1, "</s>",
		"You are terse." DS_USER "Hello" DS_ASSISTANT "<think>");
	TB_CHECK_INT(eng_chat_thinking_default(ENG_CHAT_DEEPSEEK3_1), 0);
	TB_CHECK_INT(eng_chat_thinking_default(ENG_CHAT_DEEPSEEK3_2_EXP), 0);
	TB_CHECK_INT(eng_chat_thinking_default(ENG_CHAT_QWEN3), 1);
	TB_CHECK_INT(eng_chat_thinking_default(ENG_CHAT_DEEPSEEK_R1), 1);
	/* the other families' default is what 1 gives */
	rendered(ENG_CHAT_QWEN3, conv + 1, 1, 1, -1, NULL,
		"<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n");
}

/* Earlier assistant turns: <｜Assistant｜></think> after a user turn whatever the switch, the text
 * after the first </think> (R1 keeps the text after the last one), the end marker. */
static void test_chat_renders_deepseek_v3_1_history_without_earlier_reasoning(void)
{
	static const eng_chat_msg m[7] = {
		{ "system", "You are terse." },
		{ "user", "Hello" },
		{ "assistant", "<think>\nA greeting.\n</think>\n\nHi there" },
		{ "system", "Answer in English." },
		{ "user", "How are you?" },
		{ "assistant", "plan</think>Fine</think>thanks" },
		{ "user", "Bye" },
	};
	const char *hist = "You are terse.\n\nAnswer in English." DS_USER "Hello"
		DS_ASSISTANT "</think>\n\nHi there" DS_EOS DS_USER "How are you?"
		DS_ASSISTANT "</think>Fine</think>thanks" DS_EOS DS_USER "Bye";
	char want[512];

	rendered(ENG_CHAT_DEEPSEEK3_1, conv, 4, 0, 1, NULL,
		"You are terse." DS_USER "Hello" DS_ASSISTANT "</think>Hi there" DS_EOS DS_USER "How are you?");
	snprintf(want, sizeof want, "%s" DS_ASSISTANT "<think>", hist);
	rendered(ENG_CHAT_DEEPSEEK3_1, m, 7, 1, 1, NULL, want);
	snprintf(want, sizeof want, "%s" DS_ASSISTANT "</think>", hist);
	rendered(ENG_CHAT_DEEPSEEK3_1, m, 7, 1, 0, NULL, want);
	rendered(ENG_CHAT_DEEPSEEK3_2_EXP, m, 7, 1, 0, NULL, want);
}

/* The generation prompt after a conversation that does not end in a user turn: V3.1 writes none,
 * V3.2-Exp writes it; an assistant turn that follows no user turn opens with nothing. */
static void test_chat_renders_deepseek_v3_1_and_v3_2_exp_apart_after_a_final_answer(void)
{
	static const eng_chat_msg m[4] = {
		{ "system", "You are terse." },
		{ "assistant", "Ready." },
		{ "user", "Hello" },
		{ "assistant", "Hi</think>there" },
	};
	static const eng_chat_msg twice[3] = { { "user", "Hi" }, { "assistant", "A" }, { "assistant", "B" } };
	const char *body = "You are terse.Ready." DS_EOS DS_USER "Hello" DS_ASSISTANT "</think>there" DS_EOS;
	char want[512];

	rendered(ENG_CHAT_DEEPSEEK3_1, m, 4, 1, 1, NULL, body);
	snprintf(want, sizeof want, "%s" DS_ASSISTANT "<think>", body);
	rendered(ENG_CHAT_DEEPSEEK3_2_EXP, m, 4, 1, 1, NULL, want);
	rendered(ENG_CHAT_DEEPSEEK3_2_EXP, m, 4, 0, 1, NULL, body);
	/* only system texts, or nothing */
	rendered(ENG_CHAT_DEEPSEEK3_1, m, 1, 1, 0, NULL, "You are terse.");
	rendered(ENG_CHAT_DEEPSEEK3_2_EXP, m, 1, 1, 0, NULL, "You are terse." DS_ASSISTANT "</think>");
	rendered(ENG_CHAT_DEEPSEEK3_1, NULL, 0, 1, 0, NULL, "");
	rendered(ENG_CHAT_DEEPSEEK3_2_EXP, NULL, 0, 1, 1, NULL, DS_ASSISTANT "<think>");
	/* two answers in a row: the second opens with nothing */
	rendered(ENG_CHAT_DEEPSEEK3_1, twice, 3, 1, 0, NULL,
		DS_USER "Hi" DS_ASSISTANT "</think>A" DS_EOS "B" DS_EOS);
}

static void test_chat_renders_phi3(void)
{
	const char *body =
		"<|system|>\nYou are terse.<|end|>\n"
		"<|user|>\nHello<|end|>\n"
		"<|assistant|>\nHi there<|end|>\n"
		"<|user|>\nHow are you?<|end|>\n";
	char with[512];
	snprintf(with, sizeof with, "%s<|assistant|>\n", body);
	rendered(ENG_CHAT_PHI3, conv, 4, 0, 1, NULL, body);
	rendered(ENG_CHAT_PHI3, conv, 4, 1, 1, NULL, with);
}

static void test_chat_renders_zephyr_with_the_models_eos(void)
{
	rendered(ENG_CHAT_ZEPHYR, conv, 4, 0, 1, NULL,
		"<|system|>\nYou are terse.<|endoftext|>\n"
		"<|user|>\nHello<|endoftext|>\n"
		"<|assistant|>\nHi there<|endoftext|>\n"
		"<|user|>\nHow are you?<|endoftext|>\n");
	rendered(ENG_CHAT_ZEPHYR, conv, 4, 1, 1, "</s>",
		"<|system|>\nYou are terse.</s>\n"
		"<|user|>\nHello</s>\n"
		"<|assistant|>\nHi there</s>\n"
		"<|user|>\nHow are you?</s>\n"
		"<|assistant|>\n");
}

static void test_chat_renders_an_empty_conversation(void)
{
	rendered(ENG_CHAT_CHATML, NULL, 0, 0, 1, NULL, "");
	rendered(ENG_CHAT_CHATML, NULL, 0, 1, 1, NULL, "<|im_start|>assistant\n");
	rendered(ENG_CHAT_QWEN3, NULL, 0, 1, 0, NULL, "<|im_start|>assistant\n<think>\n\n</think>\n\n");
	rendered(ENG_CHAT_LLAMA2, NULL, 0, 1, 1, NULL, "[INST] ");
}

/* ------------------------------------------------------------------ errors */

static void test_chat_render_refuses_an_unknown_family(void)
{
	const int bad[] = { ENG_CHAT_NONE, ENG_CHAT_COUNT, -1, 1000 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		char *r = eng_chat_render(bad[i], conv, 4, 1, 1, NULL, NULL, err, sizeof err);
		TB_CHECK(r == NULL);
		TB_CHECK(strstr(err, "family") != NULL);
		free(r);
	}
}

static void test_chat_render_refuses_a_bad_role(void)
{
	const eng_chat_msg tool[2] = { { "user", "x" }, { "tool", "42" } };
	const eng_chat_msg none[1] = { { NULL, "x" } };
	char *r;
	err[0] = '\0';
	r = eng_chat_render(ENG_CHAT_CHATML, tool, 2, 1, 1, NULL, NULL, err, sizeof err);
	TB_CHECK(r == NULL);
	TB_CHECK(strstr(err, "message 1") != NULL && strstr(err, "\"tool\"") != NULL);
	free(r);
	err[0] = '\0';
	r = eng_chat_render(ENG_CHAT_GEMMA, none, 1, 1, 1, NULL, NULL, err, sizeof err);
	TB_CHECK(r == NULL);
	TB_CHECK(strstr(err, "message 0") != NULL);
	free(r);
}

static void test_chat_render_refuses_null_content(void)
{
	const eng_chat_msg m[2] = { { "system", "s" }, { "user", NULL } };
	char *r;
	err[0] = '\0';
	r = eng_chat_render(ENG_CHAT_LLAMA3, m, 2, 1, 1, NULL, NULL, err, sizeof err);
	TB_CHECK(r == NULL);
	TB_CHECK(strstr(err, "message 1") != NULL && strstr(err, "NULL") != NULL);
	free(r);
	err[0] = '\0';
	r = eng_chat_render(ENG_CHAT_LLAMA3, NULL, 2, 1, 1, NULL, NULL, err, sizeof err);
	TB_CHECK(r == NULL && err[0] != '\0');
	free(r);
	r = eng_chat_render(ENG_CHAT_LLAMA3, conv, -1, 1, 1, NULL, NULL, err, sizeof err);
	TB_CHECK(r == NULL);
	free(r);
}

/* ------------------------------------------------------------------ harmony (gpt-oss) */

static void test_chat_detects_harmony_from_the_gpt_oss_template_markers(void)
{
	TB_CHECK_INT(eng_chat_detect("{{- '<|start|>' + message.role + '<|channel|>' + channel + '<|message|>' }}"),
		ENG_CHAT_HARMONY);
	TB_CHECK_INT(eng_chat_detect("harmony"), ENG_CHAT_HARMONY);
	/* <|start|> alone is not enough */
	TB_CHECK_INT(eng_chat_detect("{{ '<|start|>' + role + '<|message|>' }}"), ENG_CHAT_NONE);
}

static void test_chat_renders_harmony_with_every_role(void)
{
	static const eng_chat_msg m[5] = {
		{ "system", "You are terse." },
		{ "developer", "Answer in French." },
		{ "user", "Hello" },
		{ "assistant", "Bonjour" },
		{ "user", "How are you?" },
	};
	rendered(ENG_CHAT_HARMONY, m, 5, 1, 1, NULL,
		"<|start|>system<|message|>You are terse.<|end|>"
		"<|start|>developer<|message|>Answer in French.<|end|>"
		"<|start|>user<|message|>Hello<|end|>"
		"<|start|>assistant<|message|>Bonjour<|return|>"
		"<|start|>user<|message|>How are you?<|end|>"
		"<|start|>assistant");
	rendered(ENG_CHAT_HARMONY, m + 2, 1, 0, 0, NULL, "<|start|>user<|message|>Hello<|end|>");
}

static void test_chat_developer_role_is_only_for_harmony(void)
{
	static const eng_chat_msg m[1] = { { "developer", "x" } };
	char *got = eng_chat_render(ENG_CHAT_CHATML, m, 1, 1, 1, NULL, NULL, err, sizeof err);

	TB_CHECK(got == NULL);
	TB_CHECK(strstr(err, "developer") != NULL);
	free(got);
}

/* Splits text and compares both parts. */
static void check_split(const char *text, const char *want_reasoning, const char *want_answer)
{
	char *r = NULL, *a = NULL;

	TB_REQUIRE(eng_chat_harmony_split(text, text ? strlen(text) : 0, &r, &a) == 0);
	TB_CHECK_STR(r, want_reasoning);
	TB_CHECK_STR(a, want_answer);
	free(r);
	free(a);
}

static void test_chat_harmony_reply_splits_analysis_from_final(void)
{
	check_split("<|channel|>analysis<|message|>User greets. Reply.<|end|>"
		"<|start|>assistant<|channel|>final<|message|>Hi!<|return|>",
		"User greets. Reply.", "Hi!");
	/* commentary (tool preambles and calls) is not the answer */
	check_split("<|channel|>analysis<|message|>Need the weather.<|end|>"
		"<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json"
		"<|message|>{\"city\":\"Paris\"}<|call|>",
		"Need the weather.\n{\"city\":\"Paris\"}", "");
	/* a reply cut off inside the final message keeps what it has */
	check_split("<|channel|>analysis<|message|>a<|end|><|start|>assistant<|channel|>final<|message|>Par",
		"a", "Par");
	/* a cut-off header gives nothing more */
	check_split("<|channel|>analysis<|message|>a<|end|><|start|>assistant<|chan", "a", "");
	/* no channel at all: the text up to its end marker is the answer */
	check_split("Plain answer.<|return|>", "", "Plain answer.");
	check_split("Plain answer.", "", "Plain answer.");
	check_split("", "", "");
	check_split(NULL, "", "");
	/* the end markers: <|end|> and <|start|> end a message too */
	check_split("<|channel|>final<|message|>one<|end|><|channel|>final<|message|>two<|start|>",
		"", "one\ntwo");
}

int main(void)
{
	TB_RUN(test_chat_names_round_trip);
	TB_RUN(test_chat_names_lists_every_family);
	TB_RUN(test_chat_detects_each_family_from_its_markers);
	TB_RUN(test_chat_detect_refuses_unsupported_look_alikes);
	TB_RUN(test_chat_detects_templates_of_shared_gguf_files);
	TB_RUN(test_chat_renders_chatml);
	TB_RUN(test_chat_renders_qwen3_with_thinking_on_and_off);
	TB_RUN(test_chat_qwen3_strips_old_reasoning_and_wraps_the_final_turn);
	TB_RUN(test_chat_renders_llama3);
	TB_RUN(test_chat_renders_llama2_with_a_sys_block);
	TB_RUN(test_chat_renders_mistral_with_the_system_text_in_the_first_turn);
	TB_RUN(test_chat_renders_gemma_with_the_system_text_merged_into_the_user_turn);
	TB_RUN(test_chat_renders_deepseek_v2);
	TB_RUN(test_chat_renders_deepseek_v3);
	TB_RUN(test_chat_detects_deepseek_v3_1_and_v3_2_exp_and_leaves_v3_and_r1_as_they_were);
	TB_RUN(test_chat_renders_deepseek_v3_1_generation_prompt_with_thinking_on_and_off);
	TB_RUN(test_chat_renders_deepseek_v3_1_history_without_earlier_reasoning);
	TB_RUN(test_chat_renders_deepseek_v3_1_and_v3_2_exp_apart_after_a_final_answer);
	TB_RUN(test_chat_renders_phi3);
	TB_RUN(test_chat_renders_zephyr_with_the_models_eos);
	TB_RUN(test_chat_renders_an_empty_conversation);
	TB_RUN(test_chat_render_refuses_an_unknown_family);
	TB_RUN(test_chat_render_refuses_a_bad_role);
	TB_RUN(test_chat_render_refuses_null_content);
	TB_RUN(test_chat_detects_harmony_from_the_gpt_oss_template_markers);
	TB_RUN(test_chat_renders_harmony_with_every_role);
	TB_RUN(test_chat_developer_role_is_only_for_harmony);
	TB_RUN(test_chat_harmony_reply_splits_analysis_from_final);
	return tb_test_end();
}
