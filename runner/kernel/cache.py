"""The download cache shared by every run on this machine: where it is, and its locks.

Two runs may share one cache (two terminals, parallel CI jobs): every writer takes the lock
of what it writes, builds it under a unique temporary name and renames it into place, so a
reader sees nothing or the whole thing.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
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


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# -- files checked before reuse: a record of size and sha256 beside each -----------------------

def record_of(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def publish(tmp: Path, path: Path) -> None:
    """Rename tmp into place as path, then write its record: a file with no record that
    matches it (a crash between the two, a disk that cut it) is not reused (damage)."""
    rec = {"size": tmp.stat().st_size, "sha256": sha256(tmp)}
    record_of(path).unlink(missing_ok=True)  # never an old record beside new data
    os.replace(tmp, path)
    write_atomic(record_of(path), json.dumps(rec).encode())


def write_verified(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        publish(Path(tmp), path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def damage(path: Path) -> str | None:
    """Why a cached file must not be reused, as a predicate ("is damaged (...)"), or None
    when it matches its record."""
    try:
        rec = json.loads(record_of(path).read_text())
        size, digest = int(rec["size"]), str(rec["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return "has no size and sha256 record (an older runner's, or cut before it)"
    try:
        have = path.stat().st_size
    except OSError as e:
        return f"cannot be read ({e.strerror})"
    if have != size:
        return f"is damaged ({have} bytes, {size} when it was made)"
    if sha256(path) != digest:
        return "is damaged (its sha256 is not the one recorded when it was made)"
    return None


def discard(path: Path) -> None:
    for p in (path, record_of(path)):
        p.unlink(missing_ok=True)


try:  # the terminal's stderr, kept before pytest's capture takes over fd 2 during a run
    _STDERR = os.dup(2)
except OSError:
    _STDERR = 2


def notice(message: str) -> None:
    """One line on the user's stderr about the cache (a damaged entry made again)."""
    with contextlib.suppress(OSError):
        os.write(_STDERR, f"ubc-runner: {message}\n".encode(errors="replace"))


# -- download folders: removed however a run ends, swept when their process died --------------

LEGACY_STALE = 86400  # a .dl-* folder without an owner lock (an older runner's) after a day


@contextlib.contextmanager
def work_dir(parent: Path, prefix: str = ".dl-"):
    """A new folder under parent for one download, removed when the with-block ends. Its
    owner lock (<folder>.owner, held meanwhile) tells _sweep() a folder a dead process left
    from one a concurrent run sharing the cache works in."""
    with locked("work-dirs"):  # nobody sweeps between mkdtemp and the owner's flock
        _sweep(parent, prefix)
        try:
            parent.mkdir(parents=True, exist_ok=True)
            d = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
            owner = open(f"{d}.owner", "w")
        except OSError as e:
            raise CacheError(f"cannot write the cache {parent}: {e.strerror}") from None
        fcntl.flock(owner, fcntl.LOCK_EX)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.unlink(owner.name)
        owner.close()


def _sweep(parent: Path, prefix: str) -> None:
    """Remove the download folders of processes that died (their owner lock is free).
    Only under the work-dirs lock (see work_dir)."""
    try:
        entries = [e for e in os.scandir(parent) if e.name.startswith(prefix)]
    except OSError:
        return
    for e in entries:
        if e.name.endswith(".owner"):
            if not os.path.isdir(e.path[:-len(".owner")]):
                _remove_if_free(e.path, None)
        elif e.is_dir(follow_symlinks=False):
            if os.path.exists(e.path + ".owner"):
                _remove_if_free(e.path + ".owner", e.path)
            elif time.time() - e.stat().st_mtime > LEGACY_STALE:
                shutil.rmtree(e.path, ignore_errors=True)


def _remove_if_free(lock: str, folder: str | None) -> None:
    try:
        fd = os.open(lock, os.O_RDONLY)  # never O_CREAT: a lock its owner removed stays gone
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
        os.unlink(lock)
    except OSError:  # held: its run is alive (BlockingIOError), or gone already
        pass
    finally:
        os.close(fd)
