/* tests/base/test_path.c — tb_path_resolve, tb_path_dir and tb_mkdir_p (nested, existing,
 * trailing slashes, a file in the way). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "base/base.h"

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void check_resolve(const char *base, const char *path, const char *want)
{
	char *r = tb_path_resolve(base, path);
	TB_CHECK_STR(r, want);
	free(r);
}

static void check_dir(const char *path, const char *want)
{
	char *r = tb_path_dir(path);
	TB_CHECK_STR(r, want);
	free(r);
}

static void test_path_resolve_joins_relative_paths_only(void)
{
	check_resolve("examples", "data.jsonl", "examples/data.jsonl");
	check_resolve("examples/", "d/x.jsonl", "examples/d/x.jsonl");
	check_resolve("/", "x", "/x");
	check_resolve("examples", "/abs/x", "/abs/x");
	check_resolve(".", "x", "x");
	check_resolve("", "x", "x");
	check_resolve(NULL, "x", "x");
}

static void test_path_dir_gives_the_folder_part(void)
{
	check_dir("a/b/c.json", "a/b");
	check_dir("c.json", ".");
	check_dir("/c.json", "/");
	check_dir("a//c", "a");
}

static void test_mkdir_p_makes_nested_and_accepts_existing_folders(void)
{
	char root[64] = "/tmp/tb_path_XXXXXX", p[256], err[512] = "";

	TB_REQUIRE(mkdtemp(root) != NULL);
	snprintf(p, sizeof p, "%s/a/b/c", root);
	TB_CHECK_INT(tb_mkdir_p(p, err, sizeof err), 0);
	TB_CHECK(is_dir(p));
	/* again: every component exists */
	TB_CHECK_INT(tb_mkdir_p(p, err, sizeof err), 0);
	/* trailing and doubled slashes */
	snprintf(p, sizeof p, "%s/a//d/e/", root);
	TB_CHECK_INT(tb_mkdir_p(p, err, sizeof err), 0);
	snprintf(p, sizeof p, "%s/a/d/e", root);
	TB_CHECK(is_dir(p));
	TB_CHECK_INT(tb_mkdir_p(root, err, sizeof err), 0);
	TB_CHECK_INT(tb_mkdir_p("/", err, sizeof err), 0);
	tb_rmtree(root);
}

static void test_mkdir_p_names_the_component_a_file_blocks(void)
{
	char root[64] = "/tmp/tb_path_XXXXXX", p[256], err[512] = "";
	FILE *f;

	TB_REQUIRE(mkdtemp(root) != NULL);
	snprintf(p, sizeof p, "%s/file", root);
	TB_REQUIRE((f = fopen(p, "w")) != NULL);
	fclose(f);
	/* the file itself, and a folder below it: the error names the file in the way */
	TB_CHECK_INT(tb_mkdir_p(p, err, sizeof err), TB_EIO);
	TB_CHECK(strstr(err, "/file: cannot create folder: Not a directory") != NULL);
	snprintf(p, sizeof p, "%s/file/sub/x", root);
	TB_CHECK_INT(tb_mkdir_p(p, err, sizeof err), TB_EIO);
	TB_CHECK(strstr(err, "/file: cannot create folder: Not a directory") != NULL);
	tb_rmtree(root);
}

/* A shipped data file: the variable wins, else datasets/NAME above this test's binary (the
 * build tree's root); a name nobody ships is NULL. */
static void test_data_file_finds_the_shipped_file_or_the_variable(void)
{
	char buf[4096];
	const char *p;
	setenv("TB_TEST_DATA", "/somewhere/else.json", 1);
	TB_CHECK_STR(tb_data_file("TB_TEST_DATA", "prices.json", buf, sizeof buf), "/somewhere/else.json");
	unsetenv("TB_TEST_DATA");
	p = tb_data_file("TB_TEST_DATA", "prices.json", buf, sizeof buf);
	TB_REQUIRE(p != NULL);
	TB_CHECK(strlen(p) > 21 && strcmp(p + strlen(p) - 21, "/datasets/prices.json") == 0);
	TB_CHECK(access(p, R_OK) == 0);
	TB_CHECK(tb_data_file(NULL, "no-such-file.json", buf, sizeof buf) == NULL);
}

int main(void)
{
	TB_RUN(test_path_resolve_joins_relative_paths_only);
	TB_RUN(test_path_dir_gives_the_folder_part);
	TB_RUN(test_mkdir_p_makes_nested_and_accepts_existing_folders);
	TB_RUN(test_mkdir_p_names_the_component_a_file_blocks);
	TB_RUN(test_data_file_finds_the_shipped_file_or_the_variable);
	return tb_test_end();
}
