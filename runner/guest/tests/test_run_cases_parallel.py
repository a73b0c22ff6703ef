"""run-cases.sh -P N: several cases at once, each case's block printed whole when it ends.

The fake cases are shell scripts (as in test_run_cases.py); their sleeps decide which ends
first, so the order of the blocks and the start lines can be checked."""
import os
import re
import subprocess
from pathlib import Path

from runner import ktap
from runner.guest.tests.test_run_cases import FAIL, PASS, RUN_CASES, fake



def run(*bins: Path, jobs: int = 2, shell: str = "sh", env=None):
    cp = subprocess.run([shell, str(RUN_CASES), "-t", "20", "-P", str(jobs), *map(str, bins)],
                        capture_output=True, text=True, timeout=60, env=env)
    return cp.returncode, cp.stdout.splitlines()


def untimed(lines: list[str]) -> list[str]:
    return [re.sub(r"^(# time: \S+) \d+\.\d\d$", r"\1 S", re.sub(r" pid=\d+$", " pid=P", l))
            for l in lines]


def blocks(out: list[str]) -> list[list[str]]:
    """Each case's lines from its header to its time line."""
    found, cur = [], None
    for line in out:
        if line.startswith("    # Subtest: "):
            cur = [line]
        elif cur is not None:
            cur.append(line)
            if line.startswith("# time: "):
                found.append(cur)
                cur = None
    return found


def test_blocks_whole_in_the_order_cases_end(tmp_path):
    slow = fake(tmp_path, "slow_case", PASS, sleep=1)
    quick = fake(tmp_path, "quick_case", FAIL, rc=1)
    rc, out = run(slow, quick)
    assert rc == 1
    assert "# parallel: 2" in out and "1..2" in out
    starts = [l for l in out if l.startswith("# start: ")]
    assert [re.sub(r"\d+$", "P", l) for l in starts] == ["# start: slow_case pid=P", "# start: quick_case pid=P"]
    b = blocks(out)
    assert [x[0] for x in b] == ["    # Subtest: quick_case", "    # Subtest: slow_case"]
    assert b[0][-2:-1] == ["not ok 1 quick_case"] and b[1][-2:-1] == ["ok 2 slow_case"]
    # Nothing but the block's own lines between its header and its time line.
    assert all(l.startswith("    ") or l.startswith(("ok ", "not ok ")) for x in b for l in x[1:-1])
    assert out[-1] == "3 passed, 1 failed, 0 skipped"
    run_ = ktap.parse_console("\n".join(out) + "\n", ["slow_case", "quick_case"])
    assert run_.complete and run_.parallel and not run_.errors
    assert run_.cases["slow_case"].status == "pass" and run_.cases["quick_case"].status == "fail"


def test_one_job_prints_what_the_serial_loop_always_printed(tmp_path):
    bins = [fake(tmp_path, "pass_case", PASS), fake(tmp_path, "fail_case", FAIL, rc=1)]
    rc, out = run(*bins, jobs=1)
    rc0, out0 = run(*bins, jobs=1)
    assert rc == rc0 == 1
    assert not any(l.startswith(("# start: ", "# parallel")) for l in out)
    assert untimed(out) == untimed(out0)
    # The serial shape: header first, then the nested lines as they come.
    i = out.index("    # Subtest: pass_case")
    assert out[i + 1] == "    TAP version 13" and out[out.index("ok 1 pass_case") + 1].startswith("# time: pass_case")


def test_cases_sharing_a_comm_never_run_at_once(tmp_path):
    # Both names cut to 15 characters are "regbuf_tag_on_u": a splat's Comm must name one case.
    a = fake(tmp_path, "regbuf_tag_on_update", PASS, sleep=1)
    b = fake(tmp_path, "regbuf_tag_on_unregister", PASS)
    c = fake(tmp_path, "other_case", PASS)
    rc, out = run(a, b, c, jobs=3)
    assert rc == 0
    events = [l for l in out if l.startswith(("# start: ", "    # Subtest: "))]
    first_end = events.index("    # Subtest: regbuf_tag_on_update")
    assert events.index(next(l for l in events if l.startswith("# start: regbuf_tag_on_unregister"))) > first_end
    assert events.index(next(l for l in events if l.startswith("# start: other_case"))) < first_end


def test_cases_marked_alone_run_after_the_others_one_at_a_time(tmp_path):
    alone = fake(tmp_path, "clone_memlock_not_charged", PASS)
    other = fake(tmp_path, "other_case", PASS, sleep=1)
    rc, out = run(alone, other)
    assert rc == 0
    starts = [l.split()[2] for l in out if l.startswith("# start: ")]
    assert starts == ["other_case", "clone_memlock_not_charged"]
    assert out.index("ok 1 other_case") < out.index(next(l for l in out if l.startswith("# start: clone_memlock")))


def test_busybox_runs_it_too(tmp_path):
    bins = [fake(tmp_path, "slow_case", PASS, sleep=1), fake(tmp_path, "quick_case", FAIL, rc=1)]
    env = dict(os.environ, PATH=str(tmp_path / "bb"))
    (tmp_path / "bb").mkdir()
    for tool in ("sh", "awk", "cat", "sed", "basename", "dirname", "mktemp", "rm", "date",
                 "timeout", "uname", "mkfifo", "sleep"):
        os.symlink("/bin/busybox", tmp_path / "bb" / tool)
    cp = subprocess.run(["/bin/busybox", "sh", str(RUN_CASES), "-P", "2", *map(str, bins)],
                        capture_output=True, text=True, env=env, timeout=60)
    _, host = run(*bins)
    assert cp.returncode == 1
    assert untimed(cp.stdout.splitlines()) == untimed(host)


def test_alone_patterns_match_names_whatever_files_the_folder_holds(tmp_path, monkeypatch):
    # "stress_*" is a pattern of names; a file in the current folder must not expand it.
    (tmp_path / "stress_other").write_text("")
    monkeypatch.chdir(tmp_path)
    stress = fake(tmp_path, "stress_race", PASS)
    other = fake(tmp_path, "other_case", PASS, sleep=1)
    rc, out = run(stress, other)
    assert rc == 0
    assert [l.split()[2] for l in out if l.startswith("# start: ")] == ["other_case", "stress_race"]


def starts_and_ends(out: list[str]) -> list[str]:
    """"+NAME" where a case started, "-NAME" where its block was printed (it ended)."""
    return ["+" + l.split()[2] if l.startswith("# start: ") else "-" + l.split()[2]
            for l in out if l.startswith(("# start: ", "    # Subtest: "))]


def test_cases_of_one_apart_pattern_never_run_at_once_but_run_beside_others(tmp_path):
    # regbuf_huge_* switch the THP setting: one at a time among themselves only.
    a = fake(tmp_path, "regbuf_huge_aa", PASS, sleep=1)
    b = fake(tmp_path, "regbuf_huge_bb", PASS)
    other = fake(tmp_path, "other_case", PASS)
    rc, out = run(a, b, other, jobs=3)
    assert rc == 0
    ev = starts_and_ends(out)
    assert ev.index("+other_case") < ev.index("-regbuf_huge_aa")  # beside the others
    assert ev.index("+regbuf_huge_bb") > ev.index("-regbuf_huge_aa")  # not beside each other


def test_a_waiting_case_starts_once_its_key_is_free_not_after_everything(tmp_path):
    # regbuf_huge_bb waits for regbuf_huge_aa and takes the slot it frees: deferred to the
    # end, it would wait for a long case to end.
    a = fake(tmp_path, "regbuf_huge_aa", PASS)
    b = fake(tmp_path, "regbuf_huge_bb", PASS)
    long1 = fake(tmp_path, "long_case1", PASS, sleep=2)
    long2 = fake(tmp_path, "long_case2", PASS, sleep=2)
    rc, out = run(a, b, long1, long2, jobs=2)
    assert rc == 0
    ev = starts_and_ends(out)
    assert ev[:2] == ["+regbuf_huge_aa", "+long_case1"]
    assert ev.index("+regbuf_huge_bb") > ev.index("-regbuf_huge_aa")
    assert ev.index("+regbuf_huge_bb") < ev.index("-long_case1")


def test_an_order_file_starts_the_longest_first_and_the_unlisted_after(tmp_path):
    bins = [fake(tmp_path, n, PASS) for n in ("a_case", "b_case", "c_case", "d_case")]
    order = tmp_path / "order"
    order.write_text("c_case\nno_such_case\na_case\n")
    cp = subprocess.run(["sh", str(RUN_CASES), "-P", "2", "-o", str(order), *map(str, bins)],
                        capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0
    starts = [l.split()[2] for l in cp.stdout.splitlines() if l.startswith("# start: ")]
    assert starts == ["c_case", "a_case", "b_case", "d_case"]


def test_an_order_file_changes_nothing_one_at_a_time(tmp_path):
    bins = [fake(tmp_path, n, PASS) for n in ("a_case", "b_case")]
    order = tmp_path / "order"
    order.write_text("b_case\na_case\n")
    cp = subprocess.run(["sh", str(RUN_CASES), "-o", str(order), *map(str, bins)],
                        capture_output=True, text=True, timeout=60)
    out = cp.stdout.splitlines()
    assert out.index("ok 1 a_case") < out.index("ok 2 b_case")
