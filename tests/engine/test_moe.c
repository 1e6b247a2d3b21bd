/* tests/engine/test_moe.c — the mixture-of-experts forward pass (qwen3moe, qwen2moe) against
 * reference outputs from ik_llama.cpp (the .ref.json files in tests/fixtures/moe) on small random-weight
 * models that tools/mkbench writes at test time, byte for byte the files the references were
 * made from (their sha256 is checked first); batched and one-at-a-time decoding give the same
 * logits; a file whose experts disagree with its metadata is refused with the tensor's name. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"
#include "engine/gguf_impl.h"
#include "engine/quant_impl.h"
#include "harness/harness.h"
#include "test.h"
#include "refcheck.h"

/* Logit tolerance by file, about 1.5x the largest error measured against the reference over
 * all 32 steps (docs/engine.md, mixture of experts): F16 2.0e-3 (qwen3moe) and 3.6e-3
 * (qwen2moe); Q8_0 4.0e-2 and 4.2e-2; Q4_K_M 5.9e-2 and 1.45e-1. The quantized files differ more
 * because the reference rounds the activations of its 8-bit products in its own layout. */
static const tol_row TOLS[] = {
	{ "qwen3moe-test-F16", 3e-3 },
	{ "qwen2moe-test-F16", 6e-3 },
	{ "-Q8_0", 0.065 },
	{ "qwen3moe-test-Q4_K_M", 0.085 },
	{ "qwen2moe-test-Q4_K_M", 0.21 },
};

static char model_dir[256];

/* Every test model, written once (tools/mkbench: both shapes in F16, Q8_0 and Q4_K_M). */
static int make_models(void)
{
	static const char *const shapes[] = { "qwen3moe-test", "qwen2moe-test" };
	return ref_make_models(model_dir, "moe", shapes, 2, "F16 Q8_0 Q4_K_M");
}

static void test_moe_matches_the_reference_on_every_file(void)
{
	TB_REQUIRE(make_models() == 0);
	ref_check_dir("tests/fixtures/moe", model_dir, 6, TOLS, sizeof TOLS / sizeof TOLS[0]);
}

/* The prompt decoded in one batch, in batches of 3 and token by token: the same logits, bit for
 * bit (the experts' grouping of a batch must not change a token's result); and the same again
 * with the weights computed from the file mapping, whose experts keep the file's layout, where
 * the default copy has its Q4_K experts repacked (R16) at the AVX-512 level (the log's count
 * includes them: 4 layers x gate and up, besides the dense matrices). */
static void test_moe_batch_composition_does_not_change_logits(void)
{
	static const char *const names[] = { "qwen3moe-test-Q4_K_M.gguf", "qwen2moe-test-Q8_0.gguf" };

	TB_REQUIRE(make_models() == 0);
	for (size_t f = 0; f < 2; f++) {
		float *ref = NULL;

		for (int mmap_mode = 0; mmap_mode < 2; mmap_mode++) {
			static const int32_t ids[12] = { 1, 259, 82, 273, 368, 306, 275, 689, 286, 305, 532, 264 };
			char path[600], err[512];
			eng_model *m;
			eng_opts o = eng_opts_default();
			int nv, n_rp = 0;

			o.use_mmap = mmap_mode;
			snprintf(path, sizeof path, "%s/%s", model_dir, names[f]);
			eng_log_set(ref_repack_count, &n_rp, ENG_LOG_INFO);
			m = eng_load(path, &o, err, sizeof err);
			eng_log_set(NULL, NULL, ENG_LOG_WARN);
			TB_REQUIRE(m != NULL);
			if (f == 0 && !mmap_mode && eng_rp_native(ENG_T_Q4_K, 256))
				TB_CHECK(n_rp >= 8);
			nv = eng_n_vocab(m);
			for (int step = 12; step >= 1; step = step == 12 ? 3 : step - 2) {
				float *got = malloc(sizeof(float) * 12 * (size_t)nv);

				TB_REQUIRE(got && ref_decode_all(m, ids, 12, step, got) == 0);
				if (!ref)
					ref = got;
				else {
					TB_CHECK(memcmp(ref, got, sizeof(float) * 12 * (size_t)nv) == 0);
					free(got);
				}
			}
			eng_model_free(m);
		}
		free(ref);
	}
}

static void test_moe_refuses_experts_that_disagree_with_the_metadata(void)
{
	char src[600], dst[600], err[512];
	eng_gguf *g;
	eng_gguf_writer *w;
	eng_model *m;

	TB_REQUIRE(make_models() == 0);
	snprintf(src, sizeof src, "%s/qwen3moe-test-F16.gguf", model_dir);
	snprintf(dst, sizeof dst, "%s/bad.gguf", model_dir);
	for (int k = 0; k < 2; k++) {
		TB_REQUIRE((g = eng_gguf_open(src, err, sizeof err)) != NULL);
		TB_REQUIRE(eng_gguf_load_data(g, 0, err, sizeof err) == 0);
		TB_REQUIRE((w = eng_gguf_writer_new()) != NULL);
		TB_REQUIRE(eng_gguf_w_copy_kv(w, g) == 0);
		if (k == 0)
			eng_gguf_w_u32(w, "qwen3moe.expert_count", 8);
		else
			eng_gguf_w_u32(w, "qwen3moe.expert_used_count", 17);
		for (int64_t i = 0; i < eng_gguf_n_tensors(g); i++) {
			const eng_gguf_tensor *t = eng_gguf_tensor_at(g, i);

			TB_REQUIRE(eng_gguf_w_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data) == 0);
		}
		TB_REQUIRE(eng_gguf_writer_save(w, dst, err, sizeof err) == 0);
		eng_gguf_writer_free(w);
		eng_gguf_close(g);
		m = eng_load(dst, NULL, err, sizeof err);
		TB_CHECK(m == NULL);
		printf("  %s\n", err);
		if (k == 0)
			TB_CHECK(strstr(err, "blk.0.ffn_gate_inp.weight") != NULL);
		else
			TB_CHECK(strstr(err, "expert_used_count") != NULL);
		eng_model_free(m);
	}
	unlink(dst);
}

/* A model larger than the memory left is refused before its weights are copied, with a message
 * that names the sizes and suggests --mmap (here the room is an address-space limit set in a
 * child: what the process maps already, the file's own mapping and 8 MiB; the F16 file's
 * weights need 17 MB more). */
static void test_model_larger_than_the_memory_left_is_refused_with_a_hint(void)
{
#if defined(__SANITIZE_ADDRESS__)
	TB_SKIP("an address-space limit and ASan's shadow memory do not mix");
#else
	char path[600], err[512] = "";
	int fd[2], st;
	pid_t pid;
	ssize_t got;

	TB_REQUIRE(make_models() == 0);
	snprintf(path, sizeof path, "%s/qwen2moe-test-F16.gguf", model_dir);
	TB_REQUIRE(pipe(fd) == 0);
	pid = fork();
	TB_REQUIRE(pid >= 0);
	if (pid == 0) {
		FILE *f = fopen("/proc/self/status", "r");
		char line[256], e[512];
		unsigned long long kb = 0;
		struct rlimit rl;
		struct stat sb;
		off_t size = stat(path, &sb) == 0 ? sb.st_size : 0;
		eng_model *m;

		while (f && fgets(line, sizeof line, f))
			if (sscanf(line, "VmSize: %llu kB", &kb) == 1)
				break;
		if (f)
			fclose(f);
		/* room for the file's own mapping and 8 MiB more, not for a copy of the weights */
		rl.rlim_cur = rl.rlim_max = (rlim_t)(kb * 1024 + (uint64_t)size + (8ull << 20));
		if (!kb || setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(2);
		m = eng_load(path, NULL, e, sizeof e);
		if (m)
			_exit(3);
		if (write(fd[1], e, strlen(e)) < 0)
			_exit(4);
		_exit(0);
	}
	close(fd[1]);
	got = read(fd[0], err, sizeof err - 1);
	close(fd[0]);
	TB_REQUIRE(waitpid(pid, &st, 0) == pid);
	TB_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	TB_REQUIRE(got > 0);
	err[got] = 0;
	printf("  %s\n", err);
	TB_CHECK(strstr(err, "qwen2moe-test-F16.gguf: the weights need") != NULL);
	TB_CHECK(strstr(err, "--mmap") != NULL);
#endif
}

/* eng_kv_copy: a sequence copied after its prompt continues exactly as the original
 * (refcheck.h's ref_check_kv_copy) on qwen2moe-test-Q8_0.gguf, qwen3moe-test-F16.gguf. */
static void test_moe_copied_sequence_continues_as_the_original(void)
{
	static const char *const names[] = { "qwen2moe-test-Q8_0.gguf", "qwen3moe-test-F16.gguf" };

	TB_REQUIRE(make_models() == 0);
	ref_check_kv_copy_files(model_dir, names, sizeof names / sizeof names[0]);
}

int main(void)
{
	TB_RUN(test_moe_matches_the_reference_on_every_file);
	TB_RUN(test_moe_batch_composition_does_not_change_logits);
	TB_RUN(test_moe_refuses_experts_that_disagree_with_the_metadata);
	TB_RUN(test_model_larger_than_the_memory_left_is_refused_with_a_hint);
	TB_RUN(test_moe_copied_sequence_continues_as_the_original);
	if (model_dir[0])
		tb_rmtree(model_dir);
	return tb_test_end();
}
