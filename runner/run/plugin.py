"""pytest wiring of a run: one item per (kernel, case), so -k, -x and -v work as usual. Each
item waits for its kernel (runner/run/matrix.py boots it), takes the case's one verdict and
becomes passed, skipped, xfailed (a known kernel bug) or failed (runner/report/junit.py's
outcome()). The plugin is handed to pytest.main(plugins=[...]); pytest sees only -x, -k, -v.
"""
from __future__ import annotations

import contextlib
import sys
import threading
from pathlib import Path

import pytest

from runner.core.status import Exit, Status
from runner.ktap import CaseResult
from runner.report.junit import outcome
from runner.run.matrix import Matrix


class CaseFailed(Exception):
    pass


class CaseItem(pytest.Item):
    def __init__(self, *, spec: str, case: str, plugin: "Plugin", **kw):
        super().__init__(**kw)
        self.spec, self.case, self.plugin = spec, case, plugin

    def runtest(self):
        m = self.plugin.matrix
        kr = m.result(self.spec, idle=self.plugin.flush)
        cr = kr.results.get(self.case) or CaseResult(
            self.case, Status.NOTRUN.value, kr.error or "no result for this case")
        v = m.judge(kr, cr)
        what, message = outcome(m.label(kr), cr, v)
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
    def __init__(self, *, spec: str, plugin: "Plugin", **kw):
        super().__init__(**kw)
        self.spec, self.plugin = spec, plugin

    def collect(self):
        m = self.plugin.matrix
        for c in m.selected.get(self.spec, m.all_cases):
            yield CaseItem.from_parent(self, name=c, spec=self.spec, case=c, plugin=self.plugin)


class MatrixFile(pytest.File):
    plugin: "Plugin"

    def collect(self):
        for spec in self.plugin.matrix.plan.specs:
            yield KernelNode.from_parent(self, name=spec, spec=spec, plugin=self.plugin)


class Plugin:
    """pytest hooks around a Matrix; progress lines from kernel threads are queued and
    printed by the main thread."""

    def __init__(self, matrix: Matrix):
        self.matrix = matrix
        matrix.say = self.say
        self.config = None
        self.lock = threading.Lock()
        self.queue: list[str] = []

    def pytest_configure(self, config):
        self.config = config

    def pytest_collect_file(self, file_path, parent):
        if Path(file_path).resolve() == Path(__file__).resolve():
            # Items read KERNEL::CASE (e.g. 6.12::clone_lifetime), not runner/run/plugin.py::...
            mf = MatrixFile.from_parent(parent, path=Path(file_path), nodeid="kernels")
            mf.plugin = self
            return mf
        return None

    def pytest_collection_finish(self, session):
        sel: dict[str, list[str]] = {s: [] for s in self.matrix.plan.specs}
        for it in session.items:
            if isinstance(it, CaseItem):
                sel[it.spec].append(it.case)
        self.matrix.selected = sel

    def pytest_sessionfinish(self, session, exitstatus):
        m = self.matrix
        m.interrupted = m.interrupted or exitstatus == pytest.ExitCode.INTERRUPTED
        m.finish()
        self.flush()

    def pytest_terminal_summary(self, terminalreporter):
        m = self.matrix
        if not m.runs:
            return
        terminalreporter.section("kernel matrix")
        for line in m.table() + m.attention():
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"results: {m.plan.results}")
        terminalreporter.write_line(f"outcome: {Exit(m.exit_status).outcome} "
                                    f"(exit status {m.exit_status})")

    def say(self, line: str) -> None:
        with self.lock:
            self.queue.append(line)

    def flush(self) -> None:
        with self.lock:
            lines, self.queue = self.queue, []
        if not lines:
            return
        if self.config is None:
            for line in lines:
                print(line, file=sys.stderr)
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
