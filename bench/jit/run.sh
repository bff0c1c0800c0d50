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
RUNS="${BENCH_RUNS:-3}"
for tool in python3 qemu-system-i386; do
  command -v "$tool" >/dev/null || { echo "bench: $tool not found (apt-get install python3 qemu-system-x86)" >&2; exit 3; }
done
IMAGES=$(scripts/guest/build-guest-images.sh)
KERNEL=$(awk '/^kernel:/{print $2}' <<<"$IMAGES")
INITRD=$(awk '/^initrd:/{print $2}' <<<"$IMAGES")
DEFAULT="console=ttyS0"
LEAN="console=ttyS0 quiet cryptomgr.notests noisapnp"
WORKLOADS="loop200k gzip5x sha256"
BOOTS="boot-lean"
[[ "${BENCH_BOOT_DEFAULT:-1}" == 1 ]] && BOOTS="boot-default boot-lean"

echo "[bench] building Vm.Cli (Release)" >&2
dotnet build tools/Vm.Cli -c Release -v q -nologo >/dev/null
CLI_DLL=tools/Vm.Cli/bin/Release/net10.0/Vm.Cli.dll

# The engines: the interpreter, each CoreCLR backend, and the peer.
interpreter() { dotnet "$CLI_DLL" --jit off --kernel "$KERNEL" --initrd "$INITRD" --memory 256M --append "$1"; }
il() { dotnet "$CLI_DLL" --jit il --kernel "$KERNEL" --initrd "$INITRD" --memory 256M --append "$1"; }
qemu() { qemu-system-i386 -cpu pentium3 -accel tcg -m 256M -nographic -no-reboot -kernel "$KERNEL" -initrd "$INITRD" -append "$1"; }
export -f interpreter il qemu
export KERNEL INITRD CLI_DLL

declare -A R C
run() { # engine mode cmdline [boot-name] -> wall seconds in R[engine:name], CPU seconds in C[engine:name]
  local eng=$1 mode=$2 cmdline=$3 out attempt name secs cpu
  for attempt in 1 2 3; do
    if out=$(python3 bench/engine/driver.py "$mode" -- bash -c "$eng \"\$0\"" "$cmdline"); then break; fi
    echo "[bench] $eng $mode failed (attempt $attempt): $out" >&2
    [[ $attempt == 3 ]] && return 0
  done
  while read -r name secs cpu; do
    [[ "$name" == boot ]] && name=$4
    R[$eng:$name]+="$secs "
    C[$eng:$name]+="$cpu "
    echo "[bench] run $i/$RUNS: $eng $name $secs s (cpu $cpu s)" >&2
  done <<<"$out"
}

for i in $(seq 1 "$RUNS"); do
  for eng in qemu interpreter il; do
    [[ "$BOOTS" == *boot-default* ]] && run "$eng" boot "$DEFAULT" boot-default
    run "$eng" boot "$LEAN" boot-lean
    run "$eng" work "$LEAN" -
  done
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{ if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
figure() { # name ours-values ref-values refname
  local o r ratio
  o=$(median "$2"); r=$(median "$3")
  ratio=$(awk -v o="$o" -v r="$r" 'BEGIN{ if (r>0) printf "%.2f", o/r; else print "nan" }')
  echo "BENCH name=$1 ours=$o ref=$r refname=$4 ratio=$ratio unit=s"
}

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
