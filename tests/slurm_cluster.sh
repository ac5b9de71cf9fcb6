#!/usr/bin/env bash
# The SLURM profile on a real SLURM cluster: a one-node cluster on 127.0.0.1 runs a small
# config through `snakemake --profile` (profiles/slurm with its placeholders filled in),
# and its results/tables/summary.csv must be byte-identical to a local run of the config.
#
#     timeout -k 20 330 bash tests/slurm_cluster.sh     (as root on Debian 12, after .venv is built)
#
# It installs Slurm and MUNGE from Debian's packages, starts munged, slurmctld and slurmd
# in the foreground under a temporary directory (no systemd, cgroups or DNS needed) and
# stops every process it started, by PID, whether the run passes or fails. Every step
# runs under a time limit taken from one budget (BUDGET seconds, default 300, so that with
# the shutdown the script ends within 330 s): a hang fails it instead of stalling CI.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON="$ROOT/.venv/bin/python"
WORK=$(mktemp -d /tmp/mcloss-slurm.XXXXXX)
PIDS=()          # processes this script started, killed in reverse order on exit
started=$SECONDS
deadline=$((SECONDS + ${BUDGET:-300}))

say() { printf '[slurm_cluster %3ds] %s\n' $((SECONDS - started)) "$*"; }
limited() {  # run "$@" within what is left of the budget
    local left=$((deadline - SECONDS))
    ((left > 0)) || { echo "out of time before: $*" >&2; return 124; }
    timeout "$left" "$@" || { local rc=$?; ((rc == 124)) && echo "timed out: $*" >&2; return "$rc"; }
}

descendants() {  # PIDs of all descendants of $1 (slurmctld's helper, job steps, ...), from /proc
    local stat fields child
    for stat in /proc/[0-9]*/stat; do
        fields=$(cat "$stat" 2>/dev/null) || continue
        fields=${fields##*) }  # after "pid (comm) ": state ppid ...
        child=${stat#/proc/}
        child=${child%/stat}
        if [[ ${fields#* } == "$1 "* ]]; then
            descendants "$child"
            echo "$child"
        fi
    done
}

cleanup() {
    local status=$? pid victims=()
    trap - EXIT INT TERM
    if [[ ${#PIDS[@]} -gt 1 ]]; then  # slurmctld may be up: cancel what is left of our jobs
        timeout 10 scancel --quiet --user=root 2>/dev/null || true
    fi
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid=${PIDS[i]}
        victims+=($(descendants "$pid") "$pid")
    done
    for pid in "${victims[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 50); do  # up to 5 s for a clean shutdown, then SIGKILL
        local alive=0
        for pid in "${victims[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for pid in "${victims[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ -n ${POLICY_ADDED:-} ]]; then rm -f /usr/sbin/policy-rc.d; fi
    if [[ -L /etc/slurm/slurm.conf && $(readlink /etc/slurm/slurm.conf) == "$WORK/slurm.conf" ]]; then
        rm -f /etc/slurm/slurm.conf
        [[ -e "$WORK/slurm.conf.saved" || -L "$WORK/slurm.conf.saved" ]] && mv "$WORK/slurm.conf.saved" /etc/slurm/slurm.conf
    fi
    if ((status == 0)); then
        rm -rf "$WORK"
        say "passed; stopped ${#victims[@]} processes (PIDs ${victims[*]:-none})"
    else
        for log in "$WORK"/log/*.log; do [[ -f $log ]] && { echo "--- tail of $log"; tail -n 20 "$log"; }; done
        say "FAILED (exit $status); stopped ${#victims[@]} processes; files kept in $WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

[[ $(id -u) -eq 0 ]] || { echo "run as root (it installs packages and starts daemons)" >&2; exit 2; }
[[ -x $PYTHON ]] || { echo "build the environment first: $PYTHON is missing" >&2; exit 2; }

say "installing Slurm and MUNGE from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
# Where an init system would start the packages' services on installation, keep it from
# doing so: the only daemons are the ones this script starts (and stops).
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    POLICY_ADDED=1
fi
limited apt-get update -qq
limited apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
if [[ -n ${POLICY_ADDED:-} ]]; then rm -f /usr/sbin/policy-rc.d; unset POLICY_ADDED; fi

say "starting munged"
mkdir -p /run/munge /var/log/munge /var/lib/munge "$WORK"/{state,spool,log}
chown munge:munge /run/munge /var/log/munge /var/lib/munge
chmod 0755 /run/munge
if [[ ! -s /etc/munge/munge.key ]]; then
    setpriv --reuid=munge --regid=munge --init-groups mungekey --create --keyfile=/etc/munge/munge.key
fi
setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged --foreground \
    >"$WORK/log/munged.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
munge -n | unmunge >/dev/null

HOST=$(hostname -s)
CPUS=$(nproc)
MEMORY_MB=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512))
# The configuration must be found at Slurm's default path: the plugin's job step drops
# SLURM_CONF from the environment of the srun it starts inside each job. A file there
# already is set aside and put back on exit.
SLURM_CONF="$WORK/slurm.conf"
mkdir -p /etc/slurm
if [[ -e /etc/slurm/slurm.conf || -L /etc/slurm/slurm.conf ]]; then mv /etc/slurm/slurm.conf "$WORK/slurm.conf.saved"; fi
ln -s "$SLURM_CONF" /etc/slurm/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=mcloss-ci
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=600
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEMORY_MB State=UNKNOWN
PartitionName=ci Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

say "starting slurmctld and slurmd ($HOST, $CPUS CPUs, $MEMORY_MB MB)"
slurmctld -D -f "$SLURM_CONF" >/dev/null 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 300); do
    [[ $(sinfo --noheader --nodes="$HOST" --format=%t 2>/dev/null) == idle ]] && break
    sleep 0.1
done
[[ $(sinfo --noheader --nodes="$HOST" --format=%t) == idle ]] || { sinfo; exit 1; }

# The user's profile with its placeholders filled in for this cluster (partition "ci",
# no account), plus what a cluster without slurmdbd needs: job states from squeue
# (sacct has no accounting storage to read) and a short first status check. The plugin checks at i, then
# at intervals growing by 10 s while nothing has finished (i, 2i + 10, 3i + 30 s after a wave starts): with
# i = 2 a job of up to 14 s (a jobstep's start-up plus seconds of work) is seen at 14 s. (i = 6 was tried:
# 270 s against 192 s for the whole script on an idle machine, its jobs being seen at 22 s.)
PROFILE="$WORK/profile"
mkdir -p "$PROFILE"
sed -e 's/"PLACEHOLDER_PARTITION"/ci/' -e '/PLACEHOLDER_ACCOUNT/d' \
    "$ROOT/profiles/slurm/config.yaml" >"$PROFILE/config.yaml"
cat >>"$PROFILE/config.yaml" <<'EOF'
slurm-status-command: squeue
slurm-init-seconds-before-status-checks: 2
slurm-keep-successful-logs: true
EOF
grep -q PLACEHOLDER_ "$PROFILE/config.yaml" && { echo "a placeholder is left in the test profile" >&2; exit 1; }

CONFIG=$(
    cat <<'EOF'
seed: 11
replicates: 6
replicates_per_job: 3
batch_sizes: {min: 1, max: 5000, per_decade: 4}
analysis: {slope_min_n: 10, bootstrap: 20, paths: 3}
scenarios:
  gan_balanced:
    estimand: gan_discriminator
    data: {dist: norm, loc: 0.0, scale: 1.0}
    generator: {dist: norm, loc: 1.0, scale: 1.0}
    discriminator: {logit: [-0.5, 1.5]}
    real_fraction: 0.5
EOF
)
for run in local cluster; do mkdir -p "$WORK/$run" && echo "$CONFIG" >"$WORK/$run/config.yaml"; done
SNAKEMAKE=("$PYTHON" -m snakemake --snakefile "$ROOT/Snakefile")

# Up to the summary table, the file both runs are compared on: simulate, summarise and summary_table jobs, in
# three waves. (The whole workflow is eight waves of jobs that each wait about 36 s for the status checks to
# see them finish: 190-270 s, most of CI's time budget; the rules' resources are checked against the profile
# by tests/test_slurm_profile.py.)
say "cluster run: snakemake --profile (profiles/slurm, placeholders filled in), up to results/tables/summary.csv"
limited "${SNAKEMAKE[@]}" --directory "$WORK/cluster" --profile "$PROFILE" results/tables/summary.csv \
    >"$WORK/log/cluster.log" 2>&1

say "local run of the same config, up to results/tables/summary.csv"
limited "${SNAKEMAKE[@]}" --directory "$WORK/local" --cores "$CPUS" results/tables/summary.csv \
    >"$WORK/log/local.log" 2>&1

say "checking that every job ran as a SLURM job"
# Jobs the run planned, without a rule all if it is planned (no action: Snakemake completes it itself).
planned=$(awk '/^Job stats:/ {on = 1; next} on && $1 == "all" {all = $2} on && $1 == "total" {print $2 - all; exit}' \
    "$WORK/log/cluster.log")
mapfile -t ids < <(sed -n 's/.*has been submitted with SLURM jobid \([0-9][0-9]*\).*/\1/p' "$WORK/log/cluster.log")
((${#ids[@]} == planned)) || { echo "planned $planned jobs, ${#ids[@]} SLURM submissions" >&2; exit 1; }
for id in "${ids[@]}"; do
    state=$(scontrol show job "$id" | grep -o 'JobState=[A-Z]*' || true)
    [[ $state == JobState=COMPLETED ]] || { echo "SLURM job $id: ${state:-unknown}" >&2; exit 1; }
    [[ -n $(find "$WORK/cluster/results/logs/slurm" -name "$id.log") ]] || { echo "no SLURM log of job $id" >&2; exit 1; }
done
say "${#ids[@]} jobs ran as SLURM jobs ${ids[0]}..${ids[-1]}, all COMPLETED"

cmp "$WORK/local/results/tables/summary.csv" "$WORK/cluster/results/tables/summary.csv"
say "results/tables/summary.csv is byte-identical to the local run's ($(wc -l <"$WORK/cluster/results/tables/summary.csv") lines)"
