/* engine/engine_impl.h — what engine/ files share: the log and error-message helpers. Internal to engine/. */
#ifndef ENG_ENGINE_IMPL_H
#define ENG_ENGINE_IMPL_H

#include <stddef.h>
#include <stdint.h>

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

/* DeepSeek's routing of one token (engine/model.c, deepseek2): logits[n_expert] (overwritten with
 * the gate probabilities: sigmoid, else softmax), bias (may be NULL) added for the choice only,
 * group-limited to the n_group_used best of n_group groups (scored by their two best), the k
 * best into sel[k] (descending, ties to the lower expert) with their probabilities into w[k],
 * divided by their sum when norm, times scale. n_expert <= 4096; n_group divides n_expert. */
void eng_ds_route(float *logits, const float *bias, int n_expert, int k, int n_group, int n_group_used,
	int sigmoid, int norm, float scale, int *sel, float *w);

/* Bytes left under the memory limits of this process's cgroups: self_cgroup is the text of
 * /proc/self/cgroup, root where the hierarchies are mounted ("/sys/fs/cgroup"). The v2 line
 * ("0::PATH") reads ROOT/PATH/memory.max less memory.current, a v1 line whose controllers
 * include memory reads ROOT/memory/PATH/memory.limit_in_bytes less memory.usage_in_bytes (2^62
 * and above: no limit); each group from PATH up to the hierarchy's root counts, and the least
 * room wins. UINT64_MAX when no group sets a limit. Ownership: reads files only. */
uint64_t eng_cgroup_room(const char *root, const char *self_cgroup);

#endif
