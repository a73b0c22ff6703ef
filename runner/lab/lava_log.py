"""What LAVA logged, read back: its test cases, the raw serial console, and its verdict.

LAVA's log stream (lava-run's stderr; a server's log.yaml is the same lines each behind
"- ") holds one YAML flow mapping a line, {"dt": ..., "lvl": ..., "msg": ...}, written by
lava_common.log.dump() in double-quoted style. Per-test-case results are only there
(lvl "results", msg.definition the monitor's or test definition's name); the console is the
lvl "target" lines (and "feedback" ones read after the test), with LAVA's ShellLogger
edits: \\r and ESC removed, blank lines dropped, " written as \\". parse_line() reads that
subset of YAML with the standard library (PyYAML is used for anything else, if present).

LAVA's own verdict needs care: a guest that hangs ends the job with exit 0 and result pass,
only the lava-test-monitor result says failed; a kernel panic (QEMU closes the console) is
an Infrastructure error. verdict() says whether the run was whole: the job finished, the
monitor (or test shell) passed, and the guest's end marker (or the KTAP summary) was seen.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from runner.core.errors import UsageError
from runner.core.status import Exit, Status
from runner.guest import GUEST_DONE, GUEST_START

# -- the YAML subset of LAVA's log lines --------------------------------------------------------

_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v",
            "f": "\f", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
            "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}
_HEX = {"x": 2, "u": 4, "U": 8}


class _Bad(ValueError):
    pass


class _Reader:
    def __init__(self, text: str):
        self.s, self.i = text, 0

    def ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in " \t":
            self.i += 1

    def expect(self, ch: str) -> None:
        self.ws()
        if not self.s.startswith(ch, self.i):
            raise _Bad(f"expected {ch!r} at {self.i}")
        self.i += len(ch)

    def value(self):
        self.ws()
        c = self.s[self.i:self.i + 1]
        if c == "{":
            return self.mapping()
        if c == "[":
            return self.sequence()
        tag = None
        if c == "!":
            j = self.i
            while j < len(self.s) and self.s[j] not in " \t":
                j += 1
            tag, self.i = self.s[self.i:j], j
            self.ws()
            c = self.s[self.i:self.i + 1]
        if c == '"':
            return _tagged(tag, self.quoted())
        if c in ("{", "["):
            return self.value()
        j = self.i  # a plain scalar (never written by LAVA, tolerated): up to , } ]
        while j < len(self.s) and self.s[j] not in ",}]":
            j += 1
        text, self.i = self.s[self.i:j].strip(), j
        return _tagged(tag, text) if tag else _plain(text)

    def quoted(self) -> str:
        self.i += 1
        out = []
        s = self.s
        while True:
            j = self.i
            while j < len(s) and s[j] not in '"\\':
                j += 1
            out.append(s[self.i:j])
            if j >= len(s):
                raise _Bad("unterminated string")
            if s[j] == '"':
                self.i = j + 1
                return "".join(out)
            e = s[j + 1:j + 2]
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
                self.i = j + 2
            elif e in _HEX:
                n = _HEX[e]
                try:
                    out.append(chr(int(s[j + 2:j + 2 + n], 16)))
                except ValueError:
                    raise _Bad(f"bad escape at {j}") from None
                self.i = j + 2 + n
            else:
                raise _Bad(f"unknown escape \\{e} at {j}")

    def mapping(self) -> dict:
        self.i += 1
        out = {}
        self.ws()
        if self.s.startswith("}", self.i):
            self.i += 1
            return out
        while True:
            k = self.value()
            self.expect(":")
            out[k] = self.value()
            self.ws()
            c = self.s[self.i:self.i + 1]
            self.i += 1
            if c == "}":
                return out
            if c != ",":
                raise _Bad(f"expected , or }} at {self.i - 1}")

    def sequence(self) -> list:
        self.i += 1
        out = []
        self.ws()
        if self.s.startswith("]", self.i):
            self.i += 1
            return out
        while True:
            out.append(self.value())
            self.ws()
            c = self.s[self.i:self.i + 1]
            self.i += 1
            if c == "]":
                return out
            if c != ",":
                raise _Bad(f"expected , or ] at {self.i - 1}")


def _tagged(tag: str | None, text: str):
    if tag == "!":  # the non-specific tag: resolved as a plain scalar would be (an int here)
        return _plain(text)
    try:
        if tag == "!!int":
            return int(text)
        if tag == "!!float":
            return float(text)
    except ValueError:
        raise _Bad(f"{tag} {text!r}") from None
    if tag == "!!bool":
        return text.lower() == "true"
    if tag == "!!null":
        return None
    return text


def _plain(text: str):
    if text in ("null", "~", ""):
        return None
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def parse_line(line: str) -> dict | None:
    """One log line's record ({"dt", "lvl", "msg", ...}), or None when the line is not one
    (a traceback lava-run printed outside its logger, a cut last line)."""
    line = line.strip()
    if line.startswith("- "):
        line = line[2:].lstrip()
    if not line.startswith("{"):
        return None
    r = _Reader(line)
    try:
        rec = r.mapping()
        r.ws()
        if r.i != len(line):
            raise _Bad("text after the mapping")
    except (_Bad, IndexError):
        rec = _yaml(line)
    return rec if isinstance(rec, dict) and "lvl" in rec else None


def _yaml(line: str):
    try:
        import yaml
    except ImportError:
        return None
    try:
        return yaml.load(line, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None


_HEAD = re.compile(r'^(- )?\{\s*"dt"\s*:')


def is_lava_log(text: str) -> bool:
    """Does the text look like LAVA's log stream (its first record line)?"""
    for line in text.splitlines()[:20]:
        if line.strip():
            return bool(_HEAD.match(line.strip()))
    return False


# -- the log, read ------------------------------------------------------------------------------

@dataclass
class TestCase:
    definition: str
    case: str
    result: str            # pass | fail | skip | unknown
    name: str = ""         # the test_case_id as the console had it (extra.test_case_id)
    measurement: float | None = None
    units: str = ""


@dataclass
class LavaLog:
    source: str
    records: int = 0
    unreadable: int = 0                     # lines that were not a record
    console: list[str] = field(default_factory=list)
    cases: list[TestCase] = field(default_factory=list)   # the test definitions' results
    actions: dict[str, dict] = field(default_factory=dict)  # LAVA's own results ("lava")
    errors: list[str] = field(default_factory=list)       # lvl error / exception messages
    start_seen: bool = False                # the monitor saw its start string
    end_seen: bool = False                  # the monitor saw its end string
    monitor_timed_out: bool = False

    @property
    def job(self) -> dict | None:
        return self.actions.get("job")

    def definitions(self) -> list[str]:
        return list(dict.fromkeys(c.definition for c in self.cases))

    def results(self, definition: str | None = None) -> dict[str, str]:
        """case name -> LAVA's result, for one definition (default: every one; a case seen
        twice keeps its last result)."""
        return {(c.name or c.case): c.result for c in self.cases
                if definition is None or c.definition == definition}

    def console_text(self) -> str:
        return "".join(line + "\n" for line in self.console)


def _unescape(line: str) -> str:
    """Undo ShellLogger's \" (it wrote every " of the console as \\")."""
    return line.replace('\\"', '"')


def read_text(text: str, source: str = "LAVA log") -> LavaLog:
    log = LavaLog(source)
    finalizing = False
    after_input = False
    for raw in text.splitlines():
        if not raw.strip():
            continue
        rec = parse_line(raw)
        if rec is None:
            log.unreadable += 1
            continue
        log.records += 1
        lvl, msg = rec.get("lvl"), rec.get("msg")
        if lvl in ("target", "feedback") and isinstance(msg, str):
            # After the test, LAVA types "poweroff" into the console: its echo is LAVA's.
            if not after_input:
                log.console.append(_unescape(msg))
        elif lvl == "input":
            if finalizing:
                after_input = True
        elif lvl == "results" and isinstance(msg, dict):
            _result(log, msg)
        elif lvl in ("error", "exception") and msg is not None:
            log.errors.append(str(msg))
        elif isinstance(msg, str):
            # LAVA's end of the job (after an error there is no "finalize" action, only
            # the power-off and "Finalising connection").
            if re.match(r"start: [\d.]+ (finalize|power-off|read-feedback)\b", msg) or \
                    msg.startswith("Finalising connection"):
                finalizing = True
            elif msg.startswith("ok: start string found"):
                log.start_seen = True
            elif msg.startswith("ok: end string found"):
                log.end_seen = True
            elif msg.startswith("err: lava test monitoring has timed out"):
                log.monitor_timed_out = True
    return log


def _result(log: LavaLog, msg: dict) -> None:
    definition = str(msg.get("definition", ""))
    case = str(msg.get("case", ""))
    if definition == "lava":
        log.actions[case] = msg
        return
    extra = msg.get("extra") if isinstance(msg.get("extra"), dict) else {}
    m = msg.get("measurement")
    try:
        m = float(m) if m not in (None, "") else None
    except (TypeError, ValueError):
        m = None
    log.cases.append(TestCase(definition, case, str(msg.get("result", "unknown")),
                              str(extra.get("test_case_id", "")) or case, m,
                              str(msg.get("units", "") or "")))


def read(path: str | Path) -> LavaLog:
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8", "replace")
    except OSError as e:
        raise UsageError(f"{p}: {e.strerror}") from None
    if not is_lava_log(text):
        raise UsageError(f"{p}: not a LAVA log (one YAML mapping a line with dt, lvl, msg)")
    return read_text(text, str(p))


# -- LAVA's verdict -----------------------------------------------------------------------------

@dataclass
class Verdict:
    whole: bool            # the cases ran to their end and LAVA recorded them
    why: str               # one line: what LAVA says happened
    end_reason: str | None  # for the console parse: None when whole, else what cut it


def _ktap_whole(console: list[str]) -> bool:
    return any(re.fullmatch(r"\d+ passed, \d+ failed, \d+ skipped", line) for line in console)


def verdict(log: LavaLog) -> Verdict:
    """Was the run whole? The job's result, then the test action's (monitor or shell), then
    the end marker: each can fail alone (a hang: job pass, monitor failed, no end marker)."""
    job = log.job
    marker = any(line.startswith(GUEST_DONE) for line in log.console)
    started = log.start_seen or any(line.startswith(GUEST_START) for line in log.console)
    monitor = log.actions.get("lava-test-monitor")
    shell = log.actions.get("lava-test-shell")
    problems = []
    if job is None:
        problems.append("LAVA never finished the job (no job result: lava-run killed or "
                        "the log is cut)")
    elif job.get("result") != "pass":
        problems.append(f"LAVA job {job.get('result')}: {job.get('error_type', 'error')}: "
                        f"{job.get('error_msg', '?')}")
    if monitor is not None:
        status = (monitor.get("extra") or {}).get("status") or monitor.get("result")
        if status not in ("passed", "pass"):
            what = (monitor.get("extra") or {}).get("fail") or (
                "the monitor timed out: the guest went silent (hung or too slow)"
                if log.monitor_timed_out else "")
            problems.append(f"lava-test-monitor {status}" + (f": {what}" if what else ""))
        if not started:
            problems.append("the guest's start marker never came")
        elif not (log.end_seen or marker):
            problems.append("the guest's end marker never came")
    elif shell is not None:
        if shell.get("result") != "pass":
            problems.append(f"lava-test-shell {shell.get('result')}")
        if not _ktap_whole(log.console):
            problems.append("the KTAP summary line never came")
    elif job is not None:
        problems.append("no test action ran (no lava-test-monitor or lava-test-shell result)")
    if log.unreadable and not log.records:
        problems.append("no line of it could be read")
    n = len(log.cases)
    counts = ", ".join(f"{v} {k}" for k, v in sorted(_count(log.cases).items()))
    if problems:
        return Verdict(False, "; ".join(problems) + f" ({n} LAVA test cases: {counts or 'none'})",
                       "LAVA: " + problems[0])
    return Verdict(True, f"LAVA job complete, end marker seen: {n} test cases ({counts or 'none'})",
                   None)


def _count(cases: list[TestCase]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in cases:
        out[c.result] = out.get(c.result, 0) + 1
    return out


def exit_status(v: Verdict) -> int:
    """0 when LAVA's run was whole, 3 (could not run what was asked) when not."""
    return Exit.OK if v.whole else Exit.NOT_RUN


# -- LAVA's results against the suite's ---------------------------------------------------------

# What LAVA can say for each of the suite's statuses (runner/core/status.py): it sees only
# the top-level KTAP line, where a crash or a timeout is a "not ok".
AS_LAVA = {Status.PASS: "pass", Status.SKIP: "skip", Status.FAIL: "fail",
           Status.CRASH: "fail", Status.TIMEOUT: "fail"}


def compare(lava: dict[str, str], suite: dict[str, str]) -> list[str]:
    """One line per disagreement between LAVA's results (case -> pass/fail/skip) and the
    suite's statuses of the same cases; the suite's cases that did not run are left out
    (they have no KTAP line for LAVA to read)."""
    out = []
    for name, status in suite.items():
        want = AS_LAVA.get(Status(status))
        if want is None:
            continue
        got = lava.get(name)
        if got is None:
            out.append(f"{name}: LAVA has no result (the suite: {status})")
        elif got != want:
            out.append(f"{name}: LAVA {got}, the suite {status}")
    for name in lava:
        if name not in suite:
            out.append(f"{name}: LAVA {lava[name]}, the suite has no such case")
    return out
