"""Kernel versions: the upstream version of a kernel from its release and /proc/version,
version bounds and ranges as expected/ writes them, and Debian package version order.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KernelVersion:
    major: int
    minor: int
    patch: int | None  # None: only the series is known (Debian 6.1.0-50, Ubuntu 5.15.0-91)
    source: str  # where it was read, for messages

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}" + ("" if self.patch is None else f".{self.patch}")

    @property
    def series(self) -> str:
        return f"{self.major}.{self.minor}"


_DEBIAN_PROC = re.compile(r"\bDebian (\d+)\.(\d+)(?:\.(\d+))?")
_RELEASE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?(.*)$")
# Distro ABI names (6.1.0-50-amd64) say 0 for a sublevel they do not tell.
_ABI_NAME = re.compile(r"^\d+\.\d+\.0-\d+(?:-|$)")


def parse_version(release: str | None, proc_version: str | None = None) -> KernelVersion | None:
    """The upstream version of a kernel, or None when none can be read.

    Debian's /proc/version ends with the package version ("Debian 6.1.176-1"), which is the
    real upstream version when uname -r only says 6.1.0-50; 6.12.95+deb12 and 7.3.4+deb13 carry
    it in the release itself.
    """
    rel = None
    if release:
        m = _RELEASE.match(release.strip())
        if m:
            patch = None if _ABI_NAME.match(release) else int(m.group(3) or 0)
            rel = KernelVersion(int(m.group(1)), int(m.group(2)), patch, f"release '{release}'")
    if proc_version:
        # The package version comes last, after the build number; the compiler's
        # "(Debian 12.2.0-14)" comes before it. It must agree with the release's series.
        found = _DEBIAN_PROC.findall(proc_version.split("#", 1)[-1])
        if found:
            major, minor, patch = (int(x or 0) for x in found[-1])
            if rel is None or (rel.major, rel.minor) == (major, minor):
                return KernelVersion(major, minor, patch,
                                     f"/proc/version 'Debian {major}.{minor}.{patch}'")
    return rel


def bound(text: str) -> tuple[int, int, int | None]:
    m = re.fullmatch(r"(\d+)\.(\d+)(?:\.(\d+))?", text.strip())
    if not m:
        raise ValueError(f"not a version: {text!r}")
    return int(m.group(1)), int(m.group(2)), None if m.group(3) is None else int(m.group(3))


def compare(v: KernelVersion, bound: tuple[int, int, int | None]) -> int | None:
    """-1/0/1 comparing v with a bound; None when v's unknown sublevel would decide."""
    if (v.major, v.minor) != bound[:2]:
        return -1 if (v.major, v.minor) < bound[:2] else 1
    b = bound[2] or 0
    if v.patch is None:
        return 0 if b == 0 else None
    return (v.patch > b) - (v.patch < b)


class VersionRange:
    """">=6.12,<6.13" (all must hold), "6.12" (that series), "*"; a list of them is an OR."""

    _OPS = {">=": lambda c: c >= 0, ">": lambda c: c > 0, "<=": lambda c: c <= 0,
            "<": lambda c: c < 0, "==": lambda c: c == 0}

    def __init__(self, spec: str | list[str]):
        self.spec = spec
        self.alternatives = []
        for alt in [spec] if isinstance(spec, str) else spec:
            conds = []
            for part in str(alt).split(","):
                part = part.strip()
                if part in ("*", ""):
                    continue
                m = re.fullmatch(r"(>=|<=|==|>|<)?\s*(\d+\.\d+(?:\.\d+)?)", part)
                if not m:
                    raise ValueError(f"bad version range part {part!r} in {spec!r}")
                op, b = m.group(1), bound(m.group(2))
                if op is None:  # a bare "6.12" is the series, "6.12.5" that version
                    if b[2] is None:
                        conds.append((">=", (b[0], b[1], 0)))
                        conds.append(("<", (b[0], b[1] + 1, 0)))
                        continue
                    op = "=="
                conds.append((op, b))
            self.alternatives.append(conds)

    def contains(self, v: KernelVersion) -> bool | None:
        """True/False, or None when only v's unknown sublevel could tell."""
        unsure = False
        for conds in self.alternatives:
            ok = True
            for op, b in conds:
                c = compare(v, b)
                if c is None:
                    unsure, ok = True, False
                    break
                if not self._OPS[op](c):
                    ok = False
                    break
            if ok:
                return True
        return None if unsure else False

    def __str__(self) -> str:
        return self.spec if isinstance(self.spec, str) else " or ".join(self.spec)


def vkey(v: str) -> tuple:
    """A sort key close enough to Debian's version order for kernel versions: numbers by
    value, '~' before the end of the string (6.12.95-1~bpo12+1 < 6.12.95-1)."""
    v = v.split(":", 1)[-1]
    key = []
    for p in re.split(r"(\d+)", v):
        if p.isdigit():
            key.append((3, int(p), ""))
        elif p:
            key.append((0 if p.startswith("~") else 2, 0, p))
    key.append((1, 0, ""))
    return tuple(key)
