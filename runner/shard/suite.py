"""What a result was made with, so results made elsewhere can be told apart: the suite's
version (git describe, else a hash of its files), a hash of the files that decide what a run
does (cases, harness, runner, build) and a hash of the expected/ data that judged it.

Recorded in every run's summary.json as run.suite; merge refuses shards that differ (a
documentation-only change leaves both hashes alone)."""
from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from runner.core.paths import TOP

# The files that decide what a run does: the cases, their helpers, the runner (less its
# tests) and the build. Everything under a folder, one file each.
SOURCES = ("cases", "harness", "runner", "Makefile", "deps.conf", "run_tests.sh",
           "scripts/get-deps.sh", "scripts/multi-obj", "scripts/papt")
SKIP_PARTS = {"tests", "testing", "__pycache__", ".pytest_cache"}


def _files(root: Path, names) -> list[Path]:
    out = []
    for name in names:
        p = root / name
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out += [f for f in p.rglob("*") if f.is_file() and not f.name.endswith(".pyc")
                    and not SKIP_PARTS & set(f.relative_to(root).parts)]
    return sorted(out)


def tree_hash(root: Path, names=None) -> str:
    """sha256 over every file's path (relative to root) and bytes, in path order."""
    h = hashlib.sha256()
    for f in _files(root, names if names is not None else [p.name for p in root.iterdir()]):
        rel = f.relative_to(root).as_posix().encode()
        data = f.read_bytes()
        h.update(b"%d:%s%d:" % (len(rel), rel, len(data)))
        h.update(data)
    return h.hexdigest()


def git_describe(root: Path = TOP) -> str:
    try:
        cp = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty", "--tags"],
                            capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return cp.stdout.strip() if cp.returncode == 0 else ""


def identity(expected_dir: Path, root: Path = TOP) -> dict:
    """run.suite: {"version", "hash", "expected"}."""
    h = tree_hash(root, SOURCES)
    return {"version": git_describe(root) or f"tree-{h[:12]}", "hash": h,
            "expected": expected_hash(expected_dir)}


def expected_hash(expected_dir: Path) -> str:
    return tree_hash(Path(expected_dir))


def differs(a: dict | None, b: dict | None, raw: bool = False) -> str | None:
    """What makes two run.suite records incomparable, or None."""
    a, b = a or {}, b or {}
    if a.get("hash") != b.get("hash"):
        return (f"suite versions differ ({a.get('version') or 'unrecorded'} vs "
                f"{b.get('version') or 'unrecorded'})")
    if not raw and a.get("expected") != b.get("expected"):
        return (f"expected/ data differs ({(a.get('expected') or 'unrecorded')[:12]} vs "
                f"{(b.get('expected') or 'unrecorded')[:12]})")
    return None
