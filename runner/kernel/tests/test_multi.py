"""The multi-call binary make builds (build/multi/ubc-cases, harness/multi/main.c): every case
in it once, build/bin/<name> a symlink to it, the case chosen by the basename of argv[0]."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[3]
BUILD = TOP / "build"
MULTI = BUILD / "multi" / "ubc-cases"
CASES = sorted(p.stem for p in TOP.glob("cases/*/*.c"))
pytestmark = pytest.mark.skipif(not MULTI.is_file(), reason="no multi-call binary built (run make)")


def test_every_case_is_in_it_and_linked_from_bin():
    listed = subprocess.run([str(MULTI), "--list"], capture_output=True, text=True, check=True).stdout
    assert listed.split() == CASES
    for c in CASES:
        b = BUILD / "bin" / c
        assert b.is_symlink() and os.readlink(b) == "../multi/ubc-cases" and b.resolve() == MULTI.resolve()


def test_the_case_is_the_basename_of_argv0(tmp_path):
    """Anywhere, under any folder: the guest runs /ubc/bin/<name> -> ../multi/ubc-cases."""
    link = tmp_path / "some" / "dir" / "provide_res_zero"
    link.parent.mkdir(parents=True)
    link.symlink_to(MULTI)
    by_link = subprocess.run([str(link)], capture_output=True, text=True, timeout=60)
    by_arg = subprocess.run([str(MULTI), "provide_res_zero"], capture_output=True, text=True, timeout=60)
    assert by_link.stdout.startswith("TAP version 13\n1..")
    assert "provide_res." in by_link.stdout
    assert (by_link.returncode, by_link.stdout) == (by_arg.returncode, by_arg.stdout)


def test_an_unknown_name_is_one_line_and_exit_2(tmp_path):
    link = tmp_path / "no_such_case"
    link.symlink_to(MULTI)
    cp = subprocess.run([str(link), "-l"], capture_output=True, text=True, timeout=60)
    assert cp.returncode == 2 and cp.stdout == ""
    assert cp.stderr.count("\n") == 1 and "no_such_case" in cp.stderr
    cp = subprocess.run([str(MULTI)], capture_output=True, text=True, timeout=60)
    assert cp.returncode == 2 and cp.stdout == "" and cp.stderr.count("\n") == 1


@pytest.mark.skipif(not shutil.which("nm"), reason="nm (binutils) not installed")
def test_a_case_object_exports_only_its_main():
    """The harness defines the same globals in every case (__active_test, __run_test,
    <fixture>_setup, ...): make leaves each object only ubc_main_<name> global."""
    objs = [BUILD / "obj" / f"{c}.o" for c in CASES]     # (a removed case's may linger)
    assert all(o.is_file() for o in objs)
    out = subprocess.run(["nm", "-g", "--defined-only", *map(str, objs)], capture_output=True,
                         text=True, check=True).stdout
    current, exported = None, {}
    for line in out.splitlines():
        if line.endswith(".o:"):
            current = Path(line[:-1]).stem
        elif line.strip():
            exported.setdefault(current, []).append(line.split()[-1])
    assert exported == {c: [f"ubc_main_{c}"] for c in CASES}


@pytest.mark.skipif(not shutil.which("readelf"), reason="readelf (binutils) not installed")
def test_only_the_chosen_case_constructors_run_at_start():
    """The harness's TEST_F constructors mmap a page each: glibc must not run all cases'
    at every exec. scripts/multi-obj moved them to ubc_init_<name>_<k> (the dispatcher runs
    the chosen case's); .init_array keeps only glibc's and the helpers' own."""
    out = subprocess.run(["readelf", "-SW", str(MULTI)], capture_output=True, text=True, check=True).stdout
    sizes = {m.group(1): int(m.group(2), 16) for m in re.finditer(
        r"^\s*\[\s*\d+\]\s+(\S+)\s+[A-Z_]+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)", out, re.M)}
    assert sizes.get(".init_array", 0) // 8 < 8
    assert not any(s.startswith((".fini_array.", ".ctors", ".dtors")) for s in sizes)
    with_init = {s.rsplit("_", 1)[0][len("ubc_init_"):] for s in sizes if s.startswith("ubc_init_")}
    assert with_init == set(CASES)      # every case registers its tests in a constructor
