"""Every environment variable the runner reads, in one place, with the same validation as
the option it stands for. `run_tests.sh --help` lists them (help_lines()). A value that does
not parse is a usage error (exit 2), as the option's would be; an empty value is unset."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from runner.core.errors import UsageError


def positive_int(text: str) -> int:
    """A whole number >= 1 (argparse type and environment check alike)."""
    try:
        v = int(text)
    except ValueError:
        raise ValueError(f"not a whole number: {text!r}") from None
    if v < 1:
        raise ValueError(f"must be at least 1, not {v}")
    return v


def seconds(text: str) -> int:
    """A timeout in whole seconds, at least 1 (scripts/papt and get-deps.sh say the same)."""
    t = text.strip()
    if not t.isdigit() or int(t) < 1:
        raise ValueError("is not a whole number of seconds (at least 1)")
    return int(t)


def accel(text: str) -> str:
    if text not in ("auto", "tcg", "kvm"):
        raise ValueError(f"must be auto, tcg or kvm, not {text!r}")
    return text


def stress_seconds(text: str) -> float:
    """Seconds of each stress loop (harness/ubc_stress.c reads the same bounds)."""
    try:
        v = float(text)
    except ValueError:
        raise ValueError(f"not a number of seconds: {text!r}") from None
    if not 0.01 <= v <= 600:
        raise ValueError(f"must be between 0.01 and 600 seconds, not {text}")
    return v


@dataclass(frozen=True)
class Var:
    name: str
    parse: Callable[[str], object]
    help: str


VARS = {v.name: v for v in (
    Var("UBC_CACHE", str, "download cache (kernels, packages, initramfs); default "
        "$XDG_CACHE_HOME/uring-buffer-conformance or ~/.cache/uring-buffer-conformance"),
    Var("XDG_CACHE_HOME", str, "where the default cache goes when UBC_CACHE is unset"),
    Var("UBC_CASE_TIMEOUT", positive_int, "seconds per case binary, as --case-timeout"),
    Var("UBC_ACCEL", accel, "auto, tcg or kvm, as --accel"),
    Var("UBC_GUEST_CPUS", positive_int, "vCPUs of each guest and cases run at once, as --guest-cpus"),
    Var("UBC_STRESS_SECONDS", stress_seconds, "seconds of each stress loop, as --stress-seconds "
        "(the cases read it too; default 2)"),
    Var("BUILD", str, "the build folder (default build/), as make's BUILD"),
    Var("UBC_QEMU", str, "the QEMU binary (default qemu-system-x86_64)"),
    Var("UBC_QEMU_ARM64", str, "the QEMU binary for arm64 guests (default qemu-system-aarch64)"),
    Var("UBC_VNG", str, "the vng binary (default: vng on PATH)"),
    Var("UBC_BUSYBOX_VERSION", str, "busybox-static version for the initramfs (default: deps.conf)"),
    Var("KDIR", str, "a kernel source tree: kmutate's --tree (and the kselftest headers' source)"),
    Var("UBC_KBUILD_DIR", str, "where bisect-step builds kernels (default <cache>/kbuild)"),
    Var("UBC_APT_TIMEOUT", seconds, "seconds an apt-get or apt-cache call may take (default 900)"),
    Var("UBC_EXTRACT_TIMEOUT", seconds, "seconds a package's extraction may take (default 600)"),
    Var("UBC_E2E_KERNELS", str, "the runner's tests: kernels to boot for real (default '6.1 7.3'; 'none': none)"),
    Var("UBC_E2E_LAVA", str, "the runner's tests: kernels to boot under lava-run (default '7.3'; 'none': none)"),
    Var("UBC_E2E_ARM64", str, "the runner's tests: the arm64 kernel to boot for real with every case (default '7.3'; 'none': none)"),
    Var("UBC_E2E_STRESS", str, "the runner's tests: a kernel to boot --stress with a crash from the "
        "second vCPU (test_e2e_stress.py; default none: skipped)"),
)}


def get(name: str, default=None):
    """The parsed value of an environment variable, or default when unset or empty."""
    var = VARS[name]
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return var.parse(raw)
    except ValueError as e:
        raise UsageError(f"{name}={raw!r} {e}" if str(e).startswith("is ") else
                         f"environment variable {name}={raw!r}: {e}") from None


def check_all() -> None:
    """Validate every variable that is set (at the start of a command, before any work)."""
    for name in VARS:
        get(name)


def help_lines() -> list[str]:
    return [f"  {v.name:20} {v.help}" for v in VARS.values()]
