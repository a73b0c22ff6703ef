"""End to end under LAVA's real engine: lava-run (lava-dispatcher, `scripts/setup --lava`)
boots a Debian kernel with the suite's initramfs from the job `run_tests.sh lava-job` writes,
on a device dictionary for this machine's QEMU (TCG). LAVA's own results, read from its log
stream, must hold every case with the pass/fail/skip of the suite's raw run of the same
kernel; `run_tests.sh judge` must judge the log LAVA kept as it judges the local run's
console; and LAVA's verdict on a panic and on a hang (where lava-run exits 0 and passes the
job) must not read as a whole run.

Kernels: UBC_E2E_LAVA (default "7.3"; "none" skips these tests). Without lava-run set up,
the tests run `scripts/setup --lava` first when they run as root, and skip otherwise
(lava-run writes under /var/lib/lava, so it runs as root). One LAVA job at a time; each is
bounded by a timeout.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runner.kernel import qemu
from runner.kernel import resolve as kernels
from runner.kernel.initramfs import Initramfs
from runner.lab import lava, lava_log
from runner.run.kernel_run import Options
from runner.run.preflight import select_cases
from runner.testing.fakes import GUEST_CASES

TOP = Path(__file__).resolve().parents[3]
KERNELS = os.environ.get("UBC_E2E_LAVA", "7.3").split()
# The default selection's built cases (the stress tier runs only with --stress).
BUILT = sorted(c for c in select_cases([]) if (TOP / "build" / "bin" / c).exists())

pytestmark = [
    pytest.mark.skipif(KERNELS == ["none"], reason="UBC_E2E_LAVA=none"),
    pytest.mark.skipif(not shutil.which(qemu.QEMU), reason=f"{qemu.QEMU} not installed"),
    pytest.mark.skipif(not BUILT, reason="no case binaries built (run make)"),
]


@pytest.fixture(scope="module")
def inst():
    if os.geteuid() != 0:
        pytest.skip("lava-run runs as root (it writes under /var/lib/lava); run these as root")
    i = lava.install()
    if i is None:
        cp = subprocess.run([str(TOP / "scripts" / "setup"), "--lava"], cwd=TOP,
                            capture_output=True, text=True, timeout=1800)
        i = lava.install()
        assert i is not None, f"scripts/setup --lava failed (exit {cp.returncode}): {cp.stderr[-2000:]}"
    return i


def lava_job(inst, out: Path, spec: str, cases: list[str], extra=(), case_timeout=None,
             minutes: int = 20):
    """Write the job and device for `spec` with the suite's initramfs of `cases`, run
    lava-run, and read its log."""
    out.mkdir(parents=True, exist_ok=True)
    ramdisk = Initramfs(Options(extra_binaries=list(extra)), cases).get()
    kernel = kernels.resolve(spec)
    js = lava.JobSpec(lava.url(str(kernel.image), "kernel"), lava.url(str(ramdisk), "ramdisk"),
                      name=f"ubc-e2e-{spec}", minutes=minutes)
    if case_timeout:
        js.case_timeout = case_timeout
    (out / "job.yaml").write_text(lava.job_yaml(js))
    (out / "device.yaml").write_text(lava.device_yaml(accel="tcg"))
    r = lava.run(inst, out / "job.yaml", out / "device.yaml", out, job_id="1",
                 timeout=minutes * 60 + 120)
    assert not r.timed_out, f"lava-run ran past {minutes} minutes"
    return r, lava_log.read(r.log)


def runner(*args: str, timeout: int = 3000) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=TOP,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module", params=KERNELS)
def full(request, inst, tmp_path_factory):
    """One kernel: the whole suite under LAVA, and the suite's own raw run of it."""
    spec = request.param
    out = tmp_path_factory.mktemp(f"lava-{spec}")
    r, log = lava_job(inst, out / "lava", spec, BUILT)
    raw = runner("--kernel", spec, "--raw", "--no-build", "--results", str(out / "raw"), *BUILT)
    summary = json.loads((out / "raw" / "summary.json").read_text())
    return spec, out, r, log, raw, summary


def test_lava_lists_every_case_as_the_suites_raw_run_does(full):
    spec, out, r, log, raw, summary = full
    v = lava_log.verdict(log)
    assert r.exit_code == 0 and v.whole, v.why
    lava_said = log.results(lava.SUITE)
    assert sorted(lava_said) == BUILT
    (k,) = summary["kernels"]
    assert k["id"] == spec and k["ran"], raw.stderr[-2000:]
    suite = {n: c["status"] for n, c in k["cases"].items()}
    assert lava_log.compare(lava_said, suite) == []
    assert set(lava_said.values()) <= {"pass", "fail", "skip"}


def test_lava_log_agrees_with_the_suites_parse_of_its_console(full):
    _, _, r, _, _, _ = full
    cp = runner("lava-log", str(r.log), "--compare", timeout=120)
    assert cp.returncode == 0 and "agree on every case" in cp.stdout, cp.stdout + cp.stderr


def test_judge_of_lavas_log_is_the_judgement_of_the_local_run(full):
    """A lab's run is judged against expected/ like a local one: the same exit status and
    the same verdict for every case as the judge of the local run's console."""
    spec, out, r, _, _, summary = full
    console = out / "raw" / summary["kernels"][0]["console_log"]
    a = runner("judge", str(r.log), "--summary", str(out / "judged-lava.json"), timeout=120)
    b = runner("judge", str(console), "--summary", str(out / "judged-local.json"), timeout=120)
    assert a.returncode == b.returncode, a.stdout + b.stdout
    kinds = [{n: c["verdict"]["kind"] for n, c in
              json.loads((out / f).read_text())["kernels"][0]["cases"].items()}
             for f in ("judged-lava.json", "judged-local.json")]
    assert kinds[0] == kinds[1] and len(kinds[0]) == len(BUILT)
    extracted = runner("lava-log", str(r.log), timeout=120)
    assert extracted.returncode == 0
    (out / "console.log").write_text(extracted.stdout)
    c = runner("judge", str(out / "console.log"), timeout=120)
    assert c.returncode == a.returncode, c.stdout


def test_a_panic_is_not_a_pass(inst, tmp_path):
    """crash_sysrq panics the kernel: QEMU ends, LAVA calls it an Infrastructure error; the
    case before it keeps its result, the crash is the crashing case's, the run is not whole."""
    cases = ["bufring_add_offset", "regbuf_zero_length"]
    r, log = lava_job(inst, tmp_path, KERNELS[0], cases, [GUEST_CASES / "crash_sysrq"], minutes=10)
    v = lava_log.verdict(log)
    assert not v.whole and "Infrastructure" in v.why
    assert list(log.results(lava.SUITE)) == ["bufring_add_offset"]  # then the panic
    assert runner("lava-log", str(r.log), timeout=120).returncode == 3
    j = runner("judge", str(r.log), timeout=120)
    assert j.returncode == 1 and "crash_sysrq crash" in j.stdout and "INCOMPLETE" in j.stdout


def test_a_hang_passes_the_lava_job_but_not_the_suite(inst, tmp_path):
    """hang_console stops every process but init: nothing more comes on the console, LAVA's
    monitor times out (after the case timeout + 60 s), lava-run exits 0 and the job passes.
    The suite must not: lava-log exits 3, judge fails the hung case."""
    cases = ["bufring_add_offset"]
    r, log = lava_job(inst, tmp_path, KERNELS[0], cases, [GUEST_CASES / "hang_console"],
                      case_timeout=10, minutes=10)
    assert r.exit_code == 0 and log.job["result"] == "pass"
    v = lava_log.verdict(log)
    assert not v.whole and "timed out" in v.why
    assert runner("lava-log", str(r.log), timeout=120).returncode == 3
    j = runner("judge", str(r.log), timeout=120)
    assert j.returncode == 1 and "hang_console crash" in j.stdout
