/* harness/info.c — build information (version, git revision, compiler, flags, CUDA on/off)
 * baked in at compile time from build/<config>/buildinfo.h, and the harness's error texts. */
#include <stdio.h>

#include "buildinfo.h"
#include "harness/harness.h"

#ifdef TB_CUDA
#define TB_CUDA_STR "on"
#else
#define TB_CUDA_STR "off"
#endif

const char *hx_version(void)
{
	return TB_VERSION;
}

const char *hx_git_rev(void)
{
	return TB_GIT_REV;
}

const char *hx_build_info_json(void)
{
	/* All parts are compile-time constants without quotes or backslashes (the Makefile strips
	 * them from the compiler line), so the JSON can be assembled by the preprocessor. */
	return "{\"version\":\"" TB_VERSION "\",\"git_rev\":\"" TB_GIT_REV "\",\"compiler\":\"" TB_CC
	       "\",\"cflags\":\"" TB_CFLAGS "\",\"config\":\"" TB_CONFIG "\",\"cuda\":\"" TB_CUDA_STR "\"}";
}

const char *hx_strerror(int code)
{
	switch (code) {
	case HX_OK: return "ok";
	case HX_EINVAL: return "invalid argument";
	case HX_ENOMEM: return "out of memory";
	case HX_EIO: return "I/O error";
	case HX_ESTORE: return "results store error";
	case HX_ECHANGED: return "spec changed since the stored run";
	case HX_EINTR: return "interrupted";
	default: return "unknown error";
	}
}
