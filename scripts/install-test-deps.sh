#!/usr/bin/env bash
# Installs the machine packages the tests use, from Debian's archive: headless Chromium for the
# end-to-end tests, 32-bit gcc for the engine's differential tests, and the tools that assemble guest
# images from Debian's i386 packages, and PostgreSQL and Redis for the scale-out tests. Safe to run
# again; does nothing when all are present.
set -euo pipefail

# e2fsprogs: mke2fs for the disk image builder tests; debootstrap: the Debian root disk the engine boots.
# nginx: docker/proxy/nginx.conf is run in front of two portal processes by a scale-out test.
packages=(chromium gcc-multilib cpio xz-utils e2fsprogs debootstrap postgresql redis-server nginx)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing test dependencies: ${missing[*]}"
# A single index of the archive can fail to download mid-sync while the packages still resolve:
# only the install's own result decides.
$sudo apt-get update -qq || echo "apt-get update reported a problem; trying the install anyway"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
