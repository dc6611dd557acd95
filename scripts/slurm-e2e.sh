#!/usr/bin/env bash
# End-to-end test of the sharded analysis on a real Slurm: starts a one-node cluster (munged,
# slurmctld, slurmd) with its own key, state, spool, ports and config (SLURM_CONF) under a
# temporary directory, submits the analysis of the bundled baseline (10,000 × 128) and of a
# small-class set as 4-task job arrays with `sbatch --wait`, merges the parts and compares the
# reports with one `tcmscope analyze` (JSON minus the timing field). Stops the daemons it started
# by PID. Needs root (slurmd launches the tasks) and Debian's slurm-wlm and munge. If Slurm cannot
# be started, it fails loudly: it never skips.
# Usage: scripts/slurm-e2e.sh [path/to/tcmscope]   (default .build/debug/tcmscope)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
TCMSCOPE="$(realpath "${1:-.build/debug/tcmscope}")"
fail() { echo "slurm-e2e: FAILED: $*" >&2; exit 1; }
[ -x "$TCMSCOPE" ] || fail "no tcmscope binary at $TCMSCOPE (build first)"
for tool in munged mungekey slurmctld slurmd sbatch sinfo; do
    command -v "$tool" >/dev/null || fail "$tool not found: apt-get install -y slurm-wlm munge"
done
[ "$(id -u)" -eq 0 ] || fail "must run as root (slurmd starts the tasks)"

work="$(mktemp -d /tmp/tcmscope-slurm.XXXXXX)"
chmod 755 "$work"
pids=()
stop() {
    # Only the daemons this script started, by their PID files.
    for f in "$work/slurmd.pid" "$work/slurmctld.pid" "$work/munged.pid"; do
        [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    done
    sleep 1
    if [ "${KEEP:-0}" != 1 ]; then rm -rf "$work"; else echo "slurm-e2e: kept $work"; fi
}
trap stop EXIT
logs() { for f in "$work"/*.log; do echo "== $f"; tail -n 20 "$f"; done >&2; }

# munge with its own key, socket and files.
mkdir -p "$work/munge"
chmod 700 "$work/munge"
mungekey -c -k "$work/munge/munge.key" >/dev/null
socket="$work/munge/munge.socket"
munged --force --socket="$socket" --key-file="$work/munge/munge.key" --pid-file="$work/munged.pid" \
    --log-file="$work/munged.log" --seed-file="$work/munge/seed" || { logs; fail "munged did not start"; }
munge -S "$socket" -n | unmunge -S "$socket" >/dev/null || { logs; fail "munge round trip failed"; }

# Ports picked from the PID, so that two runs on one machine do not collide.
port=$((20000 + ($$ % 2000) * 2))
host="$(hostname -s)"
mkdir -p "$work/state" "$work/spool"
export SLURM_CONF="$work/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=tcmscope-e2e
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
SlurmdSpoolDir=$work/spool
StateSaveLocation=$work/state
SlurmUser=root
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
MpiDefault=none
NodeName=$host CPUs=$(nproc) RealMemory=2000 State=UNKNOWN
PartitionName=e2e Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -f "$SLURM_CONF" || { logs; fail "slurmctld did not start"; }
slurmd -f "$SLURM_CONF" || { logs; fail "slurmd did not start"; }
for _ in $(seq 1 30); do
    state="$(sinfo -h -o %t 2>/dev/null || true)"
    [ "$state" = idle ] && break
    sleep 1
done
[ "$state" = idle ] || { logs; fail "the node did not come up idle (sinfo says '$state')"; }
echo "slurm-e2e: one-node cluster up ($host, ports $port/$((port + 1)), SLURM_CONF=$SLURM_CONF)"

emb="$root/sample-data/baseline/eval-embeddings.npy"
run_case() {
    local name="$1" labels="$2" out="$work/$1"
    mkdir -p "$out"
    # --export=ALL passes EMB/LABELS/OUT/TCMSCOPE and SLURM_CONF to the tasks.
    if ! EMB="$emb" LABELS="$labels" OUT="$out" TCMSCOPE="$TCMSCOPE" \
        sbatch --wait --export=ALL --array=0-3 -o "$out/task-%a.log" "$root/scripts/slurm-array.sh" > "$out/sbatch.txt"; then
        cat "$out"/task-*.log >&2 || true; logs; fail "$name: the job array failed"
    fi
    ls "$out"/part-*.tcmc >/dev/null 2>&1 || fail "$name: no count files written"
    [ "$(ls "$out"/part-*.tcmc | wc -l)" -eq 4 ] || fail "$name: expected 4 count files, got $(ls "$out"/part-*.tcmc | wc -l)"
    "$TCMSCOPE" merge "$out"/part-*.tcmc --json > "$out/merged.json"
    "$TCMSCOPE" analyze "$emb" "$labels" --json > "$out/single.json"
    if ! diff <(grep -v '"seconds"' "$out/single.json") <(grep -v '"seconds"' "$out/merged.json") > "$out/diff.txt"; then
        head -40 "$out/diff.txt" >&2; fail "$name: merged report differs from the single-process report"
    fi
    echo "slurm-e2e: $name: $(cat "$out/sbatch.txt"); 4 tasks: $(cat "$out"/task-*.log | tr '\n' ' ')"
    echo "slurm-e2e: $name: merged report equals the single-process report (JSON minus \"seconds\")"
}
# The baseline's 10 digit classes (runs of whole classes: each task ranks whole rows) and the same
# rows in 3,334 classes of 3 (a text label file; half-product tiles, neighbour lists merged).
run_case baseline "$root/sample-data/baseline/eval-labels.npy"
seq 0 9999 | awk '{ print "c" int($1 / 3) }' > "$work/triples.txt"
run_case small-classes "$work/triples.txt"
echo "slurm-e2e: passed"
