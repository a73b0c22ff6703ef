"""runner/report/squad.py: SQUAD's submit form from a recorded summary.json (a real 6.1 run of
clone_src_empty (skip), provide_res_zero, provide_nr_bounds (pass) and runner/testing/guest's
crash_sysrq (a panic: crash)) against its golden file, through the one reader; the squad
command and the run's --squad write the same."""
import json

import pytest

from runner import cli
from runner.core.errors import UsageError
from runner.report import squad, summary as summ
from runner.run.kernel_run import Options
from runner.run.matrix import Matrix, RunPlan
from runner.testing.fakes import DATA

SUMMARY = DATA / "summary_61_squad.json"
GOLDEN = DATA / "squad_61.json"


def test_golden_file():
    assert squad.text(squad.render(summ.load(SUMMARY))) == GOLDEN.read_text()


def test_the_form_is_what_squad_takes():
    sub = squad.render(summ.load(SUMMARY))
    assert set(sub) == {"tests", "metrics", "metadata"}
    assert sub["tests"] == {"uring_buffer/clone_src_empty": "skip",
                            "uring_buffer/crash_sysrq": "fail",  # a crash is a fail
                            "uring_buffer/provide_nr_bounds": "pass",
                            "uring_buffer/provide_res_zero": "pass"}
    assert all(isinstance(v, float) and k in sub["tests"] for k, v in sub["metrics"].items())
    assert all(isinstance(v, str) for v in sub["metadata"].values())  # SQUAD: strings only
    assert sub["metadata"]["job_id"].startswith("ubc-6.1-")
    assert sub["metadata"]["regressions"] == "crash_sysrq"


def test_job_id_is_unique_per_run_and_kernel():
    data = json.loads(SUMMARY.read_text())
    a = squad.render(summ.from_dict(json.loads(json.dumps(data)), "a"))["metadata"]["job_id"]
    data["run"]["started"] = "2026-12-03T10:00:00+00:00"
    b = squad.render(summ.from_dict(data, "b"))["metadata"]["job_id"]
    assert a != b and a == squad.render(summ.load(SUMMARY))["metadata"]["job_id"]


def test_cases_that_did_not_run_are_left_out_and_named():
    data = json.loads(SUMMARY.read_text())
    data["kernels"][0]["cases"]["provide_res_zero"]["status"] = "notrun"
    sub = squad.render(summ.from_dict(data, "x"))
    assert "uring_buffer/provide_res_zero" not in sub["tests"]
    assert "uring_buffer/provide_res_zero" not in sub["metrics"]
    assert sub["metadata"]["not_run"] == "provide_res_zero"


def two_kernels(tmp_path):
    data = json.loads(SUMMARY.read_text())
    k2 = json.loads(json.dumps(data["kernels"][0]))
    k2["id"] = "7.3"
    data["kernels"].append(k2)
    (tmp_path / "summary.json").write_text(json.dumps(data))
    return tmp_path / "summary.json"


def test_squad_command(tmp_path, capsys):
    assert cli.main(["squad", str(SUMMARY)]) == 0
    assert capsys.readouterr().out == GOLDEN.read_text()
    two = two_kernels(tmp_path)
    assert cli.main(["squad", str(two)]) == 2  # which environment?
    assert cli.main(["squad", str(two), "--environment", "7.3"]) == 0
    assert json.loads(capsys.readouterr().out)["metadata"]["kernel"] == "7.3"
    assert cli.main(["squad", str(two), "-o", str(tmp_path / "s.json")]) == 0
    assert {p.name for p in tmp_path.glob("s-*.json")} == {"s-6.1.json", "s-7.3.json"}
    assert cli.main(["squad", str(tmp_path / "nope.json")]) == 2


def test_render_refuses_an_unknown_kernel():
    with pytest.raises(UsageError, match="no kernel '9.9'"):
        squad.render(summ.load(SUMMARY), "9.9")


def test_run_writes_it_with_the_other_outputs(tmp_path):
    """--squad FILE: Matrix.write_outputs renders it from the same in-memory tree."""
    plan = RunPlan([], [], Options(), tmp_path, raw=True, squad=tmp_path / "squad.json")
    m = Matrix(plan, say=lambda s: None)
    m.summary = summ.load(SUMMARY)
    m.write_outputs()
    assert (tmp_path / "squad.json").read_text() == GOLDEN.read_text()
    assert (tmp_path / "summary.json").is_file() and (tmp_path / "junit.xml").is_file()


def test_run_checks_the_squad_file_before_building(tmp_path):
    (tmp_path / "d").mkdir()
    assert cli.main(["--no-build", "--squad", str(tmp_path / "d"), "provide_res_zero"]) == 2
