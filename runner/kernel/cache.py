"""The download cache shared by every run on this machine: where it is, and its locks.

Two runs may share one cache (two terminals, parallel CI jobs): every writer takes the lock
of what it writes, builds it under a unique temporary name and renames it into place, so a
reader sees nothing or the whole thing.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from pathlib import Path

from runner.core import env
from runner.core.errors import NotRun


class CacheError(NotRun):
    """The cache cannot be used (not writable, no room): the run cannot run what was asked."""


def cache_dir() -> Path:
    """$UBC_CACHE, else $XDG_CACHE_HOME/uring-buffer-conformance, else ~/.cache/... (the same
    rule as scripts/papt and scripts/get-deps.sh, which read the same variables)."""
    c = env.get("UBC_CACHE")
    if c:
        return Path(c)
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "uring-buffer-conformance"


@contextlib.contextmanager
def locked(name: str, shared: bool = False):
    """Hold <cache>/locks/<name>.lock (exclusive unless shared) for the with-block."""
    d = cache_dir() / "locks"
    try:
        d.mkdir(parents=True, exist_ok=True)
        f = open(d / f"{name}.lock", "a")
    except OSError as e:
        raise CacheError(f"cannot use the cache {cache_dir()}: {e.strerror} "
                         f"(set UBC_CACHE to a writable folder)") from None
    with f:
        fcntl.flock(f, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file under a unique temporary name beside it, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
