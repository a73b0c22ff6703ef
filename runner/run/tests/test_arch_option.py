"""--arch (issue 24): which kernel ids a run asks for, and where each architecture's build is."""
from pathlib import Path

import pytest

from runner.core.errors import UsageError
from runner.run import preflight
from runner.run.kernel_run import Options


def test_each_kernel_on_each_architecture_asked_for():
    assert preflight.with_arch(["7.3"], ["arm64"]) == ["7.3@arm64"]
    assert preflight.with_arch(["6.12", "host"], ["x86_64", "arm64"]) == [
        "6.12", "6.12@arm64", "host"]
    assert preflight.with_arch(["7.3@arm64"], ["x86_64"]) == ["7.3@arm64"]
    assert preflight.with_arch(["7.3@aarch64"], ["x86_64"]) == ["7.3@arm64"]
    with pytest.raises(UsageError, match="host kernel is x86_64"):
        preflight.with_arch(["host"], ["arm64"])


def test_the_arm64_build_is_beside_the_x86_64_one():
    o = Options(build=Path("/w/build"))
    assert o.build_for("x86_64") == Path("/w/build")
    assert o.build_for("arm64") == Path("/w/build-arm64")
    assert preflight.archs_of(["6.12", "7.3@arm64", "host"]) == ["x86_64", "arm64"]
