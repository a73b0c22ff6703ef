"""runner/expected.py (loading expected/), runner/versions.py and runner/verdict.py."""
import shutil
from pathlib import Path

import pytest

from runner.testing.fakes import DATA
from runner.run import plugin
from runner.judge.expected import ExpectationError, errata_problems, errata_range_warnings, load_expectations
from runner.ktap.parser import CaseResult, SubResult, parse_console
from runner.judge.verdict import judge
from runner.core.versions import VersionRange, parse_version

TOP = Path(__file__).resolve().parents[3]
PROC_61 = ("Linux version 6.1.0-50-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian "
           "12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP "
           "PREEMPT_DYNAMIC Debian 6.1.176-1 (2026-10-01)")
ABSENT_CLONE = ("IORING_REGISTER_CLONE_BUFFERS absent: a well-formed IORING_REGISTER_CLONE_BUFFERS"
                " (opcode 30) returned EINVAL (opcode unknown before 6.12)")
ABSENT_OFFSET = "IORING_REGISTER_CLONE_BUFFERS offsets absent: clone with src_off 1 returned EINVAL"


@pytest.fixture(scope="module")
def exp():
    return load_expectations(TOP / "expected")


def case(name, status, reason="", subtests=()):
    return CaseResult(name, status, reason, list(subtests))


@pytest.mark.parametrize("release,proc,want", [
    ("6.12.95+deb12-amd64", None, "6.12.95"),
    ("6.12.107+deb13-cloud-amd64", None, "6.12.107"),
    ("7.3.4+deb13-amd64", None, "7.3.4"),
    ("7.3.4+deb13", None, "7.3.4"),
    ("6.1.0-50-amd64", PROC_61, "6.1.176"),
    ("6.1.0-50-amd64", None, "6.1"),  # the ABI name hides the sublevel
    ("6.18.44-fc-v595", "Linux version 6.18.44-fc-v595 (gcc (GCC) 15.3.0) #1 SMP", "6.18.44"),
    ("6.19-rc3", None, "6.19.0"),
])
def test_parse_version(release, proc, want):
    assert str(parse_version(release, proc)) == want


def test_unreadable_version():
    assert parse_version("mykernel", None) is None
    assert parse_version("", "") is None


def test_version_ranges():
    v = parse_version("6.12.95+deb12-amd64")
    assert VersionRange(">=6.12").contains(v)
    assert not VersionRange(">=6.13").contains(v)
    assert VersionRange(">=6.12,<6.12.96").contains(v)
    assert VersionRange("6.12").contains(v) and not VersionRange("6.1").contains(v)
    assert VersionRange(["6.1", "6.12.95"]).contains(v)
    series_only = parse_version("6.1.0-50-amd64")
    assert VersionRange(">=6.1").contains(series_only)
    assert VersionRange("<6.1.100").contains(series_only) is None  # the sublevel decides
    with pytest.raises(ValueError):
        VersionRange("~6.1")


def test_expected_dir_loads_and_covers_every_case(exp):
    cases = sorted(p.stem for p in TOP.glob("cases/*/*.c"))
    assert any(c.startswith("clone_") for c in cases) and any(c.startswith("provide_") for c in cases)
    assert exp.uncovered(cases) == []
    assert {"6.1", "6.12", "7.3"} <= set(exp.known_series)


def test_pass_where_pass_expected(exp):
    v = judge("6.12.107+deb13-cloud-amd64", None, case("clone_read_through_dst", "pass"), exp)
    assert v.kind == "ok" and v.decided_by == "version"


def test_skip_before_the_feature_is_ok_with_the_probe_reason(exp):
    v = judge("6.1.0-50-amd64", PROC_61, case("clone_read_through_dst", "skip", ABSENT_CLONE), exp)
    assert v.kind == "ok" and v.expected == "skip"
    v = judge("6.12.107+deb13-amd64", None, case("clone_offset_subset", "skip", ABSENT_OFFSET), exp)
    assert v.kind == "ok" and "6.13" in v.message


def test_skip_for_the_wrong_reason_is_a_regression(exp):
    v = judge("6.1.0-50-amd64", PROC_61, case("clone_offset_subset", "skip", "no memory"), exp)
    assert v.kind == "regression" and "another reason" in v.message


def test_backport_the_probe_decides(exp):
    v = judge("6.1.0-50-amd64", PROC_61, case("clone_read_through_dst", "pass"), exp)
    assert v.kind == "ok" and v.decided_by == "probe" and "backport" in v.message
    v = judge("6.1.0-50-amd64", PROC_61, case("clone_read_through_dst", "fail", "res -22"), exp)
    assert v.kind == "regression" and v.decided_by == "probe"


@pytest.mark.parametrize("status", ["fail", "timeout", "crash", "skip", "notrun"])
def test_anything_but_pass_where_pass_expected_is_a_regression(exp, status):
    v = judge("7.3.4+deb13-amd64", None, case("provide_res_zero", status, "why"), exp)
    assert v.kind == "regression"
    assert "provide_res_zero" in v.message


def test_unknown_case_and_unknown_kernel(exp):
    v = judge("6.12.95+deb12-amd64", None, case("mystery_case", "pass"), exp)
    assert v.kind == "unknown" and "no expected/ entry" in v.message
    v = judge("mykernel", None, case("provide_res_zero", "pass"), exp)
    assert v.kind == "unknown" and "cannot read a kernel version" in v.message
    v = judge("6.5.0-1-amd64", None, case("provide_res_zero", "pass"), exp)
    assert v.kind == "unknown" and "series 6.5" in v.message and "OK" in v.message


def test_a_crash_is_never_unknown(exp):
    v = judge("6.5.0-1-amd64", None, case("provide_res_zero", "crash", "panic"), exp)
    assert v.kind == "regression" and "series 6.5" in v.message
    v = judge("6.12.95+deb12-amd64", None, case("mystery_case", "timeout", "killed"), exp)
    assert v.kind == "regression" and "no expected/ entry" in v.message


@pytest.mark.parametrize("status", ["fail", "notrun", "crash", "timeout"])
@pytest.mark.parametrize("release", ["7.4.0-rc1+", "mykernel", "6.12.95+deb12-amd64"])
def test_a_bad_result_is_never_unknown_nor_skipped(exp, status, release):
    # Unlisted series, unreadable version, or no entry: a failure is a regression, anywhere.
    name = "mystery_case" if release.startswith("6.12") else "provide_res_zero"
    v = judge(release, None, case(name, status, "why"), exp)
    assert v.kind == "regression", v


def test_a_kernel_that_never_ran_is_not_run_never_skipped(exp):
    v = judge("", None, case("provide_res_zero", "notrun", "kernel not run: no download"), exp,
              never_ran=True)
    assert v.kind == "not run" and "no download" in v.message
    v = judge("6.12.95", None, case("provide_res_zero", "interrupted", "Ctrl-C"), exp)
    assert v.kind == "not run" and "interrupted" in v.message


def scratch(tmp_path, extra: str) -> Path:
    d = tmp_path / "expected"
    shutil.copytree(TOP / "expected", d)
    (d / "zz-scratch.toml").write_text(extra)
    return d


def test_deliberately_wrong_entry_gives_a_regression_naming_it(tmp_path):
    # Wrong: claims clone works on 6.1. The recorded 6.1 run skips, as it must.
    d = scratch(tmp_path, '[[expect]]\nid = "wrong"\ncases = ["clone_read_through_dst"]\n'
                          'kernels = "6.1"\noutcome = "pass"\n')
    run = parse_console((DATA / "skips61.log").read_text(), None)
    v = judge(run.release, run.proc_version, run.cases["clone_read_through_dst"],
              load_expectations(d))
    assert v.kind == "regression"
    assert "expected/zz-scratch.toml entry 1 (id wrong)" in v.message
    assert v.entry.id == "wrong"
    # The glob entry still judges the sibling case.
    v = judge(run.release, run.proc_version, run.cases["clone_write_through_dst"],
              load_expectations(d))
    assert v.kind == "ok"


def test_known_bug_reproduced_and_xpass(tmp_path):
    d = scratch(tmp_path, '[[expect]]\nid = "nr-bug"\ncases = ["provide_nr_bounds"]\n'
                          'kernels = ">=6.18,<6.18.50"\noutcome = "fail"\n'
                          'failing = ["nr_bounds.nr_65536_ok.all_buffers_arrive"]\n'
                          'bug = "65536 buffers accepted, 65535 provided"\n'
                          'fixed_by = "commit 0123abcd"\n')
    exp = load_expectations(d)
    run = parse_console((DATA / "host_run_mixed.log").read_text(), None)
    v = judge(run.release, run.proc_version, run.cases["provide_nr_bounds"], exp)
    assert v.kind == "ok" and v.known_bug and "commit 0123abcd" in v.message
    v = judge(run.release, run.proc_version, case("provide_nr_bounds", "pass"), exp)
    assert v.kind == "xpass" and "(id nr-bug)" in v.message and "update" in v.message
    other = case("provide_nr_bounds", "fail", "x", [SubResult("nr_bounds.nr_0_e2big.provide_res",
                                                               "fail", "")])
    v = judge(run.release, run.proc_version, other, exp)
    assert v.kind == "regression" and "beyond the known bug" in v.message
    # Outside its range the glob entry applies again.
    v = judge("6.18.60", None, run.cases["provide_nr_bounds"], exp)
    assert v.kind == "regression"


def test_series_only_version_with_sublevel_range_is_unknown(tmp_path):
    d = scratch(tmp_path, '[[expect]]\ncases = ["provide_res_zero"]\nkernels = "<6.1.100"\n'
                          'outcome = "fail"\nbug = "old"\n')
    v = judge("6.1.0-50-amd64", None, case("provide_res_zero", "pass"), load_expectations(d))
    assert v.kind == "unknown" and "sublevel" in v.message


@pytest.mark.parametrize("text,words", [
    ('[[expect]]\ncases = ["a"]\noutcom = "pass"\n', "unknown key"),
    ('[[expect]]\ncases = ["a"]\noutcome = "passes"\n', "outcome"),
    ('[[expect]]\ncases = ["a"]\nkernels = "six"\n', "range"),
    ('[[expect]]\ncases = ["a"]\noutcome = "fail"\n', "needs 'bug'"),
    ('[[expect]]\noutcome = "pass"\n', "'cases'"),
    ('[[expectation]]\ncases = ["a"]\n', "unknown table"),
    ('[[expect]\n', "zz-scratch.toml"),
])
def test_bad_entries_are_refused_with_file_and_entry(tmp_path, text, words):
    with pytest.raises(ExpectationError, match="zz-scratch.toml") as info:
        load_expectations(scratch(tmp_path, text))
    assert words in str(info.value)


def test_errata_are_read_and_linked_to_cases(tmp_path):
    d = scratch(tmp_path, "")
    (d / "errata").mkdir(exist_ok=True)
    (d / "errata" / "zz_page.toml").write_text(
        '[[erratum]]\npage = "io_uring_zz(3)"\nsection = "RETURN VALUE"\nclaim = "c"\n'
        'behaviour = "b"\nkernels = ">=6.12"\ncases = ["clone_src_empty"]\nsource = "s"\n')
    exp = load_expectations(d)
    recs = exp.errata_for("clone_src_empty")
    assert any(r["page"] == "io_uring_zz(3)" and r["file"].endswith("zz_page.toml") for r in recs)


class FakeKernel:
    spec, accel, never_ran = "6.1", "tcg", False

    def __init__(self, release, proc=""):
        self._release, self._proc = release, proc

    def release(self):
        return self._release

    def proc_version(self):
        return self._proc


def test_plugin_seam(exp):
    # verdict -> pytest outcome: ok skip skipped, ok pass passed, a crash failed, UNKNOWN
    # (a pass no entry judges) skipped with its message.
    def j(k, c):
        return plugin.outcome(k, c, judge(k.release(), k.proc_version(), c, exp))
    k = FakeKernel("6.1.0-50-amd64", PROC_61)
    assert j(k, case("clone_read_through_dst", "skip", ABSENT_CLONE))[0] == "skipped"
    assert j(k, case("provide_res_zero", "pass"))[0] == "passed"
    outcome, msg = j(k, case("provide_res_zero", "crash", "panic"))
    assert outcome == "failed" and "REGRESSION" in msg
    assert j(k, case("nope", "pass"))[0] == "skipped"
    assert j(k, case("nope", "pass"))[1].startswith("UNKNOWN:")
    assert j(k, case("nope", "fail"))[0] == "failed"
    k = FakeKernel("6.12.95+deb12-amd64")
    assert j(k, case("clone_read_through_dst", "pass"))[0] == "passed"
    assert j(k, case("clone_read_through_dst", "skip", ABSENT_CLONE))[0] == "failed"


def test_every_case_name_and_glob_of_expected_matches_a_case(exp):
    cases = sorted(p.stem for p in TOP.glob("cases/*/*.c"))
    assert exp.unmatched(cases) == []
    assert exp.unmatched(["provide_x"])  # and the check does find a stale one


def test_project_errata_are_complete_and_name_real_cases(exp):
    cases = sorted(p.stem for p in TOP.glob("cases/*/*.c"))
    assert errata_problems(exp, cases) == []


def test_errata_problems_are_found(tmp_path):
    d = scratch(tmp_path, "")
    (d / "errata").mkdir(exist_ok=True)
    (d / "errata" / "zz_bad.toml").write_text(
        '[[erratum]]\npage = "p(3)"\nkernels = "new"\ncases = ["no_such_case"]\n')
    exp = load_expectations(d)
    problems = errata_problems(exp, ["a"])
    assert any("zz_bad.toml" in p and "missing section" in p for p in problems)
    assert any("no case named no_such_case" in p for p in problems)
    assert any("zz_bad.toml" in w and "'new'" in w for w in errata_range_warnings(exp))


def test_real_612_guest_offsets_skip_and_clone_runs(exp):
    # A recorded guest console of Debian 6.12.107 cloud: clone present, offsets absent.
    run = parse_console((DATA / "guest612_real.log").read_text(), None)
    assert str(parse_version(run.release, run.proc_version)) == "6.12.107"
    offsets = [c for n, c in run.cases.items() if n.startswith("clone_offset_")]
    assert offsets and all(c.status == "skip" for c in offsets)
    for c in offsets + [run.cases["clone_read_through_dst"], run.cases["clone_dst_replace"]]:
        v = judge(run.release, run.proc_version, c, exp)
        assert v.kind == "ok", v


def test_subtest_skip_for_a_present_feature_is_a_regression(exp):
    subs = [SubResult("clone.never_registered_is_enxio", "pass"),
            SubResult("clone.explicit_nr_is_enxio", "skip", ABSENT_OFFSET)]
    ok = judge("6.12.107+deb13-amd64", None, case("clone_src_empty", "pass", "", subs), exp)
    assert ok.kind == "ok"  # offsets arrive in 6.13
    bad = judge("7.3.4+deb13-amd64", None, case("clone_src_empty", "pass", "", subs), exp)
    assert bad.kind == "regression" and "clone.explicit_nr_is_enxio" in bad.message
    assert exp.features["IORING_REGISTER_RING_FDS"] == "5.18"


def test_skip_for_a_second_newer_feature_is_ok(exp):
    ring = "IORING_REGISTER_PBUF_RING absent: a well-formed IORING_REGISTER_PBUF_RING returned EINVAL"
    v = judge("5.10.200", None, case("provide_legacy_after_ring", "skip", ring), exp)
    assert v.kind != "regression" and "PBUF_RING absent before 5.19" in v.message
    v = judge("6.12.107", None, case("provide_legacy_after_ring", "skip", ring), exp)
    assert v.kind == "regression"  # the ring exists since 5.19


def test_real_61_guest_known_differences(exp):
    # A recorded guest console of 6.1: clone absent, two provide cases show 6.1's known differences.
    run = parse_console((DATA / "guest61_real.log").read_text(), None)
    verdicts = {n: judge(run.release, run.proc_version, c, exp) for n, c in run.cases.items()}
    assert all(v.kind == "ok" for v in verdicts.values()), [str(v) for v in verdicts.values()
                                                            if v.kind != "ok"]
    assert verdicts["provide_remove_unknown_group"].known_bug
    assert "provide-61-low-group-array" in verdicts["provide_remove_unknown_group"].message
    assert "known difference" in verdicts["provide_group_capacity"].message
    assert "\n" not in verdicts["provide_group_capacity"].message


def test_cli_judges_logs(capsys):
    from runner.cli import main
    assert main(["judge", str(DATA / "guest61_real.log")]) == 0
    assert "45 ok" in capsys.readouterr().out
    assert main(["judge", str(DATA / "host_run_mixed.log")]) == 1  # provide_nr_bounds failed then
    assert "REGRESSION: provide_nr_bounds" in capsys.readouterr().out


def test_every_feature_of_the_c_table_is_known_with_its_release(exp):
    # SKIP reasons carry the names of harness/ubc_features.h; the runner reads that same table.
    import re
    src = (TOP / "harness" / "ubc_features.h").read_text()
    rows = re.findall(r'^UBC_FEATURE\(\s*\w+\s*,\s*"([^"]+)"\s*,\s*"([^"]+)"', src, re.M)
    assert len(rows) >= 6
    assert {n: s for n, s in rows} == {n: exp.features[n] for n, _ in rows}


def test_a_malformed_feature_line_is_an_error(tmp_path):
    from runner.judge import features
    bad = tmp_path / "t.h"
    bad.write_text('UBC_FEATURE(X, "name", "six", probe_x)\n')
    with pytest.raises(ValueError, match="t.h:1"):
        features.load(bad)


@pytest.mark.skipif(not shutil.which("dpkg"), reason="no dpkg")
def test_vkey_orders_kernel_versions_as_dpkg_does():
    import subprocess
    from runner.core.versions import vkey
    versions = ["6.1.170-1", "6.1.176-1", "6.12.95-1~bpo12+1", "6.12.95-1", "6.12.107-1",
                "6.16.12-1~bpo13+1", "6.19.14-1", "7.0.13-1", "7.3.4-1~bpo13+1", "7.3.4-1",
                "1:1.35.0-4+deb12u1+b1", "1:1.38.0-3+b1", "6.12.9-1", "6.12.10-1"]
    for a in versions:
        for b in versions:
            if a == b or (":" in a) != (":" in b):
                continue
            lt = subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0
            assert (vkey(a) < vkey(b)) == lt, (a, b)
