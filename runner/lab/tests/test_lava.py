"""runner/lab: the LAVA job, device and test definition the suite writes, the monitor's
pattern against real consoles, the overlay and its lava-test-case bridge, and the reading of
real LAVA logs (recorded with lava-run 2023.01 on Debian 7.3: data/lava_73_{ok,panic,hang}.yaml,
three cases each, the panic and hang ones with runner/testing/guest's crash_sysrq and
hang_console) and of LAVA's verdict."""
from __future__ import annotations

import json
import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest

from runner import cli, ktap
from runner.core.errors import UsageError
from runner.core.paths import RUN_CASES
from runner.guest import GUEST_DONE, GUEST_START
from runner.kernel import qemu
from runner.lab import lava, lava_log
from runner.testing.fakes import DATA

HERE = Path(__file__).resolve().parent
LOGS = HERE / "data"
OK, PANIC, HANG = (LOGS / f"lava_73_{n}.yaml" for n in ("ok", "panic", "hang"))


def yaml_or_skip():
    return pytest.importorskip("yaml", reason="python3-yaml (only to read back what we write)")


def spec(tmp_path, **kw) -> lava.JobSpec:
    k, r = tmp_path / "vmlinuz", tmp_path / "ubc.cpio"
    k.write_bytes(b"k")
    r.write_bytes(b"r")
    return lava.JobSpec(lava.url(str(k), "k"), lava.url(str(r), "r"), **kw)


# -- the job ------------------------------------------------------------------------------------

def test_job_boots_with_the_local_command_line_and_the_guest_markers(tmp_path):
    s = spec(tmp_path)
    j = lava.job(s)
    deploy, boot, test = (a[k] for a, k in zip(j["actions"], ("deploy", "boot", "test")))
    assert j["device_type"] == "qemu" and deploy["to"] == "tmpfs"
    assert boot == {"method": "qemu", "media": "tmpfs", "timeout": {"seconds": s.case_timeout + 60}}
    line = qemu.cmdline(timeout=s.case_timeout)
    assert deploy["images"]["kernel"]["image_arg"] == f'-kernel {{kernel}} -append "{line}"'
    assert deploy["images"]["kernel"]["url"] == f"file://{tmp_path}/vmlinuz"
    assert deploy["images"]["ramdisk"] == {"image_arg": "-initrd {ramdisk}",
                                           "url": f"file://{tmp_path}/ubc.cpio"}
    mon = test["monitors"][0]
    assert (mon["start"], mon["end"]) == (GUEST_START, GUEST_DONE)
    assert mon["fixupdict"] == {"ok": "pass", "not ok": "fail", "SKIP": "skip"}
    assert mon["name"] == lava.SUITE


def test_job_cases_and_case_timeout_go_on_the_command_line(tmp_path):
    j = lava.job(spec(tmp_path, cases=["a_b", "c"], case_timeout=7))
    arg = j["actions"][0]["deploy"]["images"]["kernel"]["image_arg"]
    assert qemu.cmdline(cases=["a_b", "c"], timeout=7) in arg and "ubc.cases=a_b,c" in arg


def test_urls_pass_and_paths_become_file_urls(tmp_path):
    assert lava.url("https://x/y/vmlinuz", "k") == "https://x/y/vmlinuz"
    with pytest.raises(UsageError, match="neither a URL nor a file"):
        lava.url(str(tmp_path / "missing"), "--kernel-url")


def test_yaml_we_write_reads_back_as_the_same_data(tmp_path):
    yaml = yaml_or_skip()
    for data in (lava.job(spec(tmp_path, no_kvm=True)), lava.device(), lava.testdef(),
                 {"a": ["", "yes", "1", "no", "x: y", "it's", "\t", "é", None, True, 3,
                        {"k": [], "l": {}}, [1, [2]]], "null": "~"}):
        assert yaml.safe_load(lava.to_yaml(data, "a comment\non two lines")) == data


def test_job_validates_against_lavas_own_schema_when_lava_is_installed(tmp_path):
    inst = lava.install()
    if inst is None:
        pytest.skip("lava-run not set up (scripts/setup --lava)")
    code = ("import sys, yaml; from lava_common.schemas import validate; "
            "validate(yaml.safe_load(open(sys.argv[1])), extra_context_variables=[])")
    f = tmp_path / "job.yaml"
    f.write_text(lava.job_yaml(spec(tmp_path)))
    cp = subprocess.run(["/usr/bin/python3", "-c", code, str(f)], env=inst.env(),
                        capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr[-2000:]


def test_device_runs_qemu_as_a_local_run_does():
    d = lava.device(accel="tcg", memory="768M")
    params = d["actions"]["boot"]["methods"]["qemu"]["parameters"]
    cmd = qemu.command(Path("K"), Path("I"), "A", accel="tcg", memory="768M")
    assert params["command"] == cmd[0]
    assert " ".join(params["options"]).split() == cmd[1:cmd.index("-kernel")]


# -- the monitor's pattern, matched as pexpect does, on real consoles ---------------------------

def monitor(console: str) -> dict[str, str]:
    """What LAVA's monitor records from a console: pexpect searches the stream after its last
    match for the earliest of [end, pattern] (DOTALL), fixes the result up and cleans the id."""
    end = re.compile(GUEST_DONE, re.DOTALL)
    pat = re.compile(lava.RESULT_PATTERN, re.DOTALL)
    text, pos, out = console.replace("\n", "\r\n"), 0, {}  # a tty's line ends
    text = text[text.index(GUEST_START) + len(GUEST_START):]  # after the start string
    while True:
        e, m = end.search(text, pos), pat.search(text, pos)
        if m is None or (e is not None and e.start() <= m.start()):
            return out
        case = re.sub(r"\W+", "_", m.group("test_case_id").strip().lower())
        out[case] = lava.FIXUPDICT[m.group("result")]
        pos = m.end()


def suite_and_monitor(log: str) -> tuple[dict, dict]:
    text = (DATA / log).read_text()
    if GUEST_START not in text:
        text = GUEST_START + "\n" + text
    return ({n: str(c.status) for n, c in ktap.parse_console(text, None).cases.items()},
            monitor(text))


@pytest.mark.parametrize("log", ["guest61_real.log", "guest612_real.log", "skips61.log"])
def test_the_pattern_reads_every_top_level_result_as_the_suite_does(log):
    suite, lava_said = suite_and_monitor(log)
    assert set(lava_said) == set(suite) and lava_log.compare(lava_said, suite) == []


def test_the_pattern_sees_only_the_top_level_line_not_the_kernels_warnings():
    """Why a lab's run is judged from the console LAVA kept (judge), not from LAVA's cases:
    a kernel WARNING during a case (or after its result) fails it in the suite; LAVA's
    monitor sees the case's own "ok" line."""
    suite, lava_said = suite_and_monitor("warn_during_case.log")
    assert lava_log.compare(lava_said, suite) == [
        "clone_read_through_dst: LAVA pass, the suite fail",
        "clone_write_through_dst: LAVA pass, the suite fail"]


def test_the_pattern_takes_skip_from_the_directive_and_ignores_nested_lines():
    text = (f"{GUEST_START}\nKTAP version 1\n1..4\n    # Subtest: a\n    not ok 1 nested\n"
            "ok 1 a\nnot ok 2 b # CRASH 1 of 3 results missing, exit 139\nok 3 c # SKIP no ring\n"
            "not ok 4 d # TIMEOUT killed after 120s\n0 passed\n" + GUEST_DONE + " exit 1\nok 5 late\n")
    assert monitor(text) == {"a": "pass", "b": "fail", "c": "skip", "d": "fail"}


# -- a device with a shell: the test definition, the overlay, lava-cases.sh ---------------------

def test_testdef_is_lavas_format_and_runs_the_overlay():
    t = lava.testdef(case_timeout=30)
    assert t["metadata"]["format"] == "Lava-Test Test Definition 1.0"
    assert t["metadata"]["name"] == lava.SUITE and t["params"]["UBC_CASE_TIMEOUT"] == "30"
    assert any("ubc/lava-cases.sh" in s for s in t["run"]["steps"])
    inst = lava.install()
    if inst is not None:  # LAVA's own schema of a test definition
        code = ("import json, sys; from lava_common.schemas.test.testdef import validate; "
                "validate(json.loads(sys.argv[1]))")
        cp = subprocess.run(["/usr/bin/python3", "-c", code, json.dumps(t)], env=inst.env(),
                            capture_output=True, text=True)
        assert cp.returncode == 0, cp.stderr[-2000:]


def fake_case(path: Path, lines: list[str], rc: int = 0) -> Path:
    path.write_text("#!/bin/sh\n" + "".join(f"echo '{l}'\n" for l in lines) + f"exit {rc}\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def overlay_tree(tmp_path):
    """An overlay (as lava.overlay() writes it) of four fake cases: pass, fail, skip, crash."""
    src = tmp_path / "src"
    src.mkdir()
    bins = [fake_case(src / "c_pass", ["TAP version 13", "1..1", "ok 1 x"]),
            fake_case(src / "c_fail", ["TAP version 13", "1..2", "ok 1 x", "not ok 2 y"], 1),
            fake_case(src / "c_skip", ["TAP version 13", "1..1", "ok 1 x # SKIP no feature"]),
            fake_case(src / "c_crash", ["TAP version 13", "1..3", "ok 1 x"], 139)]
    tar = lava.overlay(tmp_path / "ubc-overlay.tar.gz", bins, ["liburing test"])
    root = tmp_path / "root"
    root.mkdir()
    with tarfile.open(tar) as tf:
        names = tf.getnames()
        assert all(m.uid == 0 and m.gid == 0 for m in tf.getmembers())
        tf.extractall(root)
    assert {"ubc/lava-cases.sh", "ubc/bin/run-cases.sh", "ubc/cases", "ubc/versions.txt",
            "ubc/bin/c_pass"} <= set(names)
    assert (root / "ubc/bin/run-cases.sh").read_bytes() == RUN_CASES.read_bytes()
    return root


def run_bridge(root: Path, path_dirs: list[Path], *args: str):
    env = {**os.environ, "PATH": ":".join(map(str, path_dirs)) + ":" + os.environ["PATH"]}
    return subprocess.run(["sh", str(root / "ubc/lava-cases.sh"), *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_lava_cases_calls_lava_test_case_for_each_top_level_result(overlay_tree, tmp_path):
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    fake = bin_dir / "lava-test-case"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    fake.chmod(0o755)
    cp = run_bridge(overlay_tree, [bin_dir], "-t", "30")
    assert cp.returncode == 0, cp.stderr
    got = [line.split() for line in calls.read_text().splitlines()]
    assert [(c[0], c[2]) for c in got] == [("c_pass", "pass"), ("c_fail", "fail"),
                                           ("c_skip", "skip"), ("c_crash", "fail")]
    assert all(c[3] == "--measurement" and float(c[4]) >= 0 and c[5:] == ["--units", "seconds"]
               for c in got)
    # The KTAP went through whole, so the console of a shell job can be judged too.
    run = ktap.parse_console(cp.stdout, None)
    assert run.complete and {n: str(c.status) for n, c in run.cases.items()} == \
        {"c_pass": "pass", "c_fail": "fail", "c_skip": "skip", "c_crash": "crash"}


def test_lava_cases_with_lavas_own_lava_test_case(overlay_tree, tmp_path):
    inst = lava.install()
    if inst is None:
        pytest.skip("lava-run not set up (scripts/setup --lava)")
    shell = Path(inst.pythonpath.split(":")[0]) / "lava_dispatcher" / "lava_test_shell"
    bin_dir = tmp_path / "bin"  # LAVA writes the interpreter line in when it deploys them
    bin_dir.mkdir()
    for name in ("lava-test-case", "lava-common-functions"):
        (bin_dir / name).write_text("#!/bin/sh\n" + (shell / name).read_text())
        (bin_dir / name).chmod(0o755)
    env_dir = tmp_path / "results"
    os.environ["LAVA_RESULT_DIR"] = str(env_dir)
    try:
        cp = run_bridge(overlay_tree, [bin_dir], "c_pass", "c_skip", "c_fail")
    finally:
        del os.environ["LAVA_RESULT_DIR"]
    assert cp.returncode == 0, cp.stderr
    signals = re.findall(r"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=(\S+) RESULT=(\w+)", cp.stdout)
    assert signals == [("c_pass", "pass"), ("c_skip", "skip"), ("c_fail", "fail")]
    assert (env_dir / "results" / "c_skip" / "result").read_text().strip() == "skip"


def test_lava_cases_fails_when_the_ktap_is_not_whole(overlay_tree, tmp_path):
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    (bin_dir / "lava-test-case").write_text("#!/bin/sh\n")
    (bin_dir / "lava-test-case").chmod(0o755)
    (overlay_tree / "ubc/bin/run-cases.sh").write_text("#!/bin/sh\necho 'KTAP version 1'\necho '1..2'\n"
                                                       "echo 'ok 1 c_pass'\n")
    cp = run_bridge(overlay_tree, [bin_dir])
    assert cp.returncode == 1 and "not whole: 1 of 2 results" in cp.stderr


# -- LAVA's log, read back ----------------------------------------------------------------------

def test_every_line_of_real_logs_reads_as_pyyaml_reads_it():
    yaml = yaml_or_skip()
    for f in (OK, PANIC, HANG):
        for line in f.read_text().splitlines():
            assert lava_log.parse_line(line) == yaml.load(line, Loader=yaml.SafeLoader), line


@pytest.mark.parametrize("line,want", [
    ('{"dt": "1", "lvl": "target", "msg": "a\\\\\\"b\\x01\\u00e9\\tc"}', 'a\\"b\x01\u00e9\tc'),
    ('- {"dt": "1", "lvl": "results", "msg": {"n": !!int "3", "s": ! "12", "z": !!null "null", "l": []}}',
     {"n": 3, "s": 12, "z": None, "l": []}),
])
def test_parse_line_reads_lavas_escapes_and_tags(line, want):
    assert lava_log.parse_line(line)["msg"] == want


def test_not_a_record_is_counted_not_fatal():
    log = lava_log.read_text('{"dt": "1", "lvl": "info", "msg": "x"}\nTraceback (most recent\n'
                             '{"dt": "2", "lvl": "target", "msg": "cut')
    assert (log.records, log.unreadable) == (1, 2)


def test_a_whole_run_its_console_and_results():
    log = lava_log.read(OK)
    v = lava_log.verdict(log)
    assert v.whole and v.end_reason is None and lava_log.exit_status(v) == 0
    assert log.results() == {"clone_src_empty": "pass", "provide_res_zero": "pass",
                             "regbuf_zero_length": "pass"}
    assert log.definitions() == [lava.SUITE]
    assert GUEST_START in log.console and any(l.startswith(GUEST_DONE) for l in log.console)
    assert log.console[-1] != "poweroff"  # LAVA's own typing is not the guest's console
    run = ktap.parse_console(log.console_text(), None)
    assert run.complete and run.release.startswith("7.3")
    assert lava_log.compare(log.results(), {n: str(c.status) for n, c in run.cases.items()}) == []


def test_a_panic_is_an_infrastructure_error_and_not_whole():
    log = lava_log.read(PANIC)
    v = lava_log.verdict(log)
    assert not v.whole and lava_log.exit_status(v) == 3
    assert "Infrastructure" in v.why and "end marker never came" in v.why
    assert log.results() == {"clone_src_empty": "pass"}  # crash_sysrq took the kernel down
    assert any("Kernel panic - not syncing: sysrq triggered crash" in l for l in log.console)


def test_a_hang_passes_the_lava_job_but_is_not_whole():
    log = lava_log.read(HANG)
    assert log.job["result"] == "pass"  # what LAVA itself says (and lava-run exits 0)
    v = lava_log.verdict(log)
    assert not v.whole and "timed out" in v.why and "end marker never came" in v.why


def test_compare_maps_the_suites_statuses_to_what_lava_can_see():
    suite = {"a": "pass", "b": "crash", "c": "timeout", "d": "skip", "e": "notrun", "f": "fail"}
    assert lava_log.compare({"a": "pass", "b": "fail", "c": "fail", "d": "skip", "f": "fail"},
                            suite) == []
    assert lava_log.compare({"a": "fail", "d": "skip", "x": "pass"}, {"a": "pass", "d": "skip",
                                                                      "b": "fail"}) == [
        "a: LAVA fail, the suite pass", "b: LAVA has no result (the suite: fail)",
        "x: LAVA pass, the suite has no such case"]


# -- the commands -------------------------------------------------------------------------------

def test_lava_log_command_exit_statuses(capsys):
    assert cli.main(["lava-log", str(OK)]) == 0
    out, err = capsys.readouterr()
    assert "KTAP version 1" in out and "LAVA job complete" in err
    assert cli.main(["lava-log", str(HANG)]) == 3
    assert "timed out" in capsys.readouterr().err
    assert cli.main(["lava-log", str(PANIC), "--tests"]) == 3
    assert capsys.readouterr().out == f"{lava.SUITE}\tclone_src_empty\tpass\n"
    assert cli.main(["lava-log", str(OK), "--compare"]) == 0
    assert "agree on every case" in capsys.readouterr().out


def test_lava_log_against_a_summary_that_disagrees_is_exit_1(tmp_path, capsys):
    s = {"schema": 2, "run": {}, "kernels": [{"id": "7.3", "cases": {
        "clone_src_empty": {"status": "pass"}, "provide_res_zero": {"status": "fail"},
        "regbuf_zero_length": {"status": "pass"}}}]}
    (tmp_path / "summary.json").write_text(json.dumps(s))
    assert cli.main(["lava-log", str(OK), "--against", str(tmp_path / "summary.json")]) == 1
    assert "provide_res_zero: LAVA pass, the suite fail" in capsys.readouterr().out


def test_lava_log_of_something_else_is_a_usage_error(tmp_path):
    (tmp_path / "x.log").write_text("KTAP version 1\n")
    assert cli.main(["lava-log", str(tmp_path / "x.log")]) == 2


@pytest.mark.parametrize("log,rc,word", [(OK, 0, "3 ok"), (PANIC, 1, "crash_sysrq crash"),
                                         (HANG, 1, "hang_console crash")])
def test_judge_reads_a_lava_log_like_a_console(log, rc, word, capsys):
    assert cli.main(["judge", str(log)]) == rc
    out = capsys.readouterr().out
    assert word in out
    if log is not OK:
        assert "INCOMPLETE" in out and "LAVA" in out


def test_judge_of_a_lava_log_without_ktap_is_not_run(tmp_path, capsys):
    lines = [l for l in PANIC.read_text().splitlines() if '"lvl": "target"' not in l]
    (tmp_path / "log.yaml").write_text("\n".join(lines) + "\n")
    assert cli.main(["judge", str(tmp_path / "log.yaml")]) == 3
    assert "never ran the cases" in capsys.readouterr().out


def test_lava_job_command_writes_the_job_and_a_device(tmp_path, capsys):
    k, r = tmp_path / "vmlinuz", tmp_path / "ubc.cpio"
    k.write_bytes(b"k")
    r.write_bytes(b"r")
    assert cli.main(["lava-job", "--kernel-url", str(k), "--ramdisk-url", "https://lab/ubc.cpio",
                     "--device", str(tmp_path / "dev.yaml"), "--case-timeout", "30"]) == 0
    out = capsys.readouterr().out
    assert "ubc.timeout=30" in out and "url: 'https://lab/ubc.cpio'" in out
    assert "-accel tcg" in (tmp_path / "dev.yaml").read_text()
    assert cli.main(["lava-job", "--kernel-url", str(tmp_path / "nope"), "--ramdisk-url",
                     str(r)]) == 2
    assert cli.main(["lava-job", "--kernel-url", str(k), "--ramdisk-url", str(r),
                     "--timeout", "3"]) == 2


def test_lava_overlay_testdef_only_needs_no_build(tmp_path, capsys):
    assert cli.main(["lava-overlay", "--testdef", "-"]) == 0
    assert "Lava-Test Test Definition 1.0" in capsys.readouterr().out
    assert cli.main(["lava-overlay"]) == 2


BUILT = (Path(__file__).resolve().parents[3] / "build" / "bin" / "provide_res_zero").exists()


@pytest.mark.skipif(not BUILT, reason="no case binaries built (run make)")
def test_initramfs_and_overlay_commands_on_the_build(tmp_path, capsys):
    from runner.kernel.initramfs import parse_cpio
    assert cli.main(["initramfs", "--no-build", "-o", str(tmp_path / "u.cpio"),
                     "provide_res_zero"]) == 0
    names = {n for n, _, _ in parse_cpio((tmp_path / "u.cpio").read_bytes())}
    assert {"init", "bin/busybox", "ubc/bin/provide_res_zero", "ubc/bin/run-cases.sh"} <= names
    assert cli.main(["lava-overlay", "--no-build", "-o", str(tmp_path / "o.tar.gz"),
                     "provide_res_zero", "clone_src_empty"]) == 0
    with tarfile.open(tmp_path / "o.tar.gz") as tf:
        m = {t.name: t for t in tf.getmembers()}
    assert m["ubc/bin/provide_res_zero"].issym() and m["ubc/multi/ubc-cases"].isfile()
    assert cli.main(["initramfs", "--no-build", "-o", str(tmp_path), "provide_res_zero"]) == 2
