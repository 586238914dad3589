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
DEPMOD=$(command -v depmod || echo /sbin/depmod)
[ -x "$DEPMOD" ] || { echo "build-test-guest: needs depmod (apt-get install kmod)" >&2; exit 1; }

HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$CACHE" && CACHE=$(cd "$CACHE" && pwd)
log() { echo "build-test-guest: $*" >&2; }

# Package lists for the target architecture, kept apart from the system's, refreshed once a day.
APT_DIR="$CACHE/apt-$ARCH"
mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/archives/partial"
APT_OPTS="-o APT::Architecture=$ARCH -o APT::Architectures::=$ARCH -o Dir::State::Lists=$APT_DIR/lists -o Dir::Cache=$APT_DIR -o Dir::Cache::archives=$APT_DIR/archives -o Debug::NoLocking=1"
if [ -z "$(find "$APT_DIR/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
  log "updating $ARCH package lists"
  # shellcheck disable=SC2086
  apt-get $APT_OPTS -qq update >&2
fi
# shellcheck disable=SC2086
KERNEL_PKG=$(apt-cache $APT_OPTS depends "linux-image-$ARCH" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1)
[ -n "$KERNEL_PKG" ] || { echo "build-test-guest: no linux-image-$ARCH package found" >&2; exit 1; }
# shellcheck disable=SC2086
KERNEL_VERSION=$(apt-cache $APT_OPTS policy "$KERNEL_PKG" | sed -n 's/^ *Candidate: //p')
# shellcheck disable=SC2086
BUSYBOX_VERSION=$(apt-cache $APT_OPTS policy busybox-static | sed -n 's/^ *Candidate: //p')

MODULES="virtio_pci virtio_mmio virtio_blk virtio_console virtio_net virtio_rng virtiofs 9pnet_virtio 9p overlay ext4"
KEY=$(
  {
    cat "$0" "$HERE/vmplan-agent.sh" "$HERE/test-guest-init.sh" "$HERE/udhcpc.script"
    echo "$ARCH $KERNEL_PKG=$KERNEL_VERSION busybox-static=$BUSYBOX_VERSION $MODULES"
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
log "downloading $KERNEL_PKG $KERNEL_VERSION and busybox-static $BUSYBOX_VERSION ($ARCH)"
# shellcheck disable=SC2086
apt-get $APT_OPTS -qq download "$KERNEL_PKG" busybox-static >&2
dpkg-deb -x "$(ls "$WORK"/linux-image-*.deb | head -n 1)" kernel-root
dpkg-deb -x "$(ls "$WORK"/busybox-static_*.deb | head -n 1)" busybox-root

KVER=$(ls kernel-root/boot | sed -n 's/^vmlinuz-//p' | head -n 1)
MODROOT=kernel-root/lib/modules/$KVER
[ -d "$MODROOT" ] || MODROOT=kernel-root/usr/lib/modules/$KVER
[ -d "$MODROOT" ] || { echo "build-test-guest: no modules for $KVER in $KERNEL_PKG" >&2; exit 1; }

# The kernel: arm64 as the uncompressed Image vfkit requires; amd64 as the ELF vmlinux (QEMU boots it via PVH,
# twice as fast as the bzImage under emulation).
mkdir -p out
VMLINUZ=kernel-root/boot/vmlinuz-$KVER
if [ "$ARCH" = arm64 ]; then
  if [ "$(od -An -c -j 0 -N 2 "$VMLINUZ" | tr -d ' ')" = "037213" ]; then gzip -dc "$VMLINUZ" >out/kernel; else cp "$VMLINUZ" out/kernel; fi
  [ "$(dd if=out/kernel bs=1 skip=56 count=4 2>/dev/null)" = "ARMd" ] ||
    { echo "build-test-guest: $VMLINUZ is not an arm64 Image (no ARMd magic)" >&2; exit 1; }
else
  command -v xz >/dev/null || { echo "build-test-guest: needs xz for amd64 kernels" >&2; exit 1; }
  OFFSET=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$VMLINUZ" | head -n 1 | cut -d: -f1)
  [ -n "$OFFSET" ] || { echo "build-test-guest: no xz payload in $VMLINUZ" >&2; exit 1; }
  tail -c +$((OFFSET + 1)) "$VMLINUZ" | xz -dc >out/kernel 2>/dev/null || true
  [ "$(od -An -c -N 4 out/kernel | tr -d ' ')" = "177ELF" ] || { echo "build-test-guest: could not extract vmlinux" >&2; exit 1; }
fi

# The initramfs tree.
ROOT=initramfs
mkdir -p "$ROOT/bin" "$ROOT/sbin" "$ROOT/usr/bin" "$ROOT/usr/sbin" "$ROOT/dev" "$ROOT/proc" "$ROOT/sys" "$ROOT/run" \
  "$ROOT/tmp" "$ROOT/etc" "$ROOT/root" "$ROOT/usr/lib/vmplan" "$ROOT/usr/share/vmplan" "$ROOT/lib/modules/$KVER"
cp busybox-root/bin/busybox "$ROOT/bin/busybox"
ln -s busybox "$ROOT/bin/sh"
cp "$HERE/test-guest-init.sh" "$ROOT/init.real"
# The first thing init does: give every busybox applet its name.
printf '#!/bin/sh\n/bin/busybox --install -s\nexec /init.real\n' >"$ROOT/init"
cp "$HERE/vmplan-agent.sh" "$ROOT/usr/lib/vmplan/vmplan-agent.sh"
cp "$HERE/udhcpc.script" "$ROOT/usr/share/vmplan/udhcpc.script"
chmod 755 "$ROOT/init" "$ROOT/init.real" "$ROOT/usr/lib/vmplan/vmplan-agent.sh" "$ROOT/usr/share/vmplan/udhcpc.script"
echo "root:x:0:0:root:/root:/bin/sh" >"$ROOT/etc/passwd"
echo "root:x:0:" >"$ROOT/etc/group"
[ "$(id -u)" = 0 ] && mknod -m 600 "$ROOT/dev/console" c 5 1

# Modules: each wanted one that is not built in, with what it depends on (from depmod's modules.dep).
"$DEPMOD" -b kernel-root "$KVER" 2>/dev/null || "$DEPMOD" -b kernel-root/usr "$KVER"
: >"$ROOT/etc/vmplan-modules"
for module in $MODULES; do
  file=$(sed -n "s|^\(.*/$module\.ko[^:]*\):.*|\1|p" "$MODROOT/modules.dep" | head -n 1)
  [ -z "$file" ] && continue # built in (or absent): nothing to load
  echo "$module" >>"$ROOT/etc/vmplan-modules"
  for needed in "$file" $(sed -n "s|^$file: *||p" "$MODROOT/modules.dep"); do
    mkdir -p "$ROOT/lib/modules/$KVER/$(dirname "$needed")"
    case "$needed" in
    *.xz) xz -dc "$MODROOT/$needed" >"$ROOT/lib/modules/$KVER/${needed%.xz}" ;;
    *.zst) zstd -qdc "$MODROOT/$needed" >"$ROOT/lib/modules/$KVER/${needed%.zst}" ;;
    *) cp "$MODROOT/$needed" "$ROOT/lib/modules/$KVER/$needed" ;;
    esac
  done
done
cp "$MODROOT/modules.builtin" "$MODROOT/modules.order" "$ROOT/lib/modules/$KVER/" 2>/dev/null || true
"$DEPMOD" -b "$ROOT" "$KVER"

(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc --owner 0:0 --quiet) >out/initrd
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
