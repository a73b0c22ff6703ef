"""What the kernel's run_kselftest.sh printed, read by the suite's own KTAP reader.

The kernel's runner (tools/testing/selftests/run_kselftest.sh and kselftest/runner.sh) prints,
for `run_kselftest.sh -c uring_buffer`:

    TAP version 13
    1..114
    # timeout set to 120
    # selftests: uring_buffer: clone_lifetime
    # TAP version 13                    <- the case's own output (kselftest harness KTAP,
    # 1..3                                 stdout and stderr), each line prefixed "# "
    # ok 1 lifetime.src_gone
    ...
    ok 1 selftests: uring_buffer: clone_lifetime
    not ok 2 selftests: uring_buffer: NAME # exit=1
    not ok 3 selftests: uring_buffer: NAME # TIMEOUT 120 seconds
    ok 4 selftests: uring_buffer: NAME # SKIP          (the binary exited 4, KSFT_SKIP)

(newer kernels print one more `TAP version 13` / `1..N` pair first, over every collection).
to_suite_ktap() rewrites that, line by line, into the document runner/guest/run-cases.sh
prints: `KTAP version 1`, the plan, per case `    # Subtest: NAME`, its output indented four
spaces instead of prefixed `# `, its result line, and at the end the summary line. Then
runner.ktap.parse_console reads it, exactly as it reads run-cases.sh's own output.

The result line. The kernel's runner decides from the exit status alone; run-cases.sh also
reads the case's nested results. The converted line is what run-cases.sh prints for the same
nested output and exit status (exit=N; ok is 0), by run-cases.sh's rule:
  - results the nested plan announced but never printed: `not ok N NAME # CRASH k of n results
    missing, exit N`; no nested plan and a failing exit: `# CRASH no KTAP plan, exit N`;
  - any nested failure, a failing exit, no nested plan: `not ok N NAME` (the runner's `# exit=N` kept);
  - nothing passed and something skipped: `ok N NAME # SKIP <the first skip's reason>`. The
    kselftest harness (6.12 and upstream alike) exits 0, not 4, when every test skipped, so the
    kernel's runner prints a plain `ok` for such a case: its skips are on its nested
    `# ok N TEST # SKIP reason` lines (which LKFT's parser reports as skips);
  - two verdicts of the kernel's runner are kept as they are: `# TIMEOUT` (its own timeout, from
    the collection's settings file) and `# SKIP` (exit 4).
The summary line `P passed, F failed, S skipped`, which the kernel's runner does not print, is
counted as run-cases.sh counts it (runner.ktap.case.NestedReader.counts); it is written only
when the last case printed its result line, so a log cut inside a case stays incomplete.
Numbers are kept (shifted when the collection's first test is not number 1), so a result
printed twice or out of order is still a parse error. Lines of other collections are dropped;
other lines (kernel messages on a console, the runner's comments and warnings) pass through
unchanged, so parse_console still blames a kernel event on the case that was running.
"""
from __future__ import annotations

import re

from runner.ktap import ConsoleRun, parse_console
from runner.ktap.case import TOP_PLAN, NestedReader
from runner.ktap.kmsg import LINE_LIMIT, clean, split_kernel
from runner.ktap.model import CaseResult

COLLECTION = "uring_buffer"

_TAP_VERSION = re.compile(r"^K?TAP version \d{1,9}\s*$")
_HEADER = re.compile(r"^# selftests: (\S{1,256}): (\S{1,256})\s*$")
_RESULT = re.compile(r"^(not )?ok (\d{1,9}) selftests: (\S{1,256}): (\S{1,256})\s*(?:#(.*))?$")
_EXIT = re.compile(r"^exit=(-?\d{1,9})")
_SKIP_REASON = re.compile(r".*# SKIP *")  # run-cases.sh's awk: sub(/.*# SKIP */, "", reason)


class _Converter:
    def __init__(self, collection: str, banner: list[str]) -> None:
        self.collection = collection
        self.banner = banner
        self.out: list[str] = []
        self.started = False  # wrote "KTAP version 1"
        self.plan: int | None = None  # the last top-level plan seen before the collection
        self.plan_written = False
        self.case: str | None = None  # the case whose result line is due
        self.other = False  # inside another collection's test
        self.reader = NestedReader()
        self.nested = CaseResult("")
        self.skip_reason: str | None = None
        self.first_number: int | None = None
        self.tally = [0, 0, 0]
        self.pending = ""  # a line cut by a kernel message

    def feed(self, raw: str) -> None:
        line = clean(raw)
        fragment, kernel = split_kernel(line)
        if kernel is not None:  # on its own line; the fragment waits for the rest of its line
            if fragment:
                self.pending = (self.pending + fragment)[:LINE_LIMIT]
            self.out.append(kernel)
            return
        if self.pending:
            line, self.pending = self.pending + line, ""
        self._line(line)

    def _line(self, line: str) -> None:
        head = line[:LINE_LIMIT]
        m = _HEADER.match(head)
        if m:
            self._header(m.group(1), m.group(2))
            return
        m = _RESULT.match(head)
        if m:
            self._result(m.group(1) is None, int(m.group(2)), m.group(3), m.group(4),
                         (m.group(5) or "").strip())
            return
        if self.case is not None and head.startswith("#"):
            nested = line[2:] if line.startswith("# ") else line[1:]
            self.out.append("    " + nested)
            self._count(nested[:LINE_LIMIT])
            return
        if _TAP_VERSION.match(head):
            self._start()
            return
        m = TOP_PLAN.match(head)
        if m:
            if not self.plan_written:
                self.plan = int(m.group(1))
            return
        if self.other:
            return
        self.out.append(line)

    def _start(self) -> None:
        if not self.started:
            self.out.append("KTAP version 1")
            self.out.extend(self.banner)
            self.started = True

    def _count(self, nested: str) -> None:
        self.reader.line(self.nested, nested)
        if self.skip_reason is None and nested.startswith("ok ") and "# SKIP" in nested:
            self.skip_reason = _SKIP_REASON.sub("", nested, count=1)

    def _header(self, collection: str, name: str) -> None:
        if collection != self.collection:
            self.other, self.case = True, None
            return
        self.other = False
        self._start()
        if not self.plan_written and self.plan is not None:
            self.out.append(f"1..{self.plan}")
            self.plan_written = True
        self.out.append(f"    # Subtest: {name}")
        self.case = name
        self.reader, self.nested, self.skip_reason = NestedReader(), CaseResult(name), None

    def _result(self, ok: bool, number: int, collection: str, name: str, directive: str) -> None:
        if collection != self.collection:
            self.other, self.case = True, None
            return
        if self.case != name:  # no header (or another case's): nothing nested is its own
            self.reader, self.nested, self.skip_reason = NestedReader(), CaseResult(name), None
        if self.first_number is None:
            self.first_number = number
        number -= self.first_number - 1
        p, f, s, plan = self.reader.nest
        word = directive.split(" ", 1)[0].upper()
        m = _EXIT.match(directive)
        rc = 0 if ok else int(m.group(1)) if m else 1
        if word == "TIMEOUT" or (ok and word == "SKIP"):
            line = f"{'ok' if ok else 'not ok'} {number} {name} # {directive}"
        else:  # run-cases.sh's verdict from the same nested output and exit status
            missing = max(0, plan - p - f - s)
            note = directive
            if missing:
                note = f"CRASH {missing} of {plan} results missing, exit {rc}"
            elif plan == 0 and rc != 0:
                note = f"CRASH no KTAP plan, exit {rc}"
            f += missing
            failed = f > 0 or rc != 0 or plan == 0
            if failed:
                line = f"not ok {number} {name}" + (f" # {note}" if note else "")
            elif p == 0 and s > 0:
                line = f"ok {number} {name} # SKIP {self.skip_reason or ''}".rstrip()
            else:
                line = f"ok {number} {name}"
            ok = not failed
        for i, n in enumerate(self.reader.counts(ok)):
            self.tally[i] += n
        self.out.append(line)
        self.case = None
        self.reader, self.nested, self.skip_reason = NestedReader(), CaseResult(""), None

    def finish(self) -> list[str]:
        if self.pending:
            self.out.append(self.pending)
            self.pending = ""
        if self.started and not self.plan_written and self.plan is not None:
            self.out.append(f"1..{self.plan}")
            self.plan_written = True
        if self.started and self.plan_written and self.case is None:
            self.out.append("{} passed, {} failed, {} skipped".format(*self.tally))
        return self.out


def banner(release: str, arch: str = "x86_64", proc_version: str | None = None) -> list[str]:
    """run-cases.sh's banner lines naming the kernel, which the kernel's runner does not print:
    `./run_tests.sh judge` needs them to compare the results with expected/. Give what the
    machine that ran the tests said (uname -r, uname -m, /proc/version)."""
    lines = [f"# uring-buffer-conformance on kernel {release} ({arch})"]
    if proc_version:
        lines.append(f"# proc-version: {proc_version.strip()}")
    return lines


def to_suite_ktap(text: str, collection: str = COLLECTION, banner: list[str] = ()) -> str:
    """run_kselftest.sh's output (one collection's part of it) as run-cases.sh's KTAP;
    `banner` lines (see banner()) go after its first line."""
    conv = _Converter(collection, list(banner))
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        conv.feed(line)
    return "".join(line + "\n" for line in conv.finish())


def parse_kselftest(text: str, expected_cases: list[str] | None = None,
                    collection: str = COLLECTION, end_reason: str | None = None) -> ConsoleRun:
    """run_kselftest.sh's output read by runner.ktap.parse_console: one CaseResult per case
    (status, reason, nested subtests), parse errors, and whether the run was complete."""
    return parse_console(to_suite_ktap(text, collection), expected_cases, end_reason)


def outcomes(run: ConsoleRun) -> dict[str, str]:
    """Case name -> its status ("pass", "fail", "skip", "timeout", "crash", "notrun")."""
    return {name: str(case.status) for name, case in run.cases.items()}
