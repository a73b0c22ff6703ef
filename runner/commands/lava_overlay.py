"""`run_tests.sh lava-overlay -o FILE.tar.gz [--testdef FILE] [CASE|GLOB ...]`: for a LAVA
device with a shell: the overlay tarball (the cases, run-cases.sh and runner/lab/
lava-cases.sh under ubc/) and the Lava-Test Test Definition 1.0 that runs it and calls
lava-test-case for each case (runner/lab/lava.py)."""
from __future__ import annotations

import sys
from pathlib import Path

from runner.core.errors import NotRun, UsageError
from runner.core.status import Exit
from runner.kernel.initramfs import case_binaries, versions_lines
from runner.kernel.resolve import FetchError
from runner.lab import lava
from runner.run import options, preflight
from runner.commands.lava_job import write

HELP = "write the overlay tarball and the LAVA test definition for a device with a shell"


def add_arguments(p) -> None:
    options.add_cases(p)
    p.add_argument("-o", "--output", metavar="FILE", help="the overlay tarball (.tar.gz)")
    p.add_argument("--testdef", metavar="FILE", help="the test definition (YAML; `-` for "
                   "stdout)")
    options.add_boot(p)
    options.add_build(p)


def main(a) -> int:
    if not a.output and not a.testdef:
        raise UsageError("lava-overlay: give -o FILE.tar.gz, --testdef FILE or both")
    cases = preflight.select_cases(a.cases)
    if a.testdef:
        text = lava.testdef_yaml(a.case_timeout or lava.DEFAULT_CASE_TIMEOUT)
        if a.testdef == "-":
            sys.stdout.write(text)
        else:
            write(Path(a.testdef), text)
    if a.output:
        out = Path(a.output)
        preflight.writable_file(out, "-o")
        preflight.build(a, cases)
        build = Path(a.build).resolve()
        try:
            bins = sorted(case_binaries(build, cases), key=lambda p: p.name)
        except FetchError as e:
            raise NotRun(str(e)) from None
        # The device's own shell runs run-cases.sh: no busybox of ours in the overlay.
        lava.overlay(out, bins, versions_lines(build))
        print(f"{out}: {out.stat().st_size >> 10} KiB, {len(bins)} cases", file=sys.stderr)
    return Exit.OK
