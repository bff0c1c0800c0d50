#!/usr/bin/env bash
# The wasm section of bench/run.sh jit: the lab in headless Chromium with the wasm JIT against the
# same lab on the interpreter alone (refname interpreter) and against v86 (refname v86), all in the
# same Chromium. Reuses bench/client (portal build, v86 page, workloads): one run with the JIT off
# (localStorage "webvm-jit"=off), one with it on; v86 is measured in both and the second is used.
# Figures: wasm-open-to-prompt, wasm-loop200k, wasm-gzip5x, wasm-sha256 (seconds).
# BENCH_BOOT_ONLY=1 for the boot alone; BENCH_ONLY / BENCH_TIMEOUT as bench/client.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
client="$here/../client/run.sh"
tmp=$(mktemp -d /tmp/webvm-bench-jit-wasm.XXXXXX)
# The JIT is measured on the boot itself, not on a lab resumed from its snapshot.
export BENCH_RESUME=off
trap 'rm -rf "$tmp"' EXIT

echo "[bench] lab on the interpreter (JIT off)" >&2
BENCH_LAB_JIT=off bash "$client" | tee "$tmp/off.txt" >&2
echo "[bench] lab with the wasm JIT" >&2
bash "$client" | tee "$tmp/on.txt" >&2

python3 - "$tmp/off.txt" "$tmp/on.txt" <<'PY'
import sys
def read(path):
    out = {}
    for line in open(path):
        if not line.startswith("BENCH "): continue
        f = dict(kv.split("=", 1) for kv in line.split()[1:])
        out[f["name"]] = (float(f["ours"]), float(f["ref"]))
    return out
off, on = read(sys.argv[1]), read(sys.argv[2])
for name, (ours, v86) in on.items():
    if name in off:
        interp = off[name][0]
        print(f"BENCH name=wasm-{name} ours={ours:.2f} ref={interp:.2f} refname=interpreter ratio={ours / interp:.2f} unit=s")
    print(f"BENCH name=wasm-{name} ours={ours:.2f} ref={v86:.2f} refname=v86 ratio={ours / v86:.2f} unit=s")
PY
