#!/usr/bin/env python3
"""The reference for bench/run.sh autograde: the same autograde run in qemu-system-i386 (TCG).

usage: qemu_runs.py --kernel K --initrd I --runs N (--boot | --snapshot) [--append CMDLINE]

Each run does what the portal's CheckRunner does in Vm.Engine: start the machine at its shell (a
fresh boot, or QEMU's own saved machine state loaded with -incoming, QEMU's equivalent of a
snapshot), place the submission and check scripts as a base64 tar over the serial console, run
the three checks of 01-files-and-folders with the same markers, and stop the machine.
Prints "runs=N seconds=S runs_per_minute=R score=X/10" (wall clock, runs one after another).
"""
import argparse, base64, io, os, select, signal, socket, subprocess, sys, tarfile, tempfile, time

MARKER = b"WEBVM-SHELL-READY"
CHECKS = [  # 01-files-and-folders, as in Courses/intro-to-linux/assignments/01-files-and-folders/assignment.yaml
    ("test -d ~/project/notes", 3),
    ('test "$(wc -l < ~/project/notes/todo.txt)" -eq 3', 4),
    ("cmp ~/project/notes/todo.txt ~/project/backup/todo.txt", 3),
]
TODO = b"buy milk\nwrite report\ncall Ada\n"


def bundle():
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.USTAR_FORMAT) as tar:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        add("files/project/notes/todo.txt", TODO)
        add("files/project/backup/todo.txt", TODO)
        for i, (cmd, _) in enumerate(CHECKS, 1):
            add(f"checks/{i}.sh", (cmd + "\n").encode())
    text = base64.b64encode(out.getvalue()).decode()
    return [text[i:i + 76] for i in range(0, len(text), 76)]


class Guest:
    def __init__(self, cmd, timeout=900):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        self.buf = b""
        self.deadline = time.monotonic() + timeout

    def wait_for(self, token):
        while token not in self.buf:
            if time.monotonic() > self.deadline or self.p.poll() is not None:
                self.kill()
                raise SystemExit(f"qemu: timeout or exit waiting for {token!r}; tail: {self.buf[-400:]!r}")
            r, _, _ = select.select([self.p.stdout], [], [], 0.2)
            if r:
                self.buf += os.read(self.p.stdout.fileno(), 65536)
        i = self.buf.index(token)
        before, self.buf = self.buf[:i], self.buf[i + len(token):]
        return before

    def send(self, text):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()

    def kill(self):
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.p.wait()


def monitor(path, command, until=None, timeout=120):
    """Sends one HMP command over the monitor socket; with until, repeats it until its answer contains that."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"qemu monitor {path} did not open")
            time.sleep(0.05)
    def read_prompt():
        data = b""
        while not data.endswith(b"(qemu) "):
            data += s.recv(65536)
        return data
    read_prompt()
    while True:
        s.sendall(command.encode() + b"\n")
        answer = read_prompt().decode(errors="replace")
        if until is None or until in answer or time.monotonic() > deadline:
            s.close()
            return answer
        time.sleep(0.05)


def qemu_cmd(args, extra):
    return ["qemu-system-i386", "-cpu", "pentium3", "-accel", "tcg", "-m", "128M", "-display", "none", "-serial", "stdio",
            "-no-reboot", "-kernel", args.kernel, "-initrd", args.initrd, "-append", args.append] + extra


def run_checks(g, lines):
    g.send("stty -echo; rm -rf /tmp/autograde; mkdir -p /tmp/autograde && echo :R$((1000+1)): && base64 -d | tar -xzf - -C /tmp/autograde && cp -a /tmp/autograde/files/. /root/; echo :P$((1000+1)):$?:; stty echo\n")
    g.wait_for(b":R1001:")
    g.send("".join(l + "\n" for l in lines) + "\x04")
    g.wait_for(b":P1001:0:")
    score = 0
    for i, (_, points) in enumerate(CHECKS, 1):
        n = 2000 + i
        g.send(f"cd /root; echo :B$(({n}+0)):; sh /tmp/autograde/checks/{i}.sh </dev/null; echo :E$(({n}+0)):$?:\n")
        g.wait_for(f":E{n}:".encode())
        status = g.wait_for(b":")
        score += points if status == b"0" else 0
    return score


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--append", default="console=ttyS0 quiet cryptomgr.notests noisapnp")
    ap.add_argument("--snapshot", action="store_true")
    ap.add_argument("--boot", action="store_true")
    args = ap.parse_args()
    lines = bundle()
    work = tempfile.mkdtemp(prefix="webvm-bench-qemu-")
    state = os.path.join(work, "state")
    sock = os.path.join(work, "monitor.sock")
    if args.snapshot:
        print("[autograde-bench] qemu: booting once to save its machine state", file=sys.stderr)
        g = Guest(qemu_cmd(args, ["-monitor", f"unix:{sock},server,nowait"]))
        g.wait_for(MARKER)
        g.wait_for(b"# ")
        monitor(sock, "stop")
        monitor(sock, f'migrate "exec:cat > {state}"')
        monitor(sock, "info migrate", until="completed")
        g.kill()
        print(f"[autograde-bench] qemu state: {os.path.getsize(state) // 1024} KiB", file=sys.stderr)
    start = time.monotonic()
    scores = []
    for r in range(args.runs):
        t0 = time.monotonic()
        if args.snapshot:
            if os.path.exists(sock):
                os.unlink(sock)
            g = Guest(qemu_cmd(args, ["-monitor", f"unix:{sock},server,nowait", "-incoming", f"exec:cat {state}"]))
            # The machine state streams in first ("paused (inmigrate)"); then it is continued.
            while "inmigrate" in monitor(sock, "info status"):
                time.sleep(0.02)
            monitor(sock, "cont")
        else:
            g = Guest(qemu_cmd(args, []))
            g.wait_for(MARKER)
            g.wait_for(b"# ")
        scores.append(run_checks(g, lines))
        g.kill()
        print(f"[autograde-bench] qemu run {r + 1}/{args.runs}: {time.monotonic() - t0:.1f} s, {scores[-1]}/10", file=sys.stderr)
    seconds = time.monotonic() - start
    print(f"runs={args.runs} seconds={seconds:.2f} runs_per_minute={args.runs * 60 / seconds:.2f} score={min(scores)}/10")
    return 0 if min(scores) == 10 else 1


if __name__ == "__main__":
    sys.exit(main())
