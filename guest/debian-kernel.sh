# Shared by the guest builders (sourced, POSIX sh): Debian package lists for an architecture, the Debian kernel
# and busybox-static downloaded and unpacked (never run, so any architecture builds on any), the kernel in the
# form VMs boot, and the kernel modules a vmplan guest needs with their dependencies.

# vmplan_apt ARCH CACHE: sets APT_OPTS to apt options with package lists for ARCH kept under CACHE, refreshed
# once a day; sets KERNEL_PKG, KERNEL_VERSION and BUSYBOX_VERSION to what that mirror has now.
vmplan_apt() {
  APT_DIR="$2/apt-$1"
  mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/archives/partial"
  APT_OPTS="-o APT::Architecture=$1 -o APT::Architectures::=$1 -o Dir::State::Lists=$APT_DIR/lists -o Dir::Cache=$APT_DIR -o Dir::Cache::archives=$APT_DIR/archives -o Debug::NoLocking=1"
  # As root, apt drops to the _apt user to download, who cannot write the caller's folders: it warns and
  # downloads as root anyway. Say so up front instead.
  [ "$(id -u)" != 0 ] || APT_OPTS="$APT_OPTS -o APT::Sandbox::User=root"
  if [ -z "$(find "$APT_DIR/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
    echo "vmplan: updating $1 package lists" >&2
    # shellcheck disable=SC2086
    apt-get $APT_OPTS -qq update >&2
  fi
  # shellcheck disable=SC2086
  KERNEL_PKG=$(apt-cache $APT_OPTS depends "linux-image-$1" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1)
  [ -n "$KERNEL_PKG" ] || { echo "vmplan: no linux-image-$1 package found" >&2; return 1; }
  # shellcheck disable=SC2086
  KERNEL_VERSION=$(apt-cache $APT_OPTS policy "$KERNEL_PKG" | sed -n 's/^ *Candidate: //p')
  # shellcheck disable=SC2086
  BUSYBOX_VERSION=$(apt-cache $APT_OPTS policy busybox-static | sed -n 's/^ *Candidate: //p')
}

# vmplan_fetch_kernel WORK: downloads and unpacks the kernel and busybox-static into WORK; sets KVER (the kernel
# release), VMLINUZ, MODROOT (its modules folder) and BUSYBOX (a static busybox binary).
vmplan_fetch_kernel() {
  # Kept per exact version beside the package lists: a rebuild (or a second architecture's) downloads nothing.
  DEBS="$APT_DIR/debs/$KERNEL_PKG=$KERNEL_VERSION+busybox=$BUSYBOX_VERSION"
  if [ ! -f "$DEBS/done" ]; then
    echo "vmplan: downloading $KERNEL_PKG $KERNEL_VERSION and busybox-static $BUSYBOX_VERSION" >&2
    rm -rf "$DEBS" && mkdir -p "$DEBS"
    # shellcheck disable=SC2086
    (cd "$DEBS" && apt-get $APT_OPTS -qq download "$KERNEL_PKG=$KERNEL_VERSION" "busybox-static=$BUSYBOX_VERSION") >&2
    : >"$DEBS/done"
  fi
  dpkg-deb -x "$(ls "$DEBS"/linux-image-*.deb | head -n 1)" "$1/kernel-root"
  dpkg-deb -x "$(ls "$DEBS"/busybox-static_*.deb | head -n 1)" "$1/busybox-root"
  KVER=$(ls "$1/kernel-root/boot" | sed -n 's/^vmlinuz-//p' | head -n 1)
  VMLINUZ="$1/kernel-root/boot/vmlinuz-$KVER"
  MODROOT="$1/kernel-root/lib/modules/$KVER"
  [ -d "$MODROOT" ] || MODROOT="$1/kernel-root/usr/lib/modules/$KVER"
  [ -d "$MODROOT" ] || { echo "vmplan: no modules for $KVER in $KERNEL_PKG" >&2; return 1; }
  BUSYBOX="$1/busybox-root/bin/busybox"
  DEPMOD=$(command -v depmod || echo /sbin/depmod)
  "$DEPMOD" -b "$1/kernel-root" "$KVER" 2>/dev/null || "$DEPMOD" -b "$1/kernel-root/usr" "$KVER"
}

# vmplan_kernel_image ARCH OUT: writes the bootable kernel to OUT — arm64: the uncompressed Image vfkit requires;
# amd64: the ELF vmlinux, which QEMU boots through PVH twice as fast as the bzImage under emulation.
vmplan_kernel_image() {
  if [ "$1" = arm64 ]; then
    if [ "$(od -An -c -j 0 -N 2 "$VMLINUZ" | tr -d ' ')" = "037213" ]; then gzip -dc "$VMLINUZ" >"$2"; else cp "$VMLINUZ" "$2"; fi
    [ "$(dd if="$2" bs=1 skip=56 count=4 2>/dev/null)" = "ARMd" ] ||
      { echo "vmplan: $VMLINUZ is not an arm64 Image (no ARMd magic)" >&2; return 1; }
  else
    command -v xz >/dev/null || { echo "vmplan: needs xz for amd64 kernels" >&2; return 1; }
    offset=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$VMLINUZ" | head -n 1 | cut -d: -f1)
    [ -n "$offset" ] || { echo "vmplan: no xz payload in $VMLINUZ" >&2; return 1; }
    tail -c +$((offset + 1)) "$VMLINUZ" | xz -dc >"$2" 2>/dev/null || true
    [ "$(od -An -c -N 4 "$2" | tr -d ' ')" = "177ELF" ] || { echo "vmplan: could not extract vmlinux" >&2; return 1; }
  fi
}

# vmplan_copy_modules ROOT "MODULES": copies each module that is not built in, with its dependencies, into
# ROOT/lib/modules/$KVER (decompressed), runs depmod there, and lists the modules to load in ROOT/etc/vmplan-modules.
vmplan_copy_modules() {
  mkdir -p "$1/lib/modules/$KVER" "$1/etc"
  : >"$1/etc/vmplan-modules"
  for module in $2; do
    # A module's file may spell its name with dashes (virtio-rng.ko for virtio_rng): either matches.
    pattern=$(echo "$module" | sed 's/[-_]/[-_]/g')
    file=$(sed -n "s|^\(.*/$pattern\.ko[^:]*\):.*|\1|p" "$MODROOT/modules.dep" | head -n 1)
    [ -z "$file" ] && continue # built in, or absent
    echo "$module" >>"$1/etc/vmplan-modules"
    for needed in "$file" $(sed -n "s|^$file: *||p" "$MODROOT/modules.dep"); do
      mkdir -p "$1/lib/modules/$KVER/$(dirname "$needed")"
      case "$needed" in
      *.xz) xz -dc "$MODROOT/$needed" >"$1/lib/modules/$KVER/${needed%.xz}" ;;
      *.zst) zstd -qdc "$MODROOT/$needed" >"$1/lib/modules/$KVER/${needed%.zst}" ;;
      *) cp "$MODROOT/$needed" "$1/lib/modules/$KVER/$needed" ;;
      esac
    done
  done
  # modules.builtin.modinfo too: depmod warns when it is missing.
  cp "$MODROOT/modules.builtin" "$MODROOT/modules.builtin.modinfo" "$MODROOT/modules.order" "$1/lib/modules/$KVER/" 2>/dev/null || true
  "$DEPMOD" -b "$1" "$KVER"
}

# busybox_applets BUSYBOX: prints the applet names of a busybox binary of any architecture, one a line, from its
# table of names (NUL-separated and sorted, so it starts with "[" and "[["); the binary is never run.
busybox_applets() {
  offset=$(LC_ALL=C grep -obUaP '\[\x00\[\[\x00' "$1" | head -n 1 | cut -d: -f1)
  [ -n "$offset" ] || { echo "vmplan: no applet table found in $1" >&2; return 1; }
  tail -c +$((offset + 1)) "$1" | head -c 65536 | tr '\0' '\n' | awk 'NF == 0 { exit } { print }'
}

# vmplan_reproducible_cpio ROOT OUT: ROOT as a newc cpio archive at OUT that depends only on its content: names
# sorted bytewise, every time SOURCE_DATE_EPOCH, owner root, inode and device numbers fixed (cpio --reproducible).
vmplan_reproducible_cpio() {
  find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  reproducible=""
  cpio --help 2>&1 | grep -q -- --reproducible && reproducible=--reproducible
  # shellcheck disable=SC2086
  (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --owner 0:0 $reproducible --quiet) >"$2"
}
