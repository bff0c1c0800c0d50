# Shared by bench/engine/run.sh and bench/jit/run.sh (sourced from the repository root): the
# tools, guest images, command lines and Vm.Cli build both need; one guest session per engine
# through driver.py; the medians and BENCH lines made of them. The caller defines the engine
# functions (exported) before calling run; `i` is the caller's run number.

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

# The peer every figure is also measured against.
qemu() { qemu-system-i386 -cpu pentium3 -accel tcg -m 256M -nographic -no-reboot -kernel "$KERNEL" -initrd "$INITRD" -append "$1"; }
export -f qemu
export KERNEL INITRD CLI_DLL

declare -A R C
run() { # engine mode cmdline [boot-name] -> wall seconds in R[engine:name], CPU seconds in C[engine:name]
  local eng=$1 mode=$2 cmdline=$3 out attempt name secs cpu
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
    echo "[bench] run ${i:-1}/$RUNS: $eng $name $secs s (cpu $cpu s)" >&2
  done <<<"$out"
}

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{ if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }

figure() { # name ours-values ref-values refname
  local o r ratio
  o=$(median "$2"); r=$(median "$3")
  ratio=$(awk -v o="$o" -v r="$r" 'BEGIN{ if (r>0) printf "%.2f", o/r; else print "nan" }')
  echo "BENCH name=$1 ours=$o ref=$r refname=$4 ratio=$ratio unit=s"
}
