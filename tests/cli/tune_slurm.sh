#!/usr/bin/env bash
# `reff tune --slurm` on a real single-node Slurm started here from Debian's packages (munge,
# slurmctld, slurmd; scripts/install-deps), stopped again on exit: a small sweep submitted as a
# job array with a collecting job, one cell made to fail. The collecting job must rank the rest,
# name the failed cell (its log kept) and exit non-zero. Needs $REFF and root (the daemons run as
# root in a scratch folder); exit 77 (skipped) without them.
source "$(dirname "$0")/workflow.sh"

[ "$(id -u)" -eq 0 ] || { echo "skipped: the daemons need root"; exit 77; }
for daemon in munged slurmctld slurmd sbatch squeue scontrol; do
  command -v "$daemon" >/dev/null || { echo "skipped: $daemon not installed"; exit 77; }
done

slurm="$tmp/slurm"
mkdir -p "$slurm/state" "$slurm/spool" "$slurm/log"
chmod 755 "$tmp" "$slurm"
stop_daemons() {
  for pidfile in "$slurm"/slurmd.pid "$slurm"/slurmctld.pid "$slurm"/munged.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  sleep 1
  rm -rf "$tmp"
}
trap stop_daemons EXIT

dd if=/dev/urandom of="$slurm/munge.key" bs=1 count=1024 2>/dev/null
chmod 400 "$slurm/munge.key"
munged --force --socket="$slurm/munge.socket" --key-file="$slurm/munge.key" \
  --log-file="$slurm/log/munged.log" --pid-file="$slurm/munged.pid" \
  --seed-file="$slurm/munged.seed" || { echo "FAIL: munged did not start"; exit 1; }
port=$((20000 + $$ % 20000))
host="$(hostname)"
cat >"$slurm/slurm.conf" <<EOF
ClusterName=reff-test
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$slurm/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
StateSaveLocation=$slurm/state
SlurmdSpoolDir=$slurm/spool
SlurmctldPidFile=$slurm/slurmctld.pid
SlurmdPidFile=$slurm/slurmd.pid
SlurmctldLogFile=$slurm/log/slurmctld.log
SlurmdLogFile=$slurm/log/slurmd.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=reff Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$slurm/slurm.conf"
slurmctld -i || { echo "FAIL: slurmctld did not start: $(tail -3 "$slurm/log/slurmctld.log")"; exit 1; }
slurmd || { echo "FAIL: slurmd did not start: $(tail -3 "$slurm/log/slurmd.log")"; exit 1; }
for _ in $(seq 1 60); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 0.5; done
sinfo -h -o %T | grep -q idle || { echo "FAIL: the node never became idle: $(sinfo 2>&1)"; exit 1; }

data="$tmp/data"
run example data layout-example --dataset folder --out "$data"
sweep="$tmp/sweep"
# Held at submission, so that one cell can be made to fail before any task starts.
run submit tune --dataset folder --data "$data" --canvas 24 --width 4 --epochs 1 --batch-size 8 \
  --explain-count 8 --val "$data/shifted" --test test --seeds 1 --annotator none --grow 0 \
  --methods baseline,reff --lambdas reff:1e-3,1e-2 --slurm --sbatch=--hold \
  --sbatch=--cpus-per-task=1 --out "$sweep"
[ -f "$sweep/tune.sbatch" ] || fail "no tune.sbatch"
grep -q "^#SBATCH --hold" "$sweep/tune.sbatch" || fail "tune.sbatch lacks the --sbatch option"
grep -q "submitted (3 cells)" "$tmp/submit.out" || fail "submit said: $(cat "$tmp/submit.out" "$tmp/submit.err")"
# A folder that is not a run's: the cell fails there, as a task on a broken node would.
mkdir -p "$sweep/runs/reff-lambda0.01-seed0"
echo "not a run" >"$sweep/runs/reff-lambda0.01-seed0/notes.txt"
for job in $(squeue -h -o %F | sort -u); do scontrol release "$job"; done

for _ in $(seq 1 600); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 1; done
[ -z "$(squeue -h)" ] || fail "jobs still queued after 600 s: $(squeue)"
collect="$sweep/logs/collect-1.log"
[ -f "$collect" ] || fail "the collecting job wrote no log"
grep -q "^failed: tune: 1 cell(s) failed (reff-lambda0.01-seed0)" "$collect" ||
  fail "collect said: $(tail -3 "$collect")"
grep -q "^winner: " "$collect" || fail "collect named no winner: $(tail -3 "$collect")"
[ "$(json "$sweep/results.json" "d['failed']")" = "['reff-lambda0.01-seed0']" ] || fail "results.json failed: $(json "$sweep/results.json" "d['failed']")"
[ "$(json "$sweep/results.json" "len(d['ranking'])")" = 4 ] || fail "ranking: $(json "$sweep/results.json" "[e['label'] for e in d['ranking']]")"
[ "$(json "$sweep/runs/reff-lambda0.01-seed0/cell.json" "d['status']")" = failed ] || fail "the failed cell is not marked failed"
[ -s "$sweep/logs/reff-lambda0.01-seed0.log" ] || fail "the failed cell kept no log"
[ -f "$sweep/best.pth" ] && [ -f "$sweep/report.html" ] || fail "no best.pth or report.html"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "tune_slurm: all checks passed"
