"""Issue 18 rows 7 and 8: nothing the runner started outlives it. A host case that coreutils'
timeout put in a process group of its own dies with the runner (SIGTERM and kill -9), and
SIGTERM during the build ends make too, with exit status 130."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[3]
RUN_CASES = TOP / "build" / "bin" / "run-cases.sh"
needs_build = pytest.mark.skipif(not RUN_CASES.exists(), reason="needs `make` (build/bin/run-cases.sh)")


def wait_for(path: Path, secs: float = 60) -> int:
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if path.exists() and path.read_text().strip():
            return int(path.read_text().split()[0])
        time.sleep(0.1)
    raise AssertionError(f"{path} never written")


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def gone_within(pid: int, secs: float = 10) -> bool:
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


def host_pid_of(token: str) -> int | None:
    """The host's pid of the process whose command line holds token (a case in a PID
    namespace knows only its own pid there)."""
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if token in Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode():
                    return int(d)
            except OSError:
                pass
    return None


def sleeper(tmp_path: Path) -> tuple[Path, Path, str]:
    pidf = tmp_path / "case.pid"
    case = tmp_path / "zz_hang"
    token = f"{300 + os.getpid() % 1000}.{time.time_ns() % 997}"
    case.write_text(f"#!/bin/sh\necho $$ > {pidf}\nexec sleep {token}\n")
    case.chmod(0o755)
    return case, pidf, token


@needs_build
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_hanging_host_case_dies_with_the_runner(tmp_path, sig):
    case, pidf, token = sleeper(tmp_path)
    p = subprocess.Popen([sys.executable, "-m", "runner", "--no-build", "--results",
                          str(tmp_path / "r"), "--extra-binary", str(case), "provide_res_zero"],
                         cwd=TOP, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(pidf)
    time.sleep(0.5)  # the exec of sleep
    pid = host_pid_of(f"sleep {token}")
    assert pid is not None
    p.send_signal(sig)
    rc = p.wait(timeout=60)
    assert rc == (130 if sig == signal.SIGTERM else -9)
    assert gone_within(pid), f"the case ({pid}) outlived the runner"


def test_sigterm_during_the_build_ends_make(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pidf = tmp_path / "make.pid"
    make = bin_dir / "make"
    # A make that spawns a compiler-like child in the background of its own and waits.
    make.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pidf}\nwait\n")
    make.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    p = subprocess.Popen([sys.executable, "-m", "runner", "--results", str(tmp_path / "r"),
                          "provide_res_zero"], cwd=TOP, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    child = wait_for(pidf)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert gone_within(child), "make's child kept building"


@needs_build
@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_full_disk_under_results_is_not_run_and_says_why(tmp_path):
    """Issue 18 row 4: a results folder on a full disk is "results could not be written: ...
    No space left on device", exit 3, at once (not every case failed with a traceback)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mnt)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        t0 = time.monotonic()
        cp = subprocess.run([sys.executable, "-m", "runner", "--no-build", "--results",
                             str(mnt / "r"), "provide_*"], cwd=TOP, capture_output=True,
                            text=True, timeout=300)
        took = time.monotonic() - t0
    finally:
        subprocess.run(["umount", "-l", str(mnt)])
    assert cp.returncode == 3, cp.stdout[-2000:] + cp.stderr
    assert "results could not be written" in cp.stdout + cp.stderr
    assert "No space left on device" in cp.stdout + cp.stderr
    assert "Traceback" not in cp.stdout + cp.stderr and took < 120
