"""End to end: boot real Debian kernels in QEMU with the built cases (what `make check` and
`.ci/run` rely on to prove the matrix works). Kernels: UBC_E2E_KERNELS (default "6.1 7.3";
"none" skips these tests). The first run downloads each kernel once (~15 MB for the cloud
flavour); a TCG boot takes 5-15 s on an idle 2-core machine.

Also proves that a kernel panic (runner/testing/guest/crash_sysrq) and a VM killed mid-run are
reported as a failure of the case that was running, with every other result kept, and that a
case which says ok but taints the kernel (runner/testing/guest/taint_user) fails.
"""
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from runner.testing.fakes import GUEST_CASES
from runner.judge.expected import load_expectations
from runner.kernel import qemu
from runner.kernel.initramfs import Initramfs
from runner.run.kernel_run import KernelRun, Options
from runner.run.preflight import all_cases

TOP = Path(__file__).resolve().parents[3]
EXP = load_expectations(TOP / "expected")
CRASH_CASE = GUEST_CASES / "crash_sysrq"
TAINT_CASE = GUEST_CASES / "taint_user"
KERNELS = os.environ.get("UBC_E2E_KERNELS", "6.1 7.3").split()
# The default selection's binaries (the stress tier's run only with --stress: docs/stress.md).
BUILT = sorted(p.name for p in (TOP / "build" / "bin").glob("*")
               if p.name != "run-cases.sh" and p.name in set(all_cases())) \
    if (TOP / "build" / "bin").is_dir() else []

pytestmark = [
    pytest.mark.skipif(KERNELS == ["none"], reason="UBC_E2E_KERNELS=none"),
    pytest.mark.skipif(not shutil.which(qemu.QEMU), reason=f"{qemu.QEMU} not installed"),
    pytest.mark.skipif(not BUILT, reason="no case binaries built (run make)"),
]


@pytest.fixture(scope="module")
def matrix_run(tmp_path_factory):
    """Two `python3 -m runner` at the same moment on one EMPTY cache (a missing download
    step or a race in the cache fails here): one over the e2e kernels with every built case
    plus the crash and taint cases, the other over the same kernels with two cases. Both
    boot two kernels in parallel. UBC_E2E_CACHE=warm uses the user's cache instead."""
    results = tmp_path_factory.mktemp("results")
    other = tmp_path_factory.mktemp("results-other")
    env = dict(os.environ)
    if os.environ.get("UBC_E2E_CACHE") != "warm":
        env["UBC_CACHE"] = str(tmp_path_factory.mktemp("empty-cache"))
    kargs = [a for k in KERNELS for a in ("--kernel", k)]
    args = [sys.executable, "-m", "runner", "--no-build", "--results", str(results), "-j", "2",
            "--extra-binary", str(CRASH_CASE), "--extra-binary", str(TAINT_CASE), *kargs]
    args2 = [sys.executable, "-m", "runner", "--no-build", "--results", str(other), "-j", "2",
             *kargs, "provide_res_zero", "clone_src_empty"]
    procs = [subprocess.Popen(a, cwd=TOP, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for a in (args, args2)]
    outs = [p.communicate(timeout=3000) for p in procs]
    cp = subprocess.CompletedProcess(args, procs[0].returncode, *outs[0])
    cp2 = subprocess.CompletedProcess(args2, procs[1].returncode, *outs[1])
    summary = json.loads((results / "summary.json").read_text())
    return cp, results, summary, cp2, other


def by_id(summary):
    return {k["id"]: k for k in summary["kernels"]}


def test_every_kernel_booted_and_every_case_has_a_result(matrix_run):
    cp, results, summary, _, _ = matrix_run
    assert cp.returncode == 1, cp.stdout[-3000:] + cp.stderr[-3000:]  # the crash case fails
    assert set(summary["run"]) == {"started", "qemu", "host_kernel", "versions", "mode",
                                   "interrupted", "exit_status", "outcome", "cases", "suite"}
    assert set(summary["run"]["suite"]) == {"version", "hash", "expected"}
    assert summary["run"]["exit_status"] == 1 and summary["run"]["outcome"] == "regression"
    assert any("liburing" in v for v in summary["run"]["versions"])
    assert any("busybox" in v for v in summary["run"]["versions"])
    kernels = by_id(summary)
    assert list(kernels) == KERNELS
    for kid, k in kernels.items():
        assert set(k) == {"id", "package", "package_version", "sha256", "release", "proc_version",
                          "accel", "accel_why", "boot_seconds", "seconds", "end_reason", "error",
                          "ran", "boots", "console_log", "ktap", "cases", "events", "arch"}
        assert k["ran"] and all("verdict" in c for c in k["cases"].values())
        assert k["package"].startswith(("linux-image-", "linux-binary-")) and len(k["sha256"]) == 64
        assert k["accel"] in ("tcg", "kvm") and k["boot_seconds"] > 0
        assert f"Debian {kid}." in k["proc_version"], k["proc_version"]
        assert (results / k["console_log"]).is_file()
        assert set(k["cases"]) == set(BUILT) | {"crash_sysrq", "taint_user"}
        notrun = {n: c for n, c in k["cases"].items() if c["status"] == "notrun"}
        assert not notrun, f"{kid}: {notrun}"
        assert f"[{kid}] booting" in cp.stdout and f"[{kid}] {k['release']}:" in cp.stdout
    assert "kernel matrix" in cp.stdout


def test_a_second_run_on_the_same_empty_cache_succeeds(matrix_run):
    *_, cp2, other = matrix_run
    assert cp2.returncode == 0, cp2.stdout[-3000:] + cp2.stderr[-3000:]
    s = json.loads((other / "summary.json").read_text())
    assert [k["id"] for k in s["kernels"]] == KERNELS
    for k in s["kernels"]:
        assert {n: c["status"] for n, c in k["cases"].items()} == \
            {"provide_res_zero": "pass", "clone_src_empty": "skip" if k["id"] == "6.1" else "pass"}
    assert s["run"]["exit_status"] == 0


def test_panic_mid_run_is_that_case_only(matrix_run):
    _, results, summary, _, _ = matrix_run
    for kid, k in by_id(summary).items():
        crash = k["cases"]["crash_sysrq"]
        assert crash["status"] == "crash", (kid, crash)
        assert "panic" in crash["reason"] and "sysrq" in crash["reason"], crash["reason"]
        assert k["end_reason"] == "panic" and k["boots"] == 2
        after = [n for n in BUILT if n > "crash_sysrq"]
        if after:  # ran in the second boot, with results of their own
            assert all(k["cases"][n]["status"] in ("pass", "fail", "skip") for n in after), kid
        log = (results / k["console_log"]).read_text()
        assert "Kernel panic - not syncing: sysrq triggered crash" in log
        assert "boot 2," in log


def test_junit_has_one_testcase_per_kernel_and_case(matrix_run):
    _, results, summary, _, _ = matrix_run
    root = ET.parse(results / "junit.xml").getroot()
    cases = root.iter("testcase")
    names = {(c.get("classname"), c.get("name")) for c in cases}
    assert len(names) == len(KERNELS) * (len(BUILT) + 2)
    failed = [c for c in root.iter("testcase") if c.find("failure") is not None and c.get("name") == "crash_sysrq"]
    assert len(failed) == len(KERNELS)
    assert "sysrq triggered crash" in failed[0].find("failure").get("message", "") + (failed[0].find("failure").text or "")


def test_taint_during_a_case_fails_it(matrix_run):
    _, _, summary, _, _ = matrix_run
    for kid, k in by_id(summary).items():
        t = k["cases"]["taint_user"]
        assert t["status"] == "fail" and "taint changed: 0 -> 64 after taint_user" in t["reason"], (kid, t)
        assert [s["status"] for s in t["subtests"]] == ["pass"]  # its own KTAP said ok


@pytest.mark.skipif("6.1" not in KERNELS, reason="6.1 not in UBC_E2E_KERNELS")
def test_clone_cases_skip_on_61_with_a_reason(matrix_run):
    _, _, summary, _, _ = matrix_run
    k = by_id(summary)["6.1"]
    clone = {n: c for n, c in k["cases"].items() if n.startswith("clone_")}
    wrong = {n: (c["status"], c["reason"]) for n, c in clone.items()
             if c["status"] != "skip" or "absent" not in c["reason"]}
    assert not wrong, wrong


def test_vm_killed_from_outside_is_a_host_fault_not_a_kernel_crash(tmp_path, monkeypatch):
    """Kill QEMU with SIGKILL when the second case starts: that is the host's doing, not the
    kernel's. The case the kill cut short is 'notrun' (never a crash, never a pass), the cases
    before it keep their results, the rest are 'notrun', nothing boots again, and the kernel's
    end reason names the signal. On a cold cache the accelerator probe boots first through the
    same qemu.run, so the kill goes to the first boot that reaches the second case. The runner
    reads what QEMU wrote before it died, so on a busy machine the second case may have finished
    in the pipe before the kill landed: the cut case is the first one without a result."""
    cases = BUILT[:8]
    real_run = qemu.run
    killed = []  # the accelerator probe (on a cold cache) also goes through qemu.run
    boots_after_kill = []

    def killing_run(cmd, deadline, silence, on_line=None, log=None, on_spawn=None, **kw):
        procs = []
        if killed:
            boots_after_kill.append(cmd)

        def watch(line):
            if not killed and line.strip() == f"# Subtest: {cases[1]}":
                killed.append(line)
                procs[0].kill()
            if on_line:
                on_line(line)
        return real_run(cmd, deadline, silence, on_line=watch, log=log, on_spawn=procs.append, **kw)
    monkeypatch.setattr(qemu, "run", killing_run)
    opts = Options()
    kr = KernelRun(KERNELS[-1], cases, opts, tmp_path / "out", Initramfs(opts, cases))
    kr.run()
    assert not kr.error, kr.error
    st = {n: kr.results[n].status for n in cases}
    ran = [n for n in cases if st[n] in ("pass", "fail", "skip")]
    assert ran == cases[:len(ran)] and 1 <= len(ran) < len(cases), st
    cut = cases[len(ran)]
    assert st[cut] == "notrun" and "killed by signal 9 on the host side" in kr.results[cut].reason, \
        kr.results[cut]
    assert all(st[n] == "notrun" for n in cases[len(ran):]), st
    assert not boots_after_kill
    assert kr.result_tree(tmp_path, {}).get("end_reason") == "qemu killed by signal 9"
    # Issue 18 row 9: what the host's fault kept from running is NOT RUN (exit 3), never a
    # regression of the kernel.
    from runner.core.status import Kind
    from runner.judge.verdict import judge
    v = judge(kr.release(), kr.proc_version(), kr.results[cut], EXP, never_ran=kr.never_ran)
    assert v.kind == Kind.NOT_RUN, v


def test_every_probe_decides_as_the_kernel_is(matrix_run):
    """Issue 22: the probe calls themselves, on real kernels. On each e2e kernel every
    feature newer than its release is proven absent by some skip (unless expected/ pins a
    backport there), and no feature its release has is ever reported absent."""
    import re
    from runner.core.versions import bound, compare, parse_version
    from runner.judge import features
    _, _, summary, _, _ = matrix_run
    for kid, k in by_id(summary).items():
        v = parse_version(k["release"], k["proc_version"])
        absent = set()
        for c in k["cases"].values():
            for reason in [c["reason"]] + [s["reason"] for s in c["subtests"]]:
                m = re.match(r"^(.*?) absent:", reason or "")
                if m:
                    absent.add(m.group(1))
        for name, since in features.load().items():
            newer = compare(v, bound(since)) < 0
            if newer and not EXP.backported(name, v):
                assert name in absent, f"{kid}: no probe said {name} (since {since}) is absent"
            if not newer:
                assert name not in absent, f"{kid}: a probe said {name} is absent, since {since}"
