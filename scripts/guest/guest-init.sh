#!/bin/busybox sh
# /init of the Vm.Engine initramfs (built by build-guest-images.sh).
# Loads the virtio modules (virtio-pci finds the devices on the PCI bus: console, rng, blk).
# With root=/dev/vdX on the command line: loads ext4, mounts the disk and switch_roots into it,
# where a small shell script is PID 1 (Debian minbase has no init system) and keeps a bash login
# shell on the console. Otherwise: mounts the home disk if webvm.home= or the session line names one, prints
# WEBVM-SHELL-READY and runs a BusyBox shell.
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mdev -s
mount -t tmpfs tmpfs /tmp
load() { while read -r m; do insmod "/lib/modules/$m.ko" || echo "webvm-init: cannot load $m" >&2; done < "/lib/modules/$1.order"; }
load_disk() { [ -n "$disk_loaded" ] || load disk; disk_loaded=1; }
load virtio
# virtio-gpu (PCI device 1af4:1050): its DRM modules load only on machines that have one (a grep
# costs nothing; loading DRM would cost every boot). The driver's fbdev emulation gives /dev/fb0.
if grep -qs 0x1050 /sys/bus/pci/devices/*/device; then load gpu; fi
# What udev does on a full system: /dev/virtio-ports/NAME -> ../vportXpY for each named port (the
# guest's submit command opens /dev/virtio-ports/org.webvm.submit). Names arrive from the device
# shortly after the driver binds.
if [ -d /sys/class/virtio-ports ]; then
  # Wait until the names stop changing, not just for the first: the session port must not be missed
  # (the host waits for the guest to open it, and the init would start the shell without its line).
  names="" n=0
  while [ $n -lt 30 ]; do
    now="$(cat /sys/class/virtio-ports/*/name 2>/dev/null)"
    [ -n "$now" ] && [ "$now" = "$names" ] && break
    names="$now"; sleep 0.1; n=$((n+1))
  done
  mkdir -p /dev/virtio-ports
  for f in /sys/class/virtio-ports/*/name; do
    [ -s "$f" ] && ln -sf "../$(basename "$(dirname "$f")")" "/dev/virtio-ports/$(cat "$f")"
  done
fi

root=""
rootflags=""
home=""
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    root=/dev/*) root="${arg#root=}" ;;
    rootflags=*) rootflags="${arg#rootflags=}" ;;
    webvm.home=/dev/*) home="${arg#webvm.home=}" ;;
  esac
done

# The browser lab's session (org.webvm.session): the init waits here, before anything that differs
# per student or per visit, for one line from the host: "time=EPOCH [home=/dev/vdX]". The portal
# snapshots the machine while it waits (docs/client.md, "Resume"), so a lab resumed from that
# snapshot sets its clock and mounts the student's home exactly as a fresh boot does.
# The disk modules load before the wait: the same for everyone, and costly to load in a browser.
if [ -e /dev/virtio-ports/org.webvm.session ]; then
  load_disk
  read -r session < /dev/virtio-ports/org.webvm.session
  for kv in $session; do
    case "$kv" in
      time=[0-9]*) date -u -s "@${kv#time=}" >/dev/null ;;
      home=/dev/*) home="${kv#home=}" ;;
    esac
  done
fi

if [ -n "$root" ]; then
  load_disk
  n=0
  while [ ! -b "$root" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n+1)); done
  mkdir -p /newroot
  if mount -t ext4 -o "rw${rootflags:+,$rootflags}" "$root" /newroot; then
    # The new root keeps /dev; its /run gets this busybox (halt, poweroff helpers: minbase has none).
    mount --move /dev /newroot/dev
    mount -t tmpfs -o mode=755 tmpfs /newroot/run
    mkdir -p /newroot/run/webvm
    cp /bin/busybox /newroot/run/webvm/busybox
    for a in halt reboot; do ln -s busybox "/newroot/run/webvm/$a"; done
    cp /bin/follow-tty-size /newroot/run/webvm/
    cat > /newroot/run/webvm/shutdown <<'EOF'
#!/bin/sh
# Stops the machine cleanly: flush, remount the root read-only, halt (the machine powers off).
sync
mount -o remount,ro / 2>/dev/null
exec /run/webvm/busybox halt -f
EOF
    chmod 755 /newroot/run/webvm/shutdown
    umount /proc /sys /tmp 2>/dev/null
    exec switch_root /newroot /bin/sh -c '
      mount -t proc proc /proc
      mount -t sysfs sysfs /sys
      mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
      mount -t tmpfs tmpfs /tmp
      hostname webvm 2>/dev/null
      tty=$(sed "s/.* //" /sys/class/tty/console/active)
      export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/run/webvm
      export TERM=linux HOME=/root
      cd /root 2>/dev/null
      [ -e /dev/virtio-ports/org.webvm.tty-size ] && follow-tty-size "/dev/$tty" &
      echo "WEBVM-SHELL-READY"
      while :; do
        setsid -c /bin/bash -l <"/dev/$tty" >"/dev/$tty" 2>&1
        sleep 1
      done'
  fi
  echo "webvm-init: cannot mount $root; staying in the initramfs" >&2
fi

# With webvm.home=/dev/vdX (the browser lab attaches a blank disk kept in IndexedDB): the student's
# home. Formatted on first use only: a disk that already carries an ext2 superblock (magic 53ef at
# byte 1080) is never formatted again, even when mounting it fails. Mounted with sync so a command's
# writes have reached the host's storage when the command returns (a closed tab loses nothing done).
# e2fsck -p exits 1 after any stop without unmount (it recounts the free blocks and inodes that ext4
# keeps only in memory): said only when it repaired more than that, so a normal visit stays quiet.
fsck_home() {
  e2fsck -p "$1" >/tmp/e2fsck.log 2>&1
  case $? in
    0|1|2)
      if grep -q -v -e "not cleanly unmounted" -e "files (" /tmp/e2fsck.log; then
        echo "webvm-init: repaired the home disk after an unclean stop:" >&2
        grep -v -e "not cleanly unmounted" -e "files (" /tmp/e2fsck.log >&2
      fi ;;
    *) echo "webvm-init: the home disk needs repairs beyond the automatic ones; answering yes to all:" >&2
       e2fsck -y "$1" >&2 ;;
  esac
  rm -f /tmp/e2fsck.log
}
if [ -n "$home" ]; then
  load_disk
  n=0
  while [ ! -b "$home" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n+1)); done
  magic=$(dd if="$home" bs=1 skip=1080 count=2 2>/dev/null | hexdump -e '2/1 "%02x"')
  if [ "$magic" != "53ef" ]; then
    echo "webvm-init: formatting the new home disk $home"
    mke2fs -q -N 2048 -L home "$home" >/dev/null
  fi
  # A closed tab or a reload stops the machine without unmounting, like a power cut: ext4 without a
  # journal may then have allocations on disk that its bitmaps do not show yet (BusyBox's mke2fs
  # cannot make a journal). e2fsck -p repairs exactly that kind of damage before the mount.
  fsck_home "$home"
  mount -t ext4 -o sync "$home" /root || echo "webvm-init: cannot mount the home disk $home; files in /root will not be kept" >&2
  # Even with -o sync, ext4 leaves block and inode bitmaps and free counts to the flusher (30 s by
  # default): a reload soon after a command would find the file but not its allocation, and the next
  # file would collide with it. Write dirty metadata back within about a second instead.
  echo 100 > /proc/sys/vm/dirty_writeback_centisecs
  echo 100 > /proc/sys/vm/dirty_expire_centisecs
fi
cd /root 2>/dev/null

# The browser's terminal size, applied to the console tty (only machines with the port start it).
if [ -e /dev/virtio-ports/org.webvm.tty-size ]; then
  follow-tty-size "/dev/$(sed "s/.* //" /sys/class/tty/console/active)" &
fi

# With a display (vesafb's /dev/fb0, docs/display.md) a second shell runs on its text console, tty1,
# where the display's keyboard types.
if [ -e /dev/fb0 ] && [ -e /dev/tty1 ]; then
  # A session leader opening tty1 makes it its controlling terminal (so Ctrl+C reaches the shell).
  (while :; do setsid sh -c 'exec sh -l </dev/tty1 >/dev/tty1 2>&1'; sleep 1; done) &
fi
echo "WEBVM-SHELL-READY"
exec setsid cttyhack sh -l
