"""Run the cases on one kernel: resolve it, boot it, read the console as it arrives, boot
again after a crash, and keep the console log and KTAP in the results folder.

`run_cases()` is the crash-resume core (it takes any boot function, so the tests drive it
with recorded consoles); `KernelRun` does it for a real kernel in QEMU or on the host.
"""
from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from runner.core import arch as arches
from runner.core import env
from runner.core.paths import RUN_CASES, TOP
from runner.kernel import host
from runner.kernel import resolve as kernels
from runner import ktap
from runner.kernel import qemu
from runner.kernel.cache import CacheError, cache_dir
from runner.kernel.initramfs import Initramfs
from runner.report.summary import KernelResult
from runner.core.status import Status

# Seconds per case binary: runner/guest/run-cases.sh's default, read from it (one place).
DEFAULT_CASE_TIMEOUT = int(re.search(r"UBC_CASE_TIMEOUT:-(\d+)",
                                     RUN_CASES.read_text()).group(1))


@dataclass
class Options:
    build: Path = TOP / "build"
    case_timeout: int = field(default_factory=lambda: env.get("UBC_CASE_TIMEOUT", DEFAULT_CASE_TIMEOUT))
    accel: str = "auto"           # auto | tcg | kvm
    machine: str = "pc"
    memory: str = ""              # "" = 512M, more for a big initramfs (see guest_memory)
    smp: int = 1                  # the guest's vCPUs
    guest_jobs: int = 0           # cases at once (run-cases.sh -P); 0 = smp
    boot_allowance: float = 0.0   # seconds for boot + teardown; 0 = by accelerator
    max_boots: int = 0            # 0 = one per case + 1
    extra_append: str = ""
    extra_binaries: list[Path] = field(default_factory=list)  # test-only cases (crash tests)
    vng: bool = False             # boot in virtme-ng where it can (runner/vng.py)

    def build_for(self, arch: str) -> Path:
        """The build of `arch`'s cases: `build` on the host's architecture, else its sibling
        <build>-<arch> (build-arm64/, what `make ARCH=arm64` makes)."""
        if arch == arches.HOST:
            return self.build
        return self.build.with_name(f"{self.build.name}-{arch}")

    def jobs_for(self, on_line) -> int:
        """Cases at once in a boot: what its sink asks for (1: cases run again alone), else
        guest_jobs, else one per vCPU."""
        return getattr(on_line, "jobs", None) or self.guest_jobs or self.smp

    def host_jobs_for(self, on_line) -> int:
        """The host run's cases at once: twice jobs_for's, unless one at a time or a number
        is asked. Its cases mostly wait (for completions, a watch, a child): on 2 cores,
        run-cases.sh -P 4 took 0.35 of -P 1's time, -P 2 0.55, with statuses identical in 20
        runs (docs/speed.md). A guest's vCPUs gain nothing from it under TCG."""
        j = self.jobs_for(on_line)
        return j if j == 1 or getattr(on_line, "jobs", None) or self.guest_jobs else 2 * j

    def allowance(self, accel: str) -> float:
        if self.boot_allowance:
            return self.boot_allowance
        return {"tcg": 120.0, "kvm": 30.0}.get(accel, 30.0)


# -- the stress tier (cases/stress, docs/stress.md) ----------------------------------------------

STRESS_SMP = 2            # its races need two CPUs: every stress boot gets at least this many
STRESS_LOOPS_PER_CASE = 2  # the most race loops (tests, variants) one stress case runs


def stress_options(opts: Options, seconds: float | None = None) -> Options:
    """opts for a --stress run: at least STRESS_SMP vCPUs; with seconds, the loop duration in
    the guest cases' environment (a kernel parameter with no dot is passed to init as an
    environment variable) and a case timeout that fits it (each loop is deadline-bound;
    TCG setup and 6.1's delayed tag CQEs take the rest)."""
    out = Options(**opts.__dict__)
    out.smp = max(out.smp, STRESS_SMP)
    out.guest_jobs = 1  # a race loop wants every CPU (and run-cases.sh runs them alone anyway)
    if seconds is not None:
        out.extra_append = " ".join(x for x in (out.extra_append, f"UBC_STRESS_SECONDS={seconds:g}") if x)
        out.case_timeout = max(out.case_timeout,
                               int(STRESS_LOOPS_PER_CASE * seconds * 1.5) + 60)
    return out


# -- crash resume ------------------------------------------------------------------------------

BootFn = Callable[[list[str], Callable[[str], None]], "qemu.Boot"]


def ranges(indexes: list[int]) -> str:
    """[3,4,5,9] -> '3-5,9' (keeps the kernel command line short for many cases)."""
    out, i = [], 0
    while i < len(indexes):
        j = i
        while j + 1 < len(indexes) and indexes[j + 1] == indexes[j] + 1:
            j += 1
        out.append(str(indexes[i]) if i == j else f"{indexes[i]}-{indexes[j]}")
        i = j + 1
    return ",".join(out)


def _unfinished(c: ktap.CaseResult | None) -> bool:
    """No result line of its own: it was running, or had not started."""
    return c is None or (c.ktap_status is None and c.status in (Status.CRASH, Status.NOTRUN))


class Sink:
    """The one streaming parse of a boot's console: every line goes to the parser as it
    arrives (and to an echo, for --ktap); the transport asks it how the boot ended."""

    def __init__(self, parser: ktap.ConsoleParser, on_case=None, echo=None):
        self.parser, self.on_case, self.echo = parser, on_case, echo
        self.jobs: int | None = None  # cases at once in the guest; None: the boot's own choice

    def __call__(self, line: str) -> None:
        if self.echo is not None:
            self.echo(line)
        for c in self.parser.feed(line):
            if self.on_case:
                self.on_case(c)

    def ended(self, exit_code: int | None, timed_out: bool) -> str | None:
        return ktap.end_reason(self.parser.run, exit_code, timed_out)

    def seen(self) -> ktap.ConsoleRun:
        return self.parser.run

    def with_echo(self, echo) -> "Sink":
        out = Sink(self.parser, self.on_case, echo)
        out.jobs = self.jobs
        return out


def run_cases(cases: list[str], boot: BootFn, max_boots: int = 0,
              on_case: Callable[[ktap.CaseResult], None] | None = None):
    """Boot with `cases`; the cases a crash kept from starting get a new boot with only them.
    Cases a boot that ran them at once cannot judge exactly (a kernel event or taint change
    that names no one of them: ConsoleRun.rerun) run again one at a time in a boot of their
    own (Sink.jobs = 1), and that boot's result is theirs, saying so.
    Stops when everything has a result, a boot starts no case at all (the kernel cannot run
    the cases: they stay 'notrun', never passed), the boot was stopped from the host side
    (interrupted: 'interrupted'; QEMU killed or failing: 'notrun') or after max_boots (boots
    of cases run alone do not count: each settles a case or gives up).
    Returns (results by case in `cases` order, [(Boot, ConsoleRun), ...])."""
    max_boots = max_boots or len(cases) + 1
    results: dict[str, ktap.CaseResult] = {}
    runs = []
    remaining = list(cases)
    alone: dict[str, str] = {}  # case -> why it runs again alone
    counted = 0
    while remaining or alone:
        serial = bool(alone)
        batch = list(alone) if serial else remaining
        parser = ktap.ConsoleParser()
        sink = Sink(parser, on_case)
        sink.jobs = 1 if serial else None
        b = boot(batch, sink)
        run = parser.finish(batch, b.end_reason)
        runs.append((b, run))
        counted += not serial
        if b.host_fault:
            # Not the kernel's doing: what finished stands, the rest did not run.
            status = Status.INTERRUPTED if b.end_reason == "interrupted" else Status.NOTRUN
            for name in dict.fromkeys(batch + remaining + list(alone)):
                if name in results:
                    continue
                c = run.cases.get(name) if name in batch else None
                if _unfinished(c):
                    c = c or ktap.CaseResult(name)
                    c.status, c.reason, c.host_fault = status, b.host_fault, True
                results[name] = c
            break
        rerun = {} if serial else {n: w for n, w in run.rerun.items() if n in batch}
        for name in batch:
            c = run.cases.get(name)
            if c is not None and c.status != Status.NOTRUN and name not in rerun:
                if serial:
                    note = f"run again alone in a fresh boot ({len(runs)}): {alone[name]}"
                    c.reason = f"{c.reason}; {note}" if c.reason else note
                results[name] = c
        # A case the run reported but the plan did not ask for is kept too (never dropped).
        for name, c in run.cases.items():
            if name not in cases and c.status != Status.NOTRUN:
                results.setdefault(name, c)
        left = [n for n in batch if n not in results and n not in rerun]
        if b.end_reason is None and left:
            # The guest said it was done but some cases are missing: a crash, not a pass.
            for n in left:
                results[n] = ktap.CaseResult(n, Status.CRASH.value, "missing from a run that ended normally")
            left = []
        progress = len(left) < len(batch)  # a case ran (ran again alone counts)
        if left and (not progress or counted >= max_boots):
            why = "no case started in the last boot" if not progress else f"gave up after {len(runs)} boots"
            for n in left:
                c = run.cases.get(n) or ktap.CaseResult(n, Status.NOTRUN.value)
                c.status = Status.NOTRUN.value
                c.reason = f"{c.reason or 'never started'}; {why} ({b.end_reason or 'ended'})"
                results[n] = c
            left = []
        if serial:
            alone = {n: alone[n] for n in left}
        else:
            remaining = left
            alone.update(rerun)
    ordered = {n: results[n] for n in cases if n in results}
    ordered.update({n: c for n, c in results.items() if n not in ordered})
    return ordered, runs


# -- one kernel --------------------------------------------------------------------------------

def guest_memory(initrd: Path) -> str:
    """The initramfs lives in RAM twice while it is unpacked: leave room for the cases."""
    mb = initrd.stat().st_size >> 20
    return f"{max(512, 256 + 3 * mb)}M"


def safe_name(kernel_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+_-]+", "_", kernel_id.strip("/")) or "kernel"


class LogFile:
    """A log that cannot stop a run: the first write the disk refuses (ENOSPC, EIO) is kept
    as `error`, and the run goes on with its results in memory (the run then says "results
    could not be written" and exits 3; what was written stays)."""

    def __init__(self, path: Path):
        self.path, self.error = path, ""
        try:
            self._f = open(path, "w")
        except OSError as e:
            self._f, self.error = None, f"{path}: {e.strerror}"

    def _do(self, fn, *args) -> None:
        if self._f is None:
            return
        try:
            fn(*args)
        except OSError as e:
            self.error = self.error or f"{self.path}: {e.strerror}"
            self.close()

    def write(self, text: str) -> None:
        self._do(lambda t: self._f.write(t), text)

    def writelines(self, lines) -> None:
        self._do(lambda ls: self._f.writelines(ls), lines)

    def flush(self) -> None:
        self._do(lambda: self._f.flush())

    def close(self) -> None:
        f, self._f = self._f, None
        if f is not None:
            try:
                f.close()
            except OSError as e:
                self.error = self.error or f"{self.path}: {e.strerror}"

    def __enter__(self) -> "LogFile":
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False


class KernelRun:
    """Everything about one requested kernel: resolution, boots, results."""

    def __init__(self, spec: str, cases: list[str], opts: Options, outdir: Path,
                 rootfs: Initramfs | None, say: Callable[[str], None] = lambda s: None,
                 echo: Callable[[str | None], None] | None = None):
        """say: progress lines. echo: every console line as it arrives (None when a boot
        starts), for live output."""
        self.spec, self.cases, self.opts, self.outdir = spec, list(cases), opts, outdir
        self.arch = arches.of(spec)
        self.rootfs, self.say, self.echo = rootfs, say, echo
        self.kernel: kernels.Kernel | None = None
        self.accel = ""
        self.accel_why = ""
        self.results: dict[str, ktap.CaseResult] = {}
        self.runs: list[qemu.Boot] = []
        self.parsed: list[ktap.ConsoleRun] = []   # one per boot
        self.error = ""          # could not boot at all (download, qemu missing ...)
        self.write_error = ""    # a log the disk refused: results could not be written
        self.seconds = 0.0
        self.console_log = outdir / "console.log"
        self.ktap_file = outdir / "ktap.txt"

    @property
    def never_ran(self) -> bool:
        """No boot printed a KTAP document: nothing this kernel did can be judged."""
        return not any(r.plan is not None for r in self.parsed)

    def _tee(self, on_line):
        if self.echo is None:
            return on_line
        self.echo(None)
        if isinstance(on_line, Sink):
            return on_line.with_echo(self.echo)

        def both(line: str):
            self.echo(line)
            on_line(line)
        return both

    def _qemu_boot(self, image: Path, initrd: Path, order: list[str], log):
        def boot(remaining: list[str], on_line):
            jobs = self.opts.jobs_for(on_line)
            on_line = self._tee(on_line)
            idx = [order.index(c) + 1 for c in remaining]
            append = qemu.cmdline(timeout=self.opts.case_timeout, extra=self.opts.extra_append,
                                  arch=self.arch, jobs=jobs)
            if len(idx) < len(order):
                append += f" ubc.only={ranges(idx)}"
            cmd = qemu.command(image, initrd, append, accel=self.accel, machine=self.opts.machine,
                               memory=self.opts.memory or guest_memory(initrd), smp=self.opts.smp,
                               arch=self.arch)
            allow = self.opts.allowance(self.accel)
            deadline = allow + len(remaining) * (self.opts.case_timeout + 5)
            silence = max(allow, self.opts.case_timeout + 30)
            n = len(self.runs) + 1
            log.write(f"### ubc-runner: boot {n}, {len(remaining)} cases, accel {self.accel}: "
                      f"{' '.join(cmd)}\n")
            log.flush()
            b = qemu.run(cmd, deadline, silence, on_line=on_line, log=log,
                         ended=getattr(on_line, "ended", None))
            if b.end_reason == "interrupted" and not b.console:  # never started
                log.write(f"### ubc-runner: boot {n} not started: interrupted\n")
                return b
            log.write(f"### ubc-runner: boot {n} ended after {b.seconds}s: "
                      f"{b.end_reason or 'done'} (qemu exit {b.exit_code})\n")
            if b.stderr.strip():
                log.write("".join(f"### qemu stderr: {line}\n" for line in b.stderr.strip().splitlines()))
            log.flush()
            self.runs.append(b)
            return b
        return boot

    def _vng_boot(self, qemu_boot, log):
        """vng's boot where vng can run this kernel; else one line and the built-in QEMU."""
        from runner.kernel import vng
        why = vng.unusable(self.kernel)
        if why:
            self.say(f"[{self.spec}] {why}: using the built-in QEMU backend")
            log.write(f"### ubc-runner: {why}: using the built-in QEMU backend\n")
            return qemu_boot
        self.accel_why += "; backend vng"
        return vng.make_boot(self, self.kernel.image, log)

    def run(self, on_case=None) -> "KernelRun":
        t0 = time.monotonic()
        try:
            self.outdir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            self.write_error = f"{self.outdir}: {e.strerror}"
        with LogFile(self.console_log) as log:
            try:
                self.kernel = kernels.resolve(self.spec)
                wanted = list(self.cases)
                if self.kernel.kind == "host":
                    self.accel = self.accel_why = "host"
                    boot = host.boot_fn(self.opts, log, self._tee, self.runs)
                else:
                    initrd = self.rootfs.get()
                    order = self.rootfs.order
                    wanted = [c for c in order if c in self.cases]
                    image = self.kernel.pvh or self.kernel.image
                    if self.arch != arches.HOST:
                        # Another architecture's guest: QEMU translates it (TCG), KVM cannot.
                        self.accel = "tcg"
                        self.accel_why = f"{self.arch} guest on an {arches.HOST} host"
                    elif self.opts.accel == "auto":
                        self.accel, self.accel_why = qemu.detect_accel(
                            image, initrd, self.opts.machine, cache_file=cache_dir() / "accel.json")
                    else:
                        self.accel, self.accel_why = self.opts.accel, "asked for"
                    self.say(f"[{self.spec}] booting {self.kernel.label} ({self.accel}: "
                             f"{self.accel_why}) with {len(wanted)} cases")
                    boot = self._qemu_boot(image, initrd, order, log)
                    if self.opts.vng and self.arch == arches.HOST:
                        boot = self._vng_boot(boot, log)
                self.results, pairs = run_cases(wanted, boot, self.opts.max_boots, on_case)
                self.parsed = [r for _, r in pairs]
                if self.never_ran and not self.error:
                    end = next((b.end_reason for b in self.runs if b.end_reason), "no KTAP")
                    self.error = f"no boot printed the cases' KTAP ({end})"
            except (kernels.KernelError, kernels.FetchError, CacheError, OSError) as e:
                self.error = str(e)
                log.write(f"### ubc-runner: {e}\n")
                stopped = qemu.stopping()
                for c in self.cases:
                    self.results[c] = ktap.CaseResult(
                        c, (Status.INTERRUPTED if stopped else Status.NOTRUN).value,
                        f"kernel not run: {e}")
                self.parsed = []
        self.write_error = self.write_error or log.error
        self.seconds = round(time.monotonic() - t0, 2)
        self._write_ktap()
        self.say(f"[{self.spec}] {self.line()}")
        return self

    def _write_ktap(self) -> None:
        """The KTAP part of every boot's console (printk lines that interleave stay)."""
        with LogFile(self.ktap_file) as f:
            for n, r in enumerate(self.parsed, 1):
                if len(self.parsed) > 1:
                    f.write(f"# ubc-runner: boot {n}\n")
                f.writelines(line + "\n" for line in r.ktap_lines)
        self.write_error = self.write_error or f.error

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.results.values():
            out[c.status] = out.get(c.status, 0) + 1
        return out

    def end_reason(self) -> str | None:
        return next((b.end_reason for b in self.runs if b.end_reason), None)

    def line(self) -> str:
        if self.error and self.never_ran:
            return f"NOT RUN: {self.error}"
        c = self.counts()
        parts = [f"{c[s]} {s}" for s in (s.value for s in Status) if c.get(s)]
        release = self.release() or "?"
        end = f", {self.end_reason()}" if self.end_reason() else ""
        return (f"{release}: {', '.join(parts) or 'no cases'} "
                f"({len(self.runs)} boot{'s' if len(self.runs) != 1 else ''}, "
                f"{self.boot_seconds():.1f}s{end})")

    def release(self) -> str:
        for r in self.parsed:
            if r.release:
                return r.release
        return platform.release() if self.accel == "host" else ""

    def proc_version(self) -> str:
        for r in self.parsed:
            if r.proc_version:
                return r.proc_version
        return ""

    def boot_seconds(self) -> float:
        return round(sum(b.seconds for b in self.runs), 2)

    def result_tree(self, results_dir: Path, verdicts: dict) -> KernelResult:
        """This kernel in the run's result tree (runner/report/summary.py has the format)."""
        k = self.kernel
        data = {
            "package": k.package if k else "",
            "package_version": k.package_version if k else "",
            "sha256": k.sha256 if k else "",
            "arch": self.arch,
            "release": self.release(),
            "proc_version": self.proc_version(),
            "accel": self.accel,
            "accel_why": self.accel_why,
            "boot_seconds": self.boot_seconds(),
            "seconds": self.seconds,
            "end_reason": self.end_reason() if self.runs else (f"not run: {self.error}" if self.error else None),
            "error": self.error,
            "ran": not self.never_ran,
            "boots": len(self.runs),
            "console_log": os.path.relpath(self.console_log, results_dir),
            "ktap": os.path.relpath(self.ktap_file, results_dir),
            "events": [e.to_dict() for r in self.parsed for e in r.events],
        }
        commit = tree_commit(self.spec)
        if commit:
            data["commit"] = commit  # a kernel tree's HEAD (KCIDB's git_commit_hash)
        return KernelResult(self.spec, data, dict(self.results),
                            {n: v for n, v in verdicts.items() if n in self.results})


def tree_commit(spec: str) -> str | None:
    """The commit a kernel build tree has checked out, when it is a git tree."""
    if not Path(spec).is_dir():
        return None
    try:
        cp = subprocess.run(["git", "-C", spec, "rev-parse", "--verify", "HEAD"],
                            capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = cp.stdout.strip()
    return out if cp.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", out) else None


def qemu_missing(arch: str = "x86_64") -> str | None:
    if arch == "arm64":
        return None if shutil.which(qemu.QEMU_ARM64) else (
            f"{qemu.QEMU_ARM64} not found: install qemu-system-arm (10.0 from bookworm-backports: "
            f"scripts/setup --arm64)")
    return None if shutil.which(qemu.QEMU) else (
        f"{qemu.QEMU} not found: install qemu-system-x86 (10.0 from bookworm-backports)")
