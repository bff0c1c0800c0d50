#!/usr/bin/env bash
# bench/run.sh client: the lab in headless Chromium vs the v86 emulator in the same browser.
# Figures: open-to-prompt (opening the lab page to the guest's shell; for v86, opening its page to the
# same shell marker) and the engine benchmark's guest workloads, smaller (loop20k, gzip1x; sha256), typed into
# the lab's terminal / sent to v86's serial port. Both boot the same bzImage and initrd.gz with the
# same command line and 128 MiB. Prints "BENCH name=... ours=S ref=S refname=v86 ratio=OURS/REF unit=s".
# Each workload also as NAME-cpu: the CPU seconds Chromium's processes spent on it (steadier than wall clock on a
# shared machine).
# Needs: node, /usr/bin/chromium, Debian's seabios (installed here if missing), the guest images.
# By default ours resumes from the lab image's snapshot (made first by the portal's job); BENCH_RESUME=off boots.
# BENCH_BOOT_ONLY=1 skips the workloads; BENCH_ONLY=loop20k,... picks some; BENCH_TIMEOUT (s) per wait.
# BENCH_LAB_JIT=off: the lab on the interpreter alone; BENCH_LAB_JIT_THRESHOLD=N: the wasm JIT compiles blocks after N runs.
# BENCH_PROFILE=1: a V8 CPU profile of each of the lab's workloads, summarized on stderr (self time by kind of code and by
# function; BENCH_PROFILE_DIR=DIR keeps the .cpuprofile files for the DevTools).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [[ ! -f /usr/share/seabios/bios.bin ]]; then
  echo "[bench] installing Debian's seabios (v86 needs a BIOS to boot a bzImage)" >&2
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get install -y seabios >&2 || { $SUDO apt-get update >&2 || true; $SUDO apt-get install -y seabios >&2; }
fi
guest_out=$("$root/scripts/guest/build-guest-images.sh")
guest_dir=$(dirname "$(echo "$guest_out" | awk '/^kernel:/{print $2}')")
(cd "$here" && [[ -d node_modules/v86 && -d node_modules/playwright-core ]] || npm install --no-audit --no-fund >&2)

echo "[bench] building the portal (Release)" >&2
dotnet build "$root/Platform.Web" -c Release -o "$root/artifacts/bench-client/portal" >&2

data=$(mktemp -d /tmp/webvm-bench-client.XXXXXX)
password="bench-$(date +%s)"
port=$((20000 + RANDOM % 20000))
( cd "$root/artifacts/bench-client/portal" && exec env ASPNETCORE_ENVIRONMENT=Production Platform__DataDirectory="$data" \
    Platform__DemoPassword="$password" LabImages__GuestDirectory="$guest_dir" \
    dotnet Platform.Web.dll --urls "http://127.0.0.1:$port" >"$data/portal.log" 2>&1 ) &
portal=$!
trap 'kill $portal 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/t/demo/account/login" >/dev/null && break
  sleep 1
done

echo "[bench] note: the lab boots the kernel decompressed on the host (vmlinux.gz, see docs/client.md); v86 boots the bzImage, which decompresses itself in the guest" >&2
json=$(node "$here/driver.mjs" "http://127.0.0.1:$port/" "$guest_dir" "$password")
echo "$json" | python3 -c '
import json, sys
r = json.load(sys.stdin)
for name, ours in r["ours"].items():
    ref = r["ref"].get(name)
    if ref is None: continue
    print(f"BENCH name={name} ours={ours:.2f} ref={ref:.2f} refname=v86 ratio={ours / ref:.2f} unit=s")
'
