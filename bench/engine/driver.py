#!/usr/bin/env python3
"""Drives one guest session over its serial console and times boot and workloads (wall clock).

usage: driver.py MODE -- COMMAND...
MODE is "boot" (time to the shell marker, then power off) or "work" (boot, then time each
workload). Prints lines "name seconds".
"""
import os, signal, subprocess, sys, time, select

MARKER = b"WEBVM-SHELL-READY"
WORKLOADS = [w for w in [
    ("loop200k", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"),
    ("gzip5x", "for k in 1 2 3 4 5; do gzip -c /bin/busybox > /dev/null; done"),
    ("sha256", "sha256sum /tmp/r4m > /dev/null"),
] if not os.environ.get("BENCH_ONLY") or w[0] in os.environ["BENCH_ONLY"].split(",")]
SETUP = "head -c 4194304 /dev/urandom > /tmp/r4m"

def main():
    mode = sys.argv[1]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    buf = b""
    deadline = start + float(os.environ.get("BENCH_TIMEOUT", "900"))

    def wait_for(token):
        nonlocal buf
        while token not in buf:
            if time.monotonic() > deadline or p.poll() is not None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                raise SystemExit(f"timeout or exit waiting for {token!r}; tail: {buf[-500:]!r}")
            r, _, _ = select.select([p.stdout], [], [], 0.5)
            if r:
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    continue
                buf += chunk
        idx = buf.index(token)
        buf = buf[idx + len(token):]
        return time.monotonic()

    def send(line):
        p.stdin.write(line.encode() + b"\n")
        p.stdin.flush()

    t = wait_for(MARKER)
    results = []
    if mode == "boot":
        results.append(("boot", t - start))
    else:
        wait_for(b"# ")
        send(SETUP + "; echo SETUP''DONE")
        wait_for(b"SETUPDONE")
        for name, work in WORKLOADS:
            send(f"echo WS''{name}; {work}; echo WE''{name}")
            t0 = wait_for(f"WS{name}".encode())
            t1 = wait_for(f"WE{name}".encode())
            results.append((name, t1 - t0))
    send("reboot -f")
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(p.pid, signal.SIGKILL)  # the whole group: wrappers and the emulator itself
    except ProcessLookupError:
        pass
    for name, secs in results:
        print(f"{name} {secs:.3f}")

if __name__ == "__main__":
    main()
