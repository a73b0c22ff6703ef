"""The installed collection in a QEMU guest that has only busybox: run_kselftest.sh, then
run-cases.sh over the same binaries, in one boot, on the serial console.

    make kselftest-install
    run_tests.sh kselftest-guest KERNEL [--install DIR] [--accel kvm] > console.log

KERNEL is a vmlinuz/bzImage (e.g. one the runner cached under ~/.cache/uring-buffer-conformance/
kernels/). The initramfs holds busybox (the runner's pinned busybox-static), /init (INIT below)
and DIR as /kselftest, symlinks kept. split() gives the two documents back, for
runner.kselftest.parse_kselftest and runner.ktap.parse_console.

What busybox needs for the kernel's runner: /bin/sh (run_kselftest.sh and runner.sh are
#!/bin/sh and run under busybox ash: bash is not needed), realpath, tr, cut, grep, sed, wc,
and /dev/stdout: runner.sh appends each test's output to /dev/stdout, which devtmpfs does not
provide (udev or systemd make the link): without it the output goes to a plain file
/dev/stdout and the console shows only the result lines. With no /usr/bin/timeout (busybox's
applets are in /bin here) runner.sh runs each test without a timeout, and with no
/usr/bin/perl it prefixes the output with sed, line by line.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from runner.kernel.initramfs import CpioWriter, busybox
from runner.kernel.qemu import BASE_CMDLINE, QEMU, command

TOP = Path(__file__).resolve().parents[2]
KSELFTEST_MARK = "# ubc-kselftest: run_kselftest.sh"
RUN_CASES_MARK = "# ubc-kselftest: run-cases.sh"
DONE_MARK = "# ubc-kselftest: done"

INIT = f"""#!/bin/sh
# /init of runner/kselftest/guest.py: the kselftest collection under busybox.
/bin/busybox --install -s /bin
export PATH=/bin TMPDIR=/tmp HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
# kselftest/runner.sh appends each test's output to /dev/stdout (devtmpfs has no such link).
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
exec </dev/null >/dev/console 2>&1
echo "{KSELFTEST_MARK}"
/kselftest/run_kselftest.sh -c uring_buffer
echo "{RUN_CASES_MARK}"
/kselftest/run-cases.sh $(sed -n 's|^uring_buffer:|/kselftest/uring_buffer/|p' /kselftest/kselftest-list.txt)
echo "{DONE_MARK} $?"
poweroff -f
"""


def initramfs(install: Path, out: Path) -> None:
    """Write the guest's initramfs: busybox, /init, `install` as /kselftest (plus run-cases.sh)."""
    bb, _ = busybox()
    with open(out, "wb") as f:
        w = CpioWriter(f)
        for d in ("bin", "proc", "sys", "dev", "tmp", "kselftest"):
            w.dir(d)
        w.file("bin/busybox", bb.read_bytes())
        w.symlink("bin/sh", "busybox")
        w.file("init", INIT.encode())
        w.file("kselftest/run-cases.sh", (TOP / "runner" / "guest" / "run-cases.sh").read_bytes())
        for root, dirs, files in os.walk(install):
            dirs[:] = sorted(d for d in dirs if d != "kselftest-packages")
            rel = Path("kselftest") / Path(root).relative_to(install)
            for d in dirs:
                w.dir(str(rel / d))
            for name in sorted(files):
                p = Path(root) / name
                if p.is_symlink():
                    w.symlink(str(rel / name), os.readlink(p))
                else:
                    w.file(str(rel / name), p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
        w.trailer()


def boot_command(kernel: Path, install: Path, accel: str = "tcg") -> list[str]:
    """Write the initramfs beside `install` (kselftest-guest.cpio); the QEMU command that
    boots `kernel` with it, the console on stdout (QEMU exits 0 after the guest's poweroff)."""
    initrd = install.parent / "kselftest-guest.cpio"
    initramfs(install, initrd)
    return command(kernel, initrd, BASE_CMDLINE, accel=accel)


def split(console: str) -> tuple[str, str]:
    """(what run_kselftest.sh printed, what run-cases.sh printed) on a guest's console."""
    text = console.replace("\r\n", "\n")
    head, _, rest = text.partition(KSELFTEST_MARK + "\n")
    ks, _, rest = rest.partition(RUN_CASES_MARK + "\n")
    own, _, _ = rest.partition(DONE_MARK)
    return ks, own
