"""One `git bisect run` step, run from a kernel source tree:

    git bisect run /path/to/suite/run_tests.sh --bisect-step [--vng] [--config FILE] \\
        [--bisect-fix] CASE...

Builds the tree out of tree and incrementally (runner/kbuild.py; with --vng, `vng -b`), boots
it with only CASE..., and exits as git bisect reads it: 0 good, 1 bad (a case fails, the
kernel panics or hangs), 125 skip (the tree does not build, or the case SKIPs: its probe
proved the feature absent), 128 could not run (QEMU or vng missing or failing, no console
output at all, the suite does not build, bad arguments: git bisect aborts on >= 128), 130
interrupted. --bisect-fix swaps 0 and 1 (to find the commit that fixed a behaviour).
It prints one line: commit, build seconds, boot seconds, verdict, the kept console log.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from runner.core import arch as arches
from runner.core.errors import NotRun
from runner.core.paths import TOP
from runner.bisect import kbuild
from runner.kernel import qemu
from runner.kernel import vng
from runner.bisect.verdict import EXIT, INFRA, INTERRUPTED, LABEL, SKIP, StepVerdict, judge_kernel_run
from runner.kernel.cache import CacheError
from runner.run.kernel_run import KernelRun, Options
from runner.kernel.initramfs import Initramfs
from runner.run import options
from runner.run.preflight import NotRun, UsageError, build, select_cases

PROG = "run_tests.sh --bisect-step"


class Infra(NotRun):
    """Could not run the step (exit 128): one line."""


HELP = "one git bisect run step from a kernel tree: 0 good, 1 bad, 125 skip, 128 abort"


def add_arguments(ap) -> None:
    options.add_cases(ap, required=True)
    ap.add_argument("--config", default=None, metavar="FILE",
                    help="base configuration under the suite's fragment: tinyconfig (the "
                    "default) or a .config file; with --vng: vng's own (the default) or a file")
    ap.add_argument("--bisect-fix", action="store_true",
                    help="swap good and bad: find the commit that fixed a behaviour")
    ap.add_argument("--build-dir", metavar="DIR", help="out-of-tree build folder (default: "
                    "<cache>/kbuild/<tree>-<hash>/<backend>)")
    ap.add_argument("-j", "--jobs", type=options.positive_int, default=os.cpu_count() or 1,
                    metavar="N", help="make -j N for the kernel build (not kernels at once)")
    options.add_boot(ap, vng_help="build with vng -b and run in vng")
    options.add_arch(ap, all_ok=False, help="the kernel's architecture (default the host's); "
                     "arm64: make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- Image, booted in "
                     "qemu-system-aarch64 with build-arm64/'s cases")
    ap.add_argument("--tree", default=".", help=argparse.SUPPRESS)
    ap.add_argument("--boot-allowance", type=float, default=0.0, help=argparse.SUPPRESS)
    options.add_build(ap)


def remap_exit(code: int) -> int:
    """git bisect run counts 1-127 (but 125) as bad: a usage or set-up error must abort (128)."""
    return code if code in (EXIT[INTERRUPTED],) else EXIT[INFRA]


def commit_of(tree: Path) -> str:
    try:
        cp = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, timeout=30)
        return cp.stdout.strip() or "no-git"
    except (OSError, subprocess.SubprocessError):
        return "no-git"


def build_suite(a, cases: list[str]) -> None:
    """The suite's own build (preflight.build); its failure stops the bisect (128)."""
    try:
        build(a, cases, [getattr(a, "arch", arches.HOST)])
    except NotRun as e:
        raise Infra(str(e)) from None


def step_dir(tree: Path, commit: str) -> Path:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    d = kbuild.build_dir(tree, "steps") / f"{stamp}-{commit}"
    d.mkdir(parents=True, exist_ok=True)
    return d


def say_fallback(text: str) -> None:
    """Of KernelRun's progress lines only the one saying vng cannot run this kernel: a step
    prints one line."""
    if "built-in QEMU backend" in text:
        print(f"bisect-step: {text}", file=sys.stderr)


def boot(image: Path, cases: list[str], opts: Options, d: Path,
         arch: str = arches.HOST) -> tuple[StepVerdict, float]:
    """Boot the build with the cases: the built-in QEMU, or vng (opts.vng, runner/vng.py)."""
    aopts = opts if arch == arches.HOST else Options(**{**opts.__dict__,
                                                        "build": opts.build_for(arch)})
    kr = KernelRun(arches.spec_for(str(image), arch), cases, aopts, d,
                   Initramfs(aopts, cases, arch), say=say_fallback)
    kr.run()
    return judge_kernel_run(kr, cases, qemu.stopping()), kr.boot_seconds()


def run(a) -> tuple[StepVerdict, str, float, float, Path | None]:
    tree = Path(a.tree).resolve()
    commit = commit_of(tree)
    try:
        cases = select_cases(a.cases)
    except UsageError as e:
        raise Infra(str(e)) from None
    if not kbuild.is_kernel_tree(tree):
        raise Infra(f"{tree} is not a kernel source tree (run the step from one)")
    if a.config is None:
        a.config = "vng" if a.vng else "tinyconfig"
    elif a.config != "tinyconfig":
        if not Path(a.config).is_file():
            raise Infra(f"--config {a.config}: no such file")
        a.config = str(Path(a.config).resolve())
    if kbuild.in_tree_output(tree):
        raise Infra(f"{tree} has an in-tree configuration (.config, include/config): out-of-tree "
                    "builds need a clean tree (make mrproper, after saving .config to pass as --config)")
    arch = getattr(a, "arch", arches.HOST)
    if arch != arches.HOST and a.vng:
        raise Infra(f"--vng --arch {arch}: vng boots the host's architecture only")
    missing = kbuild.shutil.which(qemu.binary(arch)) is None
    if missing:
        raise Infra(f"{qemu.binary(arch)} not found: install "
                    f"{'qemu-system-arm' if arch == 'arm64' else 'qemu-system-x86'}")
    backend = "vng" if a.vng else "qemu"
    out = Path(a.build_dir).resolve() if a.build_dir else kbuild.build_dir(tree, backend)
    d = step_dir(tree, commit)
    build_suite(a, cases)
    opts = Options(build=Path(a.build).resolve(), accel=a.accel, max_boots=1,
                   boot_allowance=a.boot_allowance, vng=a.vng)
    if a.case_timeout:
        opts.case_timeout = a.case_timeout
    if a.vng:
        argv, env, _ = vng.find()
        vng.check(argv, env)
        b = build_vng(tree, out, argv, env, d / "build.log", a.config)
    else:
        b = kbuild.build(tree, out, a.config, d / "build.log", a.jobs, arch)
    if b.missing:
        print(f"bisect-step: {commit}: the tree's Kconfig did not keep: {' '.join(b.missing[:8])}",
              file=sys.stderr)
    if not b.ok:
        if qemu.stopping():
            return StepVerdict(INTERRUPTED, "interrupted during the build"), commit, b.seconds, 0.0, d / "build.log"
        return (StepVerdict(SKIP, f"the tree does not build: {b.why}"), commit, b.seconds, 0.0,
                d / "build.log")
    v, boot_s = boot(b.image, cases, opts, d, arch)
    return v, commit, b.seconds, boot_s, d / "console.log"


def build_vng(tree: Path, out: Path, argv, env, log_path: Path, base: str) -> kbuild.BuildResult:
    """vng -b into out. vng makes its config (defconfig + its virtme options + the suite's
    fragment) when out/.config is absent and keeps it after. --config FILE: that file is the
    base instead; --config tinyconfig: tinyconfig + the fragment + vng's options (vng.config_items).
    The suite's fragment is merged on either (runner/kbuild.configure)."""
    t0 = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        if base == "vng":
            # vng keeps an existing .config: drop one that another base made
            stamp = out / kbuild.STAMP
            if not (stamp.exists() and stamp.read_text().strip() == kbuild.config_key("vng")):
                (out / ".config").unlink(missing_ok=True)
        else:
            extra = vng.config_items(argv, env, tree) if base == "tinyconfig" else []
            ok, _ = kbuild.configure(tree, out, base, log, extra)
            if not ok:
                return kbuild.BuildResult(False, round(time.monotonic() - t0, 1), None,
                                          kbuild.first_error(log_path) or "configuration failed")
        cmd = vng.build_cmd(argv, out, kbuild.FRAGMENT)
        log.write(f"### ubc-kbuild: {' '.join(cmd)}\n")
        log.flush()
        proc = subprocess.Popen(cmd, cwd=tree, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env={**os.environ, **env},
                                start_new_session=True, preexec_fn=qemu.die_with_parent)
        with qemu.tracked(proc):
            rc = proc.wait()
    secs = round(time.monotonic() - t0, 1)
    image = out / "arch" / "x86" / "boot" / "bzImage"
    if rc != 0 or not image.is_file():
        return kbuild.BuildResult(False, secs, None, kbuild.first_error(log_path) or f"vng -b exit {rc}")
    if base == "vng":
        (out / kbuild.STAMP).write_text(kbuild.config_key("vng") + "\n")
    return kbuild.BuildResult(True, secs, image, "", kbuild.missing_lines(out / ".config"))


def line(commit: str, build_s: float, boot_s: float, v: StepVerdict, log: Path | None) -> str:
    return (f"bisect-step: {commit} build {build_s:.1f}s boot {boot_s:.1f}s "
            f"{LABEL[v.kind]} ({v.why}) log {log or '-'}")


def main(a) -> int:
    """Never exits 1-127 by accident: git bisect would count that as bad. Bad arguments,
    missing tools and unexpected errors are 128 (abort the bisect)."""
    t0 = time.monotonic()
    try:
        v, commit, build_s, boot_s, log = run(a)
        if a.bisect_fix:
            v = v.flipped()
        print(line(commit, build_s, boot_s, v, log), flush=True)
        return EXIT[v.kind]
    except KeyboardInterrupt:
        qemu.kill_running()
        print(f"bisect-step: interrupted after {time.monotonic() - t0:.0f}s", file=sys.stderr)
        return EXIT[INTERRUPTED]
    except (Infra, kbuild.BuildInfraError, vng.VngError, CacheError, OSError) as e:
        print(f"bisect-step: could not run the step (exit 128, git bisect stops): {e}",
              file=sys.stderr)
        return EXIT[INFRA]
    except Exception as e:  # noqa: BLE001: a traceback's exit 1 would read as "bad"
        import traceback
        traceback.print_exc()
        print(f"bisect-step: internal error (exit 128, git bisect stops): {e!r}", file=sys.stderr)
        return EXIT[INFRA]
