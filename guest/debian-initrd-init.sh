#!/bin/sh
# /init of a vmplan Debian guest's initrd (busybox): load what it takes to reach the root disk (/dev/vda, ext4),
# mount it and hand over to /sbin/vmplan-init on it.
# busybox's applets are linked in at build time, and the modules load in one modprobe: each process costs
# milliseconds in an emulated guest.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
modules=""
while read -r module; do modules="$modules $module"; done </etc/vmplan-modules
# shellcheck disable=SC2086 # a list of names
modprobe -a $modules 2>/dev/null
tries=0
while [ ! -b /dev/vda ] && [ "$tries" -lt 250 ]; do sleep 0.02; tries=$((tries + 1)); done
mkdir -p /newroot
if ! mount -t ext4 -o rw /dev/vda /newroot; then
  echo "vmplan initrd: cannot mount the root disk /dev/vda" >/dev/kmsg
  poweroff -f
fi
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/vmplan-init
