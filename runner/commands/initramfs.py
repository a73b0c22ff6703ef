"""`run_tests.sh initramfs -o FILE [CASE|GLOB ...]`: build the cases and write the guest's
initramfs alone (runner/kernel/initramfs.py), the one a local run boots: for a lab's job
(`run_tests.sh lava-job --ramdisk-url`) or any other boot of a kernel with it."""
from __future__ import annotations

import shutil
from pathlib import Path

from runner.core.errors import NotRun
from runner.core.status import Exit
from runner.kernel.cache import CacheError
from runner.kernel.initramfs import Initramfs
from runner.kernel.resolve import FetchError
from runner.run import options, preflight
from runner.run.kernel_run import Options

HELP = "write the suite's initramfs (the cases, busybox, /init) to a file"


def add_arguments(p) -> None:
    options.add_cases(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="where to write it (an uncompressed cpio, newc)")
    options.add_build(p)


def main(a) -> int:
    cases = preflight.select_cases(a.cases)
    out = Path(a.output)
    preflight.writable_file(out, "-o")
    preflight.build(a, cases)
    rootfs = Initramfs(Options(build=Path(a.build).resolve()), cases)
    try:
        src = rootfs.get()
        shutil.copyfile(src, out)
    except (FetchError, CacheError) as e:
        raise NotRun(f"cannot build the initramfs: {e}") from None
    except OSError as e:
        raise NotRun(f"cannot write {out}: {e.strerror}") from None
    print(f"{out}: {out.stat().st_size >> 10} KiB, {len(rootfs.order)} cases, {rootfs.busybox}")
    return Exit.OK
