"""runner/kernel_run.py run_cases(): a crash, a killed VM or a timeout fails the case that was
running, keeps every result already printed, and boots again with the cases left; nothing is
ever reported as passed without its result line. A fake boot function plays the consoles."""
from runner.report import junit
from runner.judge import expected
from runner import ktap
from runner.run import plugin
from runner.kernel import qemu
from runner.run import kernel_run as session
from runner.judge.verdict import judge as verdict_judge, judge_raw

EXP = expected.load_expectations(expected.Path(__file__).resolve().parents[3] / "expected")


def judge(k, c, raw=False):
    v = judge_raw(c) if raw else verdict_judge(k.release(), k.proc_version(), c, EXP)
    release = k.release()
    return junit.outcome(f"{k.spec} ({release}, {k.accel})" if release else k.spec, c, v)

BANNER = ["[    0.000000] Linux version 6.12.107+deb13-cloud-amd64", "# ubc-guest: start",
          "KTAP version 1", "# uring-buffer-conformance on kernel 6.12.107+deb13-cloud-amd64 (x86_64)"]


def case_lines(n: int, name: str, how: str) -> list[str]:
    """The console of one case: 'pass', 'skip', 'fail', or it dies: 'panic', 'kill', 'hang'."""
    out = [f"    # Subtest: {name}", "    TAP version 13", "    1..1"]
    if how == "pass":
        return out + ["    ok 1 t.one", f"ok {n} {name}"]
    if how == "skip":
        return out + ["    ok 1 t.one # SKIP feature absent: EINVAL", f"ok {n} {name} # SKIP feature absent: EINVAL"]
    if how == "fail":
        return out + ["    # t.one: Expected 0 (0) == res (-22)", "    not ok 1 t.one", f"not ok {n} {name}"]
    if how == "panic":
        return out + ["[    5.1] sysrq: Trigger a crash",
                      "[    5.2] Kernel panic - not syncing: sysrq triggered crash",
                      "[    5.3] CPU: 0 PID: 80 Comm: sh Not tainted", "[    5.4] Kernel Offset: disabled"]
    return out  # 'kill' and 'hang': the console just stops


class FakeVM:
    """Plays one console per boot from a behaviour table: {case: how} (default pass).
    `once` behaviours happen only on the first boot that runs the case."""

    def __init__(self, behaviour: dict, once: bool = True):
        self.behaviour, self.once = dict(behaviour), once
        self.boots: list[list[str]] = []

    def __call__(self, remaining, on_line):
        self.boots.append(list(remaining))
        lines = list(BANNER) + [f"1..{len(remaining)}"]
        end, code = None, 0
        for n, name in enumerate(remaining, 1):
            how = self.behaviour.get(name, "pass")
            lines += case_lines(n, name, how)
            if how in ("panic", "kill", "hang"):
                end = {"panic": "panic", "kill": "qemu exit -9", "hang": "timeout"}[how]
                code = {"panic": 0, "kill": -9, "hang": -9}[how]
                if self.once:
                    self.behaviour[name] = "pass"
                break
        else:
            lines += [f"{len(remaining)} passed, 0 failed, 0 skipped", qemu.DONE_MARK + " exit 0",
                      "[    9.9] reboot: Power down"]
        for line in lines:
            on_line(line)
        return qemu.Boot(console=lines, exit_code=code, end_reason=end, seconds=1.0)


CASES = ["a", "b", "c", "d"]


def statuses(results):
    return {n: c.status for n, c in results.items()}


def test_clean_run_is_one_boot():
    vm = FakeVM({"b": "skip", "c": "fail"})
    results, runs = session.run_cases(CASES, vm)
    assert statuses(results) == {"a": "pass", "b": "skip", "c": "fail", "d": "pass"}
    assert vm.boots == [CASES] and len(runs) == 1
    assert results["b"].reason == "feature absent: EINVAL"


def test_panic_fails_that_case_and_the_rest_run_in_a_new_boot():
    vm = FakeVM({"b": "panic"})
    done = []
    results, runs = session.run_cases(CASES, vm, on_case=lambda c: done.append(c.name))
    assert vm.boots == [CASES, ["c", "d"]]
    assert statuses(results) == {"a": "pass", "b": "crash", "c": "pass", "d": "pass"}
    assert "panic" in results["b"].reason and "sysrq triggered crash" in results["b"].reason
    assert list(results) == CASES
    assert done[:1] == ["a"] and "c" in done


def test_killed_vm_fails_the_running_case_and_keeps_the_others():
    vm = FakeVM({"c": "kill"})
    results, _ = session.run_cases(CASES, vm)
    assert vm.boots == [CASES, ["d"]]
    assert statuses(results) == {"a": "pass", "b": "pass", "c": "crash", "d": "pass"}
    assert "qemu exit -9" in results["c"].reason


def test_vm_timeout_fails_the_running_case():
    vm = FakeVM({"a": "hang"})
    results, _ = session.run_cases(CASES, vm)
    assert statuses(results)["a"] == "crash" and "timeout" in results["a"].reason
    assert vm.boots == [CASES, ["b", "c", "d"]]


def test_every_case_panicking_needs_one_boot_each_and_still_ends():
    vm = FakeVM({n: "panic" for n in CASES})
    results, runs = session.run_cases(CASES, vm)
    assert statuses(results) == {n: "crash" for n in CASES}
    assert len(runs) == 4


def test_a_kernel_that_never_reaches_the_cases_is_notrun_not_passed():
    def dead(remaining, on_line):
        lines = ["[    0.5] Kernel panic - not syncing: VFS: Unable to mount root fs"]
        for line in lines:
            on_line(line)
        return qemu.Boot(console=lines, exit_code=0, end_reason="panic")
    results, runs = session.run_cases(CASES, dead)
    assert len(runs) == 1
    assert statuses(results) == {n: "notrun" for n in CASES}
    assert all("no case started" in c.reason and "panic" in c.reason for c in results.values())


def test_max_boots_stops_the_loop():
    vm = FakeVM({n: "panic" for n in CASES})
    results, runs = session.run_cases(CASES, vm, max_boots=2)
    assert len(runs) == 2
    assert statuses(results) == {"a": "crash", "b": "crash", "c": "notrun", "d": "notrun"}
    assert "gave up after 2 boots" in results["c"].reason


def test_normal_end_with_missing_cases_is_a_crash_not_a_pass():
    def short(remaining, on_line):
        lines = list(BANNER) + [f"1..{len(remaining)}"] + case_lines(1, remaining[0], "pass") + \
            ["1 passed, 0 failed, 0 skipped", qemu.DONE_MARK + " exit 0"]
        for line in lines:
            on_line(line)
        return qemu.Boot(console=lines, exit_code=0, end_reason=None)
    results, runs = session.run_cases(CASES, short)
    assert len(runs) == 1
    assert statuses(results) == {"a": "pass", "b": "crash", "c": "crash", "d": "crash"}


def test_ranges_keep_the_command_line_short():
    assert session.ranges([1, 2, 3, 5, 7, 8]) == "1-3,5,7-8"
    assert session.ranges([4]) == "4"
    assert session.ranges([]) == ""


# -- judge(): the one seam between a result and pytest ------------------------------------------

class FakeKernel:
    spec, accel = "6.12", "tcg"

    def release(self):
        return "6.12.107+deb13-cloud-amd64"

    def proc_version(self):
        return ""


def test_judge_raw_mapping():
    k = FakeKernel()
    assert judge(k, ktap.CaseResult("a", "pass"), raw=True) == ("passed", "")
    assert judge(k, ktap.CaseResult("a", "skip", "clone absent: EINVAL"), raw=True) == \
        ("skipped", "clone absent: EINVAL")
    crash = ktap.CaseResult("a", "crash", "no result line (panic)",
                            log=["    # Subtest: a", "[ 5.2] Kernel panic - not syncing: x"])
    outcome, msg = judge(k, crash, raw=True)
    assert outcome == "failed"
    assert msg.startswith("CRASH on 6.12 (6.12.107+deb13-cloud-amd64, tcg): no result line (panic)")
    assert "Kernel panic - not syncing: x" in msg
    for st in ("fail", "timeout", "notrun"):
        assert judge(k, ktap.CaseResult("a", st, "why"), raw=True)[0] == "failed"


class FakeKernel616(FakeKernel):
    spec = "6.16"

    def release(self):
        return "6.16.12+deb13-cloud-amd64"


def test_judge_against_expected():
    # The default judge reads expected/: a known kernel bug is xfailed, a regression fails
    # with the console excerpt, a case with no entry is shown as UNKNOWN, never passed.
    k = FakeKernel()
    assert judge(k, ktap.CaseResult("clone_lifetime", "pass"))[0] == "passed"
    outcome, msg = judge(k, ktap.CaseResult("clone_lifetime", "fail", "Expected 0 == -22",
                                                   log=["    not ok 1 lifetime.x"]))
    assert outcome == "failed" and "expects pass" in msg and "not ok 1 lifetime.x" in msg
    outcome, msg = judge(FakeKernel616(), ktap.CaseResult(
        "provide_group_capacity", "fail", "", subtests=[
            ktap.SubResult("capacity.group_holds_65536", "fail", "")]))
    assert outcome == "xfailed" and "known bug" in msg
    outcome, msg = judge(k, ktap.CaseResult("no_such_case", "pass"))
    assert outcome == "skipped" and msg.startswith("UNKNOWN")


def test_excerpt_keeps_head_and_tail():
    c = ktap.CaseResult("a", "crash", log=[f"line {i}" for i in range(100)])
    ex = junit.excerpt(c).splitlines()
    assert ex[0] == "line 0" and ex[-1] == "line 99" and "[... 50 lines ...]" in ex
