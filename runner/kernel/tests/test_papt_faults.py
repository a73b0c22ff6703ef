"""scripts/papt, scripts/get-deps.sh and scripts/setup on a full disk or a stuck apt-get or
dpkg-deb (issue 18, fault 6: `make` on a cold cache waited 27 minutes in apt-get update, then
blamed the network). Every step is bounded (UBC_APT_TIMEOUT, UBC_EXTRACT_TIMEOUT) and a full
disk is named. Fake apt-get, apt-cache, df, dpkg-deb, dpkg-query: runner/testing/fake/deb."""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from runner.testing.fakes import FAKE

TOP = Path(__file__).resolve().parents[3]
PAPT = TOP / "scripts" / "papt"


@pytest.fixture
def env(tmp_path):
    """The fakes first on PATH, a cache of the test's own; kills what the fakes left."""
    e = dict(os.environ, UBC_CACHE=str(tmp_path / "cache"), UBC_MIRROR="http://127.0.0.1:9/debian",
             PATH=f"{FAKE / 'deb'}:{os.environ['PATH']}", FAKE_APT_LOG=str(tmp_path / "apt.log"),
             FAKE_PIDS=str(tmp_path / "pids"), PKG_CONFIG_PATH=str(tmp_path),
             PKG_CONFIG_LIBDIR=str(tmp_path))
    for k in ("FAKE_DF_MB", "FAKE_APT_UPDATE", "FAKE_APT_DOWNLOAD", "UBC_APT_TIMEOUT", "KDIR"):
        e.pop(k, None)
    yield e
    pids = tmp_path / "pids"
    for pid in (int(p) for p in pids.read_text().split()) if pids.exists() else ():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run(tmp_path, cmd, env, limit=40, **extra):
    """(exit status, stderr's lines, seconds); a hang is killed (the group the test started)
    and fails the test."""
    err = tmp_path / f"err.{time.monotonic_ns()}"
    t0 = time.monotonic()
    with open(err, "w") as ef:
        proc = subprocess.Popen([str(c) for c in cmd], env={**env, **extra}, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=ef, start_new_session=True)
        try:
            proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail(f"{cmd[0]} still running after {limit}s: {err.read_text()[-500:]}")
    return proc.returncode, err.read_text().strip().splitlines(), time.monotonic() - t0


def test_apt_get_update_on_a_full_disk_names_it(tmp_path, env):
    rc, lines, _ = run(tmp_path, [PAPT, "update"], env, FAKE_APT_UPDATE="enospc")
    assert rc == 1
    assert lines[-1].startswith("papt: apt-get update failed: No space left on device")
    assert "network" not in lines[-1]


def test_a_stuck_apt_get_update_is_killed_after_UBC_APT_TIMEOUT(tmp_path, env):
    rc, lines, took = run(tmp_path, [PAPT, "update"], env, FAKE_APT_UPDATE="hang",
                          UBC_APT_TIMEOUT="1")
    assert rc == 1 and took < 15
    assert "apt-get update took more than 1s" in lines[-1] and "UBC_APT_TIMEOUT" in lines[-1]


def test_too_little_room_for_the_lists_is_said_before_apt_runs(tmp_path, env):
    rc, lines, took = run(tmp_path, [PAPT, "update"], env, FAKE_DF_MB="5")
    assert rc == 1 and took < 10
    assert lines[-1].startswith("papt: no space left on device for apt-get update")
    assert not (tmp_path / "apt.log").exists(), "apt-get ran anyway"


@pytest.mark.parametrize("value", ["soon", "0", "-1", "1.5"])
def test_a_bad_UBC_APT_TIMEOUT_is_one_line(tmp_path, env, value):
    rc, lines, _ = run(tmp_path, [PAPT, "update"], env, UBC_APT_TIMEOUT=value)
    assert rc == 1 and lines == [f"papt: UBC_APT_TIMEOUT='{value}' is not a whole number of "
                                 "seconds (at least 1)"]


def test_a_download_on_a_full_disk_names_it(tmp_path, env):
    rc, lines, _ = run(tmp_path, [PAPT, "download", "pkg=1.0-1", tmp_path / "dl"], env,
                       FAKE_APT_DOWNLOAD="enospc")
    assert rc == 1
    assert lines[-1].startswith("papt: downloading pkg=1.0-1 failed: No space left on device")


def test_a_download_that_cannot_fit_is_said_before_apt_runs(tmp_path, env):
    assert run(tmp_path, [PAPT, "update"], env)[0] == 0
    rc, lines, _ = run(tmp_path, [PAPT, "download", "pkg=1.0-1", tmp_path / "dl"], env,
                       FAKE_APT_SIZE=str(200 << 20), FAKE_DF_MB="50")
    assert rc == 1
    assert lines[-1] == (f"papt: no space left on device for pkg=1.0-1 (200 MB): {tmp_path / 'dl'} "
                         "has 50 MB free, it needs about 208 MB")
    assert " download pkg=1.0-1" not in (tmp_path / "apt.log").read_text(), "apt-get ran anyway"


def liburing_done(tmp_path: Path) -> None:
    """A cached liburing-dev, so get-deps goes on to the kselftest pipeline."""
    d = tmp_path / "cache" / "deps" / "liburing-dev_2.15-1"
    (d / "usr" / "lib" / "x86_64-linux-gnu").mkdir(parents=True)
    (d / "usr" / "include" / "liburing").mkdir(parents=True)
    for f in (".done", "usr/lib/x86_64-linux-gnu/liburing.a", "usr/include/liburing/compat.h"):
        (d / f).touch()
    (d / ".sha256").write_text("0" * 64 + "\n")


@pytest.mark.parametrize("what", ["liburing-dev", "linux-source-6.12"])
@pytest.mark.parametrize("mode,message", [
    ("enospc", "No space left on device"),
    ("hang", "took more than 1s (UBC_EXTRACT_TIMEOUT)"),
])
def test_get_deps_extraction_on_a_full_disk_or_stuck(tmp_path, env, mode, message, what):
    if what != "liburing-dev":
        liburing_done(tmp_path)
    # Twice: what the first left running must not hold the deps lock for the second.
    for _ in range(2):
        rc, lines, took = run(tmp_path, [TOP / "scripts" / "get-deps.sh", tmp_path / "out"], env,
                              FAKE_DPKG=mode, UBC_EXTRACT_TIMEOUT="1", FAKE_APT_VERSION="2.15-1")
        assert rc == 1 and took < 20
        assert lines[-1].startswith(f"get-deps: cannot extract {what}_2.15-1_amd64.deb" if
                                    mode == "enospc" else f"get-deps: extracting {what}")
        assert message in lines[-1]
        assert not list((tmp_path / "cache" / "deps").glob("dl.*")), "a download folder was left"


@pytest.mark.skipif(os.geteuid() != 0, reason="scripts/setup runs apt-get only as root")
def test_setup_bounds_apt_get(tmp_path, env):
    rc, lines, took = run(tmp_path, [TOP / "scripts" / "setup"], env, FAKE_APT_UPDATE="hang",
                          UBC_APT_TIMEOUT="1")
    assert rc == 3 and took < 15
    assert lines[-1] == "setup: apt-get update took more than 1s (UBC_APT_TIMEOUT; network?)"
    rc, lines, _ = run(tmp_path, [TOP / "scripts" / "setup"], env, FAKE_APT_UPDATE="enospc")
    assert rc == 3 and "setup: apt-get update failed: No space left on device" in lines[-1]
