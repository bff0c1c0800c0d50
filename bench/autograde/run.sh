#!/usr/bin/env bash
# Autograde runs per minute on this machine: the portal's own run code (CheckRunner, Vm.Engine
# interpreter) on the demo assignment 01-files-and-folders with a correct submission, booting each
# run (runs-per-minute) and resuming each from a post-boot snapshot (runs-per-minute-snapshot).
# Reference, measured in the same run: the same run in qemu-system-i386 (TCG, -cpu pentium3) on the
# same kernel and initramfs with the same console protocol, booting, and resuming from QEMU's own
# saved machine state (-incoming). QEMU is the established emulator a school would otherwise run
# autograders in; its TCG JIT is the bar our interpreter is measured against.
#   bench/run.sh autograde
# Env: BENCH_RUNS (runs per figure, default 3; the snapshot figure uses 3x as many), BENCH_PARALLEL
# (machines at once in ours, default 1 so both sides run one machine at a time).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${BENCH_RUNS:-3}"
PARALLEL="${BENCH_PARALLEL:-1}"
IMAGES=$(scripts/guest/build-guest-images.sh)
KERNEL=$(awk '/^kernel:/{print $2}' <<<"$IMAGES")
INITRD=$(awk '/^initrd:/{print $2}' <<<"$IMAGES")
command -v qemu-system-i386 >/dev/null || { echo "bench autograde needs qemu-system-i386 (apt-get install qemu-system-x86)" >&2; exit 1; }

echo "[bench] building the autograde bench (Release)" >&2
dotnet build bench/autograde/AutogradeBench -c Release -v q -nologo >/dev/null
BENCH_DLL=bench/autograde/AutogradeBench/bin/Release/net10.0/AutogradeBench.dll

rpm() { sed -n 's/.*runs_per_minute=\([0-9.]*\).*/\1/p' <<<"$1"; }
figure() { # name ours-line ref-line
  local o r
  o=$(rpm "$2"); r=$(rpm "$3")
  echo "BENCH name=$1 ours=$o ref=$r refname=qemu-tcg ratio=$(awk -v o="$o" -v r="$r" 'BEGIN{ if (r>0) printf "%.3f", o/r; else print "nan" }') unit=runs/min"
}

echo "[bench] booting each run: qemu, then ours ($RUNS runs)" >&2
ref_boot=$(python3 bench/autograde/qemu_runs.py --kernel "$KERNEL" --initrd "$INITRD" --runs "$RUNS" --boot)
ours_boot=$(dotnet "$BENCH_DLL" --kernel "$KERNEL" --initrd "$INITRD" --runs "$RUNS" --parallel "$PARALLEL" --boot)
echo "[bench] resuming each run from a snapshot: qemu, then ours ($((RUNS * 3)) runs)" >&2
ref_snap=$(python3 bench/autograde/qemu_runs.py --kernel "$KERNEL" --initrd "$INITRD" --runs "$((RUNS * 3))" --snapshot)
ours_snap=$(dotnet "$BENCH_DLL" --kernel "$KERNEL" --initrd "$INITRD" --runs "$((RUNS * 3))" --parallel "$PARALLEL" --snapshot)
echo "[bench] ours boot: $ours_boot" >&2
echo "[bench] qemu boot: $ref_boot" >&2
echo "[bench] ours snapshot: $ours_snap" >&2
echo "[bench] qemu snapshot: $ref_snap" >&2

figure runs-per-minute "$ours_boot" "$ref_boot"
figure runs-per-minute-snapshot "$ours_snap" "$ref_snap"
