"""Apply one mutant to the kernel tree and put the file back, whatever happens.

Before a file is changed its bytes, mode and times are copied to a backup outside the tree
(the state folder, beside the build) and a journal says which file it belongs to; the file
is restored in a finally, and a run that finds a journal on start (a killed run, a power cut)
restores it first. The tree ends byte for byte and time for time as it was; the build folder's
object of the file is deleted before the restore, so the next build recompiles it (make
would otherwise keep the mutant's object: the restored file is older than it).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

JOURNAL = "pending.json"


class TreeError(Exception):
    """The tree is not as the journal says (changed by someone else): stop, touch nothing."""


def _obj(out: Path | None, rel: str) -> Path | None:
    return out / (rel[:-2] + ".o") if out is not None and rel.endswith(".c") else None


def recover(tree: Path, state: Path, out: Path | None = None) -> str | None:
    """Restore a file a previous run left mutated. Returns its path (relative), or None."""
    j = state / JOURNAL
    if not j.exists():
        return None
    info = json.loads(j.read_text())
    rel = info["file"]
    backup = state / "backup"
    if not backup.exists():
        # the journal was written, the backup not finished: the file was never changed
        j.unlink()
        return None
    o = _obj(out, rel)
    if o is not None:
        o.unlink(missing_ok=True)
    target = tree / rel
    shutil.copy2(backup, target)  # bytes, mode and times
    os.utime(target, ns=(info["atime_ns"], info["mtime_ns"]))
    backup.unlink()
    j.unlink()
    return rel


@contextlib.contextmanager
def applied(tree: Path, state: Path, rel: str, new_text: str, out: Path | None = None):
    """with applied(tree, state, 'io_uring/kbuf.c', text): the file holds text inside."""
    state.mkdir(parents=True, exist_ok=True)
    recover(tree, state, out)
    target = tree / rel
    st = target.stat()
    j = state / JOURNAL
    backup = state / "backup"
    j.write_text(json.dumps({"file": rel, "atime_ns": st.st_atime_ns, "mtime_ns": st.st_mtime_ns}))
    tmp = state / "backup.part"
    shutil.copy2(target, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, backup)
    try:
        with open(target, "w") as f:
            f.write(new_text)
        yield target
    finally:
        recover(tree, state, out)
