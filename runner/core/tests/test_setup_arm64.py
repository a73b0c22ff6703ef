"""scripts/setup asks for the arm64 tools (cross compiler, qemu-system-arm) by default, because
the real-boot tests boot one arm64 kernel (UBC_E2E_ARM64, default 7.3); UBC_E2E_ARM64=none
leaves them out, --arm64 asks for them anyway. A fake dpkg-query says nothing is installed
(runner/testing/fake/deb), so --check names every package it wants."""
import os
import subprocess
from pathlib import Path

import pytest

from runner.testing.fakes import FAKE

TOP = Path(__file__).resolve().parents[3]


def missing(*args, **env) -> list[str]:
    e = {k: v for k, v in os.environ.items() if k != "UBC_E2E_ARM64"}
    e.update(env, PATH=f"{FAKE / 'deb'}:{os.environ['PATH']}")
    cp = subprocess.run([str(TOP / "scripts" / "setup"), "--check", *args], env=e,
                        capture_output=True, text=True, timeout=60)
    assert cp.returncode == 3, cp.stderr
    line = cp.stderr.strip().splitlines()[-1]
    assert line.startswith("setup: missing: "), line
    return line.split(";")[0].split()[2:]


@pytest.mark.parametrize("args, env, arm64", [
    ((), {}, True),
    ((), {"UBC_E2E_ARM64": "7.3"}, True),
    ((), {"UBC_E2E_ARM64": ""}, True),
    ((), {"UBC_E2E_ARM64": "none"}, False),
    (("--arm64",), {"UBC_E2E_ARM64": "none"}, True),
])
def test_the_arm64_tools_follow_the_real_boot_tests(args, env, arm64):
    got = missing(*args, **env)
    assert "gcc" in got and "python3-pytest" in got
    assert ("gcc-aarch64-linux-gnu" in got) == arm64, got
    assert ("libc6-dev-arm64-cross" in got) == arm64, got
