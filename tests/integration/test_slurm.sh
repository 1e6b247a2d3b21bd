#!/bin/sh
# Integration on a real Slurm: a one-node cluster from Debian's packages (munged, slurmctld,
# slurmd; config, spool and state in the scratch folder; proctrack/linuxproc and no cgroup
# plugin, so it runs in a container) runs the job files of `tierbench cluster slurm`: a 4-task
# array over a `samples` target on GSM8K and a `local` target on the project's own model, and
# the merge job after it. Shard 1 is cancelled mid-run with scancel and requeued: it resumes
# without duplicates. The merged report's figures equal an unsharded run's. Without root or
# the packages, or when the daemons do not come up, every check is skipped with the reason.
. tests/integration/lib.sh
ROOT=$(pwd)
SHARED=${TB_SHARED:-$ROOT/../shared}
GSM=$SHARED/datasets/gsm8k/test.jsonl
MODEL=$ROOT/models/tierbench-tiny.gguf
FIG="python3 $ROOT/tests/integration/report_figures.py"
NAMES="slurm_job_files_written slurm_array_and_merge_submitted slurm_shard_cancelled_mid_run
slurm_cancelled_shard_requeued slurm_merge_job_completes slurm_merged_store_is_one_finished_run
slurm_requeued_shard_resumed slurm_requeued_shard_has_no_duplicates
slurm_every_shard_has_its_share slurm_merged_figures_equal_unsharded_figures"

skip_all() {
	for n in $NAMES; do skip "$n" "$1"; done
	end_tests
	exit $?
}
[ "$(id -u)" -eq 0 ] || skip_all "needs root to start munged, slurmctld and slurmd"
for c in munged slurmctld slurmd sbatch squeue scancel scontrol sinfo; do
	command -v $c >/dev/null 2>&1 || skip_all "no $c (scripts/install-deps.sh installs slurm-wlm and munge)"
done
[ -f "$GSM" ] || skip_all "no $GSM (set TB_SHARED)"
[ -f "$MODEL" ] || skip_all "no $MODEL"

cd "$T_DIR" || exit 1
S=$T_DIR/slurm
mkdir -p "$S/state" "$S/spool"
PIDS=""
stop_all() {
	[ -n "${SLURM_CONF:-}" ] && scancel --quiet --user=root >/dev/null 2>&1
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
}
trap 'stop_all; rm -rf "$T_DIR"' EXIT

# munge: its own key and socket
dd if=/dev/urandom of="$S/munge.key" bs=1024 count=1 2>/dev/null && chmod 400 "$S/munge.key"
munged -F -f --key-file="$S/munge.key" --socket="$S/munge.sock" --pid-file="$S/munged.pid" \
	--log-file="$S/munged.log" --seed-file="$S/munge.seed" >"$S/munged.out" 2>&1 &
PIDS="$!"
for i in 1 2 3 4 5 6 7 8 9 10; do [ -S "$S/munge.sock" ] && break; sleep 0.5; done
[ -S "$S/munge.sock" ] || skip_all "munged did not start: $(tail -n 2 "$S/munged.out" | tr '\n' ' ')"

set -- $(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
HOST=$(hostname -s)
# cred_expire: a requeued job waits that long before it starts again (120 s by default)
cat >"$S/slurm.conf" <<EOF
ClusterName=tbtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$1
SlurmdPort=$2
AuthType=auth/munge
AuthInfo=socket=$S/munge.sock,cred_expire=5
CredType=cred/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobRequeue=1
KillWait=5
MinJobAge=600
SlurmdParameters=config_overrides
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=4 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$S/slurm.conf
slurmctld -D -c -f "$SLURM_CONF" >"$S/slurmctld.out" 2>&1 &
PIDS="$! $PIDS"
slurmd -D -f "$SLURM_CONF" >"$S/slurmd.out" 2>&1 &
PIDS="$! $PIDS"
for i in $(seq 60); do
	[ "$(sinfo -h -o %t 2>/dev/null)" = idle ] && break
	sleep 0.5
done
[ "$(sinfo -h -o %t 2>/dev/null)" = idle ] ||
	skip_all "the Slurm daemons did not come up: $(cat "$S/slurmctld.out" "$S/slurmd.out" "$S/slurmctld.log" "$S/slurmd.log" 2>/dev/null | grep -i -m 3 'error\|fatal' | tr '\n' ' ')"

# the spec: generations for the first 24 GSM8K items (every third one wrong), and the model
python3 - "$GSM" gens.jsonl <<'PY'
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for i, line in zip(range(24), f):
        gold = json.loads(line)["answer"].split("####")[-1].strip().replace(",", "")
        ans = gold if i % 3 else str(int(gold) + 1)
        out.write(json.dumps({"task_id": i, "completion": "So the result is %s. The answer is %s." % (ans, ans)}) + "\n")
PY
cat >spec.json <<JSON
{
  "name": "slurm-demo",
  "targets": [{"id": "gens", "provider": "samples", "model": "gens.jsonl", "options": {"delay_ms": 1500}},
              {"id": "tiny", "provider": "local", "model": "$MODEL", "options": {"threads": 1}}],
  "suites": [{"name": "gsm8k", "dataset": "$GSM", "shots": 0, "limit": 24}],
  "generation": {"max_tokens": 16, "temperature": 0, "seed": 1},
  "concurrency": 1
}
JSON
"$TB_BIN" cluster slurm spec.json --shards 4 --out run --time 00:10:00 >gen.log 2>&1
check slurm_job_files_written test -x run/shards.sbatch -a -x run/merge.sbatch -a -x run/submit.sh

run/submit.sh >submit.log 2>&1
A=$(sed -n 's/^shards: job \([0-9]*\), merge: job \([0-9]*\)$/\1/p' submit.log)
M=$(sed -n 's/^shards: job \([0-9]*\), merge: job \([0-9]*\)$/\2/p' submit.log)
check slurm_array_and_merge_submitted test -n "$A" -a -n "$M"

state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1; }
rows() { [ -f "$1" ] && sql "$1" "SELECT count(*) FROM samples" 2>/dev/null || echo 0; }
# shard 1: cancelled once it has stored a sample and before it is done, then requeued
for i in $(seq 120); do
	n=$(rows run/shard-1-of-4/results.db)
	[ "$(state "${A}_1")" = RUNNING ] && [ "${n:-0}" -ge 1 ] && break
	sleep 0.25
done
scancel "${A}_1"
for i in $(seq 60); do [ "$(state "${A}_1")" = CANCELLED ] && break; sleep 0.25; done
n=$(rows run/shard-1-of-4/results.db)
check slurm_shard_cancelled_mid_run sh -c "test '$(state "${A}_1")' = CANCELLED && test $n -ge 1 && test $n -lt 12"
scontrol requeue "${A}_1" >requeue.log 2>&1
check slurm_cancelled_shard_requeued sh -c "scontrol show job ${A}_1 | grep -q 'Restarts=1'"

for i in $(seq 300); do
	case $(state "$M") in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) break ;; esac
	sleep 0.5
done
check slurm_merge_job_completes sh -c "test '$(state "$M")' = COMPLETED"
check slurm_merged_store_is_one_finished_run test "$(sql run/results.db "SELECT count(*) || ' ' || status || ' ' || shards FROM runs" 2>/dev/null)" = "1 done 0,1,2,3"
check slurm_requeued_shard_resumed grep -q "already stored" run/logs/shard-1.log
check slurm_requeued_shard_has_no_duplicates test "$(sql run/shard-1-of-4/results.db "SELECT count(*) || ' ' || count(DISTINCT target || '/' || item || '/' || sample) || ' ' || sum(error = 0) FROM samples")" = "12 12 12"
check slurm_every_shard_has_its_share test "$(for i in 0 1 2 3; do rows run/shard-$i-of-4/results.db; done | tr '\n' ' ')" = "12 12 12 12 "

"$TB_BIN" run spec.json --out ref --concurrency 8 --quiet --no-bw >ref.log 2>&1
"$TB_BIN" report ref --format json >ref.json 2>>ref.log && $FIG ref.json >ref.fig
"$TB_BIN" report run --format json >merged.json 2>>ref.log && $FIG merged.json >merged.fig
check slurm_merged_figures_equal_unsharded_figures sh -c "test -s ref.fig && cmp -s ref.fig merged.fig"
if [ "$T_FAIL" -gt 0 ]; then
	for f in submit.log run/logs/shard-1.log run/logs/merge.log "$S/slurmctld.log"; do
		echo "--- $f"; tail -n 15 "$f" 2>/dev/null
	done
fi
end_tests
