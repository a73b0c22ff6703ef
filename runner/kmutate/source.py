"""The kernel tree kmutate works on: --tree DIR, else KDIR, else the pinned Debian
linux-source package (deps.conf KMUTATE_SRC_PKG/VERSION) fetched with the project's private
apt (scripts/papt) and extracted once into <cache>/ksrc/<package>_<version>/."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from runner.bisect import kbuild
from runner.core import env
from runner.core.errors import NotRun, UsageError
from runner.core.paths import TOP
from runner.kernel.cache import cache_dir, locked


def pinned() -> tuple[str, str]:
    text = (TOP / "deps.conf").read_text()
    pkg = re.search(r"^KMUTATE_SRC_PKG=(\S+)", text, re.M).group(1)
    ver = re.search(r"^KMUTATE_SRC_VERSION=(\S+)", text, re.M).group(1)
    return pkg, ver


def tree(arg: str | None, say=print) -> Path:
    """The tree to mutate (an error if it is not a clean kernel source tree)."""
    spec = arg or env.get("KDIR")
    if spec:
        t = Path(spec).resolve()
        if not kbuild.is_kernel_tree(t):
            raise UsageError(f"--tree {spec}: not a kernel source tree (Makefile, Kconfig, arch/x86)")
    else:
        t = fetch(say)
    if kbuild.in_tree_output(t):
        raise UsageError(f"{t} has an in-tree configuration (.config, include/config): the "
                         "build is out of tree; run make mrproper there first")
    return t


def fetch(say=print) -> Path:
    pkg, ver = pinned()
    root = cache_dir() / "ksrc"
    d = root / f"{pkg}_{ver}"
    src = d / pkg
    if kbuild.is_kernel_tree(src):
        return src
    with locked(f"ksrc-{pkg}"):
        if kbuild.is_kernel_tree(src):
            return src
        root.mkdir(parents=True, exist_ok=True)
        say(f"kmutate: fetching {pkg} {ver} and extracting it into {d} (once, about 1.5 GB)")
        with tempfile.TemporaryDirectory(dir=root, prefix=".dl.") as tmp:
            cp = subprocess.run([str(TOP / "scripts" / "papt"), "download", f"{pkg}={ver}", tmp],
                                capture_output=True, text=True)
            if cp.returncode != 0:
                raise NotRun(f"cannot fetch {pkg} {ver}: {cp.stderr.strip() or 'papt failed'}")
            deb = cp.stdout.strip().splitlines()[-1]
            part = Path(tmp) / "x"
            part.mkdir()
            sh = (f"dpkg-deb --fsys-tarfile '{deb}' | tar -xO './usr/src/{pkg}.tar.xz' | "
                  f"tar -xJ -C '{part}'")
            cp = subprocess.run(["sh", "-c", sh], capture_output=True, text=True)
            if cp.returncode != 0 or not kbuild.is_kernel_tree(part / pkg):
                raise NotRun(f"cannot extract {pkg} {ver}: {cp.stderr.strip()[:200]}")
            d.mkdir(exist_ok=True)
            os.replace(part / pkg, src)
    return src
