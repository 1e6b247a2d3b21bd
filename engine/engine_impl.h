/* engine/engine_impl.h — what engine/ files share: the log and error-message helpers. Internal to engine/. */
#ifndef ENG_ENGINE_IMPL_H
#define ENG_ENGINE_IMPL_H

#include <stddef.h>

#if defined(__GNUC__)
#define ENG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ENG_PRINTF(a, b)
#endif

/* Formats and sends one message to the sink set with eng_log_set (nothing when none, or when
 * the level is above the sink's). */
void eng_logf(int level, const char *fmt, ...) ENG_PRINTF(2, 3);

/* Formats one message into err[0..errlen) (nothing when err is NULL or errlen 0). */
void eng_seterr(char *err, size_t errlen, const char *fmt, ...) ENG_PRINTF(3, 4);

#endif
