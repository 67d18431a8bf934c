#!/usr/bin/env bash
# A one-node Slurm cluster on 127.0.0.1 for Retort's Slurm tests and benchmarks (Debian, as root).
#
#   scripts/slurm-local.sh install   apt-get install slurm-wlm and munge when missing
#   scripts/slurm-local.sh up        write the conf, start munged, slurmctld and slurmd, wait until the node takes jobs
#   scripts/slurm-local.sh down      stop the daemons this script started (by their pid files)
#   scripts/slurm-local.sh status    exit 0 when the controller answers and the node is up
#   scripts/slurm-local.sh env       print `export SLURM_CONF=…` (every Slurm client command needs it)
#
# Everything (conf, state, logs, munge key and socket) lives under $RETORT_SLURM_DIR
# (default /tmp/retort-slurm); nothing is written to /etc. There is no init system to rely on: each
# daemon is started here and puts itself in the background.
#
# Accounting: none (no slurmdbd, no database, so no `sacct`). Retort follows its jobs with one
# `squeue --states=all` per poll; MinJobAge keeps finished jobs visible to squeue for an hour, and
# Retort's batch jobs also leave a result file beside their log for jobs that aged out.
set -euo pipefail

DIR=${RETORT_SLURM_DIR:-/tmp/retort-slurm}
CTLD_PORT=${RETORT_SLURM_PORT:-6817}
SLURMD_PORT=$((CTLD_PORT + 1))
NODE=localhost
CONF=$DIR/slurm.conf
SOCKET=$DIR/munge/munge.socket.2
export SLURM_CONF=$CONF

say() { [ "${QUIET:-0}" = 1 ] || echo "slurm-local: $*" >&2; }
fail() { echo "slurm-local: $*" >&2; exit 1; }

# running PIDFILE: the process named in the file exists and is not a zombie
running() {
  local pid state
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$state" != Z ]
}

# within SECONDS CMD…: run CMD every 0.1 s until it succeeds or the deadline passes
within() {
  local deadline=$(($(date +%s%N) + $1 * 1000000000)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# The node answers and takes jobs (a trailing * in sinfo means it does not answer yet).
node_up() { sinfo --noheader --nodes="$NODE" --format=%T 2>/dev/null | grep -Eqx 'idle|mixed|allocated|completing'; }

cmd_install() {
  local missing=()
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null || missing+=(slurm-wlm)
  command -v munged >/dev/null || missing+=(munge)
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # Without --no-install-recommends slurm-wlm pulls in some forty packages nobody here uses.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_munge() {
  mkdir -p "$DIR/munge"
  chown munge:munge "$DIR/munge"
  chmod 0755 "$DIR/munge" # munged refuses a socket folder that others cannot traverse
  if [ ! -s "$DIR/munge/munge.key" ]; then
    runuser -u munge -- mungekey --create --keyfile="$DIR/munge/munge.key"
  fi
  if ! running "$DIR/munge/munged.pid"; then
    rm -f "$SOCKET" "$SOCKET.lock"
    runuser -u munge -- munged --socket="$SOCKET" --key-file="$DIR/munge/munge.key" \
      --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log" --seed-file="$DIR/munge/munged.seed"
  fi
  within 10 sh -c "munge -n --socket='$SOCKET' | unmunge --socket='$SOCKET'" ||
    fail "munged does not answer on $SOCKET (see $DIR/munge/munged.log)"
}

write_conf() {
  mkdir -p "$DIR"/{state,spool,log,run}
  # The node line takes the machine's real topology and memory from `slurmd -C`, so slurmd agrees with it.
  local hardware
  hardware=$(slurmd -C | head -1 | tr ' ' '\n' | grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore|RealMemory)=' | tr '\n' ' ')
  [ -n "$hardware" ] || fail "slurmd -C printed no hardware description"
  cat >"$CONF.tmp" <<EOF
# Written by scripts/slurm-local.sh: one node on loopback, no accounting.
ClusterName=retort-local
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$SOCKET
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
# No cgroups: containers and VMs here have no delegated cgroup tree.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Jobs that ask for no memory get this much per CPU (not the whole node, which would run one job at a time).
DefMemPerCPU=256
SchedulerType=sched/backfill
# Start a job whose dependency is met at the next pass (about 1 s) instead of after the default delay.
SchedulerParameters=batch_sched_delay=0,sched_min_interval=100000,default_queue_depth=1000
# A job whose afterok parent failed is cancelled, not left pending for ever.
DependencyParameters=kill_invalid_depend
# Finished jobs stay visible to squeue/scontrol for an hour: there is no sacct here.
MinJobAge=3600
KillWait=2
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$NODE $hardware State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
  mv -f "$CONF.tmp" "$CONF"
}

cmd_up() {
  [ "$(id -u)" = 0 ] || fail "run as root (the daemons run as root and munged as the munge user)"
  command -v slurmctld >/dev/null || fail "Slurm is not installed: run '$0 install' first"
  if running "$DIR/run/slurmctld.pid" && running "$DIR/run/slurmd.pid" && node_up; then
    say "already up"
  else
    local started=$(date +%s%N)
    start_munge
    write_conf
    running "$DIR/run/slurmctld.pid" || slurmctld -f "$CONF"
    within 30 scontrol ping || fail "slurmctld does not answer (see $DIR/log/slurmctld.log)"
    # -N: the node is called localhost in the conf whatever the machine's hostname is.
    running "$DIR/run/slurmd.pid" || slurmd -f "$CONF" -N "$NODE"
    if ! within 30 node_up; then
      # A node left down by an unclean stop comes back with one resume.
      scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true
      within 15 node_up || fail "node $NODE is not up: $(sinfo --noheader --format='%T %E' 2>&1) (see $DIR/log/slurmd.log)"
    fi
    say "up in $(( ($(date +%s%N) - started) / 1000000 )) ms"
  fi
  say "SLURM_CONF=$CONF"
}

# stop NAME PIDFILE: SIGTERM, then SIGKILL if it is still there after 10 s
stop() {
  running "$2" || return 0
  local pid
  pid=$(cat "$2")
  kill "$pid" 2>/dev/null || true
  if ! within 10 sh -c "! kill -0 $pid"; then
    say "$1 ignored SIGTERM, killing $pid"
    kill -9 "$pid" 2>/dev/null || true
  fi
}

no_jobs() { [ -z "$(squeue --noheader --format=%A 2>/dev/null)" ]; }

cmd_down() {
  # Jobs go first: slurmstepd outlives slurmd by design and would keep running them.
  if running "$DIR/run/slurmctld.pid" && ! no_jobs; then
    squeue --noheader --format=%A | xargs -r scancel
    within 15 no_jobs || say "jobs still listed after scancel: $(squeue --noheader --format=%A | tr '\n' ' ')"
  fi
  stop slurmd "$DIR/run/slurmd.pid"
  stop slurmctld "$DIR/run/slurmctld.pid"
  stop munged "$DIR/munge/munged.pid"
  say "down"
}

cmd_status() {
  running "$DIR/run/slurmctld.pid" && running "$DIR/run/slurmd.pid" && scontrol ping >/dev/null 2>&1 && node_up ||
    { echo "slurm-local: not up (start it with scripts/slurm-local.sh up)" >&2; return 1; }
  sinfo
}

case "${1:-up}" in
  install) cmd_install ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) fail "usage: $0 install|up|down|status|env" ;;
esac
