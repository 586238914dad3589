#!/bin/sh
# /init of the vmplan test guest (an initramfs with busybox, its applets linked in at build time): bring up the
# bare minimum, the drivers and the console, run the vmplan agent, power off. Real images use their own init and
# start the agent as a service; see docs/guest-protocol.md.
# Every process costs milliseconds in an emulated guest (about 6 ms under TCG, where a shell loop also runs some
# 15× slower than on the host): this script starts as few as it can — builtins, no subshells, no pipes.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# /proc, /sys, /dev, /tmp and /run, in one process (/etc/fstab).
mount -a 2>/dev/null
# The guest's clock when the kernel handed over, and when the drivers were in: said on the console below (a
# builtin read each, no process), so a slow boot shows whether the kernel or init took the time.
read -r KERNEL_DONE _ </proc/uptime
# The drivers (modular in Debian's kernels) every job of vfkit's or the qemu executor's uses, in one modprobe: the
# console (hvc0 exists only afterwards), virtio-fs for the shares, overlayfs for the workspace, the network. One
# process loading them all costs less than one per step; one the job does not use only registers its driver.
# The agent loads the rest (9p, the disk's ext4) when the job needs them. /etc/vmplan-modules lists all the
# initramfs holds.
failed=""
modprobe -a virtio_pci virtio_console virtiofs overlay virtio_net virtio_rng 2>/dev/null ||
  failed=" some of virtio_pci virtio_console virtiofs overlay virtio_net virtio_rng"
read -r DRIVERS_DONE _ </proc/uptime
# hvc0 appears a moment after its module loads (seconds, on a busy host), and its node can exist a moment before it
# opens: wait until it opens, then make it our output. A redirection that fails on `exec` ends the shell — init,
# so the kernel panics —, hence each device is tried first on `true`, a builtin whose failed redirection only fails
# it (no subshell). Without any console, output goes nowhere rather than to a closed descriptor: a write error
# there would reach the agent's tee and stop the job.
opens() { [ -c "$1" ] && true 2>/dev/null <"$1" >"$1"; } # a device node that opens both ways (never creates one)
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
echo "init: the kernel handed over at ${KERNEL_DONE} s, the drivers were in at ${DRIVERS_DONE} s (guest uptime)"
echo vmplan-guest >/proc/sys/kernel/hostname # as `hostname` does, without a process
/usr/lib/vmplan/vmplan-agent.sh
echo "init: the agent returned; powering off"
poweroff -f
