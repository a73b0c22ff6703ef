"""The external steps of a download (scripts/papt, dpkg-deb), bounded in time.

Each step runs in its own process group and is killed as a group: dpkg-deb forks its
decompressor and apt-get its methods, and a child that outlives its killed parent keeps the
pipes open. Its stderr goes to a file, never a pipe, so reading it cannot wait on a child.
"""
from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from runner.core import env
from runner.core.errors import NotRun
from runner.kernel import qemu

# (variable, default seconds): documented in README ("What the build fetches").
APT_TIMEOUT = ("UBC_APT_TIMEOUT", 900)          # each apt-get update or download in papt
EXTRACT_TIMEOUT = ("UBC_EXTRACT_TIMEOUT", 600)  # each dpkg-deb extraction
NO_SPACE = os.strerror(errno.ENOSPC)            # "No space left on device"


class StepError(NotRun):
    """A step failed, overran its time or found the disk full: one line."""


def seconds(setting: tuple[str, int]) -> int:
    """A timeout from the environment (whole seconds, at least 1), else its default."""
    name, default = setting
    return env.get(name, default)


def check_settings() -> None:
    """StepError for a timeout variable that is set to nonsense (for the preflight)."""
    for s in (APT_TIMEOUT, EXTRACT_TIMEOUT):
        seconds(s)


def is_no_space(e: BaseException | str) -> bool:
    if isinstance(e, OSError):
        return e.errno in (errno.ENOSPC, errno.EDQUOT)
    return NO_SPACE in str(e) or os.strerror(errno.EDQUOT) in str(e)


class Group:
    """A child in its own process group, killed as a group after `timeout` seconds, when
    the run stops (qemu.kill_running, while tracked) or when reap() finds it running."""

    def __init__(self, cmd: list[str], timeout: float, stdout=subprocess.PIPE):
        self.err = tempfile.TemporaryFile()
        self.timeout, self.timed_out, self._reaped = timeout, False, False
        self._lock = threading.Lock()
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout,
                                         stderr=self.err, start_new_session=True,
                                         preexec_fn=qemu.die_with_parent)
        except OSError as e:
            self.err.close()
            raise StepError(f"cannot run {cmd[0]}: {e.strerror}") from None
        self._timer = threading.Timer(timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()
        threading.Thread(target=self._leader_gone, daemon=True).start()

    def _expire(self) -> None:
        with self._lock:
            if not self._reaped:
                self.timed_out = True
                self._killpg()

    def _leader_gone(self) -> None:
        """When the leader exits, what is left of its group are stragglers (dpkg-deb waits
        for its decompressor; papt for apt-get): kill them so its pipe ends. What they wrote
        stays readable in the pipe."""
        try:
            os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            return
        with self._lock:
            if not self._reaped:
                self._killpg()

    def _killpg(self) -> None:
        # Safe only while the leader is not reaped: its pid (the group's id) is not reused.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def wait(self, drain: bool) -> None:
        """Wait for the leader to exit (drain: after reading its stdout to the end; else
        kill its group at once). It is left unreaped: see reap()."""
        if drain and self.proc.stdout is not None:
            while self.proc.stdout.read(1 << 16):
                pass
        elif not drain:
            with self._lock:
                self._killpg()
        os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOWAIT)

    def reap(self) -> str:
        """Kill what is left of the group, reap the leader; its stderr."""
        with self._lock:
            self._timer.cancel()
            self._killpg()
            self.proc.wait()
            self._reaped = True
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.err.seek(0)
        text = self.err.read().decode(errors="replace")
        self.err.close()
        return text


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool


def run(cmd: list[str], timeout: float) -> Result:
    """cmd's exit status and output, killed with its children after `timeout` seconds."""
    with tempfile.TemporaryFile() as out:
        g = Group(cmd, timeout, stdout=out)
        with qemu.tracked(g.proc):
            g.wait(drain=True)
        err = g.reap()
        out.seek(0)
        text = out.read().decode(errors="replace")
    return Result(g.proc.returncode, text, err, g.timed_out)


def extract(deb: Path, pick: Callable[[str], str | None], dest: Path) -> set[str]:
    """Write the .deb's regular files that pick() names (member -> file name in dest) into
    dest; the names written. StepError when it is damaged, overruns UBC_EXTRACT_TIMEOUT or
    the disk is full (said as such)."""
    found: set[str] = set()

    def take(tf) -> None:
        for m in tf:
            out = pick(m.name) if m.isfile() else None
            if out:
                with tf.extractfile(m) as src, open(dest / out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                found.add(out)
    _read_tar(deb, dest, take)
    return found


def extract_tree(deb: Path, dest: Path) -> None:
    """The .deb's whole file system tree (folders, links) under dest, bounded and checked as
    extract() (virtme-ng's package: a Python tree, not a few files)."""
    def take(tf) -> None:
        if hasattr(tarfile, "data_filter"):
            tf.extractall(dest, filter="tar")
        else:
            tf.extractall(dest)
    _read_tar(deb, dest, take)


def _read_tar(deb: Path, dest: Path, take: Callable) -> None:
    """take(tarfile stream) over `dpkg-deb --fsys-tarfile deb`, in its own process group,
    killed after UBC_EXTRACT_TIMEOUT; every failure one StepError line."""
    timeout = seconds(EXTRACT_TIMEOUT)
    failure: BaseException | None = None
    whole = False
    g = Group(["dpkg-deb", "--fsys-tarfile", str(deb)], timeout)
    try:
        with qemu.tracked(g.proc):
            try:
                with tarfile.open(fileobj=g.proc.stdout, mode="r|") as tf:
                    take(tf)
                whole = True
            except (tarfile.TarError, EOFError, OSError) as e:
                failure = e
            finally:
                g.wait(drain=whole)  # on any failure (Ctrl-C too) the group is killed at once
    finally:
        err = g.reap()
    if g.timed_out:
        raise StepError(f"extracting {deb.name} took more than {timeout}s (UBC_EXTRACT_TIMEOUT)")
    if qemu.stopping():
        raise StepError(f"extracting {deb.name}: stopped")
    if (failure and is_no_space(failure)) or is_no_space(err):
        raise StepError(f"cannot extract {deb.name} into {dest.parent}: {NO_SPACE}")
    if failure is not None:
        raise StepError(f"{deb.name} is damaged: {failure}")
    if g.proc.returncode != 0:
        last = (err.strip().splitlines() or [f"exit {g.proc.returncode}"])[-1]
        raise StepError(f"{deb.name} is damaged: dpkg-deb: {last}")
