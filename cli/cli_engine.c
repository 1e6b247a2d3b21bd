/* cli/cli_engine.c — the commands that drive the built-in engine directly:
 * `tierbench generate` (one prompt, streamed text, prompt and generation speed) and
 * `tierbench inspect` (what a GGUF model is: architecture, size, type mix, vocabulary, chat
 * template). Exit codes as in main.c: 0 ok, 1 usage, 2 runtime error. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"
#include "base/base.h"
#include "cli/cli_impl.h"
#include "harness/harness.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int num_arg(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi)) {
		fprintf(stderr, "tierbench: %s: \"%s\" is not a number in [%g, %g]\n", opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

/* ------------------------------------------------------------------ generate */

static void usage_generate(FILE *f)
{
	fprintf(f,
		"usage: tierbench generate -m MODEL.gguf -p TEXT [options]\n"
		"\n"
		"Runs the built-in engine on one prompt, prints the generated text as it comes, then the\n"
		"prompt and generation speed (tokens/s) on stderr.\n"
		"\n"
		"options:\n"
		"  -m, --model PATH          GGUF model (llama, qwen2, qwen3, qwen2moe, qwen3moe)\n"
		"  -p, --prompt TEXT         the prompt (or --file PATH)\n"
		"  -f, --file PATH           read the prompt from a file\n"
		"  -n, --n-predict N         tokens to generate (default 128)\n"
		"      --chat                wrap the prompt as a user message in the model's chat template\n"
		"      --system TEXT         system message (with --chat)\n"
		"      --chat-template NAME  use this template family instead of the model's\n"
		"      --think, --no-think   thinking on / off where the template has a switch (Qwen3:\n"
		"                            off writes an empty <think></think>; DeepSeek V3.1: off by\n"
		"                            default); default: the template's own\n"
		"      --temp T              temperature (default 0 = greedy)\n"
		"      --top-k K, --top-p P, --min-p P, --repeat-penalty R\n"
		"      --seed S              sampling seed (default 0)\n"
		"      --stop TEXT           stop string (repeatable)\n"
		"  -c, --ctx N               context size (default: prompt + n-predict)\n"
		"  -t, --threads N           compute threads\n"
		"      --kv-f32              keep the KV cache in F32 instead of F16\n"
		"      --mmap                compute from the file mapping (starts faster, decodes slower)\n"
		"      --huge-pages          ask for transparent huge pages for the weights' copy\n"
		"      --device cpu|cuda     where the model runs (cuda: built with make CUDA=1)\n"
		"  -ngl, --n-gpu-layers N    layers on the GPU, the first N (N > 0 implies --device cuda;\n"
		"                            the other layers and, unless all are there, the output on the CPU)\n"
		"      --ignore-eos          keep going past end-of-generation tokens\n");
}

enum { O_CHAT = 256, O_SYSTEM, O_TEMPLATE, O_THINK, O_NOTHINK, O_TEMP, O_TOPK, O_TOPP, O_MINP, O_REP,
	O_SEED, O_STOP, O_KVF32, O_IGNORE_EOS, O_MMAP, O_HUGE, O_DEVICE, O_NGL };

int cli_cmd_generate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' }, { "prompt", required_argument, NULL, 'p' },
		{ "file", required_argument, NULL, 'f' }, { "n-predict", required_argument, NULL, 'n' },
		{ "ctx", required_argument, NULL, 'c' }, { "threads", required_argument, NULL, 't' },
		{ "chat", no_argument, NULL, O_CHAT }, { "system", required_argument, NULL, O_SYSTEM },
		{ "chat-template", required_argument, NULL, O_TEMPLATE },
		{ "think", no_argument, NULL, O_THINK }, { "no-think", no_argument, NULL, O_NOTHINK },
		{ "temp", required_argument, NULL, O_TEMP },
		{ "top-k", required_argument, NULL, O_TOPK }, { "top-p", required_argument, NULL, O_TOPP },
		{ "min-p", required_argument, NULL, O_MINP },
		{ "repeat-penalty", required_argument, NULL, O_REP },
		{ "seed", required_argument, NULL, O_SEED }, { "stop", required_argument, NULL, O_STOP },
		{ "kv-f32", no_argument, NULL, O_KVF32 }, { "ignore-eos", no_argument, NULL, O_IGNORE_EOS },
		{ "mmap", no_argument, NULL, O_MMAP }, { "huge-pages", no_argument, NULL, O_HUGE },
		{ "device", required_argument, NULL, O_DEVICE }, { "n-gpu-layers", required_argument, NULL, O_NGL },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *model = NULL, *prompt = NULL, *file = NULL, *system = NULL, *tmpl = NULL;
	const char *stops[16];
	int n_stops = 0, n_predict = 128, n_ctx = 0, chat = 0, think = -1, kv_f32 = 0, ignore_eos = 0;
	int rc = HX_EXIT_RUNTIME, opt, n_prompt, n_gen = 0, add_special = 1, stopped = 0;
	eng_sampler_params sp = eng_sampler_params_default();
	eng_opts eo = eng_opts_default();
	eng_ctx_params cp = eng_ctx_params_default();
	char err[1024], *text = NULL, *rendered = NULL;
	int32_t *toks = NULL;
	eng_model *m = NULL;
	eng_ctx *c = NULL;
	eng_sampler *s = NULL;
	size_t printed = 0;
	tb_buf out = { 0 };   /* the generated text, for the stop strings */
	double v, t0, t1, t2;

	optind = 1;
	for (int i = 1; i < argc; i++)   /* llama.cpp's spelling */
		if (strcmp(argv[i], "-ngl") == 0)
			argv[i] = (char *)"--n-gpu-layers";
	while ((opt = getopt_long(argc, argv, "m:p:f:n:c:t:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'm': model = optarg; break;
		case 'p': prompt = optarg; break;
		case 'f': file = optarg; break;
		case 'n': if (num_arg("--n-predict", optarg, 0, 1 << 20, &v)) return HX_EXIT_USAGE; n_predict = (int)v; break;
		case 'c': if (num_arg("--ctx", optarg, 1, 1 << 24, &v)) return HX_EXIT_USAGE; n_ctx = (int)v; break;
		case 't': if (num_arg("--threads", optarg, 1, 1024, &v)) return HX_EXIT_USAGE; eo.n_threads = (int)v; break;
		case O_CHAT: chat = 1; break;
		case O_SYSTEM: system = optarg; break;
		case O_TEMPLATE: tmpl = optarg; chat = 1; break;
		case O_THINK: think = 1; break;
		case O_NOTHINK: think = 0; break;
		case O_TEMP: if (num_arg("--temp", optarg, 0, 100, &v)) return HX_EXIT_USAGE; sp.temp = (float)v; break;
		case O_TOPK: if (num_arg("--top-k", optarg, 0, 1e9, &v)) return HX_EXIT_USAGE; sp.top_k = (int)v; break;
		case O_TOPP: if (num_arg("--top-p", optarg, 0, 1, &v)) return HX_EXIT_USAGE; sp.top_p = (float)v; break;
		case O_MINP: if (num_arg("--min-p", optarg, 0, 1, &v)) return HX_EXIT_USAGE; sp.min_p = (float)v; break;
		case O_REP: if (num_arg("--repeat-penalty", optarg, 0, 100, &v)) return HX_EXIT_USAGE;
			sp.repeat_penalty = (float)v; if (sp.penalty_last_n == 0) sp.penalty_last_n = 64; break;
		case O_SEED: if (num_arg("--seed", optarg, 0, 1.8e19, &v)) return HX_EXIT_USAGE; sp.seed = (uint64_t)v; break;
		case O_STOP:
			if (n_stops == 16) {
				fprintf(stderr, "tierbench: at most 16 --stop strings\n");
				return HX_EXIT_USAGE;
			}
			stops[n_stops++] = optarg;
			break;
		case O_KVF32: kv_f32 = 1; break;
		case O_IGNORE_EOS: ignore_eos = 1; break;
		case O_MMAP: eo.use_mmap = 1; break;
		case O_HUGE: eo.huge_pages = 1; break;
		case O_DEVICE:
			if (strcmp(optarg, "cpu") != 0 && strcmp(optarg, "cuda") != 0) {
				fprintf(stderr, "tierbench generate: --device: expected cpu or cuda, got \"%s\"\n", optarg);
				return HX_EXIT_USAGE;
			}
			eo.device = strcmp(optarg, "cuda") == 0 ? ENG_DEVICE_CUDA : ENG_DEVICE_CPU;
			break;
		case O_NGL:
			if (num_arg("--n-gpu-layers", optarg, 0, 100000, &v))
				return HX_EXIT_USAGE;
			eo.n_gpu_layers = (int)v;
			eo.device = v > 0 ? ENG_DEVICE_CUDA : ENG_DEVICE_CPU;
			break;
		case 'h': usage_generate(stdout); return HX_EXIT_OK;
		default: usage_generate(stderr); return HX_EXIT_USAGE;
		}
	}
	if (!model || (!prompt && !file) || (prompt && file) || optind < argc) {
		usage_generate(stderr);
		return HX_EXIT_USAGE;
	}
	if (file) {
		/* A prompt past 16 MiB is refused with its size, not cut silently. */
		text = hx_file_read(file, "prompt file", 16u << 20, NULL, err, sizeof err);
		if (!text) {
			fprintf(stderr, "tierbench: %s\n", err);
			return HX_EXIT_RUNTIME;
		}
		prompt = text;
	}
	eo.chat_template = tmpl;
	m = hx_file_check(model, "model", err, sizeof err) ? NULL : eng_load(model, &eo, err, sizeof err);
	if (!m) {
		fprintf(stderr, "tierbench: %s\n", err);
		goto done;
	}
	if (chat) {
		eng_chat_msg msgs[2];
		int nm = 0, fam = eng_model_chat_family(m);
		const char *bos = eng_token_text(m, eng_token_bos(m)), *eos = eng_token_text(m, eng_token_eos(m));

		if (fam == ENG_CHAT_NONE) {
			char names[512];
			fprintf(stderr, "tierbench: %s: %s; use --chat-template NAME (%s)\n", model,
				eng_model_chat_template(m) ? "its chat template is not one this engine recognises"
				: "it has no chat template", eng_chat_names(names, sizeof names));
			rc = HX_EXIT_USAGE;
			goto done;
		}
		if (system)
			msgs[nm++] = (eng_chat_msg){ "system", system };
		msgs[nm++] = (eng_chat_msg){ "user", prompt };
		rendered = eng_chat_render(fam, msgs, nm, 1, think, bos ? bos : "", eos ? eos : "", err, sizeof err);
		if (!rendered) {
			fprintf(stderr, "tierbench: chat template: %s\n", err);
			goto done;
		}
		prompt = rendered;
		/* A template that writes BOS itself must not get a second one from the tokenizer. */
		if (bos && *bos && strncmp(rendered, bos, strlen(bos)) == 0)
			add_special = 0;
	}
	n_prompt = eng_tokenize(m, prompt, strlen(prompt), add_special, chat, NULL, 0);
	if (n_prompt <= 0) {
		fprintf(stderr, "tierbench: the prompt gives no tokens\n");
		goto done;
	}
	toks = malloc(sizeof(int32_t) * ((size_t)n_prompt + (size_t)n_predict + 1));
	if (!toks)
		goto done;
	eng_tokenize(m, prompt, strlen(prompt), add_special, chat, toks, n_prompt);
	cp.n_ctx = n_ctx ? n_ctx : n_prompt + n_predict + 1;
	cp.n_batch = n_prompt < 512 ? (n_prompt > 0 ? n_prompt : 1) : 512;
	cp.kv_type = kv_f32 ? ENG_KV_F32 : ENG_KV_F16;
	if (n_prompt + n_predict > cp.n_ctx) {
		fprintf(stderr, "tierbench: prompt (%d tokens) + --n-predict %d exceed --ctx %d\n",
			n_prompt, n_predict, cp.n_ctx);
		rc = HX_EXIT_USAGE;
		goto done;
	}
	c = eng_ctx_new(m, &cp, err, sizeof err);
	s = c ? eng_sampler_new(&sp, eng_n_vocab(m), err, sizeof err) : NULL;
	if (!c || !s) {
		fprintf(stderr, "tierbench: %s\n", err);
		goto done;
	}
	for (int i = 0; i < n_prompt; i++)
		eng_sampler_accept(s, toks[i]);

	t0 = now_s();
	for (int off = 0; off < n_prompt; off += cp.n_batch) {
		eng_batch b = { 0 };
		int r;

		b.n = n_prompt - off < cp.n_batch ? n_prompt - off : cp.n_batch;
		b.token = toks + off;
		r = eng_decode(c, &b);
		if (r) {
			fprintf(stderr, "tierbench: decode: %s\n", eng_strerror(r));
			goto done;
		}
	}
	t1 = now_s();
	for (n_gen = 0; n_gen < n_predict; n_gen++) {
		int last = n_gen == 0 ? -1 : 0;
		const float *lg = eng_logits(c, last < 0 ? (n_prompt - 1) % cp.n_batch : 0);
		int32_t t = eng_sampler_sample(s, lg);
		char piece[256];
		int pl, partial = 0, r;
		long cut;
		eng_batch b = { 0 };

		if (!ignore_eos && eng_token_is_eog(m, t))
			break;
		eng_sampler_accept(s, t);
		toks[n_prompt + n_gen] = t;
		pl = eng_token_piece(m, t, piece, sizeof piece, 0);
		if (pl > (int)sizeof piece)
			pl = (int)sizeof piece;
		if (pl > 0) {
			if (tb_buf_add(&out, piece, (size_t)pl))
				goto done;
		}
		cut = eng_stop_find(tb_buf_str(&out), out.len, stops, n_stops, &partial);
		if (cut >= 0) {
			if ((size_t)cut > printed)
				fwrite(out.p + printed, 1, (size_t)cut - printed, stdout);
			printed = (size_t)cut;
			n_gen++;
			stopped = 1;
			break;
		}
		if (!partial && out.len > printed) {
			fwrite(out.p + printed, 1, out.len - printed, stdout);
			fflush(stdout);
			printed = out.len;
		}
		if (n_gen + 1 == n_predict) {
			n_gen++;
			break;
		}
		b.n = 1;
		b.token = &toks[n_prompt + n_gen];
		r = eng_decode(c, &b);
		if (r) {
			fprintf(stderr, "\ntierbench: decode: %s\n", eng_strerror(r));
			goto done;
		}
	}
	if (!stopped && out.len > printed)
		fwrite(out.p + printed, 1, out.len - printed, stdout);
	t2 = now_s();
	printf("\n");
	fflush(stdout);
	fprintf(stderr, "prompt: %d tokens, %.1f tokens/s | generated: %d tokens, %.1f tokens/s\n",
		n_prompt, (t1 - t0) > 0 ? n_prompt / (t1 - t0) : 0.0, n_gen,
		(t2 - t1) > 0 ? n_gen / (t2 - t1) : 0.0);
	rc = HX_EXIT_OK;
done:
	eng_sampler_free(s);
	eng_ctx_free(c);
	eng_model_free(m);
	free(toks);
	tb_buf_release(&out);
	free(rendered);
	free(text);
	return rc;
}

/* ------------------------------------------------------------------ inspect */

static void human_bytes(uint64_t b, char *buf, size_t n)
{
	if (b >= (1ull << 30))
		snprintf(buf, n, "%.2f GiB", (double)b / (double)(1ull << 30));
	else if (b >= (1ull << 20))
		snprintf(buf, n, "%.2f MiB", (double)b / (double)(1ull << 20));
	else
		snprintf(buf, n, "%.1f KiB", (double)b / 1024.0);
}

int cli_cmd_inspect(int argc, char **argv)
{
	int json = 0;
	const char *path = NULL;
	char err[1024], sz[32], mix[512];
	eng_model *m;
	eng_model_info in;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("usage: tierbench inspect MODEL.gguf [--json]\n\n"
				"Prints a GGUF model's architecture, parameters, tensor types with bits per weight,\n"
				"context, vocabulary, chat template family and size.\n");
			return HX_EXIT_OK;
		} else if (argv[i][0] == '-' || path) {
			fprintf(stderr, "usage: tierbench inspect MODEL.gguf [--json]\n");
			return HX_EXIT_USAGE;
		} else
			path = argv[i];
	}
	if (!path) {
		fprintf(stderr, "usage: tierbench inspect MODEL.gguf [--json]\n");
		return HX_EXIT_USAGE;
	}
	{
		eng_opts eo = eng_opts_default();

		eo.use_mmap = 1;   /* inspect reads metadata only */
		m = hx_file_check(path, "model", err, sizeof err) ? NULL : eng_load(path, &eo, err, sizeof err);
	}
	if (!m) {
		fprintf(stderr, "tierbench: %s\n", err);
		return HX_EXIT_RUNTIME;
	}
	eng_model_info_get(m, &in);
	if (json) {
		cJSON *o = cJSON_CreateObject();
		char *s;

		cJSON_AddStringToObject(o, "file", path);
		cJSON_AddStringToObject(o, "name", in.name);
		cJSON_AddStringToObject(o, "architecture", in.arch);
		cJSON_AddNumberToObject(o, "n_params", (double)in.n_params);
		cJSON_AddNumberToObject(o, "n_params_active", (double)in.n_params_active);
		cJSON_AddNumberToObject(o, "n_expert", in.n_expert);
		cJSON_AddNumberToObject(o, "n_expert_used", in.n_expert_used);
		cJSON_AddNumberToObject(o, "decode_bytes", (double)in.decode_bytes);
		cJSON_AddNumberToObject(o, "kv_bytes_per_token", (double)in.kv_bytes_per_token);
		cJSON_AddNumberToObject(o, "n_layer_kv", in.n_layer_kv);
		cJSON_AddNumberToObject(o, "state_bytes_per_seq", (double)in.state_bytes_per_seq);
		cJSON_AddStringToObject(o, "type", in.ftype);
		cJSON_AddStringToObject(o, "file_type", in.file_type);
		cJSON_AddStringToObject(o, "type_mix", in.type_mix);
		if (eng_quant_mix_describe(path, mix, sizeof mix, err, sizeof err) == 0)
			cJSON_AddStringToObject(o, "mix", mix);
		cJSON_AddNumberToObject(o, "bits_per_weight", in.bpw);
		cJSON_AddNumberToObject(o, "size_bytes", (double)in.size_bytes);
		cJSON_AddNumberToObject(o, "file_bytes", (double)in.file_bytes);
		cJSON_AddNumberToObject(o, "n_ctx_train", in.n_ctx_train);
		cJSON_AddNumberToObject(o, "n_embd", in.n_embd);
		cJSON_AddNumberToObject(o, "n_layer", in.n_layer);
		cJSON_AddNumberToObject(o, "n_head", in.n_head);
		cJSON_AddNumberToObject(o, "n_head_kv", in.n_head_kv);
		cJSON_AddNumberToObject(o, "n_ff", in.n_ff);
		cJSON_AddNumberToObject(o, "n_rot", in.n_rot);
		cJSON_AddNumberToObject(o, "rope_freq_base", in.rope_freq_base);
		cJSON_AddNumberToObject(o, "n_vocab", in.n_vocab);
		cJSON_AddStringToObject(o, "tokenizer", in.vocab_model);
		cJSON_AddStringToObject(o, "pre_tokenizer", in.vocab_pre);
		cJSON_AddStringToObject(o, "chat_template", in.chat_family);
		s = cJSON_Print(o);
		printf("%s\n", s ? s : "{}");
		free(s);
		cJSON_Delete(o);
	} else {
		human_bytes(in.size_bytes, sz, sizeof sz);
		printf("file          %s\n", path);
		printf("name          %s\n", in.name);
		printf("architecture  %s\n", in.arch);
		printf("parameters    %lld (%.2f M)\n", (long long)in.n_params, (double)in.n_params / 1e6);
		if (in.n_expert) {
			char ab[32];

			human_bytes(in.decode_bytes, ab, sizeof ab);
			printf("experts       %d, %d used per token: %lld active parameters (%.2f M), %s of "
				"weights read per token\n", in.n_expert, in.n_expert_used,
				(long long)in.n_params_active, (double)in.n_params_active / 1e6, ab);
		}
		if (in.file_type[0])
			printf("type          %s (most bytes in %s), %.2f bits per weight\n", in.file_type, in.ftype, in.bpw);
		else
			printf("type          %s, %.2f bits per weight\n", in.ftype, in.bpw);
		printf("tensor types  %s\n", in.type_mix);
		if (eng_quant_mix_describe(path, mix, sizeof mix, err, sizeof err) == 0)
			printf("mix           %s\n", mix);
		printf("size          %s of weights (file %llu bytes)\n", sz, (unsigned long long)in.file_bytes);
		printf("layers        %d, n_embd %d, n_ff %d, heads %d (kv %d), rope dims %d, base %g\n",
			in.n_layer, in.n_embd, in.n_ff, in.n_head, in.n_head_kv, in.n_rot, (double)in.rope_freq_base);
		printf("context       %d (trained)\n", in.n_ctx_train);
		if (in.n_layer_kv == in.n_layer)
			printf("kv cache      %llu bytes per token (F16, all layers)\n", (unsigned long long)in.kv_bytes_per_token);
		else
			printf("kv cache      %llu bytes per token (F16, %d attention layer%s)\n",
				(unsigned long long)in.kv_bytes_per_token, in.n_layer_kv, in.n_layer_kv == 1 ? "" : "s");
		if (in.state_bytes_per_seq)
			printf("state         %llu bytes per sequence (F32 recurrent state of the %d delta-net layers)\n",
				(unsigned long long)in.state_bytes_per_seq, in.n_layer - in.n_layer_kv);
		printf("vocabulary    %d tokens, %s%s%s\n", in.n_vocab,
			strcmp(in.vocab_model, "llama") == 0 ? "SentencePiece (llama)" : in.vocab_model,
			strcmp(in.vocab_model, "gpt2") == 0 ? ", pre-tokenizer " : "",
			strcmp(in.vocab_model, "gpt2") == 0 ? in.vocab_pre : "");
		printf("chat template %s\n", in.chat_family[0] ? in.chat_family :
			eng_model_chat_template(m) ? "(not recognised)" : "(none)");
	}
	eng_model_free(m);
	return HX_EXIT_OK;
}
