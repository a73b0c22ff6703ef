"""Kernel reports while run-cases.sh -P ran cases at once: the case the report's task names
is blamed, and no other; a report no case's task is named in (a kworker, no task line, a
taint change between reads) leaves every case that was in flight to run again alone."""
from runner.ktap import parse_console
from runner.ktap.blame import comm, task_of

HEAD = ["KTAP version 1", "# uring-buffer-conformance on kernel 7.3.4 (x86_64)",
        "# parallel: 2", "1..2"]


def block(n: int, name: str, ok: bool = True, taint: str = "") -> list[str]:
    lines = [f"    # Subtest: {name}", "    TAP version 13", "    1..1",
             f"    ok 1 {name}.t" if ok else f"    not ok 1 {name}.t"]
    if taint:
        lines.append(taint)
    return lines + [f"{'ok' if ok else 'not ok'} {n} {name}", f"# time: {name} 0.10"]


def warn(comm_: str, pid: int, cpu: int = 1, uid: bool = True) -> list[str]:
    who = f"CPU: {cpu} UID: 0 PID: {pid} Comm: {comm_}" if uid else f"CPU: {cpu} PID: {pid} Comm: {comm_}"
    return ["[   12.000001] ------------[ cut here ]------------",
            f"[   12.000002] WARNING: CPU: {cpu} PID: {pid} at io_uring/kbuf.c:100 io_x+0x1/0x2",
            "[   12.000003] Modules linked in:",
            f"[   12.000004] {who} Not tainted 7.3.4 #1",
            "[   12.000005] RIP: 0010:io_x+0x1/0x2",
            "[   12.000006] ---[ end trace 0000000000000000 ]---"]


def console(*parts: list[str], done: bool = True) -> str:
    lines = HEAD + [l for p in parts for l in p]
    if done:
        lines += ["2 passed, 0 failed, 0 skipped", "# ubc-guest: done exit 0"]
    return "\n".join(lines) + "\n"


STARTS = ["# start: clone_lifetime pid=101", "# start: regbuf_tag_on_update pid=102"]


def test_task_lines_of_each_report_shape():
    assert task_of("CPU: 1 PID: 812 Comm: clone_lifetime Not tainted 6.1.0") == (812, "clone_lifetime")
    assert task_of("CPU: 0 UID: 0 PID: 9 Comm: kworker/0:1 Tainted: G W") == (9, "kworker/0:1")
    assert task_of("watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [regbuf_tag_on_u:77]") == (77, "regbuf_tag_on_u")
    assert task_of("INFO: task clone_lifetime:55 blocked for more than 120 seconds.") == (55, "clone_lifetime")
    assert comm("regbuf_tag_on_update") == "regbuf_tag_on_u"


def test_warning_naming_one_case_fails_that_case_only():
    # The WARNING comes while both run; its task line names regbuf_tag_on_update (cut to 15).
    run = parse_console(console(STARTS, warn("regbuf_tag_on_u", 4242),
                                block(1, "clone_lifetime"), block(2, "regbuf_tag_on_update")),
                        ["clone_lifetime", "regbuf_tag_on_update"])
    c = run.cases
    assert c["clone_lifetime"].status == "pass"
    assert c["regbuf_tag_on_update"].status == "fail"
    assert "kernel warning" in c["regbuf_tag_on_update"].reason
    assert [e.case for e in run.events] == ["regbuf_tag_on_update"]
    assert not run.rerun and run.complete


def test_warning_by_the_pid_of_a_start_line_and_the_older_task_line():
    run = parse_console(console(STARTS, warn("sh", 101, uid=False),
                                block(1, "clone_lifetime"), block(2, "regbuf_tag_on_update")))
    assert run.cases["clone_lifetime"].status == "fail"
    assert run.cases["regbuf_tag_on_update"].status == "pass"


def test_warning_from_a_kworker_runs_every_case_in_flight_again():
    run = parse_console(console(STARTS, warn("kworker/1:2", 33),
                                block(1, "clone_lifetime"), block(2, "regbuf_tag_on_update")))
    assert set(run.rerun) == {"clone_lifetime", "regbuf_tag_on_update"}
    assert "a task of no case" in run.rerun["clone_lifetime"]
    assert run.events[0].case is None
    # Nobody is blamed from this console: the reports themselves stay as the KTAP said.
    assert run.cases["clone_lifetime"].status == "pass"


def test_warning_with_one_case_in_flight_is_that_case_as_in_a_serial_run():
    starts = ["# start: clone_lifetime pid=101"]
    text = "\n".join(HEAD[:3] + ["1..1"] + starts + warn("kworker/1:2", 33)[:2]
                     + block(1, "clone_lifetime") + ["1 passed, 0 failed, 0 skipped"]) + "\n"
    run = parse_console(text)
    assert run.cases["clone_lifetime"].status == "fail" and not run.rerun


def test_taint_change_during_two_cases_runs_both_again():
    run = parse_console(console(STARTS, block(1, "clone_lifetime",
                                              taint="# taint changed: 0 -> 64 during clone_lifetime regbuf_tag_on_update"),
                                block(2, "regbuf_tag_on_update")))
    assert set(run.rerun) == {"clone_lifetime", "regbuf_tag_on_update"}
    assert "taint changed: 0 -> 64" in run.rerun["regbuf_tag_on_update"]
    assert [e.kind for e in run.events] == ["taint"] and run.events[0].case is None
    assert run.complete


def test_taint_change_after_the_one_case_that_ran_blames_it():
    run = parse_console(console(STARTS, block(1, "clone_lifetime"),
                                block(2, "regbuf_tag_on_update",
                                      taint="# taint changed: 0 -> 64 after regbuf_tag_on_update")))
    assert run.cases["regbuf_tag_on_update"].status == "fail"
    assert run.cases["clone_lifetime"].status == "pass" and not run.rerun


PANIC = ["[   13.000001] sysrq: Trigger a crash",
         "[   13.000002] Kernel panic - not syncing: sysrq triggered crash",
         "[   13.000003] CPU: 0 UID: 0 PID: 4243 Comm: crash_sysrq Not tainted 7.3.4 #1",
         "[   13.000004] Call Trace:",
         "[   13.000005] Kernel Offset: disabled"]


def test_panic_naming_one_case_crashes_it_and_the_other_runs_again():
    starts = ["# start: crash_sysrq pid=101", "# start: clone_lifetime pid=102"]
    run = parse_console(console(starts, PANIC, done=False), ["crash_sysrq", "clone_lifetime"], "panic")
    assert run.cases["crash_sysrq"].status == "crash"
    assert "no result line (panic): panic: " in run.cases["crash_sysrq"].reason and "sysrq triggered crash" in run.cases["crash_sysrq"].reason
    assert run.cases["clone_lifetime"].status == "notrun"
    assert not run.rerun


def test_a_block_cut_off_by_another_cases_panic_runs_again_not_a_crash():
    # clone_lifetime ended and its block was being printed when crash_sysrq panicked (seen
    # on 7.3): its result is unknown, the panic is not its own.
    starts = ["# start: clone_lifetime pid=101", "# start: crash_sysrq pid=102"]
    cut = ["    # Subtest: clone_lifetime", "    TAP version 13", "    1..1",
           "    ok 1 clone_lifetime.t"]
    run = parse_console(console(starts, cut, PANIC, done=False), ["crash_sysrq", "clone_lifetime"],
                        "panic")
    assert run.cases["crash_sysrq"].status == "crash"
    assert run.cases["clone_lifetime"].status == "notrun"
    assert run.cases["clone_lifetime"].reason == "ended, its block cut off (panic)"
    # One at a time the open block is the running case's, and the crash is its own.
    serial = [l for l in console(cut, PANIC, done=False).splitlines() if l != "# parallel: 2"]
    run = parse_console("\n".join(serial) + "\n", ["clone_lifetime"], "panic")
    assert run.cases["clone_lifetime"].status == "crash"


def test_panic_naming_no_case_runs_both_alone():
    starts = ["# start: crash_sysrq pid=101", "# start: clone_lifetime pid=102"]
    anon = [l.replace("crash_sysrq", "swapper/0") for l in PANIC]
    run = parse_console(console(starts, anon, done=False), ["crash_sysrq", "clone_lifetime"], "panic")
    assert {n: c.status for n, c in run.cases.items()} == {"crash_sysrq": "notrun", "clone_lifetime": "notrun"}
    assert set(run.rerun) == {"crash_sysrq", "clone_lifetime"}


def test_oops_then_fatal_exception_panic_is_the_oops_task():
    starts = ["# start: crash_sysrq pid=101", "# start: clone_lifetime pid=102"]
    oops = ["[   13.000001] BUG: kernel NULL pointer dereference, address: 0000000000000000",
            "[   13.000002] Oops: 0002 [#1] SMP NOPTI",
            "[   13.000003] CPU: 1 UID: 0 PID: 4243 Comm: clone_lifetime Not tainted 7.3.4 #1",
            "[   13.000004] RIP: 0010:io_x+0x1/0x2",
            "[   13.000005] Kernel panic - not syncing: Fatal exception",
            "[   13.000006] Kernel Offset: disabled"]
    run = parse_console(console(starts, oops, done=False), ["crash_sysrq", "clone_lifetime"], "panic")
    assert run.cases["clone_lifetime"].status == "crash"
    assert run.cases["crash_sysrq"].status == "notrun"
    assert [e.case for e in run.events] == ["clone_lifetime"] * 3 and not run.rerun


def test_a_start_line_without_the_parallel_banner_is_a_comment():
    text = "\n".join(["KTAP version 1", "1..1", "# start: clone_lifetime pid=1"]
                     + block(1, "clone_lifetime") + ["1 passed, 0 failed, 0 skipped"]) + "\n"
    run = parse_console(text)
    assert not run.parallel and run.complete and run.cases["clone_lifetime"].status == "pass"
