#!/usr/bin/env python3
"""Drives one guest session over its serial console and times boot and workloads (wall clock).

usage: driver.py MODE -- COMMAND...
MODE is "boot" (time to the shell marker, then power off) or "work" (boot, then time each
workload). Prints lines "name wall-seconds cpu-seconds": wall clock, and the CPU time of the
emulator's whole process group over the same span, which a loaded machine disturbs much less
than the wall clock. A workload's CPU time is the scheduler's run time of every thread in
nanoseconds (/proc/PID/task/TID/schedstat), not the 10 ms ticks of /proc/PID/stat: QEMU's
sha256 span is a few hundred milliseconds, where ticks alone moved the ratio by 0.5 between
runs. A thread that ends inside a span takes its run time with it, so such a span falls back
to the ticks (which keep dead threads' time) and says so on stderr. Boot spans the process's
whole life and keeps the ticks. Both engines are measured the same way.
"""
import os, signal, subprocess, sys, time, select

MARKER = b"WEBVM-SHELL-READY"
WORKLOADS = [w for w in [
    ("loop200k", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"),
    ("gzip5x", "for k in 1 2 3 4 5; do gzip -c /bin/busybox > /dev/null; done"),
    ("sha256", "sha256sum /tmp/r8m > /dev/null"),
] if not os.environ.get("BENCH_ONLY") or w[0] in os.environ["BENCH_ONLY"].split(",")]
# 8 MiB: QEMU's time for it (~0.3 s) is well above any clock's resolution and the scheduler's noise.
SETUP = "head -c 8388608 /dev/urandom > /tmp/r8m"

TICK = os.sysconf("SC_CLK_TCK")

def group_pids(pgid):
    """The live processes of process group pgid."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state ppid pgrp ...
            pids.append((pid, fields))
    return pids

def group_cpu(pgid):
    """(ticks-based CPU seconds of the group's processes, {thread: run-time ns})."""
    ticks, threads = 0, {}
    for pid, fields in group_pids(pgid):
        ticks += int(fields[11]) + int(fields[12])
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    threads[tid] = int(f.read().split()[0])
            except OSError:
                continue
    return ticks / TICK, threads

def cpu_between(c0, c1, name):
    """CPU seconds between two group_cpu samples: per-thread nanoseconds when no thread ended."""
    (t0, th0), (t1, th1) = c0, c1
    if all(tid in th1 for tid in th0):
        return sum(ns - th0.get(tid, 0) for tid, ns in th1.items()) / 1e9
    print(f"[driver] {name}: a thread ended inside the span; CPU time from clock ticks", file=sys.stderr)
    return t1 - t0

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
        # Boot spans the process's whole life, threads that came and went included: the ticks
        # keep those, and at 3-25 s their 10 ms resolution does not matter.
        results.append(("boot", t - start, cpu[0]))
    else:
        wait_for(b"# ")
        send(SETUP + "; echo SETUP''DONE")
        wait_for(b"SETUPDONE")
        for name, work in WORKLOADS:
            send(f"echo WS''{name}; {work}; echo WE''{name}")
            t0, c0 = wait_for(f"WS{name}".encode())
            t1, c1 = wait_for(f"WE{name}".encode())
            results.append((name, t1 - t0, cpu_between(c0, c1, name)))
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
        print(f"{name} {secs:.3f} {cpu:.3f}")

if __name__ == "__main__":
    main()
