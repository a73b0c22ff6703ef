"""Which kernel to boot: a Debian package by series or version, a bzImage, a build tree, or host.

Debian kernels come through scripts/papt (the private apt configuration) and are cached once
under <cache>/kernels/<package>_<version>/ with only vmlinuz, config and a PVH vmlinux kept.
The cloud flavour is used: smaller downloads, same io_uring, boots as fast or faster.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from runner.core import arch as arches
from runner.core.errors import NotRun, UsageError
from runner.core.paths import TOP
from runner.kernel.arm64image import NotAnArm64Image, check_image as check_arm64_image
from runner.kernel.bzimage import NotABzImage, check_bzimage, pvh_elf, pvh_vmlinux
from runner.core.versions import vkey
from runner.kernel import steps
from runner.kernel.cache import (CacheError, cache_dir, damage, discard, locked, notice, sha256,
                                 work_dir, write_atomic, write_verified)
from runner.kernel.steps import APT_TIMEOUT, StepError, extract, seconds

PAPT = TOP / "scripts" / "papt"
FLAVOUR = "cloud-amd64"
# Package names that carry a vmlinuz: linux-image-<abi>-cloud-amd64 and, from 6.19 on (where
# linux-image-<abi> became a metapackage), linux-binary-<abi>-cloud-amd64; the same with
# cloud-arm64 for arm64 guests (read from papt --arch arm64's own lists).
NAME_RE = re.compile(r"^linux-(image|binary)-(\d+\.\d+[^ ]*)-cloud-(amd64|arm64)$")


def flavour(arch: str = arches.HOST) -> str:
    return f"cloud-{arches.DEBIAN[arch]}"


def search_re(arch: str = arches.HOST) -> str:
    return r"^linux-(image|binary)-[0-9].*-" + flavour(arch) + "$"


SEARCH_RE = search_re("x86_64")


class KernelError(UsageError):
    """A kernel argument that names nothing bootable (unknown version, not a bzImage): the
    user's input is wrong. One line, exit status 2."""


class FetchError(NotRun):
    """A kernel that exists but could not be obtained or is damaged (network, apt, a corrupt
    download): the run cannot run what was asked. One line, exit status 3."""


@dataclass
class Package:
    name: str          # linux-image-6.12.95+deb12-cloud-amd64
    version: str       # 6.12.95-1~bpo12+1
    suite: str         # bookworm-backports
    abi: str = ""      # 6.12.95+deb12 (6.1.0-50 on 6.1)
    upstream: str = ""  # 6.12.95
    series: str = ""   # 6.12
    arch: str = ""     # x86_64 | arm64 (from the flavour in the name)

    def __post_init__(self):
        m = NAME_RE.match(self.name)
        self.abi = m.group(2) if m else ""
        self.arch = "arm64" if m and m.group(3) == "arm64" else "x86_64"
        self.upstream = re.split(r"[-~+]", self.version.split(":", 1)[-1])[0]
        self.series = ".".join(self.upstream.split(".")[:2])

    def sort_key(self):
        return (vkey(self.upstream), vkey(self.version))


def parse_madison(text: str) -> list[Package]:
    """`apt-cache madison` lines: 'pkg | version | URI suite/main amd64 Packages'."""
    out = []
    for line in text.splitlines():
        cols = [c.strip() for c in line.split("|")]
        if len(cols) < 3 or not NAME_RE.match(cols[0]):
            continue
        where = cols[2].split()
        suite = where[1].split("/")[0] if len(where) > 1 else ""
        out.append(Package(cols[0], cols[1], suite))
    return out


def usable(pkgs: list[Package]) -> list[Package]:
    """Drop linux-image-<abi> metapackages where a linux-binary-<abi> holds the vmlinuz, and
    duplicates of one (name, version) served by several suites."""
    binaries = {p.abi for p in pkgs if p.name.startswith("linux-binary-")}
    seen, out = set(), []
    for p in pkgs:
        if p.name.startswith("linux-image-") and p.abi in binaries:
            continue
        if (p.name, p.version) in seen:
            continue
        seen.add((p.name, p.version))
        out.append(p)
    return sorted(out, key=Package.sort_key)


def papt(*args: str, timeout: int | None = None, arch: str = "x86_64") -> str:
    """scripts/papt's output; its failure (the last line it printed) as a FetchError. papt
    bounds each apt-get (UBC_APT_TIMEOUT) and its lock wait (900 s); this is the backstop.
    arch: whose packages (papt --arch arm64 has lists of its own)."""
    try:
        timeout = timeout or 900 + 2 * seconds(APT_TIMEOUT) + 60
        where = [] if arch == "x86_64" else ["--arch", arches.DEBIAN[arch]]
        cp = steps.run([str(PAPT), *where, *args], timeout)
    except StepError as e:
        raise FetchError(str(e)) from None
    if cp.timed_out:
        raise FetchError(f"scripts/papt {args[0]} took more than {timeout}s")
    if cp.returncode != 0:
        last = (cp.stderr.strip().splitlines() or [f"exit {cp.returncode}"])[-1]
        raise FetchError(last if last.startswith("papt:") else f"papt {args[0]}: {last}")
    return cp.stdout


def available(refresh: bool = False, arch: str = arches.HOST) -> list[Package]:
    """Every cloud kernel package served for `arch`, oldest first. Cached until the apt
    lists change."""
    other = "" if arch == "x86_64" else f"-{arches.DEBIAN[arch]}"
    index = cache_dir() / "kernels" / f"index{other}.json"
    stamp = cache_dir() / f"apt{other}" / "lists" / ".updated"
    # papt refreshes the lists once a day; skip even asking it (3 s) while they are fresh.
    if not stamp.exists() or time.time() - stamp.stat().st_mtime > 86400:
        try:
            papt("update", arch=arch)
        except FetchError:
            if not index.exists():
                raise  # offline with nothing known: say so; otherwise use what we have
    key = str(stamp.stat().st_mtime) if stamp.exists() else ""
    if not refresh and index.exists():
        try:
            data = json.loads(index.read_text())
            if data.get("key") == key:
                return usable([Package(n, v, s) for n, v, s in data["packages"]])
        except (ValueError, KeyError):
            pass
    names = [n for n in papt("search", search_re(arch), arch=arch).split() if NAME_RE.match(n)]
    pkgs = parse_madison(papt("apt-cache", "madison", *names, arch=arch)) if names else []
    if not pkgs:
        # Never keep (or believe) an empty index: it would make every version "unknown".
        again = "scripts/papt" + ("" if arch == "x86_64" else f" --arch {arches.DEBIAN[arch]}")
        raise FetchError(f"the package lists under {cache_dir() / ('apt' + other)} name no "
                         f"{flavour(arch)} kernel package (an incomplete apt update?); run "
                         f"{again} update -f")
    write_atomic(index, json.dumps({"key": key, "packages": [[p.name, p.version, p.suite]
                                                              for p in pkgs]}).encode())
    return usable(pkgs)


def series_newest(pkgs: list[Package]) -> dict[str, Package]:
    """The newest package of every series, in series order."""
    best: dict[str, Package] = {}
    for p in pkgs:  # oldest first, so the last one wins
        best[p.series] = p
    return dict(sorted(best.items(), key=lambda kv: vkey(kv[0])))


def match(spec: str, pkgs: list[Package]) -> Package:
    """6.12 (series: newest), 6.12.95 (upstream), 6.12.95+deb12 or 6.1.0-50 (package ABI),
    or 6.12.95-1~bpo12+1 (package version)."""
    hits = [p for p in pkgs if spec in (p.series, p.upstream, p.abi, p.version)]
    if not hits:
        what = flavour(pkgs[0].arch) if pkgs else FLAVOUR
        raise KernelError(f"no Debian {what} kernel package matches '{spec}' (see --list-kernels)")
    return hits[-1]


@dataclass
class Kernel:
    id: str                          # what was asked: "6.12", "/path/bzImage", "host"
    kind: str                        # "debian", "bzimage", "host"
    image: Path | None = None        # bzImage / vmlinuz
    pvh: Path | None = None          # decompressed vmlinux with a PVH note, if found
    config: Path | None = None
    package: str = ""
    package_version: str = ""
    sha256: str = ""
    extra: dict = field(default_factory=dict)
    arch: str = arches.HOST          # the guest's architecture (x86_64, arm64)

    @property
    def label(self) -> str:
        if self.kind == "debian":
            return f"{self.package} {self.package_version}"
        return str(self.image or "host")


def boot_file(member: str) -> str | None:
    """Which kept file a .deb member is: ./boot/vmlinuz-V and ./boot/config-V (up to 6.18),
    ./usr/lib/modules/V/vmlinuz and .../config (linux-binary-*, 6.19 on)."""
    path = member.lstrip("./")
    base = os.path.basename(path)
    if path.startswith("boot/"):
        for prefix in ("vmlinuz", "config"):
            if base.startswith(prefix + "-"):
                return prefix
    if re.match(r"^usr/lib/modules/[^/]+/(vmlinuz|config)$", path):
        return base
    return None


def extract_boot(deb: Path, dest: Path) -> None:
    """Only the vmlinuz and config out of the .deb (no modules: io_uring and the 8250
    console are built in). A damaged .deb, a full disk, a stuck dpkg-deb: a FetchError."""
    try:
        found = extract(deb, boot_file, dest)
    except StepError as e:
        raise FetchError(str(e)) from None
    if "vmlinuz" not in found:
        raise FetchError(f"{deb.name} holds no vmlinuz")


KEPT = ("vmlinuz", "vmlinux", "config")


def _verified(d: Path) -> dict | None:
    """meta.json of a cached kernel when every kept file still has its recorded sha256."""
    try:
        m = json.loads((d / "meta.json").read_text())
        files = m["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for name, digest in files.items():
        p = d / name
        if not p.is_file() or sha256(p) != digest:
            return None
    return m if "vmlinuz" in files else None


def fetch_debian(spec: str, pkg: Package) -> Kernel:
    """The package's kernel from the cache, downloading it once. The cache entry is checked
    against the sha256 recorded at download time (a damaged one is fetched again); the
    download itself apt checks against the signed lists."""
    root = cache_dir() / "kernels"
    d = root / f"{pkg.name}_{pkg.version.replace(':', '%')}"
    with locked(f"kernel-{d.name}"):
        m = _verified(d)
        if m is None:
            try:
                with work_dir(root) as tmp:  # removed however this ends, swept if we die
                    m = _download(pkg, tmp)
                    if d.exists():
                        shutil.rmtree(d)
                    tmp.rename(d)
            except OSError as e:
                raise CacheError(f"cannot write the kernel cache {root}: {e.strerror}") from None
    return Kernel(spec, "debian", image=d / "vmlinuz", pvh=(d / "vmlinux") if m.get("pvh") else None,
                  config=(d / "config") if (d / "config").exists() else None,
                  package=m["package"], package_version=m["package_version"], sha256=m["sha256"],
                  extra={"suite": m.get("suite", "")}, arch=pkg.arch)


def _download(pkg: Package, tmp: Path) -> dict:
    """Download pkg into tmp, keep its vmlinuz, config and PVH vmlinux there; their meta."""
    deb = Path(papt("download", f"{pkg.name}={pkg.version}", str(tmp), arch=pkg.arch
                    ).strip().splitlines()[-1])
    digest = sha256(deb)
    extract_boot(deb, tmp)
    try:
        if pkg.arch == "arm64":  # QEMU boots it as it is (runner/kernel/arm64image.py)
            check_arm64_image(tmp / "vmlinuz")
        else:
            check_bzimage(tmp / "vmlinuz")
    except (NotABzImage, NotAnArm64Image) as e:
        raise FetchError(f"{pkg.name} {pkg.version}: {e}") from None
    has_pvh = pkg.arch != "arm64" and pvh_vmlinux(tmp / "vmlinuz", tmp / "vmlinux")
    deb.unlink()
    files = {n: sha256(tmp / n) for n in KEPT if (tmp / n).exists()}
    m = {"package": pkg.name, "package_version": pkg.version, "suite": pkg.suite,
         "sha256": digest, "pvh": has_pvh, "files": files}
    (tmp / "meta.json").write_text(json.dumps(m, indent=1))
    return m


def local_bzimage(spec: str, image: Path) -> Kernel:
    try:
        check_bzimage(image)
    except NotABzImage as e:
        raise KernelError(str(e)) from None
    digest = sha256(image)
    d = cache_dir() / "kernels" / "local"
    pvh = d / f"{digest[:16]}.vmlinux"
    try:
        with locked(f"local-{digest[:16]}"):
            _local_pvh(image, pvh)
    except OSError as e:
        raise CacheError(f"cannot write the kernel cache {d}: {e.strerror}") from None
    config = image.parent.parent.parent.parent / ".config"  # a build tree's arch/x86/boot/bzImage
    return Kernel(spec, "bzimage", image=image, pvh=pvh if pvh.exists() else None,
                  config=config if config.is_file() else None, sha256=digest)


def _local_pvh(image: Path, pvh: Path) -> None:
    """The bzImage's PVH vmlinux at pvh, checked against its record before reuse (a damaged
    one boots mute or fails on every later run of that bzImage): made again if damaged."""
    why = damage(pvh) if pvh.exists() else None
    if pvh.exists() and why is None:
        return
    if why:
        notice(f"the cached PVH vmlinux {pvh} of {image} {why}: making it again")
        discard(pvh)
    elf = pvh_elf(image)
    if elf:
        write_verified(pvh, elf)


def looks_like_path(spec: str) -> bool:
    return "/" in spec or spec.startswith(".") or os.path.exists(spec)


def local_arm64(spec: str, p: Path) -> Kernel:
    """An arm64 Image (a file, or a build tree's arch/arm64/boot/Image), booted as it is."""
    img = p / "arch" / "arm64" / "boot" / "Image" if p.is_dir() else p
    if p.is_dir() and not img.is_file():
        raise KernelError(f"kernel build tree '{spec}' has no arch/arm64/boot/Image (build it first)")
    if not img.is_file():
        raise KernelError(f"no such arm64 Image or kernel tree: '{spec}'")
    try:
        check_arm64_image(img)
    except NotAnArm64Image as e:
        raise KernelError(str(e)) from None
    config = p / ".config" if p.is_dir() else img.parent.parent.parent.parent / ".config"
    return Kernel(spec, "bzimage", image=img.resolve(), config=config if config.is_file() else None,
                  sha256=sha256(img), arch="arm64")


def resolve(spec: str, pkgs: list[Package] | None = None) -> Kernel:
    """One --kernel argument to a bootable Kernel (downloading it once if needed). A spec
    of another architecture than the host's ends in @<arch> (runner/core/arch.py)."""
    base, arch = arches.split(spec)
    if arch != arches.HOST:
        if base == "host":
            raise KernelError(f"'{spec}': the host kernel is {arches.HOST}")
        if looks_like_path(base):
            k = local_arm64(base, Path(base))
            k.id = spec
            return k
        if not re.match(r"^\d+\.\d+", base):
            raise KernelError(f"unknown kernel '{spec}': give a Debian version (6.12, 7.3), an Image or a build tree")
        k = fetch_debian(spec, match(base, pkgs if pkgs is not None else available(arch=arch)))
        return k
    if spec == "host":
        return Kernel("host", "host")
    if looks_like_path(spec):
        p = Path(spec)
        if p.is_dir():
            img = p / "arch" / "x86" / "boot" / "bzImage"
            if not img.is_file():
                raise KernelError(f"kernel build tree '{spec}' has no arch/x86/boot/bzImage (build it first)")
            return local_bzimage(spec, img.resolve())
        if p.is_file():
            return local_bzimage(spec, p.resolve())
        if p.exists():
            raise KernelError(f"'{spec}' is neither a bzImage nor a kernel build tree")
        raise KernelError(f"no such bzImage or kernel tree: '{spec}'")
    if not re.match(r"^\d+\.\d+", spec):
        raise KernelError(f"unknown kernel '{spec}': give a Debian version (6.12, 7.3, 6.12.95+deb12), a bzImage, a build tree or 'host'")
    pkg = match(spec, pkgs if pkgs is not None else available())
    return fetch_debian(spec, pkg)


def matrix_specs(pkgs: list[Package] | None = None, arch: str = arches.HOST) -> list[str]:
    """--matrix: the newest package of every series Debian ships for `arch`, then host (on
    the host's architecture only)."""
    series = series_newest(pkgs if pkgs is not None else available(arch=arch))
    return [arches.spec_for(s, arch) for s in series] + (["host"] if arch == arches.HOST else [])


def list_kernels(pkgs: list[Package] | None = None) -> str:
    pkgs = pkgs if pkgs is not None else available()
    newest = {p.name for p in series_newest(pkgs).values()}
    lines = [f"{'series':7} {'upstream':10} {'package':42} {'version':22} suite"]
    for p in pkgs:
        mark = " *" if p.name in newest else ""
        lines.append(f"{p.series:7} {p.upstream:10} {p.name:42} {p.version:22} {p.suite}{mark}")
    lines.append("* = what the series name selects (--kernel SERIES, --matrix)")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys
    try:
        if sys.argv[1:] == ["--list"]:
            print(list_kernels())
        else:
            for s in sys.argv[1:]:
                k = resolve(s)
                print(k.id, k.kind, k.label, k.image, k.pvh)
    except KernelError as e:
        print(f"kernels: {e}", file=sys.stderr)
        sys.exit(2)
    except (FetchError, CacheError) as e:
        print(f"kernels: {e}", file=sys.stderr)
        sys.exit(3)
