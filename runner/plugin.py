"""pytest wiring of the kernel matrix: one item per (kernel, case), so -k, -x, -v and
--junitxml work as usual. Kernels boot in a thread pool (--ubc-jobs N) as the items ask for
them; each item waits for its kernel and reads its case's result.

    /usr/bin/python3 -m pytest runner/plugin.py --kernel 6.12 --kernel 7.3 [--ubc-cases a,b]
(run_tests.sh --kernel ... does this through `python3 -m runner`).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import threading
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from pathlib import Path

import pytest

from . import expected, kernels, ktap, qemu, report, session

TOP = Path(__file__).resolve().parents[1]
PLUGIN_FILE = Path(__file__).resolve()


# -- the one place where a case result becomes a pytest outcome ---------------------------------

def raw_judge(kernel_result: "session.KernelRun", case_result: ktap.CaseResult) -> tuple[str, str]:
    """(outcome, message) from the raw status alone (--raw): pass passes, skip skips with its
    reason, everything else (fail, timeout, crash, notrun) fails."""
    st = case_result.status
    if st == "pass":
        return "passed", ""
    if st == "skip":
        return "skipped", case_result.reason or "skipped"
    return "failed", case_result.reason or st


_expected_judge = None


def judge(kernel_result: "session.KernelRun", case_result: ktap.CaseResult,
          raw: bool = False) -> tuple[str, str]:
    """The one place where a case result becomes a pytest outcome: 'passed', 'skipped',
    'xfailed' (a known kernel bug or behaviour difference reproduced, as expected/ says) or
    'failed' (a regression or an XPASS; with raw, any result but pass and skip). Failures carry
    the case's console excerpt."""
    global _expected_judge
    if raw:
        outcome, message = raw_judge(kernel_result, case_result)
    else:
        if _expected_judge is None:
            _expected_judge = expected.plugin_judge(expected.load_expectations(TOP / "expected"))
        outcome, message = _expected_judge(kernel_result, case_result)
    if outcome != "failed":
        return outcome, message
    head = f"{case_result.status.upper()} on {kernel_result.spec}"
    release = kernel_result.release()
    if release:
        head += f" ({release}, {kernel_result.accel})"
    msg = f"{head}: {message}"
    ex = session.excerpt(case_result)
    if ex:
        msg += "\n--- console excerpt ---\n" + ex
    return "failed", msg


# -- options ---------------------------------------------------------------------------------

def pytest_addoption(parser):
    g = parser.getgroup("ubc", "uring-buffer-conformance kernel matrix")
    g.addoption("--kernel", action="append", default=[], dest="ubc_kernels", metavar="K",
                help="Debian series/version (6.12, 6.12.95+deb12), bzImage, build tree or host")
    g.addoption("--ubc-cases", default="", help="comma-separated case binaries (default: all built)")
    g.addoption("--results", dest="ubc_results", default="", help="results folder")
    g.addoption("--raw", dest="ubc_raw", action="store_true",
                help="judge raw results (any failure fails) instead of against expected/")
    g.addoption("--accel", dest="ubc_accel", default="auto", choices=("auto", "tcg", "kvm"))
    g.addoption("--ubc-jobs", type=int, default=1, help="kernels booted in parallel")
    g.addoption("--case-timeout", dest="ubc_case_timeout", type=int, default=0,
                help="seconds per case binary (default UBC_CASE_TIMEOUT or 120)")
    g.addoption("--build", dest="ubc_build", default=str(TOP / "build"))
    g.addoption("--extra-binary", dest="ubc_extra", action="append", default=[],
                help="test only: one more binary for the guests (e.g. a crash case)")
    g.addoption("--boot-allowance", dest="ubc_boot_allowance", type=float, default=0.0)
    g.addoption("--smp", dest="ubc_smp", type=int, default=1)


class Matrix:
    """The kernels asked for, their runs (as futures) and the results folder."""

    def __init__(self, config):
        o = config.option
        self.config = config
        self.specs: list[str] = list(dict.fromkeys(o.ubc_kernels))
        build = Path(o.ubc_build)
        self.opts = session.Options(build=build, accel=o.ubc_accel, smp=o.ubc_smp,
                                    boot_allowance=o.ubc_boot_allowance,
                                    extra_binaries=[Path(p).resolve() for p in o.ubc_extra])
        if o.ubc_case_timeout:
            self.opts.case_timeout = o.ubc_case_timeout
        if o.ubc_cases:
            self.cases = [c for c in o.ubc_cases.split(",") if c]
        else:
            d = build / "bin"
            self.cases = sorted(p.name for p in d.iterdir() if p.name != "run-cases.sh") if d.is_dir() else []
        self.all_cases = self.cases + [p.name for p in self.opts.extra_binaries]
        self.started = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
        stamp = self.started.strftime("%Y%m%dT%H%M%SZ")
        self.results = Path(o.ubc_results) if o.ubc_results else TOP / "results" / stamp
        self.selected: dict[str, list[str]] = {s: list(self.all_cases) for s in self.specs}
        self.jobs = max(1, o.ubc_jobs)
        self.pool: ThreadPoolExecutor | None = None
        self.futures: dict[str, Future] = {}
        self.runs: dict[str, session.KernelRun] = {}
        self.rootfs: session.Initramfs | None = None
        self.lock = threading.Lock()
        self.queue: list[str] = []

    def say(self, line: str) -> None:
        """Progress lines come from the kernel threads; the main thread prints them."""
        with self.lock:
            self.queue.append(line)

    def flush(self) -> None:
        with self.lock:
            lines, self.queue = self.queue, []
        if not lines:
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
            self.results.mkdir(parents=True, exist_ok=True)
            work = self.results / ".work"
            # Every kernel gets the same initramfs: every case any of them runs.
            union = [c for c in self.all_cases if any(c in v for v in self.selected.values())]
            extra = [p for p in self.opts.extra_binaries if p.name in union]
            opts = session.Options(**{**self.opts.__dict__, "extra_binaries": extra})
            self.rootfs = session.Initramfs(opts, [c for c in self.cases if c in union], work)
            self.pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="ubc-kernel")
            used = set()
            for spec in self.specs:
                if not self.selected.get(spec):
                    continue
                d = session.safe_name(spec)
                while d in used:
                    d += "_"
                used.add(d)
                self.runs[spec] = session.KernelRun(spec, self.selected[spec], opts, self.results / d,
                                                    self.rootfs, say=self.say)

    def submit_upto(self, spec: str) -> None:
        """Start `spec` and the next jobs-1 kernels, no more: with -x nothing boots in vain."""
        order = list(self.runs)
        i = order.index(spec)
        with self.lock:
            for s in order[i:i + self.jobs]:
                if s not in self.futures:
                    self.futures[s] = self.pool.submit(self.runs[s].run)

    def result(self, spec: str) -> session.KernelRun:
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

    def finish(self, interrupted: bool = False) -> None:
        if self.pool is not None:
            if interrupted:  # Ctrl-C: do not wait for VMs still booting
                qemu.kill_running()
            self.pool.shutdown(wait=True, cancel_futures=True)
        if not self.runs:
            return
        done = [kr for s, kr in self.runs.items() if s in self.futures and self.futures[s].done()
                and not self.futures[s].cancelled() and self.futures[s].exception() is None]
        versions = session.versions_lines(self.opts.build,
                                          [self.rootfs.busybox] if self.rootfs and self.rootfs.busybox else [])
        summary = {
            "run": {"started": self.started.isoformat(), "qemu": qemu.qemu_version(),
                    "host_kernel": platform.release(), "versions": versions},
            "kernels": [kr.summary(self.results) for kr in done],
        }
        self.results.mkdir(parents=True, exist_ok=True)
        (self.results / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
        report.write_report(self.results / "summary.json")
        if self.rootfs and self.rootfs.path and self.rootfs.path.exists():
            self.rootfs.path.unlink()
            try:
                self.rootfs.path.parent.rmdir()
            except OSError:
                pass
        self.summary = summary

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
            end = kr.end_reason() or ("ok" if kr.runs else f"not run: {kr.error}")
            version = kr.kernel.package_version if kr.kernel and kr.kernel.package_version else kr.release()
            rows.append((spec, version or "-", kr.accel or "-", str(len(kr.runs)),
                         f"{kr.boot_seconds():.1f}", str(c.get("pass", 0)), str(c.get("fail", 0)),
                         str(c.get("skip", 0)), str(other), end))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]


_KEY = pytest.StashKey[Matrix]() if hasattr(pytest, "StashKey") else None


def _matrix(config) -> Matrix | None:
    return config.stash.get(_KEY, None)


def pytest_configure(config):
    if config.option.ubc_kernels and _KEY is not None:
        config.stash[_KEY] = Matrix(config)


# -- collection --------------------------------------------------------------------------------

class CaseFailed(Exception):
    pass


class CaseItem(pytest.Item):
    def __init__(self, *, spec: str, case: str, **kw):
        super().__init__(**kw)
        self.spec, self.case = spec, case

    def runtest(self):
        m = _matrix(self.config)
        kr = m.result(self.spec)
        cr = kr.results.get(self.case) or ktap.CaseResult(
            self.case, "notrun", kr.error or "no result for this case")
        outcome, message = judge(kr, cr, raw=self.config.option.ubc_raw)
        self.user_properties.append(("status", cr.status))
        if outcome == "skipped":
            pytest.skip(message)
        if outcome == "xfailed":
            pytest.xfail(message)
        if outcome == "failed":
            raise CaseFailed(message)

    def reportinfo(self):
        # The failure header; not a suffix of the nodeid, or pytest would print 6.1 as 6::1.
        return self.path, None, f"{self.case} on {self.spec}"

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)


class KernelNode(pytest.Collector):
    def __init__(self, *, spec: str, cases: list[str], **kw):
        super().__init__(**kw)
        self.spec, self.cases = spec, cases

    def collect(self):
        for c in self.cases:
            yield CaseItem.from_parent(self, name=c, spec=self.spec, case=c)


class MatrixFile(pytest.File):
    def collect(self):
        m = _matrix(self.config)
        for spec in m.specs:
            yield KernelNode.from_parent(self, name=spec, spec=spec, cases=m.all_cases)


def pytest_collect_file(file_path, parent):
    m = _matrix(parent.config)
    if m is not None and Path(file_path).resolve() == PLUGIN_FILE:
        # Items read KERNEL::CASE (e.g. 6.12::clone_lifetime) rather than runner/plugin.py::...
        return MatrixFile.from_parent(parent, path=Path(file_path), nodeid="kernels")
    return None


def pytest_collection_finish(session):
    m = _matrix(session.config)
    if m is None:
        return
    sel: dict[str, list[str]] = {s: [] for s in m.specs}
    for it in session.items:
        if isinstance(it, CaseItem):
            sel[it.spec].append(it.case)
    m.selected = sel


def pytest_sessionfinish(session, exitstatus):
    m = _matrix(session.config)
    if m is not None:
        m.finish(interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
        m.flush()


def pytest_terminal_summary(terminalreporter):
    m = _matrix(terminalreporter.config)
    if m is None or not m.runs:
        return
    terminalreporter.section("kernel matrix")
    for line in m.table():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"results: {m.results}")
