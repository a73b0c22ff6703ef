"""make kselftest-install, kselftest-tar and overlay end to end on this machine's kernel.

The installed collection is run by the kernel's own run_kselftest.sh (-c uring_buffer), its
output read by runner.kselftest (the suite's KTAP reader behind it), and every case's
status and nested results compared with the suite's own run of the same binaries
(build/bin/run-cases.sh). Needs the build (make); the host runs ~114 cases twice (~10 s).
"""
import collections
import re
import subprocess
import tarfile
from pathlib import Path

import pytest

from runner.kselftest import COLLECTION, outcomes, parse_kselftest
from runner.ktap import parse_console

TOP = Path(__file__).resolve().parents[3]
BIN = TOP / "build" / "bin"
MULTI = TOP / "build" / "multi" / "ubc-cases"
# The default selection's cases: the stress tier is not in the collection (docs/stress.md).
BUILT = sorted(p.name for p in BIN.glob("*") if p.name != "run-cases.sh"
               and not (TOP / "cases" / "stress" / f"{p.name}.c").exists()) if BIN.is_dir() else []
RUN_CASES = TOP / "runner" / "guest" / "run-cases.sh"
pytestmark = pytest.mark.skipif(len(BUILT) < 2 or not MULTI.is_file(),
                                reason="no case binaries built (run make)")


def make(*args):
    cp = subprocess.run(["make", "-s", "--no-print-directory", *args], cwd=TOP,
                        capture_output=True, text=True, timeout=1800)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    return cp


def extract(tf: tarfile.TarFile, dest: Path) -> None:
    """Extract as tar(1) would (symlinks kept), with Python's tar filter where it has one."""
    if hasattr(tarfile, "tar_filter"):
        tf.extractall(dest, filter="tar")
    else:
        tf.extractall(dest)


def default_timeout() -> int:
    m = re.search(r"^timeout_s=\$\{UBC_CASE_TIMEOUT:-(\d+)\}$", RUN_CASES.read_text(), re.M)
    return int(m.group(1))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    dest = tmp_path_factory.mktemp("kselftest")
    make("kselftest-install", f"INSTALL_PATH={dest}")
    return dest


@pytest.fixture(scope="module")
def kernel_runner_output(installed):
    # Through a pipe, as LKFT (| tee) and every CI reads it: the kernel's runner appends each
    # test's output to /dev/stdout, which in a file opened without O_APPEND is overwritten.
    cp = subprocess.run([str(installed / "run_kselftest.sh"), "-c", COLLECTION],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=1800)
    assert cp.stderr == "", cp.stderr
    return cp.stdout


@pytest.fixture(scope="module")
def own_run():
    cp = subprocess.run(["sh", str(BIN / "run-cases.sh"), *(str(BIN / c) for c in BUILT)],
                        capture_output=True, text=True, timeout=1800)
    assert cp.returncode in (0, 1), cp.stderr
    run = parse_console(cp.stdout, BUILT)
    assert run.complete and not run.errors, run.errors
    return run


def test_layout(installed):
    runner = Path(subprocess.run([str(TOP / "scripts" / "get-kselftest-runner")], check=True,
                                 capture_output=True, text=True).stdout.strip())
    assert (installed / "run_kselftest.sh").read_bytes() == (runner / "run_kselftest.sh").read_bytes()
    for f in (runner / "kselftest").iterdir():
        assert (installed / "kselftest" / f.name).read_bytes() == f.read_bytes()
    # What run_kselftest.sh sources, and the prefix filter runner.sh runs, are there.
    script = (installed / "run_kselftest.sh").read_text()
    for sourced in re.findall(r"^\s*\.\s+\./(\S+)", script, re.M):
        assert (installed / sourced).is_file(), sourced
    assert (installed / "kselftest" / "prefix.pl").stat().st_mode & 0o111
    col = installed / COLLECTION
    assert (col / "ubc-cases").read_bytes() == MULTI.read_bytes()
    for c in BUILT:
        assert (col / c).is_symlink() and str((col / c).readlink()) == "ubc-cases", c
    assert sorted(p.name for p in col.iterdir()) == sorted(BUILT + ["settings", "ubc-cases", "versions.txt"])
    assert (col / "settings").read_text() == f"timeout={default_timeout()}\n"
    listed = [f"{COLLECTION}:{c}" for c in BUILT]
    assert (installed / "kselftest-list.txt").read_text().splitlines() == listed
    cp = subprocess.run([str(installed / "run_kselftest.sh"), "-l"], capture_output=True, text=True)
    assert cp.stdout.splitlines() == listed


def test_install_keeps_a_kernels_kselftest_install(tmp_path):
    # Into a kernel's own kselftest install: its runner and its other collections stay.
    (tmp_path / "kselftest").mkdir()
    (tmp_path / "run_kselftest.sh").write_text("#!/bin/sh\n# the kernel's\n")
    (tmp_path / "kselftest" / "runner.sh").write_text("# the kernel's\n")
    (tmp_path / "kselftest-list.txt").write_text(f"net:a\n{COLLECTION}:gone\nsize:b\n")
    make("kselftest-install", f"INSTALL_PATH={tmp_path}")
    assert (tmp_path / "run_kselftest.sh").read_text() == "#!/bin/sh\n# the kernel's\n"
    assert (tmp_path / "kselftest-list.txt").read_text().splitlines() == \
        ["net:a", "size:b"] + [f"{COLLECTION}:{c}" for c in BUILT]


def test_the_kernels_runner_gives_the_suites_results(kernel_runner_output, own_run):
    out = kernel_runner_output
    run = parse_kselftest(out, BUILT)
    assert run.complete and not run.errors, run.errors
    # Every case present: run by the kernel's runner, under its own name.
    assert list(run.cases) == BUILT
    for i, c in enumerate(BUILT, 1):
        assert f"\n# selftests: {COLLECTION}: {c}\n" in out
        assert re.search(rf"^(not )?ok {i} selftests: {COLLECTION}: {c}( #.*)?$", out, re.M), c
    # Skips as "# SKIP": a skipped case shows its skips on its nested "# ok N ... # SKIP" lines
    # (the harness exits 0 when every test skipped) or on the runner's own line (exit 4).
    sections = re.split(rf"^# selftests: {COLLECTION}: ", out, flags=re.M)[1:]
    for section in sections:
        name = section.split("\n", 1)[0]
        skipped = re.search(r"^# ok \d+ .*# SKIP|^ok \d+ selftests: .*# SKIP", section, re.M)
        if run.cases[name].status == "skip":
            assert skipped, name
    # The same per-case verdicts, nested results and counts as the suite's own run.
    ks, own = outcomes(run), outcomes(own_run)
    assert ks == own, {c: (ks[c], own.get(c)) for c in ks if ks[c] != own.get(c)}
    for c in BUILT:
        assert [(s.name, s.status) for s in run.cases[c].subtests] == \
            [(s.name, s.status) for s in own_run.cases[c].subtests], c
    assert run.summary == own_run.summary
    counts = collections.Counter(ks.values())
    print(f"\n{len(BUILT)} cases; run_kselftest.sh: {dict(counts)} {run.summary}; "
          f"run-cases.sh: {dict(collections.Counter(own.values()))} {own_run.summary}")


def test_kselftest_tar(tmp_path):
    make("kselftest-tar", f"INSTALL_PATH={tmp_path / 'install'}")
    tar = tmp_path / "install" / "kselftest-packages" / "kselftest.tar.gz"
    with tarfile.open(tar) as tf:
        members = {m.name: m for m in tf.getmembers()}
        extract(tf, tmp_path / "x")
    for name in ("./run_kselftest.sh", "./kselftest/runner.sh", "./kselftest-list.txt",
                 f"./{COLLECTION}/settings", f"./{COLLECTION}/ubc-cases"):
        assert members[name].isfile(), name
    for c in BUILT:
        m = members[f"./{COLLECTION}/{c}"]
        assert m.issym() and m.linkname == "ubc-cases"
    assert not any("kselftest-packages" in n for n in members)
    cp = subprocess.run([str(tmp_path / "x" / "run_kselftest.sh"), "-l"], capture_output=True, text=True)
    assert cp.stdout.splitlines() == [f"{COLLECTION}:{c}" for c in BUILT]


def test_overlay_layout_and_run(tmp_path, own_run):
    out = tmp_path / "overlay.tar.xz"
    make("overlay", f"OVERLAY={out}")
    with tarfile.open(out) as tf:
        members = {m.name: m for m in tf.getmembers()}
        extract(tf, tmp_path / "root")
    assert all(n == "uring_buffer" or n.startswith("uring_buffer/") for n in members)
    assert sorted(n for n in members if n.startswith("uring_buffer/bin/")) == \
        [f"uring_buffer/bin/{c}" for c in BUILT]
    for c in BUILT:
        assert members[f"uring_buffer/bin/{c}"].linkname == "../ubc-cases"
    root = tmp_path / "root" / "uring_buffer"
    assert (root / "run-cases.sh").read_bytes() == RUN_CASES.read_bytes()
    assert (root / "ubc-cases").read_bytes() == MULTI.read_bytes()
    # The command the docs give TuxRun, run here: every case, the same results.
    cp = subprocess.run([str(root / "run.sh")], capture_output=True, text=True, timeout=1800)
    run = parse_console(cp.stdout, BUILT)
    assert run.complete and not run.errors, run.errors
    assert outcomes(run) == outcomes(own_run)
    assert cp.returncode == (0 if run.summary[1] == 0 else 1)
    assert any(line.startswith("# liburing") for line in run.banner)
