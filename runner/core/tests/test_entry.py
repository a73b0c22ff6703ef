"""./run_tests.sh on a fresh machine: when pytest, cc or make is missing it runs
scripts/setup first (as root it installs; as another user it prints the apt-get line and
exits 3), then the runner; a set-up failure stops it with 3 (128 for --bisect-step)."""
import shutil
import subprocess
from pathlib import Path

TOP = Path(__file__).resolve().parents[3]


def fake_top(tmp_path: Path, setup_rc: int) -> Path:
    top = tmp_path / "top"
    (top / "scripts").mkdir(parents=True)
    shutil.copy(TOP / "run_tests.sh", top / "run_tests.sh")
    (top / "scripts" / "setup").write_text(f"#!/bin/sh\necho setup-ran >> {tmp_path}/calls\nexit {setup_rc}\n")
    (top / "scripts" / "setup").chmod(0o755)
    # A python without pytest the first time it is asked (a fresh machine).
    py = tmp_path / "python"
    py.write_text(f"#!/bin/sh\nif [ \"$1\" = -c ]; then exit 1; fi\necho runner \"$@\" >> {tmp_path}/calls\n")
    py.chmod(0o755)
    return top


def test_a_fresh_machine_is_set_up_then_run(tmp_path):
    top = fake_top(tmp_path, 0)
    cp = subprocess.run([str(top / "run_tests.sh"), "--list"], env={"PATH": "/usr/bin:/bin",
                        "UBC_PYTHON": str(tmp_path / "python")}, capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    assert (tmp_path / "calls").read_text().splitlines() == ["setup-ran", "runner -m runner --list"]


def test_a_failed_set_up_is_not_run(tmp_path):
    top = fake_top(tmp_path, 3)
    env = {"PATH": "/usr/bin:/bin", "UBC_PYTHON": str(tmp_path / "python")}
    assert subprocess.run([str(top / "run_tests.sh")], env=env).returncode == 3
    assert subprocess.run([str(top / "run_tests.sh"), "--bisect-step", "x"], env=env).returncode == 128
    assert "runner" not in (tmp_path / "calls").read_text()
