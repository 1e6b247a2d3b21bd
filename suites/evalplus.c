/* suites/evalplus.c — HumanEval+ and MBPP+ in evalplus's release format (HumanEvalPlus.jsonl,
 * MbppPlus.jsonl, plain or .gz): per task `prompt`, `entry_point`, `canonical_solution`,
 * `base_input` and `plus_input` (lists of argument lists) and `atol`. The canonical solution runs
 * once per task in the sandbox on every input and its outputs (and times) are kept; each sample
 * then runs on the base inputs, and when those pass on the plus inputs, comparing with evalplus's
 * rules. Two metrics: "plus" (base and plus inputs pass) and "base". A task whose own canonical
 * solution fails is an error of that task (SUITE_ETASK, suite_item_error), never a score. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "suites/suite_impl.h"

enum { KIND_HE, KIND_MBPP };

/* evalplus's time limit per input: max(EP_MIN_TIME_S, EP_TIME_FACTOR x the canonical runtime). */
#define EP_MIN_TIME_S 4.0
#define EP_TIME_FACTOR 4.0
#define EP_CANON_TIMEOUT_S 300.0
#define EP_OUT_CAP_BYTES ((size_t)64 << 20)

typedef struct ep_task {
	char *prompt, *entry, *canonical;
	char *base_b64, *plus_b64;   /* the inputs as JSON, base64 (embedded in programs) */
	double atol;
	char *load_err;              /* a defect found at load (bad inputs), or NULL */
	/* Filled once, by the first score of the task, under mu. */
	pthread_mutex_t mu;
	int done;
	char *expected_b64;          /* pickle of (base outs, base limits, plus outs, plus limits) */
	double limit_base_s, limit_plus_s;   /* sum of per-input limits, per phase */
	char *run_err;               /* why the canonical solution could not give outputs */
} ep_task;

typedef struct ep_suite {
	int kind, chat, site;
	ep_task *v;
	size_t n, cap;
} ep_suite;

static const char *const he_stop[] = { "\nclass ", "\ndef ", "\n#", "\nif __name__", "\nprint(" };
static const char *const mbpp_stop[] = { "\nif __name__", "\nprint(", "\nassert " };

/* ------------------------------------------------------------------ base64 */

static char *b64_encode(const char *s, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
	const unsigned char *u = (const unsigned char *)s;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)u[i] << 16 | (i + 1 < n ? (unsigned)u[i + 1] << 8 : 0) |
			     (i + 2 < n ? u[i + 2] : 0);
		*o++ = t[v >> 18 & 63];
		*o++ = t[v >> 12 & 63];
		*o++ = i + 1 < n ? t[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? t[v & 63] : '=';
	}
	*o = 0;
	return out;
}

/* ------------------------------------------------------------------ loading */

static void task_release(ep_task *t)
{
	free(t->prompt);
	free(t->entry);
	free(t->canonical);
	free(t->base_b64);
	free(t->plus_b64);
	free(t->load_err);
	free(t->expected_b64);
	free(t->run_err);
	pthread_mutex_destroy(&t->mu);
}

static void ep_close(suite *s)
{
	ep_suite *e = s->self;
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		task_release(&e->v[i]);
	free(e->v);
	free(e);
	s->self = NULL;
}

/* The inputs field key as base64 JSON; a missing field or one that is not a list of argument
 * lists is a defect of the task (load_err), not of the file. */
static int load_inputs(const cJSON *obj, const char *key, char **b64, char **load_err)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, key), *a;
	char *json, msg[160];
	if (!cJSON_IsArray(f)) {
		snprintf(msg, sizeof msg, "field \"%s\" is %s, not a list of argument lists", key,
			 f ? "not a list" : "missing");
		goto defect;
	}
	cJSON_ArrayForEach(a, f)
		if (!cJSON_IsArray(a)) {
			snprintf(msg, sizeof msg, "field \"%s\": an entry is not a list of arguments", key);
			goto defect;
		}
	if (!(json = cJSON_PrintUnformatted(f)))
		return SUITE_ENOMEM;
	*b64 = b64_encode(json, strlen(json));
	free(json);
	return *b64 ? 0 : SUITE_ENOMEM;
defect:
	if (!*load_err && !(*load_err = strdup(msg)))
		return SUITE_ENOMEM;
	return (*b64 = strdup("W10=")) ? 0 : SUITE_ENOMEM;   /* "[]" */
}

static int load_item(void *ud, const cJSON *obj, const char *id, char *why, size_t why_len)
{
	suite *s = ud;
	ep_suite *e = s->self;
	const char *prompt, *entry, *canon;
	const cJSON *atol = cJSON_GetObjectItemCaseSensitive(obj, "atol");
	ep_task *t;
	int rc;
	if (suite_json_string(obj, "prompt", &prompt, why, why_len) ||
	    suite_json_string(obj, "entry_point", &entry, why, why_len) ||
	    suite_json_string(obj, "canonical_solution", &canon, why, why_len))
		return -1;
	if (!entry[0] || strspn(entry, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
			      strlen(entry)) {
		snprintf(why, why_len, "field \"entry_point\" is not a Python name");
		return -1;
	}
	if (atol && !cJSON_IsNull(atol) && (!cJSON_IsNumber(atol) || !(atol->valuedouble >= 0))) {
		snprintf(why, why_len, "field \"atol\" is not a number >= 0");
		return -1;
	}
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 64;
		ep_task *nv = realloc(e->v, nc * sizeof *nv);
		if (!nv)
			return SUITE_ENOMEM;
		e->v = nv;
		e->cap = nc;
	}
	t = &e->v[e->n];
	memset(t, 0, sizeof *t);
	pthread_mutex_init(&t->mu, NULL);
	e->n++;
	t->atol = atol && cJSON_IsNumber(atol) ? atol->valuedouble : 0;
	if (!(t->prompt = strdup(prompt)) || !(t->entry = strdup(entry)) ||
	    !(t->canonical = strdup(canon)))
		return SUITE_ENOMEM;
	if ((rc = load_inputs(obj, "base_input", &t->base_b64, &t->load_err)) ||
	    (rc = load_inputs(obj, "plus_input", &t->plus_b64, &t->load_err)))
		return rc;
	return suite_ids_push(s, id);
}

static int ep_open(suite *s, const suite_opts *o, int kind, int site, char *err, size_t errlen)
{
	ep_suite *e = calloc(1, sizeof *e);
	if (!(s->self = e)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	e->kind = kind;
	e->chat = o->chat;
	e->site = site;
	return suite_jsonl_read(o->dataset_path, o->limit, load_item, s, err, errlen) < 0 ? -1 : 0;
}

static int he_open(suite *s, const suite_opts *o, char *err, size_t errlen)
{
	return ep_open(s, o, KIND_HE, 0, err, errlen);
}

static int he_site_open(suite *s, const suite_opts *o, char *err, size_t errlen)
{
	return ep_open(s, o, KIND_HE, 1, err, errlen);
}

static int mbpp_open(suite *s, const suite_opts *o, char *err, size_t errlen)
{
	return ep_open(s, o, KIND_MBPP, 0, err, errlen);
}

static int mbpp_site_open(suite *s, const suite_opts *o, char *err, size_t errlen)
{
	return ep_open(s, o, KIND_MBPP, 1, err, errlen);
}

/* ------------------------------------------------------------------ prompts */

static int ep_build(const suite *s, size_t i, int sample, prov_req *out)
{
	const ep_suite *e = s->self;
	const ep_task *t = &e->v[i];
	tb_buf b = { 0 };
	if (!e->chat) {
		if (e->kind == KIND_HE)
			return suite_req_take_prompt(out, s->ids[i], sample, strdup(t->prompt), he_stop,
						     sizeof he_stop / sizeof he_stop[0]);
		return suite_req_take_prompt(out, s->ids[i], sample, strdup(t->prompt), mbpp_stop,
					     sizeof mbpp_stop / sizeof mbpp_stop[0]);
	}
	tb_buf_adds(&b, e->kind == KIND_HE ?
		      "Complete the following Python function. Reply with the whole function, "
		      "including the signature and any imports it needs, in one ```python code block."
		      "\n\n```python\n" :
		      "Solve the following Python task. Reply with the code, including any imports it "
		      "needs, in one ```python code block.\n\n```python\n");
	tb_buf_adds(&b, t->prompt);
	tb_buf_adds(&b, "```\n");
	return suite_req_take_user(out, s->ids[i], sample, tb_buf_detach(&b, NULL), NULL, 0);
}

/* ------------------------------------------------------------------ programs */

/* The comparison, written for this project from evalplus's published rules: a float expected
 * value (or a list / tuple of floats) with atol 0 gets atol 1e-6; then equal values pass, else
 * with atol > 0 every element within atol + 1e-7 x |expected|. HumanEval/32 (find_zero) passes
 * when |poly(xs, out)| <= atol (after the same 1e-6 default). Each input runs on a deep copy under its own time limit. */
static const char runner_py[] =
	"\nimport base64 as _tb_b, copy as _tb_c, json as _tb_j, math as _tb_m, pickle as _tb_p\n"
	"import signal as _tb_s\n"
	"def _tb_floats(x):\n"
	"    if isinstance(x, float):\n"
	"        return True\n"
	"    if isinstance(x, (list, tuple)):\n"
	"        return all(isinstance(i, float) for i in x)\n"
	"    return type(x).__module__ == 'numpy' and str(getattr(x, 'dtype', '')) in ('float64', 'float32')\n"
	"def _tb_flat(x):\n"
	"    if isinstance(x, (int, float)) and not isinstance(x, bool):\n"
	"        return [float(x)]\n"
	"    if isinstance(x, (list, tuple)):\n"
	"        r = []\n"
	"        for i in x:\n"
	"            f = _tb_flat(i)\n"
	"            if f is None:\n"
	"                return None\n"
	"            r += f\n"
	"        return r\n"
	"    return None\n"
	"def _tb_same(out, exp, atol, inp):\n"
	"    if atol == 0 and _tb_floats(exp):\n"
	"        atol = 1e-6\n"
	"    if _TB_FIND_ZERO:\n"
	"        return abs(sum(c * _tb_m.pow(out, i) for i, c in enumerate(inp[0]))) <= atol\n"
	"    if out == exp:\n"
	"        return True\n"
	"    if atol == 0:\n"
	"        return False\n"
	"    a, b = _tb_flat(out), _tb_flat(exp)\n"
	"    if a is None or b is None or len(a) != len(b):\n"
	"        return False\n"
	"    return all(abs(x - y) <= atol + 1e-7 * abs(y) for x, y in zip(a, b))\n"
	"class _TbTimeout(BaseException):\n"
	"    pass\n"
	"def _tb_alarm(*_):\n"
	"    raise _TbTimeout()\n"
	"_tb_s.signal(_tb_s.SIGALRM, _tb_alarm)\n"
	"def _tb_call(f, args, limit):\n"
	"    _tb_s.setitimer(_tb_s.ITIMER_REAL, limit)\n"
	"    try:\n"
	"        return f(*_tb_c.deepcopy(args))\n"
	"    finally:\n"
	"        _tb_s.setitimer(_tb_s.ITIMER_REAL, 0)\n";

/* Program of the canonical run: prints "LIMITS <base s> <plus s>" and the base64 pickle of
 * (base outputs, base limits, plus outputs, plus limits). */
static char *canonical_program(const ep_suite *e, const ep_task *t)
{
	tb_buf b = { 0 };
	char num[64];
	if (e->kind == KIND_HE)
		tb_buf_adds(&b, t->prompt);
	tb_buf_adds(&b, t->canonical);
	tb_buf_adds(&b, "\n_TB_FIND_ZERO = False\n");
	tb_buf_adds(&b, runner_py);
	tb_buf_adds(&b, "import time as _tb_t\n_tb_f = ");
	tb_buf_adds(&b, t->entry);
	tb_buf_adds(&b, "\ndef _tb_ref(name, b64):\n"
		      "    outs, lims = [], []\n"
		      "    for k, a in enumerate(_tb_j.loads(_tb_b.b64decode(b64))):\n"
		      "        t0 = _tb_t.perf_counter()\n"
		      "        try:\n"
		      "            outs.append(_tb_call(_tb_f, a, ");
	snprintf(num, sizeof num, "%.1f", EP_CANON_TIMEOUT_S);
	tb_buf_adds(&b, num);
	tb_buf_adds(&b, "))\n"
		      "        except BaseException as x:\n"
		      "            raise SystemExit('canonical solution fails on %s input %d: %s: %s' % "
		      "(name, k, type(x).__name__, str(x)[:200]))\n");
	snprintf(num, sizeof num, "max(%.3f, %.3f * (_tb_t.perf_counter() - t0))", EP_MIN_TIME_S,
		 EP_TIME_FACTOR);
	tb_buf_adds(&b, "        lims.append(");
	tb_buf_adds(&b, num);
	tb_buf_adds(&b, ")\n    return outs, lims\n_tb_bo, _tb_bl = _tb_ref('base', '");
	tb_buf_adds(&b, t->base_b64);
	tb_buf_adds(&b, "')\n_tb_po, _tb_pl = _tb_ref('plus', '");
	tb_buf_adds(&b, t->plus_b64);
	tb_buf_adds(&b, "')\ntry:\n    _tb_blob = _tb_p.dumps((_tb_bo, _tb_bl, _tb_po, _tb_pl))\n"
		      "except Exception as x:\n"
		      "    raise SystemExit('canonical outputs cannot be kept: %s' % x)\n"
		      "print('LIMITS %.3f %.3f' % (sum(_tb_bl), sum(_tb_pl)))\n"
		      "print(_tb_b.b64encode(_tb_blob).decode())\n");
	return tb_buf_detach(&b, NULL);
}

/* The last non-empty line of text (at most 300 bytes), for error messages. */
static void last_line(const char *text, size_t n, char *out, size_t outlen)
{
	size_t e = n, st;
	while (e && (text[e - 1] == '\n' || text[e - 1] == '\r'))
		e--;
	st = e;
	while (st && text[st - 1] != '\n')
		st--;
	snprintf(out, outlen, "%.*s", (int)(e - st > 300 ? 300 : e - st), text + st);
}

static suite_sb_opts sb_opts(const ep_suite *e, double timeout_s)
{
	suite_sb_opts o = { 0 };
	o.timeout_s = timeout_s;
	o.site = e->site;
	o.out_cap_bytes = EP_OUT_CAP_BYTES;
	o.fsize_bytes = EP_OUT_CAP_BYTES;
	return o;
}

/* Runs task i's canonical solution once (under t->mu). Returns 0 (t->run_err set when the task
 * is broken) or SUITE_ENOMEM. */
static int canonical_outputs(const ep_suite *e, ep_task *t, const char *id)
{
	suite_sb_opts o = sb_opts(e, EP_CANON_TIMEOUT_S);
	suite_sb_result res;
	char *prog, line[400], *nl;
	int rc;
	if (t->load_err) {
		char msg[512];
		snprintf(msg, sizeof msg, "task %s: %s", id, t->load_err);
		return (t->run_err = strdup(msg)) ? 0 : SUITE_ENOMEM;
	}
	if (!(prog = canonical_program(e, t)))
		return SUITE_ENOMEM;
	rc = suite_sb_run(&o, prog, &res);
	free(prog);
	if (rc)
		return rc;
	if (res.verdict == SUITE_SB_PASSED && res.out &&
	    sscanf(res.out, "LIMITS %lf %lf", &t->limit_base_s, &t->limit_plus_s) == 2 &&
	    (nl = strchr(res.out, '\n'))) {
		size_t n = strcspn(nl + 1, "\n");
		if ((t->expected_b64 = malloc(n + 1))) {
			memcpy(t->expected_b64, nl + 1, n);
			t->expected_b64[n] = 0;
		}
		suite_sb_result_release(&res);
		return t->expected_b64 ? 0 : SUITE_ENOMEM;
	}
	last_line(res.err ? res.err : "", res.n_err, line, sizeof line);
	{
		char msg[600];
		snprintf(msg, sizeof msg, "task %s: canonical solution did not give outputs (%s%s%s)", id,
			 suite_sb_verdict_name(res.verdict), line[0] ? ": " : "", line);
		suite_sb_result_release(&res);
		return (t->run_err = strdup(msg)) ? 0 : SUITE_ENOMEM;
	}
}

/* The program for one phase (0 base, 1 plus): the candidate, then the checks, last. */
static char *candidate_program(const ep_suite *e, const ep_task *t, const char *id, int phase,
			       const char *reply)
{
	tb_buf b = { 0 };
	char *code = suite_code_extract(reply, t->entry, e->chat);
	if (!code)
		return NULL;
	if (e->kind == KIND_HE) {
		char pat[160];
		snprintf(pat, sizeof pat, "def %s(", t->entry);
		tb_buf_adds(&b, t->prompt);
		if (!e->chat && !strstr(code, pat)) {
			/* A continuation of the prompt's body, cut at the first stop string. */
			for (size_t k = 0; k < sizeof he_stop / sizeof he_stop[0]; k++) {
				char *c = strstr(code, he_stop[k]);
				if (c)
					*c = 0;
			}
		} else {
			tb_buf_adds(&b, "    pass\n\n");
		}
	}
	tb_buf_adds(&b, code);
	free(code);
	/* HumanEval/32 (find_zero) is checked by its root, not by equal outputs; the id itself is
	 * never written into the program (it is the dataset's text). */
	tb_buf_adds(&b, strcmp(id, "HumanEval/32") == 0 ? "\n\n_TB_FIND_ZERO = True\n" :
		      "\n\n_TB_FIND_ZERO = False\n");
	tb_buf_adds(&b, runner_py);
	tb_buf_adds(&b, "_tb_e = _tb_p.loads(_tb_b.b64decode('");
	tb_buf_adds(&b, t->expected_b64);
	tb_buf_adds(&b, "'))\n_tb_f = ");
	tb_buf_adds(&b, t->entry);
	tb_buf_adds(&b, "\nfor _tb_k, _tb_a in enumerate(_tb_j.loads(_tb_b.b64decode('");
	tb_buf_adds(&b, phase ? t->plus_b64 : t->base_b64);
	tb_buf_adds(&b, phase ? "'))):\n    _tb_x, _tb_l = _tb_e[2][_tb_k], _tb_e[3][_tb_k]\n"
			: "'))):\n    _tb_x, _tb_l = _tb_e[0][_tb_k], _tb_e[1][_tb_k]\n");
	tb_buf_adds(&b, "    try:\n"
		      "        _tb_o = _tb_call(_tb_f, _tb_a, _tb_l)\n"
		      "    except _TbTimeout:\n"
		      "        raise SystemExit('timeout on input %d' % _tb_k)\n");
	tb_buf_adds(&b, "    if not _tb_same(_tb_o, _tb_x, ");
	{
		char num[48];
		snprintf(num, sizeof num, "%.17g", t->atol);
		tb_buf_adds(&b, num);
	}
	tb_buf_adds(&b, ", _tb_a):\n        raise SystemExit('wrong output on input %d' % _tb_k)\n");
	return tb_buf_detach(&b, NULL);
}

/* Runs one phase; *passed and a verdict text into ans. Returns 0 or a SUITE_ code. */
static int run_phase(const ep_suite *e, const ep_task *t, const char *id, int phase,
		     const char *reply, int *passed, tb_buf *ans)
{
	double limit = (phase ? t->limit_plus_s : t->limit_base_s) + 10.0;
	suite_sb_opts o = sb_opts(e, limit);
	suite_sb_result res;
	char *prog = candidate_program(e, t, id, phase, reply), line[400];
	int rc;
	if (!prog)
		return SUITE_ENOMEM;
	o.out_cap_bytes = 0;   /* the default cap: the candidate's output is not read */
	rc = suite_sb_run(&o, prog, &res);
	free(prog);
	if (rc)
		return rc;
	/* Only SUITE_SB_PASSED counts: with the sandbox's proof of completion that means the
	 * checks above, the program's last statements, ran to their end. */
	*passed = res.verdict == SUITE_SB_PASSED;
	tb_buf_adds(ans, suite_sb_verdict_name(res.verdict));
	if (!*passed) {
		last_line(res.err ? res.err : "", res.n_err, line, sizeof line);
		if (line[0]) {
			tb_buf_adds(ans, ": ");
			tb_buf_adds(ans, line);
		}
	}
	suite_sb_result_release(&res);
	return 0;
}

static int ep_score(const suite *s, size_t i, const prov_resp *r, suite_score_out *out)
{
	const ep_suite *e = s->self;
	ep_task *t = &e->v[i];
	tb_buf ab = { 0 }, ap = { 0 };
	int rc = 0, base = 0, plus = 0;

	out->n_metrics = 2;
	out->metric[0] = "plus";
	out->metric[1] = "base";
	pthread_mutex_lock(&t->mu);
	if (!t->done && (rc = canonical_outputs(e, t, s->ids[i])) == 0)
		t->done = 1;
	pthread_mutex_unlock(&t->mu);
	if (rc)
		return rc;
	if (t->run_err) {
		/* The task's own data is broken: an error of the task, not a score of 0. */
		out->answer[0] = strdup(t->run_err);
		return SUITE_ETASK;
	}
	if (r->err != PROV_ERR_NONE || !r->text)
		return 0;
	if ((rc = run_phase(e, t, s->ids[i], 0, r->text, &base, &ab)))
		goto fail;
	if (base) {
		if ((rc = run_phase(e, t, s->ids[i], 1, r->text, &plus, &ap)))
			goto fail;
	} else {
		tb_buf_adds(&ap, "not run: base inputs failed");
	}
	out->value[0] = base && plus;
	out->value[1] = base;
	out->answer[0] = tb_buf_detach(&ap, NULL);
	out->answer[1] = tb_buf_detach(&ab, NULL);
	if (!out->answer[0] || !out->answer[1])
		return SUITE_ENOMEM;
	return (out->expected = strdup("passed")) ? 0 : SUITE_ENOMEM;
fail:
	tb_buf_release(&ab);
	tb_buf_release(&ap);
	return rc;
}

static const char *ep_item_error(const suite *s, size_t i)
{
	const ep_suite *e = s->self;
	ep_task *t = &e->v[i];
	const char *why;
	pthread_mutex_lock(&t->mu);
	why = t->done ? t->run_err : t->load_err;
	pthread_mutex_unlock(&t->mu);
	return why;
}

#define EP_HINT_HE "evalplus HumanEvalPlus JSONL (task_id, prompt, entry_point, canonical_solution, " \
	"base_input, plus_input, atol), .jsonl or .jsonl.gz"
#define EP_HINT_MBPP "evalplus MbppPlus JSONL (task_id, prompt, entry_point, canonical_solution, " \
	"base_input, plus_input, atol), .jsonl or .jsonl.gz"

#define EP_VTABLE(var, nm, sum, hint, open_fn) \
	const suite_vtable var = { .name = nm, .summary = sum, .dataset_hint = hint, .runs_code = 1, \
		.open = open_fn, .close = ep_close, .build = ep_build, .score = ep_score, \
		.item_error = ep_item_error }

EP_VTABLE(suite_humanevalplus_vtable, "humanevalplus",
	  "HumanEval+ (evalplus): base and plus inputs against the canonical outputs, standard "
	  "library only", EP_HINT_HE, he_open);
EP_VTABLE(suite_humanevalplus_site_vtable, "humanevalplus-site",
	  "HumanEval+ as humanevalplus, the sandbox allowed site packages (numpy)", EP_HINT_HE,
	  he_site_open);
EP_VTABLE(suite_mbppplus_vtable, "mbppplus",
	  "MBPP+ (evalplus): base and plus inputs against the canonical outputs, standard library "
	  "only", EP_HINT_MBPP, mbpp_open);
EP_VTABLE(suite_mbppplus_site_vtable, "mbppplus-site",
	  "MBPP+ as mbppplus, the sandbox allowed site packages (numpy)", EP_HINT_MBPP,
	  mbpp_site_open);
