/* suites/suite.c — the suite registry and dispatch through each kind's vtable, plus what the
 * kinds share: item ids, the capped JSONL dataset reader, a growable string, request builders
 * and the seeded exemplar choice. Kinds live in their own files (gsm8k.c, ...). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/base.h"
#include "suites/suite_impl.h"

static const suite_vtable *const kinds[] = { &suite_gsm8k_vtable, &suite_humaneval_vtable,
						  &suite_mbpp_vtable, &suite_math500_vtable,
						  &suite_math_vtable, &suite_needle_vtable,
						  &suite_humanevalplus_vtable, &suite_humanevalplus_site_vtable,
						  &suite_mbppplus_vtable, &suite_mbppplus_site_vtable,
						  &suite_quality_vtable };
#define N_KINDS (sizeof kinds / sizeof kinds[0])

/* ------------------------------------------------------------------ registry and dispatch */

const suite_info *suite_list(size_t *n)
{
	/* Filled from the constant vtables, so filling it again (from any thread) writes the same
	 * values; static initialisation from extern objects' fields is not constant in C. */
	static suite_info infos[N_KINDS];
	for (size_t i = 0; i < N_KINDS; i++) {
		infos[i].name = kinds[i]->name;
		infos[i].summary = kinds[i]->summary;
		infos[i].dataset_hint = kinds[i]->dataset_hint;
		infos[i].per_target = kinds[i]->per_target;
		infos[i].runs_code = kinds[i]->runs_code;
		infos[i].option_keys = kinds[i]->option_keys;
	}
	if (n)
		*n = N_KINDS;
	return infos;
}

static const suite_vtable *kind_of(const char *name)
{
	for (size_t i = 0; name && i < N_KINDS; i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];
	return NULL;
}

/* The checks of suite_options_check on a parsed object. */
static int options_check(const suite_vtable *vt, const cJSON *o, char *key, size_t keylen,
	char *err, size_t errlen)
{
	const cJSON *it;
	if (!cJSON_IsObject(o)) {
		char got[64];
		suite_option_show(o, got, sizeof got);
		snprintf(key, keylen, "%s", "");
		snprintf(err, errlen, "expected an object, got %s", got);
		return SUITE_EINVAL;
	}
	cJSON_ArrayForEach(it, o) {
		int known = 0;
		for (size_t k = 0; vt->option_keys && vt->option_keys[k]; k++)
			known |= strcmp(vt->option_keys[k], it->string) == 0;
		if (known)
			continue;
		snprintf(key, keylen, "%s", it->string);
		if (!vt->option_keys) {
			snprintf(err, errlen, "unknown key (the %s suite takes no options)", vt->name);
		} else {
			size_t u = (size_t)snprintf(err, errlen, "unknown key (the %s suite takes", vt->name);
			for (size_t k = 0; vt->option_keys[k] && u < errlen; k++)
				u += (size_t)snprintf(err + u, errlen - u, "%s %s", k ? "," : "",
					vt->option_keys[k]);
			if (u < errlen)
				snprintf(err + u, errlen - u, ")");
		}
		return SUITE_EINVAL;
	}
	if (vt->options_check && vt->options_check(o, key, keylen, err, errlen))
		return SUITE_EINVAL;
	return 0;
}

int suite_options_check(const char *name, const char *options_json, char *key, size_t keylen,
	char *err, size_t errlen)
{
	const suite_vtable *vt = kind_of(name);
	cJSON *o;
	int rc;
	if (!key)
		keylen = 0;
	if (!err)
		errlen = 0;
	snprintf(key, keylen, "%s", "");
	if (!vt) {
		snprintf(err, errlen, "unknown suite \"%.100s\"", name ? name : "");
		return SUITE_EINVAL;
	}
	if (!options_json || !*options_json)
		return 0;
	if (!(o = cJSON_Parse(options_json))) {
		snprintf(err, errlen, "not valid JSON");
		return SUITE_EINVAL;
	}
	rc = options_check(vt, o, key, keylen, err, errlen);
	cJSON_Delete(o);
	return rc;
}

cJSON *suite_options_parse(const suite_opts *o)
{
	cJSON *v = o->options_json && *o->options_json ? cJSON_Parse(o->options_json) : NULL;
	return v ? v : cJSON_CreateObject();
}

void suite_option_show(const cJSON *v, char *out, size_t cap)
{
	char *s = v ? cJSON_PrintUnformatted(v) : NULL;
	if (!s)
		snprintf(out, cap, "nothing");
	else if (strlen(s) > 40)
		snprintf(out, cap, "%.37s...", s);
	else
		snprintf(out, cap, "%s", s);
	free(s);
}

int suite_option_int(const cJSON *o, const char *name, long lo, long hi, long *out, char *key,
	size_t keylen, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	char got[64];
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < (double)lo || v->valuedouble > (double)hi) {
		suite_option_show(v, got, sizeof got);
		snprintf(key, keylen, "%s", name);
		snprintf(err, errlen, "expected integer %ld..%ld, got %s", lo, hi, got);
		return -1;
	}
	*out = (long)v->valuedouble;
	return 0;
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Two items with one id would share one row of the results store and one answer of the
 * samples provider, so a dataset with a repeated id is refused. */
static int check_unique_ids(const suite *s, const char *where, char *err, size_t errlen)
{
	char **sorted;
	int rc = 0;
	if (s->n_items < 2)
		return 0;
	if (!(sorted = malloc(s->n_items * sizeof *sorted))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(sorted, s->ids, s->n_items * sizeof *sorted);
	qsort(sorted, s->n_items, sizeof *sorted, cmp_str_ptr);
	for (size_t i = 1; i < s->n_items; i++)
		if (strcmp(sorted[i - 1], sorted[i]) == 0) {
			snprintf(err, errlen, "%s: duplicate item id \"%.200s\"", where, sorted[i]);
			rc = -1;
			break;
		}
	free(sorted);
	return rc;
}

suite *suite_open(const suite_opts *o, char *err, size_t errlen)
{
	const suite_vtable *vt = NULL;
	char known[256] = "";
	suite *s = NULL;

	if (!err)
		errlen = 0;   /* snprintf(NULL, 0, ...) is defined: the message is dropped */
	if (!o || !o->name || !*o->name) {
		snprintf(err, errlen, "no suite name given");
		return NULL;
	}
	for (size_t i = 0; i < N_KINDS; i++) {
		size_t u = strlen(known);
		if (strcmp(kinds[i]->name, o->name) == 0)
			vt = kinds[i];
		snprintf(known + u, sizeof known - u, "%s%s", i ? ", " : "", kinds[i]->name);
	}
	if (!vt) {
		snprintf(err, errlen, "unknown suite \"%.100s\" (known: %s)", o->name, known);
		return NULL;
	}
	if (!(s = calloc(1, sizeof *s))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->vt = vt;
	if (o->options_json && *o->options_json) {
		char key[128], why[384];
		cJSON *opts = cJSON_Parse(o->options_json);
		int rc = opts ? options_check(vt, opts, key, sizeof key, why, sizeof why) : SUITE_EINVAL;
		cJSON_Delete(opts);
		if (rc) {
			if (!opts)
				snprintf(why, sizeof why, "not valid JSON");
			snprintf(err, errlen, "%s: options%s%s: %s", vt->name, opts && *key ? "." : "",
				opts ? key : "", why);
			goto fail;
		}
	}
	if (vt->open(s, o, err, errlen))
		goto fail;
	if (check_unique_ids(s, o->dataset_path ? o->dataset_path : vt->name, err, errlen))
		goto fail;
	return s;
fail:
	suite_close(s);
	return NULL;
}

void suite_close(suite *s)
{
	if (!s)
		return;
	if (s->vt && s->vt->close)
		s->vt->close(s);
	for (size_t i = 0; i < s->n_items; i++)
		free(s->ids[i]);
	free(s->ids);
	free(s);
}

const char *suite_name(const suite *s)
{
	return s ? s->vt->name : NULL;
}

size_t suite_count(const suite *s)
{
	return s ? s->n_items : 0;
}

const char *suite_item_id(const suite *s, size_t item)
{
	return s && item < s->n_items ? s->ids[item] : NULL;
}

int suite_build(const suite *s, size_t item, int sample, prov_req *out)
{
	if (!out)
		return SUITE_EINVAL;
	memset(out, 0, sizeof *out);
	if (!s || sample < 0)
		return SUITE_EINVAL;
	if (item >= s->n_items)
		return SUITE_ERANGE;
	return s->vt->build(s, item, sample, out);
}

int suite_score(const suite *s, size_t item, const prov_resp *r, suite_score_out *out)
{
	if (!out)
		return SUITE_EINVAL;
	memset(out, 0, sizeof *out);
	if (!s || !r)
		return SUITE_EINVAL;
	if (item >= s->n_items)
		return SUITE_ERANGE;
	return s->vt->score(s, item, r, out);
}

void suite_score_release(suite_score_out *out)
{
	if (!out)
		return;
	for (int i = 0; i < SUITE_MAX_METRICS; i++)
		free(out->answer[i]);
	free(out->expected);
	memset(out, 0, sizeof *out);
}

const char *suite_item_error(const suite *s, size_t item)
{
	if (!s || item >= s->n_items || !s->vt->item_error)
		return NULL;
	return s->vt->item_error(s, item);
}

const char *suite_strerror(int code)
{
	switch (code) {
	case SUITE_OK: return "ok";
	case SUITE_EINVAL: return "invalid argument";
	case SUITE_ENOMEM: return "out of memory";
	case SUITE_ERANGE: return "item index out of range";
	case SUITE_ETASK: return "the task itself is broken (see suite_item_error)";
	default: return "unknown suite error";
	}
}

int suite_ids_push(suite *s, const char *id)
{
	char *copy;
	if (s->n_items == s->cap_ids) {
		size_t nc = s->cap_ids ? s->cap_ids * 2 : 256;
		char **ni = realloc(s->ids, nc * sizeof *ni);
		if (!ni)
			return SUITE_ENOMEM;
		s->ids = ni;
		s->cap_ids = nc;
	}
	if (!(copy = strdup(id)))
		return SUITE_ENOMEM;
	s->ids[s->n_items++] = copy;
	return 0;
}

/* ------------------------------------------------------------------ JSONL datasets */

/* gzip through stdio, so one reader serves .jsonl and .jsonl.gz (openai/human-eval and evalplus
 * ship the latter); a file without gzip's magic bytes is a plain stdio stream. A corrupt or
 * truncated stream is a read error with errno EBADMSG. */
static ssize_t gz_cookie_read(void *c, char *buf, size_t n)
{
	int got = gzread((gzFile)c, buf, n > (1u << 30) ? 1u << 30 : (unsigned)n), zerr = Z_OK;
	if (got == 0)
		gzerror((gzFile)c, &zerr);   /* a truncated stream ends with Z_BUF_ERROR */
	if (got < 0 || zerr != Z_OK) {
		errno = EBADMSG;
		return -1;
	}
	return got;
}

static int gz_cookie_close(void *c)
{
	return gzclose_r((gzFile)c) == Z_OK ? 0 : EOF;
}

FILE *suite_data_open(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	gzFile gz;
	FILE *f;
	cookie_io_functions_t io = { gz_cookie_read, NULL, NULL, gz_cookie_close };
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file (%s)", path, tb_file_kind(st.st_mode));
		close(fd);
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	/* A file that does not start with gzip's magic bytes is read directly (no inflate state,
	 * no 384 KiB of buffers per open). */
	{
		unsigned char magic[2] = { 0, 0 };
		if (pread(fd, magic, 2, 0) != 2 || magic[0] != 0x1f || magic[1] != 0x8b) {
			if (!(f = fdopen(fd, "rb"))) {
				snprintf(err, errlen, "%s: out of memory", path);
				close(fd);
			}
			return f;
		}
	}
	if (!(gz = gzdopen(fd, "rb"))) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return NULL;
	}
	gzbuffer(gz, 1 << 17);
	if (!(f = fopencookie(gz, "rb", io))) {
		snprintf(err, errlen, "%s: out of memory", path);
		gzclose_r(gz);
	}
	return f;
}

/* The id of one line: task_id, else unique_id, else the 0-based line number. A null field counts
 * as absent. Returns 0, or -1 with why. */
static int line_id(const cJSON *obj, long line0, char *out, size_t outlen, const char **id,
		   char *why, size_t why_len)
{
	static const char *const keys[] = { "task_id", "unique_id" };
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, keys[k]);
		if (!f || cJSON_IsNull(f))
			continue;
		if (cJSON_IsString(f) && f->valuestring[0]) {
			*id = f->valuestring;
			return 0;
		}
		/* Integers up to 2^53 are exact in a double; anything else is not an id. */
		if (cJSON_IsNumber(f) && f->valuedouble == floor(f->valuedouble) &&
		    fabs(f->valuedouble) <= 9007199254740992.0) {
			snprintf(out, outlen, "%lld", (long long)f->valuedouble);
			*id = out;
			return 0;
		}
		snprintf(why, why_len, "field \"%s\" is not a non-empty string or an integer", keys[k]);
		return -1;
	}
	snprintf(out, outlen, "%ld", line0);
	*id = out;
	return 0;
}

long suite_jsonl_read(const char *path, long limit, suite_jsonl_fn fn, void *ud, char *err,
		      size_t errlen)
{
	FILE *f = NULL;
	char why[256], idbuf[32];
	tb_buf line;
	long line0 = -1, n = 0;
	int got;

	if (!path) {
		snprintf(err, errlen, "no dataset path given");
		return -1;
	}
	if (!(f = suite_data_open(path, err, errlen)))
		return -1;
	tb_buf_init(&line, SUITE_MAX_LINE_BYTES);
	while ((limit <= 0 || n < limit) && (got = tb_stream_getline(f, &line)) != 0 && got != TB_EIO) {
		char *text = line.p;
		size_t len = line.len;
		const char *id;
		cJSON *obj;
		int rc;

		line0++;
		if (got == TB_ETOOBIG) {
			snprintf(err, errlen, "%s:%ld: line longer than %zu MiB", path, line0 + 1,
				 SUITE_MAX_LINE_BYTES >> 20);
			goto fail;
		}
		if (got == TB_ENOMEM)
			goto nomem;
		if (len && text[len - 1] == '\r')
			text[--len] = 0;
		if (line0 == 0 && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
			text += 3;   /* UTF-8 byte-order mark */
			len -= 3;
		}
		if (strlen(text) != (size_t)len) {
			snprintf(err, errlen, "%s:%ld: NUL byte in line", path, line0 + 1);
			goto fail;
		}
		if (strspn(text, " \t\r\f\v") == (size_t)len)
			continue;   /* blank: skipped, but counted in line0 so ids stay line numbers */
		obj = cJSON_ParseWithOpts(text, NULL, 1);
		if (!cJSON_IsObject(obj)) {
			snprintf(err, errlen, "%s:%ld: not a JSON object", path, line0 + 1);
			cJSON_Delete(obj);
			goto fail;
		}
		why[0] = 0;
		rc = line_id(obj, line0, idbuf, sizeof idbuf, &id, why, sizeof why);
		if (rc == 0)
			rc = fn(ud, obj, id, why, sizeof why);
		cJSON_Delete(obj);
		if (rc == SUITE_ENOMEM)
			goto nomem;
		if (rc) {
			snprintf(err, errlen, "%s:%ld: %s", path, line0 + 1, why[0] ? why : "bad item");
			goto fail;
		}
		n++;
	}
	if (ferror(f)) {
		if (errno == EBADMSG)
			snprintf(err, errlen, "%s: corrupt or truncated gzip data after line %ld", path,
				 line0 + 1);
		else
			snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		goto fail;
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: no items", path);
		goto fail;
	}
	fclose(f);
	tb_buf_release(&line);
	return n;
nomem:
	snprintf(err, errlen, "%s: out of memory", path);
fail:
	fclose(f);
	tb_buf_release(&line);
	return -1;
}

int suite_json_string(const cJSON *obj, const char *key, const char **out, char *why,
		      size_t why_len)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!f) {
		snprintf(why, why_len, "missing field \"%s\"", key);
		return -1;
	}
	if (!cJSON_IsString(f)) {
		snprintf(why, why_len, "field \"%s\" is not a string", key);
		return -1;
	}
	*out = f->valuestring;
	return 0;
}

/* ------------------------------------------------------------------ requests */

static int req_common(prov_req *out, const char *task_id, int sample, const char *const *stop,
		      size_t n_stop)
{
	out->sample = sample;
	out->seed = -1;
	if (!(out->task_id = strdup(task_id)))
		return SUITE_ENOMEM;
	if (n_stop) {
		if (!(out->stop = calloc(n_stop, sizeof *out->stop)))
			return SUITE_ENOMEM;
		for (; out->n_stop < n_stop; out->n_stop++)
			if (!(out->stop[out->n_stop] = strdup(stop[out->n_stop])))
				return SUITE_ENOMEM;
	}
	return 0;
}

int suite_req_take_prompt(prov_req *out, const char *task_id, int sample, char *prompt,
			  const char *const *stop, size_t n_stop)
{
	out->prompt = prompt;
	if (!prompt || req_common(out, task_id, sample, stop, n_stop)) {
		prov_req_release(out);
		return SUITE_ENOMEM;
	}
	return 0;
}

int suite_req_take_user(prov_req *out, const char *task_id, int sample, char *content,
			const char *const *stop, size_t n_stop)
{
	if (!content || !(out->messages = calloc(1, sizeof *out->messages))) {
		free(content);
		prov_req_release(out);
		return SUITE_ENOMEM;
	}
	out->n_messages = 1;
	out->messages[0].content = content;
	if (!(out->messages[0].role = strdup("user")) ||
	    req_common(out, task_id, sample, stop, n_stop)) {
		prov_req_release(out);
		return SUITE_ENOMEM;
	}
	return 0;
}

/* ------------------------------------------------------------------ sampling */

/* splitmix64 (Steele, Lea, Flood 2014): a tiny generator with a fixed output on every
 * platform, which is all a reproducible exemplar choice needs. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void suite_pick(uint64_t seed, size_t n, size_t k, size_t *out)
{
	uint64_t st = seed;
	for (size_t i = 0; i < n; i++)
		out[i] = i;
	for (size_t i = 0; i < k && i < n; i++) {
		size_t j = i + (size_t)(splitmix64(&st) % (uint64_t)(n - i)), t = out[i];
		out[i] = out[j];
		out[j] = t;
	}
}
