"""One exception root for the runner. Every error a command can end with is a UbcError that
carries its exit status; runner/cli.py turns it into one line on stderr and that status, in
one place. Subsystems subclass the two kinds below (their names say where they come from)."""
from __future__ import annotations

from runner.core.status import Exit


class UbcError(Exception):
    """Base of every error the runner reports to the user as one line."""
    exit_status: int = Exit.NOT_RUN


class UsageError(UbcError, ValueError):
    """Bad arguments or input, found before anything is built or booted: exit 2."""
    exit_status = Exit.USAGE


class NotRun(UbcError):
    """Could not run what was asked (a download, the build, a boot, a write): exit 3."""
    exit_status = Exit.NOT_RUN
