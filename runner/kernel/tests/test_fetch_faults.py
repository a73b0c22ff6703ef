"""A kernel download that meets a full disk, a stuck dpkg-deb or a stuck papt (issue 18, fault
5): the runner says why in one line, at once or after the step's timeout, kills the step with
its children and leaves no .dl-* folder in the cache. Fake dpkg-deb and papt in
runner/testing/fake/deb: their data comes from a child that outlives a killed parent."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from runner.core.errors import UsageError

from runner.kernel import resolve
from runner.kernel import cache
from runner.testing.fakes import FAKE, fake_bzimage

DEB = FAKE / "deb"
TOP = Path(__file__).resolve().parents[3]
PKG = resolve.Package("linux-image-6.12.95+deb12-cloud-amd64", "6.12.95-1~bpo12+1", "bookworm")


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """UBC_CACHE in tmp_path, the fake papt and dpkg-deb; kills what they left at the end."""
    pids = tmp_path / "pids"
    monkeypatch.setenv("UBC_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", f"{DEB}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_PIDS", str(pids))
    monkeypatch.setenv("FAKE_DPKG_VMLINUZ", str(fake_bzimage(tmp_path / "vmlinuz")))
    monkeypatch.setattr(resolve, "PAPT", DEB / "papt")
    yield tmp_path
    for pid in _pids(pids):  # only what the fakes of this test started
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _pids(path: Path) -> list[int]:
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _alive(pids: list[int], grace: float = 3) -> list[int]:
    """The pids still running after `grace` seconds (SIGKILL takes effect asynchronously)."""
    end = time.monotonic() + grace
    while any(_running(p) for p in pids) and time.monotonic() < end:
        time.sleep(0.05)
    return [p for p in pids if _running(p)]


def bounded(fn, seconds=30):
    """fn()'s exception (or None) and how long it took; a hang fails the test, not the run."""
    box = {}

    def call():
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: B902 - handed to the test
            box["error"] = e
    t0 = time.monotonic()
    th = threading.Thread(target=call, daemon=True)
    th.start()
    th.join(seconds)
    assert not th.is_alive(), f"still running after {seconds}s: the runner hangs"
    return box.get("error"), time.monotonic() - t0


def leftovers(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "cache" / "kernels").glob(".dl-*"))


@pytest.mark.parametrize("mode", ["endless", "enospc"])
def test_a_full_disk_while_extracting_is_said_at_once_and_leaves_nothing(fake, monkeypatch, mode):
    # endless: the runner's own write fails (vmlinuz is /dev/full) while the fake's child
    # still writes; enospc: dpkg-deb says it, and its child lingers holding stderr.
    monkeypatch.setenv("FAKE_DPKG", mode)
    monkeypatch.setenv("FAKE_FULL", "1" if mode == "endless" else "")
    err, took = bounded(lambda: resolve.fetch_debian("6.12", PKG))
    assert isinstance(err, resolve.FetchError), err
    assert "No space left on device" in str(err) and "damaged" not in str(err)
    assert took < 10
    assert leftovers(fake) == []
    assert _alive(_pids(fake / "pids")) == [], "dpkg-deb's children outlived the extraction"


def test_a_stuck_dpkg_deb_is_killed_after_its_timeout(fake, monkeypatch):
    monkeypatch.setenv("FAKE_DPKG", "hang")
    monkeypatch.setenv("UBC_EXTRACT_TIMEOUT", "1")
    err, took = bounded(lambda: resolve.fetch_debian("6.12", PKG))
    assert isinstance(err, resolve.FetchError)
    assert "took more than 1s (UBC_EXTRACT_TIMEOUT)" in str(err)
    assert took < 10 and leftovers(fake) == [] and _alive(_pids(fake / "pids")) == []


@pytest.mark.parametrize("value", ["abc", "0", "-3", "1.5"])
def test_a_timeout_that_is_no_number_is_one_line(fake, monkeypatch, value):
    monkeypatch.setenv("UBC_EXTRACT_TIMEOUT", value)
    err, _ = bounded(lambda: resolve.fetch_debian("6.12", PKG))
    assert isinstance(err, UsageError)  # bad input: exit 2, as the runner's preflight says too
    assert str(err) == f"UBC_EXTRACT_TIMEOUT={value!r} is not a whole number of seconds (at least 1)"
    assert leftovers(fake) == []


def test_a_good_package_is_kept_and_its_download_folder_goes(fake, monkeypatch):
    monkeypatch.setenv("FAKE_DPKG", "ok")
    err, _ = bounded(lambda: resolve.fetch_debian("6.12", PKG))
    assert err is None
    d = fake / "cache" / "kernels" / f"{PKG.name}_{PKG.version}"
    assert (d / "vmlinuz").read_bytes() == (fake / "vmlinuz").read_bytes()
    assert (d / "config").is_file()
    assert leftovers(fake) == []


def test_a_stuck_papt_is_killed_with_its_children(fake, monkeypatch):
    monkeypatch.setenv("FAKE_PAPT", "hang")
    err, took = bounded(lambda: resolve.papt("update", timeout=1))
    assert isinstance(err, resolve.FetchError) and "took more than 1s" in str(err)
    assert took < 10 and _alive(_pids(fake / "pids")) == []


def test_stale_download_folders_of_dead_runs_are_swept_live_ones_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("UBC_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "cache" / "kernels"
    for name in ("dead", "live", "old", "new"):
        (root / f".dl-{name}").mkdir(parents=True)
    (root / ".dl-dead.owner").touch()                  # its run died: nobody holds the lock
    (root / ".dl-live.owner").touch()
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl,sys,time; f=open(sys.argv[1]);"
                               "fcntl.flock(f, fcntl.LOCK_EX); print(1, flush=True); time.sleep(60)",
                               str(root / ".dl-live.owner")], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"1"  # a concurrent run, alive
        os.utime(root / ".dl-old", (time.time() - 2 * 86400,) * 2)  # an older runner's
        with cache.work_dir(root) as d:
            assert d.name.startswith(".dl-") and Path(f"{d}.owner").exists()
        assert sorted(p.name for p in root.iterdir()) == [".dl-live", ".dl-live.owner", ".dl-new"]
    finally:
        holder.kill()
        holder.wait()


def test_a_run_stopped_by_sigterm_ends_the_extraction(fake, monkeypatch):
    """As the runner does (cli: SIGTERM -> qemu.kill_running), in a process of its own."""
    monkeypatch.setenv("FAKE_DPKG", "hang")
    script = (
        "import signal, sys, threading\n"
        "from runner.kernel import qemu, resolve\n"
        "signal.signal(signal.SIGTERM, lambda *a: qemu.kill_running())\n"
        "resolve.PAPT = resolve.Path(sys.argv[1])\n"
        "pkg = resolve.Package(*sys.argv[2:5])\n"
        "box = []\n"
        "def fetch():\n"
        "    try: resolve.fetch_debian('6.12', pkg)\n"
        "    except Exception as e: box.append(str(e))\n"
        "t = threading.Thread(target=fetch); t.start()\n"
        "print('started', flush=True)\n"
        "t.join(); print(box[0] if box else 'no error', flush=True)\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(DEB / "papt"), PKG.name,
                             PKG.version, PKG.suite], cwd=TOP, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "started"
        end = time.monotonic() + 10
        while not _pids(fake / "pids") and time.monotonic() < end:
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0 and "stopped" in out, out
    assert leftovers(fake) == [] and _alive(_pids(fake / "pids")) == []


@pytest.mark.parametrize("mode,message", [("hang", "took more than 1s (UBC_EXTRACT_TIMEOUT)"),
                                          ("enospc", "No space left on device")])
def test_vng_extraction_is_bounded_as_the_kernels(fake, monkeypatch, mode, message):
    """virtme-ng's package is extracted by the same bounded, group-killed step: a stuck
    dpkg-deb or a full disk is one line (VngError, exit 3), never a hang."""
    from runner.kernel import vng
    monkeypatch.setenv("FAKE_DPKG", mode)
    monkeypatch.setenv("UBC_EXTRACT_TIMEOUT", "1")
    (fake / "root").mkdir()
    err, took = bounded(lambda: vng._extract(fake / "virtme-ng.deb", fake / "root"))
    assert isinstance(err, vng.VngError), err
    assert message in str(err) and took < 10
    assert _alive(_pids(fake / "pids")) == [], "dpkg-deb's children outlived the extraction"
