#!/bin/sh
# Builds the vmplan test guest: a Debian kernel and an initramfs holding busybox, the kernel modules a vmplan
# guest needs and the vmplan agent as init. Small (a few MB) and boots in seconds, even emulated; it proves the
# guest protocol and is what vmplan's VM tests boot. Real jobs want a guest with their toolchain (see
# `vmplan image build debian`).
#
# Usage: guest/build-test-guest.sh --arch arm64|amd64 [--cache DIR]
# Needs a Debian-like Linux: apt-get, dpkg-deb, cpio, depmod (kmod), and xz for amd64. Builds for either
# architecture on either (packages are downloaded, not run). Output is cached by content: the folder is named
# after a hash of this script, the agent and the exact package versions; a rebuild with the same inputs is a
# no-op. The last line printed is the folder, which holds `kernel`, `initrd` and `image.env`.
set -eu
# Reproducible: the same inputs give the same bytes (so the same image digest, and nothing to push). Every file
# time in the initrd is SOURCE_DATE_EPOCH (a fixed default), modes do not depend on the caller's umask.
umask 022
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1704067200}"
export SOURCE_DATE_EPOCH

ARCH=""
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/vmplan/test-guest"
while [ $# -gt 0 ]; do
  case "$1" in
  --arch) ARCH="$2"; shift 2 ;;
  --cache) CACHE="$2"; shift 2 ;;
  -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
  *) echo "build-test-guest: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$ARCH" in
arm64 | amd64) ;;
*) echo "build-test-guest: --arch must be arm64 or amd64" >&2; exit 2 ;;
esac
for tool in apt-get dpkg-deb cpio sha256sum; do
  command -v "$tool" >/dev/null || { echo "build-test-guest: needs $tool (a Debian-like Linux)" >&2; exit 1; }
done
[ -x "$(command -v depmod || echo /sbin/depmod)" ] || { echo "build-test-guest: needs depmod (apt-get install kmod)" >&2; exit 1; }

HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$CACHE" && CACHE=$(cd "$CACHE" && pwd)
log() { echo "build-test-guest: $*" >&2; }

. "$HERE/debian-kernel.sh"
vmplan_apt "$ARCH" "$CACHE"

MODULES="virtio_pci virtio_mmio virtio_blk virtio_console virtio_net virtio_rng virtiofs 9pnet_virtio 9p overlay crc32c_generic ext4"
KEY=$(
  {
    cat "$0" "$HERE/debian-kernel.sh" "$HERE/vmplan-agent.sh" "$HERE/test-guest-init.sh" "$HERE/udhcpc.script"
    echo "$ARCH $KERNEL_PKG=$KERNEL_VERSION busybox-static=$BUSYBOX_VERSION $MODULES $SOURCE_DATE_EPOCH"
  } | sha256sum | cut -c1-16
)
OUT="$CACHE/$ARCH-$KEY"
if [ -f "$OUT/image.env" ]; then
  log "cached: $OUT"
  echo "$OUT"
  exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vmplan-test-guest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
vmplan_fetch_kernel "$WORK"
mkdir -p out
vmplan_kernel_image "$ARCH" out/kernel

# The initramfs tree.
ROOT=initramfs
mkdir -p "$ROOT/bin" "$ROOT/dev" "$ROOT/proc" "$ROOT/sys" "$ROOT/run" \
  "$ROOT/tmp" "$ROOT/mnt" "$ROOT/etc" "$ROOT/root" "$ROOT/usr/lib/vmplan" "$ROOT/usr/share/vmplan" "$ROOT/lib/modules/$KVER"
cp "$BUSYBOX" "$ROOT/bin/busybox"
# Every applet linked in here rather than by `busybox --install` at each boot (one process making some 270 links,
# tens of milliseconds emulated). The busybox is for the guest's architecture, so it cannot be asked for its list:
# the list is its table of applet names (NUL-separated, sorted, from "[" and "[["). All in /bin, and /sbin,
# /usr/bin and /usr/sbin lead there (merged /usr): each applet is found at whichever path a script names.
busybox_applets "$ROOT/bin/busybox" >"$WORK/applets"
for applet in sh mount modprobe poweroff env; do
  grep -qx "$applet" "$WORK/applets" || { echo "build-test-guest: no applet $applet in $BUSYBOX's table" >&2; exit 1; }
done
while read -r applet; do [ "$applet" = busybox ] || ln -s busybox "$ROOT/bin/$applet"; done <"$WORK/applets"
ln -s bin "$ROOT/sbin" && ln -s ../bin "$ROOT/usr/bin" && ln -s ../bin "$ROOT/usr/sbin"
cp "$HERE/test-guest-init.sh" "$ROOT/init"
cp "$HERE/vmplan-agent.sh" "$ROOT/usr/lib/vmplan/vmplan-agent.sh"
cp "$HERE/udhcpc.script" "$ROOT/usr/share/vmplan/udhcpc.script"
chmod 755 "$ROOT/init" "$ROOT/usr/lib/vmplan/vmplan-agent.sh" "$ROOT/usr/share/vmplan/udhcpc.script"
# What init mounts, in one `mount -a`.
cat >"$ROOT/etc/fstab" <<'FSTAB'
proc /proc proc defaults 0 0
sysfs /sys sysfs defaults 0 0
devtmpfs /dev devtmpfs defaults 0 0
tmpfs /tmp tmpfs mode=1777 0 0
tmpfs /run tmpfs mode=0755 0 0
FSTAB
echo "root:x:0:0:root:/root:/bin/sh" >"$ROOT/etc/passwd"
echo "root:x:0:" >"$ROOT/etc/group"
[ "$(id -u)" = 0 ] && mknod -m 600 "$ROOT/dev/console" c 5 1

vmplan_copy_modules "$ROOT" "$MODULES"

vmplan_reproducible_cpio "$ROOT" out/initrd
cat >out/image.env <<EOF
ARCH=$ARCH
KERNEL_PACKAGE=$KERNEL_PKG=$KERNEL_VERSION
KERNEL_RELEASE=$KVER
BUSYBOX=$BUSYBOX_VERSION
MODULES="$(tr '\n' ' ' <"$ROOT/etc/vmplan-modules")"
EOF

mkdir -p "$CACHE"
rm -rf "$OUT.tmp" && mv out "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
log "built $OUT ($(du -sh "$OUT" | cut -f1))"
echo "$OUT"
