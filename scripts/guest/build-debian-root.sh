#!/usr/bin/env bash
# Builds the Debian root disk the engine's disk tests and `bench/run.sh disk` boot from: the
# course recipe Courses/intro-to-linux/images/debian-dev.yaml (bookworm i386 minbase + gcc, make,
# vim-tiny, python3) made by tools/Vm.ImageBuilder from-recipe (debootstrap, mke2fs -t ext4,
# chunking) into the image store ${WEBVM_CACHE:-$HOME/.cache/webvm}/images. Prints the manifest
# hash and writes it to .../guest/debian-dev.manifest. A one-time step: skipped when that file
# names a manifest the store has and the recipe has not changed since. Needs root (debootstrap).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${WEBVM_CACHE:-$HOME/.cache/webvm}"
RECIPE="$REPO/Courses/intro-to-linux/images/debian-dev.yaml"
OUT="$CACHE/guest/debian-dev.manifest"
# The key covers what makes the disk: the recipe but its boot settings (command line, RAM), and how
# the builder makes images (bump BUILDER when that changes).
BUILDER=2
KEY="$( (grep -v -e '^kernel_command_line:' -e '^memory_mib:' "$RECIPE"; echo "builder-$BUILDER") | sha256sum | cut -c1-16)"
mkdir -p "$CACHE/guest"
log() { echo "[debian-root] $*" >&2; }

if [[ -f "$OUT" && -f "$OUT.key" && "$(cat "$OUT.key")" == "$KEY" ]]; then
  hash="$(cat "$OUT")"
  if [[ -f "$CACHE/images/manifests/$hash.json" ]]; then
    log "cached: $hash"
    echo "$hash"
    exit 0
  fi
fi
command -v debootstrap >/dev/null || { log "ERROR: debootstrap is missing (scripts/install-test-deps.sh installs it)"; exit 1; }
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo -E"
log "building $RECIPE (debootstrap takes a few minutes the first time)"
dotnet build "$REPO/tools/Vm.ImageBuilder" -c Release -v q -nologo >&2
hash="$($SUDO dotnet "$REPO/tools/Vm.ImageBuilder/bin/Release/net10.0/Vm.ImageBuilder.dll" from-recipe "$RECIPE" --store "$CACHE/images")"
echo "$hash" > "$OUT"
echo "$KEY" > "$OUT.key"
log "manifest $hash"
echo "$hash"
