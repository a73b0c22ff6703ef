"""`run_tests.sh kselftest-log [--release R] [--statuses] LOG...`: run_kselftest.sh's output (a
file, or - for stdin) rewritten as run-cases.sh's KTAP on stdout. `run_tests.sh judge` reads
that like a console log; it needs the kernel the tests ran on, which the kernel's runner does
not print: give it with --release "$(uname -r)" [--arch "$(uname -m)"] [--proc-version
"$(cat /proc/version)"] (taken on the machine that ran them). --statuses prints `NAME STATUS`
per case instead, and exits 1 when the run is incomplete or a case did not pass or skip."""
from __future__ import annotations

import sys

from runner.core.errors import UsageError
from runner.core.status import Exit
from runner.run import options
from runner.kselftest import COLLECTION, banner, outcomes, parse_kselftest, to_suite_ktap

HELP = "read the kernel's run_kselftest.sh output as the suite's KTAP (docs/kselftest.md)"


def add_arguments(p) -> None:
    p.add_argument("logs", nargs="+", metavar="LOG")
    p.add_argument("--collection", default=COLLECTION)
    p.add_argument("--release", help="uname -r of the machine that ran the tests")
    options.add_arch(p, all_ok=False, help="the architecture of the machine that ran them "
                     "(x86_64, arm64; default the host's)")
    p.add_argument("--proc-version", help="its /proc/version")
    p.add_argument("--statuses", action="store_true", help="NAME STATUS per case")


def main(a) -> int:
    lines = banner(a.release, a.arch, a.proc_version) if a.release else []
    bad = False
    for log in a.logs:
        try:
            text = sys.stdin.read() if log == "-" else open(log, errors="replace").read()
        except OSError as e:
            raise UsageError(f"{log}: {e.strerror}") from None
        if not a.statuses:
            sys.stdout.write(to_suite_ktap(text, a.collection, lines))
            continue
        run = parse_kselftest(text, collection=a.collection)
        for name, status in outcomes(run).items():
            print(f"{name} {status}")
        for err in run.errors:
            print(f"# {log}: {err}")
        if not run.complete:
            print(f"# {log}: incomplete")
        bad |= not run.complete or any(s not in ("pass", "skip") for s in outcomes(run).values())
    return Exit.REGRESSION if bad else Exit.OK
