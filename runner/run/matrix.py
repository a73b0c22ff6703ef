"""A run over kernels: boot them in a thread pool as they are asked for, judge each case
once, build the one result tree (runner/report/summary.py) and render every output from it
in memory: summary.json, junit.xml, report.md/report.html. No pytest here (plugin.py wires
this to pytest's items)."""
from __future__ import annotations

import datetime as _dt
import platform
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from runner.core import arch as arches
from runner.core.errors import NotRun
from runner.core.paths import TOP
from runner.core.status import Exit, Kind, Status
from runner.judge import expected
from runner.judge.verdict import Verdict, judge, judge_raw
from runner.kernel import qemu
from runner.kernel.initramfs import Initramfs, versions_lines
from runner.ktap import CaseResult
from runner.report import junit, kcidb, markdown, squad, summary as summ
from runner.run.kernel_run import KernelRun, Options, safe_name


@dataclass
class RunPlan:
    """What the run command asks for: kernels, cases, options and where the results go."""
    specs: list[str]
    cases: list[str]
    opts: Options
    results: Path
    jobs: int = 1
    raw: bool = False
    expected_dir: Path = TOP / "expected"
    junitxml: Path | None = None
    squad: Path | None = None        # --squad: SQUAD's submit form (runner/report/squad.py)
    selection: dict[str, list[str]] | None = None  # kernel -> its cases (a shard's); None: all
    run_info: dict = field(default_factory=dict)    # more of run: shard, suite (summary.py)
    kcidb: Path | None = None                       # --kcidb FILE
    kcidb_origin: str = "uring_buffer"
    started: _dt.datetime = field(default_factory=lambda: _dt.datetime.now(
        _dt.timezone.utc).replace(microsecond=0))


class Matrix:
    """The kernels asked for, their runs (as futures), the verdicts, the result tree."""

    def __init__(self, plan: RunPlan, exp: expected.Expectations | None = None,
                 say: Callable[[str], None] = print):
        self.plan = plan
        self.opts = plan.opts
        self.all_cases = plan.cases + [p.name for p in plan.opts.extra_binaries]
        self.selected: dict[str, list[str]] = {
            s: list(plan.selection.get(s, []) if plan.selection is not None else self.all_cases)
            for s in plan.specs}
        self.pool: ThreadPoolExecutor | None = None
        self.futures: dict[str, Future] = {}
        self.runs: dict[str, KernelRun] = {}
        self.verdicts: dict[str, dict[str, Verdict]] = {}
        self.rootfs: Initramfs | None = None   # the host architecture's
        self.rootfses: dict[str, Initramfs] = {}  # by architecture (arm64: build-arm64/'s)
        self.lock = threading.Lock()
        self.exp = None if plan.raw else (exp or expected.load_expectations(plan.expected_dir))
        self.say = say
        self.echo = False  # --ktap: every kernel's KTAP lines as they arrive
        self.interrupted = False
        self.exit_status: int | None = None
        self.summary: summ.Summary | None = None

    # -- runs ------------------------------------------------------------------------------
    def start(self) -> None:
        with self.lock:
            if self.pool is not None:
                return
            self.plan.results.mkdir(parents=True, exist_ok=True)
            # Every kernel gets the same initramfs: every case any of them runs.
            union = [c for c in self.all_cases if any(c in v for v in self.selected.values())]
            extra = [p for p in self.opts.extra_binaries if p.name in union]
            opts = Options(**{**self.opts.__dict__, "extra_binaries": extra})
            for a in dict.fromkeys(arches.of(s) for s in self.plan.specs):
                aopts = opts if a == arches.HOST else Options(**{
                    **opts.__dict__, "build": opts.build_for(a), "extra_binaries": []})
                self.rootfses[a] = Initramfs(aopts, [c for c in self.plan.cases if c in union], a)
            self.rootfs = self.rootfses.get(arches.HOST)
            self.pool = ThreadPoolExecutor(max_workers=self.plan.jobs, thread_name_prefix="ubc-kernel")
            used = set()
            for spec in self.plan.specs:
                if not self.selected.get(spec):
                    continue
                d = safe_name(spec)
                while d in used:
                    d += "_"
                used.add(d)
                self.runs[spec] = KernelRun(spec, self.selected[spec], opts, self.plan.results / d,
                                            self.rootfses[arches.of(spec)], say=self.say,
                                            echo=self._echo(spec) if self.echo else None)

    def _echo(self, spec: str):
        """A console echo for --ktap: the lines from each boot's KTAP header on."""
        state = {"on": False}
        prefix = f"[{spec}] " if len(self.plan.specs) > 1 else ""

        def echo(line: str | None) -> None:
            if line is None:
                state["on"] = False
                return
            if line.startswith("KTAP version"):
                state["on"] = True
            if state["on"]:
                self.say(prefix + line)
        return echo

    def submit_upto(self, spec: str) -> None:
        """Start `spec` and the next jobs-1 kernels, no more: with -x nothing boots in vain.
        Once a kernel's results could not be written, no further kernel boots in vain."""
        order = list(self.runs)
        i = order.index(spec)
        with self.lock:
            for s in order[i:i + self.plan.jobs]:
                if s not in self.futures:
                    self.futures[s] = self.pool.submit(self._run, self.runs[s])

    def write_error(self) -> str:
        return next((kr.write_error for kr in self.runs.values() if kr.write_error), "")

    def _run(self, kr: KernelRun) -> KernelRun:
        why = self.write_error()
        if why:
            kr.error = f"not booted: results could not be written ({why})"
            for c in kr.cases:
                kr.results[c] = CaseResult(c, Status.NOTRUN.value, kr.error)
            return kr
        return kr.run()

    def result(self, spec: str, idle: Callable[[], None] = lambda: None) -> KernelRun:
        """The finished run of `spec` (booting it if need be); idle() runs while waiting."""
        self.start()
        self.submit_upto(spec)
        f = self.futures[spec]
        while True:
            try:
                kr = f.result(timeout=0.5)
                break
            except FuturesTimeout:
                idle()
        idle()
        return kr

    def judge(self, kr: KernelRun, case: CaseResult) -> Verdict:
        """The one judgement of a case on a kernel; kept for the result tree."""
        if self.exp is None:
            v = judge_raw(case)
            if case.status == Status.NOTRUN and kr.never_ran:
                v = Verdict(Kind.NOT_RUN, f"{case.name} could not run: {case.reason}", decided_by="raw")
        else:
            v = judge(kr.release(), kr.proc_version(), case, self.exp, never_ran=kr.never_ran,
                      arch=kr.arch)
        self.verdicts.setdefault(kr.spec, {})[case.name] = v
        return v

    def label(self, kr: KernelRun) -> str:
        """How a failure names its kernel: '7.3 (7.3.4+deb13-cloud-amd64, tcg)'."""
        release = kr.release()
        return f"{kr.spec} ({release}, {kr.accel})" if release else kr.spec

    # -- the end: the tree, then every output from it ----------------------------------------
    def finish(self) -> None:
        if self.pool is not None:
            if self.interrupted:  # Ctrl-C: do not wait for VMs still booting
                qemu.kill_running()
            self.pool.shutdown(wait=True, cancel_futures=True)
        self._settle_unfinished()
        all_verdicts = [v for vs in self.verdicts.values() for v in vs.values()]
        self.exit_status = summ.run_exit_status(
            all_verdicts, sum(1 for kr in self.runs.values() if kr.never_ran),
            self.interrupted or qemu.stopping())
        if not self.runs:
            return
        self.summary = self.tree()
        problem = ""
        try:
            self.write_outputs()
        except NotRun as e:
            problem = str(e)
        if self.write_error():
            problem = problem or f"results could not be written: {self.write_error()}"
        if problem:  # what was written stays; the run did not leave what was asked
            self.say(f"run_tests.sh: {problem}")
            if self.exit_status == Exit.OK:
                self.exit_status = Exit.NOT_RUN
            self.summary.run.update(exit_status=int(self.exit_status),
                                    outcome=Exit(self.exit_status).outcome)

    def _settle_unfinished(self) -> None:
        """Kernels a stop or an error kept from finishing: their cases get a status, and
        every case a verdict."""
        for spec, kr in self.runs.items():
            f = self.futures.get(spec)
            if f is None or not f.done() or f.cancelled() or f.exception() is not None:
                failed = f is not None and f.done() and not f.cancelled() and f.exception() is not None
                why = f"runner error: {f.exception()}" if failed else "interrupted"
                kr.error = kr.error or why
                for c in kr.cases:
                    kr.results.setdefault(c, CaseResult(
                        c, (Status.NOTRUN if failed else Status.INTERRUPTED).value, why))
            for name, c in kr.results.items():
                if name not in self.verdicts.get(spec, {}):
                    self.judge(kr, c)

    def tree(self) -> summ.Summary:
        run = {"started": self.plan.started.isoformat(), "qemu": qemu.qemu_version(),
               "host_kernel": platform.release(),
               "versions": self.versions(),
               "mode": "raw" if self.plan.raw else "expected",
               "interrupted": self.exit_status == Exit.INTERRUPTED,
               "exit_status": int(self.exit_status), "outcome": Exit(self.exit_status).outcome,
               "cases": list(self.all_cases), **self.plan.run_info}
        kernels = [kr.result_tree(self.plan.results, self.verdicts.get(spec, {}))
                   for spec, kr in self.runs.items()]
        return summ.Summary(run, kernels)

    def versions(self) -> list[str]:
        """The banner: each architecture's build (another than the host's prefixed with its
        name) and busybox, and its QEMU when not the host's."""
        if not self.rootfses:
            return versions_lines(self.opts.build)
        out = []
        for arch, r in self.rootfses.items():
            lines = versions_lines(r.opts.build, [r.busybox] if r.busybox else [])
            if arch != arches.HOST:
                lines = [f"{arch}: {l}" for l in lines + [f"qemu {qemu.qemu_version(arch)} "
                                                          f"({qemu.binary(arch)})"]]
            out += lines
        return out

    def write_outputs(self) -> None:
        """summary.json, junit.xml and the report, all from self.summary (never re-read)."""
        out = self.plan.results
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise NotRun(f"results could not be written: {out}: {e.strerror}") from None
        summ.write(out / "summary.json", self.summary)
        labels = {spec: self.label(kr) for spec, kr in self.runs.items()}
        junit.write(self.plan.junitxml or out / "junit.xml", self.summary, labels)
        markdown.write_report(self.summary, out, expectations=self.exp, results_dir=out)
        if self.plan.squad:
            squad.write(self.plan.squad, self.summary)
        if self.plan.kcidb:
            kcidb.write(self.plan.kcidb, kcidb.render(self.summary, self.plan.kcidb_origin, out))

    # -- the terminal -------------------------------------------------------------------------
    def attention(self) -> list[str]:
        """The verdicts a reader must see: every one that is not a plain ok."""
        out = []
        for spec, vs in self.verdicts.items():
            for name, v in vs.items():
                if v.kind != Kind.OK:
                    out.append(f"{v.kind.value.upper():10} {spec}::{name}: {v.message.splitlines()[0][:300]}")
        return out

    def table(self) -> list[str]:
        rows = [("kernel", "version", "accel", "boots", "secs", "pass", "fail", "skip", "other", "end")]
        for spec, kr in self.runs.items():
            f = self.futures.get(spec)
            if f is None or not f.done() or f.cancelled():
                rows.append((spec, "-", "-", "0", "-", "-", "-", "-", "-", "not run (stopped)"))
                continue
            if f.exception() is not None:
                rows.append((spec, "-", "-", "0", "-", "-", "-", "-", "-", f"error: {f.exception()}"))
                continue
            c = kr.counts()
            other = sum(v for k, v in c.items() if k not in ("pass", "fail", "skip"))
            end = kr.end_reason() or ("ok" if not kr.never_ran else f"NOT RUN: {kr.error}")
            version = kr.kernel.package_version if kr.kernel and kr.kernel.package_version else kr.release()
            rows.append((spec, version or "-", kr.accel or "-", str(len(kr.runs)),
                         f"{kr.boot_seconds():.1f}", str(c.get("pass", 0)), str(c.get("fail", 0)),
                         str(c.get("skip", 0)), str(other), end))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]
