#!/usr/bin/env bash
# Whole-machine benchmarks: Vm.Engine vs qemu-system-i386 (TCG, -cpu pentium3) on the same
# kernel and initramfs, in the same run, medians of 3 (wall clock).
#   bench/run.sh engine   (this file: bench/engine/run.sh)
# Prints "BENCH name=... ours=S ref=S refname=qemu ratio=OURS/REF unit=s" per figure: the wall
# clock figures the issue names (boot-default, boot-lean, loop200k, gzip5x, sha256), then the same
# spans in CPU seconds of the emulator's processes (NAME-cpu), which a machine shared with other
# work disturbs much less.
# Needs: python3, qemu-system-x86 (apt-get install qemu-system-x86), the guest images
# (scripts/guest/build-guest-images.sh). BENCH_RUNS overrides the number of runs (default 3).
set -euo pipefail
cd "$(dirname "$0")/../.."
what="${1:-engine}"
[[ "$what" == "engine" ]] || { echo "usage: bench/run.sh engine" >&2; exit 2; }
source bench/engine/sessions.sh

ours() { dotnet "$CLI_DLL" --kernel "$KERNEL" --initrd "$INITRD" --memory 256M --append "$1"; }
export -f ours

for i in $(seq 1 "$RUNS"); do
  for eng in qemu ours; do
    run "$eng" boot "$DEFAULT" boot-default
    run "$eng" boot "$LEAN" boot-lean
    run "$eng" work "$LEAN" -
  done
done

for name in boot-default boot-lean loop200k gzip5x sha256; do
  figure "$name" "${R[ours:$name]:-}" "${R[qemu:$name]:-}" qemu
done
for name in boot-default boot-lean loop200k gzip5x sha256; do
  figure "$name-cpu" "${C[ours:$name]:-}" "${C[qemu:$name]:-}" qemu
done
