#!/bin/sh
# /init of the vmplan test guest (an initramfs with busybox): bring up the bare minimum and the console, run the
# vmplan agent (it loads the drivers the job needs), power off. Real images use their own init and start the agent
# as a service; see docs/guest-protocol.md.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /run /tmp && mount -t tmpfs -o mode=1777 tmpfs /tmp && mount -t tmpfs -o mode=0755 tmpfs /run
# Only the console's modules: with a modular virtio_console (Debian's kernels), hvc0 exists only afterwards. The
# agent loads the rest (shares, overlay, network, disk) when the job needs them: each costs a noticeable part of
# a second in an emulated guest. /etc/vmplan-modules lists all that the initramfs holds.
# One modprobe for both (each process costs milliseconds in an emulated guest).
failed=""
modprobe -a virtio_pci virtio_console 2>/dev/null || failed=" virtio_pci or virtio_console"
# hvc0 appears a moment after its module loads (seconds, on a busy host), and its node can exist a moment before it
# opens: wait until it opens, then make it our output. A redirection that fails on `exec` ends the shell — init,
# so the kernel panics —, hence each device is tried in a subshell first. Without any console, output goes nowhere
# rather than to a closed descriptor: a write error there would reach the agent's tee and stop the job.
opens() { [ -c "$1" ] && (: <"$1" >"$1") 2>/dev/null; } # a device node that opens both ways (never creates one)
tries=0
while ! opens /dev/hvc0 && [ "$tries" -lt 1000 ]; do sleep 0.02; tries=$((tries + 1)); done
if opens /dev/hvc0; then
  exec </dev/hvc0 >/dev/hvc0 2>&1
elif opens /dev/console; then
  exec </dev/console >/dev/console 2>&1
else
  exec </dev/null >/dev/null 2>&1
fi
[ -n "$failed" ] && echo "init: could not load:$failed"
hostname vmplan-guest
/usr/lib/vmplan/vmplan-agent.sh
echo "init: the agent returned; powering off"
poweroff -f
