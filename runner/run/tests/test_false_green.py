"""Never a false green: a run that did not run what was asked never exits 0 and is never
counted as skipped. A fake QEMU (runner/testing/fake/qemu) plays the host-side faults; bad
arguments are one line and exit 2 before anything is built or booted."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runner.testing.fakes import DATA, FAKE, sigint_default
from runner.testing.fakes import fake_bzimage

TOP = Path(__file__).resolve().parents[3]
FAKE_QEMU = FAKE / "qemu"
BUILT = (TOP / "build" / "bin" / "provide_res_zero").is_file()
needs_build = pytest.mark.skipif(not BUILT, reason="no case binaries built (run make)")


def runner(*args, env=None, timeout=120, **kw):
    e = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=TOP, capture_output=True,
                          text=True, timeout=timeout, env=e, **kw)


def fake_run(tmp_path, mode, *extra, **kw):
    img = fake_bzimage(tmp_path / "bzImage")
    env = {"UBC_QEMU": str(FAKE_QEMU), "FAKE_QEMU": mode,
           "FAKE_QEMU_PIDFILE": str(tmp_path / "qemu.pid")}
    return runner("--kernel", str(img), "--accel", "tcg", "--no-build", "--results",
                  str(tmp_path / "res"), "provide_res_zero", *extra, env=env, **kw)


def summary(tmp_path):
    return json.loads((tmp_path / "res" / "summary.json").read_text())


@needs_build
def test_a_kernel_that_printed_nothing_is_not_run_exit_3(tmp_path):
    cp = fake_run(tmp_path, "silent")
    assert cp.returncode == 3, cp.stdout[-2000:] + cp.stderr
    (k,) = summary(tmp_path)["kernels"]
    assert k["ran"] is False and "no boot printed the cases' KTAP" in k["error"]
    c = k["cases"]["provide_res_zero"]
    assert c["status"] == "notrun" and c["verdict"]["kind"] == "not run"
    assert "outcome: not run (exit status 3)" in cp.stdout
    assert " skipped" not in cp.stdout.splitlines()[-1]


@needs_build
def test_qemu_failing_on_its_own_is_a_host_fault_exit_3(tmp_path):
    cp = fake_run(tmp_path, "fail")
    assert cp.returncode == 3, cp.stdout[-2000:] + cp.stderr
    c = summary(tmp_path)["kernels"][0]["cases"]["provide_res_zero"]
    assert c["status"] == "notrun" and "could not load kernel" in c["reason"]


@needs_build
def test_a_console_cut_inside_a_case_is_a_crash_exit_1(tmp_path):
    cp = fake_run(tmp_path, "partial")
    assert cp.returncode == 1, cp.stdout[-2000:] + cp.stderr
    c = summary(tmp_path)["kernels"][0]["cases"]["provide_res_zero"]
    assert c["status"] == "crash" and c["verdict"]["kind"] == "regression"


def _wait_for(path: Path, seconds: float = 60) -> int:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        time.sleep(0.1)
    raise AssertionError(f"{path} never appeared")


def _gone(pid: int, seconds: float = 10) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _start(tmp_path, mode="hang"):
    img = fake_bzimage(tmp_path / "bzImage")
    env = dict(os.environ, UBC_QEMU=str(FAKE_QEMU), FAKE_QEMU=mode,
               FAKE_QEMU_PIDFILE=str(tmp_path / "qemu.pid"))
    return subprocess.Popen([sys.executable, "-m", "runner", "--kernel", str(img), "--accel",
                             "tcg", "--no-build", "--results", str(tmp_path / "res"),
                             "provide_res_zero"], cwd=TOP, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=sigint_default)


@needs_build
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_is_interrupted_not_a_crash_exit_130(tmp_path, sig):
    proc = _start(tmp_path)
    qpid = _wait_for(tmp_path / "qemu.pid")
    time.sleep(0.5)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out[-2000:] + err
    assert _gone(qpid)
    s = summary(tmp_path)
    c = s["kernels"][0]["cases"]["provide_res_zero"]
    assert c["status"] == "interrupted" and c["verdict"]["kind"] == "not run", c
    assert s["run"]["interrupted"] is True and s["run"]["exit_status"] == 130


@needs_build
def test_kill_9_of_the_runner_takes_qemu_with_it(tmp_path):
    proc = _start(tmp_path)
    qpid = _wait_for(tmp_path / "qemu.pid")
    proc.kill()
    proc.communicate(timeout=30)
    assert _gone(qpid), "QEMU outlived the runner"
    assert not list((tmp_path / "res").rglob("*.cpio")), "an initramfs was left in the results"


# -- bad input: one line, exit 2, before anything runs ------------------------------------------

def _bad_inputs(tmp_path):
    trunc = fake_bzimage(tmp_path / "trunc")
    trunc.write_bytes(trunc.read_bytes()[:0x300])
    (tmp_path / "five.json").write_text("5")
    (tmp_path / "null.json").write_text("null")
    (tmp_path / "k5.json").write_text('{"kernels": 5}')
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    return [
        (["--kernel", "/etc/passwd"], "is not an x86 bzImage"),
        (["--kernel", str(trunc)], "is a truncated bzImage"),
        (["--kernel", "/no/such/bzImage"], "no such bzImage or kernel tree"),
        (["--kernel", "latest"], "unknown kernel 'latest'"),
        (["--case-timeout", "-5"], "--case-timeout: must be at least 1"),
        (["--case-timeout", "0"], "--case-timeout: must be at least 1"),
        (["-j", "0"], "-j/--jobs: must be at least 1"),
        (["-j", "-1"], "-j/--jobs: must be at least 1"),
        (["-j", "two"], "not a whole number"),
        (["--against", str(tmp_path / "missing.json")], "no such file"),
        (["--against", str(tmp_path / "five.json")], "not a summary or a saved baseline"),
        (["--against", str(tmp_path / "null.json")], "not a summary or a saved baseline"),
        (["--against", str(tmp_path / "k5.json")], "'kernels' is not a list"),
        (["--results", "/proc/no/results"], "the results folder /proc/no/results is not writable"),
        (["--save-baseline", "/proc/no/base.json"], "the folder of --save-baseline"),
        (["--gate"], "--gate needs --baseline K1 and --candidate K2"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["no_such_case"], "no case matches 'no_such_case'"),
    ]


def test_every_bad_input_is_one_line_and_exit_2(tmp_path):
    if os.geteuid() == 0:
        pass  # root writes anywhere: the read-only cases use /proc paths instead
    for args, message in _bad_inputs(tmp_path):
        cp = runner(*args, "--no-build")
        lines = cp.stderr.strip().splitlines()
        assert cp.returncode == 2, (args, cp.returncode, cp.stderr[-500:])
        assert len(lines) == 1 and message in lines[0], (args, lines)
        assert cp.stdout == "", (args, cp.stdout[-300:])


def test_a_read_only_cache_is_one_line(tmp_path):
    img = fake_bzimage(tmp_path / "bzImage")
    cp = runner("--kernel", str(img), "--no-build", env={"UBC_CACHE": "/proc/ubc-cache",
                                                          "UBC_QEMU": str(FAKE_QEMU)})
    assert cp.returncode == 2 and len(cp.stderr.strip().splitlines()) == 1, cp.stderr
    assert "the cache folder (UBC_CACHE) /proc/ubc-cache is not writable" in cp.stderr


# -- judge: saved logs and summaries -------------------------------------------------------------

@pytest.mark.parametrize("content,code,message", [
    (b"", 2, "no KTAP document"),
    (b"\x7fELF\x00\x01\x02" * 50, 2, "a binary file"),
    (b"garbage\nmore garbage\n", 2, "no KTAP document"),
    (b"5", 2, "not a summary or a saved baseline"),
    (b"null", 2, "not a summary or a saved baseline"),
    (b'{"kernels": 5}', 2, "'kernels' is not a list"),
    (b'{"kernels": [{"id": "x", "cases": {"a": {"status": "weird"}}}]}', 2, "unknown status"),
])
def test_judge_refuses_what_is_no_log(tmp_path, content, code, message):
    f = tmp_path / "in"
    f.write_bytes(content)
    cp = runner("judge", str(f))
    assert cp.returncode == code and message in cp.stderr, (cp.returncode, cp.stderr, cp.stdout)


def test_judge_a_cut_log_is_not_run_exit_3(tmp_path):
    lines = (DATA / "host_run_mixed.log").read_text().splitlines()
    cut = []
    for line in lines:
        cut.append(line)
        if line.startswith("ok 5 "):
            break
    f = tmp_path / "cut.log"
    f.write_text("\n".join(cut) + "\n")
    cp = runner("judge", str(f))
    assert cp.returncode == 3, cp.stdout + cp.stderr
    assert "INCOMPLETE: the log is cut: 5 of 9 results" in cp.stdout


def test_judge_a_summary_whose_kernel_never_ran(tmp_path):
    s = {"kernels": [{"id": "7.3", "release": "", "ran": False, "cases": {
        "provide_res_zero": {"status": "notrun", "reason": "kernel not run: download failed"}}}]}
    f = tmp_path / "summary.json"
    f.write_text(json.dumps(s))
    cp = runner("judge", str(f))
    assert cp.returncode == 3, cp.stdout + cp.stderr


# -- the shared cache's package index --------------------------------------------------------------

def test_an_apt_update_that_stores_no_lists_fails_and_is_not_kept(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "apt-get").write_text("#!/bin/sh\necho 'W: Failed to fetch http://127.0.0.1:9/x'\nexit 0\n")
    (fake / "apt-get").chmod(0o755)
    env = dict(os.environ, UBC_CACHE=str(tmp_path / "cache"), UBC_MIRROR="http://127.0.0.1:9/debian",
               PATH=f"{fake}:{os.environ['PATH']}")
    cp = subprocess.run([str(TOP / "scripts" / "papt"), "update"], env=env, capture_output=True,
                        text=True, timeout=60)
    assert cp.returncode == 1
    assert "stored no complete package lists" in cp.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "cache" / "apt" / "lists" / ".updated").exists()


@needs_build
def test_a_host_run_that_cannot_start_is_not_run_exit_3(tmp_path):
    # As with a full disk: run-cases.sh cannot make its temporary folder and exits 3.
    cp = runner("--no-build", "--results", str(tmp_path / "res"), "provide_res_zero",
                env={"TMPDIR": str(tmp_path / "no-such-dir")})
    assert cp.returncode == 3, cp.stdout[-2000:] + cp.stderr
    c = summary(tmp_path)["kernels"][0]["cases"]["provide_res_zero"]
    assert c["status"] == "notrun" and "run-cases.sh failed on the host (exit 3)" in c["reason"]
