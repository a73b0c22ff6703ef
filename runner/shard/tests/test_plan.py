"""runner/shard/plan.py and durations.py: the shards are disjoint, add up to the selection,
are the same on every machine, are balanced by the recorded durations (equal weights
without), and a plan records itself so that a damaged or edited record is caught."""
import json

import pytest

from runner import cli
from runner.core.errors import UsageError
from runner.report.summary import ResultsError
from runner.shard import durations, plan as shard_plan
from runner.testing.shards import plan_of, recorded_matrix, selection

TREE = recorded_matrix()
KERNELS, CASES = selection(TREE)
TABLE = durations.measure([TREE])


def pairs(p, i):
    return {(k, c) for k, cs in p.selection(i).items() for c in cs}


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 11, 44])
def test_shards_are_disjoint_and_add_up_to_the_selection(n):
    p = shard_plan.plan(KERNELS, CASES, n, TABLE)
    every = [pairs(p, i) for i in range(1, n + 1)]
    assert all(every), "a shard with nothing to run"
    union = set().union(*every)
    assert sum(len(s) for s in every) == len(union)  # disjoint
    assert union == {(k, c) for k in KERNELS for c in CASES}
    # A shard boots each of its kernels once, with the cases in selection order.
    for i in range(1, n + 1):
        for k, cs in p.selection(i).items():
            assert cs == [c for c in CASES if c in cs]


def test_the_plan_is_a_pure_function_of_its_inputs():
    a = shard_plan.plan(KERNELS, CASES, 3, TABLE)
    b = shard_plan.plan(list(KERNELS), list(CASES), 3, durations.measure([recorded_matrix()]))
    assert a.hash == b.hash and a.units == b.units
    assert shard_plan.plan(KERNELS, CASES, 4, TABLE).hash != a.hash
    assert shard_plan.plan(KERNELS[:-1], CASES, 3, TABLE).hash != a.hash
    assert shard_plan.plan(KERNELS, CASES[1:], 3, TABLE).hash != a.hash


def test_the_recorded_matrix_in_three_balanced_shards():
    p = shard_plan.plan(KERNELS, CASES, 3, TABLE)
    est = [p.estimate(i) for i in (1, 2, 3)]
    total_one = shard_plan.plan(KERNELS, CASES, 1, TABLE).estimate(1)
    # Within 10% of each other; the price of splitting (extra boots) stays small.
    assert max(est) <= 1.10 * min(est), est
    assert sum(est) <= 1.15 * total_one
    # The units are (kernel, group) boots: 11 kernels x 4 groups.
    assert len(p.units) == 44 and {u.group for u in p.units} == {"bufring", "clone", "provide", "regbuf"}


def test_estimates_follow_the_recorded_times():
    k = next(k for k in TREE.kernels if k.id == "6.1")
    measured = sum(c.seconds for c in k.cases.values())
    estimated = sum(TABLE.case("6.1", c) for c in k.cases)
    assert estimated == pytest.approx(measured, rel=0.01)
    assert TABLE.boot("6.1") == pytest.approx(k.get("seconds") - measured, abs=0.1)
    # A version of a known series is that series; an unknown kernel a median one.
    assert TABLE.boot("6.1.176-1") == TABLE.boot("6.1")
    assert 10 < TABLE.boot("/some/bzImage") < 16


def test_a_kernel_booted_in_three_shards_costs_one_boot_a_boot():
    from runner.report import summary as summ
    k = next(k for k in TREE.kernels if k.id == "6.1")
    three = summ.KernelResult("6.1", {**k.data, "seconds": k.get("seconds") + 2 * TABLE.boot("6.1"),
                                      "boots": 3}, k.cases, k.verdicts)
    again = durations.measure([summ.Summary(TREE.run, [three])])
    assert again.boot("6.1") == pytest.approx(TABLE.boot("6.1"), abs=0.1)


def test_equal_weights_without_a_table(tmp_path):
    t = durations.load(tmp_path / "none.json")
    assert t.equal_weights and t.case("7.3", "x") == 1.0 and t.boot("7.3") == 0.0
    p = shard_plan.plan(["host"], CASES, 4, t)
    assert sorted(len(u.cases) for u in p.units) == sorted(
        p.estimate(i) for i in range(1, 5))


def test_host_alone_shards_by_group():
    p = shard_plan.plan(["host"], CASES, 4, TABLE)
    assert [len(p.selection(i)) for i in range(1, 5)] == [1, 1, 1, 1]
    with pytest.raises(UsageError, match="--shards 5: the selection has 4 boots"):
        shard_plan.plan(["host"], CASES, 5, TABLE)


def test_the_durations_table_round_trips_and_bad_ones_are_refused(tmp_path):
    path = tmp_path / "d.json"
    durations.write(path, TABLE)
    back = durations.load(path)
    assert back.kernels == TABLE.kernels and back.cases == TABLE.cases
    path.write_text(json.dumps({"kernels": {"6.1": {"boot": -1, "scale": 1}}, "cases": {}}))
    with pytest.raises(UsageError, match="not a durations table"):
        durations.load(path)
    path.write_text("{")
    with pytest.raises(UsageError, match="not a durations table"):
        durations.load(path)


def test_the_committed_table_covers_every_case():
    from runner.core.paths import case_groups
    t = durations.load()
    assert not t.equal_weights
    # The default selection's cases (the stress tier, only with --stress, falls back to the median).
    default = {c for c, g in case_groups().items() if g != "stress"}
    assert default <= set(t.cases), "run_tests.sh durations SUMMARY.json"


def test_durations_command_updates_and_keeps(tmp_path, capsys):
    out = tmp_path / "d.json"
    durations.write(out, durations.Durations({"9.9": {"boot": 1.0, "scale": 1.0}}, {"gone": 2.0}))
    summary = tmp_path / "summary.json"
    from runner.report import summary as summ
    summ.write(summary, TREE)
    assert cli.main(["durations", str(summary), "-o", str(out)]) == 0
    t = durations.load(out)
    assert "9.9" in t.kernels and "gone" in t.cases and "7.3" in t.kernels
    assert cli.main(["durations", str(summary), "-o", str(out), "--fresh"]) == 0
    assert "9.9" not in durations.load(out).kernels


def test_parse_shard():
    assert shard_plan.parse_shard("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "3", "a/b", "1/0", "-1/2", "1/3/4"):
        with pytest.raises(ValueError):
            shard_plan.parse_shard(bad)


@pytest.mark.parametrize("arg", ["0/3", "4/3", "x"])
def test_a_bad_shard_option_is_a_usage_error(arg, capsys):
    assert cli.main(["--shard", arg]) == 2
    assert "--shard" in capsys.readouterr().err


def test_record_round_trips_and_an_edit_is_caught():
    p = plan_of(TREE, 3)
    rec = p.record(2)
    index, back = shard_plan.from_record(json.loads(json.dumps(rec)), "x")
    assert index == 2 and back.hash == p.hash
    assert [(u.kernel, u.group, u.cases, u.shard) for u in back.units] == \
        [(u.kernel, u.group, u.cases, u.shard) for u in p.units]
    rec["units"][0]["shard"] = 1 + rec["units"][0]["shard"] % 3
    with pytest.raises(ResultsError, match="do not hash to its plan"):
        shard_plan.from_record(rec, "x")
    with pytest.raises(ResultsError, match="damaged"):
        shard_plan.from_record({"count": 3}, "x")


def test_plan_command_prints_a_ci_matrix(capsys):
    assert cli.main(["plan", "--shards", "2", "clone*", "provide*"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # one line, for $GITHUB_OUTPUT
    m = json.loads(out)
    assert list(m) == ["include"]  # GitHub takes it whole as a matrix: nothing else at the top
    assert [(e["shard"], e["index"]) for e in m["include"]] == [("1/2", 1), ("2/2", 2)]
    assert sorted(e["kernels"] for e in m["include"]) == ["host", "host"]
    assert len({e["plan"] for e in m["include"]}) == 1
    from runner.core.paths import case_groups  # the suite's cases today, not the recorded tree's
    assert sum(e["cases"] for e in m["include"]) == len([c for c, g in case_groups().items()
                                                         if g in ("clone", "provide")])


def test_plan_command_refuses_more_shards_than_boots(capsys):
    assert cli.main(["plan", "--shards", "3", "clone*"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the selection has 1 boot " in err


@pytest.mark.parametrize("args,what", [
    (["-k", "x"], "-k"), (["--gate", "--baseline", "6.1", "--candidate", "7.3"], "--gate"),
    (["--against", "b.json"], "--against"), (["--list"], "--list"),
])
def test_shard_refuses_what_breaks_the_union(args, what, capsys):
    assert cli.main(["--shard", "1/2", *args]) == 2
    assert f"--shard does not go with {what}" in capsys.readouterr().err


def test_plan_option_must_match(capsys):
    assert cli.main(["--plan", "abcdef12"]) == 2
    assert "--plan goes with --shard" in capsys.readouterr().err
    assert cli.main(["--shard", "1/2", "--plan", "abcdef12", "--no-build", "clone*", "provide*"]) == 2
    assert "the plan here is" in capsys.readouterr().err
