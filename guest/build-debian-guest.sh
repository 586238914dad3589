#!/bin/sh
# Builds a Debian guest for vmplan jobs: a raw ext4 root disk with Debian, the packages asked for and the vmplan
# agent; the kernel (an uncompressed Image on arm64, as vfkit requires); and a small initrd that mounts the disk
# and starts the agent. Every job boots its own copy-on-write clone of the disk.
#
# Usage: guest/build-debian-guest.sh --arch arm64|amd64 --out DIR [--suite bookworm] [--packages "nodejs npm"]
#                                    [--setup SCRIPT] [--size 8G] [--mirror URL] [--cache DIR]
# Needs a Debian-like Linux, root, mmdebstrap (or debootstrap), e2fsprogs (mkfs.ext4 -d), cpio and depmod (kmod).
# The root file system is built for --arch: on another architecture that takes qemu-user-static with binfmt,
# so build arm64 images (for a Mac) on an arm64 Linux runner. --setup runs a script inside the new system
# (chroot) after the packages are in. The folder gets `kernel`, `initrd`, `disk` and `image.env`.
set -eu
# Reproducible: the same inputs (this script, the packages the mirror serves — pin them with a snapshot mirror —
# and the setup script) give the same kernel, initrd and disk, byte for byte, so the same image digest and
# nothing to push. File times are SOURCE_DATE_EPOCH (a fixed default; mmdebstrap honours it too), the file
# system's UUID and directory hash seed are fixed, mkfs.ext4 fills the disk in sorted order, and what a build
# leaves that differs every time (logs, machine-id, SSH host keys, caches) is removed.
umask 022
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1704067200}"
export SOURCE_DATE_EPOCH
# Fixed on purpose: every VM boots its own copy, and the initrd finds the root disk by device, not by UUID.
DISK_UUID=5f2e1c0a-7d3b-4c1e-9a6f-766d706c616e

ARCH=""
OUT=""
SUITE=bookworm
PACKAGES=""
SETUP=""
SIZE=8G
MIRROR=""
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/vmplan/debian-guest"
while [ $# -gt 0 ]; do
  case "$1" in
  --arch) ARCH="$2"; shift 2 ;;
  --out) OUT="$2"; shift 2 ;;
  --suite) SUITE="$2"; shift 2 ;;
  --packages) PACKAGES="$2"; shift 2 ;;
  --setup) SETUP="$2"; shift 2 ;;
  --size) SIZE="$2"; shift 2 ;;
  --mirror) MIRROR="$2"; shift 2 ;;
  --cache) CACHE="$2"; shift 2 ;;
  -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
  *) echo "build-debian-guest: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$ARCH" in arm64 | amd64) ;; *) echo "build-debian-guest: --arch must be arm64 or amd64" >&2; exit 2 ;; esac
[ -n "$OUT" ] || { echo "build-debian-guest: --out DIR is required" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "build-debian-guest: must run as root (to build a Debian root file system)" >&2; exit 1; }
[ -z "$SETUP" ] || [ -r "$SETUP" ] || { echo "build-debian-guest: --setup $SETUP: no such file" >&2; exit 2; }
for tool in apt-get dpkg-deb cpio mkfs.ext4 debugfs dumpe2fs; do
  command -v "$tool" >/dev/null || { echo "build-debian-guest: needs $tool" >&2; exit 1; }
done
if command -v mmdebstrap >/dev/null; then BOOTSTRAP=mmdebstrap; elif command -v debootstrap >/dev/null; then BOOTSTRAP=debootstrap; else
  echo "build-debian-guest: needs mmdebstrap or debootstrap (apt-get install mmdebstrap)" >&2
  exit 1
fi

HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$CACHE" "$OUT" && CACHE=$(cd "$CACHE" && pwd) && OUT=$(cd "$OUT" && pwd)
log() { echo "build-debian-guest: $*" >&2; }
. "$HERE/debian-kernel.sh"
. "$HERE/disk-layers.sh"
vmplan_apt "$ARCH" "$CACHE"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vmplan-debian-guest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOTFS="$WORK/rootfs"
# busybox gives the agent udhcpc; the rest is what a CI job expects to find.
INCLUDE="busybox,ca-certificates,iproute2,procps,bash,coreutils,findutils,util-linux,kmod,$(echo "$PACKAGES" | tr ' ' ',')"
INCLUDE=$(echo "$INCLUDE" | sed 's/,*$//; s/,,*/,/g')
started=$(date +%s)
log "bootstrapping Debian $SUITE ($ARCH) with $INCLUDE"
if [ "$BOOTSTRAP" = mmdebstrap ]; then
  mmdebstrap --quiet --arch="$ARCH" --variant=minbase --include="$INCLUDE" \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    "$SUITE" "$ROOTFS" ${MIRROR:+"$MIRROR"} >&2
else
  debootstrap --arch="$ARCH" --variant=minbase --include="$INCLUDE" "$SUITE" "$ROOTFS" ${MIRROR:+"$MIRROR"} >&2
fi
log "root file system in $(($(date +%s) - started)) s"

# The kernel comes from Debian's package, unpacked here rather than installed in the guest: no initramfs-tools,
# no bootloader. Its modules go on the disk; those needed to reach the disk go in the initrd too.
vmplan_fetch_kernel "$WORK"
vmplan_kernel_image "$ARCH" "$OUT/kernel"
mkdir -p "$ROOTFS/lib/modules"
cp -a "$MODROOT" "$ROOTFS/lib/modules/$KVER"
rm -rf "$ROOTFS/lib/modules/$KVER/kernel/drivers/gpu" "$ROOTFS/lib/modules/$KVER/kernel/drivers/media" \
  "$ROOTFS/lib/modules/$KVER/kernel/drivers/infiniband" "$ROOTFS/lib/modules/$KVER/kernel/drivers/net/wireless" \
  "$ROOTFS/lib/modules/$KVER/kernel/sound" "$ROOTFS/lib/modules/$KVER/kernel/drivers/staging"
"$DEPMOD" -b "$ROOTFS" "$KVER"
printf '%s\n' virtio_pci virtio_blk virtio_console virtio_net virtio_rng virtiofs 9pnet_virtio 9p overlay crc32c_generic ext4 >"$ROOTFS/etc/vmplan-modules"

# The agent and the init that starts it.
mkdir -p "$ROOTFS/usr/lib/vmplan" "$ROOTFS/usr/share/vmplan" "$ROOTFS/workspace"
cp "$HERE/vmplan-agent.sh" "$ROOTFS/usr/lib/vmplan/vmplan-agent.sh"
cp "$HERE/udhcpc.script" "$ROOTFS/usr/share/vmplan/udhcpc.script"
cp "$HERE/debian-init.sh" "$ROOTFS/sbin/vmplan-init"
chmod 755 "$ROOTFS/usr/lib/vmplan/vmplan-agent.sh" "$ROOTFS/usr/share/vmplan/udhcpc.script" "$ROOTFS/sbin/vmplan-init"
echo vmplan-guest >"$ROOTFS/etc/hostname"
printf 'nameserver 10.0.2.3\n' >"$ROOTFS/etc/resolv.conf"

# vmplan_clean_tree DIR: removes what differs from one build to the next (logs and caches with times in them,
# identities made at random) and sets every time to SOURCE_DATE_EPOCH.
vmplan_clean_tree() {
  rm -rf "$1/var/cache/apt/archives"/*.deb "$1/var/lib/apt/lists"/*
  rm -rf "$1/var/cache/apt"/*.bin "$1/var/cache/ldconfig/aux-cache" "$1/var/cache/debconf"/*-old \
    "$1/var/lib/dpkg"/*-old "$1/etc/ssh"/ssh_host_* "$1/var/lib/dbus/machine-id" \
    "$1/root/.bash_history" "$1/tmp"/* "$1/var/tmp"/*
  find "$1/var/log" -type f -exec truncate -s 0 {} +
  [ ! -e "$1/etc/machine-id" ] || : >"$1/etc/machine-id"
  find "$1" -xdev -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

BASE=""
if [ -n "$SETUP" ]; then
  # The tree before the setup script: the disk's first layer (see disk-layers.sh).
  BASE="$WORK/base"
  cp -a "$ROOTFS" "$BASE"
  log "running $SETUP in the new system"
  cp "$SETUP" "$ROOTFS/tmp/vmplan-setup"
  chmod 755 "$ROOTFS/tmp/vmplan-setup"
  mount -t proc proc "$ROOTFS/proc"
  chroot "$ROOTFS" /tmp/vmplan-setup >&2 || { umount "$ROOTFS/proc"; echo "build-debian-guest: the setup script failed" >&2; exit 1; }
  umount "$ROOTFS/proc"
  rm -f "$ROOTFS/tmp/vmplan-setup"
  vmplan_clean_tree "$BASE"
fi
vmplan_clean_tree "$ROOTFS"

# The root disk: sparse, ext4, filled straight from the folder (no loop device, no mount); with a setup script,
# the packages' tree first and the script's changes written over it.
log "writing the $SIZE root disk"
if [ -n "$BASE" ]; then
  mkdir "$WORK/layers"
  vmplan_layered_disk "$OUT/disk" "$SIZE" "$BASE" "$ROOTFS" "$WORK/layers"
else
  vmplan_make_disk "$OUT/disk" "$SIZE" "$ROOTFS"
fi

# The initrd: static busybox and the modules to reach the disk.
INITRD="$WORK/initrd"
mkdir -p "$INITRD/bin" "$INITRD/usr" "$INITRD/dev" "$INITRD/proc" "$INITRD/sys" "$INITRD/newroot" "$INITRD/etc"
cp "$BUSYBOX" "$INITRD/bin/busybox"
# busybox's applets linked here, not by `busybox --install` at each boot (as in the test guest; see there).
busybox_applets "$INITRD/bin/busybox" >"$WORK/applets"
for applet in sh mount modprobe switch_root; do
  grep -qx "$applet" "$WORK/applets" || { echo "build-debian-guest: no applet $applet in $BUSYBOX's table" >&2; exit 1; }
done
while read -r applet; do [ "$applet" = busybox ] || ln -s busybox "$INITRD/bin/$applet"; done <"$WORK/applets"
ln -s bin "$INITRD/sbin" && ln -s ../bin "$INITRD/usr/bin" && ln -s ../bin "$INITRD/usr/sbin"
cp "$HERE/debian-initrd-init.sh" "$INITRD/init"
chmod 755 "$INITRD/init"
mknod -m 600 "$INITRD/dev/console" c 5 1
# ext4 asks the crypto API for crc32c at mount time: a dependency modules.dep does not list.
vmplan_copy_modules "$INITRD" "virtio_pci virtio_blk crc32c_generic ext4"
vmplan_reproducible_cpio "$INITRD" "$OUT/initrd"

cat >"$OUT/image.env" <<EOF
ARCH=$ARCH
SUITE=$SUITE
PACKAGES="$PACKAGES"
KERNEL_PACKAGE=$KERNEL_PKG=$KERNEL_VERSION
KERNEL_RELEASE=$KVER
DISK_SIZE=$SIZE
EOF
log "built $OUT in $(($(date +%s) - started)) s (disk: $(du -h "$OUT/disk" | cut -f1) used of $SIZE)"
echo "$OUT"
