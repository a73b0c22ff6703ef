"""runner/kselftest/tap.py (and run_tests.sh kselftest-log) over run_kselftest.sh transcripts
written in the shape the kernel's runner (6.12's tools/testing/selftests/kselftest/runner.sh)
prints: one per verdict it can give, and the console accidents runner.ktap already handles for
run-cases.sh's own output."""
import subprocess
import sys
from pathlib import Path

from runner.kselftest import outcomes, parse_kselftest, to_suite_ktap
from runner.ktap import parse_console

SKIP = "IORING_REGISTER_CLONE_BUFFERS absent: a well-formed IORING_REGISTER_CLONE_BUFFERS " \
       "(opcode 30) returned EINVAL (opcode unknown before 6.12)"


def nested(*results, plan=None):
    """A case's kselftest harness output, as run_kselftest.sh prints it (prefixed "# ")."""
    plan = len(results) if plan is None else plan
    lines = ["TAP version 13", f"1..{plan}", f"# Starting {plan} tests from 1 test cases."]
    for i, (word, name, directive) in enumerate(results, 1):
        lines += [f"#  RUN           {name} ...", f"{word} {i} {name}" + (f" # {directive}" if directive else "")]
    return ["# " + line for line in lines]


def case(n, name, body, ok=True, directive="", collection="uring_buffer"):
    """One test of run_kselftest.sh: its header, its output, its result line."""
    hdr = f"selftests: {collection}: {name}"
    result = f"{'ok' if ok else 'not ok'} {n} {hdr}" + (f" # {directive}" if directive else "")
    return ["# timeout set to 120", f"# {hdr}", *body, result]


def kernel_run(*cases, header=("TAP version 13",)):
    body = [line for c in cases for line in c]
    return "\n".join([*header, f"1..{len(cases)}", *body]) + "\n"


PASS = ("ok", "fix.works", "")
FAIL = ("not ok", "fix.breaks", "")


def test_pass_fail_and_nested_subtests():
    text = kernel_run(case(1, "a", nested(PASS, PASS)),
                      case(2, "b", nested(PASS, FAIL), False, "exit=1"))
    run = parse_kselftest(text, ["a", "b"])
    assert run.complete and not run.errors
    assert outcomes(run) == {"a": "pass", "b": "fail"}
    assert [(s.name, str(s.status)) for s in run.cases["b"].subtests] == \
        [("fix.works", "pass"), ("fix.breaks", "fail")]
    assert run.summary == (3, 1, 0)


def test_every_test_skipped_is_a_skip_with_its_reason():
    # The harness exits 0 when every test skipped: the kernel's runner says plain "ok".
    text = kernel_run(case(1, "clone_lifetime", nested(("ok", "clone.x", f"SKIP {SKIP}"))),
                      case(2, "mixed", nested(PASS, ("ok", "clone.y", f"SKIP {SKIP}"))))
    ktap = to_suite_ktap(text)
    assert f"ok 1 clone_lifetime # SKIP {SKIP}\n" in ktap
    assert "ok 2 mixed\n" in ktap
    run = parse_kselftest(text, ["clone_lifetime", "mixed"])
    assert run.complete
    assert outcomes(run) == {"clone_lifetime": "skip", "mixed": "pass"}
    assert run.cases["clone_lifetime"].reason == SKIP
    assert run.summary == (1, 0, 2)


def test_exit_4_skip_and_timeout_are_the_kernel_runners_verdicts():
    text = kernel_run(case(1, "s", nested(("ok", "f.t", "SKIP not here")), True, "SKIP"),
                      case(2, "t", nested(PASS, plan=2) + ["#"], False,
                           "TIMEOUT 120 seconds"))
    assert "not ok 2 t # TIMEOUT 120 seconds\n" in to_suite_ktap(text)
    run = parse_kselftest(text, ["s", "t"])
    assert outcomes(run) == {"s": "skip", "t": "timeout"}
    assert run.complete and run.summary == (1, 1, 1)


def test_missing_results_and_no_plan_are_crashes():
    text = kernel_run(case(1, "died", nested(PASS, plan=3), False, "exit=139"),
                      case(2, "noplan", ["# Segmentation fault"], False, "exit=139"),
                      case(3, "short_ok", nested(PASS, plan=2)))
    ktap = to_suite_ktap(text)
    assert "not ok 1 died # CRASH 2 of 3 results missing, exit 139\n" in ktap
    assert "not ok 2 noplan # CRASH no KTAP plan, exit 139\n" in ktap
    assert "not ok 3 short_ok # CRASH 1 of 2 results missing, exit 0\n" in ktap
    run = parse_kselftest(text, ["died", "noplan", "short_ok"])
    assert set(outcomes(run).values()) == {"crash"}
    assert run.complete


def test_a_log_cut_inside_a_case_is_incomplete_and_a_crash():
    text = kernel_run(case(1, "a", nested(PASS))) + "# timeout set to 120\n" \
        "# selftests: uring_buffer: b\n" + "\n".join(nested(PASS, plan=2)) + "\n"
    assert "passed" not in to_suite_ktap(text)
    run = parse_kselftest(text, ["a", "b", "c"])
    assert not run.complete
    assert outcomes(run) == {"a": "pass", "b": "crash", "c": "notrun"}


def test_a_kernel_warning_is_blamed_on_the_running_case():
    body = nested(PASS)
    body.insert(3, "[   12.345678] WARNING: CPU: 0 PID: 77 at io_uring/rsrc.c:123 io_free+0x1/0x2")
    run = parse_kselftest(kernel_run(case(1, "a", body)), ["a"])
    assert outcomes(run) == {"a": "fail"}
    assert run.cases["a"].reason.startswith("kernel warning")


def test_a_line_cut_by_a_kernel_message_is_joined():
    text = kernel_run(case(1, "a", nested(PASS))).replace(
        "ok 1 selftests: uring_buffer: a",
        "ok 1 selftests: uring_b[    3.000000] random: crng init done\nuffer: a")
    run = parse_kselftest(text, ["a"])
    assert run.complete and outcomes(run) == {"a": "pass"}


def test_other_collections_are_dropped_and_numbers_shifted():
    # A newer run_kselftest.sh: its own header and plan over every collection first; and
    # a runner that numbers on across collections.
    text = kernel_run(case(1, "x", nested(FAIL), False, "exit=1", collection="net"),
                      header=("TAP version 13", "1..3", "TAP version 13"))
    text += "TAP version 13\n1..2\n" + "\n".join(
        case(2, "a", nested(PASS)) + case(3, "b", nested(PASS))) + "\n"
    ktap = to_suite_ktap(text)
    assert "net" not in ktap and "fix.breaks" not in ktap
    assert ktap.startswith("KTAP version 1\n")
    assert "\n1..2\n" in ktap and "ok 1 a\n" in ktap and "ok 2 b\n" in ktap
    run = parse_kselftest(text, ["a", "b"])
    assert run.complete and outcomes(run) == {"a": "pass", "b": "pass"}


def test_a_result_printed_twice_is_still_a_parse_error():
    text = kernel_run(case(1, "a", nested(PASS)), case(1, "b", nested(PASS)))
    run = parse_kselftest(text, ["a", "b"])
    assert not run.complete
    assert any("test number 1 twice" in e for e in run.errors)


def test_no_such_collection_is_not_run():
    run = parse_kselftest("", ["a"])
    assert not run.complete and outcomes(run) == {"a": "notrun"}


def test_command_line(tmp_path):
    log = tmp_path / "ks.log"
    log.write_text(kernel_run(case(1, "a", nested(PASS)), case(2, "b", nested(FAIL), False, "exit=1")))

    def run(*args):
        return subprocess.run([sys.executable, "-m", "runner", "kselftest-log", *args], capture_output=True,
                              text=True, cwd=Path(__file__).resolve().parents[3])
    cp = run("--statuses", str(log))
    assert cp.returncode == 1 and cp.stdout == "a pass\nb fail\n"
    cp = run("--release", "6.1.0-50-cloud-amd64", "--proc-version", "Linux version 6.1.0 x", str(log))
    assert cp.returncode == 0
    parsed = parse_console(cp.stdout)
    assert parsed.release == "6.1.0-50-cloud-amd64" and parsed.arch == "x86_64"
    assert parsed.proc_version == "Linux version 6.1.0 x"
    assert parsed.complete and outcomes(parsed) == {"a": "pass", "b": "fail"}
