"""expected/ entries with `arch`: a behaviour that differs by architecture (issue 24)."""
import pytest

from runner.judge.expected import ExpectationError, load_expectations
from runner.judge.verdict import judge
from runner.ktap.parser import CaseResult
from runner.core.status import Kind
from runner.core.versions import parse_version

TOML = """
[[expect]]
cases = ["a_case"]
outcome = "pass"

[[expect]]
id = "a-on-arm64"
cases = ["a_*"]
arch = "arm64"
outcome = "skip"
difference = "no such thing on arm64"
"""


def load(tmp_path, text):
    (tmp_path / "a.toml").write_text(text)
    (tmp_path / "kernels.toml").write_text('[[series]]\nseries = "7.3"\n')
    return load_expectations(tmp_path)


def test_an_arch_entry_applies_only_on_its_architecture_and_wins_there(tmp_path):
    exp = load(tmp_path, TOML)
    v = parse_version("7.3.4+deb13-cloud-arm64", None)
    on_arm, _ = exp.lookup("a_case", v, "arm64")
    on_x86, _ = exp.lookup("a_case", v, "x86_64")
    assert on_arm.id == "a-on-arm64" and on_arm.arch == ["arm64"]
    assert on_x86.id is None and on_x86.arch is None
    # The judge reads it by the guest's architecture.
    skip = CaseResult("a_case", "skip", "not here")
    assert judge("7.3.4+deb13-cloud-arm64", None, skip, exp, arch="arm64").kind == Kind.OK
    assert judge("7.3.4+deb13-cloud-amd64", None, skip, exp, arch="x86_64").kind != Kind.OK


@pytest.mark.parametrize("bad", ['"sparc"', '[]', '["arm64", 3]'])
def test_a_bad_arch_is_refused_naming_the_entry(tmp_path, bad):
    with pytest.raises(ExpectationError, match=r"a.toml entry 1.*arch"):
        load(tmp_path, f'[[expect]]\ncases = ["a_case"]\narch = {bad}\n')


def test_a_list_of_arches_is_read(tmp_path):
    exp = load(tmp_path, '[[expect]]\ncases = ["a_case"]\narch = ["x86_64", "arm64"]\n')
    assert exp.entries[0].arch == ["x86_64", "arm64"]
