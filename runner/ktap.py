"""Read the KTAP document of scripts/run-cases.sh from a serial console, line by line.

The console carries more than KTAP: firmware and boot messages before it, kernel printk lines
interleaved with it (sometimes in the middle of a KTAP line), \\r\\n line ends. The parser keeps
the KTAP, attributes every kernel event (panic, Oops, BUG, WARNING, sanitizer reports, lockups,
hung tasks, RCU stalls, taint changes) to the case that was running, and turns a case that never
printed its result into a crash, so a dead kernel never reads as a pass.

    p = ConsoleParser()
    for line in console: done = p.feed(line)       # CaseResults completed by that line
    run = p.finish(expected_cases, end_reason)      # ConsoleRun
or  run = parse_console(text, expected_cases, end_reason)

A case feed() returned can still turn into a fail or crash: a kernel report printed after its
result line and before the next case starts is blamed on it (io_uring tears rings down in a
workqueue), and the CaseResult is updated in place. Read final statuses from finish().
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

STATUSES = ("pass", "fail", "skip", "timeout", "crash", "notrun")

# Kernel events: (kind, pattern searched in the message without its timestamp). Order
# matters: the specific BUG: reports (KASAN, KFENCE, soft lockup) come before the generic one.
EVENT_PATTERNS = [
    ("panic", re.compile(r"Kernel panic - not syncing")),
    ("kasan", re.compile(r"^BUG: KASAN:|^KASAN:")),
    ("kfence", re.compile(r"^BUG: KFENCE:")),
    ("ubsan", re.compile(r"^UBSAN:")),
    ("lockup", re.compile(r"soft lockup - CPU#|BUG: soft lockup|hard LOCKUP|^BUG: workqueue lockup")),
    ("hung", re.compile(r"blocked for more than \d+ seconds")),
    ("rcu", re.compile(r"rcu: INFO: \w+ detected stalls|rcu_\w+ self-detected stall|"
                       r"rcu: INFO: \w+ self-detected stall|detected stalls on CPUs/tasks")),
    ("oops", re.compile(r"^Oops: |^Oops\b|^general protection fault|Internal error: Oops")),
    ("bug", re.compile(r"^BUG: |kernel BUG at ")),
    ("warning", re.compile(r"^WARNING: ")),
]
# Events that make the case a crash; every other event makes it (at least) a fail.
CRASH_EVENTS = frozenset({"panic", "oops", "bug"})

# A printk timestamp; with it a kernel line can be found even in the middle of a KTAP line.
_TIMESTAMP = re.compile(r"\[\s*\d+\.\d{6}\]")
# Markers that start a kernel report even without timestamps (printk.time=0).
_BARE_MARKER = re.compile(r"------------\[ cut here \]------------|Kernel panic - not syncing|"
                          r"BUG: |WARNING: CPU: |Oops: ")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1bc")

_TOP_VERSION = re.compile(r"^KTAP version \d+\s*$")
_TOP_PLAN = re.compile(r"^1\.\.(\d+)\s*$")
_RESULT = re.compile(r"^(ok|not ok) (\d+) ?([^#]*?)\s*(?:#\s*(.*))?$")
_SUBTEST = re.compile(r"^ {4}# Subtest: (\S+)\s*$")
_SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) skipped\s*$")
_TAINT = re.compile(r"^# taint changed: (\S+) -> (\S+) after (\S+)\s*$")
_BANNER_KERNEL = re.compile(r"^# uring-buffer-conformance on kernel (\S+)(?: \(([^)]*)\))?")
_BANNER_PROC = re.compile(r"^# proc-version: (.*)$")
# Shapes of the nested (4-space indented) kselftest output.
_NESTED = re.compile(r"^ {4}(TAP version \d+|KTAP version \d+|1\.\.\d+|ok |not ok |#)")

EXCERPT_LINES = 30  # console lines kept as a crash's excerpt


@dataclass
class SubResult:
    name: str
    status: str  # pass | fail | skip
    reason: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "status": self.status, "reason": self.reason}


@dataclass
class KernelEvent:
    kind: str  # panic oops bug warning kasan ubsan kfence lockup hung rcu taint
    line: int  # 1-based console line number
    excerpt: str  # the message (and, for crashes, the lines after it, filled as they come)
    case: str | None  # the case it is attributed to (None: before KTAP or after its end)
    after_result: bool = False  # came after that case's result line (deferred kernel work)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "line": self.line, "excerpt": self.excerpt,
                "case": self.case, "after_result": self.after_result}


@dataclass
class CaseResult:
    name: str
    status: str = "notrun"
    reason: str = ""
    subtests: list[SubResult] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    number: int | None = None  # its number in the top-level KTAP
    ktap_status: str | None = None  # what its own KTAP line said, before kernel events
    plan: int | None = None  # the nested plan

    def to_dict(self) -> dict:
        """The shape of a case in the runner's summary.json."""
        return {"status": self.status, "reason": self.reason,
                "subtests": [s.to_dict() for s in self.subtests]}


@dataclass
class ConsoleRun:
    cases: dict[str, CaseResult] = field(default_factory=dict)
    banner: list[str] = field(default_factory=list)
    plan: int | None = None
    events: list[KernelEvent] = field(default_factory=list)
    complete: bool = False
    release: str | None = None
    arch: str | None = None
    proc_version: str | None = None
    summary: tuple[int, int, int] | None = None  # (passed, failed, skipped) as printed
    end_reason: str | None = None

    def to_dict(self) -> dict:
        return {"release": self.release, "proc_version": self.proc_version,
                "complete": self.complete, "plan": self.plan, "end_reason": self.end_reason,
                "cases": {n: c.to_dict() for n, c in self.cases.items()},
                "events": [e.to_dict() for e in self.events]}


def clean(line: str) -> str:
    """Drop line ends, NULs and terminal escape sequences a serial console adds."""
    line = _ANSI.sub("", line)
    return line.replace("\x00", "").rstrip("\r\n").replace("\r", "")


_PREFIX = re.compile(r"^\s*(?:<\d>)?(?:\[\s*\d+\.\d+\]\s*)?(?:\[\s*[TC]\d+\]\s*)?")


def event_kind(message: str) -> str | None:
    """The kind of kernel event a console message reports, or None."""
    body = _PREFIX.sub("", message, count=1)
    for kind, pat in EVENT_PATTERNS:
        if pat.search(body):
            return kind
    return None


def _split_kernel(line: str) -> tuple[str, str | None]:
    """(KTAP fragment before a kernel message, kernel message) of a console line.

    A line that is only a kernel message gives ("", message); a line with none ("line", None).
    """
    m = _TIMESTAMP.search(line)
    if m is None:
        m = _BARE_MARKER.search(line)
    if m is None:
        return line, None
    return line[:m.start()], line[m.start():]


class ConsoleParser:
    def __init__(self) -> None:
        self.run = ConsoleRun()
        self._lineno = 0
        self._started = False  # saw "KTAP version"
        self._ended = False  # saw the summary line
        self._current: CaseResult | None = None  # header seen, result not yet
        self._last: CaseResult | None = None  # the case that finished last
        self._pending = ""  # KTAP fragment cut by a kernel message
        self._collecting: list[list] = []  # [crash event, lines left] whose excerpt grows
        self._diag: list[str] = []  # nested "# " lines since the last subtest result
        self._finished: list[CaseResult] = []

    # -- input ---------------------------------------------------------------------------
    def feed(self, line: str) -> list[CaseResult]:
        """Take one console line; return the cases whose result that line completed."""
        self._lineno += 1
        self._finished = []
        line = clean(line)
        fragment, kernel = _split_kernel(line)
        if kernel is not None:
            # Even a fragment of blanks is kept: it can be the indent of a nested line.
            if fragment:
                self._pending += fragment
            self._kernel_line(kernel)
            return self._finished
        if self._pending:
            line = self._pending + line
            self._pending = ""
        self._ktap_line(line)
        return self._finished

    def finish(self, expected_cases: list[str] | None = None,
               end_reason: str | None = None) -> ConsoleRun:
        """End of the console: decide the running case and the cases that never started."""
        run = self.run
        run.end_reason = end_reason
        if self._pending:
            self._ktap_line(self._pending)
            self._pending = ""
        if self._current is not None:
            case = self._current
            why = end_reason or "console ended"
            crash = next((e for e in run.events if e.case == case.name and e.kind in CRASH_EVENTS),
                         None)
            case.status = "crash"
            case.reason = f"no result line ({why})"
            if crash is not None:
                case.reason += f": {crash.kind}: {crash.excerpt.splitlines()[0]}"
            self._current = None
        for name in expected_cases or []:
            if name not in run.cases:
                why = end_reason or ("console ended" if not self._ended else "not in the run")
                run.cases[name] = CaseResult(name, "notrun", f"never started ({why})")
        run.complete = (run.plan is not None and self._ended
                        and sum(c.number is not None for c in run.cases.values()) == run.plan)
        return run

    # -- kernel messages -----------------------------------------------------------------
    def _kernel_line(self, msg: str) -> None:
        self._log(msg)
        for item in self._collecting:
            item[0].excerpt += "\n" + msg
            item[1] -= 1
        self._collecting = [item for item in self._collecting if item[1] > 0]
        kind = event_kind(msg)
        if kind is not None:
            self._event(kind, msg)

    def _event(self, kind: str, msg: str) -> None:
        case, after = None, False
        if self._current is not None:
            case = self._current.name
        elif self._last is not None and not self._ended:
            # io_uring tears rings down in a workqueue: a report between cases most likely
            # comes from the case that just ended.
            case, after = self._last.name, True
        ev = KernelEvent(kind, self._lineno, msg.strip(), case, after)
        self.run.events.append(ev)
        if kind in CRASH_EVENTS:
            self._collecting.append([ev, EXCERPT_LINES])
        if case is not None:
            self._apply_event(self.run.cases[case], ev)

    @staticmethod
    def _apply_event(case: CaseResult, ev: KernelEvent) -> None:
        """A kernel event overrides what the case's own KTAP said."""
        where = " after its result" if ev.after_result else ""
        text = f"kernel {ev.kind}{where} (console line {ev.line}): {ev.excerpt.splitlines()[0]}"
        if ev.kind in CRASH_EVENTS:
            if case.status != "crash":
                case.status, case.reason = "crash", text
            return
        if case.status in ("pass", "skip", "notrun"):
            case.status, case.reason = "fail", text
        elif text not in case.reason:
            case.reason = f"{case.reason}; {text}" if case.reason else text

    # -- KTAP ----------------------------------------------------------------------------
    def _log(self, line: str) -> None:
        if self._current is not None:
            self._current.log.append(line)
        elif self._last is not None and not self._ended and self._started:
            self._last.log.append(line)

    def _ktap_line(self, line: str) -> None:
        run = self.run
        if not self._started:
            if _TOP_VERSION.match(line.strip()):
                self._started = True
            return
        if self._ended:
            return
        if self._current is not None and line.startswith("    "):
            self._current.log.append(line)
            if _NESTED.match(line):
                self._nested(self._current, line[4:])
            return
        m = _SUBTEST.match(line)
        if m:
            self._start_case(m.group(1), line)
            return
        if run.plan is None:
            if _TOP_PLAN.match(line):
                run.plan = int(_TOP_PLAN.match(line).group(1))
                return
            if line.startswith("#"):
                run.banner.append(line)
                self._banner(line)
                return
        m = _RESULT.match(line)
        if m:
            self._top_result(m, line)
            return
        m = _TAINT.match(line)
        if m:
            name = m.group(3)
            if name not in run.cases:
                run.cases[name] = CaseResult(name)
            ev = KernelEvent("taint", self._lineno, line[2:], name,
                             self._current is None or self._current.name != name)
            self._log(line)
            run.events.append(ev)
            self._apply_event(run.cases[name], ev)
            return
        m = _SUMMARY.match(line)
        if m:
            run.summary = tuple(int(x) for x in m.groups())
            self._ended = True
            return
        # Anything else (our "# running" comments, a guest init's chatter, a kernel line
        # without timestamp) belongs to the case log and may still be a kernel event.
        self._log(line)
        kind = event_kind(line)
        if kind is not None:
            self._event(kind, line)

    def _banner(self, line: str) -> None:
        m = _BANNER_KERNEL.match(line)
        if m:
            self.run.release, self.run.arch = m.group(1), m.group(2)
        m = _BANNER_PROC.match(line)
        if m:
            self.run.proc_version = m.group(1).strip()

    def _start_case(self, name: str, line: str) -> None:
        if self._current is not None:  # its result line was lost: never a pass
            prev = self._current
            prev.status, prev.reason = "crash", f"no result line before the next case {name}"
            self._finished.append(prev)
        case = self.run.cases.get(name) or CaseResult(name)
        case.status, case.log = "notrun", [line]
        self.run.cases[name] = case
        self._current, self._diag = case, []

    def _nested(self, case: CaseResult, text: str) -> None:
        m = _TOP_PLAN.match(text)
        if m:
            case.plan = int(m.group(1))
            return
        if text.startswith("#"):
            body = text[1:].strip()
            if body.startswith("RUN "):
                self._diag = []
            elif body and not re.match(r"^(OK|FAIL|SKIP|XFAIL|XPASS)\s|^(PASSED|FAILED|Totals|"
                                       r"Starting|Planned)\b", body):
                self._diag.append(body)
            return
        m = _RESULT.match(text)
        if m is None:
            return
        name, directive = m.group(3).strip(), (m.group(4) or "").strip()
        if m.group(1) == "not ok":
            status, reason = "fail", "; ".join(self._diag[-3:])
        elif directive.upper().startswith("SKIP"):
            status, reason = "skip", directive[4:].strip()
        else:
            status, reason = "pass", ""
        if directive.upper().startswith(("XFAIL", "TODO")):
            status, reason = "pass", directive
        case.subtests.append(SubResult(name, status, reason))
        self._diag = []

    def _top_result(self, m: re.Match, line: str) -> None:
        name = m.group(3).strip()
        directive = (m.group(4) or "").strip()
        case = self._current if self._current is not None and self._current.name == name \
            else self.run.cases.get(name)
        if case is None:  # a result without a header (header lost in noise)
            case = self.run.cases[name] = CaseResult(name)
        if self._current is not None and case is not self._current:
            prev = self._current
            prev.status, prev.reason = "crash", f"no result line (next result was {name})"
            self._finished.append(prev)
        case.log.append(line)
        case.number = int(m.group(2))
        word = directive.split(" ", 1)[0].upper() if directive else ""
        rest = directive[len(word):].strip()
        if m.group(1) == "ok":
            status, reason = ("skip", rest) if word == "SKIP" else ("pass", "")
        elif word == "TIMEOUT":
            status, reason = "timeout", rest or "timeout"
        elif word == "CRASH":
            status, reason = "crash", rest or "crash"
        else:
            status = "fail"
            failed = [s for s in case.subtests if s.status == "fail"]
            reason = "; ".join(f"{s.name}: {s.reason}" if s.reason else s.name for s in failed)
            reason = reason or directive or "failed"
        done = sum(1 for s in case.subtests)
        if status in ("pass", "skip") and case.plan is not None and done < case.plan:
            status, reason = "crash", f"{case.plan - done} of {case.plan} results missing"
        if status in ("pass", "skip") and case.plan is None:
            status, reason = "crash", "no nested KTAP plan"
        case.ktap_status = status
        # Kernel events seen while it ran already decided a crash or fail: keep them.
        prior = case.status if case.status in ("crash", "fail") and case.reason.startswith(
            ("kernel ", "taint")) else None
        if prior == "crash" or (prior == "fail" and status in ("pass", "skip")):
            pass
        elif prior == "fail":
            case.status = status
            case.reason = f"{reason}; {case.reason}" if reason else case.reason
        else:
            case.status, case.reason = status, reason
        self._current, self._last = None, case
        self._finished.append(case)


def parse_console(text: str, expected_cases: list[str] | None = None,
                  end_reason: str | None = None) -> ConsoleRun:
    p = ConsoleParser()
    for line in text.splitlines():
        p.feed(line)
    return p.finish(expected_cases, end_reason)
