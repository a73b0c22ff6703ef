"""runner/ktap/parser.py over golden console logs (runner/testing/data/).

host_run_mixed.log is a real ./run_tests.sh run on the host (one case failing, nested skips);
the others are made from real output by hand, each for one console accident.
"""
from pathlib import Path

from runner.testing.fakes import DATA
from runner.ktap.parser import ConsoleParser, parse_console



def load(name: str) -> str:
    with open(DATA / name, newline="") as f:  # keep the console's \r\n
        return f.read()


def test_real_host_run():
    run = parse_console(load("host_run_mixed.log"), None)
    assert run.complete
    assert run.plan == 9 and len(run.cases) == 9
    assert run.release == "6.18.44-fc-v595" and run.arch == "x86_64"
    assert run.proc_version.startswith("Linux version 6.18.44-fc-v595")
    assert run.banner[0].startswith("# uring-buffer-conformance on kernel")
    assert run.summary == (23, 1, 2)
    assert run.events == []
    statuses = {n: c.status for n, c in run.cases.items()}
    assert statuses.pop("provide_nr_bounds") == "fail"
    assert set(statuses.values()) == {"pass"}
    nr = run.cases["provide_nr_bounds"]
    assert [s.status for s in nr.subtests] == ["skip", "pass", "pass", "pass", "fail", "pass",
                                               "skip", "pass"]
    assert nr.subtests[0].reason == "only for the accepted counts"
    bad = nr.subtests[4]
    assert bad.name == "nr_bounds.nr_65536_ok.all_buffers_arrive"
    assert "Expected variant->nr (65536) == res (65535)" in bad.reason
    assert "nr_bounds.nr_65536_ok.all_buffers_arrive" in nr.reason
    assert nr.log[0] == "    # Subtest: provide_nr_bounds" and nr.log[-1] == "not ok 8 provide_nr_bounds"
    assert list(run.cases)[:2] == ["clone_read_through_dst", "clone_sparse_slot_stays_empty"]


def test_panic_mid_run_crashes_that_case_and_notruns_the_rest():
    expected = ["provide_bid_sequence", "provide_res_zero", "clone_read_through_dst"]
    run = parse_console(load("guest61_panic.log"), expected, end_reason="panic")
    assert not run.complete
    assert run.release == "6.1.0-50-amd64"
    assert "Debian 6.1.176-1" in run.proc_version
    c = run.cases
    assert c["provide_bid_sequence"].status == "pass"
    crash = c["provide_res_zero"]
    assert crash.status == "crash"
    assert "no result line (panic)" in crash.reason and "NULL pointer dereference" in crash.reason
    assert any("Kernel panic - not syncing" in line for line in crash.log)
    assert c["clone_read_through_dst"].status == "notrun"
    kinds = [(e.kind, e.case) for e in run.events]
    assert ("panic", "provide_res_zero") in kinds and ("bug", "provide_res_zero") in kinds
    oops = next(e for e in run.events if e.kind == "bug")
    assert "io_provide_buffers" in oops.excerpt  # the excerpt follows the report
    assert list(c) == expected


def test_hang_truncated_is_crash_with_end_reason():
    run = parse_console(load("hang_truncated.log"), ["provide_bid_sequence", "provide_res_zero"],
                        end_reason="timeout")
    assert run.cases["provide_bid_sequence"].status == "pass"
    hung = run.cases["provide_res_zero"]
    assert hung.status == "crash" and hung.reason == "no result line (timeout)"
    assert not run.complete


def test_warn_during_case_fails_it_even_though_ktap_says_ok():
    run = parse_console(load("warn_during_case.log"), None)
    assert run.complete
    warned = run.cases["clone_read_through_dst"]
    assert warned.ktap_status == "pass"
    assert warned.status == "fail"
    assert "kernel warning" in warned.reason and "io_rsrc_put_work" in warned.reason
    assert any(e.kind == "taint" and e.case == "clone_read_through_dst" for e in run.events)
    # A WARN between two cases (deferred ring teardown) blames the case that just ended.
    late = run.cases["clone_write_through_dst"]
    assert late.status == "fail" and "after its result" in late.reason
    assert run.cases["clone_sparse_slot_stays_empty"].status == "pass"


def test_interleaved_printk_and_garbage():
    run = parse_console(load("interleaved.log"), ["provide_bad_args", "provide_multi_call_order"])
    assert run.plan == 2 and run.complete
    bad = run.cases["provide_bad_args"]
    assert bad.status == "pass", bad.reason
    assert [s.name for s in bad.subtests][2] == "bad_args.addr_range_wraps_eoverflow.provide_res"
    assert len(bad.subtests) == 6
    assert run.cases["provide_multi_call_order"].status == "pass"
    assert "ok 7 not-a-case" not in "".join(run.cases)  # garbage before KTAP is ignored
    assert run.events == []
    assert any("crng init done" in line for line in bad.log)


def test_truncated_nested_output_is_never_a_pass():
    run = parse_console(load("truncated.log"), ["provide_bid_sequence", "provide_bid_bounds", "x"])
    assert run.cases["provide_bid_bounds"].status == "crash"
    assert run.cases["x"].status == "notrun"
    assert "console ended" in run.cases["x"].reason


def test_skips_with_probe_reasons():
    run = parse_console(load("skips61.log"), None)
    c = run.cases["clone_read_through_dst"]
    assert c.status == "skip"
    assert c.reason.startswith("IORING_REGISTER_CLONE_BUFFERS absent: a well-formed")
    assert c.subtests[0].status == "skip"
    assert run.cases["provide_nr_bounds"].status == "fail"


def test_feed_reports_cases_as_they_complete():
    p = ConsoleParser()
    done = []
    for line in load("host_run_mixed.log").splitlines():
        done += [c.name for c in p.feed(line)]
    assert len(done) == 9 and done[0] == "clone_read_through_dst"
    assert p.finish([]).complete


def test_fewer_results_than_nested_plan_is_crash_not_pass():
    text = "\n".join(["KTAP version 1", "1..1", "    # Subtest: a", "    TAP version 13",
                      "    1..3", "    ok 1 t.one", "ok 1 a", "1 passed, 0 failed, 0 skipped"])
    run = parse_console(text, ["a"])
    assert run.cases["a"].status == "crash"
    assert "2 of 3 results missing" in run.cases["a"].reason


def test_timeout_and_crash_directives():
    text = "\n".join(["KTAP version 1", "1..2", "    # Subtest: a", "    1..1",
                      "not ok 1 a # TIMEOUT killed after 120s", "    # Subtest: b", "    1..2",
                      "    ok 1 b.x", "not ok 2 b # CRASH 1 of 2 results missing, exit 139",
                      "0 passed, 2 failed, 0 skipped"])
    run = parse_console(text, ["a", "b"])
    assert run.cases["a"].status == "timeout" and run.cases["a"].reason == "killed after 120s"
    assert run.cases["b"].status == "crash" and "exit 139" in run.cases["b"].reason


def test_kernel_events_without_timestamps():
    text = "\n".join(["KTAP version 1", "1..2", "    # Subtest: a", "    1..1",
                      "    ok 1 a.x", "UBSAN: shift-out-of-bounds in io_uring/kbuf.c:40:9",
                      "ok 1 a", "    # Subtest: b", "    1..1",
                      "    okBUG: kernel NULL pointer dereference, address: 0000000000000000",
                      " 1 b.x", "ok 2 b"])
    run = parse_console(text, ["a", "b"], end_reason="qemu exit 1")
    assert run.cases["a"].status == "fail" and "ubsan" in run.cases["a"].reason
    assert run.cases["b"].status == "crash"
    assert run.cases["b"].subtests[0].name == "b.x"  # the split line was put back together
    assert not run.complete


def test_rcu_stall_and_hung_task_fail_the_case():
    for msg, kind in [("[  30.000000] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", "rcu"),
                      ("[ 250.000000] INFO: task kworker/0:1:12 blocked for more than 120 seconds.",
                       "hung"),
                      ("[  40.000000] watchdog: BUG: soft lockup - CPU#0 stuck for 26s!", "lockup"),
                      ("[  40.000000] BUG: KASAN: use-after-free in io_buffer_select+0x1", "kasan")]:
        text = "\n".join(["KTAP version 1", "1..1", "    # Subtest: a", "    1..1", msg,
                          "    ok 1 a.x", "ok 1 a", "1 passed, 0 failed, 0 skipped"])
        run = parse_console(text, ["a"])
        assert [e.kind for e in run.events] == [kind]
        assert run.cases["a"].status == "fail", msg


def test_real_guest_console_61():
    # The whole console of Debian 6.1.176 cloud kernel in QEMU, the whole suite.
    run = parse_console(load("guest61_real.log"), None, end_reason="poweroff")
    assert run.complete and run.plan == len(run.cases) == 45
    assert run.release == "6.1.0-50-cloud-amd64" and "Debian 6.1.176" in run.proc_version
    assert run.events == []
    clone = [c for n, c in run.cases.items() if n.startswith("clone_")]
    assert clone and all(c.status == "skip" for c in clone)
    assert all("IORING_REGISTER_CLONE_BUFFERS" in c.reason and "absent:" in c.reason
               for c in clone)
    total = sum(len(c.subtests) for c in run.cases.values())
    assert total == sum(run.summary)


def test_printk_between_indent_and_nested_line():
    text = "\n".join(["KTAP version 1", "1..1", "    # Subtest: a", "    1..1",
                      "    [    1.000000] random: crng init done", "ok 1 a.x", "ok 1 a",
                      "1 passed, 0 failed, 0 skipped"])
    run = parse_console(text, ["a"])
    assert run.cases["a"].status == "pass" and run.cases["a"].subtests[0].name == "a.x"


def test_event_kinds_need_the_kernel_shape():
    from runner.ktap.parser import event_kind
    assert event_kind("[   12.000002] WARNING: CPU: 1 PID: 77 at io_uring/rsrc.c:1 f+0x1") == "warning"
    assert event_kind("[    5.1] [  T123] WARNING: possible circular locking dependency") == "warning"
    assert event_kind("[    3.101250] Oops: 0000 [#1] PREEMPT SMP NOPTI") == "oops"
    assert event_kind("[    3.0] watchdog: BUG: soft lockup - CPU#0 stuck for 22s!") == "lockup"
    assert event_kind("[    3.0] BUG: KFENCE: out-of-bounds read in f+0x1") == "kfence"
    assert event_kind("[    3.0] sysrq: Trigger a crash") is None
    assert event_kind("[    3.0] CPU: 0 PID: 1 Comm: x Tainted: G        W") is None
    assert event_kind("a case said WARNING: something") is None


def test_real_guest_panic_612():
    # A test-only binary wrote 'c' to /proc/sysrq-trigger in a Debian 6.12.107 guest (QEMU):
    # the console stops in the middle of its nested output.
    expected = ["clone_read_through_dst", "crash_sysrq", "provide_res_zero"]
    run = parse_console(load("guest612_sysrq_panic.log"), expected, end_reason="panic")
    c = run.cases
    assert c["clone_read_through_dst"].status == "pass"
    assert c["crash_sysrq"].status == "crash"
    assert "no result line (panic)" in c["crash_sysrq"].reason
    assert "sysrq triggered crash" in c["crash_sysrq"].reason
    assert c["provide_res_zero"].status == "notrun"
    panic = [e for e in run.events if e.kind == "panic"]
    assert len(panic) == 1 and panic[0].case == "crash_sysrq"
    assert "sysrq_handle_crash" in panic[0].excerpt
    assert any("Kernel Offset: disabled" in line for line in c["crash_sysrq"].log)


# -- one status enum, and the summary.json shape -------------------------------------------

def test_statuses_are_the_enum_and_dicts_plain_strings():
    import json
    from runner.core.status import Status
    run = parse_console(load("host_run_mixed.log"), ["never_ran"])
    assert all(isinstance(c.status, Status) for c in run.cases.values())
    assert run.cases["never_ran"].status == Status.NOTRUN == "notrun"
    d = run.to_dict()
    assert type(d["cases"]["provide_nr_bounds"]["status"]) is str
    assert type(d["cases"]["provide_nr_bounds"]["subtests"][0]["status"]) is str
    assert json.loads(json.dumps(d))["cases"]["provide_nr_bounds"]["status"] == "fail"
    assert d["errors"] == []


# -- false passes ----------------------------------------------------------------------------

def doc(*lines):
    return "\n".join(("KTAP version 1",) + lines)


def test_nested_not_ok_under_top_level_ok_fails_the_case():
    text = doc("1..1", "    # Subtest: a", "    1..2", "    # a.y: Expected 1 == 2",
               "    not ok 1 a.y", "    ok 2 a.z", "ok 1 a", "1 passed, 1 failed, 0 skipped")
    run = parse_console(text, ["a"])
    a = run.cases["a"]
    assert a.status == "fail" and a.ktap_status == "fail"
    assert "top-level ok but a nested not ok: a.y: a.y: Expected 1 == 2" == a.reason
    assert run.complete  # the document itself is consistent: run-cases.sh counts the not ok
    # A top-level SKIP cannot hide it either; nested skips under a top-level ok are fine.
    run = parse_console(text.replace("ok 1 a", "ok 1 a # SKIP absent"), ["a"])
    assert run.cases["a"].status == "fail"
    text = doc("1..1", "    # Subtest: a", "    1..2", "    ok 1 a.y # SKIP no clone",
               "    ok 2 a.z", "ok 1 a", "1 passed, 0 failed, 1 skipped")
    run = parse_console(text, ["a"])
    assert run.cases["a"].status == "pass" and run.complete
    # XFAIL/TODO on a not ok is still a failed result (run-cases.sh counts it as one).
    run = parse_console(text.replace("    ok 2 a.z", "    not ok 2 a.z # TODO later"), ["a"])
    assert run.cases["a"].status == "fail"


def test_real_console_with_top_level_ok_over_a_failed_subtest():
    run = parse_console(load("top_ok_nested_fail.log"), None)
    assert run.complete and run.errors == [] and run.done
    assert run.cases["clone_restricted_dst"].status == "pass"
    bad = run.cases["clone_single_issuer"]
    assert bad.status == "fail" and "clone.src_of_other_task_is_eexist" in bad.reason
    # The same lie in the real host run: provide_nr_bounds said "not ok 8"; make it "ok 8".
    run = parse_console(load("host_run_mixed.log").replace("not ok 8 provide_nr_bounds",
                                                           "ok 8 provide_nr_bounds"), None)
    assert run.cases["provide_nr_bounds"].status == "fail"
    assert "nr_bounds.nr_65536_ok.all_buffers_arrive" in run.cases["provide_nr_bounds"].reason


def test_more_nested_results_than_the_plan_or_an_empty_plan_is_no_pass():
    text = doc("1..1", "    # Subtest: a", "    1..1", "    ok 1 a.y", "    ok 2 a.z", "ok 1 a",
               "2 passed, 0 failed, 0 skipped")
    assert parse_console(text).cases["a"].status == "fail"
    text = doc("1..1", "    # Subtest: a", "    1..0", "ok 1 a", "0 passed, 0 failed, 0 skipped")
    assert parse_console(text).cases["a"].status == "fail"


def test_case_printed_twice_never_adds_up():
    run = parse_console(load("printed_twice.log"), None)
    assert not run.complete
    twice = run.cases["clone_single_issuer"]
    assert twice.status == "fail"
    assert twice.reason.startswith("reported twice with different results: first pass, then fail")
    assert [s.name for s in twice.subtests] == ["clone.both_of_caller_clone",
                                                 "clone.src_of_other_task_is_eexist",
                                                 "clone.dst_of_other_task_is_eexist"]
    same = run.cases["clone_read_through_dst"]
    assert same.status == "pass" and len(same.subtests) == 1 and same.number == 1
    assert run.errors == [
        "clone_read_through_dst reported twice (console lines 9 and 32); the reports agree, one kept",
        "clone_single_issuer reported twice (console lines 19 and 42) with different results"]
    assert list(run.cases) == ["clone_read_through_dst", "clone_single_issuer"]


def test_second_report_of_a_case_small():
    block_ok = ["    # Subtest: a", "    1..1", "    ok 1 a.x"]
    block_bad = ["    # Subtest: a", "    1..1", "    not ok 1 a.x"]
    for first, second, top in [(block_ok, block_bad, "ok"), (block_bad, block_ok, "not ok"),
                               (block_ok, block_ok[:2], "ok")]:
        text = doc("1..2", *first, f"{top} 1 a", *second, "ok 2 a")
        run = parse_console(text, ["a"])
        a = run.cases["a"]
        assert a.status in ("fail", "crash") and "reported twice" in a.reason, (first, second)
        assert len(a.subtests) <= 1 and not run.complete
    # A result line repeated without its block is a second report too.
    text = doc("1..1", *block_ok, "ok 1 a", "ok 1 a", "1 passed, 0 failed, 0 skipped")
    run = parse_console(text, ["a"])
    assert run.cases["a"].status != "pass" and not run.complete
    assert any("test number 1 twice" in e for e in run.errors)


def test_numbers_plan_and_summary_must_agree():
    def errors(*lines):
        run = parse_console(doc(*lines))
        assert not run.complete
        return run.errors

    a = ["    # Subtest: a", "    1..1", "    ok 1 a.x"]
    b = ["    # Subtest: b", "    1..1", "    ok 1 b.x"]
    ok = parse_console(doc("1..2", *a, "ok 1 a", *b, "ok 2 b", "2 passed, 0 failed, 0 skipped"))
    assert ok.complete and ok.errors == []
    assert errors("1..2", *a, "ok 1 a", *b, "ok 1 b", "2 passed, 0 failed, 0 skipped") == [
        "console line 10: test number 1 twice (a, b)"]
    assert errors("1..2", *a, "ok 2 a", *b, "ok 1 b", "2 passed, 0 failed, 0 skipped") == [
        "console line 6: test number 2 out of order (expected 1)",
        "console line 10: test number 1 out of order (expected 2)"]
    assert errors("1..3", *a, "ok 1 a", *b, "ok 2 b", "2 passed, 0 failed, 0 skipped") == [
        "console line 11: plan 1..3 but 2 results"]
    assert errors("1..2", *a, "ok 1 a", *b, "ok 2 b", "3 passed, 0 failed, 0 skipped") == [
        "console line 11: summary says 3 passed, 0 failed, 0 skipped; the results say 2, 0, 0"]
    assert errors("1..2", "1..2", *a, "ok 1 a", *b, "ok 2 b", "2 passed, 0 failed, 0 skipped") == [
        "console line 3: a second top-level plan 1..2"]
    errs = errors("1..1", *a, "ok 1 a", "1 passed, 0 failed, 0 skipped", *b, "not ok 2 b")
    assert "console line 8: KTAP output after the summary line" in errs
    assert errors("1..1", "ok 1 a", "0 passed, 1 failed, 0 skipped")[0] == \
        "console line 3: result for a without its '# Subtest:' header"


def test_output_after_the_summary_is_still_read():
    a = ["    # Subtest: a", "    1..1", "    ok 1 a.x"]
    bad = ["    # Subtest: a", "    1..1", "    not ok 1 a.x"]
    run = parse_console(doc("1..1", *a, "ok 1 a", "1 passed, 0 failed, 0 skipped", *bad,
                            "not ok 1 a"), ["a"])
    assert run.cases["a"].status == "fail" and not run.complete


# -- linear time, bounded lines ------------------------------------------------------------

def test_long_space_runs_parse_in_linear_time():
    import time
    from runner.ktap.parser import LINE_LIMIT
    spaces = " " * 100_000
    for bad in ["ok 1 " + spaces, "ok 1 " + spaces + "x", "not ok 1 " + spaces + "#" + spaces + "x",
                "    ok 1 " + spaces + "x", "[" + spaces, "rcu_" * 25_000, "\x1b[" + ";" * 100_000]:
        text = doc("1..1", "    # Subtest: a", "    1..1", *[bad] * 10, "    ok 1 a.x", "ok 1 a")
        t0 = time.perf_counter()
        run = parse_console(text, ["a"])
        assert time.perf_counter() - t0 < 1.0, bad[:20]
        if "ok 1" in bad:  # a stray result (a's is at the end) or one more than a's plan
            assert run.cases["a"].status != "pass"
    # A result line longer than the parser reads never passes (its end, a SKIP maybe, is unread).
    long = "ok 1 a" + " " * LINE_LIMIT + "# SKIP absent"
    run = parse_console(doc("1..1", "    # Subtest: a", "    1..1", "    ok 1 a.x", long,
                            "0 passed, 0 failed, 1 skipped"), ["a"])
    assert run.cases["a"].status == "fail" and run.cases["a"].log[-1] == long
    assert any("only its first 4096 were read" in e for e in run.errors)


# -- what the other modules read from the parser -------------------------------------------

def test_ktap_lines_are_the_document_as_the_console_carried_it():
    import re
    for name in ["guest612_real.log", "guest61_panic.log", "interleaved.log", "warn_during_case.log"]:
        console = load(name).splitlines()
        want, inside = [], False
        for line in console:
            inside = inside or line.startswith("KTAP version")
            if inside:
                want.append(line)
            if inside and re.match(r"^\d+ passed, \d+ failed, \d+ skipped", line):
                inside = False
        run = parse_console(load(name))
        assert run.ktap_lines == want, name
    run = parse_console(load("interleaved.log"))
    assert run.ktap_lines[0] == "KTAP version 1" and run.ktap_lines[-1] == "7 passed, 0 failed, 0 skipped"
    assert any("crng init done" in line for line in run.ktap_lines)
    assert not any("SeaBIOS" in line for line in run.ktap_lines)


def test_a_cut_ktap_version_line_starts_the_document_with_its_pieces():
    p = ConsoleParser()
    for line in ["noise", "KTAP ver[    1.000000] random: crng init done", "sion 1", "1..0",
                 "0 passed, 0 failed, 0 skipped", "# ubc-guest: done exit 0"]:
        p.feed(line)
    run = p.finish([])
    assert run.ktap_lines == ["KTAP ver[    1.000000] random: crng init done", "sion 1", "1..0",
                              "0 passed, 0 failed, 0 skipped"]
    assert run.complete and run.done


def test_done_panicked_and_end_reason():
    from runner.ktap.parser import GUEST_ALIVE, GUEST_DONE, end_reason
    cases = [
        (0, ["KTAP version 1", GUEST_DONE + " exit 0"], False, None, None),
        (0, [GUEST_ALIVE + " 6.12"], False, None, None),
        (0, ["[ 1.0] Kernel panic - not syncing: sysrq triggered crash"], False, None, "panic"),
        (0, ["KTAP version 1"], False, None, "qemu exit 0"),  # a reset without panic
        (1, [GUEST_DONE], False, None, "qemu exit 1"),        # QEMU error after the end
        (-9, ["KTAP version 1"], False, None, "qemu killed by signal 9"),
        (None, ["KTAP version 1"], False, 15, "qemu killed by signal 15"),
        (-9, [GUEST_DONE], True, 9, "timeout"),
        (-6, ["[    3.0] Kernel panic - not syncing: Fatal exception"], False, 6, "panic"),
        (0, ["    # ubc-guest: done exit 0"], False, None, "qemu exit 0"),  # a case's output
    ]
    for code, lines, timed_out, sig, want in cases:
        run = parse_console("\n".join(lines))
        assert end_reason(run, code, timed_out, sig) == want, (code, lines)
    assert parse_console(load("guest612_sysrq_panic.log")).panicked
    assert not parse_console(load("guest612_real.log")).panicked
    assert parse_console(load("guest612_real.log")).done


def test_a_line_cut_by_a_kernel_message_and_never_finished_is_not_read():
    # "ok 2 b # SKIP ..." cut after its name by a printk, then the console ends: the SKIP
    # (or anything else) that followed is unknown, so it is no result at all.
    text = doc("1..2", "    # Subtest: a", "    1..1", "    ok 1 a.x", "ok 1 a",
               "    # Subtest: b", "    1..1", "    ok 1 b.x # SKIP no clone",
               "ok 2 b[   12.000000] random: crng init done")
    run = parse_console(text, ["a", "b"], end_reason="timeout")
    assert run.cases["a"].status == "pass"
    assert run.cases["b"].status == "crash" and not run.complete


def test_a_nested_result_printed_twice_does_not_fill_the_plan():
    text = doc("1..1", "    # Subtest: a", "    1..2", "    ok 1 a.x", "    ok 1 a.x", "ok 1 a",
               "2 passed, 0 failed, 0 skipped")
    a = parse_console(text).cases["a"]
    assert a.status == "fail" and a.reason == "nested result 1 printed twice"
