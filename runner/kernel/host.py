"""The cases on the running kernel: runner/guest/run-cases.sh as a child process, its output
read like a guest's console (the same parser, the same results)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

from runner.kernel import qemu
from runner.kernel.order import order_text


def contained() -> list[str]:
    """The host run's prefix: as root, a PID namespace whose init dies with the runner
    (unshare --kill-child is told by PR_SET_PDEATHSIG), and the kernel then kills every
    process in it: a case that `timeout` put in a process group of its own dies with the
    runner even on kill -9. Elsewhere nothing (Ctrl-C and SIGTERM still kill the session)."""
    if os.geteuid() == 0 and shutil.which("unshare"):
        return ["unshare", "--pid", "--fork", "--kill-child"]
    return []


def boot_fn(opts, log, tee, runs: list):
    """A boot function for kernel_run.run_cases that runs the remaining cases here."""
    def boot(remaining: list[str], on_line):
        jobs = opts.host_jobs_for(on_line)
        on_line = tee(on_line)
        extra = {p.name: p for p in opts.extra_binaries}
        bins = [extra.get(c) or opts.build / "bin" / c for c in remaining]
        par = []
        if jobs > 1:  # cases at once start longest first (runner/kernel/order.py)
            order = tempfile.NamedTemporaryFile("w", prefix="ubc-order.", suffix=".txt")
            order.write(order_text(remaining))
            order.flush()
            par = ["-P", str(jobs), "-o", order.name]
        cmd = contained() + ["sh", str(opts.build / "bin" / "run-cases.sh"),
                             "-t", str(opts.case_timeout), *par, *map(str, bins)]
        log.write(f"### ubc-runner: host run: {' '.join(cmd)}\n")
        b = qemu.Boot(command=cmd)
        if qemu.stopping():
            b.end_reason = b.host_fault = "interrupted"
            return b
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True, errors="replace",
                                start_new_session=True, preexec_fn=qemu.die_with_parent)
        with qemu.tracked(proc):
            for line in proc.stdout:
                line = line.rstrip("\n")
                b.console.append(line)
                log.write(line + "\n")
                on_line(line)
            b.exit_code = proc.wait()
        b.seconds = round(time.monotonic() - t0, 2)
        if qemu.stopping():
            b.end_reason = b.host_fault = "interrupted"
        elif b.exit_code in (0, 1):
            b.end_reason = None
        else:
            b.end_reason = f"run-cases.sh exit {b.exit_code}"
            b.host_fault = f"run-cases.sh failed on the host (exit {b.exit_code})"
        runs.append(b)
        return b
    return boot
