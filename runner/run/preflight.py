"""Everything checked before a run builds or boots anything: the cases selected, every
kernel argument (without downloading a kernel), writable folders, QEMU, the baseline file;
then the build. Bad input is a UsageError (exit 2), what is not the user's a NotRun (exit 3).
"""
from __future__ import annotations

import datetime as dt
import fcntl
import fnmatch
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from runner.core import arch as arches
from runner.core.errors import NotRun, UsageError
from runner.core.paths import TOP
from runner.kernel import arm64image, bzimage, qemu
from runner.judge import expected
from runner.kernel import resolve as kernels
from runner.kernel.cache import CacheError, cache_dir
from runner.run.kernel_run import qemu_missing



# The stress tier (cases/stress, docs/stress.md): never in the default selection; --stress
# selects it, and only it.
STRESS_GROUP = "stress"


def all_cases(stress: bool = False) -> list[str]:
    """The cases a run may select: every cases/<group>/<case>.c outside the stress group, or
    (stress) only the stress group's."""
    return sorted(p.stem for p in (TOP / "cases").glob("*/*.c")
                  if (p.parent.name == STRESS_GROUP) == stress)


def select_cases(patterns: list[str], stress: bool = False) -> list[str]:
    names = all_cases(stress)
    if not patterns:
        return names
    out: list[str] = []
    for p in patterns:
        hits = [c for c in names if fnmatch.fnmatchcase(c, p)]
        if not hits:
            other = any(fnmatch.fnmatchcase(c, p) for c in all_cases(not stress))
            hint = ("" if not other else " (a stress case: run it with --stress)" if not stress
                    else " (not a stress case: run it without --stress)")
            raise UsageError(f"no case matches '{p}'{hint} (see --list)")
        out += [c for c in hits if c not in out]
    return out


class Packages:
    """The Debian package list, fetched once and only if a version must be looked up."""

    def __init__(self):
        self._pkgs: dict[str, list] = {}

    def __call__(self, arch: str = arches.HOST):
        if arch not in self._pkgs:
            try:
                self._pkgs[arch] = kernels.available(arch=arch)
            except (kernels.FetchError, CacheError) as e:
                raise NotRun(f"cannot read the Debian package lists ({arch}): {e}") from None
        return self._pkgs[arch]


def check_kernel(spec: str, pkgs: Packages) -> None:
    """Everything kernels.resolve() would refuse, without downloading a kernel."""
    if spec == "host":
        return
    base, arch = arches.split(spec)
    if arch != arches.HOST:
        try:
            if base == "host":
                raise kernels.KernelError(f"'{spec}': the host kernel is {arches.HOST}")
            if kernels.looks_like_path(base):
                p = Path(base)
                img = p / "arch" / "arm64" / "boot" / "Image" if p.is_dir() else p
                if not img.is_file():
                    raise kernels.KernelError(f"no arm64 Image at '{img}' (build it first)")
                arm64image.check_image(img)
                return
            if not base[:1].isdigit():
                raise kernels.KernelError(f"unknown kernel '{spec}': give a Debian version "
                                          "(6.12, 7.3), an arm64 Image or a build tree")
            kernels.match(base, pkgs(arch))
        except OSError as e:
            raise UsageError(f"cannot read '{spec}': {e.strerror}") from None
        except (kernels.KernelError, arm64image.NotAnArm64Image) as e:
            raise UsageError(str(e)) from None
        return
    try:
        if kernels.looks_like_path(spec):
            p = Path(spec)
            if p.is_dir():
                img = p / "arch" / "x86" / "boot" / "bzImage"
                if not img.is_file():
                    raise kernels.KernelError(f"kernel build tree '{spec}' has no "
                                              "arch/x86/boot/bzImage (build it first)")
                bzimage.check_bzimage(img)
            elif p.is_file():
                bzimage.check_bzimage(p)
            elif p.exists():
                raise kernels.KernelError(f"'{spec}' is neither a bzImage nor a kernel build tree")
            else:
                raise kernels.KernelError(f"no such bzImage or kernel tree: '{spec}'")
            return
        if not spec[:1].isdigit():
            raise kernels.KernelError(f"unknown kernel '{spec}': give a Debian version (6.12, "
                                      "7.3, 6.12.95+deb12), a bzImage, a build tree or 'host'")
        kernels.match(spec, pkgs())
    except OSError as e:
        raise UsageError(f"cannot read '{spec}': {e.strerror}") from None
    except (kernels.KernelError, bzimage.NotABzImage) as e:
        raise UsageError(str(e)) from None


def writable_dir(path: Path, what: str) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".ubc-write-test.{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise UsageError(f"{what} {path} is not writable: {e.strerror}") from None


@dataclass
class Checked:
    specs: list[str]
    expectations: object  # runner.judge.expected.Expectations, or None with --raw


def check_run(a) -> Checked:
    """The kernels to run and expected/ loaded, after every check that needs no download of a
    kernel: bad input is a UsageError here, before any build or boot."""
    wanted = arch_list(a)
    specs = list(dict.fromkeys(with_arch(a.kernel, wanted)))
    if a.gate:
        if not a.baseline or not a.candidate:
            raise UsageError("--gate needs --baseline K1 and --candidate K2")
        specs += [k for k in (a.baseline, a.candidate) if k not in specs]
    elif a.baseline or a.candidate:
        raise UsageError("--baseline/--candidate go with --gate")
    if a.keyword:
        check_keyword(a.keyword)
    exp = None if a.raw else expected.load_expectations(a.expected)
    specs = kernel_specs(specs, a.matrix, wanted, getattr(a, "arch", arches.HOST))
    if (a.save_baseline or a.against) and len(specs) != 1:
        raise UsageError("--save-baseline and --against take exactly one --kernel")
    for arch in dict.fromkeys(arches.of(s) for s in specs if s != "host"):
        missing = qemu_missing(arch)
        if missing:
            raise NotRun(missing)
    if a.save_baseline:
        writable_dir(Path(a.save_baseline).resolve().parent, "the folder of --save-baseline")
    if a.junitxml:
        writable_file(Path(a.junitxml), "--junitxml")
    if getattr(a, "squad", None):
        writable_file(Path(a.squad), "--squad")
    for p in a.extra_binary:
        if not Path(p).is_file():
            raise UsageError(f"--extra-binary {p}: no such file")
    return Checked(specs, exp)


def kernel_specs(specs: list[str], matrix: bool, wanted: list[str] | None = None,
                 arch_arg: str | None = None) -> list[str]:
    """The kernels asked for (--kernel, repeatable, then --matrix's on each architecture
    wanted), each checked without a download; host when none is named (and the host's
    architecture is wanted)."""
    wanted = wanted or [arches.HOST]
    specs = list(dict.fromkeys(specs))
    if matrix or any(s != "host" for s in specs):
        # Before the package lists are fetched into it: an unwritable cache is the user's.
        writable_dir(cache_dir(), "the cache folder (UBC_CACHE)")
    pkgs = Packages()
    if matrix:
        for arch in wanted:
            specs += [s for s in kernels.matrix_specs(pkgs(arch), arch) if s not in specs]
    if not specs and arches.HOST not in wanted:
        raise UsageError(f"--arch {arch_arg}: name kernels (--kernel 7.3, --matrix); the host "
                         f"kernel is {arches.HOST}")
    specs = specs or ["host"]
    for s in specs:
        check_kernel(s, pkgs)
    return specs


def arch_list(a) -> list[str]:
    from runner.run.options import arch_list as of_args
    return of_args(a)


def with_arch(specs: list[str], wanted: list[str]) -> list[str]:
    """Each --kernel on each architecture asked for: 7.3 with --arch arm64 is 7.3@arm64; a
    spec that names its architecture (7.3@arm64) stays as it is; host only on the host's."""
    out = []
    for s in specs:
        if arches.split(s)[0] != s or "@" in s and s.rpartition("@")[2] in arches.ALIASES:
            out.append(arches.spec_for(*arches.split(s)))
            continue
        for arch in wanted:
            if s == "host" and arch != arches.HOST:
                if len(wanted) == 1:
                    raise UsageError(f"--kernel host --arch {arch}: the host kernel is {arches.HOST}")
                continue
            out.append(arches.spec_for(s, arch))
    return out


def archs_of(specs: list[str]) -> list[str]:
    """The architectures a run's kernels need builds of."""
    return list(dict.fromkeys(arches.of(s) for s in specs)) or [arches.HOST]


def check_keyword(expr: str) -> None:
    """pytest's -k grammar, checked here so a bad expression is one line and exit 2."""
    from _pytest.mark.expression import Expression, ParseError
    try:
        Expression.compile(expr)
    except ParseError as e:
        raise UsageError(f"-k {expr!r}: {e.message} at column {e.column}") from None


def writable_file(path: Path, what: str) -> None:
    p = path.resolve()
    if p.is_dir():
        raise UsageError(f"{what} {path} is a folder")
    writable_dir(p.parent, f"the folder of {what}")
    if p.exists() and not os.access(p, os.W_OK):
        raise UsageError(f"{what} {path} is not writable: Permission denied")


class ResultsDir:
    """The run's results folder, held under a lock while the run is in `with`: a second run
    given the same --results is refused (exit 2); the default results/<timestamp>[-N]/ is
    always new."""

    def __init__(self, path: Path, lock_file):
        self.path, self._file = path, lock_file

    def __enter__(self) -> "ResultsDir":
        return self

    def __exit__(self, *exc) -> bool:
        self.release()
        return False

    def release(self) -> None:
        self._file.close()


def results_dir(arg: str | None) -> ResultsDir:
    if arg:
        path = Path(arg).resolve()
        writable_dir(path, "the results folder")
    else:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        base = TOP / "results"
        writable_dir(base, "the results folder")
        for n in range(1, 1000):
            path = base / (stamp if n == 1 else f"{stamp}-{n}")
            try:
                path.mkdir()
                break
            except FileExistsError:
                continue
            except OSError as e:
                raise UsageError(f"the results folder {path} is not writable: {e.strerror}") from None
    f = open(path / ".ubc-run.lock", "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise UsageError(f"the results folder {path} is in use by another run "
                         "(give each run its own --results)") from None
    f.seek(0)
    f.truncate()
    f.write(f"{os.getpid()}\n")
    f.flush()
    return ResultsDir(path, f)


def build(a, cases: list[str], archs: list[str] = (arches.HOST,)) -> None:
    """make the cases for each architecture the run's kernels need (arm64: make ARCH=arm64
    into <build>-arm64)."""
    from runner.run.kernel_run import Options
    for arch in archs:
        out = Options(build=Path(a.build)).build_for(arch)
        _make(a, cases, out, [] if arch == arches.HOST else [f"ARCH={arch}"])


def _make(a, cases: list[str], out: Path, extra: list[str]) -> None:
    if a.no_build:
        return
    # Its own session, so an interrupt (Ctrl-C, SIGTERM: KeyboardInterrupt here) kills the
    # whole make and its compilers instead of leaving them building.
    proc = subprocess.Popen(["make", "-s", "-C", str(TOP), f"BUILD={out}", *extra, "all"],
                            stdout=sys.stderr, stderr=sys.stderr, stdin=subprocess.DEVNULL,
                            start_new_session=True, preexec_fn=qemu.die_with_parent)
    with qemu.tracked(proc):
        try:
            rc = proc.wait()
        except KeyboardInterrupt:
            qemu.kill_running()
            proc.wait()
            raise
    if rc != 0:
        raise NotRun(f"the build failed (make exit {rc}, see above)")
    missing = [c for c in cases if not (out / "bin" / c).is_file()]
    if missing:
        raise NotRun(f"the build made no binary for {', '.join(missing)}")
