/* engine/engine.c — engine-wide odds and ends: status phrases and the log sink.
 * The sink is the only mutable state here; it is set once by the host before use. */
#include <stdarg.h>
#include <stdio.h>

#include "engine/engine.h"
#include "engine/engine_impl.h"

static eng_log_fn log_fn;
static void *log_ud;
static int log_max = -1;

const char *eng_strerror(int code)
{
	switch (code) {
	case ENG_OK: return "ok";
	case ENG_EINVAL: return "invalid argument";
	case ENG_ENOMEM: return "out of memory";
	case ENG_EIO: return "input/output error";
	case ENG_EFORMAT: return "bad file format";
	case ENG_EUNSUPPORTED: return "unsupported";
	case ENG_ECTX_FULL: return "context full";
	case ENG_EIMATRIX: return "importance weights (an imatrix) required";
	default: return "unknown error";
	}
}

void eng_log_set(eng_log_fn fn, void *ud, int max_level)
{
	log_fn = fn;
	log_ud = ud;
	log_max = fn ? max_level : -1;
}

void eng_logf(int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!log_fn || level > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_fn(log_ud, level, msg);
}

void eng_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
