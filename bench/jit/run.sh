#!/usr/bin/env bash
# JIT benchmarks: each backend against the interpreter and against the peer emulator, same
# kernel, initramfs and workloads as bench/engine (bench/engine/driver.py), in the same run,
# medians of BENCH_RUNS (default 3).
#   bench/run.sh jit   (this file: bench/jit/run.sh)
# Prints per figure "BENCH name=BACKEND-WORKLOAD ours=S ref=S refname=interpreter|qemu
# ratio=OURS/REF unit=s", wall clock, then the same in CPU seconds of the emulator's process
# group (BACKEND-WORKLOAD-cpu), which a machine shared with other work disturbs much less.
# One section per backend: "il" (CoreCLR, against the interpreter and qemu-system-i386 TCG);
# a "wasm" section (headless Chromium, against the interpreter and v86) goes beside it.
# Needs: python3, qemu-system-x86, the guest images (scripts/guest/build-guest-images.sh).
# BENCH_BOOT_DEFAULT=0 skips the boot with the default command line.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/engine/sessions.sh
WORKLOADS="loop200k gzip5x sha256"
BOOTS="boot-lean"
[[ "${BENCH_BOOT_DEFAULT:-1}" == 1 ]] && BOOTS="boot-default boot-lean"

# The engines: the interpreter and each CoreCLR backend (qemu, the peer, comes from sessions.sh).
interpreter() { dotnet "$CLI_DLL" --jit off --kernel "$KERNEL" --initrd "$INITRD" --memory 256M --append "$1"; }
il() { dotnet "$CLI_DLL" --jit il --kernel "$KERNEL" --initrd "$INITRD" --memory 256M --append "$1"; }
export -f interpreter il

for i in $(seq 1 "$RUNS"); do
  for eng in qemu interpreter il; do
    [[ "$BOOTS" == *boot-default* ]] && run "$eng" boot "$DEFAULT" boot-default
    run "$eng" boot "$LEAN" boot-lean
    run "$eng" work "$LEAN" -
  done
done


# ---- section: il ----
for name in $BOOTS $WORKLOADS; do
  figure "il-$name" "${R[il:$name]:-}" "${R[interpreter:$name]:-}" interpreter
  figure "il-$name" "${R[il:$name]:-}" "${R[qemu:$name]:-}" qemu
done
for name in $BOOTS $WORKLOADS; do
  figure "il-$name-cpu" "${C[il:$name]:-}" "${C[interpreter:$name]:-}" interpreter
  figure "il-$name-cpu" "${C[il:$name]:-}" "${C[qemu:$name]:-}" qemu
done

# ---- section: wasm ----
# The wasm backend runs in the browser: bench/jit/wasm.sh measures the lab in headless Chromium with
# the wasm JIT against the same lab on the interpreter and against v86, all in one run (its
# workloads are the engine benchmark's at browser sizes: loop20k, gzip1x, sha256). The lab's boot
# is the lean command line, so open-to-prompt is reported as wasm-boot-lean. BENCH_WASM=0 skips it.
if [[ "${BENCH_WASM:-1}" == 1 ]]; then
  bash bench/jit/wasm.sh | sed -e 's/name=wasm-open-to-prompt /name=wasm-boot-lean /'
fi
