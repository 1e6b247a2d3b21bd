#!/bin/sh
# Integration: `tierbench cluster k8s` writes an Indexed Job and a merge Job that parse and hold
# what Kubernetes needs (completionMode Indexed, completions, parallelism, backoffLimitPerIndex,
# the claim mounted, TB_SHARDS); four shards run as the pods would (the manifest's command with
# JOB_COMPLETION_INDEX set), each finds its shard; the merge Job's command merges them; the
# merged report's figures equal an unsharded run's; a pod's rpm / tpm are the spec's divided by
# the shards unless "shard_limits": "each". Bad input: an index outside TB_SHARDS (or a
# Slurm task outside its array), no TB_SHARDS, a shard of another N, a shard directory that is
# not a store -- one line each, and no shard store changed.
. tests/integration/lib.sh
ROOT=$(pwd)
FIG="python3 $ROOT/tests/integration/report_figures.py"
cd "$T_DIR" || exit 1
mkdir vol
python3 "$ROOT/tests/integration/gen_data.py" vol/data.jsonl vol/gens.jsonl 37 2
cat > vol/spec.json <<JSON
{
  "name": "k8s-demo",
  "targets": [{"id": "a", "provider": "samples", "model": "gens.jsonl"},
              {"id": "b", "provider": "samples", "model": "gens.jsonl",
               "options": {"delay_ms": 1}}],
  "suites": [{"name": "gsm8k", "dataset": "data.jsonl", "samples": 2, "shots": 2}]
}
JSON

"$TB_BIN" cluster k8s vol/spec.json --shards 4 --image registry.example/tierbench:1 \
	--pvc runs-claim --files k8s >gen.log 2>&1
check k8s_manifests_written test -f k8s/k8s-demo-shards.json -a -f k8s/k8s-demo-merge.json

# The manifests parse (JSON is YAML) and hold the fields; the pod commands come out one per line.
python3 - k8s/k8s-demo-shards.json k8s/k8s-demo-merge.json >pods.txt 2>manifest.err <<'PY'
import json, sys
sh, mg = (json.load(open(p)) for p in sys.argv[1:3])
def pod(job):
    t = job["spec"]["template"]["spec"]
    assert t["restartPolicy"] == "Never"
    c, = t["containers"]
    vm, = c["volumeMounts"]
    vol, = t["volumes"]
    assert vm["name"] == vol["name"] and vol["persistentVolumeClaim"]["claimName"] == "runs-claim"
    assert c["image"] == "registry.example/tierbench:1"
    return c, vm["mountPath"]
for j in (sh, mg):
    assert j["apiVersion"] == "batch/v1" and j["kind"] == "Job", j
    assert j["metadata"]["name"].startswith("tb-k8s-demo-")
s = sh["spec"]
assert s["completionMode"] == "Indexed" and s["completions"] == 4 and s["parallelism"] == 4
assert s["backoffLimitPerIndex"] >= 1
c, mount = pod(sh)
env = {e["name"]: e["value"] for e in c["env"]}
assert env == {"TB_SHARDS": "4"}, env
m, mount2 = pod(mg)
assert mount2 == mount and mg["spec"]["completions"] == 1
print(mount)
print("\x1f".join(c["command"]))
print("\x1f".join(m["command"]))
PY
check k8s_manifests_have_required_fields test $? -eq 0 -a -s pods.txt
MOUNT=$(sed -n 1p pods.txt)

# A pod: the manifest's argv, with tierbench on the PATH as in the image and the claim's mount
# made local.
mkdir image && ln -s "$TB_BIN" image/tierbench
pod() { # pod NAME LINE
	sed -n "${2}p" pods.txt | PATH="$T_DIR/image:$PATH" python3 -c '
import os, sys
argv = [a.replace(sys.argv[1], sys.argv[2]) for a in sys.stdin.read().rstrip("\n").split("\x1f")]
os.execvp(argv[0], argv)' "$MOUNT" "$T_DIR/vol" >"pod$1.log" 2>&1
}
export TB_SHARDS=4
for i in 0 1 2 3; do
	JOB_COMPLETION_INDEX=$i pod $i 2 || echo "pod $i exited $?" >>pods.err
done
check k8s_four_pods_complete test ! -s pods.err
RUN=vol/runs/k8s-demo
check k8s_index_reaches_tierbench_as_its_shard test "$(for i in 0 1 2 3; do
	sql $RUN/shard-$i-of-4/results.db "SELECT shard_count || ':' || shards FROM runs"; done | tr '\n' ' ')" = "4:0 4:1 4:2 4:3 "
check k8s_shards_split_the_items test "$(for i in 0 1 2 3; do
	sql $RUN/shard-$i-of-4/results.db "SELECT count(*) FROM samples"; done | tr '\n' ' ')" = "38 38 36 36 "
unset TB_SHARDS

sums() { cat "$@" | cksum; }
before=$(sums $RUN/shard-*/results.db)
pod m 3; rc=$?
check k8s_merge_job_succeeds test $rc -eq 0
check k8s_merged_store_is_one_finished_run test "$(sql $RUN/results.db "SELECT count(*) || ' ' || status || ' ' || shards FROM runs")" = "1 done 0,1,2,3"
check k8s_merged_has_no_duplicates test "$(sql $RUN/results.db "SELECT count(*) || ' ' || count(DISTINCT target || '/' || item || '/' || sample) FROM samples")" = "148 148"
check k8s_merge_leaves_shards_unchanged test "$(sums $RUN/shard-*/results.db)" = "$before"

"$TB_BIN" run vol/spec.json --out ref --quiet --no-bw >ref.log 2>&1
"$TB_BIN" report ref --format json >ref.json 2>>ref.log && $FIG ref.json >ref.fig
"$TB_BIN" report $RUN --format json >merged.json 2>>ref.log && $FIG merged.json >merged.fig
check k8s_merged_figures_equal_unsharded_figures sh -c "test -s ref.fig && cmp -s ref.fig merged.fig"
# a resumed run into the merged store finds nothing left to do
"$TB_BIN" run vol/spec.json --out $RUN --quiet --no-bw >resume.log 2>&1
check k8s_resume_of_merged_store_runs_nothing grep -q "148 already stored" resume.log
check k8s_merged_report_lists_a_finished_run sh -c "'$TB_BIN' list runs $RUN | grep -q ' done '"

# merging again, and a partial merge completed by the late shard, give the same figures
"$TB_BIN" merge $RUN $RUN/shard-*-of-4 >again.log 2>&1 && "$TB_BIN" report $RUN --format json >again.json &&
	$FIG again.json >again.fig
check k8s_merge_again_gives_the_same_figures cmp -s ref.fig again.fig
"$TB_BIN" merge part $RUN/shard-0-of-4 $RUN/shard-1-of-4 >part.log 2>&1; rc=$?
check k8s_missing_shards_refused_and_listed sh -c "test $rc -eq 2 && grep -q 'missing shard: 2 of 4' part.log &&
	grep -q 'missing shard: 3 of 4' part.log && test ! -e part/results.db"
"$TB_BIN" merge part $RUN/shard-0-of-4 $RUN/shard-1-of-4 $RUN/shard-2-of-4 --allow-partial >part.log 2>&1; rc=$?
check k8s_allow_partial_marks_the_run sh -c "test $rc -eq 0 && '$TB_BIN' report part | grep -q partial"
"$TB_BIN" merge part part $RUN/shard-3-of-4 >>part.log 2>&1 && "$TB_BIN" report part --format json >late.json &&
	$FIG late.json >late.fig
check k8s_partial_merge_plus_late_shard_equals_full cmp -s ref.fig late.fig

# rpm / tpm are the whole run's: a pod of four sends at a quarter of them, unless "each"
# (the provider's -v line names its limits; the closed port makes the run end at once)
for mode in divide each; do
	cat >rate-$mode.json <<JSON
{"targets": [{"id": "api", "provider": "openai", "model": "m",
  "options": {"base_url": "http://127.0.0.1:9/v1", "key_env": "none", "rpm": 600, "tpm": 1000,
              "max_retries": 0, "connect_timeout_ms": 200, "shard_limits": "$mode"}}],
 "suites": [{"name": "gsm8k", "dataset": "vol/data.jsonl", "limit": 2}]}
JSON
	JOB_COMPLETION_INDEX=1 TB_SHARDS=4 "$TB_BIN" run rate-$mode.json --out rate-$mode --quiet --no-bw -v \
		>rate-$mode.log 2>&1
done
check k8s_pod_divides_rpm_and_tpm_by_the_shards grep -q "rpm 150, tpm 250" rate-divide.log
check k8s_shard_limits_each_keeps_the_full_figures grep -q "rpm 600, tpm 1000" rate-each.log

# bad input: one line, exit 1 for the environment, nothing written
JOB_COMPLETION_INDEX=4 TB_SHARDS=4 "$TB_BIN" run vol/spec.json --out bad --quiet --no-bw >bad.log 2>&1; rc=$?
check k8s_index_outside_count_is_one_line sh -c "test $rc -eq 1 && test \$(wc -l <bad.log) -eq 1 &&
	grep -q 'JOB_COMPLETION_INDEX=4 is outside TB_SHARDS=4' bad.log && test ! -e bad"
JOB_COMPLETION_INDEX=1 "$TB_BIN" run vol/spec.json --out bad --quiet --no-bw >bad.log 2>&1; rc=$?
check k8s_index_without_count_is_refused sh -c "test $rc -eq 1 && grep -q 'TB_SHARDS is not' bad.log && test ! -e bad"
SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=3 SLURM_ARRAY_TASK_COUNT=4 \
	"$TB_BIN" run vol/spec.json --out bad --quiet --no-bw >bad.log 2>&1; rc=$?
check slurm_task_outside_array_is_one_line sh -c "test $rc -eq 1 && test \$(wc -l <bad.log) -eq 1 &&
	grep -q 'SLURM_ARRAY_TASK_ID=4 is outside the array' bad.log && test ! -e bad"
JOB_COMPLETION_INDEX=0 TB_SHARDS=3 "$TB_BIN" run vol/spec.json --out other --quiet --no-bw >other.log 2>&1
before=$(sums $RUN/shard-*/results.db other/shard-0-of-3/results.db)
"$TB_BIN" merge mixed $RUN/shard-0-of-4 other/shard-0-of-3 >mixed.log 2>&1; rc=$?
check k8s_shards_of_another_n_refused sh -c "test $rc -eq 2 && grep -q 'share one N' mixed.log && test ! -e mixed/results.db"
mkdir notastore && echo hello >notastore/results.db
"$TB_BIN" merge mixed $RUN/shard-0-of-4 notastore >mixed.log 2>&1; rc=$?
check k8s_non_store_refused_in_one_line sh -c "test $rc -eq 2 && test \$(wc -l <mixed.log) -eq 1 &&
	grep -q 'notastore/results.db: not a tierbench results store' mixed.log"
check k8s_refused_merges_change_no_shard test "$(sums $RUN/shard-*/results.db other/shard-0-of-3/results.db)" = "$before"
end_tests
