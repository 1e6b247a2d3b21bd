/* suites/quality.c — the `quality` measurement of a local model: perplexity over a text in
 * windows of n_ctx tokens, scoring the second half of each window (as llama-perplexity does),
 * and, against a baseline run's saved top-k log-probabilities, KL divergence (mean, median,
 * p99), same-top-token rate and RMS of the change in the correct token's probability. It needs
 * logits, which the provider interface does not carry, so it drives the engine directly through
 * engine/engine.h (local GGUF targets only). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "suites/suite.h"

/* The built-in text, written for this project (datasets/quality/README.md): plain English
 * prose, so a small model trained on stories sees ordinary words and sentences. */
static const char builtin_text[] =
	"The lighthouse keeper on the north point had a cat called Pebble and a kettle that "
	"whistled out of tune. Every morning he climbed the hundred and twelve steps, wiped the "
	"great lens with a soft cloth, and wrote the weather in a blue book. The sea was grey on "
	"most days and green on the good ones. Pebble slept in the window where the sun came in.\n"
	"One autumn a girl named Ada came to stay with him while her mother was away. She was nine "
	"and she asked a great many questions. Why does the light turn? Why is the glass so thick? "
	"Who lived here before you? The keeper answered what he could and said he did not know "
	"when he did not. Ada liked that. She wrote the answers in a notebook of her own.\n"
	"On the third day a storm came from the west. The wind pushed at the door and the rain ran "
	"sideways across the windows. Ada was afraid at first, but the keeper showed her how the "
	"light kept turning no matter how hard the wind blew. Ships far out on the water could see "
	"it, he said, and they would know where the rocks were. Ada watched the beam sweep over the "
	"waves until she was not afraid any more.\n"
	"In the morning the storm had gone. The beach was covered with weed and driftwood and one "
	"small wooden box. Ada found it half buried in the sand. Inside there was a brass key, a "
	"folded map and a button with an anchor on it. The keeper turned the map over in his hands "
	"and said it showed the old path along the cliff, the one nobody had walked for years.\n"
	"They walked it together that afternoon. The path was narrow and the grass was long, and "
	"twice they had to climb over fallen stones. At the end of the path there was a little "
	"stone hut with a green door. The key fit the lock. Inside were shelves of jars, a table, "
	"two chairs and a window that looked straight out to sea. On the table lay a letter.\n"
	"The letter was from the first keeper of the lighthouse, written long ago. He had built the "
	"hut as a place to rest when his watch was over. He hoped that whoever found the key would "
	"look after it, and would sit by the window sometimes and think of the ships. Ada read the "
	"letter twice. Then she folded it and put it back where it had been.\n"
	"For the rest of her stay Ada went to the hut every day. She swept the floor and cleaned "
	"the window and brought flowers in a jar. The keeper mended the door. Pebble followed them "
	"along the path and sat in the sun on the step. When it rained they stayed in the "
	"lighthouse and Ada learned to read the barometer and to trim the wick of the old lamp.\n"
	"When her mother came to take her home, Ada gave the keeper her notebook. It was full of "
	"questions and answers and small drawings of the lens, the cat and the hut with the green "
	"door. He put it on the shelf beside the blue weather book. The next summer Ada came back, "
	"and the summer after that, and every year she added a page.\n"
	"Years later, when the keeper was old, Ada became the keeper herself. She climbed the "
	"hundred and twelve steps every morning and wiped the lens and wrote the weather. On quiet "
	"evenings she walked the cliff path to the hut and sat by the window. Far out on the water "
	"the ships went by, and the light turned over them, and they knew where the rocks were.\n"
	"A baker in the village at the foot of the hill made bread for everyone who lived there. "
	"He got up before the sun, lit the oven and mixed flour, water, salt and yeast in a wide "
	"wooden bowl. While the dough rose he swept the shop and set out the baskets. By the time "
	"the first light came over the roofs the whole street smelled of warm bread.\n"
	"His daughter Mira helped on market days. She counted the change and tied the cakes up with "
	"string. She was quick with numbers and slow to smile, but the children liked her because "
	"she always kept the broken biscuits for them. One morning a boy came in with no money at "
	"all and asked if he could work for a loaf. Mira looked at her father, and her father "
	"nodded, and the boy carried flour sacks until noon.\n"
	"The boy came back the next day, and the day after. His name was Tom and he lived with his "
	"grandmother on the far side of the river. He learned to shape the loaves and to tell by "
	"the sound when the bread was done. In the spring the baker gave him a key to the back door "
	"and a small wage, and Tom bought his grandmother a warm coat.\n"
	"When the river flooded that year the bridge was closed for a week. Tom could not get to "
	"the bakery and the baker could not get bread to the houses across the water. So Tom and "
	"Mira made a plan. They tied the loaves in cloth, put them in a tin bath and pulled it "
	"across on a rope at the narrow place below the mill. Nobody on the far side went hungry.\n"
	"The village remembered the tin bath for a long time. When the new bridge was built the "
	"mayor asked the baker to bake a loaf as long as a table for the opening. Tom and Mira "
	"shaped it together and carried it down the street on a plank, and everyone had a piece.\n";

typedef struct qbase_hdr {
	char magic[4];            /* "TBQL" */
	uint32_t version;         /* 1 */
	uint32_t n_ctx, n_vocab, top_k;
	uint32_t pad;
	uint64_t n_scored;        /* scored tokens, records that follow */
	uint64_t text_hash;       /* FNV-1a over the evaluated token ids */
} qbase_hdr;

/* One scored token of a baseline: the correct token's log-probability, then the top_k token
 * ids and their log-probabilities (descending). */
#define QBASE_MAX_K 64

suite_quality_opts suite_quality_opts_default(void)
{
	suite_quality_opts o;

	memset(&o, 0, sizeof o);
	o.n_ctx = 256;
	o.top_k = 8;
	return o;
}

static char *read_text(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f;
	char *buf;
	long n;

	if (!path) {
		*len = sizeof builtin_text - 1;
		buf = malloc(*len + 1);
		if (buf)
			memcpy(buf, builtin_text, *len + 1);
		return buf;
	}
	if (!(f = fopen(path, "rb"))) {
		snprintf(err, errlen, "%s: cannot open", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || n > (1L << 30) || fseek(f, 0, SEEK_SET)) {
		snprintf(err, errlen, "%s: cannot read (or larger than 1 GiB)", path);
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		snprintf(err, errlen, "%s: cannot read", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = 0;
	*len = (size_t)n;
	fclose(f);
	return buf;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Indices of the k largest values of lp[0..n) in descending order, into ids. */
static void top_k(const float *lp, int n, int k, int32_t *ids)
{
	int m = 0;

	for (int v = 0; v < n; v++) {
		if (m == k && lp[v] <= lp[ids[k - 1]])
			continue;
		int j = m < k ? m++ : k - 1;
		while (j > 0 && lp[ids[j - 1]] < lp[v]) {
			ids[j] = ids[j - 1];
			j--;
		}
		ids[j] = v;
	}
}

int suite_quality_run(const suite_quality_opts *o, suite_quality_result *res, char *err, size_t errlen)
{
	eng_opts eo = eng_opts_default();
	eng_ctx_params cp = eng_ctx_params_default();
	eng_model *m = NULL;
	eng_ctx *c = NULL;
	char *text = NULL;
	size_t text_len = 0;
	int32_t *toks = NULL, *pos = NULL, *ids = NULL;
	int8_t *want = NULL;
	float *lp = NULL, *rec = NULL;
	double *klds = NULL, nll = 0, nll2 = 0, dp2 = 0;
	FILE *save = NULL, *base = NULL;
	char save_tmp[4096] = "";   /* the baseline is written here, renamed when whole */
	qbase_hdr bh;
	uint64_t hash = 1469598103934665603ull, n_scored = 0, n_same = 0;
	long n_tok, n_chunk;
	int rc = SUITE_EINVAL, n_vocab, K, first, bos;
	size_t rec_floats;

	memset(res, 0, sizeof *res);
	if (!o || !o->model_path || o->n_ctx < 8 || o->top_k < 1 || o->top_k > QBASE_MAX_K) {
		snprintf(err, errlen, "quality: need a model path, n_ctx >= 8 and top_k in 1..%d", QBASE_MAX_K);
		return SUITE_EINVAL;
	}
	K = o->top_k;
	if (!(text = read_text(o->text_path, &text_len, err, errlen)))
		return SUITE_EINVAL;
	eo.n_threads = o->n_threads;
	if (!(m = eng_load(o->model_path, &eo, err, errlen)))
		goto fail;
	n_vocab = eng_n_vocab(m);
	bos = eng_token_bos(m);
	n_tok = eng_tokenize(m, text, text_len, 1, 0, NULL, 0);
	if (n_tok < 0 || !(toks = malloc(sizeof *toks * (size_t)(n_tok + 1))) ||
	    eng_tokenize(m, text, text_len, 1, 0, toks, (int)n_tok + 1) != n_tok) {
		snprintf(err, errlen, "%s: cannot tokenize the text", o->model_path);
		goto fail;
	}
	n_chunk = n_tok / o->n_ctx;
	if (o->max_chunks > 0 && n_chunk > o->max_chunks)
		n_chunk = o->max_chunks;
	if (n_chunk < 1) {
		snprintf(err, errlen, "%s: text has %ld tokens, fewer than one window of %d",
			o->text_path ? o->text_path : "built-in text", n_tok, o->n_ctx);
		goto fail;
	}
	cp.n_ctx = cp.n_batch = cp.n_outputs = o->n_ctx;
	cp.n_threads = o->n_threads;
	cp.kv_type = ENG_KV_F32;
	if (!(c = eng_ctx_new(m, &cp, err, errlen)))
		goto fail;
	first = o->n_ctx / 2;
	rec_floats = 1 + 2 * (size_t)K;   /* logp(correct), K ids (as int32 bits), K logps */
	pos = malloc(sizeof *pos * (size_t)o->n_ctx);
	want = malloc((size_t)o->n_ctx);
	lp = malloc(sizeof *lp * (size_t)n_vocab);
	ids = malloc(sizeof *ids * (size_t)K);
	rec = malloc(sizeof *rec * rec_floats);
	klds = malloc(sizeof *klds * (size_t)n_chunk * (size_t)(o->n_ctx - first));
	if (!pos || !want || !lp || !ids || !rec || !klds) {
		rc = SUITE_ENOMEM;
		snprintf(err, errlen, "quality: out of memory");
		goto fail;
	}
	for (int i = 0; i < o->n_ctx; i++) {
		pos[i] = i;
		want[i] = i >= first;
	}
	for (long ch = 0; ch < n_chunk; ch++)
		for (int i = 0; i < o->n_ctx; i++)
			hash = (hash ^ (uint32_t)toks[ch * o->n_ctx + i]) * 1099511628211ull;

	if (o->baseline_path) {
		if (!(base = fopen(o->baseline_path, "rb")) || fread(&bh, sizeof bh, 1, base) != 1 ||
		    memcmp(bh.magic, "TBQL", 4) != 0 || bh.version != 1) {
			snprintf(err, errlen, "%s: not a quality baseline file", o->baseline_path);
			goto fail;
		}
		if ((int)bh.n_ctx != o->n_ctx || (int)bh.n_vocab != n_vocab || (int)bh.top_k != K ||
		    bh.text_hash != hash ||
		    bh.n_scored != (uint64_t)n_chunk * (uint64_t)(o->n_ctx - first - 1)) {
			snprintf(err, errlen, "%s: baseline was made with another text, context (%u), vocabulary "
				"(%u), top_k (%u) or chunk count", o->baseline_path, bh.n_ctx, bh.n_vocab, bh.top_k);
			goto fail;
		}
	}
	if (o->save_baseline_path) {
		bh = (qbase_hdr){ { 'T', 'B', 'Q', 'L' }, 1, (uint32_t)o->n_ctx, (uint32_t)n_vocab, (uint32_t)K, 0,
			(uint64_t)n_chunk * (uint64_t)(o->n_ctx - first - 1), hash };
		if ((size_t)snprintf(save_tmp, sizeof save_tmp, "%s.tmp", o->save_baseline_path) >=
		    sizeof save_tmp) {
			save_tmp[0] = '\0';
			snprintf(err, errlen, "%s: path too long", o->save_baseline_path);
			goto fail;
		}
		if (!(save = fopen(save_tmp, "wb")) || fwrite(&bh, sizeof bh, 1, save) != 1) {
			snprintf(err, errlen, "%s: cannot write", o->save_baseline_path);
			goto fail;
		}
	}

	for (long ch = 0; ch < n_chunk; ch++) {
		int32_t *t = toks + ch * o->n_ctx;
		int32_t saved0 = t[0];
		eng_batch b = { o->n_ctx, t, pos, NULL, want };
		int drc;

		if (bos >= 0)
			t[0] = bos;   /* each window starts with BOS, as llama-perplexity does */
		eng_kv_remove(c, -1, 0, -1);
		drc = eng_decode(c, &b);
		t[0] = saved0;
		if (drc != 0) {
			snprintf(err, errlen, "%s: decode failed in window %ld: %s", o->model_path, ch, eng_strerror(drc));
			goto fail;
		}
		for (int j = first; j < o->n_ctx - 1; j++) {
			const float *lg = eng_logits(c, j);
			double mx = -INFINITY, sum = 0, lse;
			int32_t next = t[j + 1];

			for (int v = 0; v < n_vocab; v++)
				mx = lg[v] > mx ? lg[v] : mx;
			for (int v = 0; v < n_vocab; v++)
				sum += exp((double)lg[v] - mx);
			lse = mx + log(sum);
			for (int v = 0; v < n_vocab; v++)
				lp[v] = (float)((double)lg[v] - lse);
			nll -= lp[next];
			nll2 += (double)lp[next] * lp[next];
			if (save) {
				top_k(lp, n_vocab, K, ids);
				rec[0] = lp[next];
				for (int k = 0; k < K; k++) {
					memcpy(&rec[1 + k], &ids[k], sizeof ids[k]);
					rec[1 + K + k] = lp[ids[k]];
				}
				if (fwrite(rec, sizeof *rec, rec_floats, save) != rec_floats) {
					snprintf(err, errlen, "%s: cannot write", o->save_baseline_path);
					goto fail;
				}
			}
			if (base) {
				double p_in = 0, q_in = 0, kl = 0, p_rest, q_rest, dp;
				int best = 0;

				if (fread(rec, sizeof *rec, rec_floats, base) != rec_floats) {
					snprintf(err, errlen, "%s: truncated", o->baseline_path);
					goto fail;
				}
				for (int k = 0; k < K; k++) {
					int32_t id;
					double p, q;
					memcpy(&id, &rec[1 + k], sizeof id);
					if (id < 0 || id >= n_vocab) {
						snprintf(err, errlen, "%s: token id %d out of range", o->baseline_path, id);
						goto fail;
					}
					p = exp((double)rec[1 + K + k]);
					q = exp((double)lp[id]);
					p_in += p;
					q_in += q;
					kl += p * ((double)rec[1 + K + k] - (double)lp[id]);
				}
				/* the mass outside the baseline's top k, as one bucket */
				p_rest = 1.0 - p_in;
				q_rest = 1.0 - q_in;
				if (p_rest > 1e-12 && q_rest > 1e-12)
					kl += p_rest * log(p_rest / q_rest);
				klds[n_scored] = kl > 0 ? kl : 0;
				for (int v = 1; v < n_vocab; v++)
					if (lp[v] > lp[best])
						best = v;
				{
					int32_t base_top;
					memcpy(&base_top, &rec[1], sizeof base_top);
					n_same += best == base_top;
				}
				dp = exp((double)lp[next]) - exp((double)rec[0]);
				dp2 += dp * dp;
			}
			n_scored++;
		}
	}
	res->n_tokens = (long)n_scored;
	res->n_chunks = n_chunk;
	{
		double mean = nll / (double)n_scored, var = nll2 / (double)n_scored - mean * mean;
		res->ppl = exp(mean);
		res->ppl_err = n_scored > 1 && var > 0 ? res->ppl * sqrt(var / (double)(n_scored - 1)) : 0;
	}
	if (base) {
		double s = 0;
		for (uint64_t i = 0; i < n_scored; i++)
			s += klds[i];
		qsort(klds, (size_t)n_scored, sizeof *klds, cmp_double);
		res->has_baseline = 1;
		res->kld_mean = s / (double)n_scored;
		res->kld_median = klds[n_scored / 2];
		res->kld_p99 = klds[(size_t)((double)(n_scored - 1) * 0.99)];
		res->same_top = (double)n_same / (double)n_scored;
		res->rms_dp = sqrt(dp2 / (double)n_scored);
	}
	if (save && (fclose(save) != 0 || rename(save_tmp, o->save_baseline_path) != 0)) {
		save = NULL;
		snprintf(err, errlen, "%s: cannot write", o->save_baseline_path);
		goto fail;
	}
	save = NULL;
	save_tmp[0] = '\0';
	rc = SUITE_OK;
fail:
	if (save)
		fclose(save);
	if (save_tmp[0])   /* an unfinished baseline is never left where a later run would read it */
		unlink(save_tmp);
	if (base)
		fclose(base);
	free(klds);
	free(rec);
	free(ids);
	free(lp);
	free(want);
	free(pos);
	free(toks);
	free(text);
	eng_ctx_free(c);
	eng_model_free(m);
	return rc;
}
