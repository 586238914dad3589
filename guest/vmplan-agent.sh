#!/bin/sh
# vmplan-agent: runs one vmplan job inside a Linux guest, writes result.json and powers the guest off.
# POSIX sh; works with busybox. The contract it implements is docs/guest-protocol.md.
# Its setup is on every job's path: each process it starts costs milliseconds in an emulated guest (about 6 ms
# under TCG), so it prefers builtins (read, case, parameter expansion) to commands, and no subshells or pipes.
set -u

PRIVATE=/run/vmplan-root           # root-only: the job share is mounted in here, out of the job's reach
JOB="$PRIVATE/job"                 # share "vmplan-job": settings in, results out
LOWER="$PRIVATE/work"              # share "vmplan-work": the run's workspace snapshot
WORKSPACE=/workspace               # where the job runs
PUBLIC=/run/vmplan                 # readable by the job: its command
STARTED=""
RESULT_WRITTEN=0

# Centiseconds since the kernel started (/proc/uptime has two decimals): the phases of the job on the guest's
# clock, reported in result.json (the host ties them to its own clock).
# `uptime_to NAME` sets NAME without starting a process (each one costs milliseconds in an emulated guest).
uptime_to() {
  if read -r up _ </proc/uptime 2>/dev/null; then
    up="${up%.*}${up#*.}"
    while [ "${#up}" -gt 1 ] && [ "${up#0}" != "$up" ]; do up="${up#0}"; done
  else
    up=null
  fi
  eval "$1=\$up"
}
uptime_to UP_STARTED
# is_number VALUE: true for a whole number.
is_number() {
  case "$1" in '' | *[!0-9]*) return 1 ;; esac
}
UP_COMMAND=null
UP_FINISHED=null

# Messages and the job's output go to the agent's stdout: the console (hvc0) in vmplan's guests. Started with no
# stdout at all (an init without a console), they go nowhere: a write error would stop the job's tee.
{ : >&1; } 2>/dev/null || exec >/dev/null
{ : >&2; } 2>/dev/null || exec 2>/dev/null
say() { echo "vmplan-agent: $*"; }
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# JSON string with quotes; control characters (all of them, which JSON forbids raw) become spaces.
json_string() {
  printf '"%s"' "$(printf '%s' "$1" | tr '\001-\037' ' ' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

# write_result STATUS EXIT_CODE|null MESSAGE|"" — atomically (temp file, rename); power_off syncs.
write_result() {
  message=null
  [ -n "$3" ] && message=$(json_string "$3")
  started=null
  [ -n "$STARTED" ] && started="\"$STARTED\""
  # The guest's times, only when each is a number (or null where the command never ran): a result must parse.
  uptimes=""
  uptime_to collected
  if is_number "$UP_STARTED" && is_number "$collected" &&
    { is_number "$UP_COMMAND" || [ "$UP_COMMAND" = null ]; } &&
    { is_number "$UP_FINISHED" || [ "$UP_FINISHED" = null ]; }; then
    uptimes=",\"uptimes\":{\"started\":$UP_STARTED,\"command\":$UP_COMMAND,\"finished\":$UP_FINISHED,\"collected\":$collected}"
  fi
  printf '{"version":1,"status":"%s","exitCode":%s,"startedAt":%s,"finishedAt":"%s","message":%s%s}\n' \
    "$1" "$2" "$started" "$(now)" "$message" "$uptimes" >"$JOB/.result.json.tmp" &&
    mv -f "$JOB/.result.json.tmp" "$JOB/result.json" && RESULT_WRITTEN=1
}

power_off() {
  sync
  say "powering off"
  # Minimal images may have no poweroff of their own (no init system): busybox's, else the kernel's sysrq.
  if command -v poweroff >/dev/null 2>&1; then poweroff -f; elif busybox poweroff -f 2>/dev/null; then :; fi
  sleep 2
  echo o >/proc/sysrq-trigger 2>/dev/null
}

# Fails the job before it ran (the guest could not be set up), then powers off.
setup_failed() {
  say "setup failed: $1"
  [ -d "$JOB" ] && write_result error null "guest setup failed: $1"
  power_off
  exit 1
}

# load_modules NAME...: the drivers a step needs, in one modprobe, and none when all are loaded already (vmplan's
# inits load the usual ones at boot, in one process; /sys/module/NAME is there once a module is loaded). Built-in
# drivers without a /sys/module entry cost a modprobe that does nothing; images without modprobe load their own.
# `missing NAME...` is true when one of them is not loaded.
missing() {
  for module in "$@"; do [ -d "/sys/module/$module" ] || return 0; done
  return 1
}
load_modules() { ! missing "$@" || modprobe -a "$@" 2>/dev/null; }

# mount_share TAG DIR OPTIONS: virtiofs (vfkit, QEMU with virtiofsd), else 9p (QEMU without virtiofsd).
mount_share() {
  [ -d "$2" ] || mkdir -p "$2"
  load_modules virtiofs
  mount -t virtiofs -o "$3" "$1" "$2" 2>/dev/null && return 0
  load_modules 9pnet_virtio 9p
  mount -t 9p -o "trans=virtio,version=9p2000.L,msize=262144,$3" "$1" "$2" 2>/dev/null && return 0
  return 1
}

# The private folder and the mount points in it, root-only: made in one process under umask 077 (a folder that
# was there already is made root-only by chmod).
[ -d "$PRIVATE" ] && chmod 700 "$PRIVATE"
umask 077
mkdir -p "$JOB" "$LOWER" || { umask 022; setup_failed "cannot create $PRIVATE"; }
umask 022
mount_share vmplan-job "$JOB" rw || setup_failed "cannot mount the vmplan-job share"
[ -r "$JOB/job.env" ] || setup_failed "no job.env in the vmplan-job share"
# Settings written by the host (trusted): VMPLAN_JOB, VMPLAN_WORKDIR, VMPLAN_TIMEOUT_SECONDS, VMPLAN_RUN_AS_ROOT,
# VMPLAN_WORKSPACE_MODE (overlay|copy), VMPLAN_WRITABLE_WORKSPACE, VMPLAN_COLLECT_ARTIFACTS, VMPLAN_COLLECT_REPORTS,
# VMPLAN_COLLECT_OUTPUTS, VMPLAN_INPUTS (1: share vmplan-inputs goes over the snapshot), VMPLAN_NETWORK and
# VMPLAN_DISK (1: the VM has a network device, a root disk; older hosts write neither: both assumed),
# VMPLAN_NET_STATIC (the network's addresses when the hypervisor fixes them: no DHCP), VMPLAN_SHELL
# (1: an interactive shell on the console instead of the command).
. "$JOB/job.env"
say "job $VMPLAN_JOB"

# Networking when the VM has a NIC and no one else set it up (busybox guests): in the background, while the
# workspace is set up; the command waits for it. With VMPLAN_NET_STATIC ("address/prefix gateway dns": QEMU's user
# network, which always gives these) the agent sets them itself: no DHCP round trip, three processes. An image
# whose own init configured the NIC keeps its address (adding the same one again fails quietly).
ip link set lo up 2>/dev/null
if [ "${VMPLAN_NETWORK:-1}" = "1" ] && [ -n "${VMPLAN_NET_STATIC:-}" ]; then
  (
    load_modules virtio_net
    # shellcheck disable=SC2086 # three words
    set -- $VMPLAN_NET_STATIC
    if [ -d /sys/class/net/eth0 ]; then
      ip link set eth0 up 2>/dev/null
      ip addr add "$1" dev eth0 2>/dev/null
      ip route add default via "$2" dev eth0 2>/dev/null
      echo "nameserver $3" >/etc/resolv.conf
    fi
  ) &
elif [ "${VMPLAN_NETWORK:-1}" = "1" ]; then
  (
    load_modules virtio_net
    DHCP=""
    if command -v udhcpc >/dev/null 2>&1; then DHCP=udhcpc; elif busybox udhcpc --help >/dev/null 2>&1; then DHCP="busybox udhcpc"; fi
    if [ -d /sys/class/net/eth0 ] && [ -n "$DHCP" ] && case "$(ip -4 addr show eth0 2>/dev/null)" in *inet*) false ;; esac; then
      ip link set eth0 up 2>/dev/null
      $DHCP -i eth0 -n -q -t 5 -T 1 -s /usr/share/vmplan/udhcpc.script >/dev/null 2>&1 || say "no DHCP lease on eth0"
    fi
  ) &
fi
# The root disk's drivers (a job may mount it) and the entropy source, also in the background.
# (No process at all when they are loaded already: `&` alone starts one.)
modules=virtio_rng
[ "${VMPLAN_DISK:-1}" = "1" ] && modules="virtio_blk crc32c_generic ext4 $modules"
# shellcheck disable=SC2086 # a list of names
if missing $modules; then modprobe -a $modules 2>/dev/null & fi

# The user the job runs as: root, or "vmplan" with the uid that owns the workspace (so it can write there).
workspace_owner() {
  OWNER=$(stat -c %u "$1")
  [ "$OWNER" = "0" ] && OWNER=1000
}

if [ "$VMPLAN_RUN_AS_ROOT" = "1" ]; then
  RUN_USER=root
  RUN_HOME=/root
else
  RUN_USER=vmplan
  RUN_HOME=/home/vmplan
fi
FOLDERS_READY=""

# The workspace: the snapshot read-only under a writable layer (overlay), or a per-job copy (copy).
uptime_to WORKSPACE_STARTED
case "$VMPLAN_WORKSPACE_MODE" in
copy)
  mount_share vmplan-work "$WORKSPACE" rw || setup_failed "cannot mount the vmplan-work share"
  workspace_owner "$WORKSPACE"
  ;;
*)
  mount_share vmplan-work "$LOWER" ro || setup_failed "cannot mount the vmplan-work share"
  workspace_owner "$LOWER"
  LOWERS="$LOWER"
  # The outputs of the jobs this one needs: a second read-only layer over the snapshot, at the same paths.
  if [ "${VMPLAN_INPUTS:-0}" = "1" ]; then
    mount_share vmplan-inputs "$PRIVATE/inputs" ro || setup_failed "cannot mount the vmplan-inputs share"
    LOWERS="$PRIVATE/inputs:$LOWER"
  fi
  # The writable layer lives on the guest's own disk when it has one, else in memory: in /run when that is a
  # tmpfs already (vmplan's inits mount one), else a tmpfs of its own. The types of / and /run from /proc/mounts
  # (the last entry for a mount point is the one in use).
  ROOT_FS=""
  RUN_FS=""
  while read -r _ mount_point fs_type _; do
    case "$mount_point" in /) ROOT_FS=$fs_type ;; /run) RUN_FS=$fs_type ;; esac
  done </proc/mounts
  if [ "$ROOT_FS" = "rootfs" ] || [ "$ROOT_FS" = "tmpfs" ] || [ "$ROOT_FS" = "ramfs" ]; then
    LAYER=/run/vmplan-layer
    if [ "$RUN_FS" != tmpfs ]; then
      mkdir -p "$LAYER" && mount -t tmpfs -o mode=0755 vmplan-layer "$LAYER" || setup_failed "cannot mount a tmpfs for the workspace"
    fi
  else
    LAYER=/var/lib/vmplan-layer
    rm -rf "$LAYER"
  fi
  # The job's folders in one process (umask 022): the layer's, the workspace, the command's and the user's home;
  # what the job user writes belongs to it.
  mkdir -p "$LAYER/upper" "$LAYER/work" "$WORKSPACE" "$PUBLIC" "$RUN_HOME" || setup_failed "cannot create the workspace folders"
  [ "$RUN_USER" = root ] || chown "$OWNER:$OWNER" "$LAYER/upper" "$RUN_HOME"
  FOLDERS_READY=1
  load_modules overlay
  mount -t overlay overlay -o "lowerdir=$LOWERS,upperdir=$LAYER/upper,workdir=$LAYER/work" "$WORKSPACE" ||
    setup_failed "cannot mount the workspace overlay (is the overlay module loaded?)"
  ;;
esac
uptime_to WORKSPACE_READY
say "workspace ready (${VMPLAN_WORKSPACE_MODE:-overlay}) in $(((WORKSPACE_READY - WORKSPACE_STARTED) * 10)) ms"

if [ "$RUN_USER" != root ]; then
  known=""
  while IFS=: read -r user _; do [ "$user" = vmplan ] && known=1; done 2>/dev/null </etc/passwd
  if [ -z "$known" ]; then
    echo "vmplan:x:$OWNER:$OWNER:vmplan job:$RUN_HOME:/bin/sh" >>/etc/passwd
    echo "vmplan:x:$OWNER:" >>/etc/group
  fi
  [ -n "$FOLDERS_READY" ] || { mkdir -p "$RUN_HOME" && chown "$OWNER:$OWNER" "$RUN_HOME"; }
fi

# Caches kept across runs: share vmplan-cache-<name> mounted read-write at its folder. Folders the agent creates
# in the job user's home belong to that user, so the rest of the home stays writable for the job.
if [ -n "${VMPLAN_CACHES:-}" ]; then
  while read -r cache_name cache_path; do
    [ -n "$cache_name" ] || continue
    mkdir -p "$cache_path" || setup_failed "cannot create the cache folder $cache_path"
    # The host checked the path; a symlink in the image could still lead it somewhere the agent owns.
    resolved=$(readlink -f "$cache_path" 2>/dev/null || echo "$cache_path")
    case "$resolved" in
    / | /run | /run/* | /workspace | /workspace/* | /proc | /proc/* | /sys | /sys/* | /dev | /dev/*)
      setup_failed "cache $cache_name: $cache_path leads to $resolved, where no cache may go" ;;
    esac
    if [ "$RUN_USER" != root ]; then
      dir=$cache_path
      while [ "${dir#"$RUN_HOME"/}" != "$dir" ]; do
        chown "$OWNER:$OWNER" "$dir"
        dir=$(dirname "$dir")
      done
    fi
    mount_share "vmplan-cache-$cache_name" "$cache_path" rw || setup_failed "cannot mount cache $cache_name at $cache_path"
    say "cache $cache_name at $cache_path"
  done <<CACHES
$VMPLAN_CACHES
CACHES
fi

# Readable by the job, writable by root only (umask 022): a copy the job cannot change under the agent.
{ [ -n "$FOLDERS_READY" ] || mkdir -p -m 755 "$PUBLIC"; } && cat "$JOB/command.sh" >"$PUBLIC/command.sh" || setup_failed "no command.sh"
WORKDIR="$WORKSPACE/$VMPLAN_WORKDIR"
[ -d "$WORKDIR" ] || setup_failed "working-directory \"$VMPLAN_WORKDIR\" does not exist in the workspace"
if command -v bash >/dev/null 2>&1; then SHELL_CMD="bash --noprofile --norc -eo pipefail"; else SHELL_CMD="sh -e"; fi

# setpriv from util-linux can drop to the user without PAM (minimal images have no PAM config for su); busybox's
# cannot (no --reuid). Asked here, before the command's clock starts.
SETPRIV=""
[ "$RUN_USER" = root ] || case "$(setpriv --help 2>&1)" in *--reuid*) SETPRIV=1 ;; esac
# The network and the disk's drivers, started in the background above, are ready before the command starts.
wait

# VMPLAN_SHELL=1 (`vmplan shell`): no command, no result; an interactive shell on the console as the job's user,
# in its working folder, with its env (never its secrets: the host writes none). Leaving it powers the guest off.
if [ "${VMPLAN_SHELL:-0}" = "1" ]; then
  if command -v bash >/dev/null 2>&1; then LOGIN_SHELL="bash --norc -i"; else LOGIN_SHELL="sh -i"; fi
  # setsid -c: the console becomes the shell's controlling terminal (Ctrl-C and job control work).
  CTTY=""
  setsid --help 2>&1 | grep -q -- '-c' && CTTY="setsid -c"
  say "shell as $RUN_USER in $WORKDIR; exit to stop the VM"
  (
    set -a
    [ -r "$JOB/env" ] && . "$JOB/env"
    set +a
    export HOME="$RUN_HOME" USER="$RUN_USER" LOGNAME="$RUN_USER" CI=true VMPLAN=1 VMPLAN_WORKSPACE="$WORKSPACE"
    export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" PS1='vmplan-shell$ '
    [ -n "${TERM:-}" ] || export TERM=vt100
    cd "$WORKDIR" || exit 125
    if [ "$RUN_USER" = root ]; then
      exec $CTTY $LOGIN_SHELL
    elif setpriv --help 2>&1 | grep -q -- --reuid; then
      exec $CTTY setpriv --reuid="$OWNER" --regid="$OWNER" --clear-groups $LOGIN_SHELL
    else
      exec $CTTY su -m -s /bin/sh "$RUN_USER" -c "exec $LOGIN_SHELL"
    fi
  )
  say "shell ended"
  power_off
  exit 0
fi
say "running as $RUN_USER in $WORKDIR"
STARTED=$(now)
# Creating guest.log is the event the host times: it ties the guest's clock to the host's.
uptime_to UP_COMMAND
: >"$JOB/guest.log"
# The job's output goes to guest.log (streamed by the host) and the console; its exit status to a file.
(
  set -a
  [ -r "$JOB/env" ] && . "$JOB/env"
  [ -r "$JOB/secrets.env" ] && . "$JOB/secrets.env"
  set +a
  export HOME="$RUN_HOME" USER="$RUN_USER" LOGNAME="$RUN_USER" CI=true VMPLAN=1 VMPLAN_WORKSPACE="$WORKSPACE"
  export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  # The workspace (and its .git) belongs to the job user; root's git would call it "dubious ownership".
  if [ "$RUN_USER" = root ] && [ -z "${GIT_CONFIG_COUNT:-}" ]; then
    export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0="$WORKSPACE"
  fi
  cd "$WORKDIR" || exit 125
  if [ "$RUN_USER" = root ]; then
    timeout -s TERM -k 5 "$VMPLAN_TIMEOUT_SECONDS" $SHELL_CMD "$PUBLIC/command.sh" </dev/null
  elif [ -n "$SETPRIV" ]; then
    timeout -s TERM -k 5 "$VMPLAN_TIMEOUT_SECONDS" setpriv --reuid="$OWNER" --regid="$OWNER" --clear-groups $SHELL_CMD "$PUBLIC/command.sh" </dev/null
  else
    timeout -s TERM -k 5 "$VMPLAN_TIMEOUT_SECONDS" su -m -s /bin/sh "$RUN_USER" -c "exec $SHELL_CMD $PUBLIC/command.sh" </dev/null
  fi
  echo $? >"$PRIVATE/exit-code"
) 2>&1 | tee -a "$JOB/guest.log"
code=255
read -r code 2>/dev/null <"$PRIVATE/exit-code"
is_number "$code" || code=255
uptime_to UP_FINISHED
# Whole seconds the command ran, on the guest's monotonic clock (no `date` process, and no jump with the wall clock).
if is_number "$UP_FINISHED" && is_number "$UP_COMMAND"; then
  elapsed=$(((UP_FINISHED - UP_COMMAND) / 100))
else
  elapsed=$VMPLAN_TIMEOUT_SECONDS # no clock: an exit code of `timeout` is taken as the timeout it says it is
fi
rm -f "$JOB/secrets.env"

# collect FOLDER PATTERNS: copies what matches each fnmatch pattern (one per line) into the job share. The host
# passes patterns that match at least what the user's globs match, and filters the copy exactly afterwards.
collect() {
  [ -n "$2" ] || return 0 # nothing asked: no pipeline to start
  echo "$2" | while IFS= read -r pattern; do
    [ -z "$pattern" ] && continue
    (cd "$WORKSPACE" && find . -path "$pattern" -prune -print 2>/dev/null) | while IFS= read -r path; do
      mkdir -p "$JOB/$1/$(dirname "$path")" && cp -a "$WORKSPACE/$path" "$JOB/$1/$path" 2>/dev/null
    done
  done
}
collect artifacts "${VMPLAN_COLLECT_ARTIFACTS:-}"
collect reports "${VMPLAN_COLLECT_REPORTS:-}"
# Outputs only of a job that passed: they are for the jobs that need it, which run only then.
[ "$code" = "0" ] && collect outputs "${VMPLAN_COLLECT_OUTPUTS:-}"

# writable-workspace with an overlay: bring the changed files back, and list what was deleted.
if [ "${VMPLAN_WRITABLE_WORKSPACE:-0}" = "1" ] && [ -n "${LAYER:-}" ]; then
  mkdir -p "$JOB/workspace-changes"
  # .git is vmplan's view of the commit (git refreshes its index as it reads): never a change of the job's.
  (cd "$LAYER/upper" && find . -path ./.git -prune -o -type c -print) | sed 's|^\./||' >"$JOB/workspace-deleted.txt"
  (cd "$LAYER/upper" && find . -path ./.git -prune -o ! -type c ! -type d -print) | while IFS= read -r path; do
    mkdir -p "$JOB/workspace-changes/$(dirname "$path")" && cp -a "$LAYER/upper/$path" "$JOB/workspace-changes/$path"
  done
fi

if [ "$code" = "0" ]; then
  write_result passed 0 ""
elif [ "$elapsed" -ge "$VMPLAN_TIMEOUT_SECONDS" ] && { [ "$code" = "143" ] || [ "$code" = "137" ] || [ "$code" = "124" ]; }; then
  write_result timed_out "$code" "timed out after $VMPLAN_TIMEOUT_SECONDS s (stopped by the guest agent)"
else
  write_result failed "$code" "exited with code $code"
fi
say "job finished with exit code $code"
power_off
