"""End to end, cases at once: one real boot of 7.3 (UBC_E2E_KERNELS' last kernel) with two
vCPUs runs two cases at a time, with the test-only guest cases that panic the kernel
(crash_sysrq), taint it (taint_user) and put a WARNING on the console (warn_kmsg) among real
cases. Each is blamed exactly: the panic and the WARNING name their task, the taint change is
seen while two cases ran and is settled by running them again alone."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runner.kernel import qemu
from runner.testing.fakes import GUEST_CASES

TOP = Path(__file__).resolve().parents[3]
KERNELS = os.environ.get("UBC_E2E_KERNELS", "6.1 7.3").split()
REAL = ["bufring_add_offset", "bufring_available", "clone_lifetime", "provide_res_zero",
        "regbuf_tag_on_update"]
TEST_ONLY = ["crash_sysrq", "taint_user", "warn_kmsg"]

pytestmark = [
    pytest.mark.skipif(KERNELS == ["none"], reason="UBC_E2E_KERNELS=none"),
    pytest.mark.skipif(not shutil.which(qemu.QEMU), reason=f"{qemu.QEMU} not installed"),
    pytest.mark.skipif(not all((TOP / "build" / "bin" / c).exists() for c in REAL),
                       reason="no case binaries built (run make)"),
]


@pytest.fixture(scope="module")
def parallel_run(tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    extra = [a for c in TEST_ONLY for a in ("--extra-binary", str(GUEST_CASES / c))]
    cp = subprocess.run([sys.executable, "-m", "runner", "--no-build", "--results", str(results),
                         "--kernel", KERNELS[-1], "--guest-cpus", "2", *extra, *REAL],
                        cwd=TOP, capture_output=True, text=True, timeout=1800)
    summary = json.loads((results / "summary.json").read_text())
    return cp, results, summary["kernels"][0]


def test_each_report_is_blamed_on_the_case_that_caused_it(parallel_run):
    cp, results, k = parallel_run
    cases = k["cases"]
    assert cases["crash_sysrq"]["status"] == "crash" and "sysrq" in cases["crash_sysrq"]["reason"]
    assert cases["warn_kmsg"]["status"] == "fail" and "kernel warning" in cases["warn_kmsg"]["reason"]
    assert cases["taint_user"]["status"] == "fail"
    assert "taint changed: 0 -> 64 after taint_user" in cases["taint_user"]["reason"]
    wrong = {n: (cases[n]["status"], cases[n]["reason"]) for n in REAL
             if cases[n]["status"] not in ("pass", "skip") or "kernel" in cases[n]["reason"]}
    assert not wrong, wrong
    log = (results / k["console_log"]).read_text()
    assert "ubc.jobs=2" in log and "# parallel: 2" in log and "thread=multi" in log


def test_only_the_task_of_a_report_is_named_by_its_events(parallel_run):
    _, _, k = parallel_run
    named = {e["kind"]: e["case"] for e in k["events"] if e["case"]}
    assert named.get("panic") == "crash_sysrq" and named.get("warning") == "warn_kmsg"
