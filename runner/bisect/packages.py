"""Bisect across Debian's packaged kernels, no build:

    run_tests.sh --bisect-packages --good 6.12 --bad 7.1 CASE...        first bad version
    run_tests.sh --bisect-packages --fix --bad 6.16 --good 7.3 CASE...  first fixed version

Every cloud kernel package the mirror serves between the two ends (runner/kernels.py, in
version order) is a candidate; both ends are booted first to prove them, then a binary search
boots only what it needs. A version whose case SKIPs (feature absent) is stepped over like git
bisect's skip. Prints one line per version booted, then the last good and first bad (or last
bad and first fixed) with the cases' messages on both. Raw results decide (runner/bisect_verdict.py).
Exit: 0 found, 2 usage, 3 could not run (a boot that printed nothing, QEMU failing, an end
that is not what it was said to be, only skipped versions in between), 130 interrupted.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from runner.core import arch as arches
from runner.core.paths import TOP
from runner.kernel import resolve as kernels
from runner.kernel import qemu
from runner.bisect.verdict import BAD, GOOD, INFRA, INTERRUPTED, LABEL, StepVerdict, judge_kernel_run
from runner.kernel.initramfs import Initramfs
from runner.run.kernel_run import KernelRun, Options, safe_name
from runner.run import options
from runner.run.preflight import NotRun, Packages, UsageError, build, select_cases, writable_dir
from runner.core.status import EXIT_INTERRUPTED, EXIT_NOT_RUN, EXIT_OK

PROG = "run_tests.sh --bisect-packages"


HELP = "binary-search Debian's packaged kernels for the first version where CASE... changed"


def add_arguments(ap) -> None:
    options.add_cases(ap, required=True)
    ap.add_argument("--good", required=True, metavar="V", help="a version where the cases pass")
    ap.add_argument("--bad", required=True, metavar="V", help="a version where they fail")
    ap.add_argument("--fix", action="store_true", help="search the first fixed version: --bad "
                    "is the older end, --good the newer")
    options.add_boot(ap)
    options.add_arch(ap, all_ok=False, help="the packages' architecture (default the host's); "
                     "arm64: Debian's cloud-arm64 kernels in qemu-system-aarch64")
    options.add_results(ap, "results/bisect-<timestamp>/")
    options.add_build(ap)


@dataclass
class Search:
    """The outcome: span[lo] is the last version with the old behaviour, span[hi] the first
    with the new one; tried maps an index to its verdict, in the order booted."""
    span: list
    lo: int = 0
    hi: int = 0
    tried: dict = field(default_factory=dict)
    stopped: StepVerdict | None = None  # infra or interrupted: the search could not finish
    problem: str = ""


def search(span: list, test: Callable[[object], StepVerdict], old: str, new: str) -> Search:
    """Binary search over span (oldest first) for the first version whose verdict is `new`,
    after proving span[0] is `old` and span[-1] is `new`. Skipped versions are stepped over
    (the nearest untried one to the middle is tried instead)."""
    s = Search(span, 0, len(span) - 1)

    def run(i: int) -> str | None:
        v = test(span[i])
        s.tried[i] = v
        if v.kind in (INFRA, INTERRUPTED):
            s.stopped = v
            return None
        return v.kind

    for i, want, end in ((0, old, "older"), (len(span) - 1, new, "newer")):
        k = run(i)
        if k is None:
            return s
        if k != want:
            s.problem = (f"the {end} end {span[i].version} is {LABEL[k]}, not {LABEL[want]}: "
                         "nothing to bisect between these two")
            return s
    while s.hi - s.lo > 1:
        inside = [i for i in range(s.lo + 1, s.hi) if i not in s.tried]
        if not inside:
            s.problem = ("every version between them SKIPs: the change is in "
                         f"{span[s.lo].version} .. {span[s.hi].version}")
            return s
        mid = (s.lo + s.hi) / 2
        i = min(inside, key=lambda j: (abs(j - mid), j))
        k = run(i)
        if k is None:
            return s
        if k == old:
            s.lo = i
        elif k == new:
            s.hi = i
    return s


def candidates(pkgs: list, a_end, b_end) -> list:
    lo, hi = sorted((a_end, b_end), key=lambda p: p.sort_key())
    return [p for p in pkgs if lo.sort_key() <= p.sort_key() <= hi.sort_key()]


def report(s: Search, old: str, new: str, fix: bool) -> list[str]:
    out = ["== versions booted (in version order):"]
    for i in sorted(s.tried):
        v = s.tried[i]
        out.append(f"  {s.span[i].version:22} {LABEL[v.kind]:5} {v.why}")
    between = [s.span[i].version for i in range(s.lo + 1, s.hi) if i in s.tried]
    if s.stopped or s.problem:
        return out
    name_old, name_new = ("last bad", "first fixed") if fix else ("last good", "first bad")
    out.append(f"== {name_old}: {s.span[s.lo].version} ({s.span[s.lo].name})")
    out.append(f"== {name_new}: {s.span[s.hi].version} ({s.span[s.hi].name})")
    if between:
        out.append(f"   (skipped in between: {', '.join(between)})")
    for i in (s.lo, s.hi):
        for case, text in s.tried[i].cases.items():
            out.append(f"   {s.span[i].upstream} {case}: {text}")
    return out


def main(a) -> int:
    cases = select_cases(a.cases)
    arch = getattr(a, "arch", arches.HOST)
    pkgs = Packages()(arch)
    try:
        good, bad = kernels.match(a.good, pkgs), kernels.match(a.bad, pkgs)
    except kernels.KernelError as e:
        raise UsageError(str(e)) from None
    older, newer = (bad, good) if a.fix else (good, bad)
    if older.sort_key() >= newer.sort_key():
        raise UsageError(f"{'--bad' if a.fix else '--good'} {a.bad if a.fix else a.good} must be "
                         f"older than {'--good' if a.fix else '--bad'} "
                         f"{a.good if a.fix else a.bad}" + ("" if a.fix else
                                                            " (--fix searches the first fixed version)"))
    old, new = (BAD, GOOD) if a.fix else (GOOD, BAD)
    span = candidates(pkgs, older, newer)
    missing = kernels_missing(arch)
    if missing:
        raise NotRun(missing)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    results = Path(a.results).resolve() if a.results else TOP / "results" / f"bisect-{stamp}"
    writable_dir(results, "the results folder")
    build(a, cases, [arch])
    opts = Options(build=Path(a.build).resolve(), accel=a.accel, max_boots=1)
    opts.build = opts.build_for(arch)
    if a.case_timeout:
        opts.case_timeout = a.case_timeout
    rootfs = Initramfs(opts, cases, arch)
    print(f"bisect-packages: {len(span)} versions from {older.version} to {newer.version}; "
          f"searching the first {'fixed' if a.fix else 'bad'} one for {' '.join(cases)}", flush=True)

    def test(p) -> StepVerdict:
        spec = arches.spec_for(p.version, arch)
        kr = KernelRun(spec, cases, opts, results / safe_name(spec), rootfs)
        kr.run()
        v = judge_kernel_run(kr, cases, qemu.stopping())
        print(f"bisect-packages: {p.version} ({kr.release() or p.upstream}) {LABEL[v.kind]} "
              f"({v.why}) boot {kr.boot_seconds():.1f}s log {kr.console_log}", flush=True)
        return v

    t0 = time.monotonic()
    s = search(span, test, old, new)
    for line in report(s, old, new, a.fix):
        print(line)
    took = f"{len(s.tried)} of {len(span)} versions booted in {time.monotonic() - t0:.0f}s; logs in {results}"
    if s.stopped is not None:
        print(f"bisect-packages: stopped: {s.stopped.why} ({took})", file=sys.stderr)
        return EXIT_INTERRUPTED if s.stopped.kind == INTERRUPTED else EXIT_NOT_RUN
    if s.problem:
        print(f"bisect-packages: {s.problem} ({took})", file=sys.stderr)
        return EXIT_NOT_RUN
    print(f"== {took}")
    return EXIT_OK


def kernels_missing(arch: str = "x86_64") -> str | None:
    from runner.run.kernel_run import qemu_missing
    return qemu_missing(arch)

