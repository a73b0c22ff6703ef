"""The one set of result statuses: what a case did on one kernel, and what a verdict says.

Both are str enums, so they compare equal to their values ("pass" == Status.PASS) and go
into summary.json as plain strings.
"""
from __future__ import annotations

import enum


class Status(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    TIMEOUT = "timeout"        # the case binary was killed after its timeout
    CRASH = "crash"            # the kernel died, or results the case announced are missing
    NOTRUN = "notrun"          # never started: the kernel could not run it
    INTERRUPTED = "interrupted"  # the run was stopped (Ctrl-C, SIGTERM) while it ran or before

    def __str__(self) -> str:
        return self.value

    def __hash__(self) -> int:  # as its value's, so "pass" finds Status.PASS in sets and dicts
        return hash(self.value)

    @property
    def label(self) -> str:
        return {"notrun": "NOT RUN"}.get(self.value, self.value.upper())

    @classmethod
    def parse(cls, value) -> "Status":
        """A status from summary.json; anything else is a ValueError naming it."""
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"unknown status {value!r} (one of "
                             f"{', '.join(s.value for s in cls)})") from None


# What a case can end as; only PASS and SKIP are ever fine without an expected/ entry.
OK_STATUSES = frozenset({Status.PASS, Status.SKIP})
# Did not finish: never excused by a known-bug entry's fail, and worse than a fail in a gate.
UNFINISHED = frozenset({Status.TIMEOUT, Status.CRASH, Status.NOTRUN, Status.INTERRUPTED})
BAD_STATUSES = frozenset(Status) - OK_STATUSES


class Kind(str, enum.Enum):
    """A verdict against expected/."""
    OK = "ok"
    REGRESSION = "regression"
    XPASS = "xpass"            # passed where a failure was expected: update the entry
    UNKNOWN = "unknown"        # ran and passed or skipped, but expected/ does not cover it
    NOT_RUN = "not run"        # could not run what was asked (infrastructure, interrupt)

    def __str__(self) -> str:
        return self.value

    def __hash__(self) -> int:
        return hash(self.value)


# Exit statuses of every command (README "Exit status").
EXIT_OK = 0
EXIT_REGRESSION = 1    # a regression or XPASS against expected/, or a gate's regression
EXIT_USAGE = 2         # bad arguments or input: found before anything ran
EXIT_NOT_RUN = 3       # could not run what was asked: download, boot, no results, cut log
EXIT_INTERRUPTED = 130  # stopped by SIGINT/SIGTERM; what was collected is written
