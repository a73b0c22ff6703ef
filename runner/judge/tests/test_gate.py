"""runner/judge/gate.py and `run_tests.sh gate` (runner/commands/gate.py): baseline against candidate, differences and the regression verdict."""
import json
import subprocess
import sys
from pathlib import Path

from runner.testing.fakes import DATA
from runner import cli
from runner.commands import gate as gate_cmd
from runner.judge.gate import classify, compare


def main(argv):
    return cli.main(["gate", *argv])


def load_kernel(path):
    return gate_cmd.load(path).kernel.to_dict()

TOP = Path(__file__).resolve().parents[3]


def k(kid, **cases):
    out = {}
    for name, st in cases.items():
        status, *subs = st if isinstance(st, tuple) else (st,)
        out[name] = {"status": status, "reason": "" if status == "pass" else "why",
                     "subtests": [{"name": n, "status": s, "reason": ""} for n, s in subs]}
    return {"id": kid, "release": kid, "cases": out}


def kinds(result):
    return {(d.case, d.subtest): (d.kind, d.regression) for d in result.differences}


def test_same_behaviour_no_regression():
    r = compare(k("a", x="pass", y="skip"), k("b", x="pass", y="skip"))
    assert not r.regression and r.differences == [] and r.same == 2


def test_new_failures_skips_and_fixes():
    base = k("a", p1="pass", p2="pass", p3="fail", p4="skip", p5="pass", gone="pass")
    cand = k("b", p1="crash", p2="skip", p3="pass", p4="pass", p5="pass", new="fail")
    r = compare(base, cand)
    assert kinds(r) == {
        ("p1", None): ("new failure", True), ("p2", None): ("new skip", True),
        ("p3", None): ("fix", False), ("p4", None): ("now runs", False),
        ("gone", None): ("missing case", True), ("new", None): ("new case", True)}
    assert r.regression and r.same == 1


def test_only_fixes_is_not_a_regression():
    r = compare(k("a", x="fail", y="timeout"), k("b", x="pass", y="pass"))
    assert not r.regression and len(r.differences) == 2


def test_subtest_differences_inside_a_failing_case():
    base = k("a", c=("fail", ("t1", "fail"), ("t2", "pass")))
    cand = k("b", c=("fail", ("t1", "pass"), ("t2", "fail")))
    r = compare(base, cand)
    assert kinds(r) == {("c", "t1"): ("fix", False), ("c", "t2"): ("new failure", True)}
    assert r.regression


def test_failure_kinds():
    assert classify("fail", "crash") == ("changed failure", True)
    assert classify("crash", "fail") == ("changed failure", False)
    assert classify("pass", "notrun") == ("new failure", True)
    assert classify("skip", "skip") is None


def summary(tmp_path, *kernels):
    p = tmp_path / "summary.json"
    p.write_text(json.dumps({"run": {"versions": []}, "kernels": list(kernels)}))
    return p


def test_cli_on_summary_kernel_ids(tmp_path, capsys):
    s = summary(tmp_path, k("6.12", x="pass", y="pass"), k("7.3", x="pass", y="fail"))
    assert main(["--baseline", f"{s}:6.12", "--candidate", f"{s}:7.3"]) == 1
    out = capsys.readouterr().out
    assert "REGRESSION" in out and "new failure" in out and "y: pass -> fail" in out
    assert main(["--baseline", f"{s}:7.3", "--candidate", f"{s}:6.12"]) == 0
    assert main(["--baseline", str(s), "--candidate", f"{s}:7.3"]) == 2  # which kernel?
    assert "say which" in capsys.readouterr().err
    assert main(["--baseline", f"{s}:nope", "--candidate", f"{s}:7.3"]) == 2
    assert main(["--summary", str(s), "--baseline", "6.12", "--candidate", "7.3"]) == 1


def test_cli_on_ktap_logs_as_a_module():
    # The real host run against the hand-made 6.1 run: clone cases now skip.
    cp = subprocess.run([sys.executable, "-m", "runner", "gate",
                         "--baseline", str(DATA / "host_run_mixed.log"),
                         "--candidate", str(DATA / "skips61.log")],
                        cwd=TOP, capture_output=True, text=True)
    assert cp.returncode == 1, cp.stderr
    assert "new skip" in cp.stdout and "clone_read_through_dst" in cp.stdout
    assert "missing case" in cp.stdout


def test_saved_baseline_entry(tmp_path):
    s = summary(tmp_path, k("6.12", x="pass"), k("7.3", x="fail"))
    p = tmp_path / "baseline.json"
    assert main(["--baseline", f"{s}:6.12", "--save", str(p)]) == 0
    assert load_kernel(str(p))["cases"]["x"]["status"] == "pass"
    assert main(["--baseline", str(p), "--candidate", f"{s}:7.3"]) == 1


def test_new_passing_cases_are_one_line():
    r = compare(k("a", x="pass"), k("b", x="pass", y="pass", z="skip", w="fail"))
    text = r.text()
    assert "2 only in the candidate, passing or skipping: y, z" in text
    assert "REGRESSION new case         w: - -> fail" in text
