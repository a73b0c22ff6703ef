"""`run_tests.sh lava-job --kernel-url URL --ramdisk-url URL`: the LAVA job that boots a
kernel and the suite's initramfs in QEMU and reads the cases' KTAP results with a monitor
(runner/lab/lava.py); --device also writes a device dictionary for lava-run on this machine."""
from __future__ import annotations

import sys
from pathlib import Path

from runner.core.errors import NotRun, UsageError
from runner.core.status import Exit
from runner.lab import lava
from runner.run import options, preflight

HELP = "write the LAVA job (qemu, tmpfs, a KTAP monitor) for a kernel and the suite's initramfs"


def add_arguments(p) -> None:
    p.add_argument("--kernel-url", required=True, metavar="URL",
                   help="the kernel (bzImage/vmlinuz): a URL the dispatcher can fetch, or a path")
    p.add_argument("--ramdisk-url", required=True, metavar="URL",
                   help="the suite's initramfs (`run_tests.sh initramfs -o FILE`): URL or path")
    p.add_argument("--name", default=lava.DEFAULT_NAME, help="the job's name")
    p.add_argument("--timeout", type=options.positive_int, default=30, metavar="MIN",
                   help="the job's timeout in minutes (default 30)")
    p.add_argument("--no-kvm", action="store_true",
                   help="tell the lab's qemu device type not to use KVM (context: no_kvm)")
    p.add_argument("--memory", type=options.positive_int, default=512, metavar="MB",
                   help="guest memory (context: memory, default 512)")
    p.add_argument("cases", nargs="*", metavar="CASE|GLOB",
                   help="run only these cases of the initramfs (ubc.cases=); default: all")
    options.add_boot(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write the job here (default: stdout)")
    p.add_argument("--device", metavar="FILE", help="also write a device dictionary for "
                   "`lava-run --device` on this machine (QEMU as a local run starts it)")


def main(a) -> int:
    if a.vng:
        raise UsageError("lava-job: --vng does not apply (LAVA starts QEMU)")
    cases = preflight.select_cases(a.cases) if a.cases else None
    spec = lava.JobSpec(lava.url(a.kernel_url, "--kernel-url"),
                        lava.url(a.ramdisk_url, "--ramdisk-url"), name=a.name, cases=cases,
                        minutes=a.timeout, memory_mb=a.memory, no_kvm=a.no_kvm)
    if a.case_timeout:
        spec.case_timeout = a.case_timeout
    text = lava.job_yaml(spec)
    if a.device:
        accel = "tcg" if a.accel in ("auto", None) else a.accel  # auto: TCG, which always works
        write(Path(a.device), lava.device_yaml(accel=accel, memory=f"{a.memory}M"))
    if a.output:
        write(Path(a.output), text)
    else:
        sys.stdout.write(text)
    return Exit.OK


def write(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except OSError as e:
        raise NotRun(f"cannot write {path}: {e.strerror}") from None
