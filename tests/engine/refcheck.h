/* tests/engine/refcheck.h — checks the engine against a reference file (*.ref.json: prompt ids,
 * teacher-forced top-10 logits and log-sum-exp at each step, free-running greedy tokens), for the
 * engine's test programs. Header-only, static functions; include after test.h. */
#ifndef TB_REFCHECK_H
#define TB_REFCHECK_H

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"
#include "engine/gguf_impl.h"
#include "harness/harness.h"   /* hx_sha256_hex */

static int json_ints(const cJSON *arr, int32_t *out, int cap)
{
	int n = 0;
	const cJSON *it;

	cJSON_ArrayForEach(it, arr) {
		if (n < cap)
			out[n] = (int32_t)it->valuedouble;
		n++;
	}
	return n;
}

static double logsumexp(const float *l, int n)
{
	double mx = -INFINITY, s = 0;

	for (int i = 0; i < n; i++)
		if (l[i] > mx)
			mx = l[i];
	for (int i = 0; i < n; i++)
		s += exp((double)l[i] - mx);
	return mx + log(s);
}

static int argmax(const float *l, int n)
{
	int best = 0;

	for (int i = 1; i < n; i++)
		if (l[i] > l[best])
			best = i;
	return best;
}

typedef struct ref_stats {
	int steps, greedy_match, greedy_checked;
	double max_err;
	int stopped_at_tie;          /* the step at a routing near tie where the comparison stopped, or -1 */
} ref_stats;

static int ref_int_in(const int32_t *v, int n, int x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

/* Checks one reference file against the model it names (model_file, in model_dir, or beside
 * the reference file when NULL); returns 0 when every comparison is within tol. A file may list
 * route_near_tie_steps: steps whose own position had a routing decision of the reference within
 * a small margin of a tie (a top-1 router, where a rounding difference picks the other expert
 * and changes that step's logits wholesale). At such a step a difference past tol ends the
 * comparison instead of failing it (the two models' states part there): st->stopped_at_tie
 * says where, and st->steps counts the steps compared before it. */
static int check_ref(const char *ref_path, const char *model_dir, double tol, ref_stats *st)
{
	char *txt = tb_slurp(ref_path, NULL), model_path[1024], err[512];
	cJSON *j = txt ? cJSON_Parse(txt) : NULL;
	const cJSON *mf, *topk, *step;
	int32_t prompt[64], gen[64], ids[64], ties[64];
	int n_prompt, n_gen, n_ids, n_ties, fails = 0, nv, s;
	eng_model *m = NULL;
	eng_ctx *c = NULL;
	const char *slash;
	eng_ctx_params cp = eng_ctx_params_default();

	memset(st, 0, sizeof *st);
	st->stopped_at_tie = -1;
	if (!j) {
		printf("  %s: cannot read\n", ref_path);
		free(txt);
		return -1;
	}
	mf = cJSON_GetObjectItem(j, "model_file");
	slash = strrchr(ref_path, '/');
	if (model_dir)
		snprintf(model_path, sizeof model_path, "%s/%s", model_dir, cJSON_GetStringValue(mf));
	else
		snprintf(model_path, sizeof model_path, "%.*s/%s", (int)(slash - ref_path), ref_path,
			cJSON_GetStringValue(mf));
	m = eng_load(model_path, NULL, err, sizeof err);
	if (!m) {
		printf("  %s: %s\n", ref_path, err);
		fails++;
		goto done;
	}
	nv = eng_n_vocab(m);
	n_prompt = json_ints(cJSON_GetObjectItem(j, "prompt_ids"), prompt, 64);
	n_gen = json_ints(cJSON_GetObjectItem(j, "generated_ids"), gen, 64);
	n_ties = json_ints(cJSON_GetObjectItem(j, "route_near_tie_steps"), ties, 64);
	if (n_ties > 64)
		n_ties = 64;
	{
		const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(j, "prompt"));

		n_ids = eng_tokenize(m, p, strlen(p), 1, 1, ids, 64);
		if (n_ids != n_prompt || memcmp(ids, prompt, sizeof(int32_t) * (size_t)n_ids) != 0) {
			printf("  %s: prompt ids differ (%d vs %d tokens)\n", ref_path, n_ids, n_prompt);
			fails++;
		}
	}

	/* Teacher forcing: the prompt, then each reference token; compare every step. */
	cp.n_ctx = 128;
	c = eng_ctx_new(m, &cp, err, sizeof err);
	if (!c) {
		printf("  %s: %s\n", ref_path, err);
		fails++;
		goto done;
	}
	topk = cJSON_GetObjectItem(j, "topk");
	s = 0;
	cJSON_ArrayForEach(step, topk) {
		eng_batch b = { 0 };
		const float *lg;
		const cJSON *rid = cJSON_GetObjectItem(step, "ids"), *rl = cJSON_GetObjectItem(step, "logits");
		double lse = cJSON_GetObjectItem(step, "logsumexp")->valuedouble, e;
		int k = 0, f0 = fails;
		double e0 = st->max_err;

		if (s == 0) {
			b.n = n_prompt;
			b.token = prompt;
		} else {
			b.n = 1;
			b.token = &gen[s - 1];
		}
		if (eng_decode(c, &b) != 0 || !(lg = eng_logits(c, b.n - 1))) {
			printf("  %s: decode failed at step %d\n", ref_path, s);
			fails++;
			break;
		}
		e = fabs(logsumexp(lg, nv) - lse);
		if (e > st->max_err)
			st->max_err = e;
		if (e > tol) {
			printf("  %s: step %d: logsumexp %.6f vs %.6f\n", ref_path, s, logsumexp(lg, nv), lse);
			fails++;
		}
		for (k = 0; k < cJSON_GetArraySize(rid); k++) {
			int id = (int)cJSON_GetArrayItem(rid, k)->valuedouble;
			double want = cJSON_GetArrayItem(rl, k)->valuedouble;

			e = fabs(lg[id] - want);
			if (e > st->max_err)
				st->max_err = e;
			if (e > tol) {
				printf("  %s: step %d: logit[%d] %.6f vs %.6f\n", ref_path, s, id, lg[id], want);
				fails++;
			}
		}
		if (fails > f0 && ref_int_in(ties, n_ties, s)) {
			printf("  %s: step %d: the reference's routing was near a tie here: compared up to it\n",
				ref_path, s);
			fails = f0;
			st->max_err = e0;
			st->stopped_at_tie = s;
			break;
		}
		s++;
		if (s > n_gen)
			break;
	}
	st->steps = s;
	eng_ctx_free(c);

	/* Free-running greedy decoding: identical while the reference's top-2 gap exceeds tol. */
	c = eng_ctx_new(m, &cp, err, sizeof err);
	if (c) {
		eng_batch b = { 0 };
		int32_t tok;

		b.n = n_prompt;
		b.token = prompt;
		for (s = 0; s < n_gen; s++) {
			const cJSON *rl = cJSON_GetObjectItem(cJSON_GetArrayItem(topk, s), "logits");
			double gap = cJSON_GetArrayItem(rl, 0)->valuedouble - cJSON_GetArrayItem(rl, 1)->valuedouble;

			if (eng_decode(c, &b) != 0) {
				fails++;
				break;
			}
			tok = argmax(eng_logits(c, b.n - 1), nv);
			if (tok != gen[s]) {
				if (gap > tol && !ref_int_in(ties, n_ties, s)) {
					printf("  %s: greedy step %d: %d vs %d (gap %.6f)\n", ref_path, s, tok, gen[s], gap);
					fails++;
				}
				break;   /* a near tie went the other way: the sequences part here */
			}
			st->greedy_match++;
			b.n = 1;
			b.token = &tok;
		}
		st->greedy_checked = n_gen;
	}
done:
	eng_ctx_free(c);
	eng_model_free(m);
	cJSON_Delete(j);
	free(txt);
	return fails ? -1 : 0;
}

/* The *.ref.json files in dir, as "dir/name" into out (at most cap); returns the count. */
static int ref_files(const char *dir, char out[][512], int cap)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l > 9 && strcmp(e->d_name + l - 9, ".ref.json") == 0 && n < cap &&
		    strlen(dir) + l + 2 <= 512)
			snprintf(out[n++], 512, "%.300s/%.200s", dir, e->d_name);
	}
	closedir(d);
	return n;
}

/* A logit tolerance for the reference files whose path contains file_part. */
typedef struct tol_row { const char *file_part; double tol; } tol_row;

/* The tolerance of the first row of rows[n] whose file_part is in path, else 0.2. */
static inline double ref_tol(const tol_row *rows, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(path, rows[i].file_part))
			return rows[i].tol;
	return 0.2;
}

/* Checks every reference file of fix_dir (expect of them) against the models in model_dir,
 * after checking each model's sha256 against the file's model_sha256, with the tolerances of
 * rows[n_rows]; at least 32 steps each. Reports through the TB_ checks of test.h. */
static inline void ref_check_dir(const char *fix_dir, const char *model_dir, int expect, const tol_row *rows,
	size_t n_rows)
{
	static char files[16][512];
	int n = ref_files(fix_dir, files, 16);

	TB_CHECK_INT(n, expect);
	for (int i = 0; i < n; i++) {
		size_t len;
		char *txt = tb_slurp(files[i], NULL), path[600], hex[65] = "", *data;
		cJSON *j = txt ? cJSON_Parse(txt) : NULL;
		const char *want = cJSON_GetStringValue(cJSON_GetObjectItem(j, "model_sha256"));
		ref_stats st;
		int rc;

		snprintf(path, sizeof path, "%s/%s", model_dir,
			cJSON_GetStringValue(cJSON_GetObjectItem(j, "model_file")));
		data = tb_slurp(path, &len);
		TB_CHECK(data != NULL);
		if (data)
			hx_sha256_hex(data, len, hex);
		free(data);
		TB_CHECK(want && strcmp(hex, want) == 0);
		rc = check_ref(files[i], model_dir, ref_tol(rows, n_rows, files[i]), &st);
		printf("  %s: %d steps, max |err| %.2e, greedy %d/%d\n", strrchr(files[i], '/') + 1,
			st.steps, st.max_err, st.greedy_match, st.greedy_checked);
		TB_CHECK(rc == 0);
		TB_CHECK(st.steps >= 32);
		cJSON_Delete(j);
		free(txt);
	}
}

/* Writes the test models of each shape in shapes[n_shapes] (a tools/mkbench --shape name) in the
 * given types ("F16 Q8_0") into a new folder dir[256] ("/tmp/tb_TAG_XXXXXX") with mkbench
 * (TB_MKBENCH, else the release build's), once: a dir already set is kept. 0, or -1 with dir
 * left "" when the folder cannot be made or mkbench fails. Remove the folder with tb_rmtree. */
static inline int ref_make_models(char dir[256], const char *tag, const char *const *shapes, int n_shapes,
	const char *types)
{
	const char *mk = getenv("TB_MKBENCH");
	char cmd[1024];

	if (dir[0])
		return 0;
	snprintf(dir, 256, "/tmp/tb_%s_XXXXXX", tag);
	if (!mkdtemp(dir)) {
		dir[0] = 0;
		return -1;
	}
	if (!mk)
		mk = "build/release/tools/mkbench";
	for (int a = 0; a < n_shapes; a++) {
		snprintf(cmd, sizeof cmd, "%s -j 2 --shape %s %s %s >/dev/null 2>&1", mk, shapes[a], dir, types);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

/* One tensor of a file being rewritten (ref_gguf_rewrite): writes what t becomes into w (nothing:
 * left out); 0, or -1 to fail the rewrite. */
typedef int (*ref_tensor_fn)(eng_gguf_writer *w, const eng_gguf_tensor *t, void *ud);

/* Writes dst: src's metadata, edited by kv (may be NULL), then each of src's tensors through fn
 * (NULL: copied as they are). 0, or -1. */
static inline int ref_gguf_rewrite(const char *src, const char *dst, int (*kv)(eng_gguf_writer *w, void *ud),
	ref_tensor_fn fn, void *ud)
{
	char err[512];
	eng_gguf *g = eng_gguf_open(src, err, sizeof err);
	eng_gguf_writer *w = eng_gguf_writer_new();
	int rc = -1;

	if (!g || !w || eng_gguf_load_data(g, 0, err, sizeof err) != 0 || eng_gguf_w_copy_kv(w, g) != 0 ||
	    (kv && kv(w, ud) != 0))
		goto out;
	for (int64_t i = 0; i < eng_gguf_n_tensors(g); i++) {
		const eng_gguf_tensor *t = eng_gguf_tensor_at(g, i);

		if (fn ? fn(w, t, ud) != 0 : eng_gguf_w_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data) != 0)
			goto out;
	}
	rc = eng_gguf_writer_save(w, dst, err, sizeof err);
out:
	eng_gguf_writer_free(w);
	eng_gguf_close(g);
	return rc;
}

/* eng_log_set callback: the count in the engine's "repacked N matrices" log line into *(int *)ud. */
static inline void ref_repack_count(void *ud, int level, const char *msg)
{
	(void)level;
	if (strncmp(msg, "repacked ", 9) == 0)
		*(int *)ud = atoi(msg + 9);
}

/* Logits of ids[n] (one sequence) decoded in batches of `step` tokens, every token's logits
 * wanted, into out[n][n_vocab], on a new context of 64 cells (128 for n > 64). 0, or -1 (n > 128,
 * no context, a decode error). */
static inline int ref_decode_all(eng_model *m, const int32_t *ids, int n, int step, float *out)
{
	char err[512];
	int8_t want[128];
	int nv = eng_n_vocab(m);
	eng_ctx_params cp = eng_ctx_params_default();
	eng_ctx *c;

	cp.n_ctx = n > 64 ? 128 : 64;
	cp.n_outputs = n;
	if (n > 128 || !(c = eng_ctx_new(m, &cp, err, sizeof err)))
		return -1;
	for (int i = 0; i < n; i++)
		want[i] = 1;
	for (int i = 0; i < n; i += step) {
		eng_batch b = { 0 };
		int k = i + step <= n ? step : n - i;

		b.n = k;
		b.token = ids + i;
		b.want_logits = want;
		if (eng_decode(c, &b) != 0) {
			eng_ctx_free(c);
			return -1;
		}
		for (int t = 0; t < k; t++)
			memcpy(out + (size_t)(i + t) * (size_t)nv, eng_logits(c, t), sizeof(float) * (size_t)nv);
	}
	eng_ctx_free(c);
	return 0;
}

/* eng_kv_copy: a prompt of NP tokens decoded once into sequence 0 and copied into sequences 1
 * and 2 (2 held 20 other tokens before, so the copy replaces a longer cache), then NT more tokens
 * decoded into all three in one interleaved batch: every sequence's logits equal, bit for bit,
 * those of the prompt and the continuation decoded alone (ref_decode_all, batches of 1). */
static inline void ref_check_kv_copy(eng_model *m)
{
	enum { NP = 9, NT = 5 };
	char err[512];
	int nv = eng_n_vocab(m);
	int32_t ids[NP + NT], junk[20], tok[3 * NT], seq[3 * NT];
	int8_t want[20];          /* the largest batch below: 20 tokens of sequence 2 */
	float *alone = malloc(sizeof(float) * (NP + NT) * (size_t)nv);
	eng_ctx_params cp = eng_ctx_params_default();
	eng_ctx *c = NULL;
	eng_batch b = { 0 };
	int same = 1;

	for (int i = 0; i < NP + NT; i++)
		ids[i] = i == 0 ? 1 : 3 + (i * 131 + 17) % (nv - 3);
	for (int i = 0; i < 20; i++)
		junk[i] = 3 + (i * 71 + 5) % (nv - 3);
	TB_REQUIRE(alone && ref_decode_all(m, ids, NP + NT, 1, alone) == 0);
	cp.n_ctx = 64;
	cp.n_seq = 3;
	cp.n_outputs = 3 * NT;
	TB_REQUIRE((c = eng_ctx_new(m, &cp, err, sizeof err)) != NULL);
	memset(want, 0, sizeof want);
	/* the prompt into sequence 0, other tokens into sequence 2 */
	b.n = NP;
	b.token = ids;
	b.want_logits = want;
	TB_REQUIRE(eng_decode(c, &b) == 0);
	b.n = 20;
	b.token = junk;
	b.seq = (int32_t[20]){ 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 };
	TB_REQUIRE(eng_decode(c, &b) == 0);
	TB_CHECK_INT(eng_kv_len(c, 2), 20);
	TB_CHECK_INT(eng_kv_copy(c, 0, 1), ENG_OK);
	TB_CHECK_INT(eng_kv_copy(c, 0, 2), ENG_OK);
	TB_CHECK_INT(eng_kv_copy(c, 0, 3), ENG_EINVAL);
	TB_CHECK_INT(eng_kv_copy(c, -1, 0), ENG_EINVAL);
	TB_CHECK_INT(eng_kv_len(c, 1), NP);
	TB_CHECK_INT(eng_kv_len(c, 2), NP);
	/* the continuation into all three, interleaved */
	for (int t = 0; t < NT; t++)
		for (int s = 0; s < 3; s++) {
			tok[3 * t + s] = ids[NP + t];
			seq[3 * t + s] = s;
			want[3 * t + s] = 1;
		}
	b.n = 3 * NT;
	b.token = tok;
	b.seq = seq;
	TB_REQUIRE(eng_decode(c, &b) == 0);
	for (int t = 0; t < NT; t++)
		for (int s = 0; s < 3; s++)
			same &= memcmp(eng_logits(c, 3 * t + s), alone + (size_t)(NP + t) * (size_t)nv,
				sizeof(float) * (size_t)nv) == 0;
	TB_CHECK(same);
	eng_ctx_free(c);
	free(alone);
}

/* ref_check_kv_copy on each of dir/names[n]. */
static inline void ref_check_kv_copy_files(const char *dir, const char *const *names, size_t n)
{
	for (size_t f = 0; f < n; f++) {
		char path[600], err[512];
		eng_model *m;
		snprintf(path, sizeof path, "%s/%s", dir, names[f]);
		TB_REQUIRE((m = eng_load(path, NULL, err, sizeof err)) != NULL);
		ref_check_kv_copy(m);
		eng_model_free(m);
	}
}

/* Checks that eng_load refuses path with one line that contains want (printed). */
static inline void ref_expect_refused(const char *path, const char *want)
{
	char err[512] = "";
	eng_model *m = eng_load(path, NULL, err, sizeof err);

	TB_CHECK(m == NULL);
	printf("  %s\n", err);
	TB_CHECK(strstr(err, want) != NULL);
	TB_CHECK(strchr(err, '\n') == NULL);
	eng_model_free(m);
}

#endif
