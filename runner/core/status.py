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

    @property
    def severity(self) -> int:
        """How bad: to keep the worse of two reports of one case."""
        return {"pass": 0, "skip": 0, "notrun": 1, "fail": 1, "interrupted": 2,
                "timeout": 2, "crash": 3}[self.value]

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
# What an expected/ entry may ask of a case (runner/judge/expected.py).
EXPECTABLE = (Status.PASS, Status.SKIP, Status.FAIL, Status.CRASH, Status.TIMEOUT)


class Kind(str, enum.Enum):
    """A verdict against expected/."""
    OK = "ok"
    REGRESSION = "regression"
    XPASS = "xpass"            # passed where a failure was expected: update the entry
    PARTLY_FIXED = "partly fixed"  # a known bug's listed subtest passes: update the entry
    UNKNOWN = "unknown"        # ran and passed or skipped, but expected/ does not cover it
    NOT_RUN = "not run"        # could not run what was asked (infrastructure, interrupt)

    def __str__(self) -> str:
        return self.value

    def __hash__(self) -> int:
        return hash(self.value)


class Exit(enum.IntEnum):
    """Exit statuses of every command (docs/exit-status.md), and the word for each."""
    OK = 0
    REGRESSION = 1     # a regression or XPASS against expected/, or a gate's regression
    USAGE = 2          # bad arguments or input: found before anything ran
    NOT_RUN = 3        # could not run what was asked: download, boot, no results, cut log
    INTERRUPTED = 130  # stopped by SIGINT/SIGTERM; what was collected is written

    @property
    def outcome(self) -> str:
        return {0: "ok", 1: "regression", 2: "usage error", 3: "not run",
                130: "interrupted"}[self.value]


EXIT_OK, EXIT_REGRESSION, EXIT_USAGE = Exit.OK, Exit.REGRESSION, Exit.USAGE
EXIT_NOT_RUN, EXIT_INTERRUPTED = Exit.NOT_RUN, Exit.INTERRUPTED
