"""The stress tier (cases/stress, docs/stress.md): never in the default selection, the only
thing --stress selects, and its guests boot with at least 2 vCPUs (the races need two CPUs;
a stress case on one CPU skips, which the verdict calls a regression)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from runner.core.errors import UsageError
from runner.run import preflight
from runner.run.kernel_run import STRESS_SMP, Options, stress_options
from runner.testing.fakes import FAKE, fake_bzimage

TOP = Path(__file__).resolve().parents[3]
STRESS = sorted(p.stem for p in (TOP / "cases" / "stress").glob("*.c"))
OTHERS = sorted(p.stem for p in (TOP / "cases").glob("*/*.c") if p.parent.name != "stress")
BUILT = all((TOP / "build" / "bin" / c).is_file() for c in STRESS + ["provide_res_zero"])
needs_build = pytest.mark.skipif(not BUILT, reason="no case binaries built (run make)")


def runner(*args, env=None, timeout=120):
    e = dict(os.environ, **(env or {}))
    e.pop("UBC_STRESS_SECONDS", None)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=TOP, capture_output=True,
                          text=True, timeout=timeout, env=e)


def test_there_are_stress_cases_and_others():
    assert len(STRESS) >= 5 and all(c.startswith("stress_") for c in STRESS)
    assert OTHERS


def test_the_default_selection_has_no_stress_case():
    default = preflight.select_cases([])
    assert default == OTHERS
    assert not set(default) & set(STRESS)
    assert preflight.all_cases() == OTHERS


def test_stress_selects_only_the_stress_cases():
    assert preflight.select_cases([], stress=True) == STRESS
    assert preflight.select_cases(["stress_m*"], stress=True) == \
        [c for c in STRESS if c.startswith("stress_m")]


def test_a_stress_case_by_name_without_stress_says_how():
    with pytest.raises(UsageError, match="with --stress"):
        preflight.select_cases([STRESS[0]])
    with pytest.raises(UsageError, match="without --stress"):
        preflight.select_cases([OTHERS[0]], stress=True)


def test_list_on_the_command_line():
    plain = runner("--list")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.split() == OTHERS
    stress = runner("--stress", "--list")
    assert stress.returncode == 0, stress.stderr
    assert stress.stdout.split() == STRESS


def test_stress_seconds_is_validated_and_needs_stress():
    cp = runner("--stress", "--stress-seconds", "0", "--list")
    assert cp.returncode == 2 and "--stress-seconds" in cp.stderr
    cp = runner("--stress-seconds", "3", "--list")
    assert cp.returncode == 2 and "goes with --stress" in cp.stderr
    cp = runner("--stress", "--list", env={"UBC_STRESS_SECONDS": "x"})
    assert cp.returncode == 2 and "UBC_STRESS_SECONDS" in cp.stderr


def test_stress_options_boot_two_vcpus_at_least():
    assert STRESS_SMP >= 2
    o = stress_options(Options(smp=1))
    assert o.smp >= 2
    assert stress_options(Options(smp=4)).smp == 4
    # The default duration: nothing added to the guest's command line, the timeout kept.
    assert o.extra_append == "" and o.case_timeout == Options().case_timeout


def test_stress_seconds_reach_the_guest_and_the_timeout_fits():
    o = stress_options(Options(smp=1, case_timeout=120, extra_append="x=1"), 90)
    assert "UBC_STRESS_SECONDS=90" in o.extra_append.split() and "x=1" in o.extra_append
    assert o.case_timeout >= 2 * 90 + 60


def _boot_command(tmp_path, *args) -> str:
    """The QEMU command line of a run (the fake QEMU prints nothing: the run is not run)."""
    img = fake_bzimage(tmp_path / "bzImage")
    cp = runner("--kernel", str(img), "--accel", "tcg", "--no-build", "--results",
                str(tmp_path / "res"), *args, env={"UBC_QEMU": str(FAKE / "qemu"),
                                                   "FAKE_QEMU": "silent"})
    assert cp.returncode == 3, cp.stdout[-2000:] + cp.stderr
    log = next((tmp_path / "res").glob("*/console.log")).read_text()
    m = re.search(r"^### ubc-runner: boot 1, .*: (.*)$", log, re.M)
    assert m, log
    return m.group(1)


@needs_build
def test_a_stress_run_boots_its_guests_with_two_vcpus(tmp_path):
    cmd = _boot_command(tmp_path, "--stress", "--stress-seconds", "3")
    assert re.search(r" -smp ([0-9]+) ", cmd) and int(re.search(r" -smp ([0-9]+) ", cmd).group(1)) >= 2
    assert "UBC_STRESS_SECONDS=3" in cmd


@needs_build
def test_a_default_run_boots_as_before(tmp_path):
    # One vCPU per host core over -j (two cores, one kernel: two), one case per vCPU at once.
    cmd = _boot_command(tmp_path, "provide_res_zero")
    n = max(1, os.cpu_count() or 1)
    assert f" -smp {n} " in cmd and "UBC_STRESS_SECONDS" not in cmd
    assert (f"ubc.jobs={n}" in cmd) == (n > 1) and ("thread=multi" in cmd) == (n > 1)


@needs_build
def test_one_guest_cpu_boots_as_before_cases_at_once(tmp_path):
    cmd = _boot_command(tmp_path, "--guest-cpus", "1", "provide_res_zero")
    assert " -smp 1 " in cmd and "ubc.jobs" not in cmd and " -accel tcg " in cmd
