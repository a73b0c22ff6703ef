"""Build a kernel tree for a bisect step: out of tree (O=), incrementally, with the suite's
config fragment (runner/kconfig/ubc.config) on top of tinyconfig or a given .config.

The build folder is keyed by the tree's real path, under <cache>/kbuild/ (UBC_KBUILD_DIR or
--build-dir to choose), so the steps of one bisect share it and a step that changes one file
rebuilds only what depends on it. The configuration is made once per (base, fragment) and only
refreshed (olddefconfig) at every step, so an unchanged .config never rebuilds the world.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from runner.core import env
from runner.core.errors import NotRun
from runner.kernel import qemu
from runner.kernel.cache import cache_dir

FRAGMENT = Path(__file__).resolve().parent / "kconfig" / "ubc.config"
STAMP = ".ubc-config"  # in the build folder: the key of the configuration made there


class BuildInfraError(NotRun):
    """Not the tree's fault: no make or compiler, an unwritable build folder (exit 128)."""


@dataclass
class BuildResult:
    ok: bool
    seconds: float
    image: Path | None = None
    why: str = ""               # why not, one line (the first error of the build log)
    missing: list[str] | None = None  # fragment lines the tree's Kconfig did not keep


def is_kernel_tree(tree: Path) -> bool:
    return all((tree / p).exists() for p in ("Makefile", "Kconfig", "arch/x86", "scripts/kconfig"))


def in_tree_output(tree: Path) -> bool:
    """An in-tree configuration blocks O= builds ("source tree is not clean")."""
    return (tree / ".config").exists() or (tree / "include" / "config").is_dir()


def build_dir(tree: Path, backend: str = "qemu") -> Path:
    root = env.get("UBC_KBUILD_DIR")
    if root:
        return Path(root).resolve() / backend
    real = str(tree.resolve())
    key = hashlib.sha256(real.encode()).hexdigest()[:12]
    return cache_dir() / "kbuild" / f"{tree.resolve().name}-{key}" / backend


# --arch arm64: ARCH= and CROSS_COMPILE= on every make, the Image target, the arm64 lines.
ARM64_FRAGMENT = FRAGMENT.with_name("ubc-arm64.config")
CROSS_COMPILE = "aarch64-linux-gnu-"


def arch_args(arch: str) -> list[str]:
    return [] if arch == "x86_64" else ["ARCH=arm64", f"CROSS_COMPILE={CROSS_COMPILE}"]


def target(arch: str) -> tuple[str, str]:
    """(make target, the image it makes under O=)."""
    return ("Image", "arch/arm64/boot/Image") if arch == "arm64" else ("bzImage", "arch/x86/boot/bzImage")


def arch_lines(arch: str) -> list[str]:
    return ARM64_FRAGMENT.read_text().splitlines() if arch == "arm64" else []


def config_key(base: str, extra: list[str] = ()) -> str:
    h = hashlib.sha256(FRAGMENT.read_bytes())
    h.update(b"\0" + (base.encode() if base in ("tinyconfig", "vng") else Path(base).read_bytes()))
    for line in extra:
        h.update(b"\0" + line.encode())
    return h.hexdigest()[:16]


def wanted_lines(extra: list[str] = ()) -> list[str]:
    lines = [l.strip() for l in FRAGMENT.read_text().splitlines() + list(extra)]
    return [l for l in lines if l.startswith("CONFIG_")]


def missing_lines(config: Path, extra: list[str] = ()) -> list[str]:
    """Lines of the fragment the resulting .config does not have (a symbol the tree's
    Kconfig lacks, or a dependency it refused)."""
    have = set(config.read_text(errors="replace").splitlines()) if config.exists() else set()
    out = []
    for l in wanted_lines(extra):
        if l.endswith("=n"):
            if l[:-2] + "=y" in have or l[:-2] + "=m" in have:
                out.append(l)
        elif l not in have:
            out.append(l)
    return out


def _make(tree: Path, args: list[str], log, jobs: int | None = None) -> int:
    cmd = ["make", "-C", str(tree)] + ([f"-j{jobs}"] if jobs else []) + args
    log.write(f"### ubc-kbuild: {' '.join(cmd)}\n")
    log.flush()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, preexec_fn=qemu.die_with_parent)
    with qemu.tracked(proc):
        return proc.wait()


def configure(tree: Path, out: Path, base: str, log, extra: list[str] = (),
              arch: str = "x86_64") -> tuple[bool, list[str]]:
    """Make out/.config if its key changed, refresh it otherwise. (ok, missing lines)."""
    key = config_key(base, list(extra) + [f"# arch {arch}"])
    aa = arch_args(arch)
    stamp = out / STAMP
    cfg = out / ".config"
    if not (cfg.exists() and stamp.exists() and stamp.read_text().strip() == key):
        if base == "tinyconfig":
            if _make(tree, [f"O={out}", *aa, "tinyconfig"], log) != 0:
                return False, []
        else:
            shutil.copyfile(base, cfg)
        frag = out / ".ubc-fragment"
        frag.write_text(FRAGMENT.read_text() + "".join(l + "\n" for l in extra))
        merge = tree / "scripts" / "kconfig" / "merge_config.sh"
        if merge.exists():
            log.write(f"### ubc-kbuild: merge_config.sh -m -O {out} .config {frag.name}\n")
            log.flush()
            cp = subprocess.run(["sh", str(merge), "-m", "-O", str(out), str(cfg), str(frag)],
                                cwd=tree, stdout=log, stderr=subprocess.STDOUT)
            if cp.returncode != 0:
                return False, []
        else:  # later assignments win in a .config
            with open(cfg, "a") as f:
                f.write("\n" + frag.read_text())
    if _make(tree, [f"O={out}", *aa, "olddefconfig"], log) != 0:
        return False, []
    stamp.write_text(key + "\n")
    return True, missing_lines(cfg)  # the fragment's lines only (extra: best effort)


def first_error(log_path: Path) -> str:
    """The first line of a build log that says what went wrong."""
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    for pat in ("error:", "Error ", "*** ", "No rule to make target"):
        for l in lines:
            if pat in l and not l.startswith("### "):
                return l.strip()[:200]
    return lines[-1].strip()[:200] if lines else ""


def check_tools(arch: str = "x86_64") -> None:
    if arch == "arm64" and not shutil.which(CROSS_COMPILE + "gcc"):
        raise BuildInfraError(f"{CROSS_COMPILE}gcc not found: an arm64 kernel build needs "
                              "Debian's cross compiler (scripts/setup --arm64)")
    for tool in ("make", "gcc", "flex", "bison", "bc"):
        if not shutil.which(tool):
            raise BuildInfraError(f"{tool} not found: a kernel build needs make, gcc, flex, "
                                  "bison, bc (and libelf-dev): apt-get install build-essential "
                                  "flex bison bc libelf-dev")


def build(tree: Path, out: Path, base: str, log_path: Path, jobs: int,
          arch: str = "x86_64") -> BuildResult:
    """Configure and build out/arch/x86/boot/bzImage (arm64: ARCH=arm64 CROSS_COMPILE=
    aarch64-linux-gnu-, out/arch/arm64/boot/Image). ok=False: the tree does not build."""
    check_tools(arch)
    goal, made = target(arch)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BuildInfraError(f"cannot create the build folder {out}: {e.strerror}") from None
    t0 = time.monotonic()
    with open(log_path, "w") as log:
        ok, missing = configure(tree, out, base, log, arch_lines(arch), arch)
        if ok:
            ok = _make(tree, [f"O={out}", *arch_args(arch), goal], log, jobs) == 0
    secs = round(time.monotonic() - t0, 1)
    image = out / made
    if not ok:
        return BuildResult(False, secs, None, first_error(log_path) or "make failed", missing)
    if not image.is_file():
        return BuildResult(False, secs, None, f"make made no {made}", missing)
    return BuildResult(True, secs, image, "", missing)
