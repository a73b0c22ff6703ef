"""Read the KTAP document of runner/guest/run-cases.sh from a serial console, line by line.

The console carries more than KTAP: firmware and boot messages before it, kernel printk lines
interleaved with it (sometimes in the middle of a KTAP line), \\r\\n line ends. The parser keeps
the KTAP, attributes every kernel event (panic, Oops, BUG, WARNING, sanitizer reports, lockups,
hung tasks, RCU stalls, taint changes) to the case that was running, and turns a case that never
printed its result into a crash, so a dead kernel never reads as a pass. It is the runner's one
reader of a console: the KTAP lines to keep, whether the guest said it was done, whether the
kernel panicked (see end_reason()) and the document's parse errors all come from here.

    p = ConsoleParser()
    for line in console: done = p.feed(line)       # CaseResults completed by that line
    run = p.finish(expected_cases, end_reason)      # ConsoleRun
or  run = parse_console(text, expected_cases, end_reason)

A case feed() returned can still turn into a fail or crash: a kernel report printed after its
result line and before the next case starts is blamed on it (io_uring tears rings down in a
workqueue), and the CaseResult is updated in place. Read final statuses from finish().

A case passes only if its own top-level `ok N name` came after its `# Subtest:` header and
its nested KTAP agrees (runner/ktap_case.py). Damage to the document (numbers repeated or out of order, a plan or summary that disagrees with the
results, a case reported twice, output after the summary) is a parse error: ConsoleRun.errors,
and a run with parse errors is never complete. Every pattern is linear in the line, and only
the first LINE_LIMIT characters of a line are read (the whole line stays in the logs).
"""
from __future__ import annotations

import re

from runner.ktap.model import CaseResult, ConsoleRun, KernelEvent, SubResult, end_reason  # noqa: F401
from runner.ktap.kmsg import CRASH_EVENTS, LINE_LIMIT, Excerpts, clean, event_kind, split_kernel  # noqa: F401
from runner.ktap.case import TOP_PLAN, NestedReader, parse_result  # noqa: F401
import runner.ktap.blame as blame
from runner.core.status import Status

STATUSES = tuple(Status)  # old name of the status set

# The guest's init says so when it is done (runner/guest/init), or alive (the accelerator probe).
from runner.guest import GUEST_ALIVE, GUEST_DONE  # noqa: E402

_TOP_VERSION = re.compile(r"^KTAP version \d{1,9}\s*$")
_SUBTEST = re.compile(r"^ {4}# Subtest: (\S+)\s*$")
_SUMMARY = re.compile(r"^(\d{1,9}) passed, (\d{1,9}) failed, (\d{1,9}) skipped\s*$")
_TIME = re.compile(r"^# time: (\S+) (\d{1,9}(?:\.\d{1,9})?)\s*$")
_TAINT = re.compile(r"^# taint changed: (\S+) -> (\S+) after (\S+)\s*$")
_TAINT_DURING = re.compile(r"^# taint changed: (\S+) -> (\S+) during (\S+(?: \S+){0,4096})\s*$")
_PARALLEL = re.compile(r"^# parallel: (\d{1,9})\s*$")
_START = re.compile(r"^# start: (\S+) pid=(\d{1,10})\s*$")
_BANNER_KERNEL = re.compile(r"^# uring-buffer-conformance on kernel (\S+)(?: \(([^)]*)\))?")
_BANNER_PROC = re.compile(r"^# proc-version: (.*)$")
# Shapes of the nested (4-space indented) kselftest output.
_NESTED = re.compile(r"^ {4}(TAP version \d|KTAP version \d|1\.\.\d|ok |not ok |#)")



class ConsoleParser:
    def __init__(self) -> None:
        self.run = ConsoleRun()
        self._lineno = 0
        self._started = False  # saw "KTAP version"
        self._ended = False  # saw the summary line
        self._recording = False  # raw lines go to run.ktap_lines
        self._held: list[str] = []  # raw lines of a KTAP line cut by kernel messages
        self._current: CaseResult | None = None  # header seen, result not yet
        self._repeats: CaseResult | None = None  # the first report of the case _current repeats
        self._last: CaseResult | None = None  # the case that finished last
        self._closed: set[str] = set()  # cases with a verdict from the KTAP
        self._numbers: dict[int, str] = {}  # top-level test numbers seen
        self._nested = NestedReader()  # the running case's nested KTAP
        self._tally = [0, 0, 0]  # what run-cases.sh's summary line must say
        self._pending = ""  # KTAP fragment cut by a kernel message
        self._excerpts = Excerpts()
        self._finished: list[CaseResult] = []
        # run-cases.sh -P N: the cases started and not yet reported (name -> pid), the
        # kernel events waiting for the line naming their task, the last crash event's blame.
        self._inflight: dict[str, int | None] = {}
        self._waiting = blame.Pending()
        self._last_crash: tuple[KernelEvent, dict, str | None] | None = None

    # -- input ---------------------------------------------------------------------------
    def feed(self, line: str) -> list[CaseResult]:
        """Take one console line; return the cases whose result that line completed."""
        self._lineno += 1
        self._finished = []
        raw = line.rstrip("\r\n")
        if self._recording:
            self.run.ktap_lines.append(raw)
        else:
            self._held = self._held[-63:] + [raw]
        line = clean(line)
        fragment, kernel = split_kernel(line)
        if kernel is not None:
            # Even a fragment of blanks is kept: it can be the indent of a nested line.
            if fragment:
                self._pending = (self._pending + fragment)[:LINE_LIMIT]
            self._kernel_line(kernel)
            return self._finished
        if self._pending:
            line = self._pending + line
            self._pending = ""
        self._whole_line(line)
        self._held = []
        return self._finished

    def finish(self, expected_cases: list[str] | None = None,
               end_reason: str | None = None) -> ConsoleRun:
        """End of the console: decide the running case and the cases that never started."""
        run = self.run
        run.end_reason = end_reason
        if self._pending:  # cut by a kernel message and never completed: not read as KTAP
            if self._pending.startswith((GUEST_DONE, GUEST_ALIVE)):
                run.done = True
            self._log(self._pending)
            self._pending = ""
        self._excerpts.close()
        for item in self._waiting.close():
            self._blame(*item)
        if self._current is not None:
            case = self._current
            why = end_reason or "console ended"
            crash = next((e for e in run.events if e.case == case.name and e.kind in CRASH_EVENTS
                          and e.line >= (case.line or 0)), None)
            if run.parallel and crash is None:
                # With cases at once a block is printed once its case has ended: a crash
                # that cut it off is another task's, and its result is unknown (it runs
                # again), not a crash.
                self._current = None
                self._inflight.pop(case.name, None)
                run.cases[case.name] = CaseResult(case.name, Status.NOTRUN,
                                                  f"ended, its block cut off ({why})")
            else:
                case.status = Status.CRASH
                case.reason = f"no result line ({why})"
                if crash is not None:
                    case.reason += f": {crash.kind}: {crash.excerpt.splitlines()[0]}"
                self._settle(case)
        self._unfinished(end_reason)
        self._never_started(expected_cases, end_reason)
        return self._complete()

    def _never_started(self, expected_cases: list[str] | None, end_reason: str | None) -> None:
        for name in expected_cases or []:
            if name not in self.run.cases:
                why = end_reason or ("console ended" if not self._ended else "not in the run")
                self.run.cases[name] = CaseResult(name, Status.NOTRUN, f"never started ({why})")

    def _complete(self) -> ConsoleRun:
        run = self.run
        if self._ended and run.plan is None:
            self._error("no top-level plan before the summary line", at=None)
        run.complete = (run.plan is not None and self._ended and run.results == run.plan
                        and not run.errors)
        return run

    def _whole_line(self, line: str) -> None:
        if line.startswith((GUEST_DONE, GUEST_ALIVE)):
            self.run.done = True
        self._ktap_line(line)

    def _error(self, message: str, at: int | None = 0) -> None:
        line = self._lineno if at == 0 else at
        self.run.errors.append(f"console line {line}: {message}" if line else message)

    # -- kernel messages -----------------------------------------------------------------
    def _kernel_line(self, msg: str) -> None:
        self._log(msg)
        self._excerpts.add(msg)
        for item in self._waiting.line(msg):
            self._blame(*item)
        kind = event_kind(msg)
        if kind is not None:
            self._event(kind, msg)

    def _event(self, kind: str, msg: str) -> None:
        if self.run.parallel:
            self._parallel_event(kind, msg)
            return
        target, after = self._current, False
        if target is None and self._last is not None and not self._ended:
            # io_uring tears rings down in a workqueue: a report between cases most likely
            # comes from the case that just ended.
            target, after = self._last, True
        ev = KernelEvent(kind, self._lineno, msg[:LINE_LIMIT].strip(),
                         target.name if target else None, after)
        self.run.events.append(ev)
        if kind == "panic":
            self.run.panicked = True
        if kind in CRASH_EVENTS:
            self._excerpts.start(ev)
        if target is not None:
            target.apply_event(ev)

    def _parallel_event(self, kind: str, msg: str) -> None:
        """An event while cases ran at once: its suspects are the cases in flight and the one
        that ended last (its deferred work); the task the report names picks one of them."""
        run = self.run
        ev = KernelEvent(kind, self._lineno, msg[:LINE_LIMIT].strip(), None, False)
        run.events.append(ev)
        if kind == "panic":
            run.panicked = True
        if kind in CRASH_EVENTS:
            self._excerpts.start(ev)
        suspects = dict(self._inflight)
        last = self._current or self._last
        if last is not None and not self._ended and last.name not in suspects:
            suspects[last.name] = None
        before = self._last_crash
        if kind in CRASH_EVENTS:
            self._last_crash = (ev, suspects, None)
        if kind == "panic" and "Fatal exception" in msg and before is not None:
            # oops=panic: the panic that ends an Oops is that Oops's task's.
            prior, prior_suspects, case = before
            if prior.case is not None or case == "?":
                self._blame(ev, prior_suspects, prior.case, True)
            else:
                self._waiting.add(ev, prior_suspects)
            return
        task = blame.task_of(msg)
        if len(suspects) <= 1:
            self._blame(ev, suspects, next(iter(suspects), None), True)
        elif task is not None and blame.pick(suspects, task):
            self._blame(ev, suspects, blame.pick(suspects, task), True)
        else:
            self._waiting.add(ev, suspects)

    def _blame(self, ev: KernelEvent, suspects: dict, name: str | None, resolved: bool) -> None:
        """An event of cases run at once is one case's, or (no case named: a kworker, an
        io-wq thread, no task line) every suspect's result is redone alone."""
        run = self.run
        if self._last_crash is not None and self._last_crash[0] is ev:
            self._last_crash = (ev, suspects, name if name else "?")
        if name is None:
            if not suspects:
                return
            who = "no task" if not resolved else "a task of no case"
            why = (f"kernel {ev.kind} (console line {ev.line}, {who}) while "
                   f"{', '.join(sorted(suspects))} ran at once: {ev.excerpt.splitlines()[0]}")
            for n in suspects:
                run.rerun.setdefault(n, why)
            return
        ev.case = name
        case = run.cases.get(name)
        if case is None:  # in flight: its block comes later (or never, after a panic)
            case = run.cases[name] = CaseResult(name, line=self._lineno)
        ev.after_result = name in self._closed
        case.apply_event(ev)

    def _unfinished(self, end_reason: str | None) -> None:
        """Cases run-cases.sh started whose block never came: the one a crash names crashed;
        the others did not finish through no fault of theirs and run again."""
        why = end_reason or "console ended"
        for name in list(self._inflight):
            case = self.run.cases.get(name)
            if case is not None and case.status == Status.CRASH:
                crash = next(e for e in self.run.events if e.case == name and e.kind in CRASH_EVENTS)
                case.reason = f"no result line ({why}): {crash.kind}: {crash.excerpt.splitlines()[0]}"
                self._closed.add(name)
            else:
                self.run.cases[name] = CaseResult(name, Status.NOTRUN,
                                                  f"started, no result ({why} while it ran)")
        self._inflight = {}

    # -- KTAP ----------------------------------------------------------------------------
    def _log(self, line: str) -> None:
        if self._current is not None:
            self._current.log.append(line)
        elif self._last is not None and not self._ended and self._started:
            self._last.log.append(line)

    def _ktap_line(self, line: str) -> None:
        run = self.run
        head = line[:LINE_LIMIT]
        if _TOP_VERSION.match(head.strip() if not self._started else head):
            if not self._started:
                self._started = self._recording = True
                run.ktap_lines.extend(self._held)
            elif self._ended:
                self._error("a second KTAP document after the summary line")
                self._ended, self._recording = False, True
                run.ktap_lines.extend(self._held)
            else:
                self._error("a second 'KTAP version' line")
            return
        if not self._started:
            return
        if self._current is not None and head.startswith("    "):
            self._current.log.append(line)
            if _NESTED.match(head):
                if len(line) > LINE_LIMIT and head.startswith(("    ok ", "    not ok ")):
                    self._too_long(len(line))
                self._nested.line(self._current, head[4:])
            return
        m = _SUBTEST.match(head)
        if m:
            self._reopen()
            self._start_case(m.group(1), line)
            return
        m = TOP_PLAN.match(head)
        if m:
            if run.plan is None:
                run.plan = int(m.group(1))
            else:
                self._error(f"a second top-level plan 1..{m.group(1)}")
            return
        if run.plan is None and head.startswith("#"):
            run.banner.append(line)
            self._banner(head)
            return
        r = parse_result(head)
        if r is not None:
            self._reopen()
            self._top_result(r, line)
            return
        m = _TAINT.match(head)
        if m:
            self._taint(m.group(3), head, line)
            return
        m = _TAINT_DURING.match(head)
        if m:
            self._taint_during(m.group(3).split(), head, line)
            return
        m = _START.match(head)
        if m and self.run.parallel:
            self._log(line)
            self._inflight[m.group(1)] = int(m.group(2))
            return
        m = _TIME.match(head)
        if m:
            self._log(line)
            case = self.run.cases.get(m.group(1))
            if case is not None:
                case.seconds = float(m.group(2))
            return
        m = _SUMMARY.match(head)
        if m:
            self._summary(tuple(int(x) for x in m.groups()))
            return
        if self._ended:
            return
        # Anything else (our "# running" comments, a guest init's chatter, a kernel line
        # without timestamp) belongs to the case log and may still be a kernel event.
        self._log(line)
        kind = event_kind(head)
        if kind is not None:
            self._event(kind, head)

    def _reset_nest(self) -> None:
        self._nested = NestedReader()

    def _too_long(self, length: int) -> None:
        self._error(f"a result line of {length} characters: only its first {LINE_LIMIT} were read")
        self._nested.unread = True

    def _reopen(self) -> None:
        """KTAP after the summary line: an error, and read on (it may report a failure)."""
        if self._ended:
            self._error("KTAP output after the summary line")
            self._ended, self._recording = False, True
            self.run.ktap_lines.extend(self._held)

    def _banner(self, line: str) -> None:
        if _PARALLEL.match(line):
            self.run.parallel = True
        m = _BANNER_KERNEL.match(line)
        if m:
            self.run.release, self.run.arch = m.group(1), m.group(2)
        m = _BANNER_PROC.match(line)
        if m:
            self.run.proc_version = m.group(1).strip()

    def _taint(self, name: str, head: str, line: str) -> None:
        run = self.run
        if self._current is not None and self._current.name == name:
            case, after = self._current, False
        else:
            case = run.cases.get(name)
            if case is None:
                case = run.cases[name] = CaseResult(name)
            after = True
        ev = KernelEvent("taint", self._lineno, head[2:], name, after)
        self._log(line)
        run.events.append(ev)
        case.apply_event(ev)

    def _taint_during(self, names: list[str], head: str, line: str) -> None:
        """A taint change while several cases ran: none of them can be blamed from here."""
        ev = KernelEvent("taint", self._lineno, head[2:], None, False)
        self._log(line)
        self.run.events.append(ev)
        why = f"{head[2:].split(' during ')[0]} (console line {self._lineno}) while " \
              f"{', '.join(sorted(names))} ran at once"
        for n in names:
            self.run.rerun.setdefault(n, why)

    def _summary(self, counts: tuple[int, int, int]) -> None:
        run = self.run
        if run.summary is not None:
            self._error("a second summary line")
        run.summary = counts
        self._ended, self._recording = True, False
        if self._current is not None:
            self._error(f"summary line while {self._current.name} has no result line")
        if run.plan is not None and run.results != run.plan:
            self._error(f"plan 1..{run.plan} but {run.results} results")
        expect = tuple(self._tally)
        if counts != expect:
            self._error("summary says {} passed, {} failed, {} skipped; the results say "
                        "{}, {}, {}".format(*counts, *expect))

    def _start_case(self, name: str, line: str) -> None:
        if self._current is not None:  # its result line was lost: never a pass
            prev = self._current
            self._error(f"no result line for {prev.name} before the next case {name}")
            prev.status, prev.reason = Status.CRASH, f"no result line before the next case {name}"
            self._settle(prev)
        case = CaseResult(name, log=[line], line=self._lineno)
        if name in self._closed:  # a second report of a case: compared when it ends
            self._repeats = self.run.cases[name]
        else:
            old = self.run.cases.get(name)  # made by an early taint line: keep its events
            if old is not None:
                case.status, case.reason = old.status, old.reason
            self.run.cases[name] = case
        self._current = case
        self._reset_nest()

    def _top_result(self, r: tuple[bool, int, str, str], line: str) -> None:
        ok, number, name, directive = r
        run = self.run
        case = self._current
        if case is not None and case.name != name:
            self._error(f"no result line for {case.name} (next result was {name})")
            case.status, case.reason = Status.CRASH, f"no result line (next result was {name})"
            self._settle(case)
            case = None
        if case is None:
            self._reset_nest()
            if name in self._closed:
                self._repeats = run.cases[name]
                case = CaseResult(name, line=self._lineno)
            else:
                self._error(f"result for {name} without its '# Subtest:' header")
                case = run.cases.get(name) or CaseResult(name, line=self._lineno)
                run.cases[name] = case
            self._current = case
        case.log.append(line)
        if len(line) > LINE_LIMIT:
            self._too_long(len(line))
        run.results += 1
        if number in self._numbers:
            self._error(f"test number {number} twice ({self._numbers[number]}, {name})")
        elif number != run.results:
            self._error(f"test number {number} out of order (expected {run.results})")
        self._numbers.setdefault(number, name)
        case.number = number
        for i, n in enumerate(self._nested.counts(ok)):
            self._tally[i] += n
        status, reason = self._nested.verdict(case, ok, directive)
        case.ktap_status = status
        # Kernel events seen while it ran already decided a crash or fail: keep them.
        prior = case.status if case.status in (Status.CRASH, Status.FAIL) and \
            case.reason.startswith(("kernel ", "taint")) else None
        if prior == Status.CRASH or (prior == Status.FAIL and status in (Status.PASS, Status.SKIP)):
            pass
        elif prior == Status.FAIL:
            case.status = status
            case.reason = f"{reason}; {case.reason}" if reason else case.reason
        else:
            case.status, case.reason = status, reason
        self._settle(case)

    def _settle(self, case: CaseResult) -> None:
        """The case's KTAP is over: compare a repeated report with the first one."""
        self._current = None
        self._inflight.pop(case.name, None)
        first, self._repeats = self._repeats, None
        if first is not None and first is not case:
            self._merge(first, case)
            case = first
        self._closed.add(case.name)
        self._last = case
        self._finished.append(case)

    def _merge(self, first: CaseResult, again: CaseResult) -> None:
        where = f"console lines {first.line} and {again.line}"
        if first.merge_repeat(again):
            self._error(f"{first.name} reported twice ({where}); the reports agree, one kept",
                        at=None)
        else:
            self._error(f"{first.name} reported twice ({where}) with different results", at=None)


def parse_console(text: str, expected_cases: list[str] | None = None,
                  end_reason: str | None = None) -> ConsoleRun:
    """Parse a whole console log. Lines end at \\n only, as on the console (runner.qemu): a form
    feed or a lone \\r in a case's output must not start a line of its own."""
    p = ConsoleParser()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        p.feed(line)
    return p.finish(expected_cases, end_reason)
