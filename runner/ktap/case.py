"""One case's KTAP: its nested lines and the verdict of its top-level result line.

runner/guest/run-cases.sh prints each case as a `# Subtest: NAME` header, the case's own
(kselftest harness) KTAP indented by four spaces, then `ok N NAME` or `not ok N NAME`.
NestedReader reads the indented part of one case and decides what its top-level line may
claim: a top-level `ok` passes only with a nested plan that every nested result filled, no
nested `not ok`, no result read only in part, no nested number twice. runner.ktap (the
console parser) makes one reader per case.
"""
from __future__ import annotations

import re

from runner.ktap.model import CaseResult, SubResult
from runner.ktap.kmsg import LINE_LIMIT
from runner.core.status import Status

TOP_PLAN = re.compile(r"^1\.\.(\d{1,9})\s*$")
_NUMBER = re.compile(r"\d{1,9}(?!\d)")
_AWK_PLAN = re.compile(r"^1\.\.(\d{1,9})")  # how run-cases.sh's awk reads a nested plan
_HARNESS_NOTE = re.compile(r"^(OK|FAIL|SKIP|XFAIL|XPASS)\s|^(PASSED|FAILED|Totals|Starting|Planned)\b")


def parse_result(line: str) -> tuple[bool, int, str, str] | None:
    """(ok, number, name, directive) of a KTAP result line, or None; linear in the line."""
    if line.startswith("ok "):
        ok, rest = True, line[3:]
    elif line.startswith("not ok "):
        ok, rest = False, line[7:]
    else:
        return None
    m = _NUMBER.match(rest)
    if m is None:
        return None
    name, _, directive = rest[m.end():].partition("#")
    return ok, int(m.group()), name.strip(), directive.strip()


def _names(subtests: list[SubResult]) -> str:
    return "; ".join(f"{s.name}: {s.reason}" if s.reason else s.name for s in subtests)


class NestedReader:
    def __init__(self) -> None:
        self.nest = [0, 0, 0, 0]  # nested ok, not ok, skip, plan, counted as awk counts them
        self.unread = False  # a result line was longer than LINE_LIMIT
        self._numbers: set[int] = set()  # nested result numbers seen
        self._twice: int | None = None  # a nested result number printed twice
        self._diag: list[str] = []  # nested "# " lines since the last nested result

    def line(self, case: CaseResult, text: str) -> None:
        """One nested line, its four-space indent removed."""
        nest = self.nest
        if text.startswith("ok "):
            nest[2 if "# SKIP" in text else 0] += 1
        elif text.startswith("not ok "):
            nest[1] += 1
        else:
            m = _AWK_PLAN.match(text)
            if m:
                nest[3] = int(m.group(1))
        m = TOP_PLAN.match(text)
        if m:
            case.plan = int(m.group(1))
            return
        if text.startswith("#"):
            body = text[1:].strip()
            if body.startswith("RUN "):
                self._diag = []
            elif body and not _HARNESS_NOTE.match(body):
                self._diag = self._diag[-2:] + [body]
            return
        r = parse_result(text)
        if r is None:
            return
        ok, number, name, directive = r
        if number in self._numbers and self._twice is None:
            self._twice = number
        self._numbers.add(number)
        word = directive[:5].upper()
        if not ok:
            status, reason = Status.FAIL, "; ".join(self._diag[-3:])
            if word.startswith(("XFAIL", "TODO")):
                reason = f"{directive}; {reason}" if reason else directive
        elif word.startswith("SKIP"):
            status, reason = Status.SKIP, directive[4:].strip()
        elif word.startswith(("XFAIL", "TODO")):
            status, reason = Status.PASS, directive
        else:
            status, reason = Status.PASS, ""
        case.subtests.append(SubResult(name, status, reason))
        self._diag = []

    def counts(self, ok: bool) -> tuple[int, int, int]:
        """(passed, failed, skipped) the summary line adds for this case (run-cases.sh's rule)."""
        p, f, s, plan = self.nest
        f += max(0, plan - p - f - s)
        if f == 0 and not ok:
            f = 1
        return p, f, s

    def verdict(self, case: CaseResult, ok: bool, directive: str) -> tuple[str, str]:
        """What a case's own KTAP says: its top-level line checked against its nested lines."""
        word = directive.split(" ", 1)[0].upper() if directive else ""
        rest = directive[len(word):].strip()
        failed = [s for s in case.subtests if s.status == Status.FAIL]
        if ok:  # any directive starting SKIP, in any case, is a skip (as on nested lines)
            status, reason = (Status.SKIP, rest) if word[:4] == "SKIP" else (Status.PASS, "")
        elif word == "TIMEOUT":
            return Status.TIMEOUT, rest or "timeout"
        elif word == "CRASH":
            return Status.CRASH, rest or "crash"
        else:
            return Status.FAIL, _names(failed) or directive or "failed"
        done = len(case.subtests)
        if case.plan is None:
            return Status.CRASH, "no nested KTAP plan"
        if done < case.plan:
            return Status.CRASH, f"{case.plan - done} of {case.plan} results missing"
        if failed or self.nest[1]:
            return Status.FAIL, f"top-level ok but a nested not ok: {_names(failed) or 'unnamed'}"
        if self.unread:
            return Status.FAIL, f"a result line longer than {LINE_LIMIT} characters, not read whole"
        if done > case.plan:
            return Status.FAIL, f"{done} nested results for a plan of {case.plan}"
        if self._twice is not None:
            return Status.FAIL, f"nested result {self._twice} printed twice"
        if status == Status.PASS and case.plan == 0:
            return Status.FAIL, "top-level ok but no nested result (plan 1..0)"
        return status, reason
