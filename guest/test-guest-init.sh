#!/bin/sh
# /init of the vmplan test guest (an initramfs with busybox): bring up the bare minimum, load the modules a
# vmplan guest needs, run the vmplan agent, power off. Real images use their own init and start the agent
# as a service; see docs/guest-protocol.md.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /run /tmp && mount -t tmpfs -o mode=1777 tmpfs /tmp && mount -t tmpfs -o mode=0755 tmpfs /run
# Modules first: with a modular virtio_console (Debian's kernels), the console (hvc0) exists only afterwards.
failed=""
while read -r module; do
  modprobe "$module" 2>/dev/null || failed="$failed $module"
done </etc/vmplan-modules
# hvc0 appears a moment after its module loads: wait for it, then make it our output.
tries=0
while [ ! -c /dev/hvc0 ] && [ "$tries" -lt 100 ]; do sleep 0.02; tries=$((tries + 1)); done
if [ -c /dev/hvc0 ]; then
  exec </dev/hvc0 >/dev/hvc0 2>&1
elif (: </dev/console) 2>/dev/null; then
  exec </dev/console >/dev/console 2>&1
fi
[ -n "$failed" ] && echo "init: could not load:$failed"
hostname vmplan-guest
/usr/lib/vmplan/vmplan-agent.sh
echo "init: the agent returned; powering off"
poweroff -f
