"""The collection under the kernel's runner in a guest with only busybox (runner/kselftest/guest.py).

data/guest61_kselftest.console.gz is the console of one such boot: `python3 -m
runner.kselftest.guest` on Debian's 6.1.0-50-cloud-amd64 (6.1.176-1) under TCG, 2026-12-03,
143 s: run_kselftest.sh -c uring_buffer, then run-cases.sh over the same binaries. On 6.1 44
cases skip (their features came later), so it shows how the kernel's runner prints skips.
UBC_KSELFTEST_KERNEL=/path/to/vmlinuz boots one again (~2.5 min under TCG).
"""
import collections
import gzip
import os
import re
import subprocess
from pathlib import Path

import pytest

from runner.kernel.initramfs import parse_cpio
from runner.kselftest import COLLECTION, outcomes, parse_kselftest, to_suite_ktap
from runner.kselftest.guest import boot_command, split
from runner.ktap import parse_console

TOP = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data"
MULTI = TOP / "build" / "multi" / "ubc-cases"
KERNEL = os.environ.get("UBC_KSELFTEST_KERNEL")


def compare(console: str):
    """The two runs of one boot: (run_kselftest.sh's run, run-cases.sh's run), checked equal."""
    ks_text, own_text = split(console)
    own = parse_console(own_text)
    cases = list(own.cases)
    ks = parse_kselftest(ks_text, cases)
    assert own.complete and ks.complete and not ks.errors, ks.errors
    assert outcomes(ks) == outcomes(own)
    for c in cases:
        assert [(s.name, s.status) for s in ks.cases[c].subtests] == \
            [(s.name, s.status) for s in own.cases[c].subtests], c
    assert ks.summary == own.summary
    return ks_text, ks, own


def test_real_6_1_guest_run_equals_the_suites_own():
    with gzip.open(DATA / "guest61_kselftest.console.gz", "rt", newline="") as f:
        ks_text, ks, own = compare(f.read())
    assert own.release == "6.1.0-50-cloud-amd64"
    assert len(ks.cases) == 114
    assert collections.Counter(outcomes(ks).values()) == {"pass": 66, "skip": 44, "fail": 4}
    assert ks.summary == (220, 4, 132)
    # The harness exits 0 when every test skipped: the kernel's runner says a plain "ok" and
    # the skips are on the nested lines; the suite's reading marks the case skipped.
    ktap = to_suite_ktap(ks_text)
    clone = ks.cases["clone_lifetime"]
    assert clone.status == "skip" and clone.reason.startswith("IORING_REGISTER_CLONE_BUFFERS absent")
    assert re.search(r"^ok \d+ selftests: uring_buffer: clone_lifetime$", ks_text, re.M)
    assert re.search(r"^# ok 1 clone\.\S+ # SKIP IORING_REGISTER_CLONE_BUFFERS absent", ks_text, re.M)
    assert re.search(r"^ok \d+ clone_lifetime # SKIP IORING_REGISTER_CLONE_BUFFERS absent", ktap, re.M)
    assert not re.search(r"^ok \d+ selftests: .*# SKIP", ks_text, re.M)
    for name, case in ks.cases.items():
        if case.status == "skip":
            assert all(s.status == "skip" for s in case.subtests), name


@pytest.mark.skipif(not MULTI.is_file(), reason="no case binaries built (run make)")
def test_initramfs(tmp_path):
    install = tmp_path / "install"
    subprocess.run(["make", "-s", "--no-print-directory", "kselftest-install",
                    f"INSTALL_PATH={install}"], cwd=TOP, check=True, capture_output=True)
    (install / "kselftest-packages").mkdir()
    (install / "kselftest-packages" / "kselftest.tar.gz").write_bytes(b"")
    cmd = boot_command(Path("/no/such/vmlinuz"), install)
    assert cmd[cmd.index("-initrd") + 1] == str(tmp_path / "kselftest-guest.cpio")
    entries = {name: (mode, body) for name, mode, body in
               parse_cpio((tmp_path / "kselftest-guest.cpio").read_bytes())}
    init = entries["init"][1].decode()
    assert "ln -s /proc/self/fd/1 /dev/stdout" in init
    assert "/kselftest/run_kselftest.sh -c uring_buffer\n" in init
    assert entries["kselftest/run_kselftest.sh"][1] == (install / "run_kselftest.sh").read_bytes()
    assert entries[f"kselftest/{COLLECTION}/ubc-cases"][1] == MULTI.read_bytes()
    links = {n: b.decode() for n, (m, b) in entries.items()
             if n.startswith(f"kselftest/{COLLECTION}/") and m & 0o170000 == 0o120000}
    listed = (install / "kselftest-list.txt").read_text().split()
    assert sorted(links) == sorted(f"kselftest/{c.replace(':', '/')}" for c in listed)
    assert set(links.values()) == {"ubc-cases"}
    assert not any("kselftest-packages" in n for n in entries)


@pytest.mark.skipif(not KERNEL, reason="UBC_KSELFTEST_KERNEL=/path/to/vmlinuz boots one")
@pytest.mark.skipif(not MULTI.is_file(), reason="no case binaries built (run make)")
def test_boot(tmp_path):
    install = tmp_path / "install"
    subprocess.run(["make", "-s", "--no-print-directory", "kselftest-install",
                    f"INSTALL_PATH={install}"], cwd=TOP, check=True, capture_output=True)
    cp = subprocess.run(boot_command(Path(KERNEL), install), capture_output=True, text=True,
                        stdin=subprocess.DEVNULL, timeout=1800)
    assert cp.returncode == 0, cp.stderr
    compare(cp.stdout)
