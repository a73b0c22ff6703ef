"""Issue 22's verdict rules, on recorded consoles (runner/testing/data/*.console.gz: Debian
6.16.12 and the host's 6.18.44 from the matrix of 2026-12-03):
- a known bug is exact: every subtest its entry lists must fail; one that passes is PARTLY
  FIXED (loud, exit 1 like XPASS); a failure outside the list is a regression;
- a backport pinned in expected/backports.toml makes a skip for that feature a regression;
- a skip for a feature the kernel's release has (the probe wrong) is a regression."""
import copy
import gzip

import pytest

from runner import cli, ktap
from runner.core.status import Kind
from runner.judge.expected import load_expectations
from runner.judge.verdict import judge
from runner.report.summary import run_exit_status
from runner.testing.fakes import DATA

EXP = load_expectations(DATA.parents[2] / "expected")


def console(name: str) -> str:
    return gzip.decompress((DATA / name).read_bytes()).decode()


def case(log: str, name: str):
    run = ktap.parse_console(console(log))
    return run, copy.deepcopy(run.cases[name])


def verdict(run, c):
    return judge(run.release, run.proc_version, c, EXP)


def test_known_bug_reproduced_exactly_is_ok():
    run, c = case("matrix_616.console.gz", "fixed_nop_bad_index")
    v = verdict(run, c)
    assert v.kind == Kind.OK and v.known_bug, v


def test_a_listed_subtest_that_passes_is_partly_fixed():
    run, c = case("matrix_616.console.gz", "fixed_nop_bad_index")
    for s in c.subtests:
        if s.name == "fixed.past_table.nop_res":
            s.status = "pass"
    v = verdict(run, c)
    assert v.kind == Kind.PARTLY_FIXED and "fixed.past_table.nop_res" in v.message, v
    assert run_exit_status([v]) == 1


def test_a_failure_beyond_the_list_is_a_regression():
    run, c = case("matrix_616.console.gz", "fixed_nop_bad_index")
    for s in c.subtests:
        if s.name == "fixed.filled_slot.link_behind":
            s.status = "fail"
    assert verdict(run, c).kind == Kind.REGRESSION


def test_partly_fixed_through_the_command_line(tmp_path, capsys):
    log = tmp_path / "console.log"
    log.write_text(console("matrix_616.console.gz").replace(
        "    not ok 4 fixed.past_table.nop_res", "    ok 4 fixed.past_table.nop_res"))
    assert cli.main(["judge", str(log)]) == 1
    assert "PARTLY FIXED: fixed_nop_bad_index" in capsys.readouterr().out


def skipped(c, feature="io_uring_buf_reg min_left"):
    c.status, c.reason = "skip", f"{feature} absent: EINVAL for a non-zero min_left"
    for s in c.subtests:
        s.status, s.reason = "skip", c.reason
    return c


def test_a_skip_where_a_backport_is_pinned_is_a_regression():
    run, c = case("host_61844.console.gz", "bufring_inc_min_left")
    assert verdict(run, c).kind == Kind.OK  # it passes there: the backport
    v = verdict(run, skipped(c))
    assert v.kind == Kind.REGRESSION and "backports.toml" in v.message, v


def test_the_same_skip_without_a_backport_is_fine():
    _, c = case("host_61844.console.gz", "bufring_inc_min_left")
    v = judge("6.18.15+deb13-cloud-amd64", "", skipped(c), EXP)
    assert v.kind == Kind.OK and "version and probe agree" in v.message, v


def test_a_subtest_skip_where_a_backport_is_pinned_is_a_regression():
    run, c = case("host_61844.console.gz", "bufring_inc_min_left")
    c.subtests[1].status, c.subtests[1].reason = "skip", "io_uring_buf_reg min_left absent: x"
    v = verdict(run, c)
    assert v.kind == Kind.REGRESSION and "subtest" in v.message, v


@pytest.mark.parametrize("name,feature", [("clone_lifetime", "IORING_REGISTER_CLONE_BUFFERS"),
                                          ("bufring_inc_eof", "IOU_PBUF_RING_INC")])
def test_a_probe_wrongly_absent_on_a_kernel_that_has_the_feature_is_a_regression(name, feature):
    run, c = case("matrix_616.console.gz", name)
    v = verdict(run, skipped(c, feature))
    assert v.kind == Kind.REGRESSION, v
