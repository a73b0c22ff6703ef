"""run_tests.sh --kernel / python3 -m runner from the outside, without booting a VM: errors
are one line with exit status 2, `--kernel host` gives pytest items, summary.json and JUnit."""
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[3]
BUILT = sorted(p.name for p in (TOP / "build" / "bin").glob("*") if p.name != "run-cases.sh") \
    if (TOP / "build" / "bin").is_dir() else []


def runner(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=TOP, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("kernel,message", [
    ("/no/such/bzImage", "no such bzImage or kernel tree: '/no/such/bzImage'"),
    ("latest", "unknown kernel 'latest'"),
])
def test_bad_kernel_is_one_line_and_exit_2(kernel, message):
    cp = runner("--kernel", kernel)
    assert cp.returncode == 2
    lines = cp.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"run_tests.sh: {message}")
    assert cp.stdout == ""


def test_build_tree_without_bzimage(tmp_path):
    cp = runner("--kernel", str(tmp_path))
    assert cp.returncode == 2 and "has no arch/x86/boot/bzImage" in cp.stderr
    assert len(cp.stderr.strip().splitlines()) == 1


def test_a_missing_option_value_is_a_usage_error():
    cp = runner("--kernel")
    assert cp.returncode == 2 and "expected one argument" in cp.stderr
    assert len(cp.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(len(BUILT) < 2, reason="no case binaries built (run make)")
def test_host_kernel_items_summary_and_junit(tmp_path):
    cases = BUILT[:2]
    cp = runner("--kernel", "host", "--results", str(tmp_path), "-v", *cases)
    assert cp.returncode in (0, 1), cp.stdout + cp.stderr
    for c in cases:
        assert f"kernels::host::{c} " in cp.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    (k,) = summary["kernels"]
    assert k["id"] == "host" and k["accel"] == "host" and k["boots"] == 1
    assert list(k["cases"]) == cases
    assert (tmp_path / k["console_log"]).read_text().count("KTAP version 1") == 1
    assert (tmp_path / "host" / "ktap.txt").read_text().startswith("KTAP version 1")
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert sorted(t.get("name") for t in root.iter("testcase")) == sorted(cases)


@pytest.mark.skipif(len(BUILT) < 2, reason="no case binaries built (run make)")
def test_k_selects_items_and_only_those_run(tmp_path):
    cp = runner("--kernel", "host", "--results", str(tmp_path), "-k", BUILT[1], *BUILT[:2])
    assert cp.returncode in (0, 1), cp.stdout + cp.stderr
    assert "1 deselected" in cp.stdout
    (k,) = json.loads((tmp_path / "summary.json").read_text())["kernels"]
    assert list(k["cases"]) == [BUILT[1]]


def test_run_tests_sh_unknown_version_exit_2():
    cp = subprocess.run([str(TOP / "run_tests.sh"), "--kernel", "6.5"], cwd=TOP,
                        capture_output=True, text=True, timeout=600)
    assert cp.returncode == 2
    assert cp.stderr.strip().splitlines()[-1] == \
        "run_tests.sh: no Debian cloud-amd64 kernel package matches '6.5' (see --list-kernels)"
