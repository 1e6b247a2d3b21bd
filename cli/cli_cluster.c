/* cli/cli_cluster.c — scale-out on the schedulers people already run: `tierbench merge` (shard
 * stores into one store) and `tierbench cluster slurm|k8s` (a Slurm job array with a merge job
 * that runs after it, or a Kubernetes Indexed Job with a merge Job). tierbench schedules no
 * machines itself; docs/cluster.md walks through both. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/base.h"
#include "cli/cli_impl.h"
#include "harness/harness.h"

/* ------------------------------------------------------------------ merge */

static void usage_merge(FILE *f)
{
	fprintf(f,
		"usage: tierbench merge OUT_DIR SHARD_DIR... [--allow-partial] [-q]\n"
		"\n"
		"Combines the results stores of the shards of one run (`run --shard I/N`, Slurm array\n"
		"tasks, Indexed Job pods) into OUT_DIR/results.db, which `report`, `compare`, `list runs`\n"
		"and a resumed `run` treat like an unsharded run's. Every shard must hold the same spec\n"
		"and the same N; missing or unfinished shards and incomplete items are listed and stop\n"
		"the merge unless --allow-partial (the run is then marked partial). A sample stored by two\n"
		"shards must be the same in both. The store is written beside and renamed into place,\n"
		"and the shards are only read, so merging again, or merging OUT_DIR with a late shard\n"
		"(`tierbench merge OUT_DIR OUT_DIR LATE_SHARD`), gives the same store.\n"
		"\n"
		"  --allow-partial   merge what there is; the run's status is \"partial\"\n"
		"  -q, --quiet       no summary line on stdout\n"
		"  -h, --help        this text\n"
		"\n"
		"exit codes: 0 merged, 1 usage error, 2 the shards do not merge (nothing written)\n");
}

int cli_cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "allow-partial", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	hx_merge_opts mo = { 0 };
	hx_merge_summary sum;
	char err[2048], **paths = NULL, *out = NULL;
	int c, quiet = 0, rc = HX_EXIT_RUNTIME, n;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': mo.allow_partial = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage_merge(stdout); return HX_EXIT_OK;
		default: usage_merge(stderr); return HX_EXIT_USAGE;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "tierbench merge: give the output directory and at least one shard "
			"directory\n");
		usage_merge(stderr);
		return HX_EXIT_USAGE;
	}
	if (tb_mkdir_p(argv[optind], err, sizeof err)) {
		fprintf(stderr, "tierbench merge: %s\n", err);
		return HX_EXIT_RUNTIME;
	}
	n = argc - optind - 1;
	if (!(out = cli_store_path(argv[optind])) || !(paths = calloc((size_t)n, sizeof *paths)))
		goto nomem;
	for (int i = 0; i < n; i++)
		if (!(paths[i] = cli_store_path(argv[optind + 1 + i])))
			goto nomem;
	mo.log = stderr;
	if (hx_merge(out, (const char *const *)paths, (size_t)n, &mo, &sum, err, sizeof err)) {
		hx_escape_ctl(err, sizeof err);
		fprintf(stderr, "tierbench merge: %s\n", err);
		goto done;
	}
	if (!quiet)
		printf("merged %d of %d shards, %ld samples%s: %s\n", sum.n_shards_done, sum.shard_count,
		       sum.n_samples, sum.partial ? " (partial)" : "", out);
	rc = HX_EXIT_OK;
	goto done;
nomem:
	fprintf(stderr, "tierbench: out of memory\n");
done:
	for (int i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
	free(out);
	return rc;
}

/* ------------------------------------------------------------------ cluster */

typedef struct cluster_args {
	const char *kind;         /* "slurm" or "k8s" */
	char *spec_abs;           /* the spec's absolute path */
	char *name;               /* the run's name: the spec's, else its file name */
	char *out_abs;            /* the run directory (slurm: absolute) */
	long shards;
	const char *partition, *time, *image, *pvc, *mount;
	long gpus, cpus;
	const char *files;        /* where the job files go */
	char bin[PATH_MAX];       /* this tierbench */
} cluster_args;

static void usage_cluster(FILE *f)
{
	fprintf(f,
		"usage: tierbench cluster slurm SPEC.json --shards N [--partition P] [--gpus-per-task G]\n"
		"                              [--cpus-per-task C] [--time T] [--out DIR]\n"
		"       tierbench cluster k8s SPEC.json --shards N --image IMG [--pvc NAME] [--mount PATH]\n"
		"                              [--gpus-per-task G] [--cpus-per-task C] [--out DIR]\n"
		"                              [--files DIR]\n"
		"\n"
		"Writes the job files that run SPEC.json as N shards and merge them (docs/cluster.md).\n"
		"slurm: DIR/shards.sbatch (a job array 0..N-1, one `tierbench run` per task, requeued\n"
		"  when preempted; logs in DIR/logs), DIR/merge.sbatch and DIR/submit.sh, which submits\n"
		"  the array and the merge with --dependency=afterany on it. DIR (default runs/NAME) must\n"
		"  be on storage every node sees; the shards write DIR/shard-I-of-N, the merge DIR.\n"
		"k8s: an Indexed Job (completionMode Indexed, completions = parallelism = N,\n"
		"  backoffLimitPerIndex) whose pods run shard JOB_COMPLETION_INDEX of TB_SHARDS = N, and a\n"
		"  merge Job, as JSON manifests (kubectl reads them as YAML does) in --files DIR (default\n"
		"  .). The volume claim --pvc (default tierbench-runs) is mounted at --mount (default\n"
		"  /data) and must hold SPEC.json and its datasets at the top; runs go to\n"
		"  --out (default MOUNT/runs/NAME).\n"
		"\n"
		"  --shards N            shards (1..10000)\n"
		"  --partition P         slurm partition\n"
		"  --gpus-per-task G     GPUs for each shard (slurm --gpus-per-task; k8s nvidia.com/gpu)\n"
		"  --cpus-per-task C     CPUs for each shard\n"
		"  --time T              slurm time limit of each shard (e.g. 04:00:00)\n"
		"  --image IMG           k8s: a container image with tierbench on its PATH\n"
		"  --pvc NAME            k8s: the PersistentVolumeClaim of the run directories\n");
}

/* s single-quoted for sh ('it'\''s'). Ownership: caller free()s; NULL on ENOMEM. */
static char *sh_quote(const char *s)
{
	tb_buf b;
	tb_buf_init(&b, 1 << 16);
	tb_buf_adds(&b, "'");
	for (; *s; s++)
		if (*s == '\'')
			tb_buf_adds(&b, "'\\''");
		else
			tb_buf_add(&b, s, 1);
	tb_buf_adds(&b, "'");
	return b.err ? (tb_buf_release(&b), NULL) : tb_buf_detach(&b, NULL);
}

/* A job name from the run name: letters, digits and '-', lower case, at most 40 bytes (a
 * Kubernetes name must be a DNS label). */
static void job_name(const char *name, char *out, size_t cap)
{
	size_t k = 0;
	for (const char *p = name; *p && k + 1 < cap && k < 40; p++) {
		char ch = *p;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
			ch = '-';
		if (ch == '-' && (k == 0 || out[k - 1] == '-'))
			continue;
		out[k++] = ch;
	}
	while (k && out[k - 1] == '-')
		k--;
	if (!k)
		k = (size_t)snprintf(out, cap, "run");
	out[k] = 0;
}

static int write_file(const char *dir, const char *name, const char *text, int exec_bit)
{
	char path[PATH_MAX + 64], err[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (tb_file_write_atomic(path, text, strlen(text), err, sizeof err)) {
		fprintf(stderr, "tierbench cluster: %s\n", err);
		return -1;
	}
	if (exec_bit && chmod(path, 0755) != 0) {
		fprintf(stderr, "tierbench cluster: %s: %s\n", path, strerror(errno));
		return -1;
	}
	printf("wrote %s\n", path);
	return 0;
}

static int write_slurm(const cluster_args *a)
{
	char *q_bin = sh_quote(a->bin), *q_spec = sh_quote(a->spec_abs), *q_out = sh_quote(a->out_abs);
	char jn[48], logs[PATH_MAX + 16], err[1024];
	tb_buf s, m;
	int rc = -1;

	tb_buf_init(&s, 1 << 20);
	tb_buf_init(&m, 1 << 20);
	job_name(a->name, jn, sizeof jn);
	snprintf(logs, sizeof logs, "%s/logs", a->out_abs);
	if (!q_bin || !q_spec || !q_out) {
		fprintf(stderr, "tierbench: out of memory\n");
		goto out;
	}
	if (tb_mkdir_p(logs, err, sizeof err)) {
		fprintf(stderr, "tierbench cluster: %s\n", err);
		goto out;
	}
	/* #SBATCH lines take no shell quoting: a path with a space would break them, so the logs
	 * folder is named relative to --chdir instead. */
	tb_buf_addf(&s, "#!/bin/sh\n"
		"# The shards of %s as a Slurm job array, written by `tierbench cluster slurm`.\n"
		"# Task I runs shard I of %ld into %s/shard-I-of-%ld (tierbench reads the shard from\n"
		"# SLURM_ARRAY_TASK_ID, _MIN and _COUNT). A task that is requeued or run again resumes:\n"
		"# stored samples are skipped. Per-target rpm / tpm are split between the shards.\n"
		"#SBATCH --job-name=tb-%s\n"
		"#SBATCH --array=0-%ld\n"
		"#SBATCH --ntasks=1\n"
		"#SBATCH --chdir=%s\n"
		"#SBATCH --output=logs/shard-%%a.log\n"
		"#SBATCH --open-mode=append\n"
		"#SBATCH --requeue\n",
		a->spec_abs, a->shards, a->out_abs, a->shards, jn, a->shards - 1, a->out_abs);
	if (a->partition)
		tb_buf_addf(&s, "#SBATCH --partition=%s\n", a->partition);
	if (a->gpus > 0)
		tb_buf_addf(&s, "#SBATCH --gpus-per-task=%ld\n", a->gpus);
	if (a->cpus > 0)
		tb_buf_addf(&s, "#SBATCH --cpus-per-task=%ld\n", a->cpus);
	if (a->time)
		tb_buf_addf(&s, "#SBATCH --time=%s\n", a->time);
	tb_buf_addf(&s, "exec %s run %s --out %s\n", q_bin, q_spec, q_out);

	tb_buf_addf(&m, "#!/bin/sh\n"
		"# Merges the shards of %s once the array has ended (submitted with\n"
		"# --dependency=afterany on it by submit.sh): a missing or unfinished shard is named\n"
		"# in logs/merge.log and the job fails; resubmit the shard, then this job.\n"
		"#SBATCH --job-name=tb-%s-merge\n"
		"#SBATCH --ntasks=1\n"
		"#SBATCH --chdir=%s\n"
		"#SBATCH --output=logs/merge.log\n"
		"#SBATCH --open-mode=append\n",
		a->spec_abs, jn, a->out_abs);
	if (a->partition)
		tb_buf_addf(&m, "#SBATCH --partition=%s\n", a->partition);
	tb_buf_adds(&m, "#SBATCH --time=00:30:00\n");
	tb_buf_addf(&m, "set -- shard-*-of-%ld\n"
		"exec %s merge . \"$@\"\n", a->shards, q_bin);
	if (s.err || m.err) {
		fprintf(stderr, "tierbench: out of memory\n");
		goto out;
	}
	if (write_file(a->out_abs, "shards.sbatch", tb_buf_str(&s), 1) ||
	    write_file(a->out_abs, "merge.sbatch", tb_buf_str(&m), 1))
		goto out;
	tb_buf_reset(&s);
	tb_buf_addf(&s, "#!/bin/sh\n"
		"# Submits the shards of %s and the merge that runs after them.\n"
		"set -eu\n"
		"cd %s\n"
		"array=$(sbatch --parsable \"$@\" shards.sbatch)\n"
		"array=${array%%%%;*}\n"
		"merge=$(sbatch --parsable --dependency=afterany:\"$array\" \"$@\" merge.sbatch)\n"
		"echo \"shards: job $array, merge: job ${merge%%%%;*}\"\n", a->spec_abs, q_out);
	if (s.err || write_file(a->out_abs, "submit.sh", tb_buf_str(&s), 1))
		goto out;
	printf("submit with: %s/submit.sh   (then: tierbench report %s)\n", a->out_abs, a->out_abs);
	rc = 0;
out:
	tb_buf_release(&s);
	tb_buf_release(&m);
	free(q_bin);
	free(q_spec);
	free(q_out);
	return rc;
}

/* The pod template both Jobs share: one container running argv with env, the claim mounted. */
static cJSON *pod_template(const cluster_args *a, const char *jn, const char *role, cJSON *cmd,
	int with_shards)
{
	cJSON *t = cJSON_CreateObject(), *meta, *lab, *spec, *ctrs, *c, *env, *e, *vm, *v, *vols, *vol;
	char n[32];

	meta = cJSON_AddObjectToObject(t, "metadata");
	lab = cJSON_AddObjectToObject(meta, "labels");
	cJSON_AddStringToObject(lab, "app.kubernetes.io/name", "tierbench");
	cJSON_AddStringToObject(lab, "tierbench/run", jn);
	cJSON_AddStringToObject(lab, "tierbench/role", role);
	spec = cJSON_AddObjectToObject(t, "spec");
	cJSON_AddStringToObject(spec, "restartPolicy", "Never");
	ctrs = cJSON_AddArrayToObject(spec, "containers");
	c = cJSON_CreateObject();
	cJSON_AddItemToArray(ctrs, c);
	cJSON_AddStringToObject(c, "name", "tierbench");
	cJSON_AddStringToObject(c, "image", a->image);
	cJSON_AddItemToObject(c, "command", cmd);
	env = cJSON_AddArrayToObject(c, "env");
	if (with_shards) {
		/* an Indexed Job gives each pod JOB_COMPLETION_INDEX but not the completions */
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "name", "TB_SHARDS");
		snprintf(n, sizeof n, "%ld", a->shards);
		cJSON_AddStringToObject(e, "value", n);
		cJSON_AddItemToArray(env, e);
	}
	if (with_shards && (a->gpus > 0 || a->cpus > 0)) {
		cJSON *res = cJSON_AddObjectToObject(c, "resources");
		cJSON *lim = cJSON_AddObjectToObject(res, "limits");
		cJSON *req = cJSON_AddObjectToObject(res, "requests");
		if (a->gpus > 0) {
			snprintf(n, sizeof n, "%ld", a->gpus);
			cJSON_AddStringToObject(lim, "nvidia.com/gpu", n);
		}
		if (a->cpus > 0) {
			snprintf(n, sizeof n, "%ld", a->cpus);
			cJSON_AddStringToObject(req, "cpu", n);
		}
	}
	vm = cJSON_AddArrayToObject(c, "volumeMounts");
	v = cJSON_CreateObject();
	cJSON_AddStringToObject(v, "name", "runs");
	cJSON_AddStringToObject(v, "mountPath", a->mount);
	cJSON_AddItemToArray(vm, v);
	vols = cJSON_AddArrayToObject(spec, "volumes");
	vol = cJSON_CreateObject();
	cJSON_AddStringToObject(vol, "name", "runs");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(vol, "persistentVolumeClaim"), "claimName",
		a->pvc);
	cJSON_AddItemToArray(vols, vol);
	return t;
}

static cJSON *job(const char *name, const char *jn, const char *role)
{
	cJSON *j = cJSON_CreateObject(), *meta, *lab;
	cJSON_AddStringToObject(j, "apiVersion", "batch/v1");
	cJSON_AddStringToObject(j, "kind", "Job");
	meta = cJSON_AddObjectToObject(j, "metadata");
	cJSON_AddStringToObject(meta, "name", name);
	lab = cJSON_AddObjectToObject(meta, "labels");
	cJSON_AddStringToObject(lab, "app.kubernetes.io/name", "tierbench");
	cJSON_AddStringToObject(lab, "tierbench/run", jn);
	cJSON_AddStringToObject(lab, "tierbench/role", role);
	return j;
}

static int write_k8s(const cluster_args *a)
{
	char jn[48], name[64], spec_in_pod[PATH_MAX], sh[PATH_MAX * 2 + 128], fname[128];
	const char *base = strrchr(a->spec_abs, '/');
	cJSON *shards = NULL, *merge = NULL, *spec, *cmd;
	char *text = NULL, *q_out = NULL;
	int rc = -1;

	job_name(a->name, jn, sizeof jn);
	snprintf(spec_in_pod, sizeof spec_in_pod, "%s/%s", a->mount, base ? base + 1 : a->spec_abs);

	snprintf(name, sizeof name, "tb-%s-shards", jn);
	shards = job(name, jn, "shard");
	spec = cJSON_AddObjectToObject(shards, "spec");
	cJSON_AddStringToObject(spec, "completionMode", "Indexed");
	cJSON_AddNumberToObject(spec, "completions", (double)a->shards);
	cJSON_AddNumberToObject(spec, "parallelism", (double)a->shards);
	/* a failed pod is retried for its own index only; a retried pod resumes its shard */
	cJSON_AddNumberToObject(spec, "backoffLimitPerIndex", 2);
	cmd = cJSON_CreateArray();
	cJSON_AddItemToArray(cmd, cJSON_CreateString("tierbench"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString("run"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString(spec_in_pod));
	cJSON_AddItemToArray(cmd, cJSON_CreateString("--out"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString(a->out_abs));
	cJSON_AddItemToObject(spec, "template", pod_template(a, jn, "shard", cmd, 1));

	snprintf(name, sizeof name, "tb-%s-merge", jn);
	merge = job(name, jn, "merge");
	spec = cJSON_AddObjectToObject(merge, "spec");
	cJSON_AddNumberToObject(spec, "completions", 1);
	cJSON_AddNumberToObject(spec, "backoffLimit", 0);
	if (!(q_out = sh_quote(a->out_abs)))
		goto out;
	snprintf(sh, sizeof sh, "cd %s && exec tierbench merge . shard-*-of-%ld", q_out, a->shards);
	cmd = cJSON_CreateArray();
	cJSON_AddItemToArray(cmd, cJSON_CreateString("sh"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString("-c"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString(sh));
	cJSON_AddItemToObject(spec, "template", pod_template(a, jn, "merge", cmd, 0));

	if (!(text = cJSON_Print(shards)))
		goto out;
	snprintf(fname, sizeof fname, "%s-shards.json", jn);
	if (write_file(a->files, fname, text, 0))
		goto out;
	free(text);
	if (!(text = cJSON_Print(merge)))
		goto out;
	snprintf(fname, sizeof fname, "%s-merge.json", jn);
	if (write_file(a->files, fname, text, 0))
		goto out;
	printf("run with: kubectl apply -f %s/%s-shards.json && kubectl wait --for=condition=complete "
	       "--timeout=24h job/tb-%s-shards && kubectl apply -f %s/%s-merge.json\n", a->files, jn,
	       jn, a->files, jn);
	rc = 0;
out:
	if (rc && !text)
		fprintf(stderr, "tierbench: out of memory\n");
	free(text);
	free(q_out);
	cJSON_Delete(shards);
	cJSON_Delete(merge);
	return rc;
}

static int parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "tierbench cluster: --%s: expected a whole number %ld..%ld, got \"%s\"\n",
			opt, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* A Slurm or Kubernetes word: no whitespace, quotes or shell characters (it goes on #SBATCH
 * lines and into manifests as given). */
static int plain_word(const char *opt, const char *s)
{
	if (!*s || strpbrk(s, " \t\n\r'\"\\$`;&|<>()*?[]{}#")) {
		fprintf(stderr, "tierbench cluster: --%s: \"%s\" holds a space, quote or shell "
			"character\n", opt, s);
		return -1;
	}
	return 0;
}

int cli_cmd_cluster(int argc, char **argv)
{
	enum { O_SHARDS = 256, O_PART, O_GPUS, O_CPUS, O_TIME, O_OUT, O_IMAGE, O_PVC, O_MOUNT, O_FILES };
	static const struct option opts[] = {
		{ "shards", required_argument, NULL, O_SHARDS },
		{ "partition", required_argument, NULL, O_PART },
		{ "gpus-per-task", required_argument, NULL, O_GPUS },
		{ "cpus-per-task", required_argument, NULL, O_CPUS },
		{ "time", required_argument, NULL, O_TIME },
		{ "out", required_argument, NULL, O_OUT },
		{ "image", required_argument, NULL, O_IMAGE },
		{ "pvc", required_argument, NULL, O_PVC },
		{ "mount", required_argument, NULL, O_MOUNT },
		{ "files", required_argument, NULL, O_FILES },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const kinds[] = { "slurm", "k8s" };
	cluster_args a = { 0 };
	const char *out = NULL, *spec_path;
	hx_spec *spec = NULL;
	char err[2048];
	int c, rc = HX_EXIT_USAGE;
	ssize_t n;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage_cluster(stdout);
		return HX_EXIT_OK;
	}
	if (argc < 3) {
		usage_cluster(stderr);
		return HX_EXIT_USAGE;
	}
	if (cli_check_name("tierbench cluster", "scheduler", argv[1], kinds, 2, sizeof kinds[0]))
		return HX_EXIT_USAGE;
	a.kind = argv[1];
	a.pvc = "tierbench-runs";
	a.mount = "/data";
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_SHARDS: if (parse_long("shards", optarg, 1, 10000, &a.shards)) return HX_EXIT_USAGE; break;
		case O_GPUS: if (parse_long("gpus-per-task", optarg, 0, 1024, &a.gpus)) return HX_EXIT_USAGE; break;
		case O_CPUS: if (parse_long("cpus-per-task", optarg, 0, 100000, &a.cpus)) return HX_EXIT_USAGE; break;
		case O_PART: if (plain_word("partition", optarg)) return HX_EXIT_USAGE; a.partition = optarg; break;
		case O_TIME: if (plain_word("time", optarg)) return HX_EXIT_USAGE; a.time = optarg; break;
		case O_IMAGE: if (plain_word("image", optarg)) return HX_EXIT_USAGE; a.image = optarg; break;
		case O_PVC: if (plain_word("pvc", optarg)) return HX_EXIT_USAGE; a.pvc = optarg; break;
		case O_MOUNT:
			if (optarg[0] != '/' || plain_word("mount", optarg))
				return fprintf(stderr, "tierbench cluster: --mount: an absolute path\n"), HX_EXIT_USAGE;
			a.mount = optarg;
			break;
		case O_OUT: out = optarg; break;
		case O_FILES: a.files = optarg; break;
		case 'h': usage_cluster(stdout); return HX_EXIT_OK;
		default: usage_cluster(stderr); return HX_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "tierbench cluster %s: give one spec file\n", a.kind);
		return HX_EXIT_USAGE;
	}
	spec_path = argv[optind];
	if (a.shards < 1) {
		fprintf(stderr, "tierbench cluster %s: --shards N is required\n", a.kind);
		return HX_EXIT_USAGE;
	}
	if (!strcmp(a.kind, "k8s") && !a.image) {
		fprintf(stderr, "tierbench cluster k8s: --image IMG is required (an image with tierbench "
			"on its PATH)\n");
		return HX_EXIT_USAGE;
	}
	rc = HX_EXIT_RUNTIME;
	if (!(spec = hx_spec_load(spec_path, err, sizeof err))) {
		fprintf(stderr, "tierbench: %s\n", err);
		goto done;
	}
	if (!(a.spec_abs = realpath(spec_path, NULL))) {
		fprintf(stderr, "tierbench cluster: %s: %s\n", spec_path, strerror(errno));
		goto done;
	}
	{
		const char *b = strrchr(a.spec_abs, '/');
		char *dot;
		if (!(a.name = strdup(spec->name ? spec->name : b ? b + 1 : a.spec_abs)))
			goto nomem;
		if (!spec->name && (dot = strrchr(a.name, '.')))
			*dot = 0;
	}
	if ((n = readlink("/proc/self/exe", a.bin, sizeof a.bin - 1)) <= 0) {
		fprintf(stderr, "tierbench cluster: cannot find this tierbench (/proc/self/exe): %s\n",
			strerror(errno));
		goto done;
	}
	a.bin[n] = 0;
	if (!strcmp(a.kind, "slurm")) {
		char *dir;
		if (out) {
			dir = strdup(out);
		} else if ((dir = malloc(strlen(a.name) + 8))) {
			sprintf(dir, "runs/%s", a.name);
			for (char *p = dir + 5; *p; p++)
				if (*p == '/' || *p == ' ')
					*p = '_';
		}
		if (!dir)
			goto nomem;
		if (tb_mkdir_p(dir, err, sizeof err) || !(a.out_abs = realpath(dir, NULL))) {
			fprintf(stderr, "tierbench cluster: %s\n", *err ? err : strerror(errno));
			free(dir);
			goto done;
		}
		free(dir);
		if (strpbrk(a.out_abs, " \t\n\r%")) {
			/* #SBATCH lines are not parsed by a shell: no quoting can carry these */
			fprintf(stderr, "tierbench cluster slurm: --out: \"%s\" holds a space or %%; choose a "
				"run directory without\n", a.out_abs);
			goto done;
		}
		rc = write_slurm(&a) ? HX_EXIT_RUNTIME : HX_EXIT_OK;
	} else {
		if (out && out[0] != '/') {
			fprintf(stderr, "tierbench cluster k8s: --out: a path inside the pod (absolute, e.g. "
				"%s/runs/x)\n", a.mount);
			rc = HX_EXIT_USAGE;
			goto done;
		}
		if (out) {
			a.out_abs = strdup(out);
		} else if ((a.out_abs = malloc(strlen(a.mount) + strlen(a.name) + 8))) {
			char jn[48];
			job_name(a.name, jn, sizeof jn);
			sprintf(a.out_abs, "%s/runs/%s", a.mount, jn);
		}
		if (!a.out_abs)
			goto nomem;
		if (!a.files)
			a.files = ".";
		if (tb_mkdir_p(a.files, err, sizeof err)) {
			fprintf(stderr, "tierbench cluster: %s\n", err);
			goto done;
		}
		rc = write_k8s(&a) ? HX_EXIT_RUNTIME : HX_EXIT_OK;
	}
	goto done;
nomem:
	fprintf(stderr, "tierbench: out of memory\n");
	rc = HX_EXIT_RUNTIME;
done:
	hx_spec_free(spec);
	free(a.spec_abs);
	free(a.name);
	free(a.out_abs);
	return rc;
}
