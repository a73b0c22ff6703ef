"""End to end on one arm64 kernel (issue 24): UBC_E2E_ARM64 (default "7.3"; "none" skips it)
boots in qemu-system-aarch64 (TCG) with every case, built by the runner itself into
build-arm64/ (`make ARCH=arm64`), so a fresh clone needs no build step first. Apart from
test_e2e_kernels.py, whose tests need the x86_64 build/ and UBC_E2E_KERNELS.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runner.kernel import qemu

TOP = Path(__file__).resolve().parents[3]
ARM64 = (os.environ.get("UBC_E2E_ARM64") or "7.3").strip()


def arm64_tools_missing() -> list[str]:
    return [t for t in (qemu.QEMU_ARM64, "aarch64-linux-gnu-gcc") if not shutil.which(t)]


@pytest.fixture(scope="module")
def arm64_tools():
    """The cross compiler and qemu-system-aarch64: `make check`'s scripts/setup installs them
    (UBC_E2E_ARM64 asks for them there too); run alone as root, this runs
    `scripts/setup --arm64` itself; otherwise it skips, naming the command."""
    if arm64_tools_missing() and os.geteuid() == 0:
        cp = subprocess.run([str(TOP / "scripts" / "setup"), "--arm64"], cwd=TOP,
                            capture_output=True, text=True, timeout=1800)
        assert not arm64_tools_missing(), \
            f"scripts/setup --arm64 failed (exit {cp.returncode}): {cp.stderr[-2000:]}"
    if arm64_tools_missing():
        pytest.skip(f"{', '.join(arm64_tools_missing())} missing: scripts/setup --arm64 (as root), "
                    f"or UBC_E2E_ARM64=none")


@pytest.mark.skipif(ARM64 == "none", reason="UBC_E2E_ARM64=none")
def test_an_arm64_kernel_runs_every_case(tmp_path, arm64_tools):
    """`--kernel K --arch arm64`: the runner builds build-arm64/ (make ARCH=arm64), boots the
    Debian cloud-arm64 kernel in qemu-system-aarch64 (TCG) and every case gets a verdict
    against expected/, none unexpected."""
    results = tmp_path / "results"
    cp = subprocess.run([sys.executable, "-m", "runner", "--kernel", ARM64, "--arch", "arm64",
                         "--results", str(results)], cwd=TOP, capture_output=True, text=True,
                        timeout=3600)
    assert cp.returncode == 0, cp.stdout[-3000:] + cp.stderr[-3000:]
    summary = json.loads((results / "summary.json").read_text())
    (k,) = summary["kernels"]
    assert k["id"] == f"{ARM64}@arm64" and k["arch"] == "arm64" and k["accel"] == "tcg"
    assert k["release"].endswith("-cloud-arm64") and k["ran"]
    assert set(k["cases"]) == set(summary["run"]["cases"]) and len(k["cases"]) >= 100
    assert all(c["verdict"]["kind"] == "ok" for c in k["cases"].values())
    assert any("arm64" in v for v in summary["run"]["versions"])  # arm64 liburing, busybox
