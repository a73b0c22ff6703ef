"""`run_tests.sh kmutate` on a fake kernel tree (tests/fake/tree), a fake make that puts the
mutated sources into the bzImage it writes, and a fake QEMU that prints a passing, failing,
warning or panicking console by what that image holds. Every path: killed, survived,
unbuildable, unbootable, a WARN, the tree left exactly as it was (bytes and times), a mutant
restored when the run is interrupted during its build, a leftover backup restored on the next
start, the unmutated tree not building. No kernel is built or booted."""
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from runner.kmutate import apply as tree_apply
from runner.kmutate import coverage, mutants as mut, report
from runner.testing.fakes import FAKE, ONE_CASE, fake_bzimage, one_case_consoles, sigint_default

TOP = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent / "fake"
CASE = ONE_CASE
needs_build = pytest.mark.skipif(not (TOP / "build" / "bin" / CASE).is_file(),
                                 reason="no case binaries built (run make)")

_ONE = one_case_consoles("7.3.4-fake")
CONSOLES = {"PASS": _ONE["pass"], "FAIL": _ONE["fail"], "WARN": _ONE["warn"], "NOBOOT": _ONE["bootpanic"]}


def snapshot(tree: Path) -> dict:
    """Every file's bytes, mode and modification time."""
    out = {}
    for p in sorted(tree.rglob("*")):
        st = p.lstat()
        out[str(p.relative_to(tree))] = (p.read_bytes() if p.is_file() else b"", st.st_mode,
                                         st.st_mtime_ns)
    return out


@pytest.fixture
def tree(tmp_path):
    t = tmp_path / "linux"
    shutil.copytree(HERE / "tree", t)
    old = time.time() - 3600  # sources older than any object the fake make writes
    for p in t.rglob("*"):
        os.utime(p, (old, old))
    return t


def env_for(tmp_path, **extra):
    e = dict(os.environ)
    e.update({"PATH": f"{HERE / 'bin'}:{FAKE / 'bin'}:{e.get('PATH', '/usr/bin:/bin')}",
              "UBC_QEMU": str(HERE / "qemu"), "FAKE_QEMU_LOG": str(tmp_path / "qemu.log"),
              "FAKE_BZIMAGE": str(fake_bzimage(tmp_path / "bzImage")),
              "FAKE_MAKE_LOG": str(tmp_path / "make.log"),
              "UBC_KBUILD_DIR": str(tmp_path / "kbuild")})
    for kind, text in CONSOLES.items():
        f = tmp_path / f"console-{kind}.txt"
        f.write_text(text)
        e[f"FAKE_CONSOLE_{kind}"] = str(f)
    e.pop("PYTHONPATH", None)
    e.pop("KDIR", None)
    e.update({k: str(v) for k, v in extra.items()})
    return e


def cmd(tree, results, *args):
    return [str(TOP / "run_tests.sh"), "kmutate", "--tree", str(tree), "--accel", "tcg",
            "--no-build", "--case-timeout", "5", "-j", "1", "--results", str(results),
            "--no-hand", *args, CASE]


def kmutate(tmp_path, tree, *args, **extra):
    results = tmp_path / "results"
    cp = subprocess.run(cmd(tree, results, *args), capture_output=True, text=True, timeout=300,
                        env=env_for(tmp_path, **extra))
    recs = [json.loads(l) for l in (results / "results.jsonl").read_text().splitlines()] \
        if (results / "results.jsonl").exists() else []
    return cp, {r["id"]: r for r in recs}, results


# -- mutants ----------------------------------------------------------------------------------

def test_every_operator_on_the_fake_tree():
    ms = mut.generate(HERE / "tree")
    ops = {m.op for m in ms}
    assert ops == {"bound", "negate", "check", "errno", "flag", "loop"}, ops
    by = {(m.op, m.describe()) for m in ms}
    assert ("bound", "if (!tmp || tmp > MAX_BIDS_PER_BGID) return -E2BIG;  ->  "
            "if (!tmp || tmp >= MAX_BIDS_PER_BGID) return -E2BIG;") not in by  # the if line only
    assert any(op == "check" and "if ((!tmp || tmp > MAX_BIDS_PER_BGID) && 0)" in d for op, d in by)
    assert ("loop", "for (i = 0; i < pbuf->nbufs; i++)  ->  for (i = 0; i < (pbuf->nbufs) - 1; i++)") in by
    assert ("flag", "bl->flags |= IOBL_LEGACY;  ->  (removed)") in by
    assert ("errno", "return -EINVAL;  ->  return -EOVERFLOW;") in by
    for m in ms:  # the line count never changes, the text does
        text = (HERE / "tree" / m.file).read_text()
        new = m.apply_to(text)
        assert new != text and new.count("\n") == text.count("\n")
        assert m.function in ("io_provide_buffers_prep", "io_add_buffers")


def test_ids_unique_when_a_line_repeats(tmp_path):
    (tmp_path / "io_uring").mkdir()
    (tmp_path / "io_uring" / "kbuf.c").write_text(
        "int f(int a)\n{\n\tif (a)\n\t\treturn -EINVAL;\n\tif (a > 1) {\n"
        "\t\tif (a)\n\t\t\treturn -EINVAL;\n\t}\n\treturn 0;\n}\n")
    ms = mut.generate(tmp_path)
    assert len(ms) == len({m.id for m in ms}) == 5, [m.id for m in ms]  # 2 checks, 2 errnos, 1 bound


def test_sampling_is_seeded_and_sorted():
    a, pool = mut.select(HERE / "tree", 4, seed=7, hand=False)
    b, _ = mut.select(HERE / "tree", 4, seed=7, hand=False)
    assert [m.id for m in a] == [m.id for m in b] and len(a) == 4 and pool > 4
    assert [(m.file, m.line) for m in a] == sorted((m.file, m.line) for m in a)
    seeds = {tuple(m.id for m in mut.select(HERE / "tree", 4, seed=s, hand=False)[0]) for s in range(6)}
    assert len(seeds) > 1


def test_interleave_takes_the_files_in_turn():
    ms = [mut.Mutant(f"{f}{i}", f, "f", i, "bound", [], []) for f in ("a", "b") for i in (1, 2, 3)]
    ms.append(mut.Mutant("c1", "c", "f", 1, "bound", [], []))
    assert [m.id for m in mut.interleave(ms)] == ["a1", "b1", "c1", "a2", "b2", "a3", "b3"]


def test_hand_and_equivalent_lists(tmp_path):
    hand = tmp_path / "mutants.txt"
    hand.write_text("# x\nmutant io_uring/kbuf.c cap io_provide_buffers_prep\n"
                    "- tmp > MAX_BIDS_PER_BGID\n+ tmp >= MAX_BIDS_PER_BGID\n")
    ms = mut.read_hand(HERE / "tree", hand)
    assert [m.id for m in ms] == ["kbuf.c:io_provide_buffers_prep:hand:cap"]
    assert ms[0].line == 9 and ms[0].new[0].strip() == "if (!tmp || tmp >= MAX_BIDS_PER_BGID)"
    eq = tmp_path / "equivalent.txt"
    eq.write_text("# why\nkbuf.c:io_provide_buffers_prep:hand:cap  the same bound\n")
    sel, _ = mut.select(HERE / "tree", 0, 1, hand=True, hand_path=hand, equivalent_path=eq)
    assert [m.equivalent for m in sel] == ["the same bound"]
    hand.write_text("mutant io_uring/kbuf.c twice\n- return\n+ return 1 +\n")
    with pytest.raises(Exception, match="in 4 lines"):
        mut.read_hand(HERE / "tree", hand)


def test_real_kbuf_shapes():
    """The operators on lines shaped like the pinned kernel's (multi-line conditions,
    comments, strings and macros are not mutated)."""
    src = ("int f(int a)\n{\n\t/* a < b in a comment */\n\tif (check_add_overflow(a, b,\n"
           "\t\t\t\t&c))\n\t\treturn -EOVERFLOW;\n\tpr_info(\"a < b\");\n"
           "#define X(a) a < b \\\n\t\tc\n\treturn a == 1 ? -EINVAL : 0;\n}\n")
    fn = mut.functions(src)
    assert [(f.name, f.start, f.end) for f in fn] == [("f", 1, 11)]
    sites = mut.sites(src, fn[0], None)
    assert [(i + 1, op) for i, op, _, _ in sites] == [(4, "check"), (6, "errno"), (10, "negate")]
    old, new = sites[0][2], sites[0][3]
    assert new[0].endswith("if ((check_add_overflow(a, b,") and new[1].endswith("&c)) && 0)")


# -- apply and restore ------------------------------------------------------------------------

def test_applied_restores_bytes_and_times_even_on_error(tree, tmp_path):
    before = snapshot(tree)
    out = tmp_path / "out"
    (out / "io_uring").mkdir(parents=True)
    (out / "io_uring" / "kbuf.o").write_text("mutant object")
    with pytest.raises(RuntimeError):
        with tree_apply.applied(tree, tmp_path / "state", "io_uring/kbuf.c", "mutated\n", out):
            assert (tree / "io_uring" / "kbuf.c").read_text() == "mutated\n"
            raise RuntimeError("boom")
    assert snapshot(tree) == before
    assert not (out / "io_uring" / "kbuf.o").exists()  # make recompiles the restored file
    assert not list((tmp_path / "state").iterdir())


def test_recover_a_leftover_backup(tree, tmp_path):
    before = snapshot(tree)
    state = tmp_path / "state"
    cm = tree_apply.applied(tree, state, "io_uring/kbuf.c", "mutated\n")
    cm.__enter__()  # a run killed here: no finally ran
    assert (tree / "io_uring" / "kbuf.c").read_text() == "mutated\n"
    assert tree_apply.recover(tree, state) == "io_uring/kbuf.c"
    assert snapshot(tree) == before and tree_apply.recover(tree, state) is None


# -- the whole run ----------------------------------------------------------------------------

@needs_build
def test_killed_survived_unbuildable_unbootable_warn(tree, tmp_path):
    before = snapshot(tree)
    cp, recs, results = kmutate(tmp_path, tree, "--count", "-1",
                                FAKE_KILL=r"tmp >= MAX_BIDS", FAKE_BUILD_FAIL=r"nbufs\) - 1",
                                FAKE_NOBOOT=r"-EOVERFLOW", FAKE_WARN=r"^\s*;\s*$")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert snapshot(tree) == before
    out = {r["op"] + ":" + r["outcome"] for r in recs.values()}
    by_line = {(r["line"], r["op"]): r["outcome"] for r in recs.values()}
    assert by_line[(9, "bound")] == "killed"
    assert by_line[(21, "loop")] == "unbuildable"
    assert by_line[(13, "errno")] == "unbootable"
    assert by_line[(23, "flag")] == "killed"  # the WARN
    assert by_line[(21, "bound")] == "survived"
    assert "loop:unbuildable" in out
    warn = next(r for r in recs.values() if r["line"] == 23)
    assert "warning" in warn["why"].lower(), warn
    kill = next(r for r in recs.values() if (r["line"], r["op"]) == (9, "bound"))
    assert kill["why"].startswith(f"{CASE}: pass -> fail"), kill
    lines = [l for l in cp.stdout.splitlines() if l.startswith("kmutate: [")]
    assert len(lines) == len(recs) and f"[1/{len(recs)}]" in lines[0] and "left" in lines[0]
    rep = (results / "report.md").read_text()
    assert "## Survivors" in rep and "io_uring/kbuf.c:21" in rep and "a hole" in rep
    assert "| io_uring/kbuf.c |" in rep and "io_uring/kbuf.c io_add_buffers" in rep
    assert "kill rate of the non-equivalent" in cp.stdout
    # the QEMU saw the unmutated kernel twice, then each mutant that built
    kinds = (tmp_path / "qemu.log").read_text().split()
    assert kinds[:2] == ["PASS", "PASS"] and len(kinds) == 2 + len(recs) - 1
    # --report re-renders from results.jsonl
    cp2 = subprocess.run([str(TOP / "run_tests.sh"), "kmutate", "--report", str(results)],
                         capture_output=True, text=True, env=env_for(tmp_path))
    assert cp2.returncode == 0 and "killed" in cp2.stdout


@needs_build
def test_recheck_boots_only_the_survivors_and_carries_the_rest(tree, tmp_path):
    """--recheck: the survivors of a run boot again (as after new cases were added); its
    kills and uncounted mutants are carried, marked; the same command continues it."""
    before = snapshot(tree)
    cp, recs, first = kmutate(tmp_path, tree, "--count", "-1", FAKE_KILL=r"tmp >= MAX_BIDS",
                              FAKE_BUILD_FAIL=r"nbufs\) - 1")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    surv = {i for i, r in recs.items() if r["outcome"] == "survived"}
    assert surv and any(r["outcome"] == "killed" for r in recs.values())
    target = next(i for i, r in recs.items() if (r["line"], r["op"]) == (21, "bound"))
    assert target in surv
    again = tmp_path / "again"
    (tmp_path / "qemu.log").unlink()
    argv = cmd(tree, again, "--recheck", str(first), "--count", "-1")
    e = env_for(tmp_path, FAKE_KILL=r"tmp >= MAX_BIDS|i <= pbuf")  # a "new case" kills it
    cp2 = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=e)
    assert cp2.returncode == 0, cp2.stdout + cp2.stderr
    got = {json.loads(l)["id"]: json.loads(l) for l in (again / "results.jsonl").read_text().splitlines()}
    assert set(got) == set(recs)
    assert got[target]["outcome"] == "killed" and not got[target].get("carried")
    assert all(got[i].get("carried") == str(first) for i in set(recs) - surv)
    assert all(not got[i].get("carried") for i in surv)
    # two baseline boots, then one boot per survivor only
    assert len((tmp_path / "qemu.log").read_text().split()) == 2 + len(surv)
    rep = (again / "report.md").read_text()
    assert f"carried from {first}" in rep and "(carried)" in rep
    # the same command again: nothing left to boot, no record twice
    cp3 = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=e)
    assert cp3.returncode == 0, cp3.stdout + cp3.stderr
    lines = (again / "results.jsonl").read_text().splitlines()
    assert len(lines) == len(recs) and "0 mutants to run" in cp3.stdout
    assert snapshot(tree) == before


@needs_build
def test_recheck_of_a_folder_without_records_is_a_usage_error(tree, tmp_path):
    cp, _, _ = kmutate(tmp_path, tree, "--recheck", str(tmp_path / "nothing"))
    assert cp.returncode == 2 and "no results.jsonl records" in cp.stderr, cp.stdout + cp.stderr


@needs_build
def test_an_unbuildable_tree_is_not_run(tree, tmp_path):
    before = snapshot(tree)
    cp, recs, _ = kmutate(tmp_path, tree, "--count", "2", FAKE_BUILD_FAIL="MAX_BIDS_PER_BGID")
    assert cp.returncode == 3, cp.stdout + cp.stderr
    assert "does not build" in cp.stderr and recs == {}
    assert snapshot(tree) == before


def wait_for(path: Path, proc, what: str, seconds: float = 60) -> None:
    t0 = time.monotonic()
    while not (path.exists() and path.read_text().strip()):
        assert proc.poll() is None, f"exited {proc.returncode} before {what}"
        assert time.monotonic() - t0 < seconds, f"no {what}"
        time.sleep(0.1)


def slow_mutant_run(tree, tmp_path, **popen):
    """A run whose every mutant build sleeps a minute (the fake make): the tree as it was,
    the run, and the file its make writes its pid to."""
    before = snapshot(tree)
    pidfile = tmp_path / "make.pid"
    e = env_for(tmp_path, FAKE_MAKE_SLEEP=60, FAKE_SLEEP_IF=">= MAX_BIDS|&& 0|EOVERFLOW|- 1|<=|!=|^\\s*;",
                FAKE_MAKE_PIDFILE=pidfile)
    p = subprocess.Popen(cmd(tree, tmp_path / "results", "--count", "-1"), env=e,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)
    return before, p, pidfile


@needs_build
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_during_a_mutant_build_restores_the_tree(tree, tmp_path, sig):
    before, p, pidfile = slow_mutant_run(tree, tmp_path, preexec_fn=sigint_default)
    try:
        wait_for(pidfile, p, "mutant build")
        while True:  # the base build also writes the pid file: wait for the sleeping one
            time.sleep(0.3)
            if (tree / "io_uring" / "kbuf.c").read_bytes() != before["io_uring/kbuf.c"][0]:
                break
            assert p.poll() is None
        p.send_signal(sig)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, out + err
    assert "the tree is as it was" in err and "--resume" in err
    assert snapshot(tree) == before


@needs_build
def test_a_killed_run_leaves_a_backup_the_next_run_restores(tree, tmp_path):
    before, p, pidfile = slow_mutant_run(tree, tmp_path, start_new_session=True)
    try:
        wait_for(pidfile, p, "mutant build")
        while (tree / "io_uring" / "kbuf.c").read_bytes() == before["io_uring/kbuf.c"][0]:
            time.sleep(0.3)
            assert p.poll() is None
        os.killpg(p.pid, signal.SIGKILL)  # no finally runs: the mutant stays in the tree
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    assert snapshot(tree) != before
    cp, _, _ = kmutate(tmp_path, tree, "--resume", str(tmp_path / "results"), "--count", "0")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "restored io_uring/kbuf.c from the backup a previous run left" in cp.stdout
    assert snapshot(tree) == before


# -- report and coverage ----------------------------------------------------------------------

def test_report_counts_equivalent_apart():
    base = {"file": "io_uring/kbuf.c", "function": "f", "line": 1, "op": "bound",
            "old": ["a < b"], "new": ["a <= b"], "equivalent": ""}
    recs = [dict(base, id="1", outcome="killed"), dict(base, id="2", outcome="survived"),
            dict(base, id="3", outcome="survived", equivalent="dead code"),
            dict(base, id="4", outcome="unbuildable", why="error")]
    line = report.summary_line(recs)
    assert "4 mutants: 1 killed, 2 survived" in line and "50.0% (1 of 2)" in line
    md = report.markdown(recs)
    assert "dead code" in md and "**not equivalent: a hole**" in md and "unbuildable" in md


def test_gcov_data_from_the_console(tmp_path):
    import base64
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        data = b"gcda-bytes"
        info = tarfile.TarInfo("./root/kbuild/io_uring/kbuf.gcda")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    b64 = base64.encodebytes(buf.getvalue()).decode().split()
    lines = ["ok 1 x", "# ubc-gcov: begin"] + [f"[ 1.0] # ubc-gcov: {l}" if i == 0 else
                                               f"# ubc-gcov: {l}" for i, l in enumerate(b64)]
    lines += ["# ubc-gcov: end", "# ubc-guest: done exit 0"]
    got = coverage.gcda_from_console(lines, tmp_path / "g")
    assert [p.name for p in got] == ["kbuf.gcda"] and got[0].read_bytes() == b"gcda-bytes"
    with pytest.raises(coverage.CoverageError):
        coverage.gcda_from_console(["ok 1 x"], tmp_path / "h")


def test_coverage_per_function_from_gcov_json():
    src = (HERE / "tree" / "io_uring" / "kbuf.c").read_text()
    data = {"files": [{"file": "/x/io_uring/kbuf.c", "lines": [
        {"line_number": 9, "count": 5, "branches": [{"count": 5}, {"count": 0}]},
        {"line_number": 10, "count": 0, "branches": []},
        {"line_number": 11, "count": 5, "branches": []},
        {"line_number": 21, "count": 3, "branches": [{"count": 3}, {"count": 1}]}]}]}
    per = coverage.per_function(data, src, "io_uring/kbuf.c")
    p = per["io_provide_buffers_prep"]
    assert (p["lines"], p["hit"], p["branches"], p["taken"]) == (3, 2, 2, 1)
    assert p["unreached"] == [(10, "return -E2BIG;")]
    md = coverage.markdown({"io_uring/kbuf.c": per}, ["# c"])
    assert "| io_uring/kbuf.c | 4 | 3 | 75.0% |" in md and "10: `return -E2BIG;`" in md


def test_a_run_boots_the_case_binaries_it_started_with(tmp_path):
    """The case binaries are copied into the results folder once: a `make` in build/ during
    the run (or before a --resume) changes nothing the run boots."""
    from runner.commands.kmutate import frozen_cases
    build = tmp_path / "build"
    (build / "multi").mkdir(parents=True)
    (build / "bin").mkdir()
    (build / "multi" / "ubc-cases").write_bytes(b"\x7fELF old cases")
    (build / "bin" / "a_case").symlink_to("../multi/ubc-cases")
    (build / "versions.txt").write_text("liburing 2.15\n")
    results = tmp_path / "results"
    frozen = frozen_cases(build, results)
    assert frozen == results / "cases-build"
    assert (frozen / "bin" / "a_case").is_symlink()
    assert (frozen / "bin" / "a_case").read_bytes() == b"\x7fELF old cases"
    (build / "multi" / "ubc-cases").write_bytes(b"\x7fELF rebuilt with a new case")
    (build / "bin" / "b_case").symlink_to("../multi/ubc-cases")
    assert frozen_cases(build, results) == frozen  # a resume: the same copy
    assert (frozen / "bin" / "a_case").read_bytes() == b"\x7fELF old cases"
    assert not (frozen / "bin" / "b_case").exists()
