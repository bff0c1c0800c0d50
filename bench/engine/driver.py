#!/usr/bin/env python3
"""Drives one guest session over its serial console and times boot and workloads (wall clock).

usage: driver.py MODE -- COMMAND...
MODE is "boot" (time to the shell marker, then power off) or "work" (boot, then time each
workload). Prints lines "name wall-seconds cpu-seconds": wall clock, and the CPU time (user +
system) of the emulator's whole process group over the same span, which a loaded machine
disturbs much less than the wall clock.
"""
import os, signal, subprocess, sys, time, select

MARKER = b"WEBVM-SHELL-READY"
WORKLOADS = [w for w in [
    ("loop200k", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"),
    ("gzip5x", "for k in 1 2 3 4 5; do gzip -c /bin/busybox > /dev/null; done"),
    ("sha256", "sha256sum /tmp/r4m > /dev/null"),
] if not os.environ.get("BENCH_ONLY") or w[0] in os.environ["BENCH_ONLY"].split(",")]
SETUP = "head -c 4194304 /dev/urandom > /tmp/r4m"

TICK = os.sysconf("SC_CLK_TCK")

def group_cpu(pgid):
    """CPU seconds used so far by the live processes of process group pgid."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state ppid pgrp ...
            total += int(fields[11]) + int(fields[12])
    return total / TICK

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
        return time.monotonic(), group_cpu(p.pid)

    def send(line):
        p.stdin.write(line.encode() + b"\n")
        p.stdin.flush()

    t, cpu = wait_for(MARKER)
    results = []
    if mode == "boot":
        results.append(("boot", t - start, cpu))
    else:
        wait_for(b"# ")
        send(SETUP + "; echo SETUP''DONE")
        wait_for(b"SETUPDONE")
        for name, work in WORKLOADS:
            send(f"echo WS''{name}; {work}; echo WE''{name}")
            t0, c0 = wait_for(f"WS{name}".encode())
            t1, c1 = wait_for(f"WE{name}".encode())
            results.append((name, t1 - t0, c1 - c0))
    send("reboot -f")
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(p.pid, signal.SIGKILL)  # the whole group: wrappers and the emulator itself
    except ProcessLookupError:
        pass
    for name, secs, cpu in results:
        print(f"{name} {secs:.3f} {cpu:.2f}")

if __name__ == "__main__":
    main()
