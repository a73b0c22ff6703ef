"""JUnit XML of a run, rendered from the in-memory result tree (runner/report/summary.py):
one <testcase classname="kernels.<kernel>" name="<case>"> per (kernel, case). outcome() is
the one mapping from a verdict to what a test runner shows (passed, skipped, xfailed,
failed), shared by the pytest items and this file."""
from __future__ import annotations

import socket
from pathlib import Path
from xml.etree import ElementTree as ET

from runner.core.errors import NotRun
from runner.core.status import Kind, Status
from runner.judge.verdict import Verdict
from runner.ktap import CaseResult

EXCERPT_HEAD, EXCERPT_TAIL = 25, 25


def excerpt(case: CaseResult, head: int = EXCERPT_HEAD, tail: int = EXCERPT_TAIL) -> str:
    """A case's console log for a failure message: its start (where an assertion message or
    the first line of an Oops or panic is) and its end."""
    log = case.log
    if len(log) <= head + tail:
        return "\n".join(log)
    return "\n".join(log[:head] + [f"[... {len(log) - head - tail} lines ...]"] + log[-tail:])


def outcome(kernel: str, case: CaseResult, v: Verdict) -> tuple[str, str]:
    """(passed | skipped | xfailed | failed, message) of a verdict: ok -> passed, skipped or
    xfailed (a known bug); UNKNOWN (a pass or skip no entry judges) -> skipped with the
    UNKNOWN message; anything else -> failed with the case's console excerpt. `kernel`
    names the kernel in the failure's first line ("7.3 (7.3.4+deb13-cloud-amd64, tcg)")."""
    if v.kind == Kind.OK:
        if v.known_bug:
            return "xfailed", str(v)
        if case.status == Status.SKIP:
            return "skipped", case.reason if v.decided_by == "raw" else str(v)
        return "passed", "" if v.decided_by == "raw" else str(v)
    if v.kind == Kind.UNKNOWN:
        return "skipped", str(v)
    head = f"{Status(case.status).label} on {kernel}"
    msg = f"{head}: {(case.reason or case.status) if v.decided_by == 'raw' else v}"
    ex = excerpt(case)
    if ex:
        msg += "\n--- console excerpt ---\n" + ex
    return "failed", msg


def render(summary, kernel_labels: dict[str, str]) -> bytes:
    """The JUnit document of a Summary; kernel_labels: kernel id -> outcome()'s label."""
    suite = ET.Element("testsuite", name="uring-buffer-conformance",
                       timestamp=summary.run.get("started", ""), hostname=socket.gethostname())
    counts = {"tests": 0, "failures": 0, "skipped": 0, "errors": 0}
    total = 0.0
    for k in summary.kernels:
        for name, c in k.cases.items():
            v = k.verdicts.get(name)
            if v is None:
                continue
            what, msg = outcome(kernel_labels.get(k.id, k.id), c, v)
            secs = c.seconds or 0.0
            total += secs
            tc = ET.SubElement(suite, "testcase", classname=f"kernels.{k.id}", name=name,
                               time=f"{secs:.3f}")
            props = ET.SubElement(tc, "properties")
            ET.SubElement(props, "property", name="status", value=str(c.status))
            ET.SubElement(props, "property", name="verdict", value=v.kind.value)
            counts["tests"] += 1
            if what in ("skipped", "xfailed"):
                counts["skipped"] += 1
                el = ET.SubElement(tc, "skipped", type=f"pytest.{what[:-2] if what == 'xfailed' else 'skip'}",
                                   message=msg.splitlines()[0] if msg else "")
                el.text = msg
            elif what == "failed":
                counts["failures"] += 1
                el = ET.SubElement(tc, "failure", message=msg.splitlines()[0][:1000])
                el.text = msg
    for key, n in counts.items():
        suite.set(key, str(n))
    suite.set("time", f"{total:.3f}")
    root = ET.Element("testsuites")
    root.append(suite)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8")


def write(path: Path, summary, kernel_labels: dict[str, str]) -> None:
    try:
        path.write_bytes(render(summary, kernel_labels))
    except OSError as e:
        raise NotRun(f"results could not be written: {path}: {e.strerror}") from None

