"""The options every command shares, declared once each with one validation; the commands'
parsers (runner/cli.py builds them all as subcommands of one parser) take them from here.

A usage error is one line naming the command's own --help (UsageError, exit 2)."""
from __future__ import annotations

import argparse

from runner.core import arch as arches
from runner.core import env
from runner.core.errors import UsageError
from runner.core.paths import TOP


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (UsageError: exit status 2)."""

    def error(self, message: str):
        raise UsageError(f"{message} (see {self.prog} --help)")


def _argtype(fn):
    """An env validator as an argparse type (its ValueError becomes argparse's message)."""
    def parse(text: str):
        try:
            return fn(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    parse.__name__ = fn.__name__
    return parse


argtype = _argtype
positive_int = _argtype(env.positive_int)
accel_choice = _argtype(env.accel)
stress_seconds = _argtype(env.stress_seconds)
# Declared here and nowhere else (runner/core/tests/test_options.py checks it).
SHARED = ("--accel", "--case-timeout", "--vng", "--build", "--no-build", "--results",
          "--expected", "--kernel", "--matrix", "--kcidb", "--kcidb-origin", "--durations", "--arch",
          "--guest-cpus")


def add_cases(p, required: bool = False) -> None:
    p.add_argument("cases", nargs="+" if required else "*", metavar="CASE|GLOB",
                   help="case binaries (names of cases/*/*.c) or globs; default: all")


def add_boot(p, vng_help: str = "boot bzImages and build trees in virtme-ng where it can "
             "(9p built in); others say so and use the built-in QEMU") -> None:
    """How a kernel is booted: accelerator, per-case timeout, vng."""
    g = p.add_argument_group("booting")
    g.add_argument("--accel", type=accel_choice, default=None, metavar="auto|tcg|kvm",
                   help="auto (KVM if a probe boot works, else TCG), tcg or kvm "
                   "(default UBC_ACCEL or auto)")
    g.add_argument("--case-timeout", type=positive_int, default=None, metavar="S",
                   help="seconds per case binary (default UBC_CASE_TIMEOUT or run-cases.sh's)")
    g.add_argument("--vng", action="store_true", help=vng_help)


def add_kernels(p, jobs: bool = True) -> None:
    g = p.add_argument_group("kernels")
    g.add_argument("--kernel", action="append", default=[], metavar="K",
                   help="repeatable: a Debian series or version (6.1, 6.12, 6.12.95+deb12), a "
                   "bzImage, a kernel build tree, or host (default: host)")
    g.add_argument("--matrix", action="store_true", help="the newest Debian package of every "
                   "series, and host")
    if jobs:
        g.add_argument("-j", "--jobs", type=positive_int, default=1, metavar="N",
                       help="boot N kernels in parallel")
    add_arch(g)


def arch_choice(text: str) -> str:
    if text == "all":
        return text
    try:
        return arches.canonical(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{e} (or all)") from None


def add_arch(p, all_ok: bool = True, help: str | None = None) -> None:
    """--arch: the guests' architecture (x86_64, arm64, all: both); default the host's. A
    kernel of another architecture than the host's has the id <spec>@<arch> (7.3@arm64)."""
    p.add_argument("--arch", type=arch_choice if all_ok else _argtype(arches.canonical),
                   default=arches.HOST, metavar="x86_64|arm64" + ("|all" if all_ok else ""),
                   help=help or (f"the guests' architecture (default the host's, {arches.HOST})"
                                 + ("; all: every kernel on each" if all_ok else "")
                                 + "; arm64 guests boot in qemu-system-aarch64 (TCG) with "
                                 "build-arm64/'s cases"))


def arch_list(a) -> list[str]:
    """The architectures --arch asks for, the host's first."""
    return list(arches.ARCHES) if getattr(a, "arch", arches.HOST) == "all" else [a.arch]


def add_guest_cpus(p) -> None:
    """The guests' vCPUs, and so the cases one guest runs at once (run-cases.sh -P)."""
    p.add_argument("--guest-cpus", type=positive_int, default=None, metavar="N",
                   help="vCPUs of each guest, and cases it runs at once (default "
                   "UBC_GUEST_CPUS, else the host's cores over -j; 1: one case at a time); "
                   "the host run runs twice as many at once (its cases mostly wait)")


def guest_cpus(a) -> int:
    """--guest-cpus, UBC_GUEST_CPUS, or the host's cores shared by the -j kernels at once."""
    import os
    n = a.guest_cpus or env.get("UBC_GUEST_CPUS")
    if n:
        return n
    return max(1, (os.cpu_count() or 1) // max(1, getattr(a, "jobs", 1) or 1))


def add_stress(p) -> None:
    """The stress tier (cases/stress, docs/stress.md): never run unless asked for."""
    g = p.add_argument_group("stress")
    g.add_argument("--stress", action="store_true",
                   help="run only the stress cases (cases/stress: races in loops), each guest "
                   "with at least 2 vCPUs; CASE|GLOB then picks among them")
    g.add_argument("--stress-seconds", type=stress_seconds, default=None, metavar="S",
                   help="seconds of each stress loop (default UBC_STRESS_SECONDS or 2)")


def add_build(p) -> None:
    """The suite's build folder (BUILD) and --no-build (use it as it is)."""
    p.add_argument("--build", default=None, help=argparse.SUPPRESS)
    p.add_argument("--no-build", action="store_true", help=argparse.SUPPRESS)


def add_results(p, default: str = "results/<timestamp>/") -> None:
    p.add_argument("--results", metavar="DIR", help=f"results folder (default {default})")


def add_expected(p) -> None:
    p.add_argument("--expected", default=None, metavar="DIR",
                   help="the expected/ folder (default: the suite's)")


def _origin(text: str) -> str:
    from runner.report import kcidb
    try:
        return kcidb.check_origin(text)
    except UsageError:
        raise argparse.ArgumentTypeError("KCIDB origins are [a-z0-9_]+ (one approved for "
                                         f"your submissions), not {text!r}") from None


def add_kcidb(p) -> None:
    g = p.add_argument_group("KernelCI")
    g.add_argument("--kcidb", metavar="FILE", help="also write the results as a KCIDB v5.3 "
                   "document (docs/outputs.md); nothing is sent")
    g.add_argument("--kcidb-origin", type=_origin, default="uring_buffer", metavar="NAME",
                   help="the KCIDB origin of its ids (default uring_buffer)")


def add_durations(p) -> None:
    p.add_argument("--durations", metavar="FILE", default=None,
                   help="the durations table shards are balanced by (default "
                   "bench/durations.json; docs/ci.md)")


def resolve_env(a) -> argparse.Namespace:
    """Fill the defaults that come from the environment (validated like the options)."""
    env.check_all()
    if getattr(a, "accel", "x") is None:
        a.accel = env.get("UBC_ACCEL", "auto")
    if hasattr(a, "build") and a.build is None:
        a.build = env.get("BUILD", str(TOP / "build"))
    if hasattr(a, "case_timeout") and a.case_timeout is None:
        a.case_timeout = env.get("UBC_CASE_TIMEOUT")
    if getattr(a, "stress_seconds", 0) is None:
        a.stress_seconds = env.get("UBC_STRESS_SECONDS")
    if hasattr(a, "expected") and a.expected is None:
        a.expected = str(TOP / "expected")
    return a
