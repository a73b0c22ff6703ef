"""Kernel messages on a console: which lines are printk output, and which kind of kernel
event (panic, Oops, BUG, WARNING, sanitizer report, lockup, hung task, RCU stall) one reports.
"""
from __future__ import annotations

import re

LINE_LIMIT = 4096  # characters of a console line that are read (the logs keep the whole line)

# Kernel events: (kind, pattern searched in the message without its timestamp). Order
# matters: the specific BUG: reports (KASAN, KFENCE, soft lockup) come before the generic one.
# Every repetition is bounded or anchored, so a search is linear in the line.
EVENT_PATTERNS = [
    ("panic", re.compile(r"Kernel panic - not syncing")),
    ("kasan", re.compile(r"^BUG: KASAN:|^KASAN:")),
    ("kfence", re.compile(r"^BUG: KFENCE:")),
    ("ubsan", re.compile(r"^UBSAN:")),
    ("lockup", re.compile(r"soft lockup - CPU#|BUG: soft lockup|hard LOCKUP|^BUG: workqueue lockup")),
    ("hung", re.compile(r"blocked for more than \d{1,9} seconds")),
    ("rcu", re.compile(r"rcu: INFO: \w{1,40} detected stalls|rcu_\w{1,40} self-detected stall|"
                       r"rcu: INFO: \w{1,40} self-detected stall|detected stalls on CPUs/tasks")),
    ("oops", re.compile(r"^Oops: |^Oops\b|^general protection fault|Internal error: Oops")),
    ("bug", re.compile(r"^BUG: |kernel BUG at ")),
    ("warning", re.compile(r"^WARNING: ")),
]
# Events that make the case a crash; every other event makes it (at least) a fail.
CRASH_EVENTS = frozenset({"panic", "oops", "bug"})

# A printk timestamp; with it a kernel line can be found even in the middle of a KTAP line.
_TIMESTAMP = re.compile(r"\[\s{0,12}\d{1,12}\.\d{6}\]")
# Markers that start a kernel report even without timestamps (printk.time=0).
_BARE_MARKER = re.compile(r"------------\[ cut here \]------------|Kernel panic - not syncing|"
                          r"BUG: |WARNING: CPU: |Oops: ")
_ANSI = re.compile(r"\x1b\[[0-9;?]{0,32}[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1bc")
_PREFIX = re.compile(r"^\s{0,16}(?:<\d>)?(?:\[\s{0,12}\d{1,12}\.\d{1,12}\]\s{0,16})?"
                     r"(?:\[\s{0,12}[TC]\d{1,12}\]\s{0,16})?")

def clean(line: str) -> str:
    """Drop line ends, NULs and terminal escape sequences a serial console adds."""
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    if "\x00" in line:
        line = line.replace("\x00", "")
    line = line.rstrip("\r\n")
    return line.replace("\r", "") if "\r" in line else line


def event_kind(message: str) -> str | None:
    """The kind of kernel event a console message reports, or None."""
    body = _PREFIX.sub("", message[:LINE_LIMIT], count=1)
    for kind, pat in EVENT_PATTERNS:
        if pat.search(body):
            return kind
    return None


def split_kernel(line: str) -> tuple[str, str | None]:
    """(KTAP fragment before a kernel message, kernel message) of a console line.

    A line that is only a kernel message gives ("", message); a line with none ("line", None).
    """
    head = line[:LINE_LIMIT]
    m = _TIMESTAMP.search(head)
    if m is None:
        m = _BARE_MARKER.search(head)
    if m is None:
        return line, None
    return line[:m.start()], line[m.start():]


EXCERPT_LINES = 30  # kernel lines kept after a crash report as its excerpt


class Excerpts:
    """Crash events whose excerpt grows with the kernel lines that follow them."""

    def __init__(self) -> None:
        self._open: list[list] = []  # [event, lines, lines still wanted]

    def start(self, ev) -> None:
        self._open.append([ev, [], EXCERPT_LINES])

    def add(self, msg: str) -> None:
        for item in self._open:
            item[1].append(msg[:LINE_LIMIT])
            item[2] -= 1
            if item[2] <= 0:
                item[0].excerpt = "\n".join([item[0].excerpt] + item[1])
        self._open = [item for item in self._open if item[2] > 0]

    def close(self) -> None:
        for ev, lines, _ in self._open:
            ev.excerpt = "\n".join([ev.excerpt] + lines)
        self._open = []
