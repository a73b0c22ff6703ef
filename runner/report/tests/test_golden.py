"""Golden files: every output rendered from one fixed result tree (recorded consoles of
runner/testing/data judged against the project's expected/) must stay byte for byte what
runner/report/tests/golden/ holds. After an intended change to a format, regenerate with
UBC_GOLDEN=update and review the diff."""
import os
from pathlib import Path

import pytest

from runner import ktap
from runner.judge.expected import load_expectations
from runner.judge.verdict import judge
from runner.report import junit, markdown, summary as summ
from runner.testing.fakes import DATA

TOP = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).resolve().parent / "golden"
EXP = load_expectations(TOP / "expected")


def tree() -> summ.Summary:
    kernels = []
    for kid, log in (("6.1", "skips61.log"), ("6.18", "host_run_mixed.log")):
        run = ktap.parse_console((DATA / log).read_text())
        k = summ.KernelResult(kid, {"package": "linux-image-test", "package_version": "1",
                                    "sha256": "x", "release": run.release,
                                    "proc_version": run.proc_version, "accel": "tcg",
                                    "accel_why": "asked for", "boot_seconds": 3.2, "seconds": 4.0,
                                    "end_reason": None, "error": "", "ran": True, "boots": 1,
                                    "console_log": f"{kid}/console.log", "ktap": f"{kid}/ktap.txt",
                                    "events": [e.to_dict() for e in run.events]},
                              dict(run.cases))
        k.verdicts = {n: judge(run.release, run.proc_version, c, EXP) for n, c in run.cases.items()}
        kernels.append(k)
    return summ.Summary({"started": "2026-12-03T09:00:00+00:00", "qemu": "10.0.2",
                         "host_kernel": "6.18.44", "versions": ["liburing 2.15"],
                         "mode": "expected", "interrupted": False, "exit_status": 1,
                         "outcome": "regression"}, kernels)


def rendered(tmp_path) -> dict[str, bytes]:
    t = tree()
    summ.write(tmp_path / "summary.json", t)
    junit.write(tmp_path / "junit.xml", t, {k.id: f"{k.id} ({k.get('release')}, tcg)" for k in t.kernels})
    markdown.write_report(t, tmp_path, expectations=EXP, results_dir=tmp_path)
    out = {n: (tmp_path / n).read_bytes() for n in ("summary.json", "junit.xml", "report.md", "report.html")}
    out["junit.xml"] = out["junit.xml"].replace(f'hostname="{__import__("socket").gethostname()}"'.encode(),
                                                b'hostname="HOST"')
    return out


@pytest.mark.parametrize("name", ["summary.json", "junit.xml", "report.md", "report.html"])
def test_output_matches_its_golden_file(tmp_path, name):
    got = rendered(tmp_path)[name]
    golden = GOLDEN / name
    if os.environ.get("UBC_GOLDEN") == "update":
        golden.write_bytes(got)
    assert golden.exists(), f"no golden file {golden}: run with UBC_GOLDEN=update and review it"
    assert got == golden.read_bytes(), f"{name} differs from {golden} (UBC_GOLDEN=update after review)"


def test_the_golden_summary_reads_back_to_the_same_tree(tmp_path):
    t = summ.load(GOLDEN / "summary.json")
    assert summ.Summary(t.run, t.kernels).to_dict() == tree().to_dict()
