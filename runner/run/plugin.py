"""pytest wiring of a run: one item per (kernel, case), so -k, -x, -v and --junitxml work as
usual. Kernels boot in a thread pool (jobs) as the items ask for them; each item waits for
its kernel, reads its case's result, judges it once (runner/verdict.py) and becomes
passed, skipped, xfailed (a known kernel bug) or failed.

The plugin is an object handed to pytest.main(plugins=[...]) by runner/cli.py, which owns
the options; pytest only sees its own (-x, -k, -v, --junitxml).
"""
from __future__ import annotations

from runner.core.paths import TOP
import contextlib
import datetime as _dt
import platform
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from runner.judge import expected
from runner import ktap
from runner.kernel import qemu
from runner.report import markdown as report
from runner.report import summary as results
from runner.kernel.initramfs import Initramfs, versions_lines
from runner.run.kernel_run import KernelRun, Options, excerpt, safe_name
from runner.core.status import Kind, Status
from runner.judge.verdict import Verdict, judge, judge_raw



@dataclass
class RunPlan:
    """What cli.py asks for: kernels, cases, options and where the results go."""
    specs: list[str]
    cases: list[str]
    opts: Options
    results: Path
    jobs: int = 1
    raw: bool = False
    expected_dir: Path = TOP / "expected"
    started: _dt.datetime = field(default_factory=lambda: _dt.datetime.now(
        _dt.timezone.utc).replace(microsecond=0))


def outcome(kr: KernelRun, case: ktap.CaseResult, v: Verdict) -> tuple[str, str]:
    """(pytest outcome, message) of a verdict: ok -> passed/skipped/xfailed (a known bug),
    UNKNOWN (a pass or skip no entry judges) -> skipped with the UNKNOWN message, anything
    else -> failed with the case's console excerpt."""
    if v.kind == Kind.OK:
        if v.known_bug:
            return "xfailed", str(v)
        if case.status == Status.SKIP:
            return "skipped", case.reason if v.decided_by == "raw" else str(v)
        return "passed", "" if v.decided_by == "raw" else str(v)
    if v.kind == Kind.UNKNOWN:
        return "skipped", str(v)
    head = f"{Status(case.status).label} on {kr.spec}"
    release = kr.release()
    if release:
        head += f" ({release}, {kr.accel})"
    msg = f"{head}: {(case.reason or case.status) if v.decided_by == 'raw' else v}"
    ex = excerpt(case)
    if ex:
        msg += "\n--- console excerpt ---\n" + ex
    return "failed", msg


class CaseFailed(Exception):
    pass


class CaseItem(pytest.Item):
    def __init__(self, *, spec: str, case: str, matrix: "Matrix", **kw):
        super().__init__(**kw)
        self.spec, self.case, self.matrix = spec, case, matrix

    def runtest(self):
        kr = self.matrix.result(self.spec)
        cr = kr.results.get(self.case) or ktap.CaseResult(
            self.case, Status.NOTRUN.value, kr.error or "no result for this case")
        v = self.matrix.judge(kr, cr)
        self.user_properties.append(("status", cr.status))
        self.user_properties.append(("verdict", v.kind.value))
        what, message = outcome(kr, cr, v)
        if what == "skipped":
            pytest.skip(message)
        if what == "xfailed":
            pytest.xfail(message)
        if what == "failed":
            raise CaseFailed(message)

    def reportinfo(self):
        # The failure header; not a suffix of the nodeid, or pytest would print 6.1 as 6::1.
        return self.path, None, f"{self.case} on {self.spec}"

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)


class KernelNode(pytest.Collector):
    def __init__(self, *, spec: str, matrix: "Matrix", **kw):
        super().__init__(**kw)
        self.spec, self.matrix = spec, matrix

    def collect(self):
        for c in self.matrix.all_cases:
            yield CaseItem.from_parent(self, name=c, spec=self.spec, case=c, matrix=self.matrix)


class MatrixFile(pytest.File):
    matrix: "Matrix"

    def collect(self):
        for spec in self.matrix.plan.specs:
            yield KernelNode.from_parent(self, name=spec, spec=spec, matrix=self.matrix)


class Matrix:
    """The pytest plugin: the kernels asked for, their runs (as futures), the verdicts."""

    def __init__(self, plan: RunPlan):
        self.plan = plan
        self.opts = plan.opts
        self.all_cases = plan.cases + [p.name for p in plan.opts.extra_binaries]
        self.selected: dict[str, list[str]] = {s: list(self.all_cases) for s in plan.specs}
        self.pool: ThreadPoolExecutor | None = None
        self.futures: dict[str, Future] = {}
        self.runs: dict[str, KernelRun] = {}
        self.verdicts: dict[str, dict[str, Verdict]] = {}
        self.rootfs: Initramfs | None = None
        self.lock = threading.Lock()
        self.queue: list[str] = []
        self.config = None
        self.exp = None if plan.raw else expected.load_expectations(plan.expected_dir)
        self.interrupted = False
        self.exit_status: int | None = None
        self.echo = False  # --ktap: every kernel's KTAP lines as they arrive

    # -- pytest hooks ----------------------------------------------------------------------
    def pytest_configure(self, config):
        self.config = config

    def pytest_collect_file(self, file_path, parent):
        if Path(file_path).resolve() == Path(__file__).resolve():
            # Items read KERNEL::CASE (e.g. 6.12::clone_lifetime), not runner/plugin.py::...
            mf = MatrixFile.from_parent(parent, path=Path(file_path), nodeid="kernels")
            mf.matrix = self
            return mf
        return None

    def pytest_collection_finish(self, session):
        sel: dict[str, list[str]] = {s: [] for s in self.plan.specs}
        for it in session.items:
            if isinstance(it, CaseItem):
                sel[it.spec].append(it.case)
        self.selected = sel

    def pytest_sessionfinish(self, session, exitstatus):
        self.interrupted = self.interrupted or exitstatus == pytest.ExitCode.INTERRUPTED
        self.finish()
        self.flush()

    def pytest_terminal_summary(self, terminalreporter):
        if not self.runs:
            return
        terminalreporter.section("kernel matrix")
        for line in self.table():
            terminalreporter.write_line(line)
        for line in self.attention():
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"results: {self.plan.results}")
        terminalreporter.write_line(f"outcome: {results.OUTCOME[self.exit_status]} "
                                    f"(exit status {self.exit_status})")

    # -- runs ------------------------------------------------------------------------------
    def say(self, line: str) -> None:
        """Progress lines come from the kernel threads; the main thread prints them."""
        with self.lock:
            self.queue.append(line)

    def flush(self) -> None:
        with self.lock:
            lines, self.queue = self.queue, []
        if not lines or self.config is None:
            return
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        capman = self.config.pluginmanager.get_plugin("capturemanager")
        # Called from inside a test: step past pytest's output capture.
        with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
            for line in lines:
                if tr is not None:
                    tr.write_line(line)
                else:
                    print(line, file=sys.stderr)

    def start(self) -> None:
        with self.lock:
            if self.pool is not None:
                return
            self.plan.results.mkdir(parents=True, exist_ok=True)
            # Every kernel gets the same initramfs: every case any of them runs.
            union = [c for c in self.all_cases if any(c in v for v in self.selected.values())]
            extra = [p for p in self.opts.extra_binaries if p.name in union]
            opts = Options(**{**self.opts.__dict__, "extra_binaries": extra})
            self.rootfs = Initramfs(opts, [c for c in self.plan.cases if c in union])
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
                                            self.rootfs, say=self.say,
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
        """Start `spec` and the next jobs-1 kernels, no more: with -x nothing boots in vain."""
        order = list(self.runs)
        i = order.index(spec)
        with self.lock:
            for s in order[i:i + self.plan.jobs]:
                if s not in self.futures:
                    self.futures[s] = self.pool.submit(self.runs[s].run)

    def result(self, spec: str) -> KernelRun:
        self.start()
        self.submit_upto(spec)
        f = self.futures[spec]
        while True:
            try:
                kr = f.result(timeout=0.5)
                break
            except FuturesTimeout:
                self.flush()
        self.flush()
        return kr

    def judge(self, kr: KernelRun, case: ktap.CaseResult) -> Verdict:
        """The one judgement of a case on a kernel; kept for summary.json."""
        if self.exp is None:
            v = judge_raw(case)
            if case.status == Status.NOTRUN and kr.never_ran:
                v = Verdict(Kind.NOT_RUN, f"{case.name} could not run: {case.reason}", decided_by="raw")
        else:
            v = judge(kr.release(), kr.proc_version(), case, self.exp, never_ran=kr.never_ran)
        self.verdicts.setdefault(kr.spec, {})[case.name] = v
        return v

    def finish(self) -> None:
        if self.pool is not None:
            if self.interrupted:  # Ctrl-C: do not wait for VMs still booting
                qemu.kill_running()
            self.pool.shutdown(wait=True, cancel_futures=True)
        kernels = []
        for spec, kr in self.runs.items():
            f = self.futures.get(spec)
            if f is None or not f.done() or f.cancelled() or f.exception() is not None:
                why = (f"runner error: {f.exception()}" if f is not None and f.done()
                       and not f.cancelled() and f.exception() is not None else "interrupted")
                kr.error = kr.error or why
                for c in kr.cases:
                    kr.results.setdefault(c, ktap.CaseResult(
                        c, (Status.INTERRUPTED if why == "interrupted" else Status.NOTRUN).value, why))
            for name, c in kr.results.items():
                if name not in self.verdicts.get(spec, {}):
                    self.judge(kr, c)
            kernels.append(kr.summary(self.plan.results, self.verdicts.get(spec, {})))
        all_verdicts = [v for vs in self.verdicts.values() for v in vs.values()]
        self.exit_status = results.run_exit_status(
            all_verdicts, sum(1 for kr in self.runs.values() if kr.never_ran),
            self.interrupted or qemu.stopping())
        if not self.runs:
            return
        versions = versions_lines(self.opts.build, [self.rootfs.busybox] if self.rootfs and self.rootfs.busybox else [])
        summary = {
            "schema": results.SCHEMA,
            "run": {"started": self.plan.started.isoformat(), "qemu": qemu.qemu_version(),
                    "host_kernel": platform.release(), "versions": versions,
                    "mode": "raw" if self.plan.raw else "expected",
                    "interrupted": self.exit_status == results.EXIT_INTERRUPTED,
                    "exit_status": self.exit_status, "outcome": results.OUTCOME[self.exit_status]},
            "kernels": kernels,
        }
        self.plan.results.mkdir(parents=True, exist_ok=True)
        results.write(self.plan.results / "summary.json", summary)
        report.write_report(self.plan.results / "summary.json", expected_dir=self.plan.expected_dir)
        self.summary = summary

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
