"""`run_tests.sh kselftest-guest KERNEL`: boot KERNEL with the installed kselftest collection
under the kernel's own runner in a busybox-only guest, then run-cases.sh in the same boot;
the console goes to stdout (runner/kselftest/guest.py has the layout and the split)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from runner.core.errors import NotRun, UsageError
from runner.core.paths import TOP
from runner.kselftest.guest import QEMU, boot_command
from runner.run import options

HELP = "boot a kernel with the kselftest collection under run_kselftest.sh (console to stdout)"


def add_arguments(p) -> None:
    p.add_argument("kernel", type=Path, help="a vmlinuz or bzImage")
    p.add_argument("--install", type=Path, default=TOP / "build" / "kselftest_install",
                   help="make kselftest-install's INSTALL_PATH (default: build/kselftest_install)")
    options.add_boot(p)
    p.add_argument("--timeout", type=options.positive_int, default=1800,
                   help="seconds before QEMU is killed")


def main(a) -> int:
    if not (a.install / "run_kselftest.sh").is_file():
        raise UsageError(f"{a.install} has no run_kselftest.sh (run make kselftest-install)")
    accel = "kvm" if a.accel == "kvm" else "tcg"
    cmd = boot_command(a.kernel, a.install, accel)
    print("# " + " ".join(cmd), file=sys.stderr)
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, timeout=a.timeout).returncode
    except subprocess.TimeoutExpired:
        raise NotRun(f"{QEMU} killed after {a.timeout} s") from None
