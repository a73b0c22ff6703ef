"""What one bisect step's run says: good, bad, skip, could not run (infra) or interrupted,
with the one-line reason. Shared by the kernel-tree step and the packaged-kernel search.

Raw results decide, not expected/: a bisect asks "does this case pass on this kernel".
- bad: a case failed, crashed the kernel (a panic while it ran) or hung (TIMEOUT);
- skip: every case that did not pass SKIPped (its probe proved the feature absent), or the
  kernel panicked, hung or reset before any case started (untestable, not this change);
- infra: no console output at all, QEMU or vng failing on the host side, the kernel not
  resolvable, a case that never ran for a reason not the kernel's;
- good: every case passed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from runner.core.status import Status

GOOD, BAD, SKIP, INFRA, INTERRUPTED = "good", "bad", "skip", "infra", "interrupted"
EXIT = {GOOD: 0, BAD: 1, SKIP: 125, INFRA: 128, INTERRUPTED: 130}
LABEL = {GOOD: "GOOD", BAD: "BAD", SKIP: "SKIP", INFRA: "INFRA", INTERRUPTED: "INTERRUPTED"}
FLIP = {GOOD: BAD, BAD: GOOD}


@dataclass
class StepVerdict:
    kind: str
    why: str
    cases: dict[str, str] = field(default_factory=dict)  # case -> "status: reason"

    def flipped(self) -> "StepVerdict":
        """--bisect-fix: a pass is what git must call bad (the fix is there)."""
        note = {GOOD: "--bisect-fix: the fix is here: ", BAD: "--bisect-fix: not fixed yet: "}
        return StepVerdict(FLIP.get(self.kind, self.kind), note.get(self.kind, "") + self.why,
                           self.cases)


def describe(c) -> str:
    """'fail: reason [failing subtests]' of a CaseResult."""
    bad = [s.name for s in c.subtests if s.status == Status.FAIL and s.name not in (c.reason or "")]
    text = str(c.status)
    if c.reason:
        text += f": {c.reason}"
    if bad:
        text += f" [failed: {', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''}]"
    return text


def judge(results: dict, cases: list[str], console_lines: int, error: str = "",
          end_reason: str | None = None, host_fault: str | None = None,
          interrupted: bool = False) -> StepVerdict:
    """results: case -> CaseResult (KernelRun.results); console_lines: how many lines the
    boots printed in all; error: KernelRun.error; end_reason/host_fault: of the boots."""
    info = {n: describe(results[n]) for n in cases if n in results}
    statuses = {n: results[n].status for n in cases if n in results}
    if interrupted or any(s == Status.INTERRUPTED for s in statuses.values()):
        return StepVerdict(INTERRUPTED, "interrupted", info)
    bad = [n for n, s in statuses.items() if s in (Status.FAIL, Status.CRASH, Status.TIMEOUT)]
    if bad:
        n = bad[0]
        return StepVerdict(BAD, f"{n} {info[n]}", info)
    if console_lines == 0:
        return StepVerdict(INFRA, "no console output at all" + (f" ({host_fault or error})"
                                                                 if host_fault or error else ""), info)
    if host_fault:
        return StepVerdict(INFRA, host_fault, info)
    # A kernel that dies before the cases start cannot say whether the behaviour is there:
    # skip it (git bisect then never blames an unrelated boot failure for the case's change).
    if end_reason == "panic":
        return StepVerdict(SKIP, "untestable: the kernel panicked before the cases ran", info)
    if end_reason == "timeout":
        return StepVerdict(SKIP, "untestable: the kernel hung before the cases ran", info)
    missing = [n for n in cases if n not in statuses or statuses[n] == Status.NOTRUN]
    if missing:
        if end_reason and end_reason.startswith("qemu exit 0"):
            # QEMU exits 0 when the guest resets or halts (-no-reboot): the kernel died early.
            return StepVerdict(SKIP, "untestable: the kernel stopped before the cases ran "
                               "(reset or halt)", info)
        return StepVerdict(INFRA, f"{missing[0]} did not run: "
                           f"{info.get(missing[0]) or error or 'no result'}", info)
    skipped = [n for n, s in statuses.items() if s == Status.SKIP]
    if skipped:
        n = skipped[0]
        return StepVerdict(SKIP, f"feature absent: {n} {info[n]}", info)
    return StepVerdict(GOOD, f"{len(statuses)} passed", info)


def judge_kernel_run(kr, cases: list[str], interrupted: bool = False) -> StepVerdict:
    """The verdict of a finished runner.kernel_run.KernelRun."""
    lines = sum(len(b.console) for b in kr.runs)
    fault = next((b.host_fault for b in kr.runs if b.host_fault), None)
    return judge(kr.results, cases, lines, kr.error, kr.end_reason(), fault, interrupted)
