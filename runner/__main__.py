"""python3 -m runner: the kernel matrix from the command line (what run_tests.sh --kernel runs).

    python3 -m runner [--kernel K ...] [--matrix] [--list-kernels] [--results DIR]
                      [--accel auto|tcg|kvm] [-j N] [-x] [-k EXPR] [-v] [--junitxml FILE]
                      [--case-timeout SECS] [--build DIR] [--raw] [CASE ...]
    python3 -m runner --gate --baseline K1 --candidate K2 [...]
    python3 -m runner --kernel K --save-baseline FILE | --against FILE [...]

Checks every kernel first (unknown version, missing bzImage: one line, exit 2), then hands over
to pytest with runner/plugin.py: one test per (kernel, case), judged against expected/ (--raw:
any failure fails), JUnit XML and the report in the results folder.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import sys
from pathlib import Path

from . import gate, kernels, qemu

TOP = Path(__file__).resolve().parents[1]


def check(spec: str, pkgs) -> None:
    """Everything resolve() would refuse, without downloading."""
    if spec == "host":
        return
    if kernels.looks_like_path(spec):
        p = Path(spec)
        if p.is_dir() and not (p / "arch" / "x86" / "boot" / "bzImage").is_file():
            raise kernels.KernelError(f"kernel build tree '{spec}' has no arch/x86/boot/bzImage (build it first)")
        if not p.exists():
            raise kernels.KernelError(f"no such bzImage or kernel tree: '{spec}'")
        return
    if not spec[:1].isdigit():
        raise kernels.KernelError(f"unknown kernel '{spec}': give a Debian version (6.12, 7.3, "
                                  "6.12.95+deb12), a bzImage, a build tree or 'host'")
    kernels.match(spec, pkgs())


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="run_tests.sh --kernel", add_help=True)
    ap.add_argument("--kernel", action="append", default=[])
    ap.add_argument("--matrix", action="store_true")
    ap.add_argument("--list-kernels", action="store_true")
    ap.add_argument("--results")
    ap.add_argument("--accel", default=os.environ.get("UBC_ACCEL", "auto"), choices=("auto", "tcg", "kvm"))
    ap.add_argument("-j", "--jobs", type=int, default=1)
    ap.add_argument("-x", "--exitfirst", action="store_true")
    ap.add_argument("-k", dest="keyword")
    ap.add_argument("-v", "--verbose", action="count", default=0)
    ap.add_argument("--junitxml")
    ap.add_argument("--case-timeout", type=int, default=0)
    ap.add_argument("--build", default=str(TOP / "build"))
    ap.add_argument("--extra-binary", action="append", default=[], help=argparse.SUPPRESS)
    ap.add_argument("--raw", action="store_true")
    ap.add_argument("--gate", action="store_true")
    ap.add_argument("--baseline")
    ap.add_argument("--candidate")
    ap.add_argument("--save-baseline", metavar="FILE")
    ap.add_argument("--against", metavar="FILE")
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args(argv)

    cache = {}

    def pkgs():
        if "p" not in cache:
            cache["p"] = kernels.available()
        return cache["p"]

    try:
        if a.list_kernels:
            print(kernels.list_kernels(pkgs()))
            return 0
        specs = list(a.kernel)
        if a.gate:
            if not a.baseline or not a.candidate:
                raise kernels.KernelError("--gate needs --baseline K1 and --candidate K2")
            specs += [k for k in (a.baseline, a.candidate) if k not in specs]
        elif a.baseline or a.candidate:
            raise kernels.KernelError("--baseline/--candidate go with --gate")
        if (a.save_baseline or a.against) and len(specs) != 1:
            raise kernels.KernelError("--save-baseline and --against take exactly one --kernel")
        if a.matrix:
            specs += [s for s in kernels.matrix_specs(pkgs()) if s not in specs]
        if not specs:
            print("runner: no kernel given (--kernel K or --matrix)", file=sys.stderr)
            return 2
        for s in specs:
            check(s, pkgs)
        if any(s != "host" for s in specs) and not shutil.which(qemu.QEMU):
            raise kernels.KernelError(f"{qemu.QEMU} not found: install qemu-system-x86 (10.0 from bookworm-backports)")
    except kernels.KernelError as e:
        print(f"run_tests.sh: {e}", file=sys.stderr)
        return 2

    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    results = Path(a.results) if a.results else TOP / "results" / stamp
    args = [str(TOP / "runner" / "plugin.py"), "--rootdir", str(TOP), "-p", "no:cacheprovider",
            "--results", str(results), "--accel", a.accel, "--ubc-jobs", str(a.jobs),
            "--build", a.build, "--junitxml", a.junitxml or str(results / "junit.xml"),
            "-o", "junit_suite_name=uring-buffer-conformance", "-o", "junit_family=xunit2",
            "-rfE"]
    for s in specs:
        args += ["--kernel", s]
    if a.cases:
        args += ["--ubc-cases", ",".join(a.cases)]
    for p in a.extra_binary:
        args += ["--extra-binary", p]
    if a.case_timeout:
        args += ["--case-timeout", str(a.case_timeout)]
    if a.raw:
        args.append("--raw")
    if a.exitfirst:
        args.append("-x")
    if a.keyword:
        args += ["-k", a.keyword]
    args += ["-v"] * a.verbose
    import pytest

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    # SIGTERM ends the run like Ctrl-C: results so far are written and the VMs (which run in
    # their own sessions, out of reach of the terminal's signals) are killed.
    signal.signal(signal.SIGTERM, interrupt)
    rc = int(pytest.main(args))
    return after_run(a, specs, results / "summary.json", rc)


def after_run(a, specs: list[str], summary: Path, rc: int) -> int:
    """Gate and baseline steps that read the run's summary.json. A gate's exit status is the
    comparison's: 1 when the candidate regressed against the baseline."""
    if not (a.gate or a.save_baseline or a.against):
        return rc
    if not summary.exists():
        print("run_tests.sh: the run wrote no summary.json; nothing to compare", file=sys.stderr)
        return rc or 2
    if a.gate:
        print(f"== gate: baseline {a.baseline} -> candidate {a.candidate}")
        return gate.main(["--summary", str(summary), "--baseline", a.baseline, "--candidate", a.candidate])
    if a.save_baseline:
        return gate.main(["--baseline", f"{summary}:{specs[0]}", "--save", a.save_baseline]) or rc
    print(f"== against baseline {a.against}")
    return gate.main(["--baseline", a.against, "--candidate", f"{summary}:{specs[0]}"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
