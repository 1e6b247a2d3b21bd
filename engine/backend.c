/* engine/backend.c — the engine's backend table: the CUDA backend's functions
 * (engine/cuda/cuda_backend.h) when the engine is built with `make CUDA=1`, none otherwise. The
 * one place in the engine's C code where the build's choice of backends appears; the model code
 * calls through the table. */
#include <stddef.h>

#include "engine/cuda/cuda_backend.h"

#ifdef TB_CUDA
static const eng_cuda_backend cuda_backend = {
	.device_info = eng_cuda_device_info,
	.model_new = eng_cuda_model_new,
	.model_free = eng_cuda_model_free,
	.ctx_new = eng_cuda_ctx_new,
	.ctx_free = eng_cuda_ctx_free,
	.decode = eng_cuda_decode,
};

const eng_cuda_backend *eng_cuda_backend_get(void)
{
	return &cuda_backend;
}
#else
const eng_cuda_backend *eng_cuda_backend_get(void)
{
	return NULL;
}
#endif
