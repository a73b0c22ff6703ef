"""Issue 18's rows (a reliability probe's second round) that need no real boot: each was a
false green, a traceback or the wrong exit status before, and is one line and the documented
status now (docs/exit-status.md)."""
import errno
import json
from pathlib import Path

import pytest

from runner import cli
from runner.kernel import qemu
from runner.run import preflight
from runner.testing.fakes import DATA

TOP = Path(__file__).resolve().parents[3]


def run(capsys, *argv):
    rc = cli.main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err.strip().splitlines()


def summary(tmp_path, kernels, name="summary.json"):
    p = tmp_path / name
    p.write_text(json.dumps({"kernels": kernels}))
    return p


def kernel(kid="7.3", **cases):
    return {"id": kid, "release": "7.3.4+deb13-cloud-amd64",
            "cases": {n: {"status": s, "reason": ""} for n, s in cases.items()}}


# 1: a summary that ran nothing, or carries wrong types, is never "no regression"
def test_judge_empty_cases_is_not_run(tmp_path, capsys):
    rc, out, _ = run(capsys, "judge", str(summary(tmp_path, [kernel()])))
    assert rc == 3 and "INCOMPLETE" in out and "never ran" in out


def test_judge_no_kernels_says_so(tmp_path, capsys):
    rc, _, err = run(capsys, "judge", str(summary(tmp_path, [])))
    assert rc == 3 and len(err) == 1 and "no kernel" in err[0]


@pytest.mark.parametrize("k,what", [
    (dict(kernel(a="pass"), ran="no"), "'ran' is str"),
    ({"id": "7.3", "cases": {"a": {"status": "fail", "subtests": [
        {"name": "t", "status": "banana", "reason": ""}]}}}, "unknown status 'banana'"),
])
def test_judge_refuses_wrong_types(tmp_path, capsys, k, what):
    rc, _, err = run(capsys, "judge", str(summary(tmp_path, [k])))
    assert rc == 2 and len(err) == 1 and what in err[0], err


# 2 and 20: an incomplete baseline or candidate proves nothing: exit 3
@pytest.mark.parametrize("bad", [kernel(a="interrupted", b="interrupted"), kernel(),
                                 kernel(a="notrun", b="pass")])
def test_gate_on_an_incomplete_side_is_not_run(tmp_path, capsys, bad):
    good = summary(tmp_path, [dict(kernel(a="pass", b="pass"), id="6.12")], "good.json")
    badf = summary(tmp_path, [bad], "bad.json")
    assert run(capsys, "gate", "--baseline", str(badf), "--candidate", str(good))[0] == 3
    assert run(capsys, "gate", "--baseline", str(good), "--candidate", str(badf))[0] == 3


def test_gate_on_a_cut_log_is_not_run(tmp_path, capsys):
    rc, _, err = run(capsys, "gate", "--baseline", str(DATA / "truncated.log"),
                     "--candidate", str(DATA / "host_run_mixed.log"))
    assert rc == 3 and "incomplete" in err[0]


def test_against_compares_only_the_selected_cases(tmp_path, capsys):
    from runner.commands import gate as gate_cmd, results_in
    from runner.report import summary as summ
    base = summary(tmp_path, [kernel(a="pass", b="pass", c="pass")], "base.json")
    cand = summ.kernel_from_dict(kernel(a="pass"), "x")
    rc = gate_cmd.compare(gate_cmd.load(str(base)), results_in.from_kernel(cand, ["a"]))
    out = capsys.readouterr().out
    assert rc == 0 and "2 baseline case(s) not selected in this run: not compared" in out
    assert "missing case" not in out


# 3: one results folder, one run
def test_a_results_folder_in_use_is_refused(tmp_path):
    first = preflight.results_dir(str(tmp_path / "r"))
    with pytest.raises(preflight.UsageError, match="in use by another run"):
        preflight.results_dir(str(tmp_path / "r"))
    first.release()
    preflight.results_dir(str(tmp_path / "r")).release()


def test_default_results_folders_are_unique(monkeypatch, tmp_path):
    monkeypatch.setattr(preflight, "TOP", tmp_path)
    a, b = preflight.results_dir(None), preflight.results_dir(None)
    assert a.path != b.path and a.path.parent == b.path.parent == tmp_path / "results"


# 4: a disk that cannot take the results is "could not run", naming the reason
def test_results_that_cannot_be_written_say_why(tmp_path, monkeypatch):
    from runner.report import summary as summ

    def full(self, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(summ.NotRun, match="results could not be written: .*No space left on device"):
        summ.write(tmp_path / "summary.json", summ.Summary({}, []))


# 10: a stopped QEMU is the host's doing, not a hang of the kernel
def test_a_stopped_vm_is_a_host_fault():
    b = qemu.run(["sh", "-c", "echo booting; kill -STOP $$"], deadline=30, silence=1)
    assert b.end_reason == "qemu stopped" and b.host_fault and "not a kernel crash" in b.host_fault


# 14-19: bad input is one line and exit 2, before anything is built
def test_broken_expected_is_one_line(tmp_path, capsys):
    d = tmp_path / "expected"
    d.mkdir()
    (d / "x.toml").write_text('[[expect]]\ncases = ["a"]\noutcome = "banana"\n')
    rc, _, err = run(capsys, "--no-build", "--expected", str(d))
    assert rc == 2 and len(err) == 1 and "x.toml" in err[0] and "banana" in err[0]


@pytest.mark.parametrize("content,what", [(b"", "not JSON"), (b'{"kernels": [', "not JSON"),
                                          (b'{"kernels": [{"id": "a", "cases": {"x": {"status": "banana"}}}]}',
                                           "unknown status")])
def test_report_on_a_bad_summary_is_one_line(tmp_path, capsys, content, what):
    f = tmp_path / "summary.json"
    f.write_bytes(content)
    rc, _, err = run(capsys, "report", str(f))
    assert rc == 2 and len(err) == 1 and what in err[0], err


def test_unwritable_junitxml_is_refused_before_the_run(tmp_path, capsys):
    (tmp_path / "file").write_text("")  # a folder that cannot be made: a file is in the way
    rc, _, err = run(capsys, "--no-build", "--junitxml", str(tmp_path / "file" / "junit.xml"))
    assert rc == 2 and len(err) == 1 and "--junitxml" in err[0]


def test_bad_k_expression_is_one_line(capsys):
    rc, _, err = run(capsys, "--no-build", "-k", "foo(")
    assert rc == 2 and len(err) == 1 and "-k 'foo('" in err[0]


def test_unwritable_cache_with_a_series_is_usage(tmp_path, capsys, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    monkeypatch.setenv("UBC_CACHE", str(ro / "file"))
    (ro / "file").write_text("")
    rc, _, err = run(capsys, "--no-build", "--kernel", "7.3")
    assert rc == 2 and len(err) == 1 and "UBC_CACHE" in err[0]


@pytest.mark.parametrize("value", ["-5", "abc", "0"])
def test_case_timeout_environment_is_validated(capsys, monkeypatch, value):
    monkeypatch.setenv("UBC_CASE_TIMEOUT", value)
    rc, _, err = run(capsys, "--list")
    assert rc == 2 and len(err) == 1 and "UBC_CASE_TIMEOUT" in err[0]
