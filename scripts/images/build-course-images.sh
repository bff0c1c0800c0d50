#!/usr/bin/env bash
# Builds every lab image recipe of a course package with the image builder, into the image store
# (${WEBVM_CACHE:-$HOME/.cache/webvm}/images unless --store is given), and prints "NAME HASH" per image.
# Needs root and debootstrap + e2fsprogs (apt-get install -y debootstrap e2fsprogs).
#   scripts/images/build-course-images.sh [COURSE_DIR] [--store DIR] [--mirror URL]
set -euo pipefail
cd "$(dirname "$0")/../.."
course=${1:-Courses/intro-to-linux}
shift || true
for tool in debootstrap mke2fs; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install -y debootstrap e2fsprogs" >&2; exit 1; }
done
dotnet build tools/Vm.ImageBuilder -c Release -nologo -v quiet >/dev/null
for recipe in "$course"/images/*.yaml; do
    name=$(basename "$recipe" .yaml)
    if ! grep -Eq '^base: *debian/[a-z]+-i386-minbase' "$recipe"; then
        echo "$name: skipped (only debian/SUITE-i386-minbase bases are built from recipes so far)" >&2
        continue
    fi
    hash=$(dotnet tools/Vm.ImageBuilder/bin/Release/net10.0/Vm.ImageBuilder.dll from-recipe "$recipe" "$@")
    echo "$name $hash"
done
