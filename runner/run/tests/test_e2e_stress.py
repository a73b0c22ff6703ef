"""End to end, on request: a --stress run boots a real kernel (UBC_E2E_STRESS, e.g. 7.3; unset:
skipped, so `make check` does not boot it) with 2 vCPUs, and a panic raised from the second
vCPU while a stress case's race loop runs on them (runner/testing/guest/stress_crash_smp) is
that case's crash, pinned on it, while every stress case after it runs in a fresh boot that
also has 2 vCPUs. About a minute under TCG."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runner.kernel import qemu
from runner.testing.fakes import GUEST_CASES

TOP = Path(__file__).resolve().parents[3]
KERNEL = os.environ.get("UBC_E2E_STRESS", "")
STRESS = sorted(p.stem for p in (TOP / "cases" / "stress").glob("*.c"))

pytestmark = [
    pytest.mark.skipif(not KERNEL, reason="UBC_E2E_STRESS names no kernel"),
    pytest.mark.skipif(not shutil.which(qemu.QEMU), reason=f"{qemu.QEMU} not installed"),
    pytest.mark.skipif(not all((TOP / "build" / "bin" / c).is_file() for c in STRESS),
                       reason="no stress case binaries built (run make)"),
]


def test_a_panic_from_the_second_vcpu_is_the_running_stress_case_s(tmp_path):
    crash = GUEST_CASES / "stress_crash_smp"
    cp = subprocess.run([sys.executable, "-m", "runner", "--stress", "--no-build", "--kernel",
                         KERNEL, "--results", str(tmp_path), "--extra-binary", str(crash)],
                        cwd=TOP, capture_output=True, text=True, timeout=1800)
    assert cp.returncode == 1, cp.stdout[-3000:] + cp.stderr
    (k,) = json.loads((tmp_path / "summary.json").read_text())["kernels"]
    assert k["cases"]["stress_crash_smp"]["status"] == "crash"
    assert [(e["kind"], e["case"]) for e in k["events"]] == [("panic", "stress_crash_smp")]
    assert all(k["cases"][c]["status"] in ("pass", "skip") for c in STRESS), k["cases"]
    log = (tmp_path / k["console_log"]).read_text()
    boots = re.findall(r"^### ubc-runner: boot \d+, \d+ cases, .*?: (.*)$", log, re.M)
    assert len(boots) == 2 and all(" -smp 2 " in b for b in boots), boots
    assert "# CPUs online: 2" in log and re.search(r"^\[ *[\d.]+\] CPU: 1 ", log, re.M)
