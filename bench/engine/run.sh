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
RUNS="${BENCH_RUNS:-3}"
for tool in python3 qemu-system-i386; do
  command -v "$tool" >/dev/null || { echo "bench: $tool not found (apt-get install python3 qemu-system-x86)" >&2; exit 3; }
done
IMAGES=$(scripts/guest/build-guest-images.sh)
KERNEL=$(awk '/^kernel:/{print $2}' <<<"$IMAGES")
INITRD=$(awk '/^initrd:/{print $2}' <<<"$IMAGES")
DEFAULT="console=ttyS0"
LEAN="console=ttyS0 quiet cryptomgr.notests noisapnp"

echo "[bench] building Vm.Cli (Release)" >&2
dotnet build tools/Vm.Cli -c Release -v q -nologo >/dev/null
CLI_DLL=tools/Vm.Cli/bin/Release/net10.0/Vm.Cli.dll

ours() { dotnet "$CLI_DLL" --kernel "$KERNEL" --initrd "$INITRD" --memory 256M --append "$1"; }
qemu() { qemu-system-i386 -cpu pentium3 -accel tcg -m 256M -nographic -no-reboot -kernel "$KERNEL" -initrd "$INITRD" -append "$1"; }
export -f ours qemu
export KERNEL INITRD CLI_DLL

declare -A R C
run() { # engine mode cmdline -> appends wall seconds to R[engine:name], CPU seconds to C[engine:name]
  local eng=$1 mode=$2 cmdline=$3
  local out attempt
  # A session can fail on a loaded machine (QEMU's kernel once panicked with "IO-APIC + timer
  # doesn't work!"): try again, and give up on this sample (not the whole run) after three.
  for attempt in 1 2 3; do
    if out=$(python3 bench/engine/driver.py "$mode" -- bash -c "$eng \"\$0\"" "$cmdline"); then break; fi
    echo "[bench] $eng $mode failed (attempt $attempt): $out" >&2
    [[ $attempt == 3 ]] && return 0
  done
  while read -r name secs cpu; do
    [[ "$name" == boot ]] && name=$4
    R[$eng:$name]+="$secs "
    C[$eng:$name]+="$cpu "
    echo "[bench] $eng $name $secs s (cpu $cpu s)" >&2
  done <<<"$out"
}

for i in $(seq 1 "$RUNS"); do
  for eng in qemu ours; do
    run "$eng" boot "$DEFAULT" boot-default
    run "$eng" boot "$LEAN" boot-lean
    run "$eng" work "$LEAN" -
  done
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{ if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
figure() { # name ours-values ref-values
  local o r ratio
  o=$(median "$2"); r=$(median "$3")
  ratio=$(awk -v o="$o" -v r="$r" 'BEGIN{ if (r>0) printf "%.2f", o/r; else print "nan" }')
  echo "BENCH name=$1 ours=$o ref=$r refname=qemu ratio=$ratio unit=s"
}
for name in boot-default boot-lean loop200k gzip5x sha256; do
  figure "$name" "${R[ours:$name]:-}" "${R[qemu:$name]:-}"
done
for name in boot-default boot-lean loop200k gzip5x sha256; do
  figure "$name-cpu" "${C[ours:$name]:-}" "${C[qemu:$name]:-}"
done
