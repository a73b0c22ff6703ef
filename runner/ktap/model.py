"""What one console told: each case's result, kernel events, parse errors, the KTAP lines
(the data classes runner/ktap.py fills and summary.json stores)."""
from __future__ import annotations

from dataclasses import dataclass, field

from runner.ktap.kmsg import CRASH_EVENTS
from runner.core.status import Status



@dataclass
class SubResult:
    name: str
    status: str  # Status.PASS | FAIL | SKIP
    reason: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "status": str(self.status), "reason": self.reason}


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
    status: str = Status.NOTRUN
    reason: str = ""
    subtests: list[SubResult] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    number: int | None = None  # its number in the top-level KTAP
    ktap_status: str | None = None  # what its own KTAP said, before kernel events
    plan: int | None = None  # the nested plan
    line: int | None = None  # console line of its "# Subtest:" header (or result line)
    seconds: float | None = None  # its wall time, from run-cases.sh's "# time: NAME S" line
    host_fault: bool = False  # not run because of the host (QEMU killed or stopped), not the kernel

    def apply_event(self, ev: KernelEvent) -> None:
        """A kernel event overrides what the case's own KTAP said."""
        where = " after its result" if ev.after_result else ""
        text = f"kernel {ev.kind}{where} (console line {ev.line}): {ev.excerpt.splitlines()[0]}"
        if ev.kind in CRASH_EVENTS:
            if self.status != Status.CRASH:
                self.status, self.reason = Status.CRASH, text
            return
        if self.status in (Status.PASS, Status.SKIP, Status.NOTRUN):
            self.status, self.reason = Status.FAIL, text
        elif len(self.reason) < 2000 and text not in self.reason:
            self.reason = f"{self.reason}; {text}" if self.reason else text

    def merge_repeat(self, again: "CaseResult") -> bool:
        """The same case reported a second time: keep one result, the worse of the two when
        they differ (then at least a fail, saying both). True when the two reports agree."""
        self.log.extend(again.log)
        if (self.status, self.reason, self.plan, [s.to_dict() for s in self.subtests]) == \
                (again.status, again.reason, again.plan, [s.to_dict() for s in again.subtests]):
            return True

        def said(c: CaseResult) -> str:
            return f"{c.status}: {c.reason}" if c.reason else str(c.status)

        worse = again if Status(again.status).severity > Status(self.status).severity else self
        status = max((Status.FAIL, Status(self.status), Status(again.status)),
                     key=lambda s: s.severity)
        self.reason = f"reported twice with different results: first {said(self)}, " \
                      f"then {said(again)}"
        self.status = Status(status)
        self.subtests, self.plan = list(worse.subtests), worse.plan
        self.ktap_status = worse.ktap_status
        return False

    def to_dict(self) -> dict:
        """The shape of a case in the runner's summary.json."""
        d = {"status": str(self.status), "reason": self.reason,
             "subtests": [s.to_dict() for s in self.subtests], "seconds": self.seconds}
        if self.host_fault:
            d["host_fault"] = True
        return d


@dataclass
class ConsoleRun:
    cases: dict[str, CaseResult] = field(default_factory=dict)
    banner: list[str] = field(default_factory=list)
    plan: int | None = None
    events: list[KernelEvent] = field(default_factory=list)
    complete: bool = False  # plan, every result and the summary seen, and no parse error
    release: str | None = None
    arch: str | None = None
    proc_version: str | None = None
    summary: tuple[int, int, int] | None = None  # (passed, failed, skipped) as printed
    end_reason: str | None = None
    errors: list[str] = field(default_factory=list)  # parse errors, "console line N: ..."
    ktap_lines: list[str] = field(default_factory=list)  # the KTAP as the console carried it
    done: bool = False  # the guest's init printed GUEST_DONE or GUEST_ALIVE
    panicked: bool = False  # a kernel panic was seen
    results: int = 0  # top-level result lines seen
    parallel: bool = False  # run-cases.sh -P N > 1: cases ran at once (see runner/ktap/blame.py)
    # Cases whose result this console cannot give exactly: a kernel event (or taint change)
    # came while they ran at once and names no one of them. Name -> why; the runner runs
    # them again one at a time in a fresh boot (runner/run/kernel_run.run_cases).
    rerun: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"release": self.release, "proc_version": self.proc_version,
                "complete": self.complete, "plan": self.plan, "end_reason": self.end_reason,
                "errors": list(self.errors),
                "cases": {n: c.to_dict() for n, c in self.cases.items()},
                "events": [e.to_dict() for e in self.events]}


def end_reason(run: ConsoleRun, exit_code: int | None, timed_out: bool,
               signalled: int | None = None) -> str | None:
    """How a boot ended, from what the parser saw and how QEMU exited.

    None: the guest said it was done and QEMU exited 0. Otherwise "timeout" (the runner
    killed it), "panic" (the kernel panicked), "qemu killed by signal N" (QEMU itself died by
    a signal, `signalled` or a negative exit code as subprocess reports it: a host-side fault,
    not a kernel crash) or "qemu exit N".
    """
    if timed_out:
        return "timeout"
    if exit_code == 0 and run.done:
        return None
    if run.panicked:
        return "panic"
    if signalled is None and exit_code is not None and exit_code < 0:
        signalled = -exit_code
    if signalled is not None:
        return f"qemu killed by signal {signalled}"
    return f"qemu exit {exit_code}"
