"""run_tests.sh merge on shard folders cut from a recorded real matrix run
(runner/testing/shards.py): the merge of N shards is the unsharded run, each case judged
once; an overlap, a shard given twice, shards of different plans, suites or expected/ data
are refused in one line (exit 2); a missing shard, a folder without summary.json, a shard
that ran nothing or lacks cases is NOT RUN, named (exit 3, never green)."""
import json
import shutil
from pathlib import Path

import pytest

from runner import cli
from runner.core.paths import EXPECTED
from runner.core.status import Exit, Kind
from runner.judge.expected import load_expectations
from runner.judge.verdict import judge
from runner.report import summary as summ
from runner.testing.shards import make_shards, recorded_matrix, rewrite

TREE = recorded_matrix()
EXP = load_expectations(EXPECTED)


def verdicts_of(tree) -> dict:
    return {(k.id, n): (str(c.status), k.verdicts[n].kind.value)
            for k in tree.kernels for n, c in k.cases.items()}


def unsharded() -> dict:
    """The recorded run judged now, against this checkout's expected/."""
    out = {}
    for k in TREE.kernels:
        for n, c in k.cases.items():
            out[(k.id, n)] = (str(c.status), judge(k.get("release"), k.get("proc_version"),
                                                   c, EXP).kind.value)
    return out


def merge(tmp_path, *folders, extra=()):
    out = tmp_path / "merged"
    rc = cli.main(["merge", "--results", str(out), *extra, *map(str, folders)])
    return rc, out


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def shard_with(plan, folders, kernel, case) -> int:
    """The index of the shard that runs (kernel, case)."""
    return next(i for i in range(1, plan.count + 1) if case in plan.selection(i).get(kernel, []))


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    root = tmp_path_factory.mktemp("shards")
    return make_shards(root, TREE, 3)


def test_three_shards_merge_to_the_unsharded_run(three, tmp_path, capsys):
    plan, folders = three
    rc, out = merge(tmp_path, *reversed(folders))  # the order given does not matter
    want = unsharded()
    expected_rc = summ.run_exit_status([v for k in TREE.kernels for v in [
        judge(k.get("release"), k.get("proc_version"), c, EXP) for c in k.cases.values()]])
    assert rc == expected_rc
    m = summ.load(out / "summary.json")
    assert verdicts_of(m) == want
    # Same kernels and cases in the same order as the unsharded run; every case once.
    assert [k.id for k in m.kernels] == [k.id for k in TREE.kernels]
    for k, r in zip(m.kernels, TREE.kernels):
        assert list(k.cases) == list(r.cases)
        assert k.get("package_version") == r.get("package_version")
    assert m.run["exit_status"] == rc and "index" not in m.run["shard"]
    assert [x["index"] for x in m.run["shard"]["merged"]] == [1, 2, 3]
    assert m.run["shard"]["plan"] == plan.hash
    printed = capsys.readouterr().out
    assert f"merged 3 of 3 shards (plan {plan.hash[:12]})" in printed
    assert f"outcome: {Exit(rc).outcome} (exit status {rc})" in printed


def test_the_merged_folder_has_every_log_and_output(three, tmp_path):
    plan, folders = three
    rc, out = merge(tmp_path, *folders)
    m = summ.load(out / "summary.json")
    split = next(k for k in plan.kernels if len([i for i in range(1, 4) if k in plan.selection(i)]) > 1)
    k = next(k for k in m.kernels if k.id == split)
    log = (out / k.get("console_log")).read_text().splitlines()
    parts = [i for i in range(1, 4) if split in plan.selection(i)]
    assert [ln for ln in log if ln.startswith("### ubc-runner: shard")] == [
        f"### ubc-runner: shard {i}/3 ({folders[i - 1]}), kernel {split}" for i in parts]
    # Each shard's event (its log's line 2) points at the same line in the merged log.
    assert [log[e["line"] - 1] for e in k.get("events")] == ["second line"] * len(parts)
    for f in ("junit.xml", "report.md", "report.html"):
        assert (out / f).stat().st_size > 0
    assert f"]({split}/console.log)" in (out / "report.md").read_text()
    note = f"Merged from shards 1, 2, 3 of 3 (plan {plan.hash[:12]})."
    assert note in (out / "report.md").read_text() and note in (out / "report.html").read_text()
    import xml.etree.ElementTree as ET
    assert len(list(ET.parse(out / "junit.xml").getroot().iter("testcase"))) == \
        sum(len(k.cases) for k in TREE.kernels)


def test_judge_gate_and_report_take_the_merged_result(three, tmp_path, capsys):
    _, folders = three
    rc, out = merge(tmp_path, *folders)
    summary = str(out / "summary.json")
    assert cli.main(["judge", summary]) == rc
    assert cli.main(["report", summary, "-o", str(tmp_path / "r")]) == 0
    assert cli.main(["gate", "--summary", summary, "--baseline", "6.12", "--candidate", "7.0"]) in (0, 1)
    assert "incomplete" not in capsys.readouterr().out


def test_one_shard_alone_is_complete_for_what_it_was_asked(three, capsys):
    plan, folders = three
    whole = next(k for k in plan.selection(1) if all(k not in plan.selection(i) for i in (2, 3)))
    assert cli.main(["judge", str(folders[0] / "summary.json")]) in (0, 1)
    out = capsys.readouterr().out
    assert "INCOMPLETE" not in out and f"{whole}:" in out


def test_a_missing_shard_is_not_run_and_named(three, tmp_path, capsys):
    plan, folders = three
    bad = shard_with(plan, folders, "7.3", "regbuf_tag_on_update")  # the recorded regression
    rc, out = merge(tmp_path, *[f for i, f in enumerate(folders, 1) if i != bad])
    assert rc == Exit.NOT_RUN
    err = capsys.readouterr().err
    assert f"run_tests.sh merge: shard {bad}/3 is missing" in err
    m = summ.load(out / "summary.json")
    gone = [(k.id, n) for k in m.kernels for n, v in k.verdicts.items() if v.kind == Kind.NOT_RUN]
    assert sorted(gone) == sorted((k, c) for k, cs in plan.selection(bad).items() for c in cs)
    assert all(f"shard {bad}/3 is missing" in k.cases[n].reason
               for k in m.kernels for n in k.cases if (k.id, n) in gone)
    assert m.run["outcome"] == "not run"
    # What is there still counts: the gate refuses a kernel with NOT RUN cases.
    kid = next(iter(plan.selection(bad)))
    assert cli.main(["gate", "--summary", str(out / "summary.json"), "--baseline", kid,
                     "--candidate", kid]) == Exit.NOT_RUN


def test_a_missing_shard_beside_a_regression_is_not_run(three, tmp_path, capsys):
    plan, folders = three
    keep = shard_with(plan, folders, "7.3", "regbuf_tag_on_update")
    other = next(i for i in (1, 2, 3) if i != keep)
    rc, out = merge(tmp_path, *[f for i, f in enumerate(folders, 1) if i != other])
    assert rc == Exit.NOT_RUN  # the merge is not the planned run, whatever else it holds
    captured = capsys.readouterr()
    assert f"shard {other}/3 is missing" in captured.err
    assert "REGRESSION 7.3::regbuf_tag_on_update" in captured.out
    m = summ.load(out / "summary.json")
    assert next(k for k in m.kernels if k.id == "7.3").verdicts["regbuf_tag_on_update"].kind == \
        Kind.REGRESSION


def test_a_shard_that_never_finished(three, tmp_path, capsys):
    _, folders = three
    empty = tmp_path / "shard-2-died"
    empty.mkdir()
    rc, _ = merge(tmp_path, folders[0], empty, folders[2])
    assert rc == Exit.NOT_RUN
    err = capsys.readouterr().err
    assert f"{empty}: no summary.json" in err and "shard 2/3 is missing" in err


def test_a_shard_that_ran_nothing(three, tmp_path, capsys):
    _, folders = three
    copy = tmp_path / "s2"
    shutil.copytree(folders[1], copy)
    rewrite(copy, lambda d: d.update(kernels=[]))
    rc, _ = merge(tmp_path, folders[0], copy, folders[2])
    assert rc == Exit.NOT_RUN
    assert f"shard 2/3 ({copy}) ran nothing" in capsys.readouterr().err


def test_a_shard_whose_cases_are_missing(three, tmp_path, capsys):
    plan, folders = three
    copy = tmp_path / "s1"
    shutil.copytree(folders[0], copy)
    kid = next(iter(plan.selection(1)))
    cut = plan.selection(1)[kid][:2]

    def drop(d):
        k = next(k for k in d["kernels"] if k["id"] == kid)
        for c in cut:
            del k["cases"][c]
    rewrite(copy, drop)
    rc, out = merge(tmp_path, copy, *folders[1:])
    assert rc == Exit.NOT_RUN
    assert f"shard 1/3 ({copy}) has no result for 2 of its {len(plan.selection(1)[kid])} cases " \
           f"on {kid} ({cut[0]}, ...)" in capsys.readouterr().err
    m = summ.load(out / "summary.json")
    k = next(k for k in m.kernels if k.id == kid)
    assert [k.verdicts[c].kind for c in cut] == [Kind.NOT_RUN] * 2


def test_an_overlap_is_refused(three, tmp_path, capsys):
    plan, folders = three
    copy = tmp_path / "s1"
    shutil.copytree(folders[0], copy)
    kid, case = next((k, c) for k, cs in plan.selection(2).items() for c in cs)
    src = json.loads((folders[1] / "summary.json").read_text())
    entry = next(k for k in src["kernels"] if k["id"] == kid)

    def add(d):
        k = next((k for k in d["kernels"] if k["id"] == kid), None)
        if k is None:
            d["kernels"].append({**entry, "cases": {}})
            k = d["kernels"][-1]
        k["cases"][case] = entry["cases"][case]
    rewrite(copy, add)
    rc, _ = merge(tmp_path, copy, *folders[1:])
    assert rc == Exit.USAGE
    line = one_line(capsys.readouterr().err)
    assert f"has a result for {kid}::{case}" in line and "gives it to shard 2/3" in line


def test_a_shard_given_twice_is_refused(three, tmp_path, capsys):
    _, folders = three
    twice = tmp_path / "again"
    shutil.copytree(folders[0], twice)
    rc, _ = merge(tmp_path, folders[0], twice, *folders[1:])
    assert rc == Exit.USAGE
    assert one_line(capsys.readouterr().err).endswith(
        f"shard 1/3 given twice: {folders[0]} and {twice}")


@pytest.mark.parametrize("field,message", [("hash", "suite versions differ"),
                                           ("expected", "expected/ data differs")])
def test_shards_of_other_suites_are_refused(three, tmp_path, capsys, field, message):
    _, folders = three
    copy = tmp_path / "s3"
    shutil.copytree(folders[2], copy)
    rewrite(copy, lambda d: d["run"]["suite"].update({field: "f" * 64, "version": "v9"}))
    rc, _ = merge(tmp_path, *folders[:2], copy)
    assert rc == Exit.USAGE
    assert message in one_line(capsys.readouterr().err)


def test_shards_of_another_plan_are_refused(three, tmp_path, capsys):
    _, folders = three
    _, two = make_shards(tmp_path / "two", TREE, 2)
    rc, _ = merge(tmp_path, folders[0], two[1])
    assert rc == Exit.USAGE
    assert "not shards of one run" in one_line(capsys.readouterr().err)


def test_other_expected_data_than_the_shards_is_refused(three, tmp_path, capsys):
    _, folders = three
    other = tmp_path / "expected"
    shutil.copytree(EXPECTED, other)
    with open(other / "kernels.toml", "a") as f:
        f.write("\n# changed\n")
    rc, _ = merge(tmp_path, *folders, extra=["--expected", str(other)])
    assert rc == Exit.USAGE
    assert "the shards ran with expected/ data" in one_line(capsys.readouterr().err)


def test_one_kernel_that_is_two_kernels_is_refused(three, tmp_path, capsys):
    plan, folders = three
    split = next(k for k in plan.kernels if len([i for i in (1, 2, 3) if k in plan.selection(i)]) > 1)
    last = max(i for i in (1, 2, 3) if split in plan.selection(i))
    copy = tmp_path / "moved"
    shutil.copytree(folders[last - 1], copy)
    rewrite(copy, lambda d: next(k for k in d["kernels"] if k["id"] == split).update(
        package_version="99.0-1"))
    rc, _ = merge(tmp_path, *[copy if i == last else f for i, f in enumerate(folders, 1)])
    assert rc == Exit.USAGE
    assert f"kernel {split} is package_version" in one_line(capsys.readouterr().err)


def test_what_is_not_a_shard_is_refused(three, tmp_path, capsys):
    _, folders = three
    plain = tmp_path / "plain"
    plain.mkdir()
    summ.write(plain / "summary.json", TREE)
    rc, _ = merge(tmp_path, plain, *folders)
    assert rc == Exit.USAGE
    assert "not one shard's result (no run.shard)" in one_line(capsys.readouterr().err)
    edited = tmp_path / "edited"
    shutil.copytree(folders[0], edited)
    rewrite(edited, lambda d: d["run"]["shard"]["units"][0].update(shard=3))
    rc, _ = merge(tmp_path, edited, *folders[1:])
    assert rc == Exit.USAGE
    assert "do not hash to its plan" in one_line(capsys.readouterr().err)
    assert cli.main(["merge", str(tmp_path / "nowhere")]) == Exit.USAGE


def test_a_merge_of_nothing_is_not_run(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    assert cli.main(["merge", "--results", str(tmp_path / "m"), str(tmp_path / "a")]) == Exit.NOT_RUN
    assert "nothing to merge" in capsys.readouterr().err


def test_a_merged_result_is_not_a_shard(three, tmp_path, capsys):
    _, folders = three
    rc, out = merge(tmp_path, *folders)
    rc2 = cli.main(["merge", "--results", str(tmp_path / "again"), str(out), *map(str, folders[1:])])
    assert rc2 == Exit.USAGE
    assert "a merged result" in capsys.readouterr().err


def test_merged_results_refuse_a_busy_folder(three, tmp_path):
    _, folders = three
    out = tmp_path / "m"
    assert merge(tmp_path, *folders)[0] in (0, 1)
    assert Path(tmp_path / "merged" / "summary.json").exists()
    assert cli.main(["merge", "--results", str(out), *map(str, folders)]) in (0, 1)
