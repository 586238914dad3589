#!/bin/sh
# /sbin/vmplan-init: PID 1 of a vmplan Debian guest once its initrd has switched to the root disk. No systemd:
# the bare minimum, then the vmplan agent, then power off — a job starts seconds after boot.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts 2>/dev/null && mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run && mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -o remount,rw / 2>/dev/null
# The drivers every job uses, in one modprobe (each process costs milliseconds in an emulated guest): the console,
# virtio-fs, overlayfs, the network, the entropy source. The agent loads the rest (9p) when the job needs them.
modprobe -a virtio_pci virtio_console virtiofs overlay virtio_net virtio_rng 2>/dev/null
# hvc0 appears a moment after its module loads (seconds, on a busy host), and its node can exist a moment before it
# opens: wait until it opens. A redirection that fails on `exec` ends the shell (init: a kernel panic), hence the
# tries on `true`, a builtin whose failed redirection only fails it (no subshell). Without a console, output goes
# nowhere rather than to a closed descriptor (a write error there would stop the job's tee).
opens() { [ -c "$1" ] && true 2>/dev/null <"$1" >"$1"; } # a device node that opens both ways (never creates one)
tries=0
while ! opens /dev/hvc0 && [ "$tries" -lt 1000 ]; do sleep 0.02; tries=$((tries + 1)); done
if opens /dev/hvc0; then
  exec </dev/hvc0 >/dev/hvc0 2>&1
elif ! opens /dev/console; then
  exec </dev/null >/dev/null 2>&1
fi
hostname vmplan-guest
/usr/lib/vmplan/vmplan-agent.sh
echo "vmplan-init: the agent returned; powering off"
sync
busybox poweroff -f 2>/dev/null || echo o >/proc/sysrq-trigger
