#!/usr/bin/env bash
# Builds the guest images for Vm.Engine from Debian's i386 packages:
#   bzImage   - the stock linux-image-686 kernel
#   initrd.gz - a BusyBox initramfs with the virtio and ext4 modules. Its /init loads the virtio
#               modules; with root=/dev/vdX on the command line it mounts that disk and
#               switch_roots into it (see guest-init.sh), otherwise it prints WEBVM-SHELL-READY
#               and starts a BusyBox shell on the console. Every file under scripts/guest/commands/
#               is copied into the initramfs's /bin with its mode.
# Idempotent; everything is cached under ${WEBVM_CACHE:-$HOME/.cache/webvm}/guest (never in the repo).
# Each version of the images (a hash of this script, the init and the commands) has its own folder,
# guest/v/VERSION, so checkouts at different versions (branches, worktrees) do not rebuild each
# other's images; the newest three are kept. The top-level guest/bzImage, initrd.gz and vmlinux.gz
# are the last version this script was run for (what the README's commands and a plain portal use).
# Prints "dir: FOLDER", "kernel: FILE" and "initrd: FILE" of this version on standard output;
# test.sh exports the folder as WEBVM_GUEST_DIR, which the tests and the portal prefer.
# Needs root for apt-get (dpkg --add-architecture i386, apt-get update).
#   --verify-qemu   afterwards boot the images in qemu-system-i386 (-cpu pentium3) and check
#                   that the shell marker appears (apt-get install qemu-system-x86).
set -euo pipefail
VERIFY=0
[[ "${1:-}" == "--verify-qemu" ]] && VERIFY=1

CACHE="${WEBVM_CACHE:-$HOME/.cache/webvm}/guest"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The cache key covers this script (its module list), the init and scripts/guest/commands/.
VERSION="6-$(cd "$HERE" && cat build-guest-images.sh guest-init.sh $(find commands -type f 2>/dev/null | LC_ALL=C sort) 2>/dev/null | sha256sum | cut -c1-12)"
OUT="$CACHE/v/$VERSION"
mkdir -p "$CACHE/debs" "$CACHE/v"
log() { echo "[guest] $*" >&2; }

# One build at a time per cache: the downloaded packages are shared.
exec 9>"$CACHE/.build.lock"
flock 9

# Makes this version the top-level one (hard links, each swapped in by a rename) and reports it.
publish() {
  local f
  if [[ "$(cat "$CACHE/.version" 2>/dev/null)" != "$VERSION" ]]; then
    for f in bzImage initrd.gz vmlinux.gz busybox kernel.config; do
      ln -f "$OUT/$f" "$CACHE/$f.tmp" && mv -f "$CACHE/$f.tmp" "$CACHE/$f"
    done
    echo "$VERSION" > "$CACHE/.version"
  fi
  touch "$OUT"
  # Keep the three most recently used versions.
  ls -1dt "$CACHE"/v/*/ 2>/dev/null | tail -n +4 | xargs -r rm -rf
  [[ $VERIFY == 1 ]] && verify_qemu
  echo "dir: $OUT"
  echo "kernel: $OUT/bzImage"
  echo "initrd: $OUT/initrd.gz"
}

verify_qemu() {
  log "verifying with qemu-system-i386 -cpu pentium3 (TCG)"
  local logf="$CACHE/qemu-verify.log" pid ok=0
  qemu-system-i386 -cpu pentium3 -m 256M -display none -serial "file:$logf" -no-reboot \
    -kernel "$OUT/bzImage" -initrd "$OUT/initrd.gz" \
    -append "console=ttyS0 quiet cryptomgr.notests noisapnp" </dev/null >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 240); do
    if grep -qa WEBVM-SHELL-READY "$logf" 2>/dev/null; then ok=1; break; fi
    sleep 0.5
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ $ok == 1 ]] || { log "ERROR: qemu did not reach the shell marker (see $logf)"; exit 1; }
  log "qemu reached WEBVM-SHELL-READY"
}

if [[ -f "$OUT/.complete" ]]; then
  log "cached images are up to date ($OUT)"
  publish
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

resolves() { apt-cache show linux-image-686:i386 >/dev/null 2>&1 && apt-cache show busybox-static:i386 >/dev/null 2>&1; }

if ! dpkg --print-foreign-architectures | grep -qx i386; then
  log "adding the i386 architecture"
  $SUDO dpkg --add-architecture i386
fi
if ! resolves; then
  log "apt-get update (a failing index is tolerated; we check that the packages resolve)"
  $SUDO apt-get update >&2 || true
  if ! resolves; then
    log "packages do not resolve yet; retrying apt-get update once"
    $SUDO apt-get update >&2 || true
  fi
  resolves || { log "ERROR: linux-image-686:i386 / busybox-static:i386 do not resolve"; exit 1; }
fi

# The metapackage depends on the real, ABI-numbered package.
REAL=$(apt-cache depends linux-image-686:i386 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
REAL=${REAL%:i386}
[[ -n "$REAL" ]] || { log "ERROR: cannot resolve the real kernel package"; exit 1; }
log "kernel package: $REAL"

cd "$CACHE/debs"
# e2fsck-static: the home disk's check at mount (guest-init.sh); statically linked, so the
# initramfs needs no C library for it.
for pkg in "$REAL:i386" "busybox-static:i386" "e2fsck-static:i386"; do
  name=${pkg%:i386}
  if ! ls "${name}"_*_i386.deb >/dev/null 2>&1; then
    log "downloading $pkg"
    apt-get download "$pkg" >&2
  else
    log "have $pkg"
  fi
done

WORK="$CACHE/work"
mkdir -p "$OUT"
rm -rf "$WORK"; mkdir -p "$WORK/kernel" "$WORK/busybox" "$WORK/e2fsck" "$WORK/root"
log "unpacking"
dpkg-deb -x "$(ls "${REAL}"_*_i386.deb | head -1)" "$WORK/kernel"
dpkg-deb -x "$(ls busybox-static_*_i386.deb | head -1)" "$WORK/busybox"
dpkg-deb -x "$(ls e2fsck-static_*_i386.deb | head -1)" "$WORK/e2fsck"
cp "$(ls "$WORK"/kernel/boot/vmlinuz-* | head -1)" "$OUT/bzImage.tmp"
cp "$(ls "$WORK"/kernel/boot/config-* | head -1)" "$OUT/kernel.config"
# The kernel proper (vmlinux, an ELF), decompressed here: the browser client loads it directly and
# skips the ~2.4 G guest instructions the bzImage spends decompressing itself (see docs/client.md).
# The payload starts payload_offset (0x248) bytes into the protected-mode part ((setup_sects+1)*512).
setup_sects=$(od -An -tu1 -j $((0x1F1)) -N1 "$OUT/bzImage.tmp" | tr -d ' ')
payload_offset=$(od -An -tu4 -j $((0x248)) -N4 "$OUT/bzImage.tmp" | tr -d ' ')
tail -c +$(( (setup_sects + 1) * 512 + payload_offset + 1 )) "$OUT/bzImage.tmp" | xz -dc --single-stream | gzip -6 > "$OUT/vmlinux.gz.tmp"
[[ "$(gzip -dc "$OUT/vmlinux.gz.tmp" | head -c 4 | od -An -c | tr -d ' ')" == '177ELF' ]] || { log "ERROR: the kernel payload is not an xz-compressed ELF"; exit 1; }

log "building the initramfs"
R="$WORK/root"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc,mnt}
cp "$WORK/busybox/bin/busybox" "$R/bin/busybox"
chmod 755 "$R/bin/busybox"
cp "$WORK/e2fsck/sbin/e2fsck.static" "$R/sbin/e2fsck"
chmod 755 "$R/sbin/e2fsck"
cp "$HERE/guest-init.sh" "$R/init"
chmod 755 "$R/init"
# Modules: each named one plus what its .modinfo says it depends on, in load order (the host has
# no depmod, and the guest's busybox modprobe would need modules.dep).
KMOD="$(ls -d "$WORK"/kernel/lib/modules/* | head -1)/kernel"
mkdir -p "$R/lib/modules"
declare -A SEEN=()
ORDER=()
add_module() {
  local name=${1//-/_} file dep
  [[ -n "${SEEN[$name]:-}" ]] && return 0
  SEEN[$name]=1
  file=$(find "$KMOD" -name "${name}.ko" -o -name "${name//_/-}.ko" | head -1)
  [[ -n "$file" ]] || { log "ERROR: module $name not found"; exit 1; }
  for dep in $(tr '\0' '\n' < "$file" | grep -a '^depends=' | head -1 | cut -d= -f2 | tr ',' ' '); do
    add_module "$dep"
  done
  cp "$file" "$R/lib/modules/$name.ko"
  ORDER+=("$name")
}
# virtio first (always loaded), then what a disk root needs (loaded only with root=).
# virtio_input + evdev: the display's keyboard and tablet (/dev/input/event*, docs/display.md).
for m in virtio_pci virtio_console virtio_rng virtio_blk virtio_input evdev; do add_module "$m"; done
printf '%s\n' "${ORDER[@]}" > "$R/lib/modules/virtio.order"
ORDER=()
for m in crc32c_generic ext4; do add_module "$m"; done
printf '%s\n' "${ORDER[@]}" > "$R/lib/modules/disk.order"
# virtio_gpu and DRM (~0.9 MB): the KMS display (/dev/dri/card0, docs/display.md), loaded only when
# the machine has a virtio-gpu device.
ORDER=()
add_module virtio_gpu
printf '%s\n' "${ORDER[@]}" > "$R/lib/modules/gpu.order"
log "modules: $(cat "$R/lib/modules/virtio.order" "$R/lib/modules/disk.order" "$R/lib/modules/gpu.order" | tr '\n' ' ')"
# Commands other parts of the project give the guest (e.g. submit), into /bin with their modes.
if [[ -d "$HERE/commands" ]]; then cp -a "$HERE/commands/." "$R/bin/"; fi
cat > "$R/etc/profile" <<'PROFILE'
PS1="# "
# poweroff, halt and reboot as a student types them. BusyBox's own only signal PID 1, here a shell that
# ignores the signal, and poweroff -f ends in a kernel panic (no ACPI to power off with). A halt is what
# the emulator takes as power off; a reboot goes through the keyboard controller's reset line. Functions,
# because BusyBox's shell runs its applets ahead of anything on PATH.
poweroff() { sync; busybox halt -f; }
halt() { sync; busybox halt -f; }
reboot() { sync; busybox reboot -f; }
PROFILE
echo "root:x:0:0:root:/root:/bin/sh" > "$R/etc/passwd"
# The host may lack cpio; the guest's static i386 busybox runs natively on x86 hosts and has it.
if command -v cpio >/dev/null; then CPIO=(cpio -o -H newc --quiet -R 0:0); else CPIO=("$WORK/busybox/bin/busybox" cpio -o -H newc); fi
(cd "$R" && find . | LC_ALL=C sort | "${CPIO[@]}" | gzip -9 > "$OUT/initrd.gz.tmp")
mv "$OUT/bzImage.tmp" "$OUT/bzImage"
mv "$OUT/initrd.gz.tmp" "$OUT/initrd.gz"
mv "$OUT/vmlinux.gz.tmp" "$OUT/vmlinux.gz"
cp "$WORK/busybox/bin/busybox" "$OUT/busybox"
rm -rf "$WORK"
touch "$OUT/.complete"
log "done"
publish
