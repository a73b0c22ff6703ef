"""The guests' architectures: their names, the host's, and how a kernel id carries one.

A kernel of the host's architecture keeps its plain id ("7.3", "host"); a kernel of another
architecture is "<spec>@<arch>" ("7.3@arm64"), so every table, file and gate keyed by kernel
id tells the two apart without another key. `--arch` (runner/run/options.py) picks them.
"""
from __future__ import annotations

import platform

ARCHES = ("x86_64", "arm64")
# Debian's name of each (package architectures, kernel flavours cloud-<debian>).
DEBIAN = {"x86_64": "amd64", "arm64": "arm64"}
ALIASES = {"x86_64": "x86_64", "amd64": "x86_64", "x86": "x86_64",
           "arm64": "arm64", "aarch64": "arm64"}


def host() -> str:
    """The host's architecture, by its suite name (x86_64 when it is none of ours)."""
    return ALIASES.get(platform.machine(), "x86_64")


HOST = host()


def canonical(name: str) -> str:
    """x86_64|amd64|x86 -> x86_64, arm64|aarch64 -> arm64; ValueError otherwise."""
    try:
        return ALIASES[name]
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}: {' or '.join(ARCHES)}") from None


def split(spec: str) -> tuple[str, str]:
    """'7.3@arm64' -> ('7.3', 'arm64'); '7.3' -> ('7.3', the host's)."""
    base, sep, a = spec.rpartition("@")
    if sep and a in ALIASES and base:
        return base, ALIASES[a]
    return spec, HOST


def spec_for(base: str, arch: str) -> str:
    """The kernel id of `base` on `arch`: plain on the host's architecture."""
    return base if arch == HOST else f"{base}@{arch}"


def of(spec: str) -> str:
    return split(spec)[1]
