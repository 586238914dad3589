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
while read -r module; do modprobe "$module" 2>/dev/null; done </etc/vmplan-modules
if [ -c /dev/hvc0 ]; then exec </dev/hvc0 >/dev/hvc0 2>&1; fi
hostname vmplan-guest
/usr/lib/vmplan/vmplan-agent.sh
echo "vmplan-init: the agent returned; powering off"
sync
busybox poweroff -f 2>/dev/null || echo o >/proc/sysrq-trigger
