"""run_cases() with cases run at once: what a boot cannot pin on one case (ConsoleRun.rerun)
runs again alone, one case at a time, in a fresh boot (the sink asks for jobs=1), and that
boot's result is the case's, saying so; an exact blame needs no second boot."""
from runner.kernel import qemu
from runner.ktap.tests.test_parallel_blame import HEAD, PANIC, block, warn
from runner.run import kernel_run as session


def serial(remaining, how: dict) -> list[str]:
    """A -P 1 console of `remaining`: a case in `how` taints (a WARNING on its own task)."""
    lines = ["KTAP version 1", "# uring-buffer-conformance on kernel 7.3.4 (x86_64)",
             f"1..{len(remaining)}"]
    for n, name in enumerate(remaining, 1):
        lines += [f"    # Subtest: {name}", "    TAP version 13", "    1..1", f"    ok 1 {name}.t"]
        if how.get(name) == "warn":
            lines += warn("sh", 77)[:2] + ["# taint changed: 0 -> 512 after " + name]
        lines += [f"ok {n} {name}", f"# time: {name} 0.10"]
    return lines + [f"{len(remaining)} passed, 0 failed, 0 skipped", qemu.DONE_MARK + " exit 0"]


class ScriptedVM:
    """The first boot plays `first` (cases at once); later boots are serial consoles in
    which the cases of `serial_how` do what they do."""

    def __init__(self, first: list[str], first_end=None, serial_how=None):
        self.first, self.first_end, self.how = first, first_end, serial_how or {}
        self.boots: list[tuple[list[str], int | None]] = []

    def __call__(self, remaining, sink):
        self.boots.append((list(remaining), sink.jobs))
        if len(self.boots) == 1:
            lines, end = self.first, self.first_end
        else:
            lines, end = serial(remaining, self.how), None
        for line in lines:
            sink(line)
        return qemu.Boot(console=lines, exit_code=0, end_reason=end, seconds=1.0)


CASES = ["clone_lifetime", "regbuf_tag_on_update"]
STARTS = ["# start: clone_lifetime pid=101", "# start: regbuf_tag_on_update pid=102"]
DONE = ["2 passed, 0 failed, 0 skipped", qemu.DONE_MARK + " exit 0"]


def test_exact_blame_needs_no_second_boot():
    vm = ScriptedVM(HEAD + STARTS + warn("clone_lifetime", 9) + block(1, "clone_lifetime")
                    + block(2, "regbuf_tag_on_update") + DONE)
    results, runs = session.run_cases(CASES, vm)
    assert len(vm.boots) == 1
    assert results["clone_lifetime"].status == "fail" and results["regbuf_tag_on_update"].status == "pass"


def test_taint_during_two_cases_runs_both_alone_and_blames_the_one():
    taint = "# taint changed: 0 -> 64 during clone_lifetime regbuf_tag_on_update"
    vm = ScriptedVM(HEAD + STARTS + block(1, "regbuf_tag_on_update", taint=taint)
                    + block(2, "clone_lifetime") + DONE, serial_how={"regbuf_tag_on_update": "warn"})
    results, runs = session.run_cases(CASES, vm)
    assert vm.boots == [(CASES, None), (["clone_lifetime", "regbuf_tag_on_update"], 1)]
    r = results["regbuf_tag_on_update"]
    assert r.status == "fail" and "taint" in r.reason
    assert "run again alone in a fresh boot (2): taint changed: 0 -> 64" in r.reason
    assert results["clone_lifetime"].status == "pass"
    assert "run again alone" in results["clone_lifetime"].reason


def test_kworker_warning_runs_the_cases_in_flight_alone():
    vm = ScriptedVM(HEAD + STARTS + warn("kworker/u4:1", 12) + block(1, "clone_lifetime")
                    + block(2, "regbuf_tag_on_update") + DONE, serial_how={"clone_lifetime": "warn"})
    results, _ = session.run_cases(CASES, vm)
    assert [b[1] for b in vm.boots] == [None, 1]
    assert results["clone_lifetime"].status == "fail"
    assert results["regbuf_tag_on_update"].status == "pass"


def test_panic_naming_one_case_crashes_it_and_the_other_runs_in_the_next_boot():
    names = ["crash_sysrq", "clone_lifetime"]
    starts = ["# start: crash_sysrq pid=101", "# start: clone_lifetime pid=102"]
    vm = ScriptedVM(HEAD + starts + PANIC, first_end="panic")
    results, _ = session.run_cases(names, vm)
    assert vm.boots == [(names, None), (["clone_lifetime"], None)]
    assert results["crash_sysrq"].status == "crash" and results["clone_lifetime"].status == "pass"


def test_panic_naming_no_case_runs_both_alone():
    names = ["crash_sysrq", "clone_lifetime", "later_case"]
    starts = ["# start: crash_sysrq pid=101", "# start: clone_lifetime pid=102"]
    anon = [l.replace("crash_sysrq", "swapper/0") for l in PANIC]
    vm = ScriptedVM(HEAD + starts + anon, first_end="panic")
    results, _ = session.run_cases(names, vm)
    # The suspects alone first, then the case that never started, at once again.
    assert vm.boots == [(names, None), (["crash_sysrq", "clone_lifetime"], 1), (["later_case"], None)]
    assert all(c.status == "pass" for c in results.values())
    assert "run again alone in a fresh boot (2): kernel panic" in results["crash_sysrq"].reason
