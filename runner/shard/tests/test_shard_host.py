"""For real, on the running kernel: `--shard 1/3`, `2/3`, `3/3` of a selection run one
after the other, and their merge, give the verdicts of the unsharded run (the host is a
kernel like any other to the plan: its boots are its case groups)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[3]
BUILT = sorted(p.name for p in (TOP / "build" / "bin").glob("*") if p.name != "run-cases.sh") \
    if (TOP / "build" / "bin").is_dir() else []
CASES = ["bufring_a*", "clone_src*", "provide_b*", "fixed_*"]


def runner(*args):
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=TOP, capture_output=True,
                          text=True, timeout=600)


def verdicts(folder: Path) -> dict:
    d = json.loads((folder / "summary.json").read_text())
    return {(k["id"], n): (c["status"], c["verdict"]["kind"])
            for k in d["kernels"] for n, c in k["cases"].items()}


@pytest.mark.skipif(len(BUILT) < 20, reason="no case binaries built (run make)")
def test_host_shards_merge_to_the_unsharded_run(tmp_path):
    whole = runner("--results", str(tmp_path / "whole"), "--kcidb", str(tmp_path / "whole.json"),
                   *CASES)
    assert whole.returncode in (0, 1), whole.stdout + whole.stderr
    cp = runner("plan", "--shards", "3", *CASES)
    assert cp.returncode == 0, cp.stderr
    entries = json.loads(cp.stdout)["include"]
    plan = entries[0]
    (tmp_path / "plan.json").write_text(cp.stdout)
    seen = set()
    for i in (1, 2, 3):
        ref = str(tmp_path / "plan.json") if i == 1 else plan["plan"]  # the file, or its hash
        cp = runner("--shard", f"{i}/3", "--plan", ref, "--results",
                    str(tmp_path / f"s{i}"), *CASES)
        assert cp.returncode in (0, 1), cp.stdout + cp.stderr
        d = json.loads((tmp_path / f"s{i}" / "summary.json").read_text())
        assert d["run"]["shard"]["index"] == i and d["run"]["shard"]["plan"] == plan["plan"]
        assert d["run"]["suite"]["hash"] and d["run"]["suite"]["expected"]
        mine = set(verdicts(tmp_path / f"s{i}"))
        assert mine and not mine & seen
        assert len(mine) == entries[i - 1]["cases"]
        seen |= mine
        assert f"Shard {i}/3 of plan {plan['plan'][:12]}: a part of the run" in \
            (tmp_path / f"s{i}" / "report.md").read_text()
    cp = runner("merge", "--results", str(tmp_path / "merged"), "--kcidb",
                str(tmp_path / "merged.json"), *(str(tmp_path / f"s{i}") for i in (1, 2, 3)))
    assert cp.returncode == whole.returncode, cp.stdout + cp.stderr
    assert verdicts(tmp_path / "merged") == verdicts(tmp_path / "whole")
    log = (tmp_path / "merged" / "host" / "console.log").read_text()
    assert log.count("### ubc-runner: shard ") == 3 and log.count("KTAP version 1") == 3
    # The KCIDB documents of both: the same tests, the same statuses.
    def tests(name):
        doc = json.loads((tmp_path / name).read_text())
        return {t["path"]: (t["status"], t["misc"].get("verdict")) for t in doc["tests"]}
    assert tests("merged.json") == tests("whole.json") and len(tests("whole.json")) > len(seen)
