"""Which case a kernel event belongs to when run-cases.sh -P N ran several cases at once.

A WARNING, BUG, Oops or panic names the task that hit it, on its own line or a few lines on:
`CPU: 1 PID: 812 Comm: clone_lifetime Not tainted ...` (`CPU: 1 UID: 0 PID: 812 Comm: ...`
since 6.10); a soft lockup says `[comm:pid]`, a hung task `task comm:pid blocked`. Every
process of a case (the binary and the kselftest harness's forked tests) has the case's name
cut to 15 characters as its comm, and run-cases.sh never runs two cases with one comm at once,
so a comm names at most one case in flight; a PID names one when it is the pid of a case's
`# start:` line. Anything else (a kworker, an io-wq thread, the idle task) names no case.
"""
from __future__ import annotations

import re

COMM_LEN = 15  # TASK_COMM_LEN - 1: what the kernel keeps of a task's name
WAIT_LINES = 40  # kernel lines after an event within which its task line must come

_TASK = re.compile(r"\bCPU: \d{1,6} (?:UID: \d{1,10} )?PID: (\d{1,10}) Comm: (\S{1,16})")
_LOCKUP = re.compile(r"stuck for \d{1,9}s! \[(.{1,16}):(\d{1,10})\]")
_HUNG = re.compile(r"\btask (.{1,16}):(\d{1,10}) blocked for more than")


def comm(name: str) -> str:
    """The comm of a case's processes."""
    return name[:COMM_LEN]


def task_of(message: str) -> tuple[int, str] | None:
    """(pid, comm) a kernel line names as the task that hit a report, or None."""
    m = _TASK.search(message)
    if m:
        return int(m.group(1)), m.group(2)
    for pat in (_LOCKUP, _HUNG):
        m = pat.search(message)
        if m:
            return int(m.group(2)), m.group(1)
    return None


def pick(suspects: dict[str, int | None], task: tuple[int, str]) -> str | None:
    """The one suspect (case name -> the pid of its start line) the task belongs to, or None."""
    pid, name = task
    hits = [c for c, p in suspects.items() if p == pid or comm(c) == name]
    return hits[0] if len(hits) == 1 else None


class Pending:
    """Kernel events waiting for the line that names their task."""

    def __init__(self) -> None:
        self.items: list[list] = []  # [event, suspects, kernel lines left]

    def add(self, ev, suspects: dict[str, int | None]) -> None:
        self.items.append([ev, suspects, WAIT_LINES])

    def line(self, message: str) -> list[tuple[object, dict, str | None, bool]]:
        """One kernel line: (event, suspects, case or None, resolved) for each event it settles:
        resolved with the case its task names (None: a task of no case), or expired."""
        if not self.items:
            return []
        task = task_of(message)
        out, keep = [], []
        for item in self.items:
            ev, suspects, left = item
            if task is not None:
                out.append((ev, suspects, pick(suspects, task), True))
            elif left <= 1:
                out.append((ev, suspects, None, False))
            else:
                item[2] = left - 1
                keep.append(item)
        self.items = keep
        return out

    def close(self) -> list[tuple[object, dict, str | None, bool]]:
        out = [(ev, suspects, None, False) for ev, suspects, _ in self.items]
        self.items = []
        return out
