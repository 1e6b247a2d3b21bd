/* engine/kern_load.h — little-endian loads at any alignment, shared by the architecture kernel
 * files (quant_x86.c, quant_neon.c). Internal to the engine. */
#ifndef TB_ENGINE_KERN_LOAD_H
#define TB_ENGINE_KERN_LOAD_H

#include <stdint.h>
#include <string.h>

static inline uint16_t ld16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline uint64_t ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline float ldf32(const uint8_t *p)
{
	float v;
	memcpy(&v, p, sizeof v);
	return v;
}

#endif
