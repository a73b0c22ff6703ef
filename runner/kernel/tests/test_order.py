"""runner/kernel/order.py: the order cases start in when several run at once."""
import json

from runner.kernel import initramfs
from runner.kernel.order import TABLE, longest_first, order_text
from runner.kernel.tests.test_qemu import fake_inputs
from runner.core.paths import TOP


def table(tmp_path, cases: dict) -> object:
    p = tmp_path / "durations.json"
    p.write_text(json.dumps({"cases": cases}))
    return p


def test_longest_first_ties_by_name_and_unknown_cases_left_out(tmp_path):
    t = table(tmp_path, {"a": 0.1, "b": 2.0, "c": 0.1, "d": 5.0})
    assert longest_first(["a", "b", "c", "e"], t) == ["b", "a", "c"]
    assert order_text(["c", "d"], t) == "d\nc\n"


def test_no_table_or_a_broken_one_gives_no_order(tmp_path):
    assert longest_first(["a"], tmp_path / "none.json") == []
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert longest_first(["a"], bad) == []
    assert longest_first(["a"], table(tmp_path, {"a": "slow"})) == []


def test_the_committed_table_puts_the_longest_case_first():
    cases = json.loads(TABLE.read_text())["cases"]
    top = max(cases, key=cases.get)
    assert longest_first(sorted(cases))[0] == top


def test_the_initramfs_carries_the_order_file(tmp_path):
    bins, bb = fake_inputs(tmp_path)
    out = initramfs.build(tmp_path / "i.cpio", bins, TOP / "runner" / "guest" / "run-cases.sh",
                          [], bb, order="a_case\nb_case\n")
    ent = {n: d for n, _, d in initramfs.parse_cpio(out.read_bytes())}
    assert ent["ubc/order"] == b"a_case\nb_case\n"
    assert ent["ubc/cases"] == b"b_case\na_case\n"  # ubc.only= still indexes this one
