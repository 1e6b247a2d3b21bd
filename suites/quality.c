/* suites/quality.c — the `quality` suite: a text cut into windows, each window one item scored
 * through the provider's log-probability request (PROV_REQ_LOGPROBS) instead of generated. With
 * the target's tokenizer (suite_opts.tokenize) the text is tokenized once with BOS and cut into
 * windows of `window` tokens, each starting with BOS, the second half scored (positions
 * window/2 + 1 .. window - 1), as llama-perplexity does; without one (remote APIs) the windows
 * are cut from the text at about 4 bytes a token and the provider scores the second half of its
 * own tokens. The stored per-token log-probabilities give perplexity, and against another
 * target's samples KL divergence and same-top-token rate (reports/quality.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "suites/suite_impl.h"

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


#define QUALITY_MAX_TEXT_BYTES ((long)1 << 30)

typedef struct window {
	int32_t *tokens;          /* [n_tokens], or NULL for a text window */
	size_t n_tokens;
	char *text;               /* the window's text when there is no tokenizer */
} window;

typedef struct quality {
	window *w;                /* [n_w] */
	size_t n_w;
	int n_ctx, top_k;
} quality;

/* The text to score: the file at path (whole, at most 1 GiB), or the built-in one. */
static char *read_text(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f;
	char *buf;
	tb_buf b;
	int rc;

	if (!path) {
		*len = sizeof builtin_text - 1;
		if ((buf = malloc(*len + 1)))
			memcpy(buf, builtin_text, *len + 1);
		else
			snprintf(err, errlen, "quality: out of memory");
		return buf;
	}
	if (!(f = suite_data_open(path, err, errlen)))
		return NULL;
	/* read as a stream: a compressed file cannot seek */
	tb_buf_init(&b, (size_t)QUALITY_MAX_TEXT_BYTES);
	rc = tb_stream_read(f, &b);
	fclose(f);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, rc == TB_ETOOBIG ? "larger than 1 GiB" :
			 rc == TB_ENOMEM ? "out of memory" : "cannot read");
		tb_buf_release(&b);
		return NULL;
	}
	if (!(buf = tb_buf_detach(&b, len)))
		snprintf(err, errlen, "%s: out of memory", path);
	return buf;
}

static void quality_close(suite *s)
{
	quality *q = s->self;
	if (!q)
		return;
	for (size_t i = 0; i < q->n_w; i++) {
		free(q->w[i].tokens);
		free(q->w[i].text);
	}
	free(q->w);
	free(q);
	s->self = NULL;
}

static int push_window(suite *s, quality *q, size_t cap, window w)
{
	char id[64];
	if (q->n_w == cap)
		return SUITE_ENOMEM;   /* cannot happen: cap counts the most windows the text gives */
	q->w[q->n_w] = w;
	snprintf(id, sizeof id, "ctx%d/w%05zu", q->n_ctx, q->n_w);
	q->n_w++;
	return suite_ids_push(s, id);
}

/* The keys of the quality suite's options object: the window length in tokens (8..1048576,
 * default 256) and the top entries per token it stores, in eights (1..16, default 16: 128
 * entries, all of which the divergence uses). */
static const char *const quality_option_keys[] = { "window", "top_k", NULL };

static int quality_options_check(const cJSON *o, char *key, size_t keylen, char *err,
	size_t errlen)
{
	long v = 0;
	return suite_option_int(o, "window", 8, 1 << 20, &v, key, keylen, err, errlen) ||
		suite_option_int(o, "top_k", 1, PROV_MAX_TOP_K / 8, &v, key, keylen, err, errlen) ? -1 : 0;
}

/* The window and top_k of o's options into q. Returns 0, or -1 with one line in err. */
static int quality_opts_read(const suite_opts *o, quality *q, char *err, size_t errlen)
{
	cJSON *opts = suite_options_parse(o);
	long n_ctx = 256, top_k = PROV_MAX_TOP_K / 8;
	char key[32], why[128];
	int rc = 0;
	if (!opts) {
		snprintf(err, errlen, "quality: out of memory");
		return -1;
	}
	if (suite_option_int(opts, "window", 8, 1 << 20, &n_ctx, key, sizeof key, why, sizeof why) ||
	    suite_option_int(opts, "top_k", 1, PROV_MAX_TOP_K / 8, &top_k, key, sizeof key, why,
		    sizeof why)) {
		snprintf(err, errlen, "quality: options.%s: %s", key, why);
		rc = -1;
	}
	cJSON_Delete(opts);
	q->n_ctx = (int)n_ctx;
	q->top_k = (int)top_k;
	return rc;
}

static int quality_open(suite *s, const suite_opts *o, char *err, size_t errlen)
{
	quality *q = calloc(1, sizeof *q);
	const char *name = o->dataset_path ? o->dataset_path : "built-in text";
	char *text = NULL;
	int32_t *toks = NULL;
	size_t len = 0, cap;
	long n_tok, n_w;
	int rc = -1;

	if (!q) {
		snprintf(err, errlen, "quality: out of memory");
		return -1;
	}
	s->self = q;
	if (quality_opts_read(o, q, err, errlen))
		return -1;
	if (!(text = read_text(o->dataset_path, &len, err, errlen)))
		return -1;
	if (o->tokenize) {
		/* tokenized once with BOS, cut into windows of n_ctx tokens (as llama-perplexity) */
		int32_t bos = -1, one[2];
		if ((n_tok = o->tokenize(o->tokenize_ud, "", one, 2)) == 1)
			bos = one[0];
		n_tok = o->tokenize(o->tokenize_ud, text, NULL, 0);
		if (n_tok < 0 || !(toks = malloc(sizeof *toks * (size_t)(n_tok + 1))) ||
		    o->tokenize(o->tokenize_ud, text, toks, n_tok + 1) != n_tok) {
			snprintf(err, errlen, "quality: %s: cannot tokenize the text", name);
			goto done;
		}
		n_w = n_tok / q->n_ctx;
		if (o->limit > 0 && n_w > o->limit)
			n_w = o->limit;
		if (n_w < 1) {
			snprintf(err, errlen, "quality: %s has %ld tokens, fewer than one window of %d", name,
				n_tok, q->n_ctx);
			goto done;
		}
		cap = (size_t)n_w;
		if (!(q->w = calloc(cap, sizeof *q->w)))
			goto nomem;
		for (long i = 0; i < n_w; i++) {
			window w = { malloc(sizeof *w.tokens * (size_t)q->n_ctx), (size_t)q->n_ctx, NULL };
			if (!w.tokens)
				goto nomem;
			memcpy(w.tokens, toks + i * q->n_ctx, sizeof *w.tokens * (size_t)q->n_ctx);
			if (bos >= 0)
				w.tokens[0] = bos;   /* each window starts with BOS, as llama-perplexity's */
			if (push_window(s, q, cap, w)) {
				free(w.tokens);
				goto nomem;
			}
		}
	} else {
		/* no tokenizer: windows of about 4 bytes a token, cut after white space */
		size_t want = (size_t)q->n_ctx * 4, at = 0;
		cap = len / (want / 2) + 1;   /* a window is at least half the bytes asked */
		if (!(q->w = calloc(cap, sizeof *q->w)))
			goto nomem;
		while (at + want <= len && (o->limit <= 0 || (long)q->n_w < o->limit)) {
			size_t end = at + want;
			window w = { NULL, 0, NULL };
			while (end > at + want / 2 && text[end - 1] != ' ' && text[end - 1] != '\n')
				end--;
			if (end == at + want / 2)
				end = at + want;
			if (!(w.text = malloc(end - at + 1)))
				goto nomem;
			memcpy(w.text, text + at, end - at);
			w.text[end - at] = 0;
			if (push_window(s, q, cap, w)) {
				free(w.text);
				goto nomem;
			}
			at = end;
		}
		if (!q->n_w && len >= 64) {
			/* shorter than the estimate of one window (it may hold one in a real tokenizer):
			 * the whole text is the window */
			window w = { NULL, 0, malloc(len + 1) };
			if (!w.text)
				goto nomem;
			memcpy(w.text, text, len + 1);
			if (push_window(s, q, cap, w)) {
				free(w.text);
				goto nomem;
			}
		}
		if (!q->n_w) {
			snprintf(err, errlen, "quality: %s has %zu bytes, fewer than one window of %d tokens "
				"(about %zu bytes)", name, len, q->n_ctx, want);
			goto done;
		}
	}
	rc = 0;
	goto done;
nomem:
	snprintf(err, errlen, "quality: out of memory");
done:
	free(toks);
	free(text);
	return rc;
}

static int quality_build(const suite *s, size_t item, int sample, prov_req *out)
{
	const quality *q = s->self;
	const window *w = &q->w[item];

	out->kind = PROV_REQ_LOGPROBS;
	out->sample = sample;
	/* 8 x top_k entries per position: the divergence uses all the baseline's and finds the
	 * candidate's probability of each among its own entries (reports/quality.c) */
	out->top_k = 8 * q->top_k;
	out->score_from = w->tokens ? q->n_ctx / 2 + 1 : -1;
	if (!(out->task_id = strdup(suite_item_id(s, item))))
		return SUITE_ENOMEM;
	if (w->tokens) {
		if (!(out->tokens = malloc(sizeof *out->tokens * w->n_tokens)))
			return SUITE_ENOMEM;
		memcpy(out->tokens, w->tokens, sizeof *out->tokens * w->n_tokens);
		out->n_tokens = w->n_tokens;
	} else if (!(out->prompt = strdup(w->text))) {
		return SUITE_ENOMEM;
	}
	return SUITE_OK;
}

/* The primary score of a window: the share of its scored tokens that were the model's most
 * likely next token. Perplexity and divergence come from the stored log-probabilities. */
static int quality_score(const suite *s, size_t item, const prov_resp *r, suite_score_out *out)
{
	size_t hit = 0;
	char buf[32];

	(void)s;
	(void)item;
	if (!r->n_lp || !r->lp || r->top_k < 1 || !r->top_lp)
		return SUITE_EINVAL;   /* a reply without log-probabilities cannot be scored */
	for (size_t i = 0; i < r->n_lp; i++)
		hit += r->lp[i] >= r->top_lp[i * (size_t)r->top_k];
	out->n_metrics = 1;
	out->metric[0] = "top1";
	out->value[0] = (double)hit / (double)r->n_lp;
	snprintf(buf, sizeof buf, "%zu/%zu", hit, r->n_lp);
	if (!(out->answer[0] = strdup(buf)))
		return SUITE_ENOMEM;
	return SUITE_OK;
}

const suite_vtable suite_quality_vtable = {
	.name = "quality",
	.summary = "perplexity over a text in windows, and KL divergence / same top token against "
		"another target, from log-probabilities the provider scores (no generation)",
	.dataset_hint = "a plain text file (default: the built-in text)",
	.per_target = 1,
	.option_keys = quality_option_keys,
	.options_check = quality_options_check,
	.open = quality_open,
	.close = quality_close,
	.build = quality_build,
	.score = quality_score,
};
