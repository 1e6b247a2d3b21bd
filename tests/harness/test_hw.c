/* tests/harness/test_hw.c — the hardware profile: sane topology, a bandwidth figure, JSON that
 * parses back with every key, and GPU fields when a CUDA device exists. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "test.h"
#include "harness/harness.h"

static void test_hw_probe_fills_topology(void)
{
	hx_hw hw;
	char err[256] = "";
	TB_CHECK_INT(hx_hw_probe(&hw, 0, err, sizeof err), 0);
	TB_CHECK(hw.n_cores >= 1);
	TB_CHECK(hw.n_pus >= hw.n_cores);
	TB_CHECK(hw.n_packages >= 1 && hw.n_numa >= 1);
	TB_CHECK(hw.ram_bytes > (int64_t)64 << 20);
	TB_CHECK(hw.cpu_model[0] != 0);
	TB_CHECK(hw.cpu_model[strlen(hw.cpu_model) - 1] != ' ');
	TB_CHECK(hw.arch[0] != 0);
	TB_CHECK(hw.mem_bw_gbs == 0);   /* not asked */
}

static void test_hw_bandwidth_is_positive_and_finite(void)
{
	double one = hx_mem_bw_gbs(1, 32u << 20, 200);
	double two = hx_mem_bw_gbs(2, 32u << 20, 200);
	TB_CHECK(one > 0 && isfinite(one));
	TB_CHECK(two > 0 && isfinite(two));
	TB_CHECK(hx_mem_bw_gbs(1, 100, 10) == 0);   /* too small to measure */
}

static void test_hw_json_parses_back_with_every_key(void)
{
	hx_hw hw;
	char err[256], *s;
	cJSON *o;
	const char *keys[] = { "cpu_model", "arch", "os", "packages", "cores", "hw_threads", "numa_nodes",
			       "l1d_bytes", "l2_bytes", "l3_bytes", "ram_bytes", "mem_bw_gbs", "gpus" };
	hx_hw_probe(&hw, 1, err, sizeof err);
	TB_CHECK(hw.mem_bw_gbs > 0);
	s = hx_hw_to_json(&hw);
	TB_REQUIRE(s != NULL);
	o = cJSON_Parse(s);
	TB_REQUIRE(o != NULL);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!cJSON_GetObjectItem(o, keys[i])) {
			printf("  missing key %s\n", keys[i]);
			TB_CHECK(0);
		}
	TB_CHECK_INT(cJSON_GetObjectItem(o, "cores")->valueint, hw.n_cores);
	TB_CHECK(cJSON_IsNumber(cJSON_GetObjectItem(o, "mem_bw_gbs")));
	TB_CHECK(cJSON_IsArray(cJSON_GetObjectItem(o, "gpus")));
	cJSON_Delete(o);
	free(s);
}

static void test_hw_print_names_cpu_and_bandwidth(void)
{
	hx_hw hw;
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	TB_REQUIRE(f != NULL);
	hx_hw_probe(&hw, 0, err, sizeof err);
	hx_hw_print(&hw, f);
	fclose(f);
	TB_CHECK(strstr(buf, hw.cpu_model) != NULL);
	TB_CHECK(strstr(buf, "bandwidth:  not measured") != NULL);
	free(buf);
}

static void test_hw_gpu_fields_when_a_device_exists(void)
{
	hx_hw hw;
	char err[256];
	hx_hw_probe(&hw, 0, err, sizeof err);
#ifndef TB_CUDA
	TB_CHECK_INT(hw.n_gpus, 0);
	TB_SKIP("built without CUDA");
#else
	if (hw.n_gpus == 0)
		TB_SKIP("no CUDA device");
	TB_CHECK(hw.gpus[0].name[0] != 0);
	TB_CHECK(hw.gpus[0].mem_gib > 0.5);
	TB_CHECK(hw.gpus[0].n_sm > 0);
	TB_CHECK(hw.gpus[0].cc_major >= 3);
	TB_CHECK(hw.gpus[0].peak_bw_gbs > 10);
#endif
}

int main(void)
{
	TB_RUN(test_hw_probe_fills_topology);
	TB_RUN(test_hw_bandwidth_is_positive_and_finite);
	TB_RUN(test_hw_json_parses_back_with_every_key);
	TB_RUN(test_hw_print_names_cpu_and_bandwidth);
	TB_RUN(test_hw_gpu_fields_when_a_device_exists);
	return tb_test_end();
}
