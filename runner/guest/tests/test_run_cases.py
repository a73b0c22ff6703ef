"""runner/guest/run-cases.sh: how binaries' exits and KTAP become the document and exit code.

Fake case binaries are shell scripts printing recorded kselftest output, so every path
(pass, fail, skip, crash, timeout, no plan) is exercised without a kernel.
"""
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from runner import ktap

RUN_CASES = Path(__file__).resolve().parents[3] / "runner" / "guest" / "run-cases.sh"

PASS = "TAP version 13\n1..2\nok 1 a.one\nok 2 a.two\n"
FAIL = "TAP version 13\n1..2\nok 1 b.one\n# b.two: Expected 0 (0) == ret (-22)\nnot ok 2 b.two\n"
SKIP = "TAP version 13\n1..1\nok 1 c.one # SKIP IORING_REGISTER_CLONE_BUFFERS absent: EINVAL\n"
CRASH = "TAP version 13\n1..3\nok 1 d.one\n"


def fake(tmp_path: Path, name: str, out: str, rc: int = 0, sleep: int = 0) -> Path:
    p = tmp_path / name
    body = f"cat <<'KTAP'\n{out}KTAP\n"
    if sleep:
        body += f"sleep {sleep}\n"
    p.write_text(f"#!/bin/sh\n{body}exit {rc}\n")
    p.chmod(p.stat().st_mode | stat.S_IXUSR)
    return p


def run(*bins: Path, timeout: int = 20):
    cp = subprocess.run(["sh", str(RUN_CASES), "-t", str(timeout), *map(str, bins)],
                        capture_output=True, text=True, timeout=60)
    return cp.returncode, cp.stdout.splitlines()


def test_all_pass_exits_zero_with_summary(tmp_path):
    rc, out = run(fake(tmp_path, "pass_case", PASS))
    assert rc == 0
    assert out[0] == "KTAP version 1"
    assert "1..1" in out
    assert "    ok 1 a.one" in out
    assert "ok 1 pass_case" in out
    assert out[-1] == "2 passed, 0 failed, 0 skipped"


def test_one_failed_result_fails_the_run(tmp_path):
    rc, out = run(fake(tmp_path, "pass_case", PASS), fake(tmp_path, "fail_case", FAIL, rc=1))
    assert rc == 1
    assert "not ok 2 fail_case" in out
    assert out[-1] == "3 passed, 1 failed, 0 skipped"


def test_all_skipped_binary_is_skip_with_reason(tmp_path):
    rc, out = run(fake(tmp_path, "skip_case", SKIP))
    assert rc == 0
    assert "ok 1 skip_case # SKIP IORING_REGISTER_CLONE_BUFFERS absent: EINVAL" in out
    assert out[-1] == "0 passed, 0 failed, 1 skipped"


def test_missing_results_are_a_crash_not_a_pass(tmp_path):
    rc, out = run(fake(tmp_path, "crash_case", CRASH, rc=139))
    assert rc == 1
    assert "not ok 1 crash_case # CRASH 2 of 3 results missing, exit 139" in out
    assert out[-1] == "1 passed, 2 failed, 0 skipped"


def test_nonzero_exit_without_failed_result_fails(tmp_path):
    rc, out = run(fake(tmp_path, "exit_case", PASS, rc=1))
    assert rc == 1
    assert "not ok 1 exit_case" in out
    assert out[-1] == "2 passed, 1 failed, 0 skipped"


def test_no_plan_is_a_crash(tmp_path):
    rc, out = run(fake(tmp_path, "noplan_case", "garbage\n", rc=2))
    assert rc == 1
    assert "not ok 1 noplan_case # CRASH no KTAP plan, exit 2" in out


def test_hung_binary_is_killed_and_reported(tmp_path):
    rc, out = run(fake(tmp_path, "hang_case", "TAP version 13\n1..1\n", sleep=30), timeout=1)
    assert rc == 1
    assert "not ok 1 hang_case # TIMEOUT killed after 1s" in out
    assert out[-1] == "0 passed, 1 failed, 0 skipped"


@pytest.mark.skipif(not os.path.exists("/bin/busybox"), reason="busybox not installed")
def test_same_document_under_busybox_sh(tmp_path):
    # The guest runs this script with busybox; its output must match the host's.
    bins = [fake(tmp_path, "pass_case", PASS), fake(tmp_path, "fail_case", FAIL, rc=1)]
    host = subprocess.run(["sh", str(RUN_CASES), *map(str, bins)], capture_output=True, text=True)
    env = dict(os.environ, PATH=str(tmp_path / "bb"))
    (tmp_path / "bb").mkdir()
    for tool in ("sh", "awk", "cat", "sed", "basename", "dirname", "mktemp", "rm", "date", "timeout", "uname"):
        os.symlink("/bin/busybox", tmp_path / "bb" / tool)
    bb = subprocess.run(["/bin/busybox", "sh", str(RUN_CASES), *map(str, bins)],
                        capture_output=True, text=True, env=env)
    assert bb.returncode == host.returncode == 1

    def untimed(out: str) -> str:  # the durations differ between two runs
        return re.sub(r"(?m)^(# time: \S+) \d+\.\d\d$", r"\1 S", out)
    assert untimed(bb.stdout) == untimed(host.stdout)
    assert untimed(bb.stdout).count("S\n") == 2


def test_each_case_has_a_duration_the_parser_keeps(tmp_path):
    rc, out = run(fake(tmp_path, "pass_case", PASS))
    times = [l for l in out if l.startswith("# time: ")]
    assert len(times) == 1 and re.match(r"^# time: pass_case \d+\.\d\d$", times[0])
    run_ = ktap.parse_console("\n".join(out) + "\n", ["pass_case"])
    assert run_.complete and run_.cases["pass_case"].status == "pass"
    assert run_.cases["pass_case"].seconds == float(times[0].split()[-1])
    assert run_.cases["pass_case"].to_dict()["seconds"] == run_.cases["pass_case"].seconds
